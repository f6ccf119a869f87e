//! The categories of personal data in the findings contract, with how each
//! one's values are normalised (for keyed hashes and comparisons) and masked.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Name,
    Dob,
    Nino,
    Postcode,
    Phone,
    Email,
    NhsNumber,
    BankCard,
    SortCode,
    BankAccount,
    Address,
    // Special category data (UK GDPR Articles 9 and 10).
    Health,
    Ethnicity,
    Religion,
    SexualOrientation,
    CriminalRecord,
}

impl Category {
    pub const ALL: [Category; 16] = [
        Category::Name,
        Category::Dob,
        Category::Nino,
        Category::Postcode,
        Category::Phone,
        Category::Email,
        Category::NhsNumber,
        Category::BankCard,
        Category::SortCode,
        Category::BankAccount,
        Category::Address,
        Category::Health,
        Category::Ethnicity,
        Category::Religion,
        Category::SexualOrientation,
        Category::CriminalRecord,
    ];

    /// The special categories (UK GDPR Articles 9 and 10): health,
    /// ethnicity, religion, sexual orientation, criminal record.
    pub const SPECIAL: [Category; 5] = [
        Category::Health,
        Category::Ethnicity,
        Category::Religion,
        Category::SexualOrientation,
        Category::CriminalRecord,
    ];

    /// Is this special category data (needs the strongest care)?
    pub fn is_special(&self) -> bool {
        Category::SPECIAL.contains(self)
    }

    /// The exact name used in the findings contract.
    pub fn as_str(&self) -> &'static str {
        match self {
            Category::Name => "name",
            Category::Dob => "dob",
            Category::Nino => "nino",
            Category::Postcode => "postcode",
            Category::Phone => "phone",
            Category::Email => "email",
            Category::NhsNumber => "nhs_number",
            Category::BankCard => "bank_card",
            Category::SortCode => "sort_code",
            Category::BankAccount => "bank_account",
            Category::Address => "address",
            Category::Health => "health",
            Category::Ethnicity => "ethnicity",
            Category::Religion => "religion",
            Category::SexualOrientation => "sexual_orientation",
            Category::CriminalRecord => "criminal_record",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The canonical form of a value: two spellings of the same identifier
    /// normalise to the same string (`ab 12 34 56 c` and `AB123456C`).
    pub fn normalise(&self, value: &str) -> String {
        let mut out = String::new();
        self.normalise_into(value, &mut out);
        out
    }

    /// [`Category::normalise`] written into `out`, replacing what it held:
    /// with a buffer kept between calls, most values need no allocation.
    pub fn normalise_into(&self, value: &str, out: &mut String) {
        out.clear();
        match self {
            Category::Nino => push_ascii_alphanumeric_upper(value, out),
            Category::NhsNumber | Category::BankCard | Category::SortCode | Category::BankAccount => {
                push_ascii_digits(value, out)
            }
            Category::Phone => normalise_phone_into(value, out),
            Category::Postcode => {
                push_ascii_alphanumeric_upper(value, out);
                if out.len() > 3 {
                    // All ASCII: any byte offset is a character boundary.
                    out.insert(out.len() - 3, ' ');
                }
            }
            Category::Email => push_lowercase(value.trim(), out),
            Category::Dob => match super::dates::parse_date(value) {
                Some((y, m, d)) => {
                    use std::fmt::Write;
                    write!(out, "{y:04}-{m:02}-{d:02}").expect("writing to a String does not fail")
                }
                None => push_lowercase(value.trim(), out),
            },
            Category::Name | Category::Address => normalise_words_into(value, out),
            Category::Health
            | Category::Ethnicity
            | Category::Religion
            | Category::SexualOrientation
            | Category::CriminalRecord => normalise_words_into(value, out),
        }
    }

    /// A masked form safe to show: enough to recognise, not to reuse.
    pub fn mask(&self, value: &str) -> String {
        let mut out = String::new();
        self.mask_into(value, &mut out);
        out
    }

    /// [`Category::mask`] written into `out`, replacing what it held.
    pub fn mask_into(&self, value: &str, out: &mut String) {
        out.clear();
        match self {
            Category::Name => {
                for (i, word) in value.split_whitespace().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    let mut cs = word.chars();
                    if let Some(first) = cs.next() {
                        out.push(first);
                    }
                    push_stars(cs.count(), out);
                }
            }
            Category::Email => match value.split_once('@') {
                Some((local, domain)) => {
                    let mut cs = local.chars();
                    if let Some(first) = cs.next() {
                        out.push(first);
                    }
                    push_stars(cs.count(), out);
                    out.push('@');
                    out.push_str(domain);
                }
                None => mask_middle_into(value, 1, 0, out),
            },
            Category::Postcode => {
                // Keep the outward code (a district, not a person).
                match value.trim().rsplit_once(' ') {
                    Some((outward, inward)) => {
                        out.push_str(outward);
                        out.push(' ');
                        push_stars(inward.chars().count(), out);
                    }
                    None => mask_middle_into(value, value.chars().count().saturating_sub(3), 0, out),
                }
            }
            Category::Dob => out.extend(value.chars().map(|c| if c.is_ascii_digit() { '*' } else { c })),
            Category::Address => {
                for (i, word) in value.split_whitespace().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    if word.bytes().any(|b| b.is_ascii_digit()) {
                        push_stars(word.chars().count(), out);
                    } else {
                        out.push_str(word);
                    }
                }
            }
            _ => mask_middle_into(value, 2, 3, out),
        }
    }
}

/// `n` stars.
fn push_stars(n: usize, out: &mut String) {
    out.extend(std::iter::repeat_n('*', n));
}

/// The ASCII letters and digits of `value`, upper-cased.
fn push_ascii_alphanumeric_upper(value: &str, out: &mut String) {
    out.extend(value.bytes().filter(u8::is_ascii_alphanumeric).map(|b| char::from(b.to_ascii_uppercase())));
}

/// The ASCII digits of `value`.
fn push_ascii_digits(value: &str, out: &mut String) {
    out.extend(value.bytes().filter(u8::is_ascii_digit).map(char::from));
}

/// `value.to_lowercase()`, without an allocation when `value` is ASCII.
fn push_lowercase(value: &str, out: &mut String) {
    if value.is_ascii() {
        out.extend(value.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        out.push_str(&value.to_lowercase());
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Keep `keep_start` and `keep_end` alphanumeric characters, star the other
/// alphanumerics, keep separators: `AB 12 34 56 C` → `AB ** ** 56 C`.
pub fn mask_middle(value: &str, keep_start: usize, keep_end: usize) -> String {
    let mut out = String::new();
    mask_middle_into(value, keep_start, keep_end, &mut out);
    out
}

/// [`mask_middle`] added to the end of `out`.
fn mask_middle_into(value: &str, keep_start: usize, keep_end: usize, out: &mut String) {
    let total = value.chars().filter(|c| c.is_alphanumeric()).count();
    if total <= keep_start + keep_end {
        out.extend(value.chars().map(|c| if c.is_alphanumeric() { '*' } else { c }));
        return;
    }
    let mut seen = 0;
    out.extend(value.chars().map(|c| {
        if !c.is_alphanumeric() {
            return c;
        }
        seen += 1;
        if seen <= keep_start || seen > total - keep_end { c } else { '*' }
    }));
}

/// Lowercase, strip punctuation other than inner apostrophes and hyphens,
/// collapse white space.
pub fn normalise_words(value: &str) -> String {
    let mut out = String::new();
    normalise_words_into(value, &mut out);
    out
}

/// [`normalise_words`] added to the end of `out`; ASCII text is done in
/// place, other text the general way.
fn normalise_words_into(value: &str, out: &mut String) {
    if !value.is_ascii() {
        // Lower-casing the joined words at once keeps what `str::to_lowercase`
        // does with context (a final sigma).
        let joined = value
            .split(|c: char| c.is_whitespace() || c == ',' || c == '.')
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).replace('’', "'"))
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        out.push_str(&joined.to_lowercase());
        return;
    }
    let start = out.len();
    // The ASCII characters `char::is_whitespace` accepts: tab to carriage return, space.
    let separator = |b: &u8| matches!(b, b'\t'..=b'\r' | b' ' | b',' | b'.');
    for word in value.as_bytes().split(separator) {
        let Some(first) = word.iter().position(u8::is_ascii_alphanumeric) else { continue };
        let last = word.iter().rposition(u8::is_ascii_alphanumeric).expect("a first implies a last");
        if out.len() > start {
            out.push(' ');
        }
        out.extend(word[first..=last].iter().map(|b| char::from(b.to_ascii_lowercase())));
    }
}

/// A phone number's canonical form. UK numbers in national digits:
/// `+44 (0)7700 900123` → `07700900123`; other international numbers as
/// `+` and their digits, without a bracketed trunk zero: `0048 512 345 678`
/// and `+48 512-345-678` → `+48512345678`, `+33 (0)6 12 34 56 78` →
/// `+33612345678`.
pub fn normalise_phone(value: &str) -> String {
    let mut out = String::new();
    normalise_phone_into(value, &mut out);
    out
}

/// Is `value` written with a `+` first (`+48 ...`, `(+48) ...`)?
pub(crate) fn written_with_plus(value: &str) -> bool {
    let v = value.trim_start();
    v.starts_with('+') || v.starts_with("(+")
}

/// The digits of an international number after its `+` (`plus`) or its
/// `00`, leaving out a bracketed trunk zero: `+33 (0)6 12` → `33612`.
pub(crate) fn international_digits(value: &str, plus: bool) -> impl Iterator<Item = u8> + '_ {
    let trunk = value.find("(0)");
    value
        .bytes()
        .enumerate()
        .filter(move |&(i, b)| b.is_ascii_digit() && trunk.is_none_or(|t| !(t..t + 3).contains(&i)))
        .map(|(_, b)| b)
        .skip(if plus { 0 } else { 2 })
}

/// [`normalise_phone`] written into `out`, which must be empty.
fn normalise_phone_into(value: &str, out: &mut String) {
    debug_assert!(out.is_empty());
    push_ascii_digits(value, out);
    let plus = written_with_plus(value);
    let country = if out.starts_with("0044") {
        Some(4)
    } else if (plus || (out.len() == 12 && value.trim_start().starts_with("44"))) && out.starts_with("44") {
        Some(2)
    } else if plus || out.starts_with("00") {
        out.clear();
        out.push('+');
        out.extend(international_digits(value, plus).map(char::from));
        return;
    } else {
        None
    };
    match country {
        Some(n) if out[n..].starts_with('0') => {
            out.drain(..n);
        }
        Some(n) => out.replace_range(..n, "0"),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising() {
        assert_eq!(Category::Nino.normalise("ab 12 34 56 c"), "AB123456C");
        assert_eq!(Category::Postcode.normalise("me145pp"), "ME14 5PP");
        assert_eq!(Category::Postcode.normalise("ME14  5PP"), "ME14 5PP");
        assert_eq!(Category::Phone.normalise("+44 (0)7700 900123"), "07700900123");
        assert_eq!(Category::Phone.normalise("+44 7700 900123"), "07700900123");
        assert_eq!(Category::Phone.normalise("0044 1622 123456"), "01622123456");
        assert_eq!(Category::Phone.normalise("(01622) 123456"), "01622123456");
        // Numbers outside the UK keep their country code, never a UK 0.
        for written in ["+48 512 345 678", "0048 512 345 678", "+48-512-345-678", "(+48) 512345678", " +48512345678"] {
            assert_eq!(Category::Phone.normalise(written), "+48512345678", "{written:?}");
        }
        assert_eq!(Category::Phone.normalise("+33 (0)6 12 34 56 78"), "+33612345678");
        assert_eq!(Category::Phone.normalise("0033 (0)6 12 34 56 78"), "+33612345678");
        assert_eq!(Category::Phone.normalise("+1 (202) 555-0143"), "+12025550143");
        assert_eq!(Category::Phone.normalise("+353 87 123 4567"), "+353871234567");
        assert_eq!(Category::Name.normalise("  O’Brien,  Siobhan "), "o'brien siobhan");
        assert_eq!(Category::Dob.normalise("3 March 1985"), "1985-03-03");
        assert_eq!(Category::Dob.normalise("03/03/85"), "1985-03-03");
    }

    #[test]
    fn masking() {
        assert_eq!(Category::Nino.mask("AB123456C"), "AB****56C");
        assert_eq!(Category::Nino.mask("AB 12 34 56 C"), "AB ** ** 56 C");
        assert_eq!(Category::Name.mask("Jane Roberts"), "J*** R******");
        assert_eq!(Category::Email.mask("jane@x.org"), "j***@x.org");
        assert_eq!(Category::Postcode.mask("ME14 5PP"), "ME14 ***");
        assert_eq!(Category::Dob.mask("12/03/1985"), "**/**/****");
        assert_eq!(Category::Phone.mask("+48 512 345 678"), "+48 *** *** 678");
        assert_eq!(Category::Phone.mask("0048 512 345 678"), "00** *** *** 678");
    }

    /// The allocating forms these functions had before they wrote into
    /// buffers: the buffered forms must give exactly the same strings.
    mod before {
        use super::super::Category;

        pub fn normalise(cat: Category, value: &str) -> String {
            match cat {
                Category::Nino => {
                    value.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase()
                }
                Category::NhsNumber | Category::BankCard | Category::SortCode | Category::BankAccount => {
                    value.chars().filter(|c| c.is_ascii_digit()).collect()
                }
                Category::Phone => normalise_phone(value),
                Category::Postcode => {
                    let compact: String =
                        value.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
                    if compact.len() > 3 {
                        let (out, inw) = compact.split_at(compact.len() - 3);
                        format!("{out} {inw}")
                    } else {
                        compact
                    }
                }
                Category::Email => value.trim().to_lowercase(),
                Category::Dob => crate::detect::dates::parse_date(value)
                    .map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
                    .unwrap_or_else(|| value.trim().to_lowercase()),
                Category::Name | Category::Address => normalise_words(value),
                Category::Health
                | Category::Ethnicity
                | Category::Religion
                | Category::SexualOrientation
                | Category::CriminalRecord => normalise_words(value),
            }
        }

        pub fn mask(cat: Category, value: &str) -> String {
            match cat {
                Category::Name => value
                    .split_whitespace()
                    .map(|w| {
                        let mut cs = w.chars();
                        let first = cs.next().map(String::from).unwrap_or_default();
                        first + &"*".repeat(cs.count())
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
                Category::Email => match value.split_once('@') {
                    Some((local, domain)) => {
                        let first: String = local.chars().take(1).collect();
                        format!("{first}{}@{domain}", "*".repeat(local.chars().count().saturating_sub(1)))
                    }
                    None => mask_middle_before(value, 1, 0),
                },
                Category::Postcode => match value.trim().rsplit_once(' ') {
                    Some((out, inw)) => format!("{out} {}", "*".repeat(inw.chars().count())),
                    None => mask_middle_before(value, value.chars().count().saturating_sub(3), 0),
                },
                Category::Dob => value.chars().map(|c| if c.is_ascii_digit() { '*' } else { c }).collect(),
                Category::Address => value
                    .split_whitespace()
                    .map(|w| {
                        if w.chars().any(|c| c.is_ascii_digit()) {
                            "*".repeat(w.chars().count())
                        } else {
                            w.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => mask_middle_before(value, 2, 3),
            }
        }

        pub fn mask_middle_before(value: &str, keep_start: usize, keep_end: usize) -> String {
            let total = value.chars().filter(|c| c.is_alphanumeric()).count();
            if total <= keep_start + keep_end {
                return value.chars().map(|c| if c.is_alphanumeric() { '*' } else { c }).collect();
            }
            let mut seen = 0;
            value
                .chars()
                .map(|c| {
                    if !c.is_alphanumeric() {
                        return c;
                    }
                    seen += 1;
                    if seen <= keep_start || seen > total - keep_end { c } else { '*' }
                })
                .collect()
        }

        pub fn normalise_words(value: &str) -> String {
            value
                .split(|c: char| c.is_whitespace() || c == ',' || c == '.')
                .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).replace('’', "'"))
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        }

        pub fn normalise_phone(value: &str) -> String {
            let digits: String = value.chars().filter(|c| c.is_ascii_digit()).collect();
            let trimmed = value.trim_start();
            let plus = trimmed.starts_with('+') || trimmed.starts_with("(+");
            // 12 digits written from `44` are a UK number without its `+`.
            let bare = digits.len() == 12 && trimmed.starts_with("44");
            let rest =
                digits.strip_prefix("0044").or_else(|| if plus || bare { digits.strip_prefix("44") } else { None });
            match rest {
                Some(r) if r.starts_with('0') => r.to_string(),
                Some(r) => format!("0{r}"),
                None if plus || digits.starts_with("00") => {
                    let without_trunk: String =
                        value.replacen("(0)", "", 1).chars().filter(|c| c.is_ascii_digit()).collect();
                    let skip = if plus { 0 } else { 2 };
                    format!("+{}", without_trunk.get(skip..).unwrap_or(""))
                }
                None => digits,
            }
        }
    }

    /// A random string of characters that matter to normalising and
    /// masking: digits, letters, `+`, `@`, separators, ASCII control
    /// characters that are white space and some that are not, white space
    /// outside ASCII, letters that change length when cased, a final sigma,
    /// a curly apostrophe.
    fn random_value(rng: &mut piisweep_testkit::rng::Rng) -> String {
        const PIECES: &[&str] = &[
            "0",
            "4",
            "44",
            "0044",
            "00",
            "(0)",
            "+48",
            "(+",
            "7",
            "9",
            "a",
            "B",
            "z",
            "Q",
            "+",
            "@",
            " ",
            "  ",
            ",",
            ".",
            "-",
            "'",
            "’",
            "/",
            "(",
            ")",
            "\t",
            "\n",
            "\r",
            "\u{b}",
            "\u{c}",
            "\u{1c}",
            "\u{1f}",
            "\u{7f}",
            "\u{85}",
            "\u{a0}",
            "\u{2003}",
            "\u{3000}",
            "é",
            "É",
            "ß",
            "Σ",
            "ΟΔΟΣ",
            "ǅ",
            "İ",
            "ﬁ",
            "٣",
            "²",
            "日本",
            "🙂",
            "March",
            "12/03/1985",
            "3 March 1985",
            "ME14 5PP",
            "AB 12 34 56 C",
        ];
        let len = rng.below(9);
        (0..len).map(|_| *rng.pick(PIECES)).collect()
    }

    #[test]
    fn buffered_forms_match_the_allocating_ones() {
        let mut rng = piisweep_testkit::rng::Rng::new(7);
        let mut buf = String::from("left over from before");
        for _ in 0..20_000 {
            let value = random_value(&mut rng);
            for cat in Category::ALL {
                cat.normalise_into(&value, &mut buf);
                assert_eq!(buf, before::normalise(cat, &value), "normalise {cat} {value:?}");
                cat.mask_into(&value, &mut buf);
                assert_eq!(buf, before::mask(cat, &value), "mask {cat} {value:?}");
            }
            for (a, b) in [(0, 0), (1, 0), (2, 3), (0, 4), (5, 1)] {
                assert_eq!(mask_middle(&value, a, b), before::mask_middle_before(&value, a, b), "{value:?}");
            }
            assert_eq!(normalise_words(&value), before::normalise_words(&value), "{value:?}");
            assert_eq!(normalise_phone(&value), before::normalise_phone(&value), "{value:?}");
        }
    }
}
