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

from . import storage
from .api import ParamScope, auto_param, param_scope
from .cli import launch, run_cli
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
from .loader import Document, dump, load, loads
from .schema._views import snapshot

__version__ = "0.7.0"

#: 0.6 names.
scope = param_scope
param = auto_param
config = load

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
    "__version__",
    "auto_param",
    "config",
    "dump",
    "launch",
    "load",
    "loads",
    "param",
    "param_scope",
    "run_cli",
    "scope",
    "snapshot",
    "storage",
]
