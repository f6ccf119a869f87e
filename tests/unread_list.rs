//! The whole list of what was not read (#26 item 7): every file and part
//! skipped or failed is written with its reason to a CSV file the summary
//! names; the summary groups parts under the file they are in and counts
//! files and parts apart; the list is refused inside a swept folder.

mod common;
mod hostile;

use std::path::Path;

use common::bin;
use hostile::{PHONE, pdf, put, scribbled, zip_of};

/// A zip of `n` members, each 4 MB of zeros: each over the ratio limit.
fn bomb_zip(n: usize) -> Vec<u8> {
    let zeros = vec![0u8; 4 << 20];
    let names: Vec<String> = (0..n).map(|i| format!("m{i:02}.txt")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &zeros[..])).collect();
    zip_of(&members)
}

fn drive(root: &Path) {
    put(root, "ok.txt", format!("Call Jane on {PHONE}\n").as_bytes());
    put(root, "Old/bomb.zip", &bomb_zip(10));
    put(root, "broken.pdf", &scribbled(&pdf("Jane Roberts")));
    put(root, "tmp/cache.bin", b"left out");
}

fn rows(csv_path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(csv_path).unwrap_or_else(|e| panic!("{}: {e}", csv_path.display()));
    assert_eq!(r.headers().unwrap(), vec!["file", "part", "status", "reason"]);
    r.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect()
}

#[test]
fn everything_not_read_is_listed_beside_the_findings_and_grouped_in_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    drive(&root);
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let jsonl = out_dir.join("findings.jsonl");
    let out = bin()
        .arg("scan")
        .arg(&root)
        .arg("--jsonl")
        .arg(&jsonl)
        .args(["--exclude", "tmp/**", "--key"])
        .arg(tmp.path().join("k.key"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");

    let list = out_dir.join("piisweep-unread.csv");
    let rows = rows(&list);
    let bomb: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "Old/bomb.zip").collect();
    assert_eq!(bomb.len(), 10, "{rows:?}");
    for (i, r) in bomb.iter().enumerate() {
        assert_eq!(r[1], format!("Old/bomb.zip!m{i:02}.txt"), "{rows:?}");
        assert_eq!(r[2], "failed");
        assert!(r[3].contains("compression ratio over"), "{r:?}");
    }
    assert!(rows.iter().any(|r| r[0] == "broken.pdf" && r[1].is_empty() && r[2] == "failed"), "{rows:?}");
    assert!(rows.iter().any(|r| r[0] == "tmp/cache.bin" && r[2] == "skipped" && r[3].contains("exclude")), "{rows:?}");
    assert!(!rows.iter().any(|r| r[0] == "ok.txt"), "{rows:?}");

    // The summary: files and parts counted apart, the ten parts on one line, the list named.
    assert!(err.contains("FAILED 1 file and 10 parts"), "{err}");
    assert!(err.contains("Skipped 1 file"), "{err}");
    let grouped: Vec<&str> = err.lines().filter(|l| l.contains("Old/bomb.zip")).collect();
    assert_eq!(grouped.len(), 1, "{err}");
    assert!(grouped[0].contains("Old/bomb.zip: 10 parts: limit hit: compression ratio over"), "{err}");
    assert!(err.contains(&format!("{}", list.display())), "{err}");
    assert!(String::from_utf8_lossy(&std::fs::read(&jsonl).unwrap()).contains("ok.txt"));
}

#[test]
fn unread_names_its_own_file_and_is_refused_inside_a_swept_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    drive(&root);
    let key = tmp.path().join("k.key");

    // Inside the swept folder: refused before anything is read or written.
    let inside = root.join("unread.csv");
    let out = bin().arg("scan").arg(&root).arg("--unread").arg(&inside).arg("--key").arg(&key).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--unread"), "{err}");
    assert!(!inside.exists());

    // Elsewhere, with --map: the list is written and the map has the parts too.
    let list = tmp.path().join("list.csv");
    let map = tmp.path().join("map.db");
    let out = bin()
        .arg("scan")
        .arg(&root)
        .arg("--unread")
        .arg(&list)
        .arg(format!("--map={}", map.display()))
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = rows(&list);
    assert_eq!(rows.iter().filter(|r| r[0] == "Old/bomb.zip" && r[2] == "failed").count(), 10, "{rows:?}");
    let report = bin().arg("map").arg(format!("--map={}", map.display())).output().unwrap();
    let text = String::from_utf8_lossy(&report.stdout);
    for i in 0..10 {
        assert!(text.contains(&format!("Old/bomb.zip!m{i:02}.txt")), "{text}");
    }
    assert!(text.contains("broken.pdf"), "{text}");

    // A sweep with nothing unread writes the header alone: no old list is left.
    let clean = tmp.path().join("clean");
    put(&clean, "ok.txt", format!("Call Jane on {PHONE}\n").as_bytes());
    let out = bin().arg("scan").arg(&clean).arg("--unread").arg(&list).arg("--key").arg(&key).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(self::rows(&list).is_empty());
}
