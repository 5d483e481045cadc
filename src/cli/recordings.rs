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

/// `--from`/`--to`, relative to today (UTC) when the command line is read.
pub(crate) fn parse_day(text: &str) -> Result<NaiveDate, String> {
    parse_date(text, Utc::now().date_naive())
}
