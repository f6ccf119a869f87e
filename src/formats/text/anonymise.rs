//! Plain text and HTML: decoded as the extractor decodes them (UTF-8,
//! UTF-16 with a byte-order mark, else Windows-1252), read in the same blocks
//! of lines, and written back in the same encoding with the same line
//! endings (only the replaced values change).

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use std::borrow::Cow;
use std::io::Write;

use crate::formats::rewrite::{Rewrite, Span};
use crate::formats::text::{BLOCK_BYTES, Block, LineBlocker, MAX_LINE, for_each_raw_line, text_stream};
use crate::formats::{Input, Segment};

/// How a text file was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextEncoding {
    pub encoding: &'static Encoding,
    /// Whether the file starts with a byte-order mark.
    pub bom: bool,
}

/// Decode bytes as the text extractor does; returns the text and how to encode it back.
pub fn decode(data: &[u8]) -> (String, TextEncoding) {
    if let Some((enc, bom_len)) = Encoding::for_bom(data) {
        let (text, _) = enc.decode_without_bom_handling(&data[bom_len..]);
        return (text.into_owned(), TextEncoding { encoding: enc, bom: true });
    }
    match std::str::from_utf8(data) {
        Ok(s) => (s.to_string(), TextEncoding { encoding: UTF_8, bom: false }),
        Err(_) => {
            let (text, _) = WINDOWS_1252.decode_without_bom_handling(data);
            (text.into_owned(), TextEncoding { encoding: WINDOWS_1252, bom: false })
        }
    }
}

/// Encode text back the way it came.
pub fn encode(text: &str, enc: TextEncoding) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 3);
    if enc.encoding == UTF_16LE || enc.encoding == UTF_16BE {
        let le = enc.encoding == UTF_16LE;
        if enc.bom {
            out.extend_from_slice(if le { b"\xFF\xFE" } else { b"\xFE\xFF" });
        }
        for u in text.encode_utf16() {
            out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        return out;
    }
    if enc.bom && enc.encoding == UTF_8 {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    let (bytes, _, _) = enc.encoding.encode(text);
    out.extend_from_slice(&bytes);
    out
}

/// The lines of `text` as byte ranges without their `\n` or `\r\n`, as
/// [`crate::formats::text::for_each_line`] reads them.
fn line_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            let end = if i > start && bytes[i - 1] == b'\r' { i - 1 } else { i };
            out.push((start, end));
            start = i + 1;
        }
    }
    if start < bytes.len() {
        // A last line with no `\n` loses a final `\r`, as the reader reads it.
        let end = if bytes.ends_with(b"\r") { bytes.len() - 1 } else { bytes.len() };
        out.push((start, end));
    }
    out
}

/// The spans of one block, as byte ranges of the caller's text.
fn block_spans(work: &mut dyn Rewrite, prefix: &str, block: Block<'_>, spans: &mut Vec<Span>) {
    let seg = Segment::lines(prefix, block.first, block.text);
    for s in work.spans(&seg) {
        spans.push(Span { start: block.source_offset(s.start), end: block.source_offset(s.end), category: s.category });
    }
}

/// Personal data in `text`, read in blocks of lines as the text extractor
/// reads them (`prefix` names the location, `line` or `body line`); spans
/// are byte ranges of `text` itself.
pub fn line_spans(work: &mut dyn Rewrite, prefix: &str, text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut blocker = LineBlocker::default();
    let mut sink = |block: Block<'_>| block_spans(work, prefix, block, &mut spans);
    for (n, (s, e)) in line_ranges(text).into_iter().enumerate() {
        blocker.push(n as u64 + 1, &text[s..e], s, &mut sink);
    }
    blocker.flush(&mut sink);
    spans
}

/// Text gathered for the copy since it was last written out: whole blocks
/// of lines, each line with its own line ending.
struct Pending {
    text: String,
    spans: Vec<Span>,
    blocker: LineBlocker,
    /// How the text is written out (never a byte-order mark: that is
    /// written once, first).
    enc: TextEncoding,
}

impl Pending {
    /// Add one line (its bytes and ending as read).
    fn line(
        &mut self,
        work: &mut dyn Rewrite,
        out: &mut dyn Write,
        n: u64,
        bytes: &[u8],
        ending: &[u8],
    ) -> std::io::Result<()> {
        let line: Cow<'_, str> = if self.enc.encoding == WINDOWS_1252 {
            WINDOWS_1252.decode_without_bom_handling(bytes).0
        } else {
            match std::str::from_utf8(bytes) {
                Ok(s) => Cow::Borrowed(s),
                // UTF-8 until a line is not: from there on the file is read
                // (and written back) as Windows-1252, byte for byte.
                Err(_) if self.enc.encoding == UTF_8 => {
                    self.write_out(work, out)?;
                    self.enc.encoding = WINDOWS_1252;
                    WINDOWS_1252.decode_without_bom_handling(bytes).0
                }
                Err(_) => String::from_utf8_lossy(bytes),
            }
        };
        let start = self.text.len();
        self.text.push_str(&line);
        let end = self.text.len();
        self.text.push_str(std::str::from_utf8(ending).unwrap_or("\n"));
        let Pending { text, spans, blocker, .. } = self;
        blocker.push(n, &text[start..end], start, &mut |b| block_spans(work, "line", b, spans));
        // Written out between blocks, so each block is read whole.
        if self.blocker.is_empty() && self.text.len() >= BLOCK_BYTES {
            self.write_out(work, out)?;
        }
        Ok(())
    }

    /// Replace the values in the text gathered and write it out.
    fn write_out(&mut self, work: &mut dyn Rewrite, out: &mut dyn Write) -> std::io::Result<()> {
        let Pending { text, spans, blocker, enc } = self;
        blocker.flush(&mut |b| block_spans(work, "line", b, spans));
        if text.is_empty() {
            return Ok(());
        }
        let mut new = if spans.is_empty() { std::mem::take(text) } else { work.apply_spans(text, spans) };
        // Replacing a value changes its neighbours' context: a second pass
        // catches what the new text reveals (as the re-scan would).
        let again = line_spans(work, "line", &new);
        if !again.is_empty() {
            new = work.apply_spans(&new, &again);
        }
        out.write_all(&encode(&new, *enc))?;
        text.clear();
        spans.clear();
        Ok(())
    }
}

/// Write a text file's copy to `out` as it is read: in the blocks of lines
/// the extractor reads (see [`crate::formats::text`]), each block's values
/// replaced and written out before the next is read, so memory does not
/// grow with the file. The copy keeps the file's encoding, byte-order mark
/// and line endings. Like the extractor, it reads up to the first NUL byte:
/// what follows is not copied, and a note says so.
pub fn write_stream(work: &mut dyn Rewrite, input: &Input<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let io = |e: crate::formats::ExtractError| std::io::Error::other(e.to_string());
    let head = input.head(4).map_err(io)?;
    let enc = match Encoding::for_bom(&head) {
        Some((encoding, _)) => TextEncoding { encoding, bom: true },
        None => TextEncoding { encoding: UTF_8, bom: false },
    };
    // The byte-order mark alone.
    out.write_all(&encode("", enc))?;
    let mut reader = text_stream(input).map_err(io)?;
    let mut pending = Pending {
        text: String::new(),
        spans: Vec::new(),
        blocker: LineBlocker::default(),
        enc: TextEncoding { bom: false, ..enc },
    };
    let long =
        for_each_raw_line(&mut reader, |n, bytes, ending| pending.line(work, out, n, bytes, ending)).map_err(|e| {
            match e {
                crate::formats::ExtractError::Io(e) => e,
                e => io(e),
            }
        })?;
    pending.write_out(work, out)?;
    if let (n, Some(first)) = long {
        work.note(format!(
            "{n} line(s) longer than {} MB (the first is line {first}) were read in pieces of {} MB: \
             a value cut in two where pieces meet may be missed (the copy is still checked by scanning it again)",
            MAX_LINE >> 20,
            MAX_LINE >> 20
        ));
    }
    if let Some(at) = reader.cut() {
        work.note(format!(
            "binary data (a NUL byte) from byte {at} on: the copy holds the text before it, the rest was not copied"
        ));
    }
    Ok(())
}

/// A text file's copy, in memory (a part of another file).
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 8);
    write_stream(work, &Input::Bytes(data), &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// `html` with every byte inside a tag, comment or script/style element
/// turned into a space, so offsets still match.
fn visible_only(html: &str) -> String {
    let mut out = html.as_bytes().to_vec();
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    while i < out.len() {
        if out[i] == b'<' {
            let close = if lower[i..].starts_with("<script") {
                lower[i..].find("</script").map(|j| i + j)
            } else if lower[i..].starts_with("<style") {
                lower[i..].find("</style").map(|j| i + j)
            } else {
                None
            };
            let end = close.unwrap_or(i);
            let end = lower[end..].find('>').map_or(out.len(), |j| end + j + 1);
            for b in &mut out[i..end] {
                if !matches!(*b, b'\n' | b'\r') {
                    *b = b' ';
                }
            }
            i = end;
        } else {
            i += 1;
        }
    }
    // Only ASCII bytes inside tags were touched or multi-byte characters
    // were replaced whole, so this is still valid UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// Personal data in HTML: in the visible text, and (from a pass over the
/// raw source) in attribute values such as `mailto:` links.
pub fn html_spans(work: &mut dyn Rewrite, html: &str) -> Vec<Span> {
    let visible = visible_only(html);
    let mut spans = line_spans(work, "text line", &visible);
    for s in line_spans(work, "text line", html) {
        let in_tag = visible.as_bytes()[s.start..s.end].iter().all(|&b| b.is_ascii_whitespace());
        if in_tag && !spans.iter().any(|x| s.start < x.end && x.start < s.end) {
            spans.push(s);
        }
    }
    spans.sort_by_key(|s| (s.start, s.end));
    spans
}

/// An HTML file's copy.
pub fn write_html(work: &mut dyn Rewrite, data: &[u8]) -> Vec<u8> {
    let (text, enc) = decode(data);
    let spans = html_spans(work, &text);
    encode(&work.apply_spans(&text, &spans), enc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Limits;
    use crate::formats::text::BLOCK_LINES;

    #[test]
    fn encodings_round_trip() {
        for data in [
            b"caf\xC3\xA9\r\nline two\r\n".to_vec(),
            b"caf\xE9 \x80\nx".to_vec(),
            b"\xEF\xBB\xBFhello".to_vec(),
            b"\xFF\xFEh\0i\0".to_vec(),
            b"\xFE\xFF\0h\0i".to_vec(),
        ] {
            let (text, enc) = decode(&data);
            assert_eq!(encode(&text, enc), data, "{text}");
        }
    }

    #[test]
    fn lines_and_visible_text() {
        assert_eq!(line_ranges("a\r\nbb\n\nc"), vec![(0, 1), (3, 5), (6, 6), (7, 8)]);
        let v = visible_only("<p class=x>Jane</p><script>var a;</script>é");
        assert_eq!(v.len(), "<p class=x>Jane</p><script>var a;</script>é".len());
        assert_eq!(v.split_whitespace().collect::<Vec<_>>(), ["Jane", "é"]);
        assert!(v.starts_with("           Jane"));
    }

    /// Records the blocks it is asked about; finds each `Jane`.
    #[derive(Default)]
    struct Blocks(Vec<(String, String)>, Limits);

    impl Rewrite for Blocks {
        fn limits(&self) -> &Limits {
            &self.1
        }
        fn spans(&mut self, seg: &Segment<'_>) -> Vec<Span> {
            self.0.push((seg.loc.at(seg.text, 0).into(), seg.text.to_string()));
            let category = crate::detect::Category::Name;
            seg.text.match_indices("Jane").map(|(i, m)| Span { start: i, end: i + m.len(), category }).collect()
        }
        fn rewrite(&mut self, _: &Segment<'_>) -> Option<String> {
            unreachable!("text is written by spans")
        }
        fn replace(&mut self, _: crate::detect::Category, _: &str) -> String {
            unreachable!()
        }
        fn apply_spans(&mut self, _: &str, _: &[Span]) -> String {
            unreachable!()
        }
        fn column(&self, _: &str) -> Option<crate::formats::rewrite::ColumnFate> {
            None
        }
        fn column_cell(&mut self, _: &str, _: &str) -> Option<String> {
            None
        }
        fn add_person(&mut self, _: &str, _: &str) -> Option<usize> {
            None
        }
        fn set_row_person(&mut self, _: Option<usize>) {}
        fn nested(&mut self, _: &str, _: &[u8]) -> crate::formats::rewrite::Outcome {
            unreachable!()
        }
        fn rename(&mut self, name: &str) -> String {
            name.to_string()
        }
        fn not_copied(&mut self, _: &str, _: &str) {}
        fn note(&mut self, _: String) {}
        fn k_anonymise(&mut self, _: Option<&str>, _: &[String], _: &mut [Vec<String>]) -> bool {
            false
        }
        fn count(&mut self, _: &'static str, _: String) {}
        fn depth(&self) -> u32 {
            0
        }
        fn nest(&mut self, _: bool) {}
        fn archive_used(&self) -> crate::formats::zip::anonymise::ArchiveUse {
            unreachable!()
        }
    }

    #[test]
    fn the_writer_reads_the_blocks_the_reader_reads() {
        // CRLF, blank and white-space lines, more lines than a block holds,
        // Windows-1252, and a last line ending in a lone CR.
        let mut data = b"Jane Roberts\r\ncaf\xE9 Jane\r\n\r\n   \r\n".to_vec();
        for i in 0..(BLOCK_LINES + 6) {
            data.extend(format!("row {i} Jane\r\n").as_bytes());
        }
        data.extend(b"\nlast Jane\r");
        let mut read = crate::formats::Collect::default();
        crate::formats::text::extract(&crate::formats::Input::Bytes(&data), &mut read, &Limits::default()).unwrap();
        let (text, _) = decode(&data);
        let mut work = Blocks::default();
        let spans = line_spans(&mut work, "line", &text);
        let read: Vec<(String, String)> = read.segments.into_iter().map(|s| (s.0, s.1)).collect();
        assert_eq!(work.0, read);
        // Two blank lines end the first block; one (before the last line) does not.
        assert_eq!(read.len(), 3, "{read:?}");
        // Each span found in a block lands on the same word in the source.
        assert_eq!(spans.len(), text.matches("Jane").count());
        assert!(spans.iter().all(|s| &text[s.start..s.end] == "Jane"));
    }

    /// Lines made as they are read (never held whole), counting the bytes handed out.
    struct Lines {
        n: usize,
        line: Vec<u8>,
        at: usize,
        read: std::rc::Rc<std::cell::Cell<u64>>,
    }

    impl std::io::Read for Lines {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.at == self.line.len() {
                if self.n == 0 {
                    return Ok(0);
                }
                self.n -= 1;
                self.line = format!("Visit {}: Jane Roberts rang from 07700 900123.\r\n", self.n).into_bytes();
                self.at = 0;
            }
            let k = out.len().min(self.line.len() - self.at);
            out[..k].copy_from_slice(&self.line[self.at..self.at + k]);
            self.at += k;
            self.read.set(self.read.get() + k as u64);
            Ok(k)
        }
    }

    /// Records, at each write, how far ahead of the copy the reading is.
    struct Lag {
        read: std::rc::Rc<std::cell::Cell<u64>>,
        written: u64,
        most: u64,
        out: Vec<u8>,
    }

    impl Write for Lag {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.most = self.most.max(self.read.get().saturating_sub(self.written));
            self.written += data.len() as u64;
            self.out.extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_copy_is_written_as_the_source_is_read() {
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let lines = Lines { n: 60_000, line: Vec::new(), at: 0, read: read.clone() };
        let input = Input::Stream { head: Vec::new(), rest: std::cell::RefCell::new(Some(Box::new(lines))), size: 0 };
        let parts = crate::anonymise::TestParts::new();
        let anon = parts.anonymiser();
        let mut work = crate::anonymise::Work::plain(&anon);
        let mut out = Lag { read: read.clone(), written: 0, most: 0, out: Vec::new() };
        write_stream(&mut work, &input, &mut out).unwrap();
        // About 3 MB read and written, never more than a few blocks apart.
        assert!(read.get() > 3_000_000, "{}", read.get());
        assert!(out.most < 1 << 20, "the copy was {} bytes behind the reading", out.most);
        let copy = String::from_utf8(out.out).unwrap();
        assert_eq!(copy.matches("\r\n").count(), 60_000);
        assert!(
            copy.starts_with("Visit 59999: Person_") && copy.ends_with("rang from [PHONE].\r\n"),
            "{}",
            &copy[..200]
        );
        assert!(!copy.contains("Roberts") && !copy.contains("07700"));
    }
}
