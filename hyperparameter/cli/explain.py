"""``hp explain KEY FILES…`` and ``--explain-param``: a key's value, every layer that set it
with its location, and the interpolation chain that produced it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..coerce import target_repr, untyped
from ..errors import ConfigValidationError, ErrorDetails, HyperparameterError, Loc
from .common import MISSING, CliError, did_you_mean, dotted, out, parse_key, printable, show
from .project import layered
from .resolve import Resolution, resolve, walk

if TYPE_CHECKING:
    pass


__all__ = ["explain", "explain_key", "findings", "run"]


def explain(
    res: Resolution,
    loc: Loc,
    *,
    value: Any = MISSING,
    annotation: Any = None,
    default: Any = MISSING,
    extra: Sequence[tuple[str, Any]] = (),
) -> str:
    """What ``hp explain`` and ``--explain-param`` print for one key: the final value, its
    type, default and source, every layer that set it (lowest first), and the interpolation
    chain. ``value``/``annotation``/``default`` override what ``res`` knows (a launched
    function's parameter); ``extra`` are setters that are not layers (the function default)."""
    if value is MISSING:
        value = res.value(loc)
    hint = annotation  # a launched function's type: secret or not, it decides
    annotation = annotation if annotation is not None else res.annotation(loc)
    if default is MISSING:
        default = res.default(loc)
    kind = target_repr(annotation) if annotation is not None else type(untyped(value)).__name__
    if value is not MISSING:
        value = res.secrets.redact(value, loc, hint)
    if default is not MISSING:
        default = res.secrets.redact(default, loc, hint, env=False)
    lines = [f"{dotted(loc)} = {show(value)}"]
    lines.append(f"  type:    {kind if value is not MISSING or annotation else '-'}")
    lines.append(f"  default: {show(default) if default is not MISSING else '-'}")
    setters = [*extra, *res.setters(loc, notes=True)]
    lines.append(f"  source:  {setters[-1][0] if setters else '-'}")
    if setters:
        lines.append("  set by (lowest precedence first):")
        width = max(len(w) for w, _ in setters)
        for i, (where, v) in enumerate(setters):
            mark = "  <- final" if i == len(setters) - 1 else ""
            shown_v = show(res.secrets.template(v, loc, hint))
            lines.append(f"    {where:<{width}}  {shown_v}{mark}")
    chain = res.chain(loc)
    if chain:
        lines.append("  interpolation:")
        lines += [f"    {line}" for line in chain]
    mine = [e for e in res.errors if tuple(map(str, e["loc"]))[: len(loc)] == tuple(map(str, loc))]
    lines += [f"  error: {line}" for line in findings(mine)]
    return "\n".join(lines)


def explain_key(res: Resolution, key: str, known: Sequence[str] = ()) -> str:
    """:func:`explain` for every leaf at or under ``key``; :class:`CliError` (with "did you
    mean") when the config has no such key. ``known`` are more keys to suggest."""
    try:
        loc = parse_key(key)
    except HyperparameterError as e:
        raise CliError(str(e)) from None
    want = tuple(map(str, loc))
    leaves = [leaf for leaf in res.leaves() if tuple(map(str, leaf[: len(loc)])) == want]
    if not leaves and walk(res.tree, loc) is not MISSING:
        leaves = [loc]  # inside a list
    if not leaves:
        keys = [*known, *(dotted(leaf) for leaf in res.leaves())]
        raise CliError(f"{key}: no such key{did_you_mean(key, keys)}")
    return "\n".join(explain(res, leaf) for leaf in leaves)


def findings(errors: Sequence[ErrorDetails]) -> list[str]:
    """Validation findings as compiler-style lines: ``path:line:col: key: message``."""
    return [line.strip() for line in str(ConfigValidationError("", errors)).splitlines()[1:]]


def run(ns: argparse.Namespace) -> int:
    files, defines, schema = layered(ns)
    res = resolve(files, schema=schema, defines=defines, tolerant=True)
    out(printable(explain_key(res, ns.key)))
    for line in findings(res.errors):
        print(line, file=sys.stderr)
    return 1 if res.errors else 0
