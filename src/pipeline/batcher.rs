//! A batched step shared by rows: rows that each need "add me to X" join a batch of
//! key X, and one request carries up to `size` of them (group members: 30 a
//! `POST /groups/{groupId}/members`; features: 30 users a `POST /users/features`).
//! Every row awaits its share of the answer, so its result can say what Zoom did.
//!
//! A batch goes when it is full, when every row expected for the key has joined or
//! said it will not ([`Batcher::expect`], [`Batcher::skip`]), or when no row has
//! joined it for `quiet` (rows that never come: duplicates, rows kept by
//! `--resume`, or fewer rows in flight than a batch holds). So `n` rows of a key
//! take `ceil(n / size)` requests whenever a batch can fill.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

/// How often a waiting row looks whether its batch should go.
const TICK: Duration = Duration::from_millis(20);

struct Pending<I, R> {
    items: Vec<(I, oneshot::Sender<R>)>,
    /// Rows still expected to join (`None`: unknown).
    expected: Option<usize>,
    last_join: Instant,
}

impl<I, R> Pending<I, R> {
    fn new() -> Self {
        Pending {
            items: Vec::new(),
            expected: None,
            last_join: Instant::now(),
        }
    }
}

pub struct Batcher<K, I, R> {
    size: usize,
    quiet: Duration,
    state: Mutex<HashMap<K, Pending<I, R>>>,
}

impl<K, I, R> Batcher<K, I, R>
where
    K: Eq + Hash + Clone,
    R: Clone,
{
    pub fn new(size: usize, quiet: Duration) -> Self {
        Batcher {
            size: size.max(1),
            quiet,
            state: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Pending<I, R>>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `n` more rows will join `key` (from the preflight's count).
    pub fn expect(&self, key: K, n: usize) {
        let mut state = self.lock();
        let p = state.entry(key).or_insert_with(Pending::new);
        p.expected = Some(p.expected.unwrap_or(0).saturating_add(n));
    }

    /// A row expected for `key` will not join (an earlier step of it failed).
    pub fn skip(&self, key: &K) {
        if let Some(p) = self.lock().get_mut(key) {
            p.expected = p.expected.map(|e| e.saturating_sub(1));
        }
    }

    /// The batch of `key` if it should go now: full, nobody else expected, or quiet.
    fn take_if_due(&self, key: &K, joined_now: bool) -> Option<Vec<(I, oneshot::Sender<R>)>> {
        let mut state = self.lock();
        let p = state.get_mut(key)?;
        if p.items.is_empty() {
            return None;
        }
        let due = p.items.len() >= self.size
            || p.expected == Some(0)
            || (!joined_now && p.last_join.elapsed() >= self.quiet);
        due.then(|| std::mem::take(&mut p.items))
    }

    /// Adds `item` to the batch of `key` and returns this row's share of the answer.
    /// Whichever row completes a batch sends it with `send`, which gets the items in
    /// join order and answers one result per item (missing ones get `fallback`).
    pub async fn join<F, Fut>(&self, key: K, item: I, fallback: R, send: F) -> R
    where
        F: Fn(Vec<I>) -> Fut,
        Fut: Future<Output = Vec<R>>,
    {
        let (tx, mut rx) = oneshot::channel();
        {
            let mut state = self.lock();
            let p = state.entry(key.clone()).or_insert_with(Pending::new);
            p.items.push((item, tx));
            p.expected = p.expected.map(|e| e.saturating_sub(1));
            p.last_join = Instant::now();
        }
        let mut joined_now = true;
        loop {
            if let Some(batch) = self.take_if_due(&key, joined_now) {
                let (items, senders): (Vec<I>, Vec<oneshot::Sender<R>>) = batch.into_iter().unzip();
                let mut results = send(items).await.into_iter();
                for tx in senders {
                    let _ = tx.send(results.next().unwrap_or_else(|| fallback.clone()));
                }
            }
            joined_now = false;
            tokio::select! {
                got = &mut rx => return got.unwrap_or(fallback),
                _ = tokio::time::sleep(TICK) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    async fn run(rows: usize, size: usize, expected: Option<usize>) -> (Vec<usize>, usize) {
        let b = Arc::new(Batcher::<&str, usize, usize>::new(size, Duration::from_secs(5)));
        if let Some(n) = expected {
            b.expect("g", n);
        }
        let calls = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..rows)
            .map(|i| {
                let (b, calls) = (b.clone(), calls.clone());
                tokio::spawn(async move {
                    b.join("g", i, usize::MAX, |items: Vec<usize>| {
                        calls.fetch_add(1, Ordering::SeqCst);
                        async move { items.iter().map(|x| x * 10).collect() }
                    })
                    .await
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap_or(0));
        }
        (out, calls.load(Ordering::SeqCst))
    }

    #[tokio::test(start_paused = true)]
    async fn full_batches_go_at_once_and_the_rest_when_no_more_are_expected() {
        let (out, calls) = run(65, 30, Some(65)).await;
        assert_eq!(out, (0..65).map(|i| i * 10).collect::<Vec<_>>());
        assert_eq!(calls, 3, "ceil(65/30)");
    }

    #[tokio::test(start_paused = true)]
    async fn without_an_expected_count_the_tail_goes_once_quiet() {
        let (out, calls) = run(31, 30, None).await;
        assert_eq!(out.len(), 31);
        assert_eq!(calls, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn skipped_rows_do_not_hold_a_batch_back() {
        let b = Batcher::<&str, u8, u8>::new(30, Duration::from_secs(3600));
        b.expect("g", 2);
        b.skip(&"g");
        let got = tokio::time::timeout(
            Duration::from_secs(1),
            b.join("g", 7, 0, |items: Vec<u8>| async move { items }),
        )
        .await;
        assert_eq!(got.ok(), Some(7));
    }
}
