"""The field model both adapters share: a schema's fields (name, annotation, default), the
groups nested in it, its defaults as a tree, and instances as plain trees."""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, Union

from ..errors import SchemaError, quoted, shown
from . import dataclass as _dataclass
from . import pydantic as _pydantic

__all__ = ["is_schema", "to_tree", "unknown_key"]

Loc = tuple[str | int, ...]
_NO_DEFAULT: Any = dataclasses.MISSING


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str  # the key in a config file (a pydantic alias if the field has one)
    annotation: Any
    default: Any
    factory: Any  # a zero-argument callable, or _NO_DEFAULT


def _name(obj: object) -> str:
    """What a message calls something given as a schema: its quoted qualified name, else its
    bounded repr (any object prints)."""
    name = getattr(obj, "__qualname__", None)
    return repr(name) if isinstance(name, str) else shown(obj)


def is_schema(obj: object) -> bool:
    """Whether ``obj`` is a dataclass or pydantic model class."""
    return isinstance(obj, type) and (
        dataclasses.is_dataclass(obj) or _pydantic.is_model_class(obj)
    )


@cache
def _fields(cls: type) -> dict[str, _Field]:
    if dataclasses.is_dataclass(cls):
        found = _dataclass.fields_of(cls)
    elif _pydantic.is_model_class(cls):
        found = _pydantic.fields_of(cls)
    else:
        raise SchemaError(f"{_name(cls)} is not a dataclass or a pydantic model class")
    return {key: _Field(key, annotation, d, f) for key, annotation, d, f in found}


def unwrap(annotation: Any) -> Any:
    """``Annotated[X, ...]`` → X; ``Optional[X]`` → X (a union with one non-None member)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _group(annotation: Any) -> type | None:
    base = unwrap(annotation)
    return base if is_schema(base) else None


def _extra_allowed(cls: type) -> bool:
    return _pydantic.is_model_class(cls) and _pydantic.extra_allowed(cls)


_LEAVES = frozenset({str, int, float, bool, type(None), bytes})


def _branches(value: Any) -> tuple[Any, Any] | None:
    """``(empty copy, (key, child) iterator)`` of a group or sequence, or None for a leaf."""
    if type(value) in _LEAVES:
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {}, _dataclass.values_of(value)
    if _pydantic.is_model_class(type(value)):
        return {}, _pydantic.values_of(value)
    if isinstance(value, Mapping):
        return {}, iter(value.items())
    if isinstance(value, (list, tuple)):
        return [], enumerate(value)
    return None


def to_tree(value: Any) -> Any:
    """A dataclass / model instance as plain nested dicts and lists (leaves kept as objects).

    Iterative, so any depth works; a value that contains itself is a ``ValueError``.
    """
    top = _branches(value)
    if top is None:
        return value
    root = top[0]
    stack: list[tuple[Any, Any, int]] = [(root, top[1], id(value))]
    path = {id(value)}  # the containers being copied: meeting one again is a cycle
    while stack:
        out, items, ident = stack[-1]
        for key, child in items:
            sub = _branches(child)
            if sub is None:
                leaf = child
            elif id(child) in path:
                where = ".".join(str(k) for k in _keys_of(stack)) + ("." if stack[1:] else "")
                raise ValueError(f"{where}{key}: the value contains itself (a cycle)")
            else:
                leaf = sub[0]
            if isinstance(out, dict):
                out[key] = leaf
            else:
                out.append(leaf)
            if sub is not None:
                path.add(id(child))
                stack.append((leaf, sub[1], id(child)))
                break
        else:
            stack.pop()
            path.discard(ident)
    return root


def _keys_of(stack: list[tuple[Any, Any, int]]) -> list[Any]:
    """The keys leading to the innermost open container (error path only)."""
    keys: list[Any] = []
    for (parent, _, _), (child, _, _) in itertools.pairwise(stack):
        items = parent.items() if isinstance(parent, dict) else enumerate(parent)
        keys.append(next(k for k, v in items if v is child))
    return keys


def unknown_key(key: object, choices: list[str]) -> str:
    """The message of an unknown key: ``unknown key 'actt'; did you mean 'act'?``."""
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6) if isinstance(key, str) else []
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key {quoted(key)}{hint}"


def _defaults(cls: type) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, f in _fields(cls).items():
        if f.default is not _NO_DEFAULT:
            value = f.default
        elif f.factory is not _NO_DEFAULT:
            try:
                value = f.factory()
            except TypeError:  # a pydantic factory that takes the validated data
                continue
        else:
            group = _group(f.annotation)
            if group is None:
                continue
            value = _defaults(group)
            if not value:
                continue
        out[key] = to_tree(value)
    return out
