//! Anonymised copies of Word 97-2003 documents, written as `.docx`: Word
//! 97-2003 cannot be rewritten in place, so the paragraphs and tables the
//! reader finds are written into a plain Word document ([`to_docx`]; the
//! other stories follow the body under a heading each, "Footnotes",
//! "Comments"...), which the docx writer then anonymises like any other.
//! Formatting, pictures and document properties are not carried over.

use std::io::Write;

use quick_xml::escape::escape;

use crate::formats::docx::flow::{Block, Para};
use crate::formats::rewrite::Rewrite;

/// Write the anonymised `.docx` copy of the Word 97-2003 document `data`.
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    let doc = super::read(data, work.limits()).map_err(|e| e.to_string())?;
    if doc.damaged {
        return Err("damaged (parts of its text lie outside the file): not copied".into());
    }
    let docx = to_docx(&doc).map_err(|e| format!("cannot write the .docx copy: {e}"))?;
    crate::formats::docx::anonymise::write(work, &docx)
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

/// A Word document (docx) holding `doc`'s text: the body's paragraphs and
/// tables, then each other story under a heading.
pub fn to_docx(doc: &super::Document) -> std::io::Result<Vec<u8>> {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#,
    );
    push_blocks(&mut xml, &doc.body);
    for (name, blocks) in &doc.stories {
        let mut heading = name.to_string();
        heading[..1].make_ascii_uppercase();
        push_para(&mut xml, &Para { text: heading, ..Para::default() });
        push_blocks(&mut xml, blocks);
    }
    xml.push_str("</w:body></w:document>");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, text) in [("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", RELS), ("word/document.xml", &xml)] {
        zip.start_file(name, options)?;
        zip.write_all(text.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

fn push_blocks(xml: &mut String, blocks: &[Block]) {
    for block in blocks {
        match block {
            Block::Para(p) => push_para(xml, p),
            Block::Table(rows) => {
                xml.push_str("<w:tbl><w:tblPr><w:tblW w:w=\"0\" w:type=\"auto\"/></w:tblPr>");
                for row in rows {
                    xml.push_str("<w:tr>");
                    for cell in &row.cells {
                        xml.push_str("<w:tc>");
                        push_blocks(xml, &cell.blocks);
                        // Every cell ends with a paragraph.
                        if !matches!(cell.blocks.last(), Some(Block::Para(_))) {
                            xml.push_str("<w:p/>");
                        }
                        xml.push_str("</w:tc>");
                    }
                    xml.push_str("</w:tr>");
                }
                xml.push_str("</w:tbl>");
            }
        }
    }
}

/// One paragraph: tabs and line breaks as Word's own elements.
fn push_para(xml: &mut String, p: &Para) {
    xml.push_str("<w:p><w:r>");
    let mut run = String::new();
    let flush = |xml: &mut String, run: &mut String| {
        if !run.is_empty() {
            xml.push_str("<w:t xml:space=\"preserve\">");
            xml.push_str(&escape(run.as_str()));
            xml.push_str("</w:t>");
            run.clear();
        }
    };
    for c in p.text.chars() {
        match c {
            '\t' => {
                flush(xml, &mut run);
                xml.push_str("<w:tab/>");
            }
            '\n' => {
                flush(xml, &mut run);
                xml.push_str("<w:br/>");
            }
            // Not allowed in XML 1.0.
            c if (c < ' ' && c != '\r') || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            '\r' => {}
            c => run.push(c),
        }
    }
    flush(xml, &mut run);
    xml.push_str("</w:r></w:p>");
}
