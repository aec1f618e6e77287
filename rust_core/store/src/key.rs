//! The key grammar: dotted segments, each an identifier, a non-negative integer, or
//! identifier-like with `-` (`learning-rate`).

use std::fmt;

use crate::hash::key_hash;

/// A key that does not follow the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidKey {
    /// The key as given.
    pub key: String,
    /// Why it was refused.
    pub reason: &'static str,
}

impl fmt::Display for InvalidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid key {:?}: {}", self.key, self.reason)
    }
}

impl std::error::Error for InvalidKey {}

const fn is_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

const fn is_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c >= 0x80
}

/// Checks `key` against the grammar; `Err` carries the reason.
///
/// Non-ASCII identifier characters are accepted byte-wise here (the Python side applies
/// `str.isidentifier` to them); ASCII punctuation other than `_` and `-` never is.
pub const fn check(key: &str) -> Result<(), &'static str> {
    let b = key.as_bytes();
    if b.is_empty() {
        return Err("empty key");
    }
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i] != b'.' {
            i += 1;
        }
        if i == start {
            return Err("empty segment");
        }
        let first = b[start];
        if first.is_ascii_digit() {
            let mut j = start;
            while j < i {
                if !b[j].is_ascii_digit() {
                    return Err("a segment that starts with a digit must be an integer");
                }
                j += 1;
            }
        } else if !is_start(first) {
            return Err("a segment must start with a letter, '_' or be an integer");
        } else {
            let mut j = start + 1;
            while j < i {
                if !is_continue(b[j]) {
                    return Err("a segment may hold only letters, digits, '_' and '-'");
                }
                j += 1;
            }
        }
        if i < b.len() {
            i += 1;
            if i == b.len() {
                return Err("empty segment");
            }
        }
    }
    Ok(())
}

/// Validates `key`, returning [`InvalidKey`] on failure.
pub fn validate(key: &str) -> Result<(), InvalidKey> {
    check(key).map_err(|reason| InvalidKey {
        key: key.to_owned(),
        reason,
    })
}

/// A validated key with its precomputed hash; `Key::new` is `const`, so
/// `const LR: Key = Key::new("model.lr");` checks and hashes at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    text: &'static str,
    hash: u64,
}

impl Key {
    /// Builds a key; panics (a compile error in `const` context) if `text` is invalid.
    pub const fn new(text: &'static str) -> Self {
        if check(text).is_err() {
            panic!("invalid hyperparameter key");
        }
        Key {
            text,
            hash: key_hash(text),
        }
    }

    /// The dotted key text.
    pub const fn text(&self) -> &'static str {
        self.text
    }

    /// The key's XXH64 hash.
    pub const fn hash(&self) -> u64 {
        self.hash
    }
}

/// `key!("model.lr")` is a [`Key`] checked and hashed at compile time.
#[macro_export]
macro_rules! key {
    ($text:expr) => {{
        const K: $crate::Key = $crate::Key::new($text);
        K
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        for ok in [
            "a",
            "a.b",
            "model.lr",
            "a.0.b",
            "learning-rate",
            "_x.y_2",
            "层.数",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", ".", "a.", ".a", "a..b", "a b", "1a", "-a", "a.$", "a/b", "a:b",
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn macro_hashes() {
        let k = key!("model.lr");
        assert_eq!(k.hash(), key_hash("model.lr"));
        assert_eq!(k.text(), "model.lr");
    }
}
