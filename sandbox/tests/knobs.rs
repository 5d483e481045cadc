//! Fault knobs for the client's reliability tests: token endpoint failures, responses
//! without `X-RateLimit-*` headers, and an arbitrary `Retry-After` on 429s.

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use zoombulk_sandbox::TokenFailure;

async fn ask_token(sandbox: &Sandbox) -> Result<reqwest::Response, reqwest::Error> {
    http()
        .post(sandbox.oauth_url())
        .basic_auth("sandbox", Some("sandbox"))
        .form(&[("grant_type", "account_credentials"), ("account_id", "sandbox")])
        .send()
        .await
}

#[tokio::test]
async fn the_first_token_requests_answer_502_with_an_html_page_then_tokens_are_issued() {
    let sandbox = Sandbox::start(SandboxConfig {
        token_failures: 2,
        ..bare()
    })
    .await
    .unwrap();
    for _ in 0..2 {
        let r = ask_token(&sandbox).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(r.headers()["content-type"], "text/html");
        let text = r.text().await.unwrap();
        assert!(text.starts_with("<html>"), "{text}");
    }
    let r = ask_token(&sandbox).await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(body["access_token"].is_string());
    assert_eq!(sandbox.store().issued_tokens().len(), 1);
    let stats = sandbox.stats();
    assert_eq!(stats.requests["POST /oauth/token"]["502"], 2);
    assert_eq!(stats.requests["POST /oauth/token"]["200"], 1);
}

#[tokio::test]
async fn token_requests_can_have_their_connection_dropped() {
    let sandbox = Sandbox::start(SandboxConfig {
        token_failures: 1,
        token_failure: TokenFailure::Drop,
        ..bare()
    })
    .await
    .unwrap();
    let err = ask_token(&sandbox).await.expect_err("no response at all");
    assert!(!err.is_status(), "{err}");
    assert_eq!(ask_token(&sandbox).await.unwrap().status(), 200);
    assert_eq!(sandbox.stats().requests["POST /oauth/token"]["dropped"], 1);
}

#[tokio::test]
async fn without_rate_limit_headers_neither_2xx_nor_429_carry_them() {
    let mut cfg = bare();
    cfg.rate_limit_headers = false;
    cfg.limits = Limits { light: 1, ..GENEROUS };
    let a = api(cfg).await;
    let mut seen = (0, 0);
    // At 1/s, a few quick requests meet both answers.
    for _ in 0..4 {
        let r = a.req(Method::GET, "/users/me").send().await.unwrap();
        assert!(
            !r.headers().keys().any(|k| k.as_str().starts_with("x-ratelimit")),
            "{:?}",
            r.headers()
        );
        match r.status().as_u16() {
            200 => seen.0 += 1,
            429 => {
                seen.1 += 1;
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["code"], 429);
            }
            s => panic!("unexpected {s}"),
        }
    }
    assert!(seen.0 >= 1 && seen.1 >= 1, "{seen:?}");
}

#[tokio::test]
async fn retry_after_knob_is_put_on_every_429() {
    let mut cfg = bare();
    cfg.retry_after = Some("99999999999999".into());
    cfg.limits = Limits {
        daily_medium: 1,
        ..GENEROUS
    };
    let a = api(cfg).await;
    assert_eq!(a.get("/users").await.0, 200);
    let r = a.req(Method::GET, "/users").send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "99999999999999");
    assert_eq!(
        r.headers()["x-ratelimit-type"],
        "Daily-limit",
        "other headers kept"
    );
    // Successes are left alone.
    let r = a.req(Method::GET, "/users/me").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(!r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn latency_can_change_mid_run_and_the_peak_in_flight_is_counted() {
    let a = api(bare()).await;
    let origin = format!("http://{}", a.sandbox.addr());
    // A bad value is refused and changes nothing.
    let r = http()
        .post(format!("{origin}/_sandbox/latency?ms=slow"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = http()
        .post(format!("{origin}/_sandbox/latency?ms=300&jitter_ms=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // Five requests at once, each held 300 ms: they overlap on the server.
    let started = std::time::Instant::now();
    let sends = (0..5).map(|_| a.req(Method::GET, "/users/me").send());
    for r in futures::future::join_all(sends).await {
        assert_eq!(r.unwrap().status(), 200);
    }
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(300),
        "the new latency applies"
    );
    let peak = a.sandbox.stats().peak_in_flight;
    assert!((2..=5).contains(&peak), "{peak}");
    // The library call does the same.
    a.sandbox
        .set_latency(std::time::Duration::ZERO, std::time::Duration::ZERO);
    assert_eq!(a.get("/users/me").await.0, 200);
}
