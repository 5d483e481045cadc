//! Server-to-Server OAuth (`POST /oauth/token`, grant `account_credentials`) and the bearer
//! check in front of every API call. Tokens are random, several may be valid at once, and
//! each expires after `token_ttl` (an expired one is told apart from an unknown one, as
//! Zoom does, so a client can tell "refresh" from "wrong credentials").

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use crate::app::AppState;
use crate::errors::{ApiError, MSG_EXPIRED_TOKEN, MSG_INVALID_TOKEN};
use crate::faults::{TokenFailure, dropped, html_bad_gateway};
use crate::store::{Store, TokenState};

/// Scopes an admin-level Server-to-Server app for zoombulk would hold.
pub const SCOPES: &str = "user:read:admin user:write:admin meeting:read:admin meeting:write:admin \
webinar:read:admin webinar:write:admin recording:read:admin account:read:admin \
group:read:admin group:write:admin";

/// The classic scope a `/v2` route needs, by its `"METHOD /template"` key (FACTS: Scopes).
pub fn required_scope(route: &str) -> Option<&'static str> {
    let (method, path) = route.split_once(' ')?;
    let write = method != "GET";
    let scope = if path.starts_with("/accounts/") {
        "account:read:admin"
    } else if path.ends_with("/recordings") {
        "recording:read:admin"
    } else if path.starts_with("/webinars") || path.ends_with("/webinars") {
        if write {
            "webinar:write:admin"
        } else {
            "webinar:read:admin"
        }
    } else if path.starts_with("/meetings") || path.ends_with("/meetings") {
        if write {
            "meeting:write:admin"
        } else {
            "meeting:read:admin"
        }
    } else if path.starts_with("/groups") {
        if write {
            "group:write:admin"
        } else {
            "group:read:admin"
        }
    } else if path.starts_with("/users") {
        if write {
            "user:write:admin"
        } else {
            "user:read:admin"
        }
    } else {
        return None;
    };
    Some(scope)
}

/// 400/4711 when the app lacks the scope `route` needs (`deny` lists the scopes withheld).
pub fn check_scope(deny: &[String], route: &str) -> Result<(), ApiError> {
    match required_scope(route) {
        Some(scope) if deny.iter().any(|d| d == scope) => Err(ApiError::bad_request(
            4711,
            format!("Invalid access token, does not contain scopes:[{scope}]."),
        )),
        _ => Ok(()),
    }
}

fn oauth_error(error: &str, reason: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "reason": reason, "error": error })),
    )
        .into_response()
}

/// Form-encoded pairs from the query string and (when form-encoded) the body; the body wins.
fn params(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if is_form {
        out.extend(form_urlencoded::parse(body).into_owned());
    }
    out
}

/// `client_id:client_secret` from `Authorization: Basic …`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

pub async fn token(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match app.faults.token_fault() {
        Some(TokenFailure::BadGatewayHtml) => return html_bad_gateway(),
        Some(TokenFailure::Drop) => return dropped(),
        None => {}
    }
    let cfg = &app.cfg;
    match basic_credentials(&headers) {
        Some((id, secret)) if id == cfg.client_id && secret == cfg.client_secret => {}
        _ => return oauth_error("invalid_client", "Invalid client_id or client_secret"),
    }
    let params = params(query.as_deref(), &headers, &body);
    if params.get("grant_type").map(String::as_str) != Some("account_credentials") {
        return oauth_error("unsupported_grant_type", "unsupported grant type");
    }
    if params.get("account_id") != Some(&cfg.account_id) {
        return oauth_error("invalid_request", "Invalid account_id");
    }
    let access_token = app.store.issue_token(cfg.token_ttl);
    let body = json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": cfg.token_ttl.as_secs(),
        "scope": granted_scopes(&cfg.deny_scopes),
        "api_url": app.api_origin,
    });
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// [`SCOPES`] without the withheld ones.
fn granted_scopes(deny: &[String]) -> String {
    SCOPES
        .split(' ')
        .filter(|s| !deny.iter().any(|d| d == s))
        .collect::<Vec<_>>()
        .join(" ")
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// 401 code 124 unless the request carries a valid token (`Authorization: Bearer`, or
/// `access_token` in the query where the route allows it).
pub fn check_api(store: &Store, headers: &HeaderMap, query_token: Option<&str>) -> Result<(), ApiError> {
    let Some(token) = bearer(headers).or(query_token).filter(|t| !t.is_empty()) else {
        return Err(ApiError::unauthorized(MSG_INVALID_TOKEN));
    };
    match store.token_state(token) {
        TokenState::Valid => Ok(()),
        TokenState::Expired => Err(ApiError::unauthorized(MSG_EXPIRED_TOKEN)),
        TokenState::Unknown => Err(ApiError::unauthorized(MSG_INVALID_TOKEN)),
    }
}
