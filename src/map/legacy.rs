//! Reading the location text that maps written before schema 4 stored: the
//! only place that reads a location out of its text, and only to convert
//! such a map ([`super::store::migrate_v1`], [`super::store::migrate_v3`]).
//! Everything else works from typed [`Location`](crate::finding::Location)s
//! and the columns the map stores from them.

/// A location split around its number: `row 17, col Email` → (`row `,
/// Some(17), `, col Email`). The number is the first run of digits after a
/// space, else the last run of digits; one that would not be written back
/// the same (a leading zero, too long) is left in the text.
pub fn split_location(location: &str) -> (&str, Option<i64>, &str) {
    let b = location.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    let chosen = runs.iter().find(|(s, _)| *s > 0 && b[s - 1] == b' ').or(runs.last());
    if let Some(&(s, e)) = chosen {
        let digits = &location[s..e];
        if (digits.len() == 1 || !digits.starts_with('0')) && digits.len() <= 18 {
            return (&location[..s], digits.parse().ok(), &location[e..]);
        }
    }
    (location, None, "")
}

/// The scope and window
/// ("nearby") of a place those versions split with [`split_location`], as
/// `sar` read them from the location text then.
pub fn near(pre: &str, post: &str) -> Option<(String, i64)> {
    if post.trim().is_empty() {
        for (p, w) in [("body line ", 3), ("line ", 3), ("paragraph ", 1), ("page ", 0)] {
            if pre == p {
                return Some((p.to_string(), w));
            }
        }
    }
    if pre == "row " && (post.is_empty() || post.starts_with(',')) {
        return Some(("row".to_string(), 0));
    }
    if post.is_empty()
        && let Some((sheet, letters)) = pre.rsplit_once('!')
        && letters.chars().all(|c| c.is_ascii_alphabetic())
    {
        return Some((format!("{sheet}!"), 0));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_split_around_their_number_and_join_back_the_same() {
        assert_eq!(split_location("row 17, col Email"), ("row ", Some(17), ", col Email"));
        assert_eq!(split_location("line 3"), ("line ", Some(3), ""));
        assert_eq!(split_location("Sheet1!C7"), ("Sheet1!C", Some(7), ""));
        assert_eq!(split_location("row 12, col Address 2"), ("row ", Some(12), ", col Address 2"));
        assert_eq!(split_location("header From"), ("header From", None, ""));
        assert_eq!(split_location("line 007"), ("line 007", None, ""), "a leading zero stays in the text");
        let long = format!("row {}", "9".repeat(30));
        assert_eq!(split_location(&long), (long.as_str(), None, ""));
        for loc in ["row 0, col A", "page 3, line 40", "body line 12", "x1y22z", "", "9", "Sheet 2!AB10", "é 5 é"] {
            let (pre, num, post) = split_location(loc);
            assert_eq!(format!("{pre}{}{post}", num.map(|n| n.to_string()).unwrap_or_default()), loc);
        }
    }

    #[test]
    fn places_of_old_maps_get_the_scopes_sar_read_from_their_text() {
        assert_eq!(near("line ", ""), Some(("line ".into(), 3)));
        assert_eq!(near("body line ", ""), Some(("body line ".into(), 3)));
        assert_eq!(near("paragraph ", ""), Some(("paragraph ".into(), 1)));
        assert_eq!(near("page ", ""), Some(("page ".into(), 0)));
        assert_eq!(near("row ", ", col Surname"), Some(("row".into(), 0)));
        assert_eq!(near("Sheet1!C", ""), Some(("Sheet1!".into(), 0)));
        assert_eq!(near("footnote ", ""), None);
        assert_eq!(near("line ", " extra"), None);
        assert_eq!(near("Sheet1!C", " comment"), None);
    }
}
