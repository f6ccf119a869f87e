//! Organisations are not people: a capitalised run found as a name that is,
//! or with the capitalised words after it becomes, an organisation's name
//! ("Kent County" before "Council", "Hope Trust", "Transwestern Pipeline
//! Company") is dropped by the engine, so a sweep, an anonymised copy and
//! the re-scan of that copy agree on it.

use std::sync::OnceLock;

use super::lists::{Lists, NameFlags};

/// The generic organisation words ("Council", "Police", "NHS", "Trust",
/// "Company"...) of `rules/names/curated/stop_words/organisations.txt`,
/// lower case and sorted: the single words of its generic section and the
/// last word of its phrases ("County Council" gives "council").
fn organisation_words() -> &'static Vec<String> {
    static WORDS: OnceLock<Vec<String>> = OnceLock::new();
    WORDS.get_or_init(|| {
        let text = include_str!("../../rules/names/curated/stop_words/organisations.txt");
        let mut out = Vec::new();
        let mut generic = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with("# ---") {
                generic = line.contains("generic organisation words");
                continue;
            }
            if generic && !line.is_empty() && !line.starts_with('#') {
                out.extend(line.split_whitespace().next_back().map(str::to_lowercase));
            }
        }
        out.extend(["nhs", "police", "council"].map(String::from));
        out.sort();
        out.dedup();
        out
    })
}

/// The words of a value: letters and digits, with apostrophes.
fn words(value: &str) -> impl DoubleEndedIterator<Item = &str> {
    value.split(|c: char| !c.is_alphanumeric() && c != '\'').filter(|w| !w.is_empty())
}

/// `word` in lower case, into `buf` when it is short ASCII (names and
/// organisation words are), else allocated.
fn lower<'b>(word: &str, buf: &'b mut [u8; 32], owned: &'b mut String) -> &'b str {
    if word.is_ascii() && word.len() <= buf.len() {
        let out = &mut buf[..word.len()];
        out.copy_from_slice(word.as_bytes());
        out.make_ascii_lowercase();
        // ASCII in, ASCII out.
        std::str::from_utf8(out).unwrap_or_default()
    } else {
        *owned = word.to_lowercase();
        owned
    }
}

/// The lists' name flags of `word`, whatever its case.
fn flags(word: &str, lists: &Lists) -> u8 {
    let (mut buf, mut owned) = ([0u8; 32], String::new());
    lists.flags(lower(word, &mut buf, &mut owned))
}

/// Is `word` an organisation word ("Council", "Trust") that is not also a
/// first name or surname ("Church")?
fn is_organisation_word(word: &str, lists: &Lists) -> bool {
    let (mut buf, mut owned) = ([0u8; 32], String::new());
    let word = lower(word, &mut buf, &mut owned);
    organisation_words().binary_search_by(|w| w.as_str().cmp(word)).is_ok()
        && lists.flags(word) & (NameFlags::FIRST | NameFlags::SUR) == 0
}

/// Does this value look like a person's full name: a known first name
/// first and a known surname last?
pub fn looks_like_full_name(value: &str, lists: &Lists) -> bool {
    let mut all = words(value);
    let (Some(first), Some(last)) = (all.next(), all.next_back()) else { return false };
    flags(first, lists) & NameFlags::FIRST != 0 && flags(last, lists) & NameFlags::SUR != 0
}

/// Is this value an organisation's name: several words, the last an
/// organisation word ("Kent County Council", "Hope Trust", "Kent Police")
/// that is not also a first name or surname ("Jane Church" stays a person)?
pub fn is_organisation(value: &str, lists: &Lists) -> bool {
    let mut all = words(value);
    let Some(last) = all.next_back() else { return false };
    all.next().is_some() && is_organisation_word(last, lists)
}

/// Is the name found at `text[start..end]` an organisation's, or the start
/// of one: does it, or it with some of the capitalised words that follow it
/// on the same line, end in an organisation word ("Kent County" +
/// " Council")? A first name and surname stay a person even before an
/// organisation word ("Jane Roberts Council Tax arrears").
pub fn starts_organisation(text: &str, start: usize, end: usize, lists: &Lists) -> bool {
    let value = &text[start..end];
    if is_organisation(value, lists) {
        return true;
    }
    if looks_like_full_name(value, lists) {
        return false;
    }
    let mut rest = &text[end..];
    for _ in 0..6 {
        let trimmed = rest.trim_start_matches(' ');
        if trimmed.len() == rest.len() {
            break;
        }
        let word_end = trimmed.find(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-').unwrap_or(trimmed.len());
        let word = &trimmed[..word_end];
        if !word.chars().next().is_some_and(char::is_uppercase) {
            break;
        }
        // The name and this word: several words, ending in this one.
        if words(word).next_back().is_some_and(|last| is_organisation_word(last, lists)) {
            return true;
        }
        rest = &trimmed[word_end..];
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisations_are_told_from_people() {
        let lists = Lists::builtin();
        assert!(is_organisation("Kent County Council", &lists));
        assert!(is_organisation("Maidstone and Tunbridge Wells NHS Trust", &lists));
        assert!(is_organisation("Kent Police", &lists));
        assert!(is_organisation("Hope Trust", &lists));
        assert!(is_organisation("Transwestern Pipeline Company", &lists));
        assert!(!is_organisation("Jane Roberts", &lists));
        assert!(!is_organisation("Jane Church", &lists));
        assert!(!is_organisation("Council", &lists));
        assert!(!is_organisation("Jane Roberts Family", &lists));
        assert!(looks_like_full_name("Jane Roberts", &lists));
        assert!(!looks_like_full_name("Kent County", &lists));
        let text = "Kent County Council wrote; Jane Roberts Council Tax arrears; Riverside Carers Trust; Tom Hope.";
        let at = |s: &str| (text.find(s).unwrap(), text.find(s).unwrap() + s.len());
        for (name, org) in
            [("Kent County", true), ("Jane Roberts", false), ("Riverside Carers", true), ("Tom Hope", false)]
        {
            let (s, e) = at(name);
            assert_eq!(starts_organisation(text, s, e, &lists), org, "{name}");
        }
    }
}
