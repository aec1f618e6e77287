//! The Rust API for pure-Rust threads: a thread-local frame chain over native [`Value`]s.
//!
//! ```
//! use hp_store::{key, local, Value};
//! let _outer = local::scope([("model.lr", Value::Float(0.1))]).unwrap();
//! assert_eq!(local::get_key(key!("model.lr")).unwrap(), Some(Value::Float(0.1)));
//! {
//!     let _inner = local::scope([("model.lr", Value::Float(0.2))]).unwrap();
//!     assert_eq!(local::get("model.lr").unwrap(), Some(Value::Float(0.2)));
//! }
//! assert_eq!(local::get("model.lr").unwrap(), Some(Value::Float(0.1)));
//! ```
//!
//! Code called from Python does not use this module: there the current frame is the one in
//! the Python context, and the binding crate hands it to [`crate::Store`] directly.

use std::cell::RefCell;
use std::sync::Arc;

use crate::{key, Collision, Error, Frame, Key, SnapshotCache, Store, Value};

static STORE: Store<Value> = Store::new();

/// This thread's innermost frame, and its copy of the frozen snapshot.
struct State {
    current: Option<Arc<Frame<Value>>>,
    snapshot: SnapshotCache<Value>,
}

thread_local! {
    static STATE: RefCell<State> = const {
        RefCell::new(State { current: None, snapshot: SnapshotCache::new() })
    };
}

/// The store behind every thread's frames (its frozen snapshot is process-wide).
pub fn store() -> &'static Store<Value> {
    &STORE
}

/// This thread's innermost frame (`None` outside every scope), shared.
pub fn current() -> Option<Arc<Frame<Value>>> {
    STATE.with(|s| s.borrow().current.clone())
}

/// Makes `frame` this thread's innermost frame and returns the one it replaces: how a scope
/// that is not a [`ScopeGuard`] (a future carrying its scope from poll to poll, a facade's
/// guard that may cross threads with its future) installs and restores frames.
pub fn replace(frame: Option<Arc<Frame<Value>>>) -> Option<Arc<Frame<Value>>> {
    let previous = STATE.with(|s| std::mem::replace(&mut s.borrow_mut().current, frame));
    // Dropped here, after the borrow: a frame's last reference may hold anything.
    previous
}

/// Reads by a precomputed hash and maps the value found with `f`, without cloning it: this
/// thread's frames, then the frozen snapshot (through this thread's cached copy, so a miss
/// takes no lock). `f` runs while the thread's state is borrowed: it must not use this module.
#[inline]
pub fn get_hashed_with<R>(
    hash: u64,
    key: &str,
    f: impl FnOnce(&Value) -> R,
) -> Result<Option<R>, Collision> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let State { current, snapshot } = &mut *s;
        STORE.get_cached(current.as_deref(), snapshot, hash, key, f)
    })
}

/// Reads `key` in this thread's scope, then the frozen snapshot.
pub fn get(key: &str) -> Result<Option<Value>, Error> {
    key::validate(key)?;
    get_hashed(crate::key_hash(key), key)
}

/// Reads a compile-time key (`key!("model.lr")`).
pub fn get_key(key: Key) -> Result<Option<Value>, Error> {
    get_hashed(key.hash(), key.text())
}

/// Reads by a precomputed hash; `key` is compared to detect collisions.
#[inline]
pub fn get_hashed(hash: u64, key: &str) -> Result<Option<Value>, Error> {
    Ok(get_hashed_with(hash, key, Value::clone)?)
}

/// Writes `key` into the innermost frame (a root frame if none), until that frame's scope ends.
pub fn put(key: &str, value: impl Into<Value>) -> Result<(), Error> {
    key::validate(key)?;
    let hash = crate::key_hash(key);
    let next = match current().as_deref() {
        Some(f) => f.with_entry(hash, key, value.into())?,
        None => {
            let mut f = Frame::new(None, false);
            f.insert(hash, key, value.into())?;
            f
        }
    };
    replace(Some(Arc::new(next)));
    Ok(())
}

/// Enters a scope setting `entries`; it ends when the guard drops.
pub fn scope<'a, I>(entries: I) -> Result<ScopeGuard, Error>
where
    I: IntoIterator<Item = (&'a str, Value)>,
{
    let previous = current();
    let mut frame = Frame::new(previous.clone(), false);
    for (k, v) in entries {
        key::validate(k)?;
        frame.insert(crate::key_hash(k), k, v)?;
    }
    replace(Some(Arc::new(frame)));
    Ok(ScopeGuard {
        previous,
        _not_send: std::marker::PhantomData,
    })
}

/// Replaces the process-wide snapshot with this thread's effective parameters.
pub fn freeze() -> Result<(), Error> {
    Ok(STORE.freeze(current().as_deref())?)
}

/// The end of a [`scope`]: dropping it restores the enclosing frame.
#[derive(Debug)]
#[must_use = "the scope ends when the guard is dropped"]
pub struct ScopeGuard {
    previous: Option<Arc<Frame<Value>>>,
    // A scope belongs to the thread that entered it.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        replace(self.previous.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_and_roll_back() {
        let _a = scope([("x.y", Value::Int(1))]).unwrap();
        {
            let _b = scope([("x.y", Value::Int(2))]).unwrap();
            put("x.z", true).unwrap();
            assert_eq!(get("x.y").unwrap(), Some(Value::Int(2)));
            assert_eq!(get("x.z").unwrap(), Some(Value::Bool(true)));
        }
        assert_eq!(get("x.y").unwrap(), Some(Value::Int(1)));
        assert_eq!(get("x.z").unwrap(), None);
        assert!(matches!(get("x..y"), Err(Error::InvalidKey(_))));
    }

    #[test]
    fn threads_are_isolated() {
        let _a = scope([("t.v", Value::Int(1))]).unwrap();
        let seen = std::thread::spawn(|| get("t.v").unwrap()).join().unwrap();
        assert_eq!(seen, None);
    }
}
