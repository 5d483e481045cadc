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

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
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
}

impl Auth {
    pub fn new(credentials: Credentials, http: reqwest::Client) -> Auth {
        Auth {
            credentials,
            http,
            current: Mutex::new(None),
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

    async fn fetch(&self, generation: u64) -> Result<Token, ApiError> {
        let (oauth_url, account_id, client_id, client_secret) = match &self.credentials {
            Credentials::Static(value) => {
                return Ok(Token {
                    value: value.clone(),
                    generation,
                    api_url: None,
                    refresh_at: None,
                });
            }
            Credentials::ServerToServer {
                oauth_url,
                account_id,
                client_id,
                client_secret,
            } => (oauth_url, account_id, client_id, client_secret),
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
            .send()
            .await
            .map_err(|e| ApiError::Auth {
                message: format!("could not reach the OAuth endpoint {oauth_url}: {}", describe(&e)),
            })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| ApiError::Auth {
            message: format!(
                "the OAuth endpoint {oauth_url} broke off its answer: {}",
                describe(&e)
            ),
        })?;
        if !status.is_success() {
            let err: OAuthError = serde_json::from_slice(&body).unwrap_or_default();
            let reason = err
                .reason
                .or(err.error)
                .unwrap_or_else(|| "no reason given".into());
            return Err(ApiError::Auth {
                message: format!(
                    "Zoom refused the Server-to-Server OAuth credentials (HTTP {}): {reason}. \
                     Check the account id, client id and client secret of your app \
                     (flags, ZOOM_* environment variables or the config profile).",
                    status.as_u16()
                ),
            });
        }
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|_| ApiError::Auth {
            message: format!("the OAuth endpoint {oauth_url} answered without an access_token"),
        })?;
        let ttl = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        // Refresh early: a tenth of the lifetime, at most a minute, before expiry.
        let margin = (ttl / 10).min(Duration::from_secs(60));
        Ok(Token {
            value: Secret::new(parsed.access_token),
            generation,
            api_url: parsed.api_url.filter(|u| !u.is_empty()),
            refresh_at: Some(sent_at + ttl - margin),
        })
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
