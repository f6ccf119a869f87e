//! `piisweep map`: where personal data lives, from the data map.
//!
//! Counts by folder, file type or category, the files with the most
//! findings, files past a retention limit, and what could not be read; as a
//! terminal table, CSV, JSON, or one self-contained HTML page with a chart.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use rusqlite::Connection;
use serde::Serialize;

use super::db::{Db, Row, Value};
use crate::common::{date_text, esc};

/// How to group the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Folder,
    Type,
    Category,
}

impl By {
    pub fn parse(s: &str) -> Option<By> {
        match s {
            "folder" => Some(By::Folder),
            "type" => Some(By::Type),
            "category" => Some(By::Category),
            _ => None,
        }
    }
    fn title(&self) -> &'static str {
        match self {
            By::Folder => "folder",
            By::Type => "file type",
            By::Category => "category",
        }
    }
}

/// A retention limit: `2y`, `12m`, `90d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Age {
    Years(u32),
    Months(u32),
    Days(u32),
}

impl Age {
    pub fn parse(s: &str) -> Result<Age, String> {
        let t = s.trim().to_ascii_lowercase();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: u32 = num.parse().map_err(|_| format!("{s:?} is not an age: use e.g. 7y, 12m or 90d"))?;
        match unit {
            "y" | "year" | "years" => Ok(Age::Years(n)),
            "m" | "month" | "months" => Ok(Age::Months(n)),
            "d" | "day" | "days" => Ok(Age::Days(n)),
            _ => Err(format!("{s:?}: the unit must be y (years), m (months) or d (days), e.g. 2y")),
        }
    }

    /// The cut-off instant before `now`.
    pub fn cutoff(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        let back = match *self {
            Age::Years(y) => now.checked_sub_months(chrono::Months::new(y.saturating_mul(12))),
            Age::Months(m) => now.checked_sub_months(chrono::Months::new(m)),
            Age::Days(d) => now.checked_sub_signed(chrono::TimeDelta::days(d as i64)),
        };
        back.unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
    }

    pub fn label(&self) -> String {
        match *self {
            Age::Years(n) => format!("{n} years"),
            Age::Months(n) => format!("{n} months"),
            Age::Days(n) => format!("{n} days"),
        }
    }
}

/// One group's counts.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub name: String,
    /// Files holding personal data.
    pub files: i64,
    pub findings: i64,
}

/// A file with personal data.
#[derive(Debug, Clone, Serialize)]
pub struct FileRow {
    pub path: String,
    pub abs: String,
    pub kind: String,
    pub findings: i64,
    pub modified: String,
    /// `name 12, dob 3`.
    pub categories: String,
    /// Holds special category data (health, ethnicity, religion, sexual
    /// orientation, criminal record).
    pub special: bool,
}

/// Special category data in one folder, by category.
#[derive(Debug, Clone, Serialize)]
pub struct SpecialGroup {
    pub folder: String,
    pub category: String,
    pub files: i64,
    pub findings: i64,
}

/// The special category names, as an SQL list.
fn special_sql_list() -> String {
    let names: Vec<String> = crate::detect::Category::SPECIAL.iter().map(|c| format!("'{}'", c.as_str())).collect();
    names.join(", ")
}

/// Totals over the map (gone files left out).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub files: i64,
    pub files_with_personal_data: i64,
    pub findings: i64,
    pub skipped: i64,
    pub failed: i64,
    pub gone: i64,
}

/// Everything `piisweep map` shows.
#[derive(Debug, Clone, Serialize)]
pub struct MapReport {
    pub map: String,
    pub last_sweep: Option<String>,
    pub last_sweep_complete: bool,
    pub totals: Totals,
    pub by: String,
    pub groups: Vec<Group>,
    pub top_files: Vec<FileRow>,
    pub older_than: String,
    pub cutoff: String,
    /// Files past retention, those with special category data first.
    pub retention: Vec<FileRow>,
    pub unreadable: Vec<(String, String)>,
    /// Special category data by folder and category (UK GDPR Articles 9 and 10).
    pub special: Vec<SpecialGroup>,
}

/// How many files to list among the top files.
pub const TOP: usize = 10;

/// How many files' categories one query reads (see [`file_rows`]).
const FILES_A_QUERY: usize = 500;

/// Build the report from a SQLite map.
pub fn build(conn: &Connection, map_path: &Path, by: By, older_than: Age) -> anyhow::Result<MapReport> {
    build_db(&mut Db::Sqlite(conn), &map_path.display().to_string(), by, older_than)
}

/// Build the report from a map of either kind; `map_name` names it in the
/// report (a file name, or a PostgreSQL URL without its password).
pub fn build_db(db: &mut Db<'_>, map_name: &str, by: By, older_than: Age) -> anyhow::Result<MapReport> {
    let (last_sweep, status): (Option<String>, Option<String>) =
        match db.query_opt("SELECT started, status FROM runs ORDER BY id DESC LIMIT 1", &[])? {
            Some(r) => (r.get(0)?, r.get(1)?),
            None => (None, None),
        };
    let r = db.query_one(
        "SELECT count(*) FILTER (WHERE status <> 'gone'), count(*) FILTER (WHERE findings > 0 AND status <> 'gone'),
                CAST(coalesce(sum(findings), 0) AS BIGINT), count(*) FILTER (WHERE status = 'skipped'),
                count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'gone')
         FROM files",
        &[],
    )?;
    let totals = Totals {
        files: r.get(0)?,
        files_with_personal_data: r.get(1)?,
        findings: r.get(2)?,
        skipped: r.get(3)?,
        failed: r.get(4)?,
        gone: r.get(5)?,
    };
    let abs = named_abs(db, "")?;
    let groups = groups(db, by, &abs)?;
    let order = db.text_order();
    let top_files = file_rows(
        db,
        &format!(
            "SELECT id, path, {abs}, kind, findings, modified FROM files WHERE findings > 0 AND status <> 'gone' ORDER BY findings DESC, path{order} LIMIT {TOP}"
        ),
        &[],
    )?;
    let now = chrono::Utc::now();
    let cutoff = older_than.cutoff(now);
    let cutoff_ns = cutoff.timestamp_nanos_opt().unwrap_or(i64::MIN);
    let mut retention = file_rows(
        db,
        &format!(
            "SELECT id, path, {abs}, kind, findings, modified FROM files WHERE findings > 0 AND status <> 'gone' AND modified < ?1 ORDER BY modified, path{order}"
        ),
        &[Value::Int(cutoff_ns)],
    )?;
    // Special category data needs the strongest care: listed first.
    retention.sort_by_key(|f| !f.special);
    let f_abs = named_abs(db, "f.")?;
    let special = special_groups(db, &f_abs)?;
    let mut unreadable: Vec<(String, String)> = Vec::new();
    db.for_each(
        "SELECT path, coalesce(reason, '') FROM files WHERE status = 'failed'
         UNION ALL SELECT p.path, p.reason FROM parts p JOIN files f ON f.id = p.file_id WHERE p.status = 'failed' AND f.status <> 'gone'",
        &[],
        |r| {
            unreadable.push((r.get(0)?, r.get(1)?));
            Ok(())
        },
    )?;
    // Sorted here, by bytes, the same whichever database holds the map.
    unreadable.sort();
    Ok(MapReport {
        map: map_name.to_string(),
        last_sweep,
        last_sweep_complete: status.as_deref() == Some("complete"),
        totals,
        by: by.title().to_string(),
        groups,
        top_files,
        older_than: older_than.label(),
        cutoff: cutoff.format("%Y-%m-%d").to_string(),
        retention,
        unreadable,
        special,
    })
}

/// How a report names a file: its absolute path, or, when the map holds
/// sweeps from more than one node (#25), `host:path` (a file on a UNC share,
/// recorded with no host, by its path, which names its server). `prefix` is
/// the files table's alias with its dot.
pub fn named_abs(db: &mut Db<'_>, prefix: &str) -> anyhow::Result<String> {
    let hosts: i64 = db.query_one("SELECT count(DISTINCT host) FROM runs WHERE host <> ''", &[])?.get(0)?;
    Ok(if hosts > 1 {
        format!("CASE WHEN {prefix}host = '' THEN {prefix}abs ELSE {prefix}host || ':' || {prefix}abs END")
    } else {
        format!("{prefix}abs")
    })
}

/// Special category data by folder and category, folders with the most first.
///
/// Read from each file's counts by category (`files.counts`, what its
/// findings are), only for files whose counts name a special category: not
/// from the findings, which would be a scan of every finding of the map (5.8
/// of the 9.6 s of `map --by folder` over 10 million findings in
/// PostgreSQL). Files recorded without counts (maps converted from schema 1)
/// are counted from their findings.
fn special_groups(db: &mut Db<'_>, abs: &str) -> anyhow::Result<Vec<SpecialGroup>> {
    let mut groups: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    let named: Vec<String> =
        crate::detect::Category::SPECIAL.iter().map(|c| format!("f.counts LIKE '%{} %'", c.as_str())).collect();
    db.for_each(
        &format!(
            "SELECT {abs}, f.counts FROM files f WHERE f.status <> 'gone' AND f.counts IS NOT NULL AND ({})",
            named.join(" OR ")
        ),
        &[],
        |r| {
            let abs: String = r.get(0)?;
            let counts: String = r.get(1)?;
            let Some(counts) = super::store::parse_counts(&counts) else { return Ok(()) };
            let folder = Path::new(&abs).parent().map(|p| p.display().to_string()).unwrap_or_default();
            for (c, n) in counts.iter() {
                if n > 0 && crate::detect::Category::SPECIAL.contains(&c) {
                    let e = groups.entry((folder.clone(), c.as_str().to_string())).or_default();
                    e.0 += 1;
                    e.1 += n as i64;
                }
            }
            Ok(())
        },
    )?;
    db.for_each(
        &format!(
            "SELECT {abs}, c.name, count(*) FROM findings x JOIN files f ON f.id = x.file_id
             JOIN categories c ON c.id = x.category
             WHERE f.status <> 'gone' AND f.counts IS NULL AND c.name IN ({}) GROUP BY f.id, f.host, f.abs, c.name",
            special_sql_list()
        ),
        &[],
        |r| {
            let abs: String = r.get(0)?;
            let folder = Path::new(&abs).parent().map(|p| p.display().to_string()).unwrap_or_default();
            let e = groups.entry((folder, r.get(1)?)).or_default();
            e.0 += 1;
            e.1 += r.get::<i64>(2)?;
            Ok(())
        },
    )?;
    let mut out: Vec<SpecialGroup> = groups
        .into_iter()
        .map(|((folder, category), (files, findings))| SpecialGroup { folder, category, files, findings })
        .collect();
    out.sort_by(|a, b| b.findings.cmp(&a.findings).then(a.folder.cmp(&b.folder)).then(a.category.cmp(&b.category)));
    Ok(out)
}

fn groups(db: &mut Db<'_>, by: By, abs: &str) -> anyhow::Result<Vec<Group>> {
    let mut out: Vec<Group> = Vec::new();
    let mut push = |r: &Row| -> anyhow::Result<()> {
        out.push(Group { name: r.get(0)?, files: r.get(1)?, findings: r.get(2)? });
        Ok(())
    };
    match by {
        By::Type => db.for_each(
            "SELECT kind, count(*), CAST(sum(findings) AS BIGINT) FROM files WHERE findings > 0 AND status <> 'gone' GROUP BY kind",
            &[],
            &mut push,
        )?,
        By::Category => db.for_each(
            "SELECT c.name, count(DISTINCT f.file_id), count(*) FROM findings f JOIN categories c ON c.id = f.category
             GROUP BY c.id, c.name",
            &[],
            &mut push,
        )?,
        By::Folder => {
            let mut folders: BTreeMap<String, (i64, i64)> = BTreeMap::new();
            db.for_each(&format!("SELECT {abs}, findings FROM files WHERE findings > 0 AND status <> 'gone'"), &[], |r| {
                let abs: String = r.get(0)?;
                let n: i64 = r.get(1)?;
                let folder = Path::new(&abs).parent().map(|p| p.display().to_string()).unwrap_or_default();
                let e = folders.entry(folder).or_default();
                e.0 += 1;
                e.1 += n;
                Ok(())
            })?;
            out.extend(folders.into_iter().map(|(name, (files, findings))| Group { name, files, findings }));
        }
    }
    out.sort_by(|a, b| b.findings.cmp(&a.findings).then(a.name.cmp(&b.name)));
    Ok(out)
}

fn file_rows(db: &mut Db<'_>, sql: &str, params: &[Value]) -> anyhow::Result<Vec<FileRow>> {
    let mut rows: Vec<(i64, FileRow)> = Vec::new();
    db.for_each(sql, params, |r| {
        rows.push((
            r.get(0)?,
            FileRow {
                path: r.get(1)?,
                abs: r.get(2)?,
                kind: r.get(3)?,
                findings: r.get(4)?,
                modified: date_text(r.get(5)?),
                categories: String::new(),
                special: false,
            },
        ));
        Ok(())
    })?;
    // Each file's categories, for many files a query (not a query a file:
    // 20,000 files past retention were 20,000 queries, a round trip each
    // to a PostgreSQL server).
    let mut cats: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    for chunk in rows.chunks(FILES_A_QUERY) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("?{i}")).collect();
        let ids: Vec<Value> = chunk.iter().map(|(id, _)| Value::Int(*id)).collect();
        db.for_each(
            &format!(
                "SELECT f.file_id, c.name, count(*) FROM findings f JOIN categories c ON c.id = f.category
                 WHERE f.file_id IN ({}) GROUP BY f.file_id, c.id, c.name",
                marks.join(",")
            ),
            &ids,
            |r| {
                cats.entry(r.get(0)?).or_default().push((r.get(1)?, r.get(2)?));
                Ok(())
            },
        )?;
    }
    let mut out = Vec::with_capacity(rows.len());
    for (id, mut row) in rows {
        let mut list = cats.remove(&id).unwrap_or_default();
        // Most findings first, then by name in byte order (as SQLite sorts).
        list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let parts: Vec<String> = list.iter().map(|(name, n)| format!("{name} {n}")).collect();
        row.categories = parts.join(", ");
        row.special = crate::detect::Category::SPECIAL
            .iter()
            .any(|c| parts.iter().any(|p| p.rsplit_once(' ').is_some_and(|(name, _)| name == c.as_str())));
        out.push(row);
    }
    Ok(out)
}

/// The terminal form.
pub fn table(r: &MapReport) -> String {
    let mut s = String::new();
    let t = &r.totals;
    let _ = writeln!(s, "Data map {}", r.map);
    match &r.last_sweep {
        Some(when) if r.last_sweep_complete => {
            let _ = writeln!(s, "Last sweep {when}");
        }
        Some(when) => {
            let _ = writeln!(s, "Last sweep {when} DID NOT FINISH: run the scan again to complete the map");
        }
        None => s.push_str("No sweep recorded yet\n"),
    }
    let _ = writeln!(
        s,
        "{} files, {} with personal data, {} findings ({} skipped, {} could not be read, {} gone)\n",
        t.files, t.files_with_personal_data, t.findings, t.skipped, t.failed, t.gone
    );
    let width = r.groups.iter().map(|g| g.name.chars().count()).max().unwrap_or(0).clamp(8, 70);
    let _ = writeln!(s, "By {}:\n  {:<width$}  {:>7}  {:>9}", r.by, r.by, "files", "findings");
    for g in &r.groups {
        let _ = writeln!(s, "  {:<width$}  {:>7}  {:>9}", g.name, g.files, g.findings);
    }
    if !r.special.is_empty() {
        let _ =
            writeln!(s, "\nSpecial category data (health, ethnicity, religion, sexual orientation, criminal records):");
        let width = r.special.iter().map(|g| g.folder.chars().count()).max().unwrap_or(0).clamp(8, 70);
        let _ = writeln!(s, "  {:<width$}  {:<18}  {:>7}  {:>9}", "folder", "category", "files", "findings");
        for g in &r.special {
            let _ = writeln!(s, "  {:<width$}  {:<18}  {:>7}  {:>9}", g.folder, g.category, g.files, g.findings);
        }
    }
    let _ = writeln!(s, "\nFiles with the most personal data:");
    file_lines(&mut s, &r.top_files);
    let _ = writeln!(
        s,
        "\nFiles with personal data last modified more than {} ago (before {}): {}",
        r.older_than,
        r.cutoff,
        r.retention.len()
    );
    file_lines(&mut s, &r.retention);
    if !r.unreadable.is_empty() {
        let _ = writeln!(s, "\nCould not be read (personal data in them is not mapped):");
        for (p, why) in &r.unreadable {
            let _ = writeln!(s, "  {p}: {why}");
        }
    }
    s
}

fn file_lines(s: &mut String, rows: &[FileRow]) {
    if rows.is_empty() {
        s.push_str("  (none)\n");
    }
    for f in rows {
        let mark = if f.special { "  SPECIAL CATEGORY" } else { "" };
        let _ = writeln!(s, "  {:>6}  {}  {}  ({}; {}){mark}", f.findings, f.modified, f.abs, f.kind, f.categories);
    }
}

/// The CSV form: one row per line of each section.
pub fn csv(r: &MapReport) -> anyhow::Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(["section", "name", "files", "findings", "modified", "detail"])?;
    for g in &r.groups {
        w.write_record([&format!("by {}", r.by), &g.name, &g.files.to_string(), &g.findings.to_string(), "", ""])?;
    }
    for (section, rows) in [("top file", &r.top_files), ("past retention", &r.retention)] {
        for f in rows {
            w.write_record([section, &f.abs, "1", &f.findings.to_string(), &f.modified, &f.categories])?;
        }
    }
    for (p, why) in &r.unreadable {
        w.write_record(["unreadable", p, "1", "", "", why])?;
    }
    for g in &r.special {
        w.write_record([
            "special category",
            &g.folder,
            &g.files.to_string(),
            &g.findings.to_string(),
            "",
            &g.category,
        ])?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// One self-contained HTML page (inline style and SVG, no external assets).
pub fn html(r: &MapReport) -> String {
    let mut s = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Where personal data lives</title><style>\
         body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}\
         table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}\
         th{background:#f0f0f0}td.n{text-align:right}.warn{color:#a00;font-weight:bold}</style></head><body>\
         <h1>Where personal data lives</h1>",
    );
    let t = &r.totals;
    let _ = write!(
        s,
        "<p>Data map <code>{}</code>; last sweep {}{}.</p><p><b>{}</b> files, <b>{}</b> with personal data, <b>{}</b> findings ({} skipped, {} could not be read, {} gone).</p>",
        esc(&r.map),
        esc(r.last_sweep.as_deref().unwrap_or("never")),
        if r.last_sweep_complete { "" } else { " <span class=\"warn\">(did not finish)</span>" },
        t.files,
        t.files_with_personal_data,
        t.findings,
        t.skipped,
        t.failed,
        t.gone
    );
    let _ = write!(s, "<h2>Findings by {}</h2>", esc(&r.by));
    s.push_str(&bar_chart(&r.groups));
    s.push_str("<table><tr><th>");
    s.push_str(&esc(&r.by));
    s.push_str("</th><th>files</th><th>findings</th></tr>");
    for g in &r.groups {
        let _ =
            write!(s, "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td></tr>", esc(&g.name), g.files, g.findings);
    }
    s.push_str("</table>");
    if !r.special.is_empty() {
        s.push_str(
            "<h2>Special category data</h2><p>Health, ethnicity, religion, sexual orientation and criminal records \
             (UK GDPR Articles 9 and 10) need the strongest care.</p>\
             <table><tr><th>folder</th><th>category</th><th>files</th><th>findings</th></tr>",
        );
        for g in &r.special {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
                esc(&g.folder),
                esc(&g.category),
                g.files,
                g.findings
            );
        }
        s.push_str("</table>");
    }
    s.push_str("<h2>Files with the most personal data</h2>");
    html_files(&mut s, &r.top_files);
    let _ = write!(
        s,
        "<h2>Past retention: personal data last modified more than {} ago (before {})</h2>",
        esc(&r.older_than),
        esc(&r.cutoff)
    );
    html_files(&mut s, &r.retention);
    if !r.unreadable.is_empty() {
        s.push_str("<h2>Could not be read</h2><table><tr><th>file</th><th>why</th></tr>");
        for (p, why) in &r.unreadable {
            let _ = write!(s, "<tr><td>{}</td><td>{}</td></tr>", esc(p), esc(why));
        }
        s.push_str("</table>");
    }
    s.push_str("</body></html>\n");
    s
}

fn html_files(s: &mut String, rows: &[FileRow]) {
    if rows.is_empty() {
        s.push_str("<p>None.</p>");
        return;
    }
    s.push_str("<table><tr><th>file</th><th>type</th><th>findings</th><th>modified</th><th>categories</th></tr>");
    for f in rows {
        let _ = write!(
            s,
            "<tr><td>{}{}</td><td>{}</td><td class=n>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.abs),
            if f.special { " <span class=\"warn\">special category</span>" } else { "" },
            esc(&f.kind),
            f.findings,
            esc(&f.modified),
            esc(&f.categories)
        );
    }
    s.push_str("</table>");
}

/// A horizontal bar chart of the first 15 groups' findings, as inline SVG.
fn bar_chart(groups: &[Group]) -> String {
    let shown = &groups[..groups.len().min(15)];
    let max = shown.iter().map(|g| g.findings).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (300.0, 420.0, 24.0);
    let height = row_h * shown.len() as f64 + 10.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"findings chart\" font-size=\"13\">",
        label_w + bar_w + 80.0
    );
    for (i, g) in shown.iter().enumerate() {
        let y = 5.0 + row_h * i as f64;
        let w = (g.findings as f64 / max as f64 * bar_w).max(1.0);
        let name: String = if g.name.chars().count() > 42 {
            format!("…{}", g.name.chars().rev().take(41).collect::<Vec<_>>().into_iter().rev().collect::<String>())
        } else {
            g.name.clone()
        };
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" fill=\"#3b6ea8\"/><text x=\"{}\" y=\"{}\">{}</text>",
            label_w - 6.0,
            y + 16.0,
            esc(&name),
            label_w,
            y + 3.0,
            row_h - 6.0,
            label_w + w + 6.0,
            y + 16.0,
            g.findings
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(Age::parse("2y"), Ok(Age::Years(2)));
        assert_eq!(Age::parse("12m"), Ok(Age::Months(12)));
        assert_eq!(Age::parse("90d"), Ok(Age::Days(90)));
        assert!(Age::parse("2w").is_err());
        assert!(Age::parse("y").is_err());
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-31T00:00:00Z").unwrap().to_utc();
        assert_eq!(Age::Months(1).cutoff(now).format("%Y-%m-%d").to_string(), "2026-02-28");
        assert_eq!(Age::Years(7).cutoff(now).format("%Y-%m-%d").to_string(), "2019-03-31");
    }

    #[test]
    fn each_files_categories_most_first_across_many_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.db");
        let map = crate::map::Map::create_or_open(&path).unwrap();
        let n = FILES_A_QUERY as i64 + 1;
        let tx = map.conn.unchecked_transaction().unwrap();
        tx.execute_batch(
            "INSERT INTO categories(id, name) VALUES (1, 'email'), (2, 'name'), (3, 'dob'), (4, 'phone');
             INSERT INTO rules(id, name) VALUES (1, 'r'); INSERT INTO paths(id, path) VALUES (1, 'p');
             INSERT INTO places(id, pre, post) VALUES (1, 'line ', '');",
        )
        .unwrap();
        let finding = |file: i64, category: i64| {
            tx.execute(
                "INSERT INTO findings(file_id, path, place, num, category, rule, confidence, hash, masked)
                 VALUES (?1, 1, 1, 1, ?2, 1, 90, x'00', '*')",
                [file, category],
            )
            .unwrap();
        };
        for id in 1..=n {
            let findings = if id == 1 { 5 } else { 1 };
            tx.execute(
                "INSERT INTO files(id, root, abs, path, size, modified, kind, status, findings, settings, seen_in_run, scanned_in_run)
                 VALUES (?1, '/d', '/d/f' || ?1, 'f' || ?1, 1, 0, 'text', 'scanned', ?2, 's', 1, 1)",
                [id, findings],
            )
            .unwrap();
            finding(id, if id == n { 4 } else { 1 });
        }
        // A tie (2 each) in name order; the file in the second query's share.
        for category in [2, 3, 2, 3] {
            finding(1, category);
        }
        tx.commit().unwrap();
        let r = build(&map.conn, &path, By::Folder, Age::Years(1)).unwrap();
        assert_eq!(r.retention.len(), n as usize);
        let cats = |abs: &str| r.retention.iter().find(|f| f.abs == abs).unwrap().categories.clone();
        assert_eq!(cats("/d/f1"), "dob 2, name 2, email 1");
        assert_eq!(cats("/d/f2"), "email 1");
        assert_eq!(cats(&format!("/d/f{n}")), "phone 1");
        assert_eq!(r.top_files[0].categories, "dob 2, name 2, email 1");
    }

    #[test]
    fn chart_is_inline_svg_and_escaped() {
        let svg = bar_chart(&[Group { name: "<HR>".into(), files: 1, findings: 3 }]);
        assert!(
            svg.starts_with("<svg") && svg.contains("&lt;HR&gt;") && !svg.contains("http://www.w3.org/2000/svg\" href")
        );
    }
}
