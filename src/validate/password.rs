//! `password` (action autoCreate; users update): Zoom's basic password rules.
//! Messages never contain the password or any part of it.

use super::{E_PASSWORD, FieldError};

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 32;

fn bad(what: &str) -> Result<(), FieldError> {
    Err(FieldError::new(E_PASSWORD, format!("password {what}.")))
}

/// Checks a password against Zoom's rules (FACTS: Users). Each rule has its own
/// message, checked in this order: 8–32 characters; not one repeated character;
/// not a run of consecutive characters; at least one letter and one digit; both
/// upper- and lower-case letters. (The two "not a …" rules come before the
/// character-kind rules because a repeated or consecutive password can never
/// satisfy those: checked after them, their messages could never be given.)
/// Accounts with enhanced password rules may still refuse a password that
/// passes (Zoom then answers 400/300).
pub fn password(value: &str) -> Result<(), FieldError> {
    let chars = if value.is_ascii() {
        value.len()
    } else {
        value.chars().count()
    };
    if chars < PASSWORD_MIN {
        return bad("is shorter than 8 characters; Zoom requires 8 to 32, so choose a longer one");
    }
    if chars > PASSWORD_MAX {
        return bad("is longer than 32 characters; Zoom allows 8 to 32, so choose a shorter one");
    }
    let mut it = value.chars();
    let first = it.next().unwrap_or_default();
    if it.all(|c| c == first) {
        return bad("is one character repeated; choose one that mixes letters and digits");
    }
    if is_consecutive_run(value) {
        return bad(
            "is a run of consecutive characters (a straight sequence of digits or letters); choose one that is not a sequence",
        );
    }
    let (mut letter, mut digit, mut upper, mut lower) = (false, false, false, false);
    for c in value.chars() {
        if c.is_ascii_digit() {
            digit = true;
        } else if c.is_alphabetic() {
            letter = true;
            upper |= c.is_uppercase();
            lower |= c.is_lowercase();
        }
    }
    match (letter, digit) {
        (false, _) => return bad("has no letter; Zoom requires at least one letter and one digit"),
        (_, false) => return bad("has no digit; Zoom requires at least one letter and one digit"),
        _ => {}
    }
    match (upper, lower) {
        (false, _) => bad("has no upper-case letter; Zoom requires both upper- and lower-case letters"),
        (_, false) => bad("has no lower-case letter; Zoom requires both upper- and lower-case letters"),
        _ => Ok(()),
    }
}

/// Every character is the previous one plus one, or every one is the previous
/// minus one (`12345678`, `abcdefgh`, `87654321`, `AbCdEfGh`): letters compared
/// ignoring case.
fn is_consecutive_run(value: &str) -> bool {
    let mut codes = value.chars().map(|c| c.to_ascii_lowercase() as i64);
    let Some(mut prev) = codes.next() else {
        return false;
    };
    let mut step = 0;
    for c in codes {
        let d = c - prev;
        if !(d == 1 || d == -1) || (step != 0 && d != step) {
            return false;
        }
        step = d;
        prev = c;
    }
    step != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(v: &str) -> String {
        let e = password(v).unwrap_err();
        assert_eq!(e.code, E_PASSWORD);
        // After the column name, nothing of the value may appear.
        let body = e.message.strip_prefix("password ").expect("names the column");
        assert!(
            v.is_empty() || !body.contains(v),
            "message leaks the password: {}",
            e.message
        );
        e.message
    }

    #[test]
    fn accepts_good_passwords() {
        for ok in [
            "Passw0rd",
            "Zoom2024isFun",
            "aB3aB3aB",
            "Ünïcode1x",
            &format!("Aa1{}", "x".repeat(29)),
        ] {
            assert_eq!(password(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn each_rule_has_its_own_message() {
        assert!(message("Ab1").contains("shorter than 8"));
        assert!(message("").contains("shorter than 8"));
        assert!(message(&format!("Aa1{}", "x".repeat(30))).contains("longer than 32"));
        assert!(message("11111111").contains("one character repeated"));
        assert!(message("aaaaaaaa").contains("one character repeated"));
        assert!(message("12345678").contains("consecutive"));
        assert!(message("abcdefgh").contains("consecutive"));
        assert!(message("87654321").contains("consecutive"));
        assert!(message("HGFEDCBA").contains("consecutive"));
        assert!(message("password").contains("no digit"));
        assert!(message("12345670").contains("no letter"));
        assert!(message("password1").contains("no upper-case"));
        assert!(message("PASSWORD1").contains("no lower-case"));
    }

    #[test]
    fn length_is_counted_in_characters() {
        // 8 characters, 16 bytes.
        assert_eq!(password("Ééééééé1"), Ok(()));
        assert!(message("Éé1").contains("shorter"));
    }

    #[test]
    fn runs() {
        assert!(is_consecutive_run("abcdefgh"));
        assert!(is_consecutive_run("AbCdEfGh"));
        assert!(!is_consecutive_run("abcdefgg"));
        assert!(!is_consecutive_run("12121212"));
        assert!(!is_consecutive_run("a"));
    }
}
