"""The progress bar of a study: trials done (of how many) and the best value so far."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

__all__ = ["Bar"]


class Bar:
    """A tqdm bar over a study's trials when ``show``; else nothing. ``tick`` is an Optuna
    callback (one trial finished here); ``update_to`` sets the count (parallel runs poll)."""

    def __init__(self, study: optuna.Study, total: int | None, show: bool) -> None:
        self.study = study
        self.bar: Any = None
        if show:
            from tqdm.auto import tqdm  # type: ignore[import-untyped, unused-ignore]

            self.bar = tqdm(total=total, desc=f"study {study.study_name}", unit="trial")

    def __enter__(self) -> Bar:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.bar is not None:
            self.bar.close()

    def _best(self) -> None:
        if len(self.study.directions) != 1:
            return
        try:
            best = self.study.best_value
        except ValueError:
            return
        self.bar.set_postfix(best=f"{best:.6g}", refresh=False)

    def tick(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if self.bar is None:
            return
        if trial.state == TrialState.COMPLETE:
            self._best()
        self.bar.update(1)

    def update_to(self, n: int) -> None:
        if self.bar is None or n <= self.bar.n:
            return
        self._best()
        self.bar.update(n - self.bar.n)
