//! One sweep at a time per data map.
//!
//! A sweep holds an exclusive OS lock (`flock`) on a lock file beside the map
//! (`piisweep.db.lock` for `piisweep.db`) for as long as it writes the map.
//! The lock file holds the host name and process id of the sweep holding it,
//! so that a second sweep can say whom it is waiting for. The OS releases
//! the lock when the process ends, however it ends (a kill included), so a
//! stopped sweep never leaves a stale lock behind: the file itself may stay,
//! and is taken over by the next sweep.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The held lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct MapLock {
    _file: File,
    pub path: PathBuf,
}

/// The lock file of the map at `map`.
pub fn lock_path(map: &Path) -> PathBuf {
    let mut p = map.as_os_str().to_os_string();
    p.push(".lock");
    PathBuf::from(p)
}

/// What to do when another sweep holds the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Wait for it, saying so on standard error (`announce`).
    Yes,
    /// Give up at once with a [`crate::error::BadRequest`].
    No,
}

/// This host's name, for the lock file and the map's runs and files
/// (`PIISWEEP_TEST_HOST` stands in for it in tests: several nodes on one machine).
pub fn host_name() -> String {
    if let Some(h) = crate::test_hooks::var("PIISWEEP_TEST_HOST") {
        return h.to_string_lossy().into_owned();
    }
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is writable for its whole length, and gethostname
        // writes at most that many bytes.
        if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            return String::from_utf8_lossy(&buf[..end]).into_owned();
        }
    }
    std::env::var("HOSTNAME").or_else(|_| std::env::var("COMPUTERNAME")).unwrap_or_else(|_| "this computer".into())
}

/// Who holds the lock, as its file says (`host H, process P`).
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind();
    if file.read_to_string(&mut text).is_err() {
        // Windows locks the whole file against other processes' reads too.
        return "whose lock file cannot be read while it runs".to_string();
    }
    let mut words = text.split_whitespace();
    match (words.next(), words.next()) {
        (Some(host), Some(pid)) => format!("on {host}, process id {pid}"),
        _ => "that has just started".to_string(),
    }
}

#[cfg(unix)]
fn flock(file: &File, block: bool) -> std::io::Result<bool> {
    use std::os::unix::io::AsRawFd;
    let op = libc::LOCK_EX | if block { 0 } else { libc::LOCK_NB };
    loop {
        // SAFETY: the descriptor is open for the life of `file`.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) if !block => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(e),
        }
    }
}

/// Elsewhere (Windows): std's file lock, `LockFileEx` over the whole file,
/// which Windows also releases when the process ends.
#[cfg(not(unix))]
fn flock(file: &File, block: bool) -> std::io::Result<bool> {
    if block {
        file.lock()?;
        return Ok(true);
    }
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Take the lock of the map at `map`. If another sweep holds it: with
/// [`Wait::Yes`], call `announce` with a sentence naming it and wait until it
/// ends; with [`Wait::No`], fail with a usage error naming it.
pub fn lock(map: &Path, wait: Wait, announce: &mut dyn FnMut(&str)) -> anyhow::Result<MapLock> {
    let path = lock_path(map);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).with_context(|| format!("cannot open the lock file {}", path.display()))?;
    #[cfg(windows)]
    let _ = crate::private::owner_only(&path, false);
    let taken = flock(&file, false).with_context(|| format!("cannot lock {}", path.display()))?;
    if !taken {
        let who = holder(&mut file);
        match wait {
            Wait::No => anyhow::bail!(crate::error::BadRequest(format!(
                "the data map {} is being written by another sweep ({who}): run again when it has finished, or leave out --no-wait to wait for it",
                map.display()
            ))),
            Wait::Yes => {
                announce(&format!(
                    "the data map {} is being written by another sweep ({who}): waiting for it to finish (Ctrl-C to stop; --no-wait to give up at once instead)",
                    map.display()
                ));
                flock(&file, true).with_context(|| format!("cannot lock {}", path.display()))?;
            }
        }
    }
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{} {}", host_name(), std::process::id())?;
    file.flush()?;
    Ok(MapLock { _file: file, path })
}

/// Who holds the lock of the map at `map` (`on HOST, process id PID`), if a
/// sweep is writing it now; `None` if none is (or there is no lock file).
/// Takes nothing: for readers, which never wait for the lock.
pub fn held_by(map: &Path) -> Option<String> {
    let path = lock_path(map);
    let mut file = std::fs::File::open(&path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // SAFETY: the descriptor is open for the life of `file`.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) } == 0 {
            // SAFETY: as above; releases the shared lock just taken.
            unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
            return None;
        }
        Some(holder(&mut file))
    }
    #[cfg(not(unix))]
    {
        match file.try_lock_shared() {
            Ok(()) => {
                let _ = file.unlock();
                None
            }
            Err(_) => Some(holder(&mut file)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_first_and_waits_or_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let map = dir.path().join("new/m.db");
        let first = lock(&map, Wait::No, &mut |_| panic!("nobody holds it")).unwrap();
        let text = std::fs::read_to_string(lock_path(&map)).unwrap();
        assert!(text.ends_with(&format!(" {}\n", std::process::id())), "{text}");

        // flock locks belong to the open file: a second open in this process conflicts.
        let err = lock(&map, Wait::No, &mut |_| panic!("no waiting")).unwrap_err();
        let msg = err.to_string();
        assert!(err.downcast_ref::<crate::error::BadRequest>().is_some());
        assert!(msg.contains(&format!("process id {}", std::process::id())) && msg.contains("--no-wait"), "{msg}");

        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let map = map.clone();
            std::thread::spawn(move || {
                lock(&map, Wait::Yes, &mut |m| tx.send(m.to_string()).unwrap()).map(|_| ()).map_err(|e| e.to_string())
            })
        };
        let said = rx.recv().unwrap();
        assert!(said.contains("waiting") && said.contains(&format!("process id {}", std::process::id())), "{said}");
        assert_eq!(held_by(&map).unwrap(), format!("on {}, process id {}", host_name(), std::process::id()));
        drop(first);
        waiter.join().unwrap().unwrap();
        assert_eq!(held_by(&map), None, "released");
        assert_eq!(held_by(&dir.path().join("other.db")), None, "no lock file");
    }
}
