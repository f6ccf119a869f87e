//! Fuzz target `msg`: see `piisweep::fuzzing::run`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| piisweep::fuzzing::run("msg", data));
