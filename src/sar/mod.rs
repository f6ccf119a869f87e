//! Subject access requests: find everything the map knows about one person.
//!
//! The person's details are normalised and hashed with the map's key exactly
//! as findings were, then looked up by hash: the map needs no plain values.
//! Names match in variants through the per-word hashes in `name_tokens`:
//! the full name in either order, surname with the first name nearby (same
//! line or row), surname with the right initial, surname alone. Each file is
//! scored by the distinct kinds of evidence it holds, so several identifiers
//! in one file beat a surname alone, and a surname under another first name
//! (probably a relative or a stranger) ranks lowest.

pub mod bundle;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rusqlite::{Connection, params_from_iter};
use serde::Serialize;

use crate::detect::Category;
use crate::keys::Key;
use crate::map::POS_ONLY;

/// The person, as typed by staff. Every field may be given several times.
#[derive(Debug, Default, Clone)]
pub struct Subject {
    pub name: Option<String>,
    pub dob: Vec<String>,
    pub nino: Vec<String>,
    pub email: Vec<String>,
    pub phone: Vec<String>,
    pub postcode: Vec<String>,
    pub nhs: Vec<String>,
}

/// Titles dropped from a searched name.
const TITLES: &[&str] = &["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "sir", "dame", "lady", "lord"];

/// The subject's details as keyed hashes, ready to look up.
#[derive(Debug, Clone)]
pub struct Query {
    /// Identifier hashes with their category.
    pub idents: HashMap<String, Category>,
    /// Hashes of the full name in the orders it may be written.
    pub full_names: BTreeSet<String>,
    /// First name word, and its initial's hash.
    pub first: Option<String>,
    pub first_initial: Option<String>,
    /// Surname word.
    pub last: Option<String>,
}

impl Query {
    pub fn new(subject: &Subject, key: &Key) -> Query {
        let mut idents = HashMap::new();
        let lists = [
            (Category::Dob, &subject.dob),
            (Category::Nino, &subject.nino),
            (Category::Email, &subject.email),
            (Category::Phone, &subject.phone),
            (Category::Postcode, &subject.postcode),
            (Category::NhsNumber, &subject.nhs),
        ];
        for (cat, values) in lists {
            for v in values {
                idents.insert(key.hash(&cat.normalise(v)), cat);
            }
        }
        let words: Vec<String> = subject
            .name
            .as_deref()
            .map(|n| Category::Name.normalise(n))
            .unwrap_or_default()
            .split(' ')
            .filter(|w| !w.is_empty() && !TITLES.contains(w))
            .map(str::to_string)
            .collect();
        let mut full_names = BTreeSet::new();
        let (first, last) = match words.as_slice() {
            [] => (None, None),
            [only] => (None, Some(only.clone())),
            [first, .., last] => {
                full_names.insert(key.hash(&words.join(" ")));
                full_names.insert(key.hash(&format!("{first} {last}")));
                full_names.insert(key.hash(&format!("{last} {first}")));
                (Some(first.clone()), Some(last.clone()))
            }
        };
        let first_initial = first.as_ref().and_then(|f| f.chars().next()).map(|c| key.hash(&c.to_string()));
        Query {
            idents,
            full_names,
            first: first.map(|f| key.hash(&f)),
            first_initial,
            last: last.map(|l| key.hash(&l)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.idents.is_empty() && self.last.is_none()
    }
}

/// Why one finding matched, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    Ident(Category),
    FullName,
    SurnameAndFirstNameNearby,
    SurnameAndInitial,
    Surname,
    FirstNameNearStrongerMatch,
    /// The surname under another first name: probably someone else.
    SurnameOtherFirstName,
}

impl Evidence {
    /// How much this kind of evidence adds to a file's score (once per file).
    pub fn weight(&self) -> f64 {
        match self {
            Evidence::Ident(Category::Nino | Category::NhsNumber) => 5.0,
            Evidence::Ident(Category::Email) => 4.0,
            Evidence::Ident(Category::Dob | Category::Phone) => 3.0,
            Evidence::Ident(_) => 1.0,
            Evidence::FullName => 4.0,
            Evidence::SurnameAndFirstNameNearby => 3.0,
            Evidence::SurnameAndInitial => 2.0,
            Evidence::Surname => 1.0,
            Evidence::FirstNameNearStrongerMatch => 0.5,
            Evidence::SurnameOtherFirstName => 0.2,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Evidence::Ident(Category::Nino) => "NI number",
            Evidence::Ident(Category::NhsNumber) => "NHS number",
            Evidence::Ident(Category::Email) => "email",
            Evidence::Ident(Category::Dob) => "date of birth",
            Evidence::Ident(Category::Phone) => "phone",
            Evidence::Ident(Category::Postcode) => "postcode",
            Evidence::Ident(_) => "identifier",
            Evidence::FullName => "full name",
            Evidence::SurnameAndFirstNameNearby => "surname with first name nearby",
            Evidence::SurnameAndInitial => "surname with initial",
            Evidence::Surname => "surname only",
            Evidence::FirstNameNearStrongerMatch => "first name",
            Evidence::SurnameOtherFirstName => "surname with another first name (probably someone else)",
        }
    }
}

/// One place in a file that matched.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// The finding's path (with `!` for a part inside a container).
    pub path: String,
    pub location: String,
    pub evidence: Evidence,
    pub what: &'static str,
}

/// One file that mentions the person, with its score and reasons.
#[derive(Debug, Clone, Serialize)]
pub struct FileMatch {
    #[serde(skip)]
    pub file_id: i64,
    pub root: String,
    pub abs: String,
    pub path: String,
    pub kind: String,
    pub size: i64,
    #[serde(skip)]
    pub modified_ns: Option<i64>,
    pub modified: String,
    #[serde(skip)]
    pub content_hash: Option<String>,
    pub score: f64,
    /// The distinct kinds of evidence, strongest first: "NI number, date of birth, full name".
    pub why: String,
    pub hits: Vec<Hit>,
}

impl FileMatch {
    /// Evidence good enough to put the file in a bundle (not only a surname
    /// under another first name).
    pub fn likely(&self) -> bool {
        self.score >= 1.0
    }
}

/// A finding returned by a lookup.
#[derive(Debug, Clone)]
struct Row {
    id: i64,
    file_id: i64,
    path: String,
    location: String,
}

/// A name finding with the full name's hash and its words' hashes by position.
type NameFinding = (Row, String, Vec<(i64, [u8; 8])>);

/// Where a location sits, for "nearby": (scope, number, window).
fn place(location: &str) -> (String, i64, i64) {
    let num_after = |prefix: &str| location.strip_prefix(prefix).and_then(|r| r.trim().parse::<i64>().ok());
    for (prefix, window) in [("body line ", 3), ("line ", 3), ("paragraph ", 1), ("page ", 0)] {
        if let Some(n) = num_after(prefix) {
            return (prefix.to_string(), n, window);
        }
    }
    if let Some(rest) = location.strip_prefix("row ")
        && let Some(n) = rest.split(',').next().and_then(|n| n.trim().parse::<i64>().ok())
    {
        return ("row".into(), n, 0);
    }
    if let Some((sheet, cell)) = location.rsplit_once('!') {
        let digits: String = cell.chars().skip_while(|c| c.is_ascii_alphabetic()).collect();
        if let Ok(n) = digits.parse::<i64>() {
            return (format!("{sheet}!"), n, 0);
        }
    }
    (location.to_string(), 0, 0)
}

/// Are two findings (path, location) at the same or nearby places?
fn nearby(a: &Row, b: &Row) -> bool {
    if a.path != b.path {
        return false;
    }
    let (sa, na, w) = place(&a.location);
    let (sb, nb, _) = place(&b.location);
    sa == sb && (na - nb).abs() <= w
}

/// Is this a row of a table (CSV row or spreadsheet row)?
fn is_row(location: &str) -> bool {
    let (scope, _, _) = place(location);
    scope == "row" || scope.ends_with('!')
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(",")
}

/// The columns that make a [`Row`] (with `findings f`, `paths p`, `places l`).
const ROW_COLUMNS: &str = "f.id, f.file_id, p.path, l.pre, f.num, l.post";
const ROW_JOINS: &str = "findings f JOIN paths p ON p.id = f.path JOIN places l ON l.id = f.place";

/// A [`Row`] from the first six columns of a query using [`ROW_COLUMNS`].
fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let pre: String = r.get(3)?;
    let num: Option<i64> = r.get(4)?;
    let post: String = r.get(5)?;
    let location = match num {
        Some(n) => format!("{pre}{n}{post}"),
        None => pre + &post,
    };
    Ok(Row { id: r.get(0)?, file_id: r.get(1)?, path: r.get(2)?, location })
}

/// Findings whose hash starts with one of `n` 8-byte prefixes.
fn hash_sql(n: usize) -> String {
    format!("SELECT {ROW_COLUMNS}, f.hash FROM {ROW_JOINS} WHERE substr(f.hash, 1, 8) IN ({})", placeholders(n))
}

/// Names with the word `?1` (surname) anywhere, or `?2` (first name) alone.
fn names_sql() -> String {
    format!(
        "SELECT {ROW_COLUMNS}, f.hash, f.words FROM {ROW_JOINS}
         WHERE f.id IN (SELECT id FROM findings WHERE substr(words, 1, 8) = ?1 AND words IS NOT NULL
                        UNION SELECT id FROM findings WHERE substr(words, 9, 8) = ?1 AND length(words) = 16
                        UNION SELECT id FROM findings WHERE substr(words, 1, 8) = ?2 AND words IS NOT NULL AND length(words) = 8)
         ORDER BY f.id"
    )
}

/// The names found in file `?1`.
fn names_in_file_sql() -> String {
    format!(
        "SELECT {ROW_COLUMNS} FROM {ROW_JOINS}
         WHERE f.file_id = ?1 AND f.category = (SELECT id FROM categories WHERE name = 'name')"
    )
}

/// Search the map. Files are returned strongest first.
pub fn search(conn: &Connection, q: &Query) -> rusqlite::Result<Vec<FileMatch>> {
    let mut evidence: Vec<(Row, Evidence)> = Vec::new();
    // Identifiers and full names, by their hashes (the index holds the
    // first 8 bytes; the whole hash is checked here).
    let hashes: Vec<&String> = q.idents.keys().chain(q.full_names.iter()).collect();
    let prefixes: Vec<Vec<u8>> =
        hashes.iter().filter_map(|h| crate::map::store::prefix_of_hex(h)).map(|p| p.to_vec()).collect();
    if !prefixes.is_empty() {
        let mut stmt = conn.prepare(&hash_sql(prefixes.len()))?;
        let mut rows = stmt.query(params_from_iter(prefixes.iter()))?;
        while let Some(r) = rows.next()? {
            let hash = hex::encode(r.get_ref(6)?.as_blob()?);
            let ev = match q.idents.get(&hash) {
                Some(c) => Evidence::Ident(*c),
                None if q.full_names.contains(&hash) => Evidence::FullName,
                None => continue,
            };
            evidence.push((row(r)?, ev));
        }
    }
    if q.last.is_some() {
        name_evidence(conn, q, &mut evidence)?;
    }
    let mut matches = group(conn, evidence)?;
    matches
        .sort_by(|a, b| b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal).then(a.path.cmp(&b.path)));
    Ok(matches)
}

/// Name findings with the surname or first name among their words, classified.
fn name_evidence(conn: &Connection, q: &Query, out: &mut Vec<(Row, Evidence)>) -> rusqlite::Result<()> {
    use crate::map::store::{prefix_of_hex, words_of};
    let word = |h: &Option<String>| h.as_deref().and_then(prefix_of_hex);
    let (last, first, first_initial) = (word(&q.last), word(&q.first), word(&q.first_initial));
    // Every name with the surname among its words, and lone first names.
    let mut stmt = conn.prepare(&names_sql())?;
    let mut rows = stmt.query(rusqlite::params![last.map(|w| w.to_vec()), first.map(|w| w.to_vec())])?;
    // finding id → (row, full hash, words by position)
    let mut found: BTreeMap<i64, NameFinding> = BTreeMap::new();
    while let Some(r) = rows.next()? {
        let full = hex::encode(r.get_ref(6)?.as_blob()?);
        let words = words_of(r.get_ref(7)?.as_blob()?);
        let row = row(r)?;
        found.insert(row.id, (row, full, words));
    }
    let is = |w: &[u8; 8], h: &Option<[u8; 8]>| h.as_ref() == Some(w);
    // Lone first names, for "nearby".
    let first_alone: Vec<&Row> = found
        .values()
        .filter(|(_, _, ws)| ws.len() == 1 && ws[0].0 == POS_ONLY && is(&ws[0].1, &first))
        .map(|(r, _, _)| r)
        .collect();
    let mut classified: Vec<(Row, Evidence)> = Vec::new();
    let mut lone_first: Vec<Row> = Vec::new();
    for (row, full, ws) in found.values() {
        if q.full_names.contains(full) {
            continue; // already matched by its full hash
        }
        let has_last = ws.iter().any(|(_, w)| is(w, &last));
        let has_first = ws.iter().any(|(_, w)| is(w, &first));
        let ev = if has_last && has_first && ws.len() > 1 {
            Evidence::FullName
        } else if has_last && ws.len() > 1 {
            // The other end word: the initial, or another first name.
            let other = ws.iter().find(|(p, w)| *p != POS_ONLY && !is(w, &last));
            match other {
                Some((_, w)) if is(w, &first_initial) => Evidence::SurnameAndInitial,
                Some(_) if q.first.is_some() => Evidence::SurnameOtherFirstName,
                _ => Evidence::Surname,
            }
        } else if has_last {
            if first_alone.iter().any(|f| nearby(f, row)) {
                Evidence::SurnameAndFirstNameNearby
            } else {
                Evidence::Surname
            }
        } else {
            if ws.len() == 1 {
                lone_first.push(row.clone());
            }
            continue;
        };
        classified.push((row.clone(), ev));
    }
    // A lone surname in a table row beside a name that is not the first name: someone else's row.
    let rows_to_check: BTreeSet<i64> = classified
        .iter()
        .filter(|(r, e)| *e == Evidence::Surname && is_row(&r.location))
        .map(|(r, _)| r.file_id)
        .collect();
    let mut others: HashMap<i64, Vec<Row>> = HashMap::new();
    for file_id in rows_to_check {
        let mut stmt = conn.prepare_cached(&names_in_file_sql())?;
        let names = stmt.query_map([file_id], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        others.insert(file_id, names);
    }
    for (row, ev) in classified.iter_mut() {
        if *ev == Evidence::Surname
            && let Some(names) = others.get(&row.file_id)
            && names.iter().any(|n| n.id != row.id && !found.contains_key(&n.id) && nearby(n, row))
        {
            *ev = Evidence::SurnameOtherFirstName;
        }
    }
    // A lone surname next to the same surname under another first name is that other person.
    let others_named: Vec<Row> =
        classified.iter().filter(|(_, e)| *e == Evidence::SurnameOtherFirstName).map(|(r, _)| r.clone()).collect();
    for (row, ev) in classified.iter_mut() {
        if *ev == Evidence::Surname && others_named.iter().any(|o| nearby(o, row)) {
            *ev = Evidence::SurnameOtherFirstName;
        }
    }
    // First names alone count only in files that match otherwise.
    out.extend(classified);
    let strong_files: BTreeSet<i64> = out.iter().filter(|(_, e)| e.weight() >= 1.0).map(|(r, _)| r.file_id).collect();
    for row in lone_first {
        if strong_files.contains(&row.file_id) {
            out.push((row, Evidence::FirstNameNearStrongerMatch));
        }
    }
    Ok(())
}

/// Group evidence by file, score each file, and fetch its details.
fn group(conn: &Connection, evidence: Vec<(Row, Evidence)>) -> rusqlite::Result<Vec<FileMatch>> {
    let mut by_file: BTreeMap<i64, Vec<(Row, Evidence)>> = BTreeMap::new();
    for (row, ev) in evidence {
        by_file.entry(row.file_id).or_default().push((row, ev));
    }
    let mut out = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT root, abs, path, kind, size, modified, content_hash FROM files WHERE id = ?1 AND status <> 'gone'",
    )?;
    for (file_id, mut hits) in by_file {
        let mut rows = stmt.query([file_id])?;
        let Some(f) = rows.next()? else { continue };
        let kinds: BTreeSet<Evidence> = hits.iter().map(|(_, e)| *e).collect();
        let score: f64 = kinds.iter().map(Evidence::weight).sum();
        let why = kinds.iter().map(Evidence::label).collect::<Vec<_>>().join(", ");
        hits.sort_by(|a, b| a.0.path.cmp(&b.0.path).then(a.0.id.cmp(&b.0.id)));
        let modified_ns: Option<i64> = f.get(5)?;
        out.push(FileMatch {
            file_id,
            root: f.get(0)?,
            abs: f.get(1)?,
            path: f.get(2)?,
            kind: f.get(3)?,
            size: f.get(4)?,
            modified_ns,
            modified: crate::map::date_text(modified_ns),
            content_hash: f.get(6)?,
            score: (score * 10.0).round() / 10.0,
            why,
            hits: hits
                .into_iter()
                .map(|(r, e)| Hit { path: r.path, location: r.location, evidence: e, what: e.label() })
                .collect(),
        });
    }
    Ok(out)
}

/// The results as a table for the terminal.
pub fn table(matches: &[FileMatch]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    if matches.is_empty() {
        s.push_str("Nothing in the data map matches this person.\n");
        return s;
    }
    let _ = writeln!(s, "{} files mention this person (strongest first):", matches.len());
    for (i, m) in matches.iter().enumerate() {
        let _ = writeln!(s, "\n{:>3}. {}  [score {:.1}: {}]", i + 1, m.path, m.score, m.why);
        let _ = writeln!(s, "     {} ({}, modified {})", m.abs, m.kind, m.modified);
        for h in &m.hits {
            let part = if h.path != m.path { format!("{} ", h.path) } else { String::new() };
            let _ = writeln!(s, "       {part}{}: {}", h.location, h.what);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every lookup goes through an index: none reads the whole findings table.
    #[test]
    fn lookups_use_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let map = crate::map::Map::create_or_open(&dir.path().join("m.db")).unwrap();
        let plan = |sql: &str| -> String {
            let mut stmt = map.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let n = stmt.parameter_count();
            let rows = stmt
                .query_map(rusqlite::params_from_iter(std::iter::repeat_n(vec![0u8; 8], n)), |r| r.get::<_, String>(3))
                .unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
        };
        let hash = plan(&hash_sql(3));
        assert!(hash.contains("USING INDEX findings_hash"), "{hash}");
        let names = plan(&names_sql());
        assert!(
            names.contains("USING INDEX findings_word1") && names.contains("USING INDEX findings_word2"),
            "{names}"
        );
        let in_file = plan(&names_in_file_sql());
        assert!(in_file.contains("USING INDEX findings_file"), "{in_file}");
        for p in [&hash, &names, &in_file] {
            assert!(!p.lines().any(|l| l.starts_with("SCAN f") || l.starts_with("SCAN findings")), "{p}");
        }
    }

    #[test]
    fn places_and_nearness() {
        assert_eq!(place("line 12"), ("line ".into(), 12, 3));
        assert_eq!(place("row 5, col Surname"), ("row".into(), 5, 0));
        assert_eq!(place("Sheet1!C7"), ("Sheet1!".into(), 7, 0));
        let r = |loc: &str| Row { id: 0, file_id: 1, path: "a".into(), location: loc.into() };
        assert!(nearby(&r("line 3"), &r("line 5")));
        assert!(!nearby(&r("line 3"), &r("line 9")));
        assert!(nearby(&r("row 2, col First name"), &r("row 2, col Surname")));
        assert!(!nearby(&r("row 2, col First name"), &r("row 3, col Surname")));
        assert!(nearby(&r("Sheet1!A7"), &r("Sheet1!B7")));
        assert!(!nearby(&r("Sheet1!A7"), &r("Sheet2!B7")));
    }

    #[test]
    fn query_drops_titles_and_hashes_both_orders() {
        let key = Key::from_bytes([7; 32]);
        let q = Query::new(
            &Subject {
                name: Some("Mrs Jane Roberts".into()),
                nino: vec!["ab 12 34 56 c".into()],
                ..Subject::default()
            },
            &key,
        );
        assert!(q.full_names.contains(&key.hash("jane roberts")));
        assert!(q.full_names.contains(&key.hash("roberts jane")));
        assert_eq!(q.last, Some(key.hash("roberts")));
        assert_eq!(q.first_initial, Some(key.hash("j")));
        assert_eq!(q.idents.get(&key.hash("AB123456C")), Some(&Category::Nino));
    }
}
