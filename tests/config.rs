//! Where credentials come from, end to end: the built binary against a sandbox
//! that accepts exactly one set (`acct` / `cid` / `good`). A wrong set from the
//! source that should win makes the run fail; the right one makes it pass.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{Sandbox, SandboxConfig, stderr};

const GOOD: [(&str, &str); 3] = [
    ("ZOOM_ACCOUNT_ID", "acct"),
    ("ZOOM_CLIENT_ID", "cid"),
    ("ZOOM_CLIENT_SECRET", "good"),
];
const WRONG: [(&str, &str); 3] = [
    ("ZOOM_ACCOUNT_ID", "acct"),
    ("ZOOM_CLIENT_ID", "cid"),
    ("ZOOM_CLIENT_SECRET", "wrong"),
];

async fn sandbox() -> Sandbox {
    common::start(SandboxConfig {
        account_id: "acct".into(),
        client_id: "cid".into(),
        client_secret: "good".into(),
        ..common::unlimited()
    })
    .await
}

/// `users export --out -` (it connects and checks the credentials) with `args`
/// and `env`; `home` is the XDG config directory.
async fn export(home: &Path, env: &[(&str, &str)], args: &[String]) -> Output {
    let mut words: Vec<String> = ["users", "export", "--out", "-"].map(String::from).to_vec();
    words.extend(args.iter().cloned());
    let mut cmd = common::command(&words);
    cmd.env("XDG_CONFIG_HOME", home);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.expect("zoombulk runs")
}

/// The sandbox's URLs as flags: settings, not credentials.
fn urls(sandbox: &Sandbox) -> Vec<String> {
    vec![
        "--base-url".into(),
        sandbox.base_url(),
        "--oauth-url".into(),
        sandbox.oauth_url(),
    ]
}

fn with(mut a: Vec<String>, more: &[&str]) -> Vec<String> {
    a.extend(more.iter().map(|s| s.to_string()));
    a
}

/// Writes `text` as `dir/zoombulk/config.toml` with `mode`.
fn config_file(dir: &Path, text: &str, mode: u32) -> PathBuf {
    let path = dir.join("zoombulk").join("config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    path
}

fn set(secret: &str, sandbox: Option<&Sandbox>) -> String {
    let mut text = format!("account_id = \"acct\"\nclient_id = \"cid\"\nclient_secret = \"{secret}\"\n");
    if let Some(s) = sandbox {
        text.push_str(&format!(
            "base_url = \"{}\"\noauth_url = \"{}\"\n",
            s.base_url(),
            s.oauth_url()
        ));
    }
    text
}

fn assert_exit(o: &Output, code: i32, why: &str) {
    assert_eq!(o.status.code(), Some(code), "{why}: {}", stderr(o));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_file_alone_is_enough_and_must_be_private() {
    let sandbox = sandbox().await;
    let home = common::tempdir();
    config_file(home.path(), &set("good", Some(&sandbox)), 0o600);
    assert_exit(
        &export(home.path(), &[], &[]).await,
        0,
        "credentials and URLs from the file",
    );
    #[cfg(unix)]
    {
        config_file(home.path(), &set("good", Some(&sandbox)), 0o644);
        let o = export(home.path(), &[], &[]).await;
        assert_exit(&o, 1, "a file others can read");
        assert!(stderr(&o).contains("chmod 600"), "{}", stderr(&o));
        assert!(!stderr(&o).contains("good"), "no secret in the message");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn profile_picks_a_section_and_wins_over_the_environment() {
    let sandbox = sandbox().await;
    let home = common::tempdir();
    let text = format!(
        "{}\n[profile.eu]\n{}",
        set("wrong", None),
        set("good", Some(&sandbox))
    );
    let path = config_file(home.path(), &text, 0o600);
    let config = vec!["--config".to_string(), path.display().to_string()];
    let urls_and = |more: &[&str]| with(with(urls(&sandbox), &["--config", path.to_str().unwrap()]), more);
    assert_exit(
        &export(home.path(), &[], &with(config.clone(), &["--profile", "eu"])).await,
        0,
        "[profile.eu] with its URLs",
    );
    assert_exit(
        &export(home.path(), &[], &urls_and(&[])).await,
        1,
        "top-level keys: wrong secret",
    );
    // A profile chosen on the command line is a command-line choice: it wins over the environment.
    assert_exit(
        &export(home.path(), &WRONG, &urls_and(&["--profile", "eu"])).await,
        0,
        "--profile over the environment",
    );
    let o = export(home.path(), &[], &urls_and(&["--profile", "us"])).await;
    assert_exit(&o, 1, "an unknown profile");
    assert!(
        stderr(&o).contains("profile.us") && stderr(&o).contains("eu"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_environment_wins_over_the_config_file_as_a_whole_set() {
    let sandbox = sandbox().await;
    let home = common::tempdir();
    config_file(home.path(), &set("wrong", None), 0o600);
    assert_exit(
        &export(home.path(), &GOOD, &urls(&sandbox)).await,
        0,
        "env over file",
    );
    config_file(home.path(), &set("good", None), 0o600);
    assert_exit(
        &export(home.path(), &WRONG, &urls(&sandbox)).await,
        1,
        "env wins even when wrong",
    );
    // A partial environment is not completed from the file: it is an error naming it.
    let o = export(home.path(), &[("ZOOM_CLIENT_SECRET", "good")], &urls(&sandbox)).await;
    assert_exit(&o, 1, "partial environment");
    let err = stderr(&o);
    assert!(
        err.contains("the environment") && err.contains("account id, client id"),
        "{err}"
    );
    assert!(!err.contains("good"), "never the secret: {err}");
    // An empty variable counts as unset.
    let blank = [("ZOOM_CLIENT_SECRET", ""), ("ZOOM_CLIENT_ID", "")];
    assert_exit(
        &export(home.path(), &blank, &urls(&sandbox)).await,
        0,
        "blank env, file used",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn flags_win_over_the_environment_and_a_partial_flag_set_is_refused() {
    let sandbox = sandbox().await;
    let home = common::tempdir();
    let flags = |secret: &str| {
        with(
            urls(&sandbox),
            &[
                "--account-id",
                "acct",
                "--client-id",
                "cid",
                "--client-secret",
                secret,
            ],
        )
    };
    assert_exit(
        &export(home.path(), &WRONG, &flags("good")).await,
        0,
        "flags over env",
    );
    assert_exit(
        &export(home.path(), &GOOD, &flags("wrong")).await,
        1,
        "flags win even when wrong",
    );
    let before = sandbox.stats().total_requests;
    let o = export(home.path(), &GOOD, &with(urls(&sandbox), &["--client-id", "cid"])).await;
    assert_exit(&o, 1, "a client id alone on the command line");
    assert!(
        stderr(&o).contains("the command line") && stderr(&o).contains("account id, client secret"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        sandbox.stats().total_requests,
        before,
        "nothing sent with a mixed set"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_on_the_command_line_wins_over_client_credentials_elsewhere() {
    let sandbox = sandbox().await;
    let home = common::tempdir();
    config_file(home.path(), &set("wrong", None), 0o600);
    let token: serde_json::Value = reqwest::Client::new()
        .post(sandbox.oauth_url())
        .basic_auth("cid", Some("good"))
        .form(&[("grant_type", "account_credentials"), ("account_id", "acct")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().expect("a token").to_string();
    let args = with(urls(&sandbox), &["--token", &token]);
    assert_exit(
        &export(home.path(), &WRONG, &args).await,
        0,
        "--token over env and file",
    );
    let o = export(
        home.path(),
        &GOOD,
        &with(urls(&sandbox), &["--token", "not-a-token"]),
    )
    .await;
    assert_exit(&o, 1, "the flag's token is used, not the environment's set");
    assert!(!stderr(&o).contains("not-a-token"), "{}", stderr(&o));
}
