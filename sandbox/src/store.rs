//! All account state behind one type. One `RwLock` guards the data so every check-then-act
//! (does the email exist? is the invite cap reached? then create) is a single critical
//! section: two concurrent creates of one email can never both succeed. Guards are never
//! held across an `.await`; handlers copy what they need out.
//!
//! Long on purpose: all state sits behind one lock so that every check-then-act
//! is one critical section; splitting it would split the lock.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use parking_lot::RwLock;

use crate::errors::ApiError;
use crate::model::{Event, EventKind, Group, PastInstance, RecordingMeeting, Registrant, User};
use crate::pages::{PageRequest, PageTokens, Pages, Position};
use crate::rng;

mod user_changes;
pub use user_changes::{
    DEFAULT_MANAGED_DOMAINS, EMAIL_CHANGES_PER_DAY, EmailChangeError, Picture, Removal, Transfers,
};

/// Zoom's cap on registrants per meeting or webinar.
pub const MAX_REGISTRANTS: usize = 4_999;
/// Meeting create/update requests per user per UTC day.
pub const MEETING_WRITES_PER_DAY: u32 = 100;

/// Groups one account may hold in all (FACTS: Groups).
pub const MAX_GROUPS: usize = 5_000;
/// `POST /groups` per account per UTC day.
pub const GROUPS_PER_DAY: u32 = 100;
/// `POST /users/features`: one call per this long, account-wide (FACTS: rate limits).
pub const FEATURES_INTERVAL: Duration = Duration::from_secs(10);

/// Construction parameters that depend on the bound address and the config.
#[derive(Debug, Clone)]
pub struct StoreSetup {
    pub seed: u64,
    pub account_id: String,
    /// `http://127.0.0.1:PORT`: where the API and `download_url`s live.
    pub api_origin: String,
    /// `http://localhost:PORT`: a different host, like Zoom's storage behind its redirect.
    pub storage_origin: String,
    pub page_token_ttl: Duration,
    pub daily_user_invites: u32,
    /// Registrants per meeting or webinar ([`MAX_REGISTRANTS`] unless a test lowers it).
    pub registrant_cap: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Valid,
    Expired,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateUserError {
    /// 409/1005: the email is already in the account.
    Exists,
    /// 429: the daily `action=create` cap (the cap's value).
    InviteCap(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupError {
    /// 404/4130.
    NoGroup,
    /// 404/4131.
    NoMember,
    /// 409/4132: the name is taken.
    NameTaken,
    /// 400/300: the account holds [`MAX_GROUPS`].
    Full,
    /// 429: [`GROUPS_PER_DAY`] created today.
    DailyCap,
}

/// What `POST /users/features` did: ids changed, and (reason, user keys) refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureOutcome {
    pub success_user_ids: Vec<String>,
    pub fail_details: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterError {
    NoEvent,
    Full,
}

/// One page of a listing plus what the page token needs.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: usize,
    pub last: Option<Position>,
    pub more: bool,
}

/// One page of `map` (keyed by creation sequence) after `page.after`: the
/// entries `row` keeps, mapped, at most `page.page_size` of them. Every listing
/// of the store pages this way, so their cursors behave alike.
fn page_of<T, R>(
    map: &BTreeMap<u64, T>,
    page: &PageRequest,
    total: usize,
    mut row: impl FnMut(&T) -> Option<R>,
) -> Page<R> {
    let start = page
        .after
        .map(|(s, _)| u64::try_from(s).unwrap_or(0) + 1)
        .unwrap_or(0);
    let mut rows = Vec::with_capacity(page.page_size.min(total));
    let mut last = None;
    let mut more = false;
    for (seq, item) in map.range(start..) {
        let Some(r) = row(item) else { continue };
        if rows.len() == page.page_size {
            more = true;
            break;
        }
        rows.push(r);
        last = Some((i64::try_from(*seq).unwrap_or(i64::MAX), 0));
    }
    Page {
        rows,
        total,
        last,
        more,
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct DayCount {
    day: i32,
    count: u32,
}

impl DayCount {
    /// Counts one more unless `cap` (0 = none) is reached; resets at 00:00 UTC.
    fn try_bump(&mut self, cap: u32) -> bool {
        let today = Utc::now().date_naive().num_days_from_ce();
        if self.day != today {
            *self = DayCount { day: today, count: 0 };
        }
        if cap != 0 && self.count >= cap {
            return false;
        }
        self.count += 1;
        true
    }

    /// Whether `cap` (0 = none) is used up today.
    fn is_full(&mut self, cap: u32) -> bool {
        let today = Utc::now().date_naive().num_days_from_ce();
        if self.day != today {
            *self = DayCount { day: today, count: 0 };
        }
        cap != 0 && self.count >= cap
    }
}

#[derive(Debug, Default)]
struct Roster {
    next_seq: u64,
    list: BTreeMap<u64, Registrant>,
    by_email: HashMap<String, u64>,
}

#[derive(Debug, Default)]
struct Data {
    next_seq: u64,
    users: BTreeMap<u64, User>,
    by_email: HashMap<String, u64>,
    by_id: HashMap<String, u64>,
    status_counts: HashMap<String, usize>,
    passwords: HashMap<u64, String>,
    owner_seq: u64,
    events: BTreeMap<u64, Event>,
    event_seq: HashMap<u64, u64>,
    rosters: HashMap<u64, Roster>,
    /// Sorted newest first (then by id): the listing order.
    recordings: Vec<RecordingMeeting>,
    files: HashMap<String, u64>,
    invites: DayCount,
    meeting_writes: HashMap<String, DayCount>,
    /// Ended instances by uuid, and each event's instances (uuids, by start).
    past: HashMap<String, PastInstance>,
    past_of_event: HashMap<u64, Vec<String>>,
    created_by_email: HashMap<String, u64>,
    /// Creation order -> group; `group_seq` finds one by id.
    groups: BTreeMap<u64, Group>,
    group_seq: HashMap<String, u64>,
    groups_created: DayCount,
    /// When `POST /users/features` last got through (its own one-per-10-s limit).
    features_at: Option<Instant>,
    user_changes: user_changes::UserChanges,
}

impl Data {
    /// The id of the user `key` names (id, e-mail or `me`).
    fn id_of(&self, key: &str) -> Option<String> {
        self.seq_of(key)
            .and_then(|s| self.users.get(&s))
            .map(|u| u.id.clone())
    }

    fn seq_of(&self, key: &str) -> Option<u64> {
        if key.eq_ignore_ascii_case("me") {
            return Some(self.owner_seq).filter(|s| self.users.contains_key(s));
        }
        self.by_id
            .get(key)
            .or_else(|| self.by_email.get(&key.to_lowercase()))
            .copied()
    }

    fn count_status(&mut self, status: &str, delta: isize) {
        let n = self.status_counts.entry(status.to_string()).or_default();
        *n = n.saturating_add_signed(delta);
    }

    fn insert_user(&mut self, seed: u64, mut user: User) -> Result<User, String> {
        let email = user.email.to_lowercase();
        if self.by_email.contains_key(&email) {
            return Err(format!("email {email} already exists"));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        if user.id.is_empty() {
            let mut n = seq;
            user.id = rng::zoom_id(seed, "user", n);
            while self.by_id.contains_key(&user.id) {
                n += 1 << 40;
                user.id = rng::zoom_id(seed, "user", n);
            }
        } else if self.by_id.contains_key(&user.id) {
            return Err(format!("user id {} already exists", user.id));
        }
        user.email = email.clone();
        self.by_email.insert(email, seq);
        self.by_id.insert(user.id.clone(), seq);
        self.count_status(&user.status, 1);
        self.users.insert(seq, user.clone());
        Ok(user)
    }

    fn remove_user(&mut self, seq: u64) -> Option<User> {
        let user = self.users.remove(&seq)?;
        self.by_email.remove(&user.email);
        self.by_id.remove(&user.id);
        self.passwords.remove(&seq);
        self.count_status(&user.status, -1);
        Some(user)
    }

    fn group_members(&self, group_id: &str) -> usize {
        self.users
            .values()
            .filter(|u| u.group_ids.iter().any(|g| g == group_id))
            .count()
    }

    fn event_mut(&mut self, id: u64) -> Option<&mut Event> {
        let seq = self.event_seq.get(&id)?;
        self.events.get_mut(seq)
    }
}

pub struct Store {
    setup: StoreSetup,
    data: RwLock<Data>,
    tokens: RwLock<HashMap<String, Instant>>,
    pages: PageTokens,
    daily_user_invites: AtomicU32,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("users", &self.user_count())
            .finish_non_exhaustive()
    }
}

impl Store {
    pub fn new(setup: StoreSetup) -> Store {
        Store {
            pages: PageTokens::new(setup.page_token_ttl),
            daily_user_invites: AtomicU32::new(setup.daily_user_invites),
            data: RwLock::new(Data::default()),
            tokens: RwLock::new(HashMap::new()),
            setup,
        }
    }

    pub(crate) fn setup(&self) -> &StoreSetup {
        &self.setup
    }

    pub(crate) fn pages(&self) -> Pages<'_> {
        Pages {
            tokens: &self.pages,
            store: self,
        }
    }

    /// Installs a test hook on page tokens (see [`crate::PageHook`]).
    pub fn set_page_hook(&self, hook: Option<crate::PageHook>) {
        self.pages.set_hook(hook);
    }

    /// Deletes a user (id or email) for good, as `DELETE /users/{id}?action=delete`
    /// without transfers would: for tests that change the account behind a client's back.
    pub fn remove_user(&self, key: &str) -> bool {
        self.delete_user(key, None, Transfers::default())
    }

    // ---- read accessors for tests -------------------------------------------------------

    /// Users in the account, the owner included, whatever their status.
    pub fn user_count(&self) -> usize {
        self.data.read().users.len()
    }

    /// Every user in creation order (the order `GET /users` pages through).
    pub fn users(&self) -> Vec<User> {
        self.data.read().users.values().cloned().collect()
    }

    pub fn user_by_email(&self, email: &str) -> Option<User> {
        let data = self.data.read();
        data.by_email
            .get(&email.to_lowercase())
            .and_then(|s| data.users.get(s))
            .cloned()
    }

    pub fn user_by_id(&self, id: &str) -> Option<User> {
        let data = self.data.read();
        data.by_id.get(id).and_then(|s| data.users.get(s)).cloned()
    }

    /// The account owner (`me`).
    pub fn owner(&self) -> Option<User> {
        let data = self.data.read();
        data.users.get(&data.owner_seq).cloned()
    }

    /// Whether `user` (id or email) has exactly this password; the password itself is
    /// never exposed.
    pub fn password_matches(&self, user: &str, password: &str) -> bool {
        let data = self.data.read();
        data.seq_of(user)
            .and_then(|s| data.passwords.get(&s))
            .is_some_and(|p| p == password)
    }

    pub fn meetings(&self) -> Vec<Event> {
        self.events(EventKind::Meeting)
    }

    pub fn webinars(&self) -> Vec<Event> {
        self.events(EventKind::Webinar)
    }

    fn events(&self, kind: EventKind) -> Vec<Event> {
        self.data
            .read()
            .events
            .values()
            .filter(|e| e.kind == kind)
            .cloned()
            .collect()
    }

    pub fn meeting(&self, id: u64) -> Option<Event> {
        self.event(EventKind::Meeting, id)
    }

    pub fn webinar(&self, id: u64) -> Option<Event> {
        self.event(EventKind::Webinar, id)
    }

    pub(crate) fn event(&self, kind: EventKind, id: u64) -> Option<Event> {
        let data = self.data.read();
        data.event_seq
            .get(&id)
            .and_then(|s| data.events.get(s))
            .filter(|e| e.kind == kind)
            .cloned()
    }

    /// Registrants of a meeting or webinar, every status, in registration order.
    pub fn registrants(&self, event_id: u64) -> Vec<Registrant> {
        self.data
            .read()
            .rosters
            .get(&event_id)
            .map(|r| r.list.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Every ended instance of meetings and webinars, by event then start time.
    pub fn past_instances(&self) -> Vec<PastInstance> {
        let data = self.data.read();
        let mut all: Vec<PastInstance> = data.past.values().cloned().collect();
        all.sort_by(|a, b| (a.event_id, a.start_time, &a.uuid).cmp(&(b.event_id, b.start_time, &b.uuid)));
        all
    }

    /// The ended instances of one event, oldest first.
    pub fn instances_of(&self, event_id: u64) -> Vec<PastInstance> {
        let data = self.data.read();
        data.past_of_event
            .get(&event_id)
            .into_iter()
            .flatten()
            .filter_map(|u| data.past.get(u).cloned())
            .collect()
    }

    pub fn past_instance(&self, uuid: &str) -> Option<PastInstance> {
        self.data.read().past.get(uuid).cloned()
    }

    /// Adds an ended instance of an existing event (kept in start order).
    pub fn insert_past(&self, instance: PastInstance) {
        let mut data = self.data.write();
        let uuid = instance.uuid.clone();
        let event_id = instance.event_id;
        let start = instance.start_time;
        data.past.insert(uuid.clone(), instance);
        let Data {
            past, past_of_event, ..
        } = &mut *data;
        let list = past_of_event.entry(event_id).or_default();
        let at = list.partition_point(|u| past.get(u).is_some_and(|p| p.start_time <= start));
        list.insert(at, uuid);
    }

    /// Deletes a meeting or webinar with its registrants and past instances, as a
    /// host deleting it in Zoom would (a test's way to a deleted meeting).
    pub fn delete_event(&self, id: u64) -> bool {
        let mut data = self.data.write();
        let Some(seq) = data.event_seq.remove(&id) else {
            return false;
        };
        data.events.remove(&seq);
        data.rosters.remove(&id);
        for uuid in data.past_of_event.remove(&id).unwrap_or_default() {
            data.past.remove(&uuid);
        }
        true
    }

    /// Every recording meeting, trashed ones included, newest first.
    pub fn recordings(&self) -> Vec<RecordingMeeting> {
        self.data.read().recordings.clone()
    }

    /// Access tokens issued so far (expired ones included), e.g. to prove none leaked.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.tokens.read().keys().cloned().collect()
    }

    /// Successful `POST /users` creations per (lower-cased) email.
    pub fn users_created_by_email(&self) -> BTreeMap<String, u64> {
        self.data
            .read()
            .created_by_email
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    pub fn daily_user_invites(&self) -> u32 {
        self.daily_user_invites.load(Ordering::Relaxed)
    }

    // ---- helpers for tests to arrange state ---------------------------------------------

    /// Changes the daily `action=create` cap (0 = unlimited) on a running sandbox, e.g. to
    /// stand in for the 00:00 UTC reset.
    pub fn set_daily_user_invites(&self, cap: u32) {
        self.daily_user_invites.store(cap, Ordering::Relaxed);
    }

    /// Adds a user as-is (an empty `id` gets a generated one). Fails if the email exists.
    pub fn insert_user(&self, user: User) -> Result<User, String> {
        self.data.write().insert_user(self.setup.seed, user)
    }

    pub(crate) fn insert_owner(&self, user: User) -> Result<User, String> {
        let mut data = self.data.write();
        let seq = data.next_seq;
        let user = data.insert_user(self.setup.seed, user)?;
        data.owner_seq = seq;
        Ok(user)
    }

    pub fn set_password(&self, user: &str, password: &str) -> bool {
        let mut data = self.data.write();
        let Some(seq) = data.seq_of(user) else {
            return false;
        };
        data.passwords.insert(seq, password.to_string());
        true
    }

    /// Adds a meeting or webinar as-is (`id` 0 gets a generated one).
    pub fn insert_event(&self, mut event: Event) -> Event {
        let mut data = self.data.write();
        let seq = data.next_seq;
        data.next_seq += 1;
        if event.id == 0 {
            event.id = self.new_event_id(&data, seq);
        }
        if event.uuid.is_empty() {
            event.uuid = format!("{}==", rng::zoom_id(self.setup.seed, "event-uuid", seq));
        }
        data.event_seq.insert(event.id, seq);
        data.events.insert(seq, event.clone());
        event
    }

    fn new_event_id(&self, data: &Data, seq: u64) -> u64 {
        let mut n = seq;
        loop {
            let id = 80_000_000_000 + rng::draw(self.setup.seed, "event-id", n) % 19_999_999_999;
            if !data.event_seq.contains_key(&id) {
                return id;
            }
            n += 1 << 40;
        }
    }

    /// Adds a registrant as-is (empty `id`/`join_url` are generated), bypassing the
    /// registration rules and the registrant cap, e.g. to fill a meeting up in a test.
    pub fn insert_registrant(&self, event_id: u64, registrant: Registrant) -> Result<Registrant, String> {
        let mut data = self.data.write();
        if !data.event_seq.contains_key(&event_id) {
            return Err(format!("no meeting or webinar {event_id}"));
        }
        let key = registrant.email.to_lowercase();
        if data
            .rosters
            .get(&event_id)
            .is_some_and(|r| r.by_email.contains_key(&key))
        {
            return Err(format!("{} is already registered", registrant.email));
        }
        Ok(self.add_registrant(&mut data, event_id, registrant))
    }

    fn add_registrant(&self, data: &mut Data, event_id: u64, mut r: Registrant) -> Registrant {
        let n = data.next_seq;
        data.next_seq += 1;
        if r.id.is_empty() {
            r.id = rng::zoom_id(self.setup.seed, "registrant", n);
        }
        if r.participant_pin_code == 0 {
            r.participant_pin_code = 100_000 + rng::draw(self.setup.seed, "pin", n) % 900_000;
        }
        if r.join_url.is_empty() {
            let tk = rng::zoom_id(self.setup.seed, "join-tk", n);
            r.join_url = format!("https://zoom.us/w/{event_id}?tk={tk}.DQMA{}", &tk[..8]);
        }
        let roster = data.rosters.entry(event_id).or_default();
        let seq = roster.next_seq;
        roster.next_seq += 1;
        roster.by_email.insert(r.email.to_lowercase(), seq);
        roster.list.insert(seq, r.clone());
        r
    }

    /// Adds a recording meeting; files get their `download_id` if empty.
    pub fn insert_recording(&self, mut meeting: RecordingMeeting) -> RecordingMeeting {
        let mut data = self.data.write();
        for file in &mut meeting.recording_files {
            let n = data.next_seq;
            data.next_seq += 1;
            if file.download_id.is_empty() {
                file.download_id = format!(
                    "{}{}",
                    rng::zoom_id(self.setup.seed, "dl", n),
                    rng::zoom_id(self.setup.seed, "dl2", n)
                );
            }
            data.files.insert(file.download_id.clone(), file.file_size);
        }
        let at = data
            .recordings
            .partition_point(|m| listing_key(m) <= listing_key(&meeting));
        data.recordings.insert(at, meeting.clone());
        meeting
    }

    // ---- tokens ------------------------------------------------------------------------------

    pub(crate) fn issue_token(&self, ttl: Duration) -> String {
        let token = format!("eyJzdiI6IjAwMDAwMSJ9.{}", rng::secret_token(96));
        let now = Instant::now();
        let mut tokens = self.tokens.write();
        if tokens.len() > 10_000 {
            tokens.retain(|_, exp| *exp + Duration::from_secs(86_400) > now);
        }
        tokens.insert(token.clone(), now + ttl);
        token
    }

    pub(crate) fn token_state(&self, token: &str) -> TokenState {
        match self.tokens.read().get(token) {
            None => TokenState::Unknown,
            Some(exp) if *exp > Instant::now() => TokenState::Valid,
            Some(_) => TokenState::Expired,
        }
    }

    // ---- users -------------------------------------------------------------------------------

    /// A user by id, email (any case) or `me`.
    pub(crate) fn find_user(&self, key: &str) -> Option<User> {
        let data = self.data.read();
        data.seq_of(key).and_then(|s| data.users.get(&s)).cloned()
    }

    /// Creates a user atomically: the email check, the invite cap and the insert happen
    /// under one lock, so no email is ever created twice.
    pub(crate) fn create_user(&self, user: User, password: Option<String>) -> Result<User, CreateUserError> {
        let mut data = self.data.write();
        // The cap is a rate limit: once it is used up, every invite request is
        // refused before Zoom looks at the email (so a retry after a lost answer
        // can meet the cap rather than 409).
        if user.created_via == "create" {
            let cap = self.daily_user_invites();
            if data.invites.is_full(cap) {
                return Err(CreateUserError::InviteCap(cap));
            }
        }
        if data.by_email.contains_key(&user.email.to_lowercase()) {
            return Err(CreateUserError::Exists);
        }
        if user.created_via == "create" {
            let cap = self.daily_user_invites();
            if !data.invites.try_bump(cap) {
                return Err(CreateUserError::InviteCap(cap));
            }
        }
        let seq = data.next_seq;
        let user = data
            .insert_user(self.setup.seed, user)
            .map_err(|_| CreateUserError::Exists)?;
        if let Some(pw) = password {
            data.passwords.insert(seq, pw);
        }
        *data.created_by_email.entry(user.email.clone()).or_default() += 1;
        Ok(user)
    }

    /// Applies `change` to a user; `None` if there is no such user. The closure runs under
    /// the lock and may refuse with an error of its own.
    pub(crate) fn update_user<E>(
        &self,
        key: &str,
        change: impl FnOnce(&mut User) -> Result<(), E>,
    ) -> Option<Result<(), E>> {
        let mut data = self.data.write();
        let seq = data.seq_of(key)?;
        let user = data.users.get_mut(&seq)?;
        let before = user.status.clone();
        let result = change(user);
        let after = user.status.clone();
        if before != after {
            data.count_status(&before, -1);
            data.count_status(&after, 1);
        }
        Some(result)
    }

    pub(crate) fn is_owner(&self, key: &str) -> bool {
        let data = self.data.read();
        data.seq_of(key) == Some(data.owner_seq)
    }

    /// Removes a user. What they host moves to `transfer_to` where asked, else goes too.
    pub(crate) fn delete_user(&self, key: &str, transfer_to: Option<&str>, transfer: Transfers) -> bool {
        let mut data = self.data.write();
        let Some(seq) = data.seq_of(key) else { return false };
        let target = transfer_to
            .and_then(|t| data.seq_of(t))
            .and_then(|s| data.users.get(&s))
            .map(|u| u.id.clone());
        let Some(user) = data.remove_user(seq) else {
            return false;
        };
        let mut gone = Vec::new();
        for event in data.events.values_mut().filter(|e| e.host_id == user.id) {
            let keep = match event.kind {
                EventKind::Meeting => transfer.meetings,
                EventKind::Webinar => transfer.webinars,
            };
            match (&target, keep) {
                (Some(t), true) => event.host_id = t.clone(),
                _ => gone.push(event.id),
            }
        }
        for id in gone {
            if let Some(seq) = data.event_seq.remove(&id) {
                data.events.remove(&seq);
            }
            data.rosters.remove(&id);
        }
        match (&target, transfer.recordings) {
            (Some(t), true) => data
                .recordings
                .iter_mut()
                .filter(|r| r.host_id == user.id)
                .for_each(|r| r.host_id = t.clone()),
            _ => {
                let files: Vec<String> = data
                    .recordings
                    .iter()
                    .filter(|r| r.host_id == user.id)
                    .flat_map(|r| r.recording_files.iter().map(|f| f.download_id.clone()))
                    .collect();
                for f in files {
                    data.files.remove(&f);
                }
                data.recordings.retain(|r| r.host_id != user.id);
            }
        }
        true
    }

    /// A page of users with `status`, optionally one role, in creation order.
    pub(crate) fn list_users(&self, status: &str, role_id: Option<&str>, page: &PageRequest) -> Page<User> {
        let data = self.data.read();
        let matches = |u: &User| u.status == status && role_id.is_none_or(|r| u.role_id == r);
        let total = match role_id {
            None => data.status_counts.get(status).copied().unwrap_or(0),
            Some(_) => data.users.values().filter(|u| matches(u)).count(),
        };
        page_of(&data.users, page, total, |user| {
            matches(user).then(|| user.clone())
        })
    }

    // ---- groups --------------------------------------------------------------------------------

    /// Adds a group as-is (an empty `id` gets a generated one), bypassing the daily cap.
    pub fn insert_group(&self, name: &str) -> Result<Group, String> {
        let mut data = self.data.write();
        self.add_group(&mut data, name)
            .map_err(|_| format!("group {name} exists"))
    }

    fn add_group(&self, data: &mut Data, name: &str) -> Result<Group, GroupError> {
        if data.groups.values().any(|g| g.name.eq_ignore_ascii_case(name)) {
            return Err(GroupError::NameTaken);
        }
        if data.groups.len() >= MAX_GROUPS {
            return Err(GroupError::Full);
        }
        let seq = data.next_seq;
        data.next_seq += 1;
        let mut n = seq;
        let mut id = rng::zoom_id(self.setup.seed, "group", n);
        while data.group_seq.contains_key(&id) {
            n += 1 << 40;
            id = rng::zoom_id(self.setup.seed, "group", n);
        }
        let group = Group {
            id: id.clone(),
            name: name.to_string(),
        };
        data.group_seq.insert(id, seq);
        data.groups.insert(seq, group.clone());
        Ok(group)
    }

    /// Every group in creation order.
    pub fn groups(&self) -> Vec<Group> {
        self.data.read().groups.values().cloned().collect()
    }

    pub fn group_by_name(&self, name: &str) -> Option<Group> {
        self.data.read().groups.values().find(|g| g.name == name).cloned()
    }

    /// Members of a group (creation order of the users).
    pub fn members_of(&self, group_id: &str) -> Vec<User> {
        self.data
            .read()
            .users
            .values()
            .filter(|u| u.group_ids.iter().any(|g| g == group_id))
            .cloned()
            .collect()
    }

    /// `POST /groups`: the daily cap, the total and the name, under one lock.
    pub(crate) fn create_group(&self, name: &str) -> Result<Group, GroupError> {
        let mut data = self.data.write();
        if data.groups.values().any(|g| g.name.eq_ignore_ascii_case(name)) {
            return Err(GroupError::NameTaken);
        }
        if data.groups.len() >= MAX_GROUPS {
            return Err(GroupError::Full);
        }
        if !data.groups_created.try_bump(GROUPS_PER_DAY) {
            return Err(GroupError::DailyCap);
        }
        self.add_group(&mut data, name)
    }

    /// A group and its member count.
    pub(crate) fn find_group(&self, id: &str) -> Option<(Group, usize)> {
        let data = self.data.read();
        let group = data.group_seq.get(id).and_then(|s| data.groups.get(s))?.clone();
        let members = data.group_members(id);
        Some((group, members))
    }

    /// A page of groups with their member counts, in creation order.
    pub(crate) fn list_groups(&self, page: &PageRequest) -> Page<(Group, usize)> {
        let data = self.data.read();
        page_of(&data.groups, page, data.groups.len(), |g| {
            Some((g.clone(), data.group_members(&g.id)))
        })
    }

    /// A page of a group's members; `None` for an unknown group.
    pub(crate) fn list_group_members(&self, id: &str, page: &PageRequest) -> Option<Page<User>> {
        let data = self.data.read();
        if !data.group_seq.contains_key(id) {
            return None;
        }
        let is_member = |u: &User| u.group_ids.iter().any(|g| g == id);
        Some(page_of(&data.users, page, data.group_members(id), |u| {
            is_member(u).then(|| u.clone())
        }))
    }

    /// Adds members, each given by id or else email. Who is not in the account, or is
    /// still pending (not yet a member of the account), is skipped (verify: Zoom's answer
    /// for these is not documented). Members already in the group count as added.
    /// Returns the ids of the group's new or existing members among those named.
    pub(crate) fn add_group_members(&self, id: &str, members: &[String]) -> Result<Vec<String>, GroupError> {
        let mut data = self.data.write();
        if !data.group_seq.contains_key(id) {
            return Err(GroupError::NoGroup);
        }
        let mut added = Vec::new();
        for key in members {
            let Some(user) = data.seq_of(key).and_then(|s| data.users.get_mut(&s)) else {
                continue;
            };
            if user.status == "pending" {
                continue;
            }
            if !user.group_ids.iter().any(|g| g == id) {
                user.group_ids.push(id.to_string());
            }
            if !added.contains(&user.id) {
                added.push(user.id.clone());
            }
        }
        Ok(added)
    }

    /// Takes a member (id or email) out of a group.
    pub(crate) fn remove_group_member(&self, id: &str, member: &str) -> Result<(), GroupError> {
        let mut data = self.data.write();
        if !data.group_seq.contains_key(id) {
            return Err(GroupError::NoGroup);
        }
        let user = data
            .seq_of(member)
            .and_then(|s| data.users.get_mut(&s))
            .filter(|u| u.group_ids.iter().any(|g| g == id))
            .ok_or(GroupError::NoMember)?;
        user.group_ids.retain(|g| g != id);
        Ok(())
    }

    /// Whether a group with this id exists.
    pub(crate) fn group_exists(&self, id: &str) -> bool {
        self.data.read().group_seq.contains_key(id)
    }

    // ---- features ------------------------------------------------------------------------------

    /// Sets a feature on a user as-is (a test arranging state).
    pub fn set_user_feature(&self, user: &str, feature_type: &str, value: &str) -> bool {
        self.update_user(user, |u| {
            u.features.insert(feature_type.to_string(), value.to_string());
            Ok::<(), ()>(())
        })
        .is_some()
    }

    /// Takes the account's one `POST /users/features` slot per [`FEATURES_INTERVAL`], or
    /// says how long until the next one.
    pub(crate) fn take_features_slot(&self) -> Result<(), Duration> {
        let mut data = self.data.write();
        let now = Instant::now();
        if let Some(at) = data.features_at {
            let since = now.saturating_duration_since(at);
            if since < FEATURES_INTERVAL {
                return Err(FEATURES_INTERVAL.saturating_sub(since));
            }
        }
        data.features_at = Some(now);
        Ok(())
    }

    /// Sets one feature on each user (id or email). `apply` changes a user's fields and
    /// answers whether anything changed.
    pub(crate) fn set_features(&self, users: &[String], apply: impl Fn(&mut User) -> bool) -> FeatureOutcome {
        let mut data = self.data.write();
        let mut out = FeatureOutcome::default();
        let mut not_found = Vec::new();
        let mut unchanged = Vec::new();
        for key in users {
            let Some(user) = data.seq_of(key).and_then(|s| data.users.get_mut(&s)) else {
                not_found.push(key.clone());
                continue;
            };
            if apply(user) {
                out.success_user_ids.push(user.id.clone());
            } else {
                unchanged.push(user.id.clone());
            }
        }
        for (reason, keys) in [("Users not found", not_found), ("No need to update", unchanged)] {
            if !keys.is_empty() {
                out.fail_details.push((reason.to_string(), keys));
            }
        }
        out
    }

    // ---- meetings and webinars ---------------------------------------------------------------

    /// Creates an event for its host, counting against the host's daily write cap.
    pub(crate) fn create_event(&self, event: Event) -> Result<Event, u32> {
        {
            let mut data = self.data.write();
            let counter = data.meeting_writes.entry(event.host_id.clone()).or_default();
            if !counter.try_bump(MEETING_WRITES_PER_DAY) {
                return Err(MEETING_WRITES_PER_DAY);
            }
        }
        Ok(self.insert_event(event))
    }

    /// Changes an event in place, counting against its host's daily write cap
    /// (`Err(Some(cap))` past the cap, `Err(None)` when there is no such event).
    pub(crate) fn update_event(
        &self,
        id: u64,
        change: impl FnOnce(&mut Event),
    ) -> Result<Event, Option<u32>> {
        let mut data = self.data.write();
        let host = data.event_mut(id).map(|e| e.host_id.clone()).ok_or(None)?;
        let counter = data.meeting_writes.entry(host).or_default();
        if !counter.try_bump(MEETING_WRITES_PER_DAY) {
            return Err(Some(MEETING_WRITES_PER_DAY));
        }
        let event = data.event_mut(id).ok_or(None)?;
        change(event);
        Ok(event.clone())
    }

    pub(crate) fn list_events(
        &self,
        kind: EventKind,
        host_id: &str,
        keep: impl Fn(&Event) -> bool,
        page: &PageRequest,
    ) -> Page<Event> {
        let data = self.data.read();
        let matches = |e: &Event| e.kind == kind && e.host_id == host_id && keep(e);
        let total = data.events.values().filter(|e| matches(e)).count();
        page_of(&data.events, page, total, |e| matches(e).then(|| e.clone()))
    }

    /// Registers `r` unless that email already is (then the existing registrant comes back,
    /// with `false`). Status comes from the caller (approval rules live in the route).
    pub(crate) fn register(&self, event_id: u64, r: Registrant) -> Result<(Registrant, bool), RegisterError> {
        let mut data = self.data.write();
        if data.event_mut(event_id).is_none() {
            return Err(RegisterError::NoEvent);
        }
        if let Some(roster) = data.rosters.get(&event_id)
            && let Some(existing) = roster
                .by_email
                .get(&r.email.to_lowercase())
                .and_then(|s| roster.list.get(s))
        {
            return Ok((existing.clone(), false));
        }
        if data.rosters.get(&event_id).map_or(0, |r| r.list.len()) >= self.setup.registrant_cap {
            return Err(RegisterError::Full);
        }
        Ok((self.add_registrant(&mut data, event_id, r), true))
    }

    /// Registers a batch in order (existing emails come back as they are). Like Zoom, a
    /// batch that crosses the cap is partly applied: registrants are added until the
    /// cap is reached, then the rest is refused with [`RegisterError::Full`] (the client
    /// sees 400/3043 and nothing of what was added; those registrants stay).
    pub(crate) fn register_batch(
        &self,
        event_id: u64,
        batch: Vec<Registrant>,
    ) -> Result<Vec<Registrant>, RegisterError> {
        let mut data = self.data.write();
        if data.event_mut(event_id).is_none() {
            return Err(RegisterError::NoEvent);
        }
        let cap = self.setup.registrant_cap;
        let mut out = Vec::with_capacity(batch.len());
        for r in batch {
            let roster = data.rosters.entry(event_id).or_default();
            let existing = roster
                .by_email
                .get(&r.email.to_lowercase())
                .and_then(|s| roster.list.get(s))
                .cloned();
            if let Some(e) = existing {
                out.push(e);
                continue;
            }
            if roster.list.len() >= cap {
                return Err(RegisterError::Full);
            }
            out.push(self.add_registrant(&mut data, event_id, r));
        }
        Ok(out)
    }

    pub(crate) fn list_registrants(
        &self,
        event_id: u64,
        status: &str,
        occurrence_id: Option<&str>,
        page: &PageRequest,
    ) -> Page<Registrant> {
        let data = self.data.read();
        let Some(roster) = data.rosters.get(&event_id) else {
            return Page {
                rows: Vec::new(),
                total: 0,
                last: None,
                more: false,
            };
        };
        let matches = |r: &Registrant| {
            r.status == status
                && occurrence_id
                    .is_none_or(|o| r.occurrence_ids.is_empty() || r.occurrence_ids.iter().any(|x| x == o))
        };
        let total = roster.list.values().filter(|r| matches(r)).count();
        page_of(&roster.list, page, total, |r| matches(r).then(|| r.clone()))
    }

    // ---- recordings ----------------------------------------------------------------------------

    /// Recordings of one listing kind, newest first: live ones start within `from..=to`;
    /// the trash listings ignore the range (FACTS: with `trash=true`, from/to do not apply).
    pub(crate) fn list_recordings(
        &self,
        host_id: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
        kind: RecordingListing,
        page: &PageRequest,
    ) -> Page<RecordingMeeting> {
        let data = self.data.read();
        let matches = |m: &RecordingMeeting| {
            let day = m.start_time.date_naive();
            let listed = match kind {
                RecordingListing::Live => {
                    !m.trashed
                        && day >= from
                        && day <= to
                        && m.recording_files.iter().any(|f| f.deleted_time.is_none())
                }
                RecordingListing::TrashedMeetings => m.trashed,
                RecordingListing::TrashedFiles => {
                    !m.trashed && m.recording_files.iter().any(|f| f.deleted_time.is_some())
                }
            };
            listed && host_id.is_none_or(|h| m.host_id == h)
        };
        let key = listing_key;
        let total = data.recordings.iter().filter(|m| matches(m)).count();
        let start = match page.after {
            None => 0,
            Some(after) => data.recordings.partition_point(|m| key(m) <= after),
        };
        let mut rows = Vec::new();
        let mut last = None;
        let mut more = false;
        for m in data.recordings[start..].iter() {
            if !matches(m) {
                continue;
            }
            if rows.len() == page.page_size {
                more = true;
                break;
            }
            let mut shown = m.clone();
            match kind {
                RecordingListing::Live => shown.recording_files.retain(|f| f.deleted_time.is_none()),
                RecordingListing::TrashedFiles => shown.recording_files.retain(|f| f.deleted_time.is_some()),
                RecordingListing::TrashedMeetings => {}
            }
            rows.push(shown);
            last = Some(key(m));
        }
        Page {
            rows,
            total,
            last,
            more,
        }
    }

    /// `DELETE /meetings/{meetingId}/recordings[/{recordingId}]`: moves one meeting's
    /// recordings (or one file) to the trash, or removes them for good.
    pub(crate) fn delete_recording(
        &self,
        meeting: &str,
        file_id: Option<&str>,
        permanent: bool,
        now: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let mut data = self.data.write();
        let at = find_recording(&data.recordings, meeting, |m| {
            permanent || (!m.trashed && m.recording_files.iter().any(|f| f.deleted_time.is_none()))
        })
        .ok_or_else(no_recording)?;
        let Some(file_id) = file_id else {
            if permanent {
                let gone = data.recordings.remove(at);
                for f in gone.recording_files {
                    data.files.remove(&f.download_id);
                }
            } else {
                let m = &mut data.recordings[at];
                m.trashed = true;
                for f in m.recording_files.iter_mut().filter(|f| f.deleted_time.is_none()) {
                    f.deleted_time = Some(now);
                }
            }
            return Ok(());
        };
        let m = &mut data.recordings[at];
        // Files without an id (CC, TIMELINE) cannot be named, so cannot be deleted one by one.
        let Some(i) = m
            .recording_files
            .iter()
            .position(|f| f.id.as_deref() == Some(file_id) && (permanent || f.deleted_time.is_none()))
        else {
            return Err(no_recording());
        };
        if m.recording_files.iter().any(|f| f.recording_end > now) {
            return Err(ApiError::bad_request(
                3303,
                "You can not delete an uncompleted meeting.",
            ));
        }
        if permanent {
            let f = m.recording_files.remove(i);
            let empty = m.recording_files.is_empty();
            data.files.remove(&f.download_id);
            if empty {
                data.recordings.remove(at);
            }
        } else {
            m.recording_files[i].deleted_time = Some(now);
        }
        Ok(())
    }

    /// Brings a trashed recording back (tests: as `PUT …/recordings/status` does).
    /// Whether there was one to recover.
    pub fn recover_from_trash(&self, uuid: &str) -> bool {
        self.recover_recording(uuid, None).is_ok()
    }

    /// `PUT /meetings/{meetingUUID}/recordings[/{recordingId}]/status` with `recover`:
    /// back from the trash, the whole meeting or one file.
    pub(crate) fn recover_recording(&self, meeting: &str, file_id: Option<&str>) -> Result<(), ApiError> {
        let mut data = self.data.write();
        let at = find_recording(&data.recordings, meeting, |m| {
            m.trashed || m.recording_files.iter().any(|f| f.deleted_time.is_some())
        })
        .ok_or_else(no_recording)?;
        let m = &mut data.recordings[at];
        match file_id {
            None => {
                m.trashed = false;
                for f in &mut m.recording_files {
                    f.deleted_time = None;
                }
            }
            Some(id) => {
                let file = m
                    .recording_files
                    .iter_mut()
                    .find(|f| f.id.as_deref() == Some(id) && f.deleted_time.is_some())
                    .filter(|_| !m.trashed)
                    .ok_or_else(no_recording)?;
                file.deleted_time = None;
            }
        }
        Ok(())
    }

    /// The size of the file behind a `download_url`, if it exists.
    pub(crate) fn file_size(&self, download_id: &str) -> Option<u64> {
        self.data.read().files.get(download_id).copied()
    }
}

/// Which recordings a listing shows (`trash`, `trash_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingListing {
    /// Not in the trash; only the files not in the trash.
    Live,
    /// `trash=true&trash_type=meeting_recordings`: meetings moved to the trash whole.
    TrashedMeetings,
    /// `trash=true&trash_type=recording_file`: files trashed one by one.
    TrashedFiles,
}

fn no_recording() -> ApiError {
    ApiError::not_found(3301, "There is no recording for this meeting.")
}

/// The recording a path names: a UUID that instance, a numeric meeting id the latest
/// instance (the listing is newest first) that `usable` accepts.
fn find_recording(
    recordings: &[RecordingMeeting],
    meeting: &str,
    usable: impl Fn(&RecordingMeeting) -> bool,
) -> Option<usize> {
    match meeting.parse::<u64>() {
        Ok(id) => recordings.iter().position(|m| m.id == id && usable(m)),
        Err(_) => recordings.iter().position(|m| m.uuid == meeting && usable(m)),
    }
}

/// Recordings are listed newest first, then by meeting id.
fn listing_key(m: &RecordingMeeting) -> Position {
    (-m.start_time.timestamp_millis(), m.id)
}

/// Midnight UTC after `now`: when every daily limit resets.
pub fn next_utc_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let tomorrow = now.date_naive().succ_opt().unwrap_or(now.date_naive());
    tomorrow.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(now)
}
