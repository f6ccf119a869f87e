//! The subject access bundle: copies of what the map found about a person,
//! with an index (HTML and CSV).
//!
//! Sources are only read. Each matching document is copied; a part inside a
//! container is taken out of it (an mbox message as its own `.eml`, a zip
//! member, an attachment); a spreadsheet or CSV gives only the rows about the
//! person, as CSV. With `redact_others`, text and CSV copies have other
//! people's personal data masked (found by running detection again); other
//! formats are copied as they are and the index says so.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{FileMatch, Query};
use crate::detect::{Category, Engine};
use crate::extract::{self, Collect, Input, Kind, Limits, Segment};
use crate::keys::Key;

/// What to write and how.
pub struct BundleOptions<'a> {
    pub dir: &'a Path,
    pub redact_others: bool,
    pub limits: Limits,
}

/// One line of the index.
#[derive(Debug, Clone)]
pub struct IndexRow {
    pub file: String,
    pub location: String,
    pub matched: String,
    pub modified: String,
    /// The copy in the bundle, relative to it (empty if none could be made).
    pub copy: String,
    pub note: String,
}

/// Write the bundle for `matches` (likely ones only) into `opts.dir`.
/// Returns the index rows.
pub fn write(
    matches: &[FileMatch],
    query: &Query,
    key: &Key,
    engine: &Engine,
    opts: &BundleOptions<'_>,
) -> anyhow::Result<Vec<IndexRow>> {
    let files_dir = opts.dir.join("files");
    std::fs::create_dir_all(&files_dir).with_context(|| format!("cannot create {}", files_dir.display()))?;
    let redactor = Redactor { engine, query, key };
    let mut index = Vec::new();
    let mut n = 0usize;
    for m in matches.iter().filter(|m| m.likely()) {
        let changed = changed_note(m);
        let mut by_part: BTreeMap<&str, Vec<&super::Hit>> = BTreeMap::new();
        // Places that are probably someone else's stay out of the bundle.
        for h in m.hits.iter().filter(|h| h.evidence != super::Evidence::SurnameOtherFirstName) {
            by_part.entry(h.path.as_str()).or_default().push(h);
        }
        for (part, hits) in by_part {
            n += 1;
            let job = Job {
                part,
                n,
                out: &files_dir,
                opts,
                redactor: &redactor,
                rows: hits.iter().filter_map(|h| row_of(&h.location)).collect(),
                changed: changed.is_some(),
            };
            let (copy, mut note) = match copy_part(m, &job) {
                Ok((name, note)) => (format!("files/{name}"), note),
                Err(e) => (String::new(), format!("no copy could be made: {e:#}")),
            };
            if let Some(c) = &changed {
                note = if note.is_empty() { c.clone() } else { format!("{c}; {note}") };
            }
            for h in hits {
                index.push(IndexRow {
                    file: part.to_string(),
                    location: h.location.clone(),
                    matched: h.what.to_string(),
                    modified: m.modified.clone(),
                    copy: copy.clone(),
                    note: note.clone(),
                });
            }
        }
    }
    write_index_csv(&opts.dir.join("index.csv"), &index)?;
    std::fs::write(opts.dir.join("index.html"), index_html(&index))
        .with_context(|| format!("cannot write {}", opts.dir.join("index.html").display()))?;
    Ok(index)
}

/// Has the file changed on disk since the map recorded it?
fn changed_note(m: &FileMatch) -> Option<String> {
    let meta = match std::fs::metadata(&m.abs) {
        Ok(meta) => meta,
        Err(_) => return Some("the file is no longer there: nothing copied".into()),
    };
    let now_ns = crate::map::time_ns(meta.modified().ok());
    let content = crate::map::content_hash(Path::new(&m.abs)).ok();
    let changed = meta.len() as i64 != m.size
        || now_ns != m.modified_ns
        || (m.content_hash.is_some() && content.is_some() && content != m.content_hash);
    changed.then(|| {
        format!(
            "changed since the scan (then modified {}, now {}): the copy is the current version; rescan and check it",
            m.modified,
            crate::map::date_text(now_ns)
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
    redactor: &'a Redactor<'a>,
    /// Table rows the map located the person in: (sheet, row).
    rows: BTreeSet<(String, u64)>,
    /// The file changed since the scan: the map's rows may have moved, so
    /// rows are picked by re-reading only.
    changed: bool,
}

/// Copy (or take rows from) one file or part. Returns the copy's name and a note.
fn copy_part(m: &FileMatch, job: &Job<'_>) -> anyhow::Result<(String, String)> {
    let mut chain = job.part.split('!');
    chain.next();
    let inner: Vec<&str> = chain.collect();
    let file = extract::input::open_readonly(Path::new(&m.abs)).with_context(|| format!("cannot read {}", m.abs))?;
    let size = file.metadata()?.len();
    if inner.is_empty() {
        let input = Input::File { path: Path::new(&m.abs), size };
        return write_copy(&input, job);
    }
    drop(file);
    if size > job.opts.limits.max_in_memory {
        anyhow::bail!("the container is larger than the in-memory limit");
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut extract::input::open_readonly(Path::new(&m.abs))?, &mut bytes)?;
    let mut name = m.path.clone();
    let mut parent = Kind::Text;
    for component in &inner {
        parent = sniff_bytes(&name, &bytes);
        bytes = take_part(&name, &bytes, component, &job.opts.limits)?;
        name = component.to_string();
    }
    let input = Input::Bytes(&bytes);
    if parent == Kind::Mbox {
        // An mbox message stands alone as a .eml file.
        return write_text_copy(&input, job, ".eml");
    }
    write_copy(&input, job)
}

fn sniff_bytes(name: &str, bytes: &[u8]) -> Kind {
    extract::sniff::sniff(name, &bytes[..bytes.len().min(extract::sniff::HEAD_LEN)])
}

/// The bytes of part `component` inside the container `bytes` (named `name`).
fn take_part(name: &str, bytes: &[u8], component: &str, limits: &Limits) -> anyhow::Result<Vec<u8>> {
    let mut collect = Collect::default();
    let extracted = extract::extract(name, &Input::Bytes(bytes), &mut collect, limits);
    if let Some((_, data)) = collect.parts.into_iter().find(|(n, _)| n == component) {
        return Ok(data);
    }
    match sniff_bytes(name, bytes) {
        Kind::Mbox => {
            let index: usize = component.parse().context("an mbox part is a message number")?;
            mbox_message(bytes, index).with_context(|| format!("message {index} is not in the mbox"))
        }
        Kind::Zip => zip_member(bytes, component),
        _ => match extracted {
            Err(e) => Err(anyhow::anyhow!("cannot open {name}: {e}")),
            Ok(_) => Err(anyhow::anyhow!("{component} is no longer inside {name}")),
        },
    }
}

/// The `index`th message (from 1) of an mbox: split on lines starting `From `.
pub fn mbox_message(bytes: &[u8], index: usize) -> Option<Vec<u8>> {
    let mut starts = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at..].starts_with(b"From ") {
            starts.push(at);
        }
        match bytes[at..].iter().position(|&b| b == b'\n') {
            Some(p) => at += p + 1,
            None => break,
        }
    }
    let start = *starts.get(index.checked_sub(1)?)?;
    let end = starts.get(index).copied().unwrap_or(bytes.len());
    let msg = &bytes[start..end];
    // Drop the mbox `From ` separator line: the .eml starts at its headers.
    let body_start = msg.iter().position(|&b| b == b'\n').map_or(msg.len(), |p| p + 1);
    Some(msg[body_start..].to_vec())
}

fn zip_member(bytes: &[u8], name: &str) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).context("not a readable zip")?;
    let mut member = archive.by_name(name).with_context(|| format!("{name} is not in the archive"))?;
    let mut out = Vec::new();
    member.by_ref().take(1 << 30).read_to_end(&mut out)?;
    Ok(out)
}

/// Write the copy of one input according to its type.
fn write_copy(input: &Input<'_>, job: &Job<'_>) -> anyhow::Result<(String, String)> {
    let head = input.head(extract::sniff::HEAD_LEN)?;
    let kind = extract::sniff::sniff(job.part, &head);
    match kind {
        Kind::Csv(delim) => csv_rows(input, delim, job),
        Kind::Xlsx | Kind::Xls | Kind::Ods => sheet_rows(input, job),
        Kind::Text | Kind::Eml => write_text_copy(input, job, ""),
        _ => {
            let name = copy_name(job.n, job.part, "");
            plain_copy(input, &job.out.join(&name))?;
            let note = if job.opts.redact_others {
                format!("copied as is: piisweep cannot redact {} files; check other people's data by hand", kind.name())
            } else {
                String::new()
            };
            Ok((name, note))
        }
    }
}

/// Copy the input's bytes unchanged (streamed for files on disk).
fn plain_copy(input: &Input<'_>, to: &Path) -> anyhow::Result<()> {
    let mut file = std::fs::File::create(to).with_context(|| format!("cannot create {}", to.display()))?;
    match input {
        Input::Bytes(b) => std::io::Write::write_all(&mut file, b)?,
        Input::File { .. } => {
            std::io::copy(&mut input.reader()?, &mut file)?;
        }
    }
    Ok(())
}

/// The (scope, row) of a table location: `row 5, col X` → ("", 5); `Sheet1!C7` → ("Sheet1", 7).
fn row_of(location: &str) -> Option<(String, u64)> {
    if let Some(rest) = location.strip_prefix("row ") {
        return rest.split(',').next()?.trim().parse().ok().map(|r| (String::new(), r));
    }
    let (sheet, cell) = location.rsplit_once('!')?;
    let digits: String = cell.chars().skip_while(|c| c.is_ascii_alphabetic()).collect();
    digits.parse().ok().map(|r| (sheet.to_string(), r))
}

/// A text copy, redacted when asked.
fn write_text_copy(input: &Input<'_>, job: &Job<'_>, suffix: &str) -> anyhow::Result<(String, String)> {
    let name = copy_name(job.n, job.part, suffix);
    if !job.opts.redact_others {
        plain_copy(input, &job.out.join(&name))?;
        return Ok((name, String::new()));
    }
    let bytes = input.bytes(job.opts.limits.max_in_memory)?;
    let text = String::from_utf8_lossy(&bytes);
    let (redacted, masked) = job.redactor.redact_text(&text);
    std::fs::write(job.out.join(&name), redacted)?;
    Ok((name, format!("{masked} items of other people's personal data masked")))
}

impl Job<'_> {
    /// Is this table row about the person: located by the map (if the file
    /// is unchanged), or holding one of their identifiers or their full name
    /// when read again?
    fn row_wanted(&self, key: &(String, u64), cells: &[(&str, Option<&str>)]) -> bool {
        (!self.changed && self.rows.contains(key))
            || cells.iter().any(|(text, header)| self.redactor.names_subject(text, *header))
    }

    /// A cell's text, with other people's data masked if asked.
    fn cell(&self, text: &str, header: Option<&str>, masked: &mut usize) -> String {
        if !self.opts.redact_others {
            return text.to_string();
        }
        let (r, k) = self.redactor.redact(Segment::fixed("cell", text, header));
        *masked += k;
        r
    }
}

/// Header row and the person's rows of a CSV file, as CSV.
fn csv_rows(input: &Input<'_>, delim: u8, job: &Job<'_>) -> anyhow::Result<(String, String)> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(extract::text::utf8_stream(input.reader()?));
    let name = copy_name(job.n, job.part, ".rows.csv");
    let mut writer = csv::Writer::from_path(job.out.join(&name))?;
    let mut headers: Vec<String> = Vec::new();
    let (mut masked, mut kept) = (0, 0);
    for (i, record) in reader.byte_records().enumerate() {
        let record = record.context("the CSV file could not be read again")?;
        let row = i as u64 + 1;
        let cells: Vec<String> = record.iter().map(|c| extract::text::decode_line(c).into_owned()).collect();
        if row == 1 {
            headers = cells.clone();
            writer.write_record(&cells)?;
            continue;
        }
        let with_headers: Vec<(&str, Option<&str>)> = cells
            .iter()
            .enumerate()
            .map(|(c, cell)| (cell.as_str(), headers.get(c).map(String::as_str).filter(|h| !h.is_empty())))
            .collect();
        if !job.row_wanted(&(String::new(), row), &with_headers) {
            continue;
        }
        kept += 1;
        let out: Vec<String> = with_headers.iter().map(|(t, h)| job.cell(t, *h, &mut masked)).collect();
        writer.write_record(&out)?;
    }
    writer.flush()?;
    let mut note = format!("only the header and the {kept} rows about the person");
    if job.opts.redact_others {
        let _ = write!(note, "; {masked} items of other people's personal data masked");
    }
    Ok((name, note))
}

/// The person's rows of a spreadsheet (with each sheet's first row), as CSV:
/// `sheet, row, A, B, C...`.
fn sheet_rows(input: &Input<'_>, job: &Job<'_>) -> anyhow::Result<(String, String)> {
    let mut collect = Collect::default();
    extract::extract(job.part, input, &mut collect, &job.opts.limits).map_err(|e| anyhow::anyhow!("{e}"))?;
    // (sheet, row) → (column width, letters) → (text, header)
    type Cells<'c> = BTreeMap<(usize, String), (&'c str, Option<&'c str>)>;
    let mut table: BTreeMap<(String, u64), Cells<'_>> = BTreeMap::new();
    for (loc, text, header) in &collect.segments {
        let Some(key) = row_of(loc) else { continue };
        let col: String = loc
            .rsplit_once('!')
            .map(|(_, c)| c.chars().take_while(char::is_ascii_alphabetic).collect())
            .unwrap_or_default();
        table.entry(key).or_default().insert((col.len(), col), (text.as_str(), header.as_deref()));
    }
    table.retain(|key, cells| key.1 == 1 || job.row_wanted(key, &cells.values().copied().collect::<Vec<_>>()));
    let columns: BTreeSet<(usize, String)> = table.values().flat_map(|r| r.keys().cloned()).collect();
    let name = copy_name(job.n, job.part, ".rows.csv");
    let mut writer = csv::Writer::from_path(job.out.join(&name))?;
    let mut head = vec!["sheet".to_string(), "row".to_string()];
    head.extend(columns.iter().map(|c| c.1.clone()));
    writer.write_record(&head)?;
    let mut masked = 0;
    for ((sheet, row), cells) in &table {
        let mut rec = vec![sheet.clone(), row.to_string()];
        rec.extend(
            columns.iter().map(|c| cells.get(c).map_or_else(String::new, |(t, h)| job.cell(t, *h, &mut masked))),
        );
        writer.write_record(&rec)?;
    }
    writer.flush()?;
    let mut note = "only each sheet's first row and the rows about the person".to_string();
    if job.opts.redact_others {
        let _ = write!(note, "; {masked} items of other people's personal data masked");
    }
    Ok((name, note))
}

/// Masks personal data that is not the subject's.
struct Redactor<'a> {
    engine: &'a Engine,
    query: &'a Query,
    key: &'a Key,
}

impl Redactor<'_> {
    /// Is this value the subject's own?
    fn is_subject(&self, category: Category, value: &str) -> bool {
        let hash = self.key.hash(&category.normalise(value));
        if category != Category::Name {
            return self.query.idents.contains_key(&hash);
        }
        if self.query.full_names.contains(&hash) {
            return true;
        }
        let own = [&self.query.first, &self.query.last, &self.query.first_initial];
        let words = crate::map::name_words(value);
        !words.is_empty() && words.iter().all(|(_, w)| own.iter().any(|o| o.as_deref() == Some(&self.key.hash(w))))
    }

    /// Does this cell hold one of the person's identifiers or their full name?
    fn names_subject(&self, text: &str, header: Option<&str>) -> bool {
        self.engine.detect(&Segment::fixed("cell", text, header)).iter().any(|h| {
            let value = &text[h.start..h.end];
            let hash = self.key.hash(&h.category.normalise(value));
            self.query.idents.contains_key(&hash) || self.query.full_names.contains(&hash)
        })
    }

    /// Redact running text the way the scanner reads it: blocks of lines
    /// split at blank lines, so context words on nearby lines count.
    fn redact_text(&self, text: &str) -> (String, usize) {
        let mut out = String::with_capacity(text.len());
        let mut block: Vec<(&str, &str)> = Vec::new();
        let mut first = 1u64;
        let mut masked = 0;
        let mut flush = |block: &mut Vec<(&str, &str)>, first: u64, out: &mut String| {
            if block.is_empty() {
                return;
            }
            let joined = block.iter().map(|(body, _)| *body).collect::<Vec<_>>().join("\n");
            let (r, k) = self.redact(Segment::lines("line", first, &joined));
            masked += k;
            let lines: Vec<&str> = r.split('\n').collect();
            if lines.len() == block.len() {
                for (line, (_, end)) in lines.iter().zip(block.iter()) {
                    out.push_str(line);
                    out.push_str(end);
                }
            } else {
                out.push_str(&r);
                out.push_str(block.last().map_or("", |b| b.1));
            }
            block.clear();
        };
        for (i, line) in text.split_inclusive('\n').enumerate() {
            let body = line.trim_end_matches(['\n', '\r']);
            let end = &line[body.len()..];
            if body.trim().is_empty() || block.len() >= extract::text::BLOCK_LINES {
                flush(&mut block, first, &mut out);
            }
            if body.trim().is_empty() {
                out.push_str(line);
                continue;
            }
            if block.is_empty() {
                first = i as u64 + 1;
            }
            block.push((body, end));
        }
        flush(&mut block, first, &mut out);
        (out, masked)
    }

    /// The segment's text with other people's data replaced by `[category]`,
    /// and how many items were masked.
    fn redact(&self, seg: Segment<'_>) -> (String, usize) {
        let hits = self.engine.detect(&seg);
        let mut out = String::with_capacity(seg.text.len());
        let mut at = 0;
        let mut count = 0;
        for h in hits {
            let value = &seg.text[h.start..h.end];
            if self.is_subject(h.category, value) {
                continue;
            }
            out.push_str(&seg.text[at..h.start]);
            let _ = write!(out, "[{}]", h.category.as_str());
            at = h.end;
            count += 1;
        }
        out.push_str(&seg.text[at..]);
        (out, count)
    }
}

fn write_index_csv(path: &PathBuf, rows: &[IndexRow]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    w.write_record(["file", "location", "what matched", "modified", "copy", "note"])?;
    for r in rows {
        w.write_record([&r.file, &r.location, &r.matched, &r.modified, &r.copy, &r.note])?;
    }
    w.flush()?;
    Ok(())
}

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn index_html(rows: &[IndexRow]) -> String {
    let mut s = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Subject access bundle</title>\
         <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#eee}</style>\
         </head><body><h1>Subject access bundle</h1>",
    );
    let files: BTreeSet<&str> = rows.iter().map(|r| r.file.as_str()).collect();
    let _ = write!(
        s,
        "<p>Made {} by piisweep. {} places in {} files or parts. Copies are in the <code>files</code> folder.</p>",
        esc(&crate::map::now_text()),
        rows.len(),
        files.len()
    );
    s.push_str("<table><tr><th>File</th><th>Location</th><th>What matched</th><th>Modified</th><th>Copy</th><th>Note</th></tr>");
    for r in rows {
        let copy = if r.copy.is_empty() { String::new() } else { format!("<a href=\"{0}\">{0}</a>", esc(&r.copy)) };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.file),
            esc(&r.location),
            esc(&r.matched),
            esc(&r.modified),
            copy,
            esc(&r.note)
        );
    }
    s.push_str("</table></body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_an_mbox() {
        let mbox = b"From a@x Mon Jan 1 00:00:00 2024\nSubject: one\n\nhi\nFrom b@x Tue Jan 2 00:00:00 2024\nSubject: two\n\nbye\n";
        assert_eq!(mbox_message(mbox, 1).unwrap(), b"Subject: one\n\nhi\n");
        assert_eq!(mbox_message(mbox, 2).unwrap(), b"Subject: two\n\nbye\n");
        assert!(mbox_message(mbox, 3).is_none());
        assert!(mbox_message(mbox, 0).is_none());
    }

    #[test]
    fn takes_parts_out_of_containers() {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("HR/list.csv", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(b"Name\nJane Roberts\n").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let limits = Limits::default();
        assert_eq!(take_part("a.zip", &bytes, "HR/list.csv", &limits).unwrap(), b"Name\nJane Roberts\n");
        assert!(take_part("a.zip", &bytes, "HR/other.csv", &limits).is_err());
        let mbox = b"From a@x Mon Jan 1 00:00:00 2024\nSubject: one\n\nhi\nFrom b@x Tue Jan 2 00:00:00 2024\nSubject: two\n\nbye\n";
        assert_eq!(take_part("export.mbox", mbox, "2", &limits).unwrap(), b"Subject: two\n\nbye\n");
    }

    #[test]
    fn rows_of_locations() {
        assert_eq!(row_of("row 5, col Surname"), Some((String::new(), 5)));
        assert_eq!(row_of("Sheet1!C7"), Some(("Sheet1".into(), 7)));
        assert_eq!(row_of("line 3"), None);
    }
}
