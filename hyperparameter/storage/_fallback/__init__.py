"""Pure-Python twin of ``hyperparameter._core``: the same functions, results and errors.

Selected with ``HYPERPARAMETER_BACKEND=python``, or when the native module is missing.
``frames`` holds the context variable's chain of immutable frames and every read and write of
it; ``scope`` holds the scope objects that push and pop frames.
"""

from __future__ import annotations

from ..._version import __version__ as __version__
from .frames import (
    Frame,
    bind,
    bound_schemas,
    clear,
    depth,
    effective,
    effective_dict,
    enter,
    exit,
    freeze,
    get,
    origins,
    put,
    reset_snapshot,
    restore_snapshot,
    snapshot_token,
    xxh64,
)
from .scope import Scope, bind_scopes

__all__ = [
    "Frame",
    "Scope",
    "bind",
    "bind_scopes",
    "bound_schemas",
    "clear",
    "depth",
    "effective",
    "effective_dict",
    "enter",
    "exit",
    "freeze",
    "get",
    "origins",
    "put",
    "reset_snapshot",
    "restore_snapshot",
    "snapshot_token",
    "xxh64",
]
