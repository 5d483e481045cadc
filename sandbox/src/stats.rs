//! What the sandbox saw, for tests to assert on (and `GET /_sandbox/stats`): a client's
//! claims about its own behaviour ("no 429", "nobody created twice") are checked against
//! the server's count, not the client's.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::limits::{Category, RateLimiter};
use crate::store::Store;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Every request served or dropped, on any route except the stats endpoint itself.
    pub total_requests: u64,
    /// Route template (`"POST /users"`, `"POST /oauth/token"`) -> status (`"201"`, or
    /// `"dropped"` for a dropped connection) -> count.
    pub requests: BTreeMap<String, BTreeMap<String, u64>>,
    /// 429 responses per category (`light`, `medium`, `heavy`), whatever the reason.
    pub rate_limited: BTreeMap<String, u64>,
    /// The most authenticated requests that arrived within one UTC second, per category,
    /// whether accepted or answered 429 (unauthenticated ones never reach the limiter).
    pub peak_arrivals_per_second: BTreeMap<String, u64>,
    /// The most requests accepted (not 429) within one UTC second, per category.
    pub peak_accepted_per_second: BTreeMap<String, u64>,
    /// The most `/v2` requests the sandbox was serving at once (authenticated or not,
    /// latency included): how many a client kept in flight.
    #[serde(default)]
    pub peak_in_flight: u64,
    /// 5xx answers injected by `fault_rate`.
    pub faults_injected: u64,
    /// Connections closed without a response by `drop_rate`.
    pub connections_dropped: u64,
    /// Writes applied whose answer was lost (`lost_response_rate`, `lost_write_rate`).
    pub responses_lost: u64,
    /// Successful creations through `POST /users` per lower-cased email; any value above 1
    /// means the same person was created twice (possible only after a delete).
    pub users_created_by_email: BTreeMap<String, u64>,
}

impl Stats {
    /// The largest value in `users_created_by_email` (0 when nobody was created).
    pub fn max_creations_per_email(&self) -> u64 {
        self.users_created_by_email.values().copied().max().unwrap_or(0)
    }

    /// Requests to one route template, all statuses.
    pub fn requests_to(&self, route: &str) -> u64 {
        self.requests.get(route).map(|m| m.values().sum()).unwrap_or(0)
    }
}

/// Status label used for dropped connections.
pub const DROPPED: u16 = 0;

#[derive(Default)]
pub struct Recorder {
    total: AtomicU64,
    by_route: Mutex<HashMap<(&'static str, u16), u64>>,
    rate_limited: [AtomicU64; 3],
    faults: AtomicU64,
    dropped: AtomicU64,
    lost: AtomicU64,
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
}

/// One `/v2` request being served; dropping it ends it.
pub struct Serving<'a>(&'a Recorder);

impl Drop for Serving<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Recorder {
    pub fn record(&self, route: &'static str, status: u16, category: Option<Category>) {
        self.total.fetch_add(1, Ordering::Relaxed);
        *self.by_route.lock().entry((route, status)).or_default() += 1;
        if status == 429
            && let Some(c) = category
        {
            self.rate_limited[c as usize].fetch_add(1, Ordering::Relaxed);
        }
        if status == DROPPED {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a `/v2` request as being served until the guard drops.
    pub fn serving(&self) -> Serving<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        self.peak_in_flight.fetch_max(now, Ordering::Relaxed);
        Serving(self)
    }

    pub fn fault_injected(&self) {
        self.faults.fetch_add(1, Ordering::Relaxed);
    }

    pub fn response_lost(&self) {
        self.lost.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self, limiter: &RateLimiter, store: &Store) -> Stats {
        let mut requests: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for ((route, status), n) in self.by_route.lock().iter() {
            let label = if *status == DROPPED {
                "dropped".to_string()
            } else {
                status.to_string()
            };
            *requests
                .entry((*route).to_string())
                .or_default()
                .entry(label)
                .or_default() += n;
        }
        let per_category = |f: &dyn Fn(Category) -> u64| -> BTreeMap<String, u64> {
            Category::ALL
                .iter()
                .map(|c| (c.key().to_string(), f(*c)))
                .collect()
        };
        Stats {
            total_requests: self.total.load(Ordering::Relaxed),
            requests,
            rate_limited: per_category(&|c| self.rate_limited[c as usize].load(Ordering::Relaxed)),
            peak_arrivals_per_second: per_category(&|c| u64::from(limiter.peak_arrivals(c))),
            peak_accepted_per_second: per_category(&|c| u64::from(limiter.peak_accepted(c))),
            peak_in_flight: self.peak_in_flight.load(Ordering::Relaxed),
            faults_injected: self.faults.load(Ordering::Relaxed),
            connections_dropped: self.dropped.load(Ordering::Relaxed),
            responses_lost: self.lost.load(Ordering::Relaxed),
            users_created_by_email: store.users_created_by_email(),
        }
    }
}
