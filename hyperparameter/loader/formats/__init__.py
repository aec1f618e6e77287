"""Formats are thin adapters: bytes in, plain builtins out (DESIGN §2, step 1).

:func:`parse` is the fast path: one file's bytes become ``dict``/``list``/``str``/``int``/
``float``/``bool``/``None``/``datetime`` values, or a :class:`ConfigFileError` with path, line
and column. :func:`positions` is the slow path, run only when an error needs a location: it
re-reads the same bytes and maps every value's ``loc`` to where its value and its key are written.

- YAML: ruamel.yaml's parser (the C one from ``ruamel.yaml.clib`` when installed), YAML 1.2
  core schema; values are built straight from its events. Tags other than the core ones are
  refused, never run.
- TOML: ``tomli`` (TOML 1.1; the 3.11 stdlib ``tomllib`` rejects real files).
- JSON: stdlib ``json``, strict: duplicate keys, ``NaN`` and ``Infinity`` are errors.

Limits (DESIGN §8): more than :data:`MAX_DEPTH` nested containers, YAML aliases standing for
more than :data:`MAX_ALIAS_NODES` nodes, and integers longer than ``int()`` converts are
:class:`ConfigFileError`, never a ``RecursionError`` or a bare ``ValueError``. :func:`read_bytes`
reads only regular files of at most :data:`MAX_FILE_BYTES`."""

from __future__ import annotations

import os
import re
from types import SimpleNamespace
from typing import Any, Literal, cast

from ruamel.yaml.events import DocumentEndEvent, DocumentStartEvent

from ...errors import ConfigFileError, Loc
from .common import (
    _SUFFIXES,
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    Format,
    Position,
    _decode,
    _Lines,
    _TooDeep,
    has_surrogate,
)
from .files import max_file_bytes, read_bytes
from .json import _json_scan, _parse_json
from .toml import _parse_toml, _TomlScanner
from .yaml import _parse_yaml, yaml_representer
from .yaml_positions import yaml_positions
from .yaml_read import _PURE, _Fail, _new_yaml, _yaml_run

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "Format",
    "Position",
    "format_for",
    "has_surrogate",
    "max_file_bytes",
    "parse",
    "positions",
    "read_bytes",
    "select_document",
    "yaml_backend",
    "yaml_representer",
]


def format_for(path: str | os.PathLike[str], fmt: str | None = None) -> Format:
    """The format of ``path``: ``fmt`` when given, else from the suffix (``.yaml``/``.yml``,
    ``.toml``, ``.json``, any case). An unknown suffix is a :class:`ConfigFileError`; an
    unknown ``fmt`` a ``ValueError``."""
    if fmt is not None:
        if fmt in ("yaml", "toml", "json"):
            return cast(Format, fmt)
        raise ValueError(f"unknown format {fmt!r}: expected 'yaml', 'toml' or 'json'")
    name = os.fspath(path)
    suffix = os.path.splitext(name)[1]
    found = _SUFFIXES.get(suffix.lower())
    if found is None:
        what = f"unknown file suffix {suffix!r}" if suffix else "no file suffix"
        raise ConfigFileError(
            f"{what}: expected .yaml, .yml, .toml or .json (or pass the format)", name
        )
    return found


def parse(data: bytes | str, fmt: Format, path: str) -> dict[str, Any]:
    """Parses one config file into plain builtins.

    An empty file (or one with only comments or whitespace, or a YAML ``null`` document) is
    ``{}``; a top level that is not a mapping, invalid UTF-8, a syntax error, a refused YAML
    tag, a duplicate key, several YAML documents, nesting beyond :data:`MAX_DEPTH` or an alias
    expansion beyond :data:`MAX_ALIAS_NODES` raise :class:`ConfigFileError` with ``path``, line
    and column. ``path`` only names the file in messages.
    """
    text = _decode(data, path)
    if fmt == "yaml":
        return _parse_yaml(text, path)
    if fmt == "toml":
        return _parse_toml(text, path)
    if fmt == "json":
        return _parse_json(text, path)
    raise ValueError(f"unknown format {fmt!r}: expected 'yaml', 'toml' or 'json'")


def select_document(data: bytes | str, index: int, path: str) -> str:
    """The ``index``-th document (0-based; negative counts from the end) of a YAML stream, as
    text that :func:`parse` and :func:`positions` read as one document: everything outside it
    becomes blank lines, so lines and columns stay those of the whole file. The document's own
    directives (``%TAG``) come with it; anchors never cross documents in YAML anyway."""
    text = _decode(data, path)

    def document_ends(pure: bool) -> list[Any]:
        ends: list[Any] = []  # where each document ends (after its `...`, if it has one)
        open_end = False  # the last document ended without `...`
        for event in _new_yaml(pure).parse(text):
            if isinstance(event, DocumentEndEvent):
                ends.append(event.end_mark)
                open_end = not event.explicit
                if 0 <= index < len(ends):
                    break  # what follows the chosen document is not read (it may be broken)
            elif isinstance(event, DocumentStartEvent) and ends and open_end:
                # Both parsers take a directive right after a document; YAML needs a `...`
                # before it (else the directive would be part of the document before).
                start = ends[-1].index
                m = _DIRECTIVE_LINE.search(text, start, event.end_mark.index)
                if m is not None:
                    line, col = _Lines(text).at(m.start())
                    mark = SimpleNamespace(line=line - 1, column=col - 1)
                    raise _Fail("a directive after a document needs '...' before it", mark)
        return ends

    ends = _yaml_run(text, path, document_ends)  # the parser parse() reads the text with
    n = len(ends)
    if n == 0 and index in (0, -1):
        return text  # an empty stream: the empty document
    if not -n <= index < n:
        what = f"{n} document{'s' if n != 1 else ''}"
        raise ConfigFileError(f"{what}: there is no document {index} (counting from 0)", path)
    k = index % n
    end: int = ends[k].index
    if k == 0:
        return text[:end]
    start = ends[k - 1]
    pad: str = "\n" * start.line + " " * start.column
    return pad + text[start.index : end]


_DIRECTIVE_LINE = re.compile(r"^%", re.M)


def positions(data: bytes | str, fmt: Format, path: str) -> dict[Loc, Position]:
    """Maps the ``loc`` of every value in ``parse(data, fmt, path)`` — keys and list indices,
    ``()`` for the top level — to its :class:`Position`.

    The slow path: call it only when an error needs a location. YAML values merged with ``<<``
    or reached through an alias point at the text they were copied from. Raises
    :class:`ConfigFileError` for a file that :func:`parse` rejects as unreadable.
    """
    text = _decode(data, path)
    try:
        if fmt == "yaml":
            return yaml_positions(text, path)
        if fmt == "toml":
            return _TomlScanner(text).run()
        return _json_scan(text).positions
    except _TooDeep as e:
        line, col = _Lines(text).at(e.index)
        raise ConfigFileError(
            f"nesting deeper than {MAX_DEPTH:,} levels", path, line, col
        ) from None
    except ConfigFileError:
        raise
    except (IndexError, AttributeError, AssertionError, ValueError):
        # The scanners trust their input: a file they trip on is one parse() rejects.
        parse(data, fmt, path)
        raise


def yaml_backend() -> Literal["c", "pure"]:
    """Which ruamel.yaml parser :func:`parse` uses: ``"c"`` (ruamel.yaml.clib) or ``"pure"``."""
    return "pure" if _PURE else "c"
