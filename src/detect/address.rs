//! Street lines of UK addresses: a house number, capitalised street words and
//! a street-type word from rules/lists/street_types.txt ("12 Mill Lane"),
//! reported only near a postcode, after an address cue or in an address column.

use super::pattern::Pattern;
use super::{Category, Engine, Hit, SegmentScan};

#[derive(Debug)]
pub struct AddressDetector {
    rule: usize,
    street: Pattern,
    /// What may come before the house number as part of the same line:
    /// `Flat 3, `, `Unit 2 `, or the first number of a range (`4-`).
    prefix: regex::Regex,
}

/// The longest prefix looked for before a house number, in bytes.
const PREFIX_REACH: usize = 24;

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
        // length is, and the search stays near the house number. The street
        // type ends the word ("Roads" is not "Road"), or a dot follows it.
        let pattern = format!(
            r"(?-u:\b)[0-9]{{1,4}}[A-Za-z]?,? (?:(?:St\.?|[A-Z][a-z]{{1,29}}(?:['’-][A-Za-z]{{1,29}}){{0,2}}) ){{1,4}}(?:{})(?:\.|(?-u:\b))",
            types.join("|")
        );
        let prefix = regex::Regex::new(
            r"(?i)(?:\b(?:flat|apartment|apt|unit|room|suite|studio|maisonette)\.? ?[0-9]{1,4}[a-z]?,? ?|\b(?P<from>[0-9]{1,4})[a-z]?(?:-|–| - ))$",
        )
        .expect("the prefix pattern is fixed");
        AddressDetector {
            rule,
            street: Pattern::new(&pattern).expect("street pattern is built from a word list"),
            prefix,
        }
    }

    /// Where the street line starting with a house number at `start` really
    /// starts: before a flat or unit number, or a range's first number.
    fn line_start(&self, text: &str, start: usize) -> usize {
        let from = super::context::floor_char(text, start.saturating_sub(PREFIX_REACH));
        let Some(found) = self.prefix.captures(&text[from..start]) else { return start };
        let whole = found.get(0).expect("group 0 is the match");
        if let Some(first) = found.name("from") {
            // A range runs upwards (4-6), from a number not glued to others (2024-12-03).
            let number = |s: &str| s.parse::<u32>().ok();
            let second = text[start..].split(|c: char| !c.is_ascii_digit()).next().and_then(number);
            let glued = text[..from + whole.start()].ends_with(|c: char| c.is_ascii_digit() || "/-.".contains(c));
            if glued || number(first.as_str()).zip(second).is_none_or(|(a, b)| a >= b) {
                return start;
            }
        }
        from + whole.start()
    }

    pub fn detect(&self, engine: &Engine, scan: &mut SegmentScan<'_>, hits: &mut Vec<Hit>) {
        let rule = &engine.rules[self.rule];
        let window = rule.spec.context_window;
        let text = scan.seg.text;
        // A street line starts at a run of digits that may start one: most
        // segments (and cells) have none, and need no more looking at.
        if !scan.anchors.digits.iter().any(|&run| may_start(text.as_bytes(), run)) {
            return;
        }
        // Reported only near a postcode or with context: without either
        // anywhere in the segment, there is nothing to search for.
        if !hits.iter().any(|h| h.category == Category::Postcode) && !scan.context_possible(rule) {
            return;
        }
        let mut streets = Vec::new();
        // The pattern starts `\b[0-9]`: a match starts where a run of digits does.
        self.street.each_match_at_runs(text, scan.anchors, may_start, |s, e| streets.push((s, e)));
        let mut found = Vec::new();
        for (start, end) in streets {
            let postcode_near = hits.iter().any(|h| {
                h.category == Category::Postcode
                    && ((h.start >= end && h.start - end <= window) || (h.end <= start && start - h.end <= window))
            });
            if postcode_near || rule.context_ok(scan, start, end) {
                let confidence = rule.spec.confidence * engine.organisation_factor(rule, scan, start, end);
                found.push(Hit {
                    category: rule.spec.category,
                    start: self.line_start(text, start),
                    end: end - usize::from(text[..end].ends_with('.')),
                    confidence,
                    rule: self.rule,
                });
            }
        }
        hits.extend(found);
    }
}

/// Can a street line start at the run of digits `run` of `bytes`? The
/// pattern needs one to four digits, then an optional letter and comma, a
/// space and a capital (`12 Mill`, `4a, High`, `9 St Peter's`): most runs of
/// digits (dates, phone numbers, amounts) fail this before any search.
fn may_start(bytes: &[u8], (s, e): (usize, usize)) -> bool {
    if e - s > 4 {
        return false;
    }
    let mut i = e;
    if bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
        i += 1;
    }
    if bytes.get(i) == Some(&b',') {
        i += 1;
    }
    bytes.get(i) == Some(&b' ') && bytes.get(i + 1).is_some_and(u8::is_ascii_uppercase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::pattern::Anchors;
    use crate::extract::Segment;

    fn streets(text: &str) -> Vec<String> {
        let engine = Engine::builtin();
        let seg = Segment::fixed("test", text, None);
        engine
            .detect(&seg)
            .iter()
            .filter(|h| h.category == Category::Address)
            .map(|h| text[h.start..h.end].to_string())
            .collect()
    }

    #[test]
    fn flat_numbers_and_ranges_are_part_of_the_street_line() {
        assert_eq!(streets("Flat 3, 12 High Street\nAshford TN23 1AA"), ["Flat 3, 12 High Street"]);
        assert_eq!(streets("lives at unit 4b 7 Mill Lane, Maidstone"), ["unit 4b 7 Mill Lane"]);
        assert_eq!(streets("4-6 Mill Lane, ME14 5PP"), ["4-6 Mill Lane"]);
        assert_eq!(streets("Address: 10 - 12 Orchard Close"), ["10 - 12 Orchard Close"]);
        // A number before that is not a flat or range stays out.
        assert_eq!(streets("Address: page 2 12 Orchard Close"), ["12 Orchard Close"]);
        assert_eq!(streets("Address: ref 2024-12 Orchard Close"), ["12 Orchard Close"]);
    }

    #[test]
    fn runs_passed_over_hold_no_street_line() {
        let detector = AddressDetector::new(0, &crate::detect::Lists::builtin());
        let pieces = [
            "12",
            "4",
            "12345",
            "9",
            "a",
            "A",
            ",",
            " ",
            "  ",
            "Mill",
            "Lane",
            "St",
            "St.",
            "Peter's",
            "Road",
            "High",
            "Street",
            "\n",
            "/",
            "x",
            "Close",
            "O'Neil",
            "-",
            "é",
            "12 ",
            "4a, ",
            "9 St ",
            "Mill ",
            "High Street",
            " Lane",
            "Orchard Close",
            "07700 ",
            "03/03/2024 ",
        ];
        let mut found = 0;
        for text in crate::detect::tests::texts_from_pieces(&pieces, 3000, 3..19, 99) {
            let mut anchors = Anchors::default();
            anchors.find(text.as_bytes());
            let (mut all, mut filtered) = (Vec::new(), Vec::new());
            detector.street.each_match_at_runs(&text, &anchors, |_, _| true, |s, e| all.push((s, e)));
            detector.street.each_match_at_runs(&text, &anchors, may_start, |s, e| filtered.push((s, e)));
            assert_eq!(filtered, all, "{text:?}");
            found += all.len();
        }
        assert!(found > 50, "the texts hold street lines ({found})");
    }
}
