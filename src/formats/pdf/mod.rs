//! PDF text via lopdf: one segment per page (`page N`), plus document
//! metadata, annotation comments, form field values and embedded files.
//!
//! lopdf parses the file (and decrypts it when the user password is empty);
//! the text itself comes from our own content-stream walker ([`walker`]) and
//! font decoding ([`font`]), which handle kerning-split words, ToUnicode
//! CMaps with two-byte codes and Form XObjects.

pub mod anonymise;

mod font;
mod lexer;
mod walker;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};

use super::{Emit, ExtractError, Input, Limits, Loc, Result, Segment};
use font::FontCache;
use walker::{PageResult, Walker};

/// Document information entries that may name or describe people.
const INFO_KEYS: [&str; 4] = ["Author", "Title", "Subject", "Keywords"];
/// Deepest page-tree, field-tree or name-tree nesting followed.
const MAX_TREE_DEPTH: u32 = 32;
/// Most form fields or embedded files read from one document.
const MAX_TREE_NODES: usize = 20_000;

/// An [`Emit`] keeping the text of each page (not metadata or annotations),
/// by page number: for the writers that work page by page.
#[derive(Debug, Default)]
pub struct PageTexts {
    pub pages: Vec<(u32, String)>,
}

impl Emit for PageTexts {
    fn segment(&mut self, seg: Segment<'_>) {
        if let Loc::Page(n) = seg.loc {
            self.pages.push((n, seg.text.to_string()));
        }
    }
    fn part(&mut self, _name: &str, _data: &[u8]) {}
    fn warn(&mut self, _message: String) {}
}

pub fn extract(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let bytes = input.bytes(limits.max_in_memory)?;
    let max_stream = usize::try_from(limits.max_in_memory).unwrap_or(usize::MAX);
    let doc = load(&bytes, max_stream)?;
    // lopdf removes /Encrypt once it has decrypted with the empty password.
    if doc.is_encrypted() {
        return Err(ExtractError::Encrypted);
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(ExtractError::corrupt("pdf", "no pages could be read (damaged or truncated file)"));
    }
    if !has_eof_marker(&bytes) {
        emit.warn("the file looks truncated (no %%EOF marker): some text may be missing".into());
    }
    metadata(&doc, emit);

    let mut fonts = FontCache::new();
    let mut any_text = false;
    let mut images = 0usize;
    let mut embedded = Embedded::new(max_stream);
    let mut ocr = None;
    let mut ocr_pages = 0u32;
    let mut over_pages = false;
    for (&n, &page_id) in &pages {
        let read = catch_unwind(AssertUnwindSafe(|| page_text(&doc, page_id, &mut fonts, max_stream)));
        let page = read.unwrap_or_else(|_| PageResult {
            problems: vec!["the PDF reader failed on this page".into()],
            ..PageResult::default()
        });
        for problem in &page.problems {
            emit.warn(format!("page {n}: {problem}"));
        }
        if page.unmapped_font {
            emit.warn(format!("page {n}: text in a font with no Unicode mapping could not be read"));
        }
        images += page.images;
        let has_text = !page.text.trim().is_empty();
        if has_text {
            any_text = true;
            emit.segment(Segment { loc: Loc::Page(n), text: &page.text, context: None });
        }
        // A page of pictures whose text layer is junk (a garbage OCR layer,
        // glyphs with no Unicode mapping) is read with OCR as well.
        let junk = has_text && page.images > 0 && super::image::ocr::text_is_junk(&page.text);
        if junk && ocr.get_or_insert_with(|| super::image::ocr::tesseract(limits)).is_none() {
            emit.warn(format!(
                "page {n}: its text layer looks like junk and its pictures were not read (needs OCR): \
                 install tesseract-ocr, or give its path with --tesseract"
            ));
        }
        if (!has_text || junk) && page.images > 0 {
            // A scanned page: read with OCR when Tesseract is there.
            let t = ocr.get_or_insert_with(|| super::image::ocr::tesseract(limits));
            if let Some(t) = t {
                ocr_pages += 1;
                if ocr_pages > limits.max_pages {
                    over_pages = true;
                } else if super::image::read_pdf_page(&doc, n, page_id, t, limits, emit)? {
                    any_text = true;
                }
            }
        }
        annotations(&doc, n, page_id, emit, &mut embedded);
    }
    form_fields(&doc, emit);
    embedded.name_tree(&doc, emit);
    if over_pages {
        return Err(ExtractError::Limit(format!(
            "more than {} scanned pages: only the first {} were read with OCR",
            limits.max_pages, limits.max_pages
        )));
    }
    if !any_text && images > 0 {
        return Err(match ocr {
            Some(Some(_)) => ExtractError::Unsupported(
                "only images, none of which could be read with OCR (too small to hold text, \
                 or in a form piisweep cannot decode such as JBIG2 or JPEG 2000)"
                    .into(),
            ),
            _ => ExtractError::NoText,
        });
    }
    Ok(())
}

/// Parses the file, mapping lopdf's failures to ours. A panic inside lopdf
/// on a malformed file is reported as corruption.
fn load(bytes: &[u8], max_stream: usize) -> Result<Document> {
    let options = LoadOptions::with_max_decompressed_size(max_stream);
    match catch_unwind(AssertUnwindSafe(|| Document::load_mem_with_options(bytes, options))) {
        Ok(Ok(doc)) => Ok(doc),
        Ok(Err(lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword)) => Err(ExtractError::Encrypted),
        Ok(Err(e)) => Err(ExtractError::corrupt("pdf", e)),
        Err(_) => Err(ExtractError::corrupt("pdf", "the PDF reader failed on this file")),
    }
}

/// True if `%%EOF` occurs in the last 4 KiB (where a complete file has it).
fn has_eof_marker(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    tail.windows(5).any(|w| w == b"%%EOF")
}

/// Follows references to the object they point at.
fn deref<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Object> {
    doc.dereference(obj).ok().map(|(_, o)| o)
}

/// A dictionary, directly, by reference, or as a stream's dictionary.
/// The dictionary of a tree node (form fields, name trees) on its first
/// visit, within the depth and size limits that keep hostile trees finite.
fn visit_node<'a>(
    doc: &'a Document,
    obj: &'a Object,
    depth: u32,
    seen: &mut HashSet<ObjectId>,
) -> Option<&'a Dictionary> {
    if depth > MAX_TREE_DEPTH || seen.len() > MAX_TREE_NODES {
        return None;
    }
    if let Object::Reference(id) = obj
        && !seen.insert(*id)
    {
        return None;
    }
    deref_dict(doc, obj)
}

fn deref_dict<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Dictionary> {
    match deref(doc, obj)? {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// A PDF text string (PDFDocEncoding, UTF-16BE or UTF-8 with BOM), trimmed;
/// `None` if empty or not a string.
fn text_string(doc: &Document, obj: &Object) -> Option<String> {
    let obj = deref(doc, obj)?;
    let raw = obj.as_str().ok()?;
    let text = lopdf::decode_text_string(obj).unwrap_or_else(|_| match raw.strip_prefix(b"\xFE\xFF") {
        Some(utf16) => {
            let units: Vec<u16> = utf16.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            String::from_utf16_lossy(&units)
        }
        None => String::from_utf8_lossy(raw).into_owned(),
    });
    let mut clean = String::new();
    for line in text.lines() {
        let mut piece = String::new();
        font::push_clean(&mut piece, line);
        if !piece.trim().is_empty() {
            if !clean.is_empty() {
                clean.push('\n');
            }
            clean.push_str(piece.trim());
        }
    }
    (!clean.is_empty()).then_some(clean)
}

/// The text of one page: its content streams run with its (inherited) resources.
fn page_text<'d>(doc: &'d Document, page_id: ObjectId, fonts: &mut FontCache<'d>, max_stream: usize) -> PageResult {
    let mut problems = Vec::new();
    let mut content = Vec::new();
    for id in doc.get_page_contents(page_id) {
        let remaining = max_stream.saturating_sub(content.len());
        match doc.get_object(id).and_then(Object::as_stream) {
            Ok(stream) => match stream.get_plain_content_with_limit(remaining) {
                Ok(data) => {
                    content.extend_from_slice(&data);
                    content.push(b'\n');
                }
                Err(e) => problems.push(format!("unreadable content stream {} {} R ({e})", id.0, id.1)),
            },
            Err(e) => problems.push(format!("missing content stream {} {} R ({e})", id.0, id.1)),
        }
    }
    let resources = doc.get_dictionary(page_id).ok().and_then(|page| page_resources(doc, page));
    let mut result = Walker::new(doc, fonts, max_stream).run_page(&content, resources);
    problems.append(&mut result.problems);
    result.problems = problems;
    result
}

/// A page's `/Resources`, inherited from the page tree when the page has none.
fn page_resources<'a>(doc: &'a Document, page: &'a Dictionary) -> Option<&'a Dictionary> {
    let mut node = page;
    for _ in 0..MAX_TREE_DEPTH {
        if let Ok(resources) = node.get(b"Resources") {
            return deref_dict(doc, resources);
        }
        node = deref_dict(doc, node.get(b"Parent").ok()?)?;
    }
    None
}

/// Document information: author, title, subject, keywords.
fn metadata(doc: &Document, emit: &mut dyn Emit) {
    let Some(info) = doc.trailer.get(b"Info").ok().and_then(|o| deref_dict(doc, o)) else {
        return;
    };
    for key in INFO_KEYS {
        if let Some(text) = info.get(key.as_bytes()).ok().and_then(|v| text_string(doc, v)) {
            emit.segment(Segment::fixed(&format!("metadata {key}"), &text, Some(key)));
        }
    }
}

/// Comments and notes on page `n`: their text, and their author (`/T`) with
/// context `Author`. File attachment annotations become parts.
fn annotations(doc: &Document, n: u32, page_id: ObjectId, emit: &mut dyn Emit, embedded: &mut Embedded) {
    let Ok(annotations) = doc.get_page_annotations(page_id) else {
        return;
    };
    let location = format!("page {n} annotation");
    for annot in annotations {
        let subtype = annot.get(b"Subtype").and_then(Object::as_name).unwrap_or(b"");
        if matches!(subtype, b"Popup" | b"Link" | b"Widget") {
            continue;
        }
        if let Some(text) = annot.get(b"Contents").ok().and_then(|v| text_string(doc, v)) {
            emit.segment(Segment::fixed(&location, &text, None));
        }
        if let Some(author) = annot.get(b"T").ok().and_then(|v| text_string(doc, v)) {
            emit.segment(Segment::fixed(&location, &author, Some("Author")));
        }
        if subtype == b"FileAttachment"
            && let Ok(spec) = annot.get(b"FS")
        {
            embedded.file_spec(doc, None, spec, emit);
        }
    }
}

/// Interactive form (AcroForm) field values, located `form field <name>`
/// with the field's full name as context.
fn form_fields(doc: &Document, emit: &mut dyn Emit) {
    let fields = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"AcroForm").ok())
        .and_then(|o| deref_dict(doc, o))
        .and_then(|f| f.get(b"Fields").ok())
        .and_then(|o| deref(doc, o))
        .and_then(|o| o.as_array().ok());
    let mut seen = HashSet::new();
    for field in fields.into_iter().flatten() {
        field_tree(doc, field, "", 0, &mut seen, emit);
    }
}

/// One field and its kids; `parent` is the parent's full name.
fn field_tree(
    doc: &Document,
    obj: &Object,
    parent: &str,
    depth: u32,
    seen: &mut HashSet<ObjectId>,
    emit: &mut dyn Emit,
) {
    let Some(field) = visit_node(doc, obj, depth, seen) else {
        return;
    };
    let partial = field.get(b"T").ok().and_then(|t| text_string(doc, t));
    let name = match (parent, partial) {
        ("", Some(p)) => p,
        (parent, Some(p)) => format!("{parent}.{p}"),
        (parent, None) => parent.to_string(),
    };
    if let Some(value) = field.get(b"V").ok().and_then(|v| field_value(doc, v)) {
        let location = if name.is_empty() { "form field".to_string() } else { format!("form field {name}") };
        let context = (!name.is_empty()).then_some(name.as_str());
        emit.segment(Segment::fixed(&location, &value, context));
    }
    let kids = field.get(b"Kids").ok().and_then(|o| deref(doc, o)).and_then(|o| o.as_array().ok());
    for kid in kids.into_iter().flatten() {
        field_tree(doc, kid, &name, depth + 1, seen, emit);
    }
}

/// A field value as text: a string, or the strings of a multiple choice.
/// Names (check box states like `/Yes`) are not text.
fn field_value(doc: &Document, value: &Object) -> Option<String> {
    match deref(doc, value)? {
        Object::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(|v| text_string(doc, v)).collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        v => text_string(doc, v),
    }
}

/// Embedded files handed out as parts, each stream once.
struct Embedded {
    seen: HashSet<ObjectId>,
    max_size: usize,
    count: usize,
}

impl Embedded {
    fn new(max_size: usize) -> Self {
        Embedded { seen: HashSet::new(), max_size, count: 0 }
    }

    /// The catalog's `/Names /EmbeddedFiles` name tree.
    fn name_tree(&mut self, doc: &Document, emit: &mut dyn Emit) {
        let root = doc
            .catalog()
            .ok()
            .and_then(|c| c.get(b"Names").ok())
            .and_then(|o| deref_dict(doc, o))
            .and_then(|n| n.get(b"EmbeddedFiles").ok());
        if let Some(root) = root {
            let mut visited = HashSet::new();
            self.tree_node(doc, root, 0, &mut visited, emit);
        }
    }

    fn tree_node(
        &mut self,
        doc: &Document,
        node: &Object,
        depth: u32,
        visited: &mut HashSet<ObjectId>,
        emit: &mut dyn Emit,
    ) {
        let Some(node) = visit_node(doc, node, depth, visited) else {
            return;
        };
        let names = node.get(b"Names").ok().and_then(|o| deref(doc, o)).and_then(|o| o.as_array().ok());
        for pair in names.map(Vec::as_slice).unwrap_or(&[]).chunks_exact(2) {
            let key = text_string(doc, &pair[0]);
            self.file_spec(doc, key, &pair[1], emit);
        }
        let kids = node.get(b"Kids").ok().and_then(|o| deref(doc, o)).and_then(|o| o.as_array().ok());
        for kid in kids.into_iter().flatten() {
            self.tree_node(doc, kid, depth + 1, visited, emit);
        }
    }

    /// A file specification: its name (`/UF`, `/F`, else the tree key) and its
    /// embedded stream (`/EF /F` or `/EF /UF`).
    fn file_spec(&mut self, doc: &Document, key: Option<String>, spec: &Object, emit: &mut dyn Emit) {
        let Some(spec) = deref_dict(doc, spec) else {
            return;
        };
        let name = [b"UF".as_slice(), b"F"]
            .iter()
            .find_map(|k| spec.get(k).ok().and_then(|v| text_string(doc, v)))
            .or(key)
            .unwrap_or_else(|| format!("attachment {}", self.count + 1));
        let Some(ef) = spec.get(b"EF").ok().and_then(|o| deref_dict(doc, o)) else {
            return;
        };
        let Some(entry) = ef.get(b"F").or_else(|_| ef.get(b"UF")).ok() else {
            return;
        };
        if let Object::Reference(id) = entry
            && !self.seen.insert(*id)
        {
            return;
        }
        if self.count >= MAX_TREE_NODES {
            return;
        }
        self.count += 1;
        match deref(doc, entry).map(Object::as_stream) {
            Some(Ok(stream)) => match stream.get_plain_content_with_limit(self.max_size) {
                Ok(data) => emit.part(&name, &data),
                Err(e) => emit.warn(format!("embedded file {name}: could not be read ({e})")),
            },
            _ => emit.warn(format!("embedded file {name}: missing from the file")),
        }
    }
}
