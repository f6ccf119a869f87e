//! Formats: each file format in one folder, read and written there.
//!
//! `formats/<format>/mod.rs` reads the format: it turns an [`Input`] into
//! text [`Segment`]s with locations, handed to an [`Emit`], and hands back
//! nested files (attachments, archive members, mbox messages) as parts.
//! `formats/<format>/anonymise.rs` writes an anonymised copy of the same
//! format, walking the source as the reader does. Shared here: the
//! [`Segment`], [`Emit`], [`ExtractError`] and [`Limits`] every format uses,
//! [`sniff`] (what a file is), [`input`], and [`container`], the one walker
//! that reads parts recursively for every command. Reading never decides
//! what is personal data.
//!
//! | folder | formats |
//! |---|---|
//! | `text` | plain text, HTML |
//! | `csv` | CSV, TSV, semicolon-separated |
//! | `sheet` | xlsx, xlsb, xls, ods (copies are written as xlsx) |
//! | `pdf` | PDF with a text layer (image-only pages read with OCR) |
//! | `image` | scans and photos (PNG, JPEG, TIFF, BMP, GIF, WebP) read with OCR (Tesseract) |
//! | `docx`, `odt`, `rtf` | word-processor documents (`docx` holds the flow of paragraphs and tables the three share) |
//! | `doc` | Word 97-2003 documents (copies are written as docx) |
//! | `pptx`, `odp`, `ppt` | presentations (pptx reuses docx's package and XML helpers, odp the odt writer) |
//! | `mail` | eml, mbox, Outlook msg |
//! | `pst` | Outlook data files (PST, OST): each item handed on as an eml |
//! | `gz`, `tar` | gzip files and tar archives (`.tar.gz`/`.tgz` too), with the zip limits |
//! | `sevenz` | 7-Zip archives, with the zip limits |
//! | `xml` | XML data files: element text only |
//! | `zip` | zip archives, and the one zip member reader with the limits |

pub mod container;
pub mod csv;
pub mod doc;
pub mod docx;
pub mod gz;
pub mod image;
pub mod input;
pub mod mail;
pub mod odp;
pub mod odt;
pub mod pdf;
pub mod ppt;
pub mod pptx;
pub mod properties;
pub mod pst;
pub mod rewrite;
pub mod rtf;
pub mod sevenz;
pub mod sheet;
pub mod sniff;
pub mod tar;
pub mod text;
pub mod xml;
pub mod zip;

pub use input::Input;
pub use sniff::Kind;

use std::fmt;

use crate::finding::Location;
pub use crate::finding::SlidePart;

/// Where a segment's text came from inside its file.
#[derive(Debug, Clone, Copy)]
pub enum Loc<'a> {
    /// One fixed location for the whole segment: `Sheet1!C7`, `page 3`, `header From`.
    Fixed(&'a str),
    /// The segment is several lines joined by `\n`; a finding's location is
    /// `"{prefix} {first + lines before it}"`: `line 12`, `body line 4`, `paragraph 9`.
    Lines { prefix: &'a str, first: u64 },
    /// The text of a page (from 1): `page 3`.
    Page(u32),
    /// A message header, by name: `header From`.
    Header(&'a str),
    /// A spreadsheet cell (row and column from 0): `Sheet1!C7`.
    Cell { sheet: &'a str, row: u32, col: u32 },
    /// A slide of a presentation (from 1; 0 when the file does not say)
    /// and which part of it: `slide 3`, `slide 3 notes`, `slide ?`.
    Slide { n: u32, part: SlidePart },
    /// A cell of delimited text (row from 1, the header row being row 1;
    /// column from 0): `row 2, col Surname`, or `row 1, col 2` without a header.
    Row { row: u64, col: usize, header: Option<&'a str> },
    /// A page read with OCR (from 1): `page 2 (OCR)`, with where each
    /// word is in the text and the OCR's confidence in it.
    Ocr { page: u32, words: &'a [image::OcrWord] },
}

impl Loc<'_> {
    /// The table row a location is in, as shown (from 1), with its sheet
    /// (`""` for delimited text): what groups the cells of one record.
    pub fn table_row(&self) -> Option<(&str, u64)> {
        match *self {
            Loc::Cell { sheet, row, .. } => Some((sheet, u64::from(row) + 1)),
            Loc::Row { row, .. } => Some(("", row)),
            Loc::Fixed(_) | Loc::Lines { .. } | Loc::Page(_) | Loc::Header(_) | Loc::Slide { .. } | Loc::Ocr { .. } => {
                None
            }
        }
    }
}

/// A column's letters: `C` for column 2 (from 0).
pub fn column_letters(col: u32) -> String {
    let mut out = String::new();
    push_cell_ref(&mut out, 0, col);
    out.truncate(out.len() - 1);
    out
}

/// A cell reference: `C7` for row 6, column 2 (both from 0).
pub fn push_cell_ref(out: &mut impl fmt::Write, row: u32, col: u32) {
    let mut letters = [0u8; 8];
    let mut n = u64::from(col) + 1;
    let mut len = 0;
    while n > 0 {
        letters[len] = b'A' + ((n - 1) % 26) as u8;
        len += 1;
        n = (n - 1) / 26;
    }
    for &b in letters[..len].iter().rev() {
        let _ = out.write_char(char::from(b));
    }
    let _ = out.write_str(itoa::Buffer::new().format(u64::from(row) + 1));
}

impl Loc<'_> {
    /// The location of the byte `offset` within the segment's text.
    pub fn at(&self, text: &str, offset: usize) -> Location {
        Locator::new(*self, text).at(offset)
    }

    /// How far to trust what is found in bytes `start..end` of the text, as
    /// a factor of the rule's confidence: 1 for text read from the file, and
    /// for OCR text from 0.5 (words the OCR could not read with any
    /// confidence) to 1 (words it is sure of), by its least sure word there.
    pub fn confidence(&self, start: usize, end: usize) -> f32 {
        let Loc::Ocr { words, .. } = *self else { return 1.0 };
        let least = words
            .iter()
            .filter(|w| (w.start as usize) < end.max(start + 1) && (w.end as usize) > start)
            .map(|w| w.conf)
            .min_by(f32::total_cmp)
            .unwrap_or(100.0);
        0.5 + 0.5 * (least / 100.0).clamp(0.0, 1.0)
    }
}

/// Locations of increasing offsets in one segment, counting each line break
/// once (findings arrive in text order, so this stays linear).
pub struct Locator<'a> {
    loc: Loc<'a>,
    text: &'a str,
    offset: usize,
    line: u64,
}

impl<'a> Locator<'a> {
    pub fn new(loc: Loc<'a>, text: &'a str) -> Self {
        let first = match loc {
            Loc::Lines { first, .. } => first,
            _ => 0,
        };
        Locator { loc, text, offset: 0, line: first }
    }

    /// The location of byte `offset`; cheapest when offsets do not go back.
    pub fn at(&mut self, offset: usize) -> Location {
        match self.loc {
            Loc::Fixed(s) => Location::Other(s.into()),
            Loc::Header(name) => Location::Header(name.into()),
            Loc::Page(n) => Location::Page(n),
            Loc::Ocr { page, .. } => Location::OcrPage(page),
            Loc::Slide { n, part } => Location::Slide { n, part },
            Loc::Cell { sheet, row, col } => Location::Cell { sheet: sheet.into(), row, col },
            Loc::Row { row, col, header } => Location::Row { row, col, header: header.map(Into::into) },
            Loc::Lines { prefix, first } => {
                let offset = offset.min(self.text.len());
                if offset < self.offset {
                    self.offset = 0;
                    self.line = first;
                }
                self.line += self.text.as_bytes()[self.offset..offset].iter().filter(|&&b| b == b'\n').count() as u64;
                self.offset = offset;
                Location::Line { prefix: prefix.into(), n: self.line }
            }
        }
    }
}

/// A piece of text and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    pub loc: Loc<'a>,
    pub text: &'a str,
    /// A label describing the text, used by detection as context: a spreadsheet
    /// or CSV column header (`Surname`, `DOB`), a mail header name (`From`), a
    /// form field label. `None` for running text.
    pub context: Option<&'a str>,
}

impl<'a> Segment<'a> {
    pub fn fixed(location: &'a str, text: &'a str, context: Option<&'a str>) -> Self {
        Segment { loc: Loc::Fixed(location), text, context }
    }
    pub fn lines(prefix: &'a str, first: u64, text: &'a str) -> Self {
        Segment { loc: Loc::Lines { prefix, first }, text, context: None }
    }
}

/// Receives what an extractor finds.
pub trait Emit {
    /// A piece of text to run detection on.
    fn segment(&mut self, seg: Segment<'_>);
    /// A file inside this one (`attachments/cv.docx`, `HR/list.xlsx`, `3` for the
    /// third mbox message). It is extracted recursively by the caller; `name`
    /// becomes the part of the path after `!`.
    fn part(&mut self, name: &str, data: &[u8]);
    /// Can a part be handed on as a stream ([`Emit::part_stream`]) rather
    /// than whole? Only where nothing needs its bytes kept (a scan).
    fn streams_parts(&self) -> bool {
        false
    }
    /// A part of a streamed `kind` (text, CSV) handed on as `input`, an
    /// [`Input::Stream`], to be read as it arrives: as [`Emit::part`] but
    /// never whole in memory. Only called when [`Emit::streams_parts`].
    fn part_stream(&mut self, name: &str, kind: Kind, input: &Input<'_>) {
        let _ = (kind, input);
        self.part_error(name, ExtractError::Internal("a part was streamed to a reader that cannot take it".into()));
    }
    /// Something the user must hear about that did not stop the file being read
    /// (a limit hit, one attachment unreadable).
    fn warn(&mut self, message: String);
    /// A file inside this one that could not be read (a zip-bomb member, a
    /// damaged member), so that it is accounted for as failed or skipped
    /// like a file on disk. By default it is only a warning.
    fn part_error(&mut self, name: &str, error: ExtractError) {
        self.warn(format!("{name}: {error}"));
    }
    /// How deep in containers this input sits (0 = a file on disk).
    fn depth(&self) -> u32 {
        0
    }
    /// Bytes taken out of archives so far for this file on disk, at every
    /// nesting level (0 where the caller does not keep count).
    fn archive_used(&self) -> u64 {
        0
    }
    /// Count `bytes` taken out of an archive against the file's shared budget.
    fn archive_take(&mut self, _bytes: u64) {}
}

/// Why a file (or part) was not fully read.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// Not scanned on purpose: unknown binary, unsupported legacy format, too large.
    #[error("{0}")]
    Skipped(String),
    /// A known kind piisweep cannot read: counted as not read, not as skipped.
    #[error("{0}")]
    Unsupported(String),
    /// Password-protected or encrypted.
    #[error("encrypted (password-protected): remove the password or export an unprotected copy to scan it")]
    Encrypted,
    /// A PDF or image with no text to read, and no OCR to read it with.
    #[error("no text layer: needs OCR: install tesseract-ocr (or give its path with --tesseract) to read scans")]
    NoText,
    /// Damaged or not what its name says.
    #[error("corrupt or unreadable {kind}: {detail}")]
    Corrupt { kind: &'static str, detail: String },
    /// A safety limit stopped reading part-way (zip bomb, nesting depth).
    #[error("limit hit: {0}")]
    Limit(String),
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// A bug in piisweep stopped reading (a panic, caught).
    #[error("internal error while reading this file (please report it): {0}")]
    Internal(String),
}

impl ExtractError {
    pub fn corrupt(kind: &'static str, detail: impl fmt::Display) -> Self {
        ExtractError::Corrupt { kind, detail: detail.to_string() }
    }
    /// Skipped files are counted apart from failed ones.
    pub fn is_skip(&self) -> bool {
        matches!(self, ExtractError::Skipped(_))
    }
}

pub type Result<T> = std::result::Result<T, ExtractError>;

/// Safety limits shared by all extractors.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Files larger than this are skipped.
    pub max_file_size: u64,
    /// Formats that must be read whole (office files, PDF, zip, mail) larger
    /// than this are skipped rather than loaded into memory.
    pub max_in_memory: u64,
    /// Total uncompressed bytes read out of one archive (all levels).
    pub max_archive_total: u64,
    /// Largest compression ratio accepted for one archive member.
    pub max_ratio: u64,
    /// Deepest nesting of containers (zip in mail in mbox ...).
    pub max_depth: u32,
    /// The Tesseract executable that reads scans (OCR); `None`: `tesseract`
    /// on `PATH`. Without one, scans are not read ("needs OCR").
    pub tesseract: Option<std::path::PathBuf>,
    /// Largest image (one page of a scan) decoded, in pixels: a larger one
    /// is refused from its header, before its pixels are allocated.
    pub max_image_pixels: u64,
    /// Most pages of one scan (a multi-page TIFF, an image-only PDF) read with OCR.
    pub max_pages: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 1 << 30,
            max_in_memory: 256 << 20,
            max_archive_total: 1 << 30,
            max_ratio: 200,
            max_depth: 8,
            tesseract: None,
            // An A4 page at 600 dpi is 35 million pixels.
            max_image_pixels: 64_000_000,
            max_pages: 500,
        }
    }
}

impl Limits {
    /// These limits, with the in-memory limit the test suite may set
    /// (`PIISWEEP_TEST_MAX_IN_MEMORY`, in bytes; never without `test-hooks`):
    /// small inputs then show what happens past it.
    pub fn with_test_hooks(mut self) -> Self {
        if let Some(n) = crate::test_hooks::num("PIISWEEP_TEST_MAX_IN_MEMORY") {
            self.max_in_memory = n;
        }
        self
    }
}

/// Reads one input of a kind: its segments and parts to `emit`.
pub type ReadFn = fn(&Input<'_>, Kind, &mut dyn Emit, &Limits) -> Result<()>;
/// Writes the anonymised copy of one input of a kind, or says why it cannot.
pub type WriteFn = fn(&mut dyn rewrite::Rewrite, &[u8], Kind) -> std::result::Result<Vec<u8>, String>;

/// What piisweep does with one kind of file.
#[derive(Clone, Copy)]
pub struct Format {
    pub read: ReadFn,
    /// The anonymised copy's writer, or why there is none.
    pub write: std::result::Result<WriteFn, &'static str>,
    /// The extension of copies when it is not the source's (spreadsheets
    /// are written as xlsx).
    pub copy_extension: Option<&'static str>,
}

/// The registry: every kind's reader and writer, in one table. Detection is
/// [`sniff`]; adding a format is a folder under `formats/` and a line here.
pub fn format(kind: Kind) -> Format {
    use Kind as K;
    let f = |read: ReadFn, write: WriteFn| Format { read, write: Ok(write), copy_extension: None };
    match kind {
        K::Text => f(|i, _, e, l| text::extract(i, e, l), |w, d, _| text::anonymise::write(w, d)),
        K::Html => f(|i, _, e, l| text::extract_html(i, e, l), |w, d, _| Ok(text::anonymise::write_html(w, d))),
        K::Csv(_) => {
            f(|i, k, e, l| csv::extract(i, k.delimiter(), e, l), |w, d, k| csv::anonymise::write(w, d, k.delimiter()))
        }
        K::Xlsx => f(sheet::extract, sheet::anonymise::write),
        K::Xls | K::Ods => Format { copy_extension: Some("xlsx"), ..f(sheet::extract, sheet::anonymise::write) },
        K::Pdf => f(|i, _, e, l| pdf::extract(i, e, l), |w, d, _| pdf::anonymise::write(w, d)),
        K::Doc => Format {
            copy_extension: Some("docx"),
            ..f(|i, _, e, l| doc::extract(i, e, l), |w, d, _| doc::anonymise::write(w, d))
        },
        K::Docx => f(|i, _, e, l| docx::extract(i, e, l), |w, d, _| docx::anonymise::write(w, d)),
        K::Odt => f(|i, _, e, l| odt::extract(i, e, l), |w, d, _| odt::anonymise::write(w, d)),
        K::Pptx => f(|i, _, e, l| pptx::extract(i, e, l), |w, d, _| pptx::anonymise::write(w, d)),
        K::Odp => f(|i, _, e, l| odp::extract(i, e, l), |w, d, _| odp::anonymise::write(w, d)),
        K::Ppt => Format {
            read: |i, _, e, l| ppt::extract(i, e, l),
            write: Err("PowerPoint 97-2003 cannot be rewritten; save as .pptx"),
            copy_extension: None,
        },
        K::Image => f(|i, _, e, l| image::extract(i, e, l), |w, d, _| image::anonymise::write(w, d)),
        K::Rtf => f(|i, _, e, l| rtf::extract(i, e, l), |w, d, _| rtf::anonymise::write(w, d)),
        K::Xml => f(|i, _, e, l| xml::extract(i, e, l), |w, d, _| xml::anonymise::write(w, d)),
        K::Eml => f(|i, _, e, l| mail::extract_eml(i, e, l), |w, d, _| mail::anonymise::write_eml(w, d)),
        K::Mbox => f(|i, _, e, l| mail::extract_mbox(i, e, l), |w, d, _| mail::anonymise::write_mbox_bytes(w, d)),
        K::Msg => Format {
            read: |i, _, e, l| mail::extract_msg(i, e, l),
            write: Err("Outlook msg: not supported by anonymise yet (save it as eml)"),
            copy_extension: None,
        },
        K::Pst => Format {
            read: |i, _, e, l| pst::extract(i, e, l),
            // Written as a folder tree of .eml files by `anonymise` itself
            // (pst::anonymise::write_tree), not as one file.
            write: Err("Outlook data file: written as a folder of .eml files, not as one file"),
            copy_extension: None,
        },
        K::Gz => f(|i, _, e, l| gz::extract_gz(i, e, l), |w, d, _| gz::anonymise::write_gz(w, d)),
        K::Tar => f(|i, _, e, l| tar::extract_tar(i, e, l), |w, d, _| gz::anonymise::write_tar(w, d)),
        K::SevenZ => Format {
            read: |i, _, e, l| sevenz::extract_7z(i, e, l),
            write: Err("7-Zip archive: piisweep cannot write 7-Zip; unpack it to anonymise the files in it"),
            copy_extension: None,
        },
        K::Zip => f(|i, _, e, l| zip::extract_zip(i, e, l), |w, d, _| zip::anonymise::write(w, d)),
        K::Skip(_) => Format {
            read: |_, k, _, _| Err(ExtractError::Skipped(k.skip_reason().to_string())),
            write: Err(""),
            copy_extension: None,
        },
        K::Unsupported(_) => Format {
            read: |_, k, _, _| Err(ExtractError::Unsupported(k.skip_reason().to_string())),
            write: Err(""),
            copy_extension: None,
        },
        K::Encrypted => Format {
            read: |_, _, _, _| Err(ExtractError::Encrypted),
            write: Err("encrypted: remove the password to anonymise it"),
            copy_extension: None,
        },
    }
}

/// Extract one input of the given kind.
pub fn extract_kind(kind: Kind, input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    (format(kind).read)(input, kind, emit, limits)
}

/// Why `anonymise` cannot write a copy of this kind, if it cannot.
pub fn cannot_anonymise(kind: Kind) -> Option<String> {
    match (format(kind).write, kind) {
        (Ok(_), _) => None,
        (Err(_), Kind::Skip(reason) | Kind::Unsupported(reason)) => Some(reason.to_string()),
        (Err(why), _) => Some(why.to_string()),
    }
}

/// The file name a copy of `name` (of this kind) gets: spreadsheets become xlsx.
pub fn output_name(name: &str, kind: Kind) -> String {
    let Some(ext) = format(kind).copy_extension else { return name.to_string() };
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() && !stem.ends_with('/') => format!("{stem}.{ext}"),
        _ => format!("{name}.{ext}"),
    }
}

/// Sniff the input's type from its name and first bytes, then extract it.
pub fn extract(name: &str, input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<Kind> {
    let head = input.head(sniff::HEAD_LEN)?;
    let kind = sniff::sniff(name, &head);
    extract_kind(kind, input, emit, limits).map(|()| kind)
}

/// An [`Emit`] that keeps everything, for tests and tools: segments as
/// `(location, text, context)`, parts as `(name, bytes)`, warnings.
#[derive(Debug, Default)]
pub struct Collect {
    pub segments: Vec<(String, String, Option<String>)>,
    pub parts: Vec<(String, Vec<u8>)>,
    pub warnings: Vec<String>,
}

impl Emit for Collect {
    fn segment(&mut self, seg: Segment<'_>) {
        let location = match seg.loc {
            Loc::Fixed(s) => s.to_string(),
            _ => seg.loc.at(seg.text, 0).to_string(),
        };
        self.segments.push((location, seg.text.to_string(), seg.context.map(str::to_string)));
    }
    fn part(&mut self, name: &str, data: &[u8]) {
        self.parts.push((name.to_string(), data.to_vec()));
    }
    fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }
}

impl Collect {
    /// All segment text joined, for quick assertions.
    pub fn all_text(&self) -> String {
        self.segments.iter().map(|s| s.1.as_str()).collect::<Vec<_>>().join("\n")
    }
}
