//! The output layer end to end, with the built binary: the injection guard only
//! on free text and reversed on input (export → users update round trip),
//! JSONL in column order with numbers, --bom, export --dry-run, SIGTERM during
//! an export, and closed pipes.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

fn seeded(users: usize) -> SandboxConfig {
    SandboxConfig {
        seed_users: users,
        ..unlimited()
    }
}

fn args(sandbox: &Sandbox, rest: &[&str]) -> Vec<String> {
    let mut full = sandbox_args_with(sandbox, "sandbox");
    full.extend(fast(rest).iter().map(|s| s.to_string()));
    full
}

/// A user of the sandbox as `GET /users/{id}` answers.
async fn api_user(sandbox: &Sandbox, id: &str) -> serde_json::Value {
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(sandbox.oauth_url())
        .basic_auth("sandbox", Some("sandbox"))
        .form(&[("grant_type", "account_credentials"), ("account_id", "sandbox")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    http.get(format!("{}/users/{id}", sandbox.base_url()))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn partials(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn export_then_users_update_round_trips_guarded_cells_byte_for_byte() {
    let sandbox = start(seeded(0)).await;
    let mut user = zoombulk_sandbox::User::new("plus@example.com", "=SUM(1;2)", "+Plus");
    user.phone_number = "+1 555 010 2030".into();
    user.dept = "-Ops".into();
    let user = sandbox.store().insert_user(user).unwrap();
    let dir = tempdir();
    let export = dir.path().join("users.csv");
    run_fast(
        &sandbox,
        &["users", "export", "--out", export.to_str().unwrap()],
        0,
        "export",
    )
    .await;
    let raw = std::fs::read_to_string(&export).unwrap();
    // Free text is guarded; the phone number, the id and the email are not.
    assert!(raw.contains("'=SUM(1;2),'+Plus,"), "{raw}");
    assert!(raw.contains(",+1 555 010 2030,"), "{raw}");
    assert!(raw.contains(",'-Ops,"), "{raw}");
    assert!(!raw.contains("'+1 555"), "{raw}");

    // Edit: keep the columns to update, cells exactly as exported (guards included).
    let mut reader = csv::Reader::from_path(&export).unwrap();
    let headers = reader.headers().unwrap().clone();
    let keep = ["email", "first_name", "last_name", "dept", "phone_number"];
    let idx: Vec<usize> = keep
        .iter()
        .map(|k| headers.iter().position(|h| h == *k).unwrap())
        .collect();
    let mut w = csv::Writer::from_path(dir.path().join("update.csv")).unwrap();
    w.write_record(keep).unwrap();
    for r in reader.records() {
        let r = r.unwrap();
        if &r[idx[0]] == "plus@example.com" {
            w.write_record(idx.iter().map(|&i| &r[i])).unwrap();
        }
    }
    w.flush().unwrap();
    drop(w);
    let rows = results_of(
        &sandbox,
        &["users", "update"],
        &dir.path().join("update.csv"),
        &[],
        0,
    )
    .await;
    assert_eq!(statuses(&rows), vec!["updated"]);
    let stored = sandbox.store().user_by_id(&user.id).unwrap();
    assert_eq!(stored.first_name, "=SUM(1;2)");
    assert_eq!(stored.last_name, "+Plus");
    assert_eq!(stored.dept, "-Ops");
    assert_eq!(stored.phone_number, "+1 555 010 2030");
    let api = api_user(&sandbox, &user.id).await;
    assert_eq!(api["first_name"], "=SUM(1;2)");
    assert_eq!(api["last_name"], "+Plus");
    assert_eq!(api["phone_number"], "+1 555 010 2030");
}

#[tokio::test(flavor = "multi_thread")]
async fn jsonl_export_keys_in_column_order_numbers_as_numbers_and_bom_for_csv() {
    let sandbox = start(seeded(3)).await;
    let o = run_fast(&sandbox, &["users", "export", "--format", "jsonl"], 0, "jsonl").await;
    let first: serde_json::Value = serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    let keys: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
    // serde_json without preserve_order sorts keys: read the raw line for the order.
    let line = stdout(&o).lines().next().unwrap().to_string();
    assert!(line.starts_with(r#"{"id":"#), "{line}");
    let pos = |k: &str| line.find(&format!("\"{k}\":")).unwrap();
    assert!(
        pos("id") < pos("email")
            && pos("email") < pos("first_name")
            && pos("pmi") < pos("last_client_version")
    );
    assert!(keys.contains(&"type"));
    assert!(first["type"].is_number(), "{line}");
    assert!(first["verified"].is_number(), "{line}");
    assert!(first["id"].is_string(), "{line}");

    let o = run_fast(&sandbox, &["users", "export", "--bom"], 0, "bom").await;
    assert!(o.stdout.starts_with(b"\xEF\xBB\xBFid,email,"), "{}", stdout(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn export_dry_run_prints_the_calls_and_writes_nothing() {
    let sandbox = start(seeded(4_500)).await;
    let dir = tempdir();
    let out = dir.path().join("users.csv");
    let o = run_fast(
        &sandbox,
        &["users", "export", "--dry-run", "--out", out.to_str().unwrap()],
        0,
        "dry run",
    )
    .await;
    let err = stderr(&o);
    assert!(!out.exists(), "nothing written: {err}");
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    assert!(o.stdout.is_empty());
    assert!(err.contains("dry run of users export"), "{err}");
    // 4,500 seeded + the owner, 2,000 a page.
    assert!(err.contains("would send 3 x GET /users?page_size=2000"), "{err}");
    assert!(err.contains("estimated time at the plan's limits"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_an_export_exits_130_keeps_the_previous_file_and_leaves_no_temp() {
    let sandbox = start(SandboxConfig {
        latency: Duration::from_millis(1500),
        ..seeded(4_500)
    })
    .await;
    let dir = tempdir();
    let out = dir.path().join("users.csv");
    std::fs::write(&out, "previous export\n").unwrap();
    let mut child = command(&args(
        &sandbox,
        &["users", "export", "--out", out.to_str().unwrap()],
    ))
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Wait until rows are being written (the temp file has the first page).
    let mut waited = 0;
    let written = |dir: &Path| {
        partials(dir)
            .iter()
            .any(|p| std::fs::metadata(dir.join(p)).is_ok_and(|m| m.len() > 0))
    };
    while !written(dir.path()) {
        assert!(waited < 600, "the export never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .unwrap()
        .unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous export\n");
    assert!(partials(dir.path()).is_empty(), "{:?}", partials(dir.path()));
}

/// Runs the binary with stdout a pipe whose reader has gone (`| true`), or goes
/// after `lines` lines (`| head`), and returns its exit code and stderr.
async fn with_closed_stdout(args: Vec<String>, lines: usize) -> (Option<i32>, String) {
    let mut child = command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout).lines();
    for _ in 0..lines {
        reader.next_line().await.unwrap();
    }
    drop(reader);
    let mut err = String::new();
    let mut stderr = child.stderr.take().unwrap();
    let status = tokio::time::timeout(Duration::from_secs(120), async {
        stderr.read_to_string(&mut err).await.unwrap();
        child.wait().await.unwrap()
    })
    .await
    .unwrap();
    (status.code(), err)
}

#[tokio::test(flavor = "multi_thread")]
async fn export_to_a_closed_pipe_ends_quietly() {
    let sandbox = start(seeded(4_500)).await;
    let (code, err) = with_closed_stdout(args(&sandbox, &["users", "export", "--out", "-"]), 1).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("failed") && !err.contains("panicked"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_and_dry_run_to_a_closed_pipe_do_not_panic() {
    let (code, err) = with_closed_stdout(vec!["completions".into(), "bash".into()], 0).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // `--dry-run 2>&1 | head -1`: the report goes to stderr, whose reader is gone.
    let dir = tempdir();
    let input = write(
        dir.path(),
        "in.csv",
        "email,first_name,last_name\na@example.com,Ann,Lee\n",
    );
    let mut child = command(&[
        "users".into(),
        "import".into(),
        input.to_str().unwrap().into(),
        "--dry-run".into(),
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    drop(child.stderr.take());
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(0), "a panic is 101");
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_command_with_a_closed_stdout_does_not_panic_and_stops_on_sigterm() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = command(&["sandbox".into(), "--port".into(), port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    // Listening means it has printed (into the closed pipe) or is about to.
    let mut tries = 0;
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(tries < 600, "the sandbox never listened");
        tokio::time::sleep(Duration::from_millis(50)).await;
        tries += 1;
    }
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn recordings_dry_run_with_download_counts_files_and_bytes_and_fetches_nothing() {
    let sandbox = start(SandboxConfig {
        seed_users: 20,
        seed_recordings: 30,
        ..unlimited()
    })
    .await;
    let dir = tempdir();
    let out = dir.path().join("rec.csv");
    let archive = dir.path().join("archive");
    let o = run_fast(
        &sandbox,
        &[
            "recordings",
            "export",
            "--from",
            "-200d",
            "--to",
            "today",
            "--dry-run",
            "--out",
            out.to_str().unwrap(),
            "--download",
            archive.to_str().unwrap(),
        ],
        0,
        "dry run",
    )
    .await;
    let err = stderr(&o);
    let recordings = sandbox.store().recordings();
    let files: usize = recordings.iter().map(|m| m.recording_files.len()).sum();
    assert!(files > 0);
    assert!(err.contains("dry run of recordings export"), "{err}");
    assert!(
        err.contains(&format!("{} recording meetings found", recordings.len())),
        "{err}"
    );
    assert!(
        err.contains(&format!("--download would fetch up to {files} files")),
        "{err}"
    );
    // No export and no download directory: nothing fetched, nothing written.
    assert!(!out.exists() && !archive.exists(), "nothing written: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn exports_write_through_dev_null_and_replace_a_symlinks_target() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let sandbox = start(seeded(3)).await;
    run_fast(
        &sandbox,
        &["users", "export", "--out", "/dev/null"],
        0,
        "/dev/null",
    )
    .await;
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );

    let dir = tempdir();
    std::fs::create_dir(dir.path().join("archive")).unwrap();
    let real = dir.path().join("archive/x.csv");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("latest.csv");
    std::os::unix::fs::symlink("archive/x.csv", &link).unwrap();
    run_fast(
        &sandbox,
        &["users", "export", "--out", link.to_str().unwrap()],
        0,
        "symlink",
    )
    .await;
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    let text = std::fs::read_to_string(&real).unwrap();
    assert!(text.starts_with("id,email,"), "{text}");
    // Not tempfile's 0600: readable like any file the user creates.
    let reference = dir.path().join("reference");
    std::fs::File::create(&reference).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&real), mode(&reference));
}
