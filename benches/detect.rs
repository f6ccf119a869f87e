//! Detection throughput on realistic prose and on record-like text (the
//! rules engine alone, no file reading). Run: `cargo bench --bench detect`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use piisweep::detect::{Engine, Hit, Lists, RuleSet};
use piisweep::formats::Segment;

/// Case-note style prose with a little personal data, as charities write it.
fn prose(bytes: usize) -> Vec<String> {
    let paras = [
        "Home visit today. Margaret said her son Tobias helps with shopping on Tuesdays and that the \
         new carer from the agency has been reliable. She is worried about the cost of heating and asked \
         about the Warm Homes grant. We agreed to review the care plan at the next meeting.",
        "Spoke to Mrs Okonkwo on the phone (07700 900341). She confirmed her address is 27 Tonbridge Road, \
         Maidstone ME16 8JS and that her GP has referred her to the memory clinic. Next review 03/03/2024.",
        "The group session went well: eleven people attended, including three new members referred by the \
         social prescribing link worker. Feedback forms were positive; two people asked for transport help.",
        "Email from the council's adult social care team about the respite budget for the coming quarter. \
         Our helpline number is 0800 123 4567 and the shared mailbox is info@wealdcarers.org.uk.",
    ];
    blocks(&paras, bytes)
}

/// Referral-list style lines: many identifiers per line.
fn records(bytes: usize) -> Vec<String> {
    let rows = [
        "C-1041, Priya Chowdhury, DOB 01/02/1990, NI JT 47 21 93 B, NHS 485 777 3457, CT1 2EH, 07700 900456, priya.c@gmail.com",
        "C-1042, Oluwaseun Adeyemi, DOB 17/06/2007, NI AB 12 34 56 C, NHS 943 476 5919, TN23 1AA, +44 7700 900789, o.adeyemi@outlook.com",
        "C-1043, Tomasz Wisniewski, DOB 3 March 1985, sort code 40-47-84, account 41926819, DA1 1BN, (01322) 222 333",
        "INV-20431, 14/02/2024, £1,250.00, charity no. 1123456, ref 4857773456, order 8841-2231-0042",
    ];
    blocks(&rows, bytes)
}

/// Text blocks of up to 64 lines, like the text extractor emits.
fn blocks(lines: &[&str], bytes: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut total = 0;
    let mut i = 0;
    while total < bytes {
        let mut block = String::new();
        for _ in 0..64 {
            block.push_str(lines[i % lines.len()]);
            block.push('\n');
            i += 1;
        }
        total += block.len();
        out.push(block);
    }
    out
}

/// Detection over every block; the number of hits.
fn detect_all(engine: &Engine, text: &[String], hits: &mut Vec<Hit>) -> usize {
    let mut n = 0;
    for t in text {
        engine.detect_into(&Segment::lines("line", 1, t), hits);
        n += hits.len();
    }
    n
}

fn bench(c: &mut Criterion) {
    let engine = Engine::builtin();
    for (name, text) in [("prose", prose(4 << 20)), ("records", records(4 << 20))] {
        let bytes: usize = text.iter().map(String::len).sum();
        let mut group = c.benchmark_group("detect");
        group.throughput(Throughput::Bytes(bytes as u64));
        group.sample_size(10);
        group.bench_function(name, |b| {
            let mut hits = Vec::new();
            b.iter(|| detect_all(&engine, &text, &mut hits))
        });
        group.finish();
    }
}

/// Each rule alone on record-like text, to see what a rule costs
/// (`cargo bench --bench detect -- rule/`).
fn per_rule(c: &mut Criterion) {
    let text = records(1 << 20);
    let bytes: usize = text.iter().map(String::len).sum();
    let mut group = c.benchmark_group("rule");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    for spec in RuleSet::builtin().rules {
        let id = spec.id.clone();
        let engine = Engine::new(RuleSet { rules: vec![spec], lists: Lists::builtin() });
        group.bench_function(id, |b| {
            let mut hits = Vec::new();
            b.iter(|| detect_all(&engine, &text, &mut hits))
        });
    }
    group.finish();
}

criterion_group!(benches, bench, per_rule);
criterion_main!(benches);
