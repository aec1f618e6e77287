"""The scope API: ``param_scope`` and its handles, the accessor, ``auto_param`` (DESIGN §4)."""

from __future__ import annotations

from .inject import auto_param
from .scope import ParamScope, TypedScope, param_scope

__all__ = ["ParamScope", "TypedScope", "auto_param", "param_scope"]
