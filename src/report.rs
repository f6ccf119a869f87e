//! The end-of-sweep summary for the terminal, and the whole list of what
//! was not read (the "unread" CSV file the summary names).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::detect::Category;
use crate::scan::{Summary, UnreadPart};

/// How many failed files, containers or warnings to list before summarising the rest.
const LIST_MAX: usize = 20;

/// The default name of the unread list, written beside the `--jsonl` output.
pub const UNREAD_FILE: &str = "piisweep-unread.csv";

/// `n file(s)` in plain English.
fn plural(n: usize, one: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") }
}

/// "3 files and 10 parts", "3 files", "10 parts".
fn files_and_parts(files: usize, parts: usize) -> String {
    match (files, parts) {
        (f, 0) => plural(f, "file"),
        (0, p) => plural(p, "part"),
        (f, p) => format!("{} and {}", plural(f, "file"), plural(p, "part")),
    }
}

/// Where the rest of a cut list can be read.
fn rest_in(unread: Option<&Path>) -> String {
    match unread {
        Some(p) => format!(" (all of them are in {})", p.display()),
        None => " (add --unread FILE to write them all)".to_string(),
    }
}

/// Parts grouped under the file they are in: one line per file and reason,
/// "bomb.zip: 10 parts: compression ratio over 200:1 (bomb.zip!a.txt, ...)".
fn grouped_parts(out: &mut String, parts: &[&UnreadPart], unread: Option<&Path>) {
    let mut by_file: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for p in parts {
        by_file.entry(p.file.as_str()).or_default().entry(p.reason.as_str()).or_default().push(p.path.as_str());
    }
    let containers = by_file.len();
    for (file, reasons) in by_file.into_iter().take(LIST_MAX) {
        // The most common reasons first; at most 3 lines per file.
        let mut reasons: Vec<(&str, Vec<&str>)> = reasons.into_iter().collect();
        reasons.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        for (why, paths) in reasons.iter().take(3) {
            if let [only] = paths[..] {
                let _ = writeln!(out, "  {only}: {why}");
            } else {
                let _ = writeln!(out, "  {file}: {} parts: {why} (e.g. {})", paths.len(), paths[0]);
            }
        }
        if reasons.len() > 3 {
            let rest: usize = reasons[3..].iter().map(|r| r.1.len()).sum();
            let _ = writeln!(out, "  {file}: {} for {} other reasons", plural(rest, "part"), reasons.len() - 3);
        }
    }
    if containers > LIST_MAX {
        let n = containers - LIST_MAX;
        let files = if n == 1 { "file" } else { "files" };
        let _ = writeln!(out, "  ... and parts of {n} more {files}{}", rest_in(unread));
    }
}

pub fn summary_text(s: &Summary) -> String {
    summary_text_with(s, None)
}

/// The summary, naming `unread`, the file holding the whole list of what
/// was not read, if one was written.
pub fn summary_text_with(s: &Summary, unread: Option<&Path>) -> String {
    let mut out = String::new();
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    let mb = s.bytes_scanned as f64 / 1e6;
    let _ = writeln!(
        out,
        "Scanned {} files ({:.1} MB) in {:.1} s: {:.1} MB/s, {:.0} files/s",
        s.files_scanned,
        mb,
        secs,
        mb / secs,
        s.files_scanned as f64 / secs
    );
    if let Some((version, pages)) = &s.ocr {
        let pages = plural(*pages as usize, "page");
        let _ = writeln!(out, "OCR: {version}, {pages} read");
    }
    if s.hidden > 0 {
        let _ =
            writeln!(out, "Hidden or system files: {} (swept like any other: they can hold personal data)", s.hidden);
    }
    let skipped_parts: Vec<&UnreadPart> = s.parts.iter().filter(|p| !p.failed).collect();
    let failed_parts: Vec<&UnreadPart> = s.parts.iter().filter(|p| p.failed).collect();
    if !s.skipped.is_empty() || !skipped_parts.is_empty() {
        let _ = writeln!(
            out,
            "Skipped {} (not scanned on purpose):",
            files_and_parts(s.skipped.len(), skipped_parts.len())
        );
        let mut reasons: BTreeMap<&str, Vec<&str>> = Default::default();
        for (p, why) in &s.skipped {
            reasons.entry(why.as_str()).or_default().push(p.as_str());
        }
        for (why, paths) in reasons {
            let shown: Vec<&str> = paths.iter().take(3).copied().collect();
            let more = if paths.len() > 3 { format!(" and {} more", paths.len() - 3) } else { String::new() };
            let _ = writeln!(out, "  {:>5}  {why}: {}{more}", paths.len(), shown.join(", "));
        }
        grouped_parts(&mut out, &skipped_parts, unread);
    }
    if !s.failed.is_empty() || !failed_parts.is_empty() {
        let _ = writeln!(
            out,
            "FAILED {} (could not be read; nothing from them is in the results):",
            files_and_parts(s.failed.len(), failed_parts.len())
        );
        for (p, why) in s.failed.iter().take(LIST_MAX) {
            let _ = writeln!(out, "  {p}: {why}");
        }
        if s.failed.len() > LIST_MAX {
            let _ = writeln!(out, "  ... and {} more{}", plural(s.failed.len() - LIST_MAX, "file"), rest_in(unread));
        }
        grouped_parts(&mut out, &failed_parts, unread);
    }
    if !s.warnings.is_empty() {
        let _ = writeln!(out, "Warnings {}:", s.warnings.len());
        for (_, w) in s.warnings.iter().take(LIST_MAX) {
            let _ = writeln!(out, "  {w}");
        }
        if s.warnings.len() > LIST_MAX {
            let _ = writeln!(out, "  ... and {} more{}", s.warnings.len() - LIST_MAX, rest_in(unread));
        }
    }
    if let Some(p) = unread {
        let (failed, skipped) = s.parts_failed_skipped();
        let files = s.skipped.len() + s.failed.len();
        if files + failed + skipped + s.warnings.len() > 0 {
            let _ = writeln!(
                out,
                "Everything not read, with the reason ({}, {}): {}",
                files_and_parts(files, failed + skipped),
                plural(s.warnings.len(), "warning"),
                p.display()
            );
        }
    }
    let _ = writeln!(out, "Findings: {}", s.total_findings());
    for c in Category::ALL {
        if let Some(n) = s.findings.get(&c) {
            let _ = writeln!(out, "  {:<13} {n:>8}", c.as_str());
        }
    }
    out
}

/// Write every file and part not read, and every warning, to `path` as CSV:
/// `file,part,status,reason`, where `file` is the file on disk (as in the
/// findings), `part` the path of a part inside it (empty for the file
/// itself), and `status` is `failed`, `skipped` or `warning`. Written even
/// when empty (the header alone), so that an old list is never left behind.
pub fn write_unread(s: &Summary, path: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let mut row = |file: &str, part: &str, status: &str, reason: &str| w.write_record([file, part, status, reason]);
    row("file", "part", "status", "reason")?;
    for (p, why) in &s.failed {
        row(p, "", "failed", why)?;
    }
    for (p, why) in &s.skipped {
        row(p, "", "skipped", why)?;
    }
    for p in &s.parts {
        row(&p.file, &p.path, if p.failed { "failed" } else { "skipped" }, &p.reason)?;
    }
    for (file, message) in &s.warnings {
        row(file, "", "warning", message)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(file: &str, n: usize, why: &str) -> UnreadPart {
        UnreadPart { file: file.into(), path: format!("{file}!m{n}.txt"), failed: true, reason: why.into() }
    }

    #[test]
    fn the_summary_names_the_ocr_and_its_pages() {
        let mut s = Summary::default();
        assert!(!summary_text(&s).contains("OCR"));
        s.ocr = Some(("tesseract 5.3.0".into(), 12));
        assert!(summary_text(&s).contains("\nOCR: tesseract 5.3.0, 12 pages read\n"), "{}", summary_text(&s));
    }

    /// 10 parts of one zip for one reason make one line; 30 containers
    /// are cut at 20 and the summary points at the whole list.
    #[test]
    fn parts_are_grouped_under_their_file() {
        let mut s = Summary::default();
        s.parts.extend((0..10).map(|n| part("bomb.zip", n, "compression ratio over 200:1")));
        s.parts.push(part("bomb.zip", 99, "nested more than 8 deep"));
        s.failed.push(("broken.pdf".into(), "corrupt".into()));
        let text = summary_text_with(&s, Some(Path::new("/out/piisweep-unread.csv")));
        assert!(text.contains("FAILED 1 file and 11 parts"), "{text}");
        assert!(text.contains("  bomb.zip: 10 parts: compression ratio over 200:1 (e.g. bomb.zip!m0.txt)"), "{text}");
        assert!(text.contains("  bomb.zip!m99.txt: nested more than 8 deep\n"), "{text}");
        assert!(!text.contains("m5.txt"), "{text}");
        assert!(text.contains("(1 file and 11 parts, 0 warnings): /out/piisweep-unread.csv"), "{text}");

        let mut s = Summary::default();
        s.parts.extend((0..30).map(|n| part(&format!("z{n:02}.zip"), 0, "encrypted")));
        let text = summary_text_with(&s, Some(Path::new("u.csv")));
        assert!(text.contains("FAILED 30 parts"), "{text}");
        assert!(text.contains("z19.zip!m0.txt: encrypted") && !text.contains("z20.zip"), "{text}");
        assert!(text.contains("... and parts of 10 more files (all of them are in u.csv)"), "{text}");
    }
}
