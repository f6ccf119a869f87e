//! Plain text (UTF-8, UTF-16 with BOM, Windows-1252 fallback) and HTML.
//!
//! Text is streamed: lines are gathered into blocks of at most [`BLOCK_LINES`]
//! lines (or [`BLOCK_BYTES`]), cut early at two blank lines in a row, so memory stays
//! bounded whatever the file size while detection still sees neighbouring
//! lines ("Date of birth:" on one line, the date on the next).

pub mod anonymise;

use std::io::{BufRead, BufReader, Read};

use encoding_rs::WINDOWS_1252;
use encoding_rs_io::DecodeReaderBytesBuilder;

use super::{Emit, Input, Limits, Result, Segment};

/// Lines in a block: enough that a register pasted into a text file (a
/// header row, then hundreds of rows) is one block, so its rows are read
/// under its header; [`BLOCK_BYTES`] bounds the memory.
pub const BLOCK_LINES: usize = 1024;
pub const BLOCK_BYTES: usize = 64 << 10;
/// A longer line (minified data, a file with no newlines) is cut into pieces.
pub const MAX_LINE: usize = 1 << 20;

/// Decode one line's bytes: UTF-8 where valid, each byte that is not as
/// Windows-1252 (so a stray byte in UTF-8 text spoils only itself, and text
/// all in Windows-1252 reads as such).
pub fn decode_line(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(decode_mixed(bytes)),
    }
}

/// UTF-8 where valid, Windows-1252 for each byte that is not.
pub fn decode_mixed(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len());
                out.push_str(&WINDOWS_1252.decode_without_bom_handling(&rest[..bad]).0);
                bytes = &rest[bad..];
            }
        }
    }
}

/// Wrap a byte stream so UTF-16 (with BOM) arrives as UTF-8; other bytes pass through.
pub fn utf8_stream<'a>(reader: impl Read + 'a) -> impl BufRead + 'a {
    BufReader::with_capacity(
        256 << 10,
        DecodeReaderBytesBuilder::new().bom_sniffing(true).strip_bom(true).build(reader),
    )
}

/// A text stream that ends at the first NUL byte, as ripgrep reads a file: a
/// text file with binary data after its text (a log with a corrupted tail, a
/// sparse file's hole) is read up to there, and [`TextPart::warn_if_cut`]
/// says so. Wraps a stream from [`utf8_stream`].
pub struct TextPart<R> {
    inner: R,
    /// UTF-16 input (decoded to UTF-8): offsets count UTF-16 code units.
    utf16: bool,
    /// Offset in the file of the next byte handed out.
    offset: u64,
    /// Offset of the NUL byte the stream ended at.
    cut: Option<u64>,
    /// Bytes at the front of the inner buffer already seen to hold no NUL,
    /// so each byte is looked at once, not at every `fill_buf`.
    clean: usize,
}

impl<R: BufRead> TextPart<R> {
    /// `head`: the file's first bytes, for its byte-order mark.
    pub fn new(inner: R, head: &[u8]) -> Self {
        let utf16 = head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF");
        let bom = if utf16 {
            2
        } else if head.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        // The byte-order mark is not handed out: offsets start after it.
        TextPart { inner, utf16, offset: bom, cut: None, clean: 0 }
    }

    /// Where in the file the text ended at a NUL byte, if it did.
    pub fn cut(&self) -> Option<u64> {
        self.cut
    }

    /// Warn that the file was read only up to its binary data, if it was.
    pub fn warn_if_cut(&self, size: u64, emit: &mut dyn Emit) {
        if let Some(at) = self.cut {
            emit.warn(binary_tail_warning(at, size));
        }
    }
}

/// The warning for a text file read up to binary data at byte `at` of `size`.
pub fn binary_tail_warning(at: u64, size: u64) -> String {
    let rest = size.saturating_sub(at);
    let rest = if rest >= 10 << 20 { format!("{} MB", rest >> 20) } else { format!("{rest} bytes") };
    format!(
        "binary data (a NUL byte) from byte {at} on: the text before it was scanned, the rest ({rest}) was not read; \
         if the rest should be text, the file is damaged (or has a hole) there"
    )
}

impl<R: BufRead> Read for TextPart<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for TextPart<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.cut.is_some() {
            return Ok(&[]);
        }
        let buf = self.inner.fill_buf()?;
        if self.clean == 0 {
            match buf.iter().position(|&b| b == 0) {
                Some(0) => {
                    self.cut = Some(self.offset);
                    return Ok(&[]);
                }
                Some(n) => self.clean = n,
                None => self.clean = buf.len(),
            }
        }
        Ok(&buf[..self.clean.min(buf.len())])
    }

    fn consume(&mut self, amt: usize) {
        self.offset += if self.utf16 {
            // The UTF-16 code units of the UTF-8 bytes handed out: one per
            // character, two for those outside the Basic Multilingual Plane.
            let units = match self.inner.fill_buf() {
                Ok(buf) => buf[..amt.min(buf.len())]
                    .iter()
                    .map(|&b| u64::from(b & 0xC0 != 0x80) + u64::from(b >= 0xF0))
                    .sum::<u64>(),
                Err(_) => 0,
            };
            2 * units
        } else {
            amt as u64
        };
        self.inner.consume(amt);
        self.clean = self.clean.saturating_sub(amt);
    }
}

/// Calls `f(line_number, line)` for each line (1-based), with `\r\n` stripped,
/// lines longer than [`MAX_LINE`] split into pieces carrying the same number.
/// Returns the lines so split and the first one's number.
pub fn for_each_line(reader: &mut dyn BufRead, mut f: impl FnMut(u64, &str)) -> Result<(u64, Option<u64>)> {
    for_each_raw_line(reader, |n, line, _| {
        f(n, &decode_line(line));
        Ok(())
    })
}

/// [`for_each_line`] with each line's bytes as they are (not decoded) and
/// what ended it (`\r\n`, `\n`, a last `\r`, or nothing: the end of the
/// stream, or a piece of a long line), so a writer can copy the lines as
/// they were. Stops at the first error `f` returns.
pub fn for_each_raw_line(
    reader: &mut dyn BufRead,
    mut f: impl FnMut(u64, &[u8], &'static [u8]) -> std::io::Result<()>,
) -> Result<(u64, Option<u64>)> {
    let mut line_no = 0u64;
    let mut cut = (0u64, None);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    // True when the previous piece was cut at MAX_LINE, not at a newline.
    let mut continued = false;
    loop {
        buf.clear();
        let mut ended = false;
        let mut newline = false;
        // Read up to a newline or MAX_LINE bytes, whichever first.
        while buf.len() < MAX_LINE {
            let chunk = reader.fill_buf()?;
            if chunk.is_empty() {
                ended = true;
                break;
            }
            let room = MAX_LINE - buf.len();
            let take = chunk.len().min(room);
            match memchr_nl(&chunk[..take]) {
                Some(i) => {
                    buf.extend_from_slice(&chunk[..i]);
                    reader.consume(i + 1);
                    newline = true;
                    break;
                }
                None => {
                    buf.extend_from_slice(&chunk[..take]);
                    reader.consume(take);
                }
            }
        }
        if !newline && !ended {
            // Full: a newline right after still ends this line here.
            let next = reader.fill_buf()?;
            if next.first() == Some(&b'\n') {
                reader.consume(1);
                newline = true;
            } else if next.is_empty() {
                ended = true;
            }
        }
        if ended && buf.is_empty() {
            return Ok(cut);
        }
        if !continued {
            line_no += 1;
        }
        let was_continued = continued;
        continued = !newline && !ended;
        if continued && !was_continued {
            cut.0 += 1;
            cut.1.get_or_insert(line_no);
        }
        let cr = buf.last() == Some(&b'\r');
        if cr {
            buf.pop();
        }
        let ending: &'static [u8] = match (cr, newline) {
            (true, true) => b"\r\n",
            (false, true) => b"\n",
            (true, false) => b"\r",
            (false, false) => b"",
        };
        f(line_no, &buf, ending)?;
        if ended {
            return Ok(cut);
        }
    }
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

/// A block of lines, joined by `\n`.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    /// The first line's number.
    pub first: u64,
    pub text: &'a str,
    /// For each line: its offset in `text`, and the offset the caller gave
    /// with it (where the line starts in the source, for writers).
    pub starts: &'a [(usize, usize)],
}

impl Block<'_> {
    /// The source offset of byte `x` of the block's text.
    pub fn source_offset(&self, x: usize) -> usize {
        let i = self.starts.partition_point(|&(b, _)| b <= x).saturating_sub(1);
        let (b, t) = self.starts[i];
        t + (x - b)
    }
}

/// The one line blocker: gathers lines into blocks of at most
/// [`BLOCK_LINES`] lines (or [`BLOCK_BYTES`]), cut early at two blank lines in a row and
/// where line numbers are not contiguous (a long line split in pieces keeps
/// its number), and hands each block to a sink. Readers emit blocks as
/// segments ([`Blocks`]); writers map findings back to the source by
/// [`Block::source_offset`].
#[derive(Debug, Default)]
pub struct LineBlocker {
    block: String,
    first: u64,
    starts: Vec<(usize, usize)>,
    /// The last line gathered is blank.
    blank: bool,
}

impl LineBlocker {
    /// Add line `line_no`, which starts at `source` in the caller's text.
    pub fn push(&mut self, line_no: u64, line: &str, source: usize, sink: &mut impl FnMut(Block<'_>)) {
        // One blank line stays in the block ("Kind regards,", a blank line,
        // the name; "Date of birth:", a blank line, the date); two end it.
        let blank = line.trim().is_empty();
        if blank && (self.starts.is_empty() || self.blank) {
            self.flush(sink);
            return;
        }
        if !self.starts.is_empty() && self.first + self.starts.len() as u64 != line_no {
            self.flush(sink);
            if blank {
                return;
            }
        }
        self.blank = blank;
        if self.starts.is_empty() {
            self.first = line_no;
        } else {
            self.block.push('\n');
        }
        self.starts.push((self.block.len(), source));
        self.block.push_str(line);
        if self.starts.len() >= BLOCK_LINES || self.block.len() >= BLOCK_BYTES {
            self.flush(sink);
        }
    }

    /// Are no lines waiting to be handed on?
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Hand on the lines gathered, if any.
    pub fn flush(&mut self, sink: &mut impl FnMut(Block<'_>)) {
        // A blank line ends no block.
        if self.blank
            && let Some((at, _)) = self.starts.pop()
        {
            self.block.truncate(at.saturating_sub(1));
        }
        if !self.starts.is_empty() {
            sink(Block { first: self.first, text: &self.block, starts: &self.starts });
        }
        self.block.clear();
        self.starts.clear();
        self.blank = false;
    }
}

/// Gathers lines into blocks and emits each as one segment.
pub struct Blocks<'e> {
    prefix: &'static str,
    emit: &'e mut dyn Emit,
    lines: LineBlocker,
}

impl<'e> Blocks<'e> {
    pub fn new(prefix: &'static str, emit: &'e mut dyn Emit) -> Self {
        Blocks { prefix, emit, lines: LineBlocker::default() }
    }

    pub fn push(&mut self, line_no: u64, line: &str) {
        let (prefix, emit) = (self.prefix, &mut *self.emit);
        self.lines.push(line_no, line, 0, &mut |b| emit.segment(Segment::lines(prefix, b.first, b.text)));
    }

    pub fn flush(&mut self) {
        let (prefix, emit) = (self.prefix, &mut *self.emit);
        self.lines.flush(&mut |b| emit.segment(Segment::lines(prefix, b.first, b.text)));
    }
}

/// Emit text already in memory as line blocks with locations `{prefix} N`.
pub fn emit_text(prefix: &'static str, text: &str, emit: &mut dyn Emit) {
    let mut blocks = Blocks::new(prefix, emit);
    for (i, line) in text.lines().enumerate() {
        blocks.push(i as u64 + 1, line);
    }
    blocks.flush();
}

/// A text stream over `input`, decoded to UTF-8, ending at its first NUL byte.
pub fn text_stream<'a>(input: &Input<'a>) -> Result<TextPart<impl BufRead + 'a>> {
    let head = input.head(4)?;
    Ok(TextPart::new(utf8_stream(input.reader()?), &head))
}

pub fn extract(input: &Input<'_>, emit: &mut dyn Emit, _limits: &Limits) -> Result<()> {
    let mut reader = text_stream(input)?;
    let mut blocks = Blocks::new("line", emit);
    let cut = for_each_line(&mut reader, |n, line| blocks.push(n, line))?;
    blocks.flush();
    drop(blocks);
    if let (n, Some(first)) = cut {
        emit.warn(format!(
            "{n} line(s) longer than {} MB (the first is line {first}) were read in pieces of {} MB: \
             an item cut in two where pieces meet may be missed",
            MAX_LINE >> 20,
            MAX_LINE >> 20
        ));
    }
    reader.warn_if_cut(input.size(), emit);
    Ok(())
}

/// HTML: rendered to plain text first; locations count lines of that text.
/// Like text, it is read up to its first NUL byte.
pub fn extract_html(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let bytes = input.bytes(limits.max_in_memory)?;
    let text_part = super::sniff::text_part(&bytes);
    let text = html_to_text(text_part);
    emit_text("text line", &text, emit);
    if text_part.len() < bytes.len() {
        emit.warn(binary_tail_warning(text_part.len() as u64, bytes.len() as u64));
    }
    Ok(())
}

/// Deepest element nesting handed to html2text, whose time grows with the
/// square of the depth (50,000 nested `<div>`s took minutes).
pub const MAX_HTML_NESTING: usize = 500;

/// Render HTML (any charset the bytes decode as) to plain text. Deeply
/// nested markup (hostile, or machine-made) has its tags stripped instead.
pub fn html_to_text(bytes: &[u8]) -> String {
    if html_nesting(bytes) > MAX_HTML_NESTING {
        return strip_tags(&String::from_utf8_lossy(bytes));
    }
    // Raw mode: each table cell on lines of its own, no borders and no
    // padding to column widths. Laid out as tables, a 34 KB message of
    // nested or wide tables rendered to megabytes of spaces and box
    // characters, which detection then had to wade through.
    html2text::config::plain_no_decorate()
        .raw_mode(true)
        .string_from_read(bytes, 10_000)
        .unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned())
}

/// Elements that never take a closing tag.
const VOID: &[&[u8]] = &[
    b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta", b"param", b"source",
    b"track", b"wbr", b"p", b"li", b"td", b"tr", b"option",
];

/// The deepest nesting of open tags, roughly: opening tags (not void, not
/// self-closed) count up, closing tags count down.
fn html_nesting(bytes: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&b| b == b'<') {
        let tag = &bytes[i + off + 1..];
        let end = tag.iter().position(|&b| b == b'>').unwrap_or(tag.len());
        i += off + 1 + end;
        let (inner, closing) = match tag.first() {
            Some(b'/') => (&tag[1..end], true),
            Some(b) if b.is_ascii_alphabetic() => (&tag[..end], false),
            _ => continue,
        };
        let name_len = inner.iter().position(|b| !b.is_ascii_alphanumeric()).unwrap_or(inner.len());
        let name = inner[..name_len].to_ascii_lowercase();
        if VOID.contains(&name.as_slice()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else if !inner.ends_with(b"/") {
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}

/// Text between tags: inline tags vanish, others become line breaks; the
/// commonest entities are decoded.
fn strip_tags(html: &str) -> String {
    const INLINE: &[&str] = &["a", "b", "i", "u", "em", "strong", "span", "font", "small", "sub", "sup"];
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('>').map_or(after.len(), |c| c + 1);
        let name: String = after
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if !INLINE.contains(&name.as_str()) && !out.ends_with('\n') {
            out.push('\n');
        }
        rest = &after[close..];
    }
    out.push_str(rest);
    for (entity, ch) in
        [("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")]
    {
        out = out.replace(entity, ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Collect;

    fn run(bytes: &[u8]) -> Collect {
        let mut c = Collect::default();
        extract(&Input::Bytes(bytes), &mut c, &Limits::default()).unwrap();
        c
    }

    #[test]
    fn blocks_keep_line_numbers() {
        let c = run(b"first\nsecond\n\n\nfifth\r\nsixth");
        assert_eq!(c.segments.len(), 2);
        assert_eq!(c.segments[0].0, "line 1");
        assert_eq!(c.segments[0].1, "first\nsecond");
        assert_eq!(c.segments[1].0, "line 5");
        assert_eq!(c.segments[1].1, "fifth\nsixth");
    }

    #[test]
    fn decodes_utf16_and_cp1252() {
        let utf16: Vec<u8> =
            b"\xFF\xFE".iter().copied().chain("Zoë Smith".encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
        assert_eq!(run(&utf16).all_text(), "Zoë Smith");
        assert_eq!(run(b"Zo\xEB Smith \x80 5").all_text(), "Zoë Smith € 5");
    }

    #[test]
    fn deeply_nested_html_is_stripped_not_rendered() {
        let n = 50_000;
        let html = format!(
            "<html><body>{}Jane <b>Roberts</b> &amp; co{}</body></html>",
            "<div>".repeat(n),
            "</div>".repeat(n)
        );
        let start = std::time::Instant::now();
        let text = html_to_text(html.as_bytes());
        assert!(start.elapsed() < std::time::Duration::from_secs(5), "took {:?}", start.elapsed());
        assert!(text.contains("Jane Roberts & co"), "{text:?}");
        // Ordinary pages with many void elements are still rendered by html2text.
        let page = format!("<p>{}</p><table><tr><td>Jane Roberts</td></tr></table>", "a<br>".repeat(2000));
        assert!(html_nesting(page.as_bytes()) < 5);
    }

    #[test]
    fn text_ends_at_the_first_nul_with_a_warning_giving_its_offset() {
        let c = run(b"first\nsecond\0\0\0third\n");
        assert_eq!(c.all_text(), "first\nsecond");
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].starts_with("binary data (a NUL byte) from byte 12 on"), "{:?}", c.warnings);
        assert!(c.warnings[0].contains("the rest (9 bytes) was not read"), "{:?}", c.warnings);
        // In UTF-16 the offset counts the file's bytes, BOM included.
        let mut utf16 = hostile_utf16("Zoë 😀\nx");
        utf16.extend([0, 0, 0, 0]);
        let c = run(&utf16);
        assert_eq!(c.all_text(), "Zoë 😀\nx");
        assert!(c.warnings[0].contains(&format!("from byte {} on", utf16.len() - 4)), "{:?}", c.warnings);
        // A UTF-8 BOM is counted too; text with no NUL has no warning.
        let c = run(b"\xEF\xBB\xBFab\0");
        assert!(c.warnings[0].contains("from byte 5 on"), "{:?}", c.warnings);
        assert!(run(b"plain text\n").warnings.is_empty());
    }

    fn hostile_utf16(text: &str) -> Vec<u8> {
        [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
    }

    /// Markup that a table layout renders to far more text than it holds
    /// (each cell padded to its column's width, borders around each table,
    /// nested tables inside cells): rendered compactly, cells in order,
    /// the output no larger than the input.
    #[test]
    fn table_layouts_render_compactly() {
        let nested = |n: usize| {
            let mut s = String::new();
            for i in 0..n {
                s.push_str(&format!("<table border=1><tr><td>cell {i}</td><td>"));
            }
            s.push_str("Jane Roberts 07700 900123");
            s.push_str(&"</td></tr></table>".repeat(n));
            s
        };
        let wide = |n: usize| {
            format!("<table><tr>{}</tr><tr>{}</tr></table>", "<td>x</td>".repeat(n), "<td>Jane Roberts</td>".repeat(n))
        };
        let grid = |n: usize| {
            let row = format!("<tr>{}</tr>", "<td><table><tr><td>a</td><td>bb</td></tr></table></td>".repeat(n));
            format!("<table>{}<tr><td>Jane Roberts 07700 900123</td></tr></table>", row.repeat(n))
        };
        for (name, html) in [("nested", nested(150)), ("wide", wide(3000)), ("grid", grid(40))] {
            let text = html_to_text(html.as_bytes());
            assert!(text.len() <= html.len(), "{name}: {} bytes of HTML rendered to {}", html.len(), text.len());
            assert!(text.contains("Jane Roberts"), "{name}: {text}");
            assert!(!text.contains(['─', '│', '┼']), "{name}: no borders");
        }
        let text = html_to_text(b"<table><tr><td>Name:</td><td>Jane Roberts</td></tr></table>");
        assert_eq!(text.split_whitespace().collect::<Vec<_>>(), ["Name:", "Jane", "Roberts"]);
    }

    #[test]
    fn long_lines_are_cut_not_loaded_whole() {
        let long = vec![b'a'; MAX_LINE * 2 + 10];
        let c = run(&long);
        assert_eq!(c.segments.len(), 3);
        assert!(c.segments.iter().all(|s| s.0 == "line 1" && s.1.len() <= MAX_LINE));
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].starts_with("1 line(s) longer than 1 MB (the first is line 1)"), "{:?}", c.warnings);
        // A line of exactly MAX_LINE bytes is not cut.
        let c = run(&[vec![b'a'; MAX_LINE], b"\nb".to_vec()].concat());
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }
}
