//! Word documents: docx (zip + WordprocessingML), odt and rtf.
//!
//! All three are parsed into the same flow of paragraphs and tables
//! ([`flow`]), so they share one location scheme: `paragraph N` for body
//! paragraphs outside tables, `table T row R cell C` for table cells (with
//! the column header or the form label beside the cell as context), `text
//! box in paragraph N`, `deleted text in paragraph N`, `header N` / `footer
//! N`, `footnote N`, `endnote N`, `comment N`, `chart N` / `diagram N`, and
//! `metadata creator` (etc.) for document properties.
//!
//! docx specifics: text split across runs is joined per paragraph before it
//! is emitted; tracked insertions read as normal text, and tracked deletions
//! (`w:delText`, moved-away text), still in the file, are emitted apart;
//! field codes are skipped but field results kept; the names of
//! tracked-change and comment authors are emitted with context `Author`;
//! files in `word/embeddings/` and imported `altChunk` files are handed back
//! as parts. A damaged `word/document.xml` yields the text before the damage
//! and then a corrupt-file error; a damaged header, note or comment part is
//! a warning.

pub mod anonymise;

pub(crate) mod flow;
pub mod package;
pub(crate) mod xml;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use self::flow::{Block, FlowBuilder, emit_body, emit_flat};
use self::package::Package;
use super::{Emit, ExtractError, Input, Limits, Result, Segment};

const WML: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const WML_STRICT: &str = "http://purl.oclc.org/ooxml/wordprocessingml/main";
const MC: &str = "http://schemas.openxmlformats.org/markup-compatibility/2006";
const MATH: &str = "http://schemas.openxmlformats.org/officeDocument/2006/math";

const MAIN_PART: &str = "word/document.xml";

/// Extract a docx (or docm, dotx): body, headers, footers, notes, comments,
/// metadata, and embedded files as parts.
pub fn extract(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let bytes = input.bytes(limits.max_in_memory)?;
    let mut pkg = Package::open(&bytes, "docx", limits)?;
    let main = main_part(&mut pkg)
        .ok_or_else(|| ExtractError::corrupt("docx", "no word/document.xml: not a Word document"))?;
    let doc = parse_wml(&pkg.read_xml(&main)?);
    emit_body(&doc.flow, emit);
    if doc.too_deep {
        emit.warn(format!("{main}: tables or text boxes nested too deeply; some text may be missing"));
    }
    emit_authors("tracked change author", &doc.authors, emit);
    emit_side_parts(&mut pkg, emit);
    emit_drawings(&mut pkg, &[("word/charts/chart", "chart"), ("word/diagrams/data", "diagram")], emit);
    emit_metadata(&mut pkg, emit);
    emit_embedded(&mut pkg, emit);
    super::image::emit_package_pictures(&mut pkg, emit, limits);
    match doc.error {
        Some(e) => Err(ExtractError::corrupt(
            "docx",
            format!("{main} is damaged ({e}); the text before the damage was scanned"),
        )),
        None => Ok(()),
    }
}

/// The main document part: `word/document.xml`, or wherever the package
/// relationships point when a tool named it differently.
fn main_part(pkg: &mut Package<'_>) -> Option<String> {
    if pkg.has(MAIN_PART) {
        return Some(MAIN_PART.to_string());
    }
    let rels = pkg.read_xml("_rels/.rels").ok()?;
    let mut reader = NsReader::from_str(&rels);
    loop {
        match reader.read_event() {
            Ok(Event::Empty(e) | Event::Start(e)) if xml::local(e.name().as_ref()) == "Relationship" => {
                let is_main = xml::attr(&e, "Type").is_some_and(|t| t.ends_with("/officeDocument"));
                if let Some(target) = xml::attr(&e, "Target").filter(|_| is_main) {
                    let target = target.trim_start_matches('/').to_string();
                    return pkg.has(&target).then_some(target);
                }
            }
            Ok(Event::Eof) | Err(_) => return None,
            _ => {}
        }
    }
}

/// A WordprocessingML part as parsed.
#[derive(Debug, Default)]
struct Wml {
    /// The part's main flow: the body, or a header's content.
    flow: Vec<Block>,
    /// Footnotes, endnotes or comments, in file order (separators left out).
    items: Vec<Item>,
    /// Authors of tracked changes, each once, in order of first appearance.
    authors: Vec<String>,
    /// Why parsing stopped early, when the XML is damaged.
    error: Option<String>,
    /// Nesting past the cap was flattened.
    too_deep: bool,
}

/// One note or comment.
#[derive(Debug)]
struct Item {
    author: Option<String>,
    blocks: Vec<Block>,
}

/// What an element means to the text flow.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tag {
    Para,
    Table,
    Row,
    Cell,
    HeaderRow,
    GridSpan,
    TextBox,
    Run,
    Text,
    DelText,
    /// A tracked deletion or the old place of moved text.
    Deleted,
    Tab,
    Break,
    Hyphen,
    Item,
    Fallback,
    Other,
}

fn classify(ns: &ResolveResult<'_>, local: &str) -> Tag {
    let ns = match ns {
        ResolveResult::Bound(n) => n.0,
        _ => "",
    };
    if ns == MC {
        return if local == "Fallback" { Tag::Fallback } else { Tag::Other };
    }
    if ns == MATH {
        return if local == "t" { Tag::Text } else { Tag::Other };
    }
    if ns != WML && ns != WML_STRICT {
        return Tag::Other;
    }
    match local {
        "p" => Tag::Para,
        "tbl" => Tag::Table,
        "tr" => Tag::Row,
        "tc" => Tag::Cell,
        "tblHeader" => Tag::HeaderRow,
        "gridSpan" => Tag::GridSpan,
        "txbxContent" => Tag::TextBox,
        "r" => Tag::Run,
        "t" => Tag::Text,
        "delText" => Tag::DelText,
        "del" | "moveFrom" => Tag::Deleted,
        "tab" | "ptab" => Tag::Tab,
        "br" | "cr" => Tag::Break,
        "noBreakHyphen" => Tag::Hyphen,
        "footnote" | "endnote" | "comment" => Tag::Item,
        _ => Tag::Other,
    }
}

/// Whether a WordprocessingML element records a tracked change (and so its author).
fn is_change(local: &str) -> bool {
    matches!(local, "ins" | "del" | "moveFrom" | "moveTo" | "cellIns" | "cellDel" | "cellMerge")
        || local.ends_with("PrChange")
}

/// Parser state over one WordprocessingML part.
#[derive(Default)]
struct WmlParser {
    flow: FlowBuilder,
    items: Vec<Item>,
    authors: Vec<String>,
    /// Author of the note or comment being read.
    item_author: Option<String>,
    in_item: bool,
    /// Depth of `w:r` elements (tabs and breaks count only inside runs, not in tab-stop lists).
    runs: u32,
    /// Depth of tracked deletions.
    deletions: u32,
    in_text: bool,
    in_del_text: bool,
}

impl WmlParser {
    /// An element opens; `empty` when it has no content (`<w:p/>`).
    fn start(&mut self, tag: Tag, e: &BytesStart<'_>, local: &str, empty: bool) {
        if is_change(local) {
            self.note_author(e);
        }
        match tag {
            Tag::Para => {
                self.flow.start_para();
                if empty {
                    self.flow.end_para();
                }
            }
            Tag::Table if !empty => self.flow.start_table(),
            Tag::Row if !empty => self.flow.start_row(),
            Tag::Cell => {
                self.flow.start_cell();
                if empty {
                    self.flow.end_cell();
                }
            }
            Tag::HeaderRow if on(e) => self.flow.mark_header_row(),
            Tag::GridSpan => self.flow.set_cell_span(xml::attr(e, "val").and_then(|v| v.parse().ok()).unwrap_or(1)),
            Tag::TextBox if !empty => self.flow.start_flow(),
            Tag::Run if !empty => self.runs += 1,
            Tag::Text if !empty => self.in_text = true,
            Tag::DelText if !empty => self.in_del_text = true,
            Tag::Deleted if !empty => {
                self.deletions += 1;
                self.flow.deletion_break();
            }
            Tag::Tab if self.runs > 0 => self.flow.text("\t"),
            Tag::Break if self.runs > 0 => self.flow.text("\n"),
            Tag::Hyphen => self.flow.text("-"),
            Tag::Item if !empty => {
                self.in_item = true;
                self.item_author = xml::attr(e, "author");
                self.flow.start_flow();
            }
            _ => {}
        }
    }

    /// Remember the author of a tracked change.
    fn note_author(&mut self, e: &BytesStart<'_>) {
        if let Some(a) = xml::attr(e, "author").filter(|a| !a.trim().is_empty())
            && !self.authors.contains(&a)
        {
            self.authors.push(a);
        }
    }

    /// Text inside `w:t` or `w:delText`; deleted text is kept apart.
    fn text(&mut self, s: &str) {
        if self.in_del_text || (self.in_text && self.deletions > 0) {
            self.flow.deleted_text(s);
        } else if self.in_text {
            self.flow.text(s);
        }
    }

    fn end(&mut self, tag: Tag) {
        match tag {
            Tag::Para => self.flow.end_para(),
            Tag::Table => self.flow.end_table(),
            Tag::Row => self.flow.end_row(),
            Tag::Cell => self.flow.end_cell(),
            Tag::TextBox => {
                let blocks = self.flow.end_flow();
                self.flow.add_box(blocks);
            }
            Tag::Run => self.runs = self.runs.saturating_sub(1),
            Tag::Text => self.in_text = false,
            Tag::DelText => self.in_del_text = false,
            Tag::Deleted => self.deletions = self.deletions.saturating_sub(1),
            Tag::Item if self.in_item => {
                self.in_item = false;
                let blocks = self.flow.end_flow();
                self.items.push(Item { author: self.item_author.take(), blocks });
            }
            _ => {}
        }
    }
}

/// Whether an on/off property (`<w:tblHeader/>`, `w:val="true"`) is on.
fn on(e: &BytesStart<'_>) -> bool {
    !matches!(xml::attr(e, "val").as_deref(), Some("0" | "false" | "off"))
}

/// Whether a note is a separator line rather than a real note.
fn is_separator(e: &BytesStart<'_>) -> bool {
    xml::attr(e, "type").is_some_and(|t| t != "normal")
}

/// Parse a WordprocessingML part (document, header, footer, notes, comments).
fn parse_wml(text: &str) -> Wml {
    let mut reader = NsReader::from_str(text);
    let mut p = WmlParser::default();
    let mut error = None;
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => {
                error = Some(format!("XML error at byte {}: {e}", reader.error_position()));
                break;
            }
        };
        match event {
            Event::Start(e) => {
                let local = xml::local(e.name().as_ref()).to_string();
                let tag = classify(&ns, &local);
                let skip = tag == Tag::Fallback || (tag == Tag::Item && is_separator(&e));
                if skip {
                    // Word writes text boxes twice: skip the legacy copy (and note separators).
                    if let Err(err) = reader.read_to_end(e.name()) {
                        error = Some(err.to_string());
                        break;
                    }
                } else {
                    p.start(tag, &e, &local, false);
                }
            }
            Event::Empty(e) => {
                let local = xml::local(e.name().as_ref()).to_string();
                p.start(classify(&ns, &local), &e, &local, true);
            }
            Event::End(e) => {
                let local = xml::local(e.name().as_ref()).to_string();
                p.end(classify(&ns, &local));
            }
            Event::Text(t) => p.text(&t.xml10_content()),
            Event::CData(t) => p.text(&t.xml10_content()),
            Event::GeneralRef(r) => p.text(&xml::entity_text(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    Wml { too_deep: p.flow.too_deep(), flow: p.flow.finish(), items: p.items, authors: p.authors, error }
}

/// Emit each distinct author name with context `Author`.
fn emit_authors(location: &str, authors: &[String], emit: &mut dyn Emit) {
    for a in authors {
        emit.segment(Segment::fixed(location, a.trim(), Some("Author")));
    }
}

/// The number in a part name like `word/header12.xml` (1 when there is none).
fn part_number(name: &str, stem: &str) -> Option<u32> {
    let rest = name.strip_prefix(stem)?.strip_suffix(".xml")?;
    if rest.is_empty() {
        return Some(1);
    }
    rest.parse().ok()
}

/// Parts named `{stem}N.xml`, ordered by N.
fn numbered_parts(pkg: &Package<'_>, stem: &str) -> Vec<(u32, String)> {
    let mut parts: Vec<(u32, String)> =
        pkg.names().iter().filter_map(|n| part_number(n, stem).map(|k| (k, n.clone()))).collect();
    parts.sort();
    parts
}

/// Text in charts (titles, category and series names) and SmartArt
/// diagrams, one item a line, located `chart N` / `diagram N`: the parts
/// named `{stem}N.xml` for each `(stem, label)` of `sources`.
pub(crate) fn emit_drawings(pkg: &mut Package<'_>, sources: &[(&str, &str)], emit: &mut dyn Emit) {
    for &(stem, label) in sources {
        for (k, name) in numbered_parts(pkg, stem) {
            let Some(text) = read_optional(pkg, &name, emit) else {
                continue;
            };
            let lines: Vec<String> = xml::fields(&text)
                .into_iter()
                .filter(|f| match f.path.last().map(String::as_str) {
                    Some("t") => true,
                    // Cached values: only strings (labels), not the numbers plotted.
                    Some("v") => f.path.iter().any(|p| p == "strCache"),
                    _ => false,
                })
                .map(|f| f.text)
                .collect();
            if !lines.is_empty() {
                emit.segment(Segment::fixed(&format!("{label} {k}"), &lines.join("\n"), None));
            }
        }
    }
}

/// Headers, footers, footnotes, endnotes and comments. A damaged side part
/// is reported as a warning; the rest of the document is still read.
fn emit_side_parts(pkg: &mut Package<'_>, emit: &mut dyn Emit) {
    for (stem, label) in [("word/header", "header"), ("word/footer", "footer")] {
        for (k, name) in numbered_parts(pkg, stem) {
            if let Some(doc) = read_side(pkg, &name, emit) {
                emit_flat(&format!("{label} {k}"), &doc.flow, emit);
            }
        }
    }
    for (name, label) in
        [("word/footnotes.xml", "footnote"), ("word/endnotes.xml", "endnote"), ("word/comments.xml", "comment")]
    {
        if !pkg.has(name) {
            continue;
        }
        let Some(doc) = read_side(pkg, name, emit) else {
            continue;
        };
        for (i, item) in doc.items.iter().enumerate() {
            let location = format!("{label} {}", i + 1);
            emit_flat(&location, &item.blocks, emit);
            if let Some(a) = item.author.as_deref().filter(|a| !a.trim().is_empty()) {
                emit.segment(Segment::fixed(&location, a.trim(), Some("Author")));
            }
        }
        emit_authors("tracked change author", &doc.authors, emit);
    }
    if pkg.has("word/people.xml") {
        emit_people(pkg, emit);
    }
}

/// Read and parse a side part, warning instead of failing.
fn read_side(pkg: &mut Package<'_>, name: &str, emit: &mut dyn Emit) -> Option<Wml> {
    match pkg.read_xml(name) {
        Ok(text) => {
            let doc = parse_wml(&text);
            if let Some(e) = &doc.error {
                emit.warn(format!("{name} is damaged ({e}); read up to the damage"));
            }
            Some(doc)
        }
        Err(e) => {
            emit.warn(format!("{name} not read: {e}"));
            None
        }
    }
}

/// `word/people.xml`: the people who commented or edited, with their account ids
/// (often an email address).
fn emit_people(pkg: &mut Package<'_>, emit: &mut dyn Emit) {
    let text = match pkg.read_xml("word/people.xml") {
        Ok(t) => t,
        Err(e) => return emit.warn(format!("word/people.xml not read: {e}")),
    };
    let mut reader = NsReader::from_str(&text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                let found = match xml::local(e.name().as_ref()) {
                    "person" => xml::attr(&e, "author").map(|a| (a, Some("Author"))),
                    "presenceInfo" => xml::attr(&e, "userId").map(|u| (u, None)),
                    _ => None,
                };
                if let Some((value, context)) = found.filter(|(v, _)| !v.trim().is_empty()) {
                    emit.segment(Segment::fixed("metadata people", value.trim(), context));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
}

/// The document properties of any Office Open XML package (docx, xlsx):
/// read problems become warnings, never errors.
pub fn emit_package_metadata(bytes: &[u8], kind: &'static str, limits: &Limits, emit: &mut dyn Emit) {
    match Package::open(bytes, kind, limits) {
        Ok(mut pkg) => emit_metadata(&mut pkg, emit),
        Err(e) => emit.warn(format!("document properties not read: {e}")),
    }
}

/// Document properties: who wrote and last saved it, title, company, custom
/// properties (templates often store client details there).
pub(crate) fn emit_metadata(pkg: &mut Package<'_>, emit: &mut dyn Emit) {
    const CORE: &[(&str, &str, &str)] = &[
        ("creator", "metadata creator", "Author"),
        ("lastModifiedBy", "metadata lastModifiedBy", "Author"),
        ("title", "metadata title", "Document title"),
        ("subject", "metadata subject", "Subject"),
        ("keywords", "metadata keywords", "Keywords"),
        ("description", "metadata description", "Description"),
        ("Company", "metadata company", "Company"),
        ("Manager", "metadata manager", "Manager"),
    ];
    for part in ["docProps/core.xml", "docProps/app.xml"] {
        let Some(text) = read_optional(pkg, part, emit) else {
            continue;
        };
        for f in xml::fields(&text).iter().filter(|f| f.path.len() == 2) {
            if let Some((_, location, context)) = CORE.iter().find(|c| c.0 == f.path[1]) {
                emit.segment(Segment::fixed(location, &f.text, Some(context)));
            }
        }
    }
    if let Some(text) = read_optional(pkg, "docProps/custom.xml", emit) {
        for f in xml::fields(&text) {
            if let Some(name) = f.name.as_deref().filter(|_| f.path.len() == 3) {
                emit.segment(Segment::fixed(&format!("metadata custom {name}"), &f.text, Some(name)));
            }
        }
    }
}

/// A part that may be absent; read errors become warnings.
fn read_optional(pkg: &mut Package<'_>, name: &str, emit: &mut dyn Emit) -> Option<String> {
    if !pkg.has(name) {
        return None;
    }
    pkg.read_xml(name).map_err(|e| emit.warn(format!("{name} not read: {e}"))).ok()
}

/// Files embedded in the document (a spreadsheet, another document) and
/// imported chunks (`w:altChunk`: HTML, RTF or another docx shown as part of
/// the body), handed back as parts named by their path in the package.
fn emit_embedded(pkg: &mut Package<'_>, emit: &mut dyn Emit) {
    let names: Vec<String> = pkg.names().iter().filter(|n| !n.ends_with('/') && is_embedded(n)).cloned().collect();
    for name in names {
        match pkg.read(&name) {
            Ok(bytes) => emit.part(&name, &bytes),
            Err(e) => emit.warn(format!("embedded file {name} not read: {e}")),
        }
    }
}

fn is_embedded(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    name.starts_with("word/embeddings/") || file.starts_with("afchunk") || file.starts_with("altchunk")
}

#[cfg(test)]
mod tests;
