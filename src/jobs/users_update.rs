//! `zoombulk users update FILE.csv`: change existing users, one row each.
//!
//! A row takes up to five requests, in this order: `PUT …/email` (`new_email`),
//! `PATCH /users/{userId}` for the profile columns, `POST …/picture`, `PUT
//! …/password`, `PUT …/status`. Each step's result is kept, so a partly applied row
//! says what went through ("profile updated; password failed: …") and stays
//! `failed` until every step is done. Re-running it (`--resume`) is safe: every step
//! sets a value, none changes one by a delta. An e-mail already changed is
//! recognised when the row names the user by id, or by the old address after this
//! run's own lost answer; the later steps then name the user by the new address.
//! By the old address alone, an earlier run's change cannot be told from a wrong
//! address next to someone else's new one, so that row fails and says so.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use tokio::sync::OnceCell;

use csv::StringRecord;
use serde_json::{Map, Value};

use super::users_import::Directory;
use super::{
    Context, DISPLAY_NAME_ALIASES, DuplicateKey, EMAIL_ALIASES, FIRST_NAME_ALIASES, Fatal, Job,
    LAST_NAME_ALIASES, Steps, USER_ID_ALIASES, USER_TYPE_ALIASES, UserKey, cell, run_command,
    validate_command,
};
use crate::app::{Exit, RunError};
use crate::cli::users::UpdateArgs as Args;
use crate::output::plural;
use crate::pipeline::columns::ColumnSpec;
use crate::pipeline::input::InputFile;
use crate::pipeline::outcome::{Outcome, Status};
use crate::validate::profile;
use crate::validate::{self, E_DUPLICATE, E_VALUE, FieldError, quoted};
use crate::zoom::groups::{Group, UserKey as GroupUserKey};
use crate::zoom::users::{
    CustomAttribute, EMAIL_CHANGES_PER_DAY, PICTURE_MAX_BYTES, Profile, is_email_change_limit, picture_mime,
};
use crate::zoom::{ApiError, Client, Sent};

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    run_command(&args.file, ctx, |input| UsersUpdate::new(input, args)).await
}

pub fn validate(args: &Args) -> Result<Exit, RunError> {
    validate_command(&args.file, |input| UsersUpdate::new(input, args))
}

/// How a profile column is checked and sent (the checks are
/// [`crate::validate::profile`]'s, the body a [`Profile`]).
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Free text, with Zoom's length limit ([`profile::text_limit`]).
    Text,
    /// Names: [`validate::name`]'s rules.
    Name(usize),
    UserType,
    Pmi,
    HostKey,
    Flag,
    Manager,
    PronounsOption,
    Timezone,
    Language,
    /// `phone_numbers`, written `[Label:] +code number; …`.
    Phones,
    LinkedIn,
    AboutMe,
    /// The deprecated free-text `phone_number`, kept so older files and exports
    /// round-trip.
    LegacyPhone,
}

impl Kind {
    /// Whether `--clear-empty` may send "" (Zoom takes it only for text).
    fn clearable(self) -> bool {
        matches!(
            self,
            Kind::Text | Kind::Name(_) | Kind::Manager | Kind::LinkedIn | Kind::AboutMe | Kind::LegacyPhone
        )
    }
}

/// `about_me`: at most 150 characters, no links or HTML (FACTS: PATCH table).
const ABOUT_ME_MAX: usize = 150;

/// The `PATCH /users/{userId}` fields of the 2026 spec a spreadsheet can carry,
/// with how each is checked (FACTS: Users). `custom:<name>` columns and
/// `custom_attributes` (`name=value;…`, as `users export` writes it) add custom
/// attributes.
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
    (ColumnSpec::optional("timezone", &["time zone"]), Kind::Timezone),
    (ColumnSpec::optional("language", &[]), Kind::Language),
    (ColumnSpec::optional("dept", &["department"]), Kind::Text),
    (
        ColumnSpec::optional("vanity_name", &["vanity url name", "personal link name"]),
        Kind::Text,
    ),
    (ColumnSpec::optional("host_key", &[]), Kind::HostKey),
    (ColumnSpec::optional("cms_user_id", &["cms id"]), Kind::Text),
    (ColumnSpec::optional("job_title", &["title"]), Kind::Text),
    (ColumnSpec::optional("company", &["company name"]), Kind::Text),
    (ColumnSpec::optional("location", &["office location"]), Kind::Text),
    (ColumnSpec::optional("cost_center", &["cost centre"]), Kind::Text),
    (
        ColumnSpec::optional(
            "phone",
            &["phone numbers", "phone_numbers", "mobile", "work phone"],
        ),
        Kind::Phones,
    ),
    (ColumnSpec::optional("phone_number", &[]), Kind::LegacyPhone),
    (ColumnSpec::optional("manager", &["manager email"]), Kind::Manager),
    (ColumnSpec::optional("pronouns", &[]), Kind::Text),
    (ColumnSpec::optional("pronouns_option", &[]), Kind::PronounsOption),
    (
        ColumnSpec::optional("about_me", &["about me", "bio"]),
        Kind::AboutMe,
    ),
    (
        ColumnSpec::optional("linkedin_url", &["linkedin"]),
        Kind::LinkedIn,
    ),
];

/// `custom_attributes` as `users export` writes it: `name=value` pairs joined by `;`.
const CUSTOM_ATTRIBUTES: &str = "custom_attributes";

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
        ColumnSpec::optional("group", &["user group", "user groups", "groups", "join group"]),
        ColumnSpec::optional("remove_group", &["leave group", "remove groups", "leave groups"]),
        ColumnSpec::optional(CUSTOM_ATTRIBUTES, &[]),
        ColumnSpec::prefix("custom:"),
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
    /// `custom:<name>` columns: (attribute name, record index).
    custom: Vec<(String, usize)>,
    custom_attributes: Option<usize>,
    join: Option<usize>,
    leave: Option<usize>,
    /// The account's groups, listed once for the run by the first row that needs them.
    directory: OnceCell<Result<Directory, String>>,
    clear_empty: bool,
}

/// What a row changes. Values are read from the record when sent.
pub struct UpdateRow {
    profile: bool,
    /// Groups named in `group` / `remove_group` (resolved when the row runs).
    joins: u32,
    leaves: u32,
    password: bool,
    status: Option<StatusChange>,
    new_email: bool,
    picture: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum StatusChange {
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
        let (join, leave) = (input.column("group"), input.column("remove_group"));
        let custom = input.prefixed("custom:");
        let custom_attributes = input.column(CUSTOM_ATTRIBUTES);
        profile::custom_attribute_count(custom.len()).map_err(|e| e.message)?;
        if profile.is_empty()
            && custom.is_empty()
            && [
                password,
                status,
                new_email,
                picture,
                join,
                leave,
                custom_attributes,
            ]
            .iter()
            .all(Option::is_none)
        {
            let names: Vec<&str> = PROFILE.iter().map(|(spec, _)| spec.name).collect();
            return Err(format!(
                "{}: no column says what to change. Add at least one of {}, custom:<name>, password, status, \
                 new_email, picture, group, remove_group.",
                input.name(),
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
            custom,
            custom_attributes,
            join,
            leave,
            directory: OnceCell::new(),
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

    /// The row's profile cells, checked, as the `PATCH` body: a [`Profile`], plus
    /// the deprecated `phone_number` when the file has that column.
    fn profile_body(&self, record: &StringRecord) -> Result<Option<Value>, FieldError> {
        let mut p = Profile::default();
        let mut legacy_phone = None;
        for &(name, kind, index) in &self.profile {
            let value = cell(record, Some(index));
            if value.is_empty() {
                if self.clear_empty && kind.clearable() {
                    set(&mut p, &mut legacy_phone, name, kind, "")?;
                }
                continue;
            }
            set(&mut p, &mut legacy_phone, name, kind, value)?;
        }
        let mut attributes = Vec::new();
        for (name, index) in &self.custom {
            match cell(record, Some(*index)) {
                "" if !self.clear_empty => {}
                value => attributes.push(custom_attribute(&format!("custom:{name}"), name, value)?),
            }
        }
        let value = cell(record, self.custom_attributes);
        if !value.is_empty() {
            for pair in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                let Some((name, v)) = pair.split_once('=') else {
                    return Err(FieldError::new(
                        E_VALUE,
                        format!(
                            "custom_attributes {} is not name=value pairs separated by `;`; write e.g. \
                             Badge=42;Floor=3.",
                            quoted(value)
                        ),
                    ));
                };
                attributes.push(custom_attribute(CUSTOM_ATTRIBUTES, name.trim(), v.trim())?);
            }
        }
        if !attributes.is_empty() {
            profile::custom_attribute_count(attributes.len())?;
            p.custom_attributes = Some(attributes);
        }
        if p.is_empty() && legacy_phone.is_none() {
            return Ok(None);
        }
        let mut body = serde_json::to_value(&p).unwrap_or_else(|_| Value::Object(Map::new()));
        if let (Some(phone), Some(obj)) = (legacy_phone, body.as_object_mut()) {
            obj.insert("phone_number".into(), Value::from(phone));
        }
        Ok(Some(body))
    }

    /// The row's `group` (join) or `remove_group` (leave) cell: names or ids, `;`-separated.
    fn group_names<'r>(&self, record: &'r StringRecord, column: Option<usize>) -> Vec<&'r str> {
        cell(record, column)
            .split(';')
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .collect()
    }

    /// The groups listed once for the run (the first row that needs them lists them).
    async fn directory(&self, client: &Client) -> &Result<Directory, String> {
        self.directory.get_or_init(|| Directory::list(client)).await
    }

    /// The row's groups to join and leave, found in the account's listing; an
    /// unknown one makes the row `invalid` before anything of it is sent.
    async fn resolve_groups(
        &self,
        client: &Client,
        record: &StringRecord,
    ) -> Result<(Vec<Group>, Vec<Group>), Outcome> {
        let (join, leave) = (
            self.group_names(record, self.join),
            self.group_names(record, self.leave),
        );
        if join.is_empty() && leave.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let dir = match self.directory(client).await {
            Ok(dir) => dir,
            Err(e) => {
                return Err(Outcome {
                    error_code: Some("E_GROUPS".into()),
                    error_message: Some(format!(
                        "{e}; nothing of this row was sent; re-run with --resume."
                    )),
                    ..Outcome::new(Status::Failed)
                });
            }
        };
        let find = |names: &[&str], column: &str| -> Result<Vec<Group>, Outcome> {
            names
                .iter()
                .map(|written| {
                    dir.find(written).cloned().ok_or_else(|| {
                        let closest = dir.closest(written);
                        Outcome::invalid(
                            E_VALUE,
                            format!(
                                "{column}: group {} does not exist in the account{}. Not sent: fix the group name \
                                 (or create the group) and re-run with --resume.",
                                quoted(written),
                                if closest.is_empty() {
                                    String::new()
                                } else {
                                    format!("; closest: {}", closest.join(", "))
                                }
                            ),
                        )
                    })
                })
                .collect()
        };
        Ok((find(&join, "group")?, find(&leave, "remove_group")?))
    }

    async fn update(
        &self,
        client: &Client,
        record: &StringRecord,
        row: &UpdateRow,
    ) -> Result<Outcome, Fatal> {
        if !row.profile
            && !row.password
            && row.status.is_none()
            && !row.new_email
            && !row.picture
            && row.joins == 0
            && row.leaves == 0
        {
            return Ok(Outcome {
                error_message: Some(
                    "Nothing to change: every cell besides the user is empty (--clear-empty clears text fields)."
                        .into(),
                ),
                ..Outcome::new(Status::Skipped)
            });
        }
        let (join, leave) = match self.resolve_groups(client, record).await {
            Ok(groups) => groups,
            Err(outcome) => return Ok(outcome),
        };
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
            match self.profile_body(record) {
                Ok(Some(body)) => {
                    steps
                        .step("profile", "updated", patch_checked(client, user, body))
                        .await?;
                }
                Ok(None) => {}
                // Never silently: the row must not read as done without its profile.
                Err(e) => steps.failed_locally("profile", e.code, e.message),
            }
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
        for group in &join {
            steps
                .step(
                    &format!("group {}", group.name),
                    "joined",
                    join_group(client, &group.id, user),
                )
                .await?;
        }
        for group in &leave {
            steps
                .step_with(
                    &format!("group {}", group.name),
                    left,
                    leave_group(client, &group.id, user),
                )
                .await?;
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
/// the new address is already the user's: an attempt whose answer was lost may
/// have made the change. The user is known by id: a row keyed by the old address
/// looks its id up first (one Light request), because once the address has moved
/// only the id tells this user from someone else who has the new address. The
/// 3-in-24-hours limit is `deferred`, with when to retry.
async fn change_email_checked(client: &Client, user: &str, new: &str) -> Result<Sent<()>, ApiError> {
    let mut looked_up = 0;
    let id = if user.contains('@') {
        match client.get_user(user).await {
            Ok(found) => {
                looked_up += found.attempts;
                found.value.id
            }
            // No user has the old address (now): the change below meets 404.
            Err(e) if e.status() == Some(404) => {
                looked_up += e.attempts();
                None
            }
            Err(e) => return Err(e),
        }
    } else {
        Some(user.to_string())
    };
    let err = match client.change_email(user, new).await {
        Ok(sent) => {
            return Ok(Sent {
                attempts: sent.attempts + looked_up,
                ..sent
            });
        }
        Err(err) => err.with_extra_attempts(looked_up),
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
            unanswered: err.may_have_applied(),
        });
    }
    let old_gone = err.status() == Some(404);
    let exists = err.status() == Some(409);
    if !(old_gone || exists || err.may_have_applied()) {
        return Err(err);
    }
    if exists && user.contains('@') && !err.may_have_applied() {
        // The old address named the user a moment ago and nothing of ours went
        // unanswered: the new address is someone else's.
        return Err(err);
    }
    let found = match client.get_user(new).await {
        Ok(found) => found,
        Err(lookup) => return Err(err.with_extra_attempts(lookup.attempts())),
    };
    let holder = found.value.id.as_deref().unwrap_or("(no id)");
    match id.as_deref() {
        // The new address is this user's: the change went through.
        Some(id) if found.value.id.as_deref() == Some(id) => Ok(Sent {
            value: (),
            status: err.status().unwrap_or_default(),
            attempts: err.attempts() + found.attempts,
        }),
        Some(_) => Err(err.with_extra_attempts(found.attempts)),
        // No user had the old address before this run sent anything.
        None => Err(match err {
            ApiError::Zoom {
                status,
                code,
                message,
                attempts,
                unanswered,
            } => ApiError::Zoom {
                status,
                code,
                message: format!(
                    "{} No user has {user}, and {new} is already the address of user {holder}: \
                     if an earlier run made this change there is nothing left to do (remove the row); \
                     otherwise check the old address",
                    sentence(&message),
                ),
                attempts: attempts + found.attempts,
                unanswered,
            },
            other => other.with_extra_attempts(found.attempts),
        }),
    }
}

/// `text` ending in a period, for a message that goes on after it.
fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with('.') {
        text.to_string()
    } else {
        format!("{text}.")
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
pub(crate) async fn patch_checked(client: &Client, user: &str, body: Value) -> Result<Sent<()>, ApiError> {
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
    body.is_object() && holds(user, body)
}

/// Whether `have` holds what `want` says: objects by the keys sent (Zoom adds
/// others, such as a custom attribute's `key`), lists item by item.
fn holds(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (_, Value::Object(fields)) => fields.iter().all(|(k, v)| match have.get(k) {
            Some(h) => holds(h, v),
            None => v.as_str() == Some(""),
        }),
        (Value::Array(h), Value::Array(w)) => h.len() == w.len() && h.iter().zip(w).all(|(h, w)| holds(h, w)),
        (h, w) if h == w => true,
        // Zoom may send numbers as strings or the reverse.
        (h, w) => h.to_string().trim_matches('"') == w.to_string().trim_matches('"'),
    }
}

/// A status change that failed after an attempt that may have reached Zoom is
/// checked: a user already in the wanted status is what the row asked for.
pub(crate) async fn status_checked(
    client: &Client,
    user: &str,
    change: StatusChange,
) -> Result<Sent<()>, ApiError> {
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

/// Checks one profile cell and puts it in `p` ("" only for clearable kinds).
fn set(
    p: &mut Profile,
    legacy_phone: &mut Option<String>,
    name: &'static str,
    kind: Kind,
    value: &str,
) -> Result<(), FieldError> {
    let owned = || Some(value.to_string());
    match kind {
        Kind::Text => {
            if !value.is_empty() {
                profile::profile_text(name, value, profile::text_limit(name))?;
            }
            if let Some(slot) = text_slot(p, name) {
                *slot = owned();
            }
        }
        Kind::Name(max) => {
            if !value.is_empty() {
                validate::text(name, value)?;
                validate::name(name, value, max)?;
            }
            if let Some(slot) = text_slot(p, name) {
                *slot = owned();
            }
        }
        Kind::UserType => p.user_type = Some(validate::user_type(value)?.code()),
        Kind::Pmi => {
            validate::pmi(value)?;
            p.pmi = value.parse().ok();
        }
        Kind::HostKey => {
            validate::host_key(value)?;
            p.host_key = owned();
        }
        Kind::Flag => p.use_pmi = Some(flag(name, value)?),
        Kind::Manager => {
            if !value.is_empty() {
                profile::manager(value)?;
            }
            p.manager = owned();
        }
        Kind::PronounsOption => p.pronouns_option = Some(profile::pronouns_option(value)?),
        Kind::Timezone => {
            profile::timezone(value)?;
            p.timezone = owned();
        }
        Kind::Language => p.language = Some(profile::language(value)?.to_string()),
        Kind::Phones => p.phone_numbers = Some(profile::phones(name, value)?),
        Kind::LinkedIn => {
            if !value.is_empty() {
                profile::profile_text(name, value, profile::FREE_TEXT_MAX)?;
                if !value.to_ascii_lowercase().contains("linkedin.com") {
                    return Err(FieldError::new(
                        E_VALUE,
                        format!(
                            "linkedin_url {} is not a LinkedIn address; Zoom takes only URLs with linkedin.com.",
                            quoted(value)
                        ),
                    ));
                }
            }
            p.linkedin_url = owned();
        }
        Kind::AboutMe => {
            if !value.is_empty() {
                profile::profile_text(name, value, ABOUT_ME_MAX)?;
                let lower = value.to_ascii_lowercase();
                if ["http://", "https://", "www.", "<"]
                    .iter()
                    .any(|m| lower.contains(m))
                {
                    return Err(FieldError::new(
                        E_VALUE,
                        format!(
                            "about_me {} holds a link or HTML, which Zoom refuses; remove it.",
                            quoted(value)
                        ),
                    ));
                }
            }
            p.about_me = owned();
        }
        Kind::LegacyPhone => {
            if !value.is_empty() {
                validate::text(name, value)?;
            }
            *legacy_phone = owned();
        }
    }
    Ok(())
}

/// The `Profile` slot of a text or name column.
fn text_slot<'p>(p: &'p mut Profile, name: &str) -> Option<&'p mut Option<String>> {
    Some(match name {
        "first_name" => &mut p.first_name,
        "last_name" => &mut p.last_name,
        "display_name" => &mut p.display_name,
        "dept" => &mut p.dept,
        "vanity_name" => &mut p.vanity_name,
        "cms_user_id" => &mut p.cms_user_id,
        "job_title" => &mut p.job_title,
        "company" => &mut p.company,
        "location" => &mut p.location,
        "cost_center" => &mut p.cost_center,
        "pronouns" => &mut p.pronouns,
        _ => return None,
    })
}

/// One custom attribute, by its name (a spreadsheet knows names, not keys).
fn custom_attribute(column: &str, name: &str, value: &str) -> Result<CustomAttribute, FieldError> {
    validate::text(column, value)?;
    if name.is_empty() {
        return Err(FieldError::new(
            E_VALUE,
            format!("{column} has a value without an attribute name; write name=value."),
        ));
    }
    Ok(CustomAttribute {
        key: None,
        name: Some(name.to_string()),
        value: value.to_string(),
    })
}

/// `POST /groups/{groupId}/members` with the row's user alone. Zoom lists the ids it
/// added (members already in the group count); none means it did not take the user.
pub(crate) async fn join_group(client: &Client, group_id: &str, user: &str) -> Result<Sent<()>, ApiError> {
    let key = if user.contains('@') {
        GroupUserKey::Email {
            email: user.to_string(),
        }
    } else {
        GroupUserKey::Id { id: user.to_string() }
    };
    let sent = match client.add_group_members(group_id, &[key]).await {
        Ok(sent) => sent,
        // The call may have reached Zoom: the user's groups say whether it did.
        Err(e) if e.may_have_applied() => {
            return match client.user_in_group(user, group_id).await {
                Ok(found) if found.value => Ok(Sent {
                    value: (),
                    status: found.status,
                    attempts: e.attempts() + found.attempts,
                }),
                Ok(found) => Err(e.with_extra_attempts(found.attempts)),
                Err(lookup) => Err(e.with_extra_attempts(lookup.attempts())),
            };
        }
        Err(e) => return Err(e),
    };
    if sent.value.ids.trim().is_empty() {
        return Err(ApiError::Zoom {
            status: sent.status,
            code: None,
            message: "Zoom did not add the user (not in the account, or still pending)".into(),
            attempts: sent.attempts,
            unanswered: false,
        });
    }
    Ok(Sent {
        value: (),
        status: sent.status,
        attempts: sent.attempts,
    })
}

/// `DELETE /groups/{groupId}/members/{memberId}`; a user who is not a member
/// (404/4131) is what the row asks for.
/// What a leave step did, in words: a 404 after a lost answer may be our own
/// earlier attempt's doing, so it is not "was not a member".
pub(crate) fn left(sent: &Sent<bool>) -> &'static str {
    match (sent.status, sent.value) {
        (404, false) => "not left: the user was not a member",
        (404, true) => "not a member now (an earlier attempt's answer was lost; it may have removed them)",
        _ => "left",
    }
}

/// The answer's value: whether an earlier attempt went unanswered (so a 404 may
/// be that attempt's doing).
pub(crate) async fn leave_group(client: &Client, group_id: &str, user: &str) -> Result<Sent<bool>, ApiError> {
    match client.remove_group_member(group_id, user).await {
        Ok(sent) => Ok(Sent {
            value: false,
            status: sent.status,
            attempts: sent.attempts,
        }),
        Err(ApiError::Zoom {
            status: 404,
            code: Some(4131),
            attempts,
            unanswered,
            ..
        }) => Ok(Sent {
            value: unanswered,
            status: 404,
            attempts,
        }),
        Err(e) => Err(e),
    }
}

/// A pending user joins a group by `PATCH /users/{userId}` `group_id` (the
/// member endpoints refuse pending users); after a lost answer the user's
/// `group_ids` say whether it went through.
pub(crate) async fn join_pending(client: &Client, group_id: &str, user: &str) -> Result<Sent<()>, ApiError> {
    let err = match client
        .update_user(user, serde_json::json!({ "group_id": group_id }))
        .await
    {
        Ok(sent) => return Ok(sent),
        Err(e) if e.may_have_applied() => e,
        Err(e) => return Err(e),
    };
    match client.user_in_group(user, group_id).await {
        Ok(found) if found.value => Ok(Sent {
            value: (),
            status: found.status,
            attempts: err.attempts() + found.attempts,
        }),
        Ok(found) => Err(err.with_extra_attempts(found.attempts)),
        Err(lookup) => Err(err.with_extra_attempts(lookup.attempts())),
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
        let profile = self.profile_body(record)?.is_some();
        let mut groups = [0u32; 2];
        for (slot, (column, name)) in groups
            .iter_mut()
            .zip([(self.join, "group"), (self.leave, "remove_group")])
        {
            for g in self.group_names(record, column) {
                validate::text(name, g)?;
                *slot = slot.saturating_add(1);
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
            joins: groups[0],
            leaves: groups[1],
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

    fn request_counts(&self, record: &StringRecord, row: &UpdateRow) -> [u32; 3] {
        // A change of e-mail keyed by the old address looks the user's id up first.
        let email_change = u32::from(row.new_email) * (1 + u32::from(self.key.of(record).contains('@')));
        let light = u32::from(row.profile) + u32::from(row.status.is_some()) + email_change + row.leaves;
        [
            light,
            u32::from(row.password) + u32::from(row.picture) + row.joins,
            0,
        ]
    }

    fn describe(&self, record: &StringRecord, row: &UpdateRow) -> String {
        let mut user = self.key.of(record);
        let mut calls = Vec::new();
        if row.new_email {
            let new = cell(record, self.new_email);
            if user.contains('@') {
                calls.push(format!(
                    "GET {} (the user's id)",
                    crate::zoom::users::user_path(user)
                ));
            }
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
            let body = self.profile_body(record).ok().flatten().unwrap_or_default();
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
        let join = self.group_names(record, self.join);
        if !join.is_empty() {
            calls.push(format!(
                "POST /groups/{{groupId}}/members for {} (join {})",
                plural(join.len() as u64, "group"),
                join.join(", ")
            ));
        }
        let leave = self.group_names(record, self.leave);
        if !leave.is_empty() {
            calls.push(format!(
                "DELETE /groups/{{groupId}}/members/{{memberId}} for {} (leave {})",
                plural(leave.len() as u64, "group"),
                leave.join(", ")
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
            (row.joins > 0, "group join"),
            (row.leaves > 0, "group leave"),
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
    fn a_leave_404_after_a_lost_answer_is_not_called_never_a_member() {
        let sent = |status, unanswered| Sent {
            value: unanswered,
            status,
            attempts: 2,
        };
        assert_eq!(left(&sent(204, false)), "left");
        // Two attempts, the first refused with a 429: still never a member.
        assert_eq!(left(&sent(404, false)), "not left: the user was not a member");
        assert!(left(&sent(404, true)).contains("may have removed them"));
    }

    /// The PATCH fields `cells` make, as JSON.
    fn body(cells: &[(&'static str, Kind, &str)]) -> Result<Value, FieldError> {
        let (mut p, mut legacy) = (Profile::default(), None);
        for &(name, kind, value) in cells {
            set(&mut p, &mut legacy, name, kind, value)?;
        }
        Ok(serde_json::to_value(&p).unwrap_or_default())
    }

    fn error(name: &'static str, kind: Kind, value: &str) -> FieldError {
        body(&[(name, kind, value)])
            .err()
            .unwrap_or_else(|| FieldError::new("", "accepted"))
    }

    #[test]
    fn a_lost_patch_is_recognised_by_the_fields_sent() {
        let sent = serde_json::json!({"pmi": 1234567890u64, "custom_attributes": [{"name": "Badge", "value": "42"}],
            "phone_numbers": [{"code": "+1", "country": "US", "number": "5550100"}]});
        let zoom = serde_json::json!({"pmi": "1234567890", "extra": 1,
            "custom_attributes": [{"key": "k1", "name": "Badge", "value": "42"}],
            "phone_numbers": [{"code": "+1", "country": "US", "label": "", "number": "5550100"}]});
        assert!(has_fields(&zoom, &sent));
        let other = serde_json::json!({"pmi": "1234567890", "custom_attributes": [], "phone_numbers": []});
        assert!(!has_fields(&other, &sent));
    }

    #[test]
    fn cells_become_zooms_types() {
        let b = body(&[
            ("type", Kind::UserType, "Licensed"),
            ("pmi", Kind::Pmi, "1234567890"),
            ("use_pmi", Kind::Flag, "Yes"),
            ("pronouns_option", Kind::PronounsOption, "3"),
            ("dept", Kind::Text, "Sales"),
            ("language", Kind::Language, "German"),
            ("phone", Kind::Phones, "Mobile: +1 555 0100"),
        ])
        .unwrap_or_default();
        assert_eq!(b["type"], Value::from(2));
        assert_eq!(b["pmi"], Value::from(1_234_567_890u64));
        assert_eq!(b["use_pmi"], Value::from(true));
        assert_eq!(b["pronouns_option"], Value::from(3));
        assert_eq!(b["dept"], Value::from("Sales"));
        assert_eq!(b["language"], Value::from("de-DE"));
        assert_eq!(b["phone_numbers"][0]["number"], Value::from("5550100"));
    }

    #[test]
    fn checks_name_the_column() {
        let e = error("job_title", Kind::Text, &"x".repeat(129));
        assert!(
            e.message.starts_with("job_title is 129 characters"),
            "{}",
            e.message
        );
        let e = error("manager", Kind::Manager, "not-an-email");
        assert!(e.message.starts_with("manager \"not-an-email\""), "{}", e.message);
        let e = error("use_pmi", Kind::Flag, "maybe");
        assert!(e.message.starts_with("use_pmi \"maybe\""), "{}", e.message);
        assert!(body(&[("pronouns_option", Kind::PronounsOption, "4")]).is_err());
        assert!(body(&[("pmi", Kind::Pmi, "123")]).is_err());
        assert!(body(&[("timezone", Kind::Timezone, "Mars/Olympus")]).is_err());
        assert!(body(&[("linkedin_url", Kind::LinkedIn, "https://example.com/me")]).is_err());
        assert!(body(&[("about_me", Kind::AboutMe, "see https://x.io")]).is_err());
        assert!(status_change("Inactive").is_ok() && status_change("gone").is_err());
        for (column, kind) in [
            ("first_name", Kind::Name(64)),
            ("dept", Kind::Text),
            ("company", Kind::Text),
        ] {
            let e = error(column, kind, "Sales\nand more");
            assert_eq!(e.code, validate::E_CONTROL);
            assert!(
                e.message.starts_with(&format!("{column} contains a line break")),
                "{}",
                e.message
            );
        }
    }
}
