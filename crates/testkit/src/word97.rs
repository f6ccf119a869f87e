//! Word 97-2003 (`.doc`) files built in code with known content, for tests
//! and the corpus: a compound file holding a `WordDocument` stream (a File
//! Information Block, then the text) and a `1Table` stream (the piece
//! table), laid out as MS-DOC says, the way Word writes them.
//!
//! Story texts use Word's own marks: `\r` ends a paragraph, `\x07` ends a
//! table cell (and, after a row's last cell, the row), `\x0B` is a line
//! break, `\x13 code \x14 result \x15` a field.
//!
//! Two placeholders give a file paragraph properties, as Word writes them
//! (which marks are in a table, which end a row): `\u{1}` is written as a
//! row-end mark (`\x07`, sprmPFTtp) and `\u{2}` as a paragraph mark inside a
//! cell (`\r`, sprmPFInTable); every `\x07` is then a cell mark. A text
//! without them gets no paragraph properties (readers go by the marks alone).

use std::io::{Cursor, Write};

/// What goes into the document.
#[derive(Debug, Clone, Default)]
pub struct Word97<'a> {
    pub body: &'a str,
    pub footnotes: &'a str,
    pub headers: &'a str,
    pub comments: &'a str,
    pub text_boxes: &'a str,
    /// Split the text into two pieces, the second stored before the first
    /// in the file (as a fast save leaves it) and as UTF-16; the first is
    /// 8-bit ("compressed") text when it is all ASCII.
    pub two_pieces: bool,
    /// Set the FIB's encrypted flag.
    pub encrypted: bool,
    /// The author in the SummaryInformation properties (none when empty).
    pub author: &'a str,
}

const TEXT_AT: usize = 1024;

/// The `.doc` file's bytes.
pub fn word97(d: &Word97<'_>) -> Vec<u8> {
    // Story lengths in FibRgLw97 order: text, footnotes, headers, macros,
    // comments, endnotes, text boxes, header text boxes.
    let stories = [d.body, d.footnotes, d.headers, "", d.comments, "", d.text_boxes, ""];
    let marked: Vec<char> = stories.concat().chars().collect();
    let with_properties = marked.iter().any(|&c| c == '\u{1}' || c == '\u{2}');
    let all: Vec<char> = marked
        .iter()
        .map(|&c| match c {
            '\u{1}' => '\u{7}',
            '\u{2}' => '\r',
            c => c,
        })
        .collect();
    let split = if d.two_pieces { all.len() / 2 } else { all.len() };
    let (first, second) = all.split_at(split);

    // Text: the second piece first (UTF-16), then the first.
    let mut text = Vec::new();
    let second_at = TEXT_AT;
    for c in second {
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            text.extend(u.to_le_bytes());
        }
    }
    let first_at = TEXT_AT + text.len();
    let first_compressed = first.iter().all(char::is_ascii);
    for c in first {
        if first_compressed {
            text.push(*c as u8);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                text.extend(u.to_le_bytes());
            }
        }
    }
    // CPs count UTF-16 units; the test texts keep to the BMP.
    let mut pieces = vec![(0u32, first.len() as u32, first_at as u32, first_compressed)];
    if !second.is_empty() {
        pieces.push((first.len() as u32, all.len() as u32, second_at as u32, false));
    }

    let mut fib = vec![0u8; TEXT_AT];
    fib[0..2].copy_from_slice(&0xA5ECu16.to_le_bytes());
    fib[2..4].copy_from_slice(&0x00C1u16.to_le_bytes());
    let flags: u16 = 0x0200 | if d.encrypted { 0x0100 } else { 0 };
    fib[10..12].copy_from_slice(&flags.to_le_bytes());
    fib[32..34].copy_from_slice(&14u16.to_le_bytes());
    let lw = 34 + 14 * 2;
    fib[lw..lw + 2].copy_from_slice(&22u16.to_le_bytes());
    for (i, s) in stories.iter().enumerate() {
        let at = lw + 2 + (3 + i) * 4;
        fib[at..at + 4].copy_from_slice(&(s.chars().count() as u32).to_le_bytes());
    }
    let pairs_at = lw + 2 + 22 * 4;
    fib[pairs_at..pairs_at + 2].copy_from_slice(&93u16.to_le_bytes());

    // The table stream: a Prc (formatting, skipped by readers), then the Pcdt.
    let mut plc = Vec::new();
    for (start, _, _, _) in &pieces {
        plc.extend(start.to_le_bytes());
    }
    plc.extend((all.len() as u32).to_le_bytes());
    for (_, _, fc, compressed) in &pieces {
        plc.extend(0u16.to_le_bytes());
        let fc = if *compressed { (fc * 2) | 0x4000_0000 } else { *fc };
        plc.extend(fc.to_le_bytes());
        plc.extend(0u16.to_le_bytes());
    }
    let mut table = vec![1u8, 2, 0, 0x55, 0x55];
    table.push(2);
    table.extend((plc.len() as u32).to_le_bytes());
    table.extend(&plc);
    let clx_at = pairs_at + 2 + 33 * 8;
    fib[clx_at..clx_at + 4].copy_from_slice(&0u32.to_le_bytes());
    fib[clx_at + 4..clx_at + 8].copy_from_slice(&(table.len() as u32).to_le_bytes());

    let mut word = fib;
    word.extend(text);
    if with_properties {
        // Each mark's byte offset and properties, from where its piece lies.
        let mut marks: Vec<(u32, u32, Option<&[u8]>)> = Vec::new();
        for (cp, c) in marked.iter().enumerate() {
            let properties: Option<&[u8]> = match c {
                '\u{1}' => Some(&ROW_END),
                '\u{2}' | '\u{7}' => Some(&IN_TABLE),
                '\r' => None,
                _ => continue,
            };
            let cp = cp as u32;
            let &(start, _, at, compressed) = pieces.iter().rev().find(|p| p.0 <= cp).expect("piece");
            let (fc, width) = if compressed { (at + cp - start, 1) } else { (at + 2 * (cp - start), 2) };
            marks.push((fc, fc + width, properties));
        }
        marks.sort_by_key(|m| m.0);
        let (pages, bins) = paragraph_pages(&marks, word.len());
        word.extend(pages);
        let papx_at = pairs_at + 2 + 13 * 8;
        fib_set(&mut word, papx_at, table.len() as u32);
        fib_set(&mut word, papx_at + 4, bins.len() as u32);
        table.extend(bins);
    }
    let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("compound file");
    cf.create_stream("/WordDocument").expect("stream").write_all(&word).expect("write");
    cf.create_stream("/1Table").expect("stream").write_all(&table).expect("write");
    if !d.author.is_empty() {
        let props = summary_information(&[(4, d.author)]);
        cf.create_stream("/\u{5}SummaryInformation").expect("stream").write_all(&props).expect("write");
    }
    cf.flush().expect("flush");
    cf.into_inner().into_inner()
}

/// A paragraph's properties in an FKP: istd 0 and sprmPFInTable (`cb` 3: 5 bytes).
const IN_TABLE: [u8; 6] = [3, 0, 0, 0x16, 0x24, 1];
/// A row end's: istd 0, sprmPFInTable, sprmPFTtp (`cb` 0, then 4 words: 8 bytes).
const ROW_END: [u8; 10] = [0, 4, 0, 0, 0x16, 0x24, 1, 0x17, 0x24, 1];

fn fib_set(word: &mut [u8], at: usize, value: u32) {
    word[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// FKP pages of paragraph properties for marks `(fc, end, properties)` in
/// byte order (the stretches between marks get none), laid out from byte
/// `at` of the WordDocument stream (padded to a page); and the
/// `PlcBtePapx` that lists them.
fn paragraph_pages(marks: &[(u32, u32, Option<&[u8]>)], at: usize) -> (Vec<u8>, Vec<u8>) {
    const PAGE: usize = 512;
    const RUNS: usize = 20;
    let mut runs: Vec<(u32, u32, Option<&[u8]>)> = Vec::new();
    let mut last = 0u32;
    for &(fc, end, props) in marks {
        if fc > last {
            runs.push((last, fc, None));
        }
        runs.push((fc, end, props));
        last = end;
    }
    let first_page = at.div_ceil(PAGE);
    let mut pages = vec![0u8; first_page * PAGE - at];
    let (mut starts, mut numbers) = (Vec::new(), Vec::new());
    for (i, chunk) in runs.chunks(RUNS).enumerate() {
        let mut page = vec![0u8; PAGE];
        for (k, run) in chunk.iter().enumerate() {
            page[k * 4..k * 4 + 4].copy_from_slice(&run.0.to_le_bytes());
        }
        let end = chunk.last().expect("run").1;
        page[chunk.len() * 4..chunk.len() * 4 + 4].copy_from_slice(&end.to_le_bytes());
        // The two property sets at the page's end, at even offsets.
        let (table_at, row_at) = (480usize, 496usize);
        page[table_at..table_at + IN_TABLE.len()].copy_from_slice(&IN_TABLE);
        page[row_at..row_at + ROW_END.len()].copy_from_slice(&ROW_END);
        let bx = (chunk.len() + 1) * 4;
        for (k, run) in chunk.iter().enumerate() {
            page[bx + k * 13] = match run.2 {
                Some(p) if p == ROW_END => (row_at / 2) as u8,
                Some(_) => (table_at / 2) as u8,
                None => 0,
            };
        }
        page[PAGE - 1] = chunk.len() as u8;
        starts.push(chunk[0].0);
        numbers.push((first_page + i) as u32);
        pages.extend(page);
    }
    let mut plc = Vec::new();
    for s in &starts {
        plc.extend(s.to_le_bytes());
    }
    plc.extend(runs.last().map_or(0, |r| r.1).to_le_bytes());
    for n in numbers {
        plc.extend(n.to_le_bytes());
    }
    (pages, plc)
}

/// A SummaryInformation property set stream (MS-OLEPS) with code page 1252
/// and these string properties (id, text): 2 title, 4 author, 8 last saved by.
pub fn summary_information(props: &[(u32, &str)]) -> Vec<u8> {
    let n = props.len() + 1;
    let mut index = Vec::new();
    let mut values = Vec::new();
    let mut offset = 8 + n * 8;
    // Code page 1252 (VT_I2).
    index.push((1u32, offset));
    values.extend(2u32.to_le_bytes());
    values.extend(1252u16.to_le_bytes());
    values.extend([0, 0]);
    offset += 8;
    for (id, text) in props {
        index.push((*id, offset));
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        while bytes.len() % 4 != 0 {
            bytes.push(0);
        }
        values.extend(0x1Eu32.to_le_bytes());
        values.extend((bytes.len() as u32).to_le_bytes());
        offset += 8 + bytes.len();
        values.extend(bytes);
    }
    let mut out = vec![0xFE, 0xFF, 0, 0, 0, 0, 0, 0];
    out.extend([0u8; 16]);
    out.extend(1u32.to_le_bytes());
    // FMTID_SummaryInformation, then the set's offset.
    out.extend([0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27, 0xB3, 0xD9]);
    out.extend(48u32.to_le_bytes());
    out.extend(((8 + n * 8 + values.len()) as u32).to_le_bytes());
    out.extend((n as u32).to_le_bytes());
    for (id, off) in index {
        out.extend(id.to_le_bytes());
        out.extend((off as u32).to_le_bytes());
    }
    out.extend(values);
    out
}
