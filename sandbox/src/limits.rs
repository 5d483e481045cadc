//! Zoom's account-level rate limits: per category, counted per UTC wall-clock second at
//! arrival (as Zoom's edge sees a request, before any processing time), plus optional
//! per-category daily caps (the Free plan's).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use chrono::{Datelike, Utc};
use parking_lot::Mutex;

use crate::Limits;
use crate::errors::{ApiError, MSG_DAILY, MSG_QPS};
use crate::store::next_utc_midnight;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Light,
    Medium,
    Heavy,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Light, Category::Medium, Category::Heavy];

    /// As Zoom spells it in `X-RateLimit-Category`.
    pub fn header_value(self) -> &'static str {
        match self {
            Category::Light => "Light",
            Category::Medium => "Medium",
            Category::Heavy => "Heavy",
        }
    }

    /// As the stats report it.
    pub fn key(self) -> &'static str {
        match self {
            Category::Light => "light",
            Category::Medium => "medium",
            Category::Heavy => "heavy",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

pub const H_CATEGORY: HeaderName = HeaderName::from_static("x-ratelimit-category");
pub const H_TYPE: HeaderName = HeaderName::from_static("x-ratelimit-type");
pub const H_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
pub const H_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
pub const TYPE_QPS: &str = "QPS";
pub const TYPE_DAILY: &str = "Daily-limit";

#[derive(Debug, Default)]
struct Second {
    at: u64,
    arrivals: u32,
    accepted: u32,
}

#[derive(Debug, Default)]
struct Day {
    day: i32,
    accepted: u32,
}

/// What a request may do, decided on arrival.
#[derive(Debug)]
pub enum Admission {
    /// Go ahead; `remaining` is what is left of this second's allowance (`limit` 0 = unlimited).
    Accepted {
        limit: u32,
        remaining: u32,
    },
    Rejected(ApiError),
}

pub struct RateLimiter {
    per_second: [u32; 3],
    per_day: [u32; 3],
    seconds: [Mutex<Second>; 3],
    days: [Mutex<Day>; 3],
    peak_arrivals: [AtomicU32; 3],
    peak_accepted: [AtomicU32; 3],
}

impl RateLimiter {
    pub fn new(limits: &Limits) -> Self {
        RateLimiter {
            per_second: [limits.light, limits.medium, limits.heavy],
            per_day: [limits.daily_light, limits.daily_medium, limits.daily_heavy],
            seconds: Default::default(),
            days: Default::default(),
            peak_arrivals: Default::default(),
            peak_accepted: Default::default(),
        }
    }

    pub fn admit(&self, category: Category) -> Admission {
        let i = category.index();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let limit = self.per_second[i];
        let mut second = self.seconds[i].lock();
        if second.at != now {
            *second = Second {
                at: now,
                arrivals: 0,
                accepted: 0,
            };
        }
        second.arrivals += 1;
        self.peak_arrivals[i].fetch_max(second.arrivals, Ordering::Relaxed);
        if limit != 0 && second.accepted >= limit {
            return Admission::Rejected(qps_error(category, limit));
        }
        let daily = self.per_day[i];
        if daily != 0 {
            let today = Utc::now().date_naive().num_days_from_ce();
            let mut day = self.days[i].lock();
            if day.day != today {
                *day = Day {
                    day: today,
                    accepted: 0,
                };
            }
            if day.accepted >= daily {
                return Admission::Rejected(daily_error(category, daily, MSG_DAILY));
            }
            day.accepted += 1;
        }
        second.accepted += 1;
        self.peak_accepted[i].fetch_max(second.accepted, Ordering::Relaxed);
        Admission::Accepted {
            limit,
            remaining: limit.saturating_sub(second.accepted),
        }
    }

    pub fn peak_arrivals(&self, category: Category) -> u32 {
        self.peak_arrivals[category.index()].load(Ordering::Relaxed)
    }

    pub fn peak_accepted(&self, category: Category) -> u32 {
        self.peak_accepted[category.index()].load(Ordering::Relaxed)
    }
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static(""))
}

fn qps_error(category: Category, limit: u32) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, 429, MSG_QPS)
        .with_header(H_CATEGORY, HeaderValue::from_static(category.header_value()))
        .with_header(H_TYPE, HeaderValue::from_static(TYPE_QPS))
        .with_header(H_LIMIT, header(&limit.to_string()))
        .with_header(H_REMAINING, HeaderValue::from_static("0"))
}

/// A daily-limit 429: `Retry-After` is the next 00:00 UTC as an HTTP date.
pub fn daily_error(category: Category, cap: u32, message: &str) -> ApiError {
    let reset = next_utc_midnight(Utc::now());
    let retry_after = httpdate::fmt_http_date(SystemTime::from(reset));
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, 429, message)
        .with_header(H_CATEGORY, HeaderValue::from_static(category.header_value()))
        .with_header(H_TYPE, HeaderValue::from_static(TYPE_DAILY))
        .with_header(H_LIMIT, header(&cap.to_string()))
        .with_header(H_REMAINING, HeaderValue::from_static("0"))
        .with_header(axum::http::header::RETRY_AFTER, header(&retry_after))
}

/// The headers every accepted `/v2` response carries (unless the handler set its own).
pub fn add_headers(headers: &mut HeaderMap, category: Category, limit: u32, remaining: u32) {
    if headers.contains_key(&H_TYPE) {
        return;
    }
    headers.insert(H_CATEGORY, HeaderValue::from_static(category.header_value()));
    headers.insert(H_TYPE, HeaderValue::from_static(TYPE_QPS));
    if limit != 0 {
        headers.insert(H_LIMIT, HeaderValue::from(limit));
        headers.insert(H_REMAINING, HeaderValue::from(remaining));
    }
}

/// Takes every `X-RateLimit-*` header off (`rate_limit_headers: false`).
pub fn remove_headers(headers: &mut HeaderMap) {
    for name in [H_CATEGORY, H_TYPE, H_LIMIT, H_REMAINING] {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_second_limit_rejects_the_excess_and_tracks_peaks() {
        let limiter = RateLimiter::new(&Limits {
            light: 3,
            ..Limits::default()
        });
        // Stay inside one wall-clock second.
        while SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_millis()
            > 800
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let results: Vec<bool> = (0..5)
            .map(|_| matches!(limiter.admit(Category::Light), Admission::Accepted { .. }))
            .collect();
        assert_eq!(results, [true, true, true, false, false]);
        assert_eq!(limiter.peak_arrivals(Category::Light), 5);
        assert_eq!(limiter.peak_accepted(Category::Light), 3);
        assert!(matches!(
            limiter.admit(Category::Medium),
            Admission::Accepted { .. }
        ));
    }

    #[test]
    fn daily_caps_reject_with_retry_after() {
        let limiter = RateLimiter::new(&Limits {
            heavy: 0,
            daily_heavy: 2,
            ..Limits::default()
        });
        assert!(matches!(
            limiter.admit(Category::Heavy),
            Admission::Accepted { .. }
        ));
        assert!(matches!(
            limiter.admit(Category::Heavy),
            Admission::Accepted { .. }
        ));
        let Admission::Rejected(e) = limiter.admit(Category::Heavy) else {
            panic!("third passes")
        };
        assert_eq!(e.message, MSG_DAILY);
        assert!(
            e.headers
                .iter()
                .any(|(n, v)| n == "retry-after" && v.to_str().unwrap().ends_with("00:00:00 GMT"))
        );
    }
}
