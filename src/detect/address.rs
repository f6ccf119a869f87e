//! Street lines of UK addresses: a house number, capitalised street words and
//! a street-type word from rules/lists/street_types.txt ("12 Mill Lane"),
//! reported only near a postcode, after an address cue or in an address column.

use super::pattern::Pattern;
use super::{Category, Engine, Hit, SegmentScan};

#[derive(Debug)]
pub struct AddressDetector {
    rule: usize,
    street: Pattern,
}

impl AddressDetector {
    pub fn new(rule: usize, lists: &super::Lists) -> AddressDetector {
        let mut types: Vec<String> = lists
            .street_types
            .iter()
            .map(|t| {
                let mut c = t.chars();
                let first = c.next().map(|f| f.to_uppercase().collect::<String>()).unwrap_or_default();
                regex::escape(&(first + c.as_str()))
            })
            .collect();
        types.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        // Words are bounded (no street word is 30 letters) so that a match's
        // length is, and the search stays near the house number.
        let pattern = format!(
            r"(?-u:\b)(?P<v>[0-9]{{1,4}}[A-Za-z]?,? (?:(?:St\.?|[A-Z][a-z]{{1,29}}(?:['’-][A-Za-z]{{1,29}}){{0,2}}) ){{1,4}}(?:{})\.?)(?:[^A-Za-z]|$)",
            types.join("|")
        );
        AddressDetector { rule, street: Pattern::new(&pattern).expect("street pattern is built from a word list") }
    }

    pub fn detect(&self, engine: &Engine, scan: &mut SegmentScan<'_>, hits: &mut Vec<Hit>) {
        let rule = &engine.rules[self.rule];
        let window = rule.spec.context_window;
        let text = scan.seg.text;
        // Reported only near a postcode or with context: without either
        // anywhere in the segment, there is nothing to search for.
        if !hits.iter().any(|h| h.category == Category::Postcode) && !scan.context_possible(rule) {
            return;
        }
        let mut streets = Vec::new();
        // The pattern starts `\b[0-9]`: a match starts where a run of digits does.
        self.street.each_match_at_runs(text, scan.anchors, |s, e| streets.push((s, e)));
        let mut found = Vec::new();
        for (start, end) in streets {
            let postcode_near = hits.iter().any(|h| {
                h.category == Category::Postcode
                    && ((h.start >= end && h.start - end <= window) || (h.end <= start && start - h.end <= window))
            });
            if postcode_near || rule.context_ok(scan, start, end) {
                found.push(Hit {
                    category: rule.spec.category,
                    start,
                    end: end - usize::from(text[..end].ends_with('.')),
                    confidence: rule.spec.confidence,
                    rule: self.rule,
                });
            }
        }
        hits.extend(found);
    }
}
