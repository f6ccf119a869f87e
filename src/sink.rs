//! Sinks that write findings out. The JSON Lines sink writes the contract in
//! `spec/findings.md`, one object per line, file by file.

use std::io::{BufWriter, Write};

use crate::scan::{FileReport, Sink};

pub struct JsonlSink {
    out: BufWriter<Box<dyn Write + Send>>,
    reveal: bool,
}

impl JsonlSink {
    pub fn new(out: Box<dyn Write + Send>, reveal: bool) -> JsonlSink {
        JsonlSink { out: BufWriter::with_capacity(1 << 16, out), reveal }
    }
}

impl Sink for JsonlSink {
    fn file(&mut self, report: &FileReport) -> std::io::Result<()> {
        for f in &report.findings {
            serde_json::to_writer(&mut self.out, &f.line_ref(self.reveal))?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
