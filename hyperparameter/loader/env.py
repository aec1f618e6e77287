"""The environment layer (``env_prefix="APP"``): variables named ``APP_…`` as entries of the
merge (DESIGN §2, step 2)."""

from __future__ import annotations

from collections.abc import Container, Mapping

from ..errors import InvalidKeyError, Loc
from ..storage.keys import check_key
from .merge import Entry, _loc

__all__ = ["env_layer"]


def env_layer(
    prefix: str, environ: Mapping[str, str], known: Container[Loc] | None = None
) -> list[Entry]:
    """The entries of the environment variables named ``{prefix}_…``.

    ``APP_MODEL__BATCH_SIZE=64`` with prefix ``"APP"`` sets ``("model", "batch_size")`` to the
    raw string ``"64"``: ``__`` separates levels, names are lower-cased, the prefix matches in
    any case, an all-digit segment is a list index. With ``known`` (the locs of the schema's
    fields) a variable that names no field is ignored; a name outside the key grammar is
    always ignored. Ordered shallow first, then by name, so ``APP_MODEL__LR`` wins over a
    mapping given whole in ``APP_MODEL``.
    """
    head = prefix.rstrip("_").upper()
    if not head:
        raise ValueError("the environment prefix must not be empty")
    head += "_"
    entries: list[Entry] = []
    for var, raw in environ.items():
        if not var.upper().startswith(head):
            continue
        parts = var[len(head) :].lower().split("__")
        if any("." in part for part in parts):
            continue
        try:
            loc = _loc(check_key(".".join(parts)))
        except InvalidKeyError:
            continue
        if known is None or loc in known:
            entries.append((loc, raw, var))
    entries.sort(key=lambda e: (len(e[0]), e[2]))
    return entries
