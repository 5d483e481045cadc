//! Zoom's field rules, checked locally before any request (FACTS.md: Users;
//! Meetings, webinars, registrants).
//!
//! Every check is a plain function over `&str` that allocates nothing when the
//! value is valid: `validate` runs them on a million rows a second. An error
//! carries a local code (`E_*`, written to the results' `error_code`) and one
//! sentence that names the column, says what is wrong and how to fix it. A
//! password's value never appears in a message.

mod email;
pub mod meeting;
mod names;
mod password;
pub mod profile;
mod registrant;
pub(crate) mod text;
mod user_type;

pub use email::email;
pub use names::{name, name_text};
pub use password::password;
pub use registrant::{country, language, no_of_employees, purchasing_time_frame, role_in_purchase_process};
pub use text::{multiline_text, text};
pub use user_type::{
    CreateAction, UserType, check_password_action, check_type_action, create_action, host_key, pmi, user_type,
};

/// `value.trim()`, with a fast path for the common cell that starts and ends
/// with a visible ASCII character (nothing to trim, no decoding).
pub fn trim(value: &str) -> &str {
    match value.as_bytes() {
        [] => value,
        [first, .., last] | [first @ last] if first.is_ascii_graphic() && last.is_ascii_graphic() => value,
        _ => value.trim(),
    }
}

/// Not a usable email address.
pub const E_EMAIL: &str = "E_EMAIL";
/// Unknown or rejected user type, or a type the action does not allow.
pub const E_TYPE: &str = "E_TYPE";
/// A password Zoom would refuse, or a password where none is used.
pub const E_PASSWORD: &str = "E_PASSWORD";
/// A name longer than Zoom allows.
pub const E_NAME_LENGTH: &str = "E_NAME_LENGTH";
/// Unknown create action.
pub const E_ACTION: &str = "E_ACTION";
/// The same key as an earlier row of the file.
pub const E_DUPLICATE: &str = "E_DUPLICATE";
/// A required value is empty.
pub const E_MISSING: &str = "E_MISSING";
/// Not an ISO 3166-1 alpha-2 country code.
pub const E_COUNTRY: &str = "E_COUNTRY";
/// A control character (NUL, line break, tab, escape…) inside a text cell.
pub const E_CONTROL: &str = "E_CONTROL";
/// Any other value outside what Zoom accepts (host key, PMI, enumerations).
pub const E_VALUE: &str = "E_VALUE";

/// Why one field of a row cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    /// One of the `E_*` codes above.
    pub code: &'static str,
    /// One sentence: the column, what is wrong, how to fix it.
    pub message: String,
}

impl FieldError {
    pub fn new(code: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            code,
            message: message.into(),
        }
    }
}

/// Longest part of a user's value quoted back in a message; longer values are
/// cut (with `…`) so one bad cell cannot flood a terminal or a results file.
const QUOTE_MAX: usize = 80;

/// `value` quoted for a message: Rust string syntax (control characters escaped),
/// cut after [`QUOTE_MAX`] characters.
pub(crate) fn quoted(value: &str) -> String {
    match value.char_indices().nth(QUOTE_MAX) {
        None => format!("{value:?}"),
        Some((cut, _)) => format!("{:?}…", &value[..cut]),
    }
}

/// `a` equals `b` ignoring ASCII case and the characters ` `, `_` and `-`
/// (how headers, actions and type names are compared). No allocation.
pub(crate) fn eq_folded(a: &str, b: &str) -> bool {
    let keep = |c: &&u8| !matches!(**c, b' ' | b'_' | b'-');
    let mut x = a.as_bytes().iter().filter(keep);
    let mut y = b.as_bytes().iter().filter(keep);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p.eq_ignore_ascii_case(q) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fast_trim_is_str_trim() {
        for v in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\r\n",
            "\u{a0}x\u{3000}",
            "x\u{85}",
            "é",
            "\u{0}a\u{7f}",
            "a b",
        ] {
            assert_eq!(super::trim(v), v.trim(), "{v:?}");
        }
    }

    use super::*;

    #[test]
    fn quoted_escapes_and_cuts() {
        assert_eq!(quoted("a\"b\n"), "\"a\\\"b\\n\"");
        let long = "x".repeat(500);
        let q = quoted(&long);
        assert!(q.ends_with('…'));
        assert!(q.chars().count() < 90);
        // Cutting never splits a multi-byte character.
        let cjk = "漢".repeat(200);
        assert!(quoted(&cjk).ends_with('…'));
    }

    #[test]
    fn eq_folded_ignores_case_spaces_underscores_hyphens() {
        assert!(eq_folded("Auto Create", "autoCreate"));
        assert!(eq_folded("auto_create", "AUTOCREATE"));
        assert!(eq_folded("On-Prem", "onprem"));
        assert!(!eq_folded("create", "autoCreate"));
        assert!(!eq_folded("", "x"));
        assert!(eq_folded("", " - "));
    }

    mod fuzz {
        //! "Bad input never panics": every validator over arbitrary strings.
        use super::super::*;
        use proptest::prelude::*;

        /// One sentence: starts with the column, ends with a period, bounded length.
        fn well_formed(e: &FieldError, column: &str) {
            assert!(e.message.starts_with(&format!("{column} ")), "{}", e.message);
            assert!(
                e.message.ends_with('.') || e.message.ends_with(".\""),
                "{}",
                e.message
            );
            assert!(e.message.len() < 1000, "{}", e.message);
            assert!(!e.message.contains('\n'), "{}", e.message);
        }

        fn any_text() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "[ -~]{0,40}",
                "[a-z0-9._%+-]{0,20}@[a-z0-9.-]{0,20}",
                "\\PC{0,10}",
                Just("x".repeat(10_000)),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1000))]

            #[test]
            fn validators_never_panic(v in any_text()) {
                if let Err(e) = email(&v) {
                    if e.code == E_MISSING { prop_assert!(v.trim().is_empty()); }
                    well_formed(&e, "email");
                }
                for (col, max) in [("first_name", 64), ("last_name", 64), ("display_name", 128)] {
                    if let Err(e) = name(col, &v, max) {
                        prop_assert_eq!(e.code, E_NAME_LENGTH);
                        well_formed(&e, col);
                    }
                }
                if let Err(e) = text("first_name", &v) {
                    prop_assert_eq!(e.code, E_CONTROL);
                    let separators = ['\u{2028}', '\u{2029}'];
                    let has_control = v.chars().any(char::is_control) || v.contains(separators);
                    prop_assert!(has_control);
                    well_formed(&e, "first_name");
                } else {
                    prop_assert!(!v.chars().any(char::is_control));
                }
                if let Err(e) = multiline_text("comments", &v) { well_formed(&e, "comments"); }
                if let Err(e) = user_type(&v) { well_formed(&e, "type"); }
                if let Err(e) = create_action(&v) { well_formed(&e, "action"); }
                if let Err(e) = host_key(&v) { well_formed(&e, "host_key"); }
                if let Err(e) = pmi(&v) { well_formed(&e, "pmi"); }
                match country(&v) {
                    Ok(c) => prop_assert!(registrant::COUNTRY_CODES.contains(&c)),
                    Err(e) => well_formed(&e, "country"),
                }
                for (col, f) in [
                    ("no_of_employees", no_of_employees as fn(&str) -> Result<&'static str, FieldError>),
                    ("purchasing_time_frame", purchasing_time_frame),
                    ("role_in_purchase_process", role_in_purchase_process),
                    ("language", language),
                ] {
                    if let Err(e) = f(&v) { well_formed(&e, col); }
                }
                if let Err(e) = password(&v) {
                    prop_assert_eq!(e.code, E_PASSWORD);
                    well_formed(&e, "password");
                }
            }

            /// A password never shows up in its error message.
            #[test]
            fn password_messages_never_leak(v in "[a-zA-Z0-9]{0,5}Q7zX[ -~]{0,40}") {
                if let Err(e) = password(&v) {
                    prop_assert!(!e.message.contains("Q7zX"));
                }
            }
        }
    }

    #[test]
    fn field_error_displays_its_message() {
        let e = FieldError::new(E_VALUE, "pmi must be 10 digits.");
        assert_eq!(e.to_string(), "pmi must be 10 digits.");
    }
}
