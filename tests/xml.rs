//! XML data files through the real binary: element text is read (with the
//! element's name as context), tags and attribute values never are; the
//! anonymised copy changes element text only and re-scans clean; a broken
//! file is reported as not read (exit 3).

mod common;

use common::{bin, quads, scan_reveal};

/// An export whose attributes hold ids that pass the NHS number check and
/// font and layout names, and whose elements hold a client's details.
const EXPORT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<export generated="2024-03-01">
  <client id="9434765919" layout="4505577104" font="Calibri">
    <name>Jane Roberts</name>
    <dob>12/03/1985</dob>
    <note>Mobile 07700 900123 &amp; NHS number <![CDATA[943 476 5919]]></note>
  </client>
</export>
"#;

#[test]
fn element_text_is_read_and_attributes_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let drive = tmp.path().join("drive");
    std::fs::create_dir(&drive).unwrap();
    std::fs::write(drive.join("export.xml"), EXPORT).unwrap();
    let (out, lines) = scan_reveal(&[&drive], &[], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let found: Vec<(String, String, String)> = quads(&lines).into_iter().map(|q| (q.1, q.2, q.3)).collect();
    let want = [
        ("line 4", "name", "Jane Roberts"),
        // A bare date, a date of birth by its element's name.
        ("line 5", "dob", "12/03/1985"),
        ("line 6", "phone", "07700 900123"),
        ("line 6", "nhs_number", "943 476 5919"),
    ];
    for (location, category, value) in want {
        assert!(found.iter().any(|f| f.0 == location && f.1 == category && f.2 == value), "{value}: {found:?}");
    }
    // Nothing from an attribute: the ids that pass the NHS check are not reported.
    assert_eq!(found.len(), want.len(), "{found:?}");

    // The copy: element text replaced, everything else as it was.
    let out_dir = tmp.path().join("out");
    let run = bin()
        .args(["anonymise"])
        .arg(&drive)
        .arg("--out")
        .arg(&out_dir)
        .arg("--key")
        .arg(tmp.path().join("k.key"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let copy = std::fs::read_to_string(out_dir.join("export.xml")).unwrap();
    for gone in ["Jane Roberts", "07700 900123", "943 476 5919", "12/03/1985"] {
        assert!(!copy.contains(gone), "{gone} in\n{copy}");
    }
    for kept in [r#"<client id="9434765919" layout="4505577104" font="Calibri">"#, "<![CDATA[", "&amp;", "<dob>"] {
        assert!(copy.contains(kept), "{kept} lost from\n{copy}");
    }
    assert_eq!(copy.lines().count(), EXPORT.lines().count());
}

#[test]
fn a_broken_xml_file_is_reported_as_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let drive = tmp.path().join("drive");
    std::fs::create_dir(&drive).unwrap();
    std::fs::write(drive.join("cut.xml"), "<?xml version=\"1.0\"?>\n<a><name>Jane Roberts</name><b").unwrap();
    let (out, _) = scan_reveal(&[&drive], &[], tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cut.xml") && stderr.contains("XML"), "{stderr}");
}
