//! The command line (clap derive): each command takes only the option groups
//! that apply to it (`options`), its own flags first. Bulk writes take the
//! connection, run and output groups; exports connection and output; `validate`,
//! `sandbox` and `completions` none. `-q`, `-v`, `--progress` are global.
//!
//! Connection, run and output flags are also accepted before the command's name
//! (`zoombulk --sandbox users import f.csv`), as older scripts write them. They
//! are hidden there, checked against what the command takes (a flag that does
//! not apply is a usage error, exit 2) and folded into the command's own; a flag
//! given in both places takes the value after the command's name.

pub mod groups;
pub mod meetings;
pub mod options;
pub mod recordings;
pub mod registrants;
pub mod sandbox;
pub mod users;

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::app::{Context, RunError};
use crate::config::Settings;
use crate::pipeline::RunOptions;
use crate::zoom::RateTable;
pub use groups::GroupsCommand;
pub use meetings::{MeetingsCommand, ParticipantsCommand};
pub use options::{Concurrency, ConnectionArgs, GlobalArgs, Group, OutputArgs, RunArgs};
pub use recordings::RecordingsCommand;
pub use registrants::RegistrantsCommand;
pub use users::UsersCommand;

#[derive(Debug, Parser)]
#[command(
    name = "zoombulk",
    version,
    about = "Batch imports and exports between spreadsheets and a Zoom account",
    long_about = "Batch imports and exports between spreadsheets and a Zoom account.\n\n\
        Every input row gets one results row: the id Zoom created, or a precise error to fix. \
        Requests go out as fast as the account's rate limits allow. Try it with no account: \
        `zoombulk sandbox`, or --sandbox on any command that talks to Zoom.",
    after_help = "Each command's --help lists the flags it takes."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Flags given before the command's name; folded into the command's own.
    #[command(flatten)]
    early: EarlyArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The groups accepted (hidden) before the command's name.
#[derive(Debug, Default, Args)]
struct EarlyArgs {
    #[command(flatten)]
    connection: ConnectionArgs,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bulk user operations.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Groups and their members.
    #[command(subcommand)]
    Groups(GroupsCommand),
    /// Meeting and webinar registrants.
    #[command(subcommand)]
    Registrants(RegistrantsCommand),
    /// Cloud recordings.
    #[command(subcommand)]
    Recordings(RecordingsCommand),
    /// Schedule, change and export meetings.
    #[command(subcommand)]
    Meetings(MeetingsCommand),
    /// Who attended past meetings and webinars.
    #[command(subcommand)]
    Participants(ParticipantsCommand),
    /// Offline pre-flight check of an input file; no network.
    ///
    /// Takes the same file and flags as the command it checks, e.g.
    /// `zoombulk validate users-import new-hires.csv --action autoCreate`.
    #[command(subcommand)]
    Validate(ValidateCommand),
    /// Run the built-in Zoom API emulator on 127.0.0.1.
    ///
    /// It has its own credentials (`sandbox` unless --account-id, --client-id,
    /// --client-secret say otherwise) and never reads yours. It prints its URLs,
    /// the seeded meeting and webinar ids and commands to try.
    Sandbox(sandbox::SandboxArgs),
    /// Print shell completions to stdout.
    ///
    /// bash: `zoombulk completions bash > ~/.local/share/bash-completion/completions/zoombulk`
    Completions(CompletionsArgs),
}

/// A bulk write: its own flags, then the run, output and connection groups.
#[derive(Debug, Args)]
pub struct BulkWrite<A: Args> {
    #[command(flatten)]
    pub args: A,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// An export: its own flags, `--dry-run`, then the output and connection groups.
#[derive(Debug, Args)]
pub struct Export<A: Args> {
    #[command(flatten)]
    pub args: A,
    /// Show the calls the export would make and how long they would take at the
    /// plan's limits (with --download, the files and bytes the listing shows);
    /// write nothing.
    #[arg(long, help_heading = "Run")]
    pub dry_run: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `validate KIND`: the checked command's own flags, no connection or run flags.
#[derive(Debug, Subcommand)]
pub enum ValidateCommand {
    /// Check a `users import` file.
    UsersImport(users::ImportArgs),
    /// Check a `users update` file.
    UsersUpdate(users::UpdateArgs),
    /// Check a `users delete` file.
    UsersDelete(users::DeleteArgs),
    /// Check a `users logout` file.
    UsersLogout(users::LogoutArgs),
    /// Check a `registrants import` file.
    #[command(alias = "registrants-import")]
    Registrants(registrants::ImportArgs),
    /// Check a `meetings import` file.
    MeetingsImport(meetings::ImportArgs),
    /// Check a `meetings update` file.
    MeetingsUpdate(meetings::UpdateArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, ignore_case = true, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// Global flags: the only ones the top-level help shows.
const SHOWN_AT_TOP: [&str; 5] = ["progress", "quiet", "verbose", "help", "version"];

impl Cli {
    /// The clap command, with the flags accepted before a command's name hidden.
    pub fn build() -> clap::Command {
        <Cli as CommandFactory>::command().mut_args(|a| {
            if SHOWN_AT_TOP.contains(&a.get_id().as_str()) {
                a
            } else {
                a.hide(true)
            }
        })
    }

    /// Parses the process's arguments; usage errors print and exit 2.
    pub fn parse_args() -> Cli {
        Cli::try_parse_args_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// Parses `words` (the first is the program name) and folds the flags given
    /// before the command's name into it.
    pub fn try_parse_args_from<I, T>(words: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut command = Cli::build();
        let matches = command.try_get_matches_from_mut(words)?;
        let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command))?;
        cli.fold_early()
            .map_err(|m| command.error(clap::error::ErrorKind::ArgumentConflict, m))?;
        Ok(cli)
    }

    fn fold_early(&mut self) -> Result<(), String> {
        let mut early = std::mem::take(&mut self.early);
        let name = self.command.name();
        // Exports take one run flag: --dry-run.
        if let Some(dry_run) = self.command.export_dry_run_mut() {
            *dry_run |= std::mem::take(&mut early.run.dry_run);
        }
        let (connection, run, output) = self.command.groups_mut();
        fold(&name, connection, &early.connection)?;
        fold(&name, run, &early.run)?;
        fold(&name, output, &early.output)?;
        if let Some(c) = self.command.groups_mut().0
            && let Some(problem) = c.conflicts()
        {
            return Err(problem);
        }
        Ok(())
    }
}

/// Folds `early` into the command's group, or says why it does not apply.
fn fold<G: Group>(command: &str, group: Option<&mut G>, early: &G) -> Result<(), String> {
    match group {
        Some(g) => {
            g.fill_from(early);
            Ok(())
        }
        None => match early.given().as_slice() {
            [] => Ok(()),
            given => Err(format!(
                "{} does not apply to `zoombulk {command}` (see `zoombulk {command} --help`)",
                given.join(", ")
            )),
        },
    }
}

impl Command {
    /// The command's words, e.g. `users import`.
    pub fn name(&self) -> String {
        let (family, verb) = match self {
            Command::Users(UsersCommand::Import(_)) => ("users", "import"),
            Command::Users(UsersCommand::Update(_)) => ("users", "update"),
            Command::Users(UsersCommand::Delete(_)) => ("users", "delete"),
            Command::Users(UsersCommand::Logout(_)) => ("users", "logout"),
            Command::Users(UsersCommand::Export(_)) => ("users", "export"),
            Command::Users(UsersCommand::Sync(_)) => ("users", "sync"),
            Command::Groups(GroupsCommand::Export(_)) => ("groups", "export"),
            Command::Registrants(RegistrantsCommand::Import(_)) => ("registrants", "import"),
            Command::Registrants(RegistrantsCommand::Export(_)) => ("registrants", "export"),
            Command::Recordings(RecordingsCommand::Export(_)) => ("recordings", "export"),
            Command::Recordings(RecordingsCommand::Archive(_)) => ("recordings", "archive"),
            Command::Meetings(MeetingsCommand::Import(_)) => ("meetings", "import"),
            Command::Meetings(MeetingsCommand::Update(_)) => ("meetings", "update"),
            Command::Meetings(MeetingsCommand::Export(_)) => ("meetings", "export"),
            Command::Participants(ParticipantsCommand::Export(_)) => ("participants", "export"),
            Command::Validate(_) => ("validate", ""),
            Command::Sandbox(_) => ("sandbox", ""),
            Command::Completions(_) => ("completions", ""),
        };
        format!("{family} {verb}").trim_end().to_string()
    }

    /// An export's `--dry-run`.
    fn export_dry_run_mut(&mut self) -> Option<&mut bool> {
        match self {
            Command::Users(UsersCommand::Export(e)) => Some(&mut e.dry_run),
            Command::Groups(GroupsCommand::Export(e)) => Some(&mut e.dry_run),
            Command::Registrants(RegistrantsCommand::Export(e)) => Some(&mut e.dry_run),
            Command::Recordings(RecordingsCommand::Export(e)) => Some(&mut e.dry_run),
            Command::Recordings(RecordingsCommand::Archive(e)) => Some(&mut e.dry_run),
            Command::Meetings(MeetingsCommand::Export(e)) => Some(&mut e.dry_run),
            Command::Participants(ParticipantsCommand::Export(e)) => Some(&mut e.dry_run),
            _ => None,
        }
    }

    /// The groups the command takes.
    fn groups_mut(
        &mut self,
    ) -> (
        Option<&mut ConnectionArgs>,
        Option<&mut RunArgs>,
        Option<&mut OutputArgs>,
    ) {
        fn write<A: Args>(
            w: &mut BulkWrite<A>,
        ) -> (
            Option<&mut ConnectionArgs>,
            Option<&mut RunArgs>,
            Option<&mut OutputArgs>,
        ) {
            (Some(&mut w.connection), Some(&mut w.run), Some(&mut w.output))
        }
        fn export<A: Args>(
            e: &mut Export<A>,
        ) -> (
            Option<&mut ConnectionArgs>,
            Option<&mut RunArgs>,
            Option<&mut OutputArgs>,
        ) {
            (Some(&mut e.connection), None, Some(&mut e.output))
        }
        match self {
            Command::Users(UsersCommand::Import(w)) => write(w),
            Command::Users(UsersCommand::Update(w)) => write(w),
            Command::Users(UsersCommand::Delete(w)) => write(w),
            Command::Users(UsersCommand::Logout(w)) => write(w),
            Command::Users(UsersCommand::Sync(w)) => write(w),
            Command::Registrants(RegistrantsCommand::Import(w)) => write(w),
            Command::Users(UsersCommand::Export(e)) => export(e),
            Command::Groups(GroupsCommand::Export(e)) => export(e),
            Command::Registrants(RegistrantsCommand::Export(e)) => export(e),
            Command::Recordings(RecordingsCommand::Export(e)) => export(e),
            Command::Recordings(RecordingsCommand::Archive(e)) => export(e),
            Command::Meetings(MeetingsCommand::Import(w)) => write(w),
            Command::Meetings(MeetingsCommand::Update(w)) => write(w),
            Command::Meetings(MeetingsCommand::Export(e)) => export(e),
            Command::Participants(ParticipantsCommand::Export(e)) => export(e),
            Command::Validate(_) | Command::Sandbox(_) | Command::Completions(_) => (None, None, None),
        }
    }
}

impl<A: Args> BulkWrite<A> {
    /// How to connect and how to run, from the command line, environment and config file.
    pub fn context(&self, global: &GlobalArgs) -> Result<Context, RunError> {
        let settings = Settings::from_args(&self.connection.to_config(), global.quiet)?;
        Ok(Context {
            run: run_options(&self.run, &self.output, global, settings.rates),
            settings,
        })
    }
}

impl<A: Args> Export<A> {
    /// How to connect and where to write.
    pub fn context(&self, global: &GlobalArgs) -> Result<Context, RunError> {
        let settings = Settings::from_args(&self.connection.to_config(), global.quiet)?;
        Ok(Context {
            run: run_options(
                &RunArgs {
                    dry_run: self.dry_run,
                    ..RunArgs::default()
                },
                &self.output,
                global,
                settings.rates,
            ),
            settings,
        })
    }
}

/// The engine's options from the groups a command took.
pub fn run_options(run: &RunArgs, output: &OutputArgs, global: &GlobalArgs, rates: RateTable) -> RunOptions {
    RunOptions {
        out: output.out.clone(),
        format: output.format.unwrap_or_default(),
        raw_cells: output.raw_cells,
        bom: output.bom,
        strict: run.strict,
        dry_run: run.dry_run,
        resume: run.resume,
        force: run.force,
        concurrency: match run.concurrency {
            None | Some(Concurrency::Auto) => None,
            Some(Concurrency::Fixed(n)) => Some(n),
        },
        progress: global.progress,
        quiet: global.quiet,
        rates,
    }
}

/// `-` as the input path: the engine reads its input twice (check, then send), so
/// stdin is copied to a temporary file first; it is removed when the returned
/// guard drops, at the end of the command. A bulk write reading stdin needs
/// --out (`results`: its groups): there is no file beside which to put the
/// results; a `--dry-run` writes none.
pub fn stdin_input(
    file: &mut PathBuf,
    results: Option<(&RunArgs, &OutputArgs)>,
) -> Result<Option<tempfile::TempPath>, RunError> {
    if file.as_os_str() != "-" {
        return Ok(None);
    }
    if results.is_some_and(|(run, output)| output.out.is_none() && !run.dry_run) {
        return Err(RunError::usage(
            "the input comes from stdin (`-`), so say where the results go: --out PATH (or --out - for stdout)",
        ));
    }
    let mut temp = tempfile::Builder::new()
        .prefix("zoombulk-stdin-")
        .suffix(".csv")
        .tempfile()
        .map_err(|e| RunError::new(format!("cannot create a temporary file for stdin: {e}")))?;
    std::io::copy(&mut std::io::stdin().lock(), temp.as_file_mut())
        .map_err(|e| RunError::new(format!("cannot read the input from stdin: {e}")))?;
    let path = temp.into_temp_path();
    crate::pipeline::input::stdin_copied_to(&path);
    *file = path.to_path_buf();
    Ok(Some(path))
}

#[cfg(test)]
mod tests;
