//! Sources are only read: every path a command writes is checked here first.
//!
//! An output (`--jsonl`, `--map` and its companion files, a key file about to
//! be created, the `anonymise --out` and `sar --bundle` folders) is refused
//! when it is a source (a file given to sweep, or one under a folder given),
//! lies inside a folder being swept, or is a folder holding one. Paths are
//! compared after resolving symbolic links, `..` and relative paths, and by
//! (device, inode) for whatever exists, so another name for the same file or
//! folder (a link, a bind mount) is caught too.
//!
//! Output folders piisweep creates get a marker file, [`MARKER`]: `--force`
//! only writes over a folder holding it, i.e. piisweep's own earlier output.

use std::path::{Component, Path, PathBuf};

use crate::error::BadRequest;

/// The file that marks a folder as piisweep's own output.
pub const MARKER: &str = ".piisweep-output";

const MARKER_TEXT: &str = "This folder holds output written by piisweep (anonymised copies or a subject access bundle).\n\
piisweep --force may replace the files it wrote here. Delete this file to stop that.\n";

/// One thing a command is about to write.
#[derive(Debug, Clone, Copy)]
pub enum Output<'a> {
    /// A file named by an option (`--jsonl`): `-` (standard output) is not checked.
    File(&'a str, &'a Path),
    /// A folder to write into (`--out`, `--bundle`).
    Folder(&'a str, &'a Path),
    /// The data map (`--map`) and the files SQLite keeps beside it.
    Map(&'a Path),
    /// The key file: checked only if it does not exist yet (it is then created).
    Key { path: &'a Path, explicit: bool },
}

/// (device, inode) of an existing file or folder.
type FileId = (u64, u64);

fn id_of(p: &Path) -> Option<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = p;
        None
    }
}

/// A path resolved for comparison, with the identities of itself and its
/// existing ancestors.
struct Resolved {
    given: PathBuf,
    path: PathBuf,
    /// (device, inode) of the path itself, if it exists.
    own: Option<FileId>,
    /// (device, inode) of the path and each existing ancestor.
    ids: Vec<FileId>,
}

impl Resolved {
    fn new(p: &Path) -> Resolved {
        let path = resolve(p);
        let own = id_of(&path);
        let ids = path.ancestors().filter_map(id_of).collect();
        Resolved { given: p.to_path_buf(), path, own, ids }
    }

    /// Is `self` the same as `other`, or inside it (by path, or by identity
    /// when `other` exists under another name)?
    fn within(&self, other: &Resolved) -> bool {
        self.path.starts_with(&other.path) || other.own.is_some_and(|id| self.ids.contains(&id))
    }

    fn same(&self, other: &Resolved) -> bool {
        self.path == other.path || (self.own.is_some() && self.own == other.own)
    }
}

/// An absolute form of `p` (which may not exist yet) with `.`, `..` and
/// symbolic links resolved, as the OS would when creating it: each existing
/// link is followed (a dangling one to where it would create a file), the
/// parts that do not exist yet are taken by their words.
pub fn resolve(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut todo: std::collections::VecDeque<std::ffi::OsString> =
        abs.components().map(|c| c.as_os_str().to_os_string()).collect();
    let mut out = PathBuf::new();
    let mut links = 0;
    while let Some(part) = todo.pop_front() {
        match Path::new(&part).components().next() {
            Some(Component::CurDir) | None => {}
            // `out` holds no links, so `..` is its parent.
            Some(Component::ParentDir) => {
                out.pop();
            }
            Some(Component::Normal(name)) => {
                let next = out.join(name);
                let link = std::fs::symlink_metadata(&next).is_ok_and(|m| m.file_type().is_symlink());
                // Links to links are followed a bounded number of times, as the OS does.
                match std::fs::read_link(&next) {
                    Ok(target) if link && links < 40 => {
                        links += 1;
                        if target.is_absolute() {
                            out = PathBuf::new();
                        }
                        for c in target.components().rev() {
                            todo.push_front(c.as_os_str().to_os_string());
                        }
                    }
                    _ => out = next,
                }
            }
            Some(c) => out.push(c.as_os_str()),
        }
    }
    out
}

/// The sources of a command: the files and folders it reads.
pub struct Sources {
    roots: Vec<Resolved>,
}

impl Sources {
    pub fn new(roots: &[PathBuf]) -> Sources {
        Sources { roots: roots.iter().map(|r| Resolved::new(r)).collect() }
    }

    /// With `--follow-links` the sweep also reads wherever the links under
    /// the roots lead: those places are sources too. (A walk of the roots,
    /// made only when links are followed.)
    pub fn with_followed_links(mut self, roots: &[PathBuf]) -> Sources {
        for root in roots {
            for entry in walkdir::WalkDir::new(root).follow_links(true).into_iter().flatten() {
                if entry.path_is_symlink() {
                    self.roots.push(Resolved::new(entry.path()));
                }
            }
        }
        self
    }

    /// Refuse each output that would write over, into or around a source.
    /// Nothing is written here.
    pub fn check(&self, outputs: &[Output<'_>]) -> Result<(), BadRequest> {
        for out in outputs {
            match *out {
                Output::File(flag, path) => {
                    if path == Path::new("-") {
                        continue;
                    }
                    self.check_one(flag, path, "choose a place outside it")?;
                    if path.is_dir() {
                        return Err(BadRequest(format!(
                            "{flag} {} is a folder: give a file name, e.g. {}",
                            path.display(),
                            path.join("findings.jsonl").display()
                        )));
                    }
                    refuse_hard_link(flag, path)?;
                }
                Output::Folder(flag, path) => {
                    self.check_one(flag, path, "choose a new folder outside it")?;
                    if path.exists() && !path.is_dir() {
                        return Err(BadRequest(format!(
                            "{flag} {} is a file: give a folder (a new one is created)",
                            path.display()
                        )));
                    }
                }
                Output::Map(path) => {
                    self.check_one("--map", path, "choose a place outside it")?;
                    check_map_file(path)?;
                    refuse_hard_link("--map", path)?;
                    for suffix in ["-wal", "-shm", "-journal"] {
                        let mut companion = path.as_os_str().to_os_string();
                        companion.push(suffix);
                        self.check_one("--map", Path::new(&companion), "choose a place outside it")?;
                    }
                }
                Output::Key { path, explicit } => {
                    if std::fs::symlink_metadata(path).is_ok() {
                        continue; // only read
                    }
                    let (flag, fix) = if explicit {
                        ("--key", "choose a place outside it")
                    } else {
                        ("the key file", "it would be created there: give --key FILE outside it")
                    };
                    self.check_one(flag, path, fix)?;
                }
            }
        }
        Ok(())
    }

    fn check_one(&self, flag: &str, out: &Path, fix: &str) -> Result<(), BadRequest> {
        let out = Resolved::new(out);
        let o = out.given.display();
        for root in &self.roots {
            let r = root.given.display();
            let root_is_dir = root.path.is_dir();
            if out.same(root) {
                let what = if root_is_dir { "the folder being swept" } else { "one of the files being swept" };
                return Err(BadRequest(format!(
                    "{flag} {o} is {r}, {what}: piisweep never writes to what it reads. Give a new name outside the sources"
                )));
            }
            if out.within(root) {
                if root_is_dir {
                    return Err(BadRequest(format!("{flag} {o} is inside the scanned folder {r}: {fix}")));
                }
                return Err(BadRequest(format!(
                    "{flag} {o} is inside {r}, one of the files being swept: piisweep never writes to what it reads. Give a new name outside the sources"
                )));
            }
            if root.within(&out) {
                return Err(BadRequest(format!(
                    "{flag} {o} holds {r}, which is being swept: writing there could replace the sources. \
                     Choose a new folder that is not one of those swept and does not hold them"
                )));
            }
        }
        Ok(())
    }
}

/// An existing file with another name may be a source under another path:
/// it is not written over.
fn refuse_hard_link(flag: &str, path: &Path) -> Result<(), BadRequest> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(md) = std::fs::metadata(path)
            && md.is_file()
            && md.nlink() > 1
        {
            return Err(BadRequest(format!(
                "{flag} {} is a file with more than one name (a hard link): it may be a file being swept under \
                 another name, so piisweep will not write over it. Delete it or choose another name",
                path.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = (flag, path);
    Ok(())
}

/// `--map` for a command that reads the map (`map`, `sar`, `serve`): a
/// file, not a folder, or a PostgreSQL URL that can be understood.
pub fn check_map_path(path: &Path) -> Result<(), BadRequest> {
    if let Some(s) = path.to_str()
        && crate::map::pg::is_url(s)
    {
        return match crate::map::pg::Target::from_url(s) {
            Ok(_) => Ok(()),
            Err(e) => match e.downcast::<BadRequest>() {
                Ok(bad) => Err(BadRequest(format!("--map: {}", bad.0))),
                Err(e) => Err(BadRequest(format!("--map: {e:#}"))),
            },
        };
    }
    if path.is_dir() {
        return Err(BadRequest(format!(
            "--map {} is a folder: --map takes a file, e.g. {}",
            path.display(),
            path.join(crate::map::DEFAULT_MAP_FILE).display()
        )));
    }
    Ok(())
}

/// `--map` for a sweep, which writes the map: a file (not a folder), or a
/// PostgreSQL URL that can be understood (never made into a folder called
/// `postgresql:`).
pub fn check_map_file(path: &Path) -> Result<(), BadRequest> {
    check_map_path(path)
}

/// Make `dir` ready for a command's output: create it (with the marker) if it
/// is new or empty; accept it if it is piisweep's own earlier output (marked);
/// refuse a folder holding anything else. Call after [`Sources::check`].
///
/// Returns whether the folder already held earlier output.
pub fn prepare_folder(flag: &str, dir: &Path, force: bool) -> Result<bool, BadRequest> {
    let entries: Vec<std::ffi::OsString> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.file_name())).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(|e| BadRequest(format!("cannot create {flag} {}: {e}", dir.display())))?;
            // Windows: the owner alone, for the folder and what is written in it.
            crate::private::owner_only(dir, true)
                .map_err(|e| BadRequest(format!("cannot make {flag} {} private to you: {e}", dir.display())))?;
            Vec::new()
        }
        Err(e) => return Err(BadRequest(format!("cannot open {flag} {}: {e}", dir.display()))),
    };
    let marked = std::fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file());
    let others = entries.iter().filter(|n| n.as_os_str() != MARKER).count();
    if others == 0 {
        if !marked {
            write_marker(&dir.join(MARKER))
                .map_err(|e| BadRequest(format!("cannot write in {flag} {}: {e}", dir.display())))?;
        }
        return Ok(false);
    }
    if !marked {
        let why = if force { "--force only replaces piisweep's own earlier output" } else { "it is not piisweep's" };
        return Err(BadRequest(format!(
            "{flag} {} already holds files that piisweep did not write ({why}, marked by a {MARKER} file): \
             choose a new or empty folder",
            dir.display()
        )));
    }
    Ok(true)
}

/// Write the marker, readable by its owner only like everything else in an
/// output folder.
fn write_marker(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, MARKER_TEXT.as_bytes())
}

/// Remove the entries `names` of an earlier output in the marked folder
/// `dir` (after [`prepare_folder`] said it is one), so that what is written
/// next is new files: a link left there is removed, never followed.
pub fn remove_earlier(dir: &Path, names: &[&str]) -> Result<(), BadRequest> {
    for name in names {
        let path = dir.join(name);
        let Ok(md) = std::fs::symlink_metadata(&path) else { continue };
        let removed = if md.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        removed.map_err(|e| BadRequest(format!("cannot remove the earlier {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Check that the folder `path` is to be written in, under the output
/// folder `folder`, stays inside it once links are followed (a link placed
/// in an output folder could lead anywhere, sources included). The name
/// itself is the writer's to handle: it must create a new file there, never
/// write through what is at that name.
pub fn stays_inside(folder: &Path, path: &Path) -> Result<(), String> {
    let parent = path.parent().unwrap_or(path);
    if resolve(parent).starts_with(resolve(folder)) {
        Ok(())
    } else {
        Err(format!("{} leads outside {} (a symbolic link): not written", parent.display(), folder.display()))
    }
}

/// A `/`-separated relative output path made safe to create on this system:
/// see [`portable_rel_for`]. Unchanged except on Windows.
pub fn portable_rel(rel: &str) -> String {
    portable_rel_for(rel, cfg!(windows))
}

/// `rel` with each `/`-separated part made a name Windows can create
/// (`windows`): the characters `< > : " \ | ? *` and control characters
/// become `_`; a trailing dot or space becomes `_` (Windows would drop it,
/// so `notes.` and `notes` would collide); a device name (`CON`, `PRN`,
/// `AUX`, `NUL`, `COM1`-`COM9`, `LPT1`-`LPT9`, with any extension, any
/// case) gets a leading `_`. Elsewhere `rel` is returned unchanged.
pub fn portable_rel_for(rel: &str, windows: bool) -> String {
    if !windows {
        return rel.to_string();
    }
    rel.split('/').map(windows_name).collect::<Vec<_>>().join("/")
}

fn windows_name(part: &str) -> String {
    if part.is_empty() || part == "." || part == ".." {
        return part.to_string();
    }
    let mut name: String =
        part.chars().map(|c| if c.is_control() || "<>:\"\\|?*".contains(c) { '_' } else { c }).collect();
    if name.ends_with(['.', ' ']) {
        name.pop();
        name.push('_');
    }
    let stem = name.split('.').next().unwrap_or("").trim_end_matches(' ').to_ascii_uppercase();
    let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && matches!(stem.as_bytes()[3], b'1'..=b'9'));
    if device {
        name.insert(0, '_');
    }
    name
}

#[cfg(test)]
mod tests {
    #[test]
    fn output_names_are_made_creatable_on_windows() {
        use super::portable_rel_for as p;
        assert_eq!(p("Clients/CON.txt", true), "Clients/_CON.txt");
        assert_eq!(p("aux/Lpt1/com9.log/nul", true), "_aux/_Lpt1/_com9.log/_nul");
        assert_eq!(p("Console/COM10.txt/CONx", true), "Console/COM10.txt/CONx");
        assert_eq!(p("Old notes./draft ", true), "Old notes_/draft_");
        assert_eq!(p("Inbox/2023-10-04 Re: referral?.eml", true), "Inbox/2023-10-04 Re_ referral_.eml");
        assert_eq!(p("a\"b<c>|*\u{1}.txt", true), "a_b_c____.txt");
        assert_eq!(p("Café/Ünïcode naïve.docx", true), "Café/Ünïcode naïve.docx");
        // Unchanged on other systems, where all of these are legal names.
        for rel in ["Clients/CON.txt", "Old notes./draft ", "Inbox/Re: x?.eml"] {
            assert_eq!(p(rel, false), rel);
        }
    }

    use super::*;

    #[test]
    fn resolve_normalises_and_follows_links() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        std::fs::create_dir_all(base.join("a/b")).unwrap();
        assert_eq!(resolve(&base.join("a/b/../c/./d")), base.join("a/c/d"));
        assert_eq!(resolve(&base.join("a/new/../b")), base.join("a/b"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(base.join("a/b"), base.join("link")).unwrap();
            assert_eq!(resolve(&base.join("link/x.txt")), base.join("a/b/x.txt"));
            // A dangling link is followed to where it would create a file.
            std::os::unix::fs::symlink(base.join("a/b/new.txt"), base.join("dangling")).unwrap();
            assert_eq!(resolve(&base.join("dangling")), base.join("a/b/new.txt"));
            std::os::unix::fs::symlink("b/missing", base.join("a/rel")).unwrap();
            assert_eq!(resolve(&base.join("a/rel/deeper")), base.join("a/b/missing/deeper"));
        }
    }

    #[test]
    fn overlaps_in_both_directions() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("src");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.txt"), "x").unwrap();
        let sources = Sources::new(std::slice::from_ref(&root));
        let file = |p: &Path| sources.check(&[Output::File("--jsonl", p)]);
        assert!(file(&root.join("sub/a.txt")).is_err());
        assert!(file(&root.join("new.jsonl")).is_err());
        assert!(sources.check(&[Output::Folder("--out", tmp.path())]).is_err());
        assert!(file(&tmp.path().join("out.jsonl")).is_ok());
        assert!(file(Path::new("-")).is_ok());
        let one_file = Sources::new(&[root.join("sub/a.txt")]);
        assert!(one_file.check(&[Output::Folder("--out", &root)]).is_err(), "the folder holding a file root");
        assert!(one_file.check(&[Output::Folder("--out", &root.join("sub/a.txt/x"))]).is_err());
        assert!(one_file.check(&[Output::Folder("--out", &root.join("other"))]).is_ok());
    }

    #[test]
    fn a_folder_is_ours_only_with_the_marker() {
        let tmp = tempfile::tempdir().unwrap();
        let new = tmp.path().join("new/out");
        assert!(!prepare_folder("--out", &new, false).unwrap());
        assert!(new.join(MARKER).is_file());
        std::fs::write(new.join("copy.txt"), "x").unwrap();
        assert!(prepare_folder("--out", &new, true).unwrap(), "earlier output");
        let foreign = tmp.path().join("foreign");
        std::fs::create_dir_all(&foreign).unwrap();
        std::fs::write(foreign.join("mine.txt"), "x").unwrap();
        assert!(prepare_folder("--out", &foreign, true).is_err());
        assert!(prepare_folder("--out", &foreign, false).is_err());
        assert!(!foreign.join(MARKER).exists());
    }
}
