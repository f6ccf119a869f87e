//! The anonymisation policy (TOML): one operator per category of personal
//! data, whole-column operators by header, and the categories that must not
//! remain in the copies. See `rules/policies/default.toml` for the format.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::detect::Category;

/// The shipped policy, suited to sharing case data with a council.
pub const DEFAULT_POLICY: &str = include_str!("../../rules/policies/default.toml");

/// What to put in place of a value.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "operator", rename_all = "snake_case", deny_unknown_fields)]
pub enum Operator {
    /// Replace with fixed text (`[NAME]` when none is given).
    Redact { text: Option<String> },
    /// Keep the last `keep` letters and digits, star the others.
    Mask {
        #[serde(default)]
        keep: usize,
    },
    /// A keyed token, the same for the same value (`Person_7F3A9C`).
    Pseudonymise { prefix: Option<String> },
    /// Less precise: dob to a year or age band, postcode to its district, phone removed.
    Generalise { to: Option<Generalise> },
    /// Remove the value (a whole column, for column operators).
    Drop,
}

/// How far `generalise` takes a date of birth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Generalise {
    Year,
    AgeBand,
}

impl Operator {
    /// The operator's name, as in the policy and the summary.
    pub fn name(&self) -> &'static str {
        match self {
            Operator::Redact { .. } => "redact",
            Operator::Mask { .. } => "mask",
            Operator::Pseudonymise { .. } => "pseudonymise",
            Operator::Generalise { .. } => "generalise",
            Operator::Drop => "drop",
        }
    }
}

/// The policy file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    must_remove: Vec<String>,
    pseudonym_hex: Option<usize>,
    #[serde(default)]
    categories: BTreeMap<String, Operator>,
    #[serde(default)]
    columns: BTreeMap<String, Operator>,
}

/// A checked policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The operator for each category; categories left out are redacted.
    pub categories: BTreeMap<Category, Operator>,
    /// Column operators by lower-cased, trimmed header.
    pub columns: BTreeMap<String, Operator>,
    /// Categories that must not be found in the output.
    pub must_remove: Vec<Category>,
    /// Hex characters in a pseudonym.
    pub pseudonym_hex: usize,
}

impl Policy {
    /// The shipped default policy.
    pub fn builtin() -> Policy {
        Policy::parse(DEFAULT_POLICY).expect("the shipped policy is valid")
    }

    /// Load a policy file.
    pub fn load(path: &Path) -> Result<Policy, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read policy {}: {e}", path.display()))?;
        Policy::parse(&text).map_err(|e| format!("policy {}: {e}", path.display()))
    }

    /// Parse and check policy text.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let category = |s: &str| {
            Category::parse(s).ok_or_else(|| {
                let names: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
                format!("unknown category {s:?} (one of: {})", names.join(", "))
            })
        };
        let mut categories = BTreeMap::new();
        for (name, op) in file.categories {
            let cat = category(&name)?;
            check_operator(cat, &op)?;
            categories.insert(cat, op);
        }
        let must_remove = file.must_remove.iter().map(|s| category(s)).collect::<Result<Vec<_>, _>>()?;
        let pseudonym_hex = file.pseudonym_hex.unwrap_or(6);
        if !(4..=16).contains(&pseudonym_hex) {
            return Err(format!("pseudonym_hex must be between 4 and 16, not {pseudonym_hex}"));
        }
        let columns = file.columns.into_iter().map(|(h, op)| (h.trim().to_lowercase(), op)).collect();
        Ok(Policy { categories, columns, must_remove, pseudonym_hex })
    }

    /// The operator for a category.
    pub fn operator(&self, cat: Category) -> Operator {
        self.categories.get(&cat).cloned().unwrap_or(Operator::Redact { text: None })
    }

    /// The operator for a whole column with this header, if the policy names it.
    pub fn column(&self, header: &str) -> Option<&Operator> {
        if self.columns.is_empty() {
            return None;
        }
        self.columns.get(&header.trim().to_lowercase())
    }
}

/// `generalise` to a year or age band only makes sense for dates of birth.
fn check_operator(cat: Category, op: &Operator) -> Result<(), String> {
    if let Operator::Generalise { to: Some(_) } = op
        && cat != Category::Dob
    {
        return Err(format!("{cat}: `to` is only for dob (generalise to \"year\" or \"age_band\")"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_suits_a_council() {
        let p = Policy::builtin();
        assert_eq!(p.operator(Category::Name), Operator::Pseudonymise { prefix: None });
        assert_eq!(p.operator(Category::Dob), Operator::Generalise { to: Some(Generalise::Year) });
        assert_eq!(p.operator(Category::Postcode), Operator::Generalise { to: None });
        assert!(matches!(p.operator(Category::Nino), Operator::Redact { .. }));
        assert_eq!(p.must_remove.len(), 10);
        assert!(!p.must_remove.contains(&Category::Postcode));
    }

    #[test]
    fn columns_and_errors() {
        let p = Policy::parse("[columns]\n\"Case Notes\" = { operator = \"drop\" }\n").unwrap();
        assert_eq!(p.column(" case notes"), Some(&Operator::Drop));
        assert!(Policy::parse("[categories]\nshoe_size = { operator = \"drop\" }").unwrap_err().contains("shoe_size"));
        assert!(Policy::parse("[categories]\nname = { operator = \"zap\" }").is_err());
        assert!(Policy::parse("[categories]\nphone = { operator = \"generalise\", to = \"year\" }").is_err());
    }
}
