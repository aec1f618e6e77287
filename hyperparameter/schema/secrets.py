"""Which schema fields and values are secret: pydantic's ``SecretStr``, ``SecretBytes`` and
``Secret[…]`` (the display side is ``errors.Redacted``; the loader knows the rest)."""

from __future__ import annotations

import functools
import typing
from typing import Any

from .fields import unwrap

__all__ = ["is_secret_type", "is_secret_value"]


@functools.cache
def _secret_classes() -> tuple[type, ...]:
    import pydantic

    names = ("SecretStr", "SecretBytes", "Secret")
    return tuple(c for c in (getattr(pydantic, n, None) for n in names) if isinstance(c, type))


def is_secret_type(annotation: Any) -> bool:
    """Whether a field typed ``annotation`` holds a secret (``Optional`` and ``Annotated``
    unwrapped)."""
    base = unwrap(annotation)
    base = typing.get_origin(base) or base
    return isinstance(base, type) and issubclass(base, _secret_classes())


def is_secret_value(value: object) -> bool:
    """Whether ``value`` is a pydantic secret (``SecretStr`` …)."""
    return isinstance(value, _secret_classes())
