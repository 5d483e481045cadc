//! What sits above the engine and the commands: the context a command runs in,
//! and how the engine's and the output layer's endings become the app's errors
//! and exit statuses (`error`). `main` only parses, runs and maps.

pub use crate::error::{ErrorKind, Exit, RunError};

use crate::config::Settings;
use crate::pipeline::{EngineError, RunEnd, RunOptions};

impl From<RunEnd> for Exit {
    fn from(end: RunEnd) -> Exit {
        match end {
            RunEnd::Done => Exit::Ok,
            RunEnd::RowsNeedAttention => Exit::RowsNeedAttention,
            RunEnd::Refused => Exit::Usage,
            RunEnd::Interrupted => Exit::Interrupted,
        }
    }
}

impl From<EngineError> for RunError {
    fn from(e: EngineError) -> RunError {
        match e {
            EngineError::Usage(m) => RunError::usage(m),
            EngineError::Fatal(m) => RunError::new(m),
        }
    }
}

impl From<crate::output::publish::OutputError> for RunError {
    fn from(e: crate::output::publish::OutputError) -> RunError {
        use crate::output::publish::OutputError;
        match e {
            OutputError::Usage(m) => RunError::usage(m),
            OutputError::Fatal(m) => RunError::new(m),
        }
    }
}

impl From<RunError> for EngineError {
    fn from(e: RunError) -> EngineError {
        match e.kind {
            ErrorKind::Usage => EngineError::Usage(e.message),
            ErrorKind::Fatal => EngineError::Fatal(e.message),
        }
    }
}

/// What every command gets from the command line: how to connect, how to run.
pub struct Context {
    pub settings: Settings,
    pub run: RunOptions,
}
