//! Pattern rules searched only where they can match.
//!
//! Every built-in pattern needs an anchor byte in each match: a digit (all
//! the number rules) or an `@` (email). When a rule's pattern is compiled its
//! syntax tree is read for three facts: which anchor every match must
//! contain, the longest match possible, and which bytes a match can contain
//! at all. A segment is then searched only in windows around its anchors:
//! from each run of anchor bytes, outwards as far as a match could reach
//! (the longest match, and only over bytes a match can hold). Windows that
//! overlap are merged. Because every possible match lies inside one window,
//! and look-around (`\b`, `^`) still sees the whole segment, this finds
//! exactly the matches a search of the whole segment would, in one short
//! search per window instead of one pass over all of the text per rule.
//! Prose with a few numbers is thus searched over a few percent of its bytes.

use std::cell::RefCell;

use regex_automata::meta::{Cache, Regex};
use regex_automata::util::captures::Captures;
use regex_automata::{Input, Span};
use regex_syntax::hir::{Class, Hir, HirKind};

use super::bytescan;

/// Reaches up to this many bytes are not narrowed by the bytes a match can hold.
const SHORT_REACH: usize = 32;

/// Which byte every match of a pattern contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Digit,
    At,
}

impl Anchor {
    fn matches(self, b: u8) -> bool {
        match self {
            Anchor::Digit => b.is_ascii_digit(),
            Anchor::At => b == b'@',
        }
    }
}

/// A compiled pattern and what its syntax says about where it can match.
#[derive(Debug)]
pub struct Pattern {
    regex: Regex,
    /// Index of the capture group named `v` (the value), if any.
    value_group: Option<usize>,
    /// The byte every match holds, if there is one; otherwise the whole
    /// segment is searched.
    anchor: Option<Anchor>,
    /// Where around its anchors a match can lie.
    pub(super) spread: Spread,
    /// The longest match (`None`: no bound).
    pub(super) max_len: Option<usize>,
    /// Unique for the life of the process: keys this pattern's per-thread [`Scratch`].
    uid: usize,
}

/// Where the matches of a pattern (or of several) can lie around their
/// anchor runs.
#[derive(Debug, Clone)]
pub(super) struct Spread {
    /// How far from an anchor run a match holding it can reach, before and
    /// after (`usize::MAX`: no bound but the bytes a match can hold).
    pub left: usize,
    pub right: usize,
    /// The bytes a match can contain.
    pub class: [bool; 256],
    /// The fewest anchor bytes a match holds: a window with fewer is not searched.
    pub min_anchors: usize,
}

impl Spread {
    /// Room for the matches of every one of `spreads`.
    pub fn union<'a>(spreads: impl IntoIterator<Item = &'a Spread>) -> Spread {
        let mut out = Spread { left: 0, right: 0, class: [false; 256], min_anchors: usize::MAX };
        for s in spreads {
            out.left = out.left.max(s.left);
            out.right = out.right.max(s.right);
            out.min_anchors = out.min_anchors.min(s.min_anchors);
            for (o, c) in out.class.iter_mut().zip(s.class) {
                *o |= c;
            }
        }
        out
    }

    /// Call `f` with each window of `bytes` that can hold a match: the
    /// anchor runs `runs` widened as far as a match can reach, merged where
    /// they overlap, and kept if they hold enough anchor bytes. In order.
    pub fn windows(&self, bytes: &[u8], runs: &[(usize, usize)], mut f: impl FnMut(std::ops::Range<usize>)) {
        // The current window and how many anchor bytes it holds.
        let mut window: Option<(usize, usize, usize)> = None;
        for &(s, e) in runs {
            // Bytes up to the current window's end are already looked at.
            let done = window.map_or(0, |w| w.1);
            let (ws, we) = self.window(bytes, s, e, done);
            window = match window {
                Some((a, b, n)) if ws <= b => Some((a, we.max(b), n + e - s)),
                Some((a, b, n)) => {
                    if n >= self.min_anchors {
                        f(a..b);
                    }
                    Some((ws, we, e - s))
                }
                None => Some((ws, we, e - s)),
            };
        }
        if let Some((a, b, n)) = window
            && n >= self.min_anchors
        {
            f(a..b);
        }
    }

    /// The bytes around the anchor run `s..e` that a match holding it can
    /// cover. Bytes before `done` were looked at for an earlier run: the
    /// window stops there (and is then merged with the earlier one), so
    /// each byte is looked at about once however long the runs of bytes a
    /// match can hold.
    fn window(&self, bytes: &[u8], s: usize, e: usize, done: usize) -> (usize, usize) {
        let floor = s.saturating_sub(self.left).max(done.min(s));
        let ceil = e.saturating_add(self.right).min(bytes.len());
        // A short reach is taken whole: looking at its bytes costs more
        // than searching them.
        let a = if self.left <= SHORT_REACH {
            floor
        } else {
            let mut a = s;
            while a > floor && self.class[bytes[a - 1] as usize] {
                a -= 1;
            }
            a
        };
        let b = if self.right <= SHORT_REACH {
            ceil
        } else {
            let mut b = e.max(done.min(ceil));
            while b < ceil && self.class[bytes[b] as usize] {
                b += 1;
            }
            b
        };
        (a, b)
    }
}

/// A thread's state for searching with one pattern: the regex cache and
/// capture slots. Kept per thread (not in the regex's shared pool, which
/// every thread but the first reaches through a lock).
struct Scratch {
    cache: Cache,
    caps: Captures,
}

thread_local! {
    /// Boxed: a regex cache is large, and is taken out and put back for every search.
    static SCRATCH: RefCell<Vec<Option<Box<Scratch>>>> = const { RefCell::new(Vec::new()) };
}

/// Where the anchor bytes of a segment are: maximal runs of digits, and
/// each `@`. Found in one pass, shared by all rules.
#[derive(Debug, Default)]
pub struct Anchors {
    pub digits: Vec<(usize, usize)>,
    pub ats: Vec<(usize, usize)>,
}

impl Anchors {
    /// Reuse the vectors for a new segment.
    pub fn find(&mut self, text: &[u8]) {
        self.digits.clear();
        self.ats.clear();
        let mut i = 0;
        while let Some(at) = bytescan::find::<bytescan::DigitOrAt>(text, i) {
            if text[at] == b'@' {
                self.ats.push((at, at + 1));
                i = at + 1;
                continue;
            }
            let end = at + text[at..].iter().position(|&b| !b.is_ascii_digit()).unwrap_or(text.len() - at);
            self.digits.push((at, end));
            i = end;
        }
    }

    fn of(&self, anchor: Anchor) -> &[(usize, usize)] {
        match anchor {
            Anchor::Digit => &self.digits,
            Anchor::At => &self.ats,
        }
    }
}

impl Pattern {
    /// Compile `pattern` (already checked when the rules were loaded).
    pub fn new(pattern: &str) -> Result<Pattern, String> {
        let regex = Regex::new(pattern).map_err(|e| e.to_string())?;
        let hir = regex_syntax::parse(pattern).map_err(|e| e.to_string())?;
        let value_group = regex.group_info().to_index(regex_automata::PatternID::ZERO, "v");
        let anchor = [Anchor::Digit, Anchor::At].into_iter().find(|a| must_contain(&hir, &|b| a.matches(b)));
        let min_anchors = anchor.map_or(0, |a| min_count(&hir, &|b| a.matches(b)));
        let mut class = [false; 256];
        add_bytes(&hir, &mut class);
        let (left, right) = match anchor {
            Some(a) => {
                let r = Reach::of(&hir, &|b| a.matches(b));
                (r.pre.unwrap_or(0).max(r.gap), r.suf.unwrap_or(0).max(r.gap))
            }
            None => (usize::MAX, usize::MAX),
        };
        // Its own count, not `super::unique_id`: a pattern's uid indexes the
        // per-thread scratch vector, so the numbers must stay dense.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let uid = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let max_len = hir.properties().maximum_len();
        Ok(Pattern { regex, value_group, anchor, spread: Spread { left, right, class, min_anchors }, max_len, uid })
    }

    /// The byte every match holds, if there is one.
    pub fn anchor(&self) -> Option<Anchor> {
        self.anchor
    }

    /// Does the segment have what every match needs?
    pub fn possible(&self, anchors: &Anchors) -> bool {
        self.anchor.is_none_or(|a| !anchors.of(a).is_empty())
    }

    /// Call `found(start, end)` for each match (its `v` group if it has one)
    /// in text order, as a search of the whole text would find them.
    pub fn each_match(&self, text: &str, anchors: &Anchors, found: impl FnMut(usize, usize)) {
        self.with_scratch(|scratch| self.each_match_in(text, anchors, scratch, found));
    }

    fn each_match_in(&self, text: &str, anchors: &Anchors, scratch: &mut Scratch, found: impl FnMut(usize, usize)) {
        let mut found = found;
        let Some(anchor) = self.anchor else {
            self.search(text, 0..text.len(), scratch, &mut found);
            return;
        };
        self.spread.windows(text.as_bytes(), anchors.of(anchor), |w| self.search(text, w, scratch, &mut found));
    }

    /// Call `found(start, end)` for each match inside `ranges` (in order,
    /// not overlapping), as [`Pattern::each_match`] reports them.
    pub fn each_match_in_ranges(
        &self,
        text: &str,
        ranges: impl IntoIterator<Item = std::ops::Range<usize>>,
        found: impl FnMut(usize, usize),
    ) {
        let mut found = found;
        self.with_scratch(|scratch| {
            for r in ranges {
                self.search(text, r, scratch, &mut found);
            }
        })
    }

    /// Like [`Pattern::each_match`] for a pattern whose every match starts
    /// where a run of its anchor bytes starts (`\b[0-9]...`, which the
    /// caller promises): one anchored search at each run, which stops as soon
    /// as the text cannot match, instead of a search through the reach after it.
    /// `may_start(bytes, run)` may pass over runs where the caller knows no
    /// match can start (it must not pass over one where a match starts).
    pub fn each_match_at_runs(
        &self,
        text: &str,
        anchors: &Anchors,
        may_start: impl Fn(&[u8], (usize, usize)) -> bool,
        found: impl FnMut(usize, usize),
    ) {
        let mut found = found;
        self.with_scratch(|scratch| {
            let Some(anchor) = self.anchor else {
                self.search(text, 0..text.len(), scratch, &mut found);
                return;
            };
            let mut pos = 0;
            for &(s, e) in anchors.of(anchor) {
                if s < pos || !may_start(text.as_bytes(), (s, e)) {
                    continue;
                }
                let input = Input::new(text).range(s..).anchored(regex_automata::Anchored::Yes);
                let Some(m) = self.regex.search_with(&mut scratch.cache, &input) else { continue };
                self.report(&input, m, scratch, &mut found);
                pos = m.end();
            }
        })
    }

    /// Run `f` with this thread's scratch for this pattern.
    fn with_scratch<R>(&self, f: impl FnOnce(&mut Scratch) -> R) -> R {
        let taken = SCRATCH.with(|all| all.borrow_mut().get_mut(self.uid).and_then(Option::take));
        let mut scratch = taken.unwrap_or_else(|| {
            Box::new(Scratch { cache: self.regex.create_cache(), caps: self.regex.create_captures() })
        });
        let result = f(&mut scratch);
        SCRATCH.with(|all| {
            let mut all = all.borrow_mut();
            if all.len() <= self.uid {
                all.resize_with(self.uid + 1, || None);
            }
            all[self.uid] = Some(scratch);
        });
        result
    }

    /// Report match `m` of a search with `input`: its `v` group if it has one.
    fn report(
        &self,
        input: &Input<'_>,
        m: regex_automata::Match,
        scratch: &mut Scratch,
        found: &mut impl FnMut(usize, usize),
    ) {
        match self.value_group {
            Some(g) => {
                let sub = input.clone().span(m.span()).anchored(regex_automata::Anchored::Yes);
                self.regex.search_captures_with(&mut scratch.cache, &sub, &mut scratch.caps);
                if let Some(Span { start, end }) = scratch.caps.get_group(g) {
                    found(start, end);
                }
            }
            None => found(m.start(), m.end()),
        }
    }

    /// Every match inside `range` of `text`.
    fn search(
        &self,
        text: &str,
        range: std::ops::Range<usize>,
        scratch: &mut Scratch,
        found: &mut impl FnMut(usize, usize),
    ) {
        let mut input = Input::new(text).range(range);
        while let Some(m) = self.regex.search_with(&mut scratch.cache, &input) {
            self.report(&input, m, scratch, found);
            // Patterns that can match nothing (none of ours) must still move on.
            let next = if m.is_empty() { m.end() + 1 } else { m.end() };
            if next > input.end() {
                break;
            }
            input.set_start(next);
        }
    }
}

/// Must every match of `hir` contain a byte for which `pred` holds?
fn must_contain(hir: &Hir, pred: &dyn Fn(u8) -> bool) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(lit) => lit.0.iter().any(|&b| pred(b)),
        HirKind::Class(Class::Bytes(c)) => {
            !c.ranges().is_empty() && c.ranges().iter().all(|r| (r.start()..=r.end()).all(pred))
        }
        HirKind::Class(Class::Unicode(c)) => {
            !c.ranges().is_empty()
                && c.ranges().iter().all(|r| r.end().is_ascii() && (r.start() as u8..=r.end() as u8).all(pred))
        }
        HirKind::Repetition(rep) => rep.min >= 1 && must_contain(&rep.sub, pred),
        HirKind::Capture(cap) => must_contain(&cap.sub, pred),
        HirKind::Concat(subs) => subs.iter().any(|s| must_contain(s, pred)),
        HirKind::Alternation(subs) => subs.iter().all(|s| must_contain(s, pred)),
    }
}

/// How the anchor bytes of a pattern's matches lie, as the most bytes
/// (`usize::MAX`: unbounded) in each stretch without one.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Reach {
    /// The longest match holding no anchor, if one can hold none.
    free: Option<usize>,
    /// Before the first anchor, in matches holding one.
    pre: Option<usize>,
    /// After the last anchor, in matches holding one.
    suf: Option<usize>,
    /// Between two anchors.
    gap: usize,
}

impl Reach {
    const EMPTY: Reach = Reach { free: Some(0), pre: None, suf: None, gap: 0 };
    /// Matches nothing (the identity of [`Reach::or`]).
    const NONE: Reach = Reach { free: None, pre: None, suf: None, gap: 0 };

    fn of(hir: &Hir, pred: &dyn Fn(u8) -> bool) -> Reach {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => Reach::EMPTY,
            HirKind::Literal(lit) => {
                let at: Vec<usize> = (0..lit.0.len()).filter(|&i| pred(lit.0[i])).collect();
                match (at.first(), at.last()) {
                    (Some(&f), Some(&l)) => Reach {
                        free: None,
                        pre: Some(f),
                        suf: Some(lit.0.len() - 1 - l),
                        gap: at.windows(2).map(|w| w[1] - w[0] - 1).max().unwrap_or(0),
                    },
                    _ => Reach { free: Some(lit.0.len()), ..Reach::EMPTY },
                }
            }
            HirKind::Class(c) => {
                let width = match c {
                    Class::Bytes(_) => 1,
                    Class::Unicode(u) => u.maximum_len().unwrap_or(4),
                };
                let all = must_contain(hir, pred);
                let mut set = [false; 256];
                add_bytes(hir, &mut set);
                let some = (0..=255u8).any(|b| set[b as usize] && pred(b));
                Reach { free: (!all).then_some(width), pre: some.then_some(0), suf: some.then_some(0), gap: 0 }
            }
            HirKind::Capture(cap) => Reach::of(&cap.sub, pred),
            HirKind::Alternation(subs) => subs.iter().map(|s| Reach::of(s, pred)).fold(Reach::NONE, Reach::or),
            HirKind::Concat(subs) => subs.iter().map(|s| Reach::of(s, pred)).fold(Reach::EMPTY, Reach::then),
            HirKind::Repetition(rep) => Reach::repeat(Reach::of(&rep.sub, pred), rep.min, rep.max),
        }
    }

    /// `min` to `max` copies of `one`.
    fn repeat(one: Reach, min: u32, max: Option<u32>) -> Reach {
        // Three copies show every way copies combine; beyond that, more
        // copies only lengthen the stretches without an anchor.
        let most = max.map_or(usize::MAX, |m| m as usize);
        let mut out = if min == 0 { Reach::EMPTY } else { Reach::NONE };
        let mut acc = Reach::EMPTY;
        for k in 1..=most.min(3) {
            acc = acc.then(one);
            if k >= (min as usize).min(3) {
                out = out.or(acc);
            }
        }
        let free_len = one.free.unwrap_or(0);
        if most > 3 && free_len > 0 {
            let extra = (most - 3).saturating_mul(free_len);
            let add = |x: Option<usize>| x.map(|v| v.saturating_add(extra));
            let gap = if out.pre.is_some() { out.gap.saturating_add(extra) } else { out.gap };
            out = Reach { free: add(out.free), pre: add(out.pre), suf: add(out.suf), gap };
        }
        out
    }

    /// Either of two alternatives.
    fn or(self, o: Reach) -> Reach {
        Reach {
            free: self.free.max(o.free),
            pre: self.pre.max(o.pre),
            suf: self.suf.max(o.suf),
            gap: self.gap.max(o.gap),
        }
    }

    /// `self` followed by `o`.
    fn then(self, o: Reach) -> Reach {
        let plus = |a: Option<usize>, b: Option<usize>| Some(a?.saturating_add(b?));
        Reach {
            free: plus(self.free, o.free),
            pre: self.pre.max(plus(self.free, o.pre)),
            suf: o.suf.max(plus(self.suf, o.free)),
            gap: self.gap.max(o.gap).max(plus(self.suf, o.pre).unwrap_or(0)),
        }
    }
}

/// The fewest bytes for which `pred` holds in any match of `hir`.
fn min_count(hir: &Hir, pred: &dyn Fn(u8) -> bool) -> usize {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(lit) => lit.0.iter().filter(|&&b| pred(b)).count(),
        HirKind::Class(_) => usize::from(must_contain(hir, pred)),
        HirKind::Repetition(rep) => (rep.min as usize).saturating_mul(min_count(&rep.sub, pred)),
        HirKind::Capture(cap) => min_count(&cap.sub, pred),
        HirKind::Concat(subs) => subs.iter().map(|s| min_count(s, pred)).sum(),
        HirKind::Alternation(subs) => subs.iter().map(|s| min_count(s, pred)).min().unwrap_or(0),
    }
}

/// Mark every byte a match of `hir` may contain. A class reaching beyond
/// ASCII marks every non-ASCII byte (its UTF-8 encodings).
fn add_bytes(hir: &Hir, set: &mut [bool; 256]) {
    let mut mark = |lo: u32, hi: u32| {
        for b in lo.min(255)..=hi.min(255) {
            set[b as usize] = true;
        }
        if hi >= 0x80 {
            set[0x80..].iter_mut().for_each(|x| *x = true);
        }
    };
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => lit.0.iter().for_each(|&b| mark(b.into(), b.into())),
        HirKind::Class(Class::Bytes(c)) => c.ranges().iter().for_each(|r| mark(r.start().into(), r.end().into())),
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().for_each(|r| mark(r.start().into(), r.end().into())),
        HirKind::Repetition(rep) => add_bytes(&rep.sub, set),
        HirKind::Capture(cap) => add_bytes(&cap.sub, set),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().for_each(|s| add_bytes(s, set)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_matches(p: &str, text: &str) -> Vec<(usize, usize)> {
        let pattern = Pattern::new(p).unwrap();
        let mut anchors = Anchors::default();
        anchors.find(text.as_bytes());
        let mut out = Vec::new();
        pattern.each_match(text, &anchors, |s, e| out.push((s, e)));
        out
    }

    fn whole_text(p: &str, text: &str) -> Vec<(usize, usize)> {
        let re = regex::Regex::new(p).unwrap();
        let g = re.capture_names().position(|n| n == Some("v"));
        re.captures_iter(text).filter_map(|c| c.get(g.unwrap_or(0))).map(|m| (m.start(), m.end())).collect()
    }

    #[test]
    fn anchors_and_lengths_come_from_the_pattern() {
        let cell = Pattern::new(r"(?-u)^\s*(?P<v>[1-7][0-9]{9})\s*$").unwrap();
        let spread = |p: &Pattern| (p.spread.left, p.spread.right, p.spread.min_anchors);
        assert_eq!(spread(&cell), (usize::MAX, usize::MAX, 10));
        assert_eq!(cell.max_len, None);
        let nino = Pattern::new(r"(?i-u)\b[A-Z]{2}[ -]?[0-9]{2}[ -]?[0-9]{2}[ -]?[0-9]{2}(?:[ -]?[A-Z])?\b").unwrap();
        assert_eq!(nino.anchor, Some(Anchor::Digit));
        // "AB 12 34 56 C": three bytes before the digits, two after, one between.
        assert_eq!(spread(&nino), (3, 2, 6));
        assert_eq!(nino.max_len, Some(13));
        assert!(
            nino.spread.class[b'a' as usize] && nino.spread.class[b' ' as usize] && !nino.spread.class[b'.' as usize]
        );
        let email = Pattern::new(r"(?-u)[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)+").unwrap();
        assert_eq!((email.anchor, spread(&email)), (Some(Anchor::At), (usize::MAX, usize::MAX, 1)));
        let phone = Pattern::new(r"(?-u)(?:\+44[0-9]{9,10}|0[1-9](?:[ -]?[0-9]){8,9})").unwrap();
        assert_eq!(spread(&phone), (1, 1, 10));
        let date = Pattern::new(r"(?i-u)\b[0-9]{1,2}(?:st|nd)?[ -](?:jan|feb)[a-z]{0,6}\.?,?[ -][0-9]{2,4}\b").unwrap();
        assert_eq!((date.spread.left, date.spread.right), (15, 15));
        // A digit in only one branch is not an anchor.
        assert_eq!(Pattern::new(r"[0-9]+|abc").unwrap().anchor, None);
        assert_eq!(Pattern::new(r"x[0-9]*").unwrap().anchor, None);
    }

    #[test]
    fn every_built_in_pattern_finds_in_windows_what_it_finds_in_random_text() {
        // Texts from pieces that make candidates of every rule, glued at
        // random (a fixed-seed generator, so failures repeat).
        let pieces = [
            "0",
            "7",
            "12",
            "943",
            "4505",
            "07700",
            "+44",
            "(0)",
            " ",
            "  ",
            "-",
            "/",
            ".",
            ",",
            "@",
            "AB",
            "me",
            "GB",
            "x",
            "Road",
            "Mar",
            "st",
            "\n",
            "é",
            "½",
            "NI",
            "\t",
            "Mill Lane",
            "a.b",
            "ç@",
            "3rd of",
        ];
        let mut patterns: Vec<String> =
            crate::detect::RuleSet::builtin().rules.into_iter().filter_map(|r| r.pattern).collect();
        patterns.push(
            r"(?-u:\b)(?P<v>[0-9]{1,4}[A-Za-z]?,? (?:[A-Z][a-z]{1,29} ){1,4}(?:Road|Lane)\.?)(?:[^A-Za-z]|$)".into(),
        );
        for text in crate::detect::tests::texts_from_pieces(&pieces, 400, 0..40, 0x9E37_79B9_7F4A_7C15) {
            for p in &patterns {
                assert_eq!(all_matches(p, &text), whole_text(p, &text), "{p} on {text:?}");
            }
            // A street line starts where a run of digits does.
            let street = patterns.last().expect("pushed above");
            let pattern = Pattern::new(street).unwrap();
            let mut anchors = Anchors::default();
            anchors.find(text.as_bytes());
            let mut at_runs = Vec::new();
            pattern.each_match_at_runs(&text, &anchors, |_, _| true, |s, e| at_runs.push((s, e)));
            assert_eq!(at_runs, whole_text(street, &text), "at runs on {text:?}");
        }
    }

    #[test]
    fn windows_find_exactly_what_a_whole_text_search_finds() {
        let patterns = [
            r"(?i-u)\b[A-Z]{2}[ -]?[0-9]{2}[ -]?[0-9]{2}[ -]?[0-9]{2}(?:[ -]?[A-Z])?\b",
            r"(?-u)\b[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}\b",
            r"(?-u)^\s*(?P<v>[1-7][0-9]{9})\s*$",
            r"(?-u)(?:(?:\+|00)44[ -]?(?:\(0\)[ -]?)?[1-9](?:[ -]?[0-9]){8,9}|0[1-9](?:[ -]?[0-9]){8,9})\b",
            r"(?-u)[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9]+)+",
            r"(?i-u)\b[0-9]{1,2}(?:st|nd|rd|th)?(?: of)?[ -](?:jan|feb|mar)[a-z]*\.?,?[ -][0-9]{2,4}\b",
            r"\d+",
        ];
        let texts = [
            "NI AB 12 34 56 C and 943 476 5919, call +44 7700 900123 or 07700900123.",
            "  7700900123  ",
            "mail jo.bloggs@example.co.uk, a@b or x@y.z@w.org; 12 3 45 678 9012 345 6789",
            "born 3rd of March 1985, 1 jan 99, 12-feb-2001 and 1234567890123456789012345",
            "",
            "no digits here at all",
            "é1 ½2 ٣ 4é4 AB123456C",
        ];
        for p in patterns {
            for t in texts {
                assert_eq!(all_matches(p, t), whole_text(p, t), "{p} on {t:?}");
            }
        }
    }
}
