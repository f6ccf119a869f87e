//! Large text and CSV members of a zip are copied as they are decompressed
//! (#26 item 1), by `anonymise` and by `sar --bundle`: never whole in
//! memory. With the in-memory limit lowered by the test hook below the
//! members' size (as a 200 MB member is past the real one), each is still
//! copied whole, the same as the same file on disk; a member past the
//! compression ratio is still left out.

mod common;

use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::process::Output;

use common::bin;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// The in-memory limit the runs here get (bytes): below each large member.
const CAP: usize = 1 << 20;

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A pseudo-random number generator, so the files are the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const FIRST: &[&str] = &["James", "Mary", "Robert", "Priya", "Mohammed", "Aisha", "Oliver", "Amelia", "George", "Isla"];
const SUR: &[&str] = &["Smith", "Jones", "Taylor", "Brown", "Patel", "Khan", "Roberts", "Clarke", "Walker", "Wright"];

/// A client list of at least `len` bytes: names, dates of birth and
/// postcodes (for k-anonymity), emails and phone numbers.
fn csv(len: usize) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut s = String::from("First name,Surname,Date of birth,Postcode,Email,Phone,Notes\n");
    let mut i = 0;
    while s.len() < len {
        let (f, l) = (FIRST[rng.next(10) as usize], SUR[rng.next(10) as usize]);
        s.push_str(&format!(
            "{f},{l},{:02}/{:02}/19{},ME14 {}LP,{}.{}{i}@example.org,07700 900{:03},visit {i} went well\n",
            1 + rng.next(28),
            1 + rng.next(12),
            40 + rng.next(50),
            1 + rng.next(9),
            f.to_lowercase(),
            l.to_lowercase(),
            rng.next(1000)
        ));
        i += 1;
    }
    s.into_bytes()
}

/// Case notes of at least `len` bytes, a person and their details a line.
fn notes(len: usize) -> Vec<u8> {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut s = String::new();
    let mut i = 0;
    while s.len() < len {
        let (f, l) = (FIRST[rng.next(10) as usize], SUR[rng.next(10) as usize]);
        s.push_str(&format!(
            "Visit {i}: met {f} {l} ({}.{}{i}@example.org, 07700 900{:03}) about the food bank.\n",
            f.to_lowercase(),
            l.to_lowercase(),
            rng.next(1000)
        ));
        i += 1;
    }
    s.into_bytes()
}

fn anonymise(src: &Path, out: &Path, key: &Path) -> Output {
    bin()
        .env("PIISWEEP_TEST_MAX_IN_MEMORY", CAP.to_string())
        .arg("anonymise")
        .arg(src)
        .arg("--out")
        .arg(out)
        .arg("--key")
        .arg(key)
        .output()
        .unwrap()
}

/// The members of a zip file: (name, bytes), in order.
fn members(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut z = ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().to_string(), data)
        })
        .collect()
}

#[test]
fn large_zipped_csv_and_text_members_are_copied_whole_as_the_same_files_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let (list, text) = (csv(3 << 19), notes(3 << 19));
    let archive = zip_of(&[("HR/clients.csv", &list), ("HR/notes.txt", &text), ("readme.txt", b"Call 07700 900123")]);
    assert!(list.len() > CAP && text.len() > CAP && archive.len() < CAP, "{}", archive.len());
    std::fs::write(src.join("clients.csv"), &list).unwrap();
    std::fs::write(src.join("notes.txt"), &text).unwrap();
    std::fs::write(src.join("archive.zip"), &archive).unwrap();
    let out = tmp.path().join("out");
    let run = anonymise(&src, &out, &tmp.path().join("k.key"));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("not copied"), "{stderr}");
    assert!(stderr.contains("Verified: 3 of 3 copies"), "{stderr}");
    let copied = members(&out.join("archive.zip"));
    let names: Vec<&str> = copied.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["HR/clients.csv", "HR/notes.txt", "readme.txt"]);
    // Byte for byte the copies of the files on disk: every row and line,
    // k-anonymity applied the same way.
    let on_disk_csv = std::fs::read(out.join("clients.csv")).unwrap();
    let on_disk_text = std::fs::read(out.join("notes.txt")).unwrap();
    assert!(copied[0].1 == on_disk_csv, "the CSV member's copy differs from the file's");
    assert!(copied[1].1 == on_disk_text, "the text member's copy differs from the file's");
    let csv_copy = String::from_utf8(on_disk_csv).unwrap();
    assert_eq!(csv_copy.lines().count(), String::from_utf8_lossy(&list).lines().count());
    assert!(!csv_copy.contains("@example.org") && !csv_copy.contains("07700 900"), "{}", &csv_copy[..2000]);
    let text_copy = String::from_utf8(on_disk_text).unwrap();
    assert_eq!(text_copy.lines().count(), String::from_utf8_lossy(&text).lines().count());
    assert!(!text_copy.contains("@example.org") && !text_copy.contains("07700 900"), "{}", &text_copy[..2000]);
    // The hidden first copies (for k-anonymity) are gone.
    let left: Vec<String> = walk(&out).into_iter().filter(|p| p.contains("piisweep-partial")).collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_large_member_past_the_compression_ratio_is_left_out_of_the_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    // 12 MB of a row of spaces repeated: deflated far past 200:1.
    let row = format!("Jane Roberts,07700 900123,{}\n", " ".repeat(4000));
    let bomb = format!("Name,Phone,Notes\n{}", row.repeat((12 << 20) / row.len())).into_bytes();
    let archive = zip_of(&[("big.csv", &bomb), ("ok.txt", b"Call Jane Roberts on 07700 900123")]);
    assert!(bomb.len() / archive.len() > 400, "{} bytes", archive.len());
    std::fs::write(src.join("bomb.zip"), &archive).unwrap();
    let out = tmp.path().join("out");
    let run = anonymise(&src, &out, &tmp.path().join("k.key"));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("not copied: big.csv: limit hit: compression ratio over 200:1 (zip bomb?), not read"),
        "{stderr}"
    );
    let copied = members(&out.join("bomb.zip"));
    assert_eq!(copied.len(), 1, "{:?}", copied.iter().map(|(n, _)| n).collect::<Vec<_>>());
    assert_eq!(copied[0].0, "ok.txt");
    assert!(!String::from_utf8_lossy(&copied[0].1).contains("07700 900123"));
}

/// `sar --bundle` takes a large text or CSV member out of a zip as it is
/// decompressed: the person's rows of the CSV, and the text redacted.
#[test]
fn sar_bundle_copies_large_zipped_csv_and_text_members() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    std::fs::create_dir_all(&root).unwrap();
    let alice = "Alice,Hartley,14/07/1962,ME14 2LP,alice.hartley@example.org,07700 900111,asked about vouchers\n";
    let mut list = csv(3 << 19);
    list.extend_from_slice(alice.as_bytes());
    let mut text = notes(3 << 19);
    text.extend_from_slice(b"\nAlice Hartley (alice.hartley@example.org, 07700 900111) rang about vouchers.\n");
    let archive = zip_of(&[("clients.csv", &list), ("notes.txt", &text)]);
    assert!(archive.len() < CAP, "{}", archive.len());
    std::fs::write(root.join("archive.zip"), &archive).unwrap();
    let map = tmp.path().join("map/piisweep.db");
    let cap = CAP.to_string();
    let scan = bin()
        .env("PIISWEEP_TEST_MAX_IN_MEMORY", &cap)
        .arg("scan")
        .arg(&root)
        .arg(format!("--map={}", map.display()))
        .arg("--quiet")
        .output()
        .unwrap();
    assert_eq!(scan.status.code(), Some(0), "{}", String::from_utf8_lossy(&scan.stderr));
    let bundle = tmp.path().join("bundle");
    let run = bin()
        .env("PIISWEEP_TEST_MAX_IN_MEMORY", &cap)
        .args(["sar", "--map"])
        .arg(&map)
        .args(["--name", "Alice Hartley", "--email", "alice.hartley@example.org", "--redact-others", "--bundle"])
        .arg(&bundle)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let index = std::fs::read_to_string(bundle.join("index.csv")).unwrap();
    assert!(!index.contains("manual review"), "{index}");
    let rows = std::fs::read_to_string(bundle.join("files/001-archive.zip_clients.csv.rows.csv")).unwrap();
    assert_eq!(rows.lines().count(), 2, "{rows}");
    assert!(rows.contains("alice.hartley@example.org") && rows.contains("07700 900111"), "{rows}");
    let copy = std::fs::read_to_string(bundle.join("files/002-archive.zip_notes.txt")).unwrap();
    assert_eq!(copy.lines().count(), String::from_utf8_lossy(&text).lines().count());
    assert!(copy.contains("Alice Hartley (alice.hartley@example.org, 07700 900111)"), "{}", &copy[copy.len() - 500..]);
    let others = copy.lines().filter(|l| l.contains("@example.org") && !l.contains("alice.hartley")).count();
    assert_eq!(others, 0, "{}", &copy[..2000]);
}

/// Every file under `dir`, as a path string.
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

/// An archive on disk larger than the in-memory limit is read from the file,
/// member by member (a share's backup zips are often hundreds of MB): its
/// large member is streamed, its small one read whole, and nothing is
/// refused. Before, the whole zip had to fit in memory or was not read.
#[test]
fn a_zip_on_disk_larger_than_the_in_memory_limit_is_read_member_by_member() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    std::fs::create_dir_all(&root).unwrap();
    // Letters that hardly compress, so the zip itself is past the limit.
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut log = String::new();
    while log.len() < 4 * CAP {
        let word: String = (0..1 + rng.next(9)).map(|_| (b'a' + rng.next(26) as u8) as char).collect();
        log.push_str(&word);
        log.push(if rng.next(12) == 0 { '\n' } else { ' ' });
    }
    log.push_str("\nCalled back on 07700 900318 as asked.\n");
    let small = b"Name,Email\nAlice Hartley,alice.hartley@example.org\n";
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut w = ZipWriter::new(std::fs::File::create(root.join("backup.zip")).unwrap());
    w.start_file("2019/log.txt", opts).unwrap();
    w.write_all(log.as_bytes()).unwrap();
    w.start_file("2019/clients.csv", opts).unwrap();
    w.write_all(small).unwrap();
    w.finish().unwrap();
    assert!(std::fs::metadata(root.join("backup.zip")).unwrap().len() > 2 * CAP as u64);
    let out = bin()
        .env("PIISWEEP_TEST_MAX_IN_MEMORY", CAP.to_string())
        .arg("scan")
        .arg(&root)
        .arg("--reveal")
        .arg("--key")
        .arg(tmp.path().join("k.key"))
        .args(["--jsonl", "-"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let found = |path: &str, value: &str| {
        stdout
            .lines()
            .any(|l| l.contains(&format!("\"path\":\"{path}\"")) && l.contains(&format!("\"value\":\"{value}\"")))
    };
    assert!(found("backup.zip!2019/log.txt", "07700 900318"), "{stdout}\n{stderr}");
    assert!(found("backup.zip!2019/clients.csv", "alice.hartley@example.org"), "{stdout}\n{stderr}");
}
