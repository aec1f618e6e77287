//! The store: frame chains plus the frozen global snapshot behind them.

use std::sync::{Arc, PoisonError, RwLock};

use crate::frame::{Collision, Entry, Frame, Lookup};

/// Resolves reads against a frame chain, then against the frozen global snapshot.
///
/// The store does not know where the *current* frame lives — a Python `ContextVar` for code
/// called from Python, a thread-local for pure-Rust threads ([`crate::local`]) — callers pass it.
#[derive(Debug)]
pub struct Store<V> {
    global: RwLock<Option<Arc<Frame<V>>>>,
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
        }
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
