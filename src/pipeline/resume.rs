//! `--resume`: the previous results file, walked beside the input (both are in
//! row order), so done rows are kept without holding the file in memory.

use std::path::{Path, PathBuf};

use csv::StringRecord;

use super::outcome::Outcome;
use super::results::{PreviousRow, ResultsReader};

#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error(transparent)]
    Unreadable(#[from] super::input::InputError),
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
}

pub struct Prior {
    reader: ResultsReader,
    next: Option<PreviousRow>,
    /// The key column (input record index and header), compared row by row.
    key_column: Option<(usize, String)>,
    /// Done rows carried over from the previous results.
    pub kept: u64,
}

impl Prior {
    /// Opens the previous results; `None` when there is no such file (a first run).
    pub fn open(
        path: &Path,
        input_headers: &StringRecord,
        key_column: Option<usize>,
    ) -> Result<Option<Prior>, ResumeError> {
        if !path.exists() {
            return Ok(None);
        }
        let key_column = key_column.and_then(|i| input_headers.get(i).map(|h| (i, h.to_string())));
        let reader = ResultsReader::open(path, key_column.as_ref().map(|(_, h)| h.as_str()))?;
        if reader.input_headers() != input_headers {
            return Err(ResumeError::OtherInput {
                path: path.to_path_buf(),
                found: reader.input_headers().iter().map(str::to_string).collect(),
                expected: input_headers.iter().map(str::to_string).collect(),
            });
        }
        let mut prior = Prior {
            reader,
            next: None,
            key_column,
            kept: 0,
        };
        prior.next = prior.reader.read()?;
        Ok(Some(prior))
    }

    /// The previous outcome of `row` when it is done (kept as it was); `None` when
    /// the row must run (absent, `failed`, `deferred`, `invalid`).
    pub fn done_outcome(&mut self, row: u64, record: &StringRecord) -> Result<Option<Outcome>, ResumeError> {
        while self.next.as_ref().is_some_and(|p| p.row < row) {
            self.next = self.reader.read()?;
        }
        let Some(prior) = self.next.as_ref().filter(|p| p.row == row) else {
            return Ok(None);
        };
        if let (Some((index, column)), Some(was)) = (&self.key_column, &prior.key) {
            let now = record.get(*index).unwrap_or_default().trim();
            if now != was.trim() {
                return Err(ResumeError::Changed {
                    row,
                    column: column.clone(),
                    was: was.clone(),
                    now: now.to_string(),
                });
            }
        }
        let outcome = Some(prior.outcome.clone()).filter(|o| o.status.is_done());
        self.kept += u64::from(outcome.is_some());
        Ok(outcome)
    }
}
