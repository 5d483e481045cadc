//! Exports end to end against the sandbox: users, registrants, recordings (+ download).

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use sha2::{Digest, Sha256};
use zoombulk_sandbox::PageVisit;

fn seeded() -> SandboxConfig {
    SandboxConfig {
        seed_users: 2_500,
        seed_meetings: 6,
        seed_webinars: 3,
        seed_recordings: 120,
        seed: 7,
        limits: Limits {
            light: 1000,
            medium: 1000,
            heavy: 1000,
            ..Limits::default()
        },
        ..config()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn users_export_matches_the_sandbox_exactly_across_pages() {
    let sandbox = start(seeded()).await;
    let dir = tempdir();
    let out = dir.path().join("users-{date}.csv");
    let o = zoombulk(
        &sandbox,
        &[
            "--qps",
            "medium=1000",
            "users",
            "export",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let path = dir.path().join(format!("users-{today}.csv"));
    let rows = read_results(&path);
    let expected: Vec<_> = sandbox
        .store()
        .users()
        .into_iter()
        .filter(|u| u.status == "active")
        .collect();
    assert_eq!(rows.len(), expected.len());
    let ids: HashSet<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), rows.len(), "no user twice");
    for u in &expected {
        let row = rows
            .iter()
            .find(|r| r["id"] == u.id)
            .expect("every active user exported");
        assert_eq!(row["email"], u.email);
        assert_eq!(row["first_name"], u.first_name);
        assert_eq!(row["type"], u.user_type.to_string());
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temp file left: {leftovers:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn users_export_filters_by_status_and_writes_jsonl_to_stdout() {
    let sandbox = start(seeded()).await;
    let o = zoombulk(
        &sandbox,
        &[
            "--qps",
            "medium=1000",
            "--format",
            "jsonl",
            "users",
            "export",
            "--status",
            "inactive",
            "--out",
            "-",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let inactive = sandbox
        .store()
        .users()
        .into_iter()
        .filter(|u| u.status == "inactive")
        .count();
    assert!(inactive > 0);
    assert_eq!(lines.len(), inactive);
    assert!(lines.iter().all(|l| l["status"] == "inactive"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_export_leaves_the_previous_file_in_place() {
    let mut cfg = seeded();
    cfg.fault_rate = 1.0;
    let sandbox = start(cfg).await;
    let dir = tempdir();
    let out = write(dir.path(), "users.csv", "previous nightly export\n");
    let o = zoombulk(
        &sandbox,
        &[
            "--max-retries",
            "1",
            "users",
            "export",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "previous nightly export\n"
    );
    assert!(stderr(&o).contains("previous file"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "the temp file is cleaned up"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_page_token_resumes_by_identity_when_users_left_meanwhile() {
    // 5,000 active users in pages of 2,000. When zoombulk asks for page 3, 50 users it
    // has already exported are deleted and its token is answered as expired, so it
    // restarts from page 1 of a listing that is 50 shorter: skipping 4,000 by count
    // would silently lose the 50 users that moved up into the first two pages.
    let mut cfg = seeded();
    cfg.seed_users = 5_400;
    cfg.seed = 11;
    let sandbox = start(cfg).await;
    let active: Vec<String> = sandbox
        .store()
        .users()
        .into_iter()
        .filter(|u| u.status == "active")
        .map(|u| u.id)
        .collect();
    assert!(active.len() > 4_100, "three pages: {}", active.len());
    let removed: Vec<String> = active[100..150].to_vec();
    let to_remove = removed.clone();
    let fired = Arc::new(AtomicBool::new(false));
    let hook_fired = fired.clone();
    sandbox
        .store()
        .set_page_hook(Some(Arc::new(move |store, visit: PageVisit<'_>| {
            if !visit.scope.starts_with("users|active|")
                || visit.page_number != 3
                || hook_fired.swap(true, Ordering::SeqCst)
            {
                return false;
            }
            for id in &to_remove {
                assert!(store.remove_user(id));
            }
            true
        })));
    let dir = tempdir();
    let out = dir.path().join("u.csv");
    let o = zoombulk(
        &sandbox,
        &[
            "--qps",
            "medium=1000",
            "users",
            "export",
            "--out",
            out.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(fired.load(Ordering::SeqCst), "the token did expire mid-listing");
    let rows = read_results(&out);
    let ids: Vec<String> = rows.iter().map(|r| r["id"].clone()).collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no user written twice");
    let now: HashSet<String> = sandbox
        .store()
        .users()
        .into_iter()
        .filter(|u| u.status == "active")
        .map(|u| u.id)
        .collect();
    let expected: HashSet<&String> = now.iter().chain(&removed).collect();
    let skipped: Vec<_> = expected.difference(&unique).collect();
    let extra: Vec<_> = unique.difference(&expected).collect();
    assert!(
        skipped.is_empty() && extra.is_empty(),
        "everyone still listed, plus those exported before they left: {} skipped {skipped:?}, extra {extra:?}",
        skipped.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pending_users_without_ids_resume_by_email_after_an_expired_token() {
    // Pending users are listed without an id: the restart must tell them apart by email.
    let sandbox = start(config()).await;
    let emails: Vec<String> = (0..2_300).map(|i| format!("p{i:05}@corp.example.com")).collect();
    for email in &emails {
        let mut u = zoombulk_sandbox::User::new(email, "Pat", "Pending");
        u.status = "pending".into();
        sandbox.store().insert_user(u).unwrap();
    }
    let removed: Vec<String> = emails[10..30].to_vec();
    let to_remove = removed.clone();
    let fired = Arc::new(AtomicBool::new(false));
    let hook_fired = fired.clone();
    sandbox
        .store()
        .set_page_hook(Some(Arc::new(move |store, visit: PageVisit<'_>| {
            if !visit.scope.starts_with("users|pending|") || hook_fired.swap(true, Ordering::SeqCst) {
                return false;
            }
            for email in &to_remove {
                assert!(store.remove_user(email));
            }
            true
        })));
    let o = zoombulk(
        &sandbox,
        &[
            "--qps",
            "medium=1000",
            "users",
            "export",
            "--status",
            "pending",
            "--out",
            "-",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(fired.load(Ordering::SeqCst), "the token did expire mid-listing");
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    let exported: Vec<String> = reader.records().map(|r| r.unwrap()[1].to_string()).collect();
    let unique: HashSet<&String> = exported.iter().collect();
    assert_eq!(unique.len(), exported.len(), "no pending user written twice");
    let expected: HashSet<&String> = emails.iter().collect();
    let skipped: Vec<_> = expected.difference(&unique).collect();
    assert!(skipped.is_empty(), "{} skipped: {skipped:?}", skipped.len());
    assert_eq!(unique, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn registrants_export_matches_the_sandbox() {
    let sandbox = start(seeded()).await;
    let meeting = sandbox
        .store()
        .meetings()
        .into_iter()
        .find(|m| !sandbox.store().registrants(m.id).is_empty());
    let Some(meeting) = meeting else {
        panic!("the seed has a meeting with registrants")
    };
    let expected = sandbox.store().registrants(meeting.id);
    let o = zoombulk(
        &sandbox,
        &[
            "registrants",
            "export",
            "--meeting",
            &meeting.id.to_string(),
            "--status",
            "approved",
            "--out",
            "-",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    let emails: HashSet<String> = reader.records().map(|r| r.unwrap()[1].to_string()).collect();
    let approved: HashSet<String> = expected
        .iter()
        .filter(|r| r.status == "approved")
        .map(|r| r.email.clone())
        .collect();
    assert_eq!(emails, approved);
}

#[tokio::test(flavor = "multi_thread")]
async fn recordings_export_splits_windows_and_downloads_with_skip_and_checksum() {
    let sandbox = start(seeded()).await;
    let dir = tempdir();
    let out = dir.path().join("rec.csv");
    let archive = dir.path().join("archive");
    let args = [
        "--qps",
        "light=1000,medium=1000",
        "recordings",
        "export",
        "--from",
        "-200d",
        "--to",
        "today",
        "--out",
        out.to_str().unwrap(),
        "--download",
        archive.to_str().unwrap(),
    ];
    let o = zoombulk(&sandbox, &args).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = read_results(&out);
    let expected_files: usize = sandbox
        .store()
        .recordings()
        .iter()
        .map(|m| m.recording_files.len())
        .sum();
    assert_eq!(
        rows.len(),
        expected_files,
        "every file of every recording across 7 month windows"
    );
    assert!(stderr(&o).contains("month windows"));
    let mut checked = 0;
    for row in &rows {
        assert!(!row["download_url"].contains("access_token"));
        assert_eq!(row["download_status"], "downloaded", "{row:?}");
        let bytes = std::fs::read(&row["local_path"]).unwrap();
        assert_eq!(bytes.len().to_string(), row["bytes"]);
        if !row["file_size"].is_empty() {
            assert_eq!(row["file_size"], row["bytes"]);
        }
        assert!(row["local_path"].contains(&row["host_email"]), "{row:?}");
        checked += 1;
    }
    assert!(checked > 0);
    let first = &rows[0];
    let digest = hex::encode(Sha256::digest(std::fs::read(&first["local_path"]).unwrap()));

    // A second run skips complete files and resumes a truncated one.
    let truncated = &rows[1]["local_path"];
    let full = std::fs::read(truncated).unwrap();
    std::fs::remove_file(truncated).unwrap();
    std::fs::write(format!("{truncated}.part"), &full[..full.len() / 2]).unwrap();
    let o = zoombulk(&sandbox, &args).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = read_results(&out);
    assert_eq!(rows[0]["download_status"], "skipped");
    assert_eq!(rows[1]["download_status"], "resumed");
    assert_eq!(
        std::fs::read(truncated).unwrap(),
        full,
        "resumed file is byte-identical"
    );
    assert_eq!(
        hex::encode(Sha256::digest(std::fs::read(&first["local_path"]).unwrap())),
        digest
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn exports_at_the_right_plan_meet_no_429() {
    let mut cfg = seeded();
    cfg.seed_users = 40;
    cfg.limits = Limits {
        light: 30,
        medium: 20,
        heavy: 10,
        ..Limits::default()
    };
    let sandbox = start(cfg).await;
    let o = zoombulk(
        &sandbox,
        &[
            "--plan",
            "pro",
            "recordings",
            "export",
            "--by-user",
            "--from",
            "-60d",
            "--out",
            "-",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let stats = sandbox.stats();
    assert_eq!(stats.rate_limited.values().sum::<u64>(), 0, "{stats:?}");
    assert!(stderr(&o).contains("Medium (GET /users"), "{}", stderr(&o));
}

/// `recordings export` of the last 200 days into `out`, downloading into `archive`.
fn download_args<'a>(
    out: &'a std::path::Path,
    archive: &'a std::path::Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "--qps",
        "light=1000,medium=1000",
        "recordings",
        "export",
        "--from",
        "-200d",
        "--to",
        "today",
        "--out",
        out.to_str().unwrap(),
        "--download",
        archive.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}

/// The id the sandbox serves a row's file under (`…/rec/download/{id}`).
fn download_id(row: &std::collections::HashMap<String, String>) -> String {
    row["download_url"].rsplit('/').next().unwrap().to_string()
}

fn download_requests(sandbox: &Sandbox) -> u64 {
    requests_to(sandbox, "GET /rec/download/{fileId}")
}

fn part_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(".part") {
                found.push(p);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn files_without_a_size_are_remembered_and_not_downloaded_again() {
    let sandbox = start(seeded()).await;
    let dir = tempdir();
    let (out, archive) = (dir.path().join("rec.csv"), dir.path().join("archive"));
    let o = zoombulk(&sandbox, &download_args(&out, &archive, &[])).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = read_results(&out);
    let sizeless: Vec<_> = rows.iter().filter(|r| r["file_size"].is_empty()).collect();
    assert!(
        !sizeless.is_empty(),
        "the seed has CC/TIMELINE files without file_size"
    );
    let first = stderr(&o);
    let fetched = download_requests(&sandbox);

    // The nightly re-run: nothing is fetched again, files without a size included.
    let o = zoombulk(&sandbox, &download_args(&out, &archive, &[])).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let again = read_results(&out);
    for row in &again {
        assert_eq!(row["download_status"], "skipped", "{row:?}");
        assert!(!row["local_path"].is_empty());
    }
    assert_eq!(
        download_requests(&sandbox),
        fetched,
        "no file was requested again"
    );
    assert!(
        archive.join(".zoombulk-manifest.jsonl").is_file(),
        "the manifest is written beside the files"
    );

    // A sizeless file whose content no longer matches the manifest is fetched again.
    let damaged = &sizeless[0]["local_path"];
    let mut bytes = std::fs::read(damaged).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(damaged, &bytes).unwrap();
    let o = zoombulk(&sandbox, &download_args(&out, &archive, &[])).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let third = read_results(&out);
    let row = third.iter().find(|r| &r["local_path"] == damaged).unwrap();
    assert_eq!(row["download_status"], "downloaded");
    assert_eq!(
        std::fs::read(damaged).unwrap(),
        sandbox.recording_file_bytes(&download_id(row)).unwrap()
    );
    assert_eq!(download_requests(&sandbox), fetched + 1);

    // Downloads wait for the client's Light limiter: one slot per file.
    assert!(
        first.contains(&format!(
            "Light (GET recording_file.download_url): {} requests",
            rows.len()
        )),
        "{first}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_downloads_are_retried_within_one_run() {
    let sandbox = start(seeded()).await;
    sandbox.set_download_truncation(0.3);
    let dir = tempdir();
    let (out, archive) = (dir.path().join("rec.csv"), dir.path().join("archive"));
    let o = zoombulk(&sandbox, &download_args(&out, &archive, &[])).await;
    assert_eq!(o.status.code(), Some(0), "one run is enough: {}", stderr(&o));
    assert!(sandbox.downloads_truncated() > 0, "downloads were cut short");
    let rows = read_results(&out);
    assert!(!rows.is_empty());
    for row in &rows {
        assert!(
            matches!(row["download_status"].as_str(), "downloaded" | "resumed"),
            "{row:?}"
        );
        let on_disk = std::fs::read(&row["local_path"]).unwrap();
        assert_eq!(
            on_disk,
            sandbox.recording_file_bytes(&download_id(row)).unwrap(),
            "{row:?}"
        );
        assert_eq!(row["bytes"], on_disk.len().to_string());
    }
    assert!(rows.iter().any(|r| r["download_status"] == "resumed"));
    assert!(part_files(&archive).is_empty(), "no .part left");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_refetch_keeps_the_complete_copy_in_the_row() {
    let sandbox = start(seeded()).await;
    let dir = tempdir();
    let (out, archive) = (dir.path().join("rec.csv"), dir.path().join("archive"));
    let o = zoombulk(&sandbox, &download_args(&out, &archive, &[])).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Without the manifest, files without a size must be fetched again; every attempt
    // now breaks off, so the re-fetch fails.
    let _ = std::fs::remove_file(archive.join(".zoombulk-manifest.jsonl"));
    sandbox.set_download_truncation(1.0);
    let o = zoombulk(&sandbox, &download_args(&out, &archive, &["--max-retries", "0"])).await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let rows = read_results(&out);
    let sizeless: Vec<_> = rows.iter().filter(|r| r["file_size"].is_empty()).collect();
    assert!(!sizeless.is_empty());
    for row in sizeless {
        assert!(row["download_status"].starts_with("failed: "), "{row:?}");
        assert!(row["download_status"].contains("kept"), "{row:?}");
        assert!(!row["local_path"].is_empty(), "{row:?}");
        let on_disk = std::fs::read(&row["local_path"]).unwrap();
        assert_eq!(row["bytes"], on_disk.len().to_string());
        assert_eq!(
            on_disk,
            sandbox.recording_file_bytes(&download_id(row)).unwrap(),
            "the earlier copy is untouched"
        );
    }
    for row in rows.iter().filter(|r| !r["file_size"].is_empty()) {
        assert_eq!(row["download_status"], "skipped");
    }
}
