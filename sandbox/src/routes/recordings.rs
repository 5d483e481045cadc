//! Cloud recording listings, per user and account-wide. Zoom serves at most one month per
//! request and silently narrows a longer range (keeping `to`, moving `from`; zoom/api#36),
//! reporting the effective range in the body: an exporter that does not split its period
//! into windows loses data without any error, and these routes reproduce exactly that.
//! Also the trash: DELETE per meeting or per file (`action=trash|delete`), the trash
//! listings (`trash=true`, `trash_type`) and recovery (`PUT …/status`).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Months, NaiveDate, Utc};
use serde_json::{Value, json};

use super::{ApiResult, flag, json, json_object, no_content, query_map, ts};
use crate::MAX_PAGE_SIZE;
use crate::app::AppState;
use crate::errors::ApiError;
use crate::model::{RecordingFile, RecordingMeeting};
use crate::pages::page_count;
use crate::store::RecordingListing;

fn date(
    q: &std::collections::HashMap<String, String>,
    name: &str,
    default: NaiveDate,
) -> Result<NaiveDate, ApiError> {
    match q.get(name).map(String::as_str).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| ApiError::invalid_parameter(name)),
    }
}

/// The range Zoom actually serves for `from..=to`.
pub fn effective_range(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    match to.checked_sub_months(Months::new(1)) {
        Some(earliest) if from < earliest => (earliest, to),
        _ => (from, to),
    }
}

fn file_json(app: &AppState, m: &RecordingMeeting, f: &RecordingFile) -> Value {
    let download_url = format!("{}/rec/download/{}", app.api_origin, f.download_id);
    let mut v = json!({
        "meeting_id": m.uuid,
        "recording_start": ts(f.recording_start),
        "recording_end": ts(f.recording_end),
        "file_type": f.file_type,
        "file_extension": f.file_extension,
        "download_url": download_url,
    });
    if let (Some(obj), Some(id)) = (v.as_object_mut(), &f.id) {
        obj.insert("id".into(), json!(id));
        obj.insert("file_size".into(), json!(f.file_size));
        obj.insert(
            "play_url".into(),
            json!(format!("https://zoom.us/rec/play/{}", f.download_id)),
        );
        obj.insert("status".into(), json!("completed"));
        if let Some(t) = f.deleted_time {
            obj.insert("deleted_time".into(), json!(ts(t)));
        }
        if let Some(t) = &f.recording_type {
            obj.insert("recording_type".into(), json!(t));
        }
    }
    v
}

fn meeting_json(app: &AppState, m: &RecordingMeeting) -> Value {
    let files: Vec<Value> = m.recording_files.iter().map(|f| file_json(app, m, f)).collect();
    json!({
        "uuid": m.uuid,
        "id": m.id,
        "account_id": app.cfg.account_id,
        "host_id": m.host_id,
        "topic": m.topic,
        "type": m.meeting_type,
        "start_time": ts(m.start_time),
        "timezone": m.timezone,
        "duration": m.duration,
        "total_size": m.total_size(),
        "recording_count": m.recording_files.len(),
        "share_url": format!("https://zoom.us/rec/share/{}", m.uuid.trim_end_matches('=')),
        "recording_files": files,
    })
}

fn list(app: &AppState, host_id: Option<&str>, raw: Option<String>) -> ApiResult {
    let q = query_map(raw);
    let today = Utc::now().date_naive();
    let from = date(&q, "from", today)?;
    let to = date(&q, "to", today.succ_opt().unwrap_or(today))?;
    if from > to {
        return Err(ApiError::invalid_parameter("from"));
    }
    let (from, to) = effective_range(from, to);
    let trash = flag(&q, "trash", false)?;
    flag(&q, "mc", false)?;
    let kind = match q.get("trash_type").map(String::as_str).filter(|s| !s.is_empty()) {
        None | Some("meeting_recordings") if trash => RecordingListing::TrashedMeetings,
        Some("recording_file") if trash => RecordingListing::TrashedFiles,
        None | Some("meeting_recordings" | "recording_file") => RecordingListing::Live,
        Some(_) => return Err(ApiError::invalid_parameter("trash_type")),
    };
    let scope = format!("recordings|{}|{from}|{to}|{kind:?}", host_id.unwrap_or("*"));
    let pages = app.store.pages();
    let req = pages.begin(&q, &scope, MAX_PAGE_SIZE)?;
    let page = app.store.list_recordings(host_id, from, to, kind, &req);
    let token = pages.next(&scope, page.last, page.more, req.page_number);
    let meetings: Vec<Value> = page.rows.iter().map(|m| meeting_json(app, m)).collect();
    Ok(json(
        StatusCode::OK,
        json!({
            "from": from.format("%Y-%m-%d").to_string(),
            "to": to.format("%Y-%m-%d").to_string(),
            "page_count": page_count(page.total, req.page_size),
            "page_size": req.page_size,
            "total_records": page.total,
            "next_page_token": token,
            "meetings": meetings,
        }),
    ))
}

pub async fn user_recordings(
    State(app): State<AppState>,
    Path(user_id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let user = app.store.find_user(&user_id).ok_or_else(|| {
        ApiError::not_found(
            1001,
            format!("User {user_id} does not exist, or does not belong to this account."),
        )
    })?;
    list(&app, Some(&user.id), q)
}

pub async fn account_recordings(
    State(app): State<AppState>,
    Path(account_id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    if account_id != "me" && account_id != app.cfg.account_id {
        return Err(ApiError::not_found(
            2001,
            format!("Account does not exist: {account_id}."),
        ));
    }
    list(&app, None, q)
}

/// The meeting a recording path names. A UUID that begins with `/` or contains `//` must
/// be percent-encoded twice; axum has decoded once, so a `%` left means a second
/// encoding. Without it Zoom reads the slashes away (`//x==` as `x==`; FACTS: UUIDs in
/// paths), and so does this.
fn path_meeting(raw: &str) -> String {
    if raw.contains('%') {
        return percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned();
    }
    raw.split('/')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// `action=trash` (the default) or `action=delete` (permanent).
fn permanent(raw: Option<String>) -> Result<bool, ApiError> {
    match query_map(raw).get("action").map(String::as_str) {
        None | Some("" | "trash") => Ok(false),
        Some("delete") => Ok(true),
        Some(_) => Err(ApiError::invalid_parameter("action")),
    }
}

pub async fn delete_meeting_recordings(
    State(app): State<AppState>,
    Path(meeting): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let permanent = permanent(q)?;
    app.store
        .delete_recording(&path_meeting(&meeting), None, permanent, Utc::now())?;
    Ok(no_content())
}

pub async fn delete_recording_file(
    State(app): State<AppState>,
    Path((meeting, file)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let permanent = permanent(q)?;
    app.store
        .delete_recording(&path_meeting(&meeting), Some(&file), permanent, Utc::now())?;
    Ok(no_content())
}

/// The body of a recover request: `{"action":"recover"}`.
fn recover_body(body: &Bytes) -> Result<(), ApiError> {
    let map = json_object(body)?;
    match map.get("action").and_then(Value::as_str) {
        Some("recover") => Ok(()),
        _ => Err(ApiError::invalid_parameter("action")),
    }
}

pub async fn recover_meeting_recordings(
    State(app): State<AppState>,
    Path(meeting): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    recover_body(&body)?;
    app.store.recover_recording(&path_meeting(&meeting), None)?;
    Ok(no_content())
}

pub async fn recover_recording_file(
    State(app): State<AppState>,
    Path((meeting, file)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    recover_body(&body)?;
    app.store
        .recover_recording(&path_meeting(&meeting), Some(&file))?;
    Ok(no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn path_uuids_decode_twice_or_lose_their_slashes() {
        assert_eq!(path_meeting("%2Fab%2F%2Fc%3D%3D"), "/ab//c==");
        assert_eq!(path_meeting("//ab=="), "ab==");
        assert_eq!(path_meeting("a//b=="), "a/b==");
        assert_eq!(path_meeting("plain=="), "plain==");
    }

    #[test]
    fn ranges_over_a_month_keep_to_and_move_from() {
        assert_eq!(
            effective_range(d("2024-01-01"), d("2024-02-01")),
            (d("2024-01-01"), d("2024-02-01"))
        );
        assert_eq!(
            effective_range(d("2017-08-02"), d("2018-04-09")),
            (d("2018-03-09"), d("2018-04-09"))
        );
        assert_eq!(
            effective_range(d("2024-03-05"), d("2024-03-31")),
            (d("2024-03-05"), d("2024-03-31"))
        );
    }
}
