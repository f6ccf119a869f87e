//! The quarterly report: a few Helvetica pages of aggregate statistics (hard
//! negatives) and a consented case study naming a client.

use std::io;

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, StringFormat, dictionary};

use super::people::Person;
use super::rng::Rng;
use super::txt::event_date;
use super::values::{self, negative};
use super::{Cat, Ctx, Line};

/// Text as WinAnsi bytes (Latin-1 covers what the report uses, `£` included).
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars().map(|c| if (c as u32) < 256 { c as u32 as u8 } else { b'?' }).collect()
}

/// The content stream of one page of lines.
fn page_content(lines: &[Line]) -> Content {
    let mut ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 11.into()]),
        Operation::new("TL", vec![15.into()]),
        Operation::new("Td", vec![56.into(), 780.into()]),
    ];
    for l in lines {
        ops.push(Operation::new("Tj", vec![Object::String(win_ansi(&l.text), StringFormat::Literal)]));
        ops.push(Operation::new("T*", vec![]));
    }
    ops.push(Operation::new("ET", vec![]));
    Content { operations: ops }
}

/// A PDF of `pages`, each a list of lines.
pub fn build(pages: &[Vec<Line>]) -> io::Result<Vec<u8>> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let mut kids = Vec::new();
    for lines in pages {
        let content = page_content(lines).encode().map_err(io::Error::other)?;
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        let page_id = doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => content_id });
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count, "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out)?;
    Ok(out)
}

fn t(s: impl AsRef<str>) -> Line {
    Line::new().t(s)
}

fn statistics(rng: &mut Rng, serves: &str) -> Vec<Line> {
    vec![
        t("Our quarter in numbers"),
        t(""),
        t(format!("Referrals received: {}", rng.range(120, 400))),
        t(format!("{} supported: {} (up {}% on last year)", serves, rng.range(90, 300), rng.range(2, 30))),
        t(format!(
            "Sources: GP surgeries {}%, schools {}%, self-referral {}%",
            rng.range(20, 45),
            rng.range(5, 20),
            rng.range(20, 40)
        )),
        t(format!(
            "Income this quarter: {} (grant from Kent County Council {})",
            negative::amount(rng),
            negative::amount(rng)
        )),
        t(format!("Volunteer hours: {} across Maidstone, Ashford and Canterbury", rng.range(400, 2000))),
        t(format!("Average wait from referral to first contact: {} days", rng.range(3, 21))),
        t(format!("Helpline calls answered between 9:00 and 17:00: {}", rng.range(300, 1500))),
        t(format!("Report approved by the trustees on {}.", event_date(rng))),
    ]
}

fn case_study(c: &Person, s: &Person, rng: &mut Rng) -> Vec<Line> {
    vec![
        t("Case study (shared with consent)"),
        t(""),
        Line::new()
            .v(Cat::Name, c.full())
            .t(format!(" was referred to us in {} by the GP.", values::MONTHS[rng.below(12)])),
        Line::new().v(Cat::Name, &c.first).t(" cares for a relative and felt isolated before joining our group."),
        Line::new().t("Working with ").v(Cat::Name, s.full()).t(format!(", our {},", s.job)),
        Line::new().v(Cat::Name, &c.first).t(" now attends the weekly support group in ").t(c.town).t("."),
        Line::new().t("Contact (with permission): ").v(Cat::Address, c.street_line()).t(","),
        Line::new()
            .t(format!("{} ", c.town))
            .v(Cat::Postcode, values::fmt_postcode(&c.postcode, rng))
            .t(", tel. ")
            .v(Cat::Phone, values::fmt_phone(&c.mobile, rng)),
    ]
}

pub fn write_all(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
    for q in 0..ctx.scale {
        let ch = ctx.pool.charity.clone();
        let ceo = ctx.pool.staff[0].clone();
        let rng = &mut ctx.rng;
        let mut pages = vec![vec![
            t(format!("{} - Quarterly report Q{} 2024", ch.name, q % 4 + 1)),
            t(format!("Registered charity no. {}. Enquiries: info@{} or {}", ch.number, ch.domain, ch.phone)),
            t(""),
            t(format!("This quarter we supported more {} than ever before.", ch.serves)),
            t("Thank you to our volunteers, funders and partners, including Citizens Advice."),
            t(""),
            Line::new().t("Signed: ").v(Cat::Name, ceo.full()).t(", Chief Executive"),
        ]];
        pages.push(statistics(rng, "Carers"));
        for k in 0..2 {
            let c = &ctx.pool.clients[(20 + 2 * q + k) % ctx.pool.clients.len()];
            let s = &ctx.pool.staff[(q + k + 1) % ctx.pool.staff.len()];
            pages.push(case_study(c, s, rng));
        }
        let path = if q == 0 {
            "Reports/quarterly-report.pdf".to_string()
        } else {
            format!("Reports/quarterly-report-{}.pdf", q + 1)
        };
        for (i, page) in pages.iter().enumerate() {
            ctx.label_lines(&path, page, |_| format!("page {}", i + 1));
        }
        files.push((path, build(&pages)?));
    }
    Ok(())
}
