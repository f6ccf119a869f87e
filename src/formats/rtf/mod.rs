//! RTF to text: a small, forgiving reader of RTF's groups and control words.
//!
//! Body paragraphs and tables go through the shared flow (`paragraph N`,
//! `table T row R cell C`); headers, footers, footnotes, comments (with their
//! authors) and text boxes are separate segments; from the `\info` group the
//! author (`metadata creator`), operator (`metadata lastModifiedBy`), title and
//! the like are emitted as metadata. Font tables, colour tables, style sheets,
//! pictures, embedded object data, field instructions and unknown `\*`
//! destinations are skipped. `\'hh` bytes are decoded with the font's
//! charset or the document's `\ansicpg` (Windows-1252 by default), and
//! `\uN` characters replace their fallback text.

pub mod anonymise;

use std::collections::HashMap;

use encoding_rs::Encoding;

use crate::formats::docx::flow::{Block, Cell, Para, Row, emit_body};
use crate::formats::{Emit, ExtractError, Input, Limits, Result, Segment};

/// Deepest group nesting kept; deeper braces are counted but not stacked.
const MAX_DEPTH: usize = 1000;

pub fn extract(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let bytes = input.bytes(limits.max_in_memory)?;
    if !bytes.starts_with(b"{\\rtf") {
        return Err(ExtractError::corrupt("rtf", "does not start with {\\rtf"));
    }
    let doc = Parser::new().parse(&bytes);
    emit_body(&doc.blocks, emit);
    for sub in &doc.subs {
        let text = sub.text.trim();
        if !text.is_empty() {
            emit.segment(Segment::fixed(&sub.location, text, sub.context));
        }
    }
    if doc.too_deep {
        emit.warn(format!("groups nested deeper than {MAX_DEPTH}: read as if flat"));
    }
    Ok(())
}

/// The document as read.
#[derive(Debug, Default)]
struct Rtf {
    blocks: Vec<Block>,
    subs: Vec<Sub>,
    too_deep: bool,
}

/// Text kept apart from the body: a header, footnote, comment, text box or
/// metadata field.
#[derive(Debug)]
struct Sub {
    location: String,
    context: Option<&'static str>,
    text: String,
}

/// Where the text of a group goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Dest {
    Body,
    /// Ignored, with everything inside.
    Skip,
    /// Ignored, but fonts' charsets are noted.
    FontTable,
    /// Ignored, but metadata fields inside are read.
    Info,
    Sub(usize),
}

/// Formatting state saved and restored by braces.
#[derive(Debug, Clone, Copy)]
struct Group {
    dest: Dest,
    /// How many fallback characters follow a `\uN`.
    uc: u32,
    font: Option<i32>,
}

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

struct Parser {
    out: Rtf,
    stack: Vec<Group>,
    /// Braces opened past [`MAX_DEPTH`], still to be closed.
    overflow: usize,
    /// The last control was `\*`.
    starred: bool,
    /// Fallback characters still to skip after `\uN`.
    skip: u32,
    high_surrogate: Option<u32>,
    /// `\'hh` and raw 8-bit bytes waiting to be decoded together (double-byte code pages).
    pending: Vec<u8>,
    codepage: &'static Encoding,
    font_charsets: HashMap<i32, &'static Encoding>,
    font_def: Option<i32>,
    // Body being built.
    para: Para,
    para_count: u64,
    intbl: bool,
    cell: Vec<Block>,
    row: Vec<Cell>,
    table: Vec<Row>,
    counts: HashMap<&'static str, u32>,
}

impl Parser {
    fn new() -> Self {
        Parser {
            out: Rtf::default(),
            stack: vec![Group { dest: Dest::Body, uc: 1, font: None }],
            overflow: 0,
            starred: false,
            skip: 0,
            high_surrogate: None,
            pending: Vec::new(),
            codepage: encoding_rs::WINDOWS_1252,
            font_charsets: HashMap::new(),
            font_def: None,
            para: Para::default(),
            para_count: 0,
            intbl: false,
            cell: Vec::new(),
            row: Vec::new(),
            table: Vec::new(),
            counts: HashMap::new(),
        }
    }

    fn top(&self) -> Group {
        self.stack.last().copied().unwrap_or(Group { dest: Dest::Skip, uc: 1, font: None })
    }

    fn top_mut(&mut self) -> Option<&mut Group> {
        self.stack.last_mut()
    }

    fn parse(mut self, data: &[u8]) -> Rtf {
        for (token, _, _) in Tokens::new(data) {
            match token {
                Token::Open => self.open_group(),
                Token::Close => self.close_group(),
                Token::Word { name, param, .. } => self.word(name, param),
                Token::Bin | Token::Newline => {}
                Token::Hex(byte) => self.hex(byte),
                Token::Symbol(c) => self.symbol(c),
                Token::Text(b) => self.literal(b),
            }
        }
        self.flush_pending();
        self.end_para();
        self.end_table();
        self.out
    }

    fn open_group(&mut self) {
        self.flush_pending();
        self.skip = 0;
        self.starred = false;
        if self.stack.len() >= MAX_DEPTH {
            self.overflow += 1;
            self.out.too_deep = true;
        } else {
            let top = self.top();
            self.stack.push(top);
        }
    }

    fn close_group(&mut self) {
        self.flush_pending();
        self.skip = 0;
        self.starred = false;
        if self.overflow > 0 {
            self.overflow -= 1;
        } else if self.stack.len() > 1 {
            self.stack.pop();
        }
    }

    /// A plain byte of text.
    fn literal(&mut self, b: u8) {
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        if b.is_ascii() {
            self.flush_pending();
            let mut buf = [0u8; 4];
            self.put((b as char).encode_utf8(&mut buf));
        } else {
            self.pending.push(b);
        }
    }

    /// A `\'hh` byte.
    fn hex(&mut self, byte: Option<u8>) {
        if let Some(byte) = byte {
            if self.skip > 0 {
                self.skip -= 1;
            } else {
                self.pending.push(byte);
            }
        }
    }

    /// A control symbol (`\\`, `\~`, `\*`, ...) other than `\'hh`.
    fn symbol(&mut self, c: u8) {
        if c != b'*' {
            self.flush_pending();
        }
        match c {
            b'*' => self.starred = true,
            b'\\' | b'{' | b'}' => {
                if self.skip > 0 {
                    self.skip -= 1;
                } else {
                    self.put(if c == b'\\' {
                        "\\"
                    } else if c == b'{' {
                        "{"
                    } else {
                        "}"
                    });
                }
            }
            b'~' => self.put(" "),
            b'_' => self.put("-"),
            b'\r' | b'\n' => self.word("par", None),
            _ => {}
        }
    }

    fn word(&mut self, word: &str, param: Option<i32>) {
        let starred = std::mem::take(&mut self.starred);
        let dest = self.top().dest;
        if dest == Dest::Skip {
            return;
        }
        if self.skip > 0 && !matches!(word, "u" | "uc") {
            self.skip -= 1;
            return;
        }
        self.flush_pending();
        if dest == Dest::FontTable {
            return self.font_word(word, param);
        }
        // Word writes some \info fields starred (`{\*\company ...}`).
        let kept = STARRED_KEPT.contains(&word) || (dest == Dest::Info && META.iter().any(|m| m.0 == word));
        if (starred && !kept) || SKIPPED.contains(&word) {
            return self.set_dest(Dest::Skip);
        }
        match word {
            "fonttbl" => self.set_dest(Dest::FontTable),
            "info" => self.set_dest(Dest::Info),
            _ if dest == Dest::Info => self.info_word(word),
            "ansicpg" => self.codepage = param.and_then(codepage).unwrap_or(self.codepage),
            "mac" => self.codepage = encoding_rs::MACINTOSH,
            "uc" => {
                if let Some(g) = self.top_mut() {
                    g.uc = param.unwrap_or(1).clamp(0, 16) as u32;
                }
            }
            "u" => self.unicode(param.unwrap_or(0)),
            "f" => {
                if let Some(g) = self.top_mut() {
                    g.font = param;
                }
            }
            _ => self.text_word(word),
        }
    }

    /// Words that produce text or structure.
    fn text_word(&mut self, word: &str) {
        match word {
            "par" => self.end_para_or_cell_para(),
            "sect" if !self.para.text.trim().is_empty() => self.end_para_or_cell_para(),
            "line" => self.put("\n"),
            "tab" => self.put("\t"),
            "cell" => self.end_cell(),
            "row" => self.end_row(),
            "nestcell" | "nestrow" => self.put("\n"),
            "intbl" => self.intbl = true,
            "pard" => self.intbl = false,
            "emdash" => self.put("\u{2014}"),
            "endash" => self.put("\u{2013}"),
            "bullet" => self.put("\u{2022}"),
            "lquote" => self.put("\u{2018}"),
            "rquote" => self.put("\u{2019}"),
            "ldblquote" => self.put("\u{201C}"),
            "rdblquote" => self.put("\u{201D}"),
            "emspace" | "enspace" | "qmspace" => self.put(" "),
            "header" | "headerl" | "headerr" | "headerf" => self.new_sub("header", None),
            "footer" | "footerl" | "footerr" | "footerf" => self.new_sub("footer", None),
            "footnote" => self.new_sub("footnote", None),
            "atnauthor" => {
                let n = self.counts.get("comment").copied().unwrap_or(0) + 1;
                self.push_sub(format!("comment {n}"), Some("Author"));
            }
            "annotation" => self.new_sub("comment", None),
            "shptxt" => {
                let location = format!("text box in paragraph {}", self.para_count + 1);
                self.push_sub(location, None);
            }
            _ => {}
        }
    }

    /// Inside `\info`: fields become metadata; anything else stays ignored.
    fn info_word(&mut self, word: &str) {
        if let Some((_, location, context)) = META.iter().find(|m| m.0 == word) {
            self.push_sub(location.to_string(), Some(context));
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

    fn set_dest(&mut self, dest: Dest) {
        if let Some(g) = self.top_mut() {
            g.dest = dest;
        }
    }

    /// A new numbered separate text (`header 2`, `comment 1`) for this group.
    fn new_sub(&mut self, label: &'static str, context: Option<&'static str>) {
        let n = self.counts.entry(label).or_insert(0);
        *n += 1;
        let location = format!("{label} {n}");
        self.push_sub(location, context);
    }

    fn push_sub(&mut self, location: String, context: Option<&'static str>) {
        self.out.subs.push(Sub { location, context, text: String::new() });
        let index = self.out.subs.len() - 1;
        self.set_dest(Dest::Sub(index));
    }

    /// `\uN`: a UTF-16 unit (negative values wrap), then skip the fallback.
    fn unicode(&mut self, n: i32) {
        let unit = if n < 0 { (n + 65536) as u32 } else { n as u32 };
        self.skip = self.top().uc;
        match unit {
            0xD800..=0xDBFF => self.high_surrogate = Some(unit),
            0xDC00..=0xDFFF => {
                if let Some(high) = self.high_surrogate.take() {
                    let c = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00);
                    if let Some(ch) = char::from_u32(c) {
                        self.put(ch.encode_utf8(&mut [0u8; 4]));
                    }
                }
            }
            _ => {
                if let Some(ch) = char::from_u32(unit) {
                    self.put(ch.encode_utf8(&mut [0u8; 4]));
                }
            }
        }
    }

    /// Decode waiting bytes with the current font's charset or the document code page.
    fn flush_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.pending);
        let enc = self.top().font.and_then(|f| self.font_charsets.get(&f).copied()).unwrap_or(self.codepage);
        let (text, _) = enc.decode_without_bom_handling(&bytes);
        self.put(&text);
    }

    /// Text for the current destination.
    fn put(&mut self, s: &str) {
        match self.top().dest {
            Dest::Body => self.para.text.push_str(s),
            Dest::Sub(i) => {
                if let Some(sub) = self.out.subs.get_mut(i) {
                    sub.text.push_str(s);
                }
            }
            Dest::Skip | Dest::FontTable | Dest::Info => {}
        }
    }

    /// `\par`: ends a body paragraph (in a table: a paragraph of the cell).
    fn end_para_or_cell_para(&mut self) {
        match self.top().dest {
            Dest::Body if self.intbl => {
                let p = std::mem::take(&mut self.para);
                self.cell.push(Block::Para(p));
            }
            Dest::Body => {
                self.end_table();
                let p = std::mem::take(&mut self.para);
                self.push_para(p);
            }
            _ => self.put("\n"),
        }
    }

    fn push_para(&mut self, p: Para) {
        self.para_count += 1;
        self.out.blocks.push(Block::Para(p));
    }

    /// End of input: the last paragraph may lack its `\par`.
    fn end_para(&mut self) {
        if !self.para.text.trim().is_empty() {
            let p = std::mem::take(&mut self.para);
            if self.intbl {
                self.cell.push(Block::Para(p));
                self.end_cell();
            } else {
                self.end_table();
                self.push_para(p);
            }
        }
    }

    fn end_cell(&mut self) {
        if self.top().dest != Dest::Body {
            return self.put("\t");
        }
        let p = std::mem::take(&mut self.para);
        if !p.text.is_empty() || self.cell.is_empty() {
            self.cell.push(Block::Para(p));
        }
        let blocks = std::mem::take(&mut self.cell);
        self.row.push(Cell { blocks, span: 1 });
    }

    fn end_row(&mut self) {
        if self.top().dest != Dest::Body {
            return self.put("\n");
        }
        if !self.para.text.trim().is_empty() || !self.cell.is_empty() {
            self.end_cell();
        }
        let cells = std::mem::take(&mut self.row);
        self.table.push(Row { cells, header: false });
    }

    fn end_table(&mut self) {
        if !self.row.is_empty() {
            let cells = std::mem::take(&mut self.row);
            self.table.push(Row { cells, header: false });
        }
        if !self.table.is_empty() {
            let rows = std::mem::take(&mut self.table);
            self.out.blocks.push(Block::Table(rows));
        }
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
    use crate::formats::Collect;

    fn run(rtf: &str) -> Collect {
        let mut c = Collect::default();
        extract(&Input::Bytes(rtf.as_bytes()), &mut c, &Limits::default()).unwrap();
        c
    }

    const DOC: &str = r#"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss\fcharset0 Arial;}{\f1\fnil\fcharset238 Calibri CE;}}
{\colortbl;\red0\green0\blue0;}
{\stylesheet{\s0 Normal;}}
{\info{\title Referral}{\author Ann Lee}{\operator Bob Smith}{\creatim\yr2024\mo1\dy2}{\*\company Hope Trust}{\*\password 1234abcd}}
{\header\pard Hope Trust - Confidential\par}
{\footer\pard Case worker: Ann Lee\par}
\pard\plain\f0 Client: Ren\'e9e O\'92Brien\par
\par
Email: renee.obrien@exa{\b mple.org}\line Tel 07700\~900123\par
Polish name: {\f1 Wojciech \'8cwi\'eatek}\par
Unicode: Zo\u235?\u-10179?\u-8694? Smith{\*\bkmkstart x}{\*\bkmkend x}\par
{\field{\*\fldinst HYPERLINK "mailto:a@b.org"}{\fldrslt visible link}}\par
{\pict\pngblip 89504e470d0a1a0a}\par
{\*\atnid AL}{\*\atnauthor Ann Lee}\chatn{\*\annotation{\*\atnref 1}\pard Check DOB with GP\par}
Note\chftn{\footnote\pard\chftn  NHS 943 476 5919\par}\par
\trowd\cellx2000\cellx5000\pard\intbl Date of birth\cell 12/03/1985\cell\row
\trowd\cellx2000\cellx5000\pard\intbl Postcode\cell SW1A 1AA\cell\row
\pard After the table\par
{\object\objemb{\*\objclass Excel.Sheet.12}{\*\objdata 01050000}{\result shown result}}
}"#;

    #[test]
    fn rtf_body_tables_and_side_texts() {
        let c = run(DOC);
        let seg = |loc: &str| {
            c.segments.iter().find(|s| s.0 == loc).cloned().unwrap_or_else(|| panic!("{loc} in {:#?}", c.segments))
        };
        assert_eq!(
            seg("paragraph 1").1,
            "Client: Ren\u{e9}e O\u{2019}Brien\n\nEmail: renee.obrien@example.org\tTel 07700 900123\nPolish name: Wojciech \u{15a}wi\u{119}tek\nUnicode: Zo\u{eb}\u{1F60A} Smith\nvisible link\n\nNote\nAfter the table\nshown result"
        );
        assert_eq!(
            seg("table 1 row 1 cell 2"),
            ("table 1 row 1 cell 2".into(), "12/03/1985".into(), Some("Date of birth".into()))
        );
        assert_eq!(seg("table 1 row 2 cell 2").1, "SW1A 1AA");
        assert_eq!(seg("header 1").1, "Hope Trust - Confidential");
        assert_eq!(seg("footer 1").1, "Case worker: Ann Lee");
        assert_eq!(seg("footnote 1").1, "NHS 943 476 5919");
        let comment: Vec<_> = c.segments.iter().filter(|s| s.0 == "comment 1").collect();
        assert_eq!(comment.len(), 2);
        assert_eq!((comment[0].1.as_str(), comment[0].2.as_deref()), ("Ann Lee", Some("Author")));
        assert_eq!(comment[1].1, "Check DOB with GP");
        assert_eq!(seg("metadata creator"), ("metadata creator".into(), "Ann Lee".into(), Some("Author".into())));
        assert_eq!(seg("metadata lastModifiedBy").1, "Bob Smith");
        assert_eq!(seg("metadata title").1, "Referral");
        assert_eq!(seg("metadata company").1, "Hope Trust");
        let all = c.all_text();
        for absent in ["Arial", "Normal", "89504e", "HYPERLINK", "01050000", "Excel", "2024", "AL\n", "1234abcd"] {
            assert!(!all.contains(absent), "{absent} leaked into {all}");
        }
    }

    /// Tables as Word writes them: cells in their own groups, row properties
    /// repeated inside a group before `\row`, and a nested table.
    #[test]
    fn rtf_word_style_tables() {
        let rtf = concat!(
            r"{\rtf1\ansi\ansicpg1252\uc1\deff0{\fonttbl{\f0\froman\fcharset0 Times New Roman;}}",
            r"\pard\plain \ltrpar\ql\f0 {\rtlch\fcs1 \ltrch\fcs0 \insrsid1 Referral}{\rtlch \insrsid1 \par }",
            r"\trowd \irow0\irowband0\ltrrow\ts11\trgaph108\trleft-108\cellx3000\cellx6000",
            r"\pard\plain \ltrpar\ql\intbl\f0 {\rtlch \insrsid1 NI number:\cell }{\rtlch \insrsid1 QQ 12 34 56 C\cell }",
            r"\pard\plain \ltrpar\ql\intbl {\rtlch \insrsid1 \trowd \irow0\irowband0\cellx3000\cellx6000\row }",
            r"\trowd \irow1\irowband1\lastrow \cellx3000\cellx6000",
            r"\pard\plain \ltrpar\intbl {Contacts\cell }\pard\plain \ltrpar\intbl\itap2 {Mum\nestcell }{07700 900111\nestcell }",
            r"{\*\nesttableprops\trowd \cellx1000\cellx2000\nestrow}{\nonesttables\par }",
            r"\pard\plain \ltrpar\intbl {\cell }\pard\plain \ltrpar\intbl {\trowd \irow1\cellx3000\cellx6000\row }",
            r"\pard\plain \ltrpar\ql {\rtlch \insrsid1 Thanks, Ann\par }}",
        );
        let c = run(rtf);
        let texts: Vec<(&str, &str, Option<&str>)> =
            c.segments.iter().map(|s| (s.0.as_str(), s.1.as_str(), s.2.as_deref())).collect();
        assert_eq!(
            texts,
            [
                ("table 1 row 1 cell 1", "NI number:", None),
                ("table 1 row 1 cell 2", "QQ 12 34 56 C", Some("NI number")),
                ("table 1 row 2 cell 1", "Contacts", None),
                ("table 1 row 2 cell 2", "Mum\n07700 900111", Some("Contacts")),
                ("paragraph 1", "Referral\nThanks, Ann", None),
            ]
        );
    }

    #[test]
    fn rtf_is_robust_to_damage() {
        // Unbalanced braces, a truncated escape and a huge \bin.
        let c = run(r"{\rtf1 Jane}} Roberts\par {{{\b bold\'4");
        assert_eq!(c.all_text(), "Jane Roberts\nbold");
        let c = run("{\\rtf1 before\\bin99999999 after");
        assert_eq!(c.all_text(), "before");
        let deep = format!("{{\\rtf1 {}x{}", "{".repeat(5000), "}".repeat(5000));
        let c = run(&deep);
        assert_eq!(c.all_text(), "x");
        assert_eq!(c.warnings.len(), 1);
        let err = extract(&Input::Bytes(b"not rtf"), &mut Collect::default(), &Limits::default()).unwrap_err();
        assert!(matches!(err, ExtractError::Corrupt { kind: "rtf", .. }));
    }

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
