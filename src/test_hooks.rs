//! The `PIISWEEP_TEST_*` environment variables through which the test suite
//! makes a sweep crash, kill itself, pause or write the map in small batches
//! at a chosen point. They are read only in a build with the `test-hooks`
//! feature (which `cargo test` turns on); in any other build every hook reads
//! as unset and the compiler removes the code behind it.

use std::ffi::OsString;

/// The hook variable `name`, if set (never without `test-hooks`).
#[cfg(feature = "test-hooks")]
pub fn var(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// The hook variable `name`, if set (never without `test-hooks`).
#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
pub fn var(_name: &str) -> Option<OsString> {
    None
}

/// The hook variable `name` as a number, if set to one.
#[inline]
pub fn num(name: &str) -> Option<u64> {
    var(name)?.to_str()?.parse().ok()
}
