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
//!
//! Here: the command, its flags' checks, the plan's cells and the change limit;
//! `account` (the listing and the scope), `plan` (the roster pass and the plan
//! file) and `apply` (the plan check and the job).

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
use super::users_update::{
    StatusChange, join_group, join_pending, leave_group, left, patch_checked, status_checked,
};
use super::{Context, DuplicateKey, Fatal, Job, Steps, cell, outcome_for_error};
use crate::app::{Exit, RunError};
use crate::cli::users::{ImportArgs, MaxChanges, PruneAction, SyncArgs as Args};
use crate::output::guard::needs_guard;
use crate::output::{Column, Policy, Publisher, TableOptions, TableWriter, Target, plural};
use crate::pipeline::columns::ColumnSpec;
use crate::pipeline::input::InputFile;
use crate::pipeline::outcome::{E_PARTIAL, Outcome, Status};
use crate::pipeline::{open_input, results_path, run_job};
use crate::validate::profile as rules;
use crate::validate::{self, CreateAction, E_DUPLICATE, E_PASSWORD, E_VALUE, FieldError, UserType, quoted};
use crate::zoom::users::{USERS_PAGE_SIZE, user_path};
use crate::zoom::{Call, Category, Client};

mod account;
mod apply;
mod plan;

use account::*;
pub use apply::SyncApply;
use apply::*;
use plan::*;

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
    // Only an earlier run that started (results or a journal) is continued: with none,
    // the plan was refused (limit, --strict) or never carried out, so it is checked again.
    let earlier = crate::pipeline::resume::RunFiles::new(&results);
    let started = earlier.any_exist();
    if args.apply && ctx.run.resume && !ctx.run.dry_run && started && kept_plan.is_file() {
        // Continue the kept plan: planning again would see the half-applied account.
        if !ctx.run.quiet {
            eprintln!("resuming the plan kept at {}", kept_plan.display());
        }
        let client = connect(ctx).await?;
        return run_plan(args, &kept_plan, results, ctx, client, None).await;
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
    // The engine's own check, before the listing rather than after it.
    if args.apply && !ctx.run.dry_run {
        crate::pipeline::check_results_path(&earlier, &ctx.run)?;
    }
    let client = connect(ctx).await?;
    let account = Account::list(&client, &roster.fields).await?;
    let scope = Scope::resolve(args, &account)?;
    let made = make_plan(&client, &roster, &account, &scope, args, &plan_path, ctx).await?;
    let limit = Limit::new(args.max_changes, account.in_scope_count(&scope));
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
    let exit = run_plan(args, &plan_path, results, ctx, client, Some(account.directory)).await?;
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
