//! What a client needs to write only truthful rows: when a user was created, batches
//! partly applied at the registrant cap, writes whose answer is lost, missing scopes.

mod common;

use chrono::{DateTime, SubsecRound, Utc};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use zoombulk_sandbox::{Event, LostAnswer};

fn scheduled_meeting(a: &Api) -> Event {
    a.sandbox
        .store()
        .meetings()
        .into_iter()
        .find(|m| m.event_type == 2 && m.approval_type == 0)
        .expect("seed has a scheduled meeting with registration")
}

fn person(email: &str) -> Value {
    json!({"email": email, "first_name": "Reg", "last_name": "Istrant"})
}

fn created_at(v: &Value) -> DateTime<Utc> {
    let text = v["created_at"].as_str().expect("created_at is a string");
    assert!(text.ends_with('Z'), "UTC: {text}");
    DateTime::parse_from_rfc3339(text)
        .expect("RFC 3339")
        .with_timezone(&Utc)
}

#[tokio::test]
async fn users_carry_created_at_set_at_creation() {
    let a = api(bare()).await;
    // Zoom's timestamps have whole seconds.
    let before = Utc::now().trunc_subsecs(0);
    for (action, email) in [("custCreate", "c@example.com"), ("create", "p@example.com")] {
        assert_eq!(a.post("/users", user_body(action, email)).await.0, 201);
    }
    let after = Utc::now();
    let (s, one) = a.get("/users/c@example.com").await;
    assert_eq!(s, 200);
    let t = created_at(&one);
    assert!(before <= t && t <= after, "{before} <= {t} <= {after}");
    let (_, active) = a.get("/users?status=active").await;
    let listed = active["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "c@example.com")
        .expect("listed");
    assert_eq!(created_at(listed), t);
    let (_, pending) = a.get("/users?status=pending").await;
    let p = &pending["users"][0];
    assert_eq!(p["email"], "p@example.com");
    assert!(p.get("id").is_none(), "pending users are listed without id");
    let t = created_at(p);
    assert!(before <= t && t <= after);
}

#[tokio::test]
async fn a_batch_crossing_the_registrant_cap_is_partly_applied_then_3043() {
    let mut cfg = seeded();
    cfg.registrant_cap = usize::MAX;
    let probe = api(cfg.clone()).await;
    let m = scheduled_meeting(&probe);
    let existing = probe.sandbox.store().registrants(m.id).len();
    drop(probe);
    // Room for two more.
    cfg.registrant_cap = existing + 2;
    let a = api(cfg).await;
    let batch: Vec<Value> = (0..5).map(|i| person(&format!("b{i}@example.com"))).collect();
    let got = a
        .post(
            &format!("/meetings/{}/batch_registrants", m.id),
            json!({ "registrants": batch }),
        )
        .await;
    assert_error(&got, 400, 3043, "Meeting has reached maximum attendee capacity.");
    let emails: Vec<String> = a
        .sandbox
        .store()
        .registrants(m.id)
        .into_iter()
        .map(|r| r.email)
        .collect();
    assert_eq!(emails.len(), existing + 2, "added up to the cap");
    assert!(emails.contains(&"b0@example.com".to_string()));
    assert!(emails.contains(&"b1@example.com".to_string()));
    assert!(!emails.contains(&"b2@example.com".to_string()));
    // The full meeting still hands back the registrants it has, in a batch too.
    let (s, again) = a
        .post(
            &format!("/meetings/{}/batch_registrants", m.id),
            json!({ "registrants": [person("b1@example.com")] }),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(again["registrants"][0]["email"], "b1@example.com");
    assert_error(
        &a.post(
            &format!("/meetings/{}/registrants", m.id),
            person("late@example.com"),
        )
        .await,
        400,
        3043,
        "Meeting has reached maximum attendee capacity.",
    );
}

#[tokio::test]
async fn lost_write_answers_apply_the_change_then_answer_502() {
    let mut cfg = seeded();
    cfg.lost_write_rate = 1.0;
    let a = api(cfg).await;
    let m = scheduled_meeting(&a);
    let has = |email: &str| {
        a.sandbox
            .store()
            .registrants(m.id)
            .iter()
            .any(|r| r.email == email)
    };
    let (s, body) = a
        .post(
            &format!("/meetings/{}/registrants", m.id),
            person("one@example.com"),
        )
        .await;
    assert_eq!((s.as_u16(), body["code"].as_i64()), (502, Some(502)));
    assert!(has("one@example.com"), "registered anyway");
    let (s, _) = a
        .post(
            &format!("/meetings/{}/batch_registrants", m.id),
            json!({"registrants": [person("two@example.com"), person("three@example.com")]}),
        )
        .await;
    assert_eq!(s, 502);
    assert!(has("two@example.com") && has("three@example.com"));

    // POST /users is governed by lost_response_rate, not by this knob.
    assert_eq!(
        a.post("/users", user_body("custCreate", "u@example.com")).await.0,
        201
    );
    let (s, _) = a
        .send(Method::PATCH, "/users/u@example.com", json!({"dept": "Sales"}))
        .await;
    assert_eq!(s, 502);
    assert_eq!(
        a.sandbox.store().user_by_email("u@example.com").unwrap().dept,
        "Sales"
    );
    // A refused write is not "lost": its error comes through.
    assert_error(
        &a.send(Method::PATCH, "/users/nobody@example.com", json!({"dept": "x"}))
            .await,
        404,
        1001,
        "User does not exist: nobody@example.com.",
    );
    let (s, _) = a.send(Method::DELETE, "/users/u@example.com", Value::Null).await;
    assert_eq!(s, 502);
    assert!(
        a.sandbox.store().user_by_email("u@example.com").is_none(),
        "deleted anyway"
    );
    // Reads are never lost.
    assert_eq!(a.get(&format!("/meetings/{}/registrants", m.id)).await.0, 200);
    assert_eq!(a.sandbox.stats().responses_lost, 4);
}

#[tokio::test]
async fn lost_write_answers_can_drop_the_connection() {
    let mut cfg = seeded();
    cfg.lost_write_rate = 1.0;
    cfg.lost_answer = LostAnswer::Drop;
    let a = api(cfg).await;
    let m = scheduled_meeting(&a);
    let err = a
        .req(Method::POST, &format!("/meetings/{}/registrants", m.id))
        .json(&person("gone@example.com"))
        .send()
        .await
        .unwrap_err();
    assert!(err.status().is_none(), "no HTTP answer: {err:?}");
    assert!(
        a.sandbox
            .store()
            .registrants(m.id)
            .iter()
            .any(|r| r.email == "gone@example.com"),
        "registered anyway"
    );
    assert_eq!(a.sandbox.stats().connections_dropped, 1);
}

#[tokio::test]
async fn lost_user_creations_can_drop_the_connection_too() {
    let mut cfg = bare();
    cfg.lost_response_rate = 1.0;
    cfg.lost_answer = LostAnswer::Drop;
    let a = api(cfg).await;
    let err = a
        .req(Method::POST, "/users")
        .json(&user_body("custCreate", "dropped@example.com"))
        .send()
        .await
        .unwrap_err();
    assert!(err.status().is_none(), "no HTTP answer: {err:?}");
    assert!(a.sandbox.store().user_by_email("dropped@example.com").is_some());
    assert_eq!(a.sandbox.stats().responses_lost, 1);
}

#[tokio::test]
async fn a_denied_scope_answers_4711_on_the_endpoints_that_need_it() {
    let mut cfg = seeded();
    cfg.deny_scopes = vec!["meeting:write:admin".to_string()];
    let a = api(cfg).await;
    let m = scheduled_meeting(&a);
    let expected = "Invalid access token, does not contain scopes:[meeting:write:admin].";
    for path in [
        format!("/meetings/{}/registrants", m.id),
        format!("/meetings/{}/batch_registrants", m.id),
    ] {
        assert_error(
            &a.post(&path, json!({"registrants": [person("x@example.com")]}))
                .await,
            400,
            4711,
            expected,
        );
    }
    assert!(
        a.sandbox
            .store()
            .registrants(m.id)
            .iter()
            .all(|r| r.email != "x@example.com")
    );
    // Reading the meeting needs meeting:read:admin, which the app has; users are unaffected.
    assert_eq!(a.get(&format!("/meetings/{}", m.id)).await.0, 200);
    assert_eq!(
        a.post("/users", user_body("custCreate", "ok@example.com"))
            .await
            .0,
        201
    );
    // The token says which scopes it carries.
    let cfg = a.sandbox.config();
    let r = a
        .http
        .post(a.sandbox.oauth_url())
        .basic_auth(&cfg.client_id, Some(&cfg.client_secret))
        .form(&[
            ("grant_type", "account_credentials"),
            ("account_id", cfg.account_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    let scopes: Vec<&str> = body["scope"].as_str().unwrap().split(' ').collect();
    assert!(scopes.contains(&"meeting:read:admin"));
    assert!(!scopes.contains(&"meeting:write:admin"));
}

#[test]
fn every_api_route_needs_a_scope() {
    use zoombulk_sandbox::required_scope;
    assert_eq!(required_scope("POST /users"), Some("user:write:admin"));
    assert_eq!(required_scope("GET /users/{userId}"), Some("user:read:admin"));
    assert_eq!(
        required_scope("POST /webinars/{webinarId}/batch_registrants"),
        Some("webinar:write:admin")
    );
    assert_eq!(
        required_scope("GET /users/{userId}/meetings"),
        Some("meeting:read:admin")
    );
    assert_eq!(
        required_scope("GET /users/{userId}/recordings"),
        Some("recording:read:admin")
    );
    assert_eq!(
        required_scope("GET /accounts/{accountId}/recordings"),
        Some("account:read:admin")
    );
}
