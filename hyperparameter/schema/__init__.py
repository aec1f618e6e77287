"""Schema adapters: stdlib dataclasses and pydantic v2 models as equal citizens."""

from __future__ import annotations

from ._adapter import SchemaAdapter, adapter_for, is_schema, to_tree

__all__ = ["SchemaAdapter", "adapter_for", "is_schema", "to_tree"]


def __getattr__(name: str) -> object:
    # The views need the store; loaded on first use so that storage can import this package.
    if name in ("View", "Binding", "check_write", "snapshot", "validate_items", "view_for"):
        from . import _views

        return getattr(_views, name)
    raise AttributeError(name)
