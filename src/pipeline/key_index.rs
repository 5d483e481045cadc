//! Every valid row's duplicate-key hash with its row: which rows repeat an
//! earlier row's key, and which row keeps a key.
//!
//! Entries go, as the rows are read, into 256 buckets by the hash's top byte,
//! so the sort at the end never moves an entry between buckets: each bucket is
//! cache-sized for a million rows and is sorted by a two-byte radix pass, which
//! leaves only entries sharing their top three bytes (almost none) to compare.
//! A comparison sort of the whole cost more than reading the file did. Each
//! thread of the preflight sorts its own part's index as it finishes.

/// One row's key hash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
struct KeyEntry {
    hash: u64,
    row: u32,
}

const BUCKETS: usize = 256;
/// Bits below the bucket byte that the radix passes sort by.
const RADIX_SHIFTS: [u32; 2] = [40, 48];
/// Below this many entries a bucket is compared, not counted.
const RADIX_MIN: usize = 64;

/// The bucket of a hash: its top byte.
fn bucket(hash: u64) -> usize {
    usize::from(hash.to_be_bytes()[0])
}

/// Row numbers are kept in 32 bits (a file of 4 billion rows shares its last).
fn narrow(row: u64) -> u32 {
    u32::try_from(row).unwrap_or(u32::MAX)
}

/// The key hashes of one part of the file, by row.
#[derive(Debug)]
pub(crate) struct KeyIndex {
    buckets: Vec<Vec<KeyEntry>>,
}

impl KeyIndex {
    pub(crate) fn new() -> KeyIndex {
        KeyIndex {
            buckets: vec![Vec::new(); BUCKETS],
        }
    }

    /// Adds a row's hash; rows come in increasing order.
    pub(crate) fn push(&mut self, hash: u64, row: u64) {
        self.buckets[bucket(hash)].push(KeyEntry {
            hash,
            row: narrow(row),
        });
    }

    /// Sorts every bucket by (hash, row); rows pushed after an earlier sort
    /// are sorted in too.
    pub(crate) fn sort(&mut self) {
        let mut spare = Vec::new();
        for b in &mut self.buckets {
            sort_bucket(b, &mut spare);
        }
    }
}

/// The sorted key indexes of a file's one or two parts (the preflight reads a
/// large file in two halves), the second with the rows before it. They stay
/// apart: a lookup tries each in turn, which costs less than joining a million
/// entries.
#[derive(Debug)]
pub(crate) struct FileKeys {
    first: KeyIndex,
    second: Option<(u64, KeyIndex)>,
}

impl FileKeys {
    pub(crate) fn new(first: KeyIndex, second: Option<(u64, KeyIndex)>) -> FileKeys {
        FileKeys { first, second }
    }

    /// Every row whose hash an earlier row has, with that earlier row, by row.
    /// (Buckets are independent: two threads take half of them each.)
    pub(crate) fn duplicates(&self) -> Vec<(u64, u64)> {
        if self.second.is_none() {
            // One part: a small file, not worth a thread.
            let mut found = self.duplicates_in(0..BUCKETS);
            found.sort_unstable();
            return found;
        }
        let mut found = std::thread::scope(|scope| {
            let high = scope.spawn(|| self.duplicates_in(BUCKETS / 2..BUCKETS));
            let mut found = self.duplicates_in(0..BUCKETS / 2);
            found.extend(
                high.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
            found
        });
        found.sort_unstable();
        found
    }

    /// [`FileKeys::duplicates`] in some buckets, unsorted.
    fn duplicates_in(&self, buckets: std::ops::Range<usize>) -> Vec<(u64, u64)> {
        let mut found = Vec::new();
        for b in buckets {
            let first = &self.first.buckets[b];
            repeats_within(first, 0, &mut found);
            if let Some((before, second)) = &self.second {
                repeats_after(first, &second.buckets[b], *before, &mut found);
            }
        }
        found
    }

    /// The row that keeps `hash`, when any row has it.
    pub(crate) fn first_row_of(&self, hash: u64) -> Option<u64> {
        let find = |index: &KeyIndex, before: u64| {
            let b = &index.buckets[bucket(hash)];
            let i = b.partition_point(|e| e.hash < hash);
            b.get(i)
                .filter(|e| e.hash == hash)
                .map(|e| before + u64::from(e.row))
        };
        find(&self.first, 0).or_else(|| {
            self.second
                .as_ref()
                .and_then(|(before, second)| find(second, *before))
        })
    }
}

/// The repeats inside one sorted bucket (rows after `before`), each with the
/// first row of its hash.
fn repeats_within(entries: &[KeyEntry], before: u64, found: &mut Vec<(u64, u64)>) {
    let mut first = 0;
    for (i, e) in entries.iter().enumerate().skip(1) {
        if e.hash == entries[first].hash {
            found.push((before + u64::from(e.row), before + u64::from(entries[first].row)));
        } else {
            first = i;
        }
    }
}

/// The repeats in a later part's sorted bucket (`later`, rows after `before`):
/// of a hash the earlier part has, or of one earlier in `later`. One walk of
/// both, in hash order.
fn repeats_after(earlier: &[KeyEntry], later: &[KeyEntry], before: u64, found: &mut Vec<(u64, u64)>) {
    let (mut at, mut first) = (0, 0);
    for (i, e) in later.iter().enumerate() {
        while earlier.get(at).is_some_and(|x| x.hash < e.hash) {
            at += 1;
        }
        let row = before + u64::from(e.row);
        if let Some(x) = earlier.get(at).filter(|x| x.hash == e.hash) {
            found.push((row, u64::from(x.row)));
        } else if i > 0 && later[first].hash == e.hash {
            found.push((row, before + u64::from(later[first].row)));
        } else {
            first = i;
        }
    }
}

/// Sorts one bucket by (hash, row): two stable counting passes on the bytes
/// under the top one, then a comparison sort of each run that shares its top
/// three bytes (with uniform hashes, almost every run is one entry). Rows come
/// in order, so the stable passes keep a hash's rows in order.
fn sort_bucket(entries: &mut Vec<KeyEntry>, spare: &mut Vec<KeyEntry>) {
    if entries.len() < RADIX_MIN {
        entries.sort_unstable();
        return;
    }
    for shift in RADIX_SHIFTS {
        spare.clear();
        spare.resize(entries.len(), KeyEntry::default());
        counting_pass(entries, shift, spare);
        std::mem::swap(entries, spare);
    }
    let low = RADIX_SHIFTS[0];
    for run in entries.chunk_by_mut(|x, y| x.hash >> low == y.hash >> low) {
        if run.len() > 1 {
            run.sort_unstable();
        }
    }
}

/// Writes `entries` into `out` (as long) ordered by their byte at `shift`, stably.
fn counting_pass(entries: &[KeyEntry], shift: u32, out: &mut [KeyEntry]) {
    let digit = |e: &KeyEntry| usize::from((e.hash >> shift) as u8);
    let mut next = [0usize; 256];
    for e in entries {
        next[digit(e)] += 1;
    }
    let mut sum = 0;
    for slot in &mut next {
        let n = *slot;
        *slot = sum;
        sum += n;
    }
    for &e in entries {
        let d = digit(&e);
        out[next[d]] = e;
        next[d] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::{FileKeys, KeyEntry, KeyIndex, RADIX_MIN};

    /// Every entry of the index, bucket after bucket.
    fn entries(index: &KeyIndex) -> Vec<KeyEntry> {
        index.buckets.iter().flatten().copied().collect()
    }

    fn sorted_like_a_plain_sort(rows: &[(u64, u64)]) {
        let mut index = KeyIndex::new();
        for &(hash, row) in rows {
            index.push(hash, row);
        }
        index.sort();
        let mut want: Vec<KeyEntry> = rows
            .iter()
            .map(|&(hash, row)| KeyEntry {
                hash,
                row: u32::try_from(row).unwrap(),
            })
            .collect();
        want.sort_unstable();
        assert_eq!(entries(&index), want);
    }

    #[test]
    fn sort_is_a_sort_by_hash_then_row() {
        // Scattered hashes; repeats of a few hashes; hashes alike in their top
        // three bytes (left to the comparison sort); one bucket only.
        for n in [0u64, 1, 2, RADIX_MIN as u64 - 1, RADIX_MIN as u64, 5_000, 100_000] {
            let scattered: Vec<_> = (0..n)
                .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i % 7), i))
                .collect();
            sorted_like_a_plain_sort(&scattered);
            let repeats: Vec<_> = (0..n).map(|i| ((i % 5) << 60 | (i % 3), i)).collect();
            sorted_like_a_plain_sort(&repeats);
            let alike: Vec<_> = (0..n)
                .map(|i| (0xabcd_ef00_0000_0000 | (n - i).wrapping_mul(0x9e37_79b9), i))
                .collect();
            sorted_like_a_plain_sort(&alike);
        }
    }

    /// The first half sorts before it knows whether it must read on: rows
    /// pushed after a sort are sorted in by the next one.
    #[test]
    fn rows_pushed_after_a_sort_are_sorted_in() {
        let hash = |i: u64| (i % 700).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut index = KeyIndex::new();
        for row in 0..5_000u64 {
            index.push(hash(row), row);
        }
        index.sort();
        for row in 5_000..9_000u64 {
            index.push(hash(row), row);
        }
        index.sort();
        let mut want: Vec<KeyEntry> = (0..9_000u64)
            .map(|row| KeyEntry {
                hash: hash(row),
                row: u32::try_from(row).unwrap(),
            })
            .collect();
        want.sort_unstable();
        assert_eq!(entries(&index), want);
    }

    #[test]
    fn duplicates_name_the_earlier_row_across_parts() {
        let mut first = KeyIndex::new();
        let mut second = KeyIndex::new();
        // The first part's row 500 repeats its row 250.
        for row in 1..=1000u64 {
            let of = if row == 500 { 250 } else { row };
            first.push(of.wrapping_mul(0x9e37_79b9_7f4a_7c15), row);
        }
        // The second part's rows 1..=1000 are rows 1001..=2000 of the file; its
        // rows 10, 20 and 30 repeat the file's rows 3, 7 and 3, and its row 45
        // its own row 40.
        for row in 1..=1000u64 {
            let of = match row {
                10 | 30 => 3,
                20 => 7,
                40 => 1045,
                _ => row + 1000,
            };
            second.push(of.wrapping_mul(0x9e37_79b9_7f4a_7c15), row);
        }
        first.sort();
        second.sort();
        let keys = FileKeys::new(first, Some((1000, second)));
        assert_eq!(
            keys.duplicates(),
            vec![(500, 250), (1010, 3), (1020, 7), (1030, 3), (1045, 1040)]
        );
        let hash = |of: u64| of.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        assert_eq!(keys.first_row_of(hash(7)), Some(7));
        assert_eq!(keys.first_row_of(hash(1045)), Some(1040));
        assert_eq!(keys.first_row_of(hash(1010)), None);
        assert_eq!(keys.first_row_of(5), None);
    }
}
