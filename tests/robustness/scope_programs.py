"""Scope programs: random sequences of enter / write / read / exit / clear, spread over threads
and asyncio tasks, run against the real store and against a small reference model.

A program is plain data (JSON-able, so another process can run it on the other backend):

- ``("read", key)`` — ``param_scope[key]()``, recorded as the value or ``MISSING``
- ``("write", key, value)`` — ``param_scope[key] = value`` (into the innermost frame)
- ``("scope", kind, [[key, value], ...], block)`` — ``with param_scope(...)``: ``kind`` is
  ``"kwargs"`` (dotted keywords), ``"strings"`` (``"key=value"`` raw text) or ``"empty"``
  (``param_scope.empty(...)``, hiding everything inherited)
- ``("clear",)`` — ``ps.clear()`` on the innermost ``with`` handle (only inside a scope)
- ``("thread", block)`` / ``("task", block)`` — run ``block`` in a new thread (which starts
  with no frames) or a new asyncio task (which starts from a copy of its creator's frames);
  joined / awaited at the end of the enclosing block
- ``("pause",)`` — ``await asyncio.sleep(0)``, to interleave tasks

Values are ints, strings, floats, None, lists, nested dicts and ``{"obj": n}`` (the n-th
sentinel object of a run: reads must return that very object). Every read's result is
recorded under the path of the block that made it; the result of a run is
``{path: [result, ...]}``, in program order within each path.
"""

from __future__ import annotations

import asyncio
import copy
import json
import random
import threading
from typing import Any

import hyperparameter as hp
from hyperparameter.errors import MissingParameterError

KEYS = ["a", "b", "a.b", "a.c", "m.lr", "m.layers", "x", "x.0", "x.0.p", "long-key.v_2"]
MISSING = "<missing>"

Block = list[Any]
Trace = dict[str, list[Any]]


class Objects:
    """The sentinel objects of one run: ``{"obj": n}`` in a program is ``objects[n]``."""

    def __init__(self) -> None:
        self.items: dict[int, object] = {}

    def get(self, n: int) -> object:
        return self.items.setdefault(n, type(f"Sentinel{n}", (), {})())

    def decode(self, value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"obj"}:
                return self.get(value["obj"])
            return {k: self.decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        return value

    def encode(self, value: Any) -> Any:
        """A read result as JSON-able data (sentinels by number, checked by identity)."""
        for n, obj in self.items.items():
            if value is obj:
                return {"obj": n}
        if isinstance(value, list):
            return [self.encode(v) for v in value]
        if isinstance(value, dict):
            return {k: self.encode(v) for k, v in value.items()}
        return value


# --------------------------------------------------------------------------------- real


def run(program: Block, prologue: list[list[Any]] | None = None) -> Trace:
    """Runs ``program`` on the active backend, in a fresh thread (so the caller's frames do
    not leak in); ``prologue`` entries are frozen into the snapshot first."""
    objects = Objects()
    trace: Trace = {}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def main() -> None:
        try:
            if prologue:
                with hp.param_scope(**{k: objects.decode(v) for k, v in prologue}):
                    hp.param_scope.frozen()
            asyncio.run(_block(program, "m", None, objects, trace, lock, errors))
        except BaseException as e:  # reported to the caller
            errors.append(e)

    t = threading.Thread(target=main)
    t.start()
    t.join(timeout=120)
    if t.is_alive():
        raise TimeoutError("scope program did not finish in 120 s")
    if errors:
        raise errors[0]
    return {path: [objects.encode(v) for v in reads] for path, reads in trace.items()}


def _read(key: str) -> Any:
    try:
        return hp.param_scope[key]()
    except MissingParameterError:
        return MISSING


def _scope(kind: str, entries: list[list[Any]], objects: Objects) -> Any:
    if kind == "strings":
        return hp.param_scope(*(f"{k}={v}" for k, v in entries))
    kw = {k: objects.decode(v) for k, v in entries}
    return hp.param_scope.empty(**kw) if kind == "empty" else hp.param_scope(**kw)


async def _block(
    block: Block,
    path: str,
    handle: Any,
    objects: Objects,
    trace: Trace,
    lock: threading.Lock,
    errors: list[BaseException],
) -> None:
    threads: list[threading.Thread] = []
    tasks: list[asyncio.Task[None]] = []
    for i, item in enumerate(block):
        op = item[0]
        here = f"{path}.{i}"
        if op == "read":
            value = _read(item[1])
            with lock:
                trace.setdefault(path, []).append(value)
        elif op == "write":
            hp.param_scope[item[1]] = objects.decode(item[2])
        elif op == "scope":
            with _scope(item[1], item[2], objects) as ps:
                await _block(item[3], here, ps, objects, trace, lock, errors)
        elif op == "clear":
            handle.clear()
        elif op == "pause":
            await asyncio.sleep(0)
        elif op == "thread":

            def body(sub: Block = item[1], where: str = here) -> None:
                try:
                    asyncio.run(_block(sub, where, None, objects, trace, lock, errors))
                except BaseException as e:
                    errors.append(e)

            t = threading.Thread(target=body)
            t.start()
            threads.append(t)
        elif op == "task":
            tasks.append(
                asyncio.create_task(_block(item[1], here, None, objects, trace, lock, errors))
            )
        else:
            raise ValueError(f"unknown op {op!r}")
    if tasks:
        await asyncio.gather(*tasks)
    for t in threads:
        t.join(timeout=60)
        if t.is_alive():
            raise TimeoutError(f"thread {path} did not finish")


# -------------------------------------------------------------------------------- model


class _Frame:
    def __init__(self, entries: dict[str, Any], opaque: bool) -> None:
        self.entries = entries
        self.opaque = opaque


def flatten(key: str, value: Any, out: dict[str, Any]) -> None:
    """The store's flattening (docs/decisions.md): mappings by leaf (an empty one is a leaf),
    lists whole and by index, group items by their leaves too."""
    if isinstance(value, dict) and value and set(value) != {"obj"}:
        for k, v in value.items():
            flatten(f"{key}.{k}", v, out)
        return
    out[key] = value
    if isinstance(value, list):
        for i, item in enumerate(value):
            out[f"{key}.{i}"] = item  # each item whole, and a group item by its leaves too
            flatten(f"{key}.{i}", item, out)


def model(program: Block, prologue: list[list[Any]] | None = None) -> Trace:
    """What ``run`` must return, computed by a plain interpreter: a context is a list of
    frames; threads start empty, tasks from a copy of their creator's frames."""
    snapshot: dict[str, Any] = {}
    for k, v in prologue or []:
        flatten(k, v, snapshot)
    trace: Trace = {}

    def read(frames: list[_Frame], key: str) -> Any:
        for f in reversed(frames):
            if key in f.entries:
                return f.entries[key]
            if f.opaque:
                return MISSING
        return snapshot.get(key, MISSING)

    def block(items: Block, path: str, frames: list[_Frame]) -> None:
        for i, item in enumerate(items):
            op = item[0]
            here = f"{path}.{i}"
            if op == "read":
                trace.setdefault(path, []).append(read(frames, item[1]))
            elif op == "write":
                flat: dict[str, Any] = {}
                flatten(item[1], item[2], flat)
                if not frames:
                    frames.append(_Frame({}, False))  # the context's root frame
                frames[-1].entries.update(flat)
            elif op == "scope":
                kind, entries = item[1], item[2]
                flat = {}
                for k, v in entries:
                    if kind == "strings":
                        flat[k] = v  # raw "k=v" text reads back as the YAML scalar: the int
                    else:
                        flatten(k, v, flat)
                frames.append(_Frame(flat, kind == "empty"))
                block(item[3], here, frames)
                frames.pop()
            elif op == "clear":
                frames[-1] = _Frame({}, True)
            elif op == "thread":
                block(item[1], here, [])
            elif op == "task":
                block(item[1], here, copy.deepcopy(frames))
            # "pause" changes nothing

    block(program, "m", [])
    return trace


# ------------------------------------------------------------------------- random programs


def _value(rnd: random.Random, depth: int) -> Any:
    r = rnd.random()
    if r < 0.35:
        return rnd.randint(-5, 5)
    if r < 0.5:
        return rnd.choice(["s", "", "0.5", "x y"])
    if r < 0.6:
        return None
    if r < 0.7:
        return rnd.choice([0.5, -1e300, 2.0])
    if r < 0.8:
        return {"obj": rnd.randint(0, 3)}
    if r < 0.9 and depth < 2:
        return [_value(rnd, depth + 1) for _ in range(rnd.randint(0, 2))]
    if depth < 2:
        return {rnd.choice(["p", "q"]): _value(rnd, depth + 1) for _ in range(rnd.randint(1, 2))}
    return rnd.randint(0, 9)


def random_block(rnd: random.Random, depth: int = 0, in_scope: bool = False) -> Block:
    """A random balanced block: ``depth`` bounds nesting of scopes, threads and tasks."""
    items: Block = []
    for _ in range(rnd.randint(0, 6)):
        r = rnd.random()
        if r < 0.35:
            items.append(["read", rnd.choice(KEYS)])
        elif r < 0.55:
            items.append(["write", rnd.choice(KEYS), _value(rnd, 0)])
        elif r < 0.75 and depth < 3:
            kind = rnd.choice(["kwargs", "kwargs", "strings", "empty"])
            keys = rnd.sample(KEYS, rnd.randint(0, 3))
            if kind == "strings":
                entries = [[k, rnd.randint(0, 99)] for k in keys]
            else:
                entries = [[k, _value(rnd, 0)] for k in keys]
            items.append(["scope", kind, entries, random_block(rnd, depth + 1, True)])
        elif r < 0.8 and in_scope:
            items.append(["clear"])
        elif r < 0.86 and depth < 3:
            items.append(["thread", random_block(rnd, depth + 1)])
        elif r < 0.94 and depth < 3:
            items.append(["task", random_block(rnd, depth + 1)])
        else:
            items.append(["pause"])
    items.append(["read", rnd.choice(KEYS)])
    return items


def random_programs(seed: int, count: int) -> list[tuple[list[list[Any]], Block]]:
    """``count`` reproducible ``(prologue, program)`` pairs."""
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        prologue = [[k, _value(rnd, 0)] for k in rnd.sample(KEYS, rnd.randint(0, 2))]
        out.append((prologue, random_block(rnd)))
    return out


def main(seed: int, count: int) -> str:
    """The traces of ``random_programs(seed, count)`` on the active backend, as JSON (what
    the cross-backend test runs in a subprocess)."""
    from hyperparameter import storage

    traces = []
    for prologue, program in random_programs(seed, count):
        storage.reset_snapshot()
        traces.append(run(program, prologue))
    storage.reset_snapshot()
    return json.dumps(traces, sort_keys=True)
