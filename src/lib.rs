//! piisweep: find, map and remove personal data in UK charities' files.
//!
//! Data flows one way: [`walk`] → [`extract`] (one module per format, yielding
//! text segments with locations) → [`detect`] (the rules engine) → sinks
//! ([`sink`] for JSON Lines findings, the data map, anonymised copies).
//! [`scan`] runs the sweep in parallel.

pub mod anonymise;
pub mod common;
pub mod detect;
pub mod error;
pub mod eval;
pub mod extract;
pub mod finding;
pub mod keys;
pub mod map;
pub mod outputs;
pub mod report;
pub mod sar;
pub mod scan;
pub mod sink;
mod test_hooks;
pub mod walk;
