//! Sources are never modified: content hashes, sizes, permissions and
//! modification times of every entry in the fixture trees are the same
//! before and after `scan`, `scan --map`, `map`, `sar --bundle` and `anonymise`.

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

/// Build the arguments for a subcommand that may not exist yet, from its

#[test]
fn no_command_modifies_the_sources() {
    let tmp = tempfile::tempdir().unwrap();
    // A generated drive (every format) with the hostile files beside it, and the
    // repository's own checked-in fixtures, swept in place.
    let gen_dir = tmp.path().join("gen");
    piisweep_testkit::corpus::generate(&gen_dir, &piisweep_testkit::corpus::Options::default())
        .expect("generate corpus");
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

    // The data map, a subject access request with a bundle, and anonymised
    // copies, each over the same sources.
    let map = out_dir.join("map.db");
    let key = out_dir.join("k.key");
    let person = piisweep_testkit::corpus::generate(&tmp.path().join("labels-only"), &Default::default())
        .unwrap()
        .into_iter()
        .find(|l| l.category == piisweep::detect::Category::Name && l.value.contains(' '))
        .unwrap()
        .value;
    let steps: [(&str, Vec<std::ffi::OsString>, &[i32]); 4] = [
        (
            "scan --map",
            os(
                &["scan", "--quiet", "--follow-links", "--key"],
                &[&key],
                &roots,
                &[&format!("--map={}", map.display())],
            ),
            &[3],
        ),
        ("map", os(&["map", "--format", "html", "--map"], &[&map], &[], &[]), &[0]),
        (
            "sar",
            os(
                &["sar", "--name", &person, "--key", &key.display().to_string(), "--map"],
                &[&map],
                &[],
                &["--bundle", &out_dir.join("bundle").display().to_string()],
            ),
            // The broken files could not be searched: the request says so.
            &[3],
        ),
        (
            "anonymise",
            os(
                &["anonymise", "--quiet", "--key"],
                &[&key],
                &roots,
                &["--out", &out_dir.join("anon").display().to_string()],
            ),
            &[0, 3, 4],
        ),
    ];
    for (step, args, ok) in steps {
        let out = bin().args(&args).output().unwrap();
        let code = out.status.code().unwrap_or(-1);
        assert!(ok.contains(&code), "piisweep {step}: exit {code}\n{}", String::from_utf8_lossy(&out.stderr));
        for (root, was) in roots.iter().zip(&before) {
            assert_same(was, &record(root), step);
        }
    }
    assert!(out_dir.join("bundle/index.html").exists(), "the SAR bundle was written");
    assert!(std::fs::read_dir(out_dir.join("anon")).unwrap().next().is_some(), "copies were written");
}

/// Arguments: words, then paths, then roots, then more words.
fn os(words: &[&str], paths: &[&Path], roots: &[&Path], tail: &[&str]) -> Vec<std::ffi::OsString> {
    let mut v: Vec<std::ffi::OsString> = words.iter().map(Into::into).collect();
    v.extend(paths.iter().map(|p| p.as_os_str().to_os_string()));
    v.extend(roots.iter().map(|p| p.as_os_str().to_os_string()));
    v.extend(tail.iter().map(Into::into));
    v
}
