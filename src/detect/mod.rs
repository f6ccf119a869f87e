//! Detection: the rules engine. It sees only text segments, never files.
//!
//! Each segment is checked by every rule whose cheap pre-checks pass (a digit
//! for number rules, an `@` for emails): pattern rules find candidates with a
//! regular expression and check them with a validator and context; detector
//! rules (names, addresses) run built-in code configured by their rule entry.
//! Overlapping hits are then resolved, keeping the most confident.

pub mod address;
pub mod category;
pub mod context;
pub mod names;
pub mod rules;
pub mod validate;

use regex::{Regex, RegexSet};

pub use category::Category;
use context::{Terms, header_matches, near};
pub use rules::{Lists, RuleSet, RuleSpec, RulesError};

use crate::extract::Segment;

/// The built-in detectors a rule may name in `detector = "..."`.
pub const DETECTORS: &[&str] = &[
    "name_title",
    "name_cue",
    "name_signoff",
    "name_role",
    "name_full",
    "name_single",
    "name_column",
    "name_mail_header",
    "address",
];

/// A rule ready to run.
#[derive(Debug)]
pub struct Rule {
    pub spec: RuleSpec,
    regex: Option<Regex>,
    value_group: Option<usize>,
    pub context: Terms,
    pub headers: Terms,
    pub exclude_headers: Terms,
    needs_digit: bool,
    needs_at: bool,
    /// Unique for the life of the process (keys the per-thread header cache).
    uid: usize,
}

impl Rule {
    fn compile(spec: RuleSpec) -> Rule {
        let regex = spec.pattern.as_deref().map(|p| Regex::new(p).expect("patterns are checked when rules load"));
        let value_group = regex.as_ref().and_then(|r| r.capture_names().position(|n| n == Some("v")));
        Rule {
            context: Terms::new(&spec.context),
            headers: Terms::new(&spec.headers),
            exclude_headers: Terms::new(&spec.exclude_headers),
            needs_digit: spec.needs.contains(&rules::Needs::Digit),
            needs_at: spec.needs.contains(&rules::Needs::At),
            uid: {
                static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
            regex,
            value_group,
            spec,
        }
    }

    /// Does the segment's header make this rule's context? Headers repeat
    /// for every cell of a column, so answers are cached per thread.
    pub fn header_ok(&self, seg: &Segment<'_>) -> bool {
        let Some(header) = seg.context else { return false };
        if self.headers.is_empty() {
            return false;
        }
        use std::hash::BuildHasher;
        thread_local! {
            static CACHE: std::cell::RefCell<rustc_hash::FxHashMap<(usize, u64), bool>> = Default::default();
        }
        let key = (self.uid, rustc_hash::FxBuildHasher.hash_one(header));
        if let Some(hit) = CACHE.with(|c| c.borrow().get(&key).copied()) {
            return hit;
        }
        let answer = header_matches(header, &self.headers, &self.exclude_headers);
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() > 50_000 {
                c.clear();
            }
            c.insert(key, answer);
        });
        answer
    }

    /// Is there context for a candidate at `start..end`: the header, or a
    /// context word within the window?
    pub fn context_ok(&self, seg: &Segment<'_>, start: usize, end: usize) -> bool {
        self.header_ok(seg)
            || near(&self.context, seg.text, start, end, self.spec.context_window, self.spec.context_adjacent)
    }
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
    /// All pattern rules in one automaton: one pass over a segment tells which
    /// rules can match at all; only those then run to find positions.
    prefilter: RegexSet,
    /// Rule index of each pattern in `prefilter`.
    prefilter_rules: Vec<usize>,
    /// Some pattern rule has no `needs` pre-check, so every segment is searched.
    unconditional: bool,
    pub lists: Lists,
    names: names::NameRules,
    address: Option<address::AddressDetector>,
}

impl Engine {
    pub fn new(set: RuleSet) -> Engine {
        let rules: Vec<Rule> = set.rules.into_iter().map(Rule::compile).collect();
        let names = names::NameRules::from_rules(&rules);
        let prefilter_rules: Vec<usize> =
            rules.iter().enumerate().filter(|(_, r)| r.regex.is_some()).map(|(i, _)| i).collect();
        let prefilter =
            RegexSet::new(prefilter_rules.iter().map(|&i| rules[i].spec.pattern.as_deref().unwrap_or_default()))
                .expect("patterns are checked when rules load");
        let address = rules
            .iter()
            .position(|r| r.spec.detector.as_deref() == Some("address"))
            .map(|i| address::AddressDetector::new(i, &set.lists));
        let unconditional = prefilter_rules.iter().any(|&i| rules[i].spec.needs.is_empty());
        Engine { rules, prefilter, prefilter_rules, unconditional, lists: set.lists, names, address }
    }

    /// The engine with the built-in rules.
    pub fn builtin() -> Engine {
        Engine::new(RuleSet::builtin())
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
    pub fn detect_into(&self, seg: &Segment<'_>, hits: &mut Vec<Hit>) {
        hits.clear();
        let bytes = seg.text.as_bytes();
        let has_digit = bytes.iter().any(u8::is_ascii_digit);
        let has_at = bytes.contains(&b'@');
        if has_digit || has_at || self.unconditional {
            for m in self.prefilter.matches(seg.text).iter() {
                let index = self.prefilter_rules[m];
                let rule = &self.rules[index];
                if (rule.needs_digit && !has_digit) || (rule.needs_at && !has_at) {
                    continue;
                }
                if let Some(re) = &rule.regex {
                    self.run_pattern(index, rule, re, seg, hits);
                }
            }
        }
        self.names.detect(self, seg, hits);
        if let Some(address) = &self.address {
            address.detect(self, seg, hits);
        }
        resolve_overlaps(hits);
    }

    fn run_pattern(&self, index: usize, rule: &Rule, re: &Regex, seg: &Segment<'_>, hits: &mut Vec<Hit>) {
        let text = seg.text;
        let mut push = |start: usize, end: usize| {
            if !digits_isolated(text, start, end) {
                return;
            }
            let value = &text[start..end];
            let check = match &rule.spec.validator {
                Some(v) => match validate::run(v, value, &self.lists) {
                    Some(c) => c,
                    None => return,
                },
                None => validate::Check::OK,
            };
            let has_context = rule.context_ok(seg, start, end);
            if (rule.spec.require_context || check.needs_context) && !has_context {
                return;
            }
            let boost = if has_context { rule.spec.context_boost } else { 0.0 };
            let confidence = (rule.spec.confidence * check.factor + boost).min(1.0);
            hits.push(Hit { category: rule.spec.category, start, end, confidence, rule: index });
        };
        match rule.value_group {
            Some(g) => {
                for caps in re.captures_iter(text) {
                    if let Some(m) = caps.get(g) {
                        push(m.start(), m.end());
                    }
                }
            }
            None => {
                for m in re.find_iter(text) {
                    push(m.start(), m.end());
                }
            }
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

/// Keep the best of overlapping hits: higher confidence first, then longer.
fn resolve_overlaps(hits: &mut Vec<Hit>) {
    if hits.len() < 2 {
        return;
    }
    hits.sort_by(|a, b| {
        b.confidence
            .partial_cmp(&a.confidence)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits.drain(..) {
        if !kept.iter().any(|k| h.start < k.end && k.start < h.end) {
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| (h.start, h.end));
    *hits = kept;
}

#[cfg(test)]
mod tests;
