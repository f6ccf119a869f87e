//! Tables in running text: registers and lists pasted into a `.txt`, an
//! email body, a PDF page or OCR output, with a header row and columns
//! split by pipes, tabs or runs of spaces. Each value under a header is
//! then searched as a cell of that column, exactly as a CSV cell is: a date
//! under `DOB`, digits under `Sort code`, a name under `Name`.
//!
//! This module only finds the layout: which byte ranges of a text are cells
//! and which header cell is above each. Whether a header names something
//! (`DOB`, `Phone`) is the caller's question (the rules' `headers`).

/// One cell of a table found in text: its trimmed value and its column's
/// header, as byte ranges of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub start: usize,
    pub end: usize,
    pub header_start: usize,
    pub header_end: usize,
}

/// How a table's columns are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    Pipe,
    Tab,
    /// Runs of two or more spaces, columns told by where they start.
    Spaces,
}

/// The longest header cell, in bytes: longer is a sentence, not a header.
const MAX_HEADER: usize = 40;
/// The most words in a header cell (`Date of birth (dd/mm/yyyy)`).
const MAX_HEADER_WORDS: usize = 5;
/// The longest line looked at as a row: longer lines are prose or data dumps.
const MAX_ROW: usize = 2_000;
/// How far (in characters) a spaced cell may start left of its header.
const ALIGN_SLACK: usize = 2;

/// Could `text` hold a table? A cheap test on the whole text (SIMD
/// searches): a line break, and a pipe, a tab or two spaces in a row.
pub fn may_hold_table(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memchr(b'\n', b).is_some()
        && (memchr::memchr2(b'|', b'\t', b).is_some() || memchr::memmem::find(b, b"  ").is_some())
}

/// The cells of every table in `text` whose header row has a cell for which
/// `names_data` holds, in text order, into `out` (cleared first).
pub fn cells(text: &str, names_data: &mut impl FnMut(&str) -> bool, out: &mut Vec<Cell>) {
    out.clear();
    let lines = line_ranges(text);
    let mut i = 0;
    while i < lines.len() {
        let (ls, le) = lines[i];
        let line = &text[ls..le];
        // A header row starts with a letter, after any border pipe (most
        // lines that do not are log lines starting with a date or time).
        let first = line.trim_start().trim_start_matches('|').trim_start();
        let Some(split) = first.starts_with(char::is_alphabetic).then(|| split_of(line)).flatten() else {
            i += 1;
            continue;
        };
        let header = row_cells(line, split);
        // Cheap tests first (most lines split by two spaces are prose or a
        // log line starting with a time): header cells are short and start
        // with a letter, and a row of the same split follows.
        let shaped = header.len() >= 2
            && header.iter().all(|&(s, e)| {
                let cell = &line[s..e];
                e - s <= MAX_HEADER
                    && cell.starts_with(char::is_alphabetic)
                    && !cell.ends_with(['.', '!', '?', ','])
                    && cell.split(' ').count() <= MAX_HEADER_WORDS
            });
        let next_row = lines[i + 1..]
            .iter()
            .map(|&(s, e)| &text[s..e])
            .find(|row| !is_rule_line(row))
            .is_some_and(|row| split_of(row).is_some_and(|next| next == split || split == Split::Spaces));
        let is_header = shaped && next_row && header.iter().any(|&(s, e)| names_data(&line[s..e]));
        if !is_header {
            i += 1;
            continue;
        }
        let columns: Vec<usize> = header.iter().map(|&(s, _)| char_column(line, s)).collect();
        let mut rows = 0;
        let mut j = i + 1;
        while j < lines.len() {
            let (rs, re) = lines[j];
            let row = &text[rs..re];
            if is_rule_line(row) {
                j += 1;
                continue;
            }
            if row.trim().is_empty() || row.len() > MAX_ROW {
                break;
            }
            let cells = row_cells(row, split);
            let placed = place(row, &cells, &header, &columns, split);
            let Some(placed) = placed else { break };
            for (k, (s, e)) in placed {
                let (hs, he) = header[k];
                out.push(Cell { start: rs + s, end: rs + e, header_start: ls + hs, header_end: ls + he });
            }
            rows += 1;
            j += 1;
        }
        if rows == 0 {
            i += 1;
        } else {
            i = j;
        }
    }
}

/// Each line's byte range, without its line break (and `\r`).
fn line_ranges(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    for i in memchr::memchr_iter(b'\n', b) {
        let end = if i > start && b[i - 1] == b'\r' { i - 1 } else { i };
        out.push((start, end));
        start = i + 1;
    }
    out.push((start, text.len()));
    out
}

/// How a line that could be a header row splits into columns, if it does.
fn split_of(line: &str) -> Option<Split> {
    if line.len() > MAX_ROW {
        return None;
    }
    if line.contains('|') {
        Some(Split::Pipe)
    } else if line.contains('\t') {
        Some(Split::Tab)
    } else if line.trim().contains("  ") {
        Some(Split::Spaces)
    } else {
        None
    }
}

/// A line of dashes, equals signs, pipes, pluses and colons between a
/// header and its rows (`|---|:--|`, `-----  -----`, `+----+`).
fn is_rule_line(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3 && t.bytes().all(|b| matches!(b, b'-' | b'=' | b'|' | b'+' | b':' | b' ' | b'\t'))
}

/// The trimmed, non-empty cells of a row as byte ranges of `line`, in order.
/// A pipe row's cells keep their places (empty cells count), without the
/// empty cells outside a leading or trailing border pipe.
fn row_cells(line: &str, split: Split) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    match split {
        Split::Pipe | Split::Tab => {
            let sep = if split == Split::Pipe { '|' } else { '\t' };
            let mut start = 0;
            let pieces = line.split(sep).count();
            for (n, piece) in line.split(sep).enumerate() {
                let (s, e) = trimmed(line, start, start + piece.len());
                let border = split == Split::Pipe && s == e && (n == 0 || n + 1 == pieces);
                if !border {
                    out.push((s, e));
                }
                start += piece.len() + 1;
            }
        }
        Split::Spaces => {
            let b = line.as_bytes();
            let mut i = 0;
            while i < b.len() {
                while i < b.len() && b[i] == b' ' {
                    i += 1;
                }
                if i >= b.len() {
                    break;
                }
                let start = i;
                // A cell runs to two spaces in a row (or the end).
                while i < b.len() && !(b[i] == b' ' && b.get(i + 1).is_none_or(|&c| c == b' ')) {
                    i += 1;
                }
                out.push((start, i));
            }
        }
    }
    out
}

/// `start..end` of `line` without white space at either end.
fn trimmed(line: &str, start: usize, end: usize) -> (usize, usize) {
    let piece = &line[start..end];
    let lead = piece.len() - piece.trim_start().len();
    let s = start + lead;
    (s, s + piece[lead..].trim_end().len())
}

/// The character column of byte `at` of `line` (tabs count as one).
fn char_column(line: &str, at: usize) -> usize {
    line[..at].chars().count()
}

/// Which header column each cell of a row is under, as (column, cell
/// range); `None` if the row does not fit the table (so it ends there).
fn place(
    row: &str,
    cells: &[(usize, usize)],
    header: &[(usize, usize)],
    columns: &[usize],
    split: Split,
) -> Option<Vec<(usize, (usize, usize))>> {
    match split {
        Split::Pipe | Split::Tab => {
            // The same number of columns as the header (empty cells count).
            if cells.len() != header.len() {
                return None;
            }
            Some(cells.iter().enumerate().filter(|(_, (s, e))| s < e).map(|(k, &c)| (k, c)).collect())
        }
        Split::Spaces => {
            if cells.len() < 2 || cells.len() > header.len() {
                return None;
            }
            let mut placed = Vec::with_capacity(cells.len());
            let mut last: Option<usize> = None;
            for &(s, e) in cells {
                let col = char_column(row, s);
                // The rightmost header starting at or (a little) after the cell.
                let k = columns.iter().rposition(|&c| c <= col + ALIGN_SLACK)?;
                // A cell must not spill into the next column, nor two cells share one.
                let end_col = col + row[s..e].chars().count();
                if columns.get(k + 1).is_some_and(|&next| end_col > next + ALIGN_SLACK) || last.is_some_and(|l| l >= k)
                {
                    return None;
                }
                last = Some(k);
                placed.push((k, (s, e)));
            }
            Some(placed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (value, header) of every cell found, headers naming data when they
    /// are one of `known`.
    fn table(text: &str, known: &[&str]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        cells(text, &mut |h: &str| known.iter().any(|k| k.eq_ignore_ascii_case(h)), &mut out);
        out.iter().map(|c| (text[c.start..c.end].to_string(), text[c.header_start..c.header_end].to_string())).collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn pipe_tables_with_borders_and_rules() {
        let text = "Register\n| Name | DOB | Phone |\n|---|:---:|---|\n| Jane Roberts | 12/03/1985 | 07700 900123 |\n| Sam Patel |  | 01622 123456 |\n\nAfter the table | not a row";
        assert_eq!(
            table(text, &["dob", "name", "phone"]),
            pairs(&[
                ("Jane Roberts", "Name"),
                ("12/03/1985", "DOB"),
                ("07700 900123", "Phone"),
                ("Sam Patel", "Name"),
                ("01622 123456", "Phone"),
            ])
        );
    }

    #[test]
    fn tab_tables() {
        let text = "Surname\tSort code\tAccount\nRoberts\t20-00-00\t31926819\n";
        assert_eq!(
            table(text, &["sort code", "account"]),
            pairs(&[("Roberts", "Surname"), ("20-00-00", "Sort code"), ("31926819", "Account")])
        );
    }

    #[test]
    fn space_aligned_tables() {
        let text =
            "Client          DOB         Sort code\nJane Roberts    12/03/1985  20-00-00\nSam Patel       01/02/1990\n";
        assert_eq!(
            table(text, &["dob", "sort code"]),
            pairs(&[
                ("Jane Roberts", "Client"),
                ("12/03/1985", "DOB"),
                ("20-00-00", "Sort code"),
                ("Sam Patel", "Client"),
                ("01/02/1990", "DOB"),
            ])
        );
    }

    #[test]
    fn prose_and_unknown_headers_are_not_tables() {
        // No header the rules know.
        assert!(table("Colour | Size\nred | large\n", &["dob"]).is_empty());
        // Sentences with double spaces after full stops.
        let prose = "We met Jane today.  She is well.\nHer DOB is on file.  Call back Monday.\n";
        assert!(table(prose, &["dob", "her dob is on file."]).is_empty());
        // A header row with nothing under it.
        assert!(table("Name | DOB\n\nJane | 12/03/1985\n", &["dob"]).is_empty());
        // Rows with other column counts end the table.
        assert_eq!(table("Name | DOB\nJane | 1/2/1990\na | b | c\nSam | 3/4/1991\n", &["dob"]).len(), 2);
    }

    #[test]
    fn quick_test_agrees() {
        assert!(may_hold_table("a | b\nc | d"));
        assert!(may_hold_table("a\tb\nc"));
        assert!(may_hold_table("Name    DOB\nx"));
        assert!(!may_hold_table("one line | only"));
        assert!(!may_hold_table("plain text\nwith single spaces"));
    }
}
