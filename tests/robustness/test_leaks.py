"""Lifetime (``slow``): no memory growth over long runs, frames released when their thread or
task ends, and a panic inside the Rust extension surfacing as a Python exception.

The long runs execute in a subprocess on the active backend, which reports its resident set
size after a warm-up and at the end; growth must stay under ``GROWTH_LIMIT``. Counts: 1,000,000
enter/exit cycles and 1,000,000 ``@auto_param`` calls on both backends (the Python backend
takes ~6 s for the cycles on the reference 2-core machine; see docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import gc
import json
import textwrap
import threading
import weakref
from typing import Any

import pytest
from subproc import run_python

import hyperparameter as hp
from hyperparameter import storage

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

CYCLES = 1_000_000
CALLS = 1_000_000
GROWTH_LIMIT = 4 * 2**20  # "within a few MB after warm-up"

LONG_RUN = """
import gc, json, os, sys
import hyperparameter as hp

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def measure(body, n, warm):
    body(warm)  # warm-up: caches, arenas, the accessor table
    gc.collect()
    before = rss()
    body(n)
    gc.collect()
    return {"before": before, "after": rss(), "n": n}
"""


def long_run(body: str, n: int, warm: int | None = None) -> dict[str, int]:
    """Runs ``LONG_RUN`` + ``body`` (which defines ``work(n)``) in a subprocess: ``warm``
    iterations (default n / 10), then ``n`` measured ones."""
    run = "\nprint(json.dumps(measure(work, int(sys.argv[1]), int(sys.argv[2]))))"
    code = LONG_RUN + textwrap.dedent(body) + run
    warm = n // 10 if warm is None else warm
    done = run_python(code, str(n), str(warm), warnings_are_errors=True, timeout=170)
    assert done.returncode == 0, done.stderr
    result: dict[str, int] = json.loads(done.stdout)
    return result


def assert_flat(result: dict[str, int]) -> None:
    growth = result["after"] - result["before"]
    assert growth < GROWTH_LIMIT, f"RSS grew by {growth / 2**20:.1f} MiB over {result['n']:,}"


def test_1m_enter_exit_cycles_hold_rss_flat() -> None:
    assert_flat(
        long_run(
            """
            def work(n):
                for i in range(n):
                    with hp.param_scope(**{"leak.i": i, "leak.s": "text"}):
                        hp.param_scope.leak.i | 0  # a read: the cache refers to this frame
            """,
            CYCLES,
        )
    )


def test_1m_auto_param_calls_hold_rss_flat() -> None:
    assert_flat(
        long_run(
            """
            @hp.auto_param("leak")
            def f(a: int = 0, b: float = 1.0, c: str = "x"):
                return a

            def work(n):
                total = 0
                for block in range(n // 1000):  # a new scope (new cached values) per block
                    with hp.param_scope(**{"leak.a": block, "leak.b": "2.5"}):
                        for _ in range(1000):
                            total += f()
                return total
            """,
            CALLS,
        )
    )


def test_distinct_keys_hold_rss_flat() -> None:
    # New keys every iteration: the key-hash and accessor tables (65,536 entries each, emptied
    # when full) fill and empty twice during the warm-up (the first refill after emptying
    # costs ~3 MiB once: the allocator's arenas) and twice during the run, so both
    # measurements see them in the same state; nothing else may grow.
    cycle = 1 << 16
    assert_flat(
        long_run(
            """
            def work(n):
                base = work.start
                work.start += n
                for i in range(base, base + n):
                    with hp.param_scope(**{f"k{i}.v": i}) as ps:
                        ps["w"] = i
                        hp.param_scope[f"k{i}.v"]()
            work.start = 0
            """,
            2 * cycle,
            warm=2 * cycle,
        )
    )


# ------------------------------------------------------------------------------ lifetime


class Payload:
    """A stored object we can watch die."""


def _thread_leaves_behind(read: bool) -> list[weakref.ref[Payload]]:
    """Runs 20 threads that store objects in their frames (and read them back through the
    accessor when ``read``), then gives weak references to the objects after they exit."""
    refs: list[weakref.ref[Payload]] = []

    def body() -> None:
        root, scoped, written = Payload(), Payload(), Payload()
        refs.extend(weakref.ref(x) for x in (root, scoped, written))
        hp.param_scope.life.root = root  # the thread's root frame
        scope = hp.param_scope(**{"life.scoped": scoped})
        scope.__enter__()  # never exited: the thread just ends
        hp.param_scope.life.written = written
        if read:
            assert hp.param_scope.life.written() is written
            assert storage.TLSKVStorage().get("life.root") is root

    for _ in range(20):
        t = threading.Thread(target=body)
        t.start()
        t.join(timeout=30)
    gc.collect()
    assert len(refs) == 60
    return refs


def test_a_thread_that_exits_releases_its_frames() -> None:
    assert [r() is not None for r in _thread_leaves_behind(read=False)] == [False] * 60


def test_a_thread_that_exits_releases_its_frames_after_accessor_reads() -> None:
    # Read caches hold frames weakly and keep only the last value read through them: every
    # frame is released, and the one value cached by `life.written` goes at its next read.
    refs = _thread_leaves_behind(read=True)
    assert [r() is not None for r in refs] == [False] * 59 + [True]
    assert (hp.param_scope.life.written | None) is None
    gc.collect()
    assert refs[-1]() is None


def test_typed_fields_and_auto_param_hold_no_frame() -> None:
    refs: list[weakref.ref[Payload]] = []

    @hp.auto_param("life")
    def f(obj: object = None, other: int = 0) -> object:
        return obj

    def body() -> None:
        big, obj = Payload(), Payload()
        refs.extend([weakref.ref(big), weakref.ref(obj)])
        outer = hp.param_scope(**{"life.obj": obj, "life.big": big})
        with outer, hp.param_scope(**{"life.other": 1}):
            assert f() is obj  # cached: the inner frame, holding life.obj's value

    t = threading.Thread(target=body)
    t.start()
    t.join(timeout=30)
    gc.collect()
    assert [r() is not None for r in refs] == [False, True]  # the frames are gone
    assert f() is None
    gc.collect()
    assert refs[1]() is None


def test_a_finished_task_releases_its_frames() -> None:
    refs: list[weakref.ref[Payload]] = []

    async def task() -> None:
        obj = Payload()
        refs.append(weakref.ref(obj))
        hp.param_scope.life.task = obj  # the task's own overlay
        await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(*(task() for _ in range(100)))

    asyncio.run(main())
    gc.collect()
    assert [r() for r in refs] == [None] * 100


def test_a_replaced_snapshot_releases_its_values() -> None:
    obj = Payload()
    ref = weakref.ref(obj)
    with hp.param_scope(**{"life.snap": obj}):
        hp.param_scope.frozen()
    del obj
    assert ref() is not None  # held by the snapshot
    with hp.param_scope.empty(other=1):
        hp.param_scope.frozen()  # an empty() scope hides the old snapshot: replaced
    gc.collect()
    assert ref() is None


def test_exited_scopes_hold_nothing() -> None:
    obj = Payload()
    ref = weakref.ref(obj)
    scope = hp.param_scope(**{"life.x": 1})
    with scope:
        hp.param_scope.life.obj = obj
    del obj
    gc.collect()
    assert ref() is None
    del scope


THREADS_AT_EXIT = """
import threading, time
import hyperparameter as hp

class Noisy:
    def __del__(self):
        hp.param_scope.x | 0  # finalizers that read the store run during teardown

def forever():
    s = hp.param_scope(**{"d.obj": Noisy()})
    s.__enter__()
    hp.param_scope.d.root = Noisy()
    time.sleep(3600)

def finishes():
    hp.param_scope.d.root = Noisy()

threading.Thread(target=forever, daemon=True).start()
t = threading.Thread(target=finishes); t.start(); t.join()
time.sleep(0.05)
print("exit")
"""


def test_interpreter_exit_with_threads_holding_frames() -> None:
    done = run_python(THREADS_AT_EXIT)
    assert (done.returncode, done.stdout.strip()) == (0, "exit"), done.stderr
    assert "Fatal" not in done.stderr
    assert "panicked" not in done.stderr


# -------------------------------------------------------------------------------- panics


def test_a_rust_panic_is_a_python_exception_every_time() -> None:
    from hyperparameter import _core  # built with the package whichever backend runs

    for i in range(1000):
        with pytest.raises(BaseException, match=f"boom {i}") as info:
            _core._debug_panic(f"boom {i}")
        assert type(info.value).__name__ == "PanicException"
    with hp.param_scope(alive=1):
        assert hp.param_scope.alive() == 1


def test_a_panic_in_a_thread_stays_in_that_thread() -> None:
    from hyperparameter import _core

    caught: list[Any] = []

    def body() -> None:
        with hp.param_scope(**{"p.t": 1}):
            try:
                _core._debug_panic("in a thread")
            except BaseException as e:
                caught.append((type(e).__name__, hp.param_scope.p.t()))

    t = threading.Thread(target=body)
    t.start()
    t.join(timeout=30)
    assert caught == [("PanicException", 1)]


PANIC_UNCAUGHT = """
import threading
from hyperparameter import _core
import hyperparameter as hp
t = threading.Thread(target=_core._debug_panic, args=("uncaught in a thread",))
t.start(); t.join()
with hp.param_scope(x=1):
    print("still running", hp.param_scope.x())
_core._debug_panic("uncaught in the main thread")
"""


def test_an_uncaught_panic_is_a_traceback_not_an_abort() -> None:
    done = run_python(PANIC_UNCAUGHT)
    assert done.stdout.strip() == "still running 1"
    assert done.returncode == 1  # a Python traceback, not a signal (which would be < 0)
    assert "PanicException: uncaught in the main thread" in done.stderr
    assert "uncaught in a thread" in done.stderr
