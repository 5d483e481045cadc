//! Counting results and the closing summary on stderr (SPEC: Results CSV).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::job::reset_text;
use super::outcome::{Outcome, Status};
use crate::zoom::{Category, Client};

#[derive(Debug, Default, Clone)]
pub struct Tally {
    by_status: BTreeMap<Status, u64>,
    by_code: BTreeMap<String, u64>,
}

impl Tally {
    pub fn add(&mut self, outcome: &Outcome) {
        *self.by_status.entry(outcome.status).or_default() += 1;
        if let Some(code) = &outcome.error_code {
            *self.by_code.entry(code.clone()).or_default() += 1;
        }
    }

    pub fn rows(&self) -> u64 {
        self.by_status.values().sum()
    }

    /// Rows that need attention: the run exits 3 when there are any.
    pub fn not_done(&self) -> u64 {
        self.by_status
            .iter()
            .filter(|(s, _)| !s.is_done())
            .map(|(_, n)| n)
            .sum()
    }

    pub fn statuses_line(&self) -> String {
        let parts: Vec<String> = self
            .by_status
            .iter()
            .map(|(s, n)| format!("{} {n}", s.as_str()))
            .collect();
        if parts.is_empty() {
            "no rows".into()
        } else {
            parts.join(", ")
        }
    }

    pub fn codes_line(&self) -> Option<String> {
        if self.by_code.is_empty() {
            return None;
        }
        Some(
            self.by_code
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
        )
    }
}

/// The summary printed at the end of a bulk write.
pub fn render(
    kind: &str,
    tally: &Tally,
    elapsed: Duration,
    client: Option<&Client>,
    results: &str,
) -> String {
    let mut out = String::new();
    let secs = elapsed.as_secs_f64();
    let _ = writeln!(out, "zoombulk {kind}: {} rows in {secs:.1} s", tally.rows());
    let _ = writeln!(out, "  status: {}", tally.statuses_line());
    if let Some(codes) = tally.codes_line() {
        let _ = writeln!(out, "  error codes: {codes}");
    }
    if let Some(client) = client {
        for line in rate_lines(client, elapsed) {
            let _ = writeln!(out, "  {line}");
        }
        for (scope, reset) in client.exhausted_daily_limits() {
            let _ = writeln!(
                out,
                "  daily limit reached for {scope}: deferred rows can run again after {} (re-run with --resume)",
                reset_text(reset)
            );
        }
    }
    let _ = writeln!(out, "  results: {results}");
    out
}

const MIN_SECS_FOR_RATE: f64 = 2.0;

/// Achieved requests per second against the limit, per category that saw traffic.
pub fn rate_lines(client: &Client, elapsed: Duration) -> Vec<String> {
    let secs = elapsed.as_secs_f64().max(1e-3);
    Category::ALL
        .into_iter()
        .filter_map(|c| {
            let l = client.limiter(c);
            let (sent, throttled) = (l.sent(), l.throttled());
            // Requests Zoom accepted: what counts against the real limit.
            let accepted = sent.saturating_sub(throttled);
            (sent > 0).then(|| {
                let rate = accepted as f64 / secs;
                let limit = l.configured();
                // A run shorter than the limiter's first few seconds says nothing about the rate.
                let share = if secs >= MIN_SECS_FOR_RATE {
                    format!(" ({:.0}%)", 100.0 * rate / limit)
                } else {
                    String::new()
                };
                format!(
                    "{c}: {accepted} requests, {rate:.1}/s of a {limit:.0}/s limit{share}, {throttled} more answered 429"
                )
            })
        })
        .collect()
}
