//! Which paragraph marks are in a table, and which end a table row: the
//! paragraph properties (PAPX) Word keeps in formatted disk pages ("FKP"s,
//! MS-DOC 2.9.175) listed by the `PlcBtePapx` of the table stream. A cell's
//! mark is `\x07` like a row's end mark, and a paragraph inside a cell ends
//! in `\r` like one outside a table: only these properties tell them apart
//! (`sprmPFInTable`, `sprmPFTtp`, `sprmPItap`).

use super::{Piece, u16_at, u32_at};

/// An FKP is one 512-byte page of the WordDocument stream.
const PAGE: usize = 512;
/// sprmPFInTable: the paragraph is in a table (operand: 1 byte, bool).
const SPRM_IN_TABLE: u16 = 0x2416;
/// sprmPFTtp: the paragraph mark ends a table row (1 byte, bool).
const SPRM_TTP: u16 = 0x2417;
/// sprmPItap: the table depth of the paragraph (4 bytes; 0: not in a table).
const SPRM_ITAP: u16 = 0x6649;

/// What the properties say of one paragraph mark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Mark {
    pub in_table: bool,
    pub row_end: bool,
}

/// The paragraph properties of a document, looked up by a mark's position.
pub(super) struct Paragraphs<'a> {
    word: &'a [u8],
    /// Where each FKP's paragraphs start (byte offsets in WordDocument) and its page.
    bins: Vec<(u32, u32)>,
}

impl<'a> Paragraphs<'a> {
    /// The `PlcBtePapx` at `(fc, lcb)` of the table stream; `None` when it
    /// is missing or cannot be read (the cell marks are then read by their
    /// pattern alone).
    pub fn new(word: &'a [u8], table: &[u8], (fc, lcb): (u32, u32)) -> Option<Self> {
        let plc = table.get(fc as usize..(fc as usize).checked_add(lcb as usize)?)?;
        // (n + 1) FCs, then n 4-byte page numbers.
        if plc.len() < 12 || (plc.len() - 4) % 8 != 0 {
            return None;
        }
        let n = (plc.len() - 4) / 8;
        let bins = (0..n)
            .map(|i| Some((u32_at(plc, i * 4)?, u32_at(plc, (n + 1) * 4 + i * 4)? & 0x003F_FFFF)))
            .collect::<Option<Vec<_>>>()?;
        Some(Paragraphs { word, bins })
    }

    /// The properties of the paragraph whose mark is the byte at `fc`.
    pub fn mark(&self, fc: u32) -> Mark {
        let i = self.bins.partition_point(|&(start, _)| start <= fc);
        let Some(&(_, page)) = i.checked_sub(1).and_then(|i| self.bins.get(i)) else { return Mark::default() };
        let Some(fkp) = (page as usize).checked_mul(PAGE).and_then(|at| self.word.get(at..at.checked_add(PAGE)?))
        else {
            return Mark::default();
        };
        let runs = usize::from(fkp[PAGE - 1]);
        // (runs + 1) FCs, then `runs` 13-byte BxPap entries.
        if runs == 0 || 4 * (runs + 1) + 13 * runs > PAGE - 1 {
            return Mark::default();
        }
        let fcs: Vec<u32> = (0..=runs).filter_map(|k| u32_at(fkp, k * 4)).collect();
        let Some(k) = (0..runs).find(|&k| fcs[k] <= fc && fc < fcs[k + 1]) else { return Mark::default() };
        let offset = usize::from(fkp[4 * (runs + 1) + 13 * k]) * 2;
        if offset == 0 {
            return Mark::default();
        }
        grpprl(fkp, offset).map(properties).unwrap_or_default()
    }
}

/// The sprms of the `PapxInFkp` at `at` of a page (after its 2-byte style).
fn grpprl(fkp: &[u8], at: usize) -> Option<&[u8]> {
    let cb = usize::from(*fkp.get(at)?);
    let (start, len) = if cb != 0 { (at + 1, 2 * cb - 1) } else { (at + 2, 2 * usize::from(*fkp.get(at + 1)?)) };
    let papx = fkp.get(start..start.checked_add(len)?.min(PAGE - 1))?;
    papx.get(2..)
}

/// Read the table sprms of a paragraph's properties.
fn properties(mut sprms: &[u8]) -> Mark {
    let mut mark = Mark::default();
    while let Some(op) = u16_at(sprms, 0) {
        let body = &sprms[2..];
        let len = match op >> 13 {
            0 | 1 => 1,
            2 | 4 | 5 => 2,
            3 => 4,
            7 => 3,
            // Variable: a size byte first (two for sprmPChgTabs' and sprmTDefTable's long forms).
            _ => match op {
                0xD608 => usize::from(u16_at(body, 0).unwrap_or(0)).saturating_sub(1) + 2,
                _ => usize::from(*body.first().unwrap_or(&0)) + 1,
            },
        };
        let Some(operand) = body.get(..len) else { break };
        match op {
            SPRM_IN_TABLE => mark.in_table |= operand[0] != 0,
            SPRM_TTP => mark.row_end |= operand[0] != 0,
            SPRM_ITAP => mark.in_table |= u32_at(operand, 0).unwrap_or(0) != 0,
            _ => {}
        }
        sprms = &body[len..];
    }
    mark
}

/// The byte offset in WordDocument of the character at `cp`.
pub(super) fn fc_of(pieces: &[Piece], cp: u32) -> Option<u32> {
    let i = pieces.partition_point(|p| p.start <= cp).checked_sub(1)?;
    let p = pieces.get(i).filter(|p| cp < p.end)?;
    let offset = cp - p.start;
    Some(if p.compressed { p.fc + offset } else { p.fc + 2 * offset })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_sprms_are_found_among_others() {
        // sprmPJc (1 byte), sprmPDxaLeft (2), sprmPFInTable, sprmPItap, sprmPFTtp.
        let sprms = [0x03, 0x24, 1, 0x0F, 0x84, 0x10, 0x00, 0x16, 0x24, 1, 0x49, 0x66, 1, 0, 0, 0, 0x17, 0x24, 1];
        assert_eq!(properties(&sprms), Mark { in_table: true, row_end: true });
        assert_eq!(properties(&sprms[..7]), Mark::default());
        // A cut-short operand ends the reading quietly.
        assert_eq!(properties(&sprms[..9]), Mark::default());
        assert_eq!(properties(&sprms[..10]), Mark { in_table: true, row_end: false });
    }
}
