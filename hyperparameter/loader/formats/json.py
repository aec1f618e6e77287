"""JSON through the standard library, strict: duplicate keys, ``NaN`` and ``Infinity`` are
errors; lone surrogates and nesting are bounded."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

from ...errors import ConfigFileError, Loc
from .common import (
    _SURROGATE,
    MAX_DEPTH,
    Position,
    _duplicate_message,
    _key_error,
    _kind,
    _Lines,
    _too_deep,
    _too_many_digits,
    _TooDeep,
)

# ----------------------------------------------------------------------------------- JSON


class _Duplicate(Exception):
    pass


class _Constant(Exception):
    pass


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _Duplicate
    return mapping


def _json_constant(name: str) -> NoReturn:
    raise _Constant(name)


def _parse_json(text: str, path: str) -> dict[str, Any]:
    if not text.strip(" \t\r\n"):
        return {}
    try:
        data = json.loads(text, object_pairs_hook=_json_pairs, parse_constant=_json_constant)
    except json.JSONDecodeError as e:  # its line numbers count only \n
        raise ConfigFileError(e.msg, path, *_Lines(text).at(e.pos)) from None
    except RecursionError:
        raise _too_deep(text, path, _json_brackets, "JSON") from None
    except ValueError as e:  # int() refusing a huge literal, outside json's own errors
        if "integer string conversion" not in str(e):
            raise ConfigFileError(f"invalid JSON: {e}", path) from None
        raise _too_many_digits(text, path, _JSON_INTEGERS) from None
    except (_Duplicate, _Constant):
        # json stops at the first problem, so the text is valid up to it; the rest may not be
        scan = _json_scan(text, first_problem=True)
        if scan.duplicate is not None:
            loc, first, again = scan.duplicate
            message = _duplicate_message(loc[-1], first, again)
            raise _key_error(message, loc, path, *again) from None
        if scan.constant is None:  # not found by the scan: still an error, unlocated
            raise ConfigFileError("a duplicate key, NaN or Infinity", path) from None
        name, (line, col) = scan.constant
        raise ConfigFileError(
            f"{name} is not valid JSON (RFC 8259 has no NaN or Infinity)", path, line, col
        ) from None
    if not isinstance(data, dict):
        start = len(text) - len(text.lstrip(" \t\r\n"))
        line, col = _Lines(text).at(start)
        raise ConfigFileError(
            f"expected a mapping at the top level, got {_kind(data)}", path, line, col
        )
    if _JSON_SURROGATE_ESCAPE.search(text):
        _json_lone_surrogates(text, path)
    return data


_JSON_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def _json_lone_surrogates(text: str, path: str) -> None:
    """Refuses a ``\\udXXX`` escape that is half of no pair: it decodes to no character, and
    a string holding it cannot be written as UTF-8 (YAML and TOML refuse it too)."""
    for m in _JSON_STRING.finditer(text):
        token = m.group()
        if _JSON_SURROGATE_ESCAPE.search(token) and _SURROGATE.search(json.loads(token)):
            line, col = _Lines(text).at(m.start())
            raise ConfigFileError(
                "a lone surrogate escape (\\ud800-\\udfff not in a pair) is not a character",
                path,
                line,
                col,
            )


_JSON_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|([\[{])|([\]}])', re.S)
_JSON_SPACE = re.compile(r"[ \t\r\n]*")
_JSON_INTEGERS = re.compile(r'"(?:[^"\\]|\\.)*"|(-?[0-9]+)(?![.eE0-9])', re.S)
_JSON_SCALAR = re.compile(r"[^\s,\]}:]+")


def _json_brackets(text: str) -> Iterator[tuple[int, int]]:
    for m in _JSON_BRACKETS.finditer(text):
        if m.group(1):
            yield m.start(), 1
        elif m.group(2):
            yield m.start(), -1


@dataclass
class _JsonScan:
    positions: dict[Loc, Position]
    duplicate: tuple[Loc, tuple[int, int], tuple[int, int]] | None = None
    constant: tuple[str, tuple[int, int]] | None = None


def _json_scan(text: str, first_problem: bool = False) -> _JsonScan:
    """Positions of every value of a valid JSON document (iterative), and the first duplicate
    key and the first NaN/Infinity in document order; with ``first_problem``, stops at the
    first of those (the text after it need not be valid)."""
    lines = _Lines(text)
    scan = _JsonScan({})
    if not text.strip(" \t\r\n"):
        scan.positions[()] = Position(1, 1, 1, 1)
        return scan
    stack: list[list[Any]] = []  # [kind, loc, items so far, {key: index}]

    def value(i: int, loc: Loc, key: int) -> int:
        c = text[i]
        if c in "[{" and len(loc) >= MAX_DEPTH:
            raise _TooDeep(i)
        scan.positions[loc] = Position(*lines.at(i), *lines.at(key))
        if c in "[{":
            stack.append([c, loc, 0, {}])
            return i + 1
        if c == '"':
            return json.decoder.scanstring(text, i + 1)[1]  # type: ignore[attr-defined,no-any-return]
        m = _JSON_SCALAR.match(text, i)
        assert m is not None
        if scan.constant is None and m.group().startswith(("NaN", "Infinity", "-Infinity")):
            name = next(n for n in ("NaN", "Infinity", "-Infinity") if text.startswith(n, i))
            scan.constant = (name, lines.at(i))  # json reads the name even when text follows
        return m.end()

    i = value(_JSON_SPACE.match(text).end(), (), 0)  # type: ignore[union-attr]
    while stack:
        if first_problem and (scan.duplicate is not None or scan.constant is not None):
            break
        i = _JSON_SPACE.match(text, i).end()  # type: ignore[union-attr]
        frame = stack[-1]
        kind, loc, count, keys = frame
        c = text[i]
        if c == ",":
            i += 1
        elif c in "]}":
            stack.pop()
            i += 1
        elif kind == "[":
            frame[2] = count + 1
            i = value(i, (*loc, count), i)
        else:
            key, end = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
            if key in keys and scan.duplicate is None:
                scan.duplicate = ((*loc, key), lines.at(keys[key]), lines.at(i))
            keys[key] = i
            colon = _JSON_SPACE.match(text, end).end()  # type: ignore[union-attr]
            i = value(_JSON_SPACE.match(text, colon + 1).end(), (*loc, key), i)  # type: ignore[union-attr]
    return scan
