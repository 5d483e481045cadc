//! The results layout, and every kind of results file read back for `--resume`.

use super::*;
use crate::output::guard::needs_guard;
use crate::pipeline::outcome::Status;
use crate::pipeline::resume::csv_results::{ResultsReader, read_results};
use chrono::TimeZone;
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap()
}

fn outcome(status: Status) -> Outcome {
    Outcome {
        finished_at: at(),
        ..Outcome::new(status)
    }
}

fn headers() -> StringRecord {
    StringRecord::from(vec!["Email Address", "First Name", "password", "Notes"])
}

fn write(options: ResultsOptions, rows: &[(u64, Vec<&str>, Outcome)]) -> String {
    let mut w = ResultsWriter::new(Vec::new(), &headers(), options).unwrap();
    for (row, cells, o) in rows {
        w.write_row(*row, &StringRecord::from(cells.clone()), o).unwrap();
    }
    w.flush().unwrap();
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn sample() -> Vec<(u64, Vec<&'static str>, Outcome)> {
    vec![
        (
            1,
            vec!["a@b.co", "Ann", "S3cret!pass", "=HYPERLINK(\"x\")"],
            Outcome {
                zoom_id: Some("-AbC_123".into()),
                http_status: Some(201),
                attempts: 1,
                ..outcome(Status::Created)
            },
        ),
        (
            2,
            vec!["bad", "Bo, Jr", "", "+1 555"],
            Outcome {
                finished_at: at(),
                ..Outcome::invalid("E_EMAIL", "email \"bad\" has no @; fix it.")
            },
        ),
        (
            3,
            vec!["c@d.co", "Cy", "", "@home"],
            Outcome {
                http_status: Some(409),
                error_code: Some("1005".into()),
                error_message: Some("Email \"c@d.co\" has already been used.".into()),
                zoom_id: Some("u3".into()),
                attempts: 2,
                ..outcome(Status::Exists)
            },
        ),
    ]
}

fn options(format: Format) -> ResultsOptions {
    ResultsOptions {
        format,
        secret_columns: vec![2],
        ..ResultsOptions::default()
    }
}

#[test]
fn csv_layout_mask_and_injection_guard() {
    let text = write(options(Format::Csv), &sample());
    let expected = "\
row,Email Address,First Name,password,Notes,status,zoom_id,http_status,error_code,error_message,attempts,finished_at
1,a@b.co,Ann,***,\"'=HYPERLINK(\"\"x\"\")\",created,-AbC_123,201,,,1,2026-03-04T05:06:07Z
2,bad,\"Bo, Jr\",,'+1 555,invalid,,,E_EMAIL,\"email \"\"bad\"\" has no @; fix it.\",0,2026-03-04T05:06:07Z
3,c@d.co,Cy,,'@home,exists,u3,409,1005,\"Email \"\"c@d.co\"\" has already been used.\",2,2026-03-04T05:06:07Z
";
    assert_eq!(text, expected);
    assert!(!text.contains("S3cret"));
}

#[test]
fn raw_cells_and_join_url() {
    let opts = ResultsOptions {
        raw_cells: true,
        extra_columns: &["join_url"],
        ..options(Format::Csv)
    };
    let mut rows = sample();
    rows[0].2.extra = vec![("join_url", "https://zoom.us/w/1?tk=x".into())];
    let text = write(opts, &rows);
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "row,Email Address,First Name,password,Notes,status,zoom_id,join_url,http_status,error_code,error_message,attempts,finished_at"
    );
    assert_eq!(
        lines.next().unwrap(),
        "1,a@b.co,Ann,***,\"=HYPERLINK(\"\"x\"\")\",created,-AbC_123,https://zoom.us/w/1?tk=x,201,,,1,2026-03-04T05:06:07Z"
    );
    assert!(lines.next().unwrap().contains(",+1 555,"));
}

#[test]
fn every_guarded_start_character() {
    let h = StringRecord::from(vec!["v"]);
    for (cell, out) in [
        ("=1", "'=1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@a", "'@a"),
        ("\tx", "'\tx"),
        ("\rx", "\"'\rx\""),
        ("a=1", "a=1"),
        ("'=1", "'=1"),
        ("", ""),
    ] {
        let mut w = ResultsWriter::new(Vec::new(), &h, ResultsOptions::default()).unwrap();
        w.write_row(1, &StringRecord::from(vec![cell]), &outcome(Status::Skipped))
            .unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let rest = &text[text.find('\n').unwrap() + 1..];
        assert!(rest.starts_with(&format!("1,{out},skipped,")), "{cell:?}: {rest}");
    }
}

#[test]
fn jsonl_keys_in_order_numbers_nulls_no_guard() {
    let text = write(options(Format::Jsonl), &sample());
    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        r#"{"row":1,"Email Address":"a@b.co","First Name":"Ann","password":"***","Notes":"=HYPERLINK(\"x\")","status":"created","zoom_id":"-AbC_123","http_status":201,"error_code":null,"error_message":null,"attempts":1,"finished_at":"2026-03-04T05:06:07Z"}"#
    );
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["row"].is_u64());
    }
    assert_eq!(text.lines().count(), 3);
}

#[test]
fn jsonl_renames_input_columns_that_clash() {
    let h = StringRecord::from(vec!["email", "status", "status", "row"]);
    let opts = ResultsOptions {
        format: Format::Jsonl,
        ..ResultsOptions::default()
    };
    let mut w = ResultsWriter::new(Vec::new(), &h, opts).unwrap();
    w.write_row(
        7,
        &StringRecord::from(vec!["a@b.co", "inactive", "x", "9"]),
        &outcome(Status::Updated),
    )
    .unwrap();
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert!(
        text.starts_with(r#"{"row":7,"email":"a@b.co","input.status":"inactive","input.status#2":"x","input.row":"9","status":"updated""#),
        "{text}"
    );
}

#[test]
fn input_columns_named_like_results_columns_are_prefixed_and_read_back() {
    let h = StringRecord::from(vec!["email", "status", "zoom_id"]);
    let mut w = ResultsWriter::new(Vec::new(), &h, ResultsOptions::default()).unwrap();
    w.write_row(
        1,
        &StringRecord::from(vec!["a@b.co", "inactive", "u1"]),
        &outcome(Status::Updated),
    )
    .unwrap();
    let bytes = w.into_inner().unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with("row,email,input.status,input.zoom_id,status,zoom_id,"),
        "{header}"
    );
    assert_eq!(header.matches(",status,").count(), 1, "{header}");
    let f = TempFile::new(&bytes);
    let mut reader = ResultsReader::open(&f.0, Some("email"), &[]).unwrap();
    assert_eq!(reader.input_headers(), &h);
    assert_eq!(reader.read().unwrap().unwrap().outcome.status, Status::Updated);
}

#[test]
fn short_records_are_padded() {
    let text = write(
        options(Format::Csv),
        &[(1, vec!["a@b.co"], outcome(Status::Skipped))],
    );
    assert!(text.lines().nth(1).unwrap().starts_with("1,a@b.co,,,,skipped,"));
}

struct TempFile(PathBuf);

impl TempFile {
    fn new(bytes: &[u8]) -> TempFile {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "zoombulk-results-{}-{}.csv",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn round_trip_for_resume() {
    let rows = sample();
    let f = TempFile::new(write(options(Format::Csv), &rows).as_bytes());
    let mut reader = ResultsReader::open(&f.0, Some("email address"), &[]).unwrap();
    assert_eq!(reader.input_headers(), &headers());
    assert_eq!(reader.key_index(), Some(0));
    let mut got = Vec::new();
    while let Some(r) = reader.read().unwrap() {
        got.push(r);
    }
    assert!(!reader.truncated_tail());
    assert_eq!(got.len(), 3);
    for (prev, (row, cells, o)) in got.iter().zip(&rows) {
        assert_eq!(prev.row, *row);
        assert_eq!(prev.key.as_deref(), Some(cells[0]));
        assert_eq!(&prev.outcome, o);
    }
    assert_eq!(got.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3, 4]);
    // The guard on `-AbC_123` is taken off again.
    assert_eq!(got[0].outcome.zoom_id.as_deref(), Some("-AbC_123"));
    assert_eq!(read_results(&f.0, None, &[]).unwrap()[2].key, None);
}

#[test]
fn round_trip_with_join_url() {
    let mut rows = sample();
    rows[0].2.extra = vec![("join_url", "https://zoom.us/w/1".into())];
    let opts = ResultsOptions {
        extra_columns: &["join_url"],
        ..options(Format::Csv)
    };
    let f = TempFile::new(write(opts, &rows).as_bytes());
    let got = read_results(&f.0, Some("Email Address"), &["join_url"]).unwrap();
    assert_eq!(got[0].outcome.extra("join_url"), Some("https://zoom.us/w/1"));
    assert_eq!(got[1].outcome, rows[1].2);
}

#[test]
fn a_last_line_cut_anywhere_is_ignored() {
    let full = write(options(Format::Csv), &sample());
    let last_start = full[..full.len() - 1].rfind('\n').unwrap() + 1;
    for cut in last_start + 1..full.len() {
        let f = TempFile::new(&full.as_bytes()[..cut]);
        let mut reader = ResultsReader::open(&f.0, Some("Email Address"), &[]).unwrap();
        let mut n = 0;
        while reader
            .read()
            .unwrap_or_else(|e| panic!("cut at {cut}: {e}"))
            .is_some()
        {
            n += 1;
        }
        assert_eq!(n, 2, "cut at {cut}");
        assert!(reader.truncated_tail(), "cut at {cut}");
    }
    // Cut right after a complete line: nothing is lost, nothing ignored.
    let f = TempFile::new(&full.as_bytes()[..last_start]);
    assert_eq!(read_results(&f.0, None, &[]).unwrap().len(), 2);
}

#[test]
fn empty_or_half_written_header_reads_as_no_rows() {
    for bytes in [&b""[..], b"row,Email Add"] {
        let f = TempFile::new(bytes);
        let mut reader = ResultsReader::open(&f.0, Some("email"), &[]).unwrap();
        assert_eq!(reader.read().unwrap(), None);
    }
}

#[test]
fn not_a_results_file() {
    let f = TempFile::new(b"email,first_name\na@b.co,Ann\n");
    let e = ResultsReader::open(&f.0, None, &[]).err().unwrap();
    assert_eq!(e.line(), Some(1));
    assert!(e.to_string().contains("not a zoombulk results CSV"), "{e}");
}

#[test]
fn damage_in_the_middle_is_an_error_with_line_and_column() {
    let full = write(options(Format::Csv), &sample());
    let damaged = full.replacen(",invalid,", ",broken,", 1);
    let f = TempFile::new(damaged.as_bytes());
    let mut reader = ResultsReader::open(&f.0, None, &[]).unwrap();
    assert!(reader.read().unwrap().is_some());
    let e = reader.read().unwrap_err();
    assert_eq!(
        (e.line(), e.column(), e.header()),
        (Some(3), Some(6), Some("status"))
    );
    assert!(e.to_string().contains("not a status: \"broken\""), "{e}");
    let damaged = full.replacen("\n2,bad,", "\n2,bad,x,", 1);
    let f = TempFile::new(damaged.as_bytes());
    let mut reader = ResultsReader::open(&f.0, None, &[]).unwrap();
    reader.read().unwrap();
    assert_eq!(reader.read().unwrap_err().line(), Some(3));
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn opt_text() -> impl Strategy<Value = Option<String>> {
        prop::option::of("[ -~\t\r\n\"',é]{1,20}")
    }

    fn any_outcome() -> impl Strategy<Value = Outcome> {
        (
            prop::sample::select(Status::ALL.to_vec()),
            (opt_text(), opt_text(), opt_text(), opt_text()),
            prop::option::of(100u16..600),
            any::<u32>(),
            0i64..4_000_000_000,
        )
            .prop_map(
                |(status, (zoom_id, join_url, error_code, error_message), http_status, attempts, t)| {
                    Outcome {
                        status,
                        zoom_id,
                        extra: join_url.map(|u| vec![("join_url", u)]).unwrap_or_default(),
                        http_status,
                        error_code,
                        error_message,
                        attempts,
                        finished_at: DateTime::from_timestamp(t, 0).unwrap(),
                    }
                },
            )
    }

    /// Values the guard cannot tell apart from guarded ones (`'=…`) are left out.
    fn unambiguous(s: &str) -> bool {
        !(s.starts_with('\'') && needs_guard(&s.as_bytes()[1..]))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn what_is_written_is_read_back(
            rows in prop::collection::vec((prop::collection::vec("[ -~\t\r\n\"',é]{0,12}", 3), any_outcome()), 0..8),
            join_url in any::<bool>(),
            raw_cells in any::<bool>(),
        ) {
            let h = StringRecord::from(vec!["email", "status", "x"]);
            let extra_columns: &'static [&'static str] = if join_url { &["join_url"] } else { &[] };
            let opts = ResultsOptions { extra_columns, raw_cells, ..ResultsOptions::default() };
            let mut w = ResultsWriter::new(Vec::new(), &h, opts).unwrap();
            for (i, (cells, o)) in rows.iter().enumerate() {
                w.write_row(i as u64 + 1, &StringRecord::from(cells.clone()), o).unwrap();
            }
            let f = TempFile::new(&w.into_inner().unwrap());
            let got = read_results(&f.0, Some("email"), extra_columns).unwrap();
            prop_assert_eq!(got.len(), rows.len());
            for (i, (prev, (cells, o))) in got.iter().zip(&rows).enumerate() {
                prop_assert_eq!(prev.row, i as u64 + 1);
                let clean = |s: &Option<String>| s.as_deref().is_none_or(unambiguous);
                if !raw_cells && clean(&o.zoom_id) && clean(&o.error_code) && clean(&o.error_message) && clean(&o.extra("join_url").map(str::to_string)) && unambiguous(&cells[0]) {
                    let mut want = o.clone();
                    if !join_url {
                        want.extra.clear();
                    }
                    prop_assert_eq!(&prev.outcome, &want);
                    prop_assert_eq!(prev.key.as_deref(), (!cells[0].is_empty()).then_some(cells[0].as_str()));
                }
            }
        }

        #[test]
        fn reading_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300), prefix in any::<bool>()) {
            let mut data = if prefix {
                b"row,email,status,zoom_id,http_status,error_code,error_message,attempts,finished_at\n".to_vec()
            } else {
                Vec::new()
            };
            data.extend_from_slice(&bytes);
            let f = TempFile::new(&data);
            if let Ok(mut r) = ResultsReader::open(&f.0, Some("email"), &[]) {
                for _ in 0..400 {
                    match r.read() {
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(e) => {
                            prop_assert!(e.line().is_some(), "{}", e);
                            break;
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn unguard_only_strips_the_guard() {
    assert_eq!(unguard("'=x"), "=x");
    assert_eq!(unguard("'-1"), "-1");
    assert_eq!(unguard("'hello"), "'hello");
    assert_eq!(unguard("'"), "'");
    assert_eq!(unguard(""), "");
}

#[test]
fn itoa_matches_display() {
    let mut buf = itoa_buf();
    for n in [0, 1, 9, 10, 99, 100, 12345, u64::from(u32::MAX), u64::MAX] {
        assert_eq!(itoa(&mut buf, n), n.to_string().as_bytes());
    }
}
