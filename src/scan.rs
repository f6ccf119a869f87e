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

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use compact_str::CompactString;
use rayon::prelude::*;

use crate::detect::Engine;
use crate::finding::{Counts, Finding};
use crate::formats::container::{self, Visit};
use crate::formats::{self, ExtractError, Input, Limits, Segment};
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
    /// The sweep was stopped (Ctrl-C) before every file was reported: keep
    /// what was written whole, and do not take the files not reported for
    /// gone. By default the same as [`Sink::finish`].
    fn stopped(&mut self) -> std::io::Result<()> {
        self.finish()
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
    /// The sweep was stopped while this file was read: the rest of it is
    /// not looked at, and its report is not sent.
    abandoned: bool,
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
            abandoned: false,
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

    /// Hand on what is pending; return the counts of all findings made,
    /// and whether the file was abandoned (the sweep was stopped).
    fn finish(mut self) -> (Counts, bool) {
        if !self.pending.is_empty() {
            (self.out)(std::mem::take(&mut self.pending));
        }
        (self.counts, self.abandoned)
    }
}

impl SegmentHandler for Detector<'_> {
    fn segment(&mut self, path: &str, seg: &Segment<'_>) {
        if self.abandoned || stop_requested() {
            self.abandoned = true;
            return;
        }
        let mut hits = std::mem::take(&mut self.hits);
        self.engine.detect_into(seg, &mut hits);
        let mut locator = crate::formats::Locator::new(seg.loc, seg.text);
        let mut shared_path = None;
        let min_confidence = self.min_confidence;
        for h in hits.iter() {
            // OCR text: as sure as the OCR was of the words.
            let confidence = h.confidence * seg.loc.confidence(h.start, h.end);
            if confidence < min_confidence {
                continue;
            }
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
                confidence,
                rule: self.rule(h),
            };
            self.push(finding);
        }
        self.hits = hits;
    }
}

/// What a file's walk reports to: segments to the handler, and how its
/// parts went (the walker, [`container::Walker`], recurses into them).
struct FileScan<H> {
    handler: H,
    parts: Vec<(String, Status)>,
    warnings: Vec<String>,
    /// Test hook: pause at the next segment (see [`test_hook_pause`]).
    pause: bool,
}

impl<H: SegmentHandler> Visit for FileScan<H> {
    fn segment(&mut self, path: &str, seg: Segment<'_>) {
        if std::mem::take(&mut self.pause) {
            test_hook_pause();
        }
        self.handler.segment(path, &seg);
    }

    fn failed(&mut self, path: &str, error: ExtractError) {
        self.parts.push((path.to_string(), Status::from_error(&error)));
    }

    /// A scan keeps no part's bytes: large text members are read as they
    /// are decompressed.
    fn streams_parts(&self) -> bool {
        true
    }

    fn warn(&mut self, path: &str, message: String) {
        self.warnings.push(format!("{path}: {message}"));
    }
}

use container::catching;
pub use container::quiet_caught_panics;

fn panic_reason(panic: Box<dyn std::any::Any + Send>) -> String {
    ExtractError::Internal(container::panic_message(&*panic)).to_string()
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
    scan_file_stoppable(entry, how, out).0
}

/// As [`scan_file_streaming`], and whether the file was abandoned part-read
/// because the sweep was stopped (then its report must not be recorded).
fn scan_file_stoppable(entry: &FileEntry, how: Detection<'_>, out: Batches<'_>) -> (FileReport, bool) {
    let detector = Detector::new(how.engine, how.key, how.min_confidence, out);
    let (mut report, detector) = read_file(entry, how.limits, detector);
    let (counts, abandoned) = detector.finish();
    report.counts = counts;
    (report, abandoned)
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
    let fs = FileScan { handler, parts: Vec::new(), warnings: Vec::new(), pause: test_hook_pause_on(&entry.rel) };
    let mut walker = container::Walker::new(&entry.rel, fs, limits);
    let input = Input::File { path: &entry.abs, size: entry.size };
    let kind = match input.head(formats::sniff::HEAD_LEN) {
        Ok(head) => formats::sniff::sniff(&entry.rel, &head),
        Err(e) => {
            report.status = Status::from_error(&e);
            return (report, walker.into_visit().handler);
        }
    };
    report.kind = kind.name();
    // Streamed formats are read in bounded memory whatever their size.
    let read_whole = !kind.is_streamed()
        && !matches!(kind, formats::Kind::Skip(_) | formats::Kind::Unsupported(_) | formats::Kind::Encrypted);
    if read_whole && entry.size > limits.max_file_size {
        report.status = Status::Skipped(format!(
            "larger than --max-file-size ({} MB > {} MB)",
            entry.size >> 20,
            limits.max_file_size >> 20
        ));
        return (report, walker.into_visit().handler);
    }
    report.status = match catching(|| {
        test_hook_panic(&entry.rel);
        walker.read_kind(kind, &input)
    }) {
        Ok(Ok(())) => Status::Scanned,
        Ok(Err(e)) => Status::from_error(&e),
        Err(panic) => Status::Failed(panic_reason(panic)),
    };
    let fs = walker.into_visit();
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
    if let Some(name) = crate::test_hooks::var("PIISWEEP_TEST_PANIC_ON")
        && path.contains(&*name.to_string_lossy())
    {
        panic!("test panic (PIISWEEP_TEST_PANIC_ON)");
    }
}

/// For tests of files changing while they are read only:
/// `PIISWEEP_TEST_PAUSE_ON=NAME` with `PIISWEEP_TEST_PAUSE_DIR=DIR` makes
/// reading a file whose path contains NAME pause at its first segment.
fn test_hook_pause_on(path: &str) -> bool {
    crate::test_hooks::var("PIISWEEP_TEST_PAUSE_ON").is_some_and(|name| path.contains(&*name.to_string_lossy()))
}

/// The pause: create `DIR/paused`, then wait until `DIR/resume` exists (at
/// most a minute), so that a test can change the file mid-read.
fn test_hook_pause() {
    let Some(dir) = crate::test_hooks::var("PIISWEEP_TEST_PAUSE_DIR").map(PathBuf::from) else { return };
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

/// A part inside a file (a zip member, an attachment...) that was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadPart {
    /// The file on disk it is in, as in the findings.
    pub file: String,
    /// Its own path, with `!` into the file.
    pub path: String,
    /// Could not be read (else skipped on purpose).
    pub failed: bool,
    pub reason: String,
}

/// Totals for the end-of-sweep summary.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    /// Files skipped on purpose (path, reason).
    pub skipped: Vec<(String, String)>,
    /// Files that could not be read (path, reason).
    pub failed: Vec<(String, String)>,
    /// Parts inside files that were skipped or failed, each with the file on disk it is in.
    pub parts: Vec<UnreadPart>,
    /// Things the user should know that did not stop a file being read
    /// (a limit hit, a part left out): (the file on disk, the message).
    pub warnings: Vec<(String, String)>,
    pub findings: std::collections::BTreeMap<crate::detect::Category, u64>,
    pub elapsed: Duration,
    /// Files listed by the walk.
    pub files_total: u64,
    /// How many of them are hidden or system files (see [`walk::Walked::hidden`]).
    pub hidden: u64,
    /// Files whose report was handed to the sinks (all of them unless stopped).
    pub files_done: u64,
    /// The sweep was stopped (Ctrl-C) before every file was done.
    pub stopped: bool,
    /// Time each sink spent on the writer thread, in the order given to [`run`].
    pub sink_time: Vec<Duration>,
    /// The Tesseract that read scans (`tesseract 5.3.0`) and how many pages
    /// it read, when any were.
    pub ocr: Option<(String, u64)>,
}

impl Summary {
    fn add(&mut self, r: &FileReport) {
        self.files_done += 1;
        match &r.status {
            Status::Scanned => {
                self.files_scanned += 1;
                self.bytes_scanned += r.size;
            }
            Status::Skipped(why) => self.skipped.push((r.path.clone(), why.clone())),
            Status::Failed(why) => self.failed.push((r.path.clone(), why.clone())),
        }
        for (p, s) in &r.parts {
            let (failed, why) = match s {
                Status::Failed(why) => (true, why),
                Status::Skipped(why) => (false, why),
                Status::Scanned => continue,
            };
            self.parts.push(UnreadPart { file: r.path.clone(), path: p.clone(), failed, reason: why.clone() });
        }
        self.warnings.extend(r.warnings.iter().map(|w| (r.path.clone(), w.clone())));
        for (category, n) in r.counts.iter() {
            *self.findings.entry(category).or_default() += n;
        }
    }

    pub fn total_findings(&self) -> u64 {
        self.findings.values().sum()
    }

    pub fn any_failed(&self) -> bool {
        !self.failed.is_empty() || self.parts.iter().any(|p| p.failed)
    }

    /// How many parts inside files failed, and how many were skipped.
    pub fn parts_failed_skipped(&self) -> (usize, usize) {
        let failed = self.parts.iter().filter(|p| p.failed).count();
        (failed, self.parts.len() - failed)
    }
}

/// Ctrl-C: the first asks the sweep to stop (files being read are left, no
/// new file is started, and everything written so far is kept whole); a
/// second ends the process at once.
static STOP: AtomicBool = AtomicBool::new(false);
static INTERRUPTS: AtomicUsize = AtomicUsize::new(0);

#[cfg(unix)]
extern "C" fn on_interrupt(_signal: libc::c_int) {
    // Only async-signal-safe calls here: atomics, write(2), _exit(2).
    if INTERRUPTS.fetch_add(1, Ordering::SeqCst) > 0 {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(130) };
    }
    STOP.store(true, Ordering::SeqCst);
    let msg = b"\nStopping: keeping what is done (press Ctrl-C again to stop at once)...\n";
    // SAFETY: write(2) on stderr with a valid buffer is async-signal-safe.
    unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
}

/// Windows: the console calls this on its own thread for Ctrl-C and
/// Ctrl-Break; returning 1 says it was handled (the process goes on).
#[cfg(windows)]
unsafe extern "system" fn on_console_ctrl(kind: u32) -> i32 {
    const CTRL_C_EVENT: u32 = 0;
    const CTRL_BREAK_EVENT: u32 = 1;
    if kind != CTRL_C_EVENT && kind != CTRL_BREAK_EVENT {
        return 0;
    }
    if INTERRUPTS.fetch_add(1, Ordering::SeqCst) > 0 {
        std::process::exit(130);
    }
    STOP.store(true, Ordering::SeqCst);
    eprintln!("\nStopping: keeping what is done (press Ctrl-C again to stop at once)...");
    1
}

#[cfg(windows)]
#[link(name = "kernel32")]
unsafe extern "system" {
    fn SetConsoleCtrlHandler(handler: Option<unsafe extern "system" fn(u32) -> i32>, add: i32) -> i32;
}

/// Make Ctrl-C (SIGINT) stop the sweep cleanly instead of killing it: see
/// [`stop_requested`]. Call once, before the sweep.
pub fn stop_on_ctrl_c() {
    #[cfg(unix)]
    // SAFETY: a zeroed sigaction with a valid handler and an empty mask is a
    // valid argument; the handler only does async-signal-safe things.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
    #[cfg(windows)]
    // SAFETY: registers a handler with the signature the console expects.
    unsafe {
        SetConsoleCtrlHandler(Some(on_console_ctrl), 1);
    }
}

/// Has Ctrl-C asked the sweep to stop?
pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Which files to read: all of them, or only those a sink says changed. For
/// a file that need not be read, it hands on the file's findings (in batches,
/// as [`scan_file_streaming`] does) and returns its report.
pub type FileFilter<'a> = dyn Fn(&FileEntry, Batches<'_>) -> Option<FileReport> + Sync + 'a;

/// Run a sweep. `reuse` may stand in for reading a file that need not be
/// read again (an unchanged file in an incremental rescan).
///
/// If Ctrl-C asks it to stop ([`stop_on_ctrl_c`]), no new file is started,
/// files being read are abandoned (their findings so far were handed on,
/// their reports are not), the sinks are told [`Sink::stopped`], and the
/// summary says `stopped`.
pub fn run(
    opts: &ScanOptions,
    engine: &Engine,
    key: &Key,
    sinks: &mut [&mut (dyn Sink + Send)],
    reuse: Option<&FileFilter<'_>>,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let ocr_pages_before = formats::image::ocr::pages_read();
    let walked = walk::walk(&opts.roots, &opts.walk)?;
    let mut summary = Summary { files_total: walked.files.len() as u64, hidden: walked.hidden, ..Summary::default() };
    for p in &walked.passed {
        let list = if p.failed { &mut summary.failed } else { &mut summary.skipped };
        list.push((p.rel.clone(), p.reason.clone()));
    }
    let total: u64 = walked.files.iter().map(|f| f.size).sum();
    let progress = Progress::new(opts.progress, total, walked.files.len());

    let pool = rayon::ThreadPoolBuilder::new().num_threads(opts.threads).build()?;
    let (tx, rx) = crossbeam_channel::bounded::<Message>(CHANNEL);
    let sink_error: Mutex<Option<std::io::Error>> = Mutex::new(None);
    let how = Detection { engine, key, limits: &opts.limits, min_confidence: opts.min_confidence };
    let files = &walked.files;
    let prepares: Vec<Option<Prepare>> = sinks.iter().map(|s| s.prepare()).collect();
    let prepares = &prepares;
    let mut sink_time = vec![Duration::ZERO; sinks.len()];
    std::thread::scope(|scope| {
        let summary = &mut summary;
        let sink_error = &sink_error;
        let sink_time = &mut sink_time;
        let progress2 = &progress;
        let writer = scope.spawn(move || {
            let mut write = |i: usize, f: &mut dyn FnMut() -> std::io::Result<()>| {
                let t = Instant::now();
                let result = f();
                sink_time[i] += t.elapsed();
                if let Err(e) = result {
                    sink_error.lock().expect("sink error lock").get_or_insert(e);
                }
            };
            for message in rx {
                match message {
                    Message::Findings(f, batch, prepared) => {
                        for (i, (sink, bytes)) in sinks.iter_mut().zip(prepared).enumerate() {
                            let mut bytes = bytes;
                            write(i, &mut || match bytes.take() {
                                Some(bytes) => sink.prepared(&files[f], &batch, bytes),
                                None => sink.findings(&files[f], &batch),
                            });
                        }
                    }
                    Message::File(report) => {
                        summary.add(&report);
                        progress2.file_done(summary.files_done);
                        for (i, sink) in sinks.iter_mut().enumerate() {
                            write(i, &mut || sink.file(&report));
                        }
                    }
                }
            }
            let all_done = summary.files_done == files.len() as u64;
            summary.stopped = !all_done;
            for (i, sink) in sinks.iter_mut().enumerate() {
                write(i, &mut || if all_done { sink.finish() } else { sink.stopped() });
            }
        });
        pool.install(|| {
            each_file(files, tx, |tx, i, entry| {
                if stop_requested() {
                    return;
                }
                let mut out = |batch: Vec<Finding>| {
                    let prepared = prepares.iter().map(|p| p.as_ref().map(|p| p(&batch))).collect();
                    let _ = tx.send(Message::Findings(i, batch, prepared));
                };
                let reused = reuse.and_then(|f| f(entry, &mut out));
                let (report, abandoned) = match reused {
                    Some(report) => {
                        progress.unchanged(entry);
                        (report, false)
                    }
                    None => {
                        let reading = progress.start(entry);
                        let (report, abandoned) = scan_file_stoppable(entry, how, &mut out);
                        progress.finish(entry, reading);
                        (report, abandoned)
                    }
                };
                if !abandoned {
                    let _ = tx.send(Message::File(Box::new(report)));
                }
            });
        });
        writer.join().expect("the writer thread does not panic");
    });
    progress.bar.finish_and_clear();
    if let Some(e) = sink_error.into_inner().expect("sink error lock") {
        return Err(anyhow::anyhow!("could not write the results: {e}"));
    }
    summary.sink_time = sink_time;
    summary.elapsed = started.elapsed();
    let ocr_pages = formats::image::ocr::pages_read().saturating_sub(ocr_pages_before);
    if ocr_pages > 0
        && let Some(t) = formats::image::ocr::tesseract(&opts.limits)
    {
        summary.ocr = Some((t.version, ocr_pages));
    }
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

/// The progress bar: bytes counted as they are read (not only when a file
/// is finished), so that one big file moves it too; the file being read
/// named; unchanged files (not read again) taken out of the total, so that
/// the rate and time left are those of reading.
struct Progress {
    bar: indicatif::ProgressBar,
    shown: bool,
    files: usize,
    unchanged: AtomicU64,
}

impl Progress {
    fn new(show: bool, bytes: u64, files: usize) -> Progress {
        use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
        // Scans take a second or so a page: the pages read with OCR are
        // counted on the bar as they are read.
        let pages_before = formats::image::ocr::pages_read();
        let parts_before = formats::container::parts_read();
        if !show {
            return Progress { bar: ProgressBar::hidden(), shown: false, files, unchanged: AtomicU64::new(0) };
        }
        let bar = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                // Two lines, each within 80 columns but the file's path.
                "{spinner} {bar:20} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)\n  {prefix}{pages}: {wide_msg}",
            )
            .expect("valid template")
            .with_key("pages", move |_: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&parts_note(formats::container::parts_read().saturating_sub(parts_before)));
                let _ = w.write_str(&pages_note(formats::image::ocr::pages_read().saturating_sub(pages_before)));
            }),
        );
        bar.set_prefix(format!("0/{files} files"));
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar, shown: true, files, unchanged: AtomicU64::new(0) }
    }

    /// `entry` starts being read on this thread: name it, and count its bytes
    /// as they are read. Returns the count, to settle at [`Progress::finish`].
    fn start(&self, entry: &FileEntry) -> Option<Arc<AtomicU64>> {
        if !self.shown {
            return None;
        }
        self.bar.set_message(entry.rel.clone());
        let counted = Arc::new(AtomicU64::new(0));
        let (bar, c, size) = (self.bar.clone(), counted.clone(), entry.size);
        formats::input::count_reads(Some(Arc::new(move |n: u64| {
            // Never more than the file's size (it may have grown meanwhile).
            let before = c.fetch_add(n, Ordering::Relaxed);
            bar.inc(n.min(size.saturating_sub(before)));
        })));
        Some(counted)
    }

    /// `entry` is finished: count the bytes not read (skipped files, parts
    /// of files never read).
    fn finish(&self, entry: &FileEntry, counted: Option<Arc<AtomicU64>>) {
        if let Some(c) = counted {
            formats::input::count_reads(None);
            self.bar.inc(entry.size.saturating_sub(c.load(Ordering::Relaxed)));
        }
    }

    /// `entry` is unchanged since the map recorded it: not read.
    fn unchanged(&self, entry: &FileEntry) {
        if self.shown {
            self.unchanged.fetch_add(1, Ordering::Relaxed);
            self.bar.dec_length(entry.size);
        }
    }

    fn file_done(&self, done: u64) {
        if self.shown {
            let unchanged = self.unchanged.load(Ordering::Relaxed);
            let note = if unchanged > 0 { format!(" ({unchanged} unchanged)") } else { String::new() };
            self.bar.set_prefix(format!("{done}/{} files{note}", self.files));
        }
    }
}

/// What the progress bar says of the files read inside files in this sweep
/// (a mail store's messages, attachments, archive members).
fn parts_note(parts: u64) -> String {
    match parts {
        0 => String::new(),
        1 => ", 1 inside them".into(),
        n => format!(", {n} inside them"),
    }
}

/// What the progress bar says of the pages read with OCR in this sweep.
fn pages_note(pages: u64) -> String {
    match pages {
        0 => String::new(),
        1 => ", 1 page read with OCR".into(),
        n => format!(", {n} pages read with OCR"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn the_bar_counts_files_read_inside_files() {
        assert_eq!(parts_note(0), "");
        assert_eq!(parts_note(1), ", 1 inside them");
        assert_eq!(parts_note(4512), ", 4512 inside them");
    }

    #[test]
    fn the_bar_counts_pages_read_with_ocr() {
        assert_eq!(pages_note(0), "");
        assert_eq!(pages_note(1), ", 1 page read with OCR");
        assert_eq!(pages_note(12), ", 12 pages read with OCR");
    }

    /// Bytes are counted as a file is read, not when it is finished: while
    /// a 3 MB CSV is read, its segments see the count grow, short of the
    /// size until the end.
    #[test]
    fn bytes_are_counted_as_they_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        let rows: String = (0..100_000).map(|i| format!("Jane Roberts {i},07700 900{:03}\n", i % 1000)).collect();
        std::fs::write(&path, format!("Name,Phone\n{rows}")).unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        let entry = FileEntry { abs: path, rel: "big.csv".into(), size, modified: None };

        let counted = Arc::new(AtomicU64::new(0));
        let c = counted.clone();
        formats::input::count_reads(Some(Arc::new(move |n| {
            c.fetch_add(n, Ordering::Relaxed);
        })));
        struct Seen(Arc<AtomicU64>, Vec<u64>);
        impl SegmentHandler for Seen {
            fn segment(&mut self, _path: &str, _seg: &Segment<'_>) {
                self.1.push(self.0.load(Ordering::Relaxed));
            }
        }
        let (report, seen) = read_file(&entry, &Limits::default(), Seen(counted.clone(), Vec::new()));
        formats::input::count_reads(None);
        assert_eq!(report.status, Status::Scanned);
        let seen = seen.1;
        assert!(seen.len() > 1000, "{}", seen.len());
        assert!(seen.windows(2).all(|w| w[0] <= w[1]));
        let distinct: std::collections::BTreeSet<u64> = seen.iter().copied().collect();
        assert!(distinct.len() >= 5, "the count grew while reading: {distinct:?}");
        assert!(seen[0] < size / 2, "not all read before the first segment: {} of {size}", seen[0]);
        assert_eq!(counted.load(Ordering::Relaxed), size);
    }

    /// The bar's total is what must be read: unchanged files come out of
    /// it, and a file read counts its whole size once finished.
    #[test]
    fn progress_totals_what_is_read() {
        let p = Progress::new(true, 1000, 2);
        p.bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        let entry = |size| FileEntry { abs: PathBuf::from("/nonexistent"), rel: "x".into(), size, modified: None };
        p.unchanged(&entry(400));
        assert_eq!(p.bar.length(), Some(600));
        let reading = p.start(&entry(600));
        p.finish(&entry(600), reading);
        assert_eq!(p.bar.position(), 600);
        p.file_done(2);
        assert_eq!(p.bar.prefix(), "2/2 files (1 unchanged)");
    }

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
