//! Extractor throughput per format (files/s and MB/s), on the files of the
//! generated charity corpus held in memory. Run: `cargo bench --bench extract`.

use std::collections::BTreeMap;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use piisweep::formats::{self, Emit, Input, Limits, Segment};

/// Counts text without keeping it, so only extraction is measured.
#[derive(Default)]
struct Count(usize);

impl Emit for Count {
    fn segment(&mut self, seg: Segment<'_>) {
        self.0 += seg.text.len();
    }
    fn part(&mut self, name: &str, data: &[u8]) {
        // Parts (attachments, members) are extracted too, as a sweep would.
        let _ = formats::extract(name, &Input::Bytes(data), self, &Limits::default());
    }
    fn warn(&mut self, _: String) {}
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    piisweep_testkit::corpus::generate(
        dir.path(),
        &piisweep_testkit::corpus::Options { seed: 1, scale: 2, special: false },
    )
    .expect("corpus");
    let mut by_ext: BTreeMap<String, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir.path().join("drive")).into_iter().filter_map(Result::ok) {
        if entry.file_type().is_file() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ext = name.rsplit('.').next().unwrap_or("").to_string();
            by_ext.entry(ext).or_default().push((name, std::fs::read(entry.path()).expect("read")));
        }
    }
    let mut group = c.benchmark_group("extract");
    group.sample_size(10);
    for (ext, files) in &by_ext {
        let bytes: usize = files.iter().map(|f| f.1.len()).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(format!("{ext} ({} files, {} KB)", files.len(), bytes / 1024), |b| {
            b.iter(|| {
                let mut count = Count::default();
                for (name, data) in files {
                    let _ = formats::extract(name, &Input::Bytes(data), &mut count, &Limits::default());
                }
                count.0
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
