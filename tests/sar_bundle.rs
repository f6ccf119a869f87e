//! Subject access bundles made with `--redact-others` leak nothing: a drive
//! with two clients in a CSV, a mail (base64 body and an HTML alternative),
//! a Word document, a PDF and a zip; the bundle for one client is searched
//! (raw bytes, decoded mail parts, the text piisweep reads, a fresh scan)
//! for anything of the other, and must still show the client's own details,
//! even those staff did not type. Plus: input checks, the list of files that
//! could not be searched, and one person in a large CSV.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::bin;
use piisweep_testkit::corpus::Line;

/// Client A, as staff type them for the request: name, dob, NHS number.
const A_NAME: &str = "Alice Hartley";
const A_DOB: &str = "14/07/1962";
const A_NHS: &str = "450 557 7104";
/// A's details staff did not type: in the same row or message as her.
const A_PHONE: &str = "07700 900111";
const A_POSTCODE: &str = "ME14 2LP";
/// In the signature of her own message only.
const A_OTHER_PHONE: &str = "07700 900333";

/// Client B: nothing of theirs may be in A's bundle.
const B_NAME: &str = "Bernard Okafor";
const B_NHS: &str = "485 777 3457";
const B_POSTCODE: &str = "CT1 2EH";
const B_STREET: &str = "5 Castle Street";
const B_PHONE: &str = "07700 900222";

fn docx(paragraphs: &[&str]) -> Vec<u8> {
    let body: String =
        paragraphs.iter().map(|p| format!("<w:p><w:r><w:t xml:space=\"preserve\">{p}</w:t></w:r></w:p>")).collect();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    let files = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#.to_string(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#.to_string(),
        ),
        (
            "word/document.xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}<w:sectPr/></w:body></w:document>"
            ),
        ),
    ];
    for (name, text) in files {
        zip.start_file(name, opts).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn zip_of(name: &str, text: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(text.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

fn b64_lines(text: &str) -> String {
    piisweep_testkit::corpus::mail::base64(text.as_bytes())
}

/// A PDF whose first page holds text about A and whose second is only a picture.
fn pdf_with_a_scanned_page() -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, StringFormat, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let image = doc.add_object(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 1, "Height" => 1,
        "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8 },
        vec![0x80],
    ));
    let text = Content {
        operations: vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 11.into()]),
            Operation::new("Td", vec![56.into(), 780.into()]),
            Operation::new(
                "Tj",
                vec![Object::String(
                    format!("Letter about {A_NAME}, NHS number {A_NHS}").into_bytes(),
                    StringFormat::Literal,
                )],
            ),
            Operation::new("ET", vec![]),
        ],
    };
    let page1 = doc.add_object(Stream::new(dictionary! {}, text.encode().unwrap()));
    let page2 = doc.add_object(Stream::new(dictionary! {}, b"q 500 0 0 700 40 60 cm /Im1 Do Q".to_vec()));
    let resources = doc.add_object(
        dictionary! { "Font" => dictionary! { "F1" => font }, "XObject" => dictionary! { "Im1" => image } },
    );
    let kids: Vec<Object> = [page1, page2]
        .iter()
        .map(|c| doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => *c }).into())
        .collect();
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => 2, "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

struct Drive {
    tmp: tempfile::TempDir,
    map: PathBuf,
}

/// The drive with both clients, swept into a map.
fn drive() -> Drive {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let write = |rel: &str, data: &[u8]| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    };
    write(
        "Clients/clients.csv",
        format!(
            "First name,Surname,DOB,NHS number,Address,Postcode,Phone\n\
             Bernard,Okafor,03/11/1971,{B_NHS},{B_STREET},{B_POSTCODE},{B_PHONE}\n\
             Alice,Hartley,{A_DOB},{A_NHS},27 Orchard Road,{A_POSTCODE},{A_PHONE}\n"
        )
        .as_bytes(),
    );
    let plain = format!(
        "Hello, this is {A_NAME}. My NHS number is {A_NHS}; please call me on {A_PHONE}.\r\n\r\n\
         My neighbour {B_NAME} (NHS number {B_NHS}) of {B_STREET}, Canterbury {B_POSTCODE},\r\n\
         phone {B_PHONE}, asked me to pass this on.\r\n\r\n\
         Kind regards,\r\nAlice\r\n{A_OTHER_PHONE}\r\n"
    );
    let html = format!(
        "<html><body><p>Hello, this is {A_NAME}. My NHS number is {A_NHS}; please call me on {A_PHONE}.</p>\r\n\
         <p>My neighbour {B_NAME} (NHS number {B_NHS}) of {B_STREET}, Canterbury {B_POSTCODE}, \
         phone {B_PHONE}, asked me to pass this on.</p></body></html>\r\n"
    );
    write(
        "Mail/from-alice.eml",
        format!(
            "From: {A_NAME} <alice.hartley@example.org>\r\nTo: help@charity.org.uk\r\nSubject: my support\r\n\
             Date: Mon, 3 Jun 2024 10:00:00 +0100\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n\
             --b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
             --b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
            b64_lines(&plain),
            b64_lines(&html)
        )
        .as_bytes(),
    );
    write(
        "Forms/referral.docx",
        &docx(&[
            "Referral form",
            &format!("Client: {A_NAME}, born {A_DOB}, NHS number {A_NHS}"),
            &format!(
                "Referred by {B_NAME}, {B_STREET}, Canterbury {B_POSTCODE}, telephone {B_PHONE}, NHS number {B_NHS}"
            ),
        ]),
    );
    let pdf = piisweep_testkit::corpus::pdf::build(&[vec![
        Line::new().t(format!("Case summary: {A_NAME}, NHS number {A_NHS}")),
        Line::new().t(""),
        Line::new().t(format!("Neighbour: {B_NAME}, {B_STREET}, Canterbury {B_POSTCODE}, tel {B_PHONE}")),
        Line::new().t(format!("NHS number {B_NHS}")),
    ]])
    .unwrap();
    write("Reports/summary.pdf", &pdf);
    write(
        "Archive/visits.zip",
        &zip_of(
            "visits/notes.txt",
            &format!(
                "Visit to {A_NAME} (NHS number {A_NHS}) on Monday.\n\n\
                 Also saw {B_NAME} (tel {B_PHONE}) at {B_STREET}, Canterbury {B_POSTCODE}.\n"
            ),
        ),
    );
    write("Reports/letter-with-scan.pdf", &pdf_with_a_scanned_page());
    // A damaged picture: the sweep cannot read it, with OCR or without.
    write("Scans/letter.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0");
    let map = tmp.path().join("map/piisweep.db");
    let out = bin().arg("scan").arg(&root).arg(format!("--map={}", map.display())).arg("--quiet").output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&out.stderr));
    Drive { tmp, map }
}

fn sar(d: &Drive, args: &[&str]) -> Output {
    bin().arg("sar").arg("--map").arg(&d.map).args(args).output().unwrap()
}

/// `piisweep sar --map MAP DETAILS... --redact-others --bundle BUNDLE`, to run.
fn sar_redacting_others(map: &Path, details: &[&str], bundle: &Path) -> std::process::Command {
    let mut cmd = bin();
    cmd.args(["sar", "--map"]).arg(map).args(details).args(["--redact-others", "--bundle"]).arg(bundle);
    cmd
}

/// Sweep `root` into the data map `map`, which must finish with exit 0.
fn sweep(root: &Path, map: &Path) {
    let out = bin().arg("scan").arg(root).arg(format!("--map={}", map.display())).arg("--quiet").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// All text of a mail: headers and every part's decoded body.
fn mail_text(part: &mailparse::ParsedMail<'_>, out: &mut String) {
    for h in &part.headers {
        out.push_str(&h.get_value());
        out.push('\n');
    }
    if part.subparts.is_empty() {
        out.push_str(&part.get_body().unwrap_or_default());
        out.push_str(&String::from_utf8_lossy(&part.get_body_raw().unwrap_or_default()));
    }
    for sub in &part.subparts {
        mail_text(sub, out);
    }
}

/// Every way the bundle's content can be read: raw bytes, mail parts decoded,
/// zip (docx) members, and the text piisweep extracts from each copy.
fn bundle_texts(bundle: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in files_under(bundle) {
        let bytes = std::fs::read(&f).unwrap();
        let name = f.display().to_string();
        out.push((name.clone(), String::from_utf8_lossy(&bytes).into_owned()));
        if name.ends_with(".eml") {
            let mail = mailparse::parse_mail(&bytes).unwrap();
            let mut t = String::new();
            mail_text(&mail, &mut t);
            out.push((format!("{name} (decoded)"), t));
        }
        if let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(&bytes)) {
            for i in 0..zip.len() {
                let mut member = zip.by_index(i).unwrap();
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut member, &mut data).unwrap();
                out.push((format!("{name}!{}", member.name().unwrap()), String::from_utf8_lossy(&data).into_owned()));
            }
        }
    }
    let extracted = bin().arg("extract").arg(bundle).output().unwrap();
    for line in String::from_utf8_lossy(&extracted.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        out.push((format!("extract {}", v["path"]), v["text"].as_str().unwrap_or_default().to_string()));
    }
    out
}

/// The forms a value may take in text: as written, without spaces, and (for
/// numbers) digits only.
fn forms(value: &str) -> Vec<String> {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    vec![value.to_lowercase(), compact.to_lowercase()]
}

fn holds(text: &str, value: &str) -> bool {
    let lower = text.to_lowercase();
    let squeezed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    forms(value).iter().any(|f| lower.contains(f.as_str()) || squeezed.contains(f.as_str()))
}

#[test]
fn bundle_with_redact_others_leaks_nothing_of_another_client_and_keeps_the_clients_own() {
    let d = drive();
    let bundle = d.tmp.path().join("out/bundle");
    let out = sar(
        &d,
        &[
            "--name",
            A_NAME,
            "--dob",
            A_DOB,
            "--nhs",
            A_NHS,
            "--bundle",
            bundle.to_str().unwrap(),
            "--redact-others",
            "--received",
            "31/01/2025",
        ],
    );
    let said = text(&out);
    // Nothing is left over, but a picture could not be searched: exit 3.
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("Scans/letter.png") && said.contains("corrupt or unreadable image"), "{said}");

    let texts = bundle_texts(&bundle);
    let b_values = [B_NAME, "Okafor", "Bernard", B_NHS, B_POSTCODE, B_STREET, "Castle Street", B_PHONE, "03/11/1971"];
    for (name, t) in &texts {
        for v in b_values {
            assert!(!holds(t, v), "client B's {v:?} is in {name}:\n{t}");
        }
    }
    // A fresh scan of the bundle finds nothing of B either.
    let scan = bin()
        .arg("scan")
        .arg(&bundle)
        .args(["--jsonl", "-", "--reveal", "--quiet"])
        .arg("--key")
        .arg(d.tmp.path().join("k.key"))
        .output()
        .unwrap();
    let found = String::from_utf8_lossy(&scan.stdout);
    for v in b_values {
        assert!(!holds(&found, v), "the scan of the bundle finds B's {v}:\n{found}");
    }

    // A's own details are there, including those staff did not type: the
    // phone and postcode in her row, the phone in her own message.
    let copy = |part: &str| -> String {
        texts.iter().filter(|(n, _)| n.contains(part)).map(|(_, t)| t.as_str()).collect::<Vec<_>>().join("\n")
    };
    let rows = std::fs::read_to_string(bundle.join("files/002-Clients_clients.csv.rows.csv")).unwrap();
    assert_eq!(
        rows.lines().collect::<Vec<_>>(),
        [
            "First name,Surname,DOB,NHS number,Address,Postcode,Phone",
            &format!("Alice,Hartley,{A_DOB},{A_NHS},27 Orchard Road,{A_POSTCODE},{A_PHONE}"),
        ]
    );
    let mail = copy("from-alice.eml (decoded)");
    assert!(mail.contains(A_NAME) && mail.contains(A_NHS) && mail.contains(A_PHONE), "{mail}");
    // Her message (from her): the number in her signature is hers.
    assert!(mail.contains(A_OTHER_PHONE), "{mail}");
    assert!(mail.contains("[NAME]") && mail.contains("[PHONE]"), "B is redacted, not dropped: {mail}");
    assert!(mail.to_lowercase().contains("<p>"), "the HTML alternative is kept: {mail}");
    let docx = copy("referral.docx!word/document.xml");
    assert!(docx.contains(A_NAME) && docx.contains(A_DOB) && docx.contains("[NAME]"), "{docx}");
    let pdf = copy("Reports_summary.pdf\"");
    assert!(pdf.contains("Case summary") && pdf.contains(A_NAME), "{pdf}");
    let zip = copy("visits.zip_visits_notes.txt");
    assert!(zip.contains(A_NAME) && zip.contains("[NAME]"), "{zip}");

    // The PDF with a scanned page is not copied: listed for manual review.
    let names: Vec<String> = files_under(&bundle.join("files")).iter().map(|p| p.display().to_string()).collect();
    assert!(!names.iter().any(|n| n.contains("letter-with-scan")), "{names:?}");
    let index = std::fs::read_to_string(bundle.join("index.csv")).unwrap();
    let line = index.lines().find(|l| l.starts_with("Reports/letter-with-scan.pdf")).expect("listed");
    assert!(line.contains("manual review") && line.contains("page 2"), "{line}");
    assert!(index.contains("Scans/letter.png") && index.contains("not searched"), "{index}");
    // The header: whose request, the deadline one calendar month on (end of month clamped).
    assert!(index.contains("Subject access request for: Alice Hartley (as given)"), "{index}");
    assert!(index.contains("Received: 31 January 2025") && index.contains("Reply due by: 28 February 2025"), "{index}");
    let html = std::fs::read_to_string(bundle.join("index.html")).unwrap();
    assert!(html.contains("28 February 2025") && html.contains("Could not be searched"), "{html}");

    // Owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for dir in [bundle.clone(), bundle.join("files")] {
            assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700, "{}", dir.display());
        }
        for f in files_under(&bundle) {
            assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600, "{}", f.display());
        }
    }
}

#[test]
fn impossible_or_ambiguous_details_are_refused_with_a_plain_message() {
    let d = drive();
    let refused = |args: &[&str], says: &str| {
        let out = sar(&d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(says), "{args:?}: {}", text(&out));
    };
    refused(&["--name", A_NAME, "--dob", "31/02/1950"], "not a real date");
    refused(&["--name", A_NAME, "--dob", "03/29/1950"], "did you mean 29 March 1950? write it day first: 29/03/1950");
    refused(&["--name", A_NAME, "--email", "alice.example.org"], "not an email address");
    refused(&["--name", A_NAME, "--nino", "AB 12 34 56 Z"], "not a National Insurance number");
    refused(&["--name", A_NAME, "--nhs", "450 557 7105"], "not an NHS number");
    refused(&["--name", A_NAME, "--received", "30/02/2025"], "not a real date");
    // Day first is the UK way: 04/05/1950 is 4 May 1950, accepted.
    let out = sar(&d, &["--name", "Nobody Here", "--dob", "04/05/1950"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    // Nothing matches: what was searched, and what could not be, are listed.
    let said = text(&out);
    assert!(said.contains("Nothing in the data map matches this person"), "{said}");
    assert!(said.contains("name \"Nobody Here\"") && said.contains("date of birth 04/05/1950"), "{said}");
    assert!(said.contains("could not be searched") && said.contains("Scans/letter.png"), "{said}");
}

#[test]
fn one_person_in_a_large_csv_gives_one_index_row_and_ranges_not_a_line_per_place() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    std::fs::create_dir_all(&root).unwrap();
    const ROWS: u64 = 200_000;
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(root.join("contacts.csv")).unwrap());
        writeln!(w, "Date,Client,NHS number,Phone,Outcome").unwrap();
        for i in 0..ROWS {
            if i == 1000 {
                writeln!(w, "01/02/2024,{B_NAME},{B_NHS},{B_PHONE},call back").unwrap();
            } else {
                writeln!(w, "01/02/2024,{A_NAME},{A_NHS},{A_PHONE},call {i}").unwrap();
            }
        }
    }
    let map = tmp.path().join("map/piisweep.db");
    sweep(&root, &map);
    let bundle = tmp.path().join("bundle");
    let out = sar_redacting_others(&map, &["--name", A_NAME, "--nhs", A_NHS], &bundle).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.lines().count() < 30, "grouped, not a line per place:\n{table}");
    assert!(table.contains("rows 2-1,001, 1,003-200,001"), "{table}");
    let index = std::fs::read_to_string(bundle.join("index.csv")).unwrap();
    assert!(index.len() < 10_000, "{} bytes", index.len());
    assert_eq!(index.lines().filter(|l| l.starts_with("contacts.csv")).count(), 1, "{index}");
    let rows = std::fs::read_dir(bundle.join("files")).unwrap().map(|e| e.unwrap().path()).collect::<Vec<_>>();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let copy = std::fs::read_to_string(&rows[0]).unwrap();
    assert_eq!(copy.lines().count() as u64, ROWS, "the header and every row about her but one");
    assert!(!copy.contains("Okafor") && copy.contains(A_PHONE));
}

/// A table without a header row starts with a row of data: the bundle keeps
/// the first row of a table as its header, and that row is redacted like any
/// other (it once came through as it was, with another client on it).
#[test]
fn a_csv_without_a_header_row_has_its_first_row_redacted_too() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("callers.csv"),
        format!(
            "{B_NAME},{B_PHONE},bernard.okafor@example.org,{B_POSTCODE}\n\
             {A_NAME},{A_PHONE},alice.hartley@example.org,{A_POSTCODE}\n\
             Amir Khan,07700 900444,amir.khan@example.org,ME14 5PP\n"
        ),
    )
    .unwrap();
    let map = tmp.path().join("map/piisweep.db");
    sweep(&root, &map);
    let bundle = tmp.path().join("bundle");
    let out = sar_redacting_others(&map, &["--name", A_NAME, "--phone", A_PHONE], &bundle).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let copies = files_under(&bundle.join("files"));
    assert_eq!(copies.len(), 1, "{copies:?}");
    let copy = std::fs::read_to_string(&copies[0]).unwrap();
    assert!(copy.contains(A_PHONE) && copy.contains(A_NAME), "her own row is whole: {copy}");
    for other in [B_NAME, B_PHONE, "bernard.okafor@example.org", B_POSTCODE, "Amir"] {
        assert!(!copy.contains(other), "{other} is left in the bundle: {copy}");
    }
}

/// `sar --redact-others` exits 4, through the binary, when the re-scan of
/// the bundle still finds another person's data, and says what and where
/// (on standard error and at the top of index.html). Her row names her next
/// of kin; the redaction of the row is switched off by a test hook (standing
/// in for a writer that fails to remove something), so his details stay;
/// with the redaction on, the same request exits 0 and they are gone.
#[test]
fn sar_redact_others_exits_4_when_the_bundle_still_holds_another_persons_data() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("callers.csv"),
        format!(
            "Name,Phone,Postcode,Next of kin,Next of kin phone\n\
             {A_NAME},{A_PHONE},{A_POSTCODE},{B_NAME},{B_PHONE}\n\
             Amir Khan,07700 900444,ME14 5PP,Sara Khan,07700 900555\n"
        ),
    )
    .unwrap();
    let map = tmp.path().join("map/piisweep.db");
    sweep(&root, &map);
    let sar = |bundle: &Path, unredacted: bool| {
        let mut cmd = sar_redacting_others(&map, &["--name", A_NAME, "--phone", A_PHONE], bundle);
        if unredacted {
            cmd.env("PIISWEEP_TEST_BUNDLE_UNREDACTED", "1");
        }
        cmd.output().unwrap()
    };

    let bundle = tmp.path().join("left");
    let out = sar(&bundle, true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        stderr.contains("the re-scan of the bundle still finds")
            && stderr.contains("items of other people's data: remove them before sending it"),
        "{stderr}"
    );
    assert!(stderr.contains("col Next of kin phone: phone 07*** ***222"), "his phone is named, masked: {stderr}");
    assert!(!stderr.contains(B_PHONE), "the message masks what it lists: {stderr}");
    let html = std::fs::read_to_string(bundle.join("index.html")).unwrap();
    assert!(html.contains("The re-scan still finds"), "{html}");
    let copies = files_under(&bundle.join("files"));
    assert_eq!(copies.len(), 1, "{copies:?}");
    let copy = std::fs::read_to_string(&copies[0]).unwrap();
    assert!(copy.contains(B_PHONE) && copy.contains(A_PHONE) && !copy.contains("Amir"), "{copy}");

    let bundle = tmp.path().join("clean");
    let out = sar(&bundle, false);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("re-scan"), "{}", text(&out));
    let copy = std::fs::read_to_string(&files_under(&bundle.join("files"))[0]).unwrap();
    assert!(copy.contains(A_PHONE) && !copy.contains(B_PHONE) && !copy.contains(B_NAME), "{copy}");
}
