//! The current scope: this thread's frames (`hp_store::local`), or the host's when one is
//! active ([`crate::host`]); entering and leaving frames; typed reads.
//!
//! Besides the innermost frame, each thread remembers its *base*: the frame that was current
//! before the outermost `with_params!` still open on it. A future that suspends inside a
//! scope puts the base back on the thread (see [`crate::future`]), so the next task polled
//! there sees the thread as it was, not the suspended task's scope.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use hp_store::{local, EntryMap, Frame, Key, Value};

use crate::coerce::FromValue;
use crate::host::{self, Host, HostFrame};
use crate::{ConversionError, Error};

pub(crate) type FrameRef = Option<Arc<Frame<Value>>>;

thread_local! {
    /// `Some(base)` while a scope is open on this thread.
    static BASE: RefCell<Option<FrameRef>> = const { RefCell::new(None) };
}

/// Takes the base (leaving "no scope open").
pub(crate) fn take_base() -> Option<FrameRef> {
    BASE.with(|b| b.borrow_mut().take())
}

/// Sets the base.
pub(crate) fn set_base(base: Option<FrameRef>) {
    let old = BASE.with(|b| std::mem::replace(&mut *b.borrow_mut(), base));
    drop(old);
}

/// The end of a scope entered by `with_params!` (or [`crate::ParamScope::enter`]): dropping
/// it restores what was current before, also when a panic unwinds through it.
///
/// A guard may travel with its future to another thread (a work-stealing executor): it is
/// `Send`, and on drop it restores the frame that enclosed its scope, on the thread it drops.
#[must_use = "the scope ends when the guard is dropped"]
#[derive(Debug)]
pub struct ScopeGuard(Inner);

#[derive(Debug)]
enum Inner {
    Local { previous: FrameRef, outermost: bool },
    Host(Option<(HostRef, HostFrame)>),
}

#[derive(Clone, Copy)]
struct HostRef(&'static dyn Host);

impl std::fmt::Debug for HostRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Host")
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        match &mut self.0 {
            Inner::Local {
                previous,
                outermost,
            } => {
                drop(local::replace(previous.take()));
                if *outermost {
                    set_base(None);
                }
            }
            Inner::Host(h) => {
                if let Some((host, frame)) = h.take() {
                    host.0.exit(frame);
                }
            }
        }
    }
}

/// Enters a frame holding `entries` over the current scope.
///
/// # Panics
///
/// If the host store refuses the frame (for Python: a value that fails a bound schema).
pub(crate) fn enter_entries(entries: Arc<EntryMap<Value>>, opaque: bool) -> ScopeGuard {
    if let Some(h) = host::active() {
        return match h.enter(&entries, opaque) {
            Ok(frame) => ScopeGuard(Inner::Host(Some((HostRef(h), frame)))),
            Err(e) => panic!("hyperparameter: cannot enter the scope: {e}"),
        };
    }
    let previous = local::current();
    let frame = Frame::with_shared(previous.clone(), entries, opaque);
    drop(local::replace(Some(Arc::new(frame))));
    let outermost = BASE.with(|b| {
        let mut b = b.borrow_mut();
        if b.is_none() {
            *b = Some(previous.clone());
            true
        } else {
            false
        }
    });
    ScopeGuard(Inner::Local {
        previous,
        outermost,
    })
}

/// Reads `key` (by its precomputed hash) mapped by `f`; `Err` only for a hash collision or a
/// host error.
#[inline]
pub(crate) fn read<R>(
    hash: u64,
    key: &str,
    f: impl FnOnce(&Value) -> R,
) -> Result<Option<R>, Error> {
    if let Some(h) = host::active() {
        return read_host(h, hash, key, f);
    }
    Ok(local::get_hashed_with(hash, key, f)?)
}

/// [`read`] for a compile-time key: through the thread's remembered reads.
#[inline]
fn read_key<R>(key: &'static Key, f: impl FnOnce(&Value) -> R) -> Result<Option<R>, Error> {
    if let Some(h) = host::active() {
        return read_host(h, key.hash(), key.text(), f);
    }
    Ok(local::get_key_with(key, f)?)
}

#[cold]
fn read_host<R>(
    h: &dyn Host,
    hash: u64,
    key: &str,
    f: impl FnOnce(&Value) -> R,
) -> Result<Option<R>, Error> {
    Ok(h.get(hash, key)?.map(|v| f(&v)))
}

fn conversion<T: FromValue>(
    key: &'static Key,
    value: &Value,
    reason: crate::coerce::Reason,
) -> Error {
    Error::Conversion(ConversionError {
        key: key.text().to_owned(),
        value: value.clone(),
        target: T::target(),
        reason,
    })
}

/// `try_get_param!`: `Ok(default)` when missing, `Err` when the value does not convert.
#[inline]
pub fn try_get_or<T: FromValue>(key: &'static Key, default: T) -> Result<T, Error> {
    match read_key(key, |v| {
        T::from_value(v).map_err(|r| conversion::<T>(key, v, r))
    })? {
        None => Ok(default),
        Some(r) => r,
    }
}

/// `get_param!`: the value converted to the default's type; the default when missing, or
/// when the value does not convert (then with a warning on stderr, once per key).
#[inline(always)]
pub fn get_or<T: FromValue>(key: &'static Key, default: T) -> T {
    if host::active().is_none() {
        // The thread remembers this key's answer: no frame walk, nothing large returned.
        let hit = local::remembered(key, |v| v.map(|v| T::from_value(v).ok()));
        match hit {
            Some(None) => return default,
            Some(Some(Some(v))) => return v,
            Some(Some(None)) | None => {}
        }
    }
    get_or_slow(key, default)
}

#[inline(never)]
fn get_or_slow<T: FromValue>(key: &'static Key, default: T) -> T {
    match read_key(key, T::from_value) {
        Ok(None) => default,
        Ok(Some(Ok(v))) => v,
        Ok(Some(Err(_))) | Err(_) => fallback(key, default),
    }
}

#[cold]
#[inline(never)]
fn fallback<T: FromValue>(key: &'static Key, default: T) -> T {
    let err = match read_key(key, |v| {
        T::from_value(v).err().map(|r| conversion::<T>(key, v, r))
    }) {
        Ok(Some(Some(e))) | Err(e) => e,
        Ok(_) => return default,
    };
    warn_once(key, &err);
    default
}

static WARNED: Mutex<Option<HashSet<u64>>> = Mutex::new(None);

fn warn_once(key: &'static Key, e: &Error) {
    let first = WARNED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(HashSet::new)
        .insert(key.hash());
    if first {
        eprintln!("hyperparameter: warning: {e}; using the default");
    }
}

/// The keys `get_param!` has warned about (for tests).
#[doc(hidden)]
pub fn warned(key: Key) -> bool {
    WARNED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .is_some_and(|w| w.contains(&key.hash()))
}

/// Writes `key` into the innermost frame of the current scope (a root frame outside every
/// scope), until that frame's scope ends.
pub fn put(key: &str, value: impl Into<Value>) -> Result<(), Error> {
    hp_store::validate_key(key)?;
    let value = value.into();
    if let Some(h) = host::active() {
        return h.put(hp_store::key_hash(key), key, value);
    }
    Ok(local::put(key, value)?)
}

/// Every effective `(key, value)` of the current scope, the frozen snapshot included.
pub(crate) fn effective() -> Result<Vec<(String, Value)>, Error> {
    if let Some(h) = host::active() {
        return h.effective();
    }
    Ok(local::store()
        .effective(local::current().as_deref())
        .into_iter()
        .map(|e| (e.key().to_owned(), e.into_value()))
        .collect())
}

/// Replaces the process-wide frozen snapshot with the current effective parameters: threads
/// and tasks started later (which start outside every scope) see them.
///
/// ```
/// use hyperparameter::*;
/// with_params! {
///     @set app.mode = "fast";
///     frozen();
/// }
/// let seen = std::thread::spawn(|| get_param!(app.mode, "slow".to_string())).join().unwrap();
/// assert_eq!(seen, "fast");
/// ```
///
/// # Panics
///
/// If two effective keys share a hash (a collision), or the host store refuses.
pub fn frozen() {
    let r = match host::active() {
        Some(h) => h.freeze(),
        None => local::freeze().map_err(Error::from),
    };
    if let Err(e) = r {
        panic!("hyperparameter: frozen(): {e}");
    }
}
