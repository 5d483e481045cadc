//! Injected failures and latency. Each decision hashes the seed with the number of the
//! request that reached this point, so the same seed replays the same sequence of
//! outcomes for requests arriving in the same order, without a lock.
//!
//! Only `/v2` requests are subject to these: the token endpoint, the stats endpoint and
//! file downloads are left alone so a test of one failure mode is not muddied by another.
//! Downloads have their own fault, off unless set: storage answers that break off
//! part-way through the body ([`Faults::set_truncate_rate`]).
//! The token endpoint has its own, counted knob (`token_failures`).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::rng::{draw, unit};

/// What happens to a request that passed authentication and the rate limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Serve,
    /// Answer with this 5xx before the handler runs: no side effect.
    Fail(StatusCode),
    /// Close the connection without a response, before the handler runs.
    Drop,
}

/// How a write whose answer is lost reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LostAnswer {
    /// A 502 with a Zoom-shaped body, as from a gateway that lost the upstream answer.
    #[default]
    BadGateway,
    /// The connection closes with no response at all.
    Drop,
}

/// Writes besides `POST /users` that [`crate::SandboxConfig::lost_write_rate`] applies to.
pub const LOSSY_WRITES: &[&str] = &[
    "POST /meetings/{meetingId}/registrants",
    "POST /webinars/{webinarId}/registrants",
    "POST /meetings/{meetingId}/batch_registrants",
    "POST /webinars/{webinarId}/batch_registrants",
    "PATCH /users/{userId}",
    "DELETE /users/{userId}",
    "DELETE /meetings/{meetingId}/recordings",
    "DELETE /meetings/{meetingId}/recordings/{recordingId}",
    "POST /users/{userId}/meetings",
    "PATCH /meetings/{meetingId}",
    "POST /groups/{groupId}/members",
    "POST /users/features",
    "PUT /users/{userId}/email",
    "POST /users/{userId}/picture",
];

/// How a failing `POST /oauth/token` fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenFailure {
    /// 502 with an HTML page, as a proxy or load balancer in front of Zoom answers.
    #[default]
    BadGatewayHtml,
    /// The connection closes without a response.
    Drop,
}

pub struct Faults {
    seed: u64,
    token_failures: u32,
    token_failure: TokenFailure,
    token_requests: AtomicU32,
    fault_rate: f64,
    drop_rate: f64,
    lost_response_rate: f64,
    lost_write_rate: f64,
    /// Nanoseconds; changed at run time by [`Faults::set_latency`].
    latency: AtomicU64,
    jitter: AtomicU64,
    fates: AtomicU64,
    losses: AtomicU64,
    write_losses: AtomicU64,
    delays: AtomicU64,
    /// Share of storage answers cut short, as `f64` bits (set at run time by tests).
    truncate_rate: AtomicU64,
    cuts: AtomicU64,
    truncated: AtomicU64,
}

impl Faults {
    pub fn new(cfg: &crate::SandboxConfig) -> Self {
        Faults {
            seed: cfg.seed,
            token_failures: cfg.token_failures,
            token_failure: cfg.token_failure,
            token_requests: AtomicU32::new(0),
            fault_rate: cfg.fault_rate.clamp(0.0, 1.0),
            drop_rate: cfg.drop_rate.clamp(0.0, 1.0),
            lost_response_rate: cfg.lost_response_rate.clamp(0.0, 1.0),
            lost_write_rate: cfg.lost_write_rate.clamp(0.0, 1.0),
            latency: AtomicU64::new(nanos(cfg.latency)),
            jitter: AtomicU64::new(nanos(cfg.jitter)),
            fates: AtomicU64::new(0),
            losses: AtomicU64::new(0),
            write_losses: AtomicU64::new(0),
            delays: AtomicU64::new(0),
            truncate_rate: AtomicU64::new(0f64.to_bits()),
            cuts: AtomicU64::new(0),
            truncated: AtomicU64::new(0),
        }
    }

    /// From now on, this share of storage answers sends only part of its body, then
    /// closes the connection (the declared `Content-Length` is not met).
    pub fn set_truncate_rate(&self, rate: f64) {
        self.truncate_rate
            .store(rate.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }

    /// Storage answers cut short so far.
    pub fn truncated(&self) -> u64 {
        self.truncated.load(Ordering::Relaxed)
    }

    /// Whether the next storage answer of `len` bytes is cut short, and after how many.
    pub fn cut(&self, len: u64) -> Option<u64> {
        let rate = f64::from_bits(self.truncate_rate.load(Ordering::Relaxed));
        if rate == 0.0 || len == 0 {
            return None;
        }
        let n = self.cuts.fetch_add(1, Ordering::Relaxed);
        if unit(draw(self.seed, "cut", n)) >= rate {
            return None;
        }
        self.truncated.fetch_add(1, Ordering::Relaxed);
        // Anywhere from no byte at all to one byte short.
        let at = (unit(draw(self.seed, "cut-at", n)) * len as f64) as u64;
        Some(at.min(len - 1))
    }

    pub fn fate(&self) -> Fate {
        if self.fault_rate == 0.0 && self.drop_rate == 0.0 {
            return Fate::Serve;
        }
        let n = self.fates.fetch_add(1, Ordering::Relaxed);
        let h = draw(self.seed, "fate", n);
        let r = unit(h);
        if r < self.drop_rate {
            Fate::Drop
        } else if r < self.drop_rate + self.fault_rate {
            let status = match (h & 0xff) % 3 {
                0 => StatusCode::INTERNAL_SERVER_ERROR,
                1 => StatusCode::BAD_GATEWAY,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            Fate::Fail(status)
        } else {
            Fate::Serve
        }
    }

    /// How this token request fails, if it is one of the first `token_failures`.
    pub fn token_fault(&self) -> Option<TokenFailure> {
        if self.token_failures == 0 {
            return None;
        }
        let n = self
            .token_requests
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_add(1))
            .unwrap_or(u32::MAX);
        (n < self.token_failures).then_some(self.token_failure)
    }

    /// Whether this successful `POST /users` should reach the client as a 502.
    pub fn lose_response(&self) -> bool {
        if self.lost_response_rate == 0.0 {
            return false;
        }
        let n = self.losses.fetch_add(1, Ordering::Relaxed);
        unit(draw(self.seed, "lost", n)) < self.lost_response_rate
    }

    /// Whether this applied write (one of [`LOSSY_WRITES`]) should lose its answer.
    pub fn lose_write(&self) -> bool {
        if self.lost_write_rate == 0.0 {
            return false;
        }
        let n = self.write_losses.fetch_add(1, Ordering::Relaxed);
        unit(draw(self.seed, "lost-write", n)) < self.lost_write_rate
    }

    /// `latency` ± uniform `jitter`, never negative.
    pub fn delay(&self) -> Duration {
        let latency = Duration::from_nanos(self.latency.load(Ordering::Relaxed));
        let jitter = Duration::from_nanos(self.jitter.load(Ordering::Relaxed));
        if jitter.is_zero() {
            return latency;
        }
        let n = self.delays.fetch_add(1, Ordering::Relaxed);
        let offset = jitter.mul_f64(2.0 * unit(draw(self.seed, "jitter", n)));
        (latency + offset).saturating_sub(jitter)
    }

    /// From now on, `/v2` answers take `latency` ± `jitter` (a latency step mid-run).
    pub fn set_latency(&self, latency: Duration, jitter: Duration) {
        self.latency.store(nanos(latency), Ordering::Relaxed);
        self.jitter.store(nanos(jitter), Ordering::Relaxed);
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A 5xx with a Zoom-shaped body.
pub fn fault_response(status: StatusCode) -> Response {
    let message = status.canonical_reason().unwrap_or("Server Error");
    (
        status,
        axum::Json(json!({ "code": status.as_u16(), "message": message })),
    )
        .into_response()
}

/// A 502 as a proxy in front of Zoom sends it: an HTML page, not JSON.
pub fn html_bad_gateway() -> Response {
    (
        StatusCode::BAD_GATEWAY,
        [(axum::http::header::CONTENT_TYPE, "text/html")],
        "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n",
    )
        .into_response()
}

/// A response the server loop turns into a closed connection.
pub fn dropped() -> Response {
    let mut r = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    r.extensions_mut().insert(DropConnection);
    r
}

/// Marks a response the server loop must turn into a dropped connection.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

#[cfg(test)]
mod tests {
    use super::*;

    fn config(seed: u64) -> crate::SandboxConfig {
        crate::SandboxConfig {
            seed,
            fault_rate: 0.3,
            drop_rate: 0.1,
            jitter: Duration::from_millis(10),
            latency: Duration::from_millis(20),
            ..Default::default()
        }
    }

    #[test]
    fn same_seed_same_sequence_and_rates_roughly_hold() {
        let a: Vec<Fate> = (0..2000)
            .map({
                let f = Faults::new(&config(9));
                move |_| f.fate()
            })
            .collect();
        let b: Vec<Fate> = (0..2000)
            .map({
                let f = Faults::new(&config(9));
                move |_| f.fate()
            })
            .collect();
        let c: Vec<Fate> = (0..2000)
            .map({
                let f = Faults::new(&config(10));
                move |_| f.fate()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let drops = a.iter().filter(|f| **f == Fate::Drop).count();
        let fails = a.iter().filter(|f| matches!(f, Fate::Fail(_))).count();
        assert!((150..250).contains(&drops), "{drops}");
        assert!((500..700).contains(&fails), "{fails}");
        let f = Faults::new(&config(1));
        assert_eq!(f.cut(100), None, "downloads are whole unless asked");
        f.set_truncate_rate(1.0);
        assert!((0..100).all(|_| f.cut(100).is_some_and(|at| at < 100)));
        assert_eq!(f.truncated(), 100);
        for _ in 0..100 {
            let d = f.delay();
            assert!(
                d >= Duration::from_millis(10) && d <= Duration::from_millis(30),
                "{d:?}"
            );
        }
    }
}
