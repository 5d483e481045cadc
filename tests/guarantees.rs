//! README guarantees not proved elsewhere: a missing scope stops the rest of the
//! run after the first answer, SIGTERM during a bulk write is Ctrl-C, and
//! `{date}` in an import's `--out`.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::*;

fn rows_file(n: usize, prefix: &str) -> String {
    let mut text = String::from("email,first_name,last_name\n");
    for i in 0..n {
        text.push_str(&format!("{prefix}{i}@example.com,First{i},Last{i}\n"));
    }
    text
}

/// `zoombulk` against `sandbox`, connection flags first, then `rest`.
fn args(sandbox: &Sandbox, rest: &[&str]) -> Vec<String> {
    let mut args = sandbox_args_with(sandbox, "sandbox");
    args.extend(rest.iter().map(|s| s.to_string()));
    args
}

/// Files whose name starts with `.` in `dir` (journals, temp files).
fn hidden_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// A missing OAuth scope is the same answer for every later row: after the first
/// 4711 the remaining rows are written with that error and 0 attempts, not sent.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_scope_is_sent_about_once_and_dooms_the_other_rows_unsent() {
    const CONCURRENCY: u64 = 2;
    const N: usize = 40;
    let sandbox = start(SandboxConfig {
        deny_scopes: vec!["user:write:admin".into()],
        ..unlimited()
    })
    .await;
    let dir = tempdir();
    let input = write(dir.path(), "scope.csv", rows_file(N, "sc"));
    let (out, rows) = run_file(
        &sandbox,
        &["users", "import"],
        &input,
        &["--concurrency", &CONCURRENCY.to_string()],
        3,
    )
    .await;
    assert_eq!(rows.len(), N, "one row per input row: {}", stderr(&out));
    let posts = sandbox.stats().requests_to("POST /users");
    assert!(
        (1..=CONCURRENCY + 1).contains(&posts),
        "{posts} POST /users for a scope that is missing on every row"
    );
    let mut sent: u64 = 0;
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["row"], (i + 1).to_string(), "input order");
        assert_eq!(row["status"], "failed", "{row:?}");
        assert_eq!(row["error_code"], "4711", "{row:?}");
        assert!(
            row["error_message"].contains("user:write:admin"),
            "the message names the missing scope: {row:?}"
        );
        match row["attempts"].as_str() {
            "0" => {}
            "1" => sent += 1,
            other => panic!("attempts {other} for a 4711: {row:?}"),
        }
    }
    assert_eq!(sent, posts, "rows not sent say 0 attempts");
    assert_eq!(sandbox.store().user_count(), 1, "only the owner");
}

/// SIGTERM (what cron, systemd and `timeout` send) stops a bulk write as Ctrl-C
/// does: in-flight rows written, exit 130, no hidden file left, and `--resume`
/// finishes every row exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_during_a_bulk_write_exits_130_leaves_no_hidden_file_and_resumes() {
    const N: usize = 300;
    let mut cfg = config();
    cfg.limits.light = 20;
    cfg.latency = Duration::from_millis(200);
    let sandbox = start(cfg).await;
    let dir = tempdir();
    let input = write(dir.path(), "t.csv", rows_file(N, "t"));
    let out = dir.path().join("t.results.csv");
    let file = input.to_str().expect("UTF-8 path");
    let run_args = args(&sandbox, &["--qps", "light=20", "users", "import", file]);
    let child = command(&run_args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zoombulk starts");
    // Wait for some users to exist, then SIGTERM mid-run.
    let mut waited = 0;
    while sandbox.store().user_count() < 11 {
        assert!(waited < 1200, "the import never started");
        tokio::time::sleep(Duration::from_millis(25)).await;
        waited += 1;
    }
    let pid = child.id().expect("running").to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs")
            .success()
    );
    let o = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("stops after SIGTERM")
        .expect("waits");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("--resume"), "the summary says how to finish: {err}");
    assert!(
        hidden_files(dir.path()).is_empty(),
        "no journal or temp file after an orderly stop: {:?}",
        hidden_files(dir.path())
    );
    let results = read_results(&out);
    assert!(results.len() < N, "stopped early: {} rows", results.len());
    for (i, row) in results.iter().enumerate() {
        assert_eq!(row["row"], (i + 1).to_string(), "input order, no gap");
        assert_eq!(row["email"], format!("t{i}@example.com"));
        assert_eq!(row["status"], "created", "{row:?}");
    }
    assert_eq!(
        sandbox.store().user_count() - 1,
        results.len(),
        "every user created has its row"
    );

    let mut resume_args = run_args.clone();
    resume_args.push("--resume".into());
    let o = run(&resume_args).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let results = read_results(&out);
    assert_eq!(results.len(), N);
    let mut seen = HashMap::new();
    for (i, row) in results.iter().enumerate() {
        assert_eq!(row["row"], (i + 1).to_string());
        assert_eq!(row["status"], "created", "{row:?}");
        let user = sandbox.store().user_by_email(&row["email"]).expect("exists");
        assert_eq!(row["zoom_id"], user.id);
        assert!(seen.insert(row["email"].clone(), ()).is_none());
    }
    assert_eq!(sandbox.store().user_count(), N + 1, "nobody created twice");
    // Sent once each: the only repeats allowed are 429s, which Zoom refused
    // unprocessed (the resumed run may share its first second with the stopped one's
    // last, as any other app on the account would).
    let stats = sandbox.stats();
    let creates = stats.requests.get("POST /users").cloned().unwrap_or_default();
    let processed: u64 = creates.iter().filter(|(s, _)| *s != "429").map(|(_, n)| n).sum();
    assert_eq!(processed, N as u64, "each row sent once: {creates:?}");
    assert!(hidden_files(dir.path()).is_empty());
}

/// `{date}` in an import's `--out` is today's UTC date, relative to the working
/// directory, and the dated file is protected like any other results file.
#[tokio::test(flavor = "multi_thread")]
async fn out_with_date_names_the_results_file_and_a_second_run_refuses() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(dir.path(), "d.csv", rows_file(3, "d"));
    let file = input.to_str().expect("UTF-8 path");
    let before = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let run_in_dir = |extra: &[&str]| {
        let mut a = args(&sandbox, &FAST);
        a.extend(
            ["users", "import", file, "--out", "res-{date}.csv"]
                .iter()
                .chain(extra)
                .map(|s| s.to_string()),
        );
        let mut cmd = command(&a);
        cmd.current_dir(dir.path());
        cmd
    };
    let o = run_in_dir(&[]).output().await.expect("runs");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let after = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let dated = [before, after]
        .iter()
        .map(|d| dir.path().join(format!("res-{d}.csv")))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("no dated results file in {:?}", std::fs::read_dir(dir.path())));
    assert!(!dir.path().join("res-{date}.csv").exists());
    assert_eq!(statuses(&read_results(&dated)), ["created"; 3]);
    let first = std::fs::read(&dated).expect("read");

    let o = run_in_dir(&[]).output().await.expect("runs");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--resume") && stderr(&o).contains("--force"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&dated).expect("read"), first, "kept as it was");
    assert_eq!(sandbox.stats().requests_to("POST /users"), 3, "nothing sent");

    let o = run_in_dir(&["--resume"]).output().await.expect("runs");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read(&dated).expect("read"), first, "all done already");
    assert_eq!(sandbox.stats().requests_to("POST /users"), 3);
}

/// The results guard free text only: a phone number starting with `+` and the
/// email are written as they are, a name starting with `=` gets its `'`.
#[tokio::test(flavor = "multi_thread")]
async fn results_guard_free_text_but_not_phone_numbers_or_emails() {
    let sandbox = start(unlimited()).await;
    sandbox
        .store()
        .insert_user(zoombulk_sandbox::User::new("ann@example.com", "Old", "Name"))
        .expect("new user");
    let dir = tempdir();
    let input = write(
        dir.path(),
        "guard.csv",
        "email,first_name,phone_number,notes\nann@example.com,=Ann,+1 555 010 2030,-note\n",
    );
    let (_, rows) = run_file(&sandbox, &["users", "update"], &input, &[], 0).await;
    assert_eq!(statuses(&rows), ["updated"]);
    let raw = std::fs::read_to_string(dir.path().join("guard.results.csv")).unwrap();
    let line = raw.lines().nth(1).unwrap();
    assert!(
        line.starts_with("1,ann@example.com,'=Ann,+1 555 010 2030,'-note,updated"),
        "{line}"
    );
}

/// Results on stdout whose reader goes away (`| head -1`): no panic, and the
/// run says that results are missing instead of ending as if interrupted.
#[tokio::test(flavor = "multi_thread")]
async fn results_to_a_closed_stdout_end_with_a_plain_error() {
    use tokio::io::AsyncBufReadExt;
    let mut cfg = unlimited();
    cfg.latency = Duration::from_millis(50);
    let sandbox = start(cfg).await;
    let dir = tempdir();
    let mut text = String::from("email\n");
    for i in 0..200 {
        text.push_str(&format!("pipe{i}@example.com\n"));
    }
    let input = write(dir.path(), "pipe.csv", text);
    let mut args = sandbox_args_with(&sandbox, "sandbox");
    args.extend(
        [
            "--qps",
            "light=1000",
            "users",
            "import",
            input.to_str().unwrap(),
            "--out",
            "-",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let mut child = command(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zoombulk starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    lines.next_line().await.unwrap().expect("the header line");
    drop(lines);
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("stdout was closed"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
