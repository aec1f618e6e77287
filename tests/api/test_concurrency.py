"""Isolation across threads and asyncio tasks; the frozen snapshot (DESIGN §4)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from hyperparameter import auto_param, param_scope


def run_in_thread(fn: object) -> object:
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(fn()))  # type: ignore[operator]
    t.start()
    t.join(timeout=30)
    return out[0]


def test_threads_do_not_see_each_others_scopes() -> None:
    with param_scope(x=1):
        assert run_in_thread(lambda: param_scope.x | 0) == 0
        param_scope.y = 2
        assert run_in_thread(lambda: param_scope.y | 0) == 0


def test_threads_run_concurrently_isolated() -> None:
    barrier = threading.Barrier(8, timeout=30)
    errors: list[str] = []

    def worker(i: int) -> None:
        with param_scope(**{"w.id": i}):
            barrier.wait()
            for _ in range(200):
                param_scope.w.n = i
                if param_scope.w.id() != i or param_scope.w.n() != i:
                    errors.append(f"thread {i} saw another thread's value")
            barrier.wait()
        if param_scope.w.id | -1 != -1:
            errors.append(f"thread {i}: scope not rolled back")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []


def test_frozen_is_seen_by_threads_started_later() -> None:
    with param_scope(**{"f.v": 1}):
        assert run_in_thread(lambda: param_scope.f.v | 0) == 0
        param_scope.frozen()
    assert run_in_thread(lambda: param_scope.f.v | 0) == 1


def test_executor_workers_see_the_snapshot_current_at_task_start() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert pool.submit(lambda: param_scope.e.v | 0).result(timeout=30) == 0
        with param_scope(**{"e.v": 1}):
            param_scope.frozen()
        assert pool.submit(lambda: param_scope.e.v | 0).result(timeout=30) == 1
        with param_scope(**{"e.v": 2}):
            param_scope.frozen()
        results = [pool.submit(lambda: param_scope.e.v | 0).result(timeout=30) for _ in range(8)]
        assert results == [2] * 8


def test_task_inherits_parent_values_at_creation_and_never_leaks_back() -> None:
    async def child(i: int) -> tuple[int, int]:
        seen = param_scope.p.v | -1
        param_scope.p.v = 100 + i  # bare write: the task's own overlay
        with param_scope(**{"p.w": i}):
            await asyncio.sleep(0)
            param_scope.p.v = 200 + i  # write inside the task's own scope
            await asyncio.sleep(0)
            mine = param_scope.p.w()
        assert param_scope.p.v() == 100 + i
        assert mine == i
        return seen, param_scope.p.v()

    async def main() -> None:
        with param_scope(**{"p.v": 1}):
            tasks = [asyncio.create_task(child(i)) for i in range(1000)]
            param_scope.p.v = 2  # after creation: the children keep what they inherited
            results = await asyncio.gather(*tasks)
            assert param_scope.p.v() == 2
            assert not param_scope.p.w
        assert [r[0] for r in results] == [1] * 1000
        assert [r[1] for r in results] == [100 + i for i in range(1000)]
        assert param_scope.p.v | 0 == 0

    asyncio.run(main())


def test_sibling_tasks_are_isolated() -> None:
    async def writer(ev: asyncio.Event) -> None:
        param_scope.s.v = 1
        ev.set()
        await asyncio.sleep(0.01)

    async def reader(ev: asyncio.Event) -> int:
        await ev.wait()
        return param_scope.s.v | 0

    async def main() -> None:
        ev = asyncio.Event()
        _, seen = await asyncio.gather(writer(ev), reader(ev))
        assert seen == 0
        assert param_scope.s.v | 0 == 0

    asyncio.run(main())


def test_auto_param_in_tasks() -> None:
    @auto_param("t")
    async def job(n: int = 0) -> int:
        await asyncio.sleep(0)
        return n

    async def one(i: int) -> int:
        with param_scope(**{"t.n": i}):
            return await job()

    async def main() -> list[int]:
        return await asyncio.gather(*(one(i) for i in range(200)))

    assert asyncio.run(main()) == list(range(200))


@pytest.mark.slow
def test_many_threads_many_scopes() -> None:
    def worker(i: int) -> bool:
        ok = True
        for j in range(500):
            with param_scope(**{"m.i": i, "m.j": j}):
                param_scope.m.k = i * j
                ok &= (param_scope.m.i(), param_scope.m.j(), param_scope.m.k()) == (i, j, i * j)
            ok &= not param_scope.m.i
        return ok

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert all(pool.map(worker, range(16), timeout=120))
