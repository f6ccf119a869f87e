//! gzip and tar archives (#20 item 4) through the real binary: read as
//! containers through the one walker (`list.csv.gz!list.csv`,
//! `backup.tgz!HR/notes.txt`), and a gzip bomb refused by its compression
//! ratio in scan, anonymise and sar --bundle as a zip bomb is.

mod common;

use std::io::Write;
use std::path::Path;

use common::{bin, quads, scan_reveal};
use flate2::Compression;
use flate2::write::GzEncoder;

const EMAIL: &str = "jane.roberts@example.org";

fn gzip(name: Option<&str>, data: &[u8]) -> Vec<u8> {
    let mut builder = flate2::GzBuilder::new();
    if let Some(n) = name {
        builder = builder.filename(n);
    }
    let mut enc = builder.write(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

fn put(root: &Path, rel: &str, data: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

/// 20 MB of zeros, gzipped to about 20 KB: over 200:1.
fn gzip_bomb() -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..20 {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap()
}

#[test]
fn gzip_and_tar_members_are_read_with_their_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let csv = format!("Name,Email\nJane Roberts,{EMAIL}\n");
    put(&root, "Exports/list.csv.gz", &gzip(Some("list.csv"), csv.as_bytes()));
    let notes = format!("Call Jane Roberts on {EMAIL}.\n");
    let tar = tar_of(&[("HR/notes.txt", notes.as_bytes()), ("HR/old/list.csv", csv.as_bytes())]);
    put(&root, "Backups/hr.tgz", &gzip(None, &tar));
    put(&root, "Backups/hr.tar", &tar);
    let (out, lines) = scan_reveal(&[&root], &[], tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let found = quads(&lines);
    for path in [
        "Exports/list.csv.gz!list.csv",
        "Backups/hr.tgz!HR/notes.txt",
        "Backups/hr.tgz!HR/old/list.csv",
        "Backups/hr.tar!HR/notes.txt",
        "Backups/hr.tar!HR/old/list.csv",
    ] {
        assert!(found.iter().any(|(p, _, c, v)| p == path && c == "email" && v == EMAIL), "{path}: {found:?}");
    }
    // The CSV inside the gzip is read as CSV: its header names the column.
    assert!(
        found.iter().any(|(p, l, _, _)| p == "Exports/list.csv.gz!list.csv" && l == "row 2, col Email"),
        "{found:?}"
    );
}

#[test]
fn a_gzip_bomb_is_refused_by_scan_anonymise_and_sar() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let bomb = gzip_bomb();
    put(&root, "Archive/zeros.txt.gz", &bomb);
    // Her notes, then the bomb, in one .tgz.
    let notes = format!("Notes on Jane Roberts, {EMAIL}.\n");
    put(
        &root,
        "Archive/zeros.tgz",
        &gzip(None, &tar_of(&[("notes.txt", notes.as_bytes()), ("zeros.bin", &vec![0u8; 20 << 20])])),
    );
    put(&root, "Archive/notes.txt", format!("Referral for Jane Roberts, {EMAIL}.\n").as_bytes());
    std::fs::write(tmp.path().join("k.key"), format!("{}\n", "07".repeat(32))).unwrap();
    let key = tmp.path().join("k.key");

    let out = bin().arg("scan").arg(&root).args(["--quiet", "--key"]).arg(&key).output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("Archive/zeros.txt.gz: limit hit: compression ratio over 200:1 (gzip bomb?)"), "{text}");
    assert!(text.contains("Archive/zeros.tgz: limit hit: compression ratio over 200:1 (gzip bomb?)"), "{text}");

    // anonymise refuses the bombs as scan does, and copies the rest.
    let out_dir = tmp.path().join("anon");
    let out = bin().arg("anonymise").arg(&root).arg("--out").arg(&out_dir).args(["--key"]).arg(&key).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for name in ["Archive/zeros.txt.gz", "Archive/zeros.tgz"] {
        assert!(
            text.lines().any(|l| l.contains(name) && l.contains("compression ratio over 200:1 (gzip bomb?)")),
            "{name}: {text}"
        );
        assert!(!out_dir.join(name).exists(), "{text}");
    }
    assert!(out_dir.join("Archive/notes.txt").exists(), "{text}");

    // A bundle asking for a part of the bomb is refused the same way.
    let map = tmp.path().join("map.db");
    bin()
        .arg("scan")
        .arg(&root)
        .arg(format!("--map={}", map.display()))
        .args(["--quiet", "--key"])
        .arg(&key)
        .output()
        .unwrap();
    let bundle = tmp.path().join("bundle");
    let out = bin()
        .args(["sar", "--map"])
        .arg(&map)
        .args(["--email", EMAIL, "--redact-others", "--bundle"])
        .arg(&bundle)
        .args(["--key"])
        .arg(&key)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(matches!(out.status.code(), Some(0 | 3)), "{text}");
    let index = std::fs::read_to_string(bundle.join("index.csv")).unwrap();
    assert!(index.contains("Archive/zeros.tgz!notes.txt"), "{index}");
    for copy in std::fs::read_dir(bundle.join("files")).unwrap() {
        let len = copy.unwrap().metadata().unwrap().len();
        assert!(len < 64 << 10, "a copy holds the bomb's zeros: {len} bytes");
    }
}

#[test]
fn anonymise_writes_gzip_and_tar_archives_in_their_own_format() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let notes = format!("Call Jane Roberts on {EMAIL} about the referral.\n");
    let tar = tar_of(&[("HR/notes.txt", notes.as_bytes())]);
    put(&root, "Backups/hr.tgz", &gzip(None, &tar));
    put(&root, "Backups/hr.tar", &tar);
    put(&root, "Exports/notes.txt.gz", &gzip(Some("notes.txt"), notes.as_bytes()));
    let key = tmp.path().join("k.key");
    std::fs::write(&key, format!("{}\n", "07".repeat(32))).unwrap();
    let out_dir = tmp.path().join("anon");
    let out = bin().arg("anonymise").arg(&root).arg("--out").arg(&out_dir).arg("--key").arg(&key).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Verified: 3 of 3 copies re-scanned"), "{text}");
    let gunzip = |data: &[u8]| {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(data), &mut out).unwrap();
        out
    };
    let untar = |data: &[u8]| -> Vec<(String, String)> {
        let mut archive = tar::Archive::new(data);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = e.path().unwrap().to_string_lossy().into_owned();
                let mut text = String::new();
                std::io::Read::read_to_string(&mut e, &mut text).unwrap();
                (name, text)
            })
            .collect()
    };
    let check = |text: &str| {
        assert!(
            text.contains("about the referral") && !text.contains(EMAIL) && !text.contains("Jane Roberts"),
            "{text}"
        );
    };
    let tgz = untar(&gunzip(&std::fs::read(out_dir.join("Backups/hr.tgz")).unwrap()));
    assert_eq!(tgz.len(), 1);
    assert_eq!(tgz[0].0, "HR/notes.txt");
    check(&tgz[0].1);
    let plain = untar(&std::fs::read(out_dir.join("Backups/hr.tar")).unwrap());
    check(&plain[0].1);
    let gz = std::fs::read(out_dir.join("Exports/notes.txt.gz")).unwrap();
    let header = flate2::read::GzDecoder::new(&gz[..]);
    assert_eq!(header.header().and_then(|h| h.filename()), Some(&b"notes.txt"[..]));
    check(&String::from_utf8(gunzip(&gz)).unwrap());
}

fn seven_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = sevenz_rust2::ArchiveWriter::new(std::io::Cursor::new(Vec::new())).unwrap();
    for (name, data) in members {
        w.push_archive_entry(sevenz_rust2::ArchiveEntry::new_file(name), Some(*data)).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn seven_zip_members_are_read_and_a_bomb_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let notes = format!("Call Jane Roberts on {EMAIL}.\n");
    let csv = format!("Name,Email\nJane Roberts,{EMAIL}\n");
    put(&root, "Backups/hr.7z", &seven_zip(&[("HR/notes.txt", notes.as_bytes()), ("HR/list.csv", csv.as_bytes())]));
    let (out, lines) = scan_reveal(&[&root], &[], tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let found = quads(&lines);
    for (path, location) in
        [("Backups/hr.7z!HR/notes.txt", "line 1"), ("Backups/hr.7z!HR/list.csv", "row 2, col Email")]
    {
        assert!(found.iter().any(|(p, l, _, v)| p == path && l == location && v == EMAIL), "{path}: {found:?}");
    }
    // 20 MB of zeros after her notes: refused by the compression ratio, exit 3.
    let zeros = vec![0u8; 20 << 20];
    put(&root, "Archive/zeros.7z", &seven_zip(&[("notes.txt", notes.as_bytes()), ("zeros.bin", &zeros)]));
    let (out, _) = scan_reveal(&[&root], &[], tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr
            .contains("Archive/zeros.7z: limit hit: compression ratio over 200:1 (7-Zip bomb?): stopped at zeros.bin"),
        "{stderr}"
    );
}
