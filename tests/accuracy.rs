//! Measured accuracy on the generated, labelled charity shared drive: the F1
//! targets of issue 6, per category, so that they cannot silently fall.
//! `piisweep eval` prints the same table (see README).

mod common;

use std::collections::BTreeMap;

use common::corpus::*;
use piisweep::detect::Category;
use piisweep::eval::{evaluate, table};

fn target(c: Category) -> f64 {
    match c {
        Category::Nino
        | Category::NhsNumber
        | Category::Postcode
        | Category::Email
        | Category::BankCard
        | Category::SortCode => 0.98,
        Category::Phone | Category::Dob => 0.95,
        Category::Name => 0.90,
        Category::Address => 0.85,
        // Not in the list: held to the strictest bar.
        Category::BankAccount => 0.98,
        // Special category data (issue 27): precision and recall both >= 0.90.
        Category::Health
        | Category::Ethnicity
        | Category::Religion
        | Category::SexualOrientation
        | Category::CriminalRecord => 0.90,
    }
}

fn check(scanned: &Scanned) {
    let found = finding_keys(scanned.findings.iter());
    let scores = evaluate(&scanned.labels, &found);
    eprintln!("{}", table(&scores, 5));
    let mut below = BTreeMap::new();
    for (c, s) in &scores {
        if c.is_special() && s.tp + s.fn_ == 0 {
            // The default corpus plants none (see the special corpus
            // below): whatever is found is a false positive, and there
            // must be none.
            assert_eq!(s.fp, 0, "{c} found where none is planted");
            continue;
        }
        assert!(s.tp + s.fn_ >= 10, "the corpus must plant at least 10 {c} items, it has {}", s.tp + s.fn_);
        if s.f1() < target(*c) {
            below.insert(c.as_str(), (s.f1(), target(*c)));
        }
    }
    assert!(below.is_empty(), "F1 below target (got, target): {below:?}");
}

#[test]
fn f1_targets_hold_on_the_default_corpus() {
    check(default_corpus());
}

#[test]
fn f1_targets_hold_on_another_seed() {
    check(&generate_and_scan(20261123));
}

/// Precision and recall, each at least 0.90, for every special category on
/// the drive with special category data and its look-alikes planted; the
/// other categories keep their F1 targets there too.
fn check_special(scanned: &Scanned) {
    check(scanned);
    let found = finding_keys(scanned.findings.iter());
    let scores = evaluate(&scanned.labels, &found);
    let mut below = BTreeMap::new();
    for c in Category::SPECIAL {
        let s = &scores[&c];
        assert!(s.tp + s.fn_ >= 10, "the corpus must plant at least 10 {c} items, it has {}", s.tp + s.fn_);
        if s.precision() < 0.90 || s.recall() < 0.90 {
            below.insert(c.as_str(), (s.precision(), s.recall()));
        }
    }
    assert!(below.is_empty(), "precision or recall below 0.90 (precision, recall): {below:?}");
}

#[test]
fn special_categories_meet_their_targets() {
    check_special(&generate_and_scan_with(piisweep_testkit::corpus::Options { special: true, ..Default::default() }));
}

#[test]
fn special_categories_meet_their_targets_on_another_seed() {
    check_special(&generate_and_scan_with(piisweep_testkit::corpus::Options {
        seed: 20261207,
        special: true,
        ..Default::default()
    }));
}
