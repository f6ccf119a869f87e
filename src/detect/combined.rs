//! One pass for all the number rules.
//!
//! The patterns of the rules whose every match holds a digit and has a
//! bounded length (identifiers, phone numbers, dates) are compiled together
//! into one lazy DFA that reports, in a single pass over the windows around
//! a segment's digit runs, every place a match of each pattern ends. A rule
//! is then searched only where its own matches end, in the few bytes before
//! each end that its longest match can cover, instead of in every window
//! around every run of digits. Rules with no ends in a segment are not
//! searched at all.
//!
//! Every match of a rule ends at a reported end and starts no further back
//! than its longest match, so the ranges searched hold all its matches; look-
//! around still sees the whole segment: the rule finds exactly what a search
//! of the whole segment finds (tested below against that).

use std::cell::RefCell;
use std::ops::Range;

use regex_automata::hybrid::dfa::{Cache, DFA, OverlappingState};
use regex_automata::{Input, MatchKind};

use super::pattern::{Anchor, Anchors, Pattern, Spread};

/// The combined DFA and which rule each of its patterns belongs to.
#[derive(Debug)]
pub struct Combined {
    dfa: DFA,
    /// Per DFA pattern: the rule's index and its longest match.
    members: Vec<Member>,
    /// Room for the matches of every member around a digit run.
    spread: Spread,
    /// Unique for the life of the process: keys the per-thread DFA cache.
    uid: usize,
}

#[derive(Debug, Clone, Copy)]
struct Member {
    rule: usize,
    max_len: usize,
}

/// Where each member's matches end in one segment: `ends[m]` for member `m`.
#[derive(Debug, Default)]
pub struct Ends {
    ends: Vec<Vec<usize>>,
    /// The windows the pass looked at (a member's matches lie inside one).
    windows: Vec<Range<usize>>,
}

thread_local! {
    static CACHE: RefCell<Option<(usize, Box<Cache>)>> = const { RefCell::new(None) };
}

impl Combined {
    /// The combined DFA of the rules `(index, pattern text, compiled)` that
    /// qualify: anchored on digits, of bounded length, and simple enough for
    /// a lazy DFA. Returns it with each qualifying rule's member number.
    pub fn new(rules: &[(usize, &str, &Pattern)]) -> Option<(Combined, Vec<(usize, usize)>)> {
        let build = |patterns: &[&str]| {
            DFA::builder().configure(DFA::config().match_kind(MatchKind::All)).build_many(patterns).ok()
        };
        let chosen: Vec<&(usize, &str, &Pattern)> = rules
            .iter()
            .filter(|(_, text, p)| {
                p.anchor() == Some(Anchor::Digit) && p.max_len.is_some() && build(&[*text]).is_some()
            })
            .collect();
        if chosen.len() < 2 {
            return None;
        }
        let dfa = build(&chosen.iter().map(|c| c.1).collect::<Vec<_>>())?;
        let members: Vec<Member> =
            chosen.iter().map(|(rule, _, p)| Member { rule: *rule, max_len: p.max_len.unwrap_or(0) }).collect();
        let spread = Spread::union(chosen.iter().map(|c| &c.2.spread));
        let uid = super::unique_id();
        let numbered = members.iter().enumerate().map(|(m, member)| (member.rule, m)).collect();
        Some((Combined { dfa, members, spread, uid }, numbered))
    }

    /// One pass over the windows around the digit runs of `text`, filling
    /// `out` with where each member's matches end. False if the DFA could
    /// not search (the caller then searches rule by rule).
    pub fn find(&self, text: &str, anchors: &Anchors, out: &mut Ends) -> bool {
        out.ends.resize_with(self.members.len(), Vec::new);
        out.ends.iter_mut().for_each(Vec::clear);
        out.windows.clear();
        let windows = &mut out.windows;
        self.spread.windows(text.as_bytes(), &anchors.digits, |w| windows.push(w));
        self.with_cache(|cache| {
            for w in out.windows.iter() {
                let input = Input::new(text).range(w.clone());
                let mut state = OverlappingState::start();
                loop {
                    if self.dfa.try_search_overlapping_fwd(cache, &input, &mut state).is_err() {
                        return false;
                    }
                    let Some(m) = state.get_match() else { break };
                    out.ends[m.pattern().as_usize()].push(m.offset());
                }
            }
            true
        })
    }

    /// Does member `m` have a match in the segment last passed over?
    pub fn has_matches(&self, ends: &Ends, m: usize) -> bool {
        !ends.ends[m].is_empty()
    }

    /// The ranges of the segment where member `m`'s matches lie: before
    /// each end, as far as its longest match (and not before the window
    /// the end is in), merged where they overlap. In order.
    pub fn ranges<'e>(&self, ends: &'e Ends, m: usize) -> impl Iterator<Item = Range<usize>> + 'e {
        let max_len = self.members[m].max_len;
        let mut list = ends.ends[m].iter().copied().peekable();
        let windows = &ends.windows;
        let mut w = 0;
        std::iter::from_fn(move || {
            let e = list.next()?;
            while w + 1 < windows.len() && windows[w].end < e {
                w += 1;
            }
            let start = e.saturating_sub(max_len).max(windows[w].start);
            let mut end = e;
            // Ends are in order: join the ranges of the ends that follow
            // while they reach back into this one.
            while let Some(&next) = list.peek() {
                if next.saturating_sub(max_len).max(windows[w].start) > end {
                    break;
                }
                end = next;
                list.next();
            }
            Some(start..end)
        })
    }

    fn with_cache<R>(&self, f: impl FnOnce(&mut Cache) -> R) -> R {
        let taken = CACHE.with(|c| c.borrow_mut().take()).filter(|(uid, _)| *uid == self.uid);
        let mut cache = taken.map_or_else(|| Box::new(self.dfa.create_cache()), |(_, c)| c);
        let result = f(&mut cache);
        CACHE.with(|c| *c.borrow_mut() = Some((self.uid, cache)));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every match of each pattern, found through the combined pass.
    fn through_combined(sources: &[String], patterns: &[Pattern], texts: &[String]) -> Vec<Vec<Vec<(usize, usize)>>> {
        let rules: Vec<(usize, &str, &Pattern)> =
            patterns.iter().enumerate().map(|(i, p)| (i, sources[i].as_str(), p)).collect();
        let (combined, members) = Combined::new(&rules).expect("the number patterns combine");
        let mut ends = Ends::default();
        texts
            .iter()
            .map(|text| {
                let mut anchors = Anchors::default();
                anchors.find(text.as_bytes());
                assert!(combined.find(text, &anchors, &mut ends));
                let mut per_rule = vec![Vec::new(); patterns.len()];
                for &(rule, m) in &members {
                    if combined.has_matches(&ends, m) {
                        patterns[rule]
                            .each_match_in_ranges(text, combined.ranges(&ends, m), |s, e| per_rule[rule].push((s, e)));
                    }
                }
                per_rule
            })
            .collect()
    }

    #[test]
    fn the_combined_pass_finds_what_each_rule_finds_alone() {
        let sources: Vec<String> = crate::detect::RuleSet::builtin()
            .rules
            .into_iter()
            .filter_map(|r| r.pattern)
            .filter(|p| Pattern::new(p).is_ok_and(|p| p.anchor() == Some(Anchor::Digit) && p.max_len.is_some()))
            .collect();
        let patterns: Vec<Pattern> = sources.iter().map(|p| Pattern::new(p).unwrap()).collect();
        assert!(patterns.len() >= 8, "most number rules take part");
        let pieces = [
            "0", "7", "12", "943", "4505", "07700", "+44", "(0)", " ", "  ", "-", "/", ".", ",", "AB", "me", "GB", "x",
            "Mar", "march", "st", "\n", "é", "½", "NI", "\t", "3rd of", "1985", "ME14 5PP", "0044", "(01322)", "£",
        ];
        let texts = crate::detect::tests::texts_from_pieces(&pieces, 600, 0..60, 0x2545_F491_4F6C_DD1D);
        let got = through_combined(&sources, &patterns, &texts);
        for (text, per_rule) in texts.iter().zip(got) {
            let mut anchors = Anchors::default();
            anchors.find(text.as_bytes());
            for ((p, source), found) in patterns.iter().zip(&sources).zip(per_rule) {
                let mut alone = Vec::new();
                p.each_match(text, &anchors, |s, e| alone.push((s, e)));
                assert_eq!(found, alone, "{source} on {text:?}");
            }
        }
    }
}
