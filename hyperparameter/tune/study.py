"""``tune.run``: a study on Optuna (DESIGN §12) — checked first, then run in this process, in
local worker processes, or on Ray — and its :class:`Result`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import optuna

from ..errors import HyperparameterError
from .check import Target
from .result import Result
from .spaces import Space, as_space
from .storage import create, quiet_optuna
from .trial import Objective

__all__ = ["run"]

Direction = Literal["minimize", "maximize"]


def _directions(direction: str | Sequence[str]) -> list[Direction]:
    dirs: list[Direction] = []
    for d in [direction] if isinstance(direction, str) else list(direction):
        if d not in ("minimize", "maximize"):
            raise ValueError(f"direction must be 'minimize' or 'maximize', not {d!r}")
        dirs.append(d)  # type: ignore[arg-type]
    if not dirs:
        raise ValueError("direction: give at least one")
    return dirs


def run(
    objective: Callable[..., Any],
    space: Mapping[str, Any] | None = None,
    *,
    config: Any = None,
    n_trials: int | None = None,
    direction: Direction | Sequence[Direction] = "minimize",
    storage: Any = None,
    study_name: str | None = None,
    sampler: Any = None,
    pruner: Any = None,
    workers: int = 1,
    launcher: Literal["local", "ray"] = "local",
    seed: int | None = None,
    timeout: float | None = None,
    progress: bool | Literal["always"] = True,
) -> Result:
    """Tunes ``objective`` over ``space`` on Optuna and returns the :class:`Result`.

    ``objective(cfg)`` gets the trial's typed config handle (or takes nothing: an
    ``@auto_param`` function); it runs inside ``param_scope`` of ``config`` with the trial's
    values, and returns a number (a tuple for several ``direction``\\ s). ``space`` maps flat
    keys to dimensions (``tune.loguniform(1e-5, 1e-1)``; a list is a choice); without it, the
    dimensions declared in the config's schema (``tune.space``). Every key and candidate is
    checked against the schema before the first trial (one ``ConfigValidationError``).

    ``storage``: ``None`` (in memory), ``"sqlite:///study.db"``, any Optuna RDB URL, a
    ``journal:///path`` file, or an Optuna storage; with a ``study_name`` an existing study
    resumes (``n_trials`` more). ``workers > 1`` runs that many local processes on one study;
    ``launcher="ray"`` runs trials as Ray tasks. A failed trial is recorded with its error and
    the study goes on; ``KeyboardInterrupt`` stops it, keeping the finished trials
    (``result.interrupted``). ``progress``: a bar when stdout is a terminal, ``"always"``, or
    ``False``.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, not {workers!r}")
    if launcher not in ("local", "ray"):
        raise ValueError(f"launcher must be 'local' or 'ray', not {launcher!r}")
    target = Target(config, objective)
    if space is None:
        from .spaces import space as from_schema

        if target.schema is None:
            raise TypeError("tune.run() needs a space, or a config whose schema declares one")
        dims = from_schema(target.schema)
    else:
        dims = as_space(space)
    if not dims:
        raise ValueError("the search space is empty")
    target.check(dims)  # before anything is made or run
    dirs = _directions(direction)
    from .grid import is_grid

    # only choices and ranges, no budget: the grid, every point once, in a plain loop
    grid = n_trials is None and timeout is None and sampler is None and is_grid(dims)
    if grid and (workers > 1 or launcher != "local"):
        raise ValueError("a grid sweep runs in this process: give n_trials to sample instead")
    if sampler is None and seed is not None:
        sampler = optuna.samplers.TPESampler(seed=seed)
    fn = Objective(objective, dims, target)
    show = progress == "always" or (progress is True and sys.stdout.isatty())
    interrupted = False
    if grid:
        from .grid import Pending, record, run_grid

        if storage is None:  # in memory: the study is written when it is first read

            def make() -> optuna.Study:
                with quiet_optuna():
                    return create(None, study_name, dirs, sampler, pruner)

            interrupted, done = run_grid(fn)
            pending = Pending(make, dims, done, list(dirs))
            return _checked_result(Result(None, dims, target, set(), interrupted, pending))
        with quiet_optuna():
            study = create(storage, study_name, dirs, sampler, pruner)  # opened first
            _check_resumed(study, dims, grid=True)
            interrupted, done = run_grid(fn)
            ran = record(study, dims, done)
        return _checked_result(Result(study, dims, target, ran, interrupted))
    with quiet_optuna():
        study = create(storage, study_name, dirs, sampler, pruner)
        _check_resumed(study, dims, grid=False)
        if workers == 1 and launcher == "local":
            interrupted = _here(study, fn, n_trials, timeout, show)
            ran = set(fn.mine)
        else:
            from . import workers as _workers

            study, interrupted, ran = _workers.run_parallel(
                study, storage, fn, n_trials, timeout, show, workers, launcher, seed
            )
    return _checked_result(Result(study, dims, target, ran, interrupted))


def _check_resumed(study: optuna.Study, dims: Space, grid: bool) -> None:
    """A resumed study whose trials hold a key as a distribution the space cannot continue
    (another kind, or a choice of other values, which Optuna refuses in every trial): one
    error naming each such key, before the first trial."""
    from optuna.distributions import check_distribution_compatibility

    from .grid import distribution_of

    held: dict[str, Any] = {}
    for t in study.get_trials(deepcopy=False):
        held.update(t.distributions)  # the latest trial's wins
    problems = []
    for key, dim in dims.items():
        old = held.get(key)
        if old is None:
            continue
        new = distribution_of(dim) if grid else dim.distribution()
        try:
            check_distribution_compatibility(old, new)
        except ValueError as e:
            where = f" ({dim.source})" if dim.source else ""
            problems.append(f"  {key}{where}: the study has {old!r}; the space gives {new!r} ({e})")
    if problems:
        raise HyperparameterError(
            f"study {study.study_name!r} cannot go on with this space: Optuna keeps a key's "
            "kind and a choice's values for the life of a study (give another study_name, "
            "or keep the stored space)\n" + "\n".join(problems)
        )


def _checked_result(result: Result) -> Result:
    result.raise_if_all_failed()
    return result


def _here(
    study: optuna.Study,
    fn: Objective,
    n_trials: int | None,
    timeout: float | None,
    show: bool,
) -> bool:
    """Runs the trials in this process; ``True`` when interrupted."""
    from .progress import Bar

    if n_trials is None and timeout is None:
        raise ValueError("give n_trials or timeout (or both)")
    with Bar(study, n_trials, show) as bar:
        try:
            # no callback without a bar: Optuna copies the finished trial for callbacks
            study.optimize(
                fn,
                n_trials=n_trials,
                timeout=timeout,
                catch=(Exception,),
                callbacks=[bar.tick] if bar.bar is not None else None,
            )
        except KeyboardInterrupt:
            return True
    return False
