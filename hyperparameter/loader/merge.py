"""Layers merged left to right, with provenance (DESIGN §2, step 2).

A layer is ``(name, value)``: a parsed file, the schema defaults, or one dotted-key
:class:`Assignment` from an environment variable or an override. Names are what provenance
reports: ``"base.yaml"``, ``"default"``, ``"env:APP_MODEL__LR"``, ``"-D model.lr=3e-4"``.

Mappings merge deeply; anything else (a list, a scalar, ``None``) replaces what was there. The
result never shares a mutable container with a layer::

    layers = [("default", defaults), ("base.yaml", base), ("exp.toml", exp)]
    layers += assignments(env_layer("APP", os.environ, known), "env:")
    layers += assignments(override_layer(["model.lr=3e-4"]))
    tree, provenance = merge(layers)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..coerce import Raw
from ..errors import InvalidKeyError, Loc
from ..storage.keys import parse_assignment

__all__ = [
    "Assignment",
    "Entry",
    "assignments",
    "merge",
    "override_layer",
    "source_of",
]

#: ``(loc, raw text, name)``: one environment variable (name = the variable) or override
#: (name = ``"-D key=value"``), before it becomes a layer.
Entry = tuple[Loc, str, str]


@dataclass(frozen=True, slots=True)
class Assignment:
    """A layer that sets one ``loc``. Integer segments index into an existing list, or name a
    mapping's key (see ``_slot``); a missing mapping on the way is created; a scalar on the way
    is replaced by a mapping."""

    loc: Loc
    value: Any


def merge(
    layers: Sequence[tuple[str, Mapping[str, Any] | Assignment]],
) -> tuple[dict[str, Any], dict[Loc, str]]:
    """Deep-merges ``layers`` left to right.

    Returns the merged tree and its provenance: for every key of every mapping in the tree
    (leaf or not), the name of the last layer that set it; ``()`` maps to the last mapping
    layer. List items have no entries of their own unless an :class:`Assignment` set them:
    look a loc up with :func:`source_of`. Raises :class:`InvalidKeyError` for an assignment
    that indexes past the end of a list, or into a list with a name.
    """
    root: dict[Any, Any] = {}
    # id(container) -> (container, {key or index: layer name}); the container is kept alive
    # so that its id cannot be reused while the map exists.
    names: dict[int, tuple[Any, dict[Any, str]]] = {id(root): (root, {})}
    top: str | None = None
    for name, layer in layers:
        if isinstance(layer, Assignment):
            _assign(root, names, layer, name)
        else:
            _merge_mapping(root, layer, name, names)
            top = name
    provenance: dict[Loc, str] = {} if top is None else {(): top}
    stack: list[tuple[Loc, Any]] = [((), root)]
    while stack:
        loc, container = stack.pop()
        own = names[id(container)][1]
        items = container.items() if isinstance(container, dict) else enumerate(container)
        for key, value in items:
            if key in own:
                provenance[(*loc, key)] = own[key]
            if type(value) in _LEAVES:
                continue
            entry = names.get(id(value))
            if entry is not None and entry[0] is value:
                stack.append(((*loc, key), value))
    return root, provenance


def source_of(provenance: Mapping[Loc, str], loc: Loc) -> str | None:
    """The layer that set ``loc``, or the nearest enclosing value that has one."""
    for end in range(len(loc), -1, -1):
        name = provenance.get(loc[:end])
        if name is not None:
            return name
    return None


def override_layer(overrides: Iterable[str]) -> list[Entry]:
    """The entries of ``key=value`` overrides (``-D``, bare ``k=v``, ``overrides=[…]``).

    ``"model.lr=3e-4"`` becomes ``(("model", "lr"), "3e-4", "-D model.lr=3e-4")``: the value
    stays a raw string, typed later by whoever reads it. A text without ``=`` is an
    :class:`~hyperparameter.OverrideError` naming it (``-D model.lr``); a key outside the
    grammar an :class:`InvalidKeyError`.
    """
    entries: list[Entry] = []
    for text in overrides:
        key, raw = parse_assignment(text)
        entries.append((_loc(key), raw, f"-D {text.strip()}"))
    return entries


def assignments(entries: Iterable[Entry], prefix: str = "") -> list[tuple[str, Assignment]]:
    """One layer per entry, named ``prefix + name`` (``"env:"`` for variables), whose value
    is the raw text wrapped in :class:`~hyperparameter._coerce.Raw` with that name as source."""
    layers: list[tuple[str, Assignment]] = []
    for loc, raw, name in entries:
        source = prefix + name
        layers.append((source, Assignment(loc, Raw(raw, source))))
    return layers


def _loc(key: str) -> Loc:
    return tuple(_index(s) for s in key.split("."))


def _index(segment: str) -> str | int:
    """An all-digit segment as an int (a list index), else the segment; a number longer than
    ``int()`` converts stays text (it indexes no list)."""
    if segment.isascii() and segment.isdigit():
        try:
            return int(segment)
        except ValueError:
            pass
    return segment


def _merge_mapping(
    root: dict[Any, Any],
    layer: Mapping[Any, Any],
    name: str,
    names: dict[int, tuple[Any, dict[Any, str]]],
) -> None:
    stack: list[tuple[dict[Any, Any], Mapping[Any, Any]]] = [(root, layer)]
    while stack:
        target, source = stack.pop()
        own = names.setdefault(id(target), (target, {}))[1]
        for key, value in source.items():
            own[key] = name
            if type(value) in _LEAVES:
                target[key] = value
            elif isinstance(value, Mapping):
                current = target.get(key)
                if not isinstance(current, dict):
                    current = target[key] = {}
                    names[id(current)] = (current, {})
                stack.append((current, value))
            else:
                target[key] = _copy(value)


def _copy(value: Any) -> Any:
    """``value`` with every dict and list copied (iterative: any depth)."""
    if not isinstance(value, (Mapping, list)):
        return value
    out: Any = {} if isinstance(value, Mapping) else []
    stack: list[tuple[Any, Any]] = [(value, out)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, Mapping) else enumerate(source)
        into_dict = isinstance(target, dict)
        for key, item in items:
            if type(item) in _LEAVES:
                copy = item
            else:
                copy = {} if isinstance(item, Mapping) else [] if isinstance(item, list) else item
            if into_dict:
                target[key] = copy
            else:
                target.append(copy)
            if copy is not item:
                stack.append((item, copy))
    return out


# Types that are never containers: checked by identity before the (slower) isinstance.
_LEAVES = frozenset({str, int, float, bool, type(None)})


def _assign(
    root: dict[Any, Any],
    names: dict[int, tuple[Any, dict[Any, str]]],
    assignment: Assignment,
    name: str,
) -> None:
    loc = assignment.loc
    if not loc:
        raise InvalidKeyError("", "empty key")
    container: Any = root
    for depth, segment in enumerate(loc):
        key = _slot(container, segment, loc[: depth + 1])
        own = names.setdefault(id(container), (container, {}))[1]
        own[key] = name
        if depth == len(loc) - 1:
            container[key] = _copy(assignment.value)
            return
        child = container[key] if isinstance(container, list) or key in container else None
        if not isinstance(child, (dict, list)):
            child = container[key] = {}
            names[id(child)] = (child, {})
        container = child


def _slot(container: Any, segment: str | int, loc: Loc) -> Any:
    """The key or index of ``segment`` in ``container``. In a mapping, an all-digit segment
    names an existing key written either way (``0`` finds the key ``0`` and the key ``"0"``; a
    mapping with both is an :class:`InvalidKeyError`); a new one is added as an ``int`` when the
    mapping has ``int`` keys already (a table keyed by number, as YAML reads ``1: y``), else as a
    string. A list needs an index of an item it has."""
    if isinstance(segment, str):
        segment = _index(segment)
    if isinstance(container, dict):
        if not isinstance(segment, int):
            return segment
        text = str(segment)
        has_int, has_text = segment in container, text in container
        if has_int and has_text:
            key = ".".join(str(s) for s in loc)
            reason = f"the mapping has both the keys {segment!r} and {text!r}"
            raise InvalidKeyError(key, reason)
        if has_int:
            return segment
        if has_text:
            return text
        numbered = any(type(k) is int for k in container)
        return segment if numbered else text
    key = ".".join(str(s) for s in loc)
    size = len(container)
    if not isinstance(segment, int):
        raise InvalidKeyError(key, f"{segment!r} is not an index into a list of {size} items")
    if segment >= size:
        raise InvalidKeyError(key, f"index {segment} is past the end of a list of {size} items")
    return segment
