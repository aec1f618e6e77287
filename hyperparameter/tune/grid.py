"""A grid sweep (DESIGN §12: only choices and ranges, no trial budget): every point of the
cartesian product, in order, each inside the typed scope of its values — a plain loop, as
Hydra's basic sweeper runs one, with no sampler in the way. The points are written to the
Optuna study afterwards in one batch (trial N is point N), so a grid's result reads like any
other: best value, best config, the study in its storage, the report."""

from __future__ import annotations

import itertools
import traceback
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.trial import TrialState, create_trial

from .spaces import Choice, Space
from .trial import _TRIAL, GRID, Objective, _checked

__all__ = ["is_grid", "points", "run_grid"]


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


def run_grid(study: optuna.Study, fn: Objective) -> tuple[bool, set[int]]:
    """Runs every point of ``fn``'s space; records them in ``study``: whether it was
    interrupted, and the numbers of the trials added."""
    grid = points(fn.space)
    records: list[tuple[dict[str, Any], Any, str | None]] = []
    interrupted = False
    token = _TRIAL.set(GRID)
    try:
        for values in grid:
            try:
                records.append((values, _checked(fn.call(values)), None))
            except optuna.TrialPruned:
                records.append((values, optuna.TrialPruned, None))
            except Exception as e:
                tb = "".join(traceback.format_exception(e))[-4000:]
                records.append((values, None, f"{type(e).__name__}: {e}\n{tb}"))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        _TRIAL.reset(token)
    first = len(study.get_trials(deepcopy=False))
    # each key's distribution: the choice of its grid values (one for every point)
    dists: dict[str, BaseDistribution] = {
        k: CategoricalDistribution([_stored(d, v) for v in d.grid() or []])
        for k, d in fn.space.items()
    }
    trials = []
    for values, value, error in records:
        params = {k: _stored(fn.space[k], v) for k, v in values.items()}
        attrs: dict[str, Any] = {"hp_grid_point": True}
        if error is not None:
            message, _, tb = error.partition("\n")
            attrs.update(error=message, traceback=tb)
            state = TrialState.FAIL
        elif value is optuna.TrialPruned:
            state = TrialState.PRUNED
        else:
            state = TrialState.COMPLETE
        done = state == TrialState.COMPLETE
        trials.append(
            create_trial(
                state=state,
                params=params,
                distributions=dists,
                values=(list(value) if isinstance(value, tuple) else [value]) if done else None,
                user_attrs=attrs,
            )
        )
    study.add_trials(trials)
    return interrupted, set(range(first, first + len(trials)))
