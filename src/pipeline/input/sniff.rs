//! Which delimiter a file uses, sniffed from its header line.

use std::fs::File;
use std::io::{self, BufRead, BufReader};

use super::SNIFF_MAX;

pub(super) fn delimiter_name(d: u8) -> &'static str {
    match d {
        b';' => "';'",
        b'\t' => "tab",
        _ => "','",
    }
}

pub(super) fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

/// Reads up to the end of the header line (quotes respected) and picks the
/// delimiter that occurs most often outside quotes (`,` on a tie or none).
pub(super) fn sniff_delimiter(file: File) -> io::Result<u8> {
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut counts = [0usize; 3];
    let (mut seen, mut started, mut in_quotes) = (0usize, false, false);
    let mut first = true;
    'outer: loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let mut chunk = buf;
        if first {
            first = false;
            if chunk.starts_with(b"\xef\xbb\xbf") {
                chunk = &chunk[3..];
            }
        }
        for &b in chunk {
            if !started {
                if b == b'\r' || b == b'\n' {
                    continue;
                }
                started = true;
            }
            match b {
                b'"' => in_quotes = !in_quotes,
                _ if in_quotes => {}
                b',' => counts[0] += 1,
                b';' => counts[1] += 1,
                b'\t' => counts[2] += 1,
                b'\n' | b'\r' => break 'outer,
                _ => {}
            }
        }
        let n = buf.len();
        seen += n;
        reader.consume(n);
        if seen >= SNIFF_MAX {
            break;
        }
    }
    // The first of the most frequent (`,` wins ties).
    let best = (0..3).fold(0, |best, i| if counts[i] > counts[best] { i } else { best });
    Ok([b',', b';', b'\t'][best])
}
