//! Fetching recording files to `DIR/<host email>/<yyyy-mm-dd topic id>/<file id>.<ext>`:
//! complete files are skipped, partial ones resumed with a Range request, and the
//! bearer token is never forwarded to the storage host a download redirects to.

use std::path::{Path, PathBuf};

use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, RANGE};
use tokio::io::AsyncWriteExt;

use crate::zoom::Client;
use crate::zoom::auth::describe;

/// One file to fetch.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    pub path: PathBuf,
    /// Zoom's `file_size`, when it gave one.
    pub size: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetched {
    Downloaded,
    Resumed,
    /// Already complete on disk.
    Skipped,
}

impl Fetched {
    pub fn as_str(self) -> &'static str {
        match self {
            Fetched::Downloaded => "downloaded",
            Fetched::Resumed => "resumed",
            Fetched::Skipped => "skipped",
        }
    }
}

/// A path component from Zoom text: no separators or characters that Windows or
/// shells trip on, bounded length.
pub fn safe_component(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = cleaned.trim().trim_matches('.');
    let bounded: String = trimmed.chars().take(100).collect();
    if bounded.is_empty() { "_".into() } else { bounded }
}

/// `DIR/<host email>/<yyyy-mm-dd topic id>/<file id>.<ext>`.
pub fn target_path(
    dir: &Path,
    host_email: &str,
    start_time: &str,
    topic: &str,
    meeting_id: &str,
    file_name: &str,
) -> PathBuf {
    let day = start_time.get(..10).unwrap_or("unknown-date");
    dir.join(safe_component(if host_email.is_empty() {
        "unknown-host"
    } else {
        host_email
    }))
    .join(safe_component(&format!("{day} {topic} {meeting_id}")))
    .join(safe_component(file_name))
}

/// Fetches `target`; returns what was done and the file's size on disk.
pub async fn fetch(client: &Client, target: &Target) -> Result<(Fetched, u64), String> {
    if let Some(size) = target.size {
        if tokio::fs::metadata(&target.path)
            .await
            .is_ok_and(|m| m.len() == size)
        {
            return Ok((Fetched::Skipped, size));
        }
    }
    if let Some(parent) = target.path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let part = part_path(&target.path);
    let have = tokio::fs::metadata(&part).await.map(|m| m.len()).unwrap_or(0);
    let mut refreshed = false;
    loop {
        let token = client.bearer().await.map_err(|e| e.to_string())?;
        let mut request = client
            .http()
            .get(&target.url)
            .header(AUTHORIZATION, format!("Bearer {}", token.value.expose()));
        if have > 0 {
            request = request.header(RANGE, format!("bytes={have}-"));
        }
        let response = request.send().await.map_err(|e| describe(&e))?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED && !refreshed {
            refreshed = true;
            client.invalidate_token(token.generation).await;
            continue;
        }
        let resumed = match status {
            StatusCode::PARTIAL_CONTENT if have > 0 => true,
            // The part file is already whole: nothing more to fetch.
            StatusCode::RANGE_NOT_SATISFIABLE if target.size == Some(have) => true,
            s if s.is_success() => false,
            s => return Err(format!("download answered HTTP {}", s.as_u16())),
        };
        let mut options = tokio::fs::OpenOptions::new();
        if resumed {
            options.append(true)
        } else {
            options.write(true).create(true).truncate(true)
        };
        let mut file = options
            .open(&part)
            .await
            .map_err(|e| format!("{}: {e}", part.display()))?;
        // A 416 carries an error text, not file bytes.
        let mut body = (status != StatusCode::RANGE_NOT_SATISFIABLE).then(|| response.bytes_stream());
        while let Some(chunk) = match body.as_mut() {
            Some(b) => b.next().await,
            None => None,
        } {
            let chunk =
                chunk.map_err(|e| format!("download broke off: {}; run again to resume", describe(&e)))?;
            file.write_all(&chunk)
                .await
                .map_err(|e| format!("{}: {e}", part.display()))?;
        }
        file.flush()
            .await
            .map_err(|e| format!("{}: {e}", part.display()))?;
        drop(file);
        let len = tokio::fs::metadata(&part)
            .await
            .map(|m| m.len())
            .map_err(|e| e.to_string())?;
        if let Some(size) = target.size.filter(|&s| s != len) {
            return Err(format!(
                "downloaded {len} bytes but Zoom said the file has {size}; run again to resume"
            ));
        }
        tokio::fs::rename(&part, &target.path)
            .await
            .map_err(|e| format!("{}: {e}", target.path.display()))?;
        return Ok((
            if resumed {
                Fetched::Resumed
            } else {
                Fetched::Downloaded
            },
            len,
        ));
    }
}

fn part_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".part");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_spec_layout_and_are_safe() {
        let p = target_path(
            Path::new("/arch"),
            "ada@example.com",
            "2026-03-04T10:00:00Z",
            "Q1 / Review: \"all\"",
            "8123",
            "abc.mp4",
        );
        assert_eq!(
            p,
            Path::new("/arch/ada@example.com/2026-03-04 Q1 _ Review_ _all_ 8123/abc.mp4")
        );
        assert_eq!(safe_component(".."), "_");
        assert_eq!(safe_component("a\u{0}b"), "a_b");
    }
}
