//! Keeping the folders staff may choose inside the `--root` folders given to
//! `piisweep serve`: no `..`, no absolute path, no link leading outside.

use std::path::{Component, Path, PathBuf};

/// The roots, resolved once at start (links followed, absolute).
#[derive(Debug, Clone)]
pub struct Roots {
    roots: Vec<PathBuf>,
}

/// Why a chosen folder was refused, in words for the page.
pub const OUTSIDE: &str = "That folder is not inside the folders this page may use. \
     Choose a folder from the list (they are the folders piisweep serve was started with, and folders inside them).";

impl Roots {
    /// Resolve each root; one that does not exist or is not a folder is an error naming it.
    pub fn new(roots: &[PathBuf]) -> Result<Roots, String> {
        let mut out = Vec::new();
        for r in roots {
            let c = std::fs::canonicalize(r)
                .map_err(|e| format!("--root {}: {e}: give a folder that exists", r.display()))?;
            if !c.is_dir() {
                return Err(format!("--root {} is not a folder: give a folder", r.display()));
            }
            out.push(c);
        }
        Ok(Roots { roots: out })
    }

    pub fn list(&self) -> &[PathBuf] {
        &self.roots
    }

    /// The folder a form names as `N/relative/path` (root number N), refused
    /// unless it is a folder that resolves (links followed) inside root N.
    pub fn confine(&self, choice: &str) -> Result<PathBuf, String> {
        let (n, rel) = choice.split_once('/').unwrap_or((choice, ""));
        let root = n.parse::<usize>().ok().and_then(|i| self.roots.get(i)).ok_or_else(|| OUTSIDE.to_string())?;
        let rel = Path::new(rel);
        if !rel.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) {
            return Err(OUTSIDE.to_string());
        }
        let joined = root.join(rel);
        let real = std::fs::canonicalize(&joined)
            .map_err(|_| "That folder does not exist any more: choose another from the list.".to_string())?;
        if !real.starts_with(root) {
            return Err(OUTSIDE.to_string());
        }
        if !real.is_dir() {
            return Err("That is not a folder: choose a folder from the list.".to_string());
        }
        Ok(real)
    }

    /// The folders to offer: each root and the folders in it, `depth` levels
    /// down (no links followed), at most `max`; as (form value, label).
    pub fn choices(&self, depth: usize, max: usize) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, root) in self.roots.iter().enumerate() {
            out.push((format!("{i}/"), format!("{} (all of it)", root.display())));
            let walk =
                walkdir::WalkDir::new(root).min_depth(1).max_depth(depth).follow_links(false).sort_by_file_name();
            for e in walk.into_iter().filter_map(Result::ok) {
                if out.len() >= max {
                    return out;
                }
                if !e.file_type().is_dir() {
                    continue;
                }
                let Ok(rel) = e.path().strip_prefix(root) else { continue };
                let rel = rel.to_string_lossy().replace('\\', "/");
                out.push((format!("{i}/{rel}"), format!("{}", e.path().display())));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_folders_inside_a_root_are_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("Cases/2024")).unwrap();
        std::fs::create_dir_all(dir.path().join("secret")).unwrap();
        std::fs::write(root.join("note.txt"), "x").unwrap();
        let roots = Roots::new(std::slice::from_ref(&root)).unwrap();
        let real = std::fs::canonicalize(&root).unwrap();
        assert_eq!(roots.confine("0/Cases/2024").unwrap(), real.join("Cases/2024"));
        assert_eq!(roots.confine("0/").unwrap(), real);
        assert_eq!(roots.confine("0/./Cases").unwrap(), real.join("Cases"));
        for bad in ["0/../secret", "0/Cases/../../secret", "0//etc", "1/", "x/Cases", "0/note.txt", "0/missing"] {
            assert!(roots.confine(bad).is_err(), "{bad} accepted");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret"), root.join("link")).unwrap();
            assert_eq!(roots.confine("0/link").unwrap_err(), OUTSIDE);
        }
        let values: Vec<String> = roots.choices(2, 100).into_iter().map(|c| c.0).collect();
        assert_eq!(values, ["0/", "0/Cases", "0/Cases/2024"]);
    }
}
