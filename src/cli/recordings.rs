//! `zoombulk recordings …`: each command's own flags.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};

use super::Export;
use crate::dates::parse_date;

#[derive(Debug, Subcommand)]
pub enum RecordingsCommand {
    /// Export cloud recording files (and download them with --download DIR).
    ///
    /// One row per file (Medium). Columns: meeting_id, meeting_uuid, topic, host_id,
    /// host_email, start_time, duration, file_id, file_type, file_extension,
    /// file_size, recording_type, recording_start, recording_end, status, play_url,
    /// download_url (never with a token), local_path, bytes, download_status.
    Export(Export<ExportArgs>),
    /// Copy old cloud recordings to a directory or S3-compatible storage, verify
    /// them, then (with --then) move them to Zoom's trash or delete them.
    ///
    /// Each file is downloaded with the resumable downloader, checked against
    /// Zoom's file_size and its SHA-256 (computed while streaming, recorded in
    /// `.zoombulk-manifest.jsonl` beside the files). A recording is trashed or
    /// deleted only when every one of its files is verified. One results row per
    /// file: meeting_uuid, meeting_id, topic, host_email, start_time, file_id,
    /// file_type, file_size, location, bytes, sha256, verified, zoom_action,
    /// status, message.
    ///
    /// Nightly: `zoombulk recordings archive --older-than 90d --to /srv/zoom
    /// --then trash --out archive-{date}.csv`
    Archive(Export<ArchiveArgs>),
}

/// `recordings export`'s own flags.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// First day (UTC): YYYY-MM-DD, today, yesterday, -7d, -2w, -1m.
    #[arg(long, default_value = "yesterday", allow_hyphen_values = true, value_name = "DATE", value_parser = parse_day)]
    pub from: NaiveDate,
    /// Last day (UTC), inclusive.
    #[arg(long, default_value = "today", allow_hyphen_values = true, value_name = "DATE", value_parser = parse_day)]
    pub to: NaiveDate,
    /// Only this user's recordings (id or email); default all users.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// List each user's recordings separately instead of the account-level listing.
    #[arg(long, conflicts_with = "user")]
    pub by_user: bool,
    /// Also download the files into DIR/<host email>/<yyyy-mm-dd topic id>/<file id>.<ext>.
    #[arg(long, value_name = "DIR")]
    pub download: Option<PathBuf>,
    /// Files downloaded at once.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub download_concurrency: u16,
}

/// What `recordings archive` does in Zoom once a recording is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Then {
    /// Leave it in Zoom.
    Keep,
    /// Move it to Zoom's trash (recoverable there for 30 days).
    Trash,
    /// Delete it for good (asks first; --yes for scripts).
    Delete,
}

/// `recordings archive`'s own flags.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("end").required(true).args(["older_than", "until"])))]
pub struct ArchiveArgs {
    /// Recordings that started at least this long ago: 90d, 12w, 3m.
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub older_than: Option<NaiveDate>,
    /// Or: recordings that started on or before this day (UTC), YYYY-MM-DD.
    #[arg(long, allow_hyphen_values = true, value_name = "DATE", value_parser = parse_day)]
    pub until: Option<NaiveDate>,
    /// First day (UTC) to look at: YYYY-MM-DD or -12m (read in month windows, as
    /// `recordings export` does).
    #[arg(long, default_value = "-12m", allow_hyphen_values = true, value_name = "DATE", value_parser = parse_day)]
    pub from: NaiveDate,
    /// Where the files go: a directory, or s3://bucket/prefix (credentials from
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; region from
    /// AWS_REGION or AWS_DEFAULT_REGION; endpoint from AWS_ENDPOINT_URL or --s3-endpoint).
    #[arg(long = "to", value_name = "DIR|s3://BUCKET/PREFIX")]
    pub dest: String,
    /// What to do in Zoom with a recording whose files are all verified.
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        default_value = "keep",
        value_name = "ACTION"
    )]
    pub then: Then,
    /// Do not ask before `--then delete` (required when there is no terminal to ask on).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Only this user's recordings (id or email); default all users.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// List each user's recordings separately instead of the account-level listing.
    #[arg(long, conflicts_with = "user")]
    pub by_user: bool,
    /// Files transferred at once.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub download_concurrency: u16,
    /// Continue an interrupted archive: the recordings it already trashed or
    /// deleted (no longer listed in Zoom) keep their rows in the new results, from
    /// the journal beside the manifest. Files already archived are skipped with or
    /// without it (the manifest remembers them).
    #[arg(long)]
    pub resume: bool,
    /// S3 endpoint for S3-compatible storage (MinIO, Ceph...) [env: AWS_ENDPOINT_URL].
    #[arg(long, value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// S3 region [env: AWS_REGION, default us-east-1].
    #[arg(long, value_name = "REGION")]
    pub s3_region: Option<String>,
    /// With s3://, where files are downloaded before upload (and resumed from)
    /// [default: a directory under the system's temporary directory].
    #[arg(long, value_name = "DIR")]
    pub staging: Option<PathBuf>,
}

impl ArchiveArgs {
    /// The last day whose recordings are archived.
    pub fn last_day(&self) -> NaiveDate {
        self.until.or(self.older_than).unwrap_or(self.from)
    }
}

/// `90d`, `12w`, `3m`: the day that long before today (UTC).
fn parse_age(text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    if t.starts_with('-') {
        return Err(format!("`{text}` is not an age: use 90d, 12w or 3m"));
    }
    parse_date(&format!("-{t}"), Utc::now().date_naive())
        .map_err(|_| format!("`{text}` is not an age: use 90d, 12w or 3m"))
}

/// `--from`/`--to`, relative to today (UTC) when the command line is read.
pub(crate) fn parse_day(text: &str) -> Result<NaiveDate, String> {
    parse_date(text, Utc::now().date_naive())
}
