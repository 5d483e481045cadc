//! The batch engine every bulk write shares: read and check the whole input,
//! then fan rows out under the rate limits and write one result per row, in order.

pub mod batcher;
pub(crate) mod columns;
mod dry_run;
pub(crate) mod fanout;
pub mod input;
pub mod job;
pub(crate) mod journal;
mod key_index;
pub(crate) mod outcome;
pub mod preflight;
pub(crate) mod progress;
pub(crate) mod results;
pub(crate) mod resume;
pub(crate) mod summary;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::output::publish::Target;
use crate::output::signals::{Messages, Signals};
use crate::zoom::{Category, Client};
use fanout::{Ending, Fanout, FanoutError};
use input::InputFile;
use job::Job;
use journal::Journal;
use preflight::Preflight;
use progress::{Progress, ProgressMode};
use results::{Format, ResultsOptions, ResultsWriter};
use resume::{FoldSpec, Prior, RunFiles};
use summary::Tally;

/// How a run ended; the app maps it to an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// Every row done.
    Done,
    /// Finished, but some rows are `invalid`, `failed` or `deferred`.
    RowsNeedAttention,
    /// Refused to start as asked (an unconfirmed irreversible run); nothing was sent.
    Refused,
    /// Stopped by Ctrl-C or SIGTERM.
    Interrupted,
}

/// An error that ends a run, with the message the user sees.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The command line or its combination with the files is wrong.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Fatal(String),
}

impl From<crate::output::publish::OutputError> for EngineError {
    fn from(e: crate::output::publish::OutputError) -> EngineError {
        use crate::output::publish::OutputError;
        match e {
            OutputError::Usage(m) => EngineError::Usage(m),
            OutputError::Fatal(m) => EngineError::Fatal(m),
        }
    }
}

impl EngineError {
    pub fn fatal(message: impl Into<String>) -> EngineError {
        EngineError::Fatal(message.into())
    }

    pub fn usage(message: impl Into<String>) -> EngineError {
        EngineError::Usage(message.into())
    }
}

/// The options every bulk write shares.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub out: Option<PathBuf>,
    pub format: Format,
    pub raw_cells: bool,
    /// `--bom`: a UTF-8 BOM before CSV output, for Excel.
    pub bom: bool,
    /// `--force`: replace an existing results file.
    pub force: bool,
    pub strict: bool,
    pub dry_run: bool,
    pub resume: bool,
    /// `None` = auto: enough to reach the rate limit.
    pub concurrency: Option<usize>,
    pub progress: ProgressMode,
    pub quiet: bool,
    /// The plan's limits, for `--dry-run`'s time estimate.
    pub rates: crate::zoom::RateTable,
}

/// Where the results go: the `--out` path, `-` for stdout, or `<stem>.results.csv` beside the input.
pub fn results_path(input: &Path, out: Option<&Path>, format: Format) -> PathBuf {
    if let Some(out) = out {
        return match Target::parse(out, chrono::Utc::now()) {
            Target::Stdout => PathBuf::from("-"),
            Target::Path(p) => p,
        };
    }
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".into());
    let ext = match format {
        Format::Csv => "csv",
        Format::Jsonl => "jsonl",
    };
    input.with_file_name(format!("{stem}.results.{ext}"))
}

/// `--concurrency auto` keeps this many times Little's law's requests in flight
/// (latency jitter, the time between an answer and the next row going out).
pub const AUTO_HEADROOM: f64 = 1.5;
/// Bounds of `--concurrency auto`: rows past the limiter's rate only wait for a slot.
pub const MIN_AUTO_CONCURRENCY: usize = 2;
pub const MAX_AUTO_CONCURRENCY: usize = 512;

/// Rows in flight: fixed (`--concurrency N`), or following the measured latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InFlight {
    Fixed(usize),
    Auto,
}

impl InFlight {
    pub fn from_option(n: Option<usize>) -> InFlight {
        n.map_or(InFlight::Auto, InFlight::Fixed)
    }

    /// The bound now; `Auto` changes as answers come back.
    pub fn current(self, client: &Client) -> usize {
        match self {
            InFlight::Fixed(n) => n.max(1),
            InFlight::Auto => auto_concurrency(client),
        }
    }
}

/// Before any answer: enough to reach the fastest limit at ~0.5 s per request.
pub fn start_concurrency(rates: &crate::zoom::RateTable) -> usize {
    let fastest = Category::ALL.iter().map(|&c| rates.get(c)).max().unwrap_or(10);
    (fastest as usize / 2).clamp(4, 64)
}

/// `--concurrency auto` now: Little's law (rate × latency × [`AUTO_HEADROOM`]) summed
/// over the categories the run uses, from each limiter's current rate and moving
/// average latency, within [`MIN_AUTO_CONCURRENCY`]..=[`MAX_AUTO_CONCURRENCY`].
pub fn auto_concurrency(client: &Client) -> usize {
    let needed: Vec<f64> = Category::ALL
        .iter()
        .filter_map(|&c| client.limiter(c).in_flight_needed(AUTO_HEADROOM))
        .collect();
    let measured = Category::ALL
        .iter()
        .any(|&c| client.limiter(c).average_latency().is_some());
    auto_bound(needed.iter().sum(), measured, start_concurrency(client.rates()))
}

/// Rounds `needed` up into the bounds; before any answer is measured, never below `start`.
pub fn auto_bound(needed: f64, measured: bool, start: usize) -> usize {
    let floor = if measured {
        MIN_AUTO_CONCURRENCY
    } else {
        start.max(MIN_AUTO_CONCURRENCY)
    };
    let needed = if needed.is_finite() {
        needed.ceil().min(MAX_AUTO_CONCURRENCY as f64)
    } else {
        0.0
    };
    (needed as usize).clamp(floor, MAX_AUTO_CONCURRENCY)
}

/// Reads the header and maps columns; a missing required column stops here.
pub fn open_input<J: Job>(path: &Path) -> Result<InputFile, EngineError> {
    let input = InputFile::open(path, J::columns()).map_err(|e| EngineError::fatal(e.to_string()))?;
    let unknown = input.unknown_columns();
    if !unknown.is_empty() {
        tracing::warn!(
            "columns not used by {} (carried through to the results): {}",
            J::KIND,
            unknown.join(", ")
        );
    }
    Ok(input)
}

/// `zoombulk validate KIND FILE`: the preflight alone, no network.
pub fn validate_only<J: Job>(job: &J, input: &InputFile) -> Result<RunEnd, EngineError> {
    let pre = Preflight::run(job, input).map_err(|e| EngineError::fatal(e.to_string()))?;
    let mut stdout = std::io::stdout().lock();
    for p in &pre.problems {
        let _ = writeln!(
            stdout,
            "{}: row {} (line {}): {}: {}",
            input.name(),
            p.pos.row,
            p.line,
            p.code,
            p.message
        );
    }
    if pre.invalid > pre.problems.len() as u64 {
        let _ = writeln!(
            stdout,
            "... and {}",
            crate::output::plural(pre.invalid - pre.problems.len() as u64, "more invalid row")
        );
    }
    eprintln!("{}", describe_preflight(&pre));
    Ok(if pre.invalid > 0 {
        RunEnd::RowsNeedAttention
    } else {
        RunEnd::Done
    })
}

fn describe_preflight<K>(pre: &Preflight<K>) -> String {
    let mut line = format!(
        "{}: {} valid, {} invalid",
        crate::output::plural(pre.rows, "row"),
        pre.rows - pre.invalid,
        pre.invalid
    );
    if !pre.invalid_by_code.is_empty() {
        let codes: Vec<String> = pre
            .invalid_by_code
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        line.push_str(&format!(" ({})", codes.join(", ")));
    }
    line
}

/// Runs a bulk write end to end. `connect` is called only when requests will be sent.
pub async fn run_job<J: Job, C, E>(
    job: J,
    input: InputFile,
    opts: &RunOptions,
    connect: C,
) -> Result<RunEnd, EngineError>
where
    C: AsyncFnOnce() -> Result<Client, E>,
    E: Into<EngineError>,
{
    let pre = Preflight::run(&job, &input).map_err(|e| EngineError::fatal(e.to_string()))?;
    if opts.dry_run {
        return Ok(dry_run::show(&job, &input, &pre, opts));
    }
    if opts.strict && pre.invalid > 0 {
        for p in &pre.problems {
            eprintln!("row {} (line {}): {}: {}", p.pos.row, p.line, p.code, p.message);
        }
        eprintln!("{}", describe_preflight(&pre));
        eprintln!(
            "--strict: nothing was sent; fix the rows above (or drop --strict to send the valid rows)."
        );
        return Ok(RunEnd::RowsNeedAttention);
    }
    if let Err(reason) = job.confirm(pre.rows - pre.invalid) {
        eprintln!("zoombulk: {reason}");
        return Ok(RunEnd::Refused);
    }
    let out_path = results_path(&input.path, opts.out.as_deref(), opts.format);
    let to_stdout = out_path.as_os_str() == "-";
    let key_column = job.key_column().or_else(|| {
        J::columns()
            .iter()
            .find(|c| c.required)
            .and_then(|c| input.column(c.name))
    });
    if !to_stdout {
        Target::Path(out_path.clone()).refuse_inputs(&[&input.path])?;
    }
    // A device or FIFO (`/dev/null`) is written straight to: nothing to resume.
    let special = std::fs::metadata(&out_path).is_ok_and(|m| !m.is_file());
    let files = (!to_stdout && !special).then(|| RunFiles::new(&out_path));
    if let Some(files) = &files {
        check_results_path(files, opts)?;
    } else if opts.resume {
        return Err(EngineError::usage(format!(
            "--resume needs a results file: {} cannot be resumed from; give --out PATH",
            if to_stdout { "stdout" } else { "a device or pipe" }
        )));
    }

    let client = connect().await.map_err(Into::into)?;
    client
        .check_credentials()
        .await
        .map_err(|e| EngineError::fatal(e.to_string()))?;
    let concurrency = InFlight::from_option(opts.concurrency);
    let lookups = opts
        .concurrency
        .unwrap_or_else(|| start_concurrency(client.rates()));
    let batch_limits = batch_limits(&job, &client, &pre, lookups).await?;

    let options = ResultsOptions {
        format: opts.format,
        extra_columns: J::EXTRA_COLUMNS,
        raw_cells: opts.raw_cells,
        secret_columns: job.secret_columns(),
        bom: opts.bom,
        plain_columns: columns::PLAIN_COLUMNS
            .iter()
            .filter_map(|name| input.column(name))
            .collect(),
    };
    let mut prior = match &files {
        Some(files) if opts.resume => {
            let spec = FoldSpec {
                input: &input,
                key_column,
                options: options.clone(),
            };
            Prior::fold(files, &spec).map_err(|e| EngineError::fatal(e.to_string()))?
        }
        Some(files) => {
            files
                .clear_leftovers()
                .map_err(|e| EngineError::fatal(format!("{}: {e}", out_path.display())))?;
            None
        }
        None => None,
    };
    let sink: Box<dyn Write + Send> = if to_stdout {
        Box::new(std::io::stdout())
    } else {
        let file = File::create(&out_path).map_err(|e| {
            EngineError::fatal(format!(
                "{}: cannot write the results file: {e}",
                out_path.display()
            ))
        })?;
        Box::new(BufWriter::with_capacity(64 * 1024, file))
    };
    let mut journal = match &files {
        Some(files) => Some(Journal::create(&files.journal).map_err(|e| {
            EngineError::fatal(format!(
                "{}: cannot write the journal: {e}",
                files.journal.display()
            ))
        })?),
        None => None,
    };
    let write_path = out_path.clone();
    let mut writer = ResultsWriter::new(sink, &input.headers, options)
        .map_err(|e| EngineError::fatal(format!("{}: {e}", write_path.display())))?;

    let signals = Signals::watch_with(Messages {
        first: "stopping: finishing requests in flight (interrupt again to abandon them)",
        second: "abandoning requests in flight",
    });
    let stop = signals.stop().clone();
    let abandon = {
        let (abort, client) = (signals.abort().clone(), client.clone());
        tokio::spawn(async move {
            abort.cancelled().await;
            client.abort();
        })
    };
    let progress = Progress::new(opts.progress, opts.quiet, Some(pre.rows), "rows");
    let mut tally = Tally::default();
    let started = Instant::now();
    let fanout = Fanout {
        job: &job,
        client: &client,
        input: &input,
        preflight: &pre,
        concurrency,
        batch_limits: &batch_limits,
        stop: stop.clone(),
        key_column,
    };
    let ending = fanout
        .run(
            &mut writer,
            &mut tally,
            &progress,
            prior.as_mut(),
            journal.as_mut(),
        )
        .await;
    abandon.abort();
    drop(signals);
    progress.finish();
    let flushed = writer.flush();
    drop(writer);
    let ending = match ending {
        // The reader of stdout went away (`| head`): no panic and no noise about
        // the pipe, but say plainly that results are missing.
        Err(FanoutError::Output(e)) if to_stdout && crate::output::is_broken_pipe(&e) => {
            return Err(EngineError::fatal(format!(
                "stdout was closed before every result was written: {} rows had results, rows sent \
                 after that may have changed Zoom with no results row. Give --out FILE for a run you \
                 may need to --resume.",
                tally.rows()
            )));
        }
        other => other.map_err(|e| EngineError::fatal(e.to_string()))?,
    };
    flushed.map_err(|e| EngineError::fatal(format!("{}: {e}", write_path.display())))?;
    // The results file holds every known outcome now: the journal and the fold can go.
    if let (Some(files), Some(journal)) = (&files, journal) {
        files
            .finish()
            .and_then(|()| journal.remove())
            .map_err(|e| EngineError::fatal(format!("{}: {e}", out_path.display())))?;
    }
    let shown = if to_stdout {
        "stdout".to_string()
    } else {
        out_path.display().to_string()
    };
    // -q silences a run that went well; one that needs attention still says why.
    if !opts.quiet || !matches!(ending, Ending::Complete) || tally.not_done() > 0 {
        eprint!(
            "{}",
            summary::render(J::KIND, &tally, started.elapsed(), Some(&client), &shown)
        );
        if let Some(p) = &prior {
            eprintln!("  resumed: {} done rows kept from the previous results", p.kept);
        }
    }
    Ok(match ending {
        Ending::Fatal(f) => return Err(EngineError::fatal(format!("{f} (results so far are in {shown})"))),
        Ending::Interrupted => {
            eprintln!("interrupted: rows not reached have no result yet; re-run with --resume to finish");
            RunEnd::Interrupted
        }
        Ending::Complete if tally.not_done() > 0 => RunEnd::RowsNeedAttention,
        Ending::Complete => RunEnd::Done,
    })
}

/// Refuses to replace the results of an earlier run without `--resume` or
/// `--force`. Nothing is open for writing yet.
pub(crate) fn check_results_path(files: &RunFiles, opts: &RunOptions) -> Result<(), EngineError> {
    if opts.resume || opts.force || !files.any_exist() {
        return Ok(());
    }
    if !looks_like_results(&files.results) {
        return Err(EngineError::usage(format!(
            "{}: a file that is not a zoombulk results file is there; choose another --out, or \
             replace it with --force.",
            files.results.display()
        )));
    }
    Err(EngineError::usage(format!(
        "{}: results of an earlier run are there. Continue that run with --resume, \
         replace them with --force, or choose another --out.",
        files.results.display()
    )))
}

/// Whether `path` starts like a results file zoombulk wrote (CSV or JSONL), or
/// is missing (only a journal is left).
fn looks_like_results(path: &Path) -> bool {
    crate::output::starts_like(path, &[b"row,", b"{\"row\":"])
}

/// Each batch key's plan, asked of the job once per key for the whole run (a few
/// keys at a time: each may cost a lookup).
async fn batch_limits<J: Job>(
    job: &J,
    client: &Client,
    pre: &Preflight<J::BatchKey>,
    concurrency: usize,
) -> Result<std::collections::BTreeMap<J::BatchKey, job::KeyPlan>, EngineError> {
    use futures::{StreamExt, TryStreamExt};
    futures::stream::iter(pre.plan.rows_by_batch_key.keys())
        .map(|key| async move { job.plan_key(client, key).await.map(|limit| (key.clone(), limit)) })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await
        .map_err(|fatal| EngineError::fatal(fatal.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_concurrency_is_bounded_and_starts_from_the_plan() {
        // Before any answer, at least the start value (limit/2 within 4..=64).
        assert_eq!(auto_bound(3.0, false, 15), 15);
        assert_eq!(auto_bound(40.2, false, 15), 41);
        // Measured: Little's law alone, rounded up, within the bounds.
        assert_eq!(auto_bound(0.3, true, 15), MIN_AUTO_CONCURRENCY);
        assert_eq!(auto_bound(135.0, true, 15), 135);
        assert_eq!(auto_bound(1e9, true, 15), MAX_AUTO_CONCURRENCY);
        assert_eq!(auto_bound(f64::NAN, true, 15), MIN_AUTO_CONCURRENCY);
        let pro = crate::zoom::RateTable::for_plan(crate::zoom::Plan::Pro);
        assert_eq!(start_concurrency(&pro), 15);
    }
}
