//! The people of one document, so that pseudonyms follow people rather than
//! strings.
//!
//! Every full name found in a document (and every first-name/surname pair
//! of a table row) defines a person. A partial mention — a surname after a
//! title ("Mrs Roberts"), an initial and surname ("J. Roberts"), a first
//! name alone ("Jane") — resolves to the one person it fits and gets that
//! person's token. A mention that fits several people (two Robertses) and
//! has no first name or initial to tell them apart keeps a token of its own,
//! so it is never given to the wrong one of them. A person's token is keyed
//! on their normalised first name and surname (titles, middle names and
//! initials left out), so the same person has the same token in every file
//! and run made with the same key.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::detect::category::normalise_words;

/// Titles written before a name (`rules/names/titles.txt`), lower case.
fn titles() -> &'static Vec<String> {
    static TITLES: OnceLock<Vec<String>> = OnceLock::new();
    TITLES.get_or_init(|| {
        include_str!("../../rules/names/titles.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.contains(' '))
            .map(str::to_lowercase)
            .collect()
    })
}

pub use crate::detect::organisations::{is_organisation, looks_like_full_name};

/// The words of a name, lower case, without titles; `Roberts, Jane` turned
/// round to `jane roberts`.
pub fn name_words(value: &str) -> Vec<String> {
    let turned;
    let value = match value.split_once(',') {
        Some((surname, given)) if !given.trim().is_empty() && !surname.trim().is_empty() => {
            turned = format!("{given} {surname}");
            turned.as_str()
        }
        _ => value,
    };
    let normal = normalise_words(value);
    let titles = titles();
    let mut words: Vec<String> = normal.split(' ').filter(|w| !w.is_empty()).map(str::to_string).collect();
    while words.len() > 1 && titles.iter().any(|t| *t == words[0]) {
        words.remove(0);
    }
    words
}

/// One person: lower-case first name and surname, and the normal form their
/// token is keyed on (`first surname`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Person {
    first: String,
    surname: String,
    basis: String,
}

/// The people of a document, looked up by first name, surname, or both.
#[derive(Debug, Default)]
pub struct People {
    people: Vec<Person>,
    by_basis: HashMap<String, usize>,
    by_first: HashMap<String, Vec<usize>>,
    by_surname: HashMap<String, Vec<usize>>,
    /// The person of the table row being written (first-name and surname
    /// columns), whose cells all get their token.
    row: Option<usize>,
}

impl People {
    /// Add the person a full name names (two words or more, the first not an
    /// initial); other values are ignored. Returns the person's index.
    pub fn add_full_name(&mut self, value: &str) -> Option<usize> {
        let words = name_words(value);
        if words.len() < 2 || words[0].chars().count() < 2 || words[words.len() - 1].chars().count() < 2 {
            return None;
        }
        Some(self.add(&words))
    }

    /// Add the person of a first-name cell and a surname cell.
    pub fn add_parts(&mut self, first: &str, surname: &str) -> Option<usize> {
        let mut words = name_words(first);
        let sur = name_words(surname);
        if words.is_empty() || sur.is_empty() || words[0].chars().count() < 2 {
            return None;
        }
        words.extend(sur);
        Some(self.add(&words))
    }

    /// A person is their first name and surname: middle names and initials
    /// ("Jane A. Roberts", "Jane Anne Roberts") do not make another person,
    /// and do not change the token.
    fn add(&mut self, words: &[String]) -> usize {
        let basis = format!("{} {}", words[0], words[words.len() - 1]);
        if let Some(&i) = self.by_basis.get(&basis) {
            return i;
        }
        let i = self.people.len();
        let person = Person { first: words[0].clone(), surname: words[words.len() - 1].clone(), basis: basis.clone() };
        self.by_first.entry(person.first.clone()).or_default().push(i);
        self.by_surname.entry(person.surname.clone()).or_default().push(i);
        self.by_basis.insert(basis, i);
        self.people.push(person);
        i
    }

    /// Set (or clear) the person of the row being written.
    pub fn set_row(&mut self, person: Option<usize>) {
        self.row = person;
    }

    /// The people's full names (normalised), for renaming files.
    pub fn first_and_surnames(&self) -> impl Iterator<Item = (&str, &str)> {
        self.people.iter().map(|p| (p.first.as_str(), p.surname.as_str()))
    }

    /// The normal form a name's pseudonym is keyed on: the full name of the
    /// one person the value fits, else the value's own normal form.
    pub fn basis(&self, value: &str) -> String {
        let words = name_words(value);
        if words.is_empty() {
            return normalise_words(value);
        }
        let own = if words.len() > 2 && words[0].chars().count() > 1 {
            format!("{} {}", words[0], words[words.len() - 1])
        } else {
            words.join(" ")
        };
        if let Some(row) = self.row.map(|i| &self.people[i])
            && (own == row.basis || own == row.first || own == row.surname)
        {
            return row.basis.clone();
        }
        if self.by_basis.contains_key(&own) {
            return own;
        }
        let first = &words[0];
        let surname = &words[words.len() - 1];
        let candidates: Vec<usize> = if words.len() == 1 {
            // A first name or a surname alone: whoever it fits.
            let mut c: Vec<usize> = self.by_first.get(first).into_iter().flatten().copied().collect();
            c.extend(self.by_surname.get(first).into_iter().flatten().copied());
            c
        } else {
            let initial = first.chars().next().unwrap_or(' ');
            let is_initial = first.chars().count() == 1;
            self.by_surname
                .get(surname)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&i| {
                    let p = &self.people[i];
                    if is_initial { p.first.starts_with(initial) } else { p.first == *first }
                })
                .collect()
        };
        let mut distinct = candidates;
        distinct.sort_unstable();
        distinct.dedup();
        match distinct.as_slice() {
            [one] => self.people[*one].basis.clone(),
            _ => own,
        }
    }
}

pub use crate::formats::rewrite::{NameColumn, name_column};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_mentions_resolve_to_the_one_person_they_fit() {
        let mut p = People::default();
        p.add_full_name("Jane Roberts");
        p.add_full_name("Priya Patel");
        for v in ["Jane Roberts", "Mrs Roberts", "Roberts", "Jane", "J Roberts", "J. Roberts", "Roberts, Jane"] {
            assert_eq!(p.basis(v), "jane roberts", "{v}");
        }
        assert_eq!(p.basis("Ms Patel"), "priya patel");
        assert_eq!(p.basis("Tom Baker"), "tom baker");
        // A middle name or initial is the same person.
        p.add_full_name("Jane A. Roberts");
        assert_eq!(p.basis("Jane Anne Roberts"), "jane roberts");
        assert_eq!(p.basis("Mrs Roberts"), "jane roberts");
        // A second Roberts: the surname alone no longer says who.
        p.add_full_name("Tom Roberts");
        assert_eq!(p.basis("Mrs Roberts"), "roberts");
        assert_eq!(p.basis("Jane"), "jane roberts");
        assert_eq!(p.basis("T Roberts"), "tom roberts");
        assert_eq!(p.basis("Mr T. Roberts"), "tom roberts");
        // A row's first-name and surname cells are the row's person.
        let tom = p.add_parts("Tom", "Roberts");
        p.set_row(tom);
        assert_eq!(p.basis("Roberts"), "tom roberts");
        assert_eq!(p.basis("Tom"), "tom roberts");
        p.set_row(None);
        assert_eq!(p.basis("Roberts"), "roberts");
    }

    #[test]
    fn organisations_and_columns() {
        assert_eq!(name_column("First name"), Some(NameColumn::First));
        assert_eq!(name_column("Client_Forename"), Some(NameColumn::First));
        assert_eq!(name_column("Last Name"), Some(NameColumn::Surname));
        assert_eq!(name_column("SURNAME"), Some(NameColumn::Surname));
        assert_eq!(name_column("Name"), None);
        assert_eq!(name_column("Surname of GP"), None);
    }
}
