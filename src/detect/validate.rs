//! Validators: the checks a candidate must pass beyond its pattern. Each
//! knows its identifier's real rules (HMRC NINO letters, NHS mod-11, the
//! postcode grammar and area list, the Ofcom numbering plan, Luhn, calendar
//! dates) so that look-alike numbers are not reported.

use chrono::Datelike;

use super::category::{international_digits, written_with_plus};
pub use super::dates::parse_date;
use super::dates::{month_number, today};
use super::lists::{Lists, NationalLength};

/// What a validator says about a candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    /// Multiplies the rule's confidence (1.0 = a textbook value).
    pub factor: f32,
    /// Only report it if the rule's context words or headers are present.
    pub needs_context: bool,
}

impl Check {
    pub const OK: Check = Check { factor: 1.0, needs_context: false };
    fn weak(factor: f32) -> Check {
        Check { factor, needs_context: false }
    }
    fn contextual(factor: f32) -> Check {
        Check { factor, needs_context: true }
    }
}

/// The validators a rule may name in `validator = "..."`.
pub const NAMES: &[&str] = &[
    "nino",
    "nhs",
    "postcode",
    "phone",
    "phone_labelled",
    "phone_no_zero",
    "phone_international",
    "card",
    "sort_code",
    "bank_account",
    "iban",
    "date",
    "birth_year",
    "email",
];

/// A validator, by the name a rule gives it (one of [`NAMES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    Nino,
    Nhs,
    Postcode,
    Phone,
    PhoneLabelled,
    PhoneNoZero,
    PhoneInternational,
    Card,
    SortCode,
    BankAccount,
    Iban,
    Date,
    BirthYear,
    Email,
}

impl Validator {
    /// The validator called `name`, if there is one.
    pub fn named(name: &str) -> Option<Validator> {
        use Validator::*;
        Some(match name {
            "nino" => Nino,
            "nhs" => Nhs,
            "postcode" => Postcode,
            "phone" => Phone,
            "phone_labelled" => PhoneLabelled,
            "phone_no_zero" => PhoneNoZero,
            "phone_international" => PhoneInternational,
            "card" => Card,
            "sort_code" => SortCode,
            "bank_account" => BankAccount,
            "iban" => Iban,
            "date" => Date,
            "birth_year" => BirthYear,
            "email" => Email,
            _ => return None,
        })
    }

    /// Check the candidate `value`.
    pub fn check(self, value: &str, lists: &Lists) -> Option<Check> {
        use Validator::*;
        match self {
            Nino => nino(value),
            Nhs => nhs(value),
            Postcode => postcode(value, lists),
            Phone => phone(value, lists),
            PhoneLabelled => phone_labelled(value, lists),
            PhoneNoZero => phone_no_zero(value, lists),
            PhoneInternational => phone_international(value, lists),
            Card => card(value),
            SortCode => sort_code(value),
            BankAccount => bank_account(value),
            Iban => iban(value),
            Date => dob_date(value),
            BirthYear => birth_year(value),
            Email => email(value, lists),
        }
    }
}

/// A UK phone number written without its leading 0, as spreadsheets keep
/// them ("7700 900123" in a number-formatted phone column).
fn phone_no_zero(value: &str, lists: &Lists) -> Option<Check> {
    let value = value.trim();
    // The number with its 0 back, on the stack (a phone number is short).
    let mut buf = [0u8; 40];
    match buf.get_mut(1..=value.len()) {
        Some(rest) => {
            rest.copy_from_slice(value.as_bytes());
            buf[0] = b'0';
            phone(std::str::from_utf8(&buf[..=value.len()]).ok()?, lists)
        }
        None => phone(&format!("0{value}"), lists),
    }
}

/// Up to `N` bytes on the stack: the compact form of a candidate, built
/// without allocating (validators run on every candidate).
struct Small<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Small<N> {
    /// The bytes for which `keep` holds, through `map`; `None` if more than
    /// `N` (no identifier checked here is that long).
    fn from_bytes(value: &str, keep: impl Fn(u8) -> bool, map: impl Fn(u8) -> u8) -> Option<Small<N>> {
        let mut out = Small { buf: [0; N], len: 0 };
        out.extend(value.bytes().filter(|&b| keep(b)).map(map))?;
        Some(out)
    }

    /// Append `bytes`; `None` if they do not all fit.
    fn extend(&mut self, bytes: impl IntoIterator<Item = u8>) -> Option<()> {
        for b in bytes {
            *self.buf.get_mut(self.len)? = b;
            self.len += 1;
        }
        Some(())
    }

    /// The characters that are not white space, ASCII letters in capitals;
    /// `None` if more than `N` bytes.
    fn compact_upper(value: &str) -> Option<Small<N>> {
        let mut out = Small { buf: [0; N], len: 0 };
        for c in value.chars().filter(|c| !c.is_whitespace()) {
            let mut utf8 = [0; 4];
            out.extend(c.to_ascii_uppercase().encode_utf8(&mut utf8).bytes())?;
        }
        Some(out)
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// The digits of `value` as numbers 0-9 (`None` if more than 19: no number
/// checked here has more).
fn digits(value: &str) -> Option<Small<19>> {
    Small::from_bytes(value, |b| b.is_ascii_digit(), |b| b - b'0')
}

/// The separators between digit groups are all the same (or there are none).
fn consistent_separators(value: &str) -> bool {
    let mut seps = value.chars().filter(|c| !c.is_ascii_alphanumeric());
    match seps.next() {
        None => true,
        Some(first) => seps.all(|c| c == first),
    }
}

/// HMRC National Insurance number (NIM39110).
pub fn nino(value: &str) -> Option<Check> {
    let upper = Small::<9>::from_bytes(value, |b| b.is_ascii_alphanumeric(), |b| b.to_ascii_uppercase())?;
    let b = upper.as_bytes();
    if !(b.len() == 8 || b.len() == 9) || !b[2..8].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (p1, p2) = (b[0], b[1]);
    if b"DFIQUV".contains(&p1) || b"DFIOQUV".contains(&p2) || !p1.is_ascii_alphabetic() || !p2.is_ascii_alphabetic() {
        return None;
    }
    let prefix = &b[..2];
    if [b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"].iter().any(|p| p[..] == *prefix) {
        return None;
    }
    let suffix = b.get(8).copied();
    if let Some(s) = suffix
        && !(b'A'..=b'D').contains(&s)
    {
        return None;
    }
    if !consistent_separators(value) {
        return None;
    }
    let mut factor = 1.0;
    if [b"OO", b"CR", b"FY", b"MW", b"NC", b"PP", b"PY", b"PZ"].iter().any(|p| p[..] == *prefix) {
        factor *= 0.7; // administrative prefixes: still a personal reference
    }
    if value.bytes().any(|c| c.is_ascii_lowercase()) {
        factor *= 0.9;
    }
    Some(Check { factor, needs_context: suffix.is_none() })
}

/// NHS number: 10 digits, mod-11 check digit.
pub fn nhs(value: &str) -> Option<Check> {
    let d = digits(value)?;
    let d = d.as_bytes();
    if d.len() != 10 || !consistent_separators(value) || d.iter().all(|&x| x == d[0]) {
        return None;
    }
    let sum: u32 = d[..9].iter().enumerate().map(|(i, &x)| x as u32 * (10 - i as u32)).sum();
    let check = match 11 - (sum % 11) {
        11 => 0,
        10 => return None,
        c => c,
    };
    if check != d[9] as u32 {
        return None;
    }
    let n: u64 = d.iter().fold(0, |acc, &x| acc * 10 + x as u64);
    // Issued ranges: England/Wales/IoM 400-499m and 600-799m, NI 320-399m,
    // Scottish CHI from 010 100 0000 (a date of birth + 4: needs context as it
    // looks like other numbers), 999 test range.
    Some(match n {
        4_000_000_000..=4_999_999_999 | 6_000_000_000..=7_999_999_999 | 3_200_000_001..=3_999_999_999 => Check::OK,
        101_000_000..=3_112_999_999 if d[0] == 0 => Check::contextual(0.9),
        9_990_000_000..=9_999_999_999 => Check::weak(0.8),
        _ => Check::weak(0.75),
    })
}

/// Postcodes outside the grammar: the British Overseas Territories' single
/// codes (Ascension, St Helena, Tristan da Cunha, BIOT, BAT, Falklands,
/// Pitcairn, South Georgia, Turks and Caicos) and Gibraltar's, compact.
const SPECIAL_POSTCODES: &[&[u8]] = &[
    b"ASCN1ZZ", b"STHL1ZZ", b"TDCU1ZZ", b"BBND1ZZ", b"BIQQ1ZZ", b"FIQQ1ZZ", b"PCRN1ZZ", b"SIQQ1ZZ", b"TKCA1ZZ",
    b"GX111AA",
];

/// UK postcode: full grammar and the real list of postcode areas
/// (with the non-geographic BX and the Crown Dependencies), BFPO numbers
/// and the overseas territories' codes.
pub fn postcode(value: &str, lists: &Lists) -> Option<Check> {
    let compact = Small::<8>::compact_upper(value)?;
    let b = compact.as_bytes();
    if b == b"GIR0AA" || SPECIAL_POSTCODES.contains(&b) {
        return Some(Check::OK);
    }
    // British Forces Post Office: `BFPO 123` (1-4 digits).
    if let Some(number) = b.strip_prefix(b"BFPO") {
        return ((1..=4).contains(&number.len()) && number.iter().all(u8::is_ascii_digit)).then_some(Check::OK);
    }
    if !(5..=7).contains(&b.len()) {
        return None;
    }
    let (o, i) = b.split_at(b.len() - 3);
    if !i[0].is_ascii_digit() || !i[1..].iter().all(|c| c.is_ascii_uppercase() && !b"CIKMOV".contains(c)) {
        return None;
    }
    let area_len = o.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let area = std::str::from_utf8(&o[..area_len]).unwrap_or("");
    if !(1..=2).contains(&area_len) || !lists.postcode_areas.contains(area) {
        return None;
    }
    if b"QVX".contains(&o[0]) || (area_len == 2 && b"IJZ".contains(&o[1])) {
        return None;
    }
    let district = &o[area_len..];
    let ok = match district {
        [d] => d.is_ascii_digit(),
        [d1, d2] if area_len == 1 && d2.is_ascii_alphabetic() => d1.is_ascii_digit() && b"ABCDEFGHJKPSTUW".contains(d2),
        [d1, d2] if area_len == 2 && d2.is_ascii_alphabetic() => d1.is_ascii_digit() && b"ABEHMNPRVWXY".contains(d2),
        [d1, d2] => d1.is_ascii_digit() && d2.is_ascii_digit(),
        _ => false,
    };
    if !ok {
        return None;
    }
    let lowercase = value.bytes().any(|c| c.is_ascii_lowercase());
    let spaced = value.trim().contains(' ');
    Some(match (lowercase, spaced) {
        (false, true) => Check::OK,
        (false, false) => Check::weak(0.9),
        (true, true) => Check::weak(0.85),
        (true, false) => Check::contextual(0.8),
    })
}

/// UK telephone number (Ofcom numbering plan), national or international form.
/// Numbers of organisations' ranges (03, 08, pagers) get a low factor.
pub fn phone(value: &str, lists: &Lists) -> Option<Check> {
    phone_as(value, lists)
}

/// A UK telephone number labelled as a person's (a phone column of a
/// register, "Mobile:", "home tel"): any valid number at the full factor,
/// whatever its range.
pub fn phone_labelled(value: &str, lists: &Lists) -> Option<Check> {
    // Numbers the plain check already trusts are the plain rule's.
    let plain = phone(value, lists)?;
    (plain.factor < 0.9).then_some(Check { factor: LABELLED, needs_context: true })
}

/// The factor of an organisation-range number labelled as a person's.
const LABELLED: f32 = 0.9;

fn phone_as(value: &str, lists: &Lists) -> Option<Check> {
    let national = national_digits(value)?;
    let d = national.as_bytes();
    if d.first() != Some(&b'0') || d.len() < 10 || d.len() > 11 {
        return None;
    }
    // A bracket must close what it opened: "(01622) 123456".
    if value.bytes().filter(|&b| b == b'(').count() != value.bytes().filter(|&b| b == b')').count() {
        return None;
    }
    let len = d.len();
    // A geographic number 9 digits after the 0 only where the plan has
    // 5-digit local numbers (lists/uk_short_numbers.txt): `01524 12345`.
    let short_area =
        || [5, 6].iter().any(|&n| lists.uk_short_number_areas.contains(std::str::from_utf8(&d[..n]).unwrap_or("")));
    // Ranges that belong to organisations (03, 08) or pagers.
    let organisation_range = 0.4;
    let factor: f32 = match (d[1], d[2]) {
        (b'1', _) | (b'2', _) if len == 11 => 1.0,
        (b'1', _) if len == 10 && short_area() => 1.0,
        (b'3', _) if len == 11 => organisation_range,
        (b'5', _) if len == 11 => 0.8,
        (b'7', b'0') if len == 11 => 0.9, // personal numbering
        (b'7', b'6') if len == 11 => {
            if d.starts_with(b"07624") {
                1.0 // Isle of Man mobiles
            } else {
                0.6 // pagers
            }
        }
        (b'7', b'1'..=b'9') if len == 11 => 1.0,
        (b'8', _) if d.starts_with(b"0800") && (len == 10 || len == 11) => organisation_range,
        (b'8', b'0' | b'4' | b'7') if len == 11 => organisation_range,
        _ => return None,
    };
    // Digits written in one unbroken run of 11 are often other references;
    // so are 12 digits starting 44 without their `+`.
    let digits = value.bytes().filter(u8::is_ascii_digit).count();
    let bare_country = digits == 12 && !written_with_plus(value) && value.trim_start().starts_with("44");
    let grouped = value.chars().any(|c| !c.is_ascii_digit());
    Some(if bare_country || !(grouped || value.starts_with('0')) {
        Check::contextual(factor)
    } else {
        Check::weak(factor)
    })
}

/// A phone number outside the UK, written internationally: `+` (or `00`,
/// only with phone context) and an assigned ITU country calling code
/// (lists/calling_codes.txt), then a national number of the length the
/// country's plan gives (where the list says), at most 15 digits in all
/// (E.164) and at least 8. `+44` numbers are the UK rule's.
pub fn phone_international(value: &str, lists: &Lists) -> Option<Check> {
    let value = value.trim();
    let plus = written_with_plus(value);
    if !plus && !value.starts_with("00") {
        return None;
    }
    // The digits after the `+` or `00`, without a bracketed trunk zero
    // (`+33 (0)6 12 34 56 78`), as the number normalises.
    let mut all = Small { buf: [0u8; 16], len: 0 };
    all.extend(international_digits(value, plus))?;
    let d = all.as_bytes();
    let code_len = (1..=3).find(|&n| d.len() > n && lists.calling_codes.contains_key(ascii(&d[..n])))?;
    let (code, national) = d.split_at(code_len);
    let length = lists.calling_codes[ascii(code)];
    if code == b"44" || !(8..=15).contains(&d.len()) || national.len() < 5 || !length.fits(national.len()) {
        return None;
    }
    if national.iter().all(|&x| x == national[0]) {
        return None;
    }
    // North American numbers: area code and exchange start 2-9.
    if code == b"1" && (national[0] < b'2' || national[3] < b'2') {
        return None;
    }
    // Brackets close what they open; dots only between short groups of a
    // number written all with dots (`+33.6.12.34.56.78`), never a decimal
    // (`+51.50741234`) or an amount.
    if value.bytes().filter(|&b| b == b'(').count() != value.bytes().filter(|&b| b == b')').count() {
        return None;
    }
    if value.contains('.') {
        let mut groups = value.trim_start_matches(['(', '+']).split('.');
        let dotted = groups.clone().count() >= 3;
        let short = groups.all(|g| (1..=4).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()));
        if !dotted || !short {
            return None;
        }
    }
    let factor = if length == NationalLength::ANY { 0.9 } else { 1.0 };
    Some(if plus { Check::weak(factor) } else { Check::contextual(factor) })
}

/// ASCII digits as a `&str`.
fn ascii(digits: &[u8]) -> &str {
    std::str::from_utf8(digits).unwrap_or("")
}

/// A phone number's national digits, as [`crate::detect::category::normalise_phone`]
/// gives them (`+44 (0)7700 900123` → `07700900123`), on the stack; `None`
/// if the value holds more than 16 digits (too many for a UK number).
/// International numbers outside +44 come as `+` and their digits
/// (`+48512345678`), as they normalise, which no UK number matches.
fn national_digits(value: &str) -> Option<Small<17>> {
    let all = Small::<17>::from_bytes(value, |b| b.is_ascii_digit(), |b| b)?;
    let digits = all.as_bytes();
    if digits.len() > 16 {
        return None;
    }
    let plus = written_with_plus(value);
    let country = if digits.starts_with(b"0044") {
        4
    } else if (plus || (digits.len() == 12 && value.trim_start().starts_with("44"))) && digits.starts_with(b"44") {
        2
    } else if plus || digits.starts_with(b"00") {
        let mut out = Small { buf: [b'+'; 17], len: 1 };
        out.extend(international_digits(value, plus))?;
        return Some(out);
    } else {
        return Some(all);
    };
    let rest = &digits[country..];
    let mut national = Small { buf: [b'0'; 17], len: 0 };
    // The trunk 0 is kept if written (`+44 (0)7700`), put back if not.
    let from = usize::from(!rest.starts_with(b"0"));
    national.buf[from..from + rest.len()].copy_from_slice(rest);
    national.len = from + rest.len();
    Some(national)
}

fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = x as u32;
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Payment card: 13-19 digits, Luhn, the prefix and length of an issuer
/// in use (ISO/IEC 7812 ranges as the schemes publish them).
pub fn card(value: &str) -> Option<Check> {
    let d = digits(value)?;
    let d = d.as_bytes();
    let len = d.len();
    if !(13..=19).contains(&len) || !consistent_separators(value) || !luhn(d) {
        return None;
    }
    let prefix = |n: usize| d[..n].iter().fold(0u32, |a, &x| a * 10 + x as u32);
    let (p2, p3, p4) = (prefix(2), prefix(3), prefix(4));
    let issuer = match d[0] {
        1 => len == 15, // UATP
        2 => {
            (2221..=2720).contains(&p4) && len == 16 // Mastercard 2-series
                || (2200..=2204).contains(&p4) && len >= 16 // Mir
        }
        3 => {
            matches!(p2, 34 | 37) && len == 15 // American Express
                || ((300..=305).contains(&p3) || p4 == 3095 || matches!(p2, 36 | 38 | 39)) && len >= 14 // Diners Club
                || (3528..=3589).contains(&p4) && len >= 16 // JCB
        }
        4 => matches!(len, 13 | 16 | 19), // Visa, Visa Electron
        5 => {
            (51..=55).contains(&p2) && len == 16 // Mastercard
                || p2 == 50 || (56..=59).contains(&p2) // Maestro, Verve, Dankort
        }
        // Discover (6011, 644-649, 65), UnionPay (62), RuPay (60, 65),
        // Maestro (6304, 6759, 67), InterPayment (636); 61, 66, 68 and 69
        // are issued to no card scheme.
        6 => match p2 {
            60 | 62 | 65 => len >= 16,
            64 => (644..=649).contains(&p3) && len >= 16,
            63 | 67 => len >= 13,
            _ => false,
        },
        8 => matches!(p2, 81 | 82) && len >= 16, // UnionPay, RuPay
        9 => p4 == 9792 && len == 16,            // Troy
        _ => false,
    };
    if !issuer || d.iter().all(|&x| x == d[0]) {
        return None;
    }
    Some(Check::OK)
}

pub fn sort_code(value: &str) -> Option<Check> {
    let d = digits(value)?;
    let d = d.as_bytes();
    (d.len() == 6 && consistent_separators(value) && !d.iter().all(|&x| x == 0)).then_some(Check::OK)
}

pub fn bank_account(value: &str) -> Option<Check> {
    let d = digits(value)?;
    let d = d.as_bytes();
    if !(6..=10).contains(&d.len()) || d.iter().all(|&x| x == d[0]) {
        return None;
    }
    Some(if d.len() == 8 { Check::OK } else { Check::weak(0.8) })
}

/// GB IBAN: GB + 2 check digits + 4-letter bank code + 14 digits, mod 97.
pub fn iban(value: &str) -> Option<Check> {
    let compact = Small::<22>::compact_upper(value)?;
    let b = compact.as_bytes();
    if b.len() != 22 || !b.starts_with(b"GB") {
        return None;
    }
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = char::from(c).to_digit(36)?;
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    (rem == 1).then_some(Check::OK)
}

/// A date that could be a living person's date of birth. Written day
/// first, ISO or with a month name; month first (`03/29/1985`) only where
/// day first is impossible (the rules that use this need a birth label).
pub fn dob_date(value: &str) -> Option<Check> {
    let (parsed, check) = match parse_date(value) {
        Some(date) => (date, Check::OK),
        None => (month_first(value)?, Check::weak(0.95)),
    };
    let (y, m, d) = parsed;
    let today = today();
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d)?;
    if y < 1900 || date > today {
        return None;
    }
    Some(check)
}

/// `03/29/1985` read month first, as (y, m, d), when its first number could
/// be a month and its second could not: `None` for any other shape.
fn month_first(value: &str) -> Option<(i32, u32, u32)> {
    let v = value.trim();
    let sep = v.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let mut parts = v.split(sep);
    let (a, b, rest) = (parts.next()?, parts.next()?, parts.next()?);
    let small = |s: &str| (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || !small(a) || !small(b) {
        return None;
    }
    let (month, day): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
    if !(1..=12).contains(&month) || day <= 12 {
        return None;
    }
    parse_date(&format!("{b}{sep}{a}{sep}{rest}"))
}

/// A year of birth, alone or after a month: `1952`, `March 1987`,
/// `Sept. 1990`. Returns the year and the month if there is one.
pub fn parse_birth_year(value: &str) -> Option<(i32, Option<u32>)> {
    let mut parts = value.split(|c: char| c.is_whitespace() || c == ',').filter(|p| !p.is_empty());
    let (first, second) = (parts.next()?, parts.next());
    if parts.next().is_some() {
        return None;
    }
    let (month, year) = match second {
        Some(year) => (Some(month_number(first)?), year),
        None => (None, first),
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((year.parse().ok()?, month))
}

/// A year (and month) of birth of someone alive: 1900 to this year, and not
/// a month still to come.
pub fn birth_year(value: &str) -> Option<Check> {
    let (y, m) = parse_birth_year(value)?;
    let today = today();
    let future = y > today.year() || (y == today.year() && m.is_some_and(|m| m > today.month()));
    (y >= 1900 && !future).then_some(Check::OK)
}

/// An email address belonging to a person: well formed, and not a role
/// mailbox (info@, enquiries@...) or a placeholder domain from the allow list.
pub fn email(value: &str, lists: &Lists) -> Option<Check> {
    let (local, domain) = value.rsplit_once('@')?;
    if local.is_empty() || local.len() > 64 || local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return None;
    }
    if !domain.contains('.') || domain.split('.').any(|l| l.is_empty() || l.starts_with('-') || l.ends_with('-')) {
        return None;
    }
    // A top-level domain is letters, or an internationalised one in its
    // punycode form (`xn--p1ai`) or written in its own script (`рф`).
    let tld = domain.rsplit('.').next().unwrap_or("");
    let letters = tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic);
    let punycode = tld.len() > 4
        && tld[..4].eq_ignore_ascii_case("xn--")
        && tld[4..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !letters && !punycode {
        return None;
    }
    // The part before any `+tag`, in lower case (at most 64 bytes, checked above).
    let base = local.split('+').next().unwrap_or("");
    let lower = Small::<64>::from_bytes(base, |_| true, |b| b.to_ascii_lowercase())?;
    if lists.role_mailboxes.contains(std::str::from_utf8(lower.as_bytes()).unwrap_or("")) {
        return None;
    }
    Some(Check::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists() -> Lists {
        Lists::builtin()
    }

    #[test]
    fn national_digits_are_the_normalised_phone_number() {
        let mut rng = piisweep_testkit::rng::Rng::new(44);
        let pieces = [
            "0", "4", "44", "0044", "00", "+", " +", "(+", "(0)", "7", "1", " ", "-", "(", ")", "x", "é", "123", "9",
            "48",
        ];
        for _ in 0..20_000 {
            let n = rng.below(12);
            let value: String = (0..n).map(|_| *rng.pick(&pieces)).collect();
            let normalised = crate::detect::category::normalise_phone(&value);
            match national_digits(&value) {
                Some(d) => assert_eq!(d.as_bytes(), normalised.as_bytes(), "{value:?}"),
                None => assert!(value.bytes().filter(u8::is_ascii_digit).count() > 16, "{value:?}"),
            }
        }
    }

    #[test]
    fn every_validator_name_is_known() {
        for name in NAMES {
            assert!(Validator::named(name).is_some(), "{name}");
        }
        assert_eq!(Validator::named("luhn"), None);
    }

    #[test]
    fn nino_rules() {
        assert_eq!(nino("AB 12 34 56 C"), Some(Check::OK));
        assert_eq!(nino("AB123456C"), Some(Check::OK));
        assert!(nino("AB123456").unwrap().needs_context);
        for bad in [
            "DA123456A",
            "FA123456A",
            "AO123456A",
            "GB123456A",
            "NK123456A",
            "TN123456A",
            "ZZ123456A",
            "AB123456E",
            "QQ123456C",
            "AB 12-34 56 C",
            "AB12345C",
        ] {
            assert_eq!(nino(bad), None, "{bad}");
        }
        assert!(nino("PP123456A").unwrap().factor < 1.0);
    }

    #[test]
    fn nhs_rules() {
        for good in ["943 476 5919", "943-476-5919", "9434765919", "4505577104"] {
            assert!(nhs(good).is_some(), "{good}");
        }
        assert_eq!(nhs("450 557 7104"), Some(Check::OK));
        for bad in ["943 476 5918", "943-476 5919", "1234567890", "0000000000", "94347659190"] {
            assert_eq!(nhs(bad), None, "{bad}");
        }
    }

    #[test]
    fn postcode_rules() {
        let l = lists();
        for good in [
            "ME14 5PP", "me14 5pp", "ME145PP", "SW1A 1AA", "EC1A 1BB", "W1A 0AX", "CT1 2EH", "GIR 0AA", "M1 1AE",
            "B33 8TH", "CR2 6XH", "DN55 1PT",
        ] {
            assert!(postcode(good, &l).is_some(), "{good}");
        }
        for bad in ["QE14 5PP", "XX1 1AA", "ME14 5CP", "AZ1 1AA", "ME14 PP5", "ME1", "ZZ9 9ZZ", "AB1 1AI"] {
            assert_eq!(postcode(bad, &l), None, "{bad}");
        }
    }

    #[test]
    fn phone_numbers_that_lost_their_zero() {
        for (cell, whole) in
            [("7700 900123", "07700 900123"), (" 1622 123456 ", "01622 123456"), ("20 7946 0958", "020 7946 0958")]
        {
            let check = Validator::PhoneNoZero.check(cell, &Lists::builtin());
            assert_eq!(check, phone(whole, &Lists::builtin()), "{cell:?}");
            assert!(check.is_some(), "{cell:?}");
        }
        // (The last is longer than the stack buffer.)
        for bad in ["", "0", "123", "77009001234567", "7700 900123 4567 8901 2345 6789 0123 4567 89"] {
            assert_eq!(Validator::PhoneNoZero.check(bad, &Lists::default()), None, "{bad:?}");
        }
    }

    #[test]
    fn phone_rules() {
        for good in [
            "07700 900123",
            "+44 7700 900123",
            "+44 (0)7700 900123",
            "0044 7700 900123",
            "(01622) 123456",
            "07700-900-123",
            "020 7946 0018",
            "01632 960123",
            "016977 1234",
            "07624 123456",
        ] {
            assert!(phone(good, &lists()).is_some(), "{good}");
        }
        for bad in [
            "07700 90012",
            "0770090012345",
            "04123 456789",
            "06123 456789",
            "09012 345678",
            "+33 1 23 45 67 89",
            "(01622 123456",
        ] {
            assert_eq!(phone(bad, &lists()), None, "{bad}");
        }
        assert!(phone("+447700900123", &lists()).is_some());
    }

    #[test]
    fn international_phone_rules() {
        let l = lists();
        let check = |v: &str| phone_international(v, &l);
        for good in [
            "+48 512 345 678",
            "+48512345678",
            "(+48) 512 345 678",
            "+353 87 123 4567",
            "+353 1 234 5678",
            "+1 (202) 555-0143",
            "+1-202-555-0143",
            "+33 6 12 34 56 78",
            "+33 (0)6 12 34 56 78",
            "+33.6.12.34.56.78",
            "+40 721 234 567",
            "+91 98765 43210",
            "+234 803 123 4567",
            "+49 151 23456789",
            "+370 612 34567",
        ] {
            assert_eq!(check(good).map(|c| c.needs_context), Some(false), "{good}");
        }
        // `00` instead of `+`: only with phone context.
        for written in ["0048 512 345 678", "0033 (0)6 12 34 56 78", "001 202 555 0143"] {
            assert_eq!(check(written).map(|c| c.needs_context), Some(true), "{written}");
        }
        // A length the country's plan fixes is a surer sign than any length.
        assert!(check("+49 151 23456789").unwrap().factor < check("+48 512 345 678").unwrap().factor);
        for bad in [
            // UK numbers are phone.uk's.
            "+44 7700 900123",
            "0044 7700 900123",
            // Codes not assigned (spare, or global services).
            "+999 123 456 789",
            "+210 123 4567",
            "+800 1234 5678",
            // Lengths: the country's, E.164's 15 digits, 8 at least.
            "+48 512 345 6789",
            "+48 51 234 567",
            "+33 6 12 34 56 7",
            "+1 202 555 014",
            "+49 1512 3456 7890 12",
            "+36 123 45",
            // North American area codes and exchanges start 2-9.
            "+1 (102) 555-0143",
            "+1 202 155 0143",
            // Decimals, amounts, dates, repeated digits, a lone `0`.
            "+51.50741234",
            "+48.512345678",
            "+2024-03-01",
            "+1999-12-31",
            "+48 000 000 000",
            "+48 (512 345 678",
            "048 512 345 678",
            "",
        ] {
            assert_eq!(check(bad), None, "{bad}");
        }
    }

    #[test]
    fn card_and_bank_rules() {
        assert!(card("4111 1111 1111 1111").is_some());
        assert!(card("5555-5555-5555-4444").is_some());
        assert!(card("378282246310005").is_some());
        assert_eq!(card("4111 1111 1111 1112"), None);
        assert_eq!(card("1234 5678 9012 3452"), None);
        assert_eq!(card("4111-1111 1111 1111"), None);
        assert!(sort_code("20-00-00").is_some());
        assert_eq!(sort_code("00-00-00"), None);
        assert!(bank_account("31926819").is_some());
        assert_eq!(bank_account("11111111"), None);
        assert!(iban("GB29 NWBK 6016 1331 9268 19").is_some());
        assert_eq!(iban("GB28 NWBK 6016 1331 9268 19"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("12/03/1985"), Some((1985, 3, 12)));
        assert_eq!(parse_date("12.03.85"), Some((1985, 3, 12)));
        assert_eq!(parse_date("1985-03-12"), Some((1985, 3, 12)));
        assert_eq!(parse_date("3rd March 1985"), Some((1985, 3, 3)));
        assert_eq!(parse_date("3 of Sept 1985"), Some((1985, 9, 3)));
        assert_eq!(parse_date("March 3, 1985"), Some((1985, 3, 3)));
        assert_eq!(parse_date("12-Mar-1985"), Some((1985, 3, 12)));
        assert_eq!(parse_date("1/2/05"), Some((2005, 2, 1)));
        assert_eq!(parse_date("31/02/1985"), None);
        assert_eq!(parse_date("29/02/2001"), None);
        assert_eq!(parse_date("29/02/2000"), Some((2000, 2, 29)));
        assert_eq!(parse_date("13/13/1985"), None);
        assert!(dob_date("01/01/1850").is_none());
        assert!(dob_date("01/01/2999").is_none());
    }

    #[test]
    fn birth_years() {
        assert_eq!(parse_birth_year("1952"), Some((1952, None)));
        assert_eq!(parse_birth_year("March 1987"), Some((1987, Some(3))));
        assert_eq!(parse_birth_year("Sept. 1990"), Some((1990, Some(9))));
        assert_eq!(parse_birth_year("Mar, 1987"), Some((1987, Some(3))));
        assert_eq!(parse_birth_year("Marching 1987"), None);
        assert_eq!(parse_birth_year("87"), None);
        assert_eq!(parse_birth_year("12 March 1987"), None);
        assert!(birth_year("1952").is_some());
        assert!(birth_year("1899").is_none());
        assert!(birth_year("2999").is_none());
        let next = today().year() + 1;
        assert!(birth_year(&next.to_string()).is_none());
        assert!(birth_year(&today().year().to_string()).is_some());
    }

    #[test]
    fn emails() {
        let l = lists();
        assert!(email("jane.roberts@gmail.com", &l).is_some());
        assert!(email("J.O'Neill+care@nhs.net", &l).is_some());
        assert_eq!(email("info@carers-kent.org.uk", &l), None);
        assert_eq!(email("jane..r@x.com", &l), None);
        assert_eq!(email("jane@x.c0m", &l), None);
    }
}
