//! `zoombulk users …`: each command's own flags, shared with `validate`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::{BulkWrite, Export};
use crate::validate::{CreateAction, UserType};

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create users from a CSV: POST /users, one per row (Light).
    ///
    /// Columns: email (required), first_name, last_name, display_name, type
    /// (1/2/4/99 or Basic/Licensed/Unassigned/None), action, password (autoCreate
    /// only); then the profile (one PATCH): dept, manager, job_title, location,
    /// company, cost_center, phone, pronouns, timezone, language, custom:<name>;
    /// group (names or ids, `;`-separated; 30 members a call); features such as
    /// webinar, large_meeting, zoom_one_type (or --feature for the whole file).
    /// Other columns are carried through to the results file.
    Import(BulkWrite<ImportArgs>),
    /// Change users from a CSV: e-mail, profile (PATCH /users/{userId}), picture,
    /// password and status.
    ///
    /// Columns: user_id (a Zoom user id or email) or email to say which user; then
    /// any of new_email (PUT …/email; 3 changes per user a day, past that the row
    /// is deferred), first_name, last_name, display_name, type, pmi, use_pmi,
    /// timezone, language, dept, vanity_name, host_key, cms_user_id, job_title,
    /// company, location, phone_number, manager, pronouns, pronouns_option, picture
    /// (a JPEG/PNG path, relative to the input file's folder; ≤ 2 MB), group
    /// (groups to join) and remove_group (groups to leave; names or ids,
    /// `;`-separated), custom:<name> attributes, password, status
    /// (active|inactive). Only non-empty cells are sent; the results' message
    /// lists what each step did.
    Update(BulkWrite<UpdateArgs>),
    /// Remove users listed in a CSV: DELETE /users/{userId} (disassociate or delete).
    ///
    /// Columns: user_id (a Zoom user id or email) or email. Other columns are
    /// carried through to the results file.
    Delete(BulkWrite<DeleteArgs>),
    /// Sign users out everywhere: DELETE /users/{userId}/token revokes their SSO
    /// token (Light).
    ///
    /// Columns: user_id (a Zoom user id or email) or email. Other columns are
    /// carried through to the results file.
    Logout(BulkWrite<LogoutArgs>),
    /// Export the account's users: GET /users, all pages (Medium).
    ///
    /// Columns: id, email, first_name, last_name, display_name, type, status,
    /// role_id, dept, group_ids (`;`-joined), group (the names, `;`-joined; one
    /// GET /groups), timezone, language, pmi, verified, phone_number,
    /// employee_unique_id, user_created_at, last_login_time, last_client_version;
    /// more with --include. Named as `users update` reads them: edit and feed back.
    Export(Export<ExportArgs>),
    /// Make the account match an HR roster: plan first, change only with --apply.
    ///
    /// Reads the roster (the `users import` columns; email required), lists the
    /// account's users in every status (GET /users, Medium, 2000 a page) and its
    /// groups (one GET /groups), and writes a plan CSV to --out (default
    /// `<roster stem>.plan.csv`): one row per change, action create | update |
    /// activate | deactivate | disassociate | delete, each changed field as
    /// `before -> after`. Fields the listing lacks (manager, job_title, company,
    /// location, cost_center, pronouns) cost one GET /users/{userId} (Light) per
    /// roster user in the account whose row sets them (all of them with
    /// --clear-empty). Compared: emails case-insensitively; text after trimming;
    /// an empty cell leaves the field as it is (unless --clear-empty); groups as
    /// sets (join the groups the roster adds and leave the groups it no longer lists); type only when the column is
    /// there. Pending users count as present. Nothing is written to Zoom without
    /// --apply or --apply-plan.
    Sync(BulkWrite<SyncArgs>),
}

/// `users sync`'s own flags.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("scope").multiple(true)))]
pub struct SyncArgs {
    /// The roster CSV (the `users import` columns, portal and HR headers
    /// accepted); `-` reads it from stdin. Not read with --apply-plan.
    #[arg(value_name = "ROSTER", required_unless_present = "apply_plan")]
    pub file: Option<PathBuf>,
    /// Carry the plan out (results to --out, default `<roster stem>.results.csv`;
    /// the plan is kept beside them as `<results stem>.plan.csv`). With --resume:
    /// continue that kept plan, without planning again.
    #[arg(long, conflicts_with = "apply_plan")]
    pub apply: bool,
    /// Carry out a reviewed plan. The account is listed again first; if any row's
    /// `before` values no longer hold, nothing is sent (plan again). Results
    /// default to `<plan stem>.results.csv`.
    #[arg(
        long,
        value_name = "PLAN",
        conflicts_with_all = ["file", "prune", "scope_domains", "scope_groups", "clear_empty", "all"]
    )]
    pub apply_plan: Option<PathBuf>,
    /// What to do with users of the account who are not in the roster (only
    /// inside --scope-domain/--scope-group; never the owner or admins). Pending
    /// users are always removed with disassociate.
    #[arg(long, value_enum, ignore_case = true, value_name = "HOW")]
    pub prune: Option<PruneAction>,
    /// Prune only users with an e-mail in this domain (exact, any case; repeatable).
    #[arg(
        long = "scope-domain",
        value_name = "DOMAIN",
        group = "scope",
        requires = "prune"
    )]
    pub scope_domains: Vec<String>,
    /// Prune only members of this group (repeatable). With --scope-domain too, a
    /// user must match both.
    #[arg(
        long = "scope-group",
        value_name = "NAME",
        group = "scope",
        requires = "prune"
    )]
    pub scope_groups: Vec<String>,
    /// Refuse to apply a plan with more changes than N (or P% of the account's
    /// users in scope); the plan is still written for review. Default: the larger
    /// of 25 and 10% of the account's users in scope.
    #[arg(long, value_name = "N|P%", value_parser = MaxChanges::parse)]
    pub max_changes: Option<MaxChanges>,
    /// An empty roster cell clears the field (text fields and groups) instead of
    /// leaving it as it is.
    #[arg(long)]
    pub clear_empty: bool,
    /// Also write a row for every roster user that needs no change (`unchanged`).
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub create: CreateDefaults,
}

/// `--prune` of `users sync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PruneAction {
    Deactivate,
    Disassociate,
    Delete,
}

/// `--max-changes`: a count, or a percentage of the account's users in scope.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxChanges {
    Count(u64),
    Percent(f64),
}

impl MaxChanges {
    pub fn parse(value: &str) -> Result<MaxChanges, String> {
        let v = value.trim();
        let bad = || format!("{value:?} is not a count (25) or a percentage (5%)");
        match v.strip_suffix('%') {
            Some(p) => match p.trim().parse::<f64>() {
                Ok(p) if p.is_finite() && (0.0..=100.0).contains(&p) => Ok(MaxChanges::Percent(p)),
                _ => Err(format!("{} (a percentage is at most 100%)", bad())),
            },
            None => v.parse::<u64>().map(MaxChanges::Count).map_err(|_| bad()),
        }
    }

    /// The most changes allowed among `in_scope` account users.
    pub fn limit(self, in_scope: u64) -> u64 {
        match self {
            MaxChanges::Count(n) => n,
            // Rounded down: a percentage is a ceiling.
            MaxChanges::Percent(p) => (in_scope as f64 * p / 100.0).floor() as u64,
        }
    }
}

/// `users import`'s own flags.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The input CSV (UTF-8, `,` `;` or tab delimited; Zoom portal headers
    /// accepted); `-` reads it from stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub create: CreateDefaults,
    /// A licence or add-on for every row, as TYPE=VALUE (repeatable): e.g.
    /// `--feature webinar=500`, `--feature zoom_whiteboard=true`. A row's own
    /// column of the same TYPE wins. Sent through POST /users/features, 30 users a call.
    #[arg(long = "feature", value_name = "TYPE=VALUE")]
    pub features: Vec<String>,
}

/// How users are created when a row does not say (`users import`, `users sync`).
#[derive(Debug, Clone, Args)]
pub struct CreateDefaults {
    /// How to create users when a row has no `action` value.
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        default_value = "create",
        value_name = "ACTION"
    )]
    pub action: Action,
    /// User type when a row has no `type` value (1/basic, 2/licensed,
    /// 4/unassigned, 99/none).
    #[arg(
        long = "type",
        value_enum,
        ignore_case = true,
        default_value = "basic",
        value_name = "TYPE"
    )]
    pub user_type: UserTypeArg,
}

/// `--action` of `users import`: Zoom's spelling, any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Action {
    /// Zoom emails a confirmation link; the user is pending until accepted.
    #[value(name = "create")]
    Create,
    /// Managed domains: active at once, with the row's password.
    #[value(name = "autoCreate")]
    AutoCreate,
    /// API partners: no password, cannot sign in.
    #[value(name = "custCreate")]
    CustCreate,
    /// Pre-provisioned SSO user.
    #[value(name = "ssoCreate")]
    SsoCreate,
}

impl From<Action> for CreateAction {
    fn from(a: Action) -> CreateAction {
        match a {
            Action::Create => CreateAction::Create,
            Action::AutoCreate => CreateAction::AutoCreate,
            Action::CustCreate => CreateAction::CustCreate,
            Action::SsoCreate => CreateAction::SsoCreate,
        }
    }
}

/// `--type` of `users import`: the name or Zoom's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UserTypeArg {
    #[value(alias = "1")]
    Basic,
    #[value(alias = "2", alias = "licenced")]
    Licensed,
    /// Unassigned without Meetings Basic.
    #[value(alias = "4")]
    Unassigned,
    /// Only with action ssoCreate.
    #[value(alias = "99")]
    None,
}

impl From<UserTypeArg> for UserType {
    fn from(t: UserTypeArg) -> UserType {
        match t {
            UserTypeArg::Basic => UserType::Basic,
            UserTypeArg::Licensed => UserType::Licensed,
            UserTypeArg::Unassigned => UserType::Unassigned,
            UserTypeArg::None => UserType::NoneSso,
        }
    }
}

/// `users update`'s own flags.
#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    /// The input CSV (UTF-8, `,` `;` or tab delimited); `-` reads it from stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Send the empty cells of text columns as empty values, clearing those fields
    /// (without it an empty cell leaves the field as it is). Numbers, flags,
    /// host_key, password and status are never cleared.
    #[arg(long)]
    pub clear_empty: bool,
}

/// `users logout`'s own flags.
#[derive(Debug, Clone, Args)]
pub struct LogoutArgs {
    /// The input CSV (UTF-8, `,` `;` or tab delimited); `-` reads it from stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `users delete`'s own flags.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("transfer").multiple(true)))]
pub struct DeleteArgs {
    /// The input CSV (UTF-8, `,` `;` or tab delimited); `-` reads it from stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// disassociate: the user leaves the account and keeps a free Zoom account of
    /// their own; delete: the user and their data are removed for good.
    #[arg(long, value_enum, ignore_case = true, value_name = "ACTION")]
    pub action: DeleteAction,
    /// Give the users' data chosen with the --transfer-* flags (or --transfer-all)
    /// to this user of the account first.
    #[arg(long, value_name = "EMAIL", requires = "transfer")]
    pub transfer_email: Option<String>,
    /// Transfer everything Zoom can transfer (every --transfer-* below).
    #[arg(long, group = "transfer", requires = "transfer_email")]
    pub transfer_all: bool,
    /// Transfer the users' upcoming meetings to --transfer-email.
    #[arg(long, group = "transfer", requires = "transfer_email")]
    pub transfer_meetings: bool,
    /// Transfer the users' upcoming webinars to --transfer-email.
    #[arg(long, group = "transfer", requires = "transfer_email")]
    pub transfer_webinars: bool,
    /// Transfer the users' cloud recordings to --transfer-email.
    #[arg(long, group = "transfer", requires = "transfer_email")]
    pub transfer_recordings: bool,
    /// Transfer the users' Zoom Whiteboard data to --transfer-email.
    #[arg(long, group = "transfer", requires = "transfer_email")]
    pub transfer_whiteboards: bool,
    /// Transfer the users' Zoom Clips to --transfer-email.
    #[arg(long, group = "transfer", requires = "transfer_email")]
    pub transfer_clips: bool,
    /// Transfer the users' notes to --transfer-email.
    #[arg(long, group = "transfer", requires = "transfer_email")]
    pub transfer_notes: bool,
    /// Transfer the users' visitors to --transfer-email.
    #[arg(long, group = "transfer", requires = "transfer_email")]
    pub transfer_visitors: bool,
    /// Transfer the users' docs to --transfer-email.
    #[arg(long, group = "transfer", requires = "transfer_email")]
    pub transfer_docs: bool,
    /// Count users Zoom does not know (404) as `skipped` rather than `failed`.
    #[arg(long)]
    pub missing_ok: bool,
    /// Do not ask before `--action delete` (required when there is no terminal to ask on).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `--action` of `users delete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeleteAction {
    Disassociate,
    Delete,
}

impl DeleteAction {
    /// Zoom's query value.
    pub fn as_str(self) -> &'static str {
        match self {
            DeleteAction::Disassociate => "disassociate",
            DeleteAction::Delete => "delete",
        }
    }
}

/// `users export`'s own flags.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Which users [default: active, Zoom's].
    #[arg(long, value_enum, ignore_case = true, value_name = "STATUS")]
    pub status: Option<UserStatus>,
    /// Only users with this role.
    #[arg(long, value_name = "ID")]
    pub role_id: Option<String>,
    /// More columns: `profile` (job_title, company, location, manager, cost_center,
    /// pronouns, phone, …: one GET /users/{userId} per user, Light) and
    /// `custom_attributes` (Zoom's include_fields). Comma-separated or repeated.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "WHAT")]
    pub include: Vec<ExportInclude>,
}

/// `--include` of `users export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportInclude {
    /// The fields only GET /users/{userId} has.
    Profile,
    /// Custom attributes, as `name=value;…`.
    #[value(name = "custom_attributes", alias = "custom-attributes")]
    CustomAttributes,
}

/// `--status` of `users export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UserStatus {
    Active,
    Inactive,
    Pending,
}

impl UserStatus {
    /// Zoom's query value.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Inactive => "inactive",
            UserStatus::Pending => "pending",
        }
    }
}
