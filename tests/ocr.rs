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

/// `piisweep anonymise SRC --out OUT --key KEY EXTRA...`.
fn anonymise(src: &Path, out: &Path, key: &Path, extra: &[&str]) -> std::process::Output {
    bin().arg("anonymise").arg(src).arg("--out").arg(out).arg("--key").arg(key).args(extra).output().unwrap()
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

#[test]
fn a_multi_page_g4_tiff_is_read_page_by_page() {
    let dir = tempfile::tempdir().unwrap();
    let first = page(1200, 400, 34.0, &[(80, 80, "Fax cover sheet"), (80, 160, "Pages: 2")]);
    let second = page(1200, 400, 34.0, &[(80, 80, "Reply to"), (80, 160, "Email: tom.hughes@example.net")]);
    // Bilevel: thresholded, as a fax is.
    std::fs::write(dir.path().join("fax.tif"), g4_tiff(&[first, second])).unwrap();
    // Not quiet: the summary names the Tesseract that read the pages, and counts them.
    let keys = tempfile::tempdir().unwrap();
    let jsonl = keys.path().join("found.jsonl");
    let out = bin()
        .arg("scan")
        .arg(dir.path())
        .args(["--reveal", "--jsonl"])
        .arg(&jsonl)
        .arg("--key")
        .arg(keys.path().join("k.key"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let ocr_line = stderr.lines().find(|l| l.starts_with("OCR: tesseract ")).unwrap_or_else(|| panic!("{stderr}"));
    assert!(ocr_line.ends_with(", 2 pages read"), "{stderr}");
    let lines = common::read_jsonl(&jsonl);
    assert!(
        has(&lines, "fax.tif", "page 2 (OCR)", "email", "tom.hughes@example.net"),
        "{:?}",
        found(&lines, "fax.tif")
    );
}

#[test]
fn g3_fax_tiffs_are_read_in_each_coding() {
    // Modified Huffman, T.4 one-dimensional and two-dimensional: as fax
    // software writes them, one page each in one file.
    let page_of = |line: &str| page(1200, 300, 34.0, &[(80, 60, "Fax from the surgery"), (80, 160, line)]);
    let pages = [
        (page_of("Email: ann.lee@example.net"), G3Coding::ModifiedHuffman),
        (page_of("Phone: 07700 900456"), G3Coding::OneD),
        (page_of("Email: tom.hughes@example.net"), G3Coding::TwoD),
    ];
    let tiff = g3_tiff(&pages);
    // Decoded pixel for pixel as they were drawn (thresholded, as a fax is).
    let mut decoded = Vec::new();
    piisweep::formats::image::for_each_page(&tiff, &piisweep::formats::Limits::default(), &mut |_, p| {
        decoded.push((p.bilevel, p.image.to_luma8()));
        Ok(())
    })
    .unwrap();
    assert_eq!(decoded.len(), 3);
    for ((bilevel, got), (drawn, _)) in decoded.iter().zip(&pages) {
        assert!(bilevel);
        let differ = got.pixels().zip(drawn.pixels()).filter(|(a, b)| (a.0[0] < 128) != (b.0[0] < 128)).count();
        assert_eq!(differ, 0);
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fax.tif"), &tiff).unwrap();
    let (out, lines) = scan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let all = found(&lines, "fax.tif");
    assert!(has(&lines, "fax.tif", "page 1 (OCR)", "email", "ann.lee@example.net"), "{all:?}");
    assert!(has(&lines, "fax.tif", "page 2 (OCR)", "phone", "07700 900456"), "{all:?}");
    assert!(has(&lines, "fax.tif", "page 3 (OCR)", "email", "tom.hughes@example.net"), "{all:?}");
}

#[test]
fn image_only_pdfs_are_read_with_ocr_in_each_image_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let blank = page(1400, 700, 34.0, &[(80, 80, "Continued overleaf")]);
    std::fs::write(dir.path().join("jpeg.pdf"), image_pdf(&[blank.clone(), letter()], PdfImage::Jpeg)).unwrap();
    std::fs::write(dir.path().join("flate.pdf"), image_pdf(&[letter()], PdfImage::Flate)).unwrap();
    std::fs::write(dir.path().join("fax.pdf"), image_pdf(&[blank, letter()], PdfImage::G4)).unwrap();
    std::fs::write(dir.path().join("g3.pdf"), image_pdf(&[letter()], PdfImage::G3TwoD)).unwrap();
    std::fs::write(dir.path().join("g3-1d.pdf"), image_pdf(&[letter()], PdfImage::G3Aligned)).unwrap();
    let (out, lines) = scan(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for (file, page) in [("jpeg.pdf", 2), ("flate.pdf", 1), ("fax.pdf", 2), ("g3.pdf", 1), ("g3-1d.pdf", 1)] {
        let at = format!("page {page} (OCR)");
        assert!(has(&lines, file, &at, "email", "jane.roberts@example.org"), "{file}: {:?}", found(&lines, file));
        assert!(has(&lines, file, &at, "postcode", "SW1A 1AA"), "{file}: {:?}", found(&lines, file));
    }
}

/// The (category, value) pairs the same text finds as a digital document.
fn digital(text: &str) -> std::collections::BTreeSet<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("digital.txt"), text).unwrap();
    let (_, lines) = scan(dir.path(), &[]);
    lines.iter().map(|v| (v["category"].as_str().unwrap().into(), v["value"].as_str().unwrap().into())).collect()
}

#[test]
fn wrapped_values_and_tables_are_found_as_in_the_digital_document() {
    // A value wrapped onto the next line, and a table whose columns
    // Tesseract reads as separate blocks (header row over values).
    let wrapped = [
        "Please write to our client at 14 Mill Lane,",
        "Leeds LS1 4AB or by email to",
        "jane.roberts@example.org before Friday.",
    ];
    let mut lines: Vec<(u32, u32, &str)> =
        wrapped.iter().enumerate().map(|(i, l)| (60, 60 + 50 * i as u32, *l)).collect();
    let table = [
        (60, 300, "Name"),
        (480, 300, "DOB"),
        (860, 300, "Phone"),
        (60, 360, "Jane Roberts"),
        (480, 360, "12/03/1984"),
        (860, 360, "07700 900123"),
        (60, 420, "Tom Hughes"),
        (480, 420, "01/11/1990"),
        (860, 420, "07700 900456"),
    ];
    lines.extend(table);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.png"), png(&page(1300, 520, 32.0, &lines))).unwrap();
    let (_, found_lines) = scan(dir.path(), &[]);
    let ocr: std::collections::BTreeSet<(String, String)> = found(&found_lines, "notes.png")
        .into_iter()
        .inspect(|(l, _, _)| assert_eq!(l, "page 1 (OCR)"))
        .map(|(_, c, v)| (c, v))
        .collect();
    let text = format!(
        "{}\n\nName          DOB           Phone\nJane Roberts  12/03/1984    07700 900123\nTom Hughes    01/11/1990    07700 900456\n",
        wrapped.join("\n")
    );
    let want = digital(&text);
    assert!(want.contains(&("dob".into(), "12/03/1984".into())), "{want:?}");
    assert!(want.contains(&("postcode".into(), "LS1 4AB".into())), "{want:?}");
    let missing: Vec<_> = want.difference(&ocr).collect();
    assert!(missing.is_empty(), "missed {missing:?}; OCR found {ocr:?}");
}

#[test]
fn a_page_on_its_side_is_turned_upright_and_an_empty_page_is_read_empty() {
    let dir = tempfile::tempdir().unwrap();
    let sideways = image::imageops::rotate90(&letter());
    std::fs::write(dir.path().join("sideways.png"), png(&sideways)).unwrap();
    std::fs::write(dir.path().join("blank.png"), png(&page(800, 600, 30.0, &[]))).unwrap();
    let (out, lines) = scan(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The blank page is read (nothing on it), not listed as unread.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(found(&lines, "blank.png").is_empty());
    assert!(
        has(&lines, "sideways.png", "page 1 (OCR)", "email", "jane.roberts@example.org"),
        "{:?}",
        found(&lines, "sideways.png")
    );
}

/// A PNG whose header claims `w` x `h` pixels (its one row of data is
/// nowhere near that): the CRC is right, so only the size gives it away.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut data = png(&page(4, 4, 10.0, &[]));
    // IHDR: length(4) "IHDR"(4) at 8; width at 16, height at 20, CRC at 29.
    data[16..20].copy_from_slice(&w.to_be_bytes());
    data[20..24].copy_from_slice(&h.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&data[12..29]);
    data[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    data
}

#[test]
fn huge_and_corrupt_images_are_listed_as_not_read() {
    let dir = tempfile::tempdir().unwrap();
    // 60000 x 60000: 3.6 billion pixels, refused from the header alone.
    std::fs::write(dir.path().join("huge.png"), png_claiming(60_000, 60_000)).unwrap();
    let full = png(&letter());
    std::fs::write(dir.path().join("cut.png"), &full[..full.len() / 2]).unwrap();
    std::fs::write(dir.path().join("letter.png"), &full).unwrap();
    let (out, lines) = scan(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("huge.png") && stderr.contains("over the limit of 64 million pixels"), "{stderr}");
    assert!(stderr.contains("cut.png") && stderr.contains("corrupt or unreadable image"), "{stderr}");
    // The good scan beside them is still read.
    assert!(has(&lines, "letter.png", "page 1 (OCR)", "email", "jane.roberts@example.org"));
}

#[test]
fn without_tesseract_scans_are_not_read_and_not_copied() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("letter.png"), png(&letter())).unwrap();
    std::fs::write(dir.path().join("scan.pdf"), image_pdf(&[letter()], PdfImage::Jpeg)).unwrap();
    let (out, lines) = scan(dir.path(), &["--tesseract", "/nonexistent/tesseract"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(lines.is_empty());
    assert_eq!(stderr.matches("needs OCR: install tesseract-ocr").count(), 2, "{stderr}");

    let copies = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let out = anonymise(
        dir.path(),
        &copies.path().join("out"),
        &keys.path().join("k.key"),
        &["--tesseract", "/nonexistent/tesseract"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // As for any file that cannot be copied: said, and not written.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("letter.png: not copied: needs OCR: install tesseract-ocr"), "{stderr}");
    assert!(stderr.contains("scan.pdf: not copied: needs OCR"), "{stderr}");
    assert!(!copies.path().join("out/letter.png").exists(), "{stderr}");
    assert!(!copies.path().join("out/scan.pdf").exists(), "{stderr}");
}

#[test]
fn anonymised_scans_keep_their_format_with_the_personal_data_boxed_out() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("letter.png"), png(&letter())).unwrap();
    let cover = page(1200, 400, 34.0, &[(80, 80, "Fax cover sheet"), (80, 160, "Pages: 2")]);
    std::fs::write(src.join("fax.tif"), g4_tiff(&[cover, letter()])).unwrap();
    std::fs::write(src.join("scan.pdf"), image_pdf(&[letter()], PdfImage::Jpeg)).unwrap();
    // Fed in sideways: the boxes land on the words all the same.
    std::fs::write(src.join("sideways.png"), png(&image::imageops::rotate270(&letter()))).unwrap();
    let out_dir = dir.path().join("out");
    let out = anonymise(&src, &out_dir, &dir.path().join("k.key"), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Exit 0: the copies were re-read with OCR and nothing was left.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Verified: 4 of 4 copies re-scanned"), "{stderr}");

    // Each copy is its own format: PNG, a two-page bilevel G4 TIFF, an image-only PDF.
    let png_copy = std::fs::read(out_dir.join("letter.png")).unwrap();
    assert_eq!(image::guess_format(&png_copy).unwrap(), image::ImageFormat::Png);
    let tif = std::fs::read(out_dir.join("fax.tif")).unwrap();
    let mut dec = tiff::decoder::Decoder::new(std::io::Cursor::new(&tif)).unwrap();
    assert_eq!(dec.get_tag_u32(tiff::tags::Tag::Compression).unwrap(), 4);
    assert!(dec.more_images());
    dec.next_image().unwrap();
    assert!(!dec.more_images());
    let pdf = lopdf::Document::load_mem(&std::fs::read(out_dir.join("scan.pdf")).unwrap()).unwrap();
    let page = *pdf.get_pages().get(&1).unwrap();
    let images = pdf.get_page_images(page).unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].filters.as_deref(), Some(&["DCTDecode".to_string()][..]));

    // Read again: the personal data is gone, the rest of the page is there.
    let (_, lines) = scan(&out_dir, &[]);
    let left: Vec<_> = lines.iter().filter(|v| v["category"] != "name").collect();
    assert!(left.is_empty(), "{left:?}");
    let text = bin().arg("extract").arg(&out_dir).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    for file in ["letter.png", "fax.tif", "scan.pdf", "sideways.png"] {
        let file_text: String = text.lines().filter(|l| l.contains(&format!("\"path\":\"{file}\""))).collect();
        assert!(file_text.contains("Referral for support"), "{file}: {file_text}");
        assert!(!file_text.contains("jane.roberts") && !file_text.contains("900123"), "{file}: {file_text}");
    }
}

#[test]
fn a_scan_attached_to_an_email_is_read_and_boxed_in_the_copy() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let attachment = base64::engine::general_purpose::STANDARD.encode(png(&letter()));
    let wrapped: Vec<&str> = attachment.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect();
    let eml = format!(
        "From: office@example.org\r\nTo: team@example.org\r\nSubject: referral\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n\
         Scan attached.\r\n--b1\r\nContent-Type: image/png; name=\"form.png\"\r\n\
         Content-Disposition: attachment; filename=\"form.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        wrapped.join("\r\n")
    );
    std::fs::write(src.join("referral.eml"), eml).unwrap();
    let (out, lines) = scan(&src, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let part = "referral.eml!attachments/form.png";
    assert!(has(&lines, part, "page 1 (OCR)", "email", "jane.roberts@example.org"), "{lines:?}");

    // Its copy: the attachment is anonymised like a scan on disk.
    let out_dir = dir.path().join("out");
    let out = anonymise(&src, &out_dir, &dir.path().join("k.key"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, lines) = scan(&out_dir, &[]);
    assert!(found(&lines, part).iter().all(|(_, c, _)| c == "name"), "{lines:?}");
    assert!(!lines.iter().any(|v| v["category"] == "email" || v["category"] == "phone"), "{lines:?}");
}

/// A zip package of `members` (name, bytes).
fn package(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A Word document saying `text`, with `pictures` in word/media/.
fn docx_with(text: &str, pictures: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"#
    );
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let mut members = vec![("[Content_Types].xml", types.as_bytes().to_vec()), ("word/document.xml", doc.into_bytes())];
    members.extend(pictures.iter().map(|(n, d)| (*n, d.clone())));
    package(&members)
}

fn member_of(path: &Path, name: &str) -> Vec<u8> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(std::fs::read(path).unwrap())).unwrap();
    let mut out = Vec::new();
    z.by_name(name).unwrap().read_to_end(&mut out).unwrap();
    out
}

#[test]
fn pictures_in_office_documents_are_read_and_boxed_in_the_copy() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    // A scanned form pasted into a Word document, beside a small logo that
    // holds a number of its own (too small to be a page of text: not read).
    let logo = page(600, 48, 30.0, &[(10, 8, "Call 07700 900777")]);
    let pictures = [("word/media/image1.png", png(&letter())), ("word/media/image2.png", png(&logo))];
    std::fs::write(src.join("form.docx"), docx_with("Form attached.", &pictures)).unwrap();
    // A slide with a photo of a letter, and a workbook with one on a sheet.
    let pptx = package(&[
        (
            "ppt/presentation.xml",
            br#"<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>"#.to_vec(),
        ),
        ("ppt/media/image1.jpeg", jpeg(&letter(), 85)),
    ]);
    std::fs::write(src.join("slides.pptx"), pptx).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Scanned form below").unwrap();
    sheet.insert_image(2, 0, &rust_xlsxwriter::Image::new_from_buffer(&png(&letter())).unwrap()).unwrap();
    std::fs::write(src.join("book.xlsx"), book.save_to_buffer().unwrap()).unwrap();

    let (out, lines) = scan(&src, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for part in
        ["form.docx!word/media/image1.png", "slides.pptx!ppt/media/image1.jpeg", "book.xlsx!xl/media/image1.png"]
    {
        assert!(has(&lines, part, "page 1 (OCR)", "email", "jane.roberts@example.org"), "{part}: {lines:?}");
        assert!(has(&lines, part, "page 1 (OCR)", "postcode", "SW1A 1AA"), "{part}: {lines:?}");
    }
    assert!(!lines.iter().any(|v| v["value"] == "07700 900777"), "the logo was read: {lines:?}");

    // Without Tesseract the documents are still read, and the user is told
    // how many pictures were not.
    let jsonl = dir.path().join("found.jsonl");
    let out = bin()
        .arg("scan")
        .arg(&src)
        .args(["--tesseract", "/nonexistent/tesseract", "--reveal", "--jsonl"])
        .arg(&jsonl)
        .arg("--key")
        .arg(dir.path().join("k.key"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for file in ["form.docx", "slides.pptx", "book.xlsx"] {
        let said = format!("{file}: 1 embedded picture was not read (needs OCR): install tesseract-ocr");
        assert!(stderr.contains(&said), "{stderr}");
    }
    let lines = common::read_jsonl(&jsonl);
    assert!(lines.iter().all(|v| !v["path"].as_str().unwrap().contains('!')), "{lines:?}");

    // The copy of the document: its picture boxed where the personal data
    // was (re-read with OCR), still a PNG of the same size; the logo as it was.
    let only_docx = dir.path().join("docx");
    std::fs::create_dir(&only_docx).unwrap();
    std::fs::copy(src.join("form.docx"), only_docx.join("form.docx")).unwrap();
    let anonymise = |extra: &[&str], out_dir: &Path| anonymise(&only_docx, out_dir, &dir.path().join("k.key"), extra);
    let out_dir = dir.path().join("out");
    let out = anonymise(&[], &out_dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Verified: 1 of 1 copy re-scanned"), "{stderr}");
    let copy = out_dir.join("form.docx");
    let picture = member_of(&copy, "word/media/image1.png");
    assert_eq!(image::guess_format(&picture).unwrap(), image::ImageFormat::Png);
    let picture = image::load_from_memory(&picture).unwrap().to_luma8();
    assert_eq!(picture.dimensions(), letter().dimensions());
    assert_eq!(member_of(&copy, "word/media/image2.png"), png(&logo));
    let (_, lines) = scan(&out_dir, &[]);
    assert!(lines.iter().all(|v| v["category"] == "name"), "{lines:?}");
    let text = bin().arg("extract").arg(&out_dir).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Referral for support") && !text.contains("jane.roberts"), "{text}");

    // Without Tesseract the picture cannot be checked: a blank one of the
    // same size takes its place, and the user is told.
    let blank_dir = dir.path().join("blank");
    let out = anonymise(&["--tesseract", "/nonexistent/tesseract"], &blank_dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("word/media/image1.png: picture replaced by a blank one"), "{stderr}");
    let picture = member_of(&blank_dir.join("form.docx"), "word/media/image1.png");
    let picture = image::load_from_memory(&picture).unwrap().to_luma8();
    assert_eq!(picture.dimensions(), letter().dimensions());
    assert!(picture.pixels().all(|p| p.0[0] == 255));
}

/// `pdf` with `text` drawn over each page in Helvetica (a text layer).
fn with_text_layer(pdf: &[u8], text: &str) -> Vec<u8> {
    use lopdf::{Stream, dictionary};
    let mut doc = lopdf::Document::load_mem(pdf).unwrap();
    let font = doc.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" });
    for (_, page_id) in doc.get_pages() {
        let mut content = doc.get_page_content(page_id);
        content.extend_from_slice(format!("\nBT /F1 10 Tf 40 800 Td ({text}) Tj ET").as_bytes());
        let id = doc.add_object(Stream::new(dictionary! {}, content));
        let page = doc.get_object_mut(page_id).unwrap().as_dict_mut().unwrap();
        page.set("Contents", id);
        let resources = page.get_mut(b"Resources").unwrap().as_dict_mut().unwrap();
        resources.set("Font", dictionary! { "F1" => font });
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn a_pdf_page_with_a_junk_text_layer_is_read_with_ocr() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    // A scan whose OCR layer is garbage: punctuation where the letters were.
    let junk = "l~| ;'^ }{ -~ ,.. _|_ ~^ ;; :: ,,; |l| ~~ ^^ Tl; ~r' ,.i l1| ~; '^ ,|";
    std::fs::write(src.join("scan.pdf"), with_text_layer(&image_pdf(&[letter()], PdfImage::Jpeg), junk)).unwrap();
    // The text layer is there, and read as text.
    let text = bin().arg("extract").arg(&src).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("_|_ ~^ ;;"), "{text}");
    let (out, lines) = scan(&src, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(has(&lines, "scan.pdf", "page 1 (OCR)", "email", "jane.roberts@example.org"), "{lines:?}");
    assert!(has(&lines, "scan.pdf", "page 1 (OCR)", "phone", "07700 900123"), "{lines:?}");

    // Its copy has the picture boxed, like a scan's.
    let out_dir = dir.path().join("out");
    let out = anonymise(&src, &out_dir, &dir.path().join("k.key"), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let (_, lines) = scan(&out_dir, &[]);
    assert!(lines.iter().all(|v| v["category"] == "name"), "{lines:?}");
}
