//! `zoombulk recordings archive`: copies every cloud recording in the range to a
//! directory or an S3 bucket, verifies each file, and only then (with `--then`) moves
//! the recording to Zoom's trash or deletes it.
//!
//! - Listing: the month windows and listing of `recordings export`.
//! - Files: the resumable [`Downloader`] (part files, Range, retries, the manifest). A
//!   file is verified when its size matches Zoom's `file_size` (when given) and its
//!   SHA-256, computed while it streamed, is recorded in the manifest beside the files
//!   (for S3: on the object and in the manifest object, after a streamed upload whose
//!   bytes hash the same).
//! - Zoom: one `DELETE /meetings/{uuid}/recordings?action=…` per recording, only when
//!   every one of its files is verified. CC and TIMELINE files have no id and cannot be
//!   deleted one by one, so a recording with any unverified file stays in Zoom whole.
//!   A DELETE whose answer was lost is checked in the listing before its row is written.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt, stream};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::download::{self, Downloader, Failed, Fetched, Target, Verified};
use super::recordings::{file_target, hosts, meetings};
use super::s3::S3Dest;
use super::{ExportError, Plan, Report, Table, columns, plan, run_export, text};
use crate::app::{Context, Exit, RunError};
use crate::cli::recordings::{ArchiveArgs as Args, Then};
use crate::dates::month_windows;
use crate::pipeline::progress::Progress;
use crate::zoom::recordings::{DeleteAction, delete_meeting_recordings};
use crate::zoom::users::user_path;
use crate::zoom::{ApiError, Call, Category, Client};

pub const COLUMNS: &[&str] = &[
    "meeting_uuid",
    "meeting_id",
    "topic",
    "host_email",
    "start_time",
    "file_id",
    "file_type",
    "file_size",
    "location",
    "bytes",
    "sha256",
    "verified",
    "zoom_action",
    "status",
    "message",
];
const TEXT_COLUMNS: &[&str] = &["topic", "message"];
const NUMBER_COLUMNS: &[&str] = &["meeting_id", "file_size", "bytes"];
const BYTES: usize = 9;
const ZOOM_ACTION: usize = 12;
const STATUS: usize = 13;
const MESSAGE: usize = 14;
/// How many recordings `--dry-run` names one by one.
const DRY_RUN_LISTED: usize = 50;

/// Where the files go.
enum Dest {
    Dir(PathBuf),
    S3 { bucket: S3Dest, staging: PathBuf },
}

impl Dest {
    fn open(args: &Args) -> Result<Dest, RunError> {
        if args.dest.starts_with("s3://") {
            let bucket = S3Dest::open(&args.dest, args.s3_endpoint.as_deref(), args.s3_region.as_deref())
                .map_err(RunError::usage)?;
            let staging = match &args.staging {
                Some(dir) => dir.clone(),
                None => std::env::temp_dir().join(format!(
                    "zoombulk-archive-{}",
                    download::safe_component(&args.dest.replace('/', "_"))
                )),
            };
            return Ok(Dest::S3 { bucket, staging });
        }
        if args.dest.contains("://") {
            return Err(RunError::usage(format!(
                "--to {}: give a directory or s3://BUCKET/PREFIX",
                args.dest
            )));
        }
        // `recordings export --to today` is a date: the same words here would make
        // a directory called `today`. A new directory whose name reads as a date
        // is taken for that mistake.
        let dir = PathBuf::from(&args.dest);
        let today = chrono::Utc::now().date_naive();
        if !dir.exists() && crate::dates::parse_date(&args.dest, today).is_ok() {
            return Err(RunError::usage(format!(
                "--to {} is where the files go, not a date: give a directory or s3://BUCKET/PREFIX, \
                 and end the period with --older-than AGE or --until DATE",
                args.dest
            )));
        }
        Ok(Dest::Dir(dir))
    }

    /// The directory the downloader writes into (the staging directory for S3).
    fn local_dir(&self) -> &Path {
        match self {
            Dest::Dir(d) => d,
            Dest::S3 { staging, .. } => staging,
        }
    }
}

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    let (from, to) = (args.from, args.last_day());
    if from > to {
        return Err(RunError::usage(format!(
            "--from {from} is after the last day to archive ({to})"
        )));
    }
    let dest = Dest::open(args)?;
    if args.then == Then::Delete && !ctx.run.dry_run {
        confirm(args.yes)?;
    }
    let windows = month_windows(from, to);
    let max_retries = ctx.settings.max_retries;
    run_export(
        ctx,
        "recordings archive",
        &columns(COLUMNS, TEXT_COLUMNS, NUMBER_COLUMNS),
        async |client| dry_run(client, args, &dest, &windows, to).await,
        async |client, table: &mut Table| {
            let hosts = hosts(client, args.user.as_deref()).await?;
            let mut seen = HashSet::new();
            let found: Vec<Value> = meetings(client, args.user.as_deref(), args.by_user, &hosts, &windows)
                .try_filter(|m| {
                    let new = seen.insert(text(m.get("uuid")) + &text(m.get("id")));
                    std::future::ready(new && started_by(m, to))
                })
                .try_collect()
                .await?;
            let listed: HashSet<String> = found.iter().map(|m| text(m.get("uuid"))).collect();
            let mut report = Report::default();
            let (mut journal, carried) =
                open_journal(dest.local_dir(), args.resume).map_err(ExportError::Other)?;
            let mut carried_n = 0u64;
            for row in carried.iter().filter(|r| !listed.contains(&r[0])) {
                table.row(row)?;
                carried_n += 1;
            }
            if carried_n > 0 {
                report.lines.push(format!(
                    "{carried_n} rows carried over from the interrupted run (--resume)"
                ));
            }
            let (total, _) = sizes(&found);
            let progress = table.track(ctx, Some(total), crate::pipeline::progress::BYTES);
            let dir = dest.local_dir();
            let downloader = Downloader::open(client, dir, max_retries)
                .map_err(ExportError::Other)?
                .with_progress(progress.clone());
            let manifest = match &dest {
                Dest::S3 { bucket, .. } => Some(
                    bucket
                        .read_manifest()
                        .await
                        .map_err(|e| ExportError::Other(format!("{}: {e}", bucket.shown)))?,
                ),
                Dest::Dir(_) => None,
            };
            let job = Job {
                client,
                dest: &dest,
                downloader,
                hosts: &hosts,
                then: args.then,
                slots: Semaphore::new(usize::from(args.download_concurrency)),
                progress,
                uploaded: Mutex::new(Vec::new()),
            };
            let mut rows = std::pin::pin!(
                stream::iter(found.iter())
                    .map(|m| job.archive(m))
                    .buffered(usize::from(args.download_concurrency))
            );
            let mut tally = Tally::default();
            while let Some(recording) = rows.next().await {
                tally.add(&recording);
                if recording
                    .first()
                    .is_some_and(|r| matches!(r[ZOOM_ACTION].as_str(), "trashed" | "deleted" | "unknown"))
                {
                    let line =
                        serde_json::to_string(&recording).map_err(|e| ExportError::Other(e.to_string()))?;
                    journal.write_all(format!("{line}\n").as_bytes())?;
                }
                for row in recording {
                    let removal_failed = args.then != Then::Keep
                        && !matches!(row[ZOOM_ACTION].as_str(), "trashed" | "deleted" | "none");
                    if row[STATUS] == "failed" || removal_failed {
                        report.problems += 1;
                    }
                    table.row(&row)?;
                }
            }
            if let (Dest::S3 { bucket, .. }, Some(mut text)) = (&dest, manifest) {
                let lines = job.uploaded.lock().map(|l| l.clone()).unwrap_or_default();
                if !lines.is_empty() {
                    if !text.is_empty() && !text.ends_with('\n') {
                        text.push('\n');
                    }
                    text.push_str(&lines.concat());
                    bucket
                        .write_manifest(text)
                        .await
                        .map_err(|e| ExportError::Other(format!("{}: manifest: {e}", bucket.shown)))?;
                }
            }
            report.lines.extend(tally.lines(found.len(), args.then));
            if report.problems > 0 {
                report.lines.push(format!(
                    "{} files need attention (see status and message); their recordings stay in Zoom. \
                     Run again to resume them",
                    report.problems
                ));
            }
            report
                .lines
                .push(format!("{} month windows from {from} to {to}", windows.len()));
            Ok::<_, ExportError>(report)
        },
    )
    .await
}

/// Whether the recording started on or before `last` (UTC day).
fn started_by(meeting: &Value, last: NaiveDate) -> bool {
    let start = text(meeting.get("start_time"));
    start
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .is_none_or(|d| d <= last)
}

/// Bytes Zoom gave sizes for, and how many files came without one.
fn sizes(meetings: &[Value]) -> (u64, u64) {
    let (mut bytes, mut unsized_files) = (0u64, 0u64);
    for f in meetings.iter().flat_map(files) {
        match f.get("file_size").and_then(Value::as_u64) {
            Some(n) => bytes = bytes.saturating_add(n),
            None => unsized_files += 1,
        }
    }
    (bytes, unsized_files)
}

fn files(meeting: &Value) -> impl Iterator<Item = &Value> {
    meeting
        .get("recording_files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// Asks on the terminal before `--then delete`, as `users delete --action delete` does.
fn confirm(yes: bool) -> Result<(), RunError> {
    if yes {
        return Ok(());
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(RunError::usage(
            "--then delete permanently deletes every archived recording from Zoom, and there is no \
             terminal to confirm on; nothing was sent. Add --yes to confirm, or use --then trash.",
        ));
    }
    let mut err = std::io::stderr();
    let _ = write!(
        err,
        "Permanently delete each recording from Zoom once all its files are verified? \
         This cannot be undone (--then trash keeps them 30 days). Type yes to continue: "
    );
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| RunError::new(format!("could not read the answer ({e}); nothing was sent.")))?;
    if answer.trim().eq_ignore_ascii_case("yes") {
        Ok(())
    } else {
        Err(RunError::usage("not confirmed; nothing was sent."))
    }
}

/// The journal's file name, beside the manifest: the rows of each recording trashed or
/// deleted, appended as it happens, so an interrupted run (whose results file was not
/// written) leaves a record that `--resume` carries into the next results.
pub const JOURNAL_NAME: &str = ".zoombulk-archive-journal.jsonl";

/// Opens the journal: continued with `--resume` (its rows returned), else started anew.
fn open_journal(dir: &Path, resume: bool) -> Result<(std::fs::File, Vec<Vec<String>>), String> {
    let path = dir.join(JOURNAL_NAME);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut carried = Vec::new();
    if resume {
        match std::fs::read(&path) {
            Ok(bytes) => {
                for line in String::from_utf8_lossy(&bytes).lines() {
                    // A line cut off by a killed run is ignored.
                    if let Ok(rows) = serde_json::from_str::<Vec<Vec<String>>>(line) {
                        carried.extend(rows.into_iter().filter(|r| r.len() == COLUMNS.len()));
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true);
    if resume {
        options.append(true);
    } else {
        options.write(true).truncate(true);
    }
    let mut file = options
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if resume {
        // After a torn last line, start on a fresh one.
        file.write_all(b"\n")
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok((file, carried))
}

/// What one run shares between its recordings.
struct Job<'a> {
    client: &'a Client,
    dest: &'a Dest,
    downloader: Downloader,
    hosts: &'a HashMap<String, String>,
    then: Then,
    /// One per file in transfer: `--download-concurrency`.
    slots: Semaphore,
    progress: Arc<Progress>,
    /// Manifest lines of the files uploaded to S3 in this run.
    uploaded: Mutex<Vec<String>>,
}

/// A file's outcome before the Zoom action.
struct FileDone {
    location: String,
    result: Result<Verified, String>,
}

impl Job<'_> {
    /// All rows of one recording: its files archived, then the Zoom action.
    async fn archive(&self, meeting: &Value) -> Vec<Vec<String>> {
        let host_email = self
            .hosts
            .get(&text(meeting.get("host_id")))
            .cloned()
            .unwrap_or_default();
        let list: Vec<&Value> = files(meeting).collect();
        let done: Vec<FileDone> = futures::future::join_all(
            list.iter()
                .enumerate()
                .map(|(i, f)| self.file(meeting, f, i, &host_email)),
        )
        .await;
        let mut rows: Vec<Vec<String>> = list
            .iter()
            .zip(&done)
            .map(|(f, d)| {
                let (bytes, sha, verified, how, message) = match &d.result {
                    Ok(v) => (
                        v.size.to_string(),
                        v.sha256.clone(),
                        "true",
                        v.how.as_str(),
                        String::new(),
                    ),
                    Err(m) => (String::new(), String::new(), "false", "failed", m.clone()),
                };
                vec![
                    text(meeting.get("uuid")),
                    text(meeting.get("id")),
                    text(meeting.get("topic")),
                    host_email.clone(),
                    text(meeting.get("start_time")),
                    text(f.get("id")),
                    text(f.get("file_type")),
                    text(f.get("file_size")),
                    d.location.clone(),
                    bytes,
                    sha,
                    verified.into(),
                    String::new(),
                    how.into(),
                    message,
                ]
            })
            .collect();
        let unverified = done.iter().filter(|d| d.result.is_err()).count();
        let (action, why) = match self.then {
            Then::Keep => ("kept".to_string(), None),
            _ if rows.is_empty() => ("kept".to_string(), Some("Zoom listed no files".to_string())),
            _ if unverified > 0 => (
                "kept".to_string(),
                Some(format!(
                    "recording kept in Zoom: {unverified} of {} files not verified",
                    rows.len()
                )),
            ),
            Then::Trash => self.delete(meeting, DeleteAction::Trash).await,
            Then::Delete => self.delete(meeting, DeleteAction::Delete).await,
        };
        for row in &mut rows {
            row[ZOOM_ACTION] = action.clone();
            if let Some(why) = &why {
                if row[MESSAGE].is_empty() {
                    row[MESSAGE] = why.clone();
                } else {
                    row[MESSAGE] = format!("{}; {why}", row[MESSAGE]);
                }
            }
            if action == "unknown" {
                row[STATUS] = "failed".into();
            }
        }
        rows
    }

    /// Copies one file to the destination and verifies it.
    async fn file(&self, meeting: &Value, file: &Value, i: usize, host_email: &str) -> FileDone {
        let target = file_target(meeting, file, i, host_email, self.dest.local_dir());
        if target.url.is_empty() {
            return FileDone {
                location: String::new(),
                result: Err("Zoom listed no download_url for this file".into()),
            };
        }
        let Ok(_slot) = self.slots.acquire().await else {
            return FileDone {
                location: String::new(),
                result: Err("the run was stopped".into()),
            };
        };
        match self.dest {
            Dest::Dir(_) => {
                let result = self.downloader.fetch_verified(&target).await.map_err(failed_text);
                if let (Ok(v), Some(n)) = (&result, target.size)
                    && v.how == Fetched::Skipped
                {
                    // Counted as done: the ETA is for what is left to move.
                    self.progress.inc(n);
                }
                FileDone {
                    location: target.path.display().to_string(),
                    result,
                }
            }
            Dest::S3 { bucket, staging } => {
                let relative = relative_key(staging, &target.path);
                let key = bucket.key(&relative);
                let location = bucket.address(&key);
                let result = self.to_bucket(bucket, &target, &relative, &key).await;
                FileDone { location, result }
            }
        }
    }

    /// S3: skip an object already there and verified; else download to staging,
    /// upload, check, and remove the staged copy.
    async fn to_bucket(
        &self,
        bucket: &S3Dest,
        target: &Target,
        relative: &str,
        key: &object_store::path::Path,
    ) -> Result<Verified, String> {
        match bucket.existing(key).await? {
            Some(found) if found.sha256.is_some() && target.size.is_none_or(|s| s == found.size) => {
                if let Some(n) = target.size {
                    self.progress.inc(n);
                }
                return Ok(Verified {
                    how: Fetched::Skipped,
                    size: found.size,
                    sha256: found.sha256.unwrap_or_default(),
                });
            }
            // Every object zoombulk writes carries its digest: this one is someone else's.
            Some(found) if found.sha256.is_none() => {
                return Err(format!(
                    "{} already holds an object zoombulk did not write ({} bytes); it was left alone",
                    bucket.address(key),
                    found.size
                ));
            }
            _ => {}
        }
        let v = self
            .downloader
            .fetch_verified(target)
            .await
            .map_err(failed_text)?;
        bucket.upload(&target.path, key, v.size, &v.sha256).await?;
        let line = json!({"path": relative, "size": v.size, "sha256": v.sha256}).to_string() + "\n";
        if let Ok(mut l) = self.uploaded.lock() {
            l.push(line);
        }
        // The bucket holds it now; the staged copy would only fill the disk.
        let _ = tokio::fs::remove_file(&target.path).await;
        Ok(v)
    }

    /// Trashes or deletes every file of the recording; a lost answer is looked up.
    async fn delete(&self, meeting: &Value, action: DeleteAction) -> (String, Option<String>) {
        let uuid = text(meeting.get("uuid"));
        let done = match action {
            DeleteAction::Trash => "trashed",
            DeleteAction::Delete => "deleted",
        };
        match delete_meeting_recordings(self.client, &uuid, action).await {
            Ok(_) => (done.into(), None),
            // Before 404/3301: a retry after a lost answer finds nothing left to delete.
            Err(e) if e.may_have_applied() => match still_listed(self.client, meeting).await {
                Ok(false) => (
                    done.into(),
                    Some(format!(
                        "Zoom's answer was lost ({e}); the recording is no longer listed, so it was {done}"
                    )),
                ),
                Ok(true) => ("kept".into(), Some(format!("not {done}: {e}"))),
                Err(look) => (
                    "unknown".into(),
                    Some(format!(
                        "may have been {done}: Zoom's answer was lost ({e}) and the look-up failed ({look}); \
                         check Zoom's trash"
                    )),
                ),
            },
            Err(e) if e.is_code(404, 3301) => (
                "none".into(),
                Some("Zoom has no recording for this meeting any more (trashed or deleted elsewhere)".into()),
            ),
            Err(e) => ("kept".into(), Some(format!("not {done}: {e}"))),
        }
    }
}

fn failed_text(f: Failed) -> String {
    f.message
}

/// The path below the staging directory, `/`-separated: the object key below the prefix.
fn relative_key(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether the host's listing for the recording's day still shows it.
async fn still_listed(client: &Client, meeting: &Value) -> Result<bool, ApiError> {
    let uuid = text(meeting.get("uuid"));
    let start = text(meeting.get("start_time"));
    let day = start.get(..10).unwrap_or_default().to_string();
    let next = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.succ_opt())
        .map(|d| d.to_string())
        .unwrap_or_else(|| day.clone());
    let call = Call::get(
        format!("{}/recordings", user_path(&text(meeting.get("host_id")))),
        Category::Medium,
    )
    .query("from", day)
    .query("to", next)
    .query("page_size", "300");
    let mut pages = std::pin::pin!(client.paginate(call, "meetings"));
    while let Some(m) = pages.try_next().await? {
        if text(m.get("uuid")) == uuid {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Counts per outcome for the summary.
#[derive(Default)]
struct Tally {
    files: HashMap<String, (u64, u64)>,
    actions: HashMap<String, u64>,
}

impl Tally {
    fn add(&mut self, recording: &[Vec<String>]) {
        for row in recording {
            let bytes = row[BYTES].parse::<u64>().unwrap_or(0);
            let t = self.files.entry(row[STATUS].clone()).or_default();
            *t = (t.0 + 1, t.1.saturating_add(bytes));
        }
        if let Some(first) = recording.first() {
            *self.actions.entry(first[ZOOM_ACTION].clone()).or_default() += 1;
        }
    }

    fn lines(&self, recordings: usize, then: Then) -> Vec<String> {
        let mut out = vec![format!("{recordings} recordings")];
        let mut files: Vec<_> = self.files.iter().collect();
        files.sort();
        for (status, (n, bytes)) in files {
            out.push(format!("files {status}: {n}, {bytes} bytes"));
        }
        let mut actions: Vec<_> = self.actions.iter().collect();
        actions.sort();
        for (action, n) in actions {
            out.push(format!("recordings {action} in Zoom: {n}"));
        }
        if then == Then::Keep {
            out.push("nothing was removed from Zoom (--then keep)".into());
        }
        out
    }
}

/// `--dry-run`: the recordings, files and bytes that would move, and what would be freed.
async fn dry_run(
    client: &Client,
    args: &Args,
    dest: &Dest,
    windows: &[(NaiveDate, NaiveDate)],
    last: NaiveDate,
) -> Result<Plan, ExportError> {
    let before = plan::sent(client);
    let hosts = hosts(client, args.user.as_deref()).await?;
    let mut seen = HashSet::new();
    let found: Vec<Value> = meetings(client, args.user.as_deref(), args.by_user, &hosts, windows)
        .try_filter(|m| {
            let new = seen.insert(text(m.get("uuid")) + &text(m.get("id")));
            std::future::ready(new && started_by(m, last))
        })
        .try_collect()
        .await?;
    let mut p = Plan::default();
    for (n, c) in plan::sent(client) {
        let earlier = before.iter().find(|(_, b)| *b == c).map_or(0, |(m, _)| *m);
        let n = n.saturating_sub(earlier);
        if n > 0 {
            p.calls
                .push((n, "listing requests (users, then recordings)".into(), c));
        }
    }
    let (bytes, unsized_files) = sizes(&found);
    let file_count: usize = found.iter().map(|m| files(m).count()).sum();
    let to = match dest {
        Dest::Dir(d) => d.display().to_string(),
        Dest::S3 { bucket, .. } => bucket.shown.clone(),
    };
    p.notes.push(format!(
        "{} recordings started {} to {last} ({} month windows), {file_count} files, {bytes} bytes \
         known from the listing would be copied to {to}{}; files already there are skipped",
        found.len(),
        args.from,
        windows.len(),
        if unsized_files > 0 {
            format!(" ({unsized_files} files without a size)")
        } else {
            String::new()
        }
    ));
    for m in found.iter().take(DRY_RUN_LISTED) {
        let (b, _) = sizes(std::slice::from_ref(m));
        p.notes.push(format!(
            "  {} {} [{}]: {} files, {b} bytes",
            text(m.get("start_time")).get(..10).unwrap_or_default(),
            text(m.get("topic")),
            text(m.get("uuid")),
            files(m).count()
        ));
    }
    if found.len() > DRY_RUN_LISTED {
        p.notes.push(format!(
            "  … and {} more recordings",
            found.len() - DRY_RUN_LISTED
        ));
    }
    p.notes.push(match args.then {
        Then::Keep => "would free nothing in Zoom (--then keep)".into(),
        Then::Trash => format!(
            "would then move up to {} recordings ({bytes} bytes) to Zoom's trash, each only once all its \
             files are verified; the trash frees the space after 30 days",
            found.len()
        ),
        Then::Delete => format!(
            "would then permanently delete up to {} recordings ({bytes} bytes) from Zoom, each only once all \
             its files are verified",
            found.len()
        ),
    });
    if args.then != Then::Keep {
        p.calls.push((
            found.len() as u64,
            format!(
                "DELETE /meetings/{{uuid}}/recordings?action={}",
                match args.then {
                    Then::Delete => "delete",
                    _ => "trash",
                }
            ),
            Category::Light,
        ));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_is_continued_with_resume_and_started_anew_without() {
        let dir = tempfile::tempdir().unwrap();
        let row: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
        let (mut journal, carried) = open_journal(dir.path(), false).unwrap();
        assert!(carried.is_empty());
        let line = serde_json::to_string(&vec![row.clone()]).unwrap();
        // A whole line, then one cut off by a killed run.
        write!(journal, "{line}\n[[\"cut").unwrap();
        drop(journal);
        let (mut journal, carried) = open_journal(dir.path(), true).unwrap();
        assert_eq!(carried, vec![row.clone()]);
        writeln!(journal, "{line}").unwrap();
        drop(journal);
        let (_, carried) = open_journal(dir.path(), true).unwrap();
        assert_eq!(carried.len(), 2, "the line after the torn one is read");
        let (_, carried) = open_journal(dir.path(), false).unwrap();
        assert!(carried.is_empty());
        let (_, carried) = open_journal(dir.path(), true).unwrap();
        assert!(carried.is_empty(), "a run without --resume starts a new journal");
    }

    #[test]
    fn only_recordings_started_by_the_last_day_are_archived() {
        let last = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        assert!(started_by(&json!({"start_time": "2026-09-01T23:00:00Z"}), last));
        assert!(!started_by(&json!({"start_time": "2026-09-02T00:00:00Z"}), last));
        assert_eq!(
            relative_key(Path::new("/s"), Path::new("/s/a@x.com/2026-01-01 T 1/f.mp4")),
            "a@x.com/2026-01-01 T 1/f.mp4"
        );
    }
}
