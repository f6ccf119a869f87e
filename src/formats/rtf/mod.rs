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
pub(crate) mod walk;

use std::collections::HashMap;

use self::walk::{Dest, MAX_DEPTH, META, Piece, Sink};
use crate::formats::docx::flow::{Block, Cell, Para, Row, emit_body};
use crate::formats::{Emit, ExtractError, Input, Limits, Result, Segment};

pub fn extract(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let bytes = input.bytes(limits.max_in_memory)?;
    if !bytes.starts_with(b"{\\rtf") {
        return Err(ExtractError::corrupt("rtf", "does not start with {\\rtf"));
    }
    let doc = Reader::default().read(&bytes);
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

/// The reader: what the walker ([`walk::walk`]) finds, built into the
/// body's paragraphs and tables and the side texts.
#[derive(Default)]
struct Reader {
    out: Rtf,
    para: Para,
    para_count: u64,
    intbl: bool,
    cell: Vec<Block>,
    row: Vec<Cell>,
    table: Vec<Row>,
    counts: HashMap<&'static str, u32>,
}

impl Sink for Reader {
    fn spans(&self) -> bool {
        false
    }

    fn text(&mut self, dest: Dest, piece: Piece<'_>) {
        self.put(dest, piece.text);
    }

    fn structure(&mut self, dest: Dest, word: &str) {
        match word {
            "par" => self.end_para_or_cell_para(dest),
            "sect" if !self.para.text.trim().is_empty() => self.end_para_or_cell_para(dest),
            "line" | "nestcell" | "nestrow" => self.put(dest, "\n"),
            "tab" => self.put(dest, "\t"),
            "cell" => self.end_cell(dest),
            "row" => self.end_row(dest),
            "intbl" => self.intbl = true,
            "pard" => self.intbl = false,
            _ => {}
        }
    }

    fn side(&mut self, word: &'static str) -> usize {
        if let Some((_, location, context)) = META.iter().find(|m| m.0 == word) {
            return self.push_sub(location.to_string(), Some(context));
        }
        match word {
            "footnote" => self.new_sub("footnote"),
            "annotation" => self.new_sub("comment"),
            "atnauthor" => {
                let n = self.counts.get("comment").copied().unwrap_or(0) + 1;
                self.push_sub(format!("comment {n}"), Some("Author"))
            }
            "shptxt" => {
                let location = format!("text box in paragraph {}", self.para_count + 1);
                self.push_sub(location, None)
            }
            w if w.starts_with("footer") => self.new_sub("footer"),
            _ => self.new_sub("header"),
        }
    }

    fn too_deep(&mut self) {
        self.out.too_deep = true;
    }
}

impl Reader {
    fn read(mut self, data: &[u8]) -> Rtf {
        walk::walk(data, &mut self);
        self.end_para();
        self.end_table();
        self.out
    }

    /// A new numbered separate text (`header 2`, `comment 1`).
    fn new_sub(&mut self, label: &'static str) -> usize {
        let n = self.counts.entry(label).or_insert(0);
        *n += 1;
        let location = format!("{label} {n}");
        self.push_sub(location, None)
    }

    fn push_sub(&mut self, location: String, context: Option<&'static str>) -> usize {
        self.out.subs.push(Sub { location, context, text: String::new() });
        self.out.subs.len() - 1
    }

    /// Text for a destination.
    fn put(&mut self, dest: Dest, s: &str) {
        match dest {
            Dest::Body => self.para.text.push_str(s),
            Dest::Side(i) => {
                if let Some(sub) = self.out.subs.get_mut(i) {
                    sub.text.push_str(s);
                }
            }
            _ => {}
        }
    }

    /// `\par`: ends a body paragraph (in a table: a paragraph of the cell).
    fn end_para_or_cell_para(&mut self, dest: Dest) {
        match dest {
            Dest::Body if self.intbl => {
                let p = std::mem::take(&mut self.para);
                self.cell.push(Block::Para(p));
            }
            Dest::Body => {
                self.end_table();
                let p = std::mem::take(&mut self.para);
                self.push_para(p);
            }
            _ => self.put(dest, "\n"),
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
                self.end_cell(Dest::Body);
            } else {
                self.end_table();
                self.push_para(p);
            }
        }
    }

    fn end_cell(&mut self, dest: Dest) {
        if dest != Dest::Body {
            return self.put(dest, "\t");
        }
        let p = std::mem::take(&mut self.para);
        if !p.text.is_empty() || self.cell.is_empty() {
            self.cell.push(Block::Para(p));
        }
        let blocks = std::mem::take(&mut self.cell);
        self.row.push(Cell { blocks, span: 1 });
    }

    fn end_row(&mut self, dest: Dest) {
        if dest != Dest::Body {
            return self.put(dest, "\n");
        }
        if !self.para.text.trim().is_empty() || !self.cell.is_empty() {
            self.end_cell(dest);
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
}
