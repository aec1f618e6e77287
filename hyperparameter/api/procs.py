"""``propagate``: a function that runs inside the parameters of the moment it was made, in
another thread, process or machine (DESIGN §11). ``Snapshot`` and ``capture`` are in
``snapshot``; this module names all three, as DESIGN §1 says.

How a propagated function pickles. Ray accepts only real functions, so :func:`propagate`
returns one; stdlib pickle saves a function by reference (module and qualified name) and never
asks the function how. The function's ``__module__`` is therefore a ``str`` subclass
(:class:`_ModuleName`) whose reduction carries the wrapped function and the snapshot: unpickling
it (before the name is looked up) registers the propagated function in the receiving process,
so the name then resolves there as it does here. Pickle protocol 4 or later (multiprocessing's,
cloudpickle's and Ray's default) is needed for that.
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast
from weakref import WeakValueDictionary

from .. import storage as _st
from .snapshot import _TOP, Snapshot, _Arrived, _current, _new_id, _reset, _restore, _set, capture

__all__ = ["Snapshot", "capture", "propagate"]

P = ParamSpec("P")
R = TypeVar("R")

# --------------------------------------------------------------------------- propagate

#: Propagated functions of this process by name (weakly: the name lives as long as the
#: function), and those that arrived by pickle (kept, a few).
_LIVE: WeakValueDictionary[str, Callable[..., Any]] = WeakValueDictionary()
_FUNCTIONS = _Arrived()


def _after_fork_in_child() -> None:
    # A lock another thread held at fork time stays held in the child: a fresh one.
    _FUNCTIONS.lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


class _Registry:
    """``propagated``: where the qualified names of propagated functions resolve."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        fn = _LIVE.get(name)
        if fn is None:
            fn = _FUNCTIONS.find(name)
        if fn is None:
            raise AttributeError(
                f"no propagated function {name!r} in this process (it pickles with protocol "
                "4 or later only)"
            )
        return fn

    def __reduce__(self) -> str:
        return "propagated"


propagated = _Registry()


class _ModuleName(str):
    """The ``__module__`` of a propagated function: this module's name, whose pickle carries
    the function it belongs to (see the module's docstring)."""

    _hp_key: str
    _hp_parts: tuple[Callable[..., Any], Snapshot]

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        fn, snap = self._hp_parts
        return (_arrive, (self._hp_key, fn, *snap._hp_pickled_small()))

    def __reduce__(self) -> tuple[Any, ...]:  # pragma: no cover - pickle calls __reduce_ex__
        return self.__reduce_ex__(2)


def _arrive(key: str, fn: Callable[..., Any], sid: str, payload: bytes) -> str:
    """Unpickling a propagated function's module name: registers the function here, so that
    its qualified name resolves; gives the plain module name.

    In a process that did not make it, what is registered is the native runner where the
    store has one (a task outside every scope then costs a call and a ``ContextVar`` set and
    reset, in C), else the Python wrapper."""
    if _LIVE.get(key) is None and _FUNCTIONS.find(key) is None:
        snap = _restore(sid, payload)
        slow = _wrap(fn, snap, key, live=False)
        fast = None
        if not inspect.iscoroutinefunction(fn):
            fast = _st.native_runner(
                fn, snap._hp_top_frame(), slow, functools.partial(_reduce_again, key, fn, snap)
            )
        _FUNCTIONS.keep(key, slow if fast is None else fast)
    return __name__


def _reduce_again(key: str, fn: Callable[..., Any], snap: Snapshot) -> tuple[Any, ...]:
    """The pickle of a native runner: the propagated function it runs, sent on."""
    return (_again, (key, fn, *snap._hp_pickled_small()))


def _again(key: str, fn: Callable[..., Any], sid: str, payload: bytes) -> Callable[..., Any]:
    _arrive(key, fn, sid, payload)
    return getattr(propagated, key)  # type: ignore[no-any-return]


def _wrap(
    fn: Callable[..., Any], snap: Snapshot, key: str, live: bool = True
) -> Callable[..., Any]:
    scope_of = snap._hp_scope
    wrapper: Callable[..., Any]
    if inspect.iscoroutinefunction(fn):

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            with scope_of():
                return await fn(*args, **kwargs)

    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if _current(_TOP) is _TOP:  # outside every scope: a task, a thread
                frame = snap._hp_top
                token = _set(snap._hp_top_frame() if frame is None else frame)
                try:
                    return fn(*args, **kwargs)
                finally:
                    _reset(token)
            with scope_of():
                return fn(*args, **kwargs)

    functools.update_wrapper(wrapper, fn, assigned=("__name__", "__doc__", "__annotations__"))
    module = _ModuleName(__name__)
    module._hp_key = key
    module._hp_parts = (fn, snap)
    wrapper.__module__ = module
    wrapper.__qualname__ = f"propagated.{key}"
    setattr(wrapper, "_hp_snapshot", snap)  # noqa: B010 - a function's own attribute
    if live:
        _LIVE[key] = wrapper
    return wrapper


def propagate(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` to run inside the parameters of this moment (:func:`capture`), wherever it is
    called: another thread, a process of any start method, another machine.

    The result is a real function (``ray.remote`` accepts it) with ``fn``'s signature, name and
    coroutine-ness; it pickles, by stdlib pickle and cloudpickle, whenever ``fn`` and the
    snapshot do (a module-level function or a ``functools.partial`` of one, with stdlib pickle;
    lambdas and closures with cloudpickle). The snapshot travels with each pickled task, so a
    fork pool created before the scope still sees the values of submission time.

    >>> import hyperparameter as hp
    >>> with hp.param_scope(**{"model.lr": 0.1}):
    ...     work = hp.propagate(lambda: hp.param_scope.model.lr | 0.0)
    >>> work()
    0.1
    """
    if not callable(fn):
        raise TypeError(f"propagate() takes a callable, not {type(fn).__name__}")
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return cast(Callable[P, R], _wrap(fn, capture(), f"{name}-{_new_id()}"))
