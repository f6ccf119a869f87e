//! A data map opened to read it (`map`, `sar`, `serve`): a SQLite file or
//! a PostgreSQL database (#25), answered through [`Db`] either way.

use std::path::{Path, PathBuf};

use super::Map;
use super::db::Db;
use super::pg::{self, PgMap, Target};
use crate::keys::Key;

/// An open map, of either kind, for reading.
pub enum Reader {
    File(Map),
    Postgres(Box<PgMap>),
}

impl Reader {
    /// Open the map `--map` names: a PostgreSQL URL, or a file a sweep made.
    /// Neither is changed (a file of an older format is converted, as
    /// [`Map::open_existing`] says).
    pub fn open(map: &Path) -> anyhow::Result<Reader> {
        match map.to_str().filter(|s| pg::is_url(s)) {
            Some(url) => Ok(Reader::Postgres(Box::new(PgMap::open_existing(&Target::from_url(url)?)?))),
            None => Ok(Reader::File(Map::open_existing(map)?)),
        }
    }

    /// The map as shown to the user: its file, or its URL without a password.
    pub fn name(&self) -> String {
        match self {
            Reader::File(m) => m.path.display().to_string(),
            Reader::Postgres(m) => m.target.to_string(),
        }
    }

    /// What to tell the user about the map as found (see [`Map::notes`]).
    pub fn notes(&self) -> &[String] {
        match self {
            Reader::File(m) => &m.notes,
            Reader::Postgres(_) => &[],
        }
    }

    /// The map's SQL, whichever kind it is.
    pub fn db(&mut self) -> Db<'_> {
        match self {
            Reader::File(m) => Db::Sqlite(&m.conn),
            Reader::Postgres(m) => Db::Postgres(&mut m.client),
        }
    }

    /// Refuse a key other than the one the map's hashes were made with
    /// (recording nothing).
    pub fn check_key(&mut self, key: &Key) -> anyhow::Result<()> {
        match self {
            Reader::File(m) => m.check_key(key),
            Reader::Postgres(m) => m.check_key(key, false),
        }
    }

    /// The roots the map's sweeps read (outputs must not go inside them).
    pub fn roots(&mut self) -> anyhow::Result<Vec<PathBuf>> {
        roots_db(&mut self.db())
    }
}

/// Every root recorded in a map: those of its files and of its runs.
pub fn roots_db(db: &mut Db<'_>) -> anyhow::Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = Vec::new();
    for r in db.query("SELECT DISTINCT root FROM files", &[])? {
        out.push(PathBuf::from(r.get::<String>(0)?));
    }
    for r in db.query("SELECT roots FROM runs", &[])? {
        let list: Vec<String> = serde_json::from_str(&r.get::<String>(0)?).unwrap_or_default();
        out.extend(list.into_iter().map(PathBuf::from));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Is `--map` a PostgreSQL URL rather than a file?
pub fn is_url(map: &Path) -> bool {
    map.to_str().is_some_and(pg::is_url)
}

/// `--map` as shown to the user: a file as given, a PostgreSQL URL without
/// its password.
pub fn shown(map: &Path) -> String {
    match map.to_str().filter(|s| pg::is_url(s)) {
        Some(url) => Target::from_url(url).map(|t| t.to_string()).unwrap_or_else(|_| "(a PostgreSQL URL)".into()),
        None => map.display().to_string(),
    }
}
