"""Work that tests/api/test_procs.py (and test_procs_ray.py) send to other processes: module-level
functions, importable by name in a spawned or forkserver child (tests/ is on the child's
sys.path, which multiprocessing hands over)."""

from __future__ import annotations

import os
import threading
from typing import Any

import hyperparameter as hp
from hyperparameter import storage


def read(key: str) -> Any:
    """The value of ``key`` in the scope this runs in (``None`` when missing)."""
    return hp.param_scope[key] | None


def read_many(keys: list[str]) -> dict[str, Any]:
    return {k: hp.param_scope[k] | None for k in keys}


def add_lr(x: float) -> float:
    """``x`` plus ``model.lr``: a small task."""
    return x + hp.param_scope.model.lr()


def square(x: int) -> int:
    """No parameters at all: the baseline of the benchmark's pool map."""
    return x * x


def where(_: object = None) -> tuple[int, Any]:
    """This process's id and ``model.lr``."""
    return os.getpid(), hp.param_scope.model.lr | None


def rust_read(key: str) -> Any:
    """``key`` read through the Rust API (Rust backend), else through the accessor."""
    if storage.backend() == "rust":
        return storage.rust_read(key)
    return hp.param_scope[key] | None


def in_a_thread(key: str) -> Any:
    """``key`` as a thread started here sees it (the frozen snapshot only)."""
    out: list[Any] = []
    t = threading.Thread(target=lambda: out.append(hp.param_scope[key] | None))
    t.start()
    t.join()
    return out[0]


def writes_stay_here(x: float) -> tuple[float, float, float]:
    """Writes and inner scopes in the child: seen there, gone when the task ends."""
    before = hp.param_scope.model.lr()
    hp.param_scope.model.lr = x
    written = hp.param_scope.model.lr()
    with hp.param_scope(**{"model.lr": x * 2}):
        inner = hp.param_scope.model.lr()
    assert hp.param_scope.model.lr() == written
    return before, written, inner


def typed(snap: hp.Snapshot) -> tuple[str, float, str]:
    """``with snap as ps`` in the child: the view's class, a read, and how a bad write fails."""
    with snap as ps:
        lr = ps.model.lr
        try:
            ps.model.lr = "fast"
        except hp.ConfigValidationError as e:
            failed = type(e).__name__
        else:  # pragma: no cover - the point of the test
            failed = "nothing"
        return type(ps).__name__, lr, failed


def bad_write(_: object = None) -> None:
    """A write the bound schema rejects: a ConfigValidationError in the child."""
    hp.param_scope.model.lr = "fast"


def missing(_: object = None) -> Any:
    return hp.param_scope.no.such.key()


def init_worker(worker_id: int, init: Any, keys: list[str], out: Any) -> None:
    """What a PyTorch DataLoader worker does: ``worker_init_fn(worker_id)``, then the work."""
    init(worker_id)
    out.put((worker_id, read_many(keys), in_a_thread(keys[0])))


def into_queue(out: Any, keys: list[str]) -> None:
    """``Process(target=...)``: what the child sees, through a queue."""
    out.put(read_many(keys))


def source_of(snap: hp.Snapshot, key: str) -> str | None:
    return snap.source(key)


class Reader:
    """An actor class (``ray.remote(Reader)``): methods that run propagated work, and one that
    enters a snapshot it is handed."""

    def call(self, fn: Any, *args: Any) -> Any:
        return fn(*args)

    def typed(self, snap: hp.Snapshot) -> tuple[str, float, str]:
        return typed(snap)

    def read(self, key: str) -> Any:
        return read(key)


def sources_here(_: object = None) -> dict[str, str]:
    """The provenance a capture in the child finds (propagated work, an installed snapshot)."""
    with hp.param_scope(**{"run.extra": 1}):  # an inner scope of the child's own
        return hp.capture().sources()


def received(fn: Any, key: str) -> dict[str, Any]:
    """What a process that did not make a propagated function gets for it, and how it runs:
    outside every scope, inside one of the child's own, after an error, and pickled again."""
    import pickle

    out: dict[str, Any] = {"type": type(fn).__name__, "top": fn(key)}
    with hp.param_scope(**{"child.only": 1}):
        out["inside"] = (fn(key), hp.param_scope.child.only | None)
    try:
        fn("no.such.key", strict=True)
    except hp.MissingParameterError as e:
        out["error"] = type(e).__name__
    out["after"] = (read(key), fn(key))  # nothing of the failed call is left behind
    out["again"] = pickle.dumps(fn)
    out["again_here"] = pickle.loads(out["again"])(key)
    return out


def strict_read(key: str, strict: bool = False) -> Any:
    """``key``'s value; with ``strict`` a missing key raises."""
    if strict:
        return hp.param_scope[key]()
    return hp.param_scope[key] | None
