//! OCR throughput: pages read per second on one core, on generated scans
//! (text rendered to a page in the bench, as tests/ocr.rs does): a full A4
//! case-notes page at 300 dpi as PNG, the same at 200 dpi as a tilted, noisy
//! phone JPEG, and a fax page as bilevel G4 TIFF. Each iteration reads one
//! whole page the way a sweep does (`formats::extract`: decode, Tesseract,
//! layout), one Tesseract at a time, single-threaded, as each sweep worker
//! runs it: pages/s here is pages/s per core. Needs `tesseract` on PATH.
//!
//! Run: `cargo bench --bench ocr` (or, to skip a release build of the whole
//! crate, `cargo bench --profile dev --bench ocr`: the dependencies are
//! optimised in dev builds too, and the time is Tesseract's).
//!
//! Pages are cycled through twelve different ones, so the cache of recently
//! read pages (which spares `anonymise` a second reading) never answers.

#[path = "../tests/common/scans.rs"]
mod scans;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use image::GrayImage;
use piisweep::formats::{self, Emit, Input, Limits, Segment};

/// Counts text without keeping it, so only reading is measured.
#[derive(Default)]
struct Count(usize);

impl Emit for Count {
    fn segment(&mut self, seg: Segment<'_>) {
        self.0 += seg.text.len();
    }
    fn part(&mut self, _: &str, _: &[u8]) {}
    fn warn(&mut self, _: String) {}
}

/// An A4 page of case notes, `dpi` dots per inch, 11-point text; page `n`
/// differs from the others in its reference and figures.
fn case_notes(dpi: u32, n: usize) -> GrayImage {
    let (w, h) = (dpi * 827 / 100, dpi * 1169 / 100);
    let size = dpi as f32 * 11.0 / 72.0;
    let lines: Vec<String> = (0..28)
        .map(|i| match i % 7 {
            0 => format!("Case reference HT-{n:04}-{i:02}: visit on {}/03/2026", 1 + i % 28),
            1 => "Met Jane Roberts at home with her support worker to review the plan.".to_string(),
            2 => format!("Phone: 07700 900{:03}   Email: jane.roberts{n}@example.org", (n * 7 + i) % 1000),
            3 => "She asked for help with her housing application and a school place.".to_string(),
            4 => format!("Address: {} Mill Lane, Leeds LS1 4AB", 10 + n + i),
            5 => "Agreed actions: call the council, write to the GP, book a follow-up.".to_string(),
            _ => format!("Next review in {} weeks; consent form signed and scanned.", 2 + i % 5),
        })
        .collect();
    let step = (size * 1.9) as u32;
    let placed: Vec<(u32, u32, &str)> =
        lines.iter().enumerate().map(|(i, l)| (dpi, dpi + step * i as u32, l.as_str())).collect();
    scans::page(w, h, size, &placed)
}

fn bench(c: &mut Criterion) {
    if piisweep::formats::image::ocr::tesseract(&Limits::default()).is_none() {
        eprintln!("tesseract is not on PATH: nothing to measure");
        return;
    }
    let kinds: [(&str, &str, Vec<Vec<u8>>); 3] = [
        ("A4 300 dpi PNG", "notes.png", (0..12).map(|n| scans::png(&case_notes(300, n))).collect()),
        (
            "A4 200 dpi phone JPEG, tilted 2 degrees, noisy",
            "photo.jpg",
            (0..12).map(|n| scans::jpeg(&scans::noise(&scans::tilt(&case_notes(200, n), 2.0), 7, 30), 80)).collect(),
        ),
        (
            "A4 200 dpi bilevel G4 TIFF (fax)",
            "fax.tif",
            (0..12).map(|n| scans::g4_tiff(&[case_notes(200, n)])).collect(),
        ),
    ];
    let mut group = c.benchmark_group("ocr");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    for (what, name, pages) in &kinds {
        let mut i = 0;
        group.bench_function(*what, |b| {
            b.iter(|| {
                i = (i + 1) % pages.len();
                let mut count = Count::default();
                formats::extract(name, &Input::Bytes(&pages[i]), &mut count, &Limits::default()).expect("read");
                assert!(count.0 > 1000, "the page was read: {} bytes of text", count.0);
                count.0
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
