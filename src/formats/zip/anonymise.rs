//! Zip packages: rewriting members one by one (shared by the docx writer),
//! and zip archives, whose members are anonymised with the same writers;
//! members no writer supports are left out and listed.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::formats::docx::package::RATIO_FREE_BYTES;
use crate::formats::rewrite::{Outcome, Rewrite};
use crate::formats::zip::{RATIO_FLOOR, Taken, take_member};
use crate::formats::{ExtractError, Limits};

/// What becomes of one member of a package.
pub enum Member {
    /// Copied unchanged (compressed bytes copied as they are).
    Keep,
    /// Written with new content, under this name.
    Replace(String, Vec<u8>),
    /// Left out of the copy.
    Remove,
}

/// An embedded file of a package, anonymised with the same writers and
/// kept under its own name; `None` (and noted as not copied) if it cannot be.
pub fn embedded(work: &mut dyn Rewrite, name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    match work.nested(name, bytes) {
        Outcome::Written { name: new_name, data } if new_name == name => Some(data),
        Outcome::Written { .. } => {
            work.not_copied(name, "embedded file in a format the copy cannot keep");
            None
        }
        Outcome::NotCopied(reason) => {
            work.not_copied(name, &reason);
            None
        }
    }
}

/// The member a rewritten part becomes: its new bytes, or, if it could not
/// be rewritten, left out with the first failure kept in `failure` (a part
/// that cannot be rewritten must fail the copy, not be copied as it was).
pub fn rewritten(name: &str, result: Result<Vec<u8>, String>, failure: &mut Option<String>) -> Member {
    match result {
        Ok(new) => Member::Replace(name.to_string(), new),
        Err(e) => {
            failure.get_or_insert(format!("{name}: {e}"));
            Member::Remove
        }
    }
}

/// Rewrite a zip package member by member. Members `keep(name)` says are
/// kept are copied as they are, never decompressed (pictures, fonts);
/// `decide(name, bytes)` is called for every other file member with its
/// uncompressed bytes; directories are kept. A member the limits refuse
/// (too large, past the compression ratio, over the package's budget)
/// fails the whole copy, as it fails the reading.
pub fn rewrite(
    data: &[u8],
    limits: &Limits,
    keep: impl Fn(&str) -> bool,
    decide: impl FnMut(&str, &[u8]) -> Member,
) -> Result<Vec<u8>, String> {
    let mut out = new_writer();
    rewrite_into(&mut out, data, limits, keep, decide)?;
    finish(out)
}

/// A zip being written in memory.
pub type MemZip = ZipWriter<Cursor<Vec<u8>>>;

/// An empty zip to write into.
pub fn new_writer() -> MemZip {
    ZipWriter::new(Cursor::new(Vec::new()))
}

/// The bytes of a finished zip.
pub fn finish(out: MemZip) -> Result<Vec<u8>, String> {
    Ok(out.finish().map_err(|e| e.to_string())?.into_inner())
}

/// Add a member, stored (uncompressed) or deflated.
pub fn add_member(out: &mut MemZip, name: &str, content: &[u8], stored: bool) -> Result<(), String> {
    let method = if stored { CompressionMethod::Stored } else { CompressionMethod::Deflated };
    out.start_file(name, SimpleFileOptions::default().compression_method(method)).map_err(|e| e.to_string())?;
    out.write_all(content).map_err(|e| e.to_string())
}

/// The uncompressed bytes of the member `name`, if the zip has one, read
/// under the limits of an office package (see [`rewrite`]).
pub fn read_member(data: &[u8], name: &str, limits: &Limits) -> Result<Option<Vec<u8>>, String> {
    let mut archive = ZipArchive::new(Cursor::new(data)).map_err(|e| format!("damaged zip: {e}"))?;
    let Some(index) = archive.index_for_name(name) else { return Ok(None) };
    let compressed = archive.by_index_raw(index).map_err(|e| format!("damaged zip: {e}"))?.compressed_size();
    let mut budget = limits.max_archive_total;
    match take_member(&mut archive, index, name, compressed, limits, RATIO_FREE_BYTES, &mut budget, 0).0 {
        Taken::Bytes(bytes) => Ok(Some(bytes)),
        Taken::Refused(e) | Taken::Stop(e) => Err(format!("{name}: {e}")),
    }
}

/// [`rewrite`] into a zip already started (members added before and after
/// stay where they are put).
pub fn rewrite_into(
    out: &mut MemZip,
    data: &[u8],
    limits: &Limits,
    keep: impl Fn(&str) -> bool,
    mut decide: impl FnMut(&str, &[u8]) -> Member,
) -> Result<(), String> {
    // A package has a budget of its own, as when it is read.
    let used = ArchiveUse::default();
    members_into(out, data, limits, RATIO_FREE_BYTES, &used, keep, |name, got| match got {
        Ok(bytes) => Ok(decide(name, bytes)),
        Err(e) => Err(format!("{name}: {e}")),
    })
}

/// Bytes taken out of archives for one source file, at every level of its
/// copy together (the budget `scan` shares the same way).
pub type ArchiveUse = std::rc::Rc<std::cell::Cell<u64>>;

/// Copy a zip's members into `out`, each file member read with the one
/// member reader ([`take_member`]) under the limits, its uncompressed bytes
/// (or why the limits refused it) given to `decide`. `used` counts the bytes
/// taken out against the shared budget (members of nested zips, read inside
/// `decide`, count too). Directories, and members `keep(name)` keeps, are
/// copied as they are without being decompressed; an encrypted member, a
/// damaged archive or the budget running out fail the copy.
pub fn members_into(
    out: &mut MemZip,
    data: &[u8],
    limits: &Limits,
    ratio_floor: u64,
    used: &ArchiveUse,
    keep: impl Fn(&str) -> bool,
    mut decide: impl FnMut(&str, Result<&[u8], ExtractError>) -> Result<Member, String>,
) -> Result<(), String> {
    let mut archive = ZipArchive::new(Cursor::new(data)).map_err(|e| format!("damaged zip: {e}"))?;
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut budget = limits.max_archive_total;
    for i in 0..archive.len() {
        let (name, is_dir, encrypted, compressed) = {
            let f = archive.by_index_raw(i).map_err(|e| format!("damaged zip: {e}"))?;
            let name = f.name().map_err(|e| format!("damaged zip: {e}"))?.into_owned();
            (name, f.is_dir(), f.encrypted(), f.compressed_size())
        };
        if encrypted {
            return Err(ENCRYPTED.into());
        }
        if is_dir || keep(&name) {
            let raw = archive.by_index_raw(i).map_err(|e| e.to_string())?;
            out.raw_copy_file(raw).map_err(|e| e.to_string())?;
            continue;
        }
        let (taken, took) =
            take_member(&mut archive, i, &name, compressed, limits, ratio_floor, &mut budget, used.get());
        used.set(used.get().saturating_add(took));
        let member = match taken {
            Taken::Bytes(bytes) => decide(&name, Ok(&bytes))?,
            Taken::Refused(ExtractError::Encrypted) => return Err(ENCRYPTED.into()),
            Taken::Refused(e) => decide(&name, Err(e))?,
            Taken::Stop(e) => return Err(e.to_string()),
        };
        match member {
            Member::Keep => {
                let raw = archive.by_index_raw(i).map_err(|e| e.to_string())?;
                out.raw_copy_file(raw).map_err(|e| e.to_string())?;
            }
            Member::Replace(new_name, content) => {
                out.start_file(new_name, options).map_err(|e| e.to_string())?;
                out.write_all(&content).map_err(|e| e.to_string())?;
            }
            Member::Remove => {}
        }
    }
    Ok(())
}

const ENCRYPTED: &str = "encrypted (password-protected) zip member: remove the password to anonymise it";

/// A zip archive's copy: each member anonymised by its own writer. A
/// member the limits refuse (a zip bomb's, one too large) is left out and
/// noted, as `scan` reports it and reads on.
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    let limits = work.limits().clone();
    let used = work.archive_used();
    let mut out = new_writer();
    members_into(
        &mut out,
        data,
        &limits,
        RATIO_FLOOR,
        &used,
        |_| false,
        |name, got| {
            let bytes = match got {
                Ok(bytes) => bytes,
                Err(e) => {
                    work.not_copied(name, &e.to_string());
                    return Ok(Member::Remove);
                }
            };
            Ok(match work.nested(name, bytes) {
                Outcome::Written { name: new_name, data } => {
                    let base = new_name.rsplit('/').next().unwrap_or(&new_name).to_string();
                    let dir = &new_name[..new_name.len() - base.len()];
                    Member::Replace(format!("{dir}{}", work.rename(&base)), data)
                }
                Outcome::NotCopied(reason) => {
                    work.not_copied(name, &reason);
                    Member::Remove
                }
            })
        },
    )?;
    finish(out)
}
