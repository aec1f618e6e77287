"""Search spaces (DESIGN §12): ``uniform``, ``loguniform``, ``intrange``, ``choice``, and
``space(Schema)``, which collects the ones declared in a schema's ``Annotated`` fields.

A dimension is a frozen value: it names what Optuna suggests for it (``suggest``, the
distribution), which values the pre-flight check must try (``candidates``: the choices, or
the bounds), and, when it is finite, its grid (``grid``). Its ``source`` says where it was
declared, for errors (``sweep.yaml:4:12``, ``-m model.lr=…``, ``schema Train.model.lr``).
Nothing here imports Optuna at import time.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "Choice",
    "Dimension",
    "IntRange",
    "Space",
    "Uniform",
    "choice",
    "intrange",
    "loguniform",
    "space",
    "uniform",
]


@dataclasses.dataclass(frozen=True)
class Dimension:
    """One tuned key's values. ``source``: where it was declared (not part of equality)."""

    source: str | None = dataclasses.field(default=None, compare=False, kw_only=True)

    def suggest(self, trial: Any, name: str) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def distribution(self) -> Any:  # pragma: no cover - abstract
        """The Optuna distribution of this dimension."""
        raise NotImplementedError

    def candidates(self) -> list[Any]:  # pragma: no cover - abstract
        """The values the pre-flight check validates: every choice, or the bounds."""
        raise NotImplementedError

    def grid(self) -> list[Any] | None:
        """Every value, when there are finitely many (a grid sweep); else ``None``."""
        return None

    def at(self, source: str) -> Dimension:
        """This dimension, declared at ``source``."""
        return dataclasses.replace(self, source=source)


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, not {type(value).__name__} ({value!r})")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, not {value!r}")
    return value


@dataclasses.dataclass(frozen=True)
class Uniform(Dimension):
    """A float in ``[low, high]``: uniform, or log-uniform with ``log``; on a grid of
    ``step`` when given (then ``high`` is included when it lies on the grid)."""

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        low, high = _number("low", self.low), _number("high", self.high)
        if low > high:
            raise ValueError(f"low ({low!r}) must not exceed high ({high!r})")
        if self.log and low <= 0:
            raise ValueError(f"a log-uniform range needs low > 0, not {low!r}")
        if self.step is not None:
            if self.log:
                raise ValueError("a log-uniform range takes no step")
            if _number("step", self.step) <= 0:
                raise ValueError(f"step must be > 0, not {self.step!r}")

    def suggest(self, trial: Any, name: str) -> Any:
        return trial.suggest_float(name, self.low, self.high, log=self.log, step=self.step)

    def distribution(self) -> Any:
        from optuna.distributions import FloatDistribution

        return FloatDistribution(self.low, self.high, log=self.log, step=self.step)

    def candidates(self) -> list[Any]:
        return [self.low, self.high] if self.low != self.high else [self.low]

    def grid(self) -> list[Any] | None:
        if self.step is None:
            return None
        n = math.floor((self.high - self.low) / self.step + 1e-9)
        return [self.low + i * self.step for i in range(n + 1)]


@dataclasses.dataclass(frozen=True)
class IntRange(Dimension):
    """An int in ``[low, high]`` (``high`` included, as Optuna's ``suggest_int``), every
    ``step``; log-uniformly with ``log``."""

    low: int
    high: int
    step: int = 1
    log: bool = False
    #: Sampled even without a budget (the sweep grammar's ``tag(int, interval(a, b))``: an
    #: interval samples, DESIGN §12), rather than run as a grid of its values.
    sampled: bool = dataclasses.field(default=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("low", "high", "step"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} must be an int, not {type(v).__name__} ({v!r})")
        if self.low > self.high:
            raise ValueError(f"low ({self.low!r}) must not exceed high ({self.high!r})")
        if self.step < 1:
            raise ValueError(f"step must be >= 1, not {self.step!r}")
        if self.log and (self.low < 1 or self.step != 1):
            raise ValueError("a log int range needs low >= 1 and step 1")

    def suggest(self, trial: Any, name: str) -> Any:
        return trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log)

    def distribution(self) -> Any:
        from optuna.distributions import IntDistribution

        return IntDistribution(self.low, self.high, log=self.log, step=self.step)

    def candidates(self) -> list[Any]:
        top = self.low + (self.high - self.low) // self.step * self.step
        return [self.low, top] if top != self.low else [self.low]

    def grid(self) -> list[Any] | None:
        if self.sampled:
            return None
        return list(range(self.low, self.high + 1, self.step))


@dataclasses.dataclass(frozen=True)
class Choice(Dimension):
    """One of ``choices`` (any values Optuna can store: None, bool, int, float, str; others
    are suggested by index and given back as themselves)."""

    choices: tuple[Any, ...]

    def __post_init__(self) -> None:
        if not self.choices:
            raise ValueError("choice() needs at least one value")

    def _plain(self) -> bool:
        return all(c is None or type(c) in (bool, int, float, str) for c in self.choices)

    def suggest(self, trial: Any, name: str) -> Any:
        if self._plain():
            return trial.suggest_categorical(name, list(self.choices))
        i = trial.suggest_categorical(name, list(range(len(self.choices))))
        return self.choices[i]

    def distribution(self) -> Any:
        from optuna.distributions import CategoricalDistribution

        if self._plain():
            return CategoricalDistribution(list(self.choices))
        return CategoricalDistribution(list(range(len(self.choices))))

    def candidates(self) -> list[Any]:
        return list(self.choices)

    def grid(self) -> list[Any] | None:
        return list(self.choices)


def uniform(low: float, high: float, *, step: float | None = None) -> Uniform:
    """A float drawn uniformly from ``[low, high]`` (on a grid of ``step`` when given)."""
    return Uniform(low, high, step=step)


def loguniform(low: float, high: float) -> Uniform:
    """A float drawn log-uniformly from ``[low, high]`` (``low > 0``)."""
    return Uniform(low, high, log=True)


def intrange(low: int, high: int, step: int = 1, log: bool = False) -> IntRange:
    """An int from ``low`` to ``high`` *inclusive* (as Optuna's ``suggest_int``), every
    ``step``; log-uniformly with ``log``."""
    return IntRange(low, high, step, log)


def choice(values: Iterable[Any]) -> Choice:
    """One of ``values``: ``choice([2, 4, 8])``."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"choice() takes a list of values, not {type(values).__name__}")
    return Choice(tuple(values))


#: A search space: flat dotted keys to dimensions.
Space = dict[str, Dimension]


def as_space(given: Mapping[str, Any] | None, origin: str = "space") -> Space:
    """``given`` as a :data:`Space`: a dimension kept as it is (its source, or
    ``space['key']``), a list or tuple read as a choice."""
    out: Space = {}
    for key, dim in (given or {}).items():
        if not isinstance(key, str):
            raise TypeError(f"a space's keys are dotted strings, not {type(key).__name__}")
        if isinstance(dim, list | tuple):
            dim = Choice(tuple(dim))
        if not isinstance(dim, Dimension):
            raise TypeError(
                f"{origin}[{key!r}]: expected tune.uniform / loguniform / intrange / choice "
                f"(or a list of choices), not {type(dim).__name__}"
            )
        out[key] = dim if dim.source is not None else dim.at(f"{origin}[{key!r}]")
    return out


def space(schema: type, prefix: str = "") -> Space:
    """The dimensions declared in ``schema``'s fields, nested groups included:
    ``lr: Annotated[float, tune.loguniform(1e-5, 1e-1)] = 1e-3`` gives ``{"lr": …}``, each
    with its source ``schema Train.model.lr``."""
    out: Space = {}
    _collect(schema, prefix, schema.__qualname__, out, set())
    return out


def _collect(cls: type, prefix: str, root: str, out: Space, seen: set[type]) -> None:
    if cls in seen:
        return
    seen = seen | {cls}
    for name, annotation in _annotations(cls).items():
        key = f"{prefix}{name}"
        dims, inner = _dimensions(annotation)
        for dim in dims:
            out[key] = dim.at(f"schema {root}.{key}")
        for group in inner:
            _collect(group, f"{key}.", root, out, seen)


def _annotations(cls: type) -> dict[str, Any]:
    from ..schema import is_schema

    if not is_schema(cls):
        return {}
    fields = getattr(cls, "model_fields", None)
    if fields is not None:  # pydantic keeps Annotated metadata on the field
        out = {}
        for name, f in fields.items():
            meta = [m for m in f.metadata if isinstance(m, Dimension)]
            ann = f.annotation
            out[f.alias or name] = typing.Annotated[ann, *meta] if meta else ann
        return out
    hints = typing.get_type_hints(cls, include_extras=True)
    return {f.name: hints.get(f.name, f.type) for f in dataclasses.fields(cls)}


def _dimensions(annotation: Any) -> tuple[list[Dimension], list[type]]:
    """The dimensions in an annotation's ``Annotated`` metadata, and the schema classes it
    holds (groups to look into)."""
    from ..schema import is_schema

    dims: list[Dimension] = []
    groups: list[type] = []
    stack: list[Any] = [annotation]
    while stack:
        a = stack.pop()
        if typing.get_origin(a) is typing.Annotated:
            base, *meta = typing.get_args(a)
            dims += [m for m in meta if isinstance(m, Dimension)]
            stack.append(base)
        elif is_schema(a):
            groups.append(a)
        elif typing.get_origin(a) in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(a))
    return dims, groups
