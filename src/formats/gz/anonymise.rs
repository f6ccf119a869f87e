//! Anonymised copies of gzip files and tar archives, in the same format: a
//! gzip's content (or each member of the tar inside it, or of a plain tar)
//! rewritten by its own format's writer, then packed again. Members are
//! taken out under the same limits as a scan (the in-memory limit, the
//! compression ratio), so a gzip bomb is refused here too; a member that
//! cannot be copied is left out and listed.

use std::io::{Read, Write};

use flate2::read::MultiGzDecoder;

use super::super::rewrite::{Outcome, Rewrite};
use super::super::zip::{RATIO_FLOOR, Stop, decompress, safe_path};

/// The anonymised copy of a gzip file (a `.tar.gz` too).
pub fn write_gz(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    let limits = work.limits().clone();
    let mut decoder = MultiGzDecoder::new(data);
    let mut head = Vec::new();
    (&mut decoder).take(512).read_to_end(&mut head).map_err(|e| format!("corrupt gzip: {e}"))?;
    let name = decoder
        .header()
        .and_then(|h| h.filename())
        .map(|f| safe_path(&String::from_utf8_lossy(f), 0))
        .filter(|n| !n.starts_with("member-"));
    let compressed = data.len() as u64;
    let rest = decompress(decoder, compressed, limits.max_in_memory, RATIO_FLOOR, limits.max_ratio)
        .map_err(|e| format!("corrupt gzip: {e}"))?;
    let content = match rest {
        (mut rest, None) => {
            head.append(&mut rest);
            head
        }
        (_, Some(Stop::Ratio)) => {
            return Err(format!("limit hit: compression ratio over {}:1 (gzip bomb?)", limits.max_ratio));
        }
        (_, Some(Stop::Cap)) => {
            return Err(format!("larger than the in-memory limit ({} MB) uncompressed", limits.max_in_memory >> 20));
        }
    };
    let copy = if content.get(257..262) == Some(b"ustar") {
        write_tar(work, &content)?
    } else {
        let inner = name.clone().unwrap_or_else(|| "content".to_string());
        match work.nested(&inner, &content) {
            Outcome::Written { data, .. } => data,
            Outcome::NotCopied(reason) => return Err(format!("{inner}: {reason}")),
        }
    };
    let mut builder = flate2::GzBuilder::new().mtime(0);
    if let Some(n) = name {
        builder = builder.filename(n);
    }
    let mut out = builder.write(Vec::new(), flate2::Compression::default());
    out.write_all(&copy).map_err(|e| e.to_string())?;
    out.finish().map_err(|e| e.to_string())
}

/// The anonymised copy of a tar archive: each regular file member rewritten
/// under its own name; other entries (folders, links) kept as they are.
pub fn write_tar(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    let limits = work.limits().clone();
    let mut archive = tar::Archive::new(data);
    let mut out = tar::Builder::new(Vec::new());
    for (index, entry) in archive.entries().map_err(|e| format!("corrupt tar: {e}"))?.enumerate() {
        let mut entry = entry.map_err(|e| format!("corrupt tar: {e}"))?;
        let mut header = entry.header().clone();
        if !header.entry_type().is_file() {
            out.append(&header, std::io::empty()).map_err(|e| e.to_string())?;
            continue;
        }
        let name = safe_path(&String::from_utf8_lossy(&entry.path_bytes()), index);
        let (bytes, stop) = decompress(&mut entry, 1, limits.max_in_memory, u64::MAX, u64::MAX)
            .map_err(|e| format!("corrupt tar member {name}: {e}"))?;
        if stop.is_some() {
            work.not_copied(&name, &format!("larger than the in-memory limit ({} MB)", limits.max_in_memory >> 20));
            continue;
        }
        match work.nested(&name, &bytes) {
            Outcome::Written { name: new_name, data } if new_name == name => {
                header.set_size(data.len() as u64);
                header.set_cksum();
                out.append(&header, &data[..]).map_err(|e| e.to_string())?;
            }
            Outcome::Written { .. } => work.not_copied(&name, "in a format the copy cannot keep under its name"),
            Outcome::NotCopied(reason) => work.not_copied(&name, &reason),
        }
    }
    out.into_inner().map_err(|e| e.to_string())
}
