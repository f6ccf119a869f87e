//! Spreadsheets via calamine: xlsx, xlsm, xls, ods.
//!
//! Every non-empty cell of every sheet (hidden sheets included) becomes one
//! segment located `Sheet1!C7`: the sheet name, `!`, and the cell's A1-style
//! reference. A sheet's first non-empty row is its header row when most of its
//! cells are text, except that a lone title cell above a row of several text
//! cells gives way to that row; cells below the header row carry their
//! column's header as context.
//! Values are rendered as a person sees them: integral numbers without `.0`,
//! dates as `YYYY-MM-DD` (with ` HH:MM` when there is a time), booleans as
//! `TRUE`/`FALSE`. Formulas yield their cached values only. Error cells are
//! skipped. Cell comments/notes are read for ODS only (`Sheet!B3 comment`).
//!
//! xlsx, xlsb and ods sheets are streamed cell by cell (ods by our own reader
//! of `content.xml`, [`ods`]), so a stray cell far from the rest cannot make a
//! huge dense grid; xls goes through calamine's ranges, bounded by the sheet
//! size the file declares. The same typed cells ([`Cells`]) feed the
//! extractor and the anonymised copy's writer.

pub mod anonymise;
mod ods;

use std::collections::BTreeMap;
use std::fmt::{self, Display};
use std::io::{Cursor, Read, Seek};
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Data, OdsError, Reader, SheetType, Xls, XlsError, Xlsb, Xlsx, XlsxError};

use super::{Emit, ExtractError, Input, Kind, Limits, Loc, Result, Segment, push_cell_ref};

/// Emit every non-empty cell of a workbook of the given kind (xlsx, xls, ods).
pub fn extract(input: &Input<'_>, kind: Kind, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    let data = input.bytes(limits.max_in_memory)?;
    read_cells(&data, kind, limits, &mut SheetOut::new(&mut *emit))?;
    if kind == Kind::Xlsx {
        // Who created and last saved the workbook.
        super::docx::emit_package_metadata(&data, "xlsx", limits, emit);
    }
    if matches!(kind, Kind::Xlsx | Kind::Ods)
        && let Ok(mut pkg) = super::docx::package::Package::open(&data, kind.name(), limits)
    {
        // Pictures placed on the sheets (a scanned form pasted in), read with OCR.
        super::image::emit_package_pictures(&mut pkg, emit, limits);
    }
    Ok(())
}

/// The typed cells of a workbook as they are read, sheet by sheet and, within
/// a sheet, in row order: what the extractor and the copy writer both take.
pub(crate) trait Cells {
    /// A sheet starts: a worksheet, macro or dialog sheet (hidden ones too;
    /// chart sheets and VBA modules hold no cells and are not given).
    fn sheet(&mut self, name: &str);
    /// A non-empty cell of the sheet, at its 0-based row and column.
    fn cell(&mut self, row: u32, col: u32, value: &Data);
    /// A comment on a cell (read for ODS).
    fn comment(&mut self, _row: u32, _col: u32, _text: &str, _author: &str) {}
    /// The sheet has no more cells (also after a sheet that failed part-way).
    fn end_sheet(&mut self);
    /// Something the reader could not do that the user should hear of.
    fn warn(&mut self, _message: String) {}
}

/// Read every sheet of a workbook of the given kind into `cells`. A sheet that
/// fails stops only itself: the first failure is returned after the others
/// are read.
pub(crate) fn read_cells(data: &[u8], kind: Kind, limits: &Limits, cells: &mut dyn Cells) -> Result<()> {
    let label = kind.name();
    // calamine parses untrusted binary formats; a bug there must fail this
    // file, not the whole sweep.
    catch_unwind(AssertUnwindSafe(|| read_book(data, kind, limits, cells)))
        .unwrap_or_else(|_| Err(ExtractError::corrupt(label, "the spreadsheet reader failed on this file")))
}

/// Open the workbook with the reader for its kind and read every sheet.
fn read_book(data: &[u8], kind: Kind, limits: &Limits, cells: &mut dyn Cells) -> Result<()> {
    let cursor = Cursor::new(data);
    match kind {
        // Excel's binary workbook: zipped like xlsx, its parts binary records.
        Kind::Xlsx if is_xlsb(data) => {
            let mut book: Xlsb<_> = Xlsb::new(cursor).map_err(|e| read_error("xlsb", e))?;
            read_xlsb(&mut book, cells)
        }
        Kind::Xlsx => match Xlsx::new(cursor) {
            Ok(mut book) => read_xlsx(&mut book, cells),
            // A sheet type calamine does not know: Excel 4 macro sheets,
            // whose cells are laid out as a worksheet's.
            Err(XlsxError::Unrecognized { typ: "sheet:type", .. }) => {
                let Some(patched) = macro_sheets_as_worksheets(data) else {
                    return Err(ExtractError::corrupt("xlsx", "a sheet of a type that cannot be read"));
                };
                let mut book: Xlsx<_> = Xlsx::new(Cursor::new(&patched[..])).map_err(|e| read_error("xlsx", e))?;
                cells.warn("Excel 4 macro sheet(s) read as worksheets".into());
                read_xlsx(&mut book, cells)
            }
            Err(e) => Err(read_error("xlsx", e)),
        },
        Kind::Xls => {
            check_compound_file(data)?;
            let mut book: Xls<_> = Xls::new(cursor).map_err(|e| read_error("xls", e))?;
            read_ranges(&mut book, "xls", cells)
        }
        Kind::Ods => ods::read(data, limits, cells),
        other => Err(ExtractError::Skipped(format!("not a spreadsheet ({})", other.name()))),
    }
}

/// A copy of an xlsx whose workbook relationships name its Excel 4 macro
/// sheets (`xlMacrosheet`, `xlIntlMacrosheet`) as worksheets, the other
/// members copied as they are; `None` if it has none or cannot be copied.
fn macro_sheets_as_worksheets(data: &[u8]) -> Option<Vec<u8>> {
    const RELS: &str = "xl/_rels/workbook.xml.rels";
    let mut zip = zip::ZipArchive::new(Cursor::new(data)).ok()?;
    let mut rels = String::new();
    zip.by_name(RELS).ok()?.take(16 << 20).read_to_string(&mut rels).ok()?;
    let patched = rels.replace("/xlMacrosheet\"", "/worksheet\"").replace("/xlIntlMacrosheet\"", "/worksheet\"");
    if patched == rels {
        return None;
    }
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(data.len())));
    for i in 0..zip.len() {
        let file = zip.by_index_raw(i).ok()?;
        if file.name().ok()?.as_ref() == RELS {
            drop(file);
            out.start_file(RELS, zip::write::SimpleFileOptions::default()).ok()?;
            std::io::Write::write_all(&mut out, patched.as_bytes()).ok()?;
        } else {
            out.raw_copy_file(file).ok()?;
        }
    }
    Some(out.finish().ok()?.into_inner())
}

/// Check an .xls container with the `cfb` crate before calamine reads it:
/// calamine's own compound-file reader follows a looping sector chain
/// forever, growing memory without bound (found by fuzzing), while `cfb`
/// validates the allocation table and each chain it reads. The workbook
/// stream is read through once so its chain is checked too.
fn check_compound_file(data: &[u8]) -> Result<()> {
    let mut file = cfb::CompoundFile::open(Cursor::new(data)).map_err(|e| ExtractError::corrupt("xls", e))?;
    for name in ["/Workbook", "/Book"] {
        if let Ok(stream) = file.open_stream(name) {
            let mut workbook = Vec::new();
            stream.take(data.len() as u64).read_to_end(&mut workbook).map_err(|e| ExtractError::corrupt("xls", e))?;
            check_dimensions(&workbook)?;
        }
    }
    Ok(())
}

/// Most cells a sheet may declare: calamine reserves memory for every cell
/// a DIMENSIONS record declares (a 6 KB file asked for 500 GB and aborted
/// the process), and lays each sheet out densely.
const MAX_DECLARED_CELLS: u64 = 4 << 20;

/// Refuse a workbook stream whose DIMENSIONS records declare a sheet larger
/// than [`MAX_DECLARED_CELLS`] (BIFF records: type u16, length u16, data).
fn check_dimensions(stream: &[u8]) -> Result<()> {
    let u16_at = |b: &[u8], i: usize| u64::from(u16::from_le_bytes([b[i], b[i + 1]]));
    let u32_at = |b: &[u8], i: usize| u64::from(u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]));
    let mut at = 0;
    while at + 4 <= stream.len() {
        let (typ, len) = (u16_at(stream, at), u16_at(stream, at + 2) as usize);
        let body = &stream[at + 4..(at + 4 + len).min(stream.len())];
        at += 4 + len;
        if typ == 0x002F {
            // FILEPASS: the records after it are encrypted (their bodies,
            // DIMENSIONS too, are noise), so this is a password-protected book.
            return Err(ExtractError::Encrypted);
        }
        if typ != 0x0200 {
            continue;
        }
        let (rows, cols) = match body.len() {
            10 => (u16_at(body, 2).saturating_sub(u16_at(body, 0)), u16_at(body, 6).saturating_sub(u16_at(body, 4))),
            14 | 16 => {
                (u32_at(body, 4).saturating_sub(u32_at(body, 0)), u16_at(body, 10).saturating_sub(u16_at(body, 8)))
            }
            _ => continue,
        };
        let cells = (rows + 1).saturating_mul(cols.min(0xFF) + 1);
        if cells > MAX_DECLARED_CELLS {
            return Err(ExtractError::Limit(format!(
                "a sheet declares {cells} cells (more than {MAX_DECLARED_CELLS}): damaged, or too large to read"
            )));
        }
    }
    Ok(())
}

/// Map a calamine error: password protection becomes `Encrypted`, anything
/// else means the file is damaged (the bytes are already in memory, so even
/// calamine's I/O errors are about the content).
fn read_error<E>(kind: &'static str, e: E) -> ExtractError
where
    E: Display,
    calamine::Error: From<E>,
{
    let detail = e.to_string();
    let lower = detail.to_lowercase();
    let password = matches!(
        calamine::Error::from(e),
        calamine::Error::Xlsx(XlsxError::Password)
            | calamine::Error::Xls(XlsError::Password)
            | calamine::Error::Ods(OdsError::Password)
    );
    if password || lower.contains("password") || lower.contains("encrypt") {
        ExtractError::Encrypted
    } else {
        ExtractError::corrupt(kind, detail)
    }
}

/// The sheets worth reading: worksheets, macro and dialog sheets (which hold
/// cells), visible or not. Chart sheets and VBA modules hold no cells.
fn cell_sheets<RS: Read + Seek, R: Reader<RS>>(book: &R) -> Vec<String> {
    book.sheets_metadata()
        .iter()
        .filter(|s| !matches!(s.typ, SheetType::ChartSheet | SheetType::Vba))
        .map(|s| s.name.clone())
        .collect()
}

/// xlsx: stream each sheet's cells in file order.
fn read_xlsx<RS: Read + Seek>(book: &mut Xlsx<RS>, cells: &mut dyn Cells) -> Result<()> {
    let names = cell_sheets(book);
    stream_sheets("xlsx", names, cells, |name, out| -> std::result::Result<(), XlsxError> {
        let mut cells = book.worksheet_cells_reader(name)?;
        while let Some(cell) = cells.next_cell()? {
            let (row, col) = cell.get_position();
            out.cell(row, col, &Data::from(cell.get_value().clone()));
        }
        Ok(())
    })
}

/// Is this zip an .xlsb (a binary workbook part)?
fn is_xlsb(data: &[u8]) -> bool {
    zip::ZipArchive::new(Cursor::new(data)).is_ok_and(|zip| zip.index_for_name("xl/workbook.bin").is_some())
}

/// xlsb: stream each sheet's cells in file order, as for xlsx.
fn read_xlsb<RS: Read + Seek>(book: &mut Xlsb<RS>, cells: &mut dyn Cells) -> Result<()> {
    let names = cell_sheets(book);
    stream_sheets("xlsb", names, cells, |name, out| -> std::result::Result<(), calamine::XlsbError> {
        let mut cells = book.worksheet_cells_reader(name)?;
        while let Some(cell) = cells.next_cell()? {
            let (row, col) = cell.get_position();
            out.cell(row, col, &Data::from(cell.get_value().clone()));
        }
        Ok(())
    })
}

/// Read each of `names` with `read_sheet`, which streams one sheet's cells
/// into `cells`; a sheet that fails stops only itself, and the first failure
/// is returned after the others are read.
fn stream_sheets<E>(
    kind: &'static str,
    names: Vec<String>,
    cells: &mut dyn Cells,
    mut read_sheet: impl FnMut(&str, &mut dyn Cells) -> std::result::Result<(), E>,
) -> Result<()>
where
    E: Display,
    calamine::Error: From<E>,
{
    let mut first_error = None;
    for name in names {
        cells.sheet(&name);
        let result = read_sheet(&name, &mut *cells);
        cells.end_sheet();
        if let Err(e) = result {
            first_error.get_or_insert_with(|| sheet_error(kind, &name, e));
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// xls: read each sheet as a calamine range (bounded by the declared size
/// checked in [`check_compound_file`]).
fn read_ranges<RS, R>(book: &mut R, kind: &'static str, cells: &mut dyn Cells) -> Result<()>
where
    RS: Read + Seek,
    R: Reader<RS>,
    R::Error: Display,
    calamine::Error: From<R::Error>,
{
    let names = cell_sheets(book);
    stream_sheets(kind, names, cells, |name, out| -> std::result::Result<(), R::Error> {
        let range = book.worksheet_range(name)?;
        let (row0, col0) = range.start().unwrap_or((0, 0));
        for (r, c, value) in range.used_cells() {
            // Offsets within a range always fit the sheet's u32 coordinates.
            let row = row0.saturating_add(u32::try_from(r).unwrap_or(u32::MAX));
            let col = col0.saturating_add(u32::try_from(c).unwrap_or(u32::MAX));
            out.cell(row, col, value);
        }
        Ok(())
    })
}

/// A sheet that failed part-way: the other sheets are still read, and the file
/// is reported as not fully read.
fn sheet_error<E>(kind: &'static str, sheet: &str, e: E) -> ExtractError
where
    E: Display,
    calamine::Error: From<E>,
{
    match read_error(kind, e) {
        ExtractError::Corrupt { kind, detail } => ExtractError::corrupt(kind, format!("sheet {sheet}: {detail}")),
        other => other,
    }
}

/// One sheet's cells on their way to the emitter, in row order. Holds back the
/// first non-empty row (and the next one, when the first is a lone title cell)
/// until complete, to find the header row, then passes each later cell its
/// column's header as context.
struct SheetOut<'a> {
    emit: &'a mut dyn Emit,
    /// The sheet being read.
    sheet: String,
    /// Rows held back while the header row is undecided: row index and cells.
    pending: Vec<(u32, Vec<HeldCell>)>,
    /// Whether the header row has been decided (and `pending` emptied).
    decided: bool,
    /// The header row's index, if the sheet has one.
    header_row: Option<u32>,
    /// Header text by column.
    headers: BTreeMap<u32, String>,
}

/// A cell held back while the header row is undecided.
struct HeldCell {
    col: u32,
    text: String,
    /// Text rather than a number or date: counts towards being a header.
    is_text: bool,
}

impl<'a> SheetOut<'a> {
    fn new(emit: &'a mut dyn Emit) -> Self {
        SheetOut {
            emit,
            sheet: String::new(),
            pending: Vec::new(),
            decided: false,
            header_row: None,
            headers: BTreeMap::new(),
        }
    }
}

impl Cells for SheetOut<'_> {
    fn sheet(&mut self, name: &str) {
        self.sheet = name.to_string();
        self.pending.clear();
        (self.decided, self.header_row) = (false, None);
        self.headers.clear();
    }

    /// Take one cell (0-based row and column); empty and error cells are dropped.
    fn cell(&mut self, row: u32, col: u32, value: &Data) {
        let Some(text) = render(value) else { return };
        if !self.decided {
            let held = HeldCell { col, text, is_text: is_text(value) };
            let held_rows = self.pending.len();
            match self.pending.last_mut() {
                Some((last, cells)) if *last == row => return cells.push(held),
                // A lone cell above the table may be a title: hold the next row too.
                Some((_, cells)) if held_rows == 1 && cells.len() == 1 => {
                    return self.pending.push((row, vec![held]));
                }
                None => return self.pending.push((row, vec![held])),
                Some(_) => {
                    self.decide_header();
                    return self.cell_text(row, col, held.text);
                }
            }
        }
        self.cell_text(row, col, text);
    }

    /// Emit anything still held back once the sheet has no more cells.
    fn end_sheet(&mut self) {
        if !self.decided {
            self.decide_header();
        }
    }

    /// A cell's comment located `Sheet!B3 comment`, its author `Sheet!B3
    /// comment author` (context `Author`).
    fn comment(&mut self, row: u32, col: u32, text: &str, author: &str) {
        let mut location = format!("{}!", self.sheet);
        push_cell_ref(&mut location, row, col);
        location.push_str(" comment");
        if !text.trim().is_empty() {
            self.emit.segment(Segment::fixed(&location, text.trim(), None));
        }
        if !author.trim().is_empty() {
            location.push_str(" author");
            self.emit.segment(Segment::fixed(&location, author.trim(), Some("Author")));
        }
    }

    fn warn(&mut self, message: String) {
        self.emit.warn(message);
    }
}

impl SheetOut<'_> {
    /// Emit a cell once the header row is known.
    fn cell_text(&mut self, row: u32, col: u32, text: String) {
        let context = match self.header_row {
            Some(header_row) if row > header_row => self.headers.get(&col).cloned(),
            _ => None,
        };
        self.write(row, col, &text, context.as_deref());
    }

    /// Pick the header row among the held rows: the second when the first is
    /// a lone title cell and the second is a row of several text cells, else
    /// the first when most of its cells are text. Then emit the held rows.
    fn decide_header(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let mostly_text = |cells: &[HeldCell]| cells.iter().filter(|c| c.is_text).count() * 2 > cells.len();
        let header = match pending.as_slice() {
            [_, (_, second), ..] if second.len() > 1 && mostly_text(second) => Some(1),
            [(_, first), ..] if mostly_text(first) => Some(0),
            _ => None,
        };
        if let Some((row, cells)) = header.and_then(|i| pending.get(i)) {
            self.header_row = Some(*row);
            let labels = cells.iter().map(|c| (c.col, c.text.trim())).filter(|(_, t)| !t.is_empty());
            self.headers = labels.map(|(col, t)| (col, t.to_string())).collect();
        }
        self.decided = true;
        for (row, cells) in pending {
            for c in cells {
                self.cell_text(row, c.col, c.text);
            }
        }
    }

    fn write(&mut self, row: u32, col: u32, text: &str, context: Option<&str>) {
        let loc = Loc::Cell { sheet: &self.sheet, row, col };
        self.emit.segment(Segment { loc, text, context });
    }
}

/// Append the A1-style reference of a 0-based (row, column): (6, 2) → `C7`.
/// One spreadsheet cell as read, with its typed place.
#[derive(Debug, Clone)]
pub struct TableCell {
    pub sheet: String,
    /// Row and column, from 0.
    pub row: u32,
    pub col: u32,
    pub text: String,
    /// The column's header, when the sheet has a header row.
    pub header: Option<String>,
}

/// An [`Emit`] keeping the cells of a workbook (not its comments), for the
/// writers that take rows apart (the xlsx copy, the bundle's rows), so that
/// no one reads cell references back out of location text.
#[derive(Debug, Default)]
pub struct TableCells {
    pub cells: Vec<TableCell>,
}

impl Emit for TableCells {
    fn segment(&mut self, seg: Segment<'_>) {
        if let Loc::Cell { sheet, row, col } = seg.loc {
            let header = seg.context.map(str::to_string);
            self.cells.push(TableCell { sheet: sheet.to_string(), row, col, text: seg.text.to_string(), header });
        }
    }
    fn part(&mut self, _name: &str, _data: &[u8]) {}
    fn warn(&mut self, _message: String) {}
}

/// Whether a cell counts as header-like text: a string with a letter in it
/// (not a number or date typed as text).
fn is_text(value: &Data) -> bool {
    matches!(value, Data::String(s) if s.chars().any(char::is_alphabetic))
}

/// A cell's value as a person sees it; `None` for empty, blank and error cells.
fn render(value: &Data) -> Option<String> {
    match value {
        Data::Empty | Data::Error(_) => None,
        Data::String(s) if s.trim().is_empty() => None,
        Data::String(s) => Some(s.clone()),
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) => Some(render_float(*f)),
        Data::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_string()),
        Data::DateTime(dt) if dt.is_duration() => Some(render_duration(dt.as_f64())),
        Data::DateTime(dt) => {
            let (y, mo, d, h, mi, _, _) = dt.to_ymd_hms_milli();
            Some(render_date(DateParts { date: (dt.as_f64() >= 1.0).then_some((y, mo, d)), time: (h, mi) }))
        }
        Data::DateTimeIso(s) => Some(render_iso_datetime(s)),
        Data::DurationIso(s) => Some(render_iso_duration(s)),
    }
}

/// Integral values print as integers (`7700900123`, not `7700900123.0`).
fn render_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { format!("{f}") }
}

/// A date and/or time of day; a time-only value has no date.
struct DateParts {
    date: Option<(u16, u8, u8)>,
    time: (u8, u8),
}

/// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` when there is a time, `HH:MM` for a time alone.
fn render_date(parts: DateParts) -> String {
    struct Hm(u8, u8);
    impl Display for Hm {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{:02}:{:02}", self.0, self.1)
        }
    }
    let (h, m) = parts.time;
    match parts.date {
        Some((y, mo, d)) if (h, m) == (0, 0) => format!("{y:04}-{mo:02}-{d:02}"),
        Some((y, mo, d)) => format!("{y:04}-{mo:02}-{d:02} {}", Hm(h, m)),
        None => Hm(h, m).to_string(),
    }
}

/// A duration in days (Excel `[h]:mm` cells) as `H:MM`.
fn render_duration(days: f64) -> String {
    let minutes = (days * 24.0 * 60.0).round() as i64;
    let sign = if minutes < 0 { "-" } else { "" };
    let minutes = minutes.abs();
    format!("{sign}{}:{:02}", minutes / 60, minutes % 60)
}

/// An ODS date value (`1985-03-12`, `2024-01-05T14:30:00`) in the common
/// form; anything unexpected is shown as stored.
fn render_iso_datetime(s: &str) -> String {
    let (date, time) = s.split_once('T').unwrap_or((s, ""));
    let ymd: Vec<&str> = date.split('-').collect();
    let parsed = match ymd.as_slice() {
        [y, mo, d] => y.parse::<u16>().ok().zip(mo.parse::<u8>().ok()).zip(d.parse::<u8>().ok()),
        _ => None,
    };
    let Some(((y, mo), d)) = parsed else {
        return s.to_string();
    };
    let mut hm = time.split(':').map(|p| p.parse::<u8>().ok());
    let time = match (hm.next().flatten(), hm.next().flatten()) {
        (Some(h), Some(m)) => (h, m),
        _ => (0, 0),
    };
    render_date(DateParts { date: Some((y, mo, d)), time })
}

/// An ODS time value (`PT14H30M00S`) as `HH:MM`; anything unexpected as stored.
fn render_iso_duration(s: &str) -> String {
    let Some(rest) = s.strip_prefix("PT") else {
        return s.to_string();
    };
    let hours = rest.split_once('H');
    let minutes = hours.and_then(|(_, r)| r.split_once('M'));
    match (hours, minutes) {
        (Some((h, _)), Some((m, _))) => match (h.parse::<u8>(), m.parse::<u8>()) {
            (Ok(h), Ok(m)) => render_date(DateParts { date: None, time: (h, m) }),
            _ => s.to_string(),
        },
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Collect;
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
    use std::io::Write;

    type Cells = Vec<(String, String, Option<String>)>;

    fn cell(loc: &str, text: &str, context: Option<&str>) -> (String, String, Option<String>) {
        (loc.to_string(), text.to_string(), context.map(str::to_string))
    }

    fn run(data: &[u8], kind: Kind) -> Result<Collect> {
        let mut c = Collect::default();
        extract(&Input::Bytes(data), kind, &mut c, &Limits::default()).map(|()| c)
    }

    /// Sorted so that formats that list cells in different orders compare equal.
    fn sorted(mut cells: Cells) -> Cells {
        cells.sort();
        cells
    }

    /// Two sheets: "Clients" with a header row at B3 (not A1) and a stray
    /// cell at D12; "Old staff", hidden, whose first row is mostly numbers.
    fn xlsx_bytes() -> Vec<u8> {
        let mut book = Workbook::new();
        let date = Format::new().set_num_format("dd/mm/yyyy");
        let datetime = Format::new().set_num_format("dd/mm/yyyy hh:mm");
        let s = book.add_worksheet();
        s.set_name("Clients").unwrap();
        for (i, h) in ["First name", "Surname", "DOB", "Phone", "Notes"].iter().enumerate() {
            s.write_string(2, 1 + i as u16, *h).unwrap();
        }
        s.write_string(3, 1, "Jane").unwrap();
        s.write_string(3, 2, "Roberts").unwrap();
        s.write_datetime_with_format(3, 3, ExcelDateTime::from_ymd(1985, 3, 12).unwrap(), &date).unwrap();
        s.write_number(3, 4, 7700900123.0).unwrap();
        s.write_formula(3, 5, Formula::new("=\"Called \"&B4").set_result("Called Jane")).unwrap();
        s.write_string(4, 1, "Priya").unwrap();
        s.write_string(4, 2, "Patel").unwrap();
        let when = ExcelDateTime::from_ymd(2024, 1, 5).unwrap().and_hms(14, 30, 0).unwrap();
        s.write_datetime_with_format(4, 3, when, &datetime).unwrap();
        s.write_number(4, 4, 3.25).unwrap();
        s.write_boolean(4, 5, true).unwrap();
        s.write_string(5, 5, "   ").unwrap();
        s.write_string(11, 3, "QQ 12 34 56 C").unwrap();
        let old = book.add_worksheet();
        old.set_name("Old staff").unwrap();
        old.write_number(0, 0, 12.0).unwrap();
        old.write_string(0, 1, "Mark Smith").unwrap();
        old.write_number(0, 2, 45.0).unwrap();
        old.write_string(1, 0, "John").unwrap();
        old.set_hidden(true);
        book.save_to_buffer().unwrap()
    }

    /// What the xlsx and xls fixtures share: header cells without context,
    /// data cells with their column header, the hidden sheet without headers.
    fn expected_common() -> Cells {
        vec![
            cell("Members!B3", "First name", None),
            cell("Members!C3", "Surname", None),
            cell("Members!D3", "DOB", None),
            cell("Members!E3", "Phone", None),
            cell("Members!F3", "Notes", None),
            cell("Members!B4", "Jane", Some("First name")),
            cell("Members!C4", "Roberts", Some("Surname")),
            cell("Members!D4", "1985-03-12", Some("DOB")),
            cell("Members!E4", "7700900123", Some("Phone")),
            cell("Members!B5", "Priya", Some("First name")),
            cell("Members!C5", "Patel", Some("Surname")),
            cell("Members!D5", "2024-01-05 14:30", Some("DOB")),
            cell("Members!E5", "3.25", Some("Phone")),
            cell("Members!F5", "TRUE", Some("Notes")),
            cell("Members!D12", "QQ 12 34 56 C", Some("DOB")),
            cell("Old staff!A1", "12", None),
            cell("Old staff!B1", "Mark Smith", None),
            cell("Old staff!C1", "45", None),
            cell("Old staff!A2", "John", None),
        ]
    }

    fn renamed(cells: Cells, from: &str, to: &str) -> Cells {
        let prefix = format!("{from}!");
        cells
            .into_iter()
            .map(|(l, t, c)| match l.strip_prefix(&prefix) {
                Some(rest) => (format!("{to}!{rest}"), t, c),
                None => (l, t, c),
            })
            .collect()
    }

    #[test]
    fn xlsx_cells_locations_and_headers() {
        let c = run(&xlsx_bytes(), Kind::Xlsx).unwrap();
        let mut expected = renamed(expected_common(), "Members", "Clients");
        expected.push(cell("Clients!F4", "Called Jane", Some("Notes")));
        assert_eq!(sorted(c.segments.clone()), sorted(expected));
        // Streamed in sheet then row order: the header row comes first.
        assert_eq!(c.segments[0], cell("Clients!B3", "First name", None));
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn xls_cells_locations_and_headers() {
        // Made by fixtures/formats/make_sheet_xls.py (xlwt); F6 is an error cell.
        let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/formats/people.xls")).unwrap();
        let c = run(&data, Kind::Xls).unwrap();
        let mut expected = expected_common();
        expected.push(cell("Members!F4", "Gift aid declared", Some("Notes")));
        assert_eq!(sorted(c.segments), sorted(expected));
    }

    const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;

    /// An ods written by hand: `mimetype` stored first, the manifest, content.xml.
    fn ods_bytes() -> Vec<u8> {
        let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.2">
<office:body><office:spreadsheet>
<table:table table:name="Referrals">
  <table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="4"/></table:table-row>
  <table:table-row>
    <table:table-cell/>
    <table:table-cell office:value-type="string"><text:p>Surname</text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p>Date of birth</text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p>Seen at</text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p>Mobile</text:p></table:table-cell>
  </table:table-row>
  <table:table-row>
    <table:table-cell/>
    <table:table-cell office:value-type="string"><text:p>O'Brien</text:p><office:annotation><dc:creator>Priya Patel</dc:creator><dc:date>2024-01-05T10:00:00</dc:date><text:p>Called Jane on</text:p><text:p>07700 900123 &amp; left a message</text:p></office:annotation></table:table-cell>
    <table:table-cell office:value-type="date" office:date-value="1990-07-04"><text:p>04/07/90</text:p></table:table-cell>
    <table:table-cell office:value-type="time" office:time-value="PT09H05M00S"><text:p>09:05</text:p></table:table-cell>
    <table:table-cell office:value-type="float" office:value="7700900123"><text:p>7700900123</text:p></table:table-cell>
  </table:table-row>
  <table:table-row>
    <table:table-cell/>
    <table:table-cell table:formula="of:=UPPER([.B4])" office:value-type="string" office:string-value="O'BRIEN"><text:p>O'BRIEN</text:p></table:table-cell>
    <table:table-cell office:value-type="date" office:date-value="2024-01-05T14:30:00"><text:p>05/01/24 14:30</text:p></table:table-cell>
    <table:table-cell office:value-type="boolean" office:boolean-value="false"><text:p>FALSE</text:p></table:table-cell>
    <table:table-cell office:value-type="float" office:value="0.5"><text:p>0.5</text:p></table:table-cell>
  </table:table-row>
  <table:table-row table:number-rows-repeated="6"><table:table-cell table:number-columns-repeated="4"/></table:table-row>
  <table:table-row>
    <table:table-cell table:number-columns-repeated="3"/>
    <table:table-cell office:value-type="string"><text:p>Line one</text:p><text:p>Line two</text:p></table:table-cell>
  </table:table-row>
</table:table>
<table:table table:name="Archive">
  <table:table-row>
    <table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>
    <table:table-cell office:value-type="string"><text:p>SW1A 1AA</text:p></table:table-cell>
  </table:table-row>
</table:table>
</office:spreadsheet></office:body></office:document-content>"#;
        // Written without indentation, as office suites do: calamine rejects
        // whitespace between a row's cells.
        ods_with(&content.lines().map(str::trim).collect::<String>())
    }

    /// An ods holding this content.xml.
    fn ods_with(content: &str) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
        zip.start_file("META-INF/manifest.xml", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(MANIFEST.as_bytes()).unwrap();
        zip.start_file("content.xml", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
        zip.finish().unwrap().into_inner()
    }

    /// The same content.xml, indented (pretty-printed) as writers other than
    /// LibreOffice (gsf-based ones such as Gnumeric's) lay it out.
    fn indented_ods_bytes() -> Vec<u8> {
        let plain = ods_bytes();
        let mut zip = zip::ZipArchive::new(Cursor::new(&plain[..])).unwrap();
        let mut xml = String::new();
        zip.by_name("content.xml").unwrap().read_to_string(&mut xml).unwrap();
        let indented = xml.replace("><", ">\n  <");
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for name in ["mimetype", "META-INF/manifest.xml"] {
            let mut body = Vec::new();
            zip.by_name(name).unwrap().read_to_end(&mut body).unwrap();
            out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(&body).unwrap();
        }
        out.start_file("content.xml", zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(indented.as_bytes()).unwrap();
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn ods_from_other_producers_indented_gives_the_same_cells() {
        let plain = run(&ods_bytes(), Kind::Ods).unwrap();
        let bytes = indented_ods_bytes();
        // calamine cannot read it (it takes the white space between a row's cells for content).
        let calamine: std::result::Result<calamine::Ods<_>, _> = calamine::Ods::new(Cursor::new(&bytes[..]));
        assert!(calamine.is_err());
        let indented = run(&bytes, Kind::Ods).unwrap();
        assert_eq!(indented.segments, plain.segments);
        assert!(!plain.segments.is_empty());
    }

    #[test]
    fn ods_cells_locations_and_headers() {
        let c = run(&ods_bytes(), Kind::Ods).unwrap();
        let expected = vec![
            cell("Referrals!B3", "Surname", None),
            cell("Referrals!C3", "Date of birth", None),
            cell("Referrals!D3", "Seen at", None),
            cell("Referrals!E3", "Mobile", None),
            cell("Referrals!B4", "O'Brien", Some("Surname")),
            cell("Referrals!C4", "1990-07-04", Some("Date of birth")),
            cell("Referrals!D4", "09:05", Some("Seen at")),
            cell("Referrals!E4", "7700900123", Some("Mobile")),
            // A cell's comment after its row: text and author.
            cell("Referrals!B4 comment", "Called Jane on\n07700 900123 & left a message", None),
            cell("Referrals!B4 comment author", "Priya Patel", Some("Author")),
            cell("Referrals!B5", "O'BRIEN", Some("Surname")),
            cell("Referrals!C5", "2024-01-05 14:30", Some("Date of birth")),
            cell("Referrals!D5", "FALSE", Some("Seen at")),
            cell("Referrals!E5", "0.5", Some("Mobile")),
            cell("Referrals!D12", "Line one\nLine two", Some("Seen at")),
            cell("Archive!A1", "1", None),
            cell("Archive!B1", "SW1A 1AA", None),
        ];
        assert_eq!(c.segments, expected);
    }

    /// A content.xml of one sheet "S" holding these rows.
    fn one_sheet(rows: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="S">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
        )
    }

    const NAME_ROW: &str = r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Name</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>NI number</text:p></table:table-cell></table:table-row>"#;

    #[test]
    fn ods_rows_repeated_to_the_sheet_end_are_read() {
        // As LibreOffice writes a formatted empty range: a row of 16,384
        // empty cells repeated to the sheet's last row (calamine: "Cell limit exceeded").
        let rows = format!(
            r#"{NAME_ROW}<table:table-row><table:table-cell office:value-type="string"><text:p>Jane Roberts</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>QQ 12 34 56 C</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>"#
        );
        let c = run(&ods_with(&one_sheet(&rows)), Kind::Ods).unwrap();
        assert_eq!(
            c.segments,
            vec![
                cell("S!A1", "Name", None),
                cell("S!B1", "NI number", None),
                cell("S!A2", "Jane Roberts", Some("Name")),
                cell("S!B2", "QQ 12 34 56 C", Some("NI number")),
            ]
        );
    }

    #[test]
    fn ods_cells_far_apart_are_read_at_their_places() {
        // A header at A1:B1 and a stray cell at XFD1048576 (the sheet's far corner).
        let rows = format!(
            r#"{NAME_ROW}<table:table-row table:number-rows-repeated="1048574"><table:table-cell/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="16383"/><table:table-cell office:value-type="float" office:value="7700900123"><text:p>07700 900123</text:p></table:table-cell></table:table-row>"#
        );
        let bytes = ods_with(&one_sheet(&rows));
        // calamine lays the sheet out densely: "Cell limit exceeded".
        assert!(calamine::Ods::new(Cursor::new(&bytes[..])).and_then(|mut b| b.worksheet_range("S")).is_err());
        let c = run(&bytes, Kind::Ods).unwrap();
        assert_eq!(c.segments.last(), Some(&cell("S!XFD1048576", "7700900123", None)));
        assert_eq!(c.segments.len(), 3);
    }

    #[test]
    fn ods_repeated_cells_and_rows_each_have_their_place() {
        // A value repeated over two columns, in a row repeated twice; a
        // self-closed cell with its value in an attribute; a cell stating
        // no type (read as the text it shows).
        let rows = format!(
            r#"{NAME_ROW}<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="2" office:value-type="string"><text:p>Smith</text:p></table:table-cell><table:table-cell office:value-type="date" office:date-value="1985-03-12"/><table:table-cell><text:p>Kent<text:s text:c="2"/>ME14<text:tab/>1XQ</text:p></table:table-cell></table:table-row>"#
        );
        let c = run(&ods_with(&one_sheet(&rows)), Kind::Ods).unwrap();
        let got: Vec<(String, String)> = c.segments.iter().skip(2).map(|(l, t, _)| (l.clone(), t.clone())).collect();
        let want: Vec<(String, String)> = ["A2 Smith", "B2 Smith", "C2 1985-03-12", "D2 Kent  ME14\t1XQ"]
            .iter()
            .chain(["A3 Smith", "B3 Smith", "C3 1985-03-12", "D3 Kent  ME14\t1XQ"].iter())
            .map(|s| {
                let (at, text) = s.split_once(' ').unwrap();
                (format!("S!{at}"), text.to_string())
            })
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn ods_repetition_past_the_cap_is_cut_and_said() {
        // 600 bytes standing for 2^32 cells holding a name.
        let rows = r#"<table:table-row table:number-rows-repeated="65536"><table:table-cell table:number-columns-repeated="65536" office:value-type="string"><text:p>Jane Roberts</text:p></table:table-cell></table:table-row>"#;
        let c = run(&ods_with(&one_sheet(rows)), Kind::Ods).unwrap();
        assert!(c.segments.len() <= (1 << 20) + 65536, "{} cells", c.segments.len());
        assert!(c.segments.len() >= 65536);
        assert!(c.warnings.iter().any(|w| w.contains("repeated")), "{:?}", c.warnings);
    }

    #[test]
    fn encrypted_ods_is_reported_as_encrypted() {
        let manifest = MANIFEST.replace(
            r#"manifest:media-type="text/xml"/>"#,
            r#"manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"/></manifest:file-entry>"#,
        );
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("META-INF/manifest.xml", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(manifest.as_bytes()).unwrap();
        zip.start_file("content.xml", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(b"\x9c\x01garbage").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        assert!(matches!(run(&bytes, Kind::Ods), Err(ExtractError::Encrypted)));
    }

    #[test]
    fn truncated_xlsx_is_an_error() {
        let data = xlsx_bytes();
        let err = run(&data[..data.len() / 2], Kind::Xlsx).unwrap_err();
        assert!(matches!(err, ExtractError::Corrupt { kind: "xlsx", .. }), "{err:?}");
    }

    /// Copy a zip, cutting the member `name` to half its length.
    fn with_half_member(data: &[u8], name: &str) -> Vec<u8> {
        let mut src = zip::ZipArchive::new(Cursor::new(data)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..src.len() {
            let mut member = src.by_index(i).unwrap();
            let member_name = member.name().unwrap().to_string();
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut member, &mut body).unwrap();
            if member_name == name {
                body.truncate(body.len() / 2);
            }
            out.start_file(member_name, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(&body).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn broken_sheet_fails_the_file_but_other_sheets_are_read() {
        let data = with_half_member(&xlsx_bytes(), "xl/worksheets/sheet1.xml");
        let mut c = Collect::default();
        let err = extract(&Input::Bytes(&data), Kind::Xlsx, &mut c, &Limits::default()).unwrap_err();
        assert!(
            matches!(&err, ExtractError::Corrupt { kind: "xlsx", detail } if detail.starts_with("sheet Clients:")),
            "{err:?}"
        );
        assert!(c.segments.contains(&cell("Old staff!B1", "Mark Smith", None)), "{:?}", c.segments);
    }

    #[test]
    fn garbage_is_an_error_for_every_kind() {
        for (data, kind, label) in [
            (&b"PK\x03\x04 not really a zip"[..], Kind::Xlsx, "xlsx"),
            (&b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 broken ole"[..], Kind::Xls, "xls"),
            (&b"PK\x03\x04"[..], Kind::Ods, "ods"),
        ] {
            let err = run(data, kind).unwrap_err();
            assert!(matches!(err, ExtractError::Corrupt { kind, .. } if kind == label), "{label}: {err:?}");
        }
        // A truncated ods and a truncated xls too.
        let ods = ods_bytes();
        assert!(matches!(run(&ods[..ods.len() / 2], Kind::Ods), Err(ExtractError::Corrupt { kind: "ods", .. })));
        let xls = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/formats/people.xls")).unwrap();
        assert!(matches!(run(&xls[..xls.len() / 2], Kind::Xls), Err(ExtractError::Corrupt { kind: "xls", .. })));
    }

    #[test]
    fn password_protected_xlsx_is_encrypted() {
        // Made by fixtures/formats/make_encrypted_xlsx.py (msoffcrypto-tool).
        let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/formats/encrypted.xlsx")).unwrap();
        assert!(matches!(run(&data, Kind::Xlsx), Err(ExtractError::Encrypted)));
        assert!(matches!(read_error("xls", XlsError::Password), ExtractError::Encrypted));
        assert!(matches!(read_error("ods", OdsError::Password), ExtractError::Encrypted));
    }

    #[test]
    fn too_large_is_skipped() {
        let data = xlsx_bytes();
        let limits = Limits { max_in_memory: 100, ..Limits::default() };
        let err = extract(&Input::Bytes(&data), Kind::Xlsx, &mut Collect::default(), &limits).unwrap_err();
        assert!(err.is_skip());
    }

    /// Feed cells (0-based row, column, value) through a sheet's header logic.
    fn sheet_cells(cells: &[(u32, u32, Data)]) -> Cells {
        use super::Cells as _;
        let mut c = Collect::default();
        let mut out = SheetOut::new(&mut c);
        out.sheet("S");
        for (row, col, value) in cells {
            out.cell(*row, *col, value);
        }
        out.end_sheet();
        c.segments
    }

    fn s(text: &str) -> Data {
        Data::String(text.to_string())
    }

    #[test]
    fn title_row_above_the_header_row() {
        let got = sheet_cells(&[
            (0, 0, s("Volunteers 2024")),
            (2, 0, s("Name")),
            (2, 1, s("DOB")),
            (3, 0, s("Jane Roberts")),
            (3, 1, Data::Float(31118.0)),
        ]);
        assert_eq!(
            got,
            vec![
                cell("S!A1", "Volunteers 2024", None),
                cell("S!A3", "Name", None),
                cell("S!B3", "DOB", None),
                cell("S!A4", "Jane Roberts", Some("Name")),
                cell("S!B4", "31118", Some("DOB")),
            ]
        );
    }

    #[test]
    fn single_column_list_keeps_its_header() {
        let got = sheet_cells(&[(0, 0, s("Surname")), (1, 0, s("Roberts")), (2, 0, s("Patel"))]);
        assert_eq!(
            got,
            vec![
                cell("S!A1", "Surname", None),
                cell("S!A2", "Roberts", Some("Surname")),
                cell("S!A3", "Patel", Some("Surname")),
            ]
        );
    }

    #[test]
    fn data_first_row_is_not_a_header() {
        // Two of three cells are a number and a date typed as text.
        let got = sheet_cells(&[(0, 0, s("Jane")), (0, 1, s("12/03/1985")), (0, 2, Data::Int(7)), (1, 0, s("Priya"))]);
        assert!(got.iter().all(|c| c.2.is_none()), "{got:?}");
        assert_eq!(got.len(), 4);
    }

    /// An xlsx with an Excel 4 macro sheet beside its worksheet, as Excel
    /// saves one: both sheets' cells are read.
    #[test]
    fn workbook_with_an_excel4_macro_sheet_is_read() {
        let mut wb = Workbook::new();
        wb.add_worksheet().set_name("People").unwrap().write_string(0, 0, "Jane Roberts").unwrap();
        let plain = wb.save_to_buffer().unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(&plain[..])).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            if name == "xl/workbook.xml" {
                text = text.replace("</sheets>", r#"<sheet name="Macro1" sheetId="9" r:id="rId99"/></sheets>"#);
            } else if name == "xl/_rels/workbook.xml.rels" {
                text = text.replace("</Relationships>", r#"<Relationship Id="rId99" Type="http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet" Target="macrosheets/sheet1.xml"/></Relationships>"#);
            }
            out.start_file(name, opts).unwrap();
            out.write_all(text.as_bytes()).unwrap();
        }
        out.start_file("xl/macrosheets/sheet1.xml", opts).unwrap();
        out.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><xm:macrosheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>priya.patel@gmail.com</t></is></c></row></sheetData></xm:macrosheet>"#).unwrap();
        let data = out.finish().unwrap().into_inner();
        let c = run(&data, Kind::Xlsx).unwrap();
        let cells: Vec<_> = c.segments.iter().map(|s| (s.0.as_str(), s.1.as_str())).collect();
        assert!(cells.contains(&("People!A1", "Jane Roberts")), "{cells:?}");
        assert!(cells.contains(&("Macro1!A1", "priya.patel@gmail.com")), "{cells:?}");
        assert_eq!(c.warnings, ["Excel 4 macro sheet(s) read as worksheets"]);
    }

    /// A minimal .xlsb as Excel lays one out: binary records (type and
    /// length as 7-bit varints) in xl/workbook.bin and the sheet's part.
    fn xlsb(cells: &[(u32, u32, &str)]) -> Vec<u8> {
        fn record(out: &mut Vec<u8>, typ: u16, body: &[u8]) {
            if typ < 0x80 {
                out.push(typ as u8);
            } else {
                out.extend([(typ & 0x7F) as u8 | 0x80, (typ >> 7) as u8]);
            }
            let mut len = body.len();
            loop {
                let b = (len & 0x7F) as u8;
                len >>= 7;
                out.push(if len > 0 { b | 0x80 } else { b });
                if len == 0 {
                    break;
                }
            }
            out.extend(body);
        }
        fn wide(s: &str) -> Vec<u8> {
            let units: Vec<u16> = s.encode_utf16().collect();
            let mut v = (units.len() as u32).to_le_bytes().to_vec();
            v.extend(units.iter().flat_map(|u| u.to_le_bytes()));
            v
        }
        let mut book = Vec::new();
        record(&mut book, 0x0083, &[]);
        record(
            &mut book,
            0x009C,
            &[&0u32.to_le_bytes()[..], &1u32.to_le_bytes(), &wide("rId1"), &wide("People")].concat(),
        );
        record(&mut book, 0x0090, &[]);
        record(&mut book, 0x0084, &[]);
        let mut sheet = Vec::new();
        record(&mut sheet, 0x0081, &[]);
        record(&mut sheet, 0x0094, &[0u8; 16]);
        record(&mut sheet, 0x0091, &[]);
        for &(row, col, text) in cells {
            record(&mut sheet, 0x0000, &[&row.to_le_bytes()[..], &[0u8; 13]].concat());
            record(&mut sheet, 0x0006, &[&col.to_le_bytes()[..], &0u32.to_le_bytes(), &wide(text)].concat());
        }
        record(&mut sheet, 0x0092, &[]);
        let rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.bin"/></Relationships>"#;
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        for (name, data) in [
            ("xl/workbook.bin", &book[..]),
            ("xl/_rels/workbook.bin.rels", rels.as_bytes()),
            ("xl/worksheets/sheet1.bin", &sheet[..]),
        ] {
            out.start_file(name, opts).unwrap();
            out.write_all(data).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn xlsb_cells_are_read() {
        let data = xlsb(&[(0, 0, "Name"), (0, 1, "Email"), (1, 0, "Jane Roberts"), (1, 1, "jane.roberts@gmail.com")]);
        assert_eq!(crate::formats::sniff::sniff("People.xlsb", &data), Kind::Xlsx);
        let c = run(&data, Kind::Xlsx).unwrap();
        let cells: Vec<_> = c.segments.iter().map(|s| (s.0.as_str(), s.1.as_str(), s.2.as_deref())).collect();
        assert!(cells.contains(&("People!A2", "Jane Roberts", Some("Name"))), "{cells:?}");
        assert!(cells.contains(&("People!B2", "jane.roberts@gmail.com", Some("Email"))), "{cells:?}");
    }

    /// A BIFF8 workbook stream as Excel writes a password-protected book:
    /// BOF, FILEPASS, then records whose bodies are encrypted (a DIMENSIONS
    /// record of noise declaring billions of cells).
    #[test]
    fn encrypted_xls_is_reported_as_encrypted() {
        let record = |typ: u16, body: &[u8]| {
            let mut r = typ.to_le_bytes().to_vec();
            r.extend((body.len() as u16).to_le_bytes());
            r.extend(body);
            r
        };
        let mut stream = record(0x0809, &[0x00, 0x06, 0x05, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        stream.extend(record(0x002F, &[1, 0, 1, 0, 1, 0, 0x5A, 0x5A, 0x5A, 0x5A]));
        stream.extend(record(0x0200, &[0x00, 0x10, 0x37, 0x4A, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x00, 0xFF, 0x00, 0, 0]));
        let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        cf.create_stream("/Workbook").unwrap().write_all(&stream).unwrap();
        cf.flush().unwrap();
        let data = cf.into_inner().into_inner();
        let r = run(&data, Kind::Xls);
        assert!(matches!(r, Err(ExtractError::Encrypted)), "{r:?}");
    }

    #[test]
    fn cell_references() {
        let r = |row, col| {
            let mut s = String::new();
            push_cell_ref(&mut s, row, col);
            s
        };
        assert_eq!(r(0, 0), "A1");
        assert_eq!(r(6, 2), "C7");
        assert_eq!(r(9, 25), "Z10");
        assert_eq!(r(0, 26), "AA1");
        assert_eq!(r(0, 701), "ZZ1");
        assert_eq!(r(0, 702), "AAA1");
        assert_eq!(r(1_048_575, 16_383), "XFD1048576");
        assert_eq!(crate::formats::column_letters(2), "C");
        assert_eq!(crate::formats::column_letters(26), "AA");
    }

    #[test]
    fn values_render_as_seen() {
        assert_eq!(render_float(7700900123.0), "7700900123");
        assert_eq!(render_float(-3.0), "-3");
        assert_eq!(render_float(0.1), "0.1");
        assert_eq!(render(&Data::Error(calamine::CellErrorType::Div0)), None);
        assert_eq!(render(&Data::String(" \t".into())), None);
        assert_eq!(render(&Data::Int(42)), Some("42".into()));
        assert_eq!(render_iso_datetime("1985-03-12T00:00:00"), "1985-03-12");
        assert_eq!(render_iso_datetime("not a date"), "not a date");
        assert_eq!(render_iso_duration("PT36H00M00S"), "36:00");
        assert_eq!(render_duration(1.5), "36:00");
        let time = calamine::ExcelDateTime::new(0.5, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(render(&Data::DateTime(time)), Some("12:00".into()));
    }
}
