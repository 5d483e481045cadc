//! Reading the user's CSV (SPEC: Input CSV).
//!
//! UTF-8 with or without BOM; `,` `;` or tab delimited, sniffed from the header
//! line; CRLF, LF (or old-Mac CR) line ends; RFC 4180 quotes. Headers are mapped
//! to a job's [`ColumnSpec`]s once, in [`InputFile::open`]; [`InputFile::records`]
//! then streams the data rows as many times as the pipeline needs (preflight,
//! then run), reusing one record: no allocation per row.
//!
//! Malformed input is an [`InputError`] naming the line, the column and its
//! header: invalid UTF-8, a wrong number of fields, and an unterminated quote
//! (which the csv crate would silently read to the end of the file). Blank lines
//! and rows whose cells are all empty (spreadsheets leave `,,,,` lines) are
//! skipped and not counted as rows.
//!
//! Line numbers are physical lines (1-based; `\n`, `\r\n` and a lone `\r` each
//! end a line) where a record's first character is. The csv crate's own line
//! counts drift on CRLF files and after blank lines, so a pass keeps each
//! record's byte offset ([`RowPos::offset`]) and only the rows that are
//! reported are turned into lines ([`InputFile::lines`]): one counting pass
//! for a report, none per row.

mod error;
mod headers;
mod positions;
mod sniff;
#[cfg(test)]
mod tests;

pub use error::InputError;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use csv::{ByteRecord, StringRecord};

use error::{shown_header, utf8_error};
use headers::{missing_columns, strip_prefix_folded};
use positions::{count_breaks, find_unclosed_quote, line_at, lines_at};
use sniff::{delimiter_name, is_blank, sniff_delimiter};

use crate::pipeline::columns::{ColumnSpec, normalize_header};

/// Read buffer of the CSV reader: large, so a million-row file is a few hundred reads.
const READ_BUFFER: usize = 1 << 20;
/// The delimiter is sniffed from at most this much of the header line.
const SNIFF_MAX: usize = 16 << 20;
/// Headers listed in a "missing column" error before "… and N more".
const HEADERS_SHOWN: usize = 20;
/// Longest header text quoted in a message.
const HEADER_SHOWN_CHARS: usize = 60;
/// Files smaller than this are read in one pass: two would cost more to start
/// than they save.
const SPLIT_MIN: u64 = 4 << 20;
/// How far past the middle a line break is looked for before giving up the cut.
const CUT_SEARCH: usize = 64 << 10;
/// How far before the middle a run of line breaks is followed back.
const CUT_LOOK_BACK: usize = 4 << 10;
/// What the csv reader strips from the start of what it reads.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The temporary copy of stdin (`-`), once the input has been read from there.
static STDIN_COPY: OnceLock<PathBuf> = OnceLock::new();

/// Records that `copy` holds what came on stdin: messages then name the input
/// `<stdin>`, not a temporary file that is gone when the command ends.
pub fn stdin_copied_to(copy: &Path) {
    let _ = STDIN_COPY.set(copy.to_path_buf());
}

/// How messages name an input file.
pub fn shown(path: &Path) -> String {
    if STDIN_COPY.get().is_some_and(|copy| copy == path) {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Where a data record is in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowPos {
    /// 1-based data row (the header and skipped blank lines are not rows).
    pub row: u64,
    /// Byte offset of the record (as the csv reader counts: blank lines before
    /// it included); [`InputFile::lines`] turns it into the line a user sees.
    pub offset: u64,
}

/// The reading machinery shared by the header read and the data passes.
struct Source {
    path: PathBuf,
    rdr: csv::Reader<File>,
    delimiter: u8,
    /// Offset in the file the reader started at (its own positions count from there).
    base: u64,
    /// Size of the file, when it is a regular file: a record ending there may
    /// have been cut short by an unterminated quote.
    file_len: Option<u64>,
}

impl Source {
    /// A reader from `base` on (0: the start of the file).
    fn open(path: &Path, delimiter: u8, base: u64) -> Result<Source, InputError> {
        let mut file = File::open(path).map_err(|e| InputError::io(path, "open the file", &e))?;
        let meta = file
            .metadata()
            .map_err(|e| InputError::io(path, "read the file", &e))?;
        if base > 0 {
            file.seek(SeekFrom::Start(base))
                .map_err(|e| InputError::io(path, "read the file", &e))?;
        }
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(READ_BUFFER)
            .from_reader(file);
        Ok(Source {
            path: path.to_path_buf(),
            rdr,
            delimiter,
            base,
            file_len: meta.is_file().then_some(meta.len()),
        })
    }

    /// Byte offset of the next record, or of the blank lines before it.
    fn next_start(&self) -> u64 {
        self.base.saturating_add(self.rdr.position().byte())
    }

    /// Checks the record just read, which began at `start`: it fails when the
    /// record runs to the end of the file inside a quoted field.
    #[inline]
    fn finish(&self, start: u64, headers: Option<&StringRecord>) -> Result<(), InputError> {
        if self.file_len != Some(self.next_start()) {
            return Ok(());
        }
        self.finish_at_end(start, headers)
    }

    /// [`Source::finish`] for the record that ends the file.
    #[cold]
    fn finish_at_end(&self, start: u64, headers: Option<&StringRecord>) -> Result<(), InputError> {
        let open = find_unclosed_quote(&self.path, start, self.delimiter)
            .map_err(|e| InputError::io(&self.path, "read the file", &e))?;
        let Some(open) = open else { return Ok(()) };
        let mut e = InputError::new(
            &self.path,
            "a quoted value starts here but its closing quote (\") is missing, so everything after it to the end of the file would be read as this one value",
            "Add the closing quote, and write a quote inside a quoted value as two quotes (\"\").",
        )
        .at_column(open.field + 1, headers.and_then(|h| h.get(open.field)));
        if let Some(line) = line_at(&self.path, start) {
            e = e.at_line(line + open.lines_before);
        }
        Err(e)
    }

    /// Next record with its offset, blank ones skipped; `None` at the end.
    fn read_raw(
        &mut self,
        rec: &mut ByteRecord,
        headers: Option<&StringRecord>,
    ) -> Result<Option<u64>, InputError> {
        loop {
            let start = self.next_start();
            match self.rdr.read_byte_record(rec) {
                Ok(false) => return Ok(None),
                Ok(true) => {}
                Err(e) => return Err(self.csv_error(&e)),
            }
            self.finish(start, headers)?;
            if !is_blank(rec.as_slice()) {
                return Ok(Some(start));
            }
        }
    }

    /// The line of the record at `offset`, for a message (see [`line_at`]).
    fn line_of(&self, offset: u64) -> Option<u64> {
        line_at(&self.path, offset)
    }

    fn csv_error(&self, e: &csv::Error) -> InputError {
        match e.kind() {
            csv::ErrorKind::Io(io) => InputError::io(&self.path, "read the file", io),
            _ => InputError::new(
                &self.path,
                format!("cannot read the file as CSV: {e}"),
                "Check the file's format.",
            ),
        }
    }
}

/// An opened input file: its format and how its headers map to a job's columns.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    /// `,`, `;` or `\t`.
    pub delimiter: u8,
    /// The header record as written in the file (BOM stripped).
    pub headers: StringRecord,
    header_line: u64,
    /// Canonical column name -> record index.
    columns: Vec<(&'static str, usize)>,
    /// (spec prefix, header text after the prefix, record index).
    prefixed: Vec<(&'static str, String, usize)>,
    unknown: Vec<usize>,
}

impl InputFile {
    /// Reads the header line only, and maps each header to `specs` (by the
    /// canonical name or an alias, compared with [`normalize_header`]). Fails on
    /// an empty or unreadable file, a header that is not UTF-8, two headers for
    /// one column, or a missing required column.
    pub fn open(path: &Path, specs: &[ColumnSpec]) -> Result<InputFile, InputError> {
        let file = File::open(path).map_err(|e| InputError::io(path, "open the file", &e))?;
        let delimiter = sniff_delimiter(file).map_err(|e| InputError::io(path, "read the file", &e))?;
        let mut src = Source::open(path, delimiter, 0)?;
        let mut raw = ByteRecord::new();
        let Some(header_at) = src.read_raw(&mut raw, None)? else {
            return Err(InputError::new(
                path,
                "the file is empty: it has no header line",
                "The first line must name the columns, e.g. email,first_name,last_name.",
            ));
        };
        let header_line = src.line_of(header_at).unwrap_or(1);
        let mut headers = StringRecord::from_byte_record(raw).map_err(|e| {
            let (field, valid_up_to) = (e.utf8_error().field(), e.utf8_error().valid_up_to());
            utf8_error(path, &e.into_byte_record(), field, valid_up_to, header_line, None)
        })?;
        crate::output::guard::unguard_record(&mut headers);

        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut prefixes = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            if spec.prefix {
                prefixes.push((normalize_header(spec.name), i));
                continue;
            }
            for n in std::iter::once(spec.name).chain(spec.aliases.iter().copied()) {
                by_name.entry(normalize_header(n)).or_insert(i);
            }
        }
        let mut found: Vec<Option<usize>> = vec![None; specs.len()];
        let mut prefixed = Vec::new();
        let mut unknown = Vec::new();
        for (index, header) in headers.iter().enumerate() {
            let norm = normalize_header(header);
            if let Some(&spec) = by_name.get(&norm).filter(|_| !norm.is_empty()) {
                if let Some(first) = found[spec] {
                    return Err(InputError::new(
                        path,
                        format!(
                            "columns {} ({}) and {} ({}) both mean {}",
                            first + 1,
                            shown_header(&headers[first]),
                            index + 1,
                            shown_header(header),
                            specs[spec].name
                        ),
                        "Remove or rename one of them.",
                    )
                    .at_line(header_line)
                    .at_column(index + 1, Some(header)));
                }
                found[spec] = Some(index);
            } else if let Some(&(_, spec)) = prefixes
                .iter()
                .find(|(p, _)| norm.len() > p.len() && norm.starts_with(p.as_str()))
            {
                let rest = strip_prefix_folded(header, specs[spec].name)
                    .unwrap_or(header)
                    .trim();
                prefixed.push((specs[spec].name, rest.to_string(), index));
            } else {
                unknown.push(index);
            }
        }

        let missing: Vec<&ColumnSpec> = specs
            .iter()
            .zip(&found)
            .filter(|(s, f)| s.required && f.is_none())
            .map(|(s, _)| s)
            .collect();
        if !missing.is_empty() {
            return Err(missing_columns(path, header_line, &headers, &missing));
        }
        let columns = specs
            .iter()
            .zip(&found)
            .filter_map(|(s, f)| f.map(|i| (s.name, i)))
            .collect();
        Ok(InputFile {
            path: path.to_path_buf(),
            delimiter,
            headers,
            header_line,
            columns,
            prefixed,
            unknown,
        })
    }

    /// Record index of a canonical column, when the file has it.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().find(|(n, _)| *n == name).map(|&(_, i)| i)
    }

    /// Columns of a prefix family (`custom:`): the header text after the prefix
    /// (original case, trimmed) and the record index, in file order.
    pub fn prefixed(&self, prefix: &str) -> Vec<(String, usize)> {
        self.prefixed
            .iter()
            .filter(|(p, _, _)| *p == prefix)
            .map(|(_, rest, i)| (rest.clone(), *i))
            .collect()
    }

    /// Headers no spec claims; they are carried through to the results.
    pub fn unknown_columns(&self) -> Vec<&str> {
        self.unknown.iter().map(|&i| &self.headers[i]).collect()
    }

    /// The input as messages name it (see [`shown`]).
    pub fn name(&self) -> String {
        shown(&self.path)
    }

    /// Number of columns (fields every row must have).
    pub fn width(&self) -> usize {
        self.headers.len()
    }

    /// The line the header is on (1 unless blank lines come first).
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// The line each of `positions` starts on (one pass over the file up to the
    /// last of them), for the rows a report names.
    pub fn lines(&self, positions: &[RowPos]) -> Result<Vec<u64>, InputError> {
        let offsets: Vec<u64> = positions.iter().map(|p| p.offset).collect();
        lines_at(&self.path, &offsets).map_err(|e| InputError::io(&self.path, "read the file", &e))
    }

    /// The line one record starts on (see [`InputFile::lines`]).
    pub fn line(&self, pos: RowPos) -> Result<u64, InputError> {
        Ok(self.lines(&[pos])?.first().copied().unwrap_or(0))
    }

    /// A fresh pass over the data rows, from the first.
    pub fn records(&self) -> Result<Records, InputError> {
        let mut src = Source::open(&self.path, self.delimiter, 0)?;
        let mut raw = ByteRecord::new();
        let same = match src.read_raw(&mut raw, Some(&self.headers))? {
            Some(_) => raw.iter().eq(self.headers.iter().map(str::as_bytes)),
            None => false,
        };
        if !same {
            return Err(InputError::new(
                &self.path,
                "the header line changed since the file was opened",
                "Do not edit the file while zoombulk reads it; run the command again.",
            )
            .at_line(self.header_line));
        }
        Ok(Records {
            src,
            headers: self.headers.clone(),
            width: self.headers.len(),
            row: 0,
            stop: None,
            handed_over: false,
        })
    }

    /// A line break near the middle of a large file, where a second pass may
    /// start ([`InputFile::records_from`]); `None` for a small file or no break
    /// near the middle. Only a guess: a quoted value may span it, which the
    /// pass from the start finds out ([`Records::stop_at`]).
    pub fn cut_near_middle(&self) -> Result<Option<Cut>, InputError> {
        let io_error = |e: io::Error| InputError::io(&self.path, "read the file", &e);
        let mut file = File::open(&self.path).map_err(io_error)?;
        let len = file.metadata().map_err(io_error)?;
        if !len.is_file() || len.len() < SPLIT_MIN {
            return Ok(None);
        }
        let middle = len.len() / 2;
        // A little before the middle too: the line breaks around the cut.
        let from = middle.saturating_sub(CUT_LOOK_BACK as u64);
        file.seek(SeekFrom::Start(from)).map_err(io_error)?;
        let mut window = Vec::with_capacity(CUT_LOOK_BACK + CUT_SEARCH);
        file.take((CUT_LOOK_BACK + CUT_SEARCH) as u64)
            .read_to_end(&mut window)
            .map_err(io_error)?;
        let is_break = |b: &u8| *b == b'\n' || *b == b'\r';
        let skip = usize::try_from(middle - from).unwrap_or(0);
        let Some(i) = window.iter().skip(skip).position(is_break).map(|i| i + skip) else {
            return Ok(None);
        };
        // The cut comes after the whole run of line breaks (`\r\n`, blank lines)
        // the middle is in. A record ending at the run leaves the csv reader just
        // after the run's first byte; the rest of the run it skips as blank lines,
        // so from anywhere in it the next record is the one after the cut.
        let end = i + window[i..].iter().take_while(|b| is_break(b)).count();
        let first = i - window[..i].iter().rev().take_while(|b| is_break(b)).count();
        // The next record must start whole in the window, and not with what the
        // csv reader takes for a byte-order mark at a file's start.
        if window.len() < end + BOM.len() || window[end..].starts_with(BOM) {
            return Ok(None);
        }
        Ok(Some(Cut {
            at: from + end as u64,
            earliest: from + first as u64 + 1,
        }))
    }

    /// A pass over the data rows from `cut` on, its rows numbered from 1 (the
    /// caller adds the rows before the cut); offsets are the file's.
    pub fn records_from(&self, cut: Cut) -> Result<Records, InputError> {
        Ok(Records {
            src: Source::open(&self.path, self.delimiter, cut.at)?,
            headers: self.headers.clone(),
            width: self.headers.len(),
            row: 0,
            stop: None,
            handed_over: false,
        })
    }
}

/// A place where a second pass over the file may take over (see
/// [`InputFile::cut_near_middle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Offset of the first byte after the line break.
    pub at: u64,
    /// The earliest place a record ending at the break leaves the reader: just
    /// after the first byte of the run of line breaks that ends at `at`.
    earliest: u64,
}

/// Whether `bytes` hold a `'`, a word at a time.
fn has_apostrophe(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Zero where a byte is `'`; a word holds a zero byte exactly when this is set.
    let zero_byte = |w: u64| {
        let x = w ^ (ONES * u64::from(b'\''));
        x.wrapping_sub(ONES) & !x & (ONES << 7) != 0
    };
    crate::validate::text::any_word(bytes, zero_byte, |b| b == b'\'')
}

/// One pass over the data rows of an [`InputFile`].
pub struct Records {
    src: Source,
    headers: StringRecord,
    width: usize,
    row: u64,
    /// Where another pass takes over (see [`Records::stop_at`]).
    stop: Option<Cut>,
    handed_over: bool,
}

impl Records {
    /// Ends this pass at `cut` when a record ends there; when one runs over it
    /// (the line break was inside a quoted value), the pass goes on to the end.
    pub fn stop_at(&mut self, cut: Cut) {
        self.stop = Some(cut);
        self.handed_over = false;
    }

    /// The pass ended at its cut: the rows after it are the other pass's.
    pub fn handed_over(&self) -> bool {
        self.handed_over
    }

    /// Goes on past the cut, to the end of the file.
    pub fn read_on(&mut self) {
        self.stop = None;
        self.handed_over = false;
    }

    /// Reads the next data row into `rec` (reused: no allocation per row once
    /// its buffers have grown). `Ok(None)` at the end of the file. After an
    /// error the pass may go on with the next record; the failed record still
    /// counts as a row, so row numbers stay the same between passes.
    pub fn read(&mut self, rec: &mut StringRecord) -> Result<Option<RowPos>, InputError> {
        loop {
            let start = self.src.next_start();
            if let Some(cut) = self.stop
                && start >= cut.earliest
            {
                if start <= cut.at {
                    self.handed_over = true;
                    return Ok(None);
                }
                self.stop = None;
            }
            match self.src.rdr.read_record(rec) {
                Ok(false) => return Ok(None),
                Ok(true) => self.src.finish(start, Some(&self.headers))?,
                Err(e) => return Err(self.read_error(&e, start)),
            }
            let bytes = rec.as_byte_record().as_slice();
            if is_blank(bytes) {
                continue;
            }
            self.row += 1;
            if rec.len() != self.width {
                return Err(self.field_count_error(rec.len(), start, count_breaks(bytes, false)));
            }
            // A file zoombulk wrote (an export, results) carries the injection guard;
            // a row without a quote mark has no guarded cell.
            if has_apostrophe(bytes) {
                crate::output::guard::unguard_record(rec);
            }
            return Ok(Some(RowPos {
                row: self.row,
                offset: start,
            }));
        }
    }

    /// Data rows returned (or failed) so far.
    pub fn rows_read(&self) -> u64 {
        self.row
    }

    fn field_count_error(&self, found: usize, start: u64, breaks: u64) -> InputError {
        let expected = self.width;
        let delim = delimiter_name(self.src.delimiter);
        let fix = if breaks > 0 {
            format!(
                "A quoted value in this row spans {} lines: check for a missing or extra quote (\"), and write a quote inside a value as \"\".",
                breaks + 1
            )
        } else if found < expected {
            format!(
                "Add the missing {delim} separators so the row has one field per column, or delete the row."
            )
        } else {
            format!(
                "Put quotes around values that contain {delim} (e.g. \"Smith, Jr.\"), or remove the extra separators."
            )
        };
        let column = found.min(expected) + 1;
        let e = InputError::new(
            &self.src.path,
            format!(
                "expected {expected} field{} (one per header column), found {found}",
                if expected == 1 { "" } else { "s" }
            ),
            fix,
        )
        .at_column(column, self.headers.get(column - 1))
        .for_row(self.row);
        match self.src.line_of(start) {
            Some(line) => e.at_line(line),
            None => e,
        }
    }

    fn read_error(&mut self, e: &csv::Error, start: u64) -> InputError {
        let csv::ErrorKind::Utf8 { err, .. } = e.kind() else {
            return self.src.csv_error(e);
        };
        self.row += 1;
        let row = self.row;
        if let Err(unterminated) = self.src.finish(start, Some(&self.headers)) {
            return unterminated.for_row(row);
        }
        let line = self.src.line_of(start).unwrap_or(0);
        // The csv crate wipes the record on a UTF-8 error: read its bytes again.
        let raw = (|| -> io::Result<ByteRecord> {
            let mut file = File::open(&self.src.path)?;
            file.seek(SeekFrom::Start(start))?;
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(self.src.delimiter)
                .from_reader(file);
            let mut raw = ByteRecord::new();
            rdr.read_byte_record(&mut raw).map_err(io::Error::other)?;
            Ok(raw)
        })();
        match raw {
            Ok(raw) => utf8_error(
                &self.src.path,
                &raw,
                err.field(),
                err.valid_up_to(),
                line,
                Some(&self.headers),
            ),
            Err(_) => InputError::new(
                &self.src.path,
                "the text is not valid UTF-8",
                "Save the file as UTF-8 (in Excel: Save As > \"CSV UTF-8 (Comma delimited)\") and run again.",
            )
            .at_line(line)
            .at_column(err.field() + 1, self.headers.get(err.field())),
        }
        .for_row(row)
    }
}
