//! Physical line numbers of reported records, and where an unterminated quote
//! starts: the csv crate's own line counts drift on CRLF files and blank lines.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use super::READ_BUFFER;

/// Line breaks in `bytes`: `\n`, `\r\n` and a lone `\r` count one each.
/// `prev_cr`: the byte before `bytes` was `\r`.
pub(super) fn count_breaks(bytes: &[u8], mut prev_cr: bool) -> u64 {
    let mut n = 0;
    for &b in bytes {
        if b == b'\r' || (b == b'\n' && !prev_cr) {
            n += 1;
        }
        prev_cr = b == b'\r';
    }
    n
}

/// `\r` bytes in `bytes`. (Counted in blocks of 255 into `u8`s, which the
/// compiler turns into full-width vector code.)
pub(super) fn count_cr(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|c| usize::from(c.iter().fold(0u8, |n, &b| n + u8::from(b == b'\r'))))
        .sum()
}

/// `\r\n` pairs in `bytes`.
pub(super) fn count_crlf(bytes: &[u8]) -> usize {
    let Some(next) = bytes.get(1..) else { return 0 };
    bytes
        .chunks(255)
        .zip(next.chunks(255))
        .map(|(a, b)| {
            usize::from(
                a.iter()
                    .zip(b)
                    .fold(0u8, |n, (&x, &y)| n + u8::from((x == b'\r') & (y == b'\n'))),
            )
        })
        .sum()
}

/// `\n` bytes in `bytes` (vectorised like [`count_cr`]).
pub(super) fn count_lf(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|c| usize::from(c.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n'))))
        .sum()
}

/// [`count_breaks`] in bulk: the same count, in vector code.
fn count_breaks_fast(bytes: &[u8], prev_cr: bool) -> u64 {
    let joined = usize::from(prev_cr && bytes.first() == Some(&b'\n'));
    (count_cr(bytes) + count_lf(bytes) - count_crlf(bytes) - joined) as u64
}

/// The 1-based physical line of each record that starts at one of `offsets`
/// (as the csv reader reports a record's start: before any blank lines or the
/// `\n` of a CRLF that precede its first byte). One pass over the file up to
/// the last offset. Only rows that are reported pay for it, so the reading
/// passes keep byte offsets and never count lines.
pub(super) fn lines_at(path: &Path, offsets: &[u64]) -> io::Result<Vec<u64>> {
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    let mut lines = vec![0; offsets.len()];
    let mut reader = BufReader::with_capacity(READ_BUFFER, File::open(path)?);
    let (mut at, mut breaks, mut prev_cr) = (0u64, 0u64, false);
    let mut last: Option<(u64, u64)> = None;
    for i in order {
        let target = offsets[i];
        if let Some((offset, line)) = last
            && offset == target
        {
            lines[i] = line;
            continue;
        }
        while at < target {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let take = usize::try_from(target - at).map_or(buf.len(), |n| n.min(buf.len()));
            breaks += count_breaks_fast(&buf[..take], prev_cr);
            prev_cr = buf[take - 1] == b'\r';
            at += take as u64;
            reader.consume(take);
        }
        // The line breaks between the offset and the record's first byte.
        loop {
            let buf = reader.fill_buf()?;
            let n = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
            if n == 0 {
                break;
            }
            breaks += count_breaks(&buf[..n], prev_cr);
            prev_cr = buf[n - 1] == b'\r';
            let more = n == buf.len();
            at += n as u64;
            reader.consume(n);
            if !more {
                break;
            }
        }
        let line = breaks + 1;
        lines[i] = line;
        last = Some((target, line));
    }
    Ok(lines)
}

/// [`lines_at`] for one record; `None` when the file cannot be read again
/// (the message then goes without its line rather than not at all).
pub(super) fn line_at(path: &Path, offset: u64) -> Option<u64> {
    lines_at(path, &[offset]).ok().and_then(|l| l.first().copied())
}

/// Where an unclosed quote opened.
pub(super) struct OpenQuote {
    /// 0-based field index.
    pub(super) field: usize,
    /// Line breaks between the record's first byte and the quote.
    pub(super) lines_before: u64,
}

/// Re-reads one record from `start` (its offset; line breaks before its first
/// byte are skipped) to the end of the file the
/// way csv-core parses it, and says where its quoted field opened when the file
/// ends inside it. Called only for a record that reaches the end of the file.
pub(super) fn find_unclosed_quote(path: &Path, start: u64, delimiter: u8) -> io::Result<Option<OpenQuote>> {
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        StartField,
        InField,
        InQuoted,
        AfterQuote,
    }
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut reader = BufReader::with_capacity(READ_BUFFER, file);
    let mut state = S::StartField;
    let (mut field, mut breaks, mut prev_cr) = (0usize, 0u64, false);
    let mut open = OpenQuote {
        field: 0,
        lines_before: 0,
    };
    let mut skip_bom = start == 0;
    let mut leading = true;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let mut chunk = buf;
        if skip_bom {
            skip_bom = false;
            if chunk.starts_with(b"\xef\xbb\xbf") {
                chunk = &chunk[3..];
            }
        }
        for &b in chunk {
            let term = b == b'\r' || b == b'\n';
            if leading {
                if term {
                    continue;
                }
                leading = false;
            }
            if state != S::InQuoted && term {
                return Ok(None);
            }
            state = match (state, b) {
                (S::InQuoted, b'"') => S::AfterQuote,
                (S::InQuoted, _) => S::InQuoted,
                (S::StartField, b'"') => {
                    open = OpenQuote {
                        field,
                        lines_before: breaks,
                    };
                    S::InQuoted
                }
                (S::AfterQuote, b'"') => S::InQuoted,
                _ if b == delimiter => {
                    field += 1;
                    S::StartField
                }
                _ => S::InField,
            };
            breaks += u64::from(b == b'\r' || (b == b'\n' && !prev_cr));
            prev_cr = b == b'\r';
        }
        let n = buf.len();
        reader.consume(n);
    }
    Ok((state == S::InQuoted).then_some(open))
}
