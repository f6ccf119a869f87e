//! Engine tests: every rule's own examples and counter-examples, and
//! behaviour across rules.

use super::*;
use crate::formats::Segment;
use piisweep_testkit::rng::Rng;

/// `count` texts, each glued from a number of `pieces` in `lengths`, picked
/// at random with a fixed seed (so a failure repeats): inputs for checking a
/// fast path against a plain one.
pub(crate) fn texts_from_pieces(
    pieces: &[&str],
    count: usize,
    lengths: std::ops::Range<usize>,
    seed: u64,
) -> Vec<String> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| {
            let n = lengths.start + rng.below(lengths.len());
            (0..n).map(|_| *rng.pick(pieces)).collect()
        })
        .collect()
}

/// `[Header] text` → (Some(Header), text).
fn split_example(example: &str) -> (Option<&str>, &str) {
    if let Some(rest) = example.strip_prefix('[')
        && let Some((header, text)) = rest.split_once("] ")
    {
        return (Some(header), text);
    }
    (None, example)
}

fn run<'e>(engine: &'e Engine, example: &str) -> Vec<(Category, String, &'e str)> {
    let (header, text) = split_example(example);
    let seg = Segment::fixed("test", text, header);
    engine.detect(&seg).iter().map(|h| (h.category, text[h.start..h.end].to_string(), engine.rule_id(h))).collect()
}

#[test]
fn every_rule_finds_its_examples_and_not_its_counter_examples() {
    let engine = Engine::builtin();
    let mut failures = Vec::new();
    for rule in &engine.rules {
        let spec = &rule.spec;
        for ex in &spec.examples {
            let found = run(&engine, ex);
            if !found.iter().any(|f| f.2 == spec.id) {
                failures.push(format!("{}: example {ex:?} not found (got {found:?})", spec.id));
            }
        }
        for ex in &spec.counter_examples {
            let found = run(&engine, ex);
            if found.iter().any(|f| f.0 == spec.category) {
                failures.push(format!("{}: counter-example {ex:?} gave {found:?}", spec.id));
            }
        }
    }
    assert!(failures.is_empty(), "{} rule example failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_rule_has_examples_and_counter_examples() {
    let engine = Engine::builtin();
    for rule in &engine.rules {
        assert!(!rule.spec.examples.is_empty(), "{} has no examples", rule.spec.id);
        assert!(!rule.spec.counter_examples.is_empty(), "{} has no counter_examples", rule.spec.id);
    }
}

#[test]
fn values_are_exact_spans() {
    let engine = Engine::builtin();
    let found = run(
        &engine,
        "Mrs Jane Roberts (DOB: 12/03/1985), NI AB 12 34 56 C, lives at 12 Mill Lane, Maidstone ME14 5PP. Tel 07700 900123, jane.roberts@gmail.com",
    );
    let want = [
        (Category::Name, "Jane Roberts"),
        (Category::Dob, "12/03/1985"),
        (Category::Nino, "AB 12 34 56 C"),
        (Category::Address, "12 Mill Lane"),
        (Category::Postcode, "ME14 5PP"),
        (Category::Phone, "07700 900123"),
        (Category::Email, "jane.roberts@gmail.com"),
    ];
    for (c, v) in want {
        assert!(found.iter().any(|f| f.0 == c && f.1 == v), "missing {c} {v:?} in {found:?}");
    }
    assert!(!found.iter().any(|f| f.0 == Category::Name && f.1.contains("Maidstone")), "{found:?}");
}

#[test]
fn only_the_labelled_date_is_a_dob() {
    let engine = Engine::builtin();
    let found = run(&engine, "DOB: 12/03/1985 Seen: 01/04/2024 Next review 02/05/2024");
    let dobs: Vec<_> = found.iter().filter(|f| f.0 == Category::Dob).map(|f| f.1.as_str()).collect();
    assert_eq!(dobs, ["12/03/1985"]);
}

#[test]
fn numbers_inside_longer_numbers_are_not_found() {
    let engine = Engine::builtin();
    for text in ["ref 94347659190", "1.9434765919", "tracking 0770090012345"] {
        assert!(run(&engine, text).is_empty(), "{text}: {:?}", run(&engine, text));
    }
}

#[test]
fn uppercase_text_is_not_all_names() {
    let engine = Engine::builtin();
    let found = run(&engine, "ANNUAL REPORT OF THE TRUSTEES FOR THE YEAR ENDED MARCH");
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn context_found_around_candidates_is_what_a_whole_walk_finds() {
    let engine = Engine::builtin();
    let text = "Ref 12. DOB: 01/02/1990, born in Kent; sort code 40-47-84 and account no 41926819.\n\
                Tel07700 900123 — Date of Birth 3 March 1985, next of kin Zoë (mobile).\n"
        .repeat(6);
    let mut all = Vec::new();
    engine.dict.occurrences(&text, &mut all);
    assert!(all.len() > 20, "the text holds many terms");
    let mut rng = Rng::new(11);
    for _ in 0..200 {
        let (mut occurrences, mut walked, mut spare, anchors) =
            (Vec::new(), Vec::new(), Vec::new(), Anchors::default());
        let seg = Segment::fixed("t", &text, None);
        let mut scan = SegmentScan {
            seg: &seg,
            dict: &engine.dict,
            anchors: &anchors,
            occurrences: &mut occurrences,
            walked: &mut walked,
            spare: &mut spare,
            headers: &[],
        };
        for _ in 0..8 {
            let a = context::floor_char(&text, rng.below(text.len()));
            let b = context::ceil_char(&text, (a + rng.below(120)).min(text.len()));
            scan.walk(a, b);
            let inside = |o: &Occurrence| scan.walked.iter().any(|w| w.0 <= o.start && o.start < w.1);
            let want: Vec<_> = all.iter().filter(|o| inside(o)).copied().collect();
            let mut got = scan.occurrences.clone();
            got.sort_by_key(|o| (o.start, o.term));
            assert_eq!(&got, &*scan.occurrences, "kept in order");
            let mut want_sorted = want.clone();
            want_sorted.sort_by_key(|o| (o.start, o.term));
            assert_eq!(got, want_sorted, "after walking {a}..{b}, walked {:?}", scan.walked);
            assert!(scan.walked.windows(2).all(|w| w[0].1 < w[1].0), "ranges disjoint, merged, in order");
        }
    }
}

#[test]
fn a_role_after_a_name_counts_on_any_line_of_a_segment() {
    let engine = Engine::builtin();
    for text in [
        "Zorbul Quenty, Chief Executive",
        "Zorbul Quenty, Chief Executive\nThe meeting closed at four.",
        "Minutes.\nZorbul Quenty, Chief Executive\nThe meeting closed at four.\nNext meeting in May.",
    ] {
        let seg = Segment::lines("t", 1, text);
        let names: Vec<&str> = engine
            .detect(&seg)
            .iter()
            .filter(|h| h.category == Category::Name)
            .map(|h| &text[h.start..h.end])
            .collect();
        assert_eq!(names, ["Zorbul Quenty"], "{text:?}");
    }
}

#[test]
fn header_answers_are_each_rules_own_match_and_kept_per_engine() {
    let engine = Engine::builtin();
    let headers =
        ["Date of birth", "DOB", "Client name", "Client ID", "Postcode", "NI number", "Mobile", "Notes", "Email", ""];
    let mut answers = HeaderAnswers::default();
    for _ in 0..2 {
        for header in headers {
            let bits = answers.get(&engine, header).to_vec();
            for (i, rule) in engine.rules.iter().enumerate() {
                let want = !rule.headers.is_empty() && header_matches(header, &rule.headers, &rule.exclude_headers);
                assert_eq!(bits[i / 64] >> (i % 64) & 1 == 1, want, "{header:?}, rule {}", rule.spec.id);
            }
        }
    }
    assert!(headers.iter().any(|h| answers.get(&engine, h).iter().any(|&b| b != 0)), "some header makes context");
    // Another engine with other rules gets its own answers, not the first one's.
    let mut set = RuleSet::builtin();
    set.rules.retain(|r| r.category != Category::Dob);
    let other = Engine::new(set);
    for header in headers {
        let bits = answers.get(&other, header).to_vec();
        for (i, rule) in other.rules.iter().enumerate() {
            let want = !rule.headers.is_empty() && header_matches(header, &rule.headers, &rule.exclude_headers);
            assert_eq!(bits[i / 64] >> (i % 64) & 1 == 1, want, "other engine: {header:?}, rule {}", rule.spec.id);
        }
    }
}

#[test]
fn an_organisations_details_on_its_own_line_are_less_certain() {
    let engine = Engine::builtin();
    let found = |text: &str| -> Vec<(Category, String, f32)> {
        let seg = Segment::fixed("test", text, None);
        engine.detect(&seg).iter().map(|h| (h.category, text[h.start..h.end].to_string(), h.confidence)).collect()
    };
    let low = |text: &str, cat: Category| {
        let f = found(text);
        assert!(f.iter().any(|h| h.0 == cat), "{cat:?} not found at all in {text:?}: {f:?}");
        assert!(f.iter().filter(|h| h.0 == cat).all(|h| h.2 < 0.5), "{text:?}: {f:?}");
    };
    low("Registered office: 4 Mill Lane, Sittingbourne ME10 2JZ", Category::Postcode);
    low("Registered office: 4 Mill Lane, Sittingbourne ME10 2JZ", Category::Address);
    low("Call us on 01622 123456 (Mon-Fri)", Category::Phone);
    low("Tel 01233 627119 | Registered charity no. 1143210", Category::Phone);
    low("To donate by bank transfer: sort code 40-22-18", Category::SortCode);
    // The same details of a person, or on another line, keep their confidence.
    let high = |text: &str, cat: Category| {
        let f = found(text);
        assert!(f.iter().any(|h| h.0 == cat && h.2 >= 0.8), "{text:?}: {f:?}");
    };
    high("Lives at 4 Mill Lane, Sittingbourne ME10 2JZ", Category::Postcode);
    high("Mrs Jones: tel 01622 123456", Category::Phone);
    high("Registered charity no. 1143210\nHer mobile: 07700 900123", Category::Phone);
    // In a paragraph on one line, the sentence is the line.
    high("Our registered office is in Maidstone. Her mobile is 07700 900123 now", Category::Phone);
    high("Her mobile is 07700 900123. Registered charity no. 1143210", Category::Phone);
    low("Her mobile is 07700 900123.Registered charity no. 1143210", Category::Phone);
}

#[test]
fn international_phone_numbers_join_the_combined_pass_and_stay_out_of_uk_ones() {
    let engine = Engine::builtin();
    let rule = engine.rules.iter().find(|r| r.spec.id == "phone.international").expect("the rule is built in");
    assert!(rule.member.is_some(), "bounded, on digits: one of the combined pass's rules");
    // A +44 number is reported once, by the UK rule.
    for text in ["Mobile +44 7700 900123", "tel 0044 20 7946 0018", "+44 (0)1622 123456"] {
        let found = run(&engine, text);
        let phones: Vec<_> = found.iter().filter(|f| f.0 == Category::Phone).collect();
        assert_eq!(phones.len(), 1, "{text}: {found:?}");
        assert_eq!(phones[0].2, "phone.uk", "{text}: {found:?}");
    }
    // A number from abroad is one finding, the whole number, even where a
    // UK or NHS number's shape lies inside it.
    for (text, want) in [
        ("tel: +33 (0)1 23 45 67 89", "+33 (0)1 23 45 67 89"),
        ("son +1 202 555 0143 (work)", "+1 202 555 0143"),
        ("mob +234 0803 123 4567", "+234 0803 123 4567"),
        ("Call from Jo (+48 512 345 678) re care", "+48 512 345 678"),
    ] {
        let found = run(&engine, text);
        let phones: Vec<_> = found.iter().filter(|f| f.0 != Category::Name).collect();
        assert_eq!(phones.len(), 1, "{text}: {found:?}");
        assert_eq!((phones[0].0, phones[0].1.as_str(), phones[0].2), (Category::Phone, want, "phone.international"));
    }
}

/// The most confident phone found in `text` (0 if none).
fn phone_confidence(engine: &Engine, text: &str) -> f32 {
    let (header, text) = split_example(text);
    let seg = Segment::fixed("test", text, header);
    engine.detect(&seg).iter().filter(|h| h.category == Category::Phone).map(|h| h.confidence).fold(0.0, f32::max)
}

#[test]
fn organisation_numbers_need_a_person_label() {
    let engine = Engine::builtin();
    // Labelled as a person's, or in a phone column: reported (default 0.5).
    for text in
        ["Home phone: 0300 123 4567", "[Mobile] 0845 123 4567", "Direct line: 0808 157 0123", "[Phone] 01524 12345"]
    {
        assert!(phone_confidence(&engine, text) >= 0.8, "{text}: {}", phone_confidence(&engine, text));
    }
    // An organisation's line, or no label: below the default.
    for text in [
        "Helpline tel: 0300 123 4567",
        "call us on 0300 123 4567",
        "ring 0800 123 4567 for advice",
        "Service Manager | Kent Carers | Tel 0300 456 7890",
    ] {
        let c = phone_confidence(&engine, text);
        assert!(c < 0.5, "{text}: {c}");
    }
    // Ordinary numbers keep the plain rule (and its confidence).
    let seg = Segment::fixed("t", "Mobile 07700 900123", None);
    let hits = engine.detect(&seg);
    assert_eq!(hits.iter().map(|h| engine.rule_id(h)).collect::<Vec<_>>(), ["phone.uk"]);
}

/// (category, value) of every hit in running text (no header).
fn found_in_text(engine: &Engine, text: &str) -> Vec<(Category, String)> {
    let seg = Segment::lines("line", 1, text);
    engine.detect(&seg).iter().map(|h| (h.category, text[h.start..h.end].to_string())).collect()
}

#[test]
fn values_in_text_tables_get_their_column_headers() {
    let engine = Engine::builtin();
    let layouts = [
        "Name | DOB | Sort code | Account | Phone\n---|---|---|---|---\nJane Roberts | 12/03/1985 | 20-00-00 | 31926819 | 0300 123 4567\n",
        "Name\tDOB\tSort code\tAccount\tPhone\nJane Roberts\t12/03/1985\t20-00-00\t31926819\t0300 123 4567\n",
        "Name            DOB          Sort code   Account     Phone\nJane Roberts    12/03/1985   20-00-00    31926819    0300 123 4567\n",
    ];
    for text in layouts {
        let found = found_in_text(&engine, text);
        for (category, value) in [
            (Category::Name, "Jane Roberts"),
            (Category::Dob, "12/03/1985"),
            (Category::SortCode, "20-00-00"),
            (Category::BankAccount, "31926819"),
            (Category::Phone, "0300 123 4567"),
        ] {
            assert!(
                found.iter().any(|(c, v)| *c == category && v == value),
                "{category} {value} in {text:?}: {found:?}"
            );
        }
        // Without the header row, a bare date, sort code or account is not reported.
        let rows = text.lines().last().unwrap();
        let bare = found_in_text(&engine, &format!("{rows}\n{rows}\n"));
        assert!(
            !bare.iter().any(|(c, _)| matches!(c, Category::Dob | Category::SortCode | Category::BankAccount)),
            "{bare:?}"
        );
    }
    // The same values in a sentence under no header stay unreported.
    let prose = "Meeting  notes\nOn 12/03/1985 we paid 31926819 pence.\n";
    assert!(!found_in_text(&engine, prose).iter().any(|(c, _)| matches!(c, Category::Dob | Category::BankAccount)));
}

/// (category, value) of every hit of `text` at the default --min-confidence.
fn reported(engine: &Engine, text: &str) -> Vec<(Category, String)> {
    let seg = Segment::lines("line", 1, text);
    engine
        .detect(&seg)
        .iter()
        .filter(|h| h.confidence >= 0.5)
        .map(|h| (h.category, text[h.start..h.end].to_string()))
        .collect()
}

#[test]
fn a_persons_details_beside_an_organisation_stay_theirs() {
    let engine = Engine::builtin();
    // A person named on an organisation's contact line: the details after the name are theirs.
    for (text, values) in [
        (
            "Contact: Sam Patel, Head Office, Age UK Maidstone, 07700 900456, sam.patel@ageuk.org.uk",
            &["07700 900456", "sam.patel@ageuk.org.uk"][..],
        ),
        ("Contact us: Amy Jones 07700 900222", &["07700 900222"][..]),
        (
            "Our support worker Amy Jones (mobile 07700 900111) at our office, 3 Mill Lane, Maidstone ME14 5PP",
            &["07700 900111", "3 Mill Lane", "ME14 5PP"][..],
        ),
        (
            "Jane Roberts\nFamily Support Worker\nKent Carers Trust\nTel: 01233 123456 | Mobile: 07700 900123\njane.roberts@kentcarers.org.uk",
            &["01233 123456", "07700 900123", "jane.roberts@kentcarers.org.uk"][..],
        ),
    ] {
        let found = reported(&engine, text);
        for v in values {
            assert!(found.iter().any(|(_, f)| f == v), "{v} in {text:?}: {found:?}");
        }
    }
    // What is only the organisation's stays demoted: no person before it,
    // or a phrase that makes it the organisation's whatever the line holds.
    for text in [
        "Call us on 01622 123456 and ask for Jane Roberts",
        "Contact us: Kent Carers Trust, 3 Mill Lane, Maidstone ME14 5PP, 01622 123456",
        "Jane Roberts, Registered office: 1 High Street, Ashford TN23 1AB",
        "Jane Roberts. Switchboard 01622 555000",
        "Registered charity number 1123456. Head office: 3 Mill Lane, Maidstone ME14 5PP",
    ] {
        let found = reported(&engine, text);
        assert!(found.iter().all(|(c, _)| *c == Category::Name), "{text:?}: {found:?}");
    }
}
