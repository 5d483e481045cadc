//! What sits above the engine and the commands: the context a command runs in,
//! the errors that end a command, and the exit status each ending maps to
//! (SPEC: Exit status). `main` only parses, runs and maps.

use crate::config::Settings;
use crate::pipeline::{EngineError, RunEnd, RunOptions};

/// How a command ended, for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every row done (or the export complete).
    Ok = 0,
    /// A fatal error (credentials, unreadable input, unwritable output).
    Fatal = 1,
    /// A usage error, or a run refused as asked (an unconfirmed irreversible run); nothing was sent.
    Usage = 2,
    /// Finished, but some rows are `invalid`, `failed` or `deferred`.
    RowsNeedAttention = 3,
    /// Ctrl-C or SIGTERM.
    Interrupted = 130,
}

/// What kind of error ended a command: it decides the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command line or its combination with the files is wrong (exit 2).
    Usage,
    /// Anything else that stops a command (exit 1).
    Fatal,
}

/// An error that ends a command, with the message the user sees.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RunError {
    pub kind: ErrorKind,
    pub message: String,
}

impl RunError {
    /// A fatal error (exit 1).
    pub fn new(message: impl Into<String>) -> RunError {
        RunError {
            kind: ErrorKind::Fatal,
            message: message.into(),
        }
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> RunError {
        RunError {
            kind: ErrorKind::Usage,
            message: message.into(),
        }
    }

    /// The exit status this error ends the process with.
    pub fn exit(&self) -> Exit {
        match self.kind {
            ErrorKind::Usage => Exit::Usage,
            ErrorKind::Fatal => Exit::Fatal,
        }
    }
}

impl From<String> for RunError {
    fn from(message: String) -> RunError {
        RunError::new(message)
    }
}

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
