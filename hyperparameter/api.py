"""``param_scope``, the dynamic accessor, and ``auto_param`` (DESIGN §4)."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, Self, TypeVar, overload

from . import storage as _st
from ._coerce import coerce, untyped
from ._handles import LiveHandle
from ._keys import check_key, flatten, key_hash
from .errors import ConversionError, MissingParameterError

__all__ = ["ParamScope", "TypedScope", "auto_param", "param_scope"]

T = TypeVar("T")
D = TypeVar("D")
R = TypeVar("R")
P = ParamSpec("P")
C = TypeVar("C", bound=type)

_get = _st.get
_current = _st.CURRENT_FRAME.get
_TOP = _st.TOP
_frame_ref = _st.frame_ref
_VERSION = _st.SNAPSHOT_VERSION
_put = _st.put
_bound_schemas = _st.bound_schemas
_enter = _st.enter
_exit = _st.exit
_MISSING: Any = object()
_CACHE_LIMIT = 1 << 16


class _Accessor(LiveHandle):
    """A dotted key, resolved by a terminal operation.

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
        _write(f"{self._hp_key}.{name}", value)

    def __setitem__(self, name: str | int, value: Any) -> None:
        _write(f"{self._hp_key}.{name}", value)

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

    def _hp_describe(self) -> str:
        return f"the accessor of {self._hp_key!r}"

    def __repr__(self) -> str:
        from .errors import shown  # bounded, and prints any value (a 5,000-digit int too)

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


def _write(key: str, value: Any) -> None:
    flat: dict[str, Any] = {}
    flatten(check_key(key), value, flat)
    if _bound_schemas() is not None:  # under a typed scope: checked before it is stored
        from .schema._views import check_write

        flat = {k: check_write(k, v) for k, v in flat.items()}
    for k, v in flat.items():
        _put(key_hash(k), k, v)


if TYPE_CHECKING:
    from ._core import Scope as _ScopeBase
else:
    _ScopeBase = _st.Scope


class ParamScope(LiveHandle, _ScopeBase):
    """What ``param_scope(...)`` returns: a context manager that pushes one frame on the current
    context, and the dynamic handle bound by ``with ... as ps``.

    >>> with param_scope(**{"model.lr": 0.1}, model={"layers": 8}) as ps:
    ...     ps.model.lr | 0.0, param_scope.model.layers()
    (0.1, 8)

    Positional arguments are ``"key=value"`` strings (raw values, typed by whoever reads
    them), mappings, or dataclass / pydantic instances; keyword arguments are dotted keys.
    Nested mappings flatten into dotted keys; a list is stored whole and by index.
    Reads resolve innermost frame → outer frames → the frozen snapshot → the default. Writes
    (``ps.a.b = 1``, ``param_scope.a.b = 1``) go to the innermost frame and end with it.
    """

    __slots__ = ("_hp_acc",)

    if TYPE_CHECKING:
        # Entering is the native base's; `param_scope(cfg)` enters to a typed view instead
        # (see `_ParamScopeEntry.__call__`'s overloads).
        def __enter__(self) -> Self: ...
        def __getitem__(self, key: str) -> _Accessor: ...

    elif _st.backend() == "python":
        # `ps[key]` is the handle's accessor table's own `__getitem__` (a C call on a hit):
        # a property of C parts, so no Python frame runs on the way. (The native base has a
        # C `__getitem__` that keeps the table itself.)
        __getitem__ = property(attrgetter("_hp_acc"))

    @staticmethod
    def _hp_accessor_table(scope: ParamScope) -> dict[str, _Accessor]:
        """The accessors of ``scope[key]``, made on first use (by the native base)."""
        return _HandleAccessors(scope)

    def __getattr__(self, name: str) -> _Accessor:
        if name[:2] == "__":
            raise AttributeError(name)
        if name == "_hp_acc":  # the first item access: the handle's accessor table
            table = _HandleAccessors(self).__getitem__
            object.__setattr__(self, "_hp_acc", table)
            return table  # type: ignore[return-value]
        return self[name]

    def __setattr__(self, name: str, value: Any) -> None:
        _write(name, value)

    def __setitem__(self, key: str, value: Any) -> None:
        _write(key, value)

    def _hp_effective(self) -> dict[str, Any]:
        """What this handle reads: the context's parameters, under this scope's own values
        while it is not entered in this context."""
        out = dict(_st.effective())
        if not self._hp_entered():
            out.update(self._hp_items())
        return out

    def keys(self) -> list[str]:
        """Every effective flat dotted key, sorted."""
        return sorted(self._hp_effective())

    def to_dict(self) -> dict[str, Any]:
        """Every effective flat dotted key and its value (raw overrides parsed), sorted."""
        return {k: untyped(v) for k, v in sorted(self._hp_effective().items())}

    def storage(self) -> _st.TLSKVStorage:
        """The storage behind this handle (0.6): ``.storage()`` is the flat dict of what the
        handle reads, ``.get(key)`` one value, ``.put(key, value)`` a write."""
        return _HandleStorage(self)

    def clear(self) -> None:
        """Hides every effective key until the innermost frame exits."""
        _st.clear()

    def __repr__(self) -> str:
        return f"param_scope({', '.join(self._hp_keys())})"

    def _hp_describe(self) -> str:
        return "a param_scope(...) object"


class _HandleStorage(_st.TLSKVStorage):
    """``ps.storage()``: the low-level storage API over what the handle ``ps`` reads."""

    __slots__ = ("_hp_scope",)

    def __init__(self, scope: ParamScope) -> None:
        self._hp_scope = scope

    def get(self, key: str) -> Any:
        v = self._hp_scope[check_key(key)]._hp_value()
        if v is _MISSING:
            raise MissingParameterError(key)
        return v

    def keys(self) -> list[str]:
        return self._hp_scope.keys()

    def storage(self) -> dict[str, Any]:
        return dict(sorted(self._hp_scope._hp_effective().items()))


T_co = TypeVar("T_co", covariant=True)


class TypedScope(Protocol[T_co]):
    """What ``param_scope(cfg)`` is to a type checker: entering it gives a view typed as the
    config's class (``with param_scope(cfg) as ps: reveal_type(ps)`` is ``Train``)."""

    def __enter__(self) -> T_co: ...
    def __exit__(self, *exc: object) -> None: ...


class _ParamScopeEntry(LiveHandle):
    """``param_scope``: build a scope with ``param_scope(...)`` (see :class:`ParamScope`), or
    read and write the current context's parameters directly: ``param_scope.model.lr | 0.1``,
    ``param_scope["model.lr"]``, ``param_scope.model.lr = 0.2``.

    ``param_scope.frozen()`` replaces the global snapshot with the current parameters;
    ``param_scope.empty(...)`` is a scope that hides every inherited key.
    """

    __slots__ = ("__dict__",)

    if TYPE_CHECKING:

        @overload
        def __call__(self, *assignments: str | Mapping[str, Any], **values: Any) -> ParamScope: ...
        @overload
        def __call__(self, cfg: T, /, *assignments: str, **values: Any) -> TypedScope[T]: ...
        # mypy cannot see that *assignments also takes the positional-only `cfg`
        def __call__(self, *assignments: Any, **values: Any) -> Any: ...  # type: ignore[misc]

    else:
        # Calling the entry builds a scope: `param_scope(**kw)` is `ParamScope(**kw)`.
        __call__ = staticmethod(_st.scope_factory(ParamScope))

    def __getattr__(self, name: str) -> _Accessor:
        if name[:2] == "__":
            raise AttributeError(name)
        acc = _accessor(name)
        # Cached in the instance dict: the next `param_scope.<name>` is a plain attribute hit.
        self.__dict__[name] = acc
        return acc

    def __setattr__(self, name: str, value: Any) -> None:
        _write(name, value)

    __getitem__ = staticmethod(_accessor)

    def __setitem__(self, key: str, value: Any) -> None:
        _write(key, value)

    @staticmethod
    def frozen() -> None:
        """Replaces the global snapshot with the current effective parameters.

        Threads started later (and executor tasks, whatever their thread) see it as their base.
        """
        _st.freeze()

    @staticmethod
    def empty(*assignments: Any, **values: Any) -> ParamScope:
        """A scope that hides every inherited key, the frozen snapshot included."""
        scope = ParamScope(*assignments, **values)
        scope._hp_make_opaque()
        return scope

    def __repr__(self) -> str:
        return "<hyperparameter.param_scope>"

    def _hp_describe(self) -> str:
        return "hyperparameter.param_scope"


param_scope = _ParamScopeEntry()
"""Builds scopes and reads the current context. ``param_scope(**{"model.lr": 0.1})``, and the
other forms :class:`ParamScope` lists, is a scope to enter with ``with``; ``param_scope(cfg)``
with a dataclass or pydantic instance enters to a view typed as its class.
``param_scope.model.lr | 0.1`` and ``param_scope["model.lr"]`` read the current context,
``param_scope.model.lr = 0.2`` writes its innermost frame. ``param_scope.frozen()`` makes the
current values the snapshot every thread starts from; ``param_scope.empty(...)`` is a scope that
hides every inherited key."""


# --------------------------------------------------------------------------- auto_param


class _Inject:
    """What one decorated callable injects: its parameters with defaults, precomputed.

    The values found in scope are cached against (current frame object, snapshot version):
    frames are immutable, so while both are unchanged so are the values, and a call costs one
    ``ContextVar.get`` instead of one store read per parameter. The frame is held weakly.
    """

    __slots__ = ("cache", "pos_only", "specs")

    def __init__(self, fn: Callable[..., Any], namespace: str, skip: int) -> None:
        sig = inspect.signature(fn)
        try:
            hints = typing.get_type_hints(fn)
        except Exception:  # unresolvable string annotations: fall back to the defaults' types
            hints = {}
        specs: list[tuple[str, str, int, Any, int]] = []
        self.pos_only: dict[str, tuple[int, Any]] = {}
        for i, p in enumerate(list(sig.parameters.values())[skip:]):
            if p.default is p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            key = f"{namespace}.{p.name}"
            target = hints.get(p.name)
            if target is None and p.default is not None:
                target = type(p.default)
            pos = i + skip if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) else -1
            if p.kind is p.POSITIONAL_ONLY:
                self.pos_only[p.name] = (pos, p.default)
            specs.append((p.name, key, key_hash(key), target, pos))
        self.specs = specs
        # (weak reference to the frame, snapshot version, found, values aligned with specs:
        # value, _MISSING or _Failed)
        self.cache: tuple[
            Callable[[], Any], int, list[tuple[str, int, Any, Exception | None]], tuple[Any, ...]
        ]
        self.cache = (_st.NO_FRAME, -1, [], ())

    def resolve(self) -> list[tuple[str, int, Any, Exception | None]]:
        """The parameters the current scope sets: ``(name, position, value, error)``.

        A value that fails coercion is kept as its error, raised only if it is injected.
        """
        frame = _current(_TOP)
        version = _VERSION[0]
        cache = self.cache
        if cache[0]() is frame and cache[1] == version:
            return cache[2]
        found: list[tuple[str, int, Any, Exception | None]] = []
        values: list[Any] = []
        for name, key, h, target, pos in self.specs:
            v = _get(h, key, _MISSING)
            if v is _MISSING:
                values.append(_MISSING)
                continue
            err: Exception | None = None
            if v is not None:
                try:
                    v = untyped(v) if target is None else coerce(v, target, key)
                except ConversionError as e:
                    err = e
            found.append((name, pos, v, err))
            values.append(v if err is None else _Failed(err))
        self.cache = (_frame_ref(frame), version, found, tuple(values))
        return found

    def __call__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        found = self.resolve()
        if not found:
            return args
        n = len(args)
        late: dict[int, Any] | None = None
        for name, pos, v, err in found:
            if (pos >= 0 and pos < n) or name in kwargs:
                continue
            if err is not None:
                raise err
            if self.pos_only and name in self.pos_only:
                late = late or {}
                late[pos] = v
            else:
                kwargs[name] = v
        if late:  # positional-only parameters cannot be passed by name
            full = list(args)
            for pos, default in sorted(self.pos_only.values(), key=lambda t: t[0]):
                if pos >= len(full):
                    full.append(late.get(pos, default))
            return tuple(full)
        return args


class _Decorator(Protocol):
    @overload
    def __call__(self, target: C) -> C: ...
    @overload
    def __call__(self, target: Callable[P, R]) -> Callable[P, R]: ...


class _Failed:
    """A scope value that failed coercion, raised only if it is injected."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def _raise(failed: _Failed) -> Any:
    raise failed.error


def _compile(fn: Callable[..., Any], inject: _Inject, skip: int) -> Callable[..., Any]:
    """A wrapper with ``fn``'s own parameter list, generated like ``dataclasses`` does.

    Defaulted parameters get a private sentinel default; each one left at the sentinel takes
    the scope's value, or else the original default. No ``*args``/``**kwargs`` packing, one
    ``ContextVar.get`` and a cache check per call.
    """
    params = list(inspect.signature(fn).parameters.values())
    injected = {name: i for i, (name, *_rest) in enumerate(inject.specs)}
    ns: dict[str, Any] = {
        "_hp_fn": fn,
        "_hp_inject": inject,
        "_hp_current": _current,
        "_hp_TOP": _TOP,
        "_hp_version": _VERSION,
        "_hp_M": _MISSING,
        "_hp_Failed": _Failed,
        "_hp_raise": _raise,
    }
    sig: list[str] = []
    call: list[str] = []
    body: list[str] = []
    seen_pos_only = False
    star = False
    for i, p in enumerate(params):
        name = p.name
        if p.kind is p.POSITIONAL_ONLY:
            seen_pos_only = True
        elif seen_pos_only:
            sig.append("/")
            seen_pos_only = False
        if p.kind is p.VAR_POSITIONAL:
            sig.append(f"*{name}")
            call.append(f"*{name}")
            star = True
            continue
        if p.kind is p.VAR_KEYWORD:
            sig.append(f"**{name}")
            call.append(f"**{name}")
            continue
        if p.kind is p.KEYWORD_ONLY and not star:
            sig.append("*")
            star = True
        if name in injected and i >= skip:
            ns[f"_hp_d_{name}"] = p.default
            sig.append(f"{name}=_hp_M")
            j = injected[name]
            body.append(
                f"    if {name} is _hp_M:\n"
                f"        {name} = _hp_vals[{j}]\n"
                f"        if {name} is _hp_M: {name} = _hp_d_{name}\n"
                f"        elif type({name}) is _hp_Failed: _hp_raise({name})"
            )
        elif p.default is not p.empty:
            ns[f"_hp_d_{name}"] = p.default
            sig.append(f"{name}=_hp_d_{name}")
        else:
            sig.append(name)
        call.append(f"{name}={name}" if p.kind is p.KEYWORD_ONLY else name)
    if seen_pos_only:
        sig.append("/")
    src = (
        f"def wrapper({', '.join(sig)}):\n"
        "    _hp_c = _hp_inject.cache\n"
        "    if _hp_c[0]() is _hp_current(_hp_TOP) and _hp_c[1] == _hp_version[0]:\n"
        "        _hp_vals = _hp_c[3]\n"
        "    else:\n"
        "        _hp_inject.resolve()\n"
        "        _hp_vals = _hp_inject.cache[3]\n"
        + "\n".join(body)
        + f"\n    return _hp_fn({', '.join(call)})\n"
    )
    exec(compile(src, f"<auto_param {getattr(fn, '__qualname__', fn)}>", "exec"), ns)
    return ns["wrapper"]  # type: ignore[no-any-return]


def _wrap(fn: Callable[P, R], namespace: str, skip: int = 0) -> Callable[P, R]:
    inject = _Inject(fn, namespace, skip)
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            args = inject(args, kwargs)
            return await fn(*args, **kwargs)

        wrapper: Any = async_wrapper
    else:
        wrapper = functools.wraps(fn)(_compile(fn, inject, skip))

    wrapper._auto_param_namespace = namespace
    wrapper._auto_param_wrapped = fn
    return wrapper  # type: ignore[no-any-return]


def _decorate(target: Any, namespace: str) -> Any:
    check_key(namespace)
    if isinstance(target, type):
        init = target.__dict__.get("__init__")
        if init is None:  # inherited: wrap the class's effective initializer
            init = target.__init__  # type: ignore[misc]
        if init is object.__init__:
            return target
        target.__init__ = _wrap(init, namespace, skip=1)  # type: ignore[misc]
        target._auto_param_namespace = namespace  # type: ignore[attr-defined]
        return target
    return _wrap(target, namespace)


@overload
def auto_param(namespace: C) -> C: ...
@overload
def auto_param(namespace: Callable[P, R]) -> Callable[P, R]: ...
@overload
def auto_param(namespace: str | None = None) -> _Decorator: ...
def auto_param(namespace: Any = None) -> Any:
    """Injects scope values into a callable's defaulted parameters at call time.

    ``@auto_param("model")`` reads ``model.<param>``; bare ``@auto_param`` uses the function's
    (or class's) name. Explicit arguments win over the scope, the scope over the default;
    injected values are coerced to the annotation (or the default's type). Classes stay
    classes (their ``__init__`` is wrapped); coroutine functions stay coroutine functions.
    """
    if namespace is None:
        return lambda target: _decorate(target, target.__name__)
    if isinstance(namespace, str):
        ns = namespace
        return lambda target: _decorate(target, ns)
    if callable(namespace):
        return _decorate(namespace, namespace.__name__)
    raise TypeError(f"auto_param() takes a namespace string or a callable, not {namespace!r}")
