//! The "sync drift" scenario: an account and an HR roster that differ in known ways,
//! for `users sync` tests and its benchmark. [`sync_drift`] puts the account's users into
//! a store and returns the roster's CSV text with the difference `users sync` should
//! find, stated case by case (not computed by diffing, so a test can diff and compare).
//!
//! Field values in the expectation are as a plan shows them: text trimmed, `type` as
//! Zoom's number (`1`, `2`), `group` as the sorted `;`-joined group names, `status` as
//! Zoom's status. Roster cells are written as an HR export would: HR headers, type by
//! name, some emails in other case, some cells empty (leave as is) or padded.

use std::collections::BTreeMap;

use crate::model::User;
use crate::rng::SeqRng;
use crate::seed::{FIRST, LAST, SEED_DOMAIN, SEED_GROUPS};
use crate::store::Store;
use crate::{Group, Sandbox};

/// The domain of the scenario's account users: the scope to prune in (the owner's too).
pub const SYNC_SCOPE_DOMAIN: &str = SEED_DOMAIN;
/// Users of this domain are outside the scope: leavers there are never touched.
pub const SYNC_OUTSIDE_DOMAIN: &str = "contractors.example.net";

/// The roster's header, HR spelling, in this order; [`SYNC_ROSTER_FIELDS`] are their
/// canonical names (`users import`'s columns).
pub const SYNC_ROSTER_HEADER: [&str; 7] = [
    "Work Email",
    "First Name",
    "Last Name",
    "Department",
    "License Type",
    "Job Title",
    "Groups",
];
pub const SYNC_ROSTER_FIELDS: [&str; 7] = [
    "email",
    "first_name",
    "last_name",
    "dept",
    "type",
    "job_title",
    "group",
];

/// What `users sync` should do with one email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncAction {
    /// In the roster, not in the account.
    Create,
    /// In both; some compared field differs.
    Update,
    /// In both, inactive in the account (maybe with field changes too).
    Activate,
    /// In the account inside the scope, not in the roster: removed with `--prune`
    /// (a pending one always by disassociate).
    Prune { pending: bool },
    /// In both, nothing differs (a plan row only with `--all`).
    Unchanged,
    /// Not in the roster but never touched: the owner, an admin, or outside the scope.
    Untouched,
}

impl SyncAction {
    /// The plan's `action` cell for this email, or `None` when the plan has no row
    /// for it. `prune` is the `--prune` mode given (with the scenario's scope).
    pub fn planned(self, prune: Option<&str>, all: bool) -> Option<&str> {
        match self {
            SyncAction::Create => Some("create"),
            SyncAction::Update => Some("update"),
            SyncAction::Activate => Some("activate"),
            SyncAction::Prune { pending: true } => prune.map(|_| "disassociate"),
            SyncAction::Prune { pending: false } => prune,
            SyncAction::Unchanged => all.then_some("unchanged"),
            SyncAction::Untouched => None,
        }
    }
}

/// The expected difference for one email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncExpect {
    pub action: SyncAction,
    /// The account's user id; empty for creates and pending users (a plan leaves it empty).
    pub user_id: String,
    /// The email as the roster writes it (other case, maybe); empty when not in the roster.
    pub roster_email: String,
    /// Changed fields: canonical name -> (before, after). Activations carry `status`.
    pub changes: BTreeMap<String, (String, String)>,
}

/// An account seeded into a store and a roster that differs from it as `expected` says.
#[derive(Debug, Clone)]
pub struct SyncScenario {
    /// The roster file's contents (CSV, header [`SYNC_ROSTER_HEADER`]).
    pub roster_csv: String,
    /// Every email of the account and of the roster, lower-cased.
    pub expected: BTreeMap<String, SyncExpect>,
    /// Data rows in the roster.
    pub roster_rows: usize,
}

impl SyncScenario {
    /// The emails whose plan row has `action` (with `--prune prune`, and `--all`).
    pub fn with_action(&self, action: &str, prune: Option<&str>, all: bool) -> Vec<&str> {
        self.expected
            .iter()
            .filter(|(_, e)| e.action.planned(prune, all) == Some(action))
            .map(|(email, _)| email.as_str())
            .collect()
    }
}

impl Sandbox {
    /// Seeds [`sync_drift`] into this sandbox's account.
    pub fn seed_sync_drift(&self, users: usize, seed: u64) -> Result<SyncScenario, String> {
        sync_drift(self.store(), users, seed)
    }
}

/// A user's field as the expectation writes it (`type` a number, `group` sorted names).
pub fn sync_field(user: &User, groups: &[Group], field: &str) -> String {
    match field {
        "email" => user.email.clone(),
        "first_name" => user.first_name.clone(),
        "last_name" => user.last_name.clone(),
        "display_name" => user.display_name.clone(),
        "dept" => user.dept.clone(),
        "type" => user.user_type.to_string(),
        "job_title" => user.job_title.clone(),
        "manager" => user.manager.clone(),
        "company" => user.company.clone(),
        "location" => user.location.clone(),
        "status" => user.status.clone(),
        "group" => {
            let mut names: Vec<&str> = user
                .group_ids
                .iter()
                .map(|id| {
                    groups
                        .iter()
                        .find(|g| &g.id == id)
                        .map_or(id.as_str(), |g| g.name.as_str())
                })
                .collect();
            names.sort_unstable();
            names.join(";")
        }
        _ => String::new(),
    }
}

/// The kinds of drift (how many of each: [`DRIFTS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drift {
    NewHire,
    NewHireOtherCase,
    Name,
    Dept,
    Type,
    GroupJoin,
    GroupLeave,
    Activate,
    PendingPresent,
    Leaver,
    PendingLeaver,
    OutsideLeaver,
    AdminAbsent,
    OtherCase,
    OtherCaseDept,
    EmptyCells,
    Padded,
    JobTitleChanged,
    JobTitleSame,
    Unchanged,
}

/// How many users a drift has.
#[derive(Debug, Clone, Copy)]
enum Many {
    /// `k`: one per 2,000 users, at least one.
    PerK,
    One,
    /// The users left over.
    Rest,
}

impl Many {
    fn of(self, k: usize, rest: usize) -> usize {
        match self {
            Many::PerK => k,
            Many::One => 1,
            Many::Rest => rest,
        }
    }
}

/// Every drift, in the order its users are made, and how many.
const DRIFTS: [(Drift, Many); 20] = [
    (Drift::NewHire, Many::PerK),
    (Drift::NewHireOtherCase, Many::One),
    (Drift::Name, Many::PerK),
    (Drift::Dept, Many::PerK),
    (Drift::Type, Many::PerK),
    (Drift::GroupJoin, Many::PerK),
    (Drift::GroupLeave, Many::PerK),
    (Drift::Activate, Many::PerK),
    (Drift::PendingPresent, Many::PerK),
    (Drift::Leaver, Many::PerK),
    (Drift::PendingLeaver, Many::PerK),
    (Drift::OutsideLeaver, Many::PerK),
    (Drift::AdminAbsent, Many::One),
    (Drift::OtherCase, Many::PerK),
    (Drift::OtherCaseDept, Many::PerK),
    (Drift::EmptyCells, Many::PerK),
    (Drift::Padded, Many::One),
    (Drift::JobTitleChanged, Many::One),
    (Drift::JobTitleSame, Many::One),
    (Drift::Unchanged, Many::Rest),
];

const DEPTS: [&str; 6] = ["Sales", "Engineering", "Support", "Marketing", "Finance", "Legal"];

fn type_name(t: u8) -> &'static str {
    if t == 1 { "Basic" } else { "Licensed" }
}

/// One person: as the account holds them (if it does) and as the roster writes them.
struct Person {
    email: String,
    first: String,
    last: String,
    dept: String,
    user_type: u8,
    groups: Vec<String>,
    job_title: String,
}

impl Person {
    fn group_cell(&self) -> String {
        let mut g = self.groups.clone();
        g.sort_unstable();
        g.join(";")
    }
}

/// Seeds the account (into a store holding only the owner and the seeded groups, as
/// `SandboxConfig { seed_users: 0, .. }` leaves it) with at least `users` users besides
/// the owner, and returns the roster and the expected difference. Every case has
/// `max(1, users / 2000)` users; the rest are unchanged. The same seed gives the same
/// account and roster (user ids come from the store's seed).
pub fn sync_drift(store: &Store, users: usize, seed: u64) -> Result<SyncScenario, String> {
    let owner = store.owner().ok_or("the sync scenario needs the seeded owner")?;
    if store.user_count() != 1 {
        return Err(format!(
            "the sync scenario needs an account holding only the owner (seed_users 0), not {} users",
            store.user_count()
        ));
    }
    let mut groups = store.groups();
    for name in SEED_GROUPS {
        if !groups.iter().any(|g| g.name == *name) {
            groups.push(store.insert_group(name)?);
        }
    }
    let group_id = |name: &str| -> String {
        groups
            .iter()
            .find(|g| g.name == name)
            .map(|g| g.id.clone())
            .unwrap_or_default()
    };

    let k = (users / 2000).max(1);
    let in_account: usize = DRIFTS
        .iter()
        .filter(|(d, _)| !matches!(d, Drift::NewHire | Drift::NewHireOtherCase))
        .map(|(_, n)| n.of(k, 0))
        .sum();
    let rest = users.saturating_sub(in_account);
    let plan = DRIFTS.iter().map(|(d, n)| (*d, n.of(k, rest)));
    use Drift::*;

    let mut rng = SeqRng::new(seed, "sync-drift");
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut expected = BTreeMap::new();
    expected.insert(
        owner.email.clone(),
        SyncExpect {
            action: SyncAction::Untouched,
            user_id: owner.id.clone(),
            roster_email: String::new(),
            changes: BTreeMap::new(),
        },
    );
    let mut n = 0usize;
    for (case, count) in plan {
        for j in 0..count {
            n += 1;
            let (first, first_ascii) = *rng.pick(FIRST);
            let (last, last_ascii) = *rng.pick(LAST);
            let domain = if case == OutsideLeaver {
                SYNC_OUTSIDE_DOMAIN
            } else {
                SYNC_SCOPE_DOMAIN
            };
            let dept = DEPTS[rng.below(DEPTS.len() as u64) as usize];
            let groups_of_dept: Vec<String> = SEED_GROUPS
                .iter()
                .filter(|g| **g == dept)
                .map(|g| g.to_string())
                .collect();
            let held = Person {
                email: format!("{first_ascii}.{last_ascii}.s{n}@{domain}"),
                first: first.to_string(),
                last: last.to_string(),
                dept: dept.to_string(),
                user_type: if rng.chance(0.3) { 1 } else { 2 },
                groups: groups_of_dept,
                job_title: String::new(),
            };
            let mut roster = Person {
                email: held.email.clone(),
                first: held.first.clone(),
                last: held.last.clone(),
                dept: held.dept.clone(),
                user_type: held.user_type,
                groups: held.groups.clone(),
                job_title: String::new(),
            };
            let mut status = "active";
            let mut role = "2";
            let mut action = SyncAction::Unchanged;
            let mut changes: BTreeMap<String, (String, String)> = BTreeMap::new();
            let mut change = |field: &str, before: &str, after: &str| {
                changes.insert(field.to_string(), (before.to_string(), after.to_string()));
            };
            let mut in_roster = true;
            let mut cells: Option<Vec<String>> = None;
            match case {
                NewHire | NewHireOtherCase => {
                    action = SyncAction::Create;
                    change("first_name", "", &roster.first);
                    change("last_name", "", &roster.last);
                    change("dept", "", &roster.dept);
                    change("type", "", &roster.user_type.to_string());
                    if !roster.groups.is_empty() {
                        change("group", "", &roster.group_cell());
                    }
                    if case == NewHireOtherCase {
                        roster.email = other_case(&roster.email);
                    }
                }
                Name => {
                    action = SyncAction::Update;
                    let (other, _) = *FIRST.iter().find(|(f, _)| *f != held.first).unwrap_or(&FIRST[0]);
                    roster.first = other.to_string();
                    change("first_name", &held.first, &roster.first);
                    if j % 2 == 0 {
                        roster.last = format!("{}-Smith", held.last);
                        change("last_name", &held.last, &roster.last);
                    }
                }
                Dept | OtherCaseDept => {
                    action = SyncAction::Update;
                    roster.dept = format!("{} Operations", held.dept);
                    change("dept", &held.dept, &roster.dept);
                    if case == OtherCaseDept {
                        roster.email = other_case(&roster.email);
                    }
                }
                Type => {
                    action = SyncAction::Update;
                    roster.user_type = if held.user_type == 1 { 2 } else { 1 };
                    change("type", &held.user_type.to_string(), &roster.user_type.to_string());
                }
                GroupJoin => {
                    action = SyncAction::Update;
                    let extra = if held.groups.iter().any(|g| g == "Marketing") {
                        "Support"
                    } else {
                        "Marketing"
                    };
                    roster.groups.push(extra.to_string());
                    change("group", &held.group_cell(), &roster.group_cell());
                }
                GroupLeave => {
                    action = SyncAction::Update;
                    roster.dept = "Sales".to_string();
                    roster.groups = vec!["Sales".to_string()];
                    // Held: Engineering and Sales; the roster keeps Sales only.
                    if held.dept != "Sales" {
                        change("dept", &held.dept, "Sales");
                    }
                    change("group", "Engineering;Sales", "Sales");
                }
                Activate => {
                    action = SyncAction::Activate;
                    status = "inactive";
                    change("status", "inactive", "active");
                    if j % 2 == 0 {
                        roster.dept = format!("{} Operations", held.dept);
                        change("dept", &held.dept, &roster.dept);
                    }
                }
                PendingPresent => {
                    status = "pending";
                    roster.groups.clear();
                }
                Leaver => {
                    action = SyncAction::Prune { pending: false };
                    in_roster = false;
                }
                PendingLeaver => {
                    action = SyncAction::Prune { pending: true };
                    status = "pending";
                    in_roster = false;
                }
                OutsideLeaver => {
                    action = SyncAction::Untouched;
                    in_roster = false;
                }
                AdminAbsent => {
                    action = SyncAction::Untouched;
                    role = "1";
                    in_roster = false;
                }
                OtherCase => roster.email = other_case(&roster.email),
                EmptyCells => {
                    cells = Some(vec![
                        roster.email.clone(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ]);
                }
                Padded => {
                    cells = Some(vec![
                        format!(" {} ", roster.email),
                        format!(" {}", roster.first),
                        format!("{} ", roster.last),
                        format!("  {}  ", roster.dept),
                        format!(" {} ", type_name(roster.user_type)),
                        String::new(),
                        format!(" {} ", roster.group_cell()),
                    ]);
                }
                JobTitleChanged => {
                    action = SyncAction::Update;
                    roster.job_title = "Senior Engineer".to_string();
                    change("job_title", "Engineer", "Senior Engineer");
                }
                JobTitleSame => roster.job_title = "Analyst".to_string(),
                Unchanged => {}
            }
            let mut user_id = String::new();
            if !matches!(case, NewHire | NewHireOtherCase) {
                let mut u = User::new(&held.email, &held.first, &held.last);
                u.dept = held.dept.clone();
                u.user_type = held.user_type;
                u.status = status.to_string();
                u.role_id = role.to_string();
                u.company = "Example Corp".to_string();
                u.employee_unique_id = format!("S{n:07}");
                u.job_title = match case {
                    JobTitleChanged => "Engineer",
                    JobTitleSame => "Analyst",
                    _ => "",
                }
                .to_string();
                let held_groups: Vec<&str> = match case {
                    // Pending users are not members of groups yet (FACTS).
                    PendingPresent | PendingLeaver => Vec::new(),
                    GroupLeave => vec!["Engineering", "Sales"],
                    _ => held.groups.iter().map(String::as_str).collect(),
                };
                u.group_ids = held_groups.iter().map(|g| group_id(g)).collect();
                if status == "pending" {
                    u.verified = 0;
                    u.created_via = "create".to_string();
                }
                let u = store.insert_user(u)?;
                if status != "pending" {
                    user_id = u.id;
                }
            }
            let roster_email = if in_roster {
                rows.push(cells.unwrap_or_else(|| {
                    vec![
                        roster.email.clone(),
                        roster.first.clone(),
                        roster.last.clone(),
                        roster.dept.clone(),
                        type_name(roster.user_type).to_string(),
                        roster.job_title.clone(),
                        roster.group_cell(),
                    ]
                }));
                roster.email.clone()
            } else {
                String::new()
            };
            expected.insert(
                held.email.to_lowercase(),
                SyncExpect {
                    action,
                    user_id,
                    roster_email,
                    changes,
                },
            );
        }
    }
    // HR exports are not sorted by anything the account knows.
    for i in (1..rows.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        rows.swap(i, j);
    }
    let roster_rows = rows.len();
    let mut out = csv::Writer::from_writer(Vec::new());
    let write =
        |out: &mut csv::Writer<Vec<u8>>, row: &[String]| out.write_record(row).map_err(|e| e.to_string());
    write(&mut out, &SYNC_ROSTER_HEADER.map(str::to_string))?;
    for row in &rows {
        write(&mut out, row)?;
    }
    let bytes = out.into_inner().map_err(|e| e.to_string())?;
    let roster_csv = String::from_utf8(bytes).map_err(|e| e.to_string())?;
    Ok(SyncScenario {
        roster_csv,
        expected,
        roster_rows,
    })
}

/// The same address in other case, as HR systems write them (`Ada.Lovelace.S3@CORP.Example.com`).
fn other_case(email: &str) -> String {
    let (local, domain) = email.split_once('@').unwrap_or((email, ""));
    let local: String = local
        .split('.')
        .map(|part| {
            let mut c = part.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        })
        .collect::<Vec<String>>()
        .join(".");
    let domain = match domain.split_once('.') {
        Some((head, rest)) => format!("{}.{rest}", head.to_uppercase()),
        None => domain.to_uppercase(),
    };
    format!("{local}@{domain}")
}
