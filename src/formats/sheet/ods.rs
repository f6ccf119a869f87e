//! ODS workbooks: `content.xml` read as a stream of cells.
//!
//! calamine lays each ODS sheet out as a dense grid, so a cell far from the
//! rest, or rows repeated to the sheet's end (LibreOffice writes a formatted
//! empty range as `table:number-rows-repeated="1048000"`), failed the whole
//! workbook ("Cell limit exceeded") or took memory for every empty cell. Here
//! an empty cell or row costs a counter, cells come out in row order at their
//! place, and the values are calamine's own [`Data`] as calamine would give
//! them (so they render the same), with the cell comments in the same pass.

use calamine::Data;
use quick_xml::events::{BytesStart, Event};

use super::Cells;
use crate::formats::docx::anonymise::attr_value;
use crate::formats::docx::package::Package;
use crate::formats::docx::xml::{attr, local};
use crate::formats::odt::white_space;
use crate::formats::{ExtractError, Limits, Result};

/// Most cells a workbook may yield by repetition (a non-empty cell or row
/// repeated N times yields N cells): a few hundred bytes of XML could
/// otherwise stand for billions of cells. Past it, repetitions are not read
/// and the reader says so.
const MAX_REPEATED_CELLS: u64 = 1 << 20;

/// Read every sheet of an ODS workbook into `cells`.
pub(super) fn read(data: &[u8], limits: &Limits, cells: &mut dyn Cells) -> Result<()> {
    let mut package = Package::open(data, "ods", limits)?;
    if package.has("META-INF/manifest.xml") {
        let manifest = package.read_xml("META-INF/manifest.xml")?;
        if manifest.contains("encryption-data") {
            return Err(ExtractError::Encrypted);
        }
    }
    if !package.has("content.xml") {
        return Err(ExtractError::corrupt("ods", "no content.xml: not a spreadsheet"));
    }
    let xml = package.read_xml("content.xml")?;
    let mut walk = Walk { cells, repeated: 0, capped: false };
    let result = walk.content(&xml);
    if walk.capped {
        walk.cells.warn(format!(
            "cells repeated more than {MAX_REPEATED_CELLS} times in all: the further repetitions were not read"
        ));
    }
    result.map_err(|e| ExtractError::corrupt("ods", format!("damaged content.xml: {e}")))
}

/// One non-empty cell of the row being read.
struct RowCell {
    col: u32,
    value: Data,
    repeat: u32,
}

/// A comment on a cell: its text and author.
struct Note {
    col: u32,
    text: String,
    author: String,
}

struct Walk<'c> {
    cells: &'c mut dyn Cells,
    /// Cells yielded by repetition so far.
    repeated: u64,
    /// Whether [`MAX_REPEATED_CELLS`] was reached.
    capped: bool,
}

impl Walk<'_> {
    fn content(&mut self, xml: &str) -> std::result::Result<(), quick_xml::Error> {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut in_sheet = false;
        let (mut row, mut col, mut row_repeat) = (0u32, 0u32, 1u32);
        let mut row_cells: Vec<RowCell> = Vec::new();
        let mut notes: Vec<Note> = Vec::new();
        loop {
            match reader.read_event()? {
                Event::Start(e) if e.name().as_ref() == "table:table" && !in_sheet => {
                    self.cells.sheet(&attr(&e, "name").unwrap_or_default());
                    (in_sheet, row) = (true, 0);
                }
                // A self-closed table: a sheet with no rows.
                Event::Empty(e) if e.name().as_ref() == "table:table" && !in_sheet => {
                    self.cells.sheet(&attr(&e, "name").unwrap_or_default());
                    self.cells.end_sheet();
                }
                Event::End(e) if e.name().as_ref() == "table:table" && in_sheet => {
                    self.cells.end_sheet();
                    in_sheet = false;
                }
                Event::Start(e) if e.name().as_ref() == "table:table-row" && in_sheet => {
                    (col, row_repeat) = (0, repeat(&e, "number-rows-repeated"));
                    row_cells.clear();
                    notes.clear();
                }
                Event::Empty(e) if e.name().as_ref() == "table:table-row" && in_sheet => {
                    row = row.saturating_add(repeat(&e, "number-rows-repeated"));
                }
                Event::End(e) if e.name().as_ref() == "table:table-row" && in_sheet => {
                    self.row(row, row_repeat, &row_cells, &notes);
                    row = row.saturating_add(row_repeat);
                }
                Event::Start(e) if is_cell(&e) && in_sheet => {
                    let (value, note) = cell(&mut reader, &e, true)?;
                    let repeat = repeat(&e, "number-columns-repeated");
                    if let Some((text, author)) = note {
                        notes.push(Note { col, text, author });
                    }
                    if !is_empty(&value) {
                        row_cells.push(RowCell { col, value, repeat });
                    }
                    col = col.saturating_add(repeat);
                }
                Event::Empty(e) if is_cell(&e) && in_sheet => {
                    let (value, _) = cell(&mut reader, &e, false)?;
                    let repeat = repeat(&e, "number-columns-repeated");
                    if !is_empty(&value) {
                        row_cells.push(RowCell { col, value, repeat });
                    }
                    col = col.saturating_add(repeat);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if in_sheet {
            self.cells.end_sheet();
        }
        Ok(())
    }

    /// Yield a finished row (and its repetitions) and its cells' comments.
    fn row(&mut self, row: u32, row_repeat: u32, row_cells: &[RowCell], notes: &[Note]) {
        for r in 0..row_repeat {
            if r > 0 && !self.spend(row_cells.iter().map(|c| u64::from(c.repeat)).sum()) {
                break;
            }
            let at = row.saturating_add(r);
            for c in row_cells {
                for k in 0..c.repeat {
                    if k > 0 && r == 0 && !self.spend(1) {
                        break;
                    }
                    self.cells.cell(at, c.col.saturating_add(k), &c.value);
                }
            }
        }
        for n in notes {
            self.cells.comment(row, n.col, &n.text, &n.author);
        }
    }

    /// Count `n` cells yielded by repetition; false once past the cap.
    fn spend(&mut self, n: u64) -> bool {
        if self.repeated.saturating_add(n) > MAX_REPEATED_CELLS {
            self.capped = true;
            return false;
        }
        self.repeated += n;
        true
    }
}

fn is_cell(e: &BytesStart<'_>) -> bool {
    matches!(e.name().as_ref(), "table:table-cell" | "table:covered-table-cell")
}

fn is_empty(value: &Data) -> bool {
    matches!(value, Data::Empty) || matches!(value, Data::String(s) if s.is_empty())
}

/// A repetition count attribute, by its local name (at least 1).
fn repeat(e: &BytesStart<'_>, name: &str) -> u32 {
    attr(e, name).and_then(|v| v.trim().parse().ok()).unwrap_or(1).max(1)
}

/// A cell's value, as calamine reads it (ODF 1.2 19.385): the first of the
/// value attributes; the text of its paragraphs for a string cell without a
/// string value, an error cell, or a cell that states no type at all. And
/// its comment (text and author), if any. `has_content`: the start tag was
/// not self-closing, so the cell's content follows up to its end tag.
fn cell(
    reader: &mut quick_xml::Reader<&[u8]>,
    e: &BytesStart<'_>,
    has_content: bool,
) -> std::result::Result<(Data, Option<(String, String)>), quick_xml::Error> {
    let mut value = Data::Empty;
    let (mut is_set, mut typed, mut is_string, mut is_error) = (false, false, false, false);
    for a in e.attributes().with_checks(false).flatten() {
        let key = a.key.as_ref();
        let v = attr_value(&a);
        match key {
            "office:value" if !is_set => {
                if let Ok(f) = v.trim().parse::<f64>() {
                    (value, is_set) = (Data::Float(f), true);
                }
            }
            "office:string-value" if !is_set => (value, is_set) = (Data::String(v), true),
            "office:date-value" if !is_set => (value, is_set) = (Data::DateTimeIso(v), true),
            "office:time-value" if !is_set => (value, is_set) = (Data::DurationIso(v), true),
            "office:boolean-value" if !is_set => {
                (value, is_set) = (Data::Bool(v.eq_ignore_ascii_case("true")), true);
            }
            "office:value-type" => (typed, is_string) = (true, is_string || (!is_set && v == "string")),
            "calcext:value-type" => is_error = v == "error",
            _ => {}
        }
    }
    if !has_content {
        return Ok((value, None));
    }
    let (text, note) = content(reader, e.name().as_ref())?;
    let text_wanted =
        (!is_set && (is_string || !typed)) || (is_error && matches!(&value, Data::String(s) if s.is_empty()));
    if text_wanted {
        value = Data::String(text);
    }
    Ok((value, note))
}

/// The content of a cell up to its end tag: the text of its paragraphs
/// (joined by line breaks; `text:s`, `text:tab`, `text:line-break` as the
/// white space they stand for), and its comment's text and author.
fn content(
    reader: &mut quick_xml::Reader<&[u8]>,
    end: &str,
) -> std::result::Result<(String, Option<(String, String)>), quick_xml::Error> {
    let mut cell = Text::default();
    let mut note: Option<(Text, String)> = None;
    // Depth of open elements inside the cell; the comment's depth while
    // inside it; open paragraphs; inside the comment's author.
    let (mut depth, mut note_depth, mut in_p, mut in_creator) = (0usize, None::<usize>, 0usize, false);
    loop {
        let in_note = note_depth.is_some();
        // Where text read now belongs: the comment's author, the comment's
        // or the cell's paragraphs; nowhere outside a paragraph
        // (indentation between tags, the comment's date).
        match reader.read_event()? {
            Event::Start(s) => {
                depth += 1;
                match s.name().as_ref() {
                    "office:annotation" if !in_note => {
                        note = Some((Text::default(), String::new()));
                        note_depth = Some(depth);
                    }
                    "dc:creator" if in_note => in_creator = true,
                    "text:p" => {
                        in_p += 1;
                        match (&mut note, in_note) {
                            (Some((t, _)), true) => t.paragraph(),
                            _ => cell.paragraph(),
                        }
                    }
                    name => {
                        if let Some(out) = target(&mut note, &mut cell, in_note, in_creator, in_p)
                            && let Some(text) = white_space(local(name), &s)
                        {
                            out.push_str(&text);
                        }
                    }
                }
            }
            Event::Empty(s) => {
                if let Some(out) = target(&mut note, &mut cell, in_note, in_creator, in_p)
                    && let Some(text) = white_space(local(s.name().as_ref()), &s)
                {
                    out.push_str(&text);
                }
            }
            Event::End(s) => {
                if depth == 0 {
                    if s.name().as_ref() == end {
                        break;
                    }
                    continue;
                }
                match s.name().as_ref() {
                    "text:p" => in_p = in_p.saturating_sub(1),
                    "dc:creator" => in_creator = false,
                    "office:annotation" if note_depth == Some(depth) => note_depth = None,
                    _ => {}
                }
                depth -= 1;
            }
            Event::Text(t) => {
                if let Some(out) = target(&mut note, &mut cell, in_note, in_creator, in_p) {
                    out.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(out) = target(&mut note, &mut cell, in_note, in_creator, in_p) {
                    out.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(out) = target(&mut note, &mut cell, in_note, in_creator, in_p) {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => out.push(c),
                        _ => out.push_str(quick_xml::escape::resolve_predefined_entity(&r).unwrap_or("")),
                    }
                }
            }
            Event::Eof => {
                return Err(quick_xml::Error::Syntax(quick_xml::errors::SyntaxError::UnclosedTag));
            }
            _ => {}
        }
    }
    let note = note
        .map(|(t, a)| (t.text.trim().to_string(), a.trim().to_string()))
        .filter(|(t, a)| !t.is_empty() || !a.is_empty());
    Ok((cell.text, note))
}

/// Paragraph text gathered from a cell or its comment.
#[derive(Default)]
struct Text {
    text: String,
    paragraphs: usize,
}

impl Text {
    /// A paragraph starts: a line break before all but the first.
    fn paragraph(&mut self) {
        if self.paragraphs > 0 {
            self.text.push('\n');
        }
        self.paragraphs += 1;
    }
}

/// Where text read now belongs: the comment's author (inside `dc:creator`),
/// the comment's or the cell's paragraphs; nowhere outside a paragraph
/// (indentation between tags, the comment's date).
fn target<'s>(
    note: &'s mut Option<(Text, String)>,
    cell: &'s mut Text,
    in_note: bool,
    in_creator: bool,
    in_p: usize,
) -> Option<&'s mut String> {
    match (note.as_mut(), in_note) {
        (Some((_, author)), true) if in_creator => Some(author),
        (Some((t, _)), true) => (in_p > 0).then_some(&mut t.text),
        _ => (in_p > 0).then_some(&mut cell.text),
    }
}
