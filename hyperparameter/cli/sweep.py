"""``-m/--multirun`` and ``--sweep FILE`` on a launched function (DESIGN §12): the function's
return value is the objective. Choices and ranges alone run the grid; an interval, or
``--n-trials N``, samples with Optuna. A summary table at the end, best first."""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from ..api.scope import param_scope
from ..errors import ConfigValidationError, HyperparameterError, Loc
from .args import Request
from .command import Command
from .common import MISSING, flush_stdout, out, terminal, writing
from .explain import findings
from .resolve import Resolution

__all__ = ["sweep"]


class CliObjective:
    """The launched function as an objective: called with the arguments the command line
    fixed (not the tuned ones), reading the rest from the trial's scope (``@auto_param``).
    Picklable when the function is (worker processes)."""

    def __init__(self, fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self._auto_param_namespace = getattr(fn, "_auto_param_namespace", fn.__name__)
        self._auto_param_wrapped = getattr(fn, "_auto_param_wrapped", fn)
        self.__signature__ = inspect.signature(fn)

    def __getstate__(self) -> dict[str, Any]:
        # the undecorated function pickles by its name, which is the decorated one's
        return {"fn": self.fn, "args": self.args, "kwargs": self.kwargs}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["fn"], state["args"], state["kwargs"])  # type: ignore[misc]

    def __call__(self) -> Any:
        import asyncio

        result = self.fn(*self.args, **self.kwargs)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        return result


def _space(req: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    """The dimensions (the sweep file's, then ``-m``: later wins) and the study settings."""
    from ..tune.grammar import load_sweep, parse_override

    dims: dict[str, Any] = {}
    study: dict[str, Any] = {}
    if req.args.sweep:
        loaded = load_sweep(req.args.sweep)
        dims.update(loaded.params)
        study.update(loaded.study)
    for text in req.args.multirun:
        key, dim = parse_override(text)
        dims[key] = dim
    a = req.args
    for name, value in (
        ("n_trials", a.n_trials),
        ("storage", a.storage),
        ("name", a.study_name),
        ("workers", a.workers),
        ("launcher", a.launcher),
    ):
        if value is not None:
            study[name] = value
    if a.direction:
        study["direction"] = a.direction if len(a.direction) > 1 else a.direction[0]
    if "directions" in study:
        study["direction"] = study.pop("directions")
    return dims, study


def sweep(
    req: Request, res: Resolution, values: dict[str, Any], owned: list[Loc], prog: str
) -> Any:
    """Runs the sweep of ``req``; prints the summary; returns the :class:`tune.Result`."""
    from .. import tune
    from ..tune.summary import print_rich, summary

    cmd = req.cmd
    try:
        dims, study = _space(req)
    except ConfigValidationError as e:
        _fail(prog, findings(e.errors()))
    except (HyperparameterError, ValueError, OSError) as e:
        _fail(prog, [str(e)])
    sampled = [k for k, d in dims.items() if d.grid() is None]
    if sampled and study.get("n_trials") is None and study.get("timeout") is None:
        _fail(
            prog,
            [
                f"{', '.join(sampled)}: an interval samples with Optuna: give --n-trials N "
                "(or n_trials in the sweep file's study); choices and ranges alone run the grid"
            ],
        )
    tuned = set(dims)
    missing = [p.name for p in cmd.params if p.name not in values and p.key not in tuned]
    if missing:
        _fail(prog, [f"the following arguments are required: {', '.join(missing)}"])
    args, kwargs, fixed = _arguments(cmd, values, tuned)
    objective = CliObjective(cmd.fn, args, kwargs)
    config: Any = res.instance
    tree = res.subtree(owned) if res.instance is not None else res.tree
    if config is None:  # no schema: the merged tree and the parameters' values
        config = _with(tree, cmd, values)
        tree, fixed = {}, {}
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(param_scope(*[tree] if tree else [], **fixed))
            result = tune.run(
                objective,
                dims,
                config=config,
                n_trials=study.get("n_trials"),
                direction=study.get("direction", "minimize"),
                storage=study.get("storage"),
                study_name=study.get("name"),
                workers=study.get("workers", 1),
                launcher=study.get("launcher", "local"),
                seed=study.get("seed"),
                timeout=study.get("timeout"),
            )
    except ConfigValidationError as e:
        _fail(prog, findings(e.errors()))
    except (HyperparameterError, ValueError, TypeError) as e:
        _fail(prog, [str(e)])
    with writing(prog):
        if terminal():
            flush_stdout()
            print_rich(result)  # rich on a terminal, plain text otherwise (logs, pipes)
        else:
            out(summary(result))
        if req.args.dump_best:
            result.dump_best(req.args.dump_best)
            out(f"best config written to {req.args.dump_best}")
    return result


def _with(tree: dict[str, Any], cmd: Command, values: dict[str, Any]) -> dict[str, Any]:
    """``tree`` (a copy) with each parameter's value at its key."""
    import copy

    out = copy.deepcopy(tree)
    for p in cmd.params:
        if p.name not in values:
            continue
        node: dict[Any, Any] = out
        for part in p.loc[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[p.loc[-1]] = values[p.name]
    return out


def _arguments(
    cmd: Command, values: dict[str, Any], tuned: set[str]
) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
    """The arguments of each call (the required parameters, which ``@auto_param`` cannot
    fill) and the typed values of the untuned parameters, for the scope around the study
    (the function reads them, and the tuned ones, from it)."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    fixed: dict[str, Any] = {}
    for p in cmd.params:
        if p.key in tuned or p.name not in values:
            continue
        fixed[p.key] = values[p.name]
        if p.default is not MISSING:
            continue
        if p.kind is inspect.Parameter.POSITIONAL_ONLY:
            args.append(values[p.name])
        else:
            kwargs[p.name] = values[p.name]
    return args, kwargs, fixed


def _fail(prog: str, lines: list[str]) -> NoReturn:
    for line in lines:
        print(f"{prog}: error: {line}", file=sys.stderr)
    raise SystemExit(2)
