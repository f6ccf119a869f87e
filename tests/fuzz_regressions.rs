//! Replays every input the fuzzers found troublesome (`fuzz/regressions/<target>/`)
//! through the same code path as the fuzz target (`piisweep_testkit::fuzzing::run`),
//! so CI checks them without cargo-fuzz: none may panic or hang.

use std::path::Path;
use std::time::{Duration, Instant};

/// Longest a single input may take in a debug build.
const PER_INPUT: Duration = Duration::from_secs(20);

#[test]
fn saved_fuzz_inputs_neither_panic_nor_hang() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut count = 0;
    let mut failures = Vec::new();
    for target in std::fs::read_dir(&dir).expect("fuzz/regressions exists") {
        let target = target.expect("entry").path();
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        assert!(piisweep_testkit::fuzzing::TARGETS.contains(&name.as_str()), "unknown target folder {name}");
        for input in std::fs::read_dir(&target).expect("target folder") {
            let path = input.expect("entry").path();
            let data = std::fs::read(&path).expect("read input");
            let start = Instant::now();
            let target_name = name.clone();
            let handle = std::thread::spawn(move || piisweep_testkit::fuzzing::run(&target_name, &data));
            count += 1;
            while !handle.is_finished() && start.elapsed() < PER_INPUT {
                std::thread::sleep(Duration::from_millis(5));
            }
            if !handle.is_finished() {
                // Left running: the test fails rather than hangs.
                failures.push(format!("{} still running after {PER_INPUT:?}", path.display()));
            } else if handle.join().is_err() {
                failures.push(format!("{} panicked", path.display()));
            }
        }
    }
    assert!(count > 0, "no saved inputs under {}", dir.display());
    assert!(failures.is_empty(), "{failures:#?}");
}
