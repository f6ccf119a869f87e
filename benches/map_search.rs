//! Subject access search, and the `map --by folder` report, over a data map
//! holding one million findings.
//!
//! Setup writes a synthetic map (20,000 files in 100 folders, 1,000,000
//! findings, 40% of them names with their word hashes) through the map's
//! own writer (`store::Ids::insert`) in one transaction. The person searched
//! for is planted in three files among 500 other people sharing her surname.
//!
//! Run: `cargo bench --bench map_search` (or build it with
//! `cargo test --bench map_search --no-run` and run the binary with `--bench`).
//! With `PIISWEEP_BENCH_MAP=FILE` the map is kept in FILE and used again by
//! the next run (to compare two builds on the very same map).

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use piisweep::detect::Category;
use piisweep::keys::Key;
use std::sync::Arc;

use piisweep::finding::Finding;
use piisweep::map::{Map, store};
use piisweep::sar::{self, Query, Subject};
use rusqlite::params;

const FINDINGS: usize = 1_000_000;
const FILES: usize = 20_000;
const PEOPLE: usize = 100_000;
const SURNAMES: usize = 200;

/// Synthetic people: (first name, surname, dob, nino, email, phone).
fn person(i: usize) -> (String, String, String, String, String, String) {
    let first = ["jane", "tom", "priya", "amir", "lucy", "ewa", "sam", "olu"][(i / 7) % 8];
    let surname = if i.is_multiple_of(SURNAMES) { "roberts".to_string() } else { format!("surname{}", i % SURNAMES) };
    (
        first.to_string(),
        surname,
        format!("19{:02}-{:02}-{:02}", 40 + i % 60, 1 + i % 12, 1 + i % 28),
        format!("AB{:06}C", i % 1_000_000),
        format!("person{i}@example.org"),
        format!("07700{:06}", i),
    )
}

/// File `f`'s path: 100 folders of 200 files.
fn folder_path(f: usize) -> String {
    format!("team{}/f{f}.txt", f % 100)
}

fn build(path: &std::path::Path, key: &Key) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut m = Map::create_or_open(path)?;
    m.check_key(key)?;
    m.conn.pragma_update(None, "cache_size", -400_000)?;
    let tx = m.conn.transaction()?;
    {
        let mut file = tx.prepare(
            "INSERT INTO files(id, root, abs, path, size, modified, kind, status, findings, settings, seen_in_run, scanned_in_run)
             VALUES (?1, '/drive', ?2, ?3, 1000, 0, 'text', 'scanned', ?4, 'bench', 1, 1)",
        )?;
        for f in 0..FILES {
            file.execute(params![
                f as i64 + 1,
                format!("/drive/{}", folder_path(f)),
                folder_path(f),
                (FINDINGS / FILES) as i64
            ])?;
        }
        let mut ids = store::Ids::default();
        let rule: Arc<str> = Arc::from("bench");
        let paths: Vec<Arc<str>> = (0..FILES).map(|f| Arc::from(folder_path(f))).collect();
        // Word hash prefixes of names, computed once.
        let mut word_hash = std::collections::HashMap::new();
        let mut hash_word =
            |w: &str| *word_hash.entry(w.to_string()).or_insert_with(|| store::prefix(&key.hash_bytes(w)));
        let mut n = 0usize;
        let mut i = 0usize;
        while n < FINDINGS {
            let file_id = (i % FILES) as i64 + 1;
            let p = person(i % PEOPLE);
            let line = format!("line {}", i % 500);
            let finding = |category: Category, normalised: &str| Finding {
                path: paths[i % FILES].clone(),
                location: line.as_str().into(),
                category,
                value: "****".into(),
                masked_only: true,
                hash: key.hash_bytes(normalised),
                confidence: 0.9,
                rule: rule.clone(),
            };
            // Per person-mention: a name and three identifiers (2 in 5 findings are names).
            let full = format!("{} {}", p.0, p.1);
            let words = [hash_word(&p.0), hash_word(&p.1)].concat();
            ids.insert(&tx, file_id, None, &finding(Category::Name, &full), false, Some(&words))?;
            for (cat, v) in [(Category::Dob, &p.2), (Category::Nino, &p.3), (Category::Email, &p.4)] {
                ids.insert(&tx, file_id, None, &finding(cat, &cat.normalise(v)), false, None)?;
            }
            if i.is_multiple_of(2) {
                ids.insert(
                    &tx,
                    file_id,
                    None,
                    &finding(Category::Phone, &Category::Phone.normalise(&p.5)),
                    false,
                    None,
                )?;
            } else {
                let words = hash_word(&p.1);
                ids.insert(&tx, file_id, None, &finding(Category::Name, &p.1), false, Some(&words))?;
            }
            n += 5;
            i += 1;
        }
    }
    tx.commit()?;
    let count: i64 = m.conn.query_row("SELECT count(*) FROM findings", [], |r| r.get(0))?;
    eprintln!("built a map with {count} findings in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = std::env::var_os("PIISWEEP_BENCH_MAP").map_or_else(|| dir.path().join("bench.db"), Into::into);
    let key = Key::from_bytes([42; 32]);
    if path.exists() {
        eprintln!("using the map {} made by an earlier run", path.display());
    } else {
        build(&path, &key).expect("build the bench map");
    }
    let m = Map::open_existing(&path).expect("open");
    // Person 0 is a Jane Roberts (first name index 0, surname roberts).
    let p = person(0);
    let full = Subject {
        name: Some("Jane Roberts".into()),
        dob: vec![p.2.clone()],
        nino: vec![p.3.clone()],
        email: vec![p.4.clone()],
        ..Subject::default()
    };
    let name_only = Subject { name: Some("Jane Roberts".into()), ..Subject::default() };
    let q_full = Query::new(&full, &key);
    let q_name = Query::new(&name_only, &key);
    let started = Instant::now();
    let results = sar::search(&m.conn, &q_full).expect("search");
    eprintln!(
        "first search: {} files in {:.0} ms, top: {} ({})",
        results.len(),
        started.elapsed().as_secs_f64() * 1000.0,
        results.first().map_or("", |r| r.path.as_str()),
        results.first().map_or("", |r| r.why.as_str())
    );
    let mut group = c.benchmark_group("sar search, 1M findings");
    group.sample_size(10);
    group.bench_function("name + dob + nino + email", |b| b.iter(|| sar::search(&m.conn, &q_full).expect("search")));
    group.bench_function("name only (surname shared by 500 people)", |b| {
        b.iter(|| sar::search(&m.conn, &q_name).expect("search"))
    });
    group.finish();
    let mut group = c.benchmark_group("map report, 1M findings");
    group.sample_size(10);
    group.bench_function("--by folder", |b| {
        b.iter(|| {
            piisweep::map::report::build(
                &m.conn,
                &path,
                piisweep::map::report::By::Folder,
                piisweep::map::report::Age::Years(7),
            )
            .expect("report")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
