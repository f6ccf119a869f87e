//! Sources are never modified: content hashes, sizes, permissions and
//! modification times of every entry in the fixture trees are the same
//! before and after `scan`, and after `map`, `sar` and `anonymise` when the
//! binary has them (each is skipped with a note until it exists).

mod common;
mod hostile;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::bin;
use sha2::{Digest, Sha256};

/// What is recorded of one entry: kind, size, mode, mtime, content hash or link target.
type State = BTreeMap<PathBuf, String>;

/// Record every entry under `root` (symbolic links are not followed).
fn record(root: &Path) -> State {
    use std::os::unix::fs::PermissionsExt;
    let mut state = State::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.expect("walk fixture tree");
        let md = entry.path().symlink_metadata().expect("metadata");
        let what = if md.file_type().is_symlink() {
            format!("link to {:?}", std::fs::read_link(entry.path()).expect("read link"))
        } else if md.is_file() {
            let bytes = std::fs::read(entry.path()).expect("read fixture");
            hex::encode(Sha256::digest(&bytes))
        } else {
            "dir".into()
        };
        let line = format!("{what} len={} mode={:o} mtime={:?}", md.len(), md.permissions().mode(), md.modified().ok());
        state.insert(entry.path().to_path_buf(), line);
    }
    state
}

fn assert_same(before: &State, after: &State, step: &str) {
    for (path, was) in before {
        assert_eq!(after.get(path), Some(was), "{step} changed {}", path.display());
    }
    let added: Vec<_> = after.keys().filter(|p| !before.contains_key(*p)).collect();
    assert!(added.is_empty(), "{step} created {added:?} inside a source tree");
}

/// The subcommands `piisweep --help` lists.
fn subcommands() -> String {
    let out = bin().arg("--help").output().expect("piisweep --help");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Build the arguments for a subcommand that may not exist yet, from its
/// `--help`: every option that takes a path is pointed outside the sources.
fn args_for(sub: &str, roots: &[&Path], out_dir: &Path) -> Vec<std::ffi::OsString> {
    let help = bin().args([sub, "--help"]).output().expect("help");
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let mut args: Vec<std::ffi::OsString> = vec![sub.into()];
    for (flag, value) in [
        ("--key", out_dir.join("k.key").into_os_string()),
        ("--db", out_dir.join("map.db").into_os_string()),
        ("--map", out_dir.join("map.db").into_os_string()),
        ("--out", out_dir.join(format!("{sub}-out")).into_os_string()),
        ("--output", out_dir.join(format!("{sub}-out")).into_os_string()),
        ("--email", hostile::EMAIL.into()),
        ("--name", "Jane Roberts".into()),
    ] {
        if help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}=")) {
            args.push(flag.into());
            args.push(value);
        }
    }
    args.extend(roots.iter().map(|r| r.as_os_str().to_os_string()));
    args
}

#[test]
fn no_command_modifies_the_sources() {
    let tmp = tempfile::tempdir().unwrap();
    // A generated drive (every format) with the hostile files beside it, and the
    // repository's own checked-in fixtures, swept in place.
    let gen_dir = tmp.path().join("gen");
    piisweep::corpus::generate(&gen_dir, &piisweep::corpus::Options::default()).expect("generate corpus");
    let drive = gen_dir.join("drive");
    hostile::write_broken_documents(&drive.join("Broken"));
    std::os::unix::fs::symlink(&drive, drive.join("loop")).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let roots = [drive.as_path(), fixtures.as_path()];
    let before: Vec<State> = roots.iter().map(|r| record(r)).collect();
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();

    let out = bin()
        .arg("scan")
        .args(roots)
        .args(["--quiet", "--follow-links", "--jsonl"])
        .arg(out_dir.join("f.jsonl"))
        .arg("--key")
        .arg(out_dir.join("k.key"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::metadata(out_dir.join("f.jsonl")).unwrap().len() > 0, "the scan found nothing");
    for (root, was) in roots.iter().zip(&before) {
        assert_same(was, &record(root), "scan");
    }

    let listed = subcommands();
    for sub in ["map", "sar", "anonymise"] {
        if !listed.lines().any(|l| l.trim_start().starts_with(&format!("{sub} "))) {
            eprintln!("note: `piisweep {sub}` does not exist yet: not checked");
            continue;
        }
        let out = bin().args(args_for(sub, &roots, &out_dir)).output().unwrap();
        eprintln!("piisweep {sub}: exit {:?}\n{}", out.status.code(), String::from_utf8_lossy(&out.stderr));
        for (root, was) in roots.iter().zip(&before) {
            assert_same(was, &record(root), sub);
        }
    }
}
