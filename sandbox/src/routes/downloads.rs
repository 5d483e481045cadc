//! Recording downloads, shaped like Zoom's: the `download_url` wants the bearer token (or
//! `?access_token=`), then redirects to storage on another host (`localhost` instead of
//! `127.0.0.1`) with a signed URL. Storage refuses any `Authorization` header, as S3 does
//! for presigned URLs, so a client that forwards the token across hosts fails loudly.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use super::query_map;
use crate::app::AppState;
use crate::auth;
use crate::errors::ApiError;
use crate::rng::{draw, mix};

/// How long a storage redirect stays valid.
const SIGNATURE_TTL_SECS: u64 = 3600;

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn signature(seed: u64, file_id: &str, expires: u64) -> String {
    format!("{:016x}", draw(seed, &format!("sig|{file_id}"), expires))
}

pub async fn download(
    State(app): State<AppState>,
    Path(file_id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let q = query_map(raw);
    if let Err(e) = auth::check_api(&app.store, &headers, q.get("access_token").map(String::as_str)) {
        return e.into_response();
    }
    if app.store.file_size(&file_id).is_none() {
        return ApiError::not_found(3301, "There is no recording for this session.").into_response();
    }
    let expires = unix_now() + SIGNATURE_TTL_SECS;
    let location = format!(
        "{}/storage/{file_id}?expires={expires}&sig={}",
        app.store.setup().storage_origin,
        signature(app.cfg.seed, &file_id, expires)
    );
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

/// The file's bytes `start..end`: a pure function of seed, file id and offset, so a
/// resumed download continues with exactly the bytes a full one would have had.
pub fn file_bytes(seed: u64, file_id: &str, start: u64, end: u64) -> Vec<u8> {
    let key = draw(seed, &format!("bytes|{file_id}"), 0);
    let mut out = Vec::with_capacity(usize::try_from(end.saturating_sub(start)).unwrap_or(0));
    let mut block = start / 8;
    let mut skip = (start % 8) as usize;
    while (out.len() as u64) < end.saturating_sub(start) {
        let word = mix(key ^ block.wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes();
        let want = usize::try_from(end - start).unwrap_or(0) - out.len();
        let take = (8 - skip).min(want);
        out.extend_from_slice(&word[skip..skip + take]);
        skip = 0;
        block += 1;
    }
    out
}

/// `bytes=N-` or `bytes=N-M` (one range); anything else is ignored, as S3 does.
fn parse_range(value: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let start: u64 = a.trim().parse().ok()?;
    let end = match b.trim() {
        "" => size,
        e => e.parse::<u64>().ok()?.saturating_add(1).min(size),
    };
    if start >= size || start >= end {
        return Some(Err(()));
    }
    Some(Ok((start, end)))
}

pub async fn storage(
    State(app): State<AppState>,
    Path(file_id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    if headers.contains_key(header::AUTHORIZATION) {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string \
             parameter or the Authorization header should be specified",
        );
    }
    let q = query_map(raw);
    let expires = q.get("expires").and_then(|e| e.parse::<u64>().ok()).unwrap_or(0);
    let signed = q
        .get("sig")
        .is_some_and(|s| *s == signature(app.cfg.seed, &file_id, expires));
    if !signed {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied");
    }
    if expires < unix_now() {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
    }
    let Some(size) = app.store.file_size(&file_id) else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        );
    };
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_range(v, size));
    let (status, start, end) = match range {
        None => (StatusCode::OK, 0, size),
        Some(Ok((start, end))) => (StatusCode::PARTIAL_CONTENT, start, end),
        Some(Err(())) => {
            let mut r = s3_error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "The requested range is not satisfiable",
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
    };
    let body = file_bytes(app.cfg.seed, &file_id, start, end);
    let full_length = body.len();
    let mut response = match app.faults.cut(end - start) {
        None => (status, body).into_response(),
        Some(at) => {
            // Declares the whole length, sends `at` bytes, then breaks the connection.
            let head = body[..usize::try_from(at).unwrap_or(0)].to_vec();
            // Yield once between the bytes and the break, so hyper sends the bytes first.
            let broken = futures::stream::once(async {
                tokio::task::yield_now().await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "download cut short by fault injection",
                ))
            });
            let chunks = futures::stream::iter([Ok::<_, std::io::Error>(head)]).chain(broken);
            let mut r = (status, Body::from_stream(chunks)).into_response();
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(full_length));
            r
        }
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "\"{:016x}\"",
        draw(app.cfg.seed, &format!("etag|{file_id}"), 0)
    )) {
        h.insert(header::ETAG, v);
    }
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", end - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_consistent_across_offsets() {
        let whole = file_bytes(7, "abc", 0, 1000);
        assert_eq!(whole.len(), 1000);
        assert_eq!(file_bytes(7, "abc", 13, 1000), whole[13..]);
        assert_eq!(file_bytes(7, "abc", 5, 6), whole[5..6]);
        assert_ne!(file_bytes(8, "abc", 0, 1000), whole);
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=10-", 100), Some(Ok((10, 100))));
        assert_eq!(parse_range("bytes=10-19", 100), Some(Ok((10, 20))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=1-", 100), None);
    }
}
