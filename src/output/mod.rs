//! The output layer results and exports share: the injection guard
//! ([`guard`]), the CSV/JSONL row writer ([`table`]), where output goes and how
//! it lands ([`publish`]), the SIGINT/SIGTERM watcher ([`signals`]), and what a
//! closed pipe means ([`is_broken_pipe`]), and counted nouns in messages ([`plural`]).

pub mod guard;
pub mod publish;
pub mod signals;
pub mod table;

pub use publish::{Policy, Publisher, Target, starts_like};
pub use signals::Signals;
pub use table::{Column, TableOptions, TableWriter};

/// `1 row`, `2 rows`: a count and its noun for a message (nouns taking an `s`).
pub fn plural(n: impl Into<u64>, one: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Whether an error is a closed pipe on the data output (`| head`): the reader
/// has all it wants, so the command ends quietly and successfully.
pub fn is_broken_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}
