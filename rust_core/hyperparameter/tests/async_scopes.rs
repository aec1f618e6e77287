//! Scopes follow futures: across `.await`, across the worker threads of a work-stealing
//! runtime, never into another task; on tokio (multi-thread, 4 workers) and on the `futures`
//! thread pool.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyperparameter::*;

const TASKS: usize = 1_200;

/// A task with its own values, nested scopes and many suspension points; returns how many
/// times it saw a wrong value (0 expected) and how many distinct threads polled it.
async fn task(id: i64, yield_now: impl Fn() -> futures::future::BoxFuture<'static, ()>) -> usize {
    let mut wrong = 0;
    with_params! {
        @set task.id = id;
        @set task.depth = 1;
        for round in 0..5 {
            yield_now().await;
            wrong += usize::from(get_param!(task.id, -1) != id);
            with_params! {
                @set task.depth = 2;
                @set task.round = round;
                yield_now().await;
                wrong += usize::from(get_param!(task.id, -1) != id);
                wrong += usize::from(get_param!(task.depth, 0) != 2);
                wrong += usize::from(get_param!(task.round, -1) != round);
                wrong += inner(id, &yield_now).await;
                wrong += usize::from(get_param!(task.depth, 0) != 2);
            }
            wrong += usize::from(get_param!(task.depth, 0) != 1);
            wrong += usize::from(get_param!(task.round, -1) != -1);
        }
    }
    // Outside its scopes the task sees what any fresh task sees.
    wrong += usize::from(get_param!(task.id, -1) != -1);
    wrong
}

/// An async fn with no scope of its own sees its caller's, across its own awaits.
async fn inner(id: i64, yield_now: &impl Fn() -> futures::future::BoxFuture<'static, ()>) -> usize {
    let mut wrong = 0;
    for _ in 0..2 {
        yield_now().await;
        wrong += usize::from(get_param!(task.id, -1) != id);
        wrong += usize::from(get_param!(task.depth, 0) != 2);
    }
    wrong
}

fn tokio_yield() -> futures::future::BoxFuture<'static, ()> {
    Box::pin(tokio::task::yield_now())
}

#[test]
fn tokio_multi_thread_many_tasks_never_see_each_other() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let threads = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let wrong: usize = rt.block_on(async {
        let handles: Vec<_> = (0..TASKS as i64)
            .map(|id| {
                let threads = Arc::clone(&threads);
                tokio::spawn(async move {
                    let w = task(id, tokio_yield).await;
                    threads.lock().unwrap().insert(std::thread::current().id());
                    w
                })
            })
            .collect();
        let mut total = 0;
        for h in handles {
            total += h.await.unwrap();
        }
        total
    });
    assert_eq!(wrong, 0);
    // The runtime really moved work across its workers.
    assert!(threads.lock().unwrap().len() > 1);
    // Nothing was left on the worker threads: a fresh task outside any scope sees defaults.
    let leftover = rt.block_on(async {
        let mut seen = Vec::new();
        for _ in 0..16 {
            seen.push(
                tokio::spawn(async { get_param!(task.id, -1) })
                    .await
                    .unwrap(),
            );
        }
        seen
    });
    assert!(leftover.iter().all(|&v| v == -1), "{leftover:?}");
}

#[test]
fn timers_wake_futures_on_any_worker_and_the_scope_comes_along() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let handles: Vec<_> = (0..64)
        .map(|id| {
            rt.spawn(async move {
                with_params! {
                    @set moved.v = id;
                    let mut wrong = 0;
                    for _ in 0..20 {
                        tokio::time::sleep(Duration::from_micros(50)).await;
                        wrong += usize::from(get_param!(moved.v, -1) != id);
                    }
                    wrong
                }
            })
        })
        .collect();
    let wrong: usize = rt.block_on(async {
        let mut total = 0;
        for h in handles {
            total += h.await.unwrap();
        }
        total
    });
    assert_eq!(wrong, 0);
}

#[test]
fn spawned_tasks_start_from_the_frozen_snapshot_unless_bound() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        with_params! {
            @set spawn.v = 1;
            let plain = tokio::spawn(async { get_param!(spawn.v, 0) }).await.unwrap();
            let bound = tokio::spawn(ParamScope::new().bind(async {
                tokio::task::yield_now().await;
                get_param!(spawn.v, 0)
            }))
            .await
            .unwrap();
            let own = ParamScope::parse(["spawn.v=7"]).unwrap();
            let explicit = tokio::spawn(own.bind(async {
                tokio::task::yield_now().await;
                get_param!(spawn.v, 0)
            }))
            .await
            .unwrap();
            assert_eq!((plain, bound, explicit), (0, 1, 7));
        }
    });
}

#[test]
fn bound_futures_keep_their_writes_between_polls() {
    let fut = ParamScope::new().bind(async {
        put("bw.v", 1).unwrap();
        futures::pending_once().await;
        get_param!(bw.v, 0)
    });
    assert_eq!(futures::executor::block_on(fut), 1);
    assert_eq!(get_param!(bw.v, 0), 0);
}

mod futures {
    pub use ::futures::*;

    /// Pending once, then ready (wakes itself).
    pub async fn pending_once() {
        let mut done = false;
        ::futures::future::poll_fn(move |cx| {
            if done {
                std::task::Poll::Ready(())
            } else {
                done = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await
    }
}

/// Pending once; woken later, in FIFO order, by a thread of its own — so that the pool runs
/// other tasks in between (a self-wake would be re-polled at once by the same thread).
async fn handed_off() {
    use std::collections::VecDeque;
    use std::sync::{Condvar, Mutex, OnceLock};
    use std::task::Waker;
    static QUEUE: OnceLock<(Mutex<VecDeque<Waker>>, Condvar)> = OnceLock::new();
    let q = QUEUE.get_or_init(|| {
        std::thread::spawn(|| {
            let (m, cv) = QUEUE.get().unwrap();
            loop {
                let w = {
                    let mut g = m.lock().unwrap();
                    while g.is_empty() {
                        g = cv.wait(g).unwrap();
                    }
                    g.pop_front().unwrap()
                };
                w.wake();
            }
        });
        (Mutex::new(VecDeque::new()), Condvar::new())
    });
    let mut queued = false;
    futures::future::poll_fn(move |cx| {
        if queued {
            return std::task::Poll::Ready(());
        }
        queued = true;
        q.0.lock().unwrap().push_back(cx.waker().clone());
        q.1.notify_one();
        std::task::Poll::Pending
    })
    .await
}

fn pool_yield() -> futures::future::BoxFuture<'static, ()> {
    Box::pin(handed_off())
}

#[test]
fn the_futures_thread_pool_too() {
    let pool = futures::executor::ThreadPool::builder()
        .pool_size(4)
        .create()
        .unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = std::sync::mpsc::channel();
    for id in 0..TASKS as i64 {
        let tx = tx.clone();
        let done = Arc::clone(&done);
        pool.spawn_ok(async move {
            let w = task(id, pool_yield).await;
            done.fetch_add(1, Ordering::Relaxed);
            tx.send(w).unwrap();
        });
    }
    drop(tx);
    let mut wrong = 0;
    for _ in 0..TASKS {
        // A bounded wait: a task that never reports fails the test instead of hanging it.
        wrong += rx
            .recv_timeout(Duration::from_secs(60))
            .expect("a task did not finish");
    }
    assert_eq!(done.load(Ordering::Relaxed), TASKS);
    assert_eq!(wrong, 0);
}

#[test]
fn a_scope_entered_before_block_on_is_seen_inside() {
    with_params! {
        @set outer.v = 5;
        let v = futures::executor::block_on(async {
            with_params! {
                @set inner.v = 6;
                futures::pending_once().await;
                get_param!(outer.v, 0) + get_param!(inner.v, 0)
            }
        });
        assert_eq!(v, 11);
        assert_eq!(get_param!(outer.v, 0), 5);
        assert_eq!(get_param!(inner.v, 0), 0);
    }
}
