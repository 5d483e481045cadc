//! An earlier results CSV read back row by row for `--resume`: the writer's
//! layout in reverse (the `input.` prefix and the injection guard taken off).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use csv::StringRecord;

use crate::pipeline::columns::normalize_header;
use crate::pipeline::input::InputError;
use crate::pipeline::outcome::{Outcome, Status};
use crate::pipeline::results::{INPUT_PREFIX, ROW_COLUMN, is_reserved, outcome_columns, unguard};

/// An input header as the results file records it, back to the input's name.
fn recorded_header(cell: &str) -> &str {
    let cell = unguard(cell);
    match cell.strip_prefix(INPUT_PREFIX) {
        Some(name) if is_reserved(name) => name,
        _ => cell,
    }
}

/// A row of an earlier results file.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousRow {
    /// The `row` column: the input data row it was written for.
    pub row: u64,
    /// Line of the results file it was read from.
    pub line: u64,
    /// The key column's cell (e.g. the email), injection guard removed; `None`
    /// when no key column was asked for or found.
    pub key: Option<String>,
    /// The input's cells as recorded (guard removed; secrets as `***`), or
    /// empty when the source does not keep them.
    pub cells: Vec<String>,
    pub outcome: Outcome,
}

/// Streams an earlier results CSV back, one [`PreviousRow`] at a time (for
/// `--resume`, which can walk it beside the input since both are in row order;
/// memory does not grow with the file). A last line cut short by a crash is
/// ignored.
pub struct ResultsReader {
    path: PathBuf,
    rdr: Option<csv::Reader<File>>,
    input_headers: StringRecord,
    extra: &'static [&'static str],
    width: usize,
    key: Option<usize>,
    file_len: u64,
    ends_with_newline: bool,
    record: StringRecord,
    truncated_tail: bool,
}

impl ResultsReader {
    /// Opens a results CSV written by [`ResultsWriter`]. `key_header` is the
    /// header of the key column (e.g. the input's email header), found exactly
    /// or, failing that, by [`normalize_header`]. An empty file, or one whose
    /// header line was never finished, reads as no rows.
    pub fn open(
        path: &Path,
        key_header: Option<&str>,
        extra: &'static [&'static str],
    ) -> Result<ResultsReader, InputError> {
        let io_err = |e: io::Error| {
            InputError::new(
                path,
                format!("cannot read the results file: {e}"),
                "Check the --out path.",
            )
        };
        let mut file = File::open(path).map_err(io_err)?;
        let file_len = file.metadata().map_err(io_err)?.len();
        let mut last = [0u8];
        if file_len > 0 {
            file.seek(SeekFrom::Start(file_len - 1)).map_err(io_err)?;
            file.read_exact(&mut last).map_err(io_err)?;
            file.seek(SeekFrom::Start(0)).map_err(io_err)?;
        }
        let mut reader = ResultsReader {
            path: path.to_path_buf(),
            rdr: None,
            input_headers: StringRecord::new(),
            extra,
            width: 0,
            key: None,
            file_len,
            ends_with_newline: last[0] == b'\n',
            record: StringRecord::new(),
            truncated_tail: false,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(file);
        let mut header = StringRecord::new();
        let has_header = rdr
            .read_record(&mut header)
            .map_err(|e| reader.csv_error(&e, 1))?;
        if !has_header || rdr.position().byte() == file_len && !reader.ends_with_newline {
            reader.truncated_tail = has_header;
            return Ok(reader);
        }
        let n = header.len();
        let outcome_len = outcome_columns(extra).count();
        let tail_matches = n > outcome_len && header.iter().skip(n - outcome_len).eq(outcome_columns(extra));
        if !tail_matches || &header[0] != ROW_COLUMN {
            return Err(not_results(path, extra));
        }
        reader.input_headers = header
            .iter()
            .skip(1)
            .take(n - 1 - outcome_len)
            .map(recorded_header)
            .collect();
        reader.width = n;
        reader.key = key_header.and_then(|k| {
            let h = &reader.input_headers;
            h.iter().position(|x| x == k).or_else(|| {
                let nk = normalize_header(k);
                h.iter().position(|x| normalize_header(x) == nk)
            })
        });
        reader.rdr = Some(rdr);
        Ok(reader)
    }

    /// The input's headers as recorded (between `row` and `status`): compare
    /// them with the input's to detect a changed file.
    pub fn input_headers(&self) -> &StringRecord {
        &self.input_headers
    }

    /// Record index (in the input) of the key column, when found.
    #[cfg(test)]
    pub fn key_index(&self) -> Option<usize> {
        self.key
    }

    /// Whether a last line cut short (a crash mid-write) was ignored.
    #[cfg(test)]
    pub fn truncated_tail(&self) -> bool {
        self.truncated_tail
    }

    /// The next row; `None` at the end.
    pub fn read(&mut self) -> Result<Option<PreviousRow>, InputError> {
        let Some(rdr) = self.rdr.as_mut() else {
            return Ok(None);
        };
        let record = &mut self.record;
        let ok = match rdr.read_record(record) {
            Ok(ok) => ok,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                let at_eof = rdr.position().byte() == self.file_len;
                if at_eof {
                    self.truncated_tail = true;
                    return Ok(None);
                }
                return Err(self.csv_error(&e, line));
            }
        };
        if !ok {
            return Ok(None);
        }
        let line = record.position().map_or(0, csv::Position::line);
        let at_eof = rdr.position().byte() == self.file_len;
        if at_eof && (!self.ends_with_newline || record.len() != self.width) {
            self.truncated_tail = true;
            return Ok(None);
        }
        if record.len() != self.width {
            return Err(InputError::new(
                &self.path,
                format!("expected {} fields, found {}", self.width, record.len()),
                "The results file was edited or damaged; restore it, or run without --resume.",
            )
            .at_line(line));
        }
        self.parse(line).map(Some)
    }

    fn parse(&self, line: u64) -> Result<PreviousRow, InputError> {
        let r = &self.record;
        let n = self.width;
        let outcome_start = n - outcome_columns(self.extra).count();
        let bad = |index: usize, what: &str| {
            let name = if index == 0 {
                ROW_COLUMN
            } else if index < outcome_start {
                &self.input_headers[index - 1]
            } else {
                outcome_columns(self.extra)
                    .nth(index - outcome_start)
                    .unwrap_or_default()
            };
            InputError::new(
                &self.path,
                format!("{what} {:?}", &r[index]),
                "The results file was edited or damaged; restore it, or run without --resume.",
            )
            .at_line(line)
            .at_column(index + 1, Some(name))
        };
        let text = |i: usize| -> Option<String> {
            let c = unguard(&r[i]);
            (!c.is_empty()).then(|| c.to_string())
        };
        let row: u64 = r[0].parse().map_err(|_| bad(0, "not a row number:"))?;
        let mut i = outcome_start;
        let status = Status::parse(&r[i]).ok_or_else(|| bad(outcome_start, "not a status:"))?;
        let zoom_id = text(i + 1);
        i += 2;
        let mut extra = Vec::new();
        for name in self.extra {
            if let Some(v) = text(i) {
                extra.push((*name, v));
            }
            i += 1;
        }
        let http_status = match &r[i] {
            "" => None,
            s => Some(s.parse::<u16>().map_err(|_| bad(i, "not an HTTP status:"))?),
        };
        let error_code = text(i + 1);
        let error_message = text(i + 2);
        let attempts = match &r[i + 3] {
            "" => 0,
            s => s
                .parse::<u32>()
                .map_err(|_| bad(i + 3, "not a number of attempts:"))?,
        };
        let finished_at = DateTime::parse_from_rfc3339(&r[i + 4])
            .map_err(|_| bad(i + 4, "not an RFC 3339 time:"))?
            .with_timezone(&Utc);
        Ok(PreviousRow {
            row,
            line,
            key: self.key.and_then(|k| text(k + 1)),
            cells: (1..outcome_start).map(|i| unguard(&r[i]).to_string()).collect(),
            outcome: Outcome {
                status,
                zoom_id,
                extra,
                http_status,
                error_code,
                error_message,
                attempts,
                finished_at,
            },
        })
    }

    fn csv_error(&self, e: &csv::Error, line: u64) -> InputError {
        let err = InputError::new(
            &self.path,
            format!("cannot read the results file: {e}"),
            "Restore the results file, or run without --resume.",
        );
        if line > 0 { err.at_line(line) } else { err }
    }
}

fn not_results(path: &Path, extra: &'static [&'static str]) -> InputError {
    InputError::new(
        path,
        format!(
            "this is not a zoombulk results CSV (its header must start with {ROW_COLUMN} and end with {})",
            outcome_columns(extra).collect::<Vec<_>>().join(",")
        ),
        "Give --resume the results file of the earlier run (see --out).",
    )
    .at_line(1)
}

#[cfg(test)]
/// Reads a whole results CSV (see [`ResultsReader`]; it keeps every row in
/// memory, so prefer the reader for big files).
pub fn read_results(
    path: &Path,
    key_header: Option<&str>,
    extra: &'static [&'static str],
) -> Result<Vec<PreviousRow>, InputError> {
    let mut reader = ResultsReader::open(path, key_header, extra)?;
    let mut rows = Vec::new();
    while let Some(r) = reader.read()? {
        rows.push(r);
    }
    Ok(rows)
}
