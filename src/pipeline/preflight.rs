//! The streaming pass over the whole file before the first request: every row is
//! checked, in-file duplicates are found, and the counts are known up front.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use csv::StringRecord;

use super::input::{InputError, InputFile, RowPos};
use super::outcome::Outcome;
use crate::jobs::{DuplicateKey, Job};
use crate::validate::{E_DUPLICATE, FieldError};

/// An invalid row, as reported by `validate` and `--strict`.
#[derive(Debug, Clone)]
pub struct Problem {
    pub pos: RowPos,
    pub code: &'static str,
    pub message: String,
}

/// What the preflight learnt about the file.
pub struct Preflight {
    pub rows: u64,
    pub invalid: u64,
    pub invalid_by_code: BTreeMap<&'static str, u64>,
    /// The first few problems, for the terminal.
    pub problems: Vec<Problem>,
    /// Requests the valid rows need, per category (for `--dry-run`'s estimate).
    pub planned: [u64; 3],
    /// Hash of a duplicate key -> the first valid row that has it. Hashes keep
    /// memory at 16 bytes a row for a million-row file.
    first_row_of_key: HashMap<u64, u64, BuildHasherDefault<PassThrough>>,
}

const PROBLEMS_KEPT: usize = 50;

/// The keys are hashes already: hashing them again would only cost time.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

fn key_hash<J: Job>(job: &J, record: &StringRecord, row: &J::Row) -> Option<u64> {
    let mut key = DuplicateKey::new();
    job.duplicate_key(record, row, &mut key).then(|| key.finish())
}

impl Preflight {
    /// Reads the whole file once.
    pub fn run<J: Job>(job: &J, input: &InputFile) -> Result<Preflight, InputError> {
        let mut pre = Preflight {
            rows: 0,
            invalid: 0,
            invalid_by_code: BTreeMap::new(),
            problems: Vec::new(),
            planned: [0; 3],
            first_row_of_key: HashMap::default(),
        };
        let mut records = input.records()?;
        let mut record = StringRecord::new();
        while let Some(pos) = records.read(&mut record)? {
            pre.rows += 1;
            let checked = job.parse(&record).and_then(|row| {
                if let Some(hash) = key_hash(job, &record, &row) {
                    let first = *pre.first_row_of_key.entry(hash).or_insert(pos.row);
                    if first != pos.row {
                        return Err(duplicate(first, J::KEY_NAME));
                    }
                }
                Ok(row)
            });
            match checked {
                Ok(row) => {
                    let counts = job.request_counts(&record, &row);
                    for (total, n) in pre.planned.iter_mut().zip(counts) {
                        *total += u64::from(n);
                    }
                }
                Err(e) => pre.note_invalid(pos, e),
            }
        }
        Ok(pre)
    }

    fn note_invalid(&mut self, pos: RowPos, e: FieldError) {
        self.invalid += 1;
        *self.invalid_by_code.entry(e.code).or_default() += 1;
        if self.problems.len() < PROBLEMS_KEPT {
            self.problems.push(Problem {
                pos,
                code: e.code,
                message: e.message,
            });
        }
    }

    /// The second pass's verdict on a row: the parsed row, or its `invalid` outcome.
    pub fn check<J: Job>(&self, job: &J, record: &StringRecord, row: u64) -> Result<J::Row, Outcome> {
        let parsed = job
            .parse(record)
            .map_err(|e| Outcome::invalid(e.code, e.message))?;
        if let Some(hash) = key_hash(job, record, &parsed) {
            match self.first_row_of_key.get(&hash) {
                Some(&first) if first != row => {
                    let e = duplicate(first, J::KEY_NAME);
                    return Err(Outcome::invalid(e.code, e.message));
                }
                _ => {}
            }
        }
        Ok(parsed)
    }
}

fn duplicate(first: u64, key_name: &str) -> FieldError {
    FieldError {
        code: E_DUPLICATE,
        message: format!(
            "Same {key_name} as row {first}; the row was not sent. Remove or fix one of the two rows."
        ),
    }
}
