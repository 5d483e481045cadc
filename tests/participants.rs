//! `participants export` against the sandbox's seeded attendance, row for row.

mod common;

use std::collections::HashMap;

use common::*;
use zoombulk_sandbox::{EventKind, PastInstance, Sandbox};

fn with_past() -> SandboxConfig {
    SandboxConfig {
        seed_users: 20,
        seed_past_meetings: 24,
        seed: 5,
        ..unlimited()
    }
}

fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn rows(out: &[u8]) -> Vec<HashMap<String, String>> {
    read_table(out)
}

/// Every past meeting of the last 500 days, to stdout.
async fn range_export(sandbox: &Sandbox, exit: i32, why: &str) -> std::process::Output {
    let args = [
        "participants",
        "export",
        "--from",
        "-500d",
        "--to",
        "today",
        "--out",
        "-",
    ];
    run_fast(sandbox, &args, exit, why).await
}

fn readable(sandbox: &Sandbox, i: &PastInstance) -> bool {
    let store = sandbox.store();
    let licensed = store
        .meeting(i.event_id)
        .or_else(|| store.webinar(i.event_id))
        .and_then(|e| store.user_by_id(&e.host_id))
        .is_some_and(|u| u.user_type == 2);
    licensed && i.start_time > chrono::Utc::now() - chrono::Duration::days(zoombulk_sandbox::REPORT_DAYS)
}

/// Whether `previous_meetings` lists the instance's meeting (Zoom reaches 6 months back).
fn listed(sandbox: &Sandbox, i: &PastInstance) -> bool {
    let store = sandbox.store();
    let now = chrono::Utc::now();
    let reach = now - chrono::Months::new(zoombulk_sandbox::LISTING_REACH_MONTHS);
    store
        .meeting(i.event_id)
        .is_some_and(|e| e.start_time < now && e.start_time >= reach)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_range_exports_every_session_of_every_instance_row_for_row() {
    let sandbox = start(with_past()).await;
    let o = range_export(&sandbox, 0, "range export").await;
    let got = rows(&o.stdout);
    // Every meeting instance, in the export's order per instance: sessions, or one note.
    let mut by_uuid: HashMap<String, Vec<&HashMap<String, String>>> = HashMap::new();
    for r in &got {
        by_uuid.entry(r["meeting_uuid"].clone()).or_default().push(r);
    }
    let instances: Vec<PastInstance> = sandbox
        .store()
        .past_instances()
        .into_iter()
        .filter(|i| i.kind == EventKind::Meeting && listed(&sandbox, i))
        .collect();
    assert_eq!(
        by_uuid.len(),
        instances.len(),
        "one group of rows per listed instance"
    );
    assert!(
        stderr(&o).contains("only 6 months back"),
        "-500d reaches past Zoom's listing, and the summary says so: {}",
        stderr(&o)
    );
    let mut sessions = 0;
    for i in &instances {
        let rows = &by_uuid[&i.uuid];
        if readable(&sandbox, i) {
            let expected: Vec<(String, String, String, String, String)> = i
                .participants
                .iter()
                .map(|p| {
                    (
                        p.name.clone(),
                        p.user_email.clone(),
                        ts(p.join_time),
                        ts(p.leave_time),
                        p.duration.to_string(),
                    )
                })
                .collect();
            let exported: Vec<(String, String, String, String, String)> = rows
                .iter()
                .map(|r| {
                    (
                        r["name"].clone(),
                        r["email"].clone(),
                        r["join_time"].clone(),
                        r["leave_time"].clone(),
                        r["duration"].clone(),
                    )
                })
                .collect();
            assert_eq!(exported, expected, "instance {}", i.uuid);
            assert_eq!(rows[0]["meeting_id"], i.event_id.to_string());
            sessions += expected.len();
        } else {
            assert_eq!(rows.len(), 1, "one note row for {}", i.uuid);
            let note = &rows[0]["note"];
            assert!(
                note.starts_with("too old") || note.starts_with("no report"),
                "{note}"
            );
        }
    }
    assert!(sessions > 0);
    assert!(
        instances
            .iter()
            .any(|i| i.uuid.starts_with('/') && readable(&sandbox, i)),
        "the seed reaches the double-encoded UUIDs"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn per_person_sums_each_persons_sessions() {
    let sandbox = start(with_past()).await;
    let i = sandbox
        .store()
        .past_instances()
        .into_iter()
        .find(|i| i.kind == EventKind::Meeting && readable(&sandbox, i) && i.uuid.contains("//"))
        .expect("a readable instance whose UUID holds //");
    let o = run_fast(
        &sandbox,
        &[
            "participants",
            "export",
            "--meeting",
            &i.uuid,
            "--per-person",
            "--out",
            "-",
        ],
        0,
        "per person",
    )
    .await;
    let got = rows(&o.stdout);
    let mut expected: HashMap<String, (u64, u64)> = HashMap::new();
    for p in &i.participants {
        let key = if p.user_email.is_empty() {
            p.name.clone()
        } else {
            p.user_email.clone()
        };
        let e = expected.entry(key).or_default();
        e.0 += 1;
        e.1 += u64::from(p.duration);
    }
    assert_eq!(got.len(), expected.len());
    for r in &got {
        let key = if r["email"].is_empty() {
            r["name"].clone()
        } else {
            r["email"].clone()
        };
        let (sessions, seconds) = expected[&key];
        assert_eq!(
            (
                r["sessions"].parse::<u64>().unwrap(),
                r["duration"].parse::<u64>().unwrap()
            ),
            (sessions, seconds),
            "{key}"
        );
        assert_eq!(r["meeting_uuid"], i.uuid);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_meeting_is_a_note_not_a_failure() {
    let sandbox = start(with_past()).await;
    let i = sandbox
        .store()
        .past_instances()
        .into_iter()
        .find(|i| i.kind == EventKind::Meeting)
        .unwrap();
    assert!(sandbox.store().delete_event(i.event_id));
    let o = run_fast(
        &sandbox,
        &[
            "participants",
            "export",
            "--meeting",
            &i.event_id.to_string(),
            "--out",
            "-",
        ],
        0,
        "deleted meeting",
    )
    .await;
    let got = rows(&o.stdout);
    assert_eq!(got.len(), 1);
    assert!(
        got[0]["note"].starts_with("not found") && got[0]["note"].contains("3001"),
        "{:?}",
        got[0]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn webinar_participants_and_absentees_match_the_store() {
    let sandbox = start(with_past()).await;
    let w = sandbox
        .store()
        .past_instances()
        .into_iter()
        .find(|i| i.kind == EventKind::Webinar)
        .unwrap();
    let id = w.event_id.to_string();
    let o = run_fast(
        &sandbox,
        &["participants", "export", "--webinar", &id, "--out", "-"],
        0,
        "webinar",
    )
    .await;
    let names: Vec<String> = rows(&o.stdout).iter().map(|r| r["name"].clone()).collect();
    let expected: Vec<String> = w.participants.iter().map(|p| p.name.clone()).collect();
    assert_eq!(names, expected);

    let o = run_fast(
        &sandbox,
        &[
            "participants",
            "export",
            "--webinar",
            &id,
            "--absentees",
            "--out",
            "-",
        ],
        0,
        "absentees",
    )
    .await;
    let got: Vec<String> = rows(&o.stdout)
        .iter()
        .map(|r| r["registrant_id"].clone())
        .collect();
    let came: Vec<String> = w
        .participants
        .iter()
        .map(|p| p.user_email.to_lowercase())
        .collect();
    let expected: Vec<String> = sandbox
        .store()
        .registrants(w.event_id)
        .into_iter()
        .filter(|r| r.status == "approved" && !came.contains(&r.email.to_lowercase()))
        .map(|r| r.id)
        .collect();
    assert_eq!(got, expected);
    assert!(!got.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_daily_heavy_pool_runs_out_the_rest_is_deferred_politely() {
    let sandbox = start(SandboxConfig {
        limits: Limits {
            daily_heavy: 3,
            ..with_past().limits
        },
        ..with_past()
    })
    .await;
    let o = range_export(&sandbox, 3, "pool used up").await;
    let got = rows(&o.stdout);
    let deferred = got.iter().filter(|r| r["note"].starts_with("deferred")).count();
    let instances = sandbox
        .store()
        .past_instances()
        .iter()
        .filter(|i| i.kind == EventKind::Meeting)
        .count();
    assert!(deferred > 0 && deferred < instances, "{deferred} of {instances}");
    assert!(stderr(&o).contains("deferred"), "{}", stderr(&o));
    // Heavy reports sent: the three the pool allowed, one refused, none after.
    let reports = sandbox
        .stats()
        .requests_to("GET /report/meetings/{meetingId}/participants");
    assert!(
        reports <= 3 + 32,
        "at most one refused report per request in flight: {reports}"
    );
}
