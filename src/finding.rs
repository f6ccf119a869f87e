//! One finding, and its JSON Lines form per `spec/findings.md`.

use serde::{Deserialize, Serialize};

use std::borrow::Cow;
use std::sync::Arc;

use crate::detect::Category;
use crate::keys::Hash;

/// A piece of personal data found in a file. `value` is held in memory only;
/// what leaves the process is decided by the sink (masked unless `--reveal`).
///
/// Cheap to build: the path and rule id are shared (one `Arc` per file part
/// and per rule), the hash is 32 bytes inline, and the masked form is made
/// only when it is written ([`Finding::masked`]). Two allocations remain per
/// finding: its location and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Relative to the scanned root, `/`-separated, `!` into containers.
    pub path: Arc<str>,
    pub location: String,
    pub category: Category,
    /// The text exactly as it stands in the source; for a finding rebuilt
    /// from a data map written without `--reveal`, its masked form (see
    /// `masked_only`).
    pub value: String,
    /// `value` holds only the masked form: the plain value is not known.
    pub masked_only: bool,
    /// Keyed hash (HMAC-SHA256) of the normalised value.
    pub hash: Hash,
    pub confidence: f32,
    /// The id of the rule that fired.
    pub rule: Arc<str>,
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
/// writes, without copying any string (the masked form is made here).
#[derive(Debug, Serialize)]
pub struct FindingLineRef<'a> {
    pub path: &'a str,
    pub location: &'a str,
    pub category: Category,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked: Option<Cow<'a, str>>,
    pub hash: Hash,
    pub confidence: f32,
    pub rule: &'a str,
}

impl Finding {
    /// The masked form, safe to show ([`Category::mask`] of the value).
    pub fn masked(&self) -> Cow<'_, str> {
        if self.masked_only { Cow::Borrowed(&self.value) } else { Cow::Owned(self.category.mask(&self.value)) }
    }

    /// The line to write: `value` with `--reveal`, else `masked`.
    pub fn line_ref(&self, reveal: bool) -> FindingLineRef<'_> {
        FindingLineRef {
            path: &self.path,
            location: &self.location,
            category: self.category,
            value: reveal.then_some(self.value.as_str()),
            masked: (!reveal).then(|| self.masked()),
            hash: self.hash,
            confidence: (self.confidence * 100.0).round() / 100.0,
            rule: &self.rule,
        }
    }
}

/// How many findings of each category: what a file's report and the
/// sweep's summary count, without holding the findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts([u64; Category::ALL.len()]);

impl Counts {
    /// Count one more finding of `category`.
    pub fn add(&mut self, category: Category) {
        self.0[category as usize] += 1;
    }

    /// Add all of `other`'s counts to these.
    pub fn merge(&mut self, other: &Counts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    pub fn get(&self, category: Category) -> u64 {
        self.0[category as usize]
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Categories with at least one finding, in [`Category::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Category, u64)> + '_ {
        Category::ALL.into_iter().map(|c| (c, self.get(c))).filter(|(_, n)| *n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Key;

    fn finding(value: &str, masked_only: bool) -> Finding {
        Finding {
            path: "a/b.txt".into(),
            location: "line 3".into(),
            category: Category::Phone,
            value: value.into(),
            masked_only,
            hash: Key::from_bytes([1; 32]).hash_bytes("07700900123"),
            confidence: 0.9512,
            rule: "uk_mobile".into(),
        }
    }

    #[test]
    fn lines_are_written_as_the_contract_says() {
        let f = finding("07700 900123", false);
        let hash = Key::from_bytes([1; 32]).hash("07700900123");
        let masked = serde_json::to_string(&f.line_ref(false)).unwrap();
        let mask = Category::Phone.mask("07700 900123");
        assert_eq!(
            masked,
            format!(
                r#"{{"path":"a/b.txt","location":"line 3","category":"phone","masked":"{mask}","hash":"{hash}","confidence":0.95,"rule":"uk_mobile"}}"#
            )
        );
        let revealed = serde_json::to_string(&f.line_ref(true)).unwrap();
        assert!(revealed.contains(r#""value":"07700 900123","hash""#) && !revealed.contains("masked"), "{revealed}");
        let back: FindingLine = serde_json::from_str(&revealed).unwrap();
        assert_eq!(back.hash, hash);
    }

    #[test]
    fn a_masked_only_value_is_not_masked_again() {
        let f = finding("07*** ***123", true);
        assert_eq!(f.masked(), "07*** ***123");
        assert_eq!(finding("07700 900123", false).masked(), Category::Phone.mask("07700 900123"));
    }

    #[test]
    fn counts_per_category() {
        let mut c = Counts::default();
        c.add(Category::Email);
        c.add(Category::Email);
        c.add(Category::Address);
        let mut d = Counts::default();
        d.add(Category::Name);
        d.merge(&c);
        assert_eq!(d.total(), 4);
        assert_eq!(d.get(Category::Email), 2);
        assert_eq!(d.iter().collect::<Vec<_>>(), [(Category::Name, 1), (Category::Email, 2), (Category::Address, 1)]);
    }
}
