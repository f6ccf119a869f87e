//! 7-Zip archives, read with `sevenz-rust2` (pure Rust: LZMA, LZMA2, BZip2,
//! Deflate, PPMd, BCJ filters; AES for the password check). Each file member
//! is handed on as a part named by its safe path (`backup.7z!HR/list.csv`),
//! under the same limits as a zip member: the in-memory limit, the
//! compression ratio (each member's output over the whole archive's size,
//! as a solid archive has no size per member, and all members together),
//! the archive budget shared by every level, the nesting depth. A
//! password-protected archive is reported as encrypted.

use std::io::Cursor;

use sevenz_rust2::{ArchiveReader, Password};

use super::zip::{RATIO_FLOOR, Stop, decompress, safe_path};
use super::{Emit, ExtractError, Input, Limits, Result};

pub fn extract_7z(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    if emit.depth() >= limits.max_depth {
        return Err(ExtractError::Limit(format!("archives nested more than {} deep", limits.max_depth)));
    }
    // Random access is needed: the archive's header is at its end.
    let bytes = input.bytes(limits.max_in_memory)?;
    let compressed = bytes.len() as u64;
    // Decoder dictionaries and header buffers are held to the in-memory
    // limit: a forged archive cannot ask for gigabytes.
    let memory_kb = usize::try_from(limits.max_in_memory >> 10).unwrap_or(usize::MAX);
    let mut reader = ArchiveReader::new_with_memory_limit(Cursor::new(bytes.as_ref()), Password::empty(), memory_kb)
        .map_err(error)?;
    let mut budget = limits.max_archive_total;
    let mut total = 0u64;
    let mut index = 0usize;
    let mut stopped: Option<ExtractError> = None;
    let walked = reader.for_each_entries(|entry, member| {
        index += 1;
        if entry.is_directory() || !entry.has_stream() {
            return Ok(true);
        }
        let name = safe_path(entry.name(), index - 1);
        budget = budget.min(limits.max_archive_total.saturating_sub(emit.archive_used()));
        let cap = limits.max_in_memory.min(budget);
        let (data, stop) = decompress(&mut *member, compressed, cap, RATIO_FLOOR, limits.max_ratio)?;
        let used = data.len() as u64;
        budget = budget.saturating_sub(used);
        total = total.saturating_add(used);
        emit.archive_take(used);
        let over_ratio = total > RATIO_FLOOR && total / compressed.max(1) > limits.max_ratio;
        match stop {
            _ if stop == Some(Stop::Ratio) || over_ratio => {
                stopped = Some(ExtractError::Limit(format!(
                    "compression ratio over {}:1 (7-Zip bomb?): stopped at {name}",
                    limits.max_ratio
                )));
                return Ok(false);
            }
            None => emit.part(&name, &data),
            Some(_) if cap < budget => {
                emit.part_error(
                    &name,
                    ExtractError::Skipped(format!(
                        "larger than the in-memory limit ({} MB) uncompressed, not read",
                        limits.max_in_memory >> 20
                    )),
                );
                // The rest of this member must still be read past (a solid
                // archive's next member follows it): without keeping it.
                std::io::copy(member, &mut std::io::sink())?;
            }
            Some(_) => {
                stopped = Some(ExtractError::Limit(format!(
                    "more than {} MB uncompressed in the archive: stopped at {name}",
                    limits.max_archive_total >> 20
                )));
                return Ok(false);
            }
        }
        Ok(true)
    });
    if let Some(e) = stopped {
        return Err(e);
    }
    walked.map_err(error)
}

/// A reading error as piisweep reports it: a password asked for is encryption.
fn error(e: sevenz_rust2::Error) -> ExtractError {
    match e {
        sevenz_rust2::Error::PasswordRequired | sevenz_rust2::Error::MaybeBadPassword(_) => ExtractError::Encrypted,
        e => ExtractError::corrupt("7-Zip archive", e),
    }
}
