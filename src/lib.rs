//! piisweep: find, map and remove personal data in UK charities' files.
//!
//! Data flows one way: [`walk`] → [`extract`] (one module per format, yielding
//! text segments with locations) → [`detect`] (the rules engine) → sinks
//! (JSONL findings, the data map, anonymised copies).

pub mod corpus;
pub mod extract;
