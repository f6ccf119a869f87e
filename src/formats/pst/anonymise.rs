//! The anonymised copy of an Outlook data file: there is no writer of PST
//! files, so the store is written as a folder tree of `.eml` files, one per
//! item, in folders named after the store's folders
//! (`jsmith-outlook/Inbox/Referrals/2023-10-04 New referral.eml`). Each item
//! is the message the reader builds (sender, recipients, subject, date,
//! body, other text fields, attachments), anonymised by the eml writer.
//! Outlook imports them when they are dragged into one of its folders.

use std::path::Path;

use super::super::rewrite::Rewrite;
use super::super::{Emit, ExtractError, Input, Segment};

/// Where each item's anonymised eml goes: `write(relative path, bytes)`.
pub type WriteItem<'w> = dyn FnMut(&str, &[u8]) -> Result<(), String> + 'w;

/// Write every item of the store in `input` through `write`, anonymised by
/// `work`; the number of items written. Items that could not be read or
/// written are noted on `work` as not copied.
pub fn write_tree(work: &mut dyn Rewrite, input: &Input<'_>, write: &mut WriteItem<'_>) -> Result<usize, String> {
    let limits = work.limits().clone();
    let mut out = TreeOut { work, write, written: 0 };
    super::extract(input, &mut out, &limits).map_err(|e| e.to_string())?;
    Ok(out.written)
}

/// The relative path of an item's copy: its folders and its name with the
/// people in them replaced, then `.eml`.
pub fn item_path(work: &mut dyn Rewrite, item: &str) -> String {
    let (dir, name) = match item.rsplit_once('/') {
        Some((d, n)) => (Some(d), n),
        None => (None, item),
    };
    let mut path = String::new();
    if let Some(dir) = dir {
        for folder in dir.split('/') {
            path.push_str(&work.rename(folder));
            path.push('/');
        }
    }
    path.push_str(&work.rename(&format!("{name}.eml")));
    path
}

struct TreeOut<'r, 'w> {
    work: &'r mut dyn Rewrite,
    write: &'r mut WriteItem<'w>,
    written: usize,
}

impl Emit for TreeOut<'_, '_> {
    fn segment(&mut self, _seg: Segment<'_>) {}

    fn part(&mut self, name: &str, data: &[u8]) {
        let copy = match super::super::mail::anonymise::write_eml(self.work, data) {
            Ok(copy) => copy,
            Err(e) => {
                self.work.not_copied(name, &e);
                return;
            }
        };
        let path = item_path(self.work, name);
        match (self.write)(&path, &copy) {
            Ok(()) => self.written += 1,
            Err(e) => self.work.not_copied(name, &e),
        }
    }

    fn warn(&mut self, message: String) {
        self.work.note(message);
    }

    fn part_error(&mut self, name: &str, error: ExtractError) {
        self.work.not_copied(name, &error.to_string());
    }
}

/// The folder an anonymised store is written to: `jsmith.pst` becomes
/// `jsmith-outlook`.
pub fn tree_name(file_name: &str) -> String {
    let stem = Path::new(file_name).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    format!("{stem}-outlook")
}
