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
    /// Done rows with a later step that did not go through ([`Outcome::is_done`]).
    partial: u64,
}

impl Tally {
    pub fn add(&mut self, outcome: &Outcome) {
        *self.by_status.entry(outcome.status).or_default() += 1;
        self.partial += u64::from(outcome.status.is_done() && !outcome.is_done());
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
            .sum::<u64>()
            + self.partial
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

/// A rate is shown only for runs at least this long ...
const MIN_SECS_FOR_RATE: f64 = 2.0;
/// ... that sent at least this many seconds' worth of a category's limit.
const MIN_LIMITS_FOR_RATE: f64 = 2.0;

/// What one category did in a run, for its summary line.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryUse {
    pub category: Category,
    /// Endpoint templates seen (`POST /users`), in first-use order.
    pub endpoints: Vec<String>,
    /// Requests Zoom accepted, and those answered 429 on top.
    pub accepted: u64,
    pub throttled: u64,
    /// Requests per second.
    pub limit: f64,
}

/// Achieved requests per second against the limit, per category that saw traffic.
pub fn rate_lines(client: &Client, elapsed: Duration) -> Vec<String> {
    let used: Vec<CategoryUse> = Category::ALL
        .into_iter()
        .filter_map(|c| {
            let l = client.limiter(c);
            let (sent, throttled) = (l.sent(), l.throttled());
            (sent > 0).then(|| CategoryUse {
                category: c,
                endpoints: l.endpoints(),
                // Requests Zoom accepted: what counts against the real limit.
                accepted: sent.saturating_sub(throttled),
                throttled,
                limit: l.configured(),
            })
        })
        .collect();
    format_rate_lines(&used, elapsed)
}

/// `1 request`, `2 requests`.
fn requests(n: u64) -> String {
    if n == 1 {
        "1 request".into()
    } else {
        format!("{n} requests")
    }
}

/// One line per category: `Light (POST /users): 194 requests, 29.5/s of 30/s (98%)`.
/// A run too short or too small to measure a rate shows counts only; a run on several
/// categories shows each one's share of the run's time (requests/limit vs elapsed):
/// the run can be no shorter than its largest share.
pub fn format_rate_lines(used: &[CategoryUse], elapsed: Duration) -> Vec<String> {
    let secs = elapsed.as_secs_f64();
    let several = used.len() > 1;
    used.iter()
        .map(|u| {
            let name = match u.category {
                Category::Light => "Light",
                Category::Medium => "Medium",
                Category::Heavy => "Heavy",
            };
            let mut line = if u.endpoints.is_empty() {
                format!("{name}: {}", requests(u.accepted))
            } else {
                format!("{name} ({}): {}", u.endpoints.join(", "), requests(u.accepted))
            };
            let limit = u.limit.max(f64::MIN_POSITIVE);
            let measurable = secs >= MIN_SECS_FOR_RATE && u.accepted as f64 >= MIN_LIMITS_FOR_RATE * limit;
            if measurable {
                let rate = u.accepted as f64 / secs;
                let _ = write!(line, ", {rate:.1}/s of {limit:.0}/s");
                if several {
                    let at_limit = u.accepted as f64 / limit;
                    let _ = write!(
                        line,
                        ", {at_limit:.1} s at the limit = {:.0}% of the run",
                        100.0 * at_limit / secs
                    );
                } else {
                    let _ = write!(line, " ({:.0}%)", 100.0 * rate / limit);
                }
            } else {
                let _ = write!(line, " (limit {limit:.0}/s; too few to measure a rate)");
            }
            if u.throttled > 0 {
                let _ = write!(line, ", {} more answered 429", u.throttled);
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn light(accepted: u64, throttled: u64) -> CategoryUse {
        CategoryUse {
            category: Category::Light,
            endpoints: vec!["POST /users".into()],
            accepted,
            throttled,
            limit: 30.0,
        }
    }

    #[test]
    fn a_short_or_small_run_shows_counts_not_a_rate() {
        let lines = format_rate_lines(&[light(1, 0)], Duration::from_millis(2));
        assert_eq!(
            lines,
            ["Light (POST /users): 1 request (limit 30/s; too few to measure a rate)"]
        );
        // Long enough but fewer than two seconds' worth of the limit.
        let lines = format_rate_lines(&[light(50, 0)], Duration::from_secs(10));
        assert!(!lines[0].contains("/s of"), "{}", lines[0]);
        // 1000 requests in 0.5 s is not a rate either.
        let lines = format_rate_lines(&[light(1000, 0)], Duration::from_millis(500));
        assert!(!lines[0].contains("/s of"), "{}", lines[0]);
    }

    #[test]
    fn a_long_run_shows_its_rate_against_the_limit_in_words() {
        let lines = format_rate_lines(&[light(194, 3)], Duration::from_secs_f64(6.576));
        assert_eq!(
            lines,
            ["Light (POST /users): 194 requests, 29.5/s of 30/s (98%), 3 more answered 429"]
        );
    }

    #[test]
    fn several_categories_show_their_share_of_the_run() {
        let medium = CategoryUse {
            category: Category::Medium,
            endpoints: vec!["PUT /users/{id}/password".into()],
            accepted: 1000,
            throttled: 0,
            limit: 20.0,
        };
        let mut l = light(2000, 0);
        l.endpoints = vec!["PATCH /users/{id}".into(), "PUT /users/{id}/status".into()];
        let lines = format_rate_lines(&[l, medium], Duration::from_secs(70));
        assert_eq!(
            lines,
            [
                "Light (PATCH /users/{id}, PUT /users/{id}/status): 2000 requests, 28.6/s of 30/s, \
                 66.7 s at the limit = 95% of the run",
                "Medium (PUT /users/{id}/password): 1000 requests, 14.3/s of 20/s, 50.0 s at the limit \
                 = 71% of the run",
            ]
        );
    }
}
