//! Zip archives, scanned recursively with limits against zip bombs.
//!
//! Each file member is decompressed into memory under hard caps and handed on
//! as a part named by its sanitised path (`HR/list.xlsx`); the caller sniffs and
//! extracts it, nested archives included. A zip that is really an office
//! document (a renamed .docx/.xlsx) is read as that document instead.
//!
//! Where the reader keeps no part's bytes (a scan), a large member of a
//! streamed format (text, CSV) is read as it is decompressed instead, under
//! the same ratio and archive limits: it is never whole in memory.

pub mod anonymise;

use std::io::{BufReader, Cursor, Read, Seek};

use zip::ZipArchive;
use zip::result::ZipError;

use super::{Emit, ExtractError, Input, Kind, Limits, Result};

/// Output a member must reach before its compression ratio is judged (small
/// files of repeated bytes compress very well quite innocently).
pub const RATIO_FLOOR: u64 = 1 << 20;
/// Bytes decompressed per read while watching the limits.
const CHUNK: usize = 64 << 10;

/// Members declared at least this large (uncompressed) are streamed where
/// they can be: smaller ones are cheaper read whole.
const STREAM_FROM: u64 = 8 << 20;

/// The declared size from which a member is streamed where it can be:
/// [`STREAM_FROM`], or the in-memory limit when that is lower (a member
/// past it cannot be read whole).
pub(crate) fn stream_from(limits: &Limits) -> u64 {
    STREAM_FROM.min(limits.max_in_memory)
}

/// A zip read from memory.
pub type Zip<'b> = ZipArchive<Cursor<&'b [u8]>>;

pub fn extract_zip(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    if emit.depth() >= limits.max_depth {
        return Err(ExtractError::Limit(format!("archives nested more than {} deep", limits.max_depth)));
    }
    // A large archive on disk is read from the file, member by member: only
    // the members read whole are ever in memory, whatever its size.
    if let Input::File { path, size } = input
        && *size >= stream_from(limits)
    {
        let file = super::input::open_readonly(path).map_err(ExtractError::Io)?;
        let zip = ZipArchive::new(BufReader::new(file)).map_err(|e| ExtractError::corrupt("zip", e))?;
        return read_archive(zip, input, emit, limits);
    }
    let bytes = input.bytes(limits.max_in_memory)?;
    let zip = ZipArchive::new(Cursor::new(bytes.as_ref())).map_err(|e| ExtractError::corrupt("zip", e))?;
    read_archive(zip, input, emit, limits)
}

/// Read an opened archive: as the office document it is, or member by member.
fn read_archive<R: Read + Seek>(
    mut zip: ZipArchive<R>,
    input: &Input<'_>,
    emit: &mut dyn Emit,
    limits: &Limits,
) -> Result<()> {
    if let Some(kind) = office_kind(&mut zip) {
        return match kind {
            Kind::Docx => super::docx::extract(input, emit, limits),
            Kind::Odt => super::odt::extract(input, emit, limits),
            Kind::Pptx => super::pptx::extract(input, emit, limits),
            Kind::Odp => super::odp::extract(input, emit, limits),
            _ => super::sheet::extract(input, kind, emit, limits),
        };
    }
    let mut reading =
        Reading { emit, limits, budget: limits.max_archive_total, files: 0, read: 0, encrypted: Vec::new() };
    for index in 0..zip.len() {
        reading.member(&mut zip, index)?;
    }
    reading.finish()
}

/// The office format of a zip that is really a document, by its members.
fn office_kind<R: Read + Seek>(zip: &mut ZipArchive<R>) -> Option<Kind> {
    if zip.index_for_name("word/document.xml").is_some() {
        return Some(Kind::Docx);
    }
    if zip.index_for_name("ppt/presentation.xml").is_some() {
        return Some(Kind::Pptx);
    }
    if zip.index_for_name("xl/workbook.xml").is_some() || zip.index_for_name("xl/workbook.bin").is_some() {
        return Some(Kind::Xlsx);
    }
    let index = zip.index_for_name("mimetype")?;
    let mut mimetype = Vec::new();
    zip.by_index(index).ok()?.take(100).read_to_end(&mut mimetype).ok()?;
    if mimetype.starts_with(b"application/vnd.oasis.opendocument.text") {
        Some(Kind::Odt)
    } else if mimetype.starts_with(b"application/vnd.oasis.opendocument.spreadsheet") {
        Some(Kind::Ods)
    } else if mimetype.starts_with(b"application/vnd.oasis.opendocument.presentation") {
        Some(Kind::Odp)
    } else {
        None
    }
}

/// The state of reading one archive's members.
struct Reading<'e, 'l> {
    emit: &'e mut dyn Emit,
    limits: &'l Limits,
    /// Uncompressed bytes still allowed out of this archive.
    budget: u64,
    /// File members seen (directories aside).
    files: usize,
    /// File members handed on as parts.
    read: usize,
    /// Names of encrypted members, reported at the end.
    encrypted: Vec<String>,
}

impl Reading<'_, '_> {
    /// Read member `index` and hand it on; `Err` stops the whole archive.
    fn member<R: Read + Seek>(&mut self, zip: &mut ZipArchive<R>, index: usize) -> Result<()> {
        let (name, is_dir, compressed) = match zip.by_index_raw(index) {
            Ok(f) => (safe_path(&f.name().unwrap_or_default(), index), f.is_dir(), f.compressed_size()),
            Err(e) => {
                self.emit.part_error(&format!("member-{}", index + 1), ExtractError::corrupt("zip member", e));
                return Ok(());
            }
        };
        if is_dir {
            return Ok(());
        }
        self.files += 1;
        if self.emit.streams_parts()
            && let Some(done) = self.stream_member(zip, index, &name, compressed)
        {
            return done;
        }
        let shared = self.emit.archive_used();
        let (taken, used) =
            take_member(zip, index, &name, compressed, self.limits, RATIO_FLOOR, &mut self.budget, shared);
        self.emit.archive_take(used);
        match taken {
            Taken::Bytes(data) => {
                self.read += 1;
                self.emit.part(&name, &data);
                Ok(())
            }
            Taken::Refused(ExtractError::Encrypted) => {
                self.encrypted.push(name);
                Ok(())
            }
            Taken::Refused(e) => {
                self.emit.part_error(&name, e);
                Ok(())
            }
            Taken::Stop(e) => Err(e),
        }
    }

    /// Read member `index` as it is decompressed, if it is large and of a
    /// streamed kind (text, CSV): `None` if it is not, to be read whole.
    /// Same limits as [`take_member`]: the compression ratio and the
    /// archive's budget; no in-memory limit, as nothing is kept.
    fn stream_member<R: Read + Seek>(
        &mut self,
        zip: &mut ZipArchive<R>,
        index: usize,
        name: &str,
        compressed: u64,
    ) -> Option<Result<()>> {
        let file = zip.by_index(index).ok()?;
        if file.encrypted() || file.size() < stream_from(self.limits) {
            return None;
        }
        let size = file.size();
        let limits = self.limits;
        self.budget = self.budget.min(limits.max_archive_total.saturating_sub(self.emit.archive_used()));
        let state = std::rc::Rc::new(std::cell::Cell::new((0u64, None)));
        let mut watched =
            Watched { inner: file, compressed, cap: self.budget, max_ratio: limits.max_ratio, state: state.clone() };
        let mut head = Vec::new();
        (&mut watched).take(super::sniff::HEAD_LEN as u64).read_to_end(&mut head).ok()?;
        let kind = super::sniff::sniff(name, &head);
        if !matches!(kind, Kind::Text | Kind::Csv(_)) || state.get().1.is_some() {
            return None;
        }
        let input = Input::Stream { head, rest: std::cell::RefCell::new(Some(Box::new(watched))), size };
        self.emit.part_stream(name, kind, &input);
        drop(input);
        let (used, stop) = state.get();
        self.budget = self.budget.saturating_sub(used);
        self.emit.archive_take(used);
        self.read += 1;
        Some(match stop {
            None => Ok(()),
            Some(Stop::Ratio) => {
                let why = format!("compression ratio over {}:1 (zip bomb?): the rest was not read", limits.max_ratio);
                self.emit.part_error(name, ExtractError::Limit(why));
                Ok(())
            }
            Some(Stop::Cap) => Err(ExtractError::Limit(format!(
                "more than {} MB uncompressed in the archive: stopped at {name}",
                limits.max_archive_total >> 20
            ))),
        })
    }

    /// Report encrypted members: the whole archive if nothing else was there.
    fn finish(self) -> Result<()> {
        if !self.encrypted.is_empty() && self.encrypted.len() == self.files {
            return Err(ExtractError::Encrypted);
        }
        for name in self.encrypted {
            self.emit.part_error(&name, ExtractError::Encrypted);
        }
        Ok(())
    }
}

/// What became of one file member read under the limits.
pub enum Taken {
    /// Its uncompressed bytes.
    Bytes(Vec<u8>),
    /// This member is not read (encrypted, too large, past the compression
    /// ratio, damaged, an unsupported method); the others may be.
    Refused(ExtractError),
    /// The archive's budget of uncompressed bytes ran out at this member:
    /// stop reading the archive.
    Stop(ExtractError),
}

/// Read file member `index` (called `name`, `compressed` bytes in the zip)
/// under the limits: the in-memory limit, the compression ratio (judged
/// once past `ratio_floor` bytes: [`RATIO_FLOOR`] for archive members, more
/// for office packages, whose XML compresses very well), and the
/// budget of uncompressed bytes, which is `budget` (what is left of this
/// archive's) and never more than what `shared_used` (bytes already taken
/// out of archives by the file on disk, at every level) leaves. This is the
/// one way members are read, for scans and for copies alike. Returns what
/// became of it and the bytes decompressed (to count against the file's
/// shared budget, read or not).
#[allow(clippy::too_many_arguments)]
pub fn take_member<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    index: usize,
    name: &str,
    compressed: u64,
    limits: &Limits,
    ratio_floor: u64,
    budget: &mut u64,
    shared_used: u64,
) -> (Taken, u64) {
    let file = match zip.by_index(index) {
        Ok(f) => f,
        Err(ZipError::UnsupportedArchive(m)) if m == ZipError::PASSWORD_REQUIRED => {
            return (Taken::Refused(ExtractError::Encrypted), 0);
        }
        Err(ZipError::CompressionMethodNotSupported(m)) => {
            return (Taken::Refused(ExtractError::Skipped(format!("compression method {m} not supported"))), 0);
        }
        Err(e) => return (Taken::Refused(ExtractError::corrupt("zip member", e)), 0),
    };
    if file.encrypted() {
        return (Taken::Refused(ExtractError::Encrypted), 0);
    }
    *budget = (*budget).min(limits.max_archive_total.saturating_sub(shared_used));
    let cap = limits.max_in_memory.min(*budget);
    // Stopped at the cap: the archive's budget if that is the smaller.
    let budget_bound = cap == *budget;
    let (data, stop) = match decompress(file, compressed, cap, ratio_floor, limits.max_ratio) {
        Ok(read) => read,
        Err(e) => return (Taken::Refused(ExtractError::corrupt("zip member", e)), 0),
    };
    let used = data.len() as u64;
    *budget = budget.saturating_sub(used);
    let taken = match stop {
        None => Taken::Bytes(data),
        Some(Stop::Ratio) => {
            let why = format!("compression ratio over {}:1 (zip bomb?), not read", limits.max_ratio);
            Taken::Refused(ExtractError::Limit(why))
        }
        Some(Stop::Cap) if !budget_bound => {
            let mb = limits.max_in_memory >> 20;
            Taken::Refused(ExtractError::Skipped(format!(
                "larger than the in-memory limit ({mb} MB) uncompressed, not read"
            )))
        }
        Some(Stop::Cap) => Taken::Stop(ExtractError::Limit(format!(
            "more than {} MB uncompressed in the archive: stopped at {name}",
            limits.max_archive_total >> 20
        ))),
    };
    (taken, used)
}

/// A member's decompressed stream, watched as it is read: it ends early
/// (as if at its end) once past the compression ratio (after
/// [`RATIO_FLOOR`] bytes) or past `cap` bytes, and says so in `state`
/// (bytes read, why it stopped).
pub(crate) struct Watched<R> {
    pub(crate) inner: R,
    pub(crate) compressed: u64,
    pub(crate) cap: u64,
    pub(crate) max_ratio: u64,
    pub(crate) state: std::rc::Rc<std::cell::Cell<(u64, Option<Stop>)>>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let (read, stop) = self.state.get();
        if stop.is_some() || buf.is_empty() {
            return Ok(0);
        }
        // One byte past the cap is read, to know it was passed.
        let room = self.cap.saturating_add(1).saturating_sub(read).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..room])?;
        let read = read + n as u64;
        let stop = if read > RATIO_FLOOR && read / self.compressed.max(1) > self.max_ratio {
            Some(Stop::Ratio)
        } else if read > self.cap {
            Some(Stop::Cap)
        } else {
            None
        };
        self.state.set((read, stop));
        Ok(if stop.is_some() { 0 } else { n })
    }
}

/// Why a member's bytes were not all read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Past the compression ratio limit.
    Ratio,
    /// More than the cap asked for.
    Cap,
}

/// Decompress one member, never reading more than `cap` bytes (declared
/// sizes are not trusted: one byte more is read to know), and giving up once
/// the output is past `ratio_floor` bytes and over `max_ratio` times the
/// `compressed` size. What was read comes back, with why it stopped early.
pub fn decompress(
    file: impl Read,
    compressed: u64,
    cap: u64,
    ratio_floor: u64,
    max_ratio: u64,
) -> std::io::Result<(Vec<u8>, Option<Stop>)> {
    let mut reader = file.take(cap.saturating_add(1));
    let mut data = Vec::new();
    loop {
        // Straight into `data`, a chunk at a time: a zeroed chunk buffer
        // per member cost more than the small members' reading.
        let n = (&mut reader).take(CHUNK as u64).read_to_end(&mut data)?;
        if n == 0 {
            return Ok((data, None));
        }
        let len = data.len() as u64;
        if len > ratio_floor && len / compressed.max(1) > max_ratio {
            return Ok((data, Some(Stop::Ratio)));
        }
        if len > cap {
            return Ok((data, Some(Stop::Cap)));
        }
    }
}

/// A member path made safe: `/`-separated, no leading `/`, no `.`/`..` or empty
/// components, no drive letter, control characters and `!` (which separates
/// parts in paths) replaced. Falls back to `member-N`.
pub fn safe_path(name: &str, index: usize) -> String {
    let parts: Vec<String> = name
        .split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != "." && *c != ".." && !(c.len() == 2 && c.ends_with(':')))
        .map(|c| c.chars().map(|ch| if ch.is_control() || ch == '!' { '_' } else { ch }).collect())
        .collect();
    if parts.is_empty() { format!("member-{}", index + 1) } else { parts.join("/") }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    use super::*;
    use crate::formats::{Collect, Segment};

    /// Build a zip in memory from `(name, bytes)`; names ending in `/` are folders.
    fn make_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, data) in members {
            if name.ends_with('/') {
                w.add_directory(*name, opts).unwrap();
            } else {
                w.start_file(*name, opts).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    fn run(bytes: &[u8], limits: &Limits) -> (Collect, Result<()>) {
        let mut c = Collect::default();
        let r = extract_zip(&Input::Bytes(bytes), &mut c, limits);
        (c, r)
    }

    fn names(c: &Collect) -> Vec<&str> {
        c.parts.iter().map(|p| p.0.as_str()).collect()
    }

    #[test]
    fn members_become_parts_folders_skipped() {
        let inner = make_zip(&[("notes.txt", b"Jane Roberts 01/02/1980")]);
        let outer = make_zip(&[
            ("HR/", b""),
            ("HR/list.csv", b"Name,DOB\nJane,1/2/1980\n"),
            ("../../etc/evil!x.txt", b"up"),
            ("Archive/old.zip", &inner),
        ]);
        let (c, r) = run(&outer, &Limits::default());
        r.unwrap();
        assert_eq!(names(&c), ["HR/list.csv", "etc/evil_x.txt", "Archive/old.zip"]);
        assert_eq!(c.parts[0].1, b"Name,DOB\nJane,1/2/1980\n");
        assert_eq!(c.parts[2].1, inner);
        assert!(c.warnings.is_empty());
        // The caller recurses into the nested zip.
        let (c2, r2) = run(&c.parts[2].1, &Limits::default());
        r2.unwrap();
        assert_eq!(names(&c2), ["notes.txt"]);
        assert_eq!(c2.parts[0].1, b"Jane Roberts 01/02/1980");
    }

    /// A Collect that says it sits `depth` containers deep.
    struct Deep(Collect, u32);
    impl Emit for Deep {
        fn segment(&mut self, seg: Segment<'_>) {
            self.0.segment(seg)
        }
        fn part(&mut self, name: &str, data: &[u8]) {
            self.0.part(name, data)
        }
        fn warn(&mut self, message: String) {
            self.0.warn(message)
        }
        fn depth(&self) -> u32 {
            self.1
        }
    }

    #[test]
    fn nesting_depth_is_limited() {
        let z = make_zip(&[("a.txt", b"a")]);
        let limits = Limits { max_depth: 3, ..Limits::default() };
        let mut deep = Deep(Collect::default(), 3);
        let err = extract_zip(&Input::Bytes(&z), &mut deep, &limits).unwrap_err();
        assert!(matches!(&err, ExtractError::Limit(m) if m == "archives nested more than 3 deep"), "{err}");
        let mut shallow = Deep(Collect::default(), 2);
        extract_zip(&Input::Bytes(&z), &mut shallow, &limits).unwrap();
        assert_eq!(shallow.0.parts.len(), 1);
    }

    #[test]
    fn zip_bomb_refused_by_ratio() {
        let zeros = vec![0u8; 50 << 20];
        let z = make_zip(&[("HR/big.csv", &zeros), ("HR/ok.txt", b"fine")]);
        drop(zeros);
        assert!(z.len() < 200 << 10, "bomb is {} bytes", z.len());
        let (c, r) = run(&z, &Limits::default());
        r.unwrap();
        assert_eq!(c.warnings, ["HR/big.csv: limit hit: compression ratio over 200:1 (zip bomb?), not read"]);
        assert_eq!(names(&c), ["HR/ok.txt"]);
    }

    /// `len` pseudo-random bytes drawn from `alphabet` values: deflate cannot
    /// shrink them below log2(alphabet) bits a byte.
    fn noise(len: usize, alphabet: u8) -> Vec<u8> {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ((x >> 32) % alphabet as u64) as u8
            })
            .collect()
    }

    #[test]
    fn member_over_memory_limit_is_skipped() {
        let big = noise(600_000, 4);
        let z = make_zip(&[("a.bin", &noise(100_000, 255)), ("big.bin", &big), ("c.txt", b"small")]);
        assert!(z.len() < 300_000, "{}", z.len());
        let limits = Limits { max_in_memory: 300_000, ..Limits::default() };
        let (c, r) = run(&z, &limits);
        r.unwrap();
        assert_eq!(names(&c), ["a.bin", "c.txt"]);
        assert_eq!(c.warnings, ["big.bin: larger than the in-memory limit (0 MB) uncompressed, not read"]);
        // An archive over the limit is refused whole.
        let (_, r) = run(&z, &Limits { max_in_memory: 100_000, ..limits });
        assert!(matches!(r, Err(ExtractError::Skipped(_))), "{r:?}");
    }

    #[test]
    fn archive_total_stops_reading_after_emitting_what_was_read() {
        let data = noise(300_000, 255);
        let z = make_zip(&[("a.bin", &data), ("b.bin", &data), ("c.txt", b"small"), ("d.bin", &data)]);
        let (c, r) = run(&z, &Limits::default());
        r.unwrap();
        assert_eq!(names(&c), ["a.bin", "b.bin", "c.txt", "d.bin"]);
        let total = Limits { max_archive_total: 700_000, ..Limits::default() };
        let (c, r) = run(&z, &total);
        assert_eq!(names(&c), ["a.bin", "b.bin", "c.txt"]);
        assert!(matches!(&r, Err(ExtractError::Limit(m)) if m.ends_with("stopped at d.bin")), "{r:?}");
    }

    #[test]
    fn truncated_zip_is_corrupt() {
        let z = make_zip(&[("a.txt", b"some text here"), ("b.txt", b"more")]);
        let (c, r) = run(&z[..z.len() - 30], &Limits::default());
        assert!(matches!(r, Err(ExtractError::Corrupt { kind: "zip", .. })), "{r:?}");
        assert!(c.parts.is_empty());
        let (_, r) = run(b"PK\x03\x04garbage", &Limits::default());
        assert!(matches!(r, Err(ExtractError::Corrupt { kind: "zip", .. })));
    }

    /// A zip with some members encrypted with ZipCrypto.
    fn encrypted_zip(plain: &[(&str, &[u8])], secret: &[(&str, &[u8])]) -> Vec<u8> {
        use zip::unstable::write::FileOptionsExt;
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in plain {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(data).unwrap();
        }
        for (name, data) in secret {
            let opts = SimpleFileOptions::default().with_deprecated_encryption(b"pw").unwrap();
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn encrypted_members() {
        let some = encrypted_zip(&[("open.txt", b"open")], &[("HR/pay.csv", b"secret")]);
        let (c, r) = run(&some, &Limits::default());
        r.unwrap();
        assert_eq!(names(&c), ["open.txt"]);
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].starts_with("HR/pay.csv: encrypted"), "{:?}", c.warnings);
        let all = encrypted_zip(&[], &[("a.csv", b"x"), ("b.csv", b"y")]);
        let (c, r) = run(&all, &Limits::default());
        assert!(matches!(r, Err(ExtractError::Encrypted)), "{r:?}");
        assert!(c.parts.is_empty());
    }

    #[test]
    fn misnamed_office_document_is_delegated() {
        // docx extraction is another module's: it must be the one answering.
        let z = make_zip(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")]);
        let (c, r) = run(&z, &Limits::default());
        assert!(c.parts.is_empty(), "members of a document are not parts");
        let mut direct = Collect::default();
        let expected = crate::formats::docx::extract(&Input::Bytes(&z), &mut direct, &Limits::default());
        assert_eq!(format!("{r:?}"), format!("{expected:?}"));
    }

    #[test]
    fn damaged_zips_do_not_panic() {
        let inner = make_zip(&[("a.txt", b"Jane Roberts")]);
        let good = make_zip(&[("HR/", b""), ("HR/list.csv", b"Name,DOB\nJane,1/2/1980\n"), ("x.zip", &inner)]);
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for round in 0..2000 {
            let mut bytes = good.clone();
            for _ in 0..1 + round % 6 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = (x % bytes.len() as u64) as usize;
                bytes[at] = (x >> 40) as u8;
            }
            let _ = run(&bytes, &Limits::default());
        }
    }
}
