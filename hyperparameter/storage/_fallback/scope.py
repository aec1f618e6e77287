"""The pure-Python twin's scope objects: what ``param_scope(...)`` sets, entering and leaving it.

Entering and leaving are callables made of C functions, so that a ``KeyboardInterrupt`` can never
land between the state change and the ``with`` statement's bookkeeping (see below). The frames
they push and pop, and the context variable, are in ``frames``.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterator
from functools import partial
from io import IOBase
from operator import attrgetter, call
from typing import Any, NoReturn

from . import frames as _f
from .frames import _Entries

_ItemsFn = Callable[
    [tuple[Any, ...], dict[str, Any]], tuple[list[tuple[int, str, Any]], Any, Any, Any]
]
_ValidateFn = Callable[[Any, list[tuple[int, str, Any]]], list[tuple[int, str, Any]]]
_items_fn: _ItemsFn
_validate_fn: _ValidateFn


def bind_scopes(items_fn: _ItemsFn, validate_fn: _ValidateFn) -> None:
    """Registers how scopes are built and checked (``storage.bind_scopes``, by the API)."""
    global _items_fn, _validate_fn
    _items_fn = items_fn
    _validate_fn = validate_fn


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
        _f._unbalanced(self.owner)


class _Closer(IOBase):
    """A C ``__exit__`` that calls ``close`` (``io.IOBase.__exit__`` takes the three arguments
    of the ``with`` statement and calls ``self.close()``): ``close`` is set per exit to the
    chain that leaves the frame. ``closed`` is true so that finalizing never calls it."""

    closed = True


def _prepare(scope: Scope) -> Iterator[Any]:
    """What entering ``scope`` will do, decided without changing anything: the frame, and a
    one-item iterator that sets it and gives what ``__enter__`` returns."""
    entries = scope._hp_s_entries
    var, top = _f._var, _f._TOP
    cur = var.get(top)
    outer = None if cur is top else cur.bound
    if outer is not None and entries:
        # Under a typed scope, what this scope sets is checked (and coerced) on entering.
        items = [(h, k, v) for h, (k, v) in entries.items()]
        entries = {h: (k, v) for h, k, v in _validate_fn(outer, items)}
    frame = _f._push(entries, scope._hp_s_opaque, scope, scope._hp_s_binding)
    view = scope._hp_s_view
    result = scope if view is None else view
    return itertools.islice(itertools.chain(map(var.set, (frame,)), (result,)), 1, None)


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
        var = _f._var
        current = (_f._TOP,)
        setters = map(
            owned.__getitem__,
            map(getattr, map(var.get, current), _OWNER_OF, _NO_OWNER),
        )
        parents = map(_PARENT, map(var.get, current))
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
        "_hp_s_origin",
        "_hp_s_owned",
        "_hp_s_view",
    )
    _hp_s_entries: _Entries
    _hp_s_opaque: bool
    _hp_s_owned: _Owned
    _hp_s_binding: tuple[Any, ...] | None
    _hp_s_view: Any
    _hp_s_origin: Any

    def __new__(cls, *args: Any, **kwargs: Any) -> Scope:
        self = object.__new__(cls)
        entries: _Entries | None = None
        binding = view = origin = None
        if not args:
            entries = {}
            hashes = _f._hashes
            for k, v in kwargs.items():
                h = hashes.get(k)
                if h is None or type(v) not in _SCALARS:
                    entries = None
                    break
                _f._insert(entries, h, k, v)
        if entries is None:
            entries = {}
            items, binding, view, origin = _items_fn(args, kwargs)
            if not isinstance(items, list):  # a config left for the store to walk
                items = items.items()
            for h, k, v in items:
                _f._insert(entries, h, k, v)
        # Frames name the scope as their owner; looking it up in `owned` is the exit's check.
        owned = _Owned()
        owned.owner = self
        owned[self] = _f._var.set
        object.__setattr__(self, "_hp_s_entries", entries)
        object.__setattr__(self, "_hp_s_opaque", False)
        object.__setattr__(self, "_hp_s_owned", owned)
        object.__setattr__(self, "_hp_s_binding", binding)
        object.__setattr__(self, "_hp_s_view", view)
        object.__setattr__(self, "_hp_s_origin", origin)
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
        return _f._entered_by(self)

    def _hp_own(self, hash: int, key: str, default: Any) -> Any:
        """The value this scope itself sets for ``key`` (with its ``hash``), or ``default``."""
        e = self._hp_s_entries.get(hash)
        if e is None:
            return default
        if e[0] == key:
            return e[1]
        raise _f._collision(hash, e[0], key)

    def _hp_items(self) -> list[tuple[str, Any]]:
        """Every ``(key, value)`` this scope itself sets."""
        return list(self._hp_s_entries.values())
