//! Word 97-2003 documents (doc, dot): the text of the `WordDocument`
//! stream of the compound file (read with the `cfb` crate), per MS-DOC.
//!
//! The File Information Block (FIB) at the start of the stream gives the
//! length of each story in character positions (CPs): the main text, then
//! footnotes, headers and footers, comments, endnotes and text boxes, one
//! after another. The piece table (the `Pcdt` in the `Clx` of the table
//! stream, `0Table` or `1Table`) maps CPs to bytes of the stream: each piece
//! is either 8-bit text (Windows-1252, "compressed") or UTF-16. This is how
//! Word itself finds the text, so a fast-saved document, whose pieces are
//! out of order in the file, reads in document order like any other.
//!
//! Within a story, `\r` ends a paragraph and `\x07` a table cell (a second
//! `\x07` after a row's last cell ends the row); field codes (between `\x13`
//! and `\x14`, such as `HYPERLINK "..."`) are left out and their results
//! kept. The main text becomes the same paragraphs and tables as a docx
//! (see `docx::flow`), so locations read `paragraph 12` and
//! `table 1 row 3 cell 2`; the other stories are one segment each
//! (`footnotes`, `comments`, ...).
//!
//! Copies: Word 97-2003 cannot be rewritten in place, so the anonymised copy
//! is a `.docx` holding the same paragraphs and tables ([`anonymise`]).
//! Encrypted and obfuscated documents are reported as encrypted; Word 6 and
//! Word 95 documents (an older FIB) as not read. Document properties (the
//! author's name...) are read by [`crate::formats::properties`].

pub mod anonymise;
mod paragraphs;
#[cfg(test)]
mod tests;

use std::io::{Cursor, Read};

use crate::formats::docx::flow::{Block, Cell, Para, Row, emit_body, emit_flat};
use crate::formats::{Emit, ExtractError, Input, Limits, Result};
use paragraphs::{Mark, Paragraphs};

const WORD_IDENT: u16 = 0xA5EC;
/// Lowest `nFib` of Word 97 and later.
const MIN_NFIB: u16 = 0x00C1;
const FLAG_ENCRYPTED: u16 = 0x0100;
const FLAG_TABLE_1: u16 = 0x0200;
const FLAG_OBFUSCATED: u16 = 0x8000;
/// In a piece's file offset: the piece is 8-bit text.
const FC_COMPRESSED: u32 = 0x4000_0000;
/// Index of `fcClx`/`lcbClx` in the FIB's `FibRgFcLcb97`.
const CLX_INDEX: usize = 33;
/// Index of fcPlcfBtePapx/lcbPlcfBtePapx (the paragraph properties' pages).
const PAPX_INDEX: usize = 13;
/// Story lengths in the FIB's `FibRgLw97` (index, name), in CP order; the
/// story at index 6 (macros, always empty since Word 97) is counted, not read.
const STORIES: [(usize, &str); 8] = [
    (3, "body"),
    (4, "footnotes"),
    (5, "headers and footers"),
    (6, ""),
    (7, "comments"),
    (8, "endnotes"),
    (9, "text boxes"),
    (10, "text boxes in headers and footers"),
];

/// The text of a Word 97-2003 document: the main text as paragraphs and
/// tables, and the other stories by name.
#[derive(Debug, Default)]
pub struct Document {
    pub body: Vec<Block>,
    pub stories: Vec<(&'static str, Vec<Block>)>,
    /// Some pieces point outside the document: what could be read is here.
    pub damaged: bool,
}

/// Read a doc: its body and its other stories.
pub fn extract(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let bytes = input.bytes(limits.max_in_memory)?;
    let doc = read(&bytes, limits)?;
    emit_body(&doc.body, emit);
    for (name, blocks) in &doc.stories {
        emit_flat(name, blocks, emit);
    }
    if let Ok(mut file) = cfb::CompoundFile::open(Cursor::new(bytes.as_ref())) {
        crate::formats::properties::emit(&mut file, emit);
    }
    if doc.damaged {
        return Err(corrupt("parts of the text lie outside the file; the text that could be read was scanned"));
    }
    Ok(())
}

fn corrupt(detail: impl std::fmt::Display) -> ExtractError {
    ExtractError::corrupt("doc", detail)
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    data.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Read one stream of the compound file, at most `limit` bytes.
fn stream(file: &mut cfb::CompoundFile<Cursor<&[u8]>>, name: &str, limit: u64) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    file.open_stream(name)
        .map_err(|_| corrupt(format!("no {} stream: not a Word document", name.trim_start_matches('/'))))?
        .take(limit)
        .read_to_end(&mut data)
        .map_err(corrupt)?;
    Ok(data)
}

/// What the FIB says: story lengths, where the piece table is, which table stream.
struct Fib {
    story_lengths: [u32; STORIES.len()],
    clx: (u32, u32),
    /// Where the paragraph properties' page table is in the table stream.
    papx: (u32, u32),
    table_stream: &'static str,
}

fn read_fib(word: &[u8]) -> Result<Fib> {
    if u16_at(word, 0) != Some(WORD_IDENT) {
        return Err(corrupt("the WordDocument stream does not start as a Word document's does"));
    }
    let n_fib = u16_at(word, 2).unwrap_or(0);
    let flags = u16_at(word, 10).unwrap_or(0);
    if flags & (FLAG_ENCRYPTED | FLAG_OBFUSCATED) != 0 {
        return Err(ExtractError::Encrypted);
    }
    if n_fib < MIN_NFIB {
        return Err(ExtractError::Unsupported(
            "Word 6.0/95 document: piisweep reads Word 97-2003 and later; open it in Word and save it as .docx to scan it"
                .into(),
        ));
    }
    let short = || corrupt("the File Information Block is cut short");
    // FibBase (32 bytes), then csw and fibRgW, cslw and fibRgLw, cbRgFcLcb and the fc/lcb pairs.
    let csw = usize::from(u16_at(word, 32).ok_or_else(short)?);
    let lw_count_at = 34 + csw * 2;
    let cslw = usize::from(u16_at(word, lw_count_at).ok_or_else(short)?);
    let lw_at = lw_count_at + 2;
    let fc_count_at = lw_at + cslw * 4;
    let pairs = usize::from(u16_at(word, fc_count_at).ok_or_else(short)?);
    let fc_at = fc_count_at + 2;
    if cslw <= STORIES[STORIES.len() - 1].0 || pairs <= CLX_INDEX {
        return Err(short());
    }
    let mut story_lengths = [0u32; STORIES.len()];
    for (slot, (index, _)) in story_lengths.iter_mut().zip(STORIES) {
        // A negative or absurd length counts as empty.
        *slot = u32_at(word, lw_at + index * 4).ok_or_else(short)?.min(i32::MAX as u32);
    }
    let clx_at = fc_at + CLX_INDEX * 8;
    let clx = (u32_at(word, clx_at).ok_or_else(short)?, u32_at(word, clx_at + 4).ok_or_else(short)?);
    let papx_at = fc_at + PAPX_INDEX * 8;
    let papx = (u32_at(word, papx_at).unwrap_or(0), u32_at(word, papx_at + 4).unwrap_or(0));
    let table_stream = if flags & FLAG_TABLE_1 != 0 { "/1Table" } else { "/0Table" };
    Ok(Fib { story_lengths, clx, papx, table_stream })
}

/// One piece of the piece table: CPs `[start, end)` at byte `fc` of the
/// WordDocument stream, 8-bit or UTF-16.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: u32,
    end: u32,
    fc: u32,
    compressed: bool,
}

/// The pieces of the `Pcdt` in the Clx (`Prc`s with formatting come first).
fn pieces(table: &[u8], (fc, lcb): (u32, u32)) -> Result<Vec<Piece>> {
    let clx = usize::try_from(fc)
        .ok()
        .and_then(|at| table.get(at..at.checked_add(lcb as usize)?))
        .ok_or_else(|| corrupt("the piece table lies outside the table stream"))?;
    let mut at = 0;
    loop {
        match clx.get(at) {
            Some(1) => {
                let cb = u16_at(clx, at + 1).ok_or_else(|| corrupt("the piece table is cut short"))?;
                at += 3 + usize::from(cb);
            }
            Some(2) => break,
            _ => return Err(corrupt("no piece table (Pcdt) in the Clx")),
        }
    }
    let lcb = u32_at(clx, at + 1).ok_or_else(|| corrupt("the piece table is cut short"))? as usize;
    let plc = clx.get(at + 5..).map(|rest| &rest[..lcb.min(rest.len())]).unwrap_or_default();
    // (n + 1) CPs of 4 bytes, then n piece descriptors of 8.
    if plc.len() < 16 {
        return Err(corrupt("the piece table is empty"));
    }
    let n = (plc.len() - 4) / 12;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (start, end) = (u32_at(plc, i * 4).unwrap_or(0), u32_at(plc, (i + 1) * 4).unwrap_or(0));
        let raw = u32_at(plc, (n + 1) * 4 + i * 8 + 2).unwrap_or(0);
        let compressed = raw & FC_COMPRESSED != 0;
        let fc = if compressed { (raw & !FC_COMPRESSED) / 2 } else { raw };
        if end > start {
            out.push(Piece { start, end, fc, compressed });
        }
    }
    Ok(out)
}

/// The document's text, CP by CP, up to `total` CPs; bytes a piece points
/// past the stream's end are left out (a damaged file keeps what it holds).
fn text(word: &[u8], pieces: &[Piece], total: u32) -> (Vec<char>, bool) {
    let mut out = Vec::with_capacity(total.min(1 << 24) as usize);
    let mut damaged = false;
    for p in pieces {
        if p.start >= total || p.start as usize != out.len() {
            // Pieces are in CP order and contiguous in a sound file.
            damaged |= p.start as usize != out.len();
            if p.start >= total {
                break;
            }
        }
        // Never more characters than the stories hold, however the pieces overlap.
        let len = ((p.end.min(total) - p.start) as usize).min(total as usize - out.len().min(total as usize));
        let fc = p.fc as usize;
        if p.compressed {
            let Some(bytes) = word.get(fc..fc.saturating_add(len)) else {
                damaged = true;
                continue;
            };
            let (decoded, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            out.extend(decoded.chars());
        } else {
            let Some(bytes) = word.get(fc..fc.saturating_add(len * 2)) else {
                damaged = true;
                continue;
            };
            let units = bytes.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]]));
            out.extend(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
        }
    }
    (out, damaged)
}

/// Read a Word 97-2003 document held in memory.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Document> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(corrupt)?;
    let word = stream(&mut file, "/WordDocument", limits.max_in_memory)?;
    let fib = read_fib(&word)?;
    let table = stream(&mut file, fib.table_stream, limits.max_in_memory)?;
    let pieces = pieces(&table, fib.clx)?;
    // A character takes at least a byte of the stream: a FIB claiming more is damaged.
    let total = fib.story_lengths.iter().fold(0u32, |a, &b| a.saturating_add(b)).min(word.len() as u32);
    let (chars, damaged) = text(&word, &pieces, total);
    if damaged && chars.is_empty() {
        return Err(corrupt("the piece table points outside the document"));
    }
    let paragraphs = if damaged { None } else { Paragraphs::new(&word, &table, fib.papx) };
    let mut doc = Document::default();
    let mut at = 0usize;
    for ((_, name), &len) in STORIES.iter().zip(&fib.story_lengths) {
        let end = at.saturating_add(len as usize).min(chars.len());
        let (start, story) = (at.min(end), &chars[at.min(end)..end]);
        at = end;
        if name.is_empty() || story.is_empty() {
            continue;
        }
        let mark = |i: usize| -> Option<Mark> {
            let paragraphs = paragraphs.as_ref()?;
            let fc = paragraphs::fc_of(&pieces, u32::try_from(start + i).ok()?)?;
            Some(paragraphs.mark(fc))
        };
        let blocks = blocks(story, &mark);
        if *name == "body" {
            doc.body = blocks;
        } else {
            doc.stories.push((name, blocks));
        }
    }
    doc.damaged = damaged;
    Ok(doc)
}

/// Paragraphs and tables from a story's characters. `mark` gives the
/// paragraph properties of the mark at an index, when the document has them
/// (every file Word writes does): which marks are in a table, which end a
/// row. Without them, cells are told from their marks' pattern.
fn blocks(story: &[char], mark: &dyn Fn(usize) -> Option<Mark>) -> Vec<Block> {
    let mut b = Blocks::default();
    // Fields: for each open field, whether its code part is still running.
    let mut fields: Vec<bool> = Vec::new();
    for (i, &c) in story.iter().enumerate() {
        match c {
            '\u{13}' => fields.push(true),
            '\u{14}' => {
                if let Some(code) = fields.last_mut() {
                    *code = false;
                }
            }
            '\u{15}' => {
                fields.pop();
            }
            _ if fields.iter().any(|&code| code) => {}
            '\r' | '\u{0C}' | '\u{0E}' => match mark(i) {
                Some(Mark { in_table: true, .. }) => b.cell_para(),
                Some(_) => b.body_para(),
                None => b.end_para(),
            },
            '\u{07}' => match mark(i) {
                Some(Mark { row_end: true, .. }) => b.end_row(),
                Some(_) => b.cell_end(),
                None => b.end_cell(),
            },
            '\u{0B}' => b.para.push('\n'),
            '\t' => b.para.push('\t'),
            '\u{1E}' => b.para.push('-'),
            '\u{A0}' => b.para.push(' '),
            // Objects, pictures, note and comment marks, optional hyphens.
            c if c < ' ' || c == '\u{7F}' => {}
            c => b.para.push(c),
        }
    }
    b.finish()
}

/// Builds blocks: paragraphs, and table rows from cell marks.
#[derive(Default)]
struct Blocks {
    out: Vec<Block>,
    para: String,
    /// Paragraphs of the cell being read (before its last one).
    cell: Vec<Block>,
    row: Vec<Cell>,
    rows: Vec<Row>,
    /// Cells a row has, once the first row has ended.
    columns: Option<usize>,
    /// The last mark ended a cell.
    after_cell: bool,
}

impl Blocks {
    /// A paragraph of a cell that has more to come (its properties say so).
    fn cell_para(&mut self) {
        let text = std::mem::take(&mut self.para);
        self.cell.push(Block::Para(Para { text, ..Para::default() }));
    }

    /// A paragraph outside any table (its properties say so).
    fn body_para(&mut self) {
        if !self.row.is_empty() || !self.cell.is_empty() {
            // Cells left open by a damaged file: their row ends here.
            self.end_row();
        }
        self.end_table();
        let text = std::mem::take(&mut self.para);
        self.out.push(Block::Para(Para { text, ..Para::default() }));
    }

    /// The end of a cell (its properties say so), empty or not.
    fn cell_end(&mut self) {
        let text = std::mem::take(&mut self.para);
        let mut blocks = std::mem::take(&mut self.cell);
        blocks.push(Block::Para(Para { text, ..Para::default() }));
        self.row.push(Cell { blocks, span: 1 });
    }

    /// The end of a row (its properties say so).
    fn end_row(&mut self) {
        if !self.para.is_empty() || !self.cell.is_empty() {
            self.cell_end();
        }
        let cells = std::mem::take(&mut self.row);
        self.rows.push(Row { cells, header: false });
    }

    fn end_para(&mut self) {
        let text = std::mem::take(&mut self.para);
        if !self.row.is_empty() {
            // A paragraph inside a cell that has more to come.
            self.cell.push(Block::Para(Para { text, ..Para::default() }));
        } else {
            self.end_table();
            self.out.push(Block::Para(Para { text, ..Para::default() }));
        }
        self.after_cell = false;
    }

    fn end_cell(&mut self) {
        let text = std::mem::take(&mut self.para);
        let empty = text.is_empty() && self.cell.is_empty();
        // The row-end mark: an empty "cell" right after the row's last
        // cell (the first row's length, once known; else any cell).
        let row_end = empty && self.after_cell && self.columns.is_none_or(|n| self.row.len() >= n);
        if row_end {
            let cells = std::mem::take(&mut self.row);
            self.columns.get_or_insert(cells.len());
            self.rows.push(Row { cells, header: false });
            self.after_cell = false;
            return;
        }
        let mut blocks = std::mem::take(&mut self.cell);
        blocks.push(Block::Para(Para { text, ..Para::default() }));
        self.row.push(Cell { blocks, span: 1 });
        self.after_cell = true;
    }

    fn end_table(&mut self) {
        if !self.row.is_empty() {
            let cells = std::mem::take(&mut self.row);
            self.rows.push(Row { cells, header: false });
        }
        if !self.rows.is_empty() {
            self.out.push(Block::Table(std::mem::take(&mut self.rows)));
        }
        self.columns = None;
    }

    fn finish(mut self) -> Vec<Block> {
        if !self.para.is_empty() || !self.cell.is_empty() {
            if self.row.is_empty() {
                self.end_para();
            } else {
                self.end_cell();
            }
        }
        self.end_table();
        self.out
    }
}
