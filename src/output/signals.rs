//! The one SIGINT/SIGTERM watcher every command uses. SIGTERM means exactly what
//! Ctrl-C means (a service manager or `timeout` stopping zoombulk must get the
//! same clean ending: exit 130, temp files removed, the previous output kept).
//! The first signal cancels [`Signals::stop`] (stop starting work); the second
//! cancels [`Signals::abort`] (give up on work in flight).

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What is printed on stderr at the first and the second signal (empty: nothing).
#[derive(Debug, Clone, Copy, Default)]
pub struct Messages {
    pub first: &'static str,
    pub second: &'static str,
}

/// A running watcher; dropping it stops watching (the handlers stay installed,
/// so a late signal no longer kills the process with its default action).
pub struct Signals {
    stop: CancellationToken,
    abort: CancellationToken,
    task: JoinHandle<()>,
}

impl Signals {
    /// Starts watching, silently. Call it before creating any output, so a
    /// signal from then on ends the command cleanly. Needs a Tokio runtime.
    pub fn watch() -> Signals {
        Signals::watch_with(Messages::default())
    }

    /// Starts watching; prints `messages` on stderr as the signals arrive.
    pub fn watch_with(messages: Messages) -> Signals {
        let stop = CancellationToken::new();
        let abort = CancellationToken::new();
        let (s, a) = (stop.clone(), abort.clone());
        let mut listener = Listener::install();
        let task = tokio::spawn(async move {
            listener.next().await;
            if !messages.first.is_empty() {
                eprintln!("\n{}", messages.first);
            }
            s.cancel();
            listener.next().await;
            if !messages.second.is_empty() {
                eprintln!("\n{}", messages.second);
            }
            a.cancel();
        });
        Signals { stop, abort, task }
    }

    /// Cancelled at the first signal: stop starting new work.
    pub fn stop(&self) -> &CancellationToken {
        &self.stop
    }

    /// Cancelled at the second signal: abandon work in flight.
    pub fn abort(&self) -> &CancellationToken {
        &self.abort
    }

    /// Whether a signal has arrived.
    #[cfg(test)]
    pub fn interrupted(&self) -> bool {
        self.stop.is_cancelled()
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// SIGINT and SIGTERM as one stream. Installed synchronously (in
/// [`Signals::watch_with`]) so no signal between the call and the task's first
/// poll falls through to the default action.
struct Listener {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Listener {
    fn install() -> Listener {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Listener {
                int: signal(SignalKind::interrupt()).ok(),
                term: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Listener {}
        }
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        {
            let int = async {
                match &mut self.int {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            let term = async {
                match &mut self.term {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = int => {}
                () = term => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// Raises `sig` in this process (the watcher has installed its handlers, so
    /// the default action, ending the test binary, does not happen).
    fn raise(sig: &str) {
        let status = std::process::Command::new("kill")
            .args(["-s", sig, &std::process::id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    #[tokio::test]
    async fn sigterm_stops_then_aborts_like_sigint() {
        let signals = Signals::watch();
        tokio::task::yield_now().await;
        assert!(!signals.interrupted());
        raise("TERM");
        signals.stop().cancelled().await;
        assert!(!signals.abort().is_cancelled());
        raise("INT");
        signals.abort().cancelled().await;
    }
}
