//! The streaming pass over the whole file before the first request: every row is
//! checked, in-file duplicates are found, and the counts are known up front.

use std::collections::BTreeMap;
use std::sync::mpsc;

use csv::StringRecord;

use super::input::{InputError, InputFile, Records, RowPos};
use super::job::{CapUse, DailyCap, DuplicateKey, Job};
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
    /// Every valid row's duplicate-key hash with its row, sorted: the first entry
    /// of a hash is the row that keeps it. A sorted vector of 16-byte entries is
    /// a third of a hash map's memory and its build is a sequential sort, not a
    /// million cache-missing inserts.
    keys: Vec<KeyEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct KeyEntry {
    hash: u64,
    row: u32,
}

const PROBLEMS_KEPT: usize = 50;

/// The offset of a problem found after the pass, until it is looked up.
const UNPLACED: u64 = u64::MAX;

fn key_hash<J: Job>(job: &J, record: &StringRecord, row: &J::Row) -> Option<u64> {
    let mut key = DuplicateKey::new();
    job.duplicate_key(record, row, &mut key).then(|| key.finish())
}

/// Below this many keys a plain sort is as quick as spreading them first.
const SPREAD_MIN: usize = 4096;

/// Sorts key entries by (hash, row), in place: a counting pass and one pass of
/// swaps put them in 256 buckets by the hash's top byte (hashes are uniform),
/// then each bucket is sorted. Each bucket's sort is 8 levels shallower than
/// one sort of the whole, and no second buffer is needed.
fn sort_keys(keys: &mut [KeyEntry]) {
    if keys.len() < SPREAD_MIN {
        keys.sort_unstable();
        return;
    }
    let bucket = |e: &KeyEntry| usize::from(e.hash.to_be_bytes()[0]);
    let mut ends = [0usize; 256];
    for e in keys.iter() {
        ends[bucket(e)] += 1;
    }
    let mut sum = 0;
    for end in &mut ends {
        sum += *end;
        *end = sum;
    }
    let mut starts = [0usize; 256];
    starts[1..].copy_from_slice(&ends[..255]);
    // The next unplaced slot of each bucket: what sits there is swapped to its own
    // bucket's next slot until the slot holds one of its bucket.
    let mut next = starts;
    for b in 0..256 {
        while next[b] < ends[b] {
            let t = bucket(&keys[next[b]]);
            if t == b {
                next[b] += 1;
            } else {
                keys.swap(next[b], next[t]);
                next[t] += 1;
            }
        }
    }
    for (&start, &end) in starts.iter().zip(&ends) {
        keys[start..end].sort_unstable();
    }
}

fn narrow(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Records handed between the two threads of a pass at a time: enough to make
/// the hand-over cheap, few enough to stay in cache.
const SHARE_BATCH: usize = 1024;

/// Records read by one thread, to be checked by either.
struct ReadBatch {
    records: Vec<StringRecord>,
    positions: Vec<RowPos>,
}

/// Checks every record of the pass with `check`, on two threads: this one reads
/// the CSV and hands each batch to a second one, or checks the batch itself
/// when the second is still busy. Reading and checking cost about the same, so
/// on two cores the pass takes about as long as reading alone (SPEC: `validate`
/// within 2× a bare csv read). Each thread fills its own part, batches in row
/// order; the parts come back for [`Part::merge`]. The first input error ends
/// the pass.
fn check_shared<P: Send>(
    mut records: Records,
    new_part: impl Fn() -> P + Sync,
    check: impl Fn(&mut P, &StringRecord, RowPos) + Sync,
    finish: impl Fn(&mut P) + Sync,
) -> Result<Vec<P>, InputError> {
    let check = &check;
    let new_part = &new_part;
    let finish = &finish;
    std::thread::scope(|scope| {
        let (to_checker, batches) = mpsc::sync_channel::<ReadBatch>(1);
        let (recycle, recycled) = mpsc::channel::<ReadBatch>();
        let checker = scope.spawn(move || {
            let mut part = new_part();
            for batch in batches {
                for (record, &pos) in batch.records.iter().zip(&batch.positions) {
                    check(&mut part, record, pos);
                }
                let _ = recycle.send(batch);
            }
            finish(&mut part);
            part
        });
        let mut own = new_part();
        let mut spare: Option<ReadBatch> = None;
        let mut error = None;
        while error.is_none() {
            let mut batch = spare
                .take()
                .or_else(|| recycled.try_recv().ok())
                .unwrap_or_else(|| ReadBatch {
                    records: Vec::new(),
                    positions: Vec::with_capacity(SHARE_BATCH),
                });
            batch.positions.clear();
            let mut end = false;
            while !end && batch.positions.len() < SHARE_BATCH {
                let i = batch.positions.len();
                if batch.records.len() == i {
                    batch.records.push(StringRecord::new());
                }
                match records.read(&mut batch.records[i]) {
                    Ok(Some(pos)) => batch.positions.push(pos),
                    Ok(None) => end = true,
                    Err(e) => error = Some(e),
                }
            }
            if error.is_some() {
                break;
            }
            match to_checker.try_send(batch) {
                Ok(()) => {}
                Err(mpsc::TrySendError::Full(batch) | mpsc::TrySendError::Disconnected(batch)) => {
                    for (record, &pos) in batch.records.iter().zip(&batch.positions) {
                        check(&mut own, record, pos);
                    }
                    spare = Some(batch);
                }
            }
            if end {
                break;
            }
        }
        drop(to_checker);
        if error.is_none() {
            finish(&mut own);
        }
        let theirs = checker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        match error {
            Some(e) => Err(e),
            None => Ok(vec![own, theirs]),
        }
    })
}

/// What one thread of the preflight learnt from its share of the rows.
struct Part<K> {
    rows: u64,
    invalid_by_code: BTreeMap<&'static str, u64>,
    /// The first problems of its rows, in row order.
    problems: Vec<Problem>,
    plan: Plan<K>,
    keys: Vec<KeyEntry>,
}

impl<K: Ord> Part<K> {
    fn new() -> Part<K> {
        Part {
            rows: 0,
            invalid_by_code: BTreeMap::new(),
            problems: Vec::new(),
            plan: Plan::default(),
            keys: Vec::new(),
        }
    }

    fn check<J: Job<BatchKey = K>>(&mut self, job: &J, record: &StringRecord, pos: RowPos) {
        self.rows += 1;
        match job.parse(record) {
            Ok(row) => {
                if let Some(hash) = key_hash(job, record, &row) {
                    self.keys.push(KeyEntry {
                        hash,
                        row: narrow(pos.row),
                    });
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

    /// Adds `other`'s rows to these.
    fn merge(&mut self, other: Part<K>) {
        self.rows += other.rows;
        for (code, n) in other.invalid_by_code {
            *self.invalid_by_code.entry(code).or_default() += n;
        }
        self.problems.extend(other.problems);
        self.problems.sort_by_key(|p| p.pos.row);
        self.problems.truncate(PROBLEMS_KEPT);
        self.plan.merge(other.plan);
        self.keys.extend(other.keys);
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
        // Each thread sorts its own keys (by hash, then row); the merge joins
        // the two sorted runs.
        let parts = check_shared(
            input.records()?,
            Part::new,
            |part, record, pos| part.check(job, record, pos),
            |part| sort_keys(&mut part.keys),
        )?;
        let mut all = Part::new();
        for part in parts {
            all.merge(part);
        }
        let mut pre = Preflight {
            rows: all.rows,
            invalid: all.invalid_by_code.values().sum(),
            invalid_by_code: all.invalid_by_code,
            problems: all.problems,
            plan: all.plan,
            keys: all.keys,
        };
        // By (hash, row): entries of one hash in row order, so the first is the
        // keeper. The parts' keys are sorted runs: a stable sort finds the runs
        // and merges them in one pass (rows are unique, so stability costs no order).
        pre.keys.sort();
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

    /// Every key entry after the first of its hash is a duplicate.
    fn note_duplicates(&mut self, key_name: &str) {
        let mut duplicates: Vec<(KeyEntry, u32)> = Vec::new();
        for pair in self.keys.chunk_by(|a, b| a.hash == b.hash) {
            let first = pair[0].row;
            duplicates.extend(pair[1..].iter().map(|&e| (e, first)));
        }
        duplicates.sort_unstable_by_key(|(e, _)| e.row);
        self.invalid += duplicates.len() as u64;
        if !duplicates.is_empty() {
            *self.invalid_by_code.entry(E_DUPLICATE).or_default() += duplicates.len() as u64;
        }
        // The parse problems kept are the first rows that have one; so are these.
        for &(entry, first) in duplicates.iter().take(PROBLEMS_KEPT) {
            let e = duplicate(u64::from(first), key_name);
            self.problems.push(Problem {
                pos: RowPos {
                    row: u64::from(entry.row),
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

    /// The row that keeps `hash`, when any valid row has it.
    fn first_row_of(&self, hash: u64) -> Option<u64> {
        let i = self.keys.partition_point(|e| e.hash < hash);
        self.keys
            .get(i)
            .filter(|e| e.hash == hash)
            .map(|e| u64::from(e.row))
    }

    /// The second pass's verdict on a row: the parsed row, or its `invalid` outcome.
    pub fn check<J: Job>(&self, job: &J, record: &StringRecord, row: u64) -> Result<J::Row, Outcome> {
        let parsed = job
            .parse(record)
            .map_err(|e| Outcome::invalid(e.code, e.message))?;
        if let Some(hash) = key_hash(job, record, &parsed) {
            match self.first_row_of(hash) {
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
    use super::{KeyEntry, SPREAD_MIN, sort_keys};

    fn sorted_both_ways(mut keys: Vec<KeyEntry>) {
        let mut want = keys.clone();
        want.sort_unstable();
        sort_keys(&mut keys);
        assert_eq!(keys, want);
    }

    #[test]
    fn spread_sort_is_a_sort_by_hash_then_row() {
        // Scattered hashes (a multiplicative sequence), repeats of one hash with
        // rows out of order, and a skew where every hash has the same top byte.
        for n in [0, 1, 2, SPREAD_MIN - 1, SPREAD_MIN, 50_000] {
            let scattered = (0..n as u64)
                .map(|i| KeyEntry {
                    hash: i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i % 7),
                    row: u32::try_from((n as u64 - i) % 1000).unwrap(),
                })
                .collect();
            sorted_both_ways(scattered);
            let repeats = (0..n as u64)
                .map(|i| KeyEntry {
                    hash: (i % 5) << 60,
                    row: u32::try_from(n as u64 - i).unwrap(),
                })
                .collect();
            sorted_both_ways(repeats);
            let one_bucket = (0..n as u64)
                .map(|i| KeyEntry {
                    hash: 0xab00_0000_0000_0000 | i.wrapping_mul(0x9e37_79b9) & 0xffff_ffff,
                    row: 7,
                })
                .collect();
            sorted_both_ways(one_bucket);
        }
    }
}
