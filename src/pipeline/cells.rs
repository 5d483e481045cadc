//! Cells written for spreadsheets: a leading `=`, `+`, `-`, `@`, tab or CR would
//! make Excel or Sheets evaluate the cell (CSV injection), so it gets a `'`.

use std::borrow::Cow;

/// Whether a spreadsheet would take the cell for a formula.
pub fn needs_guard(cell: &[u8]) -> bool {
    matches!(cell.first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'))
}

pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    if needs_guard(cell.as_bytes()) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_is_untouched() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("+1"), "'+1");
        assert_eq!(spreadsheet_safe("@cmd"), "'@cmd");
        assert_eq!(spreadsheet_safe("\tx"), "'\tx");
        assert_eq!(spreadsheet_safe("Ada"), "Ada");
        assert_eq!(spreadsheet_safe(""), "");
    }
}
