"""The pydantic v2 adapter: a model's fields (by alias when it has one), its own ``extra``
setting, and an instance's values. Values from files are validated in pydantic's lax mode."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pydantic

__all__ = ["extra_allowed", "fields_of", "is_model_class", "values_of"]

_NO_DEFAULT: Any = dataclasses.MISSING


def is_model_class(cls: object) -> bool:
    """Whether ``cls`` is a pydantic model class."""
    return isinstance(cls, type) and issubclass(cls, pydantic.BaseModel)


def fields_of(cls: type) -> list[tuple[str, Any, Any, Any]]:
    """``(key, annotation, default, default_factory)`` of each field, keyed by its alias."""
    out = []
    for name, info in cls.model_fields.items():  # type: ignore[attr-defined]
        key = info.alias if isinstance(info.alias, str) else name
        default, factory = _NO_DEFAULT, _NO_DEFAULT
        if info.default_factory is not None:
            factory = info.default_factory
        elif not info.is_required():
            default = info.default
        out.append((key, info.rebuild_annotation(), default, factory))
    return out


def extra_allowed(cls: type) -> bool:
    """Whether the model's own config lets unknown keys through (``extra="allow"/"ignore"``)."""
    return cls.model_config.get("extra") in ("allow", "ignore")  # type: ignore[attr-defined]


def values_of(value: Any) -> Iterator[tuple[str, Any]]:
    """``(key, value)`` of a model instance, keys by alias."""
    fields = type(value).model_fields
    return (
        ((info.alias if isinstance(info.alias, str) else name), getattr(value, name))
        for name, info in fields.items()
    )
