//! OpenDocument presentations (odp): written by the odt writer
//! ([`crate::formats::odt::anonymise`]), which rewrites any OpenDocument
//! package's parts: the paragraphs of slides, notes and comments in
//! `content.xml` (frames and text boxes hold ordinary `text:p`), master
//! pages in `styles.xml`, comment authors, document properties and links;
//! the preview pictures of the original slides are left out and listed.

use crate::formats::odt::anonymise::write_package;
use crate::formats::rewrite::Rewrite;

const ODP_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.presentation";

/// An odp's copy.
pub fn write(work: &mut dyn Rewrite, data: &[u8]) -> Result<Vec<u8>, String> {
    write_package(work, data, "odp", ODP_MIMETYPE)
}
