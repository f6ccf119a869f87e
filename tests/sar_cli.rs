//! Subject access requests through the command line: a person planted in a
//! spreadsheet (CSV), an email and case notes is found in all three, ranked
//! above a different person with the same surname, and bundled.
//!
//! The files are generated here: CSV and xlsx (rust_xlsxwriter), a real
//! `.eml`, an mbox with two messages, plain-text case notes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::bin;
use serde_json::Value;

struct Drive {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    map: PathBuf,
    out: PathBuf,
}

/// A small shared drive with Jane Roberts in three places and Tom Roberts in one.
fn drive() -> Drive {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let write = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "HR/volunteers.csv",
        "First name,Surname,DOB,NI number,Email,Phone\n\
         Tom,Roberts,01/01/1970,JT 47 21 93 B,tom.roberts@example.org,07700 900789\n\
         Jane,Roberts,12/03/1985,AB 12 34 56 C,jane.roberts@example.org,07700 900123\n\
         Priya,Patel,02/02/1990,CE 12 34 56 D,priya@example.org,07700 900555\n",
    );
    write(
        "Mail/email-from-jane.txt",
        "From: Jane Roberts <jane.roberts@example.org>\nTo: help@charity.org.uk\nSubject: my referral\n\n\
         Hello, I am writing about my referral.\nMy NI number is AB123456C.\n\nKind regards,\nJane Roberts\n",
    );
    write(
        "Clients/case-notes.txt",
        "Client: Mrs J. Roberts\nDate of birth: 12/03/1985\n\
         Spoke to Mrs Roberts about her support plan.\nHer neighbour Amir Khan (tel 07700 900456) called too.\n",
    );
    write(
        "Mail/from-jane.eml",
        "From: Jane Roberts <jane.roberts@example.org>\r\nTo: help@charity.org.uk\r\nSubject: my support plan\r\n\
         Date: Mon, 3 Jun 2024 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hello,\r\nplease update my date of birth to 12/03/1985.\r\nThanks, Jane\r\n",
    );
    write(
        "Mail/export.mbox",
        "From amir@example.org Mon Jun  3 09:00:00 2024\nFrom: Amir Khan <amir.khan@example.org>\nSubject: food bank\n\n\
         Please call me on 07700 900456.\n\n\
         From jane.roberts@example.org Mon Jun  3 11:00:00 2024\nFrom: Jane Roberts <jane.roberts@example.org>\n\
         Subject: referral\n\nMy NI number is AB 12 34 56 C.\n",
    );
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Volunteers").unwrap();
    let rows = [
        ["Name", "Date of birth", "Mobile"],
        ["Tom Roberts", "01/01/1970", "07700 900789"],
        ["Jane Roberts", "12/03/1985", "07700 900123"],
        ["Priya Patel", "02/02/1990", "07700 900555"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    book.save(root.join("HR/rota.xlsx")).unwrap();
    write(
        "Clients/other-roberts.txt",
        "Call with Tom Roberts about his gas bill. He will ring back on 07700 900789.\n",
    );
    write("Clients/unrelated.txt", "Amir Khan called on 07700 900456 about the food bank.\n");
    let map = tmp.path().join("map/piisweep.db");
    let out = bin().arg("scan").arg(&root).arg(format!("--map={}", map.display())).arg("--quiet").output().unwrap();
    ok(&out);
    let out_dir = tmp.path().join("out");
    Drive { root, map, out: out_dir, _tmp: tmp }
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
}

fn sar(d: &Drive, args: &[&str]) -> Output {
    bin().arg("sar").arg("--map").arg(&d.map).args(args).output().unwrap()
}

fn sar_json(d: &Drive, args: &[&str]) -> Vec<Value> {
    let out = sar(d, &[args, &["--format", "json"]].concat());
    ok(&out);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["matches"].as_array().unwrap().clone()
}

fn paths(results: &[Value]) -> Vec<&str> {
    results.iter().map(|r| r["path"].as_str().unwrap()).collect()
}

fn score(results: &[Value], path: &str) -> f64 {
    results
        .iter()
        .find(|r| r["path"] == path)
        .unwrap_or_else(|| panic!("{path} not found"))
        .get("score")
        .unwrap()
        .as_f64()
        .unwrap()
}

/// Where Jane Roberts is: spreadsheets, emails and case notes.
const JANES_FILES: &[&str] = &[
    "HR/volunteers.csv",
    "HR/rota.xlsx",
    "Mail/email-from-jane.txt",
    "Mail/from-jane.eml",
    "Mail/export.mbox",
    "Clients/case-notes.txt",
];

const JANE: &[&str] = &[
    "--name",
    "Jane Roberts",
    "--dob",
    "12/03/1985",
    "--nino",
    "ab 12 34 56 c",
    "--email",
    "Jane.Roberts@example.org",
];

#[test]
fn finds_the_person_in_spreadsheet_email_and_case_notes_ranked_above_a_namesake() {
    let d = drive();
    let results = sar_json(&d, JANE);
    let found = paths(&results);
    let summary: Vec<String> = results.iter().map(|r| format!("{} {} [{}]", r["score"], r["path"], r["why"])).collect();
    assert_eq!(found.len(), 7, "{summary:#?}");
    assert_eq!(&found[6], &"Clients/other-roberts.txt", "the other Roberts ranks last: {summary:#?}");
    for p in JANES_FILES {
        assert!(found[..6].contains(p), "{p} missing: {summary:#?}");
        assert!(score(&results, p) > score(&results, "Clients/other-roberts.txt"));
    }
    // Places are grouped per part and kind of evidence, with counts and ranges.
    let places = |path: &str| -> Vec<(String, String, String, u64)> {
        let r = results.iter().find(|r| r["path"] == path).unwrap();
        r["places"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let s = |k: &str| h[k].as_str().unwrap().to_string();
                (s("path"), s("what"), s("at"), h["count"].as_u64().unwrap())
            })
            .collect()
    };
    // The mbox match is in its second message only; the eml's in its header and body.
    let mbox = places("Mail/export.mbox");
    assert!(mbox.iter().all(|(p, ..)| p == "Mail/export.mbox!2"), "{mbox:?}");
    let eml = places("Mail/from-jane.eml");
    assert!(
        eml.iter().any(|(_, _, at, _)| at.contains("header From"))
            && eml.iter().any(|(_, _, at, _)| at.starts_with("body line")),
        "{eml:?}"
    );
    let xlsx = places("HR/rota.xlsx");
    // Tom Roberts' row is listed as probably someone else.
    assert!(
        xlsx.iter().all(|(_, what, at, _)| at == "Volunteers row 3" || what.contains("another first name")),
        "{xlsx:?}"
    );
    let csv = &results.iter().find(|r| r["path"] == "HR/volunteers.csv").unwrap();
    let why = csv["why"].as_str().unwrap();
    for w in ["NI number", "email", "date of birth"] {
        assert!(why.contains(w), "{why}");
    }
    let rows = places("HR/volunteers.csv");
    for what in ["NI number", "date of birth", "email", "surname with first name nearby"] {
        assert!(rows.contains(&("HR/volunteers.csv".into(), what.into(), "row 3".into(), 1)), "{what}: {rows:?}");
    }
    let notes = results.iter().find(|r| r["path"] == "Clients/case-notes.txt").unwrap();
    assert!(notes["why"].as_str().unwrap().contains("date of birth"), "{notes}");
    assert!(!found.contains(&"Clients/unrelated.txt"));
}

#[test]
fn name_variants_alone_still_rank_the_person_first() {
    let d = drive();
    let results = sar_json(&d, &["--name", "Jane Roberts"]);
    let found = paths(&results);
    let other = found.iter().position(|p| *p == "Clients/other-roberts.txt").unwrap();
    for p in JANES_FILES {
        let at = found.iter().position(|f| f == p).unwrap_or_else(|| panic!("{p} missing: {found:?}"));
        assert!(at < other, "{p} should rank above the other Roberts: {found:?}");
    }
    let notes = results.iter().find(|r| r["path"] == "Clients/case-notes.txt").unwrap();
    assert!(notes["why"].as_str().unwrap().contains("surname with initial"), "{notes}");
    let other = results.iter().find(|r| r["path"] == "Clients/other-roberts.txt").unwrap();
    assert!(other["why"].as_str().unwrap().contains("another first name"), "{other}");
    // The table form says why too.
    let out = sar(&d, &["--name", "Jane Roberts"]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("surname with initial"));
}

#[test]
fn bundle_holds_copies_rows_and_index_with_others_redacted() {
    let d = drive();
    let bundle = d.out.join("bundle");
    let out = sar(
        &d,
        &[JANE, &["--bundle", bundle.to_str().unwrap(), "--redact-others", "--phone", "07700 900123"]].concat(),
    );
    ok(&out);
    let index = std::fs::read_to_string(bundle.join("index.csv")).unwrap();
    assert!(index.starts_with("# Subject access request for: Jane Roberts (as given)\n"), "{index}");
    assert!(index.contains("\nfile,what matched,places,count,modified,copy,status,note\n"), "{index}");
    for p in ["HR/volunteers.csv", "Mail/email-from-jane.txt", "Clients/case-notes.txt"] {
        assert_eq!(index.lines().filter(|l| l.starts_with(p)).count(), 1, "{p}: one row per file:\n{index}");
    }
    let html = std::fs::read_to_string(bundle.join("index.html")).unwrap();
    assert!(html.contains("Clients/case-notes.txt") && html.contains("<table"));

    let files: Vec<PathBuf> = std::fs::read_dir(bundle.join("files")).unwrap().map(|e| e.unwrap().path()).collect();
    let find = |part: &str| -> String {
        let p =
            files.iter().find(|f| f.to_string_lossy().contains(part)).unwrap_or_else(|| panic!("{part}: {files:?}"));
        std::fs::read_to_string(p).unwrap()
    };
    let rows = find("volunteers.csv.rows.csv");
    assert_eq!(
        rows,
        "First name,Surname,DOB,NI number,Email,Phone\nJane,Roberts,12/03/1985,AB 12 34 56 C,jane.roberts@example.org,07700 900123\n"
    );
    let notes = find("case-notes.txt");
    assert!(notes.contains("Mrs J. Roberts") && notes.contains("12/03/1985"), "{notes}");
    assert!(!notes.contains("Amir Khan") && !notes.contains("07700 900456"), "{notes}");
    assert!(notes.contains("[NAME]") && notes.contains("[PHONE]"), "{notes}");
    let mail = find("email-from-jane.txt");
    assert!(mail.contains("AB123456C") && mail.contains("Jane Roberts"), "{mail}");
    let message = find("export.mbox_2.eml");
    assert!(message.starts_with("From: Jane Roberts") && message.contains("AB 12 34 56 C"), "{message}");
    assert!(!message.contains("Amir"), "only her message: {message}");
    let sheet = find("rota.xlsx.Volunteers.rows.csv");
    assert_eq!(sheet, "row,A,B,C\n1,Name,Date of birth,Mobile\n3,Jane Roberts,12/03/1985,07700 900123\n");
    assert!(find("from-jane.eml").contains("please update my date of birth"));
    // Sources untouched.
    assert!(std::fs::read_to_string(d.root.join("Clients/case-notes.txt")).unwrap().contains("Amir Khan"));
}

#[test]
fn bundle_is_never_written_inside_a_scanned_root_nor_over_files() {
    let d = drive();
    let inside = d.root.join("Clients/bundle");
    let out = sar(&d, &["--name", "Jane Roberts", "--bundle", inside.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("inside the scanned folder"));
    assert!(!inside.exists());

    let busy = d.out.join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("keep.txt"), "x").unwrap();
    for force in [None, Some("--force")] {
        let out = sar(
            &d,
            &[
                &["--name", "Jane Roberts", "--bundle", busy.to_str().unwrap()],
                &force.into_iter().collect::<Vec<_>>()[..],
            ]
            .concat(),
        );
        assert_eq!(out.status.code(), Some(2), "a folder of other files is not piisweep's to write in");
        assert!(String::from_utf8_lossy(&out.stderr).contains("did not write"));
    }
    assert_eq!(std::fs::read_dir(&busy).unwrap().count(), 1, "nothing added");
    // piisweep's own earlier bundle is replaced only with --force.
    let bundle = d.out.join("bundle");
    ok(&sar(&d, &["--name", "Jane Roberts", "--bundle", bundle.to_str().unwrap()]));
    let again = sar(&d, &["--name", "Jane Roberts", "--bundle", bundle.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "an earlier bundle needs --force");
    ok(&sar(&d, &["--name", "Jane Roberts", "--bundle", bundle.to_str().unwrap(), "--force"]));
    assert!(bundle.join("index.csv").is_file());
}

#[test]
fn bundle_says_when_a_file_changed_since_the_scan() {
    let d = drive();
    std::fs::write(
        d.root.join("Clients/case-notes.txt"),
        "Client: Mrs J. Roberts\nDate of birth: 12/03/1985\nUpdated.\n",
    )
    .unwrap();
    let bundle = d.out.join("b");
    ok(&sar(&d, &[JANE, &["--bundle", bundle.to_str().unwrap()]].concat()));
    let index = std::fs::read_to_string(bundle.join("index.csv")).unwrap();
    let line = index.lines().find(|l| l.starts_with("Clients/case-notes.txt")).unwrap();
    assert_eq!(index.lines().filter(|l| l.starts_with("Clients/case-notes.txt")).count(), 1);
    assert!(line.contains("changed since the scan"), "{line}");
    let unchanged = index.lines().find(|l| l.starts_with("Mail/from-jane.eml")).unwrap();
    assert!(!unchanged.contains("changed since the scan"), "{unchanged}");
}

#[test]
fn rows_of_a_changed_spreadsheet_are_picked_by_reading_it_again() {
    let d = drive();
    // Rows reordered since the scan: the map's row 3 is now someone else's.
    std::fs::write(
        d.root.join("HR/volunteers.csv"),
        "First name,Surname,DOB,NI number,Email,Phone\n\
         Jane,Roberts,12/03/1985,AB 12 34 56 C,jane.roberts@example.org,07700 900123\n\
         Priya,Patel,02/02/1990,CE 12 34 56 D,priya@example.org,07700 900555\n",
    )
    .unwrap();
    let bundle = d.out.join("b");
    ok(&sar(&d, &[JANE, &["--bundle", bundle.to_str().unwrap()]].concat()));
    let rows = std::fs::read_dir(bundle.join("files"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("volunteers.csv.rows.csv"))
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(rows).unwrap(),
        "First name,Surname,DOB,NI number,Email,Phone\nJane,Roberts,12/03/1985,AB 12 34 56 C,jane.roberts@example.org,07700 900123\n"
    );
}

#[test]
fn refuses_another_key_and_an_empty_request() {
    let d = drive();
    let other_key = d.out.join("other.key");
    std::fs::create_dir_all(&d.out).unwrap();
    std::fs::write(&other_key, format!("{}\n", "ab".repeat(32))).unwrap();
    let out = sar(&d, &["--name", "Jane Roberts", "--key", other_key.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not the key the data map") && err.contains("is its key: give --key"), "{err}");
    assert_eq!(sar(&d, &[]).status.code(), Some(2));
    let missing = bin().args(["sar", "--name", "X Y", "--map"]).arg(Path::new("/nonexistent/m.db")).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

/// First name and surname in separate columns: every row of the person is
/// found as "surname with first name nearby", the lone first names count
/// beside them, and a row of another person with the same surname is kept
/// apart, all grouped into ranges for the one file.
#[test]
fn split_name_columns_are_grouped_per_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    std::fs::create_dir_all(&root).unwrap();
    let mut csv = String::from("First name,Surname,Phone\n");
    // Data rows are rows 2-61; rows 11, 31 and 51 are Tom Roberts, rows 21, 41 and 61 Priya Patel.
    for i in 0..60 {
        let (first, last) = match i % 20 {
            9 => ("Tom", "Roberts"),
            19 => ("Priya", "Patel"),
            _ => ("Jane", "Roberts"),
        };
        csv.push_str(&format!("{first},{last},07700 900{:03}\n", i % 7));
    }
    std::fs::write(root.join("clients.csv"), csv).unwrap();
    let map = tmp.path().join("map/piisweep.db");
    let out = bin().arg("scan").arg(&root).arg(format!("--map={}", map.display())).arg("--quiet").output().unwrap();
    ok(&out);
    let out = bin().arg("sar").arg("--map").arg(&map).args(["--name", "Jane Roberts"]).output().unwrap();
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 files mention this person"), "{text}");
    assert!(text.contains("clients.csv  [score 3.7: surname with first name nearby, first name, surname with another first name (probably someone else); 111 places]"), "{text}");
    let jane = "rows 2-10, 12-20, 22-30, 32-40, 42-50, 52-60";
    assert!(text.contains(&format!("surname with first name nearby: 54 ({jane})")), "{text}");
    assert!(text.contains(&format!("first name: 54 ({jane})")), "{text}");
    assert!(text.contains("surname with another first name (probably someone else): 3 (rows 11, 31, 51)"), "{text}");
}
