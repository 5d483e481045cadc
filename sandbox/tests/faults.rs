//! Injected failures: deterministic 5xx without side effects, dropped connections, lost
//! responses that did create the user, latency; and the stats endpoint.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

async fn statuses(seed: u64, n: usize) -> Vec<u16> {
    let mut cfg = bare();
    cfg.seed = seed;
    cfg.fault_rate = 0.3;
    let a = api(cfg).await;
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(
            a.req(Method::GET, "/users/me")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    out
}

#[tokio::test]
async fn the_same_seed_replays_the_same_faults() {
    let first = statuses(11, 60).await;
    assert_eq!(first, statuses(11, 60).await);
    assert_ne!(first, statuses(12, 60).await);
    let faults = first.iter().filter(|s| **s >= 500).count();
    assert!((8..=30).contains(&faults), "about 30% of 60: {first:?}");
    for code in [500, 502, 503] {
        assert!(first.contains(&code) || faults < 10, "{code} in {first:?}");
    }
}

#[tokio::test]
async fn a_fault_has_a_zoom_shaped_body_and_no_side_effect() {
    let mut cfg = bare();
    cfg.fault_rate = 0.5;
    cfg.seed = 3;
    let a = api(cfg).await;
    let mut failed = 0;
    for i in 0..40 {
        let email = format!("f{i}@example.com");
        let (s, body) = a.post("/users", user_body("custCreate", &email)).await;
        let exists = a.sandbox.store().user_by_email(&email).is_some();
        match s.as_u16() {
            201 => assert!(exists),
            status @ (500 | 502 | 503) => {
                failed += 1;
                assert!(!exists, "a fault creates nothing");
                assert_eq!(body["code"], status);
                assert!(body["message"].is_string());
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(failed > 5);
    assert_eq!(a.sandbox.stats().faults_injected, failed);
    // The token endpoint is never faulted.
    for _ in 0..10 {
        common::token(&a.http, &a.sandbox).await;
    }
}

#[tokio::test]
async fn a_dropped_connection_is_a_transport_error_and_creates_nothing() {
    let mut cfg = bare();
    cfg.drop_rate = 1.0;
    let a = api(cfg).await;
    let err = a
        .req(Method::POST, "/users")
        .json(&user_body("custCreate", "d@example.com"))
        .send()
        .await
        .unwrap_err();
    assert!(err.status().is_none(), "no HTTP response at all: {err:?}");
    assert!(a.sandbox.store().user_by_email("d@example.com").is_none());
    assert!(a.req(Method::GET, "/users/me").send().await.is_err());
    let stats = a.sandbox.stats();
    assert_eq!(stats.connections_dropped, 2);
    assert_eq!(stats.requests["POST /users"]["dropped"], 1);
    // The server itself is fine: OAuth still answers.
    common::token(&a.http, &a.sandbox).await;
}

#[tokio::test]
async fn a_lost_response_created_the_user_and_a_retry_meets_409() {
    let mut cfg = bare();
    cfg.lost_response_rate = 1.0;
    let a = api(cfg).await;
    let (s, body) = a
        .post("/users", user_body("custCreate", "lost@example.com"))
        .await;
    assert_eq!(s, 502);
    assert_eq!(body["code"], 502);
    assert!(
        a.sandbox.store().user_by_email("lost@example.com").is_some(),
        "created anyway"
    );
    let again = a
        .post("/users", user_body("custCreate", "lost@example.com"))
        .await;
    assert_error(
        &again,
        409,
        1005,
        "Email \"lost@example.com\" has already been used.",
    );
    let stats = a.sandbox.stats();
    assert_eq!(stats.responses_lost, 1);
    assert_eq!(stats.users_created_by_email["lost@example.com"], 1);
    assert_eq!(stats.requests["POST /users"]["502"], 1);
    // Only POST /users loses responses.
    assert_eq!(a.get("/users/lost@example.com").await.0, 200);
}

#[tokio::test]
async fn latency_and_jitter_apply_to_the_api_only() {
    let mut cfg = bare();
    cfg.latency = Duration::from_millis(300);
    cfg.jitter = Duration::from_millis(50);
    let a = api(cfg).await;
    let t = Instant::now();
    a.get("/users/me").await;
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(100) && took < Duration::from_millis(600),
        "{took:?}"
    );
    let t = Instant::now();
    common::token(&a.http, &a.sandbox).await;
    assert!(t.elapsed() < Duration::from_millis(200), "OAuth is not delayed");
}

#[tokio::test]
async fn the_stats_endpoint_needs_no_auth_and_matches_the_accessor() {
    let a = api(bare()).await;
    a.post("/users", user_body("custCreate", "s1@example.com")).await;
    a.post("/users", user_body("custCreate", "s1@example.com")).await;
    a.get("/users").await;
    let url = format!("{}/_sandbox/stats", a.sandbox.base_url().trim_end_matches("/v2"));
    let r = a.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["requests"]["POST /users"], json!({"201": 1, "409": 1}));
    assert_eq!(body["requests"]["GET /users"], json!({"200": 1}));
    assert_eq!(body["requests"]["POST /oauth/token"], json!({"200": 1}));
    assert_eq!(
        body["total_requests"], 4,
        "the stats endpoint does not count itself"
    );
    assert_eq!(body["users_created_by_email"], json!({"s1@example.com": 1}));
    for key in [
        "rate_limited",
        "peak_arrivals_per_second",
        "peak_accepted_per_second",
    ] {
        assert_eq!(
            body[key].as_object().unwrap().len(),
            3,
            "{key}: light, medium, heavy"
        );
    }
    let typed: zoombulk_sandbox::Stats = serde_json::from_value(body).unwrap();
    assert_eq!(typed, a.sandbox.stats());
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let a = api(bare()).await;
    let url = a.sandbox.base_url();
    let Api { sandbox, http, token } = a;
    sandbox.shutdown().await;
    assert!(
        http.get(format!("{url}/users/me"))
            .bearer_auth(token)
            .send()
            .await
            .is_err()
    );
}
