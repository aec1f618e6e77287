"""What every format reader shares: the limits, positions, line counting, decoding, and
the messages of errors about keys."""

from __future__ import annotations

import bisect
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from ...errors import ConfigFileError, Loc

Format = Literal["yaml", "toml", "json"]

_T = TypeVar("_T")

#: Containers nested deeper than this are an error in every format; 100 levels always load.
MAX_DEPTH = 1000
#: A YAML document whose aliases stand for more nodes than this is an error (billion laughs):
#: every scalar, key and container an alias repeats, nested aliases expanded.
MAX_ALIAS_NODES = 1_000_000
#: Files larger than this are refused before they are read (``HYPERPARAMETER_MAX_FILE_BYTES``
#: changes it): 256 MiB, five times the 50 MB files the reliability suite loads.
MAX_FILE_BYTES = 256 * 1024 * 1024

_SUFFIXES: dict[str, Format] = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}


@dataclass(frozen=True, slots=True)
class Position:
    """Where a value is written (``line``, ``col``) and where its key is (``key_line``,
    ``key_col``); 1-based, columns in characters. A list item's key position is its own."""

    line: int
    col: int
    key_line: int
    key_col: int


# --------------------------------------------------------------------------------- shared


class _Lines:
    """Index -> (line, column), both 1-based, over one decoded text. A line ends at ``\n``,
    ``\r\n`` or a lone ``\r``, as YAML counts them (TOML has no lone CR: it is an error at
    the CR itself); JSON has no lines, and editors count all three."""

    def __init__(self, text: str) -> None:
        ends = _LINE_ENDS.finditer(text) if "\r" in text else re.finditer("\n", text)
        self.starts = [0, *(m.end() for m in ends)]

    def at(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, index)
        return line, index - self.starts[line - 1] + 1


_LINE_ENDS = re.compile("\r\n?|\n")


class _TooDeep(Exception):
    def __init__(self, index: int) -> None:
        self.index = index


def _decode(data: bytes | str, path: str) -> str:
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
        # Text given as str (`loads`) may hold lone surrogates, which no file can: refuse them
        # here as invalid UTF-8 is refused, not deep inside a parser.
        m = _SURROGATE.search(text)
        if m is not None:
            line, col = _Lines(text).at(m.start())
            message = f"invalid character U+{ord(m.group()):04X}: a lone surrogate is not text"
            raise ConfigFileError(message, path, line, col)
        return text
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = data[: e.start].decode("utf-8")  # valid up to the first bad byte
        line, col = _Lines(before).at(len(before))
        byte = data[e.start]
        raise ConfigFileError(f"invalid UTF-8: {e.reason} 0x{byte:02x}", path, line, col) from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (no file format can hold one)."""
    return _SURROGATE.search(text) is not None


def _too_many_digits(text: str, path: str, strings: re.Pattern[str]) -> ConfigFileError:
    """The error for an integer literal longer than ``int()`` converts (4,300 digits by
    default, Python's guard against quadratic conversion); ``strings`` matches what to skip
    (strings, comments) or, in group 1, an integer literal."""
    limit = sys.get_int_max_str_digits()
    where = 0
    for m in strings.finditer(text):
        if m.group(1) and len(m.group(1).lstrip("+-").replace("_", "")) > limit:
            where = m.start(1)
            break
    line, col = _Lines(text).at(where)
    return ConfigFileError(f"an integer with more than {limit:,} digits", path, line, col)


def _short(text: str, limit: int = 100) -> str:
    """``text``, cut to ``limit`` characters for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    names = {list: "list", str: "string", bool: "boolean", int: "integer", float: "float"}
    return names.get(type(value), type(value).__name__)


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests more than ``limit`` containers (iterative)."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        children = v.values() if isinstance(v, dict) else v
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _duplicate_message(key: Any, first: tuple[int, int], again: tuple[int, int]) -> str:
    if first[0] != again[0]:
        return f"duplicate key {key!r} (lines {first[0]} and {again[0]})"
    return f"duplicate key {key!r} (line {first[0]}, columns {first[1]} and {again[1]})"


def _key_error(message: str, loc: Loc, path: str, line: int, col: int) -> ConfigFileError:
    """A :class:`ConfigFileError` about the key at ``loc``: compiler-style, the dotted key
    after the position (``f.yaml:3:3: spec.selector: duplicate key …``), and as ``.key``."""
    key = ".".join(map(str, loc))
    e = ConfigFileError(f"{key}: {message}", path, line, col)
    e.key = key
    return e


def _too_deep(
    text: str, path: str, brackets: Callable[[str], Iterator[tuple[int, int]]], name: str
) -> ConfigFileError:
    """The error for a parser's RecursionError: where nesting first passes MAX_DEPTH, or
    where it is deepest when the parser gave up earlier."""
    depth, deepest, where = 0, 0, 0
    for index, change in brackets(text):
        depth += change
        if depth > deepest:
            deepest, where = depth, index
            if depth > MAX_DEPTH:
                break
    line, col = _Lines(text).at(where)
    if deepest > MAX_DEPTH:
        return ConfigFileError(f"nesting deeper than {MAX_DEPTH:,} levels", path, line, col)
    return ConfigFileError(
        f"nested too deeply for the {name} parser ({deepest} levels)", path, line, col
    )
