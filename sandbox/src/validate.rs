//! Zoom's field rules (FACTS.md: Users, registrants), shared by every route that takes
//! the same kind of field, so a rule cannot be strict in one place and lax in another.

use serde_json::{Map, Value};

use crate::errors::{FIELD_INVALID, FIELD_REQUIRED, FIELD_UNKNOWN, Problems, too_long};

pub const EMAIL_MAX: usize = 128;
pub const NAME_MAX: usize = 64;
pub const DISPLAY_NAME_MAX: usize = 128;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 32;
/// "Cannot contain more than 5 Chinese characters" (first and last name).
pub const NAME_MAX_CHINESE: usize = 5;
/// "Cannot contain more than 10 Chinese characters" (display name).
pub const DISPLAY_NAME_MAX_CHINESE: usize = 10;

/// `no_of_employees` as `POST …/registrants` takes it (FACTS: Registrants; the listing
/// spells some ranges differently: `101-250`, `251-500`, `501-1,000`).
pub const NO_OF_EMPLOYEES: &[&str] = &[
    "1-20",
    "21-50",
    "51-100",
    "101-500",
    "500-1,000",
    "1,001-5,000",
    "5,001-10,000",
    "More than 10,000",
];
pub const PURCHASING_TIME_FRAME: &[&str] = &[
    "Within a month",
    "1-3 months",
    "4-6 months",
    "More than 6 months",
    "No timeframe",
];
pub const ROLE_IN_PURCHASE_PROCESS: &[&str] = &[
    "Decision Maker",
    "Evaluator/Recommender",
    "Influencer",
    "Not involved",
];
pub const REGISTRANT_LANGUAGES: &[&str] = &[
    "en-US", "de-DE", "es-ES", "fr-FR", "jp-JP", "pt-PT", "ru-RU", "zh-CN", "zh-TW", "ko-KO", "it-IT",
    "vi-VN", "pl-PL", "Tr-TR",
];

/// ISO 3166-1 alpha-2 codes (officially assigned), upper case.
pub const COUNTRIES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA",
    "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV",
    "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU",
    "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES",
    "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM",
    "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE",
    "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM",
    "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY",
    "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT",
    "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU",
    "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA",
    "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM",
    "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL",
    "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE",
    "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// A deliberately ordinary address check: one `@`, a dot-atom local part, and a domain of
/// at least two labels ending in an alphabetic TLD. Zoom rejects what this rejects.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || domain.contains('@') {
        return false;
    }
    let local_ok = local
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    if !local_ok {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let labels_ok = labels.iter().all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    });
    let tld = labels.last().copied().unwrap_or("");
    labels_ok && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
}

pub fn chinese_chars(s: &str) -> usize {
    s.chars()
        .filter(|c| {
            matches!(u32::from(*c),
                0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF | 0x2A700..=0x2EBEF)
        })
        .count()
}

/// Why a password breaks Zoom's basic rules, if it does. Each variant maps to one of the
/// codes `PUT /users/{id}/password` documents (1124–1131); `POST /users` reports all of them
/// as `Invalid parameter: password`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    NoLetter,
    NoDigit,
    NoMixedCase,
    RepeatedCharacter,
    ConsecutiveRun,
}

impl PasswordProblem {
    pub fn code_and_message(self) -> (i64, String) {
        match self {
            PasswordProblem::TooShort => (1124, format!("Have at least {PASSWORD_MIN} characters")),
            PasswordProblem::TooLong => (300, "Invalid parameter: password".to_string()),
            PasswordProblem::NoLetter => (1125, "Have at least 1 letter (a, b, c…)".to_string()),
            PasswordProblem::NoDigit => (1126, "Have at least 1 number (1, 2, 3…)".to_string()),
            PasswordProblem::NoMixedCase => (
                1128,
                "Include both Upper case and Lower case characters".to_string(),
            ),
            PasswordProblem::RepeatedCharacter => {
                (1130, "Password can't use the same character.".to_string())
            }
            PasswordProblem::ConsecutiveRun => (
                1131,
                "Password can't use continuation character.Such as 'abcdef','123456'.".to_string(),
            ),
        }
    }
}

pub fn password_problem(pw: &str) -> Option<PasswordProblem> {
    let n = pw.chars().count();
    if n < PASSWORD_MIN {
        return Some(PasswordProblem::TooShort);
    }
    if n > PASSWORD_MAX {
        return Some(PasswordProblem::TooLong);
    }
    // The shape rules first: "11111111" or "12345678" deserve the specific message.
    let lower: Vec<u32> = pw.chars().flat_map(char::to_lowercase).map(u32::from).collect();
    if lower.windows(2).all(|w| w[0] == w[1]) {
        return Some(PasswordProblem::RepeatedCharacter);
    }
    let ascending = lower.windows(2).all(|w| w[1] == w[0] + 1);
    let descending = lower.windows(2).all(|w| w[0] == w[1] + 1);
    if ascending || descending {
        return Some(PasswordProblem::ConsecutiveRun);
    }
    if !pw.chars().any(char::is_alphabetic) {
        return Some(PasswordProblem::NoLetter);
    }
    if !pw.chars().any(|c| c.is_ascii_digit()) {
        return Some(PasswordProblem::NoDigit);
    }
    if !(pw.chars().any(char::is_uppercase) && pw.chars().any(char::is_lowercase)) {
        return Some(PasswordProblem::NoMixedCase);
    }
    None
}

/// Reads a JSON object's fields with Zoom's strictness: wrong JSON types, over-long
/// strings and fields the endpoint does not know are reported with their dotted path.
pub struct Fields<'a, 'p> {
    obj: &'a Map<String, Value>,
    prefix: &'p str,
    problems: &'p mut Problems,
}

impl<'a, 'p> Fields<'a, 'p> {
    pub fn new(obj: &'a Map<String, Value>, prefix: &'p str, problems: &'p mut Problems) -> Self {
        Fields {
            obj,
            prefix,
            problems,
        }
    }

    pub fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    pub fn bad(&mut self, key: &str, message: impl Into<String>) {
        let path = self.path(key);
        self.problems.add(path, message);
    }

    /// Flags every key not in `known` (Zoom would ignore it; the sandbox refuses so a client
    /// that sends a field to the wrong place learns about it in tests, not in production).
    pub fn only(&mut self, known: &[&str]) {
        let unknown: Vec<String> = self
            .obj
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .cloned()
            .collect();
        for key in unknown {
            self.bad(&key, FIELD_UNKNOWN);
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.obj.get(key).is_some_and(|v| !v.is_null())
    }

    /// A string field: `None` when absent or null; a problem when not a string or too long.
    pub fn string(&mut self, key: &str, max: Option<usize>) -> Option<String> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                if let Some(max) = max
                    && s.chars().count() > max
                {
                    self.bad(key, too_long(max));
                }
                Some(s.clone())
            }
            Some(_) => {
                self.bad(key, FIELD_INVALID);
                None
            }
        }
    }

    pub fn required_string(&mut self, key: &str, max: Option<usize>) -> Option<String> {
        let value = self.string(key, max);
        if value.as_deref().is_none_or(|s| s.trim().is_empty()) && !self.problems_mention(key) {
            self.bad(key, FIELD_REQUIRED);
            return None;
        }
        value
    }

    fn problems_mention(&self, key: &str) -> bool {
        let path = self.path(key);
        self.problems.0.iter().any(|p| p.field == path)
    }

    pub fn integer(&mut self, key: &str) -> Option<i64> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
            Some(_) => {
                self.bad(key, FIELD_INVALID);
                None
            }
        }
    }

    pub fn boolean(&mut self, key: &str) -> Option<bool> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.bad(key, FIELD_INVALID);
                None
            }
        }
    }

    /// A string that must be one of `allowed` (the empty string counts as not given).
    pub fn one_of(&mut self, key: &str, allowed: &[&str]) -> Option<String> {
        let value = self.string(key, None)?;
        if value.is_empty() {
            return Some(value);
        }
        if !allowed.contains(&value.as_str()) {
            self.bad(key, FIELD_INVALID);
        }
        Some(value)
    }

    /// A string that must be exactly one of `allowed`; unlike [`Fields::one_of`] the empty
    /// string is refused too (an enum without `""`, such as a registrant's `language`).
    pub fn exactly_one_of(&mut self, key: &str, allowed: &[&str]) -> Option<String> {
        let value = self.string(key, None)?;
        if !allowed.contains(&value.as_str()) {
            self.bad(key, FIELD_INVALID);
        }
        Some(value)
    }

    pub fn email(&mut self, key: &str, required: bool) -> Option<String> {
        let value = if required {
            self.required_string(key, None)
        } else {
            self.string(key, None)
        }?;
        if value.chars().count() > EMAIL_MAX {
            self.bad(key, too_long(EMAIL_MAX));
        } else if !value.is_empty() && !is_valid_email(&value) {
            self.bad(key, FIELD_INVALID);
        }
        Some(value)
    }

    /// A name with Zoom's length and Chinese-character limits.
    pub fn name(&mut self, key: &str, max: usize, max_chinese: usize, required: bool) -> Option<String> {
        let value = if required {
            self.required_string(key, Some(max))
        } else {
            self.string(key, Some(max))
        }?;
        if chinese_chars(&value) > max_chinese {
            self.bad(
                key,
                format!("Cannot contain more than {max_chinese} Chinese characters."),
            );
        }
        Some(value)
    }

    pub fn object(&mut self, key: &str) -> Option<&'a Map<String, Value>> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => {
                self.bad(key, FIELD_INVALID);
                None
            }
        }
    }

    /// A required array of users as `{"id"}` or `{"email"}` (`id` wins when both are
    /// given): the id or email of each.
    pub fn user_keys(&mut self, key: &str) -> Vec<String> {
        let items = self.array(key).cloned();
        if !self.has(key) {
            self.bad(key, FIELD_REQUIRED);
        }
        let mut keys = Vec::new();
        for (i, item) in items.iter().flatten().enumerate() {
            let text = |k: &str| item.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
            match text("id").or_else(|| text("email")) {
                Some(user) if item.is_object() => keys.push(user.to_string()),
                _ => self.bad(&format!("{key}[{i}]"), FIELD_INVALID),
            }
        }
        keys
    }

    pub fn array(&mut self, key: &str) -> Option<&'a Vec<Value>> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => Some(a),
            Some(_) => {
                self.bad(key, FIELD_INVALID);
                None
            }
        }
    }
}

/// Whether `value` is one of FACTS' `feature_value`s for `feature_type` (`None`: an
/// unknown feature type).
pub fn feature_value_ok(feature_type: &str, value: &str) -> Option<bool> {
    let power_of_two_or_zero = |v: &str| v.parse::<u64>().is_ok_and(|n| n == 0 || n.is_power_of_two());
    Some(match feature_type {
        "user_type" => matches!(value, "1" | "2"),
        "concurrent_meeting" => matches!(value, "Basic" | "Plus" | "None"),
        "large_meeting" => matches!(value, "0" | "1" | "32" | "64" | "128" | "256" | "1024" | "2048"),
        "webinar" => matches!(
            value,
            "0" | "16"
                | "1"
                | "64"
                | "128"
                | "256"
                | "512"
                | "1024"
                | "2048"
                | "4096"
                | "8192"
                | "16384"
                | "32768"
        ),
        "zoom_events" => matches!(
            value,
            "0" | "500" | "1000" | "3000" | "5000" | "10000" | "20000" | "30000" | "50000"
        ),
        "zoom_whiteboard" | "zoom_revenue_accelerator" | "zoom_clips_plus" | "zoom_iq_for_sales" => {
            matches!(value, "true" | "false")
        }
        "plan_united_type" => power_of_two_or_zero(value) && value.parse::<u64>().is_ok_and(|n| n <= 131_072),
        // Education plans have more values than FACTS lists: any power of two.
        "zoom_one_type" => power_of_two_or_zero(value),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["a@b.co", "first.last+tag@sub.example.com", "o'brien@example.ie"] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            ".a@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b.c1",
            "ü@b.com",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        use PasswordProblem::*;
        assert_eq!(password_problem("Ab1"), Some(TooShort));
        assert_eq!(password_problem(&format!("Aa1{}", "a".repeat(30))), Some(TooLong));
        assert_eq!(password_problem("12345678!"), Some(NoLetter));
        assert_eq!(password_problem("12345678"), Some(ConsecutiveRun));
        assert_eq!(password_problem("Abcdefgh"), Some(ConsecutiveRun));
        assert_eq!(password_problem("hgfedcba"), Some(ConsecutiveRun));
        assert_eq!(password_problem("Abcdefghij"), Some(ConsecutiveRun));
        assert_eq!(password_problem("Passwordxy"), Some(NoDigit));
        assert_eq!(password_problem("abcdefg12"), Some(NoMixedCase));
        assert_eq!(password_problem("AAAAAAAA"), Some(RepeatedCharacter));
        assert_eq!(password_problem("Tr0ub4dor-Xy"), None);
        assert_eq!(password_problem("Aa1Aa1Aa1"), None);
    }

    #[test]
    fn chinese_characters_are_counted() {
        assert_eq!(chinese_chars("李伟 Lee"), 2);
        assert_eq!(chinese_chars("Zoë"), 0);
    }
}
