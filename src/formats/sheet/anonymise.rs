//! Spreadsheets (xlsx, xls, ods) → xlsx via rust_xlsxwriter: every sheet and
//! every cell, numbers as numbers, dates as dates, personal data replaced;
//! columns the policy drops are removed (the columns to their right move
//! left). Which cells hold personal data is decided on the extractor's own
//! segments (so the header-row context is the scanner's), the values are
//! then read again by the same cell reader ([`formats::sheet::read_cells`])
//! to keep their types.

use std::collections::{BTreeMap, BTreeSet};

use calamine::Data;
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use crate::formats::rewrite::ColumnFate;
use crate::formats::rewrite::Rewrite;
use crate::formats::rewrite::{NameColumn, name_column};
use crate::formats::sheet::{TableCell, TableCells};
use crate::formats::{self, Input, Kind, Loc, Segment};

/// The new text of cells (by sheet, 0-based row and column), and the
/// columns dropped from each sheet.
#[derive(Default)]
struct Plan {
    cells: BTreeMap<(String, u32, u32), String>,
    dropped: BTreeMap<String, BTreeSet<u32>>,
}

/// Decide every cell's fate from the extractor's segments.
fn plan(work: &mut dyn Rewrite, data: &[u8], kind: Kind) -> Result<Plan, String> {
    let mut read = TableCells::default();
    formats::sheet::extract(&Input::Bytes(data), kind, &mut read, work.limits()).map_err(|e| e.to_string())?;
    let mut plan = Plan::default();
    let row_people = row_people(work, &read.cells);
    for TableCell { sheet, row, col, text, header: context } in &read.cells {
        let (sheet, row, col) = (sheet.as_str(), *row, *col);
        // A row's first-name and surname cells name one person.
        work.set_row_person(row_people.get(&(sheet.to_string(), row)).copied());
        let key = (sheet.to_string(), row, col);
        if let Some(h) = context.as_deref()
            && work.column(h).is_some()
        {
            match work.column_cell(h, text) {
                Some(v) => {
                    plan.cells.insert(key, v);
                }
                None => {
                    plan.dropped.entry(sheet.to_string()).or_default().insert(col);
                }
            }
            continue;
        }
        if matches!(work.column(text), Some(ColumnFate::Drop)) && context.is_none() {
            // A header cell of a dropped column.
            plan.dropped.entry(sheet.to_string()).or_default().insert(col);
            continue;
        }
        let seg = Segment { loc: Loc::Cell { sheet, row, col }, text, context: context.as_deref() };
        if let Some(new) = work.rewrite(&seg) {
            plan.cells.insert(key, new);
        }
    }
    work.set_row_person(None);
    k_anonymise_sheets(work, &read.cells, &mut plan);
    Ok(plan)
}

/// Each sheet that is a table (a header row over its cells) made
/// k-anonymous over its quasi-identifier columns, as the policy says, on the
/// cells as the copy will hold them; the cells that change go into the plan
/// (an empty cell of a suppressed row too).
fn k_anonymise_sheets(work: &mut dyn Rewrite, cells: &[TableCell], plan: &mut Plan) {
    // Sheets in the order read: each column's header, each row's cells.
    type Table = (BTreeMap<u32, String>, BTreeMap<u32, BTreeMap<u32, String>>);
    let mut sheets: Vec<(String, Table)> = Vec::new();
    for TableCell { sheet, row, col, text, header } in cells {
        let Some(header) = header else { continue };
        if plan.dropped.get(sheet).is_some_and(|d| d.contains(col)) {
            continue;
        }
        if sheets.last().is_none_or(|(name, _)| name != sheet) {
            sheets.push((sheet.clone(), Table::default()));
        }
        let table = &mut sheets.last_mut().expect("pushed").1;
        table.0.entry(*col).or_insert_with(|| header.clone());
        let text = plan.cells.get(&(sheet.clone(), *row, *col)).unwrap_or(text);
        table.1.entry(*row).or_default().insert(*col, text.clone());
    }
    for (sheet, (headers, table)) in sheets {
        let cols: Vec<u32> = headers.keys().copied().collect();
        let header: Vec<String> = headers.into_values().collect();
        let row_numbers: Vec<u32> = table.keys().copied().collect();
        let before: Vec<Vec<String>> = table
            .into_values()
            .map(|row| cols.iter().map(|c| row.get(c).cloned().unwrap_or_default()).collect())
            .collect();
        let mut rows = before.clone();
        if !work.k_anonymise(Some(&sheet), &header, &mut rows) {
            continue;
        }
        for ((row, new), old) in row_numbers.iter().zip(rows).zip(before) {
            for ((col, new), old) in cols.iter().zip(new).zip(old) {
                if new != old {
                    plan.cells.insert((sheet.clone(), *row, *col), new);
                }
            }
        }
    }
}

/// The person of each row (by sheet and 0-based row) whose cells under a
/// first-name and a surname header name them, added to the file's people.
fn row_people(work: &mut dyn Rewrite, cells: &[TableCell]) -> BTreeMap<(String, u32), usize> {
    // (first name, surname) by (sheet, row).
    type NameParts<'s> = (Option<&'s str>, Option<&'s str>);
    let mut parts: BTreeMap<(String, u32), NameParts<'_>> = BTreeMap::new();
    for TableCell { sheet, row, text, header, .. } in cells {
        let Some(column) = header.as_deref().and_then(name_column) else { continue };
        let entry = parts.entry((sheet.to_string(), *row)).or_default();
        match column {
            NameColumn::First => entry.0 = entry.0.or(Some(text)),
            NameColumn::Surname => entry.1 = entry.1.or(Some(text)),
        }
    }
    parts
        .into_iter()
        .filter_map(|(key, parts)| match parts {
            (Some(f), Some(s)) => work.add_person(f, s).map(|i| (key, i)),
            _ => None,
        })
        .collect()
}

/// A replacement that is a whole number (a date of birth generalised to its
/// year) for a cell that held a number or a date: written as a number, so
/// the column still sorts and sums as numbers.
fn as_number(new: &str, old: &Data) -> Option<f64> {
    let numeric = matches!(old, Data::Int(_) | Data::Float(_) | Data::DateTime(_) | Data::DateTimeIso(_));
    if !numeric || new.is_empty() || new.len() > 15 || !new.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    new.parse().ok()
}

/// A spreadsheet's copy, as xlsx.
pub fn write(work: &mut dyn Rewrite, data: &[u8], kind: Kind) -> Result<Vec<u8>, String> {
    let plan = plan(work, data, kind)?;
    let limits = work.limits().clone();
    let mut copy = Copy {
        plan,
        book: Workbook::new(),
        sheet: None,
        notes: Vec::new(),
        failed: None,
        written: BTreeSet::new(),
        date: Format::new().set_num_format("yyyy-mm-dd"),
        datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
        duration: Format::new().set_num_format("[h]:mm:ss"),
    };
    formats::sheet::read_cells(data, kind, &limits, &mut copy).map_err(|e| e.to_string())?;
    if let Some(e) = copy.failed {
        return Err(e);
    }
    for note in copy.notes {
        work.note(note);
    }
    copy.book.save_to_buffer().map_err(|e| e.to_string())
}

/// Where a column lands in the copy, once the dropped columns to its left are gone.
fn out_col(dropped: Option<&BTreeSet<u32>>, col: u32) -> Option<u16> {
    u16::try_from(col - dropped.map_or(0, |d| d.range(..col).count() as u32)).ok()
}

/// The copy being written, cell by cell as the workbook is read again (for
/// the cells' types: numbers stay numbers, dates dates).
struct Copy {
    plan: Plan,
    book: Workbook,
    /// The sheet being written: its name and the worksheet.
    sheet: Option<(String, Worksheet)>,
    /// Cells that could not be written, for the summary.
    notes: Vec<String>,
    /// A sheet name the copy cannot take.
    failed: Option<String>,
    /// The cells of the sheet written so far (row, column).
    written: BTreeSet<(u32, u32)>,
    date: Format,
    datetime: Format,
    duration: Format,
}

impl formats::sheet::Cells for Copy {
    fn sheet(&mut self, name: &str) {
        let mut sheet = Worksheet::new();
        if let Err(e) = sheet.set_name(name) {
            self.failed.get_or_insert_with(|| format!("sheet {name}: {e}"));
        }
        self.sheet = Some((name.to_string(), sheet));
    }

    fn cell(&mut self, row: u32, col: u32, value: &Data) {
        let Some((name, sheet)) = self.sheet.as_mut() else { return };
        let dropped = self.plan.dropped.get(name.as_str());
        if dropped.is_some_and(|d| d.contains(&col)) {
            return;
        }
        let Some(out_col) = out_col(dropped, col) else { return };
        self.written.insert((row, col));
        let result = match self.plan.cells.get(&(name.clone(), row, col)) {
            Some(text) => match as_number(text, value) {
                Some(n) => sheet.write_number(row, out_col, n).map(|_| ()),
                None => sheet.write_string(row, out_col, text).map(|_| ()),
            },
            None => match value {
                Data::Int(i) => sheet.write_number(row, out_col, *i as f64).map(|_| ()),
                Data::Float(f) => sheet.write_number(row, out_col, *f).map(|_| ()),
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
                    sheet.write_string(row, out_col, s).map(|_| ())
                }
                Data::Bool(b) => sheet.write_boolean(row, out_col, *b).map(|_| ()),
                Data::DateTime(dt) => {
                    let serial = dt.as_f64();
                    let format = if dt.is_duration() {
                        &self.duration
                    } else if serial.fract() != 0.0 {
                        &self.datetime
                    } else {
                        &self.date
                    };
                    sheet.write_number_with_format(row, out_col, serial, format).map(|_| ())
                }
                Data::Error(_) | Data::Empty => Ok(()),
            },
        };
        if let Err(e) = result {
            self.notes.push(format!("{name} row {} column {}: cell left empty ({e})", row + 1, col + 1));
        }
    }

    fn end_sheet(&mut self) {
        if let Some((name, mut sheet)) = self.sheet.take() {
            // Cells that were empty and are written now (`*` in a suppressed row).
            let dropped = self.plan.dropped.get(name.as_str());
            let sheet_cells = self.plan.cells.range((name.clone(), 0, 0)..=(name.clone(), u32::MAX, u32::MAX));
            for ((_, row, col), text) in sheet_cells {
                if self.written.contains(&(*row, *col)) || dropped.is_some_and(|d| d.contains(col)) {
                    continue;
                }
                if let Some(out_col) = out_col(dropped, *col)
                    && let Err(e) = sheet.write_string(*row, out_col, text)
                {
                    self.notes.push(format!("{name} row {} column {}: cell left empty ({e})", row + 1, col + 1));
                }
            }
            self.written.clear();
            self.book.push_worksheet(sheet);
        }
    }
}
