//! Street lines of UK addresses: a house number, capitalised street words and
//! a street-type word from rules/lists/street_types.txt ("12 Mill Lane"), or
//! a house name ending in a word of rules/lists/house_types.txt, a comma or
//! line break, and such a street ("Rose Cottage, Church Road"); reported only
//! near a postcode, after an address cue or in an address column.

use super::pattern::Pattern;
use super::{Category, Engine, Hit, SegmentScan};

#[derive(Debug)]
pub struct AddressDetector {
    rule: usize,
    street: Pattern,
    /// What may come before the house number as part of the same line:
    /// `Flat 3, `, `Unit 2 `, or the first number of a range (`4-`).
    prefix: regex::Regex,
    /// A house-type word (`Cottage`) or the `Old` of `The Old ...`: every
    /// street line given by house name holds one, so only the text around
    /// these is searched for [`AddressDetector::house_line`].
    house_word: Pattern,
    /// A house name, a comma or line break, and a street without a number.
    house_line: Pattern,
    /// The longest match of `house_line`, in bytes.
    house_reach: usize,
    /// A building's name and a comma before a numbered street line
    /// (`Mulberry House, ` of `Mulberry House, 14 Bank Street`), at the
    /// end of the text it is searched in.
    building_before: regex::Regex,
    /// A building's number before a house name (`27 ` of `27 Heron Court,
    /// Mill Road`), at the end of the text it is searched in.
    number_before: regex::Regex,
}

/// The longest prefix looked for before a house number, in bytes.
const PREFIX_REACH: usize = 24;

/// The longest building name looked for before a numbered street line, in bytes.
const BUILDING_REACH: usize = 80;

impl AddressDetector {
    pub fn new(rule: usize, lists: &super::Lists) -> AddressDetector {
        let types = capitalised_alternation(&lists.street_types);
        // Words are bounded (no street word is 30 letters) so that a match's
        // length is, and the search stays near the house number. The street
        // type ends the word ("Roads" is not "Road"), or a dot follows it.
        let pattern = format!(
            r"(?-u:\b)[0-9]{{1,4}}[A-Za-z]?,? (?:(?:St\.?|[A-Z][a-z]{{1,29}}(?:['’-][A-Za-z]{{1,29}}){{0,2}}) ){{1,4}}(?:{types})(?:\.|(?-u:\b))"
        );
        let prefix = regex::Regex::new(
            r"(?i)(?:\b(?:flat|apartment|apt|unit|room|suite|studio|maisonette)\.? ?[0-9]{1,4}[a-z]?,? ?|\b(?P<from>[0-9]{1,4})[a-z]?(?:-|–| - ))$",
        )
        .expect("the prefix pattern is fixed");
        let (house_word, house_line) = house_patterns(&lists.house_types, &types);
        let house_line = Pattern::new(&house_line).expect("house pattern is built from word lists");
        let house_reach = house_line.max_len.expect("house line words are bounded");
        let houses = capitalised_alternation(&lists.house_types);
        let building_before = regex::Regex::new(&format!(
            r"(?-u:\b)(?:The Old (?:{HOUSE_WORD} ){{0,2}}{HOUSE_WORD}|(?:{HOUSE_WORD} ){{1,3}}(?:{houses})),[ \t]{{0,8}}(?:\r?\n[ \t]{{0,8}})?$"
        ))
        .expect("the building pattern is built from a word list");
        let number_before = regex::Regex::new(r"(?-u:\b)[0-9]{1,4}[A-Za-z]?,? $").expect("the number pattern is fixed");
        AddressDetector {
            rule,
            street: Pattern::new(&pattern).expect("street pattern is built from a word list"),
            prefix,
            house_word: Pattern::new(&house_word).expect("house words are built from a word list"),
            house_line,
            house_reach,
            building_before,
            number_before,
        }
    }

    /// Where a numbered street line at `start` starts with the building
    /// named before it: `Flat 4, Mill House, 9 High Street` (the flat or
    /// unit before the building too).
    fn building_start(&self, text: &str, start: usize) -> usize {
        let from = super::context::floor_char(text, start.saturating_sub(BUILDING_REACH));
        let Some(found) = self.building_before.find(&text[from..start]) else { return start };
        let building = house_name_start(text, from + found.start(), start);
        self.line_start(text, building)
    }

    /// Where a street line given by house name at `start` starts with the
    /// building's number (`27 Heron Court, Mill Road`) or flat before it.
    fn house_number_start(&self, text: &str, start: usize) -> usize {
        let flat = self.line_start(text, start);
        if flat < start {
            return flat;
        }
        let from = super::context::floor_char(text, start.saturating_sub(8));
        match self.number_before.find(&text[from..start]) {
            Some(found)
                if !text[..from + found.start()].ends_with(|c: char| c.is_ascii_digit() || "/-.+".contains(c)) =>
            {
                self.line_start(text, from + found.start())
            }
            _ => self.line_start(text, start),
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
        // A street line starts at a run of digits that may start one, or with
        // a house name that a comma or line break follows: most segments (and
        // cells) have neither, and need no more looking at.
        let bytes = text.as_bytes();
        let numbered = scan.anchors.digits.iter().any(|&run| may_start(bytes, run));
        if !numbered && !bytes.iter().any(|&b| b == b',' || b == b'\n') {
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
        let numbered = streets.len();
        for (start, _) in &mut streets[..numbered] {
            *start = self.building_start(text, self.line_start(text, *start));
        }
        self.house_lines(text, scan.anchors, &mut streets);
        if streets.len() > numbered {
            for (start, end) in &mut streets[numbered..] {
                *start = self.house_number_start(text, house_name_start(text, *start, *end));
            }
            streets.sort_unstable();
        }
        let mut found = Vec::new();
        for (start, end) in streets {
            let postcode_near = hits.iter().any(|h| {
                h.category == Category::Postcode
                    && ((h.start >= end && h.start - end <= window) || (h.end <= start && start - h.end <= window))
            });
            if postcode_near || rule.context_ok(scan, start, end) {
                let (factor, contact_line) = engine.organisation_factor(rule, scan, start, end);
                let person = contact_line.is_some_and(|line| Engine::person_named_before(hits, line, start));
                let confidence = rule.spec.confidence * if person { 1.0 } else { factor };
                found.push(Hit {
                    category: rule.spec.category,
                    start,
                    end: end - usize::from(text[..end].ends_with('.')),
                    confidence,
                    rule: self.rule,
                });
            }
        }
        hits.extend(found);
    }

    /// Add to `streets` the street lines given by house name ("Rose Cottage,
    /// Church Road"). Only the text around house-type words is searched:
    /// every match holds one, and lies within the longest match of it, so
    /// this finds what a search of the whole text would.
    fn house_lines(&self, text: &str, anchors: &super::pattern::Anchors, streets: &mut Vec<(usize, usize)>) {
        let mut windows: Vec<std::ops::Range<usize>> = Vec::new();
        self.house_word.each_match(text, anchors, |s, e| {
            let from = super::context::floor_char(text, s.saturating_sub(self.house_reach));
            let to = super::context::ceil_char(text, e.saturating_add(self.house_reach).min(text.len()));
            match windows.last_mut() {
                Some(last) if from <= last.end => last.end = last.end.max(to),
                _ => windows.push(from..to),
            }
        });
        if !windows.is_empty() {
            self.house_line.each_match_in_ranges(text, windows, |s, e| streets.push((s, e)));
        }
    }
}

/// Words that begin a sentence or a clause, never a house name: a
/// house name's words after one of these start after it ("From Hop Farm,
/// ..." is "Hop Farm, ...").
const NOT_HOUSE_WORDS: &[&str] = &[
    "From", "To", "At", "In", "On", "Of", "By", "Via", "Near", "For", "With", "And", "Or", "But", "Then", "Now",
    "Contact", "Call", "Visit", "Visited", "Meet", "Met", "See", "Send", "Sent", "Write", "Deliver", "Moved", "Lives",
    "Living", "Address", "Is", "Was", "Please", "Opposite", "Behind", "Outside", "Our", "Her", "His", "Their", "My",
    "Your",
];

/// Where the house name of the street line `start..end` really starts: past
/// words before it that never begin one ([`NOT_HOUSE_WORDS`]), while a word
/// is left before the house type.
fn house_name_start(text: &str, start: usize, end: usize) -> usize {
    let mut start = start;
    loop {
        let line = &text[start..end];
        let name = &line[..line.find([',', '\r', '\n']).unwrap_or(line.len())];
        let Some((first, _)) = name.split_once(' ') else { return start };
        if name.split(' ').filter(|w| !w.is_empty()).count() <= 2 || !NOT_HOUSE_WORDS.contains(&first) {
            return start;
        }
        start += first.len() + 1;
    }
}

/// The words of `list` with a capital first letter, escaped, longest first,
/// as a regex alternation.
fn capitalised_alternation(list: &rustc_hash::FxHashSet<String>) -> String {
    let mut words: Vec<String> = list
        .iter()
        .map(|t| {
            let mut c = t.chars();
            let first = c.next().map(|f| f.to_uppercase().collect::<String>()).unwrap_or_default();
            regex::escape(&(first + c.as_str()))
        })
        .collect();
    words.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    words.join("|")
}

/// The patterns for street lines given by house name: one finding the
/// house-type words (and the `Old` of `The Old ...`), one the whole line.
/// `street_types` is the street types' alternation.
///
/// A house name is one to three capitalised words ending in a house type
/// (`Rose Cottage`, `The Old Rectory`), or `The Old` and one to three words
/// (`The Old Post Office`); then a comma or a line break, and a street:
/// capitalised words ending in a street type, with no house number
/// (`Church Road`, `The Street`).
/// A capitalised word of a house name (`Mulberry`, `St`, `O'Neill`), as a regex.
const HOUSE_WORD: &str = r"[A-Z][a-z]{1,24}(?:['’-][A-Za-z]{1,24})?";

fn house_patterns(house_types: &rustc_hash::FxHashSet<String>, street_types: &str) -> (String, String) {
    let houses = capitalised_alternation(house_types);
    let word = HOUSE_WORD;
    let finder = format!(r"(?-u:\b)(?:{houses}|Old)(?-u:\b)");
    let line = format!(
        r"(?-u:\b)(?:The Old (?:{word} ){{0,2}}{word}|(?:{word} ){{1,3}}(?:{houses}))(?:,[ \t]{{0,8}}(?:\r?\n[ \t]{{0,8}})?|[ \t]{{0,8}}\r?\n[ \t]{{0,8}})(?:(?:St\.?|{word}) ){{1,4}}(?:{street_types})(?:\.|(?-u:\b))"
    );
    (finder, line)
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
    use crate::formats::Segment;

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
    fn house_names_start_the_street_line() {
        assert_eq!(streets("Rose Cottage, Church Road, Hawkhurst TN18 4AB"), ["Rose Cottage, Church Road"]);
        assert_eq!(streets("Address: The Old Rectory, School Lane, Cranbrook"), ["The Old Rectory, School Lane"]);
        assert_eq!(streets("Address:\nThe Old Post Office\nThe Street\nBoughton"), ["The Old Post Office\nThe Street"]);
        assert_eq!(streets("Mulberry House,\n  Bank Street\nAshford TN23 1AA"), ["Mulberry House,\n  Bank Street"]);
        assert_eq!(
            streets("Flat 2, Mulberry House, Bank Street, Ashford TN23 1AA"),
            ["Flat 2, Mulberry House, Bank Street"]
        );
        assert_eq!(streets("lives at St Mary's Vicarage, Church Hill."), ["St Mary's Vicarage, Church Hill"]);
        // A house number after the building's name: the line holds both.
        assert_eq!(
            streets("Flat 2, Mulberry House, 14 Bank Street, TN23 1AA"),
            ["Flat 2, Mulberry House, 14 Bank Street"]
        );
        assert_eq!(
            streets("Flat 4, Mill House, 9 High Street, Ashford TN23 1AA"),
            ["Flat 4, Mill House, 9 High Street"]
        );
        // A building's number before its name.
        assert_eq!(streets("Address 27 Heron Court, Mill Road, Maidstone"), ["27 Heron Court, Mill Road"]);
        assert_eq!(streets("Flat 3, 27 Heron Court, Mill Road, ME14 5PP"), ["Flat 3, 27 Heron Court, Mill Road"]);
        // A number that is not the building's stays out.
        assert_eq!(streets("Tel 07700 900123 Rose Cottage, Church Road, TN18 4AB"), ["Rose Cottage, Church Road"]);
        // A place name may start a house name; a word that starts a clause does not.
        assert_eq!(streets("Address: Ash Ivy Cottage, Holly Crescent"), ["Ash Ivy Cottage, Holly Crescent"]);
        assert_eq!(streets("Address: Contact Rose Cottage, Church Road"), ["Rose Cottage, Church Road"]);
        // Two addresses in one text, each found.
        assert_eq!(
            streets("From Hop Farm, Maidstone Road ME15 9NN to Ivy Lodge, Mill Lane ME14 5PP"),
            ["Hop Farm, Maidstone Road", "Ivy Lodge, Mill Lane"]
        );
    }

    #[test]
    fn house_like_words_without_a_street_line_are_not_addresses() {
        for text in [
            // Nowhere near a postcode or an address cue.
            "Rose Cottage, Church Road",
            "Meet at Rose Cottage, Church Road at ten",
            // An organisation's name, no street after it.
            "Oakwood House Surgery, Church Road, ME14 5PP",
            "Address: the meeting at Maidstone House was moved",
            "Maidstone House is closed; see ME14 1XX",
            // A street with no house name or number.
            "Court Road, Maidstone ME14 5PP",
            "Address: Mill Lane, Maidstone",
            // Lower case, or the house type alone.
            "address: rose cottage, church road",
            "Address: House, Church Road",
            "Address: Cottages, Church Road",
            // A house name with no street type after it.
            "Address: Rose Cottage, Hawkhurst TN18 4AB",
        ] {
            assert!(streets(text).is_empty(), "{text:?}: {:?}", streets(text));
        }
    }

    #[test]
    fn house_lines_in_windows_are_what_a_whole_text_search_finds() {
        let detector = AddressDetector::new(0, &crate::detect::Lists::builtin());
        let pieces = [
            "Rose Cottage, Church Road",
            "The Old Forge\nThe Street",
            "Rose ",
            "Cottage",
            "House",
            "The Old ",
            "Old ",
            "Post ",
            "Office",
            ", ",
            ",",
            "\n",
            " ",
            "Church ",
            "Road",
            "Street",
            "Mill ",
            "Lane",
            "St ",
            "Mary's ",
            "Vicarage",
            "12 ",
            "the ",
            "x",
            "é",
            "’",
            "Farm",
            "Court ",
        ];
        let mut found = 0;
        for text in crate::detect::tests::texts_from_pieces(&pieces, 3000, 2..30, 7) {
            let mut anchors = Anchors::default();
            anchors.find(text.as_bytes());
            let (mut windowed, mut whole) = (Vec::new(), Vec::new());
            detector.house_lines(&text, &anchors, &mut windowed);
            detector.house_line.each_match_in_ranges(&text, std::iter::once(0..text.len()), |s, e| whole.push((s, e)));
            assert_eq!(windowed, whole, "{text:?}");
            found += whole.len();
        }
        assert!(found > 50, "the texts hold house lines ({found})");
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
