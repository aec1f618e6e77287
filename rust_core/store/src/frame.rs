//! Immutable scope frames.
//!
//! A frame maps key hashes to `(key text, value)` entries and points at its parent. Frames
//! never change after they are built: entering a scope allocates one frame holding only the
//! keys it sets (O(keys set), never O(store)), and a write builds a copy of the innermost frame
//! with the new entry (copy-on-write). Whoever holds a frame — another thread, an asyncio task
//! that inherited it — keeps seeing exactly what it saw, so writes can never leak sideways.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use smallvec::SmallVec;

/// Keys are already XXH64 hashes: the map uses them as they are.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used for u64 keys; fold anything else for completeness.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Index = HashMap<u64, u32, BuildHasherDefault<IdentityHasher>>;

/// The entries of a frame, built once and shared: a scope object that is entered many times
/// shares them instead of rebuilding the table.
///
/// Compact: an index from key hash to slot, the slots (key position and value) in one vector,
/// and every key's text in one string — three allocations per table, none per key. A
/// 1,000-key config costs ~80 bytes a key (text included) instead of ~140 with an allocation
/// per entry and per key text. A table of at most `SMALL` (8) keys (most scopes set one or
/// two) has no index: their hashes sit inline and a lookup scans them, which saves the index's
/// allocation on every `param_scope(...)` and is as fast as probing it; the slots and key
/// text of the smallest tables sit inline too, so a one-key scope allocates no table at all.
#[derive(Debug)]
pub struct EntryMap<V> {
    index: Option<Index>,
    small: [u64; SMALL],
    slots: SmallVec<[Slot<V>; 2]>,
    /// Every key's text, one after the other (UTF-8: only whole `&str`s are appended).
    keys: SmallVec<[u8; 40]>,
}

/// The most keys a table holds without an index.
pub const SMALL: usize = 8;

#[derive(Debug, Clone)]
struct Slot<V> {
    start: u32,
    len: u32,
    value: V,
}

impl<V> Default for EntryMap<V> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<V: Clone> Clone for EntryMap<V> {
    fn clone(&self) -> Self {
        EntryMap {
            index: self.index.clone(),
            small: self.small,
            slots: self.slots.clone(),
            keys: self.keys.clone(),
        }
    }
}

impl<V> EntryMap<V> {
    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        EntryMap {
            index: (n > SMALL)
                .then(|| Index::with_capacity_and_hasher(n, BuildHasherDefault::default())),
            small: [0; SMALL],
            slots: SmallVec::with_capacity(n),
            keys: SmallVec::new(),
        }
    }

    /// The slot holding `hash`, if any.
    #[inline]
    fn find(&self, hash: u64) -> Option<u32> {
        match &self.index {
            Some(index) => index.get(&hash).copied(),
            None => self.small[..self.slots.len()]
                .iter()
                .position(|&h| h == hash)
                .map(|at| at as u32),
        }
    }

    fn key_of(&self, slot: &Slot<V>) -> &str {
        let bytes = &self.keys[slot.start as usize..(slot.start + slot.len) as usize];
        // Whole keys are appended, so every slot's range is a whole `&str`.
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// Adds an entry. A second write of the same key replaces the first; a different key
    /// with the same hash is a [`Collision`].
    pub fn insert(&mut self, hash: u64, key: &str, value: V) -> Result<(), Collision> {
        if let Some(at) = self.find(hash) {
            let slot = &self.slots[at as usize];
            let stored = self.key_of(slot);
            if stored != key {
                return Err(Collision {
                    hash,
                    stored: stored.to_owned(),
                    requested: key.to_owned(),
                });
            }
            self.slots[at as usize].value = value;
            return Ok(());
        }
        let (start, len, at) = match (
            u32::try_from(self.keys.len()),
            u32::try_from(key.len()),
            u32::try_from(self.slots.len()),
        ) {
            (Ok(start), Ok(len), Ok(at)) if start.checked_add(len).is_some() => (start, len, at),
            _ => panic!("a frame holds at most 4 GiB of key text and 2^32 keys"),
        };
        match &mut self.index {
            Some(index) => {
                index.insert(hash, at);
            }
            None if (at as usize) < SMALL => self.small[at as usize] = hash,
            None => {
                let mut index =
                    Index::with_capacity_and_hasher(SMALL * 4, BuildHasherDefault::default());
                index.extend(self.small.iter().enumerate().map(|(i, &h)| (h, i as u32)));
                index.insert(hash, at);
                self.index = Some(index);
            }
        }
        self.keys.extend_from_slice(key.as_bytes());
        self.slots.push(Slot { start, len, value });
        Ok(())
    }

    /// Releases the spare capacity of a table that is complete.
    pub fn shrink_to_fit(&mut self) {
        self.slots.shrink_to_fit();
        self.keys.shrink_to_fit();
    }

    /// The hot path of [`EntryMap::get`]: a small result in registers, the collision built
    /// only by the caller that meets one.
    #[inline(always)]
    fn probe(&self, hash: u64, key: &str) -> Probe<'_, V> {
        let at = match &self.index {
            None => {
                let n = self.slots.len().min(SMALL);
                let mut i = 0;
                loop {
                    if i == n {
                        return Probe::Missing;
                    }
                    if self.small[i] == hash {
                        break i;
                    }
                    i += 1;
                }
            }
            Some(index) => match index.get(&hash) {
                Some(&at) => at as usize,
                None => return Probe::Missing,
            },
        };
        let Some(slot) = self.slots.get(at) else {
            return Probe::Missing;
        };
        let start = slot.start as usize;
        let len = slot.len as usize;
        if len == key.len() && self.keys.get(start..start + len) == Some(key.as_bytes()) {
            Probe::Found(&slot.value)
        } else {
            Probe::Collision(at)
        }
    }

    /// The value stored under `hash`, checked against `key`.
    #[inline]
    pub fn get(&self, hash: u64, key: &str) -> Result<Option<&V>, Collision> {
        match self.probe(hash, key) {
            Probe::Found(v) => Ok(Some(v)),
            Probe::Missing => Ok(None),
            Probe::Collision(at) => Err(self.collision(hash, &self.slots[at], key)),
        }
    }

    #[cold]
    fn collision(&self, hash: u64, slot: &Slot<V>, key: &str) -> Collision {
        Collision {
            hash,
            stored: self.key_of(slot).to_owned(),
            requested: key.to_owned(),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// The `(key, value)` entries, in the order they were first inserted.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.slots.iter().map(|s| (self.key_of(s), &s.value))
    }

    /// The `(hash, key, value)` entries, in no particular order.
    fn iter_hashed(&self) -> impl Iterator<Item = (u64, &str, &V)> {
        let indexed = self.index.iter().flat_map(|index| {
            index.iter().map(|(&h, &at)| {
                let s = &self.slots[at as usize];
                (h, self.key_of(s), &s.value)
            })
        });
        let inline = if self.index.is_none() {
            self.slots.len()
        } else {
            0
        };
        let small = self.small[..inline]
            .iter()
            .zip(&self.slots)
            .map(|(&h, s)| (h, self.key_of(s), &s.value));
        indexed.chain(small)
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

/// One effective parameter, as [`Frame::effective`] and [`crate::Store::effective`] return it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<V> {
    key: Box<str>,
    value: V,
}

impl<V> Entry<V> {
    /// Builds an entry.
    pub fn new(key: &str, value: V) -> Self {
        Entry {
            key: key.into(),
            value,
        }
    }

    /// The dotted key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The value.
    pub fn value(&self) -> &V {
        &self.value
    }

    /// The value, owned.
    pub fn into_value(self) -> V {
        self.value
    }
}

/// Two different keys with the same hash: an error, never an alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    /// The shared hash.
    pub hash: u64,
    /// The key already stored under it.
    pub stored: String,
    /// The key that was asked for or written.
    pub requested: String,
}

impl fmt::Display for Collision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "hash collision: keys '{}' and '{}' both hash to {:#018x}",
            self.stored, self.requested, self.hash
        )
    }
}

impl std::error::Error for Collision {}

/// What one table holds for a key, in registers.
enum Probe<'a, V> {
    Found(&'a V),
    Missing,
    /// Another key's text is stored under the hash, in this slot.
    Collision(usize),
}

/// What a walk of the frame chain found.
#[derive(Debug)]
pub enum Lookup<'a, V> {
    /// The innermost entry for the key.
    Found(&'a V),
    /// No frame has the key and the chain ends normally (callers then consult the snapshot).
    Missing,
    /// An opaque frame (`param_scope.empty()`, `ps.clear()`) hides everything beyond it.
    Hidden,
}

/// A scope frame: its own entries plus a pointer to the enclosing frame.
pub struct Frame<V> {
    parent: Option<Arc<Frame<V>>>,
    entries: Arc<EntryMap<V>>,
    opaque: bool,
    depth: usize,
}

impl<V> fmt::Debug for Frame<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("keys", &self.entries.len())
            .field("opaque", &self.opaque)
            .field("depth", &self.depth)
            .finish()
    }
}

impl<V> Frame<V> {
    /// An empty frame under `parent`; an `opaque` frame hides every inherited key.
    pub fn new(parent: Option<Arc<Frame<V>>>, opaque: bool) -> Self {
        Self::with_shared(parent, Arc::new(EntryMap::default()), opaque)
    }

    /// A frame under `parent` whose entries are `entries`, shared (no copy).
    pub fn with_shared(
        parent: Option<Arc<Frame<V>>>,
        entries: Arc<EntryMap<V>>,
        opaque: bool,
    ) -> Self {
        let depth = parent.as_ref().map_or(1, |p| p.depth + 1);
        Frame {
            parent,
            entries,
            opaque,
            depth,
        }
    }

    /// Adds an entry while the frame is being built (a table shared with another frame is
    /// copied first). A second write of the same key in one frame replaces the first; a
    /// different key with the same hash is a [`Collision`].
    pub fn insert(&mut self, hash: u64, key: &str, value: V) -> Result<(), Collision>
    where
        V: Clone,
    {
        Arc::make_mut(&mut self.entries).insert(hash, key, value)
    }

    /// A copy of this frame (same parent) with `key` set: how writes land. Costs O(keys in
    /// this frame): the table is copied (key text in one piece, values cloned), so that
    /// whoever holds this frame keeps seeing it unchanged.
    pub fn with_entry(&self, hash: u64, key: &str, value: V) -> Result<Self, Collision>
    where
        V: Clone,
    {
        let mut entries = EntryMap::clone(&self.entries);
        entries.insert(hash, key, value)?;
        Ok(Frame {
            parent: self.parent.clone(),
            entries: Arc::new(entries),
            opaque: self.opaque,
            depth: self.depth,
        })
    }

    /// A frame with this one's parent that hides everything: what `ps.clear()` leaves.
    pub fn cleared(&self) -> Self {
        Frame::new(self.parent.clone(), true)
    }

    /// The enclosing frame.
    pub fn parent(&self) -> Option<&Arc<Frame<V>>> {
        self.parent.as_ref()
    }

    /// Whether this frame hides everything beyond it.
    pub fn is_opaque(&self) -> bool {
        self.opaque
    }

    /// Number of frames from the outermost (1) to this one.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of keys this frame itself sets.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The keys this frame itself sets.
    pub fn entries(&self) -> &EntryMap<V> {
        &self.entries
    }

    /// Whether this frame sets no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// This frame's own entry for `hash`, checked against `key`.
    #[inline]
    pub fn get_own(&self, hash: u64, key: &str) -> Result<Option<&V>, Collision> {
        self.entries.get(hash, key)
    }

    /// Walks from this frame outwards and returns the innermost entry for `key`.
    #[inline]
    pub fn lookup(&self, hash: u64, key: &str) -> Result<Lookup<'_, V>, Collision> {
        let mut frame = self;
        loop {
            match frame.entries.probe(hash, key) {
                Probe::Found(v) => return Ok(Lookup::Found(v)),
                Probe::Missing => {}
                Probe::Collision(at) => {
                    return Err(frame.entries.collision(hash, &frame.entries.slots[at], key))
                }
            }
            if frame.opaque {
                return Ok(Lookup::Hidden);
            }
            match &frame.parent {
                Some(p) => frame = p,
                None => return Ok(Lookup::Missing),
            }
        }
    }

    /// Every effective entry, innermost first wins, in no particular order. The flag is true
    /// when an opaque frame cut the walk short.
    pub fn effective(&self) -> (Vec<Entry<V>>, bool)
    where
        V: Clone,
    {
        let mut out = Vec::new();
        let cut = self.for_each_effective(|_, key, value| {
            out.push(Entry::new(key, value.clone()));
            Ok::<(), Infallible>(())
        });
        match cut {
            Ok(cut) => (out, cut),
            Err(never) => match never {},
        }
    }

    /// Calls `visit(hash, key, value)` for every effective entry, innermost first wins, each
    /// key once, without copying anything; `Ok(true)` when an opaque frame cut the walk short.
    pub fn for_each_effective<E>(
        &self,
        mut visit: impl FnMut(u64, &str, &V) -> Result<(), E>,
    ) -> Result<bool, E> {
        // The innermost frame's keys are distinct: they are visited without a check, and only
        // a chain of more than one frame needs to remember what it has visited.
        for (h, key, value) in self.entries.iter_hashed() {
            visit(h, key, value)?;
        }
        if self.opaque {
            return Ok(true);
        }
        let Some(mut f) = self.parent.as_deref() else {
            return Ok(false);
        };
        let mut seen: HashSet<u64, BuildHasherDefault<IdentityHasher>> =
            self.entries.iter_hashed().map(|(h, _, _)| h).collect();
        loop {
            for (h, key, value) in f.entries.iter_hashed() {
                if seen.insert(h) {
                    visit(h, key, value)?;
                }
            }
            if f.opaque {
                return Ok(true);
            }
            match f.parent.as_deref() {
                Some(p) => f = p,
                None => return Ok(false),
            }
        }
    }

    /// A parentless frame holding `entries`: how snapshots are built.
    pub fn from_entries(entries: Vec<Entry<V>>) -> Result<Self, Collision> {
        let mut table = EntryMap::with_capacity(entries.len());
        for e in entries {
            table.insert(crate::hash::key_hash(&e.key), &e.key, e.value)?;
        }
        table.shrink_to_fit();
        Ok(Frame::with_shared(None, Arc::new(table), false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::key_hash;

    fn frame(parent: Option<Arc<Frame<i64>>>, kv: &[(&str, i64)]) -> Arc<Frame<i64>> {
        let mut f = Frame::new(parent, false);
        for (k, v) in kv {
            f.insert(key_hash(k), k, *v).unwrap();
        }
        Arc::new(f)
    }

    fn get(f: &Frame<i64>, k: &str) -> Option<i64> {
        match f.lookup(key_hash(k), k).unwrap() {
            Lookup::Found(v) => Some(*v),
            _ => None,
        }
    }

    #[test]
    fn inner_wins_and_outer_is_untouched() {
        let outer = frame(None, &[("a", 1), ("b", 2)]);
        let inner = frame(Some(outer.clone()), &[("a", 10)]);
        assert_eq!(get(&inner, "a"), Some(10));
        assert_eq!(get(&inner, "b"), Some(2));
        assert_eq!(get(&outer, "a"), Some(1));
        assert_eq!(get(&inner, "c"), None);
    }

    #[test]
    fn writes_copy_the_frame() {
        let f = frame(None, &[("a", 1)]);
        let g = f.with_entry(key_hash("b"), "b", 2).unwrap();
        assert_eq!(get(&f, "b"), None);
        assert_eq!(get(&g, "b"), Some(2));
        assert_eq!(get(&g, "a"), Some(1));
    }

    #[test]
    fn collisions_are_errors() {
        let mut f: Frame<i64> = Frame::new(None, false);
        f.insert(7, "a", 1).unwrap();
        let err = f.insert(7, "b", 2).unwrap_err();
        assert_eq!((err.stored.as_str(), err.requested.as_str()), ("a", "b"));
        assert!(f.lookup(7, "b").is_err());
    }

    #[test]
    fn opaque_frames_hide() {
        let outer = frame(None, &[("a", 1)]);
        let hidden = Arc::new(Frame::new(Some(outer), true));
        assert!(matches!(
            hidden.lookup(key_hash("a"), "a").unwrap(),
            Lookup::Hidden
        ));
        let (entries, cut) = hidden.effective();
        assert!(entries.is_empty() && cut);
    }

    #[test]
    fn for_each_effective_visits_each_key_once_innermost_first() {
        let outer = frame(None, &[("a", 1), ("b", 2)]);
        let inner = frame(Some(outer), &[("a", 10)]);
        let mut seen: Vec<(String, i64)> = Vec::new();
        let cut = inner
            .for_each_effective(|h, k, v| {
                assert_eq!(h, key_hash(k));
                seen.push((k.to_owned(), *v));
                Ok::<(), ()>(())
            })
            .unwrap();
        seen.sort();
        assert_eq!(seen, vec![("a".into(), 10), ("b".into(), 2)]);
        assert!(!cut);
        let mut hidden = Frame::new(Some(inner), true);
        hidden.insert(key_hash("c"), "c", 3).unwrap();
        let mut keys = Vec::new();
        let cut = hidden
            .for_each_effective(|_, k, _| {
                keys.push(k.to_owned());
                Ok::<(), ()>(())
            })
            .unwrap();
        assert_eq!((keys, cut), (vec!["c".to_owned()], true));
        assert_eq!(inner_err(&hidden), Err("stop"));
    }

    fn inner_err(f: &Frame<i64>) -> Result<bool, &'static str> {
        f.for_each_effective(|_, _, _| Err("stop"))
    }

    #[test]
    fn effective_prefers_inner() {
        let outer = frame(None, &[("a", 1), ("b", 2)]);
        let inner = frame(Some(outer), &[("a", 10)]);
        let (entries, cut) = inner.effective();
        let mut kv: Vec<(String, i64)> = entries
            .iter()
            .map(|e| (e.key().to_owned(), *e.value()))
            .collect();
        kv.sort();
        assert_eq!(kv, vec![("a".into(), 10), ("b".into(), 2)]);
        let snapshot = Frame::from_entries(entries).unwrap();
        assert_eq!(get(&snapshot, "a"), Some(10));
        let mut kv: Vec<(String, i64)> = snapshot
            .entries()
            .iter()
            .map(|(k, v)| (k.to_owned(), *v))
            .collect();
        kv.sort();
        assert_eq!(kv, vec![("a".into(), 10), ("b".into(), 2)]);
        assert!(!cut);
    }

    #[test]
    fn tables_keep_working_past_the_inline_size() {
        // Below, at and above SMALL keys (no index, then an index built from the inline
        // hashes): every key found, replaced in place, a collision refused, all iterated.
        for n in [0, 1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL] {
            let keys: Vec<String> = (0..n).map(|i| format!("k.{i}")).collect();
            let mut map = EntryMap::with_capacity(if n % 2 == 0 { n } else { 0 });
            for (i, k) in keys.iter().enumerate() {
                map.insert(key_hash(k), k, i as i64).unwrap();
            }
            for (i, k) in keys.iter().enumerate() {
                assert_eq!(map.get(key_hash(k), k).unwrap(), Some(&(i as i64)));
            }
            assert_eq!(map.get(key_hash("absent"), "absent").unwrap(), None);
            if let Some(k) = keys.first() {
                map.insert(key_hash(k), k, -1).unwrap();
                assert_eq!(map.get(key_hash(k), k).unwrap(), Some(&-1));
                assert!(map.insert(key_hash(k), "other", 0).is_err());
                assert!(map.get(key_hash(k), "other").is_err());
            }
            let mut seen: Vec<(u64, String)> = map
                .iter_hashed()
                .map(|(h, k, _)| (h, k.to_owned()))
                .collect();
            seen.sort();
            let mut want: Vec<(u64, String)> =
                keys.iter().map(|k| (key_hash(k), k.clone())).collect();
            want.sort();
            assert_eq!(seen, want);
            assert_eq!(map.len(), n);
        }
    }
}
