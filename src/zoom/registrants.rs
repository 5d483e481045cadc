//! Registrant endpoints of meetings and webinars (FACTS: Meetings, webinars,
//! registrants): one registrant, a batch of up to 30, the meeting lookup that
//! says whether the batch endpoint will take the meeting at all, and the registrant
//! lookups that say what Zoom has when an answer was lost or a batch partly applied.

use std::collections::{HashMap, HashSet};
use std::fmt;

use futures::TryStreamExt;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use super::client::{Call, Client, Sent};
use super::error::ApiError;
use super::plan::Category;

/// Zoom's cap on registrants per `batch_registrants` call.
pub const MAX_BATCH_REGISTRANTS: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    Meeting,
    Webinar,
}

impl EventKind {
    pub fn noun(self) -> &'static str {
        match self {
            EventKind::Meeting => "meeting",
            EventKind::Webinar => "webinar",
        }
    }

    /// The only type the batch endpoint accepts: scheduled meetings (2), webinars (5).
    fn batch_type(self) -> i64 {
        match self {
            EventKind::Meeting => 2,
            EventKind::Webinar => 5,
        }
    }
}

/// A meeting or webinar, by id: where registrants go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Event {
    pub kind: EventKind,
    pub id: u64,
}

impl Event {
    /// `/meetings/{id}` or `/webinars/{id}`.
    pub fn path(&self) -> String {
        format!("/{}s/{}", self.kind.noun(), self.id)
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.noun(), self.id)
    }
}

/// The part of `GET /meetings/{id}` (or the webinar twin) that decides batching.
#[derive(Debug, Clone, Deserialize)]
pub struct EventInfo {
    #[serde(rename = "type", default)]
    pub event_type: Option<i64>,
    #[serde(default)]
    pub settings: Option<EventSettings>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventSettings {
    /// 0 approve automatically, 1 manually, 2 no registration.
    #[serde(default)]
    pub approval_type: Option<i64>,
}

impl EventInfo {
    /// Registration is on when the event has an approval type of 0 or 1
    /// (2 means no registration).
    pub fn takes_registrations(&self) -> bool {
        matches!(self.settings.as_ref().and_then(|s| s.approval_type), Some(0 | 1))
    }

    /// Why the batch endpoint would refuse `kind`'s event, or `None` when it takes it:
    /// only scheduled meetings (type 2) and webinars (type 5) with registration on.
    pub fn batch_refusal(&self, kind: EventKind) -> Option<String> {
        if self.event_type != Some(kind.batch_type()) {
            let shown = self
                .event_type
                .map_or_else(|| "unknown".to_string(), |t| t.to_string());
            return Some(format!(
                "it is type {shown}; batch registration takes type {} only",
                kind.batch_type()
            ));
        }
        match self.settings.as_ref().and_then(|s| s.approval_type) {
            Some(0 | 1) => None,
            _ => Some("registration is not enabled".to_string()),
        }
    }
}

/// `201` of the single-registrant endpoint.
#[derive(Debug, Clone, Deserialize)]
pub struct Registered {
    pub registrant_id: String,
    #[serde(default)]
    pub join_url: Option<String>,
}

/// One entry of the batch endpoint's `registrants`.
#[derive(Debug, Clone, Deserialize)]
pub struct BatchRegistered {
    pub email: String,
    pub registrant_id: String,
    #[serde(default)]
    pub join_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct BatchAnswer {
    #[serde(default)]
    registrants: Vec<BatchRegistered>,
}

/// The listing statuses a registration can be in right after it was added: `approved`,
/// or `pending` on a manual-approval meeting (FACTS: Registrants).
pub const LOOKUP_STATUSES: [&str; 2] = ["approved", "pending"];

/// `GET …/registrants` page size: the listing maximum, for the fewest calls.
pub const REGISTRANTS_PAGE_SIZE: u32 = 300;

/// A registrant as `GET …/registrants` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRegistrant {
    pub registrant_id: String,
    /// As Zoom stores it (compare case-insensitively).
    pub email: String,
    /// Absent for `pending` registrants of a manual-approval meeting.
    pub join_url: Option<String>,
    /// One of [`LOOKUP_STATUSES`].
    pub status: String,
}

impl FoundRegistrant {
    fn from_listing(item: &Value, status: &str) -> Option<FoundRegistrant> {
        let text = |k: &str| item.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
        Some(FoundRegistrant {
            registrant_id: text("id")?.to_string(),
            email: text("email")?.to_string(),
            join_url: text("join_url").map(str::to_string),
            status: status.to_string(),
        })
    }
}

impl Client {
    /// Walks `GET …/registrants` for each of [`LOOKUP_STATUSES`] (Medium, 300 a page),
    /// calling `keep` with each registrant until it returns false.
    async fn walk_registrants(
        &self,
        event: Event,
        mut keep: impl FnMut(FoundRegistrant) -> bool,
    ) -> Result<(), ApiError> {
        for status in LOOKUP_STATUSES {
            let call = Call::get(format!("{}/registrants", event.path()), Category::Medium)
                .query("status", status)
                .query("page_size", REGISTRANTS_PAGE_SIZE.to_string());
            let mut items = std::pin::pin!(self.paginate(call, "registrants"));
            while let Some(item) = items.try_next().await? {
                if let Some(found) = FoundRegistrant::from_listing(&item, status)
                    && !keep(found)
                {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The registrant of `event` with `email` (compared case-insensitively), approved
    /// or pending, or `None` when Zoom has none: the truth after a lost answer.
    pub async fn find_registrant(
        &self,
        event: Event,
        email: &str,
    ) -> Result<Option<FoundRegistrant>, ApiError> {
        let wanted = email.trim().to_lowercase();
        let mut found = None;
        self.walk_registrants(event, |r| {
            if r.email.to_lowercase() == wanted {
                found = Some(r);
                return false;
            }
            true
        })
        .await?;
        Ok(found)
    }

    /// Which of `emails` `event` has registered (approved or pending), listed once:
    /// lower-cased email → registrant. Emails Zoom does not have are absent from the
    /// map. For a batch whose answer was lost or that may have been partly applied.
    pub async fn registrants_by_email<I, S>(
        &self,
        event: Event,
        emails: I,
    ) -> Result<HashMap<String, FoundRegistrant>, ApiError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut wanted: HashSet<String> = emails
            .into_iter()
            .map(|e| e.as_ref().trim().to_lowercase())
            .collect();
        let mut found = HashMap::new();
        if wanted.is_empty() {
            return Ok(found);
        }
        self.walk_registrants(event, |r| {
            let key = r.email.to_lowercase();
            if wanted.remove(&key) {
                found.insert(key, r);
            }
            !wanted.is_empty()
        })
        .await?;
        Ok(found)
    }

    /// `GET /meetings/{id}` or `GET /webinars/{id}` (Light).
    pub async fn get_event(&self, event: Event) -> Result<Sent<EventInfo>, ApiError> {
        self.send(&Call::get(event.path(), Category::Light)).await?.sent()
    }

    /// `POST …/registrants` (Light). `occurrence_ids` (comma-separated) limits a
    /// recurring event's registration to those occurrences.
    pub async fn add_registrant(
        &self,
        event: Event,
        registrant: Value,
        occurrence_ids: Option<&str>,
    ) -> Result<Sent<Registered>, ApiError> {
        let mut call = Call::new(
            Method::POST,
            format!("{}/registrants", event.path()),
            Category::Light,
        )
        .json(registrant);
        if let Some(ids) = occurrence_ids {
            call = call.query("occurrence_ids", ids);
        }
        self.send(&call).await?.sent()
    }

    /// `POST …/batch_registrants` (Heavy): up to [`MAX_BATCH_REGISTRANTS`] registrants
    /// of `{email, first_name, last_name}` in one call.
    pub async fn add_registrants_batch(
        &self,
        event: Event,
        registrants: Vec<Value>,
    ) -> Result<Sent<Vec<BatchRegistered>>, ApiError> {
        let call = Call::new(
            Method::POST,
            format!("{}/batch_registrants", event.path()),
            Category::Heavy,
        )
        .json(json!({ "registrants": registrants }));
        let answer = self.send(&call).await?.sent::<BatchAnswer>()?;
        Ok(Sent {
            value: answer.value.registrants,
            status: answer.status,
            attempts: answer.attempts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(event_type: i64, approval_type: i64) -> EventInfo {
        serde_json::from_value(json!({"type": event_type, "settings": {"approval_type": approval_type}}))
            .expect("event json")
    }

    #[test]
    fn only_scheduled_events_with_registration_take_batches() {
        assert_eq!(info(2, 0).batch_refusal(EventKind::Meeting), None);
        assert_eq!(info(2, 1).batch_refusal(EventKind::Meeting), None);
        assert_eq!(info(5, 0).batch_refusal(EventKind::Webinar), None);
        assert!(
            info(8, 0)
                .batch_refusal(EventKind::Meeting)
                .is_some_and(|r| r.contains("type 8"))
        );
        assert!(info(5, 0).batch_refusal(EventKind::Meeting).is_some());
        assert!(info(9, 0).batch_refusal(EventKind::Webinar).is_some());
        assert!(
            info(2, 2)
                .batch_refusal(EventKind::Meeting)
                .is_some_and(|r| r.contains("not enabled"))
        );
        let bare: EventInfo = serde_json::from_value(json!({"id": 1})).expect("event json");
        assert!(bare.batch_refusal(EventKind::Meeting).is_some());
    }

    #[test]
    fn paths_and_names() {
        let e = Event {
            kind: EventKind::Webinar,
            id: 81234567890,
        };
        assert_eq!(e.path(), "/webinars/81234567890");
        assert_eq!(e.to_string(), "webinar 81234567890");
    }
}
