//! The volunteer register: a workbook with real date cells and numeric IDs,
//! and an "Emergency contacts" sheet of next of kin.

use std::io;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::values::{self, Date};
use super::{Cat, Ctx};

/// `A`, `B`, ... `Z`, `AA`: the column letters of a 0-based index.
pub fn col_letter(mut c: u16) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// A cell to write: text, number or date.
enum Cell {
    Text(String),
    Num(f64),
    Date(Date),
}

/// Writes one sheet from a header and rows, labelling cells `Sheet!C7`.
fn sheet(
    ctx: &mut Ctx,
    ws: &mut Worksheet,
    path: &str,
    name: &str,
    header: &[&str],
    rows: Vec<Vec<(Cell, Option<Cat>)>>,
) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    let bold = Format::new().set_bold();
    let date_fmt = Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in rows.into_iter().enumerate() {
        let r = r as u32 + 1;
        for (c, (cell, cat)) in row.into_iter().enumerate() {
            let c = c as u16;
            let shown = match cell {
                Cell::Text(s) => {
                    ws.write_string(r, c, &s)?;
                    s
                }
                Cell::Num(n) => {
                    ws.write_number(r, c, n)?;
                    n.to_string()
                }
                Cell::Date(d) => {
                    let dt = ExcelDateTime::from_ymd(d.y as u16, d.m as u8, d.d as u8)?;
                    ws.write_datetime_with_format(r, c, &dt, &date_fmt)?;
                    d.iso()
                }
            };
            if let Some(cat) = cat {
                ctx.label(path, cat, &shown, &format!("{name}!{}{}", col_letter(c), r + 1));
            }
        }
    }
    ws.autofit();
    Ok(())
}

fn text(s: impl Into<String>, cat: Option<Cat>) -> (Cell, Option<Cat>) {
    (Cell::Text(s.into()), cat)
}

fn build(ctx: &mut Ctx, path: &str) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let author = ctx.pool.staff[ctx.rng.below(ctx.pool.staff.len())].full();
    let props = DocProperties::new().set_author(&author).set_creation_datetime(&ExcelDateTime::from_ymd(2024, 1, 15)?);
    wb.set_properties(&props);
    ctx.label(path, Cat::Name, &author, "metadata creator");

    let header = [
        "Volunteer ID",
        "First name",
        "Surname",
        "Date of birth",
        "Address line 1",
        "Postcode",
        "Mobile",
        "Email",
        "NI number",
        "Role",
        "Start date",
        "DBS certificate no",
    ];
    let vols = ctx.pool.volunteers.clone();
    let rng = &mut ctx.rng;
    let rows = vols
        .iter()
        .map(|v| {
            vec![
                (Cell::Num(f64::from(v.id)), None),
                text(&v.first, Some(Cat::Name)),
                text(&v.surname, Some(Cat::Name)),
                (Cell::Date(v.dob), Some(Cat::Dob)),
                text(v.street_line(), Some(Cat::Address)),
                text(values::fmt_postcode(&v.postcode, rng), Some(Cat::Postcode)),
                text(values::fmt_phone(&v.mobile, rng), Some(Cat::Phone)),
                text(&v.email, Some(Cat::Email)),
                text(values::fmt_nino(&v.nino, rng), Some(Cat::Nino)),
                text(v.job, None),
                (Cell::Date(Date::random(rng, 2018, 2024)), None),
                text(format!("00{}", rng.digits(10)), None),
            ]
        })
        .collect();
    sheet(ctx, wb.add_worksheet(), path, "Volunteers", &header, rows)?;

    let header = ["Volunteer ID", "Volunteer", "Next of kin", "Relationship", "Phone"];
    let rng = &mut ctx.rng;
    let rows = vols
        .iter()
        .map(|v| {
            vec![
                (Cell::Num(f64::from(v.id)), None),
                text(v.full(), Some(Cat::Name)),
                text(v.kin.full(), Some(Cat::Name)),
                text(v.kin.relation, None),
                {
                    let written = values::fmt_phone(&v.kin.phone, rng);
                    // A number from abroad dialled from the UK, in the phone column.
                    let written = if v.kin.phone.starts_with('+') && v.id % 2 == 1 {
                        values::fmt_phone_00(&v.kin.phone)
                    } else {
                        written
                    };
                    text(written, Some(Cat::Phone))
                },
            ]
        })
        .collect();
    sheet(ctx, wb.add_worksheet(), path, "Emergency contacts", &header, rows)?;
    wb.save_to_buffer()
}

pub fn write_all(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
    let path = "Volunteers/volunteers.xlsx";
    let bytes = build(ctx, path).map_err(io::Error::other)?;
    files.push((path.into(), bytes));
    Ok(())
}
