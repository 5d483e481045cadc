//! `zoombulk users sync` end to end: the real binary against the sandbox on loopback.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::*;
use zoombulk_sandbox::User;

type Row = HashMap<String, String>;

/// Inserts a user; `edit` sets what the test needs.
fn add(sandbox: &Sandbox, email: &str, edit: impl FnOnce(&mut User)) -> User {
    let mut user = User::new(email, "Old", "Name");
    edit(&mut user);
    sandbox.store().insert_user(user).expect("new user")
}

/// The account's group of that name (the sandbox seeds a few), made if missing.
fn group(sandbox: &Sandbox, name: &str) -> zoombulk_sandbox::Group {
    let store = sandbox.store();
    store
        .group_by_name(name)
        .unwrap_or_else(|| store.insert_group(name).expect("new group"))
}

/// Runs `users sync ROSTER flags…` and checks the exit status.
async fn sync(sandbox: &Sandbox, roster: &Path, flags: &[&str], exit: i32) -> std::process::Output {
    let mut args = vec!["users", "sync", roster.to_str().expect("UTF-8 path")];
    args.extend_from_slice(flags);
    run_fast(sandbox, &args, exit, "").await
}

fn beside(roster: &Path, suffix: &str) -> PathBuf {
    let stem = roster.file_stem().expect("a name").to_string_lossy();
    roster.with_file_name(format!("{stem}.{suffix}"))
}

/// The plan beside the roster, as rows.
fn plan_of(roster: &Path) -> Vec<Row> {
    read_results(&beside(roster, "plan.csv"))
}

/// The plan an `--apply` kept beside its default results, as rows.
fn applied_plan_of(roster: &Path) -> Vec<Row> {
    read_results(&beside(roster, "results.plan.csv"))
}

fn actions(rows: &[Row]) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| (r["email"].clone(), r["action"].clone()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn second_sync_after_apply_plans_nothing() {
    let sandbox = start(unlimited()).await;
    let store = sandbox.store();
    let sales = group(&sandbox, "Sales");
    group(&sandbox, "Engineering");
    add(&sandbox, "ada@example.com", |u| {
        u.dept = "Ops".into();
        u.group_ids = vec![sales.id.clone()];
    });
    add(&sandbox, "grace@example.com", |u| u.status = "inactive".into());
    let dir = tempdir();
    let roster = write(
        dir.path(),
        "hr.csv",
        "Email Address,First Name,Last Name,Department,User Group\n\
         ada@example.com,Ada,Lovelace,Research,Engineering\n\
         grace@example.com,Grace,,Navy,\n\
         alan@example.com,Alan,Turing,Crypto,Engineering;Sales\n",
    );
    let out = sync(&sandbox, &roster, &["--apply", "--action", "custCreate"], 0).await;
    let plan = applied_plan_of(&roster);
    assert_eq!(
        actions(&plan),
        pairs(&[
            ("ada@example.com", "update"),
            ("grace@example.com", "activate"),
            ("alan@example.com", "create")
        ])
    );
    // The header: the roster's compared columns in roster order, then status.
    let header = std::fs::read_to_string(beside(&roster, "results.plan.csv")).unwrap();
    assert!(
        header.starts_with("email,action,user_id,first_name,last_name,dept,group,status\n"),
        "{header}"
    );
    assert_eq!(plan[0]["dept"], "Ops -> Research");
    assert_eq!(plan[0]["group"], "Sales -> Engineering");
    assert_eq!(plan[0]["first_name"], "Old -> Ada");
    assert_eq!(plan[1]["status"], "inactive -> active");
    assert_eq!(plan[1]["last_name"], "", "an empty cell leaves the field");
    assert_eq!(plan[2]["group"], "-> Engineering;Sales");
    assert_eq!(plan[2]["user_id"], "");

    // One results row per change, saying what Zoom did.
    let rows = read_results(&beside(&roster, "results.csv"));
    assert_eq!(
        statuses(&rows),
        ["updated", "updated", "created"],
        "{}",
        stderr(&out)
    );
    assert_eq!(
        rows[0]["error_message"],
        "profile updated; group Engineering joined; group Sales left"
    );
    assert_eq!(rows[1]["error_message"], "status activated; profile updated");
    assert!(
        rows[2]["error_message"]
            .starts_with("created; profile set; group Engineering joined; group Sales joined"),
        "{}",
        rows[2]["error_message"]
    );
    assert_eq!(
        rows[0]["dept"], "Ops -> Research",
        "the plan's columns come first"
    );

    let ada = store.user_by_email("ada@example.com").unwrap();
    let engineering = store.group_by_name("Engineering").unwrap().id;
    assert_eq!(
        (ada.dept.as_str(), ada.group_ids.clone()),
        ("Research", vec![engineering])
    );
    assert_eq!(store.user_by_email("grace@example.com").unwrap().status, "active");
    assert_eq!(
        store.user_by_email("alan@example.com").unwrap().group_ids.len(),
        2
    );

    // Right after: nothing to do, and the plan says so.
    assert!(!beside(&roster, "plan.csv").exists());
    let out = sync(&sandbox, &roster, &[], 0).await;
    assert!(plan_of(&roster).is_empty(), "{}", stderr(&out));
    assert!(stderr(&out).contains("plan: 0 changes"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_or_all_invalid_roster_is_refused_and_nothing_is_deactivated() {
    let sandbox = start(unlimited()).await;
    for email in ["ada@example.com", "grace@example.com"] {
        add(&sandbox, email, |_| {});
    }
    let dir = tempdir();
    let roster = write(dir.path(), "empty.csv", "email,first_name\n");
    let flags = [
        "--apply",
        "--prune",
        "deactivate",
        "--scope-domain",
        "example.com",
    ];
    let out = sync(&sandbox, &roster, &flags, 1).await;
    assert!(stderr(&out).contains("no data rows"), "{}", stderr(&out));
    let out = sync(&sandbox, &roster, &["--max-changes", "100%"], 1).await;
    assert!(stderr(&out).contains("no data rows"), "{}", stderr(&out));
    assert!(sandbox.store().users().iter().all(|u| u.status == "active"));
    assert_eq!(requests_to(&sandbox, "PUT /users/{userId}/status"), 0);
    assert_eq!(requests_to(&sandbox, "GET /users"), 0, "refused before listing");
    assert!(!beside(&roster, "plan.csv").exists());

    // Rows that are all invalid leave no roster either, whatever the flags.
    let roster = write(dir.path(), "broken.csv", "email,first_name\nnot-an-email,A\n,B\n");
    let out = sync(&sandbox, &roster, &flags, 1).await;
    assert!(stderr(&out).contains("no valid roster rows"), "{}", stderr(&out));
    let out = sync(&sandbox, &roster, &["--max-changes", "100%"], 1).await;
    assert!(stderr(&out).contains("no valid roster rows"), "{}", stderr(&out));
    assert!(sandbox.store().users().iter().all(|u| u.status == "active"));
    assert_eq!(requests_to(&sandbox, "PUT /users/{userId}/status"), 0);
    assert!(!beside(&roster, "plan.csv").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn prune_touches_only_scope_and_never_owner_or_admins() {
    let sandbox = start(unlimited()).await;
    let store = sandbox.store();
    let staff = group(&sandbox, "Staff");
    add(&sandbox, "stays@example.com", |_| {});
    add(&sandbox, "leaver@example.com", |_| {});
    add(&sandbox, "admin@example.com", |u| u.role_id = "1".into());
    add(&sandbox, "outsider@other.org", |_| {});
    add(&sandbox, "staffer@other.org", |u| {
        u.group_ids = vec![staff.id.clone()]
    });
    add(&sandbox, "invited@example.com", |u| u.status = "pending".into());
    add(&sandbox, "gone@example.com", |u| u.status = "inactive".into());
    let dir = tempdir();
    let roster = write(dir.path(), "roster.csv", "email\nSTAYS@example.com\n");

    // --prune without a scope is a usage error.
    sync(&sandbox, &roster, &["--prune", "deactivate"], 2).await;

    let flags = [
        "--apply",
        "--prune",
        "deactivate",
        "--scope-domain",
        "example.com",
    ];
    let out = sync(&sandbox, &roster, &flags, 0).await;
    assert_eq!(
        actions(&applied_plan_of(&roster)),
        pairs(&[
            ("leaver@example.com", "deactivate"),
            ("invited@example.com", "disassociate")
        ]),
        "{}",
        stderr(&out)
    );
    let plan = applied_plan_of(&roster);
    assert_eq!(plan[0]["status"], "active -> inactive");
    assert_eq!(plan[1]["user_id"], "", "pending users have no id");
    assert_eq!(
        store.user_by_email("leaver@example.com").unwrap().status,
        "inactive"
    );
    assert!(store.user_by_email("invited@example.com").is_none());
    for email in ["stays@example.com", "admin@example.com", "outsider@other.org"] {
        assert_eq!(store.user_by_email(email).unwrap().status, "active", "{email}");
    }

    // A group scope; the owner (corp.example.com) is never planned, even in scope.
    assert!(
        !beside(&roster, "plan.csv").exists(),
        "an apply keeps its plan beside its results"
    );
    let flags = [
        "--prune",
        "delete",
        "--scope-group",
        "staff",
        "--scope-domain",
        "other.org",
    ];
    sync(&sandbox, &roster, &flags, 0).await;
    assert_eq!(
        actions(&plan_of(&roster)),
        pairs(&[("staffer@other.org", "delete")])
    );
    let flags = ["--prune", "delete", "--scope-domain", "corp.example.com"];
    sync(&sandbox, &roster, &flags, 0).await;
    assert!(plan_of(&roster).is_empty(), "the owner is never pruned");
    assert!(store.owner().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn max_changes_refuses_apply_but_writes_plan() {
    let sandbox = start(unlimited()).await;
    for i in 0..9 {
        add(&sandbox, &format!("user{i}@example.com"), |_| {});
    }
    let dir = tempdir();
    let roster = write(
        dir.path(),
        "new.csv",
        "email,first_name\nn1@example.com,A\nn2@example.com,B\nn3@example.com,C\n",
    );
    let out = sync(&sandbox, &roster, &["--apply", "--max-changes", "2"], 1).await;
    let err = stderr(&out);
    assert!(
        err.contains("3 changes, over the limit of 2") && err.contains("--max-changes"),
        "{err}"
    );
    assert_eq!(
        applied_plan_of(&roster).len(),
        3,
        "the plan is written for review"
    );
    assert_eq!(requests_to(&sandbox, "POST /users"), 0);
    assert!(!beside(&roster, "results.csv").exists());
    // --resume has no earlier run to continue: the refused plan is checked again.
    let out = sync(
        &sandbox,
        &roster,
        &["--apply", "--resume", "--max-changes", "2"],
        1,
    )
    .await;
    assert!(stderr(&out).contains("over the limit of 2"), "{}", stderr(&out));
    assert_eq!(requests_to(&sandbox, "POST /users"), 0);

    // 20% of the 9 account users in scope (never the owner) is 1 change.
    let out = sync(&sandbox, &roster, &["--apply", "--max-changes", "20%"], 1).await;
    let err = stderr(&out);
    assert!(
        err.contains("over the limit of 1: --max-changes 20% of 9 account users"),
        "{err}"
    );
    assert!(!err.contains("(max changes"), "no nested parentheses: {err}");
    let out = sync(&sandbox, &roster, &["--max-changes", "150%"], 2).await;
    assert!(stderr(&out).contains("at most 100%"), "{}", stderr(&out));
    assert_eq!(requests_to(&sandbox, "POST /users"), 0);

    // The default (the larger of 25 and 10%) lets 3 through.
    sync(&sandbox, &roster, &["--apply", "--action", "custCreate"], 0).await;
    assert_eq!(requests_to(&sandbox, "POST /users"), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn emails_compare_in_any_case_and_pending_users_count_as_present() {
    let sandbox = start(unlimited()).await;
    add(&sandbox, "ada@example.com", |u| u.first_name = "Ada".into());
    add(&sandbox, "pat@example.com", |u| {
        u.status = "pending".into();
        u.first_name = "Pat".into();
    });
    let dir = tempdir();
    let roster = write(
        dir.path(),
        "case.csv",
        "email,first_name\nADA@Example.COM,Ada\npat@example.com,Pat\n",
    );
    let out = sync(&sandbox, &roster, &["--all"], 0).await;
    assert_eq!(
        actions(&plan_of(&roster)),
        pairs(&[("ada@example.com", "unchanged"), ("pat@example.com", "unchanged")]),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_cells_leave_fields_unless_clear_empty() {
    let sandbox = start(unlimited()).await;
    let store = sandbox.store();
    let sales = group(&sandbox, "Sales");
    add(&sandbox, "ada@example.com", |u| {
        u.dept = "Ops".into();
        u.group_ids = vec![sales.id.clone()];
    });
    let dir = tempdir();
    let roster = write(
        dir.path(),
        "blank.csv",
        "email,dept,group,type\nada@example.com, ,,\n",
    );
    sync(&sandbox, &roster, &[], 0).await;
    assert!(plan_of(&roster).is_empty());
    sync(&sandbox, &roster, &["--clear-empty", "--apply"], 0).await;
    let plan = applied_plan_of(&roster);
    assert_eq!(actions(&plan), pairs(&[("ada@example.com", "update")]));
    assert_eq!(
        (plan[0]["dept"].as_str(), plan[0]["group"].as_str()),
        ("Ops -> ", "Sales -> ")
    );
    assert_eq!(plan[0]["type"], "", "type is never cleared");
    let ada = store.user_by_email("ada@example.com").unwrap();
    assert_eq!(
        (ada.dept.as_str(), ada.group_ids.len(), ada.user_type),
        ("", 0, 2)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn type_is_compared_only_when_its_column_is_there() {
    let sandbox = start(unlimited()).await;
    add(&sandbox, "ada@example.com", |u| u.user_type = 1);
    let dir = tempdir();
    let without = write(dir.path(), "without.csv", "email\nada@example.com\n");
    sync(&sandbox, &without, &[], 0).await;
    assert!(plan_of(&without).is_empty());
    let with = write(
        dir.path(),
        "with.csv",
        "email,User Type\nada@example.com,Licensed\n",
    );
    sync(&sandbox, &with, &["--apply"], 0).await;
    assert_eq!(applied_plan_of(&with)[0]["type"], "1 -> 2");
    assert_eq!(
        sandbox
            .store()
            .user_by_email("ada@example.com")
            .unwrap()
            .user_type,
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_rows_are_reported_and_never_pruned() {
    let sandbox = start(unlimited()).await;
    add(&sandbox, "ada@example.com", |_| {});
    let dir = tempdir();
    let roster = write(
        dir.path(),
        "bad.csv",
        "email,group\nada@example.com,Nonexistent\nnew@example.com,\n",
    );
    let flags = ["--prune", "deactivate", "--scope-domain", "example.com"];
    let out = sync(&sandbox, &roster, &flags, 3).await;
    let err = stderr(&out);
    assert!(
        err.contains("bad.csv: line 2: E_VALUE") && err.contains("Nonexistent"),
        "{err}"
    );
    assert!(
        err.contains("1 invalid roster row") || err.contains("1 roster row invalid"),
        "{err}"
    );
    assert!(err.contains("exit 3 (rows need attention)"), "{err}");
    assert_eq!(
        actions(&plan_of(&roster)),
        pairs(&[("new@example.com", "create")]),
        "ada's row is invalid: no update, and no deactivate either"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_plan_refused_when_account_changed() {
    let sandbox = start(unlimited()).await;
    let store = sandbox.store();
    add(&sandbox, "ada@example.com", |u| u.dept = "Ops".into());
    add(&sandbox, "grace@example.com", |_| {});
    let dir = tempdir();
    let roster = write(
        dir.path(),
        "hr.csv",
        "email,dept\nada@example.com,Research\ngrace@example.com,Navy\nnew@example.com,Sales\n",
    );
    let plan_path = dir.path().join("reviewed.csv");
    let plan = plan_path.to_str().unwrap();
    sync(&sandbox, &roster, &["--out", plan], 0).await;
    assert_eq!(read_results(&plan_path).len(), 3);

    // Since the plan: ada's dept changed, grace left, new@ arrived.
    store.remove_user("ada@example.com");
    add(&sandbox, "ada@example.com", |u| u.dept = "Legal".into());
    store.remove_user("grace@example.com");
    add(&sandbox, "new@example.com", |_| {});
    let out = run_fast(
        &sandbox,
        &["users", "sync", "--apply-plan", plan, "--action", "custCreate"],
        1,
        "",
    )
    .await;
    let err = stderr(&out);
    assert!(
        err.contains("row 1 (ada@example.com): has another user id now")
            && err.contains("; dept is \"Legal\" now, not \"Ops\""),
        "{err}"
    );
    assert!(
        err.contains("row 2 (grace@example.com): is no longer in the account"),
        "{err}"
    );
    assert!(
        err.contains("row 3 (new@example.com): is in the account now"),
        "{err}"
    );
    assert!(err.contains("3 rows no longer hold"), "{err}");
    assert_eq!(requests_to(&sandbox, "PATCH /users/{userId}"), 0);
    assert_eq!(store.user_by_email("ada@example.com").unwrap().dept, "Legal");

    // A plan that still holds is carried out; results beside the plan.
    let roster = write(dir.path(), "again.csv", "email,dept\nada@example.com,Research\n");
    sync(&sandbox, &roster, &["--out", plan], 0).await;
    run_fast(&sandbox, &["users", "sync", "--apply-plan", plan], 0, "").await;
    let rows = read_results(&dir.path().join("reviewed.results.csv"));
    assert_eq!(statuses(&rows), ["updated"]);
    assert_eq!(store.user_by_email("ada@example.com").unwrap().dept, "Research");
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_continues_the_kept_plan_after_an_interrupted_apply() {
    let sandbox = start(unlimited()).await;
    sandbox.store().set_daily_user_invites(1);
    let dir = tempdir();
    let roster = write(
        dir.path(),
        "hires.csv",
        "email,first_name\nn1@example.com,A\nn2@example.com,B\n",
    );
    // The invite cap stops the second create: deferred, exit 3.
    sync(&sandbox, &roster, &["--apply"], 3).await;
    let rows = read_results(&beside(&roster, "results.csv"));
    assert_eq!(statuses(&rows), ["created", "deferred"]);
    let listings = requests_to(&sandbox, "GET /users");

    // A new day: --resume sends only the deferred row, without planning again.
    sandbox.store().set_daily_user_invites(5);
    sync(&sandbox, &roster, &["--apply", "--resume"], 0).await;
    let rows = read_results(&beside(&roster, "results.csv"));
    assert_eq!(statuses(&rows), ["created", "created"]);
    assert_eq!(
        requests_to(&sandbox, "POST /users"),
        3,
        "n1 once, n2 refused then sent"
    );
    assert_eq!(requests_to(&sandbox, "GET /users"), listings, "no new listing");
}

#[tokio::test(flavor = "multi_thread")]
async fn fields_the_listing_lacks_cost_one_get_per_user_whose_row_sets_them() {
    let sandbox = start(unlimited()).await;
    add(&sandbox, "ada@example.com", |u| {
        u.job_title = "Engineer".into();
        u.company = "Acme".into();
    });
    add(&sandbox, "grace@example.com", |u| u.job_title = "Chef".into());
    let dir = tempdir();
    let roster = write(
        dir.path(),
        "titles.csv",
        "email,Job Title,Company\n\
         ada@example.com,Chief Engineer,Acme\n\
         grace@example.com,,\n\
         new@example.com,Intern,Acme\n",
    );
    let out = sync(&sandbox, &roster, &[], 0).await;
    let plan = plan_of(&roster);
    assert_eq!(
        actions(&plan),
        pairs(&[("ada@example.com", "update"), ("new@example.com", "create")])
    );
    assert_eq!(
        (plan[0]["job_title"].as_str(), plan[0]["company"].as_str()),
        ("Engineer -> Chief Engineer", "")
    );
    assert_eq!(plan[1]["job_title"], "-> Intern");
    assert_eq!(
        requests_to(&sandbox, "GET /users/{userId}"),
        1,
        "only ada's row sets a field the listing lacks"
    );
    assert!(
        stderr(&out).contains("GET /users/{userId} 1 (Light"),
        "{}",
        stderr(&out)
    );

    sync(&sandbox, &roster, &["--apply", "--action", "custCreate"], 0).await;
    let store = sandbox.store();
    assert_eq!(
        store.user_by_email("ada@example.com").unwrap().job_title,
        "Chief Engineer"
    );
    let new = store.user_by_email("new@example.com").unwrap();
    assert_eq!((new.job_title.as_str(), new.company.as_str()), ("Intern", "Acme"));
    assert_eq!(
        store.user_by_email("grace@example.com").unwrap().job_title,
        "Chef"
    );

    std::fs::remove_file(beside(&roster, "results.csv")).unwrap();
    sync(&sandbox, &roster, &[], 0).await;
    assert!(plan_of(&roster).is_empty(), "the second sync plans nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_edited_plan_never_removes_the_owner_or_an_admin() {
    let sandbox = start(unlimited()).await;
    add(&sandbox, "admin@example.com", |u| u.role_id = "1".into());
    let owner = sandbox.store().owner().unwrap();
    let dir = tempdir();
    let text = format!(
        "email,action,user_id,status\n\
         {},delete,{},active -> deleted\n\
         admin@example.com,deactivate,,active -> inactive\n",
        owner.email, owner.id
    );
    let plan = write(dir.path(), "edited.csv", text);
    let out = run_fast(
        &sandbox,
        &["users", "sync", "--apply-plan", plan.to_str().unwrap()],
        1,
        "",
    )
    .await;
    let err = stderr(&out);
    assert!(
        err.contains("the plan asks to delete the owner or an admin, which sync never does; remove that row")
            && err.contains("the plan asks to deactivate the owner or an admin")
            && err.contains("edited inconsistently (2 rows")
            && !err.contains("account changed"),
        "{err}"
    );
    assert_eq!(requests_to(&sandbox, "DELETE /users/{userId}"), 0);
    assert_eq!(requests_to(&sandbox, "PUT /users/{userId}/status"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pending_user_is_updated_by_email_and_joins_groups_by_patch() {
    let sandbox = start(unlimited()).await;
    let sales = group(&sandbox, "Sales");
    add(&sandbox, "pat@example.com", |u| {
        u.status = "pending".into();
        u.dept = "Ops".into();
    });
    let dir = tempdir();
    let roster = write(
        dir.path(),
        "pending.csv",
        "email,dept,group\npat@example.com,Sales,Sales\n",
    );
    sync(&sandbox, &roster, &["--apply"], 0).await;
    let plan = applied_plan_of(&roster);
    assert_eq!(actions(&plan), pairs(&[("pat@example.com", "update")]));
    assert_eq!(
        (plan[0]["user_id"].as_str(), plan[0]["group"].as_str()),
        ("", "-> Sales")
    );
    let rows = read_results(&beside(&roster, "results.csv"));
    assert_eq!(rows[0]["error_message"], "profile updated; group Sales joined");
    let pat = sandbox.store().user_by_email("pat@example.com").unwrap();
    assert_eq!(
        (pat.dept.as_str(), pat.group_ids.clone()),
        ("Sales", vec![sales.id])
    );
    assert_eq!(requests_to(&sandbox, "POST /groups/{groupId}/members"), 0);
    assert_eq!(
        requests_to(&sandbox, "GET /groups"),
        1,
        "the plan's listing serves the apply too"
    );
}

/// A dry run counts a pending user's join as the light PATCH it is, not a
/// medium member call.
#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_counts_a_pending_users_join_as_light() {
    let sandbox = start(unlimited()).await;
    group(&sandbox, "Sales");
    add(&sandbox, "pat@example.com", |u| u.status = "pending".into());
    let dir = tempdir();
    let roster = write(dir.path(), "dry.csv", "email,group\npat@example.com,Sales\n");
    let out = sync(&sandbox, &roster, &["--apply", "--dry-run"], 0).await;
    let err = stderr(&out);
    assert!(
        err.contains("1 light request at") && !err.contains("medium request"),
        "{err}"
    );
}

/// The same join with every answer lost: the user's groups are looked up, and
/// the row says joined.
#[tokio::test(flavor = "multi_thread")]
async fn a_pending_users_lost_group_answer_is_looked_up() {
    let mut cfg = unlimited();
    cfg.lost_write_rate = 1.0;
    let sandbox = start(cfg).await;
    let sales = group(&sandbox, "Sales");
    add(&sandbox, "pat@example.com", |u| u.status = "pending".into());
    let dir = tempdir();
    let roster = write(dir.path(), "lost.csv", "email,group\npat@example.com,Sales\n");
    sync(&sandbox, &roster, &["--apply", "--max-retries", "1"], 0).await;
    let rows = read_results(&beside(&roster, "results.csv"));
    assert_eq!(rows[0]["error_message"], "group Sales joined", "{:?}", rows[0]);
    let pat = sandbox.store().user_by_email("pat@example.com").unwrap();
    assert_eq!(pat.group_ids, vec![sales.id]);
    assert!(
        requests_to(&sandbox, "PATCH /users/{userId}") >= 2,
        "the answer was lost"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_plan_over_the_limit_is_refused() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let roster = write(
        dir.path(),
        "three.csv",
        "email\nn1@example.com\nn2@example.com\nn3@example.com\n",
    );
    sync(&sandbox, &roster, &[], 0).await;
    let plan = beside(&roster, "plan.csv");
    let plan = plan.to_str().unwrap();
    let flags = ["users", "sync", "--apply-plan", plan, "--max-changes", "2"];
    let out = run_fast(&sandbox, &flags, 1, "").await;
    assert!(
        stderr(&out).contains("3 changes, over the limit of 2"),
        "{}",
        stderr(&out)
    );
    assert_eq!(requests_to(&sandbox, "POST /users"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_only_run_never_replaces_the_plan_an_apply_resumes() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let roster = write(dir.path(), "hr.csv", "email,first_name\nnew@example.com,New\n");
    sync(&sandbox, &roster, &["--apply", "--action", "custCreate"], 0).await;
    // The nightly plan-only run (nothing left to do) writes its own file ...
    let out = sync(&sandbox, &roster, &[], 0).await;
    assert!(stderr(&out).contains("plan: 0 changes"), "{}", stderr(&out));
    assert_eq!(
        applied_plan_of(&roster).len(),
        1,
        "the applied plan is kept as it was"
    );
    // ... so resuming the apply keeps its results whole.
    let out = sync(
        &sandbox,
        &roster,
        &["--apply", "--resume", "--action", "custCreate"],
        0,
    )
    .await;
    assert!(
        stderr(&out).contains("resuming the plan kept at"),
        "{}",
        stderr(&out)
    );
    let results = read_results(&beside(&roster, "results.csv"));
    assert_eq!(results.len(), 1, "{}", stderr(&out));
    assert_eq!(results[0]["status"], "created");
    assert_eq!(requests_to(&sandbox, "POST /users"), 1, "nobody created twice");
    // A resume with results elsewhere (tomorrow's --out) has no kept plan: it plans
    // again against the account as it is now, and finds nothing to do.
    let out = sync(
        &sandbox,
        &roster,
        &[
            "--apply",
            "--resume",
            "--out",
            dir.path().join("tomorrow.csv").to_str().unwrap(),
        ],
        0,
    )
    .await;
    assert!(stderr(&out).contains("plan: 0 changes"), "{}", stderr(&out));
    assert_eq!(requests_to(&sandbox, "POST /users"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn columns_sync_cannot_compare_are_named_not_passed_over_silently() {
    let sandbox = start(unlimited()).await;
    add(&sandbox, "ada@example.com", |_| {});
    let dir = tempdir();
    let roster = write(
        dir.path(),
        "features.csv",
        "email,first_name,webinar,custom:Badge\nada@example.com,,500,B1\n",
    );
    let out = sync(&sandbox, &roster, &[], 0).await;
    let err = stderr(&out);
    assert!(
        err.contains("does not compare or change these roster columns")
            && err.contains("webinar, custom:Badge"),
        "{err}"
    );
    assert!(
        plan_of(&roster).is_empty(),
        "nothing it cannot read back is planned"
    );
}

/// Applies a hand-written plan with --apply-plan, expecting `exit`.
async fn apply_plan_text(sandbox: &Sandbox, text: &str, exit: i32) -> String {
    let dir = tempdir();
    let plan = write(dir.path(), "edited.csv", text);
    let out = run_fast(
        sandbox,
        &["users", "sync", "--apply-plan", plan.to_str().unwrap()],
        exit,
        "",
    )
    .await;
    stderr(&out)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_edited_action_must_agree_with_the_status_cell() {
    let sandbox = start(unlimited()).await;
    let store = sandbox.store();
    let leaver = add(&sandbox, "leaver@example.com", |_| {});
    let stays = add(&sandbox, "stays@example.com", |u| u.dept = "Ops".into());
    // deactivate edited into delete: the status cell still says inactive.
    let text = format!(
        "email,action,user_id,dept,status\nleaver@example.com,delete,{},,active -> inactive\n",
        leaver.id
    );
    let err = apply_plan_text(&sandbox, &text, 1).await;
    assert!(
        err.contains(
            "row 1 (leaver@example.com): action delete does not agree with status \"active -> inactive\""
        ) && err.contains("edited inconsistently")
            && !err.contains("account changed"),
        "{err}"
    );
    // update edited into deactivate: a roster user, no status change in the plan.
    let text = format!(
        "email,action,user_id,dept,status\nstays@example.com,deactivate,{},Ops -> Research,\n",
        stays.id
    );
    let err = apply_plan_text(&sandbox, &text, 1).await;
    assert!(
        err.contains("row 1 (stays@example.com): action deactivate does not agree"),
        "{err}"
    );
    assert_eq!(requests_to(&sandbox, "DELETE /users/{userId}"), 0);
    assert_eq!(requests_to(&sandbox, "PUT /users/{userId}/status"), 0);
    assert_eq!(store.user_by_email("stays@example.com").unwrap().status, "active");
    assert!(store.user_by_email("leaver@example.com").is_some());
    // The unedited row is carried out.
    let text = format!(
        "email,action,user_id,dept,status\nleaver@example.com,deactivate,{},,active -> inactive\n",
        leaver.id
    );
    apply_plan_text(&sandbox, &text, 0).await;
    assert_eq!(
        store.user_by_email("leaver@example.com").unwrap().status,
        "inactive"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_emails_are_missing_never_duplicates() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let roster = write(
        dir.path(),
        "r.csv",
        "email,first_name\n,A\n,B\n,C\nnew@example.com,N\n",
    );
    let out = sync(&sandbox, &roster, &[], 3).await;
    let err = stderr(&out);
    assert_eq!(err.matches("E_MISSING").count(), 3, "{err}");
    assert!(!err.contains("E_DUPLICATE"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_is_a_csv_file_never_jsonl_or_stdout() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let roster = write(dir.path(), "r.csv", "email\nnew@example.com\n");
    let out = sync(&sandbox, &roster, &["--format", "jsonl"], 2).await;
    assert!(
        stderr(&out).contains("a sync plan is CSV only"),
        "{}",
        stderr(&out)
    );
    let out = sync(&sandbox, &roster, &["--out", "-"], 2).await;
    let err = stderr(&out);
    assert!(
        err.contains("plan needs a file path") && err.contains("--out - (stdout) is refused"),
        "{err}"
    );
    let out = run_fast(&sandbox, &["users", "sync", "-"], 2, "").await;
    let err = stderr(&out);
    assert!(
        err.contains("plan needs a file path") && !err.contains("or --out - for stdout"),
        "{err}"
    );
    assert_eq!(requests_to(&sandbox, "GET /users"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_roster_rows_exit_3_and_strict_refuses_the_apply() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let roster = write(
        dir.path(),
        "r.csv",
        "email,first_name\nnot-an-email,A\nnew@example.com,N\n",
    );
    let out = sync(&sandbox, &roster, &["--apply", "--strict"], 3).await;
    assert!(
        stderr(&out).contains("--strict: nothing was sent"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("plan: 1 change ("), "{}", stderr(&out));
    assert_eq!(requests_to(&sandbox, "POST /users"), 0);
    assert!(sandbox.store().user_by_email("new@example.com").is_none());
    // Without --strict the valid rows are applied, and the run still needs attention.
    sync(&sandbox, &roster, &["--apply", "--action", "custCreate"], 3).await;
    assert!(sandbox.store().user_by_email("new@example.com").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn flags_that_do_not_apply_are_usage_errors() {
    let sandbox = start(unlimited()).await;
    add(&sandbox, "ada@example.com", |_| {});
    let dir = tempdir();
    let roster = write(dir.path(), "r.csv", "email\nada@example.com\n");
    let plan = write(dir.path(), "p.csv", "email,action,user_id,status\n");
    let plan = plan.to_str().unwrap();
    let out = sync(&sandbox, &roster, &["--prune", "deactivate"], 2).await;
    assert!(
        stderr(&out).contains("leavers are removed only inside a scope"),
        "{}",
        stderr(&out)
    );
    sync(&sandbox, &roster, &["--scope-domain", "example.com"], 2).await;
    sync(&sandbox, &roster, &["--scope-group", "Sales"], 2).await;
    let out = sync(&sandbox, &roster, &["--resume"], 2).await;
    assert!(
        stderr(&out).contains("--resume continues an apply"),
        "{}",
        stderr(&out)
    );
    for extra in [
        &[roster.to_str().unwrap()][..],
        &["--prune", "delete", "--scope-domain", "example.com"],
        &["--clear-empty"],
        &["--all"],
    ] {
        let mut args = vec!["users", "sync", "--apply-plan", plan];
        args.extend_from_slice(extra);
        run_fast(&sandbox, &args, 2, "").await;
    }
    assert_eq!(requests_to(&sandbox, "GET /users"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scope_domain_matching_nobody_is_warned_about() {
    let sandbox = start(unlimited()).await;
    add(&sandbox, "ada@example.com", |_| {});
    let dir = tempdir();
    let roster = write(dir.path(), "r.csv", "email\nada@example.com\n");
    let flags = ["--prune", "deactivate", "--scope-domain", "exmaple.com"];
    let out = sync(&sandbox, &roster, &flags, 0).await;
    assert!(
        stderr(&out).contains("--scope-domain \"exmaple.com\" matched no user of the account"),
        "{}",
        stderr(&out)
    );
    let flags = ["--prune", "deactivate", "--scope-domain", "example.com"];
    let out = sync(&sandbox, &roster, &flags, 0).await;
    assert!(!stderr(&out).contains("matched no user"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plan_file_ends_with_a_newline() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let roster = write(dir.path(), "r.csv", "email\nnew@example.com\n");
    sync(&sandbox, &roster, &[], 0).await;
    let text = std::fs::read_to_string(beside(&roster, "plan.csv")).unwrap();
    assert!(text.ends_with('\n'), "{text:?}");
    // An empty plan (nothing to change) too.
    add(&sandbox, "ada@example.com", |_| {});
    let roster = write(dir.path(), "same.csv", "email\nada@example.com\n");
    let out = sync(&sandbox, &roster, &[], 0).await;
    assert!(stderr(&out).contains("plan: 0 changes ("), "{}", stderr(&out));
    let text = std::fs::read_to_string(beside(&roster, "plan.csv")).unwrap();
    assert!(text.ends_with('\n'), "{text:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_type_written_as_a_name_in_an_edited_plan_is_sent_as_zooms_code() {
    let sandbox = start(unlimited()).await;
    add(&sandbox, "ada@example.com", |u| u.user_type = 1);
    let id = sandbox.store().user_by_email("ada@example.com").unwrap().id;
    let text = format!(
        "email,action,user_id,type,status\nnew@example.com,create,,-> Licensed,\nada@example.com,update,{id},1 -> Licensed,\n"
    );
    let err = apply_plan_text(&sandbox, &text, 0).await;
    let store = sandbox.store();
    assert_eq!(
        store.user_by_email("new@example.com").map(|u| u.user_type),
        Some(2),
        "{err}"
    );
    assert_eq!(store.user_by_email("ada@example.com").unwrap().user_type, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_never_takes_a_reviewed_plan_at_out_for_earlier_results() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let roster = write(dir.path(), "hr.csv", "email,first_name\nnew@example.com,New\n");
    let plan = dir.path().join("reviewed.csv");
    let plan_s = plan.to_str().unwrap();
    sync(&sandbox, &roster, &["--out", plan_s], 0).await;
    let reviewed = std::fs::read(&plan).unwrap();
    // The plan step's --out reused for the apply: not results, so not "--force them".
    let out = sync(&sandbox, &roster, &["--apply", "--out", plan_s], 2).await;
    assert!(
        stderr(&out).contains("not a zoombulk results file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&plan).unwrap(), reviewed);
    assert_eq!(
        requests_to(&sandbox, "GET /users"),
        3,
        "one listing (3 statuses): refused before listing again"
    );
}
