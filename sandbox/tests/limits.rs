//! Per-category rate limits, their headers and 429 bodies, daily caps, and the stats.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Sleeps until just after the next UTC second starts, so a burst lands in one second.
async fn align_to_second() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let wait = Duration::from_millis(1000 - u64::from(now.subsec_millis()) + 20);
    tokio::time::sleep(wait).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_per_second_limit_is_a_429_with_zooms_headers_and_body() {
    let mut cfg = bare();
    cfg.limits = Limits {
        light: 3,
        medium: 2,
        ..Limits::default()
    };
    let a = api(cfg).await;
    align_to_second().await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let req = a.req(Method::GET, "/users/me");
        tasks.push(tokio::spawn(async move { req.send().await.unwrap() }));
    }
    let mut ok = Vec::new();
    let mut limited = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        if r.status() == 429 {
            limited.push(r)
        } else {
            ok.push(r)
        }
    }
    assert_eq!((ok.len(), limited.len()), (3, 3));
    let mut remaining: Vec<String> = Vec::new();
    for r in &ok {
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-ratelimit-category"], "Light");
        assert_eq!(r.headers()["x-ratelimit-type"], "QPS");
        assert_eq!(r.headers()["x-ratelimit-limit"], "3");
        remaining.push(r.headers()["x-ratelimit-remaining"].to_str().unwrap().to_string());
    }
    remaining.sort();
    assert_eq!(remaining, ["0", "1", "2"]);
    for r in limited {
        let h = r.headers().clone();
        assert_eq!(h["x-ratelimit-category"], "Light");
        assert_eq!(h["x-ratelimit-type"], "QPS");
        assert_eq!(h["x-ratelimit-limit"], "3");
        assert_eq!(h["x-ratelimit-remaining"], "0");
        assert!(!h.contains_key("retry-after"));
        let body: Value = r.json().await.unwrap();
        assert_eq!(
            body,
            json!({"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."})
        );
    }
    // Another category has its own quota in the same second.
    let r = a.req(Method::GET, "/users").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-ratelimit-category"], "Medium");
    assert_eq!(r.headers()["x-ratelimit-limit"], "2");

    let stats = a.sandbox.stats();
    assert_eq!(stats.rate_limited["light"], 3);
    assert_eq!(stats.rate_limited["medium"], 0);
    assert!(stats.peak_arrivals_per_second["light"] >= 6);
    assert_eq!(stats.peak_accepted_per_second["light"], 3);
    assert_eq!(stats.requests["GET /users/{userId}"]["429"], 3);

    // The next second has a fresh allowance.
    align_to_second().await;
    assert_eq!(a.get("/users/me").await.0, 200);
}

#[tokio::test]
async fn each_route_reports_its_facts_category() {
    let a = api(seeded()).await;
    let m = a
        .sandbox
        .store()
        .meetings()
        .into_iter()
        .find(|m| m.event_type == 2 && m.registration_enabled())
        .unwrap();
    let checks: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::POST,
            "/users".into(),
            user_body("custCreate", "c@example.com"),
            "Light",
        ),
        (Method::GET, "/users".into(), Value::Null, "Medium"),
        (
            Method::PUT,
            "/users/c@example.com/password".into(),
            json!({"password": "Qw8-otherPass"}),
            "Medium",
        ),
        (
            Method::PUT,
            "/users/c@example.com/status".into(),
            json!({"action": "deactivate"}),
            "Light",
        ),
        (Method::GET, format!("/meetings/{}", m.id), Value::Null, "Light"),
        (
            Method::POST,
            format!("/meetings/{}/registrants", m.id),
            json!({"email": "r@example.com", "first_name": "R"}),
            "Light",
        ),
        (
            Method::GET,
            format!("/meetings/{}/registrants", m.id),
            Value::Null,
            "Medium",
        ),
        (
            Method::POST,
            format!("/meetings/{}/batch_registrants", m.id),
            json!({"registrants": [{"email": "s@example.com", "first_name": "S"}]}),
            "Heavy",
        ),
        (Method::GET, "/users/me/recordings".into(), Value::Null, "Medium"),
        (
            Method::GET,
            "/accounts/me/recordings".into(),
            Value::Null,
            "Medium",
        ),
        (Method::GET, "/users/me/meetings".into(), Value::Null, "Medium"),
        (
            Method::GET,
            "/users/nobody@example.com".into(),
            Value::Null,
            "Light",
        ),
    ];
    for (method, path, body, category) in checks {
        let mut req = a.req(method.clone(), &path);
        if !body.is_null() {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        assert!(r.status().as_u16() < 500, "{method} {path}: {}", r.status());
        assert_eq!(r.headers()["x-ratelimit-category"], category, "{method} {path}");
        assert_eq!(r.headers()["x-ratelimit-type"], "QPS", "{method} {path}");
        assert_eq!(
            zoombulk_sandbox::route_category(&format!("{method} {}", template(&path)))
                .map(|c| c.header_value()),
            Some(category)
        );
    }
}

/// Maps a concrete path back to its route template, for the handful used above.
fn template(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let mut out = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let name = match (i, parts.get(1).copied()) {
            (2, Some("users")) => "{userId}",
            (2, Some("meetings")) => "{meetingId}",
            (2, Some("accounts")) => "{accountId}",
            _ => p,
        };
        out.push(name);
    }
    out.join("/")
}

#[tokio::test]
async fn daily_category_caps_answer_429_daily_limit_with_retry_after() {
    let mut cfg = bare();
    cfg.limits = Limits {
        daily_medium: 2,
        ..GENEROUS
    };
    let a = api(cfg).await;
    assert_eq!(a.get("/users").await.0, 200);
    assert_eq!(a.get("/users").await.0, 200);
    let r = a.req(Method::GET, "/users").send().await.unwrap();
    assert_eq!(r.status(), 429);
    let h = r.headers().clone();
    assert_eq!(h["x-ratelimit-type"], "Daily-limit");
    assert_eq!(h["x-ratelimit-category"], "Medium");
    let retry = httpdate::parse_http_date(h["retry-after"].to_str().unwrap()).unwrap();
    let secs = retry.duration_since(SystemTime::now()).unwrap().as_secs();
    assert!(secs <= 86_400);
    assert!(h["retry-after"].to_str().unwrap().ends_with("00:00:00 GMT"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["message"],
        "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request."
    );
    assert_eq!(a.get("/users/me").await.0, 200, "Light has no daily cap here");
    assert_eq!(a.sandbox.stats().rate_limited["medium"], 1);
}
