//! A data map on a real PostgreSQL server (#25): the connection, the
//! versioned schema (the same tables as a SQLite map), and the key
//! fingerprint that keeps a node with another key out; sweeps written into
//! it (the same map as a sweep into SQLite, resumed after a kill, rescans
//! that read nothing unchanged, several sweeps at once). Each test starts a
//! throwaway cluster (tests/common/pg.rs).

mod common;

use std::collections::BTreeMap;

use common::pg::PgCluster;
use piisweep::keys::Key;
use piisweep::map::pg::{self, PgMap, Target};

fn target(url: &str) -> Target {
    Target::from_url(url).expect("a good URL")
}

/// Each table's columns as (name, type), in order, from a SQLite map made
/// by this build (with the web page's audit table).
fn sqlite_tables() -> BTreeMap<String, Vec<(String, String)>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let map = piisweep::map::Map::create_or_open(&path).unwrap();
    map.conn.execute_batch(piisweep::map::store::AUDIT_SCHEMA).unwrap();
    let mut stmt = map.conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").unwrap();
    let names: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let mut out = BTreeMap::new();
    for name in names {
        let mut stmt = map.conn.prepare(&format!("PRAGMA table_info({name})")).unwrap();
        let cols: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.insert(name, cols);
    }
    out
}

fn postgres_tables(client: &mut postgres::Client) -> BTreeMap<String, Vec<(String, String)>> {
    let rows = client
        .query(
            "SELECT c.table_name::text, c.column_name::text, c.data_type::text
             FROM information_schema.columns c JOIN information_schema.tables t
                  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
             ORDER BY c.table_name, c.ordinal_position",
            &[],
        )
        .unwrap();
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for r in rows {
        out.entry(r.get(0)).or_default().push((r.get(1), r.get(2)));
    }
    out
}

#[test]
fn schema_is_made_once_versioned_and_matches_sqlite() {
    let Some(cluster) = PgCluster::start() else { return };
    let url = cluster.create_db("schema");
    let t = target(&url);

    // A reader finds no map before a sweep made one, and says what to do.
    let e = PgMap::open_existing(&t).err().expect("no map yet");
    assert!(e.to_string().contains("no data map in postgresql://postgres@127.0.0.1:"), "{e}");
    assert!(e.to_string().contains("piisweep scan FOLDER --map"), "{e}");

    // Two nodes starting at once: the advisory lock lets one make the
    // schema; the other finds it made. Neither fails, and it is made once.
    let opens: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn({
                let t = t.clone();
                move || PgMap::open(&t).map(|_| ())
            })
        })
        .collect();
    for o in opens {
        o.join().unwrap().expect("open while others open");
    }
    let mut map = PgMap::open(&t).unwrap();
    assert_eq!(map.version().unwrap(), pg::latest_version());
    let versions: Vec<i64> =
        map.client.query("SELECT version FROM schema_version", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, pg::MIGRATIONS.iter().map(|m| m.version).collect::<Vec<_>>());
    let schema: String = map.client.query_one("SELECT value FROM meta WHERE key = 'schema'", &[]).unwrap().get(0);
    assert_eq!(schema, piisweep::map::SCHEMA_VERSION.to_string());

    // The same tables and columns, in the same order, as a SQLite map,
    // with each SQLite type's PostgreSQL counterpart.
    let mut lite = sqlite_tables();
    let mut post = postgres_tables(&mut map.client);
    assert_eq!(post.remove("schema_version").map(|c| c.len()), Some(3));
    lite.remove("sqlite_stat1");
    assert_eq!(lite.keys().collect::<Vec<_>>(), post.keys().collect::<Vec<_>>());
    for (table, cols) in &lite {
        let expected: Vec<(String, String)> = cols
            .iter()
            .map(|(name, ty)| {
                let pg_type = match ty.as_str() {
                    "INTEGER" => "bigint",
                    "TEXT" => "text",
                    "BLOB" => "bytea",
                    other => panic!("{table}.{name}: SQLite type {other} has no counterpart here"),
                };
                (name.clone(), pg_type.to_string())
            })
            .collect();
        assert_eq!(&expected, &post[table], "table {table}");
    }
    // The view a person reads the map through works and gives hex hashes.
    map.client
        .batch_execute(
            "INSERT INTO paths(path) VALUES ('a.txt');
             INSERT INTO places(pre, post) VALUES ('line ', '');
             INSERT INTO categories(name) VALUES ('email');
             INSERT INTO rules(name) VALUES ('email');
             INSERT INTO findings(file_id, path, place, num, category, rule, confidence, hash, masked)
                 VALUES (1, 1, 1, 7, 1, 1, 95, '\\x00ff'::bytea, 'a***@b.org');",
        )
        .unwrap();
    let row = map.client.query_one("SELECT path, location, hash, confidence::float8 FROM findings_text", &[]).unwrap();
    assert_eq!(row.get::<_, String>(0), "a.txt");
    assert_eq!(row.get::<_, String>(1), "line 7");
    assert_eq!(row.get::<_, String>(2), "00ff");
    assert_eq!(row.get::<_, f64>(3), 0.95);

    // A map written by a newer piisweep is refused, not changed.
    map.client
        .execute("INSERT INTO schema_version(version, applied, what) VALUES (99, 'later', 'a later step')", &[])
        .unwrap();
    for e in [PgMap::open(&t).err(), PgMap::open_existing(&t).err()] {
        let e = format!("{:#}", e.expect("refused"));
        assert!(e.contains("newer piisweep (format 99"), "{e}");
    }
}

#[test]
fn a_node_with_another_key_is_refused() {
    let Some(cluster) = PgCluster::start() else { return };
    let t = target(&cluster.create_db("keys"));
    let first = Key::from_bytes([7; 32]);
    let other = Key::from_bytes([8; 32]);

    // A reader on a map no sweep has keyed records nothing.
    let mut reader = PgMap::open(&t).unwrap();
    reader.check_key(&other, false).unwrap();
    assert_eq!(reader.recorded_key_check().unwrap(), None);

    // The first node to sweep sets the key; the same key is welcome again
    // from any node; another key is refused with what to do.
    let mut node_a = PgMap::open(&t).unwrap();
    node_a.check_key(&first, true).unwrap();
    let mut node_b = PgMap::open(&t).unwrap();
    node_b.check_key(&first, true).unwrap();
    for record in [true, false] {
        let e = node_b.check_key(&other, record).unwrap_err().to_string();
        assert!(e.contains("this node's key does not match the data map postgresql://postgres@127.0.0.1:"), "{e}");
        assert!(e.contains("Give every node the same key file"), "{e}");
    }
    // The map still holds the first key's fingerprint only.
    assert_eq!(node_b.recorded_key_check().unwrap(), Some(piisweep::map::key_check(&first)));
}

#[test]
fn tls_is_used_as_sslmode_says() {
    let Some(cluster) = PgCluster::start() else { return };
    let url = cluster.create_db("tls");
    let base = url.split_once('?').unwrap().0;
    // The throwaway server has no certificate: "prefer" (libpq's default)
    // falls back to a plain connection; "require" refuses to send anything
    // in the clear, and says which map it could not reach.
    let prefer = target(&format!("{base}?sslmode=prefer"));
    assert_eq!(prefer.ssl_mode(), pg::SslMode::Prefer);
    PgMap::open(&prefer).expect("prefer falls back to plain");
    let require = target(&format!("{base}?sslmode=require"));
    let e = PgMap::open(&require).err().expect("no TLS, no connection").to_string();
    assert!(e.contains("cannot connect to the PostgreSQL data map postgresql://postgres@127.0.0.1:"), "{e}");
}

/// On a server with TLS (a certificate for `pg.test` from a test
/// authority), each sslmode checks what libpq's does, through rustls.
#[test]
fn tls_checks_the_certificate_as_sslmode_says() {
    let Some(cluster) = PgCluster::start() else { return };
    let url = cluster.create_db("tls");
    let ca = cluster.enable_tls("pg.test");
    let base = url.split_once('?').unwrap().0;
    let ca = ca.to_str().unwrap();
    let encrypted = |t: &Target| -> bool {
        let mut m = PgMap::open(t).unwrap_or_else(|e| panic!("{t}: {e:#}"));
        m.client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap().get(0)
    };
    // Encrypted, the certificate unchecked (no authority given).
    assert!(encrypted(&target(&format!("{base}?sslmode=prefer"))));
    assert!(encrypted(&target(&format!("{base}?sslmode=require"))));
    // Signed by the authority given; any name (127.0.0.1 is not pg.test).
    assert!(encrypted(&target(&format!("{base}?sslmode=verify-ca&sslrootcert={ca}"))));
    // ...as is require once an authority is given (libpq's rule).
    assert!(encrypted(&target(&format!("{base}?sslmode=require&sslrootcert={ca}"))));
    // verify-full checks the name too: refused at 127.0.0.1, accepted as pg.test.
    let e = PgMap::open(&target(&format!("{base}?sslmode=verify-full&sslrootcert={ca}"))).err().unwrap();
    assert!(format!("{e:#}").contains("cannot connect to the PostgreSQL data map"), "{e:#}");
    let by_name = format!(
        "postgresql://postgres@pg.test:{}/tls?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={ca}",
        cluster.port
    );
    assert!(encrypted(&target(&by_name)));
    // An authority that did not sign it: refused, for verify-ca too.
    let other = tempfile::tempdir().unwrap();
    let other_ca = other.path().join("other.pem");
    let out = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other"])
        .arg("-keyout")
        .arg(other.path().join("other.key"))
        .arg("-out")
        .arg(&other_ca)
        .output()
        .unwrap();
    assert!(out.status.success());
    let e = PgMap::open(&target(&format!("{base}?sslmode=verify-ca&sslrootcert={}", other_ca.display()))).err();
    assert!(e.is_some(), "a certificate from another authority is refused");
    // A file that is not a certificate: said plainly.
    let e = PgMap::open(&target(&format!(
        "{base}?sslmode=verify-ca&sslrootcert={}",
        other.path().join("other.key").display()
    )))
    .err()
    .unwrap();
    assert!(format!("{e:#}").contains("no PEM certificate"), "{e:#}");
}

#[test]
fn one_sweep_per_root_across_nodes_and_others_beside_it() {
    let Some(cluster) = PgCluster::start() else { return };
    let t = target(&cluster.create_db("locks"));
    let mut node_a = PgMap::open(&t).unwrap();
    let mut node_b = PgMap::open(&t).unwrap();
    assert!(node_a.try_lock_root("/srv/finance").unwrap());
    // Another node cannot sweep the same root, but can sweep another.
    assert!(!node_b.try_lock_root("/srv/finance").unwrap());
    assert!(node_b.try_lock_root(r"\\fs2\casework").unwrap());
    assert!(!node_a.try_lock_root(r"\\fs2\casework").unwrap());
    // Let go: the other node may take it.
    assert!(node_a.unlock_root("/srv/finance").unwrap());
    assert!(!node_a.unlock_root("/srv/finance").unwrap(), "held once, let go once");
    assert!(node_b.try_lock_root("/srv/finance").unwrap());
    // A node that dies (its connection ends) lets go of its roots.
    drop(node_b);
    let mut node_c = PgMap::open(&t).unwrap();
    node_c.lock_root("/srv/finance").unwrap();
    assert!(node_c.try_lock_root(r"\\fs2\casework").unwrap());
    // A waiting node gets the root once the holder lets go.
    let waiter = std::thread::spawn({
        let t = t.clone();
        move || {
            let mut node_d = PgMap::open(&t).unwrap();
            node_d.lock_root("/srv/finance").unwrap();
            node_d.unlock_root("/srv/finance").unwrap()
        }
    });
    // Whether the waiter has started waiting or not, it ends holding the root.
    node_c.unlock_root("/srv/finance").unwrap();
    assert!(waiter.join().unwrap(), "the waiting node held the root");
}

/// Copy every row of a SQLite map's tables into a PostgreSQL map through
/// the seam (ids kept, so the rows point at each other as before).
fn copy_map(lite: &rusqlite::Connection, pg_client: &mut postgres::Client) {
    use piisweep::map::db::Db;
    for table in ["runs", "files", "parts", "categories", "rules", "paths", "places", "findings"] {
        let rows = Db::Sqlite(lite).query(&format!("SELECT * FROM {table}"), &[]).unwrap();
        let Some(first) = rows.first() else { continue };
        let marks: Vec<String> = (1..=first.0.len()).map(|i| format!("?{i}")).collect();
        let insert = format!("INSERT INTO {table} VALUES ({})", marks.join(", "));
        let mut pg_db = Db::Postgres(pg_client);
        for r in &rows {
            pg_db.execute(&insert, &r.0).unwrap_or_else(|e| panic!("{table}: {e:#}"));
        }
    }
}

/// `piisweep ARGS`, run in `dir`: its exit status, stdout and stderr.
fn run(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = common::bin().args(args).current_dir(dir).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `map` and `sar` through the binary give the same answers from the
/// SQLite map `db` and the PostgreSQL map at `url` (filled with its rows).
fn same_from_the_binary(dir: &std::path::Path, db: &std::path::Path, url: &str) {
    let db = db.to_str().unwrap();
    for by in ["folder", "category"] {
        let [(a_code, a, a_err), (b_code, b, b_err)] =
            [db, url].map(|m| run(dir, &["map", "--map", m, "--by", by, "--format", "json"]));
        assert_eq!((a_code, b_code), (Some(0), Some(0)), "{a_err}\n{b_err}");
        let mut a: serde_json::Value = serde_json::from_str(&a).unwrap();
        let mut b: serde_json::Value = serde_json::from_str(&b).unwrap();
        // Each names its own map; all else is the same.
        assert_eq!(a["map"].take(), db);
        assert_eq!(b["map"].take(), url);
        // When each map's last sweep ran (the same sweep, copied, or the same drive swept into each).
        assert!(a["last_sweep"].take().is_string() && b["last_sweep"].take().is_string());
        assert_eq!(a, b, "--by {by}");
        assert_eq!(b["totals"]["files_with_personal_data"], 9, "{b:#}");
    }
    let (code, table, _) = run(dir, &["map", "--map", url]);
    assert_eq!(code, Some(0));
    assert!(table.contains("Clients") && table.contains(url), "{table}");

    let sar = |m: &str, key: &str| {
        run(
            dir,
            &[
                "sar",
                "--map",
                m,
                "--key",
                key,
                "--name",
                "Jane Roberts",
                "--received",
                "01/12/2026",
                "--format",
                "json",
            ],
        )
    };
    let (a_code, a, a_err) = sar(db, "k.key");
    let (b_code, b, b_err) = sar(url, "k.key");
    // Some files could not be searched: exit status 3 from both.
    assert_eq!((a_code, b_code), (Some(3), Some(3)), "{a_err}\n{b_err}");
    assert_eq!(a, b);
    let b: serde_json::Value = serde_json::from_str(&b).unwrap();
    assert_eq!(b["matches"].as_array().unwrap().len(), 4, "{b:#}");
    assert_eq!(b["unsearched"].as_array().unwrap().len(), 2, "{b:#}");

    // Another key is refused, plainly; with no --key, piisweep.key in the
    // working folder is the one looked for (a URL has no folder beside it).
    std::fs::write(dir.join("other.key"), [9u8; 32].map(|b| format!("{b:02x}")).concat()).unwrap();
    let (code, _, err) = sar(url, "other.key");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("this node's key does not match the data map postgresql://"), "{err}");
    let (code, _, err) = run(dir, &["sar", "--map", url, "--name", "Jane Roberts", "--format", "json"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no key file at piisweep.key"), "{err}");
    assert!(!dir.join("postgresql:").exists());
}

/// The names and details searched for on both maps, as `sar` takes them.
fn subjects() -> Vec<piisweep::sar::Subject> {
    use piisweep::sar::Subject;
    let named = |n: &str| Subject { name: Some(n.into()), ..Default::default() };
    vec![
        // Her full name, her surname beside her first name, the surname
        // under another first name (someone else), health data on her line.
        named("Jane Roberts"),
        // His name in two files, one a table with his names in two columns.
        Subject { email: vec!["amir@example.org".into()], ..named("Amir Khan") },
        // Found by an identifier only.
        Subject { email: vec!["zoe@example.org".into()], phone: vec!["07700 900123".into()], ..Default::default() },
        // Nothing held.
        named("Nobody Atall"),
    ]
}

/// A drive of a charity's files: names, identifiers and special
/// categories in text, mail, tables and an archive, a file that cannot be
/// read and a part that cannot be read, a file not changed for three years.
fn make_drive(root: &std::path::Path) {
    for dir in ["Clients", "HR", "Équipe"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    std::fs::write(
        root.join("Clients/notes.txt"),
        "Jane Roberts (jane.roberts@example.org, 07700 900123) was diagnosed with type 2 diabetes in May.\n\
         He disclosed a caution for shoplifting.\n",
    )
    .unwrap();
    std::fs::write(root.join("Clients/Zoe.txt"), "Zoe Adams, zoe@example.org\n").unwrap();
    std::fs::write(
        root.join("Clients/family.txt"),
        "Tom Roberts called about his sister.\nRoberts said Jane would phone back.\n",
    )
    .unwrap();
    // Names in message headers: places with no number (NULL), which
    // both maps must put first, as the search reads them in that order.
    std::fs::write(
        root.join("Clients/reply.eml"),
        "From: Jane Roberts <jane.roberts@example.org>\r\nTo: Tom Roberts <tom@example.org>\r\nSubject: visit\r\n\r\nDear Tom,\r\nRoberts here again about Jane.\r\n",
    )
    .unwrap();
    // A surname alone in a row beside another person's name: read only
    // on the search's second pass, with every name of the file beside it.
    std::fs::write(
        root.join("HR/contacts.csv"),
        "Surname,First name,Next of kin\nRoberts,Peter,Mary Jones\nRoberts,,Ann Lee\nKhan,Amir,\n",
    )
    .unwrap();
    std::fs::write(root.join("Clients/adam.txt"), "Adam Zane, adam@example.org\n").unwrap();
    std::fs::write(
        root.join("HR/applicants.csv"),
        "Name,Email\nAmir Khan,amir@example.org\nLucy Smith,lucy@example.org\n",
    )
    .unwrap();
    std::fs::write(root.join("Équipe/liste.txt"), "Email lea@example.org\n").unwrap();
    std::fs::write(root.join("HR/broken.pdf"), "%PDF-1.4\nnot really a pdf at all\n").unwrap();
    // An archive with a member that cannot be read: recorded as a part.
    let mut z = zip::ZipWriter::new(std::fs::File::create(root.join("HR/old.zip")).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    z.start_file("inner.pdf", opts).unwrap();
    std::io::Write::write_all(&mut z, b"%PDF-1.4\nnot a pdf either\n").unwrap();
    z.start_file("ok.txt", opts).unwrap();
    std::io::Write::write_all(&mut z, b"Email old@example.org\n").unwrap();
    z.finish().unwrap();
    let old = std::fs::File::options().write(true).open(root.join("Clients/Zoe.txt")).unwrap();
    old.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 366 * 86400)).unwrap();
    drop(old);
}

#[test]
fn map_report_sar_and_unsearched_are_the_same_from_sqlite_and_postgres() {
    use piisweep::map::db::Db;
    use piisweep::map::report::{self, Age, By};
    let Some(cluster) = PgCluster::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    make_drive(&root);
    let db = tmp.path().join("m.db");
    let out = common::bin()
        .arg("scan")
        .arg(&root)
        .args(["--quiet", "--key"])
        .arg(tmp.path().join("k.key"))
        .arg("--map")
        .arg(&db)
        .output()
        .unwrap();
    // Findings and a file that could not be read: the sweep says so, but ran.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code().is_some_and(|c| c != 2) && err.contains("HR/broken.pdf"), "{err}");

    let lite = piisweep::map::Map::open_existing(&db).unwrap();
    let mut pg_map = PgMap::open(&target(&cluster.create_db("report"))).unwrap();
    copy_map(&lite.conn, &mut pg_map.client);

    for by in [By::Folder, By::Type, By::Category] {
        for age in [Age::Years(2), Age::Days(0)] {
            let a = report::build_db(&mut Db::Sqlite(&lite.conn), "the map", by, age).unwrap();
            let b = report::build_db(&mut Db::Postgres(&mut pg_map.client), "the map", by, age).unwrap();
            let (a, b) = (serde_json::to_value(&a).unwrap(), serde_json::to_value(&b).unwrap());
            assert_eq!(a, b, "--by {by:?} --older-than {age:?}");
            // What is compared is a real report, not two empty ones.
            assert_eq!(a["totals"]["files_with_personal_data"], 9, "{a:#}");
            assert!(!a["groups"].as_array().unwrap().is_empty(), "{a:#}");
            assert!(!a["special"].as_array().unwrap().is_empty(), "{a:#}");
            assert_eq!(a["unreadable"].as_array().unwrap().len(), 2, "a file and a part: {a:#}");
            assert!(!a["retention"].as_array().unwrap().is_empty(), "{a:#}");
        }
    }
    // What `sar` lists as not searched: the same too.
    let a = piisweep::sar::unsearched_db(&mut Db::Sqlite(&lite.conn)).unwrap();
    let b = piisweep::sar::unsearched_db(&mut Db::Postgres(&mut pg_map.client)).unwrap();
    let (a, b) = (serde_json::to_value(&a).unwrap(), serde_json::to_value(&b).unwrap());
    assert_eq!(a, b);
    let paths: Vec<&str> = a.as_array().unwrap().iter().map(|u| u["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["HR/broken.pdf", "HR/old.zip!inner.pdf"], "{a:#}");

    // The commands read a PostgreSQL map as they read a file (a sweep
    // records the key's fingerprint: the PostgreSQL map holds it too).
    let check = Db::Sqlite(&lite.conn).query_one("SELECT value FROM meta WHERE key = 'key_check'", &[]).unwrap();
    Db::Postgres(&mut pg_map.client)
        .execute("INSERT INTO meta(key, value) VALUES ('key_check', ?1)", &check.0)
        .unwrap();
    let url = pg_map.target.to_string();
    same_from_the_binary(tmp.path(), &db, &url);
    // The web page keeps its audit trail in a PostgreSQL map too.
    {
        use piisweep::serve::audit::{self, Entry};
        let map = std::path::Path::new(&url);
        audit::prepare(map).unwrap();
        let search = Entry {
            action: "search".into(),
            searched: r#"{"surname":["ab"]}"#.into(),
            received: "2026-12-01".into(),
            files: 4,
            outcome: "4 files found".into(),
            safe: Some(true),
            ..Default::default()
        };
        audit::record(map, &search).unwrap();
        audit::record(map, &Entry { action: "export".into(), outcome: "copied".into(), ..Default::default() }).unwrap();
        let got = audit::list(map).unwrap();
        let what: Vec<_> = got.iter().map(|e| (e.action.as_str(), e.files, e.safe, e.received.as_str())).collect();
        assert_eq!(what, [("export", 0, None, ""), ("search", 4, Some(true), "2026-12-01")]);
        assert_eq!(got[1].searched, search.searched);
    }

    // Cursors read side by side on one connection, past several fetches
    // (a whole number of them, and not), each row once, in order.
    let batch = piisweep::map::db::CURSOR_BATCH as i64;
    let (up, down) =
        ("SELECT g FROM generate_series(1, ?1) g ORDER BY g", "SELECT g FROM generate_series(1, ?1) g ORDER BY g DESC");
    let (n_up, n_down) = (piisweep::map::db::Value::Int(2 * batch), piisweep::map::db::Value::Int(2 * batch + 7));
    let (ups, downs) = Db::Postgres(&mut pg_map.client)
        .with_cursors(&[(up, &[n_up][..]), (down, &[n_down][..])], |mut c| {
            let (mut d, mut u) = (c.pop().unwrap(), c.pop().unwrap());
            let (mut ups, mut downs) = (Vec::new(), Vec::new());
            while let Some(r) = u.next_row()? {
                ups.push(r.get::<i64>(0)?);
                downs.push(d.next_row()?.unwrap().get::<i64>(0)?);
            }
            while let Some(r) = d.next_row()? {
                downs.push(r.get::<i64>(0)?);
            }
            Ok((ups, downs))
        })
        .unwrap();
    assert_eq!(ups, (1..=2 * batch).collect::<Vec<_>>());
    assert_eq!(downs, (1..=2 * batch + 7).rev().collect::<Vec<_>>());

    // `sar` finds the same files, places, evidence and special categories in both.
    let key = Key::load(&tmp.path().join("k.key")).unwrap();
    let mut found = Vec::new();
    for subject in subjects() {
        let q = piisweep::sar::Query::new(&subject, &key);
        let a = piisweep::sar::search_db(&mut Db::Sqlite(&lite.conn), &q).unwrap();
        let b = piisweep::sar::search_db(&mut Db::Postgres(&mut pg_map.client), &q).unwrap();
        let (a, b) = (serde_json::to_value(&a).unwrap(), serde_json::to_value(&b).unwrap());
        assert_eq!(a, b, "{subject:?}");
        // A name or two held at a time (windows closing inside a file, the
        // second cursor read in step with the first): the same answer.
        for window in [1, 2] {
            let c = piisweep::sar::search_windowed(&mut Db::Postgres(&mut pg_map.client), &q, window).unwrap();
            assert_eq!(a, serde_json::to_value(&c).unwrap(), "{subject:?}, window {window}");
        }
        found.push(a);
    }
    // What is compared are real answers.
    let files = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|m| m["path"].as_str().unwrap().to_string()).collect()
    };
    let evidence = |v: &serde_json::Value, path: &str| -> Vec<String> {
        let m = v.as_array().unwrap().iter().find(|m| m["path"] == path).unwrap();
        m["places"].as_array().unwrap().iter().map(|p| p["evidence"].as_str().unwrap().to_string()).collect()
    };
    let jane = &found[0];
    let jane_files = ["Clients/reply.eml", "Clients/notes.txt", "Clients/family.txt", "HR/contacts.csv"];
    assert_eq!(files(jane), jane_files, "{jane:#}");
    let at: Vec<&str> = jane[0]["places"].as_array().unwrap().iter().map(|p| p["at"].as_str().unwrap()).collect();
    assert!(at.contains(&"header From") && at.contains(&"header To"), "{jane:#}");
    assert_eq!(jane[1]["special"], serde_json::json!(["health"]), "{jane:#}");
    assert!(evidence(jane, "Clients/family.txt").contains(&"surname_other_first_name".into()), "{jane:#}");
    assert!(evidence(jane, "Clients/family.txt").contains(&"surname_and_first_name_nearby".into()), "{jane:#}");
    assert_eq!(evidence(jane, "HR/contacts.csv"), ["surname_other_first_name"], "{jane:#}");
    assert_eq!(files(&found[1]), ["HR/applicants.csv", "HR/contacts.csv"], "{:#}", found[1]);
    assert_eq!(files(&found[2]), ["Clients/Zoe.txt", "Clients/notes.txt"], "{:#}", found[2]);
    assert_eq!(found[3], serde_json::json!([]));
}

/// `piisweep scan ROOT --map MAP --key DIR/k.key --quiet ARGS` in `dir`,
/// with the environment `env`: exit status and stderr.
fn sweep(
    dir: &std::path::Path,
    root: &std::path::Path,
    map: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, String) {
    let mut cmd = common::bin();
    cmd.arg("scan").arg(root).args(["--quiet", "--map", map, "--key", "k.key"]).args(args).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The findings of a map (through the seam), each as its file's path,
/// location, category, hash, masked form, value, rule and confidence, sorted.
fn findings_of(db: &mut piisweep::map::db::Db<'_>) -> Vec<String> {
    let mut out: Vec<String> = db
        .query(
            "SELECT t.path, t.location, t.category, t.hash, t.masked, t.value, t.rule, f.confidence, f.words, f.hkey
             FROM findings_text t JOIN findings f ON f.id = t.id",
            &[],
        )
        .unwrap()
        .into_iter()
        .map(|r| format!("{:?}", r.0))
        .collect();
    out.sort();
    out
}

/// Each file of a map: path, status, reason, kind, findings, counts,
/// content hash, and its parts not read, sorted.
fn files_of(db: &mut piisweep::map::db::Db<'_>) -> Vec<String> {
    let mut out: Vec<String> = db
        .query(
            "SELECT f.path, f.status, f.reason, f.kind, f.findings, f.counts, f.content_hash,
                    (SELECT count(*) FROM findings WHERE file_id = f.id),
                    (SELECT string_agg(p.path || ' ' || p.status || ' ' || p.reason, '; ') FROM parts p WHERE p.file_id = f.id)
             FROM files f",
            &[],
        )
        .unwrap()
        .into_iter()
        .map(|r| format!("{:?}", r.0))
        .collect();
    out.sort();
    out
}

/// "N files read, M unchanged (not read again), G gone" from a sweep's stderr.
fn read_unchanged_gone(err: &str) -> (u64, u64, u64) {
    let at = err.find(" files read, ").unwrap_or_else(|| panic!("no map line: {err}"));
    let head = &err[..at];
    let read: u64 = head.rsplit(' ').next().unwrap().parse().unwrap();
    let rest = &err[at + " files read, ".len()..];
    let unchanged: u64 = rest.split(' ').next().unwrap().parse().unwrap();
    let gone_at = rest.find(" gone since").unwrap();
    let gone: u64 = rest[..gone_at].rsplit(' ').next().unwrap().parse().unwrap();
    (read, unchanged, gone)
}

#[test]
fn a_sweep_into_postgres_records_what_a_sweep_into_sqlite_does() {
    use piisweep::map::db::Db;
    let Some(cluster) = PgCluster::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    make_drive(&root);
    let db = tmp.path().join("m.db");
    let url = target(&cluster.create_db("sweep")).to_string();
    let (code, lite_err) = sweep(tmp.path(), &root, db.to_str().unwrap(), &[], &[]);
    assert!(code.is_some_and(|c| c != 2), "{lite_err}");
    // Without the quiet flag the map's line is printed: both maps read every file.
    let (code, err) = sweep(tmp.path(), &root, &url, &[], &[]);
    assert!(code.is_some_and(|c| c != 2) && err.contains("HR/broken.pdf"), "{err}");
    assert!(!tmp.path().join("postgresql:").exists());

    let lite = piisweep::map::Map::open_existing(&db).unwrap();
    let mut pg_map = PgMap::open_existing(&target(&url)).unwrap();
    let lite_findings = findings_of(&mut Db::Sqlite(&lite.conn));
    assert!(lite_findings.len() > 20, "{lite_findings:#?}");
    assert_eq!(findings_of(&mut Db::Postgres(&mut pg_map.client)), lite_findings);
    let lite_files = files_of(&mut Db::Sqlite(&lite.conn));
    assert_eq!(files_of(&mut Db::Postgres(&mut pg_map.client)), lite_files);
    assert!(lite_files.iter().any(|f| f.contains("inner.pdf")), "a part not read: {lite_files:#?}");
    // The run is recorded, complete, with its root and counts.
    let run = Db::Postgres(&mut pg_map.client)
        .query_one("SELECT status, roots, files_read, files_reused, findings FROM runs", &[])
        .unwrap();
    assert_eq!(run.get::<String>(0).unwrap(), "complete");
    assert!(run.get::<String>(1).unwrap().contains("drive"));
    assert_eq!((run.get::<i64>(2).unwrap(), run.get::<i64>(3).unwrap()), (10, 0));
    assert_eq!(run.get::<i64>(4).unwrap() as usize, lite_findings.len());
    // `map` and `sar` answer the same from both.
    same_from_the_binary(tmp.path(), &db, &url);

    // A rescan: the same files reused in both (the file that could not be
    // read is read again), nothing else read.
    let counts = |m: &str| {
        let mut cmd = common::bin();
        let out =
            cmd.arg("scan").arg(&root).args(["--map", m, "--key", "k.key"]).current_dir(tmp.path()).output().unwrap();
        read_unchanged_gone(&String::from_utf8_lossy(&out.stderr))
    };
    assert_eq!(counts(&url), (1, 9, 0));
    assert_eq!(counts(db.to_str().unwrap()), (1, 9, 0));
    // A file deleted and one changed: one gone, the changed one read again.
    std::fs::remove_file(root.join("Clients/adam.txt")).unwrap();
    std::fs::write(root.join("Équipe/liste.txt"), "Email lea@example.org\nPhone 07700 900999\n").unwrap();
    assert_eq!(counts(&url), (2, 7, 1));
    assert_eq!(counts(db.to_str().unwrap()), (2, 7, 1));
    assert_eq!(findings_of(&mut Db::Postgres(&mut pg_map.client)), findings_of(&mut Db::Sqlite(&lite.conn)));
    assert_eq!(files_of(&mut Db::Postgres(&mut pg_map.client)), files_of(&mut Db::Sqlite(&lite.conn)));
}

/// Twelve small files, each with a name, an email address and a phone number.
fn make_clean_drive(root: &std::path::Path) {
    std::fs::create_dir_all(root).unwrap();
    for i in 0..12 {
        std::fs::write(
            root.join(format!("client{i:02}.txt")),
            format!("Client: Jane Roberts{i}\nEmail: client{i}@example.org\nPhone: 07700 900{i:03}\nNotes: Amir Khan called.\n"),
        )
        .unwrap();
    }
}

#[test]
fn a_killed_sweep_into_postgres_is_completed_by_the_next() {
    use piisweep::map::db::Db;
    let Some(cluster) = PgCluster::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    make_clean_drive(&root);
    let db = tmp.path().join("m.db");
    let (code, err) = sweep(tmp.path(), &root, db.to_str().unwrap(), &[], &[]);
    assert_eq!(code, Some(0), "{err}");
    let lite = piisweep::map::Map::open_existing(&db).unwrap();
    let want = findings_of(&mut Db::Sqlite(&lite.conn));
    assert!(want.len() >= 36, "{want:#?}");

    let url = target(&cluster.create_db("killed")).to_string();
    let mut pg_map = PgMap::open(&target(&url)).unwrap();
    // Stopped after five files, each committed; then half-way through the
    // findings of a file, with files committed a few at a time.
    let (code, err) = sweep(
        tmp.path(),
        &root,
        &url,
        &["--threads", "1"],
        &[("PIISWEEP_TEST_MAP_BATCH", "1"), ("PIISWEEP_TEST_ABORT_AFTER", "5")],
    );
    assert_eq!(code, Some(86), "{err}");
    let done = |m: &mut PgMap| -> i64 {
        Db::Postgres(&mut m.client)
            .query_one("SELECT count(*) FROM files WHERE status = 'scanned'", &[])
            .unwrap()
            .get(0)
            .unwrap()
    };
    assert_eq!(done(&mut pg_map), 5);
    let (code, err) = sweep(
        tmp.path(),
        &root,
        &url,
        &["--threads", "1"],
        &[("PIISWEEP_TEST_MAP_BATCH", "3"), ("PIISWEEP_TEST_ABORT_AFTER_FINDINGS", "14")],
    );
    assert_eq!(code, Some(86), "{err}");
    // No file is recorded done with only part of its findings.
    let partial: i64 = Db::Postgres(&mut pg_map.client)
        .query_one(
            "SELECT count(*) FROM files f WHERE status = 'scanned' AND findings <> (SELECT count(*) FROM findings WHERE file_id = f.id)",
            &[],
        )
        .unwrap()
        .get(0)
        .unwrap();
    assert_eq!(partial, 0);
    let before = done(&mut pg_map);
    assert!(before >= 5, "{before}");

    // The next sweep reads only what was not done, and ends with exactly
    // the findings of the uninterrupted sweep.
    let mut cmd = common::bin();
    let out =
        cmd.arg("scan").arg(&root).args(["--map", &url, "--key", "k.key"]).current_dir(tmp.path()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let (read, unchanged, gone) = read_unchanged_gone(&err);
    assert_eq!((read + unchanged, unchanged, gone), (12, before as u64, 0), "{err}");
    assert_eq!(findings_of(&mut Db::Postgres(&mut pg_map.client)), want);
    assert_eq!(files_of(&mut Db::Postgres(&mut pg_map.client)), files_of(&mut Db::Sqlite(&lite.conn)));

    // A rescan of the unchanged drive reads no file.
    let out = common::bin()
        .arg("scan")
        .arg(&root)
        .args(["--map", &url, "--key", "k.key"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(read_unchanged_gone(&String::from_utf8_lossy(&out.stderr)), (0, 12, 0));
    assert_eq!(findings_of(&mut Db::Postgres(&mut pg_map.client)), want);
}

#[test]
fn sweeps_of_other_roots_run_at_once_and_one_root_is_swept_once_at_a_time() {
    use piisweep::map::db::Db;
    use std::process::Stdio;
    let Some(cluster) = PgCluster::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // Two servers' shares with the same folder layout (the same relative
    // paths, so the same rows of the shared tables).
    let (a, b) = (tmp.path().join("server-a"), tmp.path().join("server-b"));
    make_clean_drive(&a);
    make_clean_drive(&b);
    std::fs::write(a.join("zz-slow.txt"), "Email slow@example.org\n").unwrap();
    let url = target(&cluster.create_db("nodes")).to_string();
    // The first node's sweep of A stops on its last file, holding A, with
    // its other files written (in an open transaction) and its paths numbered.
    let pause = tmp.path().join("pause");
    std::fs::create_dir(&pause).unwrap();
    let mut node_a = common::bin();
    node_a
        .arg("scan")
        .arg(&a)
        .args(["--quiet", "--threads", "1", "--map", &url, "--key", "k.key"])
        .current_dir(tmp.path())
        .env("PIISWEEP_TEST_PAUSE_ON", "zz-slow")
        .env("PIISWEEP_TEST_PAUSE_DIR", &pause)
        .stderr(Stdio::piped());
    // The key is made by the first sweep: make it now, so both use it.
    let (code, err) = sweep(tmp.path(), &b, "other.db", &[], &[]);
    assert_eq!(code, Some(0), "{err}");
    let node_a = node_a.spawn().unwrap();
    let started = std::time::Instant::now();
    while !pause.join("paused").exists() {
        assert!(started.elapsed().as_secs() < 60, "the sweep of A never reached its last file");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // Meanwhile another node sweeps B to its end, not held up by A's.
    let (code, err) = sweep(tmp.path(), &b, &url, &[], &[]);
    assert_eq!(code, Some(0), "{err}");
    // A second sweep of A will not run beside the first: with --no-wait it
    // says so at once.
    let (code, err) = sweep(tmp.path(), &a, &url, &["--no-wait"], &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("another sweep (on this or another node) is sweeping") && err.contains("server-a"), "{err}");
    std::fs::write(pause.join("resume"), b"").unwrap();
    let out = node_a.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let mut m = PgMap::open_existing(&target(&url)).unwrap();
    let mut db = Db::Postgres(&mut m.client);
    let runs = db.query("SELECT roots, status, files_read FROM runs ORDER BY id", &[]).unwrap();
    let runs: Vec<(String, String, i64)> =
        runs.iter().map(|r| (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap())).collect();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs.iter().any(|r| r.0.contains("server-a") && r.1 == "complete" && r.2 == 13), "{runs:?}");
    assert!(runs.iter().any(|r| r.0.contains("server-b") && r.1 == "complete" && r.2 == 12), "{runs:?}");
    let per_root = db
        .query("SELECT root, count(*), CAST(sum(findings) AS BIGINT) FROM files WHERE status = 'scanned' GROUP BY root ORDER BY root", &[])
        .unwrap();
    let per_root: Vec<(String, i64, i64)> =
        per_root.iter().map(|r| (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap())).collect();
    assert_eq!(per_root.len(), 2, "{per_root:?}");
    assert!(per_root[0].0.ends_with("server-a") && per_root[1].0.ends_with("server-b"), "{per_root:?}");
    assert_eq!((per_root[0].1, per_root[1].1), (13, 12));
    assert_eq!(per_root[0].2, per_root[1].2 + 1, "A has B's findings and one more: {per_root:?}");
    let total: i64 = db.query_one("SELECT count(*) FROM findings", &[]).unwrap().get(0).unwrap();
    assert_eq!(total, per_root[0].2 + per_root[1].2);
    // The shared tables hold each path once, though both sweeps wrote them.
    let dup: i64 = db.query_one("SELECT count(*) - count(DISTINCT path) FROM paths", &[]).unwrap().get(0).unwrap();
    assert_eq!(dup, 0);
}

#[test]
fn several_nodes_are_named_by_host_and_an_older_map_is_migrated() {
    use piisweep::map::db::Db;
    let Some(cluster) = PgCluster::start() else { return };
    let raw_url = cluster.create_db("hosts");
    // A map of schema 4 (before hosts), with a file recorded.
    let mut old = postgres::Client::connect(&raw_url, postgres::NoTls).unwrap();
    old.batch_execute(
        "CREATE TABLE schema_version(version BIGINT PRIMARY KEY, applied TEXT NOT NULL, what TEXT NOT NULL)",
    )
    .unwrap();
    old.batch_execute(pg::MIGRATIONS[0].postgres).unwrap();
    old.batch_execute(
        "INSERT INTO schema_version VALUES (4, 'earlier', 'schema 4');
         INSERT INTO runs(started, status, roots, settings, reveal) VALUES ('2026-01-01', 'complete', '[\"/old\"]', 's', 0);
         INSERT INTO files(root, abs, path, size, kind, status, settings, seen_in_run, scanned_in_run)
             VALUES ('/old', '/old/a.txt', 'a.txt', 1, 'text', 'scanned', 's', 1, 1);",
    )
    .unwrap();
    drop(old);
    let url = target(&raw_url).to_string();
    let mut m = PgMap::open(&target(&url)).unwrap();
    assert_eq!(m.version().unwrap(), 5);
    let host: String = m.client.query_one("SELECT host FROM files WHERE abs = '/old/a.txt'", &[]).unwrap().get(0);
    assert_eq!(host, "");

    // The same folder on two servers (here one folder, swept as two hosts):
    // each host's files are its own, and neither sweep waits for the other's root.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("share");
    make_clean_drive(&root);
    for node in ["fs1", "fs2"] {
        let (code, err) = sweep(tmp.path(), &root, &url, &["--no-wait"], &[("PIISWEEP_TEST_HOST", node)]);
        assert_eq!(code, Some(0), "{node}: {err}");
    }
    let per_host = Db::Postgres(&mut m.client)
        .query("SELECT host, count(*) FROM files GROUP BY host ORDER BY host", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get::<String>(0).unwrap(), r.get::<i64>(1).unwrap()))
        .collect::<Vec<_>>();
    assert_eq!(per_host, [("".to_string(), 1), ("fs1".to_string(), 12), ("fs2".to_string(), 12)]);
    let hosts: Vec<String> =
        m.client.query("SELECT host FROM runs ORDER BY id", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(hosts, ["", "fs1", "fs2"]);
    // Sweeping again as fs1 reuses fs1's work only.
    let out = common::bin()
        .arg("scan")
        .arg(&root)
        .args(["--map", &url, "--key", "k.key"])
        .env("PIISWEEP_TEST_HOST", "fs1")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(read_unchanged_gone(&String::from_utf8_lossy(&out.stderr)), (0, 12, 0));

    // `map` and `sar` name each file by its host.
    let (code, out, err) = run(tmp.path(), &["map", "--map", &url, "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = report["top_files"].as_array().unwrap().iter().map(|f| f["abs"].as_str().unwrap()).collect();
    let share = root.to_str().unwrap();
    assert!(names.iter().any(|n| n.starts_with(&format!("fs1:{share}/"))), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with(&format!("fs2:{share}/"))), "{names:?}");
    let folders: Vec<&str> = report["groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(folders, [format!("fs1:{share}"), format!("fs2:{share}")], "{report:#}");
    assert_eq!(report["totals"]["files"], 25, "{report:#}");
    let (code, out, err) = run(
        tmp.path(),
        &["sar", "--map", &url, "--key", "k.key", "--email", "client3@example.org", "--format", "json"],
    );
    assert_eq!(code, Some(0), "{err}");
    let sar: serde_json::Value = serde_json::from_str(&out).unwrap();
    let found: Vec<(&str, &str)> = sar["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["host"].as_str().unwrap(), m["path"].as_str().unwrap()))
        .collect();
    assert_eq!(found.len(), 2, "{sar:#}");
    assert!(found.contains(&("fs1", "client03.txt")) && found.contains(&("fs2", "client03.txt")), "{sar:#}");
}
