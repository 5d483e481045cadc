//! Zoom's rules for a scheduled meeting (FACTS: Meetings): type, start time in
//! an IANA time zone, duration, recurrence, registration and the common settings.
//! Everything here is checked offline, so a file is `invalid` before anything is sent.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::{E_MISSING, E_VALUE, FieldError, quoted};

/// `topic` ≤ 200, `agenda` ≤ 2000, `password` ≤ 10 characters.
pub const TOPIC_MAX: usize = 200;
pub const AGENDA_MAX: usize = 2000;
pub const MEETING_PASSWORD_MAX: usize = 10;
/// Longest duration accepted, in minutes (verify: Zoom's form offers up to 24 h).
pub const DURATION_MAX: u32 = 1440;
/// Occurrences of a recurring meeting (FACTS: `end_times` ≤ 60).
pub const END_TIMES_MAX: u32 = 60;
/// Largest `repeat_interval` per recurrence type: daily 90 days, weekly 12 weeks,
/// monthly 3 months (verify).
pub const REPEAT_INTERVAL_MAX: [u32; 3] = [90, 12, 3];

/// Meeting types a file may create: 2 scheduled, 3 recurring with no fixed time,
/// 8 recurring with a fixed time.
pub fn meeting_type(value: &str) -> Result<u8, FieldError> {
    let v = value.trim().to_ascii_lowercase().replace(['_', '-'], " ");
    match v.as_str() {
        "2" | "scheduled" => Ok(2),
        "3" | "recurring no fixed time" | "no fixed time" => Ok(3),
        "8" | "recurring" | "recurring fixed time" => Ok(8),
        _ => Err(FieldError::new(
            E_VALUE,
            format!(
                "type {} is not a meeting type zoombulk schedules; use 2 (scheduled), 3 (recurring, no \
                 fixed time) or 8 (recurring, fixed time).",
                quoted(value)
            ),
        )),
    }
}

/// An IANA time zone name as Zoom takes them (`America/New_York`, `UTC`).
pub fn timezone(value: &str) -> Result<Tz, FieldError> {
    value.parse::<Tz>().map_err(|_| {
        FieldError::new(
            E_VALUE,
            format!(
                "timezone {} is not a time zone Zoom knows; use an IANA name such as America/New_York, \
                 Europe/Berlin or UTC.",
                quoted(value)
            ),
        )
    })
}

/// `start_time` in UTC: `…Z` or with an offset as written, else local to `tz`.
/// Accepts `YYYY-MM-DDTHH:MM[:SS]` and the same with a space.
pub fn start_time(value: &str, tz: Option<Tz>) -> Result<DateTime<Utc>, FieldError> {
    let bad = || {
        FieldError::new(
            E_VALUE,
            format!(
                "start_time {} is not a date and time; write it as 2026-09-01T09:00:00 (with a timezone \
                 column) or 2026-09-01T13:00:00Z (UTC).",
                quoted(value)
            ),
        )
    };
    let v = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
    .ok_or_else(bad)?;
    let Some(tz) = tz else {
        return Err(FieldError::new(
            E_MISSING,
            format!(
                "timezone is empty and start_time {} has no offset; give the meeting's time zone (e.g. \
                 America/New_York) or write the time in UTC with Z.",
                quoted(value)
            ),
        ));
    };
    tz.from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            FieldError::new(
                E_VALUE,
                format!(
                    "start_time {} does not exist or is ambiguous in {tz} (a daylight-saving change); \
                     pick another time or write it in UTC with Z.",
                    quoted(value)
                ),
            )
        })
}

/// A start time Zoom would schedule: in the future.
pub fn future(start: DateTime<Utc>, value: &str, now: DateTime<Utc>) -> Result<(), FieldError> {
    if start <= now {
        return Err(FieldError::new(
            E_VALUE,
            format!(
                "start_time {} is in the past; Zoom schedules meetings in the future only.",
                quoted(value)
            ),
        ));
    }
    Ok(())
}

/// A whole number within `lo..=hi`.
pub fn number(column: &str, value: &str, lo: u32, hi: u32) -> Result<u32, FieldError> {
    value
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (lo..=hi).contains(n))
        .ok_or_else(|| {
            FieldError::new(
                E_VALUE,
                format!(
                    "{column} {} must be a whole number from {lo} to {hi}.",
                    quoted(value)
                ),
            )
        })
}

/// At most `max` characters.
pub fn length(column: &str, value: &str, max: usize) -> Result<(), FieldError> {
    let n = value.chars().count();
    if n > max {
        return Err(FieldError::new(
            E_VALUE,
            format!("{column} is {n} characters long; Zoom takes at most {max}."),
        ));
    }
    Ok(())
}

/// `recurrence.type`: 1 daily, 2 weekly, 3 monthly.
pub fn recurrence_type(value: &str) -> Result<u8, FieldError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "daily" => Ok(1),
        "2" | "weekly" => Ok(2),
        "3" | "monthly" => Ok(3),
        _ => Err(FieldError::new(
            E_VALUE,
            format!(
                "recurrence_type {} is not daily (1), weekly (2) or monthly (3).",
                quoted(value)
            ),
        )),
    }
}

/// `weekly_days` as Zoom writes it (`1` Sunday … `7` Saturday, comma-separated),
/// from digits or day names (`mon;wed`, `Monday, Wednesday`).
pub fn weekly_days(value: &str) -> Result<String, FieldError> {
    const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let mut days: Vec<u8> = Vec::new();
    for part in value
        .split([',', ';', ' ', '/'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let lower = part.to_ascii_lowercase();
        let day = match lower.parse::<u8>() {
            Ok(d @ 1..=7) => Some(d),
            Ok(_) => None,
            Err(_) => DAYS
                .iter()
                .position(|d| lower.len() >= 3 && lower.starts_with(d))
                .and_then(|i| u8::try_from(i + 1).ok()),
        };
        match day {
            Some(d) if !days.contains(&d) => days.push(d),
            Some(_) => {}
            None => {
                return Err(FieldError::new(
                    E_VALUE,
                    format!(
                        "weekly_days {} is not a list of days; use 1 (Sunday) to 7 (Saturday) or day names, \
                         e.g. 2,4 or Mon;Wed.",
                        quoted(value)
                    ),
                ));
            }
        }
    }
    if days.is_empty() {
        return Err(FieldError::new(
            E_MISSING,
            "weekly_days is empty; a weekly meeting needs its days, e.g. 2,4 or Mon;Wed.",
        ));
    }
    days.sort_unstable();
    Ok(days.iter().map(u8::to_string).collect::<Vec<_>>().join(","))
}

/// `end_date_time`: a date (the end of that day in `tz`) or a date and time.
pub fn end_date_time(value: &str, tz: Option<Tz>) -> Result<DateTime<Utc>, FieldError> {
    if let Ok(day) = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
        let end = day.and_hms_opt(23, 59, 59).unwrap_or_default();
        let local = match tz {
            Some(tz) => tz
                .from_local_datetime(&end)
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
            None => Some(end.and_utc()),
        };
        return local
            .ok_or_else(|| FieldError::new(E_VALUE, "end_date_time is not a time in the time zone."));
    }
    start_time(value, tz.or(Some(Tz::UTC))).map_err(|e| FieldError {
        message: e.message.replacen("start_time", "end_date_time", 1),
        ..e
    })
}

/// `true`/`false` in the spellings spreadsheets use.
pub fn flag(column: &str, value: &str) -> Result<bool, FieldError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "on" => Ok(true),
        "false" | "no" | "n" | "0" | "off" => Ok(false),
        _ => Err(FieldError::new(
            E_VALUE,
            format!(
                "{column} {} is not true or false; use true or false.",
                quoted(value)
            ),
        )),
    }
}

/// `settings.approval_type`: 0 automatic, 1 manual, 2 no registration.
pub fn approval_type(value: &str) -> Result<u8, FieldError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "0" | "automatic" | "auto" | "automatically approve" => Ok(0),
        "1" | "manual" | "manually approve" => Ok(1),
        "2" | "none" | "no registration" => Ok(2),
        _ => Err(FieldError::new(
            E_VALUE,
            format!(
                "approval_type {} is not 0 (automatic), 1 (manual) or 2 (no registration).",
                quoted(value)
            ),
        )),
    }
}

/// `settings.auto_recording`: `local`, `cloud` or `none`.
pub fn auto_recording(value: &str) -> Result<&'static str, FieldError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "local" => Ok("local"),
        "cloud" => Ok("cloud"),
        "none" | "off" => Ok("none"),
        _ => Err(FieldError::new(
            E_VALUE,
            format!("auto_recording {} is not local, cloud or none.", quoted(value)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_times_in_their_time_zone() {
        let ny: Tz = timezone("America/New_York").unwrap();
        let t = start_time("2030-07-01T09:00:00", Some(ny)).unwrap();
        assert_eq!(t.to_rfc3339(), "2030-07-01T13:00:00+00:00");
        assert_eq!(
            start_time("2030-07-01 09:00", Some(Tz::UTC)).unwrap(),
            start_time("2030-07-01T09:00:00Z", None).unwrap()
        );
        assert!(
            start_time("2030-07-01T09:00:00", None).is_err(),
            "no zone, no offset"
        );
        assert!(start_time("tomorrow", Some(ny)).is_err());
        // A time skipped by the spring-forward change does not exist.
        assert!(start_time("2030-03-10T02:30:00", Some(ny)).is_err());
        assert!(timezone("Mars/Olympus").is_err());
    }

    #[test]
    fn past_and_impossible_values() {
        let now = Utc::now();
        let past = now - chrono::Duration::hours(1);
        assert!(future(past, "x", now).is_err());
        assert!(number("end_times", "61", 1, END_TIMES_MAX).is_err());
        assert_eq!(number("monthly_day", "31", 1, 31), Ok(31));
        assert!(number("monthly_day", "32", 1, 31).is_err());
        assert_eq!(weekly_days("Mon; wed,2").unwrap(), "2,4");
        assert!(weekly_days("").is_err());
        assert!(weekly_days("8").is_err());
        assert_eq!(meeting_type("recurring").unwrap(), 8);
        assert!(meeting_type("1").is_err());
    }
}
