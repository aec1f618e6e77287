"""Pure-Python twin of ``hyperparameter._core``: the same functions, results and errors.

Selected with ``HYPERPARAMETER_BACKEND=python``, or when the native module is missing. Frames
are immutable: entering a scope builds one frame with the keys it sets, and a write replaces the
innermost frame by a copy (copy-on-write), so whoever inherited the old frame never sees it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from ._keys import xxh64 as _xxh64

__all__ = [
    "Frame",
    "Scope",
    "bind",
    "bound_schemas",
    "clear",
    "depth",
    "effective",
    "enter",
    "exit",
    "freeze",
    "get",
    "put",
    "reset_snapshot",
    "xxh64",
]

__version__ = "0.7.0"

_Entries = dict[int, tuple[str, Any]]


class Frame:
    """One frame of the chain, as held by the context variable."""

    __slots__ = ("__weakref__", "bound", "depth", "entries", "opaque", "parent", "serial")

    def __init__(
        self,
        parent: Frame | None,
        entries: _Entries,
        opaque: bool,
        serial: int,
        bound: tuple[Any, ...] | None = None,
    ) -> None:
        self.parent = parent
        self.entries = entries
        self.opaque = opaque
        self.serial = serial
        self.bound = bound
        self.depth: int = 1 if parent is None else parent.depth + 1

    def __len__(self) -> int:
        return len(self.entries)


_var: ContextVar[Frame] = ContextVar("hyperparameter.unbound")
_bound = False
_hashes: dict[str, int] = {}
_ItemsFn = Callable[[tuple[Any, ...], dict[str, Any]], tuple[list[tuple[int, str, Any]], Any, Any]]
_ValidateFn = Callable[[Any, list[tuple[int, str, Any]]], list[tuple[int, str, Any]]]
_items_fn: _ItemsFn
_validate_fn: _ValidateFn
_scope_error: type[Exception] = RuntimeError
_snapshot: _Entries | None = None
_serials = itertools.count(1)


def bind(
    var: ContextVar[Any],
    scope_error: type[Exception],
    invalid_key_error: type[Exception],
    hashes: dict[str, int],
    items_fn: _ItemsFn,
    validate_fn: _ValidateFn,
) -> None:
    """Registers the context variable, the exception classes, the key-hash cache, the
    general scope-items builder and the typed-scope validator; called once by storage.py."""
    global _var, _scope_error, _bound, _hashes, _items_fn, _validate_fn
    if _bound:
        raise RuntimeError("hyperparameter._fallback is already bound")
    _var, _bound = var, True
    _scope_error = scope_error
    _hashes = hashes
    _items_fn = items_fn
    _validate_fn = validate_fn


def _current() -> Frame | None:
    return _var.get(None)


def _collision(h: int, stored: str, requested: str) -> Exception:
    return _scope_error(f"hash collision: keys '{stored}' and '{requested}' both hash to {h:#018x}")


def get(hash: int, key: str, default: Any) -> Any:
    """The value stored under ``key`` (with its precomputed ``hash``), or ``default``."""
    f = _var.get(None)
    while f is not None:
        e = f.entries.get(hash)
        if e is not None:
            if e[0] is key or e[0] == key:
                return e[1]
            raise _collision(hash, e[0], key)
        if f.opaque:
            return default
        f = f.parent
    g = _snapshot
    if g is not None:
        e = g.get(hash)
        if e is not None:
            if e[0] == key:
                return e[1]
            raise _collision(hash, e[0], key)
    return default


def _insert(entries: _Entries, h: int | None, key: str, value: Any) -> None:
    if h is None:
        h = xxh64(key)
    old = entries.get(h)
    if old is not None and old[0] != key:
        raise _collision(h, old[0], key)
    entries[h] = (key, value)


def enter(items: list[tuple[int, str, Any]], opaque: bool) -> tuple[Token[Frame], int]:
    """Pushes a frame holding ``items``; returns ``(token, serial)``."""
    entries: _Entries = {}
    for h, key, value in items:
        _insert(entries, h, key, value)
    serial = next(_serials)
    cur = _current()
    bound = cur.bound if cur is not None else None
    return _var.set(Frame(cur, entries, opaque, serial, bound)), serial


def exit(token: Token[Frame], serial: int) -> None:
    """Pops the frame entered with ``serial``, restoring the context through ``token``."""
    cur = _current()
    if cur is None or cur.serial != serial:
        raise _scope_error(
            "unbalanced scope exit: the scope being left is not the innermost one "
            "(scopes must exit in reverse order of entering, in the thread or task that "
            "entered them)"
        )
    try:
        _var.reset(token)
    except (ValueError, RuntimeError) as e:
        raise _scope_error(f"cannot exit scope: {e}") from None


_SCALARS = frozenset({int, float, str, bool, type(None)})


class Scope:
    """The base of ``param_scope(...)`` objects: the parameters a scope sets, and entering and
    leaving it. Known keys with scalar values are taken directly; the rest goes through
    ``_keys.scope_items``. The entry table is built once and shared by every frame entered."""

    __slots__ = (
        "_hp_s_binding",
        "_hp_s_entries",
        "_hp_s_opaque",
        "_hp_s_tokens",
        "_hp_s_view",
    )
    _hp_s_entries: _Entries
    _hp_s_opaque: bool
    _hp_s_tokens: list[tuple[Token[Frame], int]]
    _hp_s_binding: tuple[Any, ...] | None
    _hp_s_view: Any

    def __new__(cls, *args: Any, **kwargs: Any) -> Scope:
        self = object.__new__(cls)
        entries: _Entries | None = None
        binding = view = None
        if not args:
            entries = {}
            for k, v in kwargs.items():
                h = _hashes.get(k)
                if h is None or type(v) not in _SCALARS:
                    entries = None
                    break
                _insert(entries, h, k, v)
        if entries is None:
            entries = {}
            items, binding, view = _items_fn(args, kwargs)
            if not isinstance(items, list):  # a config left for the store to walk
                items = items.items()
            for h, k, v in items:
                _insert(entries, h, k, v)
        object.__setattr__(self, "_hp_s_entries", entries)
        object.__setattr__(self, "_hp_s_opaque", False)
        object.__setattr__(self, "_hp_s_tokens", [])
        object.__setattr__(self, "_hp_s_binding", binding)
        object.__setattr__(self, "_hp_s_view", view)
        return self

    def __enter__(self) -> Any:
        cur = _var.get(None)
        entries = self._hp_s_entries
        outer = cur.bound if cur is not None else None
        if outer is not None and entries:
            # Under a typed scope, what this scope sets is checked (and coerced) on entering.
            entries = {}
            items = [(h, k, v) for h, (k, v) in self._hp_s_entries.items()]
            for h, k, v in _validate_fn(outer, items):
                entries[h] = (k, v)
        binding = self._hp_s_binding
        bound = outer + binding if outer and binding else outer or binding
        serial = next(_serials)
        frame = Frame(cur, entries, self._hp_s_opaque, serial, bound)
        self._hp_s_tokens.append((_var.set(frame), serial))
        view = self._hp_s_view
        return self if view is None else view

    def __exit__(self, *exc: object) -> None:
        tokens = self._hp_s_tokens
        if not tokens:
            raise _scope_error("param_scope exited without being entered")
        token, serial = tokens[-1]
        exit(token, serial)
        tokens.pop()

    def _hp_make_opaque(self) -> None:
        """Makes this scope hide every inherited key (``param_scope.empty``)."""
        object.__setattr__(self, "_hp_s_opaque", True)

    def _hp_keys(self) -> list[str]:
        """The keys this scope sets, sorted."""
        return sorted(k for k, _ in self._hp_s_entries.values())


def put(hash: int, key: str, value: Any) -> None:
    """Writes ``key`` into the innermost frame (copy-on-write), or a new root frame."""
    cur = _current()
    if cur is None:
        entries: _Entries = {}
        _insert(entries, hash, key, value)
        _var.set(Frame(None, entries, False, next(_serials)))
        return
    entries = dict(cur.entries)
    _insert(entries, hash, key, value)
    _var.set(Frame(cur.parent, entries, cur.opaque, cur.serial, cur.bound))


def clear() -> None:
    """Hides every effective key until the innermost frame's scope ends."""
    cur = _current()
    if cur is None:
        _var.set(Frame(None, {}, True, next(_serials)))
    else:
        _var.set(Frame(cur.parent, {}, True, cur.serial, cur.bound))


def _effective_entries() -> _Entries:
    out: _Entries = {}
    f = _current()
    while f is not None:
        for h, e in f.entries.items():
            out.setdefault(h, e)
        if f.opaque:
            return out
        f = f.parent
    if _snapshot is not None:
        seen = {e[0] for e in out.values()}
        for h, e in _snapshot.items():
            if e[0] not in seen:
                out.setdefault(h, e)
    return out


def effective() -> list[tuple[str, Any]]:
    """Every effective ``(key, value)`` pair of this context, the snapshot included."""
    return list(_effective_entries().values())


def freeze() -> None:
    """Replaces the global snapshot with this context's effective parameters."""
    global _snapshot
    _snapshot = _effective_entries()


def reset_snapshot() -> None:
    """Drops the global snapshot (tests use this to start clean)."""
    global _snapshot
    _snapshot = None


def bound_schemas() -> Any:
    """The schemas bound in this context (a tuple), or ``None``."""
    cur = _current()
    return None if cur is None else cur.bound


def depth() -> int:
    """The current frame's depth (0 outside every scope)."""
    cur = _current()
    return 0 if cur is None else cur.depth


def xxh64(key: str) -> int:
    """XXH64 (seed 42) of ``key``'s UTF-8 bytes."""
    return _xxh64(key)
