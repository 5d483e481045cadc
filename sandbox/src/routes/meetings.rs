//! Meetings, webinars and their registrants (single, batch, listing), plus meeting
//! creation with its per-user daily cap.
//!
//! Long on purpose: one file per resource family, like Zoom's own API reference.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Months, NaiveDateTime, Utc};
use serde_json::{Map, Value, json};

use super::{ApiResult, json, json_object, query_map, ts};
use crate::MAX_PAGE_SIZE;
use crate::app::AppState;
use crate::errors::{ApiError, FIELD_INVALID, FIELD_REQUIRED, Problems, meeting_cap_message};
use crate::limits::{Category, daily_error};
use crate::model::{CustomQuestion, Event, EventKind, Occurrence, Registrant, recurring_occurrences};
use crate::pages::page_count;
use crate::store::RegisterError;
use crate::validate::{
    COUNTRIES, Fields, NAME_MAX, NAME_MAX_CHINESE, NO_OF_EMPLOYEES, PURCHASING_TIME_FRAME,
    REGISTRANT_LANGUAGES, ROLE_IN_PURCHASE_PROCESS,
};

/// Registrant fields of `POST /meetings/{id}/registrants` (and the webinar twin).
const REGISTRANT_FIELDS: &[&str] = &[
    "email",
    "first_name",
    "last_name",
    "address",
    "city",
    "state",
    "zip",
    "country",
    "phone",
    "comments",
    "custom_questions",
    "industry",
    "job_title",
    "no_of_employees",
    "org",
    "purchasing_time_frame",
    "role_in_purchase_process",
    "language",
    "auto_approve",
];

/// Batch registration carries only these per registrant (FACTS).
const BATCH_REGISTRANT_FIELDS: &[&str] = &["email", "first_name", "last_name"];
pub const MAX_BATCH: usize = 30;
/// `upcoming*` and `previous_meetings` listings reach this far (FACTS: at most 6 months).
pub const LISTING_REACH_MONTHS: u32 = 6;

/// Top-level fields of `POST /users/{userId}/meetings`.
const MEETING_FIELDS: &[&str] = &[
    "agenda",
    "default_password",
    "duration",
    "password",
    "pre_schedule",
    "recurrence",
    "settings",
    "start_time",
    "template_id",
    "timezone",
    "topic",
    "tracking_fields",
    "type",
    "schedule_for",
];

fn noun(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Meeting => "Meeting",
        EventKind::Webinar => "Webinar",
    }
}

fn not_found(kind: EventKind, raw: &str) -> ApiError {
    ApiError::not_found(3001, format!("{} does not exist: {raw}.", noun(kind)))
}

fn registration_off(kind: EventKind, id: u64) -> ApiError {
    match kind {
        EventKind::Meeting => ApiError::bad_request(3000, "Cannot register for this meeting."),
        EventKind::Webinar => ApiError::bad_request(
            3000,
            format!("This webinar does not have registration as required: {id}."),
        ),
    }
}

fn full(kind: EventKind) -> ApiError {
    ApiError::bad_request(
        3043,
        format!("{} has reached maximum attendee capacity.", noun(kind)),
    )
}

fn find(app: &AppState, kind: EventKind, raw: &str) -> Result<Event, ApiError> {
    raw.parse::<u64>()
        .ok()
        .and_then(|id| app.store.event(kind, id))
        .ok_or_else(|| not_found(kind, raw))
}

fn occurrence_json(o: &Occurrence) -> Value {
    json!({
        "occurrence_id": o.occurrence_id,
        "start_time": ts(o.start_time),
        "duration": o.duration,
        "status": o.status,
    })
}

fn join_url(e: &Event) -> String {
    let tail = &e.uuid[..e.uuid.len().min(10)];
    format!(
        "https://zoom.us/{}/{}?pwd={}",
        if e.kind == EventKind::Meeting { "j" } else { "w" },
        e.id,
        tail
    )
}

fn event_json(app: &AppState, e: &Event) -> Value {
    let host_email = app
        .store
        .user_by_id(&e.host_id)
        .map(|u| u.email)
        .unwrap_or_default();
    let mut v = json!({
        "uuid": e.uuid,
        "id": e.id,
        "host_id": e.host_id,
        "host_email": host_email,
        "topic": e.topic,
        "type": e.event_type,
        "status": "waiting",
        "start_time": ts(e.start_time),
        "duration": e.duration,
        "timezone": e.timezone,
        "agenda": e.agenda,
        "created_at": ts(e.created_at),
        "start_url": format!("https://zoom.us/s/{}?zak=sandbox", e.id),
        "join_url": join_url(e),
        "password": e.password,
        "h323_password": e.password,
        "pstn_password": e.password,
        "encrypted_password": e.uuid,
        "pre_schedule": false,
        "settings": {
            "host_video": false,
            "participant_video": false,
            "join_before_host": false,
            "mute_upon_entry": true,
            "approval_type": e.approval_type,
            "registration_type": e.registration_type,
            "audio": "voip",
            "auto_recording": "cloud",
            "waiting_room": false,
            "registrants_confirmation_email": true,
            "registrants_email_notification": true,
            "meeting_authentication": false,
        },
    });
    if let Some(obj) = v.as_object_mut() {
        if e.is_recurring() {
            obj.insert(
                "occurrences".into(),
                e.occurrences.iter().map(occurrence_json).collect(),
            );
        }
        if e.registration_enabled() {
            let kind = if e.kind == EventKind::Meeting {
                "meeting"
            } else {
                "webinar"
            };
            obj.insert(
                "registration_url".into(),
                json!(format!("https://zoom.us/{kind}/register/{}", e.uuid)),
            );
        }
    }
    v
}

fn summary_json(e: &Event) -> Value {
    json!({
        "uuid": e.uuid,
        "id": e.id,
        "host_id": e.host_id,
        "topic": e.topic,
        "type": e.event_type,
        "start_time": ts(e.start_time),
        "duration": e.duration,
        "timezone": e.timezone,
        "agenda": e.agenda,
        "created_at": ts(e.created_at),
        "join_url": join_url(e),
    })
}

fn registrant_json(r: &Registrant) -> Value {
    json!({
        "id": r.id,
        "email": r.email,
        "first_name": r.first_name,
        "last_name": r.last_name,
        "address": r.address,
        "city": r.city,
        "country": r.country,
        "zip": r.zip,
        "state": r.state,
        "phone": r.phone,
        "industry": r.industry,
        "org": r.org,
        "job_title": r.job_title,
        "purchasing_time_frame": r.purchasing_time_frame,
        "role_in_purchase_process": r.role_in_purchase_process,
        "no_of_employees": r.no_of_employees,
        "comments": r.comments,
        "custom_questions": r.custom_questions,
        "status": r.status,
        "create_time": ts(r.create_time),
        "join_url": r.join_url,
        "participant_pin_code": r.participant_pin_code,
    })
}

pub async fn get_meeting(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let e = find(&app, EventKind::Meeting, &id)?;
    Ok(json(StatusCode::OK, event_json(&app, &e)))
}

pub async fn get_webinar(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let e = find(&app, EventKind::Webinar, &id)?;
    Ok(json(StatusCode::OK, event_json(&app, &e)))
}

// ---- registration -----------------------------------------------------------------------------

fn read_registrant(body: &Map<String, Value>) -> Result<(Registrant, Option<bool>), ApiError> {
    let mut problems = Problems::default();
    let mut f = Fields::new(body, "", &mut problems);
    f.only(REGISTRANT_FIELDS);
    let email = f.email("email", true).unwrap_or_default();
    let first = f
        .name("first_name", NAME_MAX, NAME_MAX_CHINESE, true)
        .unwrap_or_default();
    let last = f
        .name("last_name", NAME_MAX, NAME_MAX_CHINESE, false)
        .unwrap_or_default();
    let mut r = Registrant::new(&email, &first, &last);
    for (key, slot) in [
        ("address", &mut r.address),
        ("city", &mut r.city),
        ("state", &mut r.state),
        ("zip", &mut r.zip),
        ("phone", &mut r.phone),
        ("comments", &mut r.comments),
        ("industry", &mut r.industry),
        ("job_title", &mut r.job_title),
        ("org", &mut r.org),
    ] {
        *slot = f.string(key, None).unwrap_or_default();
    }
    if let Some(country) = f.string("country", None) {
        if !country.is_empty() && !COUNTRIES.contains(&country.as_str()) {
            f.bad("country", FIELD_INVALID);
        }
        r.country = country;
    }
    r.no_of_employees = f.one_of("no_of_employees", NO_OF_EMPLOYEES).unwrap_or_default();
    r.purchasing_time_frame = f
        .one_of("purchasing_time_frame", PURCHASING_TIME_FRAME)
        .unwrap_or_default();
    r.role_in_purchase_process = f
        .one_of("role_in_purchase_process", ROLE_IN_PURCHASE_PROCESS)
        .unwrap_or_default();
    // FACTS: no `""` in the language enum (leave the field out instead).
    r.language = f
        .exactly_one_of("language", REGISTRANT_LANGUAGES)
        .unwrap_or_default();
    if let Some(items) = f.array("custom_questions") {
        for (i, item) in items.iter().enumerate() {
            let title = item.get("title").and_then(Value::as_str);
            let value = item.get("value").and_then(Value::as_str);
            let only_known = item
                .as_object()
                .is_some_and(|o| o.keys().all(|k| k == "title" || k == "value"));
            match (title, value) {
                (Some(t), Some(v)) if only_known && !t.is_empty() && v.chars().count() <= 128 => {
                    r.custom_questions.push(CustomQuestion {
                        title: t.to_string(),
                        value: v.to_string(),
                    })
                }
                _ => f.bad(&format!("custom_questions[{i}]"), FIELD_INVALID),
            }
        }
    }
    let auto_approve = f.boolean("auto_approve");
    problems.into_result()?;
    Ok((r, auto_approve))
}

/// The occurrences a registration covers (recurring events only).
fn chosen_occurrences(
    e: &Event,
    query: &std::collections::HashMap<String, String>,
) -> Result<Vec<Occurrence>, ApiError> {
    if !e.is_recurring() {
        return Ok(Vec::new());
    }
    let Some(ids) = query
        .get("occurrence_ids")
        .map(String::as_str)
        .filter(|s| !s.is_empty())
    else {
        return Ok(e.occurrences.clone());
    };
    let mut out = Vec::new();
    for id in ids.split(',').map(str::trim) {
        match e.occurrences.iter().find(|o| o.occurrence_id == id) {
            Some(o) => out.push(o.clone()),
            None => return Err(ApiError::invalid_parameter("occurrence_ids")),
        }
    }
    Ok(out)
}

fn initial_status(e: &Event, auto_approve: Option<bool>) -> &'static str {
    if e.approval_type == 1 && auto_approve != Some(true) {
        "pending"
    } else {
        "approved"
    }
}

async fn register(
    app: AppState,
    kind: EventKind,
    raw_id: String,
    raw_query: Option<String>,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    let e = find(&app, kind, &raw_id)?;
    if !e.registration_enabled() {
        return Err(registration_off(kind, e.id));
    }
    let (mut r, auto_approve) = read_registrant(&body)?;
    let query = query_map(raw_query);
    let occurrences = chosen_occurrences(&e, &query)?;
    r.status = initial_status(&e, auto_approve).to_string();
    r.create_time = Utc::now();
    r.occurrence_ids = occurrences.iter().map(|o| o.occurrence_id.clone()).collect();
    let (r, _created) = match app.store.register(e.id, r) {
        Ok(done) => done,
        Err(RegisterError::Full) => return Err(full(kind)),
        Err(RegisterError::NoEvent) => return Err(not_found(kind, &raw_id)),
    };
    let occurrences: Vec<Value> = e
        .occurrences
        .iter()
        .filter(|o| r.occurrence_ids.contains(&o.occurrence_id))
        .map(occurrence_json)
        .collect();
    Ok(json(
        StatusCode::CREATED,
        json!({
            "id": e.id,
            "registrant_id": r.id,
            "join_url": r.join_url,
            "start_time": ts(e.start_time),
            "topic": e.topic,
            "occurrences": occurrences,
            "participant_pin_code": r.participant_pin_code,
        }),
    ))
}

pub async fn register_meeting(
    State(app): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult {
    register(app, EventKind::Meeting, id, q, body).await
}

pub async fn register_webinar(
    State(app): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult {
    register(app, EventKind::Webinar, id, q, body).await
}

async fn batch(app: AppState, kind: EventKind, raw_id: String, body: Bytes) -> ApiResult {
    let body = json_object(&body)?;
    let e = find(&app, kind, &raw_id)?;
    match kind {
        EventKind::Meeting if e.event_type != 2 => {
            return Err(ApiError::bad_request(
                303,
                "This API can only be used for scheduled meeting(meeting type: 2). Batch registration is not supported for other meeting types.",
            ));
        }
        EventKind::Webinar if e.event_type != 5 => {
            return Err(ApiError::bad_request(
                300,
                "This API can only be used for scheduled webinars (type 5). Batch registration is not supported for other webinar types.",
            ));
        }
        _ => {}
    }
    if !e.registration_enabled() {
        let noun = if kind == EventKind::Meeting {
            "meeting"
        } else {
            "webinar"
        };
        return Err(ApiError::bad_request(
            3000,
            format!("Registration has not been enabled for this {noun}: {}.", e.id),
        ));
    }
    let mut problems = Problems::default();
    let mut f = Fields::new(&body, "", &mut problems);
    match kind {
        EventKind::Meeting => f.only(&["auto_approve", "registrants_confirmation_email", "registrants"]),
        EventKind::Webinar => f.only(&["auto_approve", "registrants"]),
    }
    let auto_approve = f.boolean("auto_approve");
    f.boolean("registrants_confirmation_email");
    let items = f.array("registrants");
    match items {
        None if !f.has("registrants") => f.bad("registrants", FIELD_REQUIRED),
        Some(list) if list.is_empty() => f.bad("registrants", FIELD_REQUIRED),
        Some(list) if list.len() > MAX_BATCH => f.bad(
            "registrants",
            format!("A batch can register at most {MAX_BATCH} registrants."),
        ),
        _ => {}
    }
    let mut batch = Vec::new();
    if let Some(list) = items.filter(|l| l.len() <= MAX_BATCH) {
        let status = initial_status(&e, auto_approve);
        for (i, item) in list.iter().enumerate() {
            let prefix = format!("registrants[{i}]");
            let Some(obj) = item.as_object() else {
                problems.add(prefix, FIELD_INVALID);
                continue;
            };
            let mut rf = Fields::new(obj, &prefix, &mut problems);
            rf.only(BATCH_REGISTRANT_FIELDS);
            let email = rf.email("email", true).unwrap_or_default();
            let first = rf
                .name("first_name", NAME_MAX, NAME_MAX_CHINESE, true)
                .unwrap_or_default();
            let last = rf
                .name("last_name", NAME_MAX, NAME_MAX_CHINESE, false)
                .unwrap_or_default();
            let mut r = Registrant::new(&email, &first, &last);
            r.status = status.to_string();
            r.create_time = Utc::now();
            batch.push(r);
        }
    }
    problems.into_result()?;
    let done = match app.store.register_batch(e.id, batch) {
        Ok(done) => done,
        // Those added before the cap was reached stay registered, as at Zoom.
        Err(RegisterError::Full) => return Err(full(kind)),
        Err(RegisterError::NoEvent) => return Err(not_found(kind, &raw_id)),
    };
    let registrants: Vec<Value> = done
        .iter()
        .map(|r| {
            json!({
                "email": r.email,
                "registrant_id": r.id,
                "join_url": r.join_url,
                "participant_pin_code": r.participant_pin_code,
            })
        })
        .collect();
    Ok(json(StatusCode::CREATED, json!({ "registrants": registrants })))
}

pub async fn batch_meeting(State(app): State<AppState>, Path(id): Path<String>, body: Bytes) -> ApiResult {
    batch(app, EventKind::Meeting, id, body).await
}

pub async fn batch_webinar(State(app): State<AppState>, Path(id): Path<String>, body: Bytes) -> ApiResult {
    batch(app, EventKind::Webinar, id, body).await
}

async fn list_registrants(
    app: AppState,
    kind: EventKind,
    raw_id: String,
    raw_query: Option<String>,
) -> ApiResult {
    let e = find(&app, kind, &raw_id)?;
    let q = query_map(raw_query);
    let status = q
        .get("status")
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("approved");
    if !matches!(status, "approved" | "pending" | "denied") {
        return Err(ApiError::invalid_parameter("status"));
    }
    let occurrence = q
        .get("occurrence_id")
        .map(String::as_str)
        .filter(|s| !s.is_empty());
    let scope = format!("registrants|{}|{status}|{}", e.id, occurrence.unwrap_or(""));
    let pages = app.store.pages();
    let req = pages.begin(&q, &scope, MAX_PAGE_SIZE)?;
    let page = app.store.list_registrants(e.id, status, occurrence, &req);
    let token = pages.next(&scope, page.last, page.more, req.page_number);
    let rows: Vec<Value> = page.rows.iter().map(registrant_json).collect();
    Ok(json(
        StatusCode::OK,
        json!({
            "page_count": page_count(page.total, req.page_size),
            "page_number": req.page_number,
            "page_size": req.page_size,
            "total_records": page.total,
            "next_page_token": token,
            "registrants": rows,
        }),
    ))
}

pub async fn meeting_registrants(
    State(app): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    list_registrants(app, EventKind::Meeting, id, q).await
}

pub async fn webinar_registrants(
    State(app): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    list_registrants(app, EventKind::Webinar, id, q).await
}

// ---- per-user listings and creation ------------------------------------------------------------

async fn list_events(
    app: AppState,
    kind: EventKind,
    user_id: String,
    raw_query: Option<String>,
) -> ApiResult {
    let user = app
        .store
        .find_user(&user_id)
        .ok_or_else(|| ApiError::user_not_found(&user_id))?;
    let q = query_map(raw_query);
    let filter = q
        .get("type")
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("scheduled");
    let now = Utc::now();
    let keep: fn(&Event, DateTime<Utc>) -> bool = match (kind, filter) {
        (EventKind::Webinar, _) | (_, "scheduled") => |_, _| true,
        (_, "live") => |_, _| false,
        (_, "upcoming" | "upcoming_meetings") => |e, now| {
            e.start_time + Duration::minutes(i64::from(e.duration)) >= now
                && now
                    .checked_add_months(Months::new(LISTING_REACH_MONTHS))
                    .is_none_or(|reach| e.start_time <= reach)
        },
        (_, "previous_meetings") => |e, now| {
            e.start_time < now
                && now
                    .checked_sub_months(Months::new(LISTING_REACH_MONTHS))
                    .is_none_or(|reach| e.start_time >= reach)
        },
        _ => return Err(ApiError::invalid_parameter("type")),
    };
    let scope = format!("events|{kind:?}|{}|{filter}", user.id);
    let pages = app.store.pages();
    let req = pages.begin(&q, &scope, MAX_PAGE_SIZE)?;
    let page = app.store.list_events(kind, &user.id, |e| keep(e, now), &req);
    let token = pages.next(&scope, page.last, page.more, req.page_number);
    let rows: Vec<Value> = page.rows.iter().map(summary_json).collect();
    let list_key = if kind == EventKind::Meeting {
        "meetings"
    } else {
        "webinars"
    };
    Ok(json(
        StatusCode::OK,
        json!({
            "page_count": page_count(page.total, req.page_size),
            "page_number": req.page_number,
            "page_size": req.page_size,
            "total_records": page.total,
            "next_page_token": token,
            list_key: rows,
        }),
    ))
}

pub async fn list_meetings(
    State(app): State<AppState>,
    Path(user): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    list_events(app, EventKind::Meeting, user, q).await
}

pub async fn list_webinars(
    State(app): State<AppState>,
    Path(user): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    list_events(app, EventKind::Webinar, user, q).await
}

/// `yyyy-MM-ddTHH:mm:ssZ` (UTC), or without `Z`: local time in `timezone` (FACTS).
fn parse_start(s: &str, timezone: &str) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok()?;
    match timezone.parse::<chrono_tz::Tz>() {
        Ok(tz) => tz
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc)),
        Err(_) => Some(naive.and_utc()),
    }
}

fn known_timezone(tz: &str) -> bool {
    tz.parse::<chrono_tz::Tz>().is_ok()
}

/// `PATCH /meetings/{meetingId}`: the fields given change; 204. A `start_time` in
/// the past is ignored (FACTS). Counts against the host's daily create/update cap.
pub async fn update_meeting(State(app): State<AppState>, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let body = json_object(&body)?;
    let current = find(&app, EventKind::Meeting, &id)?;
    let mut problems = Problems::default();
    let mut f = Fields::new(&body, "", &mut problems);
    f.only(MEETING_FIELDS);
    let topic = f.string("topic", Some(200));
    let agenda = f.string("agenda", Some(2000));
    let password = f.string("password", Some(10));
    let timezone = f.string("timezone", None);
    if timezone.as_deref().is_some_and(|t| !known_timezone(t)) {
        f.bad("timezone", FIELD_INVALID);
    }
    let meeting_type = f.integer("type");
    if meeting_type.is_some_and(|t| !matches!(t, 1 | 2 | 3 | 8)) {
        f.bad("type", FIELD_INVALID);
    }
    let duration = f.integer("duration");
    if duration.is_some_and(|d| !(0..=1440).contains(&d)) {
        f.bad("duration", FIELD_INVALID);
    }
    let tz_for_start = timezone.clone().unwrap_or_else(|| current.timezone.clone());
    let start = match f.string("start_time", None) {
        None => None,
        Some(s) => match parse_start(&s, &tz_for_start) {
            Some(t) => Some(t),
            None => {
                f.bad("start_time", FIELD_INVALID);
                None
            }
        },
    };
    let settings = f.object("settings");
    f.object("recurrence");
    let empty = Map::new();
    let mut st = Fields::new(settings.unwrap_or(&empty), "settings", &mut problems);
    let approval_type = st.integer("approval_type");
    if approval_type.is_some_and(|a| !(0..=2).contains(&a)) {
        st.bad("approval_type", FIELD_INVALID);
    }
    let registration_type = st.integer("registration_type");
    if registration_type.is_some_and(|r| !(1..=3).contains(&r)) {
        st.bad("registration_type", FIELD_INVALID);
    }
    problems.into_result()?;
    let now = Utc::now();
    let changed = app.store.update_event(current.id, |e| {
        if let Some(t) = topic {
            e.topic = t;
        }
        if let Some(a) = agenda {
            e.agenda = a;
        }
        if let Some(p) = password {
            e.password = p;
        }
        if let Some(tz) = timezone {
            e.timezone = tz;
        }
        if let Some(t) = meeting_type.and_then(|t| u8::try_from(t).ok()) {
            e.event_type = t;
        }
        if let Some(d) = duration.and_then(|d| u32::try_from(d).ok()) {
            e.duration = d;
        }
        // Past or missing start times are ignored, as Zoom does.
        if let Some(t) = start.filter(|t| *t > now) {
            e.start_time = t;
        }
        if let Some(a) = approval_type.and_then(|a| u8::try_from(a).ok()) {
            e.approval_type = a;
        }
        if let Some(r) = registration_type.and_then(|r| u8::try_from(r).ok()) {
            e.registration_type = r;
        }
    });
    match changed {
        Ok(_) => Ok(super::no_content()),
        Err(Some(cap)) => Err(daily_error(Category::Light, cap, &meeting_cap_message(cap))),
        Err(None) => Err(not_found(EventKind::Meeting, &id)),
    }
}

pub async fn create_meeting(
    State(app): State<AppState>,
    Path(user_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    let host = app
        .store
        .find_user(&user_id)
        .ok_or_else(|| ApiError::user_not_found(&user_id))?;
    let mut problems = Problems::default();
    let mut f = Fields::new(&body, "", &mut problems);
    f.only(MEETING_FIELDS);
    let topic = f.string("topic", Some(200)).unwrap_or_default();
    let agenda = f.string("agenda", Some(2000)).unwrap_or_default();
    let password = f.string("password", Some(10)).unwrap_or_default();
    let timezone = f
        .string("timezone", None)
        .unwrap_or_else(|| host.timezone.clone());
    if !known_timezone(&timezone) {
        f.bad("timezone", FIELD_INVALID);
    }
    let meeting_type = f.integer("type").unwrap_or(2);
    if !matches!(meeting_type, 1 | 2 | 3 | 8) {
        f.bad("type", FIELD_INVALID);
    }
    let duration = f.integer("duration").unwrap_or(60);
    if !(0..=1440).contains(&duration) {
        f.bad("duration", FIELD_INVALID);
    }
    let start = match f.string("start_time", None) {
        None => Utc::now(),
        Some(s) => parse_start(&s, &timezone).unwrap_or_else(|| {
            f.bad("start_time", FIELD_INVALID);
            Utc::now()
        }),
    };
    f.boolean("default_password");
    f.boolean("pre_schedule");
    f.string("schedule_for", None);
    f.string("template_id", None);
    f.array("tracking_fields");
    let settings = f.object("settings");
    let recurrence = f.object("recurrence");
    if meeting_type == 8 && recurrence.is_none() {
        f.bad("recurrence", FIELD_REQUIRED);
    }
    let empty = Map::new();
    let mut s = Fields::new(settings.unwrap_or(&empty), "settings", &mut problems);
    let approval_type = s.integer("approval_type").unwrap_or(2);
    if !(0..=2).contains(&approval_type) {
        s.bad("approval_type", FIELD_INVALID);
    }
    let registration_type = s.integer("registration_type").unwrap_or(1);
    if !(1..=3).contains(&registration_type) {
        s.bad("registration_type", FIELD_INVALID);
    }
    let mut r = Fields::new(recurrence.unwrap_or(&empty), "recurrence", &mut problems);
    let recurrence_type = r.integer("type").unwrap_or(2);
    if !(1..=3).contains(&recurrence_type) {
        r.bad("type", FIELD_INVALID);
    }
    let interval = r.integer("repeat_interval").unwrap_or(1);
    if !(1..=90).contains(&interval) {
        r.bad("repeat_interval", FIELD_INVALID);
    }
    let end_times = r.integer("end_times").unwrap_or(7);
    if !(1..=60).contains(&end_times) {
        r.bad("end_times", FIELD_INVALID);
    }
    problems.into_result()?;
    let duration = u32::try_from(duration).unwrap_or(60);
    // Registration exists only for scheduled and fixed-time recurring meetings.
    let approval_type = if matches!(meeting_type, 2 | 8) {
        approval_type
    } else {
        2
    };
    let event = Event {
        kind: EventKind::Meeting,
        id: 0,
        uuid: String::new(),
        host_id: host.id.clone(),
        topic: if topic.is_empty() {
            "Zoom meeting".to_string()
        } else {
            topic
        },
        event_type: u8::try_from(meeting_type).unwrap_or(2),
        start_time: start,
        duration,
        timezone,
        agenda,
        created_at: Utc::now(),
        password,
        approval_type: u8::try_from(approval_type).unwrap_or(2),
        registration_type: u8::try_from(registration_type).unwrap_or(1),
        occurrences: if meeting_type == 8 {
            recurring_occurrences(start, duration, recurrence_type, interval, end_times)
        } else {
            Vec::new()
        },
    };
    match app.store.create_event(event) {
        Ok(e) => Ok(json(StatusCode::CREATED, event_json(&app, &e))),
        Err(cap) => Err(daily_error(Category::Medium, cap, &meeting_cap_message(cap))),
    }
}
