//! The data map: a SQLite record of every sweep, file and finding.
//!
//! The map holds keyed hashes and masked values (plain values only with
//! `--reveal`), so it can answer "where is this person's data?" without
//! holding the data itself. It is still personal data (it says which files
//! mention whom), so it is created owner-only (0600).
//!
//! One sweep at a time writes a map: it holds the map's [`lock`] (an OS
//! lock, released however the process ends). Writes go through [`MapSink`]
//! on the sweep's writer thread, one transaction per batch of files: a sweep
//! killed half-way leaves every committed file complete with its findings
//! (a file whose findings were committed in several transactions says
//! `reading` until the last, and is read again if the sweep stopped before
//! it), and its `runs` row unfinished. [`Reuse`] lets the next sweep skip
//! files whose size and modified time are unchanged since they were
//! recorded (in a finished run or an unfinished one, which is how a killed
//! sweep resumes), at the cost of a stat: their findings are read back only
//! when something needs them (`--jsonl`).
//!
//! The storage is described in [`store`] (schema 4); a schema 1, 2 or 3 map is
//! converted when opened.

pub mod db;
mod legacy;
pub mod lock;
pub mod pg;
pub mod pgsink;
pub mod reader;
pub mod report;
mod sink;
pub mod store;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::detect::Engine;
use crate::keys::Key;

pub use crate::common::{POS_FIRST, POS_LAST, POS_ONLY, date_text, name_words, now_text, time_ns};
pub use pgsink::{PgReuse, PgSink};
pub use sink::{MapSink, Reuse, RunCounts};
pub use store::SCHEMA_VERSION;

/// Where `--map` writes when given no file name.
pub const DEFAULT_MAP_FILE: &str = "piisweep.db";

/// An open data map.
pub struct Map {
    pub conn: Connection,
    pub path: PathBuf,
    /// What a reader must tell the user about the map as it found it (a
    /// sweep still writing it, search indexes missing); the caller shows them.
    pub notes: Vec<String>,
}

impl Map {
    /// Open the map at `path`, creating it (owner-only) if it does not exist.
    pub fn create_or_open(path: &Path) -> anyhow::Result<Map> {
        crate::outputs::check_map_file(path)?;
        if reader::is_url(path) {
            bail!(crate::error::BadRequest(format!(
                "{} is a PostgreSQL map: a sweep writes it through PgSink, not as a file",
                reader::shown(path)
            )));
        }
        if !path.exists() {
            create_private(path)?;
        }
        Self::open_inner(path)
    }

    /// Open a map that must already exist, for reading (`map` and `sar`).
    ///
    /// A reader opens the map read-only and never changes its schema: a
    /// sweep may be writing it (a first sweep makes its search indexes only
    /// at its end), and a reader that needed the write lock would wait for
    /// that sweep. A map without its search indexes (a first sweep running,
    /// or killed before its end) is searched without them, more slowly; the
    /// next sweep makes them again. Only a map of an older schema (1 to 3) is written, to
    /// convert it (once).
    pub fn open_existing(path: &Path) -> anyhow::Result<Map> {
        crate::outputs::check_map_file(path)?;
        if !path.is_file() {
            bail!(crate::error::BadRequest(format!(
                "no data map at {}: run `piisweep scan FOLDER --map {}` first, or give --map FILE",
                path.display(),
                path.display()
            )));
        }
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open the data map {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let writer = lock::held_by(path);
        let not_a_map = || format!("{} is not a piisweep data map", path.display());
        match store::version(&conn).with_context(not_a_map)? {
            0 => match &writer {
                Some(who) => bail!(crate::error::BadRequest(format!(
                    "a sweep ({who}) is still writing the data map {} and has recorded nothing yet: run this again when it has finished",
                    path.display()
                ))),
                None => bail!(crate::error::BadRequest(format!(
                    "{} is not a piisweep data map (it holds no sweep): give the map a sweep wrote with --map, or run `piisweep scan FOLDER --map {}` first",
                    path.display(),
                    path.display()
                ))),
            },
            1..=4 => {
                drop(conn);
                return Self::open_inner(path);
            }
            v if v == store::SCHEMA_VERSION => {}
            v => bail!(crate::error::BadRequest(format!(
                "the data map {} was made by a newer piisweep (format {v}; this one reads up to {}): use that version, or sweep again into a new map (--map NEW.db)",
                path.display(),
                store::SCHEMA_VERSION
            ))),
        }
        let mut map = Map { conn, path: path.to_path_buf(), notes: Vec::new() };
        if let Some(who) = &writer {
            let note = format!(
                "a sweep ({who}) is still writing the data map {}: this answer covers only the files it has recorded so far",
                path.display()
            );
            map.notes.push(note);
        } else if !map.missing_search_indexes()?.is_empty() {
            let note = format!(
                "the data map {} lacks its search indexes (a sweep that was to make them again was stopped before its end): searching it is slower until the next sweep of it, which makes them again",
                path.display()
            );
            map.notes.push(note);
        }
        Ok(map)
    }

    /// The search indexes ([`store::SEARCH_INDEXES`]) the map lacks: a
    /// first sweep, or one that rewrites much of the map, makes them at its end.
    pub fn missing_search_indexes(&self) -> anyhow::Result<Vec<&'static str>> {
        let mut missing = Vec::new();
        for (name, _) in store::SEARCH_INDEXES {
            let n: i64 = self.conn.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?1",
                [name],
                |r| r.get(0),
            )?;
            if n == 0 {
                missing.push(name);
            }
        }
        Ok(missing)
    }

    fn open_inner(path: &Path) -> anyhow::Result<Map> {
        let mut conn =
            Connection::open(path).with_context(|| format!("cannot open the data map {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let not_a_map = || format!("{} is not a piisweep data map", path.display());
        match store::version(&conn).with_context(not_a_map)? {
            0 => {
                conn.execute_batch(store::SCHEMA).with_context(not_a_map)?;
                conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '4')", [])?;
                store::migrate_v4(&mut conn).with_context(not_a_map)?;
            }
            1 => {
                store::migrate_v1(&mut conn).with_context(|| {
                    format!(
                        "could not convert the data map {} to this version's format: sweep again into a new map (--map NEW.db)",
                        path.display()
                    )
                })?;
                let _ = conn.execute_batch("VACUUM");
            }
            v @ (2 | 3) => {
                let convert = |conn: &mut Connection| {
                    if v == 2 {
                        store::migrate_v2(conn)?;
                    }
                    store::migrate_v3(conn)
                };
                convert(&mut conn).with_context(|| {
                    format!(
                        "could not convert the data map {} to this version's format: sweep again into a new map (--map NEW.db)",
                        path.display()
                    )
                })?;
            }
            4 => {}
            v if v == store::SCHEMA_VERSION => {
                conn.execute_batch(store::SCHEMA).with_context(not_a_map)?;
            }
            v => bail!(crate::error::BadRequest(format!(
                "the data map {} was made by a newer piisweep (format {v}; this one reads up to {}): use that version, or sweep again into a new map (--map NEW.db)",
                path.display(),
                store::SCHEMA_VERSION
            ))),
        }
        // Schema 4 (as found, or converted to it above): on to 5.
        if store::version(&conn).with_context(not_a_map)? == 4 {
            store::migrate_v4(&mut conn).with_context(|| {
                format!(
                    "could not convert the data map {} to this version's format: sweep again into a new map (--map NEW.db)",
                    path.display()
                )
            })?;
        }
        restrict(path);
        Ok(Map { conn, path: path.to_path_buf(), notes: Vec::new() })
    }

    /// Check `key` is the one the map's hashes were made with (recording it
    /// on first use): another key would silently match nothing.
    pub fn check_key(&self, key: &Key) -> anyhow::Result<()> {
        let check = key_check(key);
        match self.recorded_key_check()? {
            Some(s) if s == check => Ok(()),
            Some(_) => bail!(crate::error::BadRequest(format!(
                "the key does not match the data map {}: its hashes were made with another key. Use --key with the key file that was used for it",
                self.path.display()
            ))),
            // A reader (read-only) records nothing: no sweep has recorded
            // a finding with any key yet.
            None if self.conn.is_readonly(rusqlite::MAIN_DB)? => Ok(()),
            None => {
                self.conn.execute("INSERT INTO meta(key, value) VALUES ('key_check', ?1)", [check])?;
                Ok(())
            }
        }
    }

    /// The fingerprint ([`key_check`]) of the key the map's hashes were made
    /// with, once a sweep has recorded it.
    pub fn recorded_key_check(&self) -> anyhow::Result<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = 'key_check'", [], |r| r.get(0)).optional()?)
    }

    /// The absolute roots of all runs recorded (for refusing outputs inside them).
    pub fn roots(&self) -> anyhow::Result<Vec<PathBuf>> {
        reader::roots_db(&mut db::Db::Sqlite(&self.conn))
    }
}

/// A fingerprint of `key` (a keyed hash of a fixed text), as recorded in a
/// map: it tells which key a map was made with without holding the key.
pub fn key_check(key: &Key) -> String {
    key.hash("piisweep key check")
}

/// The key fingerprint recorded in the map at `path`, read without writing
/// to it. `None` when the map does not exist or has no key recorded yet.
pub fn recorded_key_check_at(path: &Path) -> anyhow::Result<Option<String>> {
    if !path.is_file() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open the data map {}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let has_meta: bool = conn
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'", [], |r| {
            r.get::<_, i64>(0)
        })
        .with_context(|| format!("{} is not a piisweep data map", path.display()))?
        > 0;
    if !has_meta {
        return Ok(None);
    }
    Ok(conn.query_row("SELECT value FROM meta WHERE key = 'key_check'", [], |r| r.get(0)).optional()?)
}

/// Create an empty file readable only by its owner.
fn create_private(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).with_context(|| format!("cannot create the data map {}", path.display()))?;
    crate::private::owner_only(path, false)
        .with_context(|| format!("cannot make the data map {} private to you", path.display()))?;
    Ok(())
}

/// Make the map (and its WAL files, if present) owner-only.
fn restrict(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut names = vec![path.to_path_buf()];
        for suffix in ["-wal", "-shm"] {
            let mut p = path.as_os_str().to_os_string();
            p.push(suffix);
            names.push(PathBuf::from(p));
        }
        for p in names {
            if p.exists() {
                let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
            }
        }
    }
    // Windows: SQLite makes its -wal and -shm files with the folder's
    // permissions; give them the map's own (owner only).
    #[cfg(windows)]
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_os_string();
        p.push(suffix);
        let p = PathBuf::from(p);
        if p.exists() {
            let _ = crate::private::owner_only(&p, false);
        }
    }
    #[cfg(not(any(unix, windows)))]
    let _ = path;
}

/// Back from `files.modified`.
pub fn from_ns(ns: Option<i64>) -> Option<SystemTime> {
    ns.map(|n| UNIX_EPOCH + std::time::Duration::from_nanos(n.max(0) as u64))
}

/// A fingerprint of everything that decides what a file's findings are: a
/// file recorded under other rules or options is read again.
pub fn settings_fingerprint(engine: &Engine, min_confidence: f32, max_file_size: u64) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION"));
    h.update(format!("{min_confidence} {max_file_size}"));
    for r in &engine.rules {
        h.update(format!("{:?}", r.spec));
    }
    let l = &engine.lists;
    for set in [&l.postcode_areas, &l.role_mailboxes, &l.street_types, &l.placeholders] {
        let mut words: Vec<&String> = set.iter().collect();
        words.sort();
        for w in words {
            h.update(w);
            h.update([0]);
        }
        h.update([1]);
    }
    let mut names: Vec<(&str, u8)> = l.name_flags.iter().collect();
    names.sort();
    for (w, flags) in names {
        h.update(w);
        h.update([0, flags]);
    }
    hex::encode(&h.finalize()[..16])
}

/// A cheap content hash: SHA-256 of the size and the first and last 64 KiB.
/// Used to tell the user a file changed since it was mapped, without
/// reading it whole.
pub fn content_hash(path: &Path) -> std::io::Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    const SAMPLE: u64 = 64 << 10;
    let mut f = crate::formats::input::open_readonly(path)?;
    let size = f.metadata()?.len();
    let mut h = Sha256::new();
    h.update(size.to_le_bytes());
    let mut buf = Vec::with_capacity(SAMPLE as usize);
    (&mut f).take(SAMPLE).read_to_end(&mut buf)?;
    h.update(&buf);
    if size > SAMPLE {
        f.seek(SeekFrom::Start(size.saturating_sub(SAMPLE).max(SAMPLE)))?;
        buf.clear();
        f.take(SAMPLE).read_to_end(&mut buf)?;
        h.update(&buf);
    }
    Ok(hex::encode(&h.finalize()[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_is_private_and_checks_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/m.db");
        let map = Map::create_or_open(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        map.check_key(&Key::from_bytes([1; 32])).unwrap();
        map.check_key(&Key::from_bytes([1; 32])).unwrap();
        assert!(map.check_key(&Key::from_bytes([2; 32])).is_err());
    }

    /// A schema 4 map (before hosts) is brought to schema 5 when opened,
    /// by a reader too: its files keep their rows, with no host.
    #[test]
    fn a_schema_4_map_gets_hosts_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v4.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(store::SCHEMA).unwrap();
            conn.execute_batch(
                "INSERT INTO meta(key, value) VALUES ('schema', '4');
                 INSERT INTO runs(started, status, roots, settings, reveal) VALUES ('2026-01-01', 'complete', '[]', 's', 0);
                 INSERT INTO files(root, abs, path, size, kind, status, settings, seen_in_run, scanned_in_run)
                     VALUES ('/r', '/r/a.txt', 'a.txt', 1, 'text', 'scanned', 's', 1, 1);",
            )
            .unwrap();
        }
        let map = Map::open_existing(&path).unwrap();
        assert_eq!(store::version(&map.conn).unwrap(), 5);
        let host: String = map.conn.query_row("SELECT host FROM files", [], |r| r.get(0)).unwrap();
        assert_eq!(host, "");
        let run_host: String = map.conn.query_row("SELECT host FROM runs", [], |r| r.get(0)).unwrap();
        assert_eq!(run_host, "");
        // Opened again: nothing more to do.
        drop(map);
        let map = Map::create_or_open(&path).unwrap();
        assert_eq!(store::version(&map.conn).unwrap(), 5);
    }
}
