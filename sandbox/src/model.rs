//! The account's data as tests see it: plain structs with public fields, so a test can
//! compare an export row by row with what the sandbox holds. Passwords are deliberately
//! not here (see `Store::password_matches`).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomAttribute {
    pub key: String,
    pub name: String,
    pub value: String,
}

/// One of a user's `phone_numbers` (2026 spec; at most 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhoneNumber {
    /// Country calling code, e.g. `+1`.
    pub code: String,
    /// Country id, e.g. `US`.
    pub country: String,
    /// `Mobile`, `Office`, `Home` or `Fax` (may be empty).
    pub label: String,
    pub number: String,
}

/// A user group (FACTS: Groups). Members are the users whose `group_ids` hold its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// Zoom's 22-character user id; empty in a `User::new` until the store assigns one.
    pub id: String,
    /// Stored lower-cased, as Zoom does; lookups are case-insensitive.
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    /// 1 Basic, 2 Licensed, 4 Unassigned without Meetings Basic, 99 None (ssoCreate only).
    pub user_type: u8,
    /// `active`, `inactive` or `pending`.
    pub status: String,
    /// "0" owner, "1" admin, "2" member.
    pub role_id: String,
    pub dept: String,
    pub timezone: String,
    pub job_title: String,
    pub company: String,
    pub location: String,
    pub phone_number: String,
    pub language: String,
    pub pmi: u64,
    pub use_pmi: bool,
    pub host_key: String,
    pub vanity_name: String,
    pub cms_user_id: String,
    pub manager: String,
    pub pronouns: String,
    pub pronouns_option: u8,
    pub verified: u8,
    /// The `POST /users` action that created the user (`seed` for seeded users).
    pub created_via: String,
    pub created_at: DateTime<Utc>,
    pub last_login_time: Option<DateTime<Utc>>,
    pub last_client_version: String,
    pub group_ids: Vec<String>,
    pub employee_unique_id: String,
    pub custom_attributes: Vec<CustomAttribute>,
    pub cost_center: String,
    pub phone_numbers: Vec<PhoneNumber>,
    pub phone_country: String,
    pub division_ids: Vec<String>,
    pub about_me: String,
    pub linkedin_url: String,
    pub plan_united_type: String,
    /// 0 = none.
    pub zoom_one_type: i64,
    /// What `POST /users/features` (and PATCH `feature`) set: feature_type -> feature_value.
    pub features: std::collections::BTreeMap<String, String>,
    /// How many times `DELETE /users/{id}/token` revoked this user's SSO token.
    pub sso_token_revocations: u32,
}

impl User {
    /// An active Licensed member with everything else empty; the store fills in the id.
    pub fn new(email: &str, first_name: &str, last_name: &str) -> User {
        User {
            id: String::new(),
            email: email.to_lowercase(),
            first_name: first_name.to_string(),
            last_name: last_name.to_string(),
            display_name: display_name(first_name, last_name),
            user_type: 2,
            status: "active".to_string(),
            role_id: "2".to_string(),
            dept: String::new(),
            timezone: "UTC".to_string(),
            job_title: String::new(),
            company: String::new(),
            location: String::new(),
            phone_number: String::new(),
            language: "en-US".to_string(),
            pmi: 0,
            use_pmi: false,
            host_key: String::new(),
            vanity_name: String::new(),
            cms_user_id: String::new(),
            manager: String::new(),
            pronouns: String::new(),
            pronouns_option: 3,
            verified: 1,
            created_via: "seed".to_string(),
            created_at: Utc::now(),
            last_login_time: None,
            last_client_version: String::new(),
            group_ids: Vec::new(),
            employee_unique_id: String::new(),
            custom_attributes: Vec::new(),
            cost_center: String::new(),
            phone_numbers: Vec::new(),
            phone_country: String::new(),
            division_ids: Vec::new(),
            about_me: String::new(),
            linkedin_url: String::new(),
            plan_united_type: String::new(),
            zoom_one_type: 0,
            features: std::collections::BTreeMap::new(),
            sso_token_revocations: 0,
        }
    }
}

/// Zoom derives a missing display name from first and last name.
pub fn display_name(first: &str, last: &str) -> String {
    match (first.is_empty(), last.is_empty()) {
        (false, false) => format!("{first} {last}"),
        (false, true) => first.to_string(),
        (true, false) => last.to_string(),
        (true, true) => String::new(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Meeting,
    Webinar,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Occurrence {
    /// Zoom uses the occurrence's start time in epoch milliseconds as its id.
    pub occurrence_id: String,
    pub start_time: DateTime<Utc>,
    pub duration: u32,
    pub status: String,
}

/// A meeting or a webinar: they share every field the registrant endpoints care about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub kind: EventKind,
    pub id: u64,
    pub uuid: String,
    pub host_id: String,
    pub topic: String,
    /// Meetings: 1 instant, 2 scheduled, 3 recurring no fixed time, 8 recurring fixed time.
    /// Webinars: 5 webinar, 6 recurring no fixed time, 9 recurring fixed time.
    pub event_type: u8,
    pub start_time: DateTime<Utc>,
    pub duration: u32,
    pub timezone: String,
    pub agenda: String,
    pub created_at: DateTime<Utc>,
    pub password: String,
    /// 0 automatically approve, 1 manually approve, 2 no registration required.
    pub approval_type: u8,
    /// For recurring events: 1 once for all occurrences, 2 each occurrence, 3 once, choose.
    pub registration_type: u8,
    pub occurrences: Vec<Occurrence>,
}

pub type Meeting = Event;
pub type Webinar = Event;

impl Event {
    pub fn registration_enabled(&self) -> bool {
        self.approval_type != 2
    }

    pub fn is_recurring(&self) -> bool {
        matches!(self.event_type, 3 | 6 | 8 | 9)
    }
}

/// Occurrences of a recurring meeting: daily (1), weekly (2) or monthly (3, as 30 days).
pub fn recurring_occurrences(
    start: DateTime<Utc>,
    duration: u32,
    recurrence_type: i64,
    interval: i64,
    count: i64,
) -> Vec<Occurrence> {
    let step = match recurrence_type {
        1 => Duration::days(interval),
        2 => Duration::weeks(interval),
        _ => Duration::days(30 * interval),
    };
    (0..count)
        .map(|i| {
            let at = start + step * i32::try_from(i).unwrap_or(0);
            Occurrence {
                occurrence_id: at.timestamp_millis().to_string(),
                start_time: at,
                duration,
                status: "available".to_string(),
            }
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomQuestion {
    pub title: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Registrant {
    pub id: String,
    /// As given by the registrant (Zoom keeps the case); duplicates match case-insensitively.
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub address: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub country: String,
    pub phone: String,
    pub comments: String,
    pub industry: String,
    pub job_title: String,
    pub org: String,
    pub no_of_employees: String,
    pub purchasing_time_frame: String,
    pub role_in_purchase_process: String,
    pub language: String,
    pub custom_questions: Vec<CustomQuestion>,
    /// `approved`, `pending` or `denied`.
    pub status: String,
    pub create_time: DateTime<Utc>,
    pub join_url: String,
    pub participant_pin_code: u64,
    /// Occurrences registered for (recurring events only).
    pub occurrence_ids: Vec<String>,
}

impl Registrant {
    pub fn new(email: &str, first_name: &str, last_name: &str) -> Registrant {
        Registrant {
            id: String::new(),
            email: email.to_string(),
            first_name: first_name.to_string(),
            last_name: last_name.to_string(),
            address: String::new(),
            city: String::new(),
            state: String::new(),
            zip: String::new(),
            country: String::new(),
            phone: String::new(),
            comments: String::new(),
            industry: String::new(),
            job_title: String::new(),
            org: String::new(),
            no_of_employees: String::new(),
            purchasing_time_frame: String::new(),
            role_in_purchase_process: String::new(),
            language: String::new(),
            custom_questions: Vec::new(),
            status: "approved".to_string(),
            create_time: Utc::now(),
            join_url: String::new(),
            participant_pin_code: 0,
            occurrence_ids: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordingFile {
    /// `None` for CC and TIMELINE files, which Zoom lists without an id, status, size,
    /// recording type or play URL.
    pub id: Option<String>,
    /// The id inside `download_url`; every file has one, listed or not.
    pub download_id: String,
    pub file_type: String,
    pub file_extension: String,
    /// Bytes served on download (not listed for CC/TIMELINE files).
    pub file_size: u64,
    pub recording_type: Option<String>,
    pub recording_start: DateTime<Utc>,
    pub recording_end: DateTime<Utc>,
}

impl RecordingFile {
    /// Whether the listing shows id, status, file_size, recording_type and play_url.
    pub fn is_detailed(&self) -> bool {
        self.id.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordingMeeting {
    pub uuid: String,
    pub id: u64,
    pub host_id: String,
    pub topic: String,
    pub meeting_type: u8,
    pub start_time: DateTime<Utc>,
    pub timezone: String,
    pub duration: u32,
    /// In the trash: listed only with `trash=true`.
    pub trashed: bool,
    pub recording_files: Vec<RecordingFile>,
}

impl RecordingMeeting {
    /// Zoom's `total_size`: the sum of the sizes it lists.
    pub fn total_size(&self) -> u64 {
        self.recording_files
            .iter()
            .filter(|f| f.is_detailed())
            .map(|f| f.file_size)
            .sum()
    }
}
