//! What each subcommand does, given its already-parsed options. `main.rs`
//! only parses the command line and calls these.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::detect::{Engine, RuleSet};
use crate::extract::Limits;
use crate::keys::{DEFAULT_KEY_FILE, Key};
use crate::scan::{self, ScanOptions, Sink, Summary};
use crate::sink::JsonlSink;
use crate::walk::WalkOptions;

/// Exit status: ran fine (findings are not an error).
pub const EXIT_OK: i32 = 0;
/// Exit status: bad usage.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: finished, but some files could not be read.
pub const EXIT_UNREADABLE: i32 = 3;

/// An error in what the user asked for: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Options shared by commands that sweep files.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    pub paths: Vec<PathBuf>,
    pub rules: Option<PathBuf>,
    pub threads: usize,
    pub exclude: Vec<String>,
    pub max_file_size: u64,
    pub follow_links: bool,
    pub quiet: bool,
    pub key: Option<PathBuf>,
    pub min_confidence: f32,
}

impl SweepConfig {
    /// Check the paths exist, and load rules and key.
    pub fn prepare(&self, key_dir: Option<&Path>) -> anyhow::Result<(Engine, Key, ScanOptions)> {
        for p in &self.paths {
            if std::fs::symlink_metadata(p).is_err() {
                return Err(UsageError(format!(
                    "{} does not exist: check the path (put quotes around paths with spaces)",
                    p.display()
                ))
                .into());
            }
        }
        if let Err(e) = crate::walk::build_globs(&self.exclude) {
            return Err(UsageError(format!("bad --exclude pattern: {e}")).into());
        }
        let engine = Engine::new(load_rules(self.rules.as_deref())?);
        let key_path = self
            .key
            .clone()
            .unwrap_or_else(|| key_dir.map_or_else(|| PathBuf::from(DEFAULT_KEY_FILE), |d| d.join(DEFAULT_KEY_FILE)));
        let key = Key::load_or_create(&key_path)?;
        let limits = Limits { max_file_size: self.max_file_size, ..Limits::default() };
        let opts = ScanOptions {
            roots: self.paths.clone(),
            walk: WalkOptions { follow_links: self.follow_links, exclude: self.exclude.clone() },
            limits,
            min_confidence: self.min_confidence,
            threads: self.threads,
            progress: !self.quiet && std::io::stderr().is_terminal(),
        };
        Ok((engine, key, opts))
    }
}

pub fn load_rules(dir: Option<&Path>) -> anyhow::Result<RuleSet> {
    match dir {
        None => Ok(RuleSet::builtin()),
        Some(d) => RuleSet::from_dir(d).map_err(|e| {
            let fix = match e {
                crate::detect::RulesError::Read { .. } => {
                    "--rules takes a folder of readable UTF-8 .toml rule files (like the rules/ folder); \
                     check the path, or leave out --rules to use the built-in rules"
                }
                _ => "fix the file at the place shown, or leave out --rules to use the built-in rules",
            };
            UsageError(format!("{e}\n{fix}")).into()
        }),
    }
}

/// Open `-` as stdout or create a file (refusing to clobber a source).
pub fn open_output(path: &Path) -> anyhow::Result<Box<dyn std::io::Write + Send>> {
    if path == Path::new("-") {
        return Ok(Box::new(std::io::stdout()));
    }
    let f = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(Box::new(f))
}

pub struct ScanConfig {
    pub sweep: SweepConfig,
    pub jsonl: Option<PathBuf>,
    pub reveal: bool,
}

/// `piisweep scan`: returns the exit status.
pub fn scan(cfg: &ScanConfig) -> anyhow::Result<i32> {
    let (engine, key, opts) = cfg.sweep.prepare(None)?;
    if let Some(out) = &cfg.jsonl
        && out != Path::new("-")
    {
        refuse_inside_roots(out, &cfg.sweep.paths, "--jsonl")?;
    }
    let mut jsonl = match &cfg.jsonl {
        Some(p) => Some(JsonlSink::new(open_output(p)?, cfg.reveal)),
        None => None,
    };
    let mut sinks: Vec<&mut (dyn Sink + Send)> = Vec::new();
    if let Some(j) = jsonl.as_mut() {
        sinks.push(j);
    }
    let summary = scan::run(&opts, &engine, &key, &mut sinks, None)?;
    finish(&summary, cfg.sweep.quiet, cfg.jsonl.is_none())
}

/// Print the summary and choose the exit status.
fn finish(summary: &Summary, quiet: bool, hint_jsonl: bool) -> anyhow::Result<i32> {
    if !quiet || summary.any_failed() {
        eprint!("{}", crate::report::summary_text(summary));
        if hint_jsonl && !quiet {
            eprintln!("(add --jsonl FILE to write each finding with its file and location)");
        }
    }
    Ok(if summary.any_failed() { EXIT_UNREADABLE } else { EXIT_OK })
}

/// Refuse an output path inside a scanned root: it would be swept next time,
/// and writing there could touch the sources.
pub fn refuse_inside_roots(out: &Path, roots: &[PathBuf], flag: &str) -> anyhow::Result<()> {
    let out_abs = absolute(out);
    for r in roots {
        let r_abs = absolute(r);
        if out_abs.starts_with(&r_abs) && r_abs.is_dir() {
            bail!(UsageError(format!(
                "{flag} {} is inside the scanned folder {}: choose a place outside it",
                out.display(),
                r.display()
            )));
        }
    }
    Ok(())
}

/// An absolute, `..`-free form of a path that may not exist yet.
pub fn absolute(p: &Path) -> PathBuf {
    let base = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    // Canonicalise the longest existing ancestor so symlinked roots compare equal.
    let mut existing = base.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or_else(|_| existing.to_path_buf());
    for part in rest.iter().rev() {
        out.push(part);
    }
    out
}

pub struct EvalConfig {
    pub sweep: SweepConfig,
    pub truth: PathBuf,
    pub examples: usize,
    pub json: bool,
}

/// `piisweep eval`: scan, compare with the labels, print the table.
pub fn eval(cfg: &EvalConfig) -> anyhow::Result<i32> {
    let labels = crate::eval::read_labels(&cfg.truth).map_err(|e| UsageError(e.to_string()))?;
    let (engine, key, opts) = cfg.sweep.prepare(None)?;
    let mut collector = crate::eval::Collector::default();
    let summary = scan::run(&opts, &engine, &key, &mut [&mut collector], None)?;
    let scores = crate::eval::evaluate(&labels, &collector.found).map_err(|e| UsageError(e.to_string()))?;
    if cfg.json {
        let rows: serde_json::Map<String, serde_json::Value> = scores
            .iter()
            .map(|(c, s)| {
                let v = serde_json::json!({"tp": s.tp, "fp": s.fp, "fn": s.fn_, "precision": s.precision(), "recall": s.recall(), "f1": s.f1()});
                (c.as_str().to_string(), v)
            })
            .collect();
        println!("{}", serde_json::Value::Object(rows));
    } else {
        print!("{}", crate::eval::table(&scores, cfg.examples));
    }
    finish(&summary, true, false)
}
