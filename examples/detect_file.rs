//! Detection alone on real files, for comparing two builds of the engine:
//! each file is extracted once, then its segments are run through the rules
//! engine `REPS` times (default 5) and the best time is printed.
//!
//!   cargo run --release --example detect_file -- FILE...
//!
//! Build it at both commits and run the two binaries in turn, several times:
//! on a shared machine the best of several runs is the steadiest figure.

use piisweep::detect::Engine;
use piisweep::formats::{self, Collect, Input, Limits, Segment};

fn main() -> anyhow::Result<()> {
    let engine = Engine::builtin();
    let reps: usize = std::env::var("REPS").ok().and_then(|r| r.parse().ok()).unwrap_or(5).max(1);
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        anyhow::bail!("usage: detect_file FILE... (REPS=N to set the runs per file)");
    }
    for path in paths {
        let data = std::fs::read(&path).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        let mut collected = Collect::default();
        formats::extract(&path, &Input::Bytes(&data), &mut collected, &Limits::default())?;
        let segments: Vec<Segment> =
            collected.segments.iter().map(|(loc, text, header)| Segment::fixed(loc, text, header.as_deref())).collect();
        let bytes: usize = segments.iter().map(|s| s.text.len()).sum();
        let (mut hits, mut found, mut best) = (Vec::new(), 0, f64::MAX);
        for _ in 0..reps {
            let started = std::time::Instant::now();
            found = 0;
            for segment in &segments {
                engine.detect_into(segment, &mut hits);
                found += hits.len();
            }
            best = best.min(started.elapsed().as_secs_f64());
        }
        println!(
            "{path}: {} segments, {:.1} MB of text, {found} hits; best of {reps}: {best:.3} s, {:.1} MB/s",
            segments.len(),
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / best
        );
    }
    Ok(())
}
