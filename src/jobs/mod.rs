//! Bulk writes: one file per operation. Each implements [`Job`] and plugs into the
//! shared pipeline (input, preflight, fan-out, results) and client.

pub mod users_import;

use std::future::Future;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use csv::StringRecord;

use crate::config::Settings;
use crate::pipeline::columns::ColumnSpec;
use crate::pipeline::input::InputFile;
use crate::pipeline::outcome::{Outcome, Status};
use crate::pipeline::{Exit, RunError, RunOptions, open_input, run_job, validate_only};
use crate::validate::FieldError;
use crate::zoom::{ApiError, Client};

/// A run-stopping error met while doing a row (credentials revoked mid-run).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Fatal(pub String);

/// One bulk operation: how to read a row, check it, and do it against Zoom.
pub trait Job: Send + Sync + 'static {
    /// A checked input row, ready to send.
    type Row: Send + 'static;

    /// `validate` KIND and message prefix, e.g. `users-import`.
    const KIND: &'static str;

    /// What makes two rows duplicates, in words (`email`, `email and meeting`).
    const KEY_NAME: &'static str;

    /// The columns this job reads, with their aliases.
    fn columns() -> &'static [ColumnSpec];

    /// Checks one record against Zoom's field rules (no network). Runs for every
    /// row in the preflight, so the row should be cheap: what `run` needs beyond
    /// the record itself (parsed enums, not copies of cells).
    fn parse(&self, record: &StringRecord) -> Result<Self::Row, FieldError>;

    /// Feeds the row's duplicate key (SPEC: same email; email + meeting) into
    /// `key`; rows with equal keys are duplicates. Returns false when the row has none.
    fn duplicate_key(&self, record: &StringRecord, row: &Self::Row, key: &mut DuplicateKey) -> bool;

    /// Rows with the same batch key may be sent in one request, up to [`Job::max_batch`].
    fn batch_key(&self, _record: &StringRecord, _row: &Self::Row) -> Option<String> {
        None
    }

    fn max_batch(&self) -> usize {
        1
    }

    /// Requests the row will need per category (indexed by `Category as usize`), for
    /// `--dry-run`'s estimate. Counted for every row in the preflight: no allocation.
    fn request_counts(&self, record: &StringRecord, row: &Self::Row) -> [u32; 3];

    /// The requests in words (no secrets), for `--dry-run`'s preview of the first rows.
    fn describe(&self, record: &StringRecord, row: &Self::Row) -> String;

    /// Record indexes whose values must never be written out (passwords).
    fn secret_columns(&self) -> Vec<usize> {
        Vec::new()
    }

    /// Whether the results carry a `join_url` column.
    fn has_join_url() -> bool {
        false
    }

    /// Does `rows` (one, or one batch) against Zoom: one outcome per row, in order.
    fn run(
        &self,
        client: &Client,
        rows: Vec<(&StringRecord, Self::Row)>,
    ) -> impl Future<Output = Result<Vec<Outcome>, Fatal>> + Send;
}

/// A duplicate key, hashed as it is fed: no allocation per row, 8 bytes a key.
pub struct DuplicateKey(std::hash::DefaultHasher);

impl DuplicateKey {
    pub fn new() -> DuplicateKey {
        DuplicateKey(std::hash::DefaultHasher::new())
    }

    /// A part compared case-insensitively (emails).
    pub fn folded(&mut self, part: &str) -> &mut Self {
        use std::hash::Hasher;
        if part.is_ascii() {
            // The common case, lower-cased through a stack buffer.
            let mut buf = [0u8; 64];
            for chunk in part.as_bytes().chunks(buf.len()) {
                let lower = &mut buf[..chunk.len()];
                lower.copy_from_slice(chunk);
                lower.make_ascii_lowercase();
                self.0.write(lower);
            }
        } else {
            let mut utf8 = [0u8; 4];
            for c in part.chars().flat_map(char::to_lowercase) {
                self.0.write(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
        self.0.write_u8(0xff);
        self
    }

    /// A part compared exactly (ids).
    pub fn exact(&mut self, part: &str) -> &mut Self {
        use std::hash::Hasher;
        self.0.write(part.as_bytes());
        self.0.write_u8(0xff);
        self
    }

    pub fn finish(&self) -> u64 {
        std::hash::Hasher::finish(&self.0)
    }
}

impl Default for DuplicateKey {
    fn default() -> Self {
        DuplicateKey::new()
    }
}

/// The outcome of a row whose request ended in `err`; `Err` when the whole run must stop.
pub fn outcome_for_error(err: &ApiError) -> Result<Outcome, Fatal> {
    let mut outcome = match err {
        ApiError::Auth { message } => return Err(Fatal(message.clone())),
        ApiError::Zoom { code, message, .. } => Outcome {
            error_code: Some(code.map_or_else(|| "E_HTTP".to_string(), |c| c.to_string())),
            error_message: Some(message.clone()),
            ..Outcome::new(Status::Failed)
        },
        ApiError::DailyLimit {
            reset_at,
            message,
            status,
            scope,
            ..
        } => Outcome {
            error_code: Some(if status.is_some() {
                "429".into()
            } else {
                "E_DAILY_LIMIT".into()
            }),
            error_message: Some(format!(
                "{message} Not sent: Zoom's daily limit for {scope} is used up; re-run with --resume after {}.",
                reset_text(*reset_at)
            )),
            ..Outcome::new(Status::Deferred)
        },
        ApiError::Transport { message, .. } => Outcome {
            error_code: Some("E_NETWORK".into()),
            error_message: Some(format!("{message}; re-run with --resume to try again")),
            ..Outcome::new(Status::Failed)
        },
        ApiError::Aborted { .. } => Outcome {
            error_code: Some("E_ABORTED".into()),
            error_message: Some(err.to_string()),
            ..Outcome::new(Status::Failed)
        },
    };
    outcome.http_status = err.status();
    outcome.attempts = err.attempts();
    Ok(outcome)
}

/// A reset time as users read it.
pub fn reset_text(reset_at: Option<DateTime<Utc>>) -> String {
    reset_at.map_or_else(
        || "00:00 UTC".to_string(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// The cell at `index`, trimmed; empty when the column is absent.
pub fn cell(record: &StringRecord, index: Option<usize>) -> &str {
    index.and_then(|i| record.get(i)).map_or("", str::trim)
}

/// What every command gets from the command line: how to connect, how to run.
pub struct Context {
    pub settings: Settings,
    pub run: RunOptions,
}

/// Runs a bulk write: read the file, bind the job to its columns, run the pipeline.
pub async fn run_command<J: Job>(
    file: &Path,
    ctx: &Context,
    bind: impl FnOnce(&InputFile) -> Result<J, String>,
) -> Result<Exit, RunError> {
    let input = open_input::<J>(file)?;
    let job = bind(&input).map_err(RunError)?;
    run_job(job, input, &ctx.run, async || ctx.settings.connect().await).await
}

/// `zoombulk validate KIND FILE …`: the same binding, checked offline.
pub fn validate_command<J: Job>(
    file: &Path,
    bind: impl FnOnce(&InputFile) -> Result<J, String>,
) -> Result<Exit, RunError> {
    let input = open_input::<J>(file)?;
    let job = bind(&input).map_err(RunError)?;
    validate_only(&job, &input)
}
