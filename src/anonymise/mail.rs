//! Mail copies.

use std::io::{BufRead, Write};

use super::Work;

/// An eml's copy.
pub fn write_eml(_work: &mut Work<'_>, _data: &[u8]) -> Result<Vec<u8>, String> {
    Err("eml: not supported by anonymise yet".into())
}

/// An mbox's copy, message by message.
pub fn write_mbox(_work: &mut Work<'_>, _input: &mut dyn BufRead, _out: &mut dyn Write) -> std::io::Result<()> {
    Err(std::io::Error::other("mbox: not supported yet"))
}
