//! zoombulk: batch imports and exports between spreadsheets and a Zoom account.
//!
//! Data flows one way: `cli` → `config` (credentials, limits) → `pipeline`
//! (input, preflight, fan-out, results) driving a `jobs` operation or an
//! `exports` stream, both talking to Zoom through the one `zoom::Client`.

// `println!` and friends panic when their stream is closed (`zoombulk … | head`).
// These replacements, in scope for every module below, write the same text and
// ignore a write error instead: a closed stdout or stderr must never panic.
#[allow(unused_macros)]
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
#[allow(unused_macros)]
macro_rules! print {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}
#[allow(unused_macros)]
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
#[allow(unused_macros)]
macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

pub mod app;
pub mod cli;
pub mod config;
mod dates;
pub mod error;
pub mod exports;
pub mod jobs;
mod output;
pub mod pipeline;
pub mod sandbox;
mod validate;
pub mod zoom;
