//! Writing a sweep into a PostgreSQL data map (#25), beside [`super::MapSink`]
//! for SQLite (whose fast path this leaves alone).
//!
//! What a sweep records is the same as in SQLite: the run, each file (its
//! status, kind, counts, content hash and the parts not read), its findings
//! (keyed hashes only unless `--reveal`), unchanged files reused by their
//! size and modified time, and files gone from the run's roots. How it is
//! written suits a server shared by several nodes:
//!
//! - Files' rows, findings and parts are buffered and written a batch at a
//!   time: the files' rows by one `INSERT .. SELECT FROM unnest(..)` (their
//!   ids returned), the findings by one binary `COPY`, so a big file is not
//!   a round trip per finding.
//! - Transactions end only between files ([`BATCH_FILES`] files or
//!   [`BATCH_TIME`]): a file's "done" row commits with all its findings, so a
//!   kill never leaves a file done with part of them. A file still being read
//!   when a batch commits is recorded `reading` (read again next time).
//! - Only rows are locked, never tables: the small shared tables (paths,
//!   rules, places, categories) are filled by a second connection, one
//!   statement at a time, each committed at once, so two nodes writing the
//!   same path or place wait for each other for one statement at most, and
//!   never deadlock inside their long transactions.
//! - One sweep of a root at a time, across every node, by an advisory lock
//!   on the root ([`PgMap::lock_root`]); sweeps of other roots run beside it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Client, Statement};

use super::pg::{PgMap, Target};
use super::sink::{KIND_NAMES, Root, RunCounts, file_host, kill_hook, locate, roots_of, test_abort};
use super::store::{self, RowParts};
use super::{now_text, time_ns};
use crate::detect::Category;
use crate::error::BadRequest;
use crate::finding::Finding;
use crate::keys::Key;
use crate::scan::{Batches, FileReport, Sink, Status};
use crate::walk::FileEntry;

/// A transaction ends after this many files, or [`BATCH_TIME`].
const BATCH_FILES: usize = 200;
const BATCH_TIME: Duration = Duration::from_secs(2);
/// Findings held before they are sent (within the open transaction).
const BUFFER_FINDINGS: usize = 50_000;

/// What the map holds about a file from an earlier run.
struct Known {
    id: i64,
    size: i64,
    modified: Option<i64>,
    settings: String,
    status: String,
    kind: String,
    counts: Option<String>,
    parts: Vec<(String, Status)>,
}

/// State shared between the reuse check (on worker threads) and the sink.
#[derive(Default)]
struct Shared {
    /// Files reused, not read: absolute path to row id.
    reused: Mutex<HashMap<String, i64>>,
    /// Content hashes computed for files that were read.
    content: Mutex<HashMap<String, String>>,
}

/// Decides, per file, whether the map's record can stand in for reading it
/// (as [`super::Reuse`] does for SQLite), from what was read of the map when
/// the sweep started: no query per file.
pub struct PgReuse {
    roots: Vec<Root>,
    known: HashMap<String, Known>,
    settings: String,
    hand_on: bool,
    shared: Arc<Shared>,
}

impl PgReuse {
    /// An unchanged file's report (from its row), or `None`: read it.
    ///
    /// Unchanged files are reused only when nothing needs their findings
    /// (no `--jsonl`): with `--jsonl` every file is read again.
    pub fn check(&self, entry: &FileEntry, _out: Batches<'_>) -> Option<FileReport> {
        let (_, abs) = locate(&self.roots, &entry.abs, &entry.rel)?;
        let same = self.known.get(&abs).filter(|k| {
            !self.hand_on
                && k.status == "scanned"
                && k.settings == self.settings
                && k.size == entry.size as i64
                && k.modified.is_some()
                && k.modified == time_ns(entry.modified)
        });
        if let Some(k) = same
            && let Some(counts) = k.counts.as_deref().and_then(store::parse_counts)
        {
            self.shared.reused.lock().expect("reuse lock").insert(abs, k.id);
            return Some(FileReport {
                path: entry.rel.clone(),
                abs: Some(entry.abs.clone()),
                size: entry.size,
                modified: entry.modified,
                kind: KIND_NAMES.iter().find(|n| **n == k.kind).copied().unwrap_or("other"),
                status: Status::Scanned,
                counts,
                parts: k.parts.clone(),
                warnings: Vec::new(),
            });
        }
        if let Ok(h) = super::content_hash(&entry.abs) {
            self.shared.content.lock().expect("content lock").insert(abs, h);
        }
        None
    }

    /// Whether something needs unchanged files' findings (`--jsonl`): then
    /// they are read again rather than reused.
    pub fn hand_on_findings(&mut self, yes: bool) {
        self.hand_on = yes;
    }
}

/// A file's row, as it will be written.
struct FileRow {
    host: String,
    root: String,
    abs: String,
    path: String,
    size: i64,
    modified: Option<i64>,
    kind: String,
    content_hash: Option<String>,
    status: String,
    reason: Option<String>,
    findings: i64,
    counts: Option<String>,
    /// Parts not read: path, status, reason.
    parts: Vec<(String, String, String)>,
}

/// A finding, as it will be written.
struct FindingRow {
    /// Its file: an index into [`PgSink::files`].
    file: usize,
    path: i64,
    place: i64,
    num: Option<i64>,
    category: i64,
    rule: i64,
    confidence: i64,
    hash: Vec<u8>,
    masked: String,
    value: Option<String>,
    words: Option<Vec<u8>>,
    hkey: i64,
}

/// Numbers for the strings findings share, written by a connection of
/// their own, each in its own short transaction.
struct Interner {
    client: Client,
    find: HashMap<&'static str, (Statement, Statement)>,
    categories: HashMap<Category, i64>,
    rules: HashMap<String, i64>,
    paths: HashMap<String, i64>,
    places: HashMap<(String, String), (i64, bool)>,
    last_path: Option<(Arc<str>, i64)>,
    scope: Statement,
}

impl Interner {
    fn new(target: &Target) -> anyhow::Result<Interner> {
        let mut client = target.connect()?;
        let mut find = HashMap::new();
        for (table, cols) in [("categories", "name"), ("rules", "name"), ("paths", "path")] {
            let select = client.prepare(&format!("SELECT id FROM {table} WHERE {cols} = $1"))?;
            let insert = client.prepare(&format!(
                "INSERT INTO {table}({cols}) VALUES ($1) ON CONFLICT ({cols}) DO NOTHING RETURNING id"
            ))?;
            find.insert(table, (select, insert));
        }
        let select = client.prepare("SELECT id FROM places WHERE pre = $1 AND post = $2")?;
        let insert = client
            .prepare("INSERT INTO places(pre, post) VALUES ($1, $2) ON CONFLICT (pre, post) DO NOTHING RETURNING id")?;
        find.insert("places", (select, insert));
        let scope = client.prepare("UPDATE places SET scope = $2, win = $3 WHERE id = $1 AND scope IS NULL")?;
        Ok(Interner {
            client,
            find,
            categories: HashMap::new(),
            rules: HashMap::new(),
            paths: HashMap::new(),
            places: HashMap::new(),
            last_path: None,
            scope,
        })
    }

    /// The id of a row of `table` with these values, made if there is none
    /// (by this node or another, whichever writes it first).
    fn intern(&mut self, table: &'static str, values: &[&(dyn ToSql + Sync)]) -> anyhow::Result<i64> {
        let (select, insert) = self.find.get(table).expect("a known table").clone();
        loop {
            if let Some(r) = self.client.query_opt(&select, values)? {
                return Ok(r.get(0));
            }
            if let Some(r) = self.client.query_opt(&insert, values)? {
                return Ok(r.get(0));
            }
            // Another node wrote it between the two statements: read it.
        }
    }

    fn category(&mut self, c: Category) -> anyhow::Result<i64> {
        if let Some(&id) = self.categories.get(&c) {
            return Ok(id);
        }
        let id = self.intern("categories", &[&c.as_str()])?;
        self.categories.insert(c, id);
        Ok(id)
    }

    fn rule(&mut self, rule: &str) -> anyhow::Result<i64> {
        if let Some(&id) = self.rules.get(rule) {
            return Ok(id);
        }
        let id = self.intern("rules", &[&rule])?;
        self.rules.insert(rule.to_string(), id);
        Ok(id)
    }

    fn path(&mut self, path: &Arc<str>) -> anyhow::Result<i64> {
        if let Some((p, id)) = &self.last_path
            && (Arc::ptr_eq(p, path) || **p == **path)
        {
            return Ok(*id);
        }
        let id = match self.paths.get(&**path) {
            Some(&id) => id,
            None => {
                let id = self.intern("paths", &[&&**path])?;
                self.paths.insert(path.to_string(), id);
                id
            }
        };
        self.last_path = Some((path.clone(), id));
        Ok(id)
    }

    fn place(&mut self, pre: &str, post: &str, near: Option<(&str, i64)>) -> anyhow::Result<i64> {
        let k = (pre.to_string(), post.to_string());
        if let Some(&(id, scoped)) = self.places.get(&k)
            && (scoped || near.is_none())
        {
            return Ok(id);
        }
        let id = self.intern("places", &[&pre, &post])?;
        if let Some((scope, win)) = near {
            let scope_stmt = self.scope.clone();
            self.client.execute(&scope_stmt, &[&id, &scope, &win])?;
        }
        self.places.insert(k, (id, near.is_some()));
        Ok(id)
    }
}

/// The sink that records a sweep in a PostgreSQL map.
pub struct PgSink {
    map: PgMap,
    interner: Interner,
    key: Key,
    run: i64,
    reveal: bool,
    settings: String,
    roots: Vec<Root>,
    /// The host each root's files are recorded with ([`file_host`]), by root.
    hosts: HashMap<String, String>,
    shared: Arc<Shared>,
    /// Files of the open batch (reported, or still being read).
    files: Vec<FileRow>,
    file_index: HashMap<String, usize>,
    /// Files written in this run whose report has not come yet: their ids.
    begun: HashMap<String, i64>,
    findings: Vec<FindingRow>,
    /// Reused files: id, path, root.
    reused: Vec<(i64, String, String)>,
    in_tx: bool,
    in_batch: usize,
    batch_started: Instant,
    batch_files: usize,
    pub counts: RunCounts,
    recorded: u64,
    abort_after: Option<u64>,
    abort_after_findings: Option<u64>,
    kill_at: Option<u64>,
    steps: u64,
}

impl PgSink {
    /// Start a run over `roots` in the map at `target` (made or brought up to
    /// date), holding each root against other sweeps of it (waiting for them
    /// unless `wait` is false), and the reuse check that goes with it.
    pub fn start(
        target: &Target,
        key: &Key,
        roots: &[PathBuf],
        settings: &str,
        reveal: bool,
        wait: bool,
    ) -> anyhow::Result<(PgSink, PgReuse)> {
        let mut map = PgMap::open(target)?;
        map.check_key(key, true)?;
        let roots = roots_of(roots);
        let root_list: Vec<String> = roots.iter().map(|r| r.abs.to_string_lossy().into_owned()).collect();
        let node = super::lock::host_name();
        let hosts: HashMap<String, String> =
            roots.iter().map(|r| (r.abs.to_string_lossy().into_owned(), file_host(&r.abs, &node))).collect();
        for root in &root_list {
            // One sweep at a time of a root of one host (of a UNC share: of any).
            let held = format!("{}\u{1f}{root}", hosts[root]);
            if map.try_lock_root(&held)? {
                continue;
            }
            if !wait {
                bail!(BadRequest(format!(
                    "another sweep (on this or another node) is sweeping {root} into the data map {target}: run again when it has finished, or leave out --no-wait to wait for it"
                )));
            }
            eprintln!(
                "another sweep (on this or another node) is sweeping {root} into the data map {target}: waiting for it to finish (Ctrl-C to stop; --no-wait to give up at once instead)"
            );
            map.lock_root(&held)?;
        }
        let run: i64 = map
            .client
            .query_one(
                "INSERT INTO runs(started, status, roots, settings, reveal, host) VALUES ($1, 'running', $2, $3, $4, $5) RETURNING id",
                &[&now_text(), &serde_json::to_string(&root_list)?, &settings, &i64::from(reveal), &node],
            )?
            .get(0);
        // What the map holds under these roots (read once the roots are held:
        // what an earlier sweep of them finished is all there).
        let mut known = HashMap::new();
        let mut by_id = HashMap::new();
        for root in &root_list {
            for r in map.client.query(
                "SELECT id, abs, size, modified, settings, status, kind, counts FROM files WHERE host = $2 AND starts_with(abs, $1)",
                &[root, &hosts[root]],
            )? {
                let abs: String = r.get(1);
                by_id.insert(r.get::<_, i64>(0), abs.clone());
                known.insert(
                    abs,
                    Known {
                        id: r.get(0),
                        size: r.get(2),
                        modified: r.get(3),
                        settings: r.get(4),
                        status: r.get(5),
                        kind: r.get(6),
                        counts: r.get(7),
                        parts: Vec::new(),
                    },
                );
            }
            for r in map.client.query(
                "SELECT p.file_id, p.path, p.status, p.reason FROM parts p JOIN files f ON f.id = p.file_id
                 WHERE f.host = $2 AND starts_with(f.abs, $1) ORDER BY p.file_id, p.path",
                &[root, &hosts[root]],
            )? {
                let Some(k) = by_id.get(&r.get::<_, i64>(0)).and_then(|abs| known.get_mut(abs)) else { continue };
                let (status, reason): (String, String) = (r.get(2), r.get(3));
                let status = if status == "failed" { Status::Failed(reason) } else { Status::Skipped(reason) };
                if !k.parts.iter().any(|(p, _)| *p == r.get::<_, String>(1)) {
                    k.parts.push((r.get(1), status));
                }
            }
        }
        let shared = Arc::new(Shared::default());
        let reuse = PgReuse {
            roots: roots.clone(),
            known,
            settings: settings.to_string(),
            hand_on: true,
            shared: shared.clone(),
        };
        let env_num = crate::test_hooks::num;
        let sink = PgSink {
            interner: Interner::new(target)?,
            map,
            key: key.clone(),
            run,
            reveal,
            settings: settings.to_string(),
            roots,
            hosts,
            shared,
            files: Vec::new(),
            file_index: HashMap::new(),
            begun: HashMap::new(),
            findings: Vec::new(),
            reused: Vec::new(),
            in_tx: false,
            in_batch: 0,
            batch_started: Instant::now(),
            batch_files: env_num("PIISWEEP_TEST_MAP_BATCH").map_or(BATCH_FILES, |n| n.max(1) as usize),
            counts: RunCounts::default(),
            recorded: 0,
            abort_after: env_num("PIISWEEP_TEST_ABORT_AFTER"),
            abort_after_findings: env_num("PIISWEEP_TEST_ABORT_AFTER_FINDINGS"),
            kill_at: env_num("PIISWEEP_TEST_KILL_AT"),
            steps: 0,
        };
        Ok((sink, reuse))
    }

    pub fn run_id(&self) -> i64 {
        self.run
    }

    /// The batch's row for the file at `abs` (a `reading` row until its report).
    fn file_row(&mut self, root: &str, abs: &str, path: &str, size: u64, modified: Option<i64>) -> usize {
        if let Some(&i) = self.file_index.get(abs) {
            return i;
        }
        let host = self.hosts.get(root).cloned().unwrap_or_default();
        self.files.push(FileRow {
            host,
            root: root.to_string(),
            abs: abs.to_string(),
            path: path.to_string(),
            size: size as i64,
            modified,
            kind: String::new(),
            content_hash: None,
            status: "reading".into(),
            reason: None,
            findings: 0,
            counts: None,
            parts: Vec::new(),
        });
        self.file_index.insert(abs.to_string(), self.files.len() - 1);
        self.files.len() - 1
    }

    fn record_findings(&mut self, entry: &FileEntry, batch: &[Finding], parts: Option<&[u8]>) -> anyhow::Result<()> {
        let Some((root, abs)) = locate(&self.roots, &entry.abs, &entry.rel) else {
            return Ok(());
        };
        if self.shared.reused.lock().expect("reuse lock").contains_key(&abs) {
            return Ok(());
        }
        let file = self.file_row(&root, &abs, &entry.rel, entry.size, time_ns(entry.modified));
        let computed;
        let parts = match parts {
            Some(p) => p,
            None => {
                computed = store::encode_rows(&self.key, batch);
                &computed[..]
            }
        };
        for (f, row) in batch.iter().zip(store::decode_rows(parts)) {
            let r = self.row(file, f, &row)?;
            self.findings.push(r);
            kill_hook(&mut self.steps, self.kill_at);
            self.recorded += 1;
            test_abort(self.abort_after_findings, self.recorded, "PIISWEEP_TEST_ABORT_AFTER_FINDINGS");
        }
        if self.findings.len() >= BUFFER_FINDINGS {
            self.flush()?;
        }
        Ok(())
    }

    fn row(&mut self, file: usize, f: &Finding, row: &RowParts<'_>) -> anyhow::Result<FindingRow> {
        Ok(FindingRow {
            file,
            path: self.interner.path(&f.path)?,
            place: self.interner.place(row.pre, row.post, row.near)?,
            num: row.num,
            category: self.interner.category(f.category)?,
            rule: self.interner.rule(&f.rule)?,
            confidence: (f.confidence * 100.0).round() as i64,
            hash: f.hash.0.to_vec(),
            masked: row.masked.to_string(),
            value: (self.reveal && !f.masked_only).then(|| f.value.to_string()),
            words: row.words.map(<[u8]>::to_vec),
            hkey: store::hkey(&f.hash),
        })
    }

    /// A file is finished: its row takes its status, kind and counts.
    fn record(&mut self, r: &FileReport) -> anyhow::Result<()> {
        let Some((root, abs)) = r.abs.as_deref().and_then(|a| locate(&self.roots, a, &r.path)) else {
            return Ok(());
        };
        let found = r.counts.total();
        self.counts.findings += found;
        if let Some(id) = self.shared.reused.lock().expect("reuse lock").remove(&abs) {
            self.counts.reused += 1;
            self.reused.push((id, r.path.clone(), root));
            return Ok(());
        }
        self.counts.read += 1;
        let content = self.shared.content.lock().expect("content lock").remove(&abs);
        let i = self.file_row(&root, &abs, &r.path, r.size, time_ns(r.modified));
        let (status, reason) = match &r.status {
            Status::Scanned => ("scanned", None),
            Status::Skipped(why) => ("skipped", Some(why.clone())),
            Status::Failed(why) => ("failed", Some(why.clone())),
        };
        let row = &mut self.files[i];
        row.kind = r.kind.to_string();
        row.content_hash = content;
        row.status = status.to_string();
        row.reason = reason;
        row.findings = found as i64;
        row.counts = Some(store::counts_text(&r.counts));
        for (path, st) in &r.parts {
            let (s, why) = match st {
                Status::Failed(w) => ("failed", w),
                Status::Skipped(w) => ("skipped", w),
                Status::Scanned => continue,
            };
            row.parts.push((path.clone(), s.to_string(), why.clone()));
        }
        Ok(())
    }

    /// Send what is buffered, in the open transaction (begun if none is).
    fn flush(&mut self) -> anyhow::Result<()> {
        if self.files.is_empty() && self.reused.is_empty() && self.findings.is_empty() {
            return Ok(());
        }
        if !self.in_tx {
            self.map.client.batch_execute("BEGIN")?;
            self.in_tx = true;
        }
        let client = &mut self.map.client;
        // The files' rows, their ids back.
        let mut ids = vec![0i64; self.files.len()];
        if !self.files.is_empty() {
            let f = &self.files;
            let col = |g: &dyn Fn(&FileRow) -> Option<String>| f.iter().map(g).collect::<Vec<Option<String>>>();
            let hosts = col(&|r| Some(r.host.clone()));
            let roots = col(&|r| Some(r.root.clone()));
            let abss = col(&|r| Some(r.abs.clone()));
            let paths = col(&|r| Some(r.path.clone()));
            let sizes: Vec<i64> = f.iter().map(|r| r.size).collect();
            let modified: Vec<Option<i64>> = f.iter().map(|r| r.modified).collect();
            let kinds = col(&|r| Some(r.kind.clone()));
            let hashes = col(&|r| r.content_hash.clone());
            let statuses = col(&|r| Some(r.status.clone()));
            let reasons = col(&|r| r.reason.clone());
            let found: Vec<i64> = f.iter().map(|r| r.findings).collect();
            let counts = col(&|r| r.counts.clone());
            let rows = client.query(
                "INSERT INTO files(root, abs, path, size, modified, kind, content_hash, status, reason, findings, settings, seen_in_run, scanned_in_run, counts, host)
                 SELECT u.root, u.abs, u.path, u.size, u.modified, u.kind, u.content_hash, u.status, u.reason, u.findings, $1, $2, $2, u.counts, u.host
                 FROM unnest($3::text[], $4::text[], $5::text[], $6::int8[], $7::int8[], $8::text[], $9::text[], $10::text[], $11::text[], $12::int8[], $13::text[], $14::text[])
                      AS u(root, abs, path, size, modified, kind, content_hash, status, reason, findings, counts, host)
                 ON CONFLICT (host, abs) DO UPDATE SET root = excluded.root, path = excluded.path, size = excluded.size,
                   modified = excluded.modified, kind = excluded.kind, content_hash = excluded.content_hash,
                   status = excluded.status, reason = excluded.reason, findings = excluded.findings,
                   settings = excluded.settings, seen_in_run = excluded.seen_in_run,
                   scanned_in_run = excluded.scanned_in_run, counts = excluded.counts
                 RETURNING id, abs",
                &[&self.settings, &self.run, &roots, &abss, &paths, &sizes, &modified, &kinds, &hashes, &statuses, &reasons, &found, &counts, &hosts],
            )?;
            let mut fresh = Vec::new();
            for r in rows {
                let (id, abs): (i64, String) = (r.get(0), r.get(1));
                let i = self.file_index[&abs];
                ids[i] = id;
                // What an earlier run recorded of a file is dropped when this
                // run first writes it (not again: its findings may be here).
                if !self.begun.contains_key(&abs) {
                    fresh.push(id);
                }
            }
            if !fresh.is_empty() {
                client.execute("DELETE FROM findings WHERE file_id = ANY($1)", &[&fresh])?;
                client.execute("DELETE FROM parts WHERE file_id = ANY($1)", &[&fresh])?;
            }
            // Parts of finished files.
            let (mut pf, mut pp, mut ps, mut pr) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for (i, f) in self.files.iter().enumerate() {
                for (path, status, reason) in &f.parts {
                    pf.push(ids[i]);
                    pp.push(path.as_str());
                    ps.push(status.as_str());
                    pr.push(reason.as_str());
                }
            }
            if !pf.is_empty() {
                client.execute(
                    "INSERT INTO parts(file_id, path, status, reason) SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[])",
                    &[&pf, &pp, &ps, &pr],
                )?;
            }
        }
        // The findings, in the order found, by binary COPY.
        if !self.findings.is_empty() {
            let sink = client.copy_in(
                "COPY findings(file_id, path, place, num, category, rule, confidence, hash, masked, value, words, hkey) FROM STDIN (FORMAT binary)",
            )?;
            let types = [
                Type::INT8,
                Type::INT8,
                Type::INT8,
                Type::INT8,
                Type::INT8,
                Type::INT8,
                Type::INT8,
                Type::BYTEA,
                Type::TEXT,
                Type::TEXT,
                Type::BYTEA,
                Type::INT8,
            ];
            let mut w = BinaryCopyInWriter::new(sink, &types);
            for f in &self.findings {
                w.write(&[
                    &ids[f.file],
                    &f.path,
                    &f.place,
                    &f.num,
                    &f.category,
                    &f.rule,
                    &f.confidence,
                    &f.hash,
                    &f.masked,
                    &f.value,
                    &f.words,
                    &f.hkey,
                ])?;
            }
            w.finish()?;
        }
        // Files reused: seen in this run.
        if !self.reused.is_empty() {
            let ids: Vec<i64> = self.reused.iter().map(|r| r.0).collect();
            let paths: Vec<&str> = self.reused.iter().map(|r| r.1.as_str()).collect();
            let roots: Vec<&str> = self.reused.iter().map(|r| r.2.as_str()).collect();
            client.execute(
                "UPDATE files f SET seen_in_run = $1, path = u.path, root = u.root
                 FROM unnest($2::int8[], $3::text[], $4::text[]) AS u(id, path, root) WHERE f.id = u.id",
                &[&self.run, &ids, &paths, &roots],
            )?;
        }
        // Files still being read keep their ids for the next batch.
        for (i, f) in self.files.iter().enumerate() {
            if f.status == "reading" {
                self.begun.insert(f.abs.clone(), ids[i]);
            } else {
                self.begun.remove(&f.abs);
            }
        }
        self.files.clear();
        self.file_index.clear();
        self.findings.clear();
        self.reused.clear();
        Ok(())
    }

    fn commit(&mut self) -> anyhow::Result<()> {
        self.flush()?;
        kill_hook(&mut self.steps, self.kill_at);
        if self.in_tx {
            self.map.client.batch_execute("COMMIT")?;
            self.in_tx = false;
        }
        kill_hook(&mut self.steps, self.kill_at);
        self.in_batch = 0;
        self.batch_started = Instant::now();
        Ok(())
    }

    /// Mark files under this run's roots that were not seen as gone, and
    /// drop what the map held about them.
    fn mark_gone(&mut self) -> anyhow::Result<()> {
        let roots: Vec<String> = self.roots.iter().map(|r| r.abs.to_string_lossy().into_owned()).collect();
        for root in roots {
            let host = self.hosts.get(&root).cloned().unwrap_or_default();
            let gone: Vec<i64> = self
                .map
                .client
                .query(
                    "UPDATE files SET status = 'gone', reason = 'not found in the last sweep (deleted, moved or excluded)', findings = 0
                     WHERE host = $3 AND root = $1 AND seen_in_run <> $2 AND status <> 'gone' RETURNING id",
                    &[&root, &self.run, &host],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect();
            if !gone.is_empty() {
                self.map.client.execute("DELETE FROM findings WHERE file_id = ANY($1)", &[&gone])?;
                self.map.client.execute("DELETE FROM parts WHERE file_id = ANY($1)", &[&gone])?;
            }
            self.counts.gone += gone.len() as u64;
        }
        Ok(())
    }

    fn end(&mut self, status: &str) -> anyhow::Result<()> {
        self.flush()?;
        if !self.in_tx {
            self.map.client.batch_execute("BEGIN")?;
            self.in_tx = true;
        }
        if status == "complete" {
            self.mark_gone()?;
        }
        let c = self.counts;
        self.map.client.execute(
            "UPDATE runs SET finished = $1, status = $2, files_read = $3, files_reused = $4, files_gone = $5, findings = $6 WHERE id = $7",
            &[&now_text(), &status, &(c.read as i64), &(c.reused as i64), &(c.gone as i64), &(c.findings as i64), &self.run],
        )?;
        self.map.client.batch_execute("COMMIT")?;
        self.in_tx = false;
        Ok(())
    }
}

fn io(e: anyhow::Error) -> std::io::Error {
    std::io::Error::other(format!("data map: {e:#}"))
}

impl Sink for PgSink {
    fn findings(&mut self, file: &FileEntry, batch: &[Finding]) -> std::io::Result<()> {
        self.record_findings(file, batch, None).map_err(io)
    }

    fn prepare(&self) -> Option<crate::scan::Prepare> {
        let key = self.key.clone();
        Some(Arc::new(move |batch: &[Finding]| store::encode_rows(&key, batch)))
    }

    fn prepared(&mut self, file: &FileEntry, batch: &[Finding], bytes: Vec<u8>) -> std::io::Result<()> {
        self.record_findings(file, batch, Some(&bytes)).map_err(io)
    }

    fn file(&mut self, report: &FileReport) -> std::io::Result<()> {
        self.record(report).map_err(io)?;
        kill_hook(&mut self.steps, self.kill_at);
        self.in_batch += 1;
        if self.in_batch >= self.batch_files || self.batch_started.elapsed() >= BATCH_TIME {
            self.commit().map_err(io)?;
        }
        test_abort(self.abort_after, self.counts.read + self.counts.reused, "PIISWEEP_TEST_ABORT_AFTER");
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.end("complete").map_err(io)
    }

    fn stopped(&mut self) -> std::io::Result<()> {
        self.end("stopped").map_err(io)
    }
}

/// The sweep's side of `--map postgresql://…`: what [`PgSink::start`] needs
/// to know whether this map can be written with this key, before a key is
/// made: the fingerprint the map records, if any.
pub fn recorded_key_check(target: &Target) -> anyhow::Result<Option<String>> {
    let mut client = target.connect()?;
    let exists: bool = client.query_one("SELECT to_regclass('meta') IS NOT NULL", &[])?.get(0);
    if !exists {
        return Ok(None);
    }
    Ok(client
        .query_opt("SELECT value FROM meta WHERE key = 'key_check'", &[])
        .context("cannot read the data map's key fingerprint")?
        .map(|r| r.get(0)))
}
