//! Writing a sweep into the map, and deciding which files need reading.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

use super::{Map, name_words, now_text, time_ns};
use crate::detect::Category;
use crate::finding::Finding;
use crate::keys::Key;
use crate::scan::{FileReport, Sink, Status};
use crate::walk::FileEntry;

/// The names `Kind::name` gives, to rebuild a report's `&'static str` kind.
const KIND_NAMES: &[&str] = &[
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

/// Files per transaction (and at most [`BATCH_TIME`] between commits).
const BATCH_FILES: usize = 200;
const BATCH_TIME: Duration = Duration::from_secs(2);

/// A scanned root: as given on the command line, and absolute.
#[derive(Debug, Clone)]
struct Root {
    given: PathBuf,
    abs: PathBuf,
    is_file: bool,
}

/// Which root a file belongs to and its absolute path, as map keys.
fn locate(roots: &[Root], abs: &Path, rel: &str) -> Option<(String, String)> {
    let root = roots.iter().filter(|r| abs.starts_with(&r.given)).max_by_key(|r| r.given.as_os_str().len())?;
    let file = if root.is_file { root.abs.clone() } else { root.abs.join(rel) };
    Some((root.abs.to_string_lossy().into_owned(), file.to_string_lossy().into_owned()))
}

fn roots_of(given: &[PathBuf]) -> Vec<Root> {
    given.iter().map(|g| Root { given: g.clone(), abs: crate::commands::absolute(g), is_file: g.is_file() }).collect()
}

/// What the map holds about a file from an earlier run.
#[derive(Debug, Clone)]
struct Known {
    id: i64,
    size: i64,
    modified: Option<i64>,
    settings: String,
    status: String,
}

/// State shared between the reuse check (on worker threads) and the sink.
#[derive(Default)]
struct Shared {
    /// Absolute paths whose report was rebuilt from the map, not read.
    reused: Mutex<HashSet<String>>,
    /// Content hashes computed for files that were read.
    content: Mutex<HashMap<String, String>>,
}

/// Decides, per file, whether the map's record can stand in for reading it.
pub struct Reuse {
    roots: Vec<Root>,
    known: HashMap<String, Known>,
    settings: String,
    reader: Mutex<Connection>,
    shared: Arc<Shared>,
}

impl Reuse {
    /// A file is reused when it was read under the same settings, is not
    /// gone, and has the same size and modified time. Otherwise its content
    /// hash is computed for the record and `None` returned (read it).
    pub fn check(&self, entry: &FileEntry) -> Option<FileReport> {
        let (_, abs) = locate(&self.roots, &entry.abs, &entry.rel)?;
        let same = self.known.get(&abs).filter(|k| {
            k.status == "scanned"
                && k.settings == self.settings
                && k.size == entry.size as i64
                && k.modified.is_some()
                && k.modified == time_ns(entry.modified)
        });
        if let Some(k) = same
            && let Ok(report) = self.rebuild(k.id, entry)
        {
            self.shared.reused.lock().expect("reuse lock").insert(abs);
            return Some(report);
        }
        if let Ok(h) = super::content_hash(&entry.abs) {
            self.shared.content.lock().expect("content lock").insert(abs, h);
        }
        None
    }

    /// The report of an unchanged file, from its recorded findings and parts.
    fn rebuild(&self, file_id: i64, entry: &FileEntry) -> rusqlite::Result<FileReport> {
        let conn = self.reader.lock().expect("reader lock");
        let kind: String = conn.query_row("SELECT kind FROM files WHERE id = ?1", [file_id], |r| r.get(0))?;
        let mut stmt = conn.prepare_cached(
            "SELECT path, location, category, value, masked, hash, confidence, rule FROM findings WHERE file_id = ?1 ORDER BY id",
        )?;
        let findings = stmt
            .query_map([file_id], |r| {
                let category: String = r.get(2)?;
                let masked: String = r.get(4)?;
                Ok(Finding {
                    path: r.get(0)?,
                    location: r.get(1)?,
                    category: Category::parse(&category).unwrap_or(Category::Name),
                    value: r.get::<_, Option<String>>(3)?.unwrap_or_else(|| masked.clone()),
                    masked,
                    hash: r.get(5)?,
                    confidence: r.get::<_, f64>(6)? as f32,
                    rule: r.get(7)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut stmt = conn.prepare_cached("SELECT path, status, reason FROM parts WHERE file_id = ?1")?;
        let parts = stmt
            .query_map([file_id], |r| {
                let status: String = r.get(1)?;
                let reason: String = r.get(2)?;
                Ok((r.get(0)?, if status == "failed" { Status::Failed(reason) } else { Status::Skipped(reason) }))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(FileReport {
            path: entry.rel.clone(),
            abs: Some(entry.abs.clone()),
            size: entry.size,
            modified: entry.modified,
            kind: KIND_NAMES.iter().find(|n| **n == kind).copied().unwrap_or("other"),
            status: Status::Scanned,
            findings,
            parts,
            warnings: Vec::new(),
        })
    }
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
    in_batch: usize,
    batch_started: Instant,
    batch_files: usize,
    pub counts: RunCounts,
    /// Test hook: abort the process after this many files (simulates a kill).
    abort_after: Option<u64>,
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
        conn.execute(
            "INSERT INTO runs(started, status, roots, settings, reveal) VALUES (?1, 'running', ?2, ?3, ?4)",
            params![now_text(), serde_json::to_string(&root_list)?, settings, reveal],
        )?;
        let run = conn.last_insert_rowid();
        let mut known = HashMap::new();
        {
            let mut stmt = conn.prepare("SELECT id, abs, size, modified, settings, status FROM files")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(1)?,
                    Known {
                        id: r.get(0)?,
                        size: r.get(2)?,
                        modified: r.get(3)?,
                        settings: r.get(4)?,
                        status: r.get(5)?,
                    },
                ))
            })?;
            for row in rows {
                let (abs, k) = row?;
                known.insert(abs, k);
            }
        }
        let reader = Connection::open_with_flags(&map.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let shared = Arc::new(Shared::default());
        let reuse = Reuse {
            roots: roots.clone(),
            known,
            settings: settings.to_string(),
            reader: Mutex::new(reader),
            shared: shared.clone(),
        };
        let env_num = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        let sink = MapSink {
            conn,
            key: key.clone(),
            run,
            reveal,
            settings: settings.to_string(),
            roots,
            shared,
            in_batch: 0,
            batch_started: Instant::now(),
            batch_files: env_num("PIISWEEP_TEST_MAP_BATCH").map_or(BATCH_FILES, |n| n.max(1) as usize),
            counts: RunCounts::default(),
            abort_after: env_num("PIISWEEP_TEST_ABORT_AFTER"),
        };
        sink.conn.execute_batch("BEGIN")?;
        Ok((sink, reuse))
    }

    pub fn run_id(&self) -> i64 {
        self.run
    }

    fn commit(&mut self) -> rusqlite::Result<()> {
        self.conn.execute_batch("COMMIT; BEGIN")?;
        self.in_batch = 0;
        self.batch_started = Instant::now();
        Ok(())
    }

    /// Record one file: its row, and (if it was read) its findings and parts.
    fn record(&mut self, r: &FileReport) -> rusqlite::Result<()> {
        let Some((root, abs)) = r.abs.as_deref().and_then(|a| locate(&self.roots, a, &r.path)) else {
            return Ok(());
        };
        let reused = self.shared.reused.lock().expect("reuse lock").remove(&abs);
        if reused {
            self.counts.reused += 1;
            self.counts.findings += r.findings.len() as u64;
            self.conn
                .prepare_cached("UPDATE files SET seen_in_run = ?1, path = ?2, root = ?3 WHERE abs = ?4")?
                .execute(params![self.run, r.path, root, abs])?;
            return Ok(());
        }
        self.counts.read += 1;
        self.counts.findings += r.findings.len() as u64;
        let content = self.shared.content.lock().expect("content lock").remove(&abs);
        let (status, reason) = match &r.status {
            Status::Scanned => ("scanned", None),
            Status::Skipped(why) => ("skipped", Some(why.as_str())),
            Status::Failed(why) => ("failed", Some(why.as_str())),
        };
        let id: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO files(root, abs, path, size, modified, kind, content_hash, status, reason, findings, settings, seen_in_run, scanned_in_run)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)
                 ON CONFLICT(abs) DO UPDATE SET root = excluded.root, path = excluded.path, size = excluded.size,
                   modified = excluded.modified, kind = excluded.kind, content_hash = excluded.content_hash,
                   status = excluded.status, reason = excluded.reason, findings = excluded.findings,
                   settings = excluded.settings, seen_in_run = excluded.seen_in_run, scanned_in_run = excluded.scanned_in_run
                 RETURNING id",
            )?
            .query_row(
                params![
                    root,
                    abs,
                    r.path,
                    r.size as i64,
                    time_ns(r.modified),
                    r.kind,
                    content,
                    status,
                    reason,
                    r.findings.len() as i64,
                    self.settings,
                    self.run
                ],
                |row| row.get(0),
            )?;
        clear_file(&self.conn, id)?;
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
        for f in &r.findings {
            self.insert_finding(id, f)?;
        }
        Ok(())
    }

    fn insert_finding(&self, file_id: i64, f: &Finding) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO findings(file_id, path, location, category, hash, masked, value, rule, confidence)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                file_id,
                f.path,
                f.location,
                f.category.as_str(),
                f.hash,
                f.masked,
                self.reveal.then_some(f.value.as_str()),
                f.rule,
                f.confidence as f64
            ])?;
        if f.category == Category::Name {
            let finding_id = self.conn.last_insert_rowid();
            for (pos, word) in name_words(&f.value) {
                let initial: String = word.chars().take(1).collect();
                self.conn
                    .prepare_cached(
                        "INSERT INTO name_tokens(finding_id, pos, token_hash, initial) VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![finding_id, pos, self.key.hash(&word), initial])?;
            }
        }
        Ok(())
    }

    /// Mark files under this run's roots that were not seen as gone, and
    /// drop what the map held about them.
    fn mark_gone(&mut self) -> rusqlite::Result<()> {
        for root in &self.roots {
            let root = root.abs.to_string_lossy().into_owned();
            let ids: Vec<i64> = self
                .conn
                .prepare("SELECT id FROM files WHERE root = ?1 AND seen_in_run <> ?2 AND status <> 'gone'")?
                .query_map(params![root, self.run], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for id in ids {
                clear_file(&self.conn, id)?;
                self.conn.execute(
                    "UPDATE files SET status = 'gone', reason = 'not found in the last sweep (deleted, moved or excluded)', findings = 0 WHERE id = ?1",
                    [id],
                )?;
                self.counts.gone += 1;
            }
        }
        Ok(())
    }

    fn complete(&mut self) -> rusqlite::Result<()> {
        self.mark_gone()?;
        let c = self.counts;
        self.conn.execute(
            "UPDATE runs SET finished = ?1, status = 'complete', files_read = ?2, files_reused = ?3, files_gone = ?4, findings = ?5 WHERE id = ?6",
            params![now_text(), c.read as i64, c.reused as i64, c.gone as i64, c.findings as i64, self.run],
        )?;
        self.conn.execute_batch("COMMIT")?;
        self.conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)")
    }
}

/// Delete a file's findings, name words and parts (before it is re-recorded).
fn clear_file(conn: &Connection, file_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM name_tokens WHERE finding_id IN (SELECT id FROM findings WHERE file_id = ?1)")?
        .execute([file_id])?;
    conn.prepare_cached("DELETE FROM findings WHERE file_id = ?1")?.execute([file_id])?;
    conn.prepare_cached("DELETE FROM parts WHERE file_id = ?1")?.execute([file_id])?;
    Ok(())
}

fn io(e: rusqlite::Error) -> std::io::Error {
    std::io::Error::other(format!("data map: {e}"))
}

impl Sink for MapSink {
    fn file(&mut self, report: &FileReport) -> std::io::Result<()> {
        self.record(report).map_err(io)?;
        self.in_batch += 1;
        if self.in_batch >= self.batch_files || self.batch_started.elapsed() >= BATCH_TIME {
            self.commit().map_err(io)?;
        }
        if let Some(n) = self.abort_after
            && self.counts.read + self.counts.reused >= n
        {
            eprintln!("PIISWEEP_TEST_ABORT_AFTER: stopping the process after {n} files, as asked");
            std::process::exit(86);
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.complete().map_err(io)
    }
}
