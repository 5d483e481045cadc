//! `zoombulk sandbox`'s flags. The emulator has its own credentials: it never
//! reads the user's (flags of other commands, environment, config file).

use clap::Args;

use std::path::PathBuf;
use std::time::Duration;

use zoombulk_sandbox::{LostAnswer, SandboxConfig};

use crate::sandbox::{DEFAULT_CREDENTIAL, limits};
use crate::zoom::plan::QpsOverride;
use crate::zoom::{Plan, RateTable};

/// Serve a Zoom API emulator on 127.0.0.1 for trying zoombulk and for tests.
#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 9000, value_name = "PORT")]
    pub port: u16,
    /// The account id the emulator accepts (not read from the environment).
    #[arg(long, default_value = DEFAULT_CREDENTIAL, value_name = "ID")]
    pub account_id: String,
    /// The client id the emulator accepts (not read from the environment).
    #[arg(long, default_value = DEFAULT_CREDENTIAL, value_name = "ID")]
    pub client_id: String,
    /// The client secret the emulator accepts (not read from the environment).
    #[arg(long, default_value = DEFAULT_CREDENTIAL, value_name = "SECRET")]
    pub client_secret: String,
    /// Rate limits of this plan.
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        default_value = "pro",
        value_name = "PLAN"
    )]
    pub plan: Plan,
    /// Per-category requests per second over the plan's, e.g. light=30,heavy=10.
    #[arg(long, value_name = "CATEGORY=N,...")]
    pub qps: Option<QpsOverride>,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 3600, value_name = "SECS")]
    pub token_ttl_secs: u64,
    /// Lifetime of next_page_token values, in seconds.
    #[arg(long, default_value_t = 900, value_name = "SECS")]
    pub page_token_ttl_secs: u64,
    /// Daily cap of `action=create` users (default: the plan's).
    #[arg(long, value_name = "N")]
    pub daily_invites: Option<u32>,
    /// Added to every API response, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency_ms: u64,
    /// Uniform jitter around --latency-ms, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub jitter_ms: u64,
    /// Share of API requests answered 500/502/503.
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    pub fault_rate: f64,
    /// Share of API requests whose connection is dropped.
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    pub drop_rate: f64,
    /// Share of POST /users that create the user but answer 502 (or drop the
    /// connection with --lost-drop).
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    pub lost_rate: f64,
    /// Share of registrations (single and batch), PATCH /users and DELETE /users that
    /// are applied but answer 502 (or drop the connection with --lost-drop).
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    pub lost_write_rate: f64,
    /// Lost answers (--lost-rate, --lost-write-rate) close the connection instead of
    /// answering 502.
    #[arg(long)]
    pub lost_drop: bool,
    /// Registrants one meeting or webinar takes (Zoom: 4,999).
    #[arg(long, default_value_t = zoombulk_sandbox::MAX_REGISTRANTS, value_name = "N")]
    pub registrant_cap: usize,
    /// A scope the app lacks (e.g. meeting:write:admin): endpoints that need it answer
    /// 400/4711. Repeat for several.
    #[arg(long = "deny-scope", value_name = "SCOPE")]
    pub deny_scopes: Vec<String>,
    /// Send no X-RateLimit-* headers (Zoom documents that they may be missing).
    #[arg(long)]
    pub no_rate_limit_headers: bool,
    /// Seed for faults and seeded data.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u64,
    /// Users seeded besides the owner.
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub seed_users: usize,
    /// Meetings seeded (some with registration on).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub seed_meetings: usize,
    /// Webinars seeded (some with registration on).
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub seed_webinars: usize,
    /// Recording meetings seeded.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub seed_recordings: usize,
    /// Past meetings seeded with attendance (and two past webinars when not 0).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub seed_past_meetings: usize,
    /// Seed an account that differs from an HR roster in known ways (--seed-users
    /// users: new hires, changed names, departments, licences and groups, returning,
    /// pending and leaving users, the owner and an admin) instead of the usual users,
    /// and write that roster to PATH, for trying `users sync`. `{date}` is filled in;
    /// an existing file is replaced only if it is such a roster.
    #[arg(long, value_name = "PATH")]
    pub seed_sync_roster: Option<PathBuf>,
}

impl SandboxArgs {
    /// Where to write the sync scenario's roster and how many users to seed for it.
    pub fn sync_roster(&self) -> Option<crate::sandbox::SyncRoster> {
        self.seed_sync_roster
            .clone()
            .map(|path| crate::sandbox::SyncRoster {
                path,
                users: self.seed_users,
            })
    }

    /// The emulator these flags describe, sized from the same plan table as the client.
    // The struct update keeps new emulator settings at their defaults until they get a flag.
    #[allow(clippy::needless_update)]
    pub fn to_config(&self) -> SandboxConfig {
        let mut rates = RateTable::for_plan(self.plan);
        if let Some(qps) = &self.qps {
            qps.apply(&mut rates);
        }
        let mut limits = limits(&rates);
        if let Some(n) = self.daily_invites {
            limits.daily_user_invites = n;
        }
        SandboxConfig {
            port: self.port,
            account_id: self.account_id.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            token_ttl: Duration::from_secs(self.token_ttl_secs),
            page_token_ttl: Duration::from_secs(self.page_token_ttl_secs),
            limits,
            latency: Duration::from_millis(self.latency_ms),
            jitter: Duration::from_millis(self.jitter_ms),
            fault_rate: self.fault_rate,
            drop_rate: self.drop_rate,
            lost_response_rate: self.lost_rate,
            lost_write_rate: self.lost_write_rate,
            lost_answer: if self.lost_drop {
                LostAnswer::Drop
            } else {
                LostAnswer::BadGateway
            },
            registrant_cap: self.registrant_cap,
            deny_scopes: self.deny_scopes.clone(),
            rate_limit_headers: !self.no_rate_limit_headers,
            seed: self.seed,
            // The sync scenario seeds the users itself, into an account holding only the owner.
            seed_users: if self.seed_sync_roster.is_some() {
                0
            } else {
                self.seed_users
            },
            seed_meetings: self.seed_meetings,
            seed_webinars: self.seed_webinars,
            seed_recordings: self.seed_recordings,
            seed_past_meetings: self.seed_past_meetings,
            ..SandboxConfig::default()
        }
    }
}
