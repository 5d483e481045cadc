//! `zoombulk users import FILE.csv`: per row, `POST /users`, then the profile
//! (one `PATCH /users/{id}`), then the groups joined, then the features set.
//!
//! A create that meets 409/1005 (the email is already in the account, perhaps
//! because an earlier attempt's answer was lost) becomes `exists` with the
//! existing user's id looked up, never `failed`; the later steps still run, so
//! `--resume` finishes what a previous run left undone.
//!
//! Groups are listed once per run (after connecting, before any row is sent); a
//! row naming a group the account does not have is `invalid`, with the closest
//! names. Members of the account join 30 a `POST /groups/{groupId}/members` and
//! features go 30 users a `POST /users/features`, rows sharing those requests
//! through [`Batcher`]. Pending users (`action=create`) join with
//! `PATCH /users/{id}` `group_id` instead, one group a call (FACTS: the members
//! endpoint is for members of the account).
//!
//! The row's status says what the create did (`created`, `exists`); when a later
//! step did not go through, the code is `E_PARTIAL` and the message lists every
//! step (`created; profile set; group Sales failed: …`): the run exits as for a
//! failed row and `--resume` runs the row again.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{SubsecRound, Utc};
use csv::StringRecord;
use serde_json::{Map, Value};
use tokio::sync::OnceCell;

use super::{
    Context, DISPLAY_NAME_ALIASES, DuplicateKey, EMAIL_ALIASES, FIRST_NAME_ALIASES, Fatal, Job, KeyPlan,
    LAST_NAME_ALIASES, USER_TYPE_ALIASES, cell, outcome_for_error, run_command, validate_command,
};
use crate::app::{Exit, RunError};
use crate::cli::users::ImportArgs as Args;
use crate::pipeline::batcher::Batcher;
use crate::pipeline::columns::ColumnSpec;
use crate::pipeline::input::InputFile;
use crate::pipeline::job::{CapUse, DailyCap, SharedRequests};
use crate::pipeline::outcome::{E_PARTIAL, Outcome, Status};
use crate::validate::profile::{self as rules, is_feature_column};
use crate::validate::{self, CreateAction, E_VALUE, FieldError, UserType};
use crate::zoom::groups::{AddedMembers, Group, MEMBERS_PER_CALL, UserKey};
use crate::zoom::users::{CustomAttribute, FEATURE_USERS_PER_CALL, FeatureResult, Profile};
use crate::zoom::{ApiError, Category, Client};

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    run_command(&args.file, ctx, |input| UsersImport::new(input, args)).await
}

pub fn validate(args: &Args) -> Result<Exit, RunError> {
    validate_command(&args.file, |input| UsersImport::new(input, args))
}

/// A batch whose rows stopped coming goes after this long without a new one.
const BATCH_QUIET: Duration = Duration::from_secs(2);

/// Profile text columns: (PATCH field, header aliases).
const PROFILE_TEXT: [(&str, &[&str]); 9] = [
    ("dept", &["department", "dept name"]),
    ("manager", &["manager email", "manager e-mail", "reports to"]),
    ("job_title", &["job title", "title", "position"]),
    ("location", &["office location", "office", "work location"]),
    ("company", &["company name", "organization", "organisation"]),
    ("cost_center", &["cost centre", "cost center code"]),
    ("pronouns", &[]),
    ("timezone", &["time zone", "tz"]),
    ("language", &["preferred language"]),
];

pub(crate) const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::required("email", EMAIL_ALIASES),
    ColumnSpec::optional("first_name", FIRST_NAME_ALIASES),
    ColumnSpec::optional("last_name", LAST_NAME_ALIASES),
    ColumnSpec::optional("display_name", DISPLAY_NAME_ALIASES),
    ColumnSpec::optional("type", USER_TYPE_ALIASES),
    ColumnSpec::optional("action", &["create action"]),
    ColumnSpec::optional("password", &["initial password"]),
    ColumnSpec::optional(PROFILE_TEXT[0].0, PROFILE_TEXT[0].1),
    ColumnSpec::optional(PROFILE_TEXT[1].0, PROFILE_TEXT[1].1),
    ColumnSpec::optional(PROFILE_TEXT[2].0, PROFILE_TEXT[2].1),
    ColumnSpec::optional(PROFILE_TEXT[3].0, PROFILE_TEXT[3].1),
    ColumnSpec::optional(PROFILE_TEXT[4].0, PROFILE_TEXT[4].1),
    ColumnSpec::optional(PROFILE_TEXT[5].0, PROFILE_TEXT[5].1),
    ColumnSpec::optional(PROFILE_TEXT[6].0, PROFILE_TEXT[6].1),
    ColumnSpec::optional(PROFILE_TEXT[7].0, PROFILE_TEXT[7].1),
    ColumnSpec::optional(PROFILE_TEXT[8].0, PROFILE_TEXT[8].1),
    ColumnSpec::optional("pronouns_option", &["display pronouns"]),
    ColumnSpec::optional(
        "phone",
        &["phone number", "phone numbers", "mobile", "work phone"],
    ),
    ColumnSpec::optional("group", &["user group", "user groups", "groups"]),
    ColumnSpec::optional("webinar", &[]),
    ColumnSpec::optional("large_meeting", &[]),
    ColumnSpec::optional("zoom_one_type", &["zoom one"]),
    ColumnSpec::optional("zoom_events", &[]),
    ColumnSpec::optional("zoom_whiteboard", &[]),
    ColumnSpec::optional("concurrent_meeting", &[]),
    ColumnSpec::optional("plan_united_type", &[]),
    ColumnSpec::optional("zoom_revenue_accelerator", &[]),
    ColumnSpec::optional("zoom_clips_plus", &[]),
    ColumnSpec::prefix("custom:"),
];

/// The account's groups, by id and by lower-cased name (users update uses it too).
pub(crate) struct Directory {
    by_id: HashMap<String, Group>,
    by_name: HashMap<String, Group>,
}

impl Directory {
    /// The account's groups (one `GET /groups` listing), for a run to keep.
    pub(crate) async fn list(client: &Client) -> Result<Directory, String> {
        client
            .list_groups()
            .await
            .map(Directory::new)
            .map_err(|e| format!("listing the account's groups failed: {e}"))
    }

    pub(crate) fn new(groups: Vec<Group>) -> Directory {
        Directory {
            by_name: groups
                .iter()
                .map(|g| (g.name.to_lowercase(), g.clone()))
                .collect(),
            by_id: groups.into_iter().map(|g| (g.id.clone(), g)).collect(),
        }
    }

    pub(crate) fn find(&self, written: &str) -> Option<&Group> {
        self.by_id
            .get(written)
            .or_else(|| self.by_name.get(&written.to_lowercase()))
    }

    /// Up to three existing names closest to `written` (edit distance).
    pub(crate) fn closest(&self, written: &str) -> Vec<String> {
        let w = written.to_lowercase();
        let mut names: Vec<(usize, &str)> = self
            .by_id
            .values()
            .map(|g| (strsim::levenshtein(&w, &g.name.to_lowercase()), g.name.as_str()))
            .collect();
        names.sort();
        names.into_iter().take(3).map(|(_, n)| n.to_string()).collect()
    }
}

/// The shared members call's answer, or its error (and whether it may have been
/// applied: then each row looks its own membership up).
type MemberAnswer = Result<Arc<AddedMembers>, (String, bool)>;
type FeatureAnswer = Result<Arc<FeatureResult>, String>;

pub struct UsersImport {
    email: Option<usize>,
    first_name: Option<usize>,
    last_name: Option<usize>,
    display_name: Option<usize>,
    user_type: Option<usize>,
    action: Option<usize>,
    password: Option<usize>,
    profile_text: Vec<(&'static str, usize)>,
    pronouns_option: Option<usize>,
    phone: Option<usize>,
    group: Option<usize>,
    custom: Vec<(String, usize)>,
    /// Per-row feature columns: (feature type, record index).
    feature_columns: Vec<(&'static str, usize)>,
    /// `--feature TYPE=VALUE`, values as Zoom takes them.
    file_features: Vec<(String, String)>,
    default_action: CreateAction,
    default_type: UserType,
    directory: OnceCell<Result<Directory, String>>,
    members: Batcher<String, String, MemberAnswer>,
    features: Batcher<(String, String), String, FeatureAnswer>,
    /// Rows (members of the account) per group list, from a pass over the file.
    member_rows_by_key: BTreeMap<Vec<String>, usize>,
    /// Rows per group name and per feature, for `--dry-run`.
    rows_by_group: BTreeMap<String, usize>,
    rows_by_feature: BTreeMap<(String, String), usize>,
    /// Rows waiting for their group and feature requests ([`Job::parked`]).
    parked: AtomicUsize,
    /// Whether a row can set more than the create's fields (profile, groups,
    /// features): a file of plain rows skips those parsers.
    extras: bool,
}

/// Counts a row as parked while it lives.
struct Parked<'a>(&'a AtomicUsize);

impl<'a> Parked<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        Parked(counter)
    }
}

impl Drop for Parked<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A checked row: what the record alone does not say.
pub struct UserRow {
    action: CreateAction,
    user_type: UserType,
    /// `None` when the row sets no profile field: every row is parsed in the
    /// preflight, and a `Profile` inline would be copied and dropped each time.
    profile: Option<Box<Profile>>,
    /// Group names or ids as written.
    groups: Vec<String>,
    /// (feature type, Zoom's value).
    features: Vec<(String, String)>,
}

/// After a join whose call may have reached Zoom but ended in `error`: what the
/// user's `group_ids` say now is the truth (`GET /users/{userId}`).
async fn in_group_now(
    client: &Client,
    user_id: &str,
    group: &Group,
    error: String,
    attempts: &AtomicU32,
) -> Result<(), String> {
    let found = client.user_in_group(user_id, &group.id).await;
    let n = found.as_ref().map_or_else(ApiError::attempts, |f| f.attempts);
    attempts.fetch_add(n, Ordering::Relaxed);
    match found {
        Ok(found) if found.value => Ok(()),
        Ok(_) => Err(error),
        Err(lookup) => Err(format!(
            "{error}; the call may have been applied and looking the user up failed ({lookup}): check the group in Zoom"
        )),
    }
}

/// A row's groups as the batch key compares them: sorted, as written (so a message
/// can quote them).
fn group_key(groups: &[String]) -> Vec<String> {
    let mut key = groups.to_vec();
    key.sort();
    key
}

impl UsersImport {
    pub fn new(input: &InputFile, args: &Args) -> Result<UsersImport, String> {
        let mut job = UsersImport::bind(input, args)?;
        if job.group.is_some() || !job.feature_columns.is_empty() || !job.file_features.is_empty() {
            job.count_shared(input);
        }
        Ok(job)
    }

    /// The job bound to the file's columns, without the pass that counts shared
    /// requests: enough to check rows (`users sync` reads its roster once).
    pub(crate) fn bind(input: &InputFile, args: &Args) -> Result<UsersImport, String> {
        let mut file_features = Vec::new();
        for f in &args.features {
            let (kind, value) = f
                .split_once('=')
                .ok_or_else(|| format!("--feature {f}: expected TYPE=VALUE, e.g. --feature webinar=500"))?;
            let value = rules::feature(kind.trim(), value).map_err(|e| format!("--feature {f}: {e}"))?;
            file_features.retain(|(k, _): &(String, String)| k != kind.trim());
            file_features.push((kind.trim().to_string(), value));
        }
        let custom = input.prefixed("custom:");
        rules::custom_attribute_count(custom.len()).map_err(|e| format!("{}: {e}", input.name()))?;
        let mut job = UsersImport {
            email: input.column("email"),
            first_name: input.column("first_name"),
            last_name: input.column("last_name"),
            display_name: input.column("display_name"),
            user_type: input.column("type"),
            action: input.column("action"),
            password: input.column("password"),
            profile_text: PROFILE_TEXT
                .iter()
                .filter_map(|(name, _)| input.column(name).map(|i| (*name, i)))
                .collect(),
            pronouns_option: input.column("pronouns_option"),
            phone: input.column("phone"),
            group: input.column("group"),
            custom,
            feature_columns: rules::FEATURE_TYPES
                .iter()
                .filter(|t| is_feature_column(t))
                .filter_map(|t| input.column(t).map(|i| (*t, i)))
                .collect(),
            file_features,
            default_action: CreateAction::from(args.create.action),
            default_type: UserType::from(args.create.user_type),
            directory: OnceCell::new(),
            members: Batcher::new(MEMBERS_PER_CALL, BATCH_QUIET),
            features: Batcher::new(FEATURE_USERS_PER_CALL, BATCH_QUIET),
            member_rows_by_key: BTreeMap::new(),
            rows_by_group: BTreeMap::new(),
            rows_by_feature: BTreeMap::new(),
            parked: AtomicUsize::new(0),
            extras: true,
        };
        job.extras = !(job.profile_text.is_empty()
            && job.pronouns_option.is_none()
            && job.phone.is_none()
            && job.custom.is_empty()
            && job.group.is_none()
            && job.feature_columns.is_empty()
            && job.file_features.is_empty());
        Ok(job)
    }

    /// One pass over the file: how many rows will share each group and feature
    /// request, so a batch goes as soon as its last row has joined.
    fn count_shared(&mut self, input: &InputFile) {
        let Ok(mut records) = input.records() else {
            return;
        };
        let mut record = StringRecord::new();
        while let Ok(Some(_)) = records.read(&mut record) {
            let Ok(row) = self.parse(&record) else { continue };
            // Pending users (action create) join by PATCH, counted per row: not here.
            if !row.groups.is_empty() && row.action != CreateAction::Create {
                for g in &row.groups {
                    *self.rows_by_group.entry(g.clone()).or_default() += 1;
                }
                *self.member_rows_by_key.entry(group_key(&row.groups)).or_default() += 1;
            }
            for f in row.features {
                *self.rows_by_feature.entry(f).or_default() += 1;
            }
        }
        for (feature, n) in &self.rows_by_feature {
            self.features.expect(feature.clone(), *n);
        }
    }

    /// The `user_info` object of `POST /users`, from a checked record.
    fn user_info(&self, record: &StringRecord, row: &UserRow) -> Value {
        let mut info = Map::new();
        info.insert("email".into(), Value::from(cell(record, self.email)));
        info.insert("type".into(), Value::from(row.user_type as u8));
        for (column, index) in [
            ("first_name", self.first_name),
            ("last_name", self.last_name),
            ("display_name", self.display_name),
            ("password", self.password),
        ] {
            let value = cell(record, index);
            if !value.is_empty() {
                info.insert(column.into(), Value::from(value));
            }
        }
        Value::Object(info)
    }

    fn parse_profile(&self, record: &StringRecord) -> Result<Option<Box<Profile>>, FieldError> {
        if self.profile_text.is_empty()
            && self.pronouns_option.is_none()
            && self.phone.is_none()
            && self.custom.is_empty()
        {
            return Ok(None);
        }
        let mut p = Profile::default();
        for &(field, index) in &self.profile_text {
            let value = cell(record, Some(index));
            if value.is_empty() {
                continue;
            }
            rules::profile_text(field, value, rules::text_limit(field))?;
            let value = match field {
                "manager" => {
                    rules::manager(value)?;
                    value.to_string()
                }
                "timezone" => {
                    rules::timezone(value)?;
                    value.to_string()
                }
                "language" => rules::language(value)?.to_string(),
                _ => value.to_string(),
            };
            let slot = match field {
                "dept" => &mut p.dept,
                "manager" => &mut p.manager,
                "job_title" => &mut p.job_title,
                "location" => &mut p.location,
                "company" => &mut p.company,
                "cost_center" => &mut p.cost_center,
                "pronouns" => &mut p.pronouns,
                "timezone" => &mut p.timezone,
                _ => &mut p.language,
            };
            *slot = Some(value);
        }
        let option = cell(record, self.pronouns_option);
        if !option.is_empty() {
            p.pronouns_option = Some(rules::pronouns_option(option)?);
        }
        let phone = cell(record, self.phone);
        if !phone.is_empty() {
            p.phone_numbers = Some(rules::phones("phone", phone)?);
        }
        let mut attrs = Vec::new();
        for (name, index) in &self.custom {
            let value = cell(record, Some(*index));
            if !value.is_empty() {
                rules::profile_text(&format!("custom:{name}"), value, rules::FREE_TEXT_MAX)?;
                attrs.push(CustomAttribute {
                    key: None,
                    name: Some(name.clone()),
                    value: value.to_string(),
                });
            }
        }
        if !attrs.is_empty() {
            p.custom_attributes = Some(attrs);
        }
        Ok((!p.is_empty()).then(|| Box::new(p)))
    }

    fn parse_groups(&self, record: &StringRecord) -> Result<Vec<String>, FieldError> {
        let mut groups: Vec<String> = Vec::new();
        if self.group.is_none() {
            return Ok(groups);
        }
        for g in cell(record, self.group)
            .split(';')
            .map(str::trim)
            .filter(|g| !g.is_empty())
        {
            validate::text("group", g)?;
            if !groups.iter().any(|x| x.eq_ignore_ascii_case(g)) {
                groups.push(g.to_string());
            }
        }
        Ok(groups)
    }

    fn parse_features(&self, record: &StringRecord) -> Result<Vec<(String, String)>, FieldError> {
        if self.file_features.is_empty() && self.feature_columns.is_empty() {
            return Ok(Vec::new());
        }
        let mut features = self.file_features.clone();
        for &(kind, index) in &self.feature_columns {
            let value = cell(record, Some(index));
            if value.is_empty() {
                continue;
            }
            let value = rules::feature(kind, value)?;
            features.retain(|(k, _)| k != kind);
            features.push((kind.to_string(), value));
        }
        Ok(features)
    }

    /// The groups listed once for the run (the first caller lists them).
    async fn directory(&self, client: &Client) -> &Result<Directory, String> {
        self.directory.get_or_init(|| Directory::list(client)).await
    }

    /// Adds the user to one group: 30 members a call, or `group_id` for a pending user.
    async fn join_group(
        &self,
        client: &Client,
        group: &Group,
        user_id: &str,
        pending: bool,
        attempts: &AtomicU32,
    ) -> Result<(), String> {
        if pending {
            let sent = super::users_update::join_pending(client, &group.id, user_id).await;
            let n = sent.as_ref().map_or_else(ApiError::attempts, |s| s.attempts);
            attempts.fetch_add(n, Ordering::Relaxed);
            return sent.map(|_| ()).map_err(|e| e.to_string());
        }
        let group_id = group.id.clone();
        let answer = self
            .members
            .join(
                group.id.clone(),
                user_id.to_string(),
                Err(("the group request was not answered".into(), true)),
                |users: Vec<String>| {
                    let group_id = group_id.clone();
                    async move {
                        let keys: Vec<UserKey> =
                            users.iter().map(|id| UserKey::Id { id: id.clone() }).collect();
                        let answer: MemberAnswer = client
                            .add_group_members(&group_id, &keys)
                            .await
                            .map(|sent| Arc::new(sent.value))
                            .map_err(|e| (e.to_string(), e.may_have_applied()));
                        vec![answer; users.len()]
                    }
                },
            )
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err((error, false)) => return Err(error),
            Err((error, true)) => return in_group_now(client, user_id, group, error, attempts).await,
        };
        if answer.contains(user_id) {
            Ok(())
        } else {
            Err("Zoom did not list the user among those added (not an active member of the account?)".into())
        }
    }

    /// Sets one feature: 30 users a `POST /users/features`, paced by its own limit.
    async fn set_feature(
        &self,
        client: &Client,
        kind: &str,
        value: &str,
        user_id: &str,
    ) -> Result<(), String> {
        let key = (kind.to_string(), value.to_string());
        let answer = self
            .features
            .join(
                key,
                user_id.to_string(),
                Err("the features request was not answered".into()),
                |users: Vec<String>| async move {
                    let keys: Vec<UserKey> = users.iter().map(|id| UserKey::Id { id: id.clone() }).collect();
                    let answer: FeatureAnswer = client
                        .set_feature(kind, value, &keys)
                        .await
                        .map(|sent| Arc::new(sent.value))
                        .map_err(|e| e.to_string());
                    vec![answer; users.len()]
                },
            )
            .await?;
        answer.outcome_for(user_id)
    }

    /// A row that will not join its batches (its create failed) lets them go.
    fn skip_shared(&self, row: &UserRow, groups: &[Group]) {
        if row.action != CreateAction::Create {
            for g in groups {
                self.members.skip(&g.id);
            }
        }
        for f in &row.features {
            self.features.skip(f);
        }
    }

    /// The groups of a row, resolved (the plan made sure they exist).
    fn resolve(&self, row: &UserRow) -> Vec<Group> {
        match self.directory.get() {
            Some(Ok(dir)) => row.groups.iter().filter_map(|g| dir.find(g).cloned()).collect(),
            _ => Vec::new(),
        }
    }

    /// The steps after the create; the parts of the row's note.
    async fn later_steps(
        &self,
        client: &Client,
        row: &UserRow,
        groups: &[Group],
        user_id: &str,
    ) -> (Vec<Result<String, String>>, u32) {
        // Requests sent for this row alone (the shared ones belong to no single row).
        let attempts = AtomicU32::new(0);
        let attempts = &attempts;
        let mut parts = Vec::new();
        if let Some(profile) = &row.profile {
            let sent = client.update_profile(user_id, profile).await;
            let n = sent.as_ref().map_or_else(ApiError::attempts, |s| s.attempts);
            attempts.fetch_add(n, Ordering::Relaxed);
            parts.push(match sent {
                Ok(_) => Ok("profile set".to_string()),
                Err(e) => Err(format!("profile failed: {e}")),
            });
        }
        let pending = row.action == CreateAction::Create;
        let joins = groups.iter().map(|g| async move {
            match self.join_group(client, g, user_id, pending, attempts).await {
                Ok(()) => Ok(format!("group {} joined", g.name)),
                Err(e) => Err(format!("group {} failed: {e}", g.name)),
            }
        });
        let sets = row.features.iter().map(|(kind, value)| async move {
            match self.set_feature(client, kind, value, user_id).await {
                Ok(()) => Ok(format!("{kind}={value} set")),
                Err(e) => Err(format!("{kind}={value} failed: {e}")),
            }
        });
        let _parked = Parked::new(&self.parked);
        let (joined, set) =
            futures::future::join(futures::future::join_all(joins), futures::future::join_all(sets)).await;
        parts.extend(joined);
        parts.extend(set);
        (parts, attempts.load(Ordering::Relaxed))
    }
}

impl Job for UsersImport {
    type Row = UserRow;
    type BatchKey = Vec<String>;
    const KIND: &'static str = "users-import";
    const KEY_NAME: &'static str = "email";

    fn columns() -> &'static [ColumnSpec] {
        COLUMNS
    }

    fn parse(&self, record: &StringRecord) -> Result<UserRow, FieldError> {
        validate::email(cell(record, self.email))?;
        let action = match cell(record, self.action) {
            "" => self.default_action,
            a => validate::create_action(a)?,
        };
        let user_type = match cell(record, self.user_type) {
            "" => self.default_type,
            t => validate::user_type(t)?,
        };
        validate::check_type_action(user_type, action)?;
        let password = cell(record, self.password);
        validate::check_password_action(!password.is_empty(), action)?;
        if !password.is_empty() {
            validate::password(password)?;
        }
        for (column, index, max) in [
            ("first_name", self.first_name, 64),
            ("last_name", self.last_name, 64),
            ("display_name", self.display_name, 128),
        ] {
            let value = cell(record, index);
            if !value.is_empty() {
                validate::name_text(column, value, max)?;
            }
        }
        if !self.extras {
            return Ok(UserRow {
                action,
                user_type,
                profile: None,
                groups: Vec::new(),
                features: Vec::new(),
            });
        }
        Ok(UserRow {
            action,
            user_type,
            profile: self.parse_profile(record)?,
            groups: self.parse_groups(record)?,
            features: self.parse_features(record)?,
        })
    }

    fn duplicate_key(&self, record: &StringRecord, _row: &UserRow, key: &mut DuplicateKey) -> bool {
        key.folded(cell(record, self.email));
        true
    }

    /// Rows naming the same groups share one check that the groups exist.
    fn batch_key(&self, _record: &StringRecord, row: &UserRow) -> Option<Vec<String>> {
        (!row.groups.is_empty()).then(|| group_key(&row.groups))
    }

    fn joins_batch(&self, _row: &UserRow) -> bool {
        false
    }

    async fn plan_key(&self, client: &Client, key: &Vec<String>) -> Result<KeyPlan, Fatal> {
        let dir = match self.directory(client).await {
            Ok(dir) => dir,
            Err(e) => return Err(Fatal(e.clone())),
        };
        let mut found = Vec::new();
        for written in key {
            match dir.find(written) {
                Some(g) => found.push(g.id.clone()),
                None => {
                    let closest = dir.closest(written);
                    return Ok(KeyPlan::Doomed(Outcome::invalid(
                        E_VALUE,
                        format!(
                            "group {written:?} does not exist in the account{}. Not sent: fix the group \
                             name (or create the group) and re-run with --resume.",
                            if closest.is_empty() {
                                String::new()
                            } else {
                                format!("; closest: {}", closest.join(", "))
                            }
                        ),
                    )));
                }
            }
        }
        let rows = self.member_rows_by_key.get(key).copied().unwrap_or(0);
        for id in found {
            self.members.expect(id, rows);
        }
        Ok(KeyPlan::Send { per_request: 1 })
    }

    fn request_counts(&self, _record: &StringRecord, row: &UserRow) -> [u32; 3] {
        // Group member and feature requests are shared by 30 rows: see shared_requests.
        let pending_joins = if row.action == CreateAction::Create {
            u32::try_from(row.groups.len()).unwrap_or(u32::MAX)
        } else {
            0
        };
        [1 + u32::from(row.profile.is_some()) + pending_joins, 0, 0]
    }

    fn parked(&self) -> usize {
        self.parked.load(Ordering::Relaxed)
    }

    fn shared_requests(&self) -> Vec<SharedRequests> {
        let per_call = |n: usize, size: usize| u64::try_from(n.div_ceil(size)).unwrap_or(u64::MAX);
        let mut out = Vec::new();
        let members: u64 = self
            .rows_by_group
            .values()
            .map(|&n| per_call(n, MEMBERS_PER_CALL))
            .sum();
        if members > 0 {
            out.push(SharedRequests {
                what: format!(
                    "POST /groups/{{groupId}}/members for {} groups, {MEMBERS_PER_CALL} members a call \
                     (pending users join by PATCH instead, counted as light)",
                    self.rows_by_group.len()
                ),
                category: Category::Medium,
                requests: members,
                paced_every: None,
            });
        }
        let features: u64 = self
            .rows_by_feature
            .values()
            .map(|&n| per_call(n, FEATURE_USERS_PER_CALL))
            .sum();
        if features > 0 {
            out.push(SharedRequests {
                what: format!(
                    "POST /users/features for {}, {FEATURE_USERS_PER_CALL} users a call",
                    crate::output::plural(self.rows_by_feature.len() as u64, "feature value")
                ),
                category: Category::Medium,
                requests: features,
                paced_every: Some(crate::zoom::FEATURES_INTERVAL),
            });
        }
        out
    }

    fn daily_cap(&self, _record: &StringRecord, row: &UserRow) -> Option<CapUse> {
        (row.action == CreateAction::Create).then_some(CapUse::account(DailyCap::UserInvites))
    }

    fn describe(&self, record: &StringRecord, row: &UserRow) -> String {
        let mut steps = vec![format!(
            "POST /users action={} {}",
            row.action.as_str(),
            cell(record, self.email)
        )];
        if let Some(profile) = &row.profile {
            steps.push(format!(
                "PATCH /users/{{id}} {}",
                profile.field_names().join(", ")
            ));
        }
        for g in &row.groups {
            steps.push(if row.action == CreateAction::Create {
                format!("group {g} (PATCH /users/{{id}} group_id: pending user)")
            } else {
                format!("group {g} (POST /groups/{{groupId}}/members, shared)")
            });
        }
        for (kind, value) in &row.features {
            steps.push(format!("feature {kind}={value} (POST /users/features, shared)"));
        }
        steps.join("; then ")
    }

    fn secret_columns(&self) -> Vec<usize> {
        self.password.into_iter().collect()
    }

    /// A row an earlier run `created` whose later steps failed is run again by
    /// `--resume`: its create now meets "already exists" and finds that earlier
    /// user, so the row still says `created`, with no "exists" code; the later
    /// steps' result (`E_PARTIAL` or none) stands.
    fn after_earlier(&self, earlier: &Outcome, now: Outcome) -> Outcome {
        created_by_earlier_run(earlier, now)
    }

    fn run_notes(&self) -> Vec<String> {
        match self.group {
            Some(_) => vec![
                "group names are checked against the account's groups when the run connects \
                 (one GET /groups): an unknown name makes its row invalid then, before anything is sent"
                    .to_string(),
            ],
            None => Vec::new(),
        }
    }

    async fn run_row(&self, client: &Client, record: &StringRecord, row: UserRow) -> Result<Outcome, Fatal> {
        let info = self.user_info(record, &row);
        let groups = self.resolve(&row);
        let mut outcome = create(client, row.action, cell(record, self.email), info).await?;
        let has_more = row.profile.is_some() || !groups.is_empty() || !row.features.is_empty();
        let user_id = outcome
            .zoom_id
            .clone()
            .filter(|_| matches!(outcome.status, Status::Created | Status::Exists));
        let Some(user_id) = user_id.filter(|_| has_more) else {
            self.skip_shared(&row, &groups);
            if has_more && matches!(outcome.status, Status::Created | Status::Exists) {
                // Created or found, but without an id the later steps cannot run.
                outcome.error_code = Some(E_PARTIAL.into());
                outcome.error_message = Some(format!(
                    "{}; profile, groups and features not tried: the user's id is unknown",
                    outcome
                        .error_message
                        .unwrap_or_else(|| outcome.status.as_str().to_string())
                ));
            }
            return Ok(outcome);
        };
        let first = match outcome.status {
            Status::Created => "created".to_string(),
            _ => "exists".to_string(),
        };
        let (parts, attempts) = self.later_steps(client, &row, &groups, &user_id).await;
        outcome.attempts = outcome.attempts.saturating_add(attempts);
        let failed = parts.iter().any(Result::is_err);
        let note: Vec<String> = std::iter::once(first)
            .chain(parts.into_iter().map(|p| p.unwrap_or_else(|e| e)))
            .collect();
        let earlier = outcome.error_message.take();
        outcome.error_message = Some(match earlier {
            Some(m) => format!("{}. {m}", note.join("; ")),
            None => note.join("; "),
        });
        if failed {
            outcome.error_code = Some(E_PARTIAL.into());
        }
        outcome.finished_at = Utc::now();
        Ok(outcome)
    }
}

/// A create row that `--resume` ran again after an earlier run `created` it
/// (users import, users sync): its create now meets "already exists" and finds
/// that earlier user, so the row still says `created`, with no "exists" code; the
/// later steps' result (`E_PARTIAL` or none) stands.
pub(crate) fn created_by_earlier_run(earlier: &Outcome, mut now: Outcome) -> Outcome {
    if earlier.status != Status::Created {
        return now;
    }
    if !matches!(now.status, Status::Exists | Status::Created) {
        // Not sent again this time (invalid now, deferred, a doomed target) or refused:
        // the user is still there from the earlier run, its missing steps still missing.
        let said = now.error_message.take().unwrap_or_default();
        return Outcome {
            status: Status::Created,
            zoom_id: earlier.zoom_id.clone(),
            error_code: Some(E_PARTIAL.to_string()),
            error_message: Some(format!(
                "created by an earlier run; the rest not done this time ({}{}): {said}",
                now.status.as_str(),
                now.error_code
                    .as_deref()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default()
            )),
            ..now
        };
    }
    if now.status != Status::Exists {
        return now;
    }
    now.status = Status::Created;
    if now.zoom_id.is_none() {
        now.zoom_id = earlier.zoom_id.clone();
    }
    if now.error_code.as_deref() != Some(E_PARTIAL) {
        now.error_code = None;
    }
    let rest = now
        .error_message
        .as_deref()
        .and_then(|m| m.strip_prefix("exists"))
        .unwrap_or("");
    // `run_row` writes "exists; <steps>. <the 409's text>": keep the steps.
    let steps = rest.split(". ").next().unwrap_or("");
    now.error_message = Some(format!("created by an earlier run{steps}"));
    now
}

pub(crate) async fn create(
    client: &Client,
    action: CreateAction,
    email: &str,
    info: Value,
) -> Result<Outcome, Fatal> {
    // Zoom's created_at has whole seconds.
    let first_attempt = Utc::now().trunc_subsecs(0);
    let err = match client.create_user(action.as_str(), info).await {
        Ok(sent) => {
            return Ok(Outcome {
                zoom_id: Some(sent.value.id),
                http_status: Some(sent.status),
                attempts: sent.attempts,
                ..Outcome::new(Status::Created)
            });
        }
        Err(err) => err,
    };
    let exists = err.is_code(409, 1005);
    if !exists && !err.may_have_applied() {
        return outcome_for_error(&err);
    }
    // The email is in the account (409), or an earlier attempt may have created
    // the user before its answer was lost: ask Zoom before writing the row.
    let found = client.get_user(email).await;
    let lookup_attempts = match &found {
        Ok(sent) => sent.attempts,
        Err(e) => e.attempts(),
    };
    let attempts = err.attempts() + lookup_attempts;
    let user = match found {
        Ok(sent) if exists || sent.value.id.is_some() || sent.value.email.is_some() => sent.value,
        Err(lookup) if exists => {
            return Ok(Outcome {
                http_status: Some(409),
                error_code: Some("1005".into()),
                error_message: Some(format!(
                    "The email is already in the account, but looking up its id failed: {lookup}"
                )),
                attempts,
                ..Outcome::new(Status::Exists)
            });
        }
        Err(lookup) if lookup.status() != Some(404) => {
            // Whether an earlier attempt created the user is unknown: say so.
            let mut outcome = outcome_for_error(&err)?;
            outcome.attempts = attempts;
            outcome.error_message = Some(format!(
                "{} An earlier attempt may have created the user, and looking the email up failed \
                 ({lookup}): check the user in Zoom before creating them by hand.",
                outcome.error_message.unwrap_or_default()
            ));
            return Ok(outcome);
        }
        _ => {
            // Zoom does not have the user: the error stands.
            let mut outcome = outcome_for_error(&err)?;
            outcome.attempts = attempts;
            return Ok(outcome);
        }
    };
    let ours = err.may_have_applied() && user.created_at.is_some_and(|t| t >= first_attempt);
    if ours {
        return Ok(Outcome {
            zoom_id: user.id,
            http_status: err.status(),
            attempts,
            error_message: Some(format!(
                "Created by this run: Zoom's answer to an earlier attempt was lost, and the last answer was \
                 \"{err}\"; looking the email up found the user created at {}.",
                user.created_at.map(|t| t.to_rfc3339()).unwrap_or_default()
            )),
            ..Outcome::new(Status::Created)
        });
    }
    Ok(Outcome {
        zoom_id: user.id,
        http_status: err.status(),
        error_code: exists.then(|| "1005".to_string()),
        error_message: Some(match &err {
            ApiError::Zoom { message, .. } if exists => message.clone(),
            other => format!("The email is already in the account (the create ended in \"{other}\")."),
        }),
        attempts,
        ..Outcome::new(Status::Exists)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_created_earlier_stays_created_whatever_this_run_says_of_it() {
        let earlier = Outcome {
            zoom_id: Some("u1".into()),
            error_code: Some(E_PARTIAL.into()),
            error_message: Some("created; group Sales failed: …".into()),
            ..Outcome::new(Status::Created)
        };
        // Invalid now (the file changed), or deferred: nothing sent, the user still there.
        let now = created_by_earlier_run(
            &earlier,
            Outcome::invalid("E_VALUE", "group Nowhere does not exist."),
        );
        assert_eq!(now.status, Status::Created);
        assert_eq!(now.zoom_id.as_deref(), Some("u1"));
        assert_eq!(
            now.error_code.as_deref(),
            Some(E_PARTIAL),
            "still not done: --resume goes on"
        );
        let message = now.error_message.unwrap_or_default();
        assert!(
            message.starts_with("created by an earlier run; the rest not done this time (invalid E_VALUE)"),
            "{message}"
        );
        // A row never created before is left as this run says.
        let fresh = created_by_earlier_run(&Outcome::new(Status::Failed), Outcome::invalid("E_VALUE", "x"));
        assert_eq!(fresh.status, Status::Invalid);
    }
}
