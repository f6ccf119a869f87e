//! A sweep: walk the roots, extract every file in parallel, detect personal
//! data in each segment, and stream each file's findings to the sinks in
//! bounded batches, followed by the file's report.
//!
//! Memory per file is bounded whatever its size or number of findings: a
//! worker hands findings on in batches of at most [`BATCH`] as it finds them,
//! over a bounded channel to the single writer thread that runs the sinks.
//!
//! Every file ends up scanned, skipped (with the reason) or failed (with the
//! reason); parts inside containers are accounted for the same way. A panic
//! while reading one file is caught and reported for that file.

use std::panic::{AssertUnwindSafe, catch_unwind};

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use compact_str::CompactString;
use rayon::prelude::*;

use crate::detect::Engine;
use crate::extract::{self, Emit, ExtractError, Input, Limits, Segment};
use crate::finding::{Counts, Finding};
use crate::keys::Key;
use crate::walk::{self, FileEntry, WalkOptions};

/// Most findings in one batch handed from a worker to the writer thread.
pub const BATCH: usize = 1024;

/// Most messages (batches or file reports) waiting for the writer thread:
/// with [`BATCH`], at most `CHANNEL * BATCH` findings are in flight.
const CHANNEL: usize = 32;

/// What a worker sends the writer thread.
enum Message {
    /// Findings of the file at this index in the walk, in the order found,
    /// with what each sink's [`Sink::prepare`] made of them.
    Findings(usize, Vec<Finding>, Vec<Option<Vec<u8>>>),
    /// A file is finished: all its batches were sent before.
    File(Box<FileReport>),
}

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub roots: Vec<PathBuf>,
    pub walk: WalkOptions,
    pub limits: Limits,
    /// Findings below this confidence are dropped.
    pub min_confidence: f32,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    pub progress: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Scanned,
    Skipped(String),
    Failed(String),
}

impl Status {
    fn from_error(e: &ExtractError) -> Status {
        match e {
            ExtractError::Io(io) => Status::Failed(walk::describe_io(io)),
            e if e.is_skip() => Status::Skipped(e.to_string()),
            e => Status::Failed(e.to_string()),
        }
    }
}

/// What happened to one file on disk (and the parts inside it). Its
/// findings are not here: they were handed on in batches as they were found.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: String,
    pub abs: Option<PathBuf>,
    pub size: u64,
    pub modified: Option<std::time::SystemTime>,
    /// The sniffed type (`xlsx`, `pdf`...), empty if never opened.
    pub kind: &'static str,
    pub status: Status,
    /// How many findings of each category were handed on for this file.
    pub counts: Counts,
    /// Parts inside this file that were skipped or failed, with their `!` paths.
    pub parts: Vec<(String, Status)>,
    /// Things the user should know that did not stop the file being read.
    pub warnings: Vec<String>,
}

impl FileReport {
    /// Did anything in this file fail to be read?
    pub fn any_failed(&self) -> bool {
        matches!(self.status, Status::Failed(_)) || self.parts.iter().any(|p| matches!(p.1, Status::Failed(_)))
    }
}

/// Receives a sweep's results on one thread: each file's findings in
/// batches as they are found, then the file's report.
///
/// Batches of different files may come between one another (files are read
/// in parallel); the batches of one file come in the order found, and all of
/// them before that file's report. A file with no findings gets no batch.
pub trait Sink {
    /// Some findings of `file` (all from it or the parts inside it).
    fn findings(&mut self, file: &FileEntry, batch: &[Finding]) -> std::io::Result<()>;
    /// `report.path` is finished: every finding of it was given to
    /// [`Sink::findings`] before this call.
    fn file(&mut self, report: &FileReport) -> std::io::Result<()>;
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    /// Work to do on the worker threads for each batch before it reaches
    /// this sink (such as rendering JSON lines), so that the one thread
    /// feeding the sinks does not hold the workers back. Its result is handed
    /// to [`Sink::prepared`] instead of calling [`Sink::findings`].
    fn prepare(&self) -> Option<Prepare> {
        None
    }
    /// A batch with what [`Sink::prepare`] made of it.
    fn prepared(&mut self, file: &FileEntry, batch: &[Finding], _bytes: Vec<u8>) -> std::io::Result<()> {
        self.findings(file, batch)
    }
}

/// Per-batch work a sink hands to the worker threads: see [`Sink::prepare`].
pub type Prepare = std::sync::Arc<dyn Fn(&[Finding]) -> Vec<u8> + Send + Sync>;

/// What to do with each segment of a file as it arrives.
pub trait SegmentHandler {
    /// `path` is the file's path with `!` into containers.
    fn segment(&mut self, path: &str, seg: &Segment<'_>);
}

/// Where a file's findings go, a batch at a time, as they are found.
pub type Batches<'a> = &'a mut dyn FnMut(Vec<Finding>);

/// Detection: turns each segment's hits into findings, handed on in batches.
struct Detector<'a> {
    engine: &'a Engine,
    key: &'a Key,
    min_confidence: f32,
    /// Findings not yet handed on (fewer than [`BATCH`]).
    pending: Vec<Finding>,
    /// Counts of every finding made, handed on or pending.
    counts: Counts,
    out: Batches<'a>,
    hits: Vec<crate::detect::Hit>,
    /// The path of the last segment, shared by its findings.
    path: Option<Arc<str>>,
    /// Rule ids by rule index, shared by the findings of each rule.
    rules: Vec<Option<Arc<str>>>,
    /// The normalised value being hashed, kept between findings.
    normalised: String,
}

impl<'a> Detector<'a> {
    fn new(engine: &'a Engine, key: &'a Key, min_confidence: f32, out: Batches<'a>) -> Self {
        Detector {
            engine,
            key,
            min_confidence,
            pending: Vec::new(),
            counts: Counts::default(),
            out,
            hits: Vec::new(),
            path: None,
            rules: Vec::new(),
            normalised: String::new(),
        }
    }

    /// The shared path for findings in `path`.
    fn path(&mut self, path: &str) -> Arc<str> {
        match &self.path {
            Some(p) if **p == *path => p.clone(),
            _ => self.path.insert(Arc::from(path)).clone(),
        }
    }

    /// The shared id of the rule behind `hit`.
    fn rule(&mut self, hit: &crate::detect::Hit) -> Arc<str> {
        if self.rules.len() <= hit.rule {
            self.rules.resize(hit.rule + 1, None);
        }
        self.rules[hit.rule].get_or_insert_with(|| Arc::from(self.engine.rule_id(hit))).clone()
    }

    /// Keep `f`, handing on a full batch.
    fn push(&mut self, f: Finding) {
        self.counts.add(f.category);
        self.pending.push(f);
        if self.pending.len() >= BATCH {
            let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(BATCH));
            (self.out)(batch);
        }
    }

    /// Hand on what is pending; return the counts of all findings made.
    fn finish(mut self) -> Counts {
        if !self.pending.is_empty() {
            (self.out)(std::mem::take(&mut self.pending));
        }
        self.counts
    }
}

impl SegmentHandler for Detector<'_> {
    fn segment(&mut self, path: &str, seg: &Segment<'_>) {
        let mut hits = std::mem::take(&mut self.hits);
        self.engine.detect_into(seg, &mut hits);
        let mut locator = crate::extract::Locator::new(seg.loc, seg.text);
        let mut shared_path = None;
        let min_confidence = self.min_confidence;
        for h in hits.iter().filter(|h| h.confidence >= min_confidence) {
            let value = &seg.text[h.start..h.end];
            let path = shared_path.get_or_insert_with(|| self.path(path)).clone();
            h.category.normalise_into(value, &mut self.normalised);
            let finding = Finding {
                path,
                location: locator.at(h.start),
                category: h.category,
                value: CompactString::from(value),
                masked_only: false,
                hash: self.key.hash_bytes(&self.normalised),
                confidence: h.confidence,
                rule: self.rule(h),
            };
            self.push(finding);
        }
        self.hits = hits;
    }
}

/// The Emit that hands segments to a handler and recurses into parts.
struct FileScan<'a, H> {
    handler: H,
    limits: &'a Limits,
    path: String,
    depth: u32,
    parts: Vec<(String, Status)>,
    warnings: Vec<String>,
    /// Bytes taken out of archives in this file, all levels together.
    archive_used: u64,
    /// Test hook: pause at the next segment (see [`test_hook_pause`]).
    pause: bool,
}

impl<H: SegmentHandler> Emit for FileScan<'_, H> {
    fn segment(&mut self, seg: Segment<'_>) {
        if std::mem::take(&mut self.pause) {
            test_hook_pause();
        }
        self.handler.segment(&self.path, &seg);
    }

    fn part(&mut self, name: &str, data: &[u8]) {
        let inner = format!("{}!{}", self.path, name);
        if self.depth >= self.limits.max_depth {
            self.parts
                .push((inner, Status::Failed(format!("limit hit: nested more than {} deep", self.limits.max_depth))));
            return;
        }
        let outer = std::mem::replace(&mut self.path, inner);
        self.depth += 1;
        let limits = self.limits;
        let result = catching(|| extract::extract(name, &Input::Bytes(data), self, limits));
        self.depth -= 1;
        let inner = std::mem::replace(&mut self.path, outer);
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => self.parts.push((inner, Status::from_error(&e))),
            Err(panic) => self.parts.push((inner, Status::Failed(panic_reason(panic)))),
        }
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(format!("{}: {message}", self.path));
    }

    fn part_error(&mut self, name: &str, error: ExtractError) {
        self.parts.push((format!("{}!{}", self.path, name), Status::from_error(&error)));
    }

    fn depth(&self) -> u32 {
        self.depth
    }

    fn archive_used(&self) -> u64 {
        self.archive_used
    }

    fn archive_take(&mut self, bytes: u64) {
        self.archive_used = self.archive_used.saturating_add(bytes);
    }
}

thread_local! {
    /// True while this thread reads a file inside `catch_unwind`.
    static READING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Install a panic hook that stays quiet about panics caught while reading a
/// file (each is reported for its file in the summary, as a failure to read
/// it), and reports any other panic as before.
pub fn quiet_caught_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !READING.with(std::cell::Cell::get) {
            default(info)
        }
    }));
}

/// Run `f`, catching a panic; the panic hook knows it is caught.
fn catching<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    let was = READING.with(|r| r.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    READING.with(|r| r.set(was));
    result
}

fn panic_reason(panic: Box<dyn std::any::Any + Send>) -> String {
    let msg = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown".into());
    format!("internal error while reading this file (please report it): {msg}")
}

/// How to detect: the engine, the key for hashes, and what to leave out.
#[derive(Clone, Copy)]
pub struct Detection<'a> {
    pub engine: &'a Engine,
    pub key: &'a Key,
    pub limits: &'a Limits,
    /// Findings below this confidence are dropped.
    pub min_confidence: f32,
}

/// Extract and detect one file, handing its findings to `out` in batches of
/// at most [`BATCH`] while it is read. The report counts them.
pub fn scan_file_streaming(entry: &FileEntry, how: Detection<'_>, out: Batches<'_>) -> FileReport {
    let detector = Detector::new(how.engine, how.key, how.min_confidence, out);
    let (mut report, detector) = read_file(entry, how.limits, detector);
    report.counts = detector.finish();
    report
}

/// Extract and detect one file, collecting all its findings: for callers
/// that need them together (re-scanning one anonymised copy), not sweeps.
pub fn scan_file(entry: &FileEntry, how: Detection<'_>) -> (FileReport, Vec<Finding>) {
    let mut all = Vec::new();
    let report = scan_file_streaming(entry, how, &mut |batch| all.extend(batch));
    (report, all)
}

/// Extract one file (and the parts inside it), handing every segment to
/// `handler`. The report says how reading went; it holds no findings.
pub fn read_file<H: SegmentHandler>(entry: &FileEntry, limits: &Limits, handler: H) -> (FileReport, H) {
    let mut report = FileReport {
        path: entry.rel.clone(),
        abs: Some(entry.abs.clone()),
        size: entry.size,
        modified: entry.modified,
        kind: "",
        status: Status::Scanned,
        counts: Counts::default(),
        parts: Vec::new(),
        warnings: Vec::new(),
    };
    let mut fs = FileScan {
        handler,
        limits,
        path: entry.rel.clone(),
        depth: 0,
        parts: Vec::new(),
        warnings: Vec::new(),
        archive_used: 0,
        pause: test_hook_pause_on(&entry.rel),
    };
    let input = Input::File { path: &entry.abs, size: entry.size };
    let kind = match input.head(extract::sniff::HEAD_LEN) {
        Ok(head) => extract::sniff::sniff(&entry.rel, &head),
        Err(e) => {
            report.status = Status::from_error(&e);
            return (report, fs.handler);
        }
    };
    report.kind = kind.name();
    // Streamed formats are read in bounded memory whatever their size.
    let read_whole = !kind.is_streamed() && !matches!(kind, extract::Kind::Skip(_) | extract::Kind::Encrypted);
    if read_whole && entry.size > limits.max_file_size {
        report.status = Status::Skipped(format!(
            "larger than --max-file-size ({} MB > {} MB)",
            entry.size >> 20,
            limits.max_file_size >> 20
        ));
        return (report, fs.handler);
    }
    report.status = match catching(|| {
        test_hook_panic(&entry.rel);
        extract::extract_kind(kind, &input, &mut fs, limits)
    }) {
        Ok(Ok(())) => Status::Scanned,
        Ok(Err(e)) => Status::from_error(&e),
        Err(panic) => Status::Failed(panic_reason(panic)),
    };
    report.parts = fs.parts;
    report.warnings = fs.warnings;
    if changed_since_walk(entry) {
        report.warnings.push(format!(
            "{}: changed while being read (size or modification time differ): results may be incomplete, scan it again",
            entry.rel
        ));
    }
    (report, fs.handler)
}

/// For tests of panic handling only: `PIISWEEP_TEST_PANIC_ON=NAME` makes
/// reading any file whose path contains NAME panic.
fn test_hook_panic(path: &str) {
    if let Some(name) = std::env::var_os("PIISWEEP_TEST_PANIC_ON")
        && path.contains(&*name.to_string_lossy())
    {
        panic!("test panic (PIISWEEP_TEST_PANIC_ON)");
    }
}

/// For tests of files changing while they are read only:
/// `PIISWEEP_TEST_PAUSE_ON=NAME` with `PIISWEEP_TEST_PAUSE_DIR=DIR` makes
/// reading a file whose path contains NAME pause at its first segment.
fn test_hook_pause_on(path: &str) -> bool {
    std::env::var_os("PIISWEEP_TEST_PAUSE_ON").is_some_and(|name| path.contains(&*name.to_string_lossy()))
}

/// The pause: create `DIR/paused`, then wait until `DIR/resume` exists (at
/// most a minute), so that a test can change the file mid-read.
fn test_hook_pause() {
    let Some(dir) = std::env::var_os("PIISWEEP_TEST_PAUSE_DIR").map(PathBuf::from) else { return };
    let _ = std::fs::write(dir.join("paused"), b"");
    let start = Instant::now();
    while !dir.join("resume").exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Has the file's size or modification time changed since it was listed?
fn changed_since_walk(entry: &FileEntry) -> bool {
    match std::fs::metadata(&entry.abs) {
        Ok(md) => md.len() != entry.size || md.modified().ok() != entry.modified,
        Err(_) => true,
    }
}

/// Totals for the end-of-sweep summary.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub skipped: Vec<(String, String)>,
    pub failed: Vec<(String, String)>,
    pub warnings: Vec<String>,
    pub findings: std::collections::BTreeMap<crate::detect::Category, u64>,
    pub elapsed: Duration,
}

impl Summary {
    fn add(&mut self, r: &FileReport) {
        match &r.status {
            Status::Scanned => {
                self.files_scanned += 1;
                self.bytes_scanned += r.size;
            }
            Status::Skipped(why) => self.skipped.push((r.path.clone(), why.clone())),
            Status::Failed(why) => self.failed.push((r.path.clone(), why.clone())),
        }
        for (p, s) in &r.parts {
            match s {
                Status::Failed(why) => self.failed.push((p.clone(), why.clone())),
                Status::Skipped(why) => self.skipped.push((p.clone(), why.clone())),
                Status::Scanned => {}
            }
        }
        self.warnings.extend(r.warnings.iter().cloned());
        for (category, n) in r.counts.iter() {
            *self.findings.entry(category).or_default() += n;
        }
    }

    pub fn total_findings(&self) -> u64 {
        self.findings.values().sum()
    }

    pub fn any_failed(&self) -> bool {
        !self.failed.is_empty()
    }
}

/// Which files to read: all of them, or only those a sink says changed. For
/// a file that need not be read, it hands on the file's findings (in batches,
/// as [`scan_file_streaming`] does) and returns its report.
pub type FileFilter<'a> = dyn Fn(&FileEntry, Batches<'_>) -> Option<FileReport> + Sync + 'a;

/// Run a sweep. `reuse` may stand in for reading a file that need not be
/// read again (an unchanged file in an incremental rescan).
pub fn run(
    opts: &ScanOptions,
    engine: &Engine,
    key: &Key,
    sinks: &mut [&mut (dyn Sink + Send)],
    reuse: Option<&FileFilter<'_>>,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let walked = walk::walk(&opts.roots, &opts.walk)?;
    let mut summary = Summary::default();
    for p in &walked.passed {
        let list = if p.failed { &mut summary.failed } else { &mut summary.skipped };
        list.push((p.rel.clone(), p.reason.clone()));
    }
    let total: u64 = walked.files.iter().map(|f| f.size).sum();
    let bar = progress_bar(opts.progress, total, walked.files.len());

    let pool = rayon::ThreadPoolBuilder::new().num_threads(opts.threads).build()?;
    let (tx, rx) = crossbeam_channel::bounded::<Message>(CHANNEL);
    let sink_error: Mutex<Option<std::io::Error>> = Mutex::new(None);
    let how = Detection { engine, key, limits: &opts.limits, min_confidence: opts.min_confidence };
    let files = &walked.files;
    let prepares: Vec<Option<Prepare>> = sinks.iter().map(|s| s.prepare()).collect();
    let prepares = &prepares;
    std::thread::scope(|scope| {
        let summary = &mut summary;
        let sink_error = &sink_error;
        let bar2 = bar.clone();
        let writer = scope.spawn(move || {
            let write = |result: std::io::Result<()>| {
                if let Err(e) = result {
                    sink_error.lock().expect("sink error lock").get_or_insert(e);
                }
            };
            for message in rx {
                match message {
                    Message::Findings(i, batch, prepared) => {
                        for (sink, bytes) in sinks.iter_mut().zip(prepared) {
                            write(match bytes {
                                Some(bytes) => sink.prepared(&files[i], &batch, bytes),
                                None => sink.findings(&files[i], &batch),
                            });
                        }
                    }
                    Message::File(report) => {
                        summary.add(&report);
                        bar2.set_message(format!("{} files", summary.files_scanned));
                        for sink in sinks.iter_mut() {
                            write(sink.file(&report));
                        }
                    }
                }
            }
            for sink in sinks.iter_mut() {
                write(sink.finish());
            }
        });
        pool.install(|| {
            each_file(files, tx, |tx, i, entry| {
                let mut out = |batch: Vec<Finding>| {
                    let prepared = prepares.iter().map(|p| p.as_ref().map(|p| p(&batch))).collect();
                    let _ = tx.send(Message::Findings(i, batch, prepared));
                };
                let report =
                    reuse.and_then(|f| f(entry, &mut out)).unwrap_or_else(|| scan_file_streaming(entry, how, &mut out));
                bar.inc(entry.size);
                let _ = tx.send(Message::File(Box::new(report)));
            });
        });
        writer.join().expect("the writer thread does not panic");
    });
    bar.finish_and_clear();
    if let Some(e) = sink_error.into_inner().expect("sink error lock") {
        return Err(anyhow::anyhow!("could not write the results: {e}"));
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Run `f(state, index, file)` for every file on the current rayon pool,
/// each file a task of its own, so that an idle thread takes the next file
/// whatever the others are doing. (Left to split the list by length, rayon
/// hands each thread runs of files read one after another: a drive's few
/// large files could then sit in one run while the other threads, done with
/// many small files, had nothing left to take.)
fn each_file<T: Sync, S: Send + Clone>(files: &[T], state: S, f: impl Fn(&mut S, usize, &T) + Sync + Send) {
    files.par_iter().enumerate().with_max_len(1).for_each_with(state, |state, (i, file)| f(state, i, file));
}

fn progress_bar(show: bool, bytes: u64, files: usize) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{bytes}}/{{total_bytes}} ({{bytes_per_sec}}, {{eta}} left) {{msg}} of {files}"
        ))
        .expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// While one thread is held on the first file, the other reads all the
    /// rest: no file waits behind a slow one in a run of its own.
    #[test]
    fn a_slow_file_holds_back_no_other_file() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let files: Vec<usize> = (0..256).collect();
        let others_done = AtomicUsize::new(0);
        let seen_while_held = AtomicUsize::new(0);
        pool.install(|| {
            each_file(&files, (), |_, i, _| {
                if i == 0 {
                    let start = Instant::now();
                    while others_done.load(Ordering::SeqCst) < files.len() - 1
                        && start.elapsed() < Duration::from_secs(20)
                    {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    seen_while_held.store(others_done.load(Ordering::SeqCst), Ordering::SeqCst);
                } else {
                    others_done.fetch_add(1, Ordering::SeqCst);
                }
            })
        });
        assert_eq!(seen_while_held.load(Ordering::SeqCst), files.len() - 1);
        assert_eq!(others_done.load(Ordering::SeqCst), files.len() - 1);
    }
}
