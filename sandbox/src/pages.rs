//! `next_page_token` bookkeeping. Tokens are opaque server-side cursors that expire like
//! Zoom's (15 minutes by default). A cursor remembers the position of the last row served
//! in a fixed ordering, so rows created or deleted between pages never make an exporter
//! see a row twice or skip one; a token may be replayed (a client retrying a lost page).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, RwLock};

use crate::errors::ApiError;
use crate::rng::secret_token;
use crate::store::Store;

/// A listing request that presented a page token (page 2 and on), as a test hook sees it.
#[derive(Debug, Clone, Copy)]
pub struct PageVisit<'a> {
    /// The listing and its filters, e.g. `users|active|`.
    pub scope: &'a str,
    /// The page the token points at.
    pub page_number: u32,
}

/// A test's hook into listings: it runs before a presented page token is looked up, may
/// change the account (remove users between pages), and answers `true` to have the token
/// treated as expired, exactly as a token older than 15 minutes is. Deterministic where a
/// short token lifetime would depend on the machine's speed.
pub type PageHook = Arc<dyn Fn(&Store, PageVisit<'_>) -> bool + Send + Sync>;

/// Position in a listing's total order; a page holds the rows strictly after it.
pub type Position = (i64, u64);

#[derive(Debug, Clone)]
struct Cursor {
    scope: String,
    after: Position,
    page_number: u32,
    expires: Instant,
}

/// Where a page starts and how big it is.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub page_size: usize,
    pub after: Option<Position>,
    pub page_number: u32,
}

pub struct PageTokens {
    ttl: Duration,
    map: Mutex<HashMap<String, Cursor>>,
    hook: RwLock<Option<PageHook>>,
}

/// The page tokens with the store a hook may act on: what listing routes use.
pub struct Pages<'a> {
    pub(crate) tokens: &'a PageTokens,
    pub(crate) store: &'a Store,
}

impl Pages<'_> {
    /// [`PageTokens::begin`], after the test hook (if any) had its say.
    pub fn begin(
        &self,
        query: &HashMap<String, String>,
        scope: &str,
        max: usize,
    ) -> Result<PageRequest, ApiError> {
        let req = self.tokens.begin(query, scope, max)?;
        if req.after.is_some() {
            let hook = self.tokens.hook.read().clone();
            if let Some(hook) = hook {
                let visit = PageVisit {
                    scope,
                    page_number: req.page_number,
                };
                if hook(self.store, visit) {
                    return Err(ApiError::bad_page_token());
                }
            }
        }
        Ok(req)
    }

    pub fn next(&self, scope: &str, last: Option<Position>, more: bool, page_number: u32) -> String {
        self.tokens.next(scope, last, more, page_number)
    }
}

/// Above this many live tokens, expired ones are swept on the next issue.
const SWEEP_ABOVE: usize = 4096;

impl PageTokens {
    pub fn new(ttl: Duration) -> Self {
        PageTokens {
            ttl,
            map: Mutex::new(HashMap::new()),
            hook: RwLock::new(None),
        }
    }

    /// Installs (or with `None` removes) the test hook.
    pub fn set_hook(&self, hook: Option<PageHook>) {
        *self.hook.write() = hook;
    }

    /// Reads `page_size` (default 30, clamped to `max`) and `next_page_token`.
    /// `scope` ties a token to one listing and filter set: a token from another listing is
    /// as invalid as an unknown one.
    pub fn begin(
        &self,
        query: &HashMap<String, String>,
        scope: &str,
        max: usize,
    ) -> Result<PageRequest, ApiError> {
        let page_size = page_size(query, max)?;
        let token = query.get("next_page_token").map(String::as_str).unwrap_or("");
        if token.is_empty() {
            return Ok(PageRequest {
                page_size,
                after: None,
                page_number: 1,
            });
        }
        let map = self.map.lock();
        match map.get(token) {
            Some(c) if c.scope == scope && c.expires > Instant::now() => Ok(PageRequest {
                page_size,
                after: Some(c.after),
                page_number: c.page_number,
            }),
            _ => Err(ApiError::bad_page_token()),
        }
    }

    /// Issues the token for the page after `last` ("" when the listing is done).
    pub fn next(&self, scope: &str, last: Option<Position>, more: bool, page_number: u32) -> String {
        let Some(after) = last.filter(|_| more) else {
            return String::new();
        };
        let token = secret_token(32);
        let now = Instant::now();
        let mut map = self.map.lock();
        if map.len() > SWEEP_ABOVE {
            map.retain(|_, c| c.expires > now);
        }
        let cursor = Cursor {
            scope: scope.to_string(),
            after,
            page_number: page_number + 1,
            expires: now + self.ttl,
        };
        map.insert(token.clone(), cursor);
        token
    }
}

fn page_size(query: &HashMap<String, String>, max: usize) -> Result<usize, ApiError> {
    match query.get("page_size").map(|s| s.trim()) {
        None | Some("") => Ok(30.min(max)),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(max).min(max)),
            _ => Err(ApiError::invalid_parameter("page_size")),
        },
    }
}

/// `page_count` for a listing of `total` rows in pages of `size`.
pub fn page_count(total: usize, size: usize) -> usize {
    if size == 0 { 0 } else { total.div_ceil(size) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn page_size_defaults_clamps_and_rejects() {
        let p = PageTokens::new(Duration::from_secs(60));
        assert_eq!(p.begin(&q(&[]), "s", 300).unwrap().page_size, 30);
        assert_eq!(
            p.begin(&q(&[("page_size", "5000")]), "s", 300).unwrap().page_size,
            300
        );
        assert!(p.begin(&q(&[("page_size", "0")]), "s", 300).is_err());
        assert!(p.begin(&q(&[("page_size", "ten")]), "s", 300).is_err());
    }

    #[test]
    fn tokens_are_scoped_replayable_and_expire() {
        let p = PageTokens::new(Duration::from_millis(30));
        let t = p.next("users", Some((5, 0)), true, 1);
        assert_eq!(p.next("users", Some((5, 0)), false, 1), "");
        let again = p.begin(&q(&[("next_page_token", &t)]), "users", 300).unwrap();
        assert_eq!((again.after, again.page_number), (Some((5, 0)), 2));
        assert!(
            p.begin(&q(&[("next_page_token", &t)]), "users", 300).is_ok(),
            "replayable"
        );
        assert!(p.begin(&q(&[("next_page_token", &t)]), "other", 300).is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(p.begin(&q(&[("next_page_token", &t)]), "users", 300).is_err());
    }
}
