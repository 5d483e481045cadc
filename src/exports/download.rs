//! Fetching recording files to `DIR/<host email>/<yyyy-mm-dd topic id>/<file id>.<ext>`.
//!
//! - A file is written to `<name>.part` and renamed only when whole, so a file under its
//!   final name is always complete; a `.part` is resumed with a Range request.
//! - Files Zoom lists without `file_size` (CC, TIMELINE) are recognised as complete by
//!   the manifest `DIR/.zoombulk-manifest.jsonl`: one JSON line (path, size, SHA-256) per
//!   file downloaded, appended as each finishes, so a later run skips them too.
//! - A truncated or failed download is retried within the run: at most `--max-retries`
//!   attempts in a row without progress (with backoff), [`MAX_ATTEMPTS`] in all.
//! - Every attempt waits for the client's [`DOWNLOAD_CATEGORY`] limiter.
//! - Only https URLs are fetched (plain http only on loopback, for the sandbox), the
//!   bearer token goes only to Zoom's hosts, and never to the storage host a download
//!   redirects to (reqwest drops `Authorization` when a redirect changes host).
//!
//! Long on purpose: the resumable download (part files, Range, retries, the
//! manifest, which hosts get the token) is one piece whose parts depend on each other.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, RANGE, RETRY_AFTER};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use crate::zoom::urls::{check_scheme, is_loopback};

use crate::zoom::auth::describe;
use crate::zoom::{Category, Client};

/// The limiter downloads wait for. FACTS.md gives `download_url` no rate-limit category
/// (verify); counting downloads as Light keeps them inside the account's budget
/// instead of bursting beside it, and Light is the most generous category.
pub const DOWNLOAD_CATEGORY: Category = Category::Light;
/// The manifest's file name, in the download directory.
pub const MANIFEST_NAME: &str = ".zoombulk-manifest.jsonl";
/// Attempts per file in all, progress or not: a bound for a server that keeps
/// cutting answers short.
pub const MAX_ATTEMPTS: u32 = 20;
/// The longest `Retry-After` a download waits for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
const MAX_REDIRECTS: usize = 10;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// No byte for this long ends an attempt (a whole large file may take much longer).
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Domains (and their subdomains) that get the bearer token with a download.
const TOKEN_DOMAINS: &[&str] = &["zoom.us", "zoomgov.com"];

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
    /// Continued from bytes already on disk (a `.part` of an earlier run or attempt).
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

/// A file on disk, checked: Zoom's size (when given) and the SHA-256 in the manifest.
#[derive(Debug, Clone)]
pub struct Verified {
    pub how: Fetched,
    pub size: u64,
    pub sha256: String,
}

/// A download that did not succeed.
#[derive(Debug, Clone)]
pub struct Failed {
    pub message: String,
    /// The size of a complete copy already on disk under the final name (kept).
    pub kept: Option<u64>,
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

/// Downloads (and redirects) only over https, or plain http to 127.0.0.1, localhost, [::1].
pub fn check_download_url(url: &Url) -> Result<(), String> {
    check_scheme(url).map_err(|why| format!("refused to download: {why}"))
}

/// Whether the bearer token may go to `url`'s host: Zoom's domains, the API host Zoom
/// assigned the account, or loopback (the sandbox).
fn sends_token(url: &Url, api_url: Option<&str>) -> bool {
    let Some(host) = url.host_str().map(str::to_ascii_lowercase) else {
        return false;
    };
    let zoom = TOKEN_DOMAINS
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")));
    let assigned = api_url
        .and_then(|a| Url::parse(a).ok())
        .and_then(|a| a.host_str().map(str::to_ascii_lowercase))
        .is_some_and(|a| a == host);
    zoom || assigned || is_loopback(url)
}

/// One line of the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Entry {
    /// Relative to the download directory, `/`-separated.
    path: String,
    size: u64,
    sha256: String,
}

/// What one attempt came to.
enum Attempt {
    Complete,
    /// Try again after `wait` (or the backoff's next delay).
    Retry(String, Option<Duration>),
    /// Try again after `wait`, without counting against `--max-retries` (a refreshed
    /// token, a 429): bounded by [`MAX_ATTEMPTS`] alone.
    Again(String, Duration),
    Fail(String),
}

/// The running hash of a `.part` file's first `len` bytes.
struct Hashing {
    hasher: Sha256,
    len: u64,
}

/// Fetches files into one directory, remembering them in its manifest.
pub struct Downloader {
    client: Client,
    http: reqwest::Client,
    dir: PathBuf,
    known: HashMap<String, Entry>,
    /// The manifest opened for appending (on the first file downloaded).
    log: Mutex<Option<std::fs::File>>,
    /// The manifest's last line was cut off (a killed run): start with a line break.
    torn: bool,
    max_retries: u32,
    /// Bytes progress (`recordings archive`).
    progress: Option<std::sync::Arc<crate::pipeline::progress::Progress>>,
}

impl Downloader {
    /// Reads `dir`'s manifest (a missing one is empty; unreadable lines are ignored).
    pub fn open(client: &Client, dir: &Path, max_retries: u32) -> Result<Downloader, String> {
        let manifest = dir.join(MANIFEST_NAME);
        let text = match std::fs::read(&manifest) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("{}: {e}", manifest.display())),
        };
        let known = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Entry>(l).ok())
            .map(|e| (e.path.clone(), e))
            .collect();
        let policy = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
            }
            match check_download_url(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        });
        let http = reqwest::Client::builder()
            .user_agent(concat!("zoombulk/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .redirect(policy)
            .build()
            .map_err(|e| format!("could not set up the download client: {e}"))?;
        Ok(Downloader {
            client: client.clone(),
            http,
            dir: dir.to_path_buf(),
            known,
            log: Mutex::new(None),
            torn: !text.is_empty() && !text.ends_with('\n'),
            max_retries,
            progress: None,
        })
    }

    fn key(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.dir).unwrap_or(path);
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Fetches `target` unless a complete copy is on disk; returns what was done and
    /// the file's size.
    pub async fn fetch(&self, target: &Target) -> Result<(Fetched, u64), Failed> {
        let failed = |message: String| Failed {
            kept: complete_copy(target),
            message,
        };
        if let Some(size) = self.on_disk(target).await {
            return Ok((Fetched::Skipped, size));
        }
        let url = prepare(target).await.map_err(failed)?;
        self.download(target, &url)
            .await
            .map(|(how, len, _)| (how, len))
            .map_err(failed)
    }

    /// Like [`Downloader::fetch`], and says the file's SHA-256: computed while it
    /// streamed in, or (a copy already on disk) read again now and checked against the
    /// manifest, so a copy damaged since is fetched again rather than trusted, and a
    /// file the manifest does not know is refused.
    pub async fn fetch_verified(&self, target: &Target) -> Result<Verified, Failed> {
        let failed = |message: String| Failed {
            kept: complete_copy(target),
            message,
        };
        if let Some(size) = self.on_disk(target).await {
            let key = self.key(&target.path);
            let (digest, len) = hash_file(&target.path, &mut Sha256::new())
                .await
                .map_err(|e| failed(format!("{}: {e}", target.path.display())))?;
            let sha256 = hex::encode(digest);
            match self.known.get(&key) {
                Some(entry) if entry.size == len && entry.sha256 == sha256 && len == size => {
                    return Ok(Verified {
                        how: Fetched::Skipped,
                        size,
                        sha256,
                    });
                }
                Some(_) => {
                    // Differs from what was recorded when it was downloaded: fetch it again.
                    remove(&target.path).await.map_err(failed)?;
                }
                None => {
                    // Zoom's size, but not a download zoombulk recorded: its bytes were never
                    // checked as they came, so it is neither trusted (a recording is trashed
                    // only on a verified copy) nor replaced (it may be the user's).
                    return Err(Failed {
                        kept: None,
                        message: format!(
                            "{} already holds a file zoombulk did not record ({len} bytes); it was left \
                             alone and the recording is not counted as saved: move the file away and run again",
                            target.path.display()
                        ),
                    });
                }
            }
        }
        let url = prepare(target).await.map_err(failed)?;
        let (how, size, sha256) = self.download(target, &url).await.map_err(failed)?;
        Ok(Verified { how, size, sha256 })
    }

    /// Reports each chunk's length to `progress` as it arrives (bytes progress).
    pub fn with_progress(
        mut self,
        progress: std::sync::Arc<crate::pipeline::progress::Progress>,
    ) -> Downloader {
        self.progress = Some(progress);
        self
    }

    /// The size of a complete copy on disk: Zoom's `file_size` matches, or (without
    /// one) the manifest's size and SHA-256 match the file.
    async fn on_disk(&self, target: &Target) -> Option<u64> {
        let len = tokio::fs::metadata(&target.path).await.ok()?.len();
        match target.size {
            Some(size) => (size == len).then_some(len),
            None => {
                let entry = self.known.get(&self.key(&target.path))?;
                if entry.size != len {
                    return None;
                }
                let digest = hash_file(&target.path, &mut Sha256::new()).await.ok()?;
                (digest.1 == len && hex::encode(digest.0) == entry.sha256).then_some(len)
            }
        }
    }

    async fn download(&self, target: &Target, url: &Url) -> Result<(Fetched, u64, String), String> {
        let part = part_path(&target.path);
        let mut have = tokio::fs::metadata(&part).await.map(|m| m.len()).unwrap_or(0);
        let mut resumed = false;
        let mut hashing: Option<Hashing> = None;
        let mut backoff = retry_backoff();
        let (mut attempts, mut stalled, mut refreshed) = (0u32, 0u32, false);
        loop {
            if target.size.is_some_and(|size| have > size) {
                // More than Zoom says the file has: start over.
                remove(&part).await?;
                have = 0;
            }
            if have > 0 && target.size == Some(have) {
                break;
            }
            attempts += 1;
            let before = have;
            let outcome = self
                .attempt(
                    target,
                    url,
                    &part,
                    &mut have,
                    &mut hashing,
                    &mut refreshed,
                    &mut resumed,
                )
                .await;
            let (message, wait) = match outcome {
                Attempt::Complete => break,
                Attempt::Fail(message) => return Err(message),
                Attempt::Retry(message, wait) => (message, wait),
                Attempt::Again(message, wait) => {
                    if attempts >= MAX_ATTEMPTS {
                        return Err(format!("{message} (gave up after {attempts} attempts)"));
                    }
                    tokio::time::sleep(wait).await;
                    continue;
                }
            };
            if have > before {
                stalled = 0;
                backoff = retry_backoff();
            } else {
                stalled += 1;
            }
            if stalled > self.max_retries || attempts >= MAX_ATTEMPTS {
                return Err(format!(
                    "{message} (gave up after {attempts} attempts; run again to resume)"
                ));
            }
            tracing::debug!(file = %target.path.display(), attempts, "download retry: {message}");
            let pause = if have > before {
                Duration::ZERO
            } else {
                wait.unwrap_or_else(|| backoff.next().unwrap_or(Duration::from_secs(1)))
            };
            tokio::time::sleep(pause).await;
        }
        let (digest, len) = match hashing {
            Some(h) if h.len == have => (h.hasher.finalize().to_vec(), have),
            _ => {
                let (d, n) = hash_file(&part, &mut Sha256::new())
                    .await
                    .map_err(|e| format!("{}: {e}", part.display()))?;
                (d, n)
            }
        };
        tokio::fs::rename(&part, &target.path)
            .await
            .map_err(|e| format!("{}: {e}", target.path.display()))?;
        let sha256 = hex::encode(digest);
        self.remember(Entry {
            path: self.key(&target.path),
            size: len,
            sha256: sha256.clone(),
        })?;
        Ok((
            if resumed {
                Fetched::Resumed
            } else {
                Fetched::Downloaded
            },
            len,
            sha256,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        target: &Target,
        url: &Url,
        part: &Path,
        have: &mut u64,
        hashing: &mut Option<Hashing>,
        refreshed: &mut bool,
        resumed: &mut bool,
    ) -> Attempt {
        let limiter = self.client.limiter(DOWNLOAD_CATEGORY);
        // Named in the summary's line for the category, beside the API calls.
        limiter.note_endpoint("GET", "recording_file.download_url");
        limiter.acquire().await;
        let token = match self.client.bearer().await {
            Ok(t) => t,
            Err(e) => return Attempt::Fail(e.to_string()),
        };
        let with_token = sends_token(url, token.api_url.as_deref());
        let mut request = self.http.get(url.clone());
        if with_token {
            request = request.bearer_auth(token.value.expose());
        }
        if *have > 0 {
            request = request.header(RANGE, format!("bytes={have}-"));
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Retry(describe(&e), None),
        };
        let status = response.status();
        let code = status.as_u16();
        let appending = match status {
            StatusCode::UNAUTHORIZED if with_token && !*refreshed => {
                *refreshed = true;
                self.client.invalidate_token(token.generation).await;
                return Attempt::Again("the access token was refused".into(), Duration::ZERO);
            }
            StatusCode::TOO_MANY_REQUESTS => {
                limiter.on_throttled(None);
                let wait = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map_or(Duration::from_secs(1), |s| {
                        Duration::from_secs(s).min(MAX_RETRY_AFTER)
                    });
                return Attempt::Again("download answered HTTP 429".into(), wait);
            }
            StatusCode::RANGE_NOT_SATISFIABLE if *have > 0 => {
                let total = response
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().strip_prefix("bytes */"))
                    .and_then(|n| n.trim().parse::<u64>().ok());
                if total == Some(*have) && target.size.is_none_or(|s| s == *have) {
                    // The .part already holds the whole file.
                    return Attempt::Complete;
                }
                if let Err(e) = remove(part).await {
                    return Attempt::Fail(e);
                }
                *have = 0;
                return Attempt::Retry(
                    "the partial file did not fit the file; starting over".into(),
                    None,
                );
            }
            StatusCode::PARTIAL_CONTENT if *have > 0 => {
                let start = response
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().strip_prefix("bytes "))
                    .and_then(|v| v.split('-').next())
                    .and_then(|n| n.trim().parse::<u64>().ok());
                if start != Some(*have) {
                    if let Err(e) = remove(part).await {
                        return Attempt::Fail(e);
                    }
                    *have = 0;
                    return Attempt::Retry(
                        "the server answered a different range; starting over".into(),
                        None,
                    );
                }
                true
            }
            s if s.is_success() => false,
            s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => {
                return Attempt::Retry(format!("download answered HTTP {code}"), None);
            }
            _ => return Attempt::Fail(format!("download answered HTTP {code}")),
        };
        limiter.on_success();
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if !appending {
            *have = 0;
        }
        let mut options = tokio::fs::OpenOptions::new();
        if appending {
            options.append(true)
        } else {
            options.write(true).create(true).truncate(true)
        };
        let mut file = match options.open(part).await {
            Ok(f) => f,
            Err(e) => return Attempt::Fail(format!("{}: {e}", part.display())),
        };
        // The running hash must cover exactly the bytes before this answer's.
        if hashing.as_ref().is_none_or(|h| h.len != *have) {
            let mut hasher = Sha256::new();
            if *have > 0 {
                match hash_prefix(part, *have, &mut hasher).await {
                    Ok(()) => {}
                    Err(e) => return Attempt::Fail(format!("{}: {e}", part.display())),
                }
            }
            *hashing = Some(Hashing { hasher, len: *have });
        }
        if appending {
            *resumed = true;
        }
        let start = *have;
        let mut body = response.bytes_stream();
        let mut broke = None;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    broke = Some(format!("download broke off: {}", describe(&e)));
                    break;
                }
            };
            if let Err(e) = file.write_all(&chunk).await {
                return Attempt::Fail(format!("{}: {e}", part.display()));
            }
            if let Some(h) = hashing.as_mut() {
                h.hasher.update(&chunk);
                h.len += chunk.len() as u64;
            }
            *have += chunk.len() as u64;
            if let Some(p) = &self.progress {
                p.inc(chunk.len() as u64);
            }
        }
        if let Err(e) = file.flush().await {
            return Attempt::Fail(format!("{}: {e}", part.display()));
        }
        if let Some(message) = broke {
            return Attempt::Retry(message, None);
        }
        if let Some(n) = declared
            && start.checked_add(n) != Some(*have)
        {
            return Attempt::Retry(format!("the answer ended after {have} bytes"), None);
        }
        if let Some(size) = target.size.filter(|&s| s != *have) {
            return Attempt::Retry(
                format!("downloaded {have} bytes but Zoom said the file has {size}"),
                None,
            );
        }
        Attempt::Complete
    }

    /// Appends `entry` to the manifest: one write of one line on a file opened for appending.
    fn remember(&self, entry: Entry) -> Result<(), String> {
        let manifest = self.dir.join(MANIFEST_NAME);
        let mut line = serde_json::to_string(&entry).map_err(|e| e.to_string())?;
        line.push('\n');
        let mut log = self
            .log
            .lock()
            .map_err(|_| "the manifest writer failed earlier".to_string())?;
        if log.is_none() {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&manifest)
                .map_err(|e| format!("{}: {e}", manifest.display()))?;
            if self.torn {
                line.insert(0, '\n');
            }
            *log = Some(file);
        }
        if let Some(file) = log.as_mut() {
            file.write_all(line.as_bytes())
                .map_err(|e| format!("{}: {e}", manifest.display()))?;
        }
        Ok(())
    }
}

/// The checked URL of `target`, with its directory made.
async fn prepare(target: &Target) -> Result<Url, String> {
    let url = Url::parse(&target.url).map_err(|e| format!("unreadable download_url ({e})"))?;
    check_download_url(&url)?;
    if let Some(parent) = target.path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    Ok(url)
}

fn retry_backoff() -> impl Iterator<Item = Duration> {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(250))
        .with_max_delay(Duration::from_secs(20))
        .with_jitter()
        .without_max_times()
        .build()
}

/// A complete copy under the final name: only whole files are ever renamed there.
fn complete_copy(target: &Target) -> Option<u64> {
    let meta = std::fs::metadata(&target.path).ok()?;
    let len = meta.len();
    (meta.is_file() && target.size.is_none_or(|s| s == len)).then_some(len)
}

async fn remove(path: &Path) -> Result<(), String> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Feeds the whole file to `hasher`; returns the digest and the bytes read.
async fn hash_file(path: &Path, hasher: &mut Sha256) -> std::io::Result<(Vec<u8>, u64)> {
    let n = hash_into(path, u64::MAX, hasher).await?;
    Ok((std::mem::take(hasher).finalize().to_vec(), n))
}

/// Feeds the first `len` bytes of the file to `hasher`.
async fn hash_prefix(path: &Path, len: u64, hasher: &mut Sha256) -> std::io::Result<()> {
    let n = hash_into(path, len, hasher).await?;
    if n == len {
        Ok(())
    } else {
        Err(std::io::Error::other("the partial file shrank while it was read"))
    }
}

async fn hash_into(path: &Path, limit: u64, hasher: &mut Sha256) -> std::io::Result<u64> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    while total < limit {
        let want = usize::try_from(limit - total)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = file.read(&mut buf[..want]).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok(total)
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

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn only_https_or_loopback_http_is_fetched() {
        assert!(check_download_url(&url("https://zoom.us/rec/download/x")).is_ok());
        for ok in [
            "http://127.0.0.1:8080/rec/download/x",
            "http://localhost:8080/storage/x",
            "http://[::1]:8080/x",
        ] {
            assert!(check_download_url(&url(ok)).is_ok(), "{ok}");
        }
        for refused in [
            "http://zoom.us/rec/download/x",
            "http://10.0.0.1/x",
            "ftp://zoom.us/x",
            "file:///etc/passwd",
        ] {
            let e = check_download_url(&url(refused)).unwrap_err();
            assert!(
                e.contains("refused to download") && e.contains("use https"),
                "{refused}: {e}"
            );
        }
    }

    #[test]
    fn a_torn_manifest_line_is_ignored_and_the_next_entry_starts_a_new_line() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join(MANIFEST_NAME);
        std::fs::write(
            &manifest,
            "{\"path\":\"a/x.vtt\",\"size\":3,\"sha256\":\"00\"}\n{\"path\":\"a/y",
        )
        .unwrap();
        let client = Client::offline();
        let d = Downloader::open(&client, dir.path(), 0).unwrap();
        assert_eq!(d.known.len(), 1);
        assert!(d.torn);
        d.remember(Entry {
            path: "a/z.json".into(),
            size: 5,
            sha256: "11".into(),
        })
        .unwrap();
        drop(d);
        let again = Downloader::open(&client, dir.path(), 0).unwrap();
        assert_eq!(again.known.len(), 2);
        assert_eq!(again.known["a/z.json"].size, 5);
        assert!(!again.torn);
    }

    #[tokio::test]
    async fn a_plain_http_download_url_is_refused_before_any_request() {
        let client = Client::offline();
        let dir = tempfile::tempdir().unwrap();
        let downloader = Downloader::open(&client, dir.path(), 0).unwrap();
        let target = Target {
            url: "http://files.example.com/rec/x.mp4".into(),
            path: dir.path().join("x.mp4"),
            size: Some(10),
        };
        let e = downloader.fetch(&target).await.unwrap_err();
        assert!(e.message.contains("use https"), "{}", e.message);
        assert_eq!(e.kept, None);
        assert_eq!(client.limiter(DOWNLOAD_CATEGORY).sent(), 0, "nothing was sent");
    }

    #[test]
    fn the_token_goes_only_to_zoom_hosts() {
        assert!(sends_token(&url("https://zoom.us/rec/download/x"), None));
        assert!(sends_token(&url("https://us02web.zoom.us/rec/download/x"), None));
        assert!(sends_token(&url("https://x.zoomgov.com/rec/x"), None));
        assert!(sends_token(&url("http://127.0.0.1:1/rec/x"), None));
        assert!(!sends_token(&url("https://evilzoom.us/rec/x"), None));
        assert!(!sends_token(&url("https://zoom.us.example.com/x"), None));
        assert!(!sends_token(&url("https://storage.example.com/x"), None));
        assert!(sends_token(
            &url("https://api-eu.example.net/rec/x"),
            Some("https://api-eu.example.net")
        ));
    }
}
