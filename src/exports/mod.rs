//! Exports: one file per export. Each streams rows into a [`Table`] as pages
//! arrive; the shared driver does the rest through the output layer
//! (`crate::output`): where the file goes and how it lands (atomic, same-file and
//! special-file rules), the row writer, signals and closed pipes, `--dry-run`,
//! progress and the summary.

pub mod archive;
pub(crate) mod download;
pub mod groups;
pub mod meetings;
pub mod participants;
pub(crate) mod plan;
pub mod recordings;
pub mod registrants;
pub(crate) mod s3;
pub mod users;

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use serde_json::Value;

use crate::app::Context;
use crate::app::{Exit, RunError};
use crate::output::{self, Column, Policy, Publisher, Signals, TableOptions, TableWriter, Target};
use crate::pipeline::progress::Progress;
use crate::pipeline::summary;
use crate::zoom::{ApiError, Client};

pub use crate::output::table::columns;
pub use plan::Plan;

/// Rows of one export, written by the shared [`TableWriter`].
pub struct Table {
    writer: TableWriter<Box<dyn Write + Send>>,
    rows: u64,
    progress: Arc<Progress>,
    /// The progress counts something else than rows (bytes, see [`Table::track`]).
    tracked: bool,
}

impl Table {
    /// Writes one row; `cells` are in the order of the export's columns.
    pub fn row(&mut self, cells: &[String]) -> std::io::Result<()> {
        self.writer.write_row(cells.iter().map(String::as_str))?;
        self.rows += 1;
        if !self.tracked {
            self.progress.inc(1);
        }
        Ok(())
    }

    /// Replaces the rows progress with one in `unit` (of `total`), advanced by the caller.
    pub fn track(&mut self, ctx: &Context, total: Option<u64>, unit: &str) -> Arc<Progress> {
        self.progress.finish();
        self.progress = Arc::new(Progress::new(ctx.run.progress, ctx.run.quiet, total, unit));
        self.tracked = true;
        self.progress.clone()
    }

    fn finish(mut self) -> std::io::Result<u64> {
        self.progress.finish();
        self.writer.flush()?;
        Ok(self.rows)
    }
}

/// A JSON value as a cell: strings as they are, lists joined with `;`, null as empty.
pub fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items.iter().map(|i| text(Some(i))).collect::<Vec<_>>().join(";"),
        Some(other) => other.to_string(),
    }
}

/// The cells of `item` for `columns`, each looked up by the same name.
pub fn cells(item: &Value, columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| text(item.get(*c))).collect()
}

/// What an export reports besides its row count.
#[derive(Debug, Default)]
pub struct Report {
    /// Extra summary lines.
    pub lines: Vec<String>,
    /// Items that need attention (failed downloads): the export exits 3.
    pub problems: u64,
}

/// Errors that end an export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

/// Runs one export: `body` writes rows into the table; the file appears under its
/// final name only when `body` succeeded. With `--dry-run`, `plan` says what the
/// export would do instead, and nothing is written.
pub async fn run_export(
    ctx: &Context,
    kind: &'static str,
    columns: &[Column],
    plan: impl AsyncFnOnce(&Client) -> Result<Plan, ExportError>,
    body: impl AsyncFnOnce(&Client, &mut Table) -> Result<Report, ExportError>,
) -> Result<Exit, RunError> {
    let target = match &ctx.run.out {
        Some(p) => Target::parse(p, Utc::now()),
        None => Target::Stdout,
    };
    if let Target::Path(p) = &target
        && p.is_dir()
    {
        return Err(RunError::usage(format!(
            "--out {} is a directory; give a file name",
            p.display()
        )));
    }
    // Before anything is created: from here on a signal ends the export cleanly.
    let signals = Signals::watch();
    let connect = async {
        let client = ctx.settings.connect().await?;
        client
            .check_credentials()
            .await
            .map_err(|e| RunError::new(e.to_string()))?;
        Ok::<_, RunError>(client)
    };
    // Where the output goes is checked (and its temp file made) before any
    // request, so a bad --out costs nothing; dropping it removes the temp.
    let publisher = if ctx.run.dry_run {
        None
    } else {
        Some(Publisher::create(&target, Policy::Replace)?)
    };
    let client = tokio::select! {
        c = connect => c?,
        () = signals.stop().cancelled() => return Ok(Exit::Interrupted),
    };
    let Some(publisher) = publisher else {
        let plan = tokio::select! {
            p = plan(&client) => p.map_err(|e| RunError::new(format!("{kind} --dry-run failed: {e}")))?,
            () = signals.stop().cancelled() => return Ok(Exit::Interrupted),
        };
        eprint!("{}", plan.render(kind, &target, &client));
        return Ok(Exit::Ok);
    };
    let shown = publisher.shown().to_string();
    let sink = publisher
        .writer()
        .map_err(|e| RunError::new(format!("{shown}: {e}")))?;
    let progress = Arc::new(Progress::new(ctx.run.progress, ctx.run.quiet, None, "rows"));
    let options = TableOptions {
        format: ctx.run.format,
        raw_cells: ctx.run.raw_cells,
        bom: ctx.run.bom,
    };
    let writer = match TableWriter::new(sink, columns, options) {
        Ok(w) => w,
        Err(e) if publisher.is_stdout() && output::is_broken_pipe(&e) => return Ok(Exit::Ok),
        Err(e) => return Err(RunError::new(format!("{shown}: {e}"))),
    };
    let mut table = Table {
        writer,
        rows: 0,
        progress,
        tracked: false,
    };
    let started = Instant::now();
    let result = tokio::select! {
        r = body(&client, &mut table) => Some(r),
        () = signals.stop().cancelled() => None,
    };
    let rows = table.finish();
    let closed_pipe = |e: &std::io::Error| publisher.is_stdout() && output::is_broken_pipe(e);
    let report = match result {
        None => {
            // Dropping the publisher removes the temp file.
            eprintln!("interrupted: {shown} was not written (the previous file, if any, is untouched)");
            return Ok(Exit::Interrupted);
        }
        // The reader of stdout has all it wanted (`| head`): a quiet, successful end.
        Some(Err(ExportError::Io(e))) if closed_pipe(&e) => return Ok(Exit::Ok),
        Some(Err(e)) if publisher.is_stdout() => {
            return Err(RunError::new(format!(
                "{kind} failed: {e} The rows written to stdout so far are incomplete."
            )));
        }
        Some(Err(e)) => {
            return Err(RunError::new(format!(
                "{kind} failed: {e} {shown} was not written; the previous file, if any, is untouched."
            )));
        }
        Some(Ok(report)) => report,
    };
    let rows = match rows {
        Ok(n) => n,
        Err(e) if closed_pipe(&e) => return Ok(Exit::Ok),
        Err(e) => return Err(RunError::new(format!("{shown}: {e}"))),
    };
    match publisher.commit() {
        Ok(()) => {}
        Err(_) if target == Target::Stdout => return Ok(Exit::Ok),
        Err(e) => return Err(e.into()),
    }
    if !ctx.run.quiet {
        let elapsed = started.elapsed();
        eprintln!(
            "zoombulk {kind}: {rows} rows in {:.1} s -> {shown}",
            elapsed.as_secs_f64()
        );
        for line in summary::rate_lines(&client, elapsed).iter().chain(&report.lines) {
            eprintln!("  {line}");
        }
    }
    Ok(if report.problems > 0 {
        Exit::RowsNeedAttention
    } else {
        Exit::Ok
    })
}
