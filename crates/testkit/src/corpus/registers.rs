//! Registers and contact sheets kept as plain text, and the identifier forms
//! people write by hand:
//! - tables pasted into a `.txt` (pipes, tabs or aligned spaces) whose dates,
//!   sort codes and account numbers are personal data only by their column,
//!   beside a table of invoices whose numbers are not;
//! - staff signature blocks (name, job, charity, phones, email) above the
//!   charity's own registered details, and one-line "Contact: ..." lines;
//! - a phone with an extension, `44` without its `+`, a person's 03 number,
//!   an email in capitals or at an internationalised domain, a BFPO address,
//!   a date of birth labelled after it or written month first, a flat and
//!   building before the street, cards of other issuers -- each beside a
//!   look-alike that is not personal data (a helpline, a number one digit
//!   short, a card number of no issuer).

use super::people::Person;
use super::txt::emit;
use super::values::{self, Date, fmt_phone, negative};
use super::{Cat, Ctx, Line};
use crate::rng::Rng;

/// How a register's columns are laid out.
#[derive(Clone, Copy)]
enum Layout {
    Pipes,
    Tabs,
    Spaces,
}

/// A table as lines: the header row, a rule line for pipes, then the rows,
/// cells labelled as given.
fn table(layout: Layout, header: &[&str], rows: &[Vec<Line>]) -> Vec<Line> {
    let widths: Vec<usize> = (0..header.len())
        .map(|k| rows.iter().map(|r| r[k].text.chars().count()).chain([header[k].len()]).max().unwrap_or(0))
        .collect();
    let row = |cells: Vec<Line>| -> Line {
        let mut line = Line::new();
        if let Layout::Pipes = layout {
            line = line.t("| ");
        }
        let last = cells.len() - 1;
        for (k, cell) in cells.into_iter().enumerate() {
            let pad = widths[k] - cell.text.chars().count();
            line = line.join(cell);
            match layout {
                Layout::Pipes => line = line.t(format!("{} |{}", " ".repeat(pad), if k < last { " " } else { "" })),
                Layout::Tabs if k < last => line = line.t("\t"),
                Layout::Spaces if k < last => line = line.t(" ".repeat(pad + 3)),
                _ => {}
            }
        }
        line
    };
    let mut out = vec![row(header.iter().map(|h| Line::new().t(*h)).collect())];
    if let Layout::Pipes = layout {
        out.push(
            Line::new().t(format!("|{}|", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|"))),
        );
    }
    out.extend(rows.iter().cloned().map(row));
    out
}

fn layout(rng: &mut Rng) -> Layout {
    *rng.pick(&[Layout::Pipes, Layout::Tabs, Layout::Spaces])
}

/// A register of clients: the date of birth, sort code and account number
/// are bare values that only their columns make personal.
fn client_register(ctx: &mut Ctx, from: usize) -> Vec<Line> {
    let n = ctx.pool.clients.len();
    let rng = &mut ctx.rng;
    let mut rows = Vec::new();
    for i in 0..6 {
        let c = &ctx.pool.clients[(from + i) % n];
        rows.push(vec![
            Line::new().v(Cat::Name, c.full()),
            Line::new().v(Cat::Dob, c.dob.slashed()),
            Line::new().v(Cat::Phone, fmt_phone(&c.mobile, rng)),
            Line::new().v(Cat::SortCode, c.sort_code.clone()),
            Line::new().v(Cat::BankAccount, c.account.clone()),
        ]);
    }
    let mut out = vec![Line::new().t("Direct payments register (copied from the finance sheet)"), Line::new()];
    out.extend(table(layout(rng), &["Name", "DOB", "Phone", "Sort code", "Account"], &rows));
    out.push(Line::new());
    // Look-alikes: the same shapes under columns that hold nothing personal.
    let mut invoices = Vec::new();
    for _ in 0..4 {
        let d = Date { y: 2024, m: rng.range(1, 12), d: rng.range(1, 28) };
        invoices.push(vec![
            Line::new().t(negative::invoice(rng)),
            Line::new().t(d.slashed()),
            Line::new().t(negative::amount(rng)),
            Line::new().t(format!("{}", rng.range(10_000_000, 99_999_999))),
        ]);
    }
    out.push(Line::new().t("Invoices paid"));
    out.extend(table(layout(rng), &["Invoice", "Paid on", "Amount", "Batch"], &invoices));
    out
}

/// A member of staff's signature block, then the charity's own details.
fn signature(ctx: &mut Ctx, s: &Person) -> Vec<Line> {
    let ch = &ctx.pool.charity;
    let rng = &mut ctx.rng;
    let mut out = vec![
        Line::new().t("Kind regards,"),
        Line::new(),
        Line::new().v(Cat::Name, s.full()),
        Line::new().t(s.job),
        Line::new().t(ch.name),
    ];
    let mobile = Line::new().t("Mobile: ").v(Cat::Phone, fmt_phone(&s.mobile, rng));
    out.push(match &s.landline {
        Some(l) => Line::new().t("Tel: ").v(Cat::Phone, fmt_phone(l, rng)).t(" | ").join(mobile),
        None => mobile,
    });
    out.push(Line::new().t("Email: ").v(Cat::Email, s.email.clone()));
    out.push(Line::new().t(format!("Switchboard {} | Registered charity number {}", ch.phone, ch.number)));
    out.push(Line::new());
    out
}

/// The forms of identifiers people write, each with its look-alike.
fn written_forms(ctx: &mut Ctx, from: usize) -> Vec<Line> {
    let n = ctx.pool.clients.len();
    let ch = &ctx.pool.charity;
    let rng = &mut ctx.rng;
    let mut out = vec![Line::new().t("Contact changes"), Line::new()];
    for i in 0..FORMS {
        let c = &ctx.pool.clients[(from + i) % n];
        let pron = if c.female { "her" } else { "his" };
        let line = match (from + i) % FORMS {
            0 => {
                let tel = c.landline.clone().unwrap_or_else(|| values::phone(rng, false));
                Line::new()
                    .v(Cat::Name, c.full())
                    .t(": work tel ")
                    .v(Cat::Phone, fmt_phone(&tel, rng))
                    .t(format!(" ext. {}", rng.range(10, 999)))
                    .t(", phone ")
                    .v(Cat::Phone, format!("44{}", &c.mobile[1..]))
            }
            1 => Line::new()
                .v(Cat::Name, c.full())
                .t(format!(" gave {pron} home phone: "))
                .v(Cat::Phone, format!("0300 {} {}", rng.digits(3), rng.digits(4)))
                .t(" and email ")
                .v(Cat::Email, c.email.to_uppercase()),
            2 => {
                let day_first_impossible = c.dob.d > 12;
                let line = Line::new()
                    .v(Cat::Name, c.full())
                    .t(" says ")
                    .v(Cat::Dob, c.dob.slashed())
                    .t(format!(" is {pron} birthday; "));
                if day_first_impossible {
                    let us = format!("{:02}/{:02}/{}", c.dob.m, c.dob.d, c.dob.y);
                    line.t("the US form has DOB ").v(Cat::Dob, us)
                } else {
                    line.t("no other form given")
                }
            }
            3 => {
                let issuer = rng_issuer(rng);
                Line::new()
                    .v(Cat::Name, c.full())
                    .t(" pays by card ")
                    .v(Cat::BankCard, card_shaped(rng, issuer))
                    .t("; new email ")
                    .v(
                        Cat::Email,
                        format!(
                            "{}@xn--{}-kva.de",
                            values::fold(&c.first).to_lowercase(),
                            values::fold(&c.surname).to_lowercase()
                        ),
                    )
            }
            4 => Line::new()
                .v(Cat::Name, c.full())
                .t(" moved to ")
                .v(Cat::Address, format!("{} Heron Court, {}", rng.range(2, 80), c.street))
                .t(format!(", {} ", c.town))
                .v(Cat::Postcode, c.postcode.clone()),
            _ => Line::new()
                .v(Cat::Name, c.full())
                .t(" now lives at ")
                .v(
                    Cat::Address,
                    format!(
                        "Flat {}, {}, {} {}",
                        rng.range(1, 12),
                        rng.pick(&["Mill House", "Heron Court", "Oak Lodge", "Beech House"]),
                        c.house.max(1),
                        c.street
                    ),
                )
                .t(format!(", {} ", c.town))
                .v(Cat::Postcode, c.postcode.clone()),
        };
        out.push(line);
    }
    let s = &ctx.pool.staff[from % ctx.pool.staff.len()];
    out.push(
        Line::new()
            .t("Contact: ")
            .v(Cat::Name, s.full())
            .t(format!(", head office, {}, ", ch.name))
            .v(Cat::Phone, fmt_phone(&s.mobile, rng)),
    );
    out.push(
        Line::new()
            .t("Forces family: Cpl ")
            .v(Cat::Name, ctx.pool.clients[from % n].full())
            .t(", ")
            .v(Cat::Postcode, format!("BFPO {}", rng.range(1, 999))),
    );
    // Look-alikes: the charity's helpline, a local number a digit short,
    // numbers of no card issuer.
    out.push(Line::new().t(format!("Helpline tel: 0300 {} {} (Monday to Friday)", rng.digits(3), rng.digits(4))));
    out.push(Line::new().t(format!("Old number 01622 {} (a digit short) no longer works.", rng.digits(5))));
    out.push(Line::new().t(format!("Batch ref {}", card_shaped(rng, "66"))));
    out
}

/// How many forms [`written_forms`] writes in turn.
const FORMS: usize = 6;

/// The prefix of a card scheme other than Visa and Mastercard: Diners Club,
/// JCB, UnionPay, Discover, Mir.
fn rng_issuer(rng: &mut Rng) -> &'static str {
    const ISSUERS: [&str; 6] = ["36", "38", "3530", "62", "6011", "2200"];
    ISSUERS[rng.below(ISSUERS.len())]
}

/// Sixteen Luhn-valid digits starting `prefix`, in groups of four.
fn card_shaped(rng: &mut Rng, prefix: &str) -> String {
    let body = format!("{prefix}{}", rng.digits(15 - prefix.len()));
    let check = (0..10).map(|c| format!("{body}{c}")).find(|s| values::luhn_ok(s)).unwrap_or_default();
    (0..4).map(|i| &check[i * 4..i * 4 + 4]).collect::<Vec<_>>().join(" ")
}

pub fn write_all(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) {
    for i in 0..2 * ctx.scale {
        let lines = client_register(ctx, i * 6);
        emit(ctx, files, &format!("Finance/registers/direct-payments-{:02}.txt", i + 1), &lines);
    }
    let mut lines = Vec::new();
    for k in 0..ctx.pool.staff.len().min(3) {
        let s = ctx.pool.staff[k].clone();
        lines.extend(signature(ctx, &s));
    }
    emit(ctx, files, "Admin/email-signatures.txt", &lines);
    for i in 0..ctx.scale {
        let lines = written_forms(ctx, i * FORMS);
        emit(ctx, files, &format!("Clients/contact-changes-{:02}.txt", i + 1), &lines);
    }
}
