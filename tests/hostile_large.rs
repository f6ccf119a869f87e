//! Enormous and changing files: a 5 GB sparse file is passed over in
//! bounded memory, and a file truncated while it is read neither hangs nor
//! crashes the sweep.

mod common;
mod hostile;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::bin;
use hostile::{PHONE, put, run_measured};

/// Peak resident memory allowed for a sweep, in KB.
const MAX_RSS_KB: u64 = 300 * 1024;

fn scan_cmd(root: &Path, key_dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = bin();
    cmd.arg("scan").arg(root).args(["--jsonl", "-", "--reveal", "--key"]).arg(key_dir.join("k.key")).args(extra);
    cmd
}

#[test]
fn a_5gb_sparse_file_is_passed_over_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    put(&root, "ok.txt", format!("Mobile {PHONE}\n").as_bytes());
    // Sparse: 5 GB of NULs that take no disk space.
    let huge = std::fs::File::create(root.join("server.log.txt")).unwrap();
    huge.set_len(5 << 30).unwrap();
    drop(huge);

    // Sniffing sees NULs from its first byte and skips it as binary, unread,
    // whatever --max-file-size says (text has no size limit: it is streamed).
    for extra in [&[][..], &["--max-file-size", "10GB"]] {
        let (out, peak) = run_measured(scan_cmd(&root, tmp.path(), extra), Duration::from_secs(300));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(
            err.lines().any(|l| l.contains("binary file of unknown type") && l.contains("server.log.txt")),
            "{err}"
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains(PHONE), "the file beside it is still scanned");
        eprintln!("peak RSS {peak} KB with {extra:?}");
        assert!(peak > 0 && peak < MAX_RSS_KB, "peak RSS {peak} KB");
    }
}

#[test]
fn a_large_text_file_with_no_line_breaks_is_read_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    // 48 MB on one line (minified export), personal data near the end.
    let mut text = "x".repeat(48 << 20);
    text.push_str(&format!(" Mobile {PHONE}\n"));
    put(&root, "export.txt", text.as_bytes());
    drop(text);
    let (out, peak) = run_measured(scan_cmd(&root, tmp.path(), &["--quiet"]), Duration::from_secs(300));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(PHONE));
    eprintln!("peak RSS: {peak} KB");
    assert!(peak > 0 && peak < MAX_RSS_KB, "peak RSS {peak} KB");
}

/// Most a sweep's peak memory may grow, in KB, over a sweep of one small
/// file, whatever the number of findings: findings stream in bounded batches.
const MAX_GROWTH_KB: u64 = 64 * 1024;

/// A CSV of `rows` different people, one a row: name, mobile, email, postcode.
fn dense_csv(rows: usize) -> String {
    const FIRST: &[&str] = &["Jane", "Amir", "Lucy", "Tom", "Priya", "David", "Sarah", "Mohammed", "Emma", "James"];
    const LAST: &[&str] =
        &["Roberts", "Khan", "Smith", "Jones", "Patel", "Brown", "Taylor", "Wilson", "Evans", "Davies"];
    const POSTCODES: &[&str] = &["ME14 5PP", "SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "LS1 4AP", "EH1 2NG"];
    let mut csv = String::from("Name,Phone,Email,Postcode\n");
    for i in 0..rows {
        let (first, last) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
        let email = format!("{}.{}{i}@gmail.com", first.to_lowercase(), last.to_lowercase());
        let postcode = POSTCODES[(i / 7) % POSTCODES.len()];
        csv.push_str(&format!("{first} {last},07700 900{:03},{email},{postcode}\n", i % 1000));
    }
    csv
}

/// The `Findings: N` total of a sweep's summary.
fn summary_total(stderr: &str) -> Option<usize> {
    stderr.lines().find_map(|l| l.strip_prefix("Findings: ")).and_then(|n| n.trim().parse().ok())
}

#[test]
fn a_dense_file_of_personal_data_streams_its_findings_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let small = tmp.path().join("small");
    put(&small, "ok.txt", format!("Mobile {PHONE}\n").as_bytes());
    let (out, peak_small) = run_measured(scan_cmd(&small, tmp.path(), &[]), Duration::from_secs(300));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let rows = 60_000;
    let root = tmp.path().join("drive");
    put(&root, "export.csv", dense_csv(rows).as_bytes());
    let (out, peak) = run_measured(scan_cmd(&root, tmp.path(), &[]), Duration::from_secs(300));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let lines = out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
    eprintln!("{lines} findings; peak RSS {peak} KB, {peak_small} KB for one small file");
    assert_eq!(Some(lines), summary_total(&err), "one JSON line per finding counted: {err}");
    assert!(lines >= 4 * rows, "every row's four items found: {lines} for {rows} rows");
    assert!(peak_small > 0 && peak < MAX_RSS_KB, "peak RSS {peak} KB");
    assert!(peak < peak_small + MAX_GROWTH_KB, "peak RSS {peak} KB grew with the findings (small: {peak_small} KB)");
}

#[test]
fn a_file_truncated_while_it_is_scanned_is_reported_and_the_sweep_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    put(&root, "ok.txt", format!("Mobile {PHONE}\n").as_bytes());
    let line = "Meeting notes, nothing personal here at all, just words and more words\n";
    // Larger than the reader's buffer, so that cutting it down is felt mid-read.
    put(&root, "growing.log", line.repeat((4 << 20) / line.len()).as_bytes());
    put(&root, "sheet.xlsx", &hostile::xlsx());
    let pause = tmp.path().join("pause");
    std::fs::create_dir(&pause).unwrap();

    // One worker reads the files in name order: growing.log, ok.txt,
    // sheet.xlsx. It pauses at the log's first block of text (a test hook);
    // both files are cut down then, so the log shrinks while it is open and
    // half read, and the sheet before it is opened. No timing is left to chance.
    let mut cmd = scan_cmd(&root, tmp.path(), &["--threads", "1"]);
    cmd.env("PIISWEEP_TEST_PAUSE_ON", "growing.log").env("PIISWEEP_TEST_PAUSE_DIR", &pause);
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start piisweep");
    let start = Instant::now();
    while !pause.join("paused").exists() {
        assert!(start.elapsed() < Duration::from_secs(300), "the sweep never reached the log");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(wait_until_open(child.id(), &root.join("growing.log"), Duration::from_secs(5)), "the log is open");
    std::fs::OpenOptions::new().write(true).open(root.join("growing.log")).unwrap().set_len(1000).unwrap();
    std::fs::OpenOptions::new().write(true).open(root.join("sheet.xlsx")).unwrap().set_len(100).unwrap();
    std::fs::write(pause.join("resume"), b"").unwrap();
    let waited = std::thread::spawn(move || child.wait_with_output());
    let start = Instant::now();
    while !waited.is_finished() {
        assert!(start.elapsed() < Duration::from_secs(300), "the sweep hung after a file was truncated");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = waited.join().unwrap().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    eprintln!("{err}");
    assert_eq!(out.status.code(), Some(3), "a file could not be read: {err}");
    // Every file is accounted for: the log and its neighbour scanned, the sheet failed.
    let count = |prefix: &str| -> Option<usize> {
        err.lines().find_map(|l| l.strip_prefix(prefix)).and_then(|rest| rest.split_whitespace().next()?.parse().ok())
    };
    assert_eq!((count("Scanned "), count("FAILED "), count("Skipped ")), (Some(2), Some(1), None), "{err}");
    assert!(!err.contains("internal error"), "{err}");
    // The log was read up to where it was cut, with a warning that it changed.
    assert!(err.lines().any(|l| l.contains("growing.log") && l.contains("changed while being read")), "{err}");
    assert!(err.lines().any(|l| l.contains("sheet.xlsx: corrupt or unreadable xlsx")), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(PHONE), "the file beside it is still scanned");
}

/// Poll `/proc/PID/fd` until process `pid` has `file` open; false on timeout.
fn wait_until_open(pid: u32, file: &Path, limit: Duration) -> bool {
    let start = Instant::now();
    let fd_dir = format!("/proc/{pid}/fd");
    while start.elapsed() < limit {
        if let Ok(fds) = std::fs::read_dir(&fd_dir)
            && fds.flatten().any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| t == file))
        {
            return true;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    false
}
