//! The option groups commands flatten: connection (commands that talk to Zoom),
//! run (bulk writes), output (commands that write a file) and the global ones.
//!
//! Environment variables for the connection group are read by `config`, not by
//! clap: credentials resolve as a set from one source, which clap's per-flag
//! `env` cannot express, and help never shows an environment value.

use std::path::PathBuf;

use clap::Args;

use crate::pipeline::progress::ProgressMode;
use crate::pipeline::results::Format;
use crate::zoom::Plan;
use crate::zoom::plan::QpsOverride;

/// `-q`, `-v`, `--progress`: accepted by every command, before or after its name.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global")]
pub struct GlobalArgs {
    /// Progress bar: auto shows it on a terminal only.
    #[arg(
        long,
        global = true,
        value_enum,
        ignore_case = true,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub progress: ProgressMode,
    /// Only errors and the summary of a run that needs attention.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More logs on stderr (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// How to reach Zoom. Credentials resolve as a set: command line, else
/// environment, else the config file (README: Credentials).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// Server-to-Server OAuth app: account id [env: ZOOM_ACCOUNT_ID].
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// Server-to-Server OAuth app: client id [env: ZOOM_CLIENT_ID].
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Server-to-Server OAuth app: client secret [env: ZOOM_CLIENT_SECRET].
    #[arg(long, value_name = "SECRET")]
    pub client_secret: Option<String>,
    /// A ready bearer token instead of OAuth credentials; cannot be refreshed
    /// [env: ZOOM_ACCESS_TOKEN].
    #[arg(long, value_name = "TOKEN", conflicts_with_all = ["account_id", "client_id", "client_secret"])]
    pub token: Option<String>,
    /// API base URL [default: https://api.zoom.us/v2] [env: ZOOM_API_BASE_URL].
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// OAuth token URL [default: https://zoom.us/oauth/token] [env: ZOOM_OAUTH_URL].
    #[arg(long, value_name = "URL")]
    pub oauth_url: Option<String>,
    /// Config file [default: ~/.config/zoombulk/config.toml] [env: ZOOMBULK_CONFIG].
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// The [profile.NAME] section of the config file to use [env: ZOOMBULK_PROFILE].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Start the built-in Zoom emulator in-process and run against it; reads no
    /// credentials.
    #[arg(long, conflicts_with_all = ["account_id", "client_id", "client_secret", "token", "base_url", "oauth_url", "config", "profile"])]
    pub sandbox: bool,
    /// Rate-limit preset of the account's plan [default: pro] [env: ZOOM_PLAN].
    #[arg(long, value_enum, ignore_case = true, value_name = "PLAN")]
    pub plan: Option<Plan>,
    /// Per-category requests per second over the plan's, e.g. light=30,heavy=10.
    #[arg(long, value_name = "CATEGORY=N,...")]
    pub qps: Option<QpsOverride>,
    /// Retries for 5xx, timeouts and connection errors [default: 5].
    #[arg(long, value_name = "N")]
    pub max_retries: Option<u32>,
}

/// How a bulk write runs.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Run")]
pub struct RunArgs {
    /// Continue an interrupted run from its results file.
    #[arg(long)]
    pub resume: bool,
    /// Validate and show what would be sent and how long it would take; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse to start if any row is invalid.
    #[arg(long)]
    pub strict: bool,
    /// Requests in flight: a number from 1 to 1024, or auto (enough to reach the
    /// rate limit) [default: auto].
    #[arg(long, value_name = "N|auto", value_parser = parse_concurrency)]
    pub concurrency: Option<Concurrency>,
    /// Replace an existing results file instead of refusing to.
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
}

/// Where and how a command writes its file.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// The results or export file; `-` is stdout; {date} and {datetime} are filled
    /// in (UTC).
    #[arg(short = 'o', long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Output format [default: csv].
    #[arg(long, value_enum, ignore_case = true, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Write cells as they are (no `'` before =, +, -, @).
    #[arg(long)]
    pub raw_cells: bool,
    /// Start CSV output with a UTF-8 byte order mark (for Excel).
    #[arg(long)]
    pub bom: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    Auto,
    Fixed(usize),
}

fn parse_concurrency(s: &str) -> Result<Concurrency, String> {
    if s.eq_ignore_ascii_case("auto") {
        return Ok(Concurrency::Auto);
    }
    match s.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(Concurrency::Fixed(n)),
        _ => Err("expected auto or a number from 1 to 1024".into()),
    }
}

/// Flags of a group given before the command's name, to be checked against what
/// the command takes and folded into its own (see `Cli::parse_args`).
pub trait Group {
    /// `--flag` names of the flags given.
    fn given(&self) -> Vec<&'static str>;
    /// Takes each flag not given after the command from `early`.
    fn fill_from(&mut self, early: &Self);
}

/// `(name, is given)` pairs to the names given.
fn names(flags: &[(&'static str, bool)]) -> Vec<&'static str> {
    flags.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect()
}

fn take<T: Clone>(mine: &mut Option<T>, early: &Option<T>) {
    if mine.is_none() {
        mine.clone_from(early);
    }
}

impl Group for ConnectionArgs {
    fn given(&self) -> Vec<&'static str> {
        names(&[
            ("--account-id", self.account_id.is_some()),
            ("--client-id", self.client_id.is_some()),
            ("--client-secret", self.client_secret.is_some()),
            ("--token", self.token.is_some()),
            ("--base-url", self.base_url.is_some()),
            ("--oauth-url", self.oauth_url.is_some()),
            ("--config", self.config.is_some()),
            ("--profile", self.profile.is_some()),
            ("--sandbox", self.sandbox),
            ("--plan", self.plan.is_some()),
            ("--qps", self.qps.is_some()),
            ("--max-retries", self.max_retries.is_some()),
        ])
    }

    fn fill_from(&mut self, early: &Self) {
        take(&mut self.account_id, &early.account_id);
        take(&mut self.client_id, &early.client_id);
        take(&mut self.client_secret, &early.client_secret);
        take(&mut self.token, &early.token);
        take(&mut self.base_url, &early.base_url);
        take(&mut self.oauth_url, &early.oauth_url);
        take(&mut self.config, &early.config);
        take(&mut self.profile, &early.profile);
        self.sandbox |= early.sandbox;
        take(&mut self.plan, &early.plan);
        take(&mut self.qps, &early.qps);
        take(&mut self.max_retries, &early.max_retries);
    }
}

impl ConnectionArgs {
    /// The flags as `config` takes them.
    pub fn to_config(&self) -> crate::config::Connection {
        crate::config::Connection {
            account_id: self.account_id.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            token: self.token.clone(),
            base_url: self.base_url.clone(),
            oauth_url: self.oauth_url.clone(),
            config: self.config.clone(),
            profile: self.profile.clone(),
            sandbox: self.sandbox,
            plan: self.plan,
            qps: self.qps.clone(),
            max_retries: self.max_retries,
        }
    }

    /// Combinations clap checks within one position but not across the two.
    pub fn conflicts(&self) -> Option<String> {
        let trio = self.account_id.is_some() || self.client_id.is_some() || self.client_secret.is_some();
        if self.token.is_some() && trio {
            return Some("--token cannot be used with --account-id, --client-id or --client-secret".into());
        }
        let other: Vec<&str> = self
            .given()
            .into_iter()
            .filter(|f| !matches!(*f, "--sandbox" | "--plan" | "--qps" | "--max-retries"))
            .collect();
        if self.sandbox && !other.is_empty() {
            return Some(format!(
                "--sandbox uses the built-in emulator's own credentials; it cannot be used with {}",
                other.join(", ")
            ));
        }
        None
    }
}

impl Group for RunArgs {
    fn given(&self) -> Vec<&'static str> {
        names(&[
            ("--resume", self.resume),
            ("--dry-run", self.dry_run),
            ("--strict", self.strict),
            ("--concurrency", self.concurrency.is_some()),
            ("--force", self.force),
        ])
    }

    fn fill_from(&mut self, early: &Self) {
        self.resume |= early.resume;
        self.dry_run |= early.dry_run;
        self.strict |= early.strict;
        take(&mut self.concurrency, &early.concurrency);
        self.force |= early.force;
    }
}

impl Group for OutputArgs {
    fn given(&self) -> Vec<&'static str> {
        names(&[
            ("--out", self.out.is_some()),
            ("--format", self.format.is_some()),
            ("--raw-cells", self.raw_cells),
            ("--bom", self.bom),
        ])
    }

    fn fill_from(&mut self, early: &Self) {
        take(&mut self.out, &early.out);
        take(&mut self.format, &early.format);
        self.raw_cells |= early.raw_cells;
        self.bom |= early.bom;
    }
}
