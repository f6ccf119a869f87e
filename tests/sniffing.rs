//! File types are decided by content, not only by name.

mod common;

use common::*;

#[test]
fn misnamed_files_are_read_by_their_content() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    let labels = piisweep_testkit::corpus::generate(&corpus, &Default::default()).unwrap();
    let docx = labels.iter().find(|l| !l.path.contains('!') && l.path.ends_with(".docx")).unwrap();
    let xlsx = labels.iter().find(|l| l.path.ends_with(".xlsx")).unwrap();
    let pdf = labels.iter().find(|l| l.path.ends_with(".pdf")).unwrap();
    let eml = labels.iter().find(|l| l.path.ends_with(".eml") && l.category.as_str() == "email").unwrap();
    let drive = tmp.path().join("misnamed");
    std::fs::create_dir_all(&drive).unwrap();
    for (label, new_name) in [(docx, "letter.dat"), (xlsx, "volunteers"), (pdf, "report.txt"), (eml, "message.txt")] {
        std::fs::copy(corpus.join("drive").join(&label.path), drive.join(new_name)).unwrap();
    }
    // A blank picture named .txt: read as an image (with OCR), nothing on it.
    let mut blank = std::io::Cursor::new(Vec::new());
    image::GrayImage::from_pixel(40, 40, image::Luma([255])).write_to(&mut blank, image::ImageFormat::Png).unwrap();
    std::fs::write(drive.join("photo.txt"), blank.into_inner()).unwrap();
    let (out, lines) = scan_reveal(&[&drive], &[], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for (label, new_name) in [(docx, "letter.dat"), (xlsx, "volunteers"), (pdf, "report.txt"), (eml, "message.txt")] {
        assert!(
            lines.iter().any(|l| l["path"] == new_name && l["value"] == label.value.as_str()),
            "{new_name}: {} not found",
            label.value
        );
    }
    // The summary (not quiet) counts the image as scanned (read with OCR),
    // neither skipped nor failed.
    let out = bin().arg("scan").arg(&drive).arg("--key").arg(tmp.path().join("k.key")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Scanned 5 files") && !stderr.contains("photo.txt"), "{stderr}");
}
