//! Zip packages: rewriting members one by one (shared by the docx writer),
//! and zip archives, whose members are anonymised with the same writers;
//! members no writer supports are left out and listed.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::{Outcome, Work};
use crate::extract::Limits;

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
pub fn embedded(work: &mut Work<'_>, name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
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

/// Rewrite a zip package member by member. `decide(name, bytes)` is called
/// for every file member with its uncompressed bytes; directories are kept.
/// Members larger than the in-memory limit fail the whole copy.
pub fn rewrite(data: &[u8], limits: &Limits, decide: impl FnMut(&str, &[u8]) -> Member) -> Result<Vec<u8>, String> {
    let mut out = new_writer();
    rewrite_into(&mut out, data, limits, decide)?;
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

/// The uncompressed bytes of the member `name`, if the zip has one (at most
/// the in-memory limit).
pub fn read_member(data: &[u8], name: &str, limits: &Limits) -> Result<Option<Vec<u8>>, String> {
    let mut archive = ZipArchive::new(Cursor::new(data)).map_err(|e| format!("damaged zip: {e}"))?;
    let Ok(f) = archive.by_name(name) else { return Ok(None) };
    let mut buf = Vec::new();
    f.take(limits.max_in_memory + 1).read_to_end(&mut buf).map_err(|e| format!("cannot decompress {name}: {e}"))?;
    if buf.len() as u64 > limits.max_in_memory {
        return Err(format!("limit hit: {name} decompresses past the limits (zip bomb?)"));
    }
    Ok(Some(buf))
}

/// [`rewrite`] into a zip already started (members added before and after
/// stay where they are put).
pub fn rewrite_into(
    out: &mut MemZip,
    data: &[u8],
    limits: &Limits,
    mut decide: impl FnMut(&str, &[u8]) -> Member,
) -> Result<(), String> {
    let mut archive = ZipArchive::new(Cursor::new(data)).map_err(|e| format!("damaged zip: {e}"))?;
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut budget = limits.max_archive_total;
    for i in 0..archive.len() {
        let (name, is_dir, encrypted) = {
            let f = archive.by_index_raw(i).map_err(|e| format!("damaged zip: {e}"))?;
            let name = f.name().map_err(|e| format!("damaged zip: {e}"))?.into_owned();
            (name, f.is_dir(), f.encrypted())
        };
        if encrypted {
            return Err("encrypted (password-protected) zip member: remove the password to anonymise it".into());
        }
        if is_dir {
            let raw = archive.by_index_raw(i).map_err(|e| e.to_string())?;
            out.raw_copy_file(raw).map_err(|e| e.to_string())?;
            continue;
        }
        let bytes = {
            let mut f = archive.by_index(i).map_err(|e| format!("cannot read {name}: {e}"))?;
            let cap = limits.max_in_memory.min(budget);
            let mut buf = Vec::new();
            (&mut f).take(cap + 1).read_to_end(&mut buf).map_err(|e| format!("cannot decompress {name}: {e}"))?;
            if buf.len() as u64 > cap {
                return Err(format!("limit hit: {name} decompresses past the limits (zip bomb?)"));
            }
            budget -= buf.len() as u64;
            buf
        };
        match decide(&name, &bytes) {
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

/// A zip archive's copy: each member anonymised by its own writer.
pub fn write(work: &mut Work<'_>, data: &[u8]) -> Result<Vec<u8>, String> {
    let limits = work.anon.limits.clone();
    rewrite(data, &limits, |name, bytes| match work.nested(name, bytes) {
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
}
