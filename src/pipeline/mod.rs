//! The batch engine every bulk write shares: read and check the whole input,
//! then fan rows out under the rate limits and write one result per row, in order.

pub mod cells;
pub mod columns;
pub mod fanout;
pub mod input;
pub mod outcome;
pub mod preflight;
pub mod progress;
pub mod results;
pub mod resume;
pub mod summary;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::app::{Exit, RunError};
use crate::jobs::Job;
use crate::zoom::{Category, Client};
use fanout::{Ending, Fanout};
use input::InputFile;
use preflight::Preflight;
use progress::{Progress, ProgressMode};
use results::{Format, ResultsOptions, ResultsWriter};
use resume::Prior;
use summary::Tally;

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
        return out.to_path_buf();
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

/// Concurrency that reaches the limit at ~0.5 s per request, within sane bounds.
pub fn auto_concurrency(client: &Client) -> usize {
    let fastest = Category::ALL
        .iter()
        .map(|&c| client.rates().get(c))
        .max()
        .unwrap_or(10);
    (fastest as usize / 2).clamp(4, 64)
}

/// Reads the header and maps columns; a missing required column stops here.
pub fn open_input<J: Job>(path: &Path) -> Result<InputFile, RunError> {
    let input = InputFile::open(path, J::columns()).map_err(|e| RunError::new(e.to_string()))?;
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
pub fn validate_only<J: Job>(job: &J, input: &InputFile) -> Result<Exit, RunError> {
    let pre = Preflight::run(job, input).map_err(|e| RunError::new(e.to_string()))?;
    let mut stdout = std::io::stdout().lock();
    for p in &pre.problems {
        let _ = writeln!(
            stdout,
            "{}: row {} (line {}): {}: {}",
            input.path.display(),
            p.pos.row,
            p.pos.line,
            p.code,
            p.message
        );
    }
    if pre.invalid > pre.problems.len() as u64 {
        let _ = writeln!(
            stdout,
            "... and {} more invalid rows",
            pre.invalid - pre.problems.len() as u64
        );
    }
    eprintln!("{}", describe_preflight(&pre));
    Ok(if pre.invalid > 0 {
        Exit::RowsNeedAttention
    } else {
        Exit::Ok
    })
}

fn describe_preflight(pre: &Preflight) -> String {
    let mut line = format!(
        "{} rows: {} valid, {} invalid",
        pre.rows,
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
pub async fn run_job<J: Job, C>(
    job: J,
    input: InputFile,
    opts: &RunOptions,
    connect: C,
) -> Result<Exit, RunError>
where
    C: AsyncFnOnce() -> Result<Client, RunError>,
{
    let pre = Preflight::run(&job, &input).map_err(|e| RunError::new(e.to_string()))?;
    if opts.dry_run {
        return Ok(dry_run(&job, &input, &pre, opts));
    }
    if opts.strict && pre.invalid > 0 {
        for p in &pre.problems {
            eprintln!(
                "row {} (line {}): {}: {}",
                p.pos.row, p.pos.line, p.code, p.message
            );
        }
        eprintln!("{}", describe_preflight(&pre));
        eprintln!(
            "--strict: nothing was sent; fix the rows above (or drop --strict to send the valid rows)."
        );
        return Ok(Exit::RowsNeedAttention);
    }
    if let Err(reason) = job.confirm(pre.rows - pre.invalid) {
        eprintln!("zoombulk: {reason}");
        return Ok(Exit::Usage);
    }
    let client = connect().await?;
    client
        .check_credentials()
        .await
        .map_err(|e| RunError::new(e.to_string()))?;
    let concurrency = opts.concurrency.unwrap_or_else(|| auto_concurrency(&client));
    let batch_limits = batch_limits(&job, &client, &pre, concurrency).await?;

    let out_path = results_path(&input.path, opts.out.as_deref(), opts.format);
    let to_stdout = out_path.as_os_str() == "-";
    let mut prior = match (opts.resume, to_stdout) {
        (false, _) => None,
        (true, true) => {
            return Err(RunError::new(
                "--resume needs a results file: give --out PATH, not -",
            ));
        }
        (true, false) if opts.format == Format::Jsonl => {
            return Err(RunError::new("--resume reads CSV results; run with --format csv"));
        }
        (true, false) => Prior::open(
            &out_path,
            &input.headers,
            job.key_column().or_else(|| {
                J::columns()
                    .iter()
                    .find(|c| c.required)
                    .and_then(|c| input.column(c.name))
            }),
        )
        .map_err(|e| RunError::new(e.to_string()))?,
    };
    // A resumed run writes beside the old results and replaces them at the end, so
    // a crash during it leaves the previous results intact.
    let write_path = if prior.is_some() {
        temp_beside(&out_path)
    } else {
        out_path.clone()
    };
    let sink: Box<dyn Write + Send> = if to_stdout {
        Box::new(std::io::stdout())
    } else {
        let file = File::create(&write_path).map_err(|e| {
            RunError::new(format!(
                "{}: cannot write the results file: {e}",
                write_path.display()
            ))
        })?;
        Box::new(BufWriter::with_capacity(64 * 1024, file))
    };
    let options = ResultsOptions {
        format: opts.format,
        join_url: J::has_join_url(),
        raw_cells: opts.raw_cells,
        secret_columns: job.secret_columns(),
    };
    let mut writer = ResultsWriter::new(sink, &input.headers, options)
        .map_err(|e| RunError::new(format!("{}: {e}", write_path.display())))?;

    let stop = CancellationToken::new();
    let signals = tokio::spawn(watch_signals(stop.clone(), client.clone()));
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
    };
    let ending = fanout
        .run(&mut writer, &mut tally, &progress, prior.as_mut())
        .await;
    signals.abort();
    progress.finish();
    let flushed = writer.flush();
    drop(writer);
    let ending = ending.map_err(|e| RunError::new(e.to_string()))?;
    flushed.map_err(|e| RunError::new(format!("{}: {e}", write_path.display())))?;
    if write_path != out_path {
        std::fs::rename(&write_path, &out_path).map_err(|e| {
            RunError::new(format!(
                "{}: cannot replace the results file: {e}",
                out_path.display()
            ))
        })?;
    }
    let shown = if to_stdout {
        "stdout".to_string()
    } else {
        out_path.display().to_string()
    };
    if !opts.quiet || !matches!(ending, Ending::Complete) {
        eprint!(
            "{}",
            summary::render(J::KIND, &tally, started.elapsed(), Some(&client), &shown)
        );
        if let Some(p) = &prior {
            eprintln!("  resumed: {} done rows kept from the previous results", p.kept);
        }
    }
    Ok(match ending {
        Ending::Fatal(f) => return Err(RunError::new(format!("{f} (results so far are in {shown})"))),
        Ending::Interrupted => {
            eprintln!("interrupted: rows not reached have no result yet; re-run with --resume to finish");
            Exit::Interrupted
        }
        Ending::Complete if tally.not_done() > 0 => Exit::RowsNeedAttention,
        Ending::Complete => Exit::Ok,
    })
}

/// Each batch key's rows-per-request, asked of the job once per key for the whole
/// run (a few keys at a time: each may cost a lookup).
async fn batch_limits<J: Job>(
    job: &J,
    client: &Client,
    pre: &Preflight,
    concurrency: usize,
) -> Result<HashMap<String, usize>, RunError> {
    use futures::{StreamExt, TryStreamExt};
    futures::stream::iter(pre.rows_by_batch_key.keys())
        .map(|key| async move {
            job.batch_limit(client, key)
                .await
                .map(|limit| (key.clone(), limit))
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await
        .map_err(|fatal| RunError::new(fatal.to_string()))
}

fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.resume-{}", std::process::id()))
}

/// First Ctrl-C/SIGTERM: stop dispatching, let requests in flight finish.
/// Second: abandon them (their rows are recorded as failed).
async fn watch_signals(stop: CancellationToken, client: Client) {
    for round in 0..2 {
        wait_for_signal().await;
        if round == 0 {
            eprintln!("\nstopping: finishing requests in flight (Ctrl-C again to abandon them)");
            stop.cancel();
        } else {
            eprintln!("\nabandoning requests in flight");
            client.abort();
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn dry_run<J: Job>(job: &J, input: &InputFile, pre: &Preflight, opts: &RunOptions) -> Exit {
    use csv::StringRecord;
    eprintln!(
        "dry run of {} on {}: nothing is sent",
        J::KIND,
        input.path.display()
    );
    eprintln!("  {}", describe_preflight(pre));
    for p in pre.problems.iter().take(10) {
        eprintln!(
            "  row {} (line {}): {}: {}",
            p.pos.row, p.pos.line, p.code, p.message
        );
    }
    // A preview of the first requests (secrets never shown: planned calls carry none).
    if let Ok(mut records) = input.records() {
        let mut record = StringRecord::new();
        let mut shown = 0;
        while shown < 3 {
            match records.read(&mut record) {
                Ok(Some(pos)) => {
                    if let Ok(row) = pre.check(job, &record, pos.row) {
                        eprintln!("  would send (row {}): {}", pos.row, job.describe(&record, &row));
                        shown += 1;
                    }
                }
                _ => break,
            }
        }
    }
    for (category, n) in Category::ALL.into_iter().zip(pre.planned) {
        if n > 0 {
            eprintln!("  {n} {category} requests at {}/s", opts.rates.get(category));
        }
    }
    eprintln!(
        "  estimated run time at the plan's rate limit: {:.0} s",
        estimate(&pre.planned, &opts.rates).as_secs_f64().ceil()
    );
    if pre.invalid > 0 {
        Exit::RowsNeedAttention
    } else {
        Exit::Ok
    }
}

/// Estimated time to send `planned` requests at `rates`.
pub fn estimate(planned: &[u64; 3], rates: &crate::zoom::RateTable) -> Duration {
    Category::ALL
        .into_iter()
        .zip(planned)
        .map(|(c, &n)| Duration::from_secs_f64(n as f64 / f64::from(rates.get(c).max(1))))
        .max()
        .unwrap_or_default()
}
