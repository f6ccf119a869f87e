//! OCR: the one code path that runs Tesseract, and the layout that turns its
//! words back into text as a reader sees the page.
//!
//! Tesseract runs as a process (`tesseract stdin stdout tsv`), found on
//! `PATH` or where `--tesseract` says ([`Limits::tesseract`]), with one
//! OpenMP thread (`OMP_THREAD_LIMIT=1`): the sweep's thread pool runs one
//! page per worker, so OCR never oversubscribes the cores. The page goes in
//! as an 8-bit grey PGM on standard input; the TSV out gives each word
//! with its box and confidence.
//!
//! [`lay_out`] rebuilds the lines from the word boxes, not from Tesseract's
//! blocks: the page's skew is measured from Tesseract's own lines and taken
//! out, words whose (deskewed) middles sit at one height make one line, read
//! left to right, and each word is placed at the character column its left
//! edge is at, so that a table's values start under their header (what
//! `detect::table` reads) and a value wrapped onto the next line follows it
//! on the next line, as in the digital document.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

use image::GrayImage;

use crate::formats::{ExtractError, Limits, Result};

/// Why a scan is not read when Tesseract is missing.
pub const NEEDS_OCR: &str = "needs OCR: install tesseract-ocr (or give its path with --tesseract) to read scans";

/// A Tesseract found and working.
#[derive(Debug, Clone)]
pub struct Tesseract {
    pub path: PathBuf,
    /// `tesseract 5.3.0`.
    pub version: String,
}

/// The Tesseract `limits` names (its path, else `tesseract` on `PATH`),
/// if it runs: asked once per path for the whole process.
pub fn tesseract(limits: &Limits) -> Option<Tesseract> {
    static FOUND: OnceLock<Mutex<HashMap<PathBuf, Option<Tesseract>>>> = OnceLock::new();
    let path = limits.tesseract.clone().unwrap_or_else(|| PathBuf::from("tesseract"));
    let found = FOUND.get_or_init(Default::default);
    if let Some(t) = found.lock().unwrap_or_else(|e| e.into_inner()).get(&path) {
        return t.clone();
    }
    let t = probe(&path);
    found.lock().unwrap_or_else(|e| e.into_inner()).insert(path, t.clone());
    t
}

/// The error for a scan that cannot be read without Tesseract.
pub fn needs_ocr() -> ExtractError {
    ExtractError::NoText
}

fn probe(path: &Path) -> Option<Tesseract> {
    let out = Command::new(path).arg("--version").stdin(Stdio::null()).output().ok()?;
    // Tesseract 4 printed its version on standard error.
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let version = text.lines().find(|l| l.trim_start().starts_with("tesseract"))?.trim().to_string();
    out.status.success().then(|| Tesseract { path: path.to_path_buf(), version })
}

/// One word Tesseract read: its text, box (pixels) and confidence (0-100).
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub conf: f32,
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
    /// Tesseract's block, paragraph and line: which words it put on one line.
    pub line: (u32, u32, u32),
}

/// Tesseract's reading of one page: its words, with their boxes on the
/// page turned upright (how a reader sees it: what [`lay_out`] wants), how
/// far the page was turned for that (clockwise, degrees: 0, 90, 180, 270),
/// and the size of the page as given.
#[derive(Debug, Clone, Default)]
pub struct PageWords {
    pub words: Vec<Word>,
    pub turned: u32,
    pub size: (u32, u32),
}

impl PageWords {
    /// Word `i`'s box on the page as given: (left, top, right, bottom).
    pub fn page_box(&self, i: usize) -> (u32, u32, u32, u32) {
        let w = turn_back(self.words[i].clone(), self.turned, self.size.0, self.size.1);
        (w.left, w.top, w.left + w.width, w.top + w.height)
    }
}

/// Read the words of one page. A page whose first reading is poor is
/// checked for orientation (Tesseract's OSD) and, if it is on its side or
/// upside down, read again turned upright. A small page is read enlarged
/// (Tesseract wants letters some 20 pixels high).
pub fn read_page(t: &Tesseract, page: &GrayImage) -> Result<PageWords> {
    // `anonymise` reads a scan to learn who is in it, then again to write
    // its copy: the last few pages read are kept, by a hash of their pixels.
    static RECENT: Mutex<Vec<([u8; 32], PageWords)>> = Mutex::new(Vec::new());
    let key: [u8; 32] = {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(page.width().to_le_bytes());
        h.update(page.height().to_le_bytes());
        h.update(page.as_raw());
        h.finalize().into()
    };
    if let Some((_, words)) = RECENT.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|(k, _)| *k == key) {
        return Ok(words.clone());
    }
    let words = read_page_uncached(t, page)?;
    let mut recent = RECENT.lock().unwrap_or_else(|e| e.into_inner());
    if recent.len() >= 8 {
        recent.remove(0);
    }
    recent.push((key, words.clone()));
    Ok(words)
}

/// Pages read with OCR by this process (each page once, however many
/// times Tesseract ran on it): the summary and the progress bar count them.
static PAGES_READ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many pages this process has read with OCR so far.
pub fn pages_read() -> u64 {
    PAGES_READ.load(std::sync::atomic::Ordering::Relaxed)
}

fn read_page_uncached(t: &Tesseract, page: &GrayImage) -> Result<PageWords> {
    PAGES_READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let scale =
        if page.width().max(page.height()) < 1400 && u64::from(page.width()) * u64::from(page.height()) < 4 << 20 {
            2
        } else {
            1
        };
    let big;
    let img = if scale > 1 {
        big = image::imageops::resize(page, page.width() * 2, page.height() * 2, image::imageops::FilterType::Triangle);
        &big
    } else {
        page
    };
    let mut best = PageWords { words: run(t, img, &[])?, turned: 0, size: page.dimensions() };
    // Fewer than some six confident words, or words mostly guessed:
    // perhaps the page is turned.
    let mean = best.words.iter().map(|w| w.conf).sum::<f32>() / best.words.len().max(1) as f32;
    if (quality(&best.words) < 0.6 * 95.0 * 6.0 || mean < 75.0)
        && let Some(turn) = orientation(t, img).filter(|&r| r != 0)
    {
        let upright = match turn {
            90 => image::imageops::rotate90(img),
            180 => image::imageops::rotate180(img),
            _ => image::imageops::rotate270(img),
        };
        let words = run(t, &upright, &[])?;
        if quality(&words) > quality(&best.words) {
            best = PageWords { words, turned: turn, size: page.dimensions() };
        }
    }
    if scale > 1 {
        for w in &mut best.words {
            w.left /= scale;
            w.top /= scale;
            w.width = w.width.div_ceil(scale);
            w.height = w.height.div_ceil(scale);
        }
    }
    Ok(best)
}

/// How much of a page was read: confident letters (capped per word).
fn quality(words: &[Word]) -> f32 {
    words.iter().map(|w| w.conf.max(0.0) * w.text.chars().filter(|c| c.is_alphanumeric()).count().min(12) as f32).sum()
}

/// A word's box on the page turned `turn` degrees clockwise, as a box of
/// the page as given (`w` by `h`).
fn turn_back(mut word: Word, turn: u32, w: u32, h: u32) -> Word {
    let (l, t, ww, hh) = (word.left, word.top, word.width, word.height);
    let (nl, nt, nw, nh) = match turn {
        0 => return word,
        // Turned 90° clockwise: (x, y) there is (y, h - 1 - x) here.
        90 => (t, h.saturating_sub(l + ww), hh, ww),
        180 => (w.saturating_sub(l + ww), h.saturating_sub(t + hh), ww, hh),
        // 270° clockwise: (x, y) there is (w - 1 - y, x) here.
        _ => (w.saturating_sub(t + hh), l, hh, ww),
    };
    word.left = nl;
    word.top = nt;
    word.width = nw;
    word.height = nh;
    word
}

/// How far the page must be turned clockwise to be upright, by OSD.
fn orientation(t: &Tesseract, img: &GrayImage) -> Option<u32> {
    let out = tesseract_output(t, img, &["--psm", "0"]).ok()?;
    let mut rotate = None;
    let mut confident = false;
    for line in out.lines() {
        if let Some(v) = line.strip_prefix("Rotate:") {
            rotate = v.trim().parse::<u32>().ok();
        }
        if let Some(v) = line.strip_prefix("Orientation confidence:") {
            confident = v.trim().parse::<f32>().is_ok_and(|c| c >= 1.0);
        }
    }
    rotate.filter(|r| confident && [90, 180, 270].contains(r))
}

fn run(t: &Tesseract, img: &GrayImage, extra: &[&str]) -> Result<Vec<Word>> {
    let tsv = tesseract_output(t, img, &[extra, &["tsv"]].concat())?;
    Ok(parse_tsv(&tsv))
}

/// Run Tesseract on `img` with `args` after `stdin stdout`; its standard output.
fn tesseract_output(t: &Tesseract, img: &GrayImage, args: &[&str]) -> Result<String> {
    let mut child = Command::new(&t.path)
        .args(["stdin", "stdout", "-l", "eng", "--dpi", "300"])
        .args(args)
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ExtractError::Unsupported(format!("{NEEDS_OCR} (running {} failed: {e})", t.path.display())))?;
    let mut pgm = format!("P5\n{} {}\n255\n", img.width(), img.height()).into_bytes();
    pgm.extend_from_slice(img.as_raw());
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&pgm);
    });
    let mut out = String::new();
    let mut err = String::new();
    let read = child.stdout.take().expect("piped stdout").read_to_string(&mut out);
    let _ = child.stderr.take().expect("piped stderr").read_to_string(&mut err);
    let _ = writer.join();
    let status = child.wait()?;
    read?;
    if !status.success() {
        let why = err.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("no message").to_string();
        // OSD on a page with too little text fails: that is an answer, not a fault.
        return Err(ExtractError::Internal(format!("tesseract failed: {why}")));
    }
    Ok(out)
}

/// The words of Tesseract's TSV (level 5 rows with text).
pub fn parse_tsv(tsv: &str) -> Vec<Word> {
    let mut words = Vec::new();
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 12 || f[0] != "5" {
            continue;
        }
        let text = f[11].trim();
        let n = |i: usize| f[i].trim().parse::<u32>().unwrap_or(0);
        let conf = f[10].trim().parse::<f32>().unwrap_or(-1.0);
        if text.is_empty() || conf < 0.0 {
            continue;
        }
        words.push(Word {
            text: text.to_string(),
            conf,
            left: n(6),
            top: n(7),
            width: n(8),
            height: n(9),
            line: (n(2), n(3), n(4)),
        });
    }
    words
}

/// Where one word of a page's text is: its bytes in the text, its
/// confidence (0-100), and its index in the words given to [`lay_out`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub start: u32,
    pub end: u32,
    pub conf: f32,
    pub word: u32,
}

/// A page's text as a reader sees it, and where each word is in it.
#[derive(Debug, Clone, Default)]
pub struct PageText {
    pub text: String,
    pub placed: Vec<Placed>,
}

fn median(mut v: Vec<f32>) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[(v.len() - 1) / 2])
}

/// The page's text from its words (see the module's notes).
pub fn lay_out(words: &[Word]) -> PageText {
    let mut out = PageText::default();
    if words.is_empty() {
        return out;
    }
    let cx = |w: &Word| w.left as f32 + w.width as f32 / 2.0;
    let cy = |w: &Word| w.top as f32 + w.height as f32 / 2.0;
    // Skew: the median slope of Tesseract's lines (first word to last).
    let mut lines: HashMap<(u32, u32, u32), (usize, usize)> = HashMap::new();
    for (i, w) in words.iter().enumerate() {
        let e = lines.entry(w.line).or_insert((i, i));
        if w.left < words[e.0].left {
            e.0 = i;
        }
        if w.left > words[e.1].left {
            e.1 = i;
        }
    }
    let slopes: Vec<f32> = lines
        .values()
        .filter(|(a, b)| a != b)
        .filter_map(|&(a, b)| {
            let dx = cx(&words[b]) - cx(&words[a]);
            (dx > 0.0).then(|| (cy(&words[b]) - cy(&words[a])) / dx)
        })
        .filter(|s| s.abs() < 0.2)
        .collect();
    let slope = median(slopes).unwrap_or(0.0);
    let height = median(words.iter().map(|w| w.height as f32).collect()).unwrap_or(10.0).max(1.0);
    let char_w = median(
        words
            .iter()
            .filter(|w| w.text.chars().count() >= 3)
            .map(|w| w.width as f32 / w.text.chars().count() as f32)
            .collect(),
    )
    .unwrap_or(height * 0.5)
    .max(1.0);
    let y = |w: &Word| cy(w) - slope * cx(w);
    let x0 = words.iter().map(|w| w.left).min().unwrap_or(0) as f32;

    // Rows: words sorted by deskewed height, a new row where the next word
    // sits clearly below the row's middle.
    let mut order: Vec<usize> = (0..words.len()).collect();
    order.sort_by(|&a, &b| y(&words[a]).total_cmp(&y(&words[b])));
    let mut rows: Vec<(f32, Vec<usize>)> = Vec::new();
    for i in order {
        let yi = y(&words[i]);
        match rows.last_mut() {
            Some((mid, row)) if (yi - *mid).abs() < 0.5 * height => {
                row.push(i);
                *mid += (yi - *mid) / row.len() as f32;
            }
            _ => rows.push((yi, vec![i])),
        }
    }
    // The usual distance from one line to the next: a gap well over it
    // (and over a blank line's height) starts a new paragraph. Table rows
    // spaced out more than text lines stay together.
    let pitch = median(rows.windows(2).map(|r| r[1].0 - r[0].0).collect()).unwrap_or(height);
    let mut last_mid: Option<f32> = None;
    for (mid, mut row) in rows {
        row.sort_by_key(|&i| words[i].left);
        if let Some(prev) = last_mid {
            out.text.push('\n');
            // A gap of more than a blank line's height: a new paragraph.
            if mid - prev > (2.3 * height).max(1.6 * pitch) {
                out.text.push('\n');
            }
        }
        last_mid = Some(mid);
        let line_start = out.text.len();
        let mut prev_right: Option<f32> = None;
        for i in row {
            let w = &words[i];
            let col = ((w.left as f32 - x0) / char_w).round().max(0.0) as usize;
            let pos = out.text[line_start..].chars().count();
            let spaces = match prev_right {
                None => col.saturating_sub(pos),
                Some(right) => {
                    let gap = w.left as f32 - right;
                    if gap < 1.8 * char_w { 1 } else { col.saturating_sub(pos).max(2) }
                }
            };
            out.text.extend(std::iter::repeat_n(' ', spaces));
            let start = out.text.len() as u32;
            out.text.push_str(&w.text);
            out.placed.push(Placed { start, end: out.text.len() as u32, conf: w.conf, word: i as u32 });
            prev_right = Some((w.left + w.width) as f32);
        }
    }
    out
}

/// Common English words (and words of forms and letters): a text layer
/// that is real text has some of them among its longer words.
const COMMON_WORDS: &[&str] = &[
    "the",
    "and",
    "for",
    "are",
    "but",
    "not",
    "you",
    "all",
    "any",
    "can",
    "her",
    "was",
    "one",
    "our",
    "out",
    "has",
    "him",
    "his",
    "how",
    "man",
    "new",
    "now",
    "old",
    "see",
    "two",
    "way",
    "who",
    "did",
    "its",
    "let",
    "put",
    "say",
    "she",
    "too",
    "use",
    "with",
    "that",
    "this",
    "have",
    "from",
    "they",
    "will",
    "would",
    "there",
    "their",
    "what",
    "about",
    "which",
    "when",
    "make",
    "like",
    "time",
    "just",
    "know",
    "take",
    "into",
    "year",
    "your",
    "good",
    "some",
    "could",
    "them",
    "than",
    "then",
    "look",
    "only",
    "come",
    "over",
    "think",
    "also",
    "back",
    "after",
    "work",
    "first",
    "well",
    "even",
    "want",
    "because",
    "these",
    "give",
    "most",
    "been",
    "were",
    "said",
    "each",
    "other",
    "more",
    "very",
    "here",
    "must",
    "should",
    "may",
    "please",
    "date",
    "name",
    "address",
    "phone",
    "email",
    "number",
    "dear",
    "yours",
    "sincerely",
    "faithfully",
    "page",
    "form",
    "signed",
    "signature",
    "support",
    "client",
    "service",
    "services",
    "team",
    "school",
    "health",
    "care",
    "family",
    "referral",
    "consent",
    "details",
    "contact",
    "telephone",
    "mobile",
    "birth",
    "street",
    "road",
    "lane",
    "house",
    "office",
    "letter",
    "report",
    "meeting",
    "note",
    "notes",
    "case",
    "child",
    "children",
    "parent",
    "mother",
    "father",
    "doctor",
    "surgery",
    "hospital",
    "council",
    "trust",
    "charity",
    "information",
    "data",
    "personal",
    "total",
    "amount",
    "today",
];

/// Is a PDF page's text layer junk (an OCR layer of garbage, or glyphs with
/// no Unicode mapping that come out as private-use or control characters),
/// so that the page is better read from its pictures with OCR? Measured,
/// not guessed: fewer than three quarters of its characters are letters,
/// digits or spaces (private-use and control characters count against
/// it), or it has 20 or more words of three letters or more and fewer than
/// 3% of them are among [`COMMON_WORDS`].
pub fn text_is_junk(text: &str) -> bool {
    let (mut all, mut good) = (0usize, 0usize);
    for c in text.chars() {
        all += 1;
        let private = matches!(u32::from(c), 0xE000..=0xF8FF | 0xF0000..);
        if !private && (c.is_alphanumeric() || c.is_whitespace()) && !c.is_control() || matches!(c, '\n' | '\t') {
            good += 1;
        }
    }
    if all == 0 {
        return false;
    }
    if (good as f32) < 0.75 * all as f32 {
        return true;
    }
    let words: Vec<String> =
        text.split(|c: char| !c.is_alphabetic()).filter(|w| w.chars().count() >= 3).map(str::to_lowercase).collect();
    let known = words.iter().filter(|w| COMMON_WORDS.contains(&w.as_str())).count();
    words.len() >= 20 && (known as f32) < 0.03 * words.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_text_layers_are_told_from_real_text() {
        let letter = "Dear Mrs Roberts,\nThank you for your letter of 12 March about the support plan. \
                      Please call the office on 0113 496 0000 if you have any questions.\nYours sincerely";
        assert!(!text_is_junk(letter));
        // A table of names and dates is real text too.
        assert!(!text_is_junk("Name  Date of birth\nJane Roberts  12/03/1984\nTom Hughes  01/11/1990"));
        // Glyphs with no Unicode mapping: private-use and control characters.
        let unmapped: String = "\u{E001}\u{E002}\u{E003} \u{1}\u{2}\u{E004}\u{E005} \u{E006}\u{3}".repeat(5);
        assert!(text_is_junk(&unmapped));
        // An OCR layer of garbage: punctuation where the letters were.
        assert!(text_is_junk("l~| ;'^ }{ -~ ,.. '\" _|_ ~^ ;; :: ,,; |l| ~~ ^^ Tl; ~r' ,.i l1|"));
        // Letters, but no words: a layer from a wrong encoding.
        let shifted = "Wkh vhuylfh ghwdlov ryhu wkh qhaw ihz zhhnv grqh durxqg lq shuvrq ";
        assert!(text_is_junk(&shifted.repeat(3)));
    }

    fn word(text: &str, left: u32, top: u32, line: u32) -> Word {
        let width = 20 * text.chars().count() as u32;
        Word { text: text.into(), conf: 90.0, left, top, width, height: 40, line: (1, 1, line) }
    }

    #[test]
    fn parses_tesseract_tsv() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t10\t20\t30\t40\t96.5\tJane\n\
                   5\t1\t1\t1\t1\t2\t50\t20\t30\t40\t-1\t \n";
        let words = parse_tsv(tsv);
        assert_eq!(words.len(), 1);
        assert_eq!((words[0].text.as_str(), words[0].left, words[0].conf), ("Jane", 10, 96.5));
    }

    #[test]
    fn table_columns_line_up_under_their_headers() {
        // Tesseract puts each column in its own block; the layout puts the
        // rows back together, each value under its header.
        let words = vec![
            word("Name", 100, 100, 1),
            word("Jane", 100, 160, 2),
            word("Roberts", 200, 160, 2),
            word("DOB", 600, 100, 3),
            word("12/03/1984", 600, 160, 4),
        ];
        let page = lay_out(&words);
        let lines: Vec<&str> = page.text.lines().collect();
        assert_eq!(lines.len(), 2, "{:?}", page.text);
        assert_eq!(lines[0].find("DOB"), lines[1].find("12/03/1984"), "{:?}", page.text);
        assert!(lines[1].starts_with("Jane Roberts  "), "{:?}", page.text);
        let p = page.placed.iter().find(|p| p.word == 4).unwrap();
        assert_eq!(&page.text[p.start as usize..p.end as usize], "12/03/1984");
    }

    #[test]
    fn a_tilted_line_stays_one_line() {
        // A 3° tilt: the last word sits 60 px lower than the first.
        let words: Vec<Word> = (0..10).map(|i| word("word", 100 + i * 120, 100 + i * 6, 1)).collect();
        let mut all = words.clone();
        all.extend((0..10).map(|i| word("next", 100 + i * 120, 160 + i * 6, 2)));
        let page = lay_out(&all);
        assert_eq!(page.text.lines().count(), 2, "{:?}", page.text);
        assert!(page.text.lines().next().unwrap().split_whitespace().all(|w| w == "word"));
    }

    #[test]
    fn a_wide_gap_between_lines_is_a_paragraph_break() {
        let page = lay_out(&[word("First", 100, 100, 1), word("Second", 100, 160, 2), word("Third", 100, 400, 3)]);
        assert_eq!(page.text, "First\nSecond\n\nThird");
    }
}
