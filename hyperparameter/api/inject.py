"""``@auto_param``: scope values injected into defaulted parameters at call time (DESIGN §4)."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, ParamSpec, Protocol, TypeVar, overload

from .. import storage as _st
from ..coerce import Suggested, coerce, untyped
from ..errors import ConversionError, shown
from ..storage.keys import check_key, key_hash

__all__ = ["auto_param"]

R = TypeVar("R")
P = ParamSpec("P")
C = TypeVar("C", bound=type)

_get = _st.get
_current = _st.CURRENT_FRAME.get
_TOP = _st.TOP
_frame_ref = _st.frame_ref
_VERSION = _st.SNAPSHOT_VERSION
_MISSING: Any = object()


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
        volatile = False  # a Suggested value is computed again at every call: not cached
        for name, key, h, target, pos in self.specs:
            v = _get(h, key, _MISSING)
            if v is _MISSING:
                values.append(_MISSING)
                continue
            if type(v) is Suggested:
                volatile = True
            err: Exception | None = None
            if v is not None:
                try:
                    v = untyped(v) if target is None else coerce(v, target, key)
                except ConversionError as e:
                    err = e
            found.append((name, pos, v, err))
            values.append(v if err is None else _Failed(err))
        # with a Suggested value, a cache that matches no frame: the next call resolves again
        ref = _st.NO_FRAME if volatile else _frame_ref(frame)
        self.cache = (ref, version, found, tuple(values))
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
    raise TypeError(f"auto_param() takes a namespace string or a callable, not {shown(namespace)}")
