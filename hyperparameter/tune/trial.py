"""One trial: the values Optuna suggests, the config made from them, the typed scope the
objective runs in, ``report`` (pruning), and what a failure leaves in the study."""

from __future__ import annotations

import contextvars
import os
import socket
import traceback
from collections.abc import Callable
from typing import Any

import optuna

from ..api.scope import param_scope
from .check import Target
from .spaces import Space

__all__ = ["Objective", "TrialPruned", "current_trial", "report"]

TrialPruned = optuna.TrialPruned
_HOST = socket.gethostname()

_TRIAL: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "hyperparameter.tune.trial", default=None
)
#: What ``_TRIAL`` holds while a grid point runs (no Optuna trial: ``report`` records nothing).
GRID: Any = object()


def current_trial() -> optuna.Trial | None:
    """The Optuna trial the current objective call runs in, if any (``None`` for a point of
    a grid sweep, which runs without one)."""
    trial = _TRIAL.get()
    return None if trial is GRID else trial


def report(value: float, step: int) -> None:
    """Reports an intermediate ``value`` of the running trial at ``step``; raises
    :class:`TrialPruned` when the study's pruner says the trial should stop. In a grid
    sweep (every point runs to the end) it does nothing."""
    trial = _TRIAL.get()
    if trial is GRID:
        return
    if trial is None:
        raise RuntimeError("tune.report() is called outside a trial of tune.run()")
    trial.report(value, step)
    if trial.should_prune():
        raise TrialPruned(f"pruned at step {step} (value {value!r})")


def _calls_with_handle(objective: Callable[..., Any]) -> bool:
    """Whether ``objective`` takes the trial's config handle (one required positional
    parameter), or nothing (an ``@auto_param`` function, or no required parameters)."""
    import inspect

    if getattr(objective, "_auto_param_namespace", None) is not None:
        return False
    try:
        params = inspect.signature(objective).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - a builtin: give it the handle
        return True
    required = [
        p
        for p in params
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(required) > 1:
        raise TypeError(
            "a tune objective takes the trial's config (one argument) or nothing, not "
            f"{len(required)} required arguments"
        )
    return bool(required)


class Objective:
    """The function Optuna calls for each trial (picklable: worker processes get it).

    A trial enters the config's scope (one scope object, made once per process: entering it
    again costs a frame) and, inside it, a scope of the trial's values, which the typed scope
    checks key by key as it checks every scope entered under it; the objective's own keys
    that the schema lacks are set outside it. ``mine`` collects the numbers of the trials this
    process ran; ``run`` (worker processes) marks each trial with ``host:pid:run`` (a dead
    worker's trial, and the trials of one run among other runs', are found by it)."""

    def __init__(
        self,
        objective: Callable[..., Any],
        space: Space,
        target: Target,
        run: str | None = None,
    ) -> None:
        self.objective = objective
        self.space = space
        self.target = target
        self.run = run
        self.mine: list[int] = []
        self.with_handle = _calls_with_handle(objective)
        self._base: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_base"] = None  # a live scope object: made again where it arrives
        state["mine"] = []
        return state

    def values(self, trial: optuna.Trial) -> dict[str, Any]:
        return {key: dim.suggest(trial, key) for key, dim in self.space.items()}

    def _scope(self) -> Any:
        base = self._base
        if base is None:
            config = self.target.config
            if self.target.schema is not None:
                base = param_scope(config)
            else:
                base = param_scope(**self.target.flat)
            self._base = base
        return base

    def call(self, values: dict[str, Any]) -> Any:
        """The objective, called inside the config's scope with ``values``."""
        own = self.target.own
        flat = self.target.flat
        extra = {k: v for k, v in values.items() if k in own and k not in flat} if own else None
        if not extra:
            with self._scope() as ps, param_scope(**values):
                return self.objective(ps) if self.with_handle else self.objective()
        inside = {k: v for k, v in values.items() if k not in extra}
        with param_scope(**extra), self._scope() as ps, param_scope(**inside):
            return self.objective(ps) if self.with_handle else self.objective()

    def __call__(self, trial: optuna.Trial) -> Any:
        self.mine.append(trial.number)
        if self.run is not None:
            trial.set_user_attr("hp_worker", f"{_HOST}:{os.getpid()}:{self.run}")
        token = _TRIAL.set(trial)
        try:
            return _checked(self.call(self.values(trial)))
        except optuna.TrialPruned:
            raise
        except Exception as e:
            trial.set_user_attr("error", f"{type(e).__name__}: {e}")
            trial.set_user_attr("traceback", "".join(traceback.format_exception(e))[-4000:])
            raise
        finally:
            _TRIAL.reset(token)


def _checked(result: Any) -> Any:
    """The objective's value(s) as Optuna takes them: a number, or a tuple of numbers."""
    if isinstance(result, list | tuple):
        return tuple(_number(v) for v in result)
    return _number(result)


def _number(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        try:
            return float(v)  # numpy scalars, Decimal
        except (TypeError, ValueError):
            raise TypeError(
                f"the objective returned {type(v).__name__} ({v!r}); it must return a number "
                "(or a tuple of numbers, one per direction)"
            ) from None
    return float(v)
