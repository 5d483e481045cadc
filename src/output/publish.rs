//! Where output goes and how it lands, in one place, for results and exports:
//! `-` is stdout; `{date}`/`{datetime}` are filled in; an output that is one of
//! the inputs is refused before anything is opened; devices and FIFOs are
//! written straight to; a symlink's target is replaced, not the link; a regular
//! file is written to a temp file beside it and renamed into place only on
//! [`Publisher::commit`], so a failed or interrupted run leaves the previous
//! file untouched and no temp file behind (the temp is removed on drop).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

/// Why output could not be opened or landed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The path chosen cannot be used as asked (the input itself, an earlier
    /// results file without --resume/--force): a usage error.
    #[error("{0}")]
    Usage(String),
    /// Writing or moving the file failed.
    #[error("{0}")]
    Fatal(String),
}

/// How old a `.NAME.XXXXXX.partial` beside the output must be before a new run
/// removes it as left by a killed run (younger ones may belong to a run that is
/// still writing).
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes temp files that a killed run (`kill -9`, power loss) left beside the
/// output: ours by name, and old enough that no live run writes them.
fn remove_stale_temps(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name.starts_with(prefix) && name.ends_with(".partial");
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= STALE_TEMP_AGE);
        if ours && old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Most symlinks followed to find the file a path names (Linux's own limit).
const MAX_SYMLINK_HOPS: usize = 40;

/// Fills `{date}` (YYYY-MM-DD) and `{datetime}` (YYYY-MM-DDTHHMMSSZ, safe in file names), UTC.
pub fn expand_placeholders(path: &str, now: DateTime<Utc>) -> String {
    path.replace("{date}", &now.format("%Y-%m-%d").to_string())
        .replace("{datetime}", &now.format("%Y-%m-%dT%H%M%SZ").to_string())
}

/// Where output goes, as the user named it (placeholders filled in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Stdout,
    Path(PathBuf),
}

impl Target {
    /// `-` is stdout; anything else a path with `{date}`/`{datetime}` filled in for `now`.
    pub fn parse(arg: &Path, now: DateTime<Utc>) -> Target {
        if arg.as_os_str() == "-" {
            return Target::Stdout;
        }
        match arg.to_str() {
            Some(s) => Target::Path(PathBuf::from(expand_placeholders(s, now))),
            None => Target::Path(arg.to_path_buf()),
        }
    }

    /// How the target is shown in messages.
    pub fn shown(&self) -> String {
        match self {
            Target::Stdout => "stdout".into(),
            Target::Path(p) => p.display().to_string(),
        }
    }

    /// Refuses (usage error, exit 2) an output that is one of `inputs`: the same
    /// file by device and inode, whatever the spelling, symlink or hard link.
    /// Call it before anything is opened for writing.
    pub fn refuse_inputs(&self, inputs: &[&Path]) -> Result<(), OutputError> {
        let Target::Path(out) = self else {
            return Ok(());
        };
        let Ok(out_meta) = fs::metadata(out) else {
            return Ok(()); // Nothing there yet: it cannot be an input.
        };
        for input in inputs {
            if let Ok(in_meta) = fs::metadata(input)
                && same_file(&out_meta, &in_meta)
            {
                return Err(OutputError::Usage(format!(
                    "--out {} is the input file {}: writing it would destroy the input; choose another --out",
                    out.display(),
                    input.display()
                )));
            }
        }
        Ok(())
    }
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    false
}

/// What to do when the output file already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Replace it (exports: the newest export wins; a resumed or forced results file).
    Replace,
    /// Refuse with a usage error naming `--resume` and `--force` (a results file
    /// holds the only record of an earlier run).
    RefuseExisting,
    /// Replace it only when it starts like a file of ours (one of these header
    /// prefixes, or empty); anything else is refused naming `--force`.
    ReplaceOurs(&'static [&'static [u8]]),
}

/// Whether the file at `path` is missing, empty, or starts (after a BOM) with one
/// of `heads`: whether it is one of ours to replace.
pub fn starts_like(path: &Path, heads: &[&[u8]]) -> bool {
    use std::io::Read;
    let longest = heads.iter().map(|h| h.len()).max().unwrap_or(0);
    let mut head = vec![0u8; longest + 3];
    let Ok(mut file) = File::open(path) else {
        return true;
    };
    let n = file.read(&mut head).unwrap_or(0);
    let head = head.get(..n).unwrap_or_default();
    let head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(head);
    head.is_empty() || heads.iter().any(|h| head.starts_with(h))
}

enum Dest {
    Stdout,
    /// A device or FIFO: written straight to, never replaced.
    Direct(File),
    /// A regular file: a temp beside `path`, renamed onto it on commit.
    Atomic {
        temp: tempfile::NamedTempFile,
        path: PathBuf,
    },
}

/// An output being written. Dropping it without [`Publisher::commit`] removes
/// the temp file and leaves whatever was at the path untouched.
pub struct Publisher {
    dest: Dest,
    shown: String,
}

impl Publisher {
    /// Opens `target` for writing under `policy`. Usage errors (exit 2) come
    /// before anything is created.
    pub fn create(target: &Target, policy: Policy) -> Result<Publisher, OutputError> {
        let path = match target {
            Target::Stdout => {
                return Ok(Publisher {
                    dest: Dest::Stdout,
                    shown: target.shown(),
                });
            }
            Target::Path(p) => p,
        };
        let shown = target.shown();
        let cannot = |e: io::Error| OutputError::Fatal(format!("{shown}: cannot write the output: {e}"));
        if let Ok(meta) = fs::metadata(path) {
            if is_special(&meta.file_type()) {
                let file = OpenOptions::new().write(true).open(path).map_err(cannot)?;
                return Ok(Publisher {
                    dest: Dest::Direct(file),
                    shown,
                });
            }
            if meta.is_dir() {
                return Err(OutputError::Usage(format!(
                    "--out {shown} is a directory; give a file name"
                )));
            }
            if policy == Policy::RefuseExisting {
                return Err(OutputError::Usage(format!(
                    "{shown} already exists and holds the results of an earlier run; \
                     pass --resume to continue that run, or --force to replace it (or choose another --out)"
                )));
            }
            if let Policy::ReplaceOurs(heads) = policy
                && !starts_like(path, heads)
            {
                return Err(OutputError::Usage(format!(
                    "{shown}: a file zoombulk did not write is there; choose another --out, or replace it \
                     with --force"
                )));
            }
        }
        let final_path = resolve_links(path).map_err(cannot)?;
        let dir = match final_path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = final_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        remove_stale_temps(&dir, &prefix);
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".partial");
        #[cfg(unix)]
        builder.permissions(default_permissions());
        let temp = builder.tempfile_in(&dir).map_err(|e| {
            OutputError::Fatal(format!("{shown}: cannot create a file in {}: {e}", dir.display()))
        })?;
        Ok(Publisher {
            dest: Dest::Atomic {
                temp,
                path: final_path,
            },
            shown,
        })
    }

    /// How the output is shown in messages (`stdout` or the path).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Whether the data goes to stdout (a closed pipe there is a quiet end).
    pub fn is_stdout(&self) -> bool {
        matches!(self.dest, Dest::Stdout)
    }

    /// The temp file being written, if any.
    #[cfg(test)]
    pub fn temp_path(&self) -> Option<&Path> {
        match &self.dest {
            Dest::Atomic { temp, .. } => Some(temp.path()),
            _ => None,
        }
    }

    /// A writer for the data (unbuffered: wrap it, e.g. in a table writer).
    pub fn writer(&self) -> io::Result<Box<dyn Write + Send>> {
        Ok(match &self.dest {
            Dest::Stdout => Box::new(io::stdout()),
            Dest::Direct(f) => Box::new(f.try_clone()?),
            Dest::Atomic { temp, .. } => Box::new(temp.as_file().try_clone()?),
        })
    }

    /// Puts the output in place: the temp file is synced and renamed onto the
    /// final path (a symlink's target). Flush the writer first.
    pub fn commit(self) -> Result<(), OutputError> {
        let shown = self.shown;
        match self.dest {
            Dest::Stdout => io::stdout()
                .flush()
                .map_err(|e| OutputError::Fatal(format!("{shown}: {e}"))),
            Dest::Direct(f) => {
                drop(f);
                Ok(())
            }
            Dest::Atomic { temp, path } => {
                temp.as_file()
                    .sync_all()
                    .map_err(|e| OutputError::Fatal(format!("{shown}: cannot write the output: {e}")))?;
                temp.persist(&path).map_err(|e| {
                    OutputError::Fatal(format!("{shown}: cannot move the output into place: {}", e.error))
                })?;
                Ok(())
            }
        }
    }
}

#[cfg(unix)]
fn is_special(t: &fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    t.is_block_device() || t.is_char_device() || t.is_fifo() || t.is_socket()
}

#[cfg(not(unix))]
fn is_special(_: &fs::FileType) -> bool {
    false
}

/// 0666 before the umask: the mode `File::create` gives, so results and
/// exports get the same (0644 under the default umask).
#[cfg(unix)]
fn default_permissions() -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    fs::Permissions::from_mode(0o666)
}

/// The file `path` finally names after following symlinks (the path itself
/// when it is not a link; the link's target even when that does not exist yet).
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_SYMLINK_HOPS {
        match fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(io::Error::other(format!(
        "more than {MAX_SYMLINK_HOPS} symbolic links to follow"
    )))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};

    #[test]
    fn old_temps_of_a_killed_run_are_removed_young_ones_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(".x.csv.AbC123.partial");
        let young = dir.path().join(".x.csv.DeF456.partial");
        let other = dir.path().join(".y.csv.GhI789.partial");
        for p in [&old, &young, &other] {
            fs::write(p, b"part").unwrap();
        }
        let long_ago = std::time::SystemTime::now() - STALE_TEMP_AGE - std::time::Duration::from_secs(60);
        for p in [&old, &other] {
            File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        let target = Target::Path(dir.path().join("x.csv"));
        drop(Publisher::create(&target, Policy::Replace).unwrap());
        assert!(!old.exists(), "a killed run's temp is removed");
        assert!(young.exists(), "a live run's temp is kept");
        assert!(other.exists(), "another output's temp is kept");
    }

    fn write_through(target: &Target, policy: Policy, bytes: &[u8]) -> Result<(), OutputError> {
        let p = Publisher::create(target, policy)?;
        let mut w = p.writer().map_err(|e| OutputError::Fatal(e.to_string()))?;
        w.write_all(bytes)
            .map_err(|e| OutputError::Fatal(e.to_string()))?;
        w.flush().map_err(|e| OutputError::Fatal(e.to_string()))?;
        drop(w);
        p.commit()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn placeholders_and_stdout() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            expand_placeholders("users-{date}.csv", now),
            "users-2026-11-22.csv"
        );
        assert_eq!(
            expand_placeholders("x-{datetime}.csv", now),
            "x-2026-11-22T030405Z.csv"
        );
        assert_eq!(Target::parse(Path::new("-"), now), Target::Stdout);
        assert_eq!(
            Target::parse(Path::new("d/{date}.csv"), now),
            Target::Path("d/2026-11-22.csv".into())
        );
    }

    #[test]
    fn the_file_appears_only_on_commit_and_a_dropped_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        fs::write(&path, "old").unwrap();
        let target = Target::Path(path.clone());
        let p = Publisher::create(&target, Policy::Replace).unwrap();
        let temp = p.temp_path().unwrap().to_path_buf();
        let name = temp.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(".out.csv.") && name.ends_with(".partial"),
            "{name}"
        );
        p.writer().unwrap().write_all(b"new").unwrap();
        drop(p);
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(names(dir.path()), vec!["out.csv"]);
        write_through(&target, Policy::Replace, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(names(dir.path()), vec!["out.csv"]);
    }

    #[test]
    fn mode_follows_the_umask_like_file_create() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_through(&Target::Path(path.clone()), Policy::Replace, b"x").unwrap();
        let reference = dir.path().join("reference");
        File::create(&reference).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // Whatever the umask of the test run, the same mode as File::create:
        // 0644 under the default umask 022 (not tempfile's 0600).
        assert_eq!(mode(&path), mode(&reference));
        assert_ne!(mode(&path), 0o600);
    }

    #[test]
    fn replace_ours_replaces_only_files_that_start_like_ours() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.csv");
        let target = Target::Path(path.clone());
        const HEADS: &[&[u8]] = &[b"email,action,"];
        std::fs::write(&path, "\u{feff}email,action,user_id\n").unwrap();
        write_through(&target, Policy::ReplaceOurs(HEADS), b"email,action,x\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"email,action,x\n");
        std::fs::write(&path, "name,salary\n").unwrap();
        let e = Publisher::create(&target, Policy::ReplaceOurs(HEADS))
            .err()
            .unwrap();
        assert!(e.to_string().contains("--force"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"name,salary\n", "left as it was");
        assert!(starts_like(&dir.path().join("missing.csv"), HEADS));
    }

    #[test]
    fn an_existing_file_is_refused_under_refuse_existing_naming_resume_and_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.results.csv");
        let target = Target::Path(path.clone());
        write_through(&target, Policy::RefuseExisting, b"first").unwrap();
        let e = Publisher::create(&target, Policy::RefuseExisting).err().unwrap();
        assert!(matches!(e, OutputError::Usage(_)), "{e}");
        assert!(
            e.to_string().contains("--resume") && e.to_string().contains("--force"),
            "{e}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "first");
        assert_eq!(names(dir.path()), vec!["in.results.csv"]);
    }

    #[test]
    fn a_symlink_stays_a_link_and_its_target_gets_the_content() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("archive")).unwrap();
        let real = dir.path().join("archive/x.csv");
        fs::write(&real, "old").unwrap();
        let link = dir.path().join("latest.csv");
        std::os::unix::fs::symlink("archive/x.csv", &link).unwrap();
        write_through(&Target::Path(link.clone()), Policy::Replace, b"new").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("archive/x.csv"));
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(names(&dir.path().join("archive")), vec!["x.csv"]);
        // A dangling link: its target is created.
        let dangling = dir.path().join("next.csv");
        std::os::unix::fs::symlink("archive/y.csv", &dangling).unwrap();
        write_through(&Target::Path(dangling.clone()), Policy::Replace, b"y").unwrap();
        assert!(fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_to_string(dir.path().join("archive/y.csv")).unwrap(), "y");
    }

    #[test]
    fn dev_null_is_written_to_and_stays_a_char_device() {
        let target = Target::Path("/dev/null".into());
        let p = Publisher::create(&target, Policy::RefuseExisting).unwrap();
        assert!(p.temp_path().is_none(), "no temp file beside /dev/null");
        p.writer().unwrap().write_all(b"x").unwrap();
        p.commit().unwrap();
        assert!(fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    }

    #[test]
    fn a_fifo_receives_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(&fifo).unwrap())
        };
        write_through(&Target::Path(fifo.clone()), Policy::Replace, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(names(dir.path()), vec!["pipe"]);
    }

    #[test]
    fn the_input_is_refused_by_any_spelling_link_or_hard_link() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.csv");
        fs::write(&input, "email\na@b.co\n").unwrap();
        std::os::unix::fs::symlink("in.csv", dir.path().join("link.csv")).unwrap();
        fs::hard_link(&input, dir.path().join("hard.csv")).unwrap();
        let spellings = [
            dir.path().join("in.csv"),
            dir.path().join(".").join("in.csv"),
            dir.path().join("sub/../in.csv"),
            dir.path().join("link.csv"),
            dir.path().join("hard.csv"),
        ];
        fs::create_dir(dir.path().join("sub")).unwrap();
        for out in spellings {
            let e = Target::Path(out.clone())
                .refuse_inputs(&[&input])
                .err()
                .unwrap_or_else(|| panic!("{} accepted", out.display()));
            assert!(matches!(e, OutputError::Usage(_)), "{e}");
        }
        // Relative to the working directory, as typed on the command line.
        let here = std::env::current_dir().unwrap();
        let rel = input
            .strip_prefix(&here)
            .map(Path::to_path_buf)
            .unwrap_or(input.clone());
        assert!(Target::Path(rel).refuse_inputs(&[&input]).is_err());
        assert!(
            Target::Path(dir.path().join("other.csv"))
                .refuse_inputs(&[&input])
                .is_ok()
        );
        assert!(Target::Stdout.refuse_inputs(&[&input]).is_ok());
        assert_eq!(fs::read_to_string(&input).unwrap(), "email\na@b.co\n");
    }
}
