"""The procs suite (DESIGN §10 and §11): parameters that cross a process boundary.

- ``hp.capture()`` of a typed scope holding the 1,000-leaf config of ``loader_cases`` plus
  ``pickle.dumps`` of the snapshot, against ``pickle.dumps`` of the flat dict the store holds
  (the same keys and values); a fresh snapshot every time (the capture cache is defeated by
  bumping the snapshot version after each op), and the cached one of an unchanged scope.
- A spawn pool's ``map`` of 1,000 small tasks: ``pool.map(hp.propagate(fn), xs)`` under that
  scope against ``pool.map(fn, xs)``; ``propagate`` is called inside each timed map, as a user
  writes it. Steady state (the scope unchanged between maps: the snapshot is pickled once and
  each worker unpickles it once), and a fresh snapshot every map; and, for context, the same
  pair with tasks of about 25 µs each.

The config's pydantic schema is generated (``loader_cases.pydantic_schema``); it is published
here as ``procs_cases.Model`` so that it pickles by reference, and a worker that unpickles a
snapshot typed by it builds it again on first use (module ``__getattr__``), with the models of its
list items (values of the scope).
"""

from __future__ import annotations

import functools
import pickle
from typing import Any

from cases import Case, Target
from loader_cases import SEED, config_tree, pydantic_schema

N_TASKS = 1000

PROCS_ORDER = [
    "pickle_floor", "capture_pickle", "capture_pickle_cached",
    "map_plain", "map_propagate", "map_propagate_fresh", "map_busy", "map_busy_propagate",
]  # fmt: skip
PROCS_BASELINES = {
    "pickle": ("pickle_floor", "`pickle.dumps(flat dict)`"),
    "map": ("map_plain", "`pool.map(fn, xs)`"),
    "busy": ("map_busy", "`pool.map(busy, xs)`"),
}
PROCS_TARGETS = [
    Target(
        "§11. `pickle.dumps(hp.capture())`, 1,000-leaf typed scope / `pickle.dumps` of the flat "
        "dict",
        "capture_pickle",
        "pickle_floor",
        2,
    ),
    Target(
        "§11. spawn `pool.map(hp.propagate(fn), xs)`, 1,000 tasks, 1,000-leaf scope / "
        "`pool.map(fn, xs)`",
        "map_propagate",
        "map_plain",
        1.3,
    ),
    Target(
        "§11. the same, a fresh snapshot every map / `pool.map(fn, xs)`",
        "map_propagate_fresh",
        "map_plain",
        1.3,
    ),
    Target(
        "(context) the same as the steady state, with tasks of about 25 µs each",
        "map_busy_propagate",
        "map_busy",
        1.3,
    ),
]


@functools.cache
def _classes() -> dict[str, type]:
    """The generated schema (``Model``) and every model class inside it (list items are model
    instances), by name, published in this module: they pickle by reference."""
    import typing

    import pydantic

    model = pydantic_schema(config_tree(SEED))
    model.__name__ = "Root"
    found: dict[str, type] = {}

    def visit(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
            if found.get(tp.__name__, tp) is not tp:
                raise AssertionError(f"two generated models are named {tp.__name__}")
            if tp.__name__ in found:
                return
            found[tp.__name__] = tp
            tp.__module__ = __name__
            tp.__qualname__ = tp.__name__
            for f in tp.model_fields.values():
                visit(f.annotation)
        for arg in typing.get_args(tp):
            visit(arg)

    visit(model)
    return found


def _model() -> type:
    return _classes()["Root"]


def __getattr__(name: str) -> Any:
    # A worker unpickling a snapshot typed by Root (or a value of one of its item models)
    # builds them here on first use: the generator is deterministic.
    cls = None if name.startswith("__") else _classes().get(name)
    if cls is None:
        raise AttributeError(name)
    return cls


def square(x: int) -> int:
    """A small task that reads no parameter."""
    return x * x


def busy(x: int) -> int:
    """A task of about 25 µs of work here."""
    return x + sum(range(2000))


def config() -> Any:
    """An instance of the 1,000-leaf schema (its defaults are the generated config)."""
    return _model()()


def build(pool: Any) -> list[Case]:
    """The cases of the procs table; ``pool`` is a spawn pool made outside every scope."""
    import hyperparameter as hp
    from hyperparameter import param_scope, storage

    cfg = config()

    def enter() -> None:
        param_scope(cfg).__enter__()  # left entered in the case's own Context

    flat: dict[str, Any] = {}

    def take() -> None:
        flat.update(storage.effective())

    import contextvars

    ctx = contextvars.Context()
    ctx.run(lambda: (enter(), take()))
    if len(flat) < 1000:
        raise AssertionError(f"the scope holds {len(flat)} keys, not 1,000 or more")
    version = storage.SNAPSHOT_VERSION
    xs = list(range(N_TASKS))
    squares = [square(x) for x in xs]
    env = {"dumps": pickle.dumps, "capture": hp.capture, "V": version}
    map_env = {"pool": pool, "fn": square, "xs": xs, "propagate": hp.propagate, "V": version}
    busy_env = {"pool": pool, "busy": busy, "xs": xs, "propagate": hp.propagate}
    busied = [busy(x) for x in xs]
    return [
        Case("pickle_floor", "`pickle.dumps(d)`, `d` the flat dict the scope holds", "pickle",
             "r = dumps(d)", {"dumps": pickle.dumps, "d": flat}, unroll=1),
        Case("capture_pickle", "**ours** `pickle.dumps(hp.capture())`, a fresh snapshot",
             "pickle", "r = dumps(capture())\nV[0] += 1", env, setup=enter, unroll=1),
        Case("capture_pickle_cached",
             "**ours** the same, scope unchanged (the cached snapshot and its bytes)", "pickle",
             "r = dumps(capture())", env, setup=enter, unroll=1),
        Case("map_plain", f"spawn `Pool(2).map(fn, xs)`, {N_TASKS:,} tasks, no scope", "map",
             "r = pool.map(fn, xs)", map_env, expect=squares, unroll=1),
        Case("map_propagate",
             "**ours** `pool.map(hp.propagate(fn), xs)` under the 1,000-leaf typed scope", "map",
             "r = pool.map(propagate(fn), xs)", map_env, setup=enter, expect=squares, unroll=1),
        Case("map_propagate_fresh", "**ours** the same, a fresh snapshot every map", "map",
             "r = pool.map(propagate(fn), xs)\nV[0] += 1", map_env, setup=enter, expect=squares,
             unroll=1),
        Case("map_busy", f"spawn `Pool(2).map(busy, xs)`, {N_TASKS:,} tasks of ~25 µs, no scope",
             "busy", "r = pool.map(busy, xs)", busy_env, expect=busied, unroll=1),
        Case("map_busy_propagate", "**ours** `pool.map(hp.propagate(busy), xs)` under the scope",
             "busy", "r = pool.map(propagate(busy), xs)", busy_env, setup=enter, expect=busied,
             unroll=1),
    ]  # fmt: skip


def keys_of_config() -> int:
    """How many flat keys the scope of :func:`config` holds."""
    import contextvars

    from hyperparameter import param_scope, storage

    def count() -> int:
        with param_scope(config()):
            return len(storage.effective())

    return contextvars.Context().run(count)
