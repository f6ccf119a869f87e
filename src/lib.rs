//! piisweep: find, map and remove personal data in UK charities' files.
//!
//! Data flows one way: [`walk`] → [`formats`] (one folder per format: it
//! reads text segments with locations, and writes anonymised copies) →
//! [`detect`] (the rules engine) → sinks ([`sink`] for JSON Lines findings,
//! the data map, anonymised copies). [`scan`] runs the sweep in parallel.
//!
//! The library knows nothing of the command line: errors that were the
//! request's fault carry an [`error::BadRequest`], and the binary
//! (`src/main.rs`, `src/cli/`) chooses exit statuses. [`map`], its report
//! and [`sar`] share helpers through [`common`]. [`serve`] is the local web
//! page for staff, calling the same code. The corpus generator and
//! fuzzing support live in the `piisweep-testkit` crate (crates/testkit).

pub mod anonymise;
pub mod common;
pub mod detect;
pub mod error;
pub mod eval;
pub mod finding;
pub mod formats;
pub mod keys;
pub mod map;
pub mod outputs;
pub mod private;
pub mod report;
pub mod sar;
pub mod scan;
pub mod serve;
pub mod sink;
mod test_hooks;
pub mod walk;
