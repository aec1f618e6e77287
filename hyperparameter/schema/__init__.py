"""Schema adapters: stdlib dataclasses and pydantic v2 models as equal citizens."""

from __future__ import annotations

from .fields import is_schema, to_tree
from .validate import SchemaAdapter, adapter_for

__all__ = ["SchemaAdapter", "adapter_for", "is_schema", "to_tree"]


def __getattr__(name: str) -> object:
    # The views are loaded on first use.
    if name in ("View", "Binding", "check_write", "snapshot", "validate_items", "view_for"):
        from . import views

        return getattr(views, name)
    raise AttributeError(name)
