//! A deterministic generator of a realistic, labelled charity shared drive.
//!
//! [`generate`] writes `out/drive/...` (csv, txt, xlsx, docx, pdf, eml, mbox,
//! zip, pptx, ppt, doc, gz, tgz, 7z, pst) about a pool of invented people, and `out/labels.jsonl`: one [`Label`]
//! per planted item of personal data, for measuring the detector's precision
//! and recall and as fixtures for per-format tests. The same seed gives the
//! same bytes on every machine.
//!
//! Labelling conventions (shared with the scanner): `value` is the text as
//! written (xlsx date cells as `YYYY-MM-DD`); names are labelled at every
//! mention, without titles; names inside email addresses are not; only dates
//! of birth are `dob`; `address` is the street line (`12 Mill Lane`) with the
//! postcode within two lines after it or in an address column; role
//! mailboxes and organisational numbers are not personal data.

pub mod csv;
pub mod docx;
pub mod mail;
pub mod pdf;
pub mod people;
pub mod pptx;
pub mod registers;
pub mod special;
pub use crate::rng;
pub mod txt;
pub mod values;
pub mod xlsx;
pub mod zip;

use std::io;
use std::path::Path;

use people::Pool;
use rng::Rng;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Seed of the PRNG: the same seed gives the same corpus.
    pub seed: u64,
    /// Multiplies people and files; 1 gives about 50 files.
    pub scale: usize,
    /// Also plant special category data and its look-alikes (an
    /// equalities monitoring export, support notes): see [`special`]. Off
    /// by default, so the shipped fixture drive stays as it is.
    pub special: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { seed: 1, scale: 1, special: false }
    }
}

/// The categories of personal data: the detector's own.
pub use piisweep::detect::Category as Cat;

/// One planted item (the label type `piisweep eval` reads).
pub use piisweep::eval::Label;

/// A line (or paragraph, or cell) of text with the personal data in it.
#[derive(Debug, Clone, Default)]
pub struct Line {
    pub text: String,
    pub items: Vec<(Cat, String)>,
}

impl Line {
    pub fn new() -> Line {
        Line::default()
    }
    /// Plain text.
    pub fn t(mut self, s: impl AsRef<str>) -> Line {
        self.text.push_str(s.as_ref());
        self
    }
    /// A labelled value.
    pub fn v(mut self, cat: Cat, s: impl Into<String>) -> Line {
        let s = s.into();
        self.text.push_str(&s);
        self.items.push((cat, s));
        self
    }
    /// Appends another line's text and labels.
    pub fn join(mut self, other: Line) -> Line {
        self.text.push_str(&other.text);
        self.items.extend(other.items);
        self
    }
}

/// State shared by the writers: the PRNG, the people and the labels so far.
pub struct Ctx {
    pub rng: Rng,
    pub pool: Pool,
    pub labels: Vec<Label>,
    pub scale: usize,
}

impl Ctx {
    pub fn new(opts: &Options) -> Ctx {
        let mut rng = Rng::new(opts.seed);
        let pool = Pool::new(&mut rng, opts.scale.max(1));
        Ctx { rng, pool, labels: Vec::new(), scale: opts.scale.max(1) }
    }

    /// Records one label.
    pub fn label(&mut self, path: &str, category: Cat, value: &str, location: &str) {
        self.labels.push(Label {
            path: path.to_string(),
            category,
            value: value.to_string(),
            location: location.to_string(),
        });
    }

    /// Records the labels of `lines`, `loc(i)` naming the location of line `i` (0-based).
    pub fn label_lines(&mut self, path: &str, lines: &[Line], loc: impl Fn(usize) -> String) {
        for (i, l) in lines.iter().enumerate() {
            let location = loc(i);
            for (cat, v) in &l.items {
                self.label(path, *cat, v, &location);
            }
        }
    }
}

/// Writes the drive under `out/drive` and `out/labels.jsonl`; returns the labels.
pub fn generate(out: &Path, opts: &Options) -> io::Result<Vec<Label>> {
    let drive = out.join("drive");
    let mut ctx = Ctx::new(opts);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    csv::write_all(&mut ctx, &mut files);
    txt::write_all(&mut ctx, &mut files);
    xlsx::write_all(&mut ctx, &mut files)?;
    docx::write_all(&mut ctx, &mut files)?;
    pdf::write_all(&mut ctx, &mut files)?;
    mail::write_all(&mut ctx, &mut files)?;
    zip::write_all(&mut ctx, &mut files)?;
    pptx::write_all(&mut ctx, &mut files)?;
    registers::write_all(&mut ctx, &mut files);
    zip::write_gz(&mut ctx, &mut files)?;
    docx::write_doc(&mut ctx, &mut files);
    mail::write_pst(&mut ctx, &mut files);
    zip::write_tar_7z(&mut ctx, &mut files)?;
    pptx::write_ppt(&mut ctx, &mut files);
    if opts.special {
        special::write_all(&mut ctx, &mut files);
    }
    for (path, bytes) in &files {
        let full = drive.join(path);
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(full, bytes)?;
    }
    let mut jsonl = String::new();
    for l in &ctx.labels {
        jsonl.push_str(&serde_json::to_string(l).map_err(io::Error::other)?);
        jsonl.push('\n');
    }
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("labels.jsonl"), jsonl)?;
    Ok(ctx.labels)
}

#[cfg(test)]
mod tests;
