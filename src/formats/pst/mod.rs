//! Outlook data files: PST and OST (ANSI and Unicode), read with the
//! `outlook-pst` crate (Microsoft's implementation of MS-PST).
//!
//! A store is opened from its path (or, when it is itself an attachment or
//! archive member, from its bytes) and read folder by folder, item by item:
//! nothing but the item being read is held in memory, whatever the store's
//! size. Each item (mail, contact, calendar entry, task, note) is turned
//! into an RFC 5322 message -- From/To/Cc/Bcc with names and addresses,
//! Subject, Date, the body (plain text, else HTML, else the compressed RTF
//! body), the item's other text properties (a contact's names, phone
//! numbers and addresses, a meeting's location) as `Label: value` lines,
//! and its attachments -- and handed on as a part named after its folder
//! path and the item: `Inbox/Referrals/2023-10-04 New referral`. The walker
//! reads that part as the eml it is, so an item's attachments are read like
//! the same file on disk (`...!attachments/cv.docx`), and `sar --bundle`
//! copies the item as an `.eml`.
//!
//! A store that cannot be opened fails as a whole; a folder or item that
//! cannot be read is reported for itself and the rest is read.

pub mod anonymise;

use std::collections::HashMap;
use std::io::{BufReader, Cursor};
use std::rc::Rc;

use base64::Engine as _;
use outlook_pst::ltp::prop_context::PropertyValue;
use outlook_pst::messaging::attachment::{AnsiAttachment, Attachment, AttachmentData, UnicodeAttachment};
use outlook_pst::messaging::folder::Folder;
use outlook_pst::messaging::message::{AnsiMessage, Message, UnicodeMessage};
use outlook_pst::messaging::store::{AnsiStore, EntryId, Store, UnicodeStore};
use outlook_pst::ndb::node_id::NodeId;
use outlook_pst::{AnsiPstFile, PstReader, UnicodePstFile};

use super::{Collect, Emit, ExtractError, Input, Limits, Result};

/// MAPI property ids read from items.
mod prop {
    pub const MESSAGE_CLASS: u16 = 0x001A;
    pub const SUBJECT: u16 = 0x0037;
    pub const CLIENT_SUBMIT_TIME: u16 = 0x0039;
    pub const SENT_REPRESENTING_NAME: u16 = 0x0042;
    pub const SENT_REPRESENTING_EMAIL: u16 = 0x0065;
    pub const TRANSPORT_HEADERS: u16 = 0x007D;
    pub const SENDER_NAME: u16 = 0x0C1A;
    pub const SENDER_EMAIL: u16 = 0x0C1F;
    pub const RECIPIENT_TYPE: u16 = 0x0C15;
    pub const DISPLAY_BCC: u16 = 0x0E02;
    pub const DISPLAY_CC: u16 = 0x0E03;
    pub const DISPLAY_TO: u16 = 0x0E04;
    pub const DELIVERY_TIME: u16 = 0x0E06;
    pub const BODY: u16 = 0x1000;
    pub const RTF_COMPRESSED: u16 = 0x1009;
    pub const HTML: u16 = 0x1013;
    pub const CREATION_TIME: u16 = 0x3007;
    pub const DISPLAY_NAME: u16 = 0x3001;
    pub const EMAIL: u16 = 0x3003;
    pub const SMTP: u16 = 0x39FE;
    pub const ATTACH_LONG_NAME: u16 = 0x3707;
    pub const ATTACH_SHORT_NAME: u16 = 0x3704;
    pub const ATTACH_MIME: u16 = 0x370E;
    pub const SENDER_SMTP: u16 = 0x5D01;
    pub const SENT_REPRESENTING_SMTP: u16 = 0x5D02;
    pub const MESSAGE_CODEPAGE: u16 = 0x3FFD;
    pub const INTERNET_CODEPAGE: u16 = 0x3FDE;
}

/// Text properties already written as headers or body, or that hold no
/// personal text (identifiers, address types, duplicates of the subject).
const NOT_EXTRA: &[u16] = &[
    prop::MESSAGE_CLASS,
    prop::SUBJECT,
    prop::SENT_REPRESENTING_NAME,
    prop::SENT_REPRESENTING_EMAIL,
    prop::SENT_REPRESENTING_SMTP,
    prop::TRANSPORT_HEADERS,
    prop::SENDER_NAME,
    prop::SENDER_EMAIL,
    prop::SENDER_SMTP,
    prop::DISPLAY_BCC,
    prop::DISPLAY_CC,
    prop::DISPLAY_TO,
    prop::BODY,
    prop::HTML,
    0x0064, // sent representing address type
    0x0070, // conversation topic (the subject again)
    0x0075, // received by address type
    0x0077, // received representing address type
    0x0C1E, // sender address type
    0x0E1D, // normalized subject
    0x1035, // internet message id
    0x1039, // references
    0x1042, // in reply to id
    0x3001, // display name: for a contact, its full name, written as "Name"
];

/// Readable labels of the text properties contacts and other items carry.
fn label(id: u16) -> Option<&'static str> {
    Some(match id {
        0x0040 => "Received by",
        0x0044 => "Received representing",
        0x0076 => "Received by address",
        0x0078 => "Received representing address",
        0x3001 => "Name",
        0x3A06 => "Given name",
        0x3A11 => "Surname",
        0x3A44 => "Middle name",
        0x3A45 => "Title",
        0x3A4F => "Nickname",
        0x3A08 => "Business phone",
        0x3A09 => "Home phone",
        0x3A1C => "Mobile phone",
        0x3A1A => "Primary phone",
        0x3A24 => "Business fax",
        0x3A25 => "Home fax",
        0x3A16 => "Company",
        0x3A17 => "Job title",
        0x3A18 => "Department",
        0x3A29 => "Business street",
        0x3A27 => "Business city",
        0x3A2A => "Business postcode",
        0x3A5D => "Home street",
        0x3A59 => "Home city",
        0x3A5B => "Home postcode",
        0x3A15 => "Postal address",
        0x3A42 => "Birthday",
        0x3A4E => "Manager",
        0x3A30 => "Assistant",
        0x3A2E => "Assistant phone",
        0x3A4D => "Spouse",
        0x3A58 => "Children",
        0x3A0A => "Initials",
        0x3A00 => "Account",
        0x3A05 => "Generation",
        0x3A2D => "Car phone",
        0x3A21 => "Pager",
        0x3A1D => "Radio phone",
        0x3A1F => "Other phone",
        0x3A51 => "Business home page",
        0x3A50 => "Personal home page",
        _ => return None,
    })
}

/// An opened store, Unicode or ANSI: the crate gives each its own types.
enum Pst {
    Unicode(Rc<UnicodeStore>),
    Ansi(Rc<AnsiStore>),
}

/// An item opened from a store, able to open its attachments.
enum Item {
    Unicode(Rc<UnicodeMessage>),
    Ansi(Rc<AnsiMessage>),
}

impl Pst {
    fn open(source: &dyn Fn() -> std::io::Result<Box<dyn PstReader>>) -> std::io::Result<Pst> {
        let unicode = UnicodePstFile::read_from(source()?).and_then(|f| UnicodeStore::read(Rc::new(f)));
        match unicode {
            Ok(store) => Ok(Pst::Unicode(store)),
            Err(unicode_error) => match AnsiPstFile::read_from(source()?).and_then(|f| AnsiStore::read(Rc::new(f))) {
                Ok(store) => Ok(Pst::Ansi(store)),
                // Report why it is not a Unicode store unless it claims to be ANSI.
                Err(ansi_error) => Err(if is_ansi_header(source) { ansi_error } else { unicode_error }),
            },
        }
    }

    fn store(&self) -> Rc<dyn Store> {
        match self {
            Pst::Unicode(s) => s.clone(),
            Pst::Ansi(s) => s.clone(),
        }
    }

    fn open_item(&self, entry_id: &EntryId) -> std::io::Result<Item> {
        Ok(match self {
            Pst::Unicode(s) => Item::Unicode(UnicodeMessage::read(s.clone(), entry_id, None)?),
            Pst::Ansi(s) => Item::Ansi(AnsiMessage::read(s.clone(), entry_id, None)?),
        })
    }
}

/// True when the header's version says ANSI (14 or 15).
fn is_ansi_header(source: &dyn Fn() -> std::io::Result<Box<dyn PstReader>>) -> bool {
    let mut head = [0u8; 12];
    source().and_then(|mut r| r.read_exact(&mut head)).is_ok()
        && matches!(u16::from_le_bytes([head[10], head[11]]), 14 | 15)
}

impl Item {
    fn message(&self) -> Rc<dyn Message> {
        match self {
            Item::Unicode(m) => m.clone(),
            Item::Ansi(m) => m.clone(),
        }
    }

    /// An attachment, and the attached message when it is one (as an item,
    /// so that its own attachments can be opened in turn).
    fn attachment(&self, node: NodeId) -> std::io::Result<(Rc<dyn Attachment>, Option<Item>)> {
        Ok(match self {
            Item::Unicode(m) => {
                let a = UnicodeAttachment::read(m.clone(), node, None)?;
                let inner = a.embedded_message().map(Item::Unicode);
                (a, inner)
            }
            Item::Ansi(m) => {
                let a = AnsiAttachment::read(m.clone(), node, None)?;
                let inner = a.embedded_message().map(Item::Ansi);
                (a, inner)
            }
        })
    }
}

pub fn extract(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let source: Box<dyn Fn() -> std::io::Result<Box<dyn PstReader>>> = match input {
        Input::File { path, .. } => {
            let path = path.to_path_buf();
            Box::new(move || {
                let file = super::input::open_readonly(&path)?;
                Ok(Box::new(BufReader::new(file)) as Box<dyn PstReader>)
            })
        }
        Input::Bytes(bytes) => {
            let bytes: Rc<[u8]> = Rc::from(*bytes);
            Box::new(move || Ok(Box::new(Cursor::new(RcBytes(bytes.clone()))) as Box<dyn PstReader>))
        }
        // Only text and CSV are streamed as parts.
        Input::Stream { .. } | Input::Reopen { .. } => {
            return Err(ExtractError::Internal("an Outlook store cannot be read as a stream".into()));
        }
    };
    // The file format version (wVer): 14-15 ANSI, 23 Unicode, 36 the 4 KB-page
    // offline files (OST) of Outlook 2013 and later. Any later one is not
    // known to the reader.
    let head = input.head(12)?;
    if let Some(version) = head.get(10..12).map(|v| u16::from_le_bytes([v[0], v[1]]))
        && version > 36
    {
        return Err(ExtractError::Unsupported(format!(
            "Outlook data file of a format version piisweep does not know ({version}); \
             export the mailbox from Outlook as a .pst (File > Open & Export > Import/Export) to scan it"
        )));
    }
    let pst = Pst::open(&*source).map_err(|e| ExtractError::corrupt("Outlook data file", e))?;
    let store = pst.store();
    let root = top_folder(&store)
        .map_err(|e| ExtractError::corrupt("Outlook data file", format!("its folders cannot be opened: {e}")))?;
    let mut reader = Reader { pst, limits, emit };
    reader.folder(&root, "");
    Ok(())
}

/// The folder Outlook shows as the mailbox's top: the store's IPM subtree.
/// An offline file (OST) of Outlook.com or Microsoft 365 may not name it in
/// the store's properties: it is then `Root - Mailbox/IPM_SUBTREE` under the
/// root folder, found by name, else the root folder itself (whose other
/// folders, such as search folders and views, hold no items of their own).
fn top_folder(store: &Rc<dyn Store>) -> std::io::Result<Rc<dyn Folder>> {
    if let Ok(id) = store.properties().ipm_sub_tree_entry_id() {
        return store.open_folder(&id);
    }
    let root = store.open_folder(&store.properties().make_entry_id(outlook_pst::ndb::node_id::NID_ROOT_FOLDER)?)?;
    let child = |folder: &Rc<dyn Folder>, name: &str| -> Option<Rc<dyn Folder>> {
        let hierarchy = folder.hierarchy_table()?;
        let rows: Vec<u32> = hierarchy.rows_matrix().map(|row| u32::from(row.id())).collect();
        rows.into_iter().find_map(|id| {
            let sub = store.properties().make_entry_id(NodeId::from(id)).and_then(|e| store.open_folder(&e)).ok()?;
            (sub.properties().display_name().ok()? == name).then_some(sub)
        })
    };
    Ok(child(&root, "Root - Mailbox").and_then(|mailbox| child(&mailbox, "IPM_SUBTREE")).unwrap_or(root))
}

/// Bytes shared by the readers a store is opened with.
struct RcBytes(Rc<[u8]>);

impl AsRef<[u8]> for RcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

struct Reader<'a> {
    pst: Pst,
    limits: &'a Limits,
    emit: &'a mut dyn Emit,
}

impl Reader<'_> {
    /// Read the items of `folder` (at `path`, "" for the top), then its sub-folders.
    fn folder(&mut self, folder: &Rc<dyn Folder>, path: &str) {
        let store = self.pst.store();
        if let Some(contents) = folder.contents_table() {
            let mut names = Unique::default();
            let rows: Vec<u32> = contents.rows_matrix().map(|row| u32::from(row.id())).collect();
            for id in rows {
                self.item(id, path, &mut names, &|| summary_row(contents.as_ref(), id));
            }
        }
        let Some(hierarchy) = folder.hierarchy_table() else { return };
        let mut names = Unique::default();
        let rows: Vec<u32> = hierarchy.rows_matrix().map(|row| u32::from(row.id())).collect();
        for id in rows {
            let opened = store.properties().make_entry_id(NodeId::from(id)).and_then(|e| store.open_folder(&e));
            match opened {
                Ok(sub) => {
                    let name = sub.properties().display_name().unwrap_or_default();
                    let name = names.unique(safe_component(&name, "(no name)"));
                    let sub_path = if path.is_empty() { name } else { format!("{path}/{name}") };
                    self.folder(&sub, &sub_path);
                }
                Err(e) => {
                    let name = if path.is_empty() { format!("folder {id}") } else { format!("{path}/folder {id}") };
                    self.emit.part_error(&name, ExtractError::corrupt("Outlook folder", e));
                }
            }
        }
    }

    /// Read one item of the folder at `path` and hand it on as a message.
    /// An item the crate cannot open (a distribution list stored without
    /// the sub-node tree the crate expects, a damaged item) is read from
    /// its row in the folder's contents table, `summary`, which holds its
    /// subject, sender, recipients and class: what Outlook lists it by.
    fn item(&mut self, id: u32, path: &str, names: &mut Unique, summary: &dyn Fn() -> Vec<(u16, String)>) {
        let store = self.pst.store();
        let opened = store.properties().make_entry_id(NodeId::from(id)).and_then(|e| self.pst.open_item(&e));
        let item = match opened {
            Ok(item) => item,
            Err(e) => {
                let row = summary();
                let subject = row.iter().find(|(p, _)| *p == prop::SUBJECT).map(|(_, s)| s.clone());
                let name = join(
                    path,
                    &names.unique(match &subject {
                        Some(s) => safe_component(s, "(no subject)"),
                        None => format!("item {id}"),
                    }),
                );
                if row.is_empty() {
                    self.emit.part_error(&name, ExtractError::corrupt("Outlook item", e));
                } else {
                    self.emit.warn(format!(
                        "{name}: only the folder's summary of this item could be read (its subject, sender and \
                         recipients; not its body or attachments): {e}"
                    ));
                    self.emit.part(&name, &summary_eml(&row));
                }
                return;
            }
        };
        let message = item.message();
        let name = join(path, &names.unique(item_name(&message)));
        let mut notes = Notes::default();
        let eml = to_eml(&message, Some(&item), self.limits, &mut notes);
        for w in notes.warnings {
            self.emit.warn(format!("{name}: {w}"));
        }
        self.emit.part(&name, &eml);
        // An attachment that could not be read counts as a part not read.
        for (part, reason) in notes.failed {
            self.emit
                .part_error(&format!("{name}!attachments/{part}"), ExtractError::corrupt("Outlook attachment", reason));
        }
    }
}

/// The string columns of item `id`'s row in a folder's contents table.
fn summary_row(contents: &dyn outlook_pst::ltp::table_context::TableContext, id: u32) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    let context = contents.context();
    let Some(row) = contents.rows_matrix().find(|row| u32::from(row.id()) == id) else { return out };
    let Ok(values) = row.columns(context) else { return out };
    for (column, value) in context.columns().iter().zip(values) {
        let Some(value) = value else { continue };
        let Ok(value) = contents.read_column(&value, column.prop_type()) else { continue };
        if let Some(text) = string(&value) {
            out.push((column.prop_id(), text));
        }
    }
    out
}

/// A message made from an item's contents-table row: its headers, and its
/// other text columns (labelled where known) as the body.
fn summary_eml(row: &[(u16, String)]) -> Vec<u8> {
    let get = |id: u16| row.iter().find(|(p, _)| *p == id).map(|(_, s)| s.as_str());
    let mut out = String::new();
    if let Some(from) = get(prop::SENT_REPRESENTING_NAME).or(get(prop::SENDER_NAME)) {
        header(&mut out, "From", from);
    }
    for (field, id) in [("To", prop::DISPLAY_TO), ("Cc", prop::DISPLAY_CC), ("Bcc", prop::DISPLAY_BCC)] {
        if let Some(v) = get(id) {
            header(&mut out, field, v);
        }
    }
    if let Some(subject) = get(prop::SUBJECT) {
        header(&mut out, "Subject", subject);
    }
    if let Some(class) = get(prop::MESSAGE_CLASS) {
        header(&mut out, "X-Outlook-Class", class);
    }
    out.push_str(
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    );
    let shown = [
        prop::SENT_REPRESENTING_NAME,
        prop::SENDER_NAME,
        prop::DISPLAY_TO,
        prop::DISPLAY_CC,
        prop::DISPLAY_BCC,
        prop::SUBJECT,
        prop::MESSAGE_CLASS,
    ];
    let mut body = String::new();
    for (id, text) in row.iter().filter(|(id, _)| !shown.contains(id)) {
        match label(*id) {
            Some(l) => body.push_str(&format!("{l}: {text}\n")),
            None => body.push_str(&format!("{text}\n")),
        }
    }
    base64_lines(&mut out, body.as_bytes());
    out.into_bytes()
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path}/{name}") }
}

/// `2023-10-04 New referral`: the item's date and subject, as a name.
fn item_name(message: &Rc<dyn Message>) -> String {
    let props = message.properties();
    let subject = props.get(prop::SUBJECT).and_then(string).or_else(|| props.get(prop::DISPLAY_NAME).and_then(string));
    let subject = safe_component(&subject.unwrap_or_default(), "(no subject)");
    match item_time(message) {
        Some(t) => format!("{} {subject}", t.format("%Y-%m-%d")),
        None => subject,
    }
}

/// When the item was sent, delivered or made.
fn item_time(message: &Rc<dyn Message>) -> Option<chrono::DateTime<chrono::Utc>> {
    let props = message.properties();
    [prop::CLIENT_SUBMIT_TIME, prop::DELIVERY_TIME, prop::CREATION_TIME].into_iter().find_map(|id| {
        match props.get(id) {
            Some(PropertyValue::Time(t)) => filetime(*t),
            _ => None,
        }
    })
}

/// A FILETIME (100 ns since 1601) as a date.
fn filetime(t: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    if t <= 0 {
        return None;
    }
    let secs = t / 10_000_000 - 11_644_473_600;
    chrono::DateTime::from_timestamp(secs, 0)
}

/// A folder or item name safe in a path: no `/`, `\` or `!` (which separate
/// folders and parts), no control characters, at most 100 characters, and no
/// trailing `.ext` that would make it look like a file of another kind.
fn safe_component(name: &str, empty: &str) -> String {
    let cleaned: String = name
        .trim_start_matches(['\u{1}', '\u{2}', '\u{3}', '\u{4}', '\u{5}'])
        .chars()
        .map(|c| if c.is_control() || matches!(c, '/' | '\\' | '!') { '_' } else { c })
        .take(100)
        .collect();
    let mut cleaned = cleaned.trim().to_string();
    if let Some((stem, ext)) = cleaned.rsplit_once('.')
        && !stem.is_empty()
        && !ext.is_empty()
        && ext.len() <= 5
        && ext.chars().all(|c| c.is_ascii_alphanumeric())
    {
        cleaned = format!("{stem}_{ext}");
    }
    if cleaned.is_empty() { empty.to_string() } else { cleaned }
}

/// Unique names within one folder: `name`, then `name (2)`, `name (3)` ...
#[derive(Default)]
struct Unique {
    used: HashMap<String, u32>,
}

impl Unique {
    fn unique(&mut self, name: String) -> String {
        let n = self.used.entry(name.clone()).or_insert(0);
        *n += 1;
        if *n == 1 {
            return name;
        }
        let mut k = *n;
        loop {
            let candidate = format!("{name} ({k})");
            if !self.used.contains_key(&candidate) {
                self.used.insert(candidate.clone(), 1);
                return candidate;
            }
            k += 1;
        }
    }
}

/// A string property's text (ANSI strings in Windows-1252), without the
/// subject prefix marker some stores keep.
fn string(value: &PropertyValue) -> Option<String> {
    let text = match value {
        PropertyValue::Unicode(v) => String::from_utf16_lossy(v.buffer()),
        PropertyValue::String8(v) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(v.buffer()).0.into_owned(),
        _ => return None,
    };
    // A subject may start with U+0001 and the length of its prefix ("RE: ").
    let text = match text.strip_prefix('\u{1}') {
        Some(rest) => rest.chars().skip(1).collect(),
        None => text,
    };
    let text = text.trim_end_matches('\0').trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// `Name <address>`, or whichever of the two there is.
fn display_address(name: Option<String>, address: Option<String>) -> Option<String> {
    match (name, address) {
        (Some(n), Some(a)) if n != a => Some(format!("{n} <{a}>")),
        (Some(n), _) => Some(n),
        (None, a) => a,
    }
}

/// The item's recipients by kind (To, Cc, Bcc) from its recipient table.
fn recipients(message: &Rc<dyn Message>) -> [Vec<String>; 3] {
    let mut lists: [Vec<String>; 3] = Default::default();
    let Some(table) = message.recipient_table() else { return lists };
    let context = table.context();
    for row in table.rows_matrix() {
        let Ok(values) = row.columns(context) else { continue };
        let mut kind = 1;
        let (mut name, mut email, mut smtp) = (None, None, None);
        for (column, value) in context.columns().iter().zip(values) {
            let Some(value) = value else { continue };
            let Ok(value) = table.read_column(&value, column.prop_type()) else { continue };
            match (column.prop_id(), &value) {
                (prop::RECIPIENT_TYPE, PropertyValue::Integer32(k)) => kind = *k,
                (prop::DISPLAY_NAME, v) => name = string(v),
                (prop::EMAIL, v) => email = string(v),
                (prop::SMTP, v) => smtp = string(v),
                _ => {}
            }
        }
        // An Exchange address (`/O=ORG/OU=.../CN=jsmith`) only when there is no SMTP one.
        if let Some(r) = display_address(name, smtp.or(email)) {
            lists[(kind.clamp(1, 3) - 1) as usize].push(r);
        }
    }
    lists
}

/// A header line, RFC 2047-encoded when not plain ASCII.
fn header(out: &mut String, name: &str, value: &str) {
    let value = value.replace(['\r', '\n'], " ");
    out.push_str(name);
    out.push_str(": ");
    if value.is_ascii() {
        out.push_str(&value);
    } else {
        // Encoded words of at most 45 bytes of text each, split on characters.
        let mut first = true;
        let mut chunk = String::new();
        let flush = |out: &mut String, chunk: &mut String, first: &mut bool| {
            if !*first {
                out.push_str("\r\n ");
            }
            out.push_str("=?UTF-8?B?");
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(chunk.as_bytes()));
            out.push_str("?=");
            chunk.clear();
            *first = false;
        };
        for c in value.chars() {
            if chunk.len() + c.len_utf8() > 45 {
                flush(out, &mut chunk, &mut first);
            }
            chunk.push(c);
        }
        if !chunk.is_empty() {
            flush(out, &mut chunk, &mut first);
        }
    }
    out.push_str("\r\n");
}

fn base64_lines(out: &mut String, data: &[u8]) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    for line in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
}

/// The item as an RFC 5322 message with its attachments. `item` opens the
/// attachments (an attached message is opened as an item too, so its own
/// attachments are included; without `item` they are left out, with a
/// warning).
/// What building an item's message noted: warnings, and the attachments
/// (`NAME` as under `!attachments/`) that could not be read, with why.
#[derive(Default)]
struct Notes {
    warnings: Vec<String>,
    failed: Vec<(String, String)>,
}

fn to_eml(message: &Rc<dyn Message>, item: Option<&Item>, limits: &Limits, notes: &mut Notes) -> Vec<u8> {
    let props = message.properties();
    let get = |id| props.get(id).and_then(string);
    let mut out = String::new();
    let from_name = get(prop::SENT_REPRESENTING_NAME).or_else(|| get(prop::SENDER_NAME));
    let from_address = get(prop::SENT_REPRESENTING_SMTP)
        .or_else(|| get(prop::SENDER_SMTP))
        .or_else(|| get(prop::SENT_REPRESENTING_EMAIL))
        .or_else(|| get(prop::SENDER_EMAIL));
    if let Some(from) = display_address(from_name, from_address) {
        header(&mut out, "From", &from);
    }
    let lists = recipients(message);
    for ((field, display), list) in
        [("To", prop::DISPLAY_TO), ("Cc", prop::DISPLAY_CC), ("Bcc", prop::DISPLAY_BCC)].into_iter().zip(lists)
    {
        let value = if list.is_empty() { get(display) } else { Some(list.join(", ")) };
        if let Some(value) = value {
            header(&mut out, field, &value);
        }
    }
    if let Some(subject) = get(prop::SUBJECT) {
        header(&mut out, "Subject", &subject);
    }
    if let Some(t) = item_time(message) {
        header(&mut out, "Date", &t.to_rfc2822());
    }
    if let Some(class) = get(prop::MESSAGE_CLASS) {
        header(&mut out, "X-Outlook-Class", &class);
    }
    out.push_str("MIME-Version: 1.0\r\n");
    let boundary = "=_piisweep_pst_part_=";
    out.push_str(&format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"));

    let body = body_text(message, &mut notes.warnings);
    out.push_str(&format!("--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    out.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
    base64_lines(&mut out, body.as_bytes());

    if let Some(item) = item {
        attachments(&mut out, boundary, message, item, limits, notes);
    } else if message.attachment_table().is_some_and(|t| t.rows_matrix().next().is_some()) {
        notes.warnings.push("the attachments of this attached message could not be opened".into());
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    out.into_bytes()
}

/// The body (plain text, else HTML as text, else the compressed RTF body as
/// text), then the item's other text properties as `Label: value` lines.
fn body_text(message: &Rc<dyn Message>, warnings: &mut Vec<String>) -> String {
    let props = message.properties();
    let mut body = props.get(prop::BODY).and_then(string).unwrap_or_default();
    if body.trim().is_empty() {
        body = match props.get(prop::HTML) {
            Some(PropertyValue::Binary(b)) => {
                let codepage = match props.get(prop::INTERNET_CODEPAGE).or_else(|| props.get(prop::MESSAGE_CODEPAGE)) {
                    Some(PropertyValue::Integer32(cp)) => super::rtf::walk::codepage(*cp),
                    _ => None,
                };
                let html = match codepage {
                    Some(enc) => enc.decode_without_bom_handling(b.buffer()).0.into_owned(),
                    None => super::text::decode_mixed(b.buffer()),
                };
                super::text::html_to_text(html.as_bytes())
            }
            Some(v) => string(v).map(|h| super::text::html_to_text(h.as_bytes())).unwrap_or_default(),
            None => String::new(),
        };
    }
    if body.trim().is_empty()
        && let Some(PropertyValue::Binary(b)) = props.get(prop::RTF_COMPRESSED)
    {
        match compressed_rtf::decompress_rtf(b.buffer()) {
            Ok(rtf) => body = rtf_text(rtf.as_bytes()),
            Err(e) => warnings.push(format!("its RTF body could not be decompressed ({e})")),
        }
    }
    let mut extra = String::new();
    let is_note = props.get(prop::MESSAGE_CLASS).and_then(string).is_none_or(|c| c.starts_with("IPM.Note"));
    for (&id, value) in props.iter() {
        if (is_note || id != prop::DISPLAY_NAME) && NOT_EXTRA.contains(&id) {
            continue;
        }
        let text = match value {
            PropertyValue::Unicode(_) | PropertyValue::String8(_) => string(value),
            PropertyValue::MultipleUnicode(v) => {
                let all: Vec<String> = v.iter().filter_map(|s| string(&PropertyValue::Unicode(s.clone()))).collect();
                (!all.is_empty()).then(|| all.join(", "))
            }
            PropertyValue::MultipleString8(v) => {
                let all: Vec<String> = v.iter().filter_map(|s| string(&PropertyValue::String8(s.clone()))).collect();
                (!all.is_empty()).then(|| all.join(", "))
            }
            PropertyValue::Time(t) if id == 0x3A42 => filetime(*t).map(|d| d.format("%d/%m/%Y").to_string()),
            _ => None,
        };
        let Some(text) = text else { continue };
        if body.contains(text.as_str()) {
            continue;
        }
        match label(id) {
            Some(l) => extra.push_str(l),
            None => extra.push_str(&format!("Property {id:04X}")),
        }
        extra.push_str(": ");
        extra.push_str(&text.replace(['\r', '\n'], " "));
        extra.push('\n');
    }
    if !extra.is_empty() {
        if !body.is_empty() && !body.ends_with('\n') {
            body.push('\n');
        }
        if !body.is_empty() {
            body.push('\n');
        }
        body.push_str(&extra);
    }
    body
}

/// The text of an RTF body, read by the RTF reader.
fn rtf_text(rtf: &[u8]) -> String {
    let mut collect = Collect::default();
    let _ = super::rtf::extract(&Input::Bytes(rtf), &mut collect, &Limits::default());
    collect.all_text()
}

/// Each attachment as a MIME part: a file as itself, an attached message
/// as `message/rfc822`.
fn attachments(
    out: &mut String,
    boundary: &str,
    message: &Rc<dyn Message>,
    item: &Item,
    limits: &Limits,
    notes: &mut Notes,
) {
    let Some(table) = message.attachment_table() else { return };
    let rows: Vec<u32> = table.rows_matrix().map(|row| u32::from(row.id())).collect();
    for (n, id) in rows.into_iter().enumerate() {
        let (attachment, inner_item) = match item.attachment(NodeId::from(id)) {
            Ok(a) => a,
            Err(e) => {
                notes.failed.push((format!("attachment {}", n + 1), e.to_string()));
                continue;
            }
        };
        let props = attachment.properties();
        let name = [prop::ATTACH_LONG_NAME, prop::ATTACH_SHORT_NAME, prop::DISPLAY_NAME]
            .into_iter()
            .find_map(|id| props.get(id).and_then(string));
        match attachment.data() {
            Some(AttachmentData::Binary(data)) => {
                let data = data.buffer();
                if data.len() as u64 > limits.max_in_memory {
                    notes.warnings.push(format!(
                        "attachment {} not read: larger than the in-memory limit ({} MB)",
                        name.as_deref().unwrap_or("(no name)"),
                        limits.max_in_memory >> 20
                    ));
                    continue;
                }
                let mime = props.get(prop::ATTACH_MIME).and_then(string);
                let mime =
                    mime.as_deref().filter(|m| m.contains('/') && m.is_ascii()).unwrap_or("application/octet-stream");
                let name = name.unwrap_or_else(|| format!("attachment-{}", n + 1));
                out.push_str(&format!("--{boundary}\r\nContent-Type: {mime}\r\n"));
                out.push_str("Content-Transfer-Encoding: base64\r\n");
                out.push_str(&format!("Content-Disposition: attachment; filename*=UTF-8''{}\r\n\r\n", percent(&name)));
                base64_lines(out, data);
            }
            Some(AttachmentData::Message(embedded)) => {
                let failed_before = notes.failed.len();
                let inner = to_eml(embedded, inner_item.as_ref(), limits, notes);
                let name = name.or_else(|| embedded.properties().get(prop::SUBJECT).and_then(string));
                let name = format!("{}.eml", name.unwrap_or_else(|| format!("attachment-{}", n + 1)));
                // The attached message's own attachments that failed are under it.
                for (part, _) in &mut notes.failed[failed_before..] {
                    *part = format!("{name}!attachments/{part}");
                }
                out.push_str(&format!("--{boundary}\r\nContent-Type: message/rfc822\r\n"));
                out.push_str(&format!("Content-Disposition: attachment; filename*=UTF-8''{}\r\n\r\n", percent(&name)));
                // The attached message's own parts use another boundary, one
                // that its attached messages (already renamed) do not use.
                let inner = String::from_utf8_lossy(&inner);
                let other = (1..)
                    .map(|k| format!("=_piisweep_pst_inner_{k}_="))
                    .find(|b| !inner.contains(b.as_str()))
                    .unwrap_or_default();
                out.push_str(&inner.replace(boundary, &other));
                out.push_str("\r\n");
            }
            None => {
                // Attached by reference (a link) or an OLE object: nothing to read.
            }
        }
    }
}

/// RFC 2231 percent-encoding of a file name.
fn percent(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~ ()".contains(&b) && b != b' ' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
