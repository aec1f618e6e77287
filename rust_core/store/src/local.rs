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

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use crate::{key, Collision, Error, Frame, Key, SnapshotCache, Store, Value};

static STORE: Store<Value> = Store::new();

/// This thread's innermost frame, its copy of the frozen snapshot, and the answers of recent
/// reads of compile-time keys ([`get_key_with`]).
struct State {
    current: Option<Arc<Frame<Value>>>,
    snapshot: SnapshotCache<Value>,
    /// Moves on whenever `current` or the snapshot copy changes: a remembered read is valid
    /// only in the generation it was made in (frames are immutable, so nothing else can change
    /// its answer).
    generation: u64,
    reads: [Read; READS],
}

/// How many reads a thread remembers (direct-mapped by key hash).
const READS: usize = 32;

/// One remembered read: the key (hash, and the address and length of its `'static` text),
/// and what the scope held for it (`None`: nothing, the default applies).
struct Read {
    generation: u64,
    hash: u64,
    text: usize,
    len: usize,
    value: Option<Value>,
}

impl Read {
    const EMPTY: Read = Read {
        generation: 0,
        hash: 0,
        text: 0,
        len: 0,
        value: None,
    };
}

thread_local! {
    static STATE: RefCell<State> = const {
        RefCell::new(State {
            current: None,
            snapshot: SnapshotCache::new(),
            generation: 1,
            reads: [Read::EMPTY; READS],
        })
    };
}

/// The remembered reads again, for answers that are plain data (no key, null, a bool, an int,
/// a float): a thread-local without a destructor, so that the hot path of `get_param!` is a
/// few loads from this thread's block and touches no `RefCell`.
struct Quick {
    /// The generation of [`State`] (the one counter both caches go by).
    generation: Cell<u64>,
    /// The store generation the thread's snapshot copy was taken at.
    snapshot: Cell<u64>,
    reads: [Cell<QuickRead>; READS],
}

#[derive(Clone, Copy)]
struct QuickRead {
    generation: u64,
    text: usize,
    len: usize,
    answer: Answer,
}

#[derive(Clone, Copy)]
enum Answer {
    Missing,
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string or a list: in [`State::reads`].
    Other,
}

thread_local! {
    static QUICK: Quick = const {
        Quick {
            generation: Cell::new(1),
            snapshot: Cell::new(u64::MAX),
            reads: [const {
                Cell::new(QuickRead { generation: 0, text: 0, len: 0, answer: Answer::Missing })
            }; READS],
        }
    };
}

fn bump_generation() -> u64 {
    QUICK.with(|q| {
        let g = q.generation.get() + 1;
        q.generation.set(g);
        g
    })
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
    let previous = STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.generation = bump_generation();
        std::mem::replace(&mut s.current, frame)
    });
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
        let State {
            current,
            snapshot,
            generation,
            ..
        } = &mut *s;
        let before = snapshot.generation();
        let out = STORE.get_cached(current.as_deref(), snapshot, hash, key, f);
        if snapshot.generation() != before {
            *generation = bump_generation();
        }
        out
    })
}

/// Reads `key` in this thread's scope, then the frozen snapshot.
pub fn get(key: &str) -> Result<Option<Value>, Error> {
    key::validate(key)?;
    get_hashed(crate::key_hash(key), key)
}

/// [`get_hashed_with`] for a compile-time key, remembered: a thread that reads the same key
/// again while its scope and the frozen snapshot are unchanged gets the answer without walking
/// the frames. (The key's text is `'static`, so its address identifies it; the hash and the
/// text were checked against the stored key when the answer was found.)
#[inline]
pub fn get_key_with<R>(
    key: &'static Key,
    f: impl FnOnce(&Value) -> R,
) -> Result<Option<R>, Collision> {
    let mut f = Some(f);
    if let Some(r) = remembered(key, |v| v.map(|v| (f.take().expect("called once"))(v))) {
        return Ok(r);
    }
    let f = f.take().expect("not called");
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let at = slot(key);
        remember(&mut s, at, key).map(|v| v.map(f))
    })
}

#[inline(always)]
fn slot(key: &Key) -> usize {
    (key.hash() as usize) & (READS - 1)
}

/// The remembered answer for `key` (`Some(None)`: no scope holds it), mapped by `f`, when
/// this thread has one that is still valid; `None` when it must be looked up
/// ([`get_key_with`] does, and remembers it). The hot path of `get_param!`.
#[inline(always)]
pub fn remembered<R>(key: &'static Key, f: impl FnOnce(Option<&Value>) -> R) -> Option<R> {
    let text = key.text();
    let quick = QUICK.with(|q| {
        let r = q.reads[slot(key)].get();
        // The `'static` text's address and length identify the key (and so its hash).
        let valid = r.generation == q.generation.get()
            && r.text == text.as_ptr() as usize
            && r.len == text.len()
            && STORE.generation() == q.snapshot.get();
        if valid {
            r.answer
        } else {
            Answer::Other
        }
    });
    match quick {
        Answer::Missing => return Some(f(None)),
        Answer::Null => return Some(f(Some(&Value::Null))),
        Answer::Bool(b) => return Some(f(Some(&Value::Bool(b)))),
        Answer::Int(i) => return Some(f(Some(&Value::Int(i)))),
        Answer::Float(x) => return Some(f(Some(&Value::Float(x)))),
        Answer::Other => {}
    }
    remembered_other(key, f)
}

#[inline(never)]
fn remembered_other<R>(key: &'static Key, f: impl FnOnce(Option<&Value>) -> R) -> Option<R> {
    let (hash, text) = (key.hash(), key.text());
    STATE.with(|s| {
        let s = s.borrow();
        let r = &s.reads[slot(key)];
        let valid = r.generation == s.generation
            && r.hash == hash
            && r.text == text.as_ptr() as usize
            && r.len == text.len()
            && STORE.generation() == s.snapshot.generation();
        valid.then(|| f(r.value.as_ref()))
    })
}

#[cold]
#[inline(never)]
fn remember<'a>(
    s: &'a mut State,
    at: usize,
    key: &'static Key,
) -> Result<Option<&'a Value>, Collision> {
    let State {
        current,
        snapshot,
        generation,
        reads,
    } = s;
    let before = snapshot.generation();
    // Synced even when the frames answer, so that the next read finds the copy fresh.
    STORE.sync(snapshot);
    let found = STORE.get_cached(
        current.as_deref(),
        snapshot,
        key.hash(),
        key.text(),
        Value::clone,
    )?;
    if snapshot.generation() != before {
        *generation = bump_generation(); // every remembered miss may now be a snapshot hit
    }
    let answer = match &found {
        None => Answer::Missing,
        Some(Value::Null) => Answer::Null,
        Some(Value::Bool(b)) => Answer::Bool(*b),
        Some(Value::Int(i)) => Answer::Int(*i),
        Some(Value::Float(x)) => Answer::Float(*x),
        Some(_) => Answer::Other,
    };
    QUICK.with(|q| {
        q.snapshot.set(snapshot.generation());
        q.reads[at].set(QuickRead {
            generation: *generation,
            text: key.text().as_ptr() as usize,
            len: key.text().len(),
            answer,
        });
    });
    reads[at] = Read {
        generation: *generation,
        hash: key.hash(),
        text: key.text().as_ptr() as usize,
        len: key.text().len(),
        value: found,
    };
    Ok(reads[at].value.as_ref())
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
    fn remembered_reads_follow_every_change() {
        const K: Key = Key::new("rem.k");
        let read = || get_key_with(&K, |v| v.clone()).unwrap();
        assert_eq!(read(), None);
        let a = scope([("rem.k", Value::Int(1))]).unwrap();
        assert_eq!((read(), read()), (Some(Value::Int(1)), Some(Value::Int(1))));
        put("rem.k", 2).unwrap();
        assert_eq!(read(), Some(Value::Int(2)));
        drop(a);
        assert_eq!(read(), None);
        // A snapshot frozen by another thread shows in a remembered miss.
        std::thread::spawn(|| {
            let _s = scope([("rem.k", Value::Int(3))]).unwrap();
            freeze().unwrap();
        })
        .join()
        .unwrap();
        assert_eq!(read(), Some(Value::Int(3)));
        STORE.set_snapshot(None);
        assert_eq!(read(), None);
    }

    #[test]
    fn threads_are_isolated() {
        let _a = scope([("t.v", Value::Int(1))]).unwrap();
        let seen = std::thread::spawn(|| get("t.v").unwrap()).join().unwrap();
        assert_eq!(seen, None);
    }
}
