//! Matching the input's headers to a job's columns, and saying which are missing.

use std::path::Path;

use csv::StringRecord;

use super::HEADERS_SHOWN;
use super::error::{InputError, shown_header};
use crate::pipeline::columns::ColumnSpec;

/// `header` without a leading `prefix`, compared the way [`normalize_header`]
/// compares (case, spaces, `_` and `-` ignored).
pub(super) fn strip_prefix_folded<'h>(header: &'h str, prefix: &str) -> Option<&'h str> {
    let skip = |c: char| matches!(c, ' ' | '_' | '-' | '\u{feff}');
    let mut want = prefix
        .chars()
        .filter(|&c| !skip(c))
        .flat_map(char::to_lowercase)
        .peekable();
    for (i, c) in header.char_indices() {
        if want.peek().is_none() {
            return Some(&header[i..]);
        }
        if skip(c) {
            continue;
        }
        for lc in c.to_lowercase() {
            if want.next() != Some(lc) {
                return None;
            }
        }
    }
    want.peek().is_none().then_some("")
}

pub(super) fn missing_columns(
    path: &Path,
    line: u64,
    headers: &StringRecord,
    missing: &[&ColumnSpec],
) -> InputError {
    let names: Vec<&str> = missing.iter().map(|s| s.name).collect();
    let mut found: Vec<String> = headers
        .iter()
        .take(HEADERS_SHOWN)
        .map(|h| format!("\"{}\"", shown_header(h)))
        .collect();
    if headers.len() > HEADERS_SHOWN {
        found.push(format!("… and {} more", headers.len() - HEADERS_SHOWN));
    }
    let problem = format!(
        "the required column{} {} {} missing (the header has: {})",
        if missing.len() > 1 { "s" } else { "" },
        names.join(", "),
        if missing.len() > 1 { "are" } else { "is" },
        found.join(", ")
    );
    let fix = missing
        .iter()
        .map(|s| {
            if s.aliases.is_empty() {
                format!("Add a column named {}.", s.name)
            } else {
                format!(
                    "Add a column named {} (also accepted: {}).",
                    s.name,
                    s.aliases.join(", ")
                )
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    InputError::new(path, problem, fix).at_line(line)
}
