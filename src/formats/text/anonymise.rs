//! Plain text and HTML: decoded as the extractor decodes them (UTF-8,
//! UTF-16 with a byte-order mark, else Windows-1252), read in the same blocks
//! of lines, and written back in the same encoding with the same line
//! endings (only the replaced values change).

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use crate::formats::Segment;
use crate::formats::rewrite::{Rewrite, Span};
use crate::formats::text::{Block, LineBlocker};

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

/// Personal data in `text`, read in blocks of lines as the text extractor
/// reads them (`prefix` names the location, `line` or `body line`); spans
/// are byte ranges of `text` itself.
pub fn line_spans(work: &mut dyn Rewrite, prefix: &str, text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut blocker = LineBlocker::default();
    let mut sink = |block: Block<'_>| {
        let seg = Segment::lines(prefix, block.first, block.text);
        for s in work.spans(&seg) {
            spans.push(Span {
                start: block.source_offset(s.start),
                end: block.source_offset(s.end),
                category: s.category,
            });
        }
    };
    for (n, (s, e)) in line_ranges(text).into_iter().enumerate() {
        blocker.push(n as u64 + 1, &text[s..e], s, &mut sink);
    }
    blocker.flush(&mut sink);
    spans
}

/// A text file's copy.
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Vec<u8> {
    let (text, enc) = decode(data);
    let spans = line_spans(work, "line", &text);
    let mut new = work.apply_spans(&text, &spans);
    // Replacing a value changes its neighbours' context: a second pass
    // catches what the new text reveals (as the re-scan would).
    let again = line_spans(work, "line", &new);
    if !again.is_empty() {
        new = work.apply_spans(&new, &again);
    }
    encode(&new, enc)
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
}
