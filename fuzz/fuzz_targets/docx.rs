//! Fuzz target `docx`: see `piisweep::fuzzing::run`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| piisweep::fuzzing::run("docx", data));
