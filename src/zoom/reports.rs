//! Past meetings and reports (FACTS: Past meetings, reports, attendance): who
//! attended which instance, and the webinar registrants who did not.

use futures::TryStreamExt;
use serde_json::Value;

use super::client::{Call, Client};
use super::error::ApiError;
use super::meetings::PastMeeting;
use super::plan::Category;

/// Largest page of the report and past-meeting listings.
pub const REPORT_PAGE_SIZE: u32 = 300;

/// Zoom's answer for a meeting more than a year old (400).
pub const TOO_OLD: i64 = 12702;

/// `GET /report/meetings/{meetingId}/participants` (Heavy): one record per join.
pub fn meeting_participants(meeting: &PastMeeting) -> Call {
    Call::get(
        format!("/report/meetings/{}/participants", meeting.segment()),
        Category::Heavy,
    )
    .query("page_size", REPORT_PAGE_SIZE.to_string())
}

/// `GET /report/webinars/{webinarId}/participants` (Heavy).
pub fn webinar_participants(webinar: &PastMeeting) -> Call {
    Call::get(
        format!("/report/webinars/{}/participants", webinar.segment()),
        Category::Heavy,
    )
    .query("page_size", REPORT_PAGE_SIZE.to_string())
}

/// `GET /past_webinars/{webinarId}/absentees` (Heavy): registrants who did not join.
pub fn webinar_absentees(webinar: &PastMeeting) -> Call {
    Call::get(
        format!("/past_webinars/{}/absentees", webinar.segment()),
        Category::Heavy,
    )
    .query("page_size", REPORT_PAGE_SIZE.to_string())
}

/// `GET /past_meetings/{meetingId}/instances` (Medium): `{uuid, start_time}` of
/// each ended instance.
pub fn meeting_instances(id: u64) -> Call {
    Call::get(format!("/past_meetings/{id}/instances"), Category::Medium)
}

impl Client {
    /// Every item of a (short) listing, all pages: one meeting's instances or
    /// listing. Memory is one meeting's (or host's), never the export's.
    pub async fn all_pages(&self, call: Call, items_key: &'static str) -> Result<Vec<Value>, ApiError> {
        self.paginate(call, items_key).try_collect().await
    }

    /// Every participant record of a report, all pages. A rejoin is a record of
    /// its own with the same `id`: records are told apart by their whole content.
    pub async fn participants(&self, call: Call) -> Result<Vec<Value>, ApiError> {
        self.paginate_by(call, "participants", Value::to_string)
            .try_collect()
            .await
    }
}
