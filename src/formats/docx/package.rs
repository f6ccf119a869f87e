//! Reading the zip package of a docx or odt: member names, and members read
//! into memory under the safety limits (size cap, compression ratio, total).

use std::io::Cursor;

use zip::ZipArchive;
use zip::result::ZipError;

use crate::formats::{ExtractError, Limits, Result};

/// Members smaller than this are never refused for their compression ratio:
/// XML compresses very well, and a small member cannot hurt.
pub const RATIO_FREE_BYTES: u64 = 8 << 20;

/// An office package opened from bytes, with the budget of bytes it may still
/// decompress.
pub struct Package<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    kind: &'static str,
    names: Vec<String>,
    budget: u64,
    limits: Limits,
}

impl<'a> Package<'a> {
    /// Open the zip; a damaged or truncated zip is a corrupt `kind` file.
    pub fn open(bytes: &'a [u8], kind: &'static str, limits: &Limits) -> Result<Self> {
        let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| zip_error(kind, e))?;
        let names = zip.file_names().filter_map(|n| n.ok().map(|n| n.into_owned())).collect();
        Ok(Package { zip, kind, names, budget: limits.max_archive_total, limits: limits.clone() })
    }

    /// All member names, in archive order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// A member's bytes, refusing members that decompress past the in-memory
    /// limit, the archive budget, or the largest accepted compression ratio.
    pub fn read(&mut self, name: &str) -> Result<Vec<u8>> {
        let kind = self.kind;
        let mut file = self.zip.by_name(name).map_err(|e| zip_error(kind, e))?;
        let cap = self.limits.max_in_memory.min(self.budget);
        let declared = file.size();
        if declared > cap {
            return Err(ExtractError::Limit(format!("{name} would decompress to {} MB", declared >> 20)));
        }
        let ratio_ok =
            |size: u64, packed: u64| size <= RATIO_FREE_BYTES || size / packed.max(1) <= self.limits.max_ratio;
        if !ratio_ok(declared, file.compressed_size()) {
            return Err(ExtractError::Limit(format!("{name}: compression ratio too high (zip bomb?)")));
        }
        let packed = file.compressed_size();
        // The declared size may lie: the decompressed stream itself is bounded.
        let (buf, stop) =
            crate::formats::zip::decompress(&mut file, packed, cap, RATIO_FREE_BYTES, self.limits.max_ratio)
                .map_err(|e| io_error(kind, name, e))?;
        if stop.is_some() {
            return Err(ExtractError::Limit(format!("{name} decompresses past the limits (zip bomb?)")));
        }
        let got = buf.len() as u64;
        self.budget -= got;
        Ok(buf)
    }

    /// A member decoded as XML text (UTF-8, or UTF-16 with a byte-order mark).
    pub fn read_xml(&mut self, name: &str) -> Result<String> {
        Ok(decode_xml(&self.read(name)?))
    }
}

/// XML bytes as a string: UTF-16 when it starts with a byte-order mark,
/// otherwise UTF-8 (invalid sequences replaced).
pub fn decode_xml(bytes: &[u8]) -> String {
    let (text, _, _) = encoding_rs::UTF_8.decode(bytes);
    text.into_owned()
}

fn zip_error(kind: &'static str, e: ZipError) -> ExtractError {
    match e {
        ZipError::UnsupportedArchive(msg) if msg == ZipError::PASSWORD_REQUIRED => ExtractError::Encrypted,
        ZipError::InvalidPassword => ExtractError::Encrypted,
        ZipError::Io(io) => ExtractError::corrupt(kind, format!("damaged zip: {io}")),
        other => ExtractError::corrupt(kind, format!("damaged zip: {other}")),
    }
}

fn io_error(kind: &'static str, name: &str, e: std::io::Error) -> ExtractError {
    ExtractError::corrupt(kind, format!("cannot decompress {name}: {e}"))
}
