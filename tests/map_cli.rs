//! The data map through the command line: incremental rescans, gone files,
//! resuming a killed sweep, privacy of the map, and the `map` report.

mod common;

use std::path::Path;
use std::process::Output;

use common::bin;
use rusqlite::Connection;

/// Write `n` case-note files, each about a different person.
fn write_notes(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir.join("Clients")).unwrap();
    for i in 0..n {
        let text = format!(
            "Case notes\nClient: Mrs Jane Roberts\nNI number: AB 12 34 {:02} C\nTel: 07700 900{:03}\nEmail: client{i}@example.org\n",
            i % 100,
            i
        );
        std::fs::write(dir.join(format!("Clients/note-{i:02}.txt")), text).unwrap();
    }
}

fn scan(root: &Path, map: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = bin();
    cmd.arg("scan").arg(root).arg(format!("--map={}", map.display())).arg("--quiet").args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
}

fn count(db: &Path, sql: &str) -> i64 {
    Connection::open(db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// (run status, files read, files reused, files gone) of the last run.
fn last_run(db: &Path) -> (String, i64, i64, i64) {
    Connection::open(db)
        .unwrap()
        .query_row("SELECT status, files_read, files_reused, files_gone FROM runs ORDER BY id DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap()
}

/// Every finding as (path, location, category, hash), sorted, duplicates kept.
fn findings(db: &Path) -> Vec<(String, String, String, String)> {
    let conn = Connection::open(db).unwrap();
    let mut stmt =
        conn.prepare("SELECT path, location, category, hash FROM findings_text ORDER BY 1, 2, 3, 4").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect()
}

#[test]
fn rescans_read_only_changed_files_and_mark_removed_ones_gone() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    write_notes(&root, 3);
    let db = tmp.path().join("out/map.db");
    ok(&scan(&root, &db, &[], &[]));
    assert_eq!(last_run(&db), ("complete".into(), 3, 0, 0));
    let first = findings(&db);
    assert!(first.len() >= 9, "{first:?}");

    ok(&scan(&root, &db, &[], &[]));
    assert_eq!(last_run(&db), ("complete".into(), 0, 3, 0), "unchanged files are not read again");
    assert_eq!(count(&db, "SELECT count(*) FROM files WHERE scanned_in_run = 1"), 3);
    assert_eq!(findings(&db), first);

    std::fs::write(root.join("Clients/note-01.txt"), "Now only a phone: 07700 900999 and nothing else at all\n")
        .unwrap();
    std::fs::remove_file(root.join("Clients/note-02.txt")).unwrap();
    ok(&scan(&root, &db, &[], &[]));
    assert_eq!(last_run(&db), ("complete".into(), 1, 1, 1));
    assert_eq!(count(&db, "SELECT count(*) FROM files WHERE path = 'Clients/note-02.txt' AND status = 'gone'"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM findings_text WHERE path = 'Clients/note-02.txt'"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM findings_text WHERE path = 'Clients/note-01.txt'"), 1);
    assert_eq!(count(&db, "SELECT scanned_in_run FROM files WHERE path = 'Clients/note-01.txt'"), 3);
    assert_eq!(count(&db, "SELECT scanned_in_run FROM files WHERE path = 'Clients/note-00.txt'"), 1);
}

#[test]
fn a_killed_sweep_resumes_without_losing_or_duplicating_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    write_notes(&root, 30);
    let clean = tmp.path().join("clean.db");
    ok(&scan(&root, &clean, &[], &[]));
    let want = findings(&clean);

    let db = tmp.path().join("killed.db");
    let killed =
        scan(&root, &db, &["--threads", "1"], &[("PIISWEEP_TEST_MAP_BATCH", "4"), ("PIISWEEP_TEST_ABORT_AFTER", "13")]);
    assert_ne!(killed.status.code(), Some(0), "the sweep should have been stopped");
    // Three batches of four were committed; the thirteenth file's batch was not.
    assert_eq!(count(&db, "SELECT count(*) FROM files"), 12);
    assert_eq!(count(&db, "SELECT count(*) FROM runs WHERE status = 'running'"), 1);
    let partial = findings(&db);
    assert!(!partial.is_empty() && partial.len() < want.len());

    ok(&scan(&root, &db, &[], &[]));
    assert_eq!(last_run(&db), ("complete".into(), 18, 12, 0), "the 12 recorded files are reused");
    assert_eq!(findings(&db), want, "same findings as a clean sweep, none twice");
    assert_eq!(count(&db, "SELECT count(*) FROM files"), 30);
}

#[test]
fn the_map_is_private_and_holds_plain_values_only_with_reveal() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    write_notes(&root, 1);
    let db = tmp.path().join("m.db");
    ok(&scan(&root, &db, &[], &[]));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&db).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(tmp.path().join("piisweep.key").is_file(), "the key lives beside the map");
    }
    assert_eq!(count(&db, "SELECT count(*) FROM findings WHERE value IS NOT NULL"), 0);
    let bytes = std::fs::read(&db).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains("07700 900000"), "no plain phone number in the file");
    assert!(count(&db, "SELECT count(*) FROM findings WHERE masked LIKE '%*%'") > 0);

    let revealed = tmp.path().join("r.db");
    ok(&scan(&root, &revealed, &["--reveal"], &[]));
    assert_eq!(count(&revealed, "SELECT count(*) FROM findings WHERE value = '07700 900000'"), 1);
}

#[test]
fn refuses_a_map_inside_the_scanned_folder() {
    let tmp = tempfile::tempdir().unwrap();
    write_notes(tmp.path(), 1);
    let out = scan(tmp.path(), &tmp.path().join("map.db"), &[], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("inside the scanned folder"));
}

fn map_cmd(db: &Path, args: &[&str]) -> String {
    let out = bin().arg("map").arg("--map").arg(db).args(args).output().unwrap();
    ok(&out);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn map_report_counts_lists_top_files_and_retention() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    write_notes(&root, 3);
    std::fs::create_dir_all(root.join("HR")).unwrap();
    std::fs::write(
        root.join("HR/applicants.csv"),
        "Name,Email\nAmir Khan,amir@example.org\nLucy Smith,lucy@example.org\n",
    )
    .unwrap();
    // One old file, last modified three years ago.
    let old = std::fs::File::options().write(true).open(root.join("Clients/note-00.txt")).unwrap();
    old.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 366 * 86400)).unwrap();
    drop(old);
    let db = tmp.path().join("m.db");
    ok(&scan(&root, &db, &[], &[]));

    let json: serde_json::Value =
        serde_json::from_str(&map_cmd(&db, &["--by", "category", "--older-than", "2y", "--format", "json"])).unwrap();
    assert_eq!(json["totals"]["files_with_personal_data"], 4);
    let groups = json["groups"].as_array().unwrap();
    let nino = groups.iter().find(|g| g["name"] == "nino").unwrap();
    assert_eq!(nino["files"], 3);
    assert!(groups.iter().any(|g| g["name"] == "email" && g["files"] == 4));
    let retention = json["retention"].as_array().unwrap();
    assert_eq!(retention.len(), 1);
    assert_eq!(retention[0]["path"], "Clients/note-00.txt");
    assert_eq!(json["top_files"].as_array().unwrap().len(), 4);

    let by_folder = map_cmd(&db, &["--by", "folder"]);
    assert!(by_folder.contains("Clients") && by_folder.contains("HR"), "{by_folder}");
    assert!(by_folder.contains("more than 7 years ago"), "{by_folder}");

    let by_type: serde_json::Value =
        serde_json::from_str(&map_cmd(&db, &["--by", "type", "--format", "json"])).unwrap();
    let types: Vec<&str> = by_type["groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(types, ["text", "csv"]);

    let csv = map_cmd(&db, &["--format", "csv", "--older-than", "12m"]);
    assert!(csv.starts_with("section,name,files,findings,modified,detail\n"));
    assert!(csv.lines().any(|l| l.starts_with("past retention,") && l.contains("note-00.txt")), "{csv}");

    let html = map_cmd(&db, &["--format", "html"]);
    assert!(html.starts_with("<!doctype html>") && html.contains("<svg") && html.contains("<rect"));
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("src="), "self-contained");

    let bad = bin().args(["map", "--older-than", "2w", "--map"]).arg(&db).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn a_file_killed_half_recorded_is_read_again_not_reused() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    write_notes(&root, 2);
    // After the notes (by name): one file with many findings, 40 rows of a
    // name, a phone and an email.
    let rows: String = (0..40).map(|i| format!("Jane Roberts,07700 900{i:03},jane.roberts{i}@gmail.com\n")).collect();
    std::fs::write(root.join("Clients/roster.csv"), format!("Name,Phone,Email\n{rows}")).unwrap();
    let clean = tmp.path().join("clean.db");
    ok(&scan(&root, &clean, &[], &[]));
    let want = findings(&clean);
    let in_roster = count(&clean, "SELECT count(*) FROM findings_text WHERE path = 'Clients/roster.csv'");
    assert!(in_roster >= 100, "{in_roster}");

    // Commit every 25 findings and stop after 110, on one thread: the notes
    // are complete, the roster has some findings committed and no report.
    let db = tmp.path().join("killed.db");
    let env = [("PIISWEEP_TEST_MAP_BATCH_FINDINGS", "25"), ("PIISWEEP_TEST_ABORT_AFTER_FINDINGS", "110")];
    let killed = scan(&root, &db, &["--threads", "1"], &env);
    assert_eq!(killed.status.code(), Some(86), "{}", String::from_utf8_lossy(&killed.stderr));
    assert_eq!(count(&db, "SELECT count(*) FROM findings"), 100, "four commits of 25 findings");
    let partial = count(&db, "SELECT count(*) FROM findings_text WHERE path = 'Clients/roster.csv'");
    assert!(partial > 0 && partial < in_roster, "{partial} of {in_roster}");
    assert_eq!(count(&db, "SELECT count(*) FROM files WHERE status = 'scanned'"), 2, "the notes");
    assert_eq!(count(&db, "SELECT count(*) FROM files WHERE path = 'Clients/roster.csv' AND status = 'reading'"), 1);

    ok(&scan(&root, &db, &[], &[]));
    assert_eq!(last_run(&db), ("complete".into(), 1, 2, 0), "the notes reused, the roster read again");
    assert_eq!(count(&db, "SELECT count(*) FROM files WHERE status = 'reading'"), 0);
    assert_eq!(findings(&db), want, "same findings as a clean sweep, none twice");
}
