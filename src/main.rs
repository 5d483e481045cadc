//! zoombulk: parse the command line, run the command, map the ending to an exit status.
//! The dispatch lives here, above `cli`, `jobs` and `exports`, so none of them imports another's caller.

use std::process::ExitCode;

use zoombulk::app::{Exit, RunError};
use zoombulk::cli::{
    Cli, Command, GroupsCommand, MeetingsCommand, ParticipantsCommand, RecordingsCommand, RegistrantsCommand,
    UsersCommand, ValidateCommand, stdin_input,
};
use zoombulk::jobs::{
    meetings_import, registrants_import, users_delete, users_import, users_logout, users_sync, users_update,
};
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
    let cli = Cli::parse_args();
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

/// The error's kind decides the status: usage 2, anything else 1.
fn fatal(e: &RunError) -> ExitCode {
    eprintln!("zoombulk: error: {e}");
    ExitCode::from(e.exit() as u8)
}

/// Runs the command: the one place that knows every command's code.
async fn run(cli: Cli) -> Result<Exit, RunError> {
    let g = cli.global;
    match cli.command {
        Command::Completions(c) => {
            // Generated into memory: clap_complete panics when its writer fails,
            // and a closed stdout (`| true`) is a quiet end, not an error.
            let mut script = Vec::new();
            clap_complete::generate(c.shell, &mut Cli::build(), "zoombulk", &mut script);
            let _ = std::io::Write::write_all(&mut std::io::stdout(), &script);
            Ok(Exit::Ok)
        }
        Command::Sandbox(args) => sandbox::serve(args.to_config(), args.sync_roster()).await,
        Command::Validate(kind) => match kind {
            ValidateCommand::UsersImport(mut a) => {
                let _stdin = stdin_input(&mut a.file, None)?;
                users_import::validate(&a)
            }
            ValidateCommand::UsersUpdate(mut a) => {
                let _stdin = stdin_input(&mut a.file, None)?;
                users_update::validate(&a)
            }
            ValidateCommand::UsersDelete(mut a) => {
                let _stdin = stdin_input(&mut a.file, None)?;
                users_delete::validate(&a)
            }
            ValidateCommand::UsersLogout(mut a) => {
                let _stdin = stdin_input(&mut a.file, None)?;
                users_logout::validate(&a)
            }
            ValidateCommand::Registrants(mut a) => {
                let _stdin = stdin_input(&mut a.file, None)?;
                registrants_import::validate(&a)
            }
            ValidateCommand::MeetingsImport(mut a) => {
                let _stdin = stdin_input(&mut a.file, None)?;
                meetings_import::validate_import(&a)
            }
            ValidateCommand::MeetingsUpdate(mut a) => {
                let _stdin = stdin_input(&mut a.file, None)?;
                meetings_import::validate_update(&a)
            }
        },
        Command::Users(UsersCommand::Import(mut w)) => {
            let _stdin = stdin_input(&mut w.args.file, Some((&w.run, &w.output)))?;
            users_import::command(&w.args, &w.context(&g)?).await
        }
        Command::Users(UsersCommand::Update(mut w)) => {
            let _stdin = stdin_input(&mut w.args.file, Some((&w.run, &w.output)))?;
            users_update::command(&w.args, &w.context(&g)?).await
        }
        Command::Users(UsersCommand::Delete(mut w)) => {
            let _stdin = stdin_input(&mut w.args.file, Some((&w.run, &w.output)))?;
            users_delete::command(&w.args, &w.context(&g)?).await
        }
        Command::Users(UsersCommand::Sync(mut w)) => {
            users_sync::check_flags(&w.args, &w.run, &w.output)?;
            let _stdin = match &mut w.args.file {
                Some(file) => stdin_input(file, Some((&w.run, &w.output)))?,
                None => None,
            };
            users_sync::command(&w.args, &w.context(&g)?).await
        }
        Command::Users(UsersCommand::Logout(mut w)) => {
            let _stdin = stdin_input(&mut w.args.file, Some((&w.run, &w.output)))?;
            users_logout::command(&w.args, &w.context(&g)?).await
        }
        Command::Registrants(RegistrantsCommand::Import(mut w)) => {
            let _stdin = stdin_input(&mut w.args.file, Some((&w.run, &w.output)))?;
            registrants_import::command(&w.args, &w.context(&g)?).await
        }
        Command::Meetings(MeetingsCommand::Import(mut w)) => {
            let _stdin = stdin_input(&mut w.args.file, Some((&w.run, &w.output)))?;
            meetings_import::import(&w.args, &w.context(&g)?).await
        }
        Command::Meetings(MeetingsCommand::Update(mut w)) => {
            let _stdin = stdin_input(&mut w.args.file, Some((&w.run, &w.output)))?;
            meetings_import::update(&w.args, &w.context(&g)?).await
        }
        Command::Meetings(MeetingsCommand::Export(e)) => {
            exports::meetings::command(&e.args, &e.context(&g)?).await
        }
        Command::Participants(ParticipantsCommand::Export(e)) => {
            if let (Some(from), Some(to)) = (e.args.from, e.args.to)
                && from > to
            {
                return Err(RunError::usage(format!("--from {from} is after --to {to}")));
            }
            exports::participants::command(&e.args, &e.context(&g)?).await
        }
        Command::Users(UsersCommand::Export(e)) => exports::users::command(&e.args, &e.context(&g)?).await,
        Command::Groups(GroupsCommand::Export(e)) => exports::groups::command(&e.args, &e.context(&g)?).await,
        Command::Registrants(RegistrantsCommand::Export(e)) => {
            exports::registrants::command(&e.args, &e.context(&g)?).await
        }
        Command::Recordings(RecordingsCommand::Export(e)) => {
            if e.args.from > e.args.to {
                return Err(RunError::usage(format!(
                    "--from {} is after --to {}",
                    e.args.from, e.args.to
                )));
            }
            exports::recordings::command(&e.args, &e.context(&g)?).await
        }
        Command::Recordings(RecordingsCommand::Archive(e)) => {
            exports::archive::command(&e.args, &e.context(&g)?).await
        }
    }
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
