"""TOML 1.1 through ``tomli``, with keys named in its errors and bounds on nesting and digits."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tomli

from ...errors import ConfigFileError, Loc
from .common import (
    MAX_DEPTH,
    Position,
    _deeper_than,
    _duplicate_message,
    _key_error,
    _Lines,
    _too_deep,
    _too_many_digits,
    _TooDeep,
)

# ----------------------------------------------------------------------------------- TOML


def _parse_toml(text: str, path: str) -> dict[str, Any]:
    import tomli  # on the first TOML file: a program reading YAML never pays for it

    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as e:  # tomli counts in its text with CRLF made LF: right
        if e.msg.startswith(_TOML_KEY_ERRORS):
            raise _toml_key_error(text, e, path) from None
        raise ConfigFileError(e.msg, path, e.lineno, e.colno) from None
    except RecursionError:
        raise _toml_too_deep(text, path) from None
    except ValueError as e:  # int() refusing a huge literal, outside tomli's own errors
        if "integer string conversion" not in str(e):
            raise ConfigFileError(f"invalid TOML: {e}", path) from None
        raise _too_many_digits(text, path, _TOML_INTEGERS) from None
    # Headers and dotted keys nest without recursion; bound the depth they can reach first.
    bound = 2 * (text.count(".") + 2) + text.count("[") + text.count("{")
    if bound > MAX_DEPTH and _deeper_than(data, MAX_DEPTH):
        raise _toml_too_deep(text, path)
    return data


# tomli's errors for a key set twice (a value, a table, an inline table's key) or added to an
# inline table; they name no key, so the scanner finds it.
_TOML_KEY_ERRORS = (
    "Cannot overwrite a value",
    "Cannot declare",
    "Duplicate inline table key",
    "Cannot mutate immutable namespace",
)


def _toml_key_error(text: str, e: tomli.TOMLDecodeError, path: str) -> ConfigFileError:
    """tomli's error ``e`` about a key, with the key: the statement that fails ends where
    tomli stopped (``e.pos``: after a value, or at a table header's ``]``), so the last key the
    scanner defines up to there is the one. tomli reads the text with CRLF made LF and counts
    ``e.pos`` there; so does the scanner (lines and columns are the same in both texts)."""
    text = text.replace("\r\n", "\n")
    scanner = _TomlScanner(text[: e.pos + 1 if text.startswith("]", e.pos) else e.pos])
    # an inline table cut inside fails the scan: what was defined before the cut is recorded
    with contextlib.suppress(_TooDeep, IndexError, AttributeError, AssertionError):
        scanner.run()
    own = [loc for loc, _, is_own in scanner.defined if is_own]
    if not own:
        return ConfigFileError(e.msg, path, e.lineno, e.colno)
    loc = own[-1]
    while isinstance(loc[-1], int) and len(loc) > 1:
        loc = loc[:-1]  # `a = [1]` then `[[a]]`: the key is set twice, not its item
    places = [at for other, at, _ in scanner.defined if other == loc]
    first, again = places[0], places[-1]
    line, col = scanner.lines.at(again)
    if first == again:  # not a duplicate: a key added to an inline table
        return _key_error(e.msg, loc, path, line, col)
    message = _duplicate_message(loc[-1], scanner.lines.at(first), (line, col))
    return _key_error(message, loc, path, line, col)


def _toml_too_deep(text: str, path: str) -> ConfigFileError:
    try:
        _TomlScanner(text).run()
    except _TooDeep as e:
        line, col = _Lines(text).at(e.index)
        return ConfigFileError(f"nesting deeper than {MAX_DEPTH:,} levels", path, line, col)
    except (IndexError, AttributeError, AssertionError):
        pass  # not valid TOML past the point where the parser gave up
    return _too_deep(text, path, _toml_brackets, "TOML")


_TOML_STRING = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""(?:"{0,2})'
    r"|'''(?:[^']|'(?!''))*'''(?:'{0,2})"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'",
    re.S,
)
_TOML_INTEGERS = re.compile(
    _TOML_STRING.pattern + r"|#[^\n]*|(?<![\w.:-])([-+]?[0-9][0-9_]*)(?![\w.:-])", re.S
)
_TOML_SPACE = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")
_TOML_INLINE_SPACE = re.compile(r"[ \t]*")
_TOML_BARE = re.compile(r"[^\s.=\[\]\"'#,{}]+")
_TOML_SCALAR = re.compile(r"[^,\]}#\r\n]+")
_TOML_BRACKETS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\']|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|(\n)|([\[{])|([\]}])|[^\s]',
    re.S,
)


def _toml_brackets(text: str) -> Iterator[tuple[int, int]]:
    """(index, change of depth) of each array or inline-table bracket; table headers skipped."""
    depth = 0
    line_start = True
    header = False
    for m in _TOML_BRACKETS.finditer(text):
        if m.group(1):
            line_start, header = True, False
            continue
        opening = m.group(2)
        if opening and depth == 0 and (header or (line_start and opening == "[")):
            header = True  # [table] / [[array.of.tables]]
        elif opening:
            depth += 1
            yield m.start(), 1
        elif m.group(3) and not header:
            depth -= 1
            yield m.start(), -1
        line_start = False


class _TomlScanner:
    """Positions of every value of a valid TOML document: table headers, arrays of tables,
    dotted keys, inline tables and arrays. Iterative, so any nesting is fine; a container
    deeper than MAX_DEPTH raises _TooDeep at its index."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = _Lines(text)
        self.out: dict[Loc, Position] = {(): Position(1, 1, 1, 1)}
        self.aot: dict[Loc, int] = {}  # array of tables -> number of elements so far
        # every (loc, index of its key, whether this statement defines it) in text order
        self.defined: list[tuple[Loc, int, bool]] = []

    def run(self) -> dict[Loc, Position]:
        text, n = self.text, len(self.text)
        table: Loc = ()
        i = _TOML_SPACE.match(text, 0).end()  # type: ignore[union-attr]
        while i < n:
            if text[i] == "[":
                table, i = self._header(i)
            else:
                i = self._keyval(i, table)
            i = _TOML_SPACE.match(text, i).end()  # type: ignore[union-attr]
        return self.out

    def _record(self, loc: Loc, value: int, key: int, container: bool, own: bool) -> None:
        if container and len(loc) >= MAX_DEPTH:
            raise _TooDeep(value)
        self.defined.append((loc, key, own))
        if own or loc not in self.out:
            self.out[loc] = Position(*self.lines.at(value), *self.lines.at(key))

    def _header(self, start: int) -> tuple[Loc, int]:
        many = self.text.startswith("[[", start)
        segments, i = self._key(start + (2 if many else 1))
        i = _TOML_INLINE_SPACE.match(self.text, i).end() + (2 if many else 1)  # type: ignore[union-attr]
        loc: Loc = ()
        for j, (key, at) in enumerate(segments):
            loc = (*loc, key)
            if j < len(segments) - 1:
                self._record(loc, at, at, True, False)
                if loc in self.aot:  # [a.b] under [[a]] means the last element of a
                    loc = (*loc, self.aot[loc] - 1)
            elif many:
                count = self.aot[loc] = self.aot.get(loc, 0) + 1
                self._record(loc, start, at, True, False)
                loc = (*loc, count - 1)
                self._record(loc, start, at, True, True)
            else:
                self._record(loc, start, at, True, True)
        return loc, i

    def _key(self, i: int) -> tuple[list[tuple[str, int]], int]:
        text = self.text
        segments: list[tuple[str, int]] = []
        while True:
            i = _TOML_INLINE_SPACE.match(text, i).end()  # type: ignore[union-attr]
            if text[i] in "\"'":
                m = _TOML_STRING.match(text, i)
                assert m is not None
                segments.append((_toml_key(m.group()), i))
            else:
                m = _TOML_BARE.match(text, i)
                assert m is not None
                segments.append((m.group(), i))
            i = _TOML_INLINE_SPACE.match(text, m.end()).end()  # type: ignore[union-attr]
            if text[i] != ".":
                return segments, i
            i += 1

    def _keyval(self, i: int, base: Loc) -> int:
        loc, key, i = self._dotted(i, base)
        stack: list[list[Any]] = []  # open arrays / inline tables: [bracket, loc, items so far]
        i = self._value(i, loc, key, stack)
        while stack:
            i = self._step(i, stack)
        return i

    def _dotted(self, i: int, base: Loc) -> tuple[Loc, int, int]:
        """Reads ``a.b.c =``: the value's loc, the index of its last key segment, and the
        index of the value."""
        segments, i = self._key(i)
        loc = base
        for key, at in segments[:-1]:
            loc = (*loc, key)
            self._record(loc, at, at, True, False)
        key, at = segments[-1]
        i = _TOML_SPACE.match(self.text, i + 1).end()  # type: ignore[union-attr]  # past '='
        return (*loc, key), at, i

    def _value(self, i: int, loc: Loc, key: int, stack: list[list[Any]]) -> int:
        c = self.text[i]
        if c == "[" or c == "{":
            self._record(loc, i, key, True, True)
            stack.append([c, loc, 0])
            return i + 1
        pattern = _TOML_STRING if c in "\"'" else _TOML_SCALAR
        self._record(loc, i, key, False, True)
        return pattern.match(self.text, i).end()  # type: ignore[union-attr]

    def _step(self, i: int, stack: list[list[Any]]) -> int:
        i = _TOML_SPACE.match(self.text, i).end()  # type: ignore[union-attr]
        frame = stack[-1]
        bracket, loc, count = frame
        c = self.text[i]
        if c == ",":
            return i + 1
        if c == ("]" if bracket == "[" else "}"):
            stack.pop()
            return i + 1
        if bracket == "[":
            frame[2] = count + 1
            return self._value(i, (*loc, count), i, stack)
        loc, key, i = self._dotted(i, loc)
        return self._value(i, loc, key, stack)


def _toml_key(raw: str) -> str:
    if raw[0] == "'" or "\\" not in raw:
        return raw[1:-1]
    import tomli

    value = tomli.loads(f"k = {raw}")["k"]  # the exact TOML escapes, from the parser itself
    assert isinstance(value, str)
    return value
