"""One scope object entered by many threads and tasks at once (DESIGN §4).

A module-level scope (``DEBUG = param_scope(**{"log.level": "debug"})``, then ``with DEBUG:``
in a request handler) is a normal pattern: entering and leaving keep no state in the object,
so every thread and task leaves its own frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import AsyncIterator

import pydantic
import pytest

from hyperparameter import ScopeError, param_scope, storage

DEBUG = param_scope(**{"log.level": "debug"})


class SlowModel(pydantic.BaseModel):
    lr: float = 0.1

    @pydantic.field_validator("lr")
    @classmethod
    def _slow(cls, v: float) -> float:
        time.sleep(0.0005)  # releases the GIL: another thread enters the same object meanwhile
        return v


class SlowCfg(pydantic.BaseModel):
    model: SlowModel = pydantic.Field(default_factory=SlowModel)


def _check_outside(errors: list[str], who: str) -> None:
    if storage.depth() != 0 or (param_scope.log.level | "") != "":
        errors.append(f"{who}: a frame is left behind")


def test_interleaved_exits_of_one_object_in_two_threads() -> None:
    # Thread A enters, thread B enters, A leaves, B leaves: each leaves its own frame.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def a() -> None:
        with DEBUG:
            a_in.set()
            b_in.wait(10)
        seen["a after"] = param_scope.log.level | "none"
        a_out.set()

    def b() -> None:
        a_in.wait(10)
        with DEBUG:
            b_in.set()
            a_out.wait(10)
            seen["b inside"] = param_scope.log.level | "none"
        seen["b after"] = param_scope.log.level | "none"

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert seen == {"a after": "none", "b inside": "debug", "b after": "none"}


def test_interleaved_exits_of_one_object_in_two_tasks() -> None:
    async def user(entered: asyncio.Event, leave: asyncio.Event) -> tuple[str, str]:
        with DEBUG:
            entered.set()
            await leave.wait()
            inside = param_scope.log.level | "none"
        return inside, param_scope.log.level | "none"

    async def main() -> list[tuple[str, str]]:
        e1, e2, l1, l2 = (asyncio.Event() for _ in range(4))
        t1 = asyncio.create_task(user(e1, l1))
        t2 = asyncio.create_task(user(e2, l2))
        await e1.wait()
        await e2.wait()
        l1.set()  # the first to enter leaves first, while the second is still inside
        r1 = await t1
        l2.set()
        return [r1, await t2]

    assert asyncio.run(main()) == [("debug", "none"), ("debug", "none")]


def test_one_object_shared_by_threads_and_tasks_under_a_slow_typed_scope() -> None:
    # The stress: threads x tasks x one shared object, entered under a typed scope
    # whose validator is slow (the native Scope once held a borrow across that call).
    shared = param_scope(**{"model.lr": 0.5})
    errors: list[str] = []
    barrier = threading.Barrier(6, timeout=60)

    async def task(i: int) -> None:
        rng = random.Random(i)
        for _ in range(15):
            with shared:
                if param_scope.model.lr() != 0.5:
                    errors.append(f"task {i}: wrong value inside")
                await asyncio.sleep(rng.random() * 0.001)
                with param_scope(**{"who": i}):
                    await asyncio.sleep(0)
                    if param_scope.who() != i:
                        errors.append(f"task {i}: saw another task's value")
            if param_scope.model.lr() != 0.1:
                errors.append(f"task {i}: value not rolled back")

    def thread(i: int) -> None:
        barrier.wait()
        try:
            with param_scope(SlowCfg()) as ps:
                for _ in range(10):
                    with shared:
                        if ps.model.lr != 0.5:
                            errors.append(f"thread {i}: typed read inside")
                    if ps.model.lr != 0.1:
                        errors.append(f"thread {i}: typed read after")

                async def many() -> None:
                    await asyncio.gather(*(task(100 * i + j) for j in range(4)))

                asyncio.run(many())
        except Exception as e:  # a PanicException or ScopeError would land here
            errors.append(f"thread {i}: {type(e).__name__}: {e}")
        _check_outside(errors, f"thread {i}")

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert storage.depth() == 0


def test_reentering_one_object_nests() -> None:
    with DEBUG:
        with DEBUG:
            assert storage.depth() == 2
        assert storage.depth() == 1
        assert param_scope.log.level() == "debug"
    assert storage.depth() == 0


def test_misordered_exits_are_still_refused_in_one_context() -> None:
    outer, inner = param_scope(a=1), param_scope(a=2)
    outer.__enter__()
    inner.__enter__()
    with pytest.raises(ScopeError, match="unbalanced scope exit"):
        outer.__exit__(None, None, None)
    inner.__exit__(None, None, None)
    outer.__exit__(None, None, None)


def test_a_task_may_leave_a_frame_it_inherited_without_touching_its_parent() -> None:
    # The frame belongs to the object, not to a context: a child context leaving it goes back
    # to what was under it there; the parent's context is a different context and keeps it.
    async def main() -> tuple[str, str, str]:
        DEBUG.__enter__()

        async def child() -> str:
            DEBUG.__exit__(None, None, None)
            return param_scope.log.level | "none"

        in_child = await asyncio.create_task(child())
        in_parent = param_scope.log.level | "none"
        DEBUG.__exit__(None, None, None)
        return in_child, in_parent, param_scope.log.level | "none"

    assert asyncio.run(main()) == ("none", "debug", "none")


async def _two() -> AsyncIterator[int]:
    with param_scope(**{"g": 1}):
        yield 1
        yield 2


def test_an_abandoned_async_generator_keeps_its_scope_in_the_consumer() -> None:
    # The documented limit (docs/reliability.md): Python gives a generator no context of its
    # own, so a generator left inside its `with` by `break` keeps that scope entered in the
    # task that iterated it, until the task ends; the loop's later aclose() leaves it
    # elsewhere, quietly. contextlib.aclosing() closes it in place.
    loop_errors: list[object] = []

    async def consumer() -> tuple[int, int, int]:
        async for _ in _two():
            break
        first = param_scope.g | 0
        await asyncio.sleep(0.01)  # the loop's finalizer has run aclose() by now
        return first, param_scope.g | 0, storage.depth()

    async def closed() -> tuple[int, int]:
        async with contextlib.aclosing(_two()) as it:
            async for _ in it:
                break
        return param_scope.g | 0, storage.depth()

    async def enclosed() -> None:
        with param_scope(outer=1):
            async for _ in _two():
                break

    async def main() -> tuple[object, ...]:
        asyncio.get_running_loop().set_exception_handler(lambda _l, c: loop_errors.append(c))
        a = await asyncio.create_task(consumer())
        b = await asyncio.create_task(closed())
        with pytest.raises(ScopeError, match=r"the innermost scope, param_scope\(g\), was entered"):
            await asyncio.create_task(enclosed())
        after = await asyncio.create_task(asyncio.sleep(0, param_scope.g | 0))
        return a, b, after

    assert asyncio.run(main()) == ((1, 1, 1), (0, 0), 0)
    assert loop_errors == []
