//! A PostgreSQL data map at scale (#25): 1,000,000 files from 4 nodes and
//! 10,000,000 findings; a subject access search and the `map --by folder`
//! report over it, timed.
//!
//! The rows are made by the server itself (`INSERT .. SELECT` over
//! `generate_series`, the search indexes made afterwards, as a first sweep
//! does), with keyed hashes that match nothing; the person searched for is
//! written with this key's real hashes into three files among them (her
//! name's words and her email address).
//!
//! Run against a database you can fill (it is emptied first unless it already
//! holds this bench's map, which is then used again):
//!
//! ```sh
//! PIISWEEP_BENCH_PG=postgresql://postgres@127.0.0.1:5432/bench?sslmode=disable \
//!     cargo bench --bench map_pg
//! ```
//!
//! Without `PIISWEEP_BENCH_PG` it says so and does nothing.

use std::time::{Duration, Instant};

use piisweep::detect::Category;
use piisweep::finding::{Finding, Location};
use piisweep::keys::Key;
use piisweep::map::db::{Db, Value};
use piisweep::map::pg::{PgMap, Target};
use piisweep::map::report::{self, Age, By};
use piisweep::map::store;
use piisweep::sar::{self, Query, Subject};

const FILES: i64 = 1_000_000;
const FINDINGS: i64 = 10_000_000;
const NODES: i64 = 4;
/// Files whose rows hold the person searched for.
const PLANTED: [i64; 3] = [5, 500_005, 999_995];

fn main() -> anyhow::Result<()> {
    let Ok(url) = std::env::var("PIISWEEP_BENCH_PG") else {
        eprintln!("map_pg: set PIISWEEP_BENCH_PG=postgresql://... (a database it may fill) to run this bench");
        return Ok(());
    };
    let key = Key::from_bytes([7; 32]);
    let mut map = PgMap::open(&Target::from_url(&url)?)?;
    let held: i64 = map.client.query_one("SELECT count(*) FROM findings", &[])?.get(0);
    if held != FINDINGS + 2 * PLANTED.len() as i64 {
        fill(&mut map, &key)?;
    }
    let subject = Subject {
        name: Some("Jane Roberts".into()),
        email: vec!["jane.roberts@example.org".into()],
        ..Default::default()
    };
    let q = Query::new(&subject, &key);
    let mut db = Db::Postgres(&mut map.client);
    let found = sar::search_db(&mut db, &q)?;
    assert_eq!(found.len(), PLANTED.len(), "the planted person is found in her three files");
    let search = median(11, || sar::search_db(&mut db, &q).map(|_| ()))?;
    println!("sar search (name + email) over {FINDINGS} findings: median {:.1} ms", ms(search));
    let report = median(3, || report::build_db(&mut db, "bench", By::Folder, Age::Years(7)).map(|_| ()))?;
    println!("map --by folder over {FILES} files: median {:.2} s", report.as_secs_f64());
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The median time of `n` runs of `f`.
fn median(n: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[n / 2])
}

fn fill(map: &mut PgMap, key: &Key) -> anyhow::Result<()> {
    let started = Instant::now();
    let c = &mut map.client;
    c.batch_execute(
        "TRUNCATE runs, files, parts, paths, places, categories, rules, findings RESTART IDENTITY;
         DROP INDEX IF EXISTS findings_hkey; DROP INDEX IF EXISTS findings_word1;
         DROP INDEX IF EXISTS findings_word2; DROP INDEX IF EXISTS findings_file;",
    )?;
    c.execute(
        "INSERT INTO runs(started, finished, status, roots, settings, reveal, host, files_read, findings)
         SELECT '2026-12-01T00:00:00Z', '2026-12-01T08:00:00Z', 'complete', '[\"/srv/share\"]', 'bench', 0, 'node' || n, $1::int8 / $2::int8, $3::int8 / $2::int8
         FROM generate_series(0, $2::int8 - 1) n",
        &[&FILES, &NODES, &FINDINGS],
    )?;
    c.batch_execute(
        "INSERT INTO categories(id, name) VALUES (1, 'email'), (2, 'name'), (3, 'phone');
         INSERT INTO rules(id, name) VALUES (1, 'email'), (2, 'name_context'), (3, 'uk_mobile');
         INSERT INTO places(id, pre, post, scope, win) VALUES (1, 'line ', '', 'line ', 3);",
    )?;
    // Each node has its own /srv/share, 1,000 folders of about 250 files each.
    c.execute(
        "INSERT INTO files(id, host, root, abs, path, size, modified, kind, status, findings, settings, seen_in_run, scanned_in_run, counts)
         SELECT g, 'node' || (g % $2::int8), '/srv/share', '/srv/share/team' || (g % 1000) || '/f' || g || '.txt',
                'team' || (g % 1000) || '/f' || g || '.txt', 1000, 1700000000000000000, 'text', 'scanned', $3::int8 / $1::int8, 'bench',
                1 + g % $2::int8, 1 + g % $2::int8, 'email 4,name 3,phone 3'
         FROM generate_series(1, $1::int8) g",
        &[&FILES, &NODES, &FINDINGS],
    )?;
    c.execute(
        "INSERT INTO paths(id, path) SELECT g, 'team' || (g % 1000) || '/f' || g || '.txt' FROM generate_series(1, $1::int8) g",
        &[&FILES],
    )?;
    // Ten findings a file: emails, names (with two word hashes, 50,000
    // first names and 2,000 surnames among them) and phone numbers.
    c.execute(
        "INSERT INTO findings(file_id, path, place, num, category, rule, confidence, hash, masked, words, hkey)
         SELECT 1 + g / ($1::int8 / $2::int8), 1 + g / ($1::int8 / $2::int8), 1, 1 + g % 10, c, c, 90,
                decode(md5(g::text) || md5((-g)::text), 'hex'), 'x***',
                CASE WHEN c = 2 THEN decode(substr(md5('w' || (g % 50000)), 1, 16) || substr(md5('s' || (g % 2000)), 1, 16), 'hex') END,
                ('x' || substr(md5(g::text), 1, 16))::bit(64)::bigint
         FROM generate_series(0, $1::int8 - 1) g, LATERAL (SELECT CASE WHEN g % 10 < 4 THEN 1 WHEN g % 10 < 7 THEN 2 ELSE 3 END AS c) k",
        &[&FINDINGS, &FILES],
    )?;
    eprintln!("map_pg: {FINDINGS} findings written in {:.0} s", started.elapsed().as_secs_f64());
    // The person, with this key's hashes, in three files.
    let mut db = Db::Postgres(c);
    for (i, file) in PLANTED.iter().enumerate() {
        for (category, value) in [(Category::Name, "Jane Roberts"), (Category::Email, "jane.roberts@example.org")] {
            let f = Finding {
                path: "p".into(),
                location: Location::Line { prefix: "line".into(), n: 1 },
                category,
                hash: key.hash_bytes(&category.normalise(value)),
                value: value.into(),
                masked_only: false,
                confidence: 0.9,
                rule: "name".into(),
            };
            let words = store::name_words_blob(key, &f);
            db.execute(
                "INSERT INTO findings(file_id, path, place, num, category, rule, confidence, hash, masked, words, hkey)
                 VALUES (?1, ?1, 1, ?2, ?3, ?3, 90, ?4, 'x***', ?5, ?6)",
                &[
                    Value::Int(*file),
                    Value::Int(20 + i as i64),
                    Value::Int(if category == Category::Name { 2 } else { 1 }),
                    Value::Blob(f.hash.0.to_vec()),
                    words.map_or(Value::Null, Value::Blob),
                    Value::Int(store::hkey(&f.hash)),
                ],
            )?;
        }
    }
    // The indexes a first sweep makes at its end, and fresh statistics.
    let t = Instant::now();
    map.client.batch_execute(
        "CREATE INDEX IF NOT EXISTS findings_file ON findings(file_id);
         CREATE INDEX IF NOT EXISTS findings_hkey ON findings(hkey);
         CREATE INDEX IF NOT EXISTS findings_word1 ON findings(substr(words, 1, 8)) WHERE words IS NOT NULL;
         CREATE INDEX IF NOT EXISTS findings_word2 ON findings(substr(words, 9, 8)) WHERE length(words) = 16;",
    )?;
    map.client.batch_execute("VACUUM ANALYZE")?;
    eprintln!("map_pg: indexes made in {:.0} s", t.elapsed().as_secs_f64());
    Ok(())
}
