//! PowerPoint presentations written as hand-made PresentationML, as
//! PowerPoint lays them out: slide parts whose file numbers are not the
//! presentation's order (slides moved after they were made), speaker notes,
//! a table, a group of shapes, old-style comments with their authors, and
//! the author in docProps/core.xml. [`package`] builds one from plain text
//! (tests use it too); [`write_all`] plants labelled data in training-day
//! decks.

use std::io;

use super::docx::esc;
use super::people::Person;
use super::values::{fmt_phone, fmt_postcode};
use super::{Cat, Ctx, Line};

const A: &str = "http://schemas.openxmlformats.org/drawingml/2006/main";
const P: &str = "http://schemas.openxmlformats.org/presentationml/2006/main";
const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// A paragraph's runs are split at this character (as PowerPoint splits
/// runs after edits); it never appears in the text.
pub const RUN_BREAK: char = '\u{1f}';

/// One slide, its text as plain paragraphs (runs split at [`RUN_BREAK`]).
#[derive(Debug, Clone, Default)]
pub struct Slide {
    /// The number in the slide part's file name (`ppt/slides/slideN.xml`).
    pub file_no: u32,
    pub title: String,
    /// Paragraphs of the body placeholder.
    pub body: Vec<String>,
    /// Paragraphs of shapes inside a group (one shape each).
    pub group: Vec<String>,
    /// A table: rows of cells.
    pub table: Vec<Vec<String>>,
    /// Speaker notes paragraphs.
    pub notes: Vec<String>,
    /// Comments: (author index in the deck's authors, text).
    pub comments: Vec<(usize, String)>,
}

fn runs(text: &str) -> String {
    text.split(RUN_BREAK)
        .filter(|r| !r.is_empty())
        .map(|r| format!("<a:r><a:rPr lang=\"en-GB\" dirty=\"0\"/><a:t>{}</a:t></a:r>", esc(r)))
        .collect()
}

fn paragraphs(paras: &[String]) -> String {
    let mut s: String = paras.iter().map(|p| format!("<a:p>{}</a:p>", runs(p))).collect();
    if s.is_empty() {
        s.push_str("<a:p><a:endParaRPr lang=\"en-GB\"/></a:p>");
    }
    s
}

fn shape(id: u32, name: &str, placeholder: &str, paras: &[String]) -> String {
    format!(
        "<p:sp><p:nvSpPr><p:cNvPr id=\"{id}\" name=\"{name}\"/><p:cNvSpPr/><p:nvPr>{placeholder}</p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/>{}</p:txBody></p:sp>",
        paragraphs(paras)
    )
}

fn slide_xml(s: &Slide) -> String {
    let mut tree = shape(2, "Title 1", "<p:ph type=\"title\"/>", std::slice::from_ref(&s.title));
    if !s.body.is_empty() {
        tree.push_str(&shape(3, "Content Placeholder 2", "<p:ph idx=\"1\"/>", &s.body));
    }
    if !s.group.is_empty() {
        tree.push_str("<p:grpSp><p:nvGrpSpPr><p:cNvPr id=\"10\" name=\"Group 9\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>");
        for (i, g) in s.group.iter().enumerate() {
            tree.push_str(&shape(11 + i as u32, "TextBox", "", std::slice::from_ref(g)));
        }
        tree.push_str("</p:grpSp>");
    }
    if !s.table.is_empty() {
        tree.push_str("<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id=\"4\" name=\"Table 3\"/><p:cNvGraphicFramePr><a:graphicFrameLocks noGrp=\"1\"/></p:cNvGraphicFramePr><p:nvPr/></p:nvGraphicFramePr><p:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"0\" cy=\"0\"/></p:xfrm><a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/table\"><a:tbl><a:tblPr firstRow=\"1\"/><a:tblGrid>");
        for _ in &s.table[0] {
            tree.push_str("<a:gridCol w=\"2000000\"/>");
        }
        tree.push_str("</a:tblGrid>");
        for row in &s.table {
            tree.push_str("<a:tr h=\"370840\">");
            for cell in row {
                tree.push_str(&format!(
                    "<a:tc><a:txBody><a:bodyPr/><a:lstStyle/>{}</a:txBody><a:tcPr/></a:tc>",
                    paragraphs(std::slice::from_ref(cell))
                ));
            }
            tree.push_str("</a:tr>");
        }
        tree.push_str("</a:tbl></a:graphicData></a:graphic></p:graphicFrame>");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<p:sld xmlns:a=\"{A}\" xmlns:r=\"{R}\" xmlns:p=\"{P}\"><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>{tree}</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>"
    )
}

fn notes_xml(s: &Slide, number: usize) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<p:notes xmlns:a=\"{A}\" xmlns:r=\"{R}\" xmlns:p=\"{P}\"><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/><p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"Slide Image Placeholder 1\"/><p:cNvSpPr/><p:nvPr><p:ph type=\"sldImg\"/></p:nvPr></p:nvSpPr><p:spPr/></p:sp>{}<p:sp><p:nvSpPr><p:cNvPr id=\"4\" name=\"Slide Number Placeholder 3\"/><p:cNvSpPr/><p:nvPr><p:ph type=\"sldNum\" idx=\"5\"/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:fld id=\"{{B5A3A1F0-0000-4000-8000-000000000001}}\" type=\"slidenum\"><a:rPr lang=\"en-GB\"/><a:t>{number}</a:t></a:fld><a:endParaRPr lang=\"en-GB\"/></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:notes>",
        shape(3, "Notes Placeholder 2", "<p:ph type=\"body\" idx=\"1\"/>", &s.notes)
    )
}

fn comments_xml(s: &Slide) -> String {
    let list: String = s
        .comments
        .iter()
        .enumerate()
        .map(|(i, (author, text))| {
            format!(
                "<p:cm authorId=\"{author}\" dt=\"2024-03-01T09:00:00.000\" idx=\"{}\"><p:pos x=\"10\" y=\"10\"/><p:text>{}</p:text></p:cm>",
                i + 1,
                esc(text)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<p:cmLst xmlns:a=\"{A}\" xmlns:r=\"{R}\" xmlns:p=\"{P}\">{list}</p:cmLst>"
    )
}

/// A complete pptx: `slides` in presentation order, each written to the
/// part its `file_no` names; `authors` are the comment authors.
pub fn package(slides: &[Slide], authors: &[&str], creator: &str) -> io::Result<Vec<u8>> {
    let mut types = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/ppt/presentation.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml\"/><Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/><Override PartName=\"/ppt/commentAuthors.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.commentAuthors+xml\"/>",
    );
    let mut ids = String::new();
    let mut pres_rels = String::new();
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, s) in slides.iter().enumerate() {
        let n = s.file_no;
        types.push_str(&format!("<Override PartName=\"/ppt/slides/slide{n}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.slide+xml\"/><Override PartName=\"/ppt/notesSlides/notesSlide{n}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.notesSlide+xml\"/>"));
        ids.push_str(&format!("<p:sldId id=\"{}\" r:id=\"rId{}\"/>", 256 + i, 10 + i));
        pres_rels.push_str(&format!(
            "<Relationship Id=\"rId{}\" Type=\"{REL}/slide\" Target=\"slides/slide{n}.xml\"/>",
            10 + i
        ));
        let mut rels = format!(
            "<Relationship Id=\"rId2\" Type=\"{REL}/notesSlide\" Target=\"../notesSlides/notesSlide{n}.xml\"/>"
        );
        if !s.comments.is_empty() {
            types.push_str(&format!("<Override PartName=\"/ppt/comments/comment{n}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.presentationml.comments+xml\"/>"));
            rels.push_str(&format!(
                "<Relationship Id=\"rId3\" Type=\"{REL}/comments\" Target=\"../comments/comment{n}.xml\"/>"
            ));
            parts.push((format!("ppt/comments/comment{n}.xml"), comments_xml(s).into_bytes()));
        }
        parts.push((format!("ppt/slides/slide{n}.xml"), slide_xml(s).into_bytes()));
        parts.push((format!("ppt/slides/_rels/slide{n}.xml.rels"), relationships(&rels).into_bytes()));
        parts.push((format!("ppt/notesSlides/notesSlide{n}.xml"), notes_xml(s, i + 1).into_bytes()));
        parts.push((
            format!("ppt/notesSlides/_rels/notesSlide{n}.xml.rels"),
            relationships(&format!(
                "<Relationship Id=\"rId2\" Type=\"{REL}/slide\" Target=\"../slides/slide{n}.xml\"/>"
            ))
            .into_bytes(),
        ));
    }
    types.push_str("</Types>");
    pres_rels
        .push_str(&format!("<Relationship Id=\"rId2\" Type=\"{REL}/commentAuthors\" Target=\"commentAuthors.xml\"/>"));
    let presentation = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<p:presentation xmlns:a=\"{A}\" xmlns:r=\"{R}\" xmlns:p=\"{P}\" saveSubsetFonts=\"1\"><p:sldIdLst>{ids}</p:sldIdLst><p:sldSz cx=\"12192000\" cy=\"6858000\"/><p:notesSz cx=\"6858000\" cy=\"9144000\"/></p:presentation>"
    );
    let authors_xml: String = authors
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let initials: String = a.split_whitespace().filter_map(|w| w.chars().next()).collect();
            format!(
                "<p:cmAuthor id=\"{i}\" name=\"{}\" initials=\"{}\" lastIdx=\"1\" clrIdx=\"{i}\"/>",
                esc(a),
                esc(&initials)
            )
        })
        .collect();
    let core = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>Training day</dc:title><dc:creator>{}</dc:creator><dcterms:created xsi:type=\"dcterms:W3CDTF\">2024-02-01T09:00:00Z</dcterms:created></cp:coreProperties>",
        esc(creator)
    );
    let mut entries: Vec<(String, Vec<u8>)> = vec![
        ("[Content_Types].xml".into(), types.into_bytes()),
        (
            "_rels/.rels".into(),
            relationships(&format!("<Relationship Id=\"rId1\" Type=\"{REL}/officeDocument\" Target=\"ppt/presentation.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>")).into_bytes(),
        ),
        ("ppt/presentation.xml".into(), presentation.into_bytes()),
        ("ppt/_rels/presentation.xml.rels".into(), relationships(&pres_rels).into_bytes()),
    ];
    // Parts in file-number order, as PowerPoint writes them.
    parts.sort_by(|a, b| a.0.cmp(&b.0));
    entries.extend(parts);
    entries.push((
        "ppt/commentAuthors.xml".into(),
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<p:cmAuthorLst xmlns:a=\"{A}\" xmlns:r=\"{R}\" xmlns:p=\"{P}\">{authors_xml}</p:cmAuthorLst>").into_bytes(),
    ));
    entries.push(("docProps/core.xml".into(), core.into_bytes()));
    super::zip::pack(&entries)
}

fn relationships(inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">{inner}</Relationships>"
    )
}

/// A line's text with a run break inside its first name, as after an edit.
fn split_text(line: &Line) -> String {
    let mut text = line.text.clone();
    if let Some((_, v)) = line.items.iter().find(|(c, v)| *c == Cat::Name && v.len() > 3)
        && let Some(at) = text.find(v.as_str())
    {
        let cut = at + v.char_indices().nth(2).map_or(0, |(i, _)| i);
        text.insert(cut, RUN_BREAK);
    }
    text
}

/// A volunteer training deck: who is on the course (slide 2 by order, the
/// file `slide3.xml`), a contacts table, notes about a client, a comment.
fn training_deck(ctx: &mut Ctx, path: &str, lead: &Person, vols: &[Person], client: &Person) -> io::Result<Vec<u8>> {
    let welcome = Line::new().t("Welcome from ").v(Cat::Name, lead.full()).t(", volunteer coordinator");
    let who: Vec<Line> = vols
        .iter()
        .map(|v| {
            Line::new()
                .t("Volunteer: ")
                .v(Cat::Name, v.full())
                .t(", mobile ")
                .v(Cat::Phone, fmt_phone(&v.mobile, &mut ctx.rng))
        })
        .collect();
    let table: Vec<Vec<Line>> = std::iter::once(vec![Line::new().t("Name"), Line::new().t("Email")])
        .chain(vols.iter().map(|v| vec![Line::new().v(Cat::Name, v.full()), Line::new().v(Cat::Email, &v.email)]))
        .collect();
    let notes = vec![
        Line::new()
            .t(format!("Case study: {} ", client.title))
            .v(Cat::Name, client.full())
            .t(", date of birth ")
            .v(Cat::Dob, client.dob.fmt_any(&mut ctx.rng)),
        Line::new()
            .t("Lives near ")
            .v(Cat::Postcode, fmt_postcode(&client.postcode, &mut ctx.rng))
            .t(": mention it gently."),
    ];
    let group =
        vec![Line::new().t("Safeguarding lead: ").v(Cat::Name, lead.full()), Line::new().t("Ask before sharing")];
    let comment = Line::new().t("Check with ").v(Cat::Email, &lead.email).t(" before the day");

    // Presentation order: slide 1 is file 1, slide 2 is file 3, slide 3 is file 2.
    ctx.label_lines(path, std::slice::from_ref(&welcome), |_| "slide 1".into());
    ctx.label_lines(path, &who, |_| "slide 2".into());
    ctx.label_lines(path, &group, |_| "slide 2".into());
    ctx.label_lines(path, &notes, |_| "slide 2 notes".into());
    for row in &table {
        ctx.label_lines(path, row, |_| "slide 3".into());
    }
    ctx.label_lines(path, std::slice::from_ref(&comment), |_| "slide 3 comment".into());
    ctx.label(path, Cat::Name, &lead.full(), "metadata creator");

    let slides = [
        Slide {
            file_no: 1,
            title: "Volunteer induction".into(),
            body: vec![split_text(&welcome)],
            ..Default::default()
        },
        Slide {
            file_no: 3,
            title: "Who is on the course".into(),
            body: who.iter().map(split_text).collect(),
            group: group.iter().map(split_text).collect(),
            notes: notes.iter().map(split_text).collect(),
            ..Default::default()
        },
        Slide {
            file_no: 2,
            title: "Contacts".into(),
            table: table.iter().map(|r| r.iter().map(split_text).collect()).collect(),
            comments: vec![(0, comment.text.clone())],
            ..Default::default()
        },
    ];
    package(&slides, &["Training Team"], &lead.full())
}

/// Training decks, one per scale step.
pub fn write_all(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
    for i in 0..ctx.scale {
        let lead = ctx.pool.staff[i % ctx.pool.staff.len()].clone();
        let n = ctx.pool.volunteers.len();
        let vols: Vec<Person> = (0..3).map(|k| ctx.pool.volunteers[(i * 3 + k + 5) % n].clone()).collect();
        let client = ctx.pool.clients[(i * 7 + 2) % ctx.pool.clients.len()].clone();
        let path = format!("Training/volunteer-induction-{}.pptx", i + 1);
        let bytes = training_deck(ctx, &path, &lead, &vols, &client)?;
        files.push((path, bytes));
    }
    Ok(())
}

/// An old PowerPoint 97-2003 deck (`Training/safeguarding-2015.ppt`): a
/// title slide naming its presenter, then a case study slide with a client's
/// details; located `slide N`.
pub fn write_ppt(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) {
    let path = "Training/safeguarding-2015.ppt";
    let lead = ctx.pool.staff[5 % ctx.pool.staff.len()].clone();
    let client = ctx.pool.clients[13 % ctx.pool.clients.len()].clone();
    let rng = &mut ctx.rng;
    let slides = [
        vec![Line::new().t("Safeguarding refresher"), Line::new().t("Presented by ").v(Cat::Name, lead.full())],
        vec![
            Line::new().t("Case study"),
            Line::new().t("Client: ").v(Cat::Name, client.full()),
            Line::new().t("Mobile: ").v(Cat::Phone, fmt_phone(&client.mobile, rng)),
            Line::new().t("Postcode: ").v(Cat::Postcode, fmt_postcode(&client.postcode, rng)),
        ],
    ];
    for (i, lines) in slides.iter().enumerate() {
        ctx.label_lines(path, lines, |_| format!("slide {}", i + 1));
    }
    let text: Vec<Vec<String>> = slides.iter().map(|s| s.iter().map(|l| l.text.clone()).collect()).collect();
    files.push((path.into(), crate::ppt97::deck(&text)));
}
