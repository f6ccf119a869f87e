//! What a format's writer asks of the anonymiser, so that writers depend on
//! nothing above the format layer: `anonymise::Work` implements [`Rewrite`]
//! (the engine, the policy, the key and the people named in the file stay
//! there), and each `formats/<format>/anonymise.rs` only patches the spans
//! it is given, in its own structure.

use crate::detect::Category;
use crate::formats::zip::anonymise::ArchiveUse;
use crate::formats::{Input, Kind, Limits, Segment};

/// A piece of personal data in a text: byte range and category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub category: Category,
}

/// What became of one file (or part).
#[derive(Debug)]
pub enum Outcome {
    /// Written: its (possibly changed) name and the new bytes.
    Written { name: String, data: Vec<u8> },
    /// Not copied, with the reason.
    NotCopied(String),
}

/// What the policy does with a whole column, named by its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnFate {
    /// The column is left out of the copy.
    Drop,
    /// Each cell is replaced as the policy says ([`Rewrite::column_cell`]).
    Replace,
}

/// Which part of a name a column holds, by its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameColumn {
    First,
    Surname,
}

/// The name part a column header names ("First name", "Forename",
/// "Client surname", "Last_Name"), if any.
pub fn name_column(header: &str) -> Option<NameColumn> {
    let h: String = header
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let ends = |list: &[&str]| list.iter().any(|s| h == *s || h.ends_with(&format!(" {s}")));
    if ends(&["first name", "first names", "firstname", "forename", "forenames", "given name", "given names"]) {
        Some(NameColumn::First)
    } else if ends(&["surname", "last name", "lastname", "family name", "surnames"]) {
        Some(NameColumn::Surname)
    } else {
        None
    }
}

/// The anonymiser, as the writers see it: for one source file.
pub trait Rewrite {
    /// The safety limits of the run.
    fn limits(&self) -> &Limits;
    /// The personal data in a segment, without overlaps, in text order.
    fn spans(&mut self, seg: &Segment<'_>) -> Vec<Span>;
    /// The segment's text with its personal data replaced, or `None` when
    /// there is none.
    fn rewrite(&mut self, seg: &Segment<'_>) -> Option<String>;
    /// What a value becomes (counted for the summary).
    fn replace(&mut self, category: Category, value: &str) -> String;
    /// `text` with each span replaced.
    fn apply_spans(&mut self, text: &str, spans: &[Span]) -> String;
    /// What the policy does with the column under `header`, if it names it.
    fn column(&self, header: &str) -> Option<ColumnFate>;
    /// A cell of a column the policy names: `None` when the column is dropped.
    fn column_cell(&mut self, header: &str, value: &str) -> Option<String>;
    /// The first name and surname cells of one table row: the person's
    /// number, so their partial mentions get their token.
    fn add_person(&mut self, first: &str, surname: &str) -> Option<usize>;
    /// The person the current table row is about (`None` between rows).
    fn set_row_person(&mut self, person: Option<usize>);
    /// Anonymise a nested file (an attachment, an archive member) with the
    /// writer for its format.
    fn nested(&mut self, name: &str, data: &[u8]) -> Outcome;
    /// Anonymise a nested file of a streamed kind (text, CSV: a large zip
    /// member), read from `input` as it is decompressed, its copy written to
    /// `out` as it is made, under the file's own name. `Err` says why it
    /// cannot be copied (what was written to `out` is then thrown away).
    /// By default it is read whole and given to [`Rewrite::nested`].
    fn nested_stream(
        &mut self,
        name: &str,
        _kind: Kind,
        input: &Input<'_>,
        out: &mut dyn std::io::Write,
    ) -> Result<(), String> {
        let data = input.bytes(self.limits().max_in_memory).map_err(|e| e.to_string())?;
        match self.nested(name, &data) {
            Outcome::Written { name: new_name, data } if new_name == name => {
                out.write_all(&data).map_err(|e| e.to_string())
            }
            Outcome::Written { .. } => Err("in a format the copy cannot keep under its name".into()),
            Outcome::NotCopied(reason) => Err(reason),
        }
    }
    /// A file name with the people's names in it replaced.
    fn rename(&mut self, file_name: &str) -> String;
    /// Note a nested part that was not copied, and why.
    fn not_copied(&mut self, name: &str, reason: &str);
    /// Something the user must hear about the copy.
    fn note(&mut self, message: String);
    /// Make a table's rows (a sheet's, named by `sheet`; a CSV file's)
    /// k-anonymous over its quasi-identifier columns, as the policy says,
    /// and note what was done: `true` when a cell changed.
    fn k_anonymise(&mut self, sheet: Option<&str>, header: &[String], rows: &mut [Vec<String>]) -> bool;
    /// Count one replacement made by the writer itself (`drop`, `metadata Author`).
    fn count(&mut self, operator: &'static str, what: String);
    /// Containers entered so far.
    fn depth(&self) -> u32;
    /// Go one container in (`true`) or back out (`false`).
    fn nest(&mut self, inward: bool);
    /// Bytes taken out of archives for this source file, every level together.
    fn archive_used(&self) -> ArchiveUse;
}
