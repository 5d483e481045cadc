//! An in-memory emulator of the Zoom REST API v2, strict where Zoom is strict, so that
//! zoombulk's tests exercise the same validation, error bodies, pagination, rate limits
//! and failures the real service produces, over real HTTP on loopback.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use zoombulk_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::default()).await?;
//! println!("{} {}", sandbox.base_url(), sandbox.oauth_url());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod app;
mod auth;
mod errors;
mod faults;
mod limits;
mod model;
mod pages;
mod rng;
mod routes;
mod scenario;
mod seed;
mod server;
mod stats;
mod store;
mod validate;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use auth::{SCOPES, required_scope};
pub use faults::{LostAnswer, TokenFailure};
pub use limits::Category;
pub use model::{
    CustomAttribute, CustomQuestion, Event, EventKind, Group, Meeting, Occurrence, Participant, PastInstance,
    PhoneNumber, RecordingFile, RecordingMeeting, Registrant, User, Webinar,
};
pub use pages::{PageHook, PageVisit};
/// The rate-limit category of a `/v2` route by its `"METHOD /template"` key (e.g.
/// `"GET /users/{userId}"`), from the sandbox's single route table.
pub use routes::category_of as route_category;
pub use routes::meetings::LISTING_REACH_MONTHS;
pub use routes::reports::{REPORT_DAYS, read_uuid};
pub use routes::user_changes::{EMAIL_CHANGE_LIMIT, EMAIL_EXISTS, EMAIL_NOT_MANAGED, PICTURE_MAX_BYTES};
pub use scenario::{
    SYNC_OUTSIDE_DOMAIN, SYNC_ROSTER_FIELDS, SYNC_ROSTER_HEADER, SYNC_SCOPE_DOMAIN, SyncAction, SyncExpect,
    SyncScenario, sync_drift, sync_field,
};
pub use seed::{OWNER_EMAIL, SEED_GROUPS, instance_uuid};
pub use stats::Stats;
pub use store::{DEFAULT_MANAGED_DOMAINS, EMAIL_CHANGES_PER_DAY, Picture, Removal, Transfers};
pub use store::{FEATURES_INTERVAL, MAX_REGISTRANTS, MEETING_WRITES_PER_DAY, Store};

/// `GET /users` page size ceiling (2026 Users spec); other listings stop at
/// [`MAX_PAGE_SIZE`].
pub const MAX_USERS_PAGE_SIZE: usize = 2000;
/// Page size ceiling of every other listing.
pub const MAX_PAGE_SIZE: usize = 300;

/// Requests per second per category (0 = unlimited) and daily caps (0 = none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub light: u32,
    pub medium: u32,
    pub heavy: u32,
    /// `POST /users` with `action=create` per UTC day.
    pub daily_user_invites: u32,
    pub daily_light: u32,
    pub daily_medium: u32,
    pub daily_heavy: u32,
}

impl Default for Limits {
    /// The Pro plan.
    fn default() -> Self {
        Limits {
            light: 30,
            medium: 20,
            heavy: 10,
            daily_user_invites: 1500,
            daily_light: 0,
            daily_medium: 0,
            daily_heavy: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// 0 picks a free port.
    pub port: u16,
    pub account_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub token_ttl: Duration,
    pub page_token_ttl: Duration,
    pub limits: Limits,
    /// Added to every `/v2` response, after the request was counted by the rate limiter.
    pub latency: Duration,
    /// Uniform ± spread around `latency`.
    pub jitter: Duration,
    /// Share of `/v2` requests answered 500/502/503 without side effects.
    pub fault_rate: f64,
    /// Share of `/v2` requests whose connection closes with no response, without side effects.
    pub drop_rate: f64,
    /// Share of successful `POST /users` whose user is created but whose answer is lost:
    /// the client gets [`SandboxConfig::lost_answer`] (a 502 by default).
    pub lost_response_rate: f64,
    /// Share of successful registrations (`POST …/registrants`, `POST …/batch_registrants`),
    /// `PATCH /users/{userId}` and `DELETE /users/{userId}` whose change is applied but
    /// whose answer is lost: the client gets [`SandboxConfig::lost_answer`] instead.
    pub lost_write_rate: f64,
    /// What a lost answer (of either rate above) looks like to the client.
    pub lost_answer: LostAnswer,
    /// Registrants one meeting or webinar takes (Zoom: [`MAX_REGISTRANTS`]); lower it
    /// to reach the cap in a test with a few rows.
    pub registrant_cap: usize,
    /// OAuth scopes the app lacks (e.g. `meeting:write:admin`): left out of the token's
    /// `scope`, and every endpoint that needs one answers 400/4711 (FACTS: Scopes).
    pub deny_scopes: Vec<String>,
    /// Every random choice (faults, jitter, seeded data, ids) derives from this.
    pub seed: u64,
    /// Whether responses carry `X-RateLimit-*` headers. Zoom documents that they may be
    /// missing; `false` leaves them off every `/v2` response, 2xx and 429 alike.
    pub rate_limit_headers: bool,
    /// A `Retry-After` value put on every 429 (QPS and daily), e.g. an absurd one.
    pub retry_after: Option<String>,
    /// The first this many `POST /oauth/token` requests fail as `token_failure` says
    /// (`u32::MAX`: all of them), before credentials are checked.
    pub token_failures: u32,
    pub token_failure: TokenFailure,
    pub seed_users: usize,
    pub seed_meetings: usize,
    pub seed_webinars: usize,
    pub seed_recordings: usize,
    /// Past meetings seeded with ended instances and attendance (some recurring,
    /// some hosted by unlicensed users, one in 17 over a year old), plus two past
    /// webinars with registrants and absentees when not 0.
    pub seed_past_meetings: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            account_id: "sandbox".to_string(),
            client_id: "sandbox".to_string(),
            client_secret: "sandbox".to_string(),
            token_ttl: Duration::from_secs(3600),
            page_token_ttl: Duration::from_secs(15 * 60),
            limits: Limits::default(),
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            fault_rate: 0.0,
            drop_rate: 0.0,
            lost_response_rate: 0.0,
            lost_write_rate: 0.0,
            lost_answer: LostAnswer::BadGateway,
            registrant_cap: MAX_REGISTRANTS,
            deny_scopes: Vec::new(),
            seed: 1,
            rate_limit_headers: true,
            retry_after: None,
            token_failures: 0,
            token_failure: TokenFailure::BadGatewayHtml,
            seed_users: 50,
            seed_meetings: 10,
            seed_webinars: 4,
            seed_recordings: 100,
            seed_past_meetings: 0,
        }
    }
}

/// A running emulator. Dropping it stops accepting connections; `shutdown` also waits
/// for requests in flight.
pub struct Sandbox {
    addr: SocketAddr,
    app: Arc<app::App>,
    server: Option<server::Server>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Binds 127.0.0.1:`port`, seeds the account and serves on a tokio task.
    pub async fn start(cfg: SandboxConfig) -> std::io::Result<Sandbox> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", cfg.port)).await?;
        let addr = listener.local_addr()?;
        // Storage lives at `localhost`, which may resolve to ::1 first; serve it there too
        // when the port is free on IPv6 (if not, clients fall back to 127.0.0.1).
        let v6 = tokio::net::TcpListener::bind(("::1", addr.port())).await.ok();
        let app = Arc::new(app::App::new(cfg, addr));
        seed::seed(&app.store, &app.cfg);
        let router = routes::router(app.clone());
        let server = server::Server::spawn(router, listener, v6);
        Ok(Sandbox {
            addr,
            app,
            server: Some(server),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/v2`
    pub fn base_url(&self) -> String {
        format!("http://{}/v2", self.addr)
    }

    /// `http://127.0.0.1:PORT/oauth/token`
    pub fn oauth_url(&self) -> String {
        format!("http://{}/oauth/token", self.addr)
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.app.cfg
    }

    pub fn store(&self) -> &Store {
        &self.app.store
    }

    /// From now on, this share of file downloads (storage answers) breaks off part-way
    /// through the body, as a dropped connection does. Off (0) by default.
    pub fn set_download_truncation(&self, rate: f64) {
        self.app.faults.set_truncate_rate(rate);
    }

    /// From now on, `/v2` answers take `latency` ± `jitter` (also `POST /_sandbox/latency`).
    pub fn set_latency(&self, latency: Duration, jitter: Duration) {
        self.app.faults.set_latency(latency, jitter);
    }

    /// Storage answers cut short by [`Sandbox::set_download_truncation`] so far.
    pub fn downloads_truncated(&self) -> u64 {
        self.app.faults.truncated()
    }

    /// The whole content served for a recording file, by the id in its `download_url`
    /// (`…/rec/download/{id}`), or `None` if there is no such file.
    pub fn recording_file_bytes(&self, download_id: &str) -> Option<Vec<u8>> {
        let size = self.app.store.file_size(download_id)?;
        Some(routes::downloads::file_bytes(
            self.app.cfg.seed,
            download_id,
            0,
            size,
        ))
    }

    /// The same data as `GET /_sandbox/stats`.
    pub fn stats(&self) -> Stats {
        self.app.stats()
    }

    /// Stops accepting, lets requests in flight finish (up to a few seconds), then returns.
    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
