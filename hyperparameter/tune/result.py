"""What ``tune.run`` returns: the study, its trials, the best values and config, the best
config written with each tuned key marked by its trial, and the report's plots."""

from __future__ import annotations

import os
import re
from functools import cached_property
from typing import Any, Literal

import optuna
from optuna.trial import FrozenTrial, TrialState

from ..errors import HyperparameterError
from .check import Target
from .grid import Pending, Point
from .spaces import Space

__all__ = ["Result"]


class Result:
    """The outcome of :func:`~hyperparameter.tune.run`.

    ``study`` is the ``optuna.Study`` (its storage opens in ``optuna-dashboard``); ``trials``
    the trials this run added (``study.trials`` has every one); ``best_value``,
    ``best_params`` (flat keys) and ``best_config`` (a validated schema instance, or a flat
    mapping) describe the best trial of the study; with several directions, ``best_trials``
    is the Pareto front. ``interrupted``: the run was stopped by ``KeyboardInterrupt``.
    """

    def __init__(
        self,
        study: optuna.Study | None,
        space: Space,
        target: Target,
        ran: set[int],
        interrupted: bool,
        pending: Pending | None = None,
    ) -> None:
        self._study = study
        self.space = space
        self.interrupted = interrupted
        self._target = target
        self._ran = ran
        self._pending = pending

    @property
    def study(self) -> optuna.Study:
        """The ``optuna.Study`` (a grid sweep in memory writes it when first read)."""
        if self._study is None:
            assert self._pending is not None
            self._study, self._ran = self._pending.write()
            self._pending = None
        return self._study

    def __repr__(self) -> str:
        done = sum(t.state == TrialState.COMPLETE for t in self.trials)
        best = f", best_value={self.best_value!r}" if self._single and done else ""
        return f"<tune.Result of study {self.study.study_name!r}: {len(self.trials)} trials{best}>"

    @cached_property
    def trials(self) -> list[FrozenTrial]:
        """The trials this run added to the study (every state; not those that other runs
        added to a shared study meanwhile), by number."""
        every = self.study.get_trials(deepcopy=False)  # (first: a grid's study is written)
        ran = self._ran
        return [t for t in every if t.number in ran]

    @property
    def _single(self) -> bool:
        return len(self.study.directions) == 1

    @property
    def best_trial(self) -> FrozenTrial:
        """The study's best finished trial (one direction)."""
        if not self._single:
            raise HyperparameterError(
                "a study with several directions has no single best trial: use best_trials "
                "(the Pareto front)"
            )
        try:
            return self.study.best_trial
        except ValueError:
            raise HyperparameterError(
                f"study {self.study.study_name!r} has no completed trial"
            ) from None

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto-optimal trials (every direction), or the best one."""
        return self.study.best_trials

    def _best_point(self) -> Point | None:
        """The best point of a grid not written yet (one direction), else ``None``."""
        pending = self._pending
        if pending is None or len(pending.directions) != 1:
            return None
        best = pending.best()
        if best is None:
            self.best_trial  # noqa: B018 - raises what a study with no completed trial does
        return best

    @property
    def best_value(self) -> float:
        best = self._best_point()
        if best is not None:
            return float(best.value)
        value: float = self.best_trial.value  # type: ignore[assignment]
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        """The best trial's values, by flat key (choices given back as themselves)."""
        best = self._best_point()
        if best is not None:
            return {k: best.values[k] for k in self.space if k in best.values}
        return self.params_of(self.best_trial)

    def params_of(self, trial: FrozenTrial) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, dim in self.space.items():
            if key in trial.params:
                out[key] = _given_back(dim, trial.params[key])
        return out

    @property
    def best_config(self) -> Any:
        """The config with the best trial's values: a validated schema instance (or a flat
        mapping when the config was a mapping)."""
        config, _ = self._target.trial_config(self.best_params)
        return config

    def raise_if_all_failed(self) -> None:
        """Every trial of this run failed: one clear error, with the first trial's."""
        if self.interrupted:
            return
        pending = self._pending
        if pending is not None and any(p.state != "FAIL" for p in pending.points):
            return  # a grid with a point that did not fail: nothing to say, nothing written
        trials = self.trials
        if not trials:
            raise HyperparameterError(
                f"no trial of study {self.study.study_name!r} ran (did the worker processes "
                "start? with workers > 1 the objective must be importable, and a script "
                "must call tune.run under `if __name__ == '__main__':`)"
            )
        if all(t.state == TrialState.FAIL for t in trials):
            first = trials[0]
            why = first.user_attrs.get("error") or first.system_attrs.get("fail_reason", "")
            raise HyperparameterError(
                f"every trial of study {self.study.study_name!r} failed ({len(trials)} of "
                f"{len(trials)}); trial {first.number}: {why}"
            )

    def dump_best(self, path: str | os.PathLike[str]) -> str:
        """Writes the best config (YAML, TOML or JSON by the suffix), each tuned key marked
        with ``trial N of study 'NAME'`` in a comment (YAML and TOML); returns the text."""
        from ..loader import dump

        trial = self.best_trial
        text = dump(self.best_config, format=_format_of(path))
        mark = f"tuned: trial {trial.number} of study {self.study.study_name!r}"
        if _format_of(path) != "json":
            text = _marked(text, set(self.space), mark, _format_of(path) == "toml")
        tmp = f"{os.fspath(path)}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
        return text

    def plot(self, path: str | os.PathLike[str]) -> str:
        """Writes an HTML report: optimization history, parameter importances, parallel
        coordinates and slices; returns the path."""
        from .plots import write_report

        return write_report(self, os.fspath(path))


def _given_back(dim: Any, stored: Any) -> Any:
    from .spaces import Choice

    if isinstance(dim, Choice) and not dim._plain():
        return dim.choices[stored]
    return stored


def _format_of(path: str | os.PathLike[str]) -> Literal["yaml", "toml", "json"]:
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    return "toml" if suffix == ".toml" else "json" if suffix == ".json" else "yaml"


_YAML_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[^\s#:][^:#]*?):(?P<rest>\s.*)?$")
_TOML_TABLE = re.compile(r"^\[(?P<name>[^\]]+)\]\s*$")
_TOML_KEY = re.compile(r"^(?P<key>[A-Za-z0-9_\-\"'.]+)\s*=")


def _marked(text: str, keys: set[str], mark: str, toml: bool) -> str:
    """``text`` with ``# mark`` after the line of each of ``keys`` (flat, dotted)."""
    out: list[str] = []
    stack: list[tuple[int, str]] = []
    table = ""
    for line in text.splitlines():
        key = None
        if toml:
            m = _TOML_TABLE.match(line)
            if m:
                table = m["name"].strip().strip("\"'")
            elif (m := _TOML_KEY.match(line)) is not None:
                name = m["key"].strip("\"'")
                key = f"{table}.{name}" if table else name
        elif (m := _YAML_KEY.match(line)) is not None:
            indent = len(m["indent"])
            while stack and stack[-1][0] >= indent:
                stack.pop()
            name = m["key"].strip().strip("\"'")
            stack.append((indent, name))
            if (m["rest"] or "").strip():
                key = ".".join(k for _, k in stack)
        out.append(f"{line}  # {mark}" if key in keys else line)
    return "\n".join(out) + "\n"
