//! Server-to-Server OAuth: one token shared by every request, fetched lazily,
//! refreshed before it expires and once when Zoom says it is invalid (401/124).

use std::fmt;
use std::time::{Duration, Instant};

use base64::Engine;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::error::ApiError;

/// A string that must never be printed: Debug and Display show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where tokens come from.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// Server-to-Server OAuth app: tokens are fetched and refreshed.
    ServerToServer {
        oauth_url: String,
        account_id: String,
        client_id: String,
        client_secret: Secret,
    },
    /// A ready bearer token (`--token`): cannot be refreshed.
    Static(Secret),
}

/// A token and what came with it.
#[derive(Debug, Clone)]
pub struct Token {
    pub value: Secret,
    /// Distinguishes tokens so a 401 invalidates only the token it was sent with.
    pub generation: u64,
    /// The API host Zoom assigned to the account (data residency), when it said.
    pub api_url: Option<String>,
    refresh_at: Option<Instant>,
}

/// A token's lifetime when Zoom does not say (FACTS: tokens last one hour).
const DEFAULT_TTL: Duration = Duration::from_secs(3600);
/// Lifetimes are read within these bounds: a zero or negative `expires_in` must not
/// make every request fetch a token, a huge one must not overflow the clock.
const MIN_TTL: Duration = Duration::from_secs(60);
const MAX_TTL: Duration = Duration::from_secs(24 * 3600);
/// One token request may take this long before it counts as failed and is retried.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);
/// The OAuth errors that mean the credentials themselves are wrong (FACTS.md).
const CREDENTIAL_ERRORS: [&str; 3] = ["invalid_client", "invalid_request", "unsupported_grant_type"];

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    /// Read leniently: a negative or fractional value must not make the token unreadable.
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    api_url: Option<String>,
}

#[derive(Deserialize, Default)]
struct OAuthError {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

pub struct Auth {
    credentials: Credentials,
    http: reqwest::Client,
    current: Mutex<Option<Token>>,
    /// Retries of a token request that failed for network or server reasons.
    max_retries: u32,
}

/// What one token request came to.
enum Answer {
    Token(Token),
    /// Zoom refused the credentials: fatal, never retried.
    Refused(String),
    /// Worth another try (5xx, 429, HTML, reset, timeout), with Zoom's wait if it gave one.
    Retry {
        why: String,
        status: Option<u16>,
        wait: Option<Duration>,
    },
    /// Not the credentials, but not worth retrying either (e.g. 404: a wrong --oauth-url).
    Fail(String),
}

impl Auth {
    pub fn new(credentials: Credentials, http: reqwest::Client, max_retries: u32) -> Auth {
        Auth {
            credentials,
            http,
            current: Mutex::new(None),
            max_retries,
        }
    }

    /// The token to send now; fetches one if there is none or it is about to expire.
    pub async fn token(&self) -> Result<Token, ApiError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref() {
            let fresh = token.refresh_at.is_none_or(|at| Instant::now() < at);
            if fresh {
                return Ok(token.clone());
            }
        }
        let generation = current.as_ref().map_or(1, |t| t.generation + 1);
        let token = self.fetch(generation).await?;
        *current = Some(token.clone());
        Ok(token)
    }

    /// Forget `generation` after Zoom rejected it, so the next `token()` fetches anew.
    /// Returns false when no new token can be had (a static `--token`).
    pub async fn invalidate(&self, generation: u64) -> bool {
        if matches!(self.credentials, Credentials::Static(_)) {
            return false;
        }
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|t| t.generation == generation) {
            if let Some(t) = current.as_mut() {
                t.refresh_at = Some(Instant::now());
            }
        }
        true
    }

    /// Fetches a token, retrying network and server failures with backoff and jitter.
    async fn fetch(&self, generation: u64) -> Result<Token, ApiError> {
        let oauth_url = match &self.credentials {
            Credentials::Static(value) => {
                return Ok(Token {
                    value: value.clone(),
                    generation,
                    api_url: None,
                    refresh_at: None,
                });
            }
            Credentials::ServerToServer { oauth_url, .. } => oauth_url,
        };
        let mut backoff = super::client::server_error_backoff();
        let mut attempts = 0u32;
        loop {
            attempts = attempts.saturating_add(1);
            match self.request(generation).await {
                Answer::Token(token) => return Ok(token),
                Answer::Refused(message) => return Err(ApiError::Auth { message }),
                Answer::Fail(message) => return Err(ApiError::Auth { message }),
                Answer::Retry { why, status, wait } => {
                    if attempts > self.max_retries {
                        return Err(ApiError::Transport {
                            status,
                            message: format!(
                                "could not get an access token from {oauth_url}: {why} (gave up after \
                                 {attempts} attempts). This is a network or server problem, not a \
                                 problem with the credentials; try again later."
                            ),
                            attempts: 0,
                            unanswered: false,
                        });
                    }
                    let pause = backoff.next().unwrap_or(Duration::from_secs(1));
                    let pause = wait.map_or(pause, |w| w.min(crate::zoom::client::MAX_QPS_WAIT).max(pause));
                    tracing::debug!(attempts, "retrying the token request: {why}");
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }

    async fn request(&self, generation: u64) -> Answer {
        let Credentials::ServerToServer {
            oauth_url,
            account_id,
            client_id,
            client_secret,
        } = &self.credentials
        else {
            return Answer::Fail("no OAuth credentials".into());
        };
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{client_id}:{}", client_secret.expose()));
        let sent_at = Instant::now();
        let response = self
            .http
            .post(oauth_url)
            .header(reqwest::header::AUTHORIZATION, format!("Basic {basic}"))
            .form(&[
                ("grant_type", "account_credentials"),
                ("account_id", account_id.as_str()),
            ])
            .timeout(TOKEN_TIMEOUT)
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                return Answer::Retry {
                    why: describe(&e),
                    status: None,
                    wait: None,
                };
            }
        };
        let status = response.status();
        let code = status.as_u16();
        let wait = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(crate::zoom::client::parse_retry_after)
            .map(|r| r.wait);
        let body = match response.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return Answer::Retry {
                    why: format!("the answer broke off: {}", describe(&e)),
                    status: Some(code),
                    wait: None,
                };
            }
        };
        let what = |code: u16| {
            format!(
                "HTTP {code}{}",
                if looks_like_json(&body) {
                    ""
                } else {
                    " (not a JSON answer)"
                }
            )
        };
        if status.is_success() {
            return match serde_json::from_slice::<TokenResponse>(&body) {
                Ok(parsed) => Answer::Token(token_from(parsed, generation, sent_at)),
                // A proxy's HTML page or a truncated body: the server is not itself.
                Err(_) => Answer::Retry {
                    why: format!("{} without an access_token", what(code)),
                    status: Some(code),
                    wait: None,
                },
            };
        }
        let err: Option<OAuthError> = serde_json::from_slice(&body).ok();
        let error = err.as_ref().and_then(|e| e.error.clone()).unwrap_or_default();
        let reason = err
            .and_then(|e| e.reason.or(e.error))
            .unwrap_or_else(|| "no reason given".into());
        let credentials_refused = code == 401 || (code == 400 && CREDENTIAL_ERRORS.contains(&error.as_str()));
        if credentials_refused {
            return Answer::Refused(format!(
                "Zoom refused the Server-to-Server OAuth credentials (HTTP {code}): {reason}. \
                 Check the account id, client id and client secret of your app \
                 (flags, ZOOM_* environment variables or the config profile)."
            ));
        }
        if status.is_server_error() || code == 429 || code == 408 {
            return Answer::Retry {
                why: what(code),
                status: Some(code),
                wait,
            };
        }
        Answer::Fail(format!(
            "the OAuth endpoint {oauth_url} answered {}: {reason}; check --oauth-url",
            what(code)
        ))
    }
}

fn looks_like_json(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body).is_ok()
}

/// The token from Zoom's answer, with its refresh time computed without overflow.
fn token_from(parsed: TokenResponse, generation: u64, sent_at: Instant) -> Token {
    let ttl = ttl_of(parsed.expires_in.as_ref());
    // Refresh early: a tenth of the lifetime, at most a minute, before expiry.
    let margin = (ttl / 10).min(Duration::from_secs(60));
    Token {
        value: Secret::new(parsed.access_token),
        generation,
        api_url: parsed.api_url.filter(|u| !u.is_empty()),
        refresh_at: sent_at.checked_add(ttl.saturating_sub(margin)),
    }
}

/// `expires_in` within [`MIN_TTL`]..=[`MAX_TTL`]; [`DEFAULT_TTL`] when absent or unreadable.
fn ttl_of(expires_in: Option<&serde_json::Value>) -> Duration {
    let secs = expires_in.and_then(|v| {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse::<f64>().ok()))
    });
    match secs {
        Some(s) if s.is_finite() => {
            let s = s.clamp(MIN_TTL.as_secs_f64(), MAX_TTL.as_secs_f64());
            Duration::from_secs_f64(s)
        }
        _ => DEFAULT_TTL,
    }
}

/// A transport error in words, without the URL's query (which could hold a token).
pub fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the response broke off"
    } else if e.is_request() {
        "the request failed"
    } else {
        "network error"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} ({detail})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetimes_are_bounded_and_never_overflow() {
        let v = |j: &str| serde_json::from_str::<serde_json::Value>(j).unwrap();
        assert_eq!(ttl_of(None), DEFAULT_TTL);
        assert_eq!(ttl_of(Some(&v("3600"))), Duration::from_secs(3600));
        assert_eq!(ttl_of(Some(&v("0"))), MIN_TTL);
        assert_eq!(ttl_of(Some(&v("-5"))), MIN_TTL);
        assert_eq!(ttl_of(Some(&v("18446744073709551615"))), MAX_TTL);
        assert_eq!(ttl_of(Some(&v("1e308"))), MAX_TTL);
        assert_eq!(ttl_of(Some(&v("\"7200\""))), Duration::from_secs(7200));
        assert_eq!(ttl_of(Some(&v("null"))), DEFAULT_TTL);
        for expires_in in ["-9223372036854775808", "0", "99999999999999999999"] {
            let parsed: TokenResponse =
                serde_json::from_str(&format!(r#"{{"access_token":"t","expires_in":{expires_in}}}"#))
                    .unwrap();
            let token = token_from(parsed, 1, Instant::now());
            let at = token.refresh_at.expect("a refresh time");
            assert!(at > Instant::now(), "{expires_in}: a token is used at least once");
        }
    }
}
