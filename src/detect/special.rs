//! Special category data (UK GDPR Articles 9 and 10): health, ethnicity,
//! religion, sexual orientation, criminal record.
//!
//! Found three ways, by the rules with `detector = "special"` (one rule a
//! category, in rules/special.toml):
//!
//! - **columns**: a cell whose column header matches the rule's `headers`
//!   (an equalities monitoring form's "Ethnicity", "Religion or belief",
//!   "Disability", "Convictions"): the whole answer counts, unless it is one
//!   of lists/special/not_stated.txt ("Prefer not to say", "None", "N/A");
//! - **labelled fields** in running text: a header phrase and a colon
//!   ("Ethnicity: White British"), the rest of the line being the answer;
//! - **running text**: a word of lists/special/<category>.txt ("type 2
//!   diabetes", "Muslim", "a caution for shoplifting") with evidence it is
//!   about a person (one of the rule's `context` cues nearby: "diagnosed
//!   with", "takes", "disclosed"; or, except for criminal records, a
//!   person's name on the line), and no word of
//!   lists/special/not_personal.txt right beside it ("the mosque car park",
//!   "an anxiety leaflet", "Diabetes Awareness Week").
//!
//! The value is the revealing words: the listed term, joined with the next
//! term of its category after `for`/`of`/`and`/`with` ("caution for
//! shoplifting"), with `a`/`an` before a criminal record.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::category::Category;
use super::{Engine, Hit, PERSON_NAMED, SegmentScan};

/// The name of the detector in rule files.
pub const DETECTOR: &str = "special";

/// How far (bytes) from a term a person's name makes it about them.
const NAME_BEFORE: usize = 80;
const NAME_AFTER: usize = 40;

/// Longest labelled answer taken from a line ("Ethnicity: ...").
const LONGEST_ANSWER: usize = 80;

/// The special category rules and their word lists, compiled.
#[derive(Debug)]
pub struct SpecialDetector {
    /// `(category, index of its rule in the engine)`.
    rules: Vec<(Category, usize)>,
    /// The running-text terms; pattern id → index into `rules`.
    terms: Option<AhoCorasick>,
    term_rule: Vec<usize>,
    /// The rules' header phrases, as labels ("Ethnicity:"); pattern id → index into `rules`.
    labels: Option<AhoCorasick>,
    label_rule: Vec<usize>,
    /// lists/special/not_personal.txt.
    not_personal: Option<AhoCorasick>,
}

fn automaton<I, P>(patterns: I) -> Option<AhoCorasick>
where
    I: IntoIterator<Item = P>,
    P: AsRef<[u8]>,
{
    let patterns: Vec<P> = patterns.into_iter().collect();
    if patterns.is_empty() {
        return None;
    }
    Some(
        // A DFA: these lists are a few thousand words, too many for the
        // automatic choice, and a DFA searches them about twice as fast
        // as the NFA it would pick (special detection runs on every segment).
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(patterns)
            .expect("word lists make valid automata"),
    )
}

/// Is byte `i` of `text` the edge of a word (no letter or digit on both sides)?
fn word_edge(text: &str, i: usize) -> bool {
    if !text.is_char_boundary(i) {
        return false;
    }
    let before = text[..i].chars().next_back();
    let after = text[i..].chars().next();
    !(before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric))
}

/// Is `start..end` a whole-word match in `text`?
fn whole_words(text: &str, start: usize, end: usize) -> bool {
    word_edge(text, start) && word_edge(text, end)
}

impl SpecialDetector {
    /// The detector for the engine's `special` rules; `None` if it has none.
    pub fn new(engine_rules: &[super::Rule], lists: &super::Lists) -> Option<SpecialDetector> {
        let rules: Vec<(Category, usize)> = engine_rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.spec.detector.as_deref() == Some(DETECTOR))
            .map(|(i, r)| (r.spec.category, i))
            .collect();
        if rules.is_empty() {
            return None;
        }
        let rule_of = |cat: Category| rules.iter().position(|&(c, _)| c == cat);
        let mut term_patterns = Vec::new();
        let mut term_rule = Vec::new();
        for (cat, term) in &lists.special_terms {
            if let Some(r) = rule_of(*cat) {
                term_patterns.push(term.as_str());
                term_rule.push(r);
            }
        }
        let mut label_patterns = Vec::new();
        let mut label_rule = Vec::new();
        for (r, &(_, index)) in rules.iter().enumerate() {
            for h in &engine_rules[index].spec.headers {
                label_patterns.push(h.as_str());
                label_rule.push(r);
            }
        }
        Some(SpecialDetector {
            terms: automaton(&term_patterns),
            term_rule,
            labels: automaton(&label_patterns),
            label_rule,
            not_personal: automaton(&lists.special_not_personal),
            rules,
        })
    }

    /// Add the special category data of the segment to `hits` (names
    /// already found are among them).
    pub fn detect(&self, engine: &Engine, scan: &mut SegmentScan<'_>, hits: &mut Vec<Hit>) {
        let text = scan.seg.text;
        // Columns: the whole answer, for the rules the header names.
        let mut column = 0u64;
        if scan.seg.context.is_some() {
            for (r, &(cat, index)) in self.rules.iter().enumerate() {
                let rule = &engine.rules[index];
                if !rule.header_ok(scan) {
                    continue;
                }
                column |= 1 << r;
                if let Some((start, end)) = self.answer(engine, text, 0, text.len()) {
                    hits.push(Hit { category: cat, start, end, confidence: rule.spec.confidence, rule: index });
                }
            }
        }
        let before = hits.len();
        self.labelled(engine, text, column, hits);
        self.running_text(engine, scan, column, before, hits);
    }

    /// The answer in `text[from..to]`, trimmed, unless it says nothing
    /// ("prefer not to say", "none").
    fn answer(&self, engine: &Engine, text: &str, from: usize, to: usize) -> Option<(usize, usize)> {
        let slice = &text[from..to];
        let trimmed = slice.trim_matches(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '.' | ';'));
        if trimmed.is_empty() {
            return None;
        }
        let lower = trimmed.to_lowercase();
        if engine.lists.special_not_stated.contains(lower.trim()) {
            return None;
        }
        let start = from + (trimmed.as_ptr() as usize - slice.as_ptr() as usize);
        Some((start, start + trimmed.len()))
    }

    /// "Ethnicity: White British": a header phrase at the start of a line
    /// or field, then a colon, a dash between spaces ("Religion - Muslim"), a
    /// tab (a form's cells pasted as text) or two spaces or more ("Diagnosis
    /// Type 2 diabetes", the cells of a PDF form), then the answer, to the end
    /// of the line or field.
    fn labelled(&self, engine: &Engine, text: &str, column: u64, hits: &mut Vec<Hit>) {
        let Some(labels) = &self.labels else { return };
        if !text.contains([':', '-', '\t', '–', '—']) && !text.contains("  ") {
            return;
        }
        for m in labels.find_iter(text) {
            let r = self.label_rule[m.pattern().as_usize()];
            if column >> r & 1 == 1 || !whole_words(text, m.start(), m.end()) {
                continue;
            }
            // Only at the start of a line or after a field separator.
            let line_start = text[..m.start()].rfind(['\n', '|', ';', '\t']).map_or(0, |i| i + 1);
            if !text[line_start..m.start()].trim().is_empty() {
                continue;
            }
            let Some(from) = label_separator(&text[m.end()..]).map(|n| m.end() + n) else { continue };
            let colon = text[m.end()..from].contains(':');
            let from = from + (text[from..].len() - text[from..].trim_start_matches([' ', '\t']).len());
            // To the end of the line or field; without a colon, a gap of two
            // spaces ends it too (the next cell of a form).
            let mut to = text[from..].find(['\n', '|', ';', '\t']).map_or(text.len(), |i| from + i);
            if !colon {
                to = text[from..to].find("  ").map_or(to, |i| from + i);
                // Without a colon, an answer starts as one does in a form
                // (a capital or a digit), or with a listed word: not
                // "Health  and safety briefing".
                let value = &text[from..to];
                let form_like = value.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
                let listed = self.terms.as_ref().is_some_and(|t| t.find(value).is_some_and(|m| m.start() == 0));
                if !form_like && !listed {
                    continue;
                }
            }
            if to - from > LONGEST_ANSWER {
                to = super::context::floor_char(text, from + LONGEST_ANSWER);
                to = text[from..to].rfind(' ').map_or(to, |i| from + i);
            }
            let (cat, index) = self.rules[r];
            if let Some((start, end)) = self.answer(engine, text, from, to) {
                let rule = &engine.rules[index];
                hits.push(Hit { category: cat, start, end, confidence: rule.spec.confidence, rule: index });
            }
        }
    }

    /// Listed words in running text, about a person.
    fn running_text(
        &self,
        engine: &Engine,
        scan: &mut SegmentScan<'_>,
        column: u64,
        found_before: usize,
        hits: &mut Vec<Hit>,
    ) {
        let Some(terms) = &self.terms else { return };
        let text = scan.seg.text;
        // Whole-word matches, in order: (start, end, rule).
        let mut matches: Vec<(usize, usize, usize)> = Vec::new();
        for m in terms.find_iter(text) {
            let r = self.term_rule[m.pattern().as_usize()];
            if column >> r & 1 == 0 && whole_words(text, m.start(), m.end()) {
                matches.push((m.start(), m.end(), r));
            }
        }
        if matches.is_empty() {
            return;
        }
        // Join "caution" "for" "shoplifting" into one value.
        let mut joined: Vec<(usize, usize, usize)> = Vec::new();
        for m in matches {
            if let Some(last) = joined.last_mut()
                && last.2 == m.2
                && self.rules[m.2].0 == Category::CriminalRecord
                && m.0 >= last.1
                && matches!(text[last.1..m.0].trim().to_ascii_lowercase().as_str(), "for" | "of" | "and" | "with")
            {
                last.1 = m.1;
                continue;
            }
            joined.push(m);
        }
        let named = hits[..found_before]
            .iter()
            .filter(|h| h.category == Category::Name && h.confidence >= PERSON_NAMED)
            .map(|h| (h.start, h.end))
            .collect::<Vec<_>>();
        // The last term taken: (end, rule).
        let mut last_taken: Option<(usize, usize)> = None;
        for (mut start, end, r) in joined {
            let (cat, index) = self.rules[r];
            let rule = &engine.rules[index];
            // Part of a name ("Christian Evans"); a "name" that is only the
            // listed words ("Roman Catholic") gives way if the words are
            // about a person.
            if named.iter().any(|&(s, e)| s < end && start < e && !(start <= s && e <= end)) {
                continue;
            }
            // One word found as a person's name by its own evidence ("her
            // partner Christian went into hospital") stays a name.
            if !text[start..end].contains(char::is_whitespace) && named.iter().any(|&(s, e)| s == start && e == end) {
                continue;
            }
            if self.beside_not_personal(text, start, end) || !used_of_a_person(text, cat, start, end) {
                continue;
            }
            let (sentence_start, sentence_end) = sentence(text, start, end);
            // Joined to a term just taken ("on sertraline for PTSD",
            // "has asthma and epilepsy"), it is about the same person.
            let follows_taken = last_taken.is_some_and(|(e, lr)| {
                lr == r
                    && e <= start
                    && matches!(text[e..start].trim().to_lowercase().as_str(), "for" | "and" | "or" | "with" | ",")
            });
            let cue = follows_taken || cue_in_sentence(rule, scan, start, end, sentence_start, sentence_end);
            // A name before the words in their sentence, or (but for a
            // criminal record, where the person named after is as often a
            // victim or witness) just after them.
            let name_near = named.iter().any(|&(s, e)| {
                (e <= start && s < start && s >= sentence_start && start - e <= NAME_BEFORE)
                    || (cat != Category::CriminalRecord && s >= end && e <= sentence_end && s - end <= NAME_AFTER)
            });
            if !cue && !name_near {
                continue;
            }
            hits.retain(|h| !(h.category == Category::Name && start <= h.start && h.end <= end));
            if cat == Category::CriminalRecord {
                let lower = text[..start].to_ascii_lowercase();
                for article in ["a ", "an "] {
                    if lower.ends_with(article) && word_edge(text, start - article.len()) {
                        start -= article.len();
                        break;
                    }
                }
            }
            hits.push(Hit { category: cat, start, end, confidence: rule.spec.confidence, rule: index });
            last_taken = Some((end, r));
        }
    }

    /// Is a phrase of lists/special/not_personal.txt right beside
    /// `start..end` (at most one word between), on its line?
    fn beside_not_personal(&self, text: &str, start: usize, end: usize) -> bool {
        let Some(ac) = &self.not_personal else { return false };
        // Two words after (one between and the phrase's first), two before.
        let after = words_span_after(text, end, 2);
        let before = words_span_before(text, start, 2);
        let hit_in = |from: usize, to: usize, at_start: bool| {
            ac.find_iter(&text[from..to]).any(|m| {
                let (s, e) = (from + m.start(), from + m.end());
                whole_words(text, s, e) && {
                    // After the term: the phrase starts within the first two words.
                    // Before it: the phrase ends within the last two words.
                    if at_start { words_between(text, end, s) <= 1 } else { words_between(text, e, start) <= 1 }
                }
            })
        };
        hit_in(end, after, true) || hit_in(before, start, false)
    }
}

/// The length of the separator between a label and its answer at the start
/// of `rest` (the text after the label), if there is one: spaces and a colon,
/// a dash between spaces, a tab, or two spaces or more.
fn label_separator(rest: &str) -> Option<usize> {
    let blank = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let after = &rest[blank..];
    if after.starts_with(':') {
        return Some(blank + 1);
    }
    if let Some(dash) = ['-', '–', '—'].into_iter().find(|&d| after.starts_with(d)) {
        let tail = &after[dash.len_utf8()..];
        return (blank > 0 && tail.starts_with([' ', '\t'])).then_some(blank + dash.len_utf8());
    }
    let gap = &rest[..blank];
    (gap.contains('\t') || gap.len() >= 2).then_some(blank)
}

/// The sentence (or line) around `start..end`: from after a line break or
/// sentence end before it to the next one after it.
fn sentence(text: &str, start: usize, end: usize) -> (usize, usize) {
    let stops = ['\n', '.', '!', '?', ';'];
    let from = text[..start].rfind(stops).map_or(0, |i| i + 1);
    let to = text[end..].find(stops).map_or(text.len(), |i| end + i);
    (from, to)
}

/// Is one of the rule's cues within its `context_window` of `start..end`,
/// inside the sentence `from..to`, and not just a part of the words
/// themselves ("is on" counts for "on probation", "convicted of" does not
/// for "convicted of theft")?
fn cue_in_sentence(
    rule: &super::Rule,
    scan: &mut SegmentScan<'_>,
    start: usize,
    end: usize,
    from: usize,
    to: usize,
) -> bool {
    let text = scan.seg.text;
    let window = rule.spec.context_window;
    let from = super::context::floor_char(text, from.max(start.saturating_sub(window)));
    let to = super::context::ceil_char(text, to.min(end + window));
    scan.walk(from, to);
    let near = super::context::Near { text, occurrences: scan.occurrences };
    near.within(&rule.context_ids, from, to).any(|o| {
        (o.start < start || o.end > end)
            // A common word ("is", "has", "her") counts only just before
            // the words ("has asthma", "is a practising Muslim").
            && (!WEAK_CUES.contains(&text[o.start..o.end].to_lowercase().as_str())
                || (o.end <= start && words_between(text, o.end, start) <= 1))
    })
}

/// Cues too common to count from further away than the word before the
/// term (at most one word between): "Sarah is organising the stroke of
/// midnight countdown", "his car has a diabetic dog sticker".
const WEAK_CUES: &[&str] = &[
    "is", "was", "are", "were", "am", "i'm", "has", "had", "have", "having", "her", "his", "my", "their", "a", "an",
    "of", "for", "he", "she", "they", "client", "she's", "he's", "they're", "as a",
];

/// Words that may follow an ethnic group, a religion or a sexual
/// orientation said of a person: the end of the clause, a joining word, or
/// a word for a person or their origins ("is Somali and needs an
/// interpreter", "a White and Black African man", "came out as bisexual to
/// his family"). Any other word makes it describe a thing ("the Chinese
/// takeaway", "a Christian Aid volunteer", "a lesbian detective novel").
const PERSON_FOLLOWERS: &[&str] = &[
    "and",
    "but",
    "or",
    "so",
    "to",
    "since",
    "from",
    "in",
    "at",
    "with",
    "by",
    "like",
    "last",
    "this",
    "now",
    "himself",
    "herself",
    "themselves",
    "myself",
    "too",
    "as",
    "man",
    "woman",
    "men",
    "women",
    "boy",
    "girl",
    "boys",
    "girls",
    "lad",
    "person",
    "people",
    "family",
    "families",
    "parents",
    "parent",
    "mother",
    "father",
    "mum",
    "dad",
    "son",
    "daughter",
    "child",
    "children",
    "husband",
    "wife",
    "partner",
    "brother",
    "sister",
    "grandmother",
    "grandfather",
    "background",
    "heritage",
    "origin",
    "descent",
    "client",
    "clients",
    "couple",
    "household",
    "gentleman",
    "lady",
    "teenager",
    "convert",
    "believer",
    "who",
    "and/or",
];

/// Does the way the term sits in its sentence fit a person's data? Not
/// after "the" ("the Indian Ocean", "the caution light"); not before a
/// capitalised word, which makes it part of a name ("Christian Aid",
/// "Parkinson's UK", "Muslim Hands"); an ethnic group, religion or sexual
/// orientation only before [`PERSON_FOLLOWERS`]; a conviction not before
/// "that" or "about" ("a conviction that the club should open earlier").
fn used_of_a_person(text: &str, cat: Category, start: usize, end: usize) -> bool {
    let before = text[..start].trim_end_matches([' ', '\t']);
    let previous = before.rsplit(|c: char| !c.is_alphanumeric() && c != '\'').next().unwrap_or("");
    if previous.eq_ignore_ascii_case("the") {
        return false;
    }
    let after = text[end..].trim_start_matches([' ', '\t']);
    let next: &str = after.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '/').next().unwrap_or("");
    if next.is_empty() {
        // Punctuation or the end of the line follows.
        return true;
    }
    if next.chars().next().is_some_and(char::is_uppercase) && next != "I" {
        return false;
    }
    let next = next.to_lowercase();
    match cat {
        Category::Ethnicity | Category::Religion | Category::SexualOrientation => {
            PERSON_FOLLOWERS.contains(&next.as_str())
        }
        Category::CriminalRecord => !matches!(next.as_str(), "that" | "about"),
        _ => true,
    }
}

/// The end of the `n`th word after `i` on its line (or the line's end).
fn words_span_after(text: &str, i: usize, n: usize) -> usize {
    let line_end = text[i..].find(['\n', '.', ';', ',', '(', ')']).map_or(text.len(), |j| i + j);
    let mut seen = 0;
    let mut in_word = false;
    for (j, c) in text[i..line_end].char_indices() {
        let w = !c.is_whitespace();
        if in_word && !w {
            seen += 1;
            if seen == n {
                return i + j;
            }
        }
        in_word = w;
    }
    line_end
}

/// The start of the `n`th word before `i` on its line (or the line's start).
fn words_span_before(text: &str, i: usize, n: usize) -> usize {
    let line_start = text[..i].rfind(['\n', '.', ';', ',', '(', ')']).map_or(0, |j| j + 1);
    let mut seen = 0;
    let mut in_word = false;
    for (j, c) in text[line_start..i].char_indices().rev() {
        let w = !c.is_whitespace();
        if in_word && !w {
            seen += 1;
            if seen == n {
                return line_start + j + c.len_utf8();
            }
        }
        in_word = w;
    }
    line_start
}

/// How many words lie between byte `a` and byte `b` (a <= b).
fn words_between(text: &str, a: usize, b: usize) -> usize {
    if b <= a {
        return 0;
    }
    text[a..b].split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, header: Option<&str>) -> Vec<(Category, String)> {
        let engine = Engine::builtin();
        let seg = crate::formats::Segment::fixed("t", text, header);
        engine
            .detect(&seg)
            .iter()
            .filter(|h| h.category.is_special())
            .map(|h| (h.category, text[h.start..h.end].to_string()))
            .collect()
    }

    #[test]
    fn values_are_the_revealing_words() {
        use Category::*;
        /// Text, its header, what must be found (all of it).
        type Case<'a> = (&'a str, Option<&'a str>, &'a [(Category, &'a str)]);
        let cases: &[Case] = &[
            ("Jane was diagnosed with type 2 diabetes in May.", None, &[(Health, "type 2 diabetes")]),
            ("He disclosed a caution for shoplifting.", None, &[(CriminalRecord, "a caution for shoplifting")]),
            (
                "Ethnicity: White British\nReligion: Muslim\n",
                None,
                &[(Ethnicity, "White British"), (Religion, "Muslim")],
            ),
            ("  Black African ", Some("Ethnic group"), &[(Ethnicity, "Black African")]),
            ("Prefer not to say", Some("Sexual orientation"), &[]),
            ("n/a", Some("Religion or belief"), &[]),
            ("She is Hindu and takes metformin.", None, &[(Religion, "Hindu"), (Health, "metformin")]),
            ("The Hindu temple car park is closed.", None, &[]),
            // A first name that is also a listed word, named as a person.
            ("Ms Omar told me she has been struggling since her partner Christian went into hospital.", None, &[]),
            ("She told me she is a practising Christian.", None, &[(Religion, "Christian")]),
        ];
        for (text, header, want) in cases {
            let want: Vec<(Category, String)> = want.iter().map(|(c, v)| (*c, v.to_string())).collect();
            assert_eq!(found(text, *header), want, "{text:?} under {header:?}");
        }
    }

    #[test]
    fn labels_without_a_colon() {
        use Category::*;
        type Case<'a> = (&'a str, &'a [(Category, &'a str)]);
        let cases: &[Case] = &[
            ("Ethnicity\tWhite British\tReligion\tMuslim\n", &[(Ethnicity, "White British"), (Religion, "Muslim")]),
            ("Religion - Muslim\n", &[(Religion, "Muslim")]),
            ("Religion \u{2013} Roman Catholic", &[(Religion, "Roman Catholic")]),
            ("Diagnosis  Type 2 diabetes\n", &[(Health, "Type 2 diabetes")]),
            (
                "Ethnicity     Black Caribbean     Sexual orientation     Gay\n",
                &[(Ethnicity, "Black Caribbean"), (SexualOrientation, "Gay")],
            ),
            ("Medication\tsertraline 50mg\n", &[(Health, "sertraline 50mg")]),
            ("Religion:   Sikh", &[(Religion, "Sikh")]),
            // Not forms: a word, a lone space, a hyphenated word, a lower-case run.
            ("Health and safety briefing on Monday.", &[]),
            ("Health  and safety briefing on Monday.", &[]),
            ("Faith-based groups meet on Sunday.", &[]),
            ("Ethnicity\tPrefer not to say\n", &[]),
            ("Disability - None\n", &[]),
        ];
        for (text, want) in cases {
            let want: Vec<(Category, String)> = want.iter().map(|(c, v)| (*c, v.to_string())).collect();
            assert_eq!(found(text, None), want, "{text:?}");
        }
        assert_eq!(label_separator(" - Muslim"), Some(2));
        assert_eq!(label_separator("-based"), None);
        assert_eq!(label_separator(" Muslim"), None);
        assert_eq!(label_separator("\tMuslim"), Some(1));
    }

    #[test]
    fn a_special_column_answer_is_found_whatever_it_says() {
        // Not in any word list: the header alone makes it special category data.
        assert_eq!(
            found("Other: Nepali Gurung", Some("Ethnicity")),
            [(Category::Ethnicity, "Other: Nepali Gurung".into())]
        );
        // A date in a DBS column is not a criminal record.
        assert_eq!(found("12/03/2021", Some("DBS check date")), []);
    }

    #[test]
    fn word_spans() {
        let t = "the mosque car park is full";
        assert_eq!(&t[10..words_span_after(t, 10, 2)], " car park");
        assert_eq!(&t[words_span_before(t, 4, 2)..4], "the ");
        assert_eq!(words_between(t, 10, 11), 0);
        assert_eq!(words_between("a leaflet on anxiety", 9, 13), 1);
        assert!(whole_words("has asthma.", 4, 10));
        assert!(!whole_words("gayle", 0, 3));
    }
}
