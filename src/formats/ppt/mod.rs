//! PowerPoint 97-2003 (ppt, pps, pot): the text of the `PowerPoint
//! Document` stream of the compound file (read with the `cfb` crate), per
//! MS-PPT. Records are walked, never interpreted beyond what text needs:
//!
//! - Text atoms: `TextCharsAtom` (UTF-16), `TextBytesAtom` (the low bytes
//!   of UTF-16, i.e. Latin-1); `\r` ends a paragraph and a vertical tab
//!   breaks a line, both read as line breaks.
//! - Placeholder text (titles, bodies) is in the document's slide list
//!   (`SlideListWithTextContainer`): each `SlidePersistAtom` starts the text
//!   of the next slide, so it is located `slide N` in presentation order
//!   (notes text there, if any, `slide N notes`).
//! - Other text boxes sit in the slide's own container (`SlideContainer`),
//!   numbered through the persist directory (the slide list's persist ids
//!   give the containers' offsets); notes pages (`NotesContainer`) name
//!   their slide by id: `slide N notes`. Comments (`Comment10Container`):
//!   their text at `slide N comment`, the author's name with context
//!   `Author`. Text that cannot be placed is `slide ?`.
//!
//! Copies cannot be written (the registry says so: save it as .pptx). An
//! encrypted presentation (an `EncryptedSummary` stream or a
//! `CryptSession10Container`) is reported as encrypted.

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read};

use crate::formats::{Emit, ExtractError, Input, Limits, Loc, Result, Segment, SlidePart};

const DOCUMENT: u16 = 0x03E8;
const SLIDE: u16 = 0x03EE;
const NOTES: u16 = 0x03F0;
const NOTES_ATOM: u16 = 0x03F1;
const SLIDE_PERSIST_ATOM: u16 = 0x03F3;
const TEXT_CHARS_ATOM: u16 = 0x0FA0;
const TEXT_BYTES_ATOM: u16 = 0x0FA8;
const CSTRING: u16 = 0x0FBA;
const SLIDE_LIST_WITH_TEXT: u16 = 0x0FF0;
const PERSIST_DIRECTORY_ATOM: u16 = 0x1772;
const COMMENT10: u16 = 0x2EE0;
const CRYPT_SESSION10: u16 = 0x2F14;

/// Deepest nesting of containers followed (real files stay under 10).
const MAX_DEPTH: u32 = 32;

/// One record header: version (0xF for containers), instance, type, body.
#[derive(Debug, Clone, Copy)]
struct Header {
    ver: u16,
    instance: u16,
    kind: u16,
    /// Offset of the body in the stream and its length (clamped to the stream).
    body: usize,
    len: usize,
}

/// The records in `data[from..to]`, in order; a header that runs past the
/// end stops the list.
fn records(data: &[u8], from: usize, to: usize) -> Vec<Header> {
    let mut out = Vec::new();
    let mut at = from;
    while at + 8 <= to {
        let vi = u16::from_le_bytes([data[at], data[at + 1]]);
        let kind = u16::from_le_bytes([data[at + 2], data[at + 3]]);
        let len = u32::from_le_bytes([data[at + 4], data[at + 5], data[at + 6], data[at + 7]]) as usize;
        let body = at + 8;
        let len = len.min(to - body);
        out.push(Header { ver: vi & 0xF, instance: vi >> 4, kind, body, len });
        at = body + len;
    }
    out
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A text atom's text, `\r` and vertical tabs as line breaks.
fn atom_text(data: &[u8], h: &Header) -> Option<String> {
    let body = &data[h.body..h.body + h.len];
    let text: String = match h.kind {
        TEXT_CHARS_ATOM | CSTRING => {
            let units: Vec<u16> = body.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            String::from_utf16_lossy(&units)
        }
        TEXT_BYTES_ATOM => body.iter().map(|&b| char::from(b)).collect(),
        _ => return None,
    };
    Some(text.replace(['\r', '\u{b}'], "\n"))
}

/// Where text goes: a slide (from 1; 0 when unknown) and what of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Slide(u32),
    Notes(u32),
    Comment(u32),
}

impl Place {
    /// `slide 3`, `slide 3 notes`, `slide ?` (number 0: not placed).
    fn loc(self) -> Loc<'static> {
        let (n, part) = match self {
            Place::Slide(n) => (n, SlidePart::Body),
            Place::Notes(n) => (n, SlidePart::Notes),
            Place::Comment(n) => (n, SlidePart::Comment),
        };
        Loc::Slide { n, part }
    }
}

/// What was read: text by place, comment authors by slide.
#[derive(Default)]
struct Deck {
    text: BTreeMap<Place, Vec<String>>,
    authors: BTreeMap<u32, Vec<String>>,
}

impl Deck {
    fn add(&mut self, place: Place, text: String) {
        if !text.trim().is_empty() {
            self.text.entry(place).or_default().push(text);
        }
    }
}

/// Read a ppt: its text atoms, by slide.
pub fn extract(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let bytes = input.bytes(limits.max_in_memory)?;
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes.as_ref())).map_err(|e| ExtractError::corrupt("ppt", e))?;
    if file.exists("/EncryptedSummary") {
        return Err(ExtractError::Encrypted);
    }
    let mut data = Vec::new();
    file.open_stream("/PowerPoint Document")
        .map_err(|_| ExtractError::corrupt("ppt", "no PowerPoint Document stream: not a PowerPoint presentation"))?
        .take(limits.max_in_memory)
        .read_to_end(&mut data)
        .map_err(|e| ExtractError::corrupt("ppt", e))?;
    let deck = read_stream(&data)?;
    crate::formats::properties::emit(&mut file, emit);
    for (place, texts) in &deck.text {
        emit.segment(Segment { loc: place.loc(), text: &texts.join("\n"), context: None });
        if let Place::Comment(n) = place {
            for a in deck.authors.get(n).into_iter().flatten() {
                emit.segment(Segment { loc: place.loc(), text: a, context: Some("Author") });
            }
        }
    }
    Ok(())
}

/// Walk the stream: the slide list first (slide numbers and their ids),
/// then every top-level slide and notes container.
fn read_stream(data: &[u8]) -> Result<Deck> {
    let top = records(data, 0, data.len());
    if top.is_empty() {
        return Err(ExtractError::corrupt("ppt", "the PowerPoint Document stream holds no records"));
    }
    let mut deck = Deck::default();
    // Persist id -> offset of its record, later directories overriding earlier ones.
    let mut persist: HashMap<u32, usize> = HashMap::new();
    for h in &top {
        match h.kind {
            CRYPT_SESSION10 => return Err(ExtractError::Encrypted),
            PERSIST_DIRECTORY_ATOM => read_persist_directory(data, h, &mut persist),
            _ => {}
        }
    }
    // Slide container offset -> number; slide id -> number.
    let mut slide_at: HashMap<usize, u32> = HashMap::new();
    let mut slide_id: HashMap<u32, u32> = HashMap::new();
    for doc in top.iter().filter(|h| h.kind == DOCUMENT && h.ver == 0xF) {
        for list in records(data, doc.body, doc.body + doc.len).iter().filter(|h| h.kind == SLIDE_LIST_WITH_TEXT) {
            let notes = match list.instance {
                0 => false,
                2 => true,
                _ => continue,
            };
            let mut n = 0u32;
            for r in records(data, list.body, list.body + list.len) {
                match r.kind {
                    SLIDE_PERSIST_ATOM => {
                        n += 1;
                        if !notes {
                            if let Some(off) = u32_at(data, r.body).and_then(|id| persist.get(&id)) {
                                slide_at.insert(*off, n);
                            }
                            if let Some(id) = u32_at(data, r.body + 12) {
                                slide_id.insert(id, n);
                            }
                        }
                    }
                    TEXT_CHARS_ATOM | TEXT_BYTES_ATOM => {
                        if let Some(t) = atom_text(data, &r) {
                            deck.add(if notes { Place::Notes(n) } else { Place::Slide(n) }, t);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let offset_of = |h: &Header| h.body - 8;
    for h in top.iter().filter(|h| h.ver == 0xF) {
        match h.kind {
            SLIDE => {
                let n = slide_at.get(&offset_of(h)).copied().unwrap_or(0);
                walk(data, h, Place::Slide(n), 0, &mut deck);
            }
            NOTES => {
                let n = records(data, h.body, h.body + h.len)
                    .iter()
                    .find(|r| r.kind == NOTES_ATOM)
                    .and_then(|r| u32_at(data, r.body))
                    .and_then(|id| slide_id.get(&id).copied())
                    .unwrap_or(0);
                walk(data, h, Place::Notes(n), 0, &mut deck);
            }
            _ => {}
        }
    }
    Ok(deck)
}

/// A `PersistDirectoryAtom`: runs of (first persist id, count) then offsets.
fn read_persist_directory(data: &[u8], h: &Header, persist: &mut HashMap<u32, usize>) {
    let end = h.body + h.len;
    let mut at = h.body;
    while let Some(entry) = u32_at(data, at).filter(|_| at + 4 <= end) {
        let (first, count) = (entry & 0x000F_FFFF, entry >> 20);
        at += 4;
        for k in 0..count {
            let Some(off) = u32_at(data, at).filter(|_| at + 4 <= end) else { return };
            persist.insert(first + k, off as usize);
            at += 4;
        }
    }
}

/// Text atoms anywhere inside a slide or notes container (its text boxes),
/// and comments: their text and authors.
fn walk(data: &[u8], h: &Header, place: Place, depth: u32, deck: &mut Deck) {
    if depth >= MAX_DEPTH {
        return;
    }
    for r in records(data, h.body, h.body + h.len) {
        match r.kind {
            COMMENT10 if r.ver == 0xF => {
                let n = match place {
                    Place::Slide(n) | Place::Notes(n) | Place::Comment(n) => n,
                };
                for s in records(data, r.body, r.body + r.len).iter().filter(|s| s.kind == CSTRING) {
                    let Some(text) = atom_text(data, s) else { continue };
                    match s.instance {
                        0 if !text.trim().is_empty() => {
                            let authors = deck.authors.entry(n).or_default();
                            if !authors.contains(&text) {
                                authors.push(text);
                            }
                        }
                        1 => deck.add(Place::Comment(n), text),
                        _ => {}
                    }
                }
            }
            TEXT_CHARS_ATOM | TEXT_BYTES_ATOM => {
                if let Some(t) = atom_text(data, &r) {
                    deck.add(place, t);
                }
            }
            _ if r.ver == 0xF => walk(data, &r, place, depth + 1, deck),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persist_directory_runs() {
        let mut body = Vec::new();
        body.extend((5u32 | (2 << 20)).to_le_bytes());
        body.extend(100u32.to_le_bytes());
        body.extend(200u32.to_le_bytes());
        let mut data = vec![0, 0, 0x72, 0x17];
        data.extend((body.len() as u32).to_le_bytes());
        data.extend(&body);
        let h = records(&data, 0, data.len())[0];
        let mut persist = HashMap::new();
        read_persist_directory(&data, &h, &mut persist);
        assert_eq!(persist.get(&5), Some(&100));
        assert_eq!(persist.get(&6), Some(&200));
    }

    #[test]
    fn a_record_longer_than_the_stream_is_clamped() {
        let data = [0x0F, 0, 0xE8, 0x03, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2];
        let r = records(&data, 0, data.len());
        assert_eq!((r[0].body, r[0].len), (8, 2));
    }
}
