//! Users endpoints (FACTS: Users).

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::{Call, Client, Sent};
use super::error::ApiError;
use super::plan::Category;

/// `GET /users` allows pages of up to 2,000 in the 2026 spec (older accounts cap at
/// 300 and clamp silently): the largest page means the fewest calls.
pub const USERS_PAGE_SIZE: u32 = 2000;

/// The daily quota of `action=create` (Zoom's "user invite requests").
pub const INVITE_SCOPE: &str = "user invites (action=create)";

#[derive(Debug, Clone, Deserialize)]
pub struct CreatedUser {
    pub id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UserRef {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// Path segment for a user id or email.
pub fn user_path(user: &str) -> String {
    format!("/users/{}", url_segment(user))
}

fn url_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' | b'+' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl Client {
    /// `POST /users` (Light); `action=create` counts against the daily invite cap.
    pub async fn create_user(&self, action: &str, user_info: Value) -> Result<Sent<CreatedUser>, ApiError> {
        let mut call = Call::new(Method::POST, "/users", Category::Light)
            .json(json!({ "action": action, "user_info": user_info }));
        if action == "create" {
            call = call.daily_scope(INVITE_SCOPE);
        }
        self.send(&call).await?.sent()
    }

    /// `GET /users/{userId}` (Light), by id or email.
    pub async fn get_user(&self, user: &str) -> Result<Sent<UserRef>, ApiError> {
        self.send(&Call::get(user_path(user), Category::Light))
            .await?
            .sent()
    }

    /// `PATCH /users/{userId}` (Light).
    pub async fn update_user(&self, user: &str, fields: Value) -> Result<Sent<()>, ApiError> {
        let call = Call::new(Method::PATCH, user_path(user), Category::Light).json(fields);
        Ok(self.send(&call).await?.done())
    }

    /// `PUT /users/{userId}/password` (Medium).
    pub async fn set_password(&self, user: &str, password: &str) -> Result<Sent<()>, ApiError> {
        let call = Call::new(
            Method::PUT,
            format!("{}/password", user_path(user)),
            Category::Medium,
        )
        .json(json!({ "password": password }));
        Ok(self.send(&call).await?.done())
    }

    /// `PUT /users/{userId}/status` (Light): `activate` or `deactivate`.
    pub async fn set_status(&self, user: &str, action: &str) -> Result<Sent<()>, ApiError> {
        let call = Call::new(
            Method::PUT,
            format!("{}/status", user_path(user)),
            Category::Light,
        )
        .json(json!({ "action": action }));
        Ok(self.send(&call).await?.done())
    }

    /// `DELETE /users/{userId}` (Light) with `action` and transfer options.
    pub async fn delete_user(
        &self,
        user: &str,
        query: Vec<(&'static str, String)>,
    ) -> Result<Sent<()>, ApiError> {
        let mut call = Call::new(Method::DELETE, user_path(user), Category::Light);
        call.query = query;
        Ok(self.send(&call).await?.done())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_paths_escape_what_urls_cannot_carry() {
        assert_eq!(user_path("a.b+c@example.com"), "/users/a.b+c@example.com");
        assert_eq!(user_path("x/y z"), "/users/x%2Fy%20z");
    }
}
