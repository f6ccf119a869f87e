//! The audit trail: every search, bundle and export made on the web page,
//! in the data map's `audit` table (see [`crate::map::store::AUDIT_SCHEMA`]).
//! What was searched is kept as keyed hashes only, as the map keeps findings.

use std::path::Path;

use rusqlite::{Connection, params};
use serde::Serialize;

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

/// Make the table if the map has none yet.
pub fn prepare(map: &Path) -> anyhow::Result<()> {
    open(map)?.execute_batch(crate::map::store::AUDIT_SCHEMA)?;
    Ok(())
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
    open(map)?.execute(
        "INSERT INTO audit(at, action, searched, received, deadline, files, outcome, safe) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
        params![at, e.action, opt(&e.searched), opt(&e.received), opt(&e.deadline), e.files, e.outcome, e.safe],
    )?;
    Ok(())
}

/// Every entry, newest first.
pub fn list(map: &Path) -> anyhow::Result<Vec<Entry>> {
    let conn = open(map)?;
    let mut stmt = conn.prepare(
        "SELECT at, action, coalesce(searched, ''), coalesce(received, ''), coalesce(deadline, ''), files, outcome, safe
         FROM audit ORDER BY id DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Entry {
            at: r.get(0)?,
            action: r.get(1)?,
            searched: r.get(2)?,
            received: r.get(3)?,
            deadline: r.get(4)?,
            files: r.get(5)?,
            outcome: r.get(6)?,
            safe: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
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
