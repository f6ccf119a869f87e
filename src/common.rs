//! Small helpers that the data map, its report and subject access requests
//! share, so that `map` and `sar` need not import each other: HTML
//! escaping, the date texts of the map, and how a name's words are
//! positioned.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::detect::Category;

/// `s` escaped for HTML text and attribute values.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Nanoseconds since 1970 (what `files.modified` holds).
pub fn time_ns(t: Option<SystemTime>) -> Option<i64> {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_nanos() as i64)
}

/// `YYYY-MM-DD HH:MM` (UTC) for an optional `files.modified`.
pub fn date_text(ns: Option<i64>) -> String {
    match ns {
        Some(n) => chrono::DateTime::from_timestamp_nanos(n).format("%Y-%m-%d %H:%M").to_string(),
        None => String::new(),
    }
}

/// Now, as the ISO text stored in `runs`.
pub fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Word positions of a name (see `map::store::words_of`).
pub const POS_FIRST: i64 = 0;
pub const POS_LAST: i64 = 1;
pub const POS_ONLY: i64 = 2;

/// The words of a name as the data map stores them in `name_tokens` and SAR searches them: (position, word).
/// `Roberts, Jane` → [(first, roberts), (last, jane)]; `Roberts` → [(only, roberts)].
pub fn name_words(value: &str) -> Vec<(i64, String)> {
    let norm = Category::Name.normalise(value);
    let words: Vec<&str> = norm.split(' ').filter(|w| !w.is_empty()).collect();
    match words.as_slice() {
        [] => Vec::new(),
        [only] => vec![(POS_ONLY, only.to_string())],
        [first, .., last] => vec![(POS_FIRST, first.to_string()), (POS_LAST, last.to_string())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esc_escapes_markup_and_quotes() {
        assert_eq!(esc(r#"<a href="x">Tom & Jerry</a>"#), "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&lt;/a&gt;");
    }

    #[test]
    fn name_words_keep_first_and_last() {
        assert_eq!(name_words("Roberts, Jane"), vec![(POS_FIRST, "roberts".into()), (POS_LAST, "jane".into())]);
        assert_eq!(name_words("J. Roberts"), vec![(POS_FIRST, "j".into()), (POS_LAST, "roberts".into())]);
        assert_eq!(name_words("Mary Ann Roberts"), vec![(POS_FIRST, "mary".into()), (POS_LAST, "roberts".into())]);
        assert_eq!(name_words("ROBERTS"), vec![(POS_ONLY, "roberts".into())]);
        assert!(name_words(" , ").is_empty());
    }
}
