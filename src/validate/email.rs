//! `email`: required, at most 128 characters, practical address syntax.
//!
//! Deliberately stricter than RFC 5321 (no quoted local parts, no IP literals, no
//! comments) and exactly what real mailboxes use: a hand-written byte scan, no
//! regex, no allocation on success.

use super::{E_EMAIL, E_MISSING, FieldError, quoted};

/// Longest address Zoom accepts (FACTS: Users).
pub const EMAIL_MAX: usize = 128;
/// Longest part before the `@` (RFC 5321).
const LOCAL_MAX: usize = 64;
/// Longest domain label (RFC 1035).
const LABEL_MAX: usize = 63;

fn bad(value: &str, what: &str) -> FieldError {
    FieldError::new(E_EMAIL, format!("email {} {what}.", quoted(value)))
}

/// Characters allowed before the `@` besides letters, digits and dots (RFC 5322 atext).
fn is_local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&c)
}

const LOCAL: u8 = 1;
const DOMAIN: u8 = 2;

/// Byte classes: `LOCAL` may appear before the `@` (dots included), `DOMAIN`
/// in a domain label.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() {
            t[c] = LOCAL | DOMAIN;
        }
        c += 1;
    }
    t[b'-' as usize] = LOCAL | DOMAIN;
    let extra = b"!#$%&'*+/=?^_`{|}~.";
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] |= LOCAL;
        i += 1;
    }
    t
};

/// One table-driven pass that accepts exactly the valid addresses the checks
/// in [`explain`] accept, or says no and leaves the explaining to them. Each
/// byte costs a table lookup; only `@` and dots take a branch of their own.
fn is_plainly_valid(b: &[u8]) -> bool {
    let n = b.len();
    if n > EMAIL_MAX {
        return false;
    }
    // Before the @: allowed bytes, no dot first, last or after a dot (a dot
    // at `i` records `i + 1`, where a second dot would be a double one).
    let (mut classes, mut after_dot, mut i) = (LOCAL, 0, 0);
    while i < n {
        let c = b[i];
        if c == b'@' {
            break;
        }
        if c == b'.' {
            if after_dot == i {
                return false;
            }
            after_dot = i + 1;
        }
        classes &= CLASS[usize::from(c)];
        i += 1;
    }
    if i == n || classes & LOCAL == 0 || i > LOCAL_MAX || after_dot == i {
        return false;
    }
    // After it: labels of letters, digits and inner hyphens, 1 to 63 long, at
    // least two; the last at least two long and not all digits.
    let (mut classes, mut label, mut dots) = (DOMAIN, i + 1, 0);
    for j in i + 1..n {
        let c = b[j];
        if c == b'.' {
            if !is_label(&b[label..j]) {
                return false;
            }
            label = j + 1;
            dots += 1;
        } else {
            classes &= CLASS[usize::from(c)];
        }
    }
    let tld = &b[label..];
    classes & DOMAIN != 0
        && dots > 0
        && is_label(tld)
        && tld.len() >= 2
        && !tld.iter().all(u8::is_ascii_digit)
}

/// A domain label's length and ends (its bytes are checked by the caller).
fn is_label(label: &[u8]) -> bool {
    match (label.first(), label.last()) {
        (Some(&first), Some(&last)) => label.len() <= LABEL_MAX && first != b'-' && last != b'-',
        _ => false,
    }
}

/// Checks an email address as Zoom will receive it (the caller trims the cell).
pub fn email(value: &str) -> Result<(), FieldError> {
    if is_plainly_valid(value.as_bytes()) {
        return Ok(());
    }
    explain(value)
}

/// The detailed checks, one message each. (They accept exactly what
/// [`is_plainly_valid`] accepts: the fast path is only a shortcut.)
fn explain(value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(
            E_MISSING,
            "email is empty; every row needs the user's email address, like name@example.com.",
        ));
    }
    let b = value.as_bytes();
    if b.len() > EMAIL_MAX {
        let chars = value.chars().count();
        if chars > EMAIL_MAX {
            return Err(bad(
                value,
                &format!(
                    "is {chars} characters long; Zoom allows at most {EMAIL_MAX}, so check that the cell holds one address"
                ),
            ));
        }
    }
    let mut at = None;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'@' if at.is_some() => {
                return Err(bad(value, "has more than one @; keep one address per cell"));
            }
            b'@' => at = Some(i),
            b' ' => {
                return Err(bad(
                    value,
                    "contains a space; remove it (a cell holds one address)",
                ));
            }
            0x80.. => {
                return Err(bad(
                    value,
                    "contains a non-ASCII character; use a plain ASCII address (write an international domain in its xn-- form)",
                ));
            }
            ..0x20 | 0x7f => {
                return Err(bad(
                    value,
                    "contains a control character (tab, line break…); retype the address",
                ));
            }
            _ => {}
        }
    }
    let Some(at) = at else {
        return Err(bad(
            value,
            "has no @; write the full address, like name@example.com",
        ));
    };
    local_part(value, &b[..at])?;
    domain(value, &b[at + 1..])
}

fn local_part(value: &str, local: &[u8]) -> Result<(), FieldError> {
    if local.is_empty() {
        return Err(bad(
            value,
            "has nothing before the @; add the mailbox name, like name@example.com",
        ));
    }
    if local.len() > LOCAL_MAX {
        return Err(bad(
            value,
            &format!("has more than {LOCAL_MAX} characters before the @; check the address"),
        ));
    }
    if local[0] == b'.' || local[local.len() - 1] == b'.' {
        return Err(bad(
            value,
            "has a dot at the start or end of the part before the @; remove it",
        ));
    }
    let mut prev = 0u8;
    for &c in local {
        if c == b'.' {
            if prev == b'.' {
                return Err(bad(value, "has two dots in a row; remove one"));
            }
        } else if !is_local_char(c) {
            return Err(bad(
                value,
                &format!(
                    "contains {:?}, which an email address cannot contain; remove it",
                    c as char
                ),
            ));
        }
        prev = c;
    }
    Ok(())
}

fn domain(value: &str, domain: &[u8]) -> Result<(), FieldError> {
    if domain.is_empty() {
        return Err(bad(
            value,
            "has nothing after the @; add the domain, like name@example.com",
        ));
    }
    let mut dots = 0;
    let mut start = 0;
    for i in 0..=domain.len() {
        if i < domain.len() && domain[i] != b'.' {
            let c = domain[i];
            if !(c.is_ascii_alphanumeric() || c == b'-') {
                return Err(bad(
                    value,
                    &format!(
                        "contains {:?} after the @; a domain has only letters, digits, hyphens and dots",
                        c as char
                    ),
                ));
            }
            continue;
        }
        let label = &domain[start..i];
        if label.is_empty() {
            return Err(if i == 0 || i == domain.len() {
                bad(value, "has a dot at the start or end of the domain; remove it")
            } else {
                bad(value, "has two dots in a row; remove one")
            });
        }
        if label.len() > LABEL_MAX {
            return Err(bad(
                value,
                &format!("has a domain part longer than {LABEL_MAX} characters; check the domain"),
            ));
        }
        if label[0] == b'-' || label[label.len() - 1] == b'-' {
            return Err(bad(
                value,
                "has a domain part that starts or ends with a hyphen; check the domain",
            ));
        }
        if i < domain.len() {
            dots += 1;
            start = i + 1;
        } else if dots > 0 && (label.len() < 2 || label.iter().all(u8::is_ascii_digit)) {
            return Err(bad(
                value,
                "does not end in a valid top-level domain (like .com); use the domain name, not an IP address",
            ));
        }
    }
    if dots == 0 {
        return Err(bad(
            value,
            "has no dot in its domain; write the full domain, like name@example.com",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{E_EMAIL, E_MISSING};

    #[test]
    fn accepts_practical_addresses() {
        for ok in [
            "a@b.co",
            "jane.doe@example.com",
            "Jane.Doe+zoom@Example.COM",
            "o'brien@example.ie",
            "x_y-z@sub.domain.example.org",
            "123@example.com",
            "user@xn--bcher-kva.example",
            "user@a-b.example.museum",
            "!#$%&'*+/=?^_`{|}~-@example.com",
            &format!("{}@example.com", "a".repeat(64)),
        ] {
            assert_eq!(email(ok), Ok(()), "{ok}");
        }
    }

    fn code(v: &str) -> &'static str {
        email(v).unwrap_err().code
    }

    #[test]
    fn blank_is_missing() {
        assert_eq!(code(""), E_MISSING);
        assert_eq!(code("   "), E_MISSING);
        assert!(email("").unwrap_err().message.starts_with("email is empty"));
    }

    #[test]
    fn rejects_bad_syntax_with_specific_messages() {
        let cases = [
            ("plainaddress", "no @"),
            ("a@b@c.com", "more than one @"),
            ("a b@c.com", "space"),
            ("a@b .com", "space"),
            ("é@example.com", "non-ASCII"),
            ("a\t@example.com", "control character"),
            ("@example.com", "nothing before the @"),
            ("a@", "nothing after the @"),
            ("a@localhost", "no dot"),
            ("a..b@example.com", "two dots"),
            ("a@example..com", "two dots"),
            (".a@example.com", "start or end"),
            ("a.@example.com", "start or end"),
            ("a@.example.com", "start or end of the domain"),
            ("a@example.com.", "start or end of the domain"),
            ("a@-example.com", "hyphen"),
            ("a@example-.com", "hyphen"),
            ("a@exa_mple.com", "'_'"),
            ("a(b)@example.com", "'('"),
            ("a@1.2.3.4", "top-level domain"),
            ("a@example.c", "top-level domain"),
        ];
        for (value, needle) in cases {
            let e = email(value).unwrap_err();
            assert_eq!(e.code, E_EMAIL, "{value}");
            assert!(e.message.contains(needle), "{value}: {}", e.message);
            assert!(e.message.starts_with("email "), "{value}: {}", e.message);
        }
    }

    proptest::proptest! {
        /// The fast path agrees with the detailed checks.
        #[test]
        fn fast_path_agrees(value in "[a-zA-Z0-9.@_+-]{0,20}|[a-z.]{1,5}@[a-z0-9.-]{0,12}|.{0,30}") {
            proptest::prop_assert_eq!(is_plainly_valid(value.as_bytes()), explain(&value).is_ok(), "{}", value);
        }
    }

    /// The fast path's edges, each against the detailed checks.
    #[test]
    fn fast_path_edges_agree() {
        let label63 = "d".repeat(63);
        let label64 = "d".repeat(64);
        let cases = [
            "Ada@X.com",
            "ada@x.com",
            "a@b.co",
            "-a-@b.co",
            "a-@b-c.co",
            "a@b-.co",
            "a@b.-co",
            "a@-b.co",
            "a@b.co-",
            "a@b.c-o",
            "a@b.1c",
            "a@b.12",
            "a@1.2.3.4",
            "a@b.c",
            "a@b",
            "a@",
            "@b.co",
            "a@@b.co",
            "a@b.co@",
            "a@b@c.co",
            ".a@b.co",
            "a.@b.co",
            "a..b@b.co",
            "a.b.c@b.co",
            "a@b..co",
            "a@.b.co",
            "a@b.co.",
            "é@b.co",
            "a@bé.co",
            "a@b.cö",
            "a b@b.co",
            "a\t@b.co",
            "a@b.co\r",
            "\u{feff}a@b.co",
            "a\"b@c.co",
            "a@b_c.co",
            "!#$%&'*+/=?^_`{|}~-@b.co",
            &format!("a@{label63}.co"),
            &format!("a@{label64}.co"),
            &format!("a@b.{label63}"),
            &format!("a@b.{label64}"),
            &format!("a@{label63}.{label63}"),
            &format!("{}@b.co", "a".repeat(64)),
            &format!("{}@b.co", "a".repeat(65)),
        ];
        for v in cases {
            assert_eq!(is_plainly_valid(v.as_bytes()), explain(v).is_ok(), "{v:?}");
        }
        assert!(
            email("a@b.co\r")
                .unwrap_err()
                .message
                .contains("control character")
        );
    }

    #[test]
    fn length_limits() {
        let local65 = format!("{}@example.com", "a".repeat(65));
        assert!(email(&local65).unwrap_err().message.contains("64"));
        let label64 = format!("a@{}.com", "b".repeat(64));
        assert!(email(&label64).unwrap_err().message.contains("63"));
        // 128 characters is allowed, 129 is not.
        let domain = format!("{}.{}.com", "d".repeat(60), "e".repeat(59));
        let ok = format!("abc@{domain}");
        assert_eq!(ok.len(), 128);
        assert_eq!(email(&ok), Ok(()));
        let long = format!("abcd@{domain}");
        let e = email(&long).unwrap_err();
        assert!(e.message.contains("129 characters"), "{}", e.message);
        // A multi-megabyte cell is reported without being copied whole.
        let huge = "x".repeat(5_000_000);
        assert!(email(&huge).unwrap_err().message.len() < 400);
    }
}
