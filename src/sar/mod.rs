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

use rusqlite::Connection;
use serde::Serialize;

use crate::common::POS_ONLY;
use crate::detect::Category;
use crate::keys::Key;
use crate::map::db::{Cursor, Db, Row as DbRow, RowRef, Value};

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

impl Subject {
    /// Check the details as typed. An impossible or month-first date, or a
    /// malformed email, NI or NHS number would find nothing and let someone
    /// answer "we hold nothing": each is refused with a plain message.
    pub fn check(&self) -> Result<(), String> {
        for d in &self.dob {
            check_date(d, "--dob")?;
        }
        for n in &self.nino {
            if crate::detect::validate::nino(n).is_none() {
                return Err(format!(
                    "--nino {n:?} is not a National Insurance number: two letters, six digits and A, B, C or D, \
                     like AB 12 34 56 C"
                ));
            }
        }
        for n in &self.nhs {
            let digits: String = n.chars().filter(char::is_ascii_digit).collect();
            let others = n.chars().any(|c| !(c.is_ascii_digit() || c == ' ' || c == '-'));
            if digits.len() != 10 || others || crate::detect::validate::nhs(n).is_none() {
                return Err(format!(
                    "--nhs {n:?} is not an NHS number: ten digits whose last digit checks the others \
                     (like 943 476 5919); check it against the letter or record it came from"
                ));
            }
        }
        let mut lists = crate::detect::rules::Lists::builtin();
        // A role mailbox may be the person's own: only the form is checked.
        lists.role_mailboxes.clear();
        for e in &self.email {
            if e.trim().contains(char::is_whitespace) || crate::detect::validate::email(e.trim(), &lists).is_none() {
                return Err(format!("--email {e:?} is not an email address: write it in full, like jane@example.org"));
            }
        }
        for p in &self.phone {
            if crate::detect::category::normalise_phone(p).chars().filter(char::is_ascii_digit).count() < 7 {
                return Err(format!("--phone {p:?} is not a phone number: write it with its area code"));
            }
        }
        for p in &self.postcode {
            if crate::detect::validate::postcode(p, &crate::detect::rules::Lists::builtin()).is_none() {
                return Err(format!("--postcode {p:?} is not a UK postcode: write it in full, like SW1A 1AA"));
            }
        }
        Ok(())
    }

    /// What was searched, as typed: `name "Jane Roberts"`, `date of birth 12/03/1985`.
    pub fn described(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(n) = &self.name {
            out.push(format!("name \"{n}\" (and its variants)"));
        }
        let lists: [(&str, &Vec<String>); 6] = [
            ("date of birth", &self.dob),
            ("NI number", &self.nino),
            ("email", &self.email),
            ("phone", &self.phone),
            ("postcode", &self.postcode),
            ("NHS number", &self.nhs),
        ];
        for (what, values) in lists {
            for v in values {
                out.push(format!("{what} {v}"));
            }
        }
        out
    }

    /// Whose request it is, as given: the name, else the first detail.
    pub fn whose(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => self.described().into_iter().next().unwrap_or_default(),
        }
    }
}

/// A date typed by staff, day first (the UK way): the date, or why not.
/// `31/02/1950` does not exist; `03/29/1950` is month first, so the message
/// asks whether 29 March 1950 was meant. `flag` names the option.
pub fn check_date(value: &str, flag: &str) -> Result<chrono::NaiveDate, String> {
    use crate::detect::validate::parse_date;
    let v = value.trim();
    let day_first = "write it day first, like 12/03/1985";
    if let Some((y, m, d)) = parse_date(v)
        && let Some(date) = chrono::NaiveDate::from_ymd_opt(y, m, d)
    {
        if date > chrono::Local::now().date_naive() {
            return Err(format!("{flag} {value:?} is in the future: check it ({day_first})"));
        }
        return Ok(date);
    }
    let parts: Vec<&str> = v.split(['/', '.', '-', ' ']).filter(|p| !p.is_empty()).collect();
    let nums: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    if parts.len() == 3 && nums.len() == 3 && parts[2].len() == 4 {
        let (a, b, y) = (nums[0], nums[1], nums[2] as i32);
        // Month first: the first number a month, the second a day over 12.
        if (1..=12).contains(&a)
            && b > 12
            && let Some(date) = chrono::NaiveDate::from_ymd_opt(y, a, b)
        {
            return Err(format!(
                "{flag} {value:?} reads month first: did you mean {}? write it day first: {}",
                date.format("%-d %B %Y"),
                date.format("%d/%m/%Y")
            ));
        }
        if (1..=12).contains(&b) && a > 0 {
            let month = chrono::NaiveDate::from_ymd_opt(y, b, 1).map(|d| d.format("%B %Y").to_string());
            if let Some(month) = month {
                return Err(format!("{flag} {value:?} is not a real date: {month} has no day {a}; check it"));
            }
        }
    }
    Err(format!("{flag} {value:?} is not a date piisweep can read: {day_first}"))
}

/// One calendar month after `received` (the legal deadline for a subject
/// access request), clamped to the month's end: 31 January → 28 or 29 February.
pub fn deadline(received: chrono::NaiveDate) -> chrono::NaiveDate {
    received.checked_add_months(chrono::Months::new(1)).unwrap_or(received)
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

/// Numbers (rows, lines, pages) as merged ranges, in bounded memory for a
/// run of consecutive places: `12-3,400, 3,405`.
#[derive(Debug, Clone, Default)]
pub struct Ranges {
    /// start → end (inclusive), not touching one another.
    spans: BTreeMap<u64, u64>,
    count: u64,
}

impl Ranges {
    pub fn add(&mut self, n: u64) {
        self.add_range(n, n);
    }

    /// Add `start..=end`, merging with the ranges it touches.
    pub fn add_range(&mut self, start: u64, end: u64) {
        let (mut s, mut e) = (start, end);
        let touching: Vec<u64> = self
            .spans
            .range(..=end.saturating_add(1))
            .rev()
            .take_while(|(_, pe)| pe.saturating_add(1) >= start)
            .map(|(&ps, _)| ps)
            .collect();
        for ps in touching {
            if let Some(pe) = self.spans.remove(&ps) {
                self.count -= pe - ps + 1;
                s = s.min(ps);
                e = e.max(pe);
            }
        }
        self.spans.insert(s, e);
        self.count += e - s + 1;
    }

    pub fn contains(&self, n: u64) -> bool {
        self.spans.range(..=n).next_back().is_some_and(|(_, &e)| n <= e)
    }

    /// How many numbers.
    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The highest number.
    pub fn last(&self) -> Option<u64> {
        self.spans.values().next_back().copied()
    }

    pub fn union(&mut self, other: &Ranges) {
        for (&s, &e) in &other.spans {
            self.add_range(s, e);
        }
    }

    /// `12-3,400, 3,405` (at most `max` ranges, then "and N more").
    pub fn text(&self, max: usize) -> String {
        let mut parts: Vec<String> = self
            .spans
            .iter()
            .take(max)
            .map(|(&s, &e)| if s == e { thousands(s) } else { format!("{}-{}", thousands(s), thousands(e)) })
            .collect();
        if self.spans.len() > max {
            parts.push(format!("and {} more", thousands((self.spans.len() - max) as u64)));
        }
        parts.join(", ")
    }
}

/// `3400` → `3,400`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// At most this many place names that are not numbered (`header From`) are
/// kept per kind of evidence; the rest are counted.
const MAX_NAMED: usize = 20;

/// The places in one file or part that matched one way, grouped: a count
/// and ranges (`rows 12-3,400`), not a line per place.
#[derive(Debug, Clone, Serialize)]
pub struct Places {
    /// The finding's path (with `!` for a part inside a container).
    pub path: String,
    pub evidence: Evidence,
    pub what: &'static str,
    /// How many places.
    pub count: u64,
    /// Where: `rows 12-3,400; header From`.
    pub at: String,
    /// Numbered places by scope (`row`, `Sheet1!`, `line `...).
    #[serde(skip)]
    pub numbered: BTreeMap<String, Ranges>,
    /// Other places by name (at most [`MAX_NAMED`]).
    #[serde(skip)]
    pub named: BTreeSet<String>,
}

impl Places {
    fn new(path: String, evidence: Evidence) -> Places {
        Places {
            path,
            evidence,
            what: evidence.label(),
            count: 0,
            at: String::new(),
            numbered: BTreeMap::new(),
            named: BTreeSet::new(),
        }
    }

    /// Count a place: by its scope and number when it has them (as the map
    /// stores them), else by its text.
    fn add(&mut self, location: &str, near: Option<(&str, i64)>) {
        self.count += 1;
        match near {
            Some((scope, n)) if n > 0 => self.numbered.entry(scope.to_string()).or_default().add(n as u64),
            _ if self.named.len() < MAX_NAMED => {
                self.named.insert(location.to_string());
            }
            _ => {}
        }
    }

    /// Add the places of `other` (same path and evidence).
    fn merge(&mut self, other: Places) {
        self.count += other.count;
        for (scope, r) in other.numbered {
            self.numbered.entry(scope).or_default().union(&r);
        }
        for n in other.named {
            if self.named.len() < MAX_NAMED {
                self.named.insert(n);
            }
        }
    }

    /// Fill `at` from the ranges.
    fn finish(&mut self) {
        let mut parts: Vec<String> = self.numbered.iter().map(|(scope, r)| scope_text(scope, r)).collect();
        parts.extend(self.named.iter().cloned());
        let listed = self.numbered.values().map(Ranges::len).sum::<u64>() + self.named.len() as u64;
        if self.count > listed && self.numbered.is_empty() {
            parts.push(format!("and {} more", thousands(self.count - listed)));
        }
        self.at = parts.join("; ");
    }

    /// Table rows (sheet, rows) among these places: `row N` in a CSV has
    /// sheet "", `Sheet1!C7` sheet "Sheet1".
    pub fn table_rows(&self) -> impl Iterator<Item = (&str, &Ranges)> {
        self.numbered.iter().filter_map(|(scope, r)| {
            if scope == "row" { Some(("", r)) } else { scope.strip_suffix('!').map(|sheet| (sheet, r)) }
        })
    }
}

/// Where several kinds of evidence matched in one part, merged: the distinct
/// places as text (`rows 12-3,400; header From`) and how many there are.
pub fn merged_places(places: &[&Places]) -> (String, u64) {
    let mut numbered: BTreeMap<String, Ranges> = BTreeMap::new();
    let mut named: BTreeSet<&str> = BTreeSet::new();
    for p in places {
        for (scope, r) in &p.numbered {
            numbered.entry(scope.clone()).or_default().union(r);
        }
        named.extend(p.named.iter().map(String::as_str));
    }
    let count = numbered.values().map(Ranges::len).sum::<u64>() + named.len() as u64;
    let mut parts: Vec<String> = numbered.iter().map(|(scope, r)| scope_text(scope, r)).collect();
    parts.extend(named.iter().map(|n| n.to_string()));
    (parts.join("; "), count)
}

/// `rows 12-3,400`, `Sheet1 rows 3-5`, `line 4`.
fn scope_text(scope: &str, r: &Ranges) -> String {
    let one = r.len() == 1;
    let noun = |singular: &str| if one { singular.to_string() } else { format!("{singular}s") };
    let what = match scope {
        "row" => noun("row"),
        s if s.ends_with('!') => format!("{} {}", s.trim_end_matches('!'), noun("row")),
        s => noun(s.trim_end()),
    };
    format!("{what} {}", r.text(8))
}

/// One file that mentions the person, with its score and reasons.
#[derive(Debug, Clone, Serialize)]
pub struct FileMatch {
    #[serde(skip)]
    pub file_id: i64,
    /// The node that swept the file, when the map holds sweeps from more
    /// than one (#25); otherwise left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
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
    /// How many places matched, in all.
    pub count: u64,
    /// The places, grouped by part and kind of evidence.
    pub places: Vec<Places>,
    /// Special categories (health, ethnicity...) found at a matched place
    /// (the same line, row or cell range as the person's details): data
    /// about the person that needs the strongest care.
    pub special: Vec<String>,
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
    // Read by the tests of [`Near`] only: name findings are held as [`Cand`]s.
    #[cfg_attr(not(test), allow(dead_code))]
    id: i64,
    file_id: i64,
    path: String,
    location: String,
    /// Where it sits for "nearby": scope, number and window, from the map's
    /// `places` (see [`Location::near`](crate::finding::Location::near)).
    near: Option<(String, i64, i64)>,
}

/// What a name word is to the search (bits; a word's hash is not kept):
/// the person's first name, surname, first initial.
const FIRST: u8 = 1;
const LAST: u8 = 2;
const INITIAL: u8 = 4;

/// Where a place sits, for "nearby": (scope, number, window); a place
/// with no neighbours is its own scope (its text), number 0.
fn place(location: &str, near: &Option<(String, i64, i64)>) -> (String, i64, i64) {
    match near {
        Some((scope, n, w)) => (scope.clone(), *n, *w),
        None => (location.to_string(), 0, 0),
    }
}

/// Are two findings (path, location) at the same or nearby places? (What
/// [`Near`] answers for many findings at once.)
#[cfg(test)]
fn nearby(a: &Row, b: &Row) -> bool {
    if a.path != b.path {
        return false;
    }
    let (sa, na, w) = place(&a.location, &a.near);
    let (sb, nb, _) = place(&b.location, &b.near);
    sa == sb && (na - nb).abs() <= w
}

/// Where a finding is, compactly, for "nearby": its path (an id from the
/// `paths` table), its scope (interned per file, see [`FileNames`]), its
/// number and window (as [`place`] says).
#[derive(Debug, Clone, Copy)]
struct Spot {
    path: i64,
    scope: u32,
    n: i64,
    w: i64,
}

/// Findings indexed by where they are, so that "is one of them nearby?"
/// costs a few lookups, not a comparison with every other finding (one
/// person in 200,000 rows would make that quadratic).
#[derive(Default)]
struct Near {
    at: HashMap<(i64, u32, i64), Vec<i64>>,
    /// Paths and scopes as text, for [`Row`]s (tests).
    #[cfg(test)]
    names: HashMap<String, u32>,
}

impl Near {
    fn insert_at(&mut self, s: Spot, id: i64) {
        self.at.entry((s.path, s.scope, s.n)).or_default().push(id);
    }

    /// Is a finding near `s` (as [`nearby`] says) that `skip` does not reject?
    fn any_at(&self, s: Spot, skip: impl Fn(i64) -> bool) -> bool {
        (s.n - s.w..=s.n + s.w)
            .any(|k| self.at.get(&(s.path, s.scope, k)).is_some_and(|ids| ids.iter().any(|id| !skip(*id))))
    }
}

#[cfg(test)]
impl Near {
    fn spot(&mut self, r: &Row) -> Spot {
        let (scope, n, w) = place(&r.location, &r.near);
        let len = self.names.len() as u32;
        let path = *self.names.entry(r.path.clone()).or_insert(len) as i64;
        let len = self.names.len() as u32;
        let scope = *self.names.entry(scope).or_insert(len);
        Spot { path, scope, n, w }
    }

    fn insert(&mut self, r: &Row) {
        let s = self.spot(r);
        self.insert_at(s, r.id);
    }

    fn any(&mut self, r: &Row, skip: impl Fn(i64) -> bool) -> bool {
        let s = self.spot(r);
        self.any_at(s, skip)
    }
}

/// `?1,?2,...,?n`: numbered, so [`Db`] can give them to PostgreSQL too.
fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(",")
}

/// The columns that make a [`Row`] (with `findings f`, `paths p`, `places l`).
const ROW_COLUMNS: &str = "f.id, f.file_id, p.path, l.pre, f.num, l.post, l.scope, l.win";
const ROW_JOINS: &str = "findings f JOIN paths p ON p.id = f.path JOIN places l ON l.id = f.place";

/// A [`Row`] from the first eight columns of a query using [`ROW_COLUMNS`].
fn row(r: &DbRow) -> anyhow::Result<Row> {
    let pre: String = r.get(3)?;
    let num: Option<i64> = r.get(4)?;
    let post: String = r.get(5)?;
    let location = match num {
        Some(n) => format!("{pre}{n}{post}"),
        None => pre + &post,
    };
    let near = match (num, r.get::<Option<String>>(6)?) {
        (Some(n), Some(scope)) => Some((scope, n, r.get::<Option<i64>>(7)?.unwrap_or(0))),
        _ => None,
    };
    Ok(Row { id: r.get(0)?, file_id: r.get(1)?, path: r.get(2)?, location, near })
}

/// Findings whose hash starts with one of `n` 8-byte prefixes (as `hkey` numbers).
fn hash_sql(n: usize) -> String {
    format!("SELECT {ROW_COLUMNS}, f.hash FROM {ROW_JOINS} WHERE f.hkey IN ({})", placeholders(n))
}

/// The columns of a name finding read compactly by [`FileNames::read`].
const NAME_COLUMNS: &str = "f.id, f.file_id, f.path, p.path, f.place, l.pre, f.num, l.post, l.scope, l.win";

/// Names with the word `?1` (surname) anywhere, or `?2` (first name) alone,
/// file by file and, within a file, by place ([`Pos`]: path, then the
/// location's number), so that a bounded window of them is held at a time.
fn names_sql(nulls_first: &str) -> String {
    format!(
        "SELECT {NAME_COLUMNS}, f.hash, f.words FROM {ROW_JOINS}
         WHERE f.id IN (SELECT id FROM findings WHERE substr(words, 1, 8) = ?1 AND words IS NOT NULL
                        UNION SELECT id FROM findings WHERE substr(words, 9, 8) = ?1 AND length(words) = 16
                        UNION SELECT id FROM findings WHERE substr(words, 1, 8) = ?2 AND words IS NOT NULL AND length(words) = 8)
         ORDER BY f.file_id, f.path, f.num{nulls_first}, f.id"
    )
}

/// Every name in the files that [`names_sql`] finds names in, in its
/// order: read alongside it for "a name that is not the person's in the same
/// row" (the same parameters).
fn names_in_files_sql(nulls_first: &str) -> String {
    format!(
        "SELECT {NAME_COLUMNS}, f.file_id FROM {ROW_JOINS}
         WHERE f.category = (SELECT id FROM categories WHERE name = 'name')
           AND f.file_id IN (SELECT file_id FROM findings WHERE substr(words, 1, 8) = ?1 AND words IS NOT NULL
                        UNION SELECT file_id FROM findings WHERE substr(words, 9, 8) = ?1 AND length(words) = 16
                        UNION SELECT file_id FROM findings WHERE substr(words, 1, 8) = ?2 AND words IS NOT NULL AND length(words) = 8)
         ORDER BY f.file_id, f.path, f.num{nulls_first}, f.id"
    )
}

/// Evidence gathered as it streams in from the map, grouped by file, part
/// and kind: counts and ranges, not a record per place.
#[derive(Default, Clone)]
struct Gathered {
    files: BTreeMap<i64, BTreeMap<(String, Evidence), Places>>,
}

impl Gathered {
    fn add(&mut self, row: &Row, ev: Evidence) {
        let near = row.near.as_ref().map(|(scope, n, _)| (scope.as_str(), *n));
        self.add_at(row.file_id, &row.path, &row.location, near, ev);
    }

    fn add_at(&mut self, file_id: i64, path: &str, location: &str, near: Option<(&str, i64)>, ev: Evidence) {
        let parts = self.files.entry(file_id).or_default();
        let key = (path.to_string(), ev);
        parts.entry(key).or_insert_with(|| Places::new(path.to_string(), ev)).add(location, near);
    }

    /// Does the file have evidence of at least `weight`?
    fn file_has(&self, file_id: i64, weight: f64) -> bool {
        self.files.get(&file_id).is_some_and(|p| p.keys().any(|(_, e)| e.weight() >= weight))
    }
}

/// Search a SQLite map. Files are returned strongest first.
pub fn search(conn: &Connection, q: &Query) -> anyhow::Result<Vec<FileMatch>> {
    search_db(&mut Db::Sqlite(conn), q)
}

/// Search a map of either kind (see [`search`]).
pub fn search_db(db: &mut Db<'_>, q: &Query) -> anyhow::Result<Vec<FileMatch>> {
    search_windowed(db, q, WINDOW)
}

/// [`search_db`] holding about `window` name findings at a time (tests
/// give a tiny one, so that the order the map returns names in matters).
#[doc(hidden)]
pub fn search_windowed(db: &mut Db<'_>, q: &Query, window: usize) -> anyhow::Result<Vec<FileMatch>> {
    let mut gathered = Gathered::default();
    hash_evidence(db, q, &mut gathered)?;
    if q.last.is_some() {
        name_evidence_in(db, q, &mut gathered, window)?;
    }
    let mut matches = group(db, gathered)?;
    for m in &mut matches {
        m.special = special_at_places(db, m)?;
    }
    matches
        .sort_by(|a, b| b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal).then(a.path.cmp(&b.path)));
    Ok(matches)
}

/// Identifiers and full names, by their hashes (the index holds the first 8
/// bytes; the whole hash is checked here).
fn hash_evidence(db: &mut Db<'_>, q: &Query, gathered: &mut Gathered) -> anyhow::Result<()> {
    let hashes: Vec<&String> = q.idents.keys().chain(q.full_names.iter()).collect();
    let prefixes: Vec<Value> =
        hashes.iter().filter_map(|h| crate::map::store::hkey_of_hex(h)).map(Value::Int).collect();
    if prefixes.is_empty() {
        return Ok(());
    }
    db.for_each(&hash_sql(prefixes.len()), &prefixes, |r| {
        let hash = hex::encode(r.get::<Vec<u8>>(8)?);
        let ev = match q.idents.get(&hash) {
            Some(c) => Evidence::Ident(*c),
            None if q.full_names.contains(&hash) => Evidence::FullName,
            None => return Ok(()),
        };
        gathered.add(&row(r)?, ev);
        Ok(())
    })
}

/// What a name finding is before "nearby" is asked: known evidence, the
/// surname alone, the first name alone, or neither.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Known(Evidence),
    SurnameAlone,
    FirstAlone,
    Other,
}

/// A name finding, compactly: ids and numbers. The text of its path and
/// place is held once per file in [`FileNames`] and only formatted when the
/// finding is added to [`Gathered`].
#[derive(Debug, Clone, Copy)]
struct Cand {
    id: i64,
    place: i64,
    num: Option<i64>,
    spot: Spot,
    /// What its words say, before "nearby" is asked.
    base: Kind,
    /// What it is once its neighbours are known (worked out per window).
    kind: Kind,
    /// The person's first name as a lone word (for "nearby").
    first_alone: bool,
    /// Already added to [`Gathered`]: held only as a neighbour of later ones.
    done: bool,
}

/// Where a name finding comes in the order of [`names_sql`]: its path id,
/// then its location's number (`None` first, as SQLite sorts NULL).
type Pos = (i64, Option<i64>);

/// A place as [`FileNames`] holds it: its text before and after the
/// number, and its scope and window if it has them (see [`row`]).
type PlaceText = (String, String, Option<(String, Option<i64>)>);

/// Name findings held at once while one file is classified, about: once a
/// window holds this many, the ones whose neighbours have all been read
/// are classified and let go. (The window may grow past it only while many
/// findings share one place number.)
const WINDOW: usize = 4096;

/// How far (in location numbers) a name's class can depend on others: its
/// neighbours within the widest "nearby" window (3 lines, see [`place`]),
/// and theirs (a lone surname beside one that is someone else's).
const REACH: i64 = 6;

/// One file's name findings while they are classified, a window at a time
/// in the order of [`names_sql`]: memory is bounded by the window, whatever
/// the number of rows or lines that name the person.
#[derive(Default)]
struct FileNames {
    file_id: i64,
    paths: HashMap<i64, String>,
    /// Place texts before and after the number, and scope and window (see [`row`]).
    places: HashMap<i64, PlaceText>,
    scopes: Vec<String>,
    scope_ids: HashMap<String, u32>,
    cands: Vec<Cand>,
    /// Full names matched by their hash already (in the window).
    full_ids: Vec<(Pos, i64)>,
    /// Names in the window that are not about the person (not found by
    /// their words), read only when a lone surname in a table row needs them.
    others: Vec<(Pos, i64, Spot)>,
    /// Where the last finding read is (a window closes only between places).
    last: Option<Pos>,
    /// First names alone: they count only if the file matches otherwise,
    /// known at its end. Grouped as [`Gathered`] groups (counts and ranges).
    first_alone: Gathered,
}

impl FileNames {
    /// The spot of a row read with [`NAME_COLUMNS`], keeping its path and place text once.
    fn read(&mut self, r: &RowRef<'_>) -> anyhow::Result<(i64, Option<i64>, Spot)> {
        let (path, place_id, num): (i64, i64, Option<i64>) = (r.get(2)?, r.get(4)?, r.get(6)?);
        if let std::collections::hash_map::Entry::Vacant(e) = self.paths.entry(path) {
            e.insert(r.get(3)?);
        }
        if let std::collections::hash_map::Entry::Vacant(e) = self.places.entry(place_id) {
            let near = r.get::<Option<String>>(8)?.map(|scope| r.get(9).map(|w| (scope, w))).transpose()?;
            e.insert((r.get(5)?, r.get(7)?, near));
        }
        Ok((place_id, num, self.spot(path, place_id, num)))
    }

    /// The spot of a place whose path and place text are held.
    fn spot(&mut self, path: i64, place_id: i64, num: Option<i64>) -> Spot {
        let (scope, n, w) = place(&self.location(place_id, num), &self.near(place_id, num));
        let scope = match self.scope_ids.get(&scope) {
            Some(id) => *id,
            None => {
                let id = self.scopes.len() as u32;
                self.scopes.push(scope.clone());
                self.scope_ids.insert(scope, id);
                id
            }
        };
        Spot { path, scope, n, w }
    }

    /// Where a place sits for "nearby", as [`row`] reads it.
    fn near(&self, place_id: i64, num: Option<i64>) -> Option<(String, i64, i64)> {
        let (_, _, near) = &self.places[&place_id];
        let (scope, w) = near.as_ref()?;
        Some((scope.clone(), num?, w.unwrap_or(0)))
    }

    /// The location text, as [`row`] makes it.
    fn location(&self, place_id: i64, num: Option<i64>) -> String {
        let (pre, post, _) = &self.places[&place_id];
        match num {
            Some(n) => format!("{pre}{n}{post}"),
            None => format!("{pre}{post}"),
        }
    }

    /// Is the spot a row of a table (CSV row or spreadsheet row)?
    fn is_row(&self, s: Spot) -> bool {
        let scope = &self.scopes[s.scope as usize];
        scope == "row" || scope.ends_with('!')
    }

    fn add(&self, out: &mut Gathered, c: &Cand, ev: Evidence) {
        let near = self.near(c.place, c.num);
        let near = near.as_ref().map(|(scope, n, _)| (scope.as_str(), *n));
        out.add_at(self.file_id, &self.paths[&c.spot.path], &self.location(c.place, c.num), near, ev);
    }

    fn held(&self) -> usize {
        self.cands.len() + self.full_ids.len() + self.others.len()
    }
}

/// Is a finding at `pos` final once everything before `next` has been read
/// (its neighbours, and theirs, are all in the window)? `None`: the file
/// is read to its end.
fn settled(pos: Pos, next: Option<Pos>) -> bool {
    match next {
        None => true,
        Some((path, num)) => {
            pos.0 < path
                || matches!((pos.1, num), (None, Some(_)))
                || matches!((pos.1, num), (Some(a), Some(b)) if a <= b - REACH)
        }
    }
}

/// Is a finding at `pos` still needed, as a neighbour, for those after `next`?
fn needed(pos: Pos, next: Pos) -> bool {
    matches!((pos, next), ((p, Some(a)), (q, Some(b))) if p == q && a >= b - 2 * REACH)
}

/// Name findings with the surname or first name among their words,
/// classified file by file (nearby checks never cross files), a window at a
/// time (see [`FileNames`]), of about `window` findings; returns the most
/// findings held at once (in tests; 0 otherwise). Most searches need no
/// names other than the person's; one that does (a lone surname in a table
/// row) is run again with every name of the files read alongside.
fn name_evidence_in(db: &mut Db<'_>, q: &Query, out: &mut Gathered, window: usize) -> anyhow::Result<usize> {
    let mut first = out.clone();
    match names_pass(db, q, &mut first, window, false)? {
        Some(peak) => {
            *out = first;
            Ok(peak)
        }
        None => {
            drop(first);
            Ok(names_pass(db, q, out, window, true)?.unwrap_or(0))
        }
    }
}

/// One pass over the person's names ([`names_sql`]); with `others`, every
/// name of their files is read alongside. `None` when a window needed the
/// others and they were not read.
fn names_pass(
    db: &mut Db<'_>,
    q: &Query,
    out: &mut Gathered,
    window: usize,
    others: bool,
) -> anyhow::Result<Option<usize>> {
    use crate::map::store::prefix_of_hex;
    let word = |h: &Option<String>| h.as_deref().and_then(prefix_of_hex);
    let (last, first, first_initial) = (word(&q.last), word(&q.first), word(&q.first_initial));
    let params = [Value::from(last.map(|w| w.to_vec())), Value::from(first.map(|w| w.to_vec()))];
    // Every name with the surname among its words, and lone first names;
    // with `others`, every name of their files beside them.
    let (names, all_names) = (names_sql(db.nulls_first()), names_in_files_sql(db.nulls_first()));
    let mut queries = vec![(names.as_str(), &params[..])];
    if others {
        queries.push((all_names.as_str(), &params[..]));
    }
    db.with_cursors(&queries, |mut cursors| {
        let cursor = (cursors.len() > 1).then(|| cursors.pop()).flatten();
        let mut cursor = cursor.map(|rows| OthersCursor { rows, ahead: None });
        let rows = cursors.pop().ok_or_else(|| anyhow::anyhow!("no cursor over the names"))?;
        names_read(rows, cursor.as_mut(), q, out, window, [last, first, first_initial])
    })
}

/// The loop of [`names_pass`] over its cursors (the person's `words`: last, first, first initial).
fn names_read(
    mut rows: Cursor<'_>,
    mut cursor: Option<&mut OthersCursor<'_>>,
    q: &Query,
    out: &mut Gathered,
    window: usize,
    [last, first, first_initial]: [Option<[u8; 8]>; 3],
) -> anyhow::Result<Option<usize>> {
    use crate::map::store::words_of;
    let is = |w: &u8, flag: u8| w & flag != 0;
    let mut peak = 0;
    let mut file: Option<FileNames> = None;
    while let Some(r) = rows.next_row()? {
        let file_id: i64 = r.get(1)?;
        let pos: Pos = (r.get(2)?, r.get(6)?);
        if file.as_ref().is_some_and(|f| f.file_id != file_id) {
            let f = file.take().unwrap_or_default();
            let Some(p) = finish_file(cursor.as_deref_mut(), f, out)? else { return Ok(None) };
            peak = peak.max(p);
        }
        let names = file.get_or_insert_with(|| FileNames { file_id, ..Default::default() });
        // A full window: classify what is settled before this place, and let it go.
        if names.held() >= window
            && names.last.is_some_and(|l| l != pos)
            && !classify_window(cursor.as_deref_mut(), names, out, Some(pos))?
        {
            return Ok(None);
        }
        names.last = Some(pos);
        let id: i64 = r.get(0)?;
        let full = hex::encode(r.bytes(10)?);
        // The full name itself was matched by its hash already: only its id is kept.
        if q.full_names.contains(&full) {
            names.full_ids.push((pos, id));
            continue;
        }
        // Words by position (see [`FIRST`], [`LAST`], [`INITIAL`]).
        let ws: Vec<(i64, u8)> = words_of(r.bytes(11)?)
            .into_iter()
            .map(|(pos, w)| {
                let mut bits = 0;
                for (flag, own) in [(FIRST, &first), (LAST, &last), (INITIAL, &first_initial)] {
                    if own.as_ref() == Some(&w) {
                        bits |= flag;
                    }
                }
                (pos, bits)
            })
            .collect();
        let has_last = ws.iter().any(|(_, w)| is(w, LAST));
        let has_first = ws.iter().any(|(_, w)| is(w, FIRST));
        let kind = if has_last && has_first && ws.len() > 1 {
            Kind::Known(Evidence::FullName)
        } else if has_last && ws.len() > 1 {
            // The other end word: the initial, or another first name.
            let other = ws.iter().find(|(p, w)| *p != POS_ONLY && !is(w, LAST));
            Kind::Known(match other {
                Some((_, w)) if is(w, INITIAL) => Evidence::SurnameAndInitial,
                Some(_) if q.first.is_some() => Evidence::SurnameOtherFirstName,
                _ => Evidence::Surname,
            })
        } else if has_last {
            Kind::SurnameAlone
        } else if ws.len() == 1 {
            Kind::FirstAlone
        } else {
            Kind::Other
        };
        let first_alone = ws.len() == 1 && ws[0].0 == POS_ONLY && is(&ws[0].1, FIRST);
        let (place, num, spot) = names.read(&r)?;
        names.cands.push(Cand { id, place, num, spot, base: kind, kind, first_alone, done: false });
        peak = peak.max(names.held());
    }
    if let Some(f) = file {
        let Some(p) = finish_file(cursor, f, out)? else { return Ok(None) };
        peak = peak.max(p);
    }
    Ok(Some(peak))
}

/// Classify the rest of a file, and add its lone first names if the file
/// matches otherwise. Returns the most findings it held at once; `None` as
/// [`classify_window`].
fn finish_file(
    cursor: Option<&mut OthersCursor<'_>>,
    mut file: FileNames,
    out: &mut Gathered,
) -> anyhow::Result<Option<usize>> {
    if !classify_window(cursor, &mut file, out, None)? {
        return Ok(None);
    }
    // First names alone count only in files that match otherwise.
    if out.file_has(file.file_id, 1.0) {
        for (file_id, parts) in std::mem::take(&mut file.first_alone.files) {
            let into = out.files.entry(file_id).or_default();
            for (key, places) in parts {
                match into.get_mut(&key) {
                    Some(p) => p.merge(places),
                    None => {
                        into.insert(key, places);
                    }
                }
            }
        }
    }
    Ok(Some(0))
}

/// Classify the window's name findings; add those settled before `next`
/// (the place read next; `None` at the end of the file) to `out`, and keep
/// only what later ones may need as neighbours.
/// Returns false, having done nothing, if the others are needed and
/// `cursor` is `None` (the pass is then run again with them).
fn classify_window(
    cursor: Option<&mut OthersCursor<'_>>,
    file: &mut FileNames,
    out: &mut Gathered,
    next: Option<Pos>,
) -> anyhow::Result<bool> {
    for c in file.cands.iter_mut() {
        c.kind = c.base;
    }
    // Lone first names, for "nearby".
    let mut first_alone = Near::default();
    for c in file.cands.iter().filter(|c| c.first_alone) {
        first_alone.insert_at(c.spot, c.id);
    }
    for c in file.cands.iter_mut() {
        if c.kind == Kind::SurnameAlone {
            let near = first_alone.any_at(c.spot, |_| false);
            c.kind = Kind::Known(if near { Evidence::SurnameAndFirstNameNearby } else { Evidence::Surname });
        }
    }
    drop(first_alone);
    // A lone surname in a table row beside a name that is not the first name: someone else's row.
    let check_rows = file.cands.iter().any(|c| c.kind == Kind::Known(Evidence::Surname) && file.is_row(c.spot));
    match cursor {
        Some(cursor) => read_others(cursor, file, next)?,
        None if check_rows => return Ok(false),
        None => {}
    }
    // (Read as the window moves, but used only where such a row is.)
    let mut others = Near::default();
    for (_, id, spot) in file.others.iter().filter(|_| check_rows) {
        others.insert_at(*spot, *id);
    }
    for c in file.cands.iter_mut() {
        let id = c.id;
        if c.kind == Kind::Known(Evidence::Surname) && others.any_at(c.spot, |o| o == id) {
            c.kind = Kind::Known(Evidence::SurnameOtherFirstName);
        }
    }
    drop(others);
    // A lone surname next to the same surname under another first name is that other person.
    let mut others_named = Near::default();
    for c in file.cands.iter().filter(|c| c.kind == Kind::Known(Evidence::SurnameOtherFirstName)) {
        others_named.insert_at(c.spot, c.id);
    }
    for c in file.cands.iter_mut() {
        if c.kind == Kind::Known(Evidence::Surname) && others_named.any_at(c.spot, |_| false) {
            c.kind = Kind::Known(Evidence::SurnameOtherFirstName);
        }
    }
    drop(others_named);
    let mut first_names = std::mem::take(&mut file.first_alone);
    for i in 0..file.cands.len() {
        let c = file.cands[i];
        if c.done || !settled((c.spot.path, c.num), next) {
            continue;
        }
        match c.kind {
            Kind::Known(ev) => file.add(out, &c, ev),
            Kind::FirstAlone => file.add(&mut first_names, &c, Evidence::FirstNameNearStrongerMatch),
            _ => {}
        }
        file.cands[i].done = true;
    }
    file.first_alone = first_names;
    // Keep what the next window needs as neighbours; settled ones stay only as such.
    if let Some(next) = next {
        file.cands.retain(|c| !c.done || needed((c.spot.path, c.num), next));
        file.full_ids.retain(|(p, _)| !settled(*p, Some(next)) || needed(*p, next));
        file.others.retain(|(p, _, _)| !settled(*p, Some(next)) || needed(*p, next));
    }
    Ok(true)
}

/// A name read from [`names_in_files_sql`], before it is known whether
/// the window needs it.
struct OtherName {
    file_id: i64,
    pos: Pos,
    id: i64,
    path_text: String,
    place: i64,
    pre: String,
    post: String,
    near: Option<(String, Option<i64>)>,
}

/// The names of the person's files, read alongside [`names_sql`], with the
/// first one not yet used.
struct OthersCursor<'c> {
    rows: Cursor<'c>,
    ahead: Option<OtherName>,
}

impl OthersCursor<'_> {
    fn next(&mut self) -> anyhow::Result<Option<OtherName>> {
        if let Some(o) = self.ahead.take() {
            return Ok(Some(o));
        }
        let Some(r) = self.rows.next_row()? else { return Ok(None) };
        Ok(Some(OtherName {
            file_id: r.get(10)?,
            pos: (r.get(2)?, r.get(6)?),
            id: r.get(0)?,
            path_text: r.get(3)?,
            place: r.get(4)?,
            pre: r.get(5)?,
            post: r.get(7)?,
            near: r.get::<Option<String>>(8)?.map(|scope| r.get(9).map(|w| (scope, w))).transpose()?,
        }))
    }
}

/// Read the names of the file that are not about the person, up to (not
/// including) `next`, into the window: only those near one of the
/// person's names (the only ones a lone surname can be beside).
fn read_others(cursor: &mut OthersCursor<'_>, file: &mut FileNames, next: Option<Pos>) -> anyhow::Result<()> {
    let ids: std::collections::HashSet<i64> =
        file.cands.iter().map(|c| c.id).chain(file.full_ids.iter().map(|(_, id)| *id)).collect();
    while let Some(o) = cursor.next()? {
        if o.file_id < file.file_id {
            continue;
        }
        if o.file_id > file.file_id || next.is_some_and(|n| o.pos >= n) {
            cursor.ahead = Some(o);
            break;
        }
        let near = file.cands.iter().any(|c| {
            c.spot.path == o.pos.0
                && match (c.num, o.pos.1) {
                    (Some(a), Some(b)) => (a - b).abs() <= REACH,
                    (None, None) => true,
                    _ => false,
                }
        });
        // Or near where the next window starts: one of its names may be beside it.
        let near = near
            || next.is_some_and(|n| n.0 == o.pos.0 && matches!((o.pos.1, n.1), (Some(a), Some(b)) if a >= b - REACH));
        if !near || ids.contains(&o.id) {
            continue;
        }
        file.paths.entry(o.pos.0).or_insert(o.path_text);
        file.places.entry(o.place).or_insert((o.pre, o.post, o.near));
        let spot = file.spot(o.pos.0, o.place, o.pos.1);
        file.others.push((o.pos, o.id, spot));
    }
    Ok(())
}

/// Score each file and fetch its details.
fn group(db: &mut Db<'_>, gathered: Gathered) -> anyhow::Result<Vec<FileMatch>> {
    let mut out = Vec::new();
    let several_hosts = !gathered.files.is_empty()
        && db.query_one("SELECT count(DISTINCT host) FROM runs WHERE host <> ''", &[])?.get::<i64>(0)? > 1;
    for (file_id, parts) in gathered.files {
        let Some(f) = db.query_opt(
            "SELECT root, abs, path, kind, size, modified, content_hash, host FROM files WHERE id = ?1 AND status <> 'gone'",
            &[Value::Int(file_id)],
        )?
        else {
            continue;
        };
        let kinds: BTreeSet<Evidence> = parts.keys().map(|(_, e)| *e).collect();
        let score: f64 = kinds.iter().map(Evidence::weight).sum();
        let why = kinds.iter().map(Evidence::label).collect::<Vec<_>>().join(", ");
        let mut places: Vec<Places> = parts.into_values().collect();
        places.iter_mut().for_each(Places::finish);
        let modified_ns: Option<i64> = f.get(5)?;
        let host: String = f.get(7)?;
        out.push(FileMatch {
            file_id,
            host: (several_hosts && !host.is_empty()).then_some(host),
            root: f.get(0)?,
            abs: f.get(1)?,
            path: f.get(2)?,
            kind: f.get(3)?,
            size: f.get(4)?,
            modified_ns,
            modified: crate::common::date_text(modified_ns),
            content_hash: f.get(6)?,
            score: (score * 10.0).round() / 10.0,
            why,
            count: places.iter().map(|p| p.count).sum(),
            places,
            special: Vec::new(),
        });
    }
    Ok(out)
}

/// A file or part the map could not search, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Unsearched {
    pub path: String,
    /// `failed` or `skipped`.
    pub status: String,
    pub reason: String,
}

/// Every file and part the sweeps recorded as not read (failed, or skipped:
/// encrypted, needing OCR, unsupported, too large...): the person may be in
/// them, unseen.
pub fn unsearched(conn: &Connection) -> anyhow::Result<Vec<Unsearched>> {
    unsearched_db(&mut Db::Sqlite(conn))
}

/// [`unsearched`] on a map of either kind.
pub fn unsearched_db(db: &mut Db<'_>) -> anyhow::Result<Vec<Unsearched>> {
    let mut out = Vec::new();
    let order = db.text_order();
    db.for_each(
        &format!(
            "SELECT path, status, COALESCE(reason, '') FROM files WHERE status IN ('failed', 'skipped', 'reading') ORDER BY path{order}"
        ),
        &[],
        |r| {
            let status: String = r.get(1)?;
            let mut reason: String = r.get(2)?;
            if status == "reading" {
                reason = "the sweep stopped while reading it: scan again".into();
            }
            out.push(Unsearched {
                path: r.get(0)?,
                status: if status == "reading" { "failed".into() } else { status },
                reason,
            });
            Ok(())
        },
    )?;
    db.for_each(
        &format!(
            "SELECT f.path, p.path, p.status, p.reason FROM parts p JOIN files f ON f.id = p.file_id \
             WHERE f.status <> 'gone' ORDER BY f.path{order}, p.path{order}"
        ),
        &[],
        |r| {
            let (file, part): (String, String) = (r.get(0)?, r.get(1)?);
            let path = if part.contains('!') { part } else { format!("{file}!{part}") };
            out.push(Unsearched { path, status: r.get(2)?, reason: r.get(3)? });
            Ok(())
        },
    )?;
    Ok(out)
}

/// The results as a table for the terminal: one entry per file, its places
/// grouped with counts and ranges. When nothing matches, what was searched
/// and what could not be searched are listed, so that "nothing" is not
/// mistaken for "we hold nothing".
/// The special categories of the findings at `m`'s matched places (same
/// part, same numbered line or row), and in the subject line of a message
/// (the same part: one mail) where the person is matched anywhere, in name
/// order.
fn special_at_places(db: &mut Db<'_>, m: &FileMatch) -> anyhow::Result<Vec<String>> {
    let names: Vec<String> = crate::detect::Category::SPECIAL.iter().map(|c| format!("'{}'", c.as_str())).collect();
    let sql = format!(
        "SELECT p.path, l.scope, f.num, c.name, l.pre FROM {ROW_JOINS} JOIN categories c ON c.id = f.category
         WHERE f.file_id = ?1 AND c.name IN ({})",
        names.join(", ")
    );
    let mut found = BTreeSet::new();
    db.for_each(&sql, &[Value::Int(m.file_id)], |r| {
        let (path, scope, num, cat, pre): (String, Option<String>, Option<i64>, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        if num.is_none() && pre.eq_ignore_ascii_case("header Subject") && m.places.iter().any(|p| p.path == path) {
            found.insert(cat);
            return Ok(());
        }
        let (Some(scope), Some(num)) = (scope, num) else { return Ok(()) };
        if num > 0
            && m.places.iter().any(|p| p.path == path && p.numbered.get(&scope).is_some_and(|r| r.contains(num as u64)))
        {
            found.insert(cat);
        }
        Ok(())
    })?;
    Ok(found.into_iter().collect())
}

pub fn table(matches: &[FileMatch], subject: &Subject, unsearched: &[Unsearched]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    if matches.is_empty() {
        s.push_str("Nothing in the data map matches this person.\n");
        let _ = writeln!(s, "Searched for: {}.", subject.described().join("; "));
    } else {
        let _ = writeln!(s, "{} files mention this person (strongest first):", matches.len());
    }
    for (i, m) in matches.iter().enumerate() {
        let _ =
            writeln!(s, "\n{:>3}. {}  [score {:.1}: {}; {} places]", i + 1, m.path, m.score, m.why, thousands(m.count));
        match &m.host {
            Some(host) => {
                let _ = writeln!(s, "     {host}:{} ({}, modified {})", m.abs, m.kind, m.modified);
            }
            None => {
                let _ = writeln!(s, "     {} ({}, modified {})", m.abs, m.kind, m.modified);
            }
        }
        if !m.special.is_empty() {
            let _ = writeln!(
                s,
                "     SPECIAL CATEGORY DATA where this person is matched: {} (take the strongest care)",
                m.special.join(", ")
            );
        }
        for p in &m.places {
            let part = if p.path != m.path { format!("{} ", p.path) } else { String::new() };
            let _ = writeln!(s, "       {part}{}: {} ({})", p.what, thousands(p.count), p.at);
        }
    }
    if !unsearched.is_empty() {
        const SHOWN: usize = 30;
        let _ = writeln!(
            s,
            "\n{} files or parts could not be searched: the person may be in them. Check them by hand:",
            unsearched.len()
        );
        for u in unsearched.iter().take(SHOWN) {
            let _ = writeln!(s, "  {} ({}: {})", u.path, u.status, u.reason);
        }
        if unsearched.len() > SHOWN {
            let _ = writeln!(s, "  ... and {} more (the bundle index lists them all)", unsearched.len() - SHOWN);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;

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
        assert!(hash.contains("USING INDEX findings_hkey"), "{hash}");
        let names = plan(&names_sql(""));
        assert!(
            names.contains("USING INDEX findings_word1") && names.contains("USING INDEX findings_word2"),
            "{names}"
        );
        let in_file = plan(&names_in_files_sql(""));
        assert!(in_file.contains("USING INDEX findings_file"), "{in_file}");
        for p in [&hash, &names, &in_file] {
            assert!(!p.lines().any(|l| l.starts_with("SCAN f") || l.starts_with("SCAN findings")), "{p}");
        }
    }

    fn line(n: u64) -> Location {
        Location::Line { prefix: "line".into(), n }
    }

    /// A cell of delimited text in the column headed `header`.
    fn row_at(row: u64, header: &str) -> Location {
        Location::Row { row, col: 0, header: Some(header.into()) }
    }

    /// A spreadsheet cell as shown: `cell("Sheet1", 'A', 7)` is `Sheet1!A7`.
    fn cell(sheet: &str, col: char, row: u32) -> Location {
        Location::Cell { sheet: sheet.into(), row: row - 1, col: u32::from(col) - u32::from('A') }
    }

    /// A row found at `location`, as the map gives it.
    fn found(id: i64, path: &str, location: &Location) -> Row {
        Row { id, file_id: 1, path: path.into(), location: location.to_string(), near: near_of(location) }
    }

    fn near_of(location: &Location) -> Option<(String, i64, i64)> {
        location.near().map(|(scope, n, w)| (scope.to_string(), n, w))
    }

    /// Count a place at `location`, as [`Gathered`] does with a row from the map.
    fn add(p: &mut Places, location: Location) {
        let near = near_of(&location);
        p.add(&location.to_string(), near.as_ref().map(|(scope, n, _)| (scope.as_str(), *n)));
    }

    #[test]
    fn places_and_nearness() {
        let near = |loc: Location| place(&loc.to_string(), &near_of(&loc));
        assert_eq!(near(line(12)), ("line ".into(), 12, 3));
        assert_eq!(near(row_at(5, "Surname")), ("row".into(), 5, 0));
        assert_eq!(near(cell("Sheet1", 'C', 7)), ("Sheet1!".into(), 7, 0));
        assert_eq!(near(Location::Header("From".into())), ("header From".into(), 0, 0));
        let r = |loc: Location| found(0, "a", &loc);
        assert!(nearby(&r(line(3)), &r(line(5))));
        assert!(!nearby(&r(line(3)), &r(line(9))));
        assert!(nearby(&r(row_at(2, "First name")), &r(row_at(2, "Surname"))));
        assert!(!nearby(&r(row_at(2, "First name")), &r(row_at(3, "Surname"))));
        assert!(nearby(&r(cell("Sheet1", 'A', 7)), &r(cell("Sheet1", 'B', 7))));
        assert!(!nearby(&r(cell("Sheet1", 'A', 7)), &r(cell("Sheet2", 'B', 7))));
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

    #[test]
    fn ranges_merge_and_read_well() {
        let mut r = Ranges::default();
        for n in [12, 14, 13, 3400, 11, 20, 3399] {
            r.add(n);
        }
        r.add(13);
        assert_eq!(r.len(), 7);
        assert_eq!(r.text(8), "11-14, 20, 3,399-3,400");
        assert_eq!(r.text(1), "11-14, and 2 more");
        assert!(r.contains(12) && r.contains(3400) && !r.contains(15) && !r.contains(3401));
        let mut other = Ranges::default();
        other.add_range(15, 19);
        r.union(&other);
        assert_eq!(r.text(8), "11-20, 3,399-3,400");
        assert_eq!(r.len(), 12);
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn places_are_grouped_with_ranges() {
        let mut p = Places::new("a.csv".into(), Evidence::FullName);
        for row in 12..=3400 {
            add(&mut p, row_at(row, "Name"));
        }
        add(&mut p, Location::Header("From".into()));
        p.finish();
        assert_eq!(p.count, 3390);
        assert_eq!(p.at, "rows 12-3,400; header From");
        let mut one = Places::new("b.xlsx".into(), Evidence::FullName);
        add(&mut one, cell("Sheet1", 'C', 7));
        one.finish();
        assert_eq!(one.at, "Sheet1 row 7");
        assert_eq!(one.table_rows().map(|(s, r)| (s.to_string(), r.len())).collect::<Vec<_>>(), [("Sheet1".into(), 1)]);
    }

    #[test]
    fn dates_typed_by_staff_are_checked() {
        let d = |s: &str| check_date(s, "--dob");
        assert_eq!(d("04/05/1950").unwrap(), chrono::NaiveDate::from_ymd_opt(1950, 5, 4).unwrap());
        assert_eq!(d("12 March 1985").unwrap(), chrono::NaiveDate::from_ymd_opt(1985, 3, 12).unwrap());
        let e = d("31/02/1950").unwrap_err();
        assert!(e.contains("not a real date") && e.contains("February 1950"), "{e}");
        let e = d("03/29/1950").unwrap_err();
        assert!(e.contains("did you mean 29 March 1950? write it day first: 29/03/1950"), "{e}");
        assert!(d("soon").unwrap_err().contains("day first"));
        assert!(d("01/01/2999").unwrap_err().contains("future"));
    }

    #[test]
    fn the_deadline_is_one_calendar_month_on() {
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(deadline(day(2025, 1, 31)), day(2025, 2, 28));
        assert_eq!(deadline(day(2024, 1, 31)), day(2024, 2, 29));
        assert_eq!(deadline(day(2025, 3, 15)), day(2025, 4, 15));
        assert_eq!(deadline(day(2025, 12, 31)), day(2026, 1, 31));
    }

    #[test]
    fn malformed_identifiers_are_refused() {
        let with = |f: fn(&mut Subject)| {
            let mut s = Subject { name: Some("Jane Roberts".into()), ..Subject::default() };
            f(&mut s);
            s.check()
        };
        assert!(with(|_| {}).is_ok());
        assert!(with(|s| s.nhs = vec!["943 476 5919".into()]).is_ok());
        assert!(with(|s| s.nhs = vec!["943 476 5918".into()]).unwrap_err().contains("not an NHS number"));
        assert!(with(|s| s.nino = vec!["AB 12 34 56 C".into()]).is_ok());
        assert!(with(|s| s.nino = vec!["QQ 12 34 56 C".into()]).is_err());
        assert!(with(|s| s.email = vec!["info@charity.org.uk".into()]).is_ok());
        assert!(with(|s| s.email = vec!["jane@roberts".into()]).unwrap_err().contains("not an email address"));
    }

    #[test]
    fn near_answers_as_nearby_does() {
        let r = |id: i64, path: &str, loc: Location| found(id, path, &loc);
        let rows = [
            r(1, "a", line(3)),
            r(2, "a", row_at(2, "First name")),
            r(3, "a", cell("Sheet1", 'A', 7)),
            r(4, "b", line(5)),
            r(5, "a", Location::Header("From".into())),
        ];
        let mut near = Near::default();
        for f in &rows {
            near.insert(f);
        }
        let asks = [
            r(9, "a", line(5)),
            r(9, "a", line(9)),
            r(9, "a", row_at(2, "Surname")),
            r(9, "a", row_at(3, "Surname")),
            r(9, "a", cell("Sheet1", 'B', 7)),
            r(9, "a", cell("Sheet2", 'B', 7)),
            r(9, "b", line(3)),
            r(9, "a", Location::Header("From".into())),
            r(9, "a", Location::Header("To".into())),
        ];
        for ask in &asks {
            assert_eq!(near.any(ask, |_| false), rows.iter().any(|f| nearby(f, ask)), "{}", ask.location);
        }
        assert!(near.any(&asks[7], |_| false), "the same header is near");
        assert!(!near.any(&asks[8], |_| false), "another header is not");
        assert!(!near.any(&r(9, "a", line(4)), |id| id == 1), "skipped ids do not count");
    }

    /// A map with name findings written straight in: (file id, path, location, name).
    fn map_of(names: &[(i64, &str, Location, &str)], key: &Key) -> (tempfile::TempDir, crate::map::Map) {
        let dir = tempfile::tempdir().unwrap();
        let map = crate::map::Map::create_or_open(&dir.path().join("m.db")).unwrap();
        let mut files: Vec<i64> = names.iter().map(|n| n.0).collect();
        files.dedup();
        for id in files {
            map.conn
                .execute(
                    "INSERT INTO files(id, root, abs, path, size, kind, status, settings, seen_in_run, scanned_in_run)
                     VALUES (?1, '/d', '/d/f' || ?1, 'f' || ?1, 1, 'csv', 'scanned', 's', 1, 1)",
                    [id],
                )
                .unwrap();
        }
        let mut ids = crate::map::store::Ids::default();
        map.conn.execute_batch("BEGIN").unwrap();
        for (file_id, path, location, name) in names {
            let f = crate::finding::Finding {
                path: std::sync::Arc::from(*path),
                location: location.clone(),
                category: Category::Name,
                value: (*name).into(),
                masked_only: false,
                hash: key.hash_bytes(&Category::Name.normalise(name)),
                confidence: 0.9,
                rule: std::sync::Arc::from("name"),
            };
            let words = crate::map::store::name_words_blob(key, &f);
            ids.insert(&map.conn, *file_id, None, &f, false, words.as_deref()).unwrap();
        }
        map.conn.execute_batch("COMMIT").unwrap();
        (dir, map)
    }

    /// What name evidence a search gathers, readably, and the most findings it held.
    fn gathered(map: &crate::map::Map, q: &Query, window: usize) -> (Vec<String>, usize) {
        let mut out = Gathered::default();
        let peak = name_evidence_in(&mut Db::Sqlite(&map.conn), q, &mut out, window).unwrap();
        let mut lines = Vec::new();
        for (file, parts) in out.files {
            for ((path, ev), mut p) in parts {
                p.finish();
                lines.push(format!("{file} {path} {ev:?}: {} ({})", p.count, p.at));
            }
        }
        (lines, peak)
    }

    /// Classifying a window at a time gives the same answer as holding a
    /// whole file, however small the windows: lone surnames beside the
    /// first name (same row, or within 3 lines), beside another person's
    /// name in a row, beside the same surname under another first name;
    /// lone first names only in files that match otherwise; full names.
    #[test]
    fn names_classified_a_window_at_a_time_match_the_whole_file() {
        let key = Key::from_bytes([7; 32]);
        let mut names: Vec<(i64, &str, Location, &str)> = Vec::new();
        for row in 2..60 {
            let loc = |col: &str| row_at(row, col);
            match row % 6 {
                0 => names.extend([(1, "f1", loc("First"), "Jane"), (1, "f1", loc("Surname"), "Roberts")]),
                1 => names.extend([(1, "f1", loc("First"), "Tom"), (1, "f1", loc("Surname"), "Roberts")]),
                2 => names.push((1, "f1", loc("Client"), "Jane Roberts")),
                3 => names.extend([(1, "f1", loc("Client"), "Tom Roberts"), (1, "f1", loc("Contact"), "Roberts")]),
                4 => names.push((1, "f1", loc("Contact"), "Roberts")),
                _ => names.push((1, "f1", loc("First"), "Jane")),
            }
        }
        for n in 1..80 {
            let loc = line(n);
            match n % 9 {
                0 => names.push((2, "notes.txt", loc, "Jane")),
                2 => names.push((2, "notes.txt", loc, "Roberts")),
                4 => names.push((2, "notes.txt", loc, "Mrs Roberts")),
                7 => names.push((2, "notes.txt", loc, "J. Roberts")),
                _ => {}
            }
        }
        names.push((2, "notes.txt!a.txt", line(1), "Roberts"));
        names.push((2, "notes.txt!a.txt", Location::Header("From".into()), "Jane"));
        // A file naming only her first name: it does not count.
        names.push((3, "f3", line(4), "Jane"));
        // Surnames in a sheet beside other people's names.
        for row in 1..30 {
            names.push((4, "s.xlsx", cell("Sheet1", 'A', row), "Roberts"));
            if row % 3 == 0 {
                names.push((4, "s.xlsx", cell("Sheet1", 'B', row), "Amir Khan"));
            }
        }
        let (_dir, map) = map_of(&names, &key);
        let q = Query::new(&Subject { name: Some("Jane Roberts".into()), ..Default::default() }, &key);
        let (whole, _) = gathered(&map, &q, usize::MAX);
        assert!(whole.iter().any(|l| l.contains("SurnameOtherFirstName")), "{whole:#?}");
        assert!(whole.iter().any(|l| l.contains("SurnameAndFirstNameNearby")), "{whole:#?}");
        assert!(whole.iter().any(|l| l.contains("FirstNameNearStrongerMatch")), "{whole:#?}");
        assert!(!whole.iter().any(|l| l.starts_with("3 ")), "a lone first name alone does not count: {whole:#?}");
        for window in [1, 2, 3, 5, 8, 13, 64] {
            assert_eq!(gathered(&map, &q, window).0, whole, "window {window}");
        }
    }

    /// One person in a huge table, first name and surname in separate
    /// columns (and other people in some rows): the findings held at once
    /// stay within the window whatever the number of rows.
    #[test]
    fn names_in_a_huge_table_are_classified_in_bounded_memory() {
        let key = Key::from_bytes([8; 32]);
        let q = Query::new(&Subject { name: Some("Jane Roberts".into()), ..Default::default() }, &key);
        let mut peaks = Vec::new();
        for rows in [2_000i64, 8_000] {
            let mut names: Vec<(i64, &str, Location, &str)> = Vec::new();
            for row in 2..rows as u64 + 2 {
                names.push((1, "big.csv", row_at(row, "First name"), "Jane"));
                names.push((1, "big.csv", row_at(row, "Surname"), "Roberts"));
                if row % 10 == 0 {
                    names.push((1, "big.csv", row_at(row, "Carer"), "Amir Khan"));
                    names.push((1, "big.csv", row_at(row, "Client"), "Jane Roberts"));
                }
            }
            let (_dir, map) = map_of(&names, &key);
            let (lines, peak) = gathered(&map, &q, 256);
            let last = rows + 1;
            assert!(
                lines.contains(&format!(
                    "1 big.csv SurnameAndFirstNameNearby: {rows} (rows 2-{})",
                    thousands(last as u64)
                )),
                "{lines:#?}"
            );
            // One pass over the rows with others read alongside, as the window moves.
            assert!(peak <= 256 + 4 * (2 * REACH as usize + 1), "{rows} rows held {peak} findings at once");
            peaks.push(peak);
        }
        assert!(peaks[1] <= peaks[0] + 8, "memory grew with the rows: {peaks:?}");
    }
}
