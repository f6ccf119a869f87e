//! OpenDocument text (odt): the package is copied member by member with
//! `mimetype` written first and uncompressed (the ODF rule), and the XML
//! parts rewritten in place, every other element and attribute as it was,
//! so the formatting stays.
//!
//! `content.xml` and `styles.xml` (page headers and footers), and those of
//! embedded objects (`Object 1/content.xml`), are read paragraph by
//! paragraph (`text:p`, `text:h`) as the extractor reads them: the text of
//! every `text:span`, link and field in a paragraph is joined, with
//! `text:s`, `text:tab` and `text:line-break` as spaces, tabs and breaks; a
//! value split across spans is replaced in the first and removed from the
//! rest (the docx writer's [`crate::formats::docx::anonymise::apply_para`]). Comments
//! (`office:annotation`), notes and text boxes are paragraphs of their own;
//! comment authors are replaced as names; author and sender fields are
//! emptied. Tracked changes are accepted: the record of deleted text and of
//! who changed what (`text:tracked-changes`) is removed. Link targets and
//! titles are rewritten. In `meta.xml` the initial creator, last editor and
//! printer are emptied and title, subject, keywords, description and
//! user-defined fields rewritten; in `settings.xml` text values are
//! rewritten and binary printer set-ups kept.
//!
//! The preview images LibreOffice stores (`Thumbnails/`, and
//! `ObjectReplacements/` for embedded objects) show the original text, so
//! they are left out and listed, and their `META-INF/manifest.xml` entries
//! removed. Embedded binary objects are anonymised with their own writer or
//! left out and listed. Pictures are copied as they are, as in docx.

use quick_xml::events::{BytesStart, Event};

use crate::detect::Category;
use crate::formats::Segment;
use crate::formats::docx::anonymise::{
    Node, Para, apply_para, attr_value, events, local_name, rewrite_other, serialise, text_event, text_of,
};
use crate::formats::odt::collapse_spaces;
use crate::formats::rewrite::Rewrite;
use crate::formats::zip::anonymise::{
    Member, add_member, embedded, finish, new_writer, read_member, rewrite_into, rewritten,
};

/// The media type of an OpenDocument text, used when the source's own
/// `mimetype` member is missing or odd.
const ODT_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.text";

/// Elements whose text shows a person's details (author and sender fields):
/// emptied wherever they are.
const PERSON_FIELDS: &[&str] = &["author-name", "author-initials", "initial-creator", "creator-initials"];

/// Elements whose text is not part of the paragraph around them (a comment's
/// author and date, a note's number, a frame's title).
const NOT_PARAGRAPH_TEXT: &[&str] = &["annotation", "note", "note-citation", "frame"];

/// Attributes holding text that may name someone (link targets, titles, field values).
const TEXT_ATTRIBUTES: &[&str] = &["href", "title", "string-value"];

/// How a package member is rewritten.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PartKind {
    /// Written first by the writer itself.
    Mimetype,
    /// Rewritten last, without the entries of members left out.
    Manifest,
    /// Paragraphs: content.xml and styles.xml (also in embedded objects).
    Flow,
    /// Document properties.
    Meta,
    /// Application settings: text values rewritten, binary (printer) blobs kept.
    Settings,
    /// Any other XML (settings): each text node on its own.
    OtherXml,
    /// Preview images of the original text: left out.
    Preview,
    /// An embedded file that is not XML.
    Embedded,
    /// A picture that may hold text: read with OCR and redacted.
    Picture,
    Keep,
}

fn classify(name: &str) -> PartKind {
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit('/').next().unwrap_or(&lower);
    if lower == "mimetype" {
        PartKind::Mimetype
    } else if lower == "meta-inf/manifest.xml" {
        PartKind::Manifest
    } else if lower.starts_with("thumbnails/") || lower.starts_with("objectreplacements/") {
        PartKind::Preview
    } else if base == "content.xml" || base == "styles.xml" {
        PartKind::Flow
    } else if base == "meta.xml" {
        PartKind::Meta
    } else if base == "settings.xml" {
        PartKind::Settings
    } else if lower.ends_with(".xml") || lower.ends_with(".rdf") {
        PartKind::OtherXml
    } else if lower.starts_with("object ") {
        PartKind::Embedded
    } else if crate::formats::image::is_package_picture(name) {
        PartKind::Picture
    } else {
        PartKind::Keep
    }
}

/// An odt's copy.
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    write_package(work, data, "odt", ODT_MIMETYPE)
}

/// The copy of an OpenDocument package (`kind` names it in messages: odt,
/// odp): the same parts and rules whatever its kind; `mimetype` is the
/// source's, or `default_mimetype` when it is missing or odd.
pub(crate) fn write_package(
    work: &mut dyn Rewrite,
    data: &[u8],
    kind: &str,
    default_mimetype: &[u8],
) -> Result<Vec<u8>, String> {
    let limits = work.limits().clone();
    let manifest = read_member(data, "META-INF/manifest.xml", &limits)?;
    if manifest.as_deref().is_some_and(|m| m.windows(15).any(|w| w == b"encryption-data")) {
        return Err(format!("encrypted (password-protected) {kind}: remove the password to anonymise it"));
    }
    let mimetype = read_member(data, "mimetype", &limits)?
        .filter(|m| m.starts_with(b"application/vnd.oasis.opendocument.") && m.len() < 100)
        .unwrap_or_else(|| default_mimetype.to_vec());
    let mut out = new_writer();
    add_member(&mut out, "mimetype", &mimetype, true)?;
    let mut left_out: Vec<String> = Vec::new();
    let mut failure: Option<String> = None;
    let mut has_content = false;
    let keep = |name: &str| matches!(classify(name), PartKind::Keep);
    rewrite_into(&mut out, data, &limits, keep, |name, bytes| {
        let kind = classify(name);
        has_content |= name == "content.xml";
        let result = match kind {
            PartKind::Mimetype | PartKind::Manifest => return Member::Remove,
            PartKind::Keep => return Member::Keep,
            PartKind::Picture => return crate::formats::image::anonymise::package_picture(work, name, bytes),
            PartKind::Preview => {
                work.not_copied(name, "preview image of the original text: left out");
                left_out.push(name.to_string());
                return Member::Remove;
            }
            PartKind::Flow => rewrite_flow(work, bytes),
            PartKind::Meta => rewrite_meta(work, bytes),
            PartKind::Settings => rewrite_settings(work, bytes),
            PartKind::OtherXml => rewrite_other(work, bytes),
            PartKind::Embedded => match embedded(work, name, bytes) {
                Some(data) => Ok(data),
                None => {
                    left_out.push(name.to_string());
                    return Member::Remove;
                }
            },
        };
        rewritten(name, result, &mut failure)
    })?;
    if let Some(e) = failure {
        // A part that cannot be rewritten must not be copied as it was.
        return Err(format!("corrupt {kind}: {e}"));
    }
    if !has_content {
        return Err(format!("corrupt {kind}: no content.xml: not an OpenDocument file"));
    }
    if let Some(m) = manifest {
        let new = rewrite_manifest(&m, &left_out).map_err(|e| format!("corrupt {kind}: META-INF/manifest.xml: {e}"))?;
        add_member(&mut out, "META-INF/manifest.xml", &new, false)?;
    }
    finish(out)
}

/// What an open element means for the text inside it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    /// A paragraph or heading: its text is joined and searched as one.
    Para,
    /// Text here is not part of the paragraph around it.
    Apart,
    /// An author or sender field: its text is emptied.
    Person,
    /// Takes the role of the element around it (spans, links...).
    Inherit,
}

/// State while reading one ODF part.
#[derive(Default)]
struct Flow {
    /// Roles of the open elements, innermost last.
    roles: Vec<Role>,
    /// Local names of the open elements.
    names: Vec<String>,
    /// Paragraphs being read, innermost last.
    paras: Vec<Para>,
    finished: Vec<Para>,
}

impl Flow {
    /// The role that decides where text goes: the innermost one that is not `Inherit`.
    fn role(&self) -> Role {
        self.roles.iter().rev().copied().find(|r| *r != Role::Inherit).unwrap_or(Role::Apart)
    }

    fn start(&mut self, name: String) {
        let role = if name == "p" || name == "h" {
            self.paras.push(Para::default());
            Role::Para
        } else if NOT_PARAGRAPH_TEXT.contains(&name.as_str()) {
            Role::Apart
        } else if PERSON_FIELDS.contains(&name.as_str())
            || name.starts_with("sender-")
            || (name == "creator" && self.role() == Role::Para)
        {
            Role::Person
        } else {
            Role::Inherit
        };
        self.roles.push(role);
        self.names.push(name);
    }

    fn end(&mut self) {
        self.names.pop();
        if self.roles.pop() == Some(Role::Para)
            && let Some(p) = self.paras.pop()
        {
            self.finished.push(p);
        }
    }

    /// Text of the open paragraph standing for a `text:s`, `text:tab` or `text:line-break`.
    fn separator(&mut self, s: &str) {
        if self.role() == Role::Para
            && let Some(p) = self.paras.last_mut()
        {
            let at = p.text.len();
            p.text.push_str(s);
            p.nodes.push((at, None));
        }
    }

    /// A text node of the open paragraph.
    fn node(&mut self, event: usize, text: String) {
        if let Some(p) = self.paras.last_mut() {
            let at = p.text.len();
            p.text.push_str(&text);
            p.nodes.push((at, Some(Node { event, start_tag: event, text })));
        }
    }
}

/// The text a `text:s` (`text:c` spaces), `text:tab` or `text:line-break` stands for.
fn separator_text(e: &BytesStart<'_>) -> Option<String> {
    crate::formats::odt::white_space(&local_name(e), e)
}

/// Rewrite content.xml or styles.xml.
fn rewrite_flow(work: &mut dyn Rewrite, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut evs = events(bytes)?;
    let mut keep = vec![true; evs.len()];
    let mut flow = Flow::default();
    // Depth inside an element being left out (tracked changes).
    let mut removed_depth = 0usize;
    for i in 0..evs.len() {
        if removed_depth > 0 {
            keep[i] = false;
            match &evs[i] {
                Event::Start(_) => removed_depth += 1,
                Event::End(_) => removed_depth -= 1,
                _ => {}
            }
            continue;
        }
        if let Event::Start(e) | Event::Empty(e) = &evs[i]
            && let Some(new) = rewrite_text_attrs(work, e)
        {
            evs[i] = if matches!(evs[i], Event::Empty(_)) { Event::Empty(new) } else { Event::Start(new) };
        }
        match &evs[i] {
            Event::Start(e) => {
                let name = local_name(e);
                if name == "tracked-changes" {
                    keep[i] = false;
                    removed_depth = 1;
                    work.count("drop", "tracked changes".into());
                } else if let Some(s) = separator_text(e) {
                    // Unusual but valid: `<text:tab></text:tab>`.
                    flow.separator(&s);
                    flow.start(name);
                } else {
                    flow.start(name);
                }
            }
            Event::Empty(e) => match local_name(e).as_str() {
                "change" | "change-start" | "change-end" => keep[i] = false,
                "p" | "h" => {}
                _ => {
                    if let Some(s) = separator_text(e) {
                        flow.separator(&s);
                    }
                }
            },
            Event::End(_) => flow.end(),
            Event::Text(_) => {
                let raw = text_of(&evs[i]).into_owned();
                match flow.role() {
                    Role::Para => flow.node(i, collapse_spaces(&raw)),
                    Role::Person => {
                        if !raw.trim().is_empty() {
                            let field = flow.names.last().cloned().unwrap_or_default();
                            work.count("drop", format!("field {field}"));
                            evs[i] = text_event("");
                        }
                    }
                    Role::Apart | Role::Inherit => {
                        let parent = flow.names.last().map(String::as_str).unwrap_or("");
                        if let Some(new) = apart_text(work, parent, &raw) {
                            evs[i] = text_event(&new);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for p in std::mem::take(&mut flow.finished) {
        apply_para(work, &p, &mut evs);
    }
    let kept: Vec<Event<'static>> = evs.into_iter().zip(keep).filter(|(_, k)| *k).map(|(e, _)| e).collect();
    serialise(&kept)
}

/// Text outside paragraphs (a comment's author, a frame's description):
/// its replacement, if it changes.
fn apart_text(work: &mut dyn Rewrite, parent: &str, raw: &str) -> Option<String> {
    let text = raw.trim();
    if text.is_empty() || parent == "date" || parent == "date-string" {
        return None;
    }
    match parent {
        "creator" => Some(work.replace(Category::Name, text)),
        _ => work.rewrite(&Segment::fixed("text", raw, None)),
    }
}

/// Rewrite attributes that hold text (`xlink:href="mailto:..."`, titles,
/// field values); `None` when nothing changes.
fn rewrite_text_attrs(work: &mut dyn Rewrite, e: &BytesStart<'_>) -> Option<BytesStart<'static>> {
    let attrs: Vec<(String, String, bool)> = e
        .attributes()
        .with_checks(false)
        .flatten()
        .map(|a| {
            let local = a.key.local_name().as_ref().to_string();
            (a.key.as_ref().to_string(), attr_value(&a), TEXT_ATTRIBUTES.contains(&&*local))
        })
        .collect();
    let mut changed = false;
    let mut new = BytesStart::new(e.name().as_ref().to_string());
    for (key, value, text) in attrs {
        let rewritten = if text {
            let decoded = value.replace("%40", "@").replace("%20", " ");
            work.rewrite(&Segment::fixed("link", &decoded, None))
        } else {
            None
        };
        changed |= rewritten.is_some();
        new.push_attribute((key.as_str(), rewritten.as_deref().unwrap_or(&value)));
    }
    changed.then_some(new)
}

/// Rewrite `meta.xml`: who made and edited the document is emptied; titles,
/// descriptions and user-defined fields are rewritten with the extractor's
/// context.
fn rewrite_meta(work: &mut dyn Rewrite, bytes: &[u8]) -> Result<Vec<u8>, String> {
    const EMPTIED: &[&str] = &["initial-creator", "creator", "printed-by"];
    let mut evs = events(bytes)?;
    // Open elements: local name and `meta:name` attribute.
    let mut open: Vec<(String, Option<String>)> = Vec::new();
    for ev in evs.iter_mut() {
        if let Event::Start(e) | Event::Empty(e) = &*ev
            && let Some(new) = rewrite_text_attrs(work, e)
        {
            *ev = if matches!(ev, Event::Empty(_)) { Event::Empty(new) } else { Event::Start(new) };
        }
        match &*ev {
            Event::Start(e) => {
                let name = e
                    .attributes()
                    .with_checks(false)
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == "name")
                    .map(|a| attr_value(&a));
                open.push((local_name(e), name));
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Text(_) => {
                let text = text_of(ev).into_owned();
                let (field, name) = open.last().cloned().unwrap_or_default();
                if text.trim().is_empty() || field.ends_with("date") || field == "generator" {
                    continue;
                }
                let new = if EMPTIED.contains(&field.as_str()) {
                    work.count("drop", format!("metadata {field}"));
                    Some(String::new())
                } else {
                    let context = match field.as_str() {
                        "title" => Some("Document title"),
                        "subject" => Some("Subject"),
                        "keyword" => Some("Keywords"),
                        "description" => Some("Description"),
                        "user-defined" => name.as_deref(),
                        _ => None,
                    };
                    work.rewrite(&Segment::fixed("metadata", &text, context))
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

/// Rewrite `settings.xml`: each text value on its own (a printer or data
/// source name), except base64 blobs (printer set-up), which are kept.
fn rewrite_settings(work: &mut dyn Rewrite, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut evs = events(bytes)?;
    // Whether each open element holds binary data.
    let mut binary: Vec<bool> = Vec::new();
    for ev in evs.iter_mut() {
        match &*ev {
            Event::Start(e) => binary.push(
                e.attributes()
                    .with_checks(false)
                    .flatten()
                    .any(|a| a.key.local_name().as_ref() == "type" && attr_value(&a) == "base64Binary"),
            ),
            Event::End(_) => {
                binary.pop();
            }
            Event::Text(_) if binary.last() == Some(&false) => {
                let text = text_of(ev).into_owned();
                if let Some(new) = work.rewrite(&Segment::fixed("settings", &text, None)) {
                    *ev = text_event(&new);
                }
            }
            _ => {}
        }
    }
    serialise(&evs)
}

/// `META-INF/manifest.xml` without the entries of members left out of the copy.
fn rewrite_manifest(bytes: &[u8], left_out: &[String]) -> Result<Vec<u8>, String> {
    let evs = events(bytes)?;
    let listed = |e: &BytesStart<'_>| {
        e.attributes()
            .with_checks(false)
            .flatten()
            .find(|a| a.key.local_name().as_ref() == "full-path")
            .is_some_and(|a| left_out.contains(&attr_value(&a)))
    };
    let mut kept = Vec::with_capacity(evs.len());
    let mut skipping = 0usize;
    for ev in evs {
        if skipping > 0 {
            match &ev {
                Event::Start(_) => skipping += 1,
                Event::End(_) => skipping -= 1,
                _ => {}
            }
            continue;
        }
        match &ev {
            Event::Empty(e) if local_name(e) == "file-entry" && listed(e) => continue,
            Event::Start(e) if local_name(e) == "file-entry" && listed(e) => {
                skipping = 1;
                continue;
            }
            _ => kept.push(ev),
        }
    }
    serialise(&kept)
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;
    use crate::anonymise::Work;
    use crate::formats::{Collect, Input, Limits};

    const NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0""#;

    /// An odt package with these members after `mimetype`.
    fn odt(files: &[(&str, String)]) -> Vec<u8> {
        let mut out = new_writer();
        add_member(&mut out, "mimetype", ODT_MIMETYPE, true).expect("mimetype");
        for (name, body) in files {
            add_member(&mut out, name, body.as_bytes(), false).expect("member");
        }
        finish(out).expect("zip")
    }

    fn member(zip: &[u8], name: &str) -> Option<String> {
        let mut archive = ::zip::ZipArchive::new(Cursor::new(zip)).expect("zip");
        let mut s = String::new();
        archive.by_name(name).ok()?.read_to_string(&mut s).expect("utf-8");
        Some(s)
    }

    fn with_work<T>(data: &[u8], f: impl FnOnce(&mut Work<'_>) -> T) -> T {
        let parts = crate::anonymise::TestParts::new();
        let anon = parts.anonymiser();
        let mut work = Work::new(&anon, "a.odt", &Input::Bytes(data));
        f(&mut work)
    }

    fn sample() -> Vec<u8> {
        let body = concat!(
            r#"<text:tracked-changes><text:changed-region text:id="c1"><text:deletion><office:change-info><dc:creator>Sam Editor</dc:creator></office:change-info><text:p>Old phone 07700 900999</text:p></text:deletion></text:changed-region></text:tracked-changes>"#,
            r#"<text:h>Referral</text:h>"#,
            r#"<text:p>Client: <text:span text:style-name="T1">Jane Ro</text:span>berts, date of birth 12/03/1985.<text:change text:change-id="c1"/></text:p>"#,
            r#"<text:p>Email <text:a xlink:href="mailto:jane.roberts@example.org">jane.ro<text:span>berts@example.org</text:span></text:a><office:annotation><dc:creator>Priya Patel</dc:creator><dc:date>2024-02-02T10:00:00</dc:date><text:p>Call on 07700 900123</text:p></office:annotation> please.<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>NI number AB 12 34 56 C</text:p></text:note-body></text:note></text:p>"#,
            r#"<text:p>By <text:author-name>Ann Lee</text:author-name><text:s text:c="2"/>Tel<text:tab/>07700<text:s/>900456 thanks</text:p>"#,
        );
        let content = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}><office:body><office:text>{body}</office:text></office:body></office:document-content>"#
        );
        let styles = format!(
            r#"<office:document-styles {NS}><office:master-styles><style:master-page><style:footer><text:p>Case worker Priya Patel</text:p></style:footer></style:master-page></office:master-styles></office:document-styles>"#
        );
        let meta = format!(
            r#"<office:document-meta {NS}><office:meta><meta:initial-creator>Ann Lee</meta:initial-creator><dc:creator>Bob Smith</dc:creator><dc:title>Jane Roberts</dc:title><meta:user-defined meta:name="Client">Jane Roberts</meta:user-defined></office:meta></office:document-meta>"#
        );
        let manifest = format!(
            r#"<manifest:manifest {NS}><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="Thumbnails/thumbnail.png" manifest:media-type="image/png"/></manifest:manifest>"#
        );
        let settings = r#"<office:document-settings xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0"><office:settings><config:config-item-set config:name="ooo:configuration-settings"><config:config-item config:name="PrinterName" config:type="string">Jane Roberts</config:config-item><config:config-item config:name="PrinterSetup" config:type="base64Binary">SmFuZSBSb2JlcnRz</config:config-item></config:config-item-set></office:settings></office:document-settings>"#;
        odt(&[
            ("settings.xml", settings.into()),
            ("content.xml", content),
            ("styles.xml", styles),
            ("meta.xml", meta),
            ("Thumbnails/thumbnail.png", "PNG".into()),
            ("META-INF/manifest.xml", manifest),
        ])
    }

    #[test]
    fn spans_notes_comments_headers_and_metadata_are_rewritten() {
        let data = sample();
        let (out, notes) = with_work(&data, |w| (write(w, &data).expect("written"), w.notes.clone()));
        // ODF: mimetype first, stored, at offset 38.
        assert_eq!(&out[30..38], b"mimetype");
        assert_eq!(&out[8..10], &[0, 0], "stored");
        assert!(out[38..].starts_with(ODT_MIMETYPE));
        let mut text = Collect::default();
        crate::formats::odt::extract(&Input::Bytes(&out), &mut text, &Limits::default()).expect("re-read");
        let all = text.all_text();
        let raw: String = ["content.xml", "styles.xml", "meta.xml"].iter().filter_map(|m| member(&out, m)).collect();
        for gone in ["Roberts", "berts", "Jane", "12/03/1985", "900123", "900456", "900999", "AB 12 34 56 C"] {
            assert!(!all.contains(gone) && !raw.contains(gone), "{gone} left in {raw}");
        }
        for gone in ["Sam Editor", "Priya Patel", "Ann Lee", "Bob Smith", "jane.ro"] {
            assert!(!raw.contains(gone), "{gone} left in {raw}");
        }
        assert!(all.contains("Referral\nClient: Person_") && all.contains(", date of birth 1985."), "{all}");
        assert!(all.contains("Email [EMAIL] please."), "{all}");
        // The space kept by `text:s` stays beside the replacement.
        assert!(all.contains("By   Tel\t[PHONE]  thanks"), "author field emptied: {all}");
        assert!(all.contains("NI number [NI NUMBER]") && all.contains("Case worker Person_"), "{all}");
        let content = member(&out, "content.xml").expect("content");
        assert_eq!(content.matches("<text:span").count(), 2, "spans kept: {content}");
        assert!(content.contains(r#"xlink:href="mailto:[EMAIL]""#), "{content}");
        assert!(!content.contains("tracked-changes") && !content.contains("text:change "), "{content}");
        assert!(content.contains("<text:s text:c=\"2\"/>") && content.contains("<office:annotation>"), "{content}");
        let settings = member(&out, "settings.xml").expect("settings");
        assert!(settings.contains(">Person_") && settings.contains(">SmFuZSBSb2JlcnRz<"), "{settings}");
        // The thumbnail is left out, listed, and gone from the manifest.
        assert!(member(&out, "Thumbnails/thumbnail.png").is_none());
        assert!(notes.iter().any(|n| n.contains("Thumbnails/thumbnail.png")), "{notes:?}");
        let manifest = member(&out, "META-INF/manifest.xml").expect("manifest");
        assert!(manifest.contains("content.xml") && !manifest.contains("Thumbnails"), "{manifest}");
    }

    #[test]
    fn damaged_or_encrypted_odt_is_refused_with_a_reason() {
        let err = |data: &[u8]| with_work(data, |w| write(w, data).expect_err("refused"));
        assert!(err(b"PK\x03\x04 not really a zip").contains("damaged zip"));
        let broken = odt(&[("content.xml", "<office:document-content><text:p>Jane</office:document".into())]);
        assert!(err(&broken).contains("corrupt odt: content.xml"), "{}", err(&broken));
        let no_content = odt(&[("styles.xml", "<x/>".into())]);
        assert!(err(&no_content).contains("no content.xml"));
        let manifest = r#"<manifest:manifest><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>"#;
        let encrypted = odt(&[("content.xml", "\u{1}\u{2}binary".into()), ("META-INF/manifest.xml", manifest.into())]);
        assert!(err(&encrypted).contains("encrypted"));
    }

    #[test]
    fn white_space_is_collapsed_as_odf_reads_it() {
        assert_eq!(collapse_spaces("a  \n\t b"), "a b");
    }
}
