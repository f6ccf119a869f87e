//! The library's layers point one way (issue #22): these tests read the
//! sources and fail when an import breaks a rule of CONTRIBUTING.md's layout.
//! Test code (`#[cfg(test)] mod tests`, `tests.rs`) is left out: tests may
//! reach across layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, with its text less its test module.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|x| x == "rs") && path.file_name().is_some_and(|n| n != "tests.rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, without_tests(&text).to_string()));
        }
    }
    out
}

/// The text before its `#[cfg(test)]` module.
fn without_tests(text: &str) -> &str {
    let mut from = 0;
    while let Some(i) = text[from..].find("#[cfg(test)]") {
        let at = from + i;
        if text[at..].trim_start_matches("#[cfg(test)]").trim_start().starts_with("mod ") {
            return &text[..at];
        }
        from = at + 1;
    }
    text
}

/// Lines that are code, not comments.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim_start().starts_with("//"))
}

/// The library's files: everything under src/ but the binary's.
fn library() -> Vec<(PathBuf, String)> {
    let src = src();
    sources(&src)
        .into_iter()
        .filter(|(p, _)| {
            p != &src.join("main.rs") && !p.starts_with(src.join("cli")) && !p.starts_with(src.join("bin"))
        })
        .collect()
}

#[test]
fn the_library_has_no_exit_codes_and_no_command_line() {
    let lib = library();
    assert!(lib.len() > 50, "found only {} library files under {}", lib.len(), src().display());
    let mut bad = Vec::new();
    for (path, text) in &lib {
        for line in code_lines(text) {
            for word in ["EXIT_", "UsageError", "ExitCode", "clap::", "crate::cli", "crate::commands"] {
                if line.contains(word) {
                    bad.push(format!("{}: {word}: {}", path.display(), line.trim()));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the library must leave exit codes and the command line to the binary:\n{}",
        bad.join("\n")
    );
}

#[test]
fn formats_and_detection_know_nothing_of_the_commands() {
    let above = ["scan", "map", "sar", "anonymise", "eval", "outputs", "sink", "report", "cli", "commands", "common"];
    let mut bad = Vec::new();
    for dir in ["detect", "formats"] {
        for (path, text) in sources(&src().join(dir)) {
            for line in code_lines(&text) {
                for m in above {
                    if line.contains(&format!("crate::{m}::")) || line.contains(&format!("crate::{m};")) {
                        bad.push(format!("{}: {}", path.display(), line.trim()));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "formats and detection must not use the modules above them:\n{}", bad.join("\n"));
}

#[test]
fn the_data_map_does_not_import_subject_access_requests() {
    let files = sources(&src().join("map"));
    assert!(!files.is_empty());
    let bad: Vec<String> = files
        .iter()
        .flat_map(|(path, text)| {
            code_lines(text)
                .filter(|l| l.contains("crate::sar"))
                .map(move |l| format!("{}: {}", path.display(), l.trim()))
        })
        .collect();
    assert!(bad.is_empty(), "map and sar share helpers through crate::common:\n{}", bad.join("\n"));
}

/// The modules of `detect` each file uses (`super::x`, `crate::detect::x`).
fn detect_graph() -> BTreeMap<String, BTreeSet<String>> {
    let dir = src().join("detect");
    let files = sources(&dir);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|(p, _)| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|m| m != "mod")
        .collect();
    let mut graph = BTreeMap::new();
    for (path, text) in &files {
        let me = path.file_stem().unwrap().to_string_lossy().into_owned();
        if me == "mod" {
            continue;
        }
        let mut uses = BTreeSet::new();
        for line in code_lines(text) {
            for prefix in ["super::", "crate::detect::"] {
                for (i, _) in line.match_indices(prefix) {
                    let rest = &line[i + prefix.len()..];
                    // `use super::{a, b::C}` names several.
                    let names: Vec<&str> = match rest.strip_prefix('{') {
                        Some(list) => list.split([',', '}']).map(|s| s.trim()).collect(),
                        None => vec![rest],
                    };
                    for name in names {
                        let word: String = name.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        if modules.contains(&word) && word != me {
                            uses.insert(word);
                        }
                    }
                }
            }
        }
        graph.insert(me, uses);
    }
    graph
}

#[test]
fn detect_has_no_import_cycle() {
    let graph = detect_graph();
    assert!(graph.contains_key("category") && graph.contains_key("validate") && graph.contains_key("rules"));
    // validate uses category and rules uses validate: the order this test guards.
    assert!(graph["rules"].contains("validate") && graph["validate"].contains("category"), "{graph:?}");
    // Depth-first search for a path back to where it started.
    fn visit<'g>(
        m: &'g str,
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'g str>,
        done: &mut BTreeSet<&'g str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| *p == m) {
            let mut cycle: Vec<String> = path[i..].iter().map(|s| s.to_string()).collect();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if !done.insert(m) {
            return None;
        }
        path.push(m);
        for next in graph.get(m).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in graph.keys() {
        if let Some(cycle) = visit(m, &graph, &mut Vec::new(), &mut done) {
            panic!("detect has an import cycle: {}", cycle.join(" -> "));
        }
    }
}

/// Locations travel typed from the readers to the outputs (issue #22 item
/// 3): nothing reads one back out of its text. Only `src/map/legacy.rs`
/// does, to convert maps older versions wrote, and only the map's store
/// (its conversions) uses it.
#[test]
fn nothing_reads_a_location_back_out_of_its_text() {
    let legacy = src().join("map").join("legacy.rs");
    let store = src().join("map").join("store.rs");
    let patterns = [
        "location.strip_prefix",
        "location.split",
        "location.rsplit",
        "location.find",
        "location.parse",
        "location.starts_with",
        "location.chars",
        "location.as_bytes",
        "strip_prefix(\"row ",
        "strip_prefix(\"line ",
        "strip_prefix(\"body line ",
        "strip_prefix(\"paragraph ",
        "strip_prefix(\"page ",
        "strip_prefix(\"header ",
        "rsplit_once('!')",
    ];
    let mut bad = Vec::new();
    let mut legacy_users = BTreeSet::new();
    for (path, text) in library() {
        if path == legacy {
            continue;
        }
        for line in code_lines(&text) {
            for p in patterns {
                if line.contains(p) {
                    bad.push(format!("{}: {}", path.display(), line.trim()));
                }
            }
            if line.contains("legacy::") {
                legacy_users.insert(path.clone());
            }
        }
    }
    assert!(bad.is_empty(), "locations are typed (finding::Location); do not parse their text:\n{}", bad.join("\n"));
    assert_eq!(legacy_users.into_iter().collect::<Vec<_>>(), [store], "only the map's conversions read old text");
}
