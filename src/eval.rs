//! Accuracy against labelled truth: precision, recall and F1 per category,
//! comparing on (path, category, normalised value) sets.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::detect::Category;
use crate::finding::Finding;
use crate::scan::{FileReport, Sink};
use crate::walk::FileEntry;

/// One planted item: where it is and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Relative to `out/drive`, `/`-separated, `!` into containers.
    pub path: String,
    pub category: Category,
    /// The text exactly as written.
    pub value: String,
    /// `line 3`, `row 2, col Surname`, `Volunteers!B2`, `page 1`, ...
    /// (optional in truth files written by hand).
    #[serde(default)]
    pub location: String,
}

type Key = (String, Category, String);

fn key(path: &str, category: Category, value: &str) -> Key {
    (path.to_string(), category, category.normalise(value))
}

pub fn read_labels(path: &Path) -> anyhow::Result<Vec<Label>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read the labels file {}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| anyhow::anyhow!("{} line {}: not a label: {e}", path.display(), i + 1))
        })
        .collect()
}

/// (path, category, normalised value) of findings written as JSON Lines with
/// their values (`piisweep scan --reveal`, or another tool's output mapped to
/// the same contract).
pub fn read_findings(path: &Path) -> anyhow::Result<BTreeSet<Key>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read the findings file {}: {e}", path.display()))?;
    let mut found = BTreeSet::new();
    for (i, l) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let f: crate::finding::FindingLine = serde_json::from_str(l)
            .map_err(|e| anyhow::anyhow!("{} line {}: not a finding: {e}", path.display(), i + 1))?;
        let value = f.value.ok_or_else(|| {
            anyhow::anyhow!("{} line {}: no `value` (scan with --reveal to score findings)", path.display(), i + 1)
        })?;
        found.insert(key(&f.path, f.category, &value));
    }
    Ok(found)
}

/// Collects (path, category, normalised value) of every finding.
#[derive(Default)]
pub struct Collector {
    pub found: BTreeSet<Key>,
}

impl Sink for Collector {
    fn findings(&mut self, _file: &FileEntry, batch: &[Finding]) -> std::io::Result<()> {
        for f in batch {
            self.found.insert(key(&f.path, f.category, &f.value));
        }
        Ok(())
    }

    fn file(&mut self, _report: &FileReport) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Score {
    pub tp: usize,
    pub fp: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    pub missed: Vec<String>,
    pub false_alarms: Vec<String>,
}

impl Score {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// Scores per category.
pub fn evaluate(labels: &[Label], found: &BTreeSet<Key>) -> BTreeMap<Category, Score> {
    let truth: BTreeSet<Key> = labels.iter().map(|l| key(&l.path, l.category, &l.value)).collect();
    let mut scores: BTreeMap<Category, Score> = Category::ALL.iter().map(|c| (*c, Score::default())).collect();
    for k in truth.union(found) {
        let s = scores.get_mut(&k.1).expect("all categories present");
        match (truth.contains(k), found.contains(k)) {
            (true, true) => s.tp += 1,
            (true, false) => {
                s.fn_ += 1;
                s.missed.push(format!("{}: {}", k.0, k.2));
            }
            (false, true) => {
                s.fp += 1;
                s.false_alarms.push(format!("{}: {}", k.0, k.2));
            }
            (false, false) => unreachable!(),
        }
    }
    scores
}

/// The table people read, with up to `examples` misses and false alarms per category.
pub fn table(scores: &BTreeMap<Category, Score>, examples: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<13} {:>6} {:>6} {:>6} {:>9} {:>7} {:>6}",
        "category", "TP", "FP", "FN", "precision", "recall", "F1"
    );
    let mut total = Score::default();
    for (c, s) in scores {
        if s.tp + s.fp + s.fn_ == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "{:<13} {:>6} {:>6} {:>6} {:>9.3} {:>7.3} {:>6.3}",
            c.as_str(),
            s.tp,
            s.fp,
            s.fn_,
            s.precision(),
            s.recall(),
            s.f1()
        );
        total.tp += s.tp;
        total.fp += s.fp;
        total.fn_ += s.fn_;
    }
    let _ = writeln!(
        out,
        "{:<13} {:>6} {:>6} {:>6} {:>9.3} {:>7.3} {:>6.3}",
        "all",
        total.tp,
        total.fp,
        total.fn_,
        total.precision(),
        total.recall(),
        total.f1()
    );
    if examples > 0 {
        for (c, s) in scores {
            for (what, list) in [("missed", &s.missed), ("false alarm", &s.false_alarms)] {
                for e in list.iter().take(examples) {
                    let _ = writeln!(out, "  {c} {what}: {e}");
                }
                if list.len() > examples {
                    let _ = writeln!(out, "  {c} {what}: ... and {} more", list.len() - examples);
                }
            }
        }
    }
    out
}
