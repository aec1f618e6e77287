"""Keys: the grammar, the hash, and flattening nested values into dotted keys (DESIGN §3)."""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import xxhash

from ..errors import InvalidKeyError, OverrideError

__all__ = [
    "flatten",
    "forced_hash",
    "key_hash",
    "parse_assignment",
    "split_key",
    "xxh64",
]

SEED = 42
_INT_SEGMENT = re.compile(r"[0-9]+\Z")
_CACHE_LIMIT = 1 << 16
_HASHES: dict[str, int] = {}


def xxh64(key: str) -> int:
    """XXH64 (seed 42) of any string's UTF-8 bytes; no grammar check."""
    return xxhash.xxh64_intdigest(key.encode("utf-8", "surrogatepass"), seed=SEED)


def _segment_error(seg: str) -> str | None:
    if not seg:
        return "empty segment"
    if _INT_SEGMENT.match(seg):
        return None
    if seg[0] == "-" or not seg.replace("-", "_").isidentifier():
        return f"segment {seg!r} is not an identifier, an integer, or identifier-like with '-'"
    return None


def check_key(key: object) -> str:
    """Returns ``key`` if it follows the grammar, else raises :class:`InvalidKeyError`."""
    if not isinstance(key, str):
        raise InvalidKeyError(key, "a key must be a string")
    if not key:
        raise InvalidKeyError(key, "empty key")
    for seg in key.split("."):
        reason = _segment_error(seg)
        if reason is not None:
            raise InvalidKeyError(key, reason)
    return key


def check_segment(seg: object) -> str:
    """A single mapping key as one segment: ``"a.b"`` is one bad segment, not a path."""
    if isinstance(seg, bool) or not isinstance(seg, (str, int)):
        raise InvalidKeyError(seg, "a mapping key must be a string or a non-negative integer")
    try:
        text = str(seg)
    except ValueError:  # an int beyond Python's int-to-text limit (sys.set_int_max_str_digits)
        raise InvalidKeyError(
            seg, f"an integer key with more than {sys.get_int_max_str_digits():,} digits"
        ) from None
    reason = _segment_error(text) if "." not in text else "a mapping key may not contain '.'"
    if reason is not None:
        raise InvalidKeyError(text, reason)
    if type(seg) is str:
        if len(_SEGMENTS) >= _CACHE_LIMIT:
            _SEGMENTS.clear()
        _SEGMENTS[text] = text
    return text


# Mapping keys (``str`` only) that check_segment accepted: flatten looks them up first.
_SEGMENTS: dict[str, str] = {}


def segment_collision(mapping: Mapping[Any, Any], prefix: str) -> InvalidKeyError:
    """The error for a mapping (at dotted ``prefix``, ``""`` for the top) two of whose keys
    are one segment (``0`` and ``"0"``): in a scope they would be one key, and one value would
    be lost."""
    seen: dict[str, Any] = {}
    for k in mapping:
        seg = check_segment(k)
        if seg in seen:
            where = f"{prefix}.{seg}" if prefix else seg
            return InvalidKeyError(
                where, f"keys {seen[seg]!r} and {k!r} of one mapping are one key"
            )
        seen[seg] = k
    raise AssertionError("no two keys of the mapping are one segment")


def key_hash(key: str) -> int:
    """The store hash of a validated key (cached)."""
    h = _HASHES.get(key)
    if h is None:
        h = xxh64(check_key(key))
        if len(_HASHES) >= _CACHE_LIMIT:
            _HASHES.clear()
        _HASHES[key] = h
    return h


def split_key(key: str) -> list[str]:
    """The segments of a validated key."""
    return check_key(key).split(".")


@contextmanager
def forced_hash(key: str, value: int) -> Iterator[None]:
    """Test hook: make ``key`` hash to ``value`` (to force a collision)."""
    check_key(key)
    old = _HASHES.get(key)
    _HASHES[key] = value
    try:
        yield
    finally:
        if old is None:
            _HASHES.pop(key, None)
        else:
            _HASHES[key] = old


def is_model(obj: object) -> bool:
    return hasattr(type(obj), "model_fields") and hasattr(obj, "__pydantic_fields_set__")


# What flatten does with a value of each type, decided once per type: a scalar or other leaf,
# a mapping, a list/tuple, or a schema instance with these field names.
_LEAF, _MAPPING, _SEQUENCE = 0, 1, 2
_KINDS: dict[type, int | tuple[str, ...]] = {
    int: _LEAF,
    float: _LEAF,
    str: _LEAF,
    bool: _LEAF,
    type(None): _LEAF,
    bytes: _LEAF,
    dict: _MAPPING,
    list: _SEQUENCE,
    tuple: _SEQUENCE,
}


def value_kind(value: Any) -> int | tuple[str, ...]:
    t = type(value)
    kind = _KINDS.get(t)
    if kind is None:
        if isinstance(value, Mapping):
            kind = _MAPPING
        elif dataclasses.is_dataclass(t):
            kind = tuple(f.name for f in dataclasses.fields(t))
        elif is_model(value):
            kind = tuple(t.model_fields)
        elif isinstance(value, (list, tuple)):
            kind = _SEQUENCE
        else:
            kind = _LEAF
        _KINDS[t] = kind
    return kind


def _children(value: Any) -> Iterator[tuple[str, Any]] | None:
    """The named children of a group value, or None for a leaf."""
    kind = value_kind(value)
    if kind == _MAPPING:
        if not value:
            return None
        return ((check_segment(k), v) for k, v in value.items())
    if isinstance(kind, tuple):
        return ((name, getattr(value, name)) for name in kind)
    return None


_SCALARS = frozenset({int, float, str, bool, type(None), bytes})
_STR_ONLY = {str}


def flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    """Adds ``value`` under ``prefix`` to ``out``: groups by leaf, lists whole and by index.

    Iterative (a config may nest 1,000 levels); keys come out in document order. Mapping keys
    are checked as single segments; two keys of one mapping that are one segment (``0`` and
    ``"0"``) are an :class:`InvalidKeyError`; schema field names are identifiers already. A
    group that contains itself is a ``ValueError`` naming the key where the cycle closes.
    """
    stack: list[tuple[str | None, Any]] = [(prefix, value)]
    pop, push = stack.pop, stack.append
    path: set[int] = set()  # the groups being flattened: meeting one again is a cycle
    while stack:
        key, node = pop()
        if key is None:  # every child of this group is done (the marker keeps it alive)
            path.discard(id(node))
            continue
        kind = _KINDS.get(type(node))
        if kind is None:
            kind = value_kind(node)
        if kind == _LEAF:
            if not key:
                raise InvalidKeyError(key, "empty key")
            out[key] = node
            continue
        ident = id(node)
        if ident in path:
            raise ValueError(f"{key}: the value contains itself (a cycle)")
        base = f"{key}." if key else ""
        if kind == _MAPPING:
            if not node:
                if not key:
                    raise InvalidKeyError(key, "empty key")
                out[key] = node  # an empty mapping is a leaf
                continue
            seg = _SEGMENTS.get
            children = [(f"{base}{seg(k) or check_segment(k)}", v) for k, v in node.items()]
            # distinct str keys are distinct segments: only other keys (`0` beside `"0"`) can
            # be one segment, and only then is it worth a set of the names
            if set(map(type, node)) != _STR_ONLY and len({c[0] for c in children}) != len(node):
                raise segment_collision(node, key)
        elif kind == _SEQUENCE:
            if not key:
                raise InvalidKeyError(key, "empty key")
            out[key] = node
            # Each item is stored whole under `key.N`; a group item also by its leaves.
            children = []
            for i, item in enumerate(node):
                item_key = f"{base}{i}"
                out[item_key] = item
                children.append((item_key, item))
        else:
            children = [(f"{base}{name}", getattr(node, name)) for name in kind]  # type: ignore[union-attr]
        path.add(ident)
        push((None, node))
        for child in reversed(children):
            push(child)


def parse_assignment(text: str, source: str | None = None) -> tuple[str, str]:
    """Splits ``"key=value"``; the value stays a raw string. No ``=`` is an
    :class:`OverrideError` (a ``ValueError``) naming ``source`` (default ``-D text``)."""
    key, sep, raw = text.partition("=")
    if not sep:
        raise OverrideError(text, source if source is not None else f"-D {text.strip()}")
    return check_key(key.strip()), raw.strip()


def is_group(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        or (dataclasses.is_dataclass(value) and not isinstance(value, type))
        or is_model(value)
    )


class Deferred:
    """A schema instance whose flattening ``scope_items`` leaves to the store (the native one
    walks it without building Python key strings): the same walk as :func:`flatten`, with the
    per-type plans of ``kinds`` (``kind(value)`` for a type not in it yet) and mapping keys
    checked by ``segment``."""

    __slots__ = ("value",)
    kinds = _KINDS
    kind = staticmethod(value_kind)
    segment = staticmethod(check_segment)
    collision = staticmethod(segment_collision)
    sizes: ClassVar[dict[type, int]] = {}  # entries of the last walk, per config class

    def __init__(self, value: Any) -> None:
        self.value = value

    def items(self) -> list[tuple[int | None, str, Any]]:
        """The entries, flattened here (for the Python store)."""
        out: dict[str, Any] = {}
        flatten("", self.value, out)
        return [(None, k, v) for k, v in out.items()]
