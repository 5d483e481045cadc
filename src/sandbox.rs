//! `zoombulk sandbox` and `--sandbox`: the built-in Zoom emulator (the
//! `zoombulk-sandbox` crate), sized from the same plan table as the client.

use std::path::{Path, PathBuf};

use zoombulk_sandbox::{Limits, SYNC_ROSTER_HEADER, SYNC_SCOPE_DOMAIN, Sandbox, SandboxConfig};

use crate::app::{Exit, RunError};
use crate::output::{Policy, Publisher, Target};
use crate::zoom::RateTable;

/// Account id, client id and client secret the sandbox accepts by default.
pub const DEFAULT_CREDENTIAL: &str = "sandbox";

pub fn limits(rates: &RateTable) -> Limits {
    Limits {
        light: rates.light,
        medium: rates.medium,
        heavy: rates.heavy,
        daily_user_invites: rates.daily_user_invites,
        daily_heavy: rates.daily_heavy,
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
        seed_past_meetings: 20,
        ..SandboxConfig::default()
    };
    Sandbox::start(config)
        .await
        .map_err(|e| RunError::new(format!("cannot start the sandbox: {e}")))
}

/// `--seed-sync-roster`: the sync drift scenario's roster file and account size.
#[derive(Debug, Clone)]
pub struct SyncRoster {
    pub path: PathBuf,
    pub users: usize,
}

/// `zoombulk sandbox`: serve `config` until Ctrl-C. Its credentials are its own
/// (`sandbox` unless the command's flags say otherwise); nothing of the user's is
/// read or printed. With `roster`, the account is the sync drift scenario's and its
/// roster is written before the banner (clients learn the port from the banner).
pub async fn serve(config: SandboxConfig, roster: Option<SyncRoster>) -> Result<Exit, RunError> {
    // SIGTERM stops the emulator as cleanly as Ctrl-C does.
    let signals = crate::output::Signals::watch();
    let target = roster.as_ref().map(|r| roster_target(&r.path)).transpose()?;
    let sandbox = Sandbox::start(config.clone())
        .await
        .map_err(|e| RunError::new(format!("cannot listen on 127.0.0.1:{}: {e}", config.port)))?;
    let mut written = None;
    if let (Some(r), Some(target)) = (&roster, target) {
        let scenario = sandbox
            .seed_sync_drift(r.users, config.seed)
            .map_err(|e| RunError::new(format!("cannot seed the sync scenario: {e}")))?;
        written = Some(write_roster(&target, &scenario.roster_csv)?);
    }
    print!("{}", banner(&sandbox, &config, written.as_deref()));
    signals.stop().cancelled().await;
    sandbox.shutdown().await;
    Ok(Exit::Ok)
}

/// Where `--seed-sync-roster` writes, refused (exit 2, before anything starts) when
/// a file there is not a roster this command wrote: nothing of the user's is replaced.
fn roster_target(path: &Path) -> Result<Target, RunError> {
    let target = Target::parse(path, chrono::Utc::now());
    if let Target::Path(p) = &target {
        let head = format!("{}\n", SYNC_ROSTER_HEADER.join(","));
        if !crate::output::starts_like(p, &[head.as_bytes()]) {
            return Err(RunError::usage(format!(
                "--seed-sync-roster {} exists and is not a roster the sandbox wrote; choose another path",
                p.display()
            )));
        }
    }
    Ok(target)
}

/// Writes the roster through the output layer (atomic); returns how it is shown.
fn write_roster(target: &Target, csv: &str) -> Result<String, RunError> {
    let publisher = Publisher::create(target, Policy::Replace)?;
    let shown = publisher.shown().to_string();
    let mut out = publisher
        .writer()
        .map_err(|e| RunError::new(format!("{shown}: cannot write the roster: {e}")))?;
    std::io::Write::write_all(&mut out, csv.as_bytes())
        .and_then(|()| std::io::Write::flush(&mut out))
        .map_err(|e| RunError::new(format!("{shown}: cannot write the roster: {e}")))?;
    drop(out);
    publisher.commit()?;
    Ok(shown)
}

/// What `zoombulk sandbox` prints: where it listens, its credentials, the seeded
/// meetings and webinars to register for, and commands to try as they are (with
/// the sync scenario's roster, when one was written).
pub fn banner(sandbox: &Sandbox, config: &SandboxConfig, roster: Option<&str>) -> String {
    use std::fmt::Write;
    let (base, oauth) = (sandbox.base_url(), sandbox.oauth_url());
    let connect = format!(
        "--base-url {base} --oauth-url {oauth} --account-id {} --client-id {} --client-secret {}",
        config.account_id, config.client_id, config.client_secret
    );
    let mut out = String::new();
    let mut line = |text: String| {
        let _ = writeln!(out, "{text}");
    };
    line(format!("zoombulk sandbox listening on {}", sandbox.addr()));
    line(format!("  base URL:      {base}"));
    line(format!("  OAuth URL:     {oauth}"));
    line(format!("  account id:    {}", config.account_id));
    line(format!("  client id:     {}", config.client_id));
    line(format!("  client secret: {}", config.client_secret));
    line(format!(
        "  limits/s:      light {} medium {} heavy {}; daily invites {}",
        config.limits.light, config.limits.medium, config.limits.heavy, config.limits.daily_user_invites
    ));
    if !config.deny_scopes.is_empty() {
        line(format!(
            "  denied scopes: {} (answered 400/4711)",
            config.deny_scopes.join(" ")
        ));
    }
    let (meeting, webinar) = open_events(sandbox);
    line(format!(
        "  meetings:      {}",
        ids_or_none(&sandbox.store().meetings(), meeting)
    ));
    line(format!(
        "  webinars:      {}",
        ids_or_none(&sandbox.store().webinars(), webinar)
    ));
    line(format!(
        "  try: zoombulk users import samples/users.csv {connect}"
    ));
    line(format!("  try: zoombulk users export --out - {connect}"));
    if let Some(id) = meeting {
        line(format!(
            "  try: zoombulk registrants import samples/registrants.csv --meeting {id} {connect}"
        ));
    }
    if let Some(id) = webinar {
        line(format!(
            "  try: zoombulk registrants export --webinar {id} --out - {connect}"
        ));
    }
    if let Some(roster) = roster {
        line(format!("  sync roster:   {roster}"));
        line(format!(
            "  try: zoombulk users sync {roster} --prune deactivate --scope-domain {SYNC_SCOPE_DOMAIN} {connect}"
        ));
    }
    line(format!(
        "  stats: {}/_sandbox/stats   (Ctrl-C stops)",
        base.trim_end_matches("/v2")
    ));
    out
}

/// The first seeded meeting and webinar that take registrations.
pub fn open_events(sandbox: &Sandbox) -> (Option<u64>, Option<u64>) {
    let open = |events: Vec<zoombulk_sandbox::Event>| {
        events
            .iter()
            .find(|e| e.registration_enabled() && !e.is_recurring())
            .or_else(|| events.iter().find(|e| e.registration_enabled()))
            .map(|e| e.id)
    };
    (open(sandbox.store().meetings()), open(sandbox.store().webinars()))
}

/// Up to five ids, the one to try first marked.
fn ids_or_none(events: &[zoombulk_sandbox::Event], open: Option<u64>) -> String {
    if events.is_empty() {
        return "none seeded".into();
    }
    let mut shown: Vec<String> = events
        .iter()
        .take(5)
        .map(|e| {
            let note = if Some(e.id) == open {
                " (try this one)"
            } else if !e.registration_enabled() {
                " (registration off)"
            } else if e.is_recurring() {
                " (recurring)"
            } else {
                ""
            };
            format!("{}{note}", e.id)
        })
        .collect();
    if events.len() > 5 {
        shown.push(format!("… {} in all", events.len()));
    }
    shown.join(", ")
}
