//! How findings are stored in the map (schema 4), compactly: about a third
//! of the space of schema 1.
//!
//! - The keyed hash is a 32-byte BLOB; its first 8 bytes are also held as a
//!   number (`hkey`, big-endian, signed), and only that is indexed (a lookup
//!   checks the whole hash after): enough to tell 2^64 values apart. An
//!   index of numbers is made and searched faster than one of the BLOB's
//!   first 8 bytes (schema 2's expression index), which SQLite computed and
//!   compared as BLOBs.
//! - Paths, rule ids and categories are numbers into small tables (`paths`,
//!   `rules`, `categories`), each written once.
//! - A location is its number (the line, row or cell row: `row 17, col
//!   Email` → 17) and the text around it, numbered once in `places`
//!   (`row `, `, col Email`), taken from the finding's typed
//!   [`Location`](crate::finding::Location) (never split out of its text);
//!   since schema 4 a place also holds its scope and window for `sar`'s
//!   "nearby" (`row`, 0; `line `, 3), so `sar` reads no location text.
//! - A name's words are 8-byte prefixes of their keyed hashes, held in the
//!   finding itself (`words`: the first or only word, then the last) and
//!   indexed by two partial expression indexes, instead of a table of their
//!   own.
//! - The confidence is a whole number of hundredths (what is written out).
//!
//! [`SCHEMA`] creates it; [`migrate_v1`], [`migrate_v2`] and [`migrate_v3`]
//! convert a schema 1, 2 or 3 map in place (the only code that reads
//! location text: what older versions stored).

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::legacy;
use crate::detect::Category;
use crate::finding::Finding;
use crate::keys::{Hash, Key};

/// The schema version this build writes (`meta.schema`).
pub const SCHEMA_VERSION: i64 = 5;

/// Schema 4; every statement is idempotent so opening an existing map is safe.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,            -- running | complete | stopped (Ctrl-C)
    roots TEXT NOT NULL,             -- JSON list of absolute roots
    settings TEXT NOT NULL,          -- fingerprint of rules and options
    reveal INTEGER NOT NULL,
    files_read INTEGER NOT NULL DEFAULT 0,
    files_reused INTEGER NOT NULL DEFAULT 0,
    files_gone INTEGER NOT NULL DEFAULT 0,
    findings INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS files(
    id INTEGER PRIMARY KEY,
    root TEXT NOT NULL,              -- the absolute scanned root it was found under
    abs TEXT NOT NULL UNIQUE,        -- absolute path on disk
    path TEXT NOT NULL,              -- relative to the root, as in the findings
    size INTEGER NOT NULL,
    modified INTEGER,                -- nanoseconds since 1970
    kind TEXT NOT NULL,
    content_hash TEXT,               -- SHA-256 of size, first and last 64 KiB
    status TEXT NOT NULL,            -- scanned | skipped | failed | gone | reading (findings partly recorded)
    reason TEXT,
    findings INTEGER NOT NULL DEFAULT 0,
    settings TEXT NOT NULL,
    seen_in_run INTEGER NOT NULL,    -- last run that saw it on disk
    scanned_in_run INTEGER NOT NULL, -- last run that read it
    counts TEXT);                    -- findings by category: `name 12,email 3`
CREATE INDEX IF NOT EXISTS files_root ON files(root, seen_in_run);
CREATE TABLE IF NOT EXISTS parts(
    file_id INTEGER NOT NULL, path TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS parts_file ON parts(file_id);
CREATE TABLE IF NOT EXISTS categories(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS rules(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS paths(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS places(
    id INTEGER PRIMARY KEY,
    pre TEXT NOT NULL,               -- a location's text before its number (all of it if it has none)
    post TEXT NOT NULL,              -- and after it
    scope TEXT,                      -- for sar, nearby places: with a number: `line `, `row`, `Sheet1!`; NULL: no neighbours
    win INTEGER,                     -- how far apart two numbers of the scope are still nearby
    UNIQUE(pre, post));
CREATE TABLE IF NOT EXISTS findings(
    id INTEGER PRIMARY KEY,          -- in the order found, within each file
    file_id INTEGER NOT NULL,
    path INTEGER NOT NULL,           -- paths.id: the file's path, with `!` for parts inside it
    place INTEGER NOT NULL,          -- places.id: the location's text before and after `num`
    num INTEGER,                     -- the location's number (line, row...), NULL if it has none
    category INTEGER NOT NULL,       -- categories.id
    rule INTEGER NOT NULL,           -- rules.id
    confidence INTEGER NOT NULL,     -- hundredths
    hash BLOB NOT NULL,              -- keyed hash of the normalised value, 32 bytes
    masked TEXT NOT NULL,
    value TEXT,                      -- only with --reveal
    words BLOB,                      -- names: 8-byte keyed-hash prefixes of the first (or only) word, then the last
    hkey INTEGER);                   -- the hash's first 8 bytes as a number (big-endian, signed): what is indexed
CREATE INDEX IF NOT EXISTS findings_file ON findings(file_id);
CREATE INDEX IF NOT EXISTS findings_hkey ON findings(hkey);
CREATE INDEX IF NOT EXISTS findings_word1 ON findings(substr(words, 1, 8)) WHERE words IS NOT NULL;
CREATE INDEX IF NOT EXISTS findings_word2 ON findings(substr(words, 9, 8)) WHERE length(words) = 16;
CREATE VIEW IF NOT EXISTS findings_text AS
    SELECT f.id, f.file_id, p.path, l.pre || coalesce(f.num, '') || l.post AS location, c.name AS category,
           lower(hex(f.hash)) AS hash, f.masked, f.value, r.name AS rule, f.confidence / 100.0 AS confidence
    FROM findings f JOIN paths p ON p.id = f.path JOIN places l ON l.id = f.place
         JOIN categories c ON c.id = f.category JOIN rules r ON r.id = f.rule;
";

/// Schema 5 (#25, several scanner nodes): each run and file records the
/// host of the node that swept it (`''` for files of a map made before, and
/// for files on a share named by a UNC path, `\\server\share`, which
/// every node reaches alike); a file is one per (host, abs). SQLite keeps
/// `abs` unique as well (one machine writes a SQLite map). Applied by
/// [`migrate_v4`] to a schema 4 map, and after [`SCHEMA`] to a new one.
pub const SCHEMA_5: &str = "
ALTER TABLE runs ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE files ADD COLUMN host TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX IF NOT EXISTS files_host_abs ON files(host, abs);
UPDATE meta SET value = '5' WHERE key = 'schema';
";

/// Convert a schema 4 map to schema 5 ([`SCHEMA_5`]), in one transaction
/// (a column already there, as in a map converted from an older schema with
/// this build's tables, is not added again).
pub fn migrate_v4(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for statement in SCHEMA_5.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(rest) = statement.strip_prefix("ALTER TABLE ")
            && let Some((table, _)) = rest.split_once(' ')
        {
            let has: i64 = tx.query_row(
                &format!("SELECT count(*) FROM pragma_table_info('{table}') WHERE name = 'host'"),
                [],
                |r| r.get(0),
            )?;
            if has > 0 {
                continue;
            }
        }
        tx.execute_batch(statement)?;
    }
    tx.commit()
}

/// The audit trail of `piisweep serve` (searches, bundles, exports): made
/// when the web page first starts on a map, beside the sweep's tables, which
/// never read it; a map without it is still a schema 4 map.
pub const AUDIT_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit(
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,                -- when (UTC, RFC 3339)
    action TEXT NOT NULL,            -- search | bundle | export
    searched TEXT,                   -- JSON: the details searched, by kind, as keyed hashes only (never the values)
    received TEXT,                   -- for a request: when it was received, and the reply's deadline
    deadline TEXT,
    files INTEGER NOT NULL DEFAULT 0, -- files found, put in the bundle, or copied
    outcome TEXT NOT NULL,           -- what was done and where it went, in words
    safe INTEGER);                   -- bundle/export: 1 if the re-scan was clean, 0 if not
";

/// The indexes that take a sweep's inserts in random order (by keyed hash
/// and by name word), by name and statement, as in [`SCHEMA`]. A first sweep
/// (or one that deletes and adds as many findings as the map held) drops
/// them and makes them again at its end: one sort is far faster than a
/// million inserts or deletes in random order. A sweep killed before its end leaves
/// the map without them: readers (`map`, `sar`) search it without them, and
/// the next sweep (the only writer) runs [`SCHEMA`], which makes them again.
pub const SEARCH_INDEXES: [(&str, &str); 3] = [
    ("findings_hkey", "CREATE INDEX IF NOT EXISTS findings_hkey ON findings(hkey);"),
    (
        "findings_word1",
        "CREATE INDEX IF NOT EXISTS findings_word1 ON findings(substr(words, 1, 8)) WHERE words IS NOT NULL;",
    ),
    (
        "findings_word2",
        "CREATE INDEX IF NOT EXISTS findings_word2 ON findings(substr(words, 9, 8)) WHERE length(words) = 16;",
    ),
];

/// The 8-byte prefix of a keyed hash that the indexes hold.
pub fn prefix(hash: &Hash) -> [u8; 8] {
    hash.0[..8].try_into().expect("8 of 32 bytes")
}

/// The number `hkey` holds for a hash: its first 8 bytes, big-endian.
pub fn hkey(hash: &Hash) -> i64 {
    i64::from_be_bytes(prefix(hash))
}

/// The `hkey` of a hash given as hex (as [`Key::hash`] returns it).
pub fn hkey_of_hex(hex_hash: &str) -> Option<i64> {
    prefix_of_hex(hex_hash).map(i64::from_be_bytes)
}

/// The prefix of a hash given as hex (as [`Key::hash`] returns it).
pub fn prefix_of_hex(hex_hash: &str) -> Option<[u8; 8]> {
    let mut out = [0u8; 8];
    hex::decode_to_slice(hex_hash.get(..16)?, &mut out).ok()?;
    Some(out)
}

/// The `words` of a name: the hash prefixes of its first (or only) word
/// and last word; `None` for other categories.
pub fn name_words_blob(key: &Key, f: &Finding) -> Option<Vec<u8>> {
    if f.category != Category::Name || f.masked_only {
        return None;
    }
    let words = super::name_words(&f.value);
    if words.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(16);
    for (_, w) in words {
        out.extend_from_slice(&prefix(&key.hash_bytes(&w)));
    }
    Some(out)
}

/// Words back from a `words` blob, as (position, prefix).
pub fn words_of(blob: &[u8]) -> Vec<(i64, [u8; 8])> {
    let word = |i: usize| -> [u8; 8] { blob[i * 8..i * 8 + 8].try_into().expect("8 bytes") };
    match blob.len() {
        8 => vec![(super::POS_ONLY, word(0))],
        16 => vec![(super::POS_FIRST, word(0)), (super::POS_LAST, word(1))],
        _ => Vec::new(),
    }
}

/// Per-category counts as stored in `files.counts`.
pub fn counts_text(counts: &crate::finding::Counts) -> String {
    counts.iter().map(|(c, n)| format!("{} {n}", c.as_str())).collect::<Vec<_>>().join(",")
}

/// Back from `files.counts`.
pub fn parse_counts(text: &str) -> Option<crate::finding::Counts> {
    let mut counts = crate::finding::Counts::default();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let (name, n) = part.split_once(' ')?;
        let c = Category::parse(name)?;
        for _ in 0..n.parse::<u64>().ok()? {
            counts.add(c);
        }
    }
    Some(counts)
}

/// Numbers for the strings findings share, cached as they are written.
#[derive(Default)]
pub struct Ids {
    categories: Vec<Option<i64>>,
    rules: FxHashMap<String, i64>,
    paths: FxHashMap<String, i64>,
    /// Place ids by `pre\0post`, and whether the place has its scope.
    places: FxHashMap<String, (i64, bool)>,
    /// The last path looked up, by pointer (a file's findings share one).
    last_path: Option<(std::sync::Arc<str>, i64)>,
    scratch: String,
    /// Findings' locations are text from a schema 1 map ([`migrate_v1`]),
    /// split with [`legacy::split_location`].
    legacy_text: bool,
}

fn intern(conn: &Connection, table: &str, cols: &[&str], values: &[&str]) -> rusqlite::Result<i64> {
    let wheres: Vec<String> = cols.iter().enumerate().map(|(i, c)| format!("{c} = ?{}", i + 1)).collect();
    let sql = format!("SELECT id FROM {table} WHERE {}", wheres.join(" AND "));
    let found: Option<i64> =
        conn.prepare_cached(&sql)?.query_row(rusqlite::params_from_iter(values), |r| r.get(0)).optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let sql = format!("INSERT INTO {table}({}) VALUES ({})", cols.join(", "), marks.join(", "));
    conn.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(values))?;
    Ok(conn.last_insert_rowid())
}

impl Ids {
    fn category(&mut self, conn: &Connection, c: Category) -> rusqlite::Result<i64> {
        let i = c as usize;
        if let Some(Some(id)) = self.categories.get(i) {
            return Ok(*id);
        }
        let id = intern(conn, "categories", &["name"], &[c.as_str()])?;
        if self.categories.len() <= i {
            self.categories.resize(i + 1, None);
        }
        self.categories[i] = Some(id);
        Ok(id)
    }

    fn rule(&mut self, conn: &Connection, rule: &str) -> rusqlite::Result<i64> {
        if let Some(&id) = self.rules.get(rule) {
            return Ok(id);
        }
        let id = intern(conn, "rules", &["name"], &[rule])?;
        self.rules.insert(rule.to_string(), id);
        Ok(id)
    }

    fn path(&mut self, conn: &Connection, path: &std::sync::Arc<str>) -> rusqlite::Result<i64> {
        if let Some((p, id)) = &self.last_path
            && (std::sync::Arc::ptr_eq(p, path) || **p == **path)
        {
            return Ok(*id);
        }
        let id = match self.paths.get(&**path) {
            Some(&id) => id,
            None => {
                let id = intern(conn, "paths", &["path"], &[path])?;
                self.paths.insert(path.to_string(), id);
                id
            }
        };
        self.last_path = Some((path.clone(), id));
        Ok(id)
    }

    /// The place `pre`, `post`, with its scope and window when the location
    /// has a number (a place first written without them gets them then).
    fn place(&mut self, conn: &Connection, pre: &str, post: &str, near: Option<(&str, i64)>) -> rusqlite::Result<i64> {
        self.scratch.clear();
        self.scratch.push_str(pre);
        self.scratch.push('\0');
        self.scratch.push_str(post);
        if let Some(&(id, scoped)) = self.places.get(&self.scratch)
            && (scoped || near.is_none())
        {
            return Ok(id);
        }
        let id = intern(conn, "places", &["pre", "post"], &[pre, post])?;
        if let Some((scope, win)) = near {
            conn.prepare_cached("UPDATE places SET scope = ?2, win = ?3 WHERE id = ?1 AND scope IS NULL")?
                .execute(params![id, scope, win])?;
        }
        self.places.insert(self.scratch.clone(), (id, near.is_some()));
        Ok(id)
    }

    /// Insert one finding of `file_id` (with the row id `id` if given);
    /// `words` as [`name_words_blob`] makes them.
    pub fn insert(
        &mut self,
        conn: &Connection,
        file_id: i64,
        id: Option<i64>,
        f: &Finding,
        reveal: bool,
        words: Option<&[u8]>,
    ) -> rusqlite::Result<()> {
        let (mut pre, mut post) = (String::new(), String::new());
        let (num, near) = if self.legacy_text {
            let text = f.location.text();
            let (p, num, q) = legacy::split_location(&text);
            (pre, post) = (p.to_string(), q.to_string());
            (num, num.and(legacy::near(p, q)))
        } else {
            let num = f.location.parts(&mut pre, &mut post);
            (num, num.and(f.location.near()).map(|(s, _, w)| (s.to_string(), w)))
        };
        let masked = f.masked();
        let row = RowParts {
            words,
            masked: &masked,
            pre: &pre,
            post: &post,
            num,
            near: near.as_ref().map(|(s, w)| (s.as_str(), *w)),
        };
        let mut stmt = conn.prepare_cached(INSERT_SQL)?;
        self.insert_with(conn, &mut stmt, file_id, id, f, reveal, &row)
    }

    /// [`Ids::insert`] with the statement of [`INSERT_SQL`] prepared once
    /// and the finding's parts made (see [`encode_rows`]).
    #[allow(clippy::too_many_arguments)]
    pub fn insert_with(
        &mut self,
        conn: &Connection,
        stmt: &mut rusqlite::Statement<'_>,
        file_id: i64,
        id: Option<i64>,
        f: &Finding,
        reveal: bool,
        row: &RowParts<'_>,
    ) -> rusqlite::Result<()> {
        let r = self.numbers(conn, f, row)?;
        let value = (reveal && !f.masked_only).then_some(f.value.as_str());
        stmt.execute(params![
            id,
            file_id,
            r.path,
            r.place,
            r.num,
            r.category,
            r.rule,
            r.confidence,
            &f.hash.0[..],
            row.masked,
            value,
            row.words,
            hkey(&f.hash)
        ])?;
        Ok(())
    }

    /// The numbers a finding is stored as: its path, place, category and
    /// rule interned, its location's number, its confidence in hundredths.
    fn numbers(&mut self, conn: &Connection, f: &Finding, row: &RowParts<'_>) -> rusqlite::Result<Numbers> {
        Ok(Numbers {
            path: self.path(conn, &f.path)?,
            place: self.place(conn, row.pre, row.post, row.near)?,
            num: row.num,
            category: self.category(conn, f.category)?,
            rule: self.rule(conn, &f.rule)?,
            confidence: (f.confidence * 100.0).round() as i64,
        })
    }

    /// Insert findings of `file_id`, with their parts, in one statement
    /// (`stmt` prepared from [`insert_rows_sql`] of `rows.len()`), in order.
    pub fn insert_rows(
        &mut self,
        conn: &Connection,
        stmt: &mut rusqlite::Statement<'_>,
        file_id: i64,
        rows: &[(&Finding, RowParts<'_>)],
        reveal: bool,
    ) -> rusqlite::Result<()> {
        for (i, (f, row)) in rows.iter().enumerate() {
            let at = i * 12;
            let r = self.numbers(conn, f, row)?;
            let value = (reveal && !f.masked_only).then_some(f.value.as_str());
            stmt.raw_bind_parameter(at + 1, file_id)?;
            stmt.raw_bind_parameter(at + 2, r.path)?;
            stmt.raw_bind_parameter(at + 3, r.place)?;
            stmt.raw_bind_parameter(at + 4, r.num)?;
            stmt.raw_bind_parameter(at + 5, r.category)?;
            stmt.raw_bind_parameter(at + 6, r.rule)?;
            stmt.raw_bind_parameter(at + 7, r.confidence)?;
            stmt.raw_bind_parameter(at + 8, &f.hash.0[..])?;
            stmt.raw_bind_parameter(at + 9, row.masked)?;
            stmt.raw_bind_parameter(at + 10, value)?;
            stmt.raw_bind_parameter(at + 11, row.words)?;
            stmt.raw_bind_parameter(at + 12, hkey(&f.hash))?;
        }
        stmt.raw_execute()?;
        Ok(())
    }
}

/// A finding's numbers in the map (see [`Ids::numbers`]).
struct Numbers {
    path: i64,
    place: i64,
    num: Option<i64>,
    category: i64,
    rule: i64,
    confidence: i64,
}

/// Findings inserted by one statement of [`insert_rows_sql`]: each
/// statement run costs a bind-reset-step round besides its rows, so a few
/// dozen rows a statement cut the writer's work per finding.
pub const ROWS_PER_INSERT: usize = 32;

/// Inserts `n` findings in one statement, 12 parameters each, in the order
/// of [`Ids::insert_rows`] (row ids given by SQLite, in order).
pub fn insert_rows_sql(n: usize) -> String {
    let row = "(?,?,?,?,?,?,?,?,?,?,?,?)";
    let mut sql = String::from(
        "INSERT INTO findings(file_id, path, place, num, category, rule, confidence, hash, masked, value, words, hkey) VALUES ",
    );
    for i in 0..n {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(row);
    }
    sql
}

/// Inserts one finding (see [`Ids::insert_with`]).
pub const INSERT_SQL: &str =
    "INSERT INTO findings(id, file_id, path, place, num, category, rule, confidence, hash, masked, value, words, hkey)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

/// What the map stores of a finding besides the numbers the writer interns:
/// its name words (as [`name_words_blob`]), masked form, and its location
/// split into the place (`pre`, `post`, with the scope and window of nearby
/// places) and number. [`encode_rows`] makes them on the worker threads.
pub struct RowParts<'a> {
    pub words: Option<&'a [u8]>,
    pub masked: &'a str,
    pub pre: &'a str,
    pub post: &'a str,
    pub num: Option<i64>,
    pub near: Option<(&'a str, i64)>,
}

/// The [`RowParts`] of each finding of a batch, made on the sweep's worker
/// threads, so that the one thread writing the map only interns and
/// inserts (the masking, two keyed hashes per name and the location's text
/// cost about a third of its work). Read back with [`decode_rows`].
pub fn encode_rows(key: &Key, batch: &[Finding]) -> Vec<u8> {
    let mut out = Vec::with_capacity(batch.len() * 48);
    let (mut pre, mut post) = (String::new(), String::new());
    let put = |out: &mut Vec<u8>, s: &[u8]| {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s);
    };
    for f in batch {
        match name_words_blob(key, f) {
            Some(w) => {
                out.push(w.len() as u8);
                out.extend_from_slice(&w);
            }
            None => out.push(0),
        }
        put(&mut out, f.masked().as_bytes());
        let num = f.location.parts(&mut pre, &mut post);
        put(&mut out, pre.as_bytes());
        put(&mut out, post.as_bytes());
        match num {
            Some(n) => {
                out.push(1);
                out.extend_from_slice(&n.to_le_bytes());
            }
            None => out.push(0),
        }
        match num.and(f.location.near()) {
            Some((scope, _, win)) => {
                out.push(1);
                put(&mut out, scope.as_bytes());
                out.extend_from_slice(&win.to_le_bytes());
            }
            None => out.push(0),
        }
    }
    out
}

/// The [`RowParts`] [`encode_rows`] wrote, in order.
pub fn decode_rows(mut bytes: &[u8]) -> impl Iterator<Item = RowParts<'_>> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> &'a [u8] {
        let (head, tail) = b.split_at(n);
        *b = tail;
        head
    }
    fn text<'a>(b: &mut &'a [u8]) -> &'a str {
        let n = u32::from_le_bytes(take(b, 4).try_into().expect("4 bytes")) as usize;
        std::str::from_utf8(take(b, n)).expect("encode_rows wrote text")
    }
    fn int(b: &mut &[u8]) -> i64 {
        i64::from_le_bytes(take(b, 8).try_into().expect("8 bytes"))
    }
    std::iter::from_fn(move || {
        if bytes.is_empty() {
            return None;
        }
        let b = &mut bytes;
        let n = usize::from(take(b, 1)[0]);
        let words = (n > 0).then(|| take(b, n));
        let masked = text(b);
        let pre = text(b);
        let post = text(b);
        let num = (take(b, 1)[0] == 1).then(|| int(b));
        let near = (take(b, 1)[0] == 1).then(|| (text(b), int(b)));
        Some(RowParts { words, masked, pre, post, num, near })
    })
}

/// The small tables, read whole, to rebuild findings.
pub struct Names {
    pub categories: HashMap<i64, Category>,
    pub rules: HashMap<i64, std::sync::Arc<str>>,
    pub places: HashMap<i64, (String, String)>,
}

impl Names {
    pub fn load(conn: &Connection) -> rusqlite::Result<Names> {
        let mut categories = HashMap::new();
        for r in conn
            .prepare("SELECT id, name FROM categories")?
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        {
            let (id, name) = r?;
            if let Some(c) = Category::parse(&name) {
                categories.insert(id, c);
            }
        }
        let mut rules = HashMap::new();
        for r in conn
            .prepare("SELECT id, name FROM rules")?
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        {
            let (id, name) = r?;
            rules.insert(id, std::sync::Arc::from(name));
        }
        let mut places = HashMap::new();
        for r in conn
            .prepare("SELECT id, pre, post FROM places")?
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, (r.get::<_, String>(1)?, r.get::<_, String>(2)?))))?
        {
            let (id, p) = r?;
            places.insert(id, p);
        }
        Ok(Names { categories, rules, places })
    }
}

/// The schema version of an open map: 0 for a new, empty one.
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    let has_meta: bool =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'", [], |r| r.get(0))?;
    if !has_meta {
        return Ok(0);
    }
    let v: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| r.get(0)).optional()?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Convert a schema 1 map (text hashes, a `name_tokens` table) to this
/// schema in one transaction: the findings keep their ids, order and meaning.
pub fn migrate_v1(conn: &mut Connection) -> rusqlite::Result<u64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if version(&tx)? != 1 {
        return Ok(0); // another process migrated it meanwhile
    }
    tx.execute_batch(
        "DROP INDEX IF EXISTS findings_hash; DROP INDEX IF EXISTS findings_file;
         ALTER TABLE findings RENAME TO findings_v1;
         ALTER TABLE files ADD COLUMN counts TEXT;",
    )?;
    tx.execute_batch(SCHEMA)?;
    let mut ids = Ids { legacy_text: true, ..Ids::default() };
    let mut n = 0u64;
    {
        let mut tokens = tx.prepare("SELECT pos, token_hash FROM name_tokens WHERE finding_id = ?1 ORDER BY pos")?;
        let mut old = tx.prepare(
            "SELECT id, file_id, path, location, category, hash, masked, value, rule, confidence FROM findings_v1 ORDER BY id",
        )?;
        let mut rows = old.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let category: String = r.get(4)?;
            let hash: String = r.get(5)?;
            let Some(hash) = Hash::from_hex(&hash) else { continue };
            let value: Option<String> = r.get(7)?;
            let masked: String = r.get(6)?;
            let f = Finding {
                path: std::sync::Arc::from(r.get::<_, String>(2)?),
                location: r.get::<_, String>(3)?.into(),
                category: Category::parse(&category).unwrap_or(Category::Name),
                masked_only: true,
                value: masked.into(),
                hash,
                confidence: r.get::<_, f64>(9)? as f32,
                rule: std::sync::Arc::from(r.get::<_, String>(8)?),
            };
            let mut words = Vec::new();
            let mut firsts: Vec<(i64, String)> =
                tokens.query_map([id], |t| Ok((t.get(0)?, t.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            firsts.sort();
            for (_, t) in &firsts {
                words.extend_from_slice(&prefix_of_hex(t).unwrap_or_default());
            }
            let file_id: i64 = r.get(1)?;
            ids.insert(&tx, file_id, Some(id), &f, false, (!words.is_empty()).then_some(&words[..]))?;
            if let Some(v) = value {
                tx.prepare_cached("UPDATE findings SET value = ?1 WHERE id = ?2")?.execute(params![v, id])?;
            }
            n += 1;
        }
    }
    tx.execute_batch(
        "DROP TABLE findings_v1; DROP TABLE IF EXISTS name_tokens;
         UPDATE meta SET value = '4' WHERE key = 'schema';",
    )?;
    tx.commit()?;
    Ok(n)
}

/// Convert a schema 2 map (an expression index on the hash BLOB's first 8
/// bytes) to schema 3 in one transaction: each finding gets its `hkey`, and
/// the old index goes. Returns the findings converted.
pub fn migrate_v2(conn: &mut Connection) -> rusqlite::Result<u64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if version(&tx)? != 2 {
        return Ok(0); // another process migrated it meanwhile
    }
    tx.execute_batch("DROP INDEX IF EXISTS findings_hash; ALTER TABLE findings ADD COLUMN hkey INTEGER;")?;
    let mut n = 0u64;
    {
        let mut read = tx.prepare("SELECT id, hash FROM findings ORDER BY id")?;
        let mut write = tx.prepare("UPDATE findings SET hkey = ?1 WHERE id = ?2")?;
        let mut rows = read.query([])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let hash = r.get_ref(1)?.as_blob()?;
            let Some(first) = hash.get(..8) else { continue };
            write.execute(params![i64::from_be_bytes(first.try_into().expect("8 bytes")), id])?;
            n += 1;
        }
    }
    tx.execute_batch(SCHEMA)?;
    tx.execute_batch("UPDATE meta SET value = '3' WHERE key = 'schema';")?;
    tx.commit()?;
    Ok(n)
}

/// Convert a schema 3 map (places without scope) to schema 4 in one
/// transaction: each numbered place gets the scope and window `sar` used
/// to read from its text ([`legacy::near`]). Returns the places converted.
pub fn migrate_v3(conn: &mut Connection) -> rusqlite::Result<u64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if version(&tx)? != 3 {
        return Ok(0); // another process migrated it meanwhile
    }
    let columns: Vec<String> = tx
        .prepare("SELECT name FROM pragma_table_info('places')")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for (column, sql) in
        [("scope", "ALTER TABLE places ADD COLUMN scope TEXT"), ("win", "ALTER TABLE places ADD COLUMN win INTEGER")]
    {
        if !columns.iter().any(|c| c == column) {
            tx.execute_batch(sql)?;
        }
    }
    let mut n = 0u64;
    {
        let places: Vec<(i64, String, String)> = tx
            .prepare("SELECT id, pre, post FROM places")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut write = tx.prepare("UPDATE places SET scope = ?2, win = ?3 WHERE id = ?1")?;
        for (id, pre, post) in places {
            if let Some((scope, win)) = legacy::near(&pre, &post) {
                write.execute(params![id, scope, win])?;
                n += 1;
            }
        }
    }
    tx.execute_batch(SCHEMA)?;
    tx.execute_batch("UPDATE meta SET value = '4' WHERE key = 'schema';")?;
    tx.commit()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_indexes_are_made_by_every_open() {
        for (name, sql) in super::SEARCH_INDEXES {
            assert!(super::SCHEMA.contains(sql), "{name}");
        }
    }

    #[test]
    fn counts_round_trip_through_text() {
        let mut c = crate::finding::Counts::default();
        for cat in [Category::Name, Category::Name, Category::Email] {
            c.add(cat);
        }
        assert_eq!(parse_counts(&counts_text(&c)), Some(c));
        assert_eq!(parse_counts(""), Some(crate::finding::Counts::default()));
        assert_eq!(parse_counts("nonsense 3"), None);
    }

    #[test]
    fn a_schema_2_map_is_converted_on_read_with_its_hash_numbers_and_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.db");
        let key = Key::from_bytes([7; 32]);
        let values =
            [(Category::Phone, "07700900123"), (Category::Email, "jane@example.org"), (Category::Nino, "AB123456C")];
        {
            let map = super::super::Map::create_or_open(&path).unwrap();
            map.conn
                .execute(
                    "INSERT INTO files(id, root, abs, path, size, kind, status, settings, seen_in_run, scanned_in_run)
                     VALUES (1, '/d', '/d/a.csv', 'a.csv', 10, 'csv', 'scanned', 's', 1, 1)",
                    [],
                )
                .unwrap();
            let mut ids = Ids::default();
            for (i, (cat, v)) in values.iter().enumerate() {
                let f = Finding {
                    path: std::sync::Arc::from("a.csv"),
                    location: crate::finding::Location::Row { row: i as u64 + 2, col: 0, header: Some("X".into()) },
                    category: *cat,
                    masked_only: false,
                    value: (*v).into(),
                    hash: key.hash_bytes(&cat.normalise(v)),
                    confidence: 0.95,
                    rule: std::sync::Arc::from("r"),
                };
                ids.insert(&map.conn, 1, None, &f, false, None).unwrap();
            }
            // Back to schema 2 exactly: no `hkey`, the expression index on the hash.
            map.conn
                .execute_batch(
                    "DROP INDEX findings_hkey; ALTER TABLE findings DROP COLUMN hkey;
                     ALTER TABLE places DROP COLUMN scope; ALTER TABLE places DROP COLUMN win;
                     CREATE INDEX findings_hash ON findings(substr(hash, 1, 8));
                     UPDATE meta SET value = '2' WHERE key = 'schema';",
                )
                .unwrap();
        }
        // A reader (`sar`, `map`) converts it once, as for schema 1.
        let map = super::super::Map::open_existing(&path).unwrap();
        assert_eq!(version(&map.conn).unwrap(), SCHEMA_VERSION);
        assert!(map.missing_search_indexes().unwrap().is_empty());
        let old: i64 = map
            .conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'findings_hash'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(old, 0, "the old expression index is gone");
        let keys: Vec<(Vec<u8>, i64)> = map
            .conn
            .prepare("SELECT hash, hkey FROM findings ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(keys.len(), values.len());
        for ((hash, hk), (cat, v)) in keys.iter().zip(values) {
            let want = key.hash_bytes(&cat.normalise(v));
            assert_eq!(hash[..], want.0[..]);
            assert_eq!(*hk, hkey(&want));
        }
        let q = crate::sar::Query::new(
            &crate::sar::Subject {
                phone: vec!["07700 900123".into()],
                email: vec!["Jane@example.org".into()],
                ..Default::default()
            },
            &key,
        );
        let found = crate::sar::search(&map.conn, &q).unwrap();
        let at: Vec<&str> = found[0].places.iter().map(|p| p.at.as_str()).collect();
        assert_eq!(at, ["row 2", "row 3"]);
    }

    /// A schema 3 map (places without scope and window) is converted when
    /// opened: each place gets the scope and window its typed location
    /// gives now, and `sar` answers from it as before.
    #[test]
    fn a_schema_3_map_is_converted_on_read_with_the_places_scopes() {
        use crate::finding::Location;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v3.db");
        let key = Key::from_bytes([9; 32]);
        let locations = [
            Location::Line { prefix: "line".into(), n: 4 },
            Location::Line { prefix: "body line".into(), n: 12 },
            Location::Line { prefix: "paragraph".into(), n: 3 },
            Location::Line { prefix: "footnote".into(), n: 2 },
            Location::Page(2),
            Location::Row { row: 5, col: 1, header: Some("Surname".into()) },
            Location::Row { row: 6, col: 3, header: None },
            Location::Cell { sheet: "Clients".into(), row: 6, col: 27 },
            Location::Header("From".into()),
            Location::Other("Clients!C7 comment".into()),
        ];
        let places = |conn: &Connection| -> Vec<(String, String, Option<String>, Option<i64>)> {
            conn.prepare("SELECT pre, post, scope, win FROM places ORDER BY id")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let texts = |conn: &Connection| -> Vec<String> {
            conn.prepare("SELECT location FROM findings_text ORDER BY id")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let want = {
            let map = super::super::Map::create_or_open(&path).unwrap();
            let mut ids = Ids::default();
            for (i, location) in locations.iter().enumerate() {
                let value = format!("07700 900{i:03}");
                let f = Finding {
                    path: std::sync::Arc::from("a"),
                    location: location.clone(),
                    category: Category::Phone,
                    masked_only: false,
                    hash: key.hash_bytes(&Category::Phone.normalise(&value)),
                    value: value.into(),
                    confidence: 0.9,
                    rule: std::sync::Arc::from("r"),
                };
                ids.insert(&map.conn, 1, None, &f, false, None).unwrap();
            }
            let want = places(&map.conn);
            assert_eq!(texts(&map.conn), locations.iter().map(|l| l.to_string()).collect::<Vec<_>>());
            let scoped: Vec<_> = want.iter().filter_map(|p| p.2.clone()).collect();
            assert_eq!(scoped, ["line ", "body line ", "paragraph ", "page ", "row", "row", "Clients!"]);
            // Back to schema 3 exactly: places without scope and window.
            map.conn
                .execute_batch(
                    "ALTER TABLE places DROP COLUMN scope; ALTER TABLE places DROP COLUMN win;
                     UPDATE meta SET value = '3' WHERE key = 'schema';",
                )
                .unwrap();
            want
        };
        let map = super::super::Map::open_existing(&path).unwrap();
        assert_eq!(version(&map.conn).unwrap(), SCHEMA_VERSION);
        assert_eq!(places(&map.conn), want, "the scopes schema 3 text gives are the typed locations' own");
        assert_eq!(texts(&map.conn), locations.iter().map(|l| l.to_string()).collect::<Vec<_>>());
    }

    /// The schema 1 tables (as piisweep wrote them before this version).
    const SCHEMA_V1: &str = "
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta(key, value) VALUES ('schema', '1');
    CREATE TABLE runs(id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
        roots TEXT NOT NULL, settings TEXT NOT NULL, reveal INTEGER NOT NULL, files_read INTEGER NOT NULL DEFAULT 0,
        files_reused INTEGER NOT NULL DEFAULT 0, files_gone INTEGER NOT NULL DEFAULT 0, findings INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE files(id INTEGER PRIMARY KEY, root TEXT NOT NULL, abs TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
        size INTEGER NOT NULL, modified INTEGER, kind TEXT NOT NULL, content_hash TEXT, status TEXT NOT NULL, reason TEXT,
        findings INTEGER NOT NULL DEFAULT 0, settings TEXT NOT NULL, seen_in_run INTEGER NOT NULL, scanned_in_run INTEGER NOT NULL);
    CREATE INDEX files_root ON files(root, seen_in_run);
    CREATE TABLE parts(file_id INTEGER NOT NULL, path TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL);
    CREATE INDEX parts_file ON parts(file_id);
    CREATE TABLE findings(id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, path TEXT NOT NULL, location TEXT NOT NULL,
        category TEXT NOT NULL, hash TEXT NOT NULL, masked TEXT NOT NULL, value TEXT, rule TEXT NOT NULL, confidence REAL NOT NULL);
    CREATE INDEX findings_hash ON findings(hash);
    CREATE INDEX findings_file ON findings(file_id, category);
    CREATE TABLE name_tokens(finding_id INTEGER NOT NULL, pos INTEGER NOT NULL, token_hash TEXT NOT NULL, initial TEXT NOT NULL);
    CREATE INDEX name_tokens_hash ON name_tokens(token_hash, pos);
    CREATE INDEX name_tokens_finding ON name_tokens(finding_id);
    ";

    /// (path, location, category, hash, masked, value, rule, confidence)
    type Row<S> = (String, String, S, String, String, Option<S>, S, f64);

    #[test]
    fn a_schema_1_map_is_converted_on_open_with_the_same_findings_and_answers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let key = Key::from_bytes([5; 32]);
        let rows: Vec<Row<&str>> = vec![
            (
                "a.csv".into(),
                "row 2, col Name".into(),
                "name",
                key.hash("jane roberts"),
                "J*** R******".into(),
                None,
                "name_column",
                0.9,
            ),
            (
                "a.csv".into(),
                "row 2, col Phone".into(),
                "phone",
                key.hash("07700900123"),
                "07*** ***123".into(),
                None,
                "uk_mobile",
                0.95,
            ),
            (
                "a.csv!x.txt".into(),
                "line 4".into(),
                "name",
                key.hash("roberts"),
                "R******".into(),
                Some("Roberts"),
                "surname",
                0.6,
            ),
        ];
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA_V1).unwrap();
            conn.execute(
                "INSERT INTO files VALUES (1, '/d', '/d/a.csv', 'a.csv', 10, 0, 'csv', 'abc', 'scanned', NULL, 3, 's', 1, 1)",
                [],
            )
            .unwrap();
            for (i, r) in rows.iter().enumerate() {
                conn.execute(
                    "INSERT INTO findings VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![i as i64 + 10, r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7],
                )
                .unwrap();
            }
            let token = "INSERT INTO name_tokens VALUES (?1, ?2, ?3, 'x')";
            conn.execute(token, params![10, 0, key.hash("jane")]).unwrap();
            conn.execute(token, params![10, 1, key.hash("roberts")]).unwrap();
            conn.execute(token, params![12, 2, key.hash("roberts")]).unwrap();
        }
        let map = super::super::Map::create_or_open(&path).unwrap();
        assert_eq!(version(&map.conn).unwrap(), SCHEMA_VERSION);
        let back: Vec<Row<String>> = map
            .conn
            .prepare(
                "SELECT path, location, category, hash, masked, value, rule, confidence FROM findings_text ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let want: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.0.clone(),
                    r.1.clone(),
                    r.2.to_string(),
                    r.3.clone(),
                    r.4.clone(),
                    r.5.map(String::from),
                    r.6.to_string(),
                    r.7,
                )
            })
            .collect();
        assert_eq!(back, want);
        let tables: i64 = map
            .conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE name IN ('name_tokens', 'findings_v1')", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(tables, 0, "the old tables are gone");
        // The subject access search answers from the converted map.
        let q = crate::sar::Query::new(
            &crate::sar::Subject { name: Some("Jane Roberts".into()), ..Default::default() },
            &key,
        );
        let found = crate::sar::search(&map.conn, &q).unwrap();
        assert_eq!(found.len(), 1);
        let what: Vec<(&str, &str)> = found[0].places.iter().map(|p| (p.path.as_str(), p.at.as_str())).collect();
        assert_eq!(what, [("a.csv", "row 2"), ("a.csv!x.txt", "line 4")]);
        let q = crate::sar::Query::new(
            &crate::sar::Subject { phone: vec!["07700 900123".into()], ..Default::default() },
            &key,
        );
        assert_eq!(crate::sar::search(&map.conn, &q).unwrap()[0].places[0].at, "row 2");
    }
}
