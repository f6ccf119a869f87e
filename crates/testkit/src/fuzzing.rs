//! The code path the fuzz targets (`fuzz/`) drive, kept in this crate so
//! that `tests/fuzz_regressions.rs` replays saved crashing inputs through
//! exactly the same calls without cargo-fuzz.
//!
//! Extraction targets read the bytes as a part in memory with tight limits,
//! follow nested parts recursively the way a sweep does, and compute every
//! segment's locations; they must return (`Ok` or an error), never panic,
//! hang or exhaust memory.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, OnceLock};

use piisweep::detect::Engine;
use piisweep::formats::container::{Visit, Walker};
use piisweep::formats::{self, Input, Kind, Limits, Segment};

/// The fuzz target names, one per extractor plus the detector and the sniffer.
pub const TARGETS: &[&str] = &[
    "text", "csv", "sheet", "pdf", "docx", "pptx", "odp", "ppt", "doc", "eml", "mbox", "msg", "zip", "pst", "archive",
    "detect", "sniff",
];

/// Limits small enough for a fuzzer's memory budget.
pub fn limits() -> Limits {
    Limits {
        max_file_size: 64 << 20,
        max_in_memory: 64 << 20,
        max_archive_total: 64 << 20,
        max_ratio: 200,
        max_depth: 8,
        // No OCR while fuzzing (a process per input): scans stop at "needs OCR".
        tesseract: Some("/nonexistent/tesseract".into()),
        max_image_pixels: 4_000_000,
        max_pages: 8,
    }
}

/// Checks every segment's locations; the container walker follows nested
/// parts as a sweep does (depth, the archive budget, `!` paths).
struct Follow;

impl Visit for Follow {
    fn segment(&mut self, _path: &str, seg: Segment<'_>) {
        // Locations are computed for the first and last byte, as findings would be.
        let _ = seg.loc.at(seg.text, 0);
        let _ = seg.loc.at(seg.text, seg.text.len());
    }
}

/// The last panic's message and place, kept by [`quiet_panic_hook`].
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

/// Replace libFuzzer's abort-on-any-panic hook with one that only records the
/// panic: extractors deliberately catch panics inside third-party parsers
/// (calamine, lopdf), as a sweep does, and those are not crashes. Call once
/// from the fuzz target's `init`.
pub fn quiet_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = info.to_string();
        }
    }));
}

/// [`run`], aborting (a crash for libFuzzer) with the panic's message if a
/// panic escapes the code under test.
pub fn run_or_abort(target: &str, data: &[u8]) {
    if catch_unwind(AssertUnwindSafe(|| run(target, data))).is_err() {
        let last = LAST_PANIC.lock().map(|m| m.clone()).unwrap_or_default();
        eprintln!("panic escaped fuzz target {target}: {last}");
        std::process::abort();
    }
}

/// The built-in rules, compiled once.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::builtin)
}

/// The first byte picks one of `kinds`; the rest is the input.
fn pick<'a>(data: &'a [u8], kinds: &[Kind]) -> (Kind, &'a [u8]) {
    match data.split_first() {
        Some((&b, rest)) => (kinds[b as usize % kinds.len()], rest),
        None => (kinds[0], data),
    }
}

/// Run one fuzz input through `target` (one of [`TARGETS`]). Unknown targets panic.
pub fn run(target: &str, data: &[u8]) {
    let kind = match target {
        "text" => pick(data, &[Kind::Text, Kind::Html]),
        "csv" => pick(data, &[Kind::Csv(b','), Kind::Csv(b';'), Kind::Csv(b'\t')]),
        "sheet" => pick(data, &[Kind::Xlsx, Kind::Xls, Kind::Ods]),
        "pdf" => (Kind::Pdf, data),
        "docx" => pick(data, &[Kind::Docx, Kind::Odt, Kind::Rtf]),
        "pptx" => (Kind::Pptx, data),
        "odp" => (Kind::Odp, data),
        "ppt" => (Kind::Ppt, data),
        "doc" => (Kind::Doc, data),
        "eml" => (Kind::Eml, data),
        "mbox" => (Kind::Mbox, data),
        "msg" => (Kind::Msg, data),
        "zip" => (Kind::Zip, data),
        "pst" => (Kind::Pst, data),
        "archive" => pick(data, &[Kind::Gz, Kind::Tar, Kind::SevenZ]),
        "detect" => return detect(data),
        "sniff" => return sniff(data),
        other => panic!("unknown fuzz target {other:?}; known: {}", TARGETS.join(", ")),
    };
    let (kind, bytes) = kind;
    let limits = limits();
    let _ = Walker::new("input", Follow, &limits).read_kind(kind, &Input::Bytes(bytes));
}

/// The detector on arbitrary UTF-8 (the first line, if short, is the context label).
fn detect(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (context, body) = match text.split_once('\n') {
        Some((label, rest)) if label.len() < 40 => (Some(label), rest),
        _ => (None, text),
    };
    let seg = Segment { loc: formats::Loc::Lines { prefix: "line", first: 1 }, text: body, context };
    for hit in engine().detect(&seg) {
        let value = &body[hit.start..hit.end];
        let _ = hit.category.normalise(value);
        let _ = hit.category.mask(value);
        let _ = seg.loc.at(body, hit.start);
    }
}

/// The sniffer on a name (up to the first NUL, lossy) and the bytes after it.
fn sniff(data: &[u8]) {
    let (name, head) = match data.iter().position(|&b| b == 0) {
        Some(i) => (String::from_utf8_lossy(&data[..i]).into_owned(), &data[i + 1..]),
        None => ("file.txt".to_string(), data),
    };
    let _ = formats::sniff::sniff(&name, head);
}
