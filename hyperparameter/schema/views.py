"""Typed views: ``with param_scope(cfg) as ps`` binds ``ps`` to a view of ``type(cfg)``.

One view class per (schema class, key prefix), generated once. Nested groups are plain slots
holding their sub-view, built once; each leaf is a descriptor that reads the store by a
precomputed hash, caching the value against (current frame object, snapshot version) — frames
are immutable, so the next read after any enter, exit or write sees it. Views define no
``__getattr__`` (it would take CPython's attribute fast path away); a misspelt name is a plain
``AttributeError`` whose traceback says "Did you mean: …?". Writes are validated against the
field's type before they reach the store.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import Any, TypeVar

import pydantic

from .. import storage as _st
from ..coerce import Raw
from ..errors import ConfigValidationError, ErrorDetails, MissingParameterError, Redacted
from ..storage.handles import LiveHandle
from ..storage.keys import key_hash
from .fields import _fields, _group, unknown_key
from .secrets import is_secret_type
from .validate import SchemaAdapter, adapter_for

__all__ = ["Binding", "binding_for", "check_write", "snapshot", "validate_items", "view_for"]

_get = _st.get
_current = _st.CURRENT_FRAME.get
_TOP = _st.TOP
_frame_ref = _st.frame_ref
_VERSION = _st.SNAPSHOT_VERSION
_MISSING: Any = object()
T = TypeVar("T")


class Binding:
    """A schema bound by a typed scope: keys under its top-level fields are checked."""

    __slots__ = ("adapter", "tops")

    def __init__(self, schema: type) -> None:
        self.adapter = adapter_for(schema)
        self.tops = frozenset(_fields(schema))

    def __repr__(self) -> str:
        return f"Binding({self.adapter.name})"


@cache
def binding_for(schema: type) -> tuple[Binding]:
    """The (cached) binding tuple of a schema class, as frames carry it."""
    return (Binding(schema),)


@cache
def _type_adapter(annotation: Any) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(annotation)


@lru_cache(maxsize=8192)
def _plan(adapter: SchemaAdapter, key: str) -> tuple[tuple[str | int, ...], bool, Any]:
    """``(loc, known, annotation)`` of ``key`` in ``adapter``'s schema (a schema's fields do
    not change: kept for the next write or scope of the same key)."""
    loc: tuple[str | int, ...] = tuple(int(p) if p.isdigit() else p for p in key.split("."))
    known, annotation = adapter.annotation_at(loc)
    return loc, known, annotation


def _check(adapter: SchemaAdapter, key: str, value: Any, errors: list[ErrorDetails]) -> Any:
    loc, known, annotation = _plan(adapter, key)
    if not known:
        parent_known, parent = adapter.annotation_at(loc[:-1])
        group = _group(parent) if parent_known else None
        names = list(_fields(group)) if group is not None else []
        msg = unknown_key(loc[-1], names)
        errors.append(
            {"loc": loc, "msg": msg, "type": "extra_forbidden", "input": value, "source": None}
        )
        return value
    local: list[ErrorDetails] = []
    prepared = adapter._value(value, annotation, loc, local)
    if local:
        errors.extend(local)
        return value
    try:
        return _type_adapter(annotation).validate_python(prepared)
    except pydantic.ValidationError as e:
        for err in e.errors(include_url=False):
            inp = value.text if type(value) is Raw else value
            if is_secret_type(annotation):
                inp = Redacted()
            errors.append(
                {"loc": loc, "msg": err["msg"], "type": err["type"], "input": inp, "source": None}
            )
        return value


def _owner(bound: Iterable[Binding], key: str) -> Binding | None:
    top = key.split(".", 1)[0]
    for binding in reversed(tuple(bound)):
        if top in binding.tops:
            return binding
    return None


def validate_items(
    bound: tuple[Binding, ...], items: list[tuple[int | None, str, Any]]
) -> list[tuple[int | None, str, Any]]:
    """The entries of a scope entered under typed scopes, checked and coerced; raises one
    :class:`ConfigValidationError` with every problem."""
    errors: list[ErrorDetails] = []
    out = []
    names: list[str] = []
    for h, key, value in items:
        binding = _owner(bound, key)
        if binding is not None:
            value = _check(binding.adapter, key, value, errors)
            names.append(binding.adapter.name)
        out.append((h, key, value))
    if errors:
        raise ConfigValidationError(f"validating {names[0]}", errors)
    return out


def check_write(key: str, value: Any) -> Any:
    """``value`` checked against the bound schema that owns ``key`` (if any)."""
    bound = _st.bound_schemas()
    if bound is None:
        return value
    binding = _owner(bound, key)
    if binding is None:
        return value
    errors: list[ErrorDetails] = []
    checked = _check(binding.adapter, key, value, errors)
    if errors:
        raise ConfigValidationError(f"validating {binding.adapter.name}", errors)
    return checked


# ------------------------------------------------------------------------------- views


class _Leaf:
    """A leaf field of a view: reads its key from the store."""

    __slots__ = ("cache", "hash", "key")

    def __init__(self, key: str) -> None:
        self.key = key
        self.hash = key_hash(key)
        # (weak reference to the frame, snapshot version, value), as the accessors keep it
        self.cache: tuple[Callable[[], Any], int, Any] = (_st.NO_FRAME, -1, _MISSING)

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        frame = _current(_TOP)
        version = _VERSION[0]  # before the read: a freeze in between must not be cached as seen
        cache = self.cache
        if cache[0]() is frame and cache[1] == version:
            return cache[2]
        v = _get(self.hash, self.key, _MISSING)
        if v is _MISSING:
            raise MissingParameterError(self.key)
        self.cache = (_frame_ref(frame), version, v)
        return v


class View(LiveHandle):
    """Base of the generated view classes (``isinstance(ps, hp.schema.View)``)."""

    __slots__ = ()
    _hp_instead = "take its values with hp.snapshot(view), a real instance of the schema"
    _hp_schema: type
    _hp_prefix: str
    _hp_leaves: frozenset[str]
    _hp_groups: frozenset[str]
    _hp_write: Callable[[str, Any], None]

    def __setattr__(self, name: str, value: Any) -> None:
        cls = type(self)
        if name not in cls._hp_leaves and name not in cls._hp_groups:
            close = difflib.get_close_matches(
                name, sorted(cls._hp_leaves | cls._hp_groups), n=1, cutoff=0.6
            )
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise AttributeError(
                f"{cls._hp_schema.__name__} has no field {name!r}{hint}", name=name, obj=self
            )
        # The one write path (flattening, validation, the store), handed down by the API
        # that made the view.
        cls._hp_write(f"{cls._hp_prefix}{name}", value)

    def __repr__(self) -> str:
        return f"<view of {type(self)._hp_schema.__name__} at {type(self)._hp_prefix or '.'}>"

    def _hp_describe(self) -> str:
        return f"a typed view of {type(self)._hp_schema.__name__}"


@cache
def _view_class(schema: type, prefix: str, write: Callable[[str, Any], None]) -> type[View]:
    leaves: list[str] = []
    groups: list[str] = []
    ns: dict[str, Any] = {}
    for name, f in _fields(schema).items():
        group = _group(f.annotation)
        if group is not None and f.default is not None:
            groups.append(name)
        else:
            leaves.append(name)
            ns[name] = _Leaf(prefix + name)
    ns.update(
        __slots__=tuple(groups),
        _hp_schema=schema,
        _hp_prefix=prefix,
        _hp_leaves=frozenset(leaves),
        _hp_groups=frozenset(groups),
        _hp_write=staticmethod(write),
        __qualname__=f"{schema.__qualname__}View",
    )
    return type(f"{schema.__name__}View", (View,), ns)


def _build(schema: type, prefix: str, write: Callable[[str, Any], None]) -> View:
    cls = _view_class(schema, prefix, write)
    view = object.__new__(cls)
    for name in cls._hp_groups:
        group = _group(_fields(schema)[name].annotation)
        assert group is not None
        object.__setattr__(view, name, _build(group, f"{prefix}{name}.", write))
    return view


@cache
def view_for(schema: type, write: Callable[[str, Any], None]) -> View:
    """The (cached) typed view of a schema class; ``write(key, value)`` is what an
    assignment to one of its fields calls (the scope API's write path)."""
    return _build(schema, "", write)


def snapshot(view: T) -> T:
    """The current effective values behind a typed view, as a real schema instance."""
    if not isinstance(view, View):
        raise TypeError(f"snapshot() takes a typed view (param_scope(cfg)), not {view!r}")
    cls = type(view)
    prefix = cls._hp_prefix
    tops = set(_fields(cls._hp_schema))
    tree: dict[str, Any] = {}
    # Shortest keys first: a list (stored whole) lands before its by-index copies, which the
    # walk then skips.
    ours = []
    for key, value in _st.effective():
        if key.startswith(prefix):
            parts = key[len(prefix) :].split(".")
            if parts[0] in tops:
                ours.append((parts, value))
    for parts, value in sorted(ours, key=lambda kv: len(kv[0])):
        node: Any = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.setdefault(parts[-1], value)
    instance, errors = adapter_for(cls._hp_schema).validate(tree)
    if errors:
        raise ConfigValidationError(f"snapshot of {cls._hp_schema.__name__}", errors)
    return instance  # type: ignore[no-any-return]
