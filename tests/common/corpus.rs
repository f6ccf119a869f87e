#![allow(dead_code)]
//! The generated labelled corpus, scanned once per test binary through the library.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use piisweep::detect::{Category, Engine};
use piisweep::finding::Finding;
use piisweep::formats::Limits;
use piisweep::keys::Key;
use piisweep::scan::{self, FileReport, ScanOptions, Sink, Summary};
use piisweep::walk::{FileEntry, WalkOptions};
use piisweep_testkit::corpus::{self, Label, Options};

pub struct Scanned {
    pub dir: tempfile::TempDir,
    pub labels: Vec<Label>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

impl Scanned {
    pub fn drive(&self) -> PathBuf {
        self.dir.path().join("drive")
    }
}

#[derive(Default)]
struct All(Vec<Finding>);

impl Sink for All {
    fn findings(&mut self, _file: &FileEntry, batch: &[Finding]) -> std::io::Result<()> {
        self.0.extend(batch.iter().cloned());
        Ok(())
    }

    fn file(&mut self, _report: &FileReport) -> std::io::Result<()> {
        Ok(())
    }
}

/// Generate a corpus with `seed` and sweep it with the built-in rules.
pub fn generate_and_scan(seed: u64) -> Scanned {
    generate_and_scan_with(Options { seed, ..Options::default() })
}

/// [`generate_and_scan`] with any generator options (`special: true` plants
/// special category data too).
pub fn generate_and_scan_with(options: Options) -> Scanned {
    let dir = tempfile::tempdir().expect("temp dir");
    let labels = corpus::generate(dir.path(), &options).expect("generate corpus");
    let opts = ScanOptions {
        roots: vec![dir.path().join("drive")],
        walk: WalkOptions { follow_links: false, exclude: vec![] },
        limits: Limits::default(),
        min_confidence: 0.5,
        threads: 0,
        progress: false,
    };
    let mut all = All::default();
    let summary = scan::run(&opts, &Engine::builtin(), &Key::from_bytes([7; 32]), &mut [&mut all], None).expect("scan");
    Scanned { dir, labels, findings: all.0, summary }
}

/// The default corpus, generated and scanned once for all tests in a binary.
pub fn default_corpus() -> &'static Scanned {
    static CORPUS: OnceLock<Scanned> = OnceLock::new();
    CORPUS.get_or_init(|| generate_and_scan(Options::default().seed))
}

pub type Key3 = (String, Category, String);

pub fn label_keys<'a>(labels: impl Iterator<Item = &'a Label>) -> BTreeSet<Key3> {
    labels.map(|l| (l.path.clone(), l.category, l.category.normalise(&l.value))).collect()
}

pub fn finding_keys<'a>(findings: impl Iterator<Item = &'a Finding>) -> BTreeSet<Key3> {
    findings.map(|f| (f.path.to_string(), f.category, f.category.normalise(&f.value))).collect()
}
