//! CSV and other delimited text. Each cell is a segment located `row R, col
//! Header` (rows count from 1, the header row being row 1) with the column's
//! header passed to detection as context.

pub mod anonymise;

use std::io::BufRead;

use super::text::{decode_line, text_stream};
use super::{Emit, Input, Limits, Loc, Result, Segment};

/// Longest piece of one field handed to detection: a longer field (a 50 MB
/// line with no delimiter, an unclosed quote) is read in pieces of this size,
/// so memory stays bounded, with a warning.
pub const MAX_FIELD: usize = 1 << 20;
/// Longest column header kept as context.
const MAX_HEADER: usize = 200;

pub fn extract(input: &Input<'_>, delimiter: u8, emit: &mut dyn Emit, _limits: &Limits) -> Result<()> {
    // csv-core, not csv's Reader, which holds a whole record in memory.
    let mut parser = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut reader = text_stream(input)?;
    let mut cells = Cells { emit, headers: Vec::new(), row: 1, col: 0 };
    let mut field: Vec<u8> = Vec::with_capacity(4096);
    let mut out = vec![0u8; 64 << 10];
    // Fields read in pieces: how many, and the first one's row.
    let mut cut = (0u64, None::<u64>);
    let mut piece_of_long = false;
    loop {
        let buf = reader.fill_buf()?;
        let (result, nin, nout) = parser.read_field(buf, &mut out);
        reader.consume(nin);
        if field.len() + nout > MAX_FIELD {
            // Hand on what is gathered and go on with the rest of the field.
            cells.cell(&field, piece_of_long);
            field.clear();
            if !piece_of_long {
                cut.0 += 1;
                cut.1.get_or_insert(cells.row);
            }
            piece_of_long = true;
        }
        field.extend_from_slice(&out[..nout]);
        match result {
            csv_core::ReadFieldResult::InputEmpty | csv_core::ReadFieldResult::OutputFull => {}
            csv_core::ReadFieldResult::Field { record_end } => {
                cells.cell(&field, piece_of_long);
                field.clear();
                piece_of_long = false;
                cells.col += 1;
                if record_end {
                    cells.row += 1;
                    cells.col = 0;
                }
            }
            csv_core::ReadFieldResult::End => break,
        }
    }
    if let (n, Some(row)) = cut {
        cells.emit.warn(format!(
            "{n} field(s) longer than {} MB (the first in row {row}) were read in pieces of {} MB: \
             an item cut in two where pieces meet may be missed",
            MAX_FIELD >> 20,
            MAX_FIELD >> 20
        ));
    }
    reader.warn_if_cut(input.size(), cells.emit);
    Ok(())
}

/// Hands each cell on as a segment located `row R, col Header`.
struct Cells<'e> {
    emit: &'e mut dyn Emit,
    headers: Vec<String>,
    /// Current row (from 1) and column (from 0).
    row: u64,
    col: usize,
}

impl Cells<'_> {
    /// One cell, or one more piece of a long one (`more`).
    fn cell(&mut self, bytes: &[u8], more: bool) {
        let value = decode_line(bytes);
        if self.row == 1 && !more {
            let header = value.trim();
            let end = header.char_indices().nth(MAX_HEADER).map_or(header.len(), |(i, _)| i);
            self.headers.push(header[..end].to_string());
        }
        if value.trim().is_empty() {
            return;
        }
        let header = self.headers.get(self.col).map(String::as_str).filter(|h| !h.is_empty() && self.row > 1);
        let loc = Loc::Row { row: self.row, col: self.col, header };
        self.emit.segment(Segment { loc, text: &value, context: header });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Collect;

    #[test]
    fn cells_carry_headers() {
        let data = b"First name,Surname,DOB\nJane,\"Roberts, Jnr\",12/03/1985\n,,\nPriya,Patel\n";
        let mut c = Collect::default();
        extract(&Input::Bytes(data), b',', &mut c, &Limits::default()).unwrap();
        let find = |loc: &str| c.segments.iter().find(|s| s.0 == loc).cloned().unwrap();
        assert_eq!(find("row 2, col Surname").1, "Roberts, Jnr");
        assert_eq!(find("row 2, col Surname").2.as_deref(), Some("Surname"));
        assert_eq!(find("row 2, col DOB").1, "12/03/1985");
        assert_eq!(find("row 4, col First name").1, "Priya");
        assert_eq!(find("row 1, col 2").1, "Surname");
    }

    #[test]
    fn blank_lines_quotes_and_crlf() {
        let data = b"Name;Email\r\n\r\n\"Roberts; Jane\";\"j@x.org\"\"\"\r\nBob;b@x.org";
        let mut c = Collect::default();
        extract(&Input::Bytes(data), b';', &mut c, &Limits::default()).unwrap();
        let cells: Vec<_> = c.segments.iter().map(|s| (s.0.as_str(), s.1.as_str())).collect();
        assert_eq!(
            cells,
            [
                ("row 1, col 1", "Name"),
                ("row 1, col 2", "Email"),
                ("row 2, col Name", "Roberts; Jane"),
                ("row 2, col Email", "j@x.org\""),
                ("row 3, col Name", "Bob"),
                ("row 3, col Email", "b@x.org")
            ]
        );
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn a_field_longer_than_the_cap_is_read_in_pieces_with_a_warning() {
        // An unclosed quote makes the rest of the file one field.
        let mut data = b"Name,Notes\nJane,\"".to_vec();
        data.extend(vec![b'x'; MAX_FIELD * 2]);
        data.extend(b" call 07700 900123\nBob,ok\n");
        let mut c = Collect::default();
        extract(&Input::Bytes(&data), b',', &mut c, &Limits::default()).unwrap();
        let notes: Vec<_> = c.segments.iter().filter(|s| s.0 == "row 2, col Notes").collect();
        assert_eq!(notes.len(), 3, "three pieces");
        assert!(notes.iter().all(|s| s.1.len() <= MAX_FIELD && s.2.as_deref() == Some("Notes")));
        assert!(notes[2].1.contains("07700 900123"));
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].starts_with("1 field(s) longer than 1 MB (the first in row 2)"), "{:?}", c.warnings);
    }
}
