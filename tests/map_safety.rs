//! The data map survives concurrency and interruption: one sweep at a time
//! (a second waits, or refuses with --no-wait), a sweep killed (SIGKILL) at
//! any point leaves a map the next sweep completes to exactly the findings
//! of an uninterrupted sweep, and Ctrl-C stops cleanly. Also: an unchanged
//! rescan does not read the recorded findings unless --jsonl needs them.

mod common;

use std::io::BufRead;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::bin;
use rusqlite::Connection;

/// A drive: case notes, and a CSV with many findings (more than a batch).
fn write_drive(dir: &Path, notes: usize) {
    std::fs::create_dir_all(dir.join("Clients")).unwrap();
    for i in 0..notes {
        let text = format!(
            "Case notes\nClient: Mrs Jane Roberts\nNI number: AB 12 34 {:02} C\nTel: 07700 900{:03}\nEmail: client{i}@example.org\n",
            i % 100,
            i
        );
        std::fs::write(dir.join(format!("Clients/note-{i:02}.txt")), text).unwrap();
    }
    let rows: String =
        (0..60).map(|i| format!("Amir Khan,07700 901{i:03},amir.khan{i}@gmail.com,ME14 5PP\n")).collect();
    std::fs::write(dir.join("Clients/roster.csv"), format!("Name,Phone,Email,Postcode\n{rows}")).unwrap();
}

fn scan_cmd(root: &Path, map: &Path, extra: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = bin();
    cmd.arg("scan").arg(root).arg(format!("--map={}", map.display())).arg("--quiet").args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn scan(root: &Path, map: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    scan_cmd(root, map, extra, env).output().unwrap()
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
}

fn count(db: &Path, sql: &str) -> i64 {
    Connection::open(db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Every finding row, readably, sorted (duplicates kept).
fn findings(db: &Path) -> Vec<(String, String, String, String, String, String)> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT path, location, category, hash, masked, rule FROM findings_text ORDER BY 1, 2, 3, 4, 5, 6")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Every file's (path, status, findings).
fn files(db: &Path) -> Vec<(String, String, i64)> {
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT path, status, findings FROM files ORDER BY path").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
}

/// No file is recorded as done with part of its findings, nor as gone while
/// it is on disk.
fn consistent(db: &Path, root: &Path) {
    let partial = count(
        db,
        "SELECT count(*) FROM files f WHERE status = 'scanned'
         AND findings <> (SELECT count(*) FROM findings WHERE file_id = f.id)",
    );
    assert_eq!(partial, 0, "a file recorded as scanned with part of its findings: {:?}", files(db));
    let conn = Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT abs FROM files WHERE status = 'gone'").unwrap();
    for abs in stmt.query_map([], |r| r.get::<_, String>(0)).unwrap() {
        let abs = abs.unwrap();
        assert!(!Path::new(&abs).exists() || !abs.starts_with(&*root.to_string_lossy()), "{abs} marked gone");
    }
}

#[test]
fn a_second_sweep_waits_for_the_first_or_refuses_with_no_wait() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    write_drive(&root, 3);
    let db = tmp.path().join("m.db");
    // This test holds the map's lock, as a running sweep would.
    let held = piisweep::map::lock::lock(&db, piisweep::map::lock::Wait::No, &mut |_| {}).unwrap();
    let pid = std::process::id().to_string();

    let refused = scan(&root, &db, &["--no-wait"], &[]);
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("being written by another sweep") && err.contains(&format!("process id {pid}")), "{err}");
    assert!(!db.exists() || count(&db, "SELECT count(*) FROM runs") == 0, "nothing was written");

    let mut waiting = scan_cmd(&root, &db, &[], &[]).stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = std::io::BufReader::new(waiting.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("waiting for it to finish") && line.contains(&format!("process id {pid}")), "{line}");
    assert!(!db.exists() || count(&db, "SELECT count(*) FROM runs") == 0, "it waits before touching the map");
    drop(held);
    let status = waiting.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    assert_eq!(count(&db, "SELECT count(*) FROM runs WHERE status = 'complete'"), 1);
}

#[test]
fn two_sweeps_started_together_leave_the_map_of_one() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    write_drive(&root, 40);
    let clean = tmp.path().join("clean.db");
    ok(&scan(&root, &clean, &[], &[]));
    let want = findings(&clean);

    for round in 0..3 {
        let db = tmp.path().join(format!("shared-{round}.db"));
        let first = scan_cmd(&root, &db, &[], &[]).stderr(Stdio::piped()).spawn().unwrap();
        let second = scan_cmd(&root, &db, &[], &[]).stderr(Stdio::piped()).spawn().unwrap();
        ok(&first.wait_with_output().unwrap());
        ok(&second.wait_with_output().unwrap());
        consistent(&db, &root);
        assert_eq!(findings(&db), want);
        assert_eq!(count(&db, "SELECT count(*) FROM files WHERE status <> 'scanned'"), 0, "{:?}", files(&db));
        // One read every file, then the other found them all unchanged.
        let runs: Vec<(i64, i64, i64)> = Connection::open(&db)
            .unwrap()
            .prepare("SELECT files_read, files_reused, files_gone FROM runs ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(runs, [(41, 0, 0), (0, 41, 0)]);
    }
}

/// Kill a sweep (SIGKILL) at many points of writing the map, from an empty
/// map and in a rescan of a changed drive; kill the resuming sweep too; the
/// sweep after always completes the map to exactly a clean sweep's findings.
#[test]
fn a_sweep_killed_at_any_point_is_completed_by_the_next_to_the_same_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    write_drive(&root, 12);
    let before = tmp.path().join("before.db");
    ok(&scan(&root, &before, &[], &[]));
    let want_before = findings(&before);
    let steps = want_before.len() as u64; // at least one step per finding

    // The changed drive: one note rewritten, one deleted, one added.
    let copy = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to.join("Clients")).unwrap();
        for e in std::fs::read_dir(from.join("Clients")).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join("Clients").join(e.file_name())).unwrap();
        }
    };
    let change = |dir: &Path| {
        std::fs::write(dir.join("Clients/note-03.txt"), "Now only: 07700 900999 and lucy@example.org\n").unwrap();
        std::fs::remove_file(dir.join("Clients/note-05.txt")).unwrap();
        std::fs::write(dir.join("Clients/new.txt"), "New client: Priya Patel, AB 99 88 77 C\n").unwrap();
    };
    let after = tmp.path().join("after.db");
    let fresh = tmp.path().join("fresh");
    copy(&root, &fresh);
    change(&fresh);
    ok(&scan(&fresh, &after, &[], &[]));
    let paths_after: Vec<String> = files(&after).into_iter().map(|f| f.0).collect();

    let env = |kill: &'static str| {
        vec![
            ("PIISWEEP_TEST_MAP_BATCH", "3"),
            ("PIISWEEP_TEST_MAP_BATCH_FINDINGS", "7"),
            ("PIISWEEP_TEST_KILL_AT", kill),
        ]
    };
    let points: Vec<u64> = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144].into_iter().filter(|&n| n < steps).collect();
    assert!(points.len() >= 8, "{steps} steps");
    for (i, &n) in points.iter().enumerate() {
        let kill: &'static str = Box::leak(n.to_string().into_boxed_str());
        let resume_kill: &'static str = Box::leak((n / 2 + 1).to_string().into_boxed_str());

        // From an empty map.
        let db = tmp.path().join(format!("empty-{i}.db"));
        let killed = scan(&root, &db, &["--threads", "2"], &env(kill));
        assert_eq!(killed.status.signal(), Some(libc::SIGKILL), "kill at {n}: {:?}", killed.status);
        consistent(&db, &root);
        // The resuming sweep is killed too, at another point, before one completes it.
        let again = scan(&root, &db, &["--threads", "2"], &env(resume_kill));
        assert!(again.status.signal() == Some(libc::SIGKILL) || again.status.code() == Some(0));
        consistent(&db, &root);
        ok(&scan(&root, &db, &[], &[]));
        assert_eq!(findings(&db), want_before, "killed at step {n}, then at {}", n / 2 + 1);
        assert_eq!(count(&db, "SELECT count(*) FROM files WHERE status <> 'scanned'"), 0);

        // A rescan of the changed drive over a complete map.
        let drive = tmp.path().join(format!("drive-{i}"));
        copy(&root, &drive);
        let db = tmp.path().join(format!("rescan-{i}.db"));
        ok(&scan(&drive, &db, &[], &[]));
        change(&drive);
        let killed = scan(&drive, &db, &["--threads", "2"], &env(kill));
        // A rescan takes fewer steps than a first sweep: it may finish first.
        assert!(killed.status.signal() == Some(libc::SIGKILL) || killed.status.code() == Some(0));
        consistent(&db, &drive);
        ok(&scan(&drive, &db, &[], &[]));
        assert_eq!(findings(&db), findings(&after), "rescan killed at step {n}");
        let live: Vec<String> = files(&db).into_iter().filter(|f| f.1 != "gone").map(|f| f.0).collect();
        assert_eq!(live, paths_after);
        assert_eq!(count(&db, "SELECT count(*) FROM files WHERE status = 'gone' AND path = 'Clients/note-05.txt'"), 1);
    }
}

/// The search indexes (by keyed hash and by name word) in the map's schema.
fn search_indexes(db: &Path) -> i64 {
    count(
        db,
        "SELECT count(*) FROM sqlite_master WHERE type = 'index'
         AND name IN ('findings_hkey', 'findings_word1', 'findings_word2')",
    )
}

/// Who a search found, as (paths matched, stderr), through the binary.
fn sar_paths(db: &Path) -> (std::collections::BTreeSet<String>, String) {
    let out =
        bin().arg("sar").arg("--map").arg(db).args(["--name", "Jane Roberts", "--format", "json"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // 3: a file being read when the sweep was killed could not be searched.
    assert!(matches!(out.status.code(), Some(0 | 3)), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths = v["matches"].as_array().unwrap().iter().map(|m| m["path"].as_str().unwrap().to_string()).collect();
    (paths, stderr)
}

/// A first sweep makes the search indexes at its end; one killed before
/// then leaves a map without them. `sar` (a reader) searches it without
/// them, says so, and changes nothing; the next sweep (the writer) makes
/// them again and completes the map.
#[test]
fn a_first_sweep_killed_before_indexing_leaves_a_map_sar_can_search() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    write_drive(&root, 12);
    let clean = tmp.path().join("clean.db");
    ok(&scan(&root, &clean, &[], &[]));
    assert_eq!(search_indexes(&clean), 3, "a complete first sweep leaves every index");
    let steps = findings(&clean).len().to_string();

    let db = tmp.path().join("killed.db");
    let env = [
        ("PIISWEEP_TEST_MAP_BATCH", "3"),
        ("PIISWEEP_TEST_MAP_BATCH_FINDINGS", "7"),
        ("PIISWEEP_TEST_KILL_AT", &*steps),
    ];
    let killed = scan(&root, &db, &["--threads", "2"], &env);
    assert_eq!(killed.status.signal(), Some(libc::SIGKILL), "{:?}", killed.status);
    consistent(&db, &root);
    assert_eq!(search_indexes(&db), 0, "the killed first sweep had dropped them");
    let notes = count(&db, "SELECT count(*) FROM files WHERE status = 'scanned' AND path LIKE '%note-%'");
    assert!(notes > 0, "{:?}", files(&db));

    let (paths, stderr) = sar_paths(&db);
    assert!(paths.len() as i64 >= notes, "every recorded note names her: {paths:?}");
    assert!(stderr.contains("lacks its search indexes"), "{stderr}");
    assert_eq!(search_indexes(&db), 0, "a reader changes nothing in the map");
    let report = bin().arg("map").arg("--map").arg(&db).args(["--format", "json"]).output().unwrap();
    assert_eq!(report.status.code(), Some(0), "{}", String::from_utf8_lossy(&report.stderr));

    ok(&scan(&root, &db, &[], &[]));
    assert_eq!(search_indexes(&db), 3, "the next sweep made them again");
    assert_eq!(findings(&db), findings(&clean));
    let (paths, stderr) = sar_paths(&db);
    assert_eq!(paths.len(), 12, "{paths:?}");
    assert!(!stderr.contains("note:"), "{stderr}");
}

/// A rescan that deletes and adds at least as many findings as the map held
/// (here: every file rewritten) drops the search indexes and makes them at
/// its end, as a first sweep does; a rescan that changes a little keeps
/// them. Stopped after recording every file but before its end, the first
/// leaves a map without them, which `sar` searches; the next sweep makes
/// them again, with the findings of a first sweep of the changed drive.
#[test]
fn a_rescan_that_rewrites_most_of_the_map_indexes_at_its_end() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    write_drive(&root, 12);
    let files_on_drive = "13";
    let db = tmp.path().join("m.db");
    ok(&scan(&root, &db, &[], &[]));
    let env = [("PIISWEEP_TEST_MAP_BATCH", "1"), ("PIISWEEP_TEST_ABORT_AFTER", files_on_drive)];
    let last_run_read = |db: &Path, path: &str| {
        count(
            db,
            &format!(
                "SELECT count(*) FROM files WHERE path = '{path}' AND status = 'scanned'
                 AND scanned_in_run = (SELECT max(id) FROM runs)"
            ),
        )
    };

    // One note changed: its few findings are replaced with the indexes in place.
    std::fs::write(root.join("Clients/note-03.txt"), "Client: Mrs Jane Roberts, 07700 900999\n").unwrap();
    let stopped = scan(&root, &db, &[], &env);
    assert_eq!(stopped.status.code(), Some(86), "{}", String::from_utf8_lossy(&stopped.stderr));
    assert_eq!(last_run_read(&db, "Clients/note-03.txt"), 1, "{:?}", files(&db));
    assert_eq!(search_indexes(&db), 3, "a small rescan keeps the indexes");
    ok(&scan(&root, &db, &[], &[]));

    // Every file rewritten (other people, other numbers).
    for i in 0..12 {
        let text = format!("Referral\nClient: Mr Tom Evans\nTel: 07700 902{i:03}\nEmail: tom{i}@example.net\n");
        std::fs::write(root.join(format!("Clients/note-{i:02}.txt")), text).unwrap();
    }
    let rows: String = (0..60).map(|i| format!("Ewa Nowak,07700 903{i:03},ewa{i}@example.com,M1 1AE\n")).collect();
    std::fs::write(root.join("Clients/roster.csv"), format!("Name,Phone,Email,Postcode\n{rows}")).unwrap();
    let stopped = scan(&root, &db, &[], &env);
    assert_eq!(stopped.status.code(), Some(86), "{}", String::from_utf8_lossy(&stopped.stderr));
    assert_eq!(last_run_read(&db, "Clients/roster.csv"), 1, "{:?}", files(&db));
    assert_eq!(search_indexes(&db), 0, "a rescan rewriting the map makes the indexes at its end");
    consistent(&db, &root);
    let (paths, stderr) = sar_paths(&db);
    assert!(paths.is_empty(), "Jane Roberts is no longer on the drive: {paths:?}");
    assert!(stderr.contains("lacks its search indexes"), "{stderr}");
    let out =
        bin().arg("sar").arg("--map").arg(&db).args(["--name", "Tom Evans", "--format", "json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["matches"].as_array().unwrap().len(), 12, "{v}");

    ok(&scan(&root, &db, &[], &[]));
    assert_eq!(search_indexes(&db), 3, "the next sweep made them again");
    let fresh = tmp.path().join("fresh.db");
    ok(&scan(&root, &fresh, &[], &[]));
    assert_eq!(findings(&db), findings(&fresh));
}

/// `sar` and `map` read a map while a sweep holds its lock and an open
/// write transaction (as a first sweep does between its commits, with the
/// search indexes dropped): they answer from what is committed and say a
/// sweep is still writing, instead of waiting for the write lock (which
/// used to end, after a 10 s wait, in "not a piisweep data map").
#[test]
fn readers_answer_while_a_sweep_is_writing_the_map() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    write_drive(&root, 4);
    let db = tmp.path().join("m.db");
    ok(&scan(&root, &db, &[], &[]));

    // Play a running first sweep: its lock, an open write transaction, no search indexes.
    let lock = std::fs::OpenOptions::new().read(true).write(true).open(format!("{}.lock", db.display())).unwrap();
    {
        use std::os::unix::io::AsRawFd;
        assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
    }
    std::fs::write(format!("{}.lock", db.display()), "sweephost 4242\n").unwrap();
    let writer = Connection::open(&db).unwrap();
    writer
        .execute_batch(
            "DROP INDEX findings_hkey; DROP INDEX findings_word1; DROP INDEX findings_word2;
             BEGIN IMMEDIATE; INSERT INTO runs(started, status, roots, settings, reveal) VALUES ('now', 'running', '[]', 's', 0);",
        )
        .unwrap();

    let (paths, stderr) = sar_paths(&db);
    assert_eq!(paths.len(), 4, "{paths:?}");
    assert!(stderr.contains("a sweep (on sweephost, process id 4242) is still writing the data map"), "{stderr}");
    let report = bin().arg("map").arg("--map").arg(&db).args(["--format", "json"]).output().unwrap();
    assert_eq!(report.status.code(), Some(0), "{}", String::from_utf8_lossy(&report.stderr));
    assert!(String::from_utf8_lossy(&report.stderr).contains("still writing"));

    writer.execute_batch("ROLLBACK").unwrap();
    assert_eq!(search_indexes(&db), 0, "the readers left the map as it was");
    drop(lock);
    ok(&scan(&root, &db, &[], &[]));
    assert_eq!(search_indexes(&db), 3, "the next sweep made them again");
}

#[test]
fn ctrl_c_stops_cleanly_says_how_to_resume_and_the_next_sweep_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    write_drive(&root, 6);
    let clean = tmp.path().join("clean.db");
    let clean_jsonl = tmp.path().join("clean.jsonl");
    ok(&scan(&root, &clean, &["--jsonl", clean_jsonl.to_str().unwrap()], &[]));
    let mut want_lines: Vec<String> =
        std::fs::read_to_string(&clean_jsonl).unwrap().lines().map(String::from).collect();
    want_lines.sort();

    // The sweep pauses at the start of the roster; the test presses Ctrl-C
    // (SIGINT to the process) then lets it go on.
    let pause = tmp.path().join("pause");
    std::fs::create_dir_all(&pause).unwrap();
    let db = tmp.path().join("m.db");
    let jsonl = tmp.path().join("out.jsonl");
    let env = [("PIISWEEP_TEST_PAUSE_ON", "roster.csv"), ("PIISWEEP_TEST_PAUSE_DIR", pause.to_str().unwrap())];
    let child = scan_cmd(&root, &db, &["--threads", "1", "--jsonl", jsonl.to_str().unwrap()], &env)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !pause.join("paused").exists() {
        assert!(started.elapsed().as_secs() < 60, "the sweep never reached the roster");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // SAFETY: sending SIGINT to our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    // Let the handler run before the sweep goes on.
    std::thread::sleep(std::time::Duration::from_millis(200));
    std::fs::write(pause.join("resume"), b"").unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.signal(), Some(libc::SIGINT), "ends as interrupted: {err}");
    assert!(
        err.contains("Stopped:") && err.contains("files done") && err.contains("To resume, run the same command again"),
        "{err}"
    );

    let written = std::fs::read_to_string(&jsonl).unwrap();
    assert!(written.is_empty() || written.ends_with('\n'), "--jsonl ends on a whole line");
    for l in written.lines() {
        serde_json::from_str::<serde_json::Value>(l).unwrap_or_else(|e| panic!("{l:?}: {e}"));
    }
    consistent(&db, &root);
    assert_eq!(count(&db, "SELECT count(*) FROM runs WHERE status = 'stopped'"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM files WHERE status = 'gone'"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM files WHERE path = 'Clients/roster.csv' AND status = 'scanned'"), 0);
    assert!(count(&db, "SELECT count(*) FROM files WHERE status = 'scanned'") < 7);

    let resumed = scan(&root, &db, &["--jsonl", jsonl.to_str().unwrap()], &[]);
    ok(&resumed);
    assert_eq!(findings(&db), findings(&clean));
    let mut lines: Vec<String> = std::fs::read_to_string(&jsonl).unwrap().lines().map(String::from).collect();
    lines.sort();
    assert_eq!(lines, want_lines, "the resumed sweep writes every finding, read or recorded");
}

#[test]
fn an_unchanged_rescan_does_not_read_recorded_findings_unless_jsonl_needs_them() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    write_drive(&root, 4);
    let db = tmp.path().join("m.db");
    let first = scan_cmd(&root, &db, &[], &[]).arg("--jsonl").arg(tmp.path().join("a.jsonl")).output().unwrap();
    ok(&first);
    let summary = |out: &Output| {
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        // From the counts of findings on (the lines before hold times).
        err.find("Findings:").map(|i| err[i..].to_string()).unwrap_or(err)
    };
    let loud = |extra: &[&str]| {
        let mut cmd = bin();
        cmd.arg("scan").arg(&root).arg(format!("--map={}", db.display())).args(extra);
        cmd.output().unwrap()
    };
    let before = loud(&[]);
    ok(&before);
    // Take the findings' text out from under the map: an unchanged rescan
    // that does not need them must not notice.
    let conn = Connection::open(&db).unwrap();
    conn.execute("UPDATE findings SET masked = 'NOT READ'", []).unwrap();
    drop(conn);
    let after = loud(&[]);
    ok(&after);
    assert_eq!(summary(&after), summary(&before));
    let err = String::from_utf8_lossy(&after.stderr);
    assert!(err.contains("0 files read, 5 unchanged") && err.contains("went on the map"), "{err}");

    // With --jsonl, the recorded findings are what is written.
    let out = tmp.path().join("b.jsonl");
    ok(&loud(&["--quiet", "--jsonl", out.to_str().unwrap()]));
    let written = std::fs::read_to_string(&out).unwrap();
    let first_lines = std::fs::read_to_string(tmp.path().join("a.jsonl")).unwrap();
    assert_eq!(written.lines().count(), first_lines.lines().count());
    assert!(written.lines().all(|l| l.contains("\"masked\":\"NOT READ\"")), "{written}");
}
