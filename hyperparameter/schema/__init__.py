"""Schema adapters: stdlib dataclasses and pydantic v2 models as equal citizens."""

from __future__ import annotations

from ._adapter import SchemaAdapter, adapter_for, is_schema, to_tree

__all__ = ["SchemaAdapter", "adapter_for", "is_schema", "to_tree"]
