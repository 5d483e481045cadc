//! `--concurrency auto` follows the measured latency: against a slow Zoom it keeps
//! more requests in flight than a fixed bound from the limit alone would.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn with_slow_answers_auto_keeps_more_requests_in_flight_than_the_old_fixed_cap() {
    let sandbox = start(SandboxConfig {
        latency: Duration::from_secs(2),
        ..config()
    })
    .await;
    let dir = tempdir();
    let rows = 90;
    let mut csv = String::from("email,first_name,last_name,type\n");
    for i in 0..rows {
        csv.push_str(&format!("slow{i}@example.com,Slow,Row{i},1\n"));
    }
    let input = write(dir.path(), "slow.csv", csv);
    // Pro: Light 30/s. The old `auto` was 30/2 = 15 in flight whatever the latency.
    let out = zoombulk(&sandbox, &["users", "import", input.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stats = sandbox.stats();
    assert_eq!(stats.requests_to("POST /users"), rows, "{stats:?}");
    assert_eq!(
        stats.rate_limited["light"], 0,
        "no 429 for keeping more in flight"
    );
    // Each answer is held 2 s: Little's law wants ~60 in flight at 30/s.
    assert!(
        stats.peak_in_flight > 15,
        "peak in flight {}",
        stats.peak_in_flight
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fixed_concurrency_stays_fixed() {
    let sandbox = start(SandboxConfig {
        latency: Duration::from_millis(300),
        ..config()
    })
    .await;
    let dir = tempdir();
    let mut csv = String::from("email,first_name,last_name,type\n");
    for i in 0..20 {
        csv.push_str(&format!("fixed{i}@example.com,Fixed,Row{i},1\n"));
    }
    let input = write(dir.path(), "fixed.csv", csv);
    let out = zoombulk(
        &sandbox,
        &["users", "import", input.to_str().unwrap(), "--concurrency", "3"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stats = sandbox.stats();
    assert!(
        stats.peak_in_flight <= 3,
        "peak in flight {}",
        stats.peak_in_flight
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_always_without_a_terminal_writes_a_few_plain_lines_not_one_per_row() {
    let sandbox = start(SandboxConfig {
        latency: Duration::from_millis(100),
        ..config()
    })
    .await;
    let dir = tempdir();
    let mut csv = String::from("email,first_name,last_name,type\n");
    for i in 0..40 {
        csv.push_str(&format!("log{i}@example.com,Log,Row{i},1\n"));
    }
    let input = write(dir.path(), "log.csv", csv);
    let out = zoombulk(
        &sandbox,
        &["--progress", "always", "users", "import", input.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("progress: ")).collect();
    assert!(!lines.is_empty(), "{err}");
    assert!(lines.len() < 40, "not a line per row: {err}");
    assert!(lines[0].contains("/40 rows"), "{err}");
    assert!(
        !err.contains('\r') && !err.contains('\u{1b}'),
        "no terminal drawing: {err:?}"
    );
}
