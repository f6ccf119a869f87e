//! Detection: the rules engine. It sees only text segments, never files.
//!
//! One pass over a segment finds its anchors (runs of digits, each `@`).
//! The number rules' matches are then found together in one pass over the
//! windows around the digits (see [`combined`]); other pattern rules search
//! only the windows around their anchors (see [`pattern`]). Each candidate is
//! checked with a validator and context, whose words are looked for only
//! around the candidates that need them. Detector rules (names, addresses)
//! run built-in code configured by their rule entry. Overlapping hits are
//! then resolved, keeping the most confident.

/// `(path, text)` of a file under `rules/`, compiled in (for [`rules`] and [`lists`]).
macro_rules! builtin_file {
    ($path:literal) => {
        ($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/", $path)))
    };
}

pub mod address;
mod bytescan;
pub mod category;
pub mod combined;
pub mod context;
pub mod dates;
pub mod lists;
pub mod name_table;
pub mod names;
pub mod organisations;
pub mod pattern;
pub mod rules;
pub mod special;
pub mod table;
pub mod validate;

pub use category::Category;
use combined::Combined;
use context::{Dictionary, Near, Occurrence, TermSet, Terms, header_matches};
use pattern::{Anchors, Pattern};
pub use rules::{DETECTORS, Lists, RuleSet, RuleSpec, RulesError};

use crate::formats::Segment;

/// A rule ready to run.
#[derive(Debug)]
pub struct Rule {
    pub spec: RuleSpec,
    pattern: Option<Pattern>,
    pub context: Terms,
    /// `context` as term ids of the engine's [`Dictionary`].
    context_ids: TermSet,
    pub headers: Terms,
    pub exclude_headers: Terms,
    needs_digit: bool,
    needs_at: bool,
    /// The rule's member number in the engine's [`Combined`] pass, if it takes part.
    member: Option<usize>,
    /// The rule's place in [`Engine::rules`] (its bit in a segment's header answers).
    index: usize,
    /// `spec.validator`, looked up once.
    validator: Option<validate::Validator>,
}

impl Rule {
    fn compile(spec: RuleSpec) -> Rule {
        let pattern = spec.pattern.as_deref().map(|p| Pattern::new(p).expect("patterns are checked when rules load"));
        Rule {
            context: Terms::new(&spec.context),
            context_ids: TermSet::default(),
            headers: Terms::new(&spec.headers),
            exclude_headers: Terms::new(&spec.exclude_headers),
            needs_digit: spec.needs.contains(&rules::Needs::Digit),
            needs_at: spec.needs.contains(&rules::Needs::At),
            member: None,
            index: 0,
            validator: spec.validator.as_deref().and_then(validate::Validator::named),
            pattern,
            spec,
        }
    }

    /// Does the segment's header make this rule's context? (Answered once
    /// per segment for all rules: see [`HeaderAnswers`].)
    pub fn header_ok(&self, scan: &SegmentScan<'_>) -> bool {
        scan.headers.get(self.index / 64).is_some_and(|bits| bits >> (self.index % 64) & 1 == 1)
    }

    /// Is there context for a candidate at `start..end`: the header, or a
    /// context word within the window?
    pub fn context_ok(&self, scan: &mut SegmentScan<'_>, start: usize, end: usize) -> bool {
        self.header_ok(scan)
            || (!self.context.is_empty()
                && scan.near(&self.context_ids, start, end, self.spec.context_window, self.spec.context_adjacent))
    }
}

/// What the rules share while one segment is searched: its anchors, and the
/// places context terms occur, found only around the candidates that need
/// them (each part of the text is walked at most once).
pub struct SegmentScan<'s> {
    pub seg: &'s Segment<'s>,
    dict: &'s Dictionary,
    anchors: &'s Anchors,
    /// Occurrences starting in the `walked` ranges, in order of start.
    occurrences: &'s mut Vec<Occurrence>,
    /// Disjoint byte ranges already walked for occurrences, in order.
    walked: &'s mut Vec<(usize, usize)>,
    /// A buffer for occurrences found before others already found.
    spare: &'s mut Vec<Occurrence>,
    /// Which rules the segment's header makes context for, a bit a rule
    /// (empty without a header).
    headers: &'s [u64],
}

impl SegmentScan<'_> {
    /// Is a term of `set` within `window` bytes of `start..end` (see [`Near::near`])?
    pub fn near(&mut self, set: &TermSet, start: usize, end: usize, window: usize, adjacent: bool) -> bool {
        let text = self.seg.text;
        let from = context::floor_char(text, start.saturating_sub(window));
        let to = context::ceil_char(text, end.saturating_add(window).min(text.len()));
        self.walk(from, to);
        Near { text, occurrences: self.occurrences }.near(set, start, end, window, adjacent)
    }

    /// Could a candidate of `rule` anywhere in the segment have context:
    /// does its header match, or one of its context terms occur?
    pub fn context_possible(&mut self, rule: &Rule) -> bool {
        if rule.header_ok(self) {
            return true;
        }
        if rule.context.is_empty() {
            return false;
        }
        self.walk(0, self.seg.text.len());
        self.occurrences.iter().any(|o| rule.context_ids.has(o.term))
    }

    /// Find the occurrences starting in `from..to` not found yet: the
    /// parts of it not walked before are walked now, so each byte of the
    /// segment is walked at most once, and only near candidates.
    fn walk(&mut self, from: usize, to: usize) {
        let text = self.seg.text;
        // Queries mostly move forward through the text: past the last range
        // walked, or overlapping its end. Those need no search or merge.
        if let Some(last) = self.walked.last_mut() {
            if from >= last.0 && to <= last.1 {
                return;
            }
            if from >= last.0 && from <= last.1 {
                let start = last.1;
                last.1 = to;
                self.dict.occurrences_in(text, start, to, self.occurrences);
                return;
            }
            if from > last.1 {
                self.walked.push((from, to));
                self.dict.occurrences_in(text, from, to, self.occurrences);
                return;
            }
        }
        let mut pos = from;
        // The first walked range ending after `from`.
        let mut i = self.walked.partition_point(|w| w.1 <= from);
        let mut added = false;
        while pos < to {
            if let Some(&(a, b)) = self.walked.get(i)
                && a <= pos
            {
                pos = pos.max(b);
                i += 1;
                continue;
            }
            let gap_end = self.walked.get(i).map_or(to, |w| w.0.min(to));
            let at = self.occurrences.partition_point(|o| o.start < pos);
            if at == self.occurrences.len() {
                self.dict.occurrences_in(text, pos, gap_end, self.occurrences);
            } else {
                self.spare.clear();
                self.dict.occurrences_in(text, pos, gap_end, self.spare);
                self.occurrences.splice(at..at, self.spare.drain(..));
            }
            self.walked.insert(i, (pos, gap_end));
            i += 1;
            added = true;
            pos = gap_end;
        }
        if added {
            merge_ranges(self.walked);
        }
    }
}

/// Join touching or overlapping ranges of a list sorted by start.
fn merge_ranges(ranges: &mut Vec<(usize, usize)>) {
    let mut out = 0;
    for i in 0..ranges.len() {
        let r = ranges[i];
        if out > 0 && r.0 <= ranges[out - 1].1 {
            ranges[out - 1].1 = ranges[out - 1].1.max(r.1);
        } else {
            ranges[out] = r;
            out += 1;
        }
    }
    ranges.truncate(out);
}

/// Buffers reused from segment to segment on each thread.
#[derive(Default)]
struct Scratch {
    anchors: Anchors,
    occurrences: Vec<Occurrence>,
    walked: Vec<(usize, usize)>,
    spare: Vec<Occurrence>,
    names: names::Buffers,
    kept: Vec<Hit>,
    ends: combined::Ends,
    headers: HeaderAnswers,
    candidates: Vec<Candidate>,
    pending: Vec<ContactLine>,
}

/// What [`Engine::organisation_line`] finds on a detail's line.
enum OrganisationLine {
    No,
    /// A phrase that makes a detail the organisation's (`Registered office`).
    Organisation,
    /// Only a phrase of an organisation's contact line (`Contact us`), on
    /// the line starting at `line_start`.
    Contact {
        line_start: usize,
    },
}

/// How confident a name finding must be to make the details after it on
/// an organisation's contact line a person's.
const PERSON_NAMED: f32 = 0.7;

/// A hit demoted for a contact-line phrase, with its confidence before,
/// given back if a person is named before it on the line.
struct ContactLine {
    hit: usize,
    confidence: f32,
    line_start: usize,
}

/// A pattern rule's match, not yet checked by its validator and context.
struct Candidate {
    start: usize,
    end: usize,
    /// Index of the rule in [`Engine::rules`].
    rule: usize,
}

/// Which rules each header makes context for, a bit a rule, per engine and
/// header. Headers repeat for every cell of a column, so each is matched
/// against the rules' header terms once, and a segment then costs one
/// lookup, not one per rule that asks.
#[derive(Default)]
struct HeaderAnswers(rustc_hash::FxHashMap<(usize, u64), Box<[u64]>>);

impl HeaderAnswers {
    /// Most headers remembered before starting afresh.
    const MOST: usize = 50_000;

    fn get(&mut self, engine: &Engine, header: &str) -> &[u64] {
        use std::hash::BuildHasher;
        let key = (engine.uid, rustc_hash::FxBuildHasher.hash_one(header));
        if self.0.len() >= Self::MOST && !self.0.contains_key(&key) {
            self.0.clear();
        }
        self.0.entry(key).or_insert_with(|| {
            let mut bits = vec![0u64; engine.rules.len().div_ceil(64)];
            for (i, rule) in engine.rules.iter().enumerate() {
                if !rule.headers.is_empty() && header_matches(header, &rule.headers, &rule.exclude_headers) {
                    bits[i / 64] |= 1 << (i % 64);
                }
            }
            bits.into_boxed_slice()
        })
    }
}

/// A number no other call in this process returns: tells engines (and their
/// number passes) apart in per-thread caches.
fn unique_id() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = Default::default();
}

/// One piece of personal data found in a segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub category: Category,
    /// Byte range of the value in the segment's text.
    pub start: usize,
    pub end: usize,
    pub confidence: f32,
    /// Index of the rule in [`Engine::rules`].
    pub rule: usize,
}

/// The compiled rules and word lists.
pub struct Engine {
    pub rules: Vec<Rule>,
    /// The context terms of the rules that look for them around candidates.
    dict: Dictionary,
    /// The name rules' cues and roles.
    name_dict: Dictionary,
    /// The phrases of lists/organisation_context.txt, as ids of `dict`.
    organisation_ids: TermSet,
    /// The phrases of lists/organisation_contact_context.txt, as ids of `dict`.
    contact_ids: TermSet,
    pub lists: Lists,
    names: names::NameRules,
    address: Option<address::AddressDetector>,
    /// The special category rules (health, ethnicity...), if any.
    special: Option<special::SpecialDetector>,
    /// One pass for the number rules (see [`combined`]).
    combined: Option<Combined>,
    /// Unique for the life of the process (keys the per-thread header answers).
    uid: usize,
}

impl Engine {
    pub fn new(set: RuleSet) -> Engine {
        let mut rules: Vec<Rule> = set.rules.into_iter().map(Rule::compile).collect();
        for (index, rule) in rules.iter_mut().enumerate() {
            rule.index = index;
        }
        // Two dictionaries: the name rules look their cues up at one place,
        // the other rules walk the words around candidates, which is quicker
        // the fewer the words to know.
        let is_name = |r: &Rule| r.spec.detector.as_deref().is_some_and(|d| d.starts_with("name_"));
        let none = Terms::new(&[]);
        let only = |names: bool| -> Vec<&Terms> {
            rules.iter().map(|r| if is_name(r) == names { &r.context } else { &none }).collect()
        };
        let organisation = Terms::new(&set.lists.organisation_context);
        let contact = Terms::new(&set.lists.organisation_contact_context);
        let mut sets = only(false);
        sets.push(&organisation);
        sets.push(&contact);
        let (dict, mut ids) = Dictionary::new(&sets);
        let contact_ids = ids.pop().expect("one set for the contact line phrases");
        let organisation_ids = ids.pop().expect("one set for the organisation phrases");
        let (name_dict, name_ids) = Dictionary::new(&only(true));
        for ((rule, ids), name_ids) in rules.iter_mut().zip(ids).zip(name_ids) {
            rule.context_ids = if is_name(rule) { name_ids } else { ids };
        }
        let with_patterns: Vec<(usize, &str, &Pattern)> = rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((i, r.spec.pattern.as_deref()?, r.pattern.as_ref()?)))
            .collect();
        let combined = Combined::new(&with_patterns).map(|(combined, members)| {
            for (rule, m) in members {
                rules[rule].member = Some(m);
            }
            combined
        });
        let names = names::NameRules::from_rules(&rules);
        let address = rules
            .iter()
            .position(|r| r.spec.detector.as_deref() == Some("address"))
            .map(|i| address::AddressDetector::new(i, &set.lists));
        let special = special::SpecialDetector::new(&rules, &set.lists);
        Engine {
            rules,
            dict,
            name_dict,
            organisation_ids,
            contact_ids,
            lists: set.lists,
            names,
            address,
            special,
            combined,
            uid: unique_id(),
        }
    }

    /// The engine with the built-in rules.
    pub fn builtin() -> Engine {
        Engine::new(RuleSet::builtin())
    }

    /// The special category a column header is for ("Ethnicity",
    /// "Religion or belief", "Disability"), by the special rules' headers.
    pub fn special_column(&self, header: &str) -> Option<Category> {
        self.special.as_ref()?;
        self.rules
            .iter()
            .filter(|r| r.spec.detector.as_deref() == Some(special::DETECTOR))
            .find(|r| header_matches(header, &r.headers, &r.exclude_headers))
            .map(|r| r.spec.category)
    }

    pub fn rule_id(&self, hit: &Hit) -> &str {
        &self.rules[hit.rule].spec.id
    }

    /// All personal data in one segment, without overlaps, in text order.
    pub fn detect(&self, seg: &Segment<'_>) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.detect_into(seg, &mut hits);
        hits
    }

    /// Like [`Engine::detect`], reusing `hits`' allocation (it is cleared first).
    ///
    /// Running text that holds a table (a header row the rules know, then
    /// rows split by pipes, tabs or aligned spaces) is also searched cell by
    /// cell, each cell with its column's header as context, as a CSV cell
    /// is; the more confident of overlapping hits is kept.
    pub fn detect_into(&self, seg: &Segment<'_>, hits: &mut Vec<Hit>) {
        self.detect_segment(seg, hits);
        if seg.context.is_none() && table::may_hold_table(seg.text) {
            self.detect_table_cells(seg, hits);
        }
    }

    /// Add to `hits` what the cells of tables in `seg`'s text hold.
    fn detect_table_cells(&self, seg: &Segment<'_>, hits: &mut Vec<Hit>) {
        let mut cells = Vec::new();
        let mut names_data =
            |header: &str| SCRATCH.with(|s| s.borrow_mut().headers.get(self, header).iter().any(|&bits| bits != 0));
        table::cells(seg.text, &mut names_data, &mut cells);
        if cells.is_empty() {
            return;
        }
        let mut found = Vec::new();
        for c in &cells {
            let header = &seg.text[c.header_start..c.header_end];
            let cell = Segment { loc: seg.loc, text: &seg.text[c.start..c.end], context: Some(header) };
            self.detect_segment(&cell, &mut found);
            hits.extend(found.drain(..).map(|h| Hit { start: h.start + c.start, end: h.end + c.start, ..h }));
        }
        resolve_overlaps(hits, &mut Vec::new());
    }

    /// All personal data in one segment's text as it is (no table pass),
    /// into `hits` (cleared first).
    fn detect_segment(&self, seg: &Segment<'_>, hits: &mut Vec<Hit>) {
        hits.clear();
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let Scratch { anchors, occurrences, walked, spare, names, kept, ends, headers, candidates, pending } =
                &mut *scratch;
            pending.clear();
            occurrences.clear();
            walked.clear();
            anchors.find(seg.text.as_bytes());
            let headers = seg.context.map_or(&[][..], |h| headers.get(self, h));
            let mut scan = SegmentScan { seg, dict: &self.dict, anchors, occurrences, walked, spare, headers };
            let (has_digit, has_at) = (!scan.anchors.digits.is_empty(), !scan.anchors.ats.is_empty());
            // The number rules' matches, all found in one pass.
            let combined = self.combined.as_ref().filter(|c| has_digit && c.find(seg.text, scan.anchors, ends));
            for (index, rule) in self.rules.iter().enumerate() {
                let Some(pattern) = &rule.pattern else { continue };
                if (rule.needs_digit && !has_digit) || (rule.needs_at && !has_at) || !pattern.possible(scan.anchors) {
                    continue;
                }
                let member = combined.zip(rule.member);
                if member.is_some_and(|(c, m)| !c.has_matches(ends, m)) {
                    continue;
                }
                // A rule that reports only with context is not searched
                // where none of its context is. (A number rule's candidates
                // are already known: context is looked for around them alone.)
                if rule.spec.require_context && member.is_none() && !scan.context_possible(rule) {
                    continue;
                }
                let mut found = |start, end| candidates.push(Candidate { start, end, rule: index });
                match member {
                    Some((c, m)) => pattern.each_match_in_ranges(seg.text, c.ranges(ends, m), &mut found),
                    None => pattern.each_match(seg.text, scan.anchors, &mut found),
                }
            }
            // Candidates are checked in text order, whatever their rule, so
            // that the context walk around them moves forward through the
            // text (stable: a place's candidates keep their rules' order).
            candidates.sort_by_key(|c| c.start);
            for c in candidates.drain(..) {
                self.accept(c, &mut scan, hits, pending);
            }
            let before_names = hits.len();
            self.names.detect(self, &mut scan, names, hits);
            // A name that is, or starts, an organisation's name ("Kent
            // County" before "Council") is not a person's.
            let mut at = 0;
            hits.retain(|h| {
                at += 1;
                at <= before_names
                    || h.category != Category::Name
                    || !organisations::starts_organisation(seg.text, h.start, h.end, &self.lists)
            });
            // A detail on an organisation's contact line after a person's
            // name is the person's: its confidence is given back.
            for p in pending.drain(..) {
                if Self::person_named_before(hits, p.line_start, hits[p.hit].start) {
                    hits[p.hit].confidence = p.confidence;
                }
            }
            if let Some(address) = &self.address {
                address.detect(self, &mut scan, hits);
            }
            if let Some(special) = &self.special {
                special.detect(self, &mut scan, hits);
            }
            resolve_overlaps(hits, kept);
        });
    }

    /// Keep a match `c` of a pattern rule if it passes the rule's validator
    /// and context.
    fn accept(&self, c: Candidate, scan: &mut SegmentScan<'_>, hits: &mut Vec<Hit>, pending: &mut Vec<ContactLine>) {
        let Candidate { start, mut end, rule: index } = c;
        let rule = &self.rules[index];
        let text = scan.seg.text;
        while end > start && rule.spec.trim_end.as_bytes().contains(&text.as_bytes()[end - 1]) {
            end -= 1;
        }
        if !digits_isolated(text, start, end) {
            return;
        }
        let value = &text[start..end];
        let check = match (&rule.spec.validator, rule.validator) {
            (None, _) => validate::Check::OK,
            (Some(_), Some(v)) => match v.check(value, &self.lists) {
                Some(c) => c,
                None => return,
            },
            // Rules are checked to name known validators when they load.
            (Some(_), None) => return,
        };
        let has_context = rule.context_ok(scan, start, end);
        if (rule.spec.require_context || check.needs_context) && !has_context {
            return;
        }
        let boost = if has_context { rule.spec.context_boost } else { 0.0 };
        let confidence = (rule.spec.confidence * check.factor + boost).min(1.0);
        let (factor, line) = self.organisation_factor(rule, scan, start, end);
        if let Some(line_start) = line {
            pending.push(ContactLine { hit: hits.len(), confidence, line_start });
        }
        hits.push(Hit { category: rule.spec.category, start, end, confidence: confidence * factor, rule: index });
    }

    /// The rule's `organisation_factor` if a phrase of
    /// lists/organisation_context.txt or organisation_contact_context.txt is
    /// on the line of `start..end` ("Registered office: ...", "call us on
    /// ..."); otherwise 1. With only a contact-line phrase, also the start
    /// of the line: a person named between it and the detail makes the
    /// detail theirs (see [`Engine::person_named_before`]).
    pub fn organisation_factor(
        &self,
        rule: &Rule,
        scan: &mut SegmentScan<'_>,
        start: usize,
        end: usize,
    ) -> (f32, Option<usize>) {
        let Some(factor) = rule.spec.organisation_factor else { return (1.0, None) };
        match self.organisation_line(scan, start, end) {
            OrganisationLine::No => (1.0, None),
            OrganisationLine::Organisation => (factor, None),
            OrganisationLine::Contact { line_start } => (factor, Some(line_start)),
        }
    }

    /// Is a person's name (a confident name finding) among `hits` between
    /// `line_start` and `start`?
    pub fn person_named_before(hits: &[Hit], line_start: usize, start: usize) -> bool {
        hits.iter().any(|h| {
            h.category == Category::Name && h.confidence >= PERSON_NAMED && h.start >= line_start && h.end <= start
        })
    }

    /// What is on the line (or, in a paragraph on one line, the sentence)
    /// of `start..end`: a phrase of lists/organisation_context.txt, one of
    /// organisation_contact_context.txt, or neither.
    fn organisation_line(&self, scan: &mut SegmentScan<'_>, start: usize, end: usize) -> OrganisationLine {
        /// How far along its line to look, each way.
        const REACH: usize = 80;
        let text = scan.seg.text;
        let from = context::floor_char(text, start.saturating_sub(REACH));
        let to = context::ceil_char(text, (end + REACH).min(text.len()));
        // The line, and in a paragraph on one line, the sentence: back to a
        // newline or full stop, on to a newline or full stop. A full stop
        // ends a sentence only before a space and a capital ("Registered
        // charity no. 1187654 - Tel ..." is one, and so is "j.smith@...").
        // (Byte loops: these few dozen bytes cost less than setting up a
        // string searcher.)
        let b = text.as_bytes();
        let sentence_end =
            |i: usize| b[i] == b'.' && b.get(i + 1) == Some(&b' ') && b.get(i + 2).is_some_and(u8::is_ascii_uppercase);
        let line_start = (from..start).rev().find(|&i| b[i] == b'\n' || sentence_end(i)).map_or(from, |i| i + 1);
        let line_end = (end..to).find(|&i| b[i] == b'\n' || sentence_end(i)).unwrap_or(to);
        scan.walk(line_start, line_end);
        let near = Near { text, occurrences: scan.occurrences };
        if near.within(&self.organisation_ids, line_start, line_end).next().is_some() {
            OrganisationLine::Organisation
        } else if near.within(&self.contact_ids, line_start, line_end).next().is_some() {
            OrganisationLine::Contact { line_start }
        } else {
            OrganisationLine::No
        }
    }
}

/// A number must not be a slice of a longer run of digits (or of a decimal).
fn digits_isolated(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    let before = start.checked_sub(1).map(|i| b[i]);
    let after = b.get(end).copied();
    let digit_before = before.is_some_and(|c| c.is_ascii_digit())
        || (before == Some(b'.') && start >= 2 && b[start - 2].is_ascii_digit());
    let digit_after = after.is_some_and(|c| c.is_ascii_digit())
        || (matches!(after, Some(b'.') | Some(b',')) && b.get(end + 1).is_some_and(u8::is_ascii_digit));
    let value_starts_digit = b.get(start).is_some_and(u8::is_ascii_digit);
    let value_ends_digit = end > 0 && b[end - 1].is_ascii_digit();
    (!value_starts_digit || !digit_before) && (!value_ends_digit || !digit_after)
}

/// Keep the best of overlapping hits: higher confidence first, then longer,
/// then earlier. `kept` is a reusable buffer.
///
/// Hits are sorted by start and cut into clusters, each a chain of hits
/// overlapping the ones before it; a hit never overlaps one in another
/// cluster, so the choice is made in each (small) cluster alone.
fn resolve_overlaps(hits: &mut Vec<Hit>, kept: &mut Vec<Hit>) {
    if hits.len() < 2 {
        return;
    }
    // Stable: hits alike in all but rule stay in the order they were found.
    hits.sort_by_key(|h| (h.start, h.end));
    kept.clear();
    let mut i = 0;
    while i < hits.len() {
        let mut j = i + 1;
        let mut reach = hits[i].end;
        while j < hits.len() && hits[j].start < reach {
            reach = reach.max(hits[j].end);
            j += 1;
        }
        if j == i + 1 {
            kept.push(hits[i].clone());
        } else {
            let cluster = &mut hits[i..j];
            cluster.sort_by(better);
            let first = kept.len();
            for h in cluster.iter() {
                if !kept[first..].iter().any(|k| h.start < k.end && k.start < h.end) {
                    kept.push(h.clone());
                }
            }
            kept[first..].sort_unstable_by_key(|h| (h.start, h.end));
        }
        i = j;
    }
    std::mem::swap(hits, kept);
}

/// The order hits are chosen in: higher confidence, then longer, then earlier.
fn better(a: &Hit, b: &Hit) -> std::cmp::Ordering {
    b.confidence
        .partial_cmp(&a.confidence)
        .unwrap_or(std::cmp::Ordering::Equal)
        .then((b.end - b.start).cmp(&(a.end - a.start)))
        .then(a.start.cmp(&b.start))
}

#[cfg(test)]
pub(crate) mod tests;
