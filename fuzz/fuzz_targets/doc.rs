//! Fuzz target `doc`: see `piisweep_testkit::fuzzing::run`.
#![no_main]

libfuzzer_sys::fuzz_target!(init: piisweep_testkit::fuzzing::quiet_panic_hook(), |data: &[u8]| {
    piisweep_testkit::fuzzing::run_or_abort("doc", data)
});
