//! `zoombulk recordings export`: one row per cloud recording file between
//! `--from` and `--to`, optionally downloading the files (`--download DIR`).
//!
//! Zoom silently narrows a recordings range longer than a month, so the period
//! is split into month windows. For all users, the users are listed first (for
//! host emails), then each window is read from the account-level endpoint
//! `GET /accounts/me/recordings`: one listing per window instead of one per user
//! per window. `--by-user` reads `GET /users/{id}/recordings` per user
//! concurrently instead, for apps without the account-level permission.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt, stream};
use serde_json::Value;

use super::download::{self, Downloader, Failed, Target};
use super::{ExportError, Report, Table, columns, plan, run_export, text};
use crate::app::Context;
use crate::app::{Exit, RunError};
use crate::cli::recordings::ExportArgs as Args;
use crate::dates::month_windows;
use crate::zoom::users::{USERS_PAGE_SIZE, user_path};
use crate::zoom::{ApiError, Call, Category, Client};

pub const COLUMNS: &[&str] = &[
    "meeting_id",
    "meeting_uuid",
    "topic",
    "host_id",
    "host_email",
    "start_time",
    "duration",
    "file_id",
    "file_type",
    "file_extension",
    "file_size",
    "recording_type",
    "recording_start",
    "recording_end",
    "status",
    "play_url",
    "download_url",
    "local_path",
    "bytes",
    "download_status",
];
const LOCAL_PATH: usize = 17;
/// Free text (guarded in CSV); every other column is written as it is.
const TEXT_COLUMNS: &[&str] = &["topic", "download_status"];
/// JSON numbers in JSONL.
const NUMBER_COLUMNS: &[&str] = &["meeting_id", "duration", "file_size", "bytes"];

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    let (from, to) = (args.from, args.to);
    if from > to {
        return Err(RunError::usage(format!("--from {from} is after --to {to}")));
    }
    let windows = month_windows(from, to);
    let max_retries = ctx.settings.max_retries;
    run_export(
        ctx,
        "recordings export",
        &columns(COLUMNS, TEXT_COLUMNS, NUMBER_COLUMNS),
        async |client| plan::recordings(client, args, &windows).await,
        async |client, table: &mut Table| {
            let downloader = match &args.download {
                Some(dir) => Some(Downloader::open(client, dir, max_retries).map_err(ExportError::Other)?),
                None => None,
            };
            let downloader = downloader.as_ref();
            let hosts = hosts(client, args.user.as_deref()).await?;
            let meetings = meetings(client, args.user.as_deref(), args.by_user, &hosts, &windows);
            let mut seen = HashSet::new();
            let files = meetings
                .try_filter(|m| std::future::ready(seen.insert(text(m.get("uuid")) + &text(m.get("id")))))
                .map_ok(|m| {
                    stream::iter(
                        file_rows(&m, &hosts, args.download.as_ref())
                            .into_iter()
                            .map(Ok::<_, ApiError>),
                    )
                })
                .try_flatten();
            let mut rows = std::pin::pin!(
                files
                    .map(|r| async move {
                        let (cells, target) = r?;
                        let outcome = match (&target, downloader) {
                            (Some(t), Some(d)) => Some(
                                d.fetch(t)
                                    .await
                                    .map(|(f, n)| (t.path.clone(), f, n))
                                    .map_err(|e| (t.path.clone(), e)),
                            ),
                            _ => None,
                        };
                        Ok::<_, ApiError>((cells, outcome))
                    })
                    .buffered(usize::from(args.download_concurrency))
            );
            let mut report = Report::default();
            let mut tally: HashMap<&'static str, (u64, u64)> = HashMap::new();
            while let Some(row) = rows.next().await {
                let (mut cells, outcome) = row?;
                match outcome {
                    Some(Ok((path, fetched, bytes))) => {
                        cells[LOCAL_PATH] = path.display().to_string();
                        cells[LOCAL_PATH + 1] = bytes.to_string();
                        cells[LOCAL_PATH + 2] = fetched.as_str().to_string();
                        let t = tally.entry(fetched.as_str()).or_default();
                        *t = (t.0 + 1, t.1 + bytes);
                    }
                    Some(Err((path, Failed { message, kept }))) => {
                        cells[LOCAL_PATH + 2] = format!("failed: {message}");
                        if let Some(bytes) = kept {
                            // A complete copy from an earlier run is still there: say where.
                            cells[LOCAL_PATH] = path.display().to_string();
                            cells[LOCAL_PATH + 1] = bytes.to_string();
                            cells[LOCAL_PATH + 2].push_str("; the complete copy already on disk is kept");
                        }
                        report.problems += 1;
                    }
                    None => {}
                }
                table.row(&cells)?;
            }
            let mut kinds: Vec<_> = tally.into_iter().collect();
            kinds.sort();
            for (kind, (files, bytes)) in kinds {
                report.lines.push(format!("{kind}: {files} files, {bytes} bytes"));
            }
            if report.problems > 0 {
                report.lines.push(format!(
                    "{} downloads failed (see download_status); run again to resume them",
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

/// Host id -> email: the one `--user`, or every active and inactive user.
pub(super) async fn hosts(client: &Client, user: Option<&str>) -> Result<HashMap<String, String>, ApiError> {
    let mut map = HashMap::new();
    if let Some(user) = user {
        let found: Value = client
            .send(&Call::get(user_path(user), Category::Light))
            .await?
            .json()?;
        map.insert(text(found.get("id")), text(found.get("email")));
        return Ok(map);
    }
    for status in ["active", "inactive"] {
        let call = Call::get("/users", Category::Medium)
            .query("status", status)
            .query("page_size", USERS_PAGE_SIZE.to_string());
        let mut users = std::pin::pin!(client.paginate(call, "users"));
        while let Some(u) = users.try_next().await? {
            map.insert(text(u.get("id")), text(u.get("email")));
        }
    }
    Ok(map)
}

fn recordings_call(path: String, from: NaiveDate, to: NaiveDate) -> Call {
    Call::get(path, Category::Medium)
        .query("from", from.to_string())
        .query("to", to.to_string())
        .query("page_size", "300")
}

/// Every recording meeting in the windows, as a stream.
pub(super) fn meetings<'a>(
    client: &'a Client,
    user: Option<&'a str>,
    by_user: bool,
    hosts: &'a HashMap<String, String>,
    windows: &'a [(NaiveDate, NaiveDate)],
) -> futures::stream::BoxStream<'a, Result<Value, ApiError>> {
    if user.is_none() && by_user {
        // Per user and window, concurrently under the Medium limiter, as many in
        // flight as the measured latency needs to reach its rate.
        let work: Vec<(String, NaiveDate, NaiveDate)> = hosts
            .keys()
            .flat_map(|id| windows.iter().map(move |(f, t)| (id.clone(), *f, *t)))
            .collect();
        let fetches = work.into_iter().map(move |(id, f, t)| async move {
            client
                .paginate(
                    recordings_call(format!("{}/recordings", user_path(&id)), f, t),
                    "meetings",
                )
                .try_collect::<Vec<_>>()
                .await
        });
        return crate::pipeline::fanout::buffer_auto(client, fetches)
            .map_ok(|ms| stream::iter(ms.into_iter().map(Ok)))
            .try_flatten()
            .boxed();
    }
    let path = match hosts.keys().next().filter(|_| user.is_some()) {
        Some(id) => format!("{}/recordings", user_path(id)),
        None => "/accounts/me/recordings".to_string(),
    };
    stream::iter(windows.iter().copied())
        .map(move |(f, t)| client.paginate(recordings_call(path.clone(), f, t), "meetings"))
        .flatten()
        .boxed()
}

/// One row (and download target) per file of a recording meeting.
fn file_rows(
    meeting: &Value,
    hosts: &HashMap<String, String>,
    dir: Option<&PathBuf>,
) -> Vec<(Vec<String>, Option<Target>)> {
    let host_id = text(meeting.get("host_id"));
    let host_email = hosts.get(&host_id).cloned().unwrap_or_default();
    let files = meeting
        .get("recording_files")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let file_id = text(file.get("id"));
            let file_type = text(file.get("file_type"));
            let extension = text(file.get("file_extension"));
            let download_url = without_token(&text(file.get("download_url")));
            let size = file.get("file_size").and_then(Value::as_u64);
            let cells = vec![
                text(meeting.get("id")),
                text(meeting.get("uuid")),
                text(meeting.get("topic")),
                host_id.clone(),
                host_email.clone(),
                text(meeting.get("start_time")),
                text(meeting.get("duration")),
                file_id.clone(),
                file_type.clone(),
                extension.clone(),
                size.map(|s| s.to_string()).unwrap_or_default(),
                text(file.get("recording_type")),
                text(file.get("recording_start")),
                text(file.get("recording_end")),
                text(file.get("status")),
                text(file.get("play_url")),
                download_url.clone(),
                String::new(),
                String::new(),
                String::new(),
            ];
            let target = dir
                .filter(|_| !download_url.is_empty())
                .map(|dir| file_target(meeting, file, i, &host_email, dir));
            (cells, target)
        })
        .collect()
}

/// Where file `i` of `meeting` goes under `dir`, and where it comes from.
pub(super) fn file_target(
    meeting: &Value,
    file: &Value,
    i: usize,
    host_email: &str,
    dir: &std::path::Path,
) -> Target {
    let file_id = text(file.get("id"));
    let file_type = text(file.get("file_type"));
    let extension = text(file.get("file_extension"));
    // CC and TIMELINE files come without an id: name them by type and position.
    let stem = if file_id.is_empty() {
        format!("{}-{}", file_type.to_lowercase(), i + 1)
    } else {
        file_id
    };
    let ext = if extension.is_empty() {
        file_type.to_lowercase()
    } else {
        extension.to_lowercase()
    };
    Target {
        url: without_token(&text(file.get("download_url"))),
        path: download::target_path(
            dir,
            host_email,
            &text(meeting.get("start_time")),
            &text(meeting.get("topic")),
            &text(meeting.get("id")),
            &format!("{stem}.{ext}"),
        ),
        size: file.get("file_size").and_then(Value::as_u64),
    }
}

/// The URL without an `access_token` query parameter.
pub fn without_token(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("access_token"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_urls_lose_their_token() {
        assert_eq!(
            without_token("https://zoom.us/rec/download/abc?access_token=SECRET"),
            "https://zoom.us/rec/download/abc"
        );
        assert_eq!(
            without_token("https://zoom.us/rec/download/abc?x=1&access_token=S"),
            "https://zoom.us/rec/download/abc?x=1"
        );
        assert_eq!(
            without_token("https://zoom.us/rec/download/abc"),
            "https://zoom.us/rec/download/abc"
        );
    }
}
