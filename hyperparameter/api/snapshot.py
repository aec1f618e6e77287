"""``Snapshot`` and ``capture``: the effective parameters of one moment, as a value that pickles
(DESIGN §11).

:func:`capture` takes the effective parameters of the current context (its frames and the frozen
snapshot, with the bound schemas) as a :class:`Snapshot`, an immutable value that pickles
(stdlib pickle and cloudpickle) whenever its values do; ``with snap as ps:`` or
``param_scope(snap)`` pushes them as one frame wherever it is used, and ``snap.install()`` makes
them the process's frozen snapshot (``Pool(initializer=…)``, ``DataLoader(worker_init_fn=…)``).

Speed. A snapshot pickles its values once (the bytes are kept on the object) and a process that
unpickles the same snapshot again reuses the one it rebuilt the first time, so a pool running
many tasks of one propagated function pays for the values once per process, not per task.
"""

from __future__ import annotations

import contextvars
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn, cast

from .. import storage as _st
from ..coerce import Raw, untyped
from ..errors import HyperparameterError
from . import provenance as _provenance
from .scope import ParamScope, param_scope

__all__ = ["Snapshot", "capture"]

_current = _st.CURRENT_FRAME.get
_set = _st.CURRENT_FRAME.set
_reset = _st.CURRENT_FRAME.reset
_TOP = _st.TOP
_VERSION = _st.SNAPSHOT_VERSION

#: How many snapshots (and propagated functions) a process keeps after unpickling them, so that
#: the next task carrying the same one finds it without unpickling its values again.
_KEEP = 64


class _Arrived(OrderedDict[str, Any]):
    """A small LRU table of what arrived by pickle, by id."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def find(self, key: str) -> Any:
        with self.lock:
            value = self.get(key)
            if value is not None:
                self.move_to_end(key)
            return value

    def keep(self, key: str, value: Any) -> Any:
        with self.lock:
            value = self.setdefault(key, value)
            self.move_to_end(key)
            while len(self) > _KEEP:
                self.popitem(last=False)
            return value


_SNAPSHOTS = _Arrived()


def _after_fork_in_child() -> None:
    # A lock another thread held at fork time stays held in the child: a fresh one.
    _SNAPSHOTS.lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _new_id() -> str:
    return os.urandom(9).hex()


def _type_name(value: Any) -> str:
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _dumps(obj: Any) -> bytes:
    """``obj`` pickled by stdlib pickle, or by cloudpickle (when it is installed) for what only
    cloudpickle can pickle (a lambda as a value)."""
    try:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        try:
            import cloudpickle  # type: ignore[import-untyped, import-not-found, unused-ignore]
        except ImportError:
            raise
        return cast(bytes, cloudpickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def _unpicklable(items: dict[str, Any], schemas: tuple[type, ...], error: Exception) -> NoReturn:
    """The error for a snapshot that does not pickle: the first key whose value does not."""
    for key, value in items.items():
        try:
            _dumps(value)
        except Exception as e:
            raise HyperparameterError(
                f"cannot pickle the parameters: {key!r} holds a {_type_name(value)} value, "
                f"which cannot be pickled ({type(e).__name__}: {e}); leave it out of the scope "
                "that is captured, or pass it to the work another way"
            ) from e
    for schema in schemas:
        try:
            _dumps(schema)
        except Exception as e:
            raise HyperparameterError(
                f"cannot pickle the parameters: their schema {schema.__qualname__} cannot be "
                f"pickled by reference ({type(e).__name__}: {e}); define it at module level"
            ) from e
    raise HyperparameterError(
        f"cannot pickle the parameters ({type(error).__name__}: {error})"
    ) from error


#: Payloads from this size on travel compressed with a propagated function.
_PACK_AT = 8192


def _restore(sid: str, payload: bytes) -> Snapshot:
    """A snapshot, unpickled: the one this process already rebuilt under ``sid``, if any.
    ``payload`` is pickled (it starts with the PROTO opcode) or zlib-compressed (with 0x78)."""
    known = _SNAPSHOTS.find(sid)
    if known is not None:
        return cast(Snapshot, known)
    if payload[:1] == b"\x78":
        import zlib

        payload = zlib.decompress(payload)
    items, schemas, sources = pickle.loads(payload)
    snap = Snapshot._make(items, schemas, sources)
    object.__setattr__(snap, "_hp_id", sid)
    object.__setattr__(snap, "_hp_payload", payload)
    return cast(Snapshot, _SNAPSHOTS.keep(sid, snap))


class _Delegate:
    """``Snapshot.__enter__`` / ``__exit__``: the bound method of the snapshot's scope object,
    so that entering and leaving are the scope's own (interrupt-safe) calls."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, snap: Snapshot | None, cls: type | None = None) -> Any:
        if snap is None:
            return self
        return getattr(snap._hp_scope(), self.name)


class Snapshot:
    """The effective parameters of a context, taken by :func:`capture`: every key of its frames
    and of the frozen snapshot, and the schemas bound there.

    ``with snap as ps:`` (or ``with param_scope(snap) as ps:``) pushes the values as one frame
    over whatever is current, in any thread or process; ``ps`` is a typed view of the bound
    schema (writes validated), else a dynamic handle. :meth:`install` makes the values the
    process's frozen snapshot. A snapshot is immutable and equal (``==``) to its pickled copies;
    pickling one whose value cannot be pickled raises :class:`~hyperparameter.HyperparameterError`
    naming the key and the value's type.
    """

    __slots__ = ("__weakref__", "_hp_empty", "_hp_id", "_hp_items", "_hp_packed", "_hp_payload",
                 "_hp_schemas", "_hp_scope_obj", "_hp_sources", "_hp_top")  # fmt: skip
    _hp_items: dict[str, Any]
    _hp_sources: dict[str, str]
    _hp_schemas: tuple[type, ...]
    _hp_id: str | None
    _hp_payload: bytes | None
    _hp_packed: bytes | None
    _hp_scope_obj: ParamScope | None
    _hp_empty: ParamScope | None
    _hp_top: Any

    def __init__(self) -> None:
        raise TypeError("Snapshot objects are made by hyperparameter.capture()")

    @classmethod
    def _make(
        cls, items: dict[str, Any], schemas: tuple[type, ...], sources: dict[str, str]
    ) -> Snapshot:
        self = object.__new__(cls)
        set_ = object.__setattr__
        set_(self, "_hp_items", items)
        set_(self, "_hp_sources", sources)
        set_(self, "_hp_schemas", schemas)
        set_(self, "_hp_id", None)
        set_(self, "_hp_payload", None)
        set_(self, "_hp_packed", None)
        set_(self, "_hp_scope_obj", None)
        set_(self, "_hp_empty", None)
        set_(self, "_hp_top", None)
        return self

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("a Snapshot is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("a Snapshot is immutable")

    # -- reading ---------------------------------------------------------------------------

    @property
    def schemas(self) -> tuple[type, ...]:
        """The schema classes bound where the snapshot was taken, outermost first."""
        return self._hp_schemas

    def keys(self) -> list[str]:
        """Every flat dotted key, sorted."""
        return sorted(self._hp_items)

    def to_dict(self) -> dict[str, Any]:
        """Every flat dotted key and its value (raw overrides parsed), sorted by key."""
        return {k: untyped(v) for k, v in sorted(self._hp_items.items())}

    def source(self, key: str) -> str | None:
        """Where the value of ``key`` was set, as ``hp explain`` names it: ``path:line:col`` in
        the file that set it, ``-D model.lr=0.1``, ``env:APP_MODEL__LR`` or ``default`` for a
        value of a config that ``hp.load`` returned and the scope entered; the override text
        (``param_scope('model.lr=0.1')``) for an override value; ``None`` for a value set in
        code. ``KeyError`` for a key the snapshot does not hold."""
        value = self._hp_items[key]
        found = self._hp_sources.get(key)
        if found is not None:
            return found
        return value.source if type(value) is Raw else None

    def sources(self) -> dict[str, str]:
        """:meth:`source` of every key that has one, sorted by key."""
        return {k: s for k in sorted(self._hp_items) if (s := self.source(k)) is not None}

    def _hp_source_pairs(self) -> dict[str, tuple[str, Any]]:
        """What the provenance of a capture under ``with snap`` needs (``api.provenance``)."""
        items = self._hp_items
        return {k: (src, items[k]) for k, src in self._hp_sources.items()}

    def __len__(self) -> int:
        return len(self._hp_items)

    def __contains__(self, key: object) -> bool:
        return key in self._hp_items

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Snapshot):
            return NotImplemented
        return self is other or (
            self._hp_schemas == other._hp_schemas
            and self._hp_items == other._hp_items
            and self._hp_sources == other._hp_sources
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        bound = ", ".join(s.__qualname__ for s in self._hp_schemas)
        return f"<hyperparameter.Snapshot of {len(self._hp_items)} keys" + (
            f", typed as {bound}>" if bound else ">"
        )

    # -- using -----------------------------------------------------------------------------

    def _hp_scope_parts(self) -> tuple[dict[str, Any], tuple[type, ...]]:
        """What ``param_scope(snap)`` pushes: the values, and the schemas to bind."""
        return self._hp_items, self._hp_schemas

    def _hp_scope(self) -> ParamScope:
        """The (one, stateless) scope object that ``with snap`` enters."""
        scope = self._hp_scope_obj
        if scope is None:
            scope = cast(ParamScope, param_scope(self))
            object.__setattr__(self, "_hp_scope_obj", scope)
        return scope

    def _hp_top_frame(self) -> Any:
        """The frame that entering the snapshot outside every scope pushes. Frames are
        immutable and name no thread: a propagated function called outside every scope (a
        worker's task, a new thread) makes it current and resets the variable afterwards,
        which is what entering and leaving the scope would do, at the price of a
        ``ContextVar.set`` and ``reset``."""
        frame = self._hp_top
        if frame is None:
            frame = contextvars.Context().run(_enter_at_top, self._hp_scope())
            object.__setattr__(self, "_hp_top", frame)
        return frame

    if TYPE_CHECKING:

        def __enter__(self) -> Any: ...
        def __exit__(self, *exc: object) -> None: ...

    else:
        __enter__ = _Delegate("__enter__")
        __exit__ = _Delegate("__exit__")

    def install(self, *_: object) -> None:
        """Makes the snapshot's values this process's frozen snapshot (what
        ``param_scope.frozen()`` sets): every thread and task of the process starts from them.

        Takes and ignores any arguments, so that it serves as ``Pool(initializer=snap.install)``
        and ``DataLoader(worker_init_fn=snap.install)`` (which passes the worker id)."""
        scope = self._hp_empty
        if scope is None:
            scope = param_scope.empty(self)
            object.__setattr__(self, "_hp_empty", scope)
        with scope:
            _provenance.freeze()

    # -- pickling --------------------------------------------------------------------------

    def _hp_pickled(self) -> tuple[str, bytes]:
        """The snapshot's id and its values pickled, made once."""
        payload = self._hp_payload
        if payload is None:
            try:
                payload = _dumps((self._hp_items, self._hp_schemas, self._hp_sources))
            except Exception as e:
                _unpicklable(self._hp_items, self._hp_schemas, e)
            object.__setattr__(self, "_hp_payload", payload)
        sid = self._hp_id
        if sid is None:
            sid = _new_id()
            object.__setattr__(self, "_hp_id", sid)
        return sid, payload

    def _hp_pickled_small(self) -> tuple[str, bytes]:
        """:meth:`_hp_pickled`, compressed when large (made once): what a propagated function
        carries, since every chunk of a pool's ``map`` carries it again (a plain pickle of the
        snapshot stays uncompressed: it is made once and sent once)."""
        sid, payload = self._hp_pickled()
        packed = self._hp_packed
        if packed is None:
            packed = payload
            if len(payload) >= _PACK_AT:
                import zlib

                packed = zlib.compress(payload, 1)
            object.__setattr__(self, "_hp_packed", packed)
        return sid, packed

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, self._hp_pickled())

    def __copy__(self) -> Snapshot:
        return self

    def __deepcopy__(self, memo: Any) -> Snapshot:
        return self


def _enter_at_top(scope: ParamScope) -> Any:
    scope.__enter__()  # in a context of its own, dropped with it
    return _current(_TOP)


#: The last snapshot taken, with the frame and snapshot version it was taken at: frames are
#: immutable, so an unchanged (frame, version) has the same effective parameters.
_last: tuple[Callable[[], Any], int, Snapshot | None] = (_st.NO_FRAME, -1, None)


def capture() -> Snapshot:
    """The effective parameters of the current context, as a :class:`Snapshot`: the values
    of every frame and of the frozen snapshot, and the schemas bound by typed scopes."""
    global _last
    frame = _current(_TOP)
    version = _VERSION[0]
    last = _last
    if last[0]() is frame and last[1] == version and last[2] is not None:
        return last[2]
    items = _st.effective_dict()
    origins = _st.origins()
    frozen = _provenance.frozen_pairs()
    sources = _provenance.sources(items, origins, frozen) if origins or frozen else {}
    bound = _st.bound_schemas()
    schemas: tuple[type, ...] = ()
    if bound is not None:
        # A schema bound twice counts once, where it was bound last (innermost).
        order = [b.adapter.schema for b in bound]
        schemas = tuple(reversed(dict.fromkeys(reversed(order))))
    snap = Snapshot._make(items, schemas, sources)
    _last = (_st.frame_ref(frame), version, snap)
    return snap
