//! Word 97-2003 documents through the real binary: read by `scan` with
//! paragraph, table and story locations and their document properties,
//! anonymised into a `.docx` copy that re-scans clean, found by `sar`;
//! encrypted and damaged ones reported as not read (exit status 3).

mod common;

use std::io::{Cursor, Read};

use common::{bin, quads, scan_reveal};
use piisweep_testkit::word97::{Word97, word97};

const BODY: &str = "Referral for Jane Roberts\r\
    Date of birth 12/03/1985, NI number AB123456C\r\
    Name\x07Mobile\x07\x07Tom Price\x0707700 900123\x07\x07\
    Copy to \x13 HYPERLINK \"mailto:sam.hill@example.org\" \x14Mrs Ann Lee\x15 today\r";

fn letter() -> Vec<u8> {
    word97(&Word97 {
        body: BODY,
        footnotes: "Previously at 14 Mill Lane, Maidstone ME14 2RS\r",
        comments: "Ask Priya Shah about jane.roberts@example.com\r",
        two_pieces: true,
        ..Word97::default()
    })
}

fn has(lines: &[serde_json::Value], location: &str, category: &str, value: &str) -> bool {
    quads(lines).iter().any(|q| q.1 == location && q.2 == category && q.3 == value)
}

#[test]
fn a_doc_is_read_with_its_locations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("referral.doc");
    std::fs::write(&path, letter()).unwrap();
    let (out, lines) = scan_reveal(&[&path], &[], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for (location, category, value) in [
        ("paragraph 1", "name", "Jane Roberts"),
        ("paragraph 2", "dob", "12/03/1985"),
        ("paragraph 2", "nino", "AB123456C"),
        ("table 1 row 2 cell 1", "name", "Tom Price"),
        ("table 1 row 2 cell 2", "phone", "07700 900123"),
        ("paragraph 3", "name", "Ann Lee"),
        ("footnotes", "postcode", "ME14 2RS"),
        ("comments", "email", "jane.roberts@example.com"),
    ] {
        assert!(has(&lines, location, category, value), "no {category} {value} at {location}: {:#?}", quads(&lines));
    }
    // The field's code (the hyperlink's address) is not the document's text.
    assert!(!quads(&lines).iter().any(|q| q.3.contains("sam.hill@")), "{:#?}", quads(&lines));
}

#[test]
fn a_doc_is_copied_as_a_clean_docx_and_found_by_sar() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("drive");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("referral.doc"), letter()).unwrap();
    let out = dir.path().join("out");
    let run = bin()
        .args(["anonymise"])
        .arg(&src)
        .arg("--out")
        .arg(&out)
        .arg("--key")
        .arg(dir.path().join("k.key"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("written as .docx"), "the summary does not say the copy is a .docx: {stderr}");
    assert!(!out.join("referral.doc").exists());
    let copy = std::fs::read(out.join("referral.docx")).expect("a .docx copy");
    let mut xml = String::new();
    zip::ZipArchive::new(Cursor::new(&copy))
        .unwrap()
        .by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    for value in ["Jane Roberts", "AB123456C", "Tom Price", "07700 900123", "ME14 2RS", "jane.roberts@example.com"] {
        assert!(!xml.contains(value), "the copy still holds {value}");
    }
    assert!(xml.contains("Referral for") && xml.contains("Mobile"), "the copy lost the text around the data");
    let (_, lines) = scan_reveal(&[&out], &[], dir.path());
    let left: Vec<_> = quads(&lines).into_iter().filter(|q| !(q.2 == "dob" && q.3.len() == 4)).collect();
    assert!(left.is_empty(), "the copy still holds {left:#?}");

    // The source is found by a subject access search.
    let map = dir.path().join("map.db");
    let swept = bin().arg("scan").arg(&src).arg("--quiet").arg("--map").arg(&map).output().unwrap();
    assert_eq!(swept.status.code(), Some(0), "{}", String::from_utf8_lossy(&swept.stderr));
    let sar = bin().args(["sar", "--name", "Jane Roberts", "--map"]).arg(&map).output().unwrap();
    let said = String::from_utf8_lossy(&sar.stdout);
    assert!(said.contains("referral.doc"), "sar did not find the .doc: {said}");
}

#[test]
fn encrypted_and_damaged_docs_are_not_read_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("locked.doc"),
        word97(&Word97 { body: "Jane Roberts\r", encrypted: true, ..Word97::default() }),
    )
    .unwrap();
    let mut cut = letter();
    cut.truncate(cut.len() / 3);
    std::fs::write(dir.path().join("cut.doc"), cut).unwrap();
    let (out, _) = scan_reveal(&[dir.path()], &[], keys.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("locked.doc: encrypted"), "{stderr}");
    assert!(stderr.contains("cut.doc: corrupt or unreadable doc"), "{stderr}");
}
