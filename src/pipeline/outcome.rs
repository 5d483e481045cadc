//! What happened to one input row: the part of a results row that zoombulk adds
//! after the input's own columns.

use chrono::{DateTime, SecondsFormat, Utc};

/// Final state of a row, as written in the `status` column (SPEC: Results CSV).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Created,
    Updated,
    Deleted,
    Registered,
    Exists,
    Skipped,
    Invalid,
    Failed,
    Deferred,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Created,
        Status::Updated,
        Status::Deleted,
        Status::Registered,
        Status::Exists,
        Status::Skipped,
        Status::Invalid,
        Status::Failed,
        Status::Deferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Updated => "updated",
            Status::Deleted => "deleted",
            Status::Registered => "registered",
            Status::Exists => "exists",
            Status::Skipped => "skipped",
            Status::Invalid => "invalid",
            Status::Failed => "failed",
            Status::Deferred => "deferred",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Done rows are kept by `--resume`; the others are tried again.
    pub fn is_done(self) -> bool {
        !matches!(self, Status::Invalid | Status::Failed | Status::Deferred)
    }
}

/// The code of a row whose first step went through and a later one did not (users
/// import: created, then a group failed). Its status says what the first step did;
/// `--resume` runs the row again and the run exits as for a failed row.
pub const E_PARTIAL: &str = "E_PARTIAL";

/// The columns zoombulk appends to each results row.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Status,
    /// The id Zoom returned (user id, registrant id), or the existing user's id for `exists`.
    pub zoom_id: Option<String>,
    /// The job's own result columns ([`crate::pipeline::job::Job::EXTRA_COLUMNS`],
    /// e.g. registrants' `join_url`), by name; a column not here is written empty.
    pub extra: Vec<(&'static str, String)>,
    /// Final HTTP status; `None` when no request was sent.
    pub http_status: Option<u16>,
    /// Zoom's numeric `code`, or a local `E_*` code.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// Requests sent for this row.
    pub attempts: u32,
    pub finished_at: DateTime<Utc>,
}

impl Outcome {
    pub fn new(status: Status) -> Outcome {
        Outcome {
            status,
            zoom_id: None,
            extra: Vec::new(),
            http_status: None,
            error_code: None,
            error_message: None,
            attempts: 0,
            finished_at: Utc::now(),
        }
    }

    /// A row rejected locally, before any request.
    /// Done and complete: kept by `--resume`, not counted as needing attention.
    pub fn is_done(&self) -> bool {
        self.status.is_done() && self.error_code.as_deref() != Some(E_PARTIAL)
    }

    pub fn invalid(code: &str, message: impl Into<String>) -> Outcome {
        Outcome {
            error_code: Some(code.to_string()),
            error_message: Some(message.into()),
            ..Outcome::new(Status::Invalid)
        }
    }

    /// Sets the job's own column `name` (nothing when `value` is `None`).
    pub fn with_extra(mut self, name: &'static str, value: Option<String>) -> Outcome {
        self.extra.retain(|(n, _)| *n != name);
        if let Some(v) = value {
            self.extra.push((name, v));
        }
        self
    }

    /// The job's own column `name`, when set.
    pub fn extra(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn finished_at_rfc3339(&self) -> String {
        self.finished_at.to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}
