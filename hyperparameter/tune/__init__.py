"""Tuning on Optuna (DESIGN §12): search spaces checked against the schema before the first
trial, studies in memory, on SQLite, on any Optuna RDB URL, in local worker processes or on
Ray. Needs the ``[tune]`` extra (``pip install 'hyperparameter[tune]'``).

The dimensions (``uniform``, ``loguniform``, ``intrange``, ``choice``, ``space``) import
without Optuna, so a schema can declare them in ``Annotated`` fields; ``run``, ``report``,
``TrialPruned`` and ``Result`` import Optuna on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .legacy import lazy_dispatch, suggest_from
from .spaces import (
    Choice,
    Dimension,
    IntRange,
    Space,
    Uniform,
    choice,
    intrange,
    loguniform,
    space,
    uniform,
)

if TYPE_CHECKING:
    from .result import Result
    from .storage import StorageError
    from .study import run
    from .trial import TrialPruned, current_trial, report

__all__ = [
    "Choice",
    "Dimension",
    "IntRange",
    "Result",
    "Space",
    "StorageError",
    "TrialPruned",
    "Uniform",
    "choice",
    "current_trial",
    "intrange",
    "lazy_dispatch",
    "loguniform",
    "report",
    "run",
    "space",
    "suggest_from",
    "uniform",
]

_LAZY = {
    "Result": "result",
    "StorageError": "storage",
    "run": "study",
    "TrialPruned": "trial",
    "current_trial": "trial",
    "report": "trial",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hyperparameter.tune' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
