//! A small writer of Outlook data files (Unicode PST, NDB version 23) for
//! tests: a store described in code -- folders under the IPM subtree,
//! messages with sender, recipients, sent time and plain body, file
//! attachments and attached messages (a message inside a message, to any
//! depth) -- written byte by byte after MS-PST.
//!
//! Layout (MS-PST section numbers in brackets): the header [2.2.2.6] with
//! its two CRCs; one allocation map page at 0x4400 and one (unused) PMap
//! page after it [2.2.2.7.2-3], the map marked valid; data blocks, each with
//! its trailer and CRC, unencoded (`bCryptMethod` 0) [2.2.2.8]; sub-node
//! blocks (SLBLOCK) [2.2.2.8.3.3.1] holding a message's recipient and
//! attachment tables, its attachment objects and large property values; an
//! attached message is a sub-node of its attachment object's sub-node tree
//! (where Outlook, libpff and libpst put it); the node and block B-trees, one
//! or two levels of 512-byte pages [2.2.2.7.7]. On top: heaps on node
//! [2.3.1], BTHs [2.3.2], property contexts [2.3.3] and table contexts
//! [2.3.4]; the message store, the name-to-id map (empty), the root folder
//! and the IPM subtree with their hierarchy, contents and associated
//! contents tables [2.4].
//!
//! Limits, asserted: every heap fits one block (8176 bytes) and every
//! property value larger than a heap allocation (3580 bytes) fits one
//! block, so no XBLOCK data trees are written; the whole file fits the one
//! allocation map page (about 248 KB).
//!
//! Checked with independent readers (by hand; no test needs them):
//! `pffexport` 20180714 (libpff, Debian `pff-tools`) and `readpst` 0.6.76
//! (libpst, Debian `pst-utils`) read [`sample_store`] and a store shaped like
//! the one of `tests/pst.rs` with the same folders, messages, recipients, bodies and
//! file attachments as described, the 5000-byte attachment whole from its
//! sub-node, and each attached message (two deep) with its own attachment:
//! pffexport as `Attachments/Attachment00002/Message00001/...`, readpst as
//! `message/rfc822` parts. The first versions taught what these readers
//! need beyond what the outlook-pst crate checks: B-tree pages aligned on
//! 512 bytes, and a name-to-id map whose GUID and entry streams are not
//! empty. [`write_damaged`] writes stores for fuzzing
//! (`src/bin/piisweep-pst-fuzz.rs`).

/// A store: its display name and its top folders (under the IPM subtree).
#[derive(Clone, Debug, Default)]
pub struct Store {
    pub name: String,
    pub folders: Vec<Folder>,
}

#[derive(Clone, Debug, Default)]
pub struct Folder {
    pub name: String,
    pub messages: Vec<Message>,
    pub folders: Vec<Folder>,
}

#[derive(Clone, Debug, Default)]
pub struct Message {
    pub subject: String,
    pub from_name: String,
    pub from_address: String,
    pub recipients: Vec<Recipient>,
    /// Seconds since 1970.
    pub sent: i64,
    pub body: String,
    pub attachments: Vec<Attachment>,
}

#[derive(Clone, Debug)]
pub struct Recipient {
    pub name: String,
    pub address: String,
    /// 1 To, 2 Cc, 3 Bcc.
    pub kind: i32,
}

#[derive(Clone, Debug)]
pub enum Attachment {
    File { name: String, mime: String, data: Vec<u8> },
    Message(Box<Message>),
}

/// Where things were put, for tests that damage a store on purpose.
#[derive(Clone, Debug, Default)]
pub struct Written {
    pub bytes: Vec<u8>,
    /// The file offset and size of each attached message's property
    /// context block, in the order they were written.
    pub embedded_message_blocks: Vec<(usize, usize)>,
}

/// The store's file.
pub fn write(store: &Store) -> Vec<u8> {
    write_with_map(store).bytes
}

pub fn write_with_map(store: &Store) -> Written {
    let mut w = Writer::default();
    w.write_store(store);
    w.finish()
}

/// The store with a few bytes of its blocks and B-tree pages changed
/// before their CRCs and signatures are computed (chosen by `seed`): a
/// store whose checksums hold but whose heaps, tables, sub-node trees or
/// B-trees are damaged. For fuzzing the readers past their CRC checks.
pub fn write_damaged(store: &Store, seed: u64) -> Vec<u8> {
    let mut w = Writer { damage: Some(crate::rng::Rng::new(seed)), ..Writer::default() };
    w.write_store(store);
    w.finish().bytes
}

/// A store with a bit of everything: folders two deep, recipients of each
/// kind, file attachments (one larger than a heap allocation, so in a
/// sub-node), and an attached message holding an attached message.
pub fn sample_store() -> Store {
    let file = |name: &str, data: Vec<u8>| Attachment::File { name: name.into(), mime: "text/csv".into(), data };
    let message = |subject: &str, attachments: Vec<Attachment>| Message {
        subject: subject.into(),
        from_name: "Ann Example".into(),
        from_address: "ann@example.org".into(),
        recipients: vec![
            Recipient { name: "Bo To".into(), address: "bo@example.org".into(), kind: 1 },
            Recipient { name: "Cy Cc".into(), address: "cy@example.org".into(), kind: 2 },
            Recipient { name: "Di Bcc".into(), address: "di@example.org".into(), kind: 3 },
        ],
        sent: 1_696_400_000,
        body: format!("Body of {subject}: call 07700 900123."),
        attachments,
    };
    let innermost = message("Innermost", vec![file("deep.csv", b"a,b\n1,2\n".to_vec())]);
    let inner = message("Inner", vec![Attachment::Message(Box::new(innermost)), file("in.csv", b"x\n".to_vec())]);
    let big: Vec<u8> = (0..5000).map(|i| b"0123456789,\n"[i % 12]).collect();
    let outer = message("Outer", vec![file("big.csv", big), Attachment::Message(Box::new(inner))]);
    Store {
        name: "Sample".into(),
        folders: vec![
            Folder { name: "Inbox".into(), messages: vec![outer, message("Plain", Vec::new())], folders: Vec::new() },
            Folder {
                name: "Archive".into(),
                messages: Vec::new(),
                folders: vec![Folder {
                    name: "2023".into(),
                    messages: vec![message("Old", Vec::new())],
                    folders: Vec::new(),
                }],
            },
        ],
    }
}

// ---- property values -------------------------------------------------------

const PT_INT32: u16 = 0x0003;
const PT_BOOL: u16 = 0x000B;
const PT_OBJECT: u16 = 0x000D;
const PT_TIME: u16 = 0x0040;
const PT_UNICODE: u16 = 0x001F;
const PT_BINARY: u16 = 0x0102;

#[derive(Clone, Debug)]
enum Value {
    Int(i32),
    Bool(bool),
    Time(i64),
    Text(String),
    Bin(Vec<u8>),
    /// An object in a sub-node: its NID and size.
    Object(u32, u32),
}

impl Value {
    fn prop_type(&self) -> u16 {
        match self {
            Value::Int(_) => PT_INT32,
            Value::Bool(_) => PT_BOOL,
            Value::Time(_) => PT_TIME,
            Value::Text(_) => PT_UNICODE,
            Value::Bin(_) => PT_BINARY,
            Value::Object(..) => PT_OBJECT,
        }
    }
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// Seconds since 1970 as a FILETIME.
fn filetime(unix: i64) -> i64 {
    (unix + 11_644_473_600) * 10_000_000
}

// ---- CRC and signatures [5.3, 5.5] -----------------------------------------

fn crc(data: &[u8]) -> u32 {
    let mut c = 0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
        }
    }
    c
}

fn signature(ib: u64, bid: u64) -> u16 {
    let v = ib ^ bid;
    ((v >> 16) as u16) ^ (v as u16)
}

// ---- heap on node [2.3.1] --------------------------------------------------

const MAX_ALLOC: usize = 3580;
const MAX_BLOCK: usize = 8176;

#[derive(Default)]
struct Heap {
    allocs: Vec<Vec<u8>>,
}

impl Heap {
    fn alloc(&mut self, data: Vec<u8>) -> u32 {
        assert!(data.len() <= MAX_ALLOC, "heap allocation of {} bytes", data.len());
        self.allocs.push(data);
        (self.allocs.len() as u32) << 5
    }

    fn finish(self, client_sig: u8, user_root: u32) -> Vec<u8> {
        let mut out = vec![0u8; 12];
        let mut offsets = Vec::new();
        for a in &self.allocs {
            offsets.push(out.len() as u16);
            out.extend_from_slice(a);
        }
        offsets.push(out.len() as u16);
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let map = out.len() as u16;
        out[0..2].copy_from_slice(&map.to_le_bytes());
        out[2] = 0xEC;
        out[3] = client_sig;
        out[4..8].copy_from_slice(&user_root.to_le_bytes());
        out.extend_from_slice(&(self.allocs.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        for o in offsets {
            out.extend_from_slice(&o.to_le_bytes());
        }
        assert!(out.len() <= MAX_BLOCK, "heap of {} bytes", out.len());
        out
    }

    /// A BTH [2.3.2] of `records` (key, data), sorted by key; its header's HID.
    fn bth(&mut self, key_size: u8, entry_size: u8, mut records: Vec<(Vec<u8>, Vec<u8>)>) -> u32 {
        records.sort_by(|a, b| a.0.iter().rev().cmp(b.0.iter().rev()));
        let root = if records.is_empty() {
            0
        } else {
            self.alloc(records.into_iter().flat_map(|(k, v)| k.into_iter().chain(v)).collect())
        };
        let mut header = vec![0xB5, key_size, entry_size, 0];
        header.extend_from_slice(&root.to_le_bytes());
        self.alloc(header)
    }
}

/// A sub-node of a node: its NID, data block and own sub-node tree.
#[derive(Clone, Copy)]
struct SubNode {
    nid: u32,
    data: u64,
    sub: u64,
}

// ---- the writer ------------------------------------------------------------

const NID_MESSAGE_STORE: u32 = 0x21;
const NID_NAME_TO_ID_MAP: u32 = 0x61;
const NID_ROOT_FOLDER: u32 = 0x122;
const NID_RECIPIENT_TABLE: u32 = 0x692;
const NID_ATTACHMENT_TABLE: u32 = 0x671;
const TYPE_FOLDER: u32 = 0x02;
const TYPE_MESSAGE: u32 = 0x04;
const TYPE_ATTACHMENT: u32 = 0x05;
const TYPE_HIERARCHY: u32 = 0x0D;
const TYPE_CONTENTS: u32 = 0x0E;
const TYPE_ASSOC: u32 = 0x0F;
const TYPE_LTP: u32 = 0x1F;

const RECORD_KEY: [u8; 16] = *b"piisweep-testkit";

struct Node {
    nid: u32,
    data: u64,
    sub: u64,
    parent: u32,
}

struct Writer {
    blocks: Vec<(u64, Vec<u8>)>,
    nodes: Vec<Node>,
    next_bid: u64,
    next_folder: u32,
    next_message: u32,
    embedded: Vec<u64>,
    damage: Option<crate::rng::Rng>,
}

impl Default for Writer {
    fn default() -> Self {
        Writer {
            blocks: Vec::new(),
            nodes: Vec::new(),
            next_bid: 4,
            next_folder: 0x400,
            next_message: 0x10000,
            embedded: Vec::new(),
            damage: None,
        }
    }
}

fn entry_id(nid: u32) -> Vec<u8> {
    let mut id = vec![0u8; 4];
    id.extend_from_slice(&RECORD_KEY);
    id.extend_from_slice(&nid.to_le_bytes());
    id
}

impl Writer {
    fn block(&mut self, data: Vec<u8>, internal: bool) -> u64 {
        assert!(data.len() <= MAX_BLOCK, "block of {} bytes", data.len());
        let bid = self.next_bid | if internal { 2 } else { 0 };
        self.next_bid += 4;
        self.blocks.push((bid, data));
        bid
    }

    /// The SLBLOCK of `subs` (0 when there are none).
    fn sub_tree(&mut self, mut subs: Vec<SubNode>) -> u64 {
        if subs.is_empty() {
            return 0;
        }
        subs.sort_by_key(|s| s.nid);
        assert!(subs.len() <= 340, "too many sub-nodes");
        let mut out = vec![0x02, 0x00];
        out.extend_from_slice(&(subs.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        for s in subs {
            out.extend_from_slice(&u64::from(s.nid).to_le_bytes());
            out.extend_from_slice(&s.data.to_le_bytes());
            out.extend_from_slice(&s.sub.to_le_bytes());
        }
        self.block(out, true)
    }

    /// A property context's heap; values too large for the heap go to
    /// sub-nodes added to `subs`.
    fn pc(&mut self, props: &[(u16, Value)], subs: &mut Vec<SubNode>) -> Vec<u8> {
        let mut heap = Heap::default();
        let mut records = Vec::new();
        for (id, value) in props {
            if matches!(value, Value::Text(t) if t.is_empty()) {
                continue;
            }
            let hnid = self.hnid(&mut heap, value, subs, false);
            let mut data = value.prop_type().to_le_bytes().to_vec();
            data.extend_from_slice(&hnid.to_le_bytes());
            records.push((id.to_le_bytes().to_vec(), data));
        }
        let root = heap.bth(2, 6, records);
        heap.finish(0xBC, root)
    }

    /// The 4-byte cell of a value: inline, a HID or a sub-node NID.
    fn hnid(&mut self, heap: &mut Heap, value: &Value, subs: &mut Vec<SubNode>, in_table: bool) -> u32 {
        let bytes = match value {
            Value::Int(v) => return *v as u32,
            Value::Bool(v) => return u32::from(*v),
            Value::Time(t) if !in_table => t.to_le_bytes().to_vec(),
            Value::Time(_) => unreachable!("times are inline in a table row"),
            Value::Text(s) => utf16(s),
            Value::Bin(b) => b.clone(),
            Value::Object(nid, size) => {
                let mut b = nid.to_le_bytes().to_vec();
                b.extend_from_slice(&size.to_le_bytes());
                b
            }
        };
        if bytes.len() <= MAX_ALLOC {
            heap.alloc(bytes)
        } else {
            let nid = ((subs.len() as u32 + 1) << 5) | TYPE_LTP;
            let data = self.block(bytes, false);
            subs.push(SubNode { nid, data, sub: 0 });
            nid
        }
    }

    /// A table context's heap [2.3.4]: `columns` (id, type) and rows
    /// (row id, a value or none per column).
    fn tc(&mut self, columns: &[(u16, u16)], rows: &[(u32, Vec<Option<Value>>)], subs: &mut Vec<SubNode>) -> Vec<u8> {
        let size = |t: u16| match t {
            PT_TIME => 8,
            PT_BOOL => 1,
            _ => 4,
        };
        // Row id and version first, then 8-, 4- and 1-byte cells.
        let mut all: Vec<(u16, u16, Option<usize>)> = vec![(0x67F2, PT_INT32, None), (0x67F3, PT_INT32, None)];
        let mut order: Vec<usize> = (0..columns.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(size(columns[i].1)));
        for i in order {
            all.push((columns[i].0, columns[i].1, Some(i)));
        }
        let mut offsets = Vec::new();
        let mut ib = 0u16;
        for (_, t, _) in &all {
            offsets.push(ib);
            ib += size(*t);
        }
        let end4: u16 = all.iter().map(|c| size(c.1)).filter(|s| *s >= 4).sum();
        let end2 = end4;
        let end1 = ib;
        let ceb = all.len().div_ceil(8) as u16;
        let row_size = end1 + ceb;

        let mut heap = Heap::default();
        let mut matrix = Vec::new();
        let mut index = Vec::new();
        for (n, (row_id, values)) in rows.iter().enumerate() {
            let mut row = vec![0u8; row_size as usize];
            let mut present = vec![false; all.len()];
            for (k, (_, t, source)) in all.iter().enumerate() {
                let cell: Option<Vec<u8>> = match source {
                    None if k == 0 => Some(row_id.to_le_bytes().to_vec()),
                    None => Some(0u32.to_le_bytes().to_vec()),
                    Some(i) => match &values[*i] {
                        None => None,
                        Some(Value::Time(v)) => Some(v.to_le_bytes().to_vec()),
                        Some(Value::Bool(v)) => Some(vec![u8::from(*v)]),
                        Some(v) => Some(self.hnid(&mut heap, v, subs, true).to_le_bytes().to_vec()),
                    },
                };
                if let Some(cell) = cell {
                    assert_eq!(cell.len(), size(*t) as usize);
                    let at = offsets[k] as usize;
                    row[at..at + cell.len()].copy_from_slice(&cell);
                    present[k] = true;
                }
            }
            for (k, p) in present.iter().enumerate() {
                if *p {
                    row[end1 as usize + k / 8] |= 0x80 >> (k % 8);
                }
            }
            matrix.extend_from_slice(&row);
            index.push((row_id.to_le_bytes().to_vec(), (n as u32).to_le_bytes().to_vec()));
        }
        let row_index = heap.bth(4, 4, index);
        let rows_hid = if matrix.is_empty() { 0 } else { heap.alloc(matrix) };
        let mut info = vec![0x7C, all.len() as u8];
        for v in [end4, end2, end1, row_size] {
            info.extend_from_slice(&v.to_le_bytes());
        }
        info.extend_from_slice(&row_index.to_le_bytes());
        info.extend_from_slice(&rows_hid.to_le_bytes());
        info.extend_from_slice(&0u32.to_le_bytes());
        let mut descs: Vec<(u32, u16, u8, u8)> = all
            .iter()
            .enumerate()
            .map(|(k, (id, t, _))| ((u32::from(*id) << 16) | u32::from(*t), offsets[k], size(*t) as u8, k as u8))
            .collect();
        descs.sort_by_key(|d| d.0);
        for (tag, ib, cb, bit) in descs {
            info.extend_from_slice(&tag.to_le_bytes());
            info.extend_from_slice(&ib.to_le_bytes());
            info.push(cb);
            info.push(bit);
        }
        let root = heap.alloc(info);
        heap.finish(0x7C, root)
    }

    /// A top-level node: its heap in a block, its sub-nodes in an SLBLOCK.
    fn node(&mut self, nid: u32, parent: u32, heap: Vec<u8>, subs: Vec<SubNode>) {
        let data = self.block(heap, false);
        let sub = self.sub_tree(subs);
        self.nodes.push(Node { nid, data, sub, parent });
    }

    fn write_store(&mut self, store: &Store) {
        let mut subs = Vec::new();
        let heap = self.pc(
            &[
                (0x0001, Value::Int(251)),
                // PSETID_Common, so that the GUID stream is not empty.
                (0x0002, Value::Bin(vec![8, 0x20, 6, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46])),
                // One numeric name (id 1 in PS_MAPI, as 0x8000): readers
                // refuse an empty entry stream.
                (0x0003, Value::Bin(vec![1, 0, 0, 0, 2, 0, 0, 0])),
                (0x0004, Value::Bin(Vec::new())),
            ],
            &mut subs,
        );
        self.node(NID_NAME_TO_ID_MAP, 0, heap, subs);

        // The root folder holds the IPM subtree (the folders Outlook shows,
        // then Deleted Items) and the search root.
        let empty = |name: &str| Folder { name: name.into(), ..Default::default() };
        let ipm = self.folder_nid();
        let finder = self.folder_nid();
        let mut top = empty("Top of Personal Folders");
        top.folders = store.folders.clone();
        top.folders.push(empty("Deleted Items"));
        self.write_folder(NID_ROOT_FOLDER, NID_ROOT_FOLDER, &empty(""), &[(ipm, top), (finder, empty("Search Root"))]);
        // The last folder written under the IPM subtree: Deleted Items.
        let waste =
            self.nodes.iter().rev().find(|n| n.parent == ipm && n.nid & 0x1F == TYPE_FOLDER).map_or(ipm, |n| n.nid);

        let mut subs = Vec::new();
        let props = [
            (0x0FF9, Value::Bin(RECORD_KEY.to_vec())),
            (0x3001, Value::Text(store.name.clone())),
            (0x35DF, Value::Int(0x89)),
            (0x35E0, Value::Bin(entry_id(ipm))),
            (0x35E3, Value::Bin(entry_id(waste))),
            (0x35E7, Value::Bin(entry_id(finder))),
        ];
        let heap = self.pc(&props, &mut subs);
        self.node(NID_MESSAGE_STORE, 0, heap, subs);
    }

    fn folder_nid(&mut self) -> u32 {
        self.next_folder += 1;
        (self.next_folder << 5) | TYPE_FOLDER
    }

    /// A folder, its tables and, recursively, its sub-folders (`children`,
    /// NIDs already given) and messages.
    fn write_folder(&mut self, nid: u32, parent: u32, folder: &Folder, children: &[(u32, Folder)]) {
        let mut subs = Vec::new();
        let props = [
            (0x3001, Value::Text(folder.name.clone())),
            (0x3602, Value::Int(folder.messages.len() as i32)),
            (0x3603, Value::Int(0)),
            (0x360A, Value::Bool(!children.is_empty())),
            (0x3613, Value::Text("IPF.Note".into())),
        ];
        let heap = self.pc(&props, &mut subs);
        self.node(nid, parent, heap, subs);

        let base = nid & !0x1F;
        let rows: Vec<(u32, Vec<Option<Value>>)> = children
            .iter()
            .map(|(n, f)| {
                (
                    *n,
                    vec![
                        Some(Value::Text(f.name.clone())),
                        Some(Value::Int(f.messages.len() as i32)),
                        Some(Value::Int(0)),
                        Some(Value::Bool(!f.folders.is_empty())),
                    ],
                )
            })
            .collect();
        let mut subs = Vec::new();
        let heap = self.tc(
            &[(0x3001, PT_UNICODE), (0x3602, PT_INT32), (0x3603, PT_INT32), (0x360A, PT_BOOL)],
            &rows,
            &mut subs,
        );
        self.node(base | TYPE_HIERARCHY, 0, heap, subs);

        let mut rows = Vec::new();
        let mut messages = Vec::new();
        for m in &folder.messages {
            self.next_message += 1;
            let mnid = (self.next_message << 5) | TYPE_MESSAGE;
            messages.push((mnid, m));
            rows.push((
                mnid,
                vec![
                    Some(Value::Text("IPM.Note".into())),
                    Some(Value::Text(m.subject.clone())),
                    Some(Value::Text(m.from_name.clone())),
                    Some(Value::Time(filetime(m.sent))),
                    Some(Value::Int(1)),
                ],
            ));
        }
        let mut subs = Vec::new();
        let heap = self.tc(
            &[(0x001A, PT_UNICODE), (0x0037, PT_UNICODE), (0x0042, PT_UNICODE), (0x0E06, PT_TIME), (0x0E07, PT_INT32)],
            &rows,
            &mut subs,
        );
        self.node(base | TYPE_CONTENTS, 0, heap, subs);
        let mut subs = Vec::new();
        let heap = self.tc(&[(0x001A, PT_UNICODE)], &[], &mut subs);
        self.node(base | TYPE_ASSOC, 0, heap, subs);

        for (mnid, m) in messages {
            let (heap, subs) = self.message(m);
            self.node(mnid, nid, heap, subs);
        }
        for (n, f) in children {
            let grand: Vec<(u32, Folder)> = f.folders.iter().map(|g| (self.folder_nid(), g.clone())).collect();
            self.write_folder(*n, nid, f, &grand);
        }
    }

    /// A message's property context and its sub-nodes (recipient table,
    /// attachment table, attachment objects, large values).
    fn message(&mut self, m: &Message) -> (Vec<u8>, Vec<SubNode>) {
        let mut subs = Vec::new();
        let to = |kind: i32| {
            m.recipients.iter().filter(|r| r.kind == kind).map(|r| r.name.as_str()).collect::<Vec<_>>().join("; ")
        };
        let sent = filetime(m.sent);
        let mut props = vec![
            (0x001A, Value::Text("IPM.Note".into())),
            (0x0037, Value::Text(m.subject.clone())),
            (0x0039, Value::Time(sent)),
            (0x0042, Value::Text(m.from_name.clone())),
            (0x0064, Value::Text("SMTP".into())),
            (0x0065, Value::Text(m.from_address.clone())),
            (0x0C1A, Value::Text(m.from_name.clone())),
            (0x0C1E, Value::Text("SMTP".into())),
            (0x0C1F, Value::Text(m.from_address.clone())),
            (0x0E06, Value::Time(sent)),
            (0x0E07, Value::Int(if m.attachments.is_empty() { 1 } else { 0x11 })),
            (0x0E1B, Value::Bool(!m.attachments.is_empty())),
            (0x1000, Value::Text(m.body.clone())),
            (0x3007, Value::Time(sent)),
            (0x3008, Value::Time(sent)),
        ];
        for (id, kind) in [(0x0E04, 1), (0x0E03, 2), (0x0E02, 3)] {
            props.push((id, Value::Text(to(kind))));
        }
        props.sort_by_key(|p| p.0);
        let heap = self.pc(&props, &mut subs);

        let rows: Vec<(u32, Vec<Option<Value>>)> = m
            .recipients
            .iter()
            .enumerate()
            .map(|(n, r)| {
                (
                    n as u32,
                    vec![
                        Some(Value::Int(r.kind)),
                        Some(Value::Text(r.name.clone())),
                        Some(Value::Text("SMTP".into())),
                        Some(Value::Text(r.address.clone())),
                        Some(Value::Text(r.address.clone())),
                        Some(Value::Int(6)),
                    ],
                )
            })
            .collect();
        let mut table_subs = Vec::new();
        let table = self.tc(
            &[
                (0x0C15, PT_INT32),
                (0x3001, PT_UNICODE),
                (0x3002, PT_UNICODE),
                (0x3003, PT_UNICODE),
                (0x39FE, PT_UNICODE),
                (0x3900, PT_INT32),
            ],
            &rows,
            &mut table_subs,
        );
        let data = self.block(table, false);
        let sub = self.sub_tree(table_subs);
        subs.push(SubNode { nid: NID_RECIPIENT_TABLE, data, sub });

        if !m.attachments.is_empty() {
            let mut rows = Vec::new();
            for (n, a) in m.attachments.iter().enumerate() {
                let anid = (((n as u32) + 1) << 5) | TYPE_ATTACHMENT | 0x8000;
                let (name, size, method) = match a {
                    Attachment::File { name, data, .. } => (name.clone(), data.len(), 1),
                    Attachment::Message(inner) => (inner.subject.clone(), 1000, 5),
                };
                rows.push((
                    anid,
                    vec![
                        Some(Value::Int(size as i32)),
                        Some(Value::Text(name)),
                        Some(Value::Int(method)),
                        Some(Value::Int(-1)),
                    ],
                ));
                let (pc, pc_subs) = self.attachment(n, a);
                let data = self.block(pc, false);
                let sub = self.sub_tree(pc_subs);
                subs.push(SubNode { nid: anid, data, sub });
            }
            let mut table_subs = Vec::new();
            let table = self.tc(
                &[(0x0E20, PT_INT32), (0x3704, PT_UNICODE), (0x3705, PT_INT32), (0x370B, PT_INT32)],
                &rows,
                &mut table_subs,
            );
            let data = self.block(table, false);
            let sub = self.sub_tree(table_subs);
            subs.push(SubNode { nid: NID_ATTACHMENT_TABLE, data, sub });
        }
        (heap, subs)
    }

    /// An attachment object's property context and its sub-nodes: a large
    /// file's data, or the attached message.
    fn attachment(&mut self, n: usize, a: &Attachment) -> (Vec<u8>, Vec<SubNode>) {
        let mut subs = Vec::new();
        let mut props = vec![(0x0E21, Value::Int(n as i32)), (0x370B, Value::Int(-1))];
        match a {
            Attachment::File { name, mime, data } => {
                props.extend([
                    (0x0E20, Value::Int(data.len() as i32)),
                    (0x3001, Value::Text(name.clone())),
                    (0x3701, Value::Bin(data.clone())),
                    (0x3703, Value::Text(name.rsplit_once('.').map(|(_, e)| format!(".{e}")).unwrap_or_default())),
                    (0x3704, Value::Text(name.clone())),
                    (0x3705, Value::Int(1)),
                    (0x3707, Value::Text(name.clone())),
                    (0x370E, Value::Text(mime.clone())),
                ]);
            }
            Attachment::Message(inner) => {
                let (heap, inner_subs) = self.message(inner);
                let size = heap.len() as u32;
                let data = self.block(heap, false);
                self.embedded.push(data);
                let sub = self.sub_tree(inner_subs);
                let nid = (1 << 5) | TYPE_MESSAGE | 0x10000;
                subs.push(SubNode { nid, data, sub });
                props.extend([
                    (0x0E20, Value::Int(size as i32)),
                    (0x3001, Value::Text(inner.subject.clone())),
                    (0x3701, Value::Object(nid, size)),
                    (0x3705, Value::Int(5)),
                    (0x370E, Value::Text("message/rfc822".into())),
                ]);
            }
        }
        props.sort_by_key(|p| p.0);
        let heap = self.pc(&props, &mut subs);
        (heap, subs)
    }

    /// With `damage`, change a byte or a little-endian u16 of `data` now and then.
    fn maybe_damage(damage: &mut Option<crate::rng::Rng>, data: &mut [u8], percent: u32) {
        let Some(rng) = damage.as_mut() else { return };
        if data.is_empty() || !rng.chance(percent) {
            return;
        }
        for _ in 0..rng.range(1, 4) {
            let at = rng.below(data.len());
            match rng.below(4) {
                0 => data[at] = rng.next_u64() as u8,
                1 => data[at] ^= 1 << rng.below(8),
                2 => data[at] = *rng.pick(&[0x00, 0xFF, 0x7F, 0x80]),
                _ => {
                    if at + 1 < data.len() {
                        let v = u16::from_le_bytes([data[at], data[at + 1]]);
                        let v = v.wrapping_add(rng.range(1, 16) as u16).wrapping_sub(8);
                        data[at..at + 2].copy_from_slice(&v.to_le_bytes());
                    }
                }
            }
        }
    }

    // ---- the NDB layer: blocks, B-trees, allocation map, header ------------

    fn finish(mut self) -> Written {
        const AMAP: usize = 0x4400;
        const FIRST: usize = AMAP + 1024;
        let mut out = vec![0u8; FIRST];
        let mut bbt: Vec<(u64, u64, u16)> = Vec::new();
        let mut at = std::collections::HashMap::new();
        for (bid, mut data) in std::mem::take(&mut self.blocks) {
            Self::maybe_damage(&mut self.damage, &mut data, 8);
            let ib = out.len() as u64;
            let total = (data.len() + 16).div_ceil(64) * 64;
            let mut block = data.clone();
            block.resize(total - 16, 0);
            block.extend_from_slice(&(data.len() as u16).to_le_bytes());
            block.extend_from_slice(&signature(ib, bid).to_le_bytes());
            block.extend_from_slice(&crc(&data).to_le_bytes());
            block.extend_from_slice(&bid.to_le_bytes());
            out.extend_from_slice(&block);
            at.insert(bid, (ib as usize, total));
            bbt.push((bid, ib, data.len() as u16));
        }
        let embedded_message_blocks = self.embedded.iter().map(|b| at[b]).collect();

        let mut next_page = 1u64;
        let mut damage = self.damage.take();
        let mut page = |out: &mut Vec<u8>, ptype: u8, entries: &[Vec<u8>], entry_size: u8, level: u8| -> (u64, u64) {
            // Pages are aligned on 512 bytes.
            out.resize(out.len().div_ceil(512) * 512, 0);
            let ib = out.len() as u64;
            let bid = next_page;
            next_page += 1;
            let mut p = vec![0u8; 512];
            for (k, e) in entries.iter().enumerate() {
                p[k * entry_size as usize..(k + 1) * entry_size as usize].copy_from_slice(e);
            }
            p[488] = entries.len() as u8;
            p[489] = (488 / entry_size as usize) as u8;
            p[490] = entry_size;
            p[491] = level;
            Self::maybe_damage(&mut damage, &mut p[..492], 5);
            p[496] = ptype;
            p[497] = ptype;
            p[498..500].copy_from_slice(&signature(ib, bid).to_le_bytes());
            let c = crc(&p[..496]);
            p[500..504].copy_from_slice(&c.to_le_bytes());
            p[504..512].copy_from_slice(&bid.to_le_bytes());
            out.extend_from_slice(&p);
            (bid, ib)
        };
        // A B-tree of leaf entries (key, bytes): one leaf, or leaves under one
        // intermediate page.
        let mut tree = |out: &mut Vec<u8>, ptype: u8, mut leaves: Vec<(u64, Vec<u8>)>, size: u8| -> (u64, u64) {
            leaves.sort_by_key(|l| l.0);
            let per = 488 / size as usize;
            if leaves.len() <= per {
                let entries: Vec<Vec<u8>> = leaves.into_iter().map(|l| l.1).collect();
                return page(out, ptype, &entries, size, 0);
            }
            let mut parents = Vec::new();
            for chunk in leaves.chunks(per) {
                let entries: Vec<Vec<u8>> = chunk.iter().map(|l| l.1.clone()).collect();
                let (bid, ib) = page(out, ptype, &entries, size, 0);
                let mut e = chunk[0].0.to_le_bytes().to_vec();
                e.extend_from_slice(&bid.to_le_bytes());
                e.extend_from_slice(&ib.to_le_bytes());
                parents.push(e);
            }
            assert!(parents.len() <= 20, "too many B-tree pages");
            page(out, ptype, &parents, 24, 1)
        };
        let nbt_entries: Vec<(u64, Vec<u8>)> = self
            .nodes
            .iter()
            .map(|n| {
                let mut e = u64::from(n.nid).to_le_bytes().to_vec();
                e.extend_from_slice(&n.data.to_le_bytes());
                e.extend_from_slice(&n.sub.to_le_bytes());
                e.extend_from_slice(&n.parent.to_le_bytes());
                e.extend_from_slice(&[0; 4]);
                (u64::from(n.nid), e)
            })
            .collect();
        let nbt = tree(&mut out, 0x81, nbt_entries, 32);
        let bbt_entries: Vec<(u64, Vec<u8>)> = bbt
            .iter()
            .map(|(bid, ib, cb)| {
                let mut e = bid.to_le_bytes().to_vec();
                e.extend_from_slice(&ib.to_le_bytes());
                e.extend_from_slice(&cb.to_le_bytes());
                e.extend_from_slice(&1u16.to_le_bytes());
                e.extend_from_slice(&[0; 4]);
                (*bid, e)
            })
            .collect();
        let bbt_root = tree(&mut out, 0x80, bbt_entries, 24);

        // The allocation map: one bit for each 64 bytes from 0x4400.
        let eof = out.len();
        assert!(eof - AMAP <= 496 * 8 * 64, "store too large for one allocation map page");
        let used = (eof - AMAP) / 64;
        let mut amap = vec![0u8; 512];
        for k in 0..used {
            amap[k / 8] |= 0x80 >> (k % 8);
        }
        amap[496] = 0x84;
        amap[497] = 0x84;
        let c = crc(&amap[..496]);
        amap[500..504].copy_from_slice(&c.to_le_bytes());
        amap[504..512].copy_from_slice(&(AMAP as u64).to_le_bytes());
        out[AMAP..AMAP + 512].copy_from_slice(&amap);
        let mut pmap = vec![0xFFu8; 512];
        pmap[496..512].fill(0);
        pmap[496] = 0x83;
        pmap[497] = 0x83;
        let c = crc(&pmap[..496]);
        pmap[500..504].copy_from_slice(&c.to_le_bytes());
        pmap[504..512].copy_from_slice(&((AMAP + 512) as u64).to_le_bytes());
        out[AMAP + 512..AMAP + 1024].copy_from_slice(&pmap);

        // The header [2.2.2.6].
        let mut h = vec![0u8; 564];
        h[0..4].copy_from_slice(b"!BDN");
        h[8..10].copy_from_slice(b"SM");
        h[10..12].copy_from_slice(&23u16.to_le_bytes());
        h[12..14].copy_from_slice(&19u16.to_le_bytes());
        h[14] = 1;
        h[15] = 1;
        h[32..40].copy_from_slice(&next_page.to_le_bytes());
        h[40..44].copy_from_slice(&1u32.to_le_bytes());
        for t in 0..32u32 {
            let nid = (0x40_0000u32 << 5) | t;
            h[44 + 4 * t as usize..48 + 4 * t as usize].copy_from_slice(&nid.to_le_bytes());
        }
        let r = 180;
        h[r + 4..r + 12].copy_from_slice(&(eof as u64).to_le_bytes());
        h[r + 12..r + 20].copy_from_slice(&(AMAP as u64).to_le_bytes());
        h[r + 20..r + 28].copy_from_slice(&(((496 * 8 - used) * 64) as u64).to_le_bytes());
        h[r + 36..r + 44].copy_from_slice(&nbt.0.to_le_bytes());
        h[r + 44..r + 52].copy_from_slice(&nbt.1.to_le_bytes());
        h[r + 52..r + 60].copy_from_slice(&bbt_root.0.to_le_bytes());
        h[r + 60..r + 68].copy_from_slice(&bbt_root.1.to_le_bytes());
        h[r + 68] = 0x02;
        h[256..512].fill(0xFF);
        h[512] = 0x80;
        h[513] = 0;
        h[516..524].copy_from_slice(&self.next_bid.to_le_bytes());
        let partial = crc(&h[8..8 + 471]);
        h[4..8].copy_from_slice(&partial.to_le_bytes());
        let full = crc(&h[8..524]);
        h[524..528].copy_from_slice(&full.to_le_bytes());
        out[..564].copy_from_slice(&h);
        Written { bytes: out, embedded_message_blocks }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_the_one_outlook_writes() {
        // The header CRCs of a store Outlook wrote (tests/data/pst).
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/pst/dist-list.pst");
        let data = std::fs::read(path).unwrap();
        assert_eq!(crc(&data[8..8 + 471]).to_le_bytes(), data[4..8]);
        assert_eq!(crc(&data[8..524]).to_le_bytes(), data[524..528]);
    }

    #[test]
    fn a_damaged_store_differs_from_the_clean_one_inside_its_blocks_and_pages() {
        let store = sample_store();
        let clean = write(&store);
        let mut differing = 0;
        for seed in 0..20 {
            let damaged = write_damaged(&store, seed);
            assert_eq!(damaged.len(), clean.len());
            differing += usize::from(damaged != clean);
            // Damaged inside: the header and the maps are the clean store's.
            assert_eq!(damaged[..0x4400], clean[..0x4400]);
        }
        assert!(differing >= 10, "only {differing} of 20 damaged");
    }
}
