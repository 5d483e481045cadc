//! The command line (clap derive). Each command's own flags live next to its code
//! in `jobs/` and `exports/`; this file gathers them and holds the global options.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::pipeline::RunOptions;
use crate::pipeline::progress::ProgressMode;
use crate::pipeline::results::Format;
use crate::zoom::Plan;
use crate::zoom::plan::QpsOverride;
use crate::{exports, jobs};

#[derive(Debug, Parser)]
#[command(
    name = "zoombulk",
    version,
    about = "Batch imports and exports between spreadsheets and a Zoom account",
    long_about = "Batch imports and exports between spreadsheets and a Zoom account.\n\n\
        Every input row gets one results row: the id Zoom created, or a precise error to fix. \
        Requests go out as fast as the account's rate limits allow. Try it with no account: --sandbox."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bulk user operations.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Meeting and webinar registrants.
    #[command(subcommand)]
    Registrants(RegistrantsCommand),
    /// Cloud recordings.
    #[command(subcommand)]
    Recordings(RecordingsCommand),
    /// Offline pre-flight check of an input file; no network.
    ///
    /// Takes the same file and flags as the command it checks, e.g.
    /// `zoombulk validate users-import new-hires.csv --action autoCreate`.
    Validate {
        kind: ValidateKind,
        /// The input CSV, then that command's own flags.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Run the built-in Zoom API emulator on 127.0.0.1.
    Sandbox(crate::sandbox::Args),
    /// Print shell completions.
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create users from a CSV: POST /users, one per row.
    Import(jobs::users_import::Args),
    /// Change users from a CSV: PATCH /users/{userId}, and password and status.
    Update(jobs::users_update::Args),
    /// Remove users listed in a CSV: DELETE /users/{userId} (disassociate or delete).
    Delete(jobs::users_delete::Args),
    /// Export the account's users: GET /users, all pages.
    Export(exports::users::Args),
}

#[derive(Debug, Subcommand)]
pub enum RegistrantsCommand {
    /// Register attendees for a meeting or webinar from a CSV (batches where Zoom allows).
    Import(jobs::registrants_import::Args),
    /// Export the registrants of a meeting or webinar.
    Export(exports::registrants::Args),
}

#[derive(Debug, Subcommand)]
pub enum RecordingsCommand {
    /// Export cloud recording files (and download them with --download DIR).
    Export(exports::recordings::Args),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValidateKind {
    UsersImport,
    UsersUpdate,
    UsersDelete,
    Registrants,
}

/// Options every command accepts (SPEC: Global options).
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Server-to-Server OAuth app: account id.
    #[arg(long, env = "ZOOM_ACCOUNT_ID", global = true, hide_env_values = true)]
    pub account_id: Option<String>,
    /// Server-to-Server OAuth app: client id.
    #[arg(long, env = "ZOOM_CLIENT_ID", global = true, hide_env_values = true)]
    pub client_id: Option<String>,
    /// Server-to-Server OAuth app: client secret.
    #[arg(long, env = "ZOOM_CLIENT_SECRET", global = true, hide_env_values = true)]
    pub client_secret: Option<String>,
    /// A ready bearer token instead of OAuth credentials (cannot be refreshed).
    #[arg(long, env = "ZOOM_ACCESS_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,
    /// API base URL.
    #[arg(long, env = "ZOOM_API_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// OAuth token URL.
    #[arg(long, env = "ZOOM_OAUTH_URL", global = true)]
    pub oauth_url: Option<String>,
    /// Config file (default ~/.config/zoombulk/config.toml).
    #[arg(long, env = "ZOOMBULK_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Named [profile.NAME] section of the config file.
    #[arg(long, env = "ZOOMBULK_PROFILE", global = true)]
    pub profile: Option<String>,
    /// Start the built-in Zoom emulator in-process and run against it; needs no credentials.
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Rate-limit preset of the account's plan.
    #[arg(long, env = "ZOOM_PLAN", global = true, value_enum)]
    pub plan: Option<Plan>,
    /// Per-category requests per second, e.g. light=30,medium=20,heavy=10.
    #[arg(long, global = true)]
    pub qps: Option<QpsOverride>,
    /// Requests in flight: a number, or auto (enough to reach the rate limit).
    #[arg(long, global = true, default_value = "auto", value_parser = parse_concurrency)]
    pub concurrency: Concurrency,
    /// Retries for 5xx, timeouts and connection errors.
    #[arg(long, global = true, default_value_t = 5)]
    pub max_retries: u32,
    /// Results or export file; `-` is stdout.
    #[arg(long, global = true)]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value = "csv")]
    pub format: Format,
    /// Continue an interrupted run from its results file.
    #[arg(long, global = true)]
    pub resume: bool,
    /// Replace the results file of an earlier run instead of refusing.
    #[arg(long, global = true, conflicts_with = "resume")]
    pub force: bool,
    /// Validate and show what would be sent and how long it would take; send nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Refuse to start if any row is invalid.
    #[arg(long, global = true)]
    pub strict: bool,
    /// Write cells as they are (no `'` before =, +, -, @).
    #[arg(long, global = true)]
    pub raw_cells: bool,
    /// Start CSV output with a UTF-8 byte order mark, so Excel reads it as UTF-8.
    #[arg(long, global = true)]
    pub bom: bool,
    /// Progress bar.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub progress: ProgressMode,
    /// Only errors and the summary of a run that needs attention.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More logs on stderr (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
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

impl GlobalArgs {
    pub fn run_options(&self, rates: crate::zoom::RateTable) -> RunOptions {
        RunOptions {
            out: self.out.clone(),
            format: self.format,
            raw_cells: self.raw_cells,
            bom: self.bom,
            force: self.force,
            strict: self.strict,
            dry_run: self.dry_run,
            resume: self.resume,
            concurrency: match self.concurrency {
                Concurrency::Auto => None,
                Concurrency::Fixed(n) => Some(n),
            },
            progress: self.progress,
            quiet: self.quiet,
            rates,
        }
    }
}
