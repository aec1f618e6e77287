"""The scoped store: the only package that imports the native ``_core``.

``HYPERPARAMETER_BACKEND=rust|python`` picks the backend. Unset, the Rust one is used and a
missing native module falls back to the pure-Python twin with a warning; set to ``rust``, a
missing native module is an ``ImportError``. :func:`backend` says which one is active.

:class:`TLSKVStorage` is the low-level API (kept from 0.6): ``enter()``, ``exit()``,
``get(key)``, ``put(key, value)`` on the current thread's or task's scope chain.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal
from weakref import ref as _weakref

from .._version import __version__
from ..errors import InvalidKeyError, MissingParameterError, ScopeError
from . import _fallback
from . import keys as _keys
from .keys import key_hash
from .keys import xxh64 as xxh64

__all__ = [
    "TLSKVStorage",
    "backend",
    "has_rust_backend",
    "rust_read",
    "rust_write",
    "xxh64",
]

_EXPECTED_CORE_VERSION = __version__  # the native module is built with the package


def _select() -> tuple[Any, Literal["rust", "python"]]:
    wanted = os.environ.get("HYPERPARAMETER_BACKEND", "").strip().lower()
    if wanted not in ("", "rust", "python"):
        raise ImportError(f"HYPERPARAMETER_BACKEND={wanted!r}: expected 'rust' or 'python'")
    if wanted == "python":
        return _fallback, "python"
    try:
        from .. import _core
    except ImportError as e:
        if wanted == "rust":
            raise ImportError(
                f"HYPERPARAMETER_BACKEND=rust but the native module is missing ({e}); "
                "build it with `pip install .` or `maturin develop`"
            ) from e
        warnings.warn(
            f"hyperparameter: native module unavailable ({e}); using the pure-Python store",
            RuntimeWarning,
            stacklevel=3,
        )
        return _fallback, "python"
    if _core.__version__ != _EXPECTED_CORE_VERSION:
        raise ImportError(
            f"hyperparameter._core {_core.__version__} does not match the Python package "
            f"({_EXPECTED_CORE_VERSION}); rebuild the extension"
        )
    return _core, "rust"


_impl, _backend = _select()

#: The context variable holding the current frame: asyncio tasks inherit it on creation, and
#: every thread starts without one.
CURRENT_FRAME: ContextVar[Any] = ContextVar("hyperparameter.frame")

#: What ``CURRENT_FRAME.get(TOP)`` gives outside every scope: the variable is unset there, or,
#: once a scope has been left, set to this object (leaving restores what was current before).
TOP: Any = object()


_impl.bind(
    CURRENT_FRAME,
    TOP,
    ScopeError,
    InvalidKeyError,
    _keys._HASHES,
)


def bind_scopes(
    items_fn: Callable[[tuple[Any, ...], dict[str, Any]], tuple[Any, Any, Any, Any]],
    validate_fn: Callable[
        [Any, list[tuple[int | None, str, Any]]], list[tuple[int | None, str, Any]]
    ],
) -> None:
    """Registers what building and entering a scope need from the layers above: how
    ``param_scope(*args, **kwargs)`` turns into entries (``api``: entries, binding, view and
    origin, the object the entries came from or ``None``), and how a scope entered under
    a typed scope is checked (``schema``). Called once, by ``hyperparameter.api``."""
    _impl.bind_scopes(items_fn, validate_fn)


has_rust_backend: bool = _backend == "rust"
"""Whether the Rust backend is active (the 0.6 name; :func:`backend` says which one is)."""

# The protocol both backends implement, re-exported for the API (this package is the only
# importer of the native module; its stub types these names).
if TYPE_CHECKING:
    from .._core import Scope as Scope
else:
    Scope = _impl.Scope
get = _impl.get
enter = _impl.enter
exit = _impl.exit
put = _impl.put
clear = _impl.clear
effective = _impl.effective
#: ``dict(effective())``, built in one walk of the frames.
effective_dict = _impl.effective_dict

#: Bumped whenever the frozen snapshot changes. Frames are immutable, so (current frame object,
#: snapshot version) determines every read: accessors and ``auto_param`` cache on it.
SNAPSHOT_VERSION: list[int] = [0]


def _top() -> Any:
    return TOP


def _nothing() -> Any:
    return None


#: A read cache's frame reference before its first read: it matches no frame.
NO_FRAME: Callable[[], Any] = _nothing


def frame_ref(frame: Any) -> Callable[[], Any]:
    """What a read cache keeps of the frame it read from: a weak reference, so a cache never
    keeps a frame (and the values in it) alive after its thread or task is gone. Calling it
    gives the frame while it lives, else ``None``, which is never a current frame."""
    return _top if frame is TOP else _weakref(frame)


def freeze() -> None:
    """Replaces the global snapshot with the current context's effective parameters."""
    _impl.freeze()
    SNAPSHOT_VERSION[0] += 1


def reset_snapshot() -> None:
    """Drops the global snapshot."""
    _impl.reset_snapshot()
    SNAPSHOT_VERSION[0] += 1


def snapshot_token() -> Any:
    """The current global snapshot, as an opaque token for :func:`restore_snapshot`."""
    return _impl.snapshot_token()


def restore_snapshot(token: Any) -> None:
    """Makes the snapshot taken by :func:`snapshot_token` the global snapshot again."""
    _impl.restore_snapshot(token)
    SNAPSHOT_VERSION[0] += 1


def scope_factory(cls: type) -> Callable[..., Any]:
    """What ``param_scope(...)`` calls to build a ``cls`` (a subclass of :data:`Scope`): the
    native one takes the caller's arguments as they are; the Python twin's is ``cls``."""
    return _impl.scope_factory(cls) if _backend == "rust" else cls


depth = _impl.depth
bound_schemas = _impl.bound_schemas
#: The origins of the scopes the current context sees, innermost first (provenance).
origins = _impl.origins


def native_runner(
    func: Callable[..., Any],
    frame: Any,
    slow: Callable[..., Any],
    reduce: Callable[[], tuple[Any, ...]],
) -> Callable[..., Any] | None:
    """A C-level caller of ``func`` inside ``frame`` (a frame of this store) when the context
    is outside every scope, else of ``slow``; pickled, it is what ``reduce()`` gives. ``None``
    on the Python twin (``api/procs.py`` keeps its Python wrapper there)."""
    if _backend != "rust":
        return None
    return _impl.Propagated(func, frame, slow, reduce)  # type: ignore[no-any-return]


def backend() -> Literal["rust", "python"]:
    """The active store backend."""
    return _backend


def rust_read(key: str, default: Any = None) -> Any:
    """Reads ``key`` through the Rust API of ``rust_core/store`` (hashing in Rust too).

    Only for the Rust backend: it proves that Rust code in this thread sees what Python set.
    """
    if _backend != "rust":
        raise RuntimeError("rust_read needs the Rust backend (HYPERPARAMETER_BACKEND=rust)")
    return _impl.rust_read(key, default)


def rust_write(key: str, value: Any) -> None:
    """Writes ``key`` through the Rust API of ``rust_core/store``; Rust backend only."""
    if _backend != "rust":
        raise RuntimeError("rust_write needs the Rust backend (HYPERPARAMETER_BACKEND=rust)")
    _impl.rust_write(key, value)


_MISSING: Any = object()


class TLSKVStorage:
    """Low-level access to the current thread's (or asyncio task's) scope chain.

    >>> s = TLSKVStorage().enter()
    >>> s.put("model.lr", 0.1)
    >>> s.get("model.lr")
    0.1
    >>> s.exit()

    ``enter()`` pushes an empty frame, ``put`` writes into the innermost frame, ``get`` reads
    through every frame (``MissingParameterError``, a ``KeyError``, when no frame has the key),
    and ``exit()`` pops the innermost frame, which this object must have pushed, dropping what
    was written in it. The object keeps no state: threads and tasks may share one.
    """

    __slots__ = ("__weakref__",)

    def enter(self) -> TLSKVStorage:
        """Pushes an empty frame; returns ``self``."""
        enter([], False, self)
        return self

    def exit(self) -> None:
        """Pops the innermost frame, pushed by :meth:`enter` of this object."""
        exit(self)

    def get(self, key: str) -> Any:
        """The effective value of ``key``."""
        value = get(key_hash(key), key, _MISSING)
        if value is _MISSING:
            raise MissingParameterError(key)
        return value

    def put(self, key: str, value: Any) -> None:
        """Sets ``key`` in the innermost frame."""
        put(key_hash(key), key, value)

    def keys(self) -> list[str]:
        """Every effective key, sorted."""
        return sorted(k for k, _ in effective())

    def storage(self) -> dict[str, Any]:
        """Every effective key and value."""
        return dict(sorted(effective()))

    @staticmethod
    def frozen() -> None:
        """Replaces the global snapshot with the current effective parameters."""
        freeze()
