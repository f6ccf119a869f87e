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

/// The JSON lines of `batch`.
fn render(batch: &[Finding], reveal: bool, out: &mut impl Write) -> std::io::Result<()> {
    for f in batch {
        serde_json::to_writer(&mut *out, &f.line_ref(reveal))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

impl Sink for JsonlSink {
    fn findings(&mut self, _file: &FileEntry, batch: &[Finding]) -> std::io::Result<()> {
        render(batch, self.reveal, &mut self.out)
    }

    /// Lines are rendered on the worker threads; this thread only writes them.
    fn prepare(&self) -> Option<Prepare> {
        let reveal = self.reveal;
        Some(std::sync::Arc::new(move |batch: &[Finding]| {
            let mut bytes = Vec::with_capacity(batch.len() * 200);
            render(batch, reveal, &mut bytes).expect("writing to memory does not fail");
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
