//! Sources are never written, by any command, with any flags: every output
//! that is a source, lies inside a folder swept, or holds one is refused with
//! exit status 2 before anything is written, however the path is spelt
//! (symbolic links, `..`, relative paths, hard links); `--force` only writes
//! over piisweep's own earlier output.

#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::bin;
use sha2::{Digest, Sha256};

/// Kind, content hash, size, mode and modification time of every entry
/// under a folder (links not followed).
type State = BTreeMap<PathBuf, String>;

fn record(dir: &Path) -> State {
    use std::os::unix::fs::MetadataExt;
    let mut state = State::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let md = entry.path().symlink_metadata().unwrap();
        let what = if md.file_type().is_symlink() {
            format!("link to {:?}", std::fs::read_link(entry.path()).unwrap())
        } else if md.is_file() {
            hex::encode(Sha256::digest(std::fs::read(entry.path()).unwrap()))
        } else {
            "dir".into()
        };
        let line = format!("{what} len={} mode={:o} mtime={}.{}", md.len(), md.mode(), md.mtime(), md.mtime_nsec());
        state.insert(entry.path().to_path_buf(), line);
    }
    state
}

/// A drive to sweep, a key outside it, and a folder for outputs.
struct Drive {
    tmp: tempfile::TempDir,
}

impl Drive {
    fn new() -> Drive {
        let tmp = tempfile::tempdir().unwrap();
        let d = Drive { tmp };
        std::fs::create_dir_all(d.src().join("Clients")).unwrap();
        std::fs::write(d.src().join("people.csv"), "Name,Email\nJane Roberts,jane.roberts@gmail.com\n").unwrap();
        std::fs::write(
            d.src().join("Clients/case-notes.txt"),
            "Spoke to Jane Roberts (DOB 12/03/1985) on 07700 900123 about her housing.\n",
        )
        .unwrap();
        std::fs::create_dir_all(d.path().join("keys")).unwrap();
        // The key exists already: only the outputs under test could be written.
        let key = bin().args(["scan", "--quiet", "--key"]).arg(d.key()).arg(d.src()).output().unwrap();
        assert_eq!(key.status.code(), Some(0), "{}", String::from_utf8_lossy(&key.stderr));
        d
    }

    fn path(&self) -> &Path {
        self.tmp.path()
    }

    fn src(&self) -> PathBuf {
        self.path().join("Shared")
    }

    fn key(&self) -> PathBuf {
        self.path().join("keys/k.key")
    }

    /// Run piisweep in `cwd` with `args`; `KEY` stands for `--key <the key>`.
    fn run_in(&self, cwd: &Path, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
        let mut v: Vec<OsString> = Vec::new();
        for a in args {
            if a.as_ref() == "KEY" {
                v.push("--key".into());
                v.push(self.key().into());
            } else {
                v.push(a.as_ref().to_os_string());
            }
        }
        bin().current_dir(cwd).args(&v).output().unwrap()
    }

    /// Everything in the drive's folder but the data map's own (SQLite
    /// opens it with companion files, even to read).
    fn record(&self) -> State {
        let mut state = record(self.path());
        state.retain(|p, _| !p.starts_with(self.path().join("map")));
        state
    }

    /// Run a command that must be refused (exit 2, the message naming the
    /// problem) and must write nothing anywhere in the drive's folder.
    fn refused(&self, cwd: &Path, args: &[&dyn AsRef<std::ffi::OsStr>], says: &str) {
        let before = self.record();
        let out = self.run_in(cwd, args);
        let err = String::from_utf8_lossy(&out.stderr);
        let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
        assert_eq!(out.status.code(), Some(2), "{shown:?} should be refused: {err}");
        assert!(err.contains(says), "{shown:?}: the message should say {says:?}: {err}");
        let after = self.record();
        assert_eq!(before, after, "{shown:?} changed files although it was refused");
    }
}

const INSIDE: &str = "is inside the scanned folder";
const HOLDS: &str = "which is being swept";
const IS_SOURCE: &str = "piisweep never writes to what it reads";

#[test]
fn anonymise_of_a_file_into_the_folder_holding_it_with_force_is_refused() {
    // The reported bug: `anonymise FILE --out FOLDER --force` wrote the copy
    // over FILE, as the copy's path in FOLDER was the source's own.
    let d = Drive::new();
    let src = d.src();
    let file = src.join("people.csv");
    let original = std::fs::read(&file).unwrap();
    d.refused(&src, &[&"anonymise", &"people.csv", &"--out", &".", &"--force", &"KEY"], HOLDS);
    d.refused(&src, &[&"anonymise", &"people.csv", &"--out", &".", &"KEY"], HOLDS);
    d.refused(d.path(), &[&"anonymise", &file, &"--out", &src, &"--force", &"KEY"], HOLDS);
    // The file itself as the output folder, and a folder "inside" it.
    d.refused(d.path(), &[&"anonymise", &file, &"--out", &file, &"--force", &"KEY"], IS_SOURCE);
    d.refused(d.path(), &[&"anonymise", &file, &"--out", &file.join("x"), &"--force", &"KEY"], IS_SOURCE);
    // Any folder further up holds it too.
    d.refused(d.path(), &[&"anonymise", &file, &"--out", &d.path(), &"--force", &"KEY"], HOLDS);
    assert_eq!(std::fs::read(&file).unwrap(), original);
    // A folder beside it is fine.
    let out = d.run_in(d.path(), &[&"anonymise", &file, &"--out", &d.path().join("anon"), &"--quiet", &"KEY"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(d.path().join("anon/people.csv").is_file());
    assert_eq!(std::fs::read(&file).unwrap(), original);
}

#[test]
fn every_output_of_every_command_inside_a_folder_swept_is_refused() {
    let d = Drive::new();
    let src = d.src();
    let inside = src.join("Clients");
    let cwd = d.path();
    let jsonl = inside.join("f.jsonl");
    let map = format!("--map={}", inside.join("m.db").display());
    let out = inside.join("anon");
    d.refused(cwd, &[&"scan", &src, &"--jsonl", &jsonl, &"KEY"], INSIDE);
    d.refused(cwd, &[&"scan", &src, &map, &"KEY"], INSIDE);
    d.refused(cwd, &[&"scan", &src, &"--key", &inside.join("new.key")], INSIDE);
    d.refused(cwd, &[&"extract", &src, &"--jsonl", &jsonl], INSIDE);
    d.refused(cwd, &[&"anonymise", &src, &"--out", &out, &"KEY"], INSIDE);
    d.refused(cwd, &[&"anonymise", &src, &"--out", &src, &"KEY"], IS_SOURCE);
    d.refused(cwd, &[&"anonymise", &src, &"--out", &out, &"--key", &inside.join("new.key")], INSIDE);
    let truth = d.path().join("t.jsonl");
    std::fs::write(&truth, "{\"path\":\"people.csv\",\"category\":\"email\",\"value\":\"jane.roberts@gmail.com\"}\n")
        .unwrap();
    d.refused(cwd, &[&"eval", &"--truth", &truth, &src, &"--key", &inside.join("new.key")], INSIDE);
    // The default key (piisweep.key here) when sweeping the current folder.
    d.refused(&src, &[&"scan", &"."], "the key file piisweep.key is inside the scanned folder .");
    // The map's own default place, and its key beside it, when sweeping here.
    d.refused(&src, &[&"scan", &".", &"--map", &"KEY"], INSIDE);
}

#[test]
fn outputs_that_are_source_files_are_refused() {
    let d = Drive::new();
    let src = d.src();
    let file = src.join("people.csv");
    let cwd = d.path();
    // The root given as a file, and the output the same file.
    d.refused(cwd, &[&"scan", &file, &"--jsonl", &file, &"KEY"], IS_SOURCE);
    d.refused(cwd, &[&"extract", &file, &"--jsonl", &file], IS_SOURCE);
    d.refused(cwd, &[&"scan", &file, &format!("--map={}", file.display()), &"KEY"], IS_SOURCE);
    d.refused(cwd, &[&"scan", &file, &"--key", &file], "is damaged");
    // A file under a folder swept.
    d.refused(cwd, &[&"scan", &src, &"--jsonl", &file, &"KEY"], INSIDE);
    d.refused(cwd, &[&"extract", &src, &"--jsonl", &src.join("Clients/case-notes.txt")], INSIDE);
    // The map's companion files are outputs too.
    let wal = PathBuf::from(format!("{}-wal", d.path().join("m.db").display()));
    std::fs::write(&wal, "not really").unwrap();
    d.refused(cwd, &[&"scan", &wal, &format!("--map={}", d.path().join("m.db").display()), &"KEY"], IS_SOURCE);
}

#[test]
fn other_names_for_the_same_place_are_refused() {
    let d = Drive::new();
    let src = d.src();
    let file = src.join("people.csv");
    let cwd = d.path();
    // A symbolic link to the folder swept, and to a source file.
    symlink(&src, d.path().join("link-to-shared")).unwrap();
    symlink(&file, d.path().join("link-to-people.csv")).unwrap();
    let via_link = d.path().join("link-to-shared/Clients/out.jsonl");
    d.refused(cwd, &[&"scan", &src, &"--jsonl", &via_link, &"KEY"], INSIDE);
    d.refused(cwd, &[&"scan", &src, &"--jsonl", &d.path().join("link-to-people.csv"), &"KEY"], INSIDE);
    d.refused(cwd, &[&"extract", &file, &"--jsonl", &d.path().join("link-to-people.csv")], IS_SOURCE);
    d.refused(cwd, &[&"anonymise", &src, &"--out", &d.path().join("link-to-shared/anon"), &"KEY"], INSIDE);
    // The root given through the link, the output by its real path.
    d.refused(cwd, &[&"scan", &d.path().join("link-to-shared"), &"--jsonl", &src.join("f.jsonl"), &"KEY"], INSIDE);
    // A folder that holds the link's target (not the link).
    std::fs::create_dir_all(d.path().join("elsewhere")).unwrap();
    symlink(&src, d.path().join("elsewhere/shared")).unwrap();
    d.refused(cwd, &[&"anonymise", &d.path().join("elsewhere/shared"), &"--out", &src, &"KEY"], IS_SOURCE);
    // A dangling link that would create a file inside the folder swept.
    symlink(src.join("new.jsonl"), d.path().join("dangling.jsonl")).unwrap();
    d.refused(cwd, &[&"scan", &src, &"--jsonl", &d.path().join("dangling.jsonl"), &"KEY"], INSIDE);
    assert!(!src.join("new.jsonl").exists());
    // A hard link to a source file, outside the folder swept.
    std::fs::hard_link(&file, d.path().join("hard.jsonl")).unwrap();
    d.refused(cwd, &[&"scan", &src, &"--jsonl", &d.path().join("hard.jsonl"), &"KEY"], "hard link");
    d.refused(cwd, &[&"extract", &file, &"--jsonl", &d.path().join("hard.jsonl")], IS_SOURCE);
}

#[test]
fn with_follow_links_the_places_links_lead_to_are_sources_too() {
    let d = Drive::new();
    let src = d.src();
    let cwd = d.path();
    // Another folder, reached only through a link inside the folder swept.
    let other = d.path().join("Other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("list.csv"), "Name,Phone\nTom Roberts,07700 900789\n").unwrap();
    symlink(&other, src.join("Clients/other")).unwrap();
    let target = other.join("list.csv");
    d.refused(cwd, &[&"scan", &src, &"--follow-links", &"--jsonl", &target, &"KEY"], INSIDE);
    d.refused(cwd, &[&"extract", &src, &"--follow-links", &"--jsonl", &other.join("x.jsonl")], INSIDE);
    d.refused(cwd, &[&"anonymise", &src, &"--follow-links", &"--out", &other.join("anon"), &"KEY"], INSIDE);
    // Without --follow-links the link is not followed, so that folder is not a source.
    let out = d.run_in(cwd, &[&"scan", &src, &"--quiet", &"--jsonl", &other.join("x.jsonl"), &"KEY"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn relative_paths_with_dot_dot_are_resolved() {
    let d = Drive::new();
    let src = d.src();
    // From inside the folder swept, paths that climb out and back in.
    let clients = src.join("Clients");
    d.refused(&clients, &[&"scan", &"..", &"--jsonl", &"../Clients/../f.jsonl", &"KEY"], INSIDE);
    d.refused(&clients, &[&"scan", &"..", &"--jsonl", &"f.jsonl", &"KEY"], INSIDE);
    d.refused(&clients, &[&"anonymise", &"case-notes.txt", &"--out", &"../Clients", &"KEY"], HOLDS);
    d.refused(&clients, &[&"anonymise", &"../Clients/case-notes.txt", &"--out", &"../..", &"KEY"], HOLDS);
    d.refused(&clients, &[&"anonymise", &"../people.csv", &"--out", &"new/../../people.csv", &"KEY"], IS_SOURCE);
    // A path that leaves through `..` is fine.
    let out = d.run_in(&clients, &[&"scan", &"..", &"--quiet", &"--jsonl", &"../../f.jsonl", &"KEY"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(d.path().join("f.jsonl").is_file());
}

#[test]
fn a_bundle_inside_or_around_the_folders_the_map_swept_is_refused() {
    let d = Drive::new();
    let src = d.src();
    let map = d.path().join("map/m.db");
    let scan = d.run_in(d.path(), &[&"scan", &src, &format!("--map={}", map.display()), &"--quiet", &"KEY"]);
    assert_eq!(scan.status.code(), Some(0), "{}", String::from_utf8_lossy(&scan.stderr));
    let sar = |bundle: &Path, extra: &str, says: &str| {
        let args: Vec<&dyn AsRef<std::ffi::OsStr>> =
            vec![&"sar", &"--map", &map, &"--name", &"Jane Roberts", &"--bundle", &bundle, &"KEY", &extra];
        d.refused(d.path(), &args, says);
    };
    sar(&src.join("Clients/bundle"), "--redact-others", INSIDE);
    sar(&src, "--force", IS_SOURCE);
    sar(d.path(), "--force", HOLDS);
    let out = d.run_in(
        d.path(),
        &[&"sar", &"--map", &map, &"--name", &"Jane Roberts", &"--bundle", &d.path().join("bundle"), &"KEY"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(d.path().join("bundle/index.html").is_file());
}

#[test]
fn force_writes_over_piisweeps_own_output_only() {
    let d = Drive::new();
    let src = d.src();
    let cwd = d.path();
    // A folder of someone else's files: refused with or without --force, untouched.
    let foreign = d.path().join("Reports");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("people.csv"), "my own report\n").unwrap();
    d.refused(cwd, &[&"anonymise", &src, &"--out", &foreign, &"--force", &"KEY"], "did not write");
    d.refused(cwd, &[&"anonymise", &src, &"--out", &foreign, &"KEY"], "did not write");
    // Our own output: written once, then replaced with --force.
    let anon = d.path().join("anon");
    let run = |extra: &str| d.run_in(cwd, &[&"anonymise", &src, &"--out", &anon, &"--quiet", &"KEY", &extra]);
    assert_eq!(run("--threads=1").status.code(), Some(0));
    assert!(anon.join(".piisweep-output").is_file(), "the output folder is marked as piisweep's");
    let again = run("--threads=1");
    assert_eq!(again.status.code(), Some(3), "existing copies are not replaced without --force");
    assert!(String::from_utf8_lossy(&again.stderr).contains("use --force"));
    std::fs::write(anon.join("people.csv"), "stale copy\n").unwrap();
    assert_eq!(run("--force").status.code(), Some(0));
    assert_ne!(std::fs::read_to_string(anon.join("people.csv")).unwrap(), "stale copy\n");
    // Links planted in our output folder lead nowhere: a copy's name linked to
    // a source is replaced (the link, not its target), a folder linked to the
    // sources is not written through.
    let before = record(&src);
    std::fs::remove_file(anon.join("people.csv")).unwrap();
    symlink(src.join("people.csv"), anon.join("people.csv")).unwrap();
    std::fs::remove_dir_all(anon.join("Clients")).unwrap();
    symlink(src.join("Clients"), anon.join("Clients")).unwrap();
    let forced = run("--force");
    let err = String::from_utf8_lossy(&forced.stderr);
    assert_eq!(forced.status.code(), Some(3), "{err}");
    assert!(err.contains("leads outside"), "{err}");
    assert_eq!(record(&src), before, "the sources are untouched");
    assert!(!anon.join("people.csv").symlink_metadata().unwrap().file_type().is_symlink());
    // A hard link to a source at a copy's name: the copy replaces the name only.
    std::fs::remove_file(anon.join("people.csv")).unwrap();
    std::fs::hard_link(src.join("people.csv"), anon.join("people.csv")).unwrap();
    std::fs::remove_file(anon.join("Clients")).unwrap();
    assert_eq!(run("--force").status.code(), Some(0));
    assert_eq!(record(&src), before, "the sources are untouched");

    // The same for a subject access bundle.
    let map = d.path().join("map/m.db");
    let scan = d.run_in(cwd, &[&"scan", &src, &format!("--map={}", map.display()), &"--quiet", &"KEY"]);
    assert_eq!(scan.status.code(), Some(0), "{}", String::from_utf8_lossy(&scan.stderr));
    let sar = |dir: &Path, force: &str| {
        d.run_in(cwd, &[&"sar", &"--map", &map, &"--name", &"Jane Roberts", &"--bundle", &dir, &"KEY", &force])
    };
    d.refused(
        cwd,
        &[&"sar", &"--map", &map, &"--name", &"Jane Roberts", &"--bundle", &foreign, &"KEY", &"--force"],
        "did not write",
    );
    let bundle = d.path().join("bundle");
    assert_eq!(sar(&bundle, "--redact-others").status.code(), Some(0));
    let refused = sar(&bundle, "--redact-others");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("add --force"));
    // An earlier bundle's copies are replaced, not written through.
    let copy = std::fs::read_dir(bundle.join("files")).unwrap().next().unwrap().unwrap().path();
    std::fs::remove_file(&copy).unwrap();
    symlink(src.join("people.csv"), &copy).unwrap();
    assert_eq!(sar(&bundle, "--force").status.code(), Some(0));
    assert_eq!(record(&src), before, "the sources are untouched");
    assert!(bundle.join("index.html").is_file());
}

#[test]
fn files_of_another_owner_are_still_read() {
    // O_NOATIME is refused (EPERM) on a file one does not own: the read must
    // fall back to an ordinary one. Only root can run piisweep as someone else.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: cannot run piisweep as another user here");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = tmp.path().join("notes.txt");
    std::fs::write(&file, "Call Jane Roberts on 07700 900123.\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = bin().current_dir("/").uid(65534).gid(65534).arg("extract").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Call Jane Roberts on 07700 900123."));
}
