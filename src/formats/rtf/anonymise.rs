//! RTF: the file is read with the extractor's rules (the same groups,
//! destinations, code pages, `\'hh` bytes and `\uN` characters with their
//! fallback), and every character of text is remembered with the bytes of
//! the source it came from. Personal data found in a paragraph's text is
//! replaced by editing only those bytes: the replacement goes where the
//! value's first character was, the value's other characters are removed,
//! and every control word, group and formatting code around them stays as
//! it was. So a name split by formatting (`Jane {\b Ro}berts`) becomes
//! `Person_7F3A9C{\b }`. Replacements are written as plain RTF text
//! (`\uN` with the document's fallback count for characters beyond ASCII).
//!
//! Body paragraphs and table cells, headers, footers, footnotes, comments
//! and text boxes are searched paragraph by paragraph. In `\info` the
//! author, operator, company and manager are emptied, and title, subject,
//! keywords and comments rewritten. Comment authors (`\atnauthor`) and the
//! names in the revision table (`\revtbl`) are replaced as names; comment
//! initials (`\atnid`) are emptied. Field instructions (`HYPERLINK
//! "mailto:..."`) and index and contents entries (`\xe`, `\tc`), which the
//! scan does not read, are searched on their own.
//! Custom document properties (`\userprops`) and embedded object data
//! (`\objdata`) cannot be rewritten safely, so they are removed; the latter
//! is listed in the file's notes.

use std::collections::HashMap;

use encoding_rs::Encoding;

use crate::detect::Category;
use crate::formats::Segment;
use crate::formats::rewrite::Rewrite;
use crate::formats::rtf::{
    META as RTF_META, SKIPPED as RTF_SKIPPED, STARRED_KEPT as RTF_STARRED_KEPT, Token, Tokens, charset as rtf_charset,
    codepage as rtf_codepage,
};

/// Deepest group nesting kept, as in the extractor.
const MAX_DEPTH: usize = 1000;

/// An RTF file's copy.
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    if !data.starts_with(b"{\\rtf") {
        return Err("not an RTF file: does not start with {\\rtf".into());
    }
    let scan = Scan::new(data).run();
    if let Some(e) = scan.unsafe_reason {
        return Err(e.into());
    }
    let mut edits: Vec<Edit> = Vec::new();
    for (start, end, what) in &scan.removals {
        edits.push(Edit { start: *start, end: *end, bytes: Vec::new() });
        work.count("drop", (*what).to_string());
        if *what == "embedded object data" {
            work.not_copied(
                "embedded object",
                "its data cannot be anonymised, so it is left out (what the document shows in its place is kept)",
            );
        }
    }
    for unit in &scan.units {
        let replaced = replacements(work, unit);
        piece_edits(unit, &replaced, &mut edits);
    }
    Ok(apply_edits(data, edits))
}

/// A change to the source: bytes `start..end` become `bytes`.
#[derive(Debug)]
struct Edit {
    start: usize,
    end: usize,
    bytes: Vec<u8>,
}

/// The source with the edits made; an edit overlapping an earlier one (text
/// inside a removed group) is dropped.
fn apply_edits(data: &[u8], mut edits: Vec<Edit>) -> Vec<u8> {
    edits.sort_by_key(|e| (e.start, std::cmp::Reverse(e.end)));
    let mut out = Vec::with_capacity(data.len());
    let mut at = 0;
    for e in edits {
        if e.start < at {
            continue;
        }
        out.extend_from_slice(&data[at..e.start]);
        out.extend_from_slice(&e.bytes);
        at = e.end;
    }
    out.extend_from_slice(&data[at..]);
    out
}

/// What a piece of text is and how it is rewritten.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    /// A paragraph (body, table cell, header, footer, note, comment, text box).
    Text,
    /// An `\info` field, searched with the extractor's context.
    Meta(&'static str),
    /// Who wrote or edited the document, or a comment's initials: emptied.
    Person(&'static str),
    /// A comment's author: replaced as a name.
    Author,
    /// A field instruction: searched on its own.
    Field,
    /// An entry of the revision table (`Ann Lee;`): the name replaced.
    Reviser,
}

/// One character (or, in double-byte code pages, a run of characters) of a
/// unit's text and where it came from.
#[derive(Debug)]
struct Piece {
    /// Source bytes; `None` for breaks and tabs, which are never edited.
    src: Option<(usize, usize)>,
    /// Byte range of its text in the unit's text.
    at: usize,
    len: usize,
    /// The token before it is a control word not ended by a space, so text
    /// written in its place must start with a delimiting space.
    after_word: bool,
    /// `\ucN` in effect: fallback characters to write after a `\uN`.
    uc: u32,
}

/// A paragraph or field: its text and pieces, in source order.
#[derive(Debug)]
struct Unit {
    role: Role,
    text: String,
    pieces: Vec<Piece>,
}

/// Where the text of a group goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Dest {
    Body,
    Skip,
    FontTable,
    Info,
    /// A unit of its own (header, note, metadata field...).
    Unit(usize),
    /// The revision table: each group inside is one reviser.
    Revisions,
    /// Left out of the copy with everything inside.
    Remove,
}

/// State saved and restored by braces.
#[derive(Debug, Clone, Copy)]
struct Group {
    dest: Dest,
    uc: u32,
    font: Option<i32>,
    /// Offset of the group's `{`.
    start: usize,
    /// Set on the group whose destination is removed: what it holds.
    removed: Option<&'static str>,
}

/// Reads an RTF file as the extractor does, keeping source offsets.
struct Scan<'d> {
    data: &'d [u8],
    units: Vec<Unit>,
    /// Whole groups to leave out: byte range and what they hold.
    removals: Vec<(usize, usize, &'static str)>,
    /// Set when the file cannot be copied safely.
    unsafe_reason: Option<&'static str>,
    stack: Vec<Group>,
    overflow: usize,
    starred: bool,
    /// Fallback characters still to skip after `\uN`.
    skip: u32,
    /// The `\uN` piece whose fallback is being skipped (unit, piece).
    skip_piece: Option<(usize, usize)>,
    /// A high surrogate waiting for its low half: value, source start, after_word.
    high_surrogate: Option<(u32, usize, bool)>,
    /// `\'hh` and 8-bit bytes waiting to be decoded: byte, source range, after_word.
    pending: Vec<(u8, usize, usize, bool)>,
    codepage: &'static Encoding,
    font_charsets: HashMap<i32, &'static Encoding>,
    font_def: Option<i32>,
    /// The body paragraph being read.
    body: Option<usize>,
    /// The last token was a control word not ended by a space.
    open_word: bool,
}

impl<'d> Scan<'d> {
    fn new(data: &'d [u8]) -> Self {
        Scan {
            data,
            units: Vec::new(),
            removals: Vec::new(),
            unsafe_reason: None,
            stack: vec![Group { dest: Dest::Body, uc: 1, font: None, start: 0, removed: None }],
            overflow: 0,
            starred: false,
            skip: 0,
            skip_piece: None,
            high_surrogate: None,
            pending: Vec::new(),
            codepage: encoding_rs::WINDOWS_1252,
            font_charsets: HashMap::new(),
            font_def: None,
            body: None,
            open_word: false,
        }
    }

    fn top(&self) -> Group {
        self.stack.last().copied().unwrap_or(Group { dest: Dest::Skip, uc: 1, font: None, start: 0, removed: None })
    }

    fn set_dest(&mut self, dest: Dest) {
        if let Some(g) = self.stack.last_mut() {
            g.dest = dest;
        }
    }

    fn run(mut self) -> Self {
        for (token, start, end) in Tokens::new(self.data) {
            match token {
                Token::Open => self.open_group(start),
                Token::Close => self.close_group(start),
                Token::Word { name, param, delimited } => {
                    self.word(name, param, start, end);
                    self.open_word = !delimited;
                    continue;
                }
                Token::Bin | Token::Newline => {}
                Token::Hex(byte) => self.hex(byte, start, end),
                Token::Symbol(c) => self.symbol(c, start, end),
                Token::Text(b) => self.literal(b, start),
            }
            self.open_word = false;
        }
        self.flush_pending();
        self
    }

    /// A brace ends what was pending and any skip, surrogate or `\*` in progress.
    fn at_brace(&mut self) {
        self.flush_pending();
        self.skip = 0;
        self.skip_piece = None;
        self.high_surrogate = None;
        self.starred = false;
    }

    fn open_group(&mut self, start: usize) {
        self.at_brace();
        if self.stack.len() >= MAX_DEPTH {
            self.overflow += 1;
            return;
        }
        let mut g = self.top();
        g.start = start;
        g.removed = None;
        if g.dest == Dest::Revisions {
            g.dest = Dest::Unit(self.new_unit(Role::Reviser));
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
            self.removals.push((g.start, at + 1, what));
        }
    }

    /// A fallback character of a `\uN` was skipped: its bytes, up to `end`,
    /// belong to that character's piece.
    fn extend_skip(&mut self, end: usize) {
        if let Some((u, p)) = self.skip_piece
            && let Some(piece) = self.units.get_mut(u).and_then(|u| u.pieces.get_mut(p))
            && let Some(src) = piece.src.as_mut()
        {
            src.1 = end;
        }
    }

    /// A plain byte of text at `start`.
    fn literal(&mut self, b: u8, start: usize) {
        if self.skip > 0 {
            self.skip -= 1;
            self.extend_skip(start + 1);
            return;
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
                self.skip -= 1;
                self.extend_skip(end);
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
                    self.skip -= 1;
                    self.extend_skip(end);
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
            self.skip -= 1;
            self.extend_skip(end);
            return;
        }
        self.flush_pending();
        if dest == Dest::FontTable {
            return self.font_word(word, param);
        }
        if self.hidden_word(word) {
            return;
        }
        let kept = RTF_STARRED_KEPT.contains(&word) || (dest == Dest::Info && RTF_META.iter().any(|m| m.0 == word));
        if (starred && !kept) || RTF_SKIPPED.contains(&word) {
            return self.set_dest(Dest::Skip);
        }
        match word {
            "fonttbl" => self.set_dest(Dest::FontTable),
            "info" => self.set_dest(Dest::Info),
            _ if dest == Dest::Info => self.info_word(word),
            "ansicpg" => self.codepage = param.and_then(rtf_codepage).unwrap_or(self.codepage),
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

    /// Destinations the extractor skips but that may hold personal data:
    /// true when `word` was one of them.
    fn hidden_word(&mut self, word: &str) -> bool {
        match word {
            "objdata" => self.remove_group("embedded object data"),
            "userprops" => self.remove_group("custom properties"),
            "fldinst" | "xe" | "tc" => self.unit_dest(Role::Field),
            "atnid" => self.unit_dest(Role::Person("comment initials")),
            "revtbl" => self.set_dest(Dest::Revisions),
            _ => return false,
        }
        true
    }

    /// Leave the current group out of the copy.
    fn remove_group(&mut self, what: &'static str) {
        // The document's own group (or none) cannot be removed.
        if self.stack.len() <= 2 {
            self.unsafe_reason = Some("damaged RTF: embedded data outside any group; cannot be copied safely");
            return self.set_dest(Dest::Skip);
        }
        if let Some(g) = self.stack.last_mut() {
            g.dest = Dest::Remove;
            g.removed = Some(what);
        }
    }

    /// Words that produce text or structure.
    fn text_word(&mut self, word: &str, start: usize, end: usize) {
        let src = Some((start, end));
        match word {
            "par" | "sect" | "cell" | "row" if self.top().dest == Dest::Body => self.body = None,
            "par" | "sect" | "row" | "line" | "nestcell" | "nestrow" => self.put("\n", None),
            "cell" | "tab" => self.put("\t", None),
            "emdash" => self.put("\u{2014}", src),
            "endash" => self.put("\u{2013}", src),
            "bullet" => self.put("\u{2022}", src),
            "lquote" => self.put("\u{2018}", src),
            "rquote" => self.put("\u{2019}", src),
            "ldblquote" => self.put("\u{201C}", src),
            "rdblquote" => self.put("\u{201D}", src),
            "emspace" | "enspace" | "qmspace" => self.put(" ", src),
            "header" | "headerl" | "headerr" | "headerf" | "footer" | "footerl" | "footerr" | "footerf"
            | "footnote" | "annotation" | "shptxt" => self.unit_dest(Role::Text),
            "atnauthor" => self.unit_dest(Role::Author),
            _ => {}
        }
    }

    /// Inside `\info`: a field becomes a unit of its own.
    fn info_word(&mut self, word: &str) {
        let Some((name, _, context)) = RTF_META.iter().find(|m| m.0 == word) else { return };
        let role = match *name {
            "author" | "operator" | "company" | "manager" => Role::Person(name),
            _ => Role::Meta(context),
        };
        self.unit_dest(role);
    }

    /// Inside `\fonttbl`: note each font's charset.
    fn font_word(&mut self, word: &str, param: Option<i32>) {
        match (word, param) {
            ("f", Some(n)) => self.font_def = Some(n),
            ("fcharset", Some(cs)) => {
                if let (Some(f), Some(enc)) = (self.font_def, rtf_charset(cs)) {
                    self.font_charsets.insert(f, enc);
                }
            }
            _ => {}
        }
    }

    fn new_unit(&mut self, role: Role) -> usize {
        self.units.push(Unit { role, text: String::new(), pieces: Vec::new() });
        self.units.len() - 1
    }

    /// The current group's text becomes a new unit.
    fn unit_dest(&mut self, role: Role) {
        let unit = self.new_unit(role);
        self.set_dest(Dest::Unit(unit));
    }

    /// `\uN` spanning `start..end`: a UTF-16 unit, then its fallback is skipped.
    fn unicode(&mut self, n: i32, start: usize, end: usize) {
        let unit = if n < 0 { (n + 65536) as u32 } else { n as u32 };
        self.skip = self.top().uc;
        self.skip_piece = None;
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
            self.skip_piece = self.put_with(ch.encode_utf8(&mut [0u8; 4]), Some((from, end)), after_word);
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
        if enc.is_single_byte() {
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

    /// Text for the current destination; returns its piece.
    fn put_with(&mut self, text: &str, src: Option<(usize, usize)>, after_word: bool) -> Option<(usize, usize)> {
        let top = self.top();
        let unit = match top.dest {
            Dest::Body => match self.body {
                Some(u) => u,
                None => {
                    let u = self.new_unit(Role::Text);
                    self.body = Some(u);
                    u
                }
            },
            Dest::Unit(u) => u,
            _ => return None,
        };
        let u = self.units.get_mut(unit)?;
        let at = u.text.len();
        u.text.push_str(text);
        u.pieces.push(Piece { src, at, len: text.len(), after_word, uc: top.uc });
        Some((unit, u.pieces.len() - 1))
    }
}

/// The replacements in a unit's text: byte range and new text.
fn replacements(work: &mut dyn Rewrite, unit: &Unit) -> Vec<(usize, usize, String)> {
    let text = unit.text.as_str();
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Vec::new();
    }
    let start = text.len() - text.trim_start().len();
    let whole = |work: &mut dyn Rewrite, value: &str, at: usize| {
        vec![(at, at + value.len(), work.replace(Category::Name, value))]
    };
    match unit.role {
        Role::Person(what) => {
            work.count("drop", format!("metadata {what}"));
            vec![(0, text.len(), String::new())]
        }
        Role::Author => whole(work, trimmed, start),
        Role::Reviser => {
            let name = trimmed.trim_end_matches(';').trim_end();
            if name.is_empty() || name.eq_ignore_ascii_case("unknown") { Vec::new() } else { whole(work, name, start) }
        }
        Role::Text | Role::Meta(_) | Role::Field => {
            let seg = match unit.role {
                Role::Meta(context) => Segment::fixed("metadata", text, Some(context)),
                Role::Field => Segment::fixed("link", text, None),
                _ => Segment::lines("paragraph", 1, text),
            };
            let spans = work.spans(&seg);
            spans.iter().map(|s| (s.start, s.end, work.replace(s.category, &text[s.start..s.end]))).collect()
        }
    }
}

/// Turn replacements in a unit's text into edits of the source: each
/// replacement is written in place of the first piece it covers, the other
/// pieces it covers are removed. Breaks and tabs stay.
fn piece_edits(unit: &Unit, replaced: &[(usize, usize, String)], edits: &mut Vec<Edit>) {
    let mut per_piece: Vec<Option<String>> = Vec::new();
    per_piece.resize_with(unit.pieces.len(), || None);
    for (s, e, r) in replaced {
        let first = unit.pieces.partition_point(|p| p.at + p.len <= *s);
        let mut placed = false;
        for (k, p) in unit.pieces.iter().enumerate().skip(first) {
            if p.at >= *e {
                break;
            }
            if p.src.is_none() || p.len == 0 {
                continue;
            }
            let slot = per_piece[k].get_or_insert_with(String::new);
            if !placed {
                slot.push_str(r);
                placed = true;
            }
        }
    }
    for (p, new) in unit.pieces.iter().zip(per_piece) {
        let (Some((start, end)), Some(new)) = (p.src, new) else { continue };
        let mut bytes = Vec::with_capacity(new.len() + 1);
        if p.after_word {
            bytes.push(b' ');
        }
        encode_text(&new, p.uc, &mut bytes);
        edits.push(Edit { start, end, bytes });
    }
}

/// Text as RTF: ASCII as it is (`\`, `{`, `}` escaped), tabs and breaks as
/// control words, other characters as `\uN` followed by `uc` fallback `?`.
fn encode_text(text: &str, uc: u32, out: &mut Vec<u8>) {
    for c in text.chars() {
        match c {
            '\\' | '{' | '}' => {
                out.push(b'\\');
                out.push(c as u8);
            }
            '\t' => out.extend_from_slice(b"\\tab "),
            '\n' => out.extend_from_slice(b"\\line "),
            c if c.is_ascii_control() => {}
            c if c.is_ascii() => out.push(c as u8),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.extend_from_slice(format!("\\u{}", *unit as i16).as_bytes());
                    if uc == 0 {
                        out.push(b' ');
                    } else {
                        out.extend(std::iter::repeat_n(b'?', uc as usize));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymise::Work;
    use crate::formats::{Collect, Input, Limits};

    /// The copy of `data`, its text as the extractor reads it, and the notes.
    fn run(data: &str) -> (String, String, Vec<String>) {
        let parts = crate::anonymise::TestParts::new();
        let anon = parts.anonymiser();
        let mut work = Work::new(&anon, "a.rtf", &Input::Bytes(data.as_bytes()));
        let out = write(&mut work, data.as_bytes()).expect("written");
        let mut text = Collect::default();
        crate::formats::rtf::extract(&Input::Bytes(&out), &mut text, anon.limits).expect("re-read");
        (String::from_utf8_lossy(&out).into_owned(), text.all_text(), work.notes)
    }

    #[test]
    fn values_split_by_groups_and_escapes_are_replaced_and_formatting_kept() {
        let doc = concat!(
            r"{\rtf1\ansi\ansicpg1252\uc1\deff0{\fonttbl{\f0\fswiss\fcharset0 Arial;}}",
            r"{\*\revtbl {Unknown;}{Sam Editor;}}",
            r"{\info{\title Notes on Jane Roberts}{\author Ann Lee}{\operator Bob Smith}{\*\userprops {\propname Client}\proptype30{\staticval Jane Roberts}}}",
            "\n",
            r"\pard\plain\f0 Client: Jane {\b Ro}berts, date of birth 12/03/1985.\par ",
            r"Email: jane.ro{\i berts}@example.org please.\par ",
            r"Tel 07700\~900123 (mobile)\par ",
            r"Named: \b\'4aane Roberts\b0  here.\par ",
            r"{\*\atnid AL}{\*\atnauthor Ann Lee}\chatn{\*\annotation\pard Ask Jane Roberts\par}",
            r"{\field{\*\fldinst HYPERLINK \'22mailto:jane.roberts@example.org\'22}{\fldrslt write}}\par ",
            r"{\object\objemb{\*\objclass Word.Document.12}{\*\objdata 0105000002000000}{\result shown}}\par ",
            r"{\tc Jane Roberts}Caf\u233?\'e9 garden project.\par}",
        );
        let (out, text, notes) = run(doc);
        for gone in ["Roberts", "berts", "jane.ro", "12/03/1985", "900123", "Ann Lee", "Bob Smith", "Sam Editor", "AL}"]
        {
            assert!(!out.contains(gone), "{gone} left in {out}");
        }
        assert!(!out.contains("objdata") && !out.contains("userprops"), "{out}");
        assert!(text.contains("Client: Person_") && text.contains("date of birth 1985."), "{text}");
        assert!(text.contains("Email: [EMAIL] please.") && text.contains("Tel [PHONE] (mobile)"), "{text}");
        assert!(text.contains("Caf\u{e9}\u{e9} garden project."), "escapes kept: {text}");
        // Groups, formatting and the replaced control-word context stay valid.
        assert!(out.contains(r"{\b }") && out.contains(r"{\i }") && out.contains(r"\b Person_"), "{out}");
        assert!(text.contains("Named: Person_") && text.contains(" here."), "{text}");
        assert!(out.contains(r"{\author }") && out.contains(r"{\operator }"), "{out}");
        assert!(out.contains(r"{\*\atnauthor Person_") && out.contains(r"{Person_"), "{out}");
        assert!(out.contains(r"{\tc Person_"), "contents entry: {out}");
        assert_eq!(out.matches('{').count() - out.matches(r"\{").count(), out.matches('}').count());
        assert!(notes.iter().any(|n| n.contains("embedded object")), "{notes:?}");
    }

    /// Every prefix of a document full of escapes and groups is copied
    /// without a panic, and the copy still reads as RTF.
    #[test]
    fn every_truncation_is_copied_without_panicking() {
        let doc = concat!(
            r"{\rtf1\ansi\ansicpg932\uc2{\fonttbl{\f1\fcharset128 MS Mincho;}}{\info{\author Ann Lee}}",
            r"\pard Client: \b\u74??ane {\f1 \'82\'a0}Rob\'65rts 07700\~900123{\*\fldinst x}\bin3 {}}\par",
            r"{\*\revtbl {Sam Editor;}}\trowd\pard\intbl Tom Baker\cell\row}",
        );
        let parts = crate::anonymise::TestParts::new();
        let anon = parts.anonymiser();
        for end in 5..=doc.len() {
            let data = &doc.as_bytes()[..end];
            let mut work = Work::new(&anon, "a.rtf", &Input::Bytes(data));
            let out = write(&mut work, data).expect("copied");
            let mut text = Collect::default();
            crate::formats::rtf::extract(&Input::Bytes(&out), &mut text, anon.limits).expect("re-read");
            assert!(!text.all_text().contains("Ann Lee"), "{end}");
        }
    }

    #[test]
    fn replacements_beyond_ascii_use_unicode_escapes() {
        let mut out = Vec::new();
        encode_text("\u{e9}\u{1F60A}{x}\\\t", 1, &mut out);
        assert_eq!(String::from_utf8_lossy(&out), r"\u233?\u-10179?\u-8694?\{x\}\\\tab ");
        out.clear();
        encode_text("\u{e9}", 0, &mut out);
        assert_eq!(out, b"\\u233 ");
    }

    #[test]
    fn damaged_rtf_is_copied_or_refused_without_panicking() {
        for doc in [
            r"{\rtf1 Jane}} Roberts\par {{{\b bold\'4",
            "{\\rtf1 before\\bin99999999 after",
            r"{\rtf1 \u",
            r"{\rtf1 \u-10179?",
            r"{\rtf1 \uc5\u233",
            r"{\rtf1 {\*\fldinst",
            "{\\rtf1 \\\'",
        ] {
            let parts = crate::anonymise::TestParts::new();
            let anon = parts.anonymiser();
            let mut work = Work::new(&anon, "a.rtf", &Input::Bytes(doc.as_bytes()));
            let out = write(&mut work, doc.as_bytes()).expect(doc);
            assert!(out.starts_with(b"{\\rtf1"), "{doc}");
        }
        let parts = crate::anonymise::TestParts::new();
        let anon = parts.anonymiser();
        let mut work = Work::new(&anon, "a.rtf", &Input::Bytes(b"x"));
        assert!(write(&mut work, b"not rtf").unwrap_err().contains("not an RTF file"));
        let bare = b"{\\rtf1 \\objdata 0102 Jane Roberts}";
        assert!(write(&mut work, bare).unwrap_err().contains("cannot be copied safely"));
    }

    /// `\uN` with fallbacks (one, two under `\uc2`, none under `\uc0`), a
    /// surrogate pair, `\'hh` bytes, escaped braces and `\bin` data: the
    /// writer's paragraphs are the reader's, character for character, and a
    /// value spelt with escapes is replaced.
    #[test]
    fn the_writer_reads_the_paragraphs_the_reader_reads() {
        let data = concat!(
            r"{\rtf1\ansi\ansicpg1252\uc1{\fonttbl{\f0 Arial;}}\pard Client: Zo\u235?",
            r" R\'f6sler {\uc2 caf\u233\'65\'65} \u-10179?\u-8704?\par ",
            r"Email: jane.roberts@exa\u109\'6dple.org\par ",
            r"Braces \{kept\} and {\uc0 na\u239ve}\bin6 {Jane}\par ",
            "\r\nLast line\\\r\nafter a break\\par}",
        );
        let scan = Scan::new(data.as_bytes()).run();
        let written: Vec<&str> = scan
            .units
            .iter()
            .filter(|u| u.role == Role::Text)
            .map(|u| u.text.trim())
            .filter(|t| !t.is_empty())
            .collect();
        let mut read = Collect::default();
        crate::formats::rtf::extract(&Input::Bytes(data.as_bytes()), &mut read, &Limits::default()).unwrap();
        // The reader hands on paragraphs in blocks of lines.
        let read: Vec<&str> = read.segments.iter().flat_map(|s| s.1.lines()).collect();
        assert_eq!(written, read);
        assert_eq!(
            read,
            [
                "Client: Zoë Rösler café 😀",
                "Email: jane.roberts@example.org",
                "Braces {kept} and naïve",
                "Last line",
                "after a break"
            ]
        );
        let (_, text, _) = run(data);
        assert!(!text.contains("jane.roberts@example.org"), "{text}");
        assert!(text.contains("café 😀") && text.contains("Braces {kept} and naïve"), "{text}");
    }
}
