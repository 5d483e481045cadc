//! The CSV-injection guard. A cell starting with `=`, `+`, `-`, `@`, tab or CR
//! would be evaluated by Excel or Sheets as a formula, so free-text cells get a
//! `'` in front. Only free text (names, topics, messages, custom answers,
//! carried-through input) is guarded: ids, emails, numbers, URLs, dates, codes
//! and phone numbers must survive a round trip untouched (see `table::Kind`).
//! Every CSV reader takes the guard off again with [`unguard`], so
//! export → edit → import gives back the original bytes.

use csv::StringRecord;

/// Whether a spreadsheet would take the cell for a formula.
pub fn needs_guard(cell: &[u8]) -> bool {
    matches!(cell.first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'))
}

/// The cell with the guard `'` in front when it needs one (the table writer
/// guards as it writes; this is the rule in one line, for tests).
#[cfg(test)]
pub fn guard(cell: &str) -> std::borrow::Cow<'_, str> {
    if needs_guard(cell.as_bytes()) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The cell without the guard: a `'` is dropped only when it stands before one
/// of the guarded characters (`'hello` stays as it is).
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_guard(rest.as_bytes()) => rest,
        _ => cell,
    }
}

/// Whether [`unguard`] would change the cell.
fn is_guarded(cell: &[u8]) -> bool {
    cell.first() == Some(&b'\'') && needs_guard(&cell[1..])
}

/// Takes the guard off every cell of a record read from a CSV. The record is
/// rebuilt only when a cell carries a guard, so ordinary rows cost one scan.
pub fn unguard_record(record: &mut StringRecord) {
    if !record.iter().any(|c| is_guarded(c.as_bytes())) {
        return;
    }
    let cells: Vec<String> = record.iter().map(|c| unguard(c).to_string()).collect();
    record.clear();
    for c in &cells {
        record.push_field(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_plain_text_is_untouched() {
        assert_eq!(guard("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(guard("+1"), "'+1");
        assert_eq!(guard("-1"), "'-1");
        assert_eq!(guard("@cmd"), "'@cmd");
        assert_eq!(guard("\tx"), "'\tx");
        assert_eq!(guard("\rx"), "'\rx");
        assert_eq!(guard("Ada"), "Ada");
        assert_eq!(guard("a=1"), "a=1");
        assert_eq!(guard(""), "");
    }

    #[test]
    fn unguard_only_strips_the_guard() {
        assert_eq!(unguard("'=x"), "=x");
        assert_eq!(unguard("'-1"), "-1");
        assert_eq!(unguard("'\tx"), "\tx");
        assert_eq!(unguard("'hello"), "'hello");
        assert_eq!(unguard("'"), "'");
        assert_eq!(unguard("''=x"), "''=x");
        assert_eq!(unguard(""), "");
    }

    #[test]
    fn guard_then_unguard_is_the_identity_for_unambiguous_cells() {
        for cell in ["=1", "+1 555", "-AbC", "@x", "\tx", "\rx", "Ann", "", "'plain"] {
            assert_eq!(unguard(&guard(cell)), cell, "{cell:?}");
        }
    }

    #[test]
    fn records_lose_their_guards() {
        let mut r = StringRecord::from(vec!["'+1 555", "Ann", "'=x", "'kept"]);
        unguard_record(&mut r);
        assert_eq!(r, StringRecord::from(vec!["+1 555", "Ann", "=x", "'kept"]));
        let mut plain = StringRecord::from(vec!["a", "b"]);
        unguard_record(&mut plain);
        assert_eq!(plain, StringRecord::from(vec!["a", "b"]));
    }
}
