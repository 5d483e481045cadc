//! The results file (SPEC: Results CSV): one row per input data row, in input
//! order: `row`, the input's columns as given (passwords as `***`), then the
//! outcome columns. `resume::csv` reads it back.

use std::io::{self, Write};

use csv::StringRecord;

use crate::output::table::{Column, Kind, TableOptions, TableWriter};
use crate::pipeline::outcome::Outcome;

pub use crate::output::guard::unguard;
pub use crate::output::table::Format;

/// The column before the input's columns.
pub const ROW_COLUMN: &str = "row";

/// The columns after the input's columns, before the job's own (`zoom_id` is
/// followed by [`crate::pipeline::job::Job::EXTRA_COLUMNS`]).
const OUTCOME_HEAD: [&str; 2] = ["status", "zoom_id"];
/// The columns after the job's own.
const OUTCOME_TAIL: [(&str, Kind); 5] = [
    ("http_status", Kind::Number),
    ("error_code", Kind::Plain),
    // Only the message is free text: ids, codes and URLs are never guarded, so
    // they can be fed back as they are.
    ("error_message", Kind::Text),
    ("attempts", Kind::Number),
    ("finished_at", Kind::Plain),
];

/// Every job's own result column, reserved whichever job writes: the renaming
/// of input columns never depends on the job.
const KNOWN_EXTRA_COLUMNS: [&str; 1] = ["join_url"];

/// Prefix of an input column whose name is a results column's.
pub const INPUT_PREFIX: &str = "input.";

/// Whether an input header is one of the results' own column names (all of
/// them, `join_url` included, so the mapping never depends on the job).
pub fn is_reserved(header: &str) -> bool {
    header == ROW_COLUMN
        || OUTCOME_HEAD.contains(&header)
        || OUTCOME_TAIL.iter().any(|(c, _)| *c == header)
        || KNOWN_EXTRA_COLUMNS.contains(&header)
}

/// What a password cell is written as.
pub const MASK: &str = "***";

/// How results are written.
#[derive(Debug, Clone, Default)]
pub struct ResultsOptions {
    pub format: Format,
    /// The job's own result columns (registrants: `join_url`).
    pub extra_columns: &'static [&'static str],
    /// `--raw-cells`: no CSV-injection guard.
    pub raw_cells: bool,
    /// `--bom`: a UTF-8 BOM before the CSV header, for Excel.
    pub bom: bool,
    /// Record indexes of password columns: written as `***` when not empty.
    pub secret_columns: Vec<usize>,
    /// Record indexes of input columns that are not free text (emails, ids,
    /// phone numbers): written without the injection guard. Every other input
    /// column is free text.
    pub plain_columns: Vec<usize>,
}

/// The outcome column names, with the job's own.
pub(crate) fn outcome_columns(extra: &'static [&'static str]) -> impl Iterator<Item = &'static str> {
    OUTCOME_HEAD
        .into_iter()
        .chain(extra.iter().copied())
        .chain(OUTCOME_TAIL.iter().map(|(c, _)| *c))
}

/// Writes results rows, as they are handed to it, to any writer: a thin layer
/// over the shared [`TableWriter`] that lays out `row`, the input's cells and
/// the outcome.
pub struct ResultsWriter<W: Write> {
    table: TableWriter<W>,
    width: usize,
    secret: Vec<bool>,
    extra: &'static [&'static str],
}

impl<W: Write> ResultsWriter<W> {
    /// Starts the results; the CSV header line is written at once.
    pub fn new(out: W, headers: &StringRecord, options: ResultsOptions) -> io::Result<ResultsWriter<W>> {
        let width = headers.len();
        let mut secret = vec![false; width];
        for &i in &options.secret_columns {
            if let Some(s) = secret.get_mut(i) {
                *s = true;
            }
        }
        let table = TableWriter::new(
            out,
            &results_columns(headers, &options),
            TableOptions {
                format: options.format,
                raw_cells: options.raw_cells,
                bom: options.bom,
            },
        )?;
        Ok(ResultsWriter {
            table,
            width,
            secret,
            extra: options.extra_columns,
        })
    }

    /// Writes the results row of input row `row`: `record` is the input record
    /// (as read; missing cells are written empty), `outcome` what happened.
    pub fn write_row(&mut self, row: u64, record: &StringRecord, o: &Outcome) -> io::Result<()> {
        let mut num = itoa_buf();
        let mut num2 = itoa_buf();
        let mut num3 = itoa_buf();
        let row = digits(&mut num, row);
        let http = o.http_status.map_or("", |s| digits(&mut num2, u64::from(s)));
        let attempts = digits(&mut num3, u64::from(o.attempts));
        let finished = o.finished_at_rfc3339();
        let secret = &self.secret;
        let input = (0..self.width).map(|i| match record.get(i) {
            Some(c) if secret[i] && !c.is_empty() => MASK,
            Some(c) => c,
            None => "",
        });
        let extra = self.extra.iter().map(|c| o.extra(c).unwrap_or(""));
        let outcome = [o.status.as_str(), o.zoom_id.as_deref().unwrap_or("")]
            .into_iter()
            .chain(extra)
            .chain([
                http,
                o.error_code.as_deref().unwrap_or(""),
                o.error_message.as_deref().unwrap_or(""),
                attempts,
                finished.as_str(),
            ]);
        self.table
            .write_row(std::iter::once(row).chain(input).chain(outcome))
    }

    /// Flushes everything written so far to the underlying writer and flushes it.
    pub fn flush(&mut self) -> io::Result<()> {
        self.table.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> io::Result<W> {
        self.table.into_inner()
    }
}

/// The results' columns: `row`, the input's (free text unless listed plain),
/// the outcome's. An input column named like a results column (`row`,
/// `status`, … see [`is_reserved`]) is written `input.<name>`, in CSV and JSONL
/// alike, so a results file never has two `status` columns; the reader maps it
/// back. In JSONL a key equal to an earlier one (an input with two `email`
/// columns) gets `#2`, `#3`, … so no object has a key twice.
fn results_columns(headers: &StringRecord, options: &ResultsOptions) -> Vec<Column> {
    let mut columns = vec![Column::number(ROW_COLUMN)];
    for (i, h) in headers.iter().enumerate() {
        let kind = if options.plain_columns.contains(&i) {
            Kind::Plain
        } else {
            Kind::Text
        };
        columns.push(if is_reserved(h) {
            Column::new(format!("{INPUT_PREFIX}{h}"), kind)
        } else {
            Column::new(h, kind)
        });
    }
    columns.extend(OUTCOME_HEAD.iter().map(|c| Column::new(*c, Kind::Plain)));
    columns.extend(options.extra_columns.iter().map(|c| Column::new(*c, Kind::Plain)));
    columns.extend(OUTCOME_TAIL.iter().map(|(c, k)| Column::new(*c, *k)));
    columns
}

type NumBuf = [u8; 20];

fn itoa_buf() -> NumBuf {
    [0; 20]
}

/// `n` in decimal, in `buf`.
fn itoa(buf: &mut NumBuf, mut n: u64) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// `n` in decimal as text, in `buf` (no allocation per row).
fn digits(buf: &mut NumBuf, n: u64) -> &str {
    std::str::from_utf8(itoa(buf, n)).unwrap_or_default()
}

#[cfg(test)]
mod tests;
