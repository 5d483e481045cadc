//! `zoombulk registrants import` end to end: the real binary against the sandbox on loopback.

mod common;

use std::collections::HashMap;

use chrono::{Duration, Utc};
use common::*;
use zoombulk_sandbox::{Event, EventKind, Occurrence};

/// Adds a meeting or webinar hosted by the owner; `approval_type` 2 means no registration.
fn add_event(sandbox: &Sandbox, kind: EventKind, event_type: u8, approval_type: u8) -> u64 {
    let host = sandbox.store().owner().expect("the sandbox has an owner");
    let start = Utc::now() + Duration::days(7);
    let occurrences = if matches!(event_type, 8 | 9) {
        (0..3)
            .map(|i| {
                let at = start + Duration::weeks(i);
                Occurrence {
                    occurrence_id: at.timestamp_millis().to_string(),
                    start_time: at,
                    duration: 60,
                    status: "available".into(),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let event = Event {
        kind,
        id: 0,
        uuid: String::new(),
        host_id: host.id,
        topic: "Onboarding".into(),
        event_type,
        start_time: start,
        duration: 60,
        timezone: "UTC".into(),
        agenda: String::new(),
        created_at: Utc::now(),
        password: String::new(),
        approval_type,
        registration_type: 1,
        occurrences,
    };
    sandbox.store().insert_event(event).id
}

fn people(n: usize, domain: &str) -> String {
    let mut text = String::from("email,first_name,last_name\n");
    for i in 0..n {
        text.push_str(&format!("person{i}@{domain},First{i},Last{i}\n"));
    }
    text
}

/// The sandbox's registrants of an event, by lower-cased email.
fn roster(sandbox: &Sandbox, event: u64) -> HashMap<String, zoombulk_sandbox::Registrant> {
    sandbox
        .store()
        .registrants(event)
        .into_iter()
        .map(|r| (r.email.to_lowercase(), r))
        .collect()
}

/// Every row `registered`, with the sandbox's own registrant id and join URL.
fn assert_registered(rows: &[HashMap<String, String>], sandbox: &Sandbox, event: u64) {
    let roster = roster(sandbox, event);
    for row in rows {
        assert_eq!(row["status"], "registered", "{row:?}");
        let email = row
            .get("email")
            .or_else(|| row.get("Email Address"))
            .expect("an email column");
        let r = &roster[&email.to_lowercase()];
        assert_eq!(row["zoom_id"], r.id, "{row:?}");
        assert_eq!(row["join_url"], r.join_url, "{row:?}");
    }
}

const BATCH: &str = "POST /meetings/{meetingId}/batch_registrants";
const SINGLE: &str = "POST /meetings/{meetingId}/registrants";
const LOOKUP: &str = "GET /meetings/{meetingId}";

/// The command under test.
const CMD: [&str; 2] = ["registrants", "import"];

#[tokio::test(flavor = "multi_thread")]
async fn names_only_rows_go_thirty_to_a_batch_call_and_no_batch_sends_each_alone() {
    let sandbox = start(unlimited()).await;
    let (batched, single) = (
        add_event(&sandbox, EventKind::Meeting, 2, 0),
        add_event(&sandbox, EventKind::Meeting, 2, 0),
    );
    let dir = tempdir();
    let input = write(dir.path(), "attendees.csv", people(90, "example.com"));
    let id = batched.to_string();
    let rows = results_of(&sandbox, &CMD, &input, &["--meeting", &id], 0).await;
    assert_eq!(rows.len(), 90);
    assert_registered(&rows, &sandbox, batched);
    assert!(
        rows.iter()
            .all(|r| r["http_status"] == "201" && r["attempts"] == "1")
    );
    let stats = sandbox.stats();
    assert_eq!(stats.requests_to(BATCH), 3, "90 rows in 3 batch calls: {stats:?}");
    assert_eq!(stats.requests_to(SINGLE), 0);
    assert_eq!(stats.requests_to(LOOKUP), 1, "the meeting is looked up once");

    let input = write(dir.path(), "one-by-one.csv", people(90, "example.com"));
    let id = single.to_string();
    let rows = results_of(&sandbox, &CMD, &input, &["--meeting", &id, "--no-batch"], 0).await;
    assert_registered(&rows, &sandbox, single);
    let stats = sandbox.stats();
    assert_eq!(stats.requests_to(SINGLE), 90, "--no-batch: one call per row");
    assert_eq!(stats.requests_to(BATCH), 3, "no more batch calls");
    assert_eq!(
        stats.requests_to(LOOKUP),
        2,
        "--no-batch still looks the meeting up once (a missing one sends nothing)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn registering_again_returns_the_same_registrant_ids() {
    let sandbox = start(unlimited()).await;
    let meeting = add_event(&sandbox, EventKind::Meeting, 2, 0).to_string();
    let dir = tempdir();
    // Rows 1-3 batch; row 4 has a country, so it goes on its own.
    let text = "email,first_name,last_name,country\n\
        ann@example.com,Ann,Lee,\n\
        bob@example.com,Bob,,\n\
        cy@example.com,Cy,Young,\n\
        dee@example.com,Dee,Dee,gb\n";
    let input = write(dir.path(), "again.csv", text);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let rows = results_of(&sandbox, &CMD, &input, &["--meeting", &meeting, "--force"], 0).await;
        assert_eq!(statuses(&rows), ["registered"; 4]);
        ids.push(
            rows.iter()
                .map(|r| (r["zoom_id"].clone(), r["join_url"].clone()))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(ids[0], ids[1], "Zoom returns the registrant it already has");
    let id: u64 = meeting.parse().unwrap();
    assert_eq!(
        sandbox.store().registrants(id).len(),
        4,
        "nobody registered twice"
    );
    assert_eq!(roster(&sandbox, id)["dee@example.com"].country, "GB");
    let stats = sandbox.stats();
    assert_eq!((stats.requests_to(BATCH), stats.requests_to(SINGLE)), (2, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn per_row_targets_batch_where_zoom_allows_and_go_singly_elsewhere() {
    let sandbox = start(unlimited()).await;
    let webinar = add_event(&sandbox, EventKind::Webinar, 5, 0);
    let recurring = add_event(&sandbox, EventKind::Meeting, 8, 0);
    let dir = tempdir();
    let mut text = String::from("Email Address,First Name,Last Name,Webinar ID,meeting_id\n");
    for i in 0..5 {
        text.push_str(&format!("w{i}@example.com,W{i},L,{webinar},\n"));
    }
    // Zoom shows meeting ids grouped with spaces; people paste them that way.
    let spaced = recurring.to_string();
    let spaced = format!("{} {}", &spaced[..3], &spaced[3..]);
    for i in 0..4 {
        text.push_str(&format!("m{i}@example.com,M{i},L,,{spaced}\n"));
    }
    let input = write(dir.path(), "mixed.csv", text);
    let rows = results_of(&sandbox, &CMD, &input, &[], 0).await;
    assert_registered(&rows[..5], &sandbox, webinar);
    assert_registered(&rows[5..], &sandbox, recurring);
    let stats = sandbox.stats();
    assert_eq!(
        stats.requests_to("POST /webinars/{webinarId}/batch_registrants"),
        1
    );
    assert_eq!(stats.requests_to("GET /webinars/{webinarId}"), 1);
    assert_eq!(stats.requests_to(LOOKUP), 1);
    assert_eq!(
        stats.requests_to(BATCH),
        0,
        "a recurring meeting takes no batches"
    );
    assert_eq!(stats.requests_to(SINGLE), 4);
    let all = sandbox.store().registrants(recurring);
    assert!(
        all.iter().all(|r| r.occurrence_ids.len() == 3),
        "every occurrence by default"
    );

    // --occurrence-ids registers for the chosen occurrences only.
    let occurrence = sandbox.store().meeting(recurring).unwrap().occurrences[1]
        .occurrence_id
        .clone();
    let one = write(dir.path(), "one.csv", "email,first_name\nocc@example.com,Occ\n");
    let id = recurring.to_string();
    let args = [
        "registrants",
        "import",
        one.to_str().unwrap(),
        "--meeting",
        &id,
        "--occurrence-ids",
        &occurrence,
    ];
    run_fast(&sandbox, &args, 0, "").await;
    let occ = &roster(&sandbox, recurring)["occ@example.com"];
    assert_eq!(occ.occurrence_ids, [occurrence]);
}

#[tokio::test(flavor = "multi_thread")]
async fn zoom_errors_3000_3001_and_300_are_explained_on_their_rows() {
    let sandbox = start(unlimited()).await;
    let closed = add_event(&sandbox, EventKind::Meeting, 2, 2);
    let open = add_event(&sandbox, EventKind::Meeting, 2, 0);
    let missing = 89_999_999_999u64;
    let dir = tempdir();
    let text = format!(
        "email,first_name,meeting_id,language\n\
         a@example.com,A,{closed},\n\
         b@example.com,B,{closed},\n\
         c@example.com,C,{missing},\n\
         d@example.c1,D,{open},\n\
         e@example.com,E,{open},de-DE\n"
    );
    let input = write(dir.path(), "errors.csv", text);
    // Failed rows mean exit 3.
    let (out, rows) = run_file(&sandbox, &CMD, &input, &[], 3).await;
    assert_eq!(
        statuses(&rows),
        ["failed", "failed", "failed", "failed", "registered"]
    );
    // Found out by one lookup per meeting: those rows are not sent (no HTTP status).
    for row in &rows[..2] {
        assert_eq!(
            (
                row["http_status"].as_str(),
                row["error_code"].as_str(),
                row["attempts"].as_str()
            ),
            ("", "3000", "0")
        );
        let message = &row["error_message"];
        assert!(
            message.contains("Registration is not enabled") && message.contains("--resume"),
            "{message}"
        );
    }
    assert_eq!(
        (rows[2]["http_status"].as_str(), rows[2]["error_code"].as_str()),
        ("", "3001")
    );
    let message = &rows[2]["error_message"];
    assert!(
        message.contains(&missing.to_string()) && message.contains("meeting_id"),
        "{message}"
    );
    assert!(message.contains("Zoom: "), "Zoom's own words are kept: {message}");
    assert_eq!(
        (rows[3]["http_status"].as_str(), rows[3]["error_code"].as_str()),
        ("400", "300")
    );
    // (An unknown language is caught offline now; this address passes the offline
    // check but not Zoom's.)
    assert!(
        rows[3]["error_message"].contains("email"),
        "{}",
        rows[3]["error_message"]
    );
    assert!(
        rows.iter()
            .all(|r| r["join_url"].is_empty() == (r["status"] != "registered"))
    );
    assert!(
        stderr(&out).contains("3000"),
        "summary counts codes: {}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_rows_and_in_file_duplicates_are_invalid_and_good_ones_arrive_in_zoom_spelling() {
    let sandbox = start(unlimited()).await;
    let meeting = add_event(&sandbox, EventKind::Meeting, 2, 0);
    let other = add_event(&sandbox, EventKind::Meeting, 2, 0);
    let long = "x".repeat(129);
    let text = format!(
        "email,first_name,country,no_of_employees,role_in_purchase_process,custom: Dietary needs,meeting_id,Badge\n\
         ok@example.com,Ok,us,501-1000,decision maker,vegan,,B1\n\
         not-an-email,Bad,,,,,,B2\n\
         nofirst@example.com,,,,,,,B3\n\
         uk@example.com,Uk,UK,,,,,B4\n\
         emp@example.com,Emp,,lots,,,,B5\n\
         long@example.com,Long,,,,{long},,B6\n\
         OK@example.com,Again,,,,,,B7\n\
         ok@example.com,Other meeting,,,,,{other},B8\n\
         both@example.com,Both,,,,,abc,B9\n"
    );
    let dir = tempdir();
    let input = write(dir.path(), "signups.csv", text);
    let id = meeting.to_string();

    // `validate` and --dry-run: the same verdicts, and nothing sent.
    let out = zoombulk(
        &sandbox,
        &[
            "validate",
            "registrants",
            input.to_str().unwrap(),
            "--meeting",
            &id,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report = stdout(&out);
    for code in ["E_EMAIL", "E_MISSING", "E_COUNTRY", "E_VALUE", "E_DUPLICATE"] {
        assert!(report.contains(code), "{code} in {report}");
    }
    assert!(report.contains("use GB"), "{report}");
    let args = [
        "--dry-run",
        "registrants",
        "import",
        input.to_str().unwrap(),
        "--meeting",
        &id,
    ];
    let out = zoombulk(&sandbox, &args).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("would send (row 1): POST /meetings/"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        sandbox.stats().total_requests,
        0,
        "validate and --dry-run send nothing"
    );

    let rows = results_of(&sandbox, &CMD, &input, &["--meeting", &id], 3).await;
    let codes: Vec<&str> = rows.iter().map(|r| r["error_code"].as_str()).collect();
    assert_eq!(
        codes,
        [
            "",
            "E_EMAIL",
            "E_MISSING",
            "E_COUNTRY",
            "E_VALUE",
            "E_VALUE",
            "E_DUPLICATE",
            "",
            "E_VALUE"
        ]
    );
    assert_eq!(
        statuses(&rows)[7],
        "registered",
        "the same email for another meeting is no duplicate"
    );
    assert!(
        rows[6]["error_message"].contains("row 1"),
        "{}",
        rows[6]["error_message"]
    );
    assert!(rows[5]["error_message"].starts_with("custom:Dietary needs is 129 characters"));
    assert!(
        rows[8]["error_message"].starts_with("meeting_id \"abc\""),
        "{}",
        rows[8]["error_message"]
    );
    assert_eq!(rows[3]["Badge"], "B4", "unknown columns are carried through");
    assert!(
        rows.iter()
            .filter(|r| r["status"] == "invalid")
            .all(|r| r["attempts"] == "0")
    );

    let ok = &roster(&sandbox, meeting)["ok@example.com"];
    assert_eq!(ok.country, "US");
    assert_eq!(ok.no_of_employees, "500-1,000", "the POST spelling is sent");
    assert_eq!(ok.role_in_purchase_process, "Decision Maker");
    assert_eq!(ok.custom_questions.len(), 1);
    assert_eq!(
        (
            ok.custom_questions[0].title.as_str(),
            ok.custom_questions[0].value.as_str()
        ),
        ("Dietary needs", "vegan")
    );
    assert_eq!(sandbox.store().registrants(meeting).len(), 1);
    assert_eq!(sandbox.store().registrants(other).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_without_any_meeting_is_a_usage_error_naming_the_ways_to_give_one() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(dir.path(), "nowhere.csv", "email,first_name\na@example.com,A\n");
    let out = zoombulk(&sandbox, &["registrants", "import", input.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("--meeting") && err.contains("meeting_id"), "{err}");
    let out = zoombulk(
        &sandbox,
        &[
            "registrants",
            "import",
            input.to_str().unwrap(),
            "--meeting",
            "1",
            "--webinar",
            "2",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "one or the other: {}", stderr(&out));
    assert_eq!(sandbox.stats().total_requests, 0);
}

/// A target that fails every registration is found out once, before sending:
/// an unknown meeting, and a meeting with registration off, send no POST at all.
#[tokio::test(flavor = "multi_thread")]
async fn a_doomed_meeting_is_looked_up_once_and_its_rows_not_sent() {
    let sandbox = start(unlimited()).await;
    let closed = add_event(&sandbox, EventKind::Meeting, 2, 2).to_string();
    let dir = tempdir();
    let mut text = String::from("email,first_name,country\n");
    for i in 0..40 {
        // Half names-only (batchable), half with a country (single endpoint).
        let country = if i % 2 == 0 { "" } else { "GB" };
        text.push_str(&format!("p{i}@example.com,P{i},{country}\n"));
    }
    let input = write(dir.path(), "doomed.csv", &text);
    for (meeting, code) in [("81234567890", "3001"), (closed.as_str(), "3000")] {
        let rows = results_of(&sandbox, &CMD, &input, &["--meeting", meeting, "--force"], 3).await;
        assert_eq!(rows.len(), 40);
        for row in &rows {
            assert_eq!(row["status"], "failed", "{row:?}");
            assert_eq!(row["error_code"], code, "{row:?}");
            assert_eq!(row["attempts"], "0", "{row:?}");
            assert!(row["error_message"].contains("Not sent"), "{row:?}");
        }
    }
    let stats = sandbox.stats();
    assert_eq!(
        stats.requests_to(BATCH) + stats.requests_to(SINGLE),
        0,
        "{stats:?}"
    );
    assert_eq!(
        stats.requests_to("GET /meetings/{meetingId}"),
        2,
        "one lookup per run"
    );
}

/// A names-only batch that crosses the registrant cap: Zoom adds some, then
/// answers 400/3043. Rows Zoom registered say `registered` (looked up), the rest
/// carry the cap error, and `--resume` keeps saying the same truth.
#[tokio::test(flavor = "multi_thread")]
async fn a_batch_partly_applied_before_3043_is_told_row_by_row() {
    let mut cfg = unlimited();
    cfg.registrant_cap = 5;
    let sandbox = start(cfg).await;
    let meeting = add_event(&sandbox, EventKind::Meeting, 2, 0);
    let id = meeting.to_string();
    let dir = tempdir();
    let input = write(dir.path(), "cap.csv", people(8, "example.com"));
    let rows = results_of(&sandbox, &CMD, &input, &["--meeting", &id], 3).await;
    let roster = roster(&sandbox, meeting);
    assert_eq!(roster.len(), 5);
    for row in &rows {
        match roster.get(&row["email"]) {
            Some(r) => {
                assert_eq!(row["status"], "registered", "{row:?}");
                assert_eq!(row["zoom_id"], r.id, "{row:?}");
            }
            None => {
                assert_eq!(row["status"], "failed", "{row:?}");
                assert_eq!(row["error_code"], "3043", "{row:?}");
            }
        }
    }
    let rows = results_of(&sandbox, &CMD, &input, &["--meeting", &id, "--resume"], 3).await;
    assert_eq!(rows.iter().filter(|r| r["status"] == "registered").count(), 5);
    assert_eq!(rows.iter().filter(|r| r["error_code"] == "3043").count(), 3);
}
