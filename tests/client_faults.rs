//! The client under faults of the token endpoint and of Zoom's rate-limit signalling:
//! a flaky token endpoint, absurd `Retry-After` values, and 429s with no headers.

mod common;

use std::time::Duration;

use common::*;
use zoombulk_sandbox::TokenFailure;

fn rows_file(n: usize, prefix: &str) -> String {
    let mut text = String::from("email,first_name,last_name\n");
    for i in 0..n {
        text.push_str(&format!("{prefix}{i}@example.com,First{i},Last{i}\n"));
    }
    text
}

fn token_requests(sandbox: &Sandbox, status: &str) -> u64 {
    sandbox
        .stats()
        .requests
        .get("POST /oauth/token")
        .and_then(|m| m.get(status))
        .copied()
        .unwrap_or(0)
}

#[tokio::test]
async fn two_failing_token_requests_are_retried_and_the_run_completes() {
    for failure in [TokenFailure::BadGatewayHtml, TokenFailure::Drop] {
        let sandbox = start(SandboxConfig {
            token_failures: 2,
            token_failure: failure,
            ..unlimited()
        })
        .await;
        let dir = tempdir();
        let input = write(dir.path(), "in.csv", rows_file(3, "tok"));
        let rows = results_of(&sandbox, &["users", "import"], &input, &[], 0).await;
        assert_eq!(statuses(&rows), ["created"; 3], "{failure:?}");
        let failed = if failure == TokenFailure::Drop {
            "dropped"
        } else {
            "502"
        };
        assert_eq!(token_requests(&sandbox, failed), 2, "{failure:?}");
        assert_eq!(token_requests(&sandbox, "200"), 1, "{failure:?}");
    }
}

#[tokio::test]
async fn a_token_endpoint_that_keeps_failing_is_not_blamed_on_the_credentials() {
    let sandbox = start(SandboxConfig {
        token_failures: u32::MAX,
        ..unlimited()
    })
    .await;
    let dir = tempdir();
    let input = write(dir.path(), "in.csv", rows_file(2, "perm"));
    let file = input.display().to_string();
    let out = zoombulk(&sandbox, &fast(&["--max-retries", "2", "users", "import", &file])).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("refused"), "{err}");
    assert!(!err.contains("Check the account id"), "{err}");
    assert!(err.contains("HTTP 502"), "{err}");
    assert!(err.contains("network or server problem"), "{err}");
    assert_eq!(token_requests(&sandbox, "502"), 3, "one try and two retries");
    assert_eq!(sandbox.stats().requests_to("POST /users"), 0);
}

#[tokio::test]
async fn wrong_credentials_are_refused_at_once_without_retries() {
    let sandbox = start(unlimited()).await;
    let mut args = sandbox_args_with(&sandbox, "wrong-secret");
    args.extend(["users", "export", "--out", "-"].map(String::from));
    let out = run(&args).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Zoom refused the Server-to-Server OAuth credentials (HTTP 400)"),
        "{err}"
    );
    assert!(!err.contains("wrong-secret"), "the secret never shows: {err}");
    assert_eq!(
        token_requests(&sandbox, "400"),
        1,
        "a credentials answer is not retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qps_429_with_an_absurd_retry_after_waits_only_the_capped_time() {
    // The sandbox lets 3/s through; zoombulk is told 30/s, so some requests meet a 429
    // saying "Retry-After: 9999999999" (317 years). Unbounded, the run would never end
    // (the harness gives up after 240 s); capped, it completes.
    let sandbox = start(SandboxConfig {
        retry_after: Some("9999999999".into()),
        limits: Limits {
            light: 3,
            ..Limits::default()
        },
        ..config()
    })
    .await;
    let dir = tempdir();
    let input = write(dir.path(), "in.csv", rows_file(8, "qps"));
    let file = input.display().to_string();
    let out = zoombulk(
        &sandbox,
        &[
            "--qps",
            "light=30",
            "--concurrency",
            "8",
            "users",
            "import",
            &file,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = read_results(&dir.path().join("in.results.csv"));
    assert_eq!(statuses(&rows), ["created"; 8]);
    assert!(
        sandbox.stats().rate_limited.get("light").copied().unwrap_or(0) > 0,
        "the run met at least one 429"
    );
}

#[tokio::test]
async fn a_daily_429_with_an_overflowing_retry_after_defers_until_the_next_utc_midnight() {
    let sandbox = start(SandboxConfig {
        retry_after: Some("99999999999999".into()),
        limits: Limits {
            light: 0,
            medium: 0,
            heavy: 0,
            daily_user_invites: 1,
            ..Limits::default()
        },
        ..config()
    })
    .await;
    let dir = tempdir();
    let input = write(dir.path(), "in.csv", rows_file(2, "day"));
    let (out, rows) = run_file(&sandbox, &["users", "import"], &input, &["--concurrency", "1"], 3).await;
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(statuses(&rows), ["created", "deferred"]);
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let midnight = format!("{tomorrow}T00:00:00Z");
    assert!(rows[1]["error_message"].contains(&midnight), "{:?}", rows[1]);
}

/// Light requests the sandbox has answered, and how many of them were 429.
fn light_counts(sandbox: &Sandbox) -> (u64, u64) {
    let stats = sandbox.stats();
    let total = stats.requests_to("POST /users");
    let limited = stats.rate_limited.get("light").copied().unwrap_or(0);
    (total, limited)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_rate_limit_headers_the_limiter_settles_under_the_real_limit() {
    // Configured 80/s, real 20/s, and Zoom never says its limit: after the first 100
    // answers (about 5 s at 20/s), at most 5% of the requests may be answered 429.
    let sandbox = start(SandboxConfig {
        rate_limit_headers: false,
        limits: Limits {
            light: 20,
            ..Limits::default()
        },
        ..config()
    })
    .await;
    let dir = tempdir();
    let rows = 300;
    let input = write(dir.path(), "in.csv", rows_file(rows, "aimd"));
    let file = input.display().to_string();
    let mut args = sandbox_args_with(&sandbox, "sandbox");
    args.extend(["--qps", "light=80", "users", "import", &file].map(String::from));
    let run = tokio::spawn(async move { common::run(&args).await });
    let mut early = None;
    while !run.is_finished() {
        let (total, limited) = light_counts(&sandbox);
        if early.is_none() && total - limited >= 100 {
            early = Some((total, limited));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let out = run.await.expect("the run finished");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (total, limited) = light_counts(&sandbox);
    let (early_total, early_limited) = early.expect("the run passed 100 accepted requests");
    let later = total - early_total;
    let later_limited = limited - early_limited;
    eprintln!("429: {early_limited} of {early_total} first, {later_limited} of {later} later");
    assert_eq!(total - limited, rows as u64, "every row created once");
    assert!(
        later_limited * 20 <= later,
        "{later_limited} of the {later} requests after the first 100 accepted were 429 \
         (first part: {early_limited} of {early_total})"
    );
}

/// A retry after a 429 is no attempt Zoom may have applied: a 404 that follows
/// one is final, with no look-up of what the write did.
#[tokio::test]
async fn a_404_after_a_429_is_final_and_looks_nothing_up() {
    let sandbox = start(SandboxConfig {
        limits: Limits {
            light: 2,
            ..Limits::default()
        },
        ..config()
    })
    .await;
    let dir = tempdir();
    let mut text = String::from("email,dept\n");
    for i in 0..6 {
        text.push_str(&format!("nobody{i}@example.com,Sales\n"));
    }
    let input = write(dir.path(), "in.csv", text);
    let file = input.display().to_string();
    let out = zoombulk(
        &sandbox,
        &[
            "--qps",
            "light=50",
            "--concurrency",
            "6",
            "users",
            "update",
            &file,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let rows = read_results(&dir.path().join("in.results.csv"));
    assert_eq!(statuses(&rows), ["failed"; 6]);
    assert!(
        sandbox.stats().rate_limited.get("light").copied().unwrap_or(0) > 0,
        "the run met at least one 429"
    );
    assert!(
        rows.iter().any(|r| r["attempts"] != "1"),
        "some row was retried after a 429"
    );
    assert_eq!(
        sandbox.stats().requests_to("GET /users/{userId}"),
        0,
        "no look-ups"
    );
}
