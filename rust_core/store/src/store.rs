//! The store: frame chains plus the frozen global snapshot behind them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::frame::{Collision, Entry, Frame, Lookup};

/// Resolves reads against a frame chain, then against the frozen global snapshot.
///
/// The store does not know where the *current* frame lives — a Python `ContextVar` for code
/// called from Python, a thread-local for pure-Rust threads ([`crate::local`]) — callers pass it.
#[derive(Debug)]
pub struct Store<V> {
    global: RwLock<Option<Arc<Frame<V>>>>,
    /// Bumped (under the write lock) each time the snapshot is replaced, so that a reader's
    /// [`SnapshotCache`] knows when it is stale with one atomic load instead of a lock.
    generation: AtomicU64,
}

/// A reader's copy of the frozen snapshot, refreshed when the store's generation moves on:
/// a miss read through [`Store::get_cached`] then costs an atomic load, not a lock. A cache
/// keeps the snapshot it saw alive until its next refresh.
#[derive(Debug)]
pub struct SnapshotCache<V> {
    generation: u64,
    frame: Option<Arc<Frame<V>>>,
}

impl<V> SnapshotCache<V> {
    /// The store generation this cache last refreshed at.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// A cache that refreshes on first use.
    pub const fn new() -> Self {
        SnapshotCache {
            generation: u64::MAX,
            frame: None,
        }
    }
}

impl<V> Default for SnapshotCache<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Default for Store<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Store<V> {
    /// An empty store (usable in a `static`).
    pub const fn new() -> Self {
        Store {
            global: RwLock::new(None),
            generation: AtomicU64::new(0),
        }
    }

    /// A counter that moves on each time the snapshot is replaced.
    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The frozen snapshot, if any.
    pub fn snapshot(&self) -> Option<Arc<Frame<V>>> {
        self.global
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replaces the frozen snapshot (`None` removes it).
    ///
    /// The previous snapshot is dropped after the lock is released: dropping it may drop the
    /// last reference to a value whose destructor (a Python `__del__`, a weakref callback)
    /// reads this store, from this thread or from another one the destructor lets run.
    pub fn set_snapshot(&self, frame: Option<Arc<Frame<V>>>) {
        let previous = {
            let mut global = self.global.write().unwrap_or_else(PoisonError::into_inner);
            self.generation.fetch_add(1, Ordering::Release);
            std::mem::replace(&mut *global, frame)
        };
        drop(previous);
    }

    /// Replaces the snapshot with the effective parameters seen from `current`.
    pub fn freeze(&self, current: Option<&Frame<V>>) -> Result<(), Collision>
    where
        V: Clone,
    {
        let entries = self.effective(current);
        let frame = Frame::from_entries(entries)?;
        self.set_snapshot(Some(Arc::new(frame)));
        Ok(())
    }

    /// Reads `key`: innermost frame outwards, then the snapshot; `f` maps the value found.
    #[inline]
    pub fn get_with<R>(
        &self,
        current: Option<&Frame<V>>,
        hash: u64,
        key: &str,
        f: impl FnOnce(&V) -> R,
    ) -> Result<Option<R>, Collision> {
        if let Some(frame) = current {
            match frame.lookup(hash, key)? {
                Lookup::Found(v) => return Ok(Some(f(v))),
                Lookup::Hidden => return Ok(None),
                Lookup::Missing => {}
            }
        }
        let global = self.global.read().unwrap_or_else(PoisonError::into_inner);
        match global.as_deref() {
            Some(g) => Ok(g.get_own(hash, key)?.map(f)),
            None => Ok(None),
        }
    }

    /// [`Store::get_with`] through a reader's [`SnapshotCache`]: the same answer, without
    /// taking the snapshot's lock unless the snapshot changed since the cache last looked.
    #[inline]
    pub fn get_cached<R>(
        &self,
        current: Option<&Frame<V>>,
        cache: &mut SnapshotCache<V>,
        hash: u64,
        key: &str,
        f: impl FnOnce(&V) -> R,
    ) -> Result<Option<R>, Collision> {
        if let Some(frame) = current {
            match frame.lookup(hash, key)? {
                Lookup::Found(v) => return Ok(Some(f(v))),
                Lookup::Hidden => return Ok(None),
                Lookup::Missing => {}
            }
        }
        if self.generation.load(Ordering::Acquire) != cache.generation {
            self.refresh(cache);
        }
        match cache.frame.as_deref() {
            Some(g) => Ok(g.get_own(hash, key)?.map(f)),
            None => Ok(None),
        }
    }

    /// Brings `cache` up to date with the snapshot (a no-op when it is).
    #[inline]
    pub fn sync(&self, cache: &mut SnapshotCache<V>) {
        if self.generation.load(Ordering::Acquire) != cache.generation {
            self.refresh(cache);
        }
    }

    #[cold]
    fn refresh(&self, cache: &mut SnapshotCache<V>) {
        let global = self.global.read().unwrap_or_else(PoisonError::into_inner);
        // Read under the lock: the generation is bumped under the write lock, so the pair
        // (generation, frame) is consistent.
        let frame = global.clone();
        cache.generation = self.generation.load(Ordering::Acquire);
        drop(global);
        // The old snapshot may be the last reference to values with destructors: dropped
        // outside the lock (see `set_snapshot`).
        drop(std::mem::replace(&mut cache.frame, frame));
    }

    /// Every effective entry seen from `current`, the snapshot included unless hidden.
    pub fn effective(&self, current: Option<&Frame<V>>) -> Vec<Entry<V>>
    where
        V: Clone,
    {
        let (mut out, cut) = match current {
            Some(frame) => frame.effective(),
            None => (Vec::new(), false),
        };
        if !cut {
            if let Some(g) = self.snapshot() {
                let (globals, _) = g.effective();
                let own: std::collections::HashSet<&str> = out.iter().map(|e| e.key()).collect();
                let extra: Vec<_> = globals
                    .into_iter()
                    .filter(|e| !own.contains(e.key()))
                    .collect();
                out.extend(extra);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::key_hash;

    #[test]
    fn snapshot_is_the_last_resort() {
        let store: Store<i64> = Store::new();
        let mut f = Frame::new(None, false);
        f.insert(key_hash("a"), "a", 1).unwrap();
        store.freeze(Some(&f)).unwrap();
        let read = |cur: Option<&Frame<i64>>, k: &str| store.get_with(cur, key_hash(k), k, |v| *v);
        assert_eq!(read(None, "a").unwrap(), Some(1));
        let mut g = Frame::new(None, false);
        g.insert(key_hash("a"), "a", 2).unwrap();
        assert_eq!(read(Some(&g), "a").unwrap(), Some(2));
        let hidden = Frame::new(None, true);
        assert_eq!(read(Some(&hidden), "a").unwrap(), None);
        assert!(store.effective(Some(&hidden)).is_empty());
        assert_eq!(store.effective(None).len(), 1);
    }

    #[test]
    fn a_cached_reader_sees_every_new_snapshot() {
        let store: Store<i64> = Store::new();
        let mut cache = SnapshotCache::new();
        let read = |cache: &mut SnapshotCache<i64>| {
            store
                .get_cached(None, cache, key_hash("a"), "a", |v| *v)
                .unwrap()
        };
        assert_eq!(read(&mut cache), None);
        let mut f = Frame::new(None, false);
        f.insert(key_hash("a"), "a", 1).unwrap();
        store.freeze(Some(&f)).unwrap();
        assert_eq!(read(&mut cache), Some(1));
        let mut g = Frame::new(None, false);
        g.insert(key_hash("a"), "a", 2).unwrap();
        store.freeze(Some(&g)).unwrap();
        assert_eq!(read(&mut cache), Some(2));
        let inner = Frame::new(None, false)
            .with_entry(key_hash("a"), "a", 3)
            .unwrap();
        let got = store.get_cached(Some(&inner), &mut cache, key_hash("a"), "a", |v| *v);
        assert_eq!(got.unwrap(), Some(3));
        store.set_snapshot(None);
        assert_eq!(read(&mut cache), None);
    }

    /// A value whose destructor reads the store it is dropped from.
    #[derive(Clone)]
    struct ReadsOnDrop;

    static READER: Store<ReadsOnDrop> = Store::new();

    impl Drop for ReadsOnDrop {
        fn drop(&mut self) {
            // Deadlocks (a write guard is not re-entrant) if the snapshot is dropped under it.
            let _ = READER.get_with(None, key_hash("a"), "a", |_| ());
        }
    }

    #[test]
    fn replacing_the_snapshot_drops_the_old_one_outside_the_lock() {
        let (done, finished) = std::sync::mpsc::channel();
        // On a thread of its own, so that a regression fails the test instead of hanging it.
        std::thread::spawn(move || {
            let mut f = Frame::new(None, false);
            f.insert(key_hash("a"), "a", ReadsOnDrop).unwrap();
            READER.set_snapshot(Some(Arc::new(f)));
            READER.set_snapshot(None);
            done.send(READER.snapshot().is_none()).unwrap();
        });
        let cleared = finished.recv_timeout(std::time::Duration::from_secs(30));
        assert_eq!(
            cleared,
            Ok(true),
            "set_snapshot deadlocked dropping the old snapshot"
        );
    }
}
