//! Fuzz target `csv`: see `piisweep::fuzzing::run`.
#![no_main]

libfuzzer_sys::fuzz_target!(init: piisweep::fuzzing::quiet_panic_hook(), |data: &[u8]| {
    piisweep::fuzzing::run_or_abort("csv", data)
});
