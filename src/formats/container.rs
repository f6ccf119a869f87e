//! The one walker for containers: a file and the parts inside it
//! (attachments, archive members, mbox messages), read recursively.
//!
//! The [`Walker`] owns what every command must do the same way when it goes
//! into parts: the nesting depth limit, the budget of bytes taken out of
//! archives (shared by every level of one file on disk), the `!` path of
//! each part (`Archive/old.zip!HR/list.csv`), and catching a panic in one
//! part so that it is reported for that part. What is done with the text is
//! the [`Visit`]or's: `scan` detects, `anonymise` gathers the values to
//! replace, `sar` gathers records or finds one part.
//!
//! Writers (anonymised copies) walk parts with their own traversal and share
//! the same rules through [`Nesting`].

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::{Emit, ExtractError, Input, Kind, Limits, Result, Segment};

/// What a walk reports to. Paths are the file's name (as given to the
/// walker) followed by `!part` for each level.
pub trait Visit {
    /// A piece of text of the file or part at `path`.
    fn segment(&mut self, path: &str, seg: Segment<'_>);
    /// A part found at `path`, before it is read: `false` leaves it unread
    /// (its bytes are lent, to keep). Not called for a part past the depth
    /// limit: that part is [`failed`](Visit::failed) instead.
    fn enter(&mut self, _path: &str, _data: &[u8]) -> bool {
        true
    }
    /// May parts be read as they are decompressed, never whole in memory?
    /// Then [`Visit::enter`] gets no bytes for them (an empty slice). Only
    /// for visitors that do not keep a part's bytes.
    fn streams_parts(&self) -> bool {
        false
    }
    /// The part at `path` (entered) has been read, with its own parts.
    fn leave(&mut self, _path: &str) {}
    /// The part at `path` could not be read, or only in part: a limit, a
    /// damaged or encrypted member, an internal error.
    fn failed(&mut self, _path: &str, _error: ExtractError) {}
    /// Something about the file or part at `path` the user must hear.
    fn warn(&mut self, _path: &str, _message: String) {}
}

/// How deep in containers a reading is, and how many bytes it has taken out
/// of archives (all levels of one file on disk together).
#[derive(Debug, Default, Clone, Copy)]
pub struct Nesting {
    pub depth: u32,
    pub archive_used: u64,
}

impl Nesting {
    /// May a part one level further in be read? Else the limit that refuses it.
    pub fn check_enter(&self, limits: &Limits) -> Result<()> {
        if self.depth >= limits.max_depth {
            return Err(ExtractError::Limit(format!("nested more than {} deep", limits.max_depth)));
        }
        Ok(())
    }
}

/// Reads a file and, recursively, its parts, for a [`Visit`].
pub struct Walker<'l, V> {
    visit: V,
    limits: &'l Limits,
    path: String,
    nesting: Nesting,
}

impl<'l, V: Visit> Walker<'l, V> {
    /// A walker for the file named `path` (the start of every part's path).
    pub fn new(path: &str, visit: V, limits: &'l Limits) -> Self {
        Walker { visit, limits, path: path.to_string(), nesting: Nesting::default() }
    }

    /// Read `input` as `kind`, with its parts.
    pub fn read_kind(&mut self, kind: Kind, input: &Input<'_>) -> Result<()> {
        let limits = self.limits;
        super::extract_kind(kind, input, self, limits)
    }

    /// Sniff `input` (named `name`) and read it, with its parts.
    pub fn read(&mut self, name: &str, input: &Input<'_>) -> Result<Kind> {
        let limits = self.limits;
        super::extract(name, input, self, limits)
    }

    pub fn visit(&mut self) -> &mut V {
        &mut self.visit
    }

    pub fn into_visit(self) -> V {
        self.visit
    }
}

/// Sniff `input` (named `name`) and read it with its parts for `visit`;
/// the visitor back, and how reading the file itself went.
pub fn walk<V: Visit>(name: &str, input: &Input<'_>, visit: V, limits: &Limits) -> (V, Result<Kind>) {
    let mut walker = Walker::new(name, visit, limits);
    let result = walker.read(name, input);
    (walker.into_visit(), result)
}

/// Files read inside other files by this process (messages of a mail store,
/// attachments, archive members): the progress bar counts them, as a store
/// of thousands of messages is one file on the bar.
static PARTS_READ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many files inside other files this process has read so far.
pub fn parts_read() -> u64 {
    PARTS_READ.load(std::sync::atomic::Ordering::Relaxed)
}

impl<V: Visit> Emit for Walker<'_, V> {
    fn segment(&mut self, seg: Segment<'_>) {
        self.visit.segment(&self.path, seg);
    }

    fn part(&mut self, name: &str, data: &[u8]) {
        let inner = format!("{}!{}", self.path, name);
        if let Err(e) = self.nesting.check_enter(self.limits) {
            self.visit.failed(&inner, e);
            return;
        }
        if !self.visit.enter(&inner, data) {
            return;
        }
        PARTS_READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let outer = std::mem::replace(&mut self.path, inner);
        self.nesting.depth += 1;
        let limits = self.limits;
        let result = catching(|| super::extract(name, &Input::Bytes(data), self, limits));
        self.nesting.depth -= 1;
        let inner = std::mem::replace(&mut self.path, outer);
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => self.visit.failed(&inner, e),
            Err(panic) => self.visit.failed(&inner, ExtractError::Internal(panic_message(&*panic))),
        }
        self.visit.leave(&inner);
    }

    fn streams_parts(&self) -> bool {
        self.visit.streams_parts()
    }

    fn part_stream(&mut self, name: &str, kind: Kind, input: &Input<'_>) {
        let inner = format!("{}!{}", self.path, name);
        if let Err(e) = self.nesting.check_enter(self.limits) {
            self.visit.failed(&inner, e);
            return;
        }
        if !self.visit.enter(&inner, &[]) {
            return;
        }
        PARTS_READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let outer = std::mem::replace(&mut self.path, inner);
        self.nesting.depth += 1;
        let limits = self.limits;
        let result = catching(|| super::extract_kind(kind, input, self, limits));
        self.nesting.depth -= 1;
        let inner = std::mem::replace(&mut self.path, outer);
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => self.visit.failed(&inner, e),
            Err(panic) => self.visit.failed(&inner, ExtractError::Internal(panic_message(&*panic))),
        }
        self.visit.leave(&inner);
    }

    fn warn(&mut self, message: String) {
        self.visit.warn(&self.path, message);
    }

    fn part_error(&mut self, name: &str, error: ExtractError) {
        let path = format!("{}!{}", self.path, name);
        self.visit.failed(&path, error);
    }

    fn depth(&self) -> u32 {
        self.nesting.depth
    }

    fn archive_used(&self) -> u64 {
        self.nesting.archive_used
    }

    fn archive_take(&mut self, bytes: u64) {
        self.nesting.archive_used = self.nesting.archive_used.saturating_add(bytes);
    }
}

thread_local! {
    /// True while this thread reads a file inside `catch_unwind`.
    static READING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Install a panic hook that stays quiet about panics caught while reading a
/// file (each is reported for its file in the summary, as a failure to read
/// it), and reports any other panic as before.
pub fn quiet_caught_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !READING.with(std::cell::Cell::get) {
            default(info)
        }
    }));
}

/// Run `f`, catching a panic; the panic hook knows it is caught.
pub fn catching<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    let was = READING.with(|r| r.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    READING.with(|r| r.set(was));
    result
}

/// What a caught panic said.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    use super::*;

    /// Counts the segments it is given.
    struct Count(usize);

    impl Visit for Count {
        fn segment(&mut self, _path: &str, _seg: Segment<'_>) {
            self.0 += 1;
        }
    }

    #[test]
    fn files_read_inside_files_are_counted_for_the_progress_bar() {
        let data = zip_of(&[("a.txt", b"Jane Roberts"), ("b.txt", b"Priya Patel"), ("c.txt", b"Mark Smith")]);
        let before = parts_read();
        let (count, result) = walk("notes.zip", &Input::Bytes(&data), Count(0), &Limits::default());
        assert!(result.is_ok() && count.0 >= 3);
        // Other tests may read parts meanwhile: at least these three.
        assert!(parts_read() - before >= 3, "{} parts counted", parts_read() - before);
    }

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, data) in members {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// Everything a walk reports, in order.
    #[derive(Default)]
    struct Log {
        events: Vec<String>,
        skip: Option<&'static str>,
    }

    impl Visit for Log {
        fn segment(&mut self, path: &str, seg: Segment<'_>) {
            self.events.push(format!("text {path}: {}", seg.text.trim()));
        }
        fn enter(&mut self, path: &str, _data: &[u8]) -> bool {
            self.events.push(format!("enter {path}"));
            self.skip.is_none_or(|s| !path.ends_with(s))
        }
        fn leave(&mut self, path: &str) {
            self.events.push(format!("leave {path}"));
        }
        fn failed(&mut self, path: &str, error: ExtractError) {
            self.events.push(format!("failed {path}: {error}"));
        }
    }

    #[test]
    fn parts_are_walked_with_their_paths_and_the_depth_limit() {
        let inner = zip_of(&[("c.txt", b"deep")]);
        let middle = zip_of(&[("b.zip", &inner)]);
        let outer = zip_of(&[("a.txt", b"top"), ("m.zip", &middle)]);
        let (log, r) = walk("x.zip", &Input::Bytes(&outer), Log::default(), &Limits::default());
        assert_eq!(r.unwrap(), Kind::Zip);
        assert_eq!(
            log.events,
            [
                "enter x.zip!a.txt",
                "text x.zip!a.txt: top",
                "leave x.zip!a.txt",
                "enter x.zip!m.zip",
                "enter x.zip!m.zip!b.zip",
                "enter x.zip!m.zip!b.zip!c.txt",
                "text x.zip!m.zip!b.zip!c.txt: deep",
                "leave x.zip!m.zip!b.zip!c.txt",
                "leave x.zip!m.zip!b.zip",
                "leave x.zip!m.zip",
            ]
        );
        // Two levels allowed: the archive at the third is refused, as the
        // scan reports it, and nothing in it is read.
        let limits = Limits { max_depth: 2, ..Limits::default() };
        let (log, _) = walk("x.zip", &Input::Bytes(&outer), Log::default(), &limits);
        assert!(
            log.events.contains(&"failed x.zip!m.zip!b.zip: limit hit: archives nested more than 2 deep".into()),
            "{:?}",
            log.events
        );
        assert!(!log.events.iter().any(|e| e.contains("c.txt")), "{:?}", log.events);
        // A part the visitor does not enter is not read.
        let visit = Log { skip: Some("m.zip"), ..Log::default() };
        let (log, _) = walk("x.zip", &Input::Bytes(&outer), visit, &Limits::default());
        assert_eq!(log.events.last().unwrap(), "enter x.zip!m.zip");
    }

    /// A scan's visitor: parts may be streamed; keeps the failures and the
    /// lines that hold `want`, and how much text it was given.
    #[derive(Default)]
    struct Streaming {
        stream: bool,
        found: Vec<String>,
        failed: Vec<String>,
        text: usize,
    }

    impl Visit for Streaming {
        fn segment(&mut self, path: &str, seg: Segment<'_>) {
            self.text += seg.text.len();
            if seg.text.contains("07700 900123") {
                let line = seg.text.lines().find(|l| l.contains("07700 900123")).unwrap_or_default();
                self.found.push(format!("{path}: {line}"));
            }
        }
        fn streams_parts(&self) -> bool {
            self.stream
        }
        fn failed(&mut self, path: &str, error: ExtractError) {
            self.failed.push(format!("{path}: {error}"));
        }
    }

    /// A large text member is read as it is decompressed where the visitor
    /// keeps no bytes: with an in-memory limit that takes the zip but not the
    /// member, a 12 MB member is read
    /// to its last line, which reading it whole refuses. A bomb member
    /// streamed still stops at the compression ratio.
    #[test]
    fn large_text_members_are_streamed_under_the_same_limits() {
        let body: String = (0..400_000).map(|i| format!("note {i} for the file\n")).collect();
        let big = format!("{body}Call Jane on 07700 900123\n");
        assert!(big.len() > 8 << 20);
        let bomb = "a".repeat(40 << 20);
        let outer = zip_of(&[("HR/big.txt", big.as_bytes()), ("bomb.txt", bomb.as_bytes())]);
        // The zip fits in memory; the member does not.
        let limits = Limits { max_in_memory: outer.len() as u64 + (1 << 20), ..Limits::default() };
        assert!(big.len() as u64 > 2 * limits.max_in_memory, "{} {}", big.len(), outer.len());

        let whole = Streaming::default();
        let (whole, r) = walk("x.zip", &Input::Bytes(&outer), whole, &limits);
        r.unwrap();
        assert!(whole.found.is_empty());
        assert!(whole.failed.iter().any(|f| f.starts_with("x.zip!HR/big.txt: larger than the in-memory limit")));

        let streamed = Streaming { stream: true, ..Streaming::default() };
        let (streamed, r) = walk("x.zip", &Input::Bytes(&outer), streamed, &limits);
        r.unwrap();
        assert_eq!(streamed.found, ["x.zip!HR/big.txt: Call Jane on 07700 900123"]);
        assert_eq!(streamed.failed.len(), 1, "{:?}", streamed.failed);
        assert!(
            streamed.failed[0].starts_with("x.zip!bomb.txt: limit hit: compression ratio over 200:1"),
            "{:?}",
            streamed.failed
        );
        // Of the bomb's 40 MB, what 200 times its compressed size (about
        // 40 KB) allows was read, no more.
        assert!(streamed.text < big.len() + (10 << 20), "{} bytes of text", streamed.text);
    }

    #[test]
    fn the_archive_budget_is_shared_by_every_level() {
        // 300 KB members at three levels: 700 KB in all is allowed. Alone,
        // each archive is under the budget; together they are not.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let noise: Vec<u8> = (0..300_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let inner = zip_of(&[("c.bin", &noise)]);
        let outer = zip_of(&[("a.bin", &noise), ("in.zip", &inner), ("z.bin", &noise)]);
        let limits = Limits { max_archive_total: 700_000, ..Limits::default() };
        let (log, read) = walk("x.zip", &Input::Bytes(&outer), Log::default(), &limits);
        let limit: Vec<&String> = log.events.iter().filter(|e| e.contains("limit hit")).collect();
        assert_eq!(
            limit,
            ["failed x.zip!in.zip: limit hit: more than 0 MB uncompressed in the archive: stopped at c.bin"],
            "{:?}",
            log.events
        );
        // What the inner archive took leaves nothing for the outer one's last member.
        assert!(read.is_err_and(|e| e.to_string().ends_with("stopped at z.bin")));
    }
}
