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
    /// Special categories whose monitoring columns are kept as they are.
    keep_special_columns: Option<Vec<String>>,
    k_anonymity: Option<KAnonymityFile>,
}

/// `[k_anonymity]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KAnonymityFile {
    k: usize,
    #[serde(default = "default_max_suppressed")]
    max_suppressed: f64,
    quasi_identifiers: Option<Vec<String>>,
}

fn default_max_suppressed() -> f64 {
    0.05
}

/// The quasi-identifier headers when the policy names none.
pub const DEFAULT_QUASI_IDENTIFIERS: &[&str] = &[
    "dob",
    "date of birth",
    "birth date",
    "year of birth",
    "birth year",
    "age",
    "age band",
    "gender",
    "sex",
    "ethnicity",
    "ethnic group",
    "ethnic origin",
    "postcode",
    "post code",
    "postcode district",
];

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
    /// Special categories whose monitoring columns (a column headed
    /// "Ethnicity", "Religion or belief"...) are kept as they are, for
    /// equalities figures; their mentions in running text still get the
    /// category's operator.
    pub keep_special_columns: Vec<Category>,
    /// k-anonymity for tables (`None`: not measured).
    pub k_anonymity: Option<super::kanon::Settings>,
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
        let keep_special_columns =
            file.keep_special_columns.unwrap_or_default().iter().map(|s| category(s)).collect::<Result<Vec<_>, _>>()?;
        if let Some(c) = keep_special_columns.iter().find(|c| !c.is_special()) {
            return Err(format!(
                "keep_special_columns: {c} is not a special category (one of: health, ethnicity, religion, sexual_orientation, criminal_record)"
            ));
        }
        let k_anonymity = match file.k_anonymity {
            None => None,
            Some(k) => {
                if !(0.0..=1.0).contains(&k.max_suppressed) {
                    return Err(format!(
                        "k_anonymity: max_suppressed is a share of the rows, between 0.0 and 1.0, not {}",
                        k.max_suppressed
                    ));
                }
                let quasi_identifiers = k
                    .quasi_identifiers
                    .unwrap_or_else(|| DEFAULT_QUASI_IDENTIFIERS.iter().map(|s| s.to_string()).collect());
                Some(super::kanon::Settings { k: k.k, max_suppressed: k.max_suppressed, quasi_identifiers })
            }
        };
        Ok(Policy { categories, columns, must_remove, pseudonym_hex, keep_special_columns, k_anonymity })
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
        // Special category data: mentions in running text redacted,
        // monitoring columns kept, tables made 5-anonymous.
        for c in Category::SPECIAL {
            assert!(matches!(p.operator(c), Operator::Redact { .. }), "{c}");
            assert!(p.keep_special_columns.contains(&c), "{c}");
        }
        let k = p.k_anonymity.expect("the shipped policy measures k");
        assert_eq!(k.k, 5);
        assert!(k.quasi_identifiers.iter().any(|q| q == "postcode"));
    }

    #[test]
    fn special_and_k_anonymity_settings() {
        let p = Policy::parse(
            "keep_special_columns = [\"ethnicity\"]\n[k_anonymity]\nk = 3\nquasi_identifiers = [\"age\"]\n",
        )
        .unwrap();
        assert_eq!(p.keep_special_columns, [Category::Ethnicity]);
        let k = p.k_anonymity.unwrap();
        assert_eq!((k.k, k.max_suppressed, k.quasi_identifiers), (3, 0.05, vec!["age".to_string()]));
        assert!(Policy::parse("keep_special_columns = [\"name\"]").unwrap_err().contains("not a special category"));
        assert!(Policy::parse("[k_anonymity]\nk = 5\nmax_suppressed = 2.0").unwrap_err().contains("max_suppressed"));
        // Without the settings: nothing kept, k not measured.
        let p = Policy::parse("").unwrap();
        assert!(p.keep_special_columns.is_empty() && p.k_anonymity.is_none());
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
