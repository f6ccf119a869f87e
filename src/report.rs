//! The end-of-sweep summary for the terminal.

use std::fmt::Write as _;

use crate::detect::Category;
use crate::scan::Summary;

/// How many skipped or failed paths to list before summarising the rest.
const LIST_MAX: usize = 20;

pub fn summary_text(s: &Summary) -> String {
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
    if !s.skipped.is_empty() {
        let _ = writeln!(out, "Skipped {} (not scanned on purpose):", s.skipped.len());
        let mut reasons: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for (p, why) in &s.skipped {
            reasons.entry(why.as_str()).or_default().push(p.as_str());
        }
        for (why, paths) in reasons {
            let shown: Vec<&str> = paths.iter().take(3).copied().collect();
            let more = if paths.len() > 3 { format!(" and {} more", paths.len() - 3) } else { String::new() };
            let _ = writeln!(out, "  {:>5}  {why}: {}{more}", paths.len(), shown.join(", "));
        }
    }
    if !s.failed.is_empty() {
        let _ = writeln!(out, "FAILED {} (could not be read; nothing from them is in the results):", s.failed.len());
        for (p, why) in s.failed.iter().take(LIST_MAX) {
            let _ = writeln!(out, "  {p}: {why}");
        }
        if s.failed.len() > LIST_MAX {
            let _ = writeln!(out, "  ... and {} more", s.failed.len() - LIST_MAX);
        }
    }
    if !s.warnings.is_empty() {
        let _ = writeln!(out, "Warnings {}:", s.warnings.len());
        for w in s.warnings.iter().take(LIST_MAX) {
            let _ = writeln!(out, "  {w}");
        }
        if s.warnings.len() > LIST_MAX {
            let _ = writeln!(out, "  ... and {} more", s.warnings.len() - LIST_MAX);
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
