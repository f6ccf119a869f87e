//! piisweep: find, map and remove personal data in UK charities' files.
//!
//! Data flows one way: [`walk`] → [`formats`] (one folder per format: it
//! reads text segments with locations, and writes anonymised copies) →
//! [`detect`] (the rules engine) → sinks ([`sink`] for JSON Lines findings,
//! the data map, anonymised copies). [`scan`] runs the sweep in parallel.

pub mod anonymise;
pub mod commands;
pub mod corpus;
pub mod detect;
pub mod eval;
/// The former name of [`formats`], kept while branches written against it
/// are merged; new code says `formats`.
#[doc(hidden)]
pub use formats as extract;
pub mod finding;
pub mod formats;
#[doc(hidden)]
pub mod fuzzing;
pub mod keys;
pub mod map;
pub mod outputs;
pub mod report;
pub mod sar;
pub mod scan;
pub mod sink;
pub mod walk;
