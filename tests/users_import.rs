//! `zoombulk users import` end to end: the real binary against the sandbox on loopback.

mod common;

use std::time::Duration;

use common::*;

const CLEAN: &str = "email,first_name,last_name,type\n\
ada@example.com,Ada,Lovelace,2\n\
grace@example.com,Grace,Hopper,1\n\
alan@example.com,Alan,Turing,Licensed\n\
edsger@example.com,Edsger,Dijkstra,basic\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_file_creates_every_row_with_zooms_ids_in_input_order() {
    let sandbox = start(config()).await;
    let dir = tempdir();
    let input = write(dir.path(), "new-hires.csv", CLEAN);
    let out = zoombulk(&sandbox, &["users", "import", input.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));

    let rows = read_results(&dir.path().join("new-hires.results.csv"));
    assert_eq!(rows.len(), 4);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["row"], (i + 1).to_string());
        assert_eq!(row["status"], "created");
        assert_eq!(row["http_status"], "201");
        assert_eq!(row["attempts"], "1");
        let user = sandbox
            .store()
            .user_by_email(&row["email"])
            .expect("user exists in the sandbox");
        assert_eq!(
            row["zoom_id"], user.id,
            "zoom_id is the sandbox's id for {}",
            row["email"]
        );
        assert!(row["finished_at"].ends_with('Z'));
    }
    let hopper = sandbox.store().user_by_email("grace@example.com").unwrap();
    assert_eq!(hopper.user_type, 1);
    assert_eq!(
        sandbox
            .store()
            .user_by_email("alan@example.com")
            .unwrap()
            .user_type,
        2
    );
    let err = stderr(&out);
    assert!(err.contains("created 4"), "summary counts statuses: {err}");
    assert!(
        err.contains("Light (POST /users): 4 requests"),
        "summary shows achieved rate: {err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_messy_spreadsheet_export_is_read_and_its_bad_rows_explained() {
    let sandbox = start(config()).await;
    let dir = tempdir();
    // BOM, semicolons, CRLF, portal headers, quoted delimiters, unicode, an unknown column.
    let text = "\u{feff}Email Address;First Name;Last Name;User Type;Shoe Size\r\n\
        zoe.muller@example.com;Zoë;Müller;Licensed;\"R&D; Berlin\"\r\n\
        li.wei@example.com;伟;李;Basic;=SUM(A1)\r\n\
        not-an-email;Bad;Email;Basic;X\r\n\
        obrien@example.com;Siobhán;\"O'Brien, Jr\";Licensed;Y\r\n\
        ZOE.MULLER@example.com;Zoë;Again;Basic;dup\r\n\
        onprem@example.com;On;Prem;On-prem;Z\r\n";
    let input = write(dir.path(), "hr export.csv", text);
    let out = zoombulk(&sandbox, &["users", "import", input.to_str().unwrap()]).await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "invalid rows mean exit 3: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("Shoe Size"),
        "unknown column named once in a warning"
    );

    let rows = read_results(&dir.path().join("hr export.results.csv"));
    assert_eq!(
        statuses(&rows),
        ["created", "created", "invalid", "created", "invalid", "invalid"]
    );
    assert_eq!(rows[0]["First Name"], "Zoë");
    assert_eq!(rows[0]["Shoe Size"], "R&D; Berlin");
    assert_eq!(rows[1]["Shoe Size"], "=SUM(A1)");
    let raw = std::fs::read_to_string(dir.path().join("hr export.results.csv")).unwrap();
    assert!(raw.contains(",'=SUM(A1),"), "CSV injection guard: {raw}");
    assert_eq!(rows[2]["error_code"], "E_EMAIL");
    assert_eq!(rows[2]["http_status"], "");
    assert_eq!(rows[2]["attempts"], "0");
    assert_eq!(rows[3]["Last Name"], "O'Brien, Jr");
    assert_eq!(rows[4]["error_code"], "E_DUPLICATE");
    assert!(
        rows[4]["error_message"].contains("row 1"),
        "{}",
        rows[4]["error_message"]
    );
    assert_eq!(rows[5]["error_code"], "E_TYPE");
    let wei = sandbox.store().user_by_email("li.wei@example.com").unwrap();
    assert_eq!((wei.first_name.as_str(), wei.last_name.as_str()), ("伟", "李"));
    assert_eq!(
        sandbox
            .store()
            .user_by_email("zoe.muller@example.com")
            .unwrap()
            .last_name,
        "Müller"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn each_password_rule_is_checked_before_sending_and_passwords_never_echoed() {
    let sandbox = start(config()).await;
    let dir = tempdir();
    let text = "email,first_name,password\n\
        p1@example.com,Short,Ab1\n\
        p2@example.com,NoDigit,Abcdefghij\n\
        p3@example.com,NoUpper,abcdefg12\n\
        p4@example.com,Repeated,AAAAAAAA\n\
        p5@example.com,Run,Abcdefgh\n\
        p6@example.com,Good,Tr0ub4dor-Xy\n\
        p7@example.com,TooLong,Aa1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
    let input = write(dir.path(), "pw.csv", text);
    let out = zoombulk(
        &sandbox,
        &[
            "users",
            "import",
            input.to_str().unwrap(),
            "--action",
            "autoCreate",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let results = std::fs::read_to_string(dir.path().join("pw.results.csv")).unwrap();
    for secret in ["Ab1", "Abcdefghij", "abcdefg12", "AAAAAAAA", "Tr0ub4dor-Xy"] {
        assert!(
            !results.contains(&format!(",{secret},")),
            "password {secret} leaked into results"
        );
        assert!(!stderr(&out).contains(secret) && !stdout(&out).contains(secret));
    }
    let rows = read_results(&dir.path().join("pw.results.csv"));
    assert_eq!(
        statuses(&rows),
        [
            "invalid", "invalid", "invalid", "invalid", "invalid", "created", "invalid"
        ]
    );
    let messages: std::collections::HashSet<&str> = rows
        .iter()
        .filter(|r| r["status"] == "invalid")
        .map(|r| r["error_message"].as_str())
        .collect();
    assert!(messages.len() >= 5, "each rule has its own message: {messages:?}");
    assert!(rows.iter().all(|r| r["password"] == "***"));
    assert!(
        rows.iter()
            .filter(|r| r["status"] == "invalid")
            .all(|r| r["error_code"] == "E_PASSWORD")
    );
    assert_eq!(
        sandbox.store().user_by_email("p6@example.com").unwrap().status,
        "active"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_already_in_the_account_is_exists_with_its_id() {
    let sandbox = start(config()).await;
    let dir = tempdir();
    let first = write(dir.path(), "first.csv", "email,first_name\nkim@example.com,Kim\n");
    let out = zoombulk(&sandbox, &["users", "import", first.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = sandbox.store().user_by_email("kim@example.com").unwrap().id;

    let again = write(
        dir.path(),
        "again.csv",
        "email,first_name\nnew@example.com,New\nKIM@example.com,Kim\n",
    );
    let out = zoombulk(&sandbox, &["users", "import", again.to_str().unwrap()]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "exists counts as done: {}",
        stderr(&out)
    );
    let rows = read_results(&dir.path().join("again.results.csv"));
    assert_eq!(statuses(&rows), ["created", "exists"]);
    assert_eq!(rows[1]["zoom_id"], id);
    assert_eq!(rows[1]["http_status"], "409");
    assert_eq!(rows[1]["error_code"], "1005");
    assert_eq!(rows[1]["attempts"], "2", "the create and the lookup");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daily_invite_cap_defers_the_remaining_create_rows() {
    let mut cfg = config();
    cfg.limits.daily_user_invites = 3;
    let sandbox = start(cfg).await;
    let dir = tempdir();
    let mut text = String::from("email,action\n");
    for i in 0..6 {
        text.push_str(&format!("cap{i}@example.com,create\n"));
    }
    text.push_str("auto@example.com,custCreate\n");
    let input = write(dir.path(), "cap.csv", text);
    let out = zoombulk(
        &sandbox,
        &["users", "import", input.to_str().unwrap(), "--concurrency", "1"],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let rows = read_results(&dir.path().join("cap.results.csv"));
    let st = statuses(&rows);
    assert_eq!(
        st.iter().filter(|s| *s == "created").count(),
        4,
        "3 invites + the custCreate row: {st:?}"
    );
    assert_eq!(st.iter().filter(|s| *s == "deferred").count(), 3, "{st:?}");
    assert_eq!(st[6], "created", "other actions go on after the invite cap");
    let deferred: Vec<_> = rows.iter().filter(|r| r["status"] == "deferred").collect();
    assert_eq!(deferred[0]["http_status"], "429");
    assert!(
        deferred[1..].iter().all(|r| r["attempts"] == "0"),
        "no more invites sent after the cap"
    );
    // One code for all of them, and each message says it once.
    for r in &deferred {
        assert_eq!(r["error_code"], "E_DAILY_LIMIT", "{r:?}");
        assert_eq!(r["error_message"].matches("daily limit").count(), 1, "{r:?}");
    }
    assert!(
        deferred[1]["error_message"].starts_with("Not sent: "),
        "{:?}",
        deferred[1]
    );
    let err = stderr(&out);
    assert!(
        err.contains("daily limit reached") && err.contains("--resume"),
        "{err}"
    );
    assert_eq!(sandbox.store().user_count(), 1 + 4, "owner + created");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limit_set_too_high_meets_429s_slows_down_and_still_does_every_row() {
    let mut cfg = config();
    cfg.limits.light = 5;
    let sandbox = start(cfg).await;
    let dir = tempdir();
    let mut text = String::from("email\n");
    for i in 0..40 {
        text.push_str(&format!("qps{i}@example.com\n"));
    }
    let input = write(dir.path(), "qps.csv", text);
    let out = zoombulk(
        &sandbox,
        &["--qps", "light=20", "users", "import", input.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = read_results(&dir.path().join("qps.results.csv"));
    assert!(rows.iter().all(|r| r["status"] == "created"));
    let stats = sandbox.stats();
    assert!(
        stats.rate_limited.get("light").copied().unwrap_or(0) > 0,
        "the sandbox did answer 429: {stats:?}"
    );
    assert_eq!(sandbox.store().user_count(), 41);
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_and_lost_responses_lose_no_row_and_create_nobody_twice() {
    let mut cfg = config();
    cfg.fault_rate = 0.15;
    cfg.drop_rate = 0.05;
    cfg.lost_response_rate = 0.2;
    cfg.seed = 42;
    cfg.limits.light = 200;
    let sandbox = start(cfg).await;
    let dir = tempdir();
    let mut text = String::from("email,first_name\n");
    for i in 0..120 {
        text.push_str(&format!("f{i}@example.com,F{i}\n"));
    }
    let input = write(dir.path(), "faults.csv", text);
    let out = zoombulk(
        &sandbox,
        &[
            "--qps",
            "light=200",
            "--max-retries",
            "8",
            "users",
            "import",
            input.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = read_results(&dir.path().join("faults.results.csv"));
    assert_eq!(rows.len(), 120);
    let mut recovered = 0;
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["email"], format!("f{i}@example.com"));
        // Every user is new: this run created each one, lost answers or not.
        assert_eq!(row["status"], "created", "{row:?}");
        assert_ne!(row["error_code"], "1005", "{row:?}");
        recovered += usize::from(row["error_message"].starts_with("Created by this run"));
        let user = sandbox.store().user_by_email(&row["email"]).unwrap();
        assert_eq!(row["zoom_id"], user.id);
    }
    assert!(
        recovered > 0,
        "some answers were lost and the rows still say created"
    );
    assert!(!stderr(&out).contains("1005"), "{}", stderr(&out));
    assert_eq!(sandbox.store().user_count(), 121, "nobody created twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expiring_token_is_refreshed_mid_run() {
    let mut cfg = config();
    cfg.token_ttl = Duration::from_secs(1);
    cfg.limits.light = 10;
    let sandbox = start(cfg).await;
    let dir = tempdir();
    let mut text = String::from("email\n");
    for i in 0..30 {
        text.push_str(&format!("t{i}@example.com\n"));
    }
    let input = write(dir.path(), "tok.csv", text);
    let out = zoombulk(
        &sandbox,
        &["--qps", "light=10", "users", "import", input.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = read_results(&dir.path().join("tok.results.csv"));
    assert!(rows.iter().all(|r| r["status"] == "created"), "{rows:?}");
    let stats = sandbox.stats();
    let token_calls: u64 = stats
        .requests
        .get("POST /oauth/token")
        .map(|m| m.values().sum())
        .unwrap_or(0);
    assert!(
        token_calls >= 3,
        "the token was refreshed during a ~3 s run: {token_calls}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_required_column_is_fatal_before_any_request() {
    let sandbox = start(config()).await;
    let dir = tempdir();
    let input = write(dir.path(), "nomail.csv", "First Name,Last Name\nAda,Lovelace\n");
    let out = zoombulk(&sandbox, &["users", "import", input.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("email") && err.to_lowercase().contains("email address"),
        "names the column and its aliases: {err}"
    );
    assert_eq!(sandbox.stats().total_requests, 0, "no request was made");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_csv_is_reported_with_its_line_and_nothing_is_sent() {
    let sandbox = start(config()).await;
    let dir = tempdir();
    let input = write(
        dir.path(),
        "bad.csv",
        "email,first_name\na@example.com,A\nb@example.com,B,extra\nc@example.com,C\n",
    );
    let out = zoombulk(&sandbox, &["users", "import", input.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("bad.csv") && err.contains("line 3"), "{err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"));
    assert_eq!(sandbox.store().user_count(), 1);

    let utf8 = write(
        dir.path(),
        "latin1.csv",
        b"email,first_name\nj@example.com,J\xe9r\xf4me\n".as_slice(),
    );
    let out = zoombulk(&sandbox, &["users", "import", utf8.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_credentials_are_a_clear_fatal_error() {
    let sandbox = start(config()).await;
    let dir = tempdir();
    let input = write(dir.path(), "c.csv", CLEAN);
    let mut args = sandbox_args_with(&sandbox, "wrong-secret-value");
    args.extend(["users".into(), "import".into(), input.display().to_string()]);
    let out = run(&args).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("Invalid client_id or client_secret"), "{err}");
    assert!(!err.contains("wrong-secret-value"), "the secret is never printed");
    assert_eq!(sandbox.store().user_count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_and_dry_run_send_nothing() {
    let sandbox = start(config()).await;
    let dir = tempdir();
    let input = write(dir.path(), "v.csv", "email,type\nok@example.com,1\nbad@,1\n");
    let out = run(&[
        "validate".into(),
        "users-import".into(),
        input.to_str().unwrap().into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stdout(&out).contains("row 2 (line 3): E_EMAIL"),
        "{}",
        stdout(&out)
    );

    let out = zoombulk(
        &sandbox,
        &["--dry-run", "users", "import", input.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("estimated run time"), "{}", stderr(&out));
    assert_eq!(sandbox.stats().total_requests, 0);
    assert!(!dir.path().join("v.results.csv").exists());

    let out = zoombulk(
        &sandbox,
        &["--strict", "users", "import", input.to_str().unwrap()],
    )
    .await;
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(sandbox.store().user_count(), 1, "--strict sent nothing");
}

/// The preflight reads on one thread and checks on two: on a file of many
/// batches, with CRLF line ends and blank lines, the problems reported are still
/// the first ones by row, each with its exact line, duplicates included.
#[tokio::test(flavor = "multi_thread")]
async fn validate_reports_the_first_problems_in_row_order_with_exact_lines() {
    let dir = tempdir();
    let mut text = String::from("email,type\r\n");
    let mut line = 1;
    let mut expected = Vec::new(); // (row, line, code)
    for row in 1..=20_000u64 {
        if row % 997 == 0 {
            text.push_str("\r\n");
            line += 1;
        }
        line += 1;
        if row % 401 == 0 {
            text.push_str(&format!("bad{row}@,1\r\n"));
            expected.push((row, line, "E_EMAIL"));
        } else if row % 409 == 0 {
            // A second use of row 1's address.
            text.push_str("u1@example.com,1\r\n");
            expected.push((row, line, "E_DUPLICATE"));
        } else {
            text.push_str(&format!("u{row}@example.com,1\r\n"));
        }
    }
    let invalid = expected.len();
    expected.truncate(50);
    let input = write(dir.path(), "many.csv", text);
    let out = run(&[
        "validate".into(),
        "users-import".into(),
        input.to_str().unwrap().into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(3));
    let report = stdout(&out);
    let got: Vec<(u64, u64, String)> = report
        .lines()
        .filter_map(|l| {
            let rest = l.split_once(": row ")?.1;
            let (row, rest) = rest.split_once(" (line ")?;
            let (line, rest) = rest.split_once("): ")?;
            let code = rest.split(':').next()?;
            Some((row.parse().ok()?, line.parse().ok()?, code.to_string()))
        })
        .collect();
    let want: Vec<(u64, u64, String)> = expected.iter().map(|&(r, l, c)| (r, l, c.to_string())).collect();
    assert_eq!(got, want, "{report}");
    assert!(
        report.contains(&format!("... and {} more invalid rows", invalid - 50)),
        "the rest is counted: {report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_command_imports_the_sample_into_the_embedded_sandbox() {
    let dir = tempdir();
    let out = dir.path().join("users.results.csv");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/users.csv");
    let args: Vec<String> = [
        "--sandbox",
        "--qps",
        "light=500",
        "users",
        "import",
        sample,
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let o = run(&args).await;
    assert_eq!(
        o.status.code(),
        Some(3),
        "the sample has rows Zoom's rules reject: {}",
        stderr(&o)
    );
    let rows = read_results(&out);
    assert_eq!(rows.len(), 200);
    let invalid: Vec<&str> = rows
        .iter()
        .filter(|r| r["status"] == "invalid")
        .map(|r| r["error_code"].as_str())
        .collect();
    assert_eq!(invalid.len(), 6, "{invalid:?}");
    assert!(
        rows.iter()
            .filter(|r| r["status"] != "invalid")
            .all(|r| r["status"] == "created" && !r["zoom_id"].is_empty())
    );
    // The portal columns reach Zoom: every created row has its profile set and
    // the rows of a known department joined its group.
    assert!(
        rows.iter()
            .filter(|r| r["status"] == "created")
            .all(|r| r["error_message"].starts_with("created; profile set") && r["error_code"].is_empty()),
        "{:?}",
        rows.iter()
            .find(|r| !r["error_message"].starts_with("created; profile set"))
    );
    assert!(
        rows.iter()
            .any(|r| r["error_message"].contains("group Sales joined"))
    );
    assert!(rows.iter().any(|r| r["error_message"].contains("webinar=1 set")));
    assert!(stderr(&o).contains("built-in Zoom sandbox"));
}

#[tokio::test(flavor = "multi_thread")]
async fn jsonl_results_go_to_stdout_in_input_order() {
    let sandbox = start(config()).await;
    let dir = tempdir();
    let input = write(
        dir.path(),
        "j.csv",
        "email,password\nj1@example.com,\nbad,\nj2@example.com,\n",
    );
    let o = zoombulk(
        &sandbox,
        &[
            "--format",
            "jsonl",
            "--out",
            "-",
            "users",
            "import",
            input.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["row"], 1);
    assert_eq!(rows[0]["status"], "created");
    assert_eq!(
        rows[0]["zoom_id"],
        sandbox
            .store()
            .user_by_email("j1@example.com")
            .unwrap()
            .id
            .as_str()
    );
    assert_eq!(rows[1]["status"], "invalid");
    assert_eq!(rows[1]["http_status"], serde_json::Value::Null);
    assert_eq!(rows[2]["email"], "j2@example.com");
}

/// `--dry-run` knows the daily invite cap: rows past it would be deferred, and
/// the time estimate covers only the rows that go out today.
#[tokio::test(flavor = "multi_thread")]
async fn dry_run_counts_the_daily_invite_cap() {
    let sandbox = start(config()).await;
    let dir = tempdir();
    let mut text = String::from("email,action\n");
    for i in 0..60 {
        text.push_str(&format!("cap{i}@example.com,create\n"));
    }
    for i in 0..5 {
        text.push_str(&format!("auto{i}@example.com,custCreate\n"));
    }
    // A duplicate is invalid: it is neither counted nor sent.
    text.push_str("cap0@example.com,create\n");
    let input = write(dir.path(), "cap-plan.csv", text);
    let out = zoombulk(
        &sandbox,
        &[
            "--plan",
            "free",
            "--dry-run",
            "users",
            "import",
            input.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("65 light requests"), "{err}");
    assert!(
        err.contains("60 rows count against Zoom's daily quota of 50"),
        "{err}"
    );
    assert!(err.contains("10 would be deferred"), "{err}");
    // 55 creates today at Free's 4 light requests/s.
    assert!(
        err.contains("estimated run time at the plan's rate limit: 14 s"),
        "{err}"
    );
    assert_eq!(sandbox.stats().total_requests, 0);
}

/// A create whose answer was lost and whose retry met the daily invite cap: the
/// user exists, so the row says `created`, never `deferred`/"Not sent".
#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_then_the_daily_cap_is_looked_up_not_deferred() {
    let mut cfg = unlimited();
    cfg.limits.daily_user_invites = 3;
    cfg.lost_response_rate = 1.0;
    let sandbox = start(cfg).await;
    let dir = tempdir();
    let mut text = String::from("email\n");
    for i in 0..5 {
        text.push_str(&format!("lost{i}@example.com\n"));
    }
    let input = write(dir.path(), "lost-cap.csv", text);
    let (_, rows) = run_file(&sandbox, &["users", "import"], &input, &["--concurrency", "1"], 3).await;
    assert_eq!(
        statuses(&rows),
        ["created", "created", "created", "deferred", "deferred"]
    );
    for row in &rows[..3] {
        let user = sandbox.store().user_by_email(&row["email"]).unwrap();
        assert_eq!(row["zoom_id"], user.id, "{row:?}");
        assert!(row["error_message"].starts_with("Created by this run"), "{row:?}");
    }
    assert_eq!(rows[2]["http_status"], "429", "the last answer was the cap");
    for row in &rows[3..] {
        assert!(sandbox.store().user_by_email(&row["email"]).is_none());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn quiet_is_silent_on_success_and_speaks_when_rows_need_attention() {
    let sandbox = start(config()).await;
    let dir = tempdir();
    let good = write(dir.path(), "good.csv", "email,first_name\nq1@example.com,Q\n");
    let out = zoombulk(&sandbox, &["-q", "users", "import", good.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "nothing to say");
    let bad = write(
        dir.path(),
        "bad.csv",
        "email,first_name\nq2@example.com,Q\nnot-an-email,X\n",
    );
    let out = zoombulk(&sandbox, &["-q", "users", "import", bad.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("status: created 1, invalid 1") && stderr(&out).contains("E_EMAIL 1"),
        "a cron job's log says what needs attention: {}",
        stderr(&out)
    );
}
