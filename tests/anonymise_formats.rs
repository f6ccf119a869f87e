//! `piisweep anonymise` over the generated corpus (txt, csv, xlsx, docx, pdf,
//! eml, mbox, zip): every copy re-opened with its own reader (csv, calamine,
//! zip + XML, lopdf + piisweep's PDF extractor, mailparse), the personal data
//! the scanner found in the source gone, and the rest unchanged.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use calamine::{Data, Reader};
use common::{bin, scan_reveal};
use piisweep::extract::{self, Emit, Input, Limits, Segment};

/// All text of a file and its parts, as the extractors read it.
#[derive(Default)]
struct AllText(String, usize);

impl Emit for AllText {
    fn segment(&mut self, seg: Segment<'_>) {
        self.0.push_str(seg.text);
        self.0.push('\n');
    }
    fn part(&mut self, name: &str, data: &[u8]) {
        self.1 += 1;
        let _ = extract::extract(name, &Input::Bytes(data), self, &Limits::default());
    }
    fn warn(&mut self, _: String) {}
}

fn all_text(path: &Path) -> AllText {
    let data = std::fs::read(path).unwrap();
    let mut t = AllText::default();
    extract::extract(&path.to_string_lossy(), &Input::Bytes(&data), &mut t, &Limits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    t
}

fn word_in(text: &str, value: &str) -> bool {
    text.match_indices(value).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + value.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The corpus, its anonymised copy, and source → copy paths from the summary.
struct Fixture {
    _tmp: tempfile::TempDir,
    drive: PathBuf,
    out: PathBuf,
    copies: BTreeMap<String, String>,
    /// Values the scanner found, by source path.
    found: BTreeMap<String, BTreeSet<String>>,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    piisweep::corpus::generate(&tmp.path().join("corpus"), &piisweep::corpus::Options::default()).unwrap();
    let drive = tmp.path().join("corpus/drive");
    let out = tmp.path().join("out");
    let (_, findings) = scan_reveal(&[&drive], &[], tmp.path());
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &findings {
        let value = f["value"].as_str().unwrap().to_string();
        if !value.trim().is_empty() {
            let top = f["path"].as_str().unwrap().split('!').next().unwrap().to_string();
            found.entry(top).or_default().insert(value);
        }
    }
    let run = bin()
        .arg("anonymise")
        .arg(&drive)
        .arg("--out")
        .arg(&out)
        .arg("--key")
        .arg(tmp.path().join("k.key"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Verified: the re-scan of the copies found no personal data."), "{stderr}");
    assert!(!stderr.contains("Not copied"), "{stderr}");
    let mut copies = BTreeMap::new();
    for line in stderr.lines().filter(|l| l.starts_with("  ") && !l.starts_with("    ")) {
        let Some((paths, _)) = line.trim().split_once(": ") else { continue };
        let (src, dst) = paths.split_once(" -> ").unwrap_or((paths, paths));
        copies.insert(src.to_string(), dst.to_string());
    }
    assert_eq!(copies.len(), 47, "{stderr}");
    Fixture { _tmp: tmp, drive, out, copies, found }
}

impl Fixture {
    fn pair(&self, src: &str) -> (PathBuf, PathBuf) {
        (self.drive.join(src), self.out.join(&self.copies[src]))
    }
}

#[test]
fn every_format_copied_with_personal_data_gone_and_the_rest_kept() {
    let fx = fixture();
    // 1. In every copy, none of the values found in its source remain.
    let mut checked = 0;
    for (src, dst) in &fx.copies {
        let text = all_text(&fx.out.join(dst)).0;
        for value in fx.found.get(src).into_iter().flatten() {
            assert!(!word_in(&text, value), "{dst} still holds {value:?}");
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} values checked");
    // File names that named people are pseudonymised.
    assert!(fx.copies.values().all(|d| !d.contains("neil-bates")));

    csv_kept(&fx);
    xlsx_kept(&fx);
    docx_kept(&fx);
    mail_kept(&fx);
    pdf_kept(&fx);
    zip_kept(&fx);
}

fn csv_kept(fx: &Fixture) {
    let (src, dst) = fx.pair("Clients/referrals-2024.csv");
    let read = |p: &Path| -> Vec<csv::StringRecord> {
        csv::ReaderBuilder::new().has_headers(false).from_path(p).unwrap().records().map(Result::unwrap).collect()
    };
    let (a, b) = (read(&src), read(&dst));
    assert_eq!(a.len(), b.len());
    assert_eq!(a[0], b[0], "header row");
    for (ra, rb) in a.iter().zip(&b).skip(1) {
        assert_eq!(ra.len(), rb.len());
        // Client ID and Town are not personal data.
        assert_eq!(ra.get(0), rb.get(0));
        assert_eq!(ra.get(5), rb.get(5));
        assert!(rb.get(1).unwrap().starts_with("Person_"), "{rb:?}");
    }
}

fn xlsx_kept(fx: &Fixture) {
    let (src, dst) = fx.pair("Volunteers/volunteers.xlsx");
    let found = &fx.found["Volunteers/volunteers.xlsx"];
    let mut a = calamine::open_workbook_auto(&src).unwrap();
    let mut b = calamine::open_workbook_auto(&dst).unwrap();
    assert_eq!(a.sheet_names(), b.sheet_names());
    let (mut same, mut dates) = (0, 0);
    for name in a.sheet_names() {
        let ra = a.worksheet_range(&name).unwrap();
        let rb = b.worksheet_range(&name).unwrap();
        assert_eq!(ra.start(), rb.start());
        assert_eq!(ra.end(), rb.end());
        for (r, c, va) in ra.used_cells() {
            let vb = rb.get((r, c)).unwrap_or(&Data::Empty);
            let text = va.to_string();
            if found.iter().any(|v| text.contains(v.as_str())) {
                assert_ne!(va, vb, "{name} {r},{c}");
                continue;
            }
            if matches!(va, Data::DateTime(_)) && matches!(vb, Data::DateTime(_)) {
                dates += 1;
            }
            if matches!(va, Data::DateTime(_)) && !matches!(vb, Data::DateTime(_)) {
                // A date of birth, generalised to its year.
                assert!(vb.to_string().len() == 4, "{name} {r},{c}: {va:?} -> {vb:?}");
                continue;
            }
            assert_eq!(va, vb, "{name} {r},{c}");
            same += 1;
        }
    }
    assert!(same > 10, "{same} cells kept");
    assert!(dates > 0, "no date cell kept as a date");
}

fn zip_member(path: &Path, name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(std::fs::read(path).unwrap())).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

fn docx_kept(fx: &Fixture) {
    for src_name in fx.copies.keys().filter(|p| p.ends_with(".docx")) {
        let (src, dst) = fx.pair(src_name);
        let (a, b) = (zip_member(&src, "word/document.xml"), zip_member(&dst, "word/document.xml"));
        assert_eq!(
            a.matches("<w:p>").count() + a.matches("<w:p ").count(),
            b.matches("<w:p>").count() + b.matches("<w:p ").count()
        );
        assert_eq!(a.matches("<w:r>").count(), b.matches("<w:r>").count(), "runs kept in {src_name}");
        assert_eq!(a.matches("<w:b/>").count(), b.matches("<w:b/>").count(), "bold kept in {src_name}");
        assert!(b.contains("Person_"), "{src_name}");
        let core = zip_member(&dst, "docProps/core.xml");
        assert!(!core.contains("<dc:creator>") || core.contains("<dc:creator></dc:creator>"), "{core}");
    }
}

fn mail_kept(fx: &Fixture) {
    for src_name in fx.copies.keys().filter(|p| p.ends_with(".eml")) {
        let (src, dst) = fx.pair(src_name);
        let (a, b) = (std::fs::read(&src).unwrap(), std::fs::read(&dst).unwrap());
        let (ma, mb) = (mailparse::parse_mail(&a).unwrap(), mailparse::parse_mail(&b).unwrap());
        let shape = |m: &mailparse::ParsedMail<'_>| -> Vec<String> {
            fn walk(m: &mailparse::ParsedMail<'_>, out: &mut Vec<String>) {
                out.push(m.ctype.mimetype.clone());
                m.subparts.iter().for_each(|s| walk(s, out));
            }
            let mut v = Vec::new();
            walk(m, &mut v);
            v
        };
        assert_eq!(shape(&ma), shape(&mb), "{src_name}");
        assert_eq!(all_text(&src).1, all_text(&dst).1, "attachments of {src_name}");
    }
    let (src, dst) = fx.pair("Mail/export.mbox");
    assert_eq!(all_text(&src).1, all_text(&dst).1, "messages in the mbox");
    assert!(all_text(&dst).0.contains("Person_"));
}

fn pdf_kept(fx: &Fixture) {
    let (src, dst) = fx.pair("Reports/quarterly-report.pdf");
    let a = lopdf::Document::load(&src).unwrap();
    let b = lopdf::Document::load(&dst).unwrap();
    assert_eq!(a.get_pages().len(), b.get_pages().len());
    let (ta, tb) = (all_text(&src).0, all_text(&dst).0);
    assert!(tb.contains("Person_"), "{tb}");
    // The lines without personal data read the same.
    let found = &fx.found["Reports/quarterly-report.pdf"];
    let kept: Vec<&str> =
        ta.lines().filter(|l| l.len() > 20 && !found.iter().any(|v| l.contains(v.as_str()))).collect();
    assert!(!kept.is_empty());
    for line in kept {
        assert!(tb.contains(line), "lost: {line}");
    }
}

fn zip_kept(fx: &Fixture) {
    let (src, dst) = fx.pair("Archive/old-files.zip");
    let names = |p: &Path| -> Vec<String> {
        zip::ZipArchive::new(Cursor::new(std::fs::read(p).unwrap()))
            .unwrap()
            .file_names()
            .map(|n| n.unwrap().into_owned())
            .collect()
    };
    assert_eq!(names(&src), names(&dst));
    let log = zip_member(&dst, "Notes/helpline-log-2019.txt");
    assert!(log.contains("Person_"), "{log}");
}
