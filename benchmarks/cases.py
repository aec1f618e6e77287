"""The benchmark cases: ours and the peers, each over the same 3-level chain model.layers.size = 3.

Every case is one statement timed in a loop (see ``run.py``). Its enclosing state (a scope it
reads from, a ContextVar value) is set up once in a ``contextvars.Context`` of its own, so the
cases can be interleaved without leaking scopes into each other.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import sys
import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

HP06_DIR = Path(__file__).resolve().parent / ".peers" / "hp06"
KEY = "model.layers.size"
NO_CHECK: Any = object()


@dataclass
class Case:
    """One timed statement; ``env`` names become locals of the timing loop."""

    key: str
    label: str
    group: str  # "read", "enter" or "call": picks the baseline of the ratio column
    stmt: str
    env: dict[str, Any] = field(default_factory=dict)
    setup: Callable[[], object] | None = None  # runs once in the case's own Context
    expect: Any = NO_CHECK  # value of ``r`` after one op, checked before timing
    unroll: int = 10  # statements per loop iteration (1 for ops of a millisecond or more)


@dataclass
class Target:
    """``min[num] / min[den]`` compared with ``bound`` (``symmetric``: max of both ways)."""

    text: str
    num: str
    den: str
    bound: float
    at_least: bool = False
    symmetric: bool = False


# Table and run order (each baseline next to its cases); the ratio column divides by the
# group's baseline.
ORDER = [
    "local", "dict", "cv_get", "dataclass", "omegaconf", "hp06_accessor", "pydantic", "typed",
    "accessor", "item", "cv_set_reset", "with_lock", "with_new_lock", "enter", "enter_10k",
    "hp06_param", "gin", "plain_call", "auto_param",
]  # fmt: skip
BASELINES = {
    "read": ("pydantic", "pydantic chain"),
    "enter": ("cv_set_reset", "ContextVar set+reset"),
    "call": ("plain_call", "plain call"),
}

TARGETS = [
    Target("1. `param_scope.model.layers.size | 10` / pydantic chain", "accessor", "pydantic", 5),
    Target(
        "1. 0.6 `hp.scope.model.layers.size | 10` / ours (speed-up)",
        "hp06_accessor",
        "accessor",
        50,
        at_least=True,
    ),
    Target('2. `ps["model.layers.size"] | 10` / pydantic chain', "item", "pydantic", 3),
    Target("T. typed view `ps.model.layers.size` / pydantic chain", "typed", "pydantic", 2),
    Target(
        "T. OmegaConf `DictConfig` chain / typed view (speed-up)",
        "omegaconf",
        "typed",
        100,
        at_least=True,
    ),
    Target("3. `with param_scope(...): pass` / ContextVar set+reset", "enter", "cv_set_reset", 3),
    Target("3. enter with 10,000 vs 10 enclosing keys", "enter_10k", "enter", 1.3, symmetric=True),
    Target("4. `@auto_param` call / plain call", "auto_param", "plain_call", 10),
    Target("4. `@gin.configurable` / `@auto_param` (speed-up)", "gin", "auto_param", 10, True),
]


def fn3(a: int = 1, b: int = 2, c: int = 3) -> int:
    """The function every decorator wraps: 3 defaulted parameters, ``a`` set in scope to 5."""
    return a


def load_hp06(target: Path = HP06_DIR) -> ModuleType:
    """Imports hyperparameter 0.6 from ``target`` as ``hp06`` next to ours.

    Ours is imported first and its ``sys.modules`` entries stashed; 0.6 is imported under its
    own name (with its default Rust backend: 0.6 only takes ``HYPERPARAMETER_BACKEND=RUST``),
    its modules are renamed ``hp06.*`` and ours are put back.
    """
    import hyperparameter  # noqa: F401  (ours, first)

    def ours(name: str) -> bool:
        return name == "hyperparameter" or name.startswith("hyperparameter.")

    if not (target / "hyperparameter" / "__init__.py").exists():
        raise ImportError(f"hyperparameter 0.6 is not installed in {target}")
    stash = {k: v for k, v in sys.modules.items() if ours(k)}
    for k in stash:
        del sys.modules[k]
    env = os.environ.pop("HYPERPARAMETER_BACKEND", None)
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    theirs: dict[str, ModuleType] = {}
    try:
        mod = importlib.import_module("hyperparameter")
        theirs = {k: v for k, v in sys.modules.items() if ours(k)}
    finally:
        sys.path.remove(str(target))
        if env is not None:
            os.environ["HYPERPARAMETER_BACKEND"] = env
        for k in list(sys.modules):
            if ours(k):
                del sys.modules[k]
        sys.modules.update(stash)
    for k, v in theirs.items():
        sys.modules["hp06" + k[len("hyperparameter") :]] = v
    # 0.6 runs `from hyperparameter.librbackend import ...` whenever it builds a scope; ours
    # has no such module, so that one name can point at 0.6's without a clash.
    if "hyperparameter.librbackend" in theirs:
        sys.modules["hyperparameter.librbackend"] = theirs["hyperparameter.librbackend"]
    return mod


@dataclasses.dataclass
class TLayers:
    size: int = 3


@dataclasses.dataclass
class TModel:
    layers: TLayers = dataclasses.field(default_factory=TLayers)


@dataclasses.dataclass
class TCfg:
    """The dataclass chain's and the typed-view case's schema (module level: its annotations
    must resolve)."""

    model: TModel = dataclasses.field(default_factory=TModel)


def build() -> tuple[list[Case], dict[str, str]]:
    """All cases whose packages import, and ``{case key: reason}`` for the missing ones."""
    from pydantic import BaseModel

    from hyperparameter import auto_param, param_scope

    missing: dict[str, str] = {}
    cases: list[Case] = []

    class PLayers(BaseModel):
        size: int = 3

    class PModel(BaseModel):
        layers: PLayers = PLayers()

    class PCfg(BaseModel):
        model: PModel = PModel()

    from hyperparameter.api.accessor import write
    from hyperparameter.schema.views import view_for

    var: ContextVar[int] = ContextVar("bench", default=0)
    typed: Any = param_scope(TCfg())  # read by the typed-view case
    outer: Any = param_scope(**{KEY: 3})  # read by the accessor case
    handle: Any = param_scope(**{KEY: 3})  # read by the item case: its own scope object
    outer10: Any = param_scope(**{f"outer.k{i}": i for i in range(10)})
    outer10k: Any = param_scope(**{f"outer.k{i}": i for i in range(10_000)})
    with_stmt = f"with param_scope(**{{{KEY!r}: 3}}):\n    pass"
    cases += [
        Case("local", "plain local variable read", "read", "r = x", {"x": 3}, expect=3),
        Case("dataclass", "dataclass chain `cfg.model.layers.size`", "read",
             "r = cfg.model.layers.size", {"cfg": TCfg()}, expect=3),
        Case("pydantic", "pydantic v2 chain `cfg.model.layers.size`", "read",
             "r = cfg.model.layers.size", {"cfg": PCfg()}, expect=3),
        Case("dict", 'flat dict `d["model.layers.size"]`', "read",
             f"r = d[{KEY!r}]", {"d": {KEY: 3}}, expect=3),
        Case("cv_get", "`ContextVar.get()`", "read", "r = var.get()", {"var": var},
             lambda: var.set(3), expect=3),
        Case("typed", "**ours** typed view `ps.model.layers.size`", "read",
             "r = ps.model.layers.size", {"ps": view_for(TCfg, write)}, typed.__enter__, expect=3),
        Case("accessor", "**ours** `param_scope.model.layers.size | 10`", "read",
             "r = param_scope.model.layers.size | 10", {"param_scope": param_scope},
             outer.__enter__, expect=3),
        Case("item", '**ours** `ps["model.layers.size"] | 10`', "read",
             f"r = ps[{KEY!r}] | 10", {"ps": handle}, handle.__enter__, expect=3),
        Case("cv_set_reset", "`ContextVar` set + reset", "enter",
             "var.reset(var.set(3))", {"var": var}),
        # Floors of the statement's shape, for reading the ratio: a C context manager that
        # allocates nothing, and a new C object entered each time (no keywords, no context var).
        Case("with_lock", "floor: `with lock: pass` (a C lock, reused)", "enter",
             "with lock:\n    pass", {"lock": threading.Lock()}),
        Case("with_new_lock", "floor: `with Lock(): pass` (a new C lock each time)", "enter",
             "with Lock():\n    pass", {"Lock": threading.Lock}),
        Case("enter", "**ours** `with param_scope(**{k: 3}): pass`, 10 keys outside", "enter",
             with_stmt, {"param_scope": param_scope}, outer10.__enter__),
        Case("enter_10k", "**ours** the same, 10,000 keys outside", "enter",
             with_stmt, {"param_scope": param_scope}, outer10k.__enter__),
        Case("plain_call", "plain call `fn()` (3 defaulted params)", "call",
             "r = fn()", {"fn": fn3}, expect=1),
        Case("auto_param", "**ours** `@auto_param` call, 1 of 3 params in scope", "call",
             "r = fn()", {"fn": auto_param("ns")(fn3)}, param_scope(**{"ns.a": 5}).__enter__,
             expect=5),
    ]  # fmt: skip

    try:
        from omegaconf import OmegaConf

        oc = OmegaConf.create({"model": {"layers": {"size": 3}}})
        cases.append(Case("omegaconf", "OmegaConf `DictConfig` chain", "read",
                          "r = cfg.model.layers.size", {"cfg": oc}, expect=3))  # fmt: skip
    except ImportError as e:
        missing["omegaconf"] = f"OmegaConf `DictConfig` chain ({e})"

    try:
        import gin  # type: ignore[import-untyped]

        gin_fn = gin.configurable("gin_bench")(fn3)
        gin.bind_parameter("gin_bench.a", 5)
        cases.append(Case("gin", "`@gin.configurable` call, 1 of 3 params bound", "call",
                          "r = fn()", {"fn": gin_fn}, expect=5))  # fmt: skip
    except ImportError as e:
        missing["gin"] = f"`@gin.configurable` call ({e})"

    try:
        hp06 = load_hp06()
        cases += [
            Case("hp06_accessor", "0.6 `hp.scope.model.layers.size | 10`", "read",
                 "r = scope.model.layers.size | 10", {"scope": hp06.scope},
                 hp06.scope(**{KEY: 3}).__enter__, expect=3),
            Case("hp06_param", "0.6 `@hp.param` call, 1 of 3 params in scope", "call",
                 "r = fn()", {"fn": hp06.param("ns")(fn3)},
                 hp06.scope(**{"ns.a": 5}).__enter__, expect=5),
        ]  # fmt: skip
    except ImportError as e:
        missing["hp06_accessor"] = f"0.6 `hp.scope.model.layers.size | 10` ({e})"
        missing["hp06_param"] = f"0.6 `@hp.param` call ({e})"
    return cases, missing
