//! `--resume`. What an earlier run left can be in three places: the results file
//! (rows written in input order), the journal (rows that finished out of order,
//! see `journal`), and, when a resumed run was itself killed, the folded results
//! of the run before it. Resuming first folds them into one file, in input order,
//! newest first (journal, then results, then the older fold), checking each row's
//! key against the input; the run then walks that file beside the input (both in
//! row order, so memory does not grow with the file) and keeps the done rows.
//!
//! Every step replaces files by rename, so a crash at any moment leaves a state
//! the next `--resume` folds the same way.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use csv::StringRecord;
use serde_json::Value;

use super::input::{InputError, InputFile};
use super::journal::{self, Entry, hidden_beside, journal_path};
use super::outcome::{Outcome, Status};
pub mod csv_results;

use super::results::{ResultsOptions, ResultsWriter};
use csv_results::{PreviousRow, ResultsReader};

#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error(transparent)]
    Unreadable(#[from] InputError),
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: io::Error },
    #[error(
        "{path}: the previous results were written for a different input (its columns are {found:?}, \
         the input's are {expected:?}). Resume with the same input file, or choose another --out."
    )]
    OtherInput {
        path: PathBuf,
        found: Vec<String>,
        expected: Vec<String>,
    },
    #[error(
        "the input changed since the previous run: row {row} has `{now}` in column `{column}`, the \
         previous results have `{was}`. Resume only with the unchanged file, or start a new run with another --out."
    )]
    Changed {
        row: u64,
        column: String,
        was: String,
        now: String,
    },
    #[error(
        "the input changed since the previous run: row {row} is done ({status}) with `{was}` in column \
         `{column}`, the input now has `{now}`. A done row is not sent again, so its result would not be \
         true. Restore the value and resume; change it in Zoom with `users update`, or start a new run \
         with another --out."
    )]
    ChangedDone {
        row: u64,
        status: &'static str,
        column: String,
        was: String,
        now: String,
    },
    #[error(
        "the input changed since the previous run: it ends at row {last}, but the previous results have \
         row {row}. Resuming would drop what those rows did from the results. Resume with the whole \
         file, or start a new run with another --out."
    )]
    Shorter { last: u64, row: u64 },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ResumeError + '_ {
    move |err| ResumeError::Io {
        path: path.to_path_buf(),
        err,
    }
}

/// The job's own result columns.
type Extra = &'static [&'static str];

/// The files of one results path.
#[derive(Debug, Clone)]
pub struct RunFiles {
    /// The results file the user sees.
    pub results: PathBuf,
    /// Rows that finished out of order.
    pub journal: PathBuf,
    /// The folded results of the earlier runs, read while a resumed run writes
    /// a new results file.
    pub folded: PathBuf,
    /// Where a fold is written before it is renamed to `folded`.
    pub folding: PathBuf,
}

impl RunFiles {
    pub fn new(results: &Path) -> RunFiles {
        RunFiles {
            results: results.to_path_buf(),
            journal: journal_path(results),
            folded: hidden_beside(results, "previous"),
            folding: hidden_beside(results, "folding"),
        }
    }

    /// Whether an earlier run left anything here.
    pub fn any_exist(&self) -> bool {
        [&self.results, &self.journal, &self.folded]
            .iter()
            .any(|p| p.symlink_metadata().is_ok())
    }

    /// Removes what an earlier run left (`--force`), except the results file,
    /// which the new run truncates.
    pub fn clear_leftovers(&self) -> io::Result<()> {
        for p in [&self.journal, &self.folded, &self.folding] {
            journal::remove_if_present(p)?;
        }
        Ok(())
    }

    /// The run ended in order and the results file holds every known outcome.
    pub fn finish(&self) -> io::Result<()> {
        for p in [&self.folded, &self.folding] {
            journal::remove_if_present(p)?;
        }
        Ok(())
    }
}

/// An earlier results file in either format, read row by row.
enum PreviousReader {
    Csv(Box<ResultsReader>),
    Jsonl(JsonlResults),
}

impl PreviousReader {
    /// `None` when there is no such file.
    fn open(
        path: &Path,
        key_header: Option<&str>,
        headers: &StringRecord,
        extra: Extra,
    ) -> Result<Option<PreviousReader>, ResumeError> {
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(path)(e)),
        };
        let mut first = [0u8; 1];
        let n = file.read(&mut first).map_err(io_error(path))?;
        if n == 1 && first[0] == b'{' {
            let reader = JsonlResults::open(path, key_header, headers, extra)?;
            return Ok(Some(PreviousReader::Jsonl(reader)));
        }
        let reader = ResultsReader::open(path, key_header, extra)?;
        // A file whose header line was never finished reads as no rows.
        if !reader.input_headers().is_empty() && reader.input_headers() != headers {
            return Err(ResumeError::OtherInput {
                path: path.to_path_buf(),
                found: reader.input_headers().iter().map(str::to_string).collect(),
                expected: headers.iter().map(str::to_string).collect(),
            });
        }
        Ok(Some(PreviousReader::Csv(Box::new(reader))))
    }

    fn read(&mut self) -> Result<Option<PreviousRow>, ResumeError> {
        match self {
            PreviousReader::Csv(r) => Ok(r.read()?),
            PreviousReader::Jsonl(r) => r.read(),
        }
    }
}

/// A row-ordered source, read up to a row on demand.
struct Walk {
    reader: Option<PreviousReader>,
    next: Option<PreviousRow>,
    last_row: u64,
}

impl Walk {
    fn open(
        path: &Path,
        key_header: Option<&str>,
        headers: &StringRecord,
        extra: Extra,
    ) -> Result<Walk, ResumeError> {
        let mut reader = PreviousReader::open(path, key_header, headers, extra)?;
        let next = match reader.as_mut() {
            Some(r) => r.read()?,
            None => None,
        };
        Ok(Walk {
            reader,
            next,
            last_row: 0,
        })
    }

    /// The row `row`, if the file has it; rows before it are passed over.
    fn at(&mut self, row: u64) -> Result<Option<PreviousRow>, ResumeError> {
        while self.next.as_ref().is_some_and(|p| p.row < row) {
            self.advance()?;
        }
        if self.next.as_ref().is_some_and(|p| p.row == row) {
            let found = self.next.take();
            self.advance()?;
            return Ok(found);
        }
        Ok(None)
    }

    /// The first row after `row` the file still has.
    fn beyond(&mut self, row: u64) -> Result<Option<u64>, ResumeError> {
        while self.next.as_ref().is_some_and(|p| p.row <= row) {
            self.advance()?;
        }
        Ok(self.next.as_ref().map(|p| p.row))
    }

    fn advance(&mut self) -> Result<(), ResumeError> {
        if let Some(p) = &self.next {
            self.last_row = self.last_row.max(p.row);
        }
        self.next = match self.reader.as_mut() {
            Some(r) => r.read()?,
            None => None,
        };
        Ok(())
    }

    /// The last row of the file (reads it to the end).
    fn last_row(path: &Path, headers: &StringRecord, extra: Extra) -> Result<u64, ResumeError> {
        let mut walk = Walk::open(path, None, headers, extra)?;
        while walk.next.is_some() {
            walk.advance()?;
        }
        Ok(walk.last_row)
    }
}

/// The previous run's outcomes, walked beside the input.
pub struct Prior {
    walk: Walk,
    /// Done rows carried over from the previous results.
    pub kept: u64,
}

/// What the fold needs to know about this run's input and results.
pub struct FoldSpec<'a> {
    pub input: &'a InputFile,
    /// The key column (record index); its cell is compared row by row.
    pub key_column: Option<usize>,
    pub options: ResultsOptions,
}

impl Prior {
    /// Folds whatever earlier runs left at `files` into `files.folded` and opens
    /// it; `None` when nothing was left (a first run).
    pub fn fold(files: &RunFiles, spec: &FoldSpec<'_>) -> Result<Option<Prior>, ResumeError> {
        if !files.any_exist() {
            return Ok(None);
        }
        let folded = Prior::fold_into(files, spec);
        if folded.is_err() {
            // A refused or failed fold leaves the earlier files as they were.
            let _ = journal::remove_if_present(&files.folding);
        }
        folded.map(Some)
    }

    fn fold_into(files: &RunFiles, spec: &FoldSpec<'_>) -> Result<Prior, ResumeError> {
        let headers = &spec.input.headers;
        let key = spec
            .key_column
            .and_then(|i| headers.get(i).map(|h| (i, h.to_string())));
        let key_header = key.as_ref().map(|(_, h)| h.as_str());
        // Journal rows up to the results file's last row are in it already.
        let extra = spec.options.extra_columns;
        let written = Walk::last_row(&files.results, headers, extra)?;
        let mut newest = journal::load(&files.journal, written).map_err(io_error(&files.journal))?;
        let mut results = Walk::open(&files.results, key_header, headers, extra)?;
        let mut older = Walk::open(&files.folded, key_header, headers, extra)?;

        let out = File::create(&files.folding).map_err(io_error(&files.folding))?;
        let sink = BufWriter::with_capacity(64 * 1024, out);
        let mut writer =
            ResultsWriter::new(sink, headers, spec.options.clone()).map_err(io_error(&files.folding))?;
        let mut records = spec.input.records()?;
        let mut record = StringRecord::new();
        let mut last = 0;
        while let Some(pos) = records.read(&mut record)? {
            let row = pos.row;
            last = row;
            let from_results = results.at(row)?;
            let from_older = older.at(row)?;
            let found = match newest.remove(&row) {
                Some(entry) => entry
                    .outcome(extra)
                    .map(|o| (entry.key.clone(), entry.cells.clone(), o)),
                None => from_results.or(from_older).map(|p| (p.key, p.cells, p.outcome)),
            };
            let Some((was, cells, outcome)) = found else {
                continue;
            };
            // A done row is never sent again: a cell changed under it would make
            // the results claim what Zoom does not have.
            if outcome.status.is_done()
                && let Some((column, was, now)) =
                    changed_cell(headers, &record, &cells, &spec.options.secret_columns)
            {
                return Err(ResumeError::ChangedDone {
                    row,
                    status: outcome.status.as_str(),
                    column,
                    was,
                    now,
                });
            }
            if let (Some((index, column)), Some(was)) = (&key, &was) {
                let now = record.get(*index).unwrap_or_default().trim();
                if now != was.trim() {
                    if outcome.status == Status::Invalid {
                        // Fixing an invalid row's key is the point of resuming: check it again.
                        continue;
                    }
                    return Err(ResumeError::Changed {
                        row,
                        column: column.clone(),
                        was: was.clone(),
                        now: now.to_string(),
                    });
                }
            }
            writer
                .write_row(row, &record, &outcome)
                .map_err(io_error(&files.folding))?;
        }
        // Rows past the input's end: the input lost rows whose outcomes would be lost too.
        let beyond = [
            results.beyond(last)?,
            older.beyond(last)?,
            newest.keys().copied().find(|&r| r > last),
        ];
        if let Some(row) = beyond.into_iter().flatten().min() {
            return Err(ResumeError::Shorter { last, row });
        }
        writer
            .into_inner()
            .and_then(|mut w| {
                use std::io::Write;
                w.flush()?;
                w.into_inner().map_err(|e| e.into_error())?.sync_all()
            })
            .map_err(io_error(&files.folding))?;
        std::fs::rename(&files.folding, &files.folded).map_err(io_error(&files.folded))?;
        // The fold holds everything now; what it came from can go.
        journal::remove_if_present(&files.journal).map_err(io_error(&files.journal))?;
        let walk = Walk::open(&files.folded, key_header, headers, extra)?;
        Ok(Prior { walk, kept: 0 })
    }

    /// The previous outcome of `row`, done or not (a row created by an earlier run
    /// whose later steps failed is re-run, and must still say it was created then).
    pub fn earlier(&mut self, row: u64) -> Result<Option<Outcome>, ResumeError> {
        let outcome = self.walk.at(row)?.map(|p| p.outcome);
        self.kept += u64::from(outcome.as_ref().is_some_and(Outcome::is_done));
        Ok(outcome)
    }

    /// Any previous outcome of `row`: after an interrupted run, rows it did not
    /// reach keep what earlier runs knew of them.
    pub fn any_outcome(&mut self, row: u64) -> Result<Option<Outcome>, ResumeError> {
        Ok(self.walk.at(row)?.map(|p| p.outcome))
    }
}

/// Results written as JSONL, read back (`--format jsonl --resume`).
struct JsonlResults {
    path: PathBuf,
    lines: std::iter::Peekable<std::io::Lines<BufReader<File>>>,
    key_header: Option<String>,
    /// The input's headers, as JSON keys (`input.<name>` for reserved names).
    cell_keys: Vec<String>,
    extra: Extra,
    line: u64,
}

impl JsonlResults {
    fn open(
        path: &Path,
        key_header: Option<&str>,
        headers: &StringRecord,
        extra: Extra,
    ) -> Result<JsonlResults, ResumeError> {
        let file = File::open(path).map_err(io_error(path))?;
        Ok(JsonlResults {
            path: path.to_path_buf(),
            lines: BufReader::new(file).lines().peekable(),
            key_header: key_header.map(str::to_string),
            cell_keys: headers
                .iter()
                .map(|h| {
                    if super::results::is_reserved(h) {
                        format!("{}{h}", super::results::INPUT_PREFIX)
                    } else {
                        h.to_string()
                    }
                })
                .collect(),
            extra,
            line: 0,
        })
    }

    fn read(&mut self) -> Result<Option<PreviousRow>, ResumeError> {
        let Some(line) = self.lines.next() else {
            return Ok(None);
        };
        let line = line.map_err(io_error(&self.path))?;
        self.line += 1;
        let at_end = self.lines.peek().is_none();
        let damaged = |what: &str| {
            InputError::new(
                &self.path,
                what.to_string(),
                "The results file was edited or damaged; restore it, or run without --resume.",
            )
            .at_line(self.line)
        };
        let object = match serde_json::from_str::<serde_json::Map<String, Value>>(&line) {
            Ok(o) => o,
            // A last line cut short by a crash.
            Err(_) if at_end => return Ok(None),
            Err(e) => return Err(damaged(&format!("not a JSON object ({e})")).into()),
        };
        let text = |k: &str| match object.get(k) {
            Some(Value::String(s)) if !s.is_empty() => Some(super::results::unguard(s).to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let number = |k: &str| text(k).and_then(|s| s.parse::<u64>().ok());
        let row = number("row").ok_or_else(|| damaged("no row number"))?;
        let status = text("status")
            .and_then(|s| Status::parse(&s))
            .ok_or_else(|| damaged("no status"))?;
        let finished_at = text("finished_at")
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
        let key = self
            .key_header
            .as_deref()
            .and_then(|k| text(k).or_else(|| text(&format!("input.{k}"))));
        let cells = self
            .cell_keys
            .iter()
            .map(|k| text(k).unwrap_or_default())
            .collect();
        Ok(Some(PreviousRow {
            row,
            line: self.line,
            key,
            cells,
            outcome: Outcome {
                status,
                zoom_id: text("zoom_id"),
                extra: self
                    .extra
                    .iter()
                    .filter_map(|name| Some((*name, text(name)?)))
                    .collect(),
                http_status: number("http_status").and_then(|n| u16::try_from(n).ok()),
                error_code: text("error_code"),
                error_message: text("error_message"),
                attempts: number("attempts")
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0),
                finished_at,
            },
        }))
    }
}

/// A journal entry for `row`, with the key cell of `record` at `key_column`.
pub fn entry(
    row: u64,
    record: &StringRecord,
    key_column: Option<usize>,
    secret_columns: &[usize],
    outcome: &Outcome,
) -> Entry {
    let key = key_column.and_then(|i| record.get(i)).map(str::trim);
    let cells = record
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if secret_columns.contains(&i) && !c.is_empty() {
                super::results::MASK.to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    Entry::new(row, key, cells, outcome)
}

/// The first input column (other than secrets) whose cell differs from what a
/// done row was done for: `(column, was, now)`.
fn changed_cell(
    headers: &StringRecord,
    record: &StringRecord,
    was: &[String],
    secret_columns: &[usize],
) -> Option<(String, String, String)> {
    if was.is_empty() {
        return None;
    }
    (0..record.len().max(was.len()))
        .filter(|i| !secret_columns.contains(i))
        .find_map(|i| {
            let now = record.get(i).unwrap_or_default().trim();
            let before = was.get(i).map_or("", |c| c.trim());
            (now != before).then(|| {
                (
                    headers.get(i).unwrap_or_default().to_string(),
                    before.to_string(),
                    now.to_string(),
                )
            })
        })
}
