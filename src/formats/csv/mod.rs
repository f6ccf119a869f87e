//! CSV and other delimited text. Each cell is a segment located `row R, col
//! Header` (rows count from 1, the header row being row 1) with the column's
//! header passed to detection as context.

pub mod anonymise;

use std::io::BufRead;

use encoding_rs::WINDOWS_1252;

use super::text::{decode_line, text_stream};
use super::{Emit, Input, Limits, Loc, Result, Segment};

/// Longest piece of one field handed to detection: a longer field (a 50 MB
/// line with no delimiter, an unclosed quote) is read in pieces of this size,
/// so memory stays bounded, with a warning.
pub const MAX_FIELD: usize = 1 << 20;
/// Longest column header kept as context.
const MAX_HEADER: usize = 200;

/// One field of delimited text, or one piece of a field longer than
/// [`MAX_FIELD`]: its bytes as in the source (not yet decoded).
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    pub bytes: &'a [u8],
    /// The record (from 1, skipping blank lines) and column (from 0).
    pub row: u64,
    pub col: usize,
    /// A later piece of a long field (its first piece came before).
    pub continued: bool,
    /// The field ends with this piece.
    pub complete: bool,
    /// The record ends with this field (when `complete`).
    pub record_end: bool,
}

/// What the last field handed out leaves to do before the next.
#[derive(Clone, Copy)]
enum After {
    Nothing,
    Piece,
    Field { record_end: bool },
}

/// The one CSV reader: the fields of delimited text, streamed from a byte
/// stream (see [`super::text::text_stream`]) with csv-core, not csv's
/// Reader, which holds a whole record in memory. Quoting is RFC 4180's
/// (`""` inside quotes), records end at `\n`, `\r\n` or `\r`, and blank
/// lines are skipped. Everything that reads CSV reads it here: the
/// extractor field by field, the writer and the SAR bundle by [`Rows`].
pub struct Fields<R> {
    parser: csv_core::Reader,
    reader: R,
    out: Vec<u8>,
    field: Vec<u8>,
    /// The output of a read not yet added to `field` (a piece was handed out first).
    pending: Option<(csv_core::ReadFieldResult, usize)>,
    after: After,
    row: u64,
    col: usize,
    /// The field being gathered continues a piece already handed out.
    continued: bool,
    /// Fields read in pieces: how many, and the first one's row.
    cut: (u64, Option<u64>),
}

impl<R: BufRead> Fields<R> {
    pub fn new(reader: R, delimiter: u8) -> Self {
        Fields {
            parser: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            reader,
            out: vec![0u8; 64 << 10],
            field: Vec::with_capacity(4096),
            pending: None,
            after: After::Nothing,
            row: 1,
            col: 0,
            continued: false,
            cut: (0, None),
        }
    }

    /// The next field (or piece of a long field), `None` at the end.
    pub fn next_field(&mut self) -> std::io::Result<Option<Field<'_>>> {
        match std::mem::replace(&mut self.after, After::Nothing) {
            After::Nothing => {}
            After::Piece => {
                self.field.clear();
                self.continued = true;
            }
            After::Field { record_end } => {
                self.field.clear();
                self.continued = false;
                self.col += 1;
                if record_end {
                    self.row += 1;
                    self.col = 0;
                }
            }
        }
        loop {
            let (result, nout) = match self.pending.take() {
                Some(pending) => pending,
                None => {
                    let buf = self.reader.fill_buf()?;
                    let (result, nin, nout) = self.parser.read_field(buf, &mut self.out);
                    self.reader.consume(nin);
                    if self.field.len() + nout > MAX_FIELD {
                        // Hand on what is gathered and go on with the rest of the field.
                        self.pending = Some((result, nout));
                        if !self.continued {
                            self.cut.0 += 1;
                            self.cut.1.get_or_insert(self.row);
                        }
                        self.after = After::Piece;
                        return Ok(Some(self.field(false, false)));
                    }
                    (result, nout)
                }
            };
            self.field.extend_from_slice(&self.out[..nout]);
            match result {
                csv_core::ReadFieldResult::InputEmpty | csv_core::ReadFieldResult::OutputFull => {}
                csv_core::ReadFieldResult::Field { record_end } => {
                    self.after = After::Field { record_end };
                    return Ok(Some(self.field(true, record_end)));
                }
                csv_core::ReadFieldResult::End => return Ok(None),
            }
        }
    }

    fn field(&self, complete: bool, record_end: bool) -> Field<'_> {
        Field { bytes: &self.field, row: self.row, col: self.col, continued: self.continued, complete, record_end }
    }

    /// How many fields were longer than [`MAX_FIELD`] (read in pieces), and the first one's row.
    pub fn long_fields(&self) -> (u64, Option<u64>) {
        self.cut
    }

    /// The stream read from.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }
}

/// A record's row, cells, and whether each cell was valid UTF-8.
pub type RowUtf8<'a> = (u64, &'a [String], &'a [bool]);

/// The records of delimited text, one at a time, each cell whole and
/// decoded as the extractor decodes it (UTF-8 where valid, else
/// Windows-1252 byte by byte): [`Fields`] gathered into rows.
pub struct Rows<R> {
    fields: Fields<R>,
    /// The pieces of a long field so far.
    long: Vec<u8>,
    cells: Vec<String>,
    /// Whether each cell of the row was valid UTF-8.
    utf8: Vec<bool>,
    /// Cells that are not valid UTF-8 are decoded as Windows-1252 whole,
    /// so that they encode back to the same bytes (for copies).
    exact: bool,
}

impl<R: BufRead> Rows<R> {
    pub fn new(reader: R, delimiter: u8) -> Self {
        Rows {
            fields: Fields::new(reader, delimiter),
            long: Vec::new(),
            cells: Vec::new(),
            utf8: Vec::new(),
            exact: false,
        }
    }

    /// Rows for a copy: a cell that is not valid UTF-8 is decoded as
    /// Windows-1252 byte by byte, and [`Rows::utf8`] says which cells were
    /// valid UTF-8, so each can be encoded back to the bytes it came from.
    pub fn for_copy(reader: R, delimiter: u8) -> Self {
        Rows { exact: true, ..Rows::new(reader, delimiter) }
    }

    /// [`Rows::next_row`], with whether each cell was valid UTF-8.
    pub fn next_row_utf8(&mut self) -> std::io::Result<Option<RowUtf8<'_>>> {
        let row = self.next_row()?.map(|(n, _)| n);
        Ok(row.map(|n| (n, &self.cells[..], &self.utf8[..])))
    }

    /// The stream read from.
    pub fn get_ref(&self) -> &R {
        self.fields.get_ref()
    }

    /// The next record: its row (from 1, the header row being row 1) and cells.
    pub fn next_row(&mut self) -> std::io::Result<Option<(u64, &[String])>> {
        self.cells.clear();
        self.utf8.clear();
        while let Some(field) = self.fields.next_field()? {
            if !field.complete {
                self.long.extend_from_slice(field.bytes);
                continue;
            }
            let bytes = if self.long.is_empty() {
                field.bytes
            } else {
                self.long.extend_from_slice(field.bytes);
                &self.long
            };
            let (cell, utf8) = match std::str::from_utf8(bytes) {
                Ok(s) => (s.to_string(), true),
                Err(_) if self.exact => (WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(), false),
                Err(_) => (decode_line(bytes).into_owned(), false),
            };
            self.long.clear();
            self.cells.push(cell);
            self.utf8.push(utf8);
            if field.record_end {
                return Ok(Some((field.row, &self.cells)));
            }
        }
        Ok(None)
    }
}

pub fn extract(input: &Input<'_>, delimiter: u8, emit: &mut dyn Emit, _limits: &Limits) -> Result<()> {
    let mut fields = Fields::new(text_stream(input)?, delimiter);
    let mut cells = Cells { emit, headers: Vec::new() };
    while let Some(field) = fields.next_field()? {
        cells.cell(&field);
    }
    if let (n, Some(row)) = fields.long_fields() {
        cells.emit.warn(format!(
            "{n} field(s) longer than {} MB (the first in row {row}) were read in pieces of {} MB: \
             an item cut in two where pieces meet may be missed",
            MAX_FIELD >> 20,
            MAX_FIELD >> 20
        ));
    }
    fields.get_ref().warn_if_cut(input.size(), cells.emit);
    Ok(())
}

/// Hands each cell on as a segment located `row R, col Header`.
struct Cells<'e> {
    emit: &'e mut dyn Emit,
    headers: Vec<String>,
}

impl Cells<'_> {
    /// One cell, or one piece of a long one.
    fn cell(&mut self, field: &Field<'_>) {
        let value = decode_line(field.bytes);
        if field.row == 1 && !field.continued {
            let header = value.trim();
            let end = header.char_indices().nth(MAX_HEADER).map_or(header.len(), |(i, _)| i);
            self.headers.push(header[..end].to_string());
        }
        if value.trim().is_empty() {
            return;
        }
        let header = self.headers.get(field.col).map(String::as_str).filter(|h| !h.is_empty() && field.row > 1);
        let loc = Loc::Row { row: field.row, col: field.col, header };
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

    /// Every row the extractor's segments come from, read back by [`Rows`]:
    /// the same cells at the same rows and columns.
    fn rows_of(data: &[u8], delimiter: u8) -> Vec<(u64, Vec<String>)> {
        let mut rows = Rows::new(data, delimiter);
        let mut out = Vec::new();
        while let Some((row, cells)) = rows.next_row().unwrap() {
            out.push((row, cells.to_vec()));
        }
        out
    }

    #[test]
    fn rows_read_what_the_extractor_reads() {
        // A quoted field over two lines, CRLF, a blank line, Windows-1252
        // bytes, a doubled quote, a short row and a last line with no ending.
        let data = b"Name;Notes;Town\r\n\"Roberts; Jane\";\"line one\r\nline \"\"two\"\"\";Bath\r\n\r\nZo\xEB;caf\xE9 \x80\r\nBob;;Leeds";
        let rows = rows_of(data, b';');
        assert_eq!(
            rows,
            [
                (1, vec!["Name".to_string(), "Notes".into(), "Town".into()]),
                (2, vec!["Roberts; Jane".into(), "line one\r\nline \"two\"".into(), "Bath".into()]),
                (3, vec!["Zoë".into(), "café €".into()]),
                (4, vec!["Bob".into(), "".into(), "Leeds".into()]),
            ]
        );
        let mut c = Collect::default();
        extract(&Input::Bytes(data), b';', &mut c, &Limits::default()).unwrap();
        let from_rows: Vec<(String, String)> = rows
            .iter()
            .flat_map(|(row, cells)| {
                let header = |col: usize| rows[0].1.get(col).filter(|_| *row > 1).cloned();
                cells.iter().enumerate().filter(|(_, cell)| !cell.trim().is_empty()).map(move |(col, cell)| {
                    (format!("row {row}, col {}", header(col).unwrap_or((col + 1).to_string())), cell.clone())
                })
            })
            .collect();
        let from_extract: Vec<(String, String)> = c.segments.iter().map(|s| (s.0.clone(), s.1.clone())).collect();
        assert_eq!(from_rows, from_extract);
    }

    #[test]
    fn rows_hold_a_long_field_whole() {
        let mut data = b"Name,Notes\nJane,\"".to_vec();
        data.extend(vec![b'x'; MAX_FIELD * 2]);
        data.extend(b" 07700 900123\"\nBob,ok\n");
        let rows = rows_of(&data, b',');
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].1[1].len(), MAX_FIELD * 2 + 13);
        assert!(rows[1].1[1].ends_with("x 07700 900123"));
        assert_eq!(rows[2], (3, vec!["Bob".to_string(), "ok".into()]));
    }
}
