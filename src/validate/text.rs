//! Control characters in text cells. A NUL byte or a line break inside a name is
//! accepted by Zoom and stored, which breaks every screen and export that shows the
//! name afterwards: such a cell is refused before anything is sent.
//!
//! Refused: every Unicode control character (C0 `U+0000`–`U+001F`, DEL, C1
//! `U+0080`–`U+009F`) and the line and paragraph separators `U+2028`/`U+2029`. A tab
//! is refused too: inside a name it is invisible and Zoom keeps it. Free text that
//! is meant to span lines (a registrant's `comments`) goes through [`multiline_text`],
//! which lets line breaks and tabs through. Cells are trimmed before they are checked,
//! so a trailing line break (as spreadsheets sometimes leave) is not refused.

use super::{E_CONTROL, FieldError};

/// Whether `c` is refused in a single-line cell.
fn refused(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Bytes that can begin a refused character in UTF-8: ASCII controls and DEL, `0xC2`
/// (C1 controls), `0xE2` (`U+2028`/`U+2029`). A cell without them is fine: the common
/// case costs one pass over the bytes and no decoding.
fn maybe_refused(b: u8) -> bool {
    b < 0x20 || b == 0x7f || b == 0xc2 || b == 0xe2
}

/// Checks a single-line text cell (names, display names, ids, profile fields).
pub fn text(column: &str, value: &str) -> Result<(), FieldError> {
    check(column, value, |_| false)
}

/// Checks free text that may hold line breaks and tabs (`\n`, `\r`, `\t`); other
/// control characters are refused as in [`text`].
pub fn multiline_text(column: &str, value: &str) -> Result<(), FieldError> {
    check(column, value, |c| matches!(c, '\n' | '\r' | '\t'))
}

/// Bytes `0x01` repeated, and their high bits: the word-at-a-time masks.
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether some byte of `w` is outside `' '..='~'` (exact: a borrow or carry
/// between bytes only comes from a byte that is itself flagged).
fn unprintable_in(w: u64) -> bool {
    let below_space = w.wrapping_sub(ONES * 0x20) & !w;
    let del_or_high = (w & !HIGH).wrapping_add(ONES) | w;
    (below_space | del_or_high) & HIGH != 0
}

/// Whether every byte is printable ASCII (`' '..='~'`): no control character,
/// no multi-byte character. Eight bytes a step; the last word overlaps the one
/// before it instead of a byte-wise tail. The common cell (a name, an address)
/// is decided in a few instructions.
pub(crate) fn is_printable_ascii(bytes: &[u8]) -> bool {
    !any_word(bytes, unprintable_in, |b| !(b' '..=b'~').contains(&b))
}

/// Whether `hit` holds for some 8-byte word of `bytes` (the last word overlaps
/// the one before it instead of a byte-wise tail; `hit` must be exact for every
/// byte of a word), or `byte_hit` for some byte of a slice under 8 bytes. No
/// branch per word: the common cell or row is decided in a few instructions.
pub(crate) fn any_word(bytes: &[u8], hit: impl Fn(u64) -> bool, byte_hit: impl Fn(u8) -> bool) -> bool {
    let Some(last) = bytes.last_chunk::<8>() else {
        return bytes.iter().any(|&b| byte_hit(b));
    };
    let body = bytes
        .chunks_exact(8)
        .filter_map(|w| w.first_chunk::<8>())
        .fold(false, |any, w| any | hit(u64::from_le_bytes(*w)));
    body | hit(u64::from_le_bytes(*last))
}

fn check(column: &str, value: &str, allowed: impl Fn(char) -> bool) -> Result<(), FieldError> {
    if is_printable_ascii(value.as_bytes()) {
        return Ok(());
    }
    // Without early exit the scan is vectorised: one pass, no branch per byte.
    if !value.bytes().fold(false, |any, b| any | maybe_refused(b)) {
        return Ok(());
    }
    let Some((position, c)) = value
        .chars()
        .enumerate()
        .find(|&(_, c)| refused(c) && !allowed(c))
    else {
        return Ok(());
    };
    let what = match c {
        '\0' => "a NUL byte".to_string(),
        '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{0b}' | '\u{0c}' | '\u{85}' => "a line break".to_string(),
        '\t' => "a tab".to_string(),
        c => format!("the control character U+{:04X}", u32::from(c)),
    };
    Err(FieldError::new(
        E_CONTROL,
        format!(
            "{column} contains {what} (character {}); Zoom would store it as it is, so remove it from the cell.",
            position.saturating_add(1)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_and_every_script_pass() {
        for ok in [
            "",
            "Ada Lovelace",
            "Élodie Ñúñez",
            "王小明",
            "O'Brien-Smith",
            "Zoë\u{a0}B",
            "\u{2027}",
            "😀",
        ] {
            assert_eq!(text("first_name", ok), Ok(()), "{ok:?}");
        }
    }

    #[test]
    fn control_characters_are_refused_naming_the_column_and_position() {
        let cases = [
            ("Ada\0", "a NUL byte (character 4)"),
            ("Ada\nLovelace", "a line break (character 4)"),
            ("Ada\r\nL", "a line break (character 4)"),
            ("A\tda", "a tab (character 2)"),
            ("\u{1b}[31mAda", "the control character U+001B (character 1)"),
            ("Ada\u{7f}", "the control character U+007F"),
            ("Ad\u{85}a", "a line break (character 3)"),
            ("Ad\u{9b}a", "the control character U+009B"),
            ("Ada\u{2028}L", "a line break"),
            ("Élodie\u{2029}", "a line break (character 7)"),
        ];
        for (value, says) in cases {
            let e = text("last_name", value).unwrap_err();
            assert_eq!(e.code, E_CONTROL);
            assert!(e.message.starts_with("last_name contains "), "{}", e.message);
            assert!(e.message.contains(says), "{value:?}: {}", e.message);
            assert!(!e.message.contains(value), "the raw value is not echoed");
        }
    }

    #[test]
    fn printable_ascii_is_space_to_tilde_at_every_length_and_position() {
        assert!(is_printable_ascii(b""));
        for len in 1..=20 {
            let plain: Vec<u8> = (0..len).map(|i| b' ' + (i * 7 % 95) as u8).collect();
            assert!(is_printable_ascii(&plain), "{len}");
            for at in 0..len {
                for bad in [0u8, b'\t', b'\n', 0x1f, 0x7f, 0x80, 0xc2, 0xe2, 0xff] {
                    let mut v = plain.clone();
                    v[at] = bad;
                    assert!(!is_printable_ascii(&v), "{bad:#x} at {at} of {len}");
                }
            }
        }
        // Neighbours of a flagged byte do not hide or fake one.
        assert!(is_printable_ascii(b"~~~~~~~~ ~~~~~~~"));
        assert!(!is_printable_ascii("Zoë Smith-Jones".as_bytes()));
        assert_eq!(
            text("first_name", "AdaLovelace\u{85}x").unwrap_err().code,
            E_CONTROL
        );
    }

    #[test]
    fn multiline_text_keeps_line_breaks_and_tabs_only() {
        assert_eq!(multiline_text("comments", "Line one\r\nLine two\tend"), Ok(()));
        assert!(multiline_text("comments", "a\u{2028}b").is_err());
        let e = multiline_text("comments", "nul\0").unwrap_err();
        assert_eq!(e.code, E_CONTROL);
        assert!(e.message.contains("NUL"), "{}", e.message);
    }
}
