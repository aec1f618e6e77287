"""Concurrency stress (``slow``; ``.ci/run`` runs it): many threads and asyncio tasks entering,
writing, reading and leaving scopes at once, executor pools reused across jobs, and
``frozen()`` racing with readers. Every read is checked against the value its own thread or
task must see — no value ever leaks across threads or tasks — and every test has a timeout,
so a deadlock fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextvars
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from subproc import run_python

import hyperparameter as hp
from hyperparameter import storage

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

THREADS, CYCLES = 32, 10_000
LOOPS, TASKS_PER_LOOP = 4, 1_250
MISSING: Any = object()


def run_threads(n: int, target: Any) -> list[Any]:
    """Runs ``target(i)`` in ``n`` threads started together; returns their results."""
    results: list[Any] = [MISSING] * n
    barrier = threading.Barrier(n, timeout=60)

    def body(i: int) -> None:
        barrier.wait()
        try:
            results[i] = target(i)
        except BaseException as e:  # reported below
            results[i] = e

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=100)
        assert not t.is_alive(), "a thread is stuck (deadlock?)"
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


def test_32_threads_x_10000_scope_cycles() -> None:
    def worker(i: int) -> int:
        bad = 0
        acc = hp.param_scope.t
        for j in range(CYCLES):
            with hp.param_scope(**{"t.id": i, "t.j": j}) as ps:
                ps.t.w = i * CYCLES + j  # a write into this thread's innermost frame
                if (acc.id(), acc.j(), acc.w()) != (i, j, i * CYCLES + j):
                    bad += 1
                if j % 50 == 0:
                    with hp.param_scope(**{"t.j": -j}):
                        bad += acc.j() != -j or acc.id() != i
                    bad += acc.j() != j
            if j % 50 == 0:
                bad += (acc.id | -1) != -1 or (acc.w | -1) != -1  # rolled back
        return bad

    assert run_threads(THREADS, worker) == [0] * THREADS
    assert storage.depth() == 0


def test_5000_tasks_with_nested_scopes_on_4_event_loop_threads() -> None:
    def loop_thread(k: int) -> list[str]:
        problems: list[str] = []

        async def task(n: int) -> None:
            inherited = hp.param_scope.k.parent()
            with hp.param_scope(**{"k.loop": k, "k.task": n}):
                await asyncio.sleep(0)
                hp.param_scope.k.own = n
                with hp.param_scope(**{"k.inner": n}):
                    await asyncio.sleep(0)
                    seen = (hp.param_scope.k.loop(), hp.param_scope.k.task(),
                            hp.param_scope.k.own(), hp.param_scope.k.inner())  # fmt: skip
                    if seen != (k, n, n, n) or inherited != k:
                        problems.append(f"loop {k} task {n} saw {seen}")
                await asyncio.sleep(0)
                if hp.param_scope.k.inner | None is not None:
                    problems.append(f"task {n}: inner scope leaked")
            hp.param_scope.k.bare = n  # the task's own root overlay
            await asyncio.sleep(0)
            if hp.param_scope.k.bare() != n:
                problems.append(f"task {n}: a sibling's bare write leaked in")

        async def main() -> None:
            with hp.param_scope(**{"k.parent": k}):
                await asyncio.gather(*(task(n) for n in range(TASKS_PER_LOOP)))
                if hp.param_scope.k.bare | None is not None:
                    problems.append(f"loop {k}: a task's bare write leaked up")
                if hp.param_scope.k.own | None is not None:
                    problems.append(f"loop {k}: a task's scoped write leaked up")

        asyncio.run(main())
        return problems

    assert run_threads(LOOPS, loop_thread) == [[]] * LOOPS


def test_thread_pools_reused_across_jobs_start_clean() -> None:
    def job(n: int) -> tuple[int, Any, int]:
        depth = storage.depth()
        before = hp.param_scope.pool.job | None
        with hp.param_scope(**{"pool.job": n}), hp.param_scope(**{"pool.inner": n}):
            mine = hp.param_scope.pool.job()
        return depth, before, mine

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(job, range(4000), timeout=100))
    assert results == [(0, None, n) for n in range(4000)]


def test_context_carrying_executors_see_the_caller_and_leave_the_worker_clean() -> None:
    async def main() -> list[Any]:
        out = []
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=2) as pool:
            for n in range(200):
                with hp.param_scope(**{"ex.n": n}):
                    ctx = contextvars.copy_context()
                    out.append(
                        await loop.run_in_executor(pool, ctx.run, lambda: hp.param_scope.ex.n())
                    )
                    out.append(await asyncio.to_thread(lambda: hp.param_scope.ex.n()))
                out.append(await loop.run_in_executor(pool, lambda: hp.param_scope.ex.n | None))
        return out

    results = asyncio.run(main())
    assert results == [v for n in range(200) for v in (n, n, None)]


def test_frozen_races_with_readers() -> None:
    interval = sys.getswitchinterval()
    readers, least_reads, least_rounds = 8, 3000, 2000
    progress = [0] * readers
    start = threading.Barrier(readers + 1, timeout=60)
    done = threading.Event()
    rounds = [0]

    def freezer() -> None:
        start.wait()
        k = 0
        while k < least_rounds or min(progress) < least_reads:
            k += 1
            with hp.param_scope(**{"f.v": k}):
                hp.param_scope.frozen()
        rounds[0] = k
        done.set()

    def reader(i: int) -> list[str]:
        problems = []
        last = 0
        start.wait()
        with hp.param_scope(**{"f.mine": i}):
            while True:
                finished = done.is_set()
                v = hp.param_scope.f.v | 0
                if v < last:
                    problems.append(f"reader {i}: {last} then {v}")
                last = v
                if hp.param_scope.f.mine() != i:
                    problems.append(f"reader {i}: own value lost")
                progress[i] += 1
                if finished:
                    break
        if last != rounds[0]:
            problems.append(f"reader {i} ended at {last}, not {rounds[0]}")
        return problems

    threads = [threading.Thread(target=freezer)]
    results: list[Any] = [None] * readers

    def body(i: int) -> None:
        results[i] = reader(i)

    threads += [threading.Thread(target=body, args=(i,)) for i in range(readers)]
    sys.setswitchinterval(1e-5)  # hand the GIL over as often as possible
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=100)
            assert not t.is_alive(), "a thread is stuck (deadlock?)"
    finally:
        sys.setswitchinterval(interval)
    assert results == [[]] * readers
    assert min(progress) >= least_reads
    assert rounds[0] >= least_rounds
    assert hp.param_scope.f.v() == rounds[0]


def test_frozen_and_effective_from_many_threads_at_once() -> None:
    def worker(i: int) -> int:
        for j in range(300):
            with hp.param_scope(**{f"g.t{i}": j}):
                hp.param_scope.frozen()
                keys = hp.param_scope().keys()
                assert f"g.t{i}" in keys
        return i

    assert run_threads(16, worker) == list(range(16))


DEL_READS_THE_STORE = """
import hyperparameter as hp
class Reader:
    def __del__(self):
        hp.param_scope.x | 0   # runs when the snapshot holding it is replaced
with hp.param_scope(obj=Reader()):
    hp.param_scope.frozen()
hp.param_scope.frozen()          # the new snapshot still holds the Reader
from hyperparameter import storage
storage.reset_snapshot()         # drops it: __del__ reads the store
print("ok")
"""


def test_a_value_whose_finalizer_reads_the_store_can_leave_the_snapshot() -> None:
    try:
        done = run_python(DEL_READS_THE_STORE, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("deadlock: the process did not finish in 30 s")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# A thread switch can fall between a cached read's store lookup and the moment it files the
# value; `_frame_ref` is a Python call there, so patching it stands in for the switch.


def _freeze_elsewhere_during(module: Any, monkeypatch: pytest.MonkeyPatch, value: int) -> None:
    real = module._frame_ref

    def frame_ref(frame: Any) -> Any:
        def other() -> None:
            with hp.param_scope(x=value):
                hp.param_scope.frozen()

        t = threading.Thread(target=other)
        t.start()
        t.join(timeout=30)
        monkeypatch.setattr(module, "_frame_ref", real)
        return real(frame)

    monkeypatch.setattr(module, "_frame_ref", frame_ref)


def test_a_freeze_racing_a_cached_read_is_never_cached_as_current(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hyperparameter.api import accessor as api

    with hp.param_scope(x=1):
        hp.param_scope.frozen()
    acc = hp.param_scope.x
    _freeze_elsewhere_during(api, monkeypatch, 2)
    assert acc | 0 == 1  # the value when it was read
    assert acc | 0 == 2  # the freeze that happened meanwhile is seen at once
    assert acc() == 2


def test_a_freeze_racing_a_typed_read_is_never_cached_as_current(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dataclasses

    from hyperparameter.schema import views as _views

    @dataclasses.dataclass
    class Cfg:
        x: int = 0

    with hp.param_scope(Cfg(x=1)) as view:
        hp.param_scope.frozen()
    _freeze_elsewhere_during(_views, monkeypatch, 2)
    assert view.x == 1
    assert view.x == 2
