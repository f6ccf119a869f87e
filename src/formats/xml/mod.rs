//! XML data files (exports, feeds, configuration; `.xml`): the text of each
//! element, as a viewer shows it, with the element's name as its context (a
//! `<dob>` element is read as a DOB column is). Tags, attribute values,
//! comments and processing instructions are not read: they hold ids, fonts,
//! layout and style names, never what a person wrote. Decoded as text is
//! (UTF-8, UTF-16 with a byte-order mark, else Windows-1252); the writer
//! patches only element text, in the same encoding.

pub mod anonymise;

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::docx::xml::{entity_text, local};
use super::text::anonymise::decode;
use super::{Emit, ExtractError, Input, Limits, Loc, Result, Segment};

/// The location prefix of element text: the source line it starts on.
pub(crate) const LINE: &str = "line";

/// One run of element text: its unescaped text, where it lies in the
/// decoded source, and the element holding it.
pub(crate) struct TextNode<'a> {
    pub text: String,
    /// For each byte of `text`, the offset in the source it came from; then
    /// the end of the run in the source (so `raw[text.len()]` ends it).
    pub raw: Vec<usize>,
    pub element: &'a str,
    /// The line of the source the text starts on (from 1).
    pub line: u64,
}

impl TextNode<'_> {
    /// The source range of `start..end` of the node's text.
    pub fn source_range(&self, start: usize, end: usize) -> (usize, usize) {
        (self.raw[start], if end >= self.text.len() { self.raw[self.text.len()] } else { self.raw[end] })
    }
}

/// Hand each non-blank run of element text in `xml` to `f`, in order. A
/// parse error ends the walk with the error's position; what was read up to
/// there has been handed on.
pub(crate) fn text_nodes<'a>(xml: &'a str, mut f: impl FnMut(TextNode<'_>)) -> std::result::Result<(), String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = false;
    let mut path: Vec<&'a str> = Vec::new();
    let mut node = TextNode { text: String::new(), raw: Vec::new(), element: "", line: 1 };
    let mut lines_before = 1u64;
    let mut counted_to = 0usize;
    let flush = |node: &mut TextNode<'_>, path: &[&'a str], end: usize, f: &mut dyn FnMut(TextNode<'_>)| {
        if !node.text.trim().is_empty() {
            node.raw.push(end);
            let element = path.last().copied().unwrap_or("");
            let taken =
                std::mem::replace(node, TextNode { text: String::new(), raw: Vec::new(), element: "", line: 1 });
            f(TextNode { element, ..taken });
        } else {
            node.text.clear();
            node.raw.clear();
        }
    };
    loop {
        let start = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => return Err(format!("not well-formed XML at byte {}: {e}", reader.error_position())),
        };
        let end = reader.buffer_position() as usize;
        let mut add = |node: &mut TextNode<'_>, piece: &str, from: usize, literal: bool| {
            if node.text.is_empty() {
                lines_before += xml.as_bytes()[counted_to..from].iter().filter(|&&b| b == b'\n').count() as u64;
                counted_to = from;
                node.line = lines_before;
            }
            for (i, _) in piece.bytes().enumerate() {
                node.raw.push(if literal { from + i } else { from });
            }
            node.text.push_str(piece);
        };
        match event {
            Event::Start(e) => {
                flush(&mut node, &path, start, &mut f);
                let name = &xml[start + 1..start + 1 + e.name().as_ref().len()];
                path.push(local(name));
            }
            Event::End(_) => {
                flush(&mut node, &path, start, &mut f);
                path.pop();
            }
            Event::Empty(_) | Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => {
                flush(&mut node, &path, start, &mut f);
            }
            // The text as it is in the source: its bytes map one to one.
            Event::Text(_) => add(&mut node, &xml[start..end], start, true),
            Event::CData(_) => {
                let inner = start + "<![CDATA[".len()..end - "]]>".len();
                add(&mut node, &xml[inner.clone()], inner.start, true);
            }
            // `&amp;`, `&#233;`: what it stands for, every byte from the reference.
            Event::GeneralRef(r) => add(&mut node, &entity_text(&r), start, false),
            Event::Eof => {
                flush(&mut node, &path, start, &mut f);
                return Ok(());
            }
        }
    }
}

/// Read an XML file: each run of element text a segment, located by the
/// line it starts on, with its element's name as context.
pub fn extract(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let bytes = input.bytes(limits.max_in_memory)?;
    let (xml, _) = decode(&bytes);
    let walked = text_nodes(&xml, |node| {
        let context = (!node.element.is_empty()).then_some(node.element);
        emit.segment(Segment { loc: Loc::Lines { prefix: LINE, first: node.line }, text: &node.text, context });
    });
    walked.map_err(|detail| ExtractError::corrupt("XML", detail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Collect;

    fn nodes(xml: &str) -> Vec<(String, String, u64)> {
        let mut out = Vec::new();
        text_nodes(xml, |n| out.push((n.element.to_string(), n.text.clone(), n.line))).unwrap();
        out
    }

    #[test]
    fn element_text_with_its_element_and_line() {
        let xml = "<?xml version=\"1.0\"?>\n<clients>\n  <client id=\"9434765919\" font=\"Calibri\">\n    <name>Jane &amp; Tom</name>\n    <dob><![CDATA[12/03/1985]]></dob>\n    <x:note>caf&#233; 07700 900123</x:note>\n  </client>\n</clients>\n";
        assert_eq!(
            nodes(xml),
            [
                ("name".to_string(), "Jane & Tom".to_string(), 4),
                ("dob".to_string(), "12/03/1985".to_string(), 5),
                ("note".to_string(), "café 07700 900123".to_string(), 6),
            ]
        );
        // Attribute values (an id that passes the NHS check) are not read.
        let mut c = Collect::default();
        extract(&Input::Bytes(xml.as_bytes()), &mut c, &Limits::default()).unwrap();
        assert!(!c.all_text().contains("9434765919") && !c.all_text().contains("Calibri"));
        assert!(c.segments.iter().any(|s| s.0 == "line 5" && s.1 == "12/03/1985" && s.2.as_deref() == Some("dob")));
    }

    #[test]
    fn text_maps_back_to_its_source_bytes() {
        let xml = "<a>x &lt; Jane &#x52;oberts</a>";
        let mut checked = false;
        text_nodes(xml, |n| {
            let at = n.text.find("Jane").unwrap();
            let (s, e) = n.source_range(at, n.text.len());
            assert_eq!(&xml[s..e], "Jane &#x52;oberts");
            checked = true;
        })
        .unwrap();
        assert!(checked);
    }

    #[test]
    fn broken_xml_is_an_error_after_what_was_read() {
        let mut c = Collect::default();
        let err = extract(&Input::Bytes(b"<a><b>Jane Roberts</b><c"), &mut c, &Limits::default());
        assert!(err.is_err());
        assert_eq!(c.segments.len(), 1);
    }
}
