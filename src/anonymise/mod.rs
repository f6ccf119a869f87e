//! Anonymised copies: extraction run backwards.
//!
//! For each file under the roots, the writer for its format
//! (`formats/<format>/anonymise.rs`, chosen by [`crate::formats::format`])
//! walks the source the way its reader does, and asks this module, through
//! the [`Rewrite`] trait that [`Work`] implements, for the personal data in
//! each piece of text (the same engine) and what each value becomes (as the
//! [`policy`] says, by [`operators`]); it patches them inside the format's
//! own structure and writes a new file of the same format into a mirror tree
//! (spreadsheets become xlsx). Files no writer supports are not copied, and
//! listed. Sources are opened read-only.
//!
//! Two sources of spans are combined for each piece of text: the engine's
//! hits on the writer's own segments, and every value the scanner found
//! anywhere in the same source file (the file's "known values"), matched
//! exactly. The second catches values the scanner found with context the
//! writer's traversal does not reproduce (a column header in a Word table).
//!
//! After writing, [`verify`] re-scans the copies with the same engine.

pub mod kanon;
pub mod operators;
pub mod people;
pub mod policy;
pub mod verify;

use std::collections::{BTreeMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};

pub use policy::{Operator, Policy};

use crate::detect::{Category, Engine, Hit};
use crate::formats::container::{self, Visit};
use crate::formats::rewrite::{ColumnFate, Rewrite};
use crate::formats::{self, Input, Kind, Limits, Segment};
use crate::keys::Key;

/// Everything a writer needs that is the same for every file of a run.
pub struct Anonymiser<'a> {
    pub engine: &'a Engine,
    pub key: &'a Key,
    pub policy: &'a Policy,
    /// Hits less certain than this are left alone (as `scan` leaves them out).
    pub min_confidence: f32,
    pub limits: &'a Limits,
    /// Values to leave as they are (a subject access bundle keeps the
    /// subject's own data): consulted before any value is replaced. `None`
    /// for anonymise, which replaces everything.
    pub keep: Option<&'a Keep<'a>>,
}

/// Says whether a value found in a file is kept as it is.
pub type Keep<'k> = dyn Fn(Category, &str) -> bool + Sync + 'k;

impl Anonymiser<'_> {
    /// Is this value one to leave as it is?
    pub fn kept(&self, cat: Category, value: &str) -> bool {
        self.keep.is_some_and(|keep| keep(cat, value))
    }

    /// Is `value` already in the form the policy writes? A date of birth
    /// generalised to its year ("date of birth 1985") is found again as a
    /// year of birth, but generalising it again changes nothing.
    pub fn in_policy_form(&self, cat: Category, value: &str) -> bool {
        // Looked up by reference: this runs for every hit.
        match self.policy.categories.get(&cat) {
            Some(op @ Operator::Generalise { .. }) => {
                operators::apply(op, cat, value, self.key, self.policy.pseudonym_hex) == value
            }
            _ => false,
        }
    }
}

/// What the writers' unit tests share: the built-in rules and policy, a
/// fixed key and the default limits, owned here and lent as an [`Anonymiser`].
#[cfg(test)]
pub(crate) struct TestParts {
    engine: Engine,
    key: Key,
    policy: Policy,
    limits: Limits,
}

#[cfg(test)]
impl TestParts {
    pub(crate) fn new() -> TestParts {
        TestParts {
            engine: Engine::builtin(),
            key: Key::from_bytes([3; 32]),
            policy: Policy::builtin(),
            limits: Limits::default(),
        }
    }

    pub(crate) fn anonymiser(&self) -> Anonymiser<'_> {
        Anonymiser {
            engine: &self.engine,
            key: &self.key,
            policy: &self.policy,
            min_confidence: 0.5,
            limits: &self.limits,
            keep: None,
        }
    }
}

pub use crate::formats::rewrite::{Outcome, Span};

/// The values found in a source file, matched exactly in the writers' text.
struct Known {
    matcher: AhoCorasick,
    categories: Vec<Category>,
}

/// Per-file working state: counts of replacements and notes for the summary.
pub struct Work<'a> {
    pub anon: &'a Anonymiser<'a>,
    known: Option<Known>,
    /// Replacements made, by operator name and what was replaced (a
    /// category name, or `column Header`).
    pub counts: BTreeMap<(&'static str, String), u64>,
    /// Things the user must hear about (text removed from a PDF page, parts
    /// not copied).
    pub notes: Vec<String>,
    /// Containers entered so far (attachments of attachments...).
    pub depth: u32,
    /// Bytes taken out of archives for this source file, every level
    /// together (the budget a scan of it shares).
    pub archive_used: formats::zip::anonymise::ArchiveUse,
    hits: Vec<Hit>,
    /// The people named in full in the file: partial mentions of them get
    /// their token (see [`people`]).
    pub(crate) people: people::People,
    /// A hidden file next to the copy for the first copy of a streamed CSV
    /// part, when k-anonymity must read it back (deleted after); `None`:
    /// such a part is copied in memory.
    pub partial: Option<std::path::PathBuf>,
}

impl<'a> Work<'a> {
    /// Working state for one source file, whose known values are found by
    /// scanning `data` (named `name`) first.
    pub fn new(anon: &'a Anonymiser<'a>, name: &str, input: &Input<'_>) -> Work<'a> {
        let collect = KnownCollect { anon, values: HashSet::new(), bytes: 0, left_out: 0 };
        let (collect, _) = container::walk(name, input, collect, anon.limits);
        let left_out = collect.left_out;
        let mut values: Vec<(String, Category)> = collect.values.into_iter().collect();
        values.sort();
        let lists = &anon.engine.lists;
        values.retain(|(v, c)| *c != Category::Name || !people::is_organisation(v, lists));
        let mut people = people::People::default();
        for (v, _) in values.iter().filter(|(_, c)| *c == Category::Name) {
            people.add_full_name(v);
        }
        let known = Known::build(values);
        let mut notes = Vec::new();
        if left_out > 0 {
            notes.push(format!(
                "more than {} MB of different personal values in this file: {left_out} more found after that \
                 are replaced where the detection finds them, but not looked for again elsewhere \
                 in the file (the copy is still checked by scanning it again)",
                MAX_KNOWN_BYTES >> 20
            ));
        }
        Work {
            anon,
            known,
            counts: BTreeMap::new(),
            notes,
            depth: 0,
            archive_used: formats::zip::anonymise::ArchiveUse::default(),
            hits: Vec::new(),
            people,
            partial: None,
        }
    }

    /// Working state without known values: text is read piece by piece
    /// (the rows of a table picked one at a time) and only the engine's hits
    /// are replaced.
    pub fn plain(anon: &'a Anonymiser<'a>) -> Work<'a> {
        Work {
            anon,
            known: None,
            counts: BTreeMap::new(),
            notes: Vec::new(),
            depth: 0,
            archive_used: formats::zip::anonymise::ArchiveUse::default(),
            hits: Vec::new(),
            people: people::People::default(),
            partial: None,
        }
    }

    /// The personal data in a segment: the engine's hits (at or above the
    /// minimum confidence) and exact matches of the file's known values,
    /// without overlaps, in text order.
    pub fn spans(&mut self, seg: &Segment<'_>) -> Vec<Span> {
        let mut hits = std::mem::take(&mut self.hits);
        self.anon.engine.detect_into(seg, &mut hits);
        let mut spans: Vec<Span> = hits
            .iter()
            .filter(|h| h.confidence >= self.anon.min_confidence)
            .filter(|h| !self.anon.in_policy_form(h.category, &seg.text[h.start..h.end]))
            .map(|h| Span { start: h.start, end: h.end, category: h.category })
            .collect();
        // Kept values stay, and no known value is matched inside them.
        let mut kept = Vec::new();
        if self.anon.keep.is_some() {
            spans.retain(|s| {
                let keep = self.anon.kept(s.category, &seg.text[s.start..s.end]);
                if keep {
                    kept.push(*s);
                }
                !keep
            });
        }
        self.hits = hits;
        if let Some(known) = &self.known {
            for m in known.matcher.find_iter(seg.text) {
                let (s, e) = (m.start(), m.end());
                let category = known.categories[m.pattern().as_usize()];
                if word_bounded(seg.text, s, e)
                    && !spans.iter().chain(&kept).any(|x| s < x.end && x.start < e)
                    && !self.anon.kept(category, &seg.text[s..e])
                {
                    spans.push(Span { start: s, end: e, category });
                }
            }
            spans.sort_by_key(|s| (s.start, s.end));
        }
        merge_middle_initials(seg.text, &mut spans);
        // A monitoring column the policy keeps ("Ethnicity") keeps its
        // answers, for equalities figures.
        if let Some(header) = seg.context
            && !self.anon.policy.keep_special_columns.is_empty()
            && let Some(cat) = self.anon.engine.special_column(header)
            && self.anon.policy.keep_special_columns.contains(&cat)
        {
            spans.retain(|s| s.category != cat);
        }
        spans
    }

    /// What a value becomes, counted for the summary.
    /// A name's pseudonym follows the person: a partial mention of someone
    /// named in full in the file gets their token.
    pub fn replace(&mut self, cat: Category, value: &str) -> String {
        if self.anon.kept(cat, value) {
            return value.to_string();
        }
        let op = self.anon.policy.operator(cat);
        *self.counts.entry((op.name(), cat.as_str().to_string())).or_default() += 1;
        if cat == Category::Name
            && let Operator::Pseudonymise { prefix } = &op
        {
            let prefix = prefix.as_deref().unwrap_or(operators::pseudonym_prefix(cat));
            let basis = self.people.basis(value);
            return operators::token(self.anon.key, cat.as_str(), &basis, prefix, self.anon.policy.pseudonym_hex);
        }
        operators::apply(&op, cat, value, self.anon.key, self.anon.policy.pseudonym_hex)
    }

    /// The whole text of a segment with its personal data replaced, or
    /// `None` when there is none.
    pub fn rewrite(&mut self, seg: &Segment<'_>) -> Option<String> {
        let spans = self.spans(seg);
        if spans.is_empty() {
            return None;
        }
        Some(self.apply_spans(seg.text, &spans))
    }

    /// `text` with each span replaced.
    pub fn apply_spans(&mut self, text: &str, spans: &[Span]) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for s in spans {
            out.push_str(&text[at..s.start]);
            let r = self.replace(s.category, &text[s.start..s.end]);
            out.push_str(&r);
            at = s.end;
        }
        out.push_str(&text[at..]);
        out
    }

    /// A whole cell under a column the policy names: `None` to drop the column.
    pub fn policy_cell(&mut self, header: &str, op: &Operator, value: &str) -> Option<String> {
        let out = match op {
            Operator::Drop => return None,
            Operator::Redact { text } => text.clone().unwrap_or_else(|| "[REMOVED]".into()),
            Operator::Mask { keep } => operators::mask_keep_last(value, *keep),
            Operator::Pseudonymise { prefix } => {
                let basis = crate::detect::category::normalise_words(value);
                let label = format!("column:{}", header.trim().to_lowercase());
                let prefix = prefix.as_deref().unwrap_or("Id_");
                operators::token(self.anon.key, &label, &basis, prefix, self.anon.policy.pseudonym_hex)
            }
            Operator::Generalise { .. } => "[REMOVED]".into(),
        };
        *self.counts.entry((op.name(), format!("column {header}"))).or_default() += 1;
        Some(out)
    }

    /// Anonymise a nested file (an attachment, an archive member) by name and
    /// bytes, with the same writers.
    pub fn nested(&mut self, name: &str, data: &[u8]) -> Outcome {
        let nesting = container::Nesting { depth: self.depth, archive_used: self.archive_used.get() };
        if let Err(limit) = nesting.check_enter(self.anon.limits) {
            return Outcome::NotCopied(limit.to_string());
        }
        self.depth += 1;
        let out = anonymise_bytes(self, name, data);
        self.depth -= 1;
        out
    }

    /// Anonymise a nested file of a streamed kind (text, CSV) read from
    /// `input` as it is decompressed, writing its copy to `out` as it is
    /// made: the same writers as for the file on disk, so the copy is the
    /// same. A CSV part that k-anonymity must read back is first written
    /// to the hidden [`Work::partial`] file (in memory without one).
    pub fn nested_stream(&mut self, kind: Kind, input: &Input<'_>, out: &mut dyn std::io::Write) -> Result<(), String> {
        let nesting = container::Nesting { depth: self.depth, archive_used: self.archive_used.get() };
        nesting.check_enter(self.anon.limits).map_err(|e| e.to_string())?;
        self.depth += 1;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match kind {
            Kind::Text => formats::text::anonymise::write_stream(self, input, out).map_err(|e| e.to_string()),
            Kind::Csv(delimiter) => csv_stream(self, input, delimiter, out),
            _ => Err(format!("a {} is not copied as a stream", kind.name())),
        }));
        self.depth -= 1;
        match result {
            Ok(r) => r,
            Err(_) => Err(format!("internal error while anonymising this {} (please report it)", kind.name())),
        }
    }

    /// Note a nested part that was not copied.
    pub fn not_copied(&mut self, name: &str, reason: &str) {
        self.notes.push(format!("not copied: {name}: {reason}"));
    }
}

impl Known {
    fn build(values: Vec<(String, Category)>) -> Option<Known> {
        let values: Vec<(String, Category)> =
            values.into_iter().filter(|(v, _)| v.trim().chars().count() >= 3).collect();
        if values.is_empty() {
            return None;
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(values.iter().map(|(v, _)| v.as_str()))
            .ok()?;
        let categories = values.iter().map(|(_, c)| *c).collect();
        Some(Known { matcher, categories })
    }
}

/// A first name and a surname found apart around a middle initial ("Jane"
/// "A." "Roberts") become one span, so the initial goes with the name.
fn merge_middle_initials(text: &str, spans: &mut Vec<Span>) {
    let mut i = 1;
    while i < spans.len() {
        let (a, b) = (spans[i - 1], spans[i]);
        let gap = text.get(a.end..b.start).unwrap_or("");
        let initial = gap.trim().trim_end_matches('.');
        let joins = a.category == Category::Name
            && b.category == Category::Name
            && gap.starts_with(' ')
            && gap.ends_with(' ')
            && gap.len() <= 5
            && initial.chars().count() == 1
            && initial.chars().all(char::is_uppercase);
        if joins {
            spans[i - 1].end = b.end;
            spans.remove(i);
        } else {
            i += 1;
        }
    }
}

/// Is `text[s..e]` a whole word (not part of a longer word or number)?
fn word_bounded(text: &str, s: usize, e: usize) -> bool {
    let before = text[..s].chars().next_back();
    let after = text[e..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// Collects the values the engine finds in a source file and its parts.
/// Most bytes of distinct values a file's known values hold. They are
/// looked for everywhere in the file with one automaton, whose size grows
/// with them: a 250 MB CSV of 6 million distinct emails and phone numbers
/// took 2.4 GB. Real case files hold far fewer distinct values than this.
const MAX_KNOWN_BYTES: usize = 2 << 20;

struct KnownCollect<'a> {
    anon: &'a Anonymiser<'a>,
    /// Distinct values and their categories.
    values: HashSet<(String, Category)>,
    /// Bytes of the values kept.
    bytes: usize,
    /// Distinct values found past [`MAX_KNOWN_BYTES`] (not kept).
    left_out: u64,
}

impl Visit for KnownCollect<'_> {
    /// The values are all that is kept: a large text or CSV part (a zip
    /// member) is read as it is decompressed.
    fn streams_parts(&self) -> bool {
        true
    }
    fn segment(&mut self, _path: &str, seg: Segment<'_>) {
        for h in self.anon.engine.detect(&seg) {
            if h.confidence < self.anon.min_confidence {
                continue;
            }
            let value = (seg.text[h.start..h.end].to_string(), h.category);
            if self.values.contains(&value) {
                continue;
            }
            if self.bytes + value.0.len() > MAX_KNOWN_BYTES {
                self.left_out += 1;
                continue;
            }
            self.bytes += value.0.len();
            self.values.insert(value);
        }
    }
}

pub use crate::formats::{cannot_anonymise as unsupported, output_name};

/// Anonymise one file or part held in memory, choosing the writer by its
/// sniffed kind.
pub fn anonymise_bytes(work: &mut Work<'_>, name: &str, data: &[u8]) -> Outcome {
    let head = &data[..data.len().min(formats::sniff::HEAD_LEN)];
    let kind = formats::sniff::sniff(name, head);
    if let Some(reason) = unsupported(kind) {
        return Outcome::NotCopied(reason);
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write_kind(work, kind, data)));
    match result {
        Ok(Ok(bytes)) => Outcome::Written { name: output_name(name, kind), data: bytes },
        Ok(Err(e)) => Outcome::NotCopied(e),
        Err(_) => {
            Outcome::NotCopied(format!("internal error while anonymising this {} (please report it)", kind.name()))
        }
    }
}

/// Run the writer for `kind` over `data`.
fn write_kind(work: &mut Work<'_>, kind: Kind, data: &[u8]) -> Result<Vec<u8>, String> {
    let out = match formats::format(kind).write {
        Ok(write) => write(work, data, kind)?,
        Err(_) => return Err(unsupported(kind).unwrap_or_else(|| format!("{}: not supported", kind.name()))),
    };
    let Kind::Csv(delimiter) = kind else { return Ok(out) };
    let change = k_anonymity(work, delimiter, &Input::Bytes(&out))?;
    match change {
        None => Ok(out),
        Some(k) => {
            let mut again = Vec::with_capacity(out.len());
            k.copy(&Input::Bytes(&out), delimiter, &mut again)?;
            Ok(again)
        }
    }
}

/// What k-anonymity changes in a table already written.
struct KChange {
    table: kanon::Table,
    solution: kanon::Solution,
}

impl KChange {
    /// Copy the written table `written` to `out` with its quasi-identifiers
    /// generalised or suppressed, in the same format.
    fn copy(&self, written: &Input<'_>, delimiter: u8, out: &mut dyn std::io::Write) -> Result<(), String> {
        formats::csv::anonymise::copy_rows(written, delimiter, out, &mut |row, cells, utf8| {
            let mut cells = cells.to_vec();
            if row > 1 {
                self.solution.apply(&self.table, &mut cells);
            }
            cells.into_iter().zip(utf8.iter().copied().chain(std::iter::repeat(true))).collect()
        })?;
        Ok(())
    }
}

/// Measure the k-anonymity of a CSV copy already written (`written`), read
/// back a row at a time (see [`kanon`]), with a note for the summary: what
/// to change, or `None` when it already is k-anonymous, has no
/// quasi-identifier column or the policy does not ask.
fn k_anonymity(work: &mut Work<'_>, delimiter: u8, written: &Input<'_>) -> Result<Option<KChange>, String> {
    use chrono::Datelike;
    let Some(settings) = &work.anon.policy.k_anonymity else { return Ok(None) };
    let stream = formats::text::text_stream(written).map_err(|e| e.to_string())?;
    let mut rows = formats::csv::Rows::for_copy(stream, delimiter);
    let read = |e: std::io::Error| format!("cannot read the copy back: {e}");
    let Some((_, header)) = rows.next_row().map_err(read)? else { return Ok(None) };
    let Some(mut table) = kanon::Table::new(header, settings) else { return Ok(None) };
    while let Some((_, cells)) = rows.next_row().map_err(read)? {
        table.add(cells);
    }
    let solution = table.solve(settings, chrono::Local::now().year());
    work.notes.push(solution.outcome.describe(settings.k));
    Ok(solution.outcome.changed().then_some(KChange { table, solution }))
}

/// Stream a CSV file into its copy; then, when the policy asks for
/// k-anonymity and the copy is not, copy it again with its
/// quasi-identifiers generalised (the first copy is a hidden file next to
/// the copy, removed after).
fn write_csv_file(
    work: &mut Work<'_>,
    input: &Input<'_>,
    delimiter: u8,
    out: &std::path::Path,
    force: bool,
) -> Result<bool, String> {
    let write = |work: &mut Work<'_>, w: &mut std::io::BufWriter<std::fs::File>| {
        formats::csv::anonymise::write_stream(work, input, delimiter, w).map_err(std::io::Error::other)
    };
    if work.anon.policy.k_anonymity.is_none() {
        return write_new(out, force, |w| write(work, w));
    }
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let first = out.with_file_name(format!(".{name}.piisweep-partial"));
    let done = (|| {
        write_new(&first, true, |w| write(work, w))?;
        let size = std::fs::metadata(&first).map_err(|e| format!("cannot read {}: {e}", first.display()))?.len();
        let written = Input::File { path: &first, size };
        match k_anonymity(work, delimiter, &written)? {
            None => write_new(out, force, |w| {
                std::io::copy(&mut std::fs::File::open(&first)?, w)?;
                Ok(())
            }),
            Some(k) => write_new(out, force, |w| k.copy(&written, delimiter, w).map_err(std::io::Error::other)),
        }
    })();
    let _ = std::fs::remove_file(&first);
    done
}

/// A CSV part's copy, written to `out` as it is read (see
/// [`Work::nested_stream`]): as [`write_csv_file`] does for a file on disk,
/// with the first copy in the hidden [`Work::partial`] file when
/// k-anonymity must read it back, or in memory when there is none.
fn csv_stream(
    work: &mut Work<'_>,
    input: &Input<'_>,
    delimiter: u8,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    if work.anon.policy.k_anonymity.is_none() {
        return formats::csv::anonymise::write_stream(work, input, delimiter, out);
    }
    let Some(first) = work.partial.clone() else {
        let data = input.bytes(work.anon.limits.max_in_memory).map_err(|e| e.to_string())?;
        let copy = write_kind(work, Kind::Csv(delimiter), &data)?;
        return out.write_all(&copy).map_err(|e| e.to_string());
    };
    let done = (|| {
        write_new(&first, true, |w| {
            formats::csv::anonymise::write_stream(work, input, delimiter, w).map_err(std::io::Error::other)
        })?;
        let size = std::fs::metadata(&first).map_err(|e| format!("cannot read {}: {e}", first.display()))?.len();
        let written = Input::File { path: &first, size };
        let read_back = |e: std::io::Error| format!("cannot read {} back: {e}", first.display());
        match k_anonymity(work, delimiter, &written)? {
            None => std::io::copy(&mut std::fs::File::open(&first).map_err(read_back)?, out)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Some(k) => k.copy(&written, delimiter, out),
        }
    })();
    let _ = std::fs::remove_file(&first);
    done
}

impl Work<'_> {
    /// A file name with the names of people replaced by their pseudonyms: a
    /// first name and surname, in either order, as whole words with any of
    /// space, `_`, `-` or `.` between and around them
    /// (`Jane_Roberts-referral.docx`, `roberts.jane.txt` →
    /// `Person_7F3A9C-referral.docx`, `Person_7F3A9C.txt`). The people are
    /// those named in the file, and any pair of words that is a listed first
    /// name then a listed surname (neither also a common word). The
    /// extension is left alone; a word that merely starts with a name is not
    /// a name.
    pub fn rename(&mut self, file_name: &str) -> String {
        let (stem, ext) = match file_name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() && ext.len() <= 5 => {
                (stem, &file_name[stem.len()..])
            }
            _ => (file_name, ""),
        };
        let mut out = self.rename_words(stem, true);
        out.push_str(ext);
        out
    }

    /// A relative folder path (`Clients/Jane Roberts/`) with the names in its
    /// folders' names replaced. Only name-shaped pairs of words count here,
    /// not the file's own people, so every file of a folder gets the same
    /// folder name.
    /// Where the copy of `source` goes, relative to the output folder: its
    /// folders and `name` (the copy's file name, from the source's) with the
    /// people's names replaced, made a name every system can create.
    fn copy_rel(&mut self, source: &str, name: impl FnOnce(&str) -> String) -> String {
        let (dir, file_name) = match source.rsplit_once('/') {
            Some((d, f)) => (format!("{d}/"), f),
            None => (String::new(), source),
        };
        let folders = self.rename_folders(&dir);
        let file = self.rename(&name(file_name));
        crate::outputs::portable_rel(&format!("{folders}{file}"))
    }

    pub fn rename_folders(&mut self, dir: &str) -> String {
        dir.split('/').map(|c| self.rename_words(c, false)).collect::<Vec<_>>().join("/")
    }

    fn rename_words(&mut self, stem: &str, registry: bool) -> String {
        let is_sep = |c: char| matches!(c, ' ' | '_' | '-' | '.');
        // The stem as alternating words and separators.
        let mut pieces: Vec<(&str, bool)> = Vec::new();
        let (mut start, mut prev) = (0, None);
        for (i, c) in stem.char_indices() {
            let sep = is_sep(c);
            if let Some(p) = prev
                && p != sep
            {
                pieces.push((&stem[start..i], p));
                start = i;
            }
            prev = Some(sep);
        }
        if let Some(p) = prev {
            pieces.push((&stem[start..], p));
        }
        // "ONeill" in a file name is "O'Neill".
        let plain = |w: &str| w.to_lowercase().replace(['\'', '’'], "");
        // (first, surname) as compared, and the full name as the file has it.
        let people: Vec<(String, String, String)> = if registry {
            self.people.first_and_surnames().map(|(f, s)| (plain(f), plain(s), format!("{f} {s}"))).collect()
        } else {
            Vec::new()
        };
        let lists = &self.anon.engine.lists;
        let name_shaped = |first: &str, surname: &str| {
            use crate::detect::rules::NameFlags as F;
            let (f, s) = (lists.flags(first), lists.flags(surname));
            let common = F::STOP | F::AMBIGUOUS;
            f & F::FIRST != 0 && s & F::SUR != 0 && (f | s) & common == 0
        };
        let words: Vec<usize> = (0..pieces.len()).filter(|&i| !pieces[i].1).collect();
        let mut out = String::with_capacity(stem.len());
        let mut next = 0; // next piece to copy
        let mut w = 0;
        while w < words.len() {
            let i = words[w];
            let found = words.get(w + 1).and_then(|&j| {
                let (a, b) = (plain(pieces[i].0), plain(pieces[j].0));
                if let Some((_, _, name)) = people.iter().find(|(f, s, _)| (*f == a && *s == b) || (*s == a && *f == b))
                {
                    return Some((j, name.clone()));
                }
                name_shaped(&a, &b).then(|| (j, format!("{a} {b}")))
            });
            match found {
                Some((j, name)) => {
                    for p in &pieces[next..i] {
                        out.push_str(p.0);
                    }
                    out.push_str(&self.replace(Category::Name, &name));
                    next = j + 1;
                    w += 2;
                }
                None => w += 1,
            }
        }
        for p in &pieces[next..] {
            out.push_str(p.0);
        }
        out
    }
}

impl Rewrite for Work<'_> {
    fn limits(&self) -> &Limits {
        self.anon.limits
    }
    fn spans(&mut self, seg: &Segment<'_>) -> Vec<Span> {
        Work::spans(self, seg)
    }
    fn rewrite(&mut self, seg: &Segment<'_>) -> Option<String> {
        Work::rewrite(self, seg)
    }
    fn replace(&mut self, category: Category, value: &str) -> String {
        Work::replace(self, category, value)
    }
    fn apply_spans(&mut self, text: &str, spans: &[Span]) -> String {
        Work::apply_spans(self, text, spans)
    }
    fn column(&self, header: &str) -> Option<ColumnFate> {
        self.anon.policy.column(header).map(|op| match op {
            Operator::Drop => ColumnFate::Drop,
            _ => ColumnFate::Replace,
        })
    }
    fn column_cell(&mut self, header: &str, value: &str) -> Option<String> {
        let op = self.anon.policy.column(header)?.clone();
        self.policy_cell(header, &op, value)
    }
    fn add_person(&mut self, first: &str, surname: &str) -> Option<usize> {
        self.people.add_parts(first, surname)
    }
    fn set_row_person(&mut self, person: Option<usize>) {
        self.people.set_row(person);
    }
    fn nested(&mut self, name: &str, data: &[u8]) -> Outcome {
        Work::nested(self, name, data)
    }
    fn nested_stream(
        &mut self,
        _name: &str,
        kind: Kind,
        input: &Input<'_>,
        out: &mut dyn std::io::Write,
    ) -> Result<(), String> {
        Work::nested_stream(self, kind, input, out)
    }
    fn rename(&mut self, file_name: &str) -> String {
        Work::rename(self, file_name)
    }
    fn not_copied(&mut self, name: &str, reason: &str) {
        Work::not_copied(self, name, reason)
    }
    fn note(&mut self, message: String) {
        self.notes.push(message);
    }
    fn k_anonymise(&mut self, sheet: Option<&str>, header: &[String], rows: &mut [Vec<String>]) -> bool {
        use chrono::Datelike;
        let Some(settings) = &self.anon.policy.k_anonymity else { return false };
        let this_year = chrono::Local::now().year();
        let Some(outcome) = kanon::apply(header, rows, settings, this_year) else { return false };
        let line = outcome.describe(settings.k);
        self.notes.push(match sheet {
            Some(sheet) => format!("sheet {sheet}: {line}"),
            None => line,
        });
        outcome.changed()
    }
    fn count(&mut self, operator: &'static str, what: String) {
        *self.counts.entry((operator, what)).or_default() += 1;
    }
    fn depth(&self) -> u32 {
        self.depth
    }
    fn nest(&mut self, inward: bool) {
        if inward {
            self.depth += 1;
        } else {
            self.depth -= 1;
        }
    }
    fn archive_used(&self) -> formats::zip::anonymise::ArchiveUse {
        self.archive_used.clone()
    }
}

/// Options of an anonymisation run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub roots: Vec<std::path::PathBuf>,
    /// The mirror tree's root.
    pub out: std::path::PathBuf,
    /// Overwrite existing output files.
    pub force: bool,
    pub walk: crate::walk::WalkOptions,
    /// Worker threads (0 = one per core).
    pub threads: usize,
}

/// What happened to one source file.
#[derive(Debug, Clone, Default)]
pub struct FileResult {
    /// The source, relative to its root (prefixed by the root's name when
    /// several roots are given).
    pub source: String,
    /// The copy, relative to `--out`, when written.
    pub output: Option<String>,
    /// Replacements by operator and what was replaced.
    pub counts: BTreeMap<(&'static str, String), u64>,
    /// Notes (parts not copied, PDF pages whose text was removed).
    pub notes: Vec<String>,
    /// Why the file was not copied on purpose (unsupported, image...).
    pub not_copied: Option<String>,
    /// Why the copy could not be written (exists, I/O error).
    pub error: Option<String>,
    /// Whether the copy was re-scanned (the summary's "verified" counts these).
    pub rescanned: bool,
}

/// The result of a run: each file, then what the re-scan found in the copies.
#[derive(Debug, Default)]
pub struct RunReport {
    pub files: Vec<FileResult>,
    /// Findings in the copies (paths relative to `--out`).
    pub residual: Vec<crate::finding::Finding>,
    /// Residual findings of categories the policy says must be removed.
    pub must_remove_left: usize,
    /// Paths the walk passed over (excluded, links), with the reason.
    pub passed: Vec<(String, String)>,
}

impl RunReport {
    /// Did any file fail to be written?
    pub fn any_failed(&self) -> bool {
        self.files.iter().any(|f| f.error.is_some())
    }
}

/// Anonymise every file under the roots into a mirror tree under `opts.out`,
/// then re-scan the copies.
pub fn run(anon: &Anonymiser<'_>, opts: &RunOptions) -> anyhow::Result<RunReport> {
    run_with_progress(anon, opts, &|_, _| {})
}

/// [`run`], calling `progress(done, total)` as each source file is done
/// (before the re-scan of the copies): the web page's progress bar.
pub fn run_with_progress(
    anon: &Anonymiser<'_>,
    opts: &RunOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<RunReport> {
    use rayon::prelude::*;
    let mut report = RunReport::default();
    let mut jobs: Vec<(crate::walk::FileEntry, String)> = Vec::new();
    for root in &opts.roots {
        let walked = crate::walk::walk(std::slice::from_ref(root), &opts.walk)?;
        let prefix = if opts.roots.len() > 1 && root.is_dir() {
            let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "root".into());
            format!("{name}/")
        } else {
            String::new()
        };
        for p in walked.passed {
            report.passed.push((format!("{prefix}{}", p.rel), p.reason));
        }
        for f in walked.files {
            let source = format!("{prefix}{}", f.rel);
            jobs.push((f, source));
        }
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(opts.threads).build()?;
    let (total, done) = (jobs.len(), std::sync::atomic::AtomicUsize::new(0));
    progress(0, total);
    // Each file a task of its own, as in a sweep (see `scan::each_file`):
    // a few large files never wait in one thread's run of small ones.
    let mut files: Vec<FileResult> = pool.install(|| {
        jobs.par_iter()
            .with_max_len(1)
            .map(|(entry, source)| {
                let r = one_file(anon, opts, entry, source);
                progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, total);
                r
            })
            .collect()
    });
    files.sort_by(|a, b| a.source.cmp(&b.source));
    report.files = files;
    pool.install(|| verify::rescan(anon, opts, &mut report));
    Ok(report)
}

/// Anonymise one source file and write its copy.
fn one_file(anon: &Anonymiser<'_>, opts: &RunOptions, entry: &crate::walk::FileEntry, source: &str) -> FileResult {
    let mut result = FileResult { source: source.to_string(), ..FileResult::default() };
    let input = Input::File { path: &entry.abs, size: entry.size };
    let kind = match input.head(formats::sniff::HEAD_LEN) {
        Ok(head) => formats::sniff::sniff(&entry.rel, &head),
        Err(e) => {
            result.error = Some(e.to_string());
            return result;
        }
    };
    // Streamed formats are copied whatever their size.
    let streamed = matches!(kind, Kind::Mbox | Kind::Text | Kind::Csv(_));
    if entry.size > anon.limits.max_file_size && !streamed {
        result.not_copied = Some(format!("larger than --max-file-size ({} MB)", entry.size >> 20));
        return result;
    }
    if kind == Kind::Pst {
        return outlook_tree(anon, opts, entry, source, &input, result);
    }
    if let Some(reason) = unsupported(kind) {
        result.not_copied = Some(reason);
        return result;
    }
    let mut work = Work::new(anon, &entry.rel, &input);
    let out_name = work.copy_rel(source, |file_name| output_name(file_name, kind));
    let out_path = opts.out.join(&out_name);
    if let Err(e) = crate::outputs::stays_inside(&opts.out, &out_path) {
        result.error = Some(e);
        return result;
    }
    let written = match kind {
        // An mbox is streamed message by message from the source file, text
        // a block of lines at a time, delimited text a row at a time.
        Kind::Mbox => write_mbox_file(&mut work, &input, &out_path, opts.force),
        Kind::Text => {
            write_new(&out_path, opts.force, |w| formats::text::anonymise::write_stream(&mut work, &input, w))
        }
        Kind::Csv(delimiter) => write_csv_file(&mut work, &input, delimiter, &out_path, opts.force),
        // A zip archive's copy is written to its file as it is made, its
        // large text and CSV members a block or a row at a time.
        Kind::Zip => match input.bytes(anon.limits.max_in_memory) {
            Err(e) => {
                result.not_copied = Some(e.to_string());
                Ok(false)
            }
            Ok(data) => {
                let name = out_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                work.partial = Some(out_path.with_file_name(format!(".{name}.member.piisweep-partial")));
                write_zip_file(&mut work, &data, &out_path, opts.force, &mut result)
            }
        },
        _ => match input.bytes(anon.limits.max_in_memory) {
            Err(e) => {
                result.not_copied = Some(e.to_string());
                Ok(false)
            }
            Ok(data) => match anonymise_bytes(&mut work, &entry.rel, &data) {
                Outcome::NotCopied(reason) => {
                    result.not_copied = Some(reason);
                    Ok(false)
                }
                Outcome::Written { data, .. } => write_new(&out_path, opts.force, |f| {
                    use std::io::Write;
                    f.write_all(&data)
                }),
            },
        },
    };
    match written {
        Ok(true) => result.output = Some(out_name),
        Ok(false) => {}
        Err(e) => result.error = Some(e),
    }
    if kind == Kind::Doc && result.output.is_some() {
        work.notes.push(
            "written as .docx (a Word 97-2003 file cannot be rewritten in place): its text, tables, notes \
             and comments, without the formatting or pictures"
                .into(),
        );
    }
    result.counts = work.counts;
    result.notes = work.notes;
    result
}

/// An Outlook data file, copied as a folder tree of anonymised `.eml` files
/// (one per item, in folders named after the store's): there is no writer
/// of PST files.
fn outlook_tree(
    anon: &Anonymiser<'_>,
    opts: &RunOptions,
    entry: &crate::walk::FileEntry,
    source: &str,
    input: &Input<'_>,
    mut result: FileResult,
) -> FileResult {
    let mut work = Work::new(anon, &entry.rel, input);
    let out_name = work.copy_rel(source, formats::pst::anonymise::tree_name);
    let out_dir = opts.out.join(&out_name);
    if let Err(e) = crate::outputs::stays_inside(&opts.out, &out_dir) {
        result.error = Some(e);
        return result;
    }
    let mut write = |rel: &str, data: &[u8]| -> Result<(), String> {
        let path = out_dir.join(crate::outputs::portable_rel(rel));
        crate::outputs::stays_inside(&opts.out, &path)?;
        write_new(&path, opts.force, |f| std::io::Write::write_all(f, data)).map(|_| ())
    };
    match formats::pst::anonymise::write_tree(&mut work, input, &mut write) {
        Ok(0) => result.not_copied = Some("no item of this Outlook data file could be copied".into()),
        Ok(n) => {
            result.output = Some(out_name);
            work.notes.push(format!(
                "written as {n} .eml files, one per item, in folders named after the Outlook folders: \
                 Outlook imports them when they are dragged into one of its folders"
            ));
        }
        Err(e) => result.not_copied = Some(e),
    }
    result.counts = work.counts;
    result.notes = work.notes;
    result
}

/// Create `path` (and its folders) and fill it, refusing to overwrite an
/// existing file unless `force`. A failed write leaves no partial file.
fn write_new(
    path: &std::path::Path,
    force: bool,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<bool, String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    // An earlier copy is replaced by a new file, never written through: a
    // link (hard or symbolic) at its name leaves what it points to untouched.
    if force
        && let Ok(md) = std::fs::symlink_metadata(path)
        && !md.is_dir()
    {
        std::fs::remove_file(path).map_err(|e| format!("cannot replace {}: {e}", path.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    let file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!("{} already exists: not overwritten (use --force)", path.display())
        } else {
            format!("cannot create {}: {e}", path.display())
        }
    })?;
    let mut w = std::io::BufWriter::new(file);
    let done = fill(&mut w).and_then(|()| std::io::Write::flush(&mut w));
    if let Err(e) = done {
        drop(w);
        let _ = std::fs::remove_file(path);
        return Err(format!("cannot write {}: {e}", path.display()));
    }
    Ok(true)
}

/// Write a zip archive's copy to `out` as it is made. When the archive
/// cannot be copied (an encrypted member, its budget of uncompressed bytes
/// spent), nothing is left at `out` and the reason goes to
/// `result.not_copied`, as for any file held in memory.
fn write_zip_file(
    work: &mut Work<'_>,
    data: &[u8],
    out: &std::path::Path,
    force: bool,
    result: &mut FileResult,
) -> Result<bool, String> {
    let mut failure = None;
    let written = write_new(out, force, |w| {
        let copied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            formats::zip::anonymise::write_to(work, data, &mut *w)
        }));
        let reason = match copied {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(reason)) => reason,
            Err(_) => "internal error while anonymising this zip (please report it)".to_string(),
        };
        failure = Some(reason);
        Err(std::io::Error::other("not copied"))
    });
    match failure {
        Some(reason) => {
            result.not_copied = Some(reason);
            Ok(false)
        }
        None => written,
    }
}

/// Stream an mbox file into its copy.
fn write_mbox_file(work: &mut Work<'_>, input: &Input<'_>, out: &std::path::Path, force: bool) -> Result<bool, String> {
    let mut reader = input.reader().map_err(|e| e.to_string())?;
    write_new(out, force, |w| formats::mail::anonymise::write_mbox(work, &mut reader, w))
}
