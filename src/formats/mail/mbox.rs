//! The one mbox splitter: messages are gathered one at a time from a
//! stream, for reading (each message a part) and for the anonymised copy
//! (each message rewritten), so both split at the same lines.
//!
//! A separator is a `From ` line after a blank line (or at the start) with a
//! time of day in it, so body text starting "From the ..." is not taken for
//! one; the very first line is a separator even without a date (`From
//! jane@example.org`, as some tools write it). Text before the first
//! separator is message 1. `>From ` lines (mboxrd quoting) lose one `>`.
//! Lines are read in pieces of at most [`PIECE`] bytes, and a message larger
//! than the limit is skipped, so memory stays bounded whatever the input.

use std::io::{BufRead, Read};

/// Longest piece of one line read at a time.
pub const PIECE: u64 = 64 << 10;

/// What the splitter hands on.
pub trait Messages {
    /// Message `number` (from 1): its separator line (empty for text before
    /// the first separator) and its bytes, unquoted. Not called for a
    /// message of white space only.
    fn message(&mut self, number: u64, separator: &[u8], message: &[u8]) -> std::io::Result<()>;
    /// Message `number` is larger than the limit: not gathered.
    fn too_large(&mut self, number: u64) -> std::io::Result<()>;
}

/// Split the mbox read from `reader` into messages of at most `limit` bytes.
pub fn split(reader: &mut dyn BufRead, limit: u64, to: &mut dyn Messages) -> std::io::Result<()> {
    let mut split =
        Split { limit, message: Vec::new(), separator: Vec::new(), number: 0, oversized: false, after_blank: true };
    let mut piece = Vec::with_capacity(4096);
    let mut at_line_start = true;
    loop {
        piece.clear();
        let read = reader.take(PIECE).read_until(b'\n', &mut piece)?;
        if read == 0 {
            break;
        }
        let line_start = at_line_start;
        at_line_start = piece.ends_with(b"\n");
        split.piece(&piece, line_start, at_line_start, to)?;
    }
    split.finish(to)
}

struct Split {
    limit: u64,
    /// The message being gathered.
    message: Vec<u8>,
    /// Its separator line.
    separator: Vec<u8>,
    /// Messages started so far (the current one's number).
    number: u64,
    /// The current message outgrew `limit` and is being skipped.
    oversized: bool,
    /// The last complete line was blank (or nothing was read yet).
    after_blank: bool,
}

impl Split {
    /// One piece of a line: the whole line when `line_start` and `line_end`.
    fn piece(&mut self, piece: &[u8], line_start: bool, line_end: bool, to: &mut dyn Messages) -> std::io::Result<()> {
        let first = self.number == 0 && piece.starts_with(b"From ");
        if line_start && self.after_blank && (first || is_from_line(piece)) {
            self.finish(to)?;
            self.number += 1;
            self.separator.clear();
            self.separator.extend_from_slice(piece);
            self.after_blank = false;
            return Ok(());
        }
        let blank = line_start && line_end && piece.iter().all(|b| b.is_ascii_whitespace());
        self.after_blank = blank;
        if self.number == 0 {
            if blank {
                return Ok(());
            }
            // Text before the first separator: read it as message 1.
            self.number = 1;
        }
        let piece = if line_start && is_escaped_from(piece) { &piece[1..] } else { piece };
        if self.oversized {
            return Ok(());
        }
        if (self.message.len() + piece.len()) as u64 > self.limit {
            self.oversized = true;
            self.message = Vec::new();
            return Ok(());
        }
        self.message.extend_from_slice(piece);
        Ok(())
    }

    /// Hand on the message gathered so far (if any).
    fn finish(&mut self, to: &mut dyn Messages) -> std::io::Result<()> {
        let n = self.number;
        let result = if self.oversized {
            to.too_large(n)
        } else if self.message.iter().any(|b| !b.is_ascii_whitespace()) {
            to.message(n, &self.separator, &self.message)
        } else {
            Ok(())
        };
        self.message.clear();
        self.oversized = false;
        result
    }
}

/// An mbox separator: `From sender date`, with a time of day (`12:08`) in it so
/// that body text starting "From the ..." after a blank line is not taken for one.
fn is_from_line(line: &[u8]) -> bool {
    line.starts_with(b"From ")
        && line
            .windows(4)
            .any(|w| w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit())
}

/// A body line quoted by the mbox writer: `>From `, `>>From ` ...
fn is_escaped_from(line: &[u8]) -> bool {
    let quotes = line.iter().take_while(|&&b| b == b'>').count();
    quotes > 0 && line[quotes..].starts_with(b"From ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Got(Vec<(u64, String, String)>);
    impl Messages for Got {
        fn message(&mut self, number: u64, separator: &[u8], message: &[u8]) -> std::io::Result<()> {
            let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
            self.0.push((number, s(separator), s(message)));
            Ok(())
        }
        fn too_large(&mut self, number: u64) -> std::io::Result<()> {
            self.0.push((number, String::new(), "TOO LARGE".into()));
            Ok(())
        }
    }

    fn split_str(text: &str, limit: u64) -> Vec<(u64, String, String)> {
        let mut got = Got::default();
        split(&mut text.as_bytes(), limit, &mut got).unwrap();
        got.0
    }

    #[test]
    fn separators_need_a_blank_line_and_a_time_except_the_first() {
        let mbox = "From jane@example.org\nSubject: a\n\nFrom the office: hello\n>From here\n\n\
                    From bob@example.org Mon Feb  3 10:00:00 2025\nSubject: b\n\nbody\n";
        let got = split_str(mbox, 1 << 20);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, 1);
        assert_eq!(got[0].1, "From jane@example.org\n");
        assert_eq!(got[0].2, "Subject: a\n\nFrom the office: hello\nFrom here\n\n");
        assert_eq!(got[1].1, "From bob@example.org Mon Feb  3 10:00:00 2025\n");
        assert_eq!(got[1].2, "Subject: b\n\nbody\n");
    }

    #[test]
    fn text_before_the_first_separator_and_oversized_messages() {
        let mbox = "\nSubject: stray\n\nFrom a@b Mon Feb  3 10:00:00 2025\nSubject: big\n\n0123456789012345678901234\n";
        let got = split_str(mbox, 20);
        assert_eq!(got[0], (1, String::new(), "Subject: stray\n\n".into()));
        assert_eq!(got[1], (2, String::new(), "TOO LARGE".into()));
    }
}
