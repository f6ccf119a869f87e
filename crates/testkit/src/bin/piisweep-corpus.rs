//! `piisweep-corpus OUT_DIR [--seed N] [--scale N] [--special]`: writes a labelled
//! synthetic charity shared drive to OUT_DIR/drive and OUT_DIR/labels.jsonl.

use std::path::PathBuf;
use std::process::ExitCode;

use piisweep_testkit::corpus::{Options, generate};

const USAGE: &str = "usage: piisweep-corpus OUT_DIR [--seed N] [--scale N] [--special]";

/// Parses the arguments (after the program name).
fn parse(args: &[String]) -> Result<(PathBuf, Options), String> {
    let mut opts = Options::default();
    let mut out = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seed" | "--scale" => {
                let v = it.next().ok_or(format!("{a} needs a number"))?;
                let n: u64 = v.parse().map_err(|_| format!("{a}: not a number: {v}"))?;
                if a == "--seed" {
                    opts.seed = n;
                } else {
                    opts.scale = usize::try_from(n).map_err(|e| e.to_string())?.max(1);
                }
            }
            "--special" => opts.special = true,
            "-h" | "--help" => return Err(USAGE.into()),
            _ if out.is_none() && !a.starts_with('-') => out = Some(PathBuf::from(a)),
            _ => return Err(format!("unexpected argument: {a}\n{USAGE}")),
        }
    }
    Ok((out.ok_or(USAGE)?, opts))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, opts) = match parse(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match generate(&out, &opts) {
        Ok(labels) => {
            println!("wrote {} labels to {}", labels.len(), out.join("labels.jsonl").display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("piisweep-corpus: {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}
