//! One limiter per rate-limit category, sized from the plan, that slows down when
//! Zoom answers 429 (the account's quota is shared with every other app, and the
//! plan we were told may be wrong) and creeps back up while requests succeed.
//!
//! Zoom may send no `X-RateLimit-*` headers at all, so the limiter cannot rely on
//! being told the limit: on a 429 it falls to the rate that actually got through in
//! the last second (what Zoom accepted), once per window, and probes up additively
//! (AIMD). Requests already waiting re-reserve their slot when the rate changes.
//!
//! Long on purpose: ~400 lines of pacing and adaptation that share one state, then
//! their tests (on tokio's paused clock).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::plan::{Category, RateTable};

/// Pace a little under the quota: Zoom counts per wall-clock second, and timer
/// jitter must not push one second over.
const PACING: f64 = 0.99;
/// After a 429 with Zoom's limit stated and the rate already under it (others
/// share the quota), cut the rate to this share of what it was.
const BACKOFF_FACTOR: f64 = 0.85;
/// After a 429 with no stated limit: the rate falls to what got through in the last
/// [`WINDOW`], but by at least this factor ...
const MIN_CUT: f64 = 0.97;
/// ... and by at most this one (a short measurement must not stall the run).
const MAX_CUT: f64 = 0.5;
/// While no 429 comes, raise the rate by this share of the ceiling ...
const PROBE_SHARE: f64 = 0.01;
/// ... but by at least this many requests/s ...
const PROBE_MIN_STEP: f64 = 0.5;
/// ... at most this often.
const PROBE_EVERY: Duration = Duration::from_secs(2);
/// One burst of 429s is one signal: ignore further ones for this long after a cut.
const CUT_COOLDOWN: Duration = Duration::from_secs(1);
/// No more than the limit's worth of requests leave in any span this long, counted
/// when each actually goes: spacing alone lets a late timer wake-up (a busy machine)
/// push the end of one second into the next. A little over a second, so a request
/// that takes a few milliseconds longer to reach Zoom still lands in its own second.
const SEND_WINDOW: Duration = Duration::from_millis(1_008);
/// The rate never goes below this (requests/s).
const MIN_RATE: f64 = 0.5;
/// Zoom counts per second: successes are counted over this window, in [`SLICES`] parts.
const WINDOW: Duration = Duration::from_secs(1);
const SLICES: usize = 10;
/// The weight of each new answer in the moving average of request latency: about the
/// last 10 answers count, so a change in latency shows within a second at Zoom's rates.
const LATENCY_WEIGHT: f64 = 0.1;

/// `POST /users/features` goes at most once per this long, account-wide (FACTS: the
/// per-endpoint caps), on top of its Medium category.
pub const FEATURES_INTERVAL: Duration = Duration::from_secs(10);

/// An endpoint with a limit of its own beside the Light/Medium/Heavy categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// `POST /users/features`: one call per [`FEATURES_INTERVAL`].
    Features,
}

impl Bucket {
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Features => "features",
        }
    }
}

pub struct Limiters {
    categories: [CategoryLimiter; 3],
    features: IntervalLimiter,
}

impl Limiters {
    pub fn new(table: &RateTable) -> Limiters {
        Limiters {
            categories: Category::ALL.map(|c| CategoryLimiter::new(table.get(c))),
            features: IntervalLimiter::new(FEATURES_INTERVAL),
        }
    }

    pub fn get(&self, category: Category) -> &CategoryLimiter {
        &self.categories[category as usize]
    }

    pub fn bucket(&self, bucket: Bucket) -> &IntervalLimiter {
        match bucket {
            Bucket::Features => &self.features,
        }
    }
}

/// One request per `interval`, measured from the previous request's answer (Zoom counts
/// from when the request reached it, which is before we see the answer), so the next one
/// can never arrive early. Requests queue behind each other.
pub struct IntervalLimiter {
    interval: Duration,
    /// Earliest time the next request may go (`None`: now).
    next: tokio::sync::Mutex<Option<Instant>>,
    sent: AtomicU64,
}

/// Held while one paced request is out; dropping it starts the next interval.
pub struct IntervalPermit<'a> {
    next: tokio::sync::MutexGuard<'a, Option<Instant>>,
    interval: Duration,
}

impl Drop for IntervalPermit<'_> {
    fn drop(&mut self) {
        *self.next = Some(Instant::now() + self.interval);
    }
}

impl IntervalLimiter {
    pub fn new(interval: Duration) -> IntervalLimiter {
        IntervalLimiter {
            interval,
            next: tokio::sync::Mutex::new(None),
            sent: AtomicU64::new(0),
        }
    }

    /// Waits for the previous request's interval to pass; hold the permit until the
    /// answer has come (or the attempt failed).
    pub async fn acquire(&self) -> IntervalPermit<'_> {
        let next = self.next.lock().await;
        if let Some(at) = *next {
            tokio::time::sleep_until(at).await;
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        IntervalPermit {
            next,
            interval: self.interval,
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Requests let through so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

pub struct CategoryLimiter {
    configured: f64,
    state: Mutex<Adaptive>,
    pace: Mutex<Pace>,
    /// When the requests of the last [`SEND_WINDOW`] went, oldest first.
    sends: Mutex<VecDeque<Instant>>,
    /// Bumped on every rate change, so waiters drop their slot and take a new one.
    generation: watch::Sender<u64>,
    sent: AtomicU64,
    throttled: AtomicU64,
    latency: Mutex<Latency>,
    /// Endpoint templates seen, for the summary (a few at most).
    endpoints: Mutex<Vec<String>>,
}

/// Endpoints a summary line names per category; more are counted, not named.
const MAX_ENDPOINTS: usize = 4;

/// How long requests of this category take (sending to answer, limiter wait excluded).
#[derive(Default)]
struct Latency {
    /// Seconds, moving average of answered attempts.
    average: Option<f64>,
    /// Attempts sent and not answered yet, by a sequence number (oldest first).
    outstanding: BTreeMap<u64, Instant>,
    next_id: u64,
}

/// One attempt on the wire; dropping it without [`Attempt::answered`] (a transport
/// error, an abort) leaves the average alone.
pub struct Attempt<'a> {
    limiter: &'a CategoryLimiter,
    id: u64,
    started: Instant,
}

impl Attempt<'_> {
    /// Zoom answered (any status): the round trip is a latency sample.
    pub fn answered(self) {
        let took = self.started.elapsed().as_secs_f64();
        let mut l = self.limiter.latency.lock().unwrap_or_else(|p| p.into_inner());
        l.average = Some(match l.average {
            None => took,
            Some(avg) => avg + LATENCY_WEIGHT * (took - avg),
        });
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let mut l = self.limiter.latency.lock().unwrap_or_else(|p| p.into_inner());
        l.outstanding.remove(&self.id);
    }
}

/// Little's law: requests in flight that keep `rate` per second going when each takes
/// `average` seconds, with `headroom` for jitter. An attempt out for longer than the
/// average (latency just rose, or nothing has answered yet) counts as the latency,
/// so the bound grows at once instead of after the slow answers come back.
pub fn in_flight_for(rate: f64, average: Option<f64>, oldest_age: f64, headroom: f64) -> f64 {
    let latency = average.map_or(0.0, |a| a * headroom).max(oldest_age);
    (rate * latency).max(0.0)
}

/// `GET /users/ab12cd/password` → `GET /users/{id}/password`: a segment with a digit,
/// an `@` or a `%` is an id, an email or an encoded value, not part of the endpoint.
pub fn endpoint_template(method: &str, path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path
        .split('/')
        .map(|seg| {
            // Zoom's 22-character ids may hold no digit: long and mixed-case is an id too.
            let mixed = seg.len() >= 16
                && seg.chars().any(|c| c.is_ascii_uppercase())
                && seg.chars().any(|c| c.is_ascii_lowercase());
            if mixed || seg.chars().any(|c| c.is_ascii_digit() || c == '@' || c == '%') {
                "{id}"
            } else {
                seg
            }
        })
        .collect();
    format!("{method} {}", segments.join("/"))
}

struct Adaptive {
    rate: f64,
    /// Where probing stops: the configured rate, or Zoom's own `X-RateLimit-Limit`
    /// when a 429 said it is lower.
    ceiling: f64,
    last_change: Instant,
    last_cut: Option<Instant>,
    recent: Window,
}

/// Successes in the last [`WINDOW`], counted per slice.
struct Window {
    start: Instant,
    slice: u64,
    counts: [u32; SLICES],
}

impl Window {
    fn new(start: Instant) -> Window {
        Window {
            start,
            slice: 0,
            counts: [0; SLICES],
        }
    }

    fn advance(&mut self, now: Instant) {
        let width = WINDOW.as_nanos() / SLICES as u128;
        let slice =
            u64::try_from(now.saturating_duration_since(self.start).as_nanos() / width).unwrap_or(u64::MAX);
        let gap = slice.saturating_sub(self.slice);
        for i in 0..gap.min(SLICES as u64) {
            let idx = self.slice.wrapping_add(i).wrapping_add(1) % SLICES as u64;
            self.counts[idx as usize] = 0;
        }
        self.slice = self.slice.max(slice);
    }

    fn add(&mut self, now: Instant) {
        self.advance(now);
        let idx = (self.slice % SLICES as u64) as usize;
        self.counts[idx] = self.counts[idx].saturating_add(1);
    }

    /// Successes per second over the last window.
    fn rate(&mut self, now: Instant) -> f64 {
        self.advance(now);
        let total: u64 = self.counts.iter().map(|&c| u64::from(c)).sum();
        total as f64 / WINDOW.as_secs_f64()
    }
}

/// The slot schedule: `next` is the earliest time the next request may go.
struct Pace {
    interval: Duration,
    /// How far ahead of time a slot may be taken (a burst at very high rates, so the
    /// timer's granularity does not cap them).
    tolerance: Duration,
    next: Instant,
}

fn spacing(rate: f64) -> (Duration, Duration) {
    let per_second = (rate * PACING).max(MIN_RATE);
    let interval = Duration::from_secs_f64(1.0 / per_second);
    // 10 ms worth of requests may go at once; at Zoom's real rates that is one.
    let burst = (per_second / 100.0).floor().max(1.0);
    (interval, interval.mul_f64(burst - 1.0))
}

impl CategoryLimiter {
    fn new(qps: u32) -> CategoryLimiter {
        let rate = f64::from(qps.max(1));
        let now = Instant::now();
        let (interval, tolerance) = spacing(rate);
        CategoryLimiter {
            configured: rate,
            state: Mutex::new(Adaptive {
                rate,
                ceiling: rate,
                last_change: now,
                last_cut: None,
                recent: Window::new(now),
            }),
            pace: Mutex::new(Pace {
                interval,
                tolerance,
                next: now,
            }),
            sends: Mutex::new(VecDeque::new()),
            generation: watch::Sender::new(0),
            sent: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            latency: Mutex::new(Latency::default()),
            endpoints: Mutex::new(Vec::new()),
        }
    }

    /// Notes that `endpoint` (`POST /users`) was called under this category.
    pub fn note_endpoint(&self, method: &str, path: &str) {
        let mut seen = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > MAX_ENDPOINTS {
            return;
        }
        let template = endpoint_template(method, path);
        if !seen.contains(&template) {
            seen.push(template);
        }
    }

    /// Endpoint templates called under this category, in first-use order.
    pub fn endpoints(&self) -> Vec<String> {
        let seen = self.endpoints.lock().map(|s| s.clone()).unwrap_or_default();
        if seen.len() > MAX_ENDPOINTS {
            let mut shown: Vec<String> = seen.into_iter().take(MAX_ENDPOINTS).collect();
            shown.push("…".into());
            return shown;
        }
        seen
    }

    /// Marks an attempt as sent now; call [`Attempt::answered`] when Zoom answers.
    pub fn start_attempt(&self) -> Attempt<'_> {
        let started = Instant::now();
        let mut l = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let id = l.next_id;
        l.next_id = l.next_id.wrapping_add(1);
        l.outstanding.insert(id, started);
        Attempt {
            limiter: self,
            id,
            started,
        }
    }

    /// The moving average of answered attempts, in seconds (`None` before the first).
    pub fn average_latency(&self) -> Option<f64> {
        self.latency.lock().map(|l| l.average).unwrap_or(None)
    }

    /// Requests in flight this category needs to run at its current rate (see
    /// [`in_flight_for`]); `None` while it has sent nothing (the run does not use it).
    pub fn in_flight_needed(&self, headroom: f64) -> Option<f64> {
        if self.sent() == 0 {
            return None;
        }
        let now = Instant::now();
        let (average, oldest) = {
            let l = self.latency.lock().unwrap_or_else(|p| p.into_inner());
            (l.average, l.outstanding.values().next().copied())
        };
        let oldest_age = oldest.map_or(0.0, |t| now.saturating_duration_since(t).as_secs_f64());
        Some(in_flight_for(self.current_rate(), average, oldest_age, headroom))
    }

    /// Waits for this category's next slot. When the rate changes meanwhile, the
    /// slot is given up and a new one taken at the new rate.
    pub async fn acquire(&self) {
        let mut changes = self.generation.subscribe();
        loop {
            changes.borrow_and_update();
            let now = Instant::now();
            let (slot, tolerance) = {
                let mut pace = self.pace.lock().unwrap_or_else(|p| p.into_inner());
                let slot = pace.next.max(now);
                pace.next = slot + pace.interval;
                (slot, pace.tolerance)
            };
            if slot <= now + tolerance {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(slot) => break,
                changed = changes.changed() => {
                    if changed.is_err() {
                        tokio::time::sleep_until(slot).await;
                        break;
                    }
                }
            }
        }
        while let Some(until) = self.take_send_slot() {
            tokio::time::sleep_until(until).await;
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a request going now, unless the last [`SEND_WINDOW`] already holds the
    /// limit's worth; then returns when the oldest of them leaves the window.
    fn take_send_slot(&self) -> Option<Instant> {
        let ceiling = self
            .state
            .lock()
            .map(|s| s.ceiling.max(s.rate))
            .unwrap_or(self.configured);
        // Whole requests per second; the float is positive and small (a qps setting).
        let cap = (ceiling.floor() as usize).max(1);
        let now = Instant::now();
        let mut sends = self.sends.lock().unwrap_or_else(|p| p.into_inner());
        while sends
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) >= SEND_WINDOW)
        {
            sends.pop_front();
        }
        if sends.len() < cap {
            sends.push_back(now);
            return None;
        }
        sends.front().map(|&at| at + SEND_WINDOW)
    }

    /// Zoom said 429 (QPS). `zoom_limit` is its `X-RateLimit-Limit`, when present.
    pub fn on_throttled(&self, zoom_limit: Option<u32>) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state
            .last_cut
            .is_some_and(|at| now.saturating_duration_since(at) < CUT_COOLDOWN)
        {
            return;
        }
        let rate = match zoom_limit.filter(|&l| l > 0) {
            Some(limit) => {
                state.ceiling = self.configured.min(f64::from(limit));
                // Above Zoom's stated limit: go to it. At or under it, others share
                // the quota: back off multiplicatively and probe up again.
                if state.rate > state.ceiling {
                    state.ceiling
                } else {
                    state.rate * BACKOFF_FACTOR
                }
            }
            None => {
                // No stated limit: what Zoom let through in the last second is the
                // best estimate of what it allows us.
                let got_through = state.recent.rate(now);
                got_through.min(state.rate * MIN_CUT).max(state.rate * MAX_CUT)
            }
        };
        state.last_cut = Some(now);
        self.set_rate(&mut state, rate.max(MIN_RATE), now);
    }

    /// A request went through: count it, and probe upwards towards the ceiling.
    pub fn on_success(&self) {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.recent.add(now);
        if state.rate < state.ceiling && now.saturating_duration_since(state.last_change) >= PROBE_EVERY {
            let step = (state.ceiling * PROBE_SHARE).max(PROBE_MIN_STEP);
            let rate = (state.rate + step).min(state.ceiling);
            self.set_rate(&mut state, rate, now);
        }
    }

    fn set_rate(&self, state: &mut Adaptive, rate: f64, now: Instant) {
        state.rate = rate;
        state.last_change = now;
        tracing::debug!(rate = format!("{rate:.1}"), "adjusted request rate");
        let (interval, tolerance) = spacing(rate);
        {
            let mut pace = self.pace.lock().unwrap_or_else(|p| p.into_inner());
            pace.interval = interval;
            pace.tolerance = tolerance;
            // Slots taken at the old rate are given back: the schedule restarts one
            // new interval from now (or sooner, if it was sooner anyway).
            pace.next = pace.next.min(now + interval);
        }
        self.generation.send_modify(|g| *g = g.wrapping_add(1));
    }

    pub fn configured(&self) -> f64 {
        self.configured
    }

    pub fn current_rate(&self) -> f64 {
        self.state.lock().map(|s| s.rate).unwrap_or(self.configured)
    }

    /// Requests let through so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// 429 (QPS) answers seen so far.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_features_bucket_lets_one_request_through_per_interval_after_each_answer() {
        let l = IntervalLimiter::new(FEATURES_INTERVAL);
        let start = Instant::now();
        let first = l.acquire().await;
        assert_eq!(Instant::now(), start, "the first goes at once");
        // The answer takes 3 s: the next may go 10 s after it, not after the send.
        tokio::time::sleep(Duration::from_secs(3)).await;
        drop(first);
        let second = l.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(13));
        drop(second);
        let _third = l.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(23));
        assert_eq!(l.sent(), 3);
    }

    fn age(l: &CategoryLimiter, by: Duration) {
        let mut s = l.state.lock().unwrap();
        s.last_change -= by;
        s.last_cut = s.last_cut.map(|c| c - by);
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_cuts_the_rate_to_zooms_limit_and_probing_restores_it() {
        let l = CategoryLimiter::new(60);
        l.on_throttled(Some(30));
        assert!((l.current_rate() - 30.0).abs() < 1e-9);
        // A second 429 in the same burst does not cut again.
        l.on_throttled(Some(30));
        assert!((l.current_rate() - 30.0).abs() < 1e-9);
        age(&l, PROBE_EVERY);
        l.on_success();
        assert!(
            (l.current_rate() - 30.0).abs() < 1e-9,
            "no probing above Zoom's stated limit"
        );
        // Under the stated limit, a 429 means others share the quota: cut, then probe back.
        age(&l, Duration::from_secs(10));
        l.on_throttled(Some(30));
        assert!((l.current_rate() - 30.0 * BACKOFF_FACTOR).abs() < 1e-9);
        age(&l, PROBE_EVERY);
        l.on_success();
        assert!(l.current_rate() > 30.0 * BACKOFF_FACTOR && l.current_rate() <= 30.0);
        assert_eq!(l.throttled(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn without_headers_the_rate_falls_to_what_got_through_once_per_window() {
        let l = CategoryLimiter::new(80);
        // Zoom let 20 through in the last second, then said 429 (no headers).
        for _ in 0..20 {
            tokio::time::advance(Duration::from_millis(10)).await;
            l.on_success();
        }
        for _ in 0..50 {
            l.on_throttled(None);
        }
        assert!((l.current_rate() - 40.0).abs() < 1e-9, "at most halved at once");
        tokio::time::advance(Duration::from_millis(500)).await;
        l.on_throttled(None);
        assert!((l.current_rate() - 40.0).abs() < 1e-9, "one cut per window");
        for _ in 0..20 {
            tokio::time::advance(Duration::from_millis(25)).await;
            l.on_success();
        }
        l.on_throttled(None);
        assert!((l.current_rate() - 20.0).abs() < 1.0, "{}", l.current_rate());
        // Slow additive probe afterwards, bounded by the configured rate.
        let before = l.current_rate();
        tokio::time::advance(PROBE_EVERY).await;
        l.on_success();
        assert!(
            (l.current_rate() - (before + 0.8)).abs() < 1e-9,
            "{}",
            l.current_rate()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_change_applies_to_requests_already_waiting() {
        let l = std::sync::Arc::new(CategoryLimiter::new(1));
        l.acquire().await;
        // The next slot at 1/s is about a second away.
        let waiter = tokio::spawn({
            let l = l.clone();
            async move { l.acquire().await }
        });
        tokio::task::yield_now().await;
        {
            let mut s = l.state.lock().unwrap();
            let now = Instant::now();
            l.set_rate(&mut s, 1000.0, now);
        }
        // Paused time jumps to the earliest timer: the waiter's new slot (1 ms), not
        // the old one (1 s) nor this 100 ms timeout.
        let done = tokio::time::timeout(Duration::from_millis(100), waiter).await;
        assert!(done.is_ok(), "the waiter kept its slot from the old rate");
    }

    #[test]
    fn in_flight_follows_littles_law_and_a_slow_answer_raises_it_at_once() {
        // 30/s at 1 s: 30 in flight, 45 with headroom.
        assert!((in_flight_for(30.0, Some(1.0), 0.5, 1.5) - 45.0).abs() < 1e-9);
        // 3 s per request: 135.
        assert!((in_flight_for(30.0, Some(3.0), 0.0, 1.5) - 135.0).abs() < 1e-9);
        // The average says 100 ms, but an attempt has been out 2 s (latency just rose).
        assert!((in_flight_for(30.0, Some(0.1), 2.0, 1.5) - 60.0).abs() < 1e-9);
        // Nothing answered yet: what has been waiting is the latency so far.
        assert!((in_flight_for(20.0, None, 0.5, 1.5) - 10.0).abs() < 1e-9);
        assert_eq!(in_flight_for(20.0, None, 0.0, 1.5), 0.0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_latency_average_moves_with_answers_and_outstanding_attempts_count() {
        let l = CategoryLimiter::new(10);
        assert_eq!(l.in_flight_needed(1.5), None, "unused category");
        l.acquire().await;
        let slow = l.start_attempt();
        tokio::time::advance(Duration::from_secs(2)).await;
        // Out 2 s with no answer yet: 10/s × 2 s.
        assert!((l.in_flight_needed(1.5).unwrap() - 20.0).abs() < 1e-6);
        slow.answered();
        assert!((l.average_latency().unwrap() - 2.0).abs() < 1e-6);
        for _ in 0..50 {
            let a = l.start_attempt();
            tokio::time::advance(Duration::from_millis(100)).await;
            a.answered();
        }
        let avg = l.average_latency().unwrap();
        assert!(avg < 0.2, "{avg}");
        // A dropped attempt (transport error) is not a sample and is no longer outstanding.
        drop(l.start_attempt());
        assert_eq!(l.average_latency(), Some(avg));
        assert!((l.in_flight_needed(1.5).unwrap() - 10.0 * 1.5 * avg).abs() < 1e-6);
    }

    #[test]
    fn endpoints_are_named_by_template() {
        assert_eq!(endpoint_template("POST", "/users"), "POST /users");
        assert_eq!(
            endpoint_template("PUT", "/users/a.b%40x.com/password"),
            "PUT /users/{id}/password"
        );
        assert_eq!(endpoint_template("PATCH", "/users/jo@x.com"), "PATCH /users/{id}");
        assert_eq!(
            endpoint_template("PATCH", "/users/VmJqxtxRIgtboXEmvTKiJA"),
            "PATCH /users/{id}"
        );
        assert_eq!(
            endpoint_template("POST", "/users/features"),
            "POST /users/features"
        );
        assert_eq!(
            endpoint_template("POST", "/meetings/85746065432/batch_registrants"),
            "POST /meetings/{id}/batch_registrants"
        );
        let l = CategoryLimiter::new(10);
        for i in 0..10 {
            l.note_endpoint("GET", &format!("/x{}", "y".repeat(i)));
        }
        let shown = l.endpoints();
        assert_eq!(shown.len(), MAX_ENDPOINTS + 1);
        assert_eq!(shown.last().map(String::as_str), Some("…"));
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_of_a_second_ever_holds_more_than_the_limit() {
        // Ten requests that went together (timers woken late on a busy machine) fill
        // the second: the next waits until the first of them is a window old, even
        // though its own paced slot is due.
        let l = CategoryLimiter::new(10);
        let start = Instant::now();
        for _ in 0..10 {
            assert_eq!(l.take_send_slot(), None);
        }
        assert_eq!(l.take_send_slot(), Some(start + SEND_WINDOW));
        l.acquire().await;
        assert!(
            Instant::now() >= start + SEND_WINDOW,
            "{:?}",
            Instant::now() - start
        );
        // The window slides: one more left it, so one more may go.
        let sent_at = Instant::now();
        tokio::time::sleep(Duration::from_millis(1)).await;
        l.acquire().await;
        assert!(Instant::now() - sent_at < Duration::from_millis(200));
    }

    #[tokio::test(start_paused = true)]
    async fn slots_are_spaced_at_the_paced_rate() {
        let l = CategoryLimiter::new(10);
        let start = Instant::now();
        for _ in 0..11 {
            l.acquire().await;
        }
        let took = Instant::now() - start;
        let expected = Duration::from_secs_f64(10.0 / (10.0 * PACING));
        assert!(
            took >= expected && took < expected + Duration::from_millis(5),
            "{took:?}"
        );
    }
}
