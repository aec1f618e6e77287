//! `cargo bench -p hp-store`: a lookup by precomputed hash at scope depth 8.
//!
//! A plain `Instant` harness (no criterion) keeps the build small: 9 rounds of 2M lookups each,
//! reporting the fastest and the median ns/lookup.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use hp_store::{key, Frame, Lookup, Store};

fn chain(depth: usize) -> Arc<Frame<u64>> {
    let mut parent: Option<Arc<Frame<u64>>> = None;
    for d in 0..depth {
        let mut f = Frame::new(parent.take(), false);
        for i in 0..16 {
            let k = format!("group{d}.key{i}");
            f.insert(hp_store::key_hash(&k), &k, (d * 100 + i) as u64)
                .unwrap();
        }
        parent = Some(Arc::new(f));
    }
    parent.unwrap()
}

fn measure(name: &str, mut f: impl FnMut() -> u64) {
    const N: u32 = 2_000_000;
    let mut times = Vec::new();
    for _ in 0..9 {
        let t = Instant::now();
        let mut acc = 0u64;
        for _ in 0..N {
            acc = acc.wrapping_add(f());
        }
        black_box(acc);
        times.push(t.elapsed().as_nanos() as f64 / f64::from(N));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{name:<48} min {:6.2} ns  median {:6.2} ns",
        times[0], times[4]
    );
}

fn main() {
    let store: Store<u64> = Store::new();
    let frames = chain(8);
    // The outermost frame's key: the walk crosses all 8 frames.
    const DEEP: hp_store::Key = key!("group0.key3");
    const TOP: hp_store::Key = key!("group7.key3");
    measure(
        "frame.lookup, key in outermost of 8 frames",
        || match black_box(&frames).lookup(black_box(DEEP.hash()), DEEP.text()) {
            Ok(Lookup::Found(v)) => *v,
            _ => 0,
        },
    );
    measure("store.get_with, key in outermost of 8 frames", || {
        store
            .get_with(
                Some(black_box(&frames)),
                black_box(DEEP.hash()),
                DEEP.text(),
                |v| *v,
            )
            .unwrap()
            .unwrap_or(0)
    });
    measure("store.get_with, key in innermost frame", || {
        store
            .get_with(
                Some(black_box(&frames)),
                black_box(TOP.hash()),
                TOP.text(),
                |v| *v,
            )
            .unwrap()
            .unwrap_or(0)
    });
    measure("store.get_with, missing key (8 frames + snapshot)", || {
        store
            .get_with(Some(black_box(&frames)), black_box(7), "nothing", |v| *v)
            .unwrap()
            .unwrap_or(0)
    });
}
