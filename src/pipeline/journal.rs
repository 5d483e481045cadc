//! Durable progress. The results file is written in input order, so a row that
//! finished early waits in memory until the rows before it are done; a crash would
//! lose it. Every finished row is therefore also appended here, in the order rows
//! finish, and handed to the OS at once: after `kill -9` only the rows in flight
//! are unaccounted for. `--resume` folds the journal back (see `resume`).
//!
//! One JSON object a line; a last line cut short by a crash is ignored.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::outcome::{Outcome, Status};

/// `.NAME.journal` beside the results file `NAME`.
pub fn journal_path(results: &Path) -> PathBuf {
    hidden_beside(results, "journal")
}

/// `.NAME.SUFFIX` beside `path`.
pub fn hidden_beside(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "results".into());
    path.with_file_name(format!(".{name}.{suffix}"))
}

/// One finished row as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub row: u64,
    /// The key cell (e.g. the email) the row was done for: `--resume` compares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The input's cells the row was done for (secrets as `***`): `--resume`
    /// refuses to keep a done row whose cells changed since.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cells: Vec<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoom_id: Option<String>,
    /// The job's own columns, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    pub finished_at: DateTime<Utc>,
}

impl Entry {
    pub fn new(row: u64, key: Option<&str>, cells: Vec<String>, o: &Outcome) -> Entry {
        Entry {
            row,
            key: key.map(str::to_string),
            cells,
            status: o.status.as_str().to_string(),
            zoom_id: o.zoom_id.clone(),
            extra: o.extra.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            http_status: o.http_status,
            error_code: o.error_code.clone(),
            error_message: o.error_message.clone(),
            attempts: o.attempts,
            finished_at: o.finished_at,
        }
    }

    /// The outcome, or `None` for a status this version does not know; `extra`
    /// names the job's own columns.
    pub fn outcome(&self, extra: &'static [&'static str]) -> Option<Outcome> {
        Some(Outcome {
            status: Status::parse(&self.status)?,
            zoom_id: self.zoom_id.clone(),
            extra: extra
                .iter()
                .filter_map(|name| {
                    let (_, v) = self.extra.iter().find(|(k, _)| k == name)?;
                    Some((*name, v.clone()))
                })
                .collect(),
            http_status: self.http_status,
            error_code: self.error_code.clone(),
            error_message: self.error_message.clone(),
            attempts: self.attempts,
            finished_at: self.finished_at,
        })
    }
}

/// Appends finished rows; [`Journal::sync`] hands them to the OS.
pub struct Journal {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Journal {
    /// Starts an empty journal at `path` (an old one must have been folded already).
    pub fn create(path: &Path) -> io::Result<Journal> {
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)?;
        Ok(Journal {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(64 * 1024, file),
        })
    }

    pub fn append(&mut self, entry: &Entry) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, entry)?;
        self.out.write_all(b"\n")
    }

    /// Writes what was appended to the file: from here on it survives the
    /// process being killed.
    pub fn sync(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The run ended in order and the results file holds everything: the
    /// journal is no longer needed.
    pub fn remove(mut self) -> io::Result<()> {
        self.out.flush()?;
        drop(self.out);
        remove_if_present(&self.path)
    }
}

/// Entries for rows after `after_row`, the newest entry of a row winning.
/// Rows up to `after_row` are already in the results file (written in order
/// from the same outcomes), so memory stays within the re-order window.
pub fn load(path: &Path, after_row: u64) -> io::Result<BTreeMap<u64, Entry>> {
    let mut entries = BTreeMap::new();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(entries),
        Err(e) => return Err(e),
    };
    let mut lines = BufReader::new(file).lines().peekable();
    while let Some(line) = lines.next() {
        let line = line?;
        match serde_json::from_str::<Entry>(&line) {
            Ok(entry) if entry.row > after_row => {
                entries.insert(entry.row, entry);
            }
            Ok(_) => {}
            // A last line cut short by a crash.
            Err(_) if lines.peek().is_none() => break,
            Err(e) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: a damaged line in the journal ({e})", path.display()),
                ));
            }
        }
    }
    Ok(entries)
}

pub fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_a_cut_last_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = journal_path(&dir.path().join("x.results.csv"));
        assert!(path.ends_with(".x.results.csv.journal"));
        let mut j = Journal::create(&path).unwrap();
        let mut o = Outcome::new(Status::Created);
        o.zoom_id = Some("u1".into());
        o.attempts = 2;
        for row in [3, 1, 2, 3] {
            j.append(&Entry::new(row, Some("a@b.c"), vec!["a@b.c".into()], &o))
                .unwrap();
        }
        j.sync().unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b"{\"row\":9,\"sta");
        std::fs::write(&path, &bytes).unwrap();
        let all = load(&path, 0).unwrap();
        assert_eq!(all.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(all[&3].outcome(&[]).unwrap().zoom_id.as_deref(), Some("u1"));
        assert_eq!(all[&3].key.as_deref(), Some("a@b.c"));
        let later = load(&path, 2).unwrap();
        assert_eq!(later.keys().copied().collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn damage_in_the_middle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        std::fs::write(&path, "garbage\n{}\n").unwrap();
        assert!(load(&path, 0).is_err());
        assert!(load(&dir.path().join("absent"), 0).unwrap().is_empty());
    }
}
