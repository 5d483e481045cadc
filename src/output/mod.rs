//! The output layer results and exports share: the injection guard
//! ([`guard`]), the CSV/JSONL row writer ([`table`]), where output goes and how
//! it lands ([`publish`]), the SIGINT/SIGTERM watcher ([`signals`]), and what a
//! closed pipe means ([`is_broken_pipe`]).

pub mod guard;
pub mod publish;
pub mod signals;
pub mod table;

pub use publish::{Policy, Publisher, Target, starts_like};
pub use signals::Signals;
pub use table::{Column, TableOptions, TableWriter};

/// Whether an error is a closed pipe on the data output (`| head`): the reader
/// has all it wants, so the command ends quietly and successfully.
pub fn is_broken_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}
