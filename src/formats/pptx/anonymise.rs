//! PowerPoint presentations (pptx): the package is copied member by member
//! (pictures and other binary members as they are, never decompressed) and
//! the PresentationML parts rewritten in place with the docx writer's
//! helpers, every other element and attribute as it was.
//!
//! Slides, notes pages, layouts, masters and modern comments are rewritten
//! paragraph by paragraph (`a:p`, its `a:t` runs joined, as the reader joins
//! them: a value split across runs is replaced in the first run and removed
//! from the rest); old-style comments and other XML parts (charts, document
//! properties) text node by text node, the author and last editor emptied.
//! Comment authors' names are replaced as names, their initials emptied and
//! account ids rewritten. External link targets (`mailto:`) are rewritten;
//! embedded files are anonymised with their own writer or left out and
//! listed. The thumbnail PowerPoint stores (`docProps/thumbnail.jpeg`)
//! shows the first slide as it was, so it is left out and listed, with its
//! relationship.

use quick_xml::events::{BytesStart, Event};

use crate::detect::Category;
use crate::formats::Segment;
use crate::formats::docx::anonymise::{attr_value, events, rewrite_other, rewrite_rels, rewrite_wml, serialise};
use crate::formats::rewrite::Rewrite;
use crate::formats::zip::anonymise::{Member, embedded, rewrite, rewritten};

/// How a package member is rewritten.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PartKind {
    /// DrawingML paragraphs: slides, notes, layouts, masters, modern comments.
    Paragraphs,
    /// Comment authors (`name`, `initials`, `userId` attributes).
    Authors,
    /// Any other XML: each text node on its own.
    OtherXml,
    /// Relationships: external targets rewritten.
    Rels,
    /// The package's relationships: the thumbnail's left out too.
    RootRels,
    /// A preview picture of the original first slide: left out.
    Thumbnail,
    Embedded,
    /// A picture that may hold text: read with OCR and redacted.
    Picture,
    Keep,
}

fn classify(name: &str) -> PartKind {
    let lower = name.to_ascii_lowercase();
    const PARAGRAPHS: &[&str] = &[
        "ppt/slides/",
        "ppt/notesslides/",
        "ppt/slidelayouts/",
        "ppt/slidemasters/",
        "ppt/notesmasters/",
        "ppt/handoutmasters/",
        "ppt/comments/moderncomment",
    ];
    if lower == "_rels/.rels" {
        PartKind::RootRels
    } else if lower.ends_with(".rels") {
        PartKind::Rels
    } else if lower.starts_with("docprops/thumbnail") {
        PartKind::Thumbnail
    } else if lower.starts_with("ppt/embeddings/") {
        PartKind::Embedded
    } else if lower == "ppt/commentauthors.xml" || lower == "ppt/authors.xml" {
        PartKind::Authors
    } else if lower.ends_with(".xml") && PARAGRAPHS.iter().any(|p| lower.starts_with(p)) {
        PartKind::Paragraphs
    } else if lower.ends_with(".xml") {
        PartKind::OtherXml
    } else if crate::formats::image::is_package_picture(name) {
        PartKind::Picture
    } else {
        PartKind::Keep
    }
}

/// A pptx's copy.
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    let limits = work.limits().clone();
    let mut failure: Option<String> = None;
    let mut has_main = false;
    let keep = |name: &str| matches!(classify(name), PartKind::Keep);
    let out = rewrite(data, &limits, keep, |name, bytes| {
        has_main |= name == super::MAIN_PART;
        let result = match classify(name) {
            PartKind::Keep => return Member::Keep,
            PartKind::Picture => return crate::formats::image::anonymise::package_picture(work, name, bytes),
            PartKind::Thumbnail => {
                work.not_copied(name, "preview picture of the first slide as it was: left out");
                return Member::Remove;
            }
            PartKind::Paragraphs => rewrite_wml(work, bytes),
            PartKind::Authors => rewrite_authors(work, bytes),
            PartKind::OtherXml => rewrite_other(work, bytes),
            PartKind::Rels => rewrite_rels(work, bytes),
            PartKind::RootRels => without_thumbnail(bytes).and_then(|b| rewrite_rels(work, &b)),
            PartKind::Embedded => match embedded(work, name, bytes) {
                Some(data) => Ok(data),
                None => return Member::Remove,
            },
        };
        rewritten(name, result, &mut failure)
    })?;
    if let Some(e) = failure {
        // A part that cannot be rewritten must not be copied as it was.
        return Err(format!("corrupt pptx: {e}"));
    }
    if !has_main {
        return Err("corrupt pptx: no ppt/presentation.xml: not a PowerPoint presentation".into());
    }
    Ok(out)
}

/// The package relationships without the thumbnail's.
fn without_thumbnail(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let evs = events(bytes)?;
    let is_thumbnail = |e: &BytesStart<'_>| {
        e.attributes()
            .with_checks(false)
            .flatten()
            .any(|a| a.key.as_ref() == "Type" && attr_value(&a).ends_with("/thumbnail"))
    };
    let mut kept = Vec::with_capacity(evs.len());
    let mut skipping = 0usize;
    for e in evs {
        if skipping > 0 {
            match &e {
                Event::Start(_) => skipping += 1,
                Event::End(_) => skipping -= 1,
                _ => {}
            }
            continue;
        }
        match &e {
            Event::Empty(s) if is_thumbnail(s) => continue,
            Event::Start(s) if is_thumbnail(s) => {
                skipping = 1;
                continue;
            }
            _ => kept.push(e),
        }
    }
    serialise(&kept)
}

/// Comment authors: names replaced as names, initials emptied, account ids
/// (often an email address) rewritten as the reader reads them.
fn rewrite_authors(work: &mut dyn Rewrite, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut evs = events(bytes)?;
    for ev in evs.iter_mut() {
        let (Event::Start(e) | Event::Empty(e)) = &*ev else { continue };
        let local = e.local_name().as_ref().to_string();
        if local != "cmAuthor" && local != "author" {
            continue;
        }
        let mut new = BytesStart::new(e.name().as_ref().to_string());
        for a in e.attributes().with_checks(false).flatten() {
            let key = a.key.as_ref().to_string();
            let value = attr_value(&a);
            let value = match a.key.local_name().as_ref() {
                "name" if !value.trim().is_empty() => work.replace(Category::Name, value.trim()),
                "initials" => String::new(),
                "userId" if !value.trim().is_empty() => {
                    work.rewrite(&Segment::fixed("comment author", value.trim(), None)).unwrap_or(value)
                }
                _ => value,
            };
            new.push_attribute((key.as_str(), value.as_str()));
        }
        *ev = if matches!(ev, Event::Empty(_)) { Event::Empty(new) } else { Event::Start(new) };
    }
    serialise(&evs)
}
