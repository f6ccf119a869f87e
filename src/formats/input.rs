//! The bytes an extractor reads: a file on disk (streamed where the format
//! allows) or a part already in memory (an attachment, an archive member).

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::{ExtractError, Result};

/// Called with the number of bytes each time a file is read on this thread.
pub type ReadCounter = std::sync::Arc<dyn Fn(u64) + Send + Sync>;

thread_local! {
    static COUNT_READS: std::cell::RefCell<Option<ReadCounter>> = const { std::cell::RefCell::new(None) };
}

/// Count the bytes read from files on this thread with `counter` (or stop
/// counting with `None`): what a sweep's progress shows as read.
pub fn count_reads(counter: Option<ReadCounter>) {
    COUNT_READS.with(|c| *c.borrow_mut() = counter);
}

fn counted(n: usize) {
    COUNT_READS.with(|c| {
        if let Some(f) = c.borrow().as_ref() {
            f(n as u64)
        }
    });
}

/// A file reader that reports what it reads to [`count_reads`]' counter.
struct Counting(File);

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        counted(n);
        Ok(n)
    }
}

pub enum Input<'a> {
    File {
        path: &'a Path,
        size: u64,
    },
    Bytes(&'a [u8]),
    /// A part read as it is decompressed (a large zip member of a streamed
    /// format), so that it is never in memory whole: `head`, its first bytes
    /// (for sniffing), then the rest of the stream once. `size` is the size
    /// declared for it (not trusted: used only in messages).
    Stream {
        head: Vec<u8>,
        rest: std::cell::RefCell<Option<Box<dyn Read + 'a>>>,
        size: u64,
    },
    /// A part that can be read more than once as it is decompressed (a large
    /// zip member of a streamed format that `anonymise` copies, whose writer
    /// reads it twice): `open` gives a new stream over all of it each time,
    /// so that it is never in memory whole. `head` is its first bytes (for
    /// sniffing); `size` is the size declared for it (not trusted).
    Reopen {
        head: Vec<u8>,
        open: &'a dyn Fn() -> io::Result<Box<dyn Read + 'a>>,
        size: u64,
    },
}

/// Open a file read-only without updating its access time where the OS allows.
pub fn open_readonly(path: &Path) -> io::Result<File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let noatime = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOATIME).open(path);
        match noatime {
            Ok(f) => return Ok(f),
            // O_NOATIME is only allowed to the file's owner: fall back.
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
            Err(e) => return Err(e),
        }
    }
    File::open(path)
}

impl<'a> Input<'a> {
    pub fn size(&self) -> u64 {
        match self {
            Input::File { size, .. } => *size,
            Input::Bytes(b) => b.len() as u64,
            Input::Stream { size, .. } | Input::Reopen { size, .. } => *size,
        }
    }

    /// The first `n` bytes (fewer if the input is shorter), for sniffing.
    pub fn head(&self, n: usize) -> Result<Vec<u8>> {
        match self {
            Input::Bytes(b) => Ok(b[..n.min(b.len())].to_vec()),
            // A head shorter than what sniffing reads is the whole stream.
            Input::Stream { head, .. } | Input::Reopen { head, .. }
                if n <= head.len() || head.len() < super::sniff::HEAD_LEN =>
            {
                Ok(head[..n.min(head.len())].to_vec())
            }
            Input::Stream { .. } | Input::Reopen { .. } => {
                Err(ExtractError::Internal("a stream's head asked for past what was sniffed".into()))
            }
            Input::File { path, .. } => {
                let mut buf = Vec::with_capacity(n);
                open_readonly(path)?.take(n as u64).read_to_end(&mut buf)?;
                Ok(buf)
            }
        }
    }

    /// A buffered stream over the whole input, for formats read line by line.
    pub fn reader(&self) -> Result<Box<dyn BufRead + 'a>> {
        match self {
            Input::Bytes(b) => Ok(Box::new(*b)),
            Input::Stream { head, rest, .. } => {
                let rest = rest
                    .borrow_mut()
                    .take()
                    .ok_or_else(|| ExtractError::Internal("a streamed part was read twice".into()))?;
                Ok(Box::new(BufReader::with_capacity(256 << 10, io::Cursor::new(head.clone()).chain(rest))))
            }
            Input::Reopen { open, .. } => Ok(Box::new(BufReader::with_capacity(256 << 10, open()?))),
            Input::File { path, .. } => {
                Ok(Box::new(BufReader::with_capacity(256 << 10, Counting(open_readonly(path)?))))
            }
        }
    }

    /// The whole input in memory, for formats that need random access. Refuses
    /// inputs larger than `limit` so that memory stays bounded.
    pub fn bytes(&self, limit: u64) -> Result<Cow<'a, [u8]>> {
        if self.size() > limit {
            return Err(ExtractError::Skipped(format!(
                "too large to open in memory ({} MB, limit {} MB)",
                self.size() >> 20,
                limit >> 20
            )));
        }
        match self {
            Input::Bytes(b) => Ok(Cow::Borrowed(b)),
            Input::Stream { .. } | Input::Reopen { .. } => {
                let mut buf = Vec::new();
                self.reader()?.take(limit + 1).read_to_end(&mut buf)?;
                if buf.len() as u64 > limit {
                    return Err(ExtractError::Skipped(format!(
                        "too large to open in memory (limit {} MB)",
                        limit >> 20
                    )));
                }
                Ok(Cow::Owned(buf))
            }
            Input::File { path, .. } => {
                let mut buf = Vec::new();
                // Read at most limit+1 so that a file that grew while being read is still bounded.
                open_readonly(path)?.take(limit + 1).read_to_end(&mut buf)?;
                counted(buf.len());
                if buf.len() as u64 > limit {
                    return Err(ExtractError::Skipped("file grew past the in-memory limit while being read".into()));
                }
                Ok(Cow::Owned(buf))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::FileTimes;
    use std::time::{Duration, SystemTime};

    /// A file whose access time is an hour before its modification time, so
    /// that an ordinary read updates it (on `relatime` and `strictatime` mounts).
    fn stale_atime_file(dir: &Path, name: &str) -> (std::path::PathBuf, SystemTime) {
        let path = dir.join(name);
        std::fs::write(&path, "Jane Roberts, 07700 900123\n").unwrap();
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        let old = modified - Duration::from_secs(3600);
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_times(FileTimes::new().set_accessed(old).set_modified(modified)).unwrap();
        (path, old)
    }

    fn atime(path: &Path) -> SystemTime {
        std::fs::metadata(path).unwrap().accessed().unwrap()
    }

    /// A stream gives its head for sniffing (all of it when it is shorter
    /// than sniffing reads), then head and rest once.
    #[test]
    fn a_stream_is_its_head_then_the_rest_once() {
        let short = Input::Stream { head: b"ab".to_vec(), rest: std::cell::RefCell::new(None), size: 1 << 30 };
        assert_eq!(short.head(4).unwrap(), b"ab");
        let head = vec![b'x'; super::super::sniff::HEAD_LEN];
        let rest: Box<dyn Read> = Box::new(&b"yz"[..]);
        let long = Input::Stream { head, rest: std::cell::RefCell::new(Some(rest)), size: 0 };
        assert_eq!(long.head(3).unwrap(), b"xxx");
        assert!(long.head(super::super::sniff::HEAD_LEN + 1).is_err());
        let mut all = Vec::new();
        long.reader().unwrap().read_to_end(&mut all).unwrap();
        assert_eq!(all.len(), super::super::sniff::HEAD_LEN + 2);
        assert!(all.ends_with(b"xyz"));
        assert!(long.reader().is_err(), "read twice");
    }

    #[test]
    fn sources_are_read_without_touching_their_access_time() {
        let dir = tempfile::tempdir().unwrap();
        let (control, old) = stale_atime_file(dir.path(), "control.txt");
        let (source, source_old) = stale_atime_file(dir.path(), "source.txt");
        // Would this filesystem update the access time on an ordinary read?
        std::io::read_to_string(File::open(&control).unwrap()).unwrap();
        let updates = atime(&control) != old;
        let mut text = String::new();
        open_readonly(&source).unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "Jane Roberts, 07700 900123\n");
        let input = Input::File { path: &source, size: text.len() as u64 };
        assert_eq!(&*input.bytes(1 << 20).unwrap(), text.as_bytes());
        if !updates {
            eprintln!("this filesystem does not update access times on reading: nothing more to check");
            return;
        }
        #[cfg(target_os = "linux")]
        assert_eq!(atime(&source), source_old, "reading updated the access time");
        // The file is read-only to piisweep: writing through its handle fails.
        assert!(std::io::Write::write_all(&mut open_readonly(&source).unwrap(), b"x").is_err());
    }
}
