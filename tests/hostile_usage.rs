//! Bad usage: each message names the problem and the fix, with exit status 2.
//! (The basic cases are in scan_cli.rs; these extend them.)

mod common;

use common::bin;

fn run(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = bin().args(args).output().expect("run piisweep");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn unknown_option_and_missing_path_point_to_help() {
    let (code, err) = run(&["scan".as_ref(), "--recursive".as_ref(), ".".as_ref()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unexpected argument '--recursive'") && err.contains("--help"), "{err}");

    let (code, err) = run(&["scan".as_ref()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("<PATH>") && err.contains("Usage: piisweep scan"), "{err}");
}

#[test]
fn rules_problems_name_the_file_the_place_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("k.key");
    let target = tmp.path().join("notes.txt");
    std::fs::write(&target, "nothing\n").unwrap();
    let scan = |rules: &std::path::Path| {
        run(&[
            "scan".as_ref(),
            "--rules".as_ref(),
            rules.as_os_str(),
            target.as_os_str(),
            "--key".as_ref(),
            key.as_os_str(),
        ])
    };

    // A TOML syntax error: the file, line and column, and what to do.
    let bad = tmp.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("mine.toml"), "[[rule]]\nid = \"x\"\npattern = 'a'\nconfidence = = 0.5\n").unwrap();
    let (code, err) = scan(&bad);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("mine.toml") && err.contains("line 4, column"), "{err}");
    assert!(err.contains("leave out --rules"), "{err}");

    // A rules file that cannot be read as text (not UTF-8).
    let binary = tmp.path().join("binary");
    std::fs::create_dir_all(&binary).unwrap();
    std::fs::write(binary.join("rules.toml"), b"id = \"\xff\xfe\"\n").unwrap();
    let (code, err) = scan(&binary);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot read rules file") && err.contains("rules.toml"), "{err}");
    assert!(err.contains("UTF-8 .toml rule files"), "{err}");

    // A folder that does not exist, and a single file given instead of a folder.
    for path in [tmp.path().join("no-such-rules"), bad.join("mine.toml")] {
        let (code, err) = scan(&path);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains(&path.display().to_string()) && err.contains("--rules takes a folder"), "{err}");
    }
}

#[test]
fn output_inside_a_scanned_folder_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("Shared");
    std::fs::create_dir_all(root.join("HR")).unwrap();
    std::fs::write(root.join("HR/list.txt"), "Email jane.roberts@gmail.com\n").unwrap();
    // Given through a path with `..`, still inside the root.
    let out = root.join("HR/../results.jsonl");
    let (code, err) = run(&[
        "scan".as_ref(),
        root.as_os_str(),
        "--jsonl".as_ref(),
        out.as_os_str(),
        "--key".as_ref(),
        tmp.path().join("k.key").as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("inside the scanned folder") && err.contains("choose a place outside it"), "{err}");
    assert!(!root.join("results.jsonl").exists());
}
