//! What each subcommand does, given its already-parsed options: the glue
//! between the command line and the library. `main.rs` only parses the
//! command line and calls these; they return the exit status.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::exit::{EXIT_OK, EXIT_RESIDUAL, EXIT_UNREADABLE, exit_as_interrupted};
use piisweep::detect::{Engine, RuleSet};
use piisweep::error::BadRequest;
use piisweep::formats::Limits;
use piisweep::keys::{self, DEFAULT_KEY_FILE, Key};
use piisweep::outputs::{Output, Sources};
use piisweep::scan::{self, ScanOptions, Sink, Summary};
use piisweep::sink::JsonlSink;
use piisweep::walk::WalkOptions;

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
    /// The Tesseract executable for scans (`None`: `tesseract` on PATH).
    pub tesseract: Option<PathBuf>,
}

impl SweepConfig {
    /// The reading limits of this sweep (with its Tesseract).
    pub fn limits(&self) -> Limits {
        Limits { max_file_size: self.max_file_size, tesseract: self.tesseract.clone(), ..Limits::default() }
            .with_test_hooks()
    }

    /// Refuse, before anything is written, outputs that overlap the paths
    /// swept: `outputs` and the key file if it is to be created.
    pub fn refuse_overlaps(&self, map: Option<&Path>, outputs: &[Output<'_>]) -> anyhow::Result<()> {
        let key = keys::key_path(self.key.as_deref(), map);
        let mut all = vec![Output::Key { path: &key, explicit: self.key.is_some() }];
        all.extend_from_slice(outputs);
        self.refuse_overlaps_only(&all)
    }

    /// [`SweepConfig::refuse_overlaps`] for commands that use no key.
    pub fn refuse_overlaps_only(&self, outputs: &[Output<'_>]) -> anyhow::Result<()> {
        let mut sources = Sources::new(&self.paths);
        if self.follow_links {
            sources = sources.with_followed_links(&self.paths);
        }
        Ok(sources.check(outputs)?)
    }

    /// Check the paths exist, and load rules and key (the key of the data
    /// map `map`, when there is one: see [`load_key`]).
    pub fn prepare(&self, map: Option<&Path>) -> anyhow::Result<(Engine, Key, ScanOptions)> {
        for p in &self.paths {
            if std::fs::symlink_metadata(p).is_err() {
                return Err(BadRequest(format!(
                    "{} does not exist: check the path (put quotes around paths with spaces)",
                    p.display()
                ))
                .into());
            }
        }
        if let Err(e) = piisweep::walk::build_globs(&self.exclude) {
            return Err(BadRequest(format!("bad --exclude pattern: {e}")).into());
        }
        let engine = Engine::new(load_rules(self.rules.as_deref())?);
        let key = load_key(self.key.as_deref(), map, true)?;
        let limits = self.limits();
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
                piisweep::detect::RulesError::Read { .. } => {
                    "--rules takes a folder of readable UTF-8 .toml rule files (like the rules/ folder); \
                     check the path, or leave out --rules to use the built-in rules"
                }
                _ => "fix the file at the place shown, or leave out --rules to use the built-in rules",
            };
            BadRequest(format!("{e}\n{fix}")).into()
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
    /// Write the whole list of what was not read here (default: beside the
    /// `--jsonl` file, when that is a file).
    pub unread: Option<PathBuf>,
}

impl ScanConfig {
    /// Where the list of what was not read goes: `--unread`, else
    /// `piisweep-unread.csv` beside the `--jsonl` file, else nowhere.
    pub fn unread_path(&self) -> Option<PathBuf> {
        if let Some(u) = &self.unread {
            return Some(u.clone());
        }
        let jsonl = self.jsonl.as_ref().filter(|j| j.as_os_str() != "-")?;
        let dir = jsonl.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Some(dir.join(piisweep::report::UNREAD_FILE))
    }
}

/// Write the list of what was not read, if asked: a failure to write it is
/// an error, as for the other outputs.
fn write_unread(summary: &Summary, path: Option<&Path>) -> anyhow::Result<()> {
    if let Some(p) = path {
        piisweep::report::write_unread(summary, p).with_context(|| {
            format!(
                "could not write the list of files not read to {}: check the folder exists and is writable",
                p.display()
            )
        })?;
    }
    Ok(())
}

/// `piisweep scan`: returns the exit status.
pub fn scan(cfg: &ScanConfig) -> anyhow::Result<i32> {
    let mut outputs = Vec::new();
    if let Some(m) = &cfg.map {
        piisweep::outputs::check_map_file(m)?;
        // A PostgreSQL map is not a file: nothing to keep out of the sources.
        if map_file(m).is_some() {
            outputs.push(Output::Map(m));
        }
    }
    if let Some(j) = &cfg.jsonl {
        outputs.push(Output::File("--jsonl", j));
    }
    let unread = cfg.unread_path();
    if let Some(u) = &unread {
        outputs.push(Output::File("--unread", u));
    }
    let map_as_file = cfg.map.as_deref().and_then(map_file);
    cfg.sweep.refuse_overlaps(map_as_file, &outputs)?;
    let pg_target = match cfg.map.as_deref().filter(|m| map_file(m).is_none()).and_then(|m| m.to_str()) {
        Some(url) => Some(pg_map_for_sweep(url, cfg.sweep.key.as_deref())?),
        None => None,
    };
    let (engine, key, opts) = cfg.sweep.prepare(map_as_file)?;
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
        write_unread(&summary, unread.as_deref())?;
        return finish_with(&summary, cfg.sweep.quiet, cfg.jsonl.is_none(), unread.as_deref());
    };
    let map_started = std::time::Instant::now();
    let shown = piisweep::map::reader::shown(map_path);
    let settings = piisweep::map::settings_fingerprint(&engine, opts.min_confidence, opts.limits.max_file_size);
    // Findings rebuilt from the map have no plain values unless it was written with --reveal.
    let reuse_ok = !(cfg.jsonl.is_some() && cfg.reveal);
    let (summary, c, map_opening) = if let Some(target) = &pg_target {
        let (mut map_sink, mut reuse) =
            piisweep::map::PgSink::start(target, &key, &opts.roots, &settings, cfg.reveal, !cfg.no_wait)?;
        reuse.hand_on_findings(cfg.jsonl.is_some());
        let map_opening = map_started.elapsed();
        let check = |e: &piisweep::walk::FileEntry, out: scan::Batches<'_>| reuse.check(e, out);
        sinks.push(&mut map_sink);
        let summary = scan::run(&opts, &engine, &key, &mut sinks, reuse_ok.then_some(&check as &scan::FileFilter<'_>))?;
        drop(sinks);
        (summary, map_sink.counts, map_opening)
    } else {
        let wait = if cfg.no_wait { piisweep::map::lock::Wait::No } else { piisweep::map::lock::Wait::Yes };
        let _lock = piisweep::map::lock::lock(map_path, wait, &mut |m| eprintln!("{m}"))?;
        let map = piisweep::map::Map::create_or_open(map_path)?;
        let (mut map_sink, mut reuse) = piisweep::map::MapSink::start(&map, &key, &opts.roots, &settings, cfg.reveal)?;
        // Without --jsonl, nothing needs an unchanged file's findings: they stay in the map.
        reuse.hand_on_findings(cfg.jsonl.is_some());
        let map_opening = map_started.elapsed();
        let check = |e: &piisweep::walk::FileEntry, out: scan::Batches<'_>| reuse.check(e, out);
        sinks.push(&mut map_sink);
        let summary = scan::run(&opts, &engine, &key, &mut sinks, reuse_ok.then_some(&check as &scan::FileFilter<'_>))?;
        drop(sinks);
        (summary, map_sink.counts, map_opening)
    };
    write_unread(&summary, unread.as_deref())?;
    let map_time = map_opening + summary.sink_time.last().copied().unwrap_or_default();
    if summary.stopped {
        eprintln!(
            "Stopped: {} of {} files done and recorded in the data map {} ({} read, {} unchanged); \
             files being read when stopped are not recorded as done.",
            summary.files_done, summary.files_total, shown, c.read, c.reused
        );
        eprintln!("To resume, run the same command again: files already done are not read again.");
        if cfg.jsonl.is_some() {
            eprintln!(
                "The --jsonl output is complete up to the stop (every line whole); the next run writes it all again."
            );
        }
        exit_as_interrupted();
    }
    if !cfg.sweep.quiet {
        eprintln!(
            "data map {}: {} files read, {} unchanged (not read again), {} gone since the last sweep; \
             {:.1} s of the sweep's {:.1} s went on the map",
            shown,
            c.read,
            c.reused,
            c.gone,
            map_time.as_secs_f64(),
            (summary.elapsed + map_opening).as_secs_f64()
        );
    }
    finish_with(&summary, cfg.sweep.quiet, false, unread.as_deref())
}

/// The PostgreSQL map a sweep writes, checked before any key is made: a
/// node without a key file, writing a map that records one, is refused
/// (piisweep will not make a second key the map would refuse anyway).
fn pg_map_for_sweep(url: &str, explicit_key: Option<&Path>) -> anyhow::Result<piisweep::map::pg::Target> {
    let target = piisweep::map::pg::Target::from_url(url)?;
    let key = keys::key_path(explicit_key, None);
    if !key.is_file() && piisweep::map::pgsink::recorded_key_check(&target)?.is_some() {
        bail!(BadRequest(format!(
            "there is no key file at {}, and the data map {target} was made with a key: give every node the same key file with --key (see \"Several scanner nodes\" in the README)",
            key.display()
        )));
    }
    Ok(target)
}

/// Print the summary and choose the exit status.
fn finish(summary: &Summary, quiet: bool, hint_jsonl: bool) -> anyhow::Result<i32> {
    finish_with(summary, quiet, hint_jsonl, None)
}

/// [`finish`], the summary naming `unread`, the list of what was not read.
fn finish_with(summary: &Summary, quiet: bool, hint_jsonl: bool, unread: Option<&Path>) -> anyhow::Result<i32> {
    if summary.stopped {
        eprintln!(
            "Stopped: {} of {} files done; the output is complete up to the stop (every line whole). \
             Run the same command again to sweep everything (with --map, files already done are not read again).",
            summary.files_done, summary.files_total
        );
        exit_as_interrupted();
    }
    if !quiet || summary.any_failed() {
        eprint!("{}", piisweep::report::summary_text_with(summary, unread));
        if hint_jsonl && !quiet {
            eprintln!("(add --jsonl FILE to write each finding with its file and location)");
        }
    }
    Ok(if summary.any_failed() { EXIT_UNREADABLE } else { EXIT_OK })
}

/// An absolute form of a path that may not exist yet, links and `..` resolved.
pub fn absolute(p: &Path) -> PathBuf {
    piisweep::outputs::resolve(p)
}

/// The key for a command, found by the one rule of [`keys::key_path`]
/// (`--key`, else beside the map, else `piisweep.key` here).
///
/// When the data map `map` records the key it was made with, only that key
/// is accepted and no key is created: a different or missing key is refused,
/// naming the key file that matches if one of the usual places holds it.
/// Otherwise the key is created if `create`, else it must exist.
pub fn load_key(explicit: Option<&Path>, map: Option<&Path>, create: bool) -> anyhow::Result<Key> {
    let path = keys::key_path(explicit, map);
    let recorded = match map {
        Some(m) => piisweep::map::recorded_key_check_at(m)?,
        None => None,
    };
    let (Some(check), Some(map)) = (recorded, map) else {
        if create {
            return Ok(Key::load_or_create(&path)?);
        }
        if !path.is_file() {
            bail!(BadRequest(format!(
                "no key file at {}: give the key the map was made with (--key FILE)",
                path.display()
            )));
        }
        return Ok(Key::load(&path)?);
    };
    let exists = path.is_file();
    if exists && piisweep::map::key_check(&Key::load(&path)?) == check {
        return Ok(Key::load(&path)?);
    }
    // Which of the usual places holds the map's key?
    let mut places: Vec<PathBuf> = Vec::new();
    for p in explicit.map(Path::to_path_buf).into_iter().chain([keys::beside(map), PathBuf::from(DEFAULT_KEY_FILE)]) {
        if !places.iter().any(|q| absolute(q) == absolute(&p)) {
            places.push(p);
        }
    }
    let matching =
        places.iter().find(|p| p.is_file() && Key::load(p).is_ok_and(|k| piisweep::map::key_check(&k) == check));
    let problem = if exists {
        format!("the key file {} is not the key the data map {} was made with", path.display(), map.display())
    } else {
        format!(
            "there is no key file at {}, and the data map {} was made with a key (piisweep will not make a second one)",
            path.display(),
            map.display()
        )
    };
    let fix = match matching {
        Some(p) => format!("{} is its key: give --key {}", p.display(), p.display()),
        None => {
            let list: Vec<String> = places.iter().map(|p| p.display().to_string()).collect();
            format!(
                "none of the usual places ({}) holds it: give --key with the key file the map was made with \
                 (restore it from a backup), or start a new map with --map NEWFILE",
                list.join(", ")
            )
        }
    };
    bail!(BadRequest(format!("{problem}. {fix}")))
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
    let labels = piisweep::eval::read_labels(&cfg.truth).map_err(|e| BadRequest(e.to_string()))?;
    let mut collector = piisweep::eval::Collector::default();
    let summary = match &cfg.findings {
        Some(file) => {
            collector.found = piisweep::eval::read_findings(file).map_err(|e| BadRequest(e.to_string()))?;
            None
        }
        None => {
            cfg.sweep.refuse_overlaps(None, &[])?;
            let (engine, key, opts) = cfg.sweep.prepare(None)?;
            Some(scan::run(&opts, &engine, &key, &mut [&mut collector], None)?)
        }
    };
    let scores = piisweep::eval::evaluate(&labels, &collector.found);
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
        print!("{}", piisweep::eval::table(&scores, cfg.examples));
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
    if let Some(j) = &cfg.jsonl {
        cfg.sweep.refuse_overlaps_only(&[Output::File("--jsonl", j)])?;
    }
    let walked = piisweep::walk::walk(
        &cfg.sweep.paths,
        &WalkOptions { follow_links: cfg.sweep.follow_links, exclude: cfg.sweep.exclude.clone() },
    )?;
    let out = open_output(cfg.jsonl.as_deref().unwrap_or(Path::new("-")))?;
    struct Writer(std::io::BufWriter<Box<dyn std::io::Write + Send>>, Option<std::io::Error>);
    impl scan::SegmentHandler for Writer {
        fn segment(&mut self, path: &str, seg: &piisweep::formats::Segment<'_>) {
            let line = serde_json::json!({"path": path, "location": seg.loc.at(seg.text, 0), "context": seg.context, "text": seg.text});
            let written = serde_json::to_writer(&mut self.0, &line)
                .map_err(std::io::Error::from)
                .and_then(|()| std::io::Write::write_all(&mut self.0, b"\n"));
            if let Err(e) = written {
                self.1.get_or_insert(e);
            }
        }
    }
    let limits = cfg.sweep.limits();
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
    use piisweep::map::report;
    let by = report::By::parse(&cfg.by)
        .ok_or_else(|| BadRequest(format!("--by {}: use folder, type or category", cfg.by)))?;
    let age = report::Age::parse(&cfg.older_than).map_err(BadRequest)?;
    piisweep::outputs::check_map_path(&cfg.map)?;
    let mut map = open_map_to_read(&cfg.map)?;
    let name = map.name();
    let r = report::build_db(&mut map.db(), &name, by, age)?;
    let out = match cfg.format.as_str() {
        "table" => report::table(&r),
        "csv" => report::csv(&r)?,
        "json" => serde_json::to_string_pretty(&r)? + "\n",
        "html" => report::html(&r),
        f => return Err(BadRequest(format!("--format {f}: use table, csv, json or html")).into()),
    };
    print!("{out}");
    Ok(EXIT_OK)
}

pub struct SarConfig {
    pub map: PathBuf,
    pub key: Option<PathBuf>,
    pub subject: piisweep::sar::Subject,
    /// `table` or `json`.
    pub format: String,
    pub bundle: Option<PathBuf>,
    pub force: bool,
    pub redact_others: bool,
    pub rules: Option<PathBuf>,
    /// When the request was received (day first); default today.
    pub received: Option<String>,
}

/// `piisweep sar`: find one person in the map, and optionally write a
/// bundle. Exit status 4 when the re-scan of a redacted bundle still finds
/// other people's data, 3 when some files could not be searched.
pub fn sar(cfg: &SarConfig) -> anyhow::Result<i32> {
    piisweep::outputs::check_map_path(&cfg.map)?;
    cfg.subject.check().map_err(BadRequest)?;
    let received = match &cfg.received {
        Some(r) => piisweep::sar::check_date(r, "--received").map_err(BadRequest)?,
        None => chrono::Local::now().date_naive(),
    };
    let mut map = open_map_to_read(&cfg.map)?;
    let key = load_key(cfg.key.as_deref(), map_file(&cfg.map), false)?;
    map.check_key(&key)?;
    let query = piisweep::sar::Query::new(&cfg.subject, &key);
    if query.is_empty() {
        bail!(BadRequest(
            "say whom to look for: --name and/or --dob, --nino, --email, --phone, --postcode, --nhs".into()
        ));
    }
    if cfg.format != "json" && cfg.format != "table" {
        bail!(BadRequest(format!("--format {}: use table or json", cfg.format)));
    }
    if let Some(dir) = &cfg.bundle {
        Sources::new(&map.roots()?).check(&[Output::Folder("--bundle", dir)])?;
        if piisweep::outputs::prepare_folder("--bundle", dir, cfg.force)? {
            if !cfg.force {
                bail!(BadRequest(format!(
                    "--bundle {} already holds a bundle: add --force to replace it, or choose a new folder",
                    dir.display()
                )));
            }
            piisweep::outputs::remove_earlier(dir, &["files", "index.csv", "index.html"])?;
        }
    }
    let matches = piisweep::sar::search_db(&mut map.db(), &query)?;
    let unsearched = piisweep::sar::unsearched_db(&mut map.db())?;
    let request = piisweep::sar::bundle::Request {
        whose: cfg.subject.whose(),
        searched: cfg.subject.described(),
        received,
        deadline: piisweep::sar::deadline(received),
        unsearched,
    };
    let due = format!(
        "Request received {}: the reply is due by {} (one calendar month).",
        request.received.format("%-d %B %Y"),
        request.deadline.format("%-d %B %Y")
    );
    if cfg.format == "json" {
        let out = serde_json::json!({
            "request": request.whose,
            "searched": request.searched,
            "received": request.received.to_string(),
            "deadline": request.deadline.to_string(),
            "matches": matches,
            "unsearched": request.unsearched,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", piisweep::sar::table(&matches, &cfg.subject, &request.unsearched));
        println!("\n{due}");
    }
    let mut status = if request.unsearched.is_empty() { EXIT_OK } else { EXIT_UNREADABLE };
    if let Some(dir) = &cfg.bundle {
        let engine = Engine::new(load_rules(cfg.rules.as_deref())?);
        let opts = piisweep::sar::bundle::BundleOptions {
            dir,
            redact_others: cfg.redact_others,
            limits: Limits::default().with_test_hooks(),
            min_confidence: 0.5,
            request: &request,
        };
        let report = piisweep::sar::bundle::write(&matches, &query, &key, &engine, &opts)?;
        eprintln!(
            "bundle written to {}: {} files; open index.html (or index.csv) there",
            dir.display(),
            report.rows.len()
        );
        if report.review > 0 {
            eprintln!(
                "{} files could not be redacted and were not copied: the index lists them for manual review",
                report.review
            );
        }
        if report.residual_total > 0 {
            eprintln!(
                "the re-scan of the bundle still finds {} items of other people's data: remove them before sending it",
                report.residual_total
            );
            for r in report.residual.iter().take(20) {
                eprintln!("  {} {}: {} {}", r.copy, r.location, r.category, r.masked);
            }
            status = EXIT_RESIDUAL;
        }
    }
    if !request.unsearched.is_empty() {
        eprintln!(
            "{} files or parts could not be searched (listed above): the person may be in them",
            request.unsearched.len()
        );
    }
    Ok(status)
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
    use piisweep::anonymise::{self as anon, Anonymiser, Policy, RunOptions};
    let policy = match &cfg.policy {
        Some(p) => Policy::load(p).map_err(BadRequest)?,
        None => Policy::builtin(),
    };
    cfg.sweep.refuse_overlaps(None, &[Output::Folder("--out", &cfg.out)])?;
    let (engine, key, opts) = cfg.sweep.prepare(None)?;
    piisweep::outputs::prepare_folder("--out", &cfg.out, cfg.force)?;
    let anonymiser = Anonymiser {
        engine: &engine,
        key: &key,
        policy: &policy,
        min_confidence: opts.min_confidence,
        limits: &opts.limits,
        keep: None,
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

pub struct ServeConfig {
    pub map: PathBuf,
    pub key: Option<PathBuf>,
    pub roots: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    pub port: u16,
    pub listen: Option<std::net::IpAddr>,
    pub no_open: bool,
    pub rules: Option<PathBuf>,
}

/// `piisweep serve`: check the map, key and folders, then serve the page
/// until stopped (Ctrl-C).
pub fn serve(cfg: ServeConfig) -> anyhow::Result<i32> {
    piisweep::outputs::check_map_path(&cfg.map)?;
    let mut map = open_map_to_read(&cfg.map)?;
    let key = load_key(cfg.key.as_deref(), map_file(&cfg.map), false)?;
    map.check_key(&key)?;
    let swept = map.roots()?;
    drop(map);
    // Beside a map file; in the working folder for a PostgreSQL map.
    let out = cfg.out.clone().unwrap_or_else(|| {
        let dir = map_file(&cfg.map).and_then(Path::parent).filter(|d| !d.as_os_str().is_empty());
        dir.unwrap_or(Path::new(".")).join("piisweep-web")
    });
    // Bundles and copies never go inside a folder staff may export or the map's sweeps read.
    Sources::new(&[cfg.roots.clone(), swept].concat()).check(&[Output::Folder("--out", &out)])?;
    let ip = cfg.listen.unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    if !ip.is_loopback() {
        eprintln!(
            "warning: --listen {ip}: other computers on the network can reach this page (they still need the \
             link's token). Leave out --listen unless you need that, and only on a network you trust."
        );
    }
    piisweep::serve::run(piisweep::serve::Config {
        map: cfg.map,
        key,
        engine: Engine::new(load_rules(cfg.rules.as_deref())?),
        roots: cfg.roots,
        out,
        listen: std::net::SocketAddr::new(ip, cfg.port),
        open_browser: !cfg.no_open,
    })?;
    Ok(EXIT_OK)
}

/// `--map` if it is a file (not a PostgreSQL URL): where the key is looked
/// for by default (beside it), and the web page's outputs go.
fn map_file(map: &Path) -> Option<&Path> {
    (!piisweep::map::reader::is_url(map)).then_some(map)
}

/// Open a map for `map`, `sar` or `serve` (a file or a PostgreSQL URL),
/// telling the user what they must know about it as found (a sweep still
/// writing it, search indexes missing).
fn open_map_to_read(path: &std::path::Path) -> anyhow::Result<piisweep::map::reader::Reader> {
    let map = piisweep::map::reader::Reader::open(path)?;
    for note in map.notes() {
        eprintln!("note: {note}");
    }
    Ok(map)
}
