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
    let messages: Vec<&str> = rows.iter().map(|r| r["error_message"].as_str()).collect();
    assert_eq!(
        messages,
        [
            "profile updated; password set; status deactivated",
            "profile updated",
            "status deactivated"
        ],
        "each row says what each step did"
    );
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

const EMAIL: &str = "PUT /users/{userId}/email";
const PICTURE: &str = "POST /users/{userId}/picture";

/// A PNG header and `len` bytes in all.
fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(len, 7);
    bytes
}

fn jpeg(len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.resize(len, 7);
    bytes
}

/// `new_email` goes first; the later steps name the user by the new address.
#[tokio::test(flavor = "multi_thread")]
async fn new_email_changes_the_address_and_later_steps_follow_it() {
    let sandbox = start(unlimited()).await;
    let ada = add_user(&sandbox, "ada@example.com");
    add_user(&sandbox, "grace@example.com");
    add_user(&sandbox, "kim@example.com");
    let dir = tempdir();
    let text = "email,new_email,dept\n\
        ada@example.com,Ada.Lovelace@example.com,Research\n\
        grace@example.com,grace@elsewhere.org,Navy\n\
        kim@example.com,grace@example.com,\n";
    let input = write(dir.path(), "emails.csv", text);
    let rows = results_of(&sandbox, &CMD, &input, &[], 3).await;
    assert_eq!(statuses(&rows), ["updated", "failed", "failed"]);
    // Keyed by the old address, the user's id is looked up first (1 request),
    // then the change. Someone else's address: Zoom's answer stands, nothing
    // more is asked.
    assert_eq!(
        (rows[2]["http_status"].as_str(), rows[2]["attempts"].as_str()),
        ("409", "2")
    );
    assert_eq!(rows[0]["attempts"], "3", "look-up, change, profile");
    let store = sandbox.store();
    let now = store.user_by_email("ada.lovelace@example.com").unwrap();
    assert_eq!(
        (now.id.as_str(), now.dept.as_str()),
        (ada.id.as_str(), "Research")
    );
    assert!(store.user_by_email("ada@example.com").is_none());
    // Not a managed domain: the email step fails, the profile still goes through.
    let message = &rows[1]["error_message"];
    assert!(
        message.starts_with("email failed:") && message.contains("profile updated"),
        "{message}"
    );
    assert_eq!(store.user_by_email("grace@example.com").unwrap().dept, "Navy");
    assert_eq!(sandbox.stats().requests_to(EMAIL), 3);

    // Re-running the done row in a new run: the old address names no user and
    // the new one is Ada's, but this run cannot tell its own earlier change from
    // a wrong old address with someone else's new one. It changes nothing and
    // says both.
    let again = write(
        dir.path(),
        "again.csv",
        "email,new_email,dept\nada@example.com,ada.lovelace@example.com,Sales\n",
    );
    let rows = results_of(&sandbox, &CMD, &again, &[], 3).await;
    assert_eq!(statuses(&rows), ["failed"], "{:?}", rows[0]);
    let message = &rows[0]["error_message"];
    assert!(
        message.contains("No user has ada@example.com") && message.contains(&ada.id),
        "{message}"
    );
    assert_eq!(store.email_changes(&ada.id), 1, "no second change");
    assert_eq!(
        store.user_by_id(&ada.id).unwrap().dept,
        "Research",
        "no profile written"
    );
}

/// Zoom's 3 changes per user in any 24 hours: the row is deferred with when to
/// retry, and --resume retries it.
#[tokio::test(flavor = "multi_thread")]
async fn the_email_change_limit_defers_the_row_and_resume_retries_it() {
    let sandbox = start(unlimited()).await;
    let sam = add_user(&sandbox, "sam@example.com");
    add_user(&sandbox, "kim@example.com");
    let store = sandbox.store();
    let now = chrono::Utc::now();
    let recent = [now - chrono::Duration::hours(2); 3];
    store.set_email_changes(&sam.id, &recent);
    let dir = tempdir();
    let text = format!(
        "user_id,email,new_email,job_title\n{},,sam.new@example.com,Pilot\n,kim@example.com,kim.new@example.com,\n",
        sam.id
    );
    let input = write(dir.path(), "limit.csv", text);
    let rows = results_of(&sandbox, &CMD, &input, &[], 3).await;
    assert_eq!(statuses(&rows), ["deferred", "updated"]);
    let message = &rows[0]["error_message"];
    assert!(
        message.contains("email deferred")
            && message.contains("24 hours")
            && message.contains("--resume after")
            && message.contains("profile updated"),
        "{message}"
    );
    assert_eq!(store.user_by_id(&sam.id).unwrap().job_title, "Pilot");
    assert_eq!(store.user_by_id(&sam.id).unwrap().email, "sam@example.com");

    // A day later (the changes aged out): --resume sends only the deferred row.
    store.set_email_changes(&sam.id, &[]);
    let before = sandbox.stats().requests_to(EMAIL);
    let rows = results_of(&sandbox, &CMD, &input, &["--resume"], 0).await;
    assert_eq!(statuses(&rows), ["updated", "updated"]);
    assert_eq!(sandbox.stats().requests_to(EMAIL) - before, 1);
    assert_eq!(store.user_by_id(&sam.id).unwrap().email, "sam.new@example.com");
}

/// The e-mail change applied but its answer was lost: the retry meets "already
/// used", and the look-up shows the address is the user's now.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_email_answer_is_checked_before_the_row_is_written() {
    let mut cfg = unlimited();
    cfg.lost_write_rate = 1.0;
    let sandbox = start(cfg).await;
    let lin = add_user(&sandbox, "lin@example.com");
    let dir = tempdir();
    let text = format!("user_id,new_email\n{},lin.new@example.com\n", lin.id);
    let input = write(dir.path(), "lost.csv", text);
    let rows = results_of(&sandbox, &CMD, &input, &[], 0).await;
    assert_eq!(statuses(&rows), ["updated"], "{:?}", rows[0]);
    assert!(rows[0]["attempts"].parse::<u32>().unwrap() > 1);
    let store = sandbox.store();
    assert_eq!(store.user_by_id(&lin.id).unwrap().email, "lin.new@example.com");
    assert_eq!(store.email_changes(&lin.id), 1);
}

/// Keyed by the old address: the lost answer's retry finds the old address gone
/// and the new one the user's, which this run's own first attempt did.
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_email_answer_by_old_address_is_the_change_this_run_made() {
    let mut cfg = unlimited();
    cfg.lost_write_rate = 1.0;
    let sandbox = start(cfg).await;
    let lin = add_user(&sandbox, "lin@example.com");
    let dir = tempdir();
    let input = write(
        dir.path(),
        "lost.csv",
        "email,new_email\nlin@example.com,lin.new@example.com\n",
    );
    let rows = results_of(&sandbox, &CMD, &input, &[], 0).await;
    assert_eq!(statuses(&rows), ["updated"], "{:?}", rows[0]);
    assert_eq!(
        sandbox.store().user_by_id(&lin.id).unwrap().email,
        "lin.new@example.com"
    );
}

/// An old address that names no user, with a new address that is someone else's,
/// is never read as a change: this run made none.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_address_someone_else_has_is_no_change_of_a_missing_user() {
    let sandbox = start(unlimited()).await;
    let bob = add_user(&sandbox, "bob@example.com");
    let dir = tempdir();
    let input = write(
        dir.path(),
        "typo.csv",
        "email,new_email,dept\nbbo@example.com,bob@example.com,Sales\n",
    );
    let rows = results_of(&sandbox, &CMD, &input, &[], 3).await;
    assert_eq!(statuses(&rows), ["failed"], "{:?}", rows[0]);
    let message = &rows[0]["error_message"];
    assert!(message.contains("No user has bbo@example.com"), "{message}");
    assert!(message.contains(&bob.id), "{message}");
    let after = sandbox.store().user_by_id(&bob.id).unwrap();
    assert_eq!(after.email, "bob@example.com");
    assert_eq!(
        after.dept, bob.dept,
        "the row's profile is never written to someone else"
    );
}

/// A group join whose every answer was lost: the user's groups are looked up
/// before the row is written.
#[tokio::test(flavor = "multi_thread")]
async fn a_group_join_whose_answers_were_lost_is_looked_up() {
    let mut cfg = unlimited();
    cfg.lost_write_rate = 1.0;
    let sandbox = start(cfg).await;
    let kim = add_user(&sandbox, "kim@example.com");
    let dir = tempdir();
    let input = write(dir.path(), "join.csv", "email,group\nkim@example.com,Support\n");
    let rows = results_of(&sandbox, &CMD, &input, &["--max-retries", "1"], 0).await;
    assert_eq!(statuses(&rows), ["updated"], "{:?}", rows[0]);
    let support = sandbox.store().group_by_name("Support").unwrap().id;
    assert!(
        sandbox
            .store()
            .user_by_id(&kim.id)
            .unwrap()
            .group_ids
            .contains(&support)
    );
    assert!(sandbox.stats().requests_to("POST /groups/{groupId}/members") >= 2);
}

/// `picture`: a local JPEG/PNG, relative to the input file's folder, uploaded as
/// multipart `pic_file`.
#[tokio::test(flavor = "multi_thread")]
async fn picture_paths_are_uploaded_from_the_input_files_folder() {
    let sandbox = start(unlimited()).await;
    add_user(&sandbox, "ada@example.com");
    add_user(&sandbox, "grace@example.com");
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("pics")).unwrap();
    write(dir.path(), "pics/ada.png", jpeg(3000));
    let absolute = write(dir.path(), "grace.img", png(1234));
    let text = format!(
        "email,picture\nada@example.com,pics/ada.png\ngrace@example.com,{}\n",
        absolute.display()
    );
    let input = write(dir.path(), "pics.csv", text);
    let rows = results_of(&sandbox, &CMD, &input, &[], 0).await;
    assert_eq!(statuses(&rows), ["updated", "updated"]);
    let store = sandbox.store();
    let ada = store.picture("ada@example.com").unwrap();
    assert_eq!(
        (ada.kind.as_str(), ada.bytes, ada.file_name.as_str()),
        ("jpeg", 3000, "ada.png"),
        "the content decides, not the name"
    );
    assert_eq!(store.picture("grace@example.com").unwrap().bytes, 1234);
    assert_eq!(sandbox.stats().requests_to(PICTURE), 2);
}

/// `validate` checks the new columns offline.
#[tokio::test(flavor = "multi_thread")]
async fn validate_checks_new_email_and_picture_offline() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    write(dir.path(), "ok.jpg", jpeg(100));
    write(dir.path(), "anim.png", b"GIF89a\x01\x00\x01\x00");
    write(dir.path(), "huge.png", png(2 * 1024 * 1024 + 1));
    write(dir.path(), "empty.png", b"");
    let text = "email,new_email,picture\n\
        a@example.com,not-an-email,\n\
        b@example.com,same@example.com,\n\
        c@example.com,SAME@example.com,\n\
        d@example.com,,missing.png\n\
        e@example.com,,anim.png\n\
        f@example.com,,huge.png\n\
        g@example.com,,empty.png\n\
        h@example.com,h2@example.com,ok.jpg\n";
    let input = write(dir.path(), "v.csv", text);
    let out = zoombulk(&sandbox, &["validate", "users-update", input.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = stdout(&out);
    for (row, needle) in [
        (1, "new_email \"not-an-email\""),
        (2, "E_DUPLICATE"),
        (3, "E_DUPLICATE"),
        (4, "cannot open"),
        (5, "not a JPEG or PNG"),
        (6, "at most 2 MB"),
        (7, "is empty"),
    ] {
        let line = report
            .lines()
            .find(|l| l.contains(&format!("row {row} (line")))
            .unwrap_or_else(|| panic!("row {row} in {report}"));
        assert!(line.contains(needle), "row {row}: {line}");
    }
    assert!(!report.contains("row 8 (line"), "{report}");
    assert_eq!(sandbox.stats().total_requests, 0);
}

/// --dry-run names each step of a row: the fields, the e-mail change, the picture.
#[tokio::test(flavor = "multi_thread")]
async fn dry_run_lists_each_step_of_a_row() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    write(dir.path(), "me.png", png(64));
    let text = "email,new_email,dept,job_title,picture,status,group,remove_group\n\
        a@example.com,a2@example.com,Sales,Rep,me.png,inactive,Sales;Pilots,Support\n";
    let input = write(dir.path(), "d.csv", text);
    let args = ["--dry-run", "users", "update", input.to_str().unwrap()];
    let out = zoombulk(&sandbox, &args).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(
            "would send (row 1): GET /users/a@example.com (the user's id), then PUT \
             /users/a@example.com/email (to a2@example.com), then PATCH \
             /users/a2@example.com (dept, job_title), then POST /users/a2@example.com/picture ("
        ),
        "{err}"
    );
    assert!(
        err.contains("5 light requests") && err.contains("3 medium requests"),
        "{err}"
    );
    assert!(
        err.contains(
            "steps: 1 email change, 1 profile update, 1 picture, 1 group join, 1 group leave, 1 status change"
        ) && err.contains("for 2 groups (join Sales, Pilots)")
            && err.contains("for 1 group (leave Support)"),
        "{err}"
    );
    assert_eq!(sandbox.stats().total_requests, 0);
}

/// Every PATCH field a sheet can carry reaches Zoom, read back field by field; groups
/// are joined and left, listed once; an unknown group makes its row invalid, naming
/// the closest, and nothing of that row is sent.
/// Leaving a group the user is not in changes nothing in Zoom: the row says so,
/// it does not claim the user left.
#[tokio::test(flavor = "multi_thread")]
async fn leaving_a_group_the_user_is_not_in_says_so() {
    let sandbox = start(unlimited()).await;
    add_user(&sandbox, "emma@example.com");
    let dir = tempdir();
    let input = write(
        dir.path(),
        "leave.csv",
        "email,remove_group\nemma@example.com,Marketing\n",
    );
    let rows = results_of(&sandbox, &CMD, &input, &[], 0).await;
    assert_eq!(statuses(&rows), ["updated"], "{rows:?}");
    assert_eq!(
        rows[0]["error_message"], "group Marketing not left: the user was not a member",
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_profile_field_and_groups_reach_zoom() {
    let sandbox = start(unlimited()).await;
    let store = sandbox.store();
    let support = store.group_by_name("Support").expect("seeded group");
    let mut ada = User::new("ada@example.com", "Ada", "Old");
    ada.group_ids = vec![support.id.clone()];
    let ada = store.insert_user(ada).expect("new user");
    add_user(&sandbox, "boss@example.com");
    add_user(&sandbox, "typo@example.com");
    let dir = tempdir();
    let text = "email,last_name,dept,job_title,company,location,cost_center,phone,manager,pronouns,\
        pronouns_option,timezone,language,about_me,linkedin_url,custom:Badge,group,remove_group\n\
        ada@example.com,Lovelace,Research,Analyst,Engines Ltd,London,CC-42,Mobile: +44 7700 900123,\
        boss@example.com,she/her,2,Europe/London,German,Counts things,https://linkedin.com/in/ada,42,\
        Sales;engineering,Support\n\
        typo@example.com,,Ops,,,,,,,,,,,,,,Slaes,\n";
    let input = write(dir.path(), "all.csv", text);
    let rows = results_of(&sandbox, &CMD, &input, &[], 3).await;
    assert_eq!(statuses(&rows), ["updated", "invalid"], "{rows:?}");
    let message = &rows[1]["error_message"];
    assert!(
        message.contains("\"Slaes\"") && message.contains("closest: Sales"),
        "{message}"
    );
    assert_eq!(rows[1]["attempts"], "0");
    assert_eq!(store.user_by_email("typo@example.com").unwrap().dept, "");

    let got = store.user_by_id(&ada.id).unwrap();
    assert_eq!(got.last_name, "Lovelace");
    assert_eq!(got.dept, "Research");
    assert_eq!(got.job_title, "Analyst");
    assert_eq!(got.company, "Engines Ltd");
    assert_eq!(got.location, "London");
    assert_eq!(got.cost_center, "CC-42");
    assert_eq!(got.manager, "boss@example.com");
    assert_eq!(got.pronouns, "she/her");
    assert_eq!(got.pronouns_option, 2);
    assert_eq!(got.timezone, "Europe/London");
    assert_eq!(got.language, "de-DE");
    assert_eq!(got.about_me, "Counts things");
    assert_eq!(got.linkedin_url, "https://linkedin.com/in/ada");
    assert_eq!(got.phone_numbers.len(), 1);
    let phone = &got.phone_numbers[0];
    assert_eq!(
        (
            phone.code.as_str(),
            phone.country.as_str(),
            phone.label.as_str(),
            phone.number.as_str()
        ),
        ("+44", "GB", "Mobile", "7700900123")
    );
    assert_eq!(got.custom_attributes.len(), 1);
    assert_eq!(
        (
            got.custom_attributes[0].name.as_str(),
            got.custom_attributes[0].value.as_str()
        ),
        ("Badge", "42")
    );
    let sales = store.group_by_name("Sales").unwrap();
    let engineering = store.group_by_name("Engineering").unwrap();
    let mut groups = got.group_ids.clone();
    groups.sort();
    let mut want = vec![sales.id, engineering.id];
    want.sort();
    assert_eq!(groups, want, "joined Sales and Engineering, left Support");
    assert_eq!(rows[0]["status"], "updated", "{:?}", rows[0]);
    assert!(
        rows[0]["error_message"].contains("group Support left"),
        "{:?}",
        rows[0]
    );
    let stats = sandbox.stats();
    assert_eq!(stats.requests_to("GET /groups"), 1, "the groups are listed once");
    assert_eq!(stats.requests_to("POST /groups/{groupId}/members"), 2);
    assert_eq!(
        stats.requests_to("DELETE /groups/{groupId}/members/{memberId}"),
        1
    );
    assert_eq!(stats.requests_to(PATCH), 1);
}

/// export → edit one cell → update → read back: every exported column goes back
/// as it was, and the edited one changes.
#[tokio::test(flavor = "multi_thread")]
async fn export_edit_update_round_trips_every_column() {
    let sandbox = start(unlimited()).await;
    let store = sandbox.store();
    add_user(&sandbox, "boss@example.com");
    let sales = store.group_by_name("Sales").expect("seeded group");
    let mut ada = User::new("ada@example.com", "Ada", "Lovelace");
    ada.pmi = 4_155_550_100;
    ada.dept = "Research".into();
    ada.job_title = "Analyst".into();
    ada.company = "Engines Ltd".into();
    ada.location = "London".into();
    ada.cost_center = "CC-42".into();
    ada.manager = "boss@example.com".into();
    ada.pronouns = "she/her".into();
    ada.pronouns_option = 2;
    ada.timezone = "Europe/London".into();
    ada.language = "de-DE".into();
    ada.group_ids = vec![sales.id.clone()];
    ada.phone_numbers = vec![zoombulk_sandbox::PhoneNumber {
        code: "+1".into(),
        country: "US".into(),
        label: "Office".into(),
        number: "5550100".into(),
    }];
    ada.custom_attributes = vec![zoombulk_sandbox::CustomAttribute {
        key: "k1".into(),
        name: "Badge".into(),
        value: "42".into(),
    }];
    let ada = store.insert_user(ada).expect("new user");
    let dir = tempdir();
    let export = dir.path().join("users.csv");
    let args = [
        "users",
        "export",
        "--include",
        "profile,custom_attributes",
        "--out",
        export.to_str().unwrap(),
    ];
    run_fast(&sandbox, &args, 0, "export").await;
    let exported = read_results(&export);
    let row = exported
        .iter()
        .find(|r| r["email"] == "ada@example.com")
        .expect("Ada exported");
    assert_eq!(row["group"], "Sales");
    assert_eq!(row["phone"], "Office: +1 5550100");
    assert_eq!(row["custom_attributes"], "Badge=42");
    assert_eq!(row["manager"], "boss@example.com");

    // Edit one cell of Ada's row and feed the whole row back.
    let mut reader = csv::Reader::from_path(&export).unwrap();
    let headers = reader.headers().unwrap().clone();
    let title = headers.iter().position(|h| h == "job_title").unwrap();
    let email = headers.iter().position(|h| h == "email").unwrap();
    let mut w = csv::Writer::from_path(dir.path().join("edit.csv")).unwrap();
    w.write_record(&headers).unwrap();
    for r in reader.records() {
        let r = r.unwrap();
        if &r[email] == "ada@example.com" {
            let cells: Vec<&str> = r
                .iter()
                .enumerate()
                .map(|(i, c)| if i == title { "Chief Analyst" } else { c })
                .collect();
            w.write_record(cells).unwrap();
        }
    }
    w.flush().unwrap();
    drop(w);
    let rows = results_of(&sandbox, &CMD, &dir.path().join("edit.csv"), &[], 0).await;
    assert_eq!(statuses(&rows), ["updated"], "{rows:?}");

    let got = store.user_by_id(&ada.id).unwrap();
    assert_eq!(got.job_title, "Chief Analyst", "the edited cell");
    let before = ada;
    assert_eq!(
        (&got.first_name, &got.last_name, &got.display_name, &got.dept),
        (
            &before.first_name,
            &before.last_name,
            &before.display_name,
            &before.dept
        )
    );
    assert_eq!(
        (
            &got.company,
            &got.location,
            &got.cost_center,
            &got.manager,
            &got.pronouns
        ),
        (
            &before.company,
            &before.location,
            &before.cost_center,
            &before.manager,
            &before.pronouns
        )
    );
    assert_eq!(
        (
            got.pronouns_option,
            got.pmi,
            got.user_type,
            &got.timezone,
            &got.language
        ),
        (
            before.pronouns_option,
            before.pmi,
            before.user_type,
            &before.timezone,
            &before.language
        )
    );
    assert_eq!(got.phone_numbers, before.phone_numbers);
    assert_eq!(got.group_ids, before.group_ids);
    assert_eq!(got.custom_attributes.len(), 1);
    assert_eq!(
        (
            got.custom_attributes[0].name.as_str(),
            got.custom_attributes[0].value.as_str()
        ),
        ("Badge", "42")
    );
    assert_eq!(
        (got.email.as_str(), got.status.as_str()),
        ("ada@example.com", "active")
    );
}

/// `validate` checks the profile columns offline: time zones, languages, phones,
/// the manager's address, LinkedIn URLs (unknown groups need the listing: the run).
#[tokio::test(flavor = "multi_thread")]
async fn validate_checks_profile_columns_offline() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let text = "email,timezone,language,phone,manager,linkedin_url\n\
        a@example.com,Mars/Olympus,,,,\n\
        b@example.com,,Klingon,,,\n\
        c@example.com,,,555 0100,,\n\
        d@example.com,,,,the boss,\n\
        e@example.com,,,,,https://example.com/me\n\
        f@example.com,Europe/Paris,fr-FR,Office: +33 1 23 45 67 89,boss@example.com,https://www.linkedin.com/in/f\n";
    let input = write(dir.path(), "p.csv", text);
    let out = zoombulk(&sandbox, &["validate", "users-update", input.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = stdout(&out);
    for (row, needle) in [
        (1, "timezone"),
        (2, "language"),
        (3, "phone"),
        (4, "manager"),
        (5, "linkedin_url"),
    ] {
        let line = report
            .lines()
            .find(|l| l.contains(&format!("row {row} (line")))
            .unwrap_or_else(|| panic!("row {row} in {report}"));
        assert!(line.contains(needle), "row {row}: {line}");
    }
    assert!(!report.contains("row 6 (line"), "{report}");
    assert_eq!(sandbox.stats().total_requests, 0);
}
