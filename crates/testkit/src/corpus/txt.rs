//! Plain-text files: case notes, a phone log, meeting minutes and a policy,
//! plus the prose helpers the mail and pdf writers share.

use super::people::{Kin, Person};
use super::rng::Rng;
use super::values::{self, Date, negative};
use super::{Cat, Ctx, Line};

/// A mention of a person as a caseworker would write it; the label never
/// includes the title ("Mrs Roberts" -> "Roberts").
pub fn mention(p: &Person, rng: &mut Rng) -> Line {
    match rng.below(5) {
        0 | 1 => Line::new().v(Cat::Name, &p.first),
        2 => Line::new().t(format!("{} ", p.title)).v(Cat::Name, &p.surname),
        3 => Line::new().v(Cat::Name, p.full()),
        _ => Line::new().t(format!("{} ", p.title)).v(Cat::Name, p.full()),
    }
}

/// A relative, by first name or full name.
pub fn kin_mention(k: &Kin, rng: &mut Rng) -> Line {
    if rng.chance(50) { Line::new().v(Cat::Name, &k.first) } else { Line::new().v(Cat::Name, k.full()) }
}

/// A date that is not a date of birth (visit, meeting, review).
pub fn event_date(rng: &mut Rng) -> String {
    let d = Date::random(rng, 2023, 2024);
    if rng.chance(50) { d.long() } else { d.slashed() }
}

/// "she" or "he".
fn pron(p: &Person) -> &'static str {
    if p.female { "she" } else { "he" }
}

/// The date of birth with one of its context words, as one or two lines.
pub fn dob_lines(p: &Person, rng: &mut Rng) -> Vec<Line> {
    let v = p.dob.fmt_any(rng);
    match rng.below(5) {
        0 => vec![Line::new().t("Date of birth:"), Line::new().v(Cat::Dob, v)],
        1 => vec![Line::new().t("DOB: ").v(Cat::Dob, v)],
        2 => vec![Line::new().t("D.O.B. ").v(Cat::Dob, v)],
        _ => vec![Line::new().t("Date of birth: ").v(Cat::Dob, v)],
    }
}

/// One sentence of a case note about client `c`, written by worker `s`.
fn sentence(c: &Person, s: &Person, rng: &mut Rng) -> Line {
    let k = &c.kin;
    match rng.below(14) {
        0 => Line::new().t(format!("{}: home visit to ", event_date(rng))).join(mention(c, rng)).t(format!(
            " in {} at {}.",
            c.town,
            negative::time(rng)
        )),
        1 => mention(c, rng)
            .t(format!(
                " told me {} has been struggling since {} {} ",
                pron(c),
                if c.female { "her" } else { "his" },
                k.relation
            ))
            .join(kin_mention(k, rng))
            .t(" went into hospital."),
        2 => Line::new().t("Spoke to ").v(Cat::Name, &c.first).t(format!(
            " today about the carer's assessment with Kent County Council; next review on {}.",
            event_date(rng)
        )),
        3 => kin_mention(k, rng)
            .t(format!(" ({}, next of kin) can be reached on ", k.relation))
            .v(Cat::Phone, values::fmt_phone(&k.phone, rng))
            .t("."),
        4 => Line::new().t(format!(
            "Invoice {} for {} sent to Age UK Maidstone for the day centre place.",
            negative::invoice(rng),
            negative::amount(rng)
        )),
        5 => Line::new().t(format!(
            "Referred to Citizens Advice for help with a PIP claim; their reference is {}.",
            negative::reference(rng)
        )),
        6 => mention(c, rng)
            .t(" asked that letters go to ")
            .v(Cat::Address, c.street_line())
            .t(format!(", {}, ", c.town))
            .v(Cat::Postcode, values::fmt_postcode(&c.postcode, rng))
            .t(" from now on."),
        7 => mention(s, rng).t(format!(" ({}) will follow up by email at ", s.job)).v(Cat::Email, &c.email).t("."),
        8 => Line::new()
            .t("The surgery confirmed NHS number ")
            .v(Cat::NhsNumber, values::fmt_nhs(&c.nhs, rng))
            .t(" on the referral."),
        9 => Line::new()
            .t(format!("The NI number on the old form, {}, was wrong; the correct one is ", values::bad_nino(rng)))
            .v(Cat::Nino, values::fmt_nino(&c.nino, rng))
            .t("."),
        10 => Line::new().t(format!(
            "Meeting with NHS Kent and Medway on {} about waiting lists: {} referrals this quarter, up {}%.",
            event_date(rng),
            rng.range(40, 300),
            rng.range(3, 40)
        )),
        11 => Line::new()
            .v(Cat::Name, &c.first)
            .t(" would prefer a call on ")
            .v(Cat::Phone, values::fmt_phone(&c.mobile, rng))
            .t(format!(" after {}.", negative::time(rng))),
        12 => match &c.card {
            Some(card) => Line::new()
                .t(format!("Hardship payment of {} loaded to ", negative::amount(rng)))
                .join(mention(c, rng))
                .t("'s card ")
                .v(Cat::BankCard, card)
                .t("."),
            None => Line::new().t(format!("Food bank voucher issued ({}).", negative::invoice(rng))),
        },
        _ => Line::new().t(format!(
            "Grant of {} agreed by the Maidstone Area Board (Registered charity no. {}).",
            negative::amount(rng),
            rng.pick(&["1123456", "1098765"])
        )),
    }
}

/// A case note for client `c`: a header block and several paragraphs.
pub fn case_note(ctx: &mut Ctx, ci: usize) -> Vec<Line> {
    let rng = &mut ctx.rng;
    let c = &ctx.pool.clients[ci];
    let s = &ctx.pool.staff[rng.below(ctx.pool.staff.len())];
    let charity = &ctx.pool.charity;
    let mut out = vec![
        Line::new().t("CASE NOTES - CONFIDENTIAL"),
        Line::new().t(format!("{} - Registered charity no. {}", charity.name, charity.number)),
        Line::new().t("Client: ").v(Cat::Name, c.full()).t(format!(" (ID C{})", c.id)),
        Line::new().t(format!("Referral ref: {}", negative::reference(rng))),
        Line::new().t("Caseworker: ").v(Cat::Name, s.full()).t(format!(", {}", s.job)),
    ];
    out.extend(dob_lines(c, rng));
    if rng.chance(50) {
        out.push(
            Line::new()
                .t("Address: ")
                .v(Cat::Address, c.street_line())
                .t(format!(", {} ", c.town))
                .v(Cat::Postcode, values::fmt_postcode(&c.postcode, rng)),
        );
    } else {
        out.push(Line::new().t("Address:"));
        match &c.house_name {
            // The house name on a line of its own, the street on the next:
            // one street line, labelled where it starts.
            Some(name) => {
                let both = format!("{name}\n{}", c.street);
                out.push(Line { text: name.clone(), items: vec![(Cat::Address, both)] });
                out.push(Line::new().t(&c.street));
            }
            None => out.push(Line::new().v(Cat::Address, c.street_line())),
        }
        out.push(Line::new().t(c.town));
        out.push(Line::new().v(Cat::Postcode, values::fmt_postcode(&c.postcode, rng)));
    }
    let mut tel = values::fmt_phone(&c.mobile, rng);
    if c.mobile.starts_with('+') && c.id.is_multiple_of(2) {
        // From abroad, dialled from the UK: 0048 ... (after its "Tel:" label).
        tel = values::fmt_phone_00(&c.mobile);
    }
    out.push(Line::new().t("Tel: ").v(Cat::Phone, tel));
    if rng.chance(50) {
        out.push(Line::new().t("NHS no: ").v(Cat::NhsNumber, values::fmt_nhs(&c.nhs, rng)));
    }
    for _ in 0..rng.range(2, 3) {
        out.push(Line::new());
        let mut para = Line::new();
        for j in 0..rng.range(2, 3) {
            if j > 0 {
                para = para.t(" ");
            }
            para = para.join(sentence(c, s, rng));
        }
        out.push(para);
    }
    out.push(Line::new());
    out.push(Line::new().t("- ").v(Cat::Name, s.full()).t(format!(", {}", s.job)));
    out
}

/// A phone log: calls from clients, with non-DOB dates and times.
pub fn phone_log(ctx: &mut Ctx, year: u32) -> Vec<Line> {
    let rng = &mut ctx.rng;
    let mut out = vec![Line::new().t(format!("Helpline call log {year}")), Line::new()];
    for _ in 0..4 + 2 * ctx.scale {
        let c = &ctx.pool.clients[rng.below(ctx.pool.clients.len())];
        let d = Date { y: year, m: rng.range(1, 12), d: rng.range(1, 28) };
        let topic = rng.pick(&[
            "respite care",
            "blue badge",
            "benefits check",
            "support group",
            "housing repairs",
            "school transport",
        ]);
        out.push(
            Line::new()
                .t(format!("{} {}  Call from ", d.slashed(), negative::time(rng)))
                .v(Cat::Name, c.full())
                .t(" (")
                .v(Cat::Phone, values::fmt_phone(&c.mobile, rng))
                .t(format!(") re {topic}. Callback requested.")),
        );
    }
    out
}

/// Trustees' minutes: staff names (labelled) and organisational noise.
fn minutes(ctx: &mut Ctx) -> Vec<Line> {
    let rng = &mut ctx.rng;
    let ch = &ctx.pool.charity;
    let staff = &ctx.pool.staff;
    let mut attendees = Line::new().t("Present: ");
    for (i, s) in staff.iter().enumerate().take(3) {
        if i > 0 {
            attendees = attendees.t(", ");
        }
        attendees = attendees.v(Cat::Name, s.full()).t(format!(" ({})", s.job));
    }
    vec![
        Line::new().t(format!("{} - Board of Trustees", ch.name)),
        Line::new().t(format!("Minutes of the meeting held on {} at {}", event_date(rng), negative::time(rng))),
        Line::new().t(format!("Registered charity no. {}  Company no. {}", ch.number, negative::company(rng))),
        Line::new(),
        attendees,
        Line::new(),
        Line::new().t(format!(
            "1. Finance: income for Q{} was {} against a budget of {}; invoice {} from Kent County Council is outstanding.",
            rng.range(1, 4),
            negative::amount(rng),
            negative::amount(rng),
            negative::invoice(rng)
        )),
        Line::new().t(format!(
            "2. Services: {} {} supported this quarter ({}% in Maidstone, {}% in Ashford). Waiting list {}.",
            rng.range(120, 480),
            ch.serves,
            rng.range(20, 60),
            rng.range(10, 30),
            rng.range(5, 40)
        )),
        Line::new().t(format!(
            "3. Data protection: policy v{}.{} approved; enquiries to info@{} or {}.",
            rng.range(1, 4),
            rng.range(0, 9),
            ch.domain,
            ch.phone
        )),
        Line::new().t(format!("4. Date of next meeting: {}.", event_date(rng))),
    ]
}

/// A policy with only organisational contact details and invalid examples.
fn policy(ctx: &mut Ctx) -> Vec<Line> {
    let rng = &mut ctx.rng;
    let ch = &ctx.pool.charity;
    vec![
        Line::new().t(format!("{} - Data Protection Policy (version 3.{})", ch.name, rng.range(0, 9))),
        Line::new(),
        Line::new().t("Subject access requests must be answered within one month (30 days)."),
        Line::new().t(format!(
            "Send requests to admin@{d} or enquiries@{d}; referrals only to referrals@{d}. Automated mail comes from noreply@{d}.",
            d = ch.domain
        )),
        Line::new().t(format!("Office: {}, Monday to Friday 9:00 to 17:00. Kent County Council contact centre: 03000 41 41 41.", ch.phone)),
        Line::new().t(format!(
            "Never use real numbers in training: e.g. NHS no. {} and NI number {} are invalid test values.",
            values::bad_nhs(rng),
            values::bad_nino(rng)
        )),
        Line::new().t(format!("Registered charity no. {}. Company limited by guarantee no. {}.", ch.number, negative::company(rng))),
    ]
}

/// Lines to file bytes, CRLF where `crlf`.
pub fn to_bytes(lines: &[Line], crlf: bool) -> Vec<u8> {
    let nl = if crlf { "\r\n" } else { "\n" };
    let mut s = String::new();
    for l in lines {
        s.push_str(&l.text);
        s.push_str(nl);
    }
    s.into_bytes()
}

/// Writes a text file and its `line N` labels.
pub fn emit(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>, path: &str, lines: &[Line]) {
    ctx.label_lines(path, lines, |i| format!("line {}", i + 1));
    let crlf = ctx.rng.chance(30);
    files.push((path.to_string(), to_bytes(lines, crlf)));
}

pub fn write_all(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) {
    let n = (16 * ctx.scale).min(ctx.pool.clients.len());
    for ci in 0..n {
        let lines = case_note(ctx, ci);
        let path = format!("Clients/case-notes/C{}.txt", ctx.pool.clients[ci].id);
        emit(ctx, files, &path, &lines);
    }
    for year in [2023, 2024] {
        let lines = phone_log(ctx, year);
        emit(ctx, files, &format!("Admin/helpline-log-{year}.txt"), &lines);
    }
    for i in 0..2 * ctx.scale {
        let lines = minutes(ctx);
        emit(ctx, files, &format!("Admin/minutes/trustees-{:02}.txt", i + 1), &lines);
    }
    let lines = policy(ctx);
    emit(ctx, files, "Admin/data-protection-policy.txt", &lines);
    let lines = template(ctx);
    emit(ctx, files, "Templates/appointment-letter-template.txt", &lines);
}

/// A mail-merge template: placeholders and example values, nothing personal.
fn template(ctx: &mut Ctx) -> Vec<Line> {
    let ch = &ctx.pool.charity;
    [
        format!("{} - Registered charity no. {}", ch.name, ch.number),
        String::new(),
        "{{title}} {{first_name}} {{surname}}".into(),
        "[Address line 1]".into(),
        "[Town]".into(),
        "[Postcode e.g. AB1 2CD]".into(),
        String::new(),
        "Dear [First name],".into(),
        "Date of birth: DD/MM/YYYY".into(),
        "NI number: QQ 12 34 56 A (example only)".into(),
        "NHS number: 000 000 0000".into(),
        format!(
            "Your appointment is on [date] at [time]. To rearrange call {} or email office@{}.",
            ch.phone, ch.domain
        ),
        String::new(),
        "Yours sincerely,".into(),
        "[Caseworker name]".into(),
        "[Job title]".into(),
    ]
    .into_iter()
    .map(|s| Line::new().t(s))
    .collect()
}
