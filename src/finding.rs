//! One finding, and its JSON Lines form per `spec/findings.md`.

use serde::{Deserialize, Serialize};

use std::borrow::Cow;

use compact_str::CompactString;
use std::sync::Arc;

use crate::detect::Category;
use crate::keys::Hash;

/// A piece of personal data found in a file. `value` is held in memory only;
/// what leaves the process is decided by the sink (masked unless `--reveal`).
///
/// Cheap to build, with no allocation of its own in the usual case: the
/// path and rule id are shared (one `Arc` per file part and per rule), the
/// hash is 32 bytes inline, the location and value are held inline when
/// they fit 24 bytes (as nearly all do), and the masked form is made only
/// when it is written ([`Finding::masked`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Relative to the scanned root, `/`-separated, `!` into containers.
    pub path: Arc<str>,
    /// Where in the file, typed; made text only by the outputs ([`Location::text`]).
    pub location: Location,
    pub category: Category,
    /// The text exactly as it stands in the source; for a finding rebuilt
    /// from a data map written without `--reveal`, its masked form (see
    /// `masked_only`).
    pub value: CompactString,
    /// `value` holds only the masked form: the plain value is not known.
    pub masked_only: bool,
    /// Keyed hash (HMAC-SHA256) of the normalised value.
    pub hash: Hash,
    pub confidence: f32,
    /// The id of the rule that fired.
    pub rule: Arc<str>,
}

/// Where a finding is in its file (or part), as the reader found it. It
/// becomes text only where it is written out ([`Location::text`], the
/// contract's `location`); the data map stores its parts ([`Location::parts`])
/// and where it sits for "nearby" ([`Location::near`]), so nothing reads
/// a location back out of its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Location {
    /// A line of running text, counted from 1, after a prefix naming what
    /// is counted: `line 12`, `body line 4`, `paragraph 9`.
    Line { prefix: CompactString, n: u64 },
    /// A page, from 1: `page 3`.
    Page(u32),
    /// A page read with OCR (a scan), from 1: `page 2 (OCR)`.
    OcrPage(u32),
    /// A message header, by name: `header From`.
    Header(CompactString),
    /// A spreadsheet cell, row and column from 0: `Sheet1!C7`.
    Cell { sheet: CompactString, row: u32, col: u32 },
    /// A cell of delimited text: row from 1 (the header row being row 1),
    /// column from 0, named by its header if it has one: `row 2, col
    /// Surname`, `row 1, col 2`.
    Row { row: u64, col: usize, header: Option<CompactString> },
    /// A slide of a presentation, from 1 (0: a slide the file does not
    /// say), and which of its parts: `slide 3`, `slide 3 notes`, `slide 3
    /// comment`, `slide ?`.
    Slide { n: u32, part: SlidePart },
    /// Any other place, as the reader names it (`footnote 2`, `Sheet1!C7
    /// comment`), and a location read back from a data map.
    Other(CompactString),
}

/// Which part of a slide a [`Location::Slide`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlidePart {
    /// What is on the slide itself.
    Body,
    /// The speaker notes.
    Notes,
    /// A reviewer's comment (and its author).
    Comment,
}

impl SlidePart {
    /// What follows the slide's number in the location's text.
    pub fn suffix(self) -> &'static str {
        match self {
            SlidePart::Body => "",
            SlidePart::Notes => " notes",
            SlidePart::Comment => " comment",
        }
    }
}

/// How far apart (in their numbers) two findings of one scope may be and
/// still be "nearby", by the prefix of a [`Location::Line`]: lines within
/// 3, paragraphs next to each other. Other prefixes have no neighbours.
const LINE_WINDOWS: [(&str, i64); 3] = [("line", 3), ("body line", 3), ("paragraph", 1)];

impl Location {
    /// The contract's text: `line 12`, `row 2, col Surname`, `Sheet1!C7`...
    pub fn text(&self) -> CompactString {
        let mut out = CompactString::const_new("");
        let mut digits = itoa::Buffer::new();
        match self {
            Location::Line { prefix, n } => {
                out.reserve(prefix.len() + 8);
                out.push_str(prefix);
                out.push(' ');
                out.push_str(digits.format(*n));
            }
            Location::Page(n) => {
                out.push_str("page ");
                out.push_str(digits.format(*n));
            }
            Location::OcrPage(n) => {
                out.push_str("page ");
                out.push_str(digits.format(*n));
                out.push_str(" (OCR)");
            }
            Location::Header(name) => {
                out.reserve(7 + name.len());
                out.push_str("header ");
                out.push_str(name);
            }
            Location::Cell { sheet, row, col } => {
                out.reserve(sheet.len() + 12);
                out.push_str(sheet);
                out.push('!');
                crate::formats::push_cell_ref(&mut out, *row, *col);
            }
            Location::Row { row, col, header } => {
                out.reserve(16 + header.as_ref().map_or(0, |h| h.len()));
                out.push_str("row ");
                out.push_str(digits.format(*row));
                out.push_str(", col ");
                match header {
                    Some(h) => out.push_str(h),
                    None => out.push_str(digits.format(*col + 1)),
                }
            }
            Location::Slide { n, part } => {
                out.push_str("slide ");
                match n {
                    0 => out.push('?'),
                    n => out.push_str(digits.format(*n)),
                }
                out.push_str(part.suffix());
            }
            Location::Other(text) => out.push_str(text),
        }
        out
    }

    /// The parts the data map stores: the text before the number into
    /// `pre`, after it into `post` (both cleared first), and the number,
    /// if the location has one. `pre`, the number and `post` written one
    /// after the other give [`Location::text`].
    pub fn parts(&self, pre: &mut String, post: &mut String) -> Option<i64> {
        pre.clear();
        post.clear();
        let num = match self {
            Location::Line { prefix, n } => {
                pre.push_str(prefix);
                pre.push(' ');
                i64::try_from(*n).ok()
            }
            Location::Page(n) => {
                pre.push_str("page ");
                Some(i64::from(*n))
            }
            Location::OcrPage(n) => {
                pre.push_str("page ");
                post.push_str(" (OCR)");
                Some(i64::from(*n))
            }
            Location::Cell { sheet, row, col } => {
                pre.push_str(sheet);
                pre.push('!');
                pre.push_str(&crate::formats::column_letters(*col));
                Some(i64::from(*row) + 1)
            }
            Location::Row { row, col, header } => {
                pre.push_str("row ");
                post.push_str(", col ");
                match header {
                    Some(h) => post.push_str(h),
                    None => post.push_str(itoa::Buffer::new().format(*col + 1)),
                }
                i64::try_from(*row).ok()
            }
            Location::Slide { n, part } if *n > 0 => {
                pre.push_str("slide ");
                post.push_str(part.suffix());
                Some(i64::from(*n))
            }
            Location::Header(_) | Location::Slide { .. } | Location::Other(_) => None,
        };
        if num.is_none() {
            // No number (or one too large to store as one): all in `pre`.
            pre.clear();
            post.clear();
            pre.push_str(&self.text());
        }
        num
    }

    /// Where the location sits for "nearby" (`sar`): its scope (`line `,
    /// `row`, `Sheet1!`...), its number, and how far apart two numbers of
    /// one scope may be (lines within 3, paragraphs next to each other,
    /// pages, rows and cells only the same). `None` for a location with no
    /// neighbours (a header, a footnote...): only the same place is near.
    pub fn near(&self) -> Option<(CompactString, i64, i64)> {
        match self {
            Location::Line { prefix, n } => {
                let (_, window) = LINE_WINDOWS.iter().find(|(p, _)| p == prefix)?;
                let mut scope = prefix.clone();
                scope.push(' ');
                Some((scope, i64::try_from(*n).ok()?, *window))
            }
            Location::Page(n) | Location::OcrPage(n) => Some(("page ".into(), i64::from(*n), 0)),
            Location::Row { row, .. } => Some(("row".into(), i64::try_from(*row).ok()?, 0)),
            Location::Cell { sheet, row, .. } => {
                let mut scope = sheet.clone();
                scope.push('!');
                Some((scope, i64::from(*row) + 1, 0))
            }
            // A slide's body, notes and comments are all near each other.
            Location::Slide { n, .. } => Some(("slide ".into(), i64::from(*n), 0)),
            Location::Header(_) | Location::Other(_) => None,
        }
        .filter(|(_, n, _)| *n > 0)
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl PartialEq<&str> for Location {
    fn eq(&self, other: &&str) -> bool {
        self.text() == *other
    }
}

impl From<Location> for String {
    fn from(location: Location) -> String {
        location.text().into()
    }
}

/// As its text (the contract's `location`).
impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl From<&str> for Location {
    fn from(text: &str) -> Location {
        Location::Other(text.into())
    }
}

impl From<String> for Location {
    fn from(text: String) -> Location {
        Location::Other(text.into())
    }
}

/// The contract's line, owned: what readers of findings files parse.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
pub struct FindingLine {
    pub path: String,
    pub location: String,
    pub category: Category,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub masked: Option<String>,
    pub hash: String,
    pub confidence: f32,
    pub rule: String,
}

/// The contract's line, borrowing from a [`Finding`]: what the JSONL sink
/// writes, without copying any string (the masked form is made here).
#[derive(Debug, Serialize)]
pub struct FindingLineRef<'a> {
    pub path: &'a str,
    pub location: CompactString,
    pub category: Category,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked: Option<Cow<'a, str>>,
    pub hash: Hash,
    pub confidence: f32,
    pub rule: &'a str,
}

impl Finding {
    /// The masked form, safe to show ([`Category::mask`] of the value).
    pub fn masked(&self) -> Cow<'_, str> {
        if self.masked_only { Cow::Borrowed(&self.value) } else { Cow::Owned(self.category.mask(&self.value)) }
    }

    /// Add this finding's line to `out`, newline included: the same bytes
    /// as `serde_json::to_writer` of [`Finding::line_ref`] followed by `\n`,
    /// written directly. `scratch` holds the masked form; keeping it
    /// between calls saves an allocation per finding.
    pub fn write_line(&self, reveal: bool, scratch: &mut String, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"path\":");
        push_json_str(out, &self.path);
        out.extend_from_slice(b",\"location\":");
        push_json_str(out, &self.location.text());
        out.extend_from_slice(b",\"category\":\"");
        // Category names are lower-case ASCII letters and `_`: nothing to escape.
        out.extend_from_slice(self.category.as_str().as_bytes());
        if reveal {
            out.extend_from_slice(b"\",\"value\":");
            push_json_str(out, &self.value);
        } else {
            out.extend_from_slice(b"\",\"masked\":");
            let masked: &str = if self.masked_only {
                &self.value
            } else {
                self.category.mask_into(&self.value, scratch);
                &*scratch
            };
            push_json_str(out, masked);
        }
        out.extend_from_slice(b",\"hash\":\"");
        out.extend_from_slice(self.hash.hex().as_bytes());
        out.extend_from_slice(b"\",\"confidence\":");
        push_json_f32(out, rounded_confidence(self.confidence));
        out.extend_from_slice(b",\"rule\":");
        push_json_str(out, &self.rule);
        out.extend_from_slice(b"}\n");
    }

    /// The line to write: `value` with `--reveal`, else `masked`.
    pub fn line_ref(&self, reveal: bool) -> FindingLineRef<'_> {
        FindingLineRef {
            path: &self.path,
            location: self.location.text(),
            category: self.category,
            value: reveal.then_some(self.value.as_str()),
            masked: (!reveal).then(|| self.masked()),
            hash: self.hash,
            confidence: rounded_confidence(self.confidence),
            rule: &self.rule,
        }
    }
}

/// A confidence as written: to two decimal places.
fn rounded_confidence(confidence: f32) -> f32 {
    (confidence * 100.0).round() / 100.0
}

/// `value` as a JSON string, escaped exactly as serde_json escapes it:
/// `"` and `\` after a backslash; backspace, form feed, line feed, carriage
/// return and tab as `\b`, `\f`, `\n`, `\r`, `\t`; the other control
/// characters below U+0020 as `\u00xx` (lower-case hex); everything else,
/// U+007F and all non-ASCII included, as its UTF-8 bytes.
pub fn push_json_str(out: &mut Vec<u8>, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = value.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
        // Nothing to escape (most values): one copy.
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x00..=0x1f => b'u',
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(&[b'\\', escape]);
        if escape == b'u' {
            out.extend_from_slice(&[b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// `value` as serde_json writes an `f32` (`null` if not finite). The
/// hundredths from 0 to 1, which is what rounded confidences are, come from
/// a table that serde_json wrote once.
fn push_json_f32(out: &mut Vec<u8>, value: f32) {
    static HUNDREDTHS: std::sync::LazyLock<Vec<Vec<u8>>> = std::sync::LazyLock::new(|| {
        (0..=100u8).map(|k| serde_json::to_vec(&(f32::from(k) / 100.0)).expect("a finite f32 serialises")).collect()
    });
    let k = (value * 100.0).round();
    if (0.0..=100.0).contains(&k) {
        let k = k as u8;
        // Bit for bit, so that -0.0 and values between hundredths are not taken for one.
        if (f32::from(k) / 100.0).to_bits() == value.to_bits() {
            out.extend_from_slice(&HUNDREDTHS[usize::from(k)]);
            return;
        }
    }
    serde_json::to_writer(out, &value).expect("writing to memory does not fail");
}

/// How many findings of each category: what a file's report and the
/// sweep's summary count, without holding the findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts([u64; Category::ALL.len()]);

impl Counts {
    /// Count one more finding of `category`.
    pub fn add(&mut self, category: Category) {
        self.0[category as usize] += 1;
    }

    /// Add all of `other`'s counts to these.
    pub fn merge(&mut self, other: &Counts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    pub fn get(&self, category: Category) -> u64 {
        self.0[category as usize]
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Categories with at least one finding, in [`Category::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Category, u64)> + '_ {
        Category::ALL.into_iter().map(|c| (c, self.get(c))).filter(|(_, n)| *n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Key;

    #[test]
    fn ocr_page_locations_have_text_parts_and_neighbours() {
        let (mut pre, mut post) = (String::new(), String::new());
        let location = Location::OcrPage(2);
        assert_eq!(location.text(), "page 2 (OCR)");
        // The map's parts give the text back, the number apart.
        let num = location.parts(&mut pre, &mut post);
        assert_eq!((pre.as_str(), num, post.as_str()), ("page ", Some(2), " (OCR)"));
        // A scanned page is near what is found on the same page.
        assert_eq!(location.near(), Location::Page(2).near());
        assert_ne!(location.near(), Location::OcrPage(3).near());
    }

    #[test]
    fn slide_locations_have_text_parts_and_neighbours() {
        let (mut pre, mut post) = (String::new(), String::new());
        for (n, part, text) in [
            (3, SlidePart::Body, "slide 3"),
            (3, SlidePart::Notes, "slide 3 notes"),
            (12, SlidePart::Comment, "slide 12 comment"),
            (0, SlidePart::Notes, "slide ? notes"),
        ] {
            let location = Location::Slide { n, part };
            assert_eq!(location.text(), text);
            // The map's parts give the text back, the number apart.
            let num = location.parts(&mut pre, &mut post);
            let joined = format!("{pre}{}{post}", num.map(|n| n.to_string()).unwrap_or_default());
            assert_eq!(joined, text);
            assert_eq!(num, (n > 0).then_some(i64::from(n)));
        }
        // A slide's body, notes and comments are one place for "nearby";
        // an unplaced slide has no neighbours.
        let near = |n, part| Location::Slide { n, part }.near();
        assert_eq!(near(3, SlidePart::Body), near(3, SlidePart::Notes));
        assert_ne!(near(3, SlidePart::Body), near(4, SlidePart::Body));
        assert_eq!(near(0, SlidePart::Body), None);
    }

    fn finding(value: &str, masked_only: bool) -> Finding {
        Finding {
            path: "a/b.txt".into(),
            location: "line 3".into(),
            category: Category::Phone,
            value: value.into(),
            masked_only,
            hash: Key::from_bytes([1; 32]).hash_bytes("07700900123"),
            confidence: 0.9512,
            rule: "uk_mobile".into(),
        }
    }

    #[test]
    fn lines_are_written_as_the_contract_says() {
        let f = finding("07700 900123", false);
        let hash = Key::from_bytes([1; 32]).hash("07700900123");
        let masked = serde_json::to_string(&f.line_ref(false)).unwrap();
        let mask = Category::Phone.mask("07700 900123");
        assert_eq!(
            masked,
            format!(
                r#"{{"path":"a/b.txt","location":"line 3","category":"phone","masked":"{mask}","hash":"{hash}","confidence":0.95,"rule":"uk_mobile"}}"#
            )
        );
        let mut written = Vec::new();
        f.write_line(false, &mut String::new(), &mut written);
        assert_eq!(String::from_utf8(written).unwrap(), masked.clone() + "\n");
        let revealed = serde_json::to_string(&f.line_ref(true)).unwrap();
        assert!(revealed.contains(r#""value":"07700 900123","hash""#) && !revealed.contains("masked"), "{revealed}");
        let back: FindingLine = serde_json::from_str(&revealed).unwrap();
        assert_eq!(back.hash, hash);
    }

    /// Characters that JSON escaping must get right: every ASCII one
    /// (controls, `"`, `\\`, `/`, DEL) and non-ASCII ones serde_json leaves
    /// alone (C1 controls, no-break space, line and paragraph separators,
    /// byte order mark, the last code points, emoji).
    fn tricky_chars() -> Vec<char> {
        let mut chars: Vec<char> = (0u8..=0x7f).map(char::from).collect();
        chars.extend([
            '\u{80}',
            '\u{85}',
            '\u{9f}',
            '\u{a0}',
            'é',
            '’',
            '\u{2028}',
            '\u{2029}',
            '\u{feff}',
            '\u{fffd}',
            '\u{ffff}',
            '\u{10000}',
            '\u{10ffff}',
            '🙂',
            '日',
        ]);
        chars
    }

    fn random_string(rng: &mut piisweep_testkit::rng::Rng, chars: &[char]) -> String {
        let len = rng.below(12);
        (0..len).map(|_| *rng.pick(chars)).collect()
    }

    #[test]
    fn json_strings_are_escaped_as_serde_json_escapes_them() {
        let chars = tricky_chars();
        let mut out = Vec::new();
        for c in &chars {
            for s in [c.to_string(), format!("a{c}b"), format!("{c}{c}")] {
                out.clear();
                push_json_str(&mut out, &s);
                assert_eq!(String::from_utf8(out.clone()).unwrap(), serde_json::to_string(&s).unwrap(), "{s:?}");
            }
        }
        let mut rng = piisweep_testkit::rng::Rng::new(11);
        for _ in 0..20_000 {
            let s = random_string(&mut rng, &chars);
            out.clear();
            push_json_str(&mut out, &s);
            assert_eq!(String::from_utf8(out.clone()).unwrap(), serde_json::to_string(&s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn confidences_are_written_as_serde_json_writes_them() {
        let mut out = Vec::new();
        let around_hundredths = (0..=100).flat_map(|k| {
            let c = k as f32 / 100.0;
            [
                c,
                -c,
                f32::from_bits(c.to_bits() + 1),
                f32::from_bits(c.to_bits().saturating_sub(1)),
                c + 0.004,
                c + 0.005,
            ]
        });
        let sweep = (0..=300_000).map(|i| i as f32 / 100_000.0 - 1.0);
        for c in around_hundredths.chain(sweep).chain([f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, 1e-40]) {
            for value in [c, rounded_confidence(c)] {
                out.clear();
                push_json_f32(&mut out, value);
                assert_eq!(out, serde_json::to_vec(&value).unwrap(), "{value:?}");
            }
        }
    }

    #[test]
    fn written_lines_are_the_bytes_serde_json_writes() {
        let chars = tricky_chars();
        let words = ["Jane Roberts", "AB 12 34 56 C", "+44 (0)7700 900123", "ME14 5PP", "jane@x.org", "12/03/1985"];
        let confidences = [
            0.0,
            -0.0,
            -0.001,
            1.0,
            1.004,
            0.5,
            0.95,
            0.9512,
            0.005,
            0.015,
            0.333,
            0.999,
            1e-9,
            -0.25,
            7.5,
            f32::NAN,
            f32::INFINITY,
        ];
        let mut rng = piisweep_testkit::rng::Rng::new(5);
        let key = Key::from_bytes([9; 32]);
        let (mut scratch, mut out) = (String::from("left over"), Vec::new());
        for i in 0..20_000 {
            let text = |rng: &mut piisweep_testkit::rng::Rng| {
                if rng.chance(30) { rng.pick(&words).to_string() } else { random_string(rng, &chars) }
            };
            let value = text(&mut rng);
            let f = Finding {
                path: text(&mut rng).into(),
                location: text(&mut rng).into(),
                category: *rng.pick(&Category::ALL),
                hash: key.hash_bytes(&value),
                value: value.into(),
                masked_only: rng.chance(20),
                confidence: if i % 2 == 0 { *rng.pick(&confidences) } else { f32::from_bits(rng.next_u64() as u32) },
                rule: text(&mut rng).into(),
            };
            for reveal in [false, true] {
                out.clear();
                f.write_line(reveal, &mut scratch, &mut out);
                let mut expected = serde_json::to_vec(&f.line_ref(reveal)).unwrap();
                expected.push(b'\n');
                assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&expected), "{f:?}");
                assert_eq!(out, expected);
            }
        }
    }

    #[test]
    fn a_masked_only_value_is_not_masked_again() {
        let f = finding("07*** ***123", true);
        assert_eq!(f.masked(), "07*** ***123");
        assert_eq!(finding("07700 900123", false).masked(), Category::Phone.mask("07700 900123"));
    }

    #[test]
    fn counts_per_category() {
        let mut c = Counts::default();
        c.add(Category::Email);
        c.add(Category::Email);
        c.add(Category::Address);
        let mut d = Counts::default();
        d.add(Category::Name);
        d.merge(&c);
        assert_eq!(d.total(), 4);
        assert_eq!(d.get(Category::Email), 2);
        assert_eq!(d.iter().collect::<Vec<_>>(), [(Category::Name, 1), (Category::Email, 2), (Category::Address, 1)]);
    }
}
