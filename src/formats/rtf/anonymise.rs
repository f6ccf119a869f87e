//! RTF: the file is read by the one RTF walker the reader uses ([`walk`]: the same groups,
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

use crate::detect::Category;
use crate::formats::Segment;
use crate::formats::rewrite::Rewrite;
use crate::formats::rtf::walk::{self, Dest, Hidden, META as RTF_META, Piece, Sink};

/// An RTF file's copy.
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    if !data.starts_with(b"{\\rtf") {
        return Err("not an RTF file: does not start with {\\rtf".into());
    }
    let scan = Scan::run(data);
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
struct Fragment {
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
    pieces: Vec<Fragment>,
}

/// The writer's side of the one RTF walker ([`walk::walk`]): every piece
/// of text kept with its source bytes, in units (paragraphs and fields),
/// and the groups to leave out.
#[derive(Default)]
struct Scan {
    units: Vec<Unit>,
    /// Whole groups to leave out: byte range and what they hold.
    removals: Vec<(usize, usize, &'static str)>,
    /// Set when the file cannot be copied safely.
    unsafe_reason: Option<&'static str>,
    /// The body paragraph being read.
    body: Option<usize>,
    /// The last piece handed on (unit, piece): a `\uN` fallback extends it.
    last: Option<(usize, usize)>,
}

impl Scan {
    fn run(data: &[u8]) -> Self {
        let mut scan = Scan::default();
        walk::walk(data, &mut scan);
        scan
    }

    fn new_unit(&mut self, role: Role) -> usize {
        self.units.push(Unit { role, text: String::new(), pieces: Vec::new() });
        self.units.len() - 1
    }

    /// A break or tab standing for a control word: never edited.
    fn separator(&mut self, dest: Dest, text: &str) {
        self.text(dest, Piece { text, src: None, after_word: false, uc: 1 });
    }

    /// A group whose data cannot be rewritten: left out, unless it is the
    /// document's own group (or none).
    fn remove(&mut self, what: &'static str, depth: usize) -> Hidden {
        if depth <= 2 {
            self.unsafe_reason = Some("damaged RTF: embedded data outside any group; cannot be copied safely");
            return Hidden::Skip;
        }
        Hidden::Remove(what)
    }
}

impl Sink for Scan {
    fn text(&mut self, dest: Dest, piece: Piece<'_>) {
        let unit = match dest {
            Dest::Body => match self.body {
                Some(u) => u,
                None => {
                    let u = self.new_unit(Role::Text);
                    self.body = Some(u);
                    u
                }
            },
            Dest::Side(u) => u,
            _ => return,
        };
        let Some(u) = self.units.get_mut(unit) else { return };
        let at = u.text.len();
        u.text.push_str(piece.text);
        u.pieces.push(Fragment {
            src: piece.src,
            at,
            len: piece.text.len(),
            after_word: piece.after_word,
            uc: piece.uc,
        });
        self.last = Some((unit, u.pieces.len() - 1));
    }

    fn fallback(&mut self, end: usize) {
        if let Some((u, p)) = self.last
            && let Some(piece) = self.units.get_mut(u).and_then(|u| u.pieces.get_mut(p))
            && let Some(src) = piece.src.as_mut()
        {
            src.1 = end;
        }
    }

    fn structure(&mut self, dest: Dest, word: &str) {
        match (dest, word) {
            (Dest::Body, "par" | "sect" | "cell" | "row") => self.body = None,
            (_, "par" | "sect" | "row" | "line" | "nestcell" | "nestrow") => self.separator(dest, "\n"),
            (_, "cell" | "tab") => self.separator(dest, "\t"),
            _ => {}
        }
    }

    fn side(&mut self, word: &'static str) -> usize {
        let role = match RTF_META.iter().find(|m| m.0 == word) {
            Some((name @ ("author" | "operator" | "company" | "manager"), _, _)) => Role::Person(name),
            Some((_, _, context)) => Role::Meta(context),
            None if word == "atnauthor" => Role::Author,
            None => Role::Text,
        };
        self.new_unit(role)
    }

    /// Destinations the reader skips but that may hold personal data.
    fn hidden(&mut self, word: &str, depth: usize) -> Hidden {
        match word {
            "objdata" => self.remove("embedded object data", depth),
            "userprops" => self.remove("custom properties", depth),
            "fldinst" | "xe" | "tc" => Hidden::Side(self.new_unit(Role::Field)),
            "atnid" => Hidden::Side(self.new_unit(Role::Person("comment initials"))),
            "revtbl" => Hidden::Revisions,
            _ => Hidden::Skip,
        }
    }

    fn reviser(&mut self) -> Option<usize> {
        Some(self.new_unit(Role::Reviser))
    }

    fn removed(&mut self, start: usize, end: usize, what: &'static str) {
        self.removals.push((start, end, what));
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
        let scan = Scan::run(data.as_bytes());
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
