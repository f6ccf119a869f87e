//! The `piisweep` command line: parsing only, then each command's glue in
//! [`cli::commands`]; the work is in the library, exit statuses in [`cli::exit`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

mod cli;

use cli::commands::{
    self, AnonymiseConfig, EvalConfig, ExtractConfig, MapConfig, SarConfig, ScanConfig, ServeConfig, SweepConfig,
};
use cli::exit::EXIT_STATUS;

#[derive(Parser)]
#[command(
    name = "piisweep",
    version,
    about = "Find, map and remove personal data in a charity's files",
    long_about = None,
    after_help = EXIT_STATUS
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sweep folders and files for personal data.
    #[command(after_help = EXIT_STATUS)]
    Scan {
        /// Folders or files to sweep.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        sweep: SweepArgs,
        /// Write findings as JSON Lines to FILE (`-` for standard output).
        #[arg(long, value_name = "FILE")]
        jsonl: Option<PathBuf>,
        /// Include the values found in the output (masked otherwise).
        #[arg(long)]
        reveal: bool,
        /// Record the sweep in a data map (SQLite; default piisweep.db). Rescans
        /// only read changed files. Write `--map=FILE` or put it after the folders.
        #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "piisweep.db")]
        map: Option<PathBuf>,
        /// If another sweep is writing the same data map, stop at once (exit
        /// status 2) instead of waiting for it to finish.
        #[arg(long, requires = "map")]
        no_wait: bool,
        /// Write every file and part not read (skipped, failed, or with a
        /// warning), with the reason, to FILE as CSV. Default: piisweep-unread.csv
        /// beside the --jsonl file.
        #[arg(long, value_name = "FILE")]
        unread: Option<PathBuf>,
    },
    /// Measure accuracy: scan, then compare with labelled truth (precision, recall, F1 per category).
    #[command(after_help = EXIT_STATUS)]
    Eval {
        /// Labels as JSON Lines: {"path": ..., "category": ..., "value": ...} per planted item.
        #[arg(long, value_name = "LABELS.jsonl")]
        truth: PathBuf,
        /// Score these findings (JSON Lines with values, e.g. from another tool) instead of scanning PATH.
        #[arg(long, value_name = "FINDINGS.jsonl")]
        findings: Option<PathBuf>,
        /// Folders or files to sweep (not needed with --findings).
        #[arg(required_unless_present = "findings", value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        sweep: SweepArgs,
        /// How many misses and false alarms to list per category.
        #[arg(long, value_name = "N", default_value_t = 5)]
        examples: usize,
        /// Print the scores as one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show where personal data lives, from the data map: counts by folder, type or
    /// category, the files with the most, and files past a retention limit.
    #[command(after_help = EXIT_STATUS)]
    Map {
        /// The data map written by `scan --map`: a file, or a PostgreSQL database
        /// (postgresql://user@host:port/database).
        #[arg(long, value_name = "FILE|URL", default_value = "piisweep.db")]
        map: PathBuf,
        /// Group the counts by folder, type (file type) or category.
        #[arg(long, value_name = "WHAT", default_value = "folder", value_parser = ["folder", "type", "category"])]
        by: String,
        /// Retention limit: list files with personal data last modified before it
        /// (e.g. 12m for unsuccessful job applicants, 2y for complaints, 7y by default).
        #[arg(long, value_name = "AGE", default_value = "7y")]
        older_than: String,
        /// Output as table, csv, json or html (one self-contained page with a chart).
        #[arg(long, value_name = "FORMAT", default_value = "table", value_parser = ["table", "csv", "json", "html"])]
        format: String,
    },
    /// Subject access request: find every file and place in the data map that
    /// mentions one person (by keyed hashes), strongest first, and say why.
    #[command(after_help = EXIT_STATUS)]
    Sar {
        /// The data map written by `scan --map`: a file, or a PostgreSQL database
        /// (postgresql://user@host:port/database).
        #[arg(long, value_name = "FILE|URL", default_value = "piisweep.db")]
        map: PathBuf,
        /// Key the map was made with (default: piisweep.key beside the map file;
        /// in the working folder for a PostgreSQL map).
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// The person's name, e.g. "Jane Roberts" (finds Mrs Roberts, J. Roberts, "Roberts, Jane"...).
        #[arg(long)]
        name: Option<String>,
        /// Date of birth, e.g. 12/03/1985 (repeatable, like the options below).
        #[arg(long)]
        dob: Vec<String>,
        /// National Insurance number.
        #[arg(long)]
        nino: Vec<String>,
        /// Email address.
        #[arg(long)]
        email: Vec<String>,
        /// Phone number.
        #[arg(long)]
        phone: Vec<String>,
        /// Postcode.
        #[arg(long)]
        postcode: Vec<String>,
        /// NHS number.
        #[arg(long)]
        nhs: Vec<String>,
        /// Output as table or json.
        #[arg(long, value_name = "FORMAT", default_value = "table", value_parser = ["table", "json"])]
        format: String,
        /// Write a bundle into DIR: copies of each matching document or part, the
        /// person's spreadsheet rows as CSV, and an index (index.html, index.csv).
        #[arg(long, value_name = "DIR")]
        bundle: Option<PathBuf>,
        /// Replace an earlier bundle in DIR (a folder holding other files is refused).
        #[arg(long)]
        force: bool,
        /// Redact other people's personal data in every copy (with the anonymise
        /// writers), keep the person's own, and scan the copies again (exit status 4
        /// if other people's data remains). Files that cannot be redacted are listed
        /// for manual review, not copied.
        #[arg(long)]
        redact_others: bool,
        /// When the request was received, day first (default today): the index
        /// gives the deadline, one calendar month later.
        #[arg(long, value_name = "DATE")]
        received: Option<String>,
        /// Rules for --redact-others (default: the built-in ones).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
    /// Print the text piisweep reads from each file (JSON Lines: path, location, context, text).
    #[command(after_help = EXIT_STATUS)]
    Extract {
        /// Folders or files to sweep.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        sweep: SweepArgs,
        /// Write to FILE instead of standard output.
        #[arg(long, value_name = "FILE")]
        jsonl: Option<PathBuf>,
    },
    /// Write anonymised copies of files (same formats) into a mirror tree, then
    /// re-scan the copies. Exit status 4 if a must-remove category remains.
    #[command(after_help = EXIT_STATUS)]
    Anonymise {
        /// Folders or files to sweep.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        sweep: SweepArgs,
        /// Folder for the copies: new or empty (or piisweep's earlier output), outside the folders swept.
        #[arg(long, value_name = "DIR", required = true)]
        out: PathBuf,
        /// Anonymisation policy (TOML); default: the shipped council-sharing policy.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Replace copies piisweep wrote before in --out.
        #[arg(long)]
        force: bool,
    },
    /// Open a page in the browser for staff: subject access requests, anonymised
    /// exports, the data map and the audit trail. Serves this computer only
    /// (127.0.0.1); prints the link to open, with a fresh token each start.
    #[command(after_help = EXIT_STATUS)]
    Serve {
        /// The data map written by `scan --map`: a file, or a PostgreSQL database
        /// (postgresql://user@host:port/database).
        #[arg(long, value_name = "FILE|URL", default_value = "piisweep.db")]
        map: PathBuf,
        /// Key the map was made with (default: piisweep.key beside the map file;
        /// in the working folder for a PostgreSQL map).
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// A folder staff may export anonymised copies of (repeatable).
        #[arg(long, value_name = "DIR")]
        root: Vec<PathBuf>,
        /// Folder for bundles and anonymised copies (default: piisweep-web beside the map);
        /// outside the --root folders.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Port to listen on (default: any free port; the link printed says which).
        #[arg(long, value_name = "N", default_value_t = 0)]
        port: u16,
        /// Listen on ADDR instead of 127.0.0.1 (e.g. 0.0.0.0): other computers could
        /// then reach the page (they still need the token). Only on a network you trust.
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::IpAddr>,
        /// Do not open a browser; only print the link.
        #[arg(long)]
        no_open: bool,
        /// Rules for redaction and the checks of the copies (default: the built-in ones).
        #[arg(long, value_name = "DIR")]
        rules: Option<PathBuf>,
    },
}

#[derive(Args)]
struct SweepArgs {
    /// Use the rules in DIR instead of the built-in ones (see the rules/ folder).
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
    /// Worker threads (default: one per CPU core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
    /// Leave out paths matching GLOB (repeatable), e.g. --exclude '*.tmp' --exclude 'Archive/**'.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Skip files read whole (office, PDF, zip, mail message) larger than SIZE (e.g. 500MB, 2GB); text, CSV and mbox are streamed at any size.
    #[arg(long, value_name = "SIZE", default_value = "1GB", value_parser = parse_size)]
    max_file_size: u64,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(long)]
    follow_links: bool,
    /// No progress bar, and no summary unless something could not be read.
    #[arg(long, short)]
    quiet: bool,
    /// Key for the keyed hashes (created on first use, owner-only). Default: piisweep.key beside
    /// the --map file, else in the current folder.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Leave out findings less certain than this (0.0 to 1.0).
    #[arg(long, value_name = "X", default_value_t = 0.5, value_parser = parse_confidence, allow_negative_numbers = true)]
    min_confidence: f32,
    /// The Tesseract OCR program that reads scans and photos (default: `tesseract` on PATH).
    /// Without it, scans are listed as not read ("needs OCR").
    #[arg(long, value_name = "PATH")]
    tesseract: Option<PathBuf>,
}

impl SweepArgs {
    fn config(self, paths: Vec<PathBuf>) -> SweepConfig {
        SweepConfig {
            paths,
            rules: self.rules,
            threads: self.threads,
            exclude: self.exclude,
            max_file_size: self.max_file_size,
            follow_links: self.follow_links,
            quiet: self.quiet,
            key: self.key,
            min_confidence: self.min_confidence,
            tesseract: self.tesseract,
        }
    }
}

/// A confidence from 0 to 1; `90` is taken for the percentage it probably is.
fn parse_confidence(s: &str) -> Result<f32, String> {
    let x: f32 = s.trim().parse().map_err(|_| format!("{s:?} is not a number: give one from 0 to 1, e.g. 0.5"))?;
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else if x > 1.0 && x <= 100.0 {
        Err(format!("{s} looks like a percentage: give a number from 0 to 1, e.g. {}", x / 100.0))
    } else {
        Err(format!("{s} is out of range: give a number from 0 to 1, e.g. 0.5"))
    }
}

/// `500MB`, `2GB`, `100k`, `1048576` → bytes.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("{s:?} is not a size: use e.g. 500MB or 2GB"))?;
    let mult: u64 = match unit.trim() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        u => return Err(format!("unknown size unit {u:?}: use KB, MB or GB")),
    };
    Ok((n * mult as f64) as u64)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::exit::run_guarded(|| run(cli))
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    // For tests of the exit status after a bug only (not in the product).
    #[cfg(feature = "test-hooks")]
    if std::env::var_os("PIISWEEP_TEST_PANIC_IN_MAIN").is_some() {
        panic!("test panic (PIISWEEP_TEST_PANIC_IN_MAIN)");
    }
    match cli.command {
        Command::Scan { paths, sweep, jsonl, reveal, map, no_wait, unread } => {
            commands::scan(&ScanConfig { sweep: sweep.config(paths), jsonl, reveal, map, no_wait, unread })
        }
        Command::Eval { truth, findings, paths, sweep, examples, json } => {
            commands::eval(&EvalConfig { sweep: sweep.config(paths), findings, truth, examples, json })
        }
        Command::Extract { paths, sweep, jsonl } => {
            commands::extract(&ExtractConfig { sweep: sweep.config(paths), jsonl })
        }
        Command::Map { map, by, older_than, format } => commands::map(&MapConfig { map, by, older_than, format }),
        Command::Sar {
            map,
            key,
            name,
            dob,
            nino,
            email,
            phone,
            postcode,
            nhs,
            format,
            bundle,
            force,
            redact_others,
            received,
            rules,
        } => {
            let subject = piisweep::sar::Subject { name, dob, nino, email, phone, postcode, nhs };
            commands::sar(&SarConfig { map, key, subject, format, bundle, force, redact_others, rules, received })
        }
        Command::Serve { map, key, root, out, port, listen, no_open, rules } => {
            commands::serve(ServeConfig { map, key, roots: root, out, port, listen, no_open, rules })
        }
        Command::Anonymise { paths, sweep, out, policy, force } => {
            commands::anonymise(&AnonymiseConfig { sweep: sweep.config(paths), out, policy, force })
        }
    }
}
