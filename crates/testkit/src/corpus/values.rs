//! Valid (and deliberately invalid) UK identifiers and their written forms.
//!
//! Generators return a canonical value; `fmt_*` functions pick one of the
//! ways people really write it. The `is_valid_*` checks are used by the tests
//! and by the negative generators, which must never produce a valid value.

use super::rng::Rng;

/// A calendar date (no time zone, no time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    pub y: u32,
    pub m: u32,
    pub d: u32,
}

pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Date {
    /// A random date in years `lo..=hi` (days 1-28, so every month is valid).
    pub fn random(rng: &mut Rng, lo: u32, hi: u32) -> Date {
        Date { y: rng.range(lo, hi), m: rng.range(1, 12), d: rng.range(1, 28) }
    }
    /// `YYYY-MM-DD`, the form the spreadsheet extractor renders date cells in.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.y, self.m, self.d)
    }
    /// `12 March 2024`.
    pub fn long(&self) -> String {
        format!("{} {} {}", self.d, MONTHS[self.m as usize - 1], self.y)
    }
    /// `12/03/2024`.
    pub fn slashed(&self) -> String {
        format!("{:02}/{:02}/{}", self.d, self.m, self.y)
    }
    /// One of the forms people write a date of birth in.
    pub fn fmt_any(&self, rng: &mut Rng) -> String {
        match rng.below(6) {
            0 | 1 => self.slashed(),
            2 => format!("{:02}/{:02}/{:02}", self.d, self.m, self.y % 100),
            3 => self.long(),
            4 => self.iso(),
            _ => format!("{:02}.{:02}.{}", self.d, self.m, self.y),
        }
    }
}

const NINO_FIRST: &[u8] = b"ABCEGHJKLMNOPRSTWXYZ";
const NINO_SECOND: &[u8] = b"ABCEGHJKLMNPRSTWXYZ";
/// Unused prefixes plus administrative ones (kept out of the valid pool).
const NINO_BAD_PREFIX: &[&str] =
    &["BG", "GB", "KN", "NK", "NT", "TN", "ZZ", "OO", "CR", "FY", "MW", "NC", "PP", "PY", "PZ"];

/// A valid NINO, compact: `AB123456C`.
pub fn nino(rng: &mut Rng) -> String {
    loop {
        let p = [*rng.pick(NINO_FIRST), *rng.pick(NINO_SECOND)];
        let prefix = std::str::from_utf8(&p).unwrap_or("AB").to_string();
        if NINO_BAD_PREFIX.contains(&prefix.as_str()) {
            continue;
        }
        let suffix = char::from(b'A' + rng.below(4) as u8);
        return format!("{prefix}{}{suffix}", rng.digits(6));
    }
}

/// `AB 12 34 56 C` or `AB123456C`.
pub fn fmt_nino(compact: &str, rng: &mut Rng) -> String {
    if rng.chance(55) && compact.len() == 9 {
        let c = compact;
        format!("{} {} {} {} {}", &c[..2], &c[2..4], &c[4..6], &c[6..8], &c[8..])
    } else {
        compact.to_string()
    }
}

/// True for a NINO (spaces allowed) that meets HMRC's letter rules.
pub fn is_valid_nino(s: &str) -> bool {
    let c: Vec<u8> = s.bytes().filter(|b| *b != b' ').collect();
    c.len() == 9
        && NINO_FIRST.contains(&c[0])
        && NINO_SECOND.contains(&c[1])
        && !NINO_BAD_PREFIX.iter().any(|p| p.as_bytes() == &c[..2])
        && c[2..8].iter().all(u8::is_ascii_digit)
        && (b'A'..=b'D').contains(&c[8])
}

/// A NINO-shaped string that breaks one rule (bad prefix or suffix).
pub fn bad_nino(rng: &mut Rng) -> String {
    let digits = rng.digits(6);
    let v = match rng.below(3) {
        0 => format!("{}{digits}{}", rng.pick(&["DQ", "GB", "FI", "QV", "TN"]), char::from(b'A' + rng.below(4) as u8)),
        1 => format!("{}{digits}E", &nino(rng)[..2]),
        _ => format!("{}{digits}{}", rng.pick(&["ZZ", "BG", "NK", "UA", "VE"]), "C"),
    };
    fmt_nino(&v, rng)
}

/// The NHS mod-11 check digit for nine digits, or None where it would be 10.
fn nhs_check(nine: &[u8]) -> Option<u8> {
    let sum: u32 = nine.iter().enumerate().map(|(i, d)| u32::from(d - b'0') * (10 - i as u32)).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c as u8),
    }
}

/// True for ten digits (separators ignored) with a correct check digit.
pub fn is_valid_nhs(s: &str) -> bool {
    let d: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).collect();
    d.len() == 10 && nhs_check(&d[..9]) == Some(d[9] - b'0')
}

fn nhs_prefix(rng: &mut Rng) -> String {
    if rng.chance(50) { rng.range(400, 499) } else { rng.range(600, 799) }.to_string()
}

/// A valid NHS number in the England/Wales ranges, ten plain digits.
pub fn nhs(rng: &mut Rng) -> String {
    loop {
        let nine = format!("{}{}", nhs_prefix(rng), rng.digits(6));
        if let Some(c) = nhs_check(nine.as_bytes()) {
            return format!("{nine}{c}");
        }
    }
}

/// Ten digits in an NHS range whose check digit is wrong.
pub fn bad_nhs(rng: &mut Rng) -> String {
    loop {
        let nine = format!("{}{}", nhs_prefix(rng), rng.digits(6));
        let last = rng.digits(1);
        let s = format!("{nine}{last}");
        if !is_valid_nhs(&s) {
            return s;
        }
    }
}

/// `943 476 5919`, `943-476-5919` or `9434765919`.
pub fn fmt_nhs(d: &str, rng: &mut Rng) -> String {
    match rng.below(4) {
        0 | 1 => format!("{} {} {}", &d[..3], &d[3..6], &d[6..]),
        2 => format!("{}-{}-{}", &d[..3], &d[3..6], &d[6..]),
        _ => d.to_string(),
    }
}

/// Outward codes (Kent and a few London) with the town they belong to.
pub const OUTWARDS: &[(&str, &str)] = &[
    ("ME14", "Maidstone"),
    ("ME15", "Maidstone"),
    ("ME16", "Maidstone"),
    ("ME17", "Maidstone"),
    ("ME1", "Rochester"),
    ("ME4", "Chatham"),
    ("ME7", "Gillingham"),
    ("ME10", "Sittingbourne"),
    ("CT1", "Canterbury"),
    ("CT2", "Canterbury"),
    ("CT9", "Margate"),
    ("CT11", "Ramsgate"),
    ("CT16", "Dover"),
    ("CT20", "Folkestone"),
    ("TN23", "Ashford"),
    ("TN24", "Ashford"),
    ("TN25", "Ashford"),
    ("TN1", "Tunbridge Wells"),
    ("TN9", "Tonbridge"),
    ("DA1", "Dartford"),
    ("DA11", "Gravesend"),
    ("DA12", "Gravesend"),
    ("BR1", "Bromley"),
    ("SE1", "London"),
    ("SE18", "London"),
];
/// Letters allowed in the inward code.
const INWARD_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

/// A valid postcode, upper case with a space, and its town.
pub fn postcode(rng: &mut Rng) -> (String, &'static str) {
    let (out, town) = *rng.pick(OUTWARDS);
    let inward =
        format!("{}{}{}", rng.below(10), char::from(*rng.pick(INWARD_LETTERS)), char::from(*rng.pick(INWARD_LETTERS)));
    (format!("{out} {inward}"), town)
}

/// Usually as given, sometimes lower case or without the space.
pub fn fmt_postcode(pc: &str, rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => pc.to_lowercase(),
        1 => pc.replace(' ', ""),
        _ => pc.to_string(),
    }
}

/// A phone number, national digits (`07700900123`, `02079460123`).
pub fn phone(rng: &mut Rng, mobile: bool) -> String {
    if mobile {
        if rng.chance(40) {
            format!("07700900{}", rng.digits(3))
        } else {
            format!("07{}{}", rng.pick(&["4", "5", "7", "8", "9"]), rng.digits(8))
        }
    } else {
        match rng.below(5) {
            0 => format!("01632960{}", rng.digits(3)),
            1 => format!("020794600{}", rng.digits(2)),
            _ => format!(
                "{}{}{}",
                rng.pick(&["01622", "01227", "01233", "01303", "01843"]),
                rng.range(2, 9),
                rng.digits(5)
            ),
        }
    }
}

/// One of the ways a number is written; `d` is the national form of a UK
/// number or the canonical form of another ([`international_phone`]).
pub fn fmt_phone(d: &str, rng: &mut Rng) -> String {
    if d.starts_with('+') {
        // One draw, as for a UK number, so that the rest of the corpus is
        // the same whichever numbers are from abroad.
        return fmt_international(d, rng.below(7));
    }
    if let Some(rest) = d.strip_prefix("020") {
        let (a, b) = rest.split_at(4);
        return match rng.below(3) {
            0 => format!("020 {a} {b}"),
            1 => format!("+44 20 {a} {b}"),
            _ => format!("(020) {a} {b}"),
        };
    }
    let (area, num) = d.split_at(5);
    let mobile = d.starts_with("07");
    match rng.below(7) {
        0 | 1 => format!("{area} {num}"),
        2 => format!("+44 {} {num}", &area[1..]),
        3 => format!("+44 (0){} {num}", &area[1..]),
        4 if !mobile => format!("({area}) {num}"),
        4 | 5 => format!("{area}-{}-{}", &num[..3], &num[3..]),
        _ => d.to_string(),
    }
}

/// Countries whose numbers clients and their next of kin in Kent have, with
/// the mobile prefixes, the national number's length and how it is grouped.
struct Abroad {
    code: &'static str,
    prefixes: &'static [&'static str],
    len: usize,
    groups: &'static [usize],
    /// Written with a bracketed trunk zero at times (`+33 (0)6 ...`).
    trunk: bool,
}

const ABROAD: &[Abroad] = &[
    Abroad {
        code: "48",
        prefixes: &["50", "51", "53", "57", "60", "66", "69", "72", "79", "88"],
        len: 9,
        groups: &[3, 3, 3],
        trunk: false,
    },
    Abroad { code: "40", prefixes: &["72", "73", "74", "75", "76", "78"], len: 9, groups: &[3, 3, 3], trunk: false },
    Abroad { code: "353", prefixes: &["83", "85", "86", "87", "89"], len: 9, groups: &[2, 3, 4], trunk: true },
    Abroad { code: "33", prefixes: &["6", "7"], len: 9, groups: &[1, 2, 2, 2, 2], trunk: true },
    Abroad {
        code: "91",
        prefixes: &["98", "97", "96", "90", "88", "70", "81"],
        len: 10,
        groups: &[5, 5],
        trunk: false,
    },
    Abroad {
        code: "234",
        prefixes: &["803", "806", "813", "816", "703", "706", "903", "805"],
        len: 10,
        groups: &[3, 3, 4],
        trunk: false,
    },
    Abroad { code: "370", prefixes: &["6"], len: 8, groups: &[3, 5], trunk: false },
    Abroad { code: "233", prefixes: &["24", "54", "55", "20", "50"], len: 9, groups: &[2, 3, 4], trunk: false },
    Abroad { code: "92", prefixes: &["300", "301", "321", "333", "345"], len: 10, groups: &[3, 7], trunk: false },
    Abroad { code: "49", prefixes: &["151", "152", "160", "170", "176"], len: 11, groups: &[3, 8], trunk: true },
    Abroad { code: "380", prefixes: &["50", "67", "63", "93", "97"], len: 9, groups: &[2, 3, 2, 2], trunk: false },
    // North America: the 555-01xx numbers set aside for fiction.
    Abroad {
        code: "1",
        prefixes: &["20255501", "21255501", "41655501", "61755501", "31255501"],
        len: 10,
        groups: &[3, 3, 4],
        trunk: false,
    },
];

/// A mobile number outside the UK, canonical: `+48 512345678` (the country
/// code, a space, the national number).
pub fn international_phone(rng: &mut Rng) -> String {
    let a = rng.pick(ABROAD);
    let prefix = rng.pick(a.prefixes);
    format!("+{} {prefix}{}", a.code, rng.digits(a.len - prefix.len()))
}

/// The national number `n` cut into `groups`, joined by `sep`.
fn grouped(n: &str, groups: &[usize], sep: &str) -> String {
    let mut out = Vec::new();
    let mut at = 0;
    for &g in groups {
        out.push(&n[at..(at + g).min(n.len())]);
        at += g;
    }
    out.join(sep)
}

/// One of the ways a number outside the UK is written; `d` is the canonical
/// form from [`international_phone`]. `k` (0-6) picks the way.
fn fmt_international(d: &str, k: usize) -> String {
    let (code, national) = d.trim_start_matches('+').split_once(' ').unwrap_or(("", d));
    let a = ABROAD.iter().find(|a| a.code == code);
    let groups = a.map_or(&[3, 3, 4][..], |a| a.groups);
    let trunk = a.is_some_and(|a| a.trunk);
    match k {
        0..=2 => format!("+{code} {}", grouped(national, groups, " ")),
        3 => format!("+{code}{national}"),
        4 if code == "1" => format!("+1 {}", grouped(national, groups, "-")),
        4 => format!("+{code}-{}", grouped(national, groups, "-")),
        5 if trunk => format!("+{code} (0){}", grouped(national, groups, " ")),
        5 => format!("(+{code}) {}", grouped(national, groups, " ")),
        _ if code == "1" => format!("+1 ({}) {}-{}", &national[..3], &national[3..6], &national[6..]),
        _ => format!("+{code} {national}"),
    }
}

/// A number outside the UK written with `00` for the `+`, as dialled from
/// the UK: `0048 512 345 678`. Only written where a phone label is near.
pub fn fmt_phone_00(d: &str) -> String {
    fmt_international(d, 0).replacen('+', "00", 1)
}

/// True when the Luhn checksum of the digits in `s` is correct./// True when the Luhn checksum of the digits in `s` is correct.
pub fn luhn_ok(s: &str) -> bool {
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| if i % 2 == 1 { if x * 2 > 9 { x * 2 - 9 } else { x * 2 } } else { x })
        .sum();
    !d.is_empty() && sum.is_multiple_of(10)
}

/// A Luhn-valid Visa or Mastercard number written in four groups of four.
pub fn card(rng: &mut Rng) -> String {
    let prefix = if rng.chance(60) { "4".to_string() } else { format!("5{}", rng.range(1, 5)) };
    let body = format!("{prefix}{}", rng.digits(15 - prefix.len()));
    let check = (0..10).map(|c| format!("{body}{c}")).find(|s| luhn_ok(s)).unwrap_or_default();
    let g: Vec<&str> = (0..4).map(|i| &check[i * 4..i * 4 + 4]).collect();
    g.join(" ")
}

/// `NN-NN-NN`.
pub fn sort_code(rng: &mut Rng) -> String {
    format!("{}-{}-{}", rng.range(10, 99), rng.digits(2), rng.digits(2))
}

/// Eight digits, not starting with 0.
pub fn account(rng: &mut Rng) -> String {
    format!("{}{}", rng.range(1, 9), rng.digits(7))
}

/// Plain ASCII letters for an email local part ("Łukasz" -> "lukasz").
pub fn fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = c.to_lowercase().next().unwrap_or(c);
            Some(match c {
                'a'..='z' => c,
                'ą' | 'ă' | 'â' | 'á' | 'à' | 'ä' | 'ã' => 'a',
                'ć' | 'č' | 'ç' => 'c',
                'ę' | 'é' | 'è' | 'ë' | 'ê' | 'ě' => 'e',
                'í' | 'î' | 'ï' | 'ì' => 'i',
                'ł' => 'l',
                'ń' | 'ñ' => 'n',
                'ó' | 'ö' | 'ô' | 'ò' | 'õ' => 'o',
                'ś' | 'ș' | 'ş' | 'š' => 's',
                'ț' | 'ţ' => 't',
                'ú' | 'ü' | 'û' | 'ù' => 'u',
                'ź' | 'ż' | 'ž' => 'z',
                _ => return None,
            })
        })
        .collect()
}

/// Hard negatives: numbers and codes that look like personal data but are not.
pub mod negative {
    use super::Rng;
    /// `INV-20431`.
    pub fn invoice(rng: &mut Rng) -> String {
        format!("INV-{}", rng.range(20000, 29999))
    }
    /// An 11-digit reference starting 24 or 25 (not a phone shape).
    pub fn reference(rng: &mut Rng) -> String {
        format!("{}{}", rng.pick(&["24", "25"]), rng.digits(9))
    }
    /// A Companies House number, 8 digits starting 0.
    pub fn company(rng: &mut Rng) -> String {
        format!("0{}", rng.digits(7))
    }
    /// `£1,250.00`.
    pub fn amount(rng: &mut Rng) -> String {
        let pounds = rng.range(12, 9800);
        let p = if pounds >= 1000 { format!("{},{:03}", pounds / 1000, pounds % 1000) } else { pounds.to_string() };
        format!("£{p}.{}", rng.pick(&["00", "50", "25", "99"]))
    }
    /// `10:30am`, `14:15`.
    pub fn time(rng: &mut Rng) -> String {
        let h = rng.range(9, 16);
        let m = rng.pick(&["00", "15", "30", "45"]);
        if rng.chance(50) {
            format!("{h}:{m}")
        } else {
            format!("{}:{m}{}", if h > 12 { h - 12 } else { h }, if h >= 12 { "pm" } else { "am" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identifiers_are_valid_and_negatives_are_not() {
        let mut r = Rng::new(3);
        assert!(is_valid_nhs("943 476 5919"));
        assert!(!is_valid_nhs("943 476 5918"));
        assert!(luhn_ok("4111 1111 1111 1111"));
        for _ in 0..500 {
            let n = nhs(&mut r);
            assert!(is_valid_nhs(&n), "{n}");
            assert!(!is_valid_nhs(&bad_nhs(&mut r)));
            assert!(is_valid_nino(&fmt_nino(&nino(&mut r), &mut r)));
            let b = bad_nino(&mut r);
            assert!(!is_valid_nino(&b), "{b}");
            let c = card(&mut r);
            assert!(luhn_ok(&c) && c.len() == 19, "{c}");
            let (pc, _) = postcode(&mut r);
            let inward = &pc[pc.len() - 2..];
            assert!(!inward.contains(['C', 'I', 'K', 'M', 'O', 'V']), "{pc}");
            let mobile = r.chance(50);
            let p = phone(&mut r, mobile);
            assert_eq!(p.len(), 11, "{p}");
            let f = fmt_phone(&p, &mut r);
            let digits: String = f.chars().filter(char::is_ascii_digit).collect();
            assert!(digits.ends_with(&p[1..]), "{p} -> {f}");
        }
        assert_eq!(fold("Łukasz-Wójcik O'Neill"), "lukaszwojcikoneill");
        // Numbers from abroad, every way they are written, normalise to one
        // form with their country code, and the detector's validator takes them.
        let lists = piisweep::detect::Lists::builtin();
        for _ in 0..300 {
            let d = international_phone(&mut r);
            let canonical = d.replace(' ', "");
            for k in 0..7 {
                let written = fmt_international(&d, k);
                assert_eq!(piisweep::detect::category::normalise_phone(&written), canonical, "{d} -> {written}");
                let check = piisweep::detect::validate::phone_international(&written, &lists);
                assert_eq!(check.map(|c| c.needs_context), Some(false), "{written}");
            }
            let dialled = fmt_phone_00(&d);
            assert!(dialled.starts_with("00"), "{dialled}");
            assert_eq!(piisweep::detect::category::normalise_phone(&dialled), canonical);
        }
    }
}
