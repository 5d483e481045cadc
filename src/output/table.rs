//! One row writer for every table zoombulk writes (results and exports), so a
//! results file and an export agree byte for byte on the rules: CSV with the
//! injection guard on free-text columns only, optional UTF-8 BOM; JSONL with
//! keys in column order, numbers as JSON numbers and empty cells as `null`.

use std::collections::HashSet;
use std::io::{self, BufWriter, Write};

use crate::output::guard::needs_guard;

/// Output format (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Csv,
    /// One JSON object per line, keys in the CSV's column order.
    Jsonl,
}

/// What a column holds, which decides how its cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text (names, topics, messages, answers, unknown input columns):
    /// guarded in CSV against spreadsheet formulas.
    Text,
    /// Ids, emails, URLs, dates, codes, phone numbers: written as they are, so
    /// they survive a round trip.
    Plain,
    /// A number: as it is in CSV, a JSON number in JSONL (text that is not a
    /// number is written as a string rather than lost).
    Number,
}

/// One column: its CSV header, its JSONL key (usually the same) and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    /// JSONL key when it must differ from `name` (e.g. an input column that
    /// clashes with a results column); `None` = `name`.
    pub key: Option<String>,
}

impl Column {
    pub fn new(name: impl Into<String>, kind: Kind) -> Column {
        Column {
            name: name.into(),
            kind,
            key: None,
        }
    }

    pub fn text(name: impl Into<String>) -> Column {
        Column::new(name, Kind::Text)
    }

    pub fn plain(name: impl Into<String>) -> Column {
        Column::new(name, Kind::Plain)
    }

    pub fn number(name: impl Into<String>) -> Column {
        Column::new(name, Kind::Number)
    }

    /// This column with another JSONL key.
    pub fn keyed(mut self, key: impl Into<String>) -> Column {
        self.key = Some(key.into());
        self
    }
}

/// Columns named by `names`, `Text` for those in `text`, `Number` for those in
/// `numbers`, `Plain` for the rest (a column nobody classified is an id-like
/// value, which must never be altered).
pub fn columns(names: &[&str], text: &[&str], numbers: &[&str]) -> Vec<Column> {
    names
        .iter()
        .map(|n| {
            let kind = if text.contains(n) {
                Kind::Text
            } else if numbers.contains(n) {
                Kind::Number
            } else {
                Kind::Plain
            };
            Column::new(*n, kind)
        })
        .collect()
}

/// How a table is written.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableOptions {
    pub format: Format,
    /// `--raw-cells`: no injection guard at all.
    pub raw_cells: bool,
    /// `--bom`: a UTF-8 byte order mark first, so Excel reads the CSV as UTF-8.
    pub bom: bool,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    Jsonl(BufWriter<W>),
}

/// Writes rows of cells to any writer as CSV or JSONL.
pub struct TableWriter<W: Write> {
    sink: Sink<W>,
    kinds: Vec<Kind>,
    guard: bool,
    /// JSONL: `"key":` per column.
    keys: Vec<Vec<u8>>,
    scratch: Vec<u8>,
}

impl<W: Write> TableWriter<W> {
    /// Starts the table: the BOM (CSV with `bom`) and the header line go out at once.
    pub fn new(mut out: W, columns: &[Column], options: TableOptions) -> io::Result<TableWriter<W>> {
        let sink = match options.format {
            Format::Csv => {
                if options.bom {
                    out.write_all(UTF8_BOM)?;
                }
                // csv's own small buffer: rows reach the writer soon after they
                // are written (a results file is watched while a run goes on).
                Sink::Csv(Box::new(
                    csv::WriterBuilder::new().flexible(true).from_writer(out),
                ))
            }
            Format::Jsonl => Sink::Jsonl(BufWriter::with_capacity(1 << 16, out)),
        };
        let mut table = TableWriter {
            sink,
            kinds: columns.iter().map(|c| c.kind).collect(),
            guard: !options.raw_cells,
            keys: Vec::new(),
            scratch: Vec::new(),
        };
        match options.format {
            Format::Csv => {
                for c in columns {
                    // A header is free text too (input headers are carried through).
                    table.csv_cell(c.name.as_bytes(), Kind::Text)?;
                }
                table.end_csv_record()?;
            }
            Format::Jsonl => table.keys = json_keys(columns),
        }
        Ok(table)
    }

    /// Writes one row: `cells` in column order; missing cells are written empty,
    /// cells beyond the columns are dropped.
    pub fn write_row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> io::Result<()> {
        let mut cells = cells.into_iter();
        match self.sink {
            Sink::Csv(_) => {
                for i in 0..self.kinds.len() {
                    let cell = cells.next().unwrap_or("");
                    self.csv_cell(cell.as_bytes(), self.kinds[i])?;
                }
                self.end_csv_record()
            }
            Sink::Jsonl(ref mut w) => {
                w.write_all(b"{")?;
                for (i, (key, kind)) in self.keys.iter().zip(&self.kinds).enumerate() {
                    if i > 0 {
                        w.write_all(b",")?;
                    }
                    w.write_all(key)?;
                    json_value(w, cells.next().unwrap_or(""), *kind)?;
                }
                w.write_all(b"}\n")
            }
        }
    }

    /// Flushes everything written so far through to the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Csv(w) => w.flush(),
            Sink::Jsonl(w) => w.flush(),
        }
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> io::Result<W> {
        match self.sink {
            Sink::Csv(w) => w
                .into_inner()
                .map_err(|e| io::Error::new(e.error().kind(), e.error().to_string())),
            Sink::Jsonl(w) => w.into_inner().map_err(|e| e.into_error()),
        }
    }

    fn csv_cell(&mut self, cell: &[u8], kind: Kind) -> io::Result<()> {
        let Sink::Csv(w) = &mut self.sink else {
            return Err(io::Error::other("CSV cell on a JSONL table"));
        };
        if self.guard && kind == Kind::Text && needs_guard(cell) {
            self.scratch.clear();
            self.scratch.push(b'\'');
            self.scratch.extend_from_slice(cell);
            w.write_field(&self.scratch).map_err(io_error)?;
        } else {
            w.write_field(cell).map_err(io_error)?;
        }
        Ok(())
    }

    fn end_csv_record(&mut self) -> io::Result<()> {
        let Sink::Csv(w) = &mut self.sink else {
            return Err(io::Error::other("CSV record on a JSONL table"));
        };
        w.write_record(None::<&[u8]>).map_err(io_error)?;
        Ok(())
    }
}

/// The I/O error inside a CSV error, so its kind (a closed pipe) survives.
fn io_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// One JSONL value: empty is `null`, a `Number` cell that is a JSON number is
/// written bare, anything else as a string.
fn json_value<W: Write>(w: &mut W, cell: &str, kind: Kind) -> io::Result<()> {
    if cell.is_empty() {
        return w.write_all(b"null");
    }
    if kind == Kind::Number && is_json_number(cell) {
        return w.write_all(cell.as_bytes());
    }
    Ok(serde_json::to_writer(w, cell)?)
}

/// Whether `s` is a JSON number as written (`-?digits[.digits][e±digits]`,
/// no leading zeros), so it can be copied into the output unchanged.
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && b[int_start] == b'0') {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// JSONL keys rendered as `"key":`; a key equal to an earlier one gets `#2`,
/// `#3`, … so no object has a key twice.
fn json_keys(columns: &[Column]) -> Vec<Vec<u8>> {
    let mut used = HashSet::new();
    columns
        .iter()
        .map(|c| {
            let base = c.key.as_deref().unwrap_or(&c.name);
            let mut key = base.to_string();
            let mut n = 2u32;
            while !used.insert(key.clone()) {
                key = format!("{base}#{n}");
                n = n.saturating_add(1);
            }
            let mut rendered = serde_json::to_vec(&key).unwrap_or_else(|_| b"\"\"".to_vec());
            rendered.push(b':');
            rendered
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<Column> {
        vec![
            Column::plain("id"),
            Column::text("name"),
            Column::number("n"),
            Column::plain("phone"),
        ]
    }

    fn write(options: TableOptions, rows: &[&[&str]]) -> String {
        let mut t = TableWriter::new(Vec::new(), &cols(), options).unwrap();
        for r in rows {
            t.write_row(r.iter().copied()).unwrap();
        }
        String::from_utf8(t.into_inner().unwrap()).unwrap()
    }

    const ROWS: &[&[&str]] = &[
        &["-AbC", "=SUM(A1)", "12", "+1 555"],
        &["x", "Ann", "", ""],
        &["y"],
    ];

    #[test]
    fn csv_guards_text_columns_only() {
        let text = write(TableOptions::default(), ROWS);
        assert_eq!(text, "id,name,n,phone\n-AbC,'=SUM(A1),12,+1 555\nx,Ann,,\ny,,,\n");
    }

    #[test]
    fn raw_cells_and_bom() {
        let opts = TableOptions {
            raw_cells: true,
            bom: true,
            ..TableOptions::default()
        };
        let text = write(opts, ROWS);
        assert!(
            text.starts_with("\u{feff}id,name,n,phone\n-AbC,=SUM(A1),12,"),
            "{text}"
        );
    }

    #[test]
    fn jsonl_keys_in_order_numbers_as_numbers_empty_as_null() {
        let opts = TableOptions {
            format: Format::Jsonl,
            bom: true,
            ..TableOptions::default()
        };
        let text = write(opts, ROWS);
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            r#"{"id":"-AbC","name":"=SUM(A1)","n":12,"phone":"+1 555"}"#
        );
        assert_eq!(
            lines.next().unwrap(),
            r#"{"id":"x","name":"Ann","n":null,"phone":null}"#
        );
        assert_eq!(
            lines.next().unwrap(),
            r#"{"id":"y","name":null,"n":null,"phone":null}"#
        );
    }

    #[test]
    fn a_number_column_with_text_keeps_the_text() {
        let mut t = TableWriter::new(
            Vec::new(),
            &[Column::number("n")],
            TableOptions {
                format: Format::Jsonl,
                ..TableOptions::default()
            },
        )
        .unwrap();
        for cell in ["0", "-3", "1.5", "2e10", "007", "1.", "abc", "-", "NaN"] {
            t.write_row([cell]).unwrap();
        }
        let text = String::from_utf8(t.into_inner().unwrap()).unwrap();
        let values: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["n"].clone())
            .collect();
        assert!(values[..4].iter().all(serde_json::Value::is_number), "{values:?}");
        assert!(values[4..].iter().all(serde_json::Value::is_string), "{values:?}");
    }

    #[test]
    fn duplicate_keys_are_numbered_and_keys_can_be_renamed() {
        let columns = [
            Column::plain("status"),
            Column::text("status"),
            Column::text("x").keyed("input.x"),
        ];
        let opts = TableOptions {
            format: Format::Jsonl,
            ..TableOptions::default()
        };
        let mut t = TableWriter::new(Vec::new(), &columns, opts).unwrap();
        t.write_row(["a", "b", "c"]).unwrap();
        let text = String::from_utf8(t.into_inner().unwrap()).unwrap();
        assert_eq!(text, "{\"status\":\"a\",\"status#2\":\"b\",\"input.x\":\"c\"}\n");
    }

    #[test]
    fn csv_headers_are_guarded_like_text() {
        let mut t = TableWriter::new(Vec::new(), &[Column::plain("=x")], TableOptions::default()).unwrap();
        t.write_row(["=y"]).unwrap();
        assert_eq!(String::from_utf8(t.into_inner().unwrap()).unwrap(), "'=x\n=y\n");
    }
}
