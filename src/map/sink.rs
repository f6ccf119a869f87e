//! Writing a sweep into the map, and deciding which files need reading.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

use super::store::{self, Ids, Names};
use super::{Map, now_text, time_ns};
use crate::finding::{Counts, Finding, Location};
use crate::keys::{Hash, Key};
use crate::scan::{BATCH, Batches, FileReport, Sink, Status};
use crate::walk::FileEntry;
use compact_str::CompactString;

/// The names `Kind::name` gives, to rebuild a report's `&'static str` kind.
pub(super) const KIND_NAMES: &[&str] = &[
    "text",
    "html",
    "csv",
    "xlsx",
    "xls",
    "ods",
    "pdf",
    "docx",
    "odt",
    "rtf",
    "eml",
    "mbox",
    "msg",
    "zip",
    "encrypted",
    "other",
];

/// Commits come when a file is finished, after [`BATCH_FILES`] files or
/// [`BATCH_TIME`]; within a file only after [`BATCH_FINDINGS`] findings.
///
/// Findings of a file not finished are worth nothing after a stop (the file
/// is read again), and each commit writes every index page dirtied since the
/// last: the hash and word indexes take inserts in random order, so
/// committing every few thousand findings rewrote most of those indexes
/// each time (a 1.3 million finding CSV spent 20 s of its 22 s there).
const BATCH_FILES: usize = 200;
const BATCH_FINDINGS: usize = 4_000_000;
const BATCH_TIME: Duration = Duration::from_secs(2);

/// The writer's page cache (KiB, as SQLite's negative `cache_size`): the
/// hash and word indexes take inserts in random order, so their pages are
/// kept in memory.
const WRITE_CACHE_KIB: i64 = -65536;
/// The page cache while the search indexes are made at the end of a first
/// sweep (see [`MapSink::remake_indexes`]).
const SORT_CACHE_KIB: i64 = -2048;

/// A scanned root: as given on the command line, and absolute.
#[derive(Debug, Clone)]
pub(super) struct Root {
    pub(super) given: PathBuf,
    pub(super) abs: PathBuf,
    pub(super) is_file: bool,
}

/// Which root a file belongs to and its absolute path, as map keys.
pub(super) fn locate(roots: &[Root], abs: &Path, rel: &str) -> Option<(String, String)> {
    let root = roots.iter().filter(|r| abs.starts_with(&r.given)).max_by_key(|r| r.given.as_os_str().len())?;
    let file = if root.is_file { root.abs.clone() } else { root.abs.join(rel) };
    Some((root.abs.to_string_lossy().into_owned(), file.to_string_lossy().into_owned()))
}

/// The host a file under `root` (absolute) is recorded with: this node's
/// name, or none (`''`) for a share named by a UNC path (`\\server\share`),
/// which every node reaches alike, so that a second node sweeping it resumes
/// the first one's work rather than recording every file again.
pub fn file_host(root: &Path, node: &str) -> String {
    let s = root.to_string_lossy();
    let unc = s.starts_with(r"\\") && !s.starts_with(r"\\?\") || s.starts_with(r"\\?\UNC\");
    if unc { String::new() } else { node.to_string() }
}

pub(super) fn roots_of(given: &[PathBuf]) -> Vec<Root> {
    given.iter().map(|g| Root { given: g.clone(), abs: crate::outputs::resolve(g), is_file: g.is_file() }).collect()
}

/// What the map holds about a file from an earlier run.
#[derive(Debug, Clone)]
struct Known {
    id: i64,
    size: i64,
    modified: Option<i64>,
    settings: String,
    status: String,
    kind: String,
    /// Findings by category (`files.counts`); `None` in a converted schema 1 map.
    counts: Option<String>,
    has_parts: bool,
}

/// State shared between the reuse check (on worker threads) and the sink.
#[derive(Default)]
struct Shared {
    /// Absolute paths whose findings are being handed on from the map, not
    /// read (added before the first batch, removed by the sink at the report).
    reused: Mutex<HashSet<String>>,
    /// Content hashes computed for files that were read.
    content: Mutex<HashMap<String, String>>,
}

/// Decides, per file, whether the map's record can stand in for reading it.
pub struct Reuse {
    roots: Vec<Root>,
    known: HashMap<String, Known>,
    settings: String,
    /// Read-only connections, one per thread rebuilding a file at a time.
    readers: Mutex<Vec<Connection>>,
    path: PathBuf,
    names: Names,
    /// Hand an unchanged file's findings on (something needs them, such as
    /// `--jsonl`); otherwise only its report is made, from its row.
    hand_on: bool,
    shared: Arc<Shared>,
}

impl Reuse {
    /// A file is reused when it was completely read under the same settings,
    /// is not gone, and has the same size and modified time: its recorded
    /// findings are handed to `out` in batches and its report returned.
    /// Otherwise its content hash is computed for the record and `None`
    /// returned (read it).
    pub fn check(&self, entry: &FileEntry, out: Batches<'_>) -> Option<FileReport> {
        let (_, abs) = locate(&self.roots, &entry.abs, &entry.rel)?;
        let same = self.known.get(&abs).filter(|k| {
            k.status == "scanned"
                && k.settings == self.settings
                && k.size == entry.size as i64
                && k.modified.is_some()
                && k.modified == time_ns(entry.modified)
        });
        if let Some(k) = same
            && let Some(report) = self.rebuild(k, abs.clone(), entry, out)
        {
            return Some(report);
        }
        if let Ok(h) = super::content_hash(&entry.abs) {
            self.shared.content.lock().expect("content lock").insert(abs, h);
        }
        None
    }

    /// Whether to hand on unchanged files' findings (see [`Reuse::check`]).
    pub fn hand_on_findings(&mut self, yes: bool) {
        self.hand_on = yes;
    }

    /// A reader connection for this thread, returned with [`Reuse::give_back`].
    fn reader(&self) -> rusqlite::Result<Connection> {
        if let Some(c) = self.readers.lock().expect("readers lock").pop() {
            return Ok(c);
        }
        Connection::open_with_flags(&self.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    }

    fn give_back(&self, conn: Connection) {
        self.readers.lock().expect("readers lock").push(conn);
    }

    /// The report of an unchanged file; its recorded findings handed to
    /// `out` in batches if [`Reuse::hand_on_findings`]. `None` if the map
    /// could not be read before any finding was handed on (read the file
    /// instead); if it fails later, the file is reported failed, so that it
    /// is read again next time.
    fn rebuild(&self, k: &Known, abs: String, entry: &FileEntry, out: Batches<'_>) -> Option<FileReport> {
        let conn = self.reader().ok()?;
        let result = self.rebuild_with(&conn, k, abs, entry, out);
        self.give_back(conn);
        result
    }

    fn rebuild_with(
        &self,
        conn: &Connection,
        k: &Known,
        abs: String,
        entry: &FileEntry,
        out: Batches<'_>,
    ) -> Option<FileReport> {
        let parts = if k.has_parts { parts_of(conn, k.id).ok()? } else { Vec::new() };
        let mut report = FileReport {
            path: entry.rel.clone(),
            abs: Some(entry.abs.clone()),
            size: entry.size,
            modified: entry.modified,
            kind: KIND_NAMES.iter().find(|n| **n == k.kind).copied().unwrap_or("other"),
            status: Status::Scanned,
            counts: Counts::default(),
            parts,
            warnings: Vec::new(),
        };
        if !self.hand_on {
            report.counts = match k.counts.as_deref().and_then(store::parse_counts) {
                Some(c) => c,
                None => counts_of(conn, k.id, &self.names).ok()?,
            };
            self.shared.reused.lock().expect("reuse lock").insert(abs);
            return Some(report);
        }
        self.shared.reused.lock().expect("reuse lock").insert(abs.clone());
        match self.stream(conn, k.id, &mut report.counts, out) {
            Ok(()) => Some(report),
            Err(e) => {
                self.shared.reused.lock().expect("reuse lock").remove(&abs);
                if report.counts.total() == 0 {
                    return None;
                }
                report.status = Status::Failed(format!(
                    "its findings could not all be read back from the data map ({e}): it will be read again next time"
                ));
                Some(report)
            }
        }
    }

    /// Hand a file's recorded findings to `out`, in the order found, in
    /// batches of [`BATCH`], counting them.
    fn stream(&self, conn: &Connection, file_id: i64, counts: &mut Counts, out: Batches<'_>) -> rusqlite::Result<()> {
        let mut stmt = conn.prepare_cached(STREAM_SQL)?;
        let mut rows = stmt.query([file_id])?;
        let mut paths: HashMap<i64, Arc<str>> = HashMap::new();
        let mut batch = Vec::with_capacity(BATCH);
        let bad = |i: usize, what: &str| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Integer, what.to_string().into())
        };
        let mut digits = itoa::Buffer::new();
        while let Some(r) = rows.next()? {
            let path_id: i64 = r.get(0)?;
            let path = match paths.get(&path_id) {
                Some(p) => p.clone(),
                None => {
                    let p: String = conn
                        .prepare_cached("SELECT path FROM paths WHERE id = ?1")?
                        .query_row([path_id], |r| r.get(0))?;
                    paths.entry(path_id).or_insert_with(|| Arc::from(p)).clone()
                }
            };
            let (pre, post) = self.names.places.get(&r.get::<_, i64>(1)?).ok_or_else(|| bad(1, "unknown place"))?;
            let num: Option<i64> = r.get(2)?;
            let mut location = CompactString::with_capacity(pre.len() + post.len() + 8);
            location.push_str(pre);
            if let Some(n) = num {
                location.push_str(digits.format(n));
            }
            location.push_str(post);
            let category =
                *self.names.categories.get(&r.get::<_, i64>(3)?).ok_or_else(|| bad(3, "unknown category"))?;
            let rule = self.names.rules.get(&r.get::<_, i64>(4)?).ok_or_else(|| bad(4, "unknown rule"))?.clone();
            let hash: [u8; 32] = r.get_ref(6)?.as_blob()?.try_into().map_err(|_| bad(6, "not a keyed hash"))?;
            let value = r.get_ref(8)?.as_str_or_null()?;
            let finding = Finding {
                path,
                // As recorded: only written out, as text.
                location: Location::Other(location),
                category,
                masked_only: value.is_none(),
                value: match value {
                    Some(v) => v.into(),
                    None => r.get_ref(7)?.as_str()?.into(),
                },
                hash: Hash(hash),
                confidence: r.get::<_, i64>(5)? as f32 / 100.0,
                rule,
            };
            counts.add(category);
            batch.push(finding);
            if batch.len() >= BATCH {
                out(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        }
        if !batch.is_empty() {
            out(batch);
        }
        Ok(())
    }
}

/// A file's findings in the order found.
const STREAM_SQL: &str = "SELECT path, place, num, category, rule, confidence, hash, masked, value FROM findings
     WHERE file_id = ?1 ORDER BY id";

/// A file's counts by category, from its findings.
const COUNTS_SQL: &str = "SELECT category, count(*) FROM findings WHERE file_id = ?1 GROUP BY category";

/// The parts of a recorded file that were not scanned.
fn parts_of(conn: &Connection, file_id: i64) -> rusqlite::Result<Vec<(String, Status)>> {
    let mut stmt = conn.prepare_cached("SELECT path, status, reason FROM parts WHERE file_id = ?1")?;
    stmt.query_map([file_id], |r| {
        let status: String = r.get(1)?;
        let reason: String = r.get(2)?;
        Ok((r.get(0)?, if status == "failed" { Status::Failed(reason) } else { Status::Skipped(reason) }))
    })?
    .collect()
}

/// A recorded file's counts by category, from its findings (for files
/// recorded before `files.counts` existed).
fn counts_of(conn: &Connection, file_id: i64, names: &Names) -> rusqlite::Result<Counts> {
    let mut counts = Counts::default();
    let mut stmt = conn.prepare_cached(COUNTS_SQL)?;
    let mut rows = stmt.query([file_id])?;
    while let Some(r) = rows.next()? {
        if let Some(c) = names.categories.get(&r.get::<_, i64>(0)?) {
            for _ in 0..r.get::<_, i64>(1)? {
                counts.add(*c);
            }
        }
    }
    Ok(counts)
}

/// Counts for the `runs` row and the user.
#[derive(Debug, Default, Clone, Copy)]
pub struct RunCounts {
    pub read: u64,
    pub reused: u64,
    pub gone: u64,
    pub findings: u64,
}

/// The sink that records a sweep in the map.
pub struct MapSink {
    conn: Connection,
    key: Key,
    run: i64,
    reveal: bool,
    settings: String,
    roots: Vec<Root>,
    shared: Arc<Shared>,
    /// Files whose findings are being recorded (absolute path to row id):
    /// their rows say `reading` until their report comes.
    open: HashMap<String, i64>,
    /// Files and findings recorded in the open transaction.
    in_batch: usize,
    in_batch_findings: usize,
    batch_started: Instant,
    batch_files: usize,
    batch_findings: usize,
    pub counts: RunCounts,
    /// This node's host name (see [`file_host`]).
    host: String,
    /// Findings recorded in this run (for the test hook).
    recorded: u64,
    /// Test hook: abort the process after this many files (simulates a kill).
    abort_after: Option<u64>,
    /// Test hook: abort the process after recording this many findings.
    abort_after_findings: Option<u64>,
    /// Test hook: SIGKILL the process at this step (see [`MapSink::step`]).
    kill_at: Option<u64>,
    steps: u64,
    /// Numbers of the strings findings share.
    ids: Ids,
    /// The search indexes were dropped in this run: make them at the end
    /// (see [`store::SEARCH_INDEXES`] and [`MapSink::churn`]).
    remake_indexes: bool,
    /// Findings the map held when this run started.
    held: u64,
    /// Findings this run has deleted or added so far.
    churned: u64,
}

impl MapSink {
    /// Start a run over `roots` in `map`, and the reuse check that goes with it.
    pub fn start(
        map: &Map,
        key: &Key,
        roots: &[PathBuf],
        settings: &str,
        reveal: bool,
    ) -> anyhow::Result<(MapSink, Reuse)> {
        map.check_key(key)?;
        let roots = roots_of(roots);
        let root_list: Vec<String> = roots.iter().map(|r| r.abs.to_string_lossy().into_owned()).collect();
        let conn = Connection::open(&map.path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "cache_size", WRITE_CACHE_KIB)?;
        conn.execute(
            "INSERT INTO runs(started, status, roots, settings, reveal, host) VALUES (?1, 'running', ?2, ?3, ?4, ?5)",
            params![now_text(), serde_json::to_string(&root_list)?, settings, reveal, super::lock::host_name()],
        )?;
        let run = conn.last_insert_rowid();
        let mut known = HashMap::new();
        {
            let mut stmt = conn.prepare(
                "SELECT id, abs, size, modified, settings, status, kind, counts,
                        EXISTS (SELECT 1 FROM parts WHERE parts.file_id = files.id) FROM files",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(1)?,
                    Known {
                        id: r.get(0)?,
                        size: r.get(2)?,
                        modified: r.get(3)?,
                        settings: r.get(4)?,
                        status: r.get(5)?,
                        kind: r.get(6)?,
                        counts: r.get(7)?,
                        has_parts: r.get(8)?,
                    },
                ))
            })?;
            for row in rows {
                let (abs, k) = row?;
                known.insert(abs, k);
            }
        }
        let shared = Arc::new(Shared::default());
        let reuse = Reuse {
            roots: roots.clone(),
            known,
            settings: settings.to_string(),
            readers: Mutex::new(Vec::new()),
            path: map.path.clone(),
            names: Names::load(&conn)?,
            hand_on: true,
            shared: shared.clone(),
        };
        let env_num = crate::test_hooks::num;
        let mut sink = MapSink {
            conn,
            key: key.clone(),
            run,
            reveal,
            settings: settings.to_string(),
            roots,
            shared,
            open: HashMap::new(),
            in_batch: 0,
            in_batch_findings: 0,
            batch_started: Instant::now(),
            batch_files: env_num("PIISWEEP_TEST_MAP_BATCH").map_or(BATCH_FILES, |n| n.max(1) as usize),
            batch_findings: env_num("PIISWEEP_TEST_MAP_BATCH_FINDINGS").map_or(BATCH_FINDINGS, |n| n.max(1) as usize),
            counts: RunCounts::default(),
            host: super::lock::host_name(),
            recorded: 0,
            abort_after: env_num("PIISWEEP_TEST_ABORT_AFTER"),
            abort_after_findings: env_num("PIISWEEP_TEST_ABORT_AFTER_FINDINGS"),
            kill_at: env_num("PIISWEEP_TEST_KILL_AT"),
            steps: 0,
            ids: Ids::default(),
            remake_indexes: false,
            held: 0,
            churned: 0,
        };
        sink.conn.execute_batch("BEGIN")?;
        // A first sweep: index the findings in one sort at the end, not one
        // random insert at a time. (A kill before then leaves the map
        // without these indexes; the next sweep makes them again.)
        let held: i64 = sink.conn.query_row("SELECT count(*) FROM findings", [], |r| r.get(0))?;
        sink.held = held as u64;
        sink.churn(0)?;
        Ok((sink, reuse))
    }

    pub fn run_id(&self) -> i64 {
        self.run
    }

    /// Count `n` more findings deleted or added by this run; once they are
    /// as many as the map held at the start (always, for a first sweep),
    /// drop the search indexes, to make them at the end in one sort:
    /// inserting or deleting keys one at a time, in random order, costs
    /// about twice as much a key as sorting the whole table's keys once.
    /// (The index on `file_id` stays: deletes and rescans need it, and it
    /// takes keys in order.)
    fn churn(&mut self, n: u64) -> rusqlite::Result<()> {
        self.churned += n;
        if !self.remake_indexes && self.churned >= self.held {
            for (name, _) in store::SEARCH_INDEXES {
                self.conn.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
            }
            self.remake_indexes = true;
        }
        Ok(())
    }

    /// Delete a file's findings and parts (before it is recorded again, or
    /// when it is gone), counting them as churn.
    fn clear(&mut self, file_id: i64) -> rusqlite::Result<()> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM findings WHERE file_id = ?1")?
            .query_row([file_id], |r| r.get(0))?;
        if n > 0 {
            self.churn(n as u64)?;
        }
        clear_file(&self.conn, file_id)
    }

    fn step(&mut self) {
        kill_hook(&mut self.steps, self.kill_at);
    }

    fn commit(&mut self) -> rusqlite::Result<()> {
        self.step();
        self.conn.execute_batch("COMMIT; BEGIN")?;
        self.step();
        self.in_batch = 0;
        self.in_batch_findings = 0;
        self.batch_started = Instant::now();
        Ok(())
    }

    /// Start recording a file that is being read: its row says `reading`
    /// (never reused: read again if this run stops before its report) and
    /// what an earlier run recorded about it is dropped. Returns its row id.
    fn begin(
        &mut self,
        root: &str,
        abs: &str,
        path: &str,
        size: u64,
        modified: Option<SystemTime>,
    ) -> rusqlite::Result<i64> {
        let id: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO files(root, abs, path, size, modified, kind, content_hash, status, reason, findings, settings, seen_in_run, scanned_in_run, host)
                 VALUES (?1, ?2, ?3, ?4, ?5, '', NULL, 'reading', NULL, 0, ?6, ?7, ?7, ?8)
                 ON CONFLICT(abs) DO UPDATE SET host = excluded.host, root = excluded.root, path = excluded.path, size = excluded.size,
                   modified = excluded.modified, kind = excluded.kind, content_hash = excluded.content_hash,
                   status = excluded.status, reason = excluded.reason, findings = excluded.findings,
                   settings = excluded.settings, seen_in_run = excluded.seen_in_run, scanned_in_run = excluded.scanned_in_run
                 RETURNING id",
            )?
            .query_row(params![root, abs, path, size as i64, time_ns(modified), self.settings, self.run, file_host(Path::new(root), &self.host)], |row| {
                row.get(0)
            })?;
        self.clear(id)?;
        Ok(id)
    }

    /// Record a batch of findings of a file being read (nothing for a file
    /// whose findings come from the map).
    fn record_findings(&mut self, entry: &FileEntry, batch: &[Finding], parts: Option<&[u8]>) -> rusqlite::Result<()> {
        let Some((root, abs)) = locate(&self.roots, &entry.abs, &entry.rel) else {
            return Ok(());
        };
        if self.shared.reused.lock().expect("reuse lock").contains(&abs) {
            return Ok(());
        }
        let id = match self.open.get(&abs) {
            Some(&id) => id,
            None => {
                let id = self.begin(&root, &abs, &entry.rel, entry.size, entry.modified)?;
                self.open.insert(abs, id);
                id
            }
        };
        self.churn(batch.len() as u64)?;
        let computed;
        let parts = match parts {
            Some(p) => p,
            None => {
                computed = store::encode_rows(&self.key, batch);
                &computed[..]
            }
        };
        let mut parts = store::decode_rows(parts);
        let mut rest = batch;
        while !rest.is_empty() {
            let room = self.batch_findings.saturating_sub(self.in_batch_findings).max(1);
            let (chunk, tail) = rest.split_at(room.min(rest.len()));
            {
                // Whole groups go in one statement each, the rest one at a
                // time. The test hooks still count each finding: the
                // transaction is not committed inside a chunk, so a stop
                // after any of them loses the same (uncommitted) work.
                let mut one = self.conn.prepare_cached(store::INSERT_SQL)?;
                let mut many = self.conn.prepare_cached(&store::insert_rows_sql(store::ROWS_PER_INSERT))?;
                let mut group: Vec<(&Finding, store::RowParts<'_>)> = Vec::with_capacity(store::ROWS_PER_INSERT);
                for g in chunk.chunks(store::ROWS_PER_INSERT) {
                    group.clear();
                    for f in g {
                        group.push((f, parts.next().expect("one row's parts a finding")));
                    }
                    if group.len() == store::ROWS_PER_INSERT {
                        self.ids.insert_rows(&self.conn, &mut many, id, &group, self.reveal)?;
                    } else {
                        for (f, row) in &group {
                            self.ids.insert_with(&self.conn, &mut one, id, None, f, self.reveal, row)?;
                        }
                    }
                    for _ in 0..group.len() {
                        kill_hook(&mut self.steps, self.kill_at);
                        self.recorded += 1;
                        self.in_batch_findings += 1;
                        test_abort(self.abort_after_findings, self.recorded, "PIISWEEP_TEST_ABORT_AFTER_FINDINGS");
                    }
                }
            }
            if self.in_batch_findings >= self.batch_findings {
                self.commit()?;
            }
            rest = tail;
        }
        Ok(())
    }

    /// Record that a file is finished: its row (with the status, kind and
    /// number of findings) and the parts not scanned. Its findings came before.
    fn record(&mut self, r: &FileReport) -> rusqlite::Result<()> {
        let Some((root, abs)) = r.abs.as_deref().and_then(|a| locate(&self.roots, a, &r.path)) else {
            return Ok(());
        };
        let found = r.counts.total();
        self.counts.findings += found;
        let reused = self.shared.reused.lock().expect("reuse lock").remove(&abs);
        if reused {
            self.counts.reused += 1;
            self.conn
                .prepare_cached("UPDATE files SET seen_in_run = ?1, path = ?2, root = ?3 WHERE abs = ?4")?
                .execute(params![self.run, r.path, root, abs])?;
            return Ok(());
        }
        self.counts.read += 1;
        let id = match self.open.remove(&abs) {
            Some(id) => id,
            None => self.begin(&root, &abs, &r.path, r.size, r.modified)?,
        };
        let content = self.shared.content.lock().expect("content lock").remove(&abs);
        let (status, reason) = match &r.status {
            Status::Scanned => ("scanned", None),
            Status::Skipped(why) => ("skipped", Some(why.as_str())),
            Status::Failed(why) => ("failed", Some(why.as_str())),
        };
        self.conn
            .prepare_cached(
                "UPDATE files SET kind = ?2, content_hash = ?3, status = ?4, reason = ?5, findings = ?6, counts = ?7 WHERE id = ?1",
            )?
            .execute(params![id, r.kind, content, status, reason, found as i64, store::counts_text(&r.counts)])?;
        for (path, st) in &r.parts {
            let (s, why) = match st {
                Status::Failed(w) => ("failed", w),
                Status::Skipped(w) => ("skipped", w),
                Status::Scanned => continue,
            };
            self.conn
                .prepare_cached("INSERT INTO parts(file_id, path, status, reason) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![id, path, s, why])?;
        }
        Ok(())
    }

    /// Mark files under this run's roots that were not seen as gone, and
    /// drop what the map held about them.
    fn mark_gone(&mut self) -> rusqlite::Result<()> {
        let roots: Vec<String> = self.roots.iter().map(|r| r.abs.to_string_lossy().into_owned()).collect();
        for root in roots {
            let ids: Vec<i64> = self
                .conn
                .prepare("SELECT id FROM files WHERE root = ?1 AND seen_in_run <> ?2 AND status <> 'gone'")?
                .query_map(params![root, self.run], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for id in ids {
                self.clear(id)?;
                self.conn.execute(
                    "UPDATE files SET status = 'gone', reason = 'not found in the last sweep (deleted, moved or excluded)', findings = 0 WHERE id = ?1",
                    [id],
                )?;
                self.counts.gone += 1;
            }
        }
        Ok(())
    }

    /// Make the search indexes dropped by [`MapSink::churn`], in the last transaction.
    fn remake_indexes(&mut self) -> rusqlite::Result<()> {
        if self.remake_indexes {
            // SQLite sorts an index's keys in runs the size of the page
            // cache. One run of 64 MiB is a merge sort of a linked list far
            // larger than the CPU's caches; runs of 2 MiB, merged, take
            // about two thirds of the time (measured in docs/performance.md).
            self.conn.pragma_update(None, "cache_size", SORT_CACHE_KIB)?;
            for (_, sql) in store::SEARCH_INDEXES {
                self.conn.execute_batch(sql)?;
            }
            self.conn.pragma_update(None, "cache_size", WRITE_CACHE_KIB)?;
            self.remake_indexes = false;
        }
        Ok(())
    }

    fn complete(&mut self) -> rusqlite::Result<()> {
        self.mark_gone()?;
        self.remake_indexes()?;
        let c = self.counts;
        self.conn.execute(
            "UPDATE runs SET finished = ?1, status = 'complete', files_read = ?2, files_reused = ?3, files_gone = ?4, findings = ?5 WHERE id = ?6",
            params![now_text(), c.read as i64, c.reused as i64, c.gone as i64, c.findings as i64, self.run],
        )?;
        self.conn.execute_batch("COMMIT")?;
        self.conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)")
    }

    /// The sweep was stopped (Ctrl-C): keep what is recorded, mark nothing
    /// gone, and say the run stopped.
    fn stop(&mut self) -> rusqlite::Result<()> {
        self.remake_indexes()?;
        let c = self.counts;
        self.conn.execute(
            "UPDATE runs SET finished = ?1, status = 'stopped', files_read = ?2, files_reused = ?3, findings = ?4 WHERE id = ?5",
            params![now_text(), c.read as i64, c.reused as i64, c.findings as i64, self.run],
        )?;
        self.conn.execute_batch("COMMIT")?;
        self.conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)")
    }
}

/// Test hook: with `PIISWEEP_TEST_KILL_AT=N`, the process kills itself
/// (SIGKILL, as `kill -9` would) at its Nth step of writing the map: a step
/// is each finding recorded, each file recorded, each commit (before and
/// after).
pub(super) fn kill_hook(steps: &mut u64, kill_at: Option<u64>) {
    if !cfg!(feature = "test-hooks") {
        return;
    }
    *steps += 1;
    if kill_at == Some(*steps) {
        #[cfg(unix)]
        // SAFETY: sending a signal to this process.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

/// Test hook: stop the process (as a kill would) once `done` reaches `after`.
pub(super) fn test_abort(after: Option<u64>, done: u64, name: &str) {
    if !cfg!(feature = "test-hooks") {
        return;
    }
    if let Some(n) = after
        && done >= n
    {
        eprintln!("{name}: stopping the process after {n}, as asked");
        std::process::exit(86);
    }
}

/// Delete a file's findings and parts (before it is re-recorded).
fn clear_file(conn: &Connection, file_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM findings WHERE file_id = ?1")?.execute([file_id])?;
    conn.prepare_cached("DELETE FROM parts WHERE file_id = ?1")?.execute([file_id])?;
    Ok(())
}

fn io(e: rusqlite::Error) -> std::io::Error {
    std::io::Error::other(format!("data map: {e}"))
}

impl Sink for MapSink {
    fn findings(&mut self, file: &FileEntry, batch: &[Finding]) -> std::io::Result<()> {
        self.record_findings(file, batch, None).map_err(io)
    }

    /// What the map stores of each finding besides interned numbers (names'
    /// word hashes, masked forms, locations' parts) is made on the worker threads.
    fn prepare(&self) -> Option<crate::scan::Prepare> {
        let key = self.key.clone();
        Some(Arc::new(move |batch: &[Finding]| store::encode_rows(&key, batch)))
    }

    fn prepared(&mut self, file: &FileEntry, batch: &[Finding], bytes: Vec<u8>) -> std::io::Result<()> {
        self.record_findings(file, batch, Some(&bytes)).map_err(io)
    }

    fn file(&mut self, report: &FileReport) -> std::io::Result<()> {
        self.record(report).map_err(io)?;
        self.step();
        self.in_batch += 1;
        if self.in_batch >= self.batch_files || self.batch_started.elapsed() >= BATCH_TIME {
            self.commit().map_err(io)?;
        }
        test_abort(self.abort_after, self.counts.read + self.counts.reused, "PIISWEEP_TEST_ABORT_AFTER");
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.complete().map_err(io)
    }

    fn stopped(&mut self) -> std::io::Result<()> {
        self.stop().map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Category;

    /// Finding `i` of a file: a phone number on line `i`.
    fn finding(path: &Arc<str>, rule: &Arc<str>, key: &Key, i: usize) -> Finding {
        let value = format!("07700 9{i:05}");
        Finding {
            path: path.clone(),
            location: Location::Line { prefix: "line".into(), n: i as u64 },
            category: Category::Phone,
            hash: key.hash_bytes(&Category::Phone.normalise(&value)),
            value: value.into(),
            masked_only: false,
            confidence: 0.9,
            rule: rule.clone(),
        }
    }

    fn report(entry: &FileEntry, counts: Counts) -> FileReport {
        FileReport {
            path: entry.rel.clone(),
            abs: Some(entry.abs.clone()),
            size: entry.size,
            modified: entry.modified,
            kind: "text",
            status: Status::Scanned,
            counts,
            parts: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// A stored finding as text (`findings_text`), with its words and hkey.
    type Stored = (String, String, String, String, String, Option<String>, String, f64, Vec<u8>, i64);

    /// Findings written a statement of many rows at a time (with --reveal,
    /// names with their words, parts with their own paths, locations with and
    /// without numbers) are stored exactly as one insert each stores them, in
    /// the order given, whatever the batches' sizes.
    #[test]
    fn findings_inserted_many_rows_a_statement_are_stored_as_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("drive");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("a.csv"), "x").unwrap();
        let md = std::fs::metadata(root.join("a.csv")).unwrap();
        let entry =
            FileEntry { abs: root.join("a.csv"), rel: "a.csv".into(), size: md.len(), modified: md.modified().ok() };
        let key = Key::from_bytes([9; 32]);
        let paths: [Arc<str>; 2] = ["a.csv".into(), "a.csv!inner.txt".into()];
        let rules: [Arc<str>; 2] = ["name_column".into(), "email".into()];
        let names = ["Jane Roberts", "Amir", "Mary Ann Khan"];
        let all: Vec<Finding> = (0..3 * store::ROWS_PER_INSERT + 7)
            .map(|i| {
                let (category, value) = match i % 3 {
                    0 => (Category::Name, names[i % names.len()].to_string()),
                    1 => (Category::Email, format!("p{i}@example.org")),
                    _ => (Category::Phone, format!("07700 9{i:05}")),
                };
                Finding {
                    path: paths[i % 2].clone(),
                    location: if i % 5 == 0 {
                        Location::Header("From".into())
                    } else {
                        Location::Row { row: i as u64, col: 2, header: Some(format!("C{}", i % 3).into()) }
                    },
                    category,
                    hash: key.hash_bytes(&category.normalise(&value)),
                    value: value.into(),
                    masked_only: i % 7 == 0,
                    confidence: 0.5 + (i % 50) as f32 / 100.0,
                    rule: rules[i % 2].clone(),
                }
            })
            .collect();
        let mut counts = Counts::default();
        all.iter().for_each(|f| counts.add(f.category));
        let stored = |db: &Path| -> Vec<Stored> {
            let conn = Connection::open(db).unwrap();
            conn.prepare(
                "SELECT t.path, t.location, t.category, t.hash, t.masked, t.value, t.rule, t.confidence,
                        coalesce(f.words, x''), f.hkey
                 FROM findings_text t JOIN findings f ON f.id = t.id ORDER BY t.id",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
        };

        // Through the sink, in batches that split the groups unevenly.
        let grouped = dir.path().join("grouped.db");
        let map = Map::create_or_open(&grouped).unwrap();
        let (mut sink, _) = MapSink::start(&map, &key, std::slice::from_ref(&root), "s", true).unwrap();
        for batch in all.chunks(store::ROWS_PER_INSERT * 2 + 3) {
            sink.findings(&entry, batch).unwrap();
        }
        sink.file(&report(&entry, counts)).unwrap();
        sink.finish().unwrap();

        // One insert each.
        let single = dir.path().join("single.db");
        let one = Map::create_or_open(&single).unwrap();
        let mut ids = Ids::default();
        for f in &all {
            let words = store::name_words_blob(&key, f);
            ids.insert(&one.conn, 1, None, f, true, words.as_deref()).unwrap();
        }

        let (a, b) = (stored(&grouped), stored(&single));
        assert_eq!(a.len(), all.len());
        assert_eq!(a, b);
        assert!(a.iter().any(|r| r.5.is_some()) && a.iter().any(|r| r.5.is_none()), "values kept only where revealed");
        assert!(a.iter().filter(|r| r.8.len() == 16).count() > 10, "two-word names keep both words");
        for (row, f) in a.iter().zip(&all) {
            assert_eq!(row.1, f.location.text().as_str());
            assert_eq!(row.9, store::hkey(&f.hash));
        }
    }

    /// Reading a file's findings back (to write them with --jsonl, or to
    /// count them in a map converted from schema 1) goes through the index
    /// on file_id, in order, with no scan of the table; deleting
    /// a file's findings too.
    #[test]
    fn a_files_findings_are_read_through_its_index() {
        let dir = tempfile::tempdir().unwrap();
        let map = Map::create_or_open(&dir.path().join("m.db")).unwrap();
        for sql in [STREAM_SQL, COUNTS_SQL, "DELETE FROM findings WHERE file_id = ?1"] {
            let plan: Vec<String> = map
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map([1], |r| r.get::<_, String>(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert!(plan.iter().any(|l| l.contains("USING INDEX findings_file")), "{sql}: {plan:?}");
            assert!(!plan.iter().any(|l| l == "SCAN findings"), "{sql}: {plan:?}");
            // In the order found, straight from the index (a group-by's sort is of one file's rows).
            assert!(sql != STREAM_SQL || !plan.iter().any(|l| l.contains("TEMP B-TREE")), "{plan:?}");
        }
    }

    /// Files of a UNC share are recorded with no host (every node reaches
    /// them alike); local paths, and Windows' long forms of local paths, with
    /// the node's name.
    #[test]
    fn files_of_a_unc_share_have_no_host() {
        for (root, host) in [
            (r"\\fs1\casework", ""),
            (r"\\?\UNC\fs1\casework", ""),
            (r"\\?\C:\Data", "node1"),
            (r"C:\Data", "node1"),
            ("/srv/share", "node1"),
        ] {
            assert_eq!(file_host(Path::new(root), "node1"), host, "{root}");
        }
    }

    #[test]
    fn an_unchanged_file_is_handed_back_from_the_map_a_page_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("drive");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("a.txt"), "numbers").unwrap();
        let md = std::fs::metadata(root.join("a.txt")).unwrap();
        let entry =
            FileEntry { abs: root.join("a.txt"), rel: "a.txt".into(), size: md.len(), modified: md.modified().ok() };
        let map = Map::create_or_open(&dir.path().join("m.db")).unwrap();
        let key = Key::from_bytes([3; 32]);
        let (path, rule): (Arc<str>, Arc<str>) = ("a.txt".into(), "uk_mobile".into());
        let all: Vec<Finding> = (0..2 * BATCH + 5).map(|i| finding(&path, &rule, &key, i)).collect();
        let mut counts = Counts::default();
        all.iter().for_each(|f| counts.add(f.category));

        let (mut sink, _) = MapSink::start(&map, &key, std::slice::from_ref(&root), "s", false).unwrap();
        for batch in all.chunks(700) {
            sink.findings(&entry, batch).unwrap();
        }
        sink.file(&report(&entry, counts)).unwrap();
        sink.finish().unwrap();

        let (_sink, reuse) = MapSink::start(&map, &key, &[root], "s", false).unwrap();
        let mut batches: Vec<Vec<Finding>> = Vec::new();
        let rebuilt = reuse.check(&entry, &mut |b| batches.push(b)).expect("an unchanged file is reused");
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), [BATCH, BATCH, 5]);
        assert_eq!(rebuilt.counts, counts);
        let back = batches.concat();
        for (a, b) in all.iter().zip(&back) {
            assert_eq!(
                (&a.path, a.location.text(), a.category, a.hash, &a.rule),
                (&b.path, b.location.text(), b.category, b.hash, &b.rule)
            );
            assert!(b.masked_only, "the map was written without --reveal");
            assert_eq!(b.masked(), a.masked());
        }
        assert!(Arc::ptr_eq(&back[0].path, &back[back.len() - 1].path), "one shared path");
    }
}
