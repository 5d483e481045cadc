//! `zoombulk sandbox`: serves on 127.0.0.1, prints where and with which credentials.

mod common;

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_command_prints_urls_and_credentials_that_work() {
    let args = [
        "sandbox",
        "--port",
        "0",
        "--client-secret",
        "let-me-in",
        "--seed-users",
        "3",
    ];
    let (mut child, printed) = common::sandbox_banner(&args, &[]).await;
    let field = |name: &str| {
        printed
            .lines()
            .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| panic!("{name} printed: {printed}"))
    };
    let (base, oauth) = (field("base URL:"), field("OAuth URL:"));
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/v2"),
        "{printed}"
    );
    assert_eq!(field("account id:"), "sandbox");
    assert_eq!(field("client secret:"), "let-me-in");

    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(&oauth)
        .basic_auth("sandbox", Some("let-me-in"))
        .form(&[("grant_type", "account_credentials"), ("account_id", "sandbox")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"]
        .as_str()
        .expect("a token for the printed credentials");
    let users: serde_json::Value = http
        .get(format!("{base}/users"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users["total_records"], 4, "owner + 3 seeded: {users}");
    child.start_kill().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_command_withholds_the_scopes_it_is_told_to() {
    let args = [
        "sandbox",
        "--port",
        "0",
        "--seed-users",
        "0",
        "--deny-scope",
        "user:read:admin",
        "--registrant-cap",
        "10",
        "--lost-write-rate",
        "0.5",
    ];
    let (mut child, printed) = common::sandbox_banner(&args, &[]).await;
    assert!(printed.contains("denied scopes: user:read:admin"), "{printed}");
    let base = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("base URL:").map(|v| v.trim().to_string()))
        .unwrap_or_else(|| panic!("base URL printed: {printed}"));
    let oauth = base.replace("/v2", "/oauth/token");
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(&oauth)
        .basic_auth("sandbox", Some("sandbox"))
        .form(&[("grant_type", "account_credentials"), ("account_id", "sandbox")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!token["scope"].as_str().unwrap_or("").contains("user:read:admin"));
    let access = token["access_token"].as_str().expect("a token");
    let r = http
        .get(format!("{base}/users"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], 4711);
    assert_eq!(
        body["message"],
        "Invalid access token, does not contain scopes:[user:read:admin]."
    );
    child.start_kill().unwrap();
}
