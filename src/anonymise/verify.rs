//! Verification: the copies are scanned again with the same engine, key and
//! minimum confidence; what is still found is listed, and the categories the
//! policy says must be removed decide the exit status. A copy still holding
//! one of those is deleted: `--out` only keeps copies that were made clean.
//! Plus the summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::{Anonymiser, FileResult, RunOptions, RunReport};
use crate::finding::Finding;
use crate::scan::{self, Status};
use crate::walk::FileEntry;

/// Re-scan every copy written, filling `report.residual` and `must_remove_left`.
/// Copies are re-scanned in parallel on the current rayon pool, each a task
/// of its own (as files are in a sweep); the residual findings keep the
/// files' order.
pub fn rescan(anon: &Anonymiser<'_>, opts: &RunOptions, report: &mut RunReport) {
    use rayon::prelude::*;
    let residual: Vec<Vec<Finding>> =
        report.files.par_iter_mut().with_max_len(1).map(|file| rescan_one(anon, opts, file)).collect();
    // A copy still holding data the policy must remove could not be made
    // clean: it does not stay in the output folder. A copy that is a
    // folder of items (an Outlook store's .eml files) loses only the items
    // holding it, each listed.
    for (file, found) in report.files.iter_mut().zip(&residual) {
        let must_remove = |f: &&Finding| anon.policy.must_remove.contains(&f.category);
        let left = categories(found.iter().filter(must_remove));
        if left.is_empty() {
            continue;
        }
        let Some(out) = file.output.take() else { continue };
        let copy = opts.out.join(&out);
        if copy.is_dir() {
            let mut items: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
            for f in found.iter().filter(must_remove) {
                items.entry(f.path.split('!').next().unwrap_or(&f.path)).or_default().push(f);
            }
            let all = walkdir::WalkDir::new(&copy)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .count();
            if items.len() < all && remove_items(&opts.out, &items, file).is_ok() {
                file.output = Some(out);
                continue;
            }
        }
        let removed = if copy.is_dir() { std::fs::remove_dir_all(&copy) } else { std::fs::remove_file(&copy) };
        match removed {
            Ok(()) => {
                file.not_copied = Some(format!(
                    "could not be made clean: the re-scan of its copy still found {left}, which the policy must \
                     remove, so the copy was deleted (see the findings below; check the policy)"
                ));
            }
            Err(e) => {
                file.error = Some(format!(
                    "the copy {out} still holds {left} and could not be deleted ({e}): delete it before sharing the folder"
                ));
                file.output = Some(out);
            }
        }
    }
    report.residual.extend(residual.into_iter().flatten());
    report.must_remove_left = report.residual.iter().filter(|f| anon.policy.must_remove.contains(&f.category)).count();
}

/// The distinct categories of `found`, sorted, joined for a message.
fn categories<'f>(found: impl Iterator<Item = &'f Finding>) -> String {
    let mut cats: Vec<&str> = found.map(|f| f.category.as_str()).collect();
    cats.sort_unstable();
    cats.dedup();
    cats.join(", ")
}

/// Delete the items (files relative to `out`) of a folder copy that still
/// hold data the policy must remove, each noted on `file`. Stops at the
/// first that cannot be deleted (the caller then deletes the whole copy).
fn remove_items(out: &Path, items: &BTreeMap<&str, Vec<&Finding>>, file: &mut FileResult) -> std::io::Result<()> {
    for (item, found) in items {
        std::fs::remove_file(out.join(item))?;
        file.notes.push(format!(
            "left out: {item}: the re-scan of its copy still found {}, which the policy must remove (see the \
             findings below; check the policy)",
            categories(found.iter().copied())
        ));
    }
    Ok(())
}

/// Re-scan the copy of `file`, if one was written: what the policy should
/// have replaced and did not.
fn rescan_one(anon: &Anonymiser<'_>, opts: &RunOptions, file: &mut FileResult) -> Vec<Finding> {
    let Some(out) = &file.output else { return Vec::new() };
    let abs = opts.out.join(out);
    let Ok(md) = std::fs::metadata(&abs) else {
        file.error = Some(format!("the copy {out} cannot be read back"));
        return Vec::new();
    };
    let how = scan::Detection {
        engine: anon.engine,
        key: anon.key,
        limits: anon.limits,
        min_confidence: anon.min_confidence,
    };
    // A copy is one file, or a folder of them (an Outlook store's items).
    let entries: Vec<FileEntry> = if md.is_dir() {
        walkdir::WalkDir::new(&abs)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .filter_map(|e| {
                let md = e.metadata().ok()?;
                let inner = e.path().strip_prefix(&abs).ok()?.to_string_lossy().replace('\\', "/");
                Some(FileEntry {
                    abs: e.path().to_path_buf(),
                    rel: format!("{out}/{inner}"),
                    size: md.len(),
                    modified: md.modified().ok(),
                })
            })
            .collect()
    } else {
        vec![FileEntry { abs, rel: out.clone(), size: md.len(), modified: md.modified().ok() }]
    };
    // What the policy itself wrote ("date of birth 1985") is not left over,
    // nor are the monitoring columns it keeps ("Ethnicity"). Left out as
    // the findings come, batch by batch: a large table's copy has one such
    // finding in every row.
    let left_over =
        |f: &Finding| (f.masked_only || !anon.in_policy_form(f.category, &f.value)) && !kept_special_column(anon, f);
    let mut all = Vec::new();
    let mut rescanned = true;
    for entry in &entries {
        let scanned =
            scan::scan_file_streaming(entry, how, &mut |batch| all.extend(batch.into_iter().filter(left_over)));
        if let Status::Failed(why) = &scanned.status {
            file.notes.push(format!("the copy {} could not be re-scanned: {why}", entry.rel));
            rescanned = false;
        }
    }
    file.rescanned = rescanned;
    all
}

/// Is `f` an answer in a special category column the policy keeps?
fn kept_special_column(anon: &Anonymiser<'_>, f: &Finding) -> bool {
    let keep = &anon.policy.keep_special_columns;
    if !keep.contains(&f.category) {
        return false;
    }
    match &f.location {
        crate::finding::Location::Row { header: Some(h), .. } => anon.engine.special_column(h) == Some(f.category),
        _ => false,
    }
}

/// The per-file summary, the files not copied and the residual findings.
pub fn summary_text(report: &RunReport) -> String {
    let mut s = String::new();
    let written = report.files.iter().filter(|f| f.output.is_some()).count();
    let replaced: u64 = report.files.iter().flat_map(|f| f.counts.values()).sum();
    let _ = writeln!(s, "Anonymised {written} of {} files: {replaced} items replaced", report.files.len());
    for f in &report.files {
        if let Some(out) = &f.output {
            let counts: Vec<String> = f.counts.iter().map(|((op, what), n)| format!("{op} {what} {n}")).collect();
            let arrow = if *out == f.source { String::new() } else { format!(" -> {out}") };
            let detail = if counts.is_empty() { "nothing to replace".to_string() } else { counts.join(", ") };
            let _ = writeln!(s, "  {}{arrow}: {detail}", f.source);
        }
        for note in &f.notes {
            let _ = writeln!(s, "    {note}");
        }
    }
    let not_copied: Vec<&super::FileResult> = report.files.iter().filter(|f| f.not_copied.is_some()).collect();
    if !not_copied.is_empty() || !report.passed.is_empty() {
        let _ = writeln!(s, "Not copied ({}):", not_copied.len() + report.passed.len());
        for f in not_copied {
            let _ = writeln!(s, "  {}: not copied: {}", f.source, f.not_copied.as_deref().unwrap_or(""));
        }
        for (path, why) in &report.passed {
            let _ = writeln!(s, "  {path}: not copied: {why}");
        }
    }
    let failed: Vec<&super::FileResult> = report.files.iter().filter(|f| f.error.is_some()).collect();
    if !failed.is_empty() {
        let _ = writeln!(s, "Not written ({}):", failed.len());
        for f in failed {
            let _ = writeln!(s, "  {}: {}", f.source, f.error.as_deref().unwrap_or(""));
        }
    }
    let rescanned = report.files.iter().filter(|f| f.output.is_some() && f.rescanned).count();
    if !report.residual.is_empty() {
        let deleted = if report.must_remove_left > 0 {
            " (the copies or items holding those were deleted: see Not copied and the notes above)"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "Re-scan of the copies found {} item(s), {} of them in categories that must be removed{deleted}:",
            report.residual.len(),
            report.must_remove_left
        );
        for r in &report.residual {
            let _ = writeln!(s, "  {} {}: {} {}", r.path, r.location, r.category, r.masked());
        }
    }
    if written == 0 {
        let why = if report.files.is_empty() {
            "no files were found to anonymise".to_string()
        } else {
            let failed = report.files.iter().filter(|f| f.error.is_some()).count();
            let not_copied = report.files.len() - failed;
            match (not_copied, failed) {
                (n, 0) => format!("{n} file(s) not copied (see above)"),
                (0, f) => format!("{f} copy(ies) could not be written (see above)"),
                (n, f) => format!("{n} file(s) not copied and {f} copy(ies) could not be written (see above)"),
            }
        };
        let _ = writeln!(s, "Nothing was written to the output folder: {why}. Nothing to verify.");
    } else if rescanned == 0 {
        let _ = writeln!(
            s,
            "Not verified: none of the {written} copies could be re-scanned (see above): check them by hand before sharing."
        );
    } else if report.residual.is_empty() {
        let unchecked = written - rescanned;
        let _ = write!(
            s,
            "Verified: {rescanned} of {written} cop{} re-scanned with the same detection; no personal data found in {}.",
            if written == 1 { "y" } else { "ies" },
            if rescanned == 1 { "it" } else { "them" }
        );
        if unchecked > 0 {
            let _ = write!(s, " {unchecked} could not be re-scanned (see above): check them by hand before sharing.");
        }
        let _ = writeln!(s);
    }
    s
}
