//! Mail: eml and mbox. Each message is parsed with mailparse and written
//! again by a small MIME writer, keeping its structure: the headers that
//! name people or hold free text (as the extractor reads them) are
//! rewritten, the routing and tracking headers (`Received`, `X-...`,
//! `DKIM-Signature`...) are left out, text and HTML bodies are rewritten and
//! re-encoded as UTF-8 quoted-printable, attachments are anonymised with
//! their own writers (and left out, with a note, when that is not possible),
//! and attached messages are rewritten the same way. An mbox is streamed
//! message by message.

use std::io::{BufRead, Write};

use mailparse::{DispositionType, ParsedMail};

use crate::formats::mail::HEADERS;
use crate::formats::rewrite::{Outcome, Rewrite};
use crate::formats::text::anonymise::{html_spans, line_spans};
use crate::formats::{Loc, Segment};

/// Headers kept as they are (no personal data beyond what the extractor reads).
const KEPT: &[&str] = &["Date", "Message-ID", "In-Reply-To", "References", "Importance", "Priority"];

/// An eml's copy.
pub fn write_eml(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    let mail = mailparse::parse_mail(data).map_err(|e| format!("corrupt eml: {e}"))?;
    let nl = if data.windows(2).any(|w| w == b"\r\n") { "\r\n" } else { "\n" };
    let mut out = String::new();
    let mut boundary = 0u32;
    headers(work, &mail, &mut out, nl);
    out.push_str(&format!("MIME-Version: 1.0{nl}"));
    part(work, &mail, &mut out, nl, &mut boundary);
    Ok(out.into_bytes())
}

/// The top-level headers: people's headers rewritten, kept ones copied.
fn headers(work: &mut dyn Rewrite, mail: &ParsedMail<'_>, out: &mut String, nl: &str) {
    for h in &mail.headers {
        let key = h.get_key();
        if let Some(&name) = HEADERS.iter().find(|n| n.eq_ignore_ascii_case(&key)) {
            let value = h.get_value();
            let value = value.trim();
            let seg = Segment { loc: Loc::Header(name), text: value, context: Some(name) };
            let new = work.rewrite(&seg).unwrap_or_else(|| value.to_string());
            out.push_str(&format!("{name}: {}{nl}", encode_header(&new)));
        } else if let Some(&name) = KEPT.iter().find(|n| n.eq_ignore_ascii_case(&key)) {
            let value = String::from_utf8_lossy(h.get_value_raw()).into_owned();
            out.push_str(&format!("{name}: {}{nl}", value.trim()));
        }
    }
}

/// Write one MIME part's own headers and body.
fn part(work: &mut dyn Rewrite, p: &ParsedMail<'_>, out: &mut String, nl: &str, boundary: &mut u32) {
    let mime = p.ctype.mimetype.to_ascii_lowercase();
    if mime.starts_with("multipart/") && !p.subparts.is_empty() {
        *boundary += 1;
        let b = format!("=_piisweep_{}_{boundary}", work.depth());
        out.push_str(&format!("Content-Type: {mime}; boundary=\"{b}\"{nl}{nl}"));
        for sub in &p.subparts {
            let mut body = String::new();
            if sub_part(work, sub, &mut body, nl, boundary) {
                out.push_str(&format!("--{b}{nl}"));
                out.push_str(&body);
                out.push_str(nl);
            }
        }
        out.push_str(&format!("--{b}--{nl}"));
        return;
    }
    if !sub_part(work, p, out, nl, boundary) {
        // The only part was left out: say so in the body.
        out.push_str(&format!("Content-Type: text/plain; charset=utf-8{nl}{nl}(attachment removed){nl}"));
    }
}

/// A part inside a message (or the body of a single-part message); false
/// when it was left out.
fn sub_part(work: &mut dyn Rewrite, p: &ParsedMail<'_>, out: &mut String, nl: &str, boundary: &mut u32) -> bool {
    let mime = p.ctype.mimetype.to_ascii_lowercase();
    if mime.starts_with("multipart/") && !p.subparts.is_empty() {
        part(work, p, out, nl, boundary);
        return true;
    }
    let disposition = p.get_content_disposition();
    let is_attachment = disposition.disposition == DispositionType::Attachment
        || disposition.params.contains_key("filename")
        || (p.ctype.params.contains_key("name") && !mime.starts_with("text/"));
    if !is_attachment && (mime == "text/plain" || mime == "text/html" || mime.is_empty()) {
        let body = p.get_body().unwrap_or_default();
        let spans = if mime == "text/html" { html_spans(work, &body) } else { line_spans(work, "body line", &body) };
        let new = work.apply_spans(&body, &spans);
        let mime = if mime.is_empty() { "text/plain" } else { mime.as_str() };
        out.push_str(&format!(
            "Content-Type: {mime}; charset=utf-8{nl}Content-Transfer-Encoding: quoted-printable{nl}{nl}"
        ));
        out.push_str(&quoted_printable(&new, nl));
        return true;
    }
    let raw = p.get_body_raw().unwrap_or_default();
    if mime == "message/rfc822" && !is_attachment {
        work.nest(true);
        let inner = write_eml(work, &raw);
        work.nest(false);
        return match inner {
            Ok(bytes) => {
                out.push_str(&format!("Content-Type: message/rfc822{nl}{nl}"));
                out.push_str(&String::from_utf8_lossy(&bytes));
                true
            }
            Err(e) => {
                work.not_copied("attached message", &e);
                false
            }
        };
    }
    let name = disposition
        .params
        .get("filename")
        .or_else(|| p.ctype.params.get("name"))
        .cloned()
        .unwrap_or_else(|| format!("attachment.{}", if mime == "message/rfc822" { "eml" } else { "bin" }));
    match work.nested(&name, &raw) {
        Outcome::Written { name: new_name, data } => {
            let new_name = work.rename(&new_name);
            let new_name = work.rewrite(&Segment::fixed("attachment name", &new_name, None)).unwrap_or(new_name);
            let mime =
                if new_name.to_ascii_lowercase().ends_with(".xlsx") && !name.to_ascii_lowercase().ends_with(".xlsx") {
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()
                } else {
                    mime
                };
            let quoted = encode_header(&new_name).replace('"', "'");
            out.push_str(&format!(
                "Content-Type: {mime}; name=\"{quoted}\"{nl}Content-Disposition: attachment; filename=\"{quoted}\"{nl}Content-Transfer-Encoding: base64{nl}{nl}"
            ));
            out.push_str(&base64_lines(&data, nl));
            true
        }
        Outcome::NotCopied(reason) => {
            work.not_copied(&format!("attachment {name}"), &reason);
            false
        }
    }
}

/// A header value, with RFC 2047 encoded words for words that are not ASCII.
fn encode_header(value: &str) -> String {
    let one_line = value.replace(['\r', '\n'], " ");
    if one_line.is_ascii() {
        return one_line;
    }
    one_line
        .split(' ')
        .map(|w| if w.is_ascii() { w.to_string() } else { format!("=?UTF-8?B?{}?=", base64(w.as_bytes())) })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Quoted-printable (RFC 2045) of UTF-8 text, lines ended by `nl`; a line
/// starting `From ` has its `F` encoded so mbox readers never split there.
pub fn quoted_printable(text: &str, nl: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let bytes = line.as_bytes();
        let mut width = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let literal = (b == b' ' || b == b'\t') && !last
                || (33..=126).contains(&b)
                    && b != b'='
                    && !(i == 0 && b == b'F' && line.starts_with("From "))
                    && !(i == 0 && b == b'.');
            let piece = if literal { (b as char).to_string() } else { format!("={b:02X}") };
            if width + piece.len() > 75 {
                out.push('=');
                out.push_str(nl);
                width = 0;
            }
            width += piece.len();
            out.push_str(&piece);
        }
        out.push_str(nl);
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 in lines of 76 characters.
fn base64_lines(data: &[u8], nl: &str) -> String {
    let encoded = base64(data);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 76 * 2 + 2);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push_str(nl);
    }
    out
}

/// An mbox's copy: messages read one at a time from `input` (split by the
/// one mbox splitter, [`super::mbox`], as the reader splits them), each
/// anonymised as an eml and written with a neutral `From ` separator line
/// (the sender's address left out, the date kept).
pub fn write_mbox(work: &mut dyn Rewrite, input: &mut dyn BufRead, out: &mut dyn Write) -> std::io::Result<()> {
    let limit = work.limits().max_in_memory;
    super::mbox::split(input, limit, &mut MboxCopy { work, out })
}

/// An mbox held in memory (a part): its copy.
pub fn write_mbox_bytes(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    write_mbox(work, &mut &data[..], &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Writes each message of an mbox into its copy.
struct MboxCopy<'w> {
    work: &'w mut dyn Rewrite,
    out: &'w mut dyn Write,
}

impl super::mbox::Messages for MboxCopy<'_> {
    fn message(&mut self, number: u64, separator: &[u8], message: &[u8]) -> std::io::Result<()> {
        finish_message(self.work, number, separator, message, false, self.out)
    }
    fn too_large(&mut self, number: u64) -> std::io::Result<()> {
        finish_message(self.work, number, b"", b"", true, self.out)
    }
}

/// Anonymise one mbox message and append it to the copy.
fn finish_message(
    work: &mut dyn Rewrite,
    number: u64,
    from_line: &[u8],
    message: &[u8],
    too_big: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if too_big {
        work.not_copied(&format!("message {number}"), "larger than the in-memory limit");
        return Ok(());
    }
    if message.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let body = message.strip_suffix(b"\n").unwrap_or(message);
    work.nest(true);
    let result = write_eml(work, body);
    work.nest(false);
    let anonymised = match result {
        Ok(m) => m,
        Err(e) => {
            work.not_copied(&format!("message {number}"), &e);
            return Ok(());
        }
    };
    // Keep the date of the separator line, not the sender.
    let from = String::from_utf8_lossy(from_line);
    let date = from.trim_end().splitn(3, ' ').nth(2).filter(|d| !d.is_empty()).unwrap_or("Thu Jan  1 00:00:00 1970");
    writeln!(out, "From MAILER-DAEMON {date}")?;
    for line in anonymised.split_inclusive(|&b| b == b'\n') {
        if line.iter().skip_while(|&&b| b == b'>').take(5).eq(b"From ".iter()) {
            out.write_all(b">")?;
        }
        out.write_all(line)?;
    }
    if !anonymised.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymise::Work;

    #[test]
    fn an_mbox_copy_splits_messages_where_the_reader_does() {
        // The first line is a separator even with no date in it: the reader
        // reads one message, and the copy must not keep the sender's
        // address from that line as text.
        let mbox = "From jane.roberts@example.org\nFrom: Jane Roberts <jane.roberts@example.org>\nSubject: hi\n\n\
                    Please call me.\n\nFrom bob@example.org Mon Feb  3 10:00:00 2025\nSubject: two\n\nSecond.\n";
        let mut read = crate::formats::Collect::default();
        let input = crate::formats::Input::Bytes(mbox.as_bytes());
        crate::formats::mail::extract_mbox(&input, &mut read, &crate::formats::Limits::default()).unwrap();
        assert_eq!(read.parts.len(), 2);
        let parts = crate::anonymise::TestParts::new();
        let anon = parts.anonymiser();
        let mut work = Work::plain(&anon);
        let mut out = Vec::new();
        write_mbox(&mut work, &mut mbox.as_bytes(), &mut out).unwrap();
        let copy = String::from_utf8(out).unwrap();
        assert_eq!(copy.matches("From MAILER-DAEMON").count(), 2, "{copy}");
        assert!(copy.starts_with("From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"), "{copy}");
        assert!(copy.contains("From MAILER-DAEMON Mon Feb  3 10:00:00 2025\n"), "{copy}");
        assert!(!copy.contains("jane.roberts@example.org"), "{copy}");
        assert!(copy.contains("Please call me.") && copy.contains("Second."), "{copy}");
    }

    #[test]
    fn encoders() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        let qp = quoted_printable("From here, café = ok \nline", "\n");
        assert_eq!(qp, "=46rom here, caf=C3=A9 =3D ok=20\nline\n");
        let long = "x".repeat(200);
        assert!(quoted_printable(&long, "\n").lines().all(|l| l.len() <= 76));
        let decoded = mailparse::parse_mail(
            format!(
                "Content-Transfer-Encoding: quoted-printable\nContent-Type: text/plain; charset=utf-8\n\n{}",
                quoted_printable("From here, café = ok \nline", "\n")
            )
            .as_bytes(),
        )
        .unwrap()
        .get_body()
        .unwrap();
        assert_eq!(decoded.replace("\r\n", "\n").trim_end(), "From here, café = ok \nline");
    }
}
