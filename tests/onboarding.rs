//! `users import` with everything the portal's CSV sets: profile, groups, features
//! (issue 12), end to end against the sandbox.

mod common;

use common::*;

const PORTAL: &str = "Email,First Name,Last Name,Department,Manager,Job Title,Location,Company,Cost Center,\
Phone,Pronouns,Timezone,Language,User Group,Webinar,custom:Badge\n\
ada@example.com,Ada,Lovelace,Engineering,owner@corp.example.com,Engineer,London,Example Corp,CC-10,\
+44 7700 900123,she/her,Europe/London,English,Engineering;Sales,500,A-1\n\
grace@example.com,Grace,Hopper,Sales,owner@corp.example.com,Account Executive,New York,Example Corp,CC-20,\
Mobile: +1 555 0100,she/her,America/New_York,en-US,Sales,500,G-2\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_portal_style_file_reaches_zoom_field_by_field() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(dir.path(), "hires.csv", PORTAL);
    let rows = results_of(
        &sandbox,
        &["users", "import"],
        &input,
        &["--action", "custCreate"],
        0,
    )
    .await;
    assert_eq!(statuses(&rows), ["created", "created"]);
    assert_eq!(
        rows[0]["error_message"],
        "created; profile set; group Engineering joined; group Sales joined; webinar=1 set"
    );
    assert_eq!(
        rows[0]["attempts"], "2",
        "create and profile; shared requests are no row's own"
    );
    let store = sandbox.store();
    let sales = store.group_by_name("Sales").unwrap().id;
    let engineering = store.group_by_name("Engineering").unwrap().id;
    let ada = store.user_by_email("ada@example.com").unwrap();
    assert_eq!(ada.dept, "Engineering");
    assert_eq!(ada.manager, "owner@corp.example.com");
    assert_eq!(ada.job_title, "Engineer");
    assert_eq!(ada.location, "London");
    assert_eq!(ada.company, "Example Corp");
    assert_eq!(ada.cost_center, "CC-10");
    assert_eq!(ada.pronouns, "she/her");
    assert_eq!(ada.timezone, "Europe/London");
    assert_eq!(ada.language, "en-US");
    assert_eq!(
        (
            ada.phone_numbers[0].code.as_str(),
            ada.phone_numbers[0].country.as_str(),
            ada.phone_numbers[0].number.as_str()
        ),
        ("+44", "GB", "7700900123")
    );
    assert_eq!(ada.phone_number, "", "the deprecated field is not sent");
    assert_eq!(ada.custom_attributes[0].name, "Badge");
    assert_eq!(ada.custom_attributes[0].value, "A-1");
    let mut joined = ada.group_ids.clone();
    joined.sort();
    let mut both = vec![engineering, sales.clone()];
    both.sort();
    assert_eq!(joined, both);
    assert_eq!(ada.features["webinar"], "1", "webinar 500 is Zoom's code 1");
    let grace = store.user_by_email("grace@example.com").unwrap();
    assert_eq!(grace.group_ids, [sales]);
    assert_eq!(grace.phone_numbers[0].label, "Mobile");
    let stats = sandbox.stats();
    assert_eq!(
        stats.requests_to("GET /groups"),
        1,
        "groups are listed once per run"
    );
    assert_eq!(
        stats.requests_to("POST /users/features"),
        1,
        "both users in one call"
    );
    assert_eq!(stats.rate_limited.values().sum::<u64>(), 0, "never 429'd");
}

/// A pending user joins by `PATCH … group_id`; when every answer to it is lost,
/// the user's `group_ids` say whether it went through before the row is written.
#[tokio::test(flavor = "multi_thread")]
async fn a_pending_users_lost_group_answer_is_looked_up_before_the_row_is_written() {
    let mut cfg = unlimited();
    cfg.lost_write_rate = 1.0;
    let sandbox = start(cfg).await;
    let dir = tempdir();
    let input = write(
        dir.path(),
        "pending.csv",
        "email,group\nnew@example.com,Support\n",
    );
    let rows = results_of(
        &sandbox,
        &["users", "import"],
        &input,
        &["--action", "create", "--max-retries", "1"],
        0,
    )
    .await;
    assert_eq!(rows[0]["status"], "created", "{:?}", rows[0]);
    assert_eq!(rows[0]["error_message"], "created; group Support joined");
    let support = sandbox.store().group_by_name("Support").unwrap().id;
    let user = sandbox.store().user_by_email("new@example.com").unwrap();
    assert!(user.group_ids.contains(&support));
    assert!(
        sandbox.stats().requests_to("PATCH /users/{userId}") >= 2,
        "the answer was lost and retried"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn group_members_go_thirty_a_call() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let mut csv = String::from("email,group\n");
    for i in 0..65 {
        csv.push_str(&format!("u{i}@example.com,Support\n"));
    }
    let input = write(dir.path(), "support.csv", csv);
    let rows = results_of(
        &sandbox,
        &["users", "import"],
        &input,
        &["--action", "custCreate", "--concurrency", "80"],
        0,
    )
    .await;
    assert!(rows.iter().all(|r| r["status"] == "created"));
    assert!(
        rows.iter()
            .all(|r| r["error_message"] == "created; group Support joined")
    );
    let calls = sandbox.stats().requests_to("POST /groups/{groupId}/members");
    assert!(calls <= 3, "ceil(65/30) = 3 member calls, saw {calls}");
    let support = sandbox.store().group_by_name("Support").unwrap().id;
    assert_eq!(
        sandbox
            .store()
            .members_of(&support)
            .iter()
            .filter(|u| u.email.starts_with('u'))
            .count(),
        65
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_group_makes_the_row_invalid_with_the_closest_names_and_nothing_is_sent() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(
        dir.path(),
        "typo.csv",
        "email,User Group\nada@example.com,Salse\n",
    );
    let rows = results_of(
        &sandbox,
        &["users", "import"],
        &input,
        &["--action", "custCreate"],
        3,
    )
    .await;
    assert_eq!(statuses(&rows), ["invalid"]);
    assert!(
        rows[0]["error_message"].contains("group \"Salse\" does not exist"),
        "{:?}",
        rows[0]
    );
    assert!(
        rows[0]["error_message"].contains("closest: Sales"),
        "{:?}",
        rows[0]
    );
    assert_eq!(sandbox.stats().requests_to("POST /users"), 0);
    assert!(sandbox.store().user_by_email("ada@example.com").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_finishes_the_steps_a_partial_run_left() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(
        dir.path(),
        "partial.csv",
        "email,manager,group\nada@example.com,boss@example.com,Sales\n",
    );
    // The manager is not in the account yet: the profile step fails, the rest goes.
    let rows = results_of(
        &sandbox,
        &["users", "import"],
        &input,
        &["--action", "custCreate"],
        3,
    )
    .await;
    assert_eq!(statuses(&rows), ["created"]);
    assert_eq!(rows[0]["error_code"], "E_PARTIAL");
    let note = &rows[0]["error_message"];
    assert!(note.starts_with("created; profile failed: "), "{note}");
    assert!(note.ends_with("; group Sales joined"), "{note}");
    assert_eq!(
        sandbox.store().user_by_email("ada@example.com").unwrap().manager,
        ""
    );

    sandbox
        .store()
        .insert_user(zoombulk_sandbox::User::new("boss@example.com", "Big", "Boss"))
        .unwrap();
    let rows = results_of(
        &sandbox,
        &["users", "import"],
        &input,
        &["--action", "custCreate", "--resume"],
        0,
    )
    .await;
    // The first run created the user: the re-run's 409 found that user, so the
    // row still says created (no "exists" code), with the steps this run did.
    assert_eq!(statuses(&rows), ["created"]);
    assert_eq!(rows[0]["error_code"], "");
    assert_eq!(
        rows[0]["error_message"], "created by an earlier run; profile set; group Sales joined",
        "{:?}",
        rows[0]
    );
    let ada = sandbox.store().user_by_email("ada@example.com").unwrap();
    assert_eq!(ada.manager, "boss@example.com");
    assert_eq!(sandbox.stats().max_creations_per_email(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_lists_the_steps_and_the_shared_requests() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(dir.path(), "dry.csv", PORTAL);
    let out = run_fast(
        &sandbox,
        &[
            "users",
            "import",
            input.to_str().unwrap(),
            "--dry-run",
            "--feature",
            "zoom_whiteboard=yes",
        ],
        0,
        "",
    )
    .await;
    let err = stderr(&out);
    assert!(
        err.contains("PATCH /users/{id} company, cost_center, custom_attributes"),
        "{err}"
    );
    assert!(
        err.contains("group Sales (PATCH /users/{id} group_id: pending user)"),
        "{err}"
    );
    assert!(
        err.contains("feature webinar=1 (POST /users/features, shared)"),
        "{err}"
    );
    assert!(err.contains("feature zoom_whiteboard=true"), "{err}");
    assert!(
        !err.contains("POST /groups/{groupId}/members for"),
        "pending users join by PATCH: no member calls to count: {err}"
    );
    assert!(
        err.contains("group names are checked against the account's groups when the run connects"),
        "the dry run says what it could not check: {err}"
    );
    assert!(
        err.contains("2 medium requests in their own bucket, one per 10 s"),
        "{err}"
    );
    assert_eq!(sandbox.stats().requests_to("POST /users"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_checks_the_new_columns_offline() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(
        dir.path(),
        "bad.csv",
        "email,manager,timezone,language,phone,webinar\n\
         a@example.com,Tara Smith,,,,\n\
         b@example.com,,Mars/Olympus,,,\n\
         c@example.com,,,Klingon,,\n\
         d@example.com,,,,555 0100,\n\
         e@example.com,,,,,600\n",
    );
    let out = run_fast(
        &sandbox,
        &["validate", "users-import", input.to_str().unwrap()],
        3,
        "invalid rows",
    )
    .await;
    let all = format!("{}{}", stderr(&out), stdout(&out));
    for expected in [
        "manager \"Tara Smith\"",
        "timezone \"Mars/Olympus\"",
        "language \"Klingon\"",
        "+<country code> <number>",
        "webinar \"600\"",
    ] {
        assert!(all.contains(expected), "{expected}: {all}");
    }
    assert_eq!(sandbox.stats().total_requests, 0, "validate sends nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_members_answer_is_settled_by_looking_the_user_up() {
    let mut cfg = unlimited();
    // Every members call is applied and its answer lost (502), retries included.
    cfg.lost_write_rate = 1.0;
    let sandbox = start(cfg).await;
    let dir = tempdir();
    let input = write(dir.path(), "lost.csv", "email,group\nada@example.com,Sales\n");
    let rows = results_of(
        &sandbox,
        &["users", "import"],
        &input,
        &["--action", "custCreate", "--max-retries", "1"],
        0,
    )
    .await;
    assert_eq!(statuses(&rows), ["created"]);
    assert_eq!(rows[0]["error_message"], "created; group Sales joined");
    assert!(
        sandbox.stats().requests_to("GET /users/{userId}") >= 1,
        "the truth was looked up"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn feature_calls_are_paced_one_per_ten_seconds_and_never_429d() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(
        dir.path(),
        "features.csv",
        "email,large_meeting\nada@example.com,500\ngrace@example.com,1000\n",
    );
    // Three feature values: three calls, the second and third each wait for Zoom's 10 s.
    let rows = results_of(
        &sandbox,
        &["users", "import"],
        &input,
        &["--action", "custCreate", "--feature", "zoom_whiteboard=true"],
        0,
    )
    .await;
    assert_eq!(statuses(&rows), ["created", "created"]);
    assert!(
        rows[0]["error_message"].contains("large_meeting=128 set"),
        "{:?}",
        rows[0]
    );
    assert!(
        rows[1]["error_message"].contains("zoom_whiteboard=true set"),
        "{:?}",
        rows[1]
    );
    let stats = sandbox.stats();
    assert_eq!(stats.requests_to("POST /users/features"), 3);
    assert_eq!(
        stats.rate_limited.values().sum::<u64>(),
        0,
        "the features bucket kept Zoom's pace"
    );
    let grace = sandbox.store().user_by_email("grace@example.com").unwrap();
    assert_eq!(grace.features["large_meeting"], "256");
    assert_eq!(grace.features["zoom_whiteboard"], "true");
}
