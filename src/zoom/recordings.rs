//! Cloud recordings: the paths of one meeting instance's recordings and moving them to
//! the trash or deleting them (FACTS: Cloud recordings; all Light).

use reqwest::Method;

use super::{ApiError, Call, Category, Client, Sent};

/// FACTS: a UUID that begins with `/` or contains `//` must be percent-encoded twice;
/// encoding every UUID twice is what several clients do (verify). Off: only the UUIDs
/// the rule names are encoded twice.
pub const ENCODE_EVERY_UUID_TWICE: bool = false;

/// A meeting UUID (or numeric id) as one path segment, encoded twice where Zoom needs it.
pub fn meeting_segment(uuid: &str) -> String {
    let once = encode(uuid);
    if ENCODE_EVERY_UUID_TWICE || uuid.starts_with('/') || uuid.contains("//") {
        encode(&once)
    } else {
        once
    }
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// What happens to deleted recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteAction {
    /// To the trash, recoverable for 30 days.
    Trash,
    /// Permanent.
    Delete,
}

impl DeleteAction {
    pub fn as_str(self) -> &'static str {
        match self {
            DeleteAction::Trash => "trash",
            DeleteAction::Delete => "delete",
        }
    }
}

/// `DELETE /meetings/{uuid}/recordings?action=…`: every file of that meeting instance.
pub async fn delete_meeting_recordings(
    client: &Client,
    uuid: &str,
    action: DeleteAction,
) -> Result<Sent<()>, ApiError> {
    let call = Call::new(
        Method::DELETE,
        format!("/meetings/{}/recordings", meeting_segment(uuid)),
        Category::Light,
    )
    .query("action", action.as_str());
    Ok(client.send(&call).await?.done())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_with_slashes_are_encoded_twice() {
        assert_eq!(meeting_segment("abc+d=="), "abc%2Bd%3D%3D");
        assert_eq!(
            meeting_segment("/ajXp112QmuoKj4854875=="),
            "%252FajXp112QmuoKj4854875%253D%253D"
        );
        assert_eq!(meeting_segment("a//b"), "a%252F%252Fb");
        assert_eq!(meeting_segment("81234567890"), "81234567890");
    }
}
