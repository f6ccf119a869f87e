//! Scans read with OCR (Tesseract), end to end through the real binary:
//! each image format, an image-only PDF, the layout cases (a wrapped
//! value, a table, a page on its side), the bounds (an empty page, a huge
//! image, a corrupt one), the redaction round trip, and what happens
//! without Tesseract. Pages are small, so the suite stays quick.

mod common;
#[path = "common/scans.rs"]
mod scans;

use std::path::Path;

use common::{bin, scan_reveal};
use scans::*;
use serde_json::Value;

/// (location, category, value) of each finding in `file`.
fn found(lines: &[Value], file: &str) -> Vec<(String, String, String)> {
    lines
        .iter()
        .filter(|v| v["path"] == file)
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("location"), s("category"), s("value"))
        })
        .collect()
}

fn has(lines: &[Value], file: &str, location: &str, category: &str, value: &str) -> bool {
    found(lines, file).iter().any(|(l, c, v)| l == location && c == category && v == value)
}

fn scan(dir: &Path, extra: &[&str]) -> (std::process::Output, Vec<Value>) {
    let keys = tempfile::tempdir().unwrap();
    scan_reveal(&[dir], extra, keys.path())
}

#[test]
fn png_and_jpeg_scans_are_read_with_their_page_and_confidence() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("letter.png"), png(&letter())).unwrap();
    // A phone photo: tilted 2 degrees, speckled, saved as JPEG.
    std::fs::write(dir.path().join("photo.jpg"), jpeg(&noise(&tilt(&letter(), 2.0), 7, 30), 80)).unwrap();
    let (out, lines) = scan(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for file in ["letter.png", "photo.jpg"] {
        let all = found(&lines, file);
        assert!(has(&lines, file, "page 1 (OCR)", "email", "jane.roberts@example.org"), "{file}: {all:?}");
        assert!(has(&lines, file, "page 1 (OCR)", "phone", "07700 900123"), "{file}: {all:?}");
        assert!(has(&lines, file, "page 1 (OCR)", "postcode", "SW1A 1AA"), "{file}: {all:?}");
    }
    // Confidence is the rule's scaled by the OCR's confidence in the words:
    // never above the same rule's on digital text.
    let keys = tempfile::tempdir().unwrap();
    let text = tempfile::tempdir().unwrap();
    std::fs::write(text.path().join("letter.txt"), "Email: jane.roberts@example.org\n").unwrap();
    let (_, digital) = scan_reveal(&[text.path()], &[], keys.path());
    let digital = digital[0]["confidence"].as_f64().unwrap();
    for v in lines.iter().filter(|v| v["category"] == "email") {
        let c = v["confidence"].as_f64().unwrap();
        assert!(c <= digital && c >= digital * 0.5, "{c} against {digital}");
    }
}
