//! Crawling the roots: every regular file is listed with its size; every
//! entry that is not scanned (a symlink not followed, a loop, a special file,
//! an unreadable folder, an excluded path) is accounted for with the reason.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub follow_links: bool,
    /// Glob patterns matched against the path relative to its root and
    /// against the bare file or folder name (`*.tmp`, `Archive/**`, `~$*`).
    pub exclude: Vec<String>,
}

/// A file to scan.
#[derive(Debug, Clone)]
pub struct FileEntry {
    pub abs: PathBuf,
    /// Relative to its root, `/`-separated (the root's own name if the root is a file).
    pub rel: String,
    pub size: u64,
    pub modified: Option<std::time::SystemTime>,
}

/// Something found while walking that is not scanned.
#[derive(Debug, Clone)]
pub struct Passed {
    pub rel: String,
    pub reason: String,
    /// True if it could not be read (counts as failed), false if skipped on purpose.
    pub failed: bool,
}

#[derive(Debug, Default)]
pub struct Walked {
    pub files: Vec<FileEntry>,
    pub passed: Vec<Passed>,
    /// How many of `files` are hidden or system files (Windows attributes;
    /// a name starting with `.` elsewhere): swept like any other file, as
    /// they can hold personal data, and counted for the summary.
    pub hidden: u64,
}

/// Windows file attributes that matter to a sweep (`GetFileAttributes`).
const ATTRIBUTE_HIDDEN: u32 = 0x2;
const ATTRIBUTE_SYSTEM: u32 = 0x4;
const ATTRIBUTE_OFFLINE: u32 = 0x1000;
const ATTRIBUTE_RECALL_ON_OPEN: u32 = 0x4_0000;
const ATTRIBUTE_RECALL_ON_DATA_ACCESS: u32 = 0x40_0000;

/// Why a file with these Windows attributes is not opened, if it is not:
/// a cloud placeholder (OneDrive, SharePoint, other cloud-files providers)
/// whose content is not on this PC, which opening would download.
pub fn placeholder_reason(attributes: u32) -> Option<&'static str> {
    (attributes & (ATTRIBUTE_RECALL_ON_DATA_ACCESS | ATTRIBUTE_RECALL_ON_OPEN | ATTRIBUTE_OFFLINE) != 0).then_some(
        "online-only file (OneDrive or SharePoint: its content is not on this PC, and reading it would \
         download it): not read; in File Explorer choose 'Always keep on this device' for the folder, \
         then sweep again",
    )
}

/// Whether a file with these Windows attributes is hidden or a system file.
pub fn hidden_attributes(attributes: u32) -> bool {
    attributes & (ATTRIBUTE_HIDDEN | ATTRIBUTE_SYSTEM) != 0
}

/// Why a file is left out on purpose because of its name and size, if it
/// is: files that Windows, macOS and Office make for themselves beside a
/// user's documents, which hold no document.
pub fn litter_reason(name: &str, size: u64) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "thumbs.db" | "ehthumbs.db" | "ehthumbs_vista.db" => {
            return Some("Windows thumbnail cache (small copies of the folder's pictures, which are swept themselves)");
        }
        "desktop.ini" => return Some("Windows folder settings (desktop.ini): icon and view, no document"),
        ".ds_store" => return Some("macOS folder settings (.DS_Store): no document"),
        _ => {}
    }
    // `~$Budget.xlsx`: the owner file Office keeps while a document is open,
    // naming who has it open; a few hundred bytes, never the document.
    const OFFICE: [&str; 12] =
        [".doc", ".docx", ".docm", ".dot", ".dotx", ".xls", ".xlsx", ".xlsm", ".xlsb", ".ppt", ".pptx", ".pptm"];
    if lower.starts_with("~$") && size <= 4096 && OFFICE.iter().any(|ext| lower.ends_with(ext)) {
        return Some("Office owner file (~$: names who has the document open; the document itself is swept)");
    }
    None
}

pub fn build_globs(patterns: &[String]) -> Result<GlobSet, globset::Error> {
    build_globs_for(patterns, cfg!(windows))
}

/// The --exclude globs as built on Windows (`windows`) or elsewhere. On
/// Windows, where names are case-insensitive and `\` separates folders, a
/// pattern matches whatever the case, and `\` in it means `/` (the
/// separator of the relative paths it is matched against); elsewhere it is
/// case-sensitive and `\` escapes the next character, as globs always have.
pub fn build_globs_for(patterns: &[String], windows: bool) -> Result<GlobSet, globset::Error> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        if windows {
            let p = p.replace('\\', "/");
            b.add(GlobBuilder::new(&p).case_insensitive(true).backslash_escape(false).build()?);
        } else {
            b.add(Glob::new(p)?);
        }
    }
    b.build()
}

/// The `\\?\` form of an absolute Windows path, which Windows takes
/// literally (a trailing dot or space in a name is kept; no 260-character
/// limit): `C:\a\b` → `\\?\C:\a\b`, `\\server\share\a` →
/// `\\?\UNC\server\share\a`, with `/` as `\`. A path already in that
/// form (or a device path, `\\.\`), or one that is not absolute, is
/// returned unchanged apart from its separators.
pub fn windows_verbatim(path: &str) -> String {
    if path.starts_with(r"\\?\") || path.starts_with(r"\\.\") {
        return path.to_string();
    }
    let back = path.replace('/', "\\");
    let bytes = back.as_bytes();
    if bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'\\' {
        format!(r"\\?\{back}")
    } else if let Some(unc) = back.strip_prefix(r"\\").filter(|rest| !rest.is_empty() && !rest.starts_with('\\')) {
        format!(r"\\?\UNC\{unc}")
    } else {
        back
    }
}

/// `/`-separated path of `path` relative to `root` (lossy for non-UTF-8 names).
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if parts.is_empty() {
        root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| root.display().to_string())
    } else {
        parts.join("/")
    }
}

/// Walk all roots. Missing roots are reported as failed entries.
pub fn walk(roots: &[PathBuf], opts: &WalkOptions) -> Result<Walked, globset::Error> {
    let globs = build_globs(&opts.exclude)?;
    let excluded = |rel: &str, name: &str| !globs.is_empty() && (globs.is_match(rel) || globs.is_match(name));
    let mut out = Walked::default();
    for root in roots {
        // On Windows the walk goes through the root's `\\?\` form, so that
        // names Windows allows but its ordinary paths cannot reach (a folder
        // `Notes.` with a trailing dot or space) are read, not "not found".
        #[cfg(windows)]
        let given = root;
        #[cfg(windows)]
        let root = &std::path::absolute(root)
            .ok()
            .and_then(|a| a.to_str().map(windows_verbatim))
            .map(PathBuf::from)
            .unwrap_or_else(|| root.clone());
        let root_is_file = root.is_file();
        let walker = WalkDir::new(root).follow_links(opts.follow_links).follow_root_links(true).sort_by_file_name();
        let mut it = walker.into_iter();
        while let Some(entry) = it.next() {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    let rel = err.path().map(|p| relative(root, p)).unwrap_or_else(|| root.display().to_string());
                    let (reason, failed) = if err.loop_ancestor().is_some() {
                        ("symbolic link loop: not followed".to_string(), false)
                    } else if let Some(io) = err.io_error() {
                        (describe_io(io), true)
                    } else {
                        (err.to_string(), true)
                    };
                    out.passed.push(Passed { rel, reason, failed });
                    continue;
                }
            };
            let rel = if root_is_file {
                relative(root.parent().unwrap_or(root), entry.path())
            } else {
                relative(root, entry.path())
            };
            let name = entry.file_name().to_string_lossy();
            if entry.depth() > 0 && excluded(&rel, &name) {
                if entry.file_type().is_dir() {
                    it.skip_current_dir();
                }
                out.passed.push(Passed { rel, reason: "excluded by --exclude".into(), failed: false });
                continue;
            }
            let ft = entry.file_type();
            if ft.is_dir() {
                continue;
            }
            if ft.is_symlink() {
                out.passed.push(Passed {
                    rel,
                    reason: "symbolic link: not followed (use --follow-links)".into(),
                    failed: false,
                });
                continue;
            }
            if !ft.is_file() {
                out.passed.push(Passed {
                    rel,
                    reason: "not a regular file (device, pipe or socket)".into(),
                    failed: false,
                });
                continue;
            }
            match entry.metadata() {
                Ok(md) if litter_reason(&name, md.len()).is_some() => out.passed.push(Passed {
                    rel,
                    reason: litter_reason(&name, md.len()).unwrap_or_default().into(),
                    failed: false,
                }),
                #[cfg(windows)]
                Ok(md) if placeholder_reason(std::os::windows::fs::MetadataExt::file_attributes(&md)).is_some() => {
                    let attributes = std::os::windows::fs::MetadataExt::file_attributes(&md);
                    out.passed.push(Passed {
                        rel,
                        reason: placeholder_reason(attributes).unwrap_or_default().into(),
                        failed: true,
                    })
                }
                Ok(md) => out.files.push({
                    #[cfg(windows)]
                    let hidden = hidden_attributes(std::os::windows::fs::MetadataExt::file_attributes(&md));
                    #[cfg(not(windows))]
                    let hidden = name.starts_with('.');
                    out.hidden += u64::from(hidden);
                    FileEntry {
                        #[cfg(not(windows))]
                        abs: entry.path().to_path_buf(),
                        // The path as given (what the data map records and
                        // reports), unless only the `\\?\` form reaches it.
                        #[cfg(windows)]
                        abs: match entry.path().strip_prefix(root) {
                            Ok(r) if r.as_os_str().is_empty() => given.clone(),
                            Ok(r) if !r.iter().any(|c| c.to_string_lossy().ends_with(['.', ' '])) => given.join(r),
                            _ => entry.path().to_path_buf(),
                        },
                        rel,
                        size: md.len(),
                        modified: md.modified().ok(),
                    }
                }),
                Err(e) => out.passed.push(Passed {
                    rel,
                    reason: e.io_error().map(describe_io).unwrap_or_else(|| e.to_string()),
                    failed: true,
                }),
            }
        }
    }
    Ok(out)
}

/// A plain-words reason for an I/O error.
pub fn describe_io(e: &std::io::Error) -> String {
    #[cfg(windows)]
    if let Some(reason) = e.raw_os_error().and_then(windows_error_reason) {
        return reason.into();
    }
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => {
            "permission denied: run as a user who can read it, or exclude it".into()
        }
        std::io::ErrorKind::NotFound => "not found (moved or deleted during the sweep?)".into(),
        _ => format!("cannot read: {e}"),
    }
}

/// Plain words for the Windows errors a sweep meets that Rust has no
/// error kind for (`ERROR_SHARING_VIOLATION`, `ERROR_LOCK_VIOLATION`, the
/// cloud-files errors of an online-only file).
pub fn windows_error_reason(code: i32) -> Option<&'static str> {
    match code {
        32 | 33 => Some(
            "in use by another program, which keeps others from reading it (an open Outlook store or \
             Excel workbook): close it there, or sweep out of hours, and sweep again",
        ),
        // ERROR_CLOUD_FILE_* (362..=400): the provider could not or would not supply the file.
        362..=400 => Some(
            "online-only file that could not be fetched from OneDrive or SharePoint: not read; \
             choose 'Always keep on this device' for the folder, then sweep again",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_office_litter_is_left_out_by_name() {
        assert!(litter_reason("Thumbs.db", 20_000).unwrap().contains("thumbnail"));
        assert!(litter_reason("desktop.ini", 200).unwrap().contains("desktop.ini"));
        assert!(litter_reason("~$dget report.docx", 162).unwrap().contains("owner file"));
        assert!(litter_reason("~$Budget.XLSX", 165).is_some());
        // A real document that happens to start with ~$, or a big one, is read.
        assert_eq!(litter_reason("~$notes.txt", 162), None);
        assert_eq!(litter_reason("~$Budget.xlsx", 80_000), None);
        assert_eq!(litter_reason("Thumbs.db.txt", 10), None);
        assert_eq!(litter_reason("referral.docx", 162), None);
    }

    #[test]
    fn cloud_placeholders_and_locks_have_plain_reasons() {
        // FILE_ATTRIBUTE_RECALL_ON_DATA_ACCESS | ARCHIVE, as OneDrive sets on an online-only file.
        assert!(placeholder_reason(0x40_0020).unwrap().contains("Always keep on this device"));
        assert!(placeholder_reason(0x4_0000).is_some());
        assert!(placeholder_reason(0x1000).is_some());
        // A pinned (always available) file: ARCHIVE | PINNED.
        assert_eq!(placeholder_reason(0x8_0020), None);
        assert!(hidden_attributes(0x2) && hidden_attributes(0x6) && !hidden_attributes(0x20));
        assert!(windows_error_reason(32).unwrap().contains("in use by another program"));
        assert!(windows_error_reason(33).is_some());
        assert!(windows_error_reason(5).is_none());
    }

    #[test]
    fn litter_is_listed_with_its_reason_and_hidden_files_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Thumbs.db"), vec![0u8; 5000]).unwrap();
        std::fs::write(dir.path().join("~$ferral.docx"), vec![b'j'; 162]).unwrap();
        std::fs::write(dir.path().join("referral.docx"), b"x").unwrap();
        std::fs::write(dir.path().join(".notes.txt"), b"x").unwrap();
        let w = walk(&[dir.path().to_path_buf()], &WalkOptions { follow_links: false, exclude: vec![] }).unwrap();
        let files: Vec<&str> = w.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(files, [".notes.txt", "referral.docx"]);
        assert_eq!(w.hidden, 1);
        let passed: Vec<(&str, bool)> = w.passed.iter().map(|p| (p.rel.as_str(), p.failed)).collect();
        assert_eq!(passed, [("Thumbs.db", false), ("~$ferral.docx", false)]);
    }

    #[test]
    fn windows_paths_are_made_verbatim() {
        assert_eq!(windows_verbatim(r"S:\Clients\Notes."), r"\\?\S:\Clients\Notes.");
        assert_eq!(windows_verbatim("c:/Users/jo/Case files"), r"\\?\c:\Users\jo\Case files");
        assert_eq!(windows_verbatim(r"S:\Clients/mixed\sep"), r"\\?\S:\Clients\mixed\sep");
        assert_eq!(windows_verbatim(r"\\fileserver\HR\2024"), r"\\?\UNC\fileserver\HR\2024");
        assert_eq!(windows_verbatim(r"\\?\C:\already"), r"\\?\C:\already");
        assert_eq!(windows_verbatim(r"\\?\UNC\srv\share"), r"\\?\UNC\srv\share");
        assert_eq!(windows_verbatim(r"\\.\pipe\x"), r"\\.\pipe\x");
        // Not absolute: left as it is (bar separators).
        assert_eq!(windows_verbatim("fixtures/a"), r"fixtures\a");
        assert_eq!(windows_verbatim(r"C:relative"), "C:relative");
    }

    #[test]
    fn windows_excludes_ignore_case_and_take_backslashes() {
        let pats = vec!["Archive\\**".to_string(), "*.TMP".to_string(), "~$*".to_string()];
        let win = build_globs_for(&pats, true).unwrap();
        assert!(win.is_match("archive/old/a.docx"));
        assert!(win.is_match("ARCHIVE/x"));
        assert!(win.is_match("notes.tmp"));
        assert!(win.is_match("~$Budget.xlsx"));
        assert!(!win.is_match("live/a.docx"));
        let unix = build_globs_for(&pats, false).unwrap();
        assert!(!unix.is_match("archive/old/a.docx"));
        assert!(!unix.is_match("notes.tmp"));
        assert!(unix.is_match("x.TMP"));
        assert!(unix.is_match("~$Budget.xlsx"));
    }

    #[test]
    fn walks_excludes_and_reports_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/skip")).unwrap();
        std::fs::write(root.join("a/one.txt"), "x").unwrap();
        std::fs::write(root.join("a/skip/two.txt"), "y").unwrap();
        std::fs::write(root.join("three.tmp"), "z").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("a"), root.join("a/loop")).unwrap();
        let opts = WalkOptions { follow_links: false, exclude: vec!["skip".into(), "*.tmp".into()] };
        let w = walk(&[root.to_path_buf()], &opts).unwrap();
        let files: Vec<&str> = w.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(files, ["a/one.txt"]);
        assert!(w.passed.iter().any(|p| p.rel == "a/skip" && p.reason.contains("excluded")));
        assert!(w.passed.iter().any(|p| p.rel == "three.tmp"));
        #[cfg(unix)]
        {
            assert!(w.passed.iter().any(|p| p.rel == "a/loop" && p.reason.contains("symbolic link")));
            let follow = WalkOptions { follow_links: true, exclude: vec![] };
            let w = walk(&[root.to_path_buf()], &follow).unwrap();
            assert!(w.passed.iter().any(|p| p.reason.contains("loop")), "{:?}", w.passed);
        }
    }

    #[test]
    fn a_file_root_is_named_by_its_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("notes.txt");
        std::fs::write(&f, "x").unwrap();
        let w = walk(&[f], &WalkOptions { follow_links: false, exclude: vec![] }).unwrap();
        assert_eq!(w.files[0].rel, "notes.txt");
    }
}
