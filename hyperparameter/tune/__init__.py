"""Tuning on Optuna (DESIGN §12): search spaces checked against the schema before the first
trial, studies in memory, on SQLite, on any Optuna RDB URL, in local worker processes or on
Ray. Needs the ``[tune]`` extra (``pip install 'hyperparameter[tune]'``)."""

from __future__ import annotations

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
