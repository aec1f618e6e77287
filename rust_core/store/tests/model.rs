//! A deterministic, bounded, model-based randomized test of the store's public API on stable
//! Rust: xorshift-generated programs (see `ops/mod.rs`) run against the real frames, `Store`
//! and thread-local API, and against a plain model. The `cargo fuzz` target in `fuzz/` runs the
//! same programs from coverage-guided inputs (nightly only).

mod ops;

/// xorshift64*: small, fast and reproducible.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

const PROGRAMS: usize = 20_000;

#[test]
fn random_programs_match_the_model() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut bytes = 0;
    for _ in 0..PROGRAMS {
        let len = (rng.next() % 400) as usize;
        let program: Vec<u8> = (0..len).map(|_| (rng.next() >> 56) as u8).collect();
        bytes += program.len();
        ops::run(&program);
    }
    assert!(bytes > PROGRAMS * 150);
}

#[test]
fn programs_run_in_many_threads_at_once() {
    let handles: Vec<_> = (0..8u64)
        .map(|t| {
            std::thread::spawn(move || {
                let mut rng = XorShift(0xD1B5_4A32_D192_ED03 ^ (t + 1));
                for _ in 0..500 {
                    let len = (rng.next() % 300) as usize;
                    let program: Vec<u8> = (0..len).map(|_| (rng.next() >> 56) as u8).collect();
                    ops::run(&program);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a program failed in a thread");
    }
}

#[test]
fn edge_programs() {
    ops::run(&[]);
    ops::run(&[0; 64]);
    ops::run(&[255; 64]);
    ops::run(&(0..=255).collect::<Vec<u8>>());
    ops::run(&(0..=255).rev().collect::<Vec<u8>>());
}
