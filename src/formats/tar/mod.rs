//! Tar archives (and, through [`super::gz`], `.tar.gz`/`.tgz`): each regular
//! file member handed on as a part named by its safe path, under the same
//! limits as zip members (the in-memory limit per member, the archive's
//! budget of bytes taken out, shared by every level, and the nesting depth).
//! A tar on disk is streamed: only one member is in memory at a time.

use std::io::Read;

use super::zip::{RATIO_FLOOR, Stop, decompress, safe_path};
use super::{Emit, ExtractError, Input, Limits, Result};

pub fn extract_tar(input: &Input<'_>, emit: &mut dyn Emit, limits: &Limits) -> Result<()> {
    if emit.depth() >= limits.max_depth {
        return Err(ExtractError::Limit(format!("archives nested more than {} deep", limits.max_depth)));
    }
    read_members(input.reader()?, emit, limits, None)
}

/// Read the members of the tar in `reader`. `compressed`: the size of the
/// gzip stream it comes out of, if it does, so that the compression ratio
/// of the whole is judged as a zip member's is.
pub fn read_members(reader: impl Read, emit: &mut dyn Emit, limits: &Limits, compressed: Option<u64>) -> Result<()> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive.entries().map_err(|e| ExtractError::corrupt("tar", e))?;
    let mut budget = limits.max_archive_total;
    let mut total = 0u64;
    for (index, entry) in entries.enumerate() {
        let mut entry = match entry {
            Ok(e) => e,
            // The headers cannot be followed past a damaged one.
            Err(e) if index == 0 => return Err(ExtractError::corrupt("tar", e)),
            Err(e) => {
                emit.warn(format!("the archive is damaged after {index} member(s): the rest was not read ({e})"));
                return Ok(());
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = safe_path(&String::from_utf8_lossy(&entry.path_bytes()), index);
        budget = budget.min(limits.max_archive_total.saturating_sub(emit.archive_used()));
        let cap = limits.max_in_memory.min(budget);
        let budget_bound = cap == budget;
        // A tar's members are stored as they are: what counts is the ratio
        // of the gzip stream they come out of, judged on each member (at
        // most the stream's) and on all of them together.
        let (denominator, floor) = match compressed {
            Some(c) => (c.max(1), RATIO_FLOOR),
            None => (1, u64::MAX),
        };
        let (data, stop) = match decompress(&mut entry, denominator, cap, floor, limits.max_ratio) {
            Ok(read) => read,
            Err(e) => {
                emit.part_error(&name, ExtractError::corrupt("tar member", e));
                continue;
            }
        };
        let used = data.len() as u64;
        budget = budget.saturating_sub(used);
        emit.archive_take(used);
        total = total.saturating_add(used);
        if let Some(c) = compressed
            && (stop == Some(Stop::Ratio) || (total > RATIO_FLOOR && total / c.max(1) > limits.max_ratio))
        {
            return Err(ExtractError::Limit(format!(
                "compression ratio over {}:1 (gzip bomb?): stopped at {name}",
                limits.max_ratio
            )));
        }
        match stop {
            None => emit.part(&name, &data),
            Some(Stop::Cap) if !budget_bound => emit.part_error(
                &name,
                ExtractError::Skipped(format!(
                    "larger than the in-memory limit ({} MB) uncompressed, not read",
                    limits.max_in_memory >> 20
                )),
            ),
            Some(_) => {
                return Err(ExtractError::Limit(format!(
                    "more than {} MB uncompressed in the archive: stopped at {name}",
                    limits.max_archive_total >> 20
                )));
            }
        }
    }
    Ok(())
}
