//! The streaming pass over the whole file before the first request: every row is
//! checked, in-file duplicates are found, and the counts are known up front.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use csv::StringRecord;

use super::input::{InputError, InputFile, Records, RowPos};
use super::job::{CapUse, DailyCap, DuplicateKey, Job};
use super::key_index::{FileKeys, KeyIndex};
use super::outcome::Outcome;
use crate::validate::{E_DUPLICATE, FieldError};

/// An invalid row, as reported by `validate` and `--strict`.
#[derive(Debug, Clone)]
pub struct Problem {
    pub pos: RowPos,
    /// The line `pos` starts on, found once the pass is over.
    pub line: u64,
    pub code: &'static str,
    pub message: String,
}

/// What the preflight learnt about the file.
pub struct Preflight<K> {
    pub rows: u64,
    pub invalid: u64,
    pub invalid_by_code: BTreeMap<&'static str, u64>,
    /// The first few problems (by row), for the terminal.
    pub problems: Vec<Problem>,
    /// The requests of the rows that parsed (in-file duplicates included: they
    /// are known only at the end; `--dry-run` counts again without them).
    pub plan: Plan<K>,
    /// Every valid row's duplicate-key hash with its row.
    keys: FileKeys,
}

const PROBLEMS_KEPT: usize = 50;

/// The offset of a problem found after the pass, until it is looked up.
const UNPLACED: u64 = u64::MAX;

fn key_hash<J: Job>(job: &J, record: &StringRecord, row: &J::Row) -> Option<u64> {
    let mut key = DuplicateKey::new();
    job.duplicate_key(record, row, &mut key).then(|| key.finish())
}

/// Reads `records` to their end (or their cut) and checks each with `check`;
/// stops early when `abandoned` is set.
fn read_and_check<P>(
    records: &mut Records,
    part: &mut P,
    check: &impl Fn(&mut P, &StringRecord, RowPos),
    abandoned: &AtomicBool,
) -> Result<(), InputError> {
    let mut record = StringRecord::new();
    while let Some(pos) = records.read(&mut record)? {
        check(part, &record, pos);
        if pos.row % ABANDON_CHECK_EVERY == 0 && abandoned.load(Ordering::Relaxed) {
            break;
        }
    }
    Ok(())
}

/// Rows between two looks at whether the other thread gave up on this one.
const ABANDON_CHECK_EVERY: u64 = 4096;

/// Checks every record with `check`, on two threads for a large file: each
/// reads and checks one half, cut at a line break near the middle. Reading
/// costs about as much as checking, so only splitting the reading too lets two
/// cores halve the pass (SPEC: `validate` within 2× a bare csv read).
///
/// The cut is a guess (a quoted value may span it); the first half's reader,
/// which parses from the real start, settles it. When its records end at the
/// cut the halves are exactly the file's records; otherwise, or when the second
/// half hits an input error, the first thread reads on to the end itself and
/// the second half's work is dropped, so errors name the right row.
///
/// Returns each half's part with the rows before it; `finish` has run on each,
/// in its own thread, and runs again on the first after it reads on (so it
/// must take rows added after it ran).
fn check_halves<P: Send>(
    input: &InputFile,
    new_part: impl Fn() -> P + Sync,
    check: impl Fn(&mut P, &StringRecord, RowPos) + Sync,
    finish: impl Fn(&mut P) + Sync,
) -> Result<Vec<(u64, P)>, InputError> {
    let mut first = input.records()?;
    let never = AtomicBool::new(false);
    let Some(cut) = input.cut_near_middle()? else {
        let mut part = new_part();
        read_and_check(&mut first, &mut part, &check, &never)?;
        finish(&mut part);
        return Ok(vec![(0, part)]);
    };
    first.stop_at(cut);
    let mut second = input.records_from(cut)?;
    let abandoned = AtomicBool::new(false);
    let (check, new_part, finish, abandoned) = (&check, &new_part, &finish, &abandoned);
    std::thread::scope(|scope| {
        let second_half = scope.spawn(move || {
            let mut part = new_part();
            read_and_check(&mut second, &mut part, check, abandoned).ok()?;
            if abandoned.load(Ordering::Relaxed) {
                return None;
            }
            finish(&mut part);
            Some(part)
        });
        let mut part = new_part();
        let read = read_and_check(&mut first, &mut part, check, &never);
        if read.is_err() || !first.handed_over() {
            abandoned.store(true, Ordering::Relaxed);
        }
        read?;
        // While the other half may still be reading.
        finish(&mut part);
        let theirs = if first.handed_over() {
            second_half
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        } else {
            None
        };
        let before_cut = first.rows_read();
        if theirs.is_none() && first.handed_over() {
            first.read_on();
            read_and_check(&mut first, &mut part, check, &never)?;
            finish(&mut part);
        }
        let mut parts = vec![(0, part)];
        parts.extend(theirs.map(|p| (before_cut, p)));
        Ok(parts)
    })
}

/// What one thread of the preflight learnt from its share of the rows.
struct Part<K> {
    rows: u64,
    invalid_by_code: BTreeMap<&'static str, u64>,
    /// The first problems of its rows, in row order.
    problems: Vec<Problem>,
    plan: Plan<K>,
    keys: KeyIndex,
}

impl<K: Ord> Part<K> {
    fn new() -> Part<K> {
        Part {
            rows: 0,
            invalid_by_code: BTreeMap::new(),
            problems: Vec::new(),
            plan: Plan::default(),
            keys: KeyIndex::new(),
        }
    }

    fn check<J: Job<BatchKey = K>>(&mut self, job: &J, record: &StringRecord, pos: RowPos) {
        self.rows += 1;
        match job.parse(record) {
            Ok(row) => {
                if let Some(hash) = key_hash(job, record, &row) {
                    self.keys.push(hash, pos.row);
                }
                self.plan.count(job, record, &row);
            }
            Err(e) => {
                *self.invalid_by_code.entry(e.code).or_default() += 1;
                if self.problems.len() < PROBLEMS_KEPT {
                    self.problems.push(Problem {
                        pos,
                        line: 0,
                        code: e.code,
                        message: e.message,
                    });
                }
            }
        }
    }

    /// Adds the rows of `other`, which come after the `before` rows of the
    /// file (the keys are joined apart).
    fn merge(&mut self, before: u64, other: Part<K>) {
        self.rows += other.rows;
        for (code, n) in other.invalid_by_code {
            *self.invalid_by_code.entry(code).or_default() += n;
        }
        self.problems.extend(other.problems.into_iter().map(|mut p| {
            p.pos.row += before;
            p
        }));
        self.problems.sort_by_key(|p| p.pos.row);
        self.problems.truncate(PROBLEMS_KEPT);
        self.plan.merge(other.plan);
    }
}

/// What a set of rows will send: requests per category, rows under a daily
/// quota, rows per batch key.
#[derive(Debug)]
pub struct Plan<K> {
    pub planned: [u64; 3],
    /// Rows per daily quota, with the requests they need.
    pub capped: BTreeMap<DailyCap, (u64, [u64; 3])>,
    /// Rows per holder of a per-holder quota (one host's meeting writes).
    pub holders: BTreeMap<CapUse, u64>,
    /// Rows per batch key: the keys whose plan the run asks the job for.
    pub rows_by_batch_key: BTreeMap<K, u64>,
}

impl<K> Default for Plan<K> {
    fn default() -> Plan<K> {
        Plan {
            planned: [0; 3],
            capped: BTreeMap::new(),
            holders: BTreeMap::new(),
            rows_by_batch_key: BTreeMap::new(),
        }
    }
}

impl<K> Plan<K> {
    /// Rows of `cap` past their holder's quota of `per_day`, and the holders
    /// that have such rows. Account-wide caps: the rows past the quota.
    pub fn over(&self, cap: DailyCap, per_day: u64) -> (u64, u64) {
        if !cap.per_holder() {
            let rows = self.capped.get(&cap).map_or(0, |(rows, _)| *rows);
            return (rows.saturating_sub(per_day), u64::from(rows > per_day));
        }
        self.holders
            .iter()
            .filter(|(used, _)| used.cap == cap)
            .map(|(_, &n)| n.saturating_sub(per_day))
            .filter(|&over| over > 0)
            .fold((0, 0), |(rows, holders), over| (rows + over, holders + 1))
    }
}

impl<K: Ord> Plan<K> {
    /// Adds `other`'s counts. (Counted apart, a batch key's rows may start one
    /// more batch request in each part: the keys and row counts stay exact.)
    fn merge(&mut self, other: Plan<K>) {
        for (total, n) in self.planned.iter_mut().zip(other.planned) {
            *total += n;
        }
        for (cap, (rows, requests)) in other.capped {
            let (total_rows, total) = self.capped.entry(cap).or_default();
            *total_rows += rows;
            for (t, n) in total.iter_mut().zip(requests) {
                *t += n;
            }
        }
        for (used, n) in other.holders {
            *self.holders.entry(used).or_default() += n;
        }
        for (key, n) in other.rows_by_batch_key {
            *self.rows_by_batch_key.entry(key).or_default() += n;
        }
    }

    /// Counts one checked row. A batch request is counted with the first row of
    /// every `max_batch` rows of its key.
    pub fn count<J: Job<BatchKey = K>>(&mut self, job: &J, record: &StringRecord, row: &J::Row) {
        let max_batch = job.max_batch().max(1) as u64;
        let first_of_batch = match job.batch_key(record, row) {
            None => true,
            Some(key) => {
                let n = self.rows_by_batch_key.entry(key).or_default();
                *n += 1;
                !job.joins_batch(row) || (*n - 1) % max_batch == 0
            }
        };
        if !first_of_batch {
            return;
        }
        let counts = job.request_counts(record, row);
        for (total, n) in self.planned.iter_mut().zip(counts) {
            *total += u64::from(n);
        }
        if let Some(used) = job.daily_cap(record, row) {
            if used.cap.per_holder() {
                *self.holders.entry(used).or_default() += 1;
            }
            let (rows, requests) = self.capped.entry(used.cap).or_default();
            *rows += 1;
            for (total, n) in requests.iter_mut().zip(counts) {
                *total += u64::from(n);
            }
        }
    }
}

impl<K: Ord> Preflight<K> {
    /// Reads the whole file once.
    pub fn run<J: Job<BatchKey = K>>(job: &J, input: &InputFile) -> Result<Preflight<K>, InputError>
    where
        K: Send,
    {
        let parts = check_halves(
            input,
            Part::new,
            |part, record, pos| part.check(job, record, pos),
            |part| part.keys.sort(),
        )?;
        let mut all = Part::new();
        let mut keys = Vec::new();
        for (before, mut part) in parts {
            keys.push((before, std::mem::replace(&mut part.keys, KeyIndex::new())));
            all.merge(before, part);
        }
        let mut pre = Preflight {
            rows: all.rows,
            invalid: all.invalid_by_code.values().sum(),
            invalid_by_code: all.invalid_by_code,
            problems: all.problems,
            plan: all.plan,
            keys: {
                // check_halves gives one or two parts.
                let mut parts = keys.into_iter();
                let first = parts.next().map_or_else(KeyIndex::new, |(_, k)| k);
                FileKeys::new(first, parts.next())
            },
        };
        pre.note_duplicates(J::KEY_NAME);
        pre.place_problems(input)?;
        Ok(pre)
    }

    /// Gives each problem kept its line. Duplicates are found after the pass,
    /// without their offsets: those few are found again by reading up to them.
    fn place_problems(&mut self, input: &InputFile) -> Result<(), InputError> {
        let mut unplaced: Vec<u64> = self
            .problems
            .iter()
            .filter(|p| p.pos.offset == UNPLACED)
            .map(|p| p.pos.row)
            .collect();
        if let Some(&last) = unplaced.iter().max() {
            unplaced.sort_unstable();
            let mut offsets = BTreeMap::new();
            let mut records = input.records()?;
            let mut record = StringRecord::new();
            while let Some(pos) = records.read(&mut record)? {
                if unplaced.binary_search(&pos.row).is_ok() {
                    offsets.insert(pos.row, pos.offset);
                }
                if pos.row >= last {
                    break;
                }
            }
            for p in &mut self.problems {
                if let Some(&offset) = offsets.get(&p.pos.row) {
                    p.pos.offset = offset;
                }
            }
        }
        let lines = input.lines(&self.problems.iter().map(|p| p.pos).collect::<Vec<_>>())?;
        for (problem, line) in self.problems.iter_mut().zip(lines) {
            problem.line = line;
        }
        Ok(())
    }

    /// Every row with an earlier row's key is a duplicate.
    fn note_duplicates(&mut self, key_name: &str) {
        let duplicates = self.keys.duplicates();
        self.invalid += duplicates.len() as u64;
        if !duplicates.is_empty() {
            *self.invalid_by_code.entry(E_DUPLICATE).or_default() += duplicates.len() as u64;
        }
        // The parse problems kept are the first rows that have one; so are these.
        for &(row, first) in duplicates.iter().take(PROBLEMS_KEPT) {
            let e = duplicate(first, key_name);
            self.problems.push(Problem {
                pos: RowPos {
                    row,
                    offset: UNPLACED,
                },
                line: 0,
                code: e.code,
                message: e.message,
            });
        }
        self.problems.sort_by_key(|p| p.pos.row);
        self.problems.truncate(PROBLEMS_KEPT);
    }

    /// The second pass's verdict on a row: the parsed row, or its `invalid` outcome.
    pub fn check<J: Job>(&self, job: &J, record: &StringRecord, row: u64) -> Result<J::Row, Outcome> {
        let parsed = job
            .parse(record)
            .map_err(|e| Outcome::invalid(e.code, e.message))?;
        if let Some(hash) = key_hash(job, record, &parsed) {
            match self.keys.first_row_of(hash) {
                Some(first) if first != row => {
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
            "Same {key_name} as row {first}; only row {first} is sent. Remove or fix one of the two rows."
        ),
    }
}

#[cfg(test)]
mod tests {
    //! The two-thread pass over a large file must find what one pass would:
    //! rows, duplicates across the cut, problems with their rows and lines.

    use std::path::{Path, PathBuf};

    use super::Preflight;
    use crate::cli::users::{Action, CreateDefaults, ImportArgs, UserTypeArg};
    use crate::jobs::Job;
    use crate::jobs::users_import::UsersImport;
    use crate::pipeline::input::{InputError, InputFile};

    /// Rows enough to pass the size from which the file is cut in two.
    const ROWS: usize = 120_000;

    /// A users file of `ROWS` rows, with `line_end`, where `edit` may replace
    /// any row's text (row numbers are 1-based data rows).
    fn users_file(dir: &Path, line_end: &str, edit: impl Fn(usize) -> Option<String>) -> PathBuf {
        let mut text = format!("email,first_name,last_name{line_end}");
        for row in 1..=ROWS {
            let line = edit(row).unwrap_or_else(|| format!("user{row}@example.com,First{row},Last{row}"));
            text.push_str(&line);
            text.push_str(line_end);
        }
        let path = dir.join(format!("users-{}.csv", line_end.len()));
        std::fs::write(&path, text).unwrap();
        path
    }

    fn preflight(path: &Path) -> Result<(InputFile, Preflight<Vec<String>>), InputError> {
        let input = InputFile::open(path, UsersImport::columns())?;
        let args = ImportArgs {
            file: path.to_path_buf(),
            create: CreateDefaults {
                action: Action::Create,
                user_type: UserTypeArg::Basic,
            },
            features: Vec::new(),
        };
        let job = UsersImport::new(&input, &args).unwrap();
        let pre = Preflight::run(&job, &input)?;
        Ok((input, pre))
    }

    /// Whether a pass from the start stops at the file's middle cut.
    fn cut_is_taken(input: &InputFile) -> bool {
        let cut = input
            .cut_near_middle()
            .unwrap()
            .expect("the file is large enough to cut");
        let mut records = input.records().unwrap();
        records.stop_at(cut);
        let mut record = csv::StringRecord::new();
        while records.read(&mut record).unwrap().is_some() {}
        records.handed_over()
    }

    fn problems(pre: &Preflight<Vec<String>>) -> Vec<(u64, u64, &'static str, String)> {
        pre.problems
            .iter()
            .map(|p| (p.pos.row, p.line, p.code, p.message.clone()))
            .collect()
    }

    #[test]
    fn both_halves_are_numbered_as_one_pass_and_duplicates_cross_the_cut() {
        let dir = tempfile::tempdir().unwrap();
        for line_end in ["\n", "\r\n"] {
            let path = users_file(dir.path(), line_end, |row| match row {
                // Early and late rows repeat each other across the middle.
                100_000 => Some("User5@Example.com,Again,Five".into()),
                110_000 => Some("USER5@example.com,Third,Time".into()),
                90_000 => Some("not-an-email,Bad,Row".into()),
                10 => Some("user110001@example.com,Early,Twin".into()),
                _ => None,
            });
            let (input, pre) = preflight(&path).unwrap();
            assert!(
                cut_is_taken(&input),
                "{line_end:?}: the first half ends at the cut"
            );
            assert_eq!(pre.rows, ROWS as u64);
            assert_eq!(pre.invalid, 4, "{:?}", problems(&pre));
            let found = problems(&pre);
            let rows: Vec<(u64, u64)> = found.iter().map(|p| (p.0, p.1)).collect();
            // Lines: the header is line 1.
            assert_eq!(
                rows,
                vec![
                    (90_000, 90_001),
                    (100_000, 100_001),
                    (110_000, 110_001),
                    (110_001, 110_002)
                ]
            );
            assert_eq!(found[1].2, crate::validate::E_DUPLICATE);
            assert!(found[1].3.contains("as row 5;"), "{}", found[1].3);
            assert!(found[2].3.contains("as row 5;"), "{}", found[2].3);
            assert!(found[3].3.contains("as row 10;"), "{}", found[3].3);
        }
    }

    #[test]
    fn a_quoted_value_spanning_the_cut_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        // One row's first name holds line breaks from well before the middle
        // (row 60,000 of 120,000) to well after it: the cut lands inside it, and
        // only a pass from the start can tell.
        let long = (0..200_000)
            .map(|i| format!("line {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        let path = users_file(dir.path(), "\n", |row| match row {
            60_000 => Some(format!("multi@example.com,\"{long}\",Last")),
            119_000 => Some("user2@example.com,Twin,Two".into()),
            _ => None,
        });
        let (input, pre) = preflight(&path).unwrap();
        assert!(!cut_is_taken(&input), "the cut is inside the quoted value");
        assert_eq!(pre.rows, ROWS as u64);
        let found = problems(&pre);
        let rows: Vec<(u64, u64, &str)> = found.iter().map(|p| (p.0, p.1, p.2)).collect();
        // The long first name is invalid (too long, line breaks); row 119,000
        // starts 199,999 lines further down than its row number says.
        assert_eq!(rows.len(), 2, "{found:?}");
        assert_eq!((rows[0].0, rows[0].1), (60_000, 60_001));
        assert_eq!(
            (rows[1].0, rows[1].1, rows[1].2),
            (119_000, 119_001 + 199_999, crate::validate::E_DUPLICATE)
        );
        assert!(found[1].3.contains("as row 2;"), "{}", found[1].3);
    }

    #[test]
    fn an_input_error_after_the_cut_names_its_own_row_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = users_file(dir.path(), "\n", |row| {
            (row == 100_000).then(|| "a@example.com,Too,Many,Fields".into())
        });
        let e = match preflight(&path) {
            Ok(_) => panic!("a row with an extra field must stop the pass"),
            Err(e) => e,
        };
        assert_eq!(e.row(), Some(100_000), "{e}");
        assert_eq!(e.line(), Some(100_001), "{e}");
    }
}
