"""What ``param_scope(*args, **kwargs)`` pushes: its entries, and for a config instance the
schema binding and the typed view (DESIGN §4). The store calls :func:`scope_items` for every
scope that is not a plain set of known keys with scalar values."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..coerce import Raw
from ..storage.keys import (
    Deferred,
    check_key,
    flatten,
    is_group,
    is_model,
    key_hash,
    parse_assignment,
    value_kind,
)

__all__ = ["scope_items"]


_VIEWS: Any = None


def _views() -> Any:
    # Typed views need the schema layer (pydantic): imported when a config is scoped, then
    # kept (a scope entered under a typed one calls through here every time)
    global _VIEWS
    if _VIEWS is None:
        from ..schema import views

        _VIEWS = views
    return _VIEWS


def scope_items(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[list[tuple[int | None, str, Any]] | Deferred, Any, Any, Any]:
    """``(entries, binding, view, origin)`` of ``param_scope(*args, **kwargs)``.

    The entries are ``(hash, key, value)`` (hash ``None``: the store hashes the key); for a
    dataclass / pydantic instance among ``args`` also the schema binding (a 1-tuple) and the
    typed view that ``__enter__`` returns. The origin is what the entries came from when that
    is one object (a config instance, a snapshot: the provenance of a capture), else ``None``.

    Positional arguments are ``"key=value"`` strings (stored raw) or groups (mappings,
    dataclass or pydantic instances) whose keys are single segments; keyword arguments are
    dotted keys. Later assignments of the same key win. With a schema instance, the other
    assignments are validated against its schema.
    """
    if len(args) == 1 and not kwargs:
        (a,) = args
        parts = getattr(type(a), "_hp_scope_parts", None)
        if parts is not None:  # a Snapshot (api.procs): its values, typed as where captured
            return (*_snapshot_items(*parts(a)), a)
        if isinstance(value_kind(a), tuple):  # one validated config: walked by the store itself
            cls: type = type(a)
            return Deferred(a), _views().binding_for(cls), _view_for(cls), a
    flat: dict[str, Any] = {}
    validated: set[str] = set()  # keys whose value came from a (validated) schema instance
    direct: set[str] = set()  # keys written by hand (hashed through the cache)
    schema: type | None = None
    for a in args:
        if isinstance(a, str):
            k, raw = parse_assignment(a, f"param_scope({a!r})")
            flat[k] = Raw(raw, source=f"param_scope({a!r})")
            validated.discard(k)
            direct.add(k)
        elif is_group(a):
            part: dict[str, Any] = {}
            flatten("", a, part)
            flat.update(part)
            if (dataclasses.is_dataclass(a) and not isinstance(a, type)) or is_model(a):
                schema = type(a)
                validated.update(part)
            else:
                validated.difference_update(part)
        else:
            raise TypeError(
                "param_scope() takes 'key=value' strings, mappings, or dataclass / pydantic "
                "instances as positional arguments (or one Snapshot alone), not "
                f"{type(a).__name__}"
            )
    for k, v in kwargs.items():
        part = {}
        flatten(check_key(k), v, part)
        flat.update(part)
        validated.difference_update(part)
        direct.add(k)
    # Keys from groups were checked segment by segment: the store hashes them (``None``), and
    # they stay out of the key cache, which holds only keys written by hand.
    items: list[tuple[int | None, str, Any]] = [
        (key_hash(k) if k in direct else None, k, v) for k, v in flat.items()
    ]
    if schema is None:
        return items, None, None, None
    views = _views()
    binding = views.binding_for(schema)
    own = [(h, k, v) for h, k, v in items if k not in validated]
    if own:
        checked = {k: v for _, k, v in views.validate_items(binding, own)}
        items = [(h, k, checked.get(k, v)) for h, k, v in items]
    return items, binding, _view_for(schema), None


def _snapshot_items(
    values: dict[str, Any], schemas: tuple[type, ...]
) -> tuple[list[tuple[int | None, str, Any]], Any, Any]:
    """``param_scope(snapshot)``: the captured values as they are (they were checked where
    they were set), bound to the captured schemas, entering to a view of the innermost."""
    items: list[tuple[int | None, str, Any]] = [(None, k, v) for k, v in values.items()]
    if not schemas:
        return items, None, None
    views = _views()
    binding: tuple[Any, ...] = ()
    for schema in schemas:
        binding += views.binding_for(schema)
    return items, binding, _view_for(schemas[-1])


def _view_for(schema: type) -> Any:
    """The typed view of ``schema``, writing through the API's one write path."""
    from .accessor import write

    return _views().view_for(schema, write)


def validate_items(bound: Any, items: list[tuple[int | None, str, Any]]) -> Any:
    """What the store calls to check a scope entered under typed scopes (see ``views``)."""
    return _views().validate_items(bound, items)
