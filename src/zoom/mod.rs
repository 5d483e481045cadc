//! The Zoom API client: one shared [`Client`] that owns the token, the per-category
//! rate limiters and the retry policy, plus one file per resource.

pub mod auth;
pub mod client;
pub mod error;
pub mod pagination;
pub mod plan;
pub mod ratelimit;
pub mod registrants;
pub mod users;

pub use client::{Call, Client, ClientConfig, Response, Sent};
pub use error::ApiError;
pub use plan::{Category, Plan, RateTable};
