//! docx tests over packages built in memory with handwritten WordprocessingML.

use std::io::Write;

use super::*;
use crate::formats::{Collect, Loc};

const NS: &str = concat!(
    r#"xmlns:wpc="http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas" "#,
    r#"xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" "#,
    r#"xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" "#,
    r#"xmlns:v="urn:schemas-microsoft-com:vml" "#,
    r#"xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" "#,
    r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" "#,
    r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" "#,
    r#"xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" "#,
    r#"xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml" "#,
    r#"xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" "#,
    r#"mc:Ignorable="w14 w15""#
);

/// A zip holding `[Content_Types].xml` and the given members.
fn package(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("[Content_Types].xml", opts).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#).unwrap();
    for (name, body) in files {
        zip.start_file(*name, opts).unwrap();
        zip.write_all(body).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn part(root: &str, inner: &str) -> String {
    format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{}<w:{root} {NS}>{inner}</w:{root}>"#, "\r\n")
}

fn run_bytes(bytes: &[u8]) -> Collect {
    let mut c = Collect::default();
    extract(&Input::Bytes(bytes), &mut c, &Limits::default()).unwrap();
    c
}

/// Runs split mid-word and mid-email, empty paragraphs, tabs and breaks,
/// fields, tracked changes, a content control, a text box written twice
/// (DrawingML choice and VML fallback), tables, a comment and a footnote.
const BODY: &str = concat!(
    r#"<w:body>"#,
    r#"<w:p w:rsidR="00A1"><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Referral form</w:t></w:r></w:p>"#,
    r#"<w:p><w:r><w:t xml:space="preserve">Contact: Jane Ro</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">berts, jane.ro</w:t></w:r>"#,
    r#"<w:proofErr w:type="spellStart"/><w:r><w:t>berts@example.org</w:t></w:r><w:proofErr w:type="spellEnd"/></w:p>"#,
    r#"<w:p/>"#,
    r#"<w:p><w:pPr><w:spacing w:after="0"/></w:pPr></w:p>"#,
    r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:t>Ref:</w:t><w:tab/><w:t>AB</w:t><w:noBreakHyphen/><w:t>12</w:t>"#,
    r#"<w:sym w:font="Wingdings" w:char="F0FC"/><w:br/><w:t>Smith &amp; Sons</w:t></w:r></w:p>"#,
    r#"<w:p><w:r><w:t xml:space="preserve">See </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> HYPERLINK "mailto:hidden@example.org" </w:instrText></w:r>"#,
    r#"<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>the link</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>"#,
    r#"<w:fldSimple w:instr=" AUTHOR \* MERGEFORMAT "><w:r><w:t xml:space="preserve"> by Ann Lee</w:t></w:r></w:fldSimple>"#,
    r#"<w:hyperlink r:id="rId9" w:history="1"><w:r><w:t xml:space="preserve"> on the site</w:t></w:r></w:hyperlink></w:p>"#,
    r#"<w:p><w:r><w:t xml:space="preserve">Phone: </w:t></w:r><w:ins w:id="1" w:author="Sam Editor" w:date="2024-01-01T00:00:00Z"><w:r><w:t>07700 900456</w:t></w:r></w:ins>"#,
    r#"<w:del w:id="2" w:author="Sam Editor" w:date="2024-01-01T00:00:00Z"><w:r><w:delText xml:space="preserve">07700 </w:delText></w:r><w:r><w:delText>900123</w:delText></w:r></w:del>"#,
    r#"<w:del w:id="3" w:author="Kim Reviewer"><w:r><w:delText>old</w:delText></w:r></w:del></w:p>"#,
    r#"<w:sdt><w:sdtPr><w:alias w:val="Client"/></w:sdtPr><w:sdtContent><w:p><w:r><w:t>Client: Tom Jones</w:t></w:r></w:p></w:sdtContent></w:sdt>"#,
    r#"<w:p><w:r><w:t xml:space="preserve">See box </w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor><a:graphic><a:graphicData><wps:wsp><wps:txbx>"#,
    r#"<w:txbxContent><w:p><w:r><w:t>Emergency contact:</w:t></w:r></w:p><w:p><w:r><w:t>Mary Jones 07700 900789</w:t></w:r></w:p></w:txbxContent>"#,
    r#"</wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>"#,
    r#"<w:txbxContent><w:p><w:r><w:t>Emergency contact:</w:t></w:r></w:p><w:p><w:r><w:t>Mary Jones 07700 900789</w:t></w:r></w:p></w:txbxContent>"#,
    r#"</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"#,
    // A table with a header row (gridSpan on a data cell).
    r#"<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/></w:tblPr><w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>"#,
    r#"<w:tr><w:tc><w:p><w:r><w:t>Name</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Date of birth</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Address</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Postcode</w:t></w:r></w:p></w:tc></w:tr>"#,
    r#"<w:tr><w:tc><w:p><w:r><w:t>Jane Roberts</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>12/03/</w:t></w:r><w:r><w:t>1985</w:t></w:r></w:p></w:tc>"#,
    r#"<w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>no fixed address</w:t></w:r></w:p></w:tc></w:tr>"#,
    r#"<w:tr><w:tc><w:p><w:r><w:t>Ali Khan</w:t></w:r></w:p></w:tc><w:tc><w:p/></w:tc><w:tc><w:p><w:r><w:t>1 High St</w:t></w:r></w:p><w:p><w:r><w:t>Leeds</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>LS1 4AP</w:t></w:r></w:p></w:tc></w:tr>"#,
    r#"</w:tbl>"#,
    r#"<w:p><w:r><w:t>Date of birth:</w:t></w:r></w:p><w:p><w:r><w:t>14/07/1990</w:t></w:r></w:p>"#,
    // A two-column form table with a nested table in a cell.
    r#"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Name</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Tom Jones</w:t></w:r></w:p></w:tc></w:tr>"#,
    r#"<w:tr><w:tc><w:p><w:r><w:t>Date of birth</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>01/02/2003</w:t></w:r></w:p></w:tc></w:tr>"#,
    r#"<w:tr><w:tc><w:p><w:r><w:t>Contacts</w:t></w:r></w:p></w:tc><w:tc><w:tbl><w:tr><w:tc><w:p><w:r><w:t>Mum</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>07700 900111</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p/></w:tc></w:tr></w:tbl>"#,
    r#"<w:p><w:commentRangeStart w:id="0"/><w:r><w:t>Seen by GP</w:t></w:r><w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r>"#,
    r#"<w:r><w:footnoteReference w:id="1"/></w:r></w:p>"#,
    r#"<w:sectPr><w:headerReference w:type="default" r:id="rId7"/><w:pgSz w:w="11906" w:h="16838"/></w:sectPr>"#,
    r#"</w:body>"#
);

fn full_docx() -> Vec<u8> {
    let document = part("document", BODY);
    let header = part("hdr", r#"<w:p><w:r><w:t>Hope Trust </w:t></w:r><w:r><w:t>confidential</w:t></w:r></w:p>"#);
    let footer = part("ftr", r#"<w:p><w:r><w:t>Case worker: Ann Lee</w:t></w:r></w:p>"#);
    let comments = part(
        "comments",
        r#"<w:comment w:id="0" w:author="Priya Patel" w:date="2024-02-02T10:00:00Z" w:initials="PP"><w:p><w:r><w:annotationRef/></w:r><w:r><w:t>Check with mum on 07700 </w:t></w:r><w:r><w:t>900222</w:t></w:r></w:p></w:comment>"#,
    );
    let footnotes = part(
        "footnotes",
        concat!(
            r#"<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>"#,
            r#"<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>"#,
            r#"<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> NHS 943 476 5919</w:t></w:r></w:p></w:footnote>"#
        ),
    );
    let core = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <dc:title>Referral for J Roberts</dc:title><dc:subject></dc:subject><dc:creator>Ann Lee</dc:creator><cp:keywords></cp:keywords>
  <cp:lastModifiedBy>Bob Smith</cp:lastModifiedBy><cp:revision>3</cp:revision><dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T09:00:00Z</dcterms:created>
</cp:coreProperties>"#;
    let app = r#"<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Template>Normal.dotm</Template><Company>Hope Trust</Company><Manager>Dee Grant</Manager><Pages>1</Pages></Properties>"#;
    let people = r#"<w15:people xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml"><w15:person w15:author="Priya Patel"><w15:presenceInfo w15:providerId="AD" w15:userId="S::priya.patel@hopetrust.org.uk::1234"/></w15:person></w15:people>"#;
    let chart = concat!(
        r#"<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">"#,
        r#"<c:chart><c:title><c:tx><c:rich><a:p><a:r><a:t>Visits by client</a:t></a:r></a:p></c:rich></c:tx></c:title><c:plotArea><c:barChart><c:ser>"#,
        r#"<c:cat><c:strRef><c:strCache><c:pt idx="0"><c:v>Jane Roberts</c:v></c:pt></c:strCache></c:strRef></c:cat>"#,
        r#"<c:val><c:numRef><c:numCache><c:pt idx="0"><c:v>12</c:v></c:pt></c:numCache></c:numRef></c:val></c:ser></c:barChart></c:plotArea></c:chart></c:chartSpace>"#
    );
    package(&[
        ("word/document.xml", document.as_bytes()),
        ("word/header1.xml", header.as_bytes()),
        ("word/footer1.xml", footer.as_bytes()),
        ("word/comments.xml", comments.as_bytes()),
        ("word/footnotes.xml", footnotes.as_bytes()),
        ("word/people.xml", people.as_bytes()),
        ("word/embeddings/Microsoft_Excel_Worksheet.xlsx", b"PK\x03\x04 embedded bytes"),
        ("word/media/image1.png", b"\x89PNG not text"),
        ("word/charts/chart1.xml", chart.as_bytes()),
        ("word/afchunk.mht", b"MIME-Version: 1.0\r\n\r\nimported"),
        ("docProps/core.xml", core.as_bytes()),
        ("docProps/app.xml", app.as_bytes()),
    ])
}

/// Segments at `location`, as (text, context).
fn at(c: &Collect, location: &str) -> Vec<(String, Option<String>)> {
    c.segments.iter().filter(|s| s.0 == location).map(|s| (s.1.clone(), s.2.clone())).collect()
}

fn one(c: &Collect, location: &str) -> (String, Option<String>) {
    let found = at(c, location);
    assert_eq!(found.len(), 1, "{location} in {:#?}", c.segments);
    found.into_iter().next().unwrap()
}

fn owned(text: &str, context: Option<&str>) -> (String, Option<String>) {
    (text.to_string(), context.map(str::to_string))
}

#[test]
fn body_paragraphs_are_joined_runs_one_per_line() {
    let c = run_bytes(&full_docx());
    let body = one(&c, "paragraph 1");
    assert_eq!(
        body.0,
        [
            "Referral form",
            "Contact: Jane Roberts, jane.roberts@example.org",
            "",
            "",
            "Ref:\tAB-12\tSmith & Sons",
            "See the link by Ann Lee on the site",
            "Phone: 07700 900456",
            "Client: Tom Jones",
            "See box ",
            "Date of birth:",
            "14/07/1990",
            "Seen by GP",
        ]
        .join("\n")
    );
    assert_eq!(body.1, None);
    // "14/07/1990" is body paragraph 11: a finding there is located by line.
    let offset = body.0.find("14/07/1990").unwrap();
    assert_eq!(Loc::Lines { prefix: "paragraph", first: 1 }.at(&body.0, offset), "paragraph 11");
    assert!(!c.all_text().contains("HYPERLINK"), "field codes are skipped");
    assert!(!c.all_text().contains("Wingdings"));
}

#[test]
fn tracked_changes_keep_deleted_text_and_authors() {
    let c = run_bytes(&full_docx());
    assert_eq!(one(&c, "deleted text in paragraph 7"), owned("07700 900123\told", None));
    assert_eq!(
        at(&c, "tracked change author"),
        vec![owned("Sam Editor", Some("Author")), owned("Kim Reviewer", Some("Author"))]
    );
}

#[test]
fn text_box_is_read_once_at_its_paragraph() {
    let c = run_bytes(&full_docx());
    assert_eq!(one(&c, "text box in paragraph 9"), owned("Emergency contact:\nMary Jones 07700 900789", None));
    assert_eq!(c.all_text().matches("Mary Jones").count(), 1, "VML fallback copy skipped");
}

#[test]
fn table_cells_carry_headers_and_form_labels() {
    let c = run_bytes(&full_docx());
    assert_eq!(one(&c, "table 1 row 1 cell 2"), owned("Date of birth", None));
    assert_eq!(one(&c, "table 1 row 2 cell 1"), owned("Jane Roberts", Some("Name")));
    assert_eq!(one(&c, "table 1 row 2 cell 2"), owned("12/03/1985", Some("Date of birth")));
    assert_eq!(one(&c, "table 1 row 2 cell 3"), owned("no fixed address", Some("Address")));
    assert!(at(&c, "table 1 row 3 cell 2").is_empty(), "empty cells are not emitted");
    assert_eq!(one(&c, "table 1 row 3 cell 3"), owned("1 High St\nLeeds", Some("Address")));
    assert_eq!(one(&c, "table 1 row 3 cell 4"), owned("LS1 4AP", Some("Postcode")));
    // Form table: the label on the left is the context.
    assert_eq!(one(&c, "table 2 row 1 cell 2"), owned("Tom Jones", Some("Name")));
    assert_eq!(one(&c, "table 2 row 2 cell 2"), owned("01/02/2003", Some("Date of birth")));
    assert_eq!(one(&c, "table 2 row 2 cell 1"), owned("Date of birth", None));
    // A nested table is folded into the outer cell.
    assert_eq!(one(&c, "table 2 row 3 cell 2"), owned("Mum\n07700 900111", Some("Contacts")));
}

#[test]
fn headers_footers_comments_notes_and_metadata() {
    let c = run_bytes(&full_docx());
    assert_eq!(one(&c, "header 1"), owned("Hope Trust confidential", None));
    assert_eq!(one(&c, "footer 1"), owned("Case worker: Ann Lee", None));
    assert_eq!(
        at(&c, "comment 1"),
        vec![owned("Check with mum on 07700 900222", None), owned("Priya Patel", Some("Author"))]
    );
    assert_eq!(one(&c, "footnote 1"), owned("NHS 943 476 5919", None));
    assert!(at(&c, "footnote 2").is_empty(), "separators are not notes");
    assert_eq!(one(&c, "metadata creator"), owned("Ann Lee", Some("Author")));
    assert_eq!(one(&c, "metadata lastModifiedBy"), owned("Bob Smith", Some("Author")));
    assert_eq!(one(&c, "metadata title"), owned("Referral for J Roberts", Some("Document title")));
    assert!(at(&c, "metadata subject").is_empty(), "empty properties are not emitted");
    assert_eq!(one(&c, "metadata company"), owned("Hope Trust", Some("Company")));
    assert_eq!(one(&c, "metadata manager"), owned("Dee Grant", Some("Manager")));
    assert_eq!(
        at(&c, "metadata people"),
        vec![owned("Priya Patel", Some("Author")), owned("S::priya.patel@hopetrust.org.uk::1234", None)]
    );
    assert!(!c.all_text().contains("Normal.dotm"));
    assert_eq!(one(&c, "chart 1"), owned("Visits by client\nJane Roberts", None));
}

#[test]
fn embedded_files_become_parts() {
    let c = run_bytes(&full_docx());
    let names: Vec<&str> = c.parts.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(names, ["word/embeddings/Microsoft_Excel_Worksheet.xlsx", "word/afchunk.mht"]);
    assert_eq!(c.parts[0].1, b"PK\x03\x04 embedded bytes");
}

#[test]
fn extract_dispatches_docx_by_content() {
    let mut c = Collect::default();
    let kind =
        crate::formats::extract("Referral.docx", &Input::Bytes(&full_docx()), &mut c, &Limits::default()).unwrap();
    assert_eq!(kind, crate::formats::Kind::Docx);
    assert!(c.all_text().contains("jane.roberts@example.org"));
}

#[test]
fn large_bodies_are_split_with_continuing_numbers() {
    let paras: String =
        (1..=3000).map(|i| format!("<w:p><w:r><w:t>Paragraph {i} {}</w:t></w:r></w:p>", "x".repeat(40))).collect();
    let doc = part("document", &format!("<w:body>{paras}</w:body>"));
    let c = run_bytes(&package(&[("word/document.xml", doc.as_bytes())]));
    assert!(c.segments.len() > 1);
    let mut expected = 1u64;
    for (location, text, _) in &c.segments {
        assert!(text.len() <= flow::BLOCK_BYTES + 100);
        assert_eq!(location, &format!("paragraph {expected}"));
        assert!(text.starts_with(&format!("Paragraph {expected} ")));
        expected += text.lines().count() as u64;
    }
    assert_eq!(expected, 3001);
}

#[test]
fn damaged_packages_are_errors_not_panics() {
    let full = full_docx();
    for cut in [10, full.len() / 3, full.len() / 2, full.len() - 30] {
        let err = extract(&Input::Bytes(&full[..cut]), &mut Collect::default(), &Limits::default()).unwrap_err();
        assert!(matches!(err, ExtractError::Corrupt { kind: "docx", .. }), "cut at {cut}: {err}");
    }
    let no_doc = package(&[("word/styles.xml", b"<w:styles/>")]);
    let err = extract(&Input::Bytes(&no_doc), &mut Collect::default(), &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("no word/document.xml"), "{err}");
}

#[test]
fn damaged_xml_keeps_text_before_the_damage() {
    let doc =
        part("document", "<w:body><w:p><w:r><w:t>Jane Roberts</w:t></w:r></w:p><w:p><w:r><w:t>broken</w:x></w:body>");
    let mut c = Collect::default();
    let err = extract(&Input::Bytes(&package(&[("word/document.xml", doc.as_bytes())])), &mut c, &Limits::default())
        .unwrap_err();
    assert!(matches!(err, ExtractError::Corrupt { .. }), "{err}");
    assert!(c.all_text().starts_with("Jane Roberts"), "{:?}", c.segments);
}

#[test]
fn deep_nesting_is_flattened_not_a_crash() {
    let depth = 20_000;
    let open = "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>x</w:t></w:r></w:p>".repeat(depth);
    let close = "</w:tc></w:tr></w:tbl>".repeat(depth);
    let doc = part("document", &format!("<w:body>{open}{close}<w:p><w:r><w:t>Jane Roberts</w:t></w:r></w:p></w:body>"));
    let mut c = Collect::default();
    extract(&Input::Bytes(&package(&[("word/document.xml", doc.as_bytes())])), &mut c, &Limits::default()).unwrap();
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.segments.iter().any(|s| s.0 == "paragraph 1" && s.1 == "Jane Roberts"));
}

#[test]
fn zip_bombs_hit_the_limit() {
    let doc = part("document", &format!("<w:body><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:body>", "a".repeat(2 << 20)));
    let bytes = package(&[("word/document.xml", doc.as_bytes())]);
    let limits = Limits { max_in_memory: 1 << 20, ..Limits::default() };
    let err = extract(&Input::Bytes(&bytes), &mut Collect::default(), &limits).unwrap_err();
    assert!(matches!(err, ExtractError::Limit(_)), "{err}");
}
