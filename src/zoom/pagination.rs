//! Walking a paginated list (`next_page_token`) as a stream of items, so exports
//! write rows as pages arrive and memory does not grow with the account.

use std::collections::HashSet;

use futures::Stream;
use serde_json::Value;

use super::client::{Call, Client};
use super::error::ApiError;

/// Restarts in a row that get no further than the one before, before giving up.
const MAX_RESTARTS: u32 = 3;

struct Walk {
    token: Option<String>,
    /// Items already yielded.
    yielded: u64,
    /// The identity of every item yielded: after a restart these are skipped, so an
    /// item that left the listing meanwhile cannot make the walk skip one it never saw.
    seen: HashSet<String>,
    buffer: std::vec::IntoIter<Value>,
    done: bool,
    restarts: u32,
    /// `yielded` at the last restart: a restart that got further resets `restarts`.
    restarted_at: u64,
    pages: u64,
}

/// What tells items of a listing apart: a meeting instance's `uuid` (its `id` is the
/// meeting number, shared by every instance), else `id` (users, registrants), else
/// `email` (pending users come without an id), else the whole item.
pub fn identity(item: &Value) -> String {
    for key in ["uuid", "id", "email"] {
        match item.get(key) {
            Some(Value::String(s)) if !s.is_empty() => return format!("{key}:{s}"),
            Some(Value::Number(n)) => return format!("{key}:{n}"),
            _ => {}
        }
    }
    item.to_string()
}

/// Zoom's answer to an expired or unknown `next_page_token`.
fn is_expired_token(err: &ApiError) -> bool {
    matches!(err, ApiError::Zoom { status: 400, code, message, .. }
        if (*code == Some(300) || code.is_none())
            && { let m = message.to_ascii_lowercase(); m.contains("next page token") || m.contains("next_page_token") })
}

impl Client {
    /// Every item under `items_key` of every page of `call`, in order. A 429 or 5xx
    /// is retried by [`Client::send`]; an expired page token restarts the walk from
    /// the first page and skips the items already yielded by [`identity`] (not by
    /// count: items may have left the listing meanwhile), so none is yielded twice
    /// and none that is still listed is skipped.
    pub fn paginate(
        &self,
        call: Call,
        items_key: &'static str,
    ) -> impl Stream<Item = Result<Value, ApiError>> + '_ {
        self.paginate_by(call, items_key, identity)
    }

    /// [`Client::paginate`] for listings whose items [`identity`] cannot tell
    /// apart (participant records: one per join, the same `id` for each).
    pub fn paginate_by(
        &self,
        call: Call,
        items_key: &'static str,
        identity: fn(&Value) -> String,
    ) -> impl Stream<Item = Result<Value, ApiError>> + '_ {
        let walk = Walk {
            token: None,
            yielded: 0,
            seen: HashSet::new(),
            buffer: Vec::new().into_iter(),
            done: false,
            restarts: 0,
            restarted_at: 0,
            pages: 0,
        };
        futures::stream::try_unfold(walk, move |mut walk| {
            let call = call.clone();
            async move {
                loop {
                    if let Some(item) = walk.buffer.next() {
                        if !walk.seen.insert(identity(&item)) {
                            continue;
                        }
                        walk.yielded += 1;
                        return Ok(Some((item, walk)));
                    }
                    if walk.done {
                        return Ok(None);
                    }
                    let mut page_call = call.clone();
                    if let Some(token) = &walk.token {
                        page_call = page_call.query("next_page_token", token.clone());
                    }
                    let mut page: Value = match self.send(&page_call).await {
                        Ok(r) => r.json()?,
                        Err(e)
                            if walk.token.is_some()
                                && is_expired_token(&e)
                                && walk.restarts < MAX_RESTARTS =>
                        {
                            tracing::info!(path = %call.path, "page token expired; restarting the listing and skipping the {} items already seen", walk.yielded);
                            walk.restarts = if walk.yielded > walk.restarted_at {
                                1
                            } else {
                                walk.restarts + 1
                            };
                            walk.restarted_at = walk.yielded;
                            walk.token = None;
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    walk.pages += 1;
                    walk.token = page
                        .get("next_page_token")
                        .and_then(Value::as_str)
                        .filter(|t| !t.is_empty())
                        .map(str::to_string);
                    walk.done = walk.token.is_none();
                    let items = match page.get_mut(items_key).map(Value::take) {
                        Some(Value::Array(items)) => items,
                        _ => Vec::new(),
                    };
                    walk.buffer = items.into_iter();
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_zooms_expired_page_token_answer() {
        let e = ApiError::Zoom {
            status: 400,
            code: Some(300),
            message: "The next page token is invalid or expired.".into(),
            attempts: 1,
            unanswered: false,
        };
        assert!(is_expired_token(&e));
        let other = ApiError::Zoom {
            status: 400,
            code: Some(300),
            message: "Invalid field.".into(),
            attempts: 1,
            unanswered: false,
        };
        assert!(!is_expired_token(&other));
    }

    #[test]
    fn identity_prefers_uuid_then_id_then_email() {
        let meeting = serde_json::json!({"uuid": "a/b==", "id": 8123});
        assert_eq!(identity(&meeting), "uuid:a/b==");
        assert_eq!(
            identity(&serde_json::json!({"id": "u1", "email": "x@y"})),
            "id:u1"
        );
        assert_eq!(
            identity(&serde_json::json!({"id": "", "email": "x@y"})),
            "email:x@y"
        );
        assert_eq!(identity(&serde_json::json!({"email": "x@y"})), "email:x@y");
        assert_eq!(identity(&serde_json::json!({"id": 5})), "id:5");
    }
}
