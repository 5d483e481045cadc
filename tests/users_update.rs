//! `zoombulk users update` end to end: the real binary against the sandbox on loopback.

mod common;

use common::*;
use zoombulk_sandbox::User;

fn add_user(sandbox: &Sandbox, email: &str) -> User {
    sandbox
        .store()
        .insert_user(User::new(email, "Old", "Name"))
        .expect("new user")
}

const PATCH: &str = "PATCH /users/{userId}";
const PASSWORD: &str = "PUT /users/{userId}/password";
const STATUS: &str = "PUT /users/{userId}/status";

/// The command under test.
const CMD: [&str; 2] = ["users", "update"];

#[tokio::test(flavor = "multi_thread")]
async fn each_column_goes_to_its_endpoint_and_empty_cells_are_left_alone() {
    let sandbox = start(unlimited()).await;
    for email in ["ada@example.com", "grace@example.com", "alan@example.com"] {
        add_user(&sandbox, email);
    }
    let dir = tempdir();
    let text = "email,first_name,dept,type,password,status\n\
        ada@example.com,Ada,Research,Basic,Tr0ub4dor-Xy,inactive\n\
        grace@example.com,,Navy,,,\n\
        alan@example.com,,,,,Inactive\n";
    let input = write(dir.path(), "changes.csv", text);
    let (out, rows) = run_file(&sandbox, &CMD, &input, &[], 0).await;
    assert_eq!(statuses(&rows), ["updated", "updated", "updated"]);
    let attempts: Vec<&str> = rows.iter().map(|r| r["attempts"].as_str()).collect();
    assert_eq!(attempts, ["3", "1", "1"], "one request per step");
    assert!(rows.iter().all(|r| r["error_message"].is_empty()));
    assert_eq!(rows[0]["password"], "***");
    let results = std::fs::read_to_string(dir.path().join("changes.results.csv")).unwrap();
    assert!(!results.contains("Tr0ub4dor") && !stderr(&out).contains("Tr0ub4dor"));

    let store = sandbox.store();
    let ada = store.user_by_email("ada@example.com").unwrap();
    assert_eq!(
        (ada.first_name.as_str(), ada.dept.as_str(), ada.user_type),
        ("Ada", "Research", 1)
    );
    assert_eq!(ada.status, "inactive");
    assert!(store.password_matches("ada@example.com", "Tr0ub4dor-Xy"));
    let grace = store.user_by_email("grace@example.com").unwrap();
    assert_eq!(
        (grace.first_name.as_str(), grace.dept.as_str()),
        ("Old", "Navy"),
        "empty cells not sent"
    );
    assert_eq!((grace.user_type, grace.status.as_str()), (2, "active"));
    assert_eq!(
        store.user_by_email("alan@example.com").unwrap().status,
        "inactive"
    );

    let stats = sandbox.stats();
    let calls = [PATCH, PASSWORD, STATUS].map(|route| stats.requests_to(route));
    assert_eq!(calls, [2, 1, 2], "{stats:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_row_whose_later_step_fails_says_which_steps_went_through() {
    let sandbox = start(unlimited()).await;
    let mut pending = User::new("pending@example.com", "Pat", "Pending");
    pending.status = "pending".into();
    sandbox.store().insert_user(pending).unwrap();
    add_user(&sandbox, "fine@example.com");
    let dir = tempdir();
    let text = "email,job_title,password,status\n\
        pending@example.com,Engineer,Zx9-kettle-Q,inactive\n\
        ghost@example.com,Nobody,Zx9-kettle-Q,inactive\n\
        fine@example.com,Chef,,\n";
    let input = write(dir.path(), "partial.csv", text);
    // Failed rows mean exit 3.
    let rows = results_of(&sandbox, &CMD, &input, &[], 3).await;
    assert_eq!(statuses(&rows), ["failed", "failed", "updated"]);

    // Zoom refuses the status of a pending user (400/300) after the rest went through.
    let message = &rows[0]["error_message"];
    assert!(
        message.starts_with("profile updated; password set; status failed: "),
        "{message}"
    );
    assert_eq!(
        (rows[0]["http_status"].as_str(), rows[0]["error_code"].as_str()),
        ("400", "300")
    );
    assert_eq!(rows[0]["attempts"], "3");
    let pat = sandbox.store().user_by_email("pending@example.com").unwrap();
    assert_eq!(
        (pat.job_title.as_str(), pat.status.as_str()),
        ("Engineer", "pending")
    );
    assert!(
        sandbox
            .store()
            .password_matches("pending@example.com", "Zx9-kettle-Q")
    );

    // An unknown user (404/1001): the first step says so and the others are not sent.
    let message = &rows[1]["error_message"];
    assert!(message.starts_with("profile failed: "), "{message}");
    assert!(
        message.ends_with("password not tried; status not tried"),
        "{message}"
    );
    assert_eq!(
        (rows[1]["http_status"].as_str(), rows[1]["error_code"].as_str()),
        ("404", "1001")
    );
    assert_eq!(rows[1]["attempts"], "1");
    assert_eq!(
        sandbox.stats().requests_to(PASSWORD),
        1,
        "nothing sent after the 404"
    );

    // A re-run redoes the failed rows: the password already set is no failure.
    run_fast(
        &sandbox,
        &["--resume", "users", "update", input.to_str().unwrap()],
        3,
        "",
    )
    .await;
    let rows = read_results(&dir.path().join("partial.results.csv"));
    assert_eq!(statuses(&rows), ["failed", "failed", "updated"]);
    assert!(rows[0]["error_message"].starts_with("profile updated; password set; status failed"));
    assert_eq!(
        sandbox.stats().requests_to(PATCH),
        3 + 2,
        "the updated row is kept, not redone"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_keyed_by_id_and_clear_empty_clears_text_fields_only() {
    let sandbox = start(unlimited()).await;
    let mut kim = User::new("kim@example.com", "Kim", "Lee");
    kim.dept = "Sales".into();
    kim.job_title = "Rep".into();
    kim.pmi = 1234567890;
    let kim = sandbox.store().insert_user(kim).unwrap();
    let dir = tempdir();
    // `id` is what users export writes.
    let text = format!("id,email,dept,job_title,pmi\n{},,,,\n", kim.id);
    let input = write(dir.path(), "clear.csv", text);

    // Nothing to change is not an error.
    let rows = results_of(&sandbox, &CMD, &input, &[], 0).await;
    assert_eq!(statuses(&rows), ["skipped"]);
    assert!(
        rows[0]["error_message"].contains("--clear-empty"),
        "{}",
        rows[0]["error_message"]
    );
    assert_eq!(sandbox.stats().requests_to(PATCH), 0);

    let args = [
        "users",
        "update",
        input.to_str().unwrap(),
        "--clear-empty",
        "--force",
    ];
    run_fast(&sandbox, &args, 0, "").await;
    assert_eq!(
        statuses(&read_results(&dir.path().join("clear.results.csv"))),
        ["updated"]
    );
    let after = sandbox.store().user_by_id(&kim.id).unwrap();
    assert_eq!((after.dept.as_str(), after.job_title.as_str()), ("", ""));
    assert_eq!(after.pmi, 1234567890, "numbers are never cleared");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_values_are_invalid_before_any_request_and_never_echo_passwords() {
    let sandbox = start(unlimited()).await;
    add_user(&sandbox, "ok@example.com");
    let dir = tempdir();
    let text = "user_id,email,password,status,pmi,type,manager,use_pmi\n\
        ,ok@example.com,,,,,,yes\n\
        ,pw@example.com,abc12345,,,,,\n\
        ,st@example.com,,gone,,,,\n\
        ,pmi@example.com,,,123,,,\n\
        ,type@example.com,,,,On-prem,,\n\
        ,mgr@example.com,,,,,boss,\n\
        ,,,inactive,,,,\n\
        ,OK@example.com,,inactive,,,,\n";
    let input = write(dir.path(), "bad.csv", text);

    let out = zoombulk(&sandbox, &["validate", "users-update", input.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(!stdout(&out).contains("abc12345"), "{}", stdout(&out));
    let out = zoombulk(
        &sandbox,
        &["--dry-run", "users", "update", input.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("would send (row 1): PATCH /users/ok@example.com"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sandbox.stats().total_requests, 0);

    let (out, rows) = run_file(&sandbox, &CMD, &input, &[], 3).await;
    let codes: Vec<&str> = rows.iter().map(|r| r["error_code"].as_str()).collect();
    assert_eq!(
        codes,
        [
            "",
            "E_PASSWORD",
            "E_VALUE",
            "E_VALUE",
            "E_TYPE",
            "E_EMAIL",
            "E_MISSING",
            "E_DUPLICATE"
        ]
    );
    assert!(
        rows[5]["error_message"].starts_with("manager "),
        "{}",
        rows[5]["error_message"]
    );
    assert!(rows[6]["error_message"].contains("user_id and email are both empty"));
    assert!(sandbox.store().user_by_email("ok@example.com").unwrap().use_pmi);
    let everything = format!(
        "{}{}",
        std::fs::read_to_string(dir.path().join("bad.results.csv")).unwrap(),
        stderr(&out)
    );
    assert!(!everything.contains("abc12345"), "passwords never echoed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_names_no_user_or_no_change_is_fatal_before_any_request() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let nobody = write(dir.path(), "nobody.csv", "first_name,dept\nAda,R&D\n");
    let out = zoombulk(&sandbox, &["users", "update", nobody.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("user_id") && err.contains("email address"),
        "names the columns and aliases: {err}"
    );
    let nothing = write(dir.path(), "nothing.csv", "email,Notes\nada@example.com,hi\n");
    let out = zoombulk(&sandbox, &["users", "update", nothing.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no column says what to change"),
        "{}",
        stderr(&out)
    );
    assert_eq!(sandbox.stats().total_requests, 0);
}

/// Every answer to a PATCH is lost although Zoom applied it: the row is checked
/// against Zoom's user and says `updated`, not `failed`.
#[tokio::test(flavor = "multi_thread")]
async fn a_patch_whose_answers_were_lost_is_checked_and_updated() {
    let mut cfg = unlimited();
    cfg.lost_write_rate = 1.0;
    let sandbox = start(cfg).await;
    let kim = add_user(&sandbox, "kim@example.com");
    let dir = tempdir();
    let input = write(
        dir.path(),
        "lost.csv",
        "email,first_name,dept\nkim@example.com,Kimberly,Sales\n",
    );
    let rows = results_of(&sandbox, &CMD, &input, &["--max-retries", "2"], 0).await;
    assert_eq!(statuses(&rows), ["updated"], "{rows:?}");
    let after = sandbox.store().user_by_id(&kim.id).unwrap();
    assert_eq!(
        (after.first_name.as_str(), after.dept.as_str()),
        ("Kimberly", "Sales")
    );
    assert!(
        sandbox.stats().requests_to(PATCH) >= 2,
        "the answers were lost and retried"
    );
}
