//! The special category detector on case notes it was not built from
//! (issue 27): tests/data/special_case_notes.tsv holds sentences that use the
//! listed words innocently ("the Catholic church hall", "a cancer research
//! shop", "use caution when lifting") and sentences about a person's health,
//! ethnicity, religion, sexual orientation or criminal record. Precision and
//! recall over them are measured here and held to their targets;
//! docs/accuracy.md states the figures.

use std::collections::BTreeMap;

use piisweep::detect::{Category, Engine};
use piisweep::formats::Segment;

/// One sentence and the special category data it holds: (category, words).
struct Case {
    text: String,
    expected: Vec<(String, String)>,
}

fn cases() -> Vec<Case> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/special_case_notes.tsv");
    let data = std::fs::read_to_string(path).unwrap();
    data.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (expected, text) = l.split_once('\t').expect("EXPECTED<TAB>sentence");
            let expected = if expected == "-" {
                Vec::new()
            } else {
                expected
                    .split(" ; ")
                    .map(|p| {
                        let (c, v) = p.split_once('=').expect("category=value");
                        (c.to_string(), v.to_string())
                    })
                    .collect()
            };
            Case { text: text.to_string(), expected }
        })
        .collect()
}

#[derive(Default, Debug)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Score {
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 { 1.0 } else { self.tp as f64 / (self.tp + self.fp) as f64 }
    }
    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 { 1.0 } else { self.tp as f64 / (self.tp + self.fn_) as f64 }
    }
}

/// Scores by category, and the mistakes (for the failure message). A
/// finding counts as right when its category is expected and it overlaps
/// the expected words in the sentence.
fn measure() -> (BTreeMap<String, Score>, Vec<String>) {
    let engine = Engine::builtin();
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    let mut mistakes = Vec::new();
    for case in cases() {
        let seg = Segment::fixed("line 1", &case.text, None);
        let found: Vec<(Category, usize, usize)> = engine
            .detect(&seg)
            .into_iter()
            .filter(|h| h.category.is_special() && h.confidence >= 0.5)
            .map(|h| (h.category, h.start, h.end))
            .collect();
        let lower = case.text.to_lowercase();
        let mut matched = vec![false; found.len()];
        for (cat, words) in &case.expected {
            let at = lower.find(&words.to_lowercase()).unwrap_or_else(|| panic!("{words:?} not in {:?}", case.text));
            let (s, e) = (at, at + words.len());
            let hit = found.iter().position(|&(c, fs, fe)| c.as_str() == cat && fs < e && s < fe);
            let score = scores.entry(cat.clone()).or_default();
            match hit {
                Some(i) => {
                    score.tp += 1;
                    matched[i] = true;
                }
                None => {
                    score.fn_ += 1;
                    mistakes.push(format!("missed {cat} {words:?}: {}", case.text));
                }
            }
        }
        for (i, &(c, s, e)) in found.iter().enumerate() {
            if !matched[i] {
                scores.entry(c.as_str().to_string()).or_default().fp += 1;
                mistakes.push(format!("wrongly {} {:?}: {}", c.as_str(), &case.text[s..e], case.text));
            }
        }
    }
    (scores, mistakes)
}

#[test]
fn special_categories_on_case_notes_meet_their_targets() {
    let (scores, mistakes) = measure();
    let mut all = Score::default();
    let mut report = String::new();
    for (cat, s) in &scores {
        all.tp += s.tp;
        all.fp += s.fp;
        all.fn_ += s.fn_;
        report.push_str(&format!("{cat}: P {:.3} R {:.3} {s:?}\n", s.precision(), s.recall()));
    }
    report.push_str(&format!("all: P {:.3} R {:.3} {all:?}\n", all.precision(), all.recall()));
    println!("{report}{}", mistakes.join("\n"));
    // Every category is in the set, with its true positives.
    assert_eq!(scores.len(), 5, "{report}");
    assert!(all.tp >= 40, "{report}");
    assert!(all.precision() >= 0.90 && all.recall() >= 0.90, "{report}{}", mistakes.join("\n"));
}
