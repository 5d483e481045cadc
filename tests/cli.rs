//! The command line as a user meets it: usage errors exit 2 before any file is
//! read or any request sent, `-` reads the input from stdin, and `zoombulk
//! sandbox` has its own credentials and prints commands that work as printed.

mod common;

use std::path::Path;
use std::process::{Output, Stdio};

use common::{read_results, statuses, stderr, stdout, tempdir, unlimited, write};
use tokio::io::AsyncWriteExt;

fn words(line: &[&str]) -> Vec<String> {
    line.iter().map(|s| s.to_string()).collect()
}

async fn bare(line: &[&str]) -> Output {
    common::run(&words(line)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2_before_any_file_is_read_or_request_sent() {
    let dir = tempdir();
    let missing = dir.path().join("missing.csv");
    let missing = missing.to_str().unwrap();
    for line in [
        vec!["users", "import", missing, "--type", "nope"],
        vec!["users", "import", missing, "--action", "make"],
        vec!["users", "import", missing, "--qps", "fast=3"],
        vec!["registrants", "export", "--sandbox"],
        vec!["recordings", "export", "--sandbox", "--from", "bogus"],
        vec![
            "recordings",
            "export",
            "--sandbox",
            "--from",
            "2026-02-01",
            "--to",
            "2026-01-01",
        ],
        vec!["users", "export", "--sandbox", "--resume"],
        vec!["--force", "users", "export", "--sandbox"],
        vec!["--out", missing, "completions", "bash"],
        vec!["validate", "users-import", missing, "--sandbox"],
    ] {
        let o = bare(&line).await;
        assert_eq!(o.status.code(), Some(2), "{line:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(!err.contains("cannot open"), "{line:?} read a file: {err}");
        assert!(
            !err.contains("built-in Zoom sandbox"),
            "{line:?} connected: {err}"
        );
    }
    let out = dir.path().join("f");
    let o = bare(&["completions", "bash", "--out", out.to_str().unwrap()]).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!out.exists(), "nothing written");
    let o = bare(&["completions", "bash"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("zoombulk"), "a completion script");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_counts_the_invalid_rows_it_does_not_list() {
    let dir = tempdir();
    let mut text = String::from("email,first_name\n");
    for i in 1..=12 {
        text.push_str(&format!("bad{i},A\n"));
    }
    text.push_str("ok@example.com,Ok\n");
    let file = write(dir.path(), "bad.csv", &text);
    let o = common::command(&words(&[
        "users",
        "import",
        file.to_str().unwrap(),
        "--sandbox",
        "--dry-run",
    ]))
    .output()
    .await
    .unwrap();
    let said = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{said}");
    assert!(
        said.contains("row 10 (line 11)") && !said.contains("row 11 (line 12)"),
        "{said}"
    );
    assert!(
        said.contains("... and 2 more invalid rows, not listed here"),
        "{said}"
    );

    let one = write(dir.path(), "one.csv", "email,first_name\nbad,A\n");
    let o = common::command(&words(&["validate", "users-import", one.to_str().unwrap()]))
        .output()
        .await
        .unwrap();
    assert!(stderr(&o).contains("1 row: 0 valid, 1 invalid"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_without_a_meeting_is_a_usage_error_and_stdin_is_read_with_dash() {
    let sandbox = common::start(unlimited()).await;
    let dir = tempdir();
    let nowhere = write(dir.path(), "nowhere.csv", "email,first_name\na@example.com,A\n");
    let o = common::zoombulk(&sandbox, &["registrants", "import", nowhere.to_str().unwrap()]).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(sandbox.stats().total_requests, 0);

    // `-` reads the CSV from stdin; the spooled copy is gone afterwards.
    let scratch = tempdir();
    let results = dir.path().join("r.csv");
    let mut args = common::sandbox_args_with(&sandbox, "sandbox");
    args.extend(words(&["users", "import", "-", "-o", results.to_str().unwrap()]));
    let mut child = common::command(&args)
        .env("TMPDIR", scratch.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"email,first_name\nada@example.com,Ada\nbob@example.com,Bob\n")
        .await
        .unwrap();
    drop(stdin);
    let o = child.wait_with_output().await.unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(statuses(&read_results(&results)), ["created", "created"]);
    assert!(sandbox.store().user_by_email("bob@example.com").is_some());
    assert_eq!(
        std::fs::read_dir(scratch.path()).unwrap().count(),
        0,
        "temp file removed"
    );

    // A dry run and `validate` write no results: no --out needed.
    for line in [
        vec!["users", "import", "-", "--sandbox", "--dry-run"],
        vec!["validate", "users-import", "-"],
    ] {
        let mut child = common::command(&words(&line))
            .env("TMPDIR", scratch.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"email,first_name\ncy@example.com,Cy\nnot-an-address,Bo\n")
            .await
            .unwrap();
        drop(stdin);
        let o = child.wait_with_output().await.unwrap();
        assert_eq!(o.status.code(), Some(3), "{line:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("2 rows: 1 valid, 1 invalid"),
            "{line:?}: {}",
            stderr(&o)
        );
        // Messages name the input as the user gave it, never the temporary copy.
        let said = format!("{}{}", stdout(&o), stderr(&o));
        assert!(said.contains("<stdin>"), "{line:?}: {said}");
        assert!(!said.contains("zoombulk-stdin"), "{line:?}: {said}");
    }
    assert_eq!(
        std::fs::read_dir(scratch.path()).unwrap().count(),
        0,
        "temp files removed"
    );

    // Without --out there is nowhere beside stdin for the results: usage error, nothing read.
    let o = common::zoombulk(&sandbox, &["users", "import", "-"]).await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--out"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_never_reads_or_prints_the_users_credentials() {
    let env = [
        ("ZOOM_ACCOUNT_ID", "real-account"),
        ("ZOOM_CLIENT_ID", "real-client"),
        ("ZOOM_CLIENT_SECRET", "real"),
        ("ZOOM_ACCESS_TOKEN", "real-token"),
    ];
    let (mut child, printed) =
        common::sandbox_banner(&["sandbox", "--port", "0", "--seed-users", "1"], &env).await;
    child.start_kill().unwrap();
    assert!(printed.contains("client secret: sandbox"), "{printed}");
    assert!(printed.contains("account id:    sandbox"), "{printed}");
    assert!(
        !printed.contains("real"),
        "the user's credentials printed: {printed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_prints_seeded_ids_and_a_registrants_import_that_works_as_printed() {
    let (mut child, printed) =
        common::sandbox_banner(&["sandbox", "--port", "0", "--seed-users", "3"], &[]).await;
    assert!(
        printed.contains("meetings:") && printed.contains("webinars:"),
        "{printed}"
    );
    let line = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("try: zoombulk registrants import "))
        .unwrap_or_else(|| panic!("a registrants import line: {printed}"))
        .to_string();
    // Run it as printed, from a directory holding a copy of the samples.
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("samples")).unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/registrants.csv");
    std::fs::copy(&sample, dir.path().join("samples/registrants.csv")).unwrap();
    let mut args = words(&["registrants", "import"]);
    args.extend(line.split_whitespace().map(String::from));
    let o = common::command(&args)
        .current_dir(dir.path())
        .output()
        .await
        .unwrap();
    child.start_kill().unwrap();
    assert_eq!(o.status.code(), Some(0), "{line}: {}", stderr(&o));
    let rows = read_results(&dir.path().join("samples/registrants.results.csv"));
    assert_eq!(statuses(&rows), ["registered"; 5], "{rows:?}");
}
