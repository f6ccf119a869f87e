//! The scanner through its command line, on the shipped fixtures.

mod common;

use std::path::Path;

use common::*;

fn sample() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/sample"))
}

#[test]
fn finds_exactly_the_labelled_items_in_the_sample() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, lines) =
        scan_reveal(&[&sample().join("case-notes.txt"), &sample().join("referrals.csv")], &[], tmp.path());
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let got = quads(&lines);
    let want = quads(&read_jsonl(&sample().join("expected.jsonl")));
    let missed: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(missed.is_empty() && extra.is_empty(), "missed: {missed:#?}\nfalse alarms: {extra:#?}");
}

#[test]
fn output_follows_the_findings_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("k.key");
    let out = bin().args(["scan", "--quiet", "--jsonl", "-", "--key"]).arg(&key).arg(sample()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.is_empty());
    const CATEGORIES: &[&str] = &[
        "name",
        "dob",
        "nino",
        "postcode",
        "phone",
        "email",
        "nhs_number",
        "bank_card",
        "sort_code",
        "bank_account",
        "address",
    ];
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v.get("value").is_none(), "value without --reveal: {line}");
        let masked = v["masked"].as_str().unwrap();
        assert!(masked.contains('*'), "{line}");
        let hash = v["hash"].as_str().unwrap();
        assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()), "{line}");
        let c = v["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c));
        assert!(CATEGORIES.contains(&v["category"].as_str().unwrap()), "{line}");
        assert!(!v["rule"].as_str().unwrap().is_empty());
        assert!(!v["path"].as_str().unwrap().contains('\\'));
        assert!(!v["location"].as_str().unwrap().is_empty());
    }
    // The key never appears in the output, and its hashes are stable across runs.
    let key_hex = std::fs::read_to_string(&key).unwrap();
    assert!(!text.contains(key_hex.trim()));
    let again = bin().args(["scan", "--quiet", "--jsonl", "-", "--key"]).arg(&key).arg(sample()).output().unwrap();
    let hashes = |t: &str| {
        let mut h: Vec<String> = t
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["hash"].as_str().unwrap().to_string())
            .collect();
        h.sort();
        h
    };
    assert_eq!(hashes(&text), hashes(&String::from_utf8(again.stdout).unwrap()));
}

#[test]
fn paths_are_relative_to_the_root_given() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("Shared Drive");
    std::fs::create_dir_all(root.join("Clients/2024")).unwrap();
    std::fs::write(root.join("Clients/2024/notes.txt"), "Email jane.roberts@gmail.com\n").unwrap();
    let (_, lines) = scan_reveal(&[&root], &[], tmp.path());
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["path"], "Clients/2024/notes.txt");
    assert_eq!(lines[0]["location"], "line 1");
}

#[test]
fn exit_status_3_when_a_file_cannot_be_read_and_the_reason_is_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("ok.txt"), "Mobile 07700 900123\n").unwrap();
    // A password-protected Word file is an OLE2 container holding an EncryptedPackage stream.
    let mut enc = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    enc.extend(vec![0u8; 512]);
    enc.extend("EncryptedPackage".bytes().flat_map(|b| [b, 0]));
    std::fs::write(root.join("secret.docx"), enc).unwrap();
    let out = bin().args(["scan", "--jsonl", "-", "--key"]).arg(tmp.path().join("k")).arg(&root).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("secret.docx") && stderr.contains("encrypted"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1, "the readable file is still scanned");
}

#[test]
fn bad_usage_exits_2_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin().args(["scan", "/no/such/folder", "--key"]).arg(tmp.path().join("k")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/folder does not exist"));

    let out = bin().args(["scan", "--no-such-option", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-such-option"));

    let rules = tmp.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("bad.toml"), "[[rule]]\nid = \"x\"\ncategory = \"nino\npattern = \"x\"\n").unwrap();
    let out = bin()
        .args(["scan", "--rules"])
        .arg(&rules)
        .arg(sample())
        .args(["--key"])
        .arg(tmp.path().join("k"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.toml") && stderr.contains("line 3"), "{stderr}");

    let out = bin().args(["scan", "--jsonl"]).arg(sample().join("out.jsonl")).arg(sample()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("inside the scanned folder"));
    assert!(!sample().join("out.jsonl").exists());
}

#[test]
fn custom_rules_directory_replaces_the_builtin_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("only-email.toml"),
        "[[rule]]\nid = \"email.custom\"\ncategory = \"email\"\npattern = '[a-z.]+@[a-z.]+'\nvalidator = \"email\"\nconfidence = 0.9\nneeds = [\"at\"]\n",
    )
    .unwrap();
    let (out, lines) =
        scan_reveal(&[&sample().join("case-notes.txt")], &["--rules", rules.to_str().unwrap()], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l["rule"] == "email.custom"), "{lines:?}");
}

/// A register pasted into a text file: a header row and hundreds of rows,
/// whose dates, sort codes and account numbers are personal only by their
/// column. Every row is read under its header, as a CSV's would be.
#[test]
fn a_register_pasted_into_text_is_read_by_its_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let drive = tmp.path().join("drive");
    std::fs::create_dir(&drive).unwrap();
    let rows = 300;
    for (name, sep) in [("pipes.txt", " | "), ("tabs.txt", "\t")] {
        let mut text = format!("Carers register\n\nName{sep}DOB{sep}Sort code{sep}Account\n");
        for i in 0..rows {
            let day = 1 + i % 28;
            text.push_str(&format!(
                "Client {i}{sep}{day:02}/03/19{:02}{sep}20-{:02}-{:02}{sep}{}\n",
                40 + i % 50,
                10 + i % 80,
                11 + i % 77,
                31_000_000 + i * 7919
            ));
        }
        std::fs::write(drive.join(name), text).unwrap();
    }
    let (out, lines) = scan_reveal(&[&drive], &[], tmp.path());
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    for file in ["pipes.txt", "tabs.txt"] {
        for category in ["dob", "sort_code", "bank_account"] {
            let n = lines.iter().filter(|f| f["path"] == file && f["category"] == category).count();
            assert_eq!(n, rows, "{file}: {category}");
        }
    }
    // The last row's date is on its own line number.
    assert!(lines.iter().any(|f| f["path"] == "pipes.txt" && f["category"] == "dob" && f["location"] == "line 303"));
}
