//! `zoombulk users sync ROSTER.csv`: make the account match an HR roster, with a
//! plan first.
//!
//! Planning costs the users listing (every status) and one pass over the roster:
//! the account is held as compact per-user records with only the compared fields,
//! and plan rows are written as the roster is read. Fields the listing lacks cost
//! one `GET /users/{userId}` per roster user in the account whose row sets them.
//!
//! The plan is a CSV (`email,action,user_id,<fields>,status`, changed cells as
//! `before -> after`). `--apply` and `--apply-plan` carry it out through the
//! engine like any bulk write: [`SyncApply`] is a [`Job`] whose input rows are the
//! plan's rows, so rate limits, retries, the journal, `--resume` and the results
//! file are the engine's.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use csv::StringRecord;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Map, Value};
use tokio::sync::OnceCell;

use super::users_import::{
    COLUMNS as ROSTER_COLUMNS, Directory, UsersImport, create, created_by_earlier_run,
};
use super::users_update::{StatusChange, join_group, leave_group, patch_checked, status_checked};
use super::{Context, DuplicateKey, Fatal, Job, Steps, cell, outcome_for_error};
use crate::app::{Exit, RunError};
use crate::cli::users::{ImportArgs, MaxChanges, PruneAction, SyncArgs as Args};
use crate::output::guard::needs_guard;
use crate::output::{Column, Policy, Publisher, TableOptions, TableWriter, Target};
use crate::pipeline::columns::ColumnSpec;
use crate::pipeline::input::InputFile;
use crate::pipeline::outcome::{E_PARTIAL, Outcome, Status};
use crate::pipeline::{open_input, results_path, run_job};
use crate::validate::profile as rules;
use crate::validate::{self, CreateAction, E_DUPLICATE, E_PASSWORD, E_VALUE, FieldError, UserType, quoted};
use crate::zoom::users::{USERS_PAGE_SIZE, user_path};
use crate::zoom::{Call, Category, Client};

/// Separates a field's value before and after in a plan cell.
pub const ARROW: &str = " -> ";
/// `--max-changes` when not given: the larger of this many changes…
pub const DEFAULT_MAX_CHANGES: u64 = 25;
/// …and this percentage of the account's users in scope.
pub const DEFAULT_MAX_PERCENT: f64 = 10.0;
/// `GET /users/{userId}` in flight at once for the fields the listing lacks.
const DETAIL_CONCURRENCY: usize = 8;
/// Roster problems and refused plan rows named one by one before "… and N more".
const SHOWN_PROBLEMS: usize = 20;

/// How a compared field is read, checked and sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Names: [`validate::name`]'s limit.
    Name(usize),
    Text,
    /// Zoom's number (1, 2, 4, 99).
    Type,
    Timezone,
    /// Zoom's code (`de-DE`); the roster may name the language.
    Language,
    /// Groups, as a set of names.
    Group,
}

/// A compared field: its canonical column name (the plan's and the listing's key),
/// and whether only `GET /users/{userId}` has it.
#[derive(Debug, Clone, Copy)]
struct Field {
    name: &'static str,
    kind: Kind,
    detail: bool,
}

const fn field(name: &'static str, kind: Kind, detail: bool) -> Field {
    Field { name, kind, detail }
}

const FIELDS: &[Field] = &[
    field("first_name", Kind::Name(64), false),
    field("last_name", Kind::Name(64), false),
    field("display_name", Kind::Name(128), false),
    field("type", Kind::Type, false),
    field("dept", Kind::Text, false),
    field("timezone", Kind::Timezone, false),
    field("language", Kind::Language, false),
    field("manager", Kind::Text, true),
    field("job_title", Kind::Text, true),
    field("company", Kind::Text, true),
    field("location", Kind::Text, true),
    field("cost_center", Kind::Text, true),
    field("pronouns", Kind::Text, true),
    field("group", Kind::Group, false),
];

/// A plan row's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanAction {
    Create,
    Update,
    Activate,
    Deactivate,
    Disassociate,
    Delete,
    Unchanged,
}

impl PlanAction {
    const ALL: [PlanAction; 7] = [
        PlanAction::Create,
        PlanAction::Update,
        PlanAction::Activate,
        PlanAction::Deactivate,
        PlanAction::Disassociate,
        PlanAction::Delete,
        PlanAction::Unchanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlanAction::Create => "create",
            PlanAction::Update => "update",
            PlanAction::Activate => "activate",
            PlanAction::Deactivate => "deactivate",
            PlanAction::Disassociate => "disassociate",
            PlanAction::Delete => "delete",
            PlanAction::Unchanged => "unchanged",
        }
    }

    fn parse(value: &str) -> Option<PlanAction> {
        PlanAction::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(value.trim()))
    }

    fn is_change(self) -> bool {
        self != PlanAction::Unchanged
    }
}

/// A user's status in the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserStatus {
    Active,
    Inactive,
    Pending,
}

impl UserStatus {
    const ALL: [UserStatus; 3] = [UserStatus::Active, UserStatus::Inactive, UserStatus::Pending];

    fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Inactive => "inactive",
            UserStatus::Pending => "pending",
        }
    }
}

/// One account user, holding only what the plan compares.
struct Known {
    email: Box<str>,
    /// Empty for pending users (the listing has no id for them).
    id: Box<str>,
    status: UserStatus,
    /// The owner or an admin: never pruned.
    protected: bool,
    /// The listing's values of [`Account::fields`], trimmed.
    values: Box<[Box<str>]>,
    /// Indexes into [`Account::groups`].
    groups: Box<[u32]>,
    /// Named by a roster row (valid or not).
    seen: AtomicBool,
}

/// The account as the plan sees it: users in listing order, by lower-cased e-mail.
struct Account {
    /// The listing fields kept per user (no group, no detail field).
    fields: Vec<Field>,
    users: Vec<Known>,
    by_email: HashMap<Box<str>, u32>,
    groups: Vec<crate::zoom::groups::Group>,
    directory: Directory,
    /// Listing pages fetched, for the summary's cost line.
    pages: u64,
}

impl Account {
    /// Every user in every status (`GET /users`, Medium) and the groups (`GET
    /// /groups`), keeping the listing's values of the compared `fields`.
    async fn list(client: &Client, fields: &[(Field, usize)]) -> Result<Account, RunError> {
        let fields: Vec<Field> = fields
            .iter()
            .map(|(f, _)| *f)
            .filter(|f| !f.detail && f.kind != Kind::Group)
            .collect();
        let groups = client
            .list_groups()
            .await
            .map_err(|e| RunError::new(format!("listing the account's groups failed: {e}")))?;
        let group_index: HashMap<&str, u32> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.as_str(), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        let mut users = Vec::new();
        let mut by_email = HashMap::new();
        let mut pages = 0u64;
        for status in UserStatus::ALL {
            let mut listed = 0u64;
            let call = Call::get("/users", Category::Medium)
                .query("page_size", USERS_PAGE_SIZE.to_string())
                .query("status", status.as_str());
            let mut stream = std::pin::pin!(client.paginate(call, "users"));
            while let Some(user) = stream.try_next().await.map_err(|e| {
                RunError::new(format!(
                    "listing the account's {} users failed: {e}",
                    status.as_str()
                ))
            })? {
                listed += 1;
                let email = text(user.get("email"));
                if email.is_empty() {
                    continue;
                }
                let key: Box<str> = email.to_lowercase().into();
                if by_email.contains_key(&key) {
                    continue;
                }
                let role = text(user.get("role_id"));
                let known = Known {
                    id: text(user.get("id")).into(),
                    status,
                    protected: role == "0" || role == "1",
                    values: fields.iter().map(|f| listing_value(&user, *f).into()).collect(),
                    groups: match user.get("group_ids") {
                        Some(Value::Array(ids)) => ids
                            .iter()
                            .filter_map(|id| id.as_str().and_then(|id| group_index.get(id).copied()))
                            .collect(),
                        _ => Box::default(),
                    },
                    email: email.into(),
                    seen: AtomicBool::new(false),
                };
                by_email.insert(key, u32::try_from(users.len()).unwrap_or(u32::MAX));
                users.push(known);
            }
            pages += listed.div_ceil(u64::from(USERS_PAGE_SIZE)).max(1);
        }
        drop(group_index);
        Ok(Account {
            fields,
            users,
            by_email,
            directory: Directory::new(groups.clone()),
            groups,
            pages,
        })
    }

    fn find(&self, email: &str) -> Option<&Known> {
        let i = self.by_email.get(email.trim().to_lowercase().as_str())?;
        self.users.get(*i as usize)
    }

    /// The user's value of a listing field, or `None` when it is not kept.
    fn value<'a>(&self, user: &'a Known, f: Field) -> Option<&'a str> {
        let i = self.fields.iter().position(|k| k.name == f.name)?;
        user.values.get(i).map(|v| &**v)
    }

    /// The user's group names, sorted case-insensitively.
    fn group_names(&self, user: &Known) -> Vec<&str> {
        let mut names: Vec<&str> = user
            .groups
            .iter()
            .filter_map(|&i| self.groups.get(i as usize).map(|g| g.name.as_str()))
            .collect();
        sort_names(&mut names);
        names
    }

    /// Whether a leaver may be pruned: inside every scope given, never the owner or
    /// an admin (so they are not counted for --max-changes either).
    fn in_scope(&self, user: &Known, scope: &Scope) -> bool {
        if user.protected {
            return false;
        }
        let domain_ok = scope.domains.is_empty()
            || user
                .email
                .rsplit_once('@')
                .is_some_and(|(_, d)| scope.domains.iter().any(|s| s.eq_ignore_ascii_case(d)));
        let group_ok =
            scope.groups.is_empty() || user.groups.iter().any(|g| scope.groups.contains(&(*g as usize)));
        domain_ok && group_ok
    }
}

/// Where pruning may act: e-mail domains and group indexes.
#[derive(Default)]
struct Scope {
    domains: Vec<String>,
    groups: Vec<usize>,
}

impl Scope {
    fn resolve(args: &Args, account: &Account) -> Result<Scope, RunError> {
        let mut groups = Vec::new();
        for name in &args.scope_groups {
            let found = account
                .groups
                .iter()
                .position(|g| g.name.eq_ignore_ascii_case(name.trim()) || g.id == name.trim());
            match found {
                Some(i) => groups.push(i),
                None => {
                    let closest = account.directory.closest(name);
                    return Err(RunError::usage(format!(
                        "--scope-group {}: the account has no such group{}",
                        quoted(name),
                        if closest.is_empty() {
                            String::new()
                        } else {
                            format!("; closest: {}", closest.join(", "))
                        }
                    )));
                }
            }
        }
        let domains: Vec<String> = args
            .scope_domains
            .iter()
            .map(|d| d.trim().trim_start_matches('@').to_string())
            .collect();
        for domain in &domains {
            let matched = account.users.iter().any(|u| {
                u.email
                    .rsplit_once('@')
                    .is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain))
            });
            if !matched {
                // A typo here means leavers are never pruned.
                eprintln!(
                    "zoombulk: warning: --scope-domain {} matched no user of the account; check the spelling",
                    quoted(domain)
                );
            }
        }
        Ok(Scope { domains, groups })
    }
}

/// A JSON value as text: strings as they are, numbers written out, null empty; trimmed.
fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(other) => other.to_string(),
    }
}

/// A field's value in a user object of Zoom (listing or `GET /users/{userId}`).
fn listing_value(user: &Value, f: Field) -> String {
    text(user.get(f.name))
}

fn sort_names(names: &mut [&str]) {
    names.sort_by_key(|n| n.to_lowercase());
}

/// Group names compared as sets, any case.
fn same_groups(a: &[&str], b: &[&str]) -> bool {
    let set = |names: &[&str]| -> HashSet<String> { names.iter().map(|n| n.to_lowercase()).collect() };
    set(a) == set(b)
}

/// A plan cell: `before -> after` (`-> after` when there was nothing before).
/// Values starting like a formula are guarded; `-> ` itself is the contract's.
fn change_cell(before: &str, after: &str) -> String {
    let cell = if before.is_empty() {
        format!("{}{after}", ARROW.trim_start())
    } else {
        format!("{before}{ARROW}{after}")
    };
    // `-> Sales` (the field was empty) too: a spreadsheet would read it as a formula.
    if needs_guard(cell.as_bytes()) {
        format!("'{cell}")
    } else {
        cell
    }
}

/// A plan cell's `(before, after)`; `None` when it is not a change.
fn split_change(cell: &str) -> Option<(&str, &str)> {
    // Spreadsheets and readers may trim the cell: `-> x` and `x ->` stay changes.
    let cell = cell.trim();
    let arrow = ARROW.trim();
    if let Some(after) = cell.strip_prefix(arrow) {
        return Some(("", after.trim()));
    }
    if let Some(before) = cell.strip_suffix(arrow)
        && before.ends_with(char::is_whitespace)
    {
        return Some((before.trim(), ""));
    }
    cell.split_once(ARROW).map(|(b, a)| (b.trim(), a.trim()))
}

/// Why a plan row's action disagrees with its `status` cell (a hand edit): the
/// action is what is carried out, so it must be the change the plan shows.
fn status_disagrees(action: PlanAction, status: &str) -> Option<String> {
    let change = split_change(status);
    let after = change.map(|(_, a)| a.to_ascii_lowercase());
    let before = change.map(|(b, _)| b.to_ascii_lowercase());
    let agrees = match action {
        PlanAction::Deactivate => before.as_deref() == Some("active") && after.as_deref() == Some("inactive"),
        PlanAction::Delete => after.as_deref() == Some("deleted"),
        PlanAction::Disassociate => after.as_deref() == Some("disassociated"),
        PlanAction::Activate => before.as_deref() == Some("inactive") && after.as_deref() == Some("active"),
        PlanAction::Create | PlanAction::Update | PlanAction::Unchanged => change.is_none(),
    };
    (!agrees).then(|| {
        format!(
            "action {} does not agree with status {} (the plan was edited inconsistently: {}); fix or remove the \
             row, or plan again",
            action.as_str(),
            quoted(status.trim()),
            match action {
                PlanAction::Deactivate => "deactivate is `active -> inactive`",
                PlanAction::Delete => "delete is `… -> deleted`",
                PlanAction::Disassociate => "disassociate is `… -> disassociated`",
                PlanAction::Activate => "activate is `inactive -> active`",
                _ => "only activate and removals change the status",
            }
        )
    })
}

/// Group names in a plan cell: `;`-separated.
fn cell_groups(value: &str) -> Vec<&str> {
    value
        .split(';')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .collect()
}

/// Default path beside `file`: `<stem>.<suffix>`.
fn beside(file: &Path, suffix: &str) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "roster".into());
    file.with_file_name(format!("{stem}.{suffix}"))
}

/// The plan's columns for a roster: compared fields in roster order, then `status`.
fn plan_fields(input: &InputFile) -> Vec<(Field, usize)> {
    let mut fields: Vec<(Field, usize)> = FIELDS
        .iter()
        .filter_map(|f| input.column(f.name).map(|i| (*f, i)))
        .collect();
    fields.sort_by_key(|(_, i)| *i);
    fields
}

/// What a roster row wants of a field: `None` leaves it as it is.
enum Want {
    Leave,
    Text(String),
    Groups(Vec<String>),
}

/// Reads a roster cell as the field's wanted value (checked).
fn want(f: Field, value: &str, clear_empty: bool, dir: &Directory) -> Result<Want, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(match f.kind {
            Kind::Name(_) | Kind::Text if clear_empty => Want::Text(String::new()),
            Kind::Group if clear_empty => Want::Groups(Vec::new()),
            _ => Want::Leave,
        });
    }
    Ok(match f.kind {
        Kind::Name(_) | Kind::Text | Kind::Timezone => Want::Text(value.to_string()),
        Kind::Type => Want::Text((validate::user_type(value)? as u8).to_string()),
        Kind::Language => Want::Text(rules::language(value)?.to_string()),
        Kind::Group => Want::Groups(resolve_groups(value, dir)?),
    })
}

/// A `group` cell's groups, by their names in the account (SPEC: a cell that is
/// one group's whole name is that group; else `;`-separated names or ids).
fn resolve_groups(value: &str, dir: &Directory) -> Result<Vec<String>, FieldError> {
    if let Some(g) = dir.find(value.trim()) {
        return Ok(vec![g.name.clone()]);
    }
    let mut names: Vec<String> = Vec::new();
    for written in cell_groups(value) {
        let Some(g) = dir.find(written) else {
            let closest = dir.closest(written);
            return Err(FieldError::new(
                E_VALUE,
                format!(
                    "group {} does not exist in the account{}; fix the name (or create the group).",
                    quoted(written),
                    if closest.is_empty() {
                        String::new()
                    } else {
                        format!("; closest: {}", closest.join(", "))
                    }
                ),
            ));
        };
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&g.name)) {
            names.push(g.name.clone());
        }
    }
    names.sort_by_key(|n| n.to_lowercase());
    Ok(names)
}

/// A plan row being made: its cells, and the detail fields still to compare.
struct Draft {
    email: String,
    action: PlanAction,
    user_id: String,
    /// One per plan field column, then `status`.
    cells: Vec<String>,
    /// (plan column, wanted value) of detail fields, compared once `GET /users/{id}` answers.
    detail: Vec<(usize, String)>,
}

/// Counts per action, for the summary and `--max-changes`.
#[derive(Debug, Default, Clone, Copy)]
struct Counts([u64; 7]);

impl Counts {
    fn add(&mut self, action: PlanAction) {
        if let Some(n) = self.0.get_mut(action as usize) {
            *n = n.saturating_add(1);
        }
    }

    fn changes(&self) -> u64 {
        PlanAction::ALL
            .iter()
            .filter(|a| a.is_change())
            .map(|a| self.0.get(*a as usize).copied().unwrap_or(0))
            .sum()
    }

    fn describe(&self) -> String {
        let parts: Vec<String> = PlanAction::ALL
            .iter()
            .map(|a| format!("{} {}", self.0.get(*a as usize).copied().unwrap_or(0), a.as_str()))
            .collect();
        parts.join(", ")
    }
}

/// The plan file being written.
struct PlanWriter {
    publisher: Publisher,
    table: TableWriter<Box<dyn std::io::Write + Send>>,
    counts: Counts,
    all: bool,
}

impl PlanWriter {
    fn create(
        path: &Path,
        fields: &[(Field, usize)],
        ctx: &Context,
        all: bool,
    ) -> Result<PlanWriter, RunError> {
        refuse_foreign(path, ctx.run.force)?;
        let publisher = Publisher::create(&Target::Path(path.to_path_buf()), Policy::Replace)?;
        let mut columns = vec![
            Column::plain("email"),
            Column::plain("action"),
            Column::plain("user_id"),
        ];
        columns.extend(fields.iter().map(|(f, _)| Column::plain(f.name)));
        columns.push(Column::plain("status"));
        let writer = publisher
            .writer()
            .map_err(|e| RunError::new(format!("{}: cannot write the plan: {e}", path.display())))?;
        let table = TableWriter::new(
            writer,
            &columns,
            TableOptions {
                format: crate::output::table::Format::Csv,
                // Cells are guarded as they are made (`change_cell`).
                raw_cells: true,
                bom: ctx.run.bom,
            },
        )
        .map_err(|e| RunError::new(format!("{}: cannot write the plan: {e}", path.display())))?;
        Ok(PlanWriter {
            publisher,
            table,
            counts: Counts::default(),
            all,
        })
    }

    fn write(&mut self, draft: &Draft) -> Result<(), RunError> {
        if !draft.action.is_change() && !self.all {
            self.counts.add(draft.action);
            return Ok(());
        }
        self.counts.add(draft.action);
        let head = [
            draft.email.as_str(),
            draft.action.as_str(),
            draft.user_id.as_str(),
        ];
        self.table
            .write_row(head.into_iter().chain(draft.cells.iter().map(String::as_str)))
            .map_err(|e| RunError::new(format!("{}: cannot write the plan: {e}", self.publisher.shown())))
    }

    fn finish(mut self) -> Result<Counts, RunError> {
        let shown = self.publisher.shown().to_string();
        self.table
            .flush()
            .map_err(|e| RunError::new(format!("{shown}: cannot write the plan: {e}")))?;
        drop(self.table);
        self.publisher.commit()?;
        Ok(self.counts)
    }
}

/// A plan is replaced only when the file there is one of ours (or with --force):
/// never a roster, results or a file we did not write.
fn refuse_foreign(path: &Path, force: bool) -> Result<(), RunError> {
    use std::io::Read;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    if !meta.is_file() || force {
        return Ok(());
    }
    let mut head = [0u8; 32];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = head.get(..n).unwrap_or_default();
    let head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(head);
    if n == 0 || head.starts_with(b"email,action,user_id") {
        return Ok(());
    }
    Err(RunError::usage(format!(
        "{}: a file that is not a sync plan is there; choose another --out, or replace it with --force.",
        path.display()
    )))
}

/// The roster's compared fields and how to read them.
struct Roster {
    input: InputFile,
    fields: Vec<(Field, usize)>,
    checker: UsersImport,
    clear_empty: bool,
}

impl Roster {
    fn open(path: &Path, args: &Args) -> Result<Roster, RunError> {
        let input = InputFile::open(path, ROSTER_COLUMNS).map_err(|e| RunError::new(e.to_string()))?;
        let unknown = input.unknown_columns();
        if !unknown.is_empty() {
            tracing::warn!("roster columns sync does not compare: {}", unknown.join(", "));
        }
        // Import's columns that sync reads past: never silently, or a roster that sets
        // a licence feature would look synced when it is not.
        let compared = |name: &str| name == "email" || FIELDS.iter().any(|f| f.name == name);
        let mut passed_over: Vec<String> = ROSTER_COLUMNS
            .iter()
            .filter(|c| !c.prefix && !compared(c.name) && input.column(c.name).is_some())
            .map(|c| c.name.to_string())
            .collect();
        passed_over.extend(
            input
                .prefixed("custom:")
                .into_iter()
                .map(|(n, _)| format!("custom:{n}")),
        );
        if !passed_over.is_empty() {
            tracing::warn!(
                "sync does not compare or change these roster columns, so Zoom keeps what it has: {} \
                 (features such as webinar cannot be read back from Zoom's documented API, so sync cannot \
                 tell what would change; users import sets them for new users)",
                passed_over.join(", ")
            );
        }
        let import = ImportArgs {
            file: path.to_path_buf(),
            create: args.create.clone(),
            features: Vec::new(),
        };
        let checker = UsersImport::bind(&input, &import).map_err(RunError::new)?;
        let mut records = input.records().map_err(|e| RunError::new(e.to_string()))?;
        let mut record = StringRecord::new();
        if records
            .read(&mut record)
            .map_err(|e| RunError::new(e.to_string()))?
            .is_none()
        {
            return Err(RunError::new(format!(
                "{}: the roster has no data rows; refusing to plan (an HR export that came out empty must not \
                 remove the company). Nothing was read from or sent to Zoom.",
                input.path.display()
            )));
        }
        Ok(Roster {
            fields: plan_fields(&input),
            input,
            checker,
            clear_empty: args.clear_empty,
        })
    }
}

/// Plans are reviewed, then applied: they go to a file, never stdout.
const PLAN_NEEDS_A_FILE: &str = "the plan needs a file path (it is reviewed, then applied): give --out PLAN.csv; --out - (stdout) is refused";

/// Before stdin is read: flags that do not apply are usage errors; a plan is a
/// CSV file (`--format jsonl` is refused for it; results of --apply may be jsonl),
/// and a roster from stdin needs --out for the plan.
pub fn check_flags(
    args: &Args,
    run: &crate::cli::options::RunArgs,
    output: &crate::cli::options::OutputArgs,
) -> Result<(), RunError> {
    if args.prune.is_some() && args.scope_domains.is_empty() && args.scope_groups.is_empty() {
        return Err(RunError::usage(
            "--prune needs --scope-domain DOMAIN or --scope-group NAME: leavers are removed only inside a scope, so \
             a roster of one department never removes the rest of the account",
        ));
    }
    if run.resume && !args.apply && args.apply_plan.is_none() {
        return Err(RunError::usage(
            "--resume continues an apply: use it with --apply or --apply-plan (a plan alone sends nothing)",
        ));
    }
    if args.apply_plan.is_some() || args.apply {
        return Ok(());
    }
    if output.format == Some(crate::pipeline::results::Format::Jsonl) {
        return Err(RunError::usage(
            "--format jsonl: a sync plan is CSV only (results of --apply may be jsonl); drop --format",
        ));
    }
    let from_stdin = args.file.as_deref().is_some_and(|f| f.as_os_str() == "-");
    let out = output.out.as_deref().map(|o| o.as_os_str());
    if from_stdin && (out.is_none() || out == Some("-".as_ref())) {
        return Err(RunError::usage(format!(
            "the roster comes from stdin (`-`), so {PLAN_NEEDS_A_FILE}"
        )));
    }
    Ok(())
}

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    if let Some(plan) = &args.apply_plan {
        return apply_plan(args, plan, ctx).await;
    }
    let Some(roster_path) = args.file.as_deref() else {
        return Err(RunError::usage("give the roster CSV (or --apply-plan PLAN.csv)"));
    };
    let results = results_path(roster_path, ctx.run.out.as_deref(), ctx.run.format);
    // The plan an apply carries out is kept beside its results, named after them, so
    // only that run's --resume reads it: a plan-only run (or another apply, with
    // other results) never replaces it.
    let kept_plan = if results.as_os_str() == "-" {
        beside(roster_path, "applied-plan.csv")
    } else {
        beside(&results, "plan.csv")
    };
    if args.apply && ctx.run.resume && !ctx.run.dry_run && kept_plan.is_file() {
        // Continue the kept plan: planning again would see the half-applied account.
        if !ctx.run.quiet {
            eprintln!("resuming the plan kept at {}", kept_plan.display());
        }
        let client = connect(ctx).await?;
        return run_plan(args, &kept_plan, results, ctx, client).await;
    }
    let plan_path = if args.apply && !ctx.run.dry_run {
        kept_plan
    } else if let (Some(out), false) = (&ctx.run.out, args.apply) {
        match Target::parse(out, chrono::Utc::now()) {
            Target::Path(p) => p,
            Target::Stdout => return Err(RunError::usage(PLAN_NEEDS_A_FILE)),
        }
    } else {
        // A plan only, or --apply --dry-run (whose --out names results it does not write).
        beside(roster_path, "plan.csv")
    };
    if same_path(&plan_path, roster_path) {
        return Err(RunError::usage(format!(
            "--out {} is the roster itself; give the plan another name",
            plan_path.display()
        )));
    }
    let roster = Roster::open(roster_path, args)?;
    if args.apply && !ctx.run.force && !ctx.run.resume && !ctx.run.dry_run && results.is_file() {
        return Err(RunError::usage(format!(
            "{}: results of an earlier run are there. Continue that run with --resume, replace them with \
             --force, or choose another --out.",
            results.display()
        )));
    }
    let client = connect(ctx).await?;
    let account = Account::list(&client, &roster.fields).await?;
    let scope = Scope::resolve(args, &account)?;
    let made = make_plan(&client, &roster, &account, &scope, args, &plan_path, ctx).await?;
    let in_scope = account
        .users
        .iter()
        .filter(|u| account.in_scope(u, &scope))
        .count() as u64;
    let limit = Limit::new(args.max_changes, in_scope);
    if !ctx.run.quiet {
        eprintln!(
            "plan: {} ({})",
            plural(made.counts.changes(), "change"),
            made.counts.describe()
        );
        eprintln!("  written to {}", plan_path.display());
        eprintln!(
            "  cost: GET /users {} pages (Medium), GET /groups 1 (Medium), GET /users/{{userId}} {} (Light, for \
             fields the listing lacks)",
            account.pages, made.details
        );
        if made.invalid > 0 {
            eprintln!(
                "  {} invalid (listed above): left out of the plan, and their users are not pruned; exit 3 (rows \
                 need attention)",
                plural(made.invalid, "roster row")
            );
        }
        eprintln!("  {}", limit.describe());
    }
    if !args.apply || made.strict_refuses(ctx) {
        return Ok(made.exit(Exit::Ok));
    }
    limit.check(made.counts.changes())?;
    let exit = run_plan(args, &plan_path, results, ctx, client).await?;
    Ok(made.exit(exit))
}

/// `a` and `b` name the same file (both may not exist yet).
fn same_path(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

async fn connect(ctx: &Context) -> Result<Client, RunError> {
    let client = ctx.settings.connect().await?;
    client
        .check_credentials()
        .await
        .map_err(|e| RunError::new(e.to_string()))?;
    Ok(client)
}

/// `--max-changes` resolved against the account.
struct Limit {
    max: u64,
    given: Option<MaxChanges>,
    in_scope: u64,
}

impl Limit {
    fn new(given: Option<MaxChanges>, in_scope: u64) -> Limit {
        let max = match given {
            Some(m) => m.limit(in_scope),
            None => DEFAULT_MAX_CHANGES.max(MaxChanges::Percent(DEFAULT_MAX_PERCENT).limit(in_scope)),
        };
        Limit { max, given, in_scope }
    }

    fn describe(&self) -> String {
        match self.given {
            Some(MaxChanges::Count(n)) => format!("--max-changes {n}"),
            Some(MaxChanges::Percent(p)) => format!(
                "--max-changes {p}% of {} account users in scope = {}",
                self.in_scope, self.max
            ),
            None => format!(
                "max changes {}, the default: the larger of {DEFAULT_MAX_CHANGES} and {DEFAULT_MAX_PERCENT}% of {} \
                 account users in scope (set --max-changes N or P%)",
                self.max, self.in_scope
            ),
        }
    }

    /// Refuses (exit 1, before any write) a plan over the limit.
    fn check(&self, changes: u64) -> Result<(), RunError> {
        if changes <= self.max {
            return Ok(());
        }
        Err(RunError::new(format!(
            "the plan has {}, over the limit of {}: {}. Nothing was sent. Review the plan, then raise the limit \
             with --max-changes N (or P%) to apply it.",
            plural(changes, "change"),
            self.max,
            self.describe()
        )))
    }
}

/// What planning made.
struct Made {
    counts: Counts,
    invalid: u64,
    details: u64,
}

impl Made {
    /// Invalid roster rows need attention (exit 3), as with `users import`.
    fn exit(&self, ended: Exit) -> Exit {
        if self.invalid > 0 && ended == Exit::Ok {
            Exit::RowsNeedAttention
        } else {
            ended
        }
    }

    /// `--strict`: invalid roster rows refuse the apply, as `users import --strict` does.
    fn strict_refuses(&self, ctx: &Context) -> bool {
        let refuses = ctx.run.strict && self.invalid > 0;
        if refuses {
            eprintln!(
                "--strict: nothing was sent; fix the roster rows above (or drop --strict to apply the plan of the \
                 valid rows)."
            );
        }
        refuses
    }
}

/// Compares the roster with the account and writes the plan.
async fn make_plan(
    client: &Client,
    roster: &Roster,
    account: &Account,
    scope: &Scope,
    args: &Args,
    plan_path: &Path,
    ctx: &Context,
) -> Result<Made, RunError> {
    let mut writer = PlanWriter::create(plan_path, &roster.fields, ctx, args.all)?;
    let mut pass = RosterPass::default();
    let mut records = roster.input.records().map_err(|e| RunError::new(e.to_string()))?;
    let mut record = StringRecord::new();
    let details = std::sync::atomic::AtomicU64::new(0);
    {
        let drafts = std::iter::from_fn(|| pass.next(roster, account, &mut records, &mut record).transpose());
        // Rows that set fields only GET /users/{userId} has wait for it, a few at a
        // time; the plan keeps the roster's order.
        let mut finished = std::pin::pin!(
            futures::stream::iter(drafts)
                .map(|draft| async {
                    let draft = draft?;
                    if draft.detail.is_empty() {
                        return Ok(draft);
                    }
                    details.fetch_add(1, Ordering::Relaxed);
                    let user = if draft.user_id.is_empty() {
                        &draft.email
                    } else {
                        &draft.user_id
                    };
                    let found = client.get_user_fields(user).await.map_err(|e| {
                        RunError::new(format!(
                            "reading {} (GET {}) failed: {e}",
                            draft.email,
                            user_path(user)
                        ))
                    })?;
                    Ok::<_, RunError>(finish_detail(draft, &found.value, &roster.fields))
                })
                .buffered(DETAIL_CONCURRENCY)
        );
        while let Some(draft) = finished.try_next().await? {
            writer.write(&draft)?;
        }
    }
    let (invalid, shown) = (pass.invalid, pass.shown as u64);
    if invalid > shown {
        eprintln!(
            "{}: … and {} more invalid rows",
            roster.input.path.display(),
            invalid - shown
        );
    }
    if pass.valid == 0 {
        // Else every user in scope would be planned as a leaver.
        return Err(RunError::new(format!(
            "{}: no valid roster rows (all {invalid} are invalid, above); refusing to plan (a broken HR export \
             must not remove the company). Nothing was sent to Zoom.",
            roster.input.path.display()
        )));
    }
    let details = details.load(Ordering::Relaxed);
    // Leavers: only with --prune, inside the scope, never the owner or admins.
    if let Some(prune) = args.prune {
        for user in &account.users {
            if user.seen.load(Ordering::Relaxed) || user.protected || !account.in_scope(user, scope) {
                continue;
            }
            let action = match (user.status, prune) {
                // Zoom deactivates only real users: a pending invitation is withdrawn.
                (UserStatus::Pending, _) => PlanAction::Disassociate,
                (UserStatus::Inactive, PruneAction::Deactivate) => continue,
                (_, PruneAction::Deactivate) => PlanAction::Deactivate,
                (_, PruneAction::Disassociate) => PlanAction::Disassociate,
                (_, PruneAction::Delete) => PlanAction::Delete,
            };
            let after = match action {
                PlanAction::Deactivate => "inactive",
                PlanAction::Delete => "deleted",
                _ => "disassociated",
            };
            let mut cells = vec![String::new(); roster.fields.len()];
            cells.push(change_cell(user.status.as_str(), after));
            writer.write(&Draft {
                email: user.email.to_string(),
                action,
                user_id: user.id.to_string(),
                cells,
                detail: Vec::new(),
            })?;
        }
    }
    Ok(Made {
        counts: writer.finish()?,
        invalid,
        details,
    })
}

/// The roster pass: invalid rows reported and counted, duplicates found.
#[derive(Default)]
struct RosterPass {
    valid: u64,
    invalid: u64,
    shown: usize,
    /// Hashes of the roster's e-mails (any case).
    emails: HashSet<u64>,
}

impl RosterPass {
    /// The next valid roster row's draft; invalid rows are reported on the way.
    /// Every row's e-mail marks its account user as present.
    fn next(
        &mut self,
        roster: &Roster,
        account: &Account,
        records: &mut crate::pipeline::input::Records,
        record: &mut StringRecord,
    ) -> Result<Option<Draft>, RunError> {
        let email_col = roster.input.column("email");
        while let Some(pos) = records.read(record).map_err(|e| RunError::new(e.to_string()))? {
            let email = cell(record, email_col).trim();
            let known = account.find(email);
            if let Some(k) = known {
                k.seen.store(true, Ordering::Relaxed);
            }
            // An empty e-mail is only missing (E_MISSING), never a duplicate.
            let first = email.is_empty() || self.emails.insert(DuplicateKey::new().folded(email).finish());
            let checked = if first {
                check_roster_row(roster, account, record, known.is_some())
            } else {
                Err(FieldError::new(
                    E_DUPLICATE,
                    format!(
                        "email {} is in the roster more than once; only its first row is planned.",
                        quoted(email)
                    ),
                ))
            };
            match checked {
                Ok(wants) => {
                    self.valid += 1;
                    return Ok(Some(draft_row(account, known, email, &roster.fields, wants)));
                }
                Err(e) => {
                    self.invalid += 1;
                    if self.shown < SHOWN_PROBLEMS {
                        self.shown += 1;
                        let line = roster.input.line(pos).unwrap_or(0);
                        eprintln!(
                            "{}: line {line}: {}: {}",
                            roster.input.path.display(),
                            e.code,
                            e.message
                        );
                    }
                }
            }
        }
        Ok(None)
    }
}

/// Checks a roster row (the `users import` rules; the create-only password rule
/// only for users to create) and reads what it wants of each field.
fn check_roster_row(
    roster: &Roster,
    account: &Account,
    record: &StringRecord,
    in_account: bool,
) -> Result<Vec<Want>, FieldError> {
    match roster.checker.parse(record) {
        Err(e) if !(in_account && e.code == E_PASSWORD) => return Err(e),
        _ => {}
    }
    roster
        .fields
        .iter()
        .map(|(f, i)| {
            want(*f, cell(record, Some(*i)), roster.clear_empty, &account.directory).map_err(|e| FieldError {
                message: if e.message.starts_with(f.name) {
                    e.message
                } else {
                    format!("{}: {}", f.name, e.message)
                },
                ..e
            })
        })
        .collect()
}

/// The plan row of a valid roster row, its detail fields still to compare.
fn draft_row(
    account: &Account,
    known: Option<&Known>,
    email: &str,
    fields: &[(Field, usize)],
    wants: Vec<Want>,
) -> Draft {
    let mut cells = Vec::with_capacity(fields.len() + 1);
    let mut detail = Vec::new();
    let Some(user) = known else {
        for want in wants {
            cells.push(match want {
                Want::Text(v) if !v.is_empty() => change_cell("", &v),
                Want::Groups(g) if !g.is_empty() => change_cell("", &g.join(";")),
                _ => String::new(),
            });
        }
        cells.push(String::new());
        return Draft {
            email: email.to_string(),
            action: PlanAction::Create,
            user_id: String::new(),
            cells,
            detail,
        };
    };
    let mut changed = false;
    for (column, ((f, _), want)) in fields.iter().zip(wants).enumerate() {
        let cell = match want {
            Want::Leave => String::new(),
            Want::Text(v) if f.detail => {
                detail.push((column, v));
                String::new()
            }
            Want::Text(v) => {
                let before = account.value(user, *f).unwrap_or("");
                if before == v {
                    String::new()
                } else {
                    change_cell(before, &v)
                }
            }
            Want::Groups(g) => {
                let before = account.group_names(user);
                let after: Vec<&str> = g.iter().map(String::as_str).collect();
                if same_groups(&before, &after) {
                    String::new()
                } else {
                    change_cell(&before.join(";"), &after.join(";"))
                }
            }
        };
        changed |= !cell.is_empty();
        cells.push(cell);
    }
    let activate = user.status == UserStatus::Inactive;
    cells.push(if activate {
        change_cell(UserStatus::Inactive.as_str(), UserStatus::Active.as_str())
    } else {
        String::new()
    });
    Draft {
        email: user.email.to_string(),
        action: if activate {
            PlanAction::Activate
        } else if changed {
            PlanAction::Update
        } else {
            PlanAction::Unchanged
        },
        user_id: user.id.to_string(),
        cells,
        detail,
    }
}

/// Compares a draft's detail fields with `GET /users/{userId}`'s answer.
fn finish_detail(mut draft: Draft, user: &Value, fields: &[(Field, usize)]) -> Draft {
    for (column, wanted) in std::mem::take(&mut draft.detail) {
        let Some((f, _)) = fields.get(column) else {
            continue;
        };
        let before = listing_value(user, *f);
        if before != wanted
            && let Some(cell) = draft.cells.get_mut(column)
        {
            *cell = change_cell(&before, &wanted);
            if draft.action == PlanAction::Unchanged {
                draft.action = PlanAction::Update;
            }
        }
    }
    draft
}

/// `--apply --resume`, `--apply` after planning, `--apply-plan`: the plan through the engine.
async fn run_plan(
    args: &Args,
    plan: &Path,
    results: PathBuf,
    ctx: &Context,
    client: Client,
) -> Result<Exit, RunError> {
    let input = open_input::<SyncApply>(plan)?;
    let job = SyncApply::new(&input, args).map_err(RunError::new)?;
    let mut opts = ctx.run.clone();
    opts.out = Some(results);
    let end = run_job(job, input, &opts, async || Ok::<_, RunError>(client)).await?;
    Ok(end.into())
}

/// `--apply-plan PLAN.csv`: the account is listed again, and the plan is carried
/// out only if every row's `before` still holds.
async fn apply_plan(args: &Args, plan: &Path, ctx: &Context) -> Result<Exit, RunError> {
    let results = results_path(plan, ctx.run.out.as_deref(), ctx.run.format);
    let input = open_input::<SyncApply>(plan)?;
    let job = SyncApply::new(&input, args).map_err(RunError::new)?;
    let client = connect(ctx).await?;
    if ctx.run.resume {
        // The plan was checked when it was first applied; its done rows no longer hold their `before`.
        return run_plan(args, plan, results, ctx, client).await;
    }
    let account = Account::list(&client, &job.fields).await?;
    let scope = Scope::resolve(args, &account)?;
    let checked = check_plan(&client, &input, &job, &account).await?;
    let changes = checked.changes;
    checked.refuse(plan)?;
    let in_scope = account
        .users
        .iter()
        .filter(|u| account.in_scope(u, &scope))
        .count() as u64;
    Limit::new(args.max_changes, in_scope).check(changes)?;
    drop(account);
    run_plan(args, plan, results, ctx, client).await
}

/// A plan checked against itself and the account now.
#[derive(Default)]
struct Checked {
    /// Rows whose `before` no longer holds.
    changed: Vec<String>,
    /// Rows edited into something sync never does (action against status, the owner or an admin).
    edited: Vec<String>,
    changes: u64,
}

impl Checked {
    /// Refuses the whole plan (exit 1, nothing sent) when a row is refused.
    fn refuse(&self, plan: &Path) -> Result<(), RunError> {
        let all: Vec<&String> = self.edited.iter().chain(&self.changed).collect();
        if all.is_empty() {
            return Ok(());
        }
        for p in all.iter().take(SHOWN_PROBLEMS) {
            eprintln!("{}: {p}", plan.display());
        }
        if all.len() > SHOWN_PROBLEMS {
            eprintln!(
                "{}: … and {} more rows",
                plan.display(),
                all.len() - SHOWN_PROBLEMS
            );
        }
        let mut why = Vec::new();
        if !self.edited.is_empty() {
            why.push(format!(
                "the plan was edited inconsistently ({}, above): fix or remove {}",
                rows(self.edited.len() as u64),
                if self.edited.len() == 1 {
                    "that row"
                } else {
                    "those rows"
                }
            ));
        }
        if !self.changed.is_empty() {
            why.push(format!(
                "the account changed since the plan was made ({} no longer {}, above): plan again and review the \
                 new plan",
                rows(self.changed.len() as u64),
                if self.changed.len() == 1 { "holds" } else { "hold" }
            ));
        }
        Err(RunError::new(format!(
            "{}: {}; nothing was sent.",
            plan.display(),
            why.join("; and ")
        )))
    }
}

/// `1 row`, `2 rows`.
fn rows(n: u64) -> String {
    plural(n, "row")
}

/// `1 change`, `2 changes`.
fn plural(n: u64, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Every plan row against itself and the account now.
async fn check_plan(
    client: &Client,
    input: &InputFile,
    job: &SyncApply,
    account: &Account,
) -> Result<Checked, RunError> {
    let mut checked = Checked::default();
    let mut records = input.records().map_err(|e| RunError::new(e.to_string()))?;
    let mut record = StringRecord::new();
    while let Some(pos) = records
        .read(&mut record)
        .map_err(|e| RunError::new(e.to_string()))?
    {
        let Some(action) = PlanAction::parse(cell(&record, job.action)) else {
            continue;
        };
        checked.changes += u64::from(action.is_change());
        let email = cell(&record, job.email);
        let removes = matches!(
            action,
            PlanAction::Deactivate | PlanAction::Disassociate | PlanAction::Delete
        );
        if removes && account.find(email).is_some_and(|u| u.protected) {
            checked.edited.push(format!(
                "row {} ({email}): the plan asks to {} the owner or an admin, which sync never does; remove that row",
                pos.row,
                action.as_str()
            ));
            continue;
        }
        if let Some(why) = status_disagrees(action, cell(&record, job.status)) {
            checked.edited.push(format!("row {} ({email}): {why}", pos.row));
            continue;
        }
        let reasons = check_row(client, &record, action, job, account).await?;
        if !reasons.is_empty() {
            checked
                .changed
                .push(format!("row {} ({email}): {}", pos.row, reasons.join("; ")));
        }
    }
    Ok(checked)
}

/// Why a plan row's `before` no longer holds (empty: it holds).
async fn check_row(
    client: &Client,
    record: &StringRecord,
    action: PlanAction,
    job: &SyncApply,
    account: &Account,
) -> Result<Vec<String>, RunError> {
    let email = cell(record, job.email);
    let mut reasons: Vec<String> = Vec::new();
    let user = match (action, account.find(email)) {
        (PlanAction::Create, Some(_)) => return Ok(vec!["is in the account now".into()]),
        (PlanAction::Create, None) => return Ok(reasons),
        (_, None) => return Ok(vec!["is no longer in the account".into()]),
        (_, Some(u)) => u,
    };
    let id = cell(record, job.user_id);
    if !id.is_empty() && id != &*user.id {
        reasons.push(format!("has another user id now ({})", user.id));
    }
    match split_change(cell(record, job.status)) {
        Some((before, _)) if before != user.status.as_str() => {
            reasons.push(format!("status is {} now, not {before}", user.status.as_str()));
        }
        None if user.status == UserStatus::Inactive && action.is_change() => {
            reasons.push("is inactive now".into());
        }
        _ => {}
    }
    let mut detail: Option<Value> = None;
    for &(f, column) in &job.fields {
        let Some((before, _)) = split_change(cell(record, Some(column))) else {
            continue;
        };
        let now = match f.kind {
            Kind::Group => {
                let names = account.group_names(user);
                if same_groups(&names, &cell_groups(before)) {
                    continue;
                }
                names.join(";")
            }
            _ if f.detail => {
                if detail.is_none() {
                    let key = if user.id.is_empty() {
                        &*user.email
                    } else {
                        &*user.id
                    };
                    let found = client
                        .get_user_fields(key)
                        .await
                        .map_err(|e| RunError::new(format!("reading {email} failed: {e}")))?;
                    detail = Some(found.value);
                }
                detail.as_ref().map(|d| listing_value(d, f)).unwrap_or_default()
            }
            _ => account.value(user, f).unwrap_or("").to_string(),
        };
        if now != before {
            reasons.push(format!(
                "{} is {} now, not {}",
                f.name,
                quoted(&now),
                quoted(before)
            ));
        }
    }
    Ok(reasons)
}

/// The plan's columns, as [`SyncApply`] reads them.
const APPLY_COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::required("email", &[]),
    ColumnSpec::required("action", &[]),
    ColumnSpec::optional("user_id", &[]),
    ColumnSpec::optional("first_name", &[]),
    ColumnSpec::optional("last_name", &[]),
    ColumnSpec::optional("display_name", &[]),
    ColumnSpec::optional("type", &[]),
    ColumnSpec::optional("dept", &[]),
    ColumnSpec::optional("timezone", &[]),
    ColumnSpec::optional("language", &[]),
    ColumnSpec::optional("manager", &[]),
    ColumnSpec::optional("job_title", &[]),
    ColumnSpec::optional("company", &[]),
    ColumnSpec::optional("location", &[]),
    ColumnSpec::optional("cost_center", &[]),
    ColumnSpec::optional("pronouns", &[]),
    ColumnSpec::optional("group", &[]),
    ColumnSpec::optional("status", &[]),
];

/// Carries out a plan, one plan row at a time.
pub struct SyncApply {
    email: Option<usize>,
    action: Option<usize>,
    user_id: Option<usize>,
    status: Option<usize>,
    fields: Vec<(Field, usize)>,
    create_action: CreateAction,
    default_type: UserType,
    directory: OnceCell<Result<Directory, String>>,
}

/// A checked plan row.
pub struct ApplyRow {
    action: PlanAction,
    profile: bool,
    joins: u32,
    leaves: u32,
}

impl SyncApply {
    fn new(input: &InputFile, args: &Args) -> Result<SyncApply, String> {
        Ok(SyncApply {
            email: input.column("email"),
            action: input.column("action"),
            user_id: input.column("user_id"),
            status: input.column("status"),
            fields: FIELDS
                .iter()
                .filter_map(|f| input.column(f.name).map(|i| (*f, i)))
                .collect(),
            create_action: CreateAction::from(args.create.action),
            default_type: UserType::from(args.create.user_type),
            directory: OnceCell::new(),
        })
    }

    /// The row's `after` values of the profile fields, as the PATCH body.
    fn profile_body(&self, record: &StringRecord, for_create: bool) -> Map<String, Value> {
        let mut body = Map::new();
        for &(f, i) in &self.fields {
            if f.kind == Kind::Group {
                continue;
            }
            // A create sends the names and type with POST /users.
            if for_create && (matches!(f.kind, Kind::Name(_)) || f.kind == Kind::Type) {
                continue;
            }
            let Some((_, after)) = split_change(cell(record, Some(i))) else {
                continue;
            };
            let value = match f.kind {
                Kind::Type => after
                    .parse::<u64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::from(after)),
                _ => Value::from(after),
            };
            body.insert(f.name.to_string(), value);
        }
        body
    }

    /// The groups to join and leave: the `after` set against the `before` set.
    fn group_change<'r>(&self, record: &'r StringRecord) -> (Vec<&'r str>, Vec<&'r str>) {
        let Some(&(_, i)) = self.fields.iter().find(|(f, _)| f.kind == Kind::Group) else {
            return (Vec::new(), Vec::new());
        };
        let Some((before, after)) = split_change(cell(record, Some(i))) else {
            return (Vec::new(), Vec::new());
        };
        let (before, after) = (cell_groups(before), cell_groups(after));
        let missing = |from: &[&'r str], of: &[&str]| -> Vec<&'r str> {
            from.iter()
                .filter(|g| !of.iter().any(|o| o.eq_ignore_ascii_case(g)))
                .copied()
                .collect()
        };
        (missing(&after, &before), missing(&before, &after))
    }

    async fn directory(&self, client: &Client) -> &Result<Directory, String> {
        self.directory.get_or_init(|| Directory::list(client)).await
    }

    /// Joins and leaves the row's groups; a pending user joins by PATCH `group_id`.
    async fn groups(
        &self,
        client: &Client,
        record: &StringRecord,
        user: &str,
        pending: bool,
        steps: &mut Steps,
    ) -> Result<(), Fatal> {
        let (join, leave) = self.group_change(record);
        if join.is_empty() && leave.is_empty() {
            return Ok(());
        }
        let dir = match self.directory(client).await {
            Ok(dir) => dir,
            Err(e) => {
                steps.failed_locally("groups", "E_GROUPS", e.clone());
                return Ok(());
            }
        };
        for name in join {
            let Some(g) = dir.find(name) else {
                steps.failed_locally(
                    &format!("group {name}"),
                    E_VALUE,
                    format!("group {} no longer exists", quoted(name)),
                );
                continue;
            };
            let what = format!("group {}", g.name);
            if pending {
                let body = serde_json::json!({ "group_id": g.id });
                steps
                    .step(&what, "joined", patch_checked(client, user, body))
                    .await?;
            } else {
                steps
                    .step(&what, "joined", join_group(client, &g.id, user))
                    .await?;
            }
        }
        for name in leave {
            let Some(g) = dir.find(name) else {
                continue;
            };
            steps
                .step_with(
                    &format!("group {}", g.name),
                    |sent| {
                        if sent.status == 404 {
                            "not left: the user was not a member"
                        } else {
                            "left"
                        }
                    },
                    leave_group(client, &g.id, user),
                )
                .await?;
        }
        Ok(())
    }

    async fn create(&self, client: &Client, record: &StringRecord) -> Result<Outcome, Fatal> {
        let email = cell(record, self.email).trim();
        let mut info = Map::new();
        info.insert("email".into(), Value::from(email));
        let mut user_type = self.default_type as u8;
        for &(f, i) in &self.fields {
            let Some((_, after)) = split_change(cell(record, Some(i))) else {
                continue;
            };
            match f.kind {
                Kind::Name(_) if !after.is_empty() => {
                    info.insert(f.name.into(), Value::from(after));
                }
                Kind::Type => user_type = after.parse().unwrap_or(user_type),
                _ => {}
            }
        }
        info.insert("type".into(), Value::from(user_type));
        let mut outcome = create(client, self.create_action, email, Value::Object(info)).await?;
        let profile = self.profile_body(record, true);
        let (join, _) = self.group_change(record);
        let has_more = !profile.is_empty() || !join.is_empty();
        if !has_more || !matches!(outcome.status, Status::Created | Status::Exists) {
            return Ok(outcome);
        }
        let Some(id) = outcome.zoom_id.clone() else {
            outcome.error_code = Some(E_PARTIAL.into());
            outcome.error_message = Some(format!(
                "{}; profile and groups not tried: the user's id is unknown",
                outcome.status.as_str()
            ));
            return Ok(outcome);
        };
        let mut steps = Steps::default();
        if !profile.is_empty() {
            steps
                .step(
                    "profile",
                    "set",
                    patch_checked(client, &id, Value::Object(profile)),
                )
                .await?;
        }
        let pending = self.create_action == CreateAction::Create;
        self.groups(client, record, &id, pending, &mut steps).await?;
        let later = steps.outcome(Status::Updated);
        outcome.attempts = outcome.attempts.saturating_add(later.attempts);
        let first = outcome.status.as_str().to_string();
        let earlier = outcome.error_message.take();
        let note = format!("{first}; {}", later.error_message.unwrap_or_default());
        outcome.error_message = Some(match earlier {
            Some(m) => format!("{note}. {m}"),
            None => note,
        });
        if later.status != Status::Updated {
            outcome.error_code = Some(E_PARTIAL.into());
        }
        Ok(outcome)
    }

    async fn update(&self, client: &Client, record: &StringRecord, row: &ApplyRow) -> Result<Outcome, Fatal> {
        let id = cell(record, self.user_id);
        let pending = id.is_empty();
        let user = if pending {
            cell(record, self.email).trim()
        } else {
            id
        };
        let mut steps = Steps::default();
        if row.action == PlanAction::Activate {
            steps
                .step(
                    "status",
                    "activated",
                    status_checked(client, user, StatusChange::Activate),
                )
                .await?;
        }
        let profile = self.profile_body(record, false);
        if !profile.is_empty() {
            steps
                .step(
                    "profile",
                    "updated",
                    patch_checked(client, user, Value::Object(profile)),
                )
                .await?;
        }
        self.groups(client, record, user, pending, &mut steps).await?;
        Ok(steps.outcome(Status::Updated))
    }
}

/// `DELETE /users/{userId}?action=…`. A 404 after an attempt whose answer was
/// lost means that attempt removed the user.
async fn remove(client: &Client, user: &str, how: &'static str) -> Result<Outcome, Fatal> {
    let err = match client.delete_user(user, vec![("action", how.to_string())]).await {
        Ok(sent) => {
            return Ok(Outcome {
                http_status: Some(sent.status),
                attempts: sent.attempts,
                error_message: Some(format!("{how}d")),
                ..Outcome::new(Status::Deleted)
            });
        }
        Err(err) => err,
    };
    if err.status() == Some(404) && err.may_have_applied() {
        return Ok(Outcome {
            http_status: Some(404),
            attempts: err.attempts(),
            error_message: Some(format!(
                "{how}d by this run: Zoom's answer to an earlier attempt was lost, and the user is gone now."
            )),
            ..Outcome::new(Status::Deleted)
        });
    }
    outcome_for_error(&err)
}

impl Job for SyncApply {
    type Row = ApplyRow;
    type BatchKey = ();
    const KIND: &'static str = "users-sync";
    const KEY_NAME: &'static str = "email";

    fn columns() -> &'static [ColumnSpec] {
        APPLY_COLUMNS
    }

    fn parse(&self, record: &StringRecord) -> Result<ApplyRow, FieldError> {
        validate::email(cell(record, self.email).trim())?;
        let written = cell(record, self.action);
        let action = PlanAction::parse(written).ok_or_else(|| {
            FieldError::new(
                E_VALUE,
                format!(
                    "action {} is not a sync action (create, update, activate, deactivate, disassociate, delete, \
                     unchanged); plan again.",
                    quoted(written)
                ),
            )
        })?;
        if let Some(why) = status_disagrees(action, cell(record, self.status)) {
            return Err(FieldError::new(E_VALUE, why));
        }
        let mut profile = false;
        let (mut joins, mut leaves) = (0u32, 0u32);
        for &(f, i) in &self.fields {
            let value = cell(record, Some(i));
            if value.is_empty() {
                continue;
            }
            let Some((_, after)) = split_change(value) else {
                return Err(FieldError::new(
                    E_VALUE,
                    format!(
                        "{} {} is not a change (`before -> after`); plan again.",
                        f.name,
                        quoted(value)
                    ),
                ));
            };
            match f.kind {
                Kind::Name(max) if !after.is_empty() => {
                    validate::text(f.name, after)?;
                    validate::name(f.name, after, max)?;
                }
                Kind::Type => {
                    validate::user_type(after)?;
                }
                _ => validate::text(f.name, after)?,
            }
            if f.kind != Kind::Group {
                profile = true;
            }
        }
        let (join, leave) = self.group_change(record);
        joins = joins.saturating_add(u32::try_from(join.len()).unwrap_or(u32::MAX));
        leaves = leaves.saturating_add(u32::try_from(leave.len()).unwrap_or(u32::MAX));
        Ok(ApplyRow {
            action,
            profile,
            joins,
            leaves,
        })
    }

    fn duplicate_key(&self, record: &StringRecord, _row: &ApplyRow, key: &mut DuplicateKey) -> bool {
        key.folded(cell(record, self.email).trim());
        true
    }

    fn request_counts(&self, _record: &StringRecord, row: &ApplyRow) -> [u32; 3] {
        let light = match row.action {
            PlanAction::Unchanged => 0,
            PlanAction::Create | PlanAction::Update => u32::from(row.profile) + row.leaves,
            PlanAction::Activate => 1 + u32::from(row.profile) + row.leaves,
            PlanAction::Deactivate | PlanAction::Disassociate | PlanAction::Delete => 1,
        };
        let create = u32::from(row.action == PlanAction::Create);
        [light.saturating_add(create), row.joins, 0]
    }

    fn daily_cap(&self, _record: &StringRecord, row: &ApplyRow) -> Option<crate::pipeline::job::CapUse> {
        (row.action == PlanAction::Create && self.create_action == CreateAction::Create).then_some(
            crate::pipeline::job::CapUse::account(crate::pipeline::job::DailyCap::UserInvites),
        )
    }

    fn describe(&self, record: &StringRecord, row: &ApplyRow) -> String {
        let email = cell(record, self.email);
        let id = cell(record, self.user_id);
        let user = user_path(if id.is_empty() { email } else { id });
        let mut calls = Vec::new();
        match row.action {
            PlanAction::Unchanged => return "nothing (unchanged)".into(),
            PlanAction::Create => calls.push(format!(
                "POST /users action={} {email}",
                self.create_action.as_str()
            )),
            PlanAction::Activate => calls.push(format!("PUT {user}/status action=activate")),
            PlanAction::Deactivate => calls.push(format!("PUT {user}/status action=deactivate")),
            PlanAction::Disassociate | PlanAction::Delete => {
                calls.push(format!("DELETE {user}?action={}", row.action.as_str()));
            }
            PlanAction::Update => {}
        }
        if row.profile {
            let body = self.profile_body(record, row.action == PlanAction::Create);
            if !body.is_empty() {
                let names: Vec<&str> = body.keys().map(String::as_str).collect();
                calls.push(format!("PATCH {user} ({})", names.join(", ")));
            }
        }
        let (join, leave) = self.group_change(record);
        if !join.is_empty() {
            calls.push(format!("join {}", join.join(", ")));
        }
        if !leave.is_empty() {
            calls.push(format!("leave {}", leave.join(", ")));
        }
        calls.join(", then ")
    }

    fn key_column(&self) -> Option<usize> {
        self.email
    }

    fn after_earlier(&self, earlier: &Outcome, now: Outcome) -> Outcome {
        created_by_earlier_run(earlier, now)
    }

    async fn run_row(&self, client: &Client, record: &StringRecord, row: ApplyRow) -> Result<Outcome, Fatal> {
        let id = cell(record, self.user_id);
        let user = if id.is_empty() {
            cell(record, self.email).trim()
        } else {
            id
        };
        match row.action {
            PlanAction::Unchanged => Ok(Outcome {
                error_message: Some("unchanged: nothing to do".into()),
                ..Outcome::new(Status::Skipped)
            }),
            PlanAction::Create => self.create(client, record).await,
            PlanAction::Update | PlanAction::Activate => self.update(client, record, &row).await,
            PlanAction::Deactivate => {
                let mut steps = Steps::default();
                steps
                    .step(
                        "status",
                        "deactivated",
                        status_checked(client, user, StatusChange::Deactivate),
                    )
                    .await?;
                Ok(steps.outcome(Status::Updated))
            }
            PlanAction::Disassociate => remove(client, user, "disassociate").await,
            PlanAction::Delete => remove(client, user, "delete").await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_split_as_they_are_written() {
        // A field that was empty: guarded, or a spreadsheet reads `-> Sales` as a
        // formula; every reader drops the guard again.
        assert_eq!(change_cell("", "Sales"), "'-> Sales");
        let read_back = crate::output::guard::unguard("'-> Sales");
        assert_eq!(split_change(read_back), Some(("", "Sales")));
        assert_eq!(change_cell("Ops", "Sales"), "Ops -> Sales");
        assert_eq!(split_change("Ops -> Sales"), Some(("Ops", "Sales")));
        assert_eq!(split_change("Ops"), None);
        assert_eq!(
            split_change("Ops ->"),
            Some(("Ops", "")),
            "a cleared field, trimmed"
        );
        // A value that reads as a formula is guarded; the reader drops the guard.
        assert_eq!(change_cell("=1+1", "x"), "'=1+1 -> x");
    }

    #[test]
    fn max_changes_reads_counts_and_percentages() {
        assert_eq!(MaxChanges::parse("5").ok(), Some(MaxChanges::Count(5)));
        assert_eq!(MaxChanges::parse("5%").map(|m| m.limit(1000)).ok(), Some(50));
        assert!(MaxChanges::parse("many").is_err() && MaxChanges::parse("120%").is_err());
        assert_eq!(Limit::new(None, 100).max, 25);
        assert_eq!(Limit::new(None, 1000).max, 100);
        assert_eq!(Counts([1, 2, 0, 0, 0, 0, 9]).changes(), 3);
    }

    #[test]
    fn the_limit_message_does_not_nest_parentheses() {
        let err = Limit::new(None, 10)
            .check(26)
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(
            err.contains("the plan has 26 changes, over the limit of 25: max changes 25, the default"),
            "{err}"
        );
        assert!(!err.contains("(max changes"), "{err}");
        let err = Limit::new(Some(MaxChanges::Count(0)), 10)
            .check(1)
            .err()
            .map(|e| e.message)
            .unwrap_or_default();
        assert!(err.contains("the plan has 1 change,"), "{err}");
    }

    #[test]
    fn an_action_must_agree_with_its_status_cell() {
        use PlanAction::*;
        assert!(status_disagrees(Deactivate, "active -> inactive").is_none());
        assert!(status_disagrees(Delete, "active -> deleted").is_none());
        assert!(status_disagrees(Disassociate, "pending -> disassociated").is_none());
        assert!(status_disagrees(Activate, "inactive -> active").is_none());
        assert!(status_disagrees(Update, "").is_none() && status_disagrees(Create, "").is_none());
        assert!(status_disagrees(Delete, "active -> inactive").is_some());
        assert!(status_disagrees(Deactivate, "").is_some());
        assert!(status_disagrees(Update, "active -> inactive").is_some());
        assert!(status_disagrees(Disassociate, "active -> deleted").is_some());
    }

    #[test]
    fn groups_compare_as_sets_in_any_case() {
        assert!(same_groups(&["Sales", "ops"], &["Ops", "sales"]));
        assert!(!same_groups(&["Sales"], &["Sales", "Ops"]));
    }
}
