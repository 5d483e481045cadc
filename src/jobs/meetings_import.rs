//! `zoombulk meetings import FILE.csv` (one meeting per row: POST
//! /users/{host}/meetings) and `zoombulk meetings update FILE.csv` (a
//! `meeting_id` column: PATCH /meetings/{id}, only the non-empty cells).
//!
//! Zoom takes 100 creates/updates per host per UTC day: the rows past that are
//! known from the file, so `--dry-run` names them and the run defers them unsent
//! (`--resume` after 00:00 UTC sends them). A create whose answer was lost is
//! looked up (host, topic, start time) before it is sent again or written, so a
//! lost answer never makes a second meeting.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use chrono_tz::Tz;
use csv::StringRecord;
use serde_json::{Map, Value, json};

use super::{Context, DuplicateKey, Fatal, Job, cell, outcome_for_error, run_command, validate_command};
use crate::app::{Exit, RunError};
use crate::cli::meetings::{ImportArgs, UpdateArgs};
use crate::pipeline::columns::ColumnSpec;
use crate::pipeline::input::InputFile;
use crate::pipeline::job::{CapUse, DailyCap};
use crate::pipeline::outcome::{Outcome, Status};
use crate::validate::meeting::{
    self as rules, AGENDA_MAX, DURATION_MAX, END_TIMES_MAX, MEETING_PASSWORD_MAX, REPEAT_INTERVAL_MAX,
    TOPIC_MAX,
};
use crate::validate::{self, E_MISSING, E_VALUE, FieldError, quoted};
use crate::zoom::meetings::CreatedMeeting;
use crate::zoom::{ApiError, Client};

pub async fn import(args: &ImportArgs, ctx: &Context) -> Result<Exit, RunError> {
    run_command(&args.file, ctx, MeetingsJob::<false>::bind).await
}

pub fn validate_import(args: &ImportArgs) -> Result<Exit, RunError> {
    validate_command(&args.file, MeetingsJob::<false>::bind)
}

pub async fn update(args: &UpdateArgs, ctx: &Context) -> Result<Exit, RunError> {
    run_command(&args.file, ctx, MeetingsJob::<true>::bind).await
}

pub fn validate_update(args: &UpdateArgs) -> Result<Exit, RunError> {
    validate_command(&args.file, MeetingsJob::<true>::bind)
}

const HOST_ALIASES: &[&str] = &[
    "host email",
    "host id",
    "owner",
    "organizer",
    "organiser",
    "host user",
];
/// Import's results name the meeting `meeting_id` (and `zoom_id`, which is not an
/// alias here: a results file fed back would have two columns meaning one).
const MEETING_ID_ALIASES: &[&str] = &["meeting number", "id"];

macro_rules! meeting_columns {
    ($host:expr, $meeting_id:expr) => {
        &[
            $host,
            $meeting_id,
            ColumnSpec::optional("topic", &["meeting topic", "title", "subject"]),
            ColumnSpec::optional("start_time", &["start time", "start", "starts at"]),
            ColumnSpec::optional("timezone", &["time zone", "tz"]),
            ColumnSpec::optional("duration", &["duration (minutes)", "length", "minutes"]),
            ColumnSpec::optional("type", &["meeting type"]),
            ColumnSpec::optional("agenda", &["description"]),
            ColumnSpec::optional("password", &["passcode", "meeting passcode"]),
            ColumnSpec::optional("recurrence_type", &["recurrence", "repeat"]),
            ColumnSpec::optional("repeat_interval", &["repeat every", "interval"]),
            ColumnSpec::optional("weekly_days", &["weekdays", "days"]),
            ColumnSpec::optional("monthly_day", &["day of month"]),
            ColumnSpec::optional("end_times", &["occurrences"]),
            ColumnSpec::optional("end_date_time", &["end date", "repeat until", "until"]),
            ColumnSpec::optional("approval_type", &["approval"]),
            ColumnSpec::optional("registration_type", &[]),
            ColumnSpec::optional("waiting_room", &["waiting room"]),
            ColumnSpec::optional("join_before_host", &["join before host"]),
            ColumnSpec::optional("auto_recording", &["auto recording", "recording"]),
            ColumnSpec::optional(
                "meeting_authentication",
                &["authentication", "authenticated only"],
            ),
        ]
    };
}

const IMPORT_COLUMNS: &[ColumnSpec] = meeting_columns!(
    ColumnSpec::required("host", HOST_ALIASES),
    ColumnSpec::optional("meeting_id", MEETING_ID_ALIASES)
);
const UPDATE_COLUMNS: &[ColumnSpec] = meeting_columns!(
    ColumnSpec::optional("host", HOST_ALIASES),
    ColumnSpec::required("meeting_id", MEETING_ID_ALIASES)
);

/// Boolean settings: (column, field of `settings`).
const FLAGS: [&str; 3] = ["waiting_room", "join_before_host", "meeting_authentication"];

/// Times a create whose answer was lost (and that the host's listing does not
/// show) is sent again.
const RESENDS: u32 = 2;

/// The job; `UPDATE` picks `meetings update` (PATCH by `meeting_id`).
pub struct MeetingsJob<const UPDATE: bool> {
    host: Option<usize>,
    meeting_id: Option<usize>,
    topic: Option<usize>,
    start_time: Option<usize>,
    timezone: Option<usize>,
    duration: Option<usize>,
    meeting_type: Option<usize>,
    agenda: Option<usize>,
    password: Option<usize>,
    recurrence_type: Option<usize>,
    repeat_interval: Option<usize>,
    weekly_days: Option<usize>,
    monthly_day: Option<usize>,
    end_times: Option<usize>,
    end_date_time: Option<usize>,
    approval_type: Option<usize>,
    registration_type: Option<usize>,
    auto_recording: Option<usize>,
    flags: [Option<usize>; 3],
}

#[derive(Debug, Clone, PartialEq)]
enum RecurrenceEnd {
    Times(u32),
    Until(DateTime<Utc>),
}

#[derive(Debug, Clone, PartialEq)]
struct Recurrence {
    kind: u8,
    interval: u32,
    weekly_days: Option<String>,
    monthly_day: Option<u32>,
    end: RecurrenceEnd,
}

/// A checked row: the values in Zoom's form (cells that need no conversion are
/// read from the record when the body is built).
pub struct MeetingRow {
    meeting_id: Option<u64>,
    meeting_type: Option<u8>,
    start: Option<DateTime<Utc>>,
    tz: Option<Tz>,
    duration: Option<u32>,
    recurrence: Option<Recurrence>,
    approval_type: Option<u8>,
    registration_type: Option<u8>,
    auto_recording: Option<&'static str>,
    flags: [Option<bool>; 3],
}

impl<const UPDATE: bool> MeetingsJob<UPDATE> {
    fn bind(input: &InputFile) -> Result<Self, RunError> {
        if !UPDATE && input.column("meeting_id").is_some() {
            return Err(RunError::usage(format!(
                "{}: the file has a meeting_id column, so its rows name meetings that exist; change them \
                 with `zoombulk meetings update`, or remove the column to create new meetings.",
                input.name()
            )));
        }
        Ok(MeetingsJob {
            host: input.column("host"),
            meeting_id: input.column("meeting_id"),
            topic: input.column("topic"),
            start_time: input.column("start_time"),
            timezone: input.column("timezone"),
            duration: input.column("duration"),
            meeting_type: input.column("type"),
            agenda: input.column("agenda"),
            password: input.column("password"),
            recurrence_type: input.column("recurrence_type"),
            repeat_interval: input.column("repeat_interval"),
            weekly_days: input.column("weekly_days"),
            monthly_day: input.column("monthly_day"),
            end_times: input.column("end_times"),
            end_date_time: input.column("end_date_time"),
            approval_type: input.column("approval_type"),
            registration_type: input.column("registration_type"),
            auto_recording: input.column("auto_recording"),
            flags: FLAGS.map(|name| input.column(name)),
        })
    }

    fn recurrence_cells<'r>(&self, record: &'r StringRecord) -> [(&'static str, &'r str); 6] {
        [
            ("recurrence_type", cell(record, self.recurrence_type)),
            ("repeat_interval", cell(record, self.repeat_interval)),
            ("weekly_days", cell(record, self.weekly_days)),
            ("monthly_day", cell(record, self.monthly_day)),
            ("end_times", cell(record, self.end_times)),
            ("end_date_time", cell(record, self.end_date_time)),
        ]
    }

    fn recurrence(
        &self,
        record: &StringRecord,
        start: Option<DateTime<Utc>>,
        tz: Option<Tz>,
    ) -> Result<Recurrence, FieldError> {
        let kind = match cell(record, self.recurrence_type) {
            "" => {
                return Err(FieldError::new(
                    E_MISSING,
                    "recurrence_type is empty; a recurring meeting (type 8) repeats daily, weekly or monthly.",
                ));
            }
            v => rules::recurrence_type(v)?,
        };
        let max_interval = REPEAT_INTERVAL_MAX
            .get(usize::from(kind).saturating_sub(1))
            .copied()
            .unwrap_or(1);
        let interval = match cell(record, self.repeat_interval) {
            "" => 1,
            v => rules::number("repeat_interval", v, 1, max_interval)?,
        };
        let days = cell(record, self.weekly_days);
        let weekly_days = match (kind, days) {
            (2, d) => Some(rules::weekly_days(d)?),
            (_, "") => None,
            _ => {
                return Err(FieldError::new(
                    E_VALUE,
                    "weekly_days is set but the meeting does not repeat weekly; clear it or set \
                     recurrence_type to weekly.",
                ));
            }
        };
        let monthly_day = match (kind, cell(record, self.monthly_day)) {
            (3, "") => {
                return Err(FieldError::new(
                    E_MISSING,
                    "monthly_day is empty; a monthly meeting needs the day of the month (1 to 31).",
                ));
            }
            (3, v) => Some(rules::number("monthly_day", v, 1, 31)?),
            (_, "") => None,
            _ => {
                return Err(FieldError::new(
                    E_VALUE,
                    "monthly_day is set but the meeting does not repeat monthly; clear it or set \
                     recurrence_type to monthly.",
                ));
            }
        };
        let end = match (cell(record, self.end_times), cell(record, self.end_date_time)) {
            ("", "") => {
                return Err(FieldError::new(
                    E_MISSING,
                    format!(
                        "end_times and end_date_time are empty; give the number of occurrences (at most \
                         {END_TIMES_MAX}) or the last date."
                    ),
                ));
            }
            (n, "") => RecurrenceEnd::Times(rules::number("end_times", n, 1, END_TIMES_MAX)?),
            ("", until) => {
                let end = rules::end_date_time(until, tz)?;
                if start.is_some_and(|s| end <= s) {
                    return Err(FieldError::new(
                        E_VALUE,
                        format!("end_date_time {} is before start_time.", quoted(until)),
                    ));
                }
                RecurrenceEnd::Until(end)
            }
            _ => {
                return Err(FieldError::new(
                    E_VALUE,
                    "end_times and end_date_time are both set; a recurrence ends after a number of \
                     occurrences or on a date, so clear one.",
                ));
            }
        };
        let r = Recurrence {
            kind,
            interval,
            weekly_days,
            monthly_day,
            end,
        };
        if let (Some(start), RecurrenceEnd::Until(until)) = (start, &r.end) {
            let n = occurrences_until(&r, start, *until);
            if n > u64::from(END_TIMES_MAX) {
                return Err(FieldError::new(
                    E_VALUE,
                    format!(
                        "the recurrence until end_date_time has about {n} occurrences; Zoom allows at most \
                         {END_TIMES_MAX}: choose an earlier end_date_time or a longer repeat_interval."
                    ),
                ));
            }
        }
        Ok(r)
    }

    /// The JSON body of the row's create or update: only what the file gives.
    fn body(&self, record: &StringRecord, row: &MeetingRow) -> Value {
        let mut body = Map::new();
        for (name, index) in [
            ("topic", self.topic),
            ("agenda", self.agenda),
            ("password", self.password),
        ] {
            let v = cell(record, index);
            if !v.is_empty() {
                body.insert(name.into(), Value::from(v));
            }
        }
        if let Some(t) = row.meeting_type {
            body.insert("type".into(), Value::from(t));
        }
        if let Some(start) = row.start {
            body.insert("start_time".into(), Value::from(zoom_time(start)));
        }
        if let Some(tz) = row.tz {
            body.insert("timezone".into(), Value::from(tz.name()));
        }
        if let Some(d) = row.duration {
            body.insert("duration".into(), Value::from(d));
        }
        if let Some(r) = &row.recurrence {
            let mut rec = json!({ "type": r.kind, "repeat_interval": r.interval });
            if let Some(map) = rec.as_object_mut() {
                if let Some(days) = &r.weekly_days {
                    map.insert("weekly_days".into(), Value::from(days.as_str()));
                }
                if let Some(day) = r.monthly_day {
                    map.insert("monthly_day".into(), Value::from(day));
                }
                match r.end {
                    RecurrenceEnd::Times(n) => map.insert("end_times".into(), Value::from(n)),
                    RecurrenceEnd::Until(t) => map.insert("end_date_time".into(), Value::from(zoom_time(t))),
                };
            }
            body.insert("recurrence".into(), rec);
        }
        let mut settings = Map::new();
        if let Some(a) = row.approval_type {
            settings.insert("approval_type".into(), Value::from(a));
        }
        if let Some(r) = row.registration_type {
            settings.insert("registration_type".into(), Value::from(r));
        }
        if let Some(r) = row.auto_recording {
            settings.insert("auto_recording".into(), Value::from(r));
        }
        for (name, value) in FLAGS.iter().zip(row.flags) {
            if let Some(v) = value {
                settings.insert((*name).into(), Value::from(v));
            }
        }
        if !settings.is_empty() {
            body.insert("settings".into(), Value::Object(settings));
        }
        Value::Object(body)
    }

    /// The host whose daily quota the row uses, in words.
    /// Whose 100 writes a day the row uses: its host, when the file says (an update
    /// without a host column cannot know it before Zoom's own 429 says so).
    fn holder<'r>(&self, record: &'r StringRecord) -> Option<&'r str> {
        Some(cell(record, self.host)).filter(|h| !h.is_empty())
    }

    async fn create(
        &self,
        client: &Client,
        record: &StringRecord,
        row: &MeetingRow,
    ) -> Result<Outcome, Fatal> {
        let host = cell(record, self.host);
        let topic = cell(record, self.topic);
        let body = self.body(record, row);
        let mut spent = 0u32;
        // Zoom's created_at has whole seconds: a meeting of ours is not older than this.
        let first_attempt = chrono::Utc::now().trunc_subsecs(0);
        for resend in 0..=RESENDS {
            let err = match client.create_meeting(host, body.clone(), host).await {
                Ok(sent) => {
                    return Ok(meeting_outcome(
                        Status::Created,
                        &sent.value,
                        sent.status,
                        sent.attempts.saturating_add(spent),
                    ));
                }
                Err(err) => err,
            };
            let earlier = spent;
            spent = spent.saturating_add(err.attempts());
            if !err.may_have_applied() {
                return failed(&err.with_extra_attempts(earlier), host);
            }
            // The create may have reached Zoom: look before sending it again.
            let start = if row.meeting_type == Some(3) {
                None
            } else {
                row.start
            };
            match client.find_meeting(host, topic, start, first_attempt).await {
                Ok(Some(found)) => {
                    let mut outcome = meeting_outcome(Status::Created, &found, 201, spent);
                    outcome.http_status = err.status();
                    outcome.error_message = Some(format!(
                        "Created: the request ended in \"{err}\", but the host's meetings list this one \
                         (same topic and start time, created since the first attempt)."
                    ));
                    return Ok(outcome);
                }
                Ok(None) if resend < RESENDS => {
                    tracing::debug!(
                        "{host}: create of {topic:?} not listed after \"{err}\"; sending it again"
                    );
                }
                Ok(None) => return failed(&err.with_extra_attempts(earlier), host),
                Err(lookup) => {
                    let mut outcome = failed(&err, host)?;
                    outcome.attempts = spent;
                    outcome.error_message = Some(format!(
                        "{} The meeting may have been created: looking it up failed ({lookup}). Check the \
                         host's meetings in Zoom before re-running this row.",
                        outcome.error_message.unwrap_or_default()
                    ));
                    return Ok(outcome);
                }
            }
        }
        Ok(Outcome {
            error_code: Some("E_INTERNAL".into()),
            ..Outcome::new(Status::Failed)
        })
    }

    async fn update(
        &self,
        client: &Client,
        record: &StringRecord,
        row: &MeetingRow,
    ) -> Result<Outcome, Fatal> {
        let Some(id) = row.meeting_id else {
            return Ok(Outcome::invalid(E_MISSING, "meeting_id is empty."));
        };
        // Without a host column, a daily-limit 429 is known per meeting only.
        let holder = self
            .holder(record)
            .map_or_else(|| format!("meeting {id}"), str::to_string);
        let sent = match client.update_meeting(id, self.body(record, row), &holder).await {
            Ok(sent) => sent,
            Err(err) => return failed(&err, &holder),
        };
        // The join URL for the results; the update stands whatever this answers.
        let (join_url, extra) = match client.get_meeting(id).await {
            Ok(found) => (found.value.join_url, found.attempts),
            Err(err) => (None, err.attempts()),
        };
        Ok(Outcome {
            zoom_id: Some(id.to_string()),
            http_status: Some(sent.status),
            attempts: sent.attempts + extra,
            ..Outcome::new(Status::Updated)
        }
        .with_extra(JOIN_URL, join_url))
    }
}

/// Zoom's `yyyy-MM-ddTHH:mm:ssZ`.
fn zoom_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Occurrences between `start` and `until`, roughly (months as 30 days).
fn occurrences_until(r: &Recurrence, start: DateTime<Utc>, until: DateTime<Utc>) -> u64 {
    let days = u64::try_from((until - start).num_days()).unwrap_or(0);
    let interval = u64::from(r.interval.max(1));
    match r.kind {
        1 => days / interval + 1,
        2 => {
            let per_week = r
                .weekly_days
                .as_deref()
                .map_or(1, |d| d.split(',').count() as u64);
            (days / (7 * interval) + 1) * per_week
        }
        _ => days / (30 * interval) + 1,
    }
}

const JOIN_URL: &str = "join_url";
const MEETING_ID: &str = "meeting_id";

fn meeting_outcome(status: Status, m: &CreatedMeeting, http: u16, attempts: u32) -> Outcome {
    Outcome {
        zoom_id: Some(m.id.to_string()),
        http_status: Some(http),
        attempts,
        ..Outcome::new(status)
    }
    .with_extra(MEETING_ID, Some(m.id.to_string()))
    .with_extra(JOIN_URL, m.join_url.clone())
}

/// The row's outcome for `err`, with advice for the codes a host meets.
fn failed(err: &ApiError, host: &str) -> Result<Outcome, Fatal> {
    let mut outcome = outcome_for_error(err)?;
    let advice = match err.code() {
        Some(1001) => format!("Zoom has no user {host}: check the host column."),
        Some(3161) => format!("{host} is not allowed to host meetings (Zoom 3161)."),
        Some(3001) => "Zoom has no such meeting: check the meeting_id column.".to_string(),
        Some(3000) if outcome.status == Status::Failed => {
            "Zoom refused the registration settings; registration needs a Licensed host.".to_string()
        }
        _ => return Ok(outcome),
    };
    let zoom = outcome.error_message.take().unwrap_or_default();
    outcome.error_message = Some(format!("{advice} (Zoom: {zoom})"));
    Ok(outcome)
}

/// An optional cell checked by `check` when it has a value.
fn optional<T>(
    value: &str,
    check: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    if value.is_empty() {
        Ok(None)
    } else {
        check(value).map(Some)
    }
}

impl<const UPDATE: bool> Job for MeetingsJob<UPDATE> {
    type Row = MeetingRow;
    type BatchKey = ();
    /// An update's input already has `meeting_id`: its results add only the link.
    const EXTRA_COLUMNS: &'static [&'static str] = if UPDATE {
        &[JOIN_URL]
    } else {
        &[MEETING_ID, JOIN_URL]
    };
    const KIND: &'static str = if UPDATE {
        "meetings-update"
    } else {
        "meetings-import"
    };
    const KEY_NAME: &'static str = if UPDATE {
        "meeting_id"
    } else {
        "host, topic and start_time"
    };

    fn columns() -> &'static [ColumnSpec] {
        if UPDATE { UPDATE_COLUMNS } else { IMPORT_COLUMNS }
    }

    fn parse(&self, record: &StringRecord) -> Result<MeetingRow, FieldError> {
        let host = cell(record, self.host);
        if host.contains('@') {
            validate::email(host)?;
        } else if !UPDATE && host.is_empty() {
            return Err(FieldError::new(
                E_MISSING,
                "host is empty; give the host's email or Zoom user id.",
            ));
        } else {
            validate::text("host", host)?;
        }
        let meeting_id = if UPDATE {
            match cell(record, self.meeting_id) {
                "" => {
                    return Err(FieldError::new(
                        E_MISSING,
                        "meeting_id is empty; give the id of the meeting to change.",
                    ));
                }
                v => Some(meeting_number(v)?),
            }
        } else {
            None
        };
        let topic = cell(record, self.topic);
        if topic.is_empty() && !UPDATE {
            return Err(FieldError::new(
                E_MISSING,
                "topic is empty; give the meeting's topic.",
            ));
        }
        validate::text("topic", topic)?;
        rules::length("topic", topic, TOPIC_MAX)?;
        let agenda = cell(record, self.agenda);
        validate::multiline_text("agenda", agenda)?;
        rules::length("agenda", agenda, AGENDA_MAX)?;
        let password = cell(record, self.password);
        if !password.is_empty() {
            validate::text("password", password)?;
            if password.chars().count() > MEETING_PASSWORD_MAX {
                return Err(FieldError::new(
                    E_VALUE,
                    format!("password is longer than {MEETING_PASSWORD_MAX} characters; Zoom refuses it."),
                ));
            }
        }
        let recurring = self.recurrence_cells(record).iter().any(|(_, v)| !v.is_empty());
        let meeting_type = match cell(record, self.meeting_type) {
            "" if UPDATE => None,
            "" => Some(if recurring { 8 } else { 2 }),
            v => Some(rules::meeting_type(v)?),
        };
        let tz = optional(cell(record, self.timezone), rules::timezone)?;
        let start_cell = cell(record, self.start_time);
        let start = optional(start_cell, |v| rules::start_time(v, tz))?;
        if let Some(s) = start {
            rules::future(s, start_cell, Utc::now())?;
        } else if matches!(meeting_type, Some(2 | 8)) && !UPDATE {
            return Err(FieldError::new(
                E_MISSING,
                "start_time is empty; a scheduled meeting needs its start, e.g. 2026-09-01T09:00:00 with a \
                 timezone column.",
            ));
        }
        let recurrence = match meeting_type {
            Some(8) => Some(self.recurrence(record, start, tz)?),
            None if recurring => Some(self.recurrence(record, start, tz)?),
            _ if recurring => {
                let (name, _) = self
                    .recurrence_cells(record)
                    .into_iter()
                    .find(|(_, v)| !v.is_empty())
                    .unwrap_or(("recurrence_type", ""));
                return Err(FieldError::new(
                    E_VALUE,
                    format!(
                        "{name} is set but type is not 8; recurrence applies to recurring meetings with a \
                         fixed time (type 8)."
                    ),
                ));
            }
            _ => None,
        };
        let duration = optional(cell(record, self.duration), |v| {
            rules::number("duration", v, 1, DURATION_MAX)
        })?;
        let approval_type = optional(cell(record, self.approval_type), rules::approval_type)?;
        let registration_type = optional(cell(record, self.registration_type), |v| {
            rules::number("registration_type", v, 1, 3).map(|n| u8::try_from(n).unwrap_or(1))
        })?;
        if registration_type.is_some() && meeting_type.is_some_and(|t| t != 8) {
            return Err(FieldError::new(
                E_VALUE,
                "registration_type applies to recurring meetings with a fixed time (type 8) only; clear it.",
            ));
        }
        let auto_recording = optional(cell(record, self.auto_recording), rules::auto_recording)?;
        let mut flags = [None; 3];
        for ((slot, name), index) in flags.iter_mut().zip(FLAGS).zip(self.flags) {
            *slot = optional(cell(record, index), |v| rules::flag(name, v))?;
        }
        Ok(MeetingRow {
            meeting_id,
            meeting_type,
            start,
            tz,
            duration,
            recurrence,
            approval_type,
            registration_type,
            auto_recording,
            flags,
        })
    }

    fn duplicate_key(&self, record: &StringRecord, row: &MeetingRow, key: &mut DuplicateKey) -> bool {
        if let Some(id) = row.meeting_id {
            key.number(id);
            return true;
        }
        key.folded(cell(record, self.host))
            .exact(cell(record, self.topic));
        key.number(row.start.map_or(0, |s| u64::try_from(s.timestamp()).unwrap_or(0)));
        true
    }

    fn request_counts(&self, _record: &StringRecord, _row: &MeetingRow) -> [u32; 3] {
        // Create: one Medium request. Update: the PATCH and the GET of the join URL (Light).
        if UPDATE { [2, 0, 0] } else { [0, 1, 0] }
    }

    fn daily_cap(&self, record: &StringRecord, _row: &MeetingRow) -> Option<CapUse> {
        self.holder(record)
            .map(|host| CapUse::holder(DailyCap::MeetingWrites, host))
    }

    fn cap_holder(&self, record: &StringRecord, _row: &MeetingRow) -> String {
        self.holder(record)
            .map_or_else(|| "the meeting's host".into(), |h| format!("host {h}"))
    }

    fn key_column(&self) -> Option<usize> {
        if UPDATE { self.meeting_id } else { self.host }
    }

    fn secret_columns(&self) -> Vec<usize> {
        self.password.into_iter().collect()
    }

    fn describe(&self, record: &StringRecord, row: &MeetingRow) -> String {
        let fields: Vec<String> = match self.body(record, row) {
            Value::Object(map) => map.keys().cloned().collect(),
            _ => Vec::new(),
        };
        match row.meeting_id {
            Some(id) if UPDATE => format!("PATCH /meetings/{id} ({})", fields.join(", ")),
            _ => format!(
                "POST /users/{}/meetings topic {} start {} ({})",
                cell(record, self.host),
                quoted(cell(record, self.topic)),
                row.start.map_or_else(|| "none".to_string(), zoom_time),
                fields.join(", ")
            ),
        }
    }

    async fn run_row(
        &self,
        client: &Client,
        record: &StringRecord,
        row: MeetingRow,
    ) -> Result<Outcome, Fatal> {
        if UPDATE {
            self.update(client, record, &row).await
        } else {
            self.create(client, record, &row).await
        }
    }
}

/// A meeting id as people copy it (`812 3456 7890`).
fn meeting_number(value: &str) -> Result<u64, FieldError> {
    crate::zoom::meetings::PastMeeting::parse(value)
        .ok()
        .and_then(|m| match m {
            crate::zoom::meetings::PastMeeting::Id(id) => Some(id),
            crate::zoom::meetings::PastMeeting::Uuid(_) => None,
        })
        .ok_or_else(|| {
            FieldError::new(
                E_VALUE,
                format!(
                    "meeting_id {} is not a Zoom meeting id; use its digits, e.g. 812 3456 7890.",
                    quoted(value)
                ),
            )
        })
}
