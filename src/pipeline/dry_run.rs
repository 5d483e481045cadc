//! `--dry-run` of a bulk write: what would be sent, to which endpoints, what the
//! daily quotas allow today, and how long it would take at the plan's limits.

use std::time::Duration;

use super::input::InputFile;
use super::job::{CapCounter, Job};
use super::preflight::{self, Preflight};
use super::{RunEnd, RunOptions, describe_preflight};
use crate::zoom::Category;

/// Invalid rows a dry run lists before it only counts the rest.
const INVALID_SHOWN: usize = 10;

pub(super) fn show<J: Job>(
    job: &J,
    input: &InputFile,
    pre: &Preflight<J::BatchKey>,
    opts: &RunOptions,
) -> RunEnd {
    use csv::StringRecord;
    eprintln!("dry run of {} on {}: nothing is sent", J::KIND, input.name());
    eprintln!("  {}", describe_preflight(pre));
    for note in job.run_notes() {
        eprintln!("  {note}");
    }
    for p in pre.problems.iter().take(INVALID_SHOWN) {
        eprintln!("  row {} (line {}): {}: {}", p.pos.row, p.line, p.code, p.message);
    }
    let unlisted = pre.invalid.saturating_sub(INVALID_SHOWN as u64);
    if unlisted > 0 {
        eprintln!(
            "  ... and {}, not listed here",
            crate::output::plural(unlisted, "more invalid row")
        );
    }
    // What the valid rows send (duplicates left out), and a preview of the
    // first requests (secrets never shown: planned calls carry none).
    let mut plan = preflight::Plan::default();
    // Rows past a per-holder daily quota (a host's 100 meeting writes): known now.
    let mut counter = CapCounter::default();
    let mut past_cap: Vec<u64> = Vec::new();
    let mut steps: Vec<(&'static str, u64)> = Vec::new();
    if let Ok(mut records) = input.records() {
        let mut record = StringRecord::new();
        let mut shown = 0;
        while let Ok(Some(pos)) = records.read(&mut record) {
            if let Ok(row) = pre.check(job, &record, pos.row) {
                if let Some(used) = job.daily_cap(&record, &row)
                    && !counter.admit(used, &opts.rates)
                {
                    past_cap.push(pos.row);
                } else if shown < 3 {
                    eprintln!("  would send (row {}): {}", pos.row, job.describe(&record, &row));
                    shown += 1;
                }
                for step in job.steps(&record, &row) {
                    match steps.iter_mut().find(|(s, _)| *s == step) {
                        Some((_, n)) => *n += 1,
                        None => steps.push((step, 1)),
                    }
                }
                plan.count(job, &record, &row);
            }
        }
    }
    if !steps.is_empty() {
        let counted: Vec<String> = steps.iter().map(|(s, n)| format!("{n} {s}")).collect();
        eprintln!("  steps: {}", counted.join(", "));
    }
    let shared = job.shared_requests();
    let mut paced = std::time::Duration::ZERO;
    for s in &shared {
        if let Some(slot) = plan.planned.get_mut(s.category as usize) {
            *slot += s.requests;
        }
        match s.paced_every {
            Some(every) => {
                // The first goes at once; each later one waits its interval.
                paced = paced.max(
                    every.saturating_mul(u32::try_from(s.requests.saturating_sub(1)).unwrap_or(u32::MAX)),
                );
                eprintln!(
                    "  {} {} requests in their own bucket, one per {} s: {}",
                    s.requests,
                    s.category,
                    every.as_secs(),
                    s.what
                );
            }
            None => eprintln!(
                "  {} {} requests shared by rows: {}",
                s.requests, s.category, s.what
            ),
        }
    }
    for (category, n) in Category::ALL.into_iter().zip(plan.planned) {
        if n > 0 {
            eprintln!(
                "  {} at {}/s",
                crate::output::plural(n, &format!("{category} request")),
                opts.rates.get(category)
            );
        }
    }
    // Rows past a daily quota would be deferred: they take no time today.
    let mut sent_today = plan.planned;
    let mut deferred = 0u64;
    for (cap, (rows, requests)) in &plan.capped {
        let per_day = cap.per_day(&opts.rates);
        let (over, holders) = plan.over(*cap, per_day);
        if cap.per_holder() {
            eprintln!(
                "  {rows} rows count against Zoom's daily quota of {per_day} {}{}",
                cap.describe(),
                if over > 0 {
                    format!(
                        ": {holders} have more rows than that; {over} rows would be deferred (sent with \
                         --resume after 00:00 UTC): rows {}",
                        row_list(&past_cap)
                    )
                } else {
                    String::new()
                }
            );
        } else {
            eprintln!(
                "  {rows} rows count against Zoom's daily quota of {per_day} {} on this plan{}",
                cap.describe(),
                if over > 0 {
                    format!(
                        ": at most {per_day} go out today (fewer if some were used already); {over} would be \
                     deferred until 00:00 UTC (finish them with --resume)"
                    )
                } else {
                    String::new()
                }
            );
        }
        if over > 0 {
            deferred += over;
            for (sent, &n) in sent_today.iter_mut().zip(requests) {
                // The deferred rows' share of these requests.
                let share = u128::from(n) * u128::from(over) / u128::from((*rows).max(1));
                *sent = sent.saturating_sub(u64::try_from(share).unwrap_or(u64::MAX));
            }
        }
    }
    eprintln!(
        "  estimated run time at the plan's rate limit: {:.0} s{}",
        estimate(&sent_today, &opts.rates).max(paced).as_secs_f64().ceil(),
        if deferred > 0 {
            format!(" for the rows that go out today ({deferred} deferred)")
        } else {
            String::new()
        }
    );
    if pre.invalid > 0 {
        RunEnd::RowsNeedAttention
    } else {
        RunEnd::Done
    }
}

/// The first rows of a list, and how many more.
fn row_list(rows: &[u64]) -> String {
    const SHOWN: usize = 20;
    let mut s: Vec<String> = rows.iter().take(SHOWN).map(u64::to_string).collect();
    if rows.len() > SHOWN {
        s.push(format!("… and {} more", rows.len() - SHOWN));
    }
    s.join(", ")
}

/// Estimated time to send `planned` requests at `rates`.
pub fn estimate(planned: &[u64; 3], rates: &crate::zoom::RateTable) -> Duration {
    Category::ALL
        .into_iter()
        .zip(planned)
        .map(|(c, &n)| Duration::from_secs_f64(n as f64 / f64::from(rates.get(c).max(1))))
        .max()
        .unwrap_or_default()
}
