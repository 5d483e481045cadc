//! `zoombulk participants export`: who attended, one row per participant session
//! (or per person with `--per-person`), from Zoom's participant reports (Heavy).
//!
//! `--from/--to` lists every user's past meetings (Medium), each meeting's ended
//! instances (Medium), and reads one report per instance (Heavy), the stages
//! overlapping so the Heavy limiter stays busy (a few hosts' listings read
//! ahead); at most [`REPORTS_IN_FLIGHT`]
//! instances are held at once, so memory does not grow with the number of
//! meetings. A meeting that cannot be read (deleted, older than a year, a host
//! without reports, the daily Heavy pool used up) is a row with a `note`, not
//! the end of the export.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use futures::{Stream, StreamExt, TryStreamExt, stream};
use serde_json::Value;

use super::{ExportError, Plan, Report, Table, columns, run_export, text};
use crate::app::Context;
use crate::app::{Exit, RunError};
use crate::cli::meetings::ParticipantsArgs as Args;
use crate::pipeline::job::reset_text;
use crate::zoom::meetings::PastMeeting;
use crate::zoom::reports::{self, TOO_OLD};
use crate::zoom::{ApiError, Call, Category, Client};

/// Reports fetched at once (each holds one instance's participants until written).
pub const REPORTS_IN_FLIGHT: usize = 32;
/// Instance listings read ahead of the reports.
const INSTANCES_IN_FLIGHT: usize = 32;
/// Hosts' meeting listings read ahead (each held until its meetings are through).
const HOST_LISTINGS_IN_FLIGHT: usize = 4;
/// `previous_meetings` reaches this far back (FACTS: at most 6 months of data).
const LISTING_REACH_MONTHS: u32 = 6;

/// With `--from` further back than Zoom lists past meetings, what the range misses.
fn listing_reach_note(from: Option<NaiveDate>, today: NaiveDate) -> Option<String> {
    let reach = today.checked_sub_months(chrono::Months::new(LISTING_REACH_MONTHS))?;
    (from? < reach).then(|| {
        format!(
            "Zoom lists past meetings only {LISTING_REACH_MONTHS} months back: meetings that started before \
             {reach} are not in this range; export each of them with --meeting ID (reports reach a year)"
        )
    })
}

pub const SESSION_COLUMNS: &[&str] = &[
    "meeting_id",
    "meeting_uuid",
    "topic",
    "start_time",
    "participant_id",
    "name",
    "email",
    "join_time",
    "leave_time",
    "duration",
    "status",
    "note",
];
pub const PERSON_COLUMNS: &[&str] = &[
    "meeting_id",
    "meeting_uuid",
    "topic",
    "start_time",
    "participant_id",
    "name",
    "email",
    "sessions",
    "first_join",
    "last_leave",
    "duration",
    "note",
];
pub const ABSENTEE_COLUMNS: &[&str] = &[
    "meeting_id",
    "meeting_uuid",
    "registrant_id",
    "email",
    "first_name",
    "last_name",
    "org",
    "job_title",
    "create_time",
    "note",
];
const TEXT_COLUMNS: &[&str] = &[
    "topic",
    "name",
    "first_name",
    "last_name",
    "org",
    "job_title",
    "note",
];
const NUMBER_COLUMNS: &[&str] = &["duration", "sessions"];

/// One meeting instance to report on, with what the listing said about it.
#[derive(Debug, Clone, Default)]
struct Instance {
    meeting_id: String,
    uuid: String,
    topic: String,
    start_time: String,
    /// Why it is not read (set before the report: the pool was already used up).
    note: Option<Note>,
}

/// Why a meeting has no participant rows.
#[derive(Debug, Clone, PartialEq)]
struct Note {
    text: String,
    /// Needs attention (deferred or failed): the export exits 3.
    problem: bool,
    kind: &'static str,
}

impl Note {
    fn new(kind: &'static str, problem: bool, text: String) -> Note {
        Note { text, problem, kind }
    }
}

/// A report's participants, or why there are none.
type Fetched = (Instance, Result<Vec<Value>, Note>);

pub async fn command(args: &Args, ctx: &Context) -> Result<Exit, RunError> {
    let names = if args.absentees {
        ABSENTEE_COLUMNS
    } else if args.per_person {
        PERSON_COLUMNS
    } else {
        SESSION_COLUMNS
    };
    run_export(
        ctx,
        "participants export",
        &columns(names, TEXT_COLUMNS, NUMBER_COLUMNS),
        async |client| plan(client, args).await,
        async |client, table: &mut Table| {
            let mut report = Report::default();
            let mut notes: HashMap<&'static str, u64> = HashMap::new();
            let fetched = fetch(client, args);
            let mut fetched = std::pin::pin!(fetched);
            while let Some((instance, result)) = fetched.try_next().await? {
                match result {
                    Ok(items) if args.absentees => {
                        for r in &items {
                            table.row(&absentee_row(&instance, r))?;
                        }
                    }
                    Ok(items) if args.per_person => {
                        for row in per_person(&instance, &items) {
                            table.row(&row)?;
                        }
                    }
                    Ok(items) => {
                        for p in &items {
                            table.row(&session_row(&instance, p))?;
                        }
                    }
                    Err(note) => {
                        report.problems += u64::from(note.problem);
                        *notes.entry(note.kind).or_default() += 1;
                        table.row(&note_row(&instance, &note, names.len()))?;
                    }
                }
            }
            let mut kinds: Vec<_> = notes.into_iter().collect();
            kinds.sort();
            for (kind, n) in kinds {
                report
                    .lines
                    .push(format!("{n} meetings {kind} (see the note column)"));
            }
            if args.meeting.is_none() && args.webinar.is_none() {
                report
                    .lines
                    .extend(listing_reach_note(args.from, Utc::now().date_naive()));
            }
            Ok::<_, ExportError>(report)
        },
    )
    .await
}

/// The instances to read and their reports, in order.
fn fetch<'a>(client: &'a Client, args: &'a Args) -> impl Stream<Item = Result<Fetched, ExportError>> + 'a {
    let absentees = args.absentees;
    let single = |target: &PastMeeting| {
        let (id, uuid) = match target {
            PastMeeting::Id(id) => (id.to_string(), String::new()),
            PastMeeting::Uuid(u) => (String::new(), u.clone()),
        };
        Instance {
            meeting_id: id,
            uuid,
            ..Instance::default()
        }
    };
    let instances: stream::BoxStream<'a, Result<(Instance, Call, &'static str), ExportError>> =
        match (&args.meeting, &args.webinar) {
            (Some(m), _) => {
                stream::iter([Ok((single(m), reports::meeting_participants(m), "participants"))]).boxed()
            }
            (None, Some(w)) if absentees => {
                stream::iter([Ok((single(w), reports::webinar_absentees(w), "registrants"))]).boxed()
            }
            (None, Some(w)) => {
                stream::iter([Ok((single(w), reports::webinar_participants(w), "participants"))]).boxed()
            }
            (None, None) => range_instances(client, args)
                .map_ok(|i| {
                    let call = reports::meeting_participants(&PastMeeting::Uuid(i.uuid.clone()));
                    (i, call, "participants")
                })
                .boxed(),
        };
    instances
        .map_ok(move |(instance, call, key)| async move {
            if let Some(note) = instance.note.clone() {
                return Ok((instance, Err(note)));
            }
            let items = if key == "participants" {
                client.participants(call).await
            } else {
                client.all_pages(call, key).await
            };
            match items {
                Ok(items) => Ok((instance, Ok(items))),
                Err(err) => note_for(&err).map(|note| (instance, Err(note))),
            }
        })
        .try_buffered(REPORTS_IN_FLIGHT)
}

/// Every ended instance of every listed past meeting within the range.
fn range_instances<'a>(
    client: &'a Client,
    args: &'a Args,
) -> impl Stream<Item = Result<Instance, ExportError>> + 'a {
    let (from, to) = (args.from.unwrap_or_default(), args.to.unwrap_or_default());
    // Hosts' listings are read a few ahead, so the instance and report stages never
    // wait for the next host's first page.
    let meetings = stream::once(super::meetings::hosts(client, args.user.as_deref()))
        .map_ok(|hosts| stream::iter(hosts.into_iter().map(Ok::<_, ApiError>)))
        .try_flatten()
        .map_ok(move |(id, _)| async move { client.all_pages(past_listing(&id, from, to), "meetings").await })
        .try_buffered(HOST_LISTINGS_IN_FLIGHT)
        .map_ok(|list| stream::iter(list.into_iter().map(Ok::<_, ApiError>)))
        .try_flatten();
    meetings
        .map_err(ExportError::from)
        .map_ok(move |m| async move { instances_of(client, &m, from, to).await })
        .try_buffered(INSTANCES_IN_FLIGHT)
        .map_ok(|list| stream::iter(list.into_iter().map(Ok)))
        .try_flatten()
}

fn past_listing(host: &str, from: NaiveDate, to: NaiveDate) -> Call {
    super::meetings::listing(host, "previous_meetings")
        .query("from", from.to_string())
        .query("to", to.to_string())
}

/// The meeting's ended instances that started within `from..=to` (UTC days).
async fn instances_of(
    client: &Client,
    m: &Value,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Instance>, ExportError> {
    let meeting_id = text(m.get("id"));
    let base = Instance {
        meeting_id: meeting_id.clone(),
        topic: text(m.get("topic")),
        ..Instance::default()
    };
    // The Heavy pool is gone: every report would be refused, so none is asked for.
    if let Some(note) = heavy_pool_note(client) {
        return Ok(vec![Instance {
            note: Some(note),
            ..base
        }]);
    }
    let Ok(id) = meeting_id.parse::<u64>() else {
        // Never dropped silently: the row says why it has no participants.
        return Ok(vec![Instance {
            note: Some(Note::new(
                "failed",
                true,
                format!(
                    "failed: Zoom listed this meeting with id {meeting_id:?}, not a number, so its sessions cannot be asked for."
                ),
            )),
            ..base
        }]);
    };
    let listed = match client.all_pages(reports::meeting_instances(id), "meetings").await {
        Ok(list) => list,
        Err(err) => {
            let note = note_for(&err)?;
            return Ok(vec![Instance {
                note: Some(note),
                ..base
            }]);
        }
    };
    let in_range = |start: &str| {
        DateTime::parse_from_rfc3339(start)
            .map(|t| {
                let day = t.with_timezone(&Utc).date_naive();
                from <= day && day <= to
            })
            .unwrap_or(false)
    };
    let mut out: Vec<Instance> = listed
        .iter()
        .map(|i| (text(i.get("uuid")), text(i.get("start_time"))))
        .filter(|(uuid, start)| !uuid.is_empty() && in_range(start))
        .map(|(uuid, start_time)| Instance {
            uuid,
            start_time,
            ..base.clone()
        })
        .collect();
    out.sort_by(|a, b| a.start_time.cmp(&b.start_time).then_with(|| a.uuid.cmp(&b.uuid)));
    Ok(out)
}

/// A note for every meeting once Zoom said the daily Heavy pool is used up.
fn heavy_pool_note(client: &Client) -> Option<Note> {
    client
        .exhausted_daily_limits()
        .into_iter()
        .find(|(scope, _)| scope == Category::Heavy.as_str())
        .map(|(_, reset)| deferred_note(reset))
}

fn deferred_note(reset: Option<DateTime<Utc>>) -> Note {
    Note::new(
        "deferred",
        true,
        format!(
            "deferred: Zoom's daily Heavy pool is used up, so this report was not asked for; export this \
             meeting again after {}.",
            reset_text(reset)
        ),
    )
}

/// What a report's error means for its meeting; `Err` when the export must stop
/// (credentials, a missing scope, the network).
fn note_for(err: &ApiError) -> Result<Note, ExportError> {
    match err {
        ApiError::DailyLimit { reset_at, .. } => Ok(deferred_note(*reset_at)),
        ApiError::Zoom {
            status: 404,
            code,
            message,
            ..
        } => Ok(Note::new(
            "not found",
            false,
            format!(
                "not found: Zoom has no ended meeting by this id or UUID (deleted, not ended, or expired) \
                 ({}: {message})",
                code.map_or_else(|| "404".to_string(), |c| format!("404/{c}"))
            ),
        )),
        e if e.code() == Some(TOO_OLD) => Ok(Note::new(
            "too old",
            false,
            format!("too old: Zoom keeps reports for a year ({e})"),
        )),
        ApiError::Zoom {
            status: 400,
            code: Some(200),
            message,
            ..
        } => Ok(Note::new(
            "without reports",
            false,
            format!(
                "no report: Zoom gives no participant report for this meeting (the host is not \
                 licensed, or the account has no reports) (400/200: {message})"
            ),
        )),
        ApiError::Zoom {
            status: 400,
            code: Some(4711),
            ..
        } => Err(ExportError::Api(err.clone())),
        ApiError::Zoom {
            status: 400..=499, ..
        } => Ok(Note::new("failed", true, format!("failed: {err}"))),
        _ => Err(ExportError::Api(err.clone())),
    }
}

fn meeting_cells(i: &Instance) -> Vec<String> {
    vec![
        i.meeting_id.clone(),
        i.uuid.clone(),
        i.topic.clone(),
        i.start_time.clone(),
    ]
}

/// `head` followed by the cells of `item` for `keys`, and an empty note.
fn item_row(mut head: Vec<String>, item: &Value, keys: &[&str]) -> Vec<String> {
    head.extend(keys.iter().map(|k| text(item.get(*k))));
    head.push(String::new());
    head
}

fn session_row(i: &Instance, p: &Value) -> Vec<String> {
    const KEYS: [&str; 7] = [
        "id",
        "name",
        "user_email",
        "join_time",
        "leave_time",
        "duration",
        "status",
    ];
    item_row(meeting_cells(i), p, &KEYS)
}

fn absentee_row(i: &Instance, r: &Value) -> Vec<String> {
    const KEYS: [&str; 7] = [
        "id",
        "email",
        "first_name",
        "last_name",
        "org",
        "job_title",
        "create_time",
    ];
    item_row(vec![i.meeting_id.clone(), i.uuid.clone()], r, &KEYS)
}

fn note_row(i: &Instance, note: &Note, width: usize) -> Vec<String> {
    let mut row = if width == ABSENTEE_COLUMNS.len() {
        vec![i.meeting_id.clone(), i.uuid.clone()]
    } else {
        meeting_cells(i)
    };
    row.resize(width.saturating_sub(1), String::new());
    row.push(note.text.clone());
    row
}

/// Who a participant record is: the email, else the signed-in user id, else the name.
fn person_key(p: &Value) -> String {
    let email = text(p.get("user_email"));
    if !email.is_empty() {
        return format!("e:{}", email.to_lowercase());
    }
    let id = text(p.get("id"));
    if !id.is_empty() {
        return format!("i:{id}");
    }
    format!("n:{}", text(p.get("name")))
}

/// Seconds covered by the union of `spans` (join, leave as Unix seconds):
/// sessions of one person can overlap (a second device, a failover), and time
/// in the meeting is counted once.
fn covered_seconds(spans: &mut [(i64, i64)]) -> u64 {
    spans.sort_unstable();
    let mut total: u64 = 0;
    let mut current: Option<(i64, i64)> = None;
    for &(start, end) in spans.iter() {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total = total.saturating_add(u64::try_from(e.saturating_sub(s)).unwrap_or(0));
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        total = total.saturating_add(u64::try_from(e.saturating_sub(s)).unwrap_or(0));
    }
    total
}

/// A session's (join, leave) as Unix seconds, when Zoom gave both.
fn span(p: &Value) -> Option<(i64, i64)> {
    let at = |field| {
        chrono::DateTime::parse_from_rfc3339(p.get(field)?.as_str()?)
            .ok()
            .map(|t| t.timestamp())
    };
    let (join, leave) = (at("join_time")?, at("leave_time")?);
    (leave >= join).then_some((join, leave))
}

/// One row per person of the instance, in order of first appearance: sessions,
/// first join, last leave, and the time in the meeting (overlapping sessions
/// counted once; Zoom's summed `duration` when a session lacks its times).
fn per_person(i: &Instance, participants: &[Value]) -> Vec<Vec<String>> {
    struct Person {
        id: String,
        name: String,
        email: String,
        sessions: u64,
        first_join: String,
        last_leave: String,
        duration: u64,
        spans: Vec<(i64, i64)>,
        all_timed: bool,
    }
    let mut order: Vec<String> = Vec::new();
    let mut people: HashMap<String, Person> = HashMap::new();
    for p in participants {
        let key = person_key(p);
        let join = text(p.get("join_time"));
        let leave = text(p.get("leave_time"));
        let duration = p.get("duration").and_then(Value::as_u64).unwrap_or(0);
        let person = people.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            Person {
                id: text(p.get("id")),
                name: text(p.get("name")),
                email: text(p.get("user_email")),
                sessions: 0,
                first_join: join.clone(),
                last_leave: leave.clone(),
                duration: 0,
                spans: Vec::new(),
                all_timed: true,
            }
        });
        person.sessions += 1;
        person.duration = person.duration.saturating_add(duration);
        match span(p) {
            Some(s) => person.spans.push(s),
            None => person.all_timed = false,
        }
        // Zoom's times are all `yyyy-MM-ddTHH:mm:ssZ`: text order is time order.
        // A session without a join time never hides the others' earliest.
        if !join.is_empty() && (person.first_join.is_empty() || join < person.first_join) {
            person.first_join = join;
        }
        if leave > person.last_leave {
            person.last_leave = leave;
        }
    }
    for p in people.values_mut() {
        if p.all_timed {
            p.duration = covered_seconds(&mut p.spans);
        }
    }
    order
        .iter()
        .filter_map(|k| people.get(k))
        .map(|p| {
            let mut row = meeting_cells(i);
            row.extend([
                p.id.clone(),
                p.name.clone(),
                p.email.clone(),
                p.sessions.to_string(),
                p.first_join.clone(),
                p.last_leave.clone(),
                p.duration.to_string(),
                String::new(),
            ]);
            row
        })
        .collect()
}

/// `--dry-run`: what the export would ask, and how much of the daily Heavy pool.
async fn plan(client: &Client, args: &Args) -> Result<Plan, ExportError> {
    let pool = client.rates().daily_heavy;
    let mut plan = Plan::default();
    let heavy = if args.from.is_some() {
        let (from, to) = (args.from.unwrap_or_default(), args.to.unwrap_or_default());
        let hosts = super::meetings::hosts(client, args.user.as_deref()).await?;
        let mut meetings = 0u64;
        for (id, _) in &hosts {
            meetings += client
                .all_pages(past_listing(id, from, to), "meetings")
                .await?
                .len() as u64;
        }
        plan.calls.push((
            hosts.len() as u64,
            "GET /users/{userId}/meetings?type=previous_meetings (per host)".into(),
            Category::Medium,
        ));
        plan.calls.push((
            meetings,
            "GET /past_meetings/{meetingId}/instances".into(),
            Category::Medium,
        ));
        plan.notes.push(format!(
            "{} hosts, {meetings} past meetings listed (read to count them); a recurring meeting has one \
             report per instance",
            hosts.len()
        ));
        plan.notes
            .extend(listing_reach_note(args.from, Utc::now().date_naive()));
        meetings
    } else {
        1
    };
    plan.calls.push((
        heavy,
        "GET /report/…/participants or /past_webinars/…/absentees (at least one per meeting)".into(),
        Category::Heavy,
    ));
    let over = heavy.saturating_sub(u64::from(pool));
    plan.notes.push(format!(
        "would use at least {heavy} of the account's daily Heavy pool of {pool} (this plan; shared with \
         every app and with Resource-intensive calls){}",
        if over > 0 {
            format!(": at least {over} meetings would be deferred until 00:00 UTC (a note row each)")
        } else {
            String::new()
        }
    ));
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_further_back_than_zoom_lists_says_what_it_misses() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let note = listing_reach_note(NaiveDate::from_ymd_opt(2026, 1, 1), today).unwrap();
        assert!(note.contains("before 2026-06-02"), "{note}");
        assert!(note.contains("--meeting ID"), "{note}");
        assert_eq!(
            listing_reach_note(NaiveDate::from_ymd_opt(2026, 6, 2), today),
            None
        );
        assert_eq!(listing_reach_note(None, today), None);
    }
    use serde_json::json;

    #[tokio::test]
    async fn a_listed_meeting_without_a_numeric_id_is_a_failed_row_not_dropped() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let listed = json!({"id": "abc", "topic": "Odd"});
        let found = instances_of(&Client::offline(), &listed, day, day).await.unwrap();
        assert_eq!(found.len(), 1);
        let note = found[0].note.as_ref().unwrap();
        assert!(
            note.problem && note.text.contains("not a number"),
            "{}",
            note.text
        );
        assert_eq!(found[0].topic, "Odd");
    }

    #[test]
    fn sessions_roll_up_per_person() {
        let i = Instance {
            meeting_id: "81234567890".into(),
            uuid: "u==".into(),
            ..Instance::default()
        };
        let ps = [
            json!({"id": "", "name": "Ada", "user_email": "ada@x.org", "join_time": "2026-01-01T10:05:00Z", "leave_time": "2026-01-01T10:20:00Z", "duration": 900}),
            json!({"id": "", "name": "Bob", "user_email": "", "join_time": "2026-01-01T10:00:00Z", "leave_time": "2026-01-01T10:30:00Z", "duration": 1800}),
            json!({"id": "", "name": "Ada L", "user_email": "ADA@x.org", "join_time": "2026-01-01T10:00:00Z", "leave_time": "2026-01-01T10:04:00Z", "duration": 240}),
        ];
        let rows = per_person(&i, &ps);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][6], "ada@x.org");
        assert_eq!(rows[0][7], "2", "two sessions");
        assert_eq!(rows[0][8], "2026-01-01T10:00:00Z", "first join");
        assert_eq!(rows[0][9], "2026-01-01T10:20:00Z", "last leave");
        assert_eq!(rows[0][10], "1140");
        assert_eq!(rows[1][5], "Bob");
    }

    #[test]
    fn overlapping_sessions_count_once() {
        let i = Instance::default();
        let ps = [
            json!({"id": "h", "name": "Hiroshi", "user_email": "h@x.org", "join_time": "2026-01-01T03:31:00Z", "leave_time": "2026-01-01T03:52:00Z", "duration": 1260}),
            json!({"id": "h", "name": "Hiroshi", "user_email": "h@x.org", "join_time": "2026-01-01T03:31:00Z", "leave_time": "2026-01-01T03:54:00Z", "duration": 1380}),
            json!({"id": "h", "name": "Hiroshi", "user_email": "h@x.org", "join_time": "2026-01-01T03:53:00Z", "leave_time": "2026-01-01T04:01:00Z", "duration": 480}),
        ];
        let rows = per_person(&i, &ps);
        assert_eq!(rows[0][7], "3", "three sessions");
        assert_eq!(rows[0][10], "1800", "03:31 to 04:01 once, not 3120 summed");
        // A session without times: Zoom's durations are summed.
        let ps = [
            json!({"id": "h", "name": "H", "user_email": "h@x.org", "join_time": "2026-01-01T03:31:00Z", "leave_time": "2026-01-01T03:52:00Z", "duration": 1260}),
            json!({"id": "h", "name": "H", "user_email": "h@x.org", "duration": 60}),
        ];
        assert_eq!(per_person(&i, &ps)[0][10], "1320");
        // The session without times comes second: the first join stays the first's.
        assert_eq!(per_person(&i, &ps)[0][8], "2026-01-01T03:31:00Z");
        let ps = [ps[1].clone(), ps[0].clone()];
        assert_eq!(
            per_person(&i, &ps)[0][8],
            "2026-01-01T03:31:00Z",
            "first session untimed"
        );
    }

    #[test]
    fn meeting_errors_are_notes_and_the_rest_stop_the_export() {
        let zoom = |status, code| ApiError::Zoom {
            status,
            code: Some(code),
            message: "m".into(),
            attempts: 1,
            unanswered: false,
        };
        assert_eq!(note_for(&zoom(404, 3001)).unwrap().kind, "not found");
        assert_eq!(note_for(&zoom(400, TOO_OLD)).unwrap().kind, "too old");
        assert_eq!(note_for(&zoom(400, 200)).unwrap().kind, "without reports");
        assert!(note_for(&zoom(400, 4711)).is_err());
        let daily = ApiError::DailyLimit {
            scope: "heavy".into(),
            reset_at: None,
            message: "m".into(),
            status: Some(429),
            attempts: 1,
            unanswered: false,
        };
        let note = note_for(&daily).unwrap();
        assert!(note.problem && note.text.starts_with("deferred"), "{}", note.text);
    }
}
