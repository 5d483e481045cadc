//! Meeting updates, past meetings, participant reports and webinar absentees.

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;
use zoombulk_sandbox::{EventKind, PastInstance};

fn with_past() -> SandboxConfig {
    SandboxConfig {
        seed_past_meetings: 34,
        ..seeded()
    }
}

/// A path segment encoded the way FACTS says zoombulk sends it.
fn encode(uuid: &str, times: usize) -> String {
    let mut s = uuid.to_string();
    for _ in 0..times {
        s = s
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
    }
    s
}

fn instance(a: &Api, pred: impl Fn(&PastInstance) -> bool) -> PastInstance {
    a.sandbox
        .store()
        .past_instances()
        .into_iter()
        .find(|i| pred(i))
        .expect("seed has such an instance")
}

fn licensed(a: &Api, i: &PastInstance) -> bool {
    let store = a.sandbox.store();
    let host = match i.kind {
        EventKind::Meeting => store.meeting(i.event_id),
        EventKind::Webinar => store.webinar(i.event_id),
    }
    .map(|e| e.host_id);
    host.and_then(|h| store.user_by_id(&h))
        .is_some_and(|u| u.user_type == 2)
}

fn recent(i: &PastInstance) -> bool {
    i.start_time > chrono::Utc::now() - chrono::Duration::days(300)
}

#[tokio::test]
async fn patch_changes_given_fields_ignores_past_starts_and_counts_against_the_cap() {
    let a = api(bare()).await;
    let body = json!({"topic": "Class", "type": 2, "start_time": "2031-03-01T09:00:00", "timezone": "America/New_York"});
    let (s, m) = a.post("/users/me/meetings", body.clone()).await;
    assert_eq!(s, 201, "{m}");
    // Without Z the start is local to the timezone (FACTS): 09:00 EST is 14:00 UTC.
    assert_eq!(m["start_time"], "2031-03-01T14:00:00Z");
    let id = m["id"].as_u64().unwrap();
    let (s, empty) = a
        .send(
            Method::PATCH,
            &format!("/meetings/{id}"),
            json!({"topic": "Class (moved)", "duration": 90, "start_time": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!((s.as_u16(), empty), (204, serde_json::Value::Null));
    let stored = a.sandbox.store().meeting(id).unwrap();
    assert_eq!((stored.topic.as_str(), stored.duration), ("Class (moved)", 90));
    assert_eq!(
        stored.start_time.to_rfc3339(),
        "2031-03-01T14:00:00+00:00",
        "a past start is ignored"
    );
    assert_error(
        &a.send(Method::PATCH, "/meetings/123", json!({"topic": "x"}))
            .await,
        404,
        3001,
        "Meeting does not exist: 123.",
    );
    assert_validation(
        &a.post("/users/me/meetings", json!({"timezone": "Mars/Olympus"}))
            .await,
        "timezone",
        "Invalid field.",
    );
    // Creates and updates share the host's 100 a day.
    for _ in 0..98 {
        assert_eq!(
            a.send(Method::PATCH, &format!("/meetings/{id}"), json!({"agenda": "a"}))
                .await
                .0,
            204
        );
    }
    let r = a
        .req(Method::PATCH, &format!("/meetings/{id}"))
        .json(&json!({"agenda": "b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-ratelimit-type"], "Daily-limit");
    assert_error(
        &read(r).await,
        429,
        429,
        "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00.",
    );
    assert_eq!(a.post("/users/me/meetings", body).await.0, 429);
}

#[tokio::test]
async fn past_meetings_list_instances_and_reports_by_id_or_uuid() {
    let a = api(with_past()).await;
    let i = instance(&a, |i| {
        i.kind == EventKind::Meeting
            && licensed(&a, i)
            && recent(i)
            && !i.uuid.starts_with('/')
            && !i.uuid.contains("//")
    });
    let (s, listed) = a.get(&format!("/past_meetings/{}/instances", i.event_id)).await;
    assert_eq!(s, 200, "{listed}");
    assert!(
        listed["meetings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["uuid"] == i.uuid.as_str())
    );

    let (s, by_uuid) = a
        .get(&format!(
            "/report/meetings/{}/participants?page_size=1",
            encode(&i.uuid, 1)
        ))
        .await;
    assert_eq!(s, 200, "{by_uuid}");
    assert_eq!(by_uuid["total_records"], i.participants.len());
    assert_eq!(
        by_uuid["participants"][0]["name"],
        i.participants[0].name.as_str()
    );
    // Pages with tokens, like every listing.
    let token = by_uuid["next_page_token"].as_str().unwrap();
    let (_, next) = a
        .get(&format!(
            "/report/meetings/{}/participants?page_size=1&next_page_token={token}",
            encode(&i.uuid, 1)
        ))
        .await;
    assert_eq!(
        next["participants"][0]["join_time"],
        zoombulk_sandbox_ts(&i.participants[1])
    );

    // The id means the latest ended instance.
    let latest = a.sandbox.store().instances_of(i.event_id).pop().unwrap();
    if licensed(&a, &latest) && recent(&latest) {
        let (_, by_id) = a
            .get(&format!("/report/meetings/{}/participants", i.event_id))
            .await;
        assert_eq!(by_id["total_records"], latest.participants.len());
    }
    assert_error(
        &a.get("/report/meetings/123/participants").await,
        404,
        3001,
        "Meeting 123 not found or has expired.",
    );
    assert_error(
        &a.get("/past_meetings/123/instances").await,
        404,
        3001,
        "Meeting does not exist: 123.",
    );
}

fn zoombulk_sandbox_ts(p: &zoombulk_sandbox::Participant) -> String {
    p.join_time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[tokio::test]
async fn uuids_with_slashes_must_be_encoded_twice() {
    let a = api(with_past()).await;
    let i = instance(&a, |i| i.uuid.starts_with('/') && licensed(&a, i) && recent(i));
    let (s, body) = a
        .get(&format!("/report/meetings/{}/participants", encode(&i.uuid, 2)))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["total_records"], i.participants.len());
    // Encoded once, Zoom reads it without its slash.
    let got = a
        .get(&format!("/report/meetings/{}/participants", encode(&i.uuid, 1)))
        .await;
    assert_error(
        &got,
        404,
        3001,
        &format!("Meeting does not exist: {}.", &i.uuid[1..]),
    );
    let j = instance(&a, |i| i.uuid.contains("//") && licensed(&a, i) && recent(i));
    assert_eq!(
        a.get(&format!("/report/meetings/{}/participants", encode(&j.uuid, 2)))
            .await
            .0,
        200
    );
    assert_eq!(
        a.get(&format!("/report/meetings/{}/participants", encode(&j.uuid, 1)))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn reports_refuse_old_meetings_and_unlicensed_hosts() {
    let a = api(with_past()).await;
    let old = instance(&a, |i| !recent(i));
    assert_error(
        &a.get(&format!("/report/meetings/{}/participants", encode(&old.uuid, 2)))
            .await,
        400,
        12702,
        "Can not access a meeting a year ago.",
    );
    let basic = instance(&a, |i| recent(i) && !licensed(&a, i));
    assert_error(
        &a.get(&format!(
            "/report/meetings/{}/participants",
            encode(&basic.uuid, 2)
        ))
        .await,
        400,
        200,
        "No permission.",
    );
}

#[tokio::test]
async fn webinar_reports_and_absentees() {
    let a = api(with_past()).await;
    let w = instance(&a, |i| i.kind == EventKind::Webinar);
    let (s, report) = a
        .get(&format!("/report/webinars/{}/participants", w.event_id))
        .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["total_records"], w.participants.len());
    let (s, absent) = a
        .get(&format!("/past_webinars/{}/absentees?page_size=300", w.event_id))
        .await;
    assert_eq!(s, 200, "{absent}");
    let came: Vec<String> = w
        .participants
        .iter()
        .map(|p| p.user_email.to_lowercase())
        .collect();
    let expected: Vec<String> = a
        .sandbox
        .store()
        .registrants(w.event_id)
        .into_iter()
        .filter(|r| r.status == "approved" && !came.contains(&r.email.to_lowercase()))
        .map(|r| r.id)
        .collect();
    let got: Vec<String> = absent["registrants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, expected);
    assert!(!expected.is_empty(), "the seed has absentees");
    // Heavy, as FACTS says.
    let r = a
        .req(Method::GET, &format!("/past_webinars/{}/absentees", w.event_id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-ratelimit-category"], "Heavy");
}
