//! PDF: text replaced in the pages' content streams where the font allows,
//! and removed where it does not; never a copy that still carries the
//! original text under a box.
//!
//! 1. Each page's content is decoded (lopdf) and the strings shown in simple
//!    fonts with a standard single-byte encoding (WinAnsi, Standard,
//!    MacRoman, or none) are joined into the page's text; personal data
//!    found there is replaced in the strings (the replacement in the first
//!    string of a value, the rest removed). An embedded font may hold only
//!    the glyphs the document used, so a replacement is used only if all its
//!    characters already appear in that font on the page; otherwise it is
//!    spelt with `X` (or another glyph the font has).
//! 2. The copy is then read back with piisweep's own PDF extractor; any page
//!    on which personal data can still be found (text in fonts this writer
//!    cannot re-encode, Type0 fonts, form XObjects) loses all its text
//!    operators, and the summary says so.
//! 3. Document information (Author, Title, Subject, Keywords) and XMP
//!    metadata are removed, annotation authors removed and comments
//!    rewritten, embedded files removed.

use std::collections::{BTreeMap, BTreeSet};

use encoding_rs::WINDOWS_1252;
use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use crate::formats::pdf::PageTexts;
use crate::formats::rewrite::Rewrite;
use crate::formats::{self, Input, Loc, Segment};

/// Why an image-only PDF is not copied.
pub const NEEDS_OCR: &str = "needs OCR: its pages are images (a scan), so personal data in them cannot be found or removed; \
     no copy was made (make one by hand, or from a version with text)";

/// A PDF's copy.
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    let mut doc = Document::load_mem(data).map_err(|e| format!("corrupt pdf: {e}"))?;
    if doc.is_encrypted() {
        return Err("encrypted: remove the password to anonymise it".into());
    }
    // Pages that are pictures (a scan) may show personal data that no
    // text reader finds: such a copy could not be made clean.
    let mut source = PageTexts::default();
    let read = formats::pdf::extract(&Input::Bytes(data), &mut source, work.limits());
    let pictured = pictured_pages(&doc, &source);
    let limits = work.limits().clone();
    if !pictured.is_empty()
        && let Some(t) = formats::image::ocr::tesseract(&limits)
    {
        // Scanned pages: boxes burnt into their pictures' pixels.
        let unread = redact_scans(work, &mut doc, &pictured, &t)?;
        if !unread.is_empty() {
            let list: Vec<String> = unread.iter().map(u32::to_string).collect();
            return Err(format!(
                "needs OCR: page {} {} only images (a scan) too small or in a form piisweep cannot read with OCR, \
                 so personal data on {} cannot be found or removed; no copy was made (make one by hand)",
                list.join(", "),
                if list.len() == 1 { "is" } else { "are" },
                if list.len() == 1 { "it" } else { "them" }
            ));
        }
    } else if let Err(formats::ExtractError::NoText) = read {
        return Err(NEEDS_OCR.into());
    } else if !pictured.is_empty() {
        let list: Vec<String> = pictured.iter().map(u32::to_string).collect();
        return Err(format!(
            "needs OCR: page {} {} only images (a scan), so personal data on {} cannot be found or removed; \
             no copy was made (make one by hand, or from a version with text)",
            list.join(", "),
            if list.len() == 1 { "is" } else { "are" },
            if list.len() == 1 { "it" } else { "them" }
        ));
    }
    clear_metadata(work, &mut doc);
    let pages = doc.get_pages();
    for (&n, &page_id) in &pages {
        if let Err(e) = replace_page(work, &mut doc, n, page_id) {
            strip_page(&mut doc, page_id)?;
            work.note(format!("page {n}: all text removed ({e})"));
        }
        clean_annotations(work, &mut doc, page_id);
    }
    let mut bytes = save(&mut doc)?;
    // Read the copy back as the scanner will: pages still holding personal
    // data lose their text.
    let residual = pages_with_residue(work, &bytes);
    if !residual.is_empty() {
        for n in &residual {
            if let Some(&page_id) = pages.get(n) {
                strip_page(&mut doc, page_id)?;
                work.note(format!(
                    "page {n}: all text removed (its fonts do not allow the text to be replaced in place)"
                ));
            }
        }
        bytes = save(&mut doc)?;
    }
    Ok(bytes)
}

/// Read each scanned page's pictures with OCR and burn a box into their
/// pixels over every word of each finding the policy removes; each picture
/// is then written anew (a JPEG as JPEG, others as deflated pixels). The
/// pages none of whose pictures could be read with OCR (too small to hold
/// text, a signature, or JBIG2) are handed back: such a page is not copied.
fn redact_scans(
    work: &mut dyn Rewrite,
    doc: &mut Document,
    pictured: &[u32],
    t: &formats::image::ocr::Tesseract,
) -> Result<Vec<u32>, String> {
    use formats::image::{Page, anonymise, ocr, pdf};
    let mut unread = Vec::new();
    let limits = work.limits().clone();
    if pictured.len() > limits.max_pages as usize {
        return Err(format!(
            "more than {} scanned pages (the limit for one file), so not all could be read",
            limits.max_pages
        ));
    }
    let pages = doc.get_pages();
    let mut changed: BTreeMap<ObjectId, (Page, pdf::Stored)> = BTreeMap::new();
    for &n in pictured {
        let Some(&page_id) = pages.get(&n) else { continue };
        let mut read = false;
        for id in pdf::page_images(doc, page_id) {
            let (page, stored) = match changed.remove(&id) {
                Some(done) => done,
                None => match pdf::decode(doc, id, &limits).map_err(|e| format!("page {n}: {e}"))? {
                    Ok((image, stored)) => (Page { image, bilevel: false }, stored),
                    Err(_) => continue,
                },
            };
            let words = ocr::read_page(t, &page.image.to_luma8()).map_err(|e| format!("page {n}: {e}"))?;
            let page = anonymise::redact_page(work, n, page, &words);
            changed.insert(id, (page, stored));
            read = true;
        }
        if !read {
            unread.push(n);
        }
    }
    for (id, (page, stored)) in changed {
        pdf::replace(doc, id, &page.image, stored)?;
    }
    Ok(unread)
}

/// Pages with no text (or a junk text layer) that draw an image: scanned pages.
fn pictured_pages(doc: &Document, source: &PageTexts) -> Vec<u32> {
    use formats::image::ocr;
    let with_text: BTreeSet<u32> = source
        .pages
        .iter()
        .filter(|(_, text)| !text.trim().is_empty() && !ocr::text_is_junk(text))
        .map(|(n, _)| *n)
        .collect();
    doc.get_pages()
        .into_iter()
        .filter(|(n, id)| !with_text.contains(n) && draws_image(doc, *id))
        .map(|(n, _)| n)
        .collect()
}

/// Does the page draw an image: an image XObject in its resources that its
/// content paints (`Do`), or an inline image (`BI`)?
fn draws_image(doc: &Document, page_id: ObjectId) -> bool {
    let Ok(content) = doc.get_and_decode_page_content(page_id) else { return false };
    if content.operations.iter().any(|op| op.operator == "BI") {
        return true;
    }
    if !content.operations.iter().any(|op| op.operator == "Do") {
        return false;
    }
    let Ok((direct, inherited)) = doc.get_page_resources(page_id) else { return false };
    let dicts = direct.into_iter().chain(inherited.iter().filter_map(|id| doc.get_dictionary(*id).ok()));
    dicts.filter_map(|r| r.get(b"XObject").ok()).filter_map(|x| doc.dereference(x).ok()?.1.as_dict().ok()).any(|x| {
        x.iter().any(|(_, v)| {
            doc.dereference(v)
                .ok()
                .and_then(|(_, o)| o.as_stream().ok())
                .is_some_and(|st| st.dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|n| n == b"Image"))
        })
    })
}

fn save(doc: &mut Document) -> Result<Vec<u8>, String> {
    // The pages' old content streams are no longer referenced but still in
    // the document: saved, they would carry the original text into the copy.
    doc.prune_objects();
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(|e| format!("cannot write the pdf: {e}"))?;
    Ok(out)
}

/// Pages of `bytes` on which personal data can still be found.
fn pages_with_residue(work: &mut dyn Rewrite, bytes: &[u8]) -> BTreeSet<u32> {
    let mut read = PageTexts::default();
    let _ = formats::pdf::extract(&Input::Bytes(bytes), &mut read, work.limits());
    let mut out = BTreeSet::new();
    for (n, text) in &read.pages {
        if !work.spans(&Segment { loc: Loc::Page(*n), text, context: None }).is_empty() {
            out.insert(*n);
        }
    }
    out
}

/// A font this writer can re-encode: the bytes it holds as glyphs used on
/// the page (for embedded fonts), or `None` when any WinAnsi glyph exists.
struct SimpleFont {
    embedded: bool,
    used: BTreeSet<u8>,
}

/// The page's fonts that are simple with a standard encoding, by resource name.
fn simple_fonts(doc: &Document, page_id: ObjectId) -> BTreeMap<Vec<u8>, SimpleFont> {
    let mut out = BTreeMap::new();
    let Ok(fonts) = doc.get_page_fonts(page_id) else { return out };
    for (name, dict) in fonts {
        let subtype = dict.get(b"Subtype").and_then(Object::as_name).unwrap_or(b"");
        if !matches!(subtype, b"Type1" | b"TrueType" | b"MMType1") {
            continue;
        }
        let encoding_ok = match dict.get(b"Encoding") {
            Err(_) => true,
            Ok(Object::Name(n)) => {
                matches!(n.as_slice(), b"WinAnsiEncoding" | b"StandardEncoding" | b"MacRomanEncoding")
            }
            // Differences may remap any code: not re-encodable safely.
            Ok(_) => false,
        };
        if !encoding_ok {
            continue;
        }
        let embedded = dict
            .get(b"FontDescriptor")
            .ok()
            .and_then(|d| doc.dereference(d).ok())
            .and_then(|(_, o)| o.as_dict().ok())
            .is_some_and(|fd| fd.has(b"FontFile") || fd.has(b"FontFile2") || fd.has(b"FontFile3"));
        out.insert(name, SimpleFont { embedded, used: BTreeSet::new() });
    }
    out
}

/// One string operand shown on the page: where it is and its decoded text.
struct Shown {
    op: usize,
    /// Index in a `TJ` array, or `None` for the operand of `Tj`, `'`, `"`.
    elem: Option<usize>,
    font: Vec<u8>,
    bytes: Vec<u8>,
    /// Offset in the page text of each byte's character.
    offsets: Vec<usize>,
}

/// Replace personal data in the page's text shown in simple fonts; an error
/// when the page cannot be handled in place.
fn replace_page(work: &mut dyn Rewrite, doc: &mut Document, n: u32, page_id: ObjectId) -> Result<(), String> {
    let content = doc.get_page_content(page_id);
    let mut ops = Content::decode(&content).map_err(|e| format!("content stream unreadable: {e}"))?.operations;
    let mut fonts = simple_fonts(doc, page_id);
    let mut shown: Vec<Shown> = Vec::new();
    let mut text = String::new();
    let mut font: Vec<u8> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        match op.operator.as_str() {
            "Tf" => {
                font = op.operands.first().and_then(|o| o.as_name().ok()).map(<[u8]>::to_vec).unwrap_or_default();
            }
            "Td" | "TD" | "T*" | "Tm" | "ET" if !text.ends_with('\n') && !text.is_empty() => text.push('\n'),
            "Tj" | "'" | "\"" | "TJ" => {
                if !fonts.contains_key(&font) {
                    continue;
                }
                if matches!(op.operator.as_str(), "'" | "\"") && !text.ends_with('\n') && !text.is_empty() {
                    text.push('\n');
                }
                let strings: Vec<(Option<usize>, &Vec<u8>)> = match (op.operator.as_str(), op.operands.last()) {
                    ("TJ", Some(Object::Array(items))) => items
                        .iter()
                        .enumerate()
                        .filter_map(|(k, o)| match o {
                            Object::String(b, _) => Some((Some(k), b)),
                            _ => None,
                        })
                        .collect(),
                    ("TJ", _) => Vec::new(),
                    (_, Some(Object::String(b, _))) => vec![(None, b)],
                    _ => Vec::new(),
                };
                for (elem, bytes) in strings {
                    let mut offsets = Vec::with_capacity(bytes.len());
                    for &b in bytes {
                        offsets.push(text.len());
                        let one = [b];
                        let (c, _) = WINDOWS_1252.decode_without_bom_handling(&one);
                        text.push_str(&c);
                    }
                    if let Some(f) = fonts.get_mut(&font) {
                        f.used.extend(bytes.iter().copied());
                    }
                    shown.push(Shown { op: i, elem, font: font.clone(), bytes: bytes.clone(), offsets });
                }
            }
            _ => {}
        }
    }
    if text.trim().is_empty() {
        return Ok(());
    }
    let location = format!("page {n}");
    let spans = work.spans(&Segment::fixed(&location, &text, None));
    if spans.is_empty() {
        return Ok(());
    }
    let replacements: Vec<String> = spans.iter().map(|sp| work.replace(sp.category, &text[sp.start..sp.end])).collect();
    let mut placed = vec![false; spans.len()];
    // New bytes per shown string, for those that change.
    let mut new_bytes: Vec<Option<Vec<u8>>> = vec![None; shown.len()];
    for (k, sh) in shown.iter().enumerate() {
        if !sh.offsets.iter().any(|&o| spans.iter().any(|sp| o >= sp.start && o < sp.end)) {
            continue;
        }
        let glyphs = fonts.get(&sh.font);
        let mut out = Vec::with_capacity(sh.bytes.len());
        for (&b, &o) in sh.bytes.iter().zip(&sh.offsets) {
            match spans.iter().position(|sp| o >= sp.start && o < sp.end) {
                Some(i) => {
                    if !placed[i] {
                        out.extend(encode_for(&replacements[i], glyphs));
                        placed[i] = true;
                    }
                }
                None => out.push(b),
            }
        }
        new_bytes[k] = Some(out);
    }
    for (k, sh) in shown.iter().enumerate() {
        let Some(bytes) = new_bytes[k].take() else { continue };
        let op = &mut ops[sh.op];
        match sh.elem {
            Some(e) => {
                if let Some(Object::Array(items)) = op.operands.first_mut()
                    && let Some(Object::String(b, _)) = items.get_mut(e)
                {
                    *b = bytes;
                }
            }
            None => {
                if let Some(Object::String(b, _)) = op.operands.last_mut() {
                    *b = bytes;
                }
            }
        }
    }
    let encoded = Content { operations: ops }.encode().map_err(|e| format!("cannot encode content: {e}"))?;
    set_content(doc, page_id, encoded)
}

/// The replacement in the font's single-byte encoding, using only glyphs the
/// font is known to have.
fn encode_for(replacement: &str, font: Option<&SimpleFont>) -> Vec<u8> {
    let (bytes, _, unmappable) = WINDOWS_1252.encode(replacement);
    let Some(font) = font.filter(|f| f.embedded) else {
        if !unmappable {
            return bytes.into_owned();
        }
        return vec![b'X'; replacement.chars().count().max(1)];
    };
    if !unmappable && bytes.iter().all(|b| font.used.contains(b)) {
        return bytes.into_owned();
    }
    let fill = [b'X', b'x', b'*', b'-', b'.']
        .into_iter()
        .find(|b| font.used.contains(b))
        .or_else(|| font.used.iter().copied().find(|b| b.is_ascii_alphabetic()))
        .unwrap_or(b' ');
    vec![fill; replacement.chars().count().clamp(1, 12)]
}

/// Replace the page's content with one new stream.
fn set_content(doc: &mut Document, page_id: ObjectId, content: Vec<u8>) -> Result<(), String> {
    let mut stream = Stream::new(Dictionary::new(), content);
    let _ = stream.compress();
    let id = doc.add_object(stream);
    let page = doc.get_dictionary_mut(page_id).map_err(|e| format!("page unreadable: {e}"))?;
    page.set("Contents", Object::Reference(id));
    Ok(())
}

/// Remove every text operator (`BT` ... `ET`) and form XObject from a page.
fn strip_page(doc: &mut Document, page_id: ObjectId) -> Result<(), String> {
    let content = doc.get_page_content(page_id);
    let ops = Content::decode(&content).map(|c| c.operations).unwrap_or_default();
    let forms = form_names(doc, page_id);
    let mut kept: Vec<Operation> = Vec::with_capacity(ops.len());
    let mut in_text = false;
    for op in ops {
        match op.operator.as_str() {
            "BT" => in_text = true,
            "ET" => in_text = false,
            "Do" if op.operands.first().and_then(|o| o.as_name().ok()).is_some_and(|n| forms.contains(n)) => {}
            _ if !in_text => kept.push(op),
            _ => {}
        }
    }
    let encoded = Content { operations: kept }.encode().map_err(|e| format!("cannot encode content: {e}"))?;
    set_content(doc, page_id, encoded)
}

/// Names of the form XObjects in a page's resources (they may hold text).
fn form_names(doc: &Document, page_id: ObjectId) -> BTreeSet<Vec<u8>> {
    let mut out = BTreeSet::new();
    let Ok((resources, ids)) = doc.get_page_resources(page_id) else { return out };
    let mut dicts: Vec<&Dictionary> = resources.into_iter().collect();
    dicts.extend(ids.iter().filter_map(|id| doc.get_dictionary(*id).ok()));
    for res in dicts {
        let Some(xobjects) =
            res.get(b"XObject").ok().and_then(|o| doc.dereference(o).ok()).and_then(|(_, o)| o.as_dict().ok())
        else {
            continue;
        };
        for (name, obj) in xobjects.iter() {
            let is_form = doc
                .dereference(obj)
                .ok()
                .and_then(|(_, o)| o.as_stream().ok())
                .is_some_and(|s| s.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Form".as_slice()));
            if is_form {
                out.insert(name.clone());
            }
        }
    }
    out
}

/// Remove document information and XMP metadata that name people, and
/// embedded files.
fn clear_metadata(work: &mut dyn Rewrite, doc: &mut Document) {
    let info_id = doc.trailer.get(b"Info").ok().and_then(|o| o.as_reference().ok());
    if let Some(id) = info_id
        && let Ok(info) = doc.get_dictionary_mut(id)
    {
        for key in ["Author", "Title", "Subject", "Keywords", "Creator"] {
            if info.remove(key.as_bytes()).is_some() {
                work.count("drop", format!("metadata {key}"));
            }
        }
    }
    if let Ok(catalog) = doc.catalog_mut() {
        catalog.remove(b"Metadata");
        if let Ok(Object::Dictionary(names)) = catalog.get_mut(b"Names")
            && names.remove(b"EmbeddedFiles").is_some()
        {
            work.not_copied("embedded files", "files embedded in a PDF are not copied");
        }
    }
}

/// Annotations: authors removed, comment text rewritten.
fn clean_annotations(work: &mut dyn Rewrite, doc: &mut Document, page_id: ObjectId) {
    let Ok(annots) = doc.get_page_annotations_mut(page_id) else { return };
    for a in annots {
        a.remove(b"T");
        let contents = match a.get(b"Contents") {
            Ok(Object::String(b, _)) => decode_pdf_text(b),
            _ => continue,
        };
        if let Some(new) = work.rewrite(&Segment::fixed("annotation", &contents, None)) {
            a.set("Contents", Object::string_literal(new));
        }
    }
}

/// A PDF text string: UTF-16BE with a byte-order mark, else PDFDocEncoding
/// (read as Windows-1252, which agrees on the printable range).
fn decode_pdf_text(b: &[u8]) -> String {
    if b.starts_with(&[0xFE, 0xFF]) {
        let units: Vec<u16> = b[2..].chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else {
        WINDOWS_1252.decode_without_bom_handling(b).0.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use lopdf::dictionary;

    use super::*;
    use crate::anonymise::Work;
    use crate::formats::Collect;

    /// A one-page PDF showing `content` in font F1 described by `font`.
    fn pdf(font: Dictionary, content: &str) -> Vec<u8> {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(font);
        let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.as_bytes().to_vec()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id, "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        let info = doc.add_object(dictionary! { "Author" => Object::string_literal("Jane Roberts") });
        doc.trailer.set("Root", catalog);
        doc.trailer.set("Info", info);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    fn run(data: &[u8]) -> (String, Vec<String>) {
        let parts = crate::anonymise::TestParts::new();
        let anon = parts.anonymiser();
        let mut work = Work::new(&anon, "a.pdf", &Input::Bytes(data));
        let out = write(&mut work, data).unwrap();
        let mut text = Collect::default();
        formats::pdf::extract(&Input::Bytes(&out), &mut text, anon.limits).unwrap_or(());
        let doc = Document::load_mem(&out).unwrap();
        assert!(!format!("{:?}", doc.trailer).contains("Jane"));
        (text.all_text(), work.notes)
    }

    const PAGE: &str = "BT /F1 12 Tf 72 720 Td (Quarterly report) Tj 0 -20 Td [(Client: Ja) -10 (ne Rob) 5 (erts, tel 07700 900123.)] TJ ET";

    #[test]
    fn text_in_a_standard_font_is_replaced_in_place() {
        let font = dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding" };
        let (text, notes) = run(&pdf(font, PAGE));
        assert!(text.contains("Quarterly report"), "{text}");
        assert!(text.contains("Client: Person_") && text.contains("tel [PHONE]."), "{text}");
        assert!(!text.contains("Roberts") && !text.contains("900123"), "{text}");
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn text_in_a_font_that_cannot_be_re_encoded_is_removed_and_reported() {
        let font = dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
            "Encoding" => dictionary! { "Type" => "Encoding", "BaseEncoding" => "WinAnsiEncoding", "Differences" => vec![65.into(), Object::Name(b"A".to_vec())] },
        };
        let (text, notes) = run(&pdf(font, PAGE));
        assert!(!text.contains("Roberts") && !text.contains("Ja"), "{text}");
        assert!(notes.iter().any(|n| n.starts_with("page 1: all text removed")), "{notes:?}");
    }
}
