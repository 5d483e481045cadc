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
//! end a line) where a record's first character is. The csv crate's own
//! positions drift on CRLF files and after blank lines, so a `LineCounter`
//! under the csv reader supplies the line breaks the csv crate does not count,
//! and each record's byte offset is turned into its exact line.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use csv::{ByteRecord, StringRecord};

use crate::pipeline::columns::{ColumnSpec, normalize_header};

/// Read buffer of the CSV reader: large, so a million-row file is a few hundred reads.
const READ_BUFFER: usize = 1 << 20;
/// The delimiter is sniffed from at most this much of the header line.
const SNIFF_MAX: usize = 16 << 20;
/// Headers listed in a "missing column" error before "… and N more".
const HEADERS_SHOWN: usize = 20;
/// Longest header text quoted in a message.
const HEADER_SHOWN_CHARS: usize = 60;

/// Where a data record is in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowPos {
    /// 1-based data row (the header and skipped blank lines are not rows).
    pub row: u64,
    /// 1-based physical line where the record starts.
    pub line: u64,
}

/// Malformed or unusable input. Displays as
/// `<file>: line L, column C (<header>): <what is wrong>. <what to do>`, the
/// line and column left out only when they are not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(Box<Detail>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Detail {
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

    fn io(path: &Path, doing: &str, err: &io::Error) -> InputError {
        InputError::new(
            path,
            format!("cannot {doing}: {err}"),
            "Check that the path is right and the file is readable.",
        )
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.path.display())?;
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
fn shown_header(h: &str) -> String {
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

fn delimiter_name(d: u8) -> &'static str {
    match d {
        b';' => "';'",
        b'\t' => "tab",
        _ => "','",
    }
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// Reads up to the end of the header line (quotes respected) and picks the
/// delimiter that occurs most often outside quotes (`,` on a tie or none).
fn sniff_delimiter(file: File) -> io::Result<u8> {
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut counts = [0usize; 3];
    let (mut seen, mut started, mut in_quotes) = (0usize, false, false);
    let mut first = true;
    'outer: loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let mut chunk = buf;
        if first {
            first = false;
            if chunk.starts_with(b"\xef\xbb\xbf") {
                chunk = &chunk[3..];
            }
        }
        for &b in chunk {
            if !started {
                if b == b'\r' || b == b'\n' {
                    continue;
                }
                started = true;
            }
            match b {
                b'"' => in_quotes = !in_quotes,
                _ if in_quotes => {}
                b',' => counts[0] += 1,
                b';' => counts[1] += 1,
                b'\t' => counts[2] += 1,
                b'\n' | b'\r' => break 'outer,
                _ => {}
            }
        }
        let n = buf.len();
        seen += n;
        reader.consume(n);
        if seen >= SNIFF_MAX {
            break;
        }
    }
    // The first of the most frequent (`,` wins ties).
    let best = (0..3).fold(0, |best, i| if counts[i] > counts[best] { i } else { best });
    Ok([b',', b';', b'\t'][best])
}

/// Line breaks in `bytes`: `\n`, `\r\n` and a lone `\r` count one each.
/// `prev_cr`: the byte before `bytes` was `\r`.
fn count_breaks(bytes: &[u8], mut prev_cr: bool) -> u64 {
    let mut n = 0;
    for &b in bytes {
        if b == b'\r' || (b == b'\n' && !prev_cr) {
            n += 1;
        }
        prev_cr = b == b'\r';
    }
    n
}

/// Sits under the csv reader so that a record's byte offset can be turned into
/// its exact line. The csv crate counts `\n` itself; this adds what it misses:
/// the line breaks between a record's offset and its first byte (blank lines,
/// the `\n` of a CRLF), read from a copy of the latest buffers, and lone `\r`s
/// (old Mac line ends), found with two bulk counts per buffer (positions are
/// only looked for in a buffer that has one). A few buffers are kept, so
/// memory does not grow with the file or with a field of many lines.
struct LineCounter<R> {
    inner: R,
    path: PathBuf,
    /// Bytes passed through so far.
    offset: u64,
    /// Copies of recent buffers (start offset, bytes): the one holding the
    /// record being read, the one after it, and the latest.
    kept: VecDeque<(u64, Vec<u8>)>,
    spare: Vec<Vec<u8>>,
    /// Offsets of lone `\r`s not yet passed by a record.
    lone_cr: VecDeque<u64>,
    /// Lone `\r`s before the last record asked about.
    lone_before: u64,
    /// A `\r` that ended the previous buffer: lone unless the next starts with `\n`.
    last_cr: Option<u64>,
    /// Start of the record being read.
    anchor: u64,
}

/// `\r` bytes in `bytes`. (Counted in blocks of 255 into `u8`s, which the
/// compiler turns into full-width vector code.)
fn count_cr(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|c| usize::from(c.iter().fold(0u8, |n, &b| n + u8::from(b == b'\r'))))
        .sum()
}

/// `\r\n` pairs in `bytes`.
fn count_crlf(bytes: &[u8]) -> usize {
    let Some(next) = bytes.get(1..) else { return 0 };
    bytes
        .chunks(255)
        .zip(next.chunks(255))
        .map(|(a, b)| {
            usize::from(
                a.iter()
                    .zip(b)
                    .fold(0u8, |n, (&x, &y)| n + u8::from((x == b'\r') & (y == b'\n'))),
            )
        })
        .sum()
}

/// Buffers ending this far behind the bytes read cannot hold a record's start
/// any more (the csv reader reads at most one buffer ahead).
const KEPT_BEHIND: u64 = READ_BUFFER as u64 + 4096;

impl<R: Read> LineCounter<R> {
    fn new(inner: R, path: &Path) -> LineCounter<R> {
        LineCounter {
            inner,
            path: path.to_path_buf(),
            offset: 0,
            kept: VecDeque::new(),
            spare: Vec::new(),
            lone_cr: VecDeque::new(),
            lone_before: 0,
            last_cr: None,
            anchor: 0,
        }
    }

    fn scan(&mut self, bytes: &[u8]) {
        let Some(&last) = bytes.last() else { return };
        let base = self.offset;
        if let Some(at) = self.last_cr.take()
            && bytes[0] != b'\n'
        {
            self.lone_cr.push_back(at);
        }
        let crs = count_cr(bytes);
        if crs > 0 {
            let pairs = count_crlf(bytes);
            if crs != pairs + usize::from(last == b'\r') {
                for (i, pair) in bytes.windows(2).enumerate() {
                    if pair[0] == b'\r' && pair[1] != b'\n' {
                        self.lone_cr.push_back(base + i as u64);
                    }
                }
            }
            if last == b'\r' {
                self.last_cr = Some(base + bytes.len() as u64 - 1);
            }
        }
        let mut copy = self.spare.pop().unwrap_or_default();
        copy.clear();
        copy.extend_from_slice(bytes);
        self.kept.push_back((base, copy));
        self.offset += bytes.len() as u64;
        while self.kept.len() > 1 && self.kept[0].0 + self.kept[0].1.len() as u64 <= self.anchor {
            let (_, buf) = self.kept.pop_front().expect("checked");
            self.spare.push(buf);
        }
        while self.kept.len() > 3
            && self.kept[2].0 + (self.kept[2].1.len() as u64) + KEPT_BEHIND < self.offset
        {
            let (_, buf) = self.kept.remove(2).expect("checked");
            self.spare.push(buf);
        }
    }

    /// The line of the first byte at or after `pos` (a record boundary, on
    /// line `pos_line` by the csv crate's `\n` count) that is not a line
    /// break, and that byte's offset. Questions come in file order.
    fn line_at(&mut self, pos: u64, pos_line: u64) -> io::Result<(u64, u64)> {
        let (mut content, mut newlines, mut found) = (pos, 0, false);
        'kept: for (start, buf) in &self.kept {
            let end = start + buf.len() as u64;
            if end <= content {
                continue;
            }
            if *start > content {
                break;
            }
            for &b in &buf[(content - start) as usize..] {
                match b {
                    b'\n' => newlines += 1,
                    b'\r' => {}
                    _ => {
                        found = true;
                        break 'kept;
                    }
                }
                content += 1;
            }
        }
        if !found {
            // Blank lines running past the kept copies: read them from the file.
            let mut file = File::open(&self.path)?;
            file.seek(SeekFrom::Start(content))?;
            let mut reader = BufReader::with_capacity(64 * 1024, file);
            'file: loop {
                let buf = reader.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                let n = buf.len();
                for &b in buf {
                    match b {
                        b'\n' => newlines += 1,
                        b'\r' => {}
                        _ => break 'file,
                    }
                    content += 1;
                }
                reader.consume(n);
            }
        }
        while self.lone_cr.front().is_some_and(|&at| at < content) {
            self.lone_cr.pop_front();
            self.lone_before += 1;
        }
        Ok((pos_line + newlines + self.lone_before, content))
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.scan(&buf[..n]);
        Ok(n)
    }
}

/// Where an unclosed quote opened.
struct OpenQuote {
    /// 0-based field index.
    field: usize,
    /// Line breaks between the record's first byte and the quote.
    lines_before: u64,
}

/// Re-reads one record from `start` (its first byte) to the end of the file the
/// way csv-core parses it, and says where its quoted field opened when the file
/// ends inside it. Called only for a record that reaches the end of the file.
fn find_unclosed_quote(path: &Path, start: u64, delimiter: u8) -> io::Result<Option<OpenQuote>> {
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        StartField,
        InField,
        InQuoted,
        AfterQuote,
    }
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut reader = BufReader::with_capacity(READ_BUFFER, file);
    let mut state = S::StartField;
    let (mut field, mut breaks, mut prev_cr) = (0usize, 0u64, false);
    let mut open = OpenQuote {
        field: 0,
        lines_before: 0,
    };
    let mut skip_bom = start == 0;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let mut chunk = buf;
        if skip_bom {
            skip_bom = false;
            if chunk.starts_with(b"\xef\xbb\xbf") {
                chunk = &chunk[3..];
            }
        }
        for &b in chunk {
            let term = b == b'\r' || b == b'\n';
            if state != S::InQuoted && term {
                return Ok(None);
            }
            state = match (state, b) {
                (S::InQuoted, b'"') => S::AfterQuote,
                (S::InQuoted, _) => S::InQuoted,
                (S::StartField, b'"') => {
                    open = OpenQuote {
                        field,
                        lines_before: breaks,
                    };
                    S::InQuoted
                }
                (S::AfterQuote, b'"') => S::InQuoted,
                _ if b == delimiter => {
                    field += 1;
                    S::StartField
                }
                _ => S::InField,
            };
            breaks += u64::from(b == b'\r' || (b == b'\n' && !prev_cr));
            prev_cr = b == b'\r';
        }
        let n = buf.len();
        reader.consume(n);
    }
    Ok((state == S::InQuoted).then_some(open))
}

/// The reading machinery shared by the header read and the data passes.
struct Source {
    path: PathBuf,
    rdr: csv::Reader<LineCounter<File>>,
    delimiter: u8,
    /// Size of the file, when it is a regular file: a record ending there may
    /// have been cut short by an unterminated quote.
    file_len: Option<u64>,
}

impl Source {
    fn open(path: &Path, delimiter: u8) -> Result<Source, InputError> {
        let file = File::open(path).map_err(|e| InputError::io(path, "open the file", &e))?;
        let meta = file
            .metadata()
            .map_err(|e| InputError::io(path, "read the file", &e))?;
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(READ_BUFFER)
            .from_reader(LineCounter::new(file, path));
        Ok(Source {
            path: path.to_path_buf(),
            rdr,
            delimiter,
            file_len: meta.is_file().then_some(meta.len()),
        })
    }

    /// Byte offset and (csv-counted) line of the next record, or of the blank
    /// lines before it.
    fn next_start(&mut self) -> (u64, u64) {
        let pos = self.rdr.position();
        let start = (pos.byte(), pos.line());
        self.rdr.get_mut().anchor = start.0;
        start
    }

    /// The start line of the record just read, which began at `start`.
    /// Fails when the record runs to the end of the file inside a quoted field.
    fn finish(&mut self, start: (u64, u64), headers: Option<&StringRecord>) -> Result<u64, InputError> {
        let (line, content) = self
            .rdr
            .get_mut()
            .line_at(start.0, start.1)
            .map_err(|e| InputError::io(&self.path, "read the file", &e))?;
        if self.file_len == Some(self.rdr.position().byte()) {
            let open = find_unclosed_quote(&self.path, content, self.delimiter)
                .map_err(|e| InputError::io(&self.path, "read the file", &e))?;
            if let Some(open) = open {
                return Err(InputError::new(
                    &self.path,
                    "a quoted value starts here but its closing quote (\") is missing, so everything after it to the end of the file would be read as this one value",
                    "Add the closing quote, and write a quote inside a quoted value as two quotes (\"\").",
                )
                .at_line(line + open.lines_before)
                .at_column(open.field + 1, headers.and_then(|h| h.get(open.field))));
            }
        }
        Ok(line)
    }

    /// Next record with its start line, blank ones skipped; `None` at the end.
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
            let line = self.finish(start, headers)?;
            if !is_blank(rec.as_slice()) {
                return Ok(Some(line));
            }
        }
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
        let mut src = Source::open(path, delimiter)?;
        let mut raw = ByteRecord::new();
        let Some(header_line) = src.read_raw(&mut raw, None)? else {
            return Err(InputError::new(
                path,
                "the file is empty: it has no header line",
                "The first line must name the columns, e.g. email,first_name,last_name.",
            ));
        };
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

    /// Number of columns (fields every row must have).
    pub fn width(&self) -> usize {
        self.headers.len()
    }

    /// The line the header is on (1 unless blank lines come first).
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// A fresh pass over the data rows, from the first.
    pub fn records(&self) -> Result<Records, InputError> {
        let mut src = Source::open(&self.path, self.delimiter)?;
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
        })
    }
}

/// `header` without a leading `prefix`, compared the way [`normalize_header`]
/// compares (case, spaces, `_` and `-` ignored).
fn strip_prefix_folded<'h>(header: &'h str, prefix: &str) -> Option<&'h str> {
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

fn missing_columns(path: &Path, line: u64, headers: &StringRecord, missing: &[&ColumnSpec]) -> InputError {
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

/// The error for invalid UTF-8 in field `field` of `raw` (a record starting on `line`).
fn utf8_error(
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

/// One pass over the data rows of an [`InputFile`].
pub struct Records {
    src: Source,
    headers: StringRecord,
    width: usize,
    row: u64,
}

impl Records {
    /// Reads the next data row into `rec` (reused: no allocation per row once
    /// its buffers have grown). `Ok(None)` at the end of the file. After an
    /// error the pass may go on with the next record; the failed record still
    /// counts as a row, so row numbers stay the same between passes.
    pub fn read(&mut self, rec: &mut StringRecord) -> Result<Option<RowPos>, InputError> {
        loop {
            let start = self.src.next_start();
            let line = match self.src.rdr.read_record(rec) {
                Ok(false) => return Ok(None),
                Ok(true) => self.src.finish(start, Some(&self.headers))?,
                Err(e) => return Err(self.read_error(&e, start)),
            };
            let bytes = rec.as_byte_record().as_slice();
            if is_blank(bytes) {
                continue;
            }
            self.row += 1;
            if rec.len() != self.width {
                return Err(self.field_count_error(rec.len(), line, count_breaks(bytes, false)));
            }
            // A file zoombulk wrote (an export, results) carries the injection guard.
            crate::output::guard::unguard_record(rec);
            return Ok(Some(RowPos { row: self.row, line }));
        }
    }

    /// Data rows returned (or failed) so far.
    pub fn rows_read(&self) -> u64 {
        self.row
    }

    fn field_count_error(&self, found: usize, line: u64, breaks: u64) -> InputError {
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
        InputError::new(
            &self.src.path,
            format!(
                "expected {expected} field{} (one per header column), found {found}",
                if expected == 1 { "" } else { "s" }
            ),
            fix,
        )
        .at_line(line)
        .at_column(column, self.headers.get(column - 1))
        .for_row(self.row)
    }

    fn read_error(&mut self, e: &csv::Error, start: (u64, u64)) -> InputError {
        let csv::ErrorKind::Utf8 { err, .. } = e.kind() else {
            return self.src.csv_error(e);
        };
        self.row += 1;
        let row = self.row;
        let line = match self.src.finish(start, Some(&self.headers)) {
            Ok(line) => line,
            Err(unterminated) => return unterminated.for_row(row),
        };
        // The csv crate wipes the record on a UTF-8 error: read its bytes again.
        let raw = (|| -> io::Result<ByteRecord> {
            let mut file = File::open(&self.src.path)?;
            file.seek(SeekFrom::Start(start.0))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A file in the temp directory, removed on drop.
    struct TempCsv(PathBuf);

    impl TempCsv {
        fn new(bytes: &[u8]) -> TempCsv {
            static N: AtomicUsize = AtomicUsize::new(0);
            let name = format!(
                "zoombulk-input-{}-{}.csv",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            );
            let path = std::env::temp_dir().join(name);
            std::fs::write(&path, bytes).unwrap();
            TempCsv(path)
        }
    }

    impl Drop for TempCsv {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    const SPECS: &[ColumnSpec] = &[
        ColumnSpec::required(
            "email",
            &["email address", "e-mail", "e-mail address", "work email"],
        ),
        ColumnSpec::optional("first_name", &["first name", "given name"]),
        ColumnSpec::optional("last_name", &["last name", "surname"]),
        ColumnSpec::optional("type", &["user type", "license type"]),
        ColumnSpec::optional("password", &[]),
        ColumnSpec::prefix("custom:"),
    ];

    const LOOSE: &[ColumnSpec] = &[ColumnSpec::optional("email", &["email address"])];

    fn open(bytes: &[u8]) -> (TempCsv, Result<InputFile, InputError>) {
        let f = TempCsv::new(bytes);
        let r = InputFile::open(&f.0, SPECS);
        (f, r)
    }

    /// Every row as (row, line, fields), or the first error.
    fn rows(input: &InputFile) -> Result<Vec<(u64, u64, Vec<String>)>, InputError> {
        let mut records = input.records()?;
        let mut rec = StringRecord::new();
        let mut out = Vec::new();
        while let Some(pos) = records.read(&mut rec)? {
            out.push((pos.row, pos.line, rec.iter().map(str::to_string).collect()));
        }
        Ok(out)
    }

    fn first_error(bytes: &[u8]) -> InputError {
        let (_f, input) = open(bytes);
        let input = input.unwrap();
        rows(&input).unwrap_err()
    }

    fn lines_of(bytes: &[u8]) -> Vec<u64> {
        let (_f, input) = open(bytes);
        rows(&input.unwrap())
            .unwrap()
            .into_iter()
            .map(|(_, l, _)| l)
            .collect()
    }

    #[test]
    fn maps_portal_and_hr_headers() {
        let (_f, input) =
            open(b"Email Address,First Name,Last Name,User Type,Department\na@b.co,Ann,Lee,Basic,HR\n");
        let input = input.unwrap();
        assert_eq!(input.column("email"), Some(0));
        assert_eq!(input.column("first_name"), Some(1));
        assert_eq!(input.column("last_name"), Some(2));
        assert_eq!(input.column("type"), Some(3));
        assert_eq!(input.column("password"), None);
        assert_eq!(input.unknown_columns(), vec!["Department"]);
        assert_eq!(input.delimiter, b',');
        assert_eq!(input.width(), 5);
        let rows = rows(&input).unwrap();
        assert_eq!(
            rows,
            vec![(
                1,
                2,
                vec![
                    "a@b.co".into(),
                    "Ann".into(),
                    "Lee".into(),
                    "Basic".into(),
                    "HR".into()
                ]
            )]
        );
    }

    #[test]
    fn header_matching_ignores_case_spaces_underscores_hyphens() {
        let (_f, input) = open(b"E-MAIL,first_name,  LAST-NAME ,usertype\nx@y.co,a,b,1\n");
        let input = input.unwrap();
        assert_eq!(input.column("email"), Some(0));
        assert_eq!(input.column("last_name"), Some(2));
        assert_eq!(input.column("type"), Some(3));
        // Headers are kept as written.
        assert_eq!(&input.headers[2], "  LAST-NAME ");
    }

    #[test]
    fn bom_semicolon_crlf() {
        let (_f, input) = open("\u{feff}email;first_name\r\na@b.co;Ann\r\nc@d.co;\"Bob; Jr\"\r\n".as_bytes());
        let input = input.unwrap();
        assert_eq!(input.delimiter, b';');
        assert_eq!(&input.headers[0], "email");
        assert_eq!(input.column("email"), Some(0));
        let rows = rows(&input).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].0, rows[1].1), (2, 3));
        assert_eq!(rows[1].2[1], "Bob; Jr");
    }

    #[test]
    fn tab_delimited() {
        let (_f, input) = open(b"email\tfirst name\na@b.co\tAnn, Marie\n");
        let input = input.unwrap();
        assert_eq!(input.delimiter, b'\t');
        assert_eq!(rows(&input).unwrap()[0].2, vec!["a@b.co", "Ann, Marie"]);
    }

    #[test]
    fn delimiters_inside_quotes_do_not_count_when_sniffing() {
        let (_f, input) = open(b"\"a,b,c,d\";email;x\n1;a@b.co;2\n");
        assert_eq!(input.unwrap().delimiter, b';');
        let (_f, input) = open(b"email\na@b.co\n");
        assert_eq!(input.unwrap().delimiter, b',');
    }

    #[test]
    fn line_numbers_lf_crlf_blank_lines_and_multiline_fields() {
        assert_eq!(lines_of(b"email,first_name\na@b.co,A\nc@d.co,B\n"), vec![2, 3]);
        assert_eq!(
            lines_of(b"email,first_name\r\na@b.co,A\r\nc@d.co,B\r\n"),
            vec![2, 3]
        );
        assert_eq!(lines_of(b"email,first_name\r\na@b.co,A\r\nc@d.co,B"), vec![2, 3]);
        assert_eq!(lines_of(b"email,first_name\na@b.co,A\nc@d.co,B"), vec![2, 3]);
        assert_eq!(
            lines_of(b"\n\nemail,first_name\n\na@b.co,A\n\n\n,\n  \nc@d.co,B\n\n"),
            vec![5, 10]
        );
        assert_eq!(
            lines_of(b"\r\nemail,first_name\r\n\r\na@b.co,A\r\n\r\n\r\n,\r\nc@d.co,B\r\n"),
            vec![4, 8]
        );
        assert_eq!(
            lines_of(b"email,first_name\n\"a@b.co\",\"Ann\nMarie\n\"\nc@d.co,B\n"),
            vec![2, 5]
        );
        assert_eq!(
            lines_of(b"email,first_name\r\n\"a@b.co\",\"Ann\r\nMarie\"\r\nc@d.co,B\r\n"),
            vec![2, 4]
        );
        assert_eq!(lines_of(b"email,first_name\ra@b.co,A\rc@d.co,B\r"), vec![2, 3]);
        let (_f, input) = open(b"\n\nemail\na@b.co\n");
        assert_eq!(input.unwrap().header_line(), 3);
    }

    #[test]
    fn blank_rows_are_skipped_and_not_counted() {
        let (_f, input) = open(b"email,first_name\n,\n \t, \na@b.co,A\n,,\n\nc@d.co,B\n");
        let rows = rows(&input.unwrap()).unwrap();
        assert_eq!(
            rows.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
            vec![(1, 4), (2, 7)]
        );
    }

    #[test]
    fn header_only_and_empty_files() {
        for header_only in [
            &b"email,first_name\n"[..],
            b"email,first_name",
            b"email\r\n\r\n\r\n",
        ] {
            let (_f, input) = open(header_only);
            assert_eq!(rows(&input.unwrap()).unwrap(), vec![]);
        }
        for empty in [&b""[..], b"\xef\xbb\xbf", b"\n\n\r\n", b"  \n"] {
            let (f, input) = open(empty);
            let e = input.unwrap_err();
            assert!(e.problem().contains("empty"), "{e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("{}: the file is empty", f.0.display())),
                "{e}"
            );
        }
    }

    #[test]
    fn missing_required_column_names_aliases_and_found_headers() {
        let (f, input) = open(b"Name,Mail Addr\nA,a@b.co\n");
        let e = input.unwrap_err();
        let text = e.to_string();
        assert_eq!(e.line(), Some(1));
        assert!(
            text.starts_with(&format!(
                "{}: line 1: the required column email is missing",
                f.0.display()
            )),
            "{text}"
        );
        assert!(text.contains("\"Name\", \"Mail Addr\""), "{text}");
        assert!(
            text.contains("Add a column named email (also accepted: email address, e-mail"),
            "{text}"
        );
    }

    #[test]
    fn missing_column_list_is_capped_for_wide_files() {
        let header: Vec<String> = (0..500).map(|i| format!("c{i}")).collect();
        let (_f, input) = open(format!("{}\n", header.join(",")).as_bytes());
        let text = input.unwrap_err().to_string();
        assert!(text.contains("… and 480 more"), "{text}");
        assert!(text.len() < 1000);
    }

    #[test]
    fn two_headers_for_one_column_is_an_error() {
        let (_f, input) = open(b"Email,first_name,E-mail Address\na,b,c\n");
        let e = input.unwrap_err();
        assert_eq!((e.line(), e.column()), (Some(1), Some(3)));
        assert!(
            e.problem()
                .contains("columns 1 (Email) and 3 (E-mail Address) both mean email"),
            "{e}"
        );
    }

    #[test]
    fn prefix_columns() {
        let (_f, input) =
            open(b"email,Custom: Favourite colour,custom:Team,customer,CUSTOM_:x\na@b.co,blue,red,c,d\n");
        let input = input.unwrap();
        assert_eq!(
            input.prefixed("custom:"),
            vec![
                ("Favourite colour".to_string(), 1),
                ("Team".to_string(), 2),
                ("x".to_string(), 4)
            ]
        );
        assert_eq!(input.unknown_columns(), vec!["customer"]);
        assert_eq!(strip_prefix_folded("Custom :Q", "custom:"), Some("Q"));
        assert_eq!(strip_prefix_folded("Cust", "custom:"), None);
    }

    #[test]
    fn too_few_fields() {
        let e = first_error(b"email,first_name,last_name\na@b.co,Ann,Lee\nc@d.co,Bob\n");
        assert_eq!(
            (e.line(), e.column(), e.header(), e.row()),
            (Some(3), Some(3), Some("last_name"), Some(2))
        );
        let text = e.to_string();
        assert!(
            text.ends_with(
                "line 3, column 3 (last_name): expected 3 fields (one per header column), found 2. Add the missing ',' separators so the row has one field per column, or delete the row."
            ),
            "{text}"
        );
    }

    #[test]
    fn too_many_fields() {
        let e = first_error(b"email;first_name\na@b.co;Ann;Lee\n");
        assert_eq!((e.line(), e.column(), e.header()), (Some(2), Some(3), None));
        assert!(
            e.to_string()
                .contains("line 2, column 3: expected 2 fields (one per header column), found 3.")
        );
        assert!(e.fix().contains("';'"));
    }

    #[test]
    fn field_count_error_in_a_multiline_record_hints_at_quotes() {
        let e = first_error(b"email,first_name\na@b.co,\"Ann\nB\",x\nc@d.co,B\n");
        assert_eq!(e.line(), Some(2));
        assert!(e.fix().contains("spans 2 lines"), "{e}");
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let e = first_error(b"email,first_name\na@b.co,Ann\nc@d.co,Jos\xe9\n");
        assert_eq!(
            (e.line(), e.column(), e.header(), e.row()),
            (Some(3), Some(2), Some("first_name"), Some(2))
        );
        assert!(e.problem().contains("0xE9 after \"Jos\""), "{e}");
        assert!(e.fix().contains("UTF-8"));
        // The bad byte on a later line of a multi-line record.
        let e = first_error(b"email,first_name\n\"x\ny\",\"ab\ncd\xe9\"\n");
        assert_eq!((e.line(), e.column()), (Some(4), Some(2)));
        // In the header.
        let (_f, input) = open(b"em\xffail,x\na,b\n");
        let e = input.unwrap_err();
        assert_eq!((e.line(), e.column()), (Some(1), Some(1)));
        assert!(e.problem().contains("0xFF after \"em\""), "{e}");
    }

    #[test]
    fn reading_goes_on_after_a_bad_row() {
        let (_f, input) = open(b"email,first_name\na@b.co,Jos\xe9\nc@d.co\ne@f.co,Eve\n");
        let input = input.unwrap();
        let mut records = input.records().unwrap();
        let mut rec = StringRecord::new();
        assert_eq!(records.read(&mut rec).unwrap_err().row(), Some(1));
        assert_eq!(records.read(&mut rec).unwrap_err().row(), Some(2));
        assert_eq!(records.read(&mut rec).unwrap(), Some(RowPos { row: 3, line: 4 }));
        assert_eq!(&rec[0], "e@f.co");
        assert_eq!(records.read(&mut rec).unwrap(), None);
        assert_eq!(records.rows_read(), 3);
    }

    #[test]
    fn unterminated_quote_is_reported_where_it_starts() {
        // Swallows the following rows: the field count is off.
        let e = first_error(b"email,first_name\na@b.co,Ann\nc@d.co,\"Bob\ne@f.co,Eve\n");
        assert_eq!(
            (e.line(), e.column(), e.header()),
            (Some(3), Some(2), Some("first_name"))
        );
        assert!(e.problem().contains("closing quote"), "{e}");
        // The field count happens to match.
        let e = first_error(b"email,first_name\na@b.co,\"Ann\n");
        assert_eq!((e.line(), e.column()), (Some(2), Some(2)));
        let e = first_error(b"email,first_name\r\na@b.co,Ann\r\n\"c@d.co,Bob\r\ne@f.co\r\n");
        assert_eq!(
            (e.line(), e.column(), e.header()),
            (Some(3), Some(1), Some("email"))
        );
        // Inside a multi-line record, after a properly closed multi-line field.
        let e = first_error(b"email,first_name,last_name\na@b.co,\"A\nB\",\"C\nD\n");
        assert_eq!((e.line(), e.column()), (Some(3), Some(3)));
        // In the header.
        let (_f, input) = open(b"email,\"first_name\na@b.co,Ann\n");
        let e = input.unwrap_err();
        assert_eq!((e.line(), e.column()), (Some(1), Some(2)));
        // A blank-looking last record that opens a quote.
        let e = first_error(b"email,first_name\na@b.co,Ann\n,\"\n\n");
        assert_eq!((e.line(), e.column()), (Some(3), Some(2)));
    }

    #[test]
    fn closed_quotes_at_end_of_file_are_fine() {
        assert_eq!(lines_of(b"email,first_name\na@b.co,\"Ann\"\"\""), vec![2]);
        assert_eq!(lines_of(b"email,first_name\na@b.co,\"Ann\"x"), vec![2]);
        assert_eq!(lines_of(b"email,first_name\na@b.co,\"A\nB\"\n"), vec![2]);
        assert_eq!(lines_of(b"email,first_name\na@b.co,5\" screen\n"), vec![2]);
    }

    #[test]
    fn ten_thousand_columns() {
        let header: Vec<String> = std::iter::once("email".to_string())
            .chain((1..10_000).map(|i| format!("c{i}")))
            .collect();
        let row: Vec<String> = std::iter::once("a@b.co".to_string())
            .chain((1..10_000).map(|i| i.to_string()))
            .collect();
        let mut text = format!("{}\n", header.join(","));
        for _ in 0..3 {
            text.push_str(&row.join(","));
            text.push('\n');
        }
        text.push_str(&row[..9_000].join(","));
        text.push('\n');
        let (_f, input) = open(text.as_bytes());
        let input = input.unwrap();
        assert_eq!(input.width(), 10_000);
        assert_eq!(input.unknown_columns().len(), 9_999);
        let mut records = input.records().unwrap();
        let mut rec = StringRecord::new();
        for row in 1..=3 {
            assert_eq!(records.read(&mut rec).unwrap().unwrap().row, row);
            assert_eq!(&rec[9_999], "9999");
        }
        let e = records.read(&mut rec).unwrap_err();
        assert_eq!(
            (e.line(), e.column(), e.header()),
            (Some(5), Some(9_001), Some("c9000"))
        );
    }

    #[test]
    fn multi_megabyte_fields() {
        let big = "x".repeat(8 << 20);
        let text = format!("email,first_name\na@b.co,\"{big}\"\nc@d.co,{big}\ne@f.co,\"a\n{big}\n\"\n");
        let (_f, input) = open(text.as_bytes());
        let rows = rows(&input.unwrap()).unwrap();
        assert_eq!(
            rows.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
            vec![(1, 2), (2, 3), (3, 4)]
        );
        assert_eq!(rows[0].2[1].len(), 8 << 20);
        // Unterminated, multi-megabyte.
        let text = format!("email,first_name\na@b.co,\"{big}\n");
        let e = first_error(text.as_bytes());
        assert_eq!((e.line(), e.column()), (Some(2), Some(2)));
        assert!(e.to_string().len() < 500);
    }

    #[test]
    fn lines_stay_exact_across_many_buffers_and_fields_of_many_lines() {
        let mut text = String::from("email,first_name\r\n");
        for i in 0..200_000 {
            text.push_str(&format!("r{i}@b.co,N\r\n"));
        }
        // A field of 300,000 lines, then blank lines, then rows.
        text.push_str("x@b.co,\"");
        text.push_str(&"y\n".repeat(300_000));
        text.push_str("\"\n\n\n\rlast@b.co,L\n");
        let (_f, input) = open(text.as_bytes());
        let rows = rows(&input.unwrap()).unwrap();
        assert_eq!(rows.len(), 200_002);
        assert_eq!((rows[199_999].0, rows[199_999].1), (200_000, 200_001));
        assert_eq!(rows[200_000].1, 200_002);
        // `\n\n\n\r`: four line breaks after the closing quote.
        assert_eq!(rows[200_001].1, 200_002 + 300_000 + 4);
        assert_eq!(rows[200_001].2[0], "last@b.co");
    }

    #[test]
    fn lines_stay_exact_after_megabytes_of_blank_lines_and_lone_crs() {
        let mut text = String::from("email,first_name\na@b.co,A\n");
        // 6 MB of blank lines (more than the copies kept: the gap is read back
        // from the file), mixed line ends.
        // (`\r\n`, `\n`, lone `\r`: three line breaks a time.)
        text.push_str(&"\r\n\n\r".repeat(1_500_000));
        text.push_str("b@b.co,B\r");
        // Old-Mac rows, then a quoted field with lone CRs spanning buffers.
        for i in 0..100_000 {
            text.push_str(&format!("m{i}@b.co,M\r"));
        }
        text.push_str("q@b.co,\"");
        text.push_str(&"z\r".repeat(1_500_000));
        text.push_str("\"\rlast@b.co,L");
        let (_f, input) = open(text.as_bytes());
        let rows = rows(&input.unwrap()).unwrap();
        let lines: Vec<u64> = rows.iter().map(|r| r.1).collect();
        let b_line = 3 + 3 * 1_500_000;
        assert_eq!(&lines[..2], &[2, b_line]);
        assert_eq!(lines[2], b_line + 1);
        assert_eq!(lines[100_001], b_line + 100_000);
        assert_eq!(lines[100_002], b_line + 100_001);
        // 1,500,000 lone CRs inside the field, one after it.
        assert_eq!(lines[100_003], b_line + 100_001 + 1_500_000 + 1);
        assert_eq!(rows[100_003].2[0], "last@b.co");
    }

    #[test]
    fn each_pass_starts_from_the_first_row() {
        let (_f, input) = open(b"email\na@b.co\nc@d.co\n");
        let input = input.unwrap();
        assert_eq!(rows(&input).unwrap(), rows(&input).unwrap());
        assert_eq!(rows(&input).unwrap().len(), 2);
    }

    #[test]
    fn unreadable_file_and_display_without_line() {
        let e = InputFile::open(Path::new("/nonexistent/zoombulk/x.csv"), SPECS).unwrap_err();
        assert_eq!(e.line(), None);
        assert!(
            e.to_string()
                .starts_with("/nonexistent/zoombulk/x.csv: cannot open the file: "),
            "{e}"
        );
        let e = InputError::new(Path::new("f.csv"), "bad", "Fix it.");
        assert_eq!(e.to_string(), "f.csv: bad. Fix it.");
        let e = e.at_line(4).at_column(2, Some("Name\n"));
        assert_eq!(e.to_string(), "f.csv: line 4, column 2 (Name\\n): bad. Fix it.");
    }

    #[test]
    fn loose_specs_accept_files_without_required_columns() {
        let f = TempCsv::new(b"a,b\n1,2\n");
        let input = InputFile::open(&f.0, LOOSE).unwrap();
        assert_eq!(input.column("email"), None);
        assert_eq!(rows(&input).unwrap().len(), 1);
    }

    /// SPEC: `validate` reads a users file at >= 1,000,000 rows/s and in at most
    /// 2x a bare csv read. Run with
    /// `cargo test --release -- --ignored --nocapture bench_read_and_validate`.
    #[test]
    #[ignore = "benchmark: run in release"]
    fn bench_read_and_validate() {
        use crate::validate;
        use std::time::Instant;
        const ROWS: usize = 1_000_000;
        let mut text = String::from("Email Address,First Name,Last Name,User Type,Department\r\n");
        for i in 0..ROWS {
            text.push_str(&format!(
                "first.last{i}@example-corp.com,Firstname{i},\"Lastname, Jr\",Licensed,Dept {}\r\n",
                i % 50
            ));
        }
        let f = TempCsv::new(text.as_bytes());
        drop(text);

        let bare = || {
            let t = Instant::now();
            let mut rdr = csv::ReaderBuilder::new().from_path(&f.0).unwrap();
            let mut rec = ByteRecord::new();
            let mut n = 0;
            while rdr.read_byte_record(&mut rec).unwrap() {
                n += 1;
            }
            assert_eq!(n, ROWS);
            t.elapsed()
        };
        let ours = || {
            let t = Instant::now();
            let input = InputFile::open(&f.0, SPECS).unwrap();
            let (e, fi, la, ty) = (
                input.column("email").unwrap(),
                input.column("first_name").unwrap(),
                input.column("last_name").unwrap(),
                input.column("type").unwrap(),
            );
            let mut records = input.records().unwrap();
            let mut rec = StringRecord::new();
            let mut valid = 0;
            while let Some(_pos) = records.read(&mut rec).unwrap() {
                let ok = validate::email(rec[e].trim()).is_ok()
                    && validate::name("first_name", rec[fi].trim(), 64).is_ok()
                    && validate::name("last_name", rec[la].trim(), 64).is_ok()
                    && validate::user_type(&rec[ty]).is_ok();
                valid += usize::from(ok);
            }
            assert_eq!(valid, ROWS);
            t.elapsed()
        };
        let (mut best_bare, mut best_ours) = (bare(), ours());
        for _ in 0..2 {
            best_bare = best_bare.min(bare());
            best_ours = best_ours.min(ours());
        }
        let rate = ROWS as f64 / best_ours.as_secs_f64();
        let ratio = best_ours.as_secs_f64() / best_bare.as_secs_f64();
        println!(
            "bare csv read: {best_bare:?}; read + validate: {best_ours:?} ({rate:.0} rows/s, {ratio:.2}x)"
        );
        if !cfg!(debug_assertions) {
            assert!(rate >= 1_000_000.0, "{rate:.0} rows/s");
            assert!(ratio <= 2.0, "{ratio:.2}x a bare read");
        }
    }

    mod fuzz {
        //! "Bad input never panics": arbitrary bytes and CSV-shaped noise.
        use super::*;
        use proptest::prelude::*;

        const PIECES: &[&[u8]] = &[
            b"email",
            b"a@b.co",
            b"Email Address",
            b",",
            b",",
            b";",
            b"\t",
            b"\"",
            b"\"\"",
            b"\r",
            b"\n",
            b"\n",
            b"\r\n",
            b"\xff",
            b"\xe9",
            b"\xc3",
            b" ",
            b"\xef\xbb\xbf",
            b"x",
            b"custom:q",
            b"\xe6\xbc\xa2",
        ];

        fn csvish() -> impl Strategy<Value = Vec<u8>> {
            prop::collection::vec(prop::sample::select(PIECES), 0..60).prop_map(|p| p.concat())
        }

        /// Opens and reads everything, going on after errors; checks the
        /// invariants every outcome must keep.
        fn check(bytes: &[u8], specs: &[ColumnSpec]) {
            let f = TempCsv::new(bytes);
            let total_lines = 1 + count_breaks(bytes, false);
            let input = match InputFile::open(&f.0, specs) {
                Ok(input) => input,
                Err(e) => {
                    let text = e.to_string();
                    assert!(e.line().is_some() || e.problem().contains("empty"), "{text}");
                    assert!(e.line().unwrap_or(1) <= total_lines, "{text}");
                    return;
                }
            };
            let mut records = input.records().unwrap();
            let mut rec = StringRecord::new();
            let (mut last_row, mut last_line) = (0, input.header_line());
            for _ in 0..bytes.len() + 2 {
                match records.read(&mut rec) {
                    Ok(None) => return,
                    Ok(Some(pos)) => {
                        assert_eq!(pos.row, last_row + 1);
                        assert!(
                            pos.line > last_line && pos.line <= total_lines,
                            "{pos:?} after {last_line}"
                        );
                        assert_eq!(rec.len(), input.width());
                        last_row = pos.row;
                        last_line = pos.line;
                    }
                    Err(e) => {
                        let text = e.to_string();
                        let line = e.line().unwrap_or_else(|| panic!("no line: {text}"));
                        assert!(e.column().is_some(), "no column: {text}");
                        assert!(line > input.header_line() && line <= total_lines, "{text}");
                        assert!(text.contains(&format!("line {line}, column ")), "{text}");
                        if let Some(row) = e.row() {
                            last_row = row;
                        }
                        if e.problem().contains("closing quote") {
                            return;
                        }
                    }
                }
            }
            panic!("the reader did not come to an end");
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(400))]

            #[test]
            fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
                check(&bytes, SPECS);
                check(&bytes, LOOSE);
            }

            #[test]
            fn csv_shaped_noise_never_panics(bytes in csvish()) {
                check(&bytes, SPECS);
                check(&bytes, LOOSE);
                let mut with_header = b"email,first_name\n".to_vec();
                with_header.extend_from_slice(&bytes);
                check(&with_header, SPECS);
            }

            /// Lines are exact for well-formed files with blank lines, LF, CRLF
            /// or lone CR line ends (mixed in one file), quoted multi-line fields.
            #[test]
            fn line_numbers_are_exact(
                rows in prop::collection::vec((0usize..3, any::<bool>(), 0usize..3, 0usize..3), 0..30),
                header_nl in 0usize..3,
                final_break in any::<bool>(),
            ) {
                const NL: [&str; 3] = ["\n", "\r\n", "\r"];
                let mut text = format!("email,first_name{}", NL[header_nl]);
                let mut line = 2u64;
                let mut expected = Vec::new();
                // A `\n` right after a lone `\r` would make one CRLF break.
                let push_nl = |text: &mut String, nl: &str| {
                    if text.ends_with('\r') && nl == "\n" {
                        text.push_str("\r\n");
                    } else {
                        text.push_str(nl);
                    }
                };
                for (i, &(blanks, quoted, inner_breaks, nl)) in rows.iter().enumerate() {
                    let nl = NL[nl];
                    for _ in 0..blanks {
                        push_nl(&mut text, nl);
                        line += 1;
                    }
                    expected.push(line);
                    let name = if quoted {
                        format!("\"N{}\"", vec!["x"; inner_breaks + 1].join(nl))
                    } else {
                        "N".to_string()
                    };
                    text.push_str(&format!("r{i}@b.co,{name}"));
                    line += if quoted { inner_breaks as u64 } else { 0 };
                    if i + 1 < rows.len() || final_break {
                        push_nl(&mut text, nl);
                        line += 1;
                    }
                }
                let (_f, input) = open(text.as_bytes());
                let got: Vec<u64> = rows_of(&input.unwrap()).into_iter().map(|(_, l, _)| l).collect();
                prop_assert_eq!(got, expected);
            }
        }

        fn rows_of(input: &InputFile) -> Vec<(u64, u64, Vec<String>)> {
            super::rows(input).unwrap()
        }

        #[test]
        fn shapes_that_broke_readers_before() {
            for bytes in [
                &b"\""[..],
                b"\"\"",
                b"\"\n\"",
                b"email\n\"",
                b"email\n\"\"\"",
                b"email,\n\xff,\"",
                b"\xef\xbb\xbf\"email\"\r",
                b"\r\r\r",
                b"email\r\xff\r\"",
                b"email\n\n\n\"\n\n",
                // Lone CRs in a file sniffed as LF (found by the fuzz test).
                b"\xff\r",
                b"\xc2\x80\xe1\x80\x80\n\x0e\r",
                b"email,first_name\n\xff\r",
            ] {
                check(bytes, SPECS);
                check(bytes, LOOSE);
            }
        }
    }
}
