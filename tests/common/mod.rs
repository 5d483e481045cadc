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

/// A sandbox that never throttles, for tests that are not about rate limits.
pub fn unlimited() -> SandboxConfig {
    let limits = Limits {
        light: 0,
        medium: 0,
        heavy: 0,
        ..Limits::default()
    };
    SandboxConfig { limits, ..config() }
}

/// Client flags to go with [`unlimited`]: no pacing on zoombulk's side either.
pub const FAST: [&str; 2] = ["--qps", "light=1000,medium=1000,heavy=1000"];

/// `FAST` followed by `args`, ready for [`zoombulk`].
pub fn fast<'a>(args: &[&'a str]) -> Vec<&'a str> {
    FAST.iter().copied().chain(args.iter().copied()).collect()
}

/// Runs zoombulk against `sandbox` with [`FAST`] and `args`, and checks its exit
/// status (`why` and stderr are shown when it differs).
pub async fn run_fast(sandbox: &Sandbox, args: &[&str], exit: i32, why: &str) -> Output {
    let out = zoombulk(sandbox, &fast(args)).await;
    assert_eq!(
        out.status.code(),
        Some(exit),
        "{why} zoombulk {args:?}: {}",
        stderr(&out)
    );
    out
}

/// Runs `command` (e.g. `["users", "delete"]`) on `input` with `flags` through
/// [`run_fast`], and reads the results it wrote beside the input.
pub async fn run_file(
    sandbox: &Sandbox,
    command: &[&str],
    input: &Path,
    flags: &[&str],
    exit: i32,
) -> (Output, Vec<HashMap<String, String>>) {
    let file = input.to_str().expect("a UTF-8 temp path");
    let args: Vec<&str> = command
        .iter()
        .copied()
        .chain([file])
        .chain(flags.iter().copied())
        .collect();
    let out = run_fast(sandbox, &args, exit, "").await;
    let stem = input.file_stem().expect("a file name").to_string_lossy();
    let rows = read_results(&input.with_file_name(format!("{stem}.results.csv")));
    (out, rows)
}

/// [`run_file`]'s results rows alone.
pub async fn results_of(
    sandbox: &Sandbox,
    command: &[&str],
    input: &Path,
    flags: &[&str],
    exit: i32,
) -> Vec<HashMap<String, String>> {
    run_file(sandbox, command, input, flags, exit).await.1
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

/// The flags that point zoombulk at `sandbox`, with `secret` as the client secret.
pub fn sandbox_args_with(sandbox: &Sandbox, secret: &str) -> Vec<String> {
    let (base, oauth) = (sandbox.base_url(), sandbox.oauth_url());
    let flags = [
        "--base-url",
        &base,
        "--oauth-url",
        &oauth,
        "--account-id",
        "sandbox",
        "--client-id",
        "sandbox",
    ];
    let mut args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
    args.extend(["--client-secret".to_string(), secret.to_string()]);
    args
}

/// Runs `zoombulk` with the sandbox's URLs and credentials plus `args`. Commands
/// that do not connect (`validate`, `sandbox`, `completions`) refuse connection
/// flags, so they run with `args` alone (less a leading [`FAST`]).
pub async fn zoombulk(sandbox: &Sandbox, args: &[&str]) -> Output {
    let bare = args.strip_prefix(&FAST[..]).unwrap_or(args);
    if bare
        .first()
        .is_some_and(|c| matches!(*c, "validate" | "sandbox" | "completions"))
    {
        return run(&bare.iter().map(|s| s.to_string()).collect::<Vec<_>>()).await;
    }
    let mut full = sandbox_args_with(sandbox, "sandbox");
    full.extend(args.iter().map(|s| s.to_string()));
    run(&full).await
}

/// The `zoombulk` binary with `args`, in an environment with no Zoom settings.
pub fn command(args: &[String]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_zoombulk"));
    cmd.args(args);
    for var in [
        "ZOOM_ACCOUNT_ID",
        "ZOOM_CLIENT_ID",
        "ZOOM_CLIENT_SECRET",
        "ZOOM_ACCESS_TOKEN",
        "ZOOM_API_BASE_URL",
        "ZOOM_OAUTH_URL",
        "ZOOM_PLAN",
        "ZOOMBULK_CONFIG",
        "ZOOMBULK_PROFILE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("XDG_CONFIG_HOME", "/nonexistent-zoombulk-test-config")
        .kill_on_drop(true);
    cmd
}

/// Starts `zoombulk` with `args` (a `sandbox` command) and `env` and returns the child and what it printed
/// up to its stats line.
pub async fn sandbox_banner(args: &[&str], env: &[(&str, &str)]) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut cmd = command(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().expect("starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut printed = String::new();
    while let Ok(Ok(Some(line))) = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await {
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("stats:") {
            break;
        }
    }
    (child, printed)
}

/// Runs `zoombulk` with exactly `args` and waits for it.
pub async fn run(args: &[String]) -> Output {
    tokio::time::timeout(Duration::from_secs(240), command(args).output())
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
    read_table(std::fs::File::open(path).expect("results file exists"))
}

/// A CSV (results, an export on stdout) as column-name -> value maps, unguarded.
pub fn read_table(input: impl std::io::Read) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(input);
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

/// Requests the sandbox answered on `route` (e.g. `"GET /rec/download/{fileId}"`), any status.
pub fn requests_to(sandbox: &Sandbox, route: &str) -> u64 {
    sandbox
        .stats()
        .requests
        .get(route)
        .map(|m| m.values().sum())
        .unwrap_or(0)
}
