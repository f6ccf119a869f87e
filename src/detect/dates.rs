//! Dates written the UK way: the one date parser that category
//! normalisation, the validators and the SAR search share. Depends on nothing
//! else in `detect`.

use chrono::Datelike;

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

pub(super) fn month_number(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.');
    if w.len() < 3 || !w.as_bytes()[0].is_ascii_alphabetic() {
        return None;
    }
    if w.eq_ignore_ascii_case("sept") {
        return Some(9);
    }
    MONTHS
        .iter()
        .position(|m| {
            m.len() >= w.len() && m[..w.len()].eq_ignore_ascii_case(w) && (w.len() == 3 || m.len() == w.len())
        })
        .map(|i| i as u32 + 1)
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parse a date written the UK way (day first), ISO, or with a month name.
/// Two-digit years are read as the most recent past year. Returns (y, m, d).
pub fn parse_date(value: &str) -> Option<(i32, u32, u32)> {
    let v = value.trim();
    // The first three parts are all that is read.
    let mut parts = [""; 3];
    let mut n = 0;
    for p in v
        .split(|c: char| c == '/' || c == '.' || c == '-' || c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty() && !p.eq_ignore_ascii_case("of"))
    {
        if n == 3 {
            break;
        }
        parts[n] = p;
        n += 1;
    }
    if n < 3 {
        return None;
    }
    let num = |s: &str| -> Option<u32> {
        let s = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) { None } else { s.parse().ok() }
    };
    let (y, m, d, year_len);
    if parts[0].len() == 4 && parts[0].bytes().all(|b| b.is_ascii_digit()) {
        // ISO: 1985-03-12 (anything after the date, such as a time, is ignored)
        y = parts[0].parse::<i32>().ok()?;
        m = num(parts[1])?;
        d = num(parts[2])?;
        year_len = 4;
    } else if let Some(mo) = month_number(parts[1]) {
        // 12 March 1985, 12th Mar 85, 12-Mar-1985
        d = num(parts[0])?;
        m = mo;
        y = parts[2].parse::<i32>().ok()?;
        year_len = parts[2].len();
    } else if let Some(mo) = month_number(parts[0]) {
        // March 12, 1985
        m = mo;
        d = num(parts[1])?;
        y = parts[2].parse::<i32>().ok()?;
        year_len = parts[2].len();
    } else {
        d = num(parts[0])?;
        m = num(parts[1])?;
        y = parts[2].parse::<i32>().ok()?;
        year_len = parts[2].len();
    }
    let y = match year_len {
        4 => y,
        2 => {
            let now = today().year();
            let century = now - now % 100;
            if century + y > now { century - 100 + y } else { century + y }
        }
        _ => return None,
    };
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some((y, m, d))
}

/// Today's date, read once: the local time zone is costly to look up for
/// every date found.
pub(super) fn today() -> chrono::NaiveDate {
    static TODAY: std::sync::LazyLock<chrono::NaiveDate> =
        std::sync::LazyLock::new(|| chrono::Local::now().date_naive());
    *TODAY
}
