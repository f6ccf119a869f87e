//! Word documents (docx): the package is copied member by member and the
//! WordprocessingML parts (body, headers, footers, notes, comments) are
//! rewritten in place, every other element and attribute as it was, so the
//! formatting stays.
//!
//! Each paragraph's text is joined from its text nodes (`w:t`, and `a:t`,
//! `m:t`) as the extractor joins runs; a value found across several runs is
//! replaced in the first run's text and the rest of it removed from the
//! following runs. Tracked deletions (still in the file, not in the document
//! as it reads) are removed; the names of tracked-change and comment authors
//! are replaced as names; document properties naming the author and last
//! editor are emptied, and other small XML parts (custom XML, charts,
//! properties) have their text nodes rewritten. External link targets
//! (`mailto:`) are rewritten; embedded files are anonymised with their own
//! writer or left out.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::reader::Reader;
use quick_xml::writer::Writer;

use crate::detect::Category;
use crate::formats::Segment;
use crate::formats::rewrite::Rewrite;
use crate::formats::zip::anonymise::{Member, embedded, rewrite, rewritten};

/// Elements whose text content names a person: emptied wherever they are.
const PERSON_FIELDS: &[&str] = &["creator", "lastModifiedBy", "Manager", "Company"];

/// How a package member is rewritten.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PartKind {
    /// WordprocessingML with paragraphs.
    Wml,
    /// Any other XML: each text node on its own.
    OtherXml,
    /// Relationships: external targets rewritten.
    Rels,
    Embedded,
    /// A picture that may hold text: read with OCR and redacted.
    Picture,
    Keep,
}

fn classify(name: &str) -> PartKind {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".rels") {
        PartKind::Rels
    } else if lower.starts_with("word/embeddings/") {
        PartKind::Embedded
    } else if lower.starts_with("word/") && lower.ends_with(".xml") {
        let base = lower.trim_start_matches("word/");
        let wml = ["document", "header", "footer", "footnotes", "endnotes", "comments", "glossary/document"];
        if wml.iter().any(|p| base.starts_with(p)) { PartKind::Wml } else { PartKind::OtherXml }
    } else if lower.ends_with(".xml") {
        PartKind::OtherXml
    } else if crate::formats::image::is_package_picture(name) {
        PartKind::Picture
    } else {
        PartKind::Keep
    }
}

/// A docx's copy.
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    let limits = work.limits().clone();
    let mut failure: Option<String> = None;
    let keep = |name: &str| matches!(classify(name), PartKind::Keep);
    let out = rewrite(data, &limits, keep, |name, bytes| {
        let result = match classify(name) {
            PartKind::Keep => return Member::Keep,
            PartKind::Picture => return crate::formats::image::anonymise::package_picture(work, name, bytes),
            PartKind::Wml => rewrite_wml(work, bytes),
            PartKind::OtherXml => rewrite_other(work, bytes),
            PartKind::Rels => rewrite_rels(work, bytes),
            PartKind::Embedded => match embedded(work, name, bytes) {
                Some(data) => Ok(data),
                None => return Member::Remove,
            },
        };
        rewritten(name, result, &mut failure)
    })?;
    match failure {
        // A part that cannot be rewritten must not be copied as it was.
        Some(e) => Err(format!("corrupt docx: {e}")),
        None => Ok(out),
    }
}

/// The text of a run of character data events (text, references, CDATA).
fn event_text(e: &Event<'_>) -> Option<String> {
    match e {
        Event::Text(t) => Some(t.xml10_content().into_owned()),
        Event::CData(t) => Some(t.xml10_content().into_owned()),
        Event::GeneralRef(r) => Some(match r.resolve_char_ref() {
            Ok(Some(c)) => c.to_string(),
            _ => quick_xml::escape::resolve_predefined_entity(r).unwrap_or("").to_string(),
        }),
        _ => None,
    }
}

pub(crate) fn local_name(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

/// Parse a part into owned events, merging each run of character data into
/// one text event (so a text node is one event).
pub(crate) fn events(bytes: &[u8]) -> Result<Vec<Event<'static>>, String> {
    let mut reader = Reader::from_reader(bytes);
    let mut out: Vec<Event<'static>> = Vec::new();
    let mut buf = Vec::new();
    let mut pending: Option<String> = None;
    loop {
        let e = reader.read_event_into(&mut buf).map_err(|e| format!("damaged XML: {e}"))?;
        if let Some(t) = event_text(&e) {
            pending.get_or_insert_with(String::new).push_str(&t);
            buf.clear();
            continue;
        }
        if let Some(t) = pending.take() {
            out.push(text_event(&t));
        }
        if matches!(e, Event::Eof) {
            break;
        }
        out.push(e.into_owned());
        buf.clear();
    }
    Ok(out)
}

pub(crate) fn serialise(events: &[Event<'_>]) -> Result<Vec<u8>, String> {
    let mut w = Writer::new(Vec::new());
    for e in events {
        w.write_event(e.borrow()).map_err(|e| e.to_string())?;
    }
    Ok(w.into_inner())
}

/// A text event holding `text`, escaped once (`&`, `<` and `>` only, as
/// Word and LibreOffice write text: apostrophes and quotes stay as they are).
pub(crate) fn text_event(text: &str) -> Event<'static> {
    Event::Text(BytesText::from_escaped(quick_xml::escape::partial_escape(text).into_owned()))
}

/// The text of a text event, unescaped: the events hold escaped text (the
/// reader's, or [`text_event`]'s), and every value found in it and every
/// new text written back is plain text, escaped once by [`text_event`].
pub(crate) fn text_of<'a>(e: &'a Event<'_>) -> Cow<'a, str> {
    match e {
        Event::Text(t) => {
            let raw = t.xml10_content();
            let unescaped = match quick_xml::escape::unescape(&raw) {
                Ok(Cow::Owned(s)) => Some(s),
                _ => None,
            };
            unescaped.map_or(raw, Cow::Owned)
        }
        _ => Cow::Borrowed(""),
    }
}

/// An attribute's value, unescaped.
pub(crate) fn attr_value(a: &quick_xml::events::attributes::Attribute<'_>) -> String {
    a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map(|v| v.into_owned()).unwrap_or_default()
}

/// Rewrite author-like attributes (`w:author`, `w:initials`) of an element.
fn rewrite_attrs(work: &mut dyn Rewrite, e: &BytesStart<'_>) -> Option<BytesStart<'static>> {
    let attrs: Vec<(String, String)> =
        e.attributes().with_checks(false).flatten().map(|a| (a.key.as_ref().to_string(), attr_value(&a))).collect();
    let local_of = |k: &str| k.rsplit(':').next().unwrap_or(k).to_string();
    let touches = attrs.iter().any(|(k, _)| matches!(local_of(k).as_str(), "author" | "initials"));
    if !touches {
        return None;
    }
    let mut new = BytesStart::new(e.name().as_ref().to_string());
    for (key, v) in attrs {
        let local = local_of(&key);
        let value = if local == "author" && !v.trim().is_empty() {
            work.replace(Category::Name, v.trim())
        } else if local == "initials" {
            String::new()
        } else {
            v
        };
        new.push_attribute((key.as_str(), value.as_str()));
    }
    Some(new)
}

/// One text node of a paragraph: its event index, the index of its start
/// tag (a `w:t` start tag gets `xml:space="preserve"` when rewritten; other
/// formats pass the text event's own index, which is left alone), and its text.
pub(crate) struct Node {
    pub(crate) event: usize,
    pub(crate) start_tag: usize,
    pub(crate) text: String,
}

/// A paragraph being read: its text nodes, and separators (tabs, breaks)
/// as `None` nodes in the joined text.
#[derive(Default)]
pub(crate) struct Para {
    pub(crate) nodes: Vec<(usize, Option<Node>)>,
    pub(crate) text: String,
}

/// Rewrite a WordprocessingML part.
pub(crate) fn rewrite_wml(work: &mut dyn Rewrite, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut evs = events(bytes)?;
    let mut keep = vec![true; evs.len()];
    let mut paras: Vec<Para> = Vec::new();
    let mut finished: Vec<Para> = Vec::new();
    let mut deleted_depth = 0usize;
    // Index of the open text element's start tag, if inside one.
    let mut in_text: Option<usize> = None;
    for i in 0..evs.len() {
        if deleted_depth > 0 {
            keep[i] = false;
            match &evs[i] {
                Event::Start(_) => deleted_depth += 1,
                Event::End(_) => deleted_depth -= 1,
                _ => {}
            }
            continue;
        }
        let replaced = match &evs[i] {
            Event::Start(e) | Event::Empty(e) => rewrite_attrs(work, e),
            _ => None,
        };
        if let Some(new) = replaced {
            evs[i] = match &evs[i] {
                Event::Empty(_) => Event::Empty(new),
                _ => Event::Start(new),
            };
        }
        match &evs[i] {
            Event::Start(e) => match local_name(e).as_str() {
                "del" | "moveFrom" => {
                    keep[i] = false;
                    deleted_depth = 1;
                }
                "p" => paras.push(Para::default()),
                "t" => in_text = Some(i),
                "tab" | "br" | "cr" => push_separator(&mut paras),
                _ => {}
            },
            Event::Empty(e) => match local_name(e).as_str() {
                "tab" | "br" | "cr" => push_separator(&mut paras),
                "del" | "moveFrom" => keep[i] = false,
                _ => {}
            },
            Event::Text(_) => {
                if let (Some(start_tag), Some(p)) = (in_text, paras.last_mut()) {
                    let text = text_of(&evs[i]).into_owned();
                    let at = p.text.len();
                    p.text.push_str(&text);
                    p.nodes.push((at, Some(Node { event: i, start_tag, text })));
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = None,
                "p" => {
                    if let Some(p) = paras.pop() {
                        finished.push(p);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    for p in finished {
        apply_para(work, &p, &mut evs);
    }
    let kept: Vec<Event<'static>> = evs.into_iter().zip(keep).filter(|(_, k)| *k).map(|(e, _)| e).collect();
    serialise(&kept)
}

fn push_separator(paras: &mut [Para]) {
    if let Some(p) = paras.last_mut() {
        let at = p.text.len();
        p.text.push('\t');
        p.nodes.push((at, None));
    }
}

/// Find personal data in a paragraph and rewrite its text nodes.
pub(crate) fn apply_para(work: &mut dyn Rewrite, p: &Para, evs: &mut [Event<'static>]) {
    if p.text.trim().is_empty() {
        return;
    }
    let spans = work.spans(&Segment::lines("paragraph", 1, &p.text));
    if spans.is_empty() {
        return;
    }
    // Per node: edits (local start, local end, replacement).
    let mut edits: Vec<Vec<(usize, usize, String)>> = vec![Vec::new(); p.nodes.len()];
    for s in &spans {
        let replacement = work.replace(s.category, &p.text[s.start..s.end]);
        let mut placed = false;
        for (k, (at, node)) in p.nodes.iter().enumerate() {
            let Some(node) = node else { continue };
            let (ns, ne) = (*at, at + node.text.len());
            let (os, oe) = (s.start.max(ns), s.end.min(ne));
            if os >= oe {
                continue;
            }
            let r = if placed { String::new() } else { replacement.clone() };
            placed = true;
            edits[k].push((os - ns, oe - ns, r));
        }
    }
    for (k, (_, node)) in p.nodes.iter().enumerate() {
        let (Some(node), false) = (node, edits[k].is_empty()) else { continue };
        let mut text = node.text.clone();
        for (s, e, r) in edits[k].iter().rev() {
            text.replace_range(*s..*e, r);
        }
        evs[node.event] = text_event(&text);
        preserve_space(&mut evs[node.start_tag]);
    }
}

/// Make sure a rewritten `w:t` keeps its leading and trailing spaces.
fn preserve_space(e: &mut Event<'static>) {
    if let Event::Start(start) = e
        && !start.attributes().with_checks(false).flatten().any(|a| a.key.as_ref() == "xml:space")
    {
        start.push_attribute(("xml:space", "preserve"));
    }
}

/// Rewrite every text node of a small XML part on its own; person fields
/// (author, last modified by) are emptied.
pub(crate) fn rewrite_other(work: &mut dyn Rewrite, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut evs = events(bytes)?;
    let mut open: Vec<String> = Vec::new();
    for ev in evs.iter_mut() {
        let replaced = match &*ev {
            Event::Start(e) | Event::Empty(e) => rewrite_attrs(work, e),
            _ => None,
        };
        if let Some(new) = replaced {
            *ev = if matches!(ev, Event::Empty(_)) { Event::Empty(new) } else { Event::Start(new) };
        }
        match &*ev {
            Event::Start(e) => open.push(local_name(e)),
            Event::End(_) => {
                open.pop();
            }
            Event::Text(_) => {
                let text = text_of(ev).into_owned();
                if text.trim().is_empty() {
                    continue;
                }
                let field = open.last().map(String::as_str).unwrap_or("");
                let new = if PERSON_FIELDS.contains(&field) {
                    work.count("drop", format!("metadata {field}"));
                    Some(String::new())
                } else {
                    work.rewrite(&Segment::fixed("metadata", &text, Some(field)))
                };
                if let Some(new) = new {
                    *ev = text_event(&new);
                }
            }
            _ => {}
        }
    }
    serialise(&evs)
}

/// Rewrite external relationship targets (`mailto:jane@example.org`).
pub(crate) fn rewrite_rels(work: &mut dyn Rewrite, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut evs = events(bytes)?;
    for e in evs.iter_mut() {
        let (Event::Empty(start) | Event::Start(start)) = e else { continue };
        let Some(target) = start
            .attributes()
            .with_checks(false)
            .flatten()
            .find(|a| a.key.as_ref() == "Target")
            .map(|a| attr_value(&a))
        else {
            continue;
        };
        let decoded = target.replace("%40", "@").replace("%20", " ");
        let Some(new_target) = work.rewrite(&Segment::fixed("link", &decoded, None)) else { continue };
        let mut new = BytesStart::new(start.name().as_ref().to_string());
        for a in start.attributes().with_checks(false).flatten() {
            let key = a.key.as_ref().to_string();
            let value = if key == "Target" { new_target.clone() } else { attr_value(&a) };
            new.push_attribute((key.as_str(), value.as_str()));
        }
        *start = new;
    }
    serialise(&evs)
}
