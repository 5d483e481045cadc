//! `zoombulk users delete` end to end: the real binary against the sandbox on loopback.

mod common;

use chrono::Utc;
use common::*;
use zoombulk_sandbox::{Event, EventKind, Transfers, User};

fn add_users(sandbox: &Sandbox, emails: &[&str]) -> Vec<User> {
    emails
        .iter()
        .map(|e| {
            sandbox
                .store()
                .insert_user(User::new(e, "Leaving", "Soon"))
                .expect("new user")
        })
        .collect()
}

const DELETE: &str = "DELETE /users/{userId}";

/// The command under test.
const CMD: [&str; 2] = ["users", "delete"];

#[tokio::test(flavor = "multi_thread")]
async fn delete_without_yes_or_a_terminal_is_refused_before_any_request() {
    let sandbox = start(unlimited()).await;
    add_users(&sandbox, &["a@example.com", "b@example.com", "c@example.com"]);
    let dir = tempdir();
    let input = write(
        dir.path(),
        "leavers.csv",
        "email\na@example.com\nb@example.com\nnot-an-email\n",
    );
    let out = zoombulk(
        &sandbox,
        &["users", "delete", input.to_str().unwrap(), "--action", "delete"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "a usage error: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("permanently delete 2 users") && err.contains("--yes"),
        "{err}"
    );
    assert_eq!(sandbox.stats().total_requests, 0, "not even a token was fetched");
    assert_eq!(sandbox.store().user_count(), 4);
    assert!(!dir.path().join("leavers.results.csv").exists());

    // --dry-run shows the requests without asking.
    let args = [
        "--dry-run",
        "users",
        "delete",
        input.to_str().unwrap(),
        "--action",
        "delete",
    ];
    let out = zoombulk(&sandbox, &args).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("would send (row 1): DELETE /users/a@example.com?action=delete"));
    assert_eq!(sandbox.stats().total_requests, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn disassociate_needs_no_confirmation_and_takes_ids_or_emails() {
    let sandbox = start(unlimited()).await;
    let users = add_users(&sandbox, &["a@example.com", "b@example.com"]);
    let dir = tempdir();
    let text = format!(
        "user_id,email,Reason\n{},,moved\n,B@example.com,left\n",
        users[0].id
    );
    let input = write(dir.path(), "leavers.csv", text);
    let rows = results_of(&sandbox, &CMD, &input, &["--action", "disassociate"], 0).await;
    assert_eq!(statuses(&rows), ["deleted", "deleted"]);
    assert!(
        rows.iter()
            .all(|r| r["http_status"] == "204" && r["attempts"] == "1")
    );
    assert_eq!(rows[1]["Reason"], "left");
    assert_eq!(sandbox.store().user_count(), 1, "only the owner is left");
    assert_eq!(sandbox.stats().requests_to(DELETE), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_with_yes_hands_meetings_to_the_transfer_user() {
    let sandbox = start(unlimited()).await;
    let users = add_users(&sandbox, &["host@example.com", "boss@example.com"]);
    let meeting = sandbox.store().insert_event(Event {
        kind: EventKind::Meeting,
        id: 0,
        uuid: String::new(),
        host_id: users[0].id.clone(),
        topic: "Weekly".into(),
        event_type: 2,
        start_time: Utc::now(),
        duration: 30,
        timezone: "UTC".into(),
        agenda: String::new(),
        created_at: Utc::now(),
        password: String::new(),
        approval_type: 2,
        registration_type: 1,
        occurrences: Vec::new(),
    });
    let dir = tempdir();
    let input = write(
        dir.path(),
        "go.csv",
        "email\nhost@example.com\nBOSS@example.com\n",
    );
    // The transfer target's own row is invalid.
    let rows = results_of(
        &sandbox,
        &CMD,
        &input,
        &[
            "--action",
            "delete",
            "--yes",
            "--transfer-email",
            "boss@example.com",
            "--transfer-meetings",
            "--transfer-recordings",
        ],
        3,
    )
    .await;
    assert_eq!(statuses(&rows), ["deleted", "invalid"]);
    assert!(
        rows[1]["error_message"].contains("--transfer-email"),
        "{}",
        rows[1]["error_message"]
    );
    assert!(sandbox.store().user_by_email("host@example.com").is_none());
    let moved = sandbox
        .store()
        .meeting(meeting.id)
        .expect("the meeting was transferred, not deleted");
    assert_eq!(moved.host_id, users[1].id);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_users_are_failed_or_skipped_with_missing_ok() {
    let sandbox = start(unlimited()).await;
    add_users(&sandbox, &["here@example.com"]);
    let owner = sandbox.store().owner().unwrap();
    let dir = tempdir();
    let text = format!(
        "email\nghost@example.com\nhere@example.com\n{}\nhere@example.com\n",
        owner.email
    );
    let input = write(dir.path(), "mixed.csv", text);
    let rows = results_of(&sandbox, &CMD, &input, &["--action", "disassociate"], 3).await;
    assert_eq!(statuses(&rows), ["failed", "deleted", "failed", "invalid"]);
    assert_eq!(
        (rows[0]["http_status"].as_str(), rows[0]["error_code"].as_str()),
        ("404", "1001")
    );
    let message = &rows[0]["error_message"];
    assert!(
        message.contains("ghost@example.com") && message.contains("--missing-ok"),
        "{message}"
    );
    assert_eq!(
        rows[2]["error_code"], "200",
        "Zoom keeps the owner: {:?}",
        rows[2]
    );
    assert_eq!(rows[3]["error_code"], "E_DUPLICATE");

    let gone = write(
        dir.path(),
        "gone.csv",
        "email\nghost@example.com\nhere@example.com\n",
    );
    // Skipped rows are done.
    let rows = results_of(
        &sandbox,
        &CMD,
        &gone,
        &["--action", "disassociate", "--missing-ok"],
        0,
    )
    .await;
    assert_eq!(statuses(&rows), ["skipped", "skipped"]);
    assert!(rows[0]["error_message"].contains("--missing-ok"));
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_checks_the_rows_and_transfer_flags_need_their_email() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(
        dir.path(),
        "v.csv",
        "user_id,email\n,not-an-email\nabc,\n,x@example.com\n",
    );
    let out = zoombulk(
        &sandbox,
        &[
            "validate",
            "users-delete",
            input.to_str().unwrap(),
            "--action",
            "delete",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("row 1 (line 2): E_EMAIL"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("3 rows: 2 valid, 1 invalid"),
        "{}",
        stderr(&out)
    );
    let args = [
        "users",
        "delete",
        input.to_str().unwrap(),
        "--action",
        "delete",
        "--transfer-meetings",
    ];
    let out = zoombulk(&sandbox, &args).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--transfer-email"));
    assert_eq!(sandbox.stats().total_requests, 0);
}

/// A --transfer-email user Zoom does not have would fail every delete: it is
/// looked up once, and no row is sent.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_transfer_user_is_found_once_and_nothing_is_sent() {
    let sandbox = start(unlimited()).await;
    add_users(&sandbox, &["a@example.com", "b@example.com", "c@example.com"]);
    let dir = tempdir();
    let input = write(
        dir.path(),
        "t.csv",
        "email\na@example.com\nb@example.com\nc@example.com\n",
    );
    let rows = results_of(
        &sandbox,
        &CMD,
        &input,
        &[
            "--action",
            "disassociate",
            "--transfer-email",
            "nobody@example.com",
            "--transfer-meetings",
        ],
        3,
    )
    .await;
    assert_eq!(statuses(&rows), ["failed"; 3]);
    for row in &rows {
        assert_eq!(
            (row["error_code"].as_str(), row["attempts"].as_str()),
            ("1001", "0")
        );
        assert!(row["error_message"].contains("nobody@example.com"), "{row:?}");
    }
    assert_eq!(sandbox.stats().requests_to(DELETE), 0);
    assert_eq!(sandbox.stats().requests_to("GET /users/{userId}"), 1);
    assert!(sandbox.store().user_by_email("a@example.com").is_some());
}

/// A delete whose answer was lost: the retry meets 404 because the first attempt
/// removed the user. The row says `deleted`, not `failed`.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_delete_answer_is_deleted_not_failed() {
    let mut cfg = unlimited();
    cfg.lost_write_rate = 1.0;
    let sandbox = start(cfg).await;
    add_users(&sandbox, &["gone@example.com"]);
    let dir = tempdir();
    let input = write(dir.path(), "lost.csv", "email\ngone@example.com\n");
    let rows = results_of(&sandbox, &CMD, &input, &["--action", "disassociate"], 0).await;
    assert_eq!(statuses(&rows), ["deleted"]);
    assert!(
        rows[0]["error_message"].starts_with("Removed by this run"),
        "{:?}",
        rows[0]
    );
    assert!(sandbox.store().user_by_email("gone@example.com").is_none());
}

/// Every transfer option of the 2026 spec, one flag each, and --transfer-all: the
/// sandbox records what moved to the transfer user.
#[tokio::test(flavor = "multi_thread")]
async fn each_transfer_flag_and_transfer_all_reach_zoom() {
    let sandbox = start(unlimited()).await;
    add_users(&sandbox, &["a@example.com", "b@example.com", "heir@example.com"]);
    let dir = tempdir();
    let some = write(dir.path(), "some.csv", "email\na@example.com\n");
    let flags = [
        "--action",
        "delete",
        "--yes",
        "--transfer-email",
        "heir@example.com",
        "--transfer-whiteboards",
        "--transfer-clips",
        "--transfer-notes",
    ];
    let rows = results_of(&sandbox, &CMD, &some, &flags, 0).await;
    assert_eq!(statuses(&rows), ["deleted"]);
    let all = write(dir.path(), "all.csv", "email\nb@example.com\n");
    let flags = [
        "--action",
        "disassociate",
        "--transfer-email",
        "heir@example.com",
        "--transfer-all",
    ];
    let rows = results_of(&sandbox, &CMD, &all, &flags, 0).await;
    assert_eq!(statuses(&rows), ["deleted"]);

    let removals = sandbox.store().removals();
    assert_eq!(removals.len(), 2);
    assert_eq!(removals[0].transfer_email.as_deref(), Some("heir@example.com"));
    assert_eq!(
        removals[0].transfers,
        Transfers {
            whiteboards: true,
            clips: true,
            notes: true,
            ..Transfers::default()
        }
    );
    assert_eq!(removals[1].action, "disassociate");
    assert_eq!(
        removals[1].transfers,
        Transfers {
            meetings: true,
            webinars: true,
            recordings: true,
            whiteboards: true,
            clips: true,
            notes: true,
            visitors: true,
            docs: true,
        }
    );
}

/// The dry run and the confirmation say what moves and what is lost.
#[tokio::test(flavor = "multi_thread")]
async fn dry_run_names_what_is_and_is_not_transferred() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(dir.path(), "d.csv", "email\na@example.com\n");
    let file = input.to_str().unwrap();
    let args = [
        "--dry-run",
        "users",
        "delete",
        file,
        "--action",
        "delete",
        "--transfer-email",
        "heir@example.com",
        "--transfer-meetings",
        "--transfer-docs",
    ];
    let out = zoombulk(&sandbox, &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("Transferred to heir@example.com: meetings, docs."),
        "{err}"
    );
    assert!(
        err.contains(
            "webinars, cloud recordings, whiteboards, clips, notes, visitors and chat messages, contacts, \
             settings and anything else Zoom has no transfer option for are not transferred and are lost \
             with --action delete"
        ),
        "{err}"
    );
    assert!(err.contains("transfer_meeting=true&transfer_docs=true"), "{err}");
    let args = ["--dry-run", "users", "delete", file, "--action", "disassociate"];
    let out = zoombulk(&sandbox, &args).await;
    let err = stderr(&out);
    assert!(
        err.contains("Nothing is transferred: meetings, webinars")
            && err.contains("leave the account with the users"),
        "{err}"
    );
    // Without a terminal, the refusal comes before any question; nothing is sent.
    let args = ["users", "delete", file, "--action", "delete", "--transfer-all"];
    let out = zoombulk(&sandbox, &args).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--transfer-email"));
    assert_eq!(sandbox.stats().total_requests, 0);
}
