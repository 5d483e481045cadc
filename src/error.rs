//! The errors that end a command and the exit status each maps to (SPEC: Exit
//! status). A leaf: every layer that reports to the user can name them.

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
