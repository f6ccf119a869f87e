//! Delimited files: the referral list, a `;`-delimited grants export, and an
//! invoice list that holds only hard negatives.

use super::people::Person;
use super::rng::Rng;
use super::values::{self, Date, negative};
use super::{Cat, Ctx, Line};

/// A cell quoted as Excel would quote it.
fn quote(s: &str, delim: char) -> String {
    if s.contains([delim, '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// Builds the file bytes and labels each cell `row R, col Header` (header is row 1).
pub fn table(ctx: &mut Ctx, path: &str, delim: char, header: &[&str], rows: &[Vec<Line>]) -> Vec<u8> {
    let mut out = String::new();
    let line = |cells: Vec<String>| cells.join(&delim.to_string()) + "\r\n";
    out.push_str(&line(header.iter().map(|h| quote(h, delim)).collect()));
    for (r, row) in rows.iter().enumerate() {
        out.push_str(&line(row.iter().map(|c| quote(&c.text, delim)).collect()));
        for (c, cell) in row.iter().enumerate() {
            let loc = format!("row {}, col {}", r + 2, header.get(c).copied().unwrap_or(""));
            for (cat, v) in &cell.items {
                ctx.label(path, *cat, v, &loc);
            }
        }
    }
    out.into_bytes()
}

fn plain(s: impl AsRef<str>) -> Line {
    Line::new().t(s)
}
fn val(cat: Cat, s: impl Into<String>) -> Line {
    Line::new().v(cat, s)
}

/// The referrer cell: "Dr Amir Khan (Len Valley Practice)".
fn referrer_cell(r: &Person) -> Line {
    Line::new().t(format!("{} ", r.title)).v(Cat::Name, r.full()).t(format!(" ({})", r.org))
}

/// The free-text notes cell, sometimes naming a carer, sometimes a negative.
fn notes_cell(c: &Person, rng: &mut Rng) -> Line {
    match rng.below(6) {
        0 => Line::new().t(format!("Lives with {} ", c.kin.relation)).v(Cat::Name, &c.kin.first),
        1 => Line::new()
            .t("Carer: ")
            .v(Cat::Name, c.kin.full())
            .t(", ")
            .v(Cat::Phone, values::fmt_phone(&c.kin.phone, rng)),
        2 => plain(format!("Invoice {} paid {}", negative::invoice(rng), negative::amount(rng))),
        3 => plain(format!("Old NI no {} rejected", values::bad_nino(rng))),
        4 => plain(format!("Referral ref {}", negative::reference(rng))),
        _ => Line::new(),
    }
}

pub const REFERRAL_HEADER: [&str; 12] = [
    "Client ID",
    "First name",
    "Surname",
    "DOB",
    "Address line 1",
    "Town",
    "Postcode",
    "Phone",
    "Email",
    "NHS number",
    "Referrer",
    "Notes",
];

/// Referral rows for clients `ids`.
pub fn referral_rows(ctx: &mut Ctx, ids: &[usize]) -> Vec<Vec<Line>> {
    let rng = &mut ctx.rng;
    ids.iter()
        .map(|&i| {
            let c = &ctx.pool.clients[i];
            let r = &ctx.pool.referrers[rng.below(ctx.pool.referrers.len())];
            vec![
                plain(format!("C{}", c.id)),
                val(Cat::Name, &c.first),
                val(Cat::Name, &c.surname),
                val(Cat::Dob, c.dob.fmt_any(rng)),
                val(Cat::Address, c.street_line()),
                plain(c.town),
                val(Cat::Postcode, values::fmt_postcode(&c.postcode, rng)),
                val(Cat::Phone, values::fmt_phone(&c.mobile, rng)),
                val(Cat::Email, &c.email),
                val(Cat::NhsNumber, values::fmt_nhs(&c.nhs, rng)),
                referrer_cell(r),
                notes_cell(c, rng),
            ]
        })
        .collect()
}

const GRANT_HEADER: [&str; 12] = [
    "Grant ID",
    "Full name",
    "Date of birth",
    "Address line 1",
    "Postcode",
    "Mobile",
    "Email",
    "NI number",
    "Sort code",
    "Account number",
    "Amount",
    "Paid on",
];

fn grant_rows(ctx: &mut Ctx, ids: &[usize]) -> Vec<Vec<Line>> {
    let rng = &mut ctx.rng;
    ids.iter()
        .map(|&i| {
            let c = &ctx.pool.clients[i];
            vec![
                plain(format!("G-{}", rng.range(3000, 3999))),
                val(Cat::Name, c.full()),
                val(Cat::Dob, c.dob.slashed()),
                val(Cat::Address, c.street_line()),
                val(Cat::Postcode, values::fmt_postcode(&c.postcode, rng)),
                val(Cat::Phone, values::fmt_phone(&c.mobile, rng)),
                val(Cat::Email, &c.email),
                val(Cat::Nino, values::fmt_nino(&c.nino, rng)),
                val(Cat::SortCode, &c.sort_code),
                val(Cat::BankAccount, &c.account),
                plain(negative::amount(rng)),
                plain(Date::random(rng, 2023, 2023).slashed()),
            ]
        })
        .collect()
}

/// Hardship payments to clients' cards.
fn card_rows(ctx: &mut Ctx) -> Vec<Vec<Line>> {
    let rng = &mut ctx.rng;
    let with_card = ctx.pool.clients.iter().filter(|c| c.card.is_some()).take(8 * ctx.scale);
    with_card
        .map(|c| {
            vec![
                plain(format!("HP-{}", rng.range(100, 999))),
                val(Cat::Name, c.full()),
                val(Cat::BankCard, c.card.clone().unwrap_or_default()),
                plain(negative::amount(rng)),
                plain(Date::random(rng, 2024, 2024).slashed()),
            ]
        })
        .collect()
}

fn invoice_rows(rng: &mut Rng, n: usize) -> Vec<Vec<Line>> {
    const SUPPLIERS: &[&str] = &[
        "Kent County Council",
        "Age UK Maidstone",
        "Citizens Advice",
        "NHS Kent and Medway",
        "Medway Print Ltd",
        "Oast Catering Ltd",
    ];
    (0..n)
        .map(|_| {
            vec![
                plain(negative::invoice(rng)),
                plain(*rng.pick(SUPPLIERS)),
                plain(negative::company(rng)),
                plain(Date::random(rng, 2024, 2024).slashed()),
                plain(negative::amount(rng)),
                plain(format!("{}%", rng.pick(&["0", "20"]))),
                plain(negative::reference(rng)),
            ]
        })
        .collect()
}

pub fn write_all(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) {
    let n = ctx.pool.clients.len();
    let ids: Vec<usize> = (0..(8 * ctx.scale).min(n)).collect();
    let rows = referral_rows(ctx, &ids);
    let path = "Clients/referrals-2024.csv";
    files.push((path.into(), table(ctx, path, ',', &REFERRAL_HEADER, &rows)));

    let ids: Vec<usize> = (0..6 * ctx.scale).map(|i| (i * 3 + 1) % n).collect();
    let rows = grant_rows(ctx, &ids);
    let path = "Clients/hardship-grants-2023.csv";
    files.push((path.into(), table(ctx, path, ';', &GRANT_HEADER, &rows)));

    let rows = card_rows(ctx);
    let header = ["Payment ref", "Client name", "Card number", "Amount", "Date"];
    let path = "Finance/hardship-card-payments.csv";
    files.push((path.into(), table(ctx, path, ',', &header, &rows)));

    let rows = invoice_rows(&mut ctx.rng, 12 * ctx.scale);
    let header = ["Invoice no", "Supplier", "Company no", "Date", "Amount", "VAT", "PO reference"];
    let path = "Finance/invoices-2024.csv";
    files.push((path.into(), table(ctx, path, ',', &header, &rows)));
}
