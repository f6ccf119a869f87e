//! Special category data and re-identification risk through the binary
//! (issue 27): `scan` reports the special categories with the revealing
//! words, and `anonymise` with the shipped policy redacts them in running
//! text, keeps monitoring columns, and makes each table k-anonymous (k = 5)
//! over the quasi-identifier columns it keeps.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{bin, quads, scan_reveal};
use piisweep_testkit::rng::Rng;

const ETHNICITY: &[&str] =
    &["White British", "Black African", "Asian or Asian British - Indian", "Mixed - White and Asian", "Arab"];
const DISTRICTS: &[&str] = &["ME14", "ME15", "ME16", "TN9", "TN10", "CT1"];

/// A referrals export of `n` rows: names, year of birth, gender, ethnicity,
/// full postcode, and a notes column that sometimes reveals health.
fn referrals(n: usize, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut s = String::from("Client ID,Full name,DOB,Gender,Ethnicity,Postcode,Notes\n");
    for i in 0..n {
        let notes = if i % 10 == 0 { "Diagnosed with type 2 diabetes" } else { "Food parcel" };
        s.push_str(&format!(
            "C{i:04},Client {i},{:02}/{:02}/{},{},{},{} {}{}{},{notes}\n",
            1 + rng.below(28),
            1 + rng.below(12),
            1940 + rng.below(65),
            rng.pick(&["Female", "Male"]),
            rng.pick(ETHNICITY),
            rng.pick(DISTRICTS),
            rng.below(10),
            rng.pick(&["A", "B", "D"]),
            rng.pick(&["B", "E", "F"]),
        ));
    }
    s
}

fn anonymise(src: &Path, out: &Path, key: &Path) -> std::process::Output {
    bin().arg("anonymise").arg(src).arg("--out").arg(out).arg("--key").arg(key).output().expect("run")
}

/// The smallest group of rows alike in `columns` (rows with all of them `*`,
/// suppressed, left out).
fn smallest_class(csv: &str, columns: &[&str]) -> (usize, usize) {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let idx: Vec<usize> = columns.iter().map(|c| header.iter().position(|h| h == *c).expect(c)).collect();
    let mut counts: HashMap<Vec<String>, usize> = HashMap::new();
    let mut suppressed = 0;
    for r in reader.records() {
        let r = r.unwrap();
        let key: Vec<String> = idx.iter().map(|&i| r[i].to_string()).collect();
        if key.iter().all(|v| v == "*") {
            suppressed += 1;
        } else {
            *counts.entry(key).or_default() += 1;
        }
    }
    (counts.values().copied().min().unwrap_or(0), suppressed)
}

#[test]
fn scan_reports_special_category_data_about_people_only() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("notes.txt"),
        "Jane Roberts was diagnosed with type 2 diabetes in May.\n\
         He disclosed a caution for shoplifting.\n\
         The mosque car park is closed on Friday.\n\
         Leaflets on anxiety are in reception.\n\
         The hearing is at the magistrates' court.\n",
    )
    .unwrap();
    std::fs::write(
        src.join("equalities.csv"),
        "Ref,Ethnicity,Religion or belief,Sexual orientation,Disability\n\
         E1,White British,Muslim,Bisexual,Prefer not to say\n\
         E2,Prefer not to say,None,N/A,Yes - wheelchair user\n",
    )
    .unwrap();
    let (out, lines) = scan_reveal(&[&src], &[], tmp.path());
    assert!(out.status.success() || out.status.code() == Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let found: Vec<(String, String)> = quads(&lines).into_iter().map(|q| (q.2, q.3)).collect();
    for (cat, value) in [
        ("health", "type 2 diabetes"),
        ("criminal_record", "a caution for shoplifting"),
        ("ethnicity", "White British"),
        ("religion", "Muslim"),
        ("sexual_orientation", "Bisexual"),
        ("health", "Yes - wheelchair user"),
    ] {
        assert!(found.contains(&(cat.to_string(), value.to_string())), "{cat} {value:?} not in {found:?}");
    }
    let special = ["health", "ethnicity", "religion", "sexual_orientation", "criminal_record"];
    let n_special = found.iter().filter(|(c, _)| special.contains(&c.as_str())).count();
    assert_eq!(n_special, 6, "nothing about places, leaflets, courts or unstated answers: {found:?}");
}

#[test]
fn anonymise_redacts_mentions_keeps_monitoring_columns_and_reaches_k_5() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let table = referrals(240, 27);
    std::fs::write(src.join("referrals.csv"), &table).unwrap();
    // Before: some rows are one of a kind (k = 1) over DOB, gender,
    // ethnicity and postcode district.
    let (k_source, _) = smallest_class(&table, &["DOB", "Gender", "Ethnicity", "Postcode"]);
    assert_eq!(k_source, 1);
    std::fs::write(
        src.join("notes.txt"),
        "Jane Roberts was diagnosed with type 2 diabetes.\nThe mosque car park is closed.\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let run = anonymise(&src, &out, &tmp.path().join("k.key"));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");

    let notes = std::fs::read_to_string(out.join("notes.txt")).unwrap();
    assert!(notes.contains("was diagnosed with [HEALTH].") && !notes.contains("diabetes"), "{notes}");
    assert!(notes.contains("The mosque car park is closed."), "{notes}");

    let csv = std::fs::read_to_string(out.join("referrals.csv")).unwrap();
    let (k, suppressed) = smallest_class(&csv, &["DOB", "Gender", "Ethnicity", "Postcode"]);
    assert!(k >= 5, "k = {k} after anonymising:\n{csv}");
    assert!(suppressed <= 12, "at most 5% of rows suppressed, not {suppressed}");
    assert_eq!(csv.lines().count(), 241, "every row kept");
    assert!(!csv.contains("diabetes") && csv.contains("[HEALTH]"), "free text in a table is redacted too");
    assert!(stderr.contains("re-identification risk: k was 1") && stderr.contains("k is now"), "{stderr}");
    // The ethnicity column is kept (monitoring), generalised at most to the
    // ONS broad groups, never redacted.
    assert!(!csv.contains("[ETHNICITY]"), "{csv}");
    // Kept on purpose: not listed as left over by the re-scan.
    assert!(!stderr.contains("col Ethnicity"), "{stderr}");
}

#[test]
fn anonymise_leaves_a_table_already_k_anonymous_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let mut table = String::from("Ref,Age band,Gender,Ethnicity,Religion or belief\n");
    for i in 0..24 {
        let (age, gender) = [("18-34", "Female"), ("18-34", "Male"), ("35-64", "Female"), ("35-64", "Male")][i % 4];
        table.push_str(&format!("R{i},{age},{gender},White British,{}\n", ["Christian", "No religion"][i % 2]));
    }
    std::fs::write(src.join("monitoring.csv"), &table).unwrap();
    let out = tmp.path().join("out");
    let run = anonymise(&src, &out, &tmp.path().join("k.key"));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let copy = std::fs::read_to_string(out.join("monitoring.csv")).unwrap();
    assert_eq!(copy, table, "monitoring columns kept, nothing generalised");
    assert!(stderr.contains("k = 6") && stderr.contains("left as it was"), "{stderr}");
}

/// A drive with special category data in one folder, and a sweep into a map.
fn swept_drive(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let root = tmp.join("drive");
    std::fs::create_dir_all(root.join("Clients")).unwrap();
    std::fs::create_dir_all(root.join("Admin")).unwrap();
    std::fs::write(
        root.join("Clients/support.txt"),
        "Support notes\nJane Roberts, NI AB 12 34 56 C, was diagnosed with epilepsy in May.\n\
         Tom Baker is on probation until March.\n",
    )
    .unwrap();
    std::fs::write(
        root.join("Clients/equalities.csv"),
        "Full name,Ethnicity,Religion or belief\nJane Roberts,Black Caribbean,Christian\nTom Baker,White British,No religion\n",
    )
    .unwrap();
    std::fs::write(root.join("Admin/contacts.txt"), "Contact: Priya Patel, 07700 900123\n").unwrap();
    let map = tmp.join("map.db");
    let out = bin().arg("scan").arg(&root).arg(format!("--map={}", map.display())).arg("--quiet").output().unwrap();
    assert!(out.status.code() == Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    (root, map)
}

#[test]
fn map_reports_special_category_data_by_folder_and_category_and_lists_it_first_for_retention() {
    let tmp = tempfile::tempdir().unwrap();
    let (_root, map) = swept_drive(tmp.path());
    // Everything is past a retention limit of 0 days.
    let out = bin().arg("map").arg(format!("--map={}", map.display())).args(["--older-than", "0d"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let section = text.split("Special category data").nth(1).expect("a special category section").to_string();
    for cat in ["health", "ethnicity", "religion", "criminal_record"] {
        assert!(section.lines().any(|l| l.contains("Clients") && l.contains(cat)), "{cat} in:\n{text}");
    }
    assert!(!section.lines().take_while(|l| !l.is_empty()).any(|l| l.contains("Admin")), "{text}");
    // Retention: the files with special category data come before the other.
    let retention = text.split("last modified more than").nth(1).unwrap();
    let lines: Vec<&str> = retention.lines().skip(1).take_while(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{retention}");
    assert!(lines[0].contains("SPECIAL CATEGORY") && lines[1].contains("SPECIAL CATEGORY"), "{retention}");
    assert!(lines[2].contains("contacts.txt") && !lines[2].contains("SPECIAL"), "{retention}");
    // The HTML page shows it too.
    let html = bin().arg("map").arg(format!("--map={}", map.display())).args(["--format", "html"]).output().unwrap();
    let html = String::from_utf8_lossy(&html.stdout);
    assert!(html.contains("<h2>Special category data</h2>") && html.contains("criminal_record"), "{html}");
}

#[test]
fn sar_says_when_a_matched_place_holds_special_category_data() {
    let tmp = tempfile::tempdir().unwrap();
    let (_root, map) = swept_drive(tmp.path());
    let out = bin().arg("sar").arg("--map").arg(&map).args(["--name", "Jane Roberts"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let block = |file: &str| -> String {
        let start = text.find(file).unwrap_or_else(|| panic!("{file} not matched:\n{text}"));
        text[start..].split("\n\n").next().unwrap().to_string()
    };
    // Her row of the equalities form: her ethnicity and religion, not Tom's.
    let csv = block("equalities.csv");
    assert!(csv.contains("SPECIAL CATEGORY DATA") && csv.contains("ethnicity, religion"), "{csv}");
    // Her line of the notes: health; Tom's probation is on another line.
    let notes = block("support.txt");
    assert!(notes.contains("SPECIAL CATEGORY DATA where this person is matched: health ("), "{notes}");
    assert!(!notes.contains("criminal_record"), "{notes}");
}

/// A cell as text, read back with calamine (a whole number without `.0`).
fn cell_text(value: &calamine::Data) -> String {
    use calamine::Data;
    match value {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// Every sheet of a workbook, as rows of text.
fn sheets(path: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(path).unwrap();
    let names = book.sheet_names().to_vec();
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let rows = range.rows().map(|r| r.iter().map(cell_text).collect()).collect();
            (name, rows)
        })
        .collect()
}

/// The smallest class over `columns` of a sheet's rows (header first), and
/// the rows suppressed (all of them `*`).
fn smallest_class_rows(rows: &[Vec<String>], columns: &[&str]) -> (usize, usize) {
    let idx: Vec<usize> = columns.iter().map(|c| rows[0].iter().position(|h| h == c).expect(c)).collect();
    let mut counts: HashMap<Vec<&str>, usize> = HashMap::new();
    let mut suppressed = 0;
    for r in &rows[1..] {
        let key: Vec<&str> = idx.iter().map(|&i| r[i].as_str()).collect();
        if key.iter().all(|v| *v == "*") {
            suppressed += 1;
        } else {
            *counts.entry(key).or_default() += 1;
        }
    }
    (counts.values().copied().min().unwrap_or(0), suppressed)
}

/// A referrals workbook: a "Referrals" sheet of `n` people (dates of birth
/// as date cells, full postcodes), and a "Codes" sheet about no one.
fn referrals_xlsx(n: usize, seed: u64) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut rng = Rng::new(seed);
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let sheet = book.add_worksheet().set_name("Referrals").unwrap();
    for (c, h) in
        ["Client ID", "Full name", "Date of birth", "Gender", "Ethnicity", "Postcode", "Need"].iter().enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..n {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, format!("C{i:04}")).unwrap();
        sheet.write_string(r, 1, format!("Client {i}")).unwrap();
        let dob =
            ExcelDateTime::from_ymd(1940 + rng.below(65) as u16, 1 + rng.below(12) as u8, 1 + rng.below(28) as u8)
                .unwrap();
        sheet.write_datetime_with_format(r, 2, &dob, &date).unwrap();
        sheet.write_string(r, 3, *rng.pick(&["Female", "Male"])).unwrap();
        sheet.write_string(r, 4, *rng.pick(ETHNICITY)).unwrap();
        let postcode = format!(
            "{} {}{}{}",
            rng.pick(DISTRICTS),
            rng.below(10),
            rng.pick(&["A", "B", "D"]),
            rng.pick(&["B", "E", "F"])
        );
        sheet.write_string(r, 5, postcode).unwrap();
        sheet.write_string(r, 6, "Food parcel").unwrap();
    }
    let codes = book.add_worksheet().set_name("Codes").unwrap();
    for (r, (code, meaning)) in
        [("Code", "Meaning"), ("FP", "Food parcel"), ("BA", "Benefits advice")].iter().enumerate()
    {
        codes.write_string(r as u32, 0, *code).unwrap();
        codes.write_string(r as u32, 1, *meaning).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// The same kind of table as an OpenDocument spreadsheet (years of birth as
/// numbers, one person's postcode left empty).
fn referrals_ods(n: usize, seed: u64) -> Vec<u8> {
    use std::io::Write;
    let mut rng = Rng::new(seed);
    let text =
        |s: &str| format!(r#"<table:table-cell office:value-type="string"><text:p>{s}</text:p></table:table-cell>"#);
    let mut rows = String::from("<table:table-row>");
    for h in ["Ref", "Year of birth", "Sex", "Ethnicity", "Postcode"] {
        rows.push_str(&text(h));
    }
    rows.push_str("</table:table-row>");
    for i in 0..n {
        let year = 1940 + rng.below(65);
        let postcode = if i == 7 { String::new() } else { format!("{} {}AB", rng.pick(DISTRICTS), rng.below(10)) };
        let (sex, ethnicity) = (*rng.pick(&["Female", "Male"]), *rng.pick(ETHNICITY));
        rows.push_str(&format!(
            r#"<table:table-row>{}<table:table-cell office:value-type="float" office:value="{year}"><text:p>{year}</text:p></table:table-cell>{}{}{}</table:table-row>"#,
            text(&format!("R{i}")),
            text(sex),
            text(ethnicity),
            if postcode.is_empty() { "<table:table-cell/>".to_string() } else { text(&postcode) },
        ));
    }
    let ns = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0""#;
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Monitoring">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest {ns} manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    for (name, data) in [("content.xml", content), ("META-INF/manifest.xml", manifest)] {
        zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(data.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn anonymise_makes_each_sheet_of_people_k_anonymous() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("referrals.xlsx"), referrals_xlsx(240, 27)).unwrap();
    std::fs::write(src.join("monitoring.ods"), referrals_ods(60, 5)).unwrap();
    let source = sheets(&src.join("referrals.xlsx"));
    assert_eq!(smallest_class_rows(&source[0].1, &["Date of birth", "Gender", "Ethnicity", "Postcode"]).0, 1);
    let out = tmp.path().join("out");
    let run = anonymise(&src, &out, &tmp.path().join("k.key"));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");

    let copy = sheets(&out.join("referrals.xlsx"));
    let (name, rows) = &copy[0];
    assert_eq!(name, "Referrals");
    assert_eq!(rows.len(), 241, "every row kept");
    let (k, suppressed) = smallest_class_rows(rows, &["Date of birth", "Gender", "Ethnicity", "Postcode"]);
    assert!(k >= 5, "k = {k} in the copy: {rows:?}");
    assert!(suppressed <= 12, "at most 5% of rows suppressed, not {suppressed}");
    // Generalised, never more precise than the source: no full date of
    // birth or full postcode is left.
    let col = |h: &str| rows[0].iter().position(|x| x == h).unwrap();
    let shown: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[col("Gender")] != "*").collect();
    assert!(shown.len() >= 228);
    assert!(shown.iter().all(|r| !r[col("Date of birth")].contains('/') && r[col("Postcode")].len() <= 4), "{shown:?}");
    assert!(shown.iter().all(|r| r[col("Need")] == "Food parcel" && r[col("Client ID")].starts_with('C')));
    assert!(
        stderr.contains("sheet Referrals: re-identification risk: k was 1") && stderr.contains("k is now"),
        "{stderr}"
    );
    // The sheet about no one is copied as it was, and not measured.
    assert_eq!(copy[1], source[1]);
    assert!(!stderr.contains("sheet Codes"), "{stderr}");

    // The ODS copy (written as xlsx) too.
    let copy = sheets(&out.join("monitoring.xlsx"));
    let rows = &copy[0].1;
    assert_eq!(rows.len(), 61);
    let (k, suppressed) = smallest_class_rows(rows, &["Year of birth", "Sex", "Ethnicity", "Postcode"]);
    assert!(k >= 5 && suppressed <= 3, "k = {k}, {suppressed} suppressed: {rows:?}");
    assert!(stderr.contains("sheet Monitoring: re-identification risk: k was 1"), "{stderr}");
}

/// A Word document holding one table: label cells beside their answers.
fn form_docx(rows: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let cell = |t: &str| format!("<w:tc><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:tc>");
    let table: String = rows.iter().map(|(l, v)| format!("<w:tr>{}{}</w:tr>", cell(l), cell(v))).collect();
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Equalities monitoring</w:t></w:r></w:p><w:tbl>{table}</w:tbl></w:body></w:document>"#
    );
    let types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in
        [("[Content_Types].xml", types.to_string()), ("_rels/.rels", rels.to_string()), ("word/document.xml", document)]
    {
        zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(data.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn labelled_answers_without_a_colon_are_found() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    // A form's cells pasted as text (tabs), a dash, a PDF-like gap of spaces.
    std::fs::write(
        src.join("intake.txt"),
        "Intake form\nEthnicity\tWhite British\tReligion\tPrefer not to say\nReligion - Muslim\n\
         Diagnosis   Type 2 diabetes\nHealth and safety briefing: Monday.\n",
    )
    .unwrap();
    std::fs::write(
        src.join("monitoring.docx"),
        form_docx(&[("Ethnicity", "Black Caribbean"), ("Sexual orientation", "Bisexual"), ("Disability", "None")]),
    )
    .unwrap();
    let (out, lines) = scan_reveal(&[&src], &[], tmp.path());
    assert!(out.status.success() || out.status.code() == Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let special = ["health", "ethnicity", "religion", "sexual_orientation", "criminal_record"];
    let mut found: Vec<(String, String)> =
        quads(&lines).into_iter().filter(|q| special.contains(&q.2.as_str())).map(|q| (q.2, q.3)).collect();
    found.sort();
    let mut want: Vec<(String, String)> = [
        ("ethnicity", "Black Caribbean"),
        ("ethnicity", "White British"),
        ("health", "Type 2 diabetes"),
        ("religion", "Muslim"),
        ("sexual_orientation", "Bisexual"),
    ]
    .iter()
    .map(|(c, v)| (c.to_string(), v.to_string()))
    .collect();
    want.sort();
    assert_eq!(found, want);
}

#[test]
fn sar_says_when_a_message_about_the_person_has_special_category_data_in_its_subject() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    std::fs::create_dir_all(root.join("Mail")).unwrap();
    let mail = |from: &str, subject: &str| {
        format!(
            "From: {from}\r\nTo: referrals@hopetrust.org.uk\r\nSubject: {subject}\r\nDate: Mon, 6 May 2024 10:00:00 +0100\r\n\
             Message-ID: <{}@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease see the attached form.\r\n",
            subject.len()
        )
    };
    std::fs::write(
        root.join("Mail/referral.eml"),
        mail("Jane Roberts <jane.roberts@example.org>", "Jane Roberts was diagnosed with epilepsy"),
    )
    .unwrap();
    std::fs::write(root.join("Mail/rota.eml"), mail("Jane Roberts <jane.roberts@example.org>", "Rota for May"))
        .unwrap();
    let map = tmp.path().join("map.db");
    let out = bin().arg("scan").arg(&root).arg(format!("--map={}", map.display())).arg("--quiet").output().unwrap();
    assert!(out.status.code() == Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = bin().arg("sar").arg("--map").arg(&map).args(["--name", "Jane Roberts"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let block = |file: &str| -> String {
        let start = text.find(file).unwrap_or_else(|| panic!("{file} not matched:\n{text}"));
        text[start..].split("\n\n").next().unwrap().to_string()
    };
    let referral = block("referral.eml");
    assert!(referral.contains("SPECIAL CATEGORY DATA where this person is matched: health"), "{referral}");
    assert!(!block("rota.eml").contains("SPECIAL"), "{text}");
}
