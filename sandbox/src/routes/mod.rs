//! The route table: every `/v2` endpoint with its Zoom rate-limit category, in one place
//! (FACTS.md, "Categories of the endpoints zoombulk uses"), plus the routes outside `/v2`.

pub(crate) mod downloads;
mod groups;
pub(crate) mod meetings;
mod recordings;
pub mod reports;
pub(crate) mod user_changes;
mod users;

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, delete, get, patch, post, put};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::app::{self, AppState, RouteCtx, RouteInfo};
use crate::auth;
use crate::errors::ApiError;
use crate::limits::Category::{self, Heavy, Light, Medium};

/// `"METHOD /path"` (relative to `/v2`), category, handler.
fn api_table() -> Vec<(&'static str, Category, MethodRouter<AppState>)> {
    vec![
        ("POST /users", Light, post(users::create)),
        ("GET /users", Medium, get(users::list)),
        ("GET /users/{userId}", Light, get(users::get_one)),
        ("PATCH /users/{userId}", Light, patch(users::update)),
        ("DELETE /users/{userId}", Light, delete(users::remove)),
        ("PUT /users/{userId}/password", Medium, put(users::password)),
        ("PUT /users/{userId}/status", Light, put(users::status)),
        ("DELETE /users/{userId}/token", Light, delete(users::revoke_token)),
        ("POST /users/features", Medium, post(users::features)),
        ("GET /groups", Medium, get(groups::list)),
        ("POST /groups", Light, post(groups::create)),
        ("GET /groups/{groupId}", Light, get(groups::get_one)),
        ("GET /groups/{groupId}/members", Medium, get(groups::members)),
        (
            "POST /groups/{groupId}/members",
            Medium,
            post(groups::add_members),
        ),
        (
            "DELETE /groups/{groupId}/members/{memberId}",
            Light,
            delete(groups::remove_member),
        ),
        (
            "PUT /users/{userId}/email",
            Light,
            put(user_changes::change_email),
        ),
        (
            "POST /users/{userId}/picture",
            Medium,
            post(user_changes::upload_picture).layer(DefaultBodyLimit::max(user_changes::PICTURE_BODY_LIMIT)),
        ),
        (
            "POST /users/{userId}/meetings",
            Medium,
            post(meetings::create_meeting),
        ),
        (
            "GET /users/{userId}/meetings",
            Medium,
            get(meetings::list_meetings),
        ),
        (
            "GET /users/{userId}/webinars",
            Medium,
            get(meetings::list_webinars),
        ),
        ("GET /meetings/{meetingId}", Light, get(meetings::get_meeting)),
        (
            "PATCH /meetings/{meetingId}",
            Light,
            patch(meetings::update_meeting),
        ),
        (
            "GET /past_meetings/{meetingId}/instances",
            Medium,
            get(reports::meeting_instances),
        ),
        (
            "GET /past_webinars/{webinarId}/instances",
            Light,
            get(reports::webinar_instances),
        ),
        (
            "GET /report/meetings/{meetingId}/participants",
            Heavy,
            get(reports::meeting_report),
        ),
        (
            "GET /report/webinars/{webinarId}/participants",
            Heavy,
            get(reports::webinar_report),
        ),
        (
            "GET /past_webinars/{webinarId}/absentees",
            Heavy,
            get(reports::webinar_absentees),
        ),
        ("GET /webinars/{webinarId}", Light, get(meetings::get_webinar)),
        (
            "POST /meetings/{meetingId}/registrants",
            Light,
            post(meetings::register_meeting),
        ),
        (
            "POST /webinars/{webinarId}/registrants",
            Light,
            post(meetings::register_webinar),
        ),
        (
            "GET /meetings/{meetingId}/registrants",
            Medium,
            get(meetings::meeting_registrants),
        ),
        (
            "GET /webinars/{webinarId}/registrants",
            Medium,
            get(meetings::webinar_registrants),
        ),
        (
            "POST /meetings/{meetingId}/batch_registrants",
            Heavy,
            post(meetings::batch_meeting),
        ),
        (
            "POST /webinars/{webinarId}/batch_registrants",
            Heavy,
            post(meetings::batch_webinar),
        ),
        (
            "GET /users/{userId}/recordings",
            Medium,
            get(recordings::user_recordings),
        ),
        (
            "GET /accounts/{accountId}/recordings",
            Medium,
            get(recordings::account_recordings),
        ),
        (
            "DELETE /meetings/{meetingId}/recordings",
            Light,
            delete(recordings::delete_meeting_recordings),
        ),
        (
            "DELETE /meetings/{meetingId}/recordings/{recordingId}",
            Light,
            delete(recordings::delete_recording_file),
        ),
        (
            "PUT /meetings/{meetingId}/recordings/status",
            Light,
            put(recordings::recover_meeting_recordings),
        ),
        (
            "PUT /meetings/{meetingId}/recordings/{recordingId}/status",
            Light,
            put(recordings::recover_recording_file),
        ),
    ]
}

/// The rate-limit category of a `/v2` route, by its `"METHOD /template"` key.
pub fn category_of(key: &str) -> Option<Category> {
    api_table()
        .into_iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, c, _)| c)
}

pub fn router(app: AppState) -> Router {
    let mut router: Router<AppState> = Router::new();
    for (key, category, handler) in api_table() {
        let path = key.split_once(' ').map(|(_, p)| p).unwrap_or(key);
        let ctx = RouteCtx {
            app: app.clone(),
            route: RouteInfo {
                key,
                category: Some(category),
            },
        };
        router = router.route(
            &format!("/v2{path}"),
            handler.route_layer(from_fn_with_state(ctx, app::v2_pipeline)),
        );
    }
    let plain: Vec<(&'static str, MethodRouter<AppState>)> = vec![
        ("POST /oauth/token", post(auth::token)),
        ("GET /rec/download/{fileId}", get(downloads::download)),
        ("GET /storage/{fileId}", get(downloads::storage)),
    ];
    for (key, handler) in plain {
        let path = key.split_once(' ').map(|(_, p)| p).unwrap_or(key);
        let ctx = RouteCtx {
            app: app.clone(),
            route: RouteInfo { key, category: None },
        };
        router = router.route(
            path,
            handler.route_layer(from_fn_with_state(ctx, app::plain_pipeline)),
        );
    }
    router
        .route("/v2/{*rest}", any(app::v2_unknown))
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/latency", post(set_latency))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(app)
}

async fn stats(State(app): State<AppState>) -> Response {
    axum::Json(app.stats()).into_response()
}

/// `POST /_sandbox/latency?ms=N&jitter_ms=M`: from now on `/v2` answers take N ± M ms
/// (a benchmark's latency step mid-run). 204, or 400 for a missing or bad number.
async fn set_latency(State(app): State<AppState>, RawQuery(raw): RawQuery) -> Response {
    let q = query_map(raw);
    let ms = |key: &str| q.get(key).map(|v| v.parse::<u64>());
    match (ms("ms"), ms("jitter_ms")) {
        (Some(Ok(latency)), None | Some(Ok(_))) => {
            let jitter = ms("jitter_ms").and_then(Result::ok).unwrap_or(0);
            app.faults
                .set_latency(Duration::from_millis(latency), Duration::from_millis(jitter));
            StatusCode::NO_CONTENT.into_response()
        }
        _ => (
            StatusCode::BAD_REQUEST,
            "expected ?ms=N[&jitter_ms=M] (whole milliseconds)\n",
        )
            .into_response(),
    }
}

// ---- helpers shared by the handlers ---------------------------------------------------------

pub type ApiResult = Result<Response, ApiError>;

pub fn query_map(raw: Option<String>) -> HashMap<String, String> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The body as a JSON object, or Zoom's 400/300 for anything else (empty, malformed, array).
pub fn json_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::bad_json()),
    }
}

pub fn json(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Zoom's timestamp format: seconds precision, `Z`.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A boolean query flag (`true`/`false`, absent = `default`).
pub fn flag(query: &HashMap<String, String>, name: &str, default: bool) -> Result<bool, ApiError> {
    match query.get(name).map(String::as_str) {
        None | Some("") => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(_) => Err(ApiError::invalid_parameter(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_one_category_and_facts_categories_hold() {
        let table = api_table();
        let mut keys: Vec<&str> = table.iter().map(|(k, _, _)| *k).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), table.len(), "no route listed twice");
        assert_eq!(category_of("POST /users"), Some(Light));
        assert_eq!(category_of("GET /users"), Some(Medium));
        assert_eq!(category_of("PUT /users/{userId}/password"), Some(Medium));
        assert_eq!(
            category_of("POST /meetings/{meetingId}/batch_registrants"),
            Some(Heavy)
        );
        assert_eq!(category_of("GET /accounts/{accountId}/recordings"), Some(Medium));
        assert_eq!(category_of("POST /users/features"), Some(Medium));
        assert_eq!(category_of("GET /groups"), Some(Medium));
        assert_eq!(category_of("POST /groups/{groupId}/members"), Some(Medium));
        assert_eq!(
            category_of("DELETE /groups/{groupId}/members/{memberId}"),
            Some(Light)
        );
        assert_eq!(category_of("PATCH /meetings/{meetingId}"), Some(Light));
        assert_eq!(
            category_of("GET /report/meetings/{meetingId}/participants"),
            Some(Heavy)
        );
        assert_eq!(
            category_of("GET /past_webinars/{webinarId}/absentees"),
            Some(Heavy)
        );
        assert_eq!(
            category_of("GET /past_meetings/{meetingId}/instances"),
            Some(Medium)
        );
    }

    #[test]
    fn every_route_needs_a_known_scope() {
        let granted: Vec<&str> = crate::auth::SCOPES.split(' ').collect();
        for (key, _, _) in api_table() {
            let scope = crate::auth::required_scope(key);
            assert!(scope.is_some_and(|s| granted.contains(&s)), "{key}: {scope:?}");
        }
    }
}
