//! Exports: one file per export. Each streams rows into a [`Table`] as pages
//! arrive; the shared driver makes the output atomic (temp file + rename on
//! success), shows progress and prints the summary.

pub mod dates;
pub mod download;
pub mod recordings;
pub mod registrants;
pub mod users;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::Utc;
use serde_json::Value;

use crate::app::Context;
use crate::app::{Exit, RunError};
use crate::pipeline::cells::spreadsheet_safe;
use crate::pipeline::progress::Progress;
use crate::pipeline::results::Format;
use crate::pipeline::summary;
use crate::zoom::{ApiError, Client};

/// Rows of one export, written as CSV (with the injection guard) or JSONL.
pub struct Table {
    columns: &'static [&'static str],
    sink: Sink,
    raw_cells: bool,
    rows: u64,
    progress: Progress,
}

enum Sink {
    Csv(Box<csv::Writer<Box<dyn Write + Send>>>),
    Jsonl(BufWriter<Box<dyn Write + Send>>),
}

impl Table {
    fn new(
        out: Box<dyn Write + Send>,
        format: Format,
        columns: &'static [&'static str],
        raw_cells: bool,
        progress: Progress,
    ) -> std::io::Result<Table> {
        let sink = match format {
            Format::Csv => {
                let mut w = csv::WriterBuilder::new()
                    .buffer_capacity(64 * 1024)
                    .from_writer(out);
                w.write_record(columns)?;
                Sink::Csv(Box::new(w))
            }
            Format::Jsonl => Sink::Jsonl(BufWriter::with_capacity(64 * 1024, out)),
        };
        Ok(Table {
            columns,
            sink,
            raw_cells,
            rows: 0,
            progress,
        })
    }

    /// Writes one row; `cells` are in the order of the export's columns.
    pub fn row(&mut self, cells: &[String]) -> std::io::Result<()> {
        match &mut self.sink {
            Sink::Csv(w) => {
                if self.raw_cells {
                    w.write_record(cells)?;
                } else {
                    w.write_record(
                        cells
                            .iter()
                            .map(|c| spreadsheet_safe(c).into_owned().into_bytes()),
                    )?;
                }
            }
            Sink::Jsonl(w) => {
                let object: serde_json::Map<String, Value> = self
                    .columns
                    .iter()
                    .zip(cells)
                    .map(|(k, v)| {
                        (
                            k.to_string(),
                            if v.is_empty() {
                                Value::Null
                            } else {
                                Value::from(v.as_str())
                            },
                        )
                    })
                    .collect();
                serde_json::to_writer(&mut *w, &object)?;
                w.write_all(b"\n")?;
            }
        }
        self.rows += 1;
        self.progress.inc(1);
        Ok(())
    }

    fn finish(self) -> std::io::Result<u64> {
        self.progress.finish();
        match self.sink {
            Sink::Csv(mut w) => w.flush()?,
            Sink::Jsonl(mut w) => w.flush()?,
        }
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
/// final name only when `body` succeeded.
pub async fn run_export(
    ctx: &Context,
    kind: &'static str,
    columns: &'static [&'static str],
    body: impl AsyncFnOnce(&Client, &mut Table) -> Result<Report, ExportError>,
) -> Result<Exit, RunError> {
    let now = Utc::now();
    let out = ctx
        .run
        .out
        .as_ref()
        .map(|p| PathBuf::from(dates::expand_placeholders(&p.to_string_lossy(), now)));
    let client = ctx.settings.connect().await?;
    client
        .check_credentials()
        .await
        .map_err(|e| RunError::new(e.to_string()))?;

    let (sink, temp, shown): (Box<dyn Write + Send>, Option<tempfile::NamedTempFile>, String) = match &out {
        None => (Box::new(std::io::stdout()), None, "stdout".into()),
        Some(p) if p.as_os_str() == "-" => (Box::new(std::io::stdout()), None, "stdout".into()),
        Some(p) => {
            let temp = temp_beside(p)?;
            let file = temp
                .reopen()
                .map_err(|e| RunError::new(format!("{}: {e}", p.display())))?;
            (Box::new(file), Some(temp), p.display().to_string())
        }
    };
    let progress = Progress::new(ctx.run.progress, ctx.run.quiet, None, "rows");
    let mut table = Table::new(sink, ctx.run.format, columns, ctx.run.raw_cells, progress)
        .map_err(|e| RunError::new(format!("{shown}: {e}")))?;
    let started = Instant::now();
    let result = tokio::select! {
        r = body(&client, &mut table) => Some(r),
        _ = tokio::signal::ctrl_c() => None,
    };
    let rows = table.finish();
    let report = match result {
        None => {
            eprintln!("interrupted: {shown} was not written (the previous file, if any, is untouched)");
            return Ok(Exit::Interrupted);
        }
        Some(Err(e)) => {
            return Err(RunError::new(format!(
                "{kind} failed: {e}. {shown} was not written; the previous file, if any, is untouched"
            )));
        }
        Some(Ok(report)) => report,
    };
    let rows = rows.map_err(|e| RunError::new(format!("{shown}: {e}")))?;
    if let (Some(temp), Some(path)) = (temp, &out) {
        temp.persist(path).map_err(|e| {
            RunError::new(format!(
                "{}: cannot move the export into place: {}",
                path.display(),
                e.error
            ))
        })?;
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

fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile, RunError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(&dir)
        .map_err(|e| {
            RunError::new(format!(
                "{}: cannot create a file in {}: {e}",
                path.display(),
                dir.display()
            ))
        })
}
