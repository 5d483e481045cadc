//! `meetings import`, `meetings update` and `meetings export` against the sandbox.

mod common;

use std::collections::HashMap;

use common::*;
use zoombulk_sandbox::LostAnswer;

const OWNER_EMAIL: &str = "owner@corp.example.com";

const HEADER: &str = "host,topic,start_time,timezone,duration,type,recurrence_type,weekly_days,end_times,password,waiting_room\n";

fn row(topic: &str, start: &str) -> String {
    format!("{OWNER_EMAIL},{topic},{start},America/New_York,45,,,,,s3cret,true\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn import_creates_meetings_whose_results_match_the_store() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let mut text = String::from(HEADER);
    text.push_str(&row("Algebra", "2031-02-03T09:00:00"));
    text.push_str(&format!(
        "{OWNER_EMAIL},Lab,2031-02-04 14:00,Europe/Berlin,90,8,weekly,Mon;Wed,12,,no\n"
    ));
    text.push_str(&row("Yesterday", "2020-01-01T09:00:00"));
    text.push_str(&format!(
        "{OWNER_EMAIL},Nowhere,2031-02-03T09:00:00,Mars/Base,45,,,,,,\n"
    ));
    text.push_str(&format!(
        "{OWNER_EMAIL},Endless,2031-02-03T09:00:00,UTC,45,8,daily,,61,,\n"
    ));
    text.push_str(&format!(
        "{OWNER_EMAIL},Monthly,2031-02-03T09:00:00,UTC,45,8,monthly,,3,,\n"
    ));
    let input = write(dir.path(), "m.csv", text);
    let (_, rows) = run_file(&sandbox, &["meetings", "import"], &input, &[], 3).await;
    let status: Vec<&str> = rows.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(
        status,
        ["created", "created", "invalid", "invalid", "invalid", "invalid"]
    );
    assert!(rows[2]["error_message"].contains("in the past"), "{:?}", rows[2]);
    assert!(rows[3]["error_message"].contains("timezone"), "{:?}", rows[3]);
    assert!(rows[4]["error_message"].contains("end_times"), "{:?}", rows[4]);
    assert!(rows[5]["error_message"].contains("monthly_day"), "{:?}", rows[5]);
    assert_eq!(rows[0]["password"], "***", "passwords never reach the results");

    let store = sandbox.store();
    assert_eq!(store.meetings().len(), 2);
    let id: u64 = rows[0]["zoom_id"].parse().expect("the meeting id, as digits");
    let m = store.meeting(id).expect("the id Zoom answered");
    assert_eq!(m.topic, "Algebra");
    assert_eq!(m.duration, 45);
    // 09:00 in New York in February is 14:00 UTC.
    assert_eq!(m.start_time.to_rfc3339(), "2031-02-03T14:00:00+00:00");
    assert_eq!(m.password, "s3cret");
    assert!(rows[0]["join_url"].contains(&id.to_string()), "{:?}", rows[0]);
    let lab = store.meeting(rows[1]["zoom_id"].parse().unwrap()).unwrap();
    assert_eq!((lab.event_type, lab.occurrences.len()), (8, 12));

    // validate finds the same rows offline.
    let o = zoombulk(
        &sandbox,
        &["validate", "meetings-import", input.to_str().unwrap()],
    )
    .await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 4, "{}", stdout(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_past_a_hosts_daily_quota_are_deferred_unsent_and_dry_run_names_them() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let mut text = String::from(HEADER);
    for i in 0..102 {
        text.push_str(&row(&format!("Session {i}"), "2031-05-01T10:00:00"));
    }
    let input = write(dir.path(), "many.csv", text);
    let file = input.to_str().unwrap();
    let o = run_fast(&sandbox, &["meetings", "import", file, "--dry-run"], 0, "dry run").await;
    let err = stderr(&o);
    assert!(
        err.contains("2 rows would be deferred") && err.contains("rows 101, 102"),
        "{err}"
    );
    assert!(sandbox.store().meetings().is_empty(), "a dry run sends nothing");

    let (_, rows) = run_file(&sandbox, &["meetings", "import"], &input, &[], 3).await;
    let mut count: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        *count.entry(r["status"].as_str()).or_default() += 1;
    }
    assert_eq!(count.get("created"), Some(&100));
    for r in &rows[100..] {
        assert_eq!(
            (
                r["status"].as_str(),
                r["error_code"].as_str(),
                r["attempts"].as_str()
            ),
            ("deferred", "E_DAILY_CAP", "0")
        );
    }
    assert_eq!(sandbox.store().meetings().len(), 100);
    // No request past the cap reached the sandbox: it never answered 429.
    assert_eq!(sandbox.stats().requests_to("POST /users/{userId}/meetings"), 100);
    // The next UTC day (a fresh sandbox: every host's count is back at 0), --resume
    // sends the deferred rows and keeps the done ones.
    let next_day = start(unlimited()).await;
    let (_, rows) = run_file(&next_day, &["meetings", "import"], &input, &["--resume"], 0).await;
    assert!(rows.iter().all(|r| r["status"] == "created"));
    assert_eq!(
        next_day.store().meetings().len(),
        2,
        "only the deferred rows were sent"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_create_answer_never_makes_a_second_meeting() {
    let sandbox = start(SandboxConfig {
        lost_write_rate: 0.5,
        lost_answer: LostAnswer::BadGateway,
        seed: 11,
        ..unlimited()
    })
    .await;
    let dir = tempdir();
    let mut text = String::from(HEADER);
    for i in 0..12 {
        text.push_str(&row(&format!("Tutorial {i}"), "2031-06-01T10:00:00"));
    }
    let input = write(dir.path(), "lossy.csv", text);
    let (_, rows) = run_file(&sandbox, &["meetings", "import"], &input, &[], 0).await;
    let meetings = sandbox.store().meetings();
    assert_eq!(meetings.len(), 12, "one meeting per row, none twice");
    let mut ids: Vec<String> = rows.iter().map(|r| r["zoom_id"].clone()).collect();
    ids.sort();
    let mut stored: Vec<String> = meetings.iter().map(|m| m.id.to_string()).collect();
    stored.sort();
    assert_eq!(ids, stored);
    assert!(
        rows.iter().any(|r| r["error_message"].contains("list this one")),
        "some answers were lost and found by the look-up"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn update_patches_only_the_cells_given() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(
        dir.path(),
        "new.csv",
        format!(
            "{HEADER}{}{}",
            row("Chem", "2031-07-01T09:00:00"),
            row("Bio", "2031-07-02T09:00:00")
        ),
    );
    let (_, created) = run_file(&sandbox, &["meetings", "import"], &input, &[], 0).await;
    let (chem, bio) = (&created[0]["meeting_id"], &created[1]["meeting_id"]);
    assert_eq!(chem, &created[0]["zoom_id"], "the id is under both names");
    // The import's results, fed back as they are, name each meeting once.
    let (_, again) = run_file(
        &sandbox,
        &["meetings", "update"],
        &dir.path().join("new.results.csv"),
        &[],
        0,
    )
    .await;
    let status: Vec<&str> = again.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(status, ["updated", "updated"]);
    assert_eq!(again[0]["input.zoom_id"], *chem);
    let update = write(
        dir.path(),
        "change.csv",
        format!(
            "meeting_id,topic,duration,start_time,timezone\n{chem},Chemistry,,,\n{bio},,120,2031-08-01T08:00:00Z,\n99999999999,Ghost,,,\n"
        ),
    );
    let (_, rows) = run_file(&sandbox, &["meetings", "update"], &update, &[], 3).await;
    let status: Vec<&str> = rows.iter().map(|r| r["status"].as_str()).collect();
    assert_eq!(status, ["updated", "updated", "failed"]);
    assert_eq!(rows[2]["error_code"], "3001");
    let store = sandbox.store();
    let c = store.meeting(chem.parse().unwrap()).unwrap();
    assert_eq!((c.topic.as_str(), c.duration), ("Chemistry", 45));
    let b = store.meeting(bio.parse().unwrap()).unwrap();
    assert_eq!((b.topic.as_str(), b.duration), ("Bio", 120));
    assert_eq!(b.start_time.to_rfc3339(), "2031-08-01T08:00:00+00:00");
    assert!(rows[0]["join_url"].contains(chem.as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn meetings_export_matches_the_store_row_for_row() {
    let sandbox = start(SandboxConfig {
        seed_users: 30,
        seed_meetings: 12,
        ..unlimited()
    })
    .await;
    let o = run_fast(&sandbox, &["meetings", "export", "--out", "-"], 0, "export").await;
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    let mut got: Vec<(String, String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                unguard(&r[4]),
                r[6].to_string(),
                r[3].to_string(),
            )
        })
        .collect();
    let store = sandbox.store();
    let mut expected: Vec<(String, String, String, String)> = store
        .meetings()
        .iter()
        .map(|m| {
            let email = store.user_by_id(&m.host_id).map(|u| u.email).unwrap_or_default();
            (
                m.id.to_string(),
                m.topic.clone(),
                m.start_time.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                email,
            )
        })
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    assert!(!expected.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_is_never_matched_to_a_meeting_that_was_there_before() {
    let sandbox = start(SandboxConfig {
        lost_write_rate: 1.0,
        lost_answer: LostAnswer::BadGateway,
        ..unlimited()
    })
    .await;
    let dir = tempdir();
    let input = write(
        dir.path(),
        "standing.csv",
        format!("{HEADER}{}", row("Standing", "2031-06-01T10:00:00")),
    );
    // The same row imported twice: the first run's meeting has the same topic and
    // start; the second run's lost answer must be matched to its own meeting.
    let (_, first) = run_file(&sandbox, &["meetings", "import"], &input, &["--force"], 0).await;
    // created_at has whole seconds: let the second run start in a later one.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, second) = run_file(&sandbox, &["meetings", "import"], &input, &["--force"], 0).await;
    assert_eq!(sandbox.store().meetings().len(), 2);
    assert_ne!(second[0]["meeting_id"], first[0]["meeting_id"], "{:?}", second[0]);
}
