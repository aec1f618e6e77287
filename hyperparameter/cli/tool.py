"""The ``hp`` command (also ``python -m hyperparameter``): ``lint``, ``show``, ``explain`` and
``schema`` (DESIGN §7).

Exit status: 0 success, 1 the config has problems (findings), 2 a usage error — a bad flag,
an unknown key, a schema that cannot be imported, a closed stdout — and 141 when stdout's
reader went away (``| head``). Errors of the tool are one line on stderr; ``--debug`` raises
them with their traceback instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..coerce import Raw
from ..errors import ConfigFileError, ConfigValidationError, Loc
from ..loader import formats as _formats
from ..loader import secrets as _secrets
from ..loader.dumper import _dump_key, _dumpable, dump
from ..schema import to_tree
from . import lint as _cli_lint
from .resolve import (
    OVERRIDE,
    CliError,
    OutputError,
    Parser,
    Resolution,
    dotted,
    explain_key,
    findings,
    flush_stdout,
    import_schema,
    out,
    output_failed,
    printable,
    resolve,
    walk,
)

__all__ = ["main"]

_DESCRIPTION = """\
Check, show and explain hyperparameter config files (YAML, TOML, JSON).

exit status: 0 ok, 1 the config has problems, 2 usage error"""


def _parser() -> tuple[Parser, dict[str, argparse.ArgumentParser]]:
    from .. import __version__

    fmt = argparse.RawDescriptionHelpFormatter
    parser = Parser(prog="hp", description=_DESCRIPTION, formatter_class=fmt)
    parser.add_argument("--version", action="version", version=f"hp {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        sub = subs.add_parser(
            name, help=summary, description=description, formatter_class=fmt, allow_abbrev=False
        )
        sub.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
        return sub

    def layered(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "files",
            nargs="*",
            metavar="FILE",
            help="config files, merged left to right; KEY=VALUE words are overrides",
        )
        sub.add_argument(
            "-D",
            "--define",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a key (repeatable); wins over the files",
        )
        sub.add_argument(
            "--schema",
            metavar="MODULE:CLASS",
            help="validate with this dataclass or pydantic model (default: from pyproject.toml)",
        )

    lint = command(
        "lint",
        "validate config files, for CI and pre-commit",
        "Load and validate each file alone (or, with --merge, the files as layers of one "
        "config) and report every finding.\nWithout FILES, the files and schemas come from "
        "[tool.hyperparameter.lint] in pyproject.toml.\n\nexit status: 0 clean, 1 findings, "
        "2 usage error",
    )
    lint.add_argument("files", nargs="*", metavar="FILE", help="files or folders to check")
    lint.add_argument(
        "--schema", metavar="MODULE:CLASS", help="validate with this dataclass or pydantic model"
    )
    lint.add_argument("--merge", action="store_true", help="check the files as layers, in order")
    lint.add_argument(
        "--interpolate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="resolve ${...} references (default: yes, or as pyproject.toml says); "
        "--no-interpolate reads them as text, for files where ${...} belongs to another tool",
    )
    lint.add_argument(
        "--format",
        choices=["text", "json", "github", "sarif"],
        default="text",
        help="report format (default: text)",
    )
    show = command(
        "show",
        "print the merged, interpolated config",
        "Print the resolved config: files merged left to right, overrides applied, "
        "references interpolated, and validated with a schema.",
    )
    layered(show)
    show.add_argument(
        "--format", choices=["yaml", "toml", "json"], default="yaml", help="(default: yaml)"
    )
    show.add_argument(
        "--provenance", action="store_true", help="annotate each value with where it came from"
    )
    explain_cmd = command(
        "explain",
        "show where a key's value comes from",
        "Print the final value of KEY, every layer that set it (lowest precedence first) with "
        "its location, and the interpolation chain that produced it.",
    )
    explain_cmd.add_argument("key", metavar="KEY", help="a dotted key, e.g. model.lr")
    layered(explain_cmd)
    schema = command(
        "schema",
        "export a JSON Schema for editors",
        "Print the JSON Schema (draft 2020-12) of a dataclass or pydantic model; every typed "
        "field also accepts a ${...} interpolation string.",
    )
    schema.add_argument("schema", metavar="MODULE:CLASS", help="e.g. myproj.config:Train")
    schema.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    return parser, dict(subs.choices)


def _layered(ns: argparse.Namespace) -> tuple[list[str], list[str], type | None]:
    """Files, overrides (``-D``, then bare ``KEY=VALUE`` words) and schema of a command."""
    files: list[str] = []
    defines = list(ns.define)
    for word in ns.files:
        if OVERRIDE.match(word) and not os.path.exists(word):
            defines.append(word)
        else:
            files.append(word)
    schema = _cli_lint.shared_schema(ns.schema, files)
    if not files and schema is None:
        raise CliError("no files given (and no schema whose defaults to show)")
    return files, defines, schema


# ----------------------------------------------------------------------------------- show


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
    tree = _dumpable(config, fmt, ())
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
        pos = positions.get(tuple(_dump_key(p, "toml", ()) for p in loc))
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
        tree = tree[part if isinstance(tree, list) else _dump_key(part, fmt, ())]
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


def _show(ns: argparse.Namespace) -> int:
    files, defines, schema = _layered(ns)
    res = resolve(files, schema=schema, defines=defines)
    out(render_show(res, ns.format, ns.provenance), end="")
    return 0


# -------------------------------------------------------------------------------- explain


def _explain(ns: argparse.Namespace) -> int:
    files, defines, schema = _layered(ns)
    res = resolve(files, schema=schema, defines=defines, tolerant=True)
    out(printable(explain_key(res, ns.key)))
    for line in findings(res.errors):
        print(line, file=sys.stderr)
    return 1 if res.errors else 0


# --------------------------------------------------------------------------- lint, schema


def _lint(ns: argparse.Namespace) -> int:
    return _cli_lint.main(
        ns.files, schema=ns.schema, merge=ns.merge, fmt=ns.format, interpolate=ns.interpolate
    )


def _schema(ns: argparse.Namespace) -> int:
    from ..schema.jsonschema import json_schema

    text = json.dumps(json_schema(import_schema(ns.schema)), indent=2, ensure_ascii=False) + "\n"
    if ns.output:
        with open(ns.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        out(text, end="")
    return 0


_COMMANDS = {"lint": _lint, "show": _show, "explain": _explain, "schema": _schema}


def main(argv: Sequence[str] | None = None) -> int:
    """Runs ``hp``; returns the exit status (``BROKEN_PIPE`` when stdout's reader went away,
    2 with one line on stderr when stdout is closed)."""
    try:
        try:
            code = _main(list(sys.argv[1:] if argv is None else argv))
        except SystemExit as e:  # argparse: --help, --version, usage errors
            code = e.code if isinstance(e.code, int) else 0 if e.code is None else 2
        flush_stdout()
    except OutputError as e:
        return output_failed("hp", e)
    return code


def _main(argv: list[str]) -> int:
    parser, commands = _parser()
    i = next((n for n, word in enumerate(argv) if not word.startswith("-")), len(argv))
    if i == len(argv) or argv[i] not in commands or any(w != "--debug" for w in argv[:i]):
        parser.parse_args(argv)  # --help, --version, or argparse's own error: exits
    name = argv[i]
    # Intermixed: files may follow options (`hp show a.yaml -D k=v b.yaml`).
    ns = commands[name].parse_intermixed_args(argv[i + 1 :])
    debug = "--debug" in argv[:i] or getattr(ns, "debug", False)
    try:
        return _COMMANDS[name](ns)
    except OutputError:
        raise
    except (ConfigFileError, ConfigValidationError) as e:
        if debug:
            raise
        print(str(e), file=sys.stderr)
        return 1
    except Exception as e:
        if debug:
            raise
        text = " ".join(str(e).split())
        if not isinstance(e, (CliError, ValueError, TypeError, OSError, ImportError)):
            text = f"{type(e).__name__}: {text} (--debug shows the traceback)"
        print(f"hp {name}: error: {text}", file=sys.stderr)
        return 2
