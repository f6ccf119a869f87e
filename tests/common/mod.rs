//! Helpers shared by the integration tests: run the real binary.

#![allow(dead_code)]

pub mod corpus;
pub mod pg;
pub mod serve;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_piisweep"))
}

/// Run `piisweep scan ARGS --jsonl - --reveal --quiet --key <tmp>`.
pub fn scan_reveal(paths: &[&Path], extra: &[&str], key_dir: &Path) -> (Output, Vec<Value>) {
    let mut cmd = bin();
    cmd.arg("scan").args(paths).args(["--jsonl", "-", "--reveal", "--quiet", "--key"]).arg(key_dir.join("k.key"));
    cmd.args(extra);
    let out = cmd.output().expect("run piisweep");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect();
    (out, lines)
}

/// (path, location, category, value) of each finding.
pub fn quads(lines: &[Value]) -> BTreeSet<(String, String, String, String)> {
    lines
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("path"), s("location"), s("category"), s("value"))
        })
        .collect()
}

pub fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("read expected findings")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("valid JSON"))
        .collect()
}
