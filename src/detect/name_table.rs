//! The words of the name lists and their flags, laid out for fast lookups.
//!
//! About 200,000 words are looked up once per capitalised word of every
//! text. In a general hash map of `String`s each lookup reads the table's
//! control bytes, the bucket and the string's own allocation: three places
//! far apart in memory. Here a word of up to [`INLINE`] bytes (nearly all
//! names) is stored inside its 16-byte slot, so a lookup reads one cache
//! line; longer words go to an ordinary map.

use rustc_hash::FxHashMap;
use std::hash::BuildHasher;

/// The longest word stored inside a slot.
const INLINE: usize = 14;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C, align(16))]
struct Slot {
    key: [u8; INLINE],
    /// Length of the key; 0 for an empty slot.
    len: u8,
    flags: u8,
}

/// A set of lower-case words with a byte of flags each.
#[derive(Debug, Clone, Default)]
pub struct NameTable {
    /// Open addressing, linear probing; a power of two long (or empty).
    slots: Vec<Slot>,
    /// Words stored in `slots`.
    inline: usize,
    long: FxHashMap<Box<str>, u8>,
}

fn hash(word: &[u8]) -> usize {
    rustc_hash::FxBuildHasher.hash_one(word) as usize
}

impl NameTable {
    /// The flags of `word` (exact bytes; 0 if absent).
    pub fn get(&self, word: &str) -> u8 {
        let bytes = word.as_bytes();
        if bytes.len() > INLINE || bytes.is_empty() {
            return self.long.get(word).copied().unwrap_or(0);
        }
        if self.slots.is_empty() {
            return 0;
        }
        let mask = self.slots.len() - 1;
        let mut i = hash(bytes) & mask;
        loop {
            let slot = &self.slots[i];
            if slot.len == 0 {
                return 0;
            }
            if usize::from(slot.len) == bytes.len() && &slot.key[..bytes.len()] == bytes {
                return slot.flags;
            }
            i = (i + 1) & mask;
        }
    }

    /// Add `flags` to `word`'s (inserting it if new).
    pub fn add(&mut self, word: &str, flags: u8) {
        let bytes = word.as_bytes();
        if bytes.len() > INLINE || bytes.is_empty() {
            *self.long.entry(word.into()).or_default() |= flags;
            return;
        }
        if (self.inline + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = hash(bytes) & mask;
        loop {
            let slot = &mut self.slots[i];
            if slot.len == 0 {
                slot.key[..bytes.len()].copy_from_slice(bytes);
                slot.len = bytes.len() as u8;
                slot.flags = flags;
                self.inline += 1;
                return;
            }
            if usize::from(slot.len) == bytes.len() && &slot.key[..bytes.len()] == bytes {
                slot.flags |= flags;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Make room for `more` words without growing on the way.
    pub fn reserve(&mut self, more: usize) {
        let want = ((self.inline + more) * 2).next_power_of_two();
        if want > self.slots.len() {
            self.rehash(want);
        }
    }

    fn grow(&mut self) {
        self.rehash((self.slots.len() * 2).max(1024));
    }

    fn rehash(&mut self, size: usize) {
        let old = std::mem::take(&mut self.slots);
        self.slots = vec![Slot::default(); size];
        self.inline = 0;
        for slot in old.into_iter().filter(|s| s.len > 0) {
            let word = std::str::from_utf8(&slot.key[..usize::from(slot.len)]).expect("keys are words");
            self.add(word, slot.flags);
        }
    }

    /// Every word with its flags, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u8)> {
        let inline = self
            .slots
            .iter()
            .filter(|s| s.len > 0)
            .map(|s| (std::str::from_utf8(&s.key[..usize::from(s.len)]).expect("keys are words"), s.flags));
        inline.chain(self.long.iter().map(|(w, &f)| (&**w, f)))
    }

    pub fn len(&self) -> usize {
        self.inline + self.long.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_agree_with_a_hash_map() {
        let mut table = NameTable::default();
        table.reserve(100);
        let mut map: FxHashMap<String, u8> = FxHashMap::default();
        let mut rng = piisweep_testkit::rng::Rng::new(5);
        let mut words = Vec::new();
        for i in 0..20_000u32 {
            let len = 1 + rng.below(32); // inline and long keys
            let word: String = (0..len).map(|_| char::from(b'a' + rng.below(26) as u8)).collect();
            let word = if i % 97 == 0 { format!("{word}ë") } else { word };
            let flags = 1 << (i % 5);
            table.add(&word, flags);
            *map.entry(word.clone()).or_default() |= flags;
            words.push(word);
        }
        assert_eq!(table.len(), map.len());
        for w in &words {
            assert_eq!(table.get(w), map[w], "{w}");
            assert_eq!(table.get(&format!("{w}x")), map.get(&format!("{w}x")).copied().unwrap_or(0));
        }
        assert_eq!(table.get(""), 0);
        let mut listed: Vec<(String, u8)> = table.iter().map(|(w, f)| (w.to_string(), f)).collect();
        let mut expected: Vec<(String, u8)> = map.into_iter().collect();
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected);
    }
}
