"""What the command-line faces share: the argument parser and its errors, writing to stdout
(a closed or broken stdout is a quiet exit), and how keys and values are written."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import errno
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from ..coerce import untyped
from ..errors import Loc, shown
from ..loader import secrets as _secrets
from ..loader.dumper import dumpable
from ..loader.formats import has_surrogate
from ..schema import to_tree
from ..storage.keys import check_key

if TYPE_CHECKING:
    from _typeshed import SupportsWrite


__all__ = [
    "BROKEN_PIPE",
    "MISSING",
    "OVERRIDE",
    "CliError",
    "OutputError",
    "Parser",
    "did_you_mean",
    "dotted",
    "flush_stdout",
    "json_text",
    "out",
    "output_failed",
    "parse_key",
    "printable",
    "show",
    "terminal",
    "writing",
]

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()


#: A bare ``key=value`` argument: a key-like word (no path separator) before the first ``=``.
OVERRIDE = re.compile(r"\w[\w.\-]*=")


class CliError(Exception):
    """A usage error of a command line: reported as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: ``prog: error: message``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        # argparse drops write errors; on stdout (--help, --version) they are an exit status.
        # `file` is None for stdout when it is closed (Python sets sys.stdout to None).
        if message and file is sys.stdout:
            out(message, end="")
        else:
            super()._print_message(message, file)


# ------------------------------------------------------------------------------- output

#: The exit status when stdout's reader went away (``| head``): 128 + SIGPIPE, what a shell
#: reports for a tool that SIGPIPE ended, so ``set -o pipefail`` scripts see the same code.
BROKEN_PIPE = 141


class OutputError(Exception):
    """stdout cannot take the output: closed (``>&-``; ``error`` is None), or its reader went
    away (``| head``: a ``BrokenPipeError``), or another write error."""

    def __init__(self, error: BaseException | None) -> None:
        super().__init__(error)
        self.error = error


def out(text: str, end: str = "\n") -> None:
    """Writes ``text`` and ``end`` to stdout, or raises :class:`OutputError`. (``print``
    drops text silently when stdout is closed: Python sets ``sys.stdout`` to None.)"""
    stream = sys.stdout
    if stream is None:
        raise OutputError(None)
    try:
        stream.write(text + end)
    except (OSError, ValueError) as e:  # ValueError: a stream closed inside the process
        raise OutputError(e) from e


def terminal() -> bool:
    """Whether stdout is a terminal (rich tables and bars there; plain text in logs, pipes)."""
    stream = sys.stdout
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):
        return False


def flush_stdout() -> None:
    """Flushes what is buffered for stdout (nothing to do when it is closed), or raises
    :class:`OutputError`: a failed write then becomes an exit status, not a traceback when
    the interpreter flushes at exit."""
    stream = sys.stdout
    if stream is None:
        return
    try:
        stream.flush()
    except (OSError, ValueError) as e:
        raise OutputError(e) from e


def output_failed(prog: str, e: OutputError) -> int:
    """The exit status for output that could not be written, after silencing stdout so the
    interpreter's last flush cannot fail again: :data:`BROKEN_PIPE` quietly when the reader
    went away, else 2 with one line on stderr (as ``ls >&-`` does)."""
    stream = sys.stdout
    if stream is not None:
        try:  # the unwritten rest goes nowhere (the pattern of Python's own docs on SIGPIPE)
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, stream.fileno())
            finally:
                os.close(devnull)
        except (OSError, ValueError):
            pass
    if isinstance(e.error, BrokenPipeError):
        return BROKEN_PIPE
    reason = "stdout is closed"
    if isinstance(e.error, OSError) and e.error.errno != errno.EBADF:
        reason = e.error.strerror or str(e.error)
    print(f"{prog}: error: cannot write the output: {reason}", file=sys.stderr)
    return 2


@contextlib.contextmanager
def writing(prog: str) -> Iterator[None]:
    """Around code that writes the program's own output (``--help``, ``--list-params``):
    flushes stdout at the end, also when the code exits (argparse's ``--help`` does), and
    turns a closed or broken stdout into ``SystemExit`` with :func:`output_failed`'s status."""
    try:
        try:
            yield
        finally:
            flush_stdout()
    except OutputError as e:
        raise SystemExit(output_failed(prog, e)) from None


# ------------------------------------------------------------------------------- naming


def dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)


def parse_key(key: str) -> Loc:
    """A dotted key as a ``loc``; integer segments become list indices."""
    return tuple(int(s) if s.isascii() and s.isdigit() else s for s in check_key(key).split("."))


def printable(text: str) -> str:
    """``text`` safe to print in any encoding: a lone surrogate — a byte of a file name that
    is not UTF-8, as ``os.fsdecode`` keeps it — is shown as that byte, ``\\xNN``; any other
    as ``\\udNNN``."""
    if not has_surrogate(text):
        return text
    return _SURROGATE.sub(_escape_surrogate, text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def json_text(doc: Any) -> str:
    """``doc`` as indented JSON that is valid UTF-8: a lone surrogate (a non-UTF-8 file name)
    becomes its ``\\udcNN`` escape, which reads back as the same string (and ``os.fsencode``
    gives back the name's bytes)."""
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def show(value: Any) -> str:
    """A value as a short YAML/JSON flow text: ``0.1``, ``"data/"``, ``true``, ``[1, 2]``."""
    if value is MISSING:
        return "<missing>"
    if isinstance(value, _secrets.Redacted):
        return repr(value)
    value = untyped(value)
    try:
        tree = to_tree(value)
        if _redacted_in(tree):
            return shown(tree)  # the repr names the variables of each secret
        plain = dumpable(tree, "yaml", (), keep_references=True)
        return json.dumps(plain, ensure_ascii=False, default=str, separators=(", ", ": "))
    except (TypeError, ValueError):
        return shown(value)


def _redacted_in(tree: Any) -> bool:
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, _secrets.Redacted):
            return True
        if isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False
