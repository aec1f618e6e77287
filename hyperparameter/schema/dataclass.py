"""The stdlib dataclass adapter: a dataclass schema's fields and an instance's values. Every
value of a dataclass schema is converted by the shared coercion table (DESIGN §5)."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator
from typing import Any

from ..errors import SchemaError

__all__ = ["fields_of", "is_dataclass_schema", "values_of"]


def is_dataclass_schema(cls: object) -> bool:
    """Whether ``cls`` is a dataclass class."""
    return isinstance(cls, type) and dataclasses.is_dataclass(cls)


def fields_of(cls: type) -> list[tuple[str, Any, Any, Any]]:
    """``(name, annotation, default, default_factory)`` of each ``__init__`` field."""
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception as e:
        raise SchemaError(f"{cls.__qualname__}: cannot resolve annotations: {e}") from e
    return [
        (f.name, hints.get(f.name, Any), f.default, f.default_factory)
        for f in dataclasses.fields(cls)
        if f.init
    ]


def values_of(value: Any) -> Iterator[tuple[str, Any]]:
    """``(field name, value)`` of a dataclass instance."""
    return ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
