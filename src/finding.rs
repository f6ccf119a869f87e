//! One finding, and its JSON Lines form per `spec/findings.md`.

use serde::{Deserialize, Serialize};

use crate::detect::Category;

/// A piece of personal data found in a file. `value` is held in memory only;
/// what leaves the process is decided by the sink (masked unless `--reveal`).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Relative to the scanned root, `/`-separated, `!` into containers.
    pub path: String,
    pub location: String,
    pub category: Category,
    /// The text exactly as it stands in the source.
    pub value: String,
    pub masked: String,
    /// HMAC-SHA256 (hex) of the normalised value.
    pub hash: String,
    pub confidence: f32,
    pub rule: String,
}

/// The contract's line, owned: what readers of findings files parse.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
pub struct FindingLine {
    pub path: String,
    pub location: String,
    pub category: Category,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub masked: Option<String>,
    pub hash: String,
    pub confidence: f32,
    pub rule: String,
}

/// The contract's line, borrowing from a [`Finding`]: what the JSONL sink
/// writes, without copying any string.
#[derive(Debug, Serialize)]
pub struct FindingLineRef<'a> {
    pub path: &'a str,
    pub location: &'a str,
    pub category: Category,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked: Option<&'a str>,
    pub hash: &'a str,
    pub confidence: f32,
    pub rule: &'a str,
}

impl Finding {
    /// The line to write: `value` with `--reveal`, else `masked`.
    pub fn line_ref(&self, reveal: bool) -> FindingLineRef<'_> {
        FindingLineRef {
            path: &self.path,
            location: &self.location,
            category: self.category,
            value: reveal.then_some(self.value.as_str()),
            masked: (!reveal).then_some(self.masked.as_str()),
            hash: &self.hash,
            confidence: (self.confidence * 100.0).round() / 100.0,
            rule: &self.rule,
        }
    }
}
