"""hyperparameter: schema-validated configuration with a Rust-backed scoped parameter store.

>>> import hyperparameter as hp
>>> @hp.auto_param("model")
... def build(lr: float = 1e-3, layers: int = 4):
...     return lr, layers
>>> with hp.param_scope(**{"model.lr": 0.1}):
...     build()
(0.1, 4)
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING
from typing import Any as _Any

from . import storage
from ._version import __version__
from .api import ParamScope, auto_param, param_scope
from .errors import (
    ConfigFileError,
    ConfigInterpolationError,
    ConfigValidationError,
    ConversionError,
    HyperparameterError,
    InterpolationError,
    InvalidKeyError,
    MissingParameterError,
    OverrideError,
    SchemaError,
    ScopeError,
)

if TYPE_CHECKING:
    from .api.procs import Snapshot, capture, propagate
    from .cli import launch, run_cli
    from .loader import Document, dump, load, loads
    from .schema.views import snapshot

    config = load

#: 0.6 names.
scope = param_scope
param = auto_param

# Loading, validation and the command line are imported on first use, so that a program that
# only uses scopes and `@auto_param` never imports pydantic, ruamel.yaml or tomli; so are the
# helpers that take parameters across processes (api.procs).
_LAZY = {
    "Document": ("loader", "Document"),
    "Snapshot": ("api.procs", "Snapshot"),
    "capture": ("api.procs", "capture"),
    "config": ("loader", "load"),
    "dump": ("loader", "dump"),
    "launch": ("cli", "launch"),
    "load": ("loader", "load"),
    "loads": ("loader", "loads"),
    "propagate": ("api.procs", "propagate"),
    "run_cli": ("cli", "run_cli"),
    "snapshot": ("schema.views", "snapshot"),
}


def __getattr__(name: str) -> _Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'hyperparameter' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{where[0]}"), where[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted((set(globals()) | set(_LAZY)) - {"TYPE_CHECKING"})


__all__ = [
    "ConfigFileError",
    "ConfigInterpolationError",
    "ConfigValidationError",
    "ConversionError",
    "Document",
    "HyperparameterError",
    "InterpolationError",
    "InvalidKeyError",
    "MissingParameterError",
    "OverrideError",
    "ParamScope",
    "SchemaError",
    "ScopeError",
    "Snapshot",
    "__version__",
    "auto_param",
    "capture",
    "config",
    "dump",
    "launch",
    "load",
    "loads",
    "param",
    "param_scope",
    "propagate",
    "run_cli",
    "scope",
    "snapshot",
    "storage",
]
