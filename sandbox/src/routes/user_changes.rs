//! `PUT /users/{userId}/email` and `POST /users/{userId}/picture` (FACTS: Users).

use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::{ApiResult, json_object, no_content};
use crate::app::AppState;
use crate::errors::{ApiError, Problems};
use crate::store::{EMAIL_CHANGES_PER_DAY, EmailChangeError, Picture};
use crate::validate::Fields;

/// `PUT /users/{userId}/email` answers Zoom does not document (FACTS: "verify"),
/// chosen here in one place as (HTTP status, code). "Exists" mirrors `POST /users`'
/// 409/1005; "not a managed domain" mirrors create's 400/1000 ("The user cannot be
/// created because …"); the 24-hour limit mirrors the password-change limit, 400/300
/// "… over the past 24 hours".
pub const EMAIL_EXISTS: (u16, i64) = (409, 1005);
pub const EMAIL_NOT_MANAGED: (u16, i64) = (400, 1000);
pub const EMAIL_CHANGE_LIMIT: (u16, i64) = (400, 300);

/// Zoom's picture limit: "File size cannot exceed 2M."
pub const PICTURE_MAX_BYTES: usize = 2 * 1024 * 1024;
/// What the sandbox reads of a picture upload before answering (an over-size file
/// must reach the 400/120 check, not a transport limit).
pub const PICTURE_BODY_LIMIT: usize = 4 * PICTURE_MAX_BYTES;

fn error((status, code): (u16, i64), message: String) -> ApiError {
    ApiError::new(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        code,
        message,
    )
}

pub async fn change_email(
    State(app): State<AppState>,
    Path(user_id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let body = json_object(&body)?;
    let mut problems = Problems::default();
    let mut f = Fields::new(&body, "", &mut problems);
    f.only(&["email"]);
    let email = f.email("email", true);
    problems.into_result()?;
    let email = email.unwrap_or_default();
    match app.store.change_email(&user_id, &email) {
        Ok(_) => Ok(no_content()),
        Err(EmailChangeError::NotFound) => Err(ApiError::user_not_found(&user_id)),
        Err(EmailChangeError::Admin) => Err(ApiError::bad_request(
            1000,
            "Admin can not change other admins email.",
        )),
        Err(EmailChangeError::NotManaged(domain)) => Err(error(
            EMAIL_NOT_MANAGED,
            format!(
                "The email address cannot be changed because {domain} is not a managed domain of this account."
            ),
        )),
        Err(EmailChangeError::Exists) => Err(error(
            EMAIL_EXISTS,
            format!("Email \"{}\" has already been used.", email.to_lowercase()),
        )),
        Err(EmailChangeError::TooMany(_)) => Err(error(
            EMAIL_CHANGE_LIMIT,
            format!(
                "The email address of this user has been changed the maximum number of times \
                 ({EMAIL_CHANGES_PER_DAY}) over the past 24 hours."
            ),
        )),
    }
}

fn file_error(message: &str) -> ApiError {
    ApiError::bad_request(120, message)
}

/// The image type by its first bytes: only JPEG and PNG are taken.
pub fn image_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else {
        None
    }
}

pub async fn upload_picture(
    State(app): State<AppState>,
    Path(user_id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult {
    if app.store.find_user(&user_id).is_none() {
        return Err(ApiError::user_not_found(&user_id));
    }
    let Ok(mut multipart) = multipart else {
        return Err(file_error("File is empty."));
    };
    let mut file = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("pic_file") => {
                let name = field.file_name().unwrap_or_default().to_string();
                let bytes = field.bytes().await.map_err(|_| file_error("File is empty."))?;
                file = Some((name, bytes));
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => return Err(file_error("File is empty.")),
        }
    }
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(file_error("File is empty."));
    };
    if bytes.len() > PICTURE_MAX_BYTES {
        return Err(file_error("File size cannot exceed 2M."));
    }
    let Some(kind) = image_kind(&bytes) else {
        return Err(file_error("Only jpg/jpeg or png image file can be uploaded."));
    };
    let picture = Picture {
        kind: kind.to_string(),
        bytes: bytes.len(),
        file_name,
    };
    if app.store.set_picture(&user_id, picture) {
        Ok(axum::response::IntoResponse::into_response(StatusCode::CREATED))
    } else {
        Err(ApiError::user_not_found(&user_id))
    }
}
