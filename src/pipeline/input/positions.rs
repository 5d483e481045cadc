//! Physical line numbers under the csv reader, and where an unterminated quote
//! starts: the csv crate's own positions drift on CRLF files and blank lines.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

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

/// Sits under the csv reader so that a record's byte offset can be turned into
/// its exact line. The csv crate counts `\n` itself; this adds what it misses:
/// the line breaks between a record's offset and its first byte (blank lines,
/// the `\n` of a CRLF), read from a copy of the latest buffers, and lone `\r`s
/// (old Mac line ends), found with two bulk counts per buffer (positions are
/// only looked for in a buffer that has one). A few buffers are kept, so
/// memory does not grow with the file or with a field of many lines.
pub(super) struct LineCounter<R> {
    inner: R,
    path: PathBuf,
    /// Bytes passed through so far.
    offset: u64,
    /// Copies of recent buffers (start offset, bytes): the one holding the
    /// record being read, the one after it, and the latest.
    kept: VecDeque<(u64, Vec<u8>)>,
    spare: Vec<Vec<u8>>,
    /// Offsets of lone `\r`s not yet passed by a record.
    lone_cr: VecDeque<u64>,
    /// Lone `\r`s before the last record asked about.
    lone_before: u64,
    /// A `\r` that ended the previous buffer: lone unless the next starts with `\n`.
    last_cr: Option<u64>,
    /// Start of the record being read.
    pub(super) anchor: u64,
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

/// Buffers ending this far behind the bytes read cannot hold a record's start
/// any more (the csv reader reads at most one buffer ahead).
pub(super) const KEPT_BEHIND: u64 = READ_BUFFER as u64 + 4096;

impl<R: Read> LineCounter<R> {
    pub(super) fn new(inner: R, path: &Path) -> LineCounter<R> {
        LineCounter {
            inner,
            path: path.to_path_buf(),
            offset: 0,
            kept: VecDeque::new(),
            spare: Vec::new(),
            lone_cr: VecDeque::new(),
            lone_before: 0,
            last_cr: None,
            anchor: 0,
        }
    }

    pub(super) fn scan(&mut self, bytes: &[u8]) {
        let Some(&last) = bytes.last() else { return };
        let base = self.offset;
        if let Some(at) = self.last_cr.take()
            && bytes[0] != b'\n'
        {
            self.lone_cr.push_back(at);
        }
        let crs = count_cr(bytes);
        if crs > 0 {
            let pairs = count_crlf(bytes);
            if crs != pairs + usize::from(last == b'\r') {
                for (i, pair) in bytes.windows(2).enumerate() {
                    if pair[0] == b'\r' && pair[1] != b'\n' {
                        self.lone_cr.push_back(base + i as u64);
                    }
                }
            }
            if last == b'\r' {
                self.last_cr = Some(base + bytes.len() as u64 - 1);
            }
        }
        let mut copy = self.spare.pop().unwrap_or_default();
        copy.clear();
        copy.extend_from_slice(bytes);
        self.kept.push_back((base, copy));
        self.offset += bytes.len() as u64;
        while self.kept.len() > 1 && self.kept[0].0 + self.kept[0].1.len() as u64 <= self.anchor {
            let (_, buf) = self.kept.pop_front().expect("checked");
            self.spare.push(buf);
        }
        while self.kept.len() > 3
            && self.kept[2].0 + (self.kept[2].1.len() as u64) + KEPT_BEHIND < self.offset
        {
            let (_, buf) = self.kept.remove(2).expect("checked");
            self.spare.push(buf);
        }
    }

    /// The line of the first byte at or after `pos` (a record boundary, on
    /// line `pos_line` by the csv crate's `\n` count) that is not a line
    /// break, and that byte's offset. Questions come in file order.
    pub(super) fn line_at(&mut self, pos: u64, pos_line: u64) -> io::Result<(u64, u64)> {
        let (mut content, mut newlines, mut found) = (pos, 0, false);
        'kept: for (start, buf) in &self.kept {
            let end = start + buf.len() as u64;
            if end <= content {
                continue;
            }
            if *start > content {
                break;
            }
            for &b in &buf[(content - start) as usize..] {
                match b {
                    b'\n' => newlines += 1,
                    b'\r' => {}
                    _ => {
                        found = true;
                        break 'kept;
                    }
                }
                content += 1;
            }
        }
        if !found {
            // Blank lines running past the kept copies: read them from the file.
            let mut file = File::open(&self.path)?;
            file.seek(SeekFrom::Start(content))?;
            let mut reader = BufReader::with_capacity(64 * 1024, file);
            'file: loop {
                let buf = reader.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                let n = buf.len();
                for &b in buf {
                    match b {
                        b'\n' => newlines += 1,
                        b'\r' => {}
                        _ => break 'file,
                    }
                    content += 1;
                }
                reader.consume(n);
            }
        }
        while self.lone_cr.front().is_some_and(|&at| at < content) {
            self.lone_cr.pop_front();
            self.lone_before += 1;
        }
        Ok((pos_line + newlines + self.lone_before, content))
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.scan(&buf[..n]);
        Ok(n)
    }
}

/// Where an unclosed quote opened.
pub(super) struct OpenQuote {
    /// 0-based field index.
    pub(super) field: usize,
    /// Line breaks between the record's first byte and the quote.
    pub(super) lines_before: u64,
}

/// Re-reads one record from `start` (its first byte) to the end of the file the
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
