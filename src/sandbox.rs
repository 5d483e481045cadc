//! `zoombulk sandbox` and `--sandbox`: the built-in Zoom emulator (the
//! `zoombulk-sandbox` crate), sized from the same plan table as the client.

use std::time::Duration;

use zoombulk_sandbox::{Limits, Sandbox, SandboxConfig};

use crate::app::{Exit, RunError};
use crate::cli::GlobalArgs;
use crate::zoom::{Plan, RateTable};

/// Account id, client id and client secret the sandbox accepts by default.
pub const DEFAULT_CREDENTIAL: &str = "sandbox";

/// Serve a Zoom API emulator on 127.0.0.1 for trying zoombulk and for tests.
///
/// Credentials default to `sandbox` (change them with the global
/// --account-id/--client-id/--client-secret); limits follow --plan/--qps.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 9000)]
    pub port: u16,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    pub token_ttl_secs: u64,
    /// Lifetime of next_page_token values, in seconds.
    #[arg(long, default_value_t = 900)]
    pub page_token_ttl_secs: u64,
    /// Daily cap of `action=create` users (default: the plan's).
    #[arg(long)]
    pub daily_invites: Option<u32>,
    /// Added to every API response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Uniform jitter around --latency-ms, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub jitter_ms: u64,
    /// Share of API requests answered 500/502/503.
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Share of API requests whose connection is dropped.
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Share of POST /users that create the user but answer 502.
    #[arg(long, default_value_t = 0.0)]
    pub lost_rate: f64,
    /// Send no X-RateLimit-* headers (Zoom documents that they may be missing).
    #[arg(long)]
    pub no_rate_limit_headers: bool,
    /// Seed for faults and seeded data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 50)]
    pub seed_users: usize,
    #[arg(long, default_value_t = 10)]
    pub seed_meetings: usize,
    #[arg(long, default_value_t = 4)]
    pub seed_webinars: usize,
    #[arg(long, default_value_t = 100)]
    pub seed_recordings: usize,
}

pub fn limits(rates: &RateTable) -> Limits {
    Limits {
        light: rates.light,
        medium: rates.medium,
        heavy: rates.heavy,
        daily_user_invites: rates.daily_user_invites,
        ..Limits::default()
    }
}

/// The emulator `--sandbox` starts in-process: seeded, on a free port.
pub async fn start_embedded(rates: &RateTable) -> Result<Sandbox, RunError> {
    let config = SandboxConfig {
        port: 0,
        limits: limits(rates),
        seed_users: 50,
        seed_meetings: 10,
        seed_webinars: 4,
        seed_recordings: 100,
        ..SandboxConfig::default()
    };
    Sandbox::start(config)
        .await
        .map_err(|e| RunError::new(format!("cannot start the sandbox: {e}")))
}

pub async fn serve(args: &Args, global: &GlobalArgs) -> Result<Exit, RunError> {
    let mut rates = RateTable::for_plan(global.plan.unwrap_or(Plan::Pro));
    if let Some(qps) = &global.qps {
        qps.apply(&mut rates);
    }
    let mut limits = limits(&rates);
    if let Some(n) = args.daily_invites {
        limits.daily_user_invites = n;
    }
    let credential = |v: &Option<String>| v.clone().unwrap_or_else(|| DEFAULT_CREDENTIAL.to_string());
    let config = SandboxConfig {
        port: args.port,
        account_id: credential(&global.account_id),
        client_id: credential(&global.client_id),
        client_secret: credential(&global.client_secret),
        token_ttl: Duration::from_secs(args.token_ttl_secs),
        page_token_ttl: Duration::from_secs(args.page_token_ttl_secs),
        limits,
        latency: Duration::from_millis(args.latency_ms),
        jitter: Duration::from_millis(args.jitter_ms),
        fault_rate: args.fault_rate,
        drop_rate: args.drop_rate,
        lost_response_rate: args.lost_rate,
        seed: args.seed,
        seed_users: args.seed_users,
        seed_meetings: args.seed_meetings,
        seed_webinars: args.seed_webinars,
        seed_recordings: args.seed_recordings,
        rate_limit_headers: !args.no_rate_limit_headers,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config.clone())
        .await
        .map_err(|e| RunError::new(format!("cannot listen on 127.0.0.1:{}: {e}", args.port)))?;
    println!("zoombulk sandbox listening on {}", sandbox.addr());
    println!("  base URL:      {}", sandbox.base_url());
    println!("  OAuth URL:     {}", sandbox.oauth_url());
    println!("  account id:    {}", config.account_id);
    println!("  client id:     {}", config.client_id);
    println!("  client secret: {}", config.client_secret);
    println!(
        "  limits/s:      light {} medium {} heavy {}; daily invites {}",
        config.limits.light, config.limits.medium, config.limits.heavy, config.limits.daily_user_invites
    );
    println!(
        "  try: zoombulk --base-url {} --oauth-url {} --account-id {} --client-id {} --client-secret {} users import samples/users.csv",
        sandbox.base_url(),
        sandbox.oauth_url(),
        config.account_id,
        config.client_id,
        config.client_secret
    );
    println!(
        "  stats: {}/_sandbox/stats   (Ctrl-C stops)",
        sandbox.base_url().trim_end_matches("/v2")
    );
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
    Ok(Exit::Ok)
}
