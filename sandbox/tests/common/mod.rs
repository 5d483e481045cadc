//! Shared test harness: a sandbox per test on a free loopback port, and a client that
//! speaks to it like zoombulk would.
#![allow(dead_code)]

use std::time::Duration;

use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
pub use zoombulk_sandbox::{Limits, Sandbox, SandboxConfig};

/// Limits high enough that a test never meets a 429 it did not ask for.
pub const GENEROUS: Limits = Limits {
    light: 10_000,
    medium: 10_000,
    heavy: 10_000,
    daily_user_invites: 100_000,
    daily_light: 0,
    daily_medium: 0,
    daily_heavy: 0,
};

/// An empty account (owner only), no limits in the way.
pub fn bare() -> SandboxConfig {
    SandboxConfig {
        limits: GENEROUS,
        seed_users: 0,
        seed_meetings: 0,
        seed_webinars: 0,
        seed_recordings: 0,
        ..SandboxConfig::default()
    }
}

/// A small seeded account.
pub fn seeded() -> SandboxConfig {
    SandboxConfig {
        limits: GENEROUS,
        seed: 7,
        seed_users: 60,
        seed_meetings: 8,
        seed_webinars: 4,
        seed_recordings: 40,
        ..SandboxConfig::default()
    }
}

pub struct Api {
    pub sandbox: Sandbox,
    pub http: Client,
    pub token: String,
}

pub fn http() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

pub async fn token(http: &Client, sandbox: &Sandbox) -> String {
    let cfg = sandbox.config();
    let r = http
        .post(sandbox.oauth_url())
        .basic_auth(&cfg.client_id, Some(&cfg.client_secret))
        .form(&[
            ("grant_type", "account_credentials"),
            ("account_id", cfg.account_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

pub async fn api(cfg: SandboxConfig) -> Api {
    let sandbox = Sandbox::start(cfg).await.unwrap();
    let http = http();
    let token = token(&http, &sandbox).await;
    Api { sandbox, http, token }
}

impl Api {
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.sandbox.base_url()))
            .bearer_auth(&self.token)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        read(self.req(Method::GET, path).send().await.unwrap()).await
    }

    pub async fn send(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        read(self.req(method, path).json(&body).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, body).await
    }

    pub async fn raw(&self, method: Method, path: &str, body: &str) -> (StatusCode, Value) {
        let r = self
            .req(method, path)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        read(r).await
    }
}

/// Status and JSON body (`Value::Null` for an empty body).
pub async fn read(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    let bytes = r.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, body)
}

/// Asserts a Zoom error body exactly.
#[track_caller]
pub fn assert_error(got: &(StatusCode, Value), status: u16, code: i64, message: &str) {
    assert_eq!(got.0.as_u16(), status, "{:?}", got.1);
    assert_eq!(got.1["code"], code, "{:?}", got.1);
    assert_eq!(got.1["message"], message, "{:?}", got.1);
}

/// Asserts a 400/300 `Validation Failed.` naming exactly one field.
#[track_caller]
pub fn assert_validation(got: &(StatusCode, Value), field: &str, message: &str) {
    assert_error(got, 400, 300, "Validation Failed.");
    let errors = got.1["errors"].as_array().expect("errors array");
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == field && e["message"] == message),
        "expected {field}: {message} in {errors:?}"
    );
}

pub fn user_body(action: &str, email: &str) -> Value {
    serde_json::json!({ "action": action, "user_info": { "email": email, "type": 1, "first_name": "Test", "last_name": "User" } })
}
