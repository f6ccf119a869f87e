//! `piisweep anonymise` through the binary, on files built here: pseudonyms
//! follow people (full name, title and surname, first name alone, first-name
//! and surname columns: one token; two people sharing a surname: two tokens;
//! the same person: the same token in every file and run), organisation
//! names are kept, and the copies are faithful (XML escaped once, read back
//! with independent readers; dates that are not dates of birth kept; dates of
//! birth keep a number type; names in file names replaced as whole words;
//! image-only PDFs not copied; "verified" only when copies were checked).

mod common;

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::process::Output;

use calamine::{Data, Reader};
use common::bin;
use piisweep::anonymise::operators;
use piisweep::keys::Key;

fn anonymise(src: &Path, out: &Path, key: &Path) -> (Output, String) {
    let run = bin().arg("anonymise").arg(src).arg("--out").arg(out).arg("--key").arg(key).output().expect("run");
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    (run, stderr)
}

/// The token the default policy gives the person with this normalised full name.
fn token(key: &Path, name: &str) -> String {
    let k = Key::load_or_create(key).unwrap();
    operators::token(&k, "name", name, "Person_", 6)
}

/// Every `Person_XXXXXX` token in `text`, in order.
fn tokens(text: &str) -> Vec<String> {
    text.match_indices("Person_").map(|(i, _)| text[i..i + 13].to_string()).collect()
}

/// A zip package of (name, text) members.
fn package(members: &[(&str, String)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in members {
        zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(data.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// XML text escaped as Word writes it.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A Word document of one paragraph per line; apostrophes written as
/// `&apos;` in some runs, as some tools write them.
fn docx(paragraphs: &[&str]) -> Vec<u8> {
    let body: String = paragraphs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let text = if i % 2 == 0 { esc(p).replace('\'', "&apos;") } else { esc(p) };
            format!(r#"<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>"#)
        })
        .collect();
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
    );
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    package(&[("[Content_Types].xml", types.to_string()), ("word/document.xml", doc)])
}

const ODF_NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0""#;

/// An OpenDocument text of one paragraph per line.
fn odt(paragraphs: &[&str]) -> Vec<u8> {
    let body: String = paragraphs.iter().map(|p| format!("<text:p>{}</text:p>", esc(p))).collect();
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS} office:version="1.3"><office:body><office:text>{body}</office:text></office:body></office:document-content>"#
    );
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.text").unwrap();
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

fn member(path: &Path, name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(std::fs::read(path).unwrap())).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// The paragraphs of an XML part read with quick-xml on its own (not with
/// piisweep's code): text of `w:t` / `text:p` elements, entities resolved,
/// one string per paragraph. Panics if the XML is not well formed.
fn xml_paragraphs(xml: &str, para: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{xml}")) {
            Event::Start(e) if e.name().as_ref() == para => current = Some(String::new()),
            Event::End(e) if e.name().as_ref() == para => out.extend(current.take()),
            Event::Text(t) => {
                if let Some(c) = &mut current {
                    c.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(c) = &mut current {
                    let name: &str = &r;
                    let resolved = match r.resolve_char_ref().unwrap() {
                        Some(ch) => ch.to_string(),
                        None => quick_xml::escape::resolve_predefined_entity(name)
                            .unwrap_or_else(|| panic!("unknown entity &{name};"))
                            .to_string(),
                    };
                    c.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// No entity escaped twice (`&amp;apos;`, `&amp;amp;`...).
fn escaped_once(xml: &str) {
    for twice in ["&amp;apos;", "&amp;amp;", "&amp;quot;", "&amp;lt;", "&amp;gt;", "&amp;#"] {
        assert!(!xml.contains(twice), "{twice} in:\n{xml}");
    }
}

#[test]
fn one_token_per_person_in_text_and_across_files_and_runs_organisations_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("case.txt"),
        "Case notes for Jane Roberts, referred by Kent County Council.\n\
         Mrs Roberts said Kent Police had called her.\n\
         Jane called again on 14/05/2024 about Maidstone and Tunbridge Wells NHS Trust.\n\
         Priya Patel from Hope Trust visited. Ms Patel left a leaflet.\n\
         Jane Roberts Council Tax arrears: see Roberts, Jane.\n\
         Signed: Jane A. Roberts.\n",
    )
    .unwrap();
    // Two people share a surname: the title and surname alone cannot say
    // which; a first name or initial can.
    std::fs::write(
        src.join("family.txt"),
        "Jane Roberts and her husband Tom Roberts attended.\n\
         Mr T Roberts was upset. Jane agreed to a plan.\n\
         Mrs Roberts will call back.\n",
    )
    .unwrap();
    let key = tmp.path().join("k.key");
    let out = tmp.path().join("out");
    let (run, stderr) = anonymise(&src, &out, &key);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let (jane, tom, priya) = (token(&key, "jane roberts"), token(&key, "tom roberts"), token(&key, "priya patel"));

    let case = std::fs::read_to_string(out.join("case.txt")).unwrap();
    assert_eq!(
        case,
        format!(
            "Case notes for {jane}, referred by Kent County Council.\n\
             Mrs {jane} said Kent Police had called her.\n\
             {jane} called again on 14/05/2024 about Maidstone and Tunbridge Wells NHS Trust.\n\
             {priya} from Hope Trust visited. Ms {priya} left a leaflet.\n\
             {jane} Council Tax arrears: see {jane}, {jane}.\n\
             Signed: {jane}.\n"
        )
    );
    let family = std::fs::read_to_string(out.join("family.txt")).unwrap();
    let found = tokens(&family);
    assert_eq!(found.len(), 5, "{family}");
    assert_eq!(&found[..4], [jane.clone(), tom.clone(), tom.clone(), jane.clone()], "{family}");
    // "Mrs Roberts" could be either: a token of its own, neither Jane's nor Tom's.
    assert!(found[4] != jane && found[4] != tom, "{family}");
    assert_ne!(jane, tom);

    // A second run with the same key: the same copies, token for token.
    let out2 = tmp.path().join("out2");
    let (run, stderr) = anonymise(&src, &out2, &key);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert_eq!(std::fs::read_to_string(out2.join("case.txt")).unwrap(), case);
    assert_eq!(std::fs::read_to_string(out2.join("family.txt")).unwrap(), family);
}

#[test]
fn name_columns_of_a_row_get_the_persons_token_in_csv_and_xlsx() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("clients.csv"),
        "First name,Surname,Date of birth,Referral date,Referred by,Notes\n\
         Jane,Roberts,12/03/1985,14/05/2024,Kent County Council,Jane prefers mornings\n\
         Tom,Roberts,01/02/1980,15/05/2024,Kent Police,Mr Roberts works nights\n\
         Sean,O'Neill,03/04/1975,16/05/2024,Smith & Sons Ltd,Seen with Ann Lee\n",
    )
    .unwrap();
    // The same people in a workbook, with typed dates.
    {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name("Clients").unwrap();
        let date = Format::new().set_num_format("dd/mm/yyyy");
        for (c, h) in ["Forename", "Surname", "Date of birth", "Referral date", "Referred by"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        let rows = [
            ("Jane", "Roberts", (1985, 3, 12), (2024, 5, 14), "Kent County Council"),
            ("Tom", "Roberts", (1980, 2, 1), (2024, 5, 15), "Kent Police"),
            ("Sean", "O'Neill", (1975, 4, 3), (2024, 5, 16), "Smith & Sons Ltd"),
        ];
        for (r, (first, sur, dob, referred, by)) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            sheet.write_string(r, 0, *first).unwrap();
            sheet.write_string(r, 1, *sur).unwrap();
            for (c, (y, m, d)) in [(2u16, dob), (3, referred)] {
                let dt = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                sheet.write_datetime_with_format(r, c, &dt, &date).unwrap();
            }
            sheet.write_string(r, 4, *by).unwrap();
            sheet.write_string(r, 5, "Tea & cake <free> in the café's \"garden\"").unwrap();
        }
        book.save(src.join("clients.xlsx")).unwrap();
    }
    let key = tmp.path().join("k.key");
    let out = tmp.path().join("out");
    let (run, stderr) = anonymise(&src, &out, &key);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let (jane, tom, sean) = (token(&key, "jane roberts"), token(&key, "tom roberts"), token(&key, "sean o'neill"));

    let rows: Vec<csv::StringRecord> =
        csv::ReaderBuilder::new().from_path(out.join("clients.csv")).unwrap().records().map(Result::unwrap).collect();
    let row = |i: usize| rows[i].iter().map(str::to_string).collect::<Vec<_>>();
    // Three rows, each told apart by its year of birth: the shipped
    // policy's k-anonymity (k = 5) suppresses it in the CSV.
    assert_eq!(row(0), [&jane, &jane, "*", "14/05/2024", "Kent County Council", &format!("{jane} prefers mornings")]);
    assert_eq!(row(1), [&tom, &tom, "*", "15/05/2024", "Kent Police", &format!("Mr {tom} works nights")]);
    assert_eq!(&row(2)[..5], [&sean, &sean, "*", "16/05/2024", "Smith & Sons Ltd"]);
    assert!(!rows[2][5].contains("Ann Lee") && rows[2][5].starts_with("Seen with Person_"), "{:?}", rows[2]);

    // The workbook, read back with calamine: names replaced per person,
    // other dates still dates; the sheet's rows are as rare as the CSV's, so
    // their dates of birth are suppressed too.
    let mut book = calamine::open_workbook_auto(out.join("clients.xlsx")).unwrap();
    let range = book.worksheet_range("Clients").unwrap();
    assert!((1..4).all(|r| range.get_value((r, 2)) == Some(&Data::String("*".into()))), "{range:?}");
    assert!(stderr.contains("sheet Clients: re-identification risk"), "{stderr}");
    // Without k-anonymity (k = 1), dates of birth become a number (the year).
    let policy = tmp.path().join("k1.toml");
    let default = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/policies/default.toml"));
    std::fs::write(&policy, default.unwrap().replace("\nk = 5\n", "\nk = 1\n")).unwrap();
    let out = tmp.path().join("out-k1");
    let mut run = bin();
    let run = run.arg("anonymise").arg(&src).arg("--out").arg(&out).arg("--key").arg(&key);
    let run = run.arg("--policy").arg(&policy).output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let mut book = calamine::open_workbook_auto(out.join("clients.xlsx")).unwrap();
    let range = book.worksheet_range("Clients").unwrap();
    let cell = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    for (r, who, year, day, by) in [
        (1, &jane, 1985.0, 14, "Kent County Council"),
        (2, &tom, 1980.0, 15, "Kent Police"),
        (3, &sean, 1975.0, 16, "Smith & Sons Ltd"),
    ] {
        assert_eq!(cell(r, 0), Data::String(who.clone()), "row {r}");
        assert_eq!(cell(r, 1), Data::String(who.clone()), "row {r}");
        assert!(matches!(cell(r, 2), Data::Float(y) if y == year), "row {r}: {:?}", cell(r, 2));
        match cell(r, 3) {
            Data::DateTime(dt) => {
                let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
                let serial = (chrono::NaiveDate::from_ymd_opt(2024, 5, day).unwrap() - epoch).num_days();
                assert_eq!(dt.as_f64(), serial as f64, "row {r}");
                assert!(!dt.is_duration());
            }
            other => panic!("row {r}: referral date no longer a date: {other:?}"),
        }
        assert_eq!(cell(r, 4), Data::String(by.to_string()), "row {r}");
        assert_eq!(cell(r, 5), Data::String("Tea & cake <free> in the café's \"garden\"".into()), "row {r}");
    }
}

#[test]
fn word_and_opendocument_copies_escape_once_and_keep_organisations() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let paragraphs = [
        "Client: Sean O'Neill, referred by Kent County Council.",
        "Mr O'Neill asked Smith & Sons <Ltd> for \"help\" on 14/05/2024.",
        "Sean's case is with Kent Police and Maidstone and Tunbridge Wells NHS Trust.",
        "Tea & cake in the café's garden: open daily.",
    ];
    std::fs::write(src.join("letter.docx"), docx(&paragraphs)).unwrap();
    std::fs::write(src.join("letter.odt"), odt(&paragraphs)).unwrap();
    let key = tmp.path().join("k.key");
    let out = tmp.path().join("out");
    let (run, stderr) = anonymise(&src, &out, &key);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let sean = token(&key, "sean o'neill");
    let expected = [
        format!("Client: {sean}, referred by Kent County Council."),
        format!("Mr {sean} asked Smith & Sons <Ltd> for \"help\" on 14/05/2024."),
        format!("{sean}'s case is with Kent Police and Maidstone and Tunbridge Wells NHS Trust."),
        "Tea & cake in the café's garden: open daily.".to_string(),
    ];
    let docx_xml = member(&out.join("letter.docx"), "word/document.xml");
    escaped_once(&docx_xml);
    assert_eq!(xml_paragraphs(&docx_xml, "w:p"), expected);
    let odt_xml = member(&out.join("letter.odt"), "content.xml");
    escaped_once(&odt_xml);
    assert_eq!(xml_paragraphs(&odt_xml, "text:p"), expected);
}

#[test]
fn names_in_file_names_are_replaced_as_whole_words_with_any_separator() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let body = "Referral for Jane Roberts and Sean O'Neill.\n";
    let names = [
        "Jane_Roberts-referral.txt",
        "roberts.jane.txt",
        "notes - Jane Roberts.txt",
        "ONeill-Sean 2024.txt",
        "Jane-Robertson.txt",
        "Janet_Roberts.txt",
    ];
    for name in names {
        std::fs::write(src.join(name), body).unwrap();
    }
    std::fs::write(src.join("Jane_Roberts-referral.docx"), docx(&["Referral for Jane Roberts."])).unwrap();
    // A folder named after someone: every file in it gets the same folder
    // name, whether or not it names them; ordinary folder names are kept.
    let folder = src.join("Clients").join("Priya Patel");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("intake.txt"), "Referral for Priya Patel.\n").unwrap();
    std::fs::write(folder.join("Annual Report.txt"), "Our year in numbers.\n").unwrap();
    std::fs::create_dir_all(src.join("Team Meeting")).unwrap();
    std::fs::write(src.join("Team Meeting/Grant Application.txt"), "No names here.\n").unwrap();
    let key = tmp.path().join("k.key");
    let out = tmp.path().join("out");
    let (run, stderr) = anonymise(&src, &out, &key);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let (jane, sean) = (token(&key, "jane roberts"), token(&key, "sean o'neill"));
    let priya = token(&key, "priya patel");
    let mut written: Vec<String> = walkdir::WalkDir::new(&out)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file() && e.file_name() != piisweep::outputs::MARKER)
        .map(|e| e.path().strip_prefix(&out).unwrap().to_string_lossy().into_owned())
        .collect();
    written.sort();
    let mut expected = vec![
        format!("{jane}-referral.txt"),
        format!("{jane}.txt"),
        format!("notes - {jane}.txt"),
        format!("{sean} 2024.txt"),
        // Whole words: these are other people (name-shaped), not Jane Roberts.
        format!("{}.txt", token(&key, "jane robertson")),
        format!("{}.txt", token(&key, "janet roberts")),
        format!("{jane}-referral.docx"),
        format!("Clients/{priya}/intake.txt"),
        format!("Clients/{priya}/Annual Report.txt"),
        "Team Meeting/Grant Application.txt".to_string(),
    ];
    expected.sort();
    assert_eq!(written, expected, "{stderr}");
    assert!(stderr.contains(&format!("Jane_Roberts-referral.docx -> {jane}-referral.docx")), "{stderr}");
}

/// A PDF of pages, each with an optional line of Helvetica text and an
/// optional picture drawn on it.
fn pdf(pages: &[(Option<&str>, bool)]) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let image = doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 1, "Height" => 1,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        vec![0x80],
    ));
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let mut kids = Vec::new();
    for (text, picture) in pages {
        let mut content = String::new();
        if *picture {
            content.push_str("q 500 0 0 700 40 60 cm /Im1 Do Q\n");
        }
        if let Some(t) = text {
            content.push_str(&format!("BT /F1 12 Tf 72 720 Td ({t}) Tj ET\n"));
        }
        let content = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content,
            "Resources" => dictionary! {
                "XObject" => dictionary! { "Im1" => image },
                "Font" => dictionary! { "F1" => font },
            },
        });
        kids.push(page.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn image_only_pdf_is_not_copied_and_verified_only_counts_copies_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("k.key");
    // Only a scan: nothing is written, and nothing claims to be verified.
    let src = tmp.path().join("scans");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("signed-form.pdf"), pdf(&[(None, true)])).unwrap();
    let out = tmp.path().join("out");
    let (run, stderr) = anonymise(&src, &out, &key);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("signed-form.pdf: not copied: needs OCR"), "{stderr}");
    assert!(stderr.contains("Nothing was written to the output folder: 1 file(s) not copied"), "{stderr}");
    assert!(!stderr.to_lowercase().contains("verified"), "{stderr}");
    // The folder holds only piisweep's marker of its own output.
    let files: Vec<_> = walkdir::WalkDir::new(&out)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && e.file_name() != piisweep::outputs::MARKER)
        .collect();
    assert!(files.is_empty(), "{files:?}");

    // With two text files beside it: two copies, both re-scanned.
    std::fs::write(src.join("a.txt"), "Call from Jane Roberts.\n").unwrap();
    // A text page then a scanned page: not copied, naming the page. A text
    // page with a logo on it is copied.
    std::fs::write(src.join("mixed.pdf"), pdf(&[(Some("Case notes for Jane Roberts"), false), (None, true)])).unwrap();
    std::fs::write(src.join("letterhead.pdf"), pdf(&[(Some("Letter to Jane Roberts"), true)])).unwrap();
    std::fs::write(src.join("b.txt"), "Nothing personal.\n").unwrap();
    let out = tmp.path().join("out2");
    let (run, stderr) = anonymise(&src, &out, &key);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Verified: 3 of 3 copies re-scanned"), "{stderr}");
    assert!(stderr.contains("signed-form.pdf: not copied: needs OCR"), "{stderr}");
    assert!(stderr.contains("mixed.pdf: not copied: needs OCR: page 2 is only images (a scan)"), "{stderr}");
    assert!(!out.join("signed-form.pdf").exists() && !out.join("mixed.pdf").exists());
    let letter = std::fs::read(out.join("letterhead.pdf")).unwrap();
    assert!(lopdf::Document::load_mem(&letter).is_ok());
    let names: BTreeMap<String, ()> =
        std::fs::read_dir(&out).unwrap().map(|e| (e.unwrap().file_name().to_string_lossy().into_owned(), ())).collect();
    assert_eq!(names.keys().collect::<Vec<_>>(), [piisweep::outputs::MARKER, "a.txt", "b.txt", "letterhead.pdf"]);
}
