//! The subject access bundle: copies of what the map found about a person,
//! with an index (HTML and CSV), one row per file.
//!
//! Sources are only read. Each matching document is copied; a part inside a
//! container is taken out of it with the extractors (an mbox message as its
//! own `.eml`, a zip member, an attachment); a spreadsheet or CSV gives only
//! the rows about the person, one CSV per sheet, streamed row by row.
//!
//! With `redact_others`, redaction is anonymisation: every copy is written by
//! the `anonymise` writers for its format (text, CSV, sheets, docx, odt, rtf,
//! PDF, mail with every part, attachments, zip members), with every category
//! redacted except the subject's own data (see [`Own`]). A file those writers
//! cannot make clean (an unsupported format, a PDF page with no text layer)
//! is not put in the bundle: the index lists it for manual review. The copies
//! are then scanned again with the engine; any other person's data still
//! found is listed in the report.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;

use super::{Evidence, FileMatch, Places, Query, Ranges, Unsearched};
use crate::anonymise::{self, Anonymiser, Outcome, Policy, Work};
use crate::common::esc;
use crate::detect::{Category, Engine};
use crate::formats::container::{self, Visit};
use crate::formats::{self, Input, Kind, Limits, Loc, Segment};
use crate::keys::Key;

/// The request the bundle answers: shown at the top of the index.
#[derive(Debug, Clone)]
pub struct Request {
    /// Whose request it is, as given.
    pub whose: String,
    /// What was searched, as typed.
    pub searched: Vec<String>,
    pub received: chrono::NaiveDate,
    /// One calendar month after `received`.
    pub deadline: chrono::NaiveDate,
    /// Files and parts the map could not search.
    pub unsearched: Vec<Unsearched>,
}

/// What to write and how.
pub struct BundleOptions<'a> {
    pub dir: &'a Path,
    pub redact_others: bool,
    pub limits: Limits,
    /// Findings less certain than this are left alone (as a sweep leaves them out).
    pub min_confidence: f32,
    pub request: &'a Request,
}

/// One row of the index: one file or part.
#[derive(Debug, Clone)]
pub struct IndexRow {
    pub file: String,
    /// `NI number (1), full name (3)`.
    pub matched: String,
    /// `rows 12-3,400; header From`.
    pub places: String,
    pub count: u64,
    pub modified: String,
    /// The copies in the bundle, relative to it (none when not copied).
    pub copies: Vec<String>,
    /// `copied`, `rows copied` or `manual review: not copied`.
    pub status: String,
    pub note: String,
}

/// Personal data of someone else still found in a copy by the re-scan.
#[derive(Debug, Clone)]
pub struct Residual {
    pub copy: String,
    pub location: String,
    pub category: Category,
    /// The value, masked.
    pub masked: String,
}

/// What was written.
#[derive(Debug, Default)]
pub struct BundleReport {
    pub rows: Vec<IndexRow>,
    /// Residual findings (at most [`MAX_RESIDUAL`] listed).
    pub residual: Vec<Residual>,
    pub residual_total: u64,
    /// Files listed for manual review instead of being copied.
    pub review: usize,
}

/// Residual findings listed at most (all are counted).
pub const MAX_RESIDUAL: usize = 500;

/// Headers of columns about someone other than the person the row is about.
const OTHER_PERSON: &[&str] = &[
    "kin",
    "emergency",
    "referr",
    "worker",
    "gp",
    "doctor",
    "parent",
    "mother",
    "father",
    "guardian",
    "partner",
    "spouse",
    "carer",
    "staff",
    "volunteer",
    "manager",
    "landlord",
    "advocate",
    "contact name",
    "relative",
];

/// Is this context (a column header, a form label) about another person?
fn other_person_context(context: Option<&str>) -> bool {
    let Some(c) = context else { return false };
    let c = c.to_lowercase();
    c.split(|ch: char| !ch.is_alphanumeric())
        .any(|w| OTHER_PERSON.iter().any(|o| if o.len() <= 3 { w == *o } else { w.starts_with(o) }))
        || OTHER_PERSON.iter().any(|o| o.contains(' ') && c.contains(o))
}

/// The subject's own data: what staff typed (by keyed hash, as the map
/// holds it), and the values of the records about them.
pub struct Own<'a> {
    pub engine: &'a Engine,
    pub query: &'a Query,
    pub key: &'a Key,
    pub min_confidence: f32,
    /// (is strong, is the subject's) by value: values repeat (the person's
    /// own, row after row) and each answer costs keyed hashes.
    memo: std::sync::Mutex<std::collections::HashMap<(Category, String), (bool, bool)>>,
}

impl<'a> Own<'a> {
    pub fn new(engine: &'a Engine, query: &'a Query, key: &'a Key, min_confidence: f32) -> Own<'a> {
        Own { engine, query, key, min_confidence, memo: Default::default() }
    }

    /// (strong match, the subject's own) for a value, remembered.
    fn judge(&self, category: Category, value: &str) -> (bool, bool) {
        let memo_key = (category, value.to_string());
        if let Some(v) = self.memo.lock().ok().and_then(|m| m.get(&memo_key).copied()) {
            return v;
        }
        let v = (self.strong_uncached(category, value), self.subject_uncached(category, value));
        if let Ok(mut m) = self.memo.lock() {
            if m.len() > 100_000 {
                m.clear();
            }
            m.insert(memo_key, v);
        }
        v
    }

    /// Is this value one of the person's details as typed (a name: theirs
    /// in full, or only their own first name, surname or initial)?
    pub fn is_subject(&self, category: Category, value: &str) -> bool {
        self.judge(category, value).1
    }

    /// Is this a strong match: an identifier as typed, or the full name?
    fn is_strong(&self, category: Category, value: &str) -> bool {
        self.judge(category, value).0
    }

    fn subject_uncached(&self, category: Category, value: &str) -> bool {
        let hash = self.key.hash(&category.normalise(value));
        if category != Category::Name {
            return self.query.idents.contains_key(&hash);
        }
        if self.query.full_names.contains(&hash) {
            return true;
        }
        let own = [&self.query.first, &self.query.last, &self.query.first_initial];
        let words = crate::common::name_words(value);
        !words.is_empty() && words.iter().all(|(_, w)| own.iter().any(|o| o.as_deref() == Some(&self.key.hash(w))))
    }

    fn strong_uncached(&self, category: Category, value: &str) -> bool {
        let hash = self.key.hash(&category.normalise(value));
        self.query.idents.contains_key(&hash) || (category == Category::Name && self.query.full_names.contains(&hash))
    }

    /// The hits of a segment, at or above the minimum confidence.
    fn hits(&self, seg: &Segment<'_>) -> Vec<(Category, String)> {
        self.paragraph_hits(seg).into_iter().flatten().collect()
    }

    /// The segment's hits, a list for each paragraph (text between blank
    /// lines; a block of lines may hold several).
    fn paragraph_hits(&self, seg: &Segment<'_>) -> Vec<Vec<(Category, String)>> {
        let text = seg.text;
        // Where each paragraph after the first starts: after a blank line.
        let mut breaks = Vec::new();
        let mut line_start = 0;
        let mut blank_before = false;
        for line in text.split_inclusive('\n') {
            let blank = line.trim().is_empty();
            if !blank && blank_before {
                breaks.push(line_start);
            }
            blank_before = blank;
            line_start += line.len();
        }
        let mut out = vec![Vec::new(); breaks.len() + 1];
        for h in self.engine.detect(seg).into_iter().filter(|h| h.confidence >= self.min_confidence) {
            let paragraph = breaks.partition_point(|&b| b <= h.start);
            out[paragraph].push((h.category, text[h.start..h.end].to_string()));
        }
        out
    }
}

/// The values of one record (a table row, a paragraph or block, a mail
/// header): kept as the person's when the record holds a strong match and
/// names nobody else. Names are never taken this way (only the person's own
/// name is kept), nor values under another person's heading (next of kin).
#[derive(Default)]
struct Record {
    strong: bool,
    other_name: bool,
    values: Vec<(Category, String)>,
    /// A table row's hits by cell (text, header): cells whose hits are all
    /// kept are written without being read again.
    cells: std::collections::HashMap<CellKey, Vec<(Category, String)>>,
}

/// A table cell: its text and header.
type CellKey = (String, Option<String>);

impl Record {
    fn add(&mut self, own: &Own<'_>, hits: Vec<(Category, String)>, context: Option<&str>) {
        let other_context = other_person_context(context);
        for (cat, value) in hits {
            if own.is_strong(cat, &value) {
                self.strong = true;
            }
            if cat == Category::Name && !own.is_subject(cat, &value) && !other_context {
                self.other_name = true;
            }
            if cat != Category::Name && !other_context {
                self.values.push((cat, cat.normalise(&value)));
            }
        }
    }

    /// The record's values, if they are the person's.
    fn finish(self, into: &mut HashSet<(Category, String)>) {
        if self.strong && !self.other_name {
            into.extend(self.values);
        }
    }
}

/// What is kept in one copy: the person's own details and the values of
/// the records about them.
struct KeepSet {
    values: HashSet<(Category, String)>,
}

impl KeepSet {
    fn keeps(&self, own: &Own<'_>, category: Category, value: &str) -> bool {
        own.is_subject(category, value)
            || (category != Category::Name && self.values.contains(&(category, category.normalise(value))))
    }
}

/// Gathers the records of a document (its segments, table rows grouped),
/// and those of its parts.
struct Records<'a> {
    own: &'a Own<'a>,
    /// The current table row (`path:row 3`, `path:Sheet1!7`) and its record.
    row: Option<(String, Record)>,
    kept: HashSet<(Category, String)>,
    /// The current message is from the person (a strong match in its From,
    /// Sender or Reply-To header): its body blocks are about them too.
    from_subject: bool,
    /// `from_subject` of the enclosing parts, innermost last.
    outer: Vec<bool>,
}

/// Mail headers that say who wrote the message.
const AUTHOR_HEADERS: &[&str] = &["From", "Sender", "Reply-To"];

impl Records<'_> {
    fn new<'a>(own: &'a Own<'a>) -> Records<'a> {
        Records { own, row: None, kept: HashSet::new(), from_subject: false, outer: Vec::new() }
    }

    fn flush(&mut self) {
        if let Some((_, record)) = self.row.take() {
            record.finish(&mut self.kept);
        }
    }
}

impl Visit for Records<'_> {
    fn segment(&mut self, path: &str, seg: Segment<'_>) {
        match seg.loc.table_row() {
            Some((sheet, row)) => {
                let hits = self.own.hits(&seg);
                let key = format!("{path}:{sheet}!{row}");
                if self.row.as_ref().is_none_or(|(k, _)| *k != key) {
                    self.flush();
                    self.row = Some((key, Record::default()));
                }
                if let Some((_, record)) = &mut self.row {
                    record.add(self.own, hits, seg.context);
                }
            }
            None => {
                self.flush();
                // A record a paragraph.
                for hits in self.own.paragraph_hits(&seg) {
                    let mut record = Record::default();
                    record.add(self.own, hits, seg.context);
                    if matches!(seg.loc, Loc::Header(name) if AUTHOR_HEADERS.contains(&name)) && record.strong {
                        self.from_subject = true;
                    }
                    if self.from_subject && matches!(seg.loc, Loc::Lines { prefix, .. } if prefix.starts_with("body")) {
                        record.strong = true;
                    }
                    record.finish(&mut self.kept);
                }
            }
        }
    }
    fn enter(&mut self, _path: &str, _data: &[u8]) -> bool {
        self.flush();
        // A part (an attachment, a message of an mbox) has its own author.
        let from_subject = std::mem::replace(&mut self.from_subject, false);
        self.outer.push(from_subject);
        true
    }
    fn leave(&mut self, _path: &str) {
        self.flush();
        self.from_subject = self.outer.pop().unwrap_or(false);
    }
    fn failed(&mut self, _path: &str, _error: formats::ExtractError) {
        // A part past the depth limit ends the row, as one read would.
        self.flush();
    }
}

/// The policy of a bundle: every category redacted (`[NAME]`, `[PHONE]`...)
/// and none may remain.
fn redact_all() -> Policy {
    Policy {
        categories: BTreeMap::new(),
        columns: BTreeMap::new(),
        must_remove: Category::ALL.to_vec(),
        pseudonym_hex: 6,
        keep_special_columns: Vec::new(),
        k_anonymity: None,
    }
}

/// Write the bundle for `matches` (likely ones only) into `opts.dir`.
pub fn write(
    matches: &[FileMatch],
    query: &Query,
    key: &Key,
    engine: &Engine,
    opts: &BundleOptions<'_>,
) -> anyhow::Result<BundleReport> {
    let files_dir = opts.dir.join("files");
    private_dir(opts.dir)?;
    private_dir(&files_dir)?;
    let own = Own::new(engine, query, key, opts.min_confidence);
    let policy = redact_all();
    let mut report = BundleReport::default();
    let mut n = 0usize;
    let mut made: Vec<(String, KeepSet)> = Vec::new();
    for m in matches.iter().filter(|m| m.likely()) {
        let changed = changed_note(m);
        // Places that are probably someone else's stay out of the bundle.
        let mut by_part: BTreeMap<&str, Vec<&Places>> = BTreeMap::new();
        for p in m.places.iter().filter(|p| p.evidence != Evidence::SurnameOtherFirstName) {
            by_part.entry(p.path.as_str()).or_default().push(p);
        }
        for (part, places) in by_part {
            n += 1;
            let mut rows: BTreeMap<String, Ranges> = BTreeMap::new();
            for p in &places {
                for (sheet, r) in p.table_rows() {
                    rows.entry(sheet.to_string()).or_default().union(r);
                }
            }
            let job =
                Job { part, n, out: &files_dir, opts, own: &own, policy: &policy, rows, changed: changed.is_some() };
            let mut row = IndexRow {
                file: part.to_string(),
                matched: places
                    .iter()
                    .map(|p| format!("{} ({})", p.what, super::thousands(p.count)))
                    .collect::<Vec<_>>()
                    .join(", "),
                places: super::merged_places(&places).0,
                count: super::merged_places(&places).1,
                modified: m.modified.clone(),
                copies: Vec::new(),
                status: String::new(),
                note: String::new(),
            };
            match copy_part(m, &job) {
                Ok(Made::Copies(copies, note)) => {
                    row.status = if copies.iter().any(|c| c.name.ends_with(".rows.csv")) {
                        "rows copied".into()
                    } else {
                        "copied".into()
                    };
                    row.note = note;
                    for c in copies {
                        row.copies.push(format!("files/{}", c.name));
                        if let Some(keep) = c.keep {
                            made.push((c.name, keep));
                        }
                    }
                }
                Ok(Made::Review(why)) => {
                    report.review += 1;
                    row.status = "manual review: not copied".into();
                    row.note = format!("{why}; check the original by hand and copy what is the person's");
                }
                Err(e) => {
                    report.review += 1;
                    row.status = "manual review: not copied".into();
                    row.note = format!("no copy could be made: {e:#}");
                }
            }
            if !m.special.is_empty() {
                let c = format!("special category data about the person: {}", m.special.join(", "));
                row.note = if row.note.is_empty() { c } else { format!("{c}; {}", row.note) };
            }
            if let Some(c) = &changed {
                row.note = if row.note.is_empty() { c.clone() } else { format!("{c}; {}", row.note) };
            }
            report.rows.push(row);
        }
    }
    if opts.redact_others {
        for (name, keep) in &made {
            rescan(&files_dir, name, keep, &own, opts, &mut report);
        }
    }
    write_private(&opts.dir.join("index.csv"), &index_csv(&report, opts)?)?;
    write_private(&opts.dir.join("index.html"), index_html(&report, opts).as_bytes())?;
    Ok(report)
}

/// Scan a copy again: values the engine finds that are not the person's are
/// residual.
fn rescan(dir: &Path, name: &str, keep: &KeepSet, own: &Own<'_>, opts: &BundleOptions<'_>, report: &mut BundleReport) {
    let abs = dir.join(name);
    let Ok(md) = std::fs::metadata(&abs) else { return };
    let entry =
        crate::walk::FileEntry { abs, rel: format!("files/{name}"), size: md.len(), modified: md.modified().ok() };
    let how = crate::scan::Detection {
        engine: own.engine,
        key: own.key,
        limits: &opts.limits,
        min_confidence: opts.min_confidence,
    };
    let scanned = crate::scan::scan_file_streaming(&entry, how, &mut |batch| {
        for f in batch {
            if keep.keeps(own, f.category, &f.value) {
                continue;
            }
            report.residual_total += 1;
            if report.residual.len() < MAX_RESIDUAL {
                report.residual.push(Residual {
                    copy: f.path.to_string(),
                    location: f.location.to_string(),
                    category: f.category,
                    masked: f.masked().to_string(),
                });
            }
        }
    });
    if let crate::scan::Status::Failed(why) = &scanned.status {
        report.residual_total += 1;
        report.residual.push(Residual {
            copy: format!("files/{name}"),
            location: String::new(),
            category: Category::Name,
            masked: format!("the copy could not be scanned again ({why}): check it by hand"),
        });
    }
}

/// Has the file changed on disk since the map recorded it?
fn changed_note(m: &FileMatch) -> Option<String> {
    let meta = match std::fs::metadata(&m.abs) {
        Ok(meta) => meta,
        Err(_) => return Some("the file is no longer there: nothing copied".into()),
    };
    let now_ns = crate::common::time_ns(meta.modified().ok());
    let content = crate::map::content_hash(Path::new(&m.abs)).ok();
    let changed = meta.len() as i64 != m.size
        || now_ns != m.modified_ns
        || (m.content_hash.is_some() && content.is_some() && content != m.content_hash);
    changed.then(|| {
        format!(
            "changed since the scan (then modified {}, now {}): the copy is the current version; rescan and check it",
            m.modified,
            crate::common::date_text(now_ns)
        )
    })
}

/// A safe file name for a bundle copy: `007-Clients_case-notes.txt`.
fn copy_name(n: usize, path: &str, suffix: &str) -> String {
    let clean: String =
        path.chars().map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') { c } else { '_' }).collect();
    let clean: String = clean.chars().rev().take(120).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{n:03}-{clean}{suffix}")
}

/// One copy to make: which part, its number in the bundle, and how.
struct Job<'a> {
    part: &'a str,
    n: usize,
    out: &'a Path,
    opts: &'a BundleOptions<'a>,
    own: &'a Own<'a>,
    policy: &'a Policy,
    /// Table rows the map located the person in, by sheet ("" for a CSV).
    rows: BTreeMap<String, Ranges>,
    /// The file changed since the scan: the map's rows may have moved, so
    /// rows are picked by re-reading only.
    changed: bool,
}

/// One file written into the bundle, and (when others are redacted) what
/// the re-scan keeps in it.
struct Copy {
    name: String,
    keep: Option<KeepSet>,
}

/// The copies of one part and a note, or why it must be checked by hand.
enum Made {
    Copies(Vec<Copy>, String),
    Review(String),
}

/// Finds one part of a container by its path, walking the container as a
/// sweep does (the same limits, depth and shared budget), entering only the
/// parts on the way to it.
struct Finder<'n> {
    /// The part's path: the file's, then `!name` for each level.
    want: &'n str,
    found: Option<Vec<u8>>,
    /// The deepest part on the way that was reached (the file's path when
    /// none), and the kind it was sniffed as.
    reached: (String, Kind),
    /// Why a part on the way could not be read.
    failure: Option<(String, formats::ExtractError)>,
}

impl Finder<'_> {
    fn on_the_way(&self, path: &str) -> bool {
        self.want.strip_prefix(path).is_some_and(|rest| rest.starts_with('!'))
    }
}

impl Visit for Finder<'_> {
    fn segment(&mut self, _path: &str, _seg: Segment<'_>) {}
    fn enter(&mut self, path: &str, data: &[u8]) -> bool {
        if self.found.is_some() {
            return false;
        }
        if path == self.want {
            self.found = Some(data.to_vec());
            return false;
        }
        if self.on_the_way(path) {
            let name = path.rsplit('!').next().unwrap_or(path);
            self.reached = (path.to_string(), sniff_bytes(name, data));
            return true;
        }
        false
    }
    fn failed(&mut self, path: &str, error: formats::ExtractError) {
        if self.failure.is_none() && (path == self.want || self.on_the_way(path)) {
            self.failure = Some((path.to_string(), error));
        }
    }
}

/// Copy (or take rows from) one file or part.
fn copy_part<'a>(m: &FileMatch, job: &'a Job<'a>) -> anyhow::Result<Made> {
    let mut chain = job.part.split('!');
    chain.next();
    let inner: Vec<&str> = chain.collect();
    let file = formats::input::open_readonly(Path::new(&m.abs)).with_context(|| format!("cannot read {}", m.abs))?;
    let size = file.metadata()?.len();
    drop(file);
    if inner.is_empty() {
        let input = Input::File { path: Path::new(&m.abs), size };
        return write_copy(&input, &m.path, job);
    }
    // An Outlook store is read from disk whatever its size; other
    // containers are read whole.
    let on_disk = || Input::File { path: Path::new(&m.abs), size };
    let top = formats::sniff::sniff(&m.path, &on_disk().head(formats::sniff::HEAD_LEN)?);
    let mut bytes = Vec::new();
    if top != Kind::Pst {
        if size > job.opts.limits.max_in_memory {
            anyhow::bail!("the container is larger than the in-memory limit");
        }
        std::io::Read::read_to_end(&mut formats::input::open_readonly(Path::new(&m.abs))?, &mut bytes)?;
    }
    // A large text or CSV member of a zip is copied as it is decompressed.
    if top == Kind::Zip
        && let [member] = inner[..]
        && let Some(made) = streamed_member(&bytes, member, job)
    {
        return made;
    }
    let input = if top == Kind::Pst { on_disk() } else { Input::Bytes(&bytes) };
    let finder = Finder { want: job.part, found: None, reached: (m.path.clone(), top), failure: None };
    let (finder, read) = container::walk(&m.path, &input, finder, &job.opts.limits);
    drop(input);
    drop(bytes);
    let Finder { found, reached: (parent_path, parent_kind), failure, .. } = finder;
    let base = |path: &str| path.rsplit('!').next().unwrap_or(path).to_string();
    let Some(bytes) = found else {
        // Where the way stopped: a part that could not be read, or one
        // that is no longer there.
        if let Some((path, e)) = failure.filter(|(path, _)| path.len() >= parent_path.len()) {
            anyhow::bail!("cannot open {}: {e}", base(&path));
        }
        if let Err(e) = read.as_ref().map_err(|e| e.to_string())
            && parent_path == m.path
        {
            anyhow::bail!("cannot open {}: {e}", m.path);
        }
        let next = job.part[parent_path.len() + 1..].split('!').next().unwrap_or_default();
        let parent = if parent_path == m.path { m.path.clone() } else { base(&parent_path) };
        anyhow::bail!("{next} is no longer inside {parent}");
    };
    // An mbox message or an Outlook item stands alone as a .eml file.
    let component = base(job.part);
    let name = if matches!(parent_kind, Kind::Mbox | Kind::Pst) { format!("{component}.eml") } else { component };
    write_copy(&Input::Bytes(&bytes), &name, job)
}

/// The copy of member `want` (its path as the sweep names it) of the zip
/// `data`, read as it is decompressed, if it is a large text or CSV file
/// ([`MemberStream`](formats::zip::anonymise::MemberStream)): under the
/// limits a sweep reads it with (the compression ratio, the archive's
/// budget), a copy cut short by them is deleted. `None`: read it whole.
fn streamed_member(data: &[u8], want: &str, job: &Job<'_>) -> Option<anyhow::Result<Made>> {
    use formats::zip::anonymise::MemberStream;
    let limits = &job.opts.limits;
    if limits.max_depth == 0 {
        return None;
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(data)).ok()?;
    let index = (0..archive.len()).find(|&i| {
        archive
            .by_index_raw(i)
            .is_ok_and(|f| !f.is_dir() && f.name().is_ok_and(|name| formats::zip::safe_path(&name, i) == want))
    })?;
    let source = MemberStream::new(&mut archive, data, index, limits, limits.max_archive_total)?;
    if !matches!(formats::sniff::sniff(want, &source.head), Kind::Text | Kind::Csv(_)) {
        return None;
    }
    let made = source.with_input(|input| write_copy(input, want, job));
    let Some((_, stop)) = source.stopped(want, limits) else { return Some(made) };
    if let Ok(Made::Copies(copies, _)) = &made {
        for c in copies {
            let _ = std::fs::remove_file(job.out.join(&c.name));
        }
    }
    Some(Err(anyhow::anyhow!("cannot open {want}: {stop}")))
}

fn sniff_bytes(name: &str, bytes: &[u8]) -> Kind {
    formats::sniff::sniff(name, &bytes[..bytes.len().min(formats::sniff::HEAD_LEN)])
}

/// Write the copy of one input according to its type.
fn write_copy<'a>(input: &Input<'_>, name: &str, job: &'a Job<'a>) -> anyhow::Result<Made> {
    let head = input.head(formats::sniff::HEAD_LEN)?;
    let kind = formats::sniff::sniff(name, &head);
    let suffix = if name.ends_with(".eml") && !job.part.ends_with(".eml") { ".eml" } else { "" };
    match kind {
        Kind::Csv(delim) => csv_rows(input, delim, job),
        Kind::Xlsx | Kind::Xls | Kind::Ods => sheet_rows(input, job),
        _ if !job.opts.redact_others => {
            let copy = copy_name(job.n, job.part, suffix);
            let mut file = create_private(&job.out.join(&copy))?;
            match input {
                Input::Bytes(b) => std::io::Write::write_all(&mut file, b)?,
                Input::File { .. } | Input::Stream { .. } | Input::Reopen { .. } => {
                    std::io::copy(&mut input.reader()?, &mut file)?;
                }
            }
            Ok(Made::Copies(vec![Copy { name: copy, keep: None }], String::new()))
        }
        _ => redacted_copy(input, name, kind, suffix, job),
    }
}

/// A copy written by the anonymise writer for its format, keeping the
/// person's own data; or the reason it must be checked by hand.
fn redacted_copy<'a>(input: &Input<'_>, name: &str, kind: Kind, suffix: &str, job: &Job<'a>) -> anyhow::Result<Made> {
    if let Some(reason) = anonymise::unsupported(kind) {
        return Ok(Made::Review(format!("piisweep cannot redact it ({reason})")));
    }
    if kind == Kind::Text {
        return redacted_text(input, name, suffix, job);
    }
    let data = match input.bytes(job.opts.limits.max_in_memory) {
        Ok(d) => d,
        Err(e) => return Ok(Made::Review(format!("piisweep cannot redact it ({e})"))),
    };
    // Scanned pages are redacted with OCR when Tesseract is there.
    if kind == Kind::Pdf
        && formats::image::ocr::tesseract(&job.opts.limits).is_none()
        && let Some(why) = pdf_without_text(&data, &job.opts.limits)
    {
        return Ok(Made::Review(why));
    }
    // The records about the person: their values are kept as theirs.
    let (mut records, _) = container::walk(name, &Input::Bytes(&data), Records::new(job.own), &job.opts.limits);
    records.flush();
    let keep = KeepSet { values: records.kept };
    let (outcome, masked, notes) = {
        let keep_fn = |c: Category, v: &str| keep.keeps(job.own, c, v);
        let anon = Anonymiser {
            engine: job.own.engine,
            key: job.own.key,
            policy: job.policy,
            min_confidence: job.opts.min_confidence,
            limits: &job.opts.limits,
            keep: Some(&keep_fn),
        };
        let mut work = Work::new(&anon, name, &Input::Bytes(&data));
        let outcome = anonymise::anonymise_bytes(&mut work, name, &data);
        (outcome, work.counts.values().sum::<u64>(), work.notes)
    };
    match outcome {
        Outcome::NotCopied(reason) => Ok(Made::Review(format!("piisweep cannot redact it ({reason})"))),
        Outcome::Written { data, .. } => {
            let copy = copy_name(job.n, job.part, suffix);
            write_private(&job.out.join(&copy), &data)?;
            let mut note = format!("{masked} items of other people's personal data redacted");
            for n in &notes {
                let _ = write!(note, "; {n}");
            }
            if notes.iter().any(|n| n.starts_with("not copied")) {
                note.push_str(" (parts left out: check them in the original by hand)");
            }
            Ok(Made::Copies(vec![Copy { name: copy, keep: Some(keep) }], note))
        }
    }
}

/// A text file's redacted copy, written as it is read, a block of lines at
/// a time (see [`redacted_copy`]): a text file or member of any size is
/// never whole in memory. A copy that cannot be finished is deleted.
fn redacted_text(input: &Input<'_>, name: &str, suffix: &str, job: &Job<'_>) -> anyhow::Result<Made> {
    let (mut records, _) = container::walk(name, input, Records::new(job.own), &job.opts.limits);
    records.flush();
    let keep = KeepSet { values: records.kept };
    let copy = copy_name(job.n, job.part, suffix);
    let path = job.out.join(&copy);
    let (written, masked, notes) = {
        let keep_fn = |c: Category, v: &str| keep.keeps(job.own, c, v);
        let anon = Anonymiser {
            engine: job.own.engine,
            key: job.own.key,
            policy: job.policy,
            min_confidence: job.opts.min_confidence,
            limits: &job.opts.limits,
            keep: Some(&keep_fn),
        };
        let mut work = Work::new(&anon, name, input);
        let mut file = std::io::BufWriter::new(create_private(&path)?);
        let written = container::catching(|| {
            formats::text::anonymise::write_stream(&mut work, input, &mut file)
                .and_then(|()| std::io::Write::flush(&mut file))
        });
        let written = match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("internal error while anonymising this text (please report it)".to_string()),
        };
        (written, work.counts.values().sum::<u64>(), work.notes)
    };
    if let Err(reason) = written {
        let _ = std::fs::remove_file(&path);
        return Ok(Made::Review(format!("piisweep cannot redact it ({reason})")));
    }
    let mut note = format!("{masked} items of other people's personal data redacted");
    for n in &notes {
        let _ = write!(note, "; {n}");
    }
    Ok(Made::Copies(vec![Copy { name: copy, keep: Some(keep) }], note))
}

/// Why a PDF cannot be redacted: pages with no text layer (scans) show
/// people's data as pictures no writer can change.
fn pdf_without_text(data: &[u8], limits: &Limits) -> Option<String> {
    let doc = match lopdf::Document::load_mem(data) {
        Ok(d) => d,
        Err(e) => return Some(format!("piisweep cannot read this PDF to redact it ({e})")),
    };
    let pages = doc.get_pages().len();
    let mut read = formats::pdf::PageTexts::default();
    if formats::pdf::extract(&Input::Bytes(data), &mut read, limits).is_err() {
        return Some("the PDF has no text layer (a scan): piisweep cannot redact it".into());
    }
    let with_text: std::collections::BTreeSet<u32> =
        read.pages.iter().filter(|(_, text)| !text.trim().is_empty()).map(|(n, _)| *n).collect();
    let without: Vec<String> = (1..=pages as u32).filter(|p| !with_text.contains(p)).map(|p| p.to_string()).collect();
    if without.is_empty() {
        return None;
    }
    Some(format!(
        "page {} of the PDF {} no text layer (a scan or picture): piisweep cannot redact it",
        without.join(", "),
        if without.len() == 1 { "has" } else { "have" }
    ))
}

impl Job<'_> {
    /// Is this table row about the person: located by the map (if the file
    /// is unchanged), or holding one of their identifiers or their full name
    /// when read again? Returns the row's record when it is.
    fn row_wanted(&self, sheet: &str, row: u64, cells: &[(&str, Option<&str>)]) -> Option<Record> {
        let located = !self.changed && self.rows.get(sheet).is_some_and(|r| r.contains(row));
        let record = self.row_record(cells);
        (located || record.strong).then_some(record)
    }

    /// What a table row holds of the person's and of others'.
    fn row_record(&self, cells: &[(&str, Option<&str>)]) -> Record {
        let mut record = Record::default();
        for (text, header) in cells {
            if text.trim().is_empty() {
                continue;
            }
            let hits = self.own.hits(&Segment::fixed("cell", text, *header));
            record.cells.insert((text.to_string(), header.map(str::to_string)), hits.clone());
            record.add(self.own, hits, *header);
        }
        record
    }
}

/// Writes the person's rows of one table, each cell through the anonymise
/// engine with the row's own record kept.
struct RowWriter<'a> {
    job: &'a Job<'a>,
    writer: csv::Writer<std::fs::File>,
    name: String,
    /// Everything kept in any row written, for the re-scan.
    kept: HashSet<(Category, String)>,
    masked: u64,
    rows: u64,
}

impl<'a> RowWriter<'a> {
    fn new(job: &'a Job<'a>, name: String) -> anyhow::Result<RowWriter<'a>> {
        let file = create_private(&job.out.join(&name))?;
        Ok(RowWriter { job, writer: csv::Writer::from_writer(file), name, kept: HashSet::new(), masked: 0, rows: 0 })
    }

    /// Write a row made by piisweep (the column letters of a sheet) as it is.
    fn plain(&mut self, cells: &[String]) -> anyhow::Result<()> {
        self.writer.write_record(cells)?;
        Ok(())
    }

    /// Write a table's first row: usually its header, but a table without
    /// one starts with a row of data, which may be about someone else, so
    /// it is redacted like any other row (a header's labels are not
    /// personal data and come through unchanged).
    fn first(&mut self, lead: &[String], cells: &[(&str, Option<&str>)]) -> anyhow::Result<()> {
        let record = self.job.row_record(cells);
        self.write(lead, cells, record)
    }

    /// Write a row about the person: with others redacted when asked.
    fn row(&mut self, lead: &[String], cells: &[(&str, Option<&str>)], record: Record) -> anyhow::Result<()> {
        self.rows += 1;
        self.write(lead, cells, record)
    }

    fn write(&mut self, lead: &[String], cells: &[(&str, Option<&str>)], mut record: Record) -> anyhow::Result<()> {
        let mut out: Vec<String> = lead.to_vec();
        if !self.job.opts.redact_others || crate::test_hooks::var("PIISWEEP_TEST_BUNDLE_UNREDACTED").is_some() {
            out.extend(cells.iter().map(|(t, _)| t.to_string()));
            self.writer.write_record(&out)?;
            return Ok(());
        }
        let hits_of = std::mem::take(&mut record.cells);
        let mut values = HashSet::new();
        record.finish(&mut values);
        let keep = KeepSet { values };
        {
            let keep_fn = |c: Category, v: &str| keep.keeps(self.job.own, c, v);
            let anon = Anonymiser {
                engine: self.job.own.engine,
                key: self.job.own.key,
                policy: self.job.policy,
                min_confidence: self.job.opts.min_confidence,
                limits: &self.job.opts.limits,
                keep: Some(&keep_fn),
            };
            let mut work = Work::plain(&anon);
            for (text, header) in cells {
                // Read once already: a cell with nothing to replace is written as it is.
                let known = hits_of.get(&(text.to_string(), header.map(str::to_string)));
                if text.trim().is_empty()
                    || known.is_some_and(|hits| hits.iter().all(|(c, v)| keep.keeps(self.job.own, *c, v)))
                {
                    out.push(text.to_string());
                    continue;
                }
                let seg = Segment::fixed("cell", text, *header);
                out.push(work.rewrite(&seg).unwrap_or_else(|| text.to_string()));
            }
            self.masked += work.counts.values().sum::<u64>();
        }
        self.kept.extend(keep.values);
        self.writer.write_record(&out)?;
        Ok(())
    }

    fn finish(mut self, note: &mut String) -> anyhow::Result<Copy> {
        self.writer.flush()?;
        let _ = write!(note, "{} rows about the person", super::thousands(self.rows));
        let keep = if self.job.opts.redact_others {
            let _ = write!(note, "; {} items of other people's personal data redacted", self.masked);
            Some(KeepSet { values: self.kept })
        } else {
            None
        };
        Ok(Copy { name: self.name, keep })
    }
}

/// Header row and the person's rows of a CSV file, as CSV, streamed: a row
/// at a time is held, whatever the file's size.
fn csv_rows<'a>(input: &Input<'_>, delim: u8, job: &'a Job<'a>) -> anyhow::Result<Made> {
    // The extractor's reader, so rows are numbered and cells read as the map has them.
    let mut reader = formats::csv::Rows::new(formats::text::text_stream(input)?, delim);
    let mut out = RowWriter::new(job, copy_name(job.n, job.part, ".rows.csv"))?;
    let mut headers: Vec<String> = Vec::new();
    let mut rows = 0u64;
    while let Some((row, cells)) = reader.next_row().context("the CSV file could not be read again")? {
        rows = row;
        if row == 1 {
            let unlabelled: Vec<(&str, Option<&str>)> = cells.iter().map(|c| (c.as_str(), None)).collect();
            out.first(&[], &unlabelled)?;
            headers = cells.to_vec();
            continue;
        }
        let with_headers: Vec<(&str, Option<&str>)> = cells
            .iter()
            .enumerate()
            .map(|(c, cell)| (cell.as_str(), headers.get(c).map(String::as_str).filter(|h| !h.is_empty())))
            .collect();
        if let Some(rec) = job.row_wanted("", row, &with_headers) {
            out.row(&[], &with_headers, rec)?;
        }
    }
    let mut note = String::from("only the header and the ");
    let copy = out.finish(&mut note)?;
    let _ = write!(note, " (of {} rows)", super::thousands(rows.saturating_sub(1)));
    Ok(Made::Copies(vec![copy], note))
}

/// The person's rows of a spreadsheet, one CSV per sheet (with the sheet's
/// first row): `row, A, B, C...`.
fn sheet_rows<'a>(input: &Input<'_>, job: &'a Job<'a>) -> anyhow::Result<Made> {
    let mut read = formats::sheet::TableCells::default();
    formats::extract(job.part, input, &mut read, &job.opts.limits).map_err(|e| anyhow::anyhow!("{e}"))?;
    // sheet → row (from 1, as shown) → column (from 0) → (text, header)
    type Cells<'c> = BTreeMap<u32, (&'c str, Option<&'c str>)>;
    let mut sheets: BTreeMap<&str, BTreeMap<u64, Cells<'_>>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for cell in &read.cells {
        let sheet = cell.sheet.as_str();
        if !order.contains(&sheet) {
            order.push(sheet);
        }
        sheets
            .entry(sheet)
            .or_default()
            .entry(u64::from(cell.row) + 1)
            .or_default()
            .insert(cell.col, (cell.text.as_str(), cell.header.as_deref()));
    }
    let mut copies = Vec::new();
    let mut notes = Vec::new();
    for sheet in order {
        let table = &sheets[sheet];
        let columns: std::collections::BTreeSet<u32> = table.values().flat_map(|r| r.keys().copied()).collect();
        let wanted: Vec<(u64, Record)> = table
            .iter()
            .filter(|(row, _)| **row != 1)
            .filter_map(|(row, cells)| {
                let cells: Vec<(&str, Option<&str>)> = cells.values().copied().collect();
                job.row_wanted(sheet, *row, &cells).map(|r| (*row, r))
            })
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let safe: String = sheet.chars().map(|c| if c.is_alphanumeric() || c == '-' { c } else { '_' }).collect();
        let mut out = RowWriter::new(job, copy_name(job.n, job.part, &format!(".{safe}.rows.csv")))?;
        let mut head = vec!["row".to_string()];
        head.extend(columns.iter().map(|&c| formats::column_letters(c)));
        out.plain(&head)?;
        let cells_of = |row: u64| -> Vec<(&str, Option<&str>)> {
            columns.iter().map(|c| table.get(&row).and_then(|r| r.get(c)).copied().unwrap_or(("", None))).collect()
        };
        if table.contains_key(&1) {
            out.first(&["1".to_string()], &cells_of(1))?;
        }
        for (row, record) in wanted {
            out.row(&[row.to_string()], &cells_of(row), record)?;
        }
        let mut note = format!("sheet {sheet}: ");
        copies.push(out.finish(&mut note)?);
        notes.push(note);
    }
    if copies.is_empty() {
        return Ok(Made::Review("the rows about the person are no longer in the spreadsheet".into()));
    }
    Ok(Made::Copies(copies, format!("only each sheet's first row and {}", notes.join("; "))))
}

/// Create a folder (and its parents) readable by its owner only.
fn private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", dir.display()))?;
    }
    // Windows: an ACL for the owner alone, inherited by what is written in it.
    crate::private::owner_only(dir, true).with_context(|| format!("cannot make {} private", dir.display()))?;
    Ok(())
}

/// Create (or replace) a file readable by its owner only.
fn create_private(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

fn write_private(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let mut file = create_private(path)?;
    std::io::Write::write_all(&mut file, data).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The request's header lines: whose, when, what was searched, the deadline.
fn header_lines(opts: &BundleOptions<'_>) -> Vec<(String, String)> {
    let r = opts.request;
    let mut out = vec![
        ("Subject access request for".to_string(), format!("{} (as given)", r.whose)),
        ("Received".to_string(), r.received.format("%-d %B %Y").to_string()),
        (
            "Reply due by".to_string(),
            format!("{} (one calendar month after it was received)", r.deadline.format("%-d %B %Y")),
        ),
        ("Bundle made".to_string(), crate::common::now_text()),
        ("Searched for".to_string(), r.searched.join("; ")),
        (
            "Other people's data".to_string(),
            if opts.redact_others {
                "redacted in every copy".to_string()
            } else {
                "NOT redacted: check every copy before it is sent".to_string()
            },
        ),
    ];
    out.push((
        "Could not be searched".to_string(),
        if r.unsearched.is_empty() {
            "nothing: every file in the data map was read".to_string()
        } else {
            format!(
                "{} files or parts (listed below): the person may be in them; check them by hand",
                r.unsearched.len()
            )
        },
    ));
    out
}

fn index_csv(report: &BundleReport, opts: &BundleOptions<'_>) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for (k, v) in header_lines(opts) {
        w.write_record([format!("# {k}: {v}")])?;
    }
    w.write_record(["file", "what matched", "places", "count", "modified", "copy", "status", "note"])?;
    for r in &report.rows {
        w.write_record([
            &r.file,
            &r.matched,
            &r.places,
            &r.count.to_string(),
            &r.modified,
            &r.copies.join("; "),
            &r.status,
            &r.note,
        ])?;
    }
    for u in &opts.request.unsearched {
        let status = "not searched".to_string();
        w.write_record([&u.path, "", "", "", "", "", &status, &format!("{}: {}", u.status, u.reason)])?;
    }
    for r in &report.residual {
        let what = format!("still holds someone else's {}", r.category);
        w.write_record([&r.copy, &what, &r.location, "", "", &r.copy, "residual", &r.masked])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

fn index_html(report: &BundleReport, opts: &BundleOptions<'_>) -> String {
    let mut s = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Subject access bundle</title>\
         <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}\
         td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#eee}\
         .warn{color:#a00}</style></head><body><h1>Subject access bundle</h1><table>",
    );
    for (k, v) in header_lines(opts) {
        let _ = write!(s, "<tr><th>{}</th><td>{}</td></tr>", esc(&k), esc(&v));
    }
    s.push_str("</table>");
    if report.residual_total > 0 {
        let _ = write!(
            s,
            "<p class=\"warn\"><b>The re-scan still finds {} items of other people's data in the copies (listed at the end): \
             remove them before the bundle is sent.</b></p>",
            report.residual_total
        );
    }
    let _ = write!(
        s,
        "<h2>Files ({})</h2><p>One row per file or part. Copies are in the <code>files</code> folder.</p>",
        report.rows.len()
    );
    s.push_str("<table><tr><th>File</th><th>What matched</th><th>Where</th><th>Places</th><th>Modified</th><th>Copy</th><th>Status</th><th>Note</th></tr>");
    for r in &report.rows {
        let copies: Vec<String> = r.copies.iter().map(|c| format!("<a href=\"{0}\">{0}</a>", esc(c))).collect();
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.file),
            esc(&r.matched),
            esc(&r.places),
            r.count,
            esc(&r.modified),
            copies.join("<br>"),
            esc(&r.status),
            esc(&r.note)
        );
    }
    s.push_str("</table>");
    let unsearched = &opts.request.unsearched;
    if !unsearched.is_empty() {
        let _ = write!(
            s,
            "<h2 class=\"warn\">Could not be searched ({})</h2><p>The person may be in these: check each by hand.</p>\
             <table><tr><th>File</th><th>Why</th></tr>",
            unsearched.len()
        );
        for u in unsearched {
            let _ = write!(s, "<tr><td>{}</td><td>{}: {}</td></tr>", esc(&u.path), esc(&u.status), esc(&u.reason));
        }
        s.push_str("</table>");
    }
    if !report.residual.is_empty() {
        let _ =
            write!(s, "<h2 class=\"warn\">Other people's data still in the copies ({})</h2>", report.residual_total);
        s.push_str("<table><tr><th>Copy</th><th>Where</th><th>What</th><th>Value (masked)</th></tr>");
        for r in &report.residual {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.copy),
                esc(&r.location),
                esc(r.category.as_str()),
                esc(&r.masked)
            );
        }
        s.push_str("</table>");
    }
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_locations() {
        use crate::formats::Loc;
        let csv = Loc::Row { row: 5, col: 1, header: Some("Surname") };
        assert_eq!(csv.table_row(), Some(("", 5)));
        assert_eq!(csv.at("Roberts", 0), "row 5, col Surname");
        let cell = Loc::Cell { sheet: "Sheet1", row: 6, col: 2 };
        assert_eq!(cell.table_row(), Some(("Sheet1", 7)));
        assert_eq!(cell.at("Roberts", 0), "Sheet1!C7");
        assert_eq!(Loc::Lines { prefix: "line", first: 3 }.table_row(), None);
        assert_eq!(Loc::Fixed("Sheet1!C7 comment").table_row(), None);
    }

    #[test]
    fn headers_about_someone_else() {
        assert!(other_person_context(Some("Next of kin phone")));
        assert!(other_person_context(Some("GP")));
        assert!(other_person_context(Some("Emergency contact")));
        assert!(!other_person_context(Some("Phone")));
        assert!(!other_person_context(Some("Groups")));
        assert!(!other_person_context(None));
    }

    #[test]
    fn the_rescan_lists_other_peoples_data_left_in_a_copy_and_not_the_persons_own() {
        let engine = Engine::builtin();
        let key = Key::from_bytes([7; 32]);
        let subject = super::super::Subject { name: Some("Alice Hartley".into()), ..Default::default() };
        let query = Query::new(&subject, &key);
        let own = Own::new(&engine, &query, &key, 0.5);
        let request = Request {
            whose: "Alice Hartley".into(),
            searched: vec![],
            received: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            deadline: chrono::NaiveDate::from_ymd_opt(2025, 2, 1).unwrap(),
            unsearched: vec![],
        };
        let dir = tempfile::tempdir().unwrap();
        let opts = BundleOptions {
            dir: dir.path(),
            redact_others: true,
            limits: Limits::default(),
            min_confidence: 0.5,
            request: &request,
        };
        std::fs::write(
            dir.path().join("a.txt"),
            "Alice Hartley rang from 07700 900111.\n\nBernard Okafor called on 07700 900222.\n",
        )
        .unwrap();
        let mut report = BundleReport::default();
        let mut keep = KeepSet { values: HashSet::new() };
        keep.values.insert((Category::Phone, Category::Phone.normalise("07700 900111")));
        rescan(dir.path(), "a.txt", &keep, &own, &opts, &mut report);
        let left: Vec<(Category, &str)> = report.residual.iter().map(|r| (r.category, r.location.as_str())).collect();
        assert_eq!(left, [(Category::Name, "line 3"), (Category::Phone, "line 3")], "{:?}", report.residual);
        assert_eq!(report.residual_total, 2);
        assert!(report.residual.iter().all(|r| !r.masked.contains("Okafor") && !r.masked.contains("900222")));
    }
}
