"""The pure-Python twin's frames: the context variable's chain, reads, writes, the snapshot.

Frames are immutable: entering a scope builds one frame with the keys it sets, and a write
replaces the innermost frame by a copy (copy-on-write), so whoever inherited the old frame never
sees it. The scope objects that push and pop frames are in ``scope``.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, NoReturn

from ..keys import xxh64 as _xxh64

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
        raise RuntimeError("hyperparameter.storage._fallback is already bound")
    _var, _TOP, _bound = var, top, True
    _scope_error = scope_error
    _hashes = hashes


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


def effective_dict() -> dict[str, Any]:
    """Every effective ``key: value`` of this context, the snapshot included (as
    :func:`effective`, built by C-level dict updates: the outermost first, each frame over it)."""
    chain = []
    f = _var.get(_TOP)
    cut = False
    while f is not _TOP:
        chain.append(f.entries)
        if f.opaque:
            cut = True
            break
        f = f.parent
    out: dict[str, Any] = {}
    if not cut and _snapshot is not None:
        out.update(_snapshot.values())
    for entries in reversed(chain):
        out.update(entries.values())
    return out


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


def origins() -> list[Any]:
    """The origins of the scopes whose frames the current context sees (what their entries
    came from when that is one object: a config instance, a snapshot), innermost first,
    through the first opaque frame; frames of other owners are skipped."""
    out = []
    f = _var.get(_TOP)
    while f is not _TOP:
        origin = getattr(f.owner, "_hp_s_origin", None)
        if origin is not None:
            out.append(origin)
        if f.opaque:
            break
        f = f.parent
    return out


def depth() -> int:
    """The current frame's depth (0 outside every scope)."""
    cur = _current()
    return 0 if cur is None else cur.depth


def xxh64(key: str) -> int:
    """XXH64 (seed 42) of ``key``'s UTF-8 bytes."""
    return _xxh64(key)
