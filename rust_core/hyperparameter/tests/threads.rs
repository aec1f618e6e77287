//! 16 threads × 100,000 nested scopes each, all at once: no thread ever sees another's value.

use hyperparameter::*;

#[test]
fn sixteen_threads_of_nested_scopes_never_cross() {
    const THREADS: i64 = 16;
    const SCOPES: i64 = 100_000;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(THREADS as usize));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let barrier = std::sync::Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let mut wrong = 0u64;
                with_params! {
                    @set stress.thread = t;
                    for i in 0..SCOPES {
                        with_params! {
                            @set stress.i = i;
                            with_params! {
                                @set stress.inner = t * SCOPES + i;
                                wrong += u64::from(get_param!(stress.thread, -1) != t);
                                wrong += u64::from(get_param!(stress.i, -1) != i);
                                wrong += u64::from(get_param!(stress.inner, -1) != t * SCOPES + i);
                            }
                            wrong += u64::from(get_param!(stress.inner, -1) != -1);
                        }
                    }
                    wrong += u64::from(get_param!(stress.i, -1) != -1);
                }
                wrong + u64::from(get_param!(stress.thread, -1) != -1)
            })
        })
        .collect();
    let wrong: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(wrong, 0);
}

#[test]
fn threads_start_from_the_frozen_snapshot() {
    // The only test in this binary that freezes: the snapshot is process-wide.
    with_params! {
        @set snap.v = 3;
        let before = std::thread::spawn(|| get_param!(snap.v, 0)).join().unwrap();
        frozen();
        let after = std::thread::spawn(|| get_param!(snap.v, 0)).join().unwrap();
        assert_eq!((before, after), (0, 3));
        // A thread's own scopes still win over the snapshot.
        let inner = std::thread::spawn(|| with_params! { @set snap.v = 4; get_param!(snap.v, 0) });
        assert_eq!(inner.join().unwrap(), 4);
    }
    // The snapshot is read at read time: the main thread sees it too.
    assert_eq!(get_param!(snap.v, 0), 3);
}
