use piisweep_testkit::word97::{Word97, word97};

use crate::formats::{Collect, ExtractError, Input, Kind, Limits, extract};

fn read(bytes: &[u8]) -> (Result<Kind, ExtractError>, Collect) {
    let mut out = Collect::default();
    let result = extract("letter.doc", &Input::Bytes(bytes), &mut out, &Limits::default());
    (result, out)
}

fn segment<'a>(c: &'a Collect, location: &str) -> &'a str {
    c.segments.iter().find(|(l, _, _)| l == location).map(|(_, t, _)| t.as_str()).unwrap_or_else(|| {
        panic!("no segment at {location}: {:?}", c.segments);
    })
}

#[test]
fn body_paragraphs_tables_and_stories_are_read() {
    let body = "Referral for Jane Roberts\r\
        Date of birth 12/03/1985\x0bNI number AB123456C\r\
        Name\x07Phone\x07\x07Tom Price\x07\x07\x07\
        Ann Lee\x0707700 900123\x07\x07\
        Seen by \x13 HYPERLINK \"mailto:a.b@example.org\" \x14Sam Hill\x15 today\r";
    let bytes = word97(&Word97 {
        body,
        footnotes: "Moved from 4 Mill Lane\r",
        headers: "Kent Carers\r",
        comments: "Check with Priya Shah\r",
        text_boxes: "Call 01632 960001\r",
        two_pieces: true,
        ..Word97::default()
    });
    let (kind, c) = read(&bytes);
    assert_eq!(kind.unwrap(), Kind::Doc);
    // Paragraphs are lines; a line break inside one becomes a tab.
    let p = segment(&c, "paragraph 1");
    assert!(p.starts_with("Referral for Jane Roberts\nDate of birth 12/03/1985\tNI number AB123456C"), "{p}");
    // The field's code is left out, its result kept.
    assert!(p.ends_with("Seen by Sam Hill today"), "{p}");
    assert!(!p.contains("HYPERLINK") && !p.contains("mailto"), "{p}");
    // The table: header row, a row with an empty cell, a full row.
    assert_eq!(segment(&c, "table 1 row 2 cell 1"), "Tom Price");
    assert_eq!(segment(&c, "table 1 row 3 cell 2"), "07700 900123");
    assert!(c.segments.iter().all(|(l, _, _)| l != "table 1 row 4 cell 1"), "{:?}", c.segments);
    assert_eq!(segment(&c, "footnotes"), "Moved from 4 Mill Lane");
    assert_eq!(segment(&c, "headers and footers"), "Kent Carers");
    assert_eq!(segment(&c, "comments"), "Check with Priya Shah");
    assert_eq!(segment(&c, "text boxes"), "Call 01632 960001");
}

#[test]
fn unicode_text_is_read_in_either_piece_kind() {
    for two_pieces in [false, true] {
        let body = "Zoë Ó Briain lives at 3 Château Row\rNotes: naïve café\r";
        let (kind, c) = read(&word97(&Word97 { body, two_pieces, ..Word97::default() }));
        assert_eq!(kind.unwrap(), Kind::Doc);
        assert_eq!(segment(&c, "paragraph 1"), "Zoë Ó Briain lives at 3 Château Row\nNotes: naïve café");
    }
}

#[test]
fn encrypted_old_and_damaged_documents_say_why() {
    let (r, _) = read(&word97(&Word97 { body: "x\r", encrypted: true, ..Word97::default() }));
    assert!(matches!(r, Err(ExtractError::Encrypted)), "{r:?}");

    // Word 95: an older FIB.
    let mut old = word97(&Word97 { body: "x\r", ..Word97::default() });
    let mut cf = cfb::CompoundFile::open(std::io::Cursor::new(&mut old)).unwrap();
    let mut word = Vec::new();
    std::io::Read::read_to_end(&mut cf.open_stream("/WordDocument").unwrap(), &mut word).unwrap();
    word[2..4].copy_from_slice(&0x0065u16.to_le_bytes());
    std::io::Write::write_all(&mut cf.create_stream("/WordDocument").unwrap(), &word).unwrap();
    cf.flush().unwrap();
    drop(cf);
    let (r, _) = read(&old);
    assert!(matches!(&r, Err(ExtractError::Unsupported(m)) if m.contains("Word 6.0/95")), "{r:?}");

    // A compound file with no WordDocument stream, named .doc.
    let mut cf = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    std::io::Write::write_all(&mut cf.create_stream("/Other").unwrap(), b"data").unwrap();
    cf.flush().unwrap();
    let (r, _) = read(&cf.into_inner().into_inner());
    assert!(matches!(&r, Err(ExtractError::Corrupt { detail, .. }) if detail.contains("WordDocument")), "{r:?}");
}

#[test]
fn damaged_documents_never_panic() {
    let good = word97(&Word97 {
        body: "Jane Roberts\x07AB123456C\x07\x07\rEnd\r",
        comments: "note\r",
        two_pieces: true,
        ..Word97::default()
    });
    let mut rng = piisweep_testkit::rng::Rng::new(7);
    for _ in 0..300 {
        let mut bad = good.clone();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(bad.len());
            bad[at] = rng.below(256) as u8;
        }
        let _ = read(&bad);
        let cut = rng.below(bad.len());
        let _ = read(&bad[..cut]);
    }
}

#[test]
fn the_docx_copy_holds_the_same_text() {
    let body = "Jane Roberts\rName\x07Phone\x07\x07Ann Lee\x0707700 900123\x07\x07After & <table>\r";
    let bytes = word97(&Word97 { body, comments: "Check\r", ..Word97::default() });
    let doc = super::read(&bytes, &Limits::default()).unwrap();
    let docx = super::anonymise::to_docx(&doc).unwrap();
    let mut c = Collect::default();
    assert_eq!(extract("copy.docx", &Input::Bytes(&docx), &mut c, &Limits::default()).unwrap(), Kind::Docx);
    let body_text = segment(&c, "paragraph 1");
    assert!(body_text.starts_with("Jane Roberts"), "{body_text}");
    assert!(body_text.contains("After & <table>") && body_text.contains("Comments\nCheck"), "{body_text}");
    assert_eq!(segment(&c, "table 1 row 2 cell 2"), "07700 900123");
}

/// Word's paragraph properties say which marks are cells and which end rows:
/// a cell of several paragraphs at the start of a row, and rows ending in
/// empty cells, are read as the table they are (by the marks alone, the first
/// paragraph was taken for one outside the table and the cells shifted).
#[test]
fn table_cells_follow_the_paragraph_properties() {
    let body = "Referrals\r\
        Jane Roberts\u{2}Carer since 2019\x07QQ 12 34 56 C\x07\x07\u{1}\
        Priya Patel\x07\x07\x07\u{1}\
        Mark Smith\u{2}07700 900123\x07ME14 1XQ\x07notes\x07\u{1}\
        After the table.\r";
    let (result, c) = read(&word97(&Word97 { body, ..Word97::default() }));
    assert_eq!(result.unwrap(), Kind::Doc);
    // Body paragraphs reach detection together, as a docx's do.
    assert_eq!(segment(&c, "paragraph 1"), "Referrals\nAfter the table.");
    assert_eq!(segment(&c, "table 1 row 1 cell 1"), "Jane Roberts\nCarer since 2019");
    assert_eq!(segment(&c, "table 1 row 1 cell 2"), "QQ 12 34 56 C");
    assert_eq!(segment(&c, "table 1 row 2 cell 1"), "Priya Patel");
    assert_eq!(segment(&c, "table 1 row 3 cell 1"), "Mark Smith\n07700 900123");
    assert_eq!(segment(&c, "table 1 row 3 cell 3"), "notes");
    assert_eq!(c.segments.len(), 7, "{:?}", c.segments);
    assert!(!c.segments.iter().any(|(l, _, _)| l.starts_with("table 2")), "{:?}", c.segments);
    // Split over two pieces, one of them UTF-16, the same.
    let (_, split) = read(&word97(&Word97 { body, two_pieces: true, ..Word97::default() }));
    assert_eq!(split.segments, c.segments);
}
