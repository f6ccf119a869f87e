//! Context: words near a candidate and the header of its column or field.
//!
//! Terms are compared as sequences of lower-case words, so "D.O.B." matches
//! "d.o.b", "Date of Birth" matches "date of birth", and "dob" does not match
//! inside "adobe".

/// Split into lower-case alphanumeric words with their byte ranges.
pub fn words(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            out.push((s, i, text[s..i].to_lowercase()));
        }
    }
    if let Some(s) = start {
        out.push((s, text.len(), text[s..].to_lowercase()));
    }
    out
}

/// The words of `text` as slices with their byte ranges, without allocating.
pub fn word_slices(text: &str) -> impl DoubleEndedIterator<Item = (usize, &str)> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

/// Case-insensitive comparison of a word with a lower-case term word.
fn word_eq(word: &str, lower: &str) -> bool {
    if word.is_ascii() {
        word.eq_ignore_ascii_case(lower)
    } else {
        word.chars().flat_map(char::to_lowercase).eq(lower.chars())
    }
}

/// A list of terms, each pre-split into words.
#[derive(Debug, Clone, Default)]
pub struct Terms(Vec<Vec<String>>);

impl Terms {
    pub fn new(terms: &[String]) -> Terms {
        Terms(
            terms
                .iter()
                .map(|t| words(t).into_iter().map(|w| w.2).collect::<Vec<_>>())
                .filter(|t| !t.is_empty())
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Do the last words of `text` form one of the terms?
    pub fn ends(&self, text: &str) -> bool {
        let longest = self.0.iter().map(Vec::len).max().unwrap_or(0);
        let mut tail: Vec<&str> = word_slices(text).rev().take(longest).map(|w| w.1).collect();
        tail.reverse();
        self.0.iter().any(|t| {
            t.len() <= tail.len() && t.iter().zip(&tail[tail.len() - t.len()..]).all(|(term, w)| word_eq(w, term))
        })
    }

    /// Do the first words of `text` form one of the terms?
    pub fn begins(&self, text: &str) -> bool {
        let longest = self.0.iter().map(Vec::len).max().unwrap_or(0);
        let head: Vec<&str> = word_slices(text).take(longest).map(|w| w.1).collect();
        self.0.iter().any(|t| t.len() <= head.len() && t.iter().zip(&head).all(|(term, w)| word_eq(w, term)))
    }

    /// (start of first word, end of last word) of every place a term occurs.
    fn occurrences(&self, text: &str) -> Vec<(usize, usize)> {
        let ws: Vec<(usize, &str)> = word_slices(text).collect();
        let mut out = Vec::new();
        for i in 0..ws.len() {
            for t in &self.0 {
                if i + t.len() <= ws.len() && t.iter().zip(&ws[i..]).all(|(term, w)| word_eq(w.1, term)) {
                    let last = ws[i + t.len() - 1];
                    out.push((ws[i].0, last.0 + last.1.len()));
                }
            }
        }
        out
    }

    /// Does any term occur in `text`?
    pub fn found_in(&self, text: &str) -> bool {
        !self.occurrences(text).is_empty()
    }

    /// Byte offset just after the last term occurring in `text`.
    pub fn last_end(&self, text: &str) -> Option<usize> {
        self.occurrences(text).into_iter().map(|o| o.1).max()
    }

    /// Byte offset of the first term occurring in `text`.
    pub fn first_start(&self, text: &str) -> Option<usize> {
        self.occurrences(text).into_iter().map(|o| o.0).min()
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

/// Is one of `terms` within `window` bytes before or after `text[start..end]`?
/// With `adjacent`, the term must be the value's own label: before it, nothing
/// but a few letters and no digits in between; after it, only spaces and
/// brackets ("12/03/1985 (DOB)").
pub fn near(terms: &Terms, text: &str, start: usize, end: usize, window: usize, adjacent: bool) -> bool {
    if terms.is_empty() {
        return false;
    }
    let from = floor_char(text, start.saturating_sub(window));
    let before = &text[from..start];
    let found_before = if adjacent {
        terms.last_end(before).is_some_and(|e| {
            let gap = &before[e..];
            !gap.chars().any(|c| c.is_ascii_digit())
                && gap.chars().filter(|c| c.is_alphabetic()).count() <= MAX_GAP_LETTERS
        })
    } else {
        terms.found_in(before)
    };
    if found_before {
        return true;
    }
    let to = ceil_char(text, end + window);
    let after = &text[end..to];
    if adjacent {
        terms.first_start(after).is_some_and(|s| after[..s].chars().all(|c| c.is_whitespace() || "()[]-–:".contains(c)))
    } else {
        terms.found_in(after)
    }
}

/// Does the header match one of `terms` and none of `exclude`?
pub fn header_matches(header: &str, terms: &Terms, exclude: &Terms) -> bool {
    terms.found_in(header) && !exclude.found_in(header)
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
}
