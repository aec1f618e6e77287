//! `hyperparameter`: scoped, typed parameters for Rust, read in a few nanoseconds, with the
//! `with_params!` / `get_param!` grammar of the 0.5 crate — and one store with the Python
//! package `hyperparameter` when Rust code runs inside it.
//!
//! ```
//! use hyperparameter::*;
//!
//! fn train() -> f64 {
//!     // Hashed at compile time; typed (and coerced) by the default; listed by --help.
//!     let lr: f64 = get_param!(model.lr, 0.001, "learning rate");
//!     let layers = get_param!(model.layers, 4);
//!     lr * layers as f64
//! }
//!
//! let cli = vec!["model.layers=8".to_string()]; // e.g. clap's `-D` values
//! let out = with_params! {
//!     @set model.lr = 0.01;              // or `set model.lr = 0.01;`, as in 0.5.13
//!     params ParamScope::from(&cli);     // -D strings, typed by the reader
//!     @get layers = model.layers or 1;   // a binding typed by its default
//!     assert_eq!(layers, 8);
//!     train()                            // with_params! is an expression
//! };
//! assert_eq!(out, 0.08);
//! assert_eq!(train(), 0.004);            // the scope ended with the block
//! ```
//!
//! - **Scopes** nest; reads walk the innermost frame outwards, then the snapshot taken by
//!   [`frozen()`], then use the default. A scope ends when its block does — also by `return`,
//!   `?` or a panic. Every thread has its own scopes; threads start from the frozen snapshot.
//! - **Keys** are checked against the grammar (DESIGN §3) when the macro expands, and hashed
//!   at compile time by the store's `const fn` XXH64 ([`key_hash`], seed 42): `get_param!(a..b, 1)`
//!   does not compile.
//! - **Coercion** toward the default's type follows one table shared with Python
//!   ([`coerce`](crate::FromValue)); a value that cannot convert gives the default and a
//!   one-time warning (`get_param!`), or an [`Error`] (`try_get_param!`, [`get_as`]).
//! - **Async**: a future inside `with_params!` keeps its scope across `.await`, on any
//!   runtime, even when a work-stealing executor moves it between threads
//!   ([`ParamScope::bind`] is the explicit form); spawned tasks start from the frozen snapshot.
//! - **serde**: [`ParamScope::from_serde`] flattens a TOML/JSON document or any `Serialize`
//!   value; [`get_as`] reads a subtree back into a struct.
//! - **Python**: inside the `hyperparameter._core` extension, the scope is the Python
//!   context's ([`host`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate self as hyperparameter;

mod coerce;
mod context;
mod error;
mod flow;
pub mod future;
mod help;
pub mod host;
mod scope;
mod serde;

pub use hp_macros::{get_param, try_get_param, with_params};
pub use hp_store::{
    check_key, key, key_hash, local, validate_key, xxh64, Collision, Entry, EntryMap, Frame,
    InvalidKey, Key, Lookup, SnapshotCache, Store, Value, SEED,
};

pub use crate::coerce::FromValue;
pub use crate::context::{frozen, put, ScopeGuard};
pub use crate::error::{ConversionError, Error};
pub use crate::help::{generate_params_help, params_help};
pub use crate::scope::ParamScope;
pub use crate::serde::get_as;

/// XXH64 with seed 42 of `bytes`: 0.5.13's name for [`xxh64`]`(bytes, SEED)`.
///
/// ```
/// assert_eq!(hyperparameter::xxhash(b"12345"), hyperparameter::key_hash("12345"));
/// ```
pub const fn xxhash(bytes: &[u8]) -> u64 {
    xxh64(bytes, SEED)
}

/// Every Rust example of docs/rust.md (the documentation site's page) runs as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/rust.md")]
pub struct DocsRustMd;

/// What the macros expand to; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::context::{get_or, try_get_or, warned};
    pub use crate::future::scoped;
    pub use crate::help::{Help, PARAMS};
    pub use crate::scope::{as_scope, enter};
    pub use linkme;
}
