//! A zip bomb is refused the same way by every command (issue #22 item 2):
//! `anonymise` and `sar --bundle --redact-others` read archives through the
//! same member reader and walker as `scan`, so the bomb's member is refused
//! by its compression ratio once a little of it is decompressed, and the
//! rest of the file is still copied. Before, both decompressed every member
//! whole (up to the in-memory limit) and copied the bomb's zeros.

mod common;
mod hostile;

use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::bin;
use hostile::{EMAIL, PHONE, put, run_measured, zip_bomb, zip_of};

/// The bomb's member, uncompressed: under the in-memory limit (256 MB), so
/// only the compression ratio can refuse it.
const BOMB_MB: usize = 150;
const NAME: &str = "Jane Roberts";

/// A client's notes that name her.
fn notes() -> String {
    format!("Referral for {NAME}, email {EMAIL}, tel {PHONE}.\nSeen on Monday.\n")
}

/// A message from her with a zip attached that holds a bomb.
fn mail_with_bomb(bomb_zip: &[u8]) -> Vec<u8> {
    let attachment = piisweep_testkit::corpus::mail::base64(bomb_zip);
    format!(
        "From: {NAME} <{EMAIL}>\r\nTo: office@example.org\r\nSubject: my files\r\nDate: Mon, 3 Feb 2025 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, this is {NAME}, tel {PHONE}.\r\n\
         --b1\r\nContent-Type: application/zip; name=\"files.zip\"\r\nContent-Disposition: attachment; filename=\"files.zip\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{attachment}\r\n--b1--\r\n"
    )
    .into_bytes()
}

/// A drive holding an archive with a bomb nested in it, and a message with
/// a bomb in its attached zip; the key beside it.
fn bomb_drive(tmp: &Path) -> std::path::PathBuf {
    let root = tmp.join("drive");
    let bomb = zip_bomb(BOMB_MB);
    put(&root, "Archive/old.zip", &zip_of(&[("notes.txt", notes().as_bytes()), ("old/bomb.zip", &bomb)]));
    put(&root, "Mail/files.eml", &mail_with_bomb(&bomb));
    std::fs::write(tmp.join("k.key"), format!("{}\n", "07".repeat(32))).unwrap();
    root
}

fn key_args(cmd: &mut Command, tmp: &Path) {
    cmd.arg("--key").arg(tmp.join("k.key"));
}

fn said(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The peak memory of `scan` over the drive, having checked it refuses both bombs.
fn scan_peak(tmp: &Path, root: &Path) -> u64 {
    let mut scan = bin();
    scan.arg("scan").arg(root).args(["--jsonl", "-", "--quiet", "--threads", "1"]);
    key_args(&mut scan, tmp);
    let (out, peak) = run_measured(scan, Duration::from_secs(300));
    let text = said(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("Archive/old.zip!old/bomb.zip!zeros.txt: limit hit: compression ratio over"), "{text}");
    assert!(
        text.contains("Mail/files.eml!attachments/files.zip!zeros.txt: limit hit: compression ratio over"),
        "{text}"
    );
    peak
}

/// Every member of a zip with its uncompressed bytes.
fn members(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().to_string(), data)
        })
        .collect()
}

#[test]
fn anonymise_refuses_a_zip_bomb_as_scan_does_and_copies_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let root = bomb_drive(tmp.path());
    let scan_peak = scan_peak(tmp.path(), &root);

    let out_dir = tmp.path().join("copies");
    let mut anonymise = bin();
    anonymise.arg("anonymise").arg(&root).arg("--out").arg(&out_dir).args(["--threads", "1"]);
    key_args(&mut anonymise, tmp.path());
    let (out, peak) = run_measured(anonymise, Duration::from_secs(300));
    let text = said(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // The bomb's member is left out of each copy, and the summary says why.
    assert!(text.contains("not copied: zeros.txt: limit hit: compression ratio over 200:1 (zip bomb?)"), "{text}");

    let archive = members(&std::fs::read(out_dir.join("Archive/old.zip")).expect("the archive's copy"));
    let names: Vec<&str> = archive.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(names, ["notes.txt", "old/bomb.zip"], "{text}");
    let copied_notes = String::from_utf8_lossy(&archive[0].1);
    assert!(copied_notes.contains("Seen on Monday") && !copied_notes.contains("Roberts"), "{copied_notes}");
    assert!(members(&archive[1].1).is_empty(), "the nested bomb's member is not in its copy");
    let mail = std::fs::read(out_dir.join("Mail/files.eml")).expect("the message's copy");
    assert!(mail.len() < 64 << 10, "the message's copy holds no zeros: {} bytes", mail.len());

    // As little memory as the scan needs: far less than the bomb, which the
    // copy used to hold whole (several times over) before.
    eprintln!("peak RSS: anonymise {peak} KB, scan {scan_peak} KB");
    assert!(peak < scan_peak + 64 * 1024, "anonymise peak {peak} KB, scan {scan_peak} KB");
    assert!(peak < (BOMB_MB as u64) << 10, "anonymise peak {peak} KB");
}

#[test]
fn a_bundle_with_redact_others_refuses_a_zip_bomb_as_scan_does() {
    let tmp = tempfile::tempdir().unwrap();
    let root = bomb_drive(tmp.path());
    let scan_peak = scan_peak(tmp.path(), &root);
    let map = tmp.path().join("piisweep.db");
    let mut scan = bin();
    scan.arg("scan").arg(&root).arg(format!("--map={}", map.display())).arg("--quiet");
    key_args(&mut scan, tmp.path());
    let out = scan.output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", said(&out));

    let bundle = tmp.path().join("bundle");
    let mut sar = bin();
    sar.args(["sar", "--map"]).arg(&map).args(["--name", NAME, "--email", EMAIL, "--redact-others", "--bundle"]);
    sar.arg(&bundle);
    key_args(&mut sar, tmp.path());
    let (out, peak) = run_measured(sar, Duration::from_secs(300));
    let text = said(&out);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{text}");
    // The message is copied with the bomb's member left out, and the index
    // says so; the archive's notes are copied from inside it.
    let index = std::fs::read_to_string(bundle.join("index.csv")).unwrap();
    assert!(index.contains("Mail/files.eml"), "{index}");
    assert!(index.contains("zeros.txt: limit hit: compression ratio over 200:1"), "{index}");
    assert!(index.contains("Archive/old.zip!notes.txt"), "{index}");
    let copies: Vec<_> = std::fs::read_dir(bundle.join("files")).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(!copies.is_empty(), "{text}");
    for copy in &copies {
        let len = std::fs::metadata(copy).unwrap().len();
        assert!(len < 64 << 10, "{} holds the bomb's zeros: {len} bytes", copy.display());
    }
    eprintln!("peak RSS: sar --bundle {peak} KB, scan {scan_peak} KB");
    assert!(peak < scan_peak + 64 * 1024, "sar peak {peak} KB, scan {scan_peak} KB");
    assert!(peak < (BOMB_MB as u64) << 10, "sar peak {peak} KB");
}
