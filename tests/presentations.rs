//! Presentations (pptx, odp, ppt) through the real binary: each read by
//! `scan` with slide locations, anonymised and re-scanned clean, found by
//! `sar`; damaged ones reported as not read, with exit status 3.

mod common;

use std::io::{Cursor, Read, Write};
use std::path::Path;

use common::{bin, quads, scan_reveal};
use piisweep_testkit::corpus::pptx::{RUN_BREAK, Slide, package};
use piisweep_testkit::ppt97::{chars, compound_file, persist_atom, rec};
use piisweep_testkit::rng::Rng;

/// A deck whose second slide (by presentation order) is the part
/// `slide3.xml`: slide order must come from presentation.xml.
fn deck() -> Vec<u8> {
    let b = RUN_BREAK;
    let slides = [
        Slide {
            file_no: 1,
            title: "Volunteer induction".into(),
            body: vec![format!("Welcome from Priya Pa{b}tel, volunteer coordinator")],
            ..Default::default()
        },
        Slide {
            file_no: 3,
            title: "Who is on the course".into(),
            body: vec!["Volunteer: Tom Jones, mobile 07700 900123".into()],
            group: vec!["Safeguarding lead: Ann Lee".into(), "Call 01632 960 111 for the rota".into()],
            notes: vec![format!("Case study (client): Jane Rob{b}erts, date of birth 12/03/1985")],
            ..Default::default()
        },
        Slide {
            file_no: 2,
            title: "Contacts".into(),
            table: vec![
                vec!["Name".into(), "Email".into()],
                vec!["Tom Jones".into(), format!("tom.jo{b}nes@example.org")],
            ],
            comments: vec![(0, "Check the NI number JC 73 28 41 B with Sam".into())],
            ..Default::default()
        },
    ];
    package(&slides, &["Sam Okafor"], "Ann Lee").unwrap()
}

/// (location, category, value) of each finding in `name`.
fn found(lines: &[serde_json::Value], name: &str) -> Vec<(String, String, String)> {
    quads(lines)
        .into_iter()
        .filter(|q| q.0.ends_with(name))
        .map(|(_, location, category, value)| (location, category, value))
        .collect()
}

fn has(found: &[(String, String, String)], location: &str, category: &str, value: &str) -> bool {
    found.iter().any(|f| f.0 == location && f.1 == category && f.2 == value)
}

fn zip_member(zip: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut s = String::new();
    archive.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// Whether the copy `name` holds no personal data (the policy keeps a date
/// of birth's year, which is found as a year of birth).
fn clean(lines: &[serde_json::Value], name: &str) -> bool {
    let left: Vec<_> = found(lines, name).into_iter().filter(|f| !(f.1 == "dob" && f.2.len() == 4)).collect();
    assert!(left.is_empty(), "the copy {name} still holds {left:#?}");
    true
}

/// Anonymise `src` into `out`, then scan the copies: (anonymise output, copy findings).
fn anonymise_and_rescan(src: &Path, out: &Path, key: &Path) -> (std::process::Output, Vec<serde_json::Value>) {
    let run = bin()
        .arg("anonymise")
        .arg(src)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .arg("--key")
        .arg(key.join("k.key"))
        .output()
        .unwrap();
    let (_, lines) = scan_reveal(&[out], &[], key);
    (run, lines)
}

#[test]
fn pptx_slides_notes_tables_groups_and_comments_are_read_in_presentation_order() {
    let tmp = tempfile::tempdir().unwrap();
    let drive = tmp.path().join("drive");
    std::fs::create_dir_all(&drive).unwrap();
    std::fs::write(drive.join("induction.pptx"), deck()).unwrap();
    // The same deck under a name that does not say what it is.
    std::fs::write(drive.join("induction-backup.bin"), deck()).unwrap();
    let (out, lines) = scan_reveal(&[&drive], &[], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for name in ["induction.pptx", "induction-backup.bin"] {
        let f = found(&lines, name);
        assert!(has(&f, "slide 1", "name", "Priya Patel"), "{name}: {f:#?}");
        assert!(has(&f, "slide 2", "name", "Tom Jones"), "{f:#?}");
        assert!(has(&f, "slide 2", "phone", "07700 900123"), "{f:#?}");
        assert!(has(&f, "slide 2", "name", "Ann Lee"), "grouped shape: {f:#?}");
        assert!(has(&f, "slide 2 notes", "name", "Jane Roberts"), "{f:#?}");
        assert!(has(&f, "slide 2 notes", "dob", "12/03/1985"), "{f:#?}");
        assert!(has(&f, "slide 3", "email", "tom.jones@example.org"), "table cell: {f:#?}");
        assert!(has(&f, "slide 3 comment", "nino", "JC 73 28 41 B"), "{f:#?}");
        assert!(has(&f, "comment author", "name", "Sam Okafor"), "{f:#?}");
        assert!(has(&f, "metadata creator", "name", "Ann Lee"), "{f:#?}");
        // The notes page's slide number is not text of the notes.
        assert!(!f.iter().any(|x| x.0.starts_with("slide 3 ") && x.0 != "slide 3 comment"), "{f:#?}");
    }
}

#[test]
fn pptx_copy_is_clean_and_keeps_its_slides() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("induction.pptx"), deck()).unwrap();
    let out_dir = tmp.path().join("out");
    let (run, lines) = anonymise_and_rescan(&src, &out_dir, tmp.path());
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(clean(&lines, "induction.pptx"));
    let copy = std::fs::read(out_dir.join("induction.pptx")).unwrap();
    // Not personal, kept as it was; the slide list and part names unchanged.
    let slide3 = zip_member(&copy, "ppt/slides/slide3.xml");
    assert!(slide3.contains("Who is on the course") && slide3.contains("Safeguarding lead: "), "{slide3}");
    assert!(!slide3.contains("Tom Jones") && !slide3.contains("900123"), "{slide3}");
    let all: String = ["ppt/slides/slide1.xml", "ppt/notesSlides/notesSlide3.xml", "ppt/slides/slide2.xml"]
        .iter()
        .chain(&["ppt/comments/comment2.xml", "ppt/commentAuthors.xml", "docProps/core.xml"])
        .map(|m| zip_member(&copy, m))
        .collect();
    // Values split across runs: the rest of the value is gone from the next run too.
    for gone in
        ["Patel", ">tel,", "Roberts", ">erts,", "tom.jo", ">nes@", "JC 73", "Sam Okafor", "Ann Lee", "12/03/1985"]
    {
        assert!(!all.contains(gone), "{gone} left in the copy: {all}");
    }
    assert!(all.contains(", volunteer coordinator") && all.contains("Check the NI number "), "{all}");
    assert_eq!(zip_member(&copy, "ppt/presentation.xml"), zip_member(&deck(), "ppt/presentation.xml"));
}

#[test]
fn sar_finds_a_person_in_a_presentation() {
    let tmp = tempfile::tempdir().unwrap();
    let drive = tmp.path().join("drive");
    std::fs::create_dir_all(&drive).unwrap();
    std::fs::write(drive.join("induction.pptx"), deck()).unwrap();
    std::fs::write(drive.join("other.txt"), "Nothing about anyone here.\n").unwrap();
    let map = tmp.path().join("map/piisweep.db");
    let scan = bin().arg("scan").arg(&drive).arg(format!("--map={}", map.display())).arg("--quiet").output().unwrap();
    assert_eq!(scan.status.code(), Some(0), "{}", String::from_utf8_lossy(&scan.stderr));
    let out = bin().arg("sar").arg("--map").arg(&map).args(["--name", "Jane Roberts"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1 files mention this person") && text.contains("induction.pptx"), "{text}");
    assert!(!text.contains("other.txt"), "{text}");
}

#[test]
fn damaged_pptx_is_not_read_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let drive = tmp.path().join("drive");
    std::fs::create_dir_all(&drive).unwrap();
    let whole = deck();
    std::fs::write(drive.join("cut.pptx"), &whole[..whole.len() / 2]).unwrap();
    // A zip that says it is a presentation but has no presentation part.
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file("ppt/slides/slide1.xml", zip::write::SimpleFileOptions::default()).unwrap();
    w.write_all(b"<p:sld/>").unwrap();
    std::fs::write(drive.join("hollow.pptx"), w.finish().unwrap().into_inner()).unwrap();
    let out = bin().arg("scan").arg(&drive).arg("--key").arg(tmp.path().join("k.key")).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains("cut.pptx") && all.contains("corrupt or unreadable pptx"), "{all}");
    assert!(all.contains("hollow.pptx") && all.contains("not a PowerPoint presentation"), "{all}");
}

/// An odp as LibreOffice Impress lays it out: mimetype stored first, slides
/// as `draw:page` with frames, a table, a comment and speaker notes.
fn odp() -> Vec<u8> {
    const NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" xmlns:officeooo="http://openoffice.org/2009/office" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0""#;
    let content = format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.3"><office:body><office:presentation>"#,
            r#"<draw:page draw:name="page1"><draw:frame presentation:class="title"><draw:text-box><text:p>Referrals</text:p></draw:text-box></draw:frame>"#,
            r#"<draw:frame presentation:class="outline"><draw:text-box><text:list><text:list-item><text:p>Client: <text:span text:style-name="T1">Jane Rob</text:span>erts,<text:s/>mobile 07700 900123</text:p></text:list-item></text:list></draw:text-box></draw:frame>"#,
            r#"<officeooo:annotation><dc:creator>Sam Okafor</dc:creator><dc:date>2024-03-01T09:00:00</dc:date><text:p>Ask Priya Patel first</text:p></officeooo:annotation>"#,
            r#"<presentation:notes><draw:page-thumbnail draw:page-number="1"/><draw:frame presentation:class="notes"><draw:text-box><text:p>Case study (client): Tom Jones, date of birth 12/03/1985</text:p></draw:text-box></draw:frame></presentation:notes></draw:page>"#,
            r#"<draw:page draw:name="page2"><draw:frame><table:table><table:table-row><table:table-cell><text:p>Name</text:p></table:table-cell><table:table-cell><text:p>Email</text:p></table:table-cell></table:table-row>"#,
            r#"<table:table-row><table:table-cell><text:p>Tom Jones</text:p></table:table-cell><table:table-cell><text:p>tom.jones@example.org</text:p></table:table-cell></table:table-row></table:table></draw:frame></draw:page>"#,
            r#"</office:presentation></office:body></office:document-content>"#
        ),
        ns = NS
    );
    let meta = format!(
        r#"<office:document-meta {NS}><office:meta><meta:initial-creator>Ann Lee</meta:initial-creator><dc:title>Referrals</dc:title></office:meta></office:document-meta>"#
    );
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("mimetype", stored).unwrap();
    w.write_all(b"application/vnd.oasis.opendocument.presentation").unwrap();
    for (name, body) in [("content.xml", content), ("meta.xml", meta), ("Thumbnails/thumbnail.png", "PNG".into())] {
        w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn odp_slides_notes_tables_and_comments_are_read_and_anonymised() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("referrals.odp"), odp()).unwrap();
    let (out, lines) = scan_reveal(&[&src], &[], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let f = found(&lines, "referrals.odp");
    assert!(has(&f, "slide 1", "name", "Jane Roberts"), "{f:#?}");
    assert!(has(&f, "slide 1", "phone", "07700 900123"), "{f:#?}");
    assert!(has(&f, "slide 1 comment", "name", "Priya Patel"), "{f:#?}");
    assert!(has(&f, "slide 1 comment", "name", "Sam Okafor"), "the comment's author: {f:#?}");
    assert!(has(&f, "slide 1 notes", "name", "Tom Jones"), "{f:#?}");
    assert!(has(&f, "slide 1 notes", "dob", "12/03/1985"), "{f:#?}");
    assert!(has(&f, "slide 2", "email", "tom.jones@example.org"), "{f:#?}");
    assert!(has(&f, "metadata creator", "name", "Ann Lee"), "{f:#?}");
    assert!(!f.iter().any(|x| x.2.contains("2024")), "dates are not text: {f:#?}");

    let out_dir = tmp.path().join("out");
    let (run, lines) = anonymise_and_rescan(&src, &out_dir, tmp.path());
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(clean(&lines, "referrals.odp"));
    let copy = std::fs::read(out_dir.join("referrals.odp")).unwrap();
    assert_eq!(&copy[30..38], b"mimetype", "ODF: mimetype first");
    assert!(copy[38..].starts_with(b"application/vnd.oasis.opendocument.presentation"));
    let content = zip_member(&copy, "content.xml");
    for gone in ["Roberts", "Jane Rob", "900123", "Priya", "Sam Okafor", "Tom Jones", "tom.jones"] {
        assert!(!content.contains(gone), "{gone} left: {content}");
    }
    assert!(content.contains("<text:p>Referrals</text:p>") && content.contains("mobile "), "{content}");
    assert!(content.contains("<presentation:notes>"), "{content}");
}

/// A PowerPoint 97-2003 file: a compound file with a `PowerPoint Document`
/// stream as PowerPoint writes it: the document's slide list with the
/// placeholder text, then slide containers (slide 2's first) holding a text
/// box and a comment, a notes page, and the persist directory.
fn ppt(encrypted: bool) -> Vec<u8> {
    compound_file(&ppt_stream(encrypted))
}

/// The PowerPoint Document stream of [`ppt`].
fn ppt_stream(encrypted: bool) -> Vec<u8> {
    let list = [
        persist_atom(1, 256),
        rec(0, 0, 0x0F9F, &0u32.to_le_bytes()),
        rec(0, 0, 0x0FA0, &chars("Referrals\rClient: Jane Roberts, mobile 07700 900123")),
        persist_atom(2, 257),
        rec(0, 0, 0x0FA8, b"Contacts\rtom.jones@example.org"),
    ]
    .concat();
    let document = rec(0xF, 0, 0x03E8, &rec(0xF, 0, 0x0FF0, &list));
    let comment = rec(
        0xF,
        0,
        0x2EE0,
        &[rec(0, 0, 0x0FBA, &chars("Sam Okafor")), rec(0, 1, 0x0FBA, &chars("Check NI number JC 73 28 41 B"))].concat(),
    );
    let text_box = rec(0xF, 0, 0xF002, &rec(0xF, 0, 0xF00D, &rec(0, 0, 0x0FA0, &chars("Volunteer: Tom Jones"))));
    let slide2 = rec(0xF, 0, 0x03EE, &[text_box, rec(0xF, 0, 0x1388, &comment)].concat());
    let slide1 = rec(0xF, 0, 0x03EE, &rec(0xF, 0, 0xF002, &[]));
    let notes = rec(
        0xF,
        0,
        0x03F0,
        &[
            rec(0, 1, 0x03F1, &256u32.to_le_bytes()),
            rec(0xF, 0, 0xF002, &rec(0, 0, 0x0FA0, &chars("Case study (client): Ann Lee, date of birth 12/03/1985"))),
        ]
        .concat(),
    );
    let mut stream = document;
    let slide2_at = stream.len() as u32;
    stream.extend(&slide2);
    let slide1_at = stream.len() as u32;
    stream.extend(&slide1);
    stream.extend(&notes);
    let directory: Vec<u8> = [1 | (2 << 20), slide1_at, slide2_at].iter().flat_map(|v| v.to_le_bytes()).collect();
    stream.extend(rec(0, 0, 0x1772, &directory));
    if encrypted {
        stream.extend(rec(0xF, 0, 0x2F14, &[]));
    }
    stream
}

#[test]
fn ppt_text_is_read_by_slide_and_listed_as_not_copied() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("old-talk.ppt"), ppt(false)).unwrap();
    let (out, lines) = scan_reveal(&[&src], &[], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let f = found(&lines, "old-talk.ppt");
    assert!(has(&f, "slide 1", "name", "Jane Roberts"), "{f:#?}");
    assert!(has(&f, "slide 1", "phone", "07700 900123"), "{f:#?}");
    assert!(has(&f, "slide 2", "email", "tom.jones@example.org"), "TextBytesAtom: {f:#?}");
    assert!(has(&f, "slide 2", "name", "Tom Jones"), "a text box in slide 2's container: {f:#?}");
    assert!(has(&f, "slide 2 comment", "nino", "JC 73 28 41 B"), "{f:#?}");
    assert!(has(&f, "slide 2 comment", "name", "Sam Okafor"), "the comment's author: {f:#?}");
    assert!(has(&f, "slide 1 notes", "name", "Ann Lee"), "notes name their slide by id: {f:#?}");
    assert!(has(&f, "slide 1 notes", "dob", "12/03/1985"), "{f:#?}");

    let out_dir = tmp.path().join("out");
    let run = bin()
        .arg("anonymise")
        .arg(&src)
        .arg("--out")
        .arg(&out_dir)
        .arg("--key")
        .arg(tmp.path().join("k.key"))
        .output()
        .unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    // Listed as not copied, with what to do, as every file no writer supports.
    assert_eq!(run.status.code(), Some(0), "{all}");
    assert!(
        all.contains("old-talk.ppt") && all.contains("PowerPoint 97-2003 cannot be rewritten; save as .pptx"),
        "{all}"
    );
    assert!(!out_dir.join("old-talk.ppt").exists());
}

#[test]
fn encrypted_or_damaged_ppt_is_not_read_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let drive = tmp.path().join("drive");
    std::fs::create_dir_all(&drive).unwrap();
    std::fs::write(drive.join("locked.ppt"), ppt(true)).unwrap();
    let whole = ppt(false);
    std::fs::write(drive.join("cut.ppt"), &whole[..whole.len() / 3]).unwrap();
    let out = bin().arg("scan").arg(&drive).arg("--key").arg(tmp.path().join("k.key")).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(all.contains("locked.ppt") && all.contains("encrypted (password-protected)"), "{all}");
    assert!(all.contains("cut.ppt") && all.contains("corrupt or unreadable ppt"), "{all}");
}

/// `data` with a few bytes changed, cut or repeated, as a fuzzer would.
fn mutate(data: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = data.to_vec();
    for _ in 0..1 + rng.below(4) {
        if out.is_empty() {
            break;
        }
        let at = rng.below(out.len());
        match rng.below(4) {
            0 => out[at] = rng.next_u64() as u8,
            1 => out[at] ^= 0x80,
            2 => out.truncate(at),
            _ => {
                let piece = out[at..(at + 1 + rng.below(16)).min(out.len())].to_vec();
                out.splice(at..at, piece);
            }
        }
    }
    out
}

/// A zip with member `name` mutated (the others as they were).
fn with_member_mutated(zip_bytes: &[u8], name: &str, rng: &mut Rng) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip_bytes)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let member = f.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        let bytes = if member == name { mutate(&bytes, rng) } else { bytes };
        w.start_file(member, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(&bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The fuzz targets' code path (`fuzz/`: pptx, odp, ppt) over damaged
/// presentations made from the ones above, deterministically: none may
/// panic. Damage inside the XML parts and the PowerPoint Document stream,
/// where the readers' own code runs, as well as to the files' bytes.
#[test]
fn damaged_presentations_never_panic() {
    let mut rng = Rng::new(20);
    let (deck, odp, stream) = (deck(), odp(), ppt_stream(false));
    for _ in 0..600 {
        let part = *rng.pick(&[
            "ppt/presentation.xml",
            "ppt/slides/slide3.xml",
            "ppt/_rels/presentation.xml.rels",
            "ppt/comments/comment2.xml",
            "ppt/notesSlides/notesSlide3.xml",
        ]);
        for (target, data) in [
            ("pptx", with_member_mutated(&deck, part, &mut rng)),
            ("pptx", mutate(&deck, &mut rng)),
            ("odp", with_member_mutated(&odp, "content.xml", &mut rng)),
            ("ppt", compound_file(&mutate(&stream, &mut rng))),
            ("ppt", mutate(&ppt(false), &mut rng)),
        ] {
            let saved = data.clone();
            if std::panic::catch_unwind(|| piisweep_testkit::fuzzing::run(target, &data)).is_err() {
                let path = std::env::temp_dir().join(format!("presentation-crash-{target}.bin"));
                std::fs::write(&path, &saved).unwrap();
                panic!("{target} panicked; input saved to {}", path.display());
            }
        }
    }
}

/// `zip_bytes` with members replaced or added (in that order at the end).
fn with_members(zip_bytes: &[u8], changes: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip_bytes)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        if changes.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(&bytes).unwrap();
    }
    for (name, bytes) in changes {
        w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A deck as PowerPoint 365 saves it: a modern comment thread on slide 1
/// with its author's account, a chart, an embedded presentation, and a
/// thumbnail.
fn deck_365() -> Vec<u8> {
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let rels = |inner: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{inner}</Relationships>"#
        )
        .into_bytes()
    };
    let modern = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p188:cmLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:p188="http://schemas.microsoft.com/office/powerpoint/2018/8/main"><p188:cm id="{11111111-2222-3333-4444-555555555555}" authorId="{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}" created="2024-03-01T09:00:00.000"><p188:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="en-GB"/><a:t>Ring Jane Roberts on 07700 900456</a:t></a:r></a:p></p188:txBody></p188:cm></p188:cmLst>"#;
    let authors = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><p188:authorLst xmlns:p188="http://schemas.microsoft.com/office/powerpoint/2018/8/main"><p188:author id="{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}" name="Priya Patel" initials="PP" userId="priya.patel@example.org" providerId="AD"/></p188:authorLst>"#;
    let inner = package(
        &[Slide {
            file_no: 1,
            title: "Embedded".into(),
            body: vec!["Volunteer: Tom Jones".into()],
            ..Default::default()
        }],
        &[],
        "Ann Lee",
    )
    .unwrap();
    with_members(
        &deck(),
        &[
            (
                "ppt/slides/_rels/slide1.xml.rels",
                rels(&format!(
                    r#"<Relationship Id="rId2" Type="{rel}/notesSlide" Target="../notesSlides/notesSlide1.xml"/><Relationship Id="rId5" Type="http://schemas.microsoft.com/office/2018/10/relationships/comments" Target="../comments/modernComment_100_ABCDEF.xml"/><Relationship Id="rId6" Type="{rel}/package" Target="../embeddings/Microsoft_PowerPoint_Presentation.pptx"/>"#
                )),
            ),
            (
                "_rels/.rels",
                rels(&format!(
                    r#"<Relationship Id="rId1" Type="{rel}/officeDocument" Target="ppt/presentation.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail" Target="docProps/thumbnail.jpeg"/>"#
                )),
            ),
            ("ppt/comments/modernComment_100_ABCDEF.xml", modern.as_bytes().to_vec()),
            ("ppt/authors.xml", authors.as_bytes().to_vec()),
            ("ppt/embeddings/Microsoft_PowerPoint_Presentation.pptx", inner),
            ("docProps/thumbnail.jpeg", b"\xFF\xD8\xFF\xE0 picture of slide 1".to_vec()),
            (
                "ppt/charts/chart1.xml",
                br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><c:chart><c:title><c:tx><c:rich><a:bodyPr/><a:p><a:r><a:t>Visits by volunteer</a:t></a:r></a:p></c:rich></c:tx></c:title><c:plotArea><c:barChart><c:ser><c:tx><c:strRef><c:strCache><c:pt idx="0"><c:v>Volunteer: Tom Jones</c:v></c:pt></c:strCache></c:strRef></c:tx><c:val><c:numRef><c:numCache><c:pt idx="0"><c:v>12</c:v></c:pt></c:numCache></c:numRef></c:val></c:ser></c:barChart></c:plotArea></c:chart></c:chartSpace>"#.to_vec(),
            ),
        ],
    )
}

#[test]
fn pptx_modern_comments_authors_and_embedded_files() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("deck.pptx"), deck_365()).unwrap();
    let (out, lines) = scan_reveal(&[&src], &[], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let f = found(&lines, "deck.pptx");
    assert!(has(&f, "slide 1 comment", "name", "Jane Roberts"), "{f:#?}");
    assert!(has(&f, "slide 1 comment", "phone", "07700 900456"), "{f:#?}");
    assert!(has(&f, "comment author", "name", "Priya Patel"), "{f:#?}");
    assert!(has(&f, "comment author", "email", "priya.patel@example.org"), "{f:#?}");
    assert!(has(&f, "chart 1", "name", "Tom Jones"), "a chart's series name: {f:#?}");
    let inner = found(&lines, "deck.pptx!ppt/embeddings/Microsoft_PowerPoint_Presentation.pptx");
    assert!(has(&inner, "slide 1", "name", "Tom Jones"), "{inner:#?}");

    let out_dir = tmp.path().join("out");
    let (run, lines) = anonymise_and_rescan(&src, &out_dir, tmp.path());
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(clean(&lines, "deck.pptx"));
    let copy = std::fs::read(out_dir.join("deck.pptx")).unwrap();
    let names: Vec<String> =
        zip::ZipArchive::new(Cursor::new(&copy)).unwrap().file_names().map(|n| n.unwrap().into_owned()).collect();
    assert!(!names.iter().any(|n| n.contains("thumbnail")), "{names:?}");
    assert!(!zip_member(&copy, "_rels/.rels").contains("thumbnail"), "the thumbnail's relationship goes too");
    assert!(names.contains(&"ppt/embeddings/Microsoft_PowerPoint_Presentation.pptx".to_string()), "{names:?}");
    let authors = zip_member(&copy, "ppt/authors.xml");
    assert!(
        !authors.contains("Priya") && !authors.contains("priya.patel") && authors.contains(r#"initials="""#),
        "{authors}"
    );
}
