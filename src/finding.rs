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

/// The contract's line: `value` with `--reveal`, else `masked`.
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

impl Finding {
    pub fn line(&self, reveal: bool) -> FindingLine {
        FindingLine {
            path: self.path.clone(),
            location: self.location.clone(),
            category: self.category,
            value: reveal.then(|| self.value.clone()),
            masked: (!reveal).then(|| self.masked.clone()),
            hash: self.hash.clone(),
            confidence: (self.confidence * 100.0).round() / 100.0,
            rule: self.rule.clone(),
        }
    }
}
