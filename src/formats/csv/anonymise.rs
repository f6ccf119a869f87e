//! CSV and other delimited text: the same delimiter, quoting style, line
//! endings and encoding; every column kept unless the policy drops it. Cells
//! are read by the extractor's reader ([`Rows`]), with their column header as
//! context. Copies are streamed a row at a time from the source to the
//! output, so memory does not grow with the file.

use std::cell::RefCell;
use std::io::{BufRead, Read, Write};
use std::rc::Rc;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use crate::formats::csv::{MAX_FIELD, Rows};
use crate::formats::rewrite::ColumnFate;
use crate::formats::rewrite::Rewrite;
use crate::formats::rewrite::{NameColumn, name_column};
use crate::formats::text::anonymise::{TextEncoding, encode};
use crate::formats::text::{TextPart, decode_line, text_stream};
use crate::formats::{Input, Segment};

/// Did the file quote every field, or only those that need it? `first`:
/// its first line.
fn quote_style(first: &str, delimiter: u8) -> csv::QuoteStyle {
    let d = delimiter as char;
    let fields = first.split(d).count();
    let quoted = first.matches(&format!("\"{d}\"")).count();
    if first.starts_with('"') && first.trim_end().ends_with('"') && quoted + 1 == fields {
        csv::QuoteStyle::Always
    } else {
        csv::QuoteStyle::Necessary
    }
}

/// Cells written: each with whether it is written as UTF-8 (else as
/// Windows-1252, as its source cell was).
pub type Cells = Vec<(String, bool)>;

/// The csv writer's output, read as it goes.
#[derive(Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a copy makes of each record: its row, cells and whether each was
/// valid UTF-8, to the cells written.
pub type RowFn<'f> = dyn FnMut(u64, &[String], &[bool]) -> Cells + 'f;

/// A byte stream that remembers the last byte read from it.
struct LastByte<R> {
    inner: R,
    last: Option<u8>,
}

impl<R: BufRead> std::io::Read for LastByte<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LastByte<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        if amt > 0
            && let Ok(buf) = self.inner.fill_buf()
        {
            self.last = buf.get(amt - 1).copied().or(self.last);
        }
        self.inner.consume(amt);
    }
}

/// Where a NUL byte ended the text of a copy's source, if one did.
pub type Cut = Option<u64>;

/// Copy delimited text from `input` to `out` a row at a time: each record
/// (its row, from 1 for the header row, its cells, and whether each was
/// valid UTF-8) becomes the cells `row` returns, written as the source was
/// written: delimiter, quoting, line endings, encoding, byte-order mark, and
/// a final line ending or none. Reads up to the first NUL byte, as the
/// extractor does.
pub fn copy_rows(input: &Input<'_>, delimiter: u8, out: &mut dyn Write, row: &mut RowFn<'_>) -> Result<Cut, String> {
    let err = |e: &dyn std::fmt::Display| format!("cannot copy this delimited text: {e}");
    let head = input.head(4).map_err(|e| err(&e))?;
    let enc = match Encoding::for_bom(&head) {
        Some((encoding, _)) => TextEncoding { encoding, bom: true },
        None => TextEncoding { encoding: UTF_8, bom: false },
    };
    let utf16 = enc.encoding == UTF_16LE || enc.encoding == UTF_16BE;
    // The first line gives the quoting style and the line endings.
    let mut first = Vec::new();
    text_stream(input).map_err(|e| err(&e))?.take(1 << 20).read_until(b'\n', &mut first).map_err(|e| err(&e))?;
    let crlf = first.ends_with(b"\r\n");
    let first = decode_line(&first);
    let first = first.strip_suffix('\n').unwrap_or(&first);
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .quote_style(quote_style(first.strip_suffix('\r').unwrap_or(first), delimiter))
        .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
        .from_writer(Shared::default());
    let buf = writer.get_ref().0.clone();
    out.write_all(&encode("", enc)).map_err(|e| err(&e))?;
    let stream = LastByte { inner: text_stream(input).map_err(|e| err(&e))?, last: None };
    let mut rows = Rows::for_copy(stream, delimiter);
    // Written out before each record, so the last record's line ending can
    // still be taken off at the end.
    let drain = |buf: &mut Vec<u8>, out: &mut dyn Write| -> std::io::Result<()> {
        if utf16 {
            out.write_all(&encode(&String::from_utf8_lossy(buf), TextEncoding { bom: false, ..enc }))?;
        } else {
            out.write_all(buf)?;
        }
        buf.clear();
        Ok(())
    };
    let mut bytes: Vec<u8> = Vec::new();
    while let Some((n, record, utf8)) = rows.next_row_utf8().map_err(|e| format!("corrupt csv: {e}"))? {
        let cells = row(n, record, utf8);
        writer.flush().map_err(|e| err(&e))?;
        if buf.borrow().len() >= 64 << 10 {
            drain(&mut buf.borrow_mut(), out).map_err(|e| err(&e))?;
        }
        for (cell, utf8) in &cells {
            bytes.clear();
            if *utf8 || utf16 {
                bytes.extend_from_slice(cell.as_bytes());
            } else {
                bytes.extend_from_slice(&WINDOWS_1252.encode(cell).0);
            }
            writer.write_field(&bytes).map_err(|e| err(&e))?;
        }
        writer.write_record(None::<&[u8]>).map_err(|e| err(&e))?;
    }
    writer.flush().map_err(|e| err(&e))?;
    let stream: &LastByte<TextPart<_>> = rows.get_ref();
    let (last, cut) = (stream.last, stream.inner.cut());
    if last != Some(b'\n') {
        // The source had no final line ending: neither has the copy.
        let mut buf = buf.borrow_mut();
        let cut = if crlf { 2 } else { 1 };
        let keep = buf.len().saturating_sub(cut);
        buf.truncate(keep);
    }
    drain(&mut buf.borrow_mut(), out).map_err(|e| err(&e))?;
    Ok(cut)
}

/// The first-name and surname columns, if the header row has both, with
/// the person of each row added to the file's people (a first pass over the
/// records: a partial mention before a person's row gets their token too).
fn row_people(work: &mut dyn Rewrite, input: &Input<'_>, delimiter: u8) -> Result<Option<(usize, usize)>, String> {
    let stream = text_stream(input).map_err(|e| e.to_string())?;
    let mut reader = Rows::new(stream, delimiter);
    let mut columns = None;
    while let Ok(Some((row, record))) = reader.next_row() {
        if row == 1 {
            let (mut first, mut surname) = (None, None);
            for (i, h) in record.iter().enumerate() {
                match name_column(h) {
                    Some(NameColumn::First) => first = first.or(Some(i)),
                    Some(NameColumn::Surname) => surname = surname.or(Some(i)),
                    None => {}
                }
            }
            let (Some(f), Some(s)) = (first, surname) else { return Ok(None) };
            columns = Some((f, s));
            continue;
        }
        if let Some((f, s)) = columns
            && let (Some(f), Some(s)) = (record.get(f), record.get(s))
        {
            work.add_person(f, s);
        }
    }
    Ok(columns)
}

/// Write a delimited-text file's copy to `out` as it is read, a row at a
/// time (after a first pass that gathers the people of its name columns).
pub fn write_stream(
    work: &mut dyn Rewrite,
    input: &Input<'_>,
    delimiter: u8,
    out: &mut dyn Write,
) -> Result<(), String> {
    let names = row_people(work, input, delimiter)?;
    let mut headers: Vec<String> = Vec::new();
    let mut columns: Vec<Option<ColumnFate>> = Vec::new();
    let mut location = String::new();
    let cut = copy_rows(input, delimiter, out, &mut |row, record, utf8| {
        if row == 1 {
            headers = record.iter().map(|h| h.trim().to_string()).collect();
            columns = headers.iter().map(|h| work.column(h)).collect();
        }
        // The row's first-name and surname cells name one person (added
        // by the first pass: this finds them again).
        let person = match names {
            Some((f, s)) if row > 1 => match (record.get(f), record.get(s)) {
                (Some(f), Some(s)) => work.add_person(f, s),
                _ => None,
            },
            _ => None,
        };
        work.set_row_person(person);
        let mut out: Cells = Vec::with_capacity(record.len());
        for (i, value) in record.iter().enumerate() {
            let utf8 = utf8.get(i).copied().unwrap_or(true);
            let column = columns.get(i).copied().flatten();
            if matches!(column, Some(ColumnFate::Drop)) {
                continue;
            }
            let header = headers.get(i).map(String::as_str).filter(|h| !h.is_empty() && row > 1);
            if let (Some(_), Some(h)) = (column, header)
                && !value.trim().is_empty()
            {
                out.push((work.column_cell(h, value).unwrap_or_default(), utf8));
                continue;
            }
            location.clear();
            location.push_str(&format!("row {row}, col {}", header.map_or((i + 1).to_string(), str::to_string)));
            out.push((rewrite_cell(work, &location, value, header), utf8));
        }
        out
    })?;
    work.set_row_person(None);
    if let Some(at) = cut {
        work.note(format!(
            "binary data (a NUL byte) from byte {at} on: the copy holds the rows before it, the rest was not copied"
        ));
    }
    Ok(())
}

/// A cell with its values replaced. A cell longer than [`MAX_FIELD`] (a
/// 50 MB field, an unclosed quote) is read in pieces of at most that size,
/// as the extractor reads it, cut between words where it can: detection
/// over one huge segment is slow and holds much more than the cell.
fn rewrite_cell(work: &mut dyn Rewrite, location: &str, value: &str, header: Option<&str>) -> String {
    if value.len() <= MAX_FIELD {
        let seg = Segment::fixed(location, value, header);
        return work.rewrite(&seg).unwrap_or_else(|| value.to_string());
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while !rest.is_empty() {
        let mut end = rest.len().min(MAX_FIELD);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        if end < rest.len() {
            // At a line break, else at a space not after a digit (not
            // inside a phone number or a postcode), in the piece's second half.
            let mid = (MAX_FIELD / 2..end).find(|&i| rest.is_char_boundary(i)).unwrap_or(end);
            let half = &rest[mid..end];
            let at = half.rfind('\n').or_else(|| {
                half.char_indices()
                    .rev()
                    .find(|&(i, c)| c.is_whitespace() && !half[..i].ends_with(|p: char| p.is_ascii_digit()))
                    .map(|(i, _)| i)
            });
            if let Some(i) = at {
                end = mid + i + 1;
            }
        }
        let piece = &rest[..end];
        let seg = Segment::fixed(location, piece, header);
        match work.rewrite(&seg) {
            Some(new) => out.push_str(&new),
            None => out.push_str(piece),
        }
        rest = &rest[end..];
    }
    out
}

/// A delimited-text file's copy, in memory (a part of another file).
pub fn write(work: &mut dyn Rewrite, data: &[u8], delimiter: u8) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 8);
    write_stream(work, &Input::Bytes(data), delimiter, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_longer_than_the_cap_is_rewritten_in_pieces_with_no_value_cut() {
        // An unclosed quote makes the rest of the file one cell of about
        // 2.5 MB, with non-ASCII letters so pieces must end on characters.
        let item = "Zoë rang from 07700 900123 about café vouchers; ";
        let n = (MAX_FIELD * 5 / 2) / item.len();
        let data = format!("Name,Notes\nJane,\"{}", item.repeat(n));
        let parts = crate::anonymise::TestParts::new();
        let anon = parts.anonymiser();
        let mut work = crate::anonymise::Work::plain(&anon);
        let copy = String::from_utf8(write(&mut work, data.as_bytes(), b',').unwrap()).unwrap();
        assert_eq!(copy.matches("[PHONE]").count(), n);
        assert!(!copy.contains("07700") && !copy.contains("900123"));
        assert_eq!(copy.matches("café vouchers").count(), n);
    }
}
