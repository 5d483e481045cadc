//! `zoombulk users update FILE.csv`: change existing users, one row each.
//!
//! A row takes up to five requests, in this order: `PUT …/email` (`new_email`),
//! `PATCH /users/{userId}` for the profile columns, `POST …/picture`, `PUT
//! …/password`, `PUT …/status`. Each step's result is kept, so a partly applied row
//! says what went through ("profile updated; password failed: …") and stays
//! `failed` until every step is done. Re-running it (`--resume`) is safe: every step
//! sets a value, none changes one by a delta; an e-mail changed by an earlier run is
//! recognised, and the later steps then name the user by the new address.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use csv::StringRecord;
use serde_json::{Map, Value};

use super::{
    Context, DISPLAY_NAME_ALIASES, DuplicateKey, EMAIL_ALIASES, FIRST_NAME_ALIASES, Fatal, Job,
    LAST_NAME_ALIASES, Steps, USER_ID_ALIASES, USER_TYPE_ALIASES, UserKey, cell, run_command,
    validate_command,
};
use crate::app::{Exit, RunError};
use crate::cli::users::UpdateArgs as Args;
use crate::pipeline::columns::ColumnSpec;
use crate::pipeline::input::InputFile;
use crate::pipeline::outcome::{Outcome, Status};
use crate::validate::{self, E_DUPLICATE, E_VALUE, FieldError, quoted};
use crate::zoom::users::{EMAIL_CHANGES_PER_DAY, PICTURE_MAX_BYTES, is_email_change_limit, picture_mime};
use crate::zoom::{ApiError, Client, Sent};

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    run_command(&args.file, ctx, |input| UsersUpdate::new(input, args)).await
}

pub fn validate(args: &Args) -> Result<Exit, RunError> {
    validate_command(&args.file, |input| UsersUpdate::new(input, args))
}

/// How a profile column is checked and sent.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Free text, with Zoom's length limit where it has one.
    Text(Option<usize>),
    /// Names: [`validate::name`]'s rules.
    Name(usize),
    UserType,
    Pmi,
    HostKey,
    Flag,
    Email,
    PronounsOption,
}

impl Kind {
    /// Whether `--clear-empty` may send "" (Zoom takes it only for text).
    fn clearable(self) -> bool {
        matches!(self, Kind::Text(_) | Kind::Name(_) | Kind::Email)
    }
}

/// The `PATCH /users/{userId}` fields, with how each is checked (FACTS: Users; the
/// lengths are the 2026 Users spec's).
const PROFILE: &[(ColumnSpec, Kind)] = &[
    (
        ColumnSpec::optional("first_name", FIRST_NAME_ALIASES),
        Kind::Name(64),
    ),
    (
        ColumnSpec::optional("last_name", LAST_NAME_ALIASES),
        Kind::Name(64),
    ),
    (
        ColumnSpec::optional("display_name", DISPLAY_NAME_ALIASES),
        Kind::Name(128),
    ),
    (ColumnSpec::optional("type", USER_TYPE_ALIASES), Kind::UserType),
    (ColumnSpec::optional("pmi", &["personal meeting id"]), Kind::Pmi),
    (
        ColumnSpec::optional("use_pmi", &["use personal meeting id"]),
        Kind::Flag,
    ),
    (ColumnSpec::optional("timezone", &["time zone"]), Kind::Text(None)),
    (ColumnSpec::optional("language", &[]), Kind::Text(None)),
    (ColumnSpec::optional("dept", &["department"]), Kind::Text(None)),
    (
        ColumnSpec::optional("vanity_name", &["vanity url name", "personal link name"]),
        Kind::Text(None),
    ),
    (ColumnSpec::optional("host_key", &[]), Kind::HostKey),
    (ColumnSpec::optional("cms_user_id", &["cms id"]), Kind::Text(None)),
    (ColumnSpec::optional("job_title", &[]), Kind::Text(Some(128))),
    (
        ColumnSpec::optional("company", &["company name"]),
        Kind::Text(Some(255)),
    ),
    (
        ColumnSpec::optional("location", &["office location"]),
        Kind::Text(Some(256)),
    ),
    (ColumnSpec::optional("phone_number", &["phone"]), Kind::Text(None)),
    (ColumnSpec::optional("manager", &["manager email"]), Kind::Email),
    (ColumnSpec::optional("pronouns", &[]), Kind::Text(None)),
    (ColumnSpec::optional("pronouns_option", &[]), Kind::PronounsOption),
];

static COLUMNS: LazyLock<Vec<ColumnSpec>> = LazyLock::new(|| {
    let mut columns = vec![
        ColumnSpec::optional("user_id", USER_ID_ALIASES),
        ColumnSpec::optional("email", EMAIL_ALIASES),
        ColumnSpec::optional("password", &["new password"]),
        ColumnSpec::optional("status", &["user status"]),
        ColumnSpec::optional(
            "new_email",
            &["new email", "new email address", "change email to"],
        ),
        ColumnSpec::optional(
            "picture",
            &["profile picture", "photo", "picture path", "pic_file"],
        ),
    ];
    columns.extend(PROFILE.iter().map(|(spec, _)| *spec));
    columns
});

pub struct UsersUpdate {
    key: UserKey,
    /// The profile columns the file has: (field name, kind, record index).
    profile: Vec<(&'static str, Kind, usize)>,
    password: Option<usize>,
    status: Option<usize>,
    host_key: Option<usize>,
    new_email: Option<usize>,
    picture: Option<usize>,
    /// Where relative `picture` paths start: the input file's directory (the
    /// current directory for stdin).
    picture_dir: PathBuf,
    /// `new_email` values (lower-cased) that more than one row asks for.
    taken_twice: HashSet<String>,
    clear_empty: bool,
}

/// What a row changes. Values are read from the record when sent.
pub struct UpdateRow {
    profile: bool,
    password: bool,
    status: Option<StatusChange>,
    new_email: bool,
    picture: bool,
}

#[derive(Debug, Clone, Copy)]
enum StatusChange {
    Activate,
    Deactivate,
}

impl StatusChange {
    fn action(self) -> &'static str {
        match self {
            StatusChange::Activate => "activate",
            StatusChange::Deactivate => "deactivate",
        }
    }

    fn done(self) -> &'static str {
        match self {
            StatusChange::Activate => "activated",
            StatusChange::Deactivate => "deactivated",
        }
    }
}

impl UsersUpdate {
    pub fn new(input: &InputFile, args: &Args) -> Result<UsersUpdate, String> {
        let key = UserKey::bind(input)?;
        let profile: Vec<_> = PROFILE
            .iter()
            .filter_map(|(spec, kind)| input.column(spec.name).map(|i| (spec.name, *kind, i)))
            .collect();
        let (password, status) = (input.column("password"), input.column("status"));
        let (new_email, picture) = (input.column("new_email"), input.column("picture"));
        if profile.is_empty() && [password, status, new_email, picture].iter().all(Option::is_none) {
            let names: Vec<&str> = PROFILE.iter().map(|(spec, _)| spec.name).collect();
            return Err(format!(
                "{}: no column says what to change. Add at least one of {}, password, status, new_email, \
                 picture.",
                input.path.display(),
                names.join(", ")
            ));
        }
        let picture_dir = match input.path.parent() {
            _ if input.path.as_os_str() == "-" => PathBuf::from("."),
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(UsersUpdate {
            key,
            profile,
            password,
            status,
            host_key: input.column("host_key"),
            new_email,
            picture,
            picture_dir,
            taken_twice: new_emails_taken_twice(input, new_email)?,
            clear_empty: args.clear_empty,
        })
    }

    /// The row's `picture` path, resolved.
    fn picture_path(&self, record: &StringRecord) -> PathBuf {
        let cell = cell(record, self.picture);
        let path = Path::new(cell);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.picture_dir.join(path)
        }
    }

    /// Checks the `new_email` cell: well-formed, asked for by this row only.
    fn check_new_email(&self, record: &StringRecord, value: &str) -> Result<bool, FieldError> {
        validate::email(value).map_err(|e| FieldError {
            message: format!(
                "new_email{}",
                e.message.strip_prefix("email").unwrap_or(&e.message)
            ),
            ..e
        })?;
        if self.taken_twice.contains(&value.to_lowercase()) {
            return Err(FieldError::new(
                E_DUPLICATE,
                format!(
                    "new_email {} is asked for by more than one row, and an address can belong to one user only; \
                     keep it in one row.",
                    quoted(value)
                ),
            ));
        }
        // Already the user's address: nothing to change.
        Ok(!self.key.of(record).eq_ignore_ascii_case(value))
    }

    /// The `PATCH` body of a checked row.
    fn profile_body(&self, record: &StringRecord) -> Value {
        let mut body = Map::new();
        for &(name, kind, index) in &self.profile {
            match cell(record, Some(index)) {
                "" if self.clear_empty && kind.clearable() => {
                    body.insert(name.into(), Value::from(""));
                }
                "" => {}
                value => {
                    if let Some(json) = to_json(kind, value) {
                        body.insert(name.into(), json);
                    }
                }
            }
        }
        Value::Object(body)
    }

    async fn update(
        &self,
        client: &Client,
        record: &StringRecord,
        row: &UpdateRow,
    ) -> Result<Outcome, Fatal> {
        if !row.profile && !row.password && row.status.is_none() && !row.new_email && !row.picture {
            return Ok(Outcome {
                error_message: Some(
                    "Nothing to change: every cell besides the user is empty (--clear-empty clears text fields)."
                        .into(),
                ),
                ..Outcome::new(Status::Skipped)
            });
        }
        let mut user = self.key.of(record);
        let mut steps = Steps::default();
        if row.new_email {
            let new = cell(record, self.new_email);
            let mut changed = false;
            steps
                .step("email", "changed", async {
                    let sent = change_email_checked(client, user, new).await;
                    changed = sent.is_ok();
                    sent
                })
                .await?;
            // The old address no longer names the user.
            if changed && user.contains('@') {
                user = new;
            }
        }
        if row.profile {
            let body = self.profile_body(record);
            steps
                .step("profile", "updated", patch_checked(client, user, body))
                .await?;
        }
        if row.picture {
            match read_picture(&self.picture_path(record)).await {
                Ok((name, mime, bytes)) => {
                    steps
                        .step("picture", "set", client.upload_picture(user, &name, mime, bytes))
                        .await?;
                }
                Err(message) => steps.failed_locally("picture", E_VALUE, message),
            }
        }
        if row.password {
            let password = cell(record, self.password);
            steps
                .step("password", "set", set_password(client, user, password))
                .await?;
        }
        if let Some(change) = row.status {
            steps
                .step("status", change.done(), status_checked(client, user, change))
                .await?;
        }
        Ok(steps.outcome(Status::Updated))
    }
}

/// `new_email` values more than one row of the file asks for (lower-cased): one
/// pass over the file when the column is there.
fn new_emails_taken_twice(input: &InputFile, column: Option<usize>) -> Result<HashSet<String>, String> {
    let mut twice = HashSet::new();
    if column.is_none() {
        return Ok(twice);
    }
    let mut seen = HashSet::new();
    let mut records = input.records().map_err(|e| e.to_string())?;
    let mut record = StringRecord::new();
    while let Ok(Some(_)) = records.read(&mut record) {
        let value = cell(&record, column);
        if !value.is_empty() && !seen.insert(value.to_lowercase()) {
            twice.insert(value.to_lowercase());
        }
    }
    Ok(twice)
}

/// `PUT /users/{userId}/email`, then, when it did not say yes, a check of whether
/// the address is already the user's: an earlier attempt whose answer was lost, or
/// an earlier run (`--resume`), may have changed it. The 3-in-24-hours limit is
/// `deferred`, with when to retry.
async fn change_email_checked(client: &Client, user: &str, new: &str) -> Result<Sent<()>, ApiError> {
    let err = match client.change_email(user, new).await {
        Ok(sent) => return Ok(sent),
        Err(err) => err,
    };
    if is_email_change_limit(&err) {
        let message = match &err {
            ApiError::Zoom { message, .. } => message.clone(),
            other => other.to_string(),
        };
        return Err(ApiError::DailyLimit {
            scope: format!("e-mail changes of this user ({EMAIL_CHANGES_PER_DAY} in any 24 hours)"),
            // The earliest change ages out within 24 hours: by then a retry is allowed.
            reset_at: Some(chrono::Utc::now() + chrono::Duration::hours(24)),
            message,
            status: None,
            attempts: err.attempts(),
        });
    }
    let old_gone = err.status() == Some(404);
    let exists = err.status() == Some(409);
    if !(old_gone || exists || err.may_have_applied()) {
        return Err(err);
    }
    let by_id = !user.contains('@');
    let mut attempts = 0;
    let found = match client.get_user(new).await {
        Ok(found) => found,
        Err(lookup) => return Err(err.with_extra_attempts(lookup.attempts())),
    };
    attempts += found.attempts;
    let same = if by_id {
        found.value.id.as_deref() == Some(user)
    } else if old_gone {
        // The old address is free and the new one exists: an earlier change.
        true
    } else if exists {
        // The old address still names a user, so the new one is someone else's.
        false
    } else {
        // No answer either way: the change went through if the old address is gone.
        match client.get_user(user).await {
            Ok(old) => {
                attempts += old.attempts;
                false
            }
            Err(lookup) => {
                attempts += lookup.attempts();
                lookup.status() == Some(404)
            }
        }
    };
    if same {
        Ok(Sent {
            value: (),
            status: err.status().unwrap_or_default(),
            attempts: err.attempts() + attempts,
        })
    } else {
        Err(err.with_extra_attempts(attempts))
    }
}

/// Reads the picture again (it may have changed since the preflight): its file
/// name, MIME type and bytes, or why it cannot be sent.
async fn read_picture(path: &Path) -> Result<(String, &'static str, bytes::Bytes), String> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| format!("could not read {} ({e}); nothing was sent", path.display()))?;
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size > PICTURE_MAX_BYTES {
        return Err(format!(
            "{} is now {size} bytes, over Zoom's 2 MB; nothing was sent",
            path.display()
        ));
    }
    let Some(mime) = picture_mime(&bytes) else {
        return Err(format!(
            "{} is no longer a JPEG or PNG image; nothing was sent",
            path.display()
        ));
    };
    let name = path
        .file_name()
        .map_or_else(|| "picture".to_string(), |n| n.to_string_lossy().into_owned());
    Ok((name, mime, bytes.into()))
}

/// Checks a `picture` cell offline: the file exists, is JPEG or PNG by its first
/// bytes (not its name), and is within Zoom's 2 MB.
fn check_picture(path: &Path, cell: &str) -> Result<(), FieldError> {
    let fail = |message: String| Err(FieldError::new(E_VALUE, message));
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) => {
            return fail(format!(
                "picture {}: cannot open {} ({e}); give a JPEG or PNG path relative to the input file's folder.",
                quoted(cell),
                path.display()
            ));
        }
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > PICTURE_MAX_BYTES {
        return fail(format!(
            "picture {} is {size} bytes; Zoom takes at most 2 MB ({PICTURE_MAX_BYTES} bytes), so make it smaller.",
            quoted(cell)
        ));
    }
    let mut head = [0u8; 8];
    let read = file.read(&mut head).unwrap_or(0);
    if read == 0 {
        return fail(format!(
            "picture {} is empty; give a JPEG or PNG image.",
            quoted(cell)
        ));
    }
    if picture_mime(head.get(..read).unwrap_or_default()).is_none() {
        return fail(format!(
            "picture {} is not a JPEG or PNG image (by its content); Zoom takes only these, so convert it.",
            quoted(cell)
        ));
    }
    Ok(())
}

/// A PATCH that failed after an attempt that may have reached Zoom (a lost
/// answer, a 5xx) is checked: when Zoom's user has every value sent, the step
/// went through.
async fn patch_checked(client: &Client, user: &str, body: Value) -> Result<Sent<()>, ApiError> {
    let err = match client.update_user(user, body.clone()).await {
        Ok(sent) => return Ok(sent),
        Err(err) if err.may_have_applied() => err,
        Err(err) => return Err(err),
    };
    match client.get_user_fields(user).await {
        Ok(found) if has_fields(&found.value, &body) => Ok(Sent {
            value: (),
            status: err.status().unwrap_or_default(),
            attempts: err.attempts() + found.attempts,
        }),
        Ok(found) => Err(err.with_extra_attempts(found.attempts)),
        Err(lookup) => Err(err.with_extra_attempts(lookup.attempts())),
    }
}

/// Whether `user` (Zoom's answer) has every field of `body` (a PATCH) as sent.
fn has_fields(user: &Value, body: &Value) -> bool {
    let Some(fields) = body.as_object() else {
        return false;
    };
    fields.iter().all(|(k, v)| match (user.get(k), v) {
        (Some(have), want) if have == want => true,
        // Zoom may send numbers as strings or the reverse.
        (Some(have), want) => have.to_string().trim_matches('"') == want.to_string().trim_matches('"'),
        (None, want) => want.as_str() == Some(""),
    })
}

/// A status change that failed after an attempt that may have reached Zoom is
/// checked: a user already in the wanted status is what the row asked for.
async fn status_checked(client: &Client, user: &str, change: StatusChange) -> Result<Sent<()>, ApiError> {
    let err = match client.set_status(user, change.action()).await {
        Ok(sent) => return Ok(sent),
        Err(err) if err.may_have_applied() => err,
        Err(err) => return Err(err),
    };
    let wanted = match change {
        StatusChange::Activate => "active",
        StatusChange::Deactivate => "inactive",
    };
    match client.get_user(user).await {
        Ok(found) if found.value.status.as_deref() == Some(wanted) => Ok(Sent {
            value: (),
            status: err.status().unwrap_or_default(),
            attempts: err.attempts() + found.attempts,
        }),
        Ok(found) => Err(err.with_extra_attempts(found.attempts)),
        Err(lookup) => Err(err.with_extra_attempts(lookup.attempts())),
    }
}

/// A password Zoom refuses as "the same as the old one" is already what the row
/// asks for: re-running a row whose later step failed must not turn it into a failure.
async fn set_password(client: &Client, user: &str, password: &str) -> Result<Sent<()>, ApiError> {
    match client.set_password(user, password).await {
        Err(ApiError::Zoom {
            status: 400,
            message,
            attempts,
            ..
        }) if message.to_ascii_lowercase().contains("old password") => Ok(Sent {
            value: (),
            status: 400,
            attempts,
        }),
        other => other,
    }
}

/// Checks one non-empty profile cell.
fn check(column: &str, kind: Kind, value: &str) -> Result<(), FieldError> {
    if matches!(kind, Kind::Text(_) | Kind::Name(_)) {
        validate::text(column, value)?;
    }
    match kind {
        Kind::Text(None) => Ok(()),
        Kind::Text(Some(max)) => {
            let chars = value.chars().count();
            if chars > max {
                return Err(FieldError::new(
                    E_VALUE,
                    format!("{column} is {chars} characters long; Zoom allows at most {max}, so shorten it."),
                ));
            }
            Ok(())
        }
        Kind::Name(max) => validate::name(column, value, max),
        Kind::UserType => validate::user_type(value).map(|_| ()),
        Kind::Pmi => validate::pmi(value),
        Kind::HostKey => validate::host_key(value),
        Kind::Flag => flag(column, value).map(|_| ()),
        Kind::Email => validate::email(value).map_err(|e| FieldError {
            message: format!(
                "{column}{}",
                e.message.strip_prefix("email").unwrap_or(&e.message)
            ),
            ..e
        }),
        Kind::PronounsOption => match value {
            "1" | "2" | "3" => Ok(()),
            _ => Err(FieldError::new(
                E_VALUE,
                format!(
                    "{column} {} is not one of Zoom's options; use 1 (ask every time), 2 (always show) or \
                     3 (do not show).",
                    quoted(value)
                ),
            )),
        },
    }
}

/// A checked cell as Zoom wants it (numbers and flags as JSON numbers and booleans).
fn to_json(kind: Kind, value: &str) -> Option<Value> {
    match kind {
        Kind::Text(_) | Kind::Name(_) | Kind::HostKey | Kind::Email => Some(Value::from(value)),
        Kind::UserType => validate::user_type(value).ok().map(|t| Value::from(t.code())),
        Kind::Pmi => value.parse::<u64>().ok().map(Value::from),
        Kind::Flag => flag("", value).ok().map(Value::from),
        Kind::PronounsOption => value.parse::<u8>().ok().map(Value::from),
    }
}

fn flag(column: &str, value: &str) -> Result<bool, FieldError> {
    const TRUE: [&str; 4] = ["true", "yes", "y", "1"];
    const FALSE: [&str; 4] = ["false", "no", "n", "0"];
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(value)) {
        Ok(true)
    } else if FALSE.iter().any(|f| f.eq_ignore_ascii_case(value)) {
        Ok(false)
    } else {
        Err(FieldError::new(
            E_VALUE,
            format!(
                "{column} {} is not true or false; use true or false.",
                quoted(value)
            ),
        ))
    }
}

fn status_change(value: &str) -> Result<StatusChange, FieldError> {
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(value));
    if is(&["active", "activate", "activated"]) {
        Ok(StatusChange::Activate)
    } else if is(&["inactive", "deactivate", "deactivated"]) {
        Ok(StatusChange::Deactivate)
    } else {
        Err(FieldError::new(
            E_VALUE,
            format!(
                "status {} is not active or inactive; use active to activate the user or inactive to \
                 deactivate them.",
                quoted(value)
            ),
        ))
    }
}

impl Job for UsersUpdate {
    type Row = UpdateRow;
    type BatchKey = ();
    const KIND: &'static str = "users-update";
    const KEY_NAME: &'static str = "user";

    fn columns() -> &'static [ColumnSpec] {
        &COLUMNS
    }

    fn parse(&self, record: &StringRecord) -> Result<UpdateRow, FieldError> {
        self.key.check(record)?;
        let mut profile = false;
        for &(name, kind, index) in &self.profile {
            match cell(record, Some(index)) {
                "" => profile |= self.clear_empty && kind.clearable(),
                value => {
                    check(name, kind, value)?;
                    profile = true;
                }
            }
        }
        let password = match cell(record, self.password) {
            "" => false,
            value => {
                validate::password(value)?;
                true
            }
        };
        let status = match cell(record, self.status) {
            "" => None,
            value => Some(status_change(value)?),
        };
        let new_email = match cell(record, self.new_email) {
            "" => false,
            value => self.check_new_email(record, value)?,
        };
        let picture = match cell(record, self.picture) {
            "" => false,
            value => {
                check_picture(&self.picture_path(record), value)?;
                true
            }
        };
        Ok(UpdateRow {
            profile,
            password,
            status,
            new_email,
            picture,
        })
    }

    fn duplicate_key(&self, record: &StringRecord, _row: &UpdateRow, key: &mut DuplicateKey) -> bool {
        self.key.duplicate_key(record, key);
        true
    }

    fn request_counts(&self, _record: &StringRecord, row: &UpdateRow) -> [u32; 3] {
        let light = u32::from(row.profile) + u32::from(row.status.is_some()) + u32::from(row.new_email);
        [light, u32::from(row.password) + u32::from(row.picture), 0]
    }

    fn describe(&self, record: &StringRecord, row: &UpdateRow) -> String {
        let mut user = self.key.of(record);
        let mut calls = Vec::new();
        if row.new_email {
            let new = cell(record, self.new_email);
            calls.push(format!(
                "PUT {}/email (to {new})",
                crate::zoom::users::user_path(user)
            ));
            if user.contains('@') {
                user = new;
            }
        }
        let path = crate::zoom::users::user_path(user);
        if row.profile {
            let body = self.profile_body(record);
            let fields: Vec<&str> = body
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            calls.push(format!("PATCH {path} ({})", fields.join(", ")));
        }
        if row.picture {
            calls.push(format!(
                "POST {path}/picture ({})",
                self.picture_path(record).display()
            ));
        }
        if row.password {
            calls.push(format!("PUT {path}/password"));
        }
        if let Some(change) = row.status {
            calls.push(format!("PUT {path}/status action={}", change.action()));
        }
        if calls.is_empty() {
            return "nothing (no value to change)".into();
        }
        calls.join(", then ")
    }

    fn steps(&self, _record: &StringRecord, row: &UpdateRow) -> Vec<&'static str> {
        [
            (row.new_email, "email change"),
            (row.profile, "profile update"),
            (row.picture, "picture"),
            (row.password, "password"),
            (row.status.is_some(), "status change"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }

    fn secret_columns(&self) -> Vec<usize> {
        self.password.into_iter().chain(self.host_key).collect()
    }

    fn key_column(&self) -> Option<usize> {
        self.key.column()
    }

    async fn run_row(
        &self,
        client: &Client,
        record: &StringRecord,
        row: UpdateRow,
    ) -> Result<Outcome, Fatal> {
        self.update(client, record, &row).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_zooms_types() {
        assert_eq!(to_json(Kind::UserType, "Licensed"), Some(Value::from(2)));
        assert_eq!(
            to_json(Kind::Pmi, "1234567890"),
            Some(Value::from(1_234_567_890u64))
        );
        assert_eq!(to_json(Kind::Flag, "Yes"), Some(Value::from(true)));
        assert_eq!(to_json(Kind::PronounsOption, "3"), Some(Value::from(3)));
        assert_eq!(to_json(Kind::Text(None), "Sales"), Some(Value::from("Sales")));
    }

    #[test]
    fn checks_name_the_column() {
        let e = check("job_title", Kind::Text(Some(128)), &"x".repeat(129)).unwrap_err();
        assert!(
            e.message.starts_with("job_title is 129 characters"),
            "{}",
            e.message
        );
        let e = check("manager", Kind::Email, "not-an-email").unwrap_err();
        assert!(e.message.starts_with("manager \"not-an-email\""), "{}", e.message);
        let e = check("use_pmi", Kind::Flag, "maybe").unwrap_err();
        assert!(e.message.starts_with("use_pmi \"maybe\""), "{}", e.message);
        assert!(check("pronouns_option", Kind::PronounsOption, "4").is_err());
        assert!(check("pmi", Kind::Pmi, "123").is_err());
        assert!(status_change("Inactive").is_ok() && status_change("gone").is_err());
        for (column, kind) in [
            ("first_name", Kind::Name(64)),
            ("dept", Kind::Text(None)),
            ("company", Kind::Text(Some(255))),
        ] {
            let e = check(column, kind, "Sales\nand more").unwrap_err();
            assert_eq!(e.code, validate::E_CONTROL);
            assert!(
                e.message.starts_with(&format!("{column} contains a line break")),
                "{}",
                e.message
            );
        }
    }
}
