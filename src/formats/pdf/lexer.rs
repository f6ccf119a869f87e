//! A forgiving content-stream reader. lopdf's content parser stops silently at
//! the first thing it does not understand, losing the rest of the page; this
//! one skips the unreadable bytes, counts them, and goes on.

use lopdf::{Dictionary, Object, StringFormat};

/// Most operands kept before an operator; more means garbage, and they are dropped.
const MAX_OPERANDS: usize = 4096;
/// Deepest nesting of arrays and dictionaries in an operand.
const MAX_NESTING: u32 = 32;

/// One operator with its operands. Inline images come out as operator `BI`
/// with no operands.
pub struct Op {
    pub operator: String,
    pub operands: Vec<Object>,
}

/// Reads operations from content-stream bytes.
pub struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
    /// Bytes that could not be read as part of any token.
    pub skipped: usize,
}

fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn is_delim(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

/// A token that is not an operand.
enum Token {
    Operand(Object),
    Keyword(String),
    ArrayEnd,
    DictEnd,
    /// A byte that starts nothing valid (already skipped).
    Junk,
}

impl<'a> Lexer<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Lexer { data, pos: 0, skipped: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(b) = self.peek() {
                    if b == b'\r' || b == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// The next token, or `None` at the end of the data.
    fn token(&mut self, depth: u32) -> Option<Token> {
        self.skip_space();
        let b = self.peek()?;
        Some(match b {
            b'(' => Token::Operand(Object::String(self.literal_string(), StringFormat::Literal)),
            b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                Token::Operand(self.dictionary(depth))
            }
            b'<' => Token::Operand(Object::String(self.hex_string(), StringFormat::Hexadecimal)),
            b'>' if self.data.get(self.pos + 1) == Some(&b'>') => {
                self.pos += 2;
                Token::DictEnd
            }
            b'[' => {
                self.pos += 1;
                Token::Operand(self.array(depth))
            }
            b']' => {
                self.pos += 1;
                Token::ArrayEnd
            }
            b'/' => {
                self.pos += 1;
                Token::Operand(Object::Name(self.name()))
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => match self.number() {
                Some(n) => Token::Operand(n),
                None => Token::Junk,
            },
            b if is_delim(b) => {
                self.pos += 1;
                self.skipped += 1;
                Token::Junk
            }
            _ => {
                let word = self.word();
                match word.as_str() {
                    "true" => Token::Operand(Object::Boolean(true)),
                    "false" => Token::Operand(Object::Boolean(false)),
                    "null" => Token::Operand(Object::Null),
                    _ => Token::Keyword(word),
                }
            }
        })
    }

    /// A run of regular characters (an operator or keyword).
    fn word(&mut self) -> String {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_white(b) || is_delim(b) {
                break;
            }
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.data[start..self.pos]).into_owned()
    }

    fn name(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            if is_white(b) || is_delim(b) {
                break;
            }
            self.pos += 1;
            let hex = self.data.get(self.pos..self.pos + 2).and_then(|h| std::str::from_utf8(h).ok());
            match (b, hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'#', Some(v)) => {
                    out.push(v);
                    self.pos += 2;
                }
                _ => out.push(b),
            }
        }
        out
    }

    fn number(&mut self) -> Option<Object> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if !matches!(b, b'+' | b'-' | b'.' | b'0'..=b'9') {
                break;
            }
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.data[start..self.pos]).ok()?;
        if let Ok(i) = text.parse::<i64>() {
            return Some(Object::Integer(i));
        }
        match text.parse::<f32>() {
            Ok(f) => Some(Object::Real(f)),
            Err(_) => {
                // Malformed numbers like `--5` or `1.2.3` count as unreadable.
                self.skipped += self.pos - start;
                None
            }
        }
    }

    fn literal_string(&mut self) -> Vec<u8> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut level = 1u32;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'(' => {
                    level += 1;
                    out.push(b);
                }
                b')' => {
                    level -= 1;
                    if level == 0 {
                        return out;
                    }
                    out.push(b);
                }
                b'\\' => self.escape(&mut out),
                _ => out.push(b),
            }
        }
        out
    }

    /// The character after a backslash in a literal string.
    fn escape(&mut self, out: &mut Vec<u8>) {
        let Some(b) = self.peek() else { return };
        self.pos += 1;
        match b {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'\r' => {
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            b'\n' => {}
            b'0'..=b'7' => {
                let mut value = u32::from(b - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => break,
                    }
                }
                out.push((value & 0xff) as u8);
            }
            other => out.push(other),
        }
    }

    fn hex_string(&mut self) -> Vec<u8> {
        self.pos += 1;
        let mut digits = Vec::new();
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'>' => break,
                b if b.is_ascii_hexdigit() => digits.push(b),
                b if is_white(b) => {}
                _ => self.skipped += 1,
            }
        }
        if digits.len() % 2 == 1 {
            digits.push(b'0');
        }
        digits
            .chunks(2)
            .map(|pair| {
                let hex = std::str::from_utf8(pair).unwrap_or("00");
                u8::from_str_radix(hex, 16).unwrap_or(0)
            })
            .collect()
    }

    fn array(&mut self, depth: u32) -> Object {
        let mut items = Vec::new();
        loop {
            if depth > MAX_NESTING {
                break;
            }
            match self.token(depth + 1) {
                None | Some(Token::ArrayEnd) => break,
                Some(Token::Operand(o)) if items.len() < MAX_OPERANDS => items.push(o),
                Some(Token::Keyword(_)) => {
                    // An operator inside an array: the array was never closed.
                    self.skipped += 1;
                    break;
                }
                Some(_) => {}
            }
        }
        Object::Array(items)
    }

    fn dictionary(&mut self, depth: u32) -> Object {
        let mut dict = Dictionary::new();
        let mut key: Option<Vec<u8>> = None;
        loop {
            if depth > MAX_NESTING {
                break;
            }
            match self.token(depth + 1) {
                None | Some(Token::DictEnd) => break,
                Some(Token::Operand(o)) => match key.take() {
                    Some(k) => dict.set(k, o),
                    None => match o {
                        Object::Name(n) => key = Some(n),
                        _ => self.skipped += 1,
                    },
                },
                Some(Token::Keyword(_)) => {
                    self.skipped += 1;
                    break;
                }
                Some(_) => {}
            }
        }
        Object::Dictionary(dict)
    }

    /// Skips an inline image's data (after `ID`) up to `EI` standing alone.
    fn skip_inline_image(&mut self) {
        // The parameters up to `ID` are tokens; then one white-space byte and binary data.
        loop {
            match self.token(0) {
                None => return,
                Some(Token::Keyword(k)) if k == "ID" => break,
                Some(_) => {}
            }
        }
        self.pos += 1;
        while self.pos + 2 <= self.data.len() {
            let at_ei = &self.data[self.pos..self.pos + 2] == b"EI";
            let before = self.pos == 0 || is_white(self.data[self.pos - 1]);
            let after = self.data.get(self.pos + 2).is_none_or(|&b| is_white(b) || is_delim(b));
            if at_ei && before && after {
                self.pos += 2;
                return;
            }
            self.pos += 1;
        }
        self.pos = self.data.len();
    }
}

impl Iterator for Lexer<'_> {
    type Item = Op;

    fn next(&mut self) -> Option<Op> {
        let mut operands = Vec::new();
        loop {
            match self.token(0)? {
                Token::Operand(o) => {
                    if operands.len() >= MAX_OPERANDS {
                        self.skipped += 1;
                        operands.clear();
                    }
                    operands.push(o);
                }
                Token::Keyword(k) if k == "BI" => {
                    self.skip_inline_image();
                    return Some(Op { operator: k, operands: Vec::new() });
                }
                Token::Keyword(k) => {
                    return Some(Op { operator: k, operands });
                }
                Token::ArrayEnd | Token::DictEnd => self.skipped += 1,
                Token::Junk => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operators(data: &[u8]) -> (Vec<String>, usize) {
        let mut lexer = Lexer::new(data);
        let ops = lexer.by_ref().map(|op| op.operator).collect();
        (ops, lexer.skipped)
    }

    #[test]
    fn reads_operands_and_operators() {
        let mut lexer = Lexer::new(b"BT /F1#20x 12.5 Tf [(a\\(b\\)\\101) -250 <4A 61>] TJ % comment\nET");
        let ops: Vec<Op> = lexer.by_ref().collect();
        assert_eq!(ops.iter().map(|o| o.operator.as_str()).collect::<Vec<_>>(), ["BT", "Tf", "TJ", "ET"]);
        assert_eq!(ops[1].operands, vec![Object::Name(b"F1 x".to_vec()), Object::Real(12.5)]);
        let Object::Array(items) = &ops[2].operands[0] else { panic!("not an array") };
        assert_eq!(items[0].as_str().unwrap(), b"a(b)A");
        assert_eq!(items[1], Object::Integer(-250));
        assert_eq!(items[2].as_str().unwrap(), b"Ja");
        assert_eq!(lexer.skipped, 0);
    }

    #[test]
    fn skips_garbage_and_inline_images() {
        let (ops, skipped) = operators(b"BT (a) Tj } ET ))) (b) Tj BI /W 1 /H 1 ID \x01EI\x02 EI Q");
        assert_eq!(ops, ["BT", "Tj", "ET", "Tj", "BI", "Q"]);
        assert_eq!(skipped, 4);
    }
}
