//! `cargo bench -p hyperparameter@0.7.0`: the Rust API against the published 0.5.13 crate
//! (the `hp05` dev-dependency), side by side in one run (DESIGN §10, §13). Figures and ratios
//! are in benchmarks/README.md.
//!
//! Cases, for both crates with the same code:
//! - `get_hit_depth3`: `get_param!` of a key set in the outermost of 3 nested scopes;
//! - `get_miss_default`: `get_param!` of a key no scope sets (the default), in the same stack;
//! - `with_one_set`: `with_params! { set k = 1; }` — entering and leaving a one-key scope;
//! - `enter_1000_keys`: `with_params! { params ps; }` with a prebuilt 1,000-key scope.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

mod ours {
    use super::*;
    use hyperparameter::*;

    pub fn get_hit(c: &mut Criterion) {
        with_params! {
            set a.x = 1;
            with_params! {
                set b.x = 2;
                with_params! {
                    set c.x = 3;
                    c.bench_function("ours/get_hit_depth3", |b| {
                        b.iter(|| black_box(get_param!(a.x, 0i64)))
                    });
                }
            }
        }
    }

    pub fn get_miss(c: &mut Criterion) {
        with_params! {
            set a.x = 1;
            with_params! {
                set b.x = 2;
                with_params! {
                    set c.x = 3;
                    c.bench_function("ours/get_miss_default", |b| {
                        b.iter(|| black_box(get_param!(z.missing, 7i64)))
                    });
                }
            }
        }
    }

    pub fn with_one_set(c: &mut Criterion) {
        c.bench_function("ours/with_one_set", |b| {
            b.iter(|| {
                with_params! {
                    set y.v = 42;
                }
            })
        });
    }

    pub fn enter_1000(c: &mut Criterion) {
        let mut ps = ParamScope::default();
        for i in 0..1000i64 {
            ps.put(format!("k.key{i}"), i);
        }
        c.bench_function("ours/enter_1000_keys", |b| {
            b.iter(|| {
                with_params! {
                    params ps;
                }
            })
        });
    }
}

mod v05 {
    use super::*;
    use hp05::*;

    pub fn get_hit(c: &mut Criterion) {
        with_params! {
            set a.x = 1;
            with_params! {
                set b.x = 2;
                with_params! {
                    set c.x = 3;
                    c.bench_function("hp 0.5.13/get_hit_depth3", |b| {
                        b.iter(|| black_box(get_param!(a.x, 0i64)))
                    });
                }
            }
        }
    }

    pub fn get_miss(c: &mut Criterion) {
        with_params! {
            set a.x = 1;
            with_params! {
                set b.x = 2;
                with_params! {
                    set c.x = 3;
                    c.bench_function("hp 0.5.13/get_miss_default", |b| {
                        b.iter(|| black_box(get_param!(z.missing, 7i64)))
                    });
                }
            }
        }
    }

    pub fn with_one_set(c: &mut Criterion) {
        c.bench_function("hp 0.5.13/with_one_set", |b| {
            b.iter(|| {
                with_params! {
                    set y.v = 42;
                }
            })
        });
    }

    pub fn enter_1000(c: &mut Criterion) {
        let mut ps = ParamScope::default();
        for i in 0..1000i64 {
            ps.put(format!("k.key{i}"), i);
        }
        c.bench_function("hp 0.5.13/enter_1000_keys", |b| {
            b.iter(|| {
                with_params! {
                    params ps;
                }
            })
        });
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = ours::get_hit, v05::get_hit, ours::get_miss, v05::get_miss,
        ours::with_one_set, v05::with_one_set, ours::enter_1000, v05::enter_1000
}
criterion_main!(benches);
