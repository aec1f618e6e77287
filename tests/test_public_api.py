"""The public surface: __all__ is a complete, sorted literal; public names have docstrings."""

from __future__ import annotations

import inspect

import hyperparameter as hp
from hyperparameter import errors


def test_all_is_sorted_and_complete() -> None:
    assert hp.__all__ == sorted(hp.__all__)
    # dir(): the names imported on first use (the loader, the CLI) are listed there too
    public = {n for n in dir(hp) if not n.startswith("_") and n not in {"annotations"}}
    modules = {n for n in public if inspect.ismodule(getattr(hp, n))} - {"storage"}
    assert set(hp.__all__) - {"__version__"} == public - modules


def test_public_names_have_docstrings() -> None:
    for name in hp.__all__:
        obj = getattr(hp, name)
        if callable(obj):
            assert obj.__doc__, name


def test_exception_tree() -> None:
    assert issubclass(errors.ConfigFileError, ValueError)
    assert issubclass(errors.InterpolationError, ValueError)
    assert issubclass(errors.ConfigValidationError, ValueError)
    assert issubclass(errors.ConversionError, ValueError)
    assert issubclass(errors.MissingParameterError, KeyError)
    assert issubclass(errors.InvalidKeyError, ValueError)
    assert issubclass(errors.SchemaError, TypeError)
    assert issubclass(errors.ScopeError, RuntimeError)
    for name in errors.__all__:
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, Exception):
            assert issubclass(cls, errors.HyperparameterError)
            assert getattr(hp, name) is cls


def test_06_names() -> None:
    assert hp.scope is hp.param_scope
    assert hp.param is hp.auto_param
    assert isinstance(hp.storage.has_rust_backend, bool)
