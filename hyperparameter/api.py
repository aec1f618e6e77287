"""``param_scope``, the dynamic accessor, and ``auto_param`` (DESIGN §4)."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload

from . import storage as _st
from ._coerce import Raw, coerce, untyped
from ._keys import check_key, flatten, key_hash, parse_assignment
from .errors import MissingParameterError, ScopeError

__all__ = ["auto_param", "param_scope"]

T = TypeVar("T")
D = TypeVar("D")
R = TypeVar("R")
P = ParamSpec("P")
C = TypeVar("C", bound=type)

_get = _st.get
_put = _st.put
_enter = _st.enter
_exit = _st.exit
_MISSING: Any = object()
_CACHE_LIMIT = 1 << 16


class _Accessor:
    """A dotted key, resolved by a terminal operation.

    ``acc | default`` and ``acc(default)`` give the value coerced toward ``type(default)`` (or
    ``default`` when missing); ``acc()`` gives the value or raises ``MissingParameterError``;
    ``bool(acc)`` is False when missing. Attribute and item access extend the key; attribute
    and item assignment write it into the innermost scope.
    """

    # Odd names: attribute access on an accessor is the key namespace.
    __slots__ = ("__dict__", "_hp_hash", "_hp_key")
    _hp_key: str
    _hp_hash: int

    def __init__(self, key: str, h: int) -> None:
        object.__setattr__(self, "_hp_key", key)
        object.__setattr__(self, "_hp_hash", h)

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
        v = _get(self._hp_hash, self._hp_key, _MISSING)
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
        v = _get(self._hp_hash, self._hp_key, _MISSING)
        if v is _MISSING:
            if default is _MISSING:
                raise MissingParameterError(self._hp_key)
            return default
        if default is _MISSING:
            return untyped(v)
        return _typed(v, default, self._hp_key)

    def __bool__(self) -> bool:
        v = _get(self._hp_hash, self._hp_key, _MISSING)
        return v is not _MISSING and bool(untyped(v))

    def __repr__(self) -> str:
        v = _get(self._hp_hash, self._hp_key, _MISSING)
        shown = "<missing>" if v is _MISSING else repr(untyped(v))
        return f"<param {self._hp_key}={shown}>"


def _typed(v: Any, default: Any, key: str) -> Any:
    if v is None:
        return None
    if default is None:
        return untyped(v)
    return coerce(v, type(default), key)


_ACCESSORS: dict[str, _Accessor] = {}


def _accessor(key: str) -> _Accessor:
    acc = _ACCESSORS.get(key)
    if acc is None:
        acc = _Accessor(key, key_hash(key))
        if len(_ACCESSORS) >= _CACHE_LIMIT:
            _ACCESSORS.clear()
        _ACCESSORS[key] = acc
    return acc


def _write(key: str, value: Any) -> None:
    flat: dict[str, Any] = {}
    flatten(check_key(key), value, flat)
    for k, v in flat.items():
        _put(key_hash(k), k, v)


def _items(assignments: tuple[Any, ...], values: dict[str, Any]) -> list[tuple[int, str, Any]]:
    flat: dict[str, Any] = {}
    for a in assignments:
        if isinstance(a, str):
            k, raw = parse_assignment(a)
            flat[k] = Raw(raw, source=f"param_scope({a!r})")
        elif isinstance(a, _Accessor) or a is None or isinstance(a, (int, float, bytes)):
            raise TypeError(
                "param_scope() takes 'key=value' strings, mappings, or dataclass / pydantic "
                f"instances as positional arguments, not {type(a).__name__}"
            )
        else:
            before = len(flat)
            flatten("", a, flat)
            if len(flat) == before and not _is_group(a):
                raise TypeError(
                    "param_scope() takes 'key=value' strings, mappings, or dataclass / "
                    f"pydantic instances as positional arguments, not {type(a).__name__}"
                )
    for k, v in values.items():
        flatten(check_key(k), v, flat)
    return [(key_hash(k), k, v) for k, v in flat.items()]


def _is_group(a: Any) -> bool:
    import dataclasses

    return isinstance(a, Mapping) or (dataclasses.is_dataclass(a) and not isinstance(a, type))


class _ScopeMeta(type):
    """Lets the class itself read and write keys: ``param_scope.model.lr | 0.1``."""

    def __getattr__(cls, name: str) -> _Accessor:
        if name[:2] == "__":
            raise AttributeError(name)
        acc = _accessor(name)
        # Cached as a class attribute, so the next read (from the class or an instance) is a
        # plain attribute hit. Method names (`keys`, `frozen`, …) never get here.
        type.__setattr__(cls, name, acc)
        return acc

    def __setattr__(cls, name: str, value: Any) -> None:
        if name[:1] == "_":
            type.__setattr__(cls, name, value)
        else:
            _write(name, value)

    def __getitem__(cls, item: Any) -> Any:
        if isinstance(item, str):
            return _accessor(item)
        return cls.__class_getitem__(item)


class param_scope(Generic[T], metaclass=_ScopeMeta):
    """A scope of parameters: a context manager that pushes one frame on the current context.

    >>> with param_scope(**{"model.lr": 0.1}, model={"layers": 8}) as ps:
    ...     ps.model.lr | 0.0, param_scope.model.layers()
    (0.1, 8)

    Positional arguments are ``"key=value"`` strings (raw values, typed by whoever reads
    them), mappings, or dataclass / pydantic instances; keyword arguments are dotted keys.
    Nested mappings flatten into dotted keys; a list is stored whole and by index.
    Reads resolve innermost frame → outer frames → the frozen snapshot → the default. Writes
    (``ps.a.b = 1``, ``param_scope.a.b = 1``) go to the innermost frame and end with it.
    """

    __slots__ = ("_hp_items", "_hp_opaque", "_hp_tokens")
    _hp_items: list[tuple[int, str, Any]]
    _hp_opaque: bool
    _hp_tokens: list[tuple[Any, int]]

    def __init__(self, *assignments: Any, **values: Any) -> None:
        object.__setattr__(self, "_hp_items", _items(assignments, values))
        object.__setattr__(self, "_hp_opaque", False)
        object.__setattr__(self, "_hp_tokens", [])

    def __enter__(self) -> param_scope[T]:
        self._hp_tokens.append(_enter(self._hp_items, self._hp_opaque))
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._hp_tokens:
            raise ScopeError("param_scope exited without being entered")
        token, serial = self._hp_tokens[-1]
        _exit(token, serial)
        self._hp_tokens.pop()

    def __getattr__(self, name: str) -> _Accessor:
        return _ScopeMeta.__getattr__(type(self), name)

    def __setattr__(self, name: str, value: Any) -> None:
        _write(name, value)

    def __getitem__(self, key: str) -> _Accessor:
        return _accessor(key)

    def __setitem__(self, key: str, value: Any) -> None:
        _write(key, value)

    def keys(self) -> list[str]:
        """Every effective flat dotted key, sorted."""
        return sorted(k for k, _ in _st.effective())

    def to_dict(self) -> dict[str, Any]:
        """Every effective flat dotted key and its value (raw overrides parsed), sorted."""
        return {k: untyped(v) for k, v in sorted(_st.effective(), key=lambda kv: kv[0])}

    def clear(self) -> None:
        """Hides every effective key until the innermost frame exits."""
        _st.clear()

    @staticmethod
    def frozen() -> None:
        """Replaces the global snapshot with the current effective parameters.

        Threads started later (and executor tasks, whatever their thread) see it as their base.
        """
        _st.freeze()

    @classmethod
    def empty(cls, *assignments: Any, **values: Any) -> param_scope[T]:
        """A scope that hides every inherited key, the frozen snapshot included."""
        scope = cls(*assignments, **values)
        object.__setattr__(scope, "_hp_opaque", True)
        return scope

    def __repr__(self) -> str:
        keys = ", ".join(k for _, k, _ in self._hp_items)
        return f"param_scope({keys})"


# --------------------------------------------------------------------------- auto_param


class _Inject:
    """What one decorated callable injects: its parameters with defaults, precomputed."""

    __slots__ = ("namespace", "pos_only", "specs")

    def __init__(self, fn: Callable[..., Any], namespace: str, skip: int) -> None:
        self.namespace = namespace
        sig = inspect.signature(fn)
        try:
            hints = typing.get_type_hints(fn)
        except Exception:  # unresolvable string annotations: fall back to the defaults' types
            hints = {}
        specs: list[tuple[str, str, int, Any, int]] = []
        pos_only: list[tuple[int, str, Any]] = []
        for i, p in enumerate(list(sig.parameters.values())[skip:]):
            if p.default is p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            key = f"{namespace}.{p.name}"
            target = hints.get(p.name)
            if target is None and p.default is not None:
                target = type(p.default)
            if p.kind is p.POSITIONAL_ONLY:
                pos_only.append((i + skip, p.name, p.default))
            pos = i + skip if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) else -1
            specs.append((p.name, key, key_hash(key), target, pos))
        self.specs = specs
        self.pos_only = pos_only

    def __call__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        n = len(args)
        extra: dict[int, Any] | None = None
        for name, key, h, target, pos in self.specs:
            if pos >= 0 and pos < n:
                continue
            if name in kwargs:
                continue
            v = _get(h, key, _MISSING)
            if v is _MISSING:
                continue
            if v is not None:
                if target is None:
                    v = untyped(v)
                elif type(v) is not target:
                    v = coerce(v, target, key)
            if self.pos_only and any(name == po[1] for po in self.pos_only):
                if extra is None:
                    extra = {}
                extra[pos] = v
            else:
                kwargs[name] = v
        if extra:
            full = list(args)
            for i, _, default in self.pos_only:
                if i >= len(full):
                    full.append(extra.get(i, default))
            return tuple(full)
        return args


class _Decorator(Protocol):
    @overload
    def __call__(self, target: C) -> C: ...
    @overload
    def __call__(self, target: Callable[P, R]) -> Callable[P, R]: ...


def _wrap(fn: Callable[P, R], namespace: str, skip: int = 0) -> Callable[P, R]:
    inject = _Inject(fn, namespace, skip)
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            args = inject(args, kwargs)
            return await fn(*args, **kwargs)

        wrapper: Any = async_wrapper
    else:

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            args = inject(args, kwargs)
            return fn(*args, **kwargs)

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
