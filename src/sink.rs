//! Sinks that write findings out. The JSON Lines sink writes the contract in
//! `spec/findings.md`, one object per line, batch by batch as findings arrive:
//! a file's lines are in the order found, and a file with more findings than
//! one batch may have other files' lines between its batches.

use std::io::{BufWriter, Write};

use crate::finding::Finding;
use crate::scan::{FileReport, Prepare, Sink};
use crate::walk::FileEntry;

/// Writes each finding as one JSON line, through one buffer.
pub struct JsonlSink {
    out: BufWriter<Box<dyn Write + Send>>,
    /// Write plain values (`--reveal`) instead of masked ones.
    reveal: bool,
}

impl JsonlSink {
    pub fn new(out: Box<dyn Write + Send>, reveal: bool) -> JsonlSink {
        JsonlSink { out: BufWriter::with_capacity(1 << 16, out), reveal }
    }
}

/// The JSON lines of `batch`, added to `out`.
fn render(batch: &[Finding], reveal: bool, out: &mut Vec<u8>) {
    let mut masked = String::new();
    for f in batch {
        f.write_line(reveal, &mut masked, out);
    }
}

impl Sink for JsonlSink {
    fn findings(&mut self, _file: &FileEntry, batch: &[Finding]) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(batch.len() * 200);
        render(batch, self.reveal, &mut bytes);
        self.out.write_all(&bytes)
    }

    /// Lines are rendered on the worker threads; this thread only writes them.
    fn prepare(&self) -> Option<Prepare> {
        let reveal = self.reveal;
        Some(std::sync::Arc::new(move |batch: &[Finding]| {
            let mut bytes = Vec::with_capacity(batch.len() * 200);
            render(batch, reveal, &mut bytes);
            bytes
        }))
    }

    fn prepared(&mut self, _file: &FileEntry, _batch: &[Finding], bytes: Vec<u8>) -> std::io::Result<()> {
        self.out.write_all(&bytes)
    }

    fn file(&mut self, _report: &FileReport) -> std::io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
