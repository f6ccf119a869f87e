//! An XML file's copy: each run of element text read as the reader reads
//! it, its personal data replaced in place (escaped for XML); tags,
//! attributes and everything else byte for byte as they were, in the same
//! encoding.

use crate::formats::rewrite::Rewrite;
use crate::formats::text::anonymise::{decode, encode};
use crate::formats::{Loc, Segment};

use super::{LINE, text_nodes};

/// `text` escaped for XML element content.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The copy of an XML file; not copied when it is not well-formed (the
/// part after the error could not be read, so could not be checked).
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    let (xml, enc) = decode(data);
    // (source range, replacement), in source order.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let walked = text_nodes(&xml, |node| {
        let context = (!node.element.is_empty()).then_some(node.element);
        let seg = Segment { loc: Loc::Lines { prefix: LINE, first: node.line }, text: &node.text, context };
        for span in work.spans(&seg) {
            let (start, end) = node.source_range(span.start, span.end);
            let new = work.replace(span.category, &node.text[span.start..span.end]);
            edits.push((start, end, escape(&new)));
        }
    });
    walked?;
    let mut out = String::with_capacity(xml.len());
    let mut at = 0;
    for (start, end, new) in edits {
        if start < at {
            continue;
        }
        out.push_str(&xml[at..start]);
        out.push_str(&new);
        at = end;
    }
    out.push_str(&xml[at..]);
    Ok(encode(&out, enc))
}
