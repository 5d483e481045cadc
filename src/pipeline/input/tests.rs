//! Reading CSV input: layouts, line numbers and every kind of malformed file.
//!
//! Long on purpose: a test per kind of malformed file.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A file in the temp directory, removed on drop.
struct TempCsv(PathBuf);

impl TempCsv {
    fn new(bytes: &[u8]) -> TempCsv {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "zoombulk-input-{}-{}.csv",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, bytes).unwrap();
        TempCsv(path)
    }
}

impl Drop for TempCsv {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

const SPECS: &[ColumnSpec] = &[
    ColumnSpec::required(
        "email",
        &["email address", "e-mail", "e-mail address", "work email"],
    ),
    ColumnSpec::optional("first_name", &["first name", "given name"]),
    ColumnSpec::optional("last_name", &["last name", "surname"]),
    ColumnSpec::optional("type", &["user type", "license type"]),
    ColumnSpec::optional("password", &[]),
    ColumnSpec::prefix("custom:"),
];

const LOOSE: &[ColumnSpec] = &[ColumnSpec::optional("email", &["email address"])];

fn open(bytes: &[u8]) -> (TempCsv, Result<InputFile, InputError>) {
    let f = TempCsv::new(bytes);
    let r = InputFile::open(&f.0, SPECS);
    (f, r)
}

/// Every row as (row, line, fields), or the first error.
fn rows(input: &InputFile) -> Result<Vec<(u64, u64, Vec<String>)>, InputError> {
    let mut records = input.records()?;
    let mut rec = StringRecord::new();
    let mut out = Vec::new();
    let mut positions = Vec::new();
    while let Some(pos) = records.read(&mut rec)? {
        positions.push(pos);
        out.push((pos.row, 0, rec.iter().map(str::to_string).collect::<Vec<_>>()));
    }
    // Lines are resolved after the pass, as the preflight does; a lookup of one
    // row (as an error message does) must agree (sampled: each is a pass).
    let lines = input.lines(&positions)?;
    let step = (positions.len() / 5).max(1);
    for (i, ((row, line, _), (pos, batch))) in out.iter_mut().zip(positions.iter().zip(&lines)).enumerate() {
        *line = *batch;
        if i % step == 0 {
            assert_eq!(
                input.line(*pos)?,
                *batch,
                "row {row}: one lookup and the batch agree"
            );
        }
    }
    Ok(out)
}

fn first_error(bytes: &[u8]) -> InputError {
    let (_f, input) = open(bytes);
    let input = input.unwrap();
    rows(&input).unwrap_err()
}

fn lines_of(bytes: &[u8]) -> Vec<u64> {
    let (_f, input) = open(bytes);
    rows(&input.unwrap())
        .unwrap()
        .into_iter()
        .map(|(_, l, _)| l)
        .collect()
}

#[test]
fn maps_portal_and_hr_headers() {
    let (_f, input) =
        open(b"Email Address,First Name,Last Name,User Type,Department\na@b.co,Ann,Lee,Basic,HR\n");
    let input = input.unwrap();
    assert_eq!(input.column("email"), Some(0));
    assert_eq!(input.column("first_name"), Some(1));
    assert_eq!(input.column("last_name"), Some(2));
    assert_eq!(input.column("type"), Some(3));
    assert_eq!(input.column("password"), None);
    assert_eq!(input.unknown_columns(), vec!["Department"]);
    assert_eq!(input.delimiter, b',');
    assert_eq!(input.width(), 5);
    let rows = rows(&input).unwrap();
    assert_eq!(
        rows,
        vec![(
            1,
            2,
            vec![
                "a@b.co".into(),
                "Ann".into(),
                "Lee".into(),
                "Basic".into(),
                "HR".into()
            ]
        )]
    );
}

#[test]
fn header_matching_ignores_case_spaces_underscores_hyphens() {
    let (_f, input) = open(b"E-MAIL,first_name,  LAST-NAME ,usertype\nx@y.co,a,b,1\n");
    let input = input.unwrap();
    assert_eq!(input.column("email"), Some(0));
    assert_eq!(input.column("last_name"), Some(2));
    assert_eq!(input.column("type"), Some(3));
    // Headers are kept as written.
    assert_eq!(&input.headers[2], "  LAST-NAME ");
}

#[test]
fn bom_semicolon_crlf() {
    let (_f, input) = open("\u{feff}email;first_name\r\na@b.co;Ann\r\nc@d.co;\"Bob; Jr\"\r\n".as_bytes());
    let input = input.unwrap();
    assert_eq!(input.delimiter, b';');
    assert_eq!(&input.headers[0], "email");
    assert_eq!(input.column("email"), Some(0));
    let rows = rows(&input).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[1].0, rows[1].1), (2, 3));
    assert_eq!(rows[1].2[1], "Bob; Jr");
}

#[test]
fn tab_delimited() {
    let (_f, input) = open(b"email\tfirst name\na@b.co\tAnn, Marie\n");
    let input = input.unwrap();
    assert_eq!(input.delimiter, b'\t');
    assert_eq!(rows(&input).unwrap()[0].2, vec!["a@b.co", "Ann, Marie"]);
}

#[test]
fn delimiters_inside_quotes_do_not_count_when_sniffing() {
    let (_f, input) = open(b"\"a,b,c,d\";email;x\n1;a@b.co;2\n");
    assert_eq!(input.unwrap().delimiter, b';');
    let (_f, input) = open(b"email\na@b.co\n");
    assert_eq!(input.unwrap().delimiter, b',');
}

#[test]
fn line_numbers_lf_crlf_blank_lines_and_multiline_fields() {
    assert_eq!(lines_of(b"email,first_name\na@b.co,A\nc@d.co,B\n"), vec![2, 3]);
    assert_eq!(
        lines_of(b"email,first_name\r\na@b.co,A\r\nc@d.co,B\r\n"),
        vec![2, 3]
    );
    assert_eq!(lines_of(b"email,first_name\r\na@b.co,A\r\nc@d.co,B"), vec![2, 3]);
    assert_eq!(lines_of(b"email,first_name\na@b.co,A\nc@d.co,B"), vec![2, 3]);
    assert_eq!(
        lines_of(b"\n\nemail,first_name\n\na@b.co,A\n\n\n,\n  \nc@d.co,B\n\n"),
        vec![5, 10]
    );
    assert_eq!(
        lines_of(b"\r\nemail,first_name\r\n\r\na@b.co,A\r\n\r\n\r\n,\r\nc@d.co,B\r\n"),
        vec![4, 8]
    );
    assert_eq!(
        lines_of(b"email,first_name\n\"a@b.co\",\"Ann\nMarie\n\"\nc@d.co,B\n"),
        vec![2, 5]
    );
    assert_eq!(
        lines_of(b"email,first_name\r\n\"a@b.co\",\"Ann\r\nMarie\"\r\nc@d.co,B\r\n"),
        vec![2, 4]
    );
    assert_eq!(lines_of(b"email,first_name\ra@b.co,A\rc@d.co,B\r"), vec![2, 3]);
    let (_f, input) = open(b"\n\nemail\na@b.co\n");
    assert_eq!(input.unwrap().header_line(), 3);
}

#[test]
fn blank_rows_are_skipped_and_not_counted() {
    let (_f, input) = open(b"email,first_name\n,\n \t, \na@b.co,A\n,,\n\nc@d.co,B\n");
    let rows = rows(&input.unwrap()).unwrap();
    assert_eq!(
        rows.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
        vec![(1, 4), (2, 7)]
    );
}

#[test]
fn header_only_and_empty_files() {
    for header_only in [
        &b"email,first_name\n"[..],
        b"email,first_name",
        b"email\r\n\r\n\r\n",
    ] {
        let (_f, input) = open(header_only);
        assert_eq!(rows(&input.unwrap()).unwrap(), vec![]);
    }
    for empty in [&b""[..], b"\xef\xbb\xbf", b"\n\n\r\n", b"  \n"] {
        let (f, input) = open(empty);
        let e = input.unwrap_err();
        assert!(e.problem().contains("empty"), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("{}: the file is empty", f.0.display())),
            "{e}"
        );
    }
}

#[test]
fn missing_required_column_names_aliases_and_found_headers() {
    let (f, input) = open(b"Name,Mail Addr\nA,a@b.co\n");
    let e = input.unwrap_err();
    let text = e.to_string();
    assert_eq!(e.line(), Some(1));
    assert!(
        text.starts_with(&format!(
            "{}: line 1: the required column email is missing",
            f.0.display()
        )),
        "{text}"
    );
    assert!(text.contains("\"Name\", \"Mail Addr\""), "{text}");
    assert!(
        text.contains("Add a column named email (also accepted: email address, e-mail"),
        "{text}"
    );
}

#[test]
fn missing_column_list_is_capped_for_wide_files() {
    let header: Vec<String> = (0..500).map(|i| format!("c{i}")).collect();
    let (_f, input) = open(format!("{}\n", header.join(",")).as_bytes());
    let text = input.unwrap_err().to_string();
    assert!(text.contains("… and 480 more"), "{text}");
    assert!(text.len() < 1000);
}

#[test]
fn two_headers_for_one_column_is_an_error() {
    let (_f, input) = open(b"Email,first_name,E-mail Address\na,b,c\n");
    let e = input.unwrap_err();
    assert_eq!((e.line(), e.column()), (Some(1), Some(3)));
    assert!(
        e.problem()
            .contains("columns 1 (Email) and 3 (E-mail Address) both mean email"),
        "{e}"
    );
}

#[test]
fn prefix_columns() {
    let (_f, input) =
        open(b"email,Custom: Favourite colour,custom:Team,customer,CUSTOM_:x\na@b.co,blue,red,c,d\n");
    let input = input.unwrap();
    assert_eq!(
        input.prefixed("custom:"),
        vec![
            ("Favourite colour".to_string(), 1),
            ("Team".to_string(), 2),
            ("x".to_string(), 4)
        ]
    );
    assert_eq!(input.unknown_columns(), vec!["customer"]);
    assert_eq!(strip_prefix_folded("Custom :Q", "custom:"), Some("Q"));
    assert_eq!(strip_prefix_folded("Cust", "custom:"), None);
}

#[test]
fn too_few_fields() {
    let e = first_error(b"email,first_name,last_name\na@b.co,Ann,Lee\nc@d.co,Bob\n");
    assert_eq!(
        (e.line(), e.column(), e.header(), e.row()),
        (Some(3), Some(3), Some("last_name"), Some(2))
    );
    let text = e.to_string();
    assert!(
        text.ends_with(
            "line 3, column 3 (last_name): expected 3 fields (one per header column), found 2. Add the missing ',' separators so the row has one field per column, or delete the row."
        ),
        "{text}"
    );
}

#[test]
fn too_many_fields() {
    let e = first_error(b"email;first_name\na@b.co;Ann;Lee\n");
    assert_eq!((e.line(), e.column(), e.header()), (Some(2), Some(3), None));
    assert!(
        e.to_string()
            .contains("line 2, column 3: expected 2 fields (one per header column), found 3.")
    );
    assert!(e.fix().contains("';'"));
}

#[test]
fn field_count_error_in_a_multiline_record_hints_at_quotes() {
    let e = first_error(b"email,first_name\na@b.co,\"Ann\nB\",x\nc@d.co,B\n");
    assert_eq!(e.line(), Some(2));
    assert!(e.fix().contains("spans 2 lines"), "{e}");
}

#[test]
fn invalid_utf8_names_line_and_column() {
    let e = first_error(b"email,first_name\na@b.co,Ann\nc@d.co,Jos\xe9\n");
    assert_eq!(
        (e.line(), e.column(), e.header(), e.row()),
        (Some(3), Some(2), Some("first_name"), Some(2))
    );
    assert!(e.problem().contains("0xE9 after \"Jos\""), "{e}");
    assert!(e.fix().contains("UTF-8"));
    // The bad byte on a later line of a multi-line record.
    let e = first_error(b"email,first_name\n\"x\ny\",\"ab\ncd\xe9\"\n");
    assert_eq!((e.line(), e.column()), (Some(4), Some(2)));
    // In the header.
    let (_f, input) = open(b"em\xffail,x\na,b\n");
    let e = input.unwrap_err();
    assert_eq!((e.line(), e.column()), (Some(1), Some(1)));
    assert!(e.problem().contains("0xFF after \"em\""), "{e}");
}

#[test]
fn reading_goes_on_after_a_bad_row() {
    let (_f, input) = open(b"email,first_name\na@b.co,Jos\xe9\nc@d.co\ne@f.co,Eve\n");
    let input = input.unwrap();
    let mut records = input.records().unwrap();
    let mut rec = StringRecord::new();
    assert_eq!(records.read(&mut rec).unwrap_err().row(), Some(1));
    assert_eq!(records.read(&mut rec).unwrap_err().row(), Some(2));
    let pos = records.read(&mut rec).unwrap().unwrap();
    assert_eq!((pos.row, input.line(pos).unwrap()), (3, 4));
    assert_eq!(&rec[0], "e@f.co");
    assert_eq!(records.read(&mut rec).unwrap(), None);
    assert_eq!(records.rows_read(), 3);
}

#[test]
fn unterminated_quote_is_reported_where_it_starts() {
    // Swallows the following rows: the field count is off.
    let e = first_error(b"email,first_name\na@b.co,Ann\nc@d.co,\"Bob\ne@f.co,Eve\n");
    assert_eq!(
        (e.line(), e.column(), e.header()),
        (Some(3), Some(2), Some("first_name"))
    );
    assert!(e.problem().contains("closing quote"), "{e}");
    // The field count happens to match.
    let e = first_error(b"email,first_name\na@b.co,\"Ann\n");
    assert_eq!((e.line(), e.column()), (Some(2), Some(2)));
    let e = first_error(b"email,first_name\r\na@b.co,Ann\r\n\"c@d.co,Bob\r\ne@f.co\r\n");
    assert_eq!(
        (e.line(), e.column(), e.header()),
        (Some(3), Some(1), Some("email"))
    );
    // Inside a multi-line record, after a properly closed multi-line field.
    let e = first_error(b"email,first_name,last_name\na@b.co,\"A\nB\",\"C\nD\n");
    assert_eq!((e.line(), e.column()), (Some(3), Some(3)));
    // In the header.
    let (_f, input) = open(b"email,\"first_name\na@b.co,Ann\n");
    let e = input.unwrap_err();
    assert_eq!((e.line(), e.column()), (Some(1), Some(2)));
    // A blank-looking last record that opens a quote.
    let e = first_error(b"email,first_name\na@b.co,Ann\n,\"\n\n");
    assert_eq!((e.line(), e.column()), (Some(3), Some(2)));
}

#[test]
fn closed_quotes_at_end_of_file_are_fine() {
    assert_eq!(lines_of(b"email,first_name\na@b.co,\"Ann\"\"\""), vec![2]);
    assert_eq!(lines_of(b"email,first_name\na@b.co,\"Ann\"x"), vec![2]);
    assert_eq!(lines_of(b"email,first_name\na@b.co,\"A\nB\"\n"), vec![2]);
    assert_eq!(lines_of(b"email,first_name\na@b.co,5\" screen\n"), vec![2]);
}

#[test]
fn ten_thousand_columns() {
    let header: Vec<String> = std::iter::once("email".to_string())
        .chain((1..10_000).map(|i| format!("c{i}")))
        .collect();
    let row: Vec<String> = std::iter::once("a@b.co".to_string())
        .chain((1..10_000).map(|i| i.to_string()))
        .collect();
    let mut text = format!("{}\n", header.join(","));
    for _ in 0..3 {
        text.push_str(&row.join(","));
        text.push('\n');
    }
    text.push_str(&row[..9_000].join(","));
    text.push('\n');
    let (_f, input) = open(text.as_bytes());
    let input = input.unwrap();
    assert_eq!(input.width(), 10_000);
    assert_eq!(input.unknown_columns().len(), 9_999);
    let mut records = input.records().unwrap();
    let mut rec = StringRecord::new();
    for row in 1..=3 {
        assert_eq!(records.read(&mut rec).unwrap().unwrap().row, row);
        assert_eq!(&rec[9_999], "9999");
    }
    let e = records.read(&mut rec).unwrap_err();
    assert_eq!(
        (e.line(), e.column(), e.header()),
        (Some(5), Some(9_001), Some("c9000"))
    );
}

#[test]
fn multi_megabyte_fields() {
    let big = "x".repeat(8 << 20);
    let text = format!("email,first_name\na@b.co,\"{big}\"\nc@d.co,{big}\ne@f.co,\"a\n{big}\n\"\n");
    let (_f, input) = open(text.as_bytes());
    let rows = rows(&input.unwrap()).unwrap();
    assert_eq!(
        rows.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
        vec![(1, 2), (2, 3), (3, 4)]
    );
    assert_eq!(rows[0].2[1].len(), 8 << 20);
    // Unterminated, multi-megabyte.
    let text = format!("email,first_name\na@b.co,\"{big}\n");
    let e = first_error(text.as_bytes());
    assert_eq!((e.line(), e.column()), (Some(2), Some(2)));
    assert!(e.to_string().len() < 500);
}

#[test]
fn lines_stay_exact_across_many_buffers_and_fields_of_many_lines() {
    let mut text = String::from("email,first_name\r\n");
    for i in 0..200_000 {
        text.push_str(&format!("r{i}@b.co,N\r\n"));
    }
    // A field of 300,000 lines, then blank lines, then rows.
    text.push_str("x@b.co,\"");
    text.push_str(&"y\n".repeat(300_000));
    text.push_str("\"\n\n\n\rlast@b.co,L\n");
    let (_f, input) = open(text.as_bytes());
    let rows = rows(&input.unwrap()).unwrap();
    assert_eq!(rows.len(), 200_002);
    assert_eq!((rows[199_999].0, rows[199_999].1), (200_000, 200_001));
    assert_eq!(rows[200_000].1, 200_002);
    // `\n\n\n\r`: four line breaks after the closing quote.
    assert_eq!(rows[200_001].1, 200_002 + 300_000 + 4);
    assert_eq!(rows[200_001].2[0], "last@b.co");
}

#[test]
fn lines_stay_exact_after_megabytes_of_blank_lines_and_lone_crs() {
    let mut text = String::from("email,first_name\na@b.co,A\n");
    // 6 MB of blank lines (more than the copies kept: the gap is read back
    // from the file), mixed line ends.
    // (`\r\n`, `\n`, lone `\r`: three line breaks a time.)
    text.push_str(&"\r\n\n\r".repeat(1_500_000));
    text.push_str("b@b.co,B\r");
    // Old-Mac rows, then a quoted field with lone CRs spanning buffers.
    for i in 0..100_000 {
        text.push_str(&format!("m{i}@b.co,M\r"));
    }
    text.push_str("q@b.co,\"");
    text.push_str(&"z\r".repeat(1_500_000));
    text.push_str("\"\rlast@b.co,L");
    let (_f, input) = open(text.as_bytes());
    let rows = rows(&input.unwrap()).unwrap();
    let lines: Vec<u64> = rows.iter().map(|r| r.1).collect();
    let b_line = 3 + 3 * 1_500_000;
    assert_eq!(&lines[..2], &[2, b_line]);
    assert_eq!(lines[2], b_line + 1);
    assert_eq!(lines[100_001], b_line + 100_000);
    assert_eq!(lines[100_002], b_line + 100_001);
    // 1,500,000 lone CRs inside the field, one after it.
    assert_eq!(lines[100_003], b_line + 100_001 + 1_500_000 + 1);
    assert_eq!(rows[100_003].2[0], "last@b.co");
}

#[test]
fn each_pass_starts_from_the_first_row() {
    let (_f, input) = open(b"email\na@b.co\nc@d.co\n");
    let input = input.unwrap();
    assert_eq!(rows(&input).unwrap(), rows(&input).unwrap());
    assert_eq!(rows(&input).unwrap().len(), 2);
}

#[test]
fn unreadable_file_and_display_without_line() {
    let e = InputFile::open(Path::new("/nonexistent/zoombulk/x.csv"), SPECS).unwrap_err();
    assert_eq!(e.line(), None);
    assert!(
        e.to_string()
            .starts_with("/nonexistent/zoombulk/x.csv: cannot open the file: "),
        "{e}"
    );
    let e = InputError::new(Path::new("f.csv"), "bad", "Fix it.");
    assert_eq!(e.to_string(), "f.csv: bad. Fix it.");
    let e = e.at_line(4).at_column(2, Some("Name\n"));
    assert_eq!(e.to_string(), "f.csv: line 4, column 2 (Name\\n): bad. Fix it.");
}

#[test]
fn loose_specs_accept_files_without_required_columns() {
    let f = TempCsv::new(b"a,b\n1,2\n");
    let input = InputFile::open(&f.0, LOOSE).unwrap();
    assert_eq!(input.column("email"), None);
    assert_eq!(rows(&input).unwrap().len(), 1);
}

/// SPEC: `validate` reads a users file at >= 1,000,000 rows/s and in at most
/// 2x a bare csv read. Run with
/// `cargo test --release -- --ignored --nocapture bench_read_and_validate`.
#[test]
#[ignore = "benchmark: run in release"]
fn bench_read_and_validate() {
    use crate::validate;
    use std::time::Instant;
    const ROWS: usize = 1_000_000;
    let mut text = String::from("Email Address,First Name,Last Name,User Type,Department\r\n");
    for i in 0..ROWS {
        text.push_str(&format!(
            "first.last{i}@example-corp.com,Firstname{i},\"Lastname, Jr\",Licensed,Dept {}\r\n",
            i % 50
        ));
    }
    let f = TempCsv::new(text.as_bytes());
    drop(text);

    let bare = || {
        let t = Instant::now();
        let mut rdr = csv::ReaderBuilder::new().from_path(&f.0).unwrap();
        let mut rec = ByteRecord::new();
        let mut n = 0;
        while rdr.read_byte_record(&mut rec).unwrap() {
            n += 1;
        }
        assert_eq!(n, ROWS);
        t.elapsed()
    };
    let ours = || {
        let t = Instant::now();
        let input = InputFile::open(&f.0, SPECS).unwrap();
        let (e, fi, la, ty) = (
            input.column("email").unwrap(),
            input.column("first_name").unwrap(),
            input.column("last_name").unwrap(),
            input.column("type").unwrap(),
        );
        let mut records = input.records().unwrap();
        let mut rec = StringRecord::new();
        let mut valid = 0;
        while let Some(_pos) = records.read(&mut rec).unwrap() {
            let ok = validate::email(rec[e].trim()).is_ok()
                && validate::name("first_name", rec[fi].trim(), 64).is_ok()
                && validate::name("last_name", rec[la].trim(), 64).is_ok()
                && validate::user_type(&rec[ty]).is_ok();
            valid += usize::from(ok);
        }
        assert_eq!(valid, ROWS);
        t.elapsed()
    };
    let (mut best_bare, mut best_ours) = (bare(), ours());
    for _ in 0..2 {
        best_bare = best_bare.min(bare());
        best_ours = best_ours.min(ours());
    }
    let rate = ROWS as f64 / best_ours.as_secs_f64();
    let ratio = best_ours.as_secs_f64() / best_bare.as_secs_f64();
    println!("bare csv read: {best_bare:?}; read + validate: {best_ours:?} ({rate:.0} rows/s, {ratio:.2}x)");
    if !cfg!(debug_assertions) {
        assert!(rate >= 1_000_000.0, "{rate:.0} rows/s");
        assert!(ratio <= 2.0, "{ratio:.2}x a bare read");
    }
}

mod fuzz {
    //! "Bad input never panics": arbitrary bytes and CSV-shaped noise.
    use super::*;
    use proptest::prelude::*;

    const PIECES: &[&[u8]] = &[
        b"email",
        b"a@b.co",
        b"Email Address",
        b",",
        b",",
        b";",
        b"\t",
        b"\"",
        b"\"\"",
        b"\r",
        b"\n",
        b"\n",
        b"\r\n",
        b"\xff",
        b"\xe9",
        b"\xc3",
        b" ",
        b"\xef\xbb\xbf",
        b"x",
        b"custom:q",
        b"\xe6\xbc\xa2",
    ];

    fn csvish() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(prop::sample::select(PIECES), 0..60).prop_map(|p| p.concat())
    }

    /// Opens and reads everything, going on after errors; checks the
    /// invariants every outcome must keep.
    fn check(bytes: &[u8], specs: &[ColumnSpec]) {
        let f = TempCsv::new(bytes);
        let total_lines = 1 + count_breaks(bytes, false);
        let input = match InputFile::open(&f.0, specs) {
            Ok(input) => input,
            Err(e) => {
                let text = e.to_string();
                assert!(e.line().is_some() || e.problem().contains("empty"), "{text}");
                assert!(e.line().unwrap_or(1) <= total_lines, "{text}");
                return;
            }
        };
        let mut records = input.records().unwrap();
        let mut rec = StringRecord::new();
        let (mut last_row, mut last_line) = (0, input.header_line());
        for _ in 0..bytes.len() + 2 {
            match records.read(&mut rec) {
                Ok(None) => return,
                Ok(Some(pos)) => {
                    assert_eq!(pos.row, last_row + 1);
                    let line = input.line(pos).unwrap();
                    assert!(
                        line > last_line && line <= total_lines,
                        "{pos:?} (line {line}) after {last_line}"
                    );
                    assert_eq!(rec.len(), input.width());
                    last_row = pos.row;
                    last_line = line;
                }
                Err(e) => {
                    let text = e.to_string();
                    let line = e.line().unwrap_or_else(|| panic!("no line: {text}"));
                    assert!(e.column().is_some(), "no column: {text}");
                    assert!(line > input.header_line() && line <= total_lines, "{text}");
                    assert!(text.contains(&format!("line {line}, column ")), "{text}");
                    if let Some(row) = e.row() {
                        last_row = row;
                    }
                    if e.problem().contains("closing quote") {
                        return;
                    }
                }
            }
        }
        panic!("the reader did not come to an end");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            check(&bytes, SPECS);
            check(&bytes, LOOSE);
        }

        #[test]
        fn csv_shaped_noise_never_panics(bytes in csvish()) {
            check(&bytes, SPECS);
            check(&bytes, LOOSE);
            let mut with_header = b"email,first_name\n".to_vec();
            with_header.extend_from_slice(&bytes);
            check(&with_header, SPECS);
        }

        /// Lines are exact for well-formed files with blank lines, LF, CRLF
        /// or lone CR line ends (mixed in one file), quoted multi-line fields.
        #[test]
        fn line_numbers_are_exact(
            rows in prop::collection::vec((0usize..3, any::<bool>(), 0usize..3, 0usize..3), 0..30),
            header_nl in 0usize..3,
            final_break in any::<bool>(),
        ) {
            const NL: [&str; 3] = ["\n", "\r\n", "\r"];
            let mut text = format!("email,first_name{}", NL[header_nl]);
            let mut line = 2u64;
            let mut expected = Vec::new();
            // A `\n` right after a lone `\r` would make one CRLF break.
            let push_nl = |text: &mut String, nl: &str| {
                if text.ends_with('\r') && nl == "\n" {
                    text.push_str("\r\n");
                } else {
                    text.push_str(nl);
                }
            };
            for (i, &(blanks, quoted, inner_breaks, nl)) in rows.iter().enumerate() {
                let nl = NL[nl];
                for _ in 0..blanks {
                    push_nl(&mut text, nl);
                    line += 1;
                }
                expected.push(line);
                let name = if quoted {
                    format!("\"N{}\"", vec!["x"; inner_breaks + 1].join(nl))
                } else {
                    "N".to_string()
                };
                text.push_str(&format!("r{i}@b.co,{name}"));
                line += if quoted { inner_breaks as u64 } else { 0 };
                if i + 1 < rows.len() || final_break {
                    push_nl(&mut text, nl);
                    line += 1;
                }
            }
            let (_f, input) = open(text.as_bytes());
            let got: Vec<u64> = rows_of(&input.unwrap()).into_iter().map(|(_, l, _)| l).collect();
            prop_assert_eq!(got, expected);
        }
    }

    fn rows_of(input: &InputFile) -> Vec<(u64, u64, Vec<String>)> {
        super::rows(input).unwrap()
    }

    #[test]
    fn shapes_that_broke_readers_before() {
        for bytes in [
            &b"\""[..],
            b"\"\"",
            b"\"\n\"",
            b"email\n\"",
            b"email\n\"\"\"",
            b"email,\n\xff,\"",
            b"\xef\xbb\xbf\"email\"\r",
            b"\r\r\r",
            b"email\r\xff\r\"",
            b"email\n\n\n\"\n\n",
            // Lone CRs in a file sniffed as LF (found by the fuzz test).
            b"\xff\r",
            b"\xc2\x80\xe1\x80\x80\n\x0e\r",
            b"email,first_name\n\xff\r",
        ] {
            check(bytes, SPECS);
            check(bytes, LOOSE);
        }
    }
}

#[test]
fn apostrophes_are_found_wherever_they_are() {
    for len in 0..40 {
        let plain = vec![b'a'; len];
        assert!(!has_apostrophe(&plain), "{len}");
        for at in 0..len {
            let mut with = plain.clone();
            with[at] = b'\'';
            assert!(has_apostrophe(&with), "{len} {at}");
            // Neighbours of `'` (0x27) and bytes whose borrow could spill over.
            for other in [0x26u8, 0x28, 0xa7, 0x00, 0xff, 0x01] {
                with[at] = other;
                assert!(!has_apostrophe(&with), "{len} {at} {other:#x}");
            }
        }
    }
}

/// Emails of every row of a pass.
fn emails_of(records: &mut Records) -> Vec<String> {
    let mut record = StringRecord::new();
    let mut out = Vec::new();
    while records.read(&mut record).unwrap().is_some() {
        out.push(record[0].to_string());
    }
    out
}

/// A large CRLF file whose middle byte lands on the `\n` of a `\r\n`, or inside
/// a run of blank lines: the first pass still ends at the cut, and the two
/// passes together read every row once, in order.
#[test]
fn the_cut_is_taken_wherever_the_middle_falls_in_a_run_of_line_breaks() {
    let row = |i: usize| format!("user{i:07}@example.com,Ada\r\n");
    let rows = (4 << 20) / row(0).len() + 10;
    for (name, blank_lines) in [("on the \\n of \\r\\n", 0usize), ("in blank lines", 6)] {
        // Shift the text by a padding header until the middle byte is a `\n`
        // (after a row, or among the blank lines put where the middle falls).
        let found = (0..64).find_map(|pad| {
            let mut text = format!("email,first_name{}\r\n", " ".repeat(pad));
            let half = rows / 2;
            for i in 0..rows {
                if i == half {
                    text.push_str(&"\r\n".repeat(blank_lines));
                }
                text.push_str(&row(i));
            }
            let middle = text.len() / 2;
            let bytes = text.as_bytes();
            let on_lf = bytes[middle] == b'\n' && bytes[middle - 1] == b'\r';
            let in_run = blank_lines == 0
                || (bytes[middle - 3..middle + 3]
                    .iter()
                    .all(|b| *b == b'\r' || *b == b'\n'));
            (on_lf && in_run).then_some(text)
        });
        let text = found.expect("some padding puts the middle there");
        let f = TempCsv::new(text.as_bytes());
        let input = InputFile::open(&f.0, SPECS).unwrap();
        let cut = input.cut_near_middle().unwrap().expect("large enough to cut");
        let mut first = input.records().unwrap();
        first.stop_at(cut);
        let mut seen = emails_of(&mut first);
        assert!(first.handed_over(), "{name}: the first pass ends at the cut");
        seen.extend(emails_of(&mut input.records_from(cut).unwrap()));
        let want: Vec<String> = (0..rows).map(|i| format!("user{i:07}@example.com")).collect();
        assert_eq!(seen.len(), want.len(), "{name}");
        assert!(seen == want, "{name}: every row once, in order");
    }
}

/// A byte-order mark right after the cut would be stripped by a reader that
/// starts there: no cut is made before one, even when only its first byte is in
/// the bytes looked at.
#[test]
fn no_cut_before_a_byte_order_mark() {
    let short = |n: usize| "a@example.com\n".repeat(n);
    for left_in_window in [1usize, 2, 3, 100] {
        // A long line crosses the middle; its line break sits `left_in_window`
        // bytes before the end of the bytes the cut looks at.
        let found = (0..4).find_map(|nudge| {
            let (prefix, suffix) = (short(70_000), short(220_000));
            let head = format!("email\n{prefix}");
            let long = |l: usize| format!("{}@e.com\n", "x".repeat(l));
            let total_without = head.len() + long(0).len() + 3 + suffix.len();
            // The break's index is head + l + 6; the middle is total / 2.
            let l = (total_without + 2 * (CUT_SEARCH - left_in_window) - 2 * (head.len() + 6))
                .checked_sub(nudge)?;
            let text = format!("{head}{}\u{feff}{suffix}", long(l));
            let middle = text.len() / 2;
            (head.len() + l + 6 == middle + CUT_SEARCH - left_in_window).then_some(text)
        });
        let text = found.expect("a long line that puts the break there");
        let f = TempCsv::new(text.as_bytes());
        let input = InputFile::open(&f.0, SPECS).unwrap();
        assert_eq!(
            input.cut_near_middle().unwrap(),
            None,
            "{left_in_window} bytes left"
        );
    }
}
