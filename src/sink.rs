//! Sinks that write findings out. The JSON Lines sink writes the contract in
//! `spec/findings.md`, one object per line, batch by batch as findings arrive:
//! a file's lines are in the order found, and a file with more findings than
//! one batch may have other files' lines between its batches.

use std::io::{BufWriter, Write};

use crate::finding::Finding;
use crate::scan::{FileReport, Sink};
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

impl Sink for JsonlSink {
    fn findings(&mut self, _file: &FileEntry, batch: &[Finding]) -> std::io::Result<()> {
        for f in batch {
            serde_json::to_writer(&mut self.out, &f.line_ref(self.reveal))?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn file(&mut self, _report: &FileReport) -> std::io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
