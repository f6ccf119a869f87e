//! Peak memory stays bounded on inputs that once ran past it (#26 item 1):
//! a large Outlook message, and a sheet with cells far apart. Each is built
//! here and swept by the real binary; the peak is the kernel's count.

mod common;
mod hostile;

use std::io::{Cursor, Write};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::bin;
use hostile::{EMAIL, PHONE, put, run_measured, zip_of};

/// The bound the issue sets on any input, in KB.
const MAX_RSS_KB: u64 = 300 * 1024;

fn scan_cmd(root: &Path, key_dir: &Path) -> Command {
    let mut cmd = bin();
    cmd.arg("scan").arg(root).args(["--jsonl", "-", "--reveal", "--quiet", "--key"]).arg(key_dir.join("k.key"));
    cmd
}

fn values(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["value"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

/// An Outlook .msg of about 16 MB: a 12 MB plain body (UTF-16, as Outlook
/// writes it) with a phone number at its end, and a 4 MB CSV attachment.
fn big_msg() -> Vec<u8> {
    let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    let put = |cf: &mut cfb::CompoundFile<Cursor<Vec<u8>>>, path: &str, data: &[u8]| {
        cf.create_stream(path).unwrap().write_all(data).unwrap();
    };
    let utf16 = |s: &str| s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect::<Vec<u8>>();
    put(&mut cf, "/__substg1.0_0037001F", &utf16("Minutes of the trustees"));
    let mut body: String = (0..200_000).map(|i| format!("item {i} discussed and agreed\r\n")).collect();
    body.push_str(&format!("Call Jane on {PHONE}\r\n"));
    put(&mut cf, "/__substg1.0_1000001F", &utf16(&body));
    cf.create_storage("/__attach_version1.0_#00000000").unwrap();
    let mut csv: String = (0..100_000).map(|i| format!("row {i},nothing personal here\n")).collect();
    csv.push_str(&format!("Jane Roberts,{EMAIL}\n"));
    put(&mut cf, "/__attach_version1.0_#00000000/__substg1.0_3707001F", &utf16("list.csv"));
    put(&mut cf, "/__attach_version1.0_#00000000/__substg1.0_37010102", csv.as_bytes());
    cf.flush().unwrap();
    cf.into_inner().into_inner()
}

#[test]
fn a_16_mb_outlook_message_is_read_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let msg = big_msg();
    assert!(msg.len() > 14 << 20, "{} bytes", msg.len());
    put(&root, "Inbox/minutes.msg", &msg);
    let (out, peak) = run_measured(scan_cmd(&root, tmp.path()), Duration::from_secs(600));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let found = values(&out.stdout);
    assert!(found.iter().any(|v| v == PHONE), "{found:?} {err}");
    assert!(found.iter().any(|v| v == EMAIL), "{found:?} {err}");
    eprintln!("16 MB .msg: peak RSS {peak} KB");
    assert!(peak > 0 && peak < MAX_RSS_KB, "peak RSS {peak} KB");
}

/// An xlsx with one cell at A1 and one at XFD1048576, the last cell a sheet
/// can have: read without laying out the space between them.
fn far_xlsx() -> Vec<u8> {
    let ns = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#;
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
    let rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let wb_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
    );
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Jane Roberts {PHONE}</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>{EMAIL}</t></is></c></row></sheetData></worksheet>"#
    );
    zip_of(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", rels.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", wb_rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ])
}

#[test]
fn a_sheet_with_cells_at_its_far_corners_is_read_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    put(&root, "far.xlsx", &far_xlsx());
    let (out, peak) = run_measured(scan_cmd(&root, tmp.path()), Duration::from_secs(300));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let found = values(&out.stdout);
    assert!(found.iter().any(|v| v == PHONE), "{found:?} {err}");
    assert!(found.iter().any(|v| v == EMAIL), "{found:?} {err}");
    eprintln!("xlsx with a cell at XFD1048576: peak RSS {peak} KB");
    assert!(peak > 0 && peak < MAX_RSS_KB, "peak RSS {peak} KB");
}
