//! Fonts: turning the bytes of a shown string into Unicode text, and knowing
//! how far each glyph moves the pen (so that gaps between strings can be told
//! apart from kerning).
//!
//! lopdf's `get_font_encoding` prefers `/Encoding` over `/ToUnicode`, drops a
//! whole `/Differences` array over one unknown glyph name and cannot decode
//! `Identity-H`, so the decoding tables are built here, using lopdf only for
//! its base encodings, glyph-name list and CMap parser.

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Encoding, Object, dictionary};

use super::{deref, deref_dict};

/// How many entries of a `/W` array or `/Differences` array are read at most.
const MAX_TABLE_ENTRIES: usize = 100_000;

/// A font as the content-stream walker needs it.
pub struct Font<'a> {
    codes: Codes<'a>,
    widths: Widths,
    /// Glyph space to text space: 1/1000 except for Type 3 fonts.
    scale: f32,
}

/// How the bytes of a string split into character codes, and what text each code is.
enum Codes<'a> {
    /// One byte per code (Type1, TrueType, Type3, MMType1): the text of each byte.
    Simple(Vec<Option<Box<str>>>),
    /// Two bytes per code mapped through a ToUnicode CMap (Type0 with `Identity-H` and the like).
    TwoByteCmap(Encoding<'a>),
    /// Two bytes per code that are UTF-16BE themselves (predefined `Uni...-UCS2-H` CMaps).
    Ucs2,
    /// A composite font with a code length not known here: the whole string is
    /// decoded through the ToUnicode CMap, glyph by glyph positions estimated.
    Whole(Encoding<'a>),
    /// A composite font without any Unicode mapping: nothing can be read.
    Unmapped,
}

/// Glyph widths in glyph space units (1000 = 1 em for all but Type 3).
enum Widths {
    /// `/FirstChar` + `/Widths`, or a standard 14 font's built-in table.
    Simple { first: u32, widths: Vec<f32>, missing: f32 },
    /// CID widths from `/W`: `(first, last, width)` ranges sorted by `first`, else `/DW`.
    Cid { ranges: Vec<(u32, u32, f32)>, default: f32 },
}

/// One character code of a shown string.
pub struct Glyph<'s> {
    /// The text this glyph stands for (empty when unknown).
    pub text: &'s str,
    /// Advance in text space units for a font size of 1.
    pub width: f32,
    /// Single-byte code 32, to which word spacing (`Tw`) applies.
    pub is_space: bool,
}

impl<'a> Font<'a> {
    /// Builds the font from its dictionary. Never fails: what cannot be read
    /// leaves codes unmapped.
    pub fn new(doc: &'a Document, dict: &'a Dictionary) -> Font<'a> {
        let subtype = dict.get(b"Subtype").and_then(Object::as_name).unwrap_or(b"");
        if subtype == b"Type0" {
            return composite(doc, dict);
        }
        let scale = if subtype == b"Type3" { type3_scale(doc, dict) } else { 0.001 };
        Font { codes: Codes::Simple(simple_table(doc, dict, subtype)), widths: simple_widths(doc, dict), scale }
    }

    /// True if this font cannot turn its codes into text at all.
    pub fn is_unmapped(&self) -> bool {
        matches!(self.codes, Codes::Unmapped)
    }

    /// Calls `f` with each glyph (character code) of `bytes`, in order.
    pub fn glyphs(&self, bytes: &[u8], mut f: impl FnMut(Glyph<'_>)) {
        match &self.codes {
            Codes::Simple(table) => {
                for &b in bytes {
                    let text = table[b as usize].as_deref().unwrap_or("");
                    f(Glyph { text, width: self.width(u32::from(b)), is_space: b == b' ' });
                }
            }
            Codes::TwoByteCmap(enc) => {
                let mut buf = String::new();
                for pair in bytes.chunks(2) {
                    let code = pair.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
                    buf.clear();
                    if let Encoding::UnicodeMapEncoding(cmap) = enc
                        && let Some(units) = cmap.get(code, pair.len() as u8)
                    {
                        push_clean(&mut buf, &String::from_utf16_lossy(&units));
                    }
                    f(Glyph { text: &buf, width: self.width(code), is_space: false });
                }
            }
            Codes::Ucs2 => {
                let mut buf = String::new();
                for pair in bytes.chunks(2) {
                    let code = pair.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
                    buf.clear();
                    if let Some(c) = char::from_u32(code) {
                        push_clean(&mut buf, c.encode_utf8(&mut [0; 4]));
                    }
                    f(Glyph { text: &buf, width: self.width(code), is_space: false });
                }
            }
            Codes::Whole(enc) => {
                let text = enc.bytes_to_string(bytes).unwrap_or_default();
                let mut buf = String::new();
                push_clean(&mut buf, &text);
                let width = match &self.widths {
                    Widths::Cid { default, .. } => *default,
                    Widths::Simple { missing, .. } => *missing,
                };
                let mut tmp = [0u8; 4];
                for c in buf.chars() {
                    f(Glyph { text: c.encode_utf8(&mut tmp), width: width * self.scale, is_space: false });
                }
            }
            Codes::Unmapped => {
                for pair in bytes.chunks(2) {
                    let code = pair.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
                    f(Glyph { text: "", width: self.width(code), is_space: false });
                }
            }
        }
    }

    /// The advance of `code` in text space for a font size of 1.
    fn width(&self, code: u32) -> f32 {
        let w = match &self.widths {
            Widths::Simple { first, widths, missing } => {
                code.checked_sub(*first).and_then(|i| widths.get(i as usize)).copied().unwrap_or(*missing)
            }
            Widths::Cid { ranges, default } => {
                let after = ranges.partition_point(|r| r.0 <= code);
                after.checked_sub(1).map(|i| ranges[i]).filter(|r| code <= r.1).map_or(*default, |r| r.2)
            }
        };
        w * self.scale
    }
}

/// Appends `s` to `out` the way detection wants it: control characters and
/// replacement characters dropped, no-break spaces as spaces, Latin ligatures
/// spelled out.
pub fn push_clean(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\u{0}'..='\u{1f}' | '\u{7f}' | '\u{fffd}' | '\u{feff}' => {}
            '\u{a0}' => out.push(' '),
            '\u{fb00}' => out.push_str("ff"),
            '\u{fb01}' => out.push_str("fi"),
            '\u{fb02}' => out.push_str("fl"),
            '\u{fb03}' => out.push_str("ffi"),
            '\u{fb04}' => out.push_str("ffl"),
            '\u{fb05}' | '\u{fb06}' => out.push_str("st"),
            c => out.push(c),
        }
    }
}

/// The base font name without a subset tag (`ABCDEF+Arial` → `Arial`).
fn base_name(dict: &Dictionary) -> String {
    let name = dict.get(b"BaseFont").and_then(Object::as_name).unwrap_or(b"");
    let name = String::from_utf8_lossy(name);
    match name.split_once('+') {
        Some((tag, rest)) if tag.len() == 6 => rest.to_string(),
        _ => name.into_owned(),
    }
}

/// The byte → text table of a simple font: base encoding, then `/Differences`,
/// then the ToUnicode CMap, each overriding the one before where it says something.
fn simple_table(doc: &Document, dict: &Dictionary, subtype: &[u8]) -> Vec<Option<Box<str>>> {
    let encoding = dict.get(b"Encoding").ok().and_then(|o| deref(doc, o));
    let (base, differences) = match encoding {
        Some(Object::Name(name)) => (Some(name.as_slice()), None),
        Some(Object::Dictionary(d)) => (
            d.get(b"BaseEncoding").and_then(Object::as_name).ok(),
            d.get(b"Differences").ok().and_then(|o| deref(doc, o)).and_then(|o| o.as_array().ok()),
        ),
        _ => (None, None),
    };
    let default_base: &[u8] = if subtype == b"TrueType" { b"WinAnsiEncoding" } else { b"StandardEncoding" };
    let mut table = base_table(doc, base.unwrap_or(default_base));
    if let Some(differences) = differences {
        apply_differences(doc, differences, &mut table);
    }
    if let Some(Encoding::UnicodeMapEncoding(cmap)) = to_unicode(doc, dict).as_ref() {
        for (b, slot) in table.iter_mut().enumerate() {
            let units = cmap.get(b as u32, 1).or_else(|| cmap.get(b as u32, 2));
            if let Some(units) = units {
                let mut s = String::new();
                push_clean(&mut s, &String::from_utf16_lossy(&units));
                if !s.is_empty() {
                    *slot = Some(s.into());
                }
            }
        }
    }
    table
}

/// The 256-entry table of a named base encoding, via lopdf's tables.
fn base_table(doc: &Document, name: &[u8]) -> Vec<Option<Box<str>>> {
    let known: &[u8] = match name {
        b"WinAnsiEncoding" | b"MacRomanEncoding" | b"MacExpertEncoding" | b"StandardEncoding" => name,
        _ => b"StandardEncoding",
    };
    let fake = dictionary! { "Type" => "Font", "Encoding" => Object::Name(known.to_vec()) };
    let encoding = fake.get_font_encoding(doc).ok();
    (0..=255u8)
        .map(|b| {
            let s = encoding.as_ref()?.bytes_to_string(&[b]).ok()?;
            let mut clean = String::new();
            push_clean(&mut clean, &s);
            (!clean.is_empty()).then(|| clean.into())
        })
        .collect()
}

/// Applies a `/Differences` array (`[code /name /name code /name ...]`).
fn apply_differences(doc: &Document, array: &[Object], table: &mut [Option<Box<str>>]) {
    let mut code: usize = 0;
    for item in array.iter().take(MAX_TABLE_ENTRIES) {
        match item {
            Object::Integer(n) => code = usize::try_from(*n).unwrap_or(256),
            Object::Name(name) => {
                if let Some(slot) = table.get_mut(code) {
                    *slot = glyph_text(doc, name).map(Into::into);
                }
                code = code.saturating_add(1);
            }
            _ => {}
        }
    }
}

/// The text of a glyph name: `uni0041`, `u1F600`, an Adobe Glyph List name,
/// with `.suffix` variants and `f_i` ligatures resolved.
fn glyph_text(doc: &Document, name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    let name = name.split('.').next().filter(|n| !n.is_empty())?;
    if name.contains('_') {
        let parts: Option<Vec<String>> = name.split('_').map(|p| glyph_text(doc, p.as_bytes())).collect();
        return parts.map(|p| p.concat());
    }
    let text = unicode_glyph_name(name).or_else(|| agl_glyph(doc, name))?;
    let mut clean = String::new();
    push_clean(&mut clean, &text);
    (!clean.is_empty()).then_some(clean)
}

/// `uniXXXX[XXXX...]` and `uXXXX[XX]` glyph names.
fn unicode_glyph_name(name: &str) -> Option<String> {
    let hex_char = |h: &str| u32::from_str_radix(h, 16).ok().and_then(char::from_u32);
    if let Some(hex) = name.strip_prefix("uni")
        && hex.len() >= 4
        && hex.len() % 4 == 0
        && hex.is_ascii()
    {
        return (0..hex.len()).step_by(4).map(|i| hex_char(&hex[i..i + 4])).collect();
    }
    if let Some(hex) = name.strip_prefix('u')
        && (4..=6).contains(&hex.len())
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return hex_char(hex).map(String::from);
    }
    None
}

/// A glyph name looked up in lopdf's Adobe Glyph List, through a one-entry
/// `/Differences` encoding.
fn agl_glyph(doc: &Document, name: &str) -> Option<String> {
    let differences = vec![Object::Integer(65), Object::Name(name.as_bytes().to_vec())];
    let fake = dictionary! {
        "Type" => "Font",
        "Encoding" => dictionary! { "Differences" => differences },
    };
    let encoding = fake.get_font_encoding(doc).ok()?;
    if !matches!(encoding, Encoding::Differences(_)) {
        return None;
    }
    encoding.bytes_to_string(&[65]).ok().filter(|s| !s.is_empty())
}

/// The font's ToUnicode CMap, parsed by lopdf (only its `/ToUnicode` entry is
/// handed over, so that lopdf does not prefer `/Encoding`).
fn to_unicode<'a>(doc: &'a Document, dict: &Dictionary) -> Option<Encoding<'a>> {
    let entry = dict.get(b"ToUnicode").ok()?;
    deref(doc, entry)?.as_stream().ok()?;
    let fake = dictionary! { "Type" => "Font", "ToUnicode" => entry.clone() };
    let encoding = fake.get_font_encoding(doc).ok()?;
    // Only the CMap variant owns its data; anything else means lopdf fell back.
    match encoding {
        Encoding::UnicodeMapEncoding(cmap) => Some(Encoding::UnicodeMapEncoding(cmap)),
        _ => None,
    }
}

/// A Type0 (composite) font: its code scheme from `/Encoding` and `/ToUnicode`,
/// its widths from the descendant CIDFont.
fn composite<'a>(doc: &'a Document, dict: &'a Dictionary) -> Font<'a> {
    let encoding = dict.get(b"Encoding").ok().and_then(|o| deref(doc, o));
    let cmap_name = encoding.and_then(|o| o.as_name().ok()).unwrap_or(b"");
    let two_byte = cmap_name.starts_with(b"Identity-")
        || (cmap_name.starts_with(b"Uni") && (contains(cmap_name, b"UCS2") || contains(cmap_name, b"UTF16")));
    let unicode_cmap = cmap_name.starts_with(b"Uni") && !cmap_name.starts_with(b"UniCNS-UTF32");
    let codes = match (to_unicode(doc, dict), two_byte) {
        (Some(enc), true) => Codes::TwoByteCmap(enc),
        (Some(enc), false) => Codes::Whole(enc),
        (None, true) if unicode_cmap => Codes::Ucs2,
        (None, _) => Codes::Unmapped,
    };
    let descendant = dict
        .get(b"DescendantFonts")
        .ok()
        .and_then(|o| deref(doc, o))
        .and_then(|o| o.as_array().ok())
        .and_then(|a| a.first())
        .and_then(|o| deref_dict(doc, o));
    let widths = match descendant {
        Some(d) => cid_widths(doc, d),
        None => Widths::Cid { ranges: Vec::new(), default: 1000.0 },
    };
    Font { codes, widths, scale: 0.001 }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `/DW` and `/W` of a CIDFont. With `Identity` CMaps a code is its CID.
fn cid_widths(doc: &Document, cid_font: &Dictionary) -> Widths {
    let default = cid_font.get(b"DW").and_then(Object::as_float).unwrap_or(1000.0);
    let mut ranges = Vec::new();
    let items = cid_font.get(b"W").ok().and_then(|o| deref(doc, o)).and_then(|o| o.as_array().ok());
    let items = items.map(Vec::as_slice).unwrap_or(&[]);
    let number = |o: &Object| deref(doc, o).and_then(|o| o.as_float().ok());
    let mut i = 0;
    while i < items.len() && ranges.len() < MAX_TABLE_ENTRIES {
        let Some(first) = number(&items[i]).map(|f| f as u32) else {
            break;
        };
        match items.get(i + 1).and_then(|o| deref(doc, o)) {
            Some(Object::Array(list)) => {
                for (k, w) in list.iter().take(MAX_TABLE_ENTRIES).enumerate() {
                    let cid = first.saturating_add(k as u32);
                    ranges.push((cid, cid, number(w).unwrap_or(default)));
                }
                i += 2;
            }
            Some(last) => {
                let (Some(last), Some(w)) = (last.as_float().ok(), items.get(i + 2).and_then(number)) else {
                    break;
                };
                ranges.push((first, last as u32, w));
                i += 3;
            }
            None => break,
        }
    }
    ranges.sort_by_key(|r| r.0);
    Widths::Cid { ranges, default }
}

/// `/FirstChar` + `/Widths` of a simple font, or a standard 14 font's metrics.
fn simple_widths(doc: &Document, dict: &Dictionary) -> Widths {
    let missing = dict
        .get(b"FontDescriptor")
        .ok()
        .and_then(|o| deref_dict(doc, o))
        .and_then(|d| d.get(b"MissingWidth").and_then(Object::as_float).ok());
    let widths = dict.get(b"Widths").ok().and_then(|o| deref(doc, o)).and_then(|o| o.as_array().ok());
    if let Some(widths) = widths {
        let first = dict.get(b"FirstChar").and_then(Object::as_i64).unwrap_or(0).clamp(0, 255) as u32;
        let widths =
            widths.iter().take(256).map(|w| deref(doc, w).and_then(|w| w.as_float().ok()).unwrap_or(0.0)).collect();
        return Widths::Simple { first, widths, missing: missing.unwrap_or(500.0) };
    }
    standard_widths(&base_name(dict), missing)
}

/// Widths of a standard 14 font (or a common stand-in for one) for codes 32..=126.
fn standard_widths(name: &str, missing: Option<f32>) -> Widths {
    let bold = name.contains("Bold") || name.contains("Black") || name.contains("Heavy");
    let table: &[u16; 95] = if name.contains("Courier") || name.contains("Mono") {
        return Widths::Simple { first: 0, widths: Vec::new(), missing: 600.0 };
    } else if name.contains("Symbol") || name.contains("Dingbats") {
        return Widths::Simple { first: 0, widths: Vec::new(), missing: missing.unwrap_or(600.0) };
    } else if name.contains("Times") || name.contains("Serif") || name.contains("Georgia") {
        if bold { &TIMES_BOLD } else { &TIMES }
    } else if bold {
        &HELVETICA_BOLD
    } else {
        &HELVETICA
    };
    Widths::Simple {
        first: 32,
        widths: table.iter().map(|&w| f32::from(w)).collect(),
        missing: missing.unwrap_or(556.0),
    }
}

/// A Type 3 font's glyph-space scale from its `/FontMatrix`.
fn type3_scale(doc: &Document, dict: &Dictionary) -> f32 {
    dict.get(b"FontMatrix")
        .ok()
        .and_then(|o| deref(doc, o))
        .and_then(|o| o.as_array().ok())
        .and_then(|a| a.first())
        .and_then(|o| o.as_float().ok())
        .filter(|s| s.is_finite() && *s != 0.0)
        .map_or(0.001, f32::abs)
}

/// Fonts already built, by object id, shared by all pages of a document.
pub type FontCache<'a> = HashMap<lopdf::ObjectId, std::rc::Rc<Font<'a>>>;

/// Helvetica advance widths, codes 32..=126 (Adobe AFM).
#[rustfmt::skip]
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// Helvetica-Bold advance widths, codes 32..=126.
#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// Times-Roman advance widths, codes 32..=126.
#[rustfmt::skip]
const TIMES: [u16; 95] = [
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278,
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444,
    921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722,
    556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500,
    333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500,
    500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
];

/// Times-Bold advance widths, codes 32..=126.
#[rustfmt::skip]
const TIMES_BOLD: [u16; 95] = [
    250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278,
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500,
    930, 722, 667, 722, 722, 667, 611, 778, 778, 389, 500, 778, 667, 944, 722, 778,
    611, 778, 722, 556, 667, 722, 722, 1000, 722, 722, 667, 333, 278, 333, 581, 500,
    333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556, 278, 833, 556, 500,
    556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394, 220, 394, 520,
];
