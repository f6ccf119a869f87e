//! The text flow of a word-processing document, shared by docx, odt and rtf:
//! paragraphs and tables as parsed, and how they become segments.
//!
//! Locations in the body:
//! - Paragraphs outside tables are numbered from 1 in document order, empty
//!   paragraphs included (so the count matches pressing the down arrow
//!   through the document); table contents do not take numbers. They are
//!   emitted as `Loc::Lines { prefix: "paragraph" }` blocks, one paragraph a
//!   line, so detection sees neighbouring paragraphs. A line break inside a
//!   paragraph becomes a tab, keeping one paragraph to one line.
//! - Each table cell is its own segment located `table T row R cell C`
//!   (1-based; T counts the body's top-level tables, C counts the cells of
//!   the row as drawn). Nested tables are folded into the outer cell's text.
//!   The cell's label, found by [`cell_context`], is its context.
//! - Text deleted by tracked changes but still in the file is emitted apart
//!   as `deleted text in paragraph N`, so the paragraph line holds the text
//!   as it reads now (elsewhere it is an extra line of the same segment).
//! - A text box is emitted apart, located `text box in paragraph N` (N being
//!   the paragraph it is anchored in).

use crate::formats::{Emit, Segment};

/// Largest body segment before the next paragraphs start a new one.
pub const BLOCK_BYTES: usize = 64 << 10;

/// A piece of a document's flow.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Para(Para),
    Table(Vec<Row>),
}

/// One paragraph: its text (line breaks as `\n`), text deleted by tracked
/// changes (separate deletions split by tabs) and the text boxes anchored in it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Para {
    pub text: String,
    pub deleted: String,
    pub boxes: Vec<Vec<Block>>,
}

/// A table row; `header` when the file marks it as a repeated header row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub header: bool,
}

/// A table cell's content and how many grid columns it spans.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub blocks: Vec<Block>,
    pub span: u32,
}

/// A container being filled while parsing.
#[derive(Debug)]
enum Frame {
    Flow(Vec<Block>),
    Table(Vec<Row>),
    Row(Row),
    Cell(Vec<Block>, u32),
    Para(Para),
}

/// Builds a flow from parse events; forgiving of missing or unexpected ends
/// (a damaged file still yields what it holds).
///
/// Nesting is capped at [`MAX_NESTING`] open containers: deeper starts (and
/// their ends) are ignored, so a hostile file cannot build a structure deep
/// enough to overflow the stack when it is walked.
#[derive(Debug)]
pub struct FlowBuilder {
    stack: Vec<Frame>,
    /// Starts ignored at the nesting cap whose ends are still to come.
    overflow: u32,
    too_deep: bool,
}

/// Most containers open at once (real documents stay well under 20).
pub const MAX_NESTING: usize = 64;

impl Default for FlowBuilder {
    fn default() -> Self {
        FlowBuilder { stack: vec![Frame::Flow(Vec::new())], overflow: 0, too_deep: false }
    }
}

impl FlowBuilder {
    /// Whether the nesting cap was hit (some structure was flattened or lost).
    pub fn too_deep(&self) -> bool {
        self.too_deep
    }

    /// At the nesting cap: count an ignored start and report true.
    fn refuse_start(&mut self) -> bool {
        if self.stack.len() < MAX_NESTING {
            return false;
        }
        self.overflow += 1;
        self.too_deep = true;
        true
    }

    /// An end matching an ignored start: consume it and report true.
    fn ignore_end(&mut self) -> bool {
        if self.overflow == 0 {
            return false;
        }
        self.overflow -= 1;
        true
    }

    /// Pop the top frame if it is of the wanted kind (never the root flow).
    fn pop_if(&mut self, want: impl Fn(&Frame) -> bool) -> Option<Frame> {
        if self.stack.len() > 1 && self.stack.last().is_some_and(want) { self.stack.pop() } else { None }
    }

    pub fn start_para(&mut self) {
        if !self.refuse_start() {
            self.stack.push(Frame::Para(Para::default()));
        }
    }

    pub fn end_para(&mut self) {
        if self.ignore_end() {
            return;
        }
        if let Some(Frame::Para(p)) = self.pop_if(|f| matches!(f, Frame::Para(_))) {
            self.add_block(Block::Para(p));
        }
    }

    /// Text for the paragraph being read; text outside any paragraph is
    /// layout whitespace and dropped.
    pub fn text(&mut self, s: &str) {
        if let Some(Frame::Para(p)) = self.stack.last_mut() {
            p.text.push_str(s);
        }
    }

    /// Deleted text (tracked changes) for the paragraph being read.
    pub fn deleted_text(&mut self, s: &str) {
        if let Some(Frame::Para(p)) = self.stack.last_mut() {
            p.deleted.push_str(s);
        }
    }

    /// A new tracked deletion starts: keep it apart from the previous one.
    pub fn deletion_break(&mut self) {
        if let Some(Frame::Para(p)) = self.stack.last_mut()
            && !p.deleted.is_empty()
            && !p.deleted.ends_with('\t')
        {
            p.deleted.push('\t');
        }
    }

    /// Whether a paragraph is open to receive text.
    pub fn in_para(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Para(_)))
    }

    pub fn start_table(&mut self) {
        if !self.refuse_start() {
            self.stack.push(Frame::Table(Vec::new()));
        }
    }

    pub fn end_table(&mut self) {
        if self.ignore_end() {
            return;
        }
        self.close_until(|f| matches!(f, Frame::Table(_)));
        if let Some(Frame::Table(rows)) = self.pop_if(|f| matches!(f, Frame::Table(_))) {
            self.add_block(Block::Table(rows));
        }
    }

    pub fn start_row(&mut self) {
        if self.refuse_start() {
            return;
        }
        if !matches!(self.stack.last(), Some(Frame::Table(_))) {
            self.stack.push(Frame::Table(Vec::new()));
        }
        self.stack.push(Frame::Row(Row::default()));
    }

    /// Mark the row being read as a header row.
    pub fn mark_header_row(&mut self) {
        if let Some(Frame::Row(row)) = self.stack.iter_mut().rev().find(|f| matches!(f, Frame::Row(_))) {
            row.header = true;
        }
    }

    pub fn end_row(&mut self) {
        if self.ignore_end() {
            return;
        }
        self.close_until(|f| matches!(f, Frame::Row(_)));
        if let Some(Frame::Row(row)) = self.pop_if(|f| matches!(f, Frame::Row(_)))
            && let Some(Frame::Table(rows)) = self.stack.last_mut()
        {
            rows.push(row);
        }
    }

    pub fn start_cell(&mut self) {
        if self.refuse_start() {
            return;
        }
        if !matches!(self.stack.last(), Some(Frame::Row(_))) {
            if !matches!(self.stack.last(), Some(Frame::Table(_))) {
                self.stack.push(Frame::Table(Vec::new()));
            }
            self.stack.push(Frame::Row(Row::default()));
        }
        self.stack.push(Frame::Cell(Vec::new(), 1));
    }

    /// Set how many grid columns the cell being read spans.
    pub fn set_cell_span(&mut self, span: u32) {
        if let Some(Frame::Cell(_, s)) = self.stack.iter_mut().rev().find(|f| matches!(f, Frame::Cell(..))) {
            *s = span.clamp(1, 1000);
        }
    }

    pub fn end_cell(&mut self) {
        if self.ignore_end() {
            return;
        }
        self.close_until(|f| matches!(f, Frame::Cell(..)));
        if let Some(Frame::Cell(blocks, span)) = self.pop_if(|f| matches!(f, Frame::Cell(..)))
            && let Some(Frame::Row(row)) = self.stack.last_mut()
        {
            row.cells.push(Cell { blocks, span });
        }
    }

    /// Start a separate flow inside the current one (a text box, a note, a
    /// comment); [`FlowBuilder::end_flow`] hands it back.
    pub fn start_flow(&mut self) {
        if !self.refuse_start() {
            self.stack.push(Frame::Flow(Vec::new()));
        }
    }

    /// Close the innermost separate flow and return its blocks (empty if none is open).
    pub fn end_flow(&mut self) -> Vec<Block> {
        if self.ignore_end() {
            return Vec::new();
        }
        self.close_until(|f| matches!(f, Frame::Flow(_)));
        match self.pop_if(|f| matches!(f, Frame::Flow(_))) {
            Some(Frame::Flow(blocks)) => blocks,
            _ => Vec::new(),
        }
    }

    /// Anchor a text box in the paragraph being read, or add its content to
    /// the enclosing flow when there is none.
    pub fn add_box(&mut self, blocks: Vec<Block>) {
        if blocks.is_empty() {
            return;
        }
        match self.stack.last_mut() {
            Some(Frame::Para(p)) => p.boxes.push(blocks),
            _ => blocks.into_iter().for_each(|b| self.add_block(b)),
        }
    }

    /// Close everything still open and return the whole flow.
    pub fn finish(mut self) -> Vec<Block> {
        while self.stack.len() > 1 {
            self.close_top();
        }
        match self.stack.pop() {
            Some(Frame::Flow(blocks)) => blocks,
            _ => Vec::new(),
        }
    }

    /// Close frames above the innermost one matching `want` (if there is one).
    fn close_until(&mut self, want: impl Fn(&Frame) -> bool) {
        // Never close the root flow.
        let Some(pos) = self.stack.iter().skip(1).rposition(&want).map(|p| p + 1) else {
            return;
        };
        while self.stack.len() > pos + 1 {
            self.close_top();
        }
    }

    /// Close the top frame (always pops it, whatever ignored starts are pending).
    fn close_top(&mut self) {
        let overflow = std::mem::take(&mut self.overflow);
        match self.stack.last() {
            Some(Frame::Para(_)) => self.end_para(),
            Some(Frame::Table(_)) => self.end_table(),
            Some(Frame::Row(_)) => self.end_row(),
            Some(Frame::Cell(..)) => self.end_cell(),
            Some(Frame::Flow(_)) => {
                let blocks = self.end_flow();
                self.add_box(blocks);
            }
            None => {}
        }
        self.overflow = overflow;
    }

    /// Add a finished block to the innermost flow or cell.
    fn add_block(&mut self, block: Block) {
        for frame in self.stack.iter_mut().rev() {
            match frame {
                Frame::Flow(blocks) | Frame::Cell(blocks, _) => {
                    blocks.push(block);
                    return;
                }
                Frame::Para(p) => {
                    // A block inside a paragraph (malformed nesting): keep its text.
                    p.boxes.push(vec![block]);
                    return;
                }
                Frame::Table(_) | Frame::Row(_) => {}
            }
        }
    }
}

/// All the text of some blocks, one paragraph (or table cell) a line.
pub fn flatten(blocks: &[Block]) -> String {
    let mut out = String::new();
    flatten_into(blocks, &mut out);
    out
}

fn flatten_into(blocks: &[Block], out: &mut String) {
    for block in blocks {
        match block {
            Block::Para(p) => {
                push_line(out, &p.text);
                if !p.deleted.trim().is_empty() {
                    push_line(out, p.deleted.trim());
                }
                for b in &p.boxes {
                    flatten_into(b, out);
                }
            }
            Block::Table(rows) => {
                for cell in rows.iter().flat_map(|r| &r.cells) {
                    flatten_into(&cell.blocks, out);
                }
            }
        }
    }
}

fn push_line(out: &mut String, line: &str) {
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(line);
}

/// Emit blocks as one fixed-location segment (headers, notes, comments),
/// unless they hold no text.
pub fn emit_flat(location: &str, blocks: &[Block], emit: &mut dyn Emit) {
    let text = flatten(blocks);
    let text = text.trim_matches(|c: char| c == '\n' || c.is_whitespace());
    if !text.is_empty() {
        emit.segment(Segment::fixed(location, text, None));
    }
}

/// Paragraph lines gathered into a segment of at most [`BLOCK_BYTES`].
struct Lines {
    text: String,
    first: u64,
    count: u64,
}

impl Lines {
    fn push(&mut self, number: u64, line: &str, emit: &mut dyn Emit) {
        if self.count == 0 {
            if line.trim().is_empty() {
                return;
            }
            self.first = number;
        } else {
            self.text.push('\n');
        }
        // One paragraph stays one line.
        self.text.extend(line.chars().map(|c| if c == '\n' || c == '\r' { '\t' } else { c }));
        self.count += 1;
        if self.text.len() >= BLOCK_BYTES {
            self.flush(emit);
        }
    }

    fn flush(&mut self, emit: &mut dyn Emit) {
        let text = self.text.trim_end();
        if self.count > 0 && !text.is_empty() {
            emit.segment(Segment::lines("paragraph", self.first, text));
        }
        self.text.clear();
        self.count = 0;
    }
}

/// Emit a document body: paragraph blocks, table cells and text boxes.
pub fn emit_body(blocks: &[Block], emit: &mut dyn Emit) {
    let mut lines = Lines { text: String::new(), first: 1, count: 0 };
    let mut para = 0u64;
    let mut table = 0u32;
    for block in blocks {
        match block {
            Block::Para(p) => {
                para += 1;
                lines.push(para, &p.text, emit);
                let deleted = p.deleted.trim();
                if !deleted.is_empty() {
                    let location = format!("deleted text in paragraph {para}");
                    emit.segment(Segment::fixed(&location, deleted, None));
                }
                for b in &p.boxes {
                    emit_flat(&format!("text box in paragraph {para}"), b, emit);
                }
            }
            Block::Table(rows) => {
                table += 1;
                emit_table(table, rows, emit);
            }
        }
    }
    lines.flush(emit);
}

/// Emit each cell of a table with its label as context.
fn emit_table(number: u32, rows: &[Row], emit: &mut dyn Emit) {
    let grid: Vec<Vec<String>> =
        rows.iter().map(|r| r.cells.iter().map(|c| flatten(&c.blocks).trim().to_string()).collect()).collect();
    let mode = table_mode(rows, &grid);
    for (r, row) in rows.iter().enumerate() {
        let mut column = 0u32;
        for (c, cell) in row.cells.iter().enumerate() {
            let text = &grid[r][c];
            if !text.is_empty() {
                let location = format!("table {number} row {} cell {}", r + 1, c + 1);
                let context = cell_context(mode, rows, &grid, r, c, column);
                emit.segment(Segment::fixed(&location, text, context.as_deref()));
            }
            column += cell.span;
        }
    }
}

/// How a table's labels are laid out.
#[derive(Debug, Clone, Copy, PartialEq)]
enum TableMode {
    /// The first row names the columns.
    HeaderRow,
    /// Label cells sit to the left of value cells ("Date of birth" | "12/03/1985").
    Form,
}

/// Decide the table's layout from its text.
fn table_mode(rows: &[Row], grid: &[Vec<String>]) -> TableMode {
    if rows.first().is_some_and(|r| r.header) {
        return TableMode::HeaderRow;
    }
    if rows.len() < 2 {
        // One row: a row of labelled fields, not a header without data.
        return TableMode::Form;
    }
    let first_is_labels = grid[0].len() >= 2 && grid[0].iter().all(|t| is_label(t));
    let two_columns = grid.iter().all(|r| r.len() == 2);
    let left_are_labels = grid.iter().all(|r| r.first().is_none_or(|t| t.is_empty() || is_label(t)));
    if two_columns && left_are_labels {
        // A two-column table whose left column is all labels is a form, unless
        // its first row is labels and the left column below holds values
        // (names in a list of people rather than field names).
        let below = &grid[1..];
        let labelled = below.iter().filter(|r| r[0].ends_with(':') || has_label_word(&r[0])).count();
        let values_below = below.iter().any(|r| !r[0].is_empty() && !is_label(&r[0]));
        let header = first_is_labels && (values_below || (labelled == 0 && below.len() >= 2));
        return if header { TableMode::HeaderRow } else { TableMode::Form };
    }
    if first_is_labels { TableMode::HeaderRow } else { TableMode::Form }
}

/// A cell's label: the cell to its left when that is a label ending in ':'
/// (any table), else the column header (header-row tables) or the cell to
/// its left when it is a short label (form tables).
fn cell_context(
    mode: TableMode,
    rows: &[Row],
    grid: &[Vec<String>],
    r: usize,
    c: usize,
    column: u32,
) -> Option<String> {
    let left = (c > 0).then(|| grid[r][c - 1].as_str()).filter(|t| !t.is_empty());
    if let Some(l) = left
        && l.ends_with(':')
        && is_label(l)
    {
        return Some(label_text(l));
    }
    match mode {
        TableMode::HeaderRow if r > 0 => header_at(&rows[0], &grid[0], column).map(label_text),
        TableMode::Form if grid[r].len() == 2 => left.filter(|l| is_label(l)).map(label_text),
        // Wider forms ("Name" | "Jane" | "DOB" | "12/03/1985"): only cells that are
        // clearly labels count, so a row of values does not label itself.
        TableMode::Form if c % 2 == 1 => left.filter(|l| is_label(l) && has_label_word(l)).map(label_text),
        _ => None,
    }
}

/// The header row's text over grid column `column`.
fn header_at<'g>(header: &Row, texts: &'g [String], column: u32) -> Option<&'g str> {
    let mut start = 0u32;
    for (cell, text) in header.cells.iter().zip(texts) {
        if column >= start && column < start + cell.span {
            return Some(text.as_str()).filter(|t| !t.is_empty());
        }
        start += cell.span;
    }
    None
}

/// A label as context: trimmed, without its trailing colon.
fn label_text(label: &str) -> String {
    label.trim().trim_end_matches(':').trim_end().to_string()
}

/// Words found in form field labels, to tell a form's label column from a
/// column of values.
const LABEL_WORDS: &[&str] = &[
    "name",
    "surname",
    "forename",
    "forenames",
    "first",
    "last",
    "family",
    "given",
    "title",
    "date",
    "birth",
    "dob",
    "d.o.b",
    "age",
    "gender",
    "sex",
    "address",
    "postcode",
    "post",
    "town",
    "city",
    "county",
    "phone",
    "telephone",
    "tel",
    "mobile",
    "email",
    "e-mail",
    "contact",
    "ni",
    "nino",
    "insurance",
    "nhs",
    "number",
    "no",
    "ref",
    "reference",
    "id",
    "gp",
    "surgery",
    "school",
    "nationality",
    "language",
    "religion",
    "ethnicity",
    "kin",
    "relationship",
    "occupation",
    "employer",
    "referrer",
    "referred",
    "agency",
    "organisation",
    "organization",
    "role",
    "reason",
    "notes",
    "details",
    "signed",
    "signature",
    "account",
    "sort",
    "code",
    "bank",
    "iban",
    "income",
    "benefits",
    "housing",
    "tenure",
    "status",
    "dependants",
    "children",
    "carer",
    "parent",
    "guardian",
    "consent",
    "medical",
    "conditions",
    "disability",
    "needs",
    "risk",
    "allergies",
    "medication",
    "start",
    "end",
    "client",
    "member",
    "volunteer",
    "staff",
    "worker",
];

/// Whether a label contains one of [`LABEL_WORDS`].
fn has_label_word(text: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric() && c != '.' && c != '-').any(|w| {
        let w = w.to_lowercase();
        let w = w.trim_end_matches('.');
        // Plurals too: "Contacts", "Children's names".
        LABEL_WORDS.contains(&w) || w.strip_suffix('s').is_some_and(|s| LABEL_WORDS.contains(&s))
    })
}

/// Whether text looks like a field label rather than a value: one short line
/// with no '@' and at most two digits ("Address line 1", "Date of birth:").
pub fn is_label(text: &str) -> bool {
    let t = text.trim();
    let max = if t.ends_with(':') { 60 } else { 40 };
    !t.is_empty()
        && t.chars().count() <= max
        && !t.contains(['\n', '@'])
        && t.chars().filter(char::is_ascii_digit).count() <= 2
        && t.split_whitespace().count() <= 6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::Collect;

    fn table(rows: &[&[&str]]) -> Vec<Block> {
        let mut b = FlowBuilder::default();
        b.start_table();
        for row in rows {
            b.start_row();
            for cell in *row {
                b.start_cell();
                b.start_para();
                b.text(cell);
                b.end_para();
                b.end_cell();
            }
            b.end_row();
        }
        b.end_table();
        b.finish()
    }

    fn contexts(rows: &[&[&str]]) -> Vec<(String, String, Option<String>)> {
        let mut c = Collect::default();
        emit_body(&table(rows), &mut c);
        c.segments
    }

    #[test]
    fn header_row_names_columns() {
        let s = contexts(&[&["Name", "Phone", "Postcode"], &["Jane Roberts", "07700 900123", "SW1A 1AA"]]);
        assert_eq!(s[3], ("table 1 row 2 cell 1".into(), "Jane Roberts".into(), Some("Name".into())));
        assert_eq!(s[4].2.as_deref(), Some("Phone"));
        assert_eq!(s[0].2, None);
    }

    #[test]
    fn form_table_uses_left_label() {
        let s = contexts(&[&["Name", "Jane Roberts"], &["Date of birth", "12/03/1985"]]);
        assert_eq!(s[1].2.as_deref(), Some("Name"));
        assert_eq!(s[3], ("table 1 row 2 cell 2".into(), "12/03/1985".into(), Some("Date of birth".into())));
        let s = contexts(&[&["Name", "Phone"], &["Jane Roberts", "07700 900123"], &["Bob Smith", "07700 900456"]]);
        assert_eq!(s[3].2.as_deref(), Some("Phone"), "left column is values, not labels: {s:?}");
        let s = contexts(&[&["Client ref", "HT-0042", "NI number:", "QQ123456C"]]);
        assert_eq!(s[3].2.as_deref(), Some("NI number"));
        assert_eq!(s[1].2.as_deref(), Some("Client ref"));
        assert_eq!(s[2].2, None, "a label beside a value has no label");
        let s = contexts(&[&["Referrer", "Sue Brown"], &["Siblings", "Amy (7)"], &["Allergies", "none"]]);
        assert_eq!(s[3].2.as_deref(), Some("Siblings"), "a form with uncommon labels: {s:?}");
        let s = contexts(&[&["Name", "Jane", "DOB", "12/03/1985"], &["Jane Roberts", "Bob", "Sam", "Kim"]]);
        assert_eq!(s[3].2.as_deref(), Some("DOB"));
        assert_eq!(s[5].2, None, "names are not labels in a wide table");
    }

    #[test]
    fn nesting_is_capped() {
        let mut b = FlowBuilder::default();
        for _ in 0..10_000 {
            b.start_table();
            b.start_cell();
            b.start_para();
            b.text("x");
        }
        for _ in 0..10_000 {
            b.end_para();
            b.end_cell();
            b.end_table();
        }
        b.start_para();
        b.text("after");
        b.end_para();
        assert!(b.too_deep());
        let blocks = b.finish();
        assert_eq!(blocks.len(), 2, "the outer table, then the paragraph after it");
        assert!(flatten(&blocks).ends_with("x\nafter"));
    }

    #[test]
    fn builder_survives_missing_ends() {
        let mut b = FlowBuilder::default();
        b.start_table();
        b.start_cell();
        b.start_para();
        b.text("orphan");
        b.end_table();
        b.start_para();
        b.text("after");
        let blocks = b.finish();
        assert_eq!(flatten(&blocks), "orphan\nafter");
    }
}
