//! The secret key for keyed hashes (HMAC-SHA256) of normalised values.
//!
//! Hashes let the data map and subject access searches match values without
//! storing them. The key is created on first use with owner-only permissions
//! and is never printed; without it the hashes cannot be recomputed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const DEFAULT_KEY_FILE: &str = "piisweep.key";

/// Where a command's key is: `--key` when given, else `piisweep.key` beside
/// the data map when there is one, else `piisweep.key` in the current folder.
/// The same rule for every command.
pub fn key_path(explicit: Option<&Path>, map: Option<&Path>) -> PathBuf {
    match (explicit, map) {
        (Some(k), _) => k.to_path_buf(),
        (None, Some(m)) => beside(m),
        (None, None) => PathBuf::from(DEFAULT_KEY_FILE),
    }
}

/// `piisweep.key` in the folder holding `map`.
pub fn beside(map: &Path) -> PathBuf {
    match map.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.join(DEFAULT_KEY_FILE),
        _ => PathBuf::from(DEFAULT_KEY_FILE),
    }
}

#[derive(Clone)]
pub struct Key {
    bytes: [u8; 32],
    /// HMAC state keyed once; each hash clones it.
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(****)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the key file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("cannot create the key file {0}: {1} (choose another place with --key FILE)")]
    Create(PathBuf, std::io::Error),
    #[error(
        "the key file {0} is damaged: it should hold 64 hexadecimal characters. Restore it from a backup: a new key would make earlier hashes unmatchable"
    )]
    Damaged(PathBuf),
}

impl Key {
    /// A key from fixed bytes (tests, benches).
    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&bytes).expect("HMAC takes keys of any length");
        Key { bytes, mac }
    }

    /// The raw key bytes (to store or compare keys).
    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Load the key at `path`, which must exist.
    pub fn load(path: &Path) -> Result<Key, KeyError> {
        let text = fs::read_to_string(path).map_err(|e| KeyError::Read(path.to_path_buf(), e))?;
        let bytes = hex::decode(text.trim()).map_err(|_| KeyError::Damaged(path.to_path_buf()))?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Damaged(path.to_path_buf()))?;
        Ok(Key::from_bytes(arr))
    }

    /// Load the key at `path`, creating it (0600) if it does not exist yet.
    pub fn load_or_create(path: &Path) -> Result<Key, KeyError> {
        match Self::load(path) {
            Err(KeyError::Read(_, e)) if e.kind() == std::io::ErrorKind::NotFound => Self::create(path),
            other => other,
        }
    }

    fn create(path: &Path) -> Result<Key, KeyError> {
        let err = |e| KeyError::Create(path.to_path_buf(), e);
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| err(std::io::Error::other(e.to_string())))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(err)?;
        }
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(err)?;
        crate::private::owner_only(path, false).map_err(err)?;
        writeln!(file, "{}", hex::encode(bytes)).map_err(err)?;
        Ok(Key::from_bytes(bytes))
    }

    /// HMAC-SHA256 of `normalised`, as lower-case hex.
    pub fn hash(&self, normalised: &str) -> String {
        self.hash_bytes(normalised).to_string()
    }

    /// HMAC-SHA256 of `normalised`, as bytes (no allocation).
    pub fn hash_bytes(&self, normalised: &str) -> Hash {
        let mut mac = self.mac.clone();
        mac.update(normalised.as_bytes());
        Hash(mac.finalize().into_bytes().into())
    }
}

/// A keyed hash (HMAC-SHA256) held as its 32 bytes; shown, stored and
/// serialised as 64 lower-case hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The hex form, written into a buffer on the stack.
    pub fn hex(&self) -> HexBuf {
        let mut buf = [0u8; 64];
        hex::encode_to_slice(self.0, &mut buf).expect("64 hex digits fit 32 bytes");
        HexBuf(buf)
    }

    /// Parse 64 hex characters (as the data map stores them).
    pub fn from_hex(text: &str) -> Option<Hash> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Hash(bytes))
    }
}

/// The 64 hex characters of a [`Hash`], without a heap allocation.
pub struct HexBuf([u8; 64]);

impl HexBuf {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }

    /// The 64 hex digits as bytes (ASCII).
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl std::fmt::Display for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.hex().as_str())
    }
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl serde::Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.hex().as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/piisweep.key");
        let k1 = Key::load_or_create(&path).unwrap();
        let k2 = Key::load_or_create(&path).unwrap();
        assert_eq!(k1.hash("AB123456C"), k2.hash("AB123456C"));
        assert_ne!(k1.hash("AB123456C"), k1.hash("AB123456D"));
        assert_eq!(k1.hash("x").len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        fs::write(&path, "nonsense").unwrap();
        assert!(matches!(Key::load_or_create(&path), Err(KeyError::Damaged(_))));
    }

    #[test]
    fn matches_an_independent_hmac() {
        // python3: hmac.new(bytes(range(32)), b"abc", hashlib.sha256).hexdigest()
        let key = Key::from_bytes(core::array::from_fn(|i| i as u8));
        assert_eq!(key.hash("abc"), "f0133729c4163dede81e21cd47839256da58171238c8a0d874397c73b14e1e47");
    }

    #[test]
    fn hash_bytes_round_trip_through_hex() {
        let key = Key::from_bytes(core::array::from_fn(|i| i as u8));
        let h = key.hash_bytes("abc");
        assert_eq!(h.to_string(), key.hash("abc"));
        assert_eq!(serde_json::to_string(&h).unwrap(), format!("\"{}\"", key.hash("abc")));
        assert_eq!(Hash::from_hex(&h.to_string()), Some(h));
        assert_eq!(Hash::from_hex("not hex"), None);
        assert_eq!(Hash::from_hex(&"ab".repeat(31)), None, "too short");
    }
}
