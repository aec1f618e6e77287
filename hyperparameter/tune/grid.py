"""A grid sweep (DESIGN §12: only choices and ranges, no trial budget): every point of the
cartesian product, in order, each inside the typed scope of its values — a plain loop, as
Hydra's basic sweeper runs one, with no sampler in the way. The points are written to the
Optuna study afterwards in one batch (trial N is point N), so a grid's result reads like any
other: best value, best config, the study in its storage, the report. A grid in memory writes
its study when it is first read (``result.study``, ``trials``, ``best_trial``, the report):
its best value, params and config are read from the points themselves."""

from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.trial import TrialState, create_trial

from .spaces import Choice, Space
from .trial import _TRIAL, GRID, Objective, _checked

__all__ = [
    "Pending",
    "Point",
    "best_point",
    "distribution_of",
    "is_grid",
    "points",
    "record",
    "run_grid",
]


def is_grid(space: Space) -> bool:
    """Whether every dimension of ``space`` has finitely many values."""
    return all(dim.grid() is not None for dim in space.values())


def points(space: Space) -> list[dict[str, Any]]:
    """The cartesian product of the dimensions' values, the last key varying fastest."""
    keys = list(space)
    grids = [space[k].grid() or [] for k in keys]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grids)]


def _stored(dim: Any, value: Any) -> Any:
    """What the study stores for ``value``: itself, or its index among a choice's values
    when Optuna cannot store it (as a sampled choice of such values is stored)."""
    if isinstance(dim, Choice) and not dim._plain():
        return dim.choices.index(value)
    return value


class Point:
    """One point of a grid sweep, as it ran: its values, and its objective value(s)
    (``state`` "COMPLETE"), the step it was pruned at ("PRUNED") or its error ("FAIL")."""

    __slots__ = ("error", "state", "value", "values")

    def __init__(self, values: dict[str, Any], state: str, value: Any, error: str | None) -> None:
        self.values = values
        self.state = state
        self.value = value
        self.error = error


def run_grid(fn: Objective) -> tuple[bool, list[Point]]:
    """Runs every point of ``fn``'s space in order: whether it was interrupted, and the
    points that ran."""
    grid = points(fn.space)
    done: list[Point] = []
    interrupted = False
    token = _TRIAL.set(GRID)
    try:
        for values in grid:
            try:
                done.append(Point(values, "COMPLETE", _checked(fn.call(values)), None))
            except optuna.TrialPruned:
                done.append(Point(values, "PRUNED", None, None))
            except Exception as e:
                tb = "".join(traceback.format_exception(e))[-4000:]
                done.append(Point(values, "FAIL", None, f"{type(e).__name__}: {e}\n{tb}"))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        _TRIAL.reset(token)
    return interrupted, done


def best_point(done: list[Point], minimize: bool) -> Point | None:
    """The best complete point of a one-direction grid (the first of equal ones, as Optuna
    picks the best trial), or ``None``."""
    best: Point | None = None
    for p in done:
        if p.state != "COMPLETE":
            continue
        if best is None or (p.value < best.value if minimize else p.value > best.value):
            best = p
    return best


def distribution_of(dim: Any) -> BaseDistribution:
    """A key's distribution in a grid's trials: the choice of its grid values (one for every
    point)."""
    return CategoricalDistribution([_stored(dim, v) for v in dim.grid() or []])


def record(study: optuna.Study, space: Space, done: list[Point]) -> set[int]:
    """Writes the points to ``study`` in one batch (trial N is point N of this sweep): the
    numbers of the trials added."""
    first = len(study.get_trials(deepcopy=False))
    dists = {k: distribution_of(d) for k, d in space.items()}
    trials = []
    for p in done:
        params = {k: _stored(space[k], v) for k, v in p.values.items()}
        attrs: dict[str, Any] = {"hp_grid_point": True}
        state = TrialState[p.state]
        if p.error is not None:
            message, _, tb = p.error.partition("\n")
            attrs.update(error=message, traceback=tb)
        value = p.value
        trials.append(
            create_trial(
                state=state,
                params=params,
                distributions=dists,
                values=(list(value) if isinstance(value, tuple) else [value])
                if state == TrialState.COMPLETE
                else None,
                user_attrs=attrs,
            )
        )
    study.add_trials(trials)
    return set(range(first, first + len(trials)))


class Pending:
    """A grid sweep in memory whose study is not written yet: ``write()`` makes it (with
    ``make``) and records the points."""

    def __init__(
        self,
        make: Callable[[], optuna.Study],
        space: Space,
        points: list[Point],
        directions: list[str],
    ) -> None:
        self.make = make
        self.space = space
        self.points = points
        self.directions = directions

    def best(self) -> Point | None:
        return best_point(self.points, self.directions[0] == "minimize")

    def write(self) -> tuple[optuna.Study, set[int]]:
        study = self.make()
        return study, record(study, self.space, self.points)
