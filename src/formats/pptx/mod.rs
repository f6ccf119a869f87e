//! PowerPoint presentations (pptx, ppsx, pptm, potx): a zip package of
//! PresentationML parts, read with the docx folder's package and XML helpers.
//!
//! Slides are read in presentation order (the slide list of
//! `ppt/presentation.xml` and its relationships, not the parts' file names)
//! and numbered from 1 as PowerPoint numbers them, hidden slides included.
//! Locations:
//! - `slide N`: the text of the slide's shapes (grouped shapes and
//!   placeholders included), one paragraph a line, in one segment; each
//!   table cell is a segment of its own, with the cell above it in the
//!   table's first row as context (the column header).
//! - `slide N notes`: the speaker notes (the notes page's slide number left out).
//! - `slide N comment`: the comments on the slide, old-style
//!   (`ppt/comments/commentN.xml`) and modern (`modernComment_*.xml`).
//! - `comment author`: the names (context `Author`) and account ids of the
//!   people who commented (`ppt/commentAuthors.xml`, `ppt/authors.xml`).
//! - `chart N` / `diagram N`: text in charts (titles, category and series
//!   names) and SmartArt, as for docx.
//! - `metadata creator` (etc.): document properties, as for docx.
//!
//! Files embedded in slides (`ppt/embeddings/`: a workbook, a document) are
//! handed back as parts. A damaged slide is reported as a corrupt file once
//! the rest of the presentation has been read; a damaged notes or comment
//! part is a warning.

pub mod anonymise;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::formats::docx::package::Package;
use crate::formats::docx::{emit_drawings, emit_metadata, xml};
use crate::formats::{Emit, ExtractError, Input, Limits, Loc, Result, Segment, SlidePart};

const DRAWING: &str = "http://schemas.openxmlformats.org/drawingml/2006/main";
const DRAWING_STRICT: &str = "http://purl.oclc.org/ooxml/drawingml/main";
const MAIN_PART: &str = "ppt/presentation.xml";

/// Read a pptx: slides in order with their notes and comments, comment
/// authors, document properties, and embedded files as parts.
pub fn extract(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let bytes = input.bytes(limits.max_in_memory)?;
    let mut pkg = Package::open(&bytes, "pptx", limits)?;
    if !pkg.has(MAIN_PART) {
        return Err(ExtractError::corrupt("pptx", "no ppt/presentation.xml: not a PowerPoint presentation"));
    }
    let mut damaged: Option<String> = None;
    for (n, slide) in slide_order(&mut pkg, emit).into_iter().enumerate() {
        let number = u32::try_from(n + 1).unwrap_or(u32::MAX);
        match pkg.read_xml(&slide) {
            Ok(text) => {
                let parsed = parse_part(&text);
                emit_part(Loc::Slide { n: number, part: SlidePart::Body }, &parsed, emit);
                if let Some(e) = parsed.error {
                    damaged.get_or_insert(format!("{slide} is damaged ({e}); the text before the damage was scanned"));
                }
            }
            Err(e) => {
                damaged.get_or_insert(format!("{slide} not read: {e}"));
            }
        }
        for (rel_type, target, _) in relationships(&mut pkg, &slide) {
            let part = if rel_type.ends_with("/notesSlide") {
                SlidePart::Notes
            } else if rel_type.ends_with("/comments") {
                SlidePart::Comment
            } else {
                continue;
            };
            if let Some(text) = read_optional(&mut pkg, &target, emit) {
                let parsed = parse_part(&text);
                emit_part(Loc::Slide { n: number, part }, &parsed, emit);
                if let Some(e) = parsed.error {
                    emit.warn(format!("{target} is damaged ({e}); read up to the damage"));
                }
            }
        }
    }
    for part in ["ppt/commentAuthors.xml", "ppt/authors.xml"] {
        if let Some(text) = read_optional(&mut pkg, part, emit) {
            emit_authors(&text, emit);
        }
    }
    emit_drawings(&mut pkg, &[("ppt/charts/chart", "chart"), ("ppt/diagrams/data", "diagram")], emit);
    emit_metadata(&mut pkg, emit);
    emit_embedded(&mut pkg, emit);
    crate::formats::image::emit_package_pictures(&mut pkg, emit, limits);
    match damaged {
        Some(why) => Err(ExtractError::corrupt("pptx", why)),
        None => Ok(()),
    }
}

/// The slide parts in presentation order: the slide list of
/// `ppt/presentation.xml` resolved through its relationships; the slides
/// by the number in their file name if the list cannot be read.
fn slide_order(pkg: &mut Package<'_>, emit: &mut dyn Emit) -> Vec<String> {
    let rels = relationships(pkg, MAIN_PART);
    let ids = pkg.read_xml(MAIN_PART).map(|t| slide_ids(&t)).unwrap_or_default();
    let mut order: Vec<String> = ids
        .iter()
        .filter_map(|id| rels.iter().find(|(_, _, rid)| rid == id))
        .map(|(_, target, _)| target.clone())
        .filter(|t| pkg.has(t))
        .collect();
    if order.is_empty() {
        let mut numbered: Vec<(u32, String)> = pkg
            .names()
            .iter()
            .filter_map(|n| {
                let k = n.strip_prefix("ppt/slides/slide")?.strip_suffix(".xml")?.parse().ok()?;
                Some((k, n.clone()))
            })
            .collect();
        numbered.sort();
        if !numbered.is_empty() {
            emit.warn(
                "the slide list in ppt/presentation.xml could not be read: slides are numbered by file name".into(),
            );
        }
        order = numbered.into_iter().map(|(_, n)| n).collect();
    }
    order.dedup();
    order
}

/// The relationship ids of `p:sldIdLst`, in order.
fn slide_ids(presentation: &str) -> Vec<String> {
    let mut reader = NsReader::from_str(presentation);
    let mut ids = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if xml::local(e.name().as_ref()) == "sldId" => {
                // `r:id`, not the numeric `id` beside it.
                if let Some(id) = e
                    .attributes()
                    .with_checks(false)
                    .flatten()
                    .find(|a| a.key.prefix().is_some() && a.key.local_name().as_ref() == "id")
                    .map(|a| crate::formats::docx::anonymise::attr_value(&a))
                {
                    ids.push(id);
                }
            }
            Ok(Event::Eof) | Err(_) => return ids,
            _ => {}
        }
    }
}

/// The internal relationships of a part: `(type, target part, id)`, targets
/// resolved against the part's folder.
fn relationships(pkg: &mut Package<'_>, part: &str) -> Vec<(String, String, String)> {
    let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
    let rels_name = if dir.is_empty() { format!("_rels/{file}.rels") } else { format!("{dir}/_rels/{file}.rels") };
    if !pkg.has(&rels_name) {
        return Vec::new();
    }
    let Ok(text) = pkg.read_xml(&rels_name) else { return Vec::new() };
    let mut reader = NsReader::from_str(&text);
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if xml::local(e.name().as_ref()) == "Relationship" => {
                if xml::attr(&e, "TargetMode").is_some_and(|m| m.eq_ignore_ascii_case("External")) {
                    continue;
                }
                if let (Some(t), Some(target), Some(id)) =
                    (xml::attr(&e, "Type"), xml::attr(&e, "Target"), xml::attr(&e, "Id"))
                {
                    out.push((t, resolve(dir, &target), id));
                }
            }
            Ok(Event::Eof) | Err(_) => return out,
            _ => {}
        }
    }
}

/// A relationship target as a package member name: relative to `dir`, or
/// absolute from the package root.
fn resolve(dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') { Vec::new() } else { dir.split('/').collect() };
    for piece in target.split('/') {
        match piece {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.retain(|p| !p.is_empty());
    parts.join("/")
}

/// The text of one slide, notes page or comments part (pptx and odp).
#[derive(Debug, Default)]
pub(crate) struct SlideText {
    /// Paragraphs outside tables, in file order (blank ones left out).
    pub(crate) lines: Vec<String>,
    /// Tables: rows of cells, each cell's paragraphs joined by line breaks.
    pub(crate) tables: Vec<Vec<Vec<String>>>,
    pub(crate) error: Option<String>,
}

/// Parse a slide, notes page or comments part: DrawingML paragraphs
/// (`a:p` with their `a:t` runs and fields, `a:br` as a line break) and
/// tables, and old-style comments' `p:text`.
fn parse_part(text: &str) -> SlideText {
    let mut reader = NsReader::from_str(text);
    let mut out = SlideText::default();
    let mut para: Option<String> = None;
    let mut cell: Option<String> = None;
    let mut in_text = false;
    let mut table_depth = 0u32;
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => {
                out.error = Some(format!("XML error at byte {}: {e}", reader.error_position()));
                break;
            }
        };
        let drawing = matches!(ns, ResolveResult::Bound(n) if n.0 == DRAWING || n.0 == DRAWING_STRICT);
        match event {
            Event::Start(e) => match (drawing, xml::local(e.name().as_ref())) {
                (true, "fld") if is_slide_number(&e) => {
                    if let Err(err) = reader.read_to_end(e.name()) {
                        out.error = Some(err.to_string());
                        break;
                    }
                }
                (true, "p") => para = Some(String::new()),
                (true, "t") => in_text = true,
                (true, "tbl") => {
                    table_depth += 1;
                    if table_depth == 1 {
                        out.tables.push(Vec::new());
                    }
                }
                (true, "tr") if table_depth == 1 => {
                    if let Some(t) = out.tables.last_mut() {
                        t.push(Vec::new());
                    }
                }
                (true, "tc") if table_depth == 1 => cell = Some(String::new()),
                // Old-style comments: the text is the element's content.
                (false, "text") => {
                    in_text = true;
                    para = Some(String::new());
                }
                _ => {}
            },
            Event::Empty(e) => match (drawing, xml::local(e.name().as_ref())) {
                (true, "br") => push(&mut para, "\n"),
                (true, "tc") if table_depth == 1 => {
                    if let Some(row) = out.tables.last_mut().and_then(|t| t.last_mut()) {
                        row.push(String::new());
                    }
                }
                _ => {}
            },
            Event::End(e) => match (drawing, xml::local(e.name().as_ref())) {
                (true, "t") => in_text = false,
                (true, "p") | (false, "text") => {
                    in_text = false;
                    let Some(p) = para.take() else { continue };
                    match cell.as_mut() {
                        Some(c) => {
                            if !c.is_empty() {
                                c.push('\n');
                            }
                            c.push_str(&p);
                        }
                        None if !p.trim().is_empty() => out.lines.push(p),
                        None => {}
                    }
                }
                (true, "tc") if table_depth == 1 => {
                    let c = cell.take().unwrap_or_default();
                    if let Some(row) = out.tables.last_mut().and_then(|t| t.last_mut()) {
                        row.push(c);
                    }
                }
                (true, "tbl") => table_depth = table_depth.saturating_sub(1),
                _ => {}
            },
            Event::Text(t) if in_text => push(&mut para, &t.xml10_content()),
            Event::CData(t) if in_text => push(&mut para, &t.xml10_content()),
            Event::GeneralRef(r) if in_text => push(&mut para, &xml::entity_text(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn push(para: &mut Option<String>, s: &str) {
    if let Some(p) = para.as_mut() {
        p.push_str(s);
    }
}

/// A field showing the slide's number (on notes pages and footers).
fn is_slide_number(e: &BytesStart<'_>) -> bool {
    xml::attr(e, "type").is_some_and(|t| t == "slidenum")
}

/// A parsed part's segments at `loc`: its paragraphs together, then
/// each table cell with its column header as context.
pub(crate) fn emit_part(loc: Loc<'_>, parsed: &SlideText, emit: &mut dyn Emit) {
    if !parsed.lines.is_empty() {
        emit.segment(Segment { loc, text: &parsed.lines.join("\n"), context: None });
    }
    for table in &parsed.tables {
        let header = table.first();
        for (r, row) in table.iter().enumerate() {
            for (c, text) in row.iter().enumerate() {
                if text.trim().is_empty() {
                    continue;
                }
                let context = header
                    .filter(|_| r > 0)
                    .and_then(|h| h.get(c))
                    .map(|h| h.trim())
                    .filter(|h| !h.is_empty() && !h.contains('\n'));
                emit.segment(Segment { loc, text, context });
            }
        }
    }
}

/// Comment authors: names with context `Author`, and account ids (often
/// an email address).
fn emit_authors(text: &str, emit: &mut dyn Emit) {
    let mut reader = NsReader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if matches!(xml::local(e.name().as_ref()), "cmAuthor" | "author") => {
                if let Some(name) = xml::attr(&e, "name").filter(|n| !n.trim().is_empty()) {
                    emit.segment(Segment::fixed("comment author", name.trim(), Some("Author")));
                }
                if let Some(id) = xml::attr(&e, "userId").filter(|n| !n.trim().is_empty()) {
                    emit.segment(Segment::fixed("comment author", id.trim(), None));
                }
            }
            Ok(Event::Eof) | Err(_) => return,
            _ => {}
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

/// Files embedded in slides, handed back as parts named by their path.
fn emit_embedded(pkg: &mut Package<'_>, emit: &mut dyn Emit) {
    let names: Vec<String> =
        pkg.names().iter().filter(|n| !n.ends_with('/') && n.starts_with("ppt/embeddings/")).cloned().collect();
    for name in names {
        match pkg.read(&name) {
            Ok(bytes) => emit.part(&name, &bytes),
            Err(e) => emit.warn(format!("embedded file {name} not read: {e}")),
        }
    }
}
