//! `zoombulk meetings …` and `zoombulk participants …`: each command's own flags,
//! shared with `validate`.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};

use super::recordings::parse_day;
use super::{BulkWrite, Export};
use crate::zoom::meetings::PastMeeting;

#[derive(Debug, Subcommand)]
pub enum MeetingsCommand {
    /// Schedule meetings from a CSV: POST /users/{host}/meetings, one per row (Medium).
    ///
    /// Columns: host (email or user id) and topic (required); start_time with
    /// timezone (IANA, e.g. America/New_York) or in UTC with Z; duration
    /// (minutes); type (2 scheduled, 3 recurring without a fixed time, 8
    /// recurring; 8 when recurrence columns are set); recurrence_type
    /// (daily|weekly|monthly), repeat_interval, weekly_days (1=Sunday … 7 or day
    /// names), monthly_day, end_times (≤ 60) or end_date_time; agenda; password;
    /// approval_type (0 automatic, 1 manual, 2 no registration);
    /// registration_type; waiting_room, join_before_host, meeting_authentication
    /// (true/false); auto_recording (local|cloud|none). Results: meeting_id
    /// (also in zoom_id) and join_url. Zoom takes 100 creates/updates per host per
    /// day: rows past that are deferred unsent; --resume after 00:00 UTC sends them.
    Import(BulkWrite<ImportArgs>),
    /// Change meetings from a CSV: PATCH /meetings/{meetingId} (Light), only the
    /// non-empty cells.
    ///
    /// Columns: meeting_id (import's results have it), then any
    /// of import's columns; host (optional) counts the rows against that host's
    /// 100 writes a day.
    Update(BulkWrite<UpdateArgs>),
    /// Export meetings: GET /users/{userId}/meetings for every user or --user (Medium).
    ///
    /// Columns: id, uuid, host_id, host_email, topic, type, start_time, duration,
    /// timezone, agenda (cut to 250 characters by Zoom), created_at, join_url.
    Export(Export<ExportArgs>),
}

#[derive(Debug, Subcommand)]
pub enum ParticipantsCommand {
    /// Export who attended: one row per participant session (report, Heavy).
    ///
    /// --meeting ID|UUID, --webinar ID|UUID, or --from/--to for every past
    /// meeting of every user (or --user) in the range. Columns: meeting_id,
    /// meeting_uuid, topic, start_time, participant_id, name, email, join_time,
    /// leave_time, duration (seconds), status, note (why a meeting has no rows:
    /// deleted, too old, no permission, deferred). --per-person sums each
    /// person's sessions; --absentees lists a webinar's registrants who did not
    /// attend.
    Export(Export<ParticipantsArgs>),
}

/// `meetings import`'s own flags.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The input CSV (UTF-8, `,` `;` or tab delimited); `-` reads it from stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `meetings update`'s own flags.
#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    /// The input CSV with a meeting_id column; `-` reads it from stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `meetings export`'s own flags.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Only this user's meetings (id or email); default every user.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// Which meetings (Zoom's listing types).
    #[arg(
        long = "type",
        value_enum,
        ignore_case = true,
        default_value = "scheduled",
        value_name = "TYPE"
    )]
    pub list_type: ListType,
}

/// `--type` of `meetings export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListType {
    /// Unexpired previous, live and upcoming scheduled meetings.
    Scheduled,
    /// Upcoming meetings, live ones included (6 months at most).
    Upcoming,
    /// Previous meetings (6 months at most).
    Previous,
}

impl ListType {
    /// Zoom's `type` value (FACTS: Meetings).
    pub fn as_query(self) -> &'static str {
        match self {
            ListType::Scheduled => "scheduled",
            ListType::Upcoming => "upcoming_meetings",
            ListType::Previous => "previous_meetings",
        }
    }
}

/// `participants export`'s own flags.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["meeting", "webinar", "from"])))]
pub struct ParticipantsArgs {
    /// One meeting: its id (the latest ended instance) or an instance's UUID.
    #[arg(long, value_name = "ID|UUID", value_parser = PastMeeting::parse, conflicts_with_all = ["webinar", "from", "to", "user"])]
    pub meeting: Option<PastMeeting>,
    /// One webinar: its id or an instance's UUID.
    #[arg(long, value_name = "ID|UUID", value_parser = PastMeeting::parse, conflicts_with_all = ["from", "to", "user"])]
    pub webinar: Option<PastMeeting>,
    /// Every past meeting from this day (UTC): YYYY-MM-DD, today, yesterday, -7d, -2w, -1m.
    #[arg(long, allow_hyphen_values = true, value_name = "DATE", value_parser = parse_day, requires = "to")]
    pub from: Option<NaiveDate>,
    /// … to this day (UTC), inclusive.
    #[arg(long, allow_hyphen_values = true, value_name = "DATE", value_parser = parse_day, requires = "from")]
    pub to: Option<NaiveDate>,
    /// With --from/--to: only this user's meetings (id or email).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// One row per person and meeting instance: sessions, summed duration, first join, last leave.
    #[arg(long, conflicts_with = "absentees")]
    pub per_person: bool,
    /// With --webinar: the registrants who did not attend.
    #[arg(long, requires = "webinar")]
    pub absentees: bool,
}
