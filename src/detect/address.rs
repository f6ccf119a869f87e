//! Street lines of UK addresses: a house number, capitalised street words and
//! a street-type word from rules/lists/street_types.txt ("12 Mill Lane"),
//! reported only near a postcode, after an address cue or in an address column.

use regex::Regex;

use super::{Category, Engine, Hit, Segment};

#[derive(Debug)]
pub struct AddressDetector {
    rule: usize,
    street: Regex,
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
        let pattern = format!(
            r"(?-u:\b)(?P<v>[0-9]{{1,4}}[A-Za-z]?,? (?:(?:St\.?|[A-Z][a-z]+(?:['’-][A-Za-z]+)*) ){{1,4}}(?:{})\.?)(?:[^A-Za-z]|$)",
            types.join("|")
        );
        AddressDetector { rule, street: Regex::new(&pattern).expect("street pattern is built from a word list") }
    }

    pub fn detect(&self, engine: &Engine, seg: &Segment<'_>, hits: &mut Vec<Hit>) {
        let rule = &engine.rules[self.rule];
        let window = rule.spec.context_window;
        let mut found = Vec::new();
        for caps in self.street.captures_iter(seg.text) {
            let Some(m) = caps.name("v") else { continue };
            let (start, end) = (m.start(), m.end());
            let postcode_near = hits.iter().any(|h| {
                h.category == Category::Postcode
                    && ((h.start >= end && h.start - end <= window) || (h.end <= start && start - h.end <= window))
            });
            if postcode_near || rule.context_ok(seg, start, end) {
                found.push(Hit {
                    category: rule.spec.category,
                    start,
                    end: end - usize::from(seg.text[..end].ends_with('.')),
                    confidence: rule.spec.confidence,
                    rule: self.rule,
                });
            }
        }
        hits.extend(found);
    }
}
