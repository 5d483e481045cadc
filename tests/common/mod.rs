//! Shared harness: a sandbox on loopback in the test process, and the real
//! `zoombulk` binary run against it as a user would run it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

#[allow(unused_imports)]
pub use zoombulk_sandbox::{Limits, Sandbox, SandboxConfig};

/// A sandbox with Pro limits and no seeded users beyond the owner.
pub fn config() -> SandboxConfig {
    SandboxConfig {
        port: 0,
        seed_users: 0,
        seed_meetings: 0,
        seed_webinars: 0,
        seed_recordings: 0,
        ..SandboxConfig::default()
    }
}

pub async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

/// A scratch directory for input and results files.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write input");
    path
}

/// Runs `zoombulk` with the sandbox's URLs and credentials plus `args`.
pub async fn zoombulk(sandbox: &Sandbox, args: &[&str]) -> Output {
    let mut full: Vec<String> = vec![
        "--base-url".into(),
        sandbox.base_url(),
        "--oauth-url".into(),
        sandbox.oauth_url(),
        "--account-id".into(),
        "sandbox".into(),
        "--client-id".into(),
        "sandbox".into(),
        "--client-secret".into(),
        "sandbox".into(),
    ];
    full.extend(args.iter().map(|s| s.to_string()));
    run(&full).await
}

/// Runs `zoombulk` with exactly `args` (no sandbox wiring), with a clean environment.
pub async fn run(args: &[String]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_zoombulk"));
    cmd.args(args)
        .env_remove("ZOOM_ACCOUNT_ID")
        .env_remove("ZOOM_CLIENT_ID")
        .env_remove("ZOOM_CLIENT_SECRET")
        .env_remove("ZOOM_ACCESS_TOKEN")
        .env_remove("ZOOM_API_BASE_URL")
        .env_remove("ZOOM_OAUTH_URL")
        .env_remove("ZOOM_PLAN")
        .env_remove("ZOOMBULK_CONFIG")
        .env_remove("ZOOMBULK_PROFILE")
        .env("XDG_CONFIG_HOME", "/nonexistent-zoombulk-test-config")
        .kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(240), cmd.output())
        .await
        .expect("zoombulk finished within 240 s")
        .expect("zoombulk runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A cell as a script reads it: the CSV-injection guard `'` removed.
pub fn unguard(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_string(),
        _ => cell.to_string(),
    }
}

/// A results file as a list of column-name -> value maps, in file order, with the
/// injection guard removed (tests of the guard read the raw file).
pub fn read_results(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("results file exists");
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("well-formed results row");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), unguard(v)))
                .collect()
        })
        .collect()
}

pub fn statuses(rows: &[HashMap<String, String>]) -> Vec<String> {
    rows.iter().map(|r| r["status"].clone()).collect()
}
