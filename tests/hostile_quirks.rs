//! Real-world quirks, run through the real binary: text files with binary
//! data after their text, mail that other tools write, oversized lines and
//! pathological markup. Every input is built here.

mod common;
mod hostile;

use std::path::Path;
use std::process::Output;

use common::scan_reveal;
use hostile::{EMAIL, PHONE, put};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The paths of all findings whose value is `value`.
fn paths_with(lines: &[serde_json::Value], value: &str) -> Vec<String> {
    let mut paths: Vec<String> =
        lines.iter().filter(|l| l["value"] == value).map(|l| l["path"].as_str().unwrap_or_default().into()).collect();
    paths.sort();
    paths.dedup();
    paths
}

/// The summary line naming `path` contains every one of `words`.
fn assert_reported(stderr: &str, path: &str, words: &[&str]) {
    assert!(
        stderr.lines().any(|l| l.contains(path) && words.iter().all(|w| l.contains(w))),
        "expected {path:?} reported with {words:?} in:\n{stderr}"
    );
}

/// A sweep of `root` with the summary on stderr (not --quiet).
fn sweep(root: &Path, key_dir: &Path, extra: &[&str]) -> (Output, Vec<serde_json::Value>) {
    let mut cmd = common::bin();
    cmd.arg("scan").arg(root).args(["--jsonl", "-", "--reveal", "--key"]).arg(key_dir.join("k.key")).args(extra);
    let out = cmd.output().expect("run piisweep");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect();
    (out, lines)
}

#[test]
fn text_before_binary_data_is_read_up_to_it_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    // A log whose tail was overwritten with NULs (a crash), then more text.
    let head = format!("2024-03-01 09:00 call from Jane Roberts, mobile {PHONE}\n").repeat(20);
    let mut log = head.clone().into_bytes();
    log.extend(vec![0u8; 4096]);
    log.extend(format!("after the damage: {EMAIL}\n").bytes());
    let rest = log.len() - head.len();
    put(&root, "server.log", &log);
    // A CSV with binary garbage after its rows.
    let mut csv = format!("Name,Mobile\nJane Roberts,{PHONE}\n").into_bytes();
    csv.extend(b"Amir Khan,07700 900456\n\0\0\x01\x02garbage");
    put(&root, "export.csv", &csv);
    // A sparse file: 1.5 GB, its first bytes text and the rest a hole. Over
    // the default --max-file-size (1 GB), but text is streamed: no limit.
    let sparse_text = format!("Referral notes\nEmail {EMAIL}\n");
    put(&root, "notes.txt", sparse_text.as_bytes());
    std::fs::OpenOptions::new().write(true).open(root.join("notes.txt")).unwrap().set_len(3 << 29).unwrap();
    // Still binary: NULs from the first byte, or after a few bytes only.
    put(&root, "blob.txt", &[b"abc".as_slice(), &[0u8; 2000]].concat());

    let (out, lines) = sweep(&root, tmp.path(), &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(paths_with(&lines, PHONE), ["export.csv", "server.log"], "{err}");
    assert_eq!(paths_with(&lines, "07700 900456"), ["export.csv"]);
    // The text after the NULs is not read, as ripgrep would not.
    assert_eq!(paths_with(&lines, EMAIL), ["notes.txt"]);
    assert_reported(&err, "server.log", &[&format!("from byte {}", head.len()), &format!("rest ({rest} bytes)")]);
    assert_reported(&err, "export.csv", &["binary data", "was not read"]);
    assert_reported(&err, "notes.txt", &[&format!("from byte {}", sparse_text.len()), "1535 MB"]);
    assert_reported(&err, "blob.txt", &["binary file of unknown type"]);
    assert!(err.contains("Scanned 3 files"), "{err}");
}

#[test]
fn max_file_size_applies_to_formats_read_whole_only() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let mut pdf = hostile::pdf(&format!("Mobile {PHONE}"));
    // A PDF comment after %%EOF pads it to 2 MB.
    pdf.extend(b"\n%");
    pdf.resize(2 << 20, b'x');
    put(&root, "report.pdf", &pdf);
    let filler = format!("{}\n", "x".repeat(1000));
    put(&root, "big.txt", format!("Email {EMAIL}\n{}", filler.repeat(1100)).as_bytes());
    let (out, lines) = sweep(&root, tmp.path(), &["--max-file-size", "1MB"]);
    let err = stderr(&out);
    assert_reported(&err, "report.pdf", &["larger than --max-file-size"]);
    assert_eq!(paths_with(&lines, EMAIL), ["big.txt"], "{err}");
    assert!(paths_with(&lines, PHONE).is_empty());
}

#[test]
fn an_mbox_whose_separator_has_no_date_is_split_not_nested() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let mbox = format!(
        "From jane@example.org\nFrom: Jane Roberts <{EMAIL}>\nSubject: one\n\nCall me on {PHONE}\n\n\
         From bob@example.org Mon Jan  1 09:00:00 2024\nFrom: Bob <bob@example.org>\nSubject: two\n\nEmail priya.patel@gmail.com\n"
    );
    put(&root, "Mail/archive", mbox.as_bytes());
    let (out, lines) = scan_reveal(&[&root], &[], tmp.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("nested"), "{err}");
    assert_eq!(paths_with(&lines, PHONE), ["Mail/archive!1"], "{err}");
    assert_eq!(paths_with(&lines, "priya.patel@gmail.com"), ["Mail/archive!2"]);
}

#[test]
fn an_mbox_with_8bit_bytes_and_stray_nuls_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let mut mbox = b"From jane@example.org Mon Jan  1 09:00:00 2024\nFrom: Zo\xEB Bront\xEB <zoe@example.org>\nSubject: caf\xE9\n\nBody with Latin-1: Zo\xEB, mobile "
        .to_vec();
    mbox.extend(PHONE.bytes());
    mbox.extend(b"\nA stray NUL here:\0 and on.\n\nFrom bob@example.org Mon Jan  1 10:00:00 2024\nFrom: Bob <bob@example.org>\n\nEmail ");
    mbox.extend(EMAIL.bytes());
    mbox.extend(b"\n");
    put(&root, "Mail/Inbox.mbox", &mbox);
    let (out, lines) = scan_reveal(&[&root], &[], tmp.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(paths_with(&lines, PHONE), ["Mail/Inbox.mbox!1"], "{err}");
    assert_eq!(paths_with(&lines, EMAIL), ["Mail/Inbox.mbox!2"], "{err}");
    assert!(lines.iter().any(|l| l["location"] == "header From" && l["value"] == "zoe@example.org"), "{lines:?}");
}
