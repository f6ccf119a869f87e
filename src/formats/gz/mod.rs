//! gzip files (`.gz`, and `.tar.gz`/`.tgz` through [`super::tar`]): the
//! content decompressed under the same limits as a zip member (the
//! in-memory limit, the compression ratio, the archive budget shared by
//! every level, the nesting depth) and handed on as a part, named as gzip
//! recorded it (`notes.csv`) or `content`; a tar inside is read member by
//! member (`backup.tgz!HR/list.csv`).

pub mod anonymise;

use flate2::read::MultiGzDecoder;

use super::zip::{RATIO_FLOOR, Stop, decompress};
use super::{Emit, ExtractError, Input, Limits, Result};

pub fn extract_gz(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    if emit.depth() >= limits.max_depth {
        return Err(ExtractError::Limit(format!("archives nested more than {} deep", limits.max_depth)));
    }
    let compressed = input.size();
    // Is it a tar? The first 512-byte header says so.
    let mut head = Vec::new();
    let mut probe = MultiGzDecoder::new(input.reader()?);
    std::io::Read::read_to_end(&mut std::io::Read::take(&mut probe, 512), &mut head)
        .map_err(|e| ExtractError::corrupt("gzip", e))?;
    if head.get(257..262) == Some(b"ustar") {
        return super::tar::read_members(MultiGzDecoder::new(input.reader()?), emit, limits, Some(compressed));
    }
    let name = probe
        .header()
        .and_then(|h| h.filename())
        .map(|f| super::zip::safe_path(&String::from_utf8_lossy(f), 0))
        .filter(|n| !n.starts_with("member-"))
        .unwrap_or_else(|| "content".to_string());
    drop(probe);
    let decoder = MultiGzDecoder::new(input.reader()?);
    let budget = limits.max_archive_total.saturating_sub(emit.archive_used());
    let cap = limits.max_in_memory.min(budget);
    let (data, stop) = decompress(decoder, compressed, cap, RATIO_FLOOR, limits.max_ratio)
        .map_err(|e| ExtractError::corrupt("gzip", e))?;
    emit.archive_take(data.len() as u64);
    match stop {
        None => {
            emit.part(&name, &data);
            Ok(())
        }
        Some(Stop::Ratio) => {
            Err(ExtractError::Limit(format!("compression ratio over {}:1 (gzip bomb?), not read", limits.max_ratio)))
        }
        Some(Stop::Cap) if cap < budget => Err(ExtractError::Skipped(format!(
            "larger than the in-memory limit ({} MB) uncompressed, not read",
            limits.max_in_memory >> 20
        ))),
        Some(Stop::Cap) => Err(ExtractError::Limit(format!(
            "more than {} MB uncompressed in the archive",
            limits.max_archive_total >> 20
        ))),
    }
}
