"""``hp show FILES…``: the resolved config as YAML, TOML or JSON, with ``--provenance`` each
value annotated with where it came from."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from ..coerce import Raw
from ..errors import Loc
from ..loader import formats as _formats
from ..loader import secrets as _secrets
from ..loader.dumper import dump, dump_key, dumpable
from ..schema import to_tree
from .common import dotted, out, printable
from .project import layered
from .resolve import Resolution, resolve, walk

if TYPE_CHECKING:
    pass


# ----------------------------------------------------------------------------------- show


__all__ = ["render_show", "run"]


def _note(res: Resolution, loc: Loc) -> str:
    """Where a leaf came from, and the template it was interpolated from."""
    note = res.source(loc)
    raw = walk(res.merged, loc)
    raw = raw.text if isinstance(raw, Raw) else raw
    if isinstance(raw, str) and "${" in raw:
        note += f" ({res.secrets.template(raw, loc)})"
    return printable(note + _origin(res, loc, note))  # a file name that is not UTF-8


def _origin(res: Resolution, loc: Loc, note: str = "") -> str:
    """`` from ${env:NAME}`` for a secret whose variables ``note`` does not name yet."""
    names = res.secrets.names_at(loc)
    if not names or all(f"env:{n}" in note for n in names):
        return ""
    return f" from {_secrets.origin(names)}"


def render_show(res: Resolution, fmt: _formats.Format, provenance: bool) -> str:
    """The resolved config as YAML, TOML or JSON text; with ``provenance`` each leaf says
    where it came from (a comment in YAML and TOML; ``{"value", "source"}`` in JSON)."""
    config = res.instance if res.instance is not None else res.tree
    # Secrets are known here by where they are: redacted before writing (so `dump` is told
    # not to guess), their variables named in comments.
    config = res.secrets.redact(to_tree(config), ())
    if not provenance:
        text = dump(config, format=fmt, reveal_secrets=True)
        return text if fmt == "json" else _name_secrets(res, text, fmt)
    tree = dumpable(config, fmt, ())
    leaves = [loc for loc in res.leaves() if loc]
    if fmt == "json":
        flat = {
            dotted(loc): {"value": _at(tree, loc, fmt), "source": _note(res, loc)} for loc in leaves
        }
        return json.dumps(flat, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return _yaml_with_notes(tree, {_text_loc(loc): _note(res, loc) for loc in leaves})
    text = dump(config, format="toml", reveal_secrets=True)
    lines = text.split("\n")
    positions = _formats.positions(text, "toml", "<show>")
    for loc in leaves:
        pos = positions.get(tuple(dump_key(p, "toml", ()) for p in loc))
        if pos is not None:
            lines[pos.key_line - 1] += f"  # {_note(res, loc)}"
    return "\n".join(lines)


def _name_secrets(res: Resolution, text: str, fmt: _formats.Format) -> str:
    """``text`` (YAML or TOML) with a comment naming the variables of each secret."""
    if not res.secrets.locs:
        return text
    lines = text.split("\n")
    positions = _formats.positions(text, fmt, "<show>")
    notes: dict[int, list[str]] = {}  # line -> the variables named there (a TOML array: many)
    for loc in res.secrets.locs:
        pos = positions.get(loc, positions.get(tuple(str(p) for p in loc)))
        names = res.secrets.names_at(loc)
        if pos is not None and names:
            notes.setdefault(pos.key_line - 1, []).extend(names)
    for line, named in notes.items():
        lines[line] += f"  # from {_secrets.origin(dict.fromkeys(named))}"
    return "\n".join(lines)


def _at(tree: Any, loc: Loc, fmt: _formats.Format) -> Any:
    for part in loc:  # keys as the writer of fmt takes them
        tree = tree[part if isinstance(tree, list) else dump_key(part, fmt, ())]
    return tree


def _text_loc(loc: Loc) -> tuple[str, ...]:
    """``loc`` with every key as text: the written tree and the loaded one may differ in
    whether a key is ``0`` or ``"0"`` (keys never collide that way: dump refuses it)."""
    return tuple(map(str, loc))


def _yaml_with_notes(tree: dict[str, Any], notes: dict[tuple[str, ...], str]) -> str:
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.representer import RoundTripRepresenter

    def build(node: Any, loc: Loc) -> Any:
        if not isinstance(node, dict) or not node:
            return node
        out = CommentedMap()
        for key, value in node.items():
            out[key] = build(value, (*loc, key))
            note = notes.get(_text_loc((*loc, key)))
            if note is not None:
                out.yaml_add_eol_comment(f"# {note}", key, column=0)
        return out

    yaml = YAML(typ="rt", pure=True)
    yaml.Representer = _formats.yaml_representer(RoundTripRepresenter)
    yaml.width = 1 << 30  # a folded value would swallow the comment
    buf = io.StringIO()
    yaml.dump(build(tree, ()), buf)
    return buf.getvalue()


def run(ns: argparse.Namespace) -> int:
    files, defines, schema = layered(ns)
    res = resolve(files, schema=schema, defines=defines)
    out(render_show(res, ns.format, ns.provenance), end="")
    return 0
