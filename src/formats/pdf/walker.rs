//! Walks a page's content stream (and the Form XObjects it draws) and turns
//! the shown strings into lines of text.
//!
//! Text is kept in content-stream order, which is reading order for the
//! documents office software writes. A new line starts when the baseline
//! moves by more than half the font size; a space is put in when the pen jumps
//! forward by more than [`WORD_GAP`] of an em between two strings, or, inside
//! a `TJ` array, when a kerning number opens a gap wider than [`KERN_SPACE`].

use std::rc::Rc;

use lopdf::{Dictionary, Document, Object};

use super::font::{Font, FontCache};
use super::lexer::Lexer;
use super::{deref, deref_dict};

/// Deepest nesting of Form XObjects followed.
pub const MAX_FORM_DEPTH: u32 = 12;
/// Most content-stream operations run for one page, forms included.
pub const MAX_OPS: u64 = 5_000_000;
/// Deepest `q` nesting kept; deeper saves are ignored.
const MAX_STACK: usize = 1024;
/// A `TJ` kerning number below minus this (thousandths of an em) is a word gap.
const KERN_SPACE: f32 = 200.0;
/// A forward jump of the pen wider than this (in ems) between strings is a word gap.
const WORD_GAP: f32 = 0.15;
/// A baseline shift larger than this (in ems) starts a new line.
const LINE_SHIFT: f32 = 0.5;

/// A 2-D affine matrix `[a b c d e f]`, row-vector convention as in PDF.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Matrix([f32; 6]);

impl Matrix {
    const IDENTITY: Matrix = Matrix([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    fn translate(tx: f32, ty: f32) -> Matrix {
        Matrix([1.0, 0.0, 0.0, 1.0, tx, ty])
    }

    /// `self` applied first, then `other`.
    fn then(&self, other: &Matrix) -> Matrix {
        let [a, b, c, d, e, f] = self.0;
        let [a2, b2, c2, d2, e2, f2] = other.0;
        Matrix([
            a * a2 + b * c2,
            a * b2 + b * d2,
            c * a2 + d * c2,
            c * b2 + d * d2,
            e * a2 + f * c2 + e2,
            e * b2 + f * d2 + f2,
        ])
    }

    /// Six numbers from operands or an array; `None` unless all are finite numbers.
    fn from_objects(objects: &[Object]) -> Option<Matrix> {
        let mut m = [0.0f32; 6];
        if objects.len() < 6 {
            return None;
        }
        for (slot, o) in m.iter_mut().zip(objects) {
            *slot = o.as_float().ok().filter(|v| v.is_finite())?;
        }
        Some(Matrix(m))
    }
}

/// The graphics state parts that matter for text (saved by `q`, restored by `Q`).
#[derive(Clone)]
struct GState<'d> {
    ctm: Matrix,
    font: Option<Rc<Font<'d>>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    h_scale: f32,
    leading: f32,
}

impl GState<'_> {
    fn new(ctm: Matrix) -> Self {
        GState { ctm, font: None, size: 0.0, char_spacing: 0.0, word_spacing: 0.0, h_scale: 1.0, leading: 0.0 }
    }
}

/// Where the pen is, in page space: position, baseline direction and font size.
#[derive(Debug, Clone, Copy)]
struct Pen {
    x: f32,
    y: f32,
    dx: f32,
    dy: f32,
    size: f32,
}

impl Pen {
    /// The pen of text rendered with matrix `m` (text matrix × CTM) at font size `size`.
    fn at(m: &Matrix, size: f32) -> Pen {
        let [a, b, c, d, e, f] = m.0;
        let len = (a * a + b * b).sqrt();
        let (dx, dy) = if len > 1e-6 { (a / len, b / len) } else { (1.0, 0.0) };
        let vertical = (c * c + d * d).sqrt();
        let scale = if vertical > 1e-6 { vertical } else { len };
        Pen { x: e, y: f, dx, dy, size: (size.abs() * scale).max(0.01) }
    }
}

/// How to decide on a space before a string.
#[derive(Debug, Clone, Copy)]
enum Gap {
    /// From the distance between the previous string's end and this one's start.
    Measure,
    /// Already decided (inside a `TJ` array, from its kerning numbers).
    Known(bool),
}

/// The text of one page as it is being built.
#[derive(Default)]
struct PageText {
    text: String,
    /// Where the last non-empty string ended.
    last: Option<Pen>,
}

impl PageText {
    fn push(&mut self, s: &str, start: Pen, end: Pen, gap: Gap) {
        if s.is_empty() {
            return;
        }
        if let Some(last) = self.last {
            let (ddx, ddy) = (start.x - last.x, start.y - last.y);
            let along = ddx * last.dx + ddy * last.dy;
            let across = ddy * last.dx - ddx * last.dy;
            let size = last.size.max(start.size);
            let same_direction = last.dx * start.dx + last.dy * start.dy > 0.9;
            if !same_direction || across.abs() > LINE_SHIFT * size {
                self.newline();
            } else {
                let space = match gap {
                    Gap::Known(space) => space,
                    Gap::Measure => along > WORD_GAP * size || along < -size,
                };
                if space && !self.text.ends_with(char::is_whitespace) && !s.starts_with(char::is_whitespace) {
                    self.text.push(' ');
                }
            }
        }
        self.text.push_str(s);
        self.last = Some(end);
    }

    fn newline(&mut self) {
        let trimmed = self.text.trim_end_matches([' ', '\t']).len();
        self.text.truncate(trimmed);
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    /// The finished text: lines without surrounding blanks, no blank lines.
    fn finish(self) -> String {
        let lines: Vec<&str> = self.text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        lines.join("\n")
    }
}

/// What reading one page gave.
#[derive(Default)]
pub struct PageResult {
    /// The page's text, lines joined by `\n` (empty if none).
    pub text: String,
    /// Image XObjects and inline images drawn.
    pub images: usize,
    /// Text was drawn in a font with no Unicode mapping and could not be read.
    pub unmapped_font: bool,
    /// Problems met (damaged streams, limits); the text read before them is kept.
    pub problems: Vec<String>,
}

/// Runs content streams for one page.
pub struct Walker<'d, 'c> {
    doc: &'d Document,
    fonts: &'c mut FontCache<'d>,
    /// Largest decoded Form XObject stream.
    max_stream: usize,
    ops: u64,
    text: PageText,
    result: PageResult,
}

impl<'d, 'c> Walker<'d, 'c> {
    pub fn new(doc: &'d Document, fonts: &'c mut FontCache<'d>, max_stream: usize) -> Self {
        Walker { doc, fonts, max_stream, ops: 0, text: PageText::default(), result: PageResult::default() }
    }

    /// Runs a page's (concatenated) content with its resources.
    pub fn run_page(mut self, content: &[u8], resources: Option<&'d Dictionary>) -> PageResult {
        self.walk(content, resources, GState::new(Matrix::IDENTITY), 0);
        let mut result = self.result;
        result.text = self.text.finish();
        result
    }

    /// Runs one content stream. `depth` counts Form XObjects around it.
    fn walk(&mut self, content: &[u8], resources: Option<&'d Dictionary>, state: GState<'d>, depth: u32) {
        let mut stack: Vec<GState<'d>> = Vec::new();
        let mut gs = state;
        let mut tm = Matrix::IDENTITY;
        let mut tlm = Matrix::IDENTITY;
        let mut ops = Lexer::new(content);
        for op in ops.by_ref() {
            self.ops += 1;
            if self.ops > MAX_OPS {
                self.problem(format!("more than {MAX_OPS} drawing operations: the rest was not read"));
                return;
            }
            let args = op.operands.as_slice();
            let num = |i: usize| args.get(i).and_then(|o| o.as_float().ok()).filter(|v| v.is_finite());
            match op.operator.as_str() {
                "q" if stack.len() < MAX_STACK => stack.push(gs.clone()),
                "Q" => gs = stack.pop().unwrap_or(gs),
                "cm" => {
                    if let Some(m) = Matrix::from_objects(args) {
                        gs.ctm = m.then(&gs.ctm);
                    }
                }
                "BT" => {
                    tm = Matrix::IDENTITY;
                    tlm = Matrix::IDENTITY;
                }
                "Tf" => {
                    let name = args.first().and_then(|o| o.as_name().ok()).unwrap_or(b"");
                    gs.font = self.font(resources, name);
                    gs.size = num(1).unwrap_or(0.0);
                }
                "Tc" => gs.char_spacing = num(0).unwrap_or(0.0),
                "Tw" => gs.word_spacing = num(0).unwrap_or(0.0),
                "Tz" => gs.h_scale = num(0).unwrap_or(100.0) / 100.0,
                "TL" => gs.leading = num(0).unwrap_or(0.0),
                "Td" | "TD" => {
                    let (tx, ty) = (num(0).unwrap_or(0.0), num(1).unwrap_or(0.0));
                    if op.operator == "TD" {
                        gs.leading = -ty;
                    }
                    tlm = Matrix::translate(tx, ty).then(&tlm);
                    tm = tlm;
                }
                "Tm" => {
                    if let Some(m) = Matrix::from_objects(args) {
                        tlm = m;
                        tm = m;
                    }
                }
                "T*" => {
                    tlm = Matrix::translate(0.0, -gs.leading).then(&tlm);
                    tm = tlm;
                }
                "Tj" => self.show(args.first(), &gs, &mut tm, Gap::Measure),
                "'" | "\"" => {
                    if op.operator == "\"" {
                        gs.word_spacing = num(0).unwrap_or(gs.word_spacing);
                        gs.char_spacing = num(1).unwrap_or(gs.char_spacing);
                    }
                    tlm = Matrix::translate(0.0, -gs.leading).then(&tlm);
                    tm = tlm;
                    self.show(args.last(), &gs, &mut tm, Gap::Measure);
                }
                "TJ" => {
                    if let Some(Object::Array(items)) = args.first() {
                        self.show_array(items, &gs, &mut tm);
                    }
                }
                "Do" => {
                    let name = args.first().and_then(|o| o.as_name().ok()).unwrap_or(b"");
                    self.draw_xobject(name, resources, &gs, depth);
                }
                "BI" => self.result.images += 1,
                _ => {}
            }
        }
        if ops.skipped > 0 {
            self.problem(format!("damaged content stream: {} unreadable bytes skipped", ops.skipped));
        }
    }

    /// Records a problem once (a nested form may hit the same one many times).
    fn problem(&mut self, message: String) {
        if !self.result.problems.contains(&message) {
            self.result.problems.push(message);
        }
    }

    /// Shows one string operand and moves the text matrix past it.
    fn show(&mut self, operand: Option<&Object>, gs: &GState<'d>, tm: &mut Matrix, gap: Gap) {
        let Some(Object::String(bytes, _)) = operand else {
            return;
        };
        let Some(font) = gs.font.clone() else { return };
        if font.is_unmapped() && !bytes.is_empty() {
            self.result.unmapped_font = true;
        }
        let mut text = String::new();
        let mut advance = 0.0f32;
        font.glyphs(bytes, |g| {
            text.push_str(g.text);
            let spacing = gs.char_spacing + if g.is_space { gs.word_spacing } else { 0.0 };
            advance += (g.width * gs.size + spacing) * gs.h_scale;
        });
        let start = Pen::at(&tm.then(&gs.ctm), gs.size);
        if advance.is_finite() {
            *tm = Matrix::translate(advance, 0.0).then(tm);
        }
        let end = Pen::at(&tm.then(&gs.ctm), gs.size);
        self.text.push(&text, start, end, gap);
    }

    /// Shows a `TJ` array: strings with kerning numbers between them.
    fn show_array(&mut self, items: &[Object], gs: &GState<'d>, tm: &mut Matrix) {
        let mut kern = 0.0f32;
        let mut first = true;
        for item in items {
            match item {
                Object::String(..) => {
                    let gap = if first { Gap::Measure } else { Gap::Known(kern < -KERN_SPACE) };
                    self.show(Some(item), gs, tm, gap);
                    kern = 0.0;
                    first = false;
                }
                other => {
                    let Some(n) = other.as_float().ok().filter(|n| n.is_finite()) else {
                        continue;
                    };
                    *tm = Matrix::translate(-n / 1000.0 * gs.size * gs.h_scale, 0.0).then(tm);
                    kern += n;
                }
            }
        }
    }

    /// `Do`: counts images, runs Form XObjects with their matrix and resources.
    fn draw_xobject(&mut self, name: &[u8], resources: Option<&'d Dictionary>, gs: &GState<'d>, depth: u32) {
        let doc = self.doc;
        let Some(stream) = resources
            .and_then(|r| r.get(b"XObject").ok())
            .and_then(|o| deref_dict(doc, o))
            .and_then(|x| x.get(name).ok())
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_stream().ok())
        else {
            return;
        };
        match stream.dict.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Image") => self.result.images += 1,
            Ok(b"Form") => {
                if depth >= MAX_FORM_DEPTH {
                    self.problem(format!("forms nested deeper than {MAX_FORM_DEPTH}: not followed"));
                    return;
                }
                let content = match stream.get_plain_content_with_limit(self.max_stream) {
                    Ok(content) => content,
                    Err(e) => {
                        self.problem(format!("unreadable form XObject ({e})"));
                        return;
                    }
                };
                let matrix = stream
                    .dict
                    .get(b"Matrix")
                    .ok()
                    .and_then(|o| deref(doc, o))
                    .and_then(|o| o.as_array().ok())
                    .and_then(|a| Matrix::from_objects(a))
                    .unwrap_or(Matrix::IDENTITY);
                let form_resources = stream.dict.get(b"Resources").ok().and_then(|o| deref_dict(doc, o)).or(resources);
                let mut state = gs.clone();
                state.ctm = matrix.then(&gs.ctm);
                self.walk(&content, form_resources, state, depth + 1);
            }
            _ => {}
        }
    }

    /// The font named `name` in `resources`, built once per font object.
    fn font(&mut self, resources: Option<&'d Dictionary>, name: &[u8]) -> Option<Rc<Font<'d>>> {
        let doc = self.doc;
        let fonts = resources?.get(b"Font").ok().and_then(|o| deref_dict(doc, o))?;
        match fonts.get(name).ok()? {
            Object::Reference(id) => {
                if let Some(font) = self.fonts.get(id) {
                    return Some(font.clone());
                }
                let dict = deref_dict(doc, fonts.get(name).ok()?)?;
                let font = Rc::new(Font::new(doc, dict));
                self.fonts.insert(*id, font.clone());
                Some(font)
            }
            Object::Dictionary(dict) => Some(Rc::new(Font::new(doc, dict))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_order_applies_left_first() {
        let scale = Matrix([2.0, 0.0, 0.0, 2.0, 0.0, 0.0]);
        let shift = Matrix::translate(10.0, 5.0);
        assert_eq!(scale.then(&shift).0, [2.0, 0.0, 0.0, 2.0, 10.0, 5.0]);
        assert_eq!(shift.then(&scale).0, [2.0, 0.0, 0.0, 2.0, 20.0, 10.0]);
    }

    #[test]
    fn page_text_spacing_and_lines() {
        let pen = |x: f32, y: f32| Pen { x, y, dx: 1.0, dy: 0.0, size: 10.0 };
        let mut page = PageText::default();
        page.push("Jane R", pen(0.0, 100.0), pen(30.0, 100.0), Gap::Measure);
        page.push("oberts", pen(30.5, 100.0), pen(60.0, 100.0), Gap::Measure);
        page.push("DOB", pen(70.0, 100.0), pen(90.0, 100.0), Gap::Measure);
        page.push("next", pen(0.0, 88.0), pen(20.0, 88.0), Gap::Measure);
        page.push("x", pen(25.0, 88.0), pen(30.0, 88.0), Gap::Known(false));
        assert_eq!(page.finish(), "Jane Roberts DOB\nnextx");
    }
}
