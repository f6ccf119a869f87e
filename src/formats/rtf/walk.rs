//! The one RTF scanner, read by the reader and the writer alike: the
//! tokenizer, and the walker over groups and control words that decides
//! which groups are text and which are skipped, decodes `\'hh` bytes (font
//! charset or document code page), `\uN` characters (with `\ucN` fallback
//! skipping and surrogate pairs) and special characters, and hands each
//! piece of text, with the source bytes it came from, to a [`Sink`]. The
//! reader's sink builds paragraphs and tables; the writer's keeps the
//! pieces' spans to patch them.

use std::collections::HashMap;

use encoding_rs::Encoding;

/// Deepest group nesting kept; deeper braces are counted but not stacked.
pub(crate) const MAX_DEPTH: usize = 1000;

/// Destinations skipped whole.
pub(crate) const SKIPPED: &[&str] = &[
    "colortbl",
    "stylesheet",
    "listtable",
    "listoverridetable",
    "revtbl",
    "rsidtbl",
    "generator",
    "xmlnstbl",
    "themedata",
    "colorschememapping",
    "latentstyles",
    "datastore",
    "pict",
    "objdata",
    "objclass",
    "objname",
    "nonshppict",
    "fldinst",
    "bkmkstart",
    "bkmkend",
    "pntext",
    "pntxta",
    "pntxtb",
    "listtext",
    "sp",
    "filetbl",
    "pgdsctbl",
    "mmathPr",
    "atnid",
    "atnref",
    "atndate",
    "atnicn",
    "atnparent",
    "fldtype",
    "template",
    "userprops",
    "xe",
    "tc",
    "nonesttables",
];

/// `\*` destinations that hold text worth reading (other `\*` groups are skipped).
pub(crate) const STARRED_KEPT: &[&str] = &["shpinst", "annotation", "atnauthor", "shptxt"];

/// The control word starting a text of its own (a header, footer, note,
/// comment or its author, text box), as a `'static` name.
pub(crate) fn side_text(word: &str) -> Option<&'static str> {
    Some(match word {
        "header" => "header",
        "headerl" => "headerl",
        "headerr" => "headerr",
        "headerf" => "headerf",
        "footer" => "footer",
        "footerl" => "footerl",
        "footerr" => "footerr",
        "footerf" => "footerf",
        "footnote" => "footnote",
        "annotation" => "annotation",
        "atnauthor" => "atnauthor",
        "shptxt" => "shptxt",
        _ => return None,
    })
}

/// Whether a control word shapes the text: paragraphs, breaks, tables.
pub(crate) fn is_structure(word: &str) -> bool {
    matches!(word, "par" | "sect" | "line" | "tab" | "cell" | "row" | "nestcell" | "nestrow" | "intbl" | "pard")
}

/// `\info` fields: control word, location, context.
pub(crate) const META: &[(&str, &str, &str)] = &[
    ("author", "metadata creator", "Author"),
    ("operator", "metadata lastModifiedBy", "Author"),
    ("title", "metadata title", "Document title"),
    ("subject", "metadata subject", "Subject"),
    ("keywords", "metadata keywords", "Keywords"),
    ("doccomm", "metadata description", "Description"),
    ("company", "metadata company", "Company"),
    ("manager", "metadata manager", "Manager"),
];

/// Where the text of a group goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Dest {
    Body,
    /// Ignored, with everything inside.
    Skip,
    /// Ignored, but fonts' charsets are noted.
    FontTable,
    /// Ignored, but metadata fields inside are read.
    Info,
    /// A text of its own, numbered by the sink.
    Side(usize),
    /// The revision table: each group inside is one reviser (writer only).
    Revisions,
    /// Left out of the copy with everything inside (writer only).
    Remove,
}

/// What the sink makes of a destination the reader skips.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Hidden {
    Skip,
    /// Left out of the copy: what it holds.
    Remove(&'static str),
    /// A text of the sink's own.
    Side(usize),
    /// The revision table.
    Revisions,
}

/// A piece of text and where it came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece<'a> {
    pub text: &'a str,
    /// Source bytes; `None` for breaks and tabs standing for control words.
    pub src: Option<(usize, usize)>,
    /// The token before it is a control word not ended by a space.
    pub after_word: bool,
    /// `\ucN` in effect.
    pub uc: u32,
}

/// What the walker tells its reader or writer.
pub(crate) trait Sink {
    /// Whether each character's source bytes matter (a writer's): if not,
    /// runs of plain text are handed on together, which is faster.
    fn spans(&self) -> bool {
        true
    }
    /// Text for the body or a side text.
    fn text(&mut self, dest: Dest, piece: Piece<'_>);
    /// A word [`is_structure`] says shapes the text, in the body or a side text.
    fn structure(&mut self, dest: Dest, word: &str);
    /// A group starts a side text: the word ([`side_text`], or an `\info`
    /// field of [`META`]); its number for [`Dest::Side`].
    fn side(&mut self, word: &'static str) -> usize;
    /// The last `\uN` character's skipped fallback runs up to `end`.
    fn fallback(&mut self, _end: usize) {}
    /// A destination the reader skips (`\objdata`, `\fldinst`, `\revtbl`...)
    /// at group depth `depth`: what to do with it.
    fn hidden(&mut self, _word: &str, _depth: usize) -> Hidden {
        Hidden::Skip
    }
    /// A group opened inside the revision table: its side text.
    fn reviser(&mut self) -> Option<usize> {
        None
    }
    /// A removed group closed: its bytes and what it held.
    fn removed(&mut self, _start: usize, _end: usize, _what: &'static str) {}
    /// Braces were nested past [`MAX_DEPTH`].
    fn too_deep(&mut self) {}
}

/// State saved and restored by braces.
#[derive(Debug, Clone, Copy)]
struct Group {
    dest: Dest,
    /// How many fallback characters follow a `\uN`.
    uc: u32,
    font: Option<i32>,
    /// Offset of the group's `{`.
    start: usize,
    /// Set on a removed group: what it holds.
    removed: Option<&'static str>,
}

/// Walk `data` (an RTF file), telling `sink` what it holds.
pub(crate) fn walk(data: &[u8], sink: &mut dyn Sink) {
    let coarse = !sink.spans();
    let mut w = Walker {
        coarse,
        run: String::new(),
        sink,
        stack: vec![Group { dest: Dest::Body, uc: 1, font: None, start: 0, removed: None }],
        overflow: 0,
        starred: false,
        skip: 0,
        fallback_of_piece: false,
        high_surrogate: None,
        pending: Vec::new(),
        codepage: encoding_rs::WINDOWS_1252,
        font_charsets: HashMap::new(),
        font_def: None,
        open_word: false,
    };
    for (token, start, end) in Tokens::new(data) {
        if coarse {
            // Plain ASCII text gathers into one run while nothing else comes.
            if let Token::Text(b) = token
                && b.is_ascii()
                && w.skip == 0
            {
                w.flush_pending();
                w.run.push(char::from(b));
                w.open_word = false;
                continue;
            }
            w.flush_run();
        }
        match token {
            Token::Open => w.open_group(start),
            Token::Close => w.close_group(start),
            Token::Word { name, param, delimited } => {
                w.word(name, param, start, end);
                w.open_word = !delimited;
                continue;
            }
            Token::Bin | Token::Newline => {}
            Token::Hex(byte) => w.hex(byte, start, end),
            Token::Symbol(c) => w.symbol(c, start, end),
            Token::Text(b) => w.literal(b, start),
        }
        w.open_word = false;
    }
    w.flush_run();
    w.flush_pending();
}

struct Walker<'s> {
    sink: &'s mut dyn Sink,
    /// The sink does not need source bytes: text is handed on in runs.
    coarse: bool,
    /// Plain text gathered while `coarse`, not yet handed on.
    run: String,
    stack: Vec<Group>,
    /// Braces opened past [`MAX_DEPTH`], still to be closed.
    overflow: usize,
    /// The last control was `\*`.
    starred: bool,
    /// Fallback characters still to skip after `\uN`.
    skip: u32,
    /// The fallback being skipped belongs to the last piece handed on.
    fallback_of_piece: bool,
    /// A high surrogate waiting for its low half: value, source start, after_word.
    high_surrogate: Option<(u32, usize, bool)>,
    /// `\'hh` and 8-bit bytes waiting to be decoded: byte, source range, after_word.
    pending: Vec<(u8, usize, usize, bool)>,
    codepage: &'static Encoding,
    font_charsets: HashMap<i32, &'static Encoding>,
    font_def: Option<i32>,
    /// The last token was a control word not ended by a space.
    open_word: bool,
}

impl Walker<'_> {
    fn top(&self) -> Group {
        self.stack.last().copied().unwrap_or(Group { dest: Dest::Skip, uc: 1, font: None, start: 0, removed: None })
    }

    fn set_dest(&mut self, dest: Dest) {
        if let Some(g) = self.stack.last_mut() {
            g.dest = dest;
        }
    }

    /// Hand on the plain text gathered (coarse walks only).
    fn flush_run(&mut self) {
        if !self.run.is_empty() {
            let run = std::mem::take(&mut self.run);
            self.put(&run, None);
            self.run = run;
            self.run.clear();
        }
    }

    /// A brace ends what was pending and any skip, surrogate or `\*` in progress.
    fn at_brace(&mut self) {
        self.flush_pending();
        self.skip = 0;
        self.fallback_of_piece = false;
        self.high_surrogate = None;
        self.starred = false;
    }

    fn open_group(&mut self, start: usize) {
        self.at_brace();
        if self.stack.len() >= MAX_DEPTH {
            self.overflow += 1;
            self.sink.too_deep();
            return;
        }
        let mut g = self.top();
        g.start = start;
        g.removed = None;
        if g.dest == Dest::Revisions {
            g.dest = self.sink.reviser().map_or(Dest::Skip, Dest::Side);
        }
        self.stack.push(g);
    }

    fn close_group(&mut self, at: usize) {
        self.at_brace();
        if self.overflow > 0 {
            self.overflow -= 1;
        } else if self.stack.len() > 1
            && let Some(g) = self.stack.pop()
            && let Some(what) = g.removed
        {
            self.sink.removed(g.start, at + 1, what);
        }
    }

    /// One fallback character of a `\uN` skipped, its bytes up to `end`.
    fn skipped(&mut self, end: usize) {
        self.skip -= 1;
        if self.fallback_of_piece {
            self.sink.fallback(end);
        }
    }

    /// A plain byte of text at `start`.
    fn literal(&mut self, b: u8, start: usize) {
        if self.skip > 0 {
            return self.skipped(start + 1);
        }
        if b.is_ascii() {
            self.flush_pending();
            let mut buf = [0u8; 4];
            self.put((b as char).encode_utf8(&mut buf), Some((start, start + 1)));
        } else {
            self.pending.push((b, start, start + 1, self.open_word));
        }
    }

    /// A `\'hh` byte spanning `start..end` of the source.
    fn hex(&mut self, byte: Option<u8>, start: usize, end: usize) {
        if let Some(byte) = byte {
            if self.skip > 0 {
                self.skipped(end);
            } else {
                self.pending.push((byte, start, end, self.open_word));
            }
        }
    }

    /// A control symbol (`\\`, `\~`, `\*`...) other than `\'hh`, spanning `start..end`.
    fn symbol(&mut self, c: u8, start: usize, end: usize) {
        if c != b'*' {
            self.flush_pending();
        }
        let src = Some((start, end));
        match c {
            b'*' => self.starred = true,
            b'\\' | b'{' | b'}' => {
                if self.skip > 0 {
                    self.skipped(end);
                } else {
                    let text = match c {
                        b'\\' => "\\",
                        b'{' => "{",
                        _ => "}",
                    };
                    self.put(text, src);
                }
            }
            b'~' => self.put(" ", src),
            b'_' => self.put("-", src),
            b'\r' | b'\n' => self.word("par", None, start, end),
            _ => {}
        }
    }

    /// A control word spanning `start..end` of the source.
    fn word(&mut self, word: &str, param: Option<i32>, start: usize, end: usize) {
        let starred = std::mem::take(&mut self.starred);
        let dest = self.top().dest;
        if matches!(dest, Dest::Skip | Dest::Remove) {
            return;
        }
        if self.skip > 0 && !matches!(word, "u" | "uc") {
            return self.skipped(end);
        }
        self.flush_pending();
        if dest == Dest::FontTable {
            return self.font_word(word, param);
        }
        let skipped = SKIPPED.contains(&word);
        if skipped {
            match self.sink.hidden(word, self.stack.len()) {
                Hidden::Skip => {}
                Hidden::Remove(what) => {
                    if let Some(g) = self.stack.last_mut() {
                        g.dest = Dest::Remove;
                        g.removed = Some(what);
                    }
                    return;
                }
                Hidden::Side(n) => return self.set_dest(Dest::Side(n)),
                Hidden::Revisions => return self.set_dest(Dest::Revisions),
            }
        }
        // Word writes some \info fields starred (`{\*\company ...}`).
        let kept = STARRED_KEPT.contains(&word) || (dest == Dest::Info && META.iter().any(|m| m.0 == word));
        if (starred && !kept) || skipped {
            return self.set_dest(Dest::Skip);
        }
        match word {
            "fonttbl" => self.set_dest(Dest::FontTable),
            "info" => self.set_dest(Dest::Info),
            _ if dest == Dest::Info => {
                if let Some(field) = META.iter().find(|m| m.0 == word) {
                    let n = self.sink.side(field.0);
                    self.set_dest(Dest::Side(n));
                }
            }
            "ansicpg" => self.codepage = param.and_then(codepage).unwrap_or(self.codepage),
            "mac" => self.codepage = encoding_rs::MACINTOSH,
            "uc" => {
                if let Some(g) = self.stack.last_mut() {
                    g.uc = param.unwrap_or(1).clamp(0, 16) as u32;
                }
            }
            "u" => self.unicode(param.unwrap_or(0), start, end),
            "f" => {
                if let Some(g) = self.stack.last_mut() {
                    g.font = param;
                }
            }
            _ => self.text_word(word, start, end),
        }
    }

    /// Words that produce text or structure.
    fn text_word(&mut self, word: &str, start: usize, end: usize) {
        let src = Some((start, end));
        let special = match word {
            "emdash" => "\u{2014}",
            "endash" => "\u{2013}",
            "bullet" => "\u{2022}",
            "lquote" => "\u{2018}",
            "rquote" => "\u{2019}",
            "ldblquote" => "\u{201C}",
            "rdblquote" => "\u{201D}",
            "emspace" | "enspace" | "qmspace" => " ",
            _ => "",
        };
        if !special.is_empty() {
            return self.put(special, src);
        }
        if let Some(side) = side_text(word) {
            let n = self.sink.side(side);
            return self.set_dest(Dest::Side(n));
        }
        let dest = self.top().dest;
        if is_structure(word) && matches!(dest, Dest::Body | Dest::Side(_)) {
            self.sink.structure(dest, word);
        }
    }

    /// Inside `\fonttbl`: note each font's charset.
    fn font_word(&mut self, word: &str, param: Option<i32>) {
        match (word, param) {
            ("f", Some(n)) => self.font_def = Some(n),
            ("fcharset", Some(cs)) => {
                if let (Some(f), Some(enc)) = (self.font_def, charset(cs)) {
                    self.font_charsets.insert(f, enc);
                }
            }
            _ => {}
        }
    }

    /// `\uN` spanning `start..end`: a UTF-16 unit (negative values wrap),
    /// then its fallback is skipped.
    fn unicode(&mut self, n: i32, start: usize, end: usize) {
        let unit = if n < 0 { (n + 65536) as u32 } else { n as u32 };
        self.skip = self.top().uc;
        self.fallback_of_piece = false;
        let after_word = self.open_word;
        let (ch, from, after_word) = match unit {
            0xD800..=0xDBFF => {
                self.high_surrogate = Some((unit, start, after_word));
                return;
            }
            0xDC00..=0xDFFF => match self.high_surrogate.take() {
                Some((high, from, aw)) => {
                    (char::from_u32(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)), from, aw)
                }
                None => (None, start, after_word),
            },
            _ => (char::from_u32(unit), start, after_word),
        };
        if let Some(ch) = ch {
            self.fallback_of_piece = self.put_with(ch.encode_utf8(&mut [0u8; 4]), Some((from, end)), after_word);
        }
    }

    /// Decode waiting bytes with the current font's charset or the document
    /// code page: one piece per byte in single-byte code pages, one piece for
    /// the run in double-byte ones.
    fn flush_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.pending);
        let enc = self.top().font.and_then(|f| self.font_charsets.get(&f).copied()).unwrap_or(self.codepage);
        if enc.is_single_byte() && !self.coarse {
            for (b, s, e, aw) in bytes {
                let byte = [b];
                let (text, _) = enc.decode_without_bom_handling(&byte);
                self.put_with(&text, Some((s, e)), aw);
            }
        } else if let (Some(first), Some(last)) = (bytes.first().copied(), bytes.last().copied()) {
            let raw: Vec<u8> = bytes.iter().map(|b| b.0).collect();
            let (text, _) = enc.decode_without_bom_handling(&raw);
            self.put_with(&text, Some((first.1, last.2)), first.3);
        }
    }

    fn put(&mut self, text: &str, src: Option<(usize, usize)>) {
        let after_word = self.open_word;
        self.put_with(text, src, after_word);
    }

    /// Text for the current destination, if it is text: whether it was handed on.
    fn put_with(&mut self, text: &str, src: Option<(usize, usize)>, after_word: bool) -> bool {
        let top = self.top();
        let is_text = matches!(top.dest, Dest::Body | Dest::Side(_));
        if is_text {
            self.sink.text(top.dest, Piece { text, src, after_word, uc: top.uc });
        }
        is_text
    }
}

/// The encoding of a Windows code page number.
pub(crate) fn codepage(cp: i32) -> Option<&'static Encoding> {
    let label = match cp {
        874 | 1250..=1258 => format!("windows-{cp}"),
        932 => "shift_jis".into(),
        936 => "gbk".into(),
        949 => "euc-kr".into(),
        950 => "big5".into(),
        866 => "ibm866".into(),
        10000 => "macintosh".into(),
        20866 => "koi8-r".into(),
        28591..=28606 => format!("iso-8859-{}", cp - 28590),
        65001 => "utf-8".into(),
        _ => return None,
    };
    Encoding::for_label(label.as_bytes())
}

/// The encoding of an RTF font charset (`\fcharsetN`); `None` for the
/// document default (ANSI, default, symbol and OEM fonts).
pub(crate) fn charset(cs: i32) -> Option<&'static Encoding> {
    let cp = match cs {
        77 => 10000,
        128 => 932,
        129 => 949,
        134 => 936,
        136 => 950,
        161 => 1253,
        162 => 1254,
        163 => 1258,
        177 => 1255,
        178 => 1256,
        186 => 1257,
        204 => 1251,
        222 => 874,
        238 => 1250,
        _ => return None,
    };
    codepage(cp)
}

/// One token of RTF. Each comes with the source bytes it spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// `{`
    Open,
    /// `}`
    Close,
    /// A control word (`\par`, `\u-3913`, `\f1 ` with its delimiting space).
    Word { name: &'a str, param: Option<i32>, delimited: bool },
    /// `\binN` with the N bytes of binary data after it.
    Bin,
    /// `\'hh`: its byte, `None` when the escape is damaged.
    Hex(Option<u8>),
    /// Any other control symbol: `\\`, `\{`, `\}`, `\~`, `\_`, `\*`,
    /// a backslash before a line break (a paragraph), ...
    Symbol(u8),
    /// A byte of text.
    Text(u8),
    /// A raw line break, which RTF ignores.
    Newline,
}

/// The one RTF tokenizer, read by the extractor and the writer alike:
/// tokens with their source byte ranges (`start..end`).
pub(crate) struct Tokens<'a> {
    data: &'a [u8],
    i: usize,
}

impl<'a> Tokens<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Tokens { data, i: 0 }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = (Token<'a>, usize, usize);

    fn next(&mut self) -> Option<Self::Item> {
        let data = self.data;
        let start = self.i;
        let b = *data.get(start)?;
        let i = start + 1;
        let (token, end) = match b {
            b'{' => (Token::Open, i),
            b'}' => (Token::Close, i),
            b'\\' => match data.get(i) {
                // A backslash ending the file: nothing.
                None => {
                    self.i = i;
                    return None;
                }
                Some(&c) if c.is_ascii_alphabetic() => {
                    let ControlWord { name, param, delimited, end } = control_word(data, i);
                    if name == "bin" {
                        // Binary data: skip its bytes, whatever they hold.
                        (Token::Bin, end.saturating_add(param.unwrap_or(0).max(0) as usize).min(data.len()))
                    } else {
                        (Token::Word { name, param, delimited }, end)
                    }
                }
                Some(b'\'') => {
                    let (byte, end) = hex_escape(data, i);
                    (Token::Hex(byte), end)
                }
                Some(&c) => (Token::Symbol(c), i + 1),
            },
            b'\r' | b'\n' => (Token::Newline, i),
            _ => (Token::Text(b), i),
        };
        self.i = end;
        Some((token, start, end))
    }
}

/// A control word as it stands in RTF source: `\\name-123 `.
pub(crate) struct ControlWord<'a> {
    pub name: &'a str,
    pub param: Option<i32>,
    /// It ends with the space that delimits it (included in `end`).
    pub delimited: bool,
    /// Where reading continues.
    pub end: usize,
}

/// Read the control word whose name starts at `i`, just after its backslash:
/// up to 32 letters, an optional signed number of up to 10 digits (clamped to
/// `i32`), and one delimiting space.
pub(crate) fn control_word(data: &[u8], mut i: usize) -> ControlWord<'_> {
    let start = i;
    while i < data.len() && data[i].is_ascii_alphabetic() && i - start < 32 {
        i += 1;
    }
    let name = std::str::from_utf8(&data[start..i]).unwrap_or("");
    let num_start = i;
    if data.get(i) == Some(&b'-') {
        i += 1;
    }
    while i < data.len() && data[i].is_ascii_digit() && i - num_start < 11 {
        i += 1;
    }
    let param = std::str::from_utf8(&data[num_start..i]).ok().and_then(|s| s.parse::<i64>().ok());
    let param = param.map(|p| p.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
    let delimited = data.get(i) == Some(&b' ');
    ControlWord { name, param, delimited, end: i + usize::from(delimited) }
}

/// The byte of the `\\'hh` escape whose quote is at `i`, and where reading
/// continues. A damaged escape gives no byte, and is dropped with any hex
/// digit that follows.
pub(crate) fn hex_escape(data: &[u8], i: usize) -> (Option<u8>, usize) {
    let hex =
        data.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
    match hex {
        Some(byte) => (Some(byte), i + 3),
        None => (None, i + 1 + data[i + 1..].iter().take(2).take_while(|b| b.is_ascii_hexdigit()).count()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_their_source_bytes() {
        let data = b"{\\b1 x\\'e9\\'zz\\\\\\bin2 }{\r\n\\u-3913?\\";
        let tokens: Vec<_> = Tokens::new(data).map(|(t, s, e)| (t, &data[s..e])).collect();
        assert_eq!(
            tokens,
            [
                (Token::Open, &b"{"[..]),
                (Token::Word { name: "b", param: Some(1), delimited: true }, b"\\b1 "),
                (Token::Text(b'x'), b"x"),
                (Token::Hex(Some(0xE9)), b"\\'e9"),
                (Token::Hex(None), b"\\'"),
                (Token::Text(b'z'), b"z"),
                (Token::Text(b'z'), b"z"),
                (Token::Symbol(b'\\'), b"\\\\"),
                (Token::Bin, b"\\bin2 }{"),
                (Token::Newline, b"\r"),
                (Token::Newline, b"\n"),
                (Token::Word { name: "u", param: Some(-3913), delimited: false }, b"\\u-3913"),
                (Token::Text(b'?'), b"?"),
            ]
        );
    }
}
