//! Context: words near a candidate and the header of its column or field.
//!
//! Terms are compared as sequences of lower-case words, so "D.O.B." matches
//! "d.o.b", "Date of Birth" matches "date of birth", and "dob" does not match
//! inside "adobe".

use rustc_hash::FxHashMap;

/// Is `c` part of a word? Letters and digits; a word also ends where ASCII
/// letters meet ASCII digits (see [`splits`]), so a label glued to its value
/// ("Tel07700...", "DOB12/03/1985") still reads as the label.
fn word_char(c: char) -> bool {
    c.is_alphanumeric()
}

fn splits(a: char, b: char) -> bool {
    (a.is_ascii_digit() && b.is_ascii_alphabetic()) || (a.is_ascii_alphabetic() && b.is_ascii_digit())
}

/// The words of `text` as slices with their byte offsets, without allocating.
pub fn word_slices(text: &str) -> Words<'_> {
    Words { text, front: 0, back: text.len() }
}

/// Iterator over the words of a text, from either end.
#[derive(Clone)]
pub struct Words<'a> {
    text: &'a str,
    front: usize,
    back: usize,
}

impl<'a> Words<'a> {
    /// [`Iterator::next`] byte by byte while the bytes it looks at are
    /// ASCII (`None` as soon as one is not: the general walk then decides).
    #[inline]
    fn next_ascii(&mut self) -> Option<Option<(usize, &'a str)>> {
        let bytes = &self.text.as_bytes()[..self.back];
        let mut start = self.front;
        while start < bytes.len() && !bytes[start].is_ascii_alphanumeric() {
            if !bytes[start].is_ascii() {
                return None;
            }
            start += 1;
        }
        if start == bytes.len() {
            self.front = start;
            return Some(None);
        }
        let digits = bytes[start].is_ascii_digit();
        let mut end = start + 1;
        while end < bytes.len() && bytes[end].is_ascii_alphanumeric() && bytes[end].is_ascii_digit() == digits {
            end += 1;
        }
        if bytes.get(end).is_some_and(|b| !b.is_ascii()) {
            return None;
        }
        self.front = end;
        Some(Some((start, &self.text[start..end])))
    }

    /// [`DoubleEndedIterator::next_back`] byte by byte while the bytes it
    /// looks at are ASCII, like [`Words::next_ascii`].
    #[inline]
    fn next_back_ascii(&mut self) -> Option<Option<(usize, &'a str)>> {
        let bytes = self.text.as_bytes();
        let mut end = self.back;
        while end > self.front && !bytes[end - 1].is_ascii_alphanumeric() {
            if !bytes[end - 1].is_ascii() {
                return None;
            }
            end -= 1;
        }
        if end == self.front {
            self.back = end;
            return Some(None);
        }
        let digits = bytes[end - 1].is_ascii_digit();
        let mut start = end - 1;
        while start > self.front
            && bytes[start - 1].is_ascii_alphanumeric()
            && bytes[start - 1].is_ascii_digit() == digits
        {
            start -= 1;
        }
        if start > self.front && !bytes[start - 1].is_ascii() {
            return None;
        }
        self.back = start;
        Some(Some((start, &self.text[start..end])))
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<(usize, &'a str)> {
        self.next_ascii().unwrap_or_else(|| self.next_chars())
    }
}

impl<'a> DoubleEndedIterator for Words<'a> {
    fn next_back(&mut self) -> Option<(usize, &'a str)> {
        self.next_back_ascii().unwrap_or_else(|| self.next_back_chars())
    }
}

impl<'a> Words<'a> {
    /// The next word, char by char: the general rule.
    fn next_chars(&mut self) -> Option<(usize, &'a str)> {
        let rest = &self.text[self.front..self.back];
        let (skip, first) = rest.char_indices().find(|(_, c)| word_char(*c))?;
        let start = self.front + skip;
        let mut end = start + first.len_utf8();
        let mut prev = first;
        for c in self.text[end..self.back].chars() {
            if !word_char(c) || splits(prev, c) {
                break;
            }
            end += c.len_utf8();
            prev = c;
        }
        self.front = end;
        Some((start, &self.text[start..end]))
    }

    /// The last word, char by char: the general rule.
    fn next_back_chars(&mut self) -> Option<(usize, &'a str)> {
        let rest = &self.text[self.front..self.back];
        let (at, last) = rest.char_indices().rev().find(|(_, c)| word_char(*c))?;
        let end = self.front + at + last.len_utf8();
        let mut start = self.front + at;
        let mut next = last;
        for c in self.text[self.front..start].chars().rev() {
            if !word_char(c) || splits(c, next) {
                break;
            }
            start -= c.len_utf8();
            next = c;
        }
        self.back = start;
        Some((start, &self.text[start..end]))
    }
}

/// Split into lower-case words with their byte ranges.
pub fn words(text: &str) -> Vec<(usize, usize, String)> {
    word_slices(text).map(|(s, w)| (s, s + w.len(), w.to_lowercase())).collect()
}

/// Case-insensitive comparison of a word with a lower-case term word.
fn word_eq(word: &str, lower: &str) -> bool {
    if word.is_ascii() {
        word.eq_ignore_ascii_case(lower)
    } else {
        word.chars().flat_map(char::to_lowercase).eq(lower.chars())
    }
}

/// A list of terms, each pre-split into lower-case words.
#[derive(Debug, Clone, Default)]
pub struct Terms {
    terms: Vec<Vec<String>>,
}

impl Terms {
    pub fn new(terms: &[String]) -> Terms {
        let terms: Vec<Vec<String>> = terms
            .iter()
            .map(|t| words(t).into_iter().map(|w| w.2).collect::<Vec<_>>())
            .filter(|t| !t.is_empty())
            .collect();
        Terms { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The terms, as lower-case words.
    pub fn list(&self) -> &[Vec<String>] {
        &self.terms
    }

    /// Does any term occur in `text`?
    pub fn found_in(&self, text: &str) -> bool {
        !self.spans_in(text).is_empty()
    }

    /// Where the terms occur in `text`, as ranges of word indexes
    /// (`first..end`), in order of their first word.
    pub fn spans_in(&self, text: &str) -> Vec<(usize, usize)> {
        let ws: Vec<&str> = word_slices(text).map(|w| w.1).collect();
        let mut spans = Vec::new();
        for i in 0..ws.len() {
            for t in &self.terms {
                if i + t.len() <= ws.len() && t.iter().zip(&ws[i..]).all(|(term, w)| word_eq(w, term)) {
                    spans.push((i, i + t.len()));
                }
            }
        }
        spans
    }
}

/// The context terms of a group of rules, found by walking a text's words
/// once (most words pass a small filter without a hash lookup) or looked up
/// at one place (a term ending or starting there).
#[derive(Debug)]
pub struct Dictionary {
    /// Which words may be first or last words of a term: most words of a
    /// text are passed over on this alone, without hashing.
    first_filter: WordFilter,
    last_filter: WordFilter,
    /// Each distinct term as lower-case words.
    terms: Vec<Vec<String>>,
    /// Terms by their first and by their last word, for lookups at one place.
    first_map: FxHashMap<Box<[u8]>, Vec<u32>>,
    last_map: FxHashMap<Box<[u8]>, Vec<u32>>,
}

/// A set of term ids of a [`Dictionary`]: one rule's context.
#[derive(Debug, Clone, Default)]
pub struct TermSet(Vec<u64>);

impl TermSet {
    pub fn has(&self, term: u32) -> bool {
        self.0.get(term as usize / 64).is_some_and(|w| w & (1 << (term % 64)) != 0)
    }

    fn insert(&mut self, term: u32) {
        let i = term as usize / 64;
        if self.0.len() <= i {
            self.0.resize(i + 1, 0);
        }
        self.0[i] |= 1 << (term % 64);
    }
}

/// One place a term occurs in a segment: byte range and term id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub start: usize,
    pub end: usize,
    pub term: u32,
}

impl Dictionary {
    /// The dictionary of all `sets`, and each set's term ids, in order.
    pub fn new(sets: &[&Terms]) -> (Dictionary, Vec<TermSet>) {
        let mut terms: Vec<Vec<String>> = Vec::new();
        let mut ids = Vec::new();
        for set in sets {
            let mut ts = TermSet::default();
            for t in set.list() {
                let id = match terms.iter().position(|x| x == t) {
                    Some(i) => i as u32,
                    None => {
                        terms.push(t.clone());
                        (terms.len() - 1) as u32
                    }
                };
                ts.insert(id);
            }
            ids.push(ts);
        }
        let mut first_filter = WordFilter::default();
        let mut last_filter = WordFilter::default();
        for t in &terms {
            first_filter.insert(&t[0]);
            last_filter.insert(&t[t.len() - 1]);
        }
        let mut first_map: FxHashMap<Box<[u8]>, Vec<u32>> = FxHashMap::default();
        let mut last_map: FxHashMap<Box<[u8]>, Vec<u32>> = FxHashMap::default();
        for (id, t) in terms.iter().enumerate() {
            first_map.entry(t[0].as_bytes().into()).or_default().push(id as u32);
            last_map.entry(t[t.len() - 1].as_bytes().into()).or_default().push(id as u32);
        }
        (Dictionary { first_filter, last_filter, terms, first_map, last_map }, ids)
    }

    /// Does a term of `set` end exactly at `end` of `text`, starting at or
    /// after `from` ("Dear" before a name)?
    pub fn ends_at(&self, text: &str, set: &TermSet, from: usize, end: usize) -> bool {
        if !boundary(text, end) {
            return false;
        }
        let mut back = word_slices(&text[..end]);
        let Some((s, w)) = back.next_back() else { return false };
        if s + w.len() != end {
            return false;
        }
        if !self.last_filter.may_hold(w) {
            return false;
        }
        let Some(ids) = lookup(&self.last_map, w) else { return false };
        ids.iter().filter(|&&id| set.has(id)).any(|&id| {
            let t = &self.terms[id as usize];
            let mut start = s;
            let mut words = back.clone();
            t[..t.len() - 1].iter().rev().all(|term| match words.next_back() {
                Some((ws, w)) if word_eq(w, term) => {
                    start = ws;
                    true
                }
                _ => false,
            }) && start >= from
        })
    }

    /// Does a term of `set` start exactly at `start` of `text`, ending by `to`?
    pub fn starts_at(&self, text: &str, set: &TermSet, start: usize, to: usize) -> bool {
        let to = floor_char(text, to.min(text.len()));
        if start > to || !boundary(text, start) {
            return false;
        }
        let mut fwd = word_slices(&text[start..to]);
        let Some((0, w)) = fwd.next() else { return false };
        if !self.first_filter.may_hold(w) {
            return false;
        }
        let Some(ids) = lookup(&self.first_map, w) else { return false };
        ids.iter().filter(|&&id| set.has(id)).any(|&id| {
            let t = &self.terms[id as usize];
            let mut end = start + w.len();
            let mut words = fwd.clone();
            t[1..].iter().all(|term| match words.next() {
                Some((ws, w)) if word_eq(w, term) => {
                    end = start + ws + w.len();
                    true
                }
                _ => false,
            }) && boundary(text, end)
        })
    }

    /// Every occurrence of every term in `text`, in order of start, into `out`.
    #[cfg(test)]
    pub fn occurrences(&self, text: &str, out: &mut Vec<Occurrence>) {
        out.clear();
        self.occurrences_in(text, 0, text.len(), out);
    }

    /// The occurrences starting in `from..to` of `text` (char boundaries),
    /// in order of start, added to `out`: exactly those a walk over the
    /// whole text finds there.
    pub fn occurrences_in(&self, text: &str, from: usize, to: usize, out: &mut Vec<Occurrence>) {
        if self.terms.is_empty() {
            return;
        }
        let bytes = text.as_bytes();
        let mut i = from;
        if !boundary(text, i) {
            // Inside a word that starts before `from`: skip the rest of it.
            i += word_slices(&text[i..]).next().map_or(0, |(off, w)| off + w.len());
        }
        while i < to {
            let b = bytes[i];
            if b.is_ascii() && !b.is_ascii_alphanumeric() {
                i += 1;
                continue;
            }
            // A word: ASCII letters or digits, or the general case. (Stepping
            // through `Words` here instead costs about 10% more instructions
            // in detection: this loop skips separators without a call.)
            let start = i;
            let ascii_end = if b.is_ascii_digit() {
                start + bytes[start..].iter().take_while(|c| c.is_ascii_digit()).count()
            } else {
                start + bytes[start..].iter().take_while(|c| c.is_ascii_alphabetic()).count()
            };
            let end = if ascii_end > start && bytes.get(ascii_end).is_none_or(|c| c.is_ascii()) {
                i = ascii_end;
                if !self.first_filter.may_hold_ascii(&bytes[start..ascii_end]) {
                    continue;
                }
                ascii_end
            } else {
                match word_slices(&text[start..]).next() {
                    Some((0, w)) => {
                        i = start + w.len();
                        if !self.first_filter.may_hold(w) {
                            continue;
                        }
                        i
                    }
                    // Not a word character after all (a non-ASCII symbol).
                    _ => {
                        i = start + text[start..].chars().next().map_or(1, char::len_utf8);
                        continue;
                    }
                }
            };
            let Some(ids) = lookup(&self.first_map, &text[start..end]) else { continue };
            for &id in ids {
                if let Some(term_end) = self.rest_matches(text, id, end) {
                    out.push(Occurrence { start, end: term_end, term: id });
                }
            }
        }
    }

    /// Where term `id` ends, if its words after the first follow `after`.
    fn rest_matches(&self, text: &str, id: u32, after: usize) -> Option<usize> {
        let mut end = after;
        let mut next = word_slices(&text[after..]);
        for term_word in &self.terms[id as usize][1..] {
            match next.next() {
                Some((off, w)) if word_eq(w, term_word) => end = after + off + w.len(),
                _ => return None,
            }
        }
        Some(end)
    }
}

/// A Bloom-style filter of words, case-insensitive: `may_hold` is false
/// for almost every word not inserted, and true for every word inserted.
#[derive(Debug, Clone)]
struct WordFilter {
    bits: [u64; 64],
    /// Some inserted word is not ASCII: non-ASCII words always pass.
    non_ascii: bool,
}

impl Default for WordFilter {
    fn default() -> WordFilter {
        WordFilter { bits: [0; 64], non_ascii: false }
    }
}

impl WordFilter {
    /// A hash of an ASCII word's length, first two and last bytes, ignoring case.
    fn key(word: &[u8]) -> usize {
        let low = |i: usize| u32::from(word[i] | 0x20);
        let n = word.len();
        let h = (n as u32).wrapping_mul(0x9E37_79B9)
            ^ low(0).wrapping_mul(0x85EB_CA6B)
            ^ low(1.min(n - 1)).wrapping_mul(0xC2B2_AE35)
            ^ low(n - 1).wrapping_mul(0x27D4_EB2F);
        (h >> 20) as usize & 4095
    }

    fn insert(&mut self, lower: &str) {
        if lower.is_empty() {
            return;
        }
        if !lower.is_ascii() {
            self.non_ascii = true;
            return;
        }
        let k = WordFilter::key(lower.as_bytes());
        self.bits[k / 64] |= 1 << (k % 64);
    }

    fn may_hold(&self, word: &str) -> bool {
        if !word.is_ascii() {
            return self.non_ascii;
        }
        self.may_hold_ascii(word.as_bytes())
    }

    /// [`WordFilter::may_hold`] for a word known to be ASCII.
    #[inline]
    fn may_hold_ascii(&self, word: &[u8]) -> bool {
        if word.is_empty() {
            return false;
        }
        let k = WordFilter::key(word);
        self.bits[k / 64] & (1 << (k % 64)) != 0
    }
}

/// The entry for `word`, compared in lower case (without allocating for
/// short ASCII words).
fn lookup<'m>(map: &'m FxHashMap<Box<[u8]>, Vec<u32>>, word: &str) -> Option<&'m Vec<u32>> {
    if word.is_ascii() && word.len() <= 32 {
        let mut buf = [0u8; 32];
        let lower = &mut buf[..word.len()];
        lower.copy_from_slice(word.as_bytes());
        lower.make_ascii_lowercase();
        map.get(&*lower)
    } else {
        map.get(word.to_lowercase().as_bytes())
    }
}

/// Is byte offset `i` of `text` a word boundary (a word starts or ends there)?
fn boundary(text: &str, i: usize) -> bool {
    if !text.is_char_boundary(i) {
        return false;
    }
    let before = text[..i].chars().next_back();
    let after = text[i..].chars().next();
    match (before, after) {
        (Some(a), Some(b)) => !word_char(a) || !word_char(b) || splits(a, b),
        _ => true,
    }
}

/// The occurrences of a segment, looked up by position for one rule.
pub struct Near<'a> {
    pub text: &'a str,
    pub occurrences: &'a [Occurrence],
}

impl Near<'_> {
    /// The occurrences of `set` lying entirely within `from..to`.
    pub fn within<'s>(&'s self, set: &'s TermSet, from: usize, to: usize) -> impl Iterator<Item = Occurrence> + 's {
        let first = self.occurrences.partition_point(|o| o.start < from);
        self.occurrences[first..]
            .iter()
            .take_while(move |o| o.start < to)
            .filter(move |o| o.end <= to && set.has(o.term))
            .copied()
    }

    /// Is a term of `set` within `window` bytes before or after
    /// `text[start..end]`? With `adjacent`, the term must be the value's own
    /// label: before it, nothing but a few letters and no digits in between;
    /// after it, only spaces and brackets ("12/03/1985 (DOB)").
    pub fn near(&self, set: &TermSet, start: usize, end: usize, window: usize, adjacent: bool) -> bool {
        let text = self.text;
        let from = floor_char(text, start.saturating_sub(window));
        let mut before = self.within(set, from, start);
        let found_before = if adjacent {
            before.map(|o| o.end).max().is_some_and(|e| {
                let gap = &text[e..start];
                !gap.chars().any(|c| c.is_ascii_digit())
                    && gap.chars().filter(|c| c.is_alphabetic()).count() <= MAX_GAP_LETTERS
            })
        } else {
            before.next().is_some()
        };
        if found_before {
            return true;
        }
        let to = ceil_char(text, end + window);
        let mut after = self.within(set, end, to);
        if adjacent {
            after.map(|o| o.start).min().is_some_and(|s| {
                text[end..s].chars().all(|c| c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '-' | '–' | ':'))
            })
        } else {
            after.next().is_some()
        }
    }
}

/// Step back from `i` to a char boundary.
pub fn floor_char(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Step forward from `i` to a char boundary.
pub fn ceil_char(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i.min(text.len())
}

/// How many letters a label may have between itself and its value:
/// "Date of birth (ddmmyyyy): x", "born in Ashford on x".
const MAX_GAP_LETTERS: usize = 12;

/// Does a column header or form label name what `terms` hold? An excluded
/// word vetoes it ("Client ID", "Surname of school"), unless the word is part
/// of a longer included term: "service user" names a person although "user"
/// alone ("User ID") does not.
pub fn header_matches(header: &str, terms: &Terms, exclude: &Terms) -> bool {
    let found = terms.spans_in(header);
    if found.is_empty() {
        return false;
    }
    exclude.spans_in(header).iter().all(|&(s, e)| found.iter().any(|&(fs, fe)| fe - fs > e - s && fs <= s && e <= fe))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[&str]) -> Terms {
        Terms::new(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn terms_are_whole_words() {
        let dob = t(&["dob", "date of birth", "d.o.b"]);
        assert!(dob.found_in("Client DOB:"));
        assert!(dob.found_in("D.O.B."));
        assert!(dob.found_in("Date of Birth"));
        assert!(!dob.found_in("Adobe reader"));
        assert!(!dob.found_in("date of referral"));
    }

    fn near(terms: &Terms, text: &str, start: usize, end: usize, window: usize, adjacent: bool) -> bool {
        let (dict, sets) = Dictionary::new(&[terms]);
        let mut occ = Vec::new();
        dict.occurrences(text, &mut occ);
        Near { text, occurrences: &occ }.near(&sets[0], start, end, window, adjacent)
    }

    #[test]
    fn words_split_labels_glued_to_numbers() {
        let w: Vec<_> = word_slices("Tel07700 900, DOB:12/03 Zoë's").map(|w| w.1).collect();
        assert_eq!(w, ["Tel", "07700", "900", "DOB", "12", "03", "Zoë", "s"]);
        let back: Vec<_> = word_slices("Tel07700 900, DOB:12/03 Zoë's").rev().map(|w| w.1).collect();
        assert_eq!(back, ["s", "Zoë", "03", "12", "DOB", "900", "07700", "Tel"]);
        let terms = t(&["dob", "tel", "next of kin"]);
        let (dict, sets) = Dictionary::new(&[&terms]);
        let set = &sets[0];
        let text = "call Tel07700; adobe; Next of  Kin: Jo";
        assert!(dict.ends_at(text, set, 0, 8) && dict.starts_at(text, set, 5, 13));
        assert!(!dict.ends_at(text, set, 0, 20) && !dict.starts_at(text, set, 16, 21));
        assert!(dict.ends_at(text, set, 0, 34) && dict.starts_at(text, set, 22, 40));
        // The whole term must lie after `from` and end by `to`.
        assert!(!dict.ends_at(text, set, 25, 34) && !dict.starts_at(text, set, 22, 30));
    }

    #[test]
    fn ascii_word_steps_agree_with_the_general_rule() {
        let pieces = [
            "a", "Zo", "ë", "é", "12", "7", " ", "  ", ",", ".", "-", "'", "’", "½", "DOB", "tel", "\n", "é1", "x9y",
            "Ⅻ",
        ];
        for (n, text) in crate::detect::tests::texts_from_pieces(&pieces, 400, 0..24, 31).iter().enumerate() {
            // Forward, backward, and from both ends in turn.
            for pattern in [0u32, u32::MAX, 0x5555_5555, (n as u32).wrapping_mul(2_654_435_761)] {
                let (mut fast, mut general) = (word_slices(text), word_slices(text));
                for step in 0.. {
                    let back = pattern.rotate_left(step) & 1 == 1;
                    let (f, g) = if back {
                        (fast.next_back(), general.next_back_chars())
                    } else {
                        (fast.next(), general.next_chars())
                    };
                    assert_eq!(f, g, "{text:?}, step {step}, back {back}");
                    if f.is_none() {
                        break;
                    }
                }
            }
        }
    }

    #[test]
    fn dictionary_finds_whole_words_only() {
        let a = t(&["dob", "date of birth", "d.o.b"]);
        let b = t(&["nhs", "nhs number", "date"]);
        let (dict, sets) = Dictionary::new(&[&a, &b]);
        let mut occ = Vec::new();
        let text = "Adobe; D.O.B. 1/2/3, date of  birth, NHS Number: x, nhsnumber, dob7";
        dict.occurrences(text, &mut occ);
        let found: Vec<(&str, bool, bool)> =
            occ.iter().map(|o| (&text[o.start..o.end], sets[0].has(o.term), sets[1].has(o.term))).collect();
        assert_eq!(
            found,
            [
                ("D.O.B", true, false),
                ("date of  birth", true, false),
                ("date", false, true),
                ("NHS", false, true),
                ("NHS Number", false, true),
                ("dob", true, false),
            ]
        );
    }

    #[test]
    fn adjacency() {
        let dob = t(&["dob", "born"]);
        let text = "DOB: 12/03/1985 Seen: 01/04/2024";
        assert!(near(&dob, text, 5, 15, 40, true));
        assert!(!near(&dob, text, 22, 32, 40, true));
        let text = "DOB unknown. Referral date: 01/02/2024";
        assert!(!near(&dob, text, 28, 38, 40, true));
        let text = "12/03/1985 (DOB)";
        assert!(near(&dob, text, 0, 10, 40, true));
        assert!(near(&dob, "born in Ashford on 3 May 1980", 19, 29, 40, true));
    }

    #[test]
    fn headers() {
        let inc = t(&["client", "surname"]);
        let exc = t(&["id"]);
        assert!(header_matches("Client name", &inc, &exc));
        assert!(!header_matches("Client ID", &inc, &exc));
    }

    #[test]
    fn excluded_words_inside_a_longer_header_term_do_not_count() {
        let inc = t(&["service user", "contact", "contact name"]);
        let exc = t(&["user", "contact number", "id"]);
        assert!(header_matches("Service user", &inc, &exc));
        assert!(header_matches("Contact name", &inc, &exc));
        assert!(!header_matches("Service user ID", &inc, &exc));
        assert!(!header_matches("Contact number", &inc, &exc));
        assert!(!header_matches("User", &inc, &exc));
    }
}
