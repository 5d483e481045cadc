//! zoombulk: batch imports and exports between spreadsheets and a Zoom account.
//!
//! Data flows one way: `cli` → `config` (credentials, limits) → `pipeline`
//! (input, preflight, fan-out, results) driving a `jobs` operation or an
//! `exports` stream, both talking to Zoom through the one `zoom::Client`.

pub mod app;
pub mod cli;
pub mod config;
pub mod exports;
pub mod jobs;
pub mod pipeline;
pub mod sandbox;
pub mod validate;
pub mod zoom;
