"""The argument side of ``launch``: commands (``command``) as an argparse parser, and ``argv``
split into files, overrides and parameter values.

Each parameter with a default is an option typed by its annotation (``--lr FLOAT``; bools are
``--amp/--no-amp`` or ``--amp WORD``, sequences take several words); one without is
positional, optional for argparse because a config file may set it. ``-D`` options and bare
``key=value`` words are taken out of ``argv`` first, in order, so argparse never sees them;
``-C a.yaml b.yaml`` becomes one ``-C`` per file.
"""

from __future__ import annotations

import argparse
import enum
import re
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..coerce import FALSE_WORDS, TRUE_WORDS, Raw
from ..errors import Loc
from ..schema import is_schema
from ..schema.fields import unwrap
from ..storage.keys import parse_assignment
from .command import SEQUENCES as _SEQUENCES
from .command import Command
from .common import MISSING, OVERRIDE, CliError, Parser

__all__ = ["Request", "assignments", "build", "parse"]

_NUMBER = re.compile(r"-\.?\d")


def _metavar(target: Any) -> str:
    base = unwrap(target)
    origin = typing.get_origin(base)
    if origin is Literal:
        return "{" + ",".join(str(a) for a in typing.get_args(base)) + "}"
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return "{" + ",".join(str(m.value) for m in base) + "}"
    if origin in _SEQUENCES:
        args = typing.get_args(base)
        return _metavar(args[0]) if args and args[0] is not Ellipsis else "VALUE"
    if isinstance(base, type) and not is_schema(base) and base not in _SEQUENCES:
        return base.__name__.upper()
    return "VALUE"


# ----------------------------------------------------------------------------- parsing

# ``--amp WORD`` and ``--amp=WORD`` (0.6's spelling of a bool option, next to ``--amp`` and
# ``--no-amp``) reach argparse as ``--amp\0=WORD``: a hidden option no shell can type (argv
# holds no NUL), so argparse never takes a word for the flag that ``_split`` did not give it.
_VALUE = "\0"
# The words ``--amp WORD`` takes: the coercion table's booleans (docs/decisions.md).
_BOOL_WORDS = TRUE_WORDS | FALSE_WORDS
# What ``-C`` takes after its first file: further words with a config suffix.
_CONFIG_SUFFIXES = (".yaml", ".yml", ".toml", ".json")


class _FlagValue(argparse.Action):
    """``--amp WORD``: the word, kept raw for the coercion table (``--amp maybe`` is an error
    that names ``--amp maybe``)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        option = (option_string or self.option_strings[0]).removesuffix(_VALUE)
        setattr(namespace, self.dest, Raw(str(values), f"{option} {values}"))


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def _format_args(self, action: argparse.Action, default_metavar: str) -> str:
        # Required parameters are optional for argparse (a config file may set them) but
        # shown as required.
        if getattr(action, "hp_required", False):
            many = action.nargs == argparse.ZERO_OR_MORE
            return f"{action.metavar} [{action.metavar} ...]" if many else str(action.metavar)
        return super()._format_args(action, default_metavar)


def _common(parser: argparse.ArgumentParser, prefix: str, leaf: bool, taken: set[str]) -> None:
    """-C, -D, --schema (and on a command, --list-params and --explain-param); a parameter
    named ``config`` or ``define`` takes the long spelling, leaving ``-C``/``-D``."""
    group = parser.add_argument_group("configuration")
    group.add_argument(
        *[o for o in ("-C", "--config") if o not in taken],
        action="append",
        dest=prefix + "config",
        metavar="FILE",
        default=[],
        help="config files (YAML, TOML or JSON): -C a.yaml b.toml or repeated -C; later files win",
    )
    group.add_argument(
        *[o for o in ("-D", "--define") if o not in taken],
        action="append",
        metavar="KEY=VALUE",
        dest=prefix + "define",
        help="set any key (repeatable; bare KEY=VALUE words too); wins over files",
    )
    group.add_argument(
        "--schema",
        dest=prefix + "schema",
        metavar="MODULE:CLASS",
        help="validate the merged config with this dataclass or pydantic model",
    )
    if not leaf:
        return
    _tuning(parser, taken)
    group.add_argument(
        "--list-params",
        action="store_true",
        dest="list_params",
        help="print every parameter's value, type, default and source, then exit",
    )
    group.add_argument(
        "--explain-param",
        metavar="KEY",
        dest="explain_param",
        help="print every layer that sets KEY, then exit",
    )


def _tuning(parser: argparse.ArgumentParser, taken: set[str]) -> None:
    """-m/--multirun and --sweep (DESIGN §12): the function's return value is the objective."""
    group = parser.add_argument_group("sweeps and tuning (hyperparameter.tune, on Optuna)")
    group.add_argument(
        *[o for o in ("-m", "--multirun") if o not in taken],
        action="append",
        dest="multirun",
        metavar="KEY=EXPR",
        default=[],
        help="sweep KEY: 2,4,8 | choice(…) | range(a,b[,step]) | interval(a,b) | "
        "tag(log, interval(a,b)) (repeatable); choices and ranges alone run the grid",
    )
    group.add_argument("--sweep", metavar="FILE", help="a sweep file: study settings and params")
    group.add_argument("--n-trials", type=int, metavar="N", help="sample N trials with Optuna")
    group.add_argument("--storage", metavar="URL", help="sqlite:///x.db, an Optuna RDB URL, …")
    group.add_argument("--study-name", metavar="NAME", help="a named study resumes")
    group.add_argument("--workers", type=int, metavar="N", help="local worker processes")
    group.add_argument("--launcher", choices=("local", "ray"), help="where trials run")
    group.add_argument(
        "--direction",
        action="append",
        choices=("minimize", "maximize"),
        help="minimize (default) or maximize; repeat for several objectives",
    )
    group.add_argument("--dump-best", metavar="FILE", help="write the best config to FILE")


def _add_params(parser: argparse.ArgumentParser, cmd: Command) -> None:
    group = parser.add_argument_group("parameters")
    for p in cmd.params:
        if p.option is None:
            action = group.add_argument(
                "p_" + p.name,
                nargs="*" if p.nargs == "many" else "?",
                metavar=p.name,
                default=argparse.SUPPRESS,
                help=p.help,
            )
            action.hp_required = True  # type: ignore[attr-defined]
        elif p.nargs == "flag":
            group.add_argument(
                p.option,
                dest="p_" + p.name,
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=p.help,
            )
            group.add_argument(
                p.option + _VALUE,
                dest="p_" + p.name,
                action=_FlagValue,
                default=argparse.SUPPRESS,
                help=argparse.SUPPRESS,
            )
        else:
            group.add_argument(
                p.option,
                dest="p_" + p.name,
                nargs="+" if p.nargs == "many" else None,
                metavar=_metavar(p.target),
                default=argparse.SUPPRESS,
                help=p.help,
            )
    group.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="the same as -D")


def build(commands: list[Command], prog: str | None, description: str | None) -> Parser:
    """The argparse parser of one command, or of one subcommand per function."""
    kw: dict[str, Any] = {"prog": prog, "allow_abbrev": False, "formatter_class": _Formatter}
    if len(commands) == 1:
        cmd = commands[0]
        text = description or "\n\n".join(s for s in (cmd.doc.summary, cmd.doc.description) if s)
        parser = Parser(description=text or None, **kw)
        _add_params(parser, cmd)
        _common(parser, "", True, cmd.taken)
        return parser
    parser = Parser(description=description, **kw)
    _common(parser, "g_", False, set())
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for cmd in commands:
        text = "\n\n".join(s for s in (cmd.doc.summary, cmd.doc.description) if s)
        sub = subs.add_parser(
            cmd.name,
            help=cmd.doc.summary.replace("%", "%%") or None,
            description=text or None,
            allow_abbrev=False,
            formatter_class=_Formatter,
        )
        _add_params(sub, cmd)
        _common(sub, "", True, cmd.taken)
    return parser


@dataclass
class _Options:
    """The option strings of a parser, by what ``_split`` does with them."""

    one: set[str] = field(default_factory=set)  # take exactly one value
    every: set[str] = field(default_factory=set)
    define: set[str] = field(default_factory=set)  # the spellings of -D
    config: set[str] = field(default_factory=set)  # the spellings of -C


def _options(parser: argparse.ArgumentParser) -> _Options:
    o = _Options()
    for action in parser._actions:
        o.every.update(action.option_strings)
        if action.nargs is None and not isinstance(action, argparse._SubParsersAction):
            o.one.update(action.option_strings)
        if "-D" in action.option_strings:
            o.define.update(action.option_strings)
        elif "-C" in action.option_strings:
            o.config.update(action.option_strings)
    return o


def _config_file(word: str) -> bool:
    """Whether a word after ``-C FILE`` is one more config file: it has a config suffix and is
    neither an option nor a ``key=value`` override (docs/cli.md)."""
    return (
        not word.startswith("-")
        and not OVERRIDE.match(word)
        and word.lower().endswith(_CONFIG_SUFFIXES)
    )


def _define(text: str) -> str:
    if "=" not in text:
        raise CliError(f"argument -D/--define: expected KEY=VALUE, got {text!r}")
    parse_assignment(text)  # the key grammar, as a one-line error
    return text


def _split(
    argv: Sequence[str], parser: argparse.ArgumentParser, *, stop: bool
) -> tuple[list[str], list[str], int]:
    """``argv`` without ``-D`` options and bare ``key=value`` words, which are returned in
    order. Long options may be spelled with ``_`` (``--batch_size``). With ``stop``, ends at
    the first positional word (a subcommand) and returns its index."""
    o = _options(parser)
    one, every, define = o.one, o.every, o.define
    out: list[str] = []
    overrides: list[str] = []
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok == "--":
            out.extend(argv[i:])
            i = len(argv)
            break
        opt, eq, val = tok.partition("=") if tok.startswith("--") else (tok, "", "")
        if tok.startswith("--") and opt not in every and opt.replace("_", "-") in every:
            opt = opt.replace("_", "-")
            tok = opt + eq + val
        if opt + _VALUE in every and (eq or _bool_word(argv, i + 1)):
            if not eq:
                i += 1
                val = argv[i]
            out.append(f"{opt}{_VALUE}={val}")
        elif opt in o.config or (tok[:2] in o.config and len(tok) > 2 and tok[1] != "-"):
            # -C FILE [FILE ...] (0.6): each further config file becomes one more -C.
            out.append(tok)
            if not eq and opt in o.config and i + 1 < len(argv):
                i += 1
                out.append(argv[i])
            while i + 1 < len(argv) and _config_file(argv[i + 1]):
                i += 1
                out += [opt if opt in o.config else tok[:2], argv[i]]
        elif opt in define:
            if not eq:
                if i + 1 >= len(argv):
                    raise CliError("argument -D/--define: expected KEY=VALUE")
                i += 1
                val = argv[i]
            overrides.append(_define(val))
        elif tok.startswith("-D") and not tok.startswith("--"):
            overrides.append(_define(tok[2:]))
        elif tok.startswith("-") and tok != "-" and not _NUMBER.match(tok):
            out.append(tok)
            if not eq and opt in one and i + 1 < len(argv):
                i += 1
                out.append(argv[i])
        elif OVERRIDE.match(tok):
            overrides.append(_define(tok))
        elif stop:
            return out, overrides, i
        else:
            out.append(tok)
        i += 1
    return out, overrides, i


def _bool_word(argv: Sequence[str], i: int) -> bool:
    return i < len(argv) and argv[i].strip().lower() in _BOOL_WORDS


# ------------------------------------------------------------------------------ running


@dataclass
class Request:
    cmd: Command
    files: list[str]
    schema: str | None
    overrides: list[str]
    args: argparse.Namespace


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub: argparse.ArgumentParser = action.choices[name]
    return sub


def parse(parser: Parser, commands: list[Command], argv: Sequence[str]) -> Request:
    # parse_intermixed_args: positionals may come after options (`train.py --lr 1 data/`).
    if len(commands) == 1:
        rest, overrides, _ = _split(argv, parser, stop=False)
        ns = parser.parse_intermixed_args(rest)
        return Request(commands[0], ns.config, ns.schema, overrides, ns)
    head, overrides, i = _split(argv, parser, stop=True)
    by_name = {c.name: c for c in commands}
    if i >= len(argv) or argv[i] not in by_name:
        parser.parse_args([*head, *argv[i:]])  # argparse's own error (or --help)
        raise CliError("expected a command")  # not reached: argparse exits
    top = parser.parse_args([*head, argv[i]])
    sub = _subparser(parser, argv[i])
    tail, more, _ = _split(argv[i + 1 :], sub, stop=False)
    ns = sub.parse_intermixed_args(tail)
    return Request(
        by_name[argv[i]],
        [*top.g_config, *ns.config],
        ns.schema or top.g_schema,
        overrides + more,
        ns,
    )


def assignments(req: Request) -> list[tuple[Loc, Any, str]]:
    """The parameters given on the command line, as ``(loc, value, source)``: raw strings
    (a list of strings for ``--tags a b``), or a bool for ``--amp``/``--no-amp``."""
    out = []
    for p in req.cmd.params:
        value = getattr(req.args, "p_" + p.name, MISSING)
        if value is MISSING or value == []:
            continue
        if isinstance(value, Raw):  # --amp WORD
            name = value.source or ""
        elif isinstance(value, bool):
            assert p.option is not None
            name = p.option if value else "--no-" + p.option[2:]
        else:
            words = value if isinstance(value, list) else [value]
            text = " ".join(words)
            name = f"{p.option} {text}" if p.option else f"argument {p.name}={text}"
            if len(words) == 1 and (p.nargs != "many" or words[0].lstrip().startswith("[")):
                # A word given to an untyped parameter's own argument is text, as argparse
                # and 0.6 have it; -D, key=value and files parse it (docs/decisions.md).
                value = words[0] if p.target is None else Raw(words[0], name)
        out.append((p.loc, value, name))
    return out
