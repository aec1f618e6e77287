"""The dynamic accessor: ``param_scope.model.lr | 0.1`` and ``ps["model.lr"]`` (DESIGN §4),
and the one write path (``ps.a = 1``, typed views, ``param_scope.a = 1``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .. import storage as _st
from ..coerce import coerce, untyped
from ..errors import MissingParameterError, shown
from ..storage.handles import LiveHandle, attribute_names
from ..storage.keys import check_key, flatten, key_hash

__all__ = ["MISSING", "Accessor", "HandleAccessors", "accessor", "write"]

D = TypeVar("D")

_get = _st.get
_current = _st.CURRENT_FRAME.get
_TOP = _st.TOP
_frame_ref = _st.frame_ref
_VERSION = _st.SNAPSHOT_VERSION
_put = _st.put
_bound_schemas = _st.bound_schemas
_MISSING: Any = object()
MISSING: Any = _MISSING  # what a read gives for a key nobody sets
_CACHE_LIMIT = 1 << 16


if TYPE_CHECKING:

    class Accessor:
        """A dotted key, resolved by a terminal operation.

        ``acc | default`` and ``acc(default)`` give the value coerced toward ``type(default)``
        (or ``default`` when missing); ``acc()`` gives the value or raises
        ``MissingParameterError``; ``bool(acc)`` is False when missing. Attribute and item
        access extend the key; attribute and item assignment write it into the innermost scope.
        """

        # What type checkers and editors see: the operations, none of the internals (the
        # implementation, `_Accessor`, is checked against it as a subclass).
        def __getattr__(self, name: str) -> Accessor: ...
        def __getitem__(self, name: str | int) -> Accessor: ...
        def __setattr__(self, name: str, value: Any) -> None: ...
        def __setitem__(self, name: str | int, value: Any) -> None: ...
        def __or__(self, default: D) -> D: ...
        @overload
        def __call__(self) -> Any: ...
        @overload
        def __call__(self, default: D) -> D: ...
        def __call__(self, default: Any = ...) -> Any: ...
        def __bool__(self) -> bool: ...

    _AccessorFace = Accessor
else:
    _AccessorFace = object


class _Accessor(LiveHandle, _AccessorFace):
    """A dotted key, resolved by a terminal operation (the implementation of ``Accessor``).

    ``acc | default`` and ``acc(default)`` give the value coerced toward ``type(default)`` (or
    ``default`` when missing); ``acc()`` gives the value or raises ``MissingParameterError``;
    ``bool(acc)`` is False when missing. Attribute and item access extend the key; attribute
    and item assignment write it into the innermost scope.
    """

    # Odd names: attribute access on an accessor is the key namespace.
    __slots__ = ("__dict__", "_hp_cache", "_hp_hash", "_hp_key")
    _hp_key: str
    _hp_hash: int
    # (weak reference to the frame, snapshot version, stored value): frames are immutable, so
    # while the context points at the same frame object and the snapshot is unchanged, the
    # value is too. Weak: a cache never keeps a dead thread's or task's frames alive.
    _hp_cache: tuple[Callable[[], Any], int, Any]

    def __init__(self, key: str, h: int) -> None:
        object.__setattr__(self, "_hp_key", key)
        object.__setattr__(self, "_hp_hash", h)
        object.__setattr__(self, "_hp_cache", (_st.NO_FRAME, -1, _MISSING))

    def _hp_value(self) -> Any:
        frame = _current(_TOP)
        version = _VERSION[0]  # before the read: a freeze in between must not be cached as seen
        cache = self._hp_cache
        if cache[0]() is frame and cache[1] == version:
            return cache[2]
        v = self._hp_fetch()
        object.__setattr__(self, "_hp_cache", (_frame_ref(frame), version, v))
        return v

    def _hp_fetch(self) -> Any:
        """The stored value, read through the store (what the cache holds)."""
        return _get(self._hp_hash, self._hp_key, _MISSING)

    def __getattr__(self, name: str) -> _Accessor:
        if name[:2] == "__":
            raise AttributeError(name)
        child = _accessor(f"{self._hp_key}.{name}")
        # Cached in the instance dict: the next access is a plain attribute hit.
        self.__dict__[name] = child
        return child

    def __getitem__(self, name: str | int) -> _Accessor:
        return _accessor(f"{self._hp_key}.{name}")

    def __setattr__(self, name: str, value: Any) -> None:
        write(f"{self._hp_key}.{name}", value)

    def __setitem__(self, name: str | int, value: Any) -> None:
        write(f"{self._hp_key}.{name}", value)

    def __or__(self, default: D) -> D:
        # `_hp_value`, inlined: `acc | default` is the hottest read and a call costs ~40 ns.
        frame = _current(_TOP)
        version = _VERSION[0]  # before the read: a freeze in between must not be cached as seen
        cache = self._hp_cache
        if cache[0]() is frame and cache[1] == version:
            v = cache[2]
        else:
            v = self._hp_fetch()
            object.__setattr__(self, "_hp_cache", (_frame_ref(frame), version, v))
        if v is _MISSING:
            return default
        if type(v) is type(default):
            return v
        return _typed(v, default, self._hp_key)  # type: ignore[no-any-return]

    @overload
    def __call__(self) -> Any: ...
    @overload
    def __call__(self, default: D) -> D: ...
    def __call__(self, default: Any = _MISSING) -> Any:
        v = self._hp_value()
        if v is _MISSING:
            if default is _MISSING:
                raise MissingParameterError(self._hp_key)
            return default
        if default is _MISSING:
            return untyped(v)
        return _typed(v, default, self._hp_key)

    def __bool__(self) -> bool:
        v = self._hp_value()
        return v is not _MISSING and bool(untyped(v))

    def _hp_names(self) -> Iterable[str]:
        return attribute_names((k for k, _ in _st.effective()), f"{self._hp_key}.")

    def _hp_describe(self) -> str:
        return f"the accessor of {self._hp_key!r}"

    def __repr__(self) -> str:
        v = self._hp_fetch()
        text = "<missing>" if v is _MISSING else shown(untyped(v))
        return f"<param {self._hp_key}={text}>"


def _typed(v: Any, default: Any, key: str) -> Any:
    if v is None:
        return None
    if default is None:
        return untyped(v)
    return coerce(v, type(default), key)


class _AccessorCache(dict[str, _Accessor]):
    """Key -> its accessor, built on first use. ``__getitem__`` of this dict is what
    ``ps["a.b"]`` calls, with no Python frame on a hit."""

    def __missing__(self, key: str) -> _Accessor:
        acc = _Accessor(key, key_hash(key))
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[key] = acc
        return acc


_ACCESSORS = _AccessorCache()
_accessor = _ACCESSORS.__getitem__


class _HandleAccessor(_Accessor):
    """An accessor reached through a scope object (``ps.a``, ``ps["a"]``). While the object is
    not entered in this context (``ps = scope(a=1); ps.a | 0``), the values it sets come first,
    then the context's, as in 0.6; once it is entered it reads the context like any accessor
    (writes made inside show). Whether it is entered is a matter of the current frame, so the
    read cache stays valid."""

    __slots__ = ("_hp_scope",)
    _hp_scope: Any

    def __init__(self, scope: Any, key: str) -> None:
        super().__init__(key, key_hash(key))
        object.__setattr__(self, "_hp_scope", scope)

    def _hp_fetch(self) -> Any:
        scope = self._hp_scope
        if not scope._hp_entered():
            v = scope._hp_own(self._hp_hash, self._hp_key, _MISSING)
            if v is not _MISSING:
                return v
        return _get(self._hp_hash, self._hp_key, _MISSING)

    def __getattr__(self, name: str) -> _Accessor:
        if name[:2] == "__":
            raise AttributeError(name)
        child: _Accessor = self._hp_scope[f"{self._hp_key}.{name}"]  # one accessor per key
        self.__dict__[name] = child
        return child

    def __getitem__(self, name: str | int) -> _Accessor:
        return self._hp_scope[f"{self._hp_key}.{name}"]  # type: ignore[no-any-return]

    def _hp_names(self) -> Iterable[str]:
        return attribute_names(self._hp_scope._hp_effective(), f"{self._hp_key}.")


class _HandleAccessors(dict[str, _Accessor]):
    """One scope object's accessors by key, built on first use (``ps["a.b"]`` is this dict's
    ``__getitem__``, with no Python frame on a hit). It and the object refer to each other:
    the cycle collector frees them together."""

    __slots__ = ("scope",)

    def __init__(self, scope: Any) -> None:
        super().__init__()
        self.scope = scope

    def __missing__(self, key: str) -> _Accessor:
        acc = _HandleAccessor(self.scope, key)
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[key] = acc
        return acc


def write(key: str, value: Any) -> None:
    """Writes ``key`` (a group is flattened) into the innermost frame, checked against the
    bound schema when a typed scope is entered."""
    flat: dict[str, Any] = {}
    flatten(check_key(key), value, flat)
    if _bound_schemas() is not None:  # under a typed scope: checked before it is stored
        from ..schema.views import check_write

        flat = {k: check_write(k, v) for k, v in flat.items()}
    for k, v in flat.items():
        _put(key_hash(k), k, v)


if not TYPE_CHECKING:
    Accessor = _Accessor
HandleAccessors = _HandleAccessors
accessor = _accessor
