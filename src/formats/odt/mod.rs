//! OpenDocument text (odt): `content.xml` for the body, comments
//! (`office:annotation`), notes and tracked deletions; `styles.xml` for page
//! headers and footers; `meta.xml` for the author. Locations follow the
//! docx scheme (see [`crate::formats::docx::flow`]); deleted text kept by change tracking is
//! `tracked change N`. ODF's initial creator is reported as `metadata
//! creator` and its `dc:creator` (the last editor) as `metadata
//! lastModifiedBy`, matching the docx names.

pub mod anonymise;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::formats::docx::flow::{Block, FlowBuilder, emit_body, emit_flat};
use crate::formats::docx::package::Package;
use crate::formats::docx::xml;
use crate::formats::{Emit, ExtractError, Input, Limits, Result, Segment};

/// The text an OpenDocument white-space element stands for, by its local
/// name: `text:s` (`text:c` spaces, 1 to 1,000), `text:tab`,
/// `text:line-break`; `None` for any other element.
pub(crate) fn white_space(local: &str, e: &BytesStart<'_>) -> Option<String> {
    match local {
        "s" => {
            let n = xml::attr(e, "c").and_then(|c| c.trim().parse::<usize>().ok()).unwrap_or(1);
            Some(" ".repeat(n.clamp(1, 1000)))
        }
        "tab" => Some("\t".into()),
        "line-break" => Some("\n".into()),
        _ => None,
    }
}

const TEXT: &str = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
const TABLE: &str = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
const OFFICE: &str = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
const DRAW: &str = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0";
const STYLE: &str = "urn:oasis:names:tc:opendocument:xmlns:style:1.0";
const DC: &str = "http://purl.org/dc/elements/1.1/";

/// Most empty cells one `number-columns-repeated` may add (only their positions matter).
const MAX_REPEAT: u32 = 64;

pub fn extract(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let bytes = input.bytes(limits.max_in_memory)?;
    let mut pkg = Package::open(&bytes, "odt", limits)?;
    if !pkg.has("content.xml") {
        return Err(ExtractError::corrupt("odt", "no content.xml: not an OpenDocument text"));
    }
    let doc = parse_odf(&pkg.read_xml("content.xml")?);
    emit_body(&doc.flow, emit);
    if doc.too_deep {
        emit.warn("content.xml: tables or frames nested too deeply; some text may be missing".into());
    }
    emit_items(&doc, emit);
    if pkg.has("styles.xml") {
        match pkg.read_xml("styles.xml") {
            Ok(text) => emit_items(&parse_odf(&text), emit),
            Err(e) => emit.warn(format!("styles.xml (headers and footers) not read: {e}")),
        }
    }
    if pkg.has("meta.xml") {
        match pkg.read_xml("meta.xml") {
            Ok(text) => emit_meta(&text, emit),
            Err(e) => emit.warn(format!("meta.xml not read: {e}")),
        }
    }
    crate::formats::image::emit_package_pictures(&mut pkg, emit, limits);
    match doc.error {
        Some(e) => Err(ExtractError::corrupt(
            "odt",
            format!("content.xml is damaged ({e}); the text before the damage was scanned"),
        )),
        None => Ok(()),
    }
}

/// What kind of side item a separate flow is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ItemKind {
    Comment,
    Footnote,
    Endnote,
    Deletion,
    Header,
    Footer,
}

impl ItemKind {
    fn label(self) -> &'static str {
        match self {
            ItemKind::Comment => "comment",
            ItemKind::Footnote => "footnote",
            ItemKind::Endnote => "endnote",
            ItemKind::Deletion => "tracked change",
            ItemKind::Header => "header",
            ItemKind::Footer => "footer",
        }
    }
}

/// A comment, note, deletion, header or footer, with its author if any.
#[derive(Debug)]
struct Item {
    kind: ItemKind,
    author: Option<String>,
    blocks: Vec<Block>,
}

/// An ODF part as parsed.
#[derive(Debug, Default)]
struct Odf {
    flow: Vec<Block>,
    items: Vec<Item>,
    /// Authors of tracked changes, each once.
    authors: Vec<String>,
    error: Option<String>,
    /// Nesting past the cap was flattened.
    too_deep: bool,
}

/// What an element means to the text flow.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tag {
    Para,
    Spaces,
    Tab,
    LineBreak,
    Table,
    HeaderRows,
    Row,
    Cell,
    Covered,
    TextBox,
    Note,
    NoteCitation,
    /// Starts a separate flow of this kind.
    Item(ItemKind),
    ChangeInfo,
    Creator,
    Other,
}

fn classify(ns: &ResolveResult<'_>, local: &str) -> Tag {
    let ns = match ns {
        ResolveResult::Bound(n) => n.0,
        _ => "",
    };
    match (ns, local) {
        (TEXT, "p" | "h") => Tag::Para,
        (TEXT, "s") => Tag::Spaces,
        (TEXT, "tab") => Tag::Tab,
        (TEXT, "line-break") => Tag::LineBreak,
        (TEXT, "note") => Tag::Note,
        (TEXT, "note-citation") => Tag::NoteCitation,
        (TEXT, "note-body") => Tag::Item(ItemKind::Footnote),
        (TEXT, "deletion") => Tag::Item(ItemKind::Deletion),
        (TABLE, "table") => Tag::Table,
        (TABLE, "table-header-rows") => Tag::HeaderRows,
        (TABLE, "table-row") => Tag::Row,
        (TABLE, "table-cell") => Tag::Cell,
        (TABLE, "covered-table-cell") => Tag::Covered,
        (DRAW, "text-box") => Tag::TextBox,
        (OFFICE, "annotation") => Tag::Item(ItemKind::Comment),
        (OFFICE, "change-info") => Tag::ChangeInfo,
        (STYLE, "header" | "header-left" | "header-first") => Tag::Item(ItemKind::Header),
        (STYLE, "footer" | "footer-left" | "footer-first") => Tag::Item(ItemKind::Footer),
        (DC, "creator") => Tag::Creator,
        _ => Tag::Other,
    }
}

/// Parser state over one ODF part.
#[derive(Default)]
struct OdfParser {
    flow: FlowBuilder,
    out: Odf,
    /// Open separate flows, innermost last, with the author found so far.
    open: Vec<(ItemKind, Option<String>)>,
    /// Class of the note being read (`footnote` or `endnote`).
    note_class: Option<String>,
    in_header_rows: bool,
    in_change_info: bool,
    /// Text of a `dc:creator` being read.
    creator: Option<String>,
}

impl OdfParser {
    fn start(&mut self, tag: Tag, e: &BytesStart<'_>, empty: bool) {
        match tag {
            Tag::Para => {
                self.flow.start_para();
                if empty {
                    self.flow.end_para();
                }
            }
            Tag::Spaces | Tag::Tab | Tag::LineBreak => {
                if let Some(text) = white_space(xml::local(e.name().as_ref()), e) {
                    self.flow.text(&text);
                }
            }
            Tag::Table if !empty => self.flow.start_table(),
            Tag::HeaderRows if !empty => self.in_header_rows = true,
            Tag::Row if !empty => {
                self.flow.start_row();
                if self.in_header_rows {
                    self.flow.mark_header_row();
                }
            }
            Tag::Cell => self.start_cell(e, empty),
            Tag::TextBox if !empty => self.flow.start_flow(),
            Tag::Note => self.note_class = xml::attr(e, "note-class"),
            Tag::Item(kind) if !empty => {
                let kind = match (kind, self.note_class.as_deref()) {
                    (ItemKind::Footnote, Some("endnote")) => ItemKind::Endnote,
                    (k, _) => k,
                };
                self.open.push((kind, None));
                self.flow.start_flow();
            }
            Tag::ChangeInfo if !empty => self.in_change_info = true,
            Tag::Creator if !empty => self.creator = Some(String::new()),
            _ => {}
        }
    }

    /// A table cell; repeated empty cells keep the columns of the cells after them.
    fn start_cell(&mut self, e: &BytesStart<'_>, empty: bool) {
        let span = xml::attr(e, "number-columns-spanned").and_then(|s| s.parse().ok()).unwrap_or(1);
        let repeat = if empty {
            xml::attr(e, "number-columns-repeated").and_then(|s| s.parse().ok()).unwrap_or(1).clamp(1, MAX_REPEAT)
        } else {
            1
        };
        for _ in 0..repeat {
            self.flow.start_cell();
            self.flow.set_cell_span(span);
            if empty {
                self.flow.end_cell();
            }
        }
    }

    fn end(&mut self, tag: Tag) {
        match tag {
            Tag::Para => self.flow.end_para(),
            Tag::Table => self.flow.end_table(),
            Tag::HeaderRows => self.in_header_rows = false,
            Tag::Row => self.flow.end_row(),
            Tag::Cell => self.flow.end_cell(),
            Tag::TextBox => {
                let blocks = self.flow.end_flow();
                self.flow.add_box(blocks);
            }
            Tag::Note => self.note_class = None,
            Tag::Item(_) => {
                if let Some((kind, author)) = self.open.pop() {
                    let blocks = self.flow.end_flow();
                    self.out.items.push(Item { kind, author, blocks });
                }
            }
            Tag::ChangeInfo => self.in_change_info = false,
            Tag::Creator => self.end_creator(),
            _ => {}
        }
    }

    /// A `dc:creator` names a comment's author or a tracked change's author.
    fn end_creator(&mut self) {
        let Some(name) = self.creator.take().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()) else {
            return;
        };
        if self.in_change_info {
            if !self.out.authors.contains(&name) {
                self.out.authors.push(name);
            }
        } else if let Some((ItemKind::Comment, author)) = self.open.last_mut() {
            *author = Some(name);
        }
    }

    fn text(&mut self, s: &str) {
        if let Some(c) = self.creator.as_mut() {
            c.push_str(s);
        } else if self.flow.in_para() {
            self.flow.text(&collapse_spaces(s));
        }
    }
}

/// ODF collapses runs of white space in text to one space (`text:s` and
/// `text:tab` carry the meaningful ones).
pub(crate) fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = false;
    for c in s.chars() {
        let space = matches!(c, ' ' | '\t' | '\n' | '\r');
        if !(space && last_space) {
            out.push(if space { ' ' } else { c });
        }
        last_space = space;
    }
    out
}

/// Parse an ODF part (content.xml or styles.xml).
fn parse_odf(text: &str) -> Odf {
    let mut reader = NsReader::from_str(text);
    let mut p = OdfParser::default();
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => {
                p.out.error = Some(format!("XML error at byte {}: {e}", reader.error_position()));
                break;
            }
        };
        match event {
            Event::Start(e) => {
                let tag = classify(&ns, xml::local(e.name().as_ref()));
                if tag == Tag::NoteCitation {
                    // The note's number, not its text.
                    if let Err(err) = reader.read_to_end(e.name()) {
                        p.out.error = Some(err.to_string());
                        break;
                    }
                } else {
                    p.start(tag, &e, false);
                }
            }
            Event::Empty(e) => {
                let tag = classify(&ns, xml::local(e.name().as_ref()));
                p.start(tag, &e, true);
            }
            Event::End(e) => {
                let tag = classify(&ns, xml::local(e.name().as_ref()));
                p.end(tag);
            }
            Event::Text(t) => p.text(&t.xml10_content()),
            Event::CData(t) => p.text(&t.xml10_content()),
            Event::GeneralRef(r) => p.text(&xml::entity_text(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    let mut out = p.out;
    if p.flow.too_deep() {
        out.error.get_or_insert_with(|| "nested too deeply".to_string());
    }
    out.flow = p.flow.finish();
    out
}

/// Comments (with authors), notes, deletions, headers and footers, each
/// numbered from 1 within its kind; then tracked-change authors.
fn emit_items(doc: &Odf, emit: &mut dyn Emit) {
    let mut counts = [0u32; 6];
    for item in &doc.items {
        let n = &mut counts[item.kind as usize];
        *n += 1;
        let location = format!("{} {n}", item.kind.label());
        emit_flat(&location, &item.blocks, emit);
        if let Some(a) = &item.author {
            emit.segment(Segment::fixed(&location, a, Some("Author")));
        }
    }
    for a in &doc.authors {
        emit.segment(Segment::fixed("tracked change author", a, Some("Author")));
    }
}

/// `meta.xml`: creators, title and the like, and user-defined fields.
pub(crate) fn emit_meta(text: &str, emit: &mut dyn Emit) {
    const META: &[(&str, &str, &str)] = &[
        ("initial-creator", "metadata creator", "Author"),
        ("creator", "metadata lastModifiedBy", "Author"),
        ("title", "metadata title", "Document title"),
        ("subject", "metadata subject", "Subject"),
        ("keyword", "metadata keywords", "Keywords"),
        ("description", "metadata description", "Description"),
    ];
    for f in xml::fields(text).iter().filter(|f| f.path.len() == 3) {
        if f.path[2] == "user-defined"
            && let Some(name) = &f.name
        {
            emit.segment(Segment::fixed(&format!("metadata custom {name}"), &f.text, Some(name)));
        } else if let Some((_, location, context)) = META.iter().find(|m| m.0 == f.path[2]) {
            emit.segment(Segment::fixed(location, &f.text, Some(context)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Collect;
    use std::io::Write;

    const NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0""#;

    fn odt(files: &[(&str, String)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(b"application/vnd.oasis.opendocument.text").unwrap();
        for (name, body) in files {
            zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn run(bytes: &[u8]) -> Collect {
        let mut c = Collect::default();
        extract(&Input::Bytes(bytes), &mut c, &Limits::default()).unwrap();
        c
    }

    fn content(body: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}><office:body><office:text>{body}</office:text></office:body></office:document-content>"#
        )
    }

    #[test]
    fn odt_body_tables_comments_notes_and_meta() {
        let body = concat!(
            r#"<text:tracked-changes><text:changed-region text:id="c1"><text:deletion><office:change-info><dc:creator>Sam Editor</dc:creator><dc:date>2024-01-01T00:00:00</dc:date></office:change-info><text:p>Old phone 07700 900999</text:p></text:deletion></text:changed-region></text:tracked-changes>"#,
            r#"<text:h text:outline-level="1">Referral</text:h>"#,
            r#"<text:p>Client: <text:span text:style-name="T1">Jane Ro</text:span>berts<text:s text:c="2"/>DOB<text:tab/>12/03/1985</text:p>"#,
            r#"<text:p/>"#,
            r#"<text:p>Email jane.ro<text:span>berts@example.org</text:span><office:annotation><dc:creator>Priya Patel</dc:creator><dc:date>2024-02-02T10:00:00</dc:date><text:p>Check with mum on 07700 900123</text:p></office:annotation> today<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>NI QQ123456C</text:p></text:note-body></text:note></text:p>"#,
            r#"<table:table table:name="T1"><table:table-column/><table:table-header-rows><table:table-row><table:table-cell><text:p>Name</text:p></table:table-cell><table:table-cell><text:p>Postcode</text:p></table:table-cell></table:table-row></table:table-header-rows>"#,
            r#"<table:table-row><table:table-cell><text:p>Tom Jones</text:p></table:table-cell><table:table-cell><text:p>SW1A 1AA</text:p></table:table-cell></table:table-row></table:table>"#,
            r#"<text:p>Line one<text:line-break/>line two</text:p>"#,
        );
        let styles = format!(
            r#"<office:document-styles {NS}><office:master-styles><style:master-page style:name="Standard"><style:header><text:p>Confidential: Hope Trust</text:p></style:header><style:footer><text:p>Case worker Ann Lee</text:p></style:footer></style:master-page></office:master-styles></office:document-styles>"#
        );
        let meta = format!(
            r#"<office:document-meta {NS}><office:meta><meta:initial-creator>Ann Lee</meta:initial-creator><dc:creator>Bob Smith</dc:creator><meta:user-defined meta:name="Client">Jane Roberts</meta:user-defined></office:meta></office:document-meta>"#
        );
        let c = run(&odt(&[("content.xml", content(body)), ("styles.xml", styles), ("meta.xml", meta)]));
        let seg = |loc: &str| {
            c.segments.iter().find(|s| s.0 == loc).cloned().unwrap_or_else(|| panic!("{loc} in {:#?}", c.segments))
        };
        assert_eq!(
            seg("paragraph 1").1,
            "Referral\nClient: Jane Roberts  DOB\t12/03/1985\n\nEmail jane.roberts@example.org today\nLine one\tline two"
        );
        assert_eq!(
            seg("table 1 row 2 cell 2"),
            ("table 1 row 2 cell 2".into(), "SW1A 1AA".into(), Some("Postcode".into()))
        );
        assert_eq!(seg("comment 1").1, "Check with mum on 07700 900123");
        let author = c.segments.iter().find(|s| s.0 == "comment 1" && s.2.is_some()).unwrap();
        assert_eq!(author.1, "Priya Patel");
        assert_eq!(seg("footnote 1").1, "NI QQ123456C");
        assert_eq!(seg("tracked change 1").1, "Old phone 07700 900999");
        assert_eq!(seg("tracked change author").1, "Sam Editor");
        assert_eq!(seg("header 1").1, "Confidential: Hope Trust");
        assert_eq!(seg("footer 1").1, "Case worker Ann Lee");
        assert_eq!(seg("metadata creator"), ("metadata creator".into(), "Ann Lee".into(), Some("Author".into())));
        assert_eq!(seg("metadata lastModifiedBy").1, "Bob Smith");
        assert_eq!(seg("metadata custom Client").1, "Jane Roberts");
        assert!(!c.all_text().contains("2024"), "dates and note numbers are not text");
    }

    #[test]
    fn odt_without_content_is_corrupt() {
        let bytes = odt(&[("meta.xml", "<x/>".into())]);
        let err = extract(&Input::Bytes(&bytes), &mut Collect::default(), &Limits::default()).unwrap_err();
        assert!(matches!(err, ExtractError::Corrupt { kind: "odt", .. }), "{err}");
    }
}
