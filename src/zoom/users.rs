//! Users endpoints (FACTS: Users).

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

use super::client::{Call, Client, Sent, Upload};
use super::error::ApiError;
use super::groups::UserKey;
use super::plan::Category;
use super::ratelimit::Bucket;

/// Users one `POST /users/features` may name.
pub const FEATURE_USERS_PER_CALL: usize = 30;

/// One of `phone_numbers` (2026 spec; at most 3 a user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumber {
    /// Country calling code, e.g. `+1`.
    pub code: String,
    /// Country id, e.g. `US`.
    pub country: String,
    /// `Mobile`, `Office`, `Home` or `Fax`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    pub number: String,
}

/// One of `custom_attributes` (at most 5 a user). A spreadsheet knows the attribute's
/// name, not its key, so the name is what is sent (verify that Zoom matches by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomAttribute {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub value: String,
}

/// The `PATCH /users/{userId}` fields of the 2026 spec that a spreadsheet can carry.
/// `None` is not sent (the field stays as it is); `phone_numbers` replaces the deprecated
/// `phone_number`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Profile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "type")]
    pub user_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dept: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pronouns: Option<String>,
    /// 1 ask every time, 2 always display, 3 do not display.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pronouns_option: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_numbers: Option<Vec<PhoneNumber>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<Vec<CustomAttribute>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vanity_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cms_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pmi: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_pmi: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about_me: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linkedin_url: Option<String>,
    /// The group a **pending** user joins (FACTS; members of the account join through
    /// `POST /groups/{groupId}/members`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
}

impl Profile {
    /// Whether nothing would be sent.
    pub fn is_empty(&self) -> bool {
        self == &Profile::default()
    }

    /// The JSON field names that would be sent, in order (for dry runs and notes).
    pub fn field_names(&self) -> Vec<String> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }
}

/// `POST /users/features` answer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FeatureResult {
    #[serde(default)]
    pub success_user_ids: Vec<String>,
    #[serde(default)]
    pub fail_details: Vec<FeatureFailure>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FeatureFailure {
    #[serde(default)]
    pub user_ids: Vec<String>,
    #[serde(default)]
    pub reason: String,
}

impl FeatureResult {
    /// What Zoom said about one user (by the id or email it was sent as): `Ok` when it
    /// was set, or needed no update; else Zoom's reason.
    pub fn outcome_for(&self, key: &str) -> Result<(), String> {
        if self.success_user_ids.iter().any(|u| u == key) {
            return Ok(());
        }
        match self
            .fail_details
            .iter()
            .find(|f| f.user_ids.iter().any(|u| u == key))
        {
            Some(f) if f.reason.eq_ignore_ascii_case("No need to update") => Ok(()),
            Some(f) => Err(f.reason.clone()),
            None => Err("Zoom's answer did not mention this user".into()),
        }
    }
}

/// `GET /users` allows pages of up to 2,000 in the 2026 spec (older accounts cap at
/// 300 and clamp silently): the largest page means the fewest calls.
pub const USERS_PAGE_SIZE: u32 = 2000;

/// The daily quota of `action=create` (Zoom's "user invite requests").
pub const INVITE_SCOPE: &str = "user invites (action=create)";

/// Zoom's limit on a profile picture: "File size cannot exceed 2M." (FACTS: Users).
pub const PICTURE_MAX_BYTES: u64 = 2 * 1024 * 1024;

/// E-mail changes Zoom allows per user in any 24 hours.
pub const EMAIL_CHANGES_PER_DAY: u32 = 3;

/// How Zoom says a user's e-mail was changed too often. Zoom documents neither the
/// code nor the text (FACTS: verify): taken as a 4xx whose message mentions
/// "24 hours", as the sibling password-change limit does ("… over the past 24 hours").
pub const EMAIL_LIMIT_MARKER: &str = "24 hours";

/// Whether `err` is Zoom refusing an e-mail change for the 3-in-24-hours limit.
pub fn is_email_change_limit(err: &ApiError) -> bool {
    matches!(err, ApiError::Zoom { status: 400..=499, message, .. }
        if message.to_ascii_lowercase().contains(EMAIL_LIMIT_MARKER))
}

/// JPEG or PNG by the file's first bytes (Zoom takes only these), as a MIME type.
pub fn picture_mime(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct CreatedUser {
    pub id: String,
}

/// What `GET /users/{userId}` says about a user that a results row may need.
#[derive(Debug, Clone, Deserialize)]
pub struct UserRef {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// `active`, `inactive` or `pending`, when Zoom says.
    #[serde(default)]
    pub status: Option<String>,
    /// When the user was created (Zoom: RFC 3339, whole seconds, UTC). `None` when
    /// absent, empty or unreadable: never a reason to fail the lookup.
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<DateTime<Utc>>,
}

/// An RFC 3339 time, or `None` for anything else (null, "", another format).
fn lenient_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(value
        .as_ref()
        .and_then(serde_json::Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc)))
}

/// Path segment for a user id or email.
pub fn user_path(user: &str) -> String {
    format!("/users/{}", url_segment(user))
}

/// `s` as one URL path segment.
pub(crate) fn url_segment(s: &str) -> String {
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

    /// `GET /users/{userId}` (Light), by id or email: the id, status and `created_at`
    /// (to tell a user this run created after a lost answer from one that was there).
    pub async fn get_user(&self, user: &str) -> Result<Sent<UserRef>, ApiError> {
        self.send(&Call::get(user_path(user), Category::Light))
            .await?
            .sent()
    }

    /// `GET /users/{userId}` as Zoom sends it, every field (Light): to check
    /// what a write whose answer was lost did.
    pub async fn get_user_fields(&self, user: &str) -> Result<Sent<Value>, ApiError> {
        self.send(&Call::get(user_path(user), Category::Light))
            .await?
            .sent()
    }

    /// `PATCH /users/{userId}` (Light).
    pub async fn update_user(&self, user: &str, fields: Value) -> Result<Sent<()>, ApiError> {
        let call = Call::new(Method::PATCH, user_path(user), Category::Light).json(fields);
        Ok(self.send(&call).await?.done())
    }

    /// `PATCH /users/{userId}` (Light) with a typed profile.
    pub async fn update_profile(&self, user: &str, profile: &Profile) -> Result<Sent<()>, ApiError> {
        let body = serde_json::to_value(profile).map_err(|e| ApiError::Transport {
            status: None,
            message: format!("the profile could not be encoded ({e})"),
            attempts: 0,
            unanswered: false,
        })?;
        self.update_user(user, body).await
    }

    /// `POST /users/features` (Medium, and its own one call per 10 s, paced by the
    /// features bucket): one feature for at most [`FEATURE_USERS_PER_CALL`] users.
    pub async fn set_feature(
        &self,
        feature_type: &str,
        feature_value: &str,
        users: &[UserKey],
    ) -> Result<Sent<FeatureResult>, ApiError> {
        if users.len() > FEATURE_USERS_PER_CALL {
            return Err(ApiError::Zoom {
                status: 400,
                code: Some(300),
                message: format!(
                    "not sent: {} users in one call (Zoom takes {FEATURE_USERS_PER_CALL})",
                    users.len()
                ),
                attempts: 0,
                unanswered: false,
            });
        }
        let call = Call::new(Method::POST, "/users/features", Category::Medium)
            .bucket(Bucket::Features)
            .json(json!({"feature_type": feature_type, "feature_value": feature_value, "users": users}));
        self.send(&call).await?.sent()
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

    /// `PUT /users/{userId}/email` (Light): at most 3 changes per user in any 24 hours.
    pub async fn change_email(&self, user: &str, email: &str) -> Result<Sent<()>, ApiError> {
        let call = Call::new(Method::PUT, format!("{}/email", user_path(user)), Category::Light)
            .json(json!({ "email": email }));
        Ok(self.send(&call).await?.done())
    }

    /// `POST /users/{userId}/picture` (Medium): the image as the multipart part `pic_file`.
    pub async fn upload_picture(
        &self,
        user: &str,
        file_name: &str,
        mime: &'static str,
        bytes: bytes::Bytes,
    ) -> Result<Sent<()>, ApiError> {
        let call = Call::new(
            Method::POST,
            format!("{}/picture", user_path(user)),
            Category::Medium,
        )
        .upload(Upload {
            field: "pic_file",
            file_name: file_name.to_string(),
            mime,
            bytes,
        });
        Ok(self.send(&call).await?.done())
    }

    /// `DELETE /users/{userId}/token` (Light): revokes the user's SSO token.
    pub async fn revoke_sso_token(&self, user: &str) -> Result<Sent<()>, ApiError> {
        let call = Call::new(
            Method::DELETE,
            format!("{}/token", user_path(user)),
            Category::Light,
        );
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
    fn created_at_is_read_leniently() {
        let read = |v: Value| serde_json::from_value::<UserRef>(v).map(|u| u.created_at);
        let t = read(json!({"id": "a", "created_at": "2026-12-01T20:19:49Z"}))
            .ok()
            .flatten();
        assert_eq!(
            t.map(|t| t.to_rfc3339()),
            Some("2026-12-01T20:19:49+00:00".into())
        );
        let offset = read(json!({"created_at": "2026-12-01T21:19:49+01:00"}))
            .ok()
            .flatten();
        assert_eq!(offset, t);
        for absent in [
            json!({}),
            json!({"created_at": null}),
            json!({"created_at": ""}),
            json!({"created_at": "yesterday"}),
            json!({"created_at": 5}),
        ] {
            assert!(matches!(read(absent.clone()), Ok(None)), "{absent}");
        }
    }

    #[test]
    fn a_profile_sends_only_what_is_set_and_phone_numbers_not_phone_number() {
        let p = Profile {
            dept: Some("Sales".into()),
            pronouns_option: Some(2),
            phone_numbers: Some(vec![PhoneNumber {
                code: "+1".into(),
                country: "US".into(),
                label: String::new(),
                number: "5550100".into(),
            }]),
            ..Profile::default()
        };
        assert_eq!(
            serde_json::to_value(&p).ok(),
            Some(json!({"dept": "Sales", "pronouns_option": 2,
                        "phone_numbers": [{"code": "+1", "country": "US", "number": "5550100"}]}))
        );
        assert_eq!(p.field_names(), ["dept", "phone_numbers", "pronouns_option"]);
        assert!(Profile::default().is_empty());
    }

    #[test]
    fn feature_answers_are_read_per_user() {
        let r: FeatureResult = serde_json::from_value(json!({
            "success_user_ids": ["a"],
            "fail_details": [{"user_ids": ["b"], "reason": "No need to update"},
                             {"user_ids": ["c"], "reason": "Not enough seats"}]
        }))
        .unwrap_or_default();
        assert_eq!(r.outcome_for("a"), Ok(()));
        assert_eq!(r.outcome_for("b"), Ok(()));
        assert_eq!(r.outcome_for("c"), Err("Not enough seats".into()));
        assert!(r.outcome_for("d").is_err());
    }

    #[test]
    fn user_paths_escape_what_urls_cannot_carry() {
        assert_eq!(user_path("a.b+c@example.com"), "/users/a.b+c@example.com");
        assert_eq!(user_path("x/y z"), "/users/x%2Fy%20z");
    }
}
