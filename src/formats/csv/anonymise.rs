//! CSV and other delimited text: the same delimiter, quoting style, line
//! endings and encoding; every column kept unless the policy drops it. Cells
//! are read by the extractor's reader ([`Rows`]), with their column header as
//! context.

use crate::formats::Segment;
use crate::formats::csv::Rows;
use crate::formats::rewrite::ColumnFate;
use crate::formats::rewrite::Rewrite;
use crate::formats::rewrite::{NameColumn, name_column};
use crate::formats::text::anonymise::{decode, encode};

/// Did the file quote every field, or only those that need it?
fn quote_style(text: &str, delimiter: u8) -> csv::QuoteStyle {
    let first = text.lines().next().unwrap_or("");
    let d = delimiter as char;
    let fields = first.split(d).count();
    let quoted = first.matches(&format!("\"{d}\"")).count();
    if first.starts_with('"') && first.trim_end().ends_with('"') && quoted + 1 == fields {
        csv::QuoteStyle::Always
    } else {
        csv::QuoteStyle::Necessary
    }
}

/// The person of each row named in first-name and surname columns (a
/// first pass over the records), added to the file's people.
fn row_people(work: &mut dyn Rewrite, text: &str, delimiter: u8) -> Vec<Option<usize>> {
    let mut reader = Rows::new(text.as_bytes(), delimiter);
    let mut out = Vec::new();
    let (mut first, mut surname) = (None, None);
    while let Ok(Some((row, record))) = reader.next_row() {
        if row == 1 {
            for (i, h) in record.iter().enumerate() {
                match name_column(h) {
                    Some(NameColumn::First) => first = first.or(Some(i)),
                    Some(NameColumn::Surname) => surname = surname.or(Some(i)),
                    None => {}
                }
            }
            if first.is_none() || surname.is_none() {
                return out;
            }
            out.push(None);
            continue;
        }
        let (Some(f), Some(s)) = (first.and_then(|i| record.get(i)), surname.and_then(|i| record.get(i))) else {
            out.push(None);
            continue;
        };
        out.push(work.add_person(f, s));
    }
    out
}

/// A delimited-text file's copy.
pub fn write(work: &mut dyn Rewrite, data: &[u8], delimiter: u8) -> Result<Vec<u8>, String> {
    let (text, enc) = decode(data);
    let crlf = text.find('\n').is_some_and(|i| i > 0 && text.as_bytes()[i - 1] == b'\r');
    // Decoded whole, as the copy is encoded back whole; the text is UTF-8,
    // so the reader's cells are the text's own.
    let mut reader = Rows::new(text.as_bytes(), delimiter);
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .quote_style(quote_style(&text, delimiter))
        .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
        .from_writer(Vec::new());
    let row_people = row_people(work, &text, delimiter);
    let mut headers: Vec<String> = Vec::new();
    let mut columns: Vec<Option<ColumnFate>> = Vec::new();
    let mut location = String::new();
    while let Some((row, record)) = reader.next_row().map_err(|e| format!("corrupt csv: {e}"))? {
        let n = (row - 1) as usize;
        if row == 1 {
            headers = record.iter().map(|h| h.trim().to_string()).collect();
            columns = headers.iter().map(|h| work.column(h)).collect();
        }
        // The row's first-name and surname cells name one person.
        work.set_row_person(row_people.get(n).copied().flatten());
        let mut out: Vec<String> = Vec::with_capacity(record.len());
        for (i, value) in record.iter().enumerate() {
            let column = columns.get(i).copied().flatten();
            if matches!(column, Some(ColumnFate::Drop)) {
                continue;
            }
            let header = headers.get(i).map(String::as_str).filter(|h| !h.is_empty() && row > 1);
            if let (Some(_), Some(h)) = (column, header)
                && !value.trim().is_empty()
            {
                out.push(work.column_cell(h, value).unwrap_or_default());
                continue;
            }
            location.clear();
            location.push_str(&format!("row {row}, col {}", header.map_or((i + 1).to_string(), str::to_string)));
            let seg = Segment::fixed(&location, value, header);
            out.push(work.rewrite(&seg).unwrap_or_else(|| value.to_string()));
        }
        writer.write_record(&out).map_err(|e| e.to_string())?;
    }
    work.set_row_person(None);
    let mut bytes = writer.into_inner().map_err(|e| e.to_string())?;
    if !text.ends_with('\n') {
        // The source had no final line ending: neither has the copy.
        let cut = if crlf { 2 } else { 1 };
        bytes.truncate(bytes.len().saturating_sub(cut));
    }
    let out = String::from_utf8(bytes).map_err(|e| e.to_string())?;
    Ok(encode(&out, enc))
}
