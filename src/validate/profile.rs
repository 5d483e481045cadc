//! Profile columns (`PATCH /users/{userId}` fields) and feature values (`POST
//! /users/features`), checked offline (FACTS: Users, PATCH table and features).
//! Each error names the column and says what to write instead; the engine adds the
//! file and line.

use std::str::FromStr;

use super::{E_EMAIL, E_VALUE, FieldError, quoted, text};
use crate::zoom::users::PhoneNumber;

/// Longest `company`, `job_title` and `location` Zoom keeps (2026 spec).
pub const COMPANY_MAX: usize = 255;
pub const JOB_TITLE_MAX: usize = 128;
pub const LOCATION_MAX: usize = 256;
/// The spec gives no limit for these: a generous one keeps a pasted paragraph out.
pub const FREE_TEXT_MAX: usize = 256;
/// Phone numbers a user may have.
pub const MAX_PHONES: usize = 3;
/// Custom attributes a user may have.
pub const MAX_CUSTOM_ATTRIBUTES: usize = 5;

/// Checks a single-line profile text cell against a length limit (characters).
pub fn profile_text(column: &str, value: &str, max: usize) -> Result<(), FieldError> {
    text(column, value)?;
    let chars = value.chars().count();
    if chars > max {
        return Err(FieldError::new(
            E_VALUE,
            format!("{column} is {chars} characters long; Zoom keeps at most {max}: shorten it."),
        ));
    }
    Ok(())
}

/// The length limit of a profile text column (`dept`, `company`, …).
pub fn text_limit(field: &str) -> usize {
    match field {
        "company" => COMPANY_MAX,
        "job_title" => JOB_TITLE_MAX,
        "location" => LOCATION_MAX,
        _ => FREE_TEXT_MAX,
    }
}

/// An IANA time-zone name (`America/New_York`, `Europe/London`, `UTC`), the form
/// Zoom's `timezone` takes.
pub fn timezone(value: &str) -> Result<(), FieldError> {
    match chrono_tz::Tz::from_str(value) {
        Ok(_) => Ok(()),
        Err(_) => Err(FieldError::new(
            E_VALUE,
            format!(
                "timezone {} is not a time-zone name Zoom knows; write an IANA name such as \
                 America/New_York, Europe/London or Asia/Tokyo (case matters).",
                quoted(value)
            ),
        )),
    }
}

/// Zoom's user `language` values (its locale codes), with the English name of each
/// (verify: the 2026 spec's example is `English`; Zoom answers with the codes).
pub const USER_LANGUAGES: [(&str, &str); 14] = [
    ("en-US", "English"),
    ("de-DE", "German"),
    ("es-ES", "Spanish"),
    ("fr-FR", "French"),
    ("jp-JP", "Japanese"),
    ("pt-PT", "Portuguese"),
    ("ru-RU", "Russian"),
    ("zh-CN", "Chinese (Simplified)"),
    ("zh-TW", "Chinese (Traditional)"),
    ("ko-KO", "Korean"),
    ("it-IT", "Italian"),
    ("vi-VN", "Vietnamese"),
    ("pl-PL", "Polish"),
    ("Tr-TR", "Turkish"),
];

/// Reads `language`: a code of [`USER_LANGUAGES`] or its English name, any case,
/// `_` for `-`; `ja-JP`/`ko-KR` read as Zoom's `jp-JP`/`ko-KO`. Returns the code sent.
pub fn language(value: &str) -> Result<&'static str, FieldError> {
    let v = value.trim();
    let folded = v.replace('_', "-");
    let alias = match folded.to_ascii_lowercase().as_str() {
        "ja-jp" => Some("jp-JP"),
        "ko-kr" => Some("ko-KO"),
        _ => None,
    };
    if let Some(code) = alias {
        return Ok(code);
    }
    USER_LANGUAGES
        .iter()
        .find(|(code, name)| code.eq_ignore_ascii_case(&folded) || name.eq_ignore_ascii_case(v))
        .map(|(code, _)| *code)
        .ok_or_else(|| {
            let codes: Vec<&str> = USER_LANGUAGES.iter().map(|(c, _)| *c).collect();
            FieldError::new(
                E_VALUE,
                format!(
                    "language {} is not a language Zoom offers; use one of {} (or its English name).",
                    quoted(v),
                    codes.join(", ")
                ),
            )
        })
}

/// `manager`: the email address of a user in the same account (FACTS).
pub fn manager(value: &str) -> Result<(), FieldError> {
    super::email(value).map_err(|e| {
        FieldError::new(
            E_EMAIL,
            format!(
                "manager {} is not an email address ({}); write the manager's Zoom email, like boss@example.com.",
                quoted(value),
                e.message.trim_end_matches('.')
            ),
        )
    })
}

/// `pronouns_option`: 1 ask every time, 2 always display, 3 do not display (also
/// `ask`, `always`, `never`).
pub fn pronouns_option(value: &str) -> Result<u8, FieldError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "ask" => Ok(1),
        "2" | "always" | "display" => Ok(2),
        "3" | "never" | "hide" => Ok(3),
        _ => Err(FieldError::new(
            E_VALUE,
            format!(
                "pronouns_option {} is not one of Zoom's settings; use 1 (ask), 2 (always display) or 3 (do not display).",
                quoted(value)
            ),
        )),
    }
}

/// Country calling codes and the country id Zoom pairs with each (longest first
/// matters: `+1` and `+12…` never overlap here). `+1` is read as the US.
const CALLING_CODES: [(&str, &str); 36] = [
    ("+971", "AE"),
    ("+972", "IL"),
    ("+353", "IE"),
    ("+351", "PT"),
    ("+358", "FI"),
    ("+420", "CZ"),
    ("+852", "HK"),
    ("+886", "TW"),
    ("+1", "US"),
    ("+7", "RU"),
    ("+20", "EG"),
    ("+27", "ZA"),
    ("+30", "GR"),
    ("+31", "NL"),
    ("+32", "BE"),
    ("+33", "FR"),
    ("+34", "ES"),
    ("+36", "HU"),
    ("+39", "IT"),
    ("+40", "RO"),
    ("+41", "CH"),
    ("+43", "AT"),
    ("+44", "GB"),
    ("+45", "DK"),
    ("+46", "SE"),
    ("+47", "NO"),
    ("+48", "PL"),
    ("+49", "DE"),
    ("+52", "MX"),
    ("+55", "BR"),
    ("+61", "AU"),
    ("+64", "NZ"),
    ("+65", "SG"),
    ("+81", "JP"),
    ("+82", "KR"),
    ("+91", "IN"),
];

const PHONE_LABELS: [&str; 4] = ["Mobile", "Office", "Home", "Fax"];

fn phone_error(column: &str, value: &str, what: &str) -> FieldError {
    FieldError::new(
        E_VALUE,
        format!(
            "{column} {} {what}; write +<country code> <number>, e.g. +1 555 0100, optionally after a \
             label (Mobile: +44 7700 900123), several separated by `;` (at most {MAX_PHONES}).",
            quoted(value)
        ),
    )
}

/// Reads a `phone` cell: up to three numbers separated by `;`, each
/// `[Label:] +<code> <number>` → `phone_numbers` entries (code, country, label, number).
pub fn phones(column: &str, value: &str) -> Result<Vec<PhoneNumber>, FieldError> {
    let parts: Vec<&str> = value
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() > MAX_PHONES {
        return Err(phone_error(
            column,
            value,
            &format!("holds {} numbers", parts.len()),
        ));
    }
    parts.into_iter().map(|p| phone(column, p)).collect()
}

fn phone(column: &str, value: &str) -> Result<PhoneNumber, FieldError> {
    let (label, rest) = match value.split_once(':') {
        Some((l, r)) => {
            let label = PHONE_LABELS
                .iter()
                .find(|x| x.eq_ignore_ascii_case(l.trim()))
                .ok_or_else(|| {
                    phone_error(
                        column,
                        value,
                        "has a label Zoom does not know (Mobile, Office, Home, Fax)",
                    )
                })?;
            (label.to_string(), r.trim())
        }
        None => (String::new(), value),
    };
    if !rest.starts_with('+') {
        return Err(phone_error(column, value, "has no country code"));
    }
    let digits: String = rest
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    if digits.len() < 2 || !digits[1..].bytes().all(|b| b.is_ascii_digit()) {
        return Err(phone_error(column, value, "holds characters other than digits"));
    }
    // The code is what comes before the first separator when there is one (`+1 555…`),
    // else the longest known code the digits start with.
    let written = rest[1..]
        .find(|c: char| !c.is_ascii_digit())
        .map(|at| &rest[..=at])
        .filter(|c| c.len() > 1);
    let (code, country) = match written {
        Some(code) => match CALLING_CODES.iter().find(|(c, _)| *c == code) {
            Some((c, country)) => (c.to_string(), country.to_string()),
            None => {
                return Err(phone_error(
                    column,
                    value,
                    &format!("has a country code ({code}) zoombulk does not know"),
                ));
            }
        },
        None => match CALLING_CODES.iter().find(|(c, _)| digits.starts_with(c)) {
            Some((c, country)) => (c.to_string(), country.to_string()),
            None => {
                return Err(phone_error(
                    column,
                    value,
                    "has a country code zoombulk does not know",
                ));
            }
        },
    };
    let number = digits[code.len()..].to_string();
    if !(4..=15).contains(&number.len()) {
        return Err(phone_error(column, value, "is too short or too long"));
    }
    Ok(PhoneNumber {
        code,
        country,
        label,
        number,
    })
}

/// More `custom:<name>` columns than Zoom keeps per user.
pub fn custom_attribute_count(count: usize) -> Result<(), FieldError> {
    if count > MAX_CUSTOM_ATTRIBUTES {
        return Err(FieldError::new(
            E_VALUE,
            format!(
                "the file has {count} custom:<name> columns; Zoom keeps at most {MAX_CUSTOM_ATTRIBUTES} custom \
                 attributes per user: drop some columns."
            ),
        ));
    }
    Ok(())
}

/// Feature types `POST /users/features` takes (FACTS), as file columns and `--feature`.
pub const FEATURE_TYPES: [&str; 10] = [
    "user_type",
    "concurrent_meeting",
    "large_meeting",
    "webinar",
    "zoom_events",
    "zoom_whiteboard",
    "zoom_revenue_accelerator",
    "zoom_clips_plus",
    "plan_united_type",
    "zoom_one_type",
];

/// Whether a column name is a feature column (not `user_type`: that is the `type` column).
pub fn is_feature_column(name: &str) -> bool {
    name != "user_type" && FEATURE_TYPES.contains(&name)
}

/// `webinar` capacities and their `feature_value` codes.
const WEBINAR: [(&str, &str); 12] = [
    ("100", "16"),
    ("500", "1"),
    ("1000", "64"),
    ("3000", "128"),
    ("5000", "256"),
    ("10000", "512"),
    ("20000", "1024"),
    ("30000", "2048"),
    ("40000", "4096"),
    ("50000", "8192"),
    ("promo500", "16384"),
    ("promo1000", "32768"),
];
/// `large_meeting` capacities and their codes.
const LARGE_MEETING: [(&str, &str); 7] = [
    ("100", "1"),
    ("200", "32"),
    ("300", "64"),
    ("500", "128"),
    ("1000", "256"),
    ("3000", "1024"),
    ("5000", "2048"),
];
const ZOOM_EVENTS: [&str; 9] = [
    "0", "500", "1000", "3000", "5000", "10000", "20000", "30000", "50000",
];

fn feature_error(kind: &str, value: &str, expected: &str) -> FieldError {
    FieldError::new(
        E_VALUE,
        format!(
            "{kind} {} is not a value Zoom takes; use {expected}.",
            quoted(value)
        ),
    )
}

fn capacities(table: &[(&str, &str)]) -> String {
    let caps: Vec<&str> = table
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| !c.starts_with("promo"))
        .collect();
    format!("0 or off, a capacity ({}) or Zoom's code for it", caps.join(", "))
}

/// Reads a feature value as a spreadsheet writes it and returns Zoom's `feature_value`:
/// capacities (`webinar` 500 → `1`) or Zoom's codes, `true`/`false`/`yes`/`no`,
/// `Basic`/`Licensed`. Unknown feature types are refused too.
pub fn feature(kind: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    let off = matches!(lower.as_str(), "0" | "off" | "none" | "no" | "false");
    let power_of_two = |max: u64| {
        lower
            .parse::<u64>()
            .is_ok_and(|n| n == 0 || (n.is_power_of_two() && n <= max))
    };
    let coded = |table: &[(&str, &str)]| {
        if off {
            return Some("0".to_string());
        }
        table
            .iter()
            .find(|(cap, code)| *cap == lower || *code == lower)
            .map(|(_, code)| code.to_string())
    };
    let got = match kind {
        "user_type" => match lower.as_str() {
            "1" | "basic" => Some("1".into()),
            "2" | "licensed" => Some("2".into()),
            _ => None,
        },
        "concurrent_meeting" => match lower.as_str() {
            "basic" => Some("Basic".into()),
            "plus" => Some("Plus".into()),
            "none" | "off" | "0" => Some("None".into()),
            _ => None,
        },
        "large_meeting" => coded(&LARGE_MEETING),
        "webinar" => coded(&WEBINAR),
        "zoom_events" => ZOOM_EVENTS
            .contains(&lower.as_str())
            .then(|| lower.clone())
            .or(off.then(|| "0".into())),
        "zoom_whiteboard" | "zoom_revenue_accelerator" | "zoom_clips_plus" | "zoom_iq_for_sales" => {
            match lower.as_str() {
                "true" | "yes" | "1" | "on" => Some("true".into()),
                "false" | "no" | "0" | "off" => Some("false".into()),
                _ => None,
            }
        }
        "plan_united_type" => power_of_two(131_072).then(|| lower.clone()),
        // Education plans have more codes than FACTS lists: any power of two.
        "zoom_one_type" => power_of_two(u64::MAX).then(|| lower.clone()),
        _ => {
            return Err(FieldError::new(
                E_VALUE,
                format!(
                    "{} is not a feature Zoom sets through POST /users/features; use one of {}.",
                    quoted(kind),
                    FEATURE_TYPES.join(", ")
                ),
            ));
        }
    };
    got.ok_or_else(|| {
        let expected = match kind {
            "user_type" => "1 (Basic) or 2 (Licensed)".to_string(),
            "concurrent_meeting" => "Basic, Plus or None".to_string(),
            "large_meeting" => capacities(&LARGE_MEETING),
            "webinar" => capacities(&WEBINAR),
            "zoom_events" => format!("one of {}", ZOOM_EVENTS.join(", ")),
            "plan_united_type" => "0 or Zoom's plan code (a power of two up to 131072)".to_string(),
            "zoom_one_type" => "0 or Zoom's plan code (a power of two, e.g. 16, 32, 64, 128)".to_string(),
            _ => "true or false".to_string(),
        };
        feature_error(kind, v, &expected)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezones_are_iana_names() {
        assert!(timezone("America/New_York").is_ok());
        assert!(timezone("UTC").is_ok());
        let e = timezone("Mars/Olympus").unwrap_err();
        assert!(e.message.contains("timezone \"Mars/Olympus\""), "{e}");
        assert!(e.message.contains("Europe/London"), "{e}");
    }

    #[test]
    fn languages_are_zoom_codes_or_their_names() {
        assert_eq!(language("en-us"), Ok("en-US"));
        assert_eq!(language("German"), Ok("de-DE"));
        assert_eq!(language("ja_JP"), Ok("jp-JP"));
        let e = language("Klingon").unwrap_err();
        assert!(e.message.starts_with("language \"Klingon\""), "{e}");
    }

    #[test]
    fn manager_must_be_an_email() {
        assert!(manager("boss@example.com").is_ok());
        let e = manager("Tara Smith").unwrap_err();
        assert_eq!(e.code, E_EMAIL);
        assert!(e.message.starts_with("manager \"Tara Smith\""), "{e}");
    }

    #[test]
    fn phones_are_split_into_code_country_and_number() {
        let p = phones("phone", "+1 555 0100").unwrap();
        assert_eq!(
            p,
            [PhoneNumber {
                code: "+1".into(),
                country: "US".into(),
                label: String::new(),
                number: "5550100".into()
            }]
        );
        let two = phones("phone", "Mobile: +44 7700 900123; office:+4930123456").unwrap();
        assert_eq!((two[0].country.as_str(), two[0].label.as_str()), ("GB", "Mobile"));
        assert_eq!(
            (
                two[1].code.as_str(),
                two[1].number.as_str(),
                two[1].label.as_str()
            ),
            ("+49", "30123456", "Office")
        );
        for bad in [
            "555 0100",
            "+1 555 01x0",
            "+999 1234567",
            "+1 1",
            "Pager: +1 555 0100",
            "+1 1111;+1 2222;+1 3333;+1 4444",
        ] {
            let e = phones("phone", bad).unwrap_err();
            assert!(e.message.contains("+<country code> <number>"), "{bad}: {e}");
        }
    }

    #[test]
    fn lengths_follow_the_spec() {
        assert!(profile_text("job_title", &"x".repeat(128), text_limit("job_title")).is_ok());
        let e = profile_text("job_title", &"x".repeat(129), text_limit("job_title")).unwrap_err();
        assert!(e.message.starts_with("job_title is 129 characters long"), "{e}");
        assert!(profile_text("company", &"x".repeat(256), text_limit("company")).is_err());
        assert!(profile_text("location", &"x".repeat(256), text_limit("location")).is_ok());
        assert!(profile_text("dept", "a\u{0}b", text_limit("dept")).is_err());
        assert!(custom_attribute_count(5).is_ok());
        assert!(
            custom_attribute_count(6)
                .unwrap_err()
                .message
                .contains("at most 5")
        );
        assert_eq!(pronouns_option("always"), Ok(2));
        assert!(pronouns_option("4").is_err());
    }

    #[test]
    fn features_read_capacities_or_codes() {
        assert_eq!(feature("webinar", "500").as_deref(), Ok("1"));
        assert_eq!(feature("webinar", "1").as_deref(), Ok("1"));
        assert_eq!(feature("webinar", "off").as_deref(), Ok("0"));
        assert_eq!(feature("large_meeting", "1000").as_deref(), Ok("256"));
        assert_eq!(feature("zoom_whiteboard", "Yes").as_deref(), Ok("true"));
        assert_eq!(feature("concurrent_meeting", "plus").as_deref(), Ok("Plus"));
        assert_eq!(feature("zoom_one_type", "16").as_deref(), Ok("16"));
        assert_eq!(feature("user_type", "Licensed").as_deref(), Ok("2"));
        let e = feature("webinar", "600").unwrap_err();
        assert!(e.message.starts_with("webinar \"600\""), "{e}");
        assert!(e.message.contains("500"), "{e}");
        assert!(feature("zoom_one_type", "17").is_err());
        assert!(feature("teleport", "1").unwrap_err().message.contains("webinar"));
        assert!(is_feature_column("webinar") && !is_feature_column("user_type"));
    }
}
