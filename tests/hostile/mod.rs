//! A generator of broken and hostile files, for the robustness tests: every
//! file is made by code here (no binary blobs checked in), next to normal
//! files whose findings must survive the sweep.
//!
//! Each builder returns bytes; [`write_drive`] lays out a whole "shared drive"
//! of them and returns what the sweep is expected to say about each.

#![allow(dead_code)]

use std::io::{Cursor, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use lopdf::{EncryptionState, EncryptionVersion, Permissions};
use piisweep_testkit::corpus::Line;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// A line of personal data every readable copy must still yield (an email).
pub const EMAIL: &str = "jane.roberts@gmail.com";
/// A UK mobile number, found in normal text.
pub const PHONE: &str = "07700 900123";

/// A zip of `(name, bytes)` members, deflated.
pub fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in members {
        w.start_file(*name, opts).expect("start zip member");
        w.write_all(bytes).expect("write zip member");
    }
    w.finish().expect("finish zip").into_inner()
}

/// A small valid workbook with a name, email and phone.
pub fn xlsx() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["Name", "Email", "Phone"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("header");
    }
    for r in 1..200u32 {
        ws.write_string(r, 0, format!("Jane Roberts {r}")).expect("cell");
        ws.write_string(r, 1, EMAIL).expect("cell");
        ws.write_string(r, 2, PHONE).expect("cell");
    }
    wb.save_to_buffer().expect("xlsx")
}

/// A minimal valid Word document with `text` as its paragraphs.
pub fn docx(text: &str) -> Vec<u8> {
    let ct = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let paras: String = text.lines().map(|l| format!("<w:p><w:r><w:t>{l}</w:t></w:r></w:p>")).collect();
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{paras}</w:body></w:document>"#
    );
    zip_of(&[("[Content_Types].xml", ct.as_bytes()), ("word/document.xml", doc.as_bytes())])
}

/// A valid one-page PDF saying `text`.
pub fn pdf(text: &str) -> Vec<u8> {
    let lines: Vec<Line> = text.lines().map(|l| Line::new().t(l)).collect();
    piisweep_testkit::corpus::pdf::build(&[lines]).expect("pdf")
}

/// The same PDF encrypted with a user password (RC4-128 via lopdf).
pub fn encrypted_pdf(text: &str) -> Vec<u8> {
    let mut doc = lopdf::Document::load_mem(&pdf(text)).expect("reload pdf");
    let id = lopdf::Object::string_literal(b"0123456789abcdef".to_vec());
    doc.trailer.set("ID", vec![id.clone(), id]);
    let version = EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password: "secret",
        key_length: 128,
        permissions: Permissions::all(),
    };
    let state = EncryptionState::try_from(version).expect("encryption state");
    doc.encrypt(&state).expect("encrypt");
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save encrypted pdf");
    out
}

/// A password-protected Office file as Office writes it: an OLE2 compound
/// file holding `EncryptionInfo` and `EncryptedPackage` streams.
pub fn encrypted_office() -> Vec<u8> {
    let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("create cfb");
    cf.create_stream("/EncryptionInfo").expect("stream").write_all(&[4, 0, 4, 0, 0x40, 0, 0, 0]).expect("write");
    let mut pkg = cf.create_stream("/EncryptedPackage").expect("stream");
    pkg.write_all(&(4096u64).to_le_bytes()).expect("write");
    pkg.write_all(&[0x5A; 4096]).expect("write");
    drop(pkg);
    cf.flush().expect("flush cfb");
    cf.into_inner().into_inner()
}

/// The first `percent`% of `bytes` (a half-downloaded file).
pub fn truncated(bytes: &[u8], percent: usize) -> Vec<u8> {
    bytes[..bytes.len() * percent / 100].to_vec()
}

/// `bytes` with a run of garbage written over the middle third.
pub fn scribbled(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let (a, b) = (out.len() / 3, 2 * out.len() / 3);
    for (i, byte) in out[a..b].iter_mut().enumerate() {
        *byte = (i as u8).wrapping_mul(97) ^ 0xA5;
    }
    out
}

/// A zip whose one member is `mb` MB of zeros: over 1000:1 compression.
pub fn zip_bomb(mb: usize) -> Vec<u8> {
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).large_file(true);
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file("zeros.txt", opts).expect("start");
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..mb {
        w.write_all(&chunk).expect("write zeros");
    }
    w.finish().expect("finish").into_inner()
}

/// `inner` (named `name`) wrapped in `depth` levels of zip.
pub fn nested_zip(depth: usize, name: &str, inner: &[u8]) -> Vec<u8> {
    let mut data = zip_of(&[(name, inner)]);
    for level in 1..depth {
        data = zip_of(&[(&format!("level{level}.zip"), &data)]);
    }
    data
}

/// `text` as UTF-16LE with a byte-order mark, as Windows Notepad saves "Unicode".
pub fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

/// `text` in Windows-1252 (every character must be representable).
pub fn cp1252(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable, "{text:?} is not all Windows-1252");
    bytes.into_owned()
}

/// An ELF-like binary with NULs, to be named `.txt`.
pub fn binary() -> Vec<u8> {
    let mut out = b"\x7FELF\x02\x01\x01\0".to_vec();
    out.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    out
}

/// Random-looking bytes with NULs and no known magic number.
pub fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if i % 7 == 0 { 0 } else { x as u8 }
        })
        .collect()
}

/// Write `bytes` to `dir/name`, creating folders.
pub fn put(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create folder");
    }
    std::fs::write(&path, bytes).expect("write hostile file");
}

/// What the summary must say about a file: (path, words its line must contain).
pub type Expect = (String, &'static str);

/// Lay out the broken office/PDF/archive files under `root`, with `ok.txt`
/// beside them. Returns each file that must be reported FAILED and the words
/// of its reason.
pub fn write_broken_documents(root: &Path) -> Vec<Expect> {
    let text = format!("Client: Jane Roberts\nEmail {EMAIL}\nMobile {PHONE}");
    let mut failed = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>, why: &'static str| {
        put(root, name, &bytes);
        failed.push((name.to_string(), why));
    };
    add("Finance/truncated.xlsx", truncated(&xlsx(), 50), "corrupt or unreadable");
    add("Finance/scribbled.xlsx", scribbled(&xlsx()), "corrupt or unreadable");
    add("Finance/encrypted.xlsx", encrypted_office(), "encrypted (password-protected)");
    add("Letters/truncated.docx", truncated(&docx(&text), 60), "corrupt or unreadable");
    add("Letters/scribbled.docx", scribbled(&docx(&text)), "corrupt or unreadable");
    add("Letters/encrypted.docx", encrypted_office(), "encrypted (password-protected)");
    add("Reports/garbage.pdf", [b"%PDF-1.7\n".as_slice(), &noise(3000)].concat(), "corrupt or unreadable pdf");
    add("Reports/truncated.pdf", truncated(&pdf(&text), 15), "corrupt or unreadable pdf");
    add("Reports/encrypted.pdf", encrypted_pdf(&text), "encrypted (password-protected)");
    add("Old/truncated.zip", truncated(&zip_of(&[("notes.txt", text.as_bytes())]), 70), "corrupt or unreadable zip");
    add("Old/not-really.zip", [b"PK\x03\x04".as_slice(), &noise(2000)].concat(), "corrupt or unreadable zip");
    put(root, "Old/bomb.zip", &zip_bomb(256));
    failed.push(("Old/bomb.zip!zeros.txt".into(), "compression ratio over"));
    put(root, "Old/nested.zip", &nested_zip(20, "deep.txt", text.as_bytes()));
    failed.push(("Old/nested.zip".into(), "nested more than"));
    put(root, "ok.txt", text.as_bytes());
    failed
}

/// `text` inside `n` nested `<div>`s.
pub fn deep_html(n: usize, text: &str) -> Vec<u8> {
    format!("<html><body>{}{text}{}</body></html>", "<div>".repeat(n), "</div>".repeat(n)).into_bytes()
}

/// A message whose body is `n` multiparts nested one in another, `text` innermost.
pub fn deep_eml(n: usize, text: &str) -> Vec<u8> {
    let mut s = String::from("From: a@example.org\nTo: b@example.org\nSubject: deep\nMIME-Version: 1.0\n");
    for i in 0..n {
        s.push_str(&format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n"));
    }
    s.push_str(&format!("Content-Type: text/plain\n\n{text}\n"));
    for i in (0..n).rev() {
        s.push_str(&format!("--b{i}--\n"));
    }
    s.into_bytes()
}

/// RTF with `text` inside `n` nested groups.
pub fn deep_rtf(n: usize, text: &str) -> Vec<u8> {
    format!("{{\\rtf1 {}{text}{}}}", "{".repeat(n), "}".repeat(n)).into_bytes()
}

/// A PDF whose catalog holds an array nested `n` deep.
pub fn deep_pdf(n: usize) -> Vec<u8> {
    let arr = format!("{}{}", "[".repeat(n), "]".repeat(n));
    format!(
        "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /X {arr} >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

/// Run `cmd` to completion, returning its output and peak resident memory in
/// KB, as the kernel counted it for the process (`ru_maxrss` from `wait4`):
/// exact, not sampled. A sweep still running after `limit` (a hang) is
/// killed, and the test fails on its exit status.
// The child is reaped by `wait4` (for its resource usage), not `Child::wait`.
#[allow(clippy::zombie_processes)]
pub fn run_measured(mut cmd: Command, limit: Duration) -> (Output, u64) {
    use std::os::unix::process::ExitStatusExt;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start piisweep");
    let pid = child.id() as libc::pid_t;
    // Pipes are drained on threads so a chatty child cannot block.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || read_all(&mut stdout));
    let err_t = std::thread::spawn(move || read_all(&mut stderr));
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if done_rx.recv_timeout(limit).is_err() {
            // Still running: the process is not reaped yet, so `pid` is still ours.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let _ = done_tx.send(());
    watchdog.join().expect("watchdog");
    assert_eq!(reaped, pid, "wait4 failed");
    let status = std::process::ExitStatus::from_raw(status);
    assert!(status.signal().is_none(), "the sweep was killed after {limit:?} (a hang?)");
    let out = Output { status, stdout: out_t.join().expect("stdout"), stderr: err_t.join().expect("stderr") };
    // ru_maxrss is in KB on Linux.
    (out, usage.ru_maxrss as u64)
}

pub fn read_all(r: &mut impl std::io::Read) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = r.read_to_end(&mut v);
    v
}
