"""Validation of a config tree by a schema, the same for both kinds.

pydantic v2 does the validation for both — it builds stdlib dataclasses too, running
``__post_init__`` and honouring ``frozen``, ``default_factory``, ``Optional``, ``Literal``,
``Enum``, ``Path``, ``datetime``, ``Annotated`` and containers — so the two kinds give the same
messages. Around it the adapter adds what pydantic does not: unknown keys reported with "did
you mean", the shared coercion table (DESIGN §5) for raw override strings (both kinds) and for
every value of a dataclass schema, and a tree of the schema's defaults for interpolation.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from typing import Any

import pydantic

from ..coerce import Raw, coerce
from ..errors import ConversionError, ErrorDetails, SchemaError
from . import pydantic as _pydantic
from .fields import (
    _defaults,
    _extra_allowed,
    _fields,
    _group,
    _name,
    is_schema,
    unknown_key,
    unwrap,
)

__all__ = ["SchemaAdapter", "adapter_for"]

Loc = tuple[str | int, ...]
_NO_DEFAULT: Any = dataclasses.MISSING


_TABLE_TYPES = frozenset({bool, int, float, str, list, tuple, set, frozenset})


def _on_table(annotation: Any) -> bool:
    base = unwrap(annotation)
    return base in _TABLE_TYPES or typing.get_origin(base) in _TABLE_TYPES


def _bool_mismatch(value: Any, annotation: Any) -> tuple[str, str] | None:
    """The table refuses bools for numbers where pydantic's lax mode would accept them."""
    base = unwrap(annotation)
    if isinstance(value, bool) and base is int:
        return "int_type", "Input should be a valid integer"
    if isinstance(value, bool) and base is float:
        return "float_type", "Input should be a valid number"
    return None


def _error(loc: Loc, msg: str, type_: str, input_: Any) -> ErrorDetails:
    return {"loc": loc, "msg": msg, "type": type_, "input": input_, "source": None}


class SchemaAdapter:
    """Validation and introspection for one schema class."""

    def __init__(self, schema: type) -> None:
        if not is_schema(schema):
            raise SchemaError(f"{_name(schema)} is not a dataclass or a pydantic model class")
        self.schema = schema
        self.name = schema.__name__
        self.table_all = not _pydantic.is_model_class(schema)
        _fields(schema)
        try:
            self._adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(schema)
        except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError) as e:
            raise SchemaError(f"{self.name}: unsupported schema: {e}") from e
        except TypeError as e:
            raise SchemaError(f"{self.name}: unsupported schema: {e}") from e

    # -- introspection -------------------------------------------------------------------

    def annotation_at(self, loc: Loc) -> tuple[bool, Any]:
        """``(known, annotation)`` of the field at ``loc``; below a non-group field every
        location is known, with annotation ``Any``."""
        cls: type | None = self.schema
        annotation: Any = self.schema
        for part in loc:
            if cls is None:
                base = unwrap(annotation)
                origin = typing.get_origin(base)
                args = typing.get_args(base)
                if origin in (list, tuple, set, frozenset) and args and isinstance(part, int):
                    annotation = args[0]
                elif origin is dict and len(args) == 2:
                    annotation = args[1]
                else:
                    return True, Any
                cls = _group(annotation)
                continue
            f = _fields(cls).get(str(part))
            if f is None:
                return _extra_allowed(cls), Any
            annotation = f.annotation
            cls = _group(annotation)
        return True, annotation

    def defaults(self) -> dict[str, Any]:
        """The schema's defaults as a tree (the lowest merge layer)."""
        return _defaults(self.schema)

    # -- validation ----------------------------------------------------------------------

    def validate(self, tree: Mapping[str, Any]) -> tuple[Any, list[ErrorDetails]]:
        """An instance of the schema, or ``None`` and every error found."""
        errors: list[ErrorDetails] = []
        prepared = self._walk(tree, self.schema, (), errors)
        try:
            instance = self._adapter.validate_python(prepared)
        except pydantic.ValidationError as e:
            for err in e.errors(include_url=False):
                if err["type"] == "extra_forbidden":
                    continue  # reported by the walk, with "did you mean"
                loc = tuple(err["loc"])
                # pydantic adds union tags and validator names to `loc`; a missing field's
                # name is legitimately absent from the input
                if err["type"] == "missing" and loc:
                    loc = (*_trim(loc[:-1], prepared), loc[-1]) if loc[:-1] else loc
                else:
                    loc = _trim(loc, prepared)
                errors.append(_error(loc, err["msg"], err["type"], err.get("input")))
            return None, errors
        except Exception as e:  # a __post_init__ or validator raising something else
            loc, group = self._crash_site(prepared)
            message = f"{type(e).__name__}: {_text(e)}"
            errors.append(_error(loc, message, "value_error", group if loc else None))
            return None, errors
        if errors:
            return None, errors
        return instance, errors

    def _crash_site(self, tree: Any) -> tuple[Loc, Any]:
        """Where a validator that raised something other than a validation error lives: the
        innermost group (nested dataclass or model, list item, dict value) whose validation on
        its own raises too; the root when none does. Runs only after such a crash."""
        loc: Loc = ()
        cls, node = self.schema, tree
        while True:
            for sub_loc, sub_cls, sub_node in _groups_in(cls, node):
                try:
                    adapter_for(sub_cls)._adapter.validate_python(sub_node)
                except pydantic.ValidationError:
                    continue
                except Exception:
                    loc, cls, node = (*loc, *sub_loc), sub_cls, sub_node
                    break
            else:
                return loc, node

    def _walk(self, value: Any, cls: type, loc: Loc, errors: list[ErrorDetails]) -> Any:
        if not isinstance(value, Mapping):
            return value  # pydantic reports the type error
        fields = _fields(cls)
        out: dict[str, Any] = {}
        for k, v in value.items():
            f = fields.get(k)
            if f is None:
                if _extra_allowed(cls):
                    out[k] = v
                else:
                    errors.append(
                        _error((*loc, k), unknown_key(k, list(fields)), "extra_forbidden", v)
                    )
                continue
            out[k] = self._value(v, f.annotation, (*loc, k), errors)
        return out

    def _value(self, v: Any, annotation: Any, loc: Loc, errors: list[ErrorDetails]) -> Any:
        group, base, kind, sub, table = _shape(annotation)
        if group is not None and isinstance(v, Mapping):
            return self._walk(v, group, loc, errors)
        if kind is _SEQ and sub is not None and isinstance(v, list):
            return [
                self._walk(x, sub, (*loc, i), errors) if isinstance(x, Mapping) else x
                for i, x in enumerate(v)
            ]
        if kind is _DICT and sub is not None and isinstance(v, Mapping):
            return {k: self._walk(x, sub, (*loc, k), errors) for k, x in v.items()}
        raw = type(v) is Raw
        if raw or (self.table_all and table and type(v) is not base):
            if not raw:
                mismatch = _bool_mismatch(v, annotation)
                if mismatch is not None:
                    errors.append(_error(loc, mismatch[1], mismatch[0], v))
                    return v
            try:
                return coerce(v, annotation, ".".join(map(str, loc)))
            except ConversionError:
                # pydantic types it, or words the error the same way as every other one
                return v.text if raw else v
        return v


_SEQ = "seq"
_DICT = "dict"
_Shape = tuple[type | None, Any, str | None, type | None, bool]


def _shape_of(annotation: Any) -> _Shape:
    """What ``_value`` needs to know of a field's annotation: its group (a nested schema), its
    base type (``Annotated`` and ``Optional`` unwrapped), whether it is a sequence or dict of
    groups (and of which), and whether the coercion table types it."""
    base = unwrap(annotation)
    origin = typing.get_origin(base)
    args = typing.get_args(base)
    kind: str | None = None
    sub: type | None = None
    if origin in (list, tuple, set, frozenset) and args:
        kind, sub = _SEQ, _group(args[0])
    elif origin is dict and len(args) == 2:
        kind, sub = _DICT, _group(args[1])
    group = base if is_schema(base) else None
    return group, base, kind, sub, _on_table(annotation)


@lru_cache(maxsize=4096)
def _shape_cached(annotation: Any) -> _Shape:
    return _shape_of(annotation)


def _shape(annotation: Any) -> _Shape:
    """``_shape_of(annotation)``, kept per annotation (a schema's annotations do not change);
    an unhashable one is worked out each time."""
    try:
        return _shape_cached(annotation)
    except TypeError:
        return _shape_of(annotation)


def _text(error: BaseException) -> str:
    """``str(error)``, or a stand-in when the exception cannot even say what it is."""
    try:
        return str(error)
    except Exception:
        return f"<{type(error).__name__} whose str() raised>"


def _groups_in(cls: type, node: Any) -> Iterator[tuple[Loc, type, Any]]:
    """The nested groups of ``node`` (a mapping validated as ``cls``): ``(loc relative to
    node, group class, its mapping)`` for group fields, group list items and dict values."""
    if not isinstance(node, Mapping):
        return
    for key, f in _fields(cls).items():
        value = node.get(key)
        group = _group(f.annotation)
        if group is not None and isinstance(value, Mapping):
            yield (key,), group, value
            continue
        base = unwrap(f.annotation)
        origin, args = typing.get_origin(base), typing.get_args(base)
        if origin in (list, tuple, set, frozenset) and isinstance(value, list) and args:
            item = _group(args[0])
            if item is not None:
                for i, x in enumerate(value):
                    if isinstance(x, Mapping):
                        yield (key, i), item, x
        elif origin is dict and isinstance(value, Mapping) and len(args) == 2:
            item = _group(args[1])
            if item is not None:
                for k, x in value.items():
                    if isinstance(x, Mapping):
                        yield (key, k), item, x


@cache
def adapter_for(schema: type) -> SchemaAdapter:
    """The (cached) adapter of a schema class; ``SchemaError`` if it is not one."""
    return SchemaAdapter(schema)


def _trim(loc: Loc, tree: Any) -> Loc:
    """The longest prefix of a pydantic ``loc`` that names a node of the input tree (pydantic
    adds union member tags and validator names)."""
    node = tree
    for i, part in enumerate(loc):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
            continue
        if isinstance(node, (list, tuple)) and isinstance(part, int) and part < len(node):
            node = node[part]
            continue
        return loc[:i] if i else loc[:1]
    return loc
