//! Model-based checking of `hp-store`'s public API, shared by the stable randomized test
//! (`tests/model.rs`) and the `cargo fuzz` target (`fuzz/fuzz_targets/store_api.rs`).
//!
//! [`run`] reads a byte string as a program — push and pop frames, write, clear, read, list
//! the effective entries, freeze and drop the snapshot, force hash collisions, check keys
//! against the grammar, enter and leave thread-local scopes — runs it against the real frames,
//! [`Store`] and [`local`] API, and against a plain model (a vector of hash maps), and panics
//! on the first disagreement.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use hp_store::{
    check_key, key_hash, local, xxh64, Entry, Error, Frame, Lookup, Store, Value, SEED,
};

/// Keys the programs use: some share prefixes, one is long, one is not ASCII.
const KEYS: [&str; 8] = [
    "a",
    "a.b",
    "a.c",
    "model.lr",
    "x.0",
    "learning-rate",
    "层.数",
    "k0123456789.abcdefghijklmnopqrstuvwxyz_0123456789-long.segment",
];

/// The bytes of a program, read front to back; an exhausted reader yields zeros.
#[derive(Debug)]
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn done(&self) -> bool {
        self.at >= self.data.len()
    }

    fn key(&mut self) -> &'static str {
        KEYS[usize::from(self.byte()) % KEYS.len()]
    }

    fn value(&mut self) -> i64 {
        i64::from(self.byte()) - 128
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.byte()).collect()
    }
}

/// A frame of the model: hash -> (key, value), and whether it hides what is outside it.
#[derive(Debug, Clone, Default)]
struct ModelFrame {
    entries: HashMap<u64, (String, i64)>,
    opaque: bool,
}

/// What a read finds.
#[derive(Debug, PartialEq, Eq)]
enum Read {
    Value(i64),
    Missing,
    Collision,
}

#[derive(Debug, Default)]
struct Model {
    frames: Vec<ModelFrame>,
    snapshot: Option<HashMap<u64, (String, i64)>>,
    forced: bool, // a frame holds an entry under another key's hash
}

impl Model {
    fn insert(frame: &mut ModelFrame, hash: u64, key: &str, value: i64) -> bool {
        if let Some((stored, _)) = frame.entries.get(&hash) {
            if stored != key {
                return false;
            }
        }
        frame.entries.insert(hash, (key.to_owned(), value));
        true
    }

    fn read(&self, hash: u64, key: &str) -> Read {
        for f in self.frames.iter().rev() {
            if let Some((stored, v)) = f.entries.get(&hash) {
                return if stored == key {
                    Read::Value(*v)
                } else {
                    Read::Collision
                };
            }
            if f.opaque {
                return Read::Missing;
            }
        }
        match self.snapshot.as_ref().and_then(|s| s.get(&hash)) {
            Some((stored, v)) if stored == key => Read::Value(*v),
            Some(_) => Read::Collision,
            None => Read::Missing,
        }
    }

    fn effective(&self) -> Vec<(String, i64)> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut cut = false;
        for f in self.frames.iter().rev() {
            for (h, (k, v)) in &f.entries {
                if seen.insert(*h) {
                    out.push((k.clone(), *v));
                }
            }
            if f.opaque {
                cut = true;
                break;
            }
        }
        if !cut {
            if let Some(snap) = &self.snapshot {
                let own: std::collections::HashSet<String> =
                    out.iter().map(|(k, _)| k.clone()).collect();
                for (k, v) in snap.values() {
                    if !own.contains(k) {
                        out.push((k.clone(), *v));
                    }
                }
            }
        }
        out.sort();
        out
    }
}

/// The key grammar, written independently of `hp_store::check_key` (segment by segment).
fn grammar_accepts(key: &str) -> bool {
    !key.is_empty()
        && key.split('.').all(|seg| {
            let b = seg.as_bytes();
            match b.first() {
                None => false,
                Some(c) if c.is_ascii_digit() => b.iter().all(u8::is_ascii_digit),
                Some(&c) => {
                    (c.is_ascii_alphabetic() || c == b'_' || c >= 0x80)
                        && b[1..].iter().all(|&c| {
                            c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c >= 0x80
                        })
                }
            }
        })
}

fn read_store(store: &Store<i64>, cur: Option<&Arc<Frame<i64>>>, hash: u64, key: &str) -> Read {
    match store.get_with(cur.map(|f| &**f), hash, key, |v| *v) {
        Ok(Some(v)) => Read::Value(v),
        Ok(None) => Read::Missing,
        Err(_) => Read::Collision,
    }
}

fn sorted(entries: Vec<Entry<i64>>) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = entries
        .iter()
        .map(|e| (e.key().to_owned(), *e.value()))
        .collect();
    out.sort();
    out
}

/// The thread-local scopes of [`local`], and what they must hold.
#[derive(Debug, Default)]
struct Local {
    guards: Vec<local::ScopeGuard>,
    model: Vec<BTreeMap<String, i64>>,
}

impl Local {
    fn read(&self, key: &str) -> Option<i64> {
        self.model.iter().rev().find_map(|m| m.get(key).copied())
    }
}

/// Runs the program in `data` against the real store and the model; panics on a difference.
pub fn run(data: &[u8]) {
    let mut r = Reader { data, at: 0 };
    let store: Store<i64> = Store::new();
    let mut cur: Option<Arc<Frame<i64>>> = None;
    let mut model = Model::default();
    let mut loc = Local::default();
    while !r.done() {
        let op = r.byte() % 15;
        match op {
            0 => {
                // push a frame (a scope) with up to three entries
                let opaque = r.byte() & 1 == 1;
                let mut frame = Frame::new(cur.clone(), opaque);
                let mut mf = ModelFrame {
                    entries: HashMap::new(),
                    opaque,
                };
                for _ in 0..r.byte() % 4 {
                    let (k, v) = (r.key(), r.value());
                    assert!(frame.insert(key_hash(k), k, v).is_ok());
                    assert!(Model::insert(&mut mf, key_hash(k), k, v));
                }
                cur = Some(Arc::new(frame));
                model.frames.push(mf);
            }
            1 => {
                // pop
                if let Some(f) = cur.take() {
                    cur = f.parent().cloned();
                    model.frames.pop();
                    model.forced = model
                        .frames
                        .iter()
                        .any(|f| f.entries.iter().any(|(h, (k, _))| *h != key_hash(k)));
                }
            }
            2 | 8 => {
                // a write (copy-on-write of the innermost frame); 8 forces another key's hash
                let forced = op == 8;
                let (k, v) = (r.key(), r.value());
                let hash = if forced {
                    key_hash(r.key())
                } else {
                    key_hash(k)
                };
                let written = match &cur {
                    Some(f) => f.with_entry(hash, k, v).map(|f| (f, false)),
                    None => {
                        let mut f = Frame::new(None, false);
                        f.insert(hash, k, v).map(|()| (f, true))
                    }
                };
                if model.frames.is_empty() {
                    model.frames.push(ModelFrame::default());
                }
                let top = model.frames.len() - 1;
                let ok = Model::insert(&mut model.frames[top], hash, k, v);
                match written {
                    Ok((f, _)) => {
                        assert!(ok, "a write the model refuses was accepted: {k}");
                        cur = Some(Arc::new(f));
                        model.forced |= hash != key_hash(k);
                    }
                    Err(e) => {
                        assert!(!ok, "a write the model accepts was refused: {e}");
                        if cur.is_none() {
                            model.frames.pop();
                        }
                    }
                }
            }
            3 => {
                // clear: the innermost frame hides everything until it is popped
                if let Some(f) = &cur {
                    cur = Some(Arc::new(f.cleared()));
                    let top = model.frames.len() - 1;
                    model.frames[top] = ModelFrame {
                        entries: HashMap::new(),
                        opaque: true,
                    };
                    model.forced = model
                        .frames
                        .iter()
                        .any(|f| f.entries.iter().any(|(h, (k, _))| *h != key_hash(k)));
                }
            }
            4 => {
                let k = r.key();
                let hash = if r.byte() & 1 == 1 {
                    key_hash(r.key())
                } else {
                    key_hash(k)
                };
                assert_eq!(
                    read_store(&store, cur.as_ref(), hash, k),
                    model.read(hash, k),
                    "{k}"
                );
                if let Some(f) = &cur {
                    let found = match f.lookup(hash, k) {
                        Ok(Lookup::Found(v)) => Some(Some(*v)),
                        Ok(_) => Some(None),
                        Err(_) => None,
                    };
                    assert!(found.is_some() || model.read(hash, k) == Read::Collision);
                }
            }
            5 => {
                let got = sorted(store.effective(cur.as_deref()));
                assert_eq!(got, model.effective());
            }
            6 => {
                if !model.forced {
                    assert!(store.freeze(cur.as_deref()).is_ok());
                    let snap = model
                        .effective()
                        .into_iter()
                        .map(|(k, v)| (key_hash(&k), (k, v)))
                        .collect();
                    model.snapshot = Some(snap);
                    assert_eq!(
                        store.snapshot().map_or(0, |s| s.len()),
                        model.effective_len()
                    );
                }
            }
            7 => {
                store.set_snapshot(None);
                model.snapshot = None;
            }
            9 => {
                // any text against the grammar
                let n = usize::from(r.byte() % 24);
                let bytes = r.bytes(n);
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    assert_eq!(check_key(text).is_ok(), grammar_accepts(text), "{text:?}");
                    assert_eq!(hp_store::key_hash(text), xxh64(text.as_bytes(), SEED));
                    let valid = check_key(text).is_ok();
                    assert_eq!(
                        matches!(local::get(text), Err(Error::InvalidKey(_))),
                        !valid
                    );
                }
            }
            10 => {
                // enter a thread-local scope
                let mut entries = Vec::new();
                let mut m = BTreeMap::new();
                for _ in 0..r.byte() % 3 {
                    let (k, v) = (r.key(), r.value());
                    entries.push((k, Value::Int(v)));
                    m.insert(k.to_owned(), v);
                }
                loc.guards.push(local::scope(entries).expect("valid keys"));
                loc.model.push(m);
            }
            11 => {
                if let Some(g) = loc.guards.pop() {
                    drop(g);
                    loc.model.pop();
                }
            }
            12 => {
                // write into the innermost thread-local scope (never at the root: it would
                // outlive this program)
                let (k, v) = (r.key(), r.value());
                if let Some(top) = loc.model.last_mut() {
                    local::put(k, v).expect("valid key");
                    top.insert(k.to_owned(), v);
                }
            }
            13 => {
                let k = r.key();
                let got = local::get(k).expect("valid key").map(|v| match v {
                    Value::Int(i) => i,
                    other => panic!("unexpected {other:?}"),
                });
                assert_eq!(got, loc.read(k), "{k}");
            }
            _ => {
                // frame bookkeeping
                let depth = cur.as_ref().map_or(0, |f| f.depth());
                assert_eq!(depth, model.frames.len());
                if let (Some(f), Some(m)) = (&cur, model.frames.last()) {
                    assert_eq!(f.len(), m.entries.len());
                    assert_eq!(f.is_opaque(), m.opaque);
                }
            }
        }
    }
    while let Some(g) = loc.guards.pop() {
        drop(g); // innermost first, as scopes end
    }
    assert_eq!(
        local::get("a").expect("valid"),
        None,
        "thread-local scopes leaked"
    );
}

impl Model {
    fn effective_len(&self) -> usize {
        self.effective().len()
    }
}
