//! User changes beyond `PATCH`: e-mail changes (Zoom allows 3 per user in any 24 h
//! and only to managed domains), profile pictures, and what each `DELETE /users/{id}`
//! transferred, kept so tests can read back what a run did.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::Store;
use crate::model::User;
use crate::seed::SEED_DOMAIN;

/// The account's managed domains until a test sets others: the seeded users' domain
/// and `example.com`, which most tests use.
pub const DEFAULT_MANAGED_DOMAINS: &[&str] = &[SEED_DOMAIN, "example.com"];
/// E-mail changes Zoom allows per user in any 24 hours (FACTS: Users).
pub const EMAIL_CHANGES_PER_DAY: usize = 3;

/// A stored profile picture: what a test may check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Picture {
    /// `jpeg` or `png`, from the file's first bytes.
    pub kind: String,
    pub bytes: usize,
    /// The part's file name, as the client sent it.
    pub file_name: String,
}

/// Which of a removed user's belongings went to the `transfer_email` user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Transfers {
    pub meetings: bool,
    pub webinars: bool,
    pub recordings: bool,
    pub whiteboards: bool,
    pub clips: bool,
    pub notes: bool,
    pub visitors: bool,
    pub docs: bool,
}

/// One `DELETE /users/{userId}` that went through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removal {
    pub user_id: String,
    pub email: String,
    /// `disassociate` or `delete`.
    pub action: String,
    /// The e-mail of the user who received the transfers.
    pub transfer_email: Option<String>,
    pub transfers: Transfers,
}

/// Why `PUT /users/{userId}/email` refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailChangeError {
    NotFound,
    /// The user is the owner or an admin.
    Admin,
    /// The new address's domain is not managed by the account.
    NotManaged(String),
    /// The new address is in use (by this user too).
    Exists,
    /// Three changes in the last 24 hours; the oldest ages out at this time.
    TooMany(DateTime<Utc>),
}

#[derive(Debug)]
pub(super) struct UserChanges {
    managed_domains: Vec<String>,
    /// By user id: when their e-mail changed, oldest first.
    email_changes: HashMap<String, VecDeque<DateTime<Utc>>>,
    pictures: HashMap<String, Picture>,
    removals: Vec<Removal>,
}

impl Default for UserChanges {
    fn default() -> Self {
        UserChanges {
            managed_domains: DEFAULT_MANAGED_DOMAINS.iter().map(|d| d.to_string()).collect(),
            email_changes: HashMap::new(),
            pictures: HashMap::new(),
            removals: Vec::new(),
        }
    }
}

impl UserChanges {
    /// Changes of `user_id` within 24 hours before `now`, after dropping older ones.
    fn recent(&mut self, user_id: &str, now: DateTime<Utc>) -> &mut VecDeque<DateTime<Utc>> {
        let changes = self.email_changes.entry(user_id.to_string()).or_default();
        while changes.front().is_some_and(|t| *t <= now - Duration::hours(24)) {
            changes.pop_front();
        }
        changes
    }
}

impl Store {
    /// The account's managed domains (none: the account cannot change e-mails).
    pub fn set_managed_domains(&self, domains: &[&str]) {
        self.data.write().user_changes.managed_domains = domains.iter().map(|d| d.to_lowercase()).collect();
    }

    /// A user's profile picture, by id or e-mail.
    pub fn picture(&self, user: &str) -> Option<Picture> {
        let data = self.data.read();
        let id = data.id_of(user)?;
        data.user_changes.pictures.get(&id).cloned()
    }

    /// Every removal so far, in order.
    pub fn removals(&self) -> Vec<Removal> {
        self.data.read().user_changes.removals.clone()
    }

    /// E-mail changes of a user (id or e-mail) in the last 24 hours.
    pub fn email_changes(&self, user: &str) -> usize {
        let mut data = self.data.write();
        let Some(id) = data.id_of(user) else {
            return 0;
        };
        data.user_changes.recent(&id, Utc::now()).len()
    }

    /// Sets when a user's e-mail changed (their address stays as it is): for tests
    /// of the 24-hour window.
    pub fn set_email_changes(&self, user: &str, times: &[DateTime<Utc>]) -> bool {
        let mut data = self.data.write();
        let Some(id) = data.id_of(user) else {
            return false;
        };
        let mut times = times.to_vec();
        times.sort();
        data.user_changes.email_changes.insert(id, times.into());
        true
    }

    /// Changes a user's e-mail under one lock: the managed-domain rule, the address
    /// being free, and the 3-in-24-hours limit are checked, then the address moves.
    pub(crate) fn change_email(&self, key: &str, email: &str) -> Result<User, EmailChangeError> {
        let mut data = self.data.write();
        let seq = data.seq_of(key).ok_or(EmailChangeError::NotFound)?;
        let user = data.users.get(&seq).ok_or(EmailChangeError::NotFound)?;
        if matches!(user.role_id.as_str(), "0" | "1") {
            return Err(EmailChangeError::Admin);
        }
        let (old, id) = (user.email.clone(), user.id.clone());
        let email = email.to_lowercase();
        let domain = email
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or_default()
            .to_string();
        if !data.user_changes.managed_domains.contains(&domain) {
            return Err(EmailChangeError::NotManaged(domain));
        }
        if data.by_email.contains_key(&email) {
            return Err(EmailChangeError::Exists);
        }
        let now = Utc::now();
        let recent = data.user_changes.recent(&id, now);
        if recent.len() >= EMAIL_CHANGES_PER_DAY {
            let oldest = recent.front().copied().unwrap_or(now);
            return Err(EmailChangeError::TooMany(oldest + Duration::hours(24)));
        }
        recent.push_back(now);
        data.by_email.remove(&old);
        data.by_email.insert(email.clone(), seq);
        let user = data.users.get_mut(&seq).ok_or(EmailChangeError::NotFound)?;
        user.email = email;
        Ok(user.clone())
    }

    /// Stores a user's picture; false when there is no such user.
    pub(crate) fn set_picture(&self, key: &str, picture: Picture) -> bool {
        let mut data = self.data.write();
        let Some(id) = data.id_of(key) else {
            return false;
        };
        data.user_changes.pictures.insert(id, picture);
        true
    }

    pub(crate) fn note_removal(&self, removal: Removal) {
        self.data.write().user_changes.removals.push(removal);
    }
}
