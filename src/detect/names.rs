//! People's names: word lists (rules/names/) combined with evidence.
//!
//! A word in a name list is not enough; each rule needs evidence: a title
//! before it (`name_title`), a cue word or label (`name_cue`), a first name
//! followed by a surname (`name_full`), a first name that is not also a
//! common word (`name_single`), a column or field headed as a name
//! (`name_column`), or a mail header's display name (`name_mail_header`).
//! Evidence against: all-capitals text, stop words (places, organisations,
//! months, document words), words that are part of an email or web address.

use super::bytescan;
use super::context::{Dictionary, TermSet, ceil_char, floor_char};
use super::{Engine, Hit, Rule, SegmentScan};

/// Which rule index implements each name detector (absent if not configured).
#[derive(Debug, Default)]
pub struct NameRules {
    title: Option<usize>,
    cue: Option<usize>,
    signoff: Option<usize>,
    role: Option<usize>,
    full: Option<usize>,
    single: Option<usize>,
    column: Option<usize>,
    mail: Option<usize>,
    inverted: Option<usize>,
}

impl NameRules {
    pub fn from_rules(rules: &[Rule]) -> NameRules {
        let find = |d: &str| rules.iter().position(|r| r.spec.detector.as_deref() == Some(d));
        NameRules {
            title: find("name_title"),
            cue: find("name_cue"),
            signoff: find("name_signoff"),
            role: find("name_role"),
            full: find("name_full"),
            single: find("name_single"),
            column: find("name_column"),
            mail: find("name_mail_header"),
            inverted: find("name_inverted"),
        }
    }

    pub fn detect(&self, engine: &Engine, scan: &mut SegmentScan<'_>, bufs: &mut Buffers, hits: &mut Vec<Hit>) {
        let seg = scan.seg;
        let mut found = Finder {
            engine,
            text: seg.text,
            hits,
            tokens: std::mem::take(&mut bufs.tokens),
            lower: std::mem::take(&mut bufs.lower),
            dict: &engine.name_dict,
        };
        found.tokens.clear();
        let mut used = std::mem::take(&mut bufs.used);
        found.detect_all(self, scan, &mut used);
        bufs.tokens = found.tokens;
        bufs.lower = found.lower;
        bufs.used = used;
    }
}

/// Buffers the name rules reuse from segment to segment.
#[derive(Debug, Default)]
pub struct Buffers {
    tokens: Vec<Token>,
    /// A word in lower case, for list lookups.
    lower: String,
    used: Vec<bool>,
}

impl Finder<'_, '_> {
    /// Every name rule in turn, each leaving the tokens it took as `used`.
    fn detect_all(&mut self, rules: &NameRules, scan: &SegmentScan<'_>, used: &mut Vec<bool>) {
        let (engine, seg) = (self.engine, scan.seg);
        // A mail address header: only its display names.
        if let Some(i) = rules.mail
            && engine.rules[i].header_ok(scan)
        {
            self.mail_header(i);
            return;
        }
        // A name column or field: the whole value, if it reads as a name;
        // otherwise the cell is read as running text below.
        if let Some(i) = rules.column
            && engine.rules[i].header_ok(scan)
            && self.column(i)
        {
            return;
        }
        if !has_upper(seg.text) {
            return;
        }
        tokenize(seg.text, &engine.lists, &mut self.tokens, &mut self.lower);
        let upper_text = mostly_upper(seg.text);
        used.clear();
        used.resize(self.tokens.len(), false);
        if let Some(i) = rules.title {
            self.titled(i, upper_text, used);
        }
        if upper_text {
            return;
        }
        if let Some(i) = rules.inverted {
            let greetings = [rules.cue, rules.signoff].map(|r| r.map(|r| &engine.rules[r].context_ids));
            self.inverted(i, greetings, used);
        }
        if let Some(i) = rules.cue {
            self.cued(i, &engine.rules[i].context_ids, false, used);
        }
        if let Some(i) = rules.signoff {
            self.cued(i, &engine.rules[i].context_ids, true, used);
        }
        if let Some(i) = rules.role {
            self.before_role(i, &engine.rules[i].context_ids, used);
        }
        if let Some(i) = rules.full {
            self.full(i, used);
        }
        if let Some(i) = rules.single {
            self.single(i, used);
        }
    }
}

/// A word of the text with what the lists say about it.
#[derive(Debug, Clone)]
struct Token {
    start: usize,
    /// End of the name part (a possessive 's is left out).
    end: usize,
    /// Capitalised: `Jane`, `McDonald`, `O'Brien`.
    cap: bool,
    /// All capitals, two letters or more: `JANE`.
    upper: bool,
    /// A single capital letter: `J` (as in `J. Roberts`).
    initial: bool,
    first: bool,
    sur: bool,
    ambiguous: bool,
    stop: bool,
    title: bool,
    /// A street type: `Lane`, `Road`.
    street: bool,
    /// Part of an email address, web address or file name.
    technical: bool,
}

impl Token {
    fn known(&self) -> bool {
        self.first || self.sur
    }
}

/// Does `text` hold a capital letter?
fn has_upper(text: &str) -> bool {
    bytescan::find::<bytescan::Upper>(text.as_bytes(), 0).is_some()
        || (!text.is_ascii() && non_ascii_chars(text).any(char::is_uppercase))
}

/// The characters of `text` outside ASCII, found by skipping ASCII bytes fast.
fn non_ascii_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let at = bytescan::find::<bytescan::NonAscii>(bytes, i)?;
        let c = text[at..].chars().next()?;
        i = at + c.len_utf8();
        Some(c)
    })
}

fn mostly_upper(text: &str) -> bool {
    let ascii = text.is_ascii();
    // In ASCII text, stop counting once the capitals can no longer outnumber
    // the lower-case letters four to one, even if every byte left were one.
    let (mut up, mut low) = if ascii {
        bytescan::count_case_until(text.as_bytes(), |up, low, left| up + left <= low * 4)
    } else {
        bytescan::count_case(text.as_bytes())
    };
    if !ascii {
        for c in non_ascii_chars(text) {
            if c.is_uppercase() {
                up += 1;
            } else if c.is_lowercase() {
                low += 1;
            }
        }
    }
    up >= 4 && up > low * 4
}

/// The capitalised words of `text` (and single capitals): the only words
/// that can be part of a name in running text. Only a capital (or a
/// character outside ASCII) can start one, so the scan jumps from one to
/// the next and never looks at lower-case words.
fn tokenize(text: &str, lists: &super::Lists, tokens: &mut Vec<Token>, lower: &mut String) {
    let bytes = text.as_bytes();
    tokens.clear();
    let mut i = 0;
    while let Some(at) = bytescan::find::<bytescan::UpperOrNonAscii>(bytes, i) {
        let b = bytes[at];
        if !text.is_char_boundary(at) {
            i = at + 1;
            continue;
        }
        let c = text[at..].chars().next().unwrap_or(' ');
        if !c.is_uppercase() || !starts_word(text, at) {
            // A character inside a word, or not a capital: the word it
            // belongs to or starts is not a token.
            i = at + c.len_utf8();
            continue;
        }
        let end = if b.is_ascii() { ascii_word_end(text, at) } else { word_end(text, at) };
        tokens.push(make_token(text, at, end, lists, lower));
        i = end;
    }
}

/// Does a word start at `at` (a letter there)? Not if a letter comes
/// right before it, or a joiner (`'`, `’`, `-`) with a letter before that:
/// [`word_end`] reads those as one word (`O'Brien`, `Smith-Jones`).
fn starts_word(text: &str, at: usize) -> bool {
    let mut before = text[..at].chars().rev();
    match before.next() {
        None => true,
        Some(c) if c.is_alphabetic() => false,
        Some('\'' | '-' | '’') => !before.next().is_some_and(char::is_alphabetic),
        Some(_) => true,
    }
}

/// The end of the word starting at `start`, as [`word_end`] finds it, but
/// byte by byte while the text is ASCII.
fn ascii_word_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = start;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        match (bytes.get(i), bytes.get(i + 1)) {
            (Some(b'\'' | b'-'), Some(n)) if n.is_ascii_alphabetic() => i += 1,
            (Some(b'\'' | b'-'), Some(n)) if *n >= 0x80 => return word_end(text, start),
            (Some(&c), _) if c >= 0x80 => return word_end(text, start),
            _ => return i,
        }
    }
}

/// End of the word starting at `start`: letters, with `'`, `’` or `-`
/// between letters (O'Brien, Smith-Jones).
fn word_end(text: &str, start: usize) -> usize {
    let mut chars = text[start..].char_indices().peekable();
    let mut end = start;
    while let Some((off, c)) = chars.next() {
        if c.is_alphabetic() {
            end = start + off + c.len_utf8();
        } else if matches!(c, '\'' | '’' | '-') && chars.peek().is_some_and(|(_, n)| n.is_alphabetic()) {
            continue;
        } else {
            break;
        }
    }
    end
}

fn make_token(text: &str, start: usize, end: usize, lists: &super::Lists, lower: &mut String) -> Token {
    use super::rules::NameFlags as F;
    let mut word = &text[start..end];
    for suffix in ["'s", "’s", "'S"] {
        if word.len() > 3 && word.ends_with(suffix) {
            word = &word[..word.len() - suffix.len()];
        }
    }
    let end = start + word.len();
    lower.clear();
    if word.is_ascii() {
        lower.push_str(word);
        lower.make_ascii_lowercase();
    } else {
        lower.extend(word.chars().flat_map(char::to_lowercase).map(|c| if c == '’' { '\'' } else { c }));
    }
    let mut flags = lists.flags(lower);
    if flags & (F::FIRST | F::SUR) == 0 && lower.bytes().any(|b| b == b'-') {
        // Double-barrelled: Smith-Jones is a surname if a part is; Anne-Marie a first name if all parts are.
        let parts: Vec<u8> = lower.split('-').map(|p| lists.flags(p)).collect();
        if parts.iter().all(|f| f & F::FIRST != 0) {
            flags |= F::FIRST;
        }
        if lower.split('-').zip(&parts).any(|(p, f)| p.len() > 2 && f & F::SUR != 0) {
            flags |= F::SUR;
        }
    }
    let (letters, cap, upper) = if word.is_ascii() {
        let b = word.as_bytes();
        let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count();
        let cap = b[1..].iter().any(u8::is_ascii_lowercase);
        (letters, cap, letters >= 2 && !cap && !b[0].is_ascii_lowercase())
    } else {
        let letters = word.chars().filter(|c| c.is_alphabetic()).count();
        let cap = word.chars().skip(1).any(char::is_lowercase);
        (letters, cap, letters >= 2 && !cap && word.chars().all(|c| !c.is_lowercase()))
    };
    let initial = letters == 1;
    let bytes = text.as_bytes();
    let before = start.checked_sub(1).map(|i| bytes[i]);
    let after = bytes.get(end).copied();
    let after2 = bytes.get(end + 1).copied();
    // A lone capital after a number is a suffix or code ("KS 75 33 80 C"), not an initial.
    let after_number =
        letters == 1 && text[..start].trim_end_matches(' ').as_bytes().last().is_some_and(|c| c.is_ascii_digit());
    let technical = after_number
        || matches!(before, Some(b'@' | b'/' | b'\\' | b'_' | b'.' | b'=' | b'#' | b'[' | b'{' | b'<'))
        || before.is_some_and(|c| c.is_ascii_digit())
        || matches!(after, Some(b'@' | b'_' | b'/' | b'\\' | b']' | b'}' | b'>'))
        || after.is_some_and(|c| c.is_ascii_digit())
        || (after == Some(b'.') && after2.is_some_and(|c| c.is_ascii_alphanumeric()));
    Token {
        start,
        end,
        cap,
        upper,
        initial,
        first: flags & F::FIRST != 0,
        sur: flags & F::SUR != 0,
        ambiguous: flags & F::AMBIGUOUS != 0,
        stop: flags & F::STOP != 0,
        title: flags & F::TITLE != 0,
        street: flags & F::STREET != 0,
        technical,
    }
}

struct Finder<'a, 'h> {
    engine: &'a Engine,
    text: &'a str,
    hits: &'h mut Vec<Hit>,
    tokens: Vec<Token>,
    lower: String,
    /// The rules' context terms (cues, roles).
    dict: &'a Dictionary,
}

impl Finder<'_, '_> {
    /// Does a term of `set` end exactly at `end`, starting at or after `from`?
    fn term_ends_at(&self, set: &TermSet, from: usize, end: usize) -> bool {
        self.dict.ends_at(self.text, set, from, end)
    }

    /// Does a term of `set` start exactly at `start`, ending by `to`?
    fn term_starts_at(&self, set: &TermSet, start: usize, to: usize) -> bool {
        self.dict.starts_at(self.text, set, start, to)
    }

    fn push(&mut self, rule: usize, start: usize, end: usize, factor: f32) {
        let spec = &self.engine.rules[rule].spec;
        self.hits.push(Hit {
            category: spec.category,
            start,
            end,
            confidence: (spec.confidence * factor).min(1.0),
            rule,
        });
    }

    /// Text between token `a` and the next token `b` joins them into one name:
    /// a single space, or `. ` / `.` after an initial.
    fn joined(&self, a: usize, b: usize) -> bool {
        let gap = &self.text[self.tokens[a].end..self.tokens[b].start];
        // A possessive ends the name: "Jane's Mum".
        if self.tokens[a].end != self.raw_end(a) {
            return false;
        }
        match gap {
            " " => true,
            ". " | "." => self.tokens[a].initial,
            _ => false,
        }
    }

    /// End of the token's word including any possessive.
    fn raw_end(&self, a: usize) -> usize {
        let t = &self.tokens[a];
        let rest = &self.text[t.end..];
        if rest.starts_with("'s") || rest.starts_with("’s") || rest.starts_with("'S") {
            t.end + if rest.starts_with('’') { 4 } else { 2 }
        } else {
            t.end
        }
    }

    /// Usable as part of a name in running text.
    fn namelike(&self, i: usize, allow_upper: bool) -> bool {
        let t = &self.tokens[i];
        !t.technical && (t.cap || t.initial || (allow_upper && t.upper))
    }

    /// The longest run of up to `max` name-like tokens from `i`, joined by
    /// single spaces; stops before stop words that are not also names and
    /// before street words. Returns the index after the last token.
    fn run_from(&self, i: usize, max: usize, allow_upper: bool) -> usize {
        let mut j = i;
        while j < self.tokens.len() && j - i < max {
            let t = &self.tokens[j];
            // A stop word ends the run, but not as an initial: "A. Shah".
            let stop = t.stop && !t.known() && !(t.initial && self.text[t.end..].starts_with('.'));
            if !self.namelike(j, allow_upper) || (t.title && !t.sur && j > i) || stop {
                break;
            }
            if j > i && !self.joined(j - 1, j) {
                break;
            }
            j += 1;
        }
        // A name does not end with an initial.
        while j > i && self.tokens[j - 1].initial {
            j -= 1;
        }
        j
    }

    /// Is token `i` part of a capitalised phrase holding a stop word that is
    /// not also a name (`Kent County Council`, `Age UK Maidstone`)? Such a
    /// phrase names a place or an organisation, not a person.
    /// With `backward`, words before `i` count too (titles excepted).
    fn in_stop_phrase(&self, i: usize, backward: bool) -> bool {
        let mut a = i;
        while backward
            && a > 0
            && self.namelike(a - 1, false)
            && !self.tokens[a - 1].title
            && self.joined(a - 1, a)
            && !self.sentence_opener(a - 1)
        {
            a -= 1;
        }
        let mut b = i;
        while b + 1 < self.tokens.len() && self.namelike(b + 1, false) && self.joined(b, b + 1) {
            b += 1;
        }
        self.tokens[a..=b].iter().any(|t| t.stop && !t.known())
    }

    /// Does token `i` start a sentence or a line (only spaces or tabs after
    /// the full stop, colon or line break before it)?
    fn starts_sentence(&self, i: usize) -> bool {
        let prev = self.text[..self.tokens[i].start].trim_end_matches([' ', '\t']);
        prev.is_empty() || prev.ends_with(['.', '!', '?', ':', '\n'])
    }

    /// Is token `i` a common word capitalised only because it opens the
    /// sentence ("Paid Kwabena Mensah", "Today Joan rang")? Such a word is
    /// not part of the name after it, nor of an organisation's name.
    fn sentence_opener(&self, i: usize) -> bool {
        let t = &self.tokens[i];
        t.cap
            && !t.upper
            && !t.known()
            && !t.title
            && !t.street
            && !t.initial
            && t.end - t.start >= 3
            && self.starts_sentence(i)
    }

    fn is_street_word(&self, i: usize) -> bool {
        self.tokens[i].street
    }

    fn mark(used: &mut [bool], from: usize, to: usize) {
        used[from..to].iter_mut().for_each(|u| *u = true);
    }

    /// `Mrs Jane Roberts`, `Mr J. Roberts`, `DR PATEL`.
    fn titled(&mut self, rule: usize, upper_text: bool, used: &mut [bool]) {
        for i in 0..self.tokens.len().saturating_sub(1) {
            let t = &self.tokens[i];
            if !t.title || !(t.cap || t.upper) || t.technical || used[i] {
                continue;
            }
            let gap = &self.text[t.end..self.tokens[i + 1].start];
            if !matches!(gap, " " | ". " | "  ") {
                continue;
            }
            let allow_upper = t.upper || upper_text;
            let end = self.run_from(i + 1, 3, allow_upper);
            if end == i + 1 {
                continue;
            }
            // In capitals, only words the lists know.
            if allow_upper && !self.tokens[i + 1..end].iter().any(|t| t.known() && !t.ambiguous) {
                continue;
            }
            if self.is_street_word(end - 1) && end - i - 1 > 1 {
                continue;
            }
            let (s, e) = (self.tokens[i + 1].start, self.tokens[end - 1].end);
            self.push(rule, s, e, 1.0);
            Self::mark(used, i, end);
        }
    }

    /// `Dear Jane,`, `Name: Zhang Wei` on one line; with `next_line`, a
    /// sign-off on the line before: `Kind regards,\nTom Ode`.
    fn cued(&mut self, rule: usize, cues: &TermSet, next_line: bool, used: &mut [bool]) {
        for i in 0..self.tokens.len() {
            if used[i] || !self.namelike(i, false) || self.tokens[i].initial {
                continue;
            }
            let t = &self.tokens[i];
            if (t.stop && !t.known()) || t.title {
                continue;
            }
            // The cue must come right before: only separators in between
            // (and for a sign-off, one line break).
            let from = floor_char(self.text, t.start.saturating_sub(48));
            let before = &self.text[from..t.start];
            let trimmed =
                before.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ':' | ',' | ';' | '-' | '–'));
            // A sentence ending in between ("on the referral. Spoke to") breaks the cue.
            let cue_ends_word = trimmed.ends_with(|c: char| c.is_alphanumeric());
            if !cue_ends_word
                || before[trimmed.len()..].bytes().filter(|&b| b == b'\n').count() != usize::from(next_line)
                || !self.term_ends_at(cues, from, from + trimmed.len())
            {
                continue;
            }
            let end = self.run_from(i, 3, false);
            if end == i || self.is_street_word(end - 1) || self.in_stop_phrase(i, false) {
                continue;
            }
            let all_ambiguous_unknown = self.tokens[i..end].iter().all(|t| !t.known() && (t.ambiguous || t.stop));
            if all_ambiguous_unknown {
                continue;
            }
            let (s, e) = (self.tokens[i].start, self.tokens[end - 1].end);
            self.push(rule, s, e, 1.0);
            Self::mark(used, i, end);
            self.list_after(rule, end, used);
        }
    }

    /// A name written surname first, as address books, case systems and
    /// quoted mail headers write it: `Bodnar, Michelle; Giambrone, Laura`,
    /// `SMITH, Jane (DOB ...)`. A capitalised word, a comma, a known first
    /// name (and middle names or initials), standing as one item: at the
    /// start of a line or after `:`, `;`, `(` or a tab, and ending the line
    /// or before `;`, `(`, `<` or a tab. A surname the lists do not know
    /// counts only in a list or after a label (`To: Bodnar, Michelle;`),
    /// never on a line of its own ("Okay, Jane" is a greeting).
    /// `greetings` are the cue and sign-off words ("Thanks, Jane").
    fn inverted(&mut self, rule: usize, greetings: [Option<&TermSet>; 2], used: &mut [bool]) {
        let text = self.text;
        let n = self.tokens.len();
        let mut i = 0;
        while i + 1 < n {
            let (s, f) = (&self.tokens[i], &self.tokens[i + 1]);
            let gap = &text.as_bytes()[s.end..f.start];
            let comma = gap.len() <= 3 && gap.iter().filter(|&&b| b != b' ').eq([b','].iter());
            let surname_ok = (s.cap || s.upper)
                && !(s.technical || s.initial || s.title || s.street)
                && (s.sur || !(s.stop || s.first || s.ambiguous));
            let first_ok = f.cap && f.first && !(f.technical || f.title) && (!f.stop || s.sur);
            if !comma
                || used[i]
                || used[i + 1]
                || !surname_ok
                || !first_ok
                || greetings.iter().flatten().any(|g| self.term_ends_at(g, s.start, s.end))
            {
                i += 1;
                continue;
            }
            // Middle names and initials: `Smith, Jane A.`, `Smith, Mary Ann`.
            let mut e = i + 2;
            while e < n
                && e < i + 4
                && !used[e]
                && self.joined(e - 1, e)
                && (self.tokens[e].initial || self.tokens[e].first)
            {
                e += 1;
            }
            let mut end = self.tokens[e - 1].end;
            if self.tokens[e - 1].initial && text[end..].starts_with('.') {
                end += 1;
            }
            let before = text[..s.start].trim_end_matches(' ');
            let after = text[end..].trim_start_matches(' ');
            let (line_start, item_start) =
                (before.is_empty() || before.ends_with(['\n', '\r']), before.ends_with([':', ';', '(', '\t', '|']));
            let (line_end, item_end) =
                (after.is_empty() || after.starts_with(['\n', '\r']), after.starts_with([';', '(', '<', '\t', '|']));
            let strong = s.sur && !s.ambiguous;
            let alone = (line_start || item_start) && (line_end || item_end);
            if !alone || (!strong && (f.ambiguous || !(item_start || item_end))) {
                i += 1;
                continue;
            }
            self.push(rule, s.start, end, if strong { 1.0 } else { 0.9 });
            Self::mark(used, i, e);
            i = e;
        }
    }

    /// A name followed by the person's role or relation: `Akanmu Morawo,
    /// Chief Executive`, `Adam (neighbour)`, `Awj Butcher (wife, next of kin)`.
    fn before_role(&mut self, rule: usize, roles: &TermSet, used: &mut [bool]) {
        let mut i = 0;
        while i < self.tokens.len() {
            if used[i] || !self.namelike(i, false) || self.tokens[i].initial || self.tokens[i].title {
                i += 1;
                continue;
            }
            let end = self.run_from(i, 3, false);
            let next_free = end > i && (end == self.tokens.len() || !used[end]);
            if end == i || !next_free || self.in_stop_phrase(i, true) || self.is_street_word(end - 1) {
                i += 1;
                continue;
            }
            if end == i + 1 && (self.tokens[i].ambiguous || self.tokens[i].stop) {
                i += 1;
                continue;
            }
            // The rest of the line, as far as a separator and a role of 40
            // characters can reach (not to the end of a long paragraph).
            let from = self.tokens[end - 1].end;
            let after = &self.text[from..ceil_char(self.text, (from + 3 + 40 * 4).min(self.text.len()))];
            let Some(rest) =
                after.strip_prefix(", ").or_else(|| after.strip_prefix(" (")).or_else(|| after.strip_prefix(" - "))
            else {
                i = end;
                continue;
            };
            let role_start = from + (after.len() - rest.len());
            // The role is on the same line.
            let rest = rest.split('\n').next().unwrap_or("");
            let role_len: usize = rest
                .chars()
                .take_while(|c| !matches!(c, ',' | ')' | '(' | ';' | '.'))
                .take(40)
                .map(char::len_utf8)
                .sum();
            let role = &rest[..role_len];
            let role_end = role_start + role_len;
            let mut words = super::context::word_slices(role);
            let begins = words.next().is_some_and(|(off, _)| self.term_starts_at(roles, role_start + off, role_end));
            let ends = || {
                super::context::word_slices(role)
                    .next_back()
                    .is_some_and(|(off, w)| self.term_ends_at(roles, role_start, role_start + off + w.len()))
            };
            if begins || (role.split_whitespace().count() <= 3 && ends()) {
                let (s, e) = (self.tokens[i].start, self.tokens[end - 1].end);
                self.push(rule, s, e, 1.0);
                Self::mark(used, i, end);
            }
            i = end;
        }
    }

    /// Names listed after a cued one: `Present: Jane Roberts (Chair), Tom Ode
    /// and Priya Patel`. Each item is a capitalised run (after an optional
    /// bracketed role) joined by `,`, `and` or `&` on the same line.
    fn list_after(&mut self, rule: usize, mut next: usize, used: &mut [bool]) {
        while next < self.tokens.len() && !used[next] {
            let gap_start = self.tokens[next - 1].end;
            let mut gap = &self.text[gap_start..self.tokens[next].start];
            if let (Some(open), Some(close)) = (gap.find('('), gap.rfind(')'))
                && open < close
            {
                // Skip a bracketed role: "(Chair)".
                gap = &gap[close + 1..];
            } else if let Some(open) = gap.find('(') {
                // The bracket holds tokens ("(CEO)"): skip to the token after
                // it, on the same line.
                let from = gap_start + open;
                let Some(close) = self.text[from..].find([')', '\n']).map(|c| from + c) else { return };
                if self.text.as_bytes()[close] != b')' {
                    return;
                }
                match (next..self.tokens.len()).find(|&k| self.tokens[k].start > close) {
                    Some(k) if !used[k] => {
                        next = k;
                        gap = &self.text[close + 1..self.tokens[k].start];
                    }
                    _ => return,
                }
            }
            let sep = gap.trim();
            if !matches!(sep, "," | "&" | "and" | ", and" | ";") || gap.contains('\n') {
                return;
            }
            let end = self.run_from(next, 3, false);
            if end == next || self.in_stop_phrase(next, false) || self.tokens[next].initial {
                return;
            }
            let (s, e) = (self.tokens[next].start, self.tokens[end - 1].end);
            self.push(rule, s, e, 0.95);
            Self::mark(used, next, end);
            next = end;
        }
    }

    /// `Jane Roberts`, `Priya K. Chowdhury`, `J. Roberts`.
    fn full(&mut self, rule: usize, used: &mut [bool]) {
        let mut i = 0;
        while i < self.tokens.len() {
            if used[i] || !self.namelike(i, false) {
                i += 1;
                continue;
            }
            let end = self.run_from(i, 4, false);
            if end < i + 2 || self.in_stop_phrase(i, true) {
                i += 1;
                continue;
            }
            // Shrink from the right until the run reads as a name.
            let mut best = None;
            for e in (i + 2..=end).rev() {
                if let Some(f) = self.full_name_factor(i, e) {
                    best = Some((e, f));
                    break;
                }
            }
            match best {
                Some((e, f)) if !used[i..e].iter().any(|&u| u) => {
                    let (s, en) = (self.tokens[i].start, self.tokens[e - 1].end);
                    self.push(rule, s, en, f);
                    Self::mark(used, i, e);
                    i = e;
                }
                _ => i += 1,
            }
        }
    }

    /// How much a run of tokens `i..e` looks like "first [middle] surname".
    fn full_name_factor(&self, i: usize, e: usize) -> Option<f32> {
        let toks = &self.tokens[i..e];
        let (first, last) = (&toks[0], &toks[toks.len() - 1]);
        if last.initial || self.is_street_word(e - 1) {
            return None;
        }
        let middle_ok = toks[1..toks.len() - 1].iter().all(|t| t.known() || t.initial);
        if !middle_ok || toks.iter().any(|t| t.stop && !t.known()) {
            return None;
        }
        if first.initial {
            // `J. Roberts`: the surname carries it.
            return (last.sur && !last.ambiguous && !last.stop).then_some(0.8);
        }
        let sentence_start = {
            let prev = self.text[..first.start].trim_end();
            prev.is_empty() || prev.ends_with(['.', '!', '?', ':', '\n'])
        };
        if !first.first && !first.sur && !first.ambiguous && !first.stop && toks.len() == 2 {
            // An unlisted given name before a well-known surname ("Yewande Smith"):
            // lists never hold every name, so the surname carries it, mid-sentence only.
            let unlisted_ok = first.cap && first.end - first.start >= 3 && !sentence_start;
            return (unlisted_ok && last.sur && !last.ambiguous && !last.stop).then_some(0.8);
        }
        if !first.first && first.sur && !first.ambiguous && !first.stop && toks.len() == 2 {
            // A given name the lists hold only as a surname ("Kwabena Mensah"),
            // before a well-known surname, mid-sentence only.
            let strong_last = last.sur && !last.ambiguous && !last.stop;
            return (first.cap && !sentence_start && strong_last).then_some(0.8);
        }
        if first.first && first.stop && toks.len() == 2 {
            // A given name that is also a month or season ("June Whitfield",
            // "Summer Okafor"): only before a well-known surname.
            let strong_last = last.sur && !last.ambiguous && !last.stop;
            return strong_last.then_some(0.75);
        }
        if !first.first || first.stop {
            return None;
        }
        let strong_first = !first.ambiguous;
        let strong_last = last.sur && !last.ambiguous && !last.stop;
        match (strong_first, strong_last) {
            (true, true) => Some(1.0),
            (true, false) if last.sur || !last.stop => Some(0.85),
            (false, true) => Some(0.85),
            _ => None,
        }
    }

    /// `Siobhan` on its own.
    fn single(&mut self, rule: usize, used: &mut [bool]) {
        let mut singles = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            if used[i] || !t.cap || t.technical || !t.first || t.ambiguous || t.stop || t.title {
                continue;
            }
            // Not glued to other capitalised words (those were for name_full).
            let joined_prev =
                i > 0 && self.namelike(i - 1, false) && self.joined(i - 1, i) && !self.sentence_opener(i - 1);
            let joined_next = i + 1 < self.tokens.len() && self.namelike(i + 1, false) && self.joined(i, i + 1);
            if joined_prev || joined_next {
                continue;
            }
            used[i] = true;
            singles.push((t.start, t.end));
        }
        for (s, e) in singles {
            self.push(rule, s, e, 1.0);
        }
    }

    /// A cell or field headed as a name: the whole value, if it reads as one.
    fn column(&mut self, rule: usize) -> bool {
        match name_value_span(self.text, &self.engine.lists) {
            Some((s, e)) => {
                self.push(rule, s, e, 1.0);
                true
            }
            None => false,
        }
    }

    /// `From: Jane Roberts <jane@x.org>, "Patel, Priya" <p@y.org>`.
    fn mail_header(&mut self, rule: usize) {
        let text = self.text;
        let mut spans = Vec::new();
        let (mut start, mut quoted, mut angle) = (0, false, false);
        for (i, c) in text.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '<' if !quoted => angle = true,
                '>' if !quoted => angle = false,
                ',' | ';' if !quoted && !angle => {
                    spans.push((start, i));
                    start = i + 1;
                }
                _ => {}
            }
        }
        spans.push((start, text.len()));
        let one_word = |t: &str| {
            let t = t.trim().trim_matches(|c| c == '"' || c == '\'');
            !t.is_empty() && !t.contains(|c: char| c.is_whitespace() || c == '@')
        };
        let mut k = 0;
        while k < spans.len() {
            let (s, e) = spans[k];
            k += 1;
            let item = &text[s..e];
            let display = match item.find('<') {
                Some(lt) => &item[..lt],
                // An unquoted `Surname, First <address>` (as Exchange
                // writes it) splits at its comma: the two parts are one name.
                None if one_word(item) && k < spans.len() => {
                    let next = &text[spans[k].0..spans[k].1];
                    match next.find('<') {
                        Some(lt) if one_word(&next[..lt]) => {
                            k += 1;
                            &text[s..spans[k - 1].0 + lt]
                        }
                        _ => continue,
                    }
                }
                None => continue,
            };
            let trimmed = display.trim().trim_matches(|c| c == '"' || c == '\'').trim();
            if trimmed.is_empty() || trimmed.contains('@') {
                continue;
            }
            let offset = s + display.find(trimmed).unwrap_or(0);
            if let Some((vs, ve)) = name_value_span(trimmed, &self.engine.lists) {
                self.push(rule, offset + vs, offset + ve, 1.0);
            }
        }
    }
}

/// The span of a whole field value that reads as a person's name: one to
/// five words of letters (`Roberts, Jane`, `o'neill`, `J. Roberts`), no
/// digits, not a placeholder (`n/a`, `Self`) or an organisation. A leading
/// title is left out of the span.
pub fn name_value_span(value: &str, lists: &super::Lists) -> Option<(usize, usize)> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.len() > 70 {
        return None;
    }
    let offset = value.len() - value.trim_start().len();
    if lists.placeholders.contains(&trimmed.to_lowercase()) {
        return None;
    }
    if !trimmed.chars().all(|c| c.is_alphabetic() || matches!(c, ' ' | '.' | ',' | '\'' | '’' | '-')) {
        return None;
    }
    let words: Vec<(usize, &str)> = trimmed
        .split([' ', ','])
        .scan(0usize, |pos, w| {
            let start = trimmed[*pos..].find(w).map_or(*pos, |p| *pos + p);
            *pos = start + w.len();
            Some((start, w))
        })
        .filter(|(_, w)| !w.is_empty())
        .collect();
    if words.is_empty()
        || words.len() > 5
        || !words.iter().any(|(_, w)| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
    {
        return None;
    }
    use super::rules::NameFlags as F;
    let lower = |w: &str| w.trim_end_matches('.').to_lowercase();
    let mut first = 0;
    // A place or organisation word that is not also a name.
    let place_not_name = |w: &str| {
        let f = lists.flags(w);
        f & F::STOP != 0 && f & (F::FIRST | F::SUR) == 0
    };
    while first + 1 < words.len() && lists.flags(&lower(words[first].1)) & F::TITLE != 0 {
        first += 1;
    }
    let words = &words[first..];
    // Organisations and places: a word that is a stop word and not a name.
    if words.iter().any(|(_, w)| place_not_name(&lower(w))) {
        return None;
    }
    // A placeholder word in a longer value: "anon - rough sleeper", "Unknown
    // male". (Short ones are left to whole values: "Na" is a given name too.)
    let placeholder_word = |w: &str| {
        let w = lower(w);
        w.len() >= 4 && lists.placeholders.contains(&w)
    };
    if words.iter().any(|(_, w)| placeholder_word(w)) {
        return None;
    }
    // A whole value that is a place or organisation phrase, unless it is also a name (Chelsea, Barnes).
    let whole = trimmed.to_lowercase();
    if place_not_name(&whole) {
        return None;
    }
    let start = words[0].0;
    let end = trimmed.trim_end_matches([',', ' ']).len();
    (start < end).then_some((offset + start, offset + end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        let engine = Engine::builtin();
        let seg = crate::formats::Segment::fixed("test", text, None);
        engine
            .detect(&seg)
            .iter()
            .filter(|h| h.category == super::super::Category::Name)
            .map(|h| text[h.start..h.end].to_string())
            .collect()
    }

    #[test]
    fn names_written_surname_first_are_one_name() {
        assert_eq!(
            names("To:\tBodnar, Michelle; Giambrone, Laura ; Person_1, TK; Miller, Kent"),
            ["Bodnar, Michelle", "Giambrone, Laura", "Miller, Kent"]
        );
        assert_eq!(names("SMITH, Jane A.\n12 High Street"), ["SMITH, Jane A."]);
        // Not a list item: a word before a comma mid-sentence, or a greeting.
        assert_eq!(names("In Maidstone, Jane said"), ["Jane"]);
        assert_eq!(names("Okay, Jane\nsee you"), ["Jane"]);
        // A mail header's unquoted `Surname, First <address>`.
        let engine = Engine::builtin();
        let text = "Harris, Stephen </O=ENRON/OU=NA/CN=RECIPIENTS/CN=Sharris1>, Jo Bloggs <jo@x.org>";
        let seg = crate::formats::Segment::fixed("test", text, Some("To"));
        let found: Vec<&str> = engine.detect(&seg).iter().map(|h| &text[h.start..h.end]).collect();
        assert!(found.contains(&"Harris, Stephen") && found.contains(&"Jo Bloggs"), "{found:?}");
    }

    #[test]
    fn lists_go_on_past_a_bracketed_role_in_capitals() {
        assert_eq!(
            names("In attendance: Tomasz Nowicki (CEO), Bronwen Price (minutes)"),
            ["Tomasz Nowicki", "Bronwen Price"]
        );
        assert_eq!(names("Present: Ann Lee (HR), Raj Gill (IT) and Ola Nowak"), ["Ann Lee", "Raj Gill", "Ola Nowak"]);
    }

    #[test]
    fn an_initial_that_is_also_a_word_still_starts_a_name() {
        assert_eq!(names("Seen by Dr A. Okonkwo MBBS today"), ["A. Okonkwo"]);
        assert_eq!(names("Issued by Mrs I. Kowalska"), ["I. Kowalska"]);
    }

    #[test]
    fn ascii_word_ends_agree_with_the_general_rule() {
        for text in ["O'Brien-Smith x", "don't", "Zoë's", "O'Émile", "Smith-", "a-b-c", "x’y", "Jo'", "ab1", "-", ""]
        {
            assert_eq!(ascii_word_end(text, 0), word_end(text, 0), "{text}");
        }
    }

    /// Tokens as a plain walk over every word finds them: each word from its
    /// start, kept if its first letter is a capital.
    fn tokens_by_walking_words(text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < text.len() {
            let c = text[i..].chars().next().unwrap();
            if !c.is_alphabetic() {
                i += c.len_utf8();
                continue;
            }
            let end = word_end(text, i);
            if c.is_uppercase() {
                out.push((i, end));
            }
            i = end;
        }
        out
    }

    #[test]
    fn tokens_are_the_capitalised_words_of_a_plain_walk() {
        let lists = crate::detect::Lists::builtin();
        let pieces = [
            "Jane",
            "o'Brien",
            "O'Brien",
            "iPhone",
            "McDONALD",
            "Smith-Jones",
            "anti-Smith",
            "x -Cole",
            "a'-B",
            "a--B",
            "3Bedroom",
            "Zoë",
            "Émile",
            "l’Anne",
            "café",
            "ÉCOLE",
            "Ωmega",
            "’Tis",
            "Jane's",
            " ",
            "  ",
            ", ",
            "\n",
            "-",
            "'",
            "’",
            "é",
            "A",
            "42",
            "x.Y",
            "Ab",
            "aB",
        ];
        let mut tokens = Vec::new();
        for text in crate::detect::tests::texts_from_pieces(&pieces, 3000, 0..12, 7) {
            tokenize(&text, &lists, &mut tokens, &mut String::new());
            let want = tokens_by_walking_words(&text);
            let starts: Vec<_> = tokens.iter().map(|t| t.start).collect();
            assert_eq!(starts, want.iter().map(|w| w.0).collect::<Vec<_>>(), "{text:?}");
            for (t, (_, end)) in tokens.iter().zip(&want) {
                assert!(matches!(&text[t.end..*end], "" | "'s" | "’s" | "'S"), "{text:?}");
            }
        }
    }
}
