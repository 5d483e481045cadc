//! Zoom's error bodies. Every message the client may match on lives here once, byte for
//! byte as FACTS.md (or, where FACTS is silent, Zoom's OpenAPI text) gives it.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

pub const MSG_INVALID_TOKEN: &str = "Invalid access token.";
pub const MSG_EXPIRED_TOKEN: &str = "Access token is expired.";
pub const MSG_BAD_JSON: &str = "Request Body should be a valid JSON object.";
pub const MSG_VALIDATION: &str = "Validation Failed.";
pub const MSG_ON_PREM: &str = "Your account can't set user type as On-prem.";
pub const MSG_BAD_PAGE_TOKEN: &str = "The next page token is invalid or expired.";
pub const MSG_QPS: &str = "You have reached the maximum per-second rate limit for this API. Try again later.";
pub const MSG_DAILY: &str = "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.";
pub const MSG_NO_PRIVILEGE: &str = "No privilege.";
pub const MSG_UNKNOWN_ENDPOINT: &str = "This API endpoint is not recognized.";

/// Field-level messages inside `errors:[{field,message}]`.
pub const FIELD_INVALID: &str = "Invalid field.";
pub const FIELD_REQUIRED: &str = "This field is required.";
pub const FIELD_UNKNOWN: &str = "Unrecognized field.";

pub fn invite_cap_message(cap: u32) -> String {
    format!(
        "You have exceeded the daily rate limit ({cap}) of user invite requests permitted for this account. \
         You may resume these requests at GMT 00:00:00."
    )
}

pub fn meeting_cap_message(cap: u32) -> String {
    format!(
        "You have exceeded the daily rate limit ({cap}) of Meeting Create/Update API requests permitted for \
         this particular user. You may resume these requests at GMT 00:00:00."
    )
}

pub fn too_long(max: usize) -> String {
    format!("Length of this field must be less than or equal to {max}.")
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A Zoom error response: status, `{"code","message"}`, optional `errors` and headers.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: i64,
    pub message: String,
    pub errors: Vec<FieldError>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(code: i64, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: i64, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn bad_json() -> Self {
        Self::bad_request(300, MSG_BAD_JSON)
    }

    /// `Invalid parameter: NAME` (Zoom's wording for a rejected query parameter or field).
    pub fn invalid_parameter(name: &str) -> Self {
        Self::bad_request(300, format!("Invalid parameter: {name}"))
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        ApiError {
            errors,
            ..Self::bad_request(300, MSG_VALIDATION)
        }
    }

    pub fn user_not_found(user: &str) -> Self {
        Self::not_found(1001, format!("User does not exist: {user}."))
    }

    pub fn bad_page_token() -> Self {
        Self::bad_request(300, MSG_BAD_PAGE_TOKEN)
    }

    pub fn unauthorized(message: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 124, message)
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = if self.errors.is_empty() {
            json!({ "code": self.code, "message": self.message })
        } else {
            json!({ "code": self.code, "message": self.message, "errors": self.errors })
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

/// Collects field errors so one response can name every bad field, as Zoom does.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}
