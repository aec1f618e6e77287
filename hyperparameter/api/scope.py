"""``param_scope``: scope objects, the handle ``with ... as ps`` binds, and the entry object
``param_scope`` itself (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar, overload

from .. import storage as _st
from ..coerce import untyped
from ..errors import MissingParameterError
from ..storage.handles import LiveHandle, attribute_names
from ..storage.keys import check_key
from . import items as _items
from . import provenance as _provenance
from .accessor import MISSING as _MISSING
from .accessor import Accessor, _Accessor
from .accessor import HandleAccessors as _HandleAccessors
from .accessor import accessor as _accessor
from .accessor import write as _write

__all__ = ["ParamScope", "TypedScope", "param_scope"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

# The store builds scopes and checks typed entries with these (they need the layers above it).
_st.bind_scopes(_items.scope_items, _items.validate_items)


if TYPE_CHECKING:
    from ..storage import Scope as _ScopeBase
else:
    _ScopeBase = _st.Scope


class TypedScope(Protocol[T_co]):
    """What ``param_scope(cfg)`` is to a type checker: entering it gives a view typed as the
    config's class (``with param_scope(cfg) as ps: reveal_type(ps)`` is ``Train``)."""

    def __enter__(self) -> T_co: ...
    def __exit__(self, *exc: object) -> None: ...


class _Captured(Protocol):
    """What ``param_scope(snapshot)`` takes: an ``hp.Snapshot`` (``api.procs``), whose schema
    is known only when it is entered."""

    def _hp_scope_parts(self) -> tuple[dict[str, Any], tuple[type, ...]]: ...


# What type checkers and editors see of the scope API is declared first, under TYPE_CHECKING:
# the public operations and their docs, none of the internals (a completion list offers
# nothing else). The implementations below subclass these declarations for the checker only,
# so mypy checks each against what it declares.
if TYPE_CHECKING:

    class ParamScope:
        """What ``param_scope(...)`` returns: a context manager that pushes one frame on the
        current context, and the dynamic handle bound by ``with ... as ps``.

        >>> with param_scope(**{"model.lr": 0.1}, model={"layers": 8}) as ps:
        ...     ps.model.lr | 0.0, param_scope.model.layers()
        (0.1, 8)

        Positional arguments are ``"key=value"`` strings (raw values, typed by whoever reads
        them), mappings, or dataclass / pydantic instances; keyword arguments are dotted keys.
        Nested mappings flatten into dotted keys; a list is stored whole and by index.
        Reads resolve innermost frame → outer frames → the frozen snapshot → the default.
        Writes (``ps.a.b = 1``, ``param_scope.a.b = 1``) go to the innermost frame and end
        with it. Attributes and items are accessors (``ps.model.lr | 0.1``).
        """

        def __init__(self, *assignments: str | Mapping[str, Any], **values: Any) -> None: ...
        def __enter__(self) -> Self: ...
        def __exit__(self, *exc: object) -> None: ...
        def __getattr__(self, name: str) -> Accessor: ...
        def __getitem__(self, key: str) -> Accessor: ...
        def __setattr__(self, name: str, value: Any) -> None: ...
        def __setitem__(self, key: str, value: Any) -> None: ...
        def keys(self) -> list[str]:
            """Every effective flat dotted key, sorted."""
            ...

        def to_dict(self) -> dict[str, Any]:
            """Every effective flat dotted key and its value (raw overrides parsed), sorted."""
            ...

        def storage(self) -> _st.TLSKVStorage:
            """The storage behind this handle (0.6): ``.storage()`` is the flat dict of what
            the handle reads, ``.get(key)`` one value, ``.put(key, value)`` a write."""
            ...

        def clear(self) -> None:
            """Hides every effective key until the innermost frame exits."""
            ...

    class ParamScopeEntry:
        """The type of ``param_scope``: build a scope with ``param_scope(...)`` (see
        :class:`ParamScope`), or read and write the current context's parameters directly:
        ``param_scope.model.lr | 0.1``, ``param_scope["model.lr"]``,
        ``param_scope.model.lr = 0.2``.

        ``param_scope.frozen()`` replaces the global snapshot with the current parameters;
        ``param_scope.empty(...)`` is a scope that hides every inherited key.
        """

        # A config instance is typed by the third form. The first two take no config: a
        # positional argument that is neither a string nor a mapping moves on to it (the
        # order is for jedi, which takes the first form whose arguments match and cannot
        # match a TypeVar against anything).
        @overload
        def __call__(self, **values: Any) -> ParamScope: ...
        @overload
        def __call__(
            self,
            assignment: str | Mapping[str, Any],
            /,
            *assignments: str | Mapping[str, Any],
            **values: Any,
        ) -> ParamScope: ...
        @overload
        def __call__(self, snapshot: _Captured, /) -> AbstractContextManager[Any]: ...  # type: ignore[overload-overlap]
        @overload
        def __call__(self, cfg: T, /, *assignments: str, **values: Any) -> TypedScope[T]: ...
        # mypy cannot see that *assignments also takes the positional-only first argument
        def __call__(self, *assignments: Any, **values: Any) -> Any: ...  # type: ignore[misc]
        def __getattr__(self, name: str) -> Accessor: ...
        def __getitem__(self, key: str) -> Accessor: ...
        def __setattr__(self, name: str, value: Any) -> None: ...
        def __setitem__(self, key: str, value: Any) -> None: ...
        @staticmethod
        def frozen() -> None:
            """Replaces the global snapshot with the current effective parameters.

            Threads started later (and executor tasks, whatever their thread) see it as their
            base.
            """
            ...

        @staticmethod
        def empty(*assignments: Any, **values: Any) -> ParamScope:
            """A scope that hides every inherited key, the frozen snapshot included."""
            ...

    _ScopeFace = ParamScope
    _EntryFace = ParamScopeEntry
else:
    _ScopeFace = _EntryFace = object


class _ParamScope(LiveHandle, _ScopeBase, _ScopeFace):
    """What ``param_scope(...)`` returns: a context manager that pushes one frame on the current
    context, and the dynamic handle bound by ``with ... as ps`` (the implementation of the
    ``ParamScope`` declared above, whose docstring the reference shows).

    Positional arguments are ``"key=value"`` strings (raw values, typed by whoever reads
    them), mappings, or dataclass / pydantic instances; keyword arguments are dotted keys.
    Nested mappings flatten into dotted keys; a list is stored whole and by index.
    Reads resolve innermost frame → outer frames → the frozen snapshot → the default. Writes
    (``ps.a.b = 1``, ``param_scope.a.b = 1``) go to the innermost frame and end with it.
    """

    __slots__ = ("_hp_acc",)
    __qualname__ = "ParamScope"  # the class users name (`hp.ParamScope`)

    if TYPE_CHECKING:
        # Entering is the native base's; `param_scope(cfg)` enters to a typed view instead
        # (see `ParamScopeEntry.__call__`'s overloads).
        def __enter__(self) -> Self: ...
        def __exit__(self, *exc: object) -> None: ...
        def __getitem__(self, key: str) -> _Accessor: ...

    elif _st.backend() == "python":
        # `ps[key]` is the handle's accessor table's own `__getitem__` (a C call on a hit):
        # a property of C parts, so no Python frame runs on the way. (The native base has a
        # C `__getitem__` that keeps the table itself.)
        __getitem__ = property(attrgetter("_hp_acc"))

    @staticmethod
    def _hp_accessor_table(scope: _ParamScope) -> dict[str, _Accessor]:
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

    def _hp_names(self) -> Iterable[str]:
        return attribute_names(self._hp_effective(), "")

    def __repr__(self) -> str:
        return f"param_scope({', '.join(self._hp_keys())})"

    def _hp_describe(self) -> str:
        return "a param_scope(...) object"


class _HandleStorage(_st.TLSKVStorage):
    """``ps.storage()``: the low-level storage API over what the handle ``ps`` reads."""

    __slots__ = ("_hp_scope",)

    def __init__(self, scope: _ParamScope) -> None:
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


class _ParamScopeEntry(LiveHandle, _EntryFace):
    """``param_scope``: build a scope with ``param_scope(...)`` (see :class:`ParamScope`), or
    read and write the current context's parameters directly: ``param_scope.model.lr | 0.1``,
    ``param_scope["model.lr"]``, ``param_scope.model.lr = 0.2``.

    ``param_scope.frozen()`` replaces the global snapshot with the current parameters;
    ``param_scope.empty(...)`` is a scope that hides every inherited key.
    """

    __slots__ = ("__dict__",)

    if not TYPE_CHECKING:
        # Calling the entry builds a scope: `param_scope(**kw)` is `ParamScope(**kw)`.
        __call__ = staticmethod(_st.scope_factory(_ParamScope))
        # `param_scope[key]` is the accessor cache's own `__getitem__` (a C call on a hit).
        __getitem__ = staticmethod(_accessor)

    def __getattr__(self, name: str) -> _Accessor:
        if name[:2] == "__":
            raise AttributeError(name)
        acc = _accessor(name)
        # Cached in the instance dict: the next `param_scope.<name>` is a plain attribute hit.
        self.__dict__[name] = acc
        return acc

    def __setattr__(self, name: str, value: Any) -> None:
        _write(name, value)

    def __setitem__(self, key: str, value: Any) -> None:
        _write(key, value)

    @staticmethod
    def frozen() -> None:
        """Replaces the global snapshot with the current effective parameters.

        Threads started later (and executor tasks, whatever their thread) see it as their base.
        """
        _provenance.freeze()

    @staticmethod
    def empty(*assignments: Any, **values: Any) -> _ParamScope:
        """A scope that hides every inherited key, the frozen snapshot included."""
        scope = _ParamScope(*assignments, **values)
        scope._hp_make_opaque()
        return scope

    def _hp_names(self) -> Iterable[str]:
        return attribute_names((k for k, _ in _st.effective()), "")

    def __repr__(self) -> str:
        return "<hyperparameter.param_scope>"

    def _hp_describe(self) -> str:
        return "hyperparameter.param_scope"


if not TYPE_CHECKING:
    _ParamScope.__name__ = "ParamScope"
    ParamScope = _ParamScope

param_scope: ParamScopeEntry = _ParamScopeEntry()
"""Builds scopes and reads the current context. ``param_scope(**{"model.lr": 0.1})``, and the
other forms :class:`ParamScope` lists, is a scope to enter with ``with``; ``param_scope(cfg)``
with a dataclass or pydantic instance enters to a view typed as its class.
``param_scope.model.lr | 0.1`` and ``param_scope["model.lr"]`` read the current context,
``param_scope.model.lr = 0.2`` writes its innermost frame. ``param_scope.frozen()`` makes the
current values the snapshot every thread starts from; ``param_scope.empty(...)`` is a scope that
hides every inherited key."""
