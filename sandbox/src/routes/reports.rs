//! Past meetings and reports (FACTS: Past meetings, reports, attendance): ended
//! instances, participant reports of meetings and webinars, webinar absentees.
//!
//! A `{meetingId}` is a meeting number (its latest ended instance) or an
//! instance's UUID. A UUID that begins with `/` or holds `//` must come encoded
//! twice; encoded once, Zoom reads it without its slashes and answers 404/3001,
//! and so does this emulator.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use super::{ApiResult, json, query_map, ts};
use crate::MAX_PAGE_SIZE;
use crate::app::AppState;
use crate::errors::ApiError;
use crate::model::{EventKind, Participant, PastInstance};
use crate::pages::page_count;

/// Reports reach back a year (FACTS: 400/12702 beyond).
pub const REPORT_DAYS: i64 = 365;
/// Instances are listed up to 15 months back.
pub const INSTANCE_DAYS: i64 = 456;

fn noun(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Meeting => "Meeting",
        EventKind::Webinar => "Webinar",
    }
}

fn not_found(kind: EventKind, shown: &str) -> ApiError {
    ApiError::not_found(3001, format!("{} does not exist: {shown}.", noun(kind)))
}

/// `%XX` decoded; `None` when an escape is malformed or the bytes are not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// How Zoom reads a path segment (axum has decoded it once): a second encoding
/// is decoded again; a bare UUID with `/` at its start or `//` inside loses those
/// slashes, as Zoom's router collapses them.
pub fn read_uuid(decoded_once: &str) -> Result<String, String> {
    if decoded_once.contains('%') {
        return percent_decode(decoded_once).ok_or_else(|| decoded_once.to_string());
    }
    if decoded_once.starts_with('/') || decoded_once.contains("//") {
        let mut collapsed = String::with_capacity(decoded_once.len());
        for c in decoded_once.chars() {
            if !(c == '/' && (collapsed.is_empty() || collapsed.ends_with('/'))) {
                collapsed.push(c);
            }
        }
        return Err(collapsed);
    }
    Ok(decoded_once.to_string())
}

/// The instance `raw` names: a number's latest ended instance, or a UUID's.
fn resolve(app: &AppState, kind: EventKind, raw: &str) -> Result<PastInstance, ApiError> {
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        let id: u64 = raw.parse().map_err(|_| not_found(kind, raw))?;
        return app
            .store
            .instances_of(id)
            .into_iter()
            .rfind(|i| i.kind == kind)
            .ok_or_else(|| {
                ApiError::not_found(3001, format!("{} {raw} not found or has expired.", noun(kind)))
            });
    }
    let uuid = read_uuid(raw).map_err(|shown| not_found(kind, &shown))?;
    app.store
        .past_instance(&uuid)
        .filter(|i| i.kind == kind)
        .ok_or_else(|| not_found(kind, &uuid))
}

/// Reports refuse instances older than a year and hosts without a license.
fn check_report(app: &AppState, instance: &PastInstance) -> Result<(), ApiError> {
    if instance.start_time < Utc::now() - Duration::days(REPORT_DAYS) {
        let what = if instance.kind == EventKind::Meeting {
            "meeting"
        } else {
            "webinar"
        };
        return Err(ApiError::bad_request(
            12702,
            format!("Can not access a {what} a year ago."),
        ));
    }
    let licensed = app
        .store
        .event(instance.kind, instance.event_id)
        .and_then(|e| app.store.user_by_id(&e.host_id))
        .is_some_and(|u| u.user_type == 2);
    if !licensed {
        return Err(ApiError::bad_request(200, "No permission."));
    }
    Ok(())
}

fn participant_json(p: &Participant) -> Value {
    json!({
        "id": p.id,
        "user_id": p.user_id,
        "name": p.name,
        "user_email": p.user_email,
        "join_time": ts(p.join_time),
        "leave_time": ts(p.leave_time),
        "duration": p.duration,
        "failover": false,
        "status": p.status,
        "internal_user": !p.id.is_empty(),
    })
}

/// One page of `items` (already in their listing order) under `list_key`.
fn paged(
    app: &AppState,
    raw_query: Option<String>,
    scope: &str,
    list_key: &str,
    items: Vec<Value>,
) -> ApiResult {
    let q = query_map(raw_query);
    let pages = app.store.pages();
    let req = pages.begin(&q, scope, MAX_PAGE_SIZE)?;
    let start = req.after.map_or(0, |(i, _)| usize::try_from(i).unwrap_or(0) + 1);
    let total = items.len();
    let rows: Vec<Value> = items.into_iter().skip(start).take(req.page_size).collect();
    let end = start + rows.len();
    let last = end
        .checked_sub(1)
        .map(|i| (i64::try_from(i).unwrap_or(i64::MAX), 0));
    let token = pages.next(scope, last, end < total, req.page_number);
    Ok(json(
        StatusCode::OK,
        json!({
            "page_count": page_count(total, req.page_size),
            "page_size": req.page_size,
            "total_records": total,
            "next_page_token": token,
            list_key: rows,
        }),
    ))
}

async fn report(app: AppState, kind: EventKind, raw: String, raw_query: Option<String>) -> ApiResult {
    let instance = resolve(&app, kind, &raw)?;
    check_report(&app, &instance)?;
    let items = instance.participants.iter().map(participant_json).collect();
    paged(
        &app,
        raw_query,
        &format!("report|{}", instance.uuid),
        "participants",
        items,
    )
}

pub async fn meeting_report(
    State(app): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    report(app, EventKind::Meeting, id, q).await
}

pub async fn webinar_report(
    State(app): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    report(app, EventKind::Webinar, id, q).await
}

async fn instances(app: AppState, kind: EventKind, raw: String) -> ApiResult {
    let id: u64 = raw.parse().map_err(|_| not_found(kind, &raw))?;
    if app.store.event(kind, id).is_none() {
        return Err(not_found(kind, &raw));
    }
    let oldest = Utc::now() - Duration::days(INSTANCE_DAYS);
    let list: Vec<Value> = app
        .store
        .instances_of(id)
        .iter()
        .filter(|i| i.kind == kind && i.start_time >= oldest)
        .map(|i| json!({ "uuid": i.uuid, "start_time": ts(i.start_time) }))
        .collect();
    let key = if kind == EventKind::Meeting {
        "meetings"
    } else {
        "webinars"
    };
    Ok(json(StatusCode::OK, json!({ key: list })))
}

pub async fn meeting_instances(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult {
    instances(app, EventKind::Meeting, id).await
}

pub async fn webinar_instances(State(app): State<AppState>, Path(id): Path<String>) -> ApiResult {
    instances(app, EventKind::Webinar, id).await
}

/// `GET /past_webinars/{webinarId}/absentees`: approved registrants whose email
/// is not among the instance's participants.
pub async fn webinar_absentees(
    State(app): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let instance = resolve(&app, EventKind::Webinar, &id)?;
    let webinar = app
        .store
        .webinar(instance.event_id)
        .ok_or_else(|| not_found(EventKind::Webinar, &id))?;
    if !webinar.registration_enabled() {
        return Err(ApiError::bad_request(
            3000,
            format!("This Webinar has not registration required: {}", instance.uuid),
        ));
    }
    let items = absentees(&app, &instance)
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "email": r.email,
                "first_name": r.first_name,
                "last_name": r.last_name,
                "org": r.org,
                "job_title": r.job_title,
                "status": r.status,
                "create_time": ts(r.create_time),
            })
        })
        .collect();
    paged(
        &app,
        q,
        &format!("absentees|{}", instance.uuid),
        "registrants",
        items,
    )
}

/// The instance's approved registrants who did not join, in registration order.
pub fn absentees(app: &AppState, instance: &PastInstance) -> Vec<crate::model::Registrant> {
    let came: std::collections::HashSet<String> = instance
        .participants
        .iter()
        .map(|p| p.user_email.to_lowercase())
        .collect();
    app.store
        .registrants(instance.event_id)
        .into_iter()
        .filter(|r| r.status == "approved" && !came.contains(&r.email.to_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_read_as_zoom_reads_them() {
        // Encoded twice (axum decoded the first layer): the UUID itself.
        assert_eq!(
            read_uuid("%2FajXp112QmuoKj4854875%3D%3D").as_deref(),
            Ok("/ajXp112QmuoKj4854875==")
        );
        // Encoded once, with slashes Zoom's router collapses: not found, shown without them.
        assert_eq!(read_uuid("//x==").unwrap_err(), "x==");
        assert_eq!(read_uuid("/ajXp==").unwrap_err(), "ajXp==");
        assert_eq!(read_uuid("ab//cd==").unwrap_err(), "ab/cd==");
        // A single slash inside needs no second encoding.
        assert_eq!(read_uuid("a/b+c==").as_deref(), Ok("a/b+c=="));
    }
}
