//! Word documents written as hand-made WordprocessingML: offer letters (body
//! paragraphs), application forms and referral forms (label | value tables).
//! Some runs are split in the middle of a name or an email, as Word does
//! after edits, and docProps/core.xml names the author.

use std::io;

use super::people::Person;
use super::rng::Rng;
use super::txt::event_date;
use super::values::{self, negative};
use super::{Cat, Ctx, Line};

/// A body block: a paragraph, or a table of single-paragraph cells.
pub enum Block {
    Para(Line),
    Table(Vec<Vec<Line>>),
}

const W_NS: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

/// Escapes text for XML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Byte offsets where runs break: inside some names and emails, at some item edges.
fn split_points(line: &Line, rng: &mut Rng) -> Vec<usize> {
    let mut points = Vec::new();
    let mut cursor = 0;
    for (cat, v) in &line.items {
        let Some(found) = line.text[cursor..].find(v.as_str()) else {
            continue;
        };
        let start = cursor + found;
        cursor = start + v.len();
        let chars: Vec<usize> = v.char_indices().map(|(i, _)| i).skip(1).collect();
        if matches!(cat, Cat::Name | Cat::Email) && !chars.is_empty() && rng.chance(45) {
            points.push(start + chars[rng.below(chars.len())]);
        }
        if rng.chance(25) {
            points.push(start);
        }
    }
    points.retain(|&p| p > 0 && p < line.text.len());
    points.sort_unstable();
    points.dedup();
    points
}

/// One `w:p` with its text cut into runs at `split_points`.
fn paragraph_xml(line: &Line, rng: &mut Rng) -> String {
    let mut xml = String::from("<w:p>");
    let mut prev = 0;
    let mut points = split_points(line, rng);
    points.push(line.text.len());
    for p in points {
        let piece = &line.text[prev..p];
        prev = p;
        if piece.is_empty() {
            continue;
        }
        let rpr = match rng.below(4) {
            0 => "<w:rPr><w:b/></w:rPr>",
            1 => "<w:rPr><w:rFonts w:ascii=\"Arial\" w:hAnsi=\"Arial\"/></w:rPr>",
            _ => "",
        };
        xml.push_str(&format!("<w:r>{rpr}<w:t xml:space=\"preserve\">{}</w:t></w:r>", esc(piece)));
    }
    xml.push_str("</w:p>");
    xml
}

/// Label the blocks' items where the reader locates them: `paragraph N`
/// (tables take no paragraph numbers) and `table T row R cell C`.
fn label_blocks(ctx: &mut Ctx, path: &str, blocks: &[Block]) {
    let (mut para_no, mut table_no) = (0, 0);
    for b in blocks {
        match b {
            Block::Para(line) => {
                para_no += 1;
                ctx.label_lines(path, std::slice::from_ref(line), |_| format!("paragraph {para_no}"));
            }
            Block::Table(rows) => {
                table_no += 1;
                for (r, row) in rows.iter().enumerate() {
                    for (c, cell) in row.iter().enumerate() {
                        let loc = format!("table {table_no} row {} cell {}", r + 1, c + 1);
                        ctx.label_lines(path, std::slice::from_ref(cell), |_| loc.clone());
                    }
                }
            }
        }
    }
}

/// The document, labelled by [`label_blocks`].
fn document_xml(ctx: &mut Ctx, path: &str, blocks: &[Block]) -> String {
    label_blocks(ctx, path, blocks);
    let mut body = String::new();
    for b in blocks {
        match b {
            Block::Para(line) => body.push_str(&paragraph_xml(line, &mut ctx.rng)),
            Block::Table(rows) => {
                body.push_str("<w:tbl><w:tblPr><w:tblW w:w=\"0\" w:type=\"auto\"/></w:tblPr>");
                for row in rows {
                    body.push_str("<w:tr>");
                    for cell in row {
                        body.push_str(&format!("<w:tc>{}</w:tc>", paragraph_xml(cell, &mut ctx.rng)));
                    }
                    body.push_str("</w:tr>");
                }
                body.push_str("</w:tbl>");
            }
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"{W_NS}\"><w:body>{body}<w:sectPr/></w:body></w:document>"
    )
}

/// A complete docx: labels its content and the creator in core.xml.
pub fn build(ctx: &mut Ctx, path: &str, title: &str, creator: &str, blocks: &[Block]) -> io::Result<Vec<u8>> {
    let document = document_xml(ctx, path, blocks);
    ctx.label(path, Cat::Name, creator, "metadata creator");
    let types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>"#;
    let core = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{}</dc:title><dc:creator>{}</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">2024-02-01T09:00:00Z</dcterms:created></cp:coreProperties>"#,
        esc(title),
        esc(creator)
    );
    super::zip::pack(&[
        ("[Content_Types].xml".into(), types.as_bytes().to_vec()),
        ("_rels/.rels".into(), rels.as_bytes().to_vec()),
        ("word/document.xml".into(), document.into_bytes()),
        ("docProps/core.xml".into(), core.into_bytes()),
    ])
}

/// The same document as a Word 97-2003 `.doc` (no run splits: a .doc's
/// text is one stream), labelled as the docx is, the author in its
/// SummaryInformation.
pub fn build_doc(ctx: &mut Ctx, path: &str, creator: &str, blocks: &[Block]) -> Vec<u8> {
    label_blocks(ctx, path, blocks);
    let mut body = String::new();
    for b in blocks {
        match b {
            Block::Para(line) => {
                body.push_str(&line.text);
                body.push('\r');
            }
            Block::Table(rows) => {
                for row in rows {
                    for cell in row {
                        body.push_str(&cell.text);
                        body.push('\u{7}');
                    }
                    body.push('\u{7}');
                }
            }
        }
    }
    ctx.label(path, Cat::Name, creator, "metadata creator");
    let two_pieces = ctx.rng.chance(50);
    crate::word97::word97(&crate::word97::Word97 { body: &body, two_pieces, author: creator, ..Default::default() })
}

/// Older letters and forms kept as Word 97-2003 `.doc` files in the archive.
pub fn write_doc(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) {
    for i in 0..2 * ctx.scale {
        let c = ctx.pool.clients[(i * 7 + 1) % ctx.pool.clients.len()].clone();
        let s = ctx.pool.staff[(i + 2) % ctx.pool.staff.len()].clone();
        let charity = ctx.pool.charity.clone();
        let blocks = appointment_letter(&c, &s, &charity, &mut ctx.rng);
        let path = format!("Archive/2009/appointment-{}.doc", slug(&c));
        let bytes = build_doc(ctx, &path, &s.full(), &blocks);
        files.push((path, bytes));

        let v = ctx.pool.volunteers[(i * 3 + 5) % ctx.pool.volunteers.len()].clone();
        let blocks = application_form(&v, &mut ctx.rng);
        let path = format!("Archive/2009/application-form-{}.doc", slug(&v));
        let bytes = build_doc(ctx, &path, &s.full(), &blocks);
        files.push((path, bytes));
    }
}

fn para(s: impl AsRef<str>) -> Block {
    Block::Para(Line::new().t(s))
}

/// An offer letter to volunteer/staff member `p`, signed by `s`.
fn offer_letter(p: &Person, s: &Person, charity: &super::people::Charity, rng: &mut Rng) -> Vec<Block> {
    vec![
        para(format!("{} - Registered charity no. {} - Tel {}", charity.name, charity.number, charity.phone)),
        para(""),
        para(event_date(rng)),
        Block::Para(Line::new().t(format!("{} ", p.title)).v(Cat::Name, p.full())),
        Block::Para(Line::new().v(Cat::Address, p.street_line())),
        para(p.town),
        Block::Para(Line::new().v(Cat::Postcode, values::fmt_postcode(&p.postcode, rng))),
        para(""),
        Block::Para(Line::new().t("Dear ").v(Cat::Name, &p.first).t(",")),
        para(format!(
            "Offer of employment: {}",
            rng.pick(&["Family Support Worker", "Link Worker", "Youth Worker", "Administrator"])
        )),
        para(format!(
            "I am delighted to offer you this post at a salary of {} per annum, starting on {}. Your reference number is {}.",
            negative::amount(rng),
            event_date(rng),
            negative::reference(rng)
        )),
        Block::Para(
            Line::new()
                .t("Please confirm your bank details (sort code ")
                .v(Cat::SortCode, &p.sort_code)
                .t(", account number ")
                .v(Cat::BankAccount, &p.account)
                .t(") are correct for payroll, and return the signed copy to admin@")
                .t(charity.domain)
                .t("."),
        ),
        para("Yours sincerely,"),
        para(""),
        Block::Para(Line::new().v(Cat::Name, s.full())),
        para(s.job),
    ]
}

/// An appointment letter to client `c` from worker `s`: "Dear Mrs Roberts,".
fn appointment_letter(c: &Person, s: &Person, charity: &super::people::Charity, rng: &mut Rng) -> Vec<Block> {
    let greeting = if rng.chance(50) {
        Line::new().t(format!("Dear {} ", c.title)).v(Cat::Name, &c.surname).t(",")
    } else {
        Line::new().t("Dear ").v(Cat::Name, &c.first).t(",")
    };
    vec![
        para(format!("{} - Registered charity no. {}", charity.name, charity.number)),
        para(format!("Our ref: {}", negative::reference(rng))),
        para(event_date(rng)),
        Block::Para(Line::new().t(format!("{} ", c.title)).v(Cat::Name, c.full())),
        Block::Para(Line::new().v(Cat::Address, c.street_line())),
        Block::Para(Line::new().t(format!("{} ", c.town)).v(Cat::Postcode, values::fmt_postcode(&c.postcode, rng))),
        para(""),
        Block::Para(greeting),
        para(format!(
            "I am writing to confirm your appointment on {} at {} at our {} office. Please bring a letter from the DWP if you have one.",
            event_date(rng),
            negative::time(rng),
            charity.town
        )),
        Block::Para(
            Line::new()
                .t("If you cannot attend, please ring me on ")
                .t(charity.phone)
                .t(" or email ")
                .v(Cat::Email, &s.email)
                .t("."),
        ),
        para("Yours sincerely,"),
        Block::Para(Line::new().v(Cat::Name, s.full())),
        para(s.job),
    ]
}

/// A two-column label | value table, as in a typical application form.
fn form_table(rows: Vec<(&str, Line)>) -> Block {
    Block::Table(rows.into_iter().map(|(k, v)| vec![Line::new().t(k), v]).collect())
}

fn application_form(p: &Person, rng: &mut Rng) -> Vec<Block> {
    vec![
        para("Volunteer application form"),
        para("Please complete all sections. Information is held in line with our Data Protection Policy."),
        form_table(vec![
            ("Full name", Line::new().v(Cat::Name, p.full())),
            ("Date of birth", Line::new().v(Cat::Dob, p.dob.fmt_any(rng))),
            ("National Insurance number", Line::new().v(Cat::Nino, values::fmt_nino(&p.nino, rng))),
            ("Address", Line::new().v(Cat::Address, p.street_line())),
            ("Town", Line::new().t(p.town)),
            ("Postcode", Line::new().v(Cat::Postcode, values::fmt_postcode(&p.postcode, rng))),
            ("Telephone", Line::new().v(Cat::Phone, values::fmt_phone(&p.mobile, rng))),
            ("Email", Line::new().v(Cat::Email, &p.email)),
            ("Bank sort code", Line::new().v(Cat::SortCode, &p.sort_code)),
            ("Account number", Line::new().v(Cat::BankAccount, &p.account)),
        ]),
        para(""),
        Block::Para(
            Line::new()
                .t("Emergency contact: ")
                .v(Cat::Name, p.kin.full())
                .t(format!(" ({}), ", p.kin.relation))
                .v(Cat::Phone, values::fmt_phone(&p.kin.phone, rng)),
        ),
        para(format!("Date received: {}", event_date(rng))),
    ]
}

/// A GP/school referral form about client `c`, used as a mail attachment.
pub fn referral_form(c: &Person, r: &Person, rng: &mut Rng) -> Vec<Block> {
    let mut rows = vec![
        ("Client name", Line::new().v(Cat::Name, c.full())),
        ("Date of birth", Line::new().v(Cat::Dob, c.dob.fmt_any(rng))),
        ("NHS number", Line::new().v(Cat::NhsNumber, values::fmt_nhs(&c.nhs, rng))),
        ("Address line 1", Line::new().v(Cat::Address, c.street_line())),
        ("Postcode", Line::new().v(Cat::Postcode, values::fmt_postcode(&c.postcode, rng))),
        ("Phone", Line::new().v(Cat::Phone, values::fmt_phone(&c.mobile, rng))),
    ];
    if let Some(card) = &c.card {
        rows.push(("Card for hardship payment", Line::new().v(Cat::BankCard, card)));
    }
    rows.push(("Referrer", Line::new().t(format!("{} ", r.title)).v(Cat::Name, r.full()).t(format!(", {}", r.org))));
    vec![
        para("Referral form"),
        form_table(rows),
        para(format!("Reason for referral: carer stress; referral ref {}.", negative::reference(rng))),
    ]
}

/// A short file-name tag for a person: "priya-sharma".
pub fn slug(p: &Person) -> String {
    format!("{}-{}", values::fold(&p.first), values::fold(&p.surname))
}

pub fn write_all(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
    for i in 0..3 * ctx.scale {
        let v = ctx.pool.volunteers[i % ctx.pool.volunteers.len()].clone();
        let s = ctx.pool.staff[ctx.rng.below(ctx.pool.staff.len())].clone();
        let charity = ctx.pool.charity.clone();
        let blocks = offer_letter(&v, &s, &charity, &mut ctx.rng);
        let path = format!("HR/offer-letter-{}.docx", slug(&v));
        let bytes = build(ctx, &path, "Offer letter", &s.full(), &blocks)?;
        files.push((path, bytes));

        let v = ctx.pool.volunteers[(i + 3) % ctx.pool.volunteers.len()].clone();
        let blocks = application_form(&v, &mut ctx.rng);
        let path = format!("HR/application-form-{}.docx", slug(&v));
        let bytes = build(ctx, &path, "Application form", &s.full(), &blocks)?;
        files.push((path, bytes));
    }
    for i in 0..3 * ctx.scale {
        let c = ctx.pool.clients[(i * 5 + 3) % ctx.pool.clients.len()].clone();
        let s = ctx.pool.staff[i % ctx.pool.staff.len()].clone();
        let charity = ctx.pool.charity.clone();
        let blocks = appointment_letter(&c, &s, &charity, &mut ctx.rng);
        let path = format!("Clients/letters/appointment-{}.docx", slug(&c));
        let bytes = build(ctx, &path, "Appointment letter", &s.full(), &blocks)?;
        files.push((path, bytes));
    }
    Ok(())
}
