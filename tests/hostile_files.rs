//! Broken and hostile files: the sweep finishes, reports each with its reason
//! on stderr, exits 3 when something could not be read, and still finds the
//! personal data in the readable files beside them.

mod common;
mod hostile;

use std::path::Path;
use std::process::Output;

use common::{bin, scan_reveal};
use hostile::{EMAIL, PHONE, put};

/// The summary line naming `path` contains `words`.
fn assert_reported(stderr: &str, path: &str, words: &str) {
    assert!(
        stderr.lines().any(|l| l.contains(path) && l.contains(words)),
        "expected {path:?} reported with {words:?} in:\n{stderr}"
    );
}

/// The paths of all findings whose value is `value`.
fn paths_with(lines: &[serde_json::Value], value: &str) -> Vec<String> {
    lines.iter().filter(|l| l["value"] == value).map(|l| l["path"].as_str().unwrap_or_default().to_string()).collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn broken_documents_archives_and_encrypted_files_are_each_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let expected = hostile::write_broken_documents(&root);
    let (out, lines) = scan_reveal(&[&root], &[], tmp.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    // Files and the parts inside them are counted apart: "FAILED 11 files and 2 parts".
    let counts: Vec<usize> = err
        .lines()
        .find_map(|l| l.strip_prefix("FAILED "))
        .and_then(|l| l.split(" (").next())
        .map(|l| l.split_whitespace().filter_map(|w| w.parse().ok()).collect())
        .unwrap_or_default();
    assert_eq!(counts.len(), 2, "{err}");
    assert_eq!(counts[0] + counts[1], expected.len(), "{err}");
    assert!(err.contains(" files and ") && counts[1] >= 1, "{err}");
    for (path, why) in &expected {
        assert_reported(&err, path, why);
    }
    // The readable file beside them is unaffected.
    assert_eq!(paths_with(&lines, EMAIL), ["ok.txt"]);
    assert_eq!(paths_with(&lines, PHONE), ["ok.txt"]);
}

#[test]
fn misnamed_binaries_and_other_encodings_in_text_files() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    put(&root, "program.txt", &hostile::binary());
    put(&root, "noise.txt", &hostile::noise(70_000));
    put(&root, "notepad-unicode.txt", &hostile::utf16le(&format!("Notes\r\nEmail: {EMAIL}\r\n")));
    put(&root, "old-windows.txt", &hostile::cp1252(&format!("Zoë Brontë – £5 paid\nMobile: {PHONE}\n")));
    let (out, lines) = scan_reveal(&[&root], &[], tmp.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "skipped on purpose is not a failure: {err}");
    assert_eq!(paths_with(&lines, EMAIL), ["notepad-unicode.txt"]);
    let phone: Vec<_> = lines.iter().filter(|l| l["path"] == "old-windows.txt").collect();
    assert!(phone.iter().any(|l| l["value"] == PHONE && l["location"] == "line 2"), "{lines:?}");
    assert!(lines.iter().all(|l| l["path"] != "program.txt" && l["path"] != "noise.txt"));
    // Skipped files are listed by reason in the summary (shown with --quiet only on failure).
    let out = bin().args(["scan", "--key"]).arg(tmp.path().join("k.key")).arg(&root).output().unwrap();
    let err = stderr(&out);
    assert_reported(&err, "program.txt", "executable");
    assert_reported(&err, "noise.txt", "binary file of unknown type");
}

#[test]
fn deeply_nested_markup_is_read_or_refused_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    let text = format!("Mobile {PHONE}");
    put(&root, "page.html", &hostile::deep_html(50_000, &text));
    put(&root, "letter.rtf", &hostile::deep_rtf(200_000, &text));
    put(&root, "Mail/deep.eml", &hostile::deep_eml(3_000, &text));
    put(&root, "Reports/deep.pdf", &hostile::deep_pdf(100_000));
    let start = std::time::Instant::now();
    let out = bin().args(["scan", "--jsonl", "-", "--reveal", "--key"]).arg(tmp.path().join("k")).arg(&root).output();
    let out = out.unwrap();
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let found = String::from_utf8_lossy(&out.stdout).into_owned();
    for readable in ["page.html", "letter.rtf", "Mail/deep.eml"] {
        assert!(found.contains(&format!("\"path\":\"{readable}\"")), "{readable} not read: {found}\n{err}");
    }
    assert_reported(&err, "letter.rtf", "nested deeper than");
    // Multiparts nested past the parser's limit: the body is read as text.
    assert_reported(&err, "Mail/deep.eml", "the body was read as plain text");
    assert_reported(&err, "Reports/deep.pdf", "corrupt or unreadable pdf");
}

/// Damaged .xls files on which calamine panicked (slice out of range), looped
/// growing memory without bound (a cyclic sector chain) or asked for 500 GB
/// (a DIMENSIONS record) and aborted the process, all found by
/// the `sheet` fuzzer (the first byte of a saved input picks the format): each
/// now fails on its own with a reason, quickly, and the sweep goes on.
#[test]
fn spreadsheets_that_broke_the_parser_fail_only_themselves() {
    let saved = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/sheet");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    for (name, file) in [
        ("People.xls", "calamine-cfb-sector-slice.bin"),
        ("Loop.xls", "calamine-cfb-chain-loop-oom.bin"),
        ("Big.xls", "calamine-xls-dimensions-500gb.bin"),
    ] {
        put(&root, name, &std::fs::read(saved.join(file)).unwrap()[1..]);
    }
    put(&root, "ok.txt", format!("Mobile {PHONE}\n").as_bytes());
    let (out, lines) = scan_reveal(&[&root], &[], tmp.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_reported(&err, "People.xls", "corrupt or unreadable xls");
    assert_reported(&err, "Loop.xls", "corrupt or unreadable xls");
    assert_reported(&err, "Big.xls", "limit hit: a sheet declares");
    assert_eq!(paths_with(&lines, PHONE), ["ok.txt"]);
}

/// Odd names: not UTF-8, a newline, emoji, `!`, a leading dash, 250 characters.
#[cfg(unix)]
fn odd_names() -> Vec<std::path::PathBuf> {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let long = format!("{}.txt", "n".repeat(246));
    [
        OsStr::from_bytes(b"caf\xe9 notes.txt"),
        OsStr::new("line\nbreak.txt"),
        OsStr::new("😀 ✓ notes.txt"),
        OsStr::new("Minutes!2024.txt"),
        OsStr::new("-rf.txt"),
        OsStr::new(&long),
    ]
    .iter()
    .map(std::path::PathBuf::from)
    .collect()
}

#[cfg(unix)]
#[test]
fn odd_file_names_give_valid_json_with_lossy_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    std::fs::create_dir_all(root.join("Ünïcode dir")).unwrap();
    for name in odd_names() {
        std::fs::write(root.join("Ünïcode dir").join(name), format!("Email {EMAIL}\n")).unwrap();
    }
    // scan_reveal parses every line as JSON and panics on invalid JSON.
    let (out, lines) = scan_reveal(&[&root], &[], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut paths = paths_with(&lines, EMAIL);
    paths.sort();
    let long = format!("Ünïcode dir/{}.txt", "n".repeat(246));
    let want = [
        "Ünïcode dir/-rf.txt",
        "Ünïcode dir/Minutes!2024.txt",
        "Ünïcode dir/caf\u{FFFD} notes.txt",
        "Ünïcode dir/line\nbreak.txt",
        &long,
        "Ünïcode dir/😀 ✓ notes.txt",
    ];
    assert_eq!(paths, want);
}

/// Files that cannot be read. Tests in CI run as root, for whom `chmod 000`
/// changes nothing: then the file must simply be scanned, and unreadability
/// is simulated with a dangling symbolic link followed with --follow-links
/// (a shortcut to a removed share), which cannot be opened by anyone. A FIFO
/// (which would block a naive reader forever) must be passed over.
#[cfg(unix)]
#[test]
fn unreadable_files_fifos_and_symlink_loops() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    put(&root, "ok.txt", format!("Mobile {PHONE}\n").as_bytes());
    put(&root, "HR/locked.txt", format!("Email {EMAIL}\n").as_bytes());
    std::fs::set_permissions(root.join("HR/locked.txt"), std::fs::Permissions::from_mode(0o000)).unwrap();
    symlink(root.join("gone/share.txt"), root.join("shortcut.txt")).unwrap();
    symlink(&root, root.join("HR/loop")).unwrap();
    symlink(root.join("self"), root.join("self")).unwrap();
    let fifo = std::ffi::CString::new(root.join("pipe.txt").into_os_string().into_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);

    let run = std::thread::spawn({
        let root = root.clone();
        let key = tmp.path().to_path_buf();
        move || scan_reveal(&[&root], &["--follow-links"], &key)
    });
    let (out, lines) = join_within(run, 60);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_reported(&err, "shortcut.txt", "not found");
    assert_reported(&err, "HR/loop", "symbolic link loop");
    assert_reported(&err, "self", "cannot read");
    assert_reported(&err, "pipe.txt", "not a regular file");
    assert_eq!(paths_with(&lines, PHONE), ["ok.txt"]);
    if unsafe { libc::geteuid() } == 0 {
        assert_eq!(paths_with(&lines, EMAIL), ["HR/locked.txt"], "root reads a chmod 000 file");
    } else {
        assert_reported(&err, "HR/locked.txt", "permission denied");
        assert!(paths_with(&lines, EMAIL).is_empty());
    }
}

/// Join `handle`, failing the test if it takes longer than `secs` (a hang).
fn join_within<T: Send + 'static>(handle: std::thread::JoinHandle<T>, secs: u64) -> T {
    let start = std::time::Instant::now();
    while !handle.is_finished() {
        assert!(start.elapsed().as_secs() < secs, "the sweep hung for more than {secs} s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    handle.join().expect("scan thread")
}

#[test]
fn a_panic_while_reading_one_file_fails_that_file_only_and_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("boom.txt"), "Mobile 07700 900123\n").unwrap();
    std::fs::write(root.join("fine.txt"), "Email jane.roberts@gmail.com\n").unwrap();
    let out = common::bin()
        .args(["scan", "--jsonl", "-", "--key"])
        .arg(tmp.path().join("k.key"))
        .arg(&root)
        .env("PIISWEEP_TEST_PANIC_ON", "boom")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("fine.txt") && !stdout.contains("boom.txt"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("boom.txt: internal error while reading this file"), "{stderr}");
    assert!(!stderr.contains("panicked at") && !stderr.contains("stack backtrace"), "{stderr}");
}

#[test]
fn the_archive_budget_is_shared_across_nesting_levels() {
    use std::io::Write;
    // Incompressible bytes, so only the total (not the ratio) limit applies.
    let noise = |n: usize| {
        let mut x: u64 = 0x9E3779B97F4A7C15;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect::<Vec<u8>>()
    };
    let zip_of = |name: &str, data: &[u8]| {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        w.start_file(name, opts).unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap().into_inner()
    };
    // Each level alone stays under 1 MB; together they take 1.2 MB.
    let inner = zip_of("big.bin", &noise(600_000));
    let outer = zip_of("inner.zip", &inner);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("outer.zip");
    std::fs::write(&path, &outer).unwrap();
    let entry =
        piisweep::walk::FileEntry { abs: path, rel: "outer.zip".into(), size: outer.len() as u64, modified: None };
    let limits = piisweep::formats::Limits { max_archive_total: 1_000_000, ..Default::default() };
    struct Ignore;
    impl piisweep::scan::SegmentHandler for Ignore {
        fn segment(&mut self, _: &str, _: &piisweep::formats::Segment<'_>) {}
    }
    let (report, _) = piisweep::scan::read_file(&entry, &limits, Ignore);
    assert!(
        report.parts.iter().any(|(p, s)| p.starts_with("outer.zip!inner.zip")
            && matches!(s, piisweep::scan::Status::Failed(why) if why.contains("limit"))),
        "{:?}",
        report.parts
    );
}
