//! The interface between the engine and a bulk write: how a job reads, checks and
//! does a row. The engine (`pipeline`) owns it, so jobs depend on the engine and
//! never the other way round.

use std::future::Future;

use chrono::{DateTime, SecondsFormat, Utc};
use csv::StringRecord;

use super::columns::ColumnSpec;
use super::outcome::{Outcome, Status};
use crate::validate::FieldError;
use crate::zoom::{ApiError, Category, Client, Sent};

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

    /// What rows of one target share ([`Job::batch_key`]): a meeting, a transfer
    /// user. `()` for jobs whose rows share nothing.
    type BatchKey: Clone + Ord + Send + Sync + 'static;

    /// The job's own result columns, written between `zoom_id` and `http_status`
    /// from [`Outcome::extra`] (registrants: `join_url`).
    const EXTRA_COLUMNS: &'static [&'static str] = &[];

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

    /// Rows with the same key go to the same target (a meeting): the target is
    /// checked once ([`Job::plan_key`]), and consecutive rows that
    /// [`Job::joins_batch`] may be sent in one request.
    fn batch_key(&self, _record: &StringRecord, _row: &Self::Row) -> Option<Self::BatchKey> {
        None
    }

    /// Whether the row may share a request with others of its key.
    fn joins_batch(&self, _row: &Self::Row) -> bool {
        true
    }

    /// The most rows one request can ever carry (it sizes the re-order window).
    fn max_batch(&self) -> usize {
        1
    }

    /// What to do with the rows of `key` in this run. Asked once per distinct key,
    /// after connecting and before the first row goes out, because it can depend
    /// on Zoom's data (registrants: whether the meeting exists, takes
    /// registrations, and takes batches). A target that dooms its rows is said
    /// here once, not found out by one failing request per row.
    fn plan_key(
        &self,
        _client: &Client,
        _key: &Self::BatchKey,
    ) -> impl Future<Output = Result<KeyPlan, Fatal>> + Send {
        std::future::ready(Ok(KeyPlan::Send {
            per_request: self.max_batch(),
        }))
    }

    /// Requests the row will need per category (indexed by `Category as usize`), for
    /// `--dry-run`'s estimate. Counted for every row in the preflight: no allocation.
    /// A row with a batch key counts the batch request: the preflight adds it once
    /// per [`Job::max_batch`] rows of that key.
    fn request_counts(&self, record: &StringRecord, row: &Self::Row) -> [u32; 3];

    /// Rows now waiting for a shared request ([`crate::pipeline::batcher::Batcher`]):
    /// they send nothing meanwhile, so they do not count against the in-flight bound
    /// (else rows waiting for a batch to fill would keep the rows that fill it out).
    fn parked(&self) -> usize {
        0
    }

    /// Requests rows share beyond what [`Job::request_counts`] counts per row (30
    /// users a group-members call), from the job's own count of the file, for
    /// `--dry-run`.
    fn shared_requests(&self) -> Vec<SharedRequests> {
        Vec::new()
    }

    /// The daily quota the row's request counts against, if any (FACTS:
    /// per-endpoint caps), and whose quota it is, so `--dry-run` can say what
    /// today's quota allows and a run defers rows past a per-holder cap unsent.
    fn daily_cap(&self, _record: &StringRecord, _row: &Self::Row) -> Option<CapUse> {
        None
    }

    /// Who the row's per-holder quota belongs to, in words (`host ada@example.com`).
    fn cap_holder(&self, _record: &StringRecord, _row: &Self::Row) -> String {
        "the account".into()
    }

    /// The requests in words (no secrets), for `--dry-run`'s preview of the first rows.
    fn describe(&self, record: &StringRecord, row: &Self::Row) -> String;

    /// The row's steps in words (`email change`, `profile update`), which
    /// `--dry-run` counts over the file. Empty for one-request jobs.
    fn steps(&self, _record: &StringRecord, _row: &Self::Row) -> Vec<&'static str> {
        Vec::new()
    }

    /// What the whole run does beyond its requests, as `--dry-run` says it before
    /// the preview (users delete: what is and is not transferred).
    fn run_notes(&self) -> Vec<String> {
        Vec::new()
    }

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

    /// This run's outcome of a row that `--resume` ran again, given what an
    /// earlier run said of it (a create that went through before a later step
    /// failed). The job knows what its statuses mean across runs; by default this
    /// run's outcome stands.
    fn after_earlier(&self, _earlier: &Outcome, now: Outcome) -> Outcome {
        now
    }

    /// Does one row against Zoom. `Err` only when the whole run must stop.
    fn run_row(
        &self,
        client: &Client,
        record: &StringRecord,
        row: Self::Row,
    ) -> impl Future<Output = Result<Outcome, Fatal>> + Send;

    /// Does several rows of one batch key in one request; one outcome per row, in
    /// order. Only called with more than one row, and only for jobs whose
    /// [`Job::batch_limit`] allows it.
    fn run_batch(
        &self,
        client: &Client,
        rows: Vec<(&StringRecord, Self::Row)>,
    ) -> impl Future<Output = Result<Vec<Outcome>, Fatal>> + Send {
        async move {
            let mut outcomes = Vec::with_capacity(rows.len());
            for (record, row) in rows {
                outcomes.push(self.run_row(client, record, row).await?);
            }
            Ok(outcomes)
        }
    }
}

/// Requests that several rows share ([`Job::shared_requests`]).
#[derive(Debug, Clone)]
pub struct SharedRequests {
    /// The endpoint and how rows share it, in words.
    pub what: String,
    pub category: Category,
    pub requests: u64,
    /// An endpoint limit of its own: one request per this long.
    pub paced_every: Option<std::time::Duration>,
}

/// A daily quota of Zoom's on top of the rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DailyCap {
    /// `POST /users` with `action=create`, per account.
    UserInvites,
    /// `POST /users/{userId}/meetings` and `PATCH /meetings/{meetingId}`, per host.
    MeetingWrites,
}

/// Zoom's meeting create/update requests per host per UTC day (FACTS: Rate limits).
pub const MEETING_WRITES_PER_HOST: u64 = 100;

impl DailyCap {
    /// Requests a day (per holder: the account, or one host) on the plan of `rates`.
    pub fn per_day(self, rates: &crate::zoom::RateTable) -> u64 {
        match self {
            DailyCap::UserInvites => u64::from(rates.daily_user_invites),
            DailyCap::MeetingWrites => MEETING_WRITES_PER_HOST,
        }
    }

    /// Whether each holder has its own quota (then it is known up front which
    /// rows are past it, and a run defers them without sending).
    pub fn per_holder(self) -> bool {
        matches!(self, DailyCap::MeetingWrites)
    }

    pub fn describe(self) -> &'static str {
        match self {
            DailyCap::UserInvites => "user invites (POST /users action=create)",
            DailyCap::MeetingWrites => "meeting creates/updates per host",
        }
    }

    /// The outcome of a row past a per-holder cap: deferred, nothing sent.
    pub fn deferred(self, holder: &str, per_day: u64) -> Outcome {
        Outcome {
            error_code: Some("E_DAILY_CAP".into()),
            error_message: Some(format!(
                "Not sent: earlier rows of the file use up Zoom's daily quota of {per_day} {} for {holder}; \
                 re-run with --resume after 00:00 UTC.",
                self.describe()
            )),
            ..Outcome::new(Status::Deferred)
        }
    }
}

/// A row's use of a daily quota: which, and whose (a hash of the holder, e.g.
/// the host; 0 for the account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CapUse {
    pub cap: DailyCap,
    pub holder: u64,
}

impl CapUse {
    pub fn account(cap: DailyCap) -> CapUse {
        CapUse { cap, holder: 0 }
    }

    /// Counted per holder (emails case-insensitively).
    pub fn holder(cap: DailyCap, holder: &str) -> CapUse {
        CapUse {
            cap,
            holder: DuplicateKey::new().folded(holder).finish(),
        }
    }
}

/// Rows seen per holder of a per-holder cap: which rows fit in today's quota.
#[derive(Debug, Default)]
pub struct CapCounter(std::collections::HashMap<CapUse, u64>);

impl CapCounter {
    /// Counts the row; `false` when it is past its holder's quota for today.
    pub fn admit(&mut self, used: CapUse, rates: &crate::zoom::RateTable) -> bool {
        if !used.cap.per_holder() {
            return true;
        }
        let n = self.0.entry(used).or_default();
        *n += 1;
        *n <= used.cap.per_day(rates)
    }
}

/// The engine's plan for the rows of one key ([`Job::plan_key`]).
#[derive(Debug, Clone)]
pub enum KeyPlan {
    /// Send them, up to this many rows a request.
    Send { per_request: usize },
    /// Send none: every row of the key gets this outcome (0 attempts).
    Doomed(Outcome),
}

impl KeyPlan {
    pub fn per_request(&self) -> usize {
        match self {
            KeyPlan::Send { per_request } => *per_request,
            KeyPlan::Doomed(_) => 1,
        }
    }
}

/// Zoom errors that will be the same for every later request of the run: a
/// missing OAuth scope (400/4711). After the first, rows are not sent.
pub fn dooms_the_run(outcome: &Outcome) -> bool {
    outcome.error_code.as_deref() == Some("4711")
}

/// A duplicate key, hashed as it is fed: no allocation per row, 8 bytes a key.
pub struct DuplicateKey(foldhash::quality::FoldHasher<'static>);

/// `w`'s bytes `A`..=`Z` made lower case; every other byte (non-ASCII ones
/// included) unchanged. The sums stay within each byte: no carry between them.
fn lower_word(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    let heptets = w & !HIGH;
    let from_a = heptets.wrapping_add(ONES * u64::from(0x80 - b'A'));
    let past_z = heptets.wrapping_add(ONES * u64::from(0x80 - b'Z' - 1));
    let upper = from_a & !past_z & !w & HIGH;
    w | (upper >> 2)
}

/// A fixed seed: both passes over the file must agree on every hash.
static KEY_SEED: foldhash::quality::FixedState =
    foldhash::quality::FixedState::with_seed(0x5eed_2b01_c0ff_ee00);

impl DuplicateKey {
    pub fn new() -> DuplicateKey {
        DuplicateKey(std::hash::BuildHasher::build_hasher(&KEY_SEED))
    }

    /// A part compared case-insensitively (emails): the hash depends only on
    /// the lower-cased text.
    pub fn folded(&mut self, part: &str) -> &mut Self {
        use std::hash::Hasher;
        if part.is_ascii() {
            self.ascii_lowered(part.as_bytes());
        } else {
            self.ascii_lowered(part.to_lowercase().as_bytes());
        }
        self.0.write_u8(0xff);
        self
    }

    /// Feeds `bytes` with ASCII capitals lowered, sixteen bytes a step, without
    /// a lower-cased copy. The length goes first: the last step overlaps the one
    /// before it (or, under 16 bytes, is padded with zeros, which must not read
    /// as `\0` bytes of a longer part).
    fn ascii_lowered(&mut self, bytes: &[u8]) {
        use std::hash::Hasher;
        self.0.write_usize(bytes.len());
        let pair = |b: &[u8; 16]| {
            let (lo, hi) = b.split_at(8);
            let word = |h: &[u8]| {
                h.first_chunk::<8>()
                    .map_or(0, |w| lower_word(u64::from_le_bytes(*w)))
            };
            u128::from(word(lo)) | (u128::from(word(hi)) << 64)
        };
        let Some(last) = bytes.last_chunk::<16>() else {
            let mut short = [0u8; 16];
            short[..bytes.len()].copy_from_slice(bytes);
            self.0.write_u128(pair(&short));
            return;
        };
        let mut steps = bytes.chunks_exact(16);
        for step in steps.by_ref().filter_map(|s| s.first_chunk::<16>()) {
            self.0.write_u128(pair(step));
        }
        if !steps.remainder().is_empty() {
            self.0.write_u128(pair(last));
        }
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
            // One code for every row the daily limit stopped; `http_status` 429
            // tells the row Zoom answered from the rows never sent.
            error_code: Some("E_DAILY_LIMIT".into()),
            error_message: Some(match status {
                Some(_) => format!(
                    "Zoom's daily limit for {scope} is used up ({message}); re-run with --resume after {}.",
                    reset_text(*reset_at)
                ),
                None => format!(
                    "Not sent: Zoom's daily limit for {scope} was used up earlier in this run; re-run with \
                     --resume after {}.",
                    reset_text(*reset_at)
                ),
            }),
            http_status: *status,
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
    index
        .and_then(|i| record.get(i))
        .map_or("", crate::validate::trim)
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
        self.step_with(what, |_| verb, call).await
    }

    /// [`Steps::step`] whose word depends on Zoom's answer (a member who was not
    /// in the group: "not a member, nothing to leave", not "left").
    pub async fn step_with<'v, T>(
        &mut self,
        what: &str,
        verb: impl FnOnce(&Sent<T>) -> &'v str,
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
                self.parts.push(format!("{what} {}", verb(&sent)));
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

    /// A step that failed before anything was sent (a local file changed since the
    /// preflight): `code` and `message` say why.
    pub fn failed_locally(&mut self, what: &str, code: &str, message: String) {
        if self.stopped {
            self.parts.push(format!("{what} not tried"));
            return;
        }
        self.parts.push(format!("{what} failed: {message}"));
        self.failed = true;
        self.first_problem.get_or_insert(Outcome {
            error_code: Some(code.to_string()),
            error_message: Some(message),
            ..Outcome::new(Status::Failed)
        });
    }

    /// `success` when every step went through; else `failed` (or `deferred` when
    /// only daily limits stood in the way) with the first problem's code. Either
    /// way the message lists what each step did.
    pub fn outcome(self, success: Status) -> Outcome {
        let Some(problem) = self.first_problem else {
            return Outcome {
                http_status: self.last_status,
                attempts: self.attempts,
                error_message: (!self.parts.is_empty()).then(|| self.parts.join("; ")),
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

    #[test]
    fn folded_keys_lower_every_ascii_capital_at_every_position() {
        for len in 1..=20 {
            for at in 0..len {
                for c in 0u8..0x80 {
                    let mut v = vec![b'x'; len];
                    v[at] = c;
                    let mut lower = v.clone();
                    lower.make_ascii_lowercase();
                    let (v, lower) = (String::from_utf8(v).unwrap(), String::from_utf8(lower).unwrap());
                    assert_eq!(folded(&v), folded(&lower), "{v:?}");
                    if c.is_ascii_uppercase() || c.is_ascii_lowercase() {
                        let mut other = lower.clone().into_bytes();
                        other[at] = if c.eq_ignore_ascii_case(&b'z') {
                            b'a'
                        } else {
                            c.to_ascii_lowercase() + 1
                        };
                        assert_ne!(folded(&lower), folded(&String::from_utf8(other).unwrap()));
                    }
                }
            }
        }
        // A zero-padded last word is not a part with NUL bytes.
        assert_ne!(folded("ab"), folded("ab\0"));
        assert_ne!(folded("abcdefgh"), folded("abcdefgh\0"));
        // Non-ASCII: lowered by Unicode, and agreeing with ASCII where the two meet
        // (the Kelvin sign lowers to `k`).
        assert_eq!(folded("\u{212a}@x.com"), folded("K@X.com"));
        assert_eq!(folded("ÀDA@X.COM"), folded("àda@x.com"));
        assert_ne!(folded("àda@x.com"), folded("ada@x.com"));
    }
}
