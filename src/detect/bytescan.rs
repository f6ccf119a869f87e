//! Byte scans written so that the compiler can check many bytes at once:
//! the passes over every byte of a segment (anchors, capitals, case counts)
//! skip the bytes they do not care about 32 at a time.

/// Bytes looked at per step: one AVX2 register, or two SSE2 registers.
const LANES: usize = 32;

/// A class of bytes that [`find`] looks for: a test of one byte, and the
/// same test of eight bytes at once in a `u64` (SWAR), giving `0x80` in each
/// byte of the class and 0 elsewhere.
pub trait ByteClass {
    fn has(b: u8) -> bool;
    fn in_word(x: u64) -> u64;
}

const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
const HIGH: u64 = 0x8080_8080_8080_8080;

const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// `0x80` in each byte of `x` from `lo` to `hi` (ASCII, `lo` at least 1),
/// 0 elsewhere. Exact for every byte value: no sum carries into the next
/// byte, as each byte is at most `0x7F` before the add.
#[inline]
fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let t = x & LOW7;
    let at_least_lo = t + splat(0x80 - lo);
    let above_hi = t + splat(0x80 - (hi + 1));
    at_least_lo & !above_hi & !x & HIGH
}

/// ASCII capitals.
pub struct Upper;
/// ASCII capitals and every byte outside ASCII.
pub struct UpperOrNonAscii;
/// ASCII digits and `@`.
pub struct DigitOrAt;
/// Bytes outside ASCII.
pub struct NonAscii;

impl ByteClass for Upper {
    fn has(b: u8) -> bool {
        is_upper(b)
    }
    fn in_word(x: u64) -> u64 {
        in_range(x, b'A', b'Z')
    }
}

impl ByteClass for UpperOrNonAscii {
    fn has(b: u8) -> bool {
        is_upper(b) | (b >= 0x80)
    }
    fn in_word(x: u64) -> u64 {
        in_range(x, b'A', b'Z') | (x & HIGH)
    }
}

impl ByteClass for DigitOrAt {
    fn has(b: u8) -> bool {
        is_digit(b) | (b == b'@')
    }
    fn in_word(x: u64) -> u64 {
        in_range(x, b'0', b'9') | in_range(x, b'@', b'@')
    }
}

impl ByteClass for NonAscii {
    fn has(b: u8) -> bool {
        b >= 0x80
    }
    fn in_word(x: u64) -> u64 {
        x & HIGH
    }
}

/// The first index at or after `from` whose byte is of class `C`. Chunks
/// without one are passed over 32 bytes at a time (a fold over a fixed-size
/// array, which vectorises); in the chunk that holds one, it is found eight
/// bytes at a time.
#[inline]
pub fn find<C: ByteClass>(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + LANES <= bytes.len() {
        let chunk: &[u8; LANES] = bytes[i..i + LANES].try_into().expect("a chunk is LANES long");
        // No short-circuit, so that the check vectorises.
        if chunk.iter().fold(false, |any, &b| any | C::has(b)) {
            for (k, word) in chunk.chunks_exact(8).enumerate() {
                let mask = C::in_word(u64::from_le_bytes(word.try_into().expect("eight bytes")));
                if mask != 0 {
                    return Some(i + k * 8 + (mask.trailing_zeros() / 8) as usize);
                }
            }
        }
        i += LANES;
    }
    bytes.get(i..)?.iter().position(|&b| C::has(b)).map(|p| i + p)
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

    /// Every match of class `C` in `text` by `find`, and by a plain search.
    fn both<C: ByteClass>(text: &[u8], from: usize) -> (Option<usize>, Option<usize>) {
        (find::<C>(text, from), text.get(from..).and_then(|t| t.iter().position(|&b| C::has(b))).map(|p| from + p))
    }

    #[test]
    fn find_agrees_with_a_plain_search_at_every_offset() {
        let text: Vec<u8> =
            (0..300u32).map(|i| if i % 97 == 40 || i == 299 { b'7' } else { b'a' + (i % 26) as u8 }).collect();
        for from in 0..=text.len() {
            let (found, plain) = both::<DigitOrAt>(&text, from);
            assert_eq!(found, plain, "from {from}");
        }
        assert_eq!(find::<DigitOrAt>(b"", 0), None);
        assert_eq!(find::<DigitOrAt>(b"abc", 5), None);
    }

    #[test]
    fn word_tests_agree_with_byte_tests_for_every_byte() {
        // Each byte value in each position of a word, among neighbours that
        // are in the class and that are not (carries must not leak).
        for b in 0..=255u8 {
            for fill in [0u8, b'@', b'0', b'9', b'A', b'Z', b'z', 0x7F, 0x80, 0xFF] {
                for pos in 0..8 {
                    let mut word = [fill; 8];
                    word[pos] = b;
                    let x = u64::from_le_bytes(word);
                    fn expect<C: ByteClass>(word: &[u8; 8]) -> u64 {
                        word.iter().enumerate().map(|(k, &b)| if C::has(b) { 0x80 << (k * 8) } else { 0 }).sum()
                    }
                    assert_eq!(Upper::in_word(x), expect::<Upper>(&word), "{word:?}");
                    assert_eq!(UpperOrNonAscii::in_word(x), expect::<UpperOrNonAscii>(&word), "{word:?}");
                    assert_eq!(DigitOrAt::in_word(x), expect::<DigitOrAt>(&word), "{word:?}");
                    assert_eq!(NonAscii::in_word(x), expect::<NonAscii>(&word), "{word:?}");
                }
            }
        }
        let text: Vec<u8> =
            (0..200u32).map(|i| [b'a', b'Q', b'@', b'5', 0xC3, b' '][(i * i % 7 % 6) as usize]).collect();
        for from in 0..=text.len() {
            let (a, b) = both::<Upper>(&text, from);
            assert_eq!(a, b);
            let (a, b) = both::<UpperOrNonAscii>(&text, from);
            assert_eq!(a, b);
            let (a, b) = both::<NonAscii>(&text, from);
            assert_eq!(a, b);
        }
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
