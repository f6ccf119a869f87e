//! Zip packages: rewriting members one by one (shared by the docx writer),
//! and zip archives, whose members are anonymised with the same writers;
//! members no writer supports are left out and listed.
//!
//! A large member of a streamed format (text, CSV) of a zip archive is read
//! as it is decompressed and its copy written into the new zip as it is
//! made (see [`MemberStream`]): neither is ever whole in memory, and the
//! new zip may be written straight to its file ([`write_to`]).

use std::cell::{Cell, RefCell};
use std::io::{Cursor, Read, Seek, Write};
use std::rc::Rc;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::formats::docx::package::RATIO_FREE_BYTES;
use crate::formats::rewrite::{Outcome, Rewrite};
use crate::formats::zip::{RATIO_FLOOR, Stop, Taken, Watched, Zip, stream_from, take_member};
use crate::formats::{ExtractError, Input, Kind, Limits};

/// What becomes of one member of a package.
pub enum Member {
    /// Copied unchanged (compressed bytes copied as they are).
    Keep,
    /// Written with new content, under this name.
    Replace(String, Vec<u8>),
    /// Left out of the copy.
    Remove,
    /// Already written into the copy (or left out and noted) by the one
    /// given it as a stream ([`Got::Stream`]).
    Written,
}

/// What `decide` is given for one file member of a zip being copied.
pub enum Got<'m, W: Write + Seek> {
    /// Its uncompressed bytes.
    Bytes(&'m [u8]),
    /// Why the limits refused it (too large, past the compression ratio).
    Refused(ExtractError),
    /// A large member of a streamed kind (text, CSV), to be read as it is
    /// decompressed, from its source, and written into the zip being written
    /// (a file started there) as it is made: `decide` then answers
    /// [`Member::Written`]. Only offered by [`members_into`] when asked.
    Stream(&'m MemberStream<'m>, Kind, &'m mut ZipWriter<W>),
}

/// An embedded file of a package, anonymised with the same writers and
/// kept under its own name; `None` (and noted as not copied) if it cannot be.
pub fn embedded(work: &mut dyn Rewrite, name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    match work.nested(name, bytes) {
        Outcome::Written { name: new_name, data } if new_name == name => Some(data),
        Outcome::Written { .. } => {
            work.not_copied(name, "embedded file in a format the copy cannot keep");
            None
        }
        Outcome::NotCopied(reason) => {
            work.not_copied(name, &reason);
            None
        }
    }
}

/// The member a rewritten part becomes: its new bytes, or, if it could not
/// be rewritten, left out with the first failure kept in `failure` (a part
/// that cannot be rewritten must fail the copy, not be copied as it was).
pub fn rewritten(name: &str, result: Result<Vec<u8>, String>, failure: &mut Option<String>) -> Member {
    match result {
        Ok(new) => Member::Replace(name.to_string(), new),
        Err(e) => {
            failure.get_or_insert(format!("{name}: {e}"));
            Member::Remove
        }
    }
}

/// Rewrite a zip package member by member. Members `keep(name)` says are
/// kept are copied as they are, never decompressed (pictures, fonts);
/// `decide(name, bytes)` is called for every other file member with its
/// uncompressed bytes; directories are kept. A member the limits refuse
/// (too large, past the compression ratio, over the package's budget)
/// fails the whole copy, as it fails the reading.
pub fn rewrite(
    data: &[u8],
    limits: &Limits,
    keep: impl Fn(&str) -> bool,
    decide: impl FnMut(&str, &[u8]) -> Member,
) -> Result<Vec<u8>, String> {
    let mut out = new_writer();
    rewrite_into(&mut out, data, limits, keep, decide)?;
    finish(out)
}

/// A zip being written in memory.
pub type MemZip = ZipWriter<Cursor<Vec<u8>>>;

/// An empty zip to write into.
pub fn new_writer() -> MemZip {
    ZipWriter::new(Cursor::new(Vec::new()))
}

/// The bytes of a finished zip.
pub fn finish(out: MemZip) -> Result<Vec<u8>, String> {
    Ok(out.finish().map_err(|e| e.to_string())?.into_inner())
}

/// Add a member, stored (uncompressed) or deflated.
pub fn add_member(out: &mut MemZip, name: &str, content: &[u8], stored: bool) -> Result<(), String> {
    let method = if stored { CompressionMethod::Stored } else { CompressionMethod::Deflated };
    out.start_file(name, SimpleFileOptions::default().compression_method(method)).map_err(|e| e.to_string())?;
    out.write_all(content).map_err(|e| e.to_string())
}

/// The uncompressed bytes of the member `name`, if the zip has one, read
/// under the limits of an office package (see [`rewrite`]).
pub fn read_member(data: &[u8], name: &str, limits: &Limits) -> Result<Option<Vec<u8>>, String> {
    let mut archive = ZipArchive::new(Cursor::new(data)).map_err(|e| format!("damaged zip: {e}"))?;
    let Some(index) = archive.index_for_name(name) else { return Ok(None) };
    let compressed = archive.by_index_raw(index).map_err(|e| format!("damaged zip: {e}"))?.compressed_size();
    let mut budget = limits.max_archive_total;
    match take_member(&mut archive, index, name, compressed, limits, RATIO_FREE_BYTES, &mut budget, 0).0 {
        Taken::Bytes(bytes) => Ok(Some(bytes)),
        Taken::Refused(e) | Taken::Stop(e) => Err(format!("{name}: {e}")),
    }
}

/// [`rewrite`] into a zip already started (members added before and after
/// stay where they are put).
pub fn rewrite_into(
    out: &mut MemZip,
    data: &[u8],
    limits: &Limits,
    keep: impl Fn(&str) -> bool,
    mut decide: impl FnMut(&str, &[u8]) -> Member,
) -> Result<(), String> {
    // A package has a budget of its own, as when it is read.
    let used = ArchiveUse::default();
    members_into(out, data, limits, RATIO_FREE_BYTES, &used, false, keep, |name, got| match got {
        Got::Bytes(bytes) => Ok(decide(name, bytes)),
        Got::Refused(e) => Err(format!("{name}: {e}")),
        Got::Stream(..) => Err(format!("{name}: internal error: a package member offered as a stream")),
    })
}

/// Bytes taken out of archives for one source file, at every level of its
/// copy together (the budget `scan` shares the same way).
pub type ArchiveUse = std::rc::Rc<std::cell::Cell<u64>>;

/// Copy a zip's members into `out`, each file member read with the one
/// member reader ([`take_member`]) under the limits, its uncompressed bytes
/// (or why the limits refused it) given to `decide`. With `stream`, a
/// member of a streamed kind (text, CSV) at least [`stream_from`] large is
/// instead given to `decide` as a stream ([`Got::Stream`]), under the same
/// ratio and budget limits. `used` counts the bytes taken out against the
/// shared budget (members of nested zips, read inside `decide`, count too).
/// Directories, and members `keep(name)` keeps, are copied as they are
/// without being decompressed; an encrypted member, a damaged archive or
/// the budget running out fail the copy.
#[allow(clippy::too_many_arguments)]
pub fn members_into<W: Write + Seek>(
    out: &mut ZipWriter<W>,
    data: &[u8],
    limits: &Limits,
    ratio_floor: u64,
    used: &ArchiveUse,
    stream: bool,
    keep: impl Fn(&str) -> bool,
    mut decide: impl FnMut(&str, Got<'_, W>) -> Result<Member, String>,
) -> Result<(), String> {
    let mut archive = ZipArchive::new(Cursor::new(data)).map_err(|e| format!("damaged zip: {e}"))?;
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut budget = limits.max_archive_total;
    for i in 0..archive.len() {
        let (name, is_dir, encrypted, compressed) = {
            let f = archive.by_index_raw(i).map_err(|e| format!("damaged zip: {e}"))?;
            let name = f.name().map_err(|e| format!("damaged zip: {e}"))?.into_owned();
            (name, f.is_dir(), f.encrypted(), f.compressed_size())
        };
        if encrypted {
            return Err(ENCRYPTED.into());
        }
        if is_dir || keep(&name) {
            let raw = archive.by_index_raw(i).map_err(|e| e.to_string())?;
            out.raw_copy_file(raw).map_err(|e| e.to_string())?;
            continue;
        }
        if stream {
            budget = budget.min(limits.max_archive_total.saturating_sub(used.get()));
            if let Some(source) = MemberStream::new(&mut archive, data, i, limits, budget)
                && let kind = crate::formats::sniff::sniff(&name, &source.head)
                && matches!(kind, Kind::Text | Kind::Csv(_))
            {
                let member = decide(&name, Got::Stream(&source, kind, out))?;
                let (took, _) = source.outcome();
                used.set(used.get().saturating_add(took));
                budget = budget.saturating_sub(took);
                write_member(out, &mut archive, i, member, options)?;
                continue;
            }
        }
        let (taken, took) =
            take_member(&mut archive, i, &name, compressed, limits, ratio_floor, &mut budget, used.get());
        used.set(used.get().saturating_add(took));
        let member = match taken {
            Taken::Bytes(bytes) => decide(&name, Got::Bytes(&bytes))?,
            Taken::Refused(ExtractError::Encrypted) => return Err(ENCRYPTED.into()),
            Taken::Refused(e) => decide(&name, Got::Refused(e))?,
            Taken::Stop(e) => return Err(e.to_string()),
        };
        write_member(out, &mut archive, i, member, options)?;
    }
    Ok(())
}

/// Put member `i` into `out` as `member` says.
fn write_member<W: Write + Seek>(
    out: &mut ZipWriter<W>,
    archive: &mut Zip<'_>,
    i: usize,
    member: Member,
    options: SimpleFileOptions,
) -> Result<(), String> {
    match member {
        Member::Keep => {
            let raw = archive.by_index_raw(i).map_err(|e| e.to_string())?;
            out.raw_copy_file(raw).map_err(|e| e.to_string())
        }
        Member::Replace(new_name, content) => {
            out.start_file(new_name, options).map_err(|e| e.to_string())?;
            out.write_all(&content).map_err(|e| e.to_string())
        }
        Member::Remove | Member::Written => Ok(()),
    }
}

const ENCRYPTED: &str = "encrypted (password-protected) zip member: remove the password to anonymise it";

/// A file member of a zip held in memory, read as it is decompressed
/// (stored or deflated), as many times as asked: a writer that reads its
/// input twice (a CSV's) never holds it whole. Each stream is watched as a
/// member is read ([`take_member`]'s limits): it ends early past the
/// compression ratio or past the budget `cap`, and a stream read to its end
/// is checked against the member's checksum and size.
pub struct MemberStream<'a> {
    /// The member's compressed bytes.
    raw: &'a [u8],
    deflated: bool,
    crc: u32,
    size: u64,
    cap: u64,
    max_ratio: u64,
    /// Its first bytes, for sniffing.
    pub head: Vec<u8>,
    /// What each stream opened read, and why it stopped early.
    opened: RefCell<Vec<Read1>>,
}

impl<'a> MemberStream<'a> {
    /// Member `index` of `archive` (read from `data`), at least
    /// [`stream_from`] large: `None` if it is smaller, encrypted, damaged or
    /// compressed otherwise than stored or deflated (it is then read whole).
    pub fn new(
        archive: &mut Zip<'_>,
        data: &'a [u8],
        index: usize,
        limits: &Limits,
        cap: u64,
    ) -> Option<MemberStream<'a>> {
        let f = archive.by_index_raw(index).ok()?;
        let deflated = match f.compression() {
            CompressionMethod::Stored => false,
            CompressionMethod::Deflated => true,
            _ => return None,
        };
        if f.encrypted() || f.size() < stream_from(limits) {
            return None;
        }
        let start = usize::try_from(f.data_start()?).ok()?;
        let end = start.checked_add(usize::try_from(f.compressed_size()).ok()?)?;
        let raw = data.get(start..end)?;
        let mut source = MemberStream {
            raw,
            deflated,
            crc: f.crc32(),
            size: f.size(),
            cap,
            max_ratio: limits.max_ratio,
            head: Vec::new(),
            opened: RefCell::new(Vec::new()),
        };
        let mut head = Vec::new();
        source.open().take(crate::formats::sniff::HEAD_LEN as u64).read_to_end(&mut head).ok()?;
        source.head = head;
        Some(source)
    }

    /// A new stream over the member's uncompressed bytes.
    pub fn open(&self) -> Box<dyn Read + 'a> {
        let inner: Box<dyn Read + 'a> =
            if self.deflated { Box::new(flate2::read::DeflateDecoder::new(self.raw)) } else { Box::new(self.raw) };
        let checked = Checked { inner, crc: flate2::Crc::new(), expect: (self.crc, self.size) };
        let state = Rc::new(Cell::new((0, None)));
        self.opened.borrow_mut().push(state.clone());
        Box::new(Watched {
            inner: checked,
            compressed: self.raw.len() as u64,
            cap: self.cap,
            max_ratio: self.max_ratio,
            state,
        })
    }

    /// Run `f` with the member as an input that can be read more than once.
    pub fn with_input<R>(&self, f: impl FnOnce(&Input<'_>) -> R) -> R {
        let open = || -> std::io::Result<Box<dyn Read + '_>> { Ok(self.open()) };
        let input = Input::Reopen { head: self.head.clone(), open: &open, size: self.size };
        f(&input)
    }

    /// The most bytes one stream took out, and why one stopped early.
    pub fn outcome(&self) -> (u64, Option<Stop>) {
        let opened = self.opened.borrow();
        let took = opened.iter().map(|s| s.get().0).max().unwrap_or(0);
        (took, opened.iter().find_map(|s| s.get().1))
    }

    /// Why a stream stopped early, as the reading of a member says it
    /// ([`take_member`]): past the compression ratio (the member is not
    /// copied), or the archive's budget ran out at `name` (the copy fails).
    pub fn stopped(&self, name: &str, limits: &Limits) -> Option<(Stop, ExtractError)> {
        let stop = self.outcome().1?;
        Some(match stop {
            Stop::Ratio => (
                stop,
                ExtractError::Limit(format!("compression ratio over {}:1 (zip bomb?), not read", limits.max_ratio)),
            ),
            Stop::Cap => (
                stop,
                ExtractError::Limit(format!(
                    "more than {} MB uncompressed in the archive: stopped at {name}",
                    limits.max_archive_total >> 20
                )),
            ),
        })
    }
}

/// What one stream of a member read, and why it stopped early.
type Read1 = Rc<Cell<(u64, Option<Stop>)>>;

/// A member's decompressed bytes, checked at their end against the
/// checksum and size the archive gives (a damaged member is an error, not
/// a short copy).
struct Checked<R> {
    inner: R,
    crc: flate2::Crc,
    expect: (u32, u64),
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() && (self.crc.sum(), self.crc.amount() as u64) != self.expect {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "damaged zip member: its checksum or size does not match",
            ));
        }
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

/// A zip archive's copy: each member anonymised by its own writer. A
/// member the limits refuse (a zip bomb's, one too large) is left out and
/// noted, as `scan` reports it and reads on.
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Cursor::new(Vec::new());
    write_to(work, data, &mut out)?;
    Ok(out.into_inner())
}

/// [`write`] into `out` (a file): a large text or CSV member is read as it
/// is decompressed and its copy written as it is made, a block of lines or
/// a row at a time, so that neither is ever whole in memory.
pub fn write_to<W: Write + Seek>(work: &mut dyn Rewrite, data: &[u8], out: W) -> Result<(), String> {
    let limits = work.limits().clone();
    let used = work.archive_used();
    let mut zip = ZipWriter::new(out);
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    members_into(
        &mut zip,
        data,
        &limits,
        RATIO_FLOOR,
        &used,
        true,
        |_| false,
        |name, got| {
            let bytes = match got {
                Got::Bytes(bytes) => bytes,
                Got::Refused(e) => {
                    work.not_copied(name, &e.to_string());
                    return Ok(Member::Remove);
                }
                Got::Stream(source, kind, zip) => {
                    let new_name = renamed(work, &crate::formats::output_name(name, kind));
                    zip.start_file(new_name, options).map_err(|e| e.to_string())?;
                    let written = source.with_input(|input| work.nested_stream(name, kind, input, zip));
                    let failed = match (source.stopped(name, &limits), written) {
                        (Some((Stop::Cap, e)), _) => {
                            zip.abort_file().map_err(|e| e.to_string())?;
                            return Err(e.to_string());
                        }
                        (Some((Stop::Ratio, e)), _) => Some(e.to_string()),
                        (None, Err(reason)) => Some(reason),
                        (None, Ok(())) => None,
                    };
                    if let Some(reason) = failed {
                        zip.abort_file().map_err(|e| e.to_string())?;
                        work.not_copied(name, &reason);
                    }
                    return Ok(Member::Written);
                }
            };
            Ok(match work.nested(name, bytes) {
                Outcome::Written { name: new_name, data } => Member::Replace(renamed(work, &new_name), data),
                Outcome::NotCopied(reason) => {
                    work.not_copied(name, &reason);
                    Member::Remove
                }
            })
        },
    )?;
    zip.finish().map_err(|e| e.to_string())?;
    Ok(())
}

/// A member's path in the copy: its file name with the people's names in
/// it replaced, in the same folder.
fn renamed(work: &mut dyn Rewrite, path: &str) -> String {
    let base = path.rsplit('/').next().unwrap_or(path).to_string();
    let dir = &path[..path.len() - base.len()];
    format!("{dir}{}", work.rename(&base))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip of one stored member `name` holding `data`.
    fn stored(name: &str, data: &[u8]) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file(name, SimpleFileOptions::default().compression_method(CompressionMethod::Stored)).unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap().into_inner()
    }

    fn read_all(source: &MemberStream<'_>) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        source.open().read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn a_member_stream_opens_again_and_a_damaged_member_is_an_error() {
        let text: Vec<u8> = (0..20_000).flat_map(|i| format!("line {i} of the notes\n").into_bytes()).collect();
        let data = stored("notes.txt", &text);
        let limits = Limits { max_in_memory: 1000, ..Limits::default() };
        let mut archive = ZipArchive::new(Cursor::new(&data[..])).unwrap();
        let source = MemberStream::new(&mut archive, &data, 0, &limits, limits.max_archive_total).unwrap();
        assert!(text.starts_with(&source.head) && !source.head.is_empty());
        assert_eq!(read_all(&source).unwrap(), text);
        assert_eq!(read_all(&source).unwrap(), text, "read a second time");
        assert_eq!(source.outcome(), (text.len() as u64, None));
        // Smaller than the in-memory limit: read whole instead.
        let whole = Limits { max_in_memory: 1 << 20, ..Limits::default() };
        assert!(MemberStream::new(&mut archive, &data, 0, &whole, whole.max_archive_total).is_none());
        // One byte changed inside the stored member: its checksum fails.
        let mut damaged = data.clone();
        let at = damaged.windows(10).position(|w| w == b"line 15000").unwrap();
        damaged[at] = b'L';
        let mut archive = ZipArchive::new(Cursor::new(&damaged[..])).unwrap();
        let source = MemberStream::new(&mut archive, &damaged, 0, &limits, limits.max_archive_total).unwrap();
        let err = read_all(&source).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{err}");
        // Past the budget: the stream ends there and says why.
        let mut archive = ZipArchive::new(Cursor::new(&data[..])).unwrap();
        let source = MemberStream::new(&mut archive, &data, 0, &limits, 100_000).unwrap();
        assert!(read_all(&source).unwrap().len() <= 100_000);
        assert!(matches!(source.stopped("notes.txt", &limits), Some((Stop::Cap, _))));
    }
}
