//! Sending one logical request to Zoom: rate limit, token, retries, and the
//! decision of what each answer means (SPEC: Rate limits, concurrency, retries).
//!
//! Long on purpose: what an answer means (retry, back off, refresh the token,
//! stop a daily scope, give up) is one decision, read best in one place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::auth::{Auth, Credentials, Token, describe};
use super::error::{ApiError, ZoomErrorBody};
use super::plan::{Category, RateTable};
use super::ratelimit::{Bucket, CategoryLimiter, IntervalLimiter, Limiters};

/// How many 429 (QPS) answers one request may meet before it gives up: the
/// adaptive limiter should make this rare, so a high number only guards a loop.
const MAX_THROTTLED_RETRIES: u32 = 30;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest a QPS 429 makes a request wait, whatever its `Retry-After` says: the
/// quota is per second, so anything longer is not about it.
pub const MAX_QPS_WAIT: Duration = Duration::from_secs(10);
/// A daily limit's reset time further ahead than this is not believed: the quota
/// resets at 00:00 UTC, so the next midnight is used instead.
pub const MAX_DAILY_RESET_AHEAD: chrono::TimeDelta = chrono::TimeDelta::hours(48);
/// `Retry-After` seconds beyond this (ten years) are read as this: no value overflows.
const MAX_RETRY_AFTER_SECS: i64 = 10 * 366 * 24 * 3600;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// e.g. `https://api.zoom.us/v2`
    pub base_url: String,
    /// The user chose the base URL: ignore the `api_url` that comes with the token.
    pub base_url_explicit: bool,
    pub credentials: Credentials,
    pub rates: RateTable,
    pub max_retries: u32,
}

/// One request as the caller means it; [`Client::send`] may send it several times.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<serde_json::Value>,
    pub category: Category,
    /// A daily quota of its own (e.g. the user-invite cap of `action=create`, or
    /// one host's meeting writes): when Zoom says it is used up, only calls of
    /// this scope stop.
    pub daily_scope: Option<std::borrow::Cow<'static, str>>,
    /// Whether a 5xx, timeout or lost answer is sent again. Off for a create
    /// that a lost answer could duplicate (meetings): the caller looks first.
    pub retry_unanswered: bool,
    /// An endpoint limit of its own on top of the category (`POST /users/features`).
    pub bucket: Option<Bucket>,
    /// A file sent as `multipart/form-data` instead of a JSON body.
    pub upload: Option<Upload>,
}

/// One file part of a `multipart/form-data` request, kept as bytes so each retry
/// can build its form again.
#[derive(Debug, Clone)]
pub struct Upload {
    pub field: &'static str,
    pub file_name: String,
    pub mime: &'static str,
    pub bytes: Bytes,
}

impl Call {
    pub fn new(method: Method, path: impl Into<String>, category: Category) -> Call {
        Call {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            category,
            daily_scope: None,
            upload: None,
            bucket: None,
            retry_unanswered: true,
        }
    }
    pub fn get(path: impl Into<String>, category: Category) -> Call {
        Call::new(Method::GET, path, category)
    }
    pub fn query(mut self, key: &'static str, value: impl Into<String>) -> Call {
        self.query.push((key, value.into()));
        self
    }
    pub fn json(mut self, body: serde_json::Value) -> Call {
        self.body = Some(body);
        self
    }
    pub fn upload(mut self, upload: Upload) -> Call {
        self.upload = Some(upload);
        self
    }
    pub fn daily_scope(mut self, scope: impl Into<std::borrow::Cow<'static, str>>) -> Call {
        self.daily_scope = Some(scope.into());
        self
    }
    /// Never sent twice: a lost answer or 5xx comes back as the error at once.
    pub fn once(mut self) -> Call {
        self.retry_unanswered = false;
        self
    }
    pub fn bucket(mut self, bucket: Bucket) -> Call {
        self.bucket = Some(bucket);
        self
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: Bytes,
    /// Requests sent for this call, retries included.
    pub attempts: u32,
}

impl Response {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError::Transport {
            status: Some(self.status),
            message: format!("Zoom's answer could not be read ({e})"),
            attempts: self.attempts,
            // Answered, but unreadable: whatever was asked may well have been done.
            unanswered: true,
        })
    }

    /// The body read as `T`, kept with the status and attempts a results row reports.
    pub fn sent<T: DeserializeOwned>(&self) -> Result<Sent<T>, ApiError> {
        Ok(Sent {
            value: self.json()?,
            status: self.status,
            attempts: self.attempts,
        })
    }

    /// For answers whose body says nothing (204): only the status and attempts matter.
    pub fn done(&self) -> Sent<()> {
        Sent {
            value: (),
            status: self.status,
            attempts: self.attempts,
        }
    }
}

/// A result plus the requests it took: what a results row reports about a call.
#[derive(Debug, Clone)]
pub struct Sent<T> {
    pub value: T,
    pub status: u16,
    pub attempts: u32,
}

/// Waits between retries of 5xx answers, resets and timeouts (API calls and the
/// token endpoint alike): exponential from 250 ms to 20 s, with jitter; the
/// callers count the attempts.
pub(crate) fn server_error_backoff() -> impl Iterator<Item = Duration> {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(250))
        .with_max_delay(Duration::from_secs(20))
        .with_jitter()
        .without_max_times()
        .build()
}

/// The shared client: clone it freely, every clone shares token, limiters and state.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    auth: Auth,
    config: ClientConfig,
    limiters: Limiters,
    /// Daily quotas Zoom said are used up, by scope, with their reset time.
    exhausted: Mutex<HashMap<String, Option<DateTime<Utc>>>>,
    /// Cancelled on the second Ctrl-C: requests in flight are abandoned.
    abort: CancellationToken,
    started: Instant,
}

/// What happened to one attempt, and what to do next.
enum Verdict {
    Done(Response),
    Fail(ApiError),
    RetryAfterBackoff(String, Option<u16>),
    RetryThrottled(Option<Duration>),
    RefreshToken(u64),
}

impl Client {
    /// A client whose requests go nowhere (nothing listens on port 9), for unit
    /// tests of code that must not send.
    #[cfg(test)]
    pub(crate) fn offline() -> Client {
        Client::new(ClientConfig {
            base_url: "http://127.0.0.1:9/v2".into(),
            base_url_explicit: true,
            credentials: super::auth::Credentials::Static(super::auth::Secret::new("t")),
            rates: super::RateTable::for_plan(super::Plan::Pro),
            max_retries: 0,
        })
        .expect("a client for tests")
    }

    pub fn new(config: ClientConfig) -> Result<Client, String> {
        let http = http_client()?;
        let auth = Auth::new(config.credentials.clone(), http.clone(), config.max_retries);
        Ok(Client {
            inner: Arc::new(Inner {
                limiters: Limiters::new(&config.rates),
                http,
                auth,
                config,
                exhausted: Mutex::new(HashMap::new()),
                abort: CancellationToken::new(),
                started: Instant::now(),
            }),
        })
    }

    /// Fetches the first token, so bad credentials stop the run before any row is sent.
    pub async fn check_credentials(&self) -> Result<(), ApiError> {
        let token = self.inner.auth.token().await?;
        self.base_url(&token).map(|_| ())
    }

    pub fn limiter(&self, category: Category) -> &CategoryLimiter {
        self.inner.limiters.get(category)
    }

    /// The limiter of an endpoint with a limit of its own (`POST /users/features`).
    pub fn bucket(&self, bucket: Bucket) -> &IntervalLimiter {
        self.inner.limiters.bucket(bucket)
    }

    pub fn rates(&self) -> &RateTable {
        &self.inner.config.rates
    }

    pub fn elapsed(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// Abandons requests in flight (second Ctrl-C).
    pub fn abort(&self) {
        self.inner.abort.cancel();
    }

    /// Daily quotas that ran out during this run, with their reset times.
    pub fn exhausted_daily_limits(&self) -> Vec<(String, Option<DateTime<Utc>>)> {
        let map = self.inner.exhausted.lock().map(|m| m.clone()).unwrap_or_default();
        let mut v: Vec<_> = map.into_iter().collect();
        v.sort();
        v
    }

    /// The reqwest client, for downloads that need the bearer token but not the API base.
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// A valid bearer token, for callers that fetch URLs Zoom gave them (downloads).
    pub async fn bearer(&self) -> Result<Token, ApiError> {
        self.inner.auth.token().await
    }

    /// Forgets a token Zoom rejected (a download answered 401).
    pub async fn invalidate_token(&self, generation: u64) -> bool {
        self.inner.auth.invalidate(generation).await
    }

    fn base_url(&self, token: &Token) -> Result<String, ApiError> {
        let config = &self.inner.config;
        match token.api_url.as_deref() {
            Some(api_url) if !config.base_url_explicit => {
                let base = format!("{}/v2", api_url.trim_end_matches('/'));
                super::urls::check_url_scheme(&base).map_err(|message| ApiError::Auth { message })?;
                Ok(base)
            }
            _ => Ok(config.base_url.trim_end_matches('/').to_string()),
        }
    }

    fn daily_key(call: &Call) -> String {
        call.daily_scope
            .as_deref()
            .map_or_else(|| call.category.to_string(), str::to_string)
    }

    fn check_daily(&self, call: &Call, attempts: u32, unanswered: bool) -> Result<(), ApiError> {
        let exhausted = self.inner.exhausted.lock().map(|m| {
            [Self::daily_key(call), call.category.to_string()]
                .into_iter()
                .find_map(|k| m.get(&k).map(|reset| (k, *reset)))
        });
        if let Ok(Some((scope, reset_at))) = exhausted {
            return Err(ApiError::DailyLimit {
                message: format!("not sent: the daily limit for {scope} was reached earlier in this run"),
                scope,
                reset_at,
                status: None,
                attempts,
                unanswered,
            });
        }
        Ok(())
    }

    /// Sends `call`, retrying what is worth retrying, and returns the final 2xx answer.
    pub async fn send(&self, call: &Call) -> Result<Response, ApiError> {
        let max_retries = self.inner.config.max_retries;
        let mut backoff = server_error_backoff();
        let mut throttle_backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(500))
            .with_max_delay(Duration::from_secs(10))
            .with_jitter()
            .without_max_times()
            .build();
        let (mut attempts, mut retries, mut throttled, mut refreshed) = (0u32, 0u32, 0u32, false);
        // Some attempt went unanswered (lost, timed out, 5xx): Zoom may have applied it.
        let mut unanswered = false;
        self.inner
            .limiters
            .get(call.category)
            .note_endpoint(call.method.as_str(), &call.path);
        loop {
            self.check_daily(call, attempts, unanswered)?;
            // Held until this attempt is answered: the bucket's interval runs from then.
            let own_slot = match call.bucket {
                Some(bucket) => tokio::select! {
                    permit = self.inner.limiters.bucket(bucket).acquire() => Some(permit),
                    _ = self.inner.abort.cancelled() => return Err(ApiError::Aborted { attempts }),
                },
                None => None,
            };
            let limiter = self.inner.limiters.get(call.category);
            tokio::select! {
                _ = limiter.acquire() => {}
                _ = self.inner.abort.cancelled() => return Err(ApiError::Aborted { attempts }),
            }
            let token = tokio::select! {
                t = self.inner.auth.token() => t.map_err(|e| e.with_extra_attempts(attempts))?,
                _ = self.inner.abort.cancelled() => return Err(ApiError::Aborted { attempts }),
            };
            attempts += 1;
            let on_wire = limiter.start_attempt();
            let verdict = tokio::select! {
                v = self.attempt(call, &token, attempts) => v,
                _ = self.inner.abort.cancelled() => return Err(ApiError::Aborted { attempts }),
            };
            // Only an answer measures the round trip (not a reset connection).
            if !matches!(verdict, Verdict::RetryAfterBackoff(_, None)) {
                on_wire.answered();
            }
            drop(own_slot);
            let pause = match verdict {
                Verdict::Done(response) => {
                    limiter.on_success();
                    return Ok(response);
                }
                Verdict::Fail(err) => return Err(err.after_unanswered(unanswered)),
                Verdict::RefreshToken(generation) if !refreshed => {
                    refreshed = true;
                    if !self.inner.auth.invalidate(generation).await {
                        return Err(ApiError::Auth {
                            message: "Zoom rejected the access token given with --token/ZOOM_ACCESS_TOKEN \
                                      (expired or invalid); use Server-to-Server OAuth credentials so \
                                      zoombulk can refresh it"
                                .into(),
                        });
                    }
                    continue;
                }
                Verdict::RefreshToken(_) => {
                    return Err(ApiError::Auth {
                        message: "Zoom rejected a freshly fetched access token (401 code 124)".into(),
                    });
                }
                Verdict::RetryThrottled(retry_after) => {
                    throttled += 1;
                    if throttled > MAX_THROTTLED_RETRIES {
                        return Err(ApiError::Transport {
                            status: Some(429),
                            message: format!(
                                "Zoom kept answering 429 (rate limit) after {MAX_THROTTLED_RETRIES} retries"
                            ),
                            attempts,
                            unanswered,
                        });
                    }
                    let wait = throttle_backoff.next().unwrap_or(Duration::from_secs(1));
                    retry_after.map_or(wait, |ra| ra.max(wait))
                }
                Verdict::RetryAfterBackoff(message, status) => {
                    retries += 1;
                    unanswered = true;
                    if !call.retry_unanswered {
                        return Err(ApiError::Transport {
                            status,
                            message,
                            attempts,
                            unanswered: true,
                        });
                    }
                    if retries > max_retries {
                        return Err(ApiError::Transport {
                            status,
                            message: format!("{message} (gave up after {attempts} attempts)"),
                            attempts,
                            unanswered: true,
                        });
                    }
                    tracing::debug!(path = %call.path, attempts, "retrying: {message}");
                    backoff.next().unwrap_or(Duration::from_secs(1))
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = self.inner.abort.cancelled() => return Err(ApiError::Aborted { attempts }),
            }
        }
    }

    async fn attempt(&self, call: &Call, token: &Token, attempts: u32) -> Verdict {
        let base = match self.base_url(token) {
            Ok(b) => b,
            Err(e) => return Verdict::Fail(e),
        };
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), format!("{base}{}", call.path))
            .bearer_auth(token.value.expose());
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        if let Some(upload) = &call.upload {
            let length = u64::try_from(upload.bytes.len()).unwrap_or(u64::MAX);
            let part = reqwest::multipart::Part::stream_with_length(upload.bytes.clone(), length)
                .file_name(upload.file_name.clone())
                .mime_str(upload.mime);
            match part {
                Ok(part) => {
                    request = request.multipart(reqwest::multipart::Form::new().part(upload.field, part))
                }
                Err(e) => {
                    return Verdict::Fail(ApiError::Transport {
                        status: None,
                        message: format!("the upload could not be prepared ({e})"),
                        attempts,
                        unanswered: false,
                    });
                }
            }
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Verdict::RetryAfterBackoff(describe(&e), None),
        };
        let status = response.status();
        tracing::debug!(
            "{} {} -> {} (attempt {attempts})",
            call.method,
            call.path,
            status.as_u16()
        );
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => return Verdict::RetryAfterBackoff(describe(&e), Some(status.as_u16())),
        };
        self.judge(call, status, &headers, body, token, attempts)
    }

    fn judge(
        &self,
        call: &Call,
        status: StatusCode,
        headers: &HeaderMap,
        body: Bytes,
        token: &Token,
        attempts: u32,
    ) -> Verdict {
        let code = status.as_u16();
        if status.is_success() {
            return Verdict::Done(Response {
                status: code,
                body,
                attempts,
            });
        }
        let error = ZoomErrorBody::parse(&body);
        match code {
            401 if error.code == Some(124) || error.code.is_none() => Verdict::RefreshToken(token.generation),
            429 => {
                let message = error.full_message();
                let kind = header(headers, "x-ratelimit-type").unwrap_or_default();
                let daily = kind.eq_ignore_ascii_case("daily-limit")
                    || message.to_ascii_lowercase().contains("daily");
                let retry_after = header(headers, "retry-after").and_then(|v| parse_retry_after(&v));
                if daily {
                    // A category's own daily quota stops the whole category; any other daily
                    // message (the user-invite cap) stops only calls of the call's scope.
                    let category_wide = message.to_ascii_lowercase().contains("maximum daily rate limit");
                    let scope = match &call.daily_scope {
                        Some(scope) if !category_wide => scope.to_string(),
                        _ => header(headers, "x-ratelimit-category")
                            .and_then(|c| Category::from_header(&c))
                            .unwrap_or(call.category)
                            .to_string(),
                    };
                    let reset_at = daily_reset(retry_after);
                    let first = self
                        .inner
                        .exhausted
                        .lock()
                        .is_ok_and(|mut m| m.insert(scope.clone(), reset_at).is_none());
                    if first {
                        tracing::warn!(
                            "Zoom's daily limit for {scope} is reached; the rest of these rows are deferred"
                        );
                    }
                    return Verdict::Fail(ApiError::DailyLimit {
                        scope,
                        reset_at,
                        message: if message.is_empty() {
                            "daily limit reached".into()
                        } else {
                            message
                        },
                        status: Some(429),
                        unanswered: false,
                        attempts,
                    });
                }
                let limit = header(headers, "x-ratelimit-limit").and_then(|v| v.trim().parse().ok());
                // An endpoint's own limit says nothing about the category's rate.
                if call.bucket.is_none() {
                    self.inner.limiters.get(call.category).on_throttled(limit);
                }
                Verdict::RetryThrottled(retry_after.map(|r| r.wait.min(MAX_QPS_WAIT)))
            }
            500..=599 => Verdict::RetryAfterBackoff(
                format!("Zoom answered HTTP {code}{}", tail(&error.full_message())),
                Some(code),
            ),
            408 => Verdict::RetryAfterBackoff("Zoom answered HTTP 408 (request timeout)".into(), Some(code)),
            _ => Verdict::Fail(ApiError::Zoom {
                status: code,
                code: error.code,
                message: if error.full_message().is_empty() {
                    status.canonical_reason().unwrap_or("error").to_string()
                } else {
                    error.full_message()
                },
                attempts,
                unanswered: false,
            }),
        }
    }
}

fn tail(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `Retry-After` as Zoom sends it: seconds, an HTTP date, or an ISO timestamp.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryAfter {
    pub at: DateTime<Utc>,
    pub wait: Duration,
}

/// Parses `Retry-After`; no value panics (seconds beyond [`MAX_RETRY_AFTER_SECS`] are
/// read as that many). Callers cap what they do with it.
pub fn parse_retry_after(value: &str) -> Option<RetryAfter> {
    parse_retry_after_at(value, Utc::now())
}

fn parse_retry_after_at(value: &str, now: DateTime<Utc>) -> Option<RetryAfter> {
    let value = value.trim();
    let at = if value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
        // Too many digits for u64 is still "very long".
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        let secs = i64::try_from(secs).unwrap_or(i64::MAX).min(MAX_RETRY_AFTER_SECS);
        now.checked_add_signed(chrono::TimeDelta::try_seconds(secs)?)?
    } else if let Ok(t) = httpdate::parse_http_date(value) {
        DateTime::<Utc>::from(t)
    } else if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        t.with_timezone(&Utc)
    } else {
        chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S")
            .ok()?
            .and_utc()
    };
    let wait = at.signed_duration_since(now).to_std().unwrap_or(Duration::ZERO);
    Some(RetryAfter { at, wait })
}

/// When a daily quota resets: Zoom's `Retry-After` when it is believable (within
/// [`MAX_DAILY_RESET_AHEAD`]), else the next 00:00 UTC.
fn daily_reset(retry_after: Option<RetryAfter>) -> Option<DateTime<Utc>> {
    daily_reset_at(retry_after, Utc::now())
}

fn daily_reset_at(retry_after: Option<RetryAfter>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let believable = |at: DateTime<Utc>| {
        now.checked_add_signed(MAX_DAILY_RESET_AHEAD)
            .is_some_and(|limit| at <= limit)
    };
    match retry_after {
        Some(r) if believable(r.at) => Some(r.at),
        _ => next_utc_midnight_after(now),
    }
}

fn next_utc_midnight_after(now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let tomorrow = now.date_naive().succ_opt()?;
    Some(tomorrow.and_hms_opt(0, 0, 0)?.and_utc())
}

fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .user_agent(concat!("zoombulk/", env!("CARGO_PKG_VERSION")))
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .https_only(false) // checked per URL: http only for loopback (urls::check_url_scheme)
        .pool_max_idle_per_host(256)
        .build()
        .map_err(|e| format!("could not set up the HTTP client: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_http_dates_and_iso() {
        let s = parse_retry_after("30").unwrap();
        assert!(s.wait <= Duration::from_secs(30) && s.wait >= Duration::from_secs(29));
        let h = parse_retry_after("Wed, 21 Oct 2099 00:00:00 GMT").unwrap();
        assert_eq!(h.at.to_rfc3339(), "2099-10-21T00:00:00+00:00");
        let i = parse_retry_after("2099-10-21T00:00:00Z").unwrap();
        assert_eq!(i.at, h.at);
        let past = parse_retry_after("2001-01-01T00:00:00Z").unwrap();
        assert_eq!(past.wait, Duration::ZERO);
        assert!(parse_retry_after("soon").is_none());
    }

    #[test]
    fn retry_after_never_panics_and_is_capped() {
        let now = Utc::now();
        for value in [
            "99999999999999",
            "9999999999",
            "18446744073709551615",
            "999999999999999999999999999",
            "9223372036854775807",
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "+262143-12-31T23:59:59Z",
            "9999-12-31T23:59:59",
            "",
            "-5",
            "1e99",
        ] {
            if let Some(r) = parse_retry_after_at(value, now) {
                // What a QPS 429 waits, and when a daily quota is taken to reset.
                assert!(r.wait.min(MAX_QPS_WAIT) <= MAX_QPS_WAIT);
                let reset = daily_reset_at(Some(r), now).unwrap();
                assert!(reset <= now + MAX_DAILY_RESET_AHEAD, "{value}");
            }
        }
        let huge = parse_retry_after_at("99999999999999", now).unwrap();
        assert_eq!(
            daily_reset_at(Some(huge), now),
            next_utc_midnight_after(now),
            "a reset years away means the next 00:00 UTC"
        );
        let soon = parse_retry_after_at("3600", now).unwrap();
        assert_eq!(daily_reset_at(Some(soon), now), Some(soon.at));
        assert_eq!(daily_reset_at(None, now), next_utc_midnight_after(now));
    }
}
