//! The audit trail: every search, bundle and export made on the web page,
//! in the data map's `audit` table (see [`crate::map::store::AUDIT_SCHEMA`]).
//! What was searched is kept as keyed hashes only, as the map keeps findings.
//! The map is a file or a PostgreSQL database (#25): the trail is kept in
//! either, through [`Db`].

use std::path::Path;

use rusqlite::Connection;
use serde::Serialize;

use crate::map::db::{Db, Value};
use crate::map::pg::{self, PgMap, Target};

use crate::sar::Query;

/// One line of the trail.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Entry {
    pub at: String,
    pub action: String,
    pub searched: String,
    pub received: String,
    pub deadline: String,
    pub files: i64,
    pub outcome: String,
    pub safe: Option<bool>,
}

fn open(map: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(map)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(conn)
}

/// Run `f` on the map, opened to write the trail.
fn with_db<R>(map: &Path, f: impl FnOnce(&mut Db<'_>) -> anyhow::Result<R>) -> anyhow::Result<R> {
    if let Some(url) = map.to_str().filter(|s| pg::is_url(s)) {
        let mut m = PgMap::open_existing(&Target::from_url(url)?)?;
        return f(&mut Db::Postgres(&mut m.client));
    }
    f(&mut Db::Sqlite(&open(map)?))
}

/// Make the table if the map has none yet (a PostgreSQL map's schema has it).
pub fn prepare(map: &Path) -> anyhow::Result<()> {
    with_db(map, |db| match db {
        Db::Sqlite(conn) => Ok(conn.execute_batch(crate::map::store::AUDIT_SCHEMA)?),
        Db::Postgres(_) => Ok(()),
    })
}

/// The details of a search as keyed hashes, by kind (JSON): never the values.
pub fn searched(q: &Query) -> String {
    let mut by: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (hash, cat) in &q.idents {
        by.entry(cat.as_str().to_string()).or_default().push(hash.clone());
    }
    for h in &q.full_names {
        by.entry("name".into()).or_default().push(h.clone());
    }
    if let Some(h) = &q.last {
        by.entry("surname".into()).or_default().push(h.clone());
    }
    for v in by.values_mut() {
        v.sort();
    }
    serde_json::to_string(&by).unwrap_or_default()
}

/// Add an entry (its `at` is now).
pub fn record(map: &Path, e: &Entry) -> anyhow::Result<()> {
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let values = [
        Value::from(at),
        Value::from(e.action.as_str()),
        Value::from(opt(&e.searched)),
        Value::from(opt(&e.received)),
        Value::from(opt(&e.deadline)),
        Value::Int(e.files),
        Value::from(e.outcome.as_str()),
        Value::from(e.safe.map(i64::from)),
    ];
    with_db(map, |db| {
        db.execute(
            "INSERT INTO audit(at, action, searched, received, deadline, files, outcome, safe) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
            &values,
        )
    })?;
    Ok(())
}

/// Every entry, newest first.
pub fn list(map: &Path) -> anyhow::Result<Vec<Entry>> {
    let rows = with_db(map, |db| {
        db.query(
            "SELECT at, action, coalesce(searched, ''), coalesce(received, ''), coalesce(deadline, ''), files, outcome, safe
             FROM audit ORDER BY id DESC",
            &[],
        )
    })?;
    rows.iter()
        .map(|r| {
            Ok(Entry {
                at: r.get(0)?,
                action: r.get(1)?,
                searched: r.get(2)?,
                received: r.get(3)?,
                deadline: r.get(4)?,
                files: r.get(5)?,
                outcome: r.get(6)?,
                safe: r.get::<Option<i64>>(7)?.map(|v| v != 0),
            })
        })
        .collect()
}

/// The trail as CSV, newest first.
pub fn csv(entries: &[Entry]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "when",
        "action",
        "searched (keyed hashes)",
        "received",
        "deadline",
        "files",
        "outcome",
        "re-scan clean",
    ])?;
    for e in entries {
        let safe = match e.safe {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        };
        let files = e.files.to_string();
        w.write_record([&e.at, &e.action, &e.searched, &e.received, &e.deadline, &files, &e.outcome, safe])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_are_recorded_as_keyed_hashes_only() {
        let dir = tempfile::tempdir().unwrap();
        let map = dir.path().join("m.db");
        crate::map::Map::create_or_open(&map).unwrap();
        prepare(&map).unwrap();
        prepare(&map).unwrap(); // twice is harmless
        let key = crate::keys::Key::from_bytes([7; 32]);
        let subject = crate::sar::Subject {
            name: Some("Jane Roberts".into()),
            email: vec!["jane.roberts@example.org".into()],
            ..Default::default()
        };
        let q = Query::new(&subject, &key);
        let entry = Entry {
            action: "search".into(),
            searched: searched(&q),
            files: 2,
            outcome: "2 files found".into(),
            ..Default::default()
        };
        record(&map, &entry).unwrap();
        let got = list(&map).unwrap();
        assert_eq!(got.len(), 1);
        let text = csv(&got).unwrap();
        for plain in ["jane", "Jane", "roberts", "example.org"] {
            assert!(!text.contains(plain), "{plain} in {text}");
        }
        let email_hash = key.hash(&crate::detect::Category::Email.normalise("jane.roberts@example.org"));
        assert!(text.contains(&email_hash), "{text}");
        assert!(got[0].searched.contains("\"name\""), "{}", got[0].searched);
    }
}
