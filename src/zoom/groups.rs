//! Groups endpoints (FACTS: Groups).

use futures::TryStreamExt;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::{Call, Client, Sent};
use super::error::ApiError;
use super::plan::Category;

/// `GET /groups` pages hold at most 300 groups.
pub const GROUPS_PAGE_SIZE: u32 = 300;
/// `GET /groups/{groupId}/members` pages hold at most 2,000 members (2026 spec).
pub const MEMBERS_PAGE_SIZE: u32 = 2000;
/// Members one `POST /groups/{groupId}/members` may name.
pub const MEMBERS_PER_CALL: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub total_members: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Member {
    pub id: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default, rename = "type")]
    pub user_type: i64,
}

/// A user named by id (preferred: Zoom lets `id` win) or email.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum UserKey {
    Id { id: String },
    Email { email: String },
}

impl UserKey {
    /// The id when there is one, else the email: what Zoom's answers list.
    pub fn as_str(&self) -> &str {
        match self {
            UserKey::Id { id } => id,
            UserKey::Email { email } => email,
        }
    }
}

/// `POST /groups/{groupId}/members` answer: the ids added, comma-separated.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AddedMembers {
    #[serde(default)]
    pub ids: String,
    #[serde(default)]
    pub added_at: String,
}

impl AddedMembers {
    /// Whether Zoom lists `id` among those added.
    pub fn contains(&self, id: &str) -> bool {
        self.ids.split(',').any(|x| x.trim() == id)
    }
}

fn group_path(group_id: &str) -> String {
    format!("/groups/{}", super::users::url_segment(group_id))
}

impl Client {
    /// Every item of a listing, read as `T` (`what` names one in an error).
    async fn list_all<T: serde::de::DeserializeOwned>(
        &self,
        call: Call,
        items_key: &'static str,
        what: &'static str,
    ) -> Result<Vec<T>, ApiError> {
        self.paginate(call, items_key)
            .and_then(|v| async move {
                serde_json::from_value::<T>(v).map_err(|e| ApiError::Transport {
                    status: Some(200),
                    message: format!("{what} in Zoom's answer could not be read ({e})"),
                    attempts: 1,
                    unanswered: false,
                })
            })
            .try_collect()
            .await
    }

    /// Whether `user` (id or e-mail) is in the group now, from the user's
    /// `group_ids` (`GET /users/{userId}`, Light): the check after a join whose
    /// call may have reached Zoom but ended in an error.
    pub async fn user_in_group(&self, user: &str, group_id: &str) -> Result<Sent<bool>, ApiError> {
        let found = self.get_user_fields(user).await?;
        let member = found.value["group_ids"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|id| id.as_str() == Some(group_id)));
        Ok(Sent {
            value: member,
            status: found.status,
            attempts: found.attempts,
        })
    }

    /// Every group of the account (`GET /groups`, Medium, 300 a page).
    pub async fn list_groups(&self) -> Result<Vec<Group>, ApiError> {
        let call = Call::get("/groups", Category::Medium).query("page_size", GROUPS_PAGE_SIZE.to_string());
        self.list_all(call, "groups", "a group").await
    }

    /// Every member of a group (`GET /groups/{groupId}/members`, Medium, 2,000 a page).
    pub async fn list_group_members(&self, group_id: &str) -> Result<Vec<Member>, ApiError> {
        let call = Call::get(format!("{}/members", group_path(group_id)), Category::Medium)
            .query("page_size", MEMBERS_PAGE_SIZE.to_string());
        self.list_all(call, "members", "a group member").await
    }

    /// `POST /groups/{groupId}/members` (Medium) with at most [`MEMBERS_PER_CALL`]
    /// members; more is a caller's mistake, refused here before anything is sent.
    pub async fn add_group_members(
        &self,
        group_id: &str,
        members: &[UserKey],
    ) -> Result<Sent<AddedMembers>, ApiError> {
        if members.len() > MEMBERS_PER_CALL {
            return Err(ApiError::Zoom {
                status: 400,
                code: Some(300),
                message: format!(
                    "not sent: {} members in one call (Zoom takes {MEMBERS_PER_CALL})",
                    members.len()
                ),
                attempts: 0,
                unanswered: false,
            });
        }
        let call = Call::new(
            Method::POST,
            format!("{}/members", group_path(group_id)),
            Category::Medium,
        )
        .json(json!({ "members": members }));
        self.send(&call).await?.sent()
    }

    /// `DELETE /groups/{groupId}/members/{memberId}` (Light), member by id or email.
    pub async fn remove_group_member(&self, group_id: &str, member: &str) -> Result<Sent<()>, ApiError> {
        let call = Call::new(
            Method::DELETE,
            format!(
                "{}/members/{}",
                group_path(group_id),
                super::users::url_segment(member)
            ),
            Category::Light,
        );
        Ok(self.send(&call).await?.done())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_keys_serialize_as_zoom_wants_them() {
        let keys = [
            UserKey::Id { id: "abc".into() },
            UserKey::Email {
                email: "a@example.com".into(),
            },
        ];
        assert_eq!(
            serde_json::to_value(keys).ok(),
            Some(json!([{"id": "abc"}, {"email": "a@example.com"}]))
        );
    }

    #[test]
    fn added_ids_are_read_from_the_comma_list() {
        let added = AddedMembers {
            ids: "a1,b2".into(),
            added_at: String::new(),
        };
        assert!(added.contains("b2"));
        assert!(!added.contains("b"));
    }
}
