//! Document properties of Office 97-2003 files (doc, ppt): the
//! `\u{5}SummaryInformation` and `\u{5}DocumentSummaryInformation` streams
//! of the compound file, property sets per MS-OLEPS. Only the text
//! properties that can name people or say what a file is about are read
//! (author, last saved by, title, subject, keywords, comments, company,
//! manager), located as a docx's are (`metadata creator`, ...).

use std::io::Read;

use crate::formats::{Emit, Segment};

/// (stream, property id, location, context).
const WANTED: &[(&str, u32, &str, &str)] = &[
    ("/\u{5}SummaryInformation", 2, "metadata title", "Document title"),
    ("/\u{5}SummaryInformation", 3, "metadata subject", "Subject"),
    ("/\u{5}SummaryInformation", 4, "metadata creator", "Author"),
    ("/\u{5}SummaryInformation", 5, "metadata keywords", "Keywords"),
    ("/\u{5}SummaryInformation", 6, "metadata description", "Description"),
    ("/\u{5}SummaryInformation", 8, "metadata lastModifiedBy", "Author"),
    ("/\u{5}DocumentSummaryInformation", 0x0E, "metadata manager", "Manager"),
    ("/\u{5}DocumentSummaryInformation", 0x0F, "metadata company", "Company"),
];

/// Property streams are small; a larger one is not read.
const MAX_STREAM: u64 = 1 << 20;

const VT_LPSTR: u32 = 0x1E;
const VT_LPWSTR: u32 = 0x1F;
const PID_CODEPAGE: u32 = 1;

/// Emit the text properties of the compound file; a missing or damaged
/// property stream is passed over (the document's text is what matters).
pub fn emit<F: Read + std::io::Seek>(file: &mut cfb::CompoundFile<F>, emit: &mut dyn Emit) {
    for stream in ["/\u{5}SummaryInformation", "/\u{5}DocumentSummaryInformation"] {
        let mut data = Vec::new();
        let Ok(mut s) = file.open_stream(stream) else { continue };
        if s.by_ref().take(MAX_STREAM).read_to_end(&mut data).is_err() {
            continue;
        }
        for (id, value) in text_properties(&data) {
            if let Some((_, _, location, context)) = WANTED.iter().find(|w| w.0 == stream && w.1 == id) {
                let value = value.trim();
                if !value.is_empty() {
                    emit.segment(Segment::fixed(location, value, Some(context)));
                }
            }
        }
    }
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at.checked_add(4)?).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The string properties of the first property set in `data`: (id, text).
pub fn text_properties(data: &[u8]) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    // Header: byte order, version, system, CLSID (28 bytes), then the
    // first set's FMTID (16) and offset (4).
    if data.get(0..2) != Some(&[0xFE, 0xFF]) {
        return out;
    }
    let Some(set) = u32_at(data, 44).map(|o| o as usize) else { return out };
    let Some(count) = u32_at(data, set + 4) else { return out };
    let entries: Vec<(u32, usize)> = (0..count.min(1024) as usize)
        .map_while(|i| Some((u32_at(data, set + 8 + i * 8)?, u32_at(data, set + 12 + i * 8)? as usize)))
        .collect();
    let codepage = entries
        .iter()
        .find(|(id, _)| *id == PID_CODEPAGE)
        .and_then(|(_, off)| data.get(set + off + 4..set + off + 6))
        .map(|b| u16::from_le_bytes([b[0], b[1]]));
    let encoding = codepage
        .and_then(|cp| encoding_rs::Encoding::for_label(format!("cp{cp}").as_bytes()))
        .unwrap_or(encoding_rs::WINDOWS_1252);
    for (id, offset) in entries {
        let at = set.saturating_add(offset);
        let (Some(kind), Some(len)) = (u32_at(data, at), u32_at(data, at + 4)) else { continue };
        let text = match kind {
            VT_LPSTR => {
                let Some(bytes) = data.get(at + 8..(at + 8).saturating_add(len as usize)) else { continue };
                let bytes = bytes.split(|&b| b == 0).next().unwrap_or_default();
                if codepage == Some(1200) {
                    // UTF-16 held in a VT_LPSTR, as the code page says.
                    let units = bytes.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]]));
                    char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
                } else {
                    encoding.decode_without_bom_handling(bytes).0.into_owned()
                }
            }
            VT_LPWSTR => {
                let Some(bytes) = data.get(at + 8..(at + 8).saturating_add(len as usize * 2)) else { continue };
                let units = bytes.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).take_while(|&u| u != 0);
                char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
            }
            _ => continue,
        };
        out.push((id, text));
    }
    out
}

#[cfg(test)]
mod tests {
    use piisweep_testkit::word97::summary_information;

    #[test]
    fn text_properties_are_read_and_damage_is_passed_over() {
        let data = summary_information(&[(4, "Jane Roberts"), (8, "Tom Price"), (2, "Referral")]);
        let got = super::text_properties(&data);
        assert_eq!(got, [(4, "Jane Roberts".to_string()), (8, "Tom Price".to_string()), (2, "Referral".to_string())]);
        for cut in 0..data.len() {
            let _ = super::text_properties(&data[..cut]);
        }
        assert!(super::text_properties(b"not a property set").is_empty());
    }
}
