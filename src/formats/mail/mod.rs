//! Mail: eml and mbox via mailparse; Outlook msg via its OLE streams.
//!
//! An eml yields its address and subject headers (`header From`), its body
//! text (`body line N`, numbered across all text parts of the message) and its
//! attachments as parts (`attachments/cv.docx`). An mbox is streamed message by
//! message, each handed on as a part named by its number (`3`).

pub mod anonymise;
pub mod mbox;

use std::collections::HashSet;
use std::io::{Cursor, Read};

use charset::Charset;
use encoding_rs::UTF_8;
use mailparse::{DispositionType, MailHeaderMap, ParsedMail};

use super::text::{Blocks, decode_mixed, html_to_text};
use super::{Emit, ExtractError, Input, Limits, Loc, Result, Segment};

/// Headers that name people or hold free text, emitted as segments in this order.
pub const HEADERS: &[&str] =
    &["From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Subject", "Delivered-To", "Return-Path", "X-Original-To"];

/// Location prefix of body text.
const BODY: &str = "body line";

pub fn extract_eml(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let bytes = input.bytes(limits.max_in_memory)?;
    let mail = match mailparse::parse_mail(&bytes) {
        Ok(mail) => mail,
        // The MIME structure could not be followed (multiparts nested past
        // the parser's limit): headers as usual, the body as plain text.
        Err(e) => {
            let (headers, body_at) = mailparse::parse_headers(&bytes).map_err(|e| ExtractError::corrupt("eml", e))?;
            emit_headers(&headers, emit);
            emit.warn(format!(
                "its MIME structure could not be read ({e}): the body was read as plain text, attachments not opened"
            ));
            emit_body(&decode_mixed(&bytes[body_at..]), emit);
            return Ok(());
        }
    };
    emit_headers(&mail.headers, emit);
    let open_parts = emit.depth() < limits.max_depth;
    let mut walk = MimeWalk { emit, next_line: 1, names: Names::default(), open_parts, unopened: 0 };
    walk.part(&mail, false);
    if walk.unopened > 0 {
        let n = walk.unopened;
        emit.warn(format!("{n} attachment(s) not opened: containers nested more than {} deep", limits.max_depth));
    }
    Ok(())
}

/// Emit each address/subject header as a `header {Name}` segment.
fn emit_headers(headers: &[mailparse::MailHeader<'_>], emit: &mut dyn Emit) {
    for &name in HEADERS {
        for header in headers.get_all_headers(name) {
            let value = header_value(header);
            if !value.trim().is_empty() {
                emit.segment(Segment { loc: Loc::Header(name), text: value.trim(), context: Some(name) });
            }
        }
    }
}

/// A header's value, its RFC 2047 encoded-words decoded. Raw 8-bit bytes
/// inside a `Q` encoded-word (some clients write them unencoded) are taken
/// as if `=XX`-encoded, so that the word still decodes in its charset.
pub fn header_value(header: &mailparse::MailHeader<'_>) -> String {
    let raw = header.get_value_raw();
    if raw.is_ascii() {
        return header.get_value();
    }
    let mut line = b"X: ".to_vec();
    let mut rest = raw;
    while let Some(start) = find(rest, b"=?") {
        line.extend_from_slice(&rest[..start]);
        rest = &rest[start..];
        // =?charset?Q?text?=
        let word = (|| {
            let q1 = 2 + rest[2..].iter().position(|&b| b == b'?')?;
            let encoding = *rest.get(q1 + 1)?;
            if rest.get(q1 + 2) != Some(&b'?') {
                return None;
            }
            let end = q1 + 3 + find(&rest[q1 + 3..], b"?=")? + 2;
            Some((q1, encoding, end))
        })();
        let Some((q1, encoding, end)) = word else {
            line.extend_from_slice(&rest[..2]);
            rest = &rest[2..];
            continue;
        };
        if encoding.eq_ignore_ascii_case(&b'q') {
            line.extend_from_slice(&rest[..q1 + 3]);
            for &b in &rest[q1 + 3..end - 2] {
                if b >= 0x80 {
                    line.extend_from_slice(format!("={b:02X}").as_bytes());
                } else {
                    line.push(b);
                }
            }
            line.extend_from_slice(b"?=");
        } else {
            line.extend_from_slice(&rest[..end]);
        }
        rest = &rest[end..];
    }
    line.extend_from_slice(rest);
    match mailparse::parse_header(&line) {
        Ok((h, _)) => h.get_value(),
        Err(_) => header.get_value(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Walks a MIME tree, emitting body text and attachments.
struct MimeWalk<'e> {
    emit: &'e mut dyn Emit,
    /// The body line number the next text part starts at.
    next_line: u64,
    /// Attachment names given so far.
    names: Names,
    /// False when nested too deep: attachments are counted, not emitted.
    open_parts: bool,
    /// Attachments not emitted because of the depth limit.
    unopened: usize,
}

impl MimeWalk<'_> {
    /// Handle one MIME part; `text_done` is true when a plain-text alternative
    /// already carries this part's text (so its HTML is not read again).
    fn part(&mut self, part: &ParsedMail<'_>, text_done: bool) {
        let mime = part.ctype.mimetype.as_str();
        if mime.starts_with("multipart/") && !part.subparts.is_empty() {
            let has_plain = mime == "multipart/alternative" && part.subparts.iter().any(is_plain_text);
            for sub in &part.subparts {
                self.part(sub, text_done || (has_plain && !is_plain_text(sub)));
            }
            return;
        }
        if is_attachment(part) {
            self.attachment(part);
            return;
        }
        if text_done {
            return;
        }
        let Ok(raw) = part.get_body_raw() else {
            self.emit.warn(format!("a {mime} body part could not be decoded"));
            return;
        };
        let text = decode_text(&raw, &part.ctype.charset);
        if mime == "text/html" {
            self.body_text(&html_to_text(text.as_bytes()));
        } else {
            self.body_text(&text);
        }
    }

    /// Emit text as body lines, numbered on from the previous text part.
    fn body_text(&mut self, text: &str) {
        let mut blocks = Blocks::new(BODY, &mut *self.emit);
        let mut n = self.next_line;
        for line in text.lines() {
            blocks.push(n, line);
            n += 1;
        }
        blocks.flush();
        // A blank line between parts keeps their blocks apart.
        self.next_line = n + 1;
    }

    fn attachment(&mut self, part: &ParsedMail<'_>) {
        if !self.open_parts {
            self.unopened += 1;
            return;
        }
        let name = self.names.name_for(part);
        match part.get_body_raw() {
            Ok(data) => self.emit.part(&format!("attachments/{name}"), &data),
            Err(e) => self.emit.warn(format!("attachments/{name}: cannot be decoded ({e})")),
        }
    }
}

/// A text/plain part with some text, read as the message body.
fn is_plain_text(part: &ParsedMail<'_>) -> bool {
    part.ctype.mimetype == "text/plain"
        && !is_attachment(part)
        && part.get_body_raw().is_ok_and(|b| b.iter().any(|c| !c.is_ascii_whitespace()))
}

/// Anything but an inline, unnamed text/plain or text/html part is an attachment.
fn is_attachment(part: &ParsedMail<'_>) -> bool {
    let mime = part.ctype.mimetype.as_str();
    if mime.starts_with("multipart/") {
        // Only reached when it had no parts to split (no boundary): read as text.
        return false;
    }
    if mime != "text/plain" && mime != "text/html" {
        return true;
    }
    let disposition = part.get_content_disposition();
    disposition.disposition == DispositionType::Attachment
        || disposition.params.contains_key("filename")
        || part.ctype.params.contains_key("name")
}

/// Decode body bytes in their declared charset (UTF-7 too); with none (or
/// plain ASCII declared), or UTF-8 declared, UTF-8 where valid and
/// Windows-1252 for each byte that is not, so that one bad byte spoils
/// only itself.
pub fn decode_text(raw: &[u8], charset: &str) -> String {
    let declared = Charset::for_label(charset.trim().as_bytes());
    let ascii = charset.eq_ignore_ascii_case("us-ascii") || charset.eq_ignore_ascii_case("ascii");
    match declared {
        Some(cs) if cs != Charset::for_encoding(UTF_8) && !ascii => cs.decode_without_bom_handling(raw).0.into_owned(),
        _ => decode_mixed(raw),
    }
}

/// Gives each attachment of one message a unique, safe name.
#[derive(Default)]
struct Names {
    used: HashSet<String>,
    /// Attachments seen so far, for `part-N` names.
    count: usize,
}

impl Names {
    fn name_for(&mut self, part: &ParsedMail<'_>) -> String {
        self.count += 1;
        let disposition = part.get_content_disposition();
        let given = disposition
            .params
            .get("filename")
            .or_else(|| part.ctype.params.get("name"))
            .map(|n| safe_name(n))
            .filter(|n| !n.is_empty());
        let mime = part.ctype.mimetype.as_str();
        let name = if mime == "message/rfc822" {
            let stem = given
                .map(|g| g.strip_suffix(".eml").map(str::to_string).unwrap_or(g))
                .or_else(|| embedded_subject(part))
                .unwrap_or_else(|| format!("part-{}", self.count));
            format!("{stem}.eml")
        } else {
            given.unwrap_or_else(|| format!("part-{}.{}", self.count, ext_for_mime(mime)))
        };
        self.unique(name)
    }

    /// `name`, or `stem (2).ext`, `stem (3).ext` ... if already used.
    fn unique(&mut self, name: String) -> String {
        let mut candidate = name.clone();
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
            _ => (name.clone(), String::new()),
        };
        let mut k = 2;
        while self.used.contains(&candidate) {
            candidate = format!("{stem} ({k}){ext}");
            k += 1;
        }
        self.used.insert(candidate.clone());
        candidate
    }
}

/// The subject of an attached message, made safe as a file name.
fn embedded_subject(part: &ParsedMail<'_>) -> Option<String> {
    let data = part.get_body_raw().ok()?;
    let (headers, _) = mailparse::parse_headers(&data).ok()?;
    let subject = safe_name(&headers.get_first_value("Subject")?.replace(['/', '\\'], "_"));
    (!subject.is_empty()).then_some(subject)
}

/// A file name without folders (senders' clients sometimes send full Windows
/// paths), control characters or `!` (which separates parts in paths), at most
/// 120 characters.
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().map(|c| if c.is_control() || c == '!' { '_' } else { c }).take(120).collect();
    let trimmed = cleaned.trim().trim_start_matches('.');
    trimmed.to_string()
}

/// A file extension for an unnamed attachment of this MIME type.
fn ext_for_mime(mime: &str) -> &'static str {
    match mime {
        "application/pdf" => "pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/msword" => "doc",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.oasis.opendocument.text" => "odt",
        "application/vnd.oasis.opendocument.spreadsheet" => "ods",
        "application/vnd.ms-outlook" => "msg",
        "application/rtf" | "text/rtf" => "rtf",
        "application/zip" | "application/x-zip-compressed" => "zip",
        "text/csv" => "csv",
        "text/html" => "html",
        "text/calendar" => "ics",
        "text/vcard" | "text/x-vcard" => "vcf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "message/rfc822" => "eml",
        m if m.starts_with("text/") => "txt",
        _ => "bin",
    }
}

pub fn extract_mbox(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let mut reader = input.reader()?;
    let limit = limits.max_in_memory;
    mbox::split(&mut reader, limit, &mut Parts { emit, limit })?;
    Ok(())
}

/// Hands each mbox message on as a part named by its number.
struct Parts<'e> {
    emit: &'e mut dyn Emit,
    limit: u64,
}

impl mbox::Messages for Parts<'_> {
    fn message(&mut self, number: u64, _separator: &[u8], message: &[u8]) -> std::io::Result<()> {
        self.emit.part(&number.to_string(), message);
        Ok(())
    }
    fn too_large(&mut self, number: u64) -> std::io::Result<()> {
        self.emit
            .warn(format!("message {number}: larger than the in-memory limit ({} MB), not read", self.limit >> 20));
        Ok(())
    }
}

pub fn extract_msg(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let bytes = input.bytes(limits.max_in_memory)?;
    let cfb = cfb::CompoundFile::open(Cursor::new(bytes.as_ref())).map_err(|e| ExtractError::corrupt("msg", e))?;
    let mut msg = Msg { cfb, limit: limits.max_in_memory };
    if !msg.cfb.read_root_storage().any(|e| e.name().starts_with("__substg1.0_")) {
        return Err(ExtractError::corrupt("msg", "no Outlook message properties in this OLE file"));
    }
    msg.emit_headers(emit);
    let body = msg.string("", 0x1000);
    match body {
        Some(text) if !text.trim().is_empty() => emit_body(&text, emit),
        _ => {
            if let Some(html) = msg.html_body() {
                emit_body(&html_to_text(html.as_bytes()), emit);
            }
        }
    }
    if emit.depth() >= limits.max_depth {
        let n = msg.storages("__attach_version1.0_#").len();
        if n > 0 {
            emit.warn(format!("{n} attachment(s) not opened: containers nested more than {} deep", limits.max_depth));
        }
        return Ok(());
    }
    msg.emit_attachments(emit);
    Ok(())
}

/// Emit a whole body text as `body line N` blocks.
fn emit_body(text: &str, emit: &mut dyn Emit) {
    let mut blocks = Blocks::new(BODY, emit);
    for (i, line) in text.lines().enumerate() {
        blocks.push(i as u64 + 1, line);
    }
    blocks.flush();
}

/// MAPI property ids read from a .msg.
mod prop {
    pub const SUBJECT: u16 = 0x0037;
    pub const SENDER_NAME: u16 = 0x0C1A;
    pub const SENDER_EMAIL: u16 = 0x0C1F;
    pub const SENDER_SMTP: u16 = 0x5D01;
    pub const DISPLAY_BCC: u16 = 0x0E02;
    pub const DISPLAY_CC: u16 = 0x0E03;
    pub const DISPLAY_TO: u16 = 0x0E04;
    pub const HTML: u16 = 0x1013;
    pub const RECIPIENT_TYPE: u16 = 0x0C15;
    pub const DISPLAY_NAME: u16 = 0x3001;
    pub const EMAIL: u16 = 0x3003;
    pub const SMTP: u16 = 0x39FE;
    pub const ATTACH_DATA: u16 = 0x3701;
    pub const ATTACH_SHORT_NAME: u16 = 0x3704;
    pub const ATTACH_LONG_NAME: u16 = 0x3707;
    pub const ATTACH_MIME: u16 = 0x370E;
}

/// An Outlook message: an OLE compound file holding one stream per MAPI
/// property (`__substg1.0_IIIITTTT`, id and type), with a storage per
/// recipient and per attachment.
struct Msg<'b> {
    cfb: cfb::CompoundFile<Cursor<&'b [u8]>>,
    /// Longest stream read.
    limit: u64,
}

impl Msg<'_> {
    /// The whole stream at `path`, if there is one (at most `limit` bytes).
    fn stream(&mut self, path: &str) -> Option<Vec<u8>> {
        let stream = self.cfb.open_stream(path).ok()?;
        let mut data = Vec::new();
        stream.take(self.limit).read_to_end(&mut data).ok()?;
        Some(data)
    }

    /// A string property of `storage` ("" for the message itself): UTF-16
    /// (type 001F) or 8-bit (001E), without trailing NULs.
    fn string(&mut self, storage: &str, id: u16) -> Option<String> {
        let text = if let Some(raw) = self.stream(&format!("{storage}/__substg1.0_{id:04X}001F")) {
            let units: Vec<u16> = raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            String::from_utf16_lossy(&units)
        } else {
            let raw = self.stream(&format!("{storage}/__substg1.0_{id:04X}001E"))?;
            decode_text(&raw, "")
        };
        let text = text.trim_end_matches('\0').trim().to_string();
        (!text.is_empty()).then_some(text)
    }

    fn binary(&mut self, storage: &str, id: u16) -> Option<Vec<u8>> {
        self.stream(&format!("{storage}/__substg1.0_{id:04X}0102"))
    }

    /// A 32-bit integer property of a recipient or attachment storage, from
    /// its fixed-size property table (8-byte header, 16-byte entries).
    fn long(&mut self, storage: &str, id: u16) -> Option<u32> {
        let table = self.stream(&format!("{storage}/__properties_version1.0"))?;
        let tag = (u32::from(id) << 16) | 0x0003;
        table.get(8..)?.chunks_exact(16).find_map(|e| {
            let entry_tag = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
            (entry_tag == tag).then(|| u32::from_le_bytes([e[8], e[9], e[10], e[11]]))
        })
    }

    /// Names of the root storages starting with `prefix`, in order.
    fn storages(&self, prefix: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .cfb
            .read_root_storage()
            .filter(|e| e.is_storage() && e.name().starts_with(prefix))
            .map(|e| e.name().to_string())
            .collect();
        names.sort();
        names
    }

    fn html_body(&mut self) -> Option<String> {
        match self.binary("", prop::HTML) {
            Some(raw) => Some(decode_text(&raw, "")),
            None => self.string("", prop::HTML),
        }
    }

    /// From, To, Cc, Bcc and Subject as `header` segments.
    fn emit_headers(&mut self, emit: &mut dyn Emit) {
        let name = self.string("", prop::SENDER_NAME);
        let address = self.string("", prop::SENDER_SMTP).or_else(|| self.string("", prop::SENDER_EMAIL));
        if let Some(from) = display_address(name, address) {
            emit.segment(Segment { loc: Loc::Header("From"), text: &from, context: Some("From") });
        }
        let mut lists: [Vec<String>; 3] = Default::default();
        for storage in self.storages("__recip_version1.0_#") {
            let name = self.string(&storage, prop::DISPLAY_NAME);
            let address = self.string(&storage, prop::SMTP).or_else(|| self.string(&storage, prop::EMAIL));
            let kind = self.long(&storage, prop::RECIPIENT_TYPE).unwrap_or(1);
            if let Some(recipient) = display_address(name, address) {
                lists[(kind.clamp(1, 3) - 1) as usize].push(recipient);
            }
        }
        let fields = [("To", prop::DISPLAY_TO), ("Cc", prop::DISPLAY_CC), ("Bcc", prop::DISPLAY_BCC)];
        for ((field, display), list) in fields.into_iter().zip(lists) {
            let value = if list.is_empty() { self.string("", display) } else { Some(list.join(", ")) };
            if let Some(value) = value {
                emit.segment(Segment { loc: Loc::Header(field), text: &value, context: Some(field) });
            }
        }
        if let Some(subject) = self.string("", prop::SUBJECT) {
            emit.segment(Segment { loc: Loc::Header("Subject"), text: &subject, context: Some("Subject") });
        }
    }

    /// Each attachment's data as a part; an attached Outlook message as a
    /// .msg of its own.
    fn emit_attachments(&mut self, emit: &mut dyn Emit) {
        let mut names = Names::default();
        for storage in self.storages("__attach_version1.0_#") {
            names.count += 1;
            let given = self
                .string(&storage, prop::ATTACH_LONG_NAME)
                .or_else(|| self.string(&storage, prop::ATTACH_SHORT_NAME))
                .or_else(|| self.string(&storage, prop::DISPLAY_NAME))
                .map(|n| safe_name(&n))
                .filter(|n| !n.is_empty());
            if let Some(data) = self.binary(&storage, prop::ATTACH_DATA) {
                let mime = self.string(&storage, prop::ATTACH_MIME).unwrap_or_default();
                let name = given.unwrap_or_else(|| format!("part-{}.{}", names.count, ext_for_mime(&mime)));
                emit.part(&format!("attachments/{}", names.unique(name)), &data);
                continue;
            }
            let embedded = format!("/{storage}/__substg1.0_{:04X}000D", prop::ATTACH_DATA);
            if !self.cfb.is_storage(&embedded) {
                // Attached by reference (a link) or an OLE object: nothing to read.
                continue;
            }
            let subject = self.string(&embedded, prop::SUBJECT).map(|s| safe_name(&s.replace(['/', '\\'], "_")));
            let stem = subject.filter(|s| !s.is_empty()).unwrap_or_else(|| format!("part-{}", names.count));
            let name = names.unique(format!("{stem}.msg"));
            match copy_storage(&mut self.cfb, &embedded) {
                Ok(data) => emit.part(&format!("attachments/{name}"), &data),
                Err(e) => emit.warn(format!("attachments/{name}: attached message unreadable ({e})")),
            }
        }
    }
}

/// `Name <address>`, or whichever of the two there is.
fn display_address(name: Option<String>, address: Option<String>) -> Option<String> {
    match (name, address) {
        (Some(n), Some(a)) if n != a => Some(format!("{n} <{a}>")),
        (Some(n), _) => Some(n),
        (None, a) => a,
    }
}

/// Copy the storage at `path` (an attached message) into a compound file of its own.
fn copy_storage(cfb: &mut cfb::CompoundFile<Cursor<&[u8]>>, path: &str) -> std::io::Result<Vec<u8>> {
    let entries: Vec<(std::path::PathBuf, bool)> =
        cfb.walk_storage(path)?.map(|e| (e.path().to_path_buf(), e.is_stream())).collect();
    let mut out = cfb::CompoundFile::create(Cursor::new(Vec::new()))?;
    for (entry, is_stream) in entries {
        let Ok(relative) = entry.strip_prefix(path) else {
            continue;
        };
        if relative.as_os_str().is_empty() {
            continue;
        }
        let target = std::path::Path::new("/").join(relative);
        if is_stream {
            let mut data = Vec::new();
            cfb.open_stream(&entry)?.read_to_end(&mut data)?;
            let mut stream = out.create_stream(&target)?;
            std::io::Write::write_all(&mut stream, &data)?;
            std::io::Write::flush(&mut stream)?;
        } else {
            out.create_storage_all(&target)?;
        }
    }
    out.flush()?;
    Ok(out.into_inner().into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{Collect, Kind, sniff};

    const EML: &str = concat!(
        "Return-Path: <jane.roberts@example.org>\r\n",
        "From: =?utf-8?B?Wm/DqyBCcm9udMOr?= <zoe@example.org>\r\n",
        "To: Jane Roberts <jane.roberts@example.org>, \"Patel, Priya\" <p@x.org>\r\n",
        "Cc: bob@x.org\r\n",
        "Subject: =?iso-8859-1?Q?Referral_for_Zo=EB?=\r\n",
        "Received: from mail.example.org by mx.x.org\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: multipart/mixed; boundary=\"outer\"\r\n",
        "\r\n",
        "--outer\r\n",
        "Content-Type: multipart/alternative; boundary=\"alt\"\r\n",
        "\r\n",
        "--alt\r\n",
        "Content-Type: text/plain; charset=windows-1252\r\n",
        "Content-Transfer-Encoding: quoted-printable\r\n",
        "\r\n",
        "Dear Zo=EB,\r\n",
        "\r\n",
        "Her DOB is 01/02/1980 =80 5 paid.\r\n",
        "--alt\r\n",
        "Content-Type: multipart/related; boundary=\"rel\"\r\n",
        "\r\n",
        "--rel\r\n",
        "Content-Type: text/html; charset=utf-8\r\n",
        "\r\n",
        "<p>HTML COPY of the plain text</p>\r\n",
        "--rel\r\n",
        "Content-Type: image/png\r\n",
        "Content-Transfer-Encoding: base64\r\n",
        "Content-Disposition: inline\r\n",
        "\r\n",
        "iVBORw0KGgo=\r\n",
        "--rel--\r\n",
        "--alt--\r\n",
        "--outer\r\n",
        "Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document; name=\"cv.docx\"\r\n",
        "Content-Transfer-Encoding: base64\r\n",
        "Content-Disposition: attachment; filename=\"C:\\\\Users\\\\jr\\\\cv.docx\"\r\n",
        "\r\n",
        "UEsDBGZha2UgZG9jeCBieXRlcw==\r\n",
        "--outer\r\n",
        "Content-Type: text/csv\r\n",
        "Content-Transfer-Encoding: base64\r\n",
        "Content-Disposition: attachment; filename=\"list.csv\"\r\n",
        "\r\n",
        "TmFtZSxET0IKSmFuZSBSb2JlcnRzLDAxLzAyLzE5ODAK\r\n",
        "--outer\r\n",
        "Content-Type: text/csv; name=list.csv\r\n",
        "\r\n",
        "Name\r\n",
        "--outer\r\n",
        "Content-Type: message/rfc822\r\n",
        "\r\n",
        "From: Priya Patel <p@x.org>\r\n",
        "Subject: Case notes / March\r\n",
        "\r\n",
        "Inner body.\r\n",
        "--outer--\r\n",
    );

    fn run_eml(bytes: &[u8]) -> Collect {
        let mut c = Collect::default();
        extract_eml(&Input::Bytes(bytes), &mut c, &Limits::default()).unwrap();
        c
    }

    fn part<'c>(c: &'c Collect, name: &str) -> &'c [u8] {
        let found = c.parts.iter().find(|p| p.0 == name);
        &found.unwrap_or_else(|| panic!("no part {name} in {:?}", c.parts)).1
    }

    #[test]
    fn headers_have_locations_and_contexts() {
        let c = run_eml(EML.as_bytes());
        let headers: Vec<_> = c.segments.iter().filter(|s| s.0.starts_with("header ")).collect();
        let from = headers.iter().find(|s| s.0 == "header From").unwrap();
        assert_eq!(from.1, "Zoë Brontë <zoe@example.org>");
        assert_eq!(from.2.as_deref(), Some("From"));
        let to = headers.iter().find(|s| s.0 == "header To").unwrap();
        assert_eq!(to.1, "Jane Roberts <jane.roberts@example.org>, \"Patel, Priya\" <p@x.org>");
        assert_eq!(to.2.as_deref(), Some("To"));
        let subject = headers.iter().find(|s| s.0 == "header Subject").unwrap();
        assert_eq!(subject.1, "Referral for Zoë");
        assert!(headers.iter().any(|s| s.0 == "header Return-Path" && s.1.contains("jane.roberts@")));
        assert!(headers.iter().any(|s| s.0 == "header Cc" && s.2.as_deref() == Some("Cc")));
        // Received carries no names: not emitted.
        assert!(!c.segments.iter().any(|s| s.1.contains("mx.x.org")));
    }

    #[test]
    fn plain_body_preferred_over_html_and_decoded() {
        let c = run_eml(EML.as_bytes());
        let body: Vec<_> = c.segments.iter().filter(|s| s.0.starts_with("body line")).collect();
        // One blank line between paragraphs keeps them in one block.
        assert_eq!(body.len(), 1, "{body:?}");
        assert_eq!(
            (body[0].0.as_str(), body[0].1.as_str()),
            ("body line 1", "Dear Zoë,\n\nHer DOB is 01/02/1980 € 5 paid.")
        );
        assert!(!c.all_text().contains("HTML COPY"));
    }

    #[test]
    fn attachments_are_parts_with_decoded_bytes() {
        let c = run_eml(EML.as_bytes());
        assert_eq!(part(&c, "attachments/cv.docx"), b"PK\x03\x04fake docx bytes");
        assert_eq!(part(&c, "attachments/list.csv"), b"Name,DOB\nJane Roberts,01/02/1980\n");
        assert_eq!(part(&c, "attachments/list (2).csv"), b"Name");
        assert_eq!(part(&c, "attachments/part-1.png"), b"\x89PNG\r\n\x1a\n");
        let inner = part(&c, "attachments/Case notes _ March.eml");
        assert!(inner.starts_with(b"From: Priya Patel"));
        assert_eq!(c.parts.len(), 5);
        // The attached message is read when the caller recurses into it.
        let inner_c = run_eml(inner);
        assert!(inner_c.segments.iter().any(|s| s.0 == "body line 1" && s.1 == "Inner body."));
    }

    #[test]
    fn html_only_mail_is_rendered_and_unlabelled_8bit_is_cp1252() {
        let eml = b"From: a@b.org\nSubject: x\nContent-Type: text/html\n\n<html><body><p>Client: Zo\xEB Smith</p><p>Phone 07700 900123</p></body></html>\n";
        let c = run_eml(eml);
        let body: Vec<_> = c.segments.iter().filter(|s| s.0.starts_with("body line")).collect();
        assert!(!body.is_empty());
        let text = body.iter().map(|s| s.1.as_str()).collect::<Vec<_>>().join("\n");
        assert!(text.contains("Client: Zoë Smith"), "{text}");
        assert!(text.contains("Phone 07700 900123"));
        assert!(!text.contains("<p>"));
    }

    #[test]
    fn several_text_parts_number_on() {
        let eml = "From: a@b.org\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\none\ntwo\n--b\nContent-Type: text/plain\n\nthree\n--b--\n";
        let c = run_eml(eml.as_bytes());
        let body: Vec<_> =
            c.segments.iter().filter(|s| s.0.starts_with("body")).map(|s| (s.0.as_str(), s.1.as_str())).collect();
        assert_eq!(body, [("body line 1", "one\ntwo"), ("body line 4", "three")]);
    }

    /// The mbox test file: three messages, quoted `>From ` lines, and a body
    /// paragraph starting "From " that is not a separator.
    const MBOX: &str = concat!(
        "From jane@example.org Mon Jan  1 09:00:00 2024\n",
        "Return-Path: <jane@example.org>\n",
        "From: Jane Roberts <jane@example.org>\n",
        "Subject: one\n",
        "\n",
        "First body.\n",
        ">From the minutes: Priya attended.\n",
        ">>From twice quoted\n",
        "\n",
        "From the start of the year we met weekly.\n",
        "\n",
        "From MAILER-DAEMON Fri Jul  8 12:08:34 2011\n",
        "Received: from x by y\n",
        "From: b@x.org\n",
        "To: c@x.org\n",
        "\n",
        "Second.\n",
        "\n",
        "From - Sat Jan 01 00:00:00 2000\n",
        "From: Bob <bob@x.org>\n",
        "Subject: three\n",
        "\n",
        "Third.\n",
    );

    fn run_mbox(input: &Input<'_>, limits: &Limits) -> Collect {
        let mut c = Collect::default();
        extract_mbox(input, &mut c, limits).unwrap();
        c
    }

    #[test]
    fn mbox_splits_unescapes_and_parts_sniff_as_eml() {
        let c = run_mbox(&Input::Bytes(MBOX.as_bytes()), &Limits::default());
        let names: Vec<_> = c.parts.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(names, ["1", "2", "3"]);
        let first = String::from_utf8(c.parts[0].1.clone()).unwrap();
        assert!(first.starts_with("Return-Path: <jane@example.org>\n"));
        assert!(first.contains("\nFrom the minutes: Priya attended.\n>From twice quoted\n"));
        assert!(first.contains("\nFrom the start of the year we met weekly.\n"));
        assert!(!first.contains("MAILER-DAEMON"));
        assert!(String::from_utf8_lossy(&c.parts[2].1).starts_with("From: Bob"));
        for (name, bytes) in &c.parts {
            assert_eq!(sniff::sniff(name, bytes), Kind::Eml, "message {name}");
        }
        let inner = run_eml(&c.parts[0].1);
        let body = inner.segments.iter().find(|s| s.0 == "body line 1").unwrap();
        assert_eq!(
            body.1,
            "First body.\nFrom the minutes: Priya attended.\n>From twice quoted\n\nFrom the start of the year we met weekly."
        );
    }

    #[test]
    fn mbox_streams_from_file_and_skips_oversized_message() {
        let mut big = String::from("From a@b Mon Jan  1 09:00:00 2024\nFrom: a@b\nTo: c@d\n\n");
        for _ in 0..2000 {
            big.push_str("a long body line that makes this message too large for the limit\n");
        }
        big.push('\n');
        let all = format!("{big}{MBOX}");
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, all.as_bytes()).unwrap();
        let input = Input::File { path: file.path(), size: all.len() as u64 };
        let limits = Limits { max_in_memory: 64 << 10, ..Limits::default() };
        let c = run_mbox(&input, &limits);
        let names: Vec<_> = c.parts.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(names, ["2", "3", "4"]);
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].starts_with("message 1: larger than"), "{:?}", c.warnings);
    }

    fn body_text(c: &Collect) -> String {
        c.segments.iter().filter(|s| s.0.starts_with("body line")).map(|s| s.1.as_str()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn one_bad_byte_spoils_only_itself() {
        // UTF-8 declared, one Windows-1252 byte (a curly apostrophe) in it.
        let eml = b"From: a@b.org\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html; charset=utf-8\n\n<p>Zo\xC3\xAB Bront\xC3\xAB\x92s file</p>\n--b\nContent-Type: text/plain\n\nPl\xC3\xA4in\n--b--\n";
        let text = body_text(&run_eml(eml));
        assert!(text.contains("Zoë Brontë’s file"), "{text}");
        assert!(text.contains("Pläin"), "{text}");
    }

    #[test]
    fn utf7_bodies_are_decoded() {
        let eml =
            b"From: a@b.org\nContent-Type: text/plain; charset=utf-7\n\nClient: Zo+AOs- Bront+AOs-, +AKM-5 paid\n";
        assert_eq!(body_text(&run_eml(eml)), "Client: Zoë Brontë, £5 paid");
    }

    #[test]
    fn raw_8bit_bytes_in_encoded_words() {
        let eml = b"From: =?utf-8?Q?Zo\xC3\xAB_Bront=C3=AB?= <zoe@example.org>\nTo: =?iso-8859-1?Q?J=E9r=F4me?= <j@x.org>\nSubject: =?utf-8?B?UmVmZXJyYWw=?= for Zo\xEB\n\nhi\n";
        let c = run_eml(eml);
        let header = |n: &str| c.segments.iter().find(|s| s.0 == format!("header {n}")).unwrap().1.clone();
        assert_eq!(header("From"), "Zoë Brontë <zoe@example.org>");
        assert_eq!(header("To"), "Jérôme <j@x.org>");
        assert_eq!(header("Subject"), "Referral for Zoë");
    }

    #[test]
    fn multiparts_nested_past_the_parser_limit_are_read_as_text() {
        let mut s = String::from("From: a@example.org\nSubject: deep\nMIME-Version: 1.0\n");
        for i in 0..150 {
            s.push_str(&format!("Content-Type: multipart/mixed; boundary=\"={i}=\"\n\n--={i}=\n"));
        }
        s.push_str("Content-Type: text/plain\n\nCall Jane on 07700 900123\n");
        let c = run_eml(s.as_bytes());
        assert!(c.segments.iter().any(|s| s.0 == "header Subject"));
        assert!(body_text(&c).contains("Call Jane on 07700 900123"));
        assert!(c.warnings.iter().any(|w| w.contains("MIME structure could not be read")), "{:?}", c.warnings);
    }

    #[test]
    fn garbage_does_not_panic() {
        let mut c = Collect::default();
        let _ = extract_eml(&Input::Bytes(b"\xFF\xFE\0\0:::\r\n\r\n--"), &mut c, &Limits::default());
        let _ = extract_mbox(&Input::Bytes(b"From \n>\n>>>"), &mut c, &Limits::default());
    }
}

#[cfg(test)]
mod sniff_tests {
    use crate::formats::{Kind, sniff::sniff};

    #[test]
    fn common_message_heads_sniff_as_eml() {
        let dkim = format!(
            "DKIM-Signature: v=1; a=rsa-sha256;\n{}From: Jane <j@x.org>\nTo: a@b.org\nSubject: s\n\nbody\n",
            "\tb=abcdefghijklmnopqrstuvwxyz0123456789;\n".repeat(14)
        );
        let received = format!(
            "Received: from mail.x.org (mail.x.org [192.0.2.1])\n{}Received: from y\nFrom: a@b\n\nbody",
            "\tby mx.example.org with ESMTPS id abc\n".repeat(12)
        );
        let heads = [
            "Return-Path: <a@b.org>\nDelivered-To: c@d.org\n\nbody".to_string(),
            "From: a@b.org\nReceived: from x\n\nbody".to_string(),
            "X-Mozilla-Status: 0001\nX-Mozilla-Status2: 00000000\nMessage-ID: <1@x>\n\nbody".to_string(),
            "ARC-Seal: i=1; a=rsa-sha256;\nAuthentication-Results: spf=pass\nThread-Topic: visit\nFrom: a@b\nTo: c@d\n\nbody".to_string(),
            dkim,
            received,
        ];
        for head in &heads {
            assert_eq!(sniff("7", head.as_bytes()), Kind::Eml, "{head}");
        }
    }
}

#[cfg(test)]
mod msg_tests {
    use std::io::Write;

    use super::*;
    use crate::formats::{Collect, Kind, sniff};

    type Cfb = cfb::CompoundFile<Cursor<Vec<u8>>>;

    fn put(cfb: &mut Cfb, path: &str, data: &[u8]) {
        let mut s = cfb.create_stream(path).unwrap();
        s.write_all(data).unwrap();
        s.flush().unwrap();
    }

    fn put_str(cfb: &mut Cfb, storage: &str, id: u16, text: &str) {
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        put(cfb, &format!("{storage}/__substg1.0_{id:04X}001F"), &utf16);
    }

    /// A property table with one PT_LONG property (after a `header`-byte header).
    fn put_long(cfb: &mut Cfb, storage: &str, header: usize, id: u16, value: u32) {
        let mut table = vec![0u8; header];
        table.extend(((u32::from(id) << 16) | 3).to_le_bytes());
        table.extend(6u32.to_le_bytes());
        table.extend(value.to_le_bytes());
        table.extend([0; 4]);
        put(cfb, &format!("{storage}/__properties_version1.0"), &table);
    }

    /// A .msg like Outlook saves: sender, a To and a Cc recipient, a body, a
    /// csv attachment and an attached message.
    fn sample_msg() -> Vec<u8> {
        let mut c = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        put_long(&mut c, "", 32, 0x0E07, 1);
        put_str(&mut c, "", prop::SUBJECT, "Referral: Zoë Brontë");
        put_str(&mut c, "", prop::SENDER_NAME, "Jane Roberts");
        put_str(&mut c, "", prop::SENDER_EMAIL, "/O=EXCHANGELABS/OU=FYDIBOHF23SPDLT/CN=RECIPIENTS/CN=JANE");
        put_str(&mut c, "", prop::SENDER_SMTP, "jane.roberts@example.org");
        put_str(&mut c, "", 0x1000, "Hello,\r\n\r\nZoë's DOB is 01/02/1980.\r\nNI AB123456C\r\n");
        for (i, (name, smtp, kind)) in [("Priya Patel", "p@x.org", 1), ("Bob Smith", "bob@x.org", 2)].iter().enumerate()
        {
            let r = format!("/__recip_version1.0_#{i:08X}");
            c.create_storage(&r).unwrap();
            put_str(&mut c, &r, prop::DISPLAY_NAME, name);
            put_str(&mut c, &r, prop::SMTP, smtp);
            put_long(&mut c, &r, 8, prop::RECIPIENT_TYPE, *kind);
        }
        let a = "/__attach_version1.0_#00000000";
        c.create_storage(a).unwrap();
        put_str(&mut c, a, prop::ATTACH_LONG_NAME, "referral.csv");
        put(&mut c, &format!("{a}/__substg1.0_37010102"), b"Name,DOB\nZoe,01/02/1980\n");
        let b = "/__attach_version1.0_#00000001";
        c.create_storage(b).unwrap();
        let inner = format!("{b}/__substg1.0_3701000D");
        c.create_storage(&inner).unwrap();
        put_str(&mut c, &inner, prop::SUBJECT, "Case notes / March");
        put(&mut c, &format!("{inner}/__substg1.0_1000001E"), b"Inner body for Zo\xEB.");
        c.flush().unwrap();
        c.into_inner().into_inner()
    }

    fn run(bytes: &[u8]) -> Collect {
        let mut c = Collect::default();
        extract_msg(&Input::Bytes(bytes), &mut c, &Limits::default()).unwrap();
        c
    }

    fn seg<'c>(c: &'c Collect, loc: &str) -> &'c (String, String, Option<String>) {
        c.segments.iter().find(|s| s.0 == loc).unwrap_or_else(|| panic!("no {loc} in {:?}", c.segments))
    }

    #[test]
    fn msg_headers_body_and_attachments() {
        let bytes = sample_msg();
        assert_eq!(sniff::sniff("Inbox/referral.msg", &bytes[..bytes.len().min(sniff::HEAD_LEN)]), Kind::Msg);
        let c = run(&bytes);
        let from = seg(&c, "header From");
        assert_eq!((from.1.as_str(), from.2.as_deref()), ("Jane Roberts <jane.roberts@example.org>", Some("From")));
        assert_eq!(seg(&c, "header To").1, "Priya Patel <p@x.org>");
        assert_eq!(seg(&c, "header Cc").1, "Bob Smith <bob@x.org>");
        assert_eq!(seg(&c, "header Subject").1, "Referral: Zoë Brontë");
        assert!(seg(&c, "body line 1").1.ends_with("\n\nZoë's DOB is 01/02/1980.\nNI AB123456C"));
        let names: Vec<_> = c.parts.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(names, ["attachments/referral.csv", "attachments/Case notes _ March.msg"]);
        assert_eq!(c.parts[0].1, b"Name,DOB\nZoe,01/02/1980\n");
        // The attached message is a .msg of its own, read when the caller recurses.
        let inner = run(&c.parts[1].1);
        assert_eq!(seg(&inner, "header Subject").1, "Case notes / March");
        assert_eq!(seg(&inner, "body line 1").1, "Inner body for Zoë.");
    }

    #[test]
    fn other_ole_files_and_garbage_are_errors() {
        let mut c = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        put(&mut c, "/Workbook", b"xx");
        let bytes = c.into_inner().into_inner();
        let mut out = Collect::default();
        let r = extract_msg(&Input::Bytes(&bytes), &mut out, &Limits::default());
        assert!(matches!(r, Err(ExtractError::Corrupt { kind: "msg", .. })), "{r:?}");
        let r = extract_msg(&Input::Bytes(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 truncated"), &mut out, &Limits::default());
        assert!(matches!(r, Err(ExtractError::Corrupt { kind: "msg", .. })), "{r:?}");
    }

    #[test]
    fn damaged_msg_files_do_not_panic() {
        let good = sample_msg();
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for round in 0..2000 {
            let mut bytes = good.clone();
            for _ in 0..1 + round % 8 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Half the damage in the header and first sectors, where the structure is.
                let span = if x & 1 == 0 { bytes.len().min(2048) } else { bytes.len() };
                let at = (x % span as u64) as usize;
                bytes[at] = (x >> 40) as u8;
            }
            let mut c = Collect::default();
            let _ = extract_msg(&Input::Bytes(&bytes), &mut c, &Limits::default());
        }
    }
}
