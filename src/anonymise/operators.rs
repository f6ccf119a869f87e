//! The operators: what a value found in a file becomes in the copy.

use chrono::Datelike;

use super::policy::{Generalise, Operator};
use crate::detect::Category;
use crate::detect::category::normalise_words;
use crate::keys::Key;

/// The default text `redact` puts in place of a value of this category.
pub fn redaction(cat: Category) -> &'static str {
    match cat {
        Category::Name => "[NAME]",
        Category::Dob => "[DOB]",
        Category::Nino => "[NI NUMBER]",
        Category::Postcode => "[POSTCODE]",
        Category::Phone => "[PHONE]",
        Category::Email => "[EMAIL]",
        Category::NhsNumber => "[NHS NUMBER]",
        Category::BankCard => "[CARD]",
        Category::SortCode => "[SORT CODE]",
        Category::BankAccount => "[ACCOUNT]",
        Category::Address => "[ADDRESS]",
        Category::Health => "[HEALTH]",
        Category::Ethnicity => "[ETHNICITY]",
        Category::Religion => "[RELIGION]",
        Category::SexualOrientation => "[SEXUAL ORIENTATION]",
        Category::CriminalRecord => "[CRIMINAL RECORD]",
    }
}

/// The default pseudonym prefix of a category (`Person_` for names: with a hyphen, the detector reads `Person` as a name).
pub fn pseudonym_prefix(cat: Category) -> &'static str {
    match cat {
        Category::Name => "Person_",
        Category::Dob => "Dob_",
        Category::Nino => "Nino_",
        Category::Postcode => "Postcode_",
        Category::Phone => "Phone_",
        Category::Email => "Email_",
        Category::NhsNumber => "Nhs_",
        Category::BankCard => "Card_",
        Category::SortCode => "Sort_",
        Category::BankAccount => "Account_",
        Category::Address => "Address_",
        Category::Health => "Health_",
        Category::Ethnicity => "Ethnicity_",
        Category::Religion => "Religion_",
        Category::SexualOrientation => "Orientation_",
        Category::CriminalRecord => "Record_",
    }
}

/// The normal form a pseudonym is keyed on: the category's own normal form,
/// except that names written surname first (`Roberts, Jane`) are turned round
/// so that they get the same token as `Jane Roberts`.
pub fn pseudonym_basis(cat: Category, value: &str) -> String {
    if cat == Category::Name
        && let Some((surname, given)) = value.split_once(',')
        && !given.trim().is_empty()
    {
        return normalise_words(&format!("{given} {surname}"));
    }
    cat.normalise(value)
}

/// `prefix` + the first `hex` upper-case hex characters of
/// HMAC(key, `label:basis`).
pub fn token(key: &Key, label: &str, basis: &str, prefix: &str, hex: usize) -> String {
    let h = key.hash(&format!("{label}:{basis}"));
    format!("{prefix}{}", h[..hex.min(h.len())].to_ascii_uppercase())
}

/// Apply `op` to a value of category `cat`.
pub fn apply(op: &Operator, cat: Category, value: &str, key: &Key, hex: usize) -> String {
    match op {
        Operator::Redact { text } => text.clone().unwrap_or_else(|| redaction(cat).to_string()),
        Operator::Mask { keep } => mask_keep_last(value, *keep),
        Operator::Pseudonymise { prefix } => {
            let prefix = prefix.as_deref().unwrap_or(pseudonym_prefix(cat));
            token(key, cat.as_str(), &pseudonym_basis(cat, value), prefix, hex)
        }
        Operator::Generalise { to } => generalise(cat, value, *to),
        Operator::Drop => String::new(),
    }
}

/// Keep the last `keep` letters and digits, star the others, keep separators.
/// A value no longer than `keep` is kept whole.
pub fn mask_keep_last(value: &str, keep: usize) -> String {
    let total = value.chars().filter(|c| c.is_alphanumeric()).count();
    if total <= keep { value.to_string() } else { crate::detect::category::mask_middle(value, 0, keep) }
}

/// dob → year or age band; postcode → district; anything else → redacted.
fn generalise(cat: Category, value: &str, to: Option<Generalise>) -> String {
    match cat {
        Category::Dob => match crate::detect::validate::parse_date(value) {
            Some((year, month, day)) => match to.unwrap_or(Generalise::Year) {
                Generalise::Year => year.to_string(),
                Generalise::AgeBand => age_band(year, month, day, chrono::Local::now().date_naive()),
            },
            // A year or month of birth ("born 1952", "DOB: March 1987").
            None => match crate::detect::validate::parse_birth_year(value) {
                Some((year, month)) => match to.unwrap_or(Generalise::Year) {
                    Generalise::Year => year.to_string(),
                    // Without the day, the middle of the month (or year) it names.
                    Generalise::AgeBand => age_band(year, month.unwrap_or(7), 1, chrono::Local::now().date_naive()),
                },
                None => redaction(cat).to_string(),
            },
        },
        Category::Postcode => {
            let normal = cat.normalise(value);
            match normal.split_once(' ') {
                Some((district, _)) => district.to_string(),
                None => redaction(cat).to_string(),
            }
        }
        _ => redaction(cat).to_string(),
    }
}

/// The age band someone born on this date is in today: `0-17`, `18-24`,
/// then ten-year bands `25-34` ... `65-74`, and `75+`.
pub fn age_band(year: i32, month: u32, day: u32, today: chrono::NaiveDate) -> String {
    let mut age = today.year() - year;
    if (today.month(), today.day()) < (month, day) {
        age -= 1;
    }
    match age {
        i32::MIN..=17 => "0-17".into(),
        18..=24 => "18-24".into(),
        75.. => "75+".into(),
        a => {
            let low = 25 + (a - 25) / 10 * 10;
            format!("{low}-{}", low + 9)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators() {
        let key = Key::from_bytes([7; 32]);
        let p = |v: &str| apply(&Operator::Pseudonymise { prefix: None }, Category::Name, v, &key, 6);
        assert_eq!(p("Jane Roberts"), p("JANE  ROBERTS"));
        assert_eq!(p("Jane Roberts"), p("Roberts, Jane"));
        assert_ne!(p("Jane Roberts"), p("Jane Robertson"));
        assert!(p("Jane Roberts").starts_with("Person_") && p("Jane Roberts").len() == 13);
        let g = |c, v: &str, to| apply(&Operator::Generalise { to }, c, v, &key, 6);
        assert_eq!(g(Category::Postcode, "me14 5pp", None), "ME14");
        assert_eq!(g(Category::Dob, "12/03/1985", Some(Generalise::Year)), "1985");
        assert_eq!(g(Category::Dob, "March 1987", Some(Generalise::Year)), "1987");
        assert_eq!(g(Category::Dob, "1952", None), "1952");
        assert_eq!(g(Category::Dob, "1940", Some(Generalise::AgeBand)), "75+");
        assert_eq!(g(Category::Phone, "07700 900123", None), "[PHONE]");
        assert_eq!(mask_keep_last("07700 900123", 3), "***** ***123");
        assert_eq!(apply(&Operator::Drop, Category::Email, "a@b.org", &key, 6), "");
        let today = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        assert_eq!(age_band(1985, 3, 12, today), "35-44");
        assert_eq!(age_band(1985, 7, 12, today), "35-44");
        assert_eq!(age_band(2010, 1, 1, today), "0-17");
        assert_eq!(age_band(1940, 1, 1, today), "75+");
    }
}
