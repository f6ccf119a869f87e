//! Loading detection rules and word lists from `rules/`.
//!
//! The default rules are compiled into the binary (so it works from any
//! directory); `--rules DIR` loads `DIR/*.toml` instead, with word lists from
//! `DIR/lists/` and `DIR/names/` (a list missing there falls back to the
//! built-in one).

use std::collections::HashSet;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::category::Category;
pub use super::lists::{Lists, NameFlags, NationalLength};
use super::validate;

/// One detection rule, as written in `rules/*.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique id, reported as `rule` in findings (`nino.hmrc`).
    pub id: String,
    pub category: Category,
    #[serde(default)]
    pub description: String,
    /// A regular expression for candidates (write it ASCII-only with `(?-u)`
    /// for speed). If it has a group named `v`,
    /// that group is the value; otherwise the whole match.
    pub pattern: Option<String>,
    /// A built-in detector instead of a pattern (`name_title`, `address`...).
    pub detector: Option<String>,
    /// A validator from `detect::validate` run on each candidate.
    pub validator: Option<String>,
    /// Base confidence, 0.0 to 1.0.
    pub confidence: f32,
    /// Words or phrases near the candidate that make it more likely.
    #[serde(default)]
    pub context: Vec<String>,
    /// How many characters before and after the candidate to look for context.
    #[serde(default = "default_window")]
    pub context_window: usize,
    /// Added to confidence when context is present.
    #[serde(default = "default_boost")]
    pub context_boost: f32,
    /// Report only when context (words or headers) is present.
    #[serde(default)]
    pub require_context: bool,
    /// Context must be the nearest label: no other digits between the
    /// context word and the candidate ("DOB: x" but not "DOB: x Seen: y").
    #[serde(default)]
    pub context_adjacent: bool,
    /// Column headers / field labels that count as context (matched as words).
    #[serde(default)]
    pub headers: Vec<String>,
    /// Headers that rule a column out even if a `headers` word matches
    /// ("Client ID" for a rule keyed on "client").
    #[serde(default)]
    pub exclude_headers: Vec<String>,
    /// Multiplies the confidence when a phrase of
    /// lists/organisation_context.txt is on the candidate's line ("Registered
    /// office", "call us on"): the detail is an organisation's, not a person's.
    #[serde(default)]
    pub organisation_factor: Option<f32>,
    /// ASCII characters taken off the end of a match before it is checked:
    /// `x` for a phone number with an extension glued on, matched by a
    /// pattern ending `(?:x|\b)` as `01622123456x` of `01622123456x456`
    /// (cheaper than a value group, which needs a capturing search).
    #[serde(default)]
    pub trim_end: String,
    /// Cheap pre-checks: skip segments without a digit / an `@`.
    #[serde(default)]
    pub needs: Vec<Needs>,
    /// Texts this rule must find (a leading `[Header] ` sets the segment's header).
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts in which this rule's category must not be found.
    #[serde(default)]
    pub counter_examples: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Needs {
    Digit,
    At,
}

fn default_window() -> usize {
    40
}
fn default_boost() -> f32 {
    0.1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

/// The rule files compiled into the binary.
const BUILTIN_RULES: &[(&str, &str)] = &[
    builtin_file!("identifiers.toml"),
    builtin_file!("dates.toml"),
    builtin_file!("names.toml"),
    builtin_file!("address.toml"),
    builtin_file!("special.toml"),
];

/// Why rules could not be loaded; the message says which file and where.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read rules file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("rules file {path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error("rule {id} in {path}: {message}")]
    Rule { id: String, path: String, message: String },
    #[error("no rules found in {0}: expected *.toml files like the ones in the rules/ folder")]
    Empty(PathBuf),
}

/// The built-in detectors a rule may name in `detector = "..."`.
pub const DETECTORS: &[&str] = &[
    "name_title",
    "name_cue",
    "name_signoff",
    "name_role",
    "name_full",
    "name_single",
    "name_column",
    "name_mail_header",
    "name_inverted",
    "address",
    "special",
];

/// All rules and lists, checked and ready to compile into an engine.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub rules: Vec<RuleSpec>,
    pub lists: Lists,
}

fn parse_file(path: &str, text: &str) -> Result<Vec<RuleSpec>, RulesError> {
    let file: RuleFile =
        toml::from_str(text).map_err(|e| RulesError::Parse { path: path.to_string(), message: e.to_string() })?;
    for rule in &file.rule {
        check_rule(path, rule)?;
    }
    Ok(file.rule)
}

fn check_rule(path: &str, rule: &RuleSpec) -> Result<(), RulesError> {
    let err = |message: String| RulesError::Rule { id: rule.id.clone(), path: path.to_string(), message };
    match (&rule.pattern, &rule.detector) {
        (Some(p), None) => {
            regex::Regex::new(p).map_err(|e| err(format!("bad pattern: {e}")))?;
        }
        (None, Some(d)) if DETECTORS.contains(&d.as_str()) => {}
        (None, Some(d)) => {
            return Err(err(format!("unknown detector {d:?}; known: {}", DETECTORS.join(", "))));
        }
        _ => return Err(err("give exactly one of `pattern` or `detector`".into())),
    }
    if let Some(v) = &rule.validator
        && validate::Validator::named(v).is_none()
    {
        return Err(err(format!("unknown validator {v:?}; known: {}", validate::NAMES.join(", "))));
    }
    if rule.organisation_factor.is_some_and(|f| !(0.0..=1.0).contains(&f)) {
        return Err(err("organisation_factor must be between 0.0 and 1.0".into()));
    }
    if !(0.0..=1.0).contains(&rule.confidence) {
        return Err(err("confidence must be between 0.0 and 1.0".into()));
    }
    Ok(())
}

impl RuleSet {
    /// The rules compiled into the binary.
    pub fn builtin() -> RuleSet {
        let mut rules = Vec::new();
        for (file, text) in BUILTIN_RULES {
            rules.extend(parse_file(&format!("rules/{file}"), text).expect("built-in rules are checked by tests"));
        }
        RuleSet { rules, lists: Lists::builtin() }
    }

    /// Rules from `dir/*.toml`, lists from `dir/lists` and `dir/names`.
    pub fn from_dir(dir: &Path) -> Result<RuleSet, RulesError> {
        let entries = std::fs::read_dir(dir).map_err(|source| RulesError::Read { path: dir.to_path_buf(), source })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        let mut rules = Vec::new();
        for path in &files {
            let text =
                std::fs::read_to_string(path).map_err(|source| RulesError::Read { path: path.clone(), source })?;
            rules.extend(parse_file(&path.display().to_string(), &text)?);
        }
        if rules.is_empty() {
            return Err(RulesError::Empty(dir.to_path_buf()));
        }
        let mut seen = HashSet::new();
        for r in &rules {
            if !seen.insert(r.id.as_str()) {
                return Err(RulesError::Rule {
                    id: r.id.clone(),
                    path: dir.display().to_string(),
                    message: "the same rule id is used twice".into(),
                });
            }
        }
        Ok(RuleSet { rules, lists: Lists::from_dir(dir).map_err(|(path, source)| RulesError::Read { path, source })? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_toml_names_line_and_column() {
        let err = parse_file("x.toml", "[[rule]]\nid = \"a\"\ncategory = \"nino\nconfidence = 1").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("x.toml") && msg.contains("line 3"), "{msg}");
    }

    #[test]
    fn unknown_validator_is_refused() {
        let err = parse_file(
            "x.toml",
            "[[rule]]\nid = \"a\"\ncategory = \"nino\"\npattern = \"x\"\nvalidator = \"nope\"\nconfidence = 1.0",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown validator"), "{err}");
    }
}
