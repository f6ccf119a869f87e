//! Nothing unread passes as success (#20 item 5): a known kind piisweep
//! cannot read counts under "could not be read" with its reason and makes
//! the exit status 3; "skipped" stays for what holds no personal text.

mod common;

use common::scan_reveal;

fn with_magic(magic: &[u8], at: usize, len: usize) -> Vec<u8> {
    let mut data = vec![0u8; len];
    data[at..at + magic.len()].copy_from_slice(magic);
    data
}

#[test]
fn known_kinds_that_cannot_be_read_fail_and_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("drive");
    std::fs::create_dir(&root).unwrap();
    let files: &[(&str, Vec<u8>, &str)] = &[
        ("old.rar", with_magic(b"Rar!\x1A\x07\x01\x00", 0, 512), "RAR archive"),
        ("members.sqlite", with_magic(b"SQLite format 3\0", 0, 4096), "SQLite database"),
        ("donors.mdb", with_magic(b"Standard Jet DB\0", 4, 4096), "Access database"),
        ("clients.accdb", with_magic(b"Standard ACE DB\0", 4, 4096), "Access database"),
    ];
    for (name, data, _) in files {
        std::fs::write(root.join(name), data).unwrap();
    }
    // A program holds no personal text: skipped on purpose.
    std::fs::write(root.join("setup.exe"), with_magic(b"MZ\x90\x00", 0, 1024)).unwrap();
    let (out, _) = scan_reveal(&[&root], &[], tmp.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let failed = stderr.split("FAILED").nth(1).unwrap_or_else(|| panic!("no FAILED list: {stderr}"));
    let failed = failed.split("\n\n").next().unwrap().split("Skipped").next().unwrap();
    for (name, _, reason) in files {
        assert!(failed.lines().any(|l| l.contains(name) && l.contains(reason)), "{name} not failed: {stderr}");
    }
    assert!(!failed.contains("setup.exe"), "{stderr}");

    // The program alone: skipped, exit 0.
    let only = tmp.path().join("programs");
    std::fs::create_dir(&only).unwrap();
    std::fs::write(only.join("setup.exe"), with_magic(b"MZ\x90\x00", 0, 1024)).unwrap();
    let (out, _) = scan_reveal(&[&only], &[], tmp.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}
