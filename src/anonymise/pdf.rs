//! pdf copies.

use super::Work;

/// A pdf file's copy.
pub fn write(_work: &mut Work<'_>, _data: &[u8]) -> Result<Vec<u8>, String> {
    Err("pdf: not supported by anonymise yet".into())
}
