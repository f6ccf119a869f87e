//! PowerPoint 97-2003 files (`.ppt`) for tests and the accuracy corpus: a
//! compound file whose `PowerPoint Document` stream holds records as
//! PowerPoint writes them ([MS-PPT]).

use std::io::{Cursor, Write};

/// One record: version and instance, type, body.
pub fn rec(ver: u16, instance: u16, kind: u16, body: &[u8]) -> Vec<u8> {
    let mut r = ((instance << 4) | ver).to_le_bytes().to_vec();
    r.extend(kind.to_le_bytes());
    r.extend((body.len() as u32).to_le_bytes());
    r.extend(body);
    r
}

/// Text as a `TextCharsAtom` holds it: UTF-16LE.
pub fn chars(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// A compound file holding `stream` as its PowerPoint Document.
pub fn compound_file(stream: &[u8]) -> Vec<u8> {
    let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("in memory");
    cf.create_stream("/PowerPoint Document").and_then(|mut s| s.write_all(stream)).expect("in memory");
    cf.create_stream("/Current User").and_then(|mut s| s.write_all(&[0; 20])).expect("in memory");
    cf.flush().expect("in memory");
    cf.into_inner().into_inner()
}

/// A `SlidePersistAtom`: the slide's persist id and slide id.
pub fn persist_atom(persist: u32, slide_id: u32) -> Vec<u8> {
    let body: Vec<u8> = [persist, 0, 1, slide_id, 0].iter().flat_map(|v| v.to_le_bytes()).collect();
    rec(0, 0, 0x03F3, &body)
}

/// A deck whose slides hold `slides[i]`'s paragraphs as placeholder text
/// (in the document's slide list, as PowerPoint keeps titles and bodies),
/// each slide's container listed in the persist directory.
pub fn deck(slides: &[Vec<String>]) -> Vec<u8> {
    let mut list = Vec::new();
    for (i, paragraphs) in slides.iter().enumerate() {
        list.extend(persist_atom(i as u32 + 1, 256 + i as u32));
        list.extend(rec(0, 0, 0x0F9F, &0u32.to_le_bytes()));
        list.extend(rec(0, 0, 0x0FA0, &chars(&paragraphs.join("\r"))));
    }
    let mut stream = rec(0xF, 0, 0x03E8, &rec(0xF, 0, 0x0FF0, &list));
    let mut offsets = Vec::new();
    for _ in slides {
        offsets.push(stream.len() as u32);
        stream.extend(rec(0xF, 0, 0x03EE, &rec(0xF, 0, 0xF002, &[])));
    }
    let mut directory = vec![1 | ((slides.len() as u32) << 20)];
    directory.extend(offsets);
    let directory: Vec<u8> = directory.iter().flat_map(|v| v.to_le_bytes()).collect();
    stream.extend(rec(0, 0, 0x1772, &directory));
    compound_file(&stream)
}
