"""Pure-Python twin of ``hyperparameter._core``: the same functions, results and errors.

Selected with ``HYPERPARAMETER_BACKEND=python``, or when the native module is missing. Frames
are immutable: entering a scope builds one frame with the keys it sets, and a write replaces the
innermost frame by a copy (copy-on-write), so whoever inherited the old frame never sees it.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import partial
from io import IOBase
from operator import attrgetter, call
from typing import Any, NoReturn

from .keys import xxh64 as _xxh64

__all__ = [
    "Frame",
    "Scope",
    "bind",
    "bind_scopes",
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
    "restore_snapshot",
    "snapshot_token",
    "xxh64",
]

__version__ = "0.7.0"

_Entries = dict[int, tuple[str, Any]]


class Frame:
    """One frame of the chain, as held by the context variable.

    A frame knows who entered it (``owner``) and what was current before (``parent``, the
    frame under it or ``TOP``): leaving it restores ``parent``, so a scope object keeps no
    state of its own and any number of threads and tasks can enter one object at once.
    """

    __slots__ = ("__weakref__", "bound", "depth", "entries", "opaque", "owner", "parent")

    def __init__(
        self,
        parent: Any,
        entries: _Entries,
        opaque: bool,
        owner: Any,
        bound: tuple[Any, ...] | None = None,
    ) -> None:
        self.parent = parent
        self.entries = entries
        self.opaque = opaque
        self.owner = owner
        self.bound = bound
        self.depth: int = 1 if parent is _TOP else parent.depth + 1

    def __len__(self) -> int:
        return len(self.entries)

    def replaced(self, entries: _Entries, opaque: bool) -> Frame:
        """The same frame with another table (a write or a clear)."""
        return Frame(self.parent, entries, opaque, self.owner, self.bound)


_var: ContextVar[Any] = ContextVar("hyperparameter.unbound")
_TOP: Any = object()
_bound = False
_hashes: dict[str, int] = {}
_ItemsFn = Callable[[tuple[Any, ...], dict[str, Any]], tuple[list[tuple[int, str, Any]], Any, Any]]
_ValidateFn = Callable[[Any, list[tuple[int, str, Any]]], list[tuple[int, str, Any]]]
_items_fn: _ItemsFn
_validate_fn: _ValidateFn
_scope_error: type[Exception] = RuntimeError
_snapshot: _Entries | None = None


def bind(
    var: ContextVar[Any],
    top: Any,
    scope_error: type[Exception],
    invalid_key_error: type[Exception],
    hashes: dict[str, int],
) -> None:
    """Registers the context variable and what it holds outside every scope, the exception
    classes and the key-hash cache; called once by ``storage``."""
    global _var, _TOP, _scope_error, _bound, _hashes
    if _bound:
        raise RuntimeError("hyperparameter._fallback is already bound")
    _var, _TOP, _bound = var, top, True
    _scope_error = scope_error
    _hashes = hashes


def bind_scopes(items_fn: _ItemsFn, validate_fn: _ValidateFn) -> None:
    """Registers how scopes are built and checked (``storage.bind_scopes``, by the API)."""
    global _items_fn, _validate_fn
    _items_fn = items_fn
    _validate_fn = validate_fn


def _current() -> Frame | None:
    f = _var.get(_TOP)
    return None if f is _TOP else f


def _collision(h: int, stored: str, requested: str) -> Exception:
    return _scope_error(f"hash collision: keys '{stored}' and '{requested}' both hash to {h:#018x}")


def get(hash: int, key: str, default: Any) -> Any:
    """The value stored under ``key`` (with its precomputed ``hash``), or ``default``."""
    f = _var.get(_TOP)
    while f is not _TOP:
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


def _push(entries: _Entries, opaque: bool, owner: Any, binding: tuple[Any, ...] | None) -> Frame:
    """The frame that entering ``entries`` for ``owner`` pushes on the current context."""
    cur = _var.get(_TOP)
    outer = None if cur is _TOP else cur.bound
    bound = outer + binding if outer and binding else outer or binding
    return Frame(cur, entries, opaque, owner, bound)


def _entered_by(owner: Any) -> bool:
    f = _var.get(_TOP)
    while f is not _TOP:
        if f.owner is owner:
            return True
        f = f.parent
    return False


def _unbalanced(owner: Any) -> NoReturn:
    if _entered_by(owner):
        inner = _var.get(_TOP).owner
        open_ = "another scope" if inner is None else repr(inner)
        raise _scope_error(
            f"unbalanced scope exit: the innermost scope, {open_}, was entered after this one "
            "and has not been left (scopes exit in reverse order of entering, in the thread or "
            "task that entered them; a generator suspended inside a `with` keeps its scope "
            "entered: close it, e.g. with contextlib.aclosing)"
        )
    raise _scope_error("scope exited without being entered (in this thread or task)")


def enter(items: list[tuple[int, str, Any]], opaque: bool, owner: Any) -> None:
    """Pushes a frame holding ``items`` for ``owner``, which :func:`exit` must name."""
    entries: _Entries = {}
    for h, key, value in items:
        _insert(entries, h, key, value)
    _var.set(_push(entries, opaque, owner, None))


def exit(owner: Any) -> None:
    """Leaves the innermost frame of this context, which ``owner`` must have entered."""
    cur = _var.get(_TOP)
    if cur is _TOP or cur.owner is not owner:
        _unbalanced(owner)
    _var.set(cur.parent)


# ------------------------------------------------------------------ interrupt-safe with
#
# A signal handler (KeyboardInterrupt) runs between bytecodes: at the start of every Python
# function and after every call a Python function makes. If it ran after `__enter__` set the
# context but before `__enter__` returned, the `with` statement would never call `__exit__`;
# if it ran at the start of `__exit__`, nothing would be left. So neither may run bytecode
# around the state change: each is a callable made of C functions (the native store's are
# native methods). Python code runs only where nothing has changed yet: in the descriptors'
# `__get__` (the `with` statement looks both methods up before entering) and in `_prepare`,
# which `__enter__`'s chain calls before it sets the variable.

_OWNER_OF = ("owner",)
_PARENT = attrgetter("parent")
_NO_OWNER = (None,)


class _Owned(dict[Any, Any]):
    """``{scope: ContextVar.set}``: looking up the innermost frame's owner gives the
    setter that restores its parent, or raises the ``ScopeError`` of an unbalanced exit."""

    __slots__ = ("owner",)
    owner: Any

    def __missing__(self, key: Any) -> NoReturn:
        _unbalanced(self.owner)


class _Closer(IOBase):
    """A C ``__exit__`` that calls ``close`` (``io.IOBase.__exit__`` takes the three arguments
    of the ``with`` statement and calls ``self.close()``): ``close`` is set per exit to the
    chain that leaves the frame. ``closed`` is true so that finalizing never calls it."""

    closed = True


def _prepare(scope: Scope) -> Iterator[Any]:
    """What entering ``scope`` will do, decided without changing anything: the frame, and a
    one-item iterator that sets it and gives what ``__enter__`` returns."""
    entries = scope._hp_s_entries
    cur = _var.get(_TOP)
    outer = None if cur is _TOP else cur.bound
    if outer is not None and entries:
        # Under a typed scope, what this scope sets is checked (and coerced) on entering.
        items = [(h, k, v) for h, (k, v) in entries.items()]
        entries = {h: (k, v) for h, k, v in _validate_fn(outer, items)}
    frame = _push(entries, scope._hp_s_opaque, scope, scope._hp_s_binding)
    view = scope._hp_s_view
    result = scope if view is None else view
    return itertools.islice(itertools.chain(map(_var.set, (frame,)), (result,)), 1, None)


class _Enter:
    """``Scope.__enter__``: a fresh one-shot C callable per lookup (see above)."""

    def __get__(self, scope: Scope | None, cls: type | None = None) -> Any:
        if scope is None:
            return self
        return partial(next, itertools.chain.from_iterable(map(_prepare, (scope,))))

    def __call__(self, scope: Scope) -> Any:
        # `type(cm).__enter__(cm)`, as contextlib.ExitStack calls it
        return self.__get__(scope)()


class _Exit:
    """``Scope.__exit__``: a fresh C callable per lookup (see above)."""

    def __get__(self, scope: Scope | None, cls: type | None = None) -> Any:
        if scope is None:
            return self
        owned = scope._hp_s_owned
        current = (_TOP,)
        setters = map(
            owned.__getitem__,
            map(getattr, map(_var.get, current), _OWNER_OF, _NO_OWNER),
        )
        parents = map(_PARENT, map(_var.get, current))
        closer = _Closer()
        closer.close = partial(deque, map(call, setters, parents), 0)  # type: ignore[method-assign, assignment]
        return closer.__exit__

    def __call__(self, scope: Scope, *exc: object) -> Any:
        # `type(cm).__exit__(cm, *exc)`, as contextlib.ExitStack calls it
        return self.__get__(scope)(*exc)


_SCALARS = frozenset({int, float, str, bool, type(None)})


class Scope:
    """The base of ``param_scope(...)`` objects: the parameters a scope sets, and entering and
    leaving it. Known keys with scalar values are taken directly; the rest goes through
    ``_keys.scope_items``. The entry table is built once and shared by every frame entered;
    nothing in the object changes while it is entered."""

    __slots__ = (
        "_hp_s_binding",
        "_hp_s_entries",
        "_hp_s_opaque",
        "_hp_s_owned",
        "_hp_s_view",
    )
    _hp_s_entries: _Entries
    _hp_s_opaque: bool
    _hp_s_owned: _Owned
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
        # Frames name the scope as their owner; looking it up in `owned` is the exit's check.
        owned = _Owned()
        owned.owner = self
        owned[self] = _var.set
        object.__setattr__(self, "_hp_s_entries", entries)
        object.__setattr__(self, "_hp_s_opaque", False)
        object.__setattr__(self, "_hp_s_owned", owned)
        object.__setattr__(self, "_hp_s_binding", binding)
        object.__setattr__(self, "_hp_s_view", view)
        return self

    __enter__ = _Enter()
    __exit__ = _Exit()

    def _hp_make_opaque(self) -> None:
        """Makes this scope hide every inherited key (``param_scope.empty``)."""
        object.__setattr__(self, "_hp_s_opaque", True)

    def _hp_keys(self) -> list[str]:
        """The keys this scope sets, sorted."""
        return sorted(k for k, _ in self._hp_s_entries.values())

    def _hp_entered(self) -> bool:
        """Is this scope entered in the current context (a frame of the chain is its own)?"""
        return _entered_by(self)

    def _hp_own(self, hash: int, key: str, default: Any) -> Any:
        """The value this scope itself sets for ``key`` (with its ``hash``), or ``default``."""
        e = self._hp_s_entries.get(hash)
        if e is None:
            return default
        if e[0] == key:
            return e[1]
        raise _collision(hash, e[0], key)

    def _hp_items(self) -> list[tuple[str, Any]]:
        """Every ``(key, value)`` this scope itself sets."""
        return list(self._hp_s_entries.values())


def put(hash: int, key: str, value: Any) -> None:
    """Writes ``key`` into the innermost frame (copy-on-write), or a new root frame."""
    cur = _current()
    if cur is None:
        entries: _Entries = {}
        _insert(entries, hash, key, value)
        _var.set(Frame(_TOP, entries, False, None))
        return
    entries = dict(cur.entries)
    _insert(entries, hash, key, value)
    _var.set(cur.replaced(entries, cur.opaque))


def clear() -> None:
    """Hides every effective key until the innermost frame's scope ends."""
    cur = _current()
    if cur is None:
        _var.set(Frame(_TOP, {}, True, None))
    else:
        _var.set(cur.replaced({}, True))


def _effective_entries() -> _Entries:
    out: _Entries = {}
    f = _var.get(_TOP)
    while f is not _TOP:
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


def snapshot_token() -> _Entries | None:
    """The current global snapshot, as a token for :func:`restore_snapshot` (the table itself:
    a snapshot is never changed in place, only replaced)."""
    return _snapshot


def restore_snapshot(token: _Entries | None) -> None:
    """Makes the snapshot taken by :func:`snapshot_token` the global snapshot again."""
    global _snapshot
    _snapshot = token


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
