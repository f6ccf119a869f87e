//! `piisweep anonymise` through the binary: safety rules (sources untouched,
//! `--out` inside a source refused, no overwriting without `--force`), exit
//! statuses, and the same pseudonym for the same person across formats and runs.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use common::bin;
use piisweep::anonymise::operators;
use piisweep::keys::Key;
use sha2::{Digest, Sha256};

/// Run `piisweep anonymise SRC --out OUT --key KEY EXTRA...`.
fn anonymise(src: &Path, out: &Path, key: &Path, extra: &[&str]) -> Output {
    bin().arg("anonymise").arg(src).arg("--out").arg(out).arg("--key").arg(key).args(extra).output().expect("run")
}

/// SHA-256 of every file under `dir`, by relative path.
fn tree_hashes(dir: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            (rel, hex::encode(Sha256::digest(std::fs::read(e.path()).unwrap())))
        })
        .collect()
}

/// Three files about the same person in three formats.
fn write_sources(dir: &Path) {
    std::fs::create_dir_all(dir.join("Mail")).unwrap();
    std::fs::write(
        dir.join("notes.txt"),
        "Case notes\r\nClient: Jane Roberts, date of birth 12/03/1985.\r\nShe lives at ME14 5PP.\r\nTel: 07700 900123\r\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("clients.csv"),
        "Client ID;Full name;DOB;Town;Notes\nC1;Jane Roberts;12/03/1985;Maidstone;Housing\nC2;Priya Patel;01/02/1990;Ashford;Benefits\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("Mail/referral.eml"),
        "From: Tom Baker <tom.baker@example.org>\nTo: Referrals <referrals@charity.org.uk>\nSubject: Referral for Jane Roberts\nReceived: from mail.example.org (10.0.0.1)\nContent-Type: text/plain; charset=utf-8\n\nPlease see Jane Roberts on Monday.\nHer NI number is AB 12 34 56 C.\n",
    )
    .unwrap();
}

#[test]
fn same_person_same_pseudonym_across_files_and_runs_sources_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_sources(&src);
    let key = tmp.path().join("k.key");
    let before = tree_hashes(&src);

    let out1 = tmp.path().join("out1");
    let run = anonymise(&src, &out1, &key, &[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert_eq!(tree_hashes(&src), before, "sources changed");

    let k = Key::load_or_create(&key).unwrap();
    let jane = operators::token(&k, "name", "jane roberts", "Person_", 6);
    let txt = std::fs::read_to_string(out1.join("notes.txt")).unwrap();
    let csv = std::fs::read_to_string(out1.join("clients.csv")).unwrap();
    let eml = std::fs::read_to_string(out1.join("Mail/referral.eml")).unwrap();
    for (name, text) in [("txt", &txt), ("csv", &csv), ("eml", &eml)] {
        assert!(text.contains(&jane), "{name} lacks {jane}:\n{text}");
        assert!(!text.contains("Jane Roberts") && !text.contains("Roberts"), "{name}:\n{text}");
    }
    // txt: line endings and the rest of the text kept; DOB to year, postcode to district.
    assert_eq!(
        txt,
        format!("Case notes\r\nClient: {jane}, date of birth 1985.\r\nShe lives at ME14.\r\nTel: [PHONE]\r\n")
    );
    // csv: same delimiter and columns; other cells unchanged. Two rows can
    // only be told apart by their DOB: k-anonymity (k = 5 in the shipped
    // policy) suppresses it.
    let first = csv.lines().nth(1).unwrap();
    assert_eq!(first, format!("C1;{jane};*;Maidstone;Housing"));
    assert!(stderr.contains("every row suppressed"), "{stderr}");
    // eml: still mail; headers rewritten, tracking headers gone.
    let mail = mailparse::parse_mail(eml.as_bytes()).unwrap();
    use mailparse::MailHeaderMap;
    let from = mail.headers.get_first_value("From").unwrap();
    assert!(!from.contains("Tom Baker") && !from.contains("tom.baker"), "{from}");
    assert!(mail.headers.get_first_value("Received").is_none());
    assert_eq!(mail.headers.get_first_value("Subject").unwrap(), format!("Referral for {jane}"));
    let body = mail.get_body().unwrap();
    assert!(body.contains(&format!("Please see {jane} on Monday.")) && body.contains("[NI NUMBER]"), "{body}");
    assert!(stderr.contains("Verified"), "{stderr}");

    // A later run with the same key gives the same tokens.
    let out2 = tmp.path().join("out2");
    assert_eq!(anonymise(&src, &out2, &key, &["--quiet"]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(out2.join("notes.txt")).unwrap(), txt);
    assert_eq!(std::fs::read_to_string(out2.join("clients.csv")).unwrap(), csv);
}

#[test]
fn out_inside_a_source_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_sources(&src);
    let before = tree_hashes(&src);
    let run = anonymise(&src, &src.join("copies"), &tmp.path().join("k.key"), &[]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("inside the scanned folder"));
    assert!(!src.join("copies").exists());
    assert_eq!(tree_hashes(&src), before);
}

#[test]
fn existing_copies_are_not_overwritten_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_sources(&src);
    let key = tmp.path().join("k.key");
    let out = tmp.path().join("out");
    assert_eq!(anonymise(&src, &out, &key, &["--quiet"]).status.code(), Some(0));
    std::fs::write(out.join("notes.txt"), "sentinel").unwrap();
    let again = anonymise(&src, &out, &key, &[]);
    assert_eq!(again.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists: not overwritten (use --force)"));
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "sentinel");
    assert_eq!(anonymise(&src, &out, &key, &["--force", "--quiet"]).status.code(), Some(0));
    assert!(std::fs::read_to_string(out.join("notes.txt")).unwrap().contains("Person_"));
}

#[test]
fn residual_must_remove_category_exits_4_and_is_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_sources(&src);
    // Masking that keeps every character leaves the phone number in place.
    let policy = tmp.path().join("leaky.toml");
    std::fs::write(&policy, "must_remove = [\"phone\"]\n[categories]\nphone = { operator = \"mask\", keep = 40 }\n")
        .unwrap();
    let run =
        anonymise(&src, &tmp.path().join("out"), &tmp.path().join("k.key"), &["--policy", policy.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("notes.txt line 4: phone"), "{stderr}");
    // The copy that could not be made clean is not left in --out; the others are.
    let out = tmp.path().join("out");
    assert!(!out.join("notes.txt").exists(), "{stderr}");
    assert!(
        stderr.contains("notes.txt: not copied: could not be made clean: the re-scan of its copy still found phone")
    );
    assert!(out.join("clients.csv").exists() && out.join("Mail/referral.eml").exists(), "{stderr}");
    assert!(!stderr.contains("Verified"), "{stderr}");
}

#[test]
fn column_policy_drops_and_replaces_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_sources(&src);
    let policy = tmp.path().join("cols.toml");
    std::fs::write(
        &policy,
        format!(
            "{}\n\"Notes\" = {{ operator = \"drop\" }}\n\"Client ID\" = {{ operator = \"redact\", text = \"-\" }}\n",
            piisweep::anonymise::policy::DEFAULT_POLICY
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let run = anonymise(&src, &out, &tmp.path().join("k.key"), &["--policy", policy.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let csv = std::fs::read_to_string(out.join("clients.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "Client ID;Full name;DOB;Town");
    assert!(lines[2].starts_with("-;Person_") && lines[2].ends_with(";*;Ashford"), "{csv}");
}

#[test]
fn unsupported_files_are_not_copied_and_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_sources(&src);
    std::fs::write(src.join("photo.png"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let out = tmp.path().join("out");
    let run = anonymise(&src, &out, &tmp.path().join("k.key"), &[]);
    assert_eq!(run.status.code(), Some(0));
    assert!(!out.join("photo.png").exists());
    let stderr = String::from_utf8_lossy(&run.stderr);
    // A damaged scan cannot be read with OCR, so it cannot be copied.
    assert!(stderr.contains("photo.png: not copied: corrupt or unreadable image"), "{stderr}");
}

#[test]
fn damaged_odt_and_rtf_are_listed_with_the_reason_and_not_copied() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_sources(&src);
    // An odt cut off after its mimetype, and an RTF whose object data is not in a group.
    let mut odt = b"PK\x03\x04\x0a\0\0\0\0\0".to_vec();
    odt.extend_from_slice(&[0; 16]);
    odt.extend_from_slice(b"\x08\0\0\0mimetypeapplication/vnd.oasis.opendocument.text");
    std::fs::write(src.join("cut.odt"), &odt).unwrap();
    std::fs::write(src.join("odd.rtf"), r"{\rtf1 \objdata 0105 Jane Roberts 07700 900123}").unwrap();
    let out = tmp.path().join("out");
    let run = anonymise(&src, &out, &tmp.path().join("k.key"), &[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("cut.odt: not copied: damaged zip"), "{stderr}");
    assert!(stderr.contains("odd.rtf: not copied: damaged RTF"), "{stderr}");
    assert!(!out.join("cut.odt").exists() && !out.join("odd.rtf").exists());
    assert!(out.join("notes.txt").exists(), "the other files are still copied");
}

/// Text and CSV copies are streamed from source to copy, so files over
/// `--max-file-size` (which applies to formats read whole) are copied: in
/// their own encoding, byte-order mark and line endings, every value
/// replaced, and a CSV file made k-anonymous by a second pass over its copy.
#[test]
fn text_and_csv_over_the_size_limit_are_streamed_into_their_copies() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    // Windows-1252 text with CRLF line endings, about 300 KB.
    let n = 5000;
    let mut text = Vec::new();
    for i in 0..n {
        text.extend_from_slice(format!("Visit {i}: Jane Roberts rang from 07700 900123, ").as_bytes());
        text.extend_from_slice(b"caf\xE9 voucher given.\r\n");
    }
    std::fs::write(src.join("notes.txt"), &text).unwrap();
    // UTF-8 CSV with a byte-order mark and no final line ending; one row's
    // gender is the only one of its kind.
    let mut csv = "\u{FEFF}Ref,First name,Surname,Phone,Gender,Town\n".to_string();
    for i in 0..n {
        let gender = if i == 77 { "Non-binary" } else { "Female" };
        csv.push_str(&format!("R{i},Jane,Roberts,07700 900123,{gender},Maidstone\n"));
    }
    csv.pop();
    std::fs::write(src.join("clients.csv"), &csv).unwrap();
    assert!(text.len() > 200 << 10 && csv.len() > 200 << 10);
    let out = tmp.path().join("out");
    let run = anonymise(&src, &out, &tmp.path().join("k.key"), &["--max-file-size", "100KB"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("larger than --max-file-size"), "{stderr}");

    let copy = std::fs::read(out.join("notes.txt")).unwrap();
    let lines: Vec<&[u8]> = copy.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), n);
    for (i, line) in lines.iter().enumerate() {
        let line = String::from_utf8_lossy(line);
        assert!(line.starts_with(&format!("Visit {i}: Person_")), "{line}");
        assert!(line.ends_with(" rang from [PHONE], caf\u{FFFD} voucher given.\r\n"), "{line}");
    }
    assert_eq!(copy.iter().filter(|&&b| b == 0xE9).count(), n, "Windows-1252 bytes copied as they were");

    let copy = std::fs::read_to_string(out.join("clients.csv")).unwrap();
    assert!(copy.starts_with("\u{FEFF}Ref,First name,Surname,Phone,Gender,Town\n"), "{}", &copy[..100]);
    assert!(!copy.ends_with('\n'));
    let rows: Vec<Vec<&str>> = copy.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), n);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], format!("R{i}"));
        assert!(row[1].starts_with("Person_") && row[2].starts_with("Person_") && row[3] == "[PHONE]", "{row:?}");
        // The one row of its kind is suppressed; the others keep their gender.
        assert_eq!(row[4], if i == 77 { "*" } else { "Female" }, "row {i}");
        assert_eq!(row[5], "Maidstone");
    }
    assert!(stderr.contains(&format!("suppressed 1 of {n} rows")), "{stderr}");
    // No working file is left beside the copies.
    let names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.contains("partial")), "{names:?}");
}
