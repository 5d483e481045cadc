//! Results that survive: the journal after `kill -9` (also during `--resume`),
//! output paths that never destroy the input or earlier results, JSONL resume,
//! and fixing an invalid row before resuming.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;

const CONCURRENCY: usize = 8;

fn rows_file(n: usize, prefix: &str) -> String {
    let mut text = String::from("email,first_name,last_name\n");
    for i in 0..n {
        text.push_str(&format!("{prefix}{i}@example.com,First{i},Last{i}\n"));
    }
    text
}

fn import_args(sandbox: &Sandbox, input: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = sandbox_args_with(sandbox, "sandbox");
    args.extend(
        [
            "--qps",
            "light=1000,medium=1000,heavy=1000",
            "--concurrency",
            &CONCURRENCY.to_string(),
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    args.extend(["users".into(), "import".into(), input.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn hidden(out: &Path, suffix: &str) -> PathBuf {
    let name = out.file_name().unwrap().to_string_lossy();
    out.with_file_name(format!(".{name}.{suffix}"))
}

/// Rows (1-based) that have an outcome on disk: in the results file or the journal.
fn rows_on_disk(out: &Path) -> HashSet<u64> {
    let mut rows = HashSet::new();
    if let Ok(mut reader) = csv::ReaderBuilder::new().flexible(true).from_path(out) {
        for r in reader.records().flatten() {
            if let Some(n) = r.get(0).and_then(|c| c.parse().ok()) {
                rows.insert(n);
            }
        }
    }
    for file in [hidden(out, "journal"), hidden(out, "previous")] {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for line in text.lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                if let Some(n) = v["row"].as_u64() {
                    rows.insert(n);
                }
            } else if let Some(n) = line.split(',').next().and_then(|c| c.parse().ok()) {
                rows.insert(n);
            }
        }
    }
    rows
}

/// Users of `prefix` that exist in the sandbox but have no row on disk.
fn created_without_a_row(sandbox: &Sandbox, out: &Path, n: usize, prefix: &str) -> Vec<u64> {
    let on_disk = rows_on_disk(out);
    (0..n)
        .filter(|i| {
            sandbox
                .store()
                .user_by_email(&format!("{prefix}{i}@example.com"))
                .is_some()
        })
        .map(|i| i as u64 + 1)
        .filter(|row| !on_disk.contains(row))
        .collect()
}

async fn kill_after(args: &[String], sandbox: &Sandbox, created: usize) {
    let mut child = command(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("zoombulk starts");
    let before = sandbox.store().user_count();
    for _ in 0..2400 {
        if sandbox.store().user_count() >= before + created {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    child.start_kill().expect("kill -9");
    let _ = child.wait().await;
}

fn assert_complete(sandbox: &Sandbox, out: &Path, n: usize) {
    let results = read_results(out);
    assert_eq!(results.len(), n, "one result per input row");
    for (i, row) in results.iter().enumerate() {
        assert_eq!(row["row"], (i + 1).to_string(), "input order");
        assert!(matches!(row["status"].as_str(), "created" | "exists"), "{row:?}");
        assert_eq!(
            row["zoom_id"],
            sandbox.store().user_by_email(&row["email"]).unwrap().id
        );
    }
    for suffix in ["journal", "previous", "folding"] {
        assert!(!hidden(out, suffix).exists(), "no stray .{suffix} file");
    }
    let strays: Vec<_> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(strays.is_empty(), "stray files: {strays:?}");
}

/// Slow, uneven answers keep many finished rows waiting for an earlier one; a
/// kill then must lose at most the rows in flight, in the first run and in a
/// resumed one, and the next resume finishes every row exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn kill_9_loses_at_most_the_rows_in_flight_even_during_resume() {
    let mut cfg = unlimited();
    cfg.latency = Duration::from_millis(150);
    cfg.jitter = Duration::from_millis(150);
    let sandbox = start(cfg).await;
    let dir = tempdir();
    let n = 400;
    let input = write(dir.path(), "hires.csv", rows_file(n, "j"));
    let out = dir.path().join("hires.results.csv");

    kill_after(&import_args(&sandbox, &input, &[]), &sandbox, 60).await;
    let lost = created_without_a_row(&sandbox, &out, n, "j");
    assert!(
        lost.len() <= CONCURRENCY,
        "{} users without a row: {lost:?}",
        lost.len()
    );
    assert!(
        hidden(&out, "journal").exists(),
        "the journal is left for --resume"
    );

    kill_after(&import_args(&sandbox, &input, &["--resume"]), &sandbox, 80).await;
    let lost = created_without_a_row(&sandbox, &out, n, "j");
    assert!(
        lost.len() <= CONCURRENCY,
        "{} users without a row after a killed resume: {lost:?}",
        lost.len()
    );

    let o = run(&import_args(&sandbox, &input, &["--resume"])).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_complete(&sandbox, &out, n);
    assert_eq!(
        (0..n)
            .filter(|i| sandbox
                .store()
                .user_by_email(&format!("j{i}@example.com"))
                .is_some())
            .count(),
        n,
        "nobody created twice, nobody missing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn results_never_overwrite_the_input_or_earlier_results() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let text = rows_file(3, "o");
    let input = write(dir.path(), "in.csv", &text);
    std::os::unix::fs::symlink(&input, dir.path().join("link.csv")).unwrap();
    std::fs::hard_link(&input, dir.path().join("hard.csv")).unwrap();
    let spelled_otherwise = dir.path().join(".").join("in.csv");
    for out in [
        input.clone(),
        spelled_otherwise,
        dir.path().join("link.csv"),
        dir.path().join("hard.csv"),
    ] {
        let o = run(&import_args(&sandbox, &input, &["--out", out.to_str().unwrap()])).await;
        assert_eq!(o.status.code(), Some(2), "{}: {}", out.display(), stderr(&o));
        assert!(stderr(&o).contains("input"), "{}", stderr(&o));
        assert_eq!(std::fs::read_to_string(&input).unwrap(), text, "input untouched");
    }
    assert_eq!(
        sandbox.stats().total_requests,
        0,
        "refused before anything was sent"
    );

    let o = run(&import_args(&sandbox, &input, &[])).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = dir.path().join("in.results.csv");
    let first = std::fs::read(&out).unwrap();
    let o = run(&import_args(&sandbox, &input, &[])).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--resume") && stderr(&o).contains("--force"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&out).unwrap(), first, "earlier results untouched");
    let o = run(&import_args(&sandbox, &input, &["--force"])).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(statuses(&read_results(&out)), ["exists"; 3]);

    // A file that is not a results file is not called one.
    let notes = write(dir.path(), "notes.txt", "my notes\n");
    let o = run(&import_args(
        &sandbox,
        &input,
        &["--out", notes.to_str().unwrap()],
    ))
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not a zoombulk results file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn jsonl_results_resume() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(
        dir.path(),
        "j.csv",
        "email,first_name\nok@example.com,Ok\nbad-email,Bad\n",
    );
    let out = dir.path().join("j.results.jsonl");
    let o = run(&import_args(&sandbox, &input, &["--format", "jsonl"])).await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let first = std::fs::read_to_string(&out).unwrap();
    let id = sandbox.store().user_by_email("ok@example.com").unwrap().id;
    write(
        dir.path(),
        "j.csv",
        "email,first_name\nok@example.com,Ok\nfixed@example.com,Bad\n",
    );
    let o = run(&import_args(&sandbox, &input, &["--format", "jsonl", "--resume"])).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{first}");
    assert_eq!(lines[0]["status"], "created");
    assert_eq!(lines[0]["zoom_id"], id.as_str(), "kept from the first run");
    assert_eq!(lines[1]["status"], "created");
    assert_eq!(lines[1]["email"], "fixed@example.com");
}

/// The README's fix-and-resume workflow: an invalid row's key can be corrected.
#[tokio::test(flavor = "multi_thread")]
async fn resume_checks_a_fixed_invalid_row_again() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(dir.path(), "f.csv", "email\nann@example.com\nbob@example\n");
    let out = dir.path().join("f.results.csv");
    let o = run(&import_args(&sandbox, &input, &[])).await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    write(dir.path(), "f.csv", "email\nann@example.com\nbob@example.com\n");
    let o = run(&import_args(&sandbox, &input, &["--resume"])).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = read_results(&out);
    let by_email: HashMap<_, _> = rows
        .iter()
        .map(|r| (r["email"].as_str(), r["status"].as_str()))
        .collect();
    assert_eq!(by_email["ann@example.com"], "created");
    assert_eq!(by_email["bob@example.com"], "created");
    assert_eq!(
        sandbox.stats().requests_to("POST /users"),
        2,
        "ann was not sent again"
    );
}

/// A done row is never sent again, so `--resume` refuses an input whose done
/// row changed in any column (its result would claim what Zoom does not have).
#[tokio::test(flavor = "multi_thread")]
async fn resume_refuses_a_done_row_whose_cells_changed() {
    let sandbox = start(unlimited()).await;
    let dir = tempdir();
    let input = write(dir.path(), "d.csv", "email,first_name\nann@example.com,Ann\n");
    let out = dir.path().join("d.results.csv");
    let o = run(&import_args(&sandbox, &input, &[])).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = std::fs::read(&out).unwrap();
    write(dir.path(), "d.csv", "email,first_name\nann@example.com,Anna\n");
    let o = run(&import_args(&sandbox, &input, &["--resume"])).await;
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("row 1") && err.contains("first_name") && err.contains("Anna"),
        "{err}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), before, "the results are untouched");
    for suffix in ["journal", "previous", "folding"] {
        assert!(!hidden(&out, suffix).exists(), "no stray .{suffix} file");
    }
    assert_eq!(
        sandbox
            .store()
            .user_by_email("ann@example.com")
            .unwrap()
            .first_name,
        "Ann"
    );
}
