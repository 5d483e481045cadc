//! What is wrong with the input, and where: file, line, column and header.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use csv::{ByteRecord, StringRecord};

use super::HEADER_SHOWN_CHARS;
use super::positions::count_breaks;

/// Malformed or unusable input. Displays as
/// `<file>: line L, column C (<header>): <what is wrong>. <what to do>`, the
/// line and column left out only when they are not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(Box<Detail>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Detail {
    path: PathBuf,
    line: Option<u64>,
    column: Option<usize>,
    header: Option<String>,
    row: Option<u64>,
    problem: String,
    fix: String,
}

impl InputError {
    /// `problem` says what is wrong (no final period), `fix` what to do (a sentence).
    pub fn new(path: &Path, problem: impl Into<String>, fix: impl Into<String>) -> InputError {
        InputError(Box::new(Detail {
            path: path.to_path_buf(),
            line: None,
            column: None,
            header: None,
            row: None,
            problem: problem.into(),
            fix: fix.into(),
        }))
    }

    pub fn at_line(mut self, line: u64) -> InputError {
        self.0.line = Some(line);
        self
    }

    /// `column` is 1-based; `header` its name in the file, when it has one.
    pub fn at_column(mut self, column: usize, header: Option<&str>) -> InputError {
        self.0.column = Some(column);
        self.0.header = header.map(shown_header);
        self
    }

    pub fn for_row(mut self, row: u64) -> InputError {
        self.0.row = Some(row);
        self
    }

    pub fn path(&self) -> &Path {
        &self.0.path
    }
    pub fn line(&self) -> Option<u64> {
        self.0.line
    }
    /// 1-based column (field) number.
    pub fn column(&self) -> Option<usize> {
        self.0.column
    }
    pub fn header(&self) -> Option<&str> {
        self.0.header.as_deref()
    }
    /// The data row the error belongs to, when it is about one row.
    pub fn row(&self) -> Option<u64> {
        self.0.row
    }
    pub fn problem(&self) -> &str {
        &self.0.problem
    }
    pub fn fix(&self) -> &str {
        &self.0.fix
    }

    pub(super) fn io(path: &Path, doing: &str, err: &io::Error) -> InputError {
        InputError::new(
            path,
            format!("cannot {doing}: {err}"),
            "Check that the path is right and the file is readable.",
        )
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", super::shown(&self.0.path))?;
        let mut sep = ": ";
        if let Some(line) = self.0.line {
            write!(f, "{sep}line {line}")?;
            sep = ", ";
        }
        if let Some(column) = self.0.column {
            write!(f, "{sep}column {column}")?;
            if let Some(h) = &self.0.header {
                write!(f, " ({h})")?;
            }
        }
        write!(f, ": {}.", self.0.problem)?;
        if !self.0.fix.is_empty() {
            write!(f, " {}", self.0.fix)?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// A header as shown in messages: cut when very long, control characters escaped.
pub(super) fn shown_header(h: &str) -> String {
    let h = h.trim_start_matches('\u{feff}');
    let cut = match h.char_indices().nth(HEADER_SHOWN_CHARS) {
        Some((i, _)) => &h[..i],
        None => h,
    };
    let mut s = if cut.chars().any(char::is_control) {
        let d = format!("{cut:?}");
        d[1..d.len() - 1].to_string()
    } else {
        cut.to_string()
    };
    if cut.len() < h.len() {
        s.push('…');
    }
    s
}

/// The error for invalid UTF-8 in field `field` of `raw` (a record starting on `line`).
pub(super) fn utf8_error(
    path: &Path,
    raw: &ByteRecord,
    field: usize,
    valid_up_to: usize,
    line: u64,
    headers: Option<&StringRecord>,
) -> InputError {
    let header_names;
    let headers = match headers {
        Some(h) => h,
        None => {
            // The header itself is bad: name the columns by their (lossy) text.
            header_names =
                StringRecord::from_iter(raw.iter().map(|f| String::from_utf8_lossy(f).into_owned()));
            &header_names
        }
    };
    let bytes = raw.get(field).unwrap_or_default();
    let before: u64 = raw
        .iter()
        .take(field)
        .map(|f| count_breaks(f, false))
        .sum::<u64>()
        + count_breaks(&bytes[..valid_up_to.min(bytes.len())], false);
    let good = String::from_utf8_lossy(&bytes[..valid_up_to.min(bytes.len())]);
    let tail: String = {
        let chars: Vec<char> = good.chars().rev().take(20).collect();
        chars.into_iter().rev().collect()
    };
    let byte = bytes
        .get(valid_up_to)
        .map_or(String::new(), |b| format!(" (byte 0x{b:02X}"));
    let after = if byte.is_empty() {
        String::new()
    } else if tail.is_empty() {
        format!("{byte} at the start of the field)")
    } else {
        format!("{byte} after {tail:?})")
    };
    InputError::new(
        path,
        format!("the text is not valid UTF-8{after}"),
        "Save the file as UTF-8 (in Excel: Save As > \"CSV UTF-8 (Comma delimited)\") and run again.",
    )
    .at_line(line + before)
    .at_column(field + 1, headers.get(field))
}
