//! A host store: where the current scope lives when Rust code runs inside another runtime's
//! context. The Python extension (`hyperparameter._core`) installs one, so that `get_param!`
//! and `with_params!` in Rust code called from Python read and write the Python context's
//! frames — one store for both languages (DESIGN §4) — while pure-Rust threads keep using
//! their own thread-local frames.

use std::any::Any;
use std::fmt;
use std::sync::OnceLock;

use hp_store::{EntryMap, Value};

use crate::Error;

/// The store a host keeps; see the [module](self) documentation.
///
/// Every method is called only while [`Host::active`] is true on the calling thread.
pub trait Host: Send + Sync + 'static {
    /// Whether the calling thread is in the host's context now (for Python: holds the GIL,
    /// with the Rust store backend bound).
    fn active(&self) -> bool;
    /// The value under `key` (hash `hash`) in the host's current scope, or `None`.
    fn get(&self, hash: u64, key: &str) -> Result<Option<Value>, Error>;
    /// Enters a frame holding `entries` (an `opaque` one hides every inherited key); the
    /// token is handed back to [`Host::exit`].
    fn enter(&self, entries: &EntryMap<Value>, opaque: bool) -> Result<HostFrame, Error>;
    /// Leaves the frame [`Host::enter`] returned.
    fn exit(&self, frame: HostFrame);
    /// Writes `key` into the innermost frame of the host's current scope.
    fn put(&self, hash: u64, key: &str, value: Value) -> Result<(), Error>;
    /// Every effective `(key, value)` of the host's current scope.
    fn effective(&self) -> Result<Vec<(String, Value)>, Error>;
    /// Freezes the host's current scope as its global snapshot.
    fn freeze(&self) -> Result<(), Error>;
}

/// What [`Host::enter`] returns: the host's own handle on the frame it entered.
pub struct HostFrame(pub Box<dyn Any + Send + Sync>);

impl fmt::Debug for HostFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HostFrame")
    }
}

static HOST: OnceLock<&'static dyn Host> = OnceLock::new();

/// Installs the process's host store (once; a second call is refused).
///
/// ```
/// # use hyperparameter::host::*;
/// # use hyperparameter::{EntryMap, Error, Value};
/// struct Nowhere;
/// impl Host for Nowhere {
///     fn active(&self) -> bool { false } // never: every thread keeps its Rust frames
///     fn get(&self, _: u64, _: &str) -> Result<Option<Value>, Error> { Ok(None) }
///     fn enter(&self, _: &EntryMap<Value>, _: bool) -> Result<HostFrame, Error> { Ok(HostFrame(Box::new(()))) }
///     fn exit(&self, _: HostFrame) {}
///     fn put(&self, _: u64, _: &str, _: Value) -> Result<(), Error> { Ok(()) }
///     fn effective(&self) -> Result<Vec<(String, Value)>, Error> { Ok(vec![]) }
///     fn freeze(&self) -> Result<(), Error> { Ok(()) }
/// }
/// assert!(install(&Nowhere).is_ok());
/// assert!(install(&Nowhere).is_err());
/// ```
pub fn install(host: &'static dyn Host) -> Result<(), Error> {
    HOST.set(host)
        .map_err(|_| Error::Host("a host store is already installed".to_owned()))
}

/// The host, if one is installed and active on this thread.
#[inline]
pub(crate) fn active() -> Option<&'static dyn Host> {
    match HOST.get() {
        Some(h) if h.active() => Some(*h),
        _ => None,
    }
}
