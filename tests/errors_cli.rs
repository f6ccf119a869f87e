//! Errors users hit: one place for the key, never a second key beside a data
//! map, `--min-confidence` out of range, `--map` given a folder, and every
//! exit status documented.

mod common;

use std::path::Path;
use std::process::Output;

use common::bin;

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A folder to sweep with a person in it, in `tmp/drive`.
fn drive(tmp: &Path) -> std::path::PathBuf {
    let root = tmp.join("drive");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("notes.txt"), "Jane Roberts, jane.roberts@gmail.com, 07700 900123\n").unwrap();
    root
}

#[test]
fn a_map_keeps_its_key_and_no_second_key_is_made_beside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let root = drive(tmp.path());
    let run = |args: &[&str]| bin().current_dir(tmp.path()).args(args).output().unwrap();
    // The first sweep makes the key beside the map, not in the current folder.
    let first = run(&["scan", "drive", "--map=maps/m.db", "--quiet"]);
    assert_eq!(first.status.code(), Some(0), "{}", err(&first));
    let beside = tmp.path().join("maps/piisweep.key");
    assert!(beside.is_file());
    assert!(!tmp.path().join("piisweep.key").exists());
    // sar finds it in the same place.
    let sar = run(&["sar", "--map", "maps/m.db", "--name", "Jane Roberts"]);
    assert_eq!(sar.status.code(), Some(0), "{}", err(&sar));

    // The key moved to the current folder: scan and sar say where it is, and no new key appears.
    std::fs::rename(&beside, tmp.path().join("piisweep.key")).unwrap();
    for args in [
        &["scan", "drive", "--map=maps/m.db", "--quiet"][..],
        &["sar", "--map", "maps/m.db", "--name", "Jane Roberts"][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", err(&out));
        let e = err(&out);
        assert!(e.contains("there is no key file at maps/piisweep.key"), "{e}");
        assert!(e.contains("will not make a second one"), "{e}");
        assert!(e.contains("piisweep.key is its key: give --key piisweep.key"), "{e}");
        assert!(!beside.exists(), "{args:?} made a second key");
    }
    let with_key = run(&["scan", "drive", "--map=maps/m.db", "--quiet", "--key", "piisweep.key"]);
    assert_eq!(with_key.status.code(), Some(0), "{}", err(&with_key));

    // Another key given: refused, naming the one that matches.
    std::fs::write(tmp.path().join("other.key"), format!("{}\n", "ab".repeat(32))).unwrap();
    let other = run(&["scan", "drive", "--map=maps/m.db", "--key", "other.key"]);
    assert_eq!(other.status.code(), Some(2), "{}", err(&other));
    assert!(err(&other).contains("other.key is not the key the data map maps/m.db was made with"), "{}", err(&other));
    assert!(err(&other).contains("piisweep.key is its key"), "{}", err(&other));

    // No key anywhere: say so, and make none.
    std::fs::remove_file(tmp.path().join("piisweep.key")).unwrap();
    let none = run(&["scan", "drive", "--map=maps/m.db"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(err(&none).contains("none of the usual places"), "{}", err(&none));
    assert!(!beside.exists() && !tmp.path().join("piisweep.key").exists());
    // A new map is still made with a new key.
    let fresh = run(&["scan", "drive", "--map=new/m.db", "--quiet"]);
    assert_eq!(fresh.status.code(), Some(0), "{}", err(&fresh));
    assert!(tmp.path().join("new/piisweep.key").is_file());
    drop(root);
}

#[test]
fn min_confidence_outside_zero_to_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let root = drive(tmp.path());
    let key = tmp.path().join("k.key");
    let scan = |x: &str| {
        bin().arg("scan").arg(&root).args(["--quiet", "--min-confidence", x, "--key"]).arg(&key).output().unwrap()
    };
    let pct = scan("90");
    assert_eq!(pct.status.code(), Some(2));
    assert!(err(&pct).contains("90 looks like a percentage") && err(&pct).contains("0.9"), "{}", err(&pct));
    for bad in ["-0.1", "101", "NaN", "high"] {
        let out = scan(bad);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", err(&out));
        assert!(err(&out).contains("from 0 to 1"), "{bad}: {}", err(&out));
    }
    assert!(!key.exists(), "nothing was done");
    for good in ["0", "0.95", "1"] {
        assert_eq!(scan(good).status.code(), Some(0), "{good}");
    }
}

#[test]
fn map_given_a_folder_says_it_takes_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = drive(tmp.path());
    let dir = tmp.path().join("maps");
    std::fs::create_dir_all(&dir).unwrap();
    let want = format!("--map takes a file, e.g. {}", dir.join("piisweep.db").display());
    let runs = [
        bin().arg("scan").arg(&root).arg(format!("--map={}", dir.display())).output().unwrap(),
        bin().args(["map", "--map"]).arg(&dir).output().unwrap(),
        bin().args(["sar", "--name", "Jane Roberts", "--map"]).arg(&dir).output().unwrap(),
    ];
    for out in runs {
        assert_eq!(out.status.code(), Some(2), "{}", err(&out));
        assert!(err(&out).contains(&want), "{}", err(&out));
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing written in the folder");
}

#[test]
fn every_exit_status_is_documented_and_errors_give_one() {
    let help = bin().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let readme_para = readme.split("\n\n").find(|p| p.starts_with("Exit status:")).expect("README exit status");
    for code in 0..=4 {
        assert!(text.contains(&format!("\n  {code}  ")), "--help lacks exit status {code}: {text}");
        assert!(readme_para.contains(&format!("`{code}`")), "README lacks exit status {code}: {readme_para}");
    }

    let tmp = tempfile::tempdir().unwrap();
    let root = drive(tmp.path());
    let key = tmp.path().join("k.key");
    // An output that cannot be written: 1, with the reason.
    let out = bin()
        .arg("scan")
        .arg(&root)
        .arg("--jsonl")
        .arg(tmp.path().join("no-such-folder/f.jsonl"))
        .arg("--key")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", err(&out));
    assert!(err(&out).contains("cannot create") && err(&out).contains("no-such-folder"), "{}", err(&out));
    // A bug (a panic outside any one file's reading): 1 too, not the runtime's 101.
    let out = bin().env("PIISWEEP_TEST_PANIC_IN_MAIN", "1").arg("scan").arg(&root).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", err(&out));
    assert!(err(&out).contains("internal error (please report it)"), "{}", err(&out));
    // A panic while reading one file is that file's failure: 3.
    let out = bin()
        .env("PIISWEEP_TEST_PANIC_ON", "notes.txt")
        .arg("scan")
        .arg(&root)
        .args(["--quiet", "--key"])
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", err(&out));
}
