//! Meetings endpoints (FACTS: Meetings): create, update, the per-host listing,
//! and the look-up that says whether a create whose answer was lost went through.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use super::client::{Call, Client, Sent};
use super::error::ApiError;
use super::plan::Category;
use super::users::user_path;

/// Largest page of `GET /users/{userId}/meetings`.
pub const MEETINGS_PAGE_SIZE: u32 = 300;

/// What a results row needs from a created (or found) meeting.
#[derive(Debug, Clone, Deserialize)]
pub struct CreatedMeeting {
    /// Zoom's meeting ids exceed 2^53 at times: read as an integer, written as text.
    pub id: u64,
    #[serde(default)]
    pub join_url: Option<String>,
}

/// The daily quota a meeting write counts against: its host's (FACTS: 100 a day).
pub fn write_scope(holder: &str) -> String {
    format!("meeting creates/updates of {holder}")
}

/// `/meetings/{meetingId}`.
pub fn meeting_path(id: u64) -> String {
    format!("/meetings/{id}")
}

/// A past meeting as the user names it: its number (the latest ended instance)
/// or one instance's UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PastMeeting {
    Id(u64),
    Uuid(String),
}

impl PastMeeting {
    /// Digits (spaces and dashes as Zoom shows them allowed) are an id; anything
    /// else is a UUID.
    pub fn parse(text: &str) -> Result<PastMeeting, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("expected a meeting id (digits) or a meeting UUID".into());
        }
        let digits: String = t.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return digits
                .parse::<u64>()
                .ok()
                .filter(|&id| id > 0)
                .map(PastMeeting::Id)
                .ok_or_else(|| format!("`{t}` is not a Zoom meeting id"));
        }
        Ok(PastMeeting::Uuid(t.to_string()))
    }

    /// The `{meetingId}` path segment.
    pub fn segment(&self) -> String {
        match self {
            PastMeeting::Id(id) => id.to_string(),
            PastMeeting::Uuid(uuid) => super::recordings::meeting_segment(uuid),
        }
    }
}

impl Client {
    /// `POST /users/{userId}/meetings` (Medium; 100 per host per day). Sent once:
    /// a retry after a lost answer could create the meeting twice, so the caller
    /// looks it up first ([`Client::find_meeting`]).
    pub async fn create_meeting(
        &self,
        host: &str,
        body: Value,
        scope: &str,
    ) -> Result<Sent<CreatedMeeting>, ApiError> {
        let call = Call::new(
            Method::POST,
            format!("{}/meetings", user_path(host)),
            Category::Medium,
        )
        .json(body)
        .daily_scope(write_scope(scope))
        .once();
        self.send(&call).await?.sent()
    }

    /// `PATCH /meetings/{meetingId}` (Light; counted against the host's daily
    /// writes). Sending the same fields again changes nothing, so it is retried.
    pub async fn update_meeting(&self, id: u64, body: Value, scope: &str) -> Result<Sent<()>, ApiError> {
        let call = Call::new(Method::PATCH, meeting_path(id), Category::Light)
            .json(body)
            .daily_scope(write_scope(scope));
        Ok(self.send(&call).await?.done())
    }

    /// `GET /meetings/{meetingId}` (Light): the join URL of an updated meeting.
    pub async fn get_meeting(&self, id: u64) -> Result<Sent<CreatedMeeting>, ApiError> {
        self.send(&Call::get(meeting_path(id), Category::Light))
            .await?
            .sent()
    }

    /// The host's scheduled meeting with this topic and start time (`None` for
    /// meetings without a fixed time), if Zoom lists one: what tells a create
    /// whose answer was lost from one that never arrived.
    pub async fn find_meeting(
        &self,
        host: &str,
        topic: &str,
        start: Option<DateTime<Utc>>,
        created_since: DateTime<Utc>,
    ) -> Result<Option<CreatedMeeting>, ApiError> {
        let call = Call::get(format!("{}/meetings", user_path(host)), Category::Medium)
            .query("type", "scheduled")
            .query("page_size", MEETINGS_PAGE_SIZE.to_string());
        let mut meetings = std::pin::pin!(self.paginate(call, "meetings"));
        while let Some(m) = meetings.try_next().await? {
            let same_topic = m.get("topic").and_then(Value::as_str) == Some(topic);
            let listed_start = m
                .get("start_time")
                .and_then(Value::as_str)
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc));
            let same_start = start.is_none_or(|s| listed_start == Some(s));
            // A meeting that was there before our first attempt is not ours.
            let created_since = m
                .get("created_at")
                .and_then(Value::as_str)
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .is_some_and(|t| t.with_timezone(&Utc) >= created_since);
            if same_topic && same_start && created_since {
                return Ok(serde_json::from_value(m).ok());
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_encoded_twice_when_zoom_needs_it() {
        // FACTS' example, through the past-meeting path (the rule is recordings').
        let segment = |u: &str| PastMeeting::Uuid(u.into()).segment();
        assert_eq!(
            segment("/ajXp112QmuoKj4854875=="),
            "%252FajXp112QmuoKj4854875%253D%253D"
        );
        assert_eq!(segment("ab//cd=="), "ab%252F%252Fcd%253D%253D");
        // Once otherwise: `+`, `/` and `=` are still escaped.
        assert_eq!(
            segment("4444AAAiAAAAAiAiAiiAii=="),
            "4444AAAiAAAAAiAiAiiAii%3D%3D"
        );
        assert_eq!(segment("a/b+c="), "a%2Fb%2Bc%3D");
    }

    #[test]
    fn ids_and_uuids_as_people_give_them() {
        assert_eq!(
            PastMeeting::parse("812 3456 7890"),
            Ok(PastMeeting::Id(81234567890))
        );
        assert_eq!(
            PastMeeting::parse("/ajXp112QmuoKj4854875=="),
            Ok(PastMeeting::Uuid("/ajXp112QmuoKj4854875==".into()))
        );
        assert!(PastMeeting::parse(" ").is_err());
        assert!(PastMeeting::parse("99999999999999999999999").is_err());
        assert_eq!(PastMeeting::Id(5).segment(), "5");
    }
}
