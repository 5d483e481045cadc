//! Moved to [`crate::output::guard`]; kept as a re-export until the engine's
//! callers switch over.

pub use crate::output::guard::{guard as spreadsheet_safe, needs_guard, unguard};
