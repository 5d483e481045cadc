//! Meetings, webinars, registrants (single and batch) and meeting creation.

mod common;

use std::collections::HashSet;

use common::*;
use serde_json::{Value, json};
use zoombulk_sandbox::{Event, Registrant};

fn meeting(a: &Api, pred: impl Fn(&Event) -> bool) -> Event {
    a.sandbox
        .store()
        .meetings()
        .into_iter()
        .find(|m| pred(m))
        .expect("seed has such a meeting")
}

fn webinar(a: &Api, pred: impl Fn(&Event) -> bool) -> Event {
    a.sandbox
        .store()
        .webinars()
        .into_iter()
        .find(|m| pred(m))
        .expect("seed has such a webinar")
}

fn person(email: &str) -> Value {
    json!({"email": email, "first_name": "Reg", "last_name": "Istrant"})
}

#[tokio::test]
async fn seeded_meetings_and_webinars_cover_the_registration_cases() {
    let a = api(seeded()).await;
    let open = meeting(&a, |m| m.event_type == 2 && m.approval_type == 0);
    let manual = meeting(&a, |m| m.event_type == 2 && m.approval_type == 1);
    meeting(&a, |m| m.event_type == 2 && m.approval_type == 2);
    let recurring = meeting(&a, |m| m.event_type == 8 && m.registration_enabled());
    assert!(recurring.occurrences.len() > 1);
    webinar(&a, |w| w.event_type == 5 && w.registration_enabled());
    webinar(&a, |w| w.event_type == 5 && !w.registration_enabled());
    let (s, body) = a.get(&format!("/meetings/{}", open.id)).await;
    assert_eq!(s, 200);
    assert_eq!(body["id"], open.id);
    assert_eq!(body["type"], 2);
    assert_eq!(body["settings"]["approval_type"], 0);
    assert!(body["registration_url"].is_string());
    assert_eq!(body["host_id"], open.host_id);
    let (_, rec) = a.get(&format!("/meetings/{}", recurring.id)).await;
    assert_eq!(
        rec["occurrences"].as_array().unwrap().len(),
        recurring.occurrences.len()
    );
    assert!(!a.sandbox.store().registrants(manual.id).is_empty());
    assert_error(
        &a.get("/meetings/12345").await,
        404,
        3001,
        "Meeting does not exist: 12345.",
    );
    assert_error(
        &a.get("/webinars/12345").await,
        404,
        3001,
        "Webinar does not exist: 12345.",
    );
    assert_error(
        &a.get(&format!("/webinars/{}", open.id)).await,
        404,
        3001,
        &format!("Webinar does not exist: {}.", open.id),
    );
}

#[tokio::test]
async fn registering_returns_201_and_the_same_registrant_on_repeat() {
    let a = api(seeded()).await;
    let m = meeting(&a, |m| m.event_type == 2 && m.approval_type == 0);
    let path = format!("/meetings/{}/registrants", m.id);
    let (s, first) = a.post(&path, person("reg@example.com")).await;
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["id"], m.id);
    assert_eq!(first["topic"], m.topic);
    assert_eq!(first["occurrences"], json!([]));
    assert!(first["join_url"].as_str().unwrap().starts_with("https://"));
    assert!(first["start_time"].as_str().unwrap().ends_with('Z'));
    let (s, again) = a.post(&path, person("REG@example.com")).await;
    assert_eq!(s, 201);
    assert_eq!(
        (&again["registrant_id"], &again["join_url"]),
        (&first["registrant_id"], &first["join_url"])
    );
    let stored: Vec<Registrant> = a
        .sandbox
        .store()
        .registrants(m.id)
        .into_iter()
        .filter(|r| r.email.eq_ignore_ascii_case("reg@example.com"))
        .collect();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].status, "approved");
    assert_eq!(stored[0].id, first["registrant_id"]);
}

#[tokio::test]
async fn manual_approval_makes_pending_registrants_unless_auto_approved() {
    let a = api(seeded()).await;
    let m = meeting(&a, |m| m.event_type == 2 && m.approval_type == 1);
    let path = format!("/meetings/{}/registrants", m.id);
    let (_, p) = a.post(&path, person("wait@example.com")).await;
    let (_, q) = a
        .post(
            &path,
            json!({"email": "vip@example.com", "first_name": "V", "auto_approve": true}),
        )
        .await;
    let status = |id: &Value| {
        a.sandbox
            .store()
            .registrants(m.id)
            .into_iter()
            .find(|r| r.id == *id)
            .unwrap()
            .status
    };
    assert_eq!(status(&p["registrant_id"]), "pending");
    assert_eq!(status(&q["registrant_id"]), "approved");
}

#[tokio::test]
async fn every_registrant_field_rule_is_checked() {
    let a = api(seeded()).await;
    let m = meeting(&a, |m| m.event_type == 2 && m.approval_type == 0);
    let path = format!("/meetings/{}/registrants", m.id);
    let with = |k: &str, v: Value| {
        let mut b = person("f@example.com");
        b[k] = v;
        b
    };
    let cases = [
        (json!({"first_name": "No"}), "email", "This field is required."),
        (
            json!({"email": "x@example.com"}),
            "first_name",
            "This field is required.",
        ),
        (with("email", json!("bad@")), "email", "Invalid field."),
        (with("country", json!("USA")), "country", "Invalid field."),
        (with("country", json!("us")), "country", "Invalid field."),
        // The listing's spellings are not the POST enum (FACTS: Registrants).
        (
            with("no_of_employees", json!("101-250")),
            "no_of_employees",
            "Invalid field.",
        ),
        (
            with("no_of_employees", json!("501-1,000")),
            "no_of_employees",
            "Invalid field.",
        ),
        (with("language", json!("")), "language", "Invalid field."),
        (with("language", json!("tr-TR")), "language", "Invalid field."),
        (
            with("no_of_employees", json!("1-10")),
            "no_of_employees",
            "Invalid field.",
        ),
        (
            with("purchasing_time_frame", json!("Soon")),
            "purchasing_time_frame",
            "Invalid field.",
        ),
        (
            with("role_in_purchase_process", json!("Buyer")),
            "role_in_purchase_process",
            "Invalid field.",
        ),
        (with("language", json!("english")), "language", "Invalid field."),
        (
            with("custom_questions", json!([{"title": "Q"}])),
            "custom_questions[0]",
            "Invalid field.",
        ),
        (
            with("custom_questions", json!({"title": "Q", "value": "A"})),
            "custom_questions",
            "Invalid field.",
        ),
        (
            with("first_name", json!("x".repeat(65))),
            "first_name",
            "Length of this field must be less than or equal to 64.",
        ),
        (
            with("occurrence_ids", json!("1")),
            "occurrence_ids",
            "Unrecognized field.",
        ),
        (
            with("auto_approve", json!("yes")),
            "auto_approve",
            "Invalid field.",
        ),
    ];
    for (body, field, message) in cases {
        assert_validation(&a.post(&path, body).await, field, message);
    }
    let full = json!({
        "email": "full@example.com", "first_name": "Full", "last_name": "Form", "address": "1 Main St", "city": "Springfield",
        "state": "IL", "zip": "62701", "country": "US", "phone": "+1 555 0100", "comments": "Hi", "industry": "Software",
        "job_title": "CTO", "org": "Acme", "no_of_employees": "1,001-5,000", "purchasing_time_frame": "1-3 months",
        "role_in_purchase_process": "Evaluator/Recommender", "language": "fr-FR",
        "custom_questions": [{"title": "Dietary needs", "value": "None"}]
    });
    assert_eq!(a.post(&path, full).await.0, 201);
    let r = a
        .sandbox
        .store()
        .registrants(m.id)
        .into_iter()
        .find(|r| r.email == "full@example.com")
        .unwrap();
    assert_eq!(
        (
            r.country.as_str(),
            r.no_of_employees.as_str(),
            r.custom_questions.len()
        ),
        ("US", "1,001-5,000", 1)
    );
    for v in [
        "1-20",
        "21-50",
        "51-100",
        "101-500",
        "500-1,000",
        "5,001-10,000",
        "More than 10,000",
        "",
    ] {
        assert_eq!(
            a.post(&path, with("no_of_employees", json!(v))).await.0,
            201,
            "{v}"
        );
    }
    assert_error(
        &a.raw(reqwest::Method::POST, &path, "nope").await,
        400,
        300,
        "Request Body should be a valid JSON object.",
    );
}

#[tokio::test]
async fn registration_off_unknown_ids_and_the_4999_cap() {
    let a = api(seeded()).await;
    let off = meeting(&a, |m| m.approval_type == 2);
    let got = a
        .post(
            &format!("/meetings/{}/registrants", off.id),
            person("x@example.com"),
        )
        .await;
    assert_error(&got, 400, 3000, "Cannot register for this meeting.");
    let w_off = webinar(&a, |w| !w.registration_enabled());
    let got = a
        .post(
            &format!("/webinars/{}/registrants", w_off.id),
            person("x@example.com"),
        )
        .await;
    assert_error(
        &got,
        400,
        3000,
        &format!(
            "This webinar does not have registration as required: {}.",
            w_off.id
        ),
    );
    assert_error(
        &a.post("/meetings/999/registrants", person("x@example.com")).await,
        404,
        3001,
        "Meeting does not exist: 999.",
    );
    assert_error(
        &a.post("/webinars/999/registrants", person("x@example.com")).await,
        404,
        3001,
        "Webinar does not exist: 999.",
    );

    let m = meeting(&a, |m| m.event_type == 2 && m.approval_type == 0);
    let existing = a.sandbox.store().registrants(m.id).len();
    for i in existing..4_999 {
        a.sandbox
            .store()
            .insert_registrant(m.id, Registrant::new(&format!("fill{i}@example.com"), "F", ""))
            .unwrap();
    }
    let got = a
        .post(
            &format!("/meetings/{}/registrants", m.id),
            person("late@example.com"),
        )
        .await;
    assert_error(&got, 400, 3043, "Meeting has reached maximum attendee capacity.");
    let (s, _) = a
        .post(
            &format!("/meetings/{}/registrants", m.id),
            person(&format!("fill{existing}@example.com")),
        )
        .await;
    assert_eq!(s, 201, "an existing registrant still gets their link back");
    let got = a
        .post(
            &format!("/meetings/{}/batch_registrants", m.id),
            json!({"registrants": [person("late@example.com")]}),
        )
        .await;
    assert_error(&got, 400, 3043, "Meeting has reached maximum attendee capacity.");
}

#[tokio::test]
async fn recurring_meetings_take_occurrence_ids() {
    let a = api(seeded()).await;
    let m = meeting(&a, |m| m.event_type == 8 && m.registration_enabled());
    let second = &m.occurrences[1].occurrence_id;
    let (s, body) = a
        .post(
            &format!("/meetings/{}/registrants?occurrence_ids={second}", m.id),
            person("occ@example.com"),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["occurrences"].as_array().unwrap().len(), 1);
    assert_eq!(body["occurrences"][0]["occurrence_id"], *second);
    let (_, all) = a
        .post(
            &format!("/meetings/{}/registrants", m.id),
            person("all@example.com"),
        )
        .await;
    assert_eq!(all["occurrences"].as_array().unwrap().len(), m.occurrences.len());
    let got = a
        .post(
            &format!("/meetings/{}/registrants?occurrence_ids=42", m.id),
            person("bad@example.com"),
        )
        .await;
    assert_error(&got, 400, 300, "Invalid parameter: occurrence_ids");
}

#[tokio::test]
async fn batch_registration_rules() {
    let a = api(seeded()).await;
    let m = meeting(&a, |m| m.event_type == 2 && m.approval_type == 0);
    let path = format!("/meetings/{}/batch_registrants", m.id);
    let existing = a.sandbox.store().registrants(m.id)[0].clone();
    let mut people: Vec<Value> = (0..29).map(|i| person(&format!("b{i}@example.com"))).collect();
    people.push(json!({"email": existing.email, "first_name": "Again"}));
    let (s, body) = a
        .post(
            &path,
            json!({"auto_approve": true, "registrants_confirmation_email": false, "registrants": people}),
        )
        .await;
    assert_eq!(s, 201, "{body}");
    let rows = body["registrants"].as_array().unwrap();
    assert_eq!(rows.len(), 30);
    for row in rows {
        let keys: HashSet<&str> = row.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            HashSet::from(["email", "registrant_id", "join_url", "participant_pin_code"])
        );
    }
    assert_eq!(
        rows[29]["registrant_id"], existing.id,
        "an existing registrant comes back as is"
    );
    let (_, single) = a
        .post(
            &format!("/meetings/{}/registrants", m.id),
            person("b3@example.com"),
        )
        .await;
    assert_eq!(single["registrant_id"], rows[3]["registrant_id"]);

    let too_many: Vec<Value> = (0..31).map(|i| person(&format!("t{i}@example.com"))).collect();
    assert_validation(
        &a.post(&path, json!({"registrants": too_many})).await,
        "registrants",
        "A batch can register at most 30 registrants.",
    );
    assert!(
        a.sandbox
            .store()
            .registrants(m.id)
            .iter()
            .all(|r| !r.email.starts_with('t')),
        "nothing registered"
    );
    let extra = json!({"registrants": [{"email": "e@example.com", "first_name": "E", "city": "Paris"}]});
    assert_validation(
        &a.post(&path, extra).await,
        "registrants[0].city",
        "Unrecognized field.",
    );
    assert_validation(
        &a.post(&path, json!({"registrants": [{"email": "e@example.com"}]}))
            .await,
        "registrants[0].first_name",
        "This field is required.",
    );
    assert_validation(
        &a.post(&path, json!({"registrants": []})).await,
        "registrants",
        "This field is required.",
    );
    assert_validation(
        &a.post(&path, json!({})).await,
        "registrants",
        "This field is required.",
    );

    let recurring = meeting(&a, |m| m.event_type == 8 && m.registration_enabled());
    let got = a
        .post(
            &format!("/meetings/{}/batch_registrants", recurring.id),
            json!({"registrants": [person("r@example.com")]}),
        )
        .await;
    assert_error(
        &got,
        400,
        303,
        "This API can only be used for scheduled meeting(meeting type: 2). Batch registration is not supported for other meeting types.",
    );
    let off = meeting(&a, |m| m.event_type == 2 && m.approval_type == 2);
    let got = a
        .post(
            &format!("/meetings/{}/batch_registrants", off.id),
            json!({"registrants": [person("r@example.com")]}),
        )
        .await;
    assert_error(
        &got,
        400,
        3000,
        &format!("Registration has not been enabled for this meeting: {}.", off.id),
    );
    assert_error(
        &a.post("/meetings/1/batch_registrants", json!({"registrants": []}))
            .await,
        404,
        3001,
        "Meeting does not exist: 1.",
    );

    let w = webinar(&a, |w| w.event_type == 5 && w.registration_enabled());
    let wpath = format!("/webinars/{}/batch_registrants", w.id);
    assert_eq!(
        a.post(&wpath, json!({"registrants": [person("w@example.com")]}))
            .await
            .0,
        201
    );
    assert_validation(
        &a.post(
            &wpath,
            json!({"registrants_confirmation_email": true, "registrants": [person("w@example.com")]}),
        )
        .await,
        "registrants_confirmation_email",
        "Unrecognized field.",
    );
    let recurring_w = webinar(&a, |w| w.event_type == 9);
    let got = a
        .post(
            &format!("/webinars/{}/batch_registrants", recurring_w.id),
            json!({"registrants": [person("w@example.com")]}),
        )
        .await;
    assert_error(
        &got,
        400,
        300,
        "This API can only be used for scheduled webinars (type 5). Batch registration is not supported for other webinar types.",
    );
    assert_eq!(
        a.sandbox.stats().requests["POST /meetings/{meetingId}/batch_registrants"]["201"],
        1
    );
}

#[tokio::test]
async fn registrant_listing_filters_by_status_and_pages() {
    let a = api(seeded()).await;
    let m = meeting(&a, |m| m.event_type == 2 && m.approval_type == 1);
    let all = a.sandbox.store().registrants(m.id);
    for status in ["approved", "pending", "denied"] {
        let expected: Vec<&Registrant> = all.iter().filter(|r| r.status == status).collect();
        let mut got: Vec<String> = Vec::new();
        let mut token = String::new();
        loop {
            let q = if status == "approved" {
                String::new()
            } else {
                format!("&status={status}")
            };
            let (s, page) = a
                .get(&format!(
                    "/meetings/{}/registrants?page_size=3{q}&next_page_token={token}",
                    m.id
                ))
                .await;
            assert_eq!(s, 200, "{page}");
            assert_eq!(page["total_records"], expected.len());
            for r in page["registrants"].as_array().unwrap() {
                assert_eq!(r["status"], status);
                got.push(r["id"].as_str().unwrap().to_string());
            }
            token = page["next_page_token"].as_str().unwrap().to_string();
            if token.is_empty() {
                break;
            }
        }
        assert_eq!(
            got,
            expected.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
            "{status}"
        );
    }
    assert_error(
        &a.get(&format!("/meetings/{}/registrants?status=maybe", m.id))
            .await,
        400,
        300,
        "Invalid parameter: status",
    );
    let (_, page) = a
        .get(&format!("/meetings/{}/registrants?page_size=1000", m.id))
        .await;
    assert_eq!(page["page_size"], 300);
    let r0 = &page["registrants"][0];
    for key in [
        "id",
        "email",
        "first_name",
        "last_name",
        "status",
        "create_time",
        "join_url",
        "custom_questions",
        "country",
    ] {
        assert!(r0.get(key).is_some(), "{key} in {r0}");
    }
}

#[tokio::test]
async fn creating_meetings_lists_them_and_caps_at_100_per_user_per_day() {
    let a = api(bare()).await;
    let body = json!({
        "topic": "Onboarding", "type": 2, "start_time": "2030-01-02T15:00:00Z", "duration": 45, "timezone": "UTC",
        "settings": {"approval_type": 1, "registration_type": 1, "host_video": true}
    });
    let (s, m) = a.post("/users/me/meetings", body.clone()).await;
    assert_eq!(s, 201, "{m}");
    assert_eq!(
        (m["topic"].as_str(), m["type"].as_u64(), m["duration"].as_u64()),
        (Some("Onboarding"), Some(2), Some(45))
    );
    assert_eq!(m["start_time"], "2030-01-02T15:00:00Z");
    let id = m["id"].as_u64().unwrap();
    let (_, reg) = a
        .post(&format!("/meetings/{id}/registrants"), person("new@example.com"))
        .await;
    assert_eq!(a.sandbox.store().registrants(id)[0].id, reg["registrant_id"]);
    let (_, rec) = a
        .post("/users/me/meetings", json!({"type": 8, "start_time": "2030-01-02T15:00:00Z", "recurrence": {"type": 1, "end_times": 3}, "settings": {"approval_type": 0}}))
        .await;
    assert_eq!(rec["occurrences"].as_array().unwrap().len(), 3);
    assert_validation(
        &a.post("/users/me/meetings", json!({"type": 8})).await,
        "recurrence",
        "This field is required.",
    );
    assert_validation(
        &a.post("/users/me/meetings", json!({"type": 4})).await,
        "type",
        "Invalid field.",
    );
    assert_validation(
        &a.post("/users/me/meetings", json!({"start_time": "tomorrow"}))
            .await,
        "start_time",
        "Invalid field.",
    );
    assert_error(
        &a.post("/users/ghost@example.com/meetings", body.clone()).await,
        404,
        1001,
        "User does not exist: ghost@example.com.",
    );

    let (_, listed) = a.get("/users/me/meetings?page_size=1").await;
    assert_eq!(listed["total_records"], 2);
    assert_eq!(listed["meetings"].as_array().unwrap().len(), 1);
    let token = listed["next_page_token"].as_str().unwrap();
    let (_, next) = a
        .get(&format!("/users/me/meetings?page_size=1&next_page_token={token}"))
        .await;
    assert_eq!(next["meetings"][0]["id"], rec["id"]);
    assert_eq!(next["next_page_token"], "");

    for _ in 2..100 {
        assert_eq!(a.post("/users/me/meetings", body.clone()).await.0, 201);
    }
    let r = a
        .req(reqwest::Method::POST, "/users/me/meetings")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-ratelimit-type"], "Daily-limit");
    assert!(r.headers().contains_key("retry-after"));
    assert_error(
        &read(r).await,
        429,
        429,
        "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00.",
    );
    assert_eq!(a.sandbox.store().meetings().len(), 100);
}

#[tokio::test]
async fn webinar_listing_per_user() {
    let a = api(seeded()).await;
    let w = webinar(&a, |_| true);
    let (s, body) = a.get(&format!("/users/{}/webinars", w.host_id)).await;
    assert_eq!(s, 200);
    assert!(
        body["webinars"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == w.id)
    );
    assert_error(
        &a.get("/users/nobody@example.com/webinars").await,
        404,
        1001,
        "User does not exist: nobody@example.com.",
    );
}

#[tokio::test]
async fn upcoming_and_previous_listings_reach_six_months() {
    let a = api(bare()).await;
    let now = chrono::Utc::now();
    let mut ids = Vec::new();
    for days in [-240i64, -30, 30, 240] {
        let start = (now + chrono::Duration::days(days))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let (s, m) = a
            .post(
                "/users/me/meetings",
                json!({"topic": format!("{days} days"), "type": 2, "start_time": start, "duration": 30}),
            )
            .await;
        assert_eq!(s, 201, "{m}");
        ids.push(m["id"].clone());
    }
    let listed = |body: Value| -> Vec<Value> {
        body["meetings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].clone())
            .collect()
    };
    let (_, all) = a.get("/users/me/meetings?type=scheduled").await;
    assert_eq!(listed(all).len(), 4);
    let (_, upcoming) = a.get("/users/me/meetings?type=upcoming_meetings").await;
    assert_eq!(
        listed(upcoming),
        [ids[2].clone()],
        "240 days ahead is past the 6 months"
    );
    let (_, previous) = a.get("/users/me/meetings?type=previous_meetings").await;
    assert_eq!(
        listed(previous),
        [ids[1].clone()],
        "240 days back is past the 6 months"
    );
}
