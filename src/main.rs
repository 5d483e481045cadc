//! zoombulk: parse the command line, run the command, map the ending to an exit status.

use std::process::ExitCode;

use zoombulk::app::RunError;
use zoombulk::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    init_logging(cli.global.verbose, cli.global.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fatal(&RunError::new(format!("cannot start the async runtime: {e}"))),
    };
    match runtime.block_on(cli.run()) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) => fatal(&e),
    }
}

/// The error's kind decides the status: usage 2, anything else 1.
fn fatal(e: &RunError) -> ExitCode {
    eprintln!("zoombulk: error: {e}");
    ExitCode::from(e.exit() as u8)
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
