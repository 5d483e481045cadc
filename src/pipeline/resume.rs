//! `--resume`: the previous results file, read alongside the input (both are in
//! row order), so done rows are kept without holding the file in memory.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use csv::StringRecord;

use super::outcome::{Outcome, Status};

#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error("{path}: cannot read the previous results: {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error(
        "{path}: the previous results were written for a different input (its columns are {found:?}, \
         the input's are {expected:?}). Resume with the same input file, or choose another --out."
    )]
    OtherInput { path: PathBuf, found: Vec<String>, expected: Vec<String> },
    #[error(
        "the input changed since the previous run: row {row} has `{now}` in column `{column}`, the \
         previous results have `{was}`. Resume only with the unchanged file, or start a new run with another --out."
    )]
    Changed { row: u64, column: String, was: String, now: String },
}

/// One previous results row.
struct PriorRow {
    row: u64,
    record: StringRecord,
}

pub struct Prior {
    path: PathBuf,
    reader: csv::Reader<BufReader<File>>,
    next: Option<PriorRow>,
    inputs: usize,
    has_join_url: bool,
    key_column: Option<(usize, String)>,
    /// Done rows carried over from the previous results.
    pub kept: u64,
}

impl Prior {
    /// Opens the previous results; `None` when there is no such file (a first run).
    pub fn open(
        path: &Path,
        input_headers: &StringRecord,
        has_join_url: bool,
        key_column: Option<usize>,
    ) -> Result<Option<Prior>, ResumeError> {
        let unreadable = |message: String| ResumeError::Unreadable { path: path.to_path_buf(), message };
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unreadable(e.to_string())),
        };
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(BufReader::new(file));
        let headers = reader.headers().map_err(|e| unreadable(e.to_string()))?.clone();
        let inputs = input_headers.len();
        let found: Vec<String> = headers.iter().skip(1).take(inputs).map(str::to_string).collect();
        let expected: Vec<String> = input_headers.iter().map(str::to_string).collect();
        if headers.get(0) != Some("row") || found != expected || headers.get(inputs + 1) != Some("status") {
            return Err(ResumeError::OtherInput { path: path.to_path_buf(), found, expected });
        }
        let key_column = key_column.map(|i| (i, input_headers.get(i).unwrap_or_default().to_string()));
        let mut prior =
            Prior { path: path.to_path_buf(), reader, next: None, inputs, has_join_url, key_column, kept: 0 };
        prior.advance()?;
        Ok(Some(prior))
    }

    fn advance(&mut self) -> Result<(), ResumeError> {
        let mut record = StringRecord::new();
        self.next = loop {
            match self.reader.read_record(&mut record) {
                Ok(false) => break None,
                // A crash can cut the last line short: such a row counts as not done.
                Ok(true) if record.len() < self.inputs + 8 + usize::from(self.has_join_url) => continue,
                Ok(true) => match record.get(0).and_then(|r| r.parse().ok()) {
                    Some(row) => break Some(PriorRow { row, record: record.clone() }),
                    None => continue,
                },
                Err(e) if e.is_io_error() => {
                    return Err(ResumeError::Unreadable { path: self.path.clone(), message: e.to_string() });
                }
                Err(_) => continue,
            }
        };
        Ok(())
    }

    /// The previous outcome of `row` when it is done (kept as it was); `None` when
    /// the row must run (absent, `failed`, `deferred`, `invalid`).
    pub fn done_outcome(&mut self, row: u64, record: &StringRecord) -> Result<Option<Outcome>, ResumeError> {
        while self.next.as_ref().is_some_and(|p| p.row < row) {
            self.advance()?;
        }
        let Some(prior) = self.next.as_ref().filter(|p| p.row == row) else {
            return Ok(None);
        };
        if let Some((index, column)) = &self.key_column {
            let now = record.get(*index).unwrap_or_default().trim();
            let was = prior.record.get(index + 1).unwrap_or_default().trim();
            if now != was && was.strip_prefix('\'') != Some(now) {
                return Err(ResumeError::Changed {
                    row,
                    column: column.clone(),
                    was: was.to_string(),
                    now: now.to_string(),
                });
            }
        }
        let outcome = self.outcome(&prior.record);
        Ok(outcome.filter(|o| o.status.is_done()).inspect(|_| self.kept += 1))
    }

    fn outcome(&self, r: &StringRecord) -> Option<Outcome> {
        let base = self.inputs + 1;
        let field = |i: usize| r.get(base + i).filter(|s| !s.is_empty()).map(str::to_string);
        let status = Status::parse(r.get(base)?)?;
        let join = usize::from(self.has_join_url);
        Some(Outcome {
            status,
            zoom_id: field(1),
            join_url: if self.has_join_url { field(2) } else { None },
            http_status: field(2 + join).and_then(|s| s.parse().ok()),
            error_code: field(3 + join),
            error_message: field(4 + join),
            attempts: field(5 + join).and_then(|s| s.parse().ok()).unwrap_or(0),
            finished_at: field(6 + join)
                .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map_or_else(Utc::now, |t| t.with_timezone(&Utc)),
        })
    }
}
