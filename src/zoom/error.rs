//! What a call to Zoom can end in, once retries are spent.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Zoom's error body: `{"code": <int>, "message": "<text>"}`, sometimes with field errors.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct ZoomErrorBody {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct FieldError {
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub message: String,
}

impl ZoomErrorBody {
    pub fn parse(body: &[u8]) -> ZoomErrorBody {
        serde_json::from_slice(body).unwrap_or_default()
    }

    /// The message, with field errors appended so the row's error says which field.
    pub fn full_message(&self) -> String {
        let mut msg = self.message.clone().unwrap_or_default();
        let fields: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        if !fields.is_empty() {
            if !msg.is_empty() {
                msg.push(' ');
            }
            msg.push_str(&format!("({})", fields.join("; ")));
        }
        msg
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// Zoom said no, and saying it again will not help (4xx other than 429/401-124).
    #[error("HTTP {status}{}: {message}", code.map(|c| format!(" code {c}")).unwrap_or_default())]
    Zoom {
        status: u16,
        code: Option<i64>,
        message: String,
        attempts: u32,
        /// An earlier attempt went unanswered (see [`ApiError::may_have_applied`]).
        unanswered: bool,
    },
    /// A daily limit is reached: no more of these requests until `reset_at`.
    #[error("daily limit reached: {message}")]
    DailyLimit {
        scope: String,
        reset_at: Option<DateTime<Utc>>,
        message: String,
        status: Option<u16>,
        attempts: u32,
        /// An earlier attempt went unanswered (see [`ApiError::may_have_applied`]).
        unanswered: bool,
    },
    /// 5xx, timeouts and connection errors that outlasted the retries.
    #[error("{message}")]
    Transport {
        status: Option<u16>,
        message: String,
        attempts: u32,
        /// An attempt went unanswered (see [`ApiError::may_have_applied`]).
        unanswered: bool,
    },
    /// The credentials do not work: fatal for the whole run.
    #[error("authentication failed: {message}")]
    Auth { message: String },
    /// The run was aborted (second Ctrl-C) while the request was in flight.
    #[error("aborted by the user before Zoom answered; the request may or may not have taken effect")]
    Aborted { attempts: u32 },
}

impl ApiError {
    pub fn attempts(&self) -> u32 {
        match self {
            ApiError::Zoom { attempts, .. }
            | ApiError::DailyLimit { attempts, .. }
            | ApiError::Transport { attempts, .. }
            | ApiError::Aborted { attempts } => *attempts,
            ApiError::Auth { .. } => 0,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Zoom { status, .. } => Some(*status),
            ApiError::DailyLimit { status, .. } | ApiError::Transport { status, .. } => *status,
            ApiError::Auth { .. } | ApiError::Aborted { .. } => None,
        }
    }

    /// Zoom's numeric code, when Zoom gave one.
    pub fn code(&self) -> Option<i64> {
        match self {
            ApiError::Zoom { code, .. } => *code,
            _ => None,
        }
    }

    /// Whether an attempt of this failed call may have been applied by Zoom: its
    /// answer was lost, it timed out, or Zoom answered 5xx after receiving it.
    /// Such a row is looked up before it is written. Retries after a 429 or a
    /// refreshed token do not count: Zoom refused those before doing anything.
    pub fn may_have_applied(&self) -> bool {
        match self {
            ApiError::Zoom { unanswered, .. }
            | ApiError::Transport { unanswered, .. }
            | ApiError::DailyLimit { unanswered, .. } => *unanswered,
            ApiError::Aborted { .. } => true,
            ApiError::Auth { .. } => false,
        }
    }

    /// Marks that an earlier attempt of the call went unanswered.
    pub fn after_unanswered(mut self, earlier: bool) -> ApiError {
        if let ApiError::Zoom { unanswered, .. }
        | ApiError::Transport { unanswered, .. }
        | ApiError::DailyLimit { unanswered, .. } = &mut self
        {
            *unanswered |= earlier;
        }
        self
    }

    pub fn is_code(&self, status: u16, code: i64) -> bool {
        matches!(self, ApiError::Zoom { status: s, code: Some(c), .. } if *s == status && *c == code)
    }

    /// Adds requests spent before this error (e.g. a lookup after a create).
    pub fn with_extra_attempts(mut self, extra: u32) -> ApiError {
        match &mut self {
            ApiError::Zoom { attempts, .. }
            | ApiError::DailyLimit { attempts, .. }
            | ApiError::Transport { attempts, .. }
            | ApiError::Aborted { attempts } => *attempts += extra,
            ApiError::Auth { .. } => {}
        }
        self
    }
}
