//! OpenDocument presentations (odp): `content.xml` holds the slides
//! (`draw:page`), each with its frames of paragraphs and tables, its
//! comments (`office:annotation`) and speaker notes (`presentation:notes`);
//! `meta.xml` the document properties. Read with the docx folder's package
//! helpers and the odt reader's white-space rule and properties.
//!
//! Locations, as for pptx ([`crate::formats::pptx`]): `slide N` (the
//! slide's paragraphs together, then each table cell with its column header
//! as context), `slide N notes`, `slide N comment` (the comment's author
//! with context `Author`), and `metadata creator` (etc.).

pub mod anonymise;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::formats::docx::package::Package;
use crate::formats::docx::xml;
use crate::formats::odt::{collapse_spaces, emit_meta};
use crate::formats::pptx::{SlideText, emit_part};
use crate::formats::{Emit, ExtractError, Input, Limits, Loc, Result, Segment, SlidePart};

const TEXT: &str = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
const TABLE: &str = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
const DRAW: &str = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0";
const PRESENTATION: &str = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0";
const DC: &str = "http://purl.org/dc/elements/1.1/";

pub fn extract(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let bytes = input.bytes(limits.max_in_memory)?;
    let mut pkg = Package::open(&bytes, "odp", limits)?;
    if !pkg.has("content.xml") {
        return Err(ExtractError::corrupt("odp", "no content.xml: not an OpenDocument presentation"));
    }
    let slides = parse_content(&pkg.read_xml("content.xml")?);
    for (n, slide) in slides.pages.iter().enumerate() {
        let n = u32::try_from(n + 1).unwrap_or(u32::MAX);
        emit_part(Loc::Slide { n, part: SlidePart::Body }, &slide.text, emit);
        emit_part(Loc::Slide { n, part: SlidePart::Notes }, &slide.notes, emit);
        let comment = Loc::Slide { n, part: SlidePart::Comment };
        emit_part(comment, &slide.comments, emit);
        for a in &slide.authors {
            emit.segment(Segment { loc: comment, text: a, context: Some("Author") });
        }
    }
    if pkg.has("meta.xml") {
        match pkg.read_xml("meta.xml") {
            Ok(text) => emit_meta(&text, emit),
            Err(e) => emit.warn(format!("meta.xml not read: {e}")),
        }
    }
    crate::formats::image::emit_package_pictures(&mut pkg, emit, limits);
    match slides.error {
        Some(e) => Err(ExtractError::corrupt(
            "odp",
            format!("content.xml is damaged ({e}); the text before the damage was scanned"),
        )),
        None => Ok(()),
    }
}

/// One slide's text, notes and comments.
#[derive(Debug, Default)]
struct Page {
    text: SlideText,
    notes: SlideText,
    comments: SlideText,
    authors: Vec<String>,
}

#[derive(Debug, Default)]
struct Content {
    pages: Vec<Page>,
    error: Option<String>,
}

/// Where text read now goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Slide,
    Notes,
    Comment,
}

/// Parse `content.xml` into slides.
fn parse_content(text: &str) -> Content {
    let mut reader = NsReader::from_str(text);
    let mut out = Content::default();
    // Open paragraphs (a comment's paragraph may sit inside a slide's).
    let mut paras: Vec<(Target, String)> = Vec::new();
    let mut cell: Option<String> = None;
    let mut notes = 0u32;
    let mut comments = 0u32;
    let mut creator: Option<String> = None;
    let mut table_depth = 0u32;
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => {
                out.error = Some(format!("XML error at byte {}: {e}", reader.error_position()));
                break;
            }
        };
        let ns = match ns {
            ResolveResult::Bound(n) => n.0,
            _ => "",
        };
        let target = if comments > 0 {
            Target::Comment
        } else if notes > 0 {
            Target::Notes
        } else {
            Target::Slide
        };
        match event {
            Event::Start(e) => match (ns, xml::local(e.name().as_ref())) {
                (DRAW, "page") => out.pages.push(Page::default()),
                (PRESENTATION, "notes") => notes += 1,
                (_, "annotation") => comments += 1,
                (DC, "creator") if comments > 0 => creator = Some(String::new()),
                (TEXT, "p" | "h") => paras.push((target, String::new())),
                (TEXT, "s" | "tab" | "line-break") => separator(&mut paras, &e),
                (TABLE, "table") => {
                    table_depth += 1;
                    if table_depth == 1
                        && let Some(page) = out.pages.last_mut()
                    {
                        part(page, target).tables.push(Vec::new());
                    }
                }
                (TABLE, "table-row") if table_depth == 1 => {
                    if let Some(t) = out.pages.last_mut().and_then(|p| part(p, target).tables.last_mut()) {
                        t.push(Vec::new());
                    }
                }
                (TABLE, "table-cell" | "covered-table-cell") if table_depth == 1 => cell = Some(String::new()),
                _ => {}
            },
            Event::Empty(e) => match (ns, xml::local(e.name().as_ref())) {
                (TEXT, "s" | "tab" | "line-break") => separator(&mut paras, &e),
                (TABLE, "table-cell" | "covered-table-cell") if table_depth == 1 => {
                    if let Some(row) =
                        out.pages.last_mut().and_then(|p| part(p, target).tables.last_mut()).and_then(|t| t.last_mut())
                    {
                        row.push(String::new());
                    }
                }
                _ => {}
            },
            Event::End(e) => match (ns, xml::local(e.name().as_ref())) {
                (PRESENTATION, "notes") => notes = notes.saturating_sub(1),
                (_, "annotation") => comments = comments.saturating_sub(1),
                (DC, "creator") => {
                    let name = creator.take().map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
                    if let (Some(name), Some(page)) = (name, out.pages.last_mut())
                        && !page.authors.contains(&name)
                    {
                        page.authors.push(name);
                    }
                }
                (TEXT, "p" | "h") => {
                    let Some((to, text)) = paras.pop() else { continue };
                    let Some(page) = out.pages.last_mut() else { continue };
                    match cell.as_mut() {
                        Some(c) if paras.is_empty() => {
                            if !c.is_empty() {
                                c.push('\n');
                            }
                            c.push_str(&text);
                        }
                        _ if !text.trim().is_empty() => part(page, to).lines.push(text),
                        _ => {}
                    }
                }
                (TABLE, "table-cell" | "covered-table-cell") if table_depth == 1 => {
                    let c = cell.take().unwrap_or_default();
                    if let Some(row) =
                        out.pages.last_mut().and_then(|p| part(p, target).tables.last_mut()).and_then(|t| t.last_mut())
                    {
                        row.push(c);
                    }
                }
                (TABLE, "table") => table_depth = table_depth.saturating_sub(1),
                _ => {}
            },
            Event::Text(t) => text_to(&mut paras, &mut creator, &t.xml10_content()),
            Event::CData(t) => text_to(&mut paras, &mut creator, &t.xml10_content()),
            Event::GeneralRef(r) => text_to(&mut paras, &mut creator, &xml::entity_text(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn part(page: &mut Page, target: Target) -> &mut SlideText {
    match target {
        Target::Slide => &mut page.text,
        Target::Notes => &mut page.notes,
        Target::Comment => &mut page.comments,
    }
}

/// Text goes to a comment's author being read, else the innermost paragraph.
fn text_to(paras: &mut [(Target, String)], creator: &mut Option<String>, s: &str) {
    if let Some(c) = creator.as_mut() {
        c.push_str(s);
    } else if let Some((_, p)) = paras.last_mut() {
        p.push_str(&collapse_spaces(s));
    }
}

/// `text:s` (`text:c` spaces), `text:tab` and `text:line-break`.
fn separator(paras: &mut [(Target, String)], e: &BytesStart<'_>) {
    let Some((_, p)) = paras.last_mut() else { return };
    if let Some(text) = crate::formats::odt::white_space(xml::local(e.name().as_ref()), e) {
        p.push_str(&text);
    }
}
