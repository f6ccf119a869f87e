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
/// Exit status (`anonymise`): the re-scan of the copies still finds a
/// category the policy says must be removed.
pub const EXIT_RESIDUAL: i32 = 4;

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
    /// Record the sweep in this data map (SQLite).
    pub map: Option<PathBuf>,
    /// If another sweep is writing the map, fail (exit 2) instead of waiting.
    pub no_wait: bool,
}

/// `piisweep scan`: returns the exit status.
pub fn scan(cfg: &ScanConfig) -> anyhow::Result<i32> {
    let (engine, key, opts) = cfg.sweep.prepare(cfg.map.as_deref().map(map_dir).as_deref())?;
    if let Some(m) = &cfg.map {
        refuse_inside_roots(m, &cfg.sweep.paths, "--map")?;
    }
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
    scan::stop_on_ctrl_c();
    let Some(map_path) = &cfg.map else {
        let summary = scan::run(&opts, &engine, &key, &mut sinks, None)?;
        return finish(&summary, cfg.sweep.quiet, cfg.jsonl.is_none());
    };
    let map_started = std::time::Instant::now();
    let wait = if cfg.no_wait { crate::map::lock::Wait::No } else { crate::map::lock::Wait::Yes };
    let _lock = crate::map::lock::lock(map_path, wait, &mut |m| eprintln!("{m}"))?;
    let map = crate::map::Map::create_or_open(map_path)?;
    let settings = crate::map::settings_fingerprint(&engine, opts.min_confidence, opts.limits.max_file_size);
    // Findings rebuilt from the map have no plain values unless it was written with --reveal.
    let reuse_ok = !(cfg.jsonl.is_some() && cfg.reveal);
    let (mut map_sink, mut reuse) = crate::map::MapSink::start(&map, &key, &opts.roots, &settings, cfg.reveal)?;
    // Without --jsonl, nothing needs an unchanged file's findings: they stay in the map.
    reuse.hand_on_findings(cfg.jsonl.is_some());
    let map_opening = map_started.elapsed();
    let check = |e: &crate::walk::FileEntry, out: scan::Batches<'_>| reuse.check(e, out);
    sinks.push(&mut map_sink);
    let summary = scan::run(&opts, &engine, &key, &mut sinks, reuse_ok.then_some(&check as &scan::FileFilter<'_>))?;
    drop(sinks);
    let map_time = map_opening + summary.sink_time.last().copied().unwrap_or_default();
    let c = map_sink.counts;
    if summary.stopped {
        eprintln!(
            "Stopped: {} of {} files done and recorded in the data map {} ({} read, {} unchanged); \
             files being read when stopped are not recorded as done.",
            summary.files_done,
            summary.files_total,
            map_path.display(),
            c.read,
            c.reused
        );
        eprintln!("To resume, run the same command again: files already done are not read again.");
        if cfg.jsonl.is_some() {
            eprintln!(
                "The --jsonl output is complete up to the stop (every line whole); the next run writes it all again."
            );
        }
        scan::exit_as_interrupted();
    }
    if !cfg.sweep.quiet {
        eprintln!(
            "data map {}: {} files read, {} unchanged (not read again), {} gone since the last sweep; \
             {:.1} s of the sweep's {:.1} s went on the map",
            map_path.display(),
            c.read,
            c.reused,
            c.gone,
            map_time.as_secs_f64(),
            (summary.elapsed + map_opening).as_secs_f64()
        );
    }
    finish(&summary, cfg.sweep.quiet, false)
}

/// The folder holding a map (where its key lives by default).
pub fn map_dir(map: &Path) -> PathBuf {
    match map.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Print the summary and choose the exit status.
fn finish(summary: &Summary, quiet: bool, hint_jsonl: bool) -> anyhow::Result<i32> {
    if summary.stopped {
        eprintln!(
            "Stopped: {} of {} files done; the output is complete up to the stop (every line whole). \
             Run the same command again to sweep everything (with --map, files already done are not read again).",
            summary.files_done, summary.files_total
        );
        scan::exit_as_interrupted();
    }
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
    /// Score these findings (JSON Lines with `value`, from any tool) instead of scanning.
    pub findings: Option<PathBuf>,
    pub truth: PathBuf,
    pub examples: usize,
    pub json: bool,
}

/// `piisweep eval`: scan, compare with the labels, print the table.
pub fn eval(cfg: &EvalConfig) -> anyhow::Result<i32> {
    let labels = crate::eval::read_labels(&cfg.truth).map_err(|e| UsageError(e.to_string()))?;
    let mut collector = crate::eval::Collector::default();
    let summary = match &cfg.findings {
        Some(file) => {
            collector.found = crate::eval::read_findings(file).map_err(|e| UsageError(e.to_string()))?;
            None
        }
        None => {
            let (engine, key, opts) = cfg.sweep.prepare(None)?;
            Some(scan::run(&opts, &engine, &key, &mut [&mut collector], None)?)
        }
    };
    let scores = crate::eval::evaluate(&labels, &collector.found);
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
    match summary {
        Some(summary) => finish(&summary, true, false),
        None => Ok(EXIT_OK),
    }
}

pub struct ExtractConfig {
    pub sweep: SweepConfig,
    pub jsonl: Option<PathBuf>,
}

/// `piisweep extract`: the text piisweep reads from each file, as JSON Lines
/// `{"path", "location", "context", "text"}`, one per segment. Shows what
/// detection sees; also feeds other tools the same text for comparison.
pub fn extract(cfg: &ExtractConfig) -> anyhow::Result<i32> {
    let walked = crate::walk::walk(
        &cfg.sweep.paths,
        &WalkOptions { follow_links: cfg.sweep.follow_links, exclude: cfg.sweep.exclude.clone() },
    )?;
    let out = open_output(cfg.jsonl.as_deref().unwrap_or(Path::new("-")))?;
    struct Writer(std::io::BufWriter<Box<dyn std::io::Write + Send>>, Option<std::io::Error>);
    impl scan::SegmentHandler for Writer {
        fn segment(&mut self, path: &str, seg: &crate::extract::Segment<'_>) {
            let line = serde_json::json!({"path": path, "location": seg.loc.at(seg.text, 0), "context": seg.context, "text": seg.text});
            let written = serde_json::to_writer(&mut self.0, &line)
                .map_err(std::io::Error::from)
                .and_then(|()| std::io::Write::write_all(&mut self.0, b"\n"));
            if let Err(e) = written {
                self.1.get_or_insert(e);
            }
        }
    }
    let limits = Limits { max_file_size: cfg.sweep.max_file_size, ..Limits::default() };
    let mut writer = Writer(std::io::BufWriter::new(out), None);
    let mut failed = !walked.passed.iter().all(|p| !p.failed);
    for entry in &walked.files {
        let (report, w) = scan::read_file(entry, &limits, writer);
        writer = w;
        failed |= report.any_failed();
        if let scan::Status::Failed(why) | scan::Status::Skipped(why) = &report.status {
            eprintln!("{}: {why}", report.path);
        }
    }
    std::io::Write::flush(&mut writer.0)?;
    if let Some(e) = writer.1 {
        return Err(anyhow::anyhow!("could not write the text: {e}"));
    }
    Ok(if failed { EXIT_UNREADABLE } else { EXIT_OK })
}

/// Where `map` and `sar` find the key: `--key`, else beside the map. It must exist.
fn existing_key(map: &Path, key: Option<&Path>) -> anyhow::Result<Key> {
    let path = key.map_or_else(|| map_dir(map).join(DEFAULT_KEY_FILE), Path::to_path_buf);
    if !path.is_file() {
        return Err(UsageError(format!(
            "no key file at {}: give the key the map was made with (--key FILE)",
            path.display()
        ))
        .into());
    }
    Ok(Key::load_or_create(&path)?)
}

pub struct MapConfig {
    pub map: PathBuf,
    /// `folder`, `type` or `category`.
    pub by: String,
    /// Retention limit, e.g. `7y`, `12m`.
    pub older_than: String,
    /// `table`, `csv`, `json` or `html`.
    pub format: String,
}

/// `piisweep map`: report where personal data lives.
pub fn map(cfg: &MapConfig) -> anyhow::Result<i32> {
    use crate::map::report;
    let by = report::By::parse(&cfg.by)
        .ok_or_else(|| UsageError(format!("--by {}: use folder, type or category", cfg.by)))?;
    let age = report::Age::parse(&cfg.older_than).map_err(UsageError)?;
    let map = crate::map::Map::open_existing(&cfg.map)?;
    let r = report::build(&map.conn, &cfg.map, by, age)?;
    let out = match cfg.format.as_str() {
        "table" => report::table(&r),
        "csv" => report::csv(&r)?,
        "json" => serde_json::to_string_pretty(&r)? + "\n",
        "html" => report::html(&r),
        f => return Err(UsageError(format!("--format {f}: use table, csv, json or html")).into()),
    };
    print!("{out}");
    Ok(EXIT_OK)
}

pub struct SarConfig {
    pub map: PathBuf,
    pub key: Option<PathBuf>,
    pub subject: crate::sar::Subject,
    /// `table` or `json`.
    pub format: String,
    pub bundle: Option<PathBuf>,
    pub force: bool,
    pub redact_others: bool,
    pub rules: Option<PathBuf>,
}

/// `piisweep sar`: find one person in the map, and optionally write a bundle.
pub fn sar(cfg: &SarConfig) -> anyhow::Result<i32> {
    let map = crate::map::Map::open_existing(&cfg.map)?;
    let key = existing_key(&cfg.map, cfg.key.as_deref())?;
    map.check_key(&key)?;
    let query = crate::sar::Query::new(&cfg.subject, &key);
    if query.is_empty() {
        bail!(UsageError(
            "say whom to look for: --name and/or --dob, --nino, --email, --phone, --postcode, --nhs".into()
        ));
    }
    if let Some(dir) = &cfg.bundle {
        refuse_inside_roots(dir, &map.roots()?, "--bundle")?;
        let non_empty = std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(false);
        if non_empty && !cfg.force {
            bail!(UsageError(format!(
                "--bundle {} already holds files: choose an empty or new folder, or add --force",
                dir.display()
            )));
        }
    }
    let matches = crate::sar::search(&map.conn, &query)?;
    match cfg.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&matches)?),
        "table" => print!("{}", crate::sar::table(&matches)),
        f => return Err(UsageError(format!("--format {f}: use table or json")).into()),
    }
    if let Some(dir) = &cfg.bundle {
        let engine = Engine::new(load_rules(cfg.rules.as_deref())?);
        let opts =
            crate::sar::bundle::BundleOptions { dir, redact_others: cfg.redact_others, limits: Limits::default() };
        let index = crate::sar::bundle::write(&matches, &query, &key, &engine, &opts)?;
        eprintln!("bundle written to {}: {} places; open index.html (or index.csv) there", dir.display(), index.len());
    }
    Ok(EXIT_OK)
}

pub struct AnonymiseConfig {
    pub sweep: SweepConfig,
    pub out: PathBuf,
    pub policy: Option<PathBuf>,
    pub force: bool,
}

/// `piisweep anonymise`: write anonymised copies under `--out`, re-scan
/// them, print the summary; returns the exit status (4 when a must-remove
/// category is still found, 3 when some copies could not be written).
pub fn anonymise(cfg: &AnonymiseConfig) -> anyhow::Result<i32> {
    use crate::anonymise::{self as anon, Anonymiser, Policy, RunOptions};
    let policy = match &cfg.policy {
        Some(p) => Policy::load(p).map_err(UsageError)?,
        None => Policy::builtin(),
    };
    refuse_inside_roots(&cfg.out, &cfg.sweep.paths, "--out")?;
    let (engine, key, opts) = cfg.sweep.prepare(None)?;
    let anonymiser = Anonymiser {
        engine: &engine,
        key: &key,
        policy: &policy,
        min_confidence: opts.min_confidence,
        limits: &opts.limits,
    };
    let run = RunOptions {
        roots: opts.roots.clone(),
        out: cfg.out.clone(),
        force: cfg.force,
        walk: opts.walk.clone(),
        threads: opts.threads,
    };
    let report = anon::run(&anonymiser, &run)?;
    if !cfg.sweep.quiet || report.must_remove_left > 0 || report.any_failed() {
        eprint!("{}", anon::verify::summary_text(&report));
    }
    Ok(if report.must_remove_left > 0 {
        EXIT_RESIDUAL
    } else if report.any_failed() {
        EXIT_UNREADABLE
    } else {
        EXIT_OK
    })
}
