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

/// Scans (issue 21): the same documents as digital text and as scans.
#[path = "common/scans.rs"]
mod scans;

mod ocr {
    use super::common::scan_reveal;
    use super::scans::*;
    use piisweep_testkit::rng::Rng;
    use std::collections::BTreeSet;
    use std::path::Path;

    const FIRST: &[&str] =
        &["James", "Sarah", "Mohammed", "Priya", "David", "Emma", "Daniel", "Olivia", "Thomas", "Grace"];
    const LAST: &[&str] =
        &["Smith", "Patel", "Jones", "Roberts", "Hughes", "Khan", "Taylor", "Evans", "Walker", "Wright"];
    const POSTCODES: &[&str] =
        &["LS1 4AB", "M14 5RT", "B15 2TT", "CF10 3AT", "EH1 1YZ", "NE1 7RU", "BS8 1TH", "L3 9PP"];
    const STREETS: &[&str] = &["Mill Lane", "Church Road", "Station Street", "Park Avenue", "Victoria Road"];
    const NINO_PREFIX: &[&str] = &["JG", "HN", "WK", "RE", "AB", "TP"];

    fn nhs(rng: &mut Rng) -> String {
        loop {
            // England and Wales: 400-499 and 600-799 million.
            let mut d: Vec<u32> = (0..9).map(|_| rng.below(10) as u32).collect();
            d[0] = *rng.pick(&[4, 6, 7]);
            let sum: u32 = d.iter().enumerate().map(|(i, x)| x * (10 - i as u32)).sum();
            let check = (11 - sum % 11) % 11;
            if check < 10 {
                let s: String = d.iter().map(|x| char::from_digit(*x, 10).unwrap()).collect();
                return format!("{} {} {}{}", &s[..3], &s[3..6], &s[6..9], check);
            }
        }
    }

    /// One document: its lines, and the (category, value) it holds.
    fn document(rng: &mut Rng, kind: usize) -> (Vec<String>, Vec<(&'static str, String)>) {
        let first = *rng.pick(FIRST);
        let last = *rng.pick(LAST);
        let name = format!("{first} {last}");
        let dob = format!("{:02}/{:02}/{}", rng.range(1, 28), rng.range(1, 12), rng.range(1940, 2005));
        let phone = format!("07700 900{:03}", rng.below(1000));
        let email = format!("{}.{}@example.org", first.to_lowercase(), last.to_lowercase());
        let postcode = rng.pick(POSTCODES).to_string();
        let street = format!("{} {}", rng.range(2, 120), rng.pick(STREETS));
        let nino = format!("{} {} {} {} C", rng.pick(NINO_PREFIX), rng.digits(2), rng.digits(2), rng.digits(2));
        let nhs = nhs(rng);
        let (lines, labels) = match kind {
            // A letter.
            0 => (
                vec![
                    format!("Dear Mrs {last},"),
                    format!("Re: referral for {name}, date of birth {dob}"),
                    "Thank you for your referral. We have arranged a first".into(),
                    "appointment at our centre next week.".into(),
                    format!("Please call {phone} or write to {email}"),
                    format!("if the time does not suit. Address: {street}, Leeds {postcode}"),
                    "Yours sincerely,".into(),
                    "The Support Team".into(),
                ],
                vec![
                    ("name", last.to_string()),
                    ("name", name),
                    ("dob", dob),
                    ("phone", phone),
                    ("email", email),
                    ("address", street),
                    ("postcode", postcode),
                ],
            ),
            // A form.
            1 => (
                vec![
                    "Referral form".into(),
                    format!("Name: {name}"),
                    format!("Date of birth: {dob}"),
                    format!("NI number: {nino}"),
                    format!("NHS number: {nhs}"),
                    format!("Mobile: {phone}"),
                    format!("Email: {email}"),
                    format!("Postcode: {postcode}"),
                ],
                vec![
                    ("name", name),
                    ("dob", dob),
                    ("nino", nino),
                    ("nhs_number", nhs),
                    ("phone", phone),
                    ("email", email),
                    ("postcode", postcode),
                ],
            ),
            // Case notes.
            _ => (
                vec![
                    format!("Case notes: {name}"),
                    "Met at the drop-in on Tuesday. Worried about rent".into(),
                    "arrears and asked for help with a benefits claim.".into(),
                    format!("Agreed to call back on {phone} on Friday."),
                    format!("NHS number {nhs} given for the GP letter."),
                    "Next review in four weeks.".into(),
                ],
                vec![("name", name), ("phone", phone), ("nhs_number", nhs)],
            ),
        };
        (lines, labels)
    }

    fn norm(v: &str) -> String {
        v.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
    }

    /// Micro precision, recall and F1 of a scan's findings against the labels.
    fn score(
        found: &BTreeSet<(String, String, String)>,
        truth: &BTreeSet<(String, String, String)>,
    ) -> (f64, f64, f64) {
        let tp = found.intersection(truth).count() as f64;
        let p = if found.is_empty() { 1.0 } else { tp / found.len() as f64 };
        let r = tp / truth.len() as f64;
        (p, r, if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) })
    }

    fn findings(dir: &Path) -> BTreeSet<(String, String, String)> {
        let keys = tempfile::tempdir().unwrap();
        let (_, lines) = scan_reveal(&[dir], &[], keys.path());
        lines
            .iter()
            .map(|v| {
                let path = v["path"].as_str().unwrap();
                let doc = path.split(['.', '/']).next().unwrap().to_string();
                (doc, v["category"].as_str().unwrap().to_string(), norm(v["value"].as_str().unwrap()))
            })
            .collect()
    }

    /// Six documents (two letters, two forms, two case notes) as digital
    /// text, and as 300 dpi PNG, tilted and speckled 200 dpi JPEG, bilevel
    /// G4 TIFF and image-only PDF: micro F1 on each scan within 5% of the
    /// digital originals', precision at least 0.95.
    #[test]
    fn ocr_f1_is_within_5_percent_of_the_digital_originals() {
        let mut rng = Rng::new(21);
        let root = tempfile::tempdir().unwrap();
        let kinds = ["digital", "png", "jpeg", "tiff", "pdf"];
        for k in kinds {
            std::fs::create_dir(root.path().join(k)).unwrap();
        }
        let mut truth = BTreeSet::new();
        for i in 0..6 {
            let (lines, labels) = document(&mut rng, i % 3);
            let doc = format!("doc{i}");
            truth.extend(labels.into_iter().map(|(c, v)| (doc.clone(), c.to_string(), norm(&v))));
            std::fs::write(root.path().join("digital").join(format!("{doc}.txt")), lines.join("\n")).unwrap();
            // 300 dpi: 11 pt text is some 46 pixels high; 200 dpi: 31.
            let placed = |pitch: u32| -> Vec<(u32, u32, &str)> {
                lines.iter().enumerate().map(|(n, l)| (pitch, pitch + n as u32 * pitch * 3 / 2, l.as_str())).collect()
            };
            let hi = page(2000, 900, 46.0, &placed(60));
            let lo = page(1400, 640, 31.0, &placed(42));
            let d = |k: &str, ext: &str| root.path().join(k).join(format!("{doc}.{ext}"));
            std::fs::write(d("png", "png"), png(&hi)).unwrap();
            std::fs::write(d("jpeg", "jpg"), jpeg(&noise(&tilt(&lo, 1.5), i as u64 + 1, 24), 75)).unwrap();
            std::fs::write(d("tiff", "tif"), g4_tiff(std::slice::from_ref(&lo))).unwrap();
            std::fs::write(d("pdf", "pdf"), image_pdf(&[hi], PdfImage::Jpeg)).unwrap();
        }
        let digital_found = findings(&root.path().join("digital"));
        eprintln!("digital, not labelled: {:?}", digital_found.difference(&truth).collect::<Vec<_>>());
        let digital = score(&digital_found, &truth);
        eprintln!("digital: P {:.3} R {:.3} F1 {:.3}", digital.0, digital.1, digital.2);
        for k in &kinds[1..] {
            let found = findings(&root.path().join(k));
            let (p, r, f1) = score(&found, &truth);
            eprintln!("{k}: P {p:.3} R {r:.3} F1 {f1:.3}");
            eprintln!("  not labelled {:?}", found.difference(&truth).collect::<Vec<_>>());
            eprintln!("  missed {:?}", truth.difference(&found).collect::<Vec<_>>());
            assert!(p >= 0.95, "{k}: precision {p:.3}");
            assert!(f1 >= digital.2 * 0.95, "{k}: F1 {f1:.3} against {:.3} on the digital originals", digital.2);
        }
    }
}
