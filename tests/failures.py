"""Real failures, one or more per exception class of ``hyperparameter.errors``, by name.

Shared by ``test_errors.py`` (pickle and copy) and ``robustness/test_processes.py`` (errors
raised in worker processes): a module of its own, because a spawned worker imports the
function it runs by reference. Each failure writes the files it needs into a given folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hyperparameter as hp
from hyperparameter import errors
from hyperparameter.loader import interpolate as _interpolate
from hyperparameter.storage import keys as _keys


@dataclass
class Model:
    lr: float = 1e-3
    layers: int = 4


@dataclass
class Train:
    model: Model = field(default_factory=Model)
    name: str = "run"


class RunFailed(hp.ConfigValidationError):
    """A subclass defined outside the package, with a constructor of its own."""

    def __init__(self, run: str, errors: Sequence[errors.ErrorDetails], *, attempt: int) -> None:
        self.run = run
        self.attempt = attempt
        super().__init__(f"of run {run} (attempt {attempt})", errors)


def _write(folder: str, name: str, text: str) -> str:
    path = os.path.join(folder, name)
    Path(path).write_text(text, encoding="utf-8")
    return path


def _file_error(folder: str) -> None:
    hp.load(_write(folder, "bad.yaml", "model:\n  lr: [1,\n  layers: 2\n"))


def _validation_error(folder: str) -> None:
    path = _write(folder, "train.yaml", "model:\n  lr: fast\n  layrs: 8\n'ab ': 1\n")
    hp.load(path, schema=Train, overrides=["model.layers=many"])


def _interpolation_error(folder: str) -> None:
    # a cycle across two files, a missing reference and an unset variable
    a = _write(folder, "a.yaml", "x: ${y}\nm: ${nowhere}\n")
    b = _write(folder, "b.yaml", "y: ${x}\ne: ${env:HP_FAILURES_UNSET}\n")
    os.environ.pop("HP_FAILURES_UNSET", None)
    hp.load(a, b)


def _plain_interpolation_error(folder: str) -> None:
    _, found = _interpolate.interpolate({"a": "${b}", "b": "${a}"}, {}, locate=lambda loc: "f:1:1")
    raise found[0]


def _conversion_error(folder: str) -> None:
    with hp.param_scope(**{"model.lr": "fast"}):
        hp.param_scope.model.lr | 0.1


def _missing_parameter(folder: str) -> None:
    hp.param_scope.model.nope()


def _invalid_key(folder: str) -> None:
    hp.param_scope(**{"a..b": 1})


def _override_error(folder: str) -> None:
    hp.load(_write(folder, "train.yaml", "model: {}\n"), overrides=["model.lr"])


def _schema_error(folder: str) -> None:
    hp.load(_write(folder, "train.yaml", "model: {}\n"), schema=int)


def _scope_error(folder: str) -> None:
    with _keys.forced_hash("model.b", _keys.xxh64("model.a")):
        hp.param_scope(**{"model.a": 1, "model.b": 2}).__enter__()


def _base_error(folder: str) -> None:
    raise hp.HyperparameterError("a failure of no finer class", "second argument")


def _subclass_error(folder: str) -> None:
    try:
        hp.load(_write(folder, "train.yaml", "model:\n  lr: fast\n"), schema=Train)
    except hp.ConfigValidationError as e:
        raise RunFailed("r7", e.errors(), attempt=2) from e


def _huge_input(folder: str) -> None:
    hp.load({"name": 10**5000}, schema=Train)


#: name -> (the class it raises, the failure); every exception class of ``errors`` appears.
FAILURES: dict[str, tuple[type[BaseException], Callable[[str], None]]] = {
    "file": (errors.ConfigFileError, _file_error),
    "validation": (errors.ConfigValidationError, _validation_error),
    "huge input": (errors.ConfigValidationError, _huge_input),
    "interpolation": (errors.ConfigInterpolationError, _interpolation_error),
    "plain interpolation": (errors.InterpolationError, _plain_interpolation_error),
    "conversion": (errors.ConversionError, _conversion_error),
    "missing parameter": (errors.MissingParameterError, _missing_parameter),
    "invalid key": (errors.InvalidKeyError, _invalid_key),
    "override": (errors.OverrideError, _override_error),
    "schema": (errors.SchemaError, _schema_error),
    "scope": (errors.ScopeError, _scope_error),
    "base": (errors.HyperparameterError, _base_error),
    "subclass": (RunFailed, _subclass_error),
}


def fail(job: tuple[str, str]) -> None:
    """Runs the failure ``job = (name, folder)``: raises its error (the worker of the
    process tests)."""
    name, folder = job
    FAILURES[name][1](folder)
    raise AssertionError(f"{name} did not fail")


def caught(name: str, folder: str) -> Any:
    """The error that the failure ``name`` raises, checked to be of exactly its class."""
    try:
        fail((name, folder))
    except BaseException as e:
        error = e
    if type(error) is not FAILURES[name][0]:
        raise AssertionError(f"{name}: {type(error).__name__}: {error}")
    return error
