//! `recordings archive` end to end against the sandbox: copy, verify, then trash or
//! delete; nothing unverified is ever removed from Zoom; lost answers are looked up;
//! S3 against a real S3-compatible server (moto) started by the test.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use common::*;
use sha2::{Digest, Sha256};
use zoombulk_sandbox::{RecordingFile, RecordingMeeting};

type Row = HashMap<String, String>;

/// A few recordings, two users, nothing in the way.
fn seeded() -> SandboxConfig {
    SandboxConfig {
        seed_users: 3,
        seed_recordings: 12,
        seed: 11,
        ..unlimited()
    }
}

/// `recordings archive` of everything older than 30 days into `to`, results at `out`.
fn archive_args<'a>(to: &'a str, out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "recordings",
        "archive",
        "--older-than",
        "30d",
        "--from",
        "-200d",
        "--to",
        to,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}

fn downloads(sandbox: &Sandbox) -> u64 {
    requests_to(sandbox, "GET /rec/download/{fileId}")
}

fn deletes(sandbox: &Sandbox) -> u64 {
    requests_to(sandbox, "DELETE /meetings/{meetingId}/recordings")
}

/// The recordings older than 30 days, as the store has them.
fn old_recordings(sandbox: &Sandbox) -> Vec<RecordingMeeting> {
    let cutoff = chrono::Utc::now().date_naive() - chrono::Days::new(30);
    sandbox
        .store()
        .recordings()
        .into_iter()
        .filter(|m| m.start_time.date_naive() <= cutoff)
        .collect()
}

/// The file a row names, as the sandbox serves it (matched by meeting and type/id).
fn served(sandbox: &Sandbox, row: &Row) -> Vec<u8> {
    let m = sandbox
        .store()
        .recordings()
        .into_iter()
        .find(|m| m.uuid == row["meeting_uuid"])
        .expect("the meeting exists");
    let f = m
        .recording_files
        .iter()
        .find(|f| f.id.clone().unwrap_or_default() == row["file_id"] && f.file_type == row["file_type"])
        .expect("the file exists");
    sandbox.recording_file_bytes(&f.download_id).unwrap()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread")]
async fn archive_verifies_every_file_then_trashes_and_a_rerun_downloads_nothing() {
    let sandbox = start(seeded()).await;
    let old = old_recordings(&sandbox);
    assert!(old.len() >= 3, "the seed has old recordings");
    let dir = tempdir();
    let (out, to) = (dir.path().join("archive.csv"), dir.path().join("store"));
    let to_s = to.to_str().unwrap();

    let o = run_fast(&sandbox, &archive_args(to_s, &out, &[]), 0, "keep").await;
    let rows = read_results(&out);
    let expected: usize = old.iter().map(|m| m.recording_files.len()).sum();
    assert_eq!(rows.len(), expected, "one row per file of every old recording");
    for row in &rows {
        assert_eq!(row["verified"], "true", "{row:?}");
        assert_eq!(row["status"], "downloaded", "{row:?}");
        assert_eq!(row["zoom_action"], "kept", "{row:?}");
        let on_disk = std::fs::read(&row["location"]).unwrap();
        assert_eq!(on_disk, served(&sandbox, row));
        assert_eq!(row["sha256"], sha(&on_disk));
        assert_eq!(row["bytes"], on_disk.len().to_string());
    }
    assert!(
        stderr(&o).contains("nothing was removed from Zoom"),
        "{}",
        stderr(&o)
    );
    // The downloads count against the Light budget, and the summary says so.
    assert!(
        stderr(&o).contains("GET recording_file.download_url"),
        "{}",
        stderr(&o)
    );
    let manifest = std::fs::read_to_string(to.join(".zoombulk-manifest.jsonl")).unwrap();
    assert!(
        manifest.contains(&rows[0]["sha256"]),
        "the manifest has the digests"
    );
    assert_eq!(deletes(&sandbox), 0, "--then keep sends no DELETE");

    // The nightly run: nothing is downloaded again, every recording is trashed.
    let fetched = downloads(&sandbox);
    run_fast(
        &sandbox,
        &archive_args(to_s, &out, &["--then", "trash"]),
        0,
        "trash",
    )
    .await;
    assert_eq!(downloads(&sandbox), fetched, "the manifest spared every download");
    let rows = read_results(&out);
    assert_eq!(rows.len(), expected);
    for row in &rows {
        assert_eq!(row["status"], "skipped", "{row:?}");
        assert_eq!(row["verified"], "true", "{row:?}");
        assert_eq!(row["zoom_action"], "trashed", "{row:?}");
    }
    let old_uuids: HashSet<String> = old.iter().map(|m| m.uuid.clone()).collect();
    for m in sandbox.store().recordings() {
        assert_eq!(
            m.trashed,
            old_uuids.contains(&m.uuid),
            "only old recordings are trashed"
        );
    }

    // An interrupted run writes no results file; --resume still reports the recordings
    // it trashed (no longer listed) from the journal beside the manifest.
    std::fs::remove_file(&out).unwrap();
    assert!(to.join(".zoombulk-archive-journal.jsonl").is_file());
    run_fast(
        &sandbox,
        &archive_args(to_s, &out, &["--then", "trash", "--resume"]),
        0,
        "",
    )
    .await;
    assert_eq!(read_results(&out).len(), expected, "earlier rows carried over");
    run_fast(&sandbox, &archive_args(to_s, &out, &["--then", "trash"]), 0, "").await;
    assert!(
        read_results(&out).is_empty(),
        "without --resume: only what this run saw"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_downloads_never_let_an_unverified_recording_be_trashed() {
    let sandbox = start(seeded()).await;
    let dir = tempdir();
    let (out, to) = (dir.path().join("archive.csv"), dir.path().join("store"));
    let to_s = to.to_str().unwrap();
    run_fast(&sandbox, &archive_args(to_s, &out, &[]), 0, "keep").await;
    let rows = read_results(&out);
    // Two recordings lose a file on disk: one with an id, one without (CC/TIMELINE).
    let with_id = rows.iter().find(|r| !r["file_id"].is_empty()).unwrap().clone();
    let without_id = rows
        .iter()
        .find(|r| r["file_id"].is_empty() && r["meeting_uuid"] != with_id["meeting_uuid"])
        .expect("the seed has a CC or TIMELINE file")
        .clone();
    std::fs::remove_file(&with_id["location"]).unwrap();
    std::fs::remove_file(&without_id["location"]).unwrap();
    // Every download now breaks off part-way.
    sandbox.set_download_truncation(1.0);
    let o = run_fast(
        &sandbox,
        &archive_args(to_s, &out, &["--then", "trash", "--max-retries", "0"]),
        3,
        "two files could not be fetched",
    )
    .await;
    assert!(sandbox.downloads_truncated() > 0);
    let rows = read_results(&out);
    let kept: HashSet<&str> = [&with_id, &without_id]
        .iter()
        .map(|r| r["meeting_uuid"].as_str())
        .collect();
    let store: HashMap<String, RecordingMeeting> = sandbox
        .store()
        .recordings()
        .into_iter()
        .map(|m| (m.uuid.clone(), m))
        .collect();
    for row in &rows {
        let trashed = store[&row["meeting_uuid"]].trashed;
        if kept.contains(row["meeting_uuid"].as_str()) {
            assert!(
                !trashed,
                "a recording with an unverified file stays in Zoom: {row:?}"
            );
            assert_eq!(row["zoom_action"], "kept", "{row:?}");
            assert!(row["message"].contains("not verified"), "{row:?}");
        } else {
            assert!(trashed, "{row:?}");
            assert_eq!(row["verified"], "true", "{row:?}");
        }
        if row["verified"] != "true" {
            assert_eq!(row["status"], "failed", "{row:?}");
            assert!(!trashed);
        }
    }
    assert!(stderr(&o).contains("need attention"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_delete_answer_is_looked_up_before_the_row_is_written() {
    let mut cfg = seeded();
    cfg.lost_write_rate = 1.0;
    let sandbox = start(cfg).await;
    let dir = tempdir();
    let (out, to) = (dir.path().join("archive.csv"), dir.path().join("store"));
    run_fast(
        &sandbox,
        &archive_args(to.to_str().unwrap(), &out, &["--then", "trash"]),
        0,
        "the look-up finds them trashed",
    )
    .await;
    let rows = read_results(&out);
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!(row["zoom_action"], "trashed", "{row:?}");
        assert!(row["message"].contains("answer was lost"), "{row:?}");
    }
    assert!(old_recordings(&sandbox).iter().all(|m| m.trashed));
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_shows_what_would_move_and_sends_nothing() {
    let sandbox = start(seeded()).await;
    let dir = tempdir();
    let (out, to) = (dir.path().join("archive.csv"), dir.path().join("store"));
    let o = run_fast(
        &sandbox,
        &archive_args(to.to_str().unwrap(), &out, &["--then", "trash", "--dry-run"]),
        0,
        "",
    )
    .await;
    let err = stderr(&o);
    let old = old_recordings(&sandbox);
    let files: usize = old.iter().map(|m| m.recording_files.len()).sum();
    assert!(
        err.contains(&format!("{} recordings started", old.len())),
        "{err}"
    );
    assert!(err.contains(&format!("{files} files")), "{err}");
    assert!(err.contains("would then move up to"), "{err}");
    assert!(err.contains(&old[0].uuid), "recordings are named: {err}");
    assert_eq!(downloads(&sandbox), 0);
    assert_eq!(deletes(&sandbox), 0);
    assert!(!to.exists() && !out.exists(), "nothing written");
}

#[tokio::test(flavor = "multi_thread")]
async fn then_delete_needs_a_confirmation_and_is_permanent() {
    let sandbox = start(seeded()).await;
    let dir = tempdir();
    let (out, to) = (dir.path().join("archive.csv"), dir.path().join("store"));
    let to_s = to.to_str().unwrap();
    let o = run_fast(
        &sandbox,
        &archive_args(to_s, &out, &["--then", "delete"]),
        2,
        "no terminal",
    )
    .await;
    assert!(stderr(&o).contains("--yes"), "{}", stderr(&o));
    assert_eq!(downloads(&sandbox), 0, "nothing was sent");
    let old = old_recordings(&sandbox);
    run_fast(
        &sandbox,
        &archive_args(to_s, &out, &["--then", "delete", "--yes"]),
        0,
        "",
    )
    .await;
    let rows = read_results(&out);
    assert!(rows.iter().all(|r| r["zoom_action"] == "deleted"), "{rows:?}");
    let left: HashSet<String> = sandbox.store().recordings().into_iter().map(|m| m.uuid).collect();
    assert!(
        old.iter().all(|m| !left.contains(&m.uuid)),
        "deleted for good, not in the trash"
    );
}

// ---- S3 ---------------------------------------------------------------------------------------

/// A moto S3 server on a free port, stopped on drop.
struct Moto {
    child: std::process::Child,
    endpoint: String,
    python: String,
}

impl Moto {
    /// An object's text, read with boto3 (which moto brings along).
    fn read(&self, bucket: &str, key: &str) -> String {
        let script = format!(
            "import boto3,sys; s=boto3.client('s3', endpoint_url='{}', aws_access_key_id='k', \
             aws_secret_access_key='s', region_name='us-east-1'); \
             sys.stdout.write(s.get_object(Bucket='{bucket}', Key='{key}')['Body'].read().decode())",
            self.endpoint
        );
        let out = std::process::Command::new(&self.python)
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python with moto: `ZOOMBULK_MOTO_PYTHON`, the venv `.ci/run` makes, or python3.
fn moto_python() -> Option<String> {
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/target/moto-venv/bin/python");
    let candidates = [
        std::env::var("ZOOMBULK_MOTO_PYTHON").ok(),
        Some(venv.into()),
        Some("python3".into()),
    ];
    candidates.into_iter().flatten().find(|py| {
        std::process::Command::new(py)
            // Finds the package without importing it (moto takes seconds to import).
            .args([
                "-c",
                "import importlib.util, sys; sys.exit(importlib.util.find_spec('moto') is None)",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

async fn start_moto() -> Option<Moto> {
    let python = moto_python()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = std::process::Command::new(&python)
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
        python,
    };
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if http.get(&moto.endpoint).send().await.is_ok() {
            return Some(moto);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn archive_to_s3_uploads_in_parts_verifies_and_skips_on_rerun() {
    let Some(moto) = start_moto().await else {
        eprintln!(
            "SKIPPED archive_to_s3_uploads_in_parts_verifies_and_skips_on_rerun: no moto S3 server \
             (install it with `python3 -m pip install 'moto[server]'`, or run .ci/run which does)"
        );
        return;
    };
    let http = reqwest::Client::new();
    let created = http
        .put(format!("{}/nightly", moto.endpoint))
        .send()
        .await
        .unwrap();
    assert!(
        created.status().is_success(),
        "bucket created: {}",
        created.status()
    );

    let sandbox = start(seeded()).await;
    // One file bigger than a part, so the upload has more than one part.
    let mut big = old_recordings(&sandbox)[0].clone();
    big.uuid = "/big//uuid+=".into();
    big.id = 81_999_999_999;
    big.recording_files.truncate(1);
    big.recording_files[0] = RecordingFile {
        download_id: String::new(),
        file_size: 9 * 1024 * 1024 + 17,
        ..big.recording_files[0].clone()
    };
    sandbox.store().insert_recording(big);

    let dir = tempdir();
    let out = dir.path().join("archive.csv");
    let staging = dir.path().join("staging");
    let extra = [
        "--then",
        "trash",
        "--s3-endpoint",
        &moto.endpoint,
        "--staging",
        staging.to_str().unwrap(),
    ];
    let args: Vec<String> = sandbox_args_with(&sandbox, "sandbox")
        .into_iter()
        .chain(FAST.iter().map(|s| s.to_string()))
        .chain(
            archive_args("s3://nightly/zoom", &out, &extra)
                .iter()
                .map(|s| s.to_string()),
        )
        .collect();
    let run = |args: Vec<String>| async move {
        let mut cmd = command(&args);
        cmd.env("AWS_ACCESS_KEY_ID", "testing-key-id")
            .env("AWS_SECRET_ACCESS_KEY", "testing-secret-never-printed")
            .env("AWS_REGION", "us-east-1");
        cmd.output().await.unwrap()
    };
    let o = run(args.clone()).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("testing-secret-never-printed"));
    let rows = read_results(&out);
    assert!(rows.iter().any(|r| r["meeting_uuid"] == "/big//uuid+="));
    for row in &rows {
        assert_eq!(row["verified"], "true", "{row:?}");
        assert_eq!(row["zoom_action"], "trashed", "{row:?}");
        let key = row["location"]
            .strip_prefix("s3://nightly/")
            .expect("an s3 address");
        assert!(key.starts_with("zoom/"), "{key}");
        let got = http
            .get(format!("{}/nightly/{key}", moto.endpoint))
            .send()
            .await
            .unwrap();
        assert!(got.status().is_success(), "{key}: {}", got.status());
        assert_eq!(
            got.headers()["x-amz-meta-sha256"].to_str().unwrap(),
            row["sha256"],
            "the digest is stored on the object"
        );
        let body = got.bytes().await.unwrap();
        assert_eq!(sha(&body), row["sha256"], "{key}");
        assert_eq!(body.len().to_string(), row["bytes"]);
    }
    // Read with a signed request (moto refuses this key to an anonymous GET).
    let manifest = moto.read("nightly", "zoom/.zoombulk-manifest.jsonl");
    assert_eq!(manifest.lines().count(), rows.len(), "{manifest}");
    for row in &rows {
        assert!(manifest.contains(&row["sha256"]), "{row:?}");
    }

    // Recover everything, run again: the bucket already holds every file.
    for m in sandbox.store().recordings().into_iter().filter(|m| m.trashed) {
        assert!(sandbox.store().recover_from_trash(&m.uuid));
    }
    let fetched = downloads(&sandbox);
    let o = run(args).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(downloads(&sandbox), fetched, "nothing downloaded again");
    let again = read_results(&out);
    assert_eq!(again.len(), rows.len());
    assert!(
        again
            .iter()
            .all(|r| r["status"] == "skipped" && r["zoom_action"] == "trashed")
    );
}

/// `--to` is the destination here but a date in `recordings export`: a new
/// directory named like a date is refused, not created.
#[tokio::test(flavor = "multi_thread")]
async fn to_that_reads_as_a_date_is_refused() {
    let sandbox = start(seeded()).await;
    let dir = tempdir();
    let out = dir.path().join("archive.csv");
    let o = run_fast(&sandbox, &archive_args("today", &out, &[]), 2, "a date for --to").await;
    assert!(
        stderr(&o).contains("--to today is where the files go, not a date"),
        "{}",
        stderr(&o)
    );
    assert!(!Path::new("today").exists(), "no directory was made");
    assert_eq!(sandbox.stats().total_requests, 0, "nothing was asked of Zoom");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_zoombulk_did_not_record_is_neither_trusted_nor_replaced() {
    let sandbox = start(seeded()).await;
    let dir = tempdir();
    let (first_out, first) = (dir.path().join("first.csv"), dir.path().join("first"));
    run_fast(
        &sandbox,
        &archive_args(first.to_str().unwrap(), &first_out, &[]),
        0,
        "keep",
    )
    .await;
    let row = read_results(&first_out)
        .into_iter()
        .find(|r| !r["file_id"].is_empty())
        .unwrap();
    // The same file, put by hand where a second archive would write it: its size is
    // Zoom's, but no manifest of ours vouches for it.
    let (out, to) = (dir.path().join("archive.csv"), dir.path().join("store"));
    let relative = Path::new(&row["location"]).strip_prefix(&first).unwrap();
    let planted = to.join(relative);
    std::fs::create_dir_all(planted.parent().unwrap()).unwrap();
    std::fs::copy(&row["location"], &planted).unwrap();
    let before = std::fs::read(&planted).unwrap();
    run_fast(
        &sandbox,
        &archive_args(to.to_str().unwrap(), &out, &["--then", "trash"]),
        3,
        "an unrecorded file",
    )
    .await;
    let rows = read_results(&out);
    let again = rows.iter().find(|r| r["file_id"] == row["file_id"]).unwrap();
    assert!(again["message"].contains("did not record"), "{again:?}");
    assert_eq!(again["zoom_action"], "kept", "{again:?}");
    assert_eq!(std::fs::read(&planted).unwrap(), before, "left as it was");
    let store = sandbox.store().recordings();
    let meeting = store.iter().find(|m| m.uuid == row["meeting_uuid"]).unwrap();
    assert!(!meeting.trashed, "its recording stays in Zoom");
}
