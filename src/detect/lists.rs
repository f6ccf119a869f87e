//! The word lists (`rules/lists/`, `rules/names/`) that validators and
//! detectors consult. Depends only on the name table, so that validators
//! can use the lists without depending on rule loading.

use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap, FxHashSet};

use super::category::Category;
use super::name_table::NameTable;

/// Word lists used by validators and detectors. All lower case, except the
/// postcode areas which are upper case.
#[derive(Debug, Default, Clone)]
pub struct Lists {
    pub postcode_areas: FxHashSet<String>,
    pub role_mailboxes: FxHashSet<String>,
    pub street_types: FxHashSet<String>,
    pub placeholders: FxHashSet<String>,
    /// Country calling codes (lists/calling_codes.txt), with the length of
    /// the national number where the country's plan fixes it.
    pub calling_codes: FxHashMap<String, NationalLength>,
    /// Words ending a house name (lists/house_types.txt): `Cottage`, `Farm`.
    pub house_types: FxHashSet<String>,
    /// UK area codes (`01524`, `016977`) whose numbers may have 9 digits
    /// after the 0 (lists/uk_short_numbers.txt); elsewhere they have 10.
    pub uk_short_number_areas: FxHashSet<String>,
    /// Phrases that show a contact detail on the same line belongs to an
    /// organisation (lists/organisation_context.txt), lower case.
    pub organisation_context: Vec<String>,
    /// Phrases of an organisation's contact lines that its staff's details
    /// also stand beside (lists/organisation_contact_context.txt), lower case:
    /// they make a detail the organisation's unless a person is named before it.
    pub organisation_contact_context: Vec<String>,
    /// Every word or phrase of the name lists (first names, surnames,
    /// ambiguous words, stop words, titles), and the street types, with its
    /// [`NameFlags`] bits: one lookup per word.
    pub name_flags: NameTable,
    /// Special category words for running text (lists/special/<category>.txt),
    /// as written (matched ignoring ASCII case), each with its category.
    pub special_terms: Vec<(Category, String)>,
    /// Phrases that, right beside a special category word, make the text
    /// about a place, service, event or group (lists/special/not_personal.txt).
    pub special_not_personal: Vec<String>,
    /// Answers in a special category column that reveal nothing
    /// (lists/special/not_stated.txt), lower case.
    pub special_not_stated: FxHashSet<String>,
}

/// How many digits a country's national (significant) number has, after its
/// calling code: `48:9` in lists/calling_codes.txt, `353:7-9`, or any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NationalLength {
    pub min: u8,
    pub max: u8,
}

impl NationalLength {
    /// No length given: E.164 alone limits it.
    pub const ANY: NationalLength = NationalLength { min: 0, max: u8::MAX };

    /// `code`, `code:n` or `code:min-max` → the code and its length; `None`
    /// if the entry is not of that form.
    pub fn parse_entry(entry: &str) -> Option<(&str, NationalLength)> {
        let (code, len) = match entry.split_once(':') {
            Some((code, len)) => (code, Some(len)),
            None => (entry, None),
        };
        if code.is_empty() || code.len() > 3 || !code.bytes().all(|b| b.is_ascii_digit()) || code.starts_with('0') {
            return None;
        }
        let Some(len) = len else { return Some((code, NationalLength::ANY)) };
        let (min, max) = len.split_once('-').unwrap_or((len, len));
        let (min, max) = (min.parse().ok()?, max.parse().ok()?);
        (min <= max).then_some((code, NationalLength { min, max }))
    }

    pub fn fits(self, digits: usize) -> bool {
        (self.min as usize..=self.max as usize).contains(&digits)
    }
}

/// Bits of [`Lists::name_flags`].
pub struct NameFlags;

impl NameFlags {
    pub const FIRST: u8 = 1;
    pub const SUR: u8 = 2;
    pub const AMBIGUOUS: u8 = 4;
    pub const STOP: u8 = 8;
    pub const TITLE: u8 = 16;
    /// A street type (`Lane`, `Road`), as in [`Lists::street_types`].
    pub const STREET: u8 = 32;
}

/// The word lists compiled into the binary.
const BUILTIN_LISTS: &[(&str, &str)] = &[
    builtin_file!("lists/postcode_areas.txt"),
    builtin_file!("lists/role_mailboxes.txt"),
    builtin_file!("lists/street_types.txt"),
    builtin_file!("lists/placeholders.txt"),
    builtin_file!("lists/organisation_context.txt"),
    builtin_file!("lists/organisation_contact_context.txt"),
    builtin_file!("lists/calling_codes.txt"),
    builtin_file!("lists/house_types.txt"),
    builtin_file!("lists/uk_short_numbers.txt"),
    builtin_file!("lists/special/health.txt"),
    builtin_file!("lists/special/ethnicity.txt"),
    builtin_file!("lists/special/religion.txt"),
    builtin_file!("lists/special/sexual_orientation.txt"),
    builtin_file!("lists/special/criminal_record.txt"),
    builtin_file!("lists/special/not_personal.txt"),
    builtin_file!("lists/special/not_stated.txt"),
    builtin_file!("names/first_names.txt"),
    builtin_file!("names/surnames.txt"),
    builtin_file!("names/ambiguous.txt"),
    builtin_file!("names/stop_words.txt"),
    builtin_file!("names/titles.txt"),
];

/// One list file's entries: one per line (or several separated by spaces for
/// the lists of single words), `#` starts a comment line.
fn parse_list(text: &str, words_per_line: bool) -> impl Iterator<Item = &str> + '_ {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).flat_map(move |l| {
        let (mut whole, mut words) = (Some(l), l.split_whitespace());
        std::iter::from_fn(move || if words_per_line { words.next() } else { whole.take() })
    })
}

/// `word` in lower case, written into `buf` (no allocation once `buf` is
/// large enough; ASCII, which nearly every listed name is, byte by byte).
fn lower_into<'b>(word: &str, buf: &'b mut String) -> &'b str {
    buf.clear();
    if word.is_ascii() {
        buf.push_str(word);
        buf.make_ascii_lowercase();
    } else {
        buf.extend(word.chars().flat_map(char::to_lowercase));
    }
    buf
}

/// The [`NameFlags`] bit a name list file sets (`None` for other lists).
fn name_bit(file: &str) -> Option<u8> {
    use NameFlags as F;
    match file.rsplit('/').next().unwrap_or(file) {
        "first_names.txt" => Some(F::FIRST),
        "surnames.txt" => Some(F::SUR),
        "ambiguous.txt" => Some(F::AMBIGUOUS),
        "stop_words.txt" => Some(F::STOP),
        "titles.txt" => Some(F::TITLE),
        _ => None,
    }
}

impl Lists {
    /// The lists from `(file, text)` pairs, with room in the name table for
    /// every name list's entries made once, not list by list.
    fn from_texts<'t>(texts: impl IntoIterator<Item = (&'t str, &'t str)> + Clone) -> Lists {
        let mut lists = Lists::default();
        let names = texts
            .clone()
            .into_iter()
            .filter(|(file, _)| name_bit(file).is_some())
            .map(|(_, text)| text.lines().count());
        lists.name_flags.reserve(names.sum());
        for (file, text) in texts {
            lists.add(file, text);
        }
        lists
    }

    fn add(&mut self, file: &str, text: &str) {
        if let Some(bit) = name_bit(file) {
            let mut lower = String::new();
            for w in parse_list(text, false) {
                self.name_flags.add(lower_into(w, &mut lower), bit);
            }
            return;
        }
        if let Some(special) = file.strip_prefix("lists/special/") {
            match special.strip_suffix(".txt") {
                Some("not_personal") => {
                    self.special_not_personal.extend(parse_list(text, false).map(|w| w.to_lowercase()))
                }
                Some("not_stated") => self.special_not_stated.extend(parse_list(text, false).map(|w| w.to_lowercase())),
                Some(name) => {
                    if let Some(cat) = Category::parse(name) {
                        self.special_terms.extend(parse_list(text, false).map(|w| (cat, w.to_string())));
                    }
                }
                None => {}
            }
            return;
        }
        let (set, upper, words) = match file.rsplit('/').next().unwrap_or(file) {
            "postcode_areas.txt" => (&mut self.postcode_areas, true, true),
            "role_mailboxes.txt" => (&mut self.role_mailboxes, false, true),
            "street_types.txt" => {
                // Also flagged in the name table: one lookup per capitalised word.
                for w in parse_list(text, true) {
                    self.name_flags.add(&w.to_lowercase(), NameFlags::STREET);
                }
                (&mut self.street_types, false, true)
            }
            "placeholders.txt" => (&mut self.placeholders, false, false),
            "house_types.txt" => (&mut self.house_types, false, true),
            "uk_short_numbers.txt" => (&mut self.uk_short_number_areas, false, true),
            "calling_codes.txt" => {
                // Entries not of the form `code[:length]` are passed over.
                self.calling_codes.extend(
                    parse_list(text, true)
                        .filter_map(NationalLength::parse_entry)
                        .map(|(code, len)| (code.to_string(), len)),
                );
                return;
            }
            "organisation_context.txt" => {
                self.organisation_context.extend(parse_list(text, false).map(|w| w.to_lowercase()));
                return;
            }
            "organisation_contact_context.txt" => {
                self.organisation_contact_context.extend(parse_list(text, false).map(|w| w.to_lowercase()));
                return;
            }
            _ => return,
        };
        set.extend(parse_list(text, words).map(|w| if upper { w.to_uppercase() } else { w.to_lowercase() }));
    }

    /// The lists compiled into the binary.
    pub fn builtin() -> Lists {
        Lists::from_texts(BUILTIN_LISTS.iter().copied())
    }

    /// The [`NameFlags`] of a lower-case word (0 if in no list).
    pub fn flags(&self, lower: &str) -> u8 {
        self.name_flags.get(lower)
    }

    /// Lists from `dir/lists` and `dir/names`, built-in ones where a file is missing.
    pub(super) fn from_dir(dir: &Path) -> Result<Lists, (PathBuf, std::io::Error)> {
        let mut texts = Vec::new();
        for (file, builtin) in BUILTIN_LISTS {
            let path = dir.join(file);
            let text = if path.exists() {
                std::borrow::Cow::Owned(std::fs::read_to_string(&path).map_err(|source| (path, source))?)
            } else {
                std::borrow::Cow::Borrowed(*builtin)
            };
            texts.push((*file, text));
        }
        Ok(Lists::from_texts(texts.iter().map(|(file, text)| (*file, &**text))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lists_load() {
        let l = Lists::builtin();
        assert_eq!(l.postcode_areas.len(), 125);
        assert!(l.postcode_areas.contains("ME") && l.role_mailboxes.contains("info"));
    }

    #[test]
    fn calling_codes_are_a_prefix_code_with_lengths() {
        let l = Lists::builtin();
        let codes = &l.calling_codes;
        assert!(codes.len() > 200, "{}", codes.len());
        for code in codes.keys() {
            for n in 1..code.len() {
                assert!(!codes.contains_key(&code[..n]), "{} begins {code}", &code[..n]);
            }
        }
        assert_eq!(codes["48"], NationalLength { min: 9, max: 9 });
        assert_eq!(codes["353"], NationalLength { min: 7, max: 9 });
        assert_eq!(codes["49"], NationalLength::ANY);
        assert!(codes.contains_key("44") && codes.contains_key("1") && !codes.contains_key("999"));
        // Every entry of the file is read: none is passed over as malformed.
        let text = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/lists/calling_codes.txt"));
        assert_eq!(parse_list(text, true).count(), codes.len());
        for bad in ["", "0", "1234", "48:", "48:x", "48:9-7", "x1", "01"] {
            assert_eq!(NationalLength::parse_entry(bad), None, "{bad:?}");
        }
        assert_eq!(NationalLength::parse_entry("20:8-10"), Some(("20", NationalLength { min: 8, max: 10 })));
        assert!(l.house_types.contains("cottage") && l.house_types.contains("rectory"));
    }

    #[test]
    fn list_words_are_read_trimmed_and_lower_cased() {
        let mut l = Lists::default();
        l.add("names/first_names.txt", "# a comment\n  Siobhan \nZOË\n\nÉlodie\nAnne Marie\n");
        l.add("names/surnames.txt", "Roberts\nÉlodie\n");
        l.add("lists/street_types.txt", "Road rd\n# not this\nAVENUE\n");
        use NameFlags as F;
        assert_eq!(l.flags("siobhan"), F::FIRST);
        assert_eq!(l.flags("zoë"), F::FIRST);
        assert_eq!(l.flags("élodie"), F::FIRST | F::SUR);
        assert_eq!(l.flags("anne marie"), F::FIRST, "a line is one entry");
        assert_eq!(l.flags("roberts"), F::SUR);
        assert_eq!(l.flags("# a comment") | l.flags("Siobhan") | l.flags(""), 0);
        let mut streets: Vec<&str> = l.street_types.iter().map(String::as_str).collect();
        streets.sort();
        assert_eq!(streets, ["avenue", "rd", "road"], "a word a line for street types");
        // Street types are flagged in the name table too (one lookup per word).
        l.add("names/surnames.txt", "Lane\n");
        l.add("lists/street_types.txt", "lane\n");
        assert_eq!(l.flags("road") | l.flags("rd"), F::STREET);
        assert_eq!(l.flags("lane"), F::SUR | F::STREET);
    }
}
