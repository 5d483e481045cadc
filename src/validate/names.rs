//! `first_name`, `last_name`, `display_name`: length limits counted in characters.

use super::{E_NAME_LENGTH, FieldError};

/// At most this many Chinese characters in `first_name` / `last_name` (FACTS: Users).
pub const CJK_NAME_MAX: usize = 5;

/// Columns the Chinese-character limit applies to.
const CJK_LIMITED: [&str; 2] = ["first_name", "last_name"];

/// Whether `c` is a CJK unified or compatibility ideograph (a "Chinese character").
fn is_cjk_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF        // Extension A
        | 0x4E00..=0x9FFF      // Unified Ideographs
        | 0xF900..=0xFAFF      // Compatibility Ideographs
        | 0x20000..=0x2A6DF    // Extension B
        | 0x2A700..=0x2EBEF    // Extensions C, D, E, F
        | 0x2EBF0..=0x2EE5F    // Extension I
        | 0x2F800..=0x2FA1F    // Compatibility Supplement
        | 0x30000..=0x323AF) // Extensions G, H
}

/// How many Chinese characters (CJK ideographs) `value` holds.
pub fn cjk_ideographs(value: &str) -> usize {
    if value.is_ascii() {
        return 0;
    }
    value.chars().filter(|&c| is_cjk_ideograph(c)).count()
}

/// Checks a name column against Zoom's length limit: `max` characters (64 for
/// `first_name` / `last_name`, 128 for `display_name`) and, for `first_name` and
/// `last_name`, at most [`CJK_NAME_MAX`] Chinese characters. The caller skips
/// empty values (names are optional).
pub fn name(column: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.len() <= max && value.is_ascii() {
        return Ok(());
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(FieldError::new(
            E_NAME_LENGTH,
            format!("{column} is {chars} characters long; Zoom allows at most {max}, so shorten it."),
        ));
    }
    if CJK_LIMITED.contains(&column) {
        let cjk = cjk_ideographs(value);
        if cjk > CJK_NAME_MAX {
            return Err(FieldError::new(
                E_NAME_LENGTH,
                format!(
                    "{column} has {cjk} Chinese characters; Zoom allows at most {CJK_NAME_MAX}, so shorten it."
                ),
            ));
        }
    }
    Ok(())
}

/// A name cell as the user import checks it: no control character
/// ([`super::text`]), then [`name`]'s limits. One word-wise pass decides the
/// common cell (printable ASCII within `max` bytes); any other goes through both
/// checks, so the messages are theirs.
pub fn name_text(column: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.len() <= max && super::text::is_printable_ascii(value.as_bytes()) {
        return Ok(());
    }
    super::text(column, value)?;
    name(column, value, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_text_is_text_then_name() {
        let cases = [
            "Ada",
            "",
            "Ada\tLovelace",
            "Ada\u{7f}",
            "Élodie",
            "欧阳小明明明",
            "\u{1b}[31m",
            &"x".repeat(64),
            &"x".repeat(65),
            &"é".repeat(65),
            &format!("{}\n", "x".repeat(70)),
        ];
        for v in cases {
            for (column, max) in [("first_name", 64), ("display_name", 128)] {
                let both = super::super::text(column, v).and_then(|()| name(column, v, max));
                assert_eq!(name_text(column, v, max), both, "{v:?}");
            }
        }
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(name("first_name", &"a".repeat(64), 64), Ok(()));
        assert_eq!(name("first_name", &"é".repeat(64), 64), Ok(()));
        let e = name("first_name", &"é".repeat(65), 64).unwrap_err();
        assert_eq!(e.code, E_NAME_LENGTH);
        assert!(
            e.message.starts_with("first_name is 65 characters long"),
            "{}",
            e.message
        );
        assert_eq!(name("display_name", &"x".repeat(128), 128), Ok(()));
        let e = name("display_name", &"x".repeat(129), 128).unwrap_err();
        assert!(e.message.contains("display_name") && e.message.contains("128"));
    }

    #[test]
    fn chinese_character_limit_for_first_and_last_name() {
        assert_eq!(name("first_name", "王小明", 64), Ok(()));
        assert_eq!(name("last_name", "欧阳小明明", 64), Ok(()));
        let e = name("last_name", "欧阳小明明明", 64).unwrap_err();
        assert_eq!(e.code, E_NAME_LENGTH);
        assert!(e.message.contains("6 Chinese characters"), "{}", e.message);
        // Kana and Hangul are not ideographs; display_name has no such limit.
        assert_eq!(name("first_name", "さくらさくらさくら", 64), Ok(()));
        assert_eq!(name("first_name", "김민준김민준", 64), Ok(()));
        assert_eq!(name("display_name", "欧阳小明明明明明", 128), Ok(()));
        // Extension B ideographs count too.
        assert_eq!(cjk_ideographs("𠀀𠀁x漢"), 3);
    }
}
