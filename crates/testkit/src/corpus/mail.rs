//! Mail: referral emails (.eml, some with a docx or csv attachment, one
//! quoted-printable) and an mbox export with a reply chain and a `>From `
//! escaped body line.

use std::io;

use chrono::{Datelike, NaiveDate};

use super::docx;
use super::people::Person;
use super::rng::Rng;
use super::txt::{kin_mention, mention};
use super::values::{self, Date, negative};
use super::{Cat, Ctx, Line};

/// One message: header lines (name, value) and body lines.
pub struct Msg {
    pub headers: Vec<(&'static str, Line)>,
    pub body: Vec<Line>,
}

/// An attachment: file name, MIME type, bytes.
pub struct Attachment {
    pub name: String,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

/// `"Jane Roberts" <jane.roberts@gmail.com>` or a variant; names labelled.
pub fn addr(p: &Person, rng: &mut Rng) -> Line {
    match rng.below(4) {
        0 => Line::new().t("\"").v(Cat::Name, p.full()).t("\" <").v(Cat::Email, &p.email).t(">"),
        1 if p.title == "Dr" => Line::new().t("\"Dr ").v(Cat::Name, p.full()).t("\" <").v(Cat::Email, &p.email).t(">"),
        3 => Line::new().v(Cat::Email, &p.email),
        _ => Line::new().v(Cat::Name, p.full()).t(" <").v(Cat::Email, &p.email).t(">"),
    }
}

/// An RFC 5322 date on a weekday-correct day of 2024.
fn mail_date(rng: &mut Rng) -> (String, Date) {
    let d = Date::random(rng, 2024, 2024);
    let nd = NaiveDate::from_ymd_opt(d.y as i32, d.m, d.d).unwrap_or_default();
    let month = &values::MONTHS[d.m as usize - 1][..3];
    let time = format!("{:02}:{:02}:00", rng.range(8, 17), rng.range(0, 59));
    (format!("{}, {:02} {month} {} {time} +0000", nd.weekday(), d.d, d.y), d)
}

/// Standard base64 with 76-character lines.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(A[(n >> (18 - 6 * k) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Quoted-printable, soft-wrapping lines at 76 characters.
pub fn quoted_printable(lines: &[String]) -> String {
    let mut out = String::new();
    for l in lines {
        let mut cur = String::new();
        for ch in l.chars() {
            let enc = if ch.is_ascii() && ch != '=' {
                ch.to_string()
            } else {
                let mut b = [0u8; 4];
                ch.encode_utf8(&mut b).bytes().map(|x| format!("={x:02X}")).collect()
            };
            if cur.len() + enc.len() > 75 {
                out.push_str(&cur);
                out.push_str("=\r\n");
                cur.clear();
            }
            cur.push_str(&enc);
        }
        out.push_str(&cur);
        out.push_str("\r\n");
    }
    out
}

/// Renders a message (headers, then body; multipart when attachments) and
/// records its labels under `path`.
pub fn render(ctx: &mut Ctx, path: &str, msg: &Msg, qp: bool, atts: &[Attachment], nl: &str) -> String {
    let mut s = String::new();
    for (name, value) in &msg.headers {
        s.push_str(&format!("{name}: {}{nl}", value.text));
        ctx.label_lines(path, std::slice::from_ref(value), |_| format!("header {name}"));
    }
    ctx.label_lines(path, &msg.body, |i| format!("body line {}", i + 1));
    let texts: Vec<String> = msg.body.iter().map(|l| l.text.clone()).collect();
    let (cte, body) = if qp {
        ("quoted-printable", quoted_printable(&texts).replace("\r\n", nl))
    } else {
        ("8bit", texts.iter().map(|t| format!("{t}{nl}")).collect())
    };
    s.push_str(&format!("MIME-Version: 1.0{nl}"));
    let text_headers = format!("Content-Type: text/plain; charset=utf-8{nl}Content-Transfer-Encoding: {cte}{nl}");
    if atts.is_empty() {
        s.push_str(&text_headers);
        s.push_str(nl);
        s.push_str(&body);
        return s;
    }
    let boundary = "----=_Part_8412_1402";
    s.push_str(&format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"{nl}{nl}"));
    s.push_str(&format!("This is a multi-part message in MIME format.{nl}--{boundary}{nl}{text_headers}{nl}{body}"));
    for a in atts {
        s.push_str(&format!(
            "--{boundary}{nl}Content-Type: {}; name=\"{n}\"{nl}Content-Disposition: attachment; filename=\"{n}\"{nl}Content-Transfer-Encoding: base64{nl}{nl}{}{nl}",
            a.mime,
            base64(&a.bytes).replace("\r\n", nl),
            n = a.name
        ));
    }
    s.push_str(&format!("--{boundary}--{nl}"));
    s
}

/// The body of a GP/school referral about client `c`, signed by referrer `r`.
fn referral_body(c: &Person, r: &Person, with_attachment: bool, rng: &mut Rng) -> Vec<Line> {
    let mut b = vec![
        Line::new().t("Dear Referrals Team,"),
        Line::new(),
        Line::new()
            .t("Please accept this referral for ")
            .join(mention(c, rng))
            .t(" (DOB: ")
            .v(Cat::Dob, c.dob.fmt_any(rng))
            .t(")."),
    ];
    if with_attachment {
        b.push(Line::new().t("The completed referral form is attached."));
    } else {
        b.push(Line::new().t("NHS number: ").v(Cat::NhsNumber, values::fmt_nhs(&c.nhs, rng)));
        b.push(Line::new().t("Address: ").v(Cat::Address, c.street_line()).t(format!(", {}", c.town)));
        b.push(Line::new().v(Cat::Postcode, values::fmt_postcode(&c.postcode, rng)));
        b.push(
            Line::new()
                .t("Contact: ")
                .v(Cat::Phone, values::fmt_phone(&c.mobile, rng))
                .t(" or ")
                .v(Cat::Email, &c.email),
        );
    }
    b.push(
        Line::new()
            .t(format!("{} {} ", if c.female { "Her" } else { "His" }, c.kin.relation))
            .join(kin_mention(&c.kin, rng))
            .t(" is aware of the referral and happy to be contacted."),
    );
    b.push(Line::new().t(format!(
        "Reason for referral: {} and would benefit from regular contact with your service (waiting time approx. {} weeks; score = {}/10).",
        rng.pick(&["caring full-time for a relative with dementia", "low mood since a bereavement", "isolation after moving to the area"]),
        rng.range(2, 8),
        rng.range(3, 9)
    )));
    b.push(Line::new().t(format!(
        "Our reference: {}. Seen in clinic on {} at {}.",
        negative::reference(rng),
        super::txt::event_date(rng),
        negative::time(rng)
    )));
    b.push(Line::new());
    b.push(Line::new().t("Kind regards,"));
    b.push(Line::new().t(format!("{} ", r.title)).v(Cat::Name, r.full()));
    b.push(Line::new().t(format!("{}, {}", r.job, r.org)));
    b
}

fn role_box(name: &str, local: &str, domain: &str) -> Line {
    Line::new().t(format!("{name} <{local}@{domain}>"))
}

fn referral_eml(ctx: &mut Ctx, i: usize) -> io::Result<(String, Vec<u8>)> {
    let path = format!("Mail/referral-{:04}.eml", i + 1);
    let c = ctx.pool.clients[(i * 4 + 2) % ctx.pool.clients.len()].clone();
    let r = ctx.pool.referrers[i % ctx.pool.referrers.len()].clone();
    let s = ctx.pool.staff[(i + 1) % ctx.pool.staff.len()].clone();
    let domain = ctx.pool.charity.domain;
    let kind = i % 6; // 1, 4: docx attachment; 3: csv attachment; 2: quoted-printable
    let mut atts = Vec::new();
    if kind == 1 || kind == 4 {
        let blocks = docx::referral_form(&c, &r, &mut ctx.rng);
        let name = "referral-form.docx";
        let bytes = docx::build(ctx, &format!("{path}!attachments/{name}"), "Referral form", &r.full(), &blocks)?;
        atts.push(Attachment {
            name: name.into(),
            mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            bytes,
        });
    } else if kind == 3 {
        let n = ctx.pool.clients.len();
        let ids: Vec<usize> = (0..3).map(|k| (i * 5 + k * 7) % n).collect();
        let rows = super::csv::referral_rows(ctx, &ids);
        let name = "referral-list.csv";
        let bytes =
            super::csv::table(ctx, &format!("{path}!attachments/{name}"), ',', &super::csv::REFERRAL_HEADER, &rows);
        atts.push(Attachment { name: name.into(), mime: "text/csv", bytes });
    }
    let rng = &mut ctx.rng;
    let (date, _) = mail_date(rng);
    let subject = if rng.chance(50) {
        Line::new().t("Referral: ").v(Cat::Name, c.full())
    } else {
        Line::new().t(format!("New referral - our ref {}", negative::reference(rng)))
    };
    let mut headers = vec![("From", addr(&r, rng)), ("To", role_box("Referrals Team", "referrals", domain))];
    if rng.chance(60) {
        headers.push(("Cc", addr(&s, rng)));
    }
    headers.push(("Subject", subject));
    headers.push(("Date", Line::new().t(date)));
    headers.push(("Message-ID", Line::new().t(format!("<{}.{}@mail.gateway>", rng.digits(10), i))));
    let body = referral_body(&c, &r, !atts.is_empty() && kind != 3, rng);
    let text = render(ctx, &path, &Msg { headers, body }, kind == 2, &atts, "\r\n");
    Ok((path, text.into_bytes()))
}

/// The mbox export: a client's question and the reply quoting it, a
/// volunteer's bank-details change with a `From ` line, an internal thread.
fn mbox_messages(ctx: &mut Ctx) -> Vec<Msg> {
    let pool = &ctx.pool;
    let rng = &mut ctx.rng;
    let d = pool.charity.domain;
    let c = &pool.clients[5 % pool.clients.len()];
    let c2 = &pool.clients[9 % pool.clients.len()];
    let s = &pool.staff[1 % pool.staff.len()];
    let s2 = &pool.staff[2 % pool.staff.len()];
    let v = &pool.volunteers[2 % pool.volunteers.len()];
    let hdr = |from: Line, to: Line, subject: Line, rng: &mut Rng| {
        vec![("From", from), ("To", to), ("Subject", subject), ("Date", Line::new().t(mail_date(rng).0))]
    };
    let mut msgs = Vec::new();

    let q_body = vec![
        Line::new().t("Hello,"),
        Line::new(),
        Line::new()
            .t("Could someone call me about the Tuesday carers group? My number is ")
            .v(Cat::Phone, values::fmt_phone(&c.mobile, rng))
            .t("."),
        Line::new().t("My new address is ").v(Cat::Address, c.street_line()).t(format!(", {}", c.town)),
        Line::new().v(Cat::Postcode, values::fmt_postcode(&c.postcode, rng)).t("."),
        Line::new(),
        Line::new().t("Thanks,"),
        Line::new().v(Cat::Name, &c.first),
    ];
    let from_c = addr(c, rng);
    msgs.push(Msg {
        headers: hdr(from_c.clone(), role_box("Enquiries", "enquiries", d), Line::new().t("Carers group"), rng),
        body: q_body.clone(),
    });

    let mut reply = vec![
        Line::new().t("Dear ").v(Cat::Name, &c.first).t(","),
        Line::new(),
        Line::new()
            .t("Thank you, I have updated your record and ")
            .join(mention(s2, rng))
            .t(" will ring you this week."),
        Line::new(),
        Line::new().t("Best wishes,"),
        Line::new().v(Cat::Name, s.full()),
        Line::new().t(format!("{} | {} | Tel {}", s.job, pool.charity.name, pool.charity.phone)),
        Line::new(),
        Line::new()
            .t("On Tue, 5 Mar 2024 at 10:15, ")
            .v(Cat::Name, c.full())
            .t(" <")
            .v(Cat::Email, &c.email)
            .t("> wrote:"),
    ];
    for l in &q_body {
        reply.push(quote(l));
    }
    msgs.push(Msg { headers: hdr(addr(s, rng), from_c, Line::new().t("Re: Carers group"), rng), body: reply });

    let vbody = vec![
        Line::new().t("Hi ").v(Cat::Name, &s.first).t(","),
        Line::new(),
        Line::new().t("Please pay my mileage expenses into my new account:"),
        Line::new().t("Sort code: ").v(Cat::SortCode, &v.sort_code),
        Line::new().t("Account number: ").v(Cat::BankAccount, &v.account),
        Line::new().t(format!("From {} I will be away for two weeks.", values::MONTHS[rng.below(12)])),
        Line::new().t(format!("Claim total {} (form ref {}).", negative::amount(rng), negative::invoice(rng))),
        Line::new(),
        Line::new().v(Cat::Name, v.full()),
    ];
    msgs.push(Msg {
        headers: hdr(addr(v, rng), addr(s, rng), Line::new().t("Bank details for expenses"), rng),
        body: vbody,
    });

    let ibody = vec![
        Line::new().t("Hi ").v(Cat::Name, &s2.first).t(","),
        Line::new(),
        Line::new()
            .t("For the PIP form for ")
            .join(mention(c2, rng))
            .t(", the NI number is ")
            .v(Cat::Nino, values::fmt_nino(&c2.nino, rng))
            .t("."),
        Line::new().t("Date of birth: ").v(Cat::Dob, c2.dob.fmt_any(rng)),
        Line::new().t(format!("The DWP letter quoted {} which is not a valid NI number.", values::bad_nino(rng))),
        Line::new(),
        Line::new().v(Cat::Name, &s.first),
    ];
    let isubj = Line::new().t("PIP form - ").v(Cat::Name, c2.full());
    msgs.push(Msg { headers: hdr(addr(s, rng), addr(s2, rng), isubj, rng), body: ibody.clone() });

    let mut ibody2 = vec![
        Line::new()
            .t("Thanks ")
            .v(Cat::Name, &s.first)
            .t(", sent today. Their card for the hardship payment is on file."),
        Line::new(),
    ];
    if let Some(card) = &c2.card {
        ibody2.push(Line::new().t("Card: ").v(Cat::BankCard, card));
    } else {
        ibody2.push(Line::new().t(format!("Payment of {} made by BACS.", negative::amount(rng))));
    }
    ibody2.push(Line::new());
    for l in &ibody {
        ibody2.push(quote(l));
    }
    msgs.push(Msg {
        headers: hdr(addr(s2, rng), addr(s, rng), Line::new().t("Re: PIP form - ").v(Cat::Name, c2.full()), rng),
        body: ibody2,
    });

    let news = vec![
        Line::new().t("Hello,"),
        Line::new(),
        Line::new().t(format!(
            "Our summer fair is on {} from 11:00 at the Oast House, Maidstone.",
            super::txt::event_date(rng)
        )),
        Line::new().t(format!(
            "We raised {} last year. Registered charity no. {}.",
            negative::amount(rng),
            pool.charity.number
        )),
        Line::new().t(format!("Questions? Email hello@{d} or call {}.", pool.charity.phone)),
    ];
    msgs.push(Msg {
        headers: hdr(
            role_box(pool.charity.name, "noreply", d),
            role_box("Supporters", "office", d),
            Line::new().t("Summer newsletter"),
            rng,
        ),
        body: news,
    });
    msgs
}

/// A reply's quoted copy of a line: `> ` prefix (`>` alone on an empty line).
fn quote(l: &Line) -> Line {
    let text = if l.text.is_empty() { ">".to_string() } else { format!("> {}", l.text) };
    Line { text, items: l.items.clone() }
}

fn mbox(ctx: &mut Ctx) -> Vec<u8> {
    let msgs = mbox_messages(ctx);
    let mut out = String::new();
    for (i, m) in msgs.iter().enumerate() {
        let path = format!("Mail/export.mbox!{}", i + 1);
        let text = render(ctx, &path, m, false, &[], "\n");
        out.push_str(&format!("From MAILER-DAEMON Tue Mar  5 10:{:02}:00 2024\n", i));
        for line in text.lines() {
            if line.starts_with("From ") || line.starts_with(">From ") {
                out.push('>');
            }
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
    }
    out.into_bytes()
}

pub fn write_all(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
    for i in 0..8 * ctx.scale {
        files.push(referral_eml(ctx, i)?);
    }
    let bytes = mbox(ctx);
    files.push(("Mail/export.mbox".into(), bytes));
    Ok(())
}

/// An Outlook data file (`Mail/casework.pst`, written by [`crate::pst`]):
/// referrals in the Inbox as the .eml files have them, and in Sent Items a
/// message forwarding a client's own message as an attachment, with a
/// contact list attached to that. Labels use the reader's item paths
/// (`casework.pst!Inbox/2024-03-05 SUBJECT`, `…!attachments/SUBJECT.eml`).
pub fn write_pst(ctx: &mut Ctx, files: &mut Vec<(String, Vec<u8>)>) {
    use crate::pst;
    let store_path = "Mail/casework.pst";
    let domain = ctx.pool.charity.domain;
    // Noon on 5 March 2024 (UTC), a day apart for each message.
    let day = |n: i64| 1_709_640_000 + n * 86_400;
    let date = |n: i64| chrono::DateTime::from_timestamp(day(n), 0).unwrap_or_default().format("%Y-%m-%d").to_string();
    let label_person = |ctx: &mut Ctx, path: &str, p: &Person, header: &str| {
        ctx.label(path, Cat::Name, &p.full(), header);
        ctx.label(path, Cat::Email, &p.email, header);
    };
    let mut inbox = Vec::new();
    // A few: the test kit's writer keeps a store small (about 248 KB).
    for i in 0..(2 * ctx.scale).min(6) {
        let c = ctx.pool.clients[(i * 3 + 1) % ctx.pool.clients.len()].clone();
        let r = ctx.pool.referrers[(i + 2) % ctx.pool.referrers.len()].clone();
        let subject = format!("Referral {}", i + 1);
        let path = format!("{store_path}!Inbox/{} {subject}", date(i as i64));
        let body = referral_body(&c, &r, false, &mut ctx.rng);
        ctx.label_lines(&path, &body, |n| format!("body line {}", n + 1));
        label_person(ctx, &path, &r, "header From");
        inbox.push(pst::Message {
            subject,
            from_name: r.full(),
            from_address: r.email.clone(),
            recipients: vec![pst::Recipient {
                name: "Referrals Team".into(),
                address: format!("referrals@{domain}"),
                kind: 1,
            }],
            sent: day(i as i64),
            body: body.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\r\n"),
            attachments: Vec::new(),
        });
    }
    // A client's own message, forwarded by a member of staff.
    let c = ctx.pool.clients[7 % ctx.pool.clients.len()].clone();
    let kin = ctx.pool.clients[11 % ctx.pool.clients.len()].clone();
    let s = ctx.pool.staff[3 % ctx.pool.staff.len()].clone();
    let s2 = ctx.pool.staff[4 % ctx.pool.staff.len()].clone();
    let rng = &mut ctx.rng;
    let item = format!("{store_path}!Sent Items/{} FW Change of details", date(20));
    let attached = format!("{item}!attachments/Change of details.eml");
    let inner_body = vec![
        Line::new().t("Hello,"),
        Line::new(),
        Line::new().t("My new mobile number is ").v(Cat::Phone, values::fmt_phone(&c.mobile, rng)).t("."),
        Line::new().t("We have moved to ").v(Cat::Address, c.street_line()).t(format!(", {}", c.town)),
        Line::new().v(Cat::Postcode, values::fmt_postcode(&c.postcode, rng)).t("."),
        Line::new().t("My NHS number is ").v(Cat::NhsNumber, values::fmt_nhs(&c.nhs, rng)).t("."),
        Line::new(),
        Line::new().t("Thanks,"),
        Line::new().v(Cat::Name, c.full()),
    ];
    let kin_phone = values::fmt_phone(&kin.mobile, rng);
    let contacts = format!("Name,Phone\n{},{kin_phone}\n", kin.full());
    let outer_body = vec![
        Line::new().t("Hi ").v(Cat::Name, &s2.first).t(","),
        Line::new(),
        Line::new().t("Please update the record: the message is attached."),
        Line::new(),
        Line::new().v(Cat::Name, s.full()),
    ];
    ctx.label_lines(&attached, &inner_body, |n| format!("body line {}", n + 1));
    label_person(ctx, &attached, &c, "header From");
    label_person(ctx, &attached, &s, "header To");
    let csv_path = format!("{attached}!attachments/contacts.csv");
    ctx.label(&csv_path, Cat::Name, &kin.full(), "row 2, col Name");
    ctx.label(&csv_path, Cat::Phone, &kin_phone, "row 2, col Phone");
    ctx.label_lines(&item, &outer_body, |n| format!("body line {}", n + 1));
    label_person(ctx, &item, &s, "header From");
    label_person(ctx, &item, &s2, "header To");
    let join = |lines: &[Line]| lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\r\n");
    let inner = pst::Message {
        subject: "Change of details".into(),
        from_name: c.full(),
        from_address: c.email.clone(),
        recipients: vec![pst::Recipient { name: s.full(), address: s.email.clone(), kind: 1 }],
        sent: day(19),
        body: join(&inner_body),
        attachments: vec![pst::Attachment::File {
            name: "contacts.csv".into(),
            mime: "text/csv".into(),
            data: contacts.into_bytes(),
        }],
    };
    let forward = pst::Message {
        subject: "FW Change of details".into(),
        from_name: s.full(),
        from_address: s.email.clone(),
        recipients: vec![pst::Recipient { name: s2.full(), address: s2.email.clone(), kind: 1 }],
        sent: day(20),
        body: join(&outer_body),
        attachments: vec![pst::Attachment::Message(Box::new(inner))],
    };
    let store = pst::Store {
        name: "Casework".into(),
        folders: vec![
            pst::Folder { name: "Inbox".into(), messages: inbox, folders: Vec::new() },
            pst::Folder { name: "Sent Items".into(), messages: vec![forward], folders: Vec::new() },
        ],
    };
    files.push((store_path.into(), pst::write(&store)));
}
