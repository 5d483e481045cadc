//! Bulk writes: one file per operation. Each implements [`Job`] and plugs into the
//! shared pipeline (input, preflight, fan-out, results) and client.

pub mod registrants_import;
pub mod users_delete;
pub mod users_import;
pub mod users_update;

use std::future::Future;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use csv::StringRecord;

use crate::app::{Context, Exit, RunError};
use crate::pipeline::columns::ColumnSpec;
use crate::pipeline::input::InputFile;
use crate::pipeline::outcome::{Outcome, Status};
use crate::pipeline::{open_input, run_job, validate_only};
use crate::validate::{E_MISSING, FieldError};
use crate::zoom::{ApiError, Client, Sent};

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

    /// Consecutive rows with the same batch key may be sent in one request, up to
    /// the key's [`Job::batch_limit`].
    fn batch_key(&self, _record: &StringRecord, _row: &Self::Row) -> Option<String> {
        None
    }

    /// The most rows one request can ever carry (it sizes the re-order window).
    fn max_batch(&self) -> usize {
        1
    }

    /// How many rows of `key` one request may carry in this run. Asked once per
    /// distinct key, after connecting and before the first row goes out, because
    /// whether a batch endpoint applies can depend on Zoom's data (registrants: the
    /// meeting's type and registration settings). 1 sends those rows one by one.
    fn batch_limit(&self, _client: &Client, _key: &str) -> impl Future<Output = Result<usize, Fatal>> + Send {
        std::future::ready(Ok(self.max_batch()))
    }

    /// Requests the row will need per category (indexed by `Category as usize`), for
    /// `--dry-run`'s estimate. Counted for every row in the preflight: no allocation.
    /// A row with a batch key counts the batch request: the preflight adds it once
    /// per [`Job::max_batch`] rows of that key.
    fn request_counts(&self, record: &StringRecord, row: &Self::Row) -> [u32; 3];

    /// The requests in words (no secrets), for `--dry-run`'s preview of the first rows.
    fn describe(&self, record: &StringRecord, row: &Self::Row) -> String;

    /// Asked once the preflight has counted the `valid` rows, before connecting: a
    /// job whose writes cannot be undone gets its confirmation here. `Err` says why
    /// nothing was sent; the run ends as a usage error (exit 2).
    fn confirm(&self, _valid: u64) -> Result<(), String> {
        Ok(())
    }

    /// The record index `--resume` compares row by row to notice a changed input.
    /// `None`: the first required column.
    fn key_column(&self) -> Option<usize> {
        None
    }

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
pub struct DuplicateKey(foldhash::quality::FoldHasher<'static>);

/// A fixed seed: both passes over the file must agree on every hash.
static KEY_SEED: foldhash::quality::FixedState =
    foldhash::quality::FixedState::with_seed(0x5eed_2b01_c0ff_ee00);

impl DuplicateKey {
    pub fn new() -> DuplicateKey {
        DuplicateKey(std::hash::BuildHasher::build_hasher(&KEY_SEED))
    }

    /// A part compared case-insensitively (emails), written in one piece so the
    /// hash depends only on the lower-cased text.
    pub fn folded(&mut self, part: &str) -> &mut Self {
        use std::hash::Hasher;
        let mut buf = [0u8; 256];
        match buf.get_mut(..part.len()).filter(|_| part.is_ascii()) {
            Some(lower) => {
                lower.copy_from_slice(part.as_bytes());
                lower.make_ascii_lowercase();
                self.0.write(lower);
            }
            None => self.0.write(part.to_lowercase().as_bytes()),
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

    /// A numeric part (meeting ids), so `812 3456 7890` and `81234567890` agree.
    pub fn number(&mut self, part: u64) -> &mut Self {
        use std::hash::Hasher;
        self.0.write_u64(part);
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

/// Header texts spreadsheets and HR exports use for `email`.
pub const EMAIL_ALIASES: &[&str] = &[
    "email address",
    "e-mail",
    "e-mail address",
    "mail",
    "work email",
    "email id",
    "primary email",
    "user email",
];
pub const FIRST_NAME_ALIASES: &[&str] = &[
    "first name",
    "firstname",
    "given name",
    "forename",
    "legal first name",
];
pub const LAST_NAME_ALIASES: &[&str] = &[
    "last name",
    "lastname",
    "surname",
    "family name",
    "legal last name",
];
pub const DISPLAY_NAME_ALIASES: &[&str] = &["display name", "full name"];
pub const USER_TYPE_ALIASES: &[&str] = &["user type", "license type", "licence type", "license", "licence"];
/// `id` is what `users export` writes, so an export can be edited and fed back.
pub const USER_ID_ALIASES: &[&str] = &["id", "user id", "zoom user id", "zoom id", "userid"];

/// Which user a row is about (users update, users delete): the `user_id` cell when
/// given (Zoom's `{userId}` takes an id or an email), else the `email` cell.
pub struct UserKey {
    user_id: Option<usize>,
    email: Option<usize>,
}

impl UserKey {
    /// The file must have one of the two columns; neither is required on its own.
    pub fn bind(input: &InputFile) -> Result<UserKey, String> {
        let key = UserKey {
            user_id: input.column("user_id"),
            email: input.column("email"),
        };
        if key.user_id.is_none() && key.email.is_none() {
            return Err(format!(
                "{}: no column says which user a row is about. Add a column named user_id (also accepted: {}) \
                 or email (also accepted: {}).",
                input.path.display(),
                USER_ID_ALIASES.join(", "),
                EMAIL_ALIASES.join(", ")
            ));
        }
        Ok(key)
    }

    /// The `{userId}` of the row's requests.
    pub fn of<'r>(&self, record: &'r StringRecord) -> &'r str {
        match cell(record, self.user_id) {
            "" => cell(record, self.email),
            id => id,
        }
    }

    /// The column the row's user comes from, for messages.
    pub fn column_name(&self, record: &StringRecord) -> &'static str {
        if cell(record, self.user_id).is_empty() {
            "email"
        } else {
            "user_id"
        }
    }

    /// Checks that the row names a user, by an id or a well-formed email.
    pub fn check(&self, record: &StringRecord) -> Result<(), FieldError> {
        if !cell(record, self.user_id).is_empty() {
            return Ok(());
        }
        match (self.user_id, self.email) {
            (Some(_), None) => Err(FieldError::new(
                E_MISSING,
                "user_id is empty; give the user's Zoom id or email address.",
            )),
            (Some(_), Some(_)) if cell(record, self.email).is_empty() => Err(FieldError::new(
                E_MISSING,
                "user_id and email are both empty; give the user's Zoom id or email address.",
            )),
            _ => crate::validate::email(cell(record, self.email)),
        }
    }

    /// Emails compare case-insensitively, ids exactly.
    pub fn duplicate_key(&self, record: &StringRecord, key: &mut DuplicateKey) {
        let user = self.of(record);
        if user.contains('@') {
            key.folded(user);
        } else {
            key.exact(user);
        }
    }

    /// The column `--resume` compares: the one that names users in this file.
    pub fn column(&self) -> Option<usize> {
        self.user_id.or(self.email)
    }
}

/// A row done in several requests (users update: profile, then password, then
/// status). Its outcome says which steps went through, so a partly applied row can
/// be understood and fixed: `profile updated; password failed: …`.
#[derive(Default)]
pub struct Steps {
    parts: Vec<String>,
    /// The first step that did not go through: the row's code and HTTP status.
    first_problem: Option<Outcome>,
    failed: bool,
    last_status: Option<u16>,
    attempts: u32,
    stopped: bool,
}

impl Steps {
    /// Sends one step, e.g. `("password", "set", client.set_password(…))`, unless an
    /// earlier step made it pointless (the call is then never polled, so never sent).
    /// `Err` when the run must stop (the credentials stopped working).
    pub async fn step<T>(
        &mut self,
        what: &str,
        verb: &str,
        call: impl Future<Output = Result<Sent<T>, ApiError>>,
    ) -> Result<(), Fatal> {
        if self.stopped {
            self.parts.push(format!("{what} not tried"));
            return Ok(());
        }
        match call.await {
            Ok(sent) => {
                self.attempts += sent.attempts;
                self.last_status = Some(sent.status);
                self.parts.push(format!("{what} {verb}"));
            }
            Err(err) => {
                let outcome = outcome_for_error(&err)?;
                self.attempts += outcome.attempts;
                self.last_status = outcome.http_status.or(self.last_status);
                let word = if outcome.status == Status::Deferred {
                    "deferred"
                } else {
                    "failed"
                };
                self.parts.push(format!(
                    "{what} {word}: {}",
                    outcome.error_message.as_deref().unwrap_or("")
                ));
                self.failed |= outcome.status == Status::Failed;
                // After a 404 (the user is gone) or an abort, the next steps cannot go better.
                self.stopped |= err.status() == Some(404) || matches!(err, ApiError::Aborted { .. });
                self.first_problem.get_or_insert(outcome);
            }
        }
        Ok(())
    }

    /// `success` when every step went through; else `failed` (or `deferred` when
    /// only daily limits stood in the way) with the first problem's code.
    pub fn outcome(self, success: Status) -> Outcome {
        let Some(problem) = self.first_problem else {
            return Outcome {
                http_status: self.last_status,
                attempts: self.attempts,
                ..Outcome::new(success)
            };
        };
        Outcome {
            status: if self.failed {
                Status::Failed
            } else {
                Status::Deferred
            },
            error_message: Some(self.parts.join("; ")),
            attempts: self.attempts,
            ..problem
        }
    }
}

/// Runs a bulk write: read the file, bind the job to its columns, run the pipeline.
pub async fn run_command<J: Job, E: Into<RunError>>(
    file: &Path,
    ctx: &Context,
    bind: impl FnOnce(&InputFile) -> Result<J, E>,
) -> Result<Exit, RunError> {
    let input = open_input::<J>(file)?;
    let job = bind(&input).map_err(Into::into)?;
    run_job(job, input, &ctx.run, async || ctx.settings.connect().await).await
}

/// `zoombulk validate KIND FILE …`: the same binding, checked offline.
pub fn validate_command<J: Job, E: Into<RunError>>(
    file: &Path,
    bind: impl FnOnce(&InputFile) -> Result<J, E>,
) -> Result<Exit, RunError> {
    let input = open_input::<J>(file)?;
    let job = bind(&input).map_err(Into::into)?;
    validate_only(&job, &input)
}

#[cfg(test)]
mod tests {
    use super::DuplicateKey;

    fn folded(s: &str) -> u64 {
        DuplicateKey::new().folded(s).finish()
    }

    #[test]
    fn duplicate_keys_ignore_case_and_tell_different_keys_apart() {
        assert_eq!(folded("Ada@Example.com"), folded("ada@example.COM"));
        assert_ne!(folded("ada@example.com"), folded("adb@example.com"));
        let long = "x".repeat(300);
        assert_eq!(
            folded(&long.to_uppercase()),
            folded(&long),
            "past the stack buffer too"
        );
        assert_eq!(folded("ÉLODIE@example.com"), folded("élodie@example.com"));
        // Parts are delimited: ("ab", "c") is not ("a", "bc").
        let a = DuplicateKey::new().folded("ab").folded("c").finish();
        let b = DuplicateKey::new().folded("a").folded("bc").finish();
        assert_ne!(a, b);
    }
}
