//! Decide a file's type from its content first and its name second.

/// How many leading bytes sniffing looks at.
pub const HEAD_LEN: usize = 64 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Html,
    /// XML data (not XHTML): element text only.
    Xml,
    /// Delimited text with this delimiter.
    Csv(u8),
    Xlsx,
    Xls,
    Ods,
    Pdf,
    Docx,
    /// Word 97-2003 (doc, dot).
    Doc,
    Odt,
    /// PowerPoint (pptx, ppsx, pptm, potx).
    Pptx,
    /// OpenDocument presentation.
    Odp,
    /// PowerPoint 97-2003.
    Ppt,
    Rtf,
    Eml,
    Mbox,
    Msg,
    Zip,
    /// An Outlook data file (PST or OST).
    Pst,
    /// A gzip file (a `.tar.gz` too).
    Gz,
    /// A tar archive.
    Tar,
    /// A 7-Zip archive.
    SevenZ,
    /// A scan or photo (PNG, JPEG, TIFF, BMP, GIF, WebP): read with OCR.
    Image,
    /// A password-protected office file.
    Encrypted,
    /// Not scanned on purpose (no personal text to read), with the reason.
    Skip(&'static str),
    /// A known kind piisweep cannot read (a RAR archive, a database): it
    /// counts as not read, with the reason, so that a sweep does not pass
    /// it as done.
    Unsupported(&'static str),
}

impl Kind {
    /// Formats streamed in bounded memory whatever their size (text, CSV,
    /// mbox): `--max-file-size` applies only to the others, read whole.
    pub fn is_streamed(&self) -> bool {
        matches!(self, Kind::Text | Kind::Csv(_) | Kind::Mbox | Kind::Pst | Kind::Gz | Kind::Tar)
    }

    /// The delimiter of delimited text (a comma for any other kind).
    pub fn delimiter(&self) -> u8 {
        match self {
            Kind::Csv(d) => *d,
            _ => b',',
        }
    }

    /// Why a file is not scanned, for [`Kind::Skip`] (empty for any other kind).
    pub fn skip_reason(&self) -> &'static str {
        match self {
            Kind::Skip(reason) | Kind::Unsupported(reason) => reason,
            _ => "",
        }
    }

    /// Short name for summaries and the data map.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Html => "html",
            Kind::Xml => "xml",
            Kind::Csv(_) => "csv",
            Kind::Xlsx => "xlsx",
            Kind::Xls => "xls",
            Kind::Ods => "ods",
            Kind::Pdf => "pdf",
            Kind::Docx => "docx",
            Kind::Doc => "doc",
            Kind::Odt => "odt",
            Kind::Pptx => "pptx",
            Kind::Odp => "odp",
            Kind::Ppt => "ppt",
            Kind::Rtf => "rtf",
            Kind::Eml => "eml",
            Kind::Mbox => "mbox",
            Kind::Msg => "msg",
            Kind::Zip => "zip",
            Kind::Pst => "pst",
            Kind::Gz => "gz",
            Kind::Tar => "tar",
            Kind::SevenZ => "7z",
            Kind::Image => "image",
            Kind::Encrypted => "encrypted",
            Kind::Skip(_) => "other",
            Kind::Unsupported(_) => "unsupported",
        }
    }
}

fn ext_of(name: &str) -> String {
    let base = name.rsplit(['/', '\\', '!']).next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Sniff the type of `name` from its first bytes `head`.
pub fn sniff(name: &str, head: &[u8]) -> Kind {
    let ext = ext_of(name);
    let ext = ext.as_str();

    if head.starts_with(b"%PDF-") || (head.len() > 4 && head[..head.len().min(1024)].windows(5).any(|w| w == b"%PDF-"))
    {
        return Kind::Pdf;
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return sniff_zip(ext, head);
    }
    if head.starts_with(OLE_MAGIC) {
        return sniff_ole(ext, head);
    }
    if head.starts_with(b"!BDN") {
        return Kind::Pst;
    }
    if head.starts_with(b"\x1F\x8B\x08") {
        return Kind::Gz;
    }
    if head.get(257..262) == Some(b"ustar") {
        return Kind::Tar;
    }
    if head.starts_with(b"7z\xBC\xAF\x27\x1C") {
        return Kind::SevenZ;
    }
    if head.starts_with(b"{\\rtf") {
        return Kind::Rtf;
    }
    if super::image::is_image(head) {
        return Kind::Image;
    }
    if let Some(reason) = known_unreadable(head) {
        return Kind::Unsupported(reason);
    }
    if let Some(reason) = known_binary(head) {
        return Kind::Skip(reason);
    }
    // As ripgrep reads it, text ends at the first NUL byte: a file that
    // starts as text (a log with a corrupted tail, a sparse file with a hole)
    // is text, read up to there.
    let whole = head;
    let head = text_part(head);
    if !looks_textual(head) || (head.is_empty() && !whole.is_empty()) {
        return Kind::Skip("binary file of unknown type");
    }
    // Text of some kind: decide by content, then by name.
    let text_head = String::from_utf8_lossy(&head[..head.len().min(8192)]);
    let trimmed = text_head.trim_start_matches('\u{feff}');
    if let Some((first, rest)) = trimmed.split_once('\n').or(Some((trimmed, "")))
        && first.starts_with("From ")
        // A separator with no date (`From jane@example.org`) only with mail
        // headers after it: a message of an mbox, once its separator is
        // gone, may start with a line such as "From the minutes".
        && (ext == "mbox" || ext == "mbx" || looks_like_headers(rest) || (ext.is_empty() && has_time(first)))
    {
        return Kind::Mbox;
    }
    if ext == "eml" || (ext != "txt" && ext != "csv" && looks_like_headers(trimmed)) {
        return Kind::Eml;
    }
    match ext {
        "csv" => return Kind::Csv(sniff_delimiter(trimmed, b',')),
        "tsv" | "tab" => return Kind::Csv(b'\t'),
        "htm" | "html" | "xhtml" => return Kind::Html,
        _ => {}
    }
    let lower = trimmed.trim_start().get(..15).unwrap_or("").to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        return Kind::Html;
    }
    // XML by its declaration, or by name when it starts with a tag.
    if lower.starts_with("<?xml") || (ext == "xml" && lower.starts_with('<')) {
        return Kind::Xml;
    }
    Kind::Text
}

fn sniff_zip(ext: &str, head: &[u8]) -> Kind {
    // ODF puts an uncompressed `mimetype` member first.
    if head.len() > 38 && &head[30..38] == b"mimetype" {
        let rest = &head[38..head.len().min(38 + 80)];
        if rest.starts_with(b"application/vnd.oasis.opendocument.spreadsheet") {
            return Kind::Ods;
        }
        if rest.starts_with(b"application/vnd.oasis.opendocument.text") {
            return Kind::Odt;
        }
        if rest.starts_with(b"application/vnd.oasis.opendocument.presentation") {
            return Kind::Odp;
        }
    }
    match ext {
        "docx" | "docm" | "dotx" | "dotm" => Kind::Docx,
        // .xlsb too: the spreadsheet reader tells it by its parts.
        "xlsx" | "xlsm" | "xltx" | "xltm" | "xlsb" => Kind::Xlsx,
        "ods" => Kind::Ods,
        "odt" => Kind::Odt,
        "pptx" | "pptm" | "ppsx" | "ppsm" | "potx" | "potm" => Kind::Pptx,
        "odp" | "otp" => Kind::Odp,
        // An OOXML package with PowerPoint's members whatever its name says.
        _ if contains(head, b"[Content_Types].xml") && contains(head, b"ppt/") && !contains(head, b"word/") => {
            Kind::Pptx
        }
        // Anything else that is a zip is opened as an archive, which looks for
        // misnamed office documents inside.
        _ => Kind::Zip,
    }
}

fn sniff_ole(ext: &str, head: &[u8]) -> Kind {
    let utf16 = |s: &str| s.bytes().flat_map(|b| [b, 0]).collect::<Vec<u8>>();
    let contains = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if contains(&utf16("EncryptedPackage")) {
        return Kind::Encrypted;
    }
    match ext {
        "xls" | "xlt" => Kind::Xls,
        "msg" => Kind::Msg,
        "doc" | "dot" => Kind::Doc,
        "ppt" | "pps" | "pot" => Kind::Ppt,
        _ => {
            if contains(&utf16("PowerPoint Document")) {
                Kind::Ppt
            } else if contains(&utf16("WordDocument")) {
                Kind::Doc
            } else if contains(&utf16("Workbook")) || contains(&utf16("Book")) {
                Kind::Xls
            } else if contains(&utf16("__substg1.0_")) {
                Kind::Msg
            } else {
                Kind::Skip("OLE2 compound file of unknown type")
            }
        }
    }
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn known_binary(head: &[u8]) -> Option<&'static str> {
    const OTHER: &[(&[u8], &str)] = &[(b"\x7FELF", "executable"), (b"MZ", "executable")];
    OTHER.iter().find(|(m, _)| head.starts_with(m)).map(|(_, r)| *r)
}

/// Known kinds of file that hold personal data piisweep cannot read.
fn known_unreadable(head: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"Rar!\x1A\x07", "RAR archive: piisweep cannot read RAR; unpack it and scan the folder"),
        (
            b"SQLite format 3\0",
            "SQLite database: piisweep cannot read databases; export its tables as CSV to scan them",
        ),
    ];
    // Access: a Jet (.mdb) or ACE (.accdb) database.
    if head.get(4..19) == Some(b"Standard Jet DB") || head.get(4..19) == Some(b"Standard ACE DB") {
        return Some("Access database: piisweep cannot read databases; export its tables to Excel or CSV to scan them");
    }
    MAGIC.iter().find(|(m, _)| head.starts_with(m)).map(|(_, r)| *r)
}

/// The text at the start of `head`: all of it with a UTF-16 byte-order mark,
/// else the bytes before the first NUL. A NUL after too little text to be
/// a text file's (a binary format's magic number or a name field) leaves
/// nothing: less than 256 bytes with no line break.
pub fn text_part(head: &[u8]) -> &[u8] {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return head;
    }
    match memchr(0, head) {
        None => head,
        Some(n) if n >= 256 || head[..n].contains(&b'\n') => &head[..n],
        Some(_) => &[],
    }
}

/// Is there a time of day (`12:08`) in `line`?
pub fn has_time(line: &str) -> bool {
    line.as_bytes()
        .windows(4)
        .any(|w| w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit())
}

pub fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// Text if it has a UTF-16 BOM, or no NUL bytes and few control characters
/// (random or compressed bytes have about one in ten).
fn looks_textual(head: &[u8]) -> bool {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return true;
    }
    if head.is_empty() {
        return true;
    }
    if head.contains(&0) {
        return false;
    }
    let controls = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C | 0x1A)).count();
    controls * 100 < head.len()
}

/// Do the first lines look like RFC 5322 mail headers?
fn looks_like_headers(text: &str) -> bool {
    const NAMES: &[&str] = &[
        "from",
        "to",
        "subject",
        "date",
        "received",
        "return-path",
        "message-id",
        "mime-version",
        "delivered-to",
        "x-",
        "cc",
        "reply-to",
        "content-type",
    ];
    let mut seen = 0;
    // Twelve header lines; folded continuation lines (long DKIM signatures,
    // Received chains) do not count towards them.
    let mut fields = 0;
    for line in text.lines().take(200) {
        if line.is_empty() || fields == 12 {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        fields += 1;
        let Some((name, _)) = line.split_once(':') else { return false };
        let name = name.to_ascii_lowercase();
        if name.contains(' ') {
            return false;
        }
        if NAMES.iter().any(|n| name == *n || (n.ends_with('-') && name.starts_with(n))) {
            seen += 1;
        }
    }
    seen >= 2
}

/// Pick the delimiter of a delimited-text file from its first lines.
fn sniff_delimiter(text: &str, default: u8) -> u8 {
    let lines: Vec<&str> = text.lines().take(5).collect();
    let mut best = (default, 0usize);
    for d in [b',', b';', b'\t', b'|'] {
        let counts: Vec<usize> = lines.iter().map(|l| l.bytes().filter(|&b| b == d).count()).collect();
        let min = counts.iter().copied().min().unwrap_or(0);
        if min > best.1 {
            best = (d, min);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_beats_extension() {
        assert_eq!(sniff("report.txt", b"%PDF-1.4\n..."), Kind::Pdf);
        assert_eq!(sniff("photo.txt", b"\x89PNG\r\n\x1a\n\0\0"), Kind::Image);
        assert_eq!(sniff("notes.txt", b"BMW service notes for the minibus, booked 3 May\n"), Kind::Text);
        assert_eq!(sniff("notes.txt", b"ab\0\0cd\0"), Kind::Skip("binary file of unknown type"));
        assert_eq!(sniff("list.xlsx", b"PK\x03\x04rest"), Kind::Xlsx);
        assert_eq!(sniff("list.bin", b"PK\x03\x04rest"), Kind::Zip);
    }

    #[test]
    fn mail_and_text() {
        let eml = b"From: Jane <j@x.org>\nTo: a@b.org\nSubject: hi\n\nbody";
        assert_eq!(sniff("message", eml), Kind::Eml);
        assert_eq!(sniff("export.mbox", b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\nFrom: a@b\n"), Kind::Mbox);
        assert_eq!(sniff("notes.txt", b"From the meeting we learned\nthings"), Kind::Text);
        assert_eq!(sniff("a.csv", b"Name;DOB\nJane;1/2/1980\n"), Kind::Csv(b';'));
        assert_eq!(sniff("a.csv", b"Name,DOB\nJane,1/2/1980\n"), Kind::Csv(b','));
        assert_eq!(sniff("u16.txt", b"\xFF\xFEa\0b\0"), Kind::Text);
    }

    #[test]
    fn text_before_a_nul_is_text() {
        let log = [b"09:00 started\n09:01 call from Jane\n".as_slice(), &[0u8; 100], b"more"].concat();
        assert_eq!(sniff("server.log", &log), Kind::Text);
        assert_eq!(text_part(&log), b"09:00 started\n09:01 call from Jane\n");
        let long_line = [vec![b'a'; 300], vec![0u8; 10]].concat();
        assert_eq!(sniff("a.txt", &long_line), Kind::Text);
        // A few bytes, or a name field, before the NULs: binary.
        assert_eq!(sniff("a.txt", b"RIFF\0\0\0\0WAVE"), Kind::Skip("binary file of unknown type"));
        assert_eq!(sniff("a.txt", b"\0\0\0\x01Bud1"), Kind::Skip("binary file of unknown type"));
        let mut tar = b"docs/report.txt".to_vec();
        tar.resize(257, 0);
        tar.extend(b"ustar\x0000");
        tar.resize(1024, 0);
        assert_eq!(sniff("backup", &tar), Kind::Tar);
        // Mail with a stray NUL later on is still mail.
        let mbox = [b"From a@b Mon Jan  1 09:00:00 2024\nFrom: a@b\nTo: c@d\n\nhi".as_slice(), b"\0rest"].concat();
        assert_eq!(sniff("Inbox", &mbox), Kind::Mbox);
    }

    #[test]
    fn from_lines_without_a_date_need_headers_after_them() {
        assert_eq!(sniff("Inbox", b"From jane@example.org\nFrom: Jane <j@x.org>\nTo: a@b.org\n\nhi"), Kind::Mbox);
        // A message split out of an mbox (named by its number) starting "From the".
        assert_eq!(sniff("3", b"From the minutes of the meeting\nwe learned"), Kind::Text);
        assert_eq!(sniff("3", b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\nbody"), Kind::Mbox);
    }

    #[test]
    fn presentations() {
        assert_eq!(sniff("deck.pptx", b"PK\x03\x04rest"), Kind::Pptx);
        assert_eq!(sniff("show.ppsx", b"PK\x03\x04rest"), Kind::Pptx);
        // A misnamed one, by PowerPoint's members.
        assert_eq!(
            sniff("deck.bin", b"PK\x03\x04..[Content_Types].xml..PK\x03\x04..ppt/slides/slide1.xml"),
            Kind::Pptx
        );
        assert_eq!(sniff("doc.bin", b"PK\x03\x04..[Content_Types].xml..word/embeddings/ppt/x"), Kind::Zip);
        let mut odp = b"PK\x03\x04".to_vec();
        odp.resize(30, 0);
        odp.extend(b"mimetypeapplication/vnd.oasis.opendocument.presentation");
        assert_eq!(sniff("talk.zip", &odp), Kind::Odp);
        let mut ppt = OLE_MAGIC.to_vec();
        ppt.extend(vec![0u8; 100]);
        ppt.extend("PowerPoint Document".bytes().flat_map(|b| [b, 0]));
        assert_eq!(sniff("old.ppt", &ppt), Kind::Ppt);
        assert_eq!(sniff("old", &ppt), Kind::Ppt);
    }

    #[test]
    fn encrypted_office_file() {
        let mut head = OLE_MAGIC.to_vec();
        head.extend(vec![0u8; 100]);
        head.extend("EncryptedPackage".bytes().flat_map(|b| [b, 0]));
        assert_eq!(sniff("secret.xlsx", &head), Kind::Encrypted);
    }
}
