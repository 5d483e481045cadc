//! Dates as nightly jobs write them: `YYYY-MM-DD`, `today`, `yesterday`, `-7d`,
//! `-2w`, `-1m` (UTC). (`{date}` in output paths: `crate::output::publish`.)

use chrono::{Months, NaiveDate};

/// Parses a date relative to `today` (UTC).
pub fn parse_date(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let t = text.trim();
    let bad = || format!("`{text}` is not a date: use YYYY-MM-DD, today, yesterday, -7d, -2w or -1m");
    match t {
        "today" => return Ok(today),
        "yesterday" => return today.pred_opt().ok_or_else(bad),
        _ => {}
    }
    if let Some(rel) = t.strip_prefix('-') {
        let (n, unit) = rel.split_at(rel.len().saturating_sub(1));
        let n: u32 = n.parse().map_err(|_| bad())?;
        return match unit {
            "d" => today.checked_sub_days(chrono::Days::new(n.into())),
            "w" => today.checked_sub_days(chrono::Days::new(u64::from(n) * 7)),
            "m" => today.checked_sub_months(Months::new(n)),
            _ => None,
        }
        .ok_or_else(bad);
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| bad())
}

/// Splits `from..=to` into windows of at most one calendar month each
/// (Zoom silently narrows longer recording ranges).
pub fn month_windows(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut windows = Vec::new();
    let mut start = from;
    while start <= to {
        let month_later = start
            .checked_add_months(Months::new(1))
            .and_then(|d| d.pred_opt())
            .unwrap_or(to);
        let end = month_later.min(to);
        windows.push((start, end));
        match end.succ_opt() {
            Some(next) => start = next,
            None => break,
        }
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn relative_and_absolute_dates() {
        let today = d("2026-03-31");
        assert_eq!(parse_date("today", today).unwrap(), today);
        assert_eq!(parse_date("yesterday", today).unwrap(), d("2026-03-30"));
        assert_eq!(parse_date("-7d", today).unwrap(), d("2026-03-24"));
        assert_eq!(parse_date("-2w", today).unwrap(), d("2026-03-17"));
        assert_eq!(parse_date("-1m", today).unwrap(), d("2026-02-28"));
        assert_eq!(parse_date("2025-12-01", today).unwrap(), d("2025-12-01"));
        assert!(parse_date("last week", today).is_err());
        assert!(parse_date("-3y", today).is_err());
        assert!(parse_date("2025-13-01", today).is_err());
    }

    #[test]
    fn windows_cover_the_range_without_overlap_and_never_exceed_a_month() {
        let w = month_windows(d("2026-01-31"), d("2026-05-02"));
        assert_eq!(w.first().unwrap().0, d("2026-01-31"));
        assert_eq!(w.last().unwrap().1, d("2026-05-02"));
        for pair in w.windows(2) {
            assert_eq!(pair[0].1.succ_opt().unwrap(), pair[1].0, "contiguous, no overlap");
        }
        for (a, b) in &w {
            assert!(
                a.checked_add_months(Months::new(1)).unwrap() > *b,
                "{a}..{b} within a month"
            );
        }
        assert_eq!(month_windows(d("2026-01-01"), d("2026-01-01")).len(), 1);
        assert!(month_windows(d("2026-02-01"), d("2026-01-01")).is_empty());
    }
}
