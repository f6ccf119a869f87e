//! Byte scans written so that the compiler can check many bytes at once:
//! the passes over every byte of a segment (anchors, capitals, case counts)
//! skip the bytes they do not care about 32 at a time.

/// Bytes looked at per step: one AVX2 register, or two SSE2 registers.
const LANES: usize = 32;

/// The first index at or after `from` whose byte satisfies `pred`.
/// `pred` should be a simple comparison so that the 32-byte check vectorises.
#[inline]
pub fn find(bytes: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> Option<usize> {
    let mut i = from;
    while i + LANES <= bytes.len() {
        let chunk: &[u8; LANES] = bytes[i..i + LANES].try_into().expect("a chunk is LANES long");
        // No short-circuit: the fold over a fixed-size array vectorises.
        if chunk.iter().fold(false, |any, &b| any | pred(b)) {
            break;
        }
        i += LANES;
    }
    bytes.get(i..)?.iter().position(|&b| pred(b)).map(|p| i + p)
}

pub fn is_digit(b: u8) -> bool {
    b.wrapping_sub(b'0') < 10
}

pub fn is_upper(b: u8) -> bool {
    b.wrapping_sub(b'A') < 26
}

pub fn is_lower(b: u8) -> bool {
    b.wrapping_sub(b'a') < 26
}

/// How many ASCII capitals and lower-case letters `bytes` holds, counted
/// in blocks with byte-wide counters (which vectorise).
pub fn count_case(bytes: &[u8]) -> (usize, usize) {
    count_case_until(bytes, |_, _, _| false)
}

/// Like [`count_case`], but stops after a block where `enough(up, low,
/// bytes left)` holds: the counts so far are returned.
pub fn count_case_until(bytes: &[u8], enough: impl Fn(usize, usize, usize) -> bool) -> (usize, usize) {
    let (mut up, mut low) = (0usize, 0usize);
    let mut left = bytes.len();
    for block in bytes.chunks(255) {
        if enough(up, low, left) {
            break;
        }
        left -= block.len();
        let (mut u, mut l) = (0u8, 0u8);
        for &b in block {
            u += u8::from(is_upper(b));
            l += u8::from(is_lower(b));
        }
        up += usize::from(u);
        low += usize::from(l);
    }
    (up, low)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_agrees_with_a_plain_search_at_every_offset() {
        let text: Vec<u8> =
            (0..300u32).map(|i| if i % 97 == 40 || i == 299 { b'7' } else { b'a' + (i % 26) as u8 }).collect();
        for from in 0..=text.len() {
            let plain = text[from..].iter().position(|&b| is_digit(b)).map(|p| from + p);
            assert_eq!(find(&text, from, is_digit), plain, "from {from}");
        }
        assert_eq!(find(b"", 0, is_digit), None);
        assert_eq!(find(b"abc", 5, is_digit), None);
    }

    #[test]
    fn case_counts_match_a_plain_count() {
        let text: String = "Hello WORLD, this is Mixed Case ÀÉ text 123. ".repeat(40);
        let plain =
            (text.bytes().filter(u8::is_ascii_uppercase).count(), text.bytes().filter(u8::is_ascii_lowercase).count());
        assert_eq!(count_case(text.as_bytes()), plain);
        let (up, low) = count_case_until(text.as_bytes(), |_, low, _| low > 300);
        assert!(low > 300 && low < plain.1 && up < plain.0, "stopped after the block that passed 300");
        assert!((0..=255u8).all(|b| is_digit(b) == b.is_ascii_digit()
            && is_upper(b) == b.is_ascii_uppercase()
            && is_lower(b) == b.is_ascii_lowercase()));
    }
}
