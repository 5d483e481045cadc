//! The Zoom API client: one shared [`Client`] that owns the token, the per-category
//! rate limiters and the retry policy, plus one file per resource.

pub mod auth;
pub(crate) mod client;
pub(crate) mod error;
pub mod groups;
pub(crate) mod pagination;
pub(crate) mod plan;
pub(crate) mod ratelimit;
pub mod registrants;
pub(crate) mod urls;
pub mod users;

pub use client::{Call, Client, ClientConfig, Response, Sent};
pub use error::ApiError;
pub use plan::{Category, Plan, RateTable};
pub use ratelimit::FEATURES_INTERVAL;
