//! `hp-store`: the pure-Rust core of `hyperparameter`.
//!
//! Keys are dotted strings hashed with XXH64 (seed 42, [`key_hash`], a `const fn`). Values live
//! in immutable [`Frame`]s chained to their parents; a [`Store`] resolves a read through a chain
//! and then through the frozen global snapshot. The Python binding keeps the current frame in a
//! `contextvars.ContextVar`; pure-Rust threads use [`local`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod frame;
mod hash;
mod key;
pub mod local;
mod store;
mod value;

use std::fmt;

pub use frame::{Collision, Entry, EntryMap, Frame, IdentityHasher, Lookup};
pub use hash::{key_hash, xxh64, SEED};
pub use key::{check as check_key, validate as validate_key, InvalidKey, Key};
pub use store::{SnapshotCache, Store};
pub use value::Value;

/// Everything the store can refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A key outside the grammar.
    InvalidKey(InvalidKey),
    /// Two keys with one hash.
    Collision(Collision),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidKey(e) => e.fmt(f),
            Error::Collision(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl From<InvalidKey> for Error {
    fn from(e: InvalidKey) -> Self {
        Error::InvalidKey(e)
    }
}

impl From<Collision> for Error {
    fn from(e: Collision) -> Self {
        Error::Collision(e)
    }
}
