//! zoombulk: parse the command line, run the command, map the ending to an exit status.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use zoombulk::app::{Context, Exit, RunError};
use zoombulk::cli::{Cli, Command, RecordingsCommand, RegistrantsCommand, UsersCommand, ValidateKind};
use zoombulk::config::Settings;
use zoombulk::jobs::{registrants_import, users_delete, users_import, users_update};
use zoombulk::{exports, sandbox};

// `eprintln!` panics on a closed stderr: write and ignore the error instead
// (the library has the same replacements for its own output).
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose, cli.global.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fatal(&RunError::new(format!("cannot start the async runtime: {e}"))),
    };
    match runtime.block_on(run(cli)) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) => fatal(&e),
    }
}

fn fatal(e: &RunError) -> ExitCode {
    eprintln!("zoombulk: error: {e}");
    ExitCode::from(e.exit() as u8)
}

async fn run(cli: Cli) -> Result<Exit, RunError> {
    let context = || -> Result<Context, RunError> {
        let settings = Settings::from_args(&cli.global)?;
        Ok(Context {
            run: cli.global.run_options(settings.rates),
            settings,
        })
    };
    match &cli.command {
        Command::Completions { shell } => {
            // Generated into memory: clap_complete panics when its writer fails,
            // and a closed stdout (`| true`) is a quiet end, not an error.
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "zoombulk", &mut script);
            let _ = std::io::Write::write_all(&mut std::io::stdout(), &script);
            Ok(Exit::Ok)
        }
        Command::Sandbox(args) => sandbox::serve(args, &cli.global).await,
        Command::Validate { kind, args } => match kind {
            ValidateKind::UsersImport => users_import::validate(&reparse(kind, args)?),
            ValidateKind::UsersUpdate => users_update::validate(&reparse(kind, args)?),
            ValidateKind::UsersDelete => users_delete::validate(&reparse(kind, args)?),
            ValidateKind::Registrants => registrants_import::validate(&reparse(kind, args)?),
        },
        Command::Users(UsersCommand::Import(args)) => users_import::command(args, &context()?).await,
        Command::Users(UsersCommand::Update(args)) => users_update::command(args, &context()?).await,
        Command::Users(UsersCommand::Delete(args)) => users_delete::command(args, &context()?).await,
        Command::Registrants(RegistrantsCommand::Import(args)) => {
            registrants_import::command(args, &context()?).await
        }
        Command::Users(UsersCommand::Export(args)) => exports::users::command(args, &context()?).await,
        Command::Registrants(RegistrantsCommand::Export(args)) => {
            exports::registrants::command(args, &context()?).await
        }
        Command::Recordings(RecordingsCommand::Export(args)) => {
            exports::recordings::command(args, &context()?).await
        }
    }
}

/// Parses `validate KIND`'s trailing words as the checked command's own arguments.
fn reparse<A: clap::Args>(kind: &ValidateKind, words: &[String]) -> Result<A, RunError> {
    let name = clap::ValueEnum::to_possible_value(kind)
        .map(|v| v.get_name().to_string())
        .unwrap_or_default();
    let command = A::augment_args(
        clap::Command::new("zoombulk validate").bin_name(format!("zoombulk validate {name}")),
    );
    let matches = command
        .try_get_matches_from(std::iter::once(name).chain(words.iter().cloned()))
        .unwrap_or_else(|e| e.exit());
    <A as clap::FromArgMatches>::from_arg_matches(&matches).map_err(|e| RunError::new(e.to_string()))
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ZOOMBULK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("zoombulk={level}")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .init();
}
