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
}

impl Category {
    pub const ALL: [Category; 11] = [
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
    ];

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
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The canonical form of a value: two spellings of the same identifier
    /// normalise to the same string (`ab 12 34 56 c` and `AB123456C`).
    pub fn normalise(&self, value: &str) -> String {
        match self {
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
            Category::Dob => crate::detect::validate::parse_date(value)
                .map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
                .unwrap_or_else(|| value.trim().to_lowercase()),
            Category::Name | Category::Address => normalise_words(value),
        }
    }

    /// A masked form safe to show: enough to recognise, not to reuse.
    pub fn mask(&self, value: &str) -> String {
        match self {
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
                None => mask_middle(value, 1, 0),
            },
            Category::Postcode => {
                // Keep the outward code (a district, not a person).
                match value.trim().rsplit_once(' ') {
                    Some((out, inw)) => format!("{out} {}", "*".repeat(inw.chars().count())),
                    None => mask_middle(value, value.chars().count().saturating_sub(3), 0),
                }
            }
            Category::Dob => value.chars().map(|c| if c.is_ascii_digit() { '*' } else { c }).collect(),
            Category::Address => {
                value
                    .split_whitespace()
                    .map(|w| {
                        if w.chars().any(|c| c.is_ascii_digit()) {
                            "*".repeat(w.chars().count())
                        } else {
                            w.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            _ => mask_middle(value, 2, 3),
        }
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

/// Lowercase, strip punctuation other than inner apostrophes and hyphens,
/// collapse white space.
pub fn normalise_words(value: &str) -> String {
    value
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).replace('’', "'"))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A UK phone number in national digits: `+44 (0)7700 900123` → `07700900123`.
pub fn normalise_phone(value: &str) -> String {
    let digits: String = value.chars().filter(|c| c.is_ascii_digit()).collect();
    let rest = digits
        .strip_prefix("0044")
        .or_else(|| if value.trim_start().starts_with('+') { digits.strip_prefix("44") } else { None });
    match rest {
        Some(r) if r.starts_with('0') => r.to_string(),
        Some(r) => format!("0{r}"),
        None => digits,
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
    }
}
