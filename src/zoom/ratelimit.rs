//! One limiter per rate-limit category, sized from the plan, that slows down when
//! Zoom answers 429 (the account's quota is shared with every other app) and creeps
//! back up while requests succeed.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::plan::{Category, RateTable};

/// Pace a little under the quota: Zoom counts per wall-clock second, and timer
/// jitter must not push one second over.
const PACING: f64 = 0.98;
/// After a 429, cut the rate to this share of what it was.
const BACKOFF_FACTOR: f64 = 0.85;
/// While no 429 comes, raise the rate by this share ...
const PROBE_STEP: f64 = 0.03;
/// ... at most this often.
const PROBE_EVERY: Duration = Duration::from_secs(3);
/// One burst of 429s is one signal: ignore further ones for this long after a cut.
const CUT_COOLDOWN: Duration = Duration::from_secs(1);

pub struct Limiters {
    categories: [CategoryLimiter; 3],
}

impl Limiters {
    pub fn new(table: &RateTable) -> Limiters {
        Limiters {
            categories: Category::ALL.map(|c| CategoryLimiter::new(table.get(c))),
        }
    }

    pub fn get(&self, category: Category) -> &CategoryLimiter {
        &self.categories[category as usize]
    }
}

pub struct CategoryLimiter {
    configured: f64,
    state: Mutex<Adaptive>,
    limiter: RwLock<Arc<DefaultDirectRateLimiter>>,
    sent: AtomicU64,
    throttled: AtomicU64,
}

struct Adaptive {
    rate: f64,
    /// Where probing stops: the configured rate, or Zoom's own `X-RateLimit-Limit`
    /// when a 429 said it is lower.
    ceiling: f64,
    last_change: Instant,
}

fn build(rate: f64) -> Arc<DefaultDirectRateLimiter> {
    let per_second = (rate * PACING).max(0.5);
    // A burst of 1 spaces requests evenly; very high (benchmark) rates get a
    // burst of 10 ms worth so the timer's granularity does not cap them.
    let burst = NonZeroU32::new(((per_second / 100.0) as u32).max(1)).unwrap_or(NonZeroU32::MIN);
    let period = Duration::from_secs_f64(1.0 / per_second);
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst);
    Arc::new(RateLimiter::direct(quota))
}

impl CategoryLimiter {
    fn new(qps: u32) -> CategoryLimiter {
        let rate = f64::from(qps.max(1));
        CategoryLimiter {
            configured: rate,
            state: Mutex::new(Adaptive {
                rate,
                ceiling: rate,
                last_change: Instant::now(),
            }),
            limiter: RwLock::new(build(rate)),
            sent: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
        }
    }

    /// Waits for this category's next slot.
    pub async fn acquire(&self) {
        let limiter = match self.limiter.read() {
            Ok(l) => Arc::clone(&l),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        };
        limiter.until_ready().await;
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// Zoom said 429 (QPS). `zoom_limit` is its `X-RateLimit-Limit`, when present.
    pub fn on_throttled(&self, zoom_limit: Option<u32>) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
        let Ok(mut state) = self.state.lock() else { return };
        if state.last_change.elapsed() < CUT_COOLDOWN {
            return;
        }
        if let Some(limit) = zoom_limit.filter(|&l| l > 0) {
            state.ceiling = self.configured.min(f64::from(limit));
        }
        // Above Zoom's stated limit: go to it. At or under it, others share the
        // quota: back off multiplicatively and probe up again.
        let rate = if state.rate > state.ceiling {
            state.ceiling
        } else {
            state.rate * BACKOFF_FACTOR
        };
        self.set_rate(&mut state, rate.max(0.5));
    }

    /// A request went through: probe upwards towards the configured rate.
    pub fn on_success(&self) {
        let Ok(mut state) = self.state.try_lock() else {
            return;
        };
        if state.rate < state.ceiling && state.last_change.elapsed() >= PROBE_EVERY {
            let rate = (state.rate * (1.0 + PROBE_STEP)).min(state.ceiling);
            self.set_rate(&mut state, rate);
        }
    }

    fn set_rate(&self, state: &mut Adaptive, rate: f64) {
        state.rate = rate;
        state.last_change = Instant::now();
        tracing::debug!(rate = format!("{rate:.1}"), "adjusted request rate");
        match self.limiter.write() {
            Ok(mut l) => *l = build(rate),
            Err(poisoned) => *poisoned.into_inner() = build(rate),
        }
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

    #[test]
    fn throttling_cuts_the_rate_to_zooms_limit_and_probing_restores_it() {
        let l = CategoryLimiter::new(60);
        {
            let mut s = l.state.lock().unwrap();
            s.last_change = Instant::now() - Duration::from_secs(10);
        }
        l.on_throttled(Some(30));
        assert!((l.current_rate() - 30.0).abs() < 1e-9);
        // A second 429 in the same burst does not cut again.
        l.on_throttled(Some(30));
        assert!((l.current_rate() - 30.0).abs() < 1e-9);
        {
            let mut s = l.state.lock().unwrap();
            s.last_change = Instant::now() - PROBE_EVERY;
        }
        l.on_success();
        assert!(
            (l.current_rate() - 30.0).abs() < 1e-9,
            "no probing above Zoom's stated limit"
        );
        // Under the stated limit, a 429 means others share the quota: cut, then probe back.
        {
            let mut s = l.state.lock().unwrap();
            s.last_change = Instant::now() - Duration::from_secs(10);
        }
        l.on_throttled(Some(30));
        assert!((l.current_rate() - 30.0 * BACKOFF_FACTOR).abs() < 1e-9);
        {
            let mut s = l.state.lock().unwrap();
            s.last_change = Instant::now() - PROBE_EVERY;
        }
        l.on_success();
        assert!(l.current_rate() > 30.0 * BACKOFF_FACTOR && l.current_rate() <= 30.0);
        assert_eq!(l.throttled(), 3);
    }
}
