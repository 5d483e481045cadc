//! Measures the sandbox's throughput on loopback: N concurrent keep-alive clients doing
//! `GET /v2/users/{id}` for a few seconds, with limits high enough never to answer 429.
//!
//! ```text
//! cargo run --release -p zoombulk-sandbox --example loadgen -- [clients=32] [seconds=3]
//! ```
//!
//! Client and server share this process (and the machine's cores), so the figure is a
//! floor for what the sandbox alone sustains.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use zoombulk_sandbox::{Limits, Sandbox, SandboxConfig};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let clients: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let cfg = SandboxConfig {
        limits: Limits {
            light: 0,
            medium: 0,
            heavy: 0,
            ..Limits::default()
        },
        seed_users: 1000,
        seed_recordings: 0,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(cfg).await.expect("sandbox starts");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .expect("client");
    let token: serde_json::Value = http
        .post(sandbox.oauth_url())
        .basic_auth("sandbox", Some("sandbox"))
        .form(&[("grant_type", "account_credentials"), ("account_id", "sandbox")])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token body");
    let token = Arc::new(token["access_token"].as_str().expect("access_token").to_string());
    let ids: Arc<Vec<String>> = Arc::new(sandbox.store().users().into_iter().map(|u| u.id).collect());
    let base = Arc::new(sandbox.base_url());
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, token, ids, base, done, errors) = (
            http.clone(),
            token.clone(),
            ids.clone(),
            base.clone(),
            done.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = c;
            while Instant::now() < deadline {
                let id = &ids[i % ids.len()];
                i += clients;
                match http
                    .get(format!("{base}/users/{id}"))
                    .bearer_auth(token.as_str())
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => {
                        let _ = r.bytes().await;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    let stats = sandbox.stats();
    println!(
        "{clients} clients, {elapsed:.2} s: {n} OK, {} errors, {:.0} req/s (peak {} accepted in one second; 429s: {})",
        errors.load(Ordering::Relaxed),
        n as f64 / elapsed,
        stats.peak_accepted_per_second["light"],
        stats.rate_limited.values().sum::<u64>()
    );
    sandbox.shutdown().await;
}
