//! Server-to-Server OAuth and the bearer check.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn oauth(
    sandbox: &Sandbox,
    id: &str,
    secret: &str,
    form: &[(&str, &str)],
    query: &[(&str, &str)],
) -> (StatusCode, Value) {
    let r = http()
        .post(sandbox.oauth_url())
        .basic_auth(id, Some(secret))
        .query(query)
        .form(form)
        .send()
        .await
        .unwrap();
    read(r).await
}

const GRANT: (&str, &str) = ("grant_type", "account_credentials");

#[tokio::test]
async fn token_from_form_body_has_zooms_shape() {
    let sandbox = Sandbox::start(bare()).await.unwrap();
    let r = http()
        .post(sandbox.oauth_url())
        .basic_auth("sandbox", Some("sandbox"))
        .form(&[GRANT, ("account_id", "sandbox")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(
        body["scope"],
        "user:read:admin user:write:admin meeting:read:admin meeting:write:admin webinar:read:admin webinar:write:admin recording:read:admin account:read:admin group:read:admin group:write:admin"
    );
    assert_eq!(
        body["api_url"],
        format!("http://127.0.0.1:{}", sandbox.addr().port())
    );
    let token = body["access_token"].as_str().unwrap();
    assert!(token.len() > 40);
    assert_eq!(sandbox.store().issued_tokens(), vec![token.to_string()]);
}

#[tokio::test]
async fn token_from_query_string_and_several_tokens_valid_at_once() {
    let sandbox = Sandbox::start(bare()).await.unwrap();
    let (s, first) = oauth(
        &sandbox,
        "sandbox",
        "sandbox",
        &[],
        &[GRANT, ("account_id", "sandbox")],
    )
    .await;
    assert_eq!(s, 200, "{first}");
    let (s, second) = oauth(
        &sandbox,
        "sandbox",
        "sandbox",
        &[GRANT, ("account_id", "sandbox")],
        &[],
    )
    .await;
    assert_eq!(s, 200);
    assert_ne!(first["access_token"], second["access_token"], "tokens are random");
    for body in [&first, &second] {
        let r = http()
            .get(format!("{}/users/me", sandbox.base_url()))
            .bearer_auth(body["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "an earlier token stays valid");
    }
}

#[tokio::test]
async fn each_bad_token_request_is_a_400_with_zooms_body() {
    let mut cfg = bare();
    cfg.client_id = "cid".into();
    cfg.client_secret = "csecret".into();
    cfg.account_id = "acct".into();
    let sandbox = Sandbox::start(cfg).await.unwrap();
    let ok = [GRANT, ("account_id", "acct")];
    let got = oauth(&sandbox, "cid", "wrong", &ok, &[]).await;
    assert_eq!(
        got,
        (
            StatusCode::BAD_REQUEST,
            json!({"reason":"Invalid client_id or client_secret","error":"invalid_client"})
        )
    );
    let got = oauth(&sandbox, "other", "csecret", &ok, &[]).await;
    assert_eq!(got.1["error"], "invalid_client");
    let got = oauth(&sandbox, "cid", "csecret", &[GRANT, ("account_id", "nope")], &[]).await;
    assert_eq!(
        got,
        (
            StatusCode::BAD_REQUEST,
            json!({"reason":"Invalid account_id","error":"invalid_request"})
        )
    );
    let got = oauth(&sandbox, "cid", "csecret", &[GRANT], &[]).await;
    assert_eq!(got.1["error"], "invalid_request", "missing account_id");
    let got = oauth(
        &sandbox,
        "cid",
        "csecret",
        &[("grant_type", "client_credentials"), ("account_id", "acct")],
        &[],
    )
    .await;
    assert_eq!(
        got,
        (
            StatusCode::BAD_REQUEST,
            json!({"reason":"unsupported grant type","error":"unsupported_grant_type"})
        )
    );
    // No Basic header at all.
    let r = http().post(sandbox.oauth_url()).form(&ok).send().await.unwrap();
    assert_eq!(read(r).await.1["error"], "invalid_client");
    assert!(sandbox.store().issued_tokens().is_empty());
    let stats = sandbox.stats();
    assert_eq!(stats.requests["POST /oauth/token"]["400"], 6);
}

#[tokio::test]
async fn api_calls_need_a_valid_unexpired_bearer_token() {
    let mut cfg = bare();
    cfg.token_ttl = Duration::from_secs(1);
    let sandbox = Sandbox::start(cfg).await.unwrap();
    let url = format!("{}/users/me", sandbox.base_url());
    let got = read(http().get(&url).send().await.unwrap()).await;
    assert_error(&got, 401, 124, "Invalid access token.");
    let got = read(http().get(&url).bearer_auth("not-a-token").send().await.unwrap()).await;
    assert_error(&got, 401, 124, "Invalid access token.");
    let got = read(
        http()
            .get(&url)
            .basic_auth("sandbox", Some("sandbox"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&got, 401, 124, "Invalid access token.");

    let (_, body) = oauth(
        &sandbox,
        "sandbox",
        "sandbox",
        &[GRANT, ("account_id", "sandbox")],
        &[],
    )
    .await;
    assert_eq!(body["expires_in"], 1);
    let token = body["access_token"].as_str().unwrap().to_string();
    let r = http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("x-ratelimit-category").is_some());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert!(
        r.headers().get("x-ratelimit-category").is_none(),
        "401s carry no rate-limit headers"
    );
    assert_error(&read(r).await, 401, 124, "Access token is expired.");
    // An unknown /v2 route still authenticates first.
    let got = read(
        http()
            .get(format!("{}/nope", sandbox.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&got, 401, 124, "Invalid access token.");
    let got = read(
        http()
            .get(format!("{}/nope", sandbox.base_url()))
            .bearer_auth(token_of(&sandbox).await)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&got, 404, 2300, "This API endpoint is not recognized.");
    assert_eq!(sandbox.stats().requests["GET /users/{userId}"]["401"], 4);
}

async fn token_of(sandbox: &Sandbox) -> String {
    common::token(&http(), sandbox).await
}
