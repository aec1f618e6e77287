"""The ``hp`` command (also ``python -m hyperparameter``): ``lint``, ``show``, ``explain``,
``schema`` (DESIGN §7) and ``tune show`` (§12).

Exit status: 0 success, 1 the config has problems (findings), 2 a usage error — a bad flag,
an unknown key, a schema that cannot be imported, a closed stdout — and 141 when stdout's
reader went away (``| head``). Errors of the tool are one line on stderr; ``--debug`` raises
them with their traceback instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import ConfigFileError, ConfigValidationError
from . import explain, lint, schema, show, tune_show
from .common import CliError, OutputError, Parser, flush_stdout, output_failed

__all__ = ["main"]

_DESCRIPTION = """\
Check, show and explain hyperparameter config files (YAML, TOML, JSON), and show tuning
studies.

exit status: 0 ok, 1 the config has problems, 2 usage error"""


def _parser() -> tuple[Parser, dict[str, argparse.ArgumentParser]]:
    from .._version import __version__

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
    tune = command(
        "tune",
        "show tuning studies (Optuna)",
        "Studies that tune.run or a sweep (-m) stored: `hp tune show` prints one.",
    )
    tune_subs = tune.add_subparsers(dest="tune_command", metavar="COMMAND", required=True)
    tune_show_cmd = tune_subs.add_parser(
        "show",
        help="print a stored study's trials, best first",
        description="Print the trials of a stored study as a table, best first: state, "
        "value, parameters,\nand why each failed trial failed; --plot writes the HTML "
        "report. The last line is\nthe command that opens the storage in optuna-dashboard.",
        formatter_class=fmt,
        allow_abbrev=False,
    )
    tune_show_cmd.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    tune_show_cmd.add_argument(
        "--storage",
        required=True,
        metavar="URL",
        help="sqlite:///FILE, an RDB URL (postgresql://…) or journal:///FILE",
    )
    tune_show_cmd.add_argument(
        "--study-name", metavar="NAME", help="the study (default: the storage's only one)"
    )
    tune_show_cmd.add_argument(
        "--plot", metavar="FILE", help="write the HTML report (history, importances, …) to FILE"
    )
    tune_show_cmd.add_argument(
        "--limit",
        type=tune_show.limit,
        default=20,
        metavar="N",
        help="show the best N trials (default: 20; 0: every trial)",
    )
    return parser, dict(subs.choices)


_COMMANDS = {
    "lint": lint.run,
    "show": show.run,
    "explain": explain.run,
    "schema": schema.run,
    "tune show": tune_show.run,
}


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
    if name == "tune":  # subcommands of its own, and no positional arguments
        ns = commands[name].parse_args(argv[i + 1 :])
        name = f"tune {ns.tune_command}"
    else:
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
