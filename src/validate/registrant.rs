//! Registrant fields with a closed set of values: `country` (ISO 3166-1
//! alpha-2) and Zoom's three enumerations (FACTS: Meetings, webinars, registrants).

use super::{E_COUNTRY, E_VALUE, FieldError, quoted};

/// Every officially assigned ISO 3166-1 alpha-2 code (249), sorted.
pub const COUNTRY_CODES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", //
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", //
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", //
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", //
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", //
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", //
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", //
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", //
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", //
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", //
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", //
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", //
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", //
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", //
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", //
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Reads a `country` cell: a two-letter ISO 3166-1 code in any case; returns it
/// upper-case, as Zoom expects.
pub fn country(value: &str) -> Result<&'static str, FieldError> {
    let v = value.trim();
    if let [a, b] = v.as_bytes() {
        let code = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
        if let Ok(i) = COUNTRY_CODES.binary_search_by(|c| c.as_bytes().cmp(&code[..])) {
            return Ok(COUNTRY_CODES[i]);
        }
    }
    let hint = if v.eq_ignore_ascii_case("uk") {
        "use GB for the United Kingdom"
    } else {
        "use the two-letter ISO 3166-1 code, like US, GB, DE or JP"
    };
    Err(FieldError::new(
        E_COUNTRY,
        format!("country {} is not an ISO 3166-1 country code; {hint}.", quoted(v)),
    ))
}

/// `no_of_employees` as `POST …/registrants` takes it (FACTS: Registrants): what is sent.
pub const NO_OF_EMPLOYEES: [&str; 8] = [
    "1-20",
    "21-50",
    "51-100",
    "101-500",
    "500-1,000",
    "1,001-5,000",
    "5,001-10,000",
    "More than 10,000",
];

/// The spellings of `GET …/registrants` (and so of `registrants export`) that differ
/// from the POST enum, with the POST value each is sent as. Accepted on input so an
/// export can be fed back; the one table of this mapping.
pub const NO_OF_EMPLOYEES_LISTED: [(&str, &str); 3] = [
    ("101-250", "101-500"),
    ("251-500", "101-500"),
    ("501-1,000", "500-1,000"),
];

/// A registrant's `language` (the language of Zoom's confirmation e-mails), spelled
/// exactly as the POST enum has it (FACTS: Registrants; `Tr-TR` included). No `""`:
/// an empty cell leaves the field out.
pub const REGISTRANT_LANGUAGES: [&str; 14] = [
    "en-US", "de-DE", "es-ES", "fr-FR", "jp-JP", "pt-PT", "ru-RU", "zh-CN", "zh-TW", "ko-KO", "it-IT",
    "vi-VN", "pl-PL", "Tr-TR",
];

/// `purchasing_time_frame` values, as Zoom spells them.
pub const PURCHASING_TIME_FRAME: [&str; 5] = [
    "Within a month",
    "1-3 months",
    "4-6 months",
    "More than 6 months",
    "No timeframe",
];

/// `role_in_purchase_process` values, as Zoom spells them.
pub const ROLE_IN_PURCHASE_PROCESS: [&str; 4] = [
    "Decision Maker",
    "Evaluator/Recommender",
    "Influencer",
    "Not involved",
];

/// Folded form of an enumeration value: lower-case, without spaces and thousands
/// separators, with en/em dashes read as `-`.
fn folded(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            c => c.to_ascii_lowercase(),
        })
}

fn one_of(column: &str, value: &str, allowed: &'static [&'static str]) -> Result<&'static str, FieldError> {
    if let Some(found) = allowed.iter().find(|a| folded(value).eq(folded(a))) {
        return Ok(found);
    }
    let list = allowed
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    Err(FieldError::new(
        E_VALUE,
        format!(
            "{column} {} is not one of Zoom's values; use one of {list}.",
            quoted(value.trim())
        ),
    ))
}

/// Reads `no_of_employees` in either spelling (the POST enum, or the listing's, see
/// [`NO_OF_EMPLOYEES_LISTED`]); returns the POST value to send (`501-1000` →
/// `500-1,000`).
pub fn no_of_employees(value: &str) -> Result<&'static str, FieldError> {
    if let Some((_, sent)) = NO_OF_EMPLOYEES_LISTED
        .iter()
        .find(|(listed, _)| folded(value).eq(folded(listed)))
    {
        return Ok(sent);
    }
    one_of("no_of_employees", value, &NO_OF_EMPLOYEES)
}

/// Standard tags (BCP 47) for the two languages Zoom's enum spells otherwise, with the
/// value sent for each.
const LANGUAGE_TAGS: [(&str, &str); 2] = [("ja-JP", "jp-JP"), ("ko-KR", "ko-KO")];

/// Reads a registrant's `language`: one of [`REGISTRANT_LANGUAGES`] (or `ja-JP`,
/// `ko-KR`) in any case, with `_` read as `-` (`de_de`); returns Zoom's exact spelling.
pub fn language(value: &str) -> Result<&'static str, FieldError> {
    let v = value.trim();
    let same = |a: &str| {
        a.len() == v.len()
            && a.bytes()
                .zip(v.bytes())
                .all(|(x, y)| x.eq_ignore_ascii_case(&if y == b'_' { b'-' } else { y }))
    };
    if let Some(found) = REGISTRANT_LANGUAGES.iter().find(|a| same(a)) {
        return Ok(found);
    }
    if let Some((_, sent)) = LANGUAGE_TAGS.iter().find(|(tag, _)| same(tag)) {
        return Ok(sent);
    }
    Err(FieldError::new(
        E_VALUE,
        format!(
            "language {} is not one of the languages Zoom sends registration e-mails in; use one of {}, or \
             leave the cell empty.",
            quoted(v),
            REGISTRANT_LANGUAGES.join(", ")
        ),
    ))
}

/// Reads `purchasing_time_frame`; returns Zoom's spelling.
pub fn purchasing_time_frame(value: &str) -> Result<&'static str, FieldError> {
    one_of("purchasing_time_frame", value, &PURCHASING_TIME_FRAME)
}

/// Reads `role_in_purchase_process`; returns Zoom's spelling.
pub fn role_in_purchase_process(value: &str) -> Result<&'static str, FieldError> {
    one_of("role_in_purchase_process", value, &ROLE_IN_PURCHASE_PROCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_table_is_sorted_unique_and_two_letters() {
        assert!(COUNTRY_CODES.windows(2).all(|w| w[0] < w[1]));
        assert!(
            COUNTRY_CODES
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
        for c in COUNTRY_CODES {
            assert_eq!(country(c), Ok(c));
        }
    }

    #[test]
    fn countries() {
        assert_eq!(country("us"), Ok("US"));
        assert_eq!(country(" gB "), Ok("GB"));
        assert_eq!(country("ax"), Ok("AX"));
        for bad in ["", "U", "USA", "XX", "ZZ", "United States", "é", "1A"] {
            let e = country(bad).unwrap_err();
            assert_eq!(e.code, E_COUNTRY);
            assert!(e.message.starts_with("country "), "{}", e.message);
        }
        assert!(country("UK").unwrap_err().message.contains("GB"));
    }

    #[test]
    fn enumerations_return_zoom_spelling() {
        assert_eq!(no_of_employees("1-20"), Ok("1-20"));
        assert_eq!(no_of_employees(" 501-1000 "), Ok("500-1,000"));
        assert_eq!(no_of_employees("500-1000"), Ok("500-1,000"));
        assert_eq!(no_of_employees("101-250"), Ok("101-500"));
        assert_eq!(no_of_employees("251 - 500"), Ok("101-500"));
        assert_eq!(no_of_employees("101-500"), Ok("101-500"));
        assert_eq!(no_of_employees("1,001 - 5,000"), Ok("1,001-5,000"));
        assert_eq!(no_of_employees("1–20"), Ok("1-20"));
        assert_eq!(no_of_employees("more than 10,000"), Ok("More than 10,000"));
        assert_eq!(purchasing_time_frame("within a month"), Ok("Within a month"));
        assert_eq!(purchasing_time_frame("No time frame"), Ok("No timeframe"));
        assert_eq!(purchasing_time_frame("1-3 Months"), Ok("1-3 months"));
        assert_eq!(role_in_purchase_process("decision maker"), Ok("Decision Maker"));
        assert_eq!(
            role_in_purchase_process("Evaluator / Recommender"),
            Ok("Evaluator/Recommender")
        );
        assert_eq!(role_in_purchase_process("NOT INVOLVED"), Ok("Not involved"));
        for v in NO_OF_EMPLOYEES {
            assert_eq!(no_of_employees(v), Ok(v));
        }
        // Every listed spelling is sent as a POST value.
        for (listed, sent) in NO_OF_EMPLOYEES_LISTED {
            assert!(NO_OF_EMPLOYEES.contains(&sent));
            assert_eq!(no_of_employees(listed), Ok(sent));
        }
    }

    #[test]
    fn languages_are_sent_in_zooms_exact_spelling() {
        for l in REGISTRANT_LANGUAGES {
            assert_eq!(language(l), Ok(l));
        }
        assert_eq!(language("tr-tr"), Ok("Tr-TR"));
        assert_eq!(language(" de_DE "), Ok("de-DE"));
        assert_eq!(language("JP-jp"), Ok("jp-JP"));
        assert_eq!(language("ja-JP"), Ok("jp-JP"));
        assert_eq!(language("ko_kr"), Ok("ko-KO"));
        for bad in ["", "en", "English", "ja", "en-GB", "pt-BR", "de-DE-x"] {
            let e = language(bad).unwrap_err();
            assert_eq!(e.code, E_VALUE);
            assert!(e.message.starts_with("language "), "{}", e.message);
            assert!(e.message.contains("Tr-TR"), "{}", e.message);
        }
    }

    #[test]
    fn enumeration_errors_list_the_values() {
        let e = no_of_employees("lots").unwrap_err();
        assert_eq!(e.code, E_VALUE);
        assert!(e.message.starts_with("no_of_employees \"lots\""));
        assert!(e.message.contains("\"More than 10,000\""));
        let e = role_in_purchase_process("boss").unwrap_err();
        assert!(
            e.message
                .contains("\"Decision Maker\", \"Evaluator/Recommender\"")
        );
        assert!(purchasing_time_frame("").is_err());
    }
}
