"""Where the values of a scope came from, for a capture (DESIGN §11: a snapshot keeps the
``hp explain``-style source of each key).

``hp.load`` files, with the config instance it returns, how to name the source of each of its
keys (``base.yaml:3:7``, ``-D model.lr=0.1``, ``env:APP_MODEL__LR``, ``default``); the texts
are made on first use, from the load's merged layers, which the instance keeps alive while it
lives. ``param_scope(cfg)`` records ``cfg`` as its frame's *origin* (the store's
``origins()``), so a capture finds, for each key, the innermost scope that supplied it: its
source holds while the value in effect is still the very object the config supplied (a write
of another value in between leaves the key without a file source). A snapshot is the origin
of the scope it enters, so the sources survive any number of trips.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from .. import storage as _st
from ..storage import keys as _keys

__all__ = ["attach", "freeze", "frozen_pairs", "pairs", "sources"]

#: ``{key: (source, value)}``: a key's source, and the value it names.
Pairs = dict[str, tuple[str, Any]]
Namer = Callable[[list[str]], Mapping[str, str]]


class _Entry:
    __slots__ = ("namer", "pairs", "ref")

    def __init__(self, ref: Callable[[], Any], namer: Namer) -> None:
        self.ref = ref
        self.namer: Namer | None = namer
        self.pairs: Pairs | None = None


#: Loaded instances by ``id``: weakly where the class allows it (pydantic models, dataclasses
#: without ``__slots__``), else the last ``_STRONG_LIMIT`` ones, kept.
_BY_ID: dict[int, _Entry] = {}
_STRONG: OrderedDict[int, Any] = OrderedDict()
_STRONG_LIMIT = 64
_LOCK = threading.Lock()


def attach(instance: Any, namer: Namer) -> None:
    """Files ``instance`` (a loaded config) with ``namer``, which names the source of each of
    the flat keys it is given."""
    ident = id(instance)

    def gone(_: Any, ident: int = ident) -> None:
        with _LOCK:
            entry = _BY_ID.get(ident)
            if entry is not None and entry.ref() is None:
                del _BY_ID[ident]

    try:
        ref: Callable[[], Any] = weakref.ref(instance, gone)
    except TypeError:  # no __weakref__ slot: kept, the last few
        ref = _strong(instance)
        with _LOCK:
            _STRONG[ident] = instance
            _STRONG.move_to_end(ident)
            while len(_STRONG) > _STRONG_LIMIT:
                old, _ = _STRONG.popitem(last=False)
                _BY_ID.pop(old, None)
    with _LOCK:
        _BY_ID[ident] = _Entry(ref, namer)


def _strong(instance: Any) -> Callable[[], Any]:
    return lambda: instance


def pairs(origin: Any) -> Pairs | None:
    """``{key: (source, value)}`` for the keys of ``origin`` (a loaded config instance, or an
    object that keeps its own: a snapshot), or ``None`` when nothing is known of it."""
    own = getattr(type(origin), "_hp_source_pairs", None)
    if own is not None:
        result: Pairs | None = own(origin)
        return result
    entry = _BY_ID.get(id(origin))
    if entry is None or entry.ref() is not origin:
        return None
    found = entry.pairs
    if found is None:
        flat: dict[str, Any] = {}
        _keys.flatten("", origin, flat)
        namer = entry.namer
        names = namer(list(flat)) if namer is not None else {}
        found = {k: (names[k], v) for k, v in flat.items() if k in names}
        entry.pairs, entry.namer = found, None  # the layers are no longer needed
    return found


def sources(
    items: Mapping[str, Any], origins: list[Any], base: Pairs | None = None
) -> dict[str, str]:
    """The source of each key of ``items`` (the effective values) that a known origin
    supplied: ``origins`` innermost first (the store's ``origins()``), over ``base`` (the
    frozen snapshot's). A key keeps a source while its value is the object that source set."""
    out: dict[str, str] = {}
    layers = [base] if base else []
    layers += [p for p in (pairs(o) for o in reversed(origins)) if p]
    for layer in layers:
        for key, (src, value) in layer.items():
            if items.get(key, _MISSING) is value:
                out[key] = src
    return out


_MISSING: Any = object()

#: The provenance of the frozen snapshot: ``(snapshot version, pairs)``, set by :func:`freeze`.
_FROZEN: tuple[int, Pairs | None] = (-1, None)


def frozen_pairs() -> Pairs | None:
    """The provenance of the frozen snapshot's values, if it is still the one :func:`freeze`
    made (any other change of the snapshot bumps its version)."""
    frozen = _FROZEN
    return frozen[1] if frozen[0] == _st.SNAPSHOT_VERSION[0] else None


def freeze() -> None:
    """``storage.freeze()`` (``param_scope.frozen()``, ``Snapshot.install``), keeping the
    frozen values' provenance for later captures."""
    global _FROZEN
    origins = _st.origins()
    base = frozen_pairs()
    found: Pairs | None = None
    if origins or base:
        items = _st.effective_dict()
        found = {k: (s, items[k]) for k, s in sources(items, origins, base).items()} or None
    _st.freeze()
    _FROZEN = (_st.SNAPSHOT_VERSION[0], found)
