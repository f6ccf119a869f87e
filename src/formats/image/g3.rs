//! CCITT Group 3 pages in TIFF, as fax software writes them: Compression 2
//! (Modified Huffman: one-dimensional rows, each starting on a byte, no
//! end-of-line codes) and Compression 3 (T.4: each row after an end-of-line
//! code; with bit 0 of the T4Options tag set, rows are tagged one- or
//! two-dimensional, a two-dimensional row coded against the row above).
//!
//! The `tiff` crate reads G4 but not G3. The codes are the `fax` crate's:
//! its white, black and mode tables ([`fax::maps`]) and its [`BitReader`]
//! trait; what is here is only how T.4 frames the rows, and the
//! two-dimensional step (pass, horizontal, vertical) that T.4 shares with G4.

use fax::BitReader;
use fax::maps::{Mode, black, mode, white};
use image::{GrayImage, Luma};

/// How one G3 page is coded, from its TIFF tags.
#[derive(Debug, Clone, Copy)]
pub struct G3 {
    pub width: u32,
    pub height: u32,
    /// Rows come after end-of-line codes (TIFF Compression 3, PDF
    /// EndOfLine), so a break in one row is picked up at the next code.
    pub eols: bool,
    /// Each row starts with a tag bit, 1 for a one-dimensional row, else
    /// two-dimensional (TIFF T4Options bit 0, PDF K > 0); after its
    /// end-of-line code when there is one.
    pub two_d: bool,
    /// Each row starts on a byte (TIFF Compression 2, PDF EncodedByteAlign).
    pub byte_align: bool,
    /// FillOrder 2: the first pixel is in each byte's lowest bit.
    pub lsb_first: bool,
    /// PhotometricInterpretation 1: a "white" run is dark (rare; faxes are 0).
    pub black_is_zero: bool,
}

/// The data's bits, first bit first; past the end it reads zeros, and
/// [`Bits::at_end`] says when nothing is left.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    lsb_first: bool,
}

impl Bits<'_> {
    fn bit(&self, at: usize) -> u16 {
        let Some(&byte) = self.data.get(at / 8) else { return 0 };
        let byte = if self.lsb_first { byte.reverse_bits() } else { byte };
        u16::from(byte >> (7 - at % 8) & 1)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.data.len() * 8
    }

    /// Skip end-of-line codes (eleven or more zeros, then a one; the zeros
    /// beyond eleven are fill); after each, the row's tag bit when rows are
    /// tagged. Whether the next row is one-dimensional, if any code was seen.
    fn skip_eols(&mut self, tagged: bool) -> Option<bool> {
        let mut one_d = None;
        loop {
            let mut zeros = 0;
            while !self.at_end() && self.bit(self.pos + zeros) == 0 && self.pos + zeros < self.data.len() * 8 {
                zeros += 1;
            }
            if zeros < 11 || self.pos + zeros >= self.data.len() * 8 {
                if zeros >= 11 {
                    // Only fill to the end.
                    self.pos += zeros;
                }
                return one_d;
            }
            self.pos += zeros + 1;
            one_d = Some(if tagged {
                let tag = self.bit(self.pos) == 1;
                self.pos += 1;
                tag
            } else {
                true
            });
        }
    }
}

impl Bits<'_> {
    /// Move on to the next end-of-line code (past a break in a row).
    fn seek_eol(&mut self) {
        let mut zeros = 0;
        while !self.at_end() {
            if self.bit(self.pos) == 0 {
                zeros += 1;
            } else if zeros >= 11 {
                // Back to the code's first zero, for `skip_eols`.
                self.pos -= zeros;
                return;
            } else {
                zeros = 0;
            }
            self.pos += 1;
        }
    }
}

impl BitReader for Bits<'_> {
    type Error = ();
    fn peek(&self, bits: u8) -> Option<u16> {
        if bits > 16 || self.at_end() {
            return None;
        }
        Some((0..usize::from(bits)).fold(0u16, |v, i| v << 1 | self.bit(self.pos + i)))
    }
    fn consume(&mut self, bits: u8) -> Result<(), ()> {
        self.pos += usize::from(bits);
        Ok(())
    }
    fn bits_to_byte_boundary(&self) -> u8 {
        ((8 - self.pos % 8) % 8) as u8
    }
}

/// One run of `white` (else black) pixels: make-up codes, then the terminating one.
fn run(white_run: bool, r: &mut Bits<'_>) -> Option<u32> {
    let mut sum = 0u32;
    loop {
        let n = if white_run { white::decode(r)? } else { black::decode(r)? };
        sum += u32::from(n);
        if n < 64 {
            return Some(sum);
        }
        if sum > 1 << 20 {
            return None;
        }
    }
}

/// A one-dimensional row: alternating runs from white. Its changing
/// pixels, or `None` where the codes break off (the row is then cut there).
fn row_1d(r: &mut Bits<'_>, width: u32, out: &mut Vec<u32>) -> bool {
    let (mut a0, mut white_run) = (0u32, true);
    while a0 < width {
        let Some(n) = run(white_run, r) else { return false };
        a0 = a0.saturating_add(n);
        if a0 < width {
            out.push(a0);
        }
        white_run = !white_run;
    }
    true
}

/// A two-dimensional row, coded against `reference` (the row above's changing pixels).
fn row_2d(r: &mut Bits<'_>, width: u32, reference: &[u32], out: &mut Vec<u32>) -> bool {
    let w = i64::from(width);
    let (mut a0, mut white_run) = (-1i64, true);
    while a0 < w {
        // b1: the first changing pixel above, right of a0, of the colour
        // opposite to a0's (into black on a white run: even indexes).
        let i = reference
            .iter()
            .enumerate()
            .position(|(i, &b)| i64::from(b) > a0 && (i % 2 == 0) == white_run)
            .unwrap_or(reference.len());
        let b1 = reference.get(i).map_or(w, |&b| i64::from(b));
        let b2 = reference.get(i + 1).map_or(w, |&b| i64::from(b));
        match mode::decode(r) {
            Some(Mode::Pass) => a0 = b2,
            Some(Mode::Horizontal) => {
                let start = a0.max(0);
                let (Some(r1), Some(r2)) = (run(white_run, r), run(!white_run, r)) else { return false };
                let a1 = start + i64::from(r1);
                let a2 = a1 + i64::from(r2);
                out.extend([a1, a2].into_iter().filter(|&a| a < w).map(|a| a as u32));
                a0 = a2;
            }
            Some(Mode::Vertical(d)) => {
                let a1 = b1 + i64::from(d);
                if a1 < 0 || a1 > w || a1 < a0 {
                    return false;
                }
                if a1 < w {
                    out.push(a1 as u32);
                }
                a0 = a1;
                white_run = !white_run;
            }
            _ => return false,
        }
    }
    true
}

/// Decode a G3 page (its strips' data, one after another). Rows past a
/// break in the codes are left white; a page none of whose rows could be
/// read is an error.
pub fn decode(data: &[u8], g: &G3) -> Result<GrayImage, String> {
    if g.width == 0 || g.width > 1 << 16 {
        return Err(format!("fax page {} pixels wide", g.width));
    }
    let (ink, paper) = if g.black_is_zero { (255, 0) } else { (0, 255) };
    let mut img = GrayImage::from_pixel(g.width, g.height, Luma([paper]));
    let mut r = Bits { data, pos: 0, lsb_first: g.lsb_first };
    let mut reference: Vec<u32> = Vec::new();
    let mut current: Vec<u32> = Vec::new();
    let mut read = 0u32;
    for y in 0..g.height {
        if g.byte_align && !g.eols {
            r.pos = r.pos.div_ceil(8) * 8;
        }
        // End-of-line codes are skipped wherever they are (no row's code
        // starts with eleven zeros); a row's tag bit follows its code, or
        // starts the row when there is none.
        let one_d = match r.skip_eols(g.two_d) {
            Some(tag) => tag,
            None if g.two_d && !r.at_end() => {
                let tag = r.bit(r.pos) == 1;
                r.pos += 1;
                tag
            }
            None => true,
        };
        if r.at_end() {
            break;
        }
        current.clear();
        let whole = if one_d {
            row_1d(&mut r, g.width, &mut current)
        } else {
            row_2d(&mut r, g.width, &reference, &mut current)
        };
        for pair in current.chunks(2) {
            let end = pair.get(1).copied().unwrap_or(g.width).min(g.width);
            for x in pair[0]..end {
                img.put_pixel(x, y, Luma([ink]));
            }
        }
        read += 1;
        if !whole {
            if !g.eols {
                // Without end-of-line codes there is nowhere to pick up again.
                break;
            }
            // The next end-of-line code starts the next row afresh.
            r.seek_eol();
            current.clear();
        }
        std::mem::swap(&mut reference, &mut current);
    }
    if read == 0 {
        return Err("damaged fax data (CCITT Group 3): no row could be read".into());
    }
    Ok(img)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Damaged data never panics and never loops: rows after a break are
    /// white, and a page of nothing readable is an error.
    #[test]
    fn damaged_fax_data_is_cut_or_refused() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for len in [0usize, 1, 3, 17, 200, 2000] {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            for (eols, two_d) in [(false, false), (true, false), (true, true)] {
                let g = G3 {
                    width: 300,
                    height: 50,
                    eols,
                    two_d,
                    byte_align: !eols,
                    lsb_first: false,
                    black_is_zero: false,
                };
                if let Ok(img) = decode(&data, &g) {
                    assert_eq!(img.dimensions(), (300, 50));
                }
            }
        }
        let g = G3 {
            width: 300,
            height: 50,
            eols: true,
            two_d: false,
            byte_align: false,
            lsb_first: false,
            black_is_zero: false,
        };
        assert!(decode(&[], &g).is_err());
        assert!(decode(&[1, 2, 3], &G3 { width: 0, ..g }).is_err());
    }
}
