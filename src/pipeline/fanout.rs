//! The run: rows stream from the input, go out with bounded concurrency, and come
//! back through a bounded re-order window so the results file stays in input order.

use std::collections::BTreeMap;
use std::pin::Pin;

use csv::StringRecord;
use futures::stream::{FuturesUnordered, StreamExt};
use tokio_util::sync::CancellationToken;

use super::input::{InputError, InputFile};
use super::job::{CapCounter, Fatal, Job, KeyPlan, dooms_the_run};
use super::journal::Journal;
use super::outcome::{Outcome, Status};
use super::preflight::Preflight;
use super::progress::Progress;
use super::results::ResultsWriter;
use super::resume::Prior;
use super::summary::Tally;
use crate::zoom::Client;

/// How the fan-out ended.
pub enum Ending {
    /// Every row of the input has a result.
    Complete,
    /// Stopped by Ctrl-C/SIGTERM: rows not reached have no result yet (`--resume` does them).
    Interrupted,
    /// A run-stopping error; rows finished before it are written.
    Fatal(Fatal),
}

#[derive(Debug, thiserror::Error)]
pub enum FanoutError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("could not write the results file: {0}")]
    Output(#[from] std::io::Error),
    #[error(transparent)]
    Resume(#[from] super::resume::ResumeError),
    #[error("could not write the journal beside the results file: {0}")]
    Journal(std::io::Error),
}

pub struct Fanout<'a, J: Job> {
    pub job: &'a J,
    pub client: &'a Client,
    pub input: &'a InputFile,
    pub preflight: &'a Preflight<J::BatchKey>,
    /// Rows in flight; `Auto` is recomputed as answers come back and as time passes.
    pub concurrency: super::InFlight,
    /// Rows per request for each batch key ([`Job::batch_limit`]); a key not here
    /// sends its rows one by one.
    pub batch_limits: &'a BTreeMap<J::BatchKey, KeyPlan>,
    /// Cancelled by the first Ctrl-C: stop dispatching.
    pub stop: CancellationToken,
    /// The record index whose cell the journal keeps with each row (the key `--resume` compares).
    pub key_column: Option<usize>,
}

/// How often an auto bound is looked at while no answer comes.
const RECOMPUTE_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

type Batch<R> = Vec<(u64, StringRecord, R)>;
type InFlight<'f> =
    Pin<Box<dyn Future<Output = (Vec<(u64, StringRecord)>, Result<Vec<Outcome>, Fatal>)> + Send + 'f>>;

impl<J: Job> Fanout<'_, J> {
    pub async fn run<W: std::io::Write>(
        &self,
        writer: &mut ResultsWriter<W>,
        tally: &mut Tally,
        progress: &Progress,
        mut prior: Option<&mut Prior>,
        mut journal: Option<&mut Journal>,
    ) -> Result<Ending, FanoutError> {
        let max_batch = self.job.max_batch().max(1);
        let secret_columns = self.job.secret_columns();
        let auto = self.concurrency == super::InFlight::Auto;
        // An auto bound grows while answers are slow to come: look again this often.
        let mut recompute = tokio::time::interval(RECOMPUTE_EVERY);
        recompute.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

        let mut records = self.input.records()?;
        let mut record = StringRecord::new();
        let mut in_flight: FuturesUnordered<InFlight<'_>> = FuturesUnordered::new();
        let mut finished: BTreeMap<u64, (StringRecord, Outcome)> = BTreeMap::new();
        // What earlier runs said of the rows this one runs again, until each ends.
        let mut rerun: BTreeMap<u64, Outcome> = BTreeMap::new();
        // Every outcome of a re-run row, sent or not, says what its earlier run did too.
        let job = self.job;
        let settle = |rerun: &mut BTreeMap<u64, Outcome>, row: u64, outcome: Outcome| match rerun.remove(&row)
        {
            Some(earlier) => job.after_earlier(&earlier, outcome),
            None => outcome,
        };
        let mut batch: Batch<J::Row> = Vec::new();
        let mut batch_key: Option<J::BatchKey> = None;
        let (mut next_to_read, mut next_to_write) = (1u64, 1u64);
        let mut eof = false;
        let mut fatal: Option<Fatal> = None;
        // Set by an answer that every later request would get too (a missing scope).
        let mut run_doomed: Option<Outcome> = None;
        // Rows per holder of a per-holder daily quota: those past it are deferred unsent.
        let mut caps = CapCounter::default();

        loop {
            let concurrency = self.concurrency.current(self.client);
            // Rows between the oldest unwritten and the newest read: the only buffer.
            let window = (concurrency.saturating_mul(max_batch).saturating_mul(4)).max(1024) as u64;
            let stopping = self.stop.is_cancelled() || fatal.is_some();
            // Read and dispatch while there is room in flight and in the window.
            let busy = |n: usize| n.saturating_sub(self.job.parked());
            while !eof
                && !stopping
                && busy(in_flight.len()) < concurrency
                && next_to_read - next_to_write < window
            {
                let Some(pos) = records.read(&mut record)? else {
                    eof = true;
                    break;
                };
                next_to_read = pos.row + 1;
                if let Some(prior) = prior.as_deref_mut() {
                    match prior.earlier(pos.row)? {
                        Some(done) if done.is_done() => {
                            finished.insert(pos.row, (record.clone(), done));
                            continue;
                        }
                        Some(earlier) => {
                            rerun.insert(pos.row, earlier);
                        }
                        None => {}
                    }
                }
                match self.preflight.check(self.job, &record, pos.row) {
                    Err(invalid) => {
                        finished.insert(pos.row, (record.clone(), settle(&mut rerun, pos.row, invalid)));
                    }
                    Ok(row) => {
                        let plan = self.job.batch_key(&record, &row).map(|k| {
                            let plan = self.batch_limits.get(&k);
                            (k, plan)
                        });
                        let doomed = run_doomed.clone().or_else(|| match &plan {
                            Some((_, Some(KeyPlan::Doomed(outcome)))) => Some(outcome.clone()),
                            _ => None,
                        });
                        if let Some(outcome) = doomed {
                            let outcome = settle(&mut rerun, pos.row, not_sent(outcome));
                            finished.insert(pos.row, (record.clone(), outcome));
                            continue;
                        }
                        if let Some(used) = self.job.daily_cap(&record, &row)
                            && !caps.admit(used, self.client.rates())
                        {
                            let holder = self.job.cap_holder(&record, &row);
                            let per_day = used.cap.per_day(self.client.rates());
                            let outcome = settle(&mut rerun, pos.row, used.cap.deferred(&holder, per_day));
                            finished.insert(pos.row, (record.clone(), outcome));
                            continue;
                        }
                        let (key, limit) = plan
                            .filter(|_| max_batch > 1 && self.job.joins_batch(&row))
                            .map(|(k, plan)| (k, plan.map_or(1, KeyPlan::per_request).min(max_batch)))
                            .filter(|(_, limit)| *limit > 1)
                            .unzip();
                        if !batch.is_empty() && (key.is_none() || key != batch_key) {
                            in_flight.push(self.dispatch(std::mem::take(&mut batch)));
                        }
                        batch_key = key;
                        batch.push((pos.row, record.clone(), row));
                        if batch.len() >= limit.unwrap_or(1) {
                            in_flight.push(self.dispatch(std::mem::take(&mut batch)));
                        }
                    }
                }
            }
            // A partial batch goes out when nothing more can join it now.
            if !batch.is_empty() && busy(in_flight.len()) < concurrency {
                in_flight.push(self.dispatch(std::mem::take(&mut batch)));
            }

            // Write what is ready, in order.
            let mut wrote = false;
            while let Some(entry) = finished.first_entry() {
                if *entry.key() != next_to_write {
                    break;
                }
                let (record, outcome) = entry.remove();
                writer.write_row(next_to_write, &record, &outcome)?;
                tally.add(&outcome);
                progress.row_done(&outcome);
                next_to_write += 1;
                wrote = true;
            }
            if wrote {
                writer.flush()?;
            }

            if in_flight.is_empty()
                && batch.is_empty()
                && (eof || self.stop.is_cancelled() || fatal.is_some())
            {
                break;
            }
            if in_flight.is_empty() {
                continue;
            }
            tokio::select! {
                Some((rows, result)) = in_flight.next() => match result {
                    Ok(outcomes) => {
                        for ((row, record), outcome) in rows.into_iter().zip(outcomes) {
                            let outcome = settle(&mut rerun, row, outcome);
                            if run_doomed.is_none() && dooms_the_run(&outcome) {
                                run_doomed = Some(outcome.clone());
                            }
                            if let Some(journal) = journal.as_deref_mut() {
                                let entry = super::resume::entry(row, &record, self.key_column, &secret_columns, &outcome);
                                journal.append(&entry).map_err(FanoutError::Journal)?;
                            }
                            finished.insert(row, (record, outcome));
                        }
                        if let Some(journal) = journal.as_deref_mut() {
                            journal.sync().map_err(FanoutError::Journal)?;
                        }
                    }
                    Err(e) => {
                        fatal.get_or_insert(e);
                    }
                },
                _ = self.stop.cancelled(), if !self.stop.is_cancelled() => {}
                // Also while rows are parked: each one that parks makes room for another.
                _ = recompute.tick(), if (auto || self.job.parked() > 0) && !eof && fatal.is_none() && !self.stop.is_cancelled() => {}
            }
        }
        // Rows that finished behind one that never will (a fatal error in flight).
        for (row, (record, outcome)) in std::mem::take(&mut finished) {
            writer.write_row(row, &record, &outcome)?;
            tally.add(&outcome);
            progress.row_done(&outcome);
        }
        // After a stop, rows not reached keep what earlier runs knew of them, so
        // the results file alone holds every known outcome.
        if !eof {
            if let Some(prior) = prior {
                while let Some(pos) = records.read(&mut record)? {
                    if let Some(outcome) = prior.any_outcome(pos.row)? {
                        writer.write_row(pos.row, &record, &outcome)?;
                    }
                }
                writer.flush()?;
            }
        }
        Ok(match fatal {
            Some(f) => Ending::Fatal(f),
            None if self.stop.is_cancelled() && !eof => Ending::Interrupted,
            None => Ending::Complete,
        })
    }

    fn dispatch<'f>(&'f self, batch: Batch<J::Row>) -> InFlight<'f> {
        let (keys, rows): (Vec<(u64, StringRecord)>, Vec<J::Row>) = batch
            .into_iter()
            .map(|(row, record, parsed)| ((row, record), parsed))
            .unzip();
        let expected = keys.len();
        Box::pin(async move {
            let mut paired: Vec<_> = keys.iter().map(|(_, record)| record).zip(rows).collect();
            let result = if paired.len() == 1 {
                let (record, row) = paired.remove(0);
                self.job.run_row(self.client, record, row).await.map(|o| vec![o])
            } else {
                self.job.run_batch(self.client, paired).await
            };
            let result = result.map(|mut outcomes| {
                // A job that returns too few outcomes must not lose rows.
                while outcomes.len() < expected {
                    outcomes.push(Outcome {
                        error_code: Some("E_INTERNAL".into()),
                        error_message: Some("no result was produced for this row".into()),
                        ..Outcome::new(Status::Failed)
                    });
                }
                outcomes
            });
            (keys, result)
        })
    }
}

/// The outcome of a row that was not sent because its target or the run is
/// known to fail: the same error, no request, 0 attempts.
fn not_sent(template: Outcome) -> Outcome {
    let message = template.error_message.unwrap_or_default();
    Outcome {
        http_status: None,
        attempts: 0,
        zoom_id: None,
        extra: Vec::new(),
        error_message: Some(if message.contains("Not sent") {
            message
        } else {
            format!("{message} Not sent: an earlier answer showed every such request fails.")
        }),
        finished_at: chrono::Utc::now(),
        ..template
    }
}

/// Runs `work`'s futures with as many in flight as [`super::auto_concurrency`] says
/// (recomputed as answers come back and while they are slow to), yielding results
/// as they finish: `buffer_unordered` with a bound that follows the latency.
pub fn buffer_auto<'a, I, F, T>(client: &'a Client, work: I) -> futures::stream::BoxStream<'a, T>
where
    I: Iterator<Item = F> + Send + 'a,
    F: Future<Output = T> + Send + 'a,
    T: Send + 'a,
{
    let mut recompute = tokio::time::interval(RECOMPUTE_EVERY);
    recompute.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = (work.fuse(), FuturesUnordered::new(), recompute);
    futures::stream::unfold(state, move |(mut work, mut running, mut recompute)| async move {
        loop {
            let bound = super::InFlight::Auto.current(client);
            while running.len() < bound {
                match work.next() {
                    Some(f) => running.push(f),
                    None => break,
                }
            }
            if running.is_empty() {
                return None;
            }
            tokio::select! {
                Some(out) = running.next() => return Some((out, (work, running, recompute))),
                _ = recompute.tick() => {}
            }
        }
    })
    .boxed()
}
