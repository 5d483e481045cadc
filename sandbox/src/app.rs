//! Shared state and the request pipeline every `/v2` route goes through, in Zoom's order:
//! authenticate (token, then scope), count against the rate limit, (maybe) fail, handle, (maybe) lose the
//! response, add latency, label the response with its rate-limit headers.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::SandboxConfig;
use crate::auth;
use crate::errors::{ApiError, MSG_UNKNOWN_ENDPOINT};
use crate::faults::{self, DropConnection, Fate, Faults, LOSSY_WRITES, LostAnswer, fault_response};
use crate::limits::{self, Admission, Category, RateLimiter};
use crate::stats::{DROPPED, Recorder, Stats};
use crate::store::{Store, StoreSetup};

pub struct App {
    pub cfg: SandboxConfig,
    pub store: Store,
    pub limiter: RateLimiter,
    pub faults: Faults,
    pub recorder: Recorder,
    /// `http://127.0.0.1:PORT`
    pub api_origin: String,
}

pub type AppState = Arc<App>;

impl App {
    pub fn new(cfg: SandboxConfig, addr: SocketAddr) -> App {
        let api_origin = format!("http://127.0.0.1:{}", addr.port());
        let store = Store::new(StoreSetup {
            seed: cfg.seed,
            account_id: cfg.account_id.clone(),
            api_origin: api_origin.clone(),
            storage_origin: format!("http://localhost:{}", addr.port()),
            page_token_ttl: cfg.page_token_ttl,
            daily_user_invites: cfg.limits.daily_user_invites,
            registrant_cap: cfg.registrant_cap,
        });
        App {
            limiter: RateLimiter::new(&cfg.limits),
            faults: Faults::new(&cfg),
            recorder: Recorder::default(),
            store,
            api_origin,
            cfg,
        }
    }

    pub fn stats(&self) -> Stats {
        self.recorder.snapshot(&self.limiter, &self.store)
    }
}

/// One route as the stats and the rate limiter know it.
#[derive(Debug, Clone, Copy)]
pub struct RouteInfo {
    /// `"METHOD /template"`, e.g. `"GET /users/{userId}"`.
    pub key: &'static str,
    /// `None` outside `/v2` (token endpoint, downloads): not rate limited, no faults.
    pub category: Option<Category>,
}

#[derive(Clone)]
pub struct RouteCtx {
    pub app: AppState,
    pub route: RouteInfo,
}

pub async fn v2_pipeline(State(ctx): State<RouteCtx>, req: Request, next: Next) -> Response {
    let app = &ctx.app;
    let _serving = app.recorder.serving();
    let category = ctx.route.category.unwrap_or(Category::Light);
    let is_user_create = ctx.route.key == "POST /users";
    let is_lossy_write = LOSSY_WRITES.contains(&ctx.route.key);
    let authorized = auth::check_api(&app.store, req.headers(), None)
        .and_then(|()| auth::check_scope(&app.cfg.deny_scopes, ctx.route.key));
    let outcome = match authorized {
        Err(e) => e.into_response(),
        Ok(()) => match app.limiter.admit(category) {
            Admission::Rejected(e) => e.into_response(),
            Admission::Accepted { limit, remaining } => match app.faults.fate() {
                Fate::Drop => faults::dropped(),
                Fate::Fail(status) => {
                    app.recorder.fault_injected();
                    fault_response(status)
                }
                Fate::Serve => {
                    let mut response = next.run(req).await;
                    let lost = if is_user_create {
                        response.status() == StatusCode::CREATED && app.faults.lose_response()
                    } else {
                        is_lossy_write && response.status().is_success() && app.faults.lose_write()
                    };
                    if lost {
                        // Applied, but the client never learns it.
                        app.recorder.response_lost();
                        response = lost_answer(app.cfg.lost_answer);
                    } else {
                        limits::add_headers(response.headers_mut(), category, limit, remaining);
                    }
                    response
                }
            },
        },
    };
    let mut outcome = outcome;
    if outcome.status() == StatusCode::TOO_MANY_REQUESTS {
        if let Some(value) = app
            .cfg
            .retry_after
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            outcome.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    if !app.cfg.rate_limit_headers {
        limits::remove_headers(outcome.headers_mut());
    }
    let delay = app.faults.delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let status = if outcome.extensions().get::<DropConnection>().is_some() {
        DROPPED
    } else {
        outcome.status().as_u16()
    };
    app.recorder.record(ctx.route.key, status, Some(category));
    outcome
}

/// What the client gets instead of the answer to a write that was applied.
fn lost_answer(how: LostAnswer) -> Response {
    match how {
        LostAnswer::BadGateway => fault_response(StatusCode::BAD_GATEWAY),
        LostAnswer::Drop => {
            let mut r = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            r.extensions_mut().insert(DropConnection);
            r
        }
    }
}

/// Routes outside `/v2`: only counted.
pub async fn plain_pipeline(State(ctx): State<RouteCtx>, req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = if response.extensions().get::<DropConnection>().is_some() {
        DROPPED
    } else {
        response.status().as_u16()
    };
    ctx.app.recorder.record(ctx.route.key, status, None);
    response
}

/// Anything else under `/v2` (after authentication, as Zoom checks the token first).
pub async fn v2_unknown(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let response = match auth::check_api(&app.store, &headers, None) {
        Err(e) => e.into_response(),
        Ok(()) => ApiError::not_found(2300, MSG_UNKNOWN_ENDPOINT).into_response(),
    };
    app.recorder
        .record("(unknown /v2 route)", response.status().as_u16(), None);
    response
}
