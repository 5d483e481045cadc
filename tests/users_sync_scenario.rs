//! `users sync` end to end on the sandbox's sync drift scenario: the plan row by row
//! against the scenario's expected difference, nothing written without --apply, the
//! account after --apply, and a second sync that plans nothing. Also
//! `zoombulk sandbox --seed-sync-roster`.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use common::*;
use zoombulk_sandbox::{SYNC_ROSTER_FIELDS, SYNC_SCOPE_DOMAIN, SyncAction, SyncScenario, User, sync_field};

/// A plan cell's value as the scenario writes it: `type` as Zoom's number, `group`
/// as sorted names (compared case-insensitively).
fn normal(field: &str, value: &str) -> String {
    let v = value.trim();
    match field {
        "type" => match v.to_ascii_lowercase().as_str() {
            "basic" => "1".into(),
            "licensed" => "2".into(),
            "unassigned" => "4".into(),
            _ => v.to_string(),
        },
        "group" => {
            let mut names: Vec<String> = v
                .split(';')
                .map(|n| n.trim().to_lowercase())
                .filter(|n| !n.is_empty())
                .collect();
            names.sort();
            names.join(";")
        }
        _ => v.to_string(),
    }
}

/// Checks a plan against the scenario, row by row; returns the rows by email.
fn check_plan(
    plan: &[HashMap<String, String>],
    header: &[String],
    s: &SyncScenario,
    prune: Option<&str>,
    all: bool,
) -> BTreeMap<String, HashMap<String, String>> {
    assert_eq!(header[..3], ["email", "action", "user_id"], "{header:?}");
    // The roster's compared columns, in roster order (then `status`, if the plan has it).
    let fields: Vec<&str> = header[3..].iter().map(String::as_str).collect();
    let roster_fields: Vec<&str> = SYNC_ROSTER_FIELDS[1..].to_vec();
    let without_status: Vec<&str> = fields.iter().copied().filter(|f| *f != "status").collect();
    assert_eq!(without_status, roster_fields, "plan columns {header:?}");
    let mut by_email = BTreeMap::new();
    for row in plan {
        let email = row["email"].trim().to_lowercase();
        let expect = s
            .expected
            .get(&email)
            .unwrap_or_else(|| panic!("a plan row for {email}, unknown to the scenario: {row:?}"));
        let action = expect.action.planned(prune, all);
        assert_eq!(Some(row["action"].as_str()), action, "{email}: {row:?}");
        assert_eq!(row["user_id"], expect.user_id, "{email}: user_id");
        for field in &fields {
            let cell = row[*field].as_str();
            let want = expect.changes.get(*field);
            let ignore_status =
                *field == "status" && matches!(expect.action, SyncAction::Create | SyncAction::Prune { .. });
            if ignore_status {
                continue;
            }
            match want {
                None => assert_eq!(cell, "", "{email}: {field} should not change"),
                Some((before, after)) => {
                    let (b, a) = cell
                        .split_once(" -> ")
                        .or_else(|| cell.strip_prefix("-> ").map(|a| ("", a)))
                        .unwrap_or_else(|| panic!("{email}: {field} cell {cell:?} is not `before -> after`"));
                    assert_eq!(
                        (normal(field, b), normal(field, a)),
                        (normal(field, before), normal(field, after)),
                        "{email}: {field}"
                    );
                }
            }
        }
        assert!(
            by_email.insert(email.clone(), row.clone()).is_none(),
            "{email} planned twice"
        );
    }
    for (email, e) in &s.expected {
        if e.action.planned(prune, all).is_some() {
            assert!(by_email.contains_key(email), "no plan row for {email} ({e:?})");
        }
    }
    by_email
}

fn header_of(path: &Path) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).expect("plan exists");
    reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect()
}

fn snapshot(sandbox: &Sandbox) -> BTreeMap<String, User> {
    sandbox
        .store()
        .users()
        .into_iter()
        .map(|u| (u.email.clone(), u))
        .collect()
}

/// A sandbox seeded with the scenario, its roster written as `NAME.csv` in a temp
/// dir, and the account as it was.
struct Setup {
    sandbox: Sandbox,
    s: SyncScenario,
    dir: tempfile::TempDir,
    roster: std::path::PathBuf,
    plan: std::path::PathBuf,
    before: BTreeMap<String, User>,
}

async fn setup(seed: u64, name: &str) -> Setup {
    let sandbox = start(unlimited()).await;
    let s = sandbox.seed_sync_drift(60, seed).expect("scenario seeds");
    let dir = tempdir();
    let roster = write(dir.path(), &format!("{name}.csv"), &s.roster_csv);
    let plan = dir.path().join(format!("{name}.plan.csv"));
    let before = snapshot(&sandbox);
    Setup {
        sandbox,
        s,
        dir,
        roster,
        plan,
        before,
    }
}

const PRUNE: [&str; 4] = ["--prune", "deactivate", "--scope-domain", SYNC_SCOPE_DOMAIN];

#[tokio::test(flavor = "multi_thread")]
async fn sync_plans_the_scenarios_difference_applies_it_and_then_plans_nothing() {
    let Setup {
        sandbox,
        s,
        dir,
        roster,
        plan: plan_path,
        before,
    } = setup(3, "roster").await;
    let roster_arg = roster.to_str().unwrap();

    // Plan only: the difference, row by row, and nothing written to Zoom.
    let mut args = vec!["users", "sync", roster_arg];
    args.extend(PRUNE);
    let o = run_fast(&sandbox, &args, 0, "plan").await;
    assert!(stderr(&o).contains("roster.plan.csv"), "{}", stderr(&o));
    let plan = read_results(&plan_path);
    let planned = check_plan(&plan, &header_of(&plan_path), &s, Some("deactivate"), false);
    assert!(planned.len() >= 10, "{planned:?}");
    assert_eq!(snapshot(&sandbox), before, "a plan wrote to the account");

    // Apply: one result row per change, then the account is as the roster says.
    args.push("--apply");
    let o = run_fast(&sandbox, &args, 0, "apply").await;
    let results = read_results(&dir.path().join("roster.results.csv"));
    assert_eq!(results.len(), planned.len(), "{}", stderr(&o));
    let groups = sandbox.store().groups();
    let after = snapshot(&sandbox);
    for (email, e) in &s.expected {
        let now = after.get(email);
        match e.action {
            SyncAction::Create | SyncAction::Update | SyncAction::Activate => {
                let u = now.unwrap_or_else(|| panic!("{email} is in the account"));
                for (field, (_, want)) in &e.changes {
                    assert_eq!(
                        normal(field, &sync_field(u, &groups, field)),
                        normal(field, want),
                        "{email}: {field} after apply"
                    );
                }
            }
            SyncAction::Prune { pending: false } => {
                assert_eq!(now.map(|u| u.status.as_str()), Some("inactive"), "{email}")
            }
            SyncAction::Prune { pending: true } => assert!(now.is_none(), "{email} disassociated"),
            SyncAction::Unchanged | SyncAction::Untouched => {
                assert_eq!(now, before.get(email), "{email} was touched")
            }
        }
    }

    // Again: nothing left to change.
    args.pop();
    let o = run_fast(&sandbox, &args, 0, "second plan").await;
    let again = read_results(&plan_path);
    assert!(again.is_empty(), "{again:?}\n{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_prune_leavers_stay_and_all_lists_the_unchanged() {
    let Setup {
        sandbox,
        s,
        roster,
        plan: plan_path,
        before,
        dir: _dir, // kept: the roster lives there
    } = setup(4, "hr").await;
    run_fast(
        &sandbox,
        &["users", "sync", roster.to_str().unwrap(), "--all"],
        0,
        "plan --all",
    )
    .await;
    let plan = read_results(&plan_path);
    let rows = check_plan(&plan, &header_of(&plan_path), &s, None, true);
    assert_eq!(
        rows.values().filter(|r| r["action"] == "unchanged").count(),
        s.with_action("unchanged", None, true).len()
    );
    assert!(rows.values().all(|r| r["action"] != "deactivate"));
    assert_eq!(snapshot(&sandbox), before);
}

/// `zoombulk sandbox --seed-sync-roster` writes the scenario's roster (the same as
/// the library's for the same seed and size) and serves its account (its `try:` line
/// plans the scenario's changes); a file there that is not such a roster is refused,
/// untouched.
#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_command_seeds_the_scenario_and_writes_its_roster() {
    let dir = tempdir();
    let roster = dir.path().join("roster-{date}.csv");
    let args = [
        "sandbox",
        "--port",
        "0",
        "--seed",
        "9",
        "--seed-users",
        "80",
        "--seed-sync-roster",
        roster.to_str().unwrap(),
    ];
    let (mut child, printed) = sandbox_banner(&args, &[]).await;
    let shown = |name: &str| {
        printed
            .lines()
            .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| panic!("{name} in {printed}"))
    };
    let written = shown("sync roster:");
    assert!(
        !written.contains("{date}") && written.ends_with(".csv"),
        "{written}"
    );
    let text = std::fs::read_to_string(&written).expect("roster written");
    let reference = start(SandboxConfig { seed: 9, ..config() }).await;
    let s = reference.seed_sync_drift(80, 9).unwrap();
    assert_eq!(text, s.roster_csv);

    // The `try:` line works as printed, on the scenario's account.
    let try_sync = shown("try: zoombulk users sync");
    let mut line = vec!["users".to_string(), "sync".to_string()];
    line.extend(try_sync.split_whitespace().map(String::from));
    let o = run(&line).await;
    child.start_kill().unwrap();
    let _ = child.wait().await;
    assert_eq!(o.status.code(), Some(0), "{try_sync}: {}", stderr(&o));
    let plan = Path::new(&written).with_extension("plan.csv");
    let planned = read_results(&plan);
    let prune = Some("deactivate");
    let want = s
        .expected
        .values()
        .filter(|e| e.action.planned(prune, false).is_some());
    assert_eq!(planned.len(), want.count());

    // A foreign file at the path is refused (usage), and left as it was.
    let foreign = write(dir.path(), "mine.csv", "email\nkeep@example.com\n");
    let o = run(&[
        "sandbox".into(),
        "--port".into(),
        "0".into(),
        "--seed-sync-roster".into(),
        foreign.to_str().unwrap().into(),
    ])
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a roster"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&foreign).unwrap(),
        "email\nkeep@example.com\n"
    );
}
