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
reads only regular files of at most :data:`MAX_FILE_BYTES`.
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import functools
import json
import os
import re
import stat
import sys
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Literal, NoReturn, TypeVar, cast

import tomli
from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.docinfo import DocInfo
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.parser import Parser as PureParser
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scanner import Scanner, ScannerError

from .errors import ConfigFileError, Loc

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "Format",
    "Position",
    "format_for",
    "max_file_bytes",
    "parse",
    "positions",
    "read_bytes",
    "yaml_backend",
    "yaml_representer",
]

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


def max_file_bytes() -> int:
    """The size limit of :func:`read_bytes`: ``HYPERPARAMETER_MAX_FILE_BYTES`` when set (a
    positive integer, bytes), else :data:`MAX_FILE_BYTES`."""
    text = os.environ.get("HYPERPARAMETER_MAX_FILE_BYTES", "").strip()
    if not text:
        return MAX_FILE_BYTES
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if limit <= 0:
        raise ValueError(
            f"HYPERPARAMETER_MAX_FILE_BYTES must be a positive number of bytes, not {text!r}"
        )
    return limit


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of ``path``; an unreadable file is a :class:`ConfigFileError`.

    Only a regular file is read, and only up to :func:`max_file_bytes`: a FIFO, a socket, a
    device (``/dev/zero``, ``/dev/urandom``) or a directory, also through a symlink, and a file
    over the limit are refused before anything is read, so none can hang or exhaust memory.
    """
    name = os.fspath(path)
    limit = max_file_bytes()
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it.
        fd = os.open(name, os.O_RDONLY | _OPEN_FLAGS)
    except OSError as e:
        raise ConfigFileError(f"cannot read the file: {e.strerror or e}", name) from None
    try:
        info = os.fstat(fd)  # the opened file itself: no race with a swapped symlink
        if stat.S_ISDIR(info.st_mode):
            raise ConfigFileError(f"cannot read the file: {os.strerror(errno.EISDIR)}", name)
        if not stat.S_ISREG(info.st_mode):
            what = _FILE_KINDS.get(stat.S_IFMT(info.st_mode), "special file")
            raise ConfigFileError(f"cannot read the file: not a regular file ({what})", name)
        if info.st_size > limit:
            raise _too_big(name, limit)
        chunks = []
        size = 0
        want = info.st_size + 1  # one read for a file that keeps its size (the common case)
        while size <= limit:  # it may grow after fstat: read at most limit + 1 bytes
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            want = min(limit + 1 - size, 1 << 20)
        if size > limit:
            raise _too_big(name, limit)
        return b"".join(chunks)
    except OSError as e:
        raise ConfigFileError(f"cannot read the file: {e.strerror or e}", name) from None
    finally:
        os.close(fd)


_OPEN_FLAGS = sum(getattr(os, flag, 0) for flag in ("O_NONBLOCK", "O_BINARY", "O_CLOEXEC"))
_FILE_KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def _too_big(name: str, limit: int) -> ConfigFileError:
    return ConfigFileError(
        f"cannot read the file: larger than {limit:,} bytes "
        "(the limit; HYPERPARAMETER_MAX_FILE_BYTES raises it)",
        name,
    )


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
            return _yaml_positions(text, path)
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


# ----------------------------------------------------------------------------------- YAML

# ruamel picks its C parser (ruamel.yaml.clib) for typ="safe" when it can import it.
_PURE = YAML(typ="safe").Parser is PureParser

# The C parser is libyaml, whose grammar is YAML 1.1's: it refuses some valid YAML 1.2 (unknown
# directives, `[:x]`, `{"a":b}`, `&a:b` anchors...) and reads a few constructs wrongly. A text
# it refuses is read again by ruamel's pure parser (closer to 1.2); a text holding one of the
# constructs libyaml misreads goes to the pure parser straight away (see _libyaml_misreads).
_ANCHOR_COLON = re.compile(r"[&*][^\s\[\]{},]*:")
_GLUED_HEADER = re.compile(r"(?<!\S)[|>][-+0-9]{0,2}\Z")
_SPACE_OR_BREAK = frozenset(" \t\r\n\x85\u2028\u2029\ufeff")


class _Scanner(Scanner):
    """ruamel's pure scanner, refusing what YAML 1.2 refuses and it takes: a comment glued to
    the token before it (``"a"#c``, ``[a]#c``, ``a,#c``: a ``#`` needs white space before
    it), and a byte order mark inside the text (it would become part of a key). It also
    refuses, as libyaml does, a ``:`` right before ``,``, ``]`` or ``}`` in a flow collection
    (``{a:, b: 1}``): YAML 1.2 reads it as an empty value, this scanner as part of the key."""

    def scan_plain(self) -> Any:
        token = super().scan_plain()
        if self.flow_level and token.value.endswith(":") and self.reader.peek() in ",[]{}":
            mark = self.reader.get_mark()
            raise ScannerError(
                "while scanning a plain scalar", token.start_mark, "found unexpected ':'", mark
            )
        return token

    def scan_to_next_token(self) -> Any:
        reader = self.reader
        pointer = reader.pointer
        if pointer:
            ch = reader.buffer[pointer]
            if ch == "#" and reader.buffer[pointer - 1] not in _SPACE_OR_BREAK:
                mark = reader.get_mark()
                raise ScannerError(None, None, "a comment needs white space before '#'", mark)
            if ch == "\ufeff":
                mark = reader.get_mark()
                raise ScannerError(None, None, "a byte order mark inside the text", mark)
        return super().scan_to_next_token()


class _Composer(Composer):
    """ruamel's composer without its warning for a redefined anchor (YAML allows one: a later
    alias refers to the latest definition)."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader=loader)
        self.warn_double_anchors = False


_CORE = "tag:yaml.org,2002:"
_MERGE = _CORE + "merge"
_NULL = _CORE + "null"


class _Fail(Exception):
    """A YAML error found by our constructor, with the node mark it belongs to (and the
    ``loc`` of the key it is about, if any)."""

    def __init__(self, message: str, mark: Any, loc: Loc | None = None) -> None:
        self.message = message
        self.mark = mark
        self.loc = loc


def _tag_text(tag: str) -> str:
    if tag.startswith(_CORE):
        return "!!" + tag[len(_CORE) :]
    return tag if tag.startswith("!") else f"!<{tag}>"


def _checked(kind: str, method: Callable[..., Any]) -> Callable[[Any, Any], Any]:
    """A core constructor whose bad input (``!!int abc``, ``2024-13-45``) becomes a located
    error instead of a bare ``ValueError``."""

    def construct(self: Any, node: Any) -> Any:
        try:
            return method(self, node)
        except (ValueError, KeyError, TypeError) as e:
            reason = f": {e}" if isinstance(e, ValueError) else ""
            message = f"invalid {kind} {_short(node.value)!r}{_short(reason)}"
            raise _Fail(message, node.start_mark) from None

    return construct


class _Constructor(SafeConstructor):
    """ruamel's safe constructor narrowed to the YAML 1.2 core tags: what :class:`_Builder`
    uses for scalars beyond its fast paths, and what :func:`positions` uses for keys. Refused
    tags construct to None (never run), ``<<`` merges are bounded, duplicate keys located. Its
    tag tables are its own, so constructors registered on ruamel's classes by other code
    never reach it."""

    yaml_constructors: dict[Any, Any] = {}  # noqa: RUF012  (filled below: the allowlist)
    yaml_multi_constructors: dict[Any, Any] = {}  # noqa: RUF012  (none: no tag prefixes)

    def __init__(self, preserve_quotes: bool | None = None, loader: Any = None) -> None:
        super().__init__(preserve_quotes=preserve_quotes, loader=loader)
        self.merged = 0

    def construct_undefined(self, node: Any) -> None:
        return None  # a refused tag: parse() reports it, positions() only needs the key

    def flatten_mapping(self, node: Any) -> Any:
        """Resolves ``<<`` merge keys into ``node.merge`` (the merged pairs, own keys win)."""
        merge: list[Any] = []
        first_merge: Any = None
        index = 0
        while index < len(node.value):
            key_node, value_node = node.value[index]
            if key_node.tag != _MERGE:
                index += 1
                continue
            if first_merge is not None:
                _raise_duplicate(("<<",), first_merge.start_mark, key_node.start_mark)
            first_merge = key_node
            del node.value[index]
            if isinstance(value_node, MappingNode):
                sources = [value_node]
            elif isinstance(value_node, SequenceNode):
                sources = list(value_node.value)
            else:
                message = "a '<<' merge key needs a mapping or a list of mappings"
                raise _Fail(message, key_node.start_mark)
            for source in reversed(sources):  # earlier sources win over later ones
                if not isinstance(source, MappingNode):
                    message = "a '<<' merge key needs a mapping or a list of mappings"
                    raise _Fail(message, key_node.start_mark)
                self.flatten_mapping(source)
                merge.extend(source.value)
        if merge:
            # One key node merged twice (`<<: [*m, *m]`, or through two merges of the same
            # mapping) keeps only its last, winning entry: merges then stay as long as the
            # distinct keys written in the file and cannot double level after level.
            seen: set[int] = set()
            unique = []
            for pair in reversed(merge):
                if id(pair[0]) not in seen:
                    seen.add(id(pair[0]))
                    unique.append(pair)
            merge = unique[::-1]
            self.merged += len(merge)
            if self.merged > MAX_ALIAS_NODES:
                raise _Fail(
                    f"'<<' merges expand to more than {MAX_ALIAS_NODES:,} keys", node.start_mark
                )
            node.merge = merge
            node.value = merge + node.value

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if not isinstance(node, MappingNode):
            raise _Fail(f"expected a mapping, found a {node.id}", node.start_mark)
        self.flatten_mapping(node)
        merged = getattr(node, "merge", None) or ()
        mapping: dict[Any, Any] = {}
        seen: dict[Any, Any] = {}
        for i, (key_node, value_node) in enumerate(node.value):
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise _Fail("a mapping key must be a scalar", key_node.start_mark)
            if i >= len(merged):  # an own key: merged keys may be overridden, own ones not
                if key in seen:
                    _raise_duplicate((key,), seen[key].start_mark, key_node.start_mark)
                seen[key] = key_node
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


def _raise_duplicate(loc: Loc, first: Any, again: Any) -> NoReturn:
    message = _duplicate_message(
        loc[-1], (first.line + 1, first.column + 1), (again.line + 1, again.column + 1)
    )
    raise _Fail(message, again, loc)


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


_Constructor.yaml_constructors = {
    _NULL: SafeConstructor.construct_yaml_null,
    _CORE + "bool": _checked("boolean", SafeConstructor.construct_yaml_bool),
    _CORE + "int": _checked("integer", SafeConstructor.construct_yaml_int),
    _CORE + "float": _checked("float", SafeConstructor.construct_yaml_float),
    _CORE + "timestamp": _checked("timestamp", SafeConstructor.construct_yaml_timestamp),
    _CORE + "str": SafeConstructor.construct_yaml_str,
    _CORE + "seq": SafeConstructor.construct_yaml_seq,
    _CORE + "map": SafeConstructor.construct_yaml_map,
    None: _Constructor.construct_undefined,
}


def _new_yaml(pure: bool | None = None) -> YAML:
    """A safe loader with our constructor; ``pure`` chooses ruamel's pure parser (default: the
    pure one only when the C one is not installed)."""
    pure = _PURE if pure is None else pure
    yaml = YAML(typ="safe", pure=pure)
    yaml.Constructor = _Constructor
    if pure:
        yaml.Scanner = _Scanner
        yaml.Composer = _Composer
    return yaml


def _pure_first(text: str) -> bool:
    """Whether ``text`` is read by the pure parser from the start."""
    return _PURE or _libyaml_misreads(text)


def _libyaml_misreads(text: str) -> bool:
    """Whether ``text`` may hold a construct libyaml reads wrongly: an anchor or alias whose
    name holds ``:`` (``&an:chor value`` is the anchor ``an`` of ``:chor value`` to libyaml),
    or a ``#`` glued to a closing quote, a flow indicator, a block scalar header or a directive
    (a comment needs white space before it; libyaml takes it anyway, and so does the pure
    parser but for headers and directives: ``_Scanner`` refuses it). A false positive only
    costs the slower parser; the checks look at ``&``, ``*`` and ``#`` only, so a file
    without them costs three scans at C speed."""
    if "&" in text or "*" in text:
        for m in _ANCHOR_COLON.finditer(text):
            start = m.start()
            if start == 0 or text[start - 1] in " \t\r\n[{,":
                return True
    i = text.find("#", 1)
    while i > 0:
        before = text[i - 1]
        if before in "[]{},":
            return True
        if before in "\"'":  # a closing quote, unless it opens the scalar (`"#fff"`)
            if i < 2 or text[i - 2] not in " \t\r\n:[{,":
                return True
        elif before not in " \t\r\n":
            line = text.rfind("\n", 0, i) + 1
            if text[line] == "%" or _GLUED_HEADER.search(text, max(line, i - 4), i):
                return True
        i = text.find("#", i + 1)
    return False


def _yaml_run(text: str, path: str, run: Callable[[bool], _T]) -> _T:
    """``run(pure)`` with the parser ``text`` needs: the C one, unless the text holds a
    construct it misreads; a text the C parser refuses is read again by the pure one. Any
    failure becomes a :class:`ConfigFileError`; when both parsers refuse, the error found
    further into the text is reported (the C parser's at the same place)."""
    pure = _pure_first(text)
    try:
        return run(pure)
    except Exception as e:
        if pure or not isinstance(e, YAMLError):
            raise _yaml_error(e, text, path, pure) from None
        refused = _yaml_error(e, text, path, False)
    try:
        return run(True)
    except _Fail as e:  # the pure parser read further, up to a problem of ours
        raise _yaml_error(e, text, path, True) from None
    except Exception as e:
        again = _yaml_error(e, text, path, True)
    if isinstance(again, ConfigFileError) and _further(again, refused):
        raise again from None
    raise refused from None


def _further(a: Exception, b: Exception) -> bool:
    def at(e: Exception) -> tuple[int, int]:
        if not isinstance(e, ConfigFileError):
            return (0, 0)
        return (e.lineno or 0, e.colno or 0)

    return at(a) > at(b)


def _may_be_deep(text: str) -> bool:
    # A block collection nested in another starts at a larger column at least every second
    # level, and a flow collection needs a bracket: a file under this bound cannot nest
    # deeper than MAX_DEPTH, so only long-lined or bracket-heavy files pay for the exact check.
    longest = max(map(len, text.splitlines()), default=0)
    return 2 * (longest + 1) + text.count("[") + text.count("{") > MAX_DEPTH


def _yaml_depth_guard(text: str, pure: bool | None = None) -> None:
    """Rejects nesting beyond MAX_DEPTH before composing: the C composer recurses in C and
    would crash the interpreter on very deep input."""
    if not _may_be_deep(text):
        return
    depth = 0
    for event in _new_yaml(pure).parse(text):
        if isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Fail(f"nesting deeper than {MAX_DEPTH:,} levels", event.start_mark)
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            depth -= 1


def _parse_yaml(text: str, path: str) -> dict[str, Any]:
    data = _yaml_run(text, path, lambda pure: _Builder(text, pure).run())
    return {} if data is None else data


def _yaml_error(e: Exception, text: str, path: str, pure: bool | None = None) -> Exception:
    """The :class:`ConfigFileError` for a failure of the ``pure`` (or C) parser on ``text``;
    an exception of no known kind is returned as it is."""
    pure = _PURE if pure is None else pure
    if isinstance(e, _Fail):
        if e.loc is not None:
            return _key_error(e.message, e.loc, path, e.mark.line + 1, e.mark.column + 1)
        return ConfigFileError(e.message, path, e.mark.line + 1, e.mark.column + 1)
    if isinstance(e, RecursionError):
        hint = " (ruamel.yaml.clib reads up to 1,000 levels)" if _PURE else ""
        return ConfigFileError(f"nested too deeply for the YAML parser{hint}", path)
    if isinstance(e, ComposerError) and e.problem == "but found another document":
        mark = e.problem_mark
        return ConfigFileError(
            f"{_count_documents(text, pure)} documents; {_ONE_DOCUMENT}",
            path,
            mark.line + 1,
            mark.column + 1,
        )
    if isinstance(e, ReaderError):
        index = e.position
        if not pure:  # the C reader counts UTF-8 bytes
            index = len(text.encode("utf-8")[:index].decode("utf-8", "ignore"))
        line, col = _Lines(text).at(index)
        what = f"#x{e.character:04x}" if isinstance(e.character, int) else repr(e.character)
        return ConfigFileError(f"unacceptable character {what}: {e.reason}", path, line, col)
    if isinstance(e, MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        message = e.problem or e.context or "invalid YAML"
        if e.problem and e.context and e.context_mark is not None:
            where = f"{e.context_mark.line + 1}:{e.context_mark.column + 1}"
            message += f" ({e.context} at {where})"
        if mark is None:
            return ConfigFileError(message, path)
        return ConfigFileError(message, path, mark.line + 1, mark.column + 1)
    if isinstance(e, YAMLError):
        return ConfigFileError(str(e).strip() or "invalid YAML", path)
    return e


_ONE_DOCUMENT = (
    "a config file must be a single YAML document (choose one: hp.Document(path, n), or "
    "loads(..., document=n))"
)


def _count_documents(text: str, pure: bool | None = None) -> str:
    count = 0
    try:
        for event in _new_yaml(pure).parse(text):
            count += isinstance(event, DocumentStartEvent)
    except YAMLError:
        return f"at least {count}"
    return str(count)


# ------------------------------------------------------------------------ YAML: fast path

# parse() builds the data straight from the parser's events: no node graph is kept (a node
# with its marks costs hundreds of bytes, a file of small scalars ~80x its size), nesting is
# checked as containers open (nothing recurses), and aliases share the object built for their
# anchor. positions() (the slow path) still composes nodes.

_STR = _CORE + "str"
_INT = _CORE + "int"
_FLOAT = _CORE + "float"
_BOOL = _CORE + "bool"
_MAP = _CORE + "map"
_SEQ = _CORE + "seq"
_SCALAR_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL, _CORE + "timestamp"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False}
_BOOLS["FALSE"] = False
_DECIMAL = re.compile(r"[-+]?[0-9]+\Z")
_DECIMAL_FLOAT = re.compile(
    r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?\Z"
)
_CAP = MAX_ALIAS_NODES + 1  # node counts saturate here


def _implicit_table() -> dict[str, list[tuple[str, Any]]]:
    """ruamel's YAML 1.2 implicit resolvers by first character, as the safe loader uses them
    (a snapshot: resolvers other code registers later never reach it)."""
    from ruamel.yaml.resolver import implicit_resolvers

    table: dict[str, list[tuple[str, Any]]] = {}
    for versions, tag, regexp, first in implicit_resolvers:
        if (1, 2) in versions:
            # ruamel compiles lazily behind a proxy whose every attribute costs a call
            compiled = getattr(regexp, "lazy_self", lambda r=regexp: r)()
            for ch in first:
                table.setdefault(ch, []).append((str(tag), compiled.match))
    return table


_IMPLICIT = _implicit_table()


class _Open:
    """A mapping or sequence being built from events."""

    __slots__ = (
        "added",
        "anchor",
        "ignored",
        "inner",
        "is_map",
        "item_sizes",
        "key",
        "key_at",
        "key_merge",
        "mark",
        "merge_at",
        "merge_ctx",
        "merges",
        "positions",
        "refused",
        "size",
        "sizes",
        "value",
    )

    def __init__(self, is_map: bool, mark: Any, anchor: str | None, ignored: bool) -> None:
        self.is_map = is_map
        self.mark = mark
        self.anchor = anchor
        self.ignored = ignored  # under a refused tag: nothing is built or checked
        self.refused = False  # this container's own tag is refused (it becomes None)
        self.value: Any = {} if is_map else []
        self.size = 1  # nodes with every alias expanded (saturating at _CAP)
        self.added = 0  # of those, the nodes that aliases inside it stand for
        self.inner = 0  # the height of the highest child
        self.key: Any = _NO_KEY  # a mapping's pending key
        self.key_at: Any = None
        self.key_merge = False
        # where each own key is written, packed, in insertion order (for duplicate messages)
        self.positions: array[int] | None = array("q") if is_map else None
        self.merge_ctx = False  # the value of a `<<` key (or an item of one)
        self.sizes: dict[Any, int] | None = None  # key -> 1 + value size, for merge sources
        self.item_sizes: list[dict[Any, int] | None] | None = None
        self.merges: list[tuple[dict[Any, Any], dict[Any, int] | None]] | None = None
        self.merge_at: Any = None


_NO_KEY: Any = object()


class _Anchor:
    __slots__ = ("height", "open", "size", "sizes", "value")

    def __init__(self, value: Any, size: int, height: int, sizes: Any, open: Any) -> None:
        self.value = value
        self.size = size
        self.height = height
        self.sizes = sizes
        self.open = open  # the frame still being built (an alias to it is recursive)


def _pack(mark: Any) -> int:
    return mark.line << 32 | mark.column  # type: ignore[no-any-return]


class _Builder:
    """One YAML document built from parser events: core tags only (all refused tags of the
    document listed in one error), duplicate keys named with both positions, ``<<`` merges
    (own keys win, then earlier sources), nesting checked as containers open, aliases sharing
    their anchor's object and bounded by what they stand for, one document per file."""

    def __init__(self, text: str, pure: bool | None = None) -> None:
        self.text = text
        self.pure = _PURE if pure is None else pure
        self.yaml = _new_yaml(self.pure)
        self.ctor = _Constructor(loader=self.yaml)
        self.stack: list[_Open] = []
        self.anchors: dict[str, _Anchor] = {}  # name -> its latest definition
        self.refused: list[tuple[str, Any]] = []
        self.merged = 0
        self.too_high: Any = None  # the first node nested deeper than MAX_DEPTH through aliases
        self.too_many: Any = None  # the first node whose aliases stand for too many nodes
        self.root: Any = None
        self.root_mark: Any = None
        self.documents = 0
        self.resolved: dict[str, str] = {}  # plain scalar -> its tag

    def run(self) -> Any:
        scalar_event, alias_event = ScalarEvent, AliasEvent
        starts = {MappingStartEvent: True, SequenceStartEvent: False}
        ends = (MappingEndEvent, SequenceEndEvent)
        # what YAML.parse() does first: the pure scanner records a %YAML directive there
        self.yaml.doc_infos.append(DocInfo(requested_version=None))
        _, parser = self.yaml.get_constructor_parser(self.text)
        get_event, scalar = parser.get_event, self.scalar
        try:
            while True:
                event = get_event()
                kind = type(event)
                if kind is scalar_event:
                    scalar(event)
                elif kind is StreamEndEvent:
                    return self.finish()
                else:
                    self.other(event, kind, starts, ends, alias_event)
        finally:
            parser.dispose()

    def other(self, event: Any, kind: Any, starts: Any, ends: Any, alias_event: Any) -> None:
        """Every event but a scalar."""
        if kind in starts:
            self.start(event, starts[kind])
        elif kind in ends:
            self.end()
        elif kind is alias_event:
            self.alias(event)
        elif kind is DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                message = f"{_count_documents(self.text, self.pure)} documents; {_ONE_DOCUMENT}"
                raise _Fail(message, event.start_mark)

    def finish(self) -> Any:
        if self.refused:
            self.refused.sort(key=lambda r: (r[1].line, r[1].column))
            tag, mark = self.refused[0]
            message = (
                f"unsupported tag {tag!r}: only plain YAML data is loaded; "
                "application and Python tags are refused"
            )
            if len(self.refused) > 1:
                more = ", ".join(f"{m.line + 1}:{m.column + 1} {t!r}" for t, m in self.refused[1:])
                message += f" (also refused: {more})"
            raise _Fail(message, mark)
        if self.too_high is not None:
            message = f"nesting deeper than {MAX_DEPTH:,} levels (through aliases)"
            raise _Fail(message, self.too_high)
        if self.too_many is not None:
            raise _Fail(f"alias expansion exceeds {MAX_ALIAS_NODES:,} nodes", self.too_many)
        data = self.root
        if data is not None and not isinstance(data, dict):
            raise _Fail(f"expected a mapping at the top level, got {_kind(data)}", self.root_mark)
        return data

    # -- events ----------------------------------------------------------------------------

    def scalar(self, event: Any) -> None:
        stack = self.stack
        top = stack[-1] if stack else None
        if top is not None and top.ignored:
            if event.anchor is not None:
                self.anchors[event.anchor] = _Anchor(None, 1, 0, None, None)
            return
        tag = event.tag
        value = event.value
        if tag is None or tag == "!":
            if event.implicit[0]:
                tag = self.resolved.get(value)
                if tag is None:
                    tag = self.resolve(value)
            else:
                tag = _STR
        merge = False
        if tag is _STR:
            pass
        elif tag in _SCALAR_TAGS:
            if tag != _STR:
                value = self.construct(tag, value, event)
        elif tag == _MAP:
            raise _Fail("expected a mapping, found a scalar", event.start_mark)
        elif tag == _SEQ:
            raise _Fail("expected a sequence node, but found scalar", event.start_mark)
        elif tag == _MERGE and top is not None and top.is_map and top.key is _NO_KEY:
            merge = True
        else:
            self.refused.append((_tag_text(tag), event.start_mark))
            value = None
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(value, 1, 0, None, None)
        if top is not None and not top.is_map and top.item_sizes is None:
            top.value.append(value)  # the common case, inlined
            top.size += 1
            return
        self.add(value, 1, 0, event.start_mark, False, None, merge=merge)

    def start(self, event: Any, is_map: bool) -> None:
        top = self.stack[-1] if self.stack else None
        if len(self.stack) >= MAX_DEPTH:
            raise _Fail(f"nesting deeper than {MAX_DEPTH:,} levels", event.start_mark)
        ignored = top is not None and top.ignored
        refused = False
        tag = event.tag
        if not ignored and tag is not None and tag != "!" and tag != (_MAP if is_map else _SEQ):
            found = "mapping" if is_map else "sequence"
            if tag in _SCALAR_TAGS:
                raise _Fail(f"expected a scalar node, but found {found}", event.start_mark)
            if tag == _MAP:
                raise _Fail(f"expected a mapping, found a {found}", event.start_mark)
            if tag == _SEQ:
                raise _Fail(f"expected a sequence node, but found {found}", event.start_mark)
            self.refused.append((_tag_text(tag), event.start_mark))
            ignored = refused = True
        frame = _Open(is_map, event.start_mark, event.anchor, ignored)
        frame.refused = refused
        if top is not None and not ignored:
            frame.merge_ctx = (top.is_map and top.key is not _NO_KEY and top.key_merge) or (
                not top.is_map and top.merge_ctx
            )
            if frame.merge_ctx or event.anchor is not None:
                if is_map:
                    frame.sizes = {}
                else:
                    frame.item_sizes = []
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(None, 1, 0, None, frame)
        self.stack.append(frame)

    def end(self) -> None:
        frame = self.stack.pop()
        anchor = frame.anchor
        if anchor is not None and self.anchors[anchor].open is not frame:
            # redefined inside its own node (`&x [&x 1]`): an alias refers to the definition
            # written last, the inner one
            anchor = None
        if frame.ignored:
            if anchor is not None:
                self.anchors[anchor] = _Anchor(None, 1, 0, None, None)
            if frame.refused:
                self.add(None, 1, 1, frame.mark, False, None)
            return
        value = frame.value
        if frame.merges is not None:
            value = self.merge(frame)
        frame.size = min(frame.size, _CAP)  # sizes saturate: a billion laughs stays small
        frame.added = min(frame.added, _CAP)
        height = frame.inner + 1
        if height > MAX_DEPTH and self.too_high is None:
            self.too_high = frame.mark
        if frame.added > MAX_ALIAS_NODES and self.too_many is None:
            self.too_many = frame.mark
        sizes = frame.sizes if frame.is_map else frame.item_sizes
        if anchor is not None:
            self.anchors[anchor] = _Anchor(value, frame.size, height, sizes, None)
        self.add(value, frame.size, height, frame.mark, True, sizes, added=frame.added)

    def alias(self, event: Any) -> None:
        found = self.anchors.get(event.anchor)
        if found is None:
            raise _Fail(f"found undefined alias {event.anchor!r}", event.start_mark)
        top = self.stack[-1] if self.stack else None
        if top is not None and top.ignored:
            return
        if found.open is not None:
            raise _Fail("recursive alias: the node contains itself", found.open.mark)
        container = isinstance(found.value, (dict, list))
        mark = event.start_mark
        self.add(found.value, found.size, found.height, mark, container, found.sizes, found.size)

    # -- building --------------------------------------------------------------------------

    def add(
        self,
        value: Any,
        size: int,
        height: int,
        mark: Any,
        container: bool,
        sizes: Any,
        added: int = 0,
        merge: bool = False,
    ) -> None:
        """Adds a finished node to the open container (or makes it the document)."""
        if not self.stack:
            self.root, self.root_mark = value, mark
            return
        top = self.stack[-1]
        if added:
            top.added += added
        if not top.is_map:
            top.value.append(value)
            top.size += size
            if height > top.inner:
                top.inner = height
            if top.item_sizes is not None:
                top.item_sizes.append(sizes)
            return
        if top.key is _NO_KEY:  # this node is a key
            if container:
                raise _Fail("a mapping key must be a scalar", mark)
            if merge and top.merges is not None:
                _raise_duplicate(self.loc("<<"), top.merge_at, mark)
            top.key, top.key_at, top.key_merge = value, mark, merge
            return
        key, top.key = top.key, _NO_KEY
        if top.key_merge:
            self.merge_source(top, value, sizes, height)
            return
        mapping = top.value
        if key in mapping:
            assert top.positions is not None
            packed = top.positions[list(mapping).index(key)]
            first = SimpleNamespace(line=packed >> 32, column=packed & 0xFFFF_FFFF)
            _raise_duplicate(self.loc(key), first, top.key_at)
        mapping[key] = value
        assert top.positions is not None
        top.positions.append(_pack(top.key_at))
        top.size += 1 + size
        if height > top.inner:
            top.inner = height
        if top.sizes is not None:
            top.sizes[key] = 1 + size

    def loc(self, key: Any) -> Loc:
        """The ``loc`` of ``key`` in the innermost open mapping."""
        path = [f.key if f.is_map else len(f.value) for f in self.stack[:-1]]
        return (*path, key)

    def merge_source(self, top: _Open, value: Any, sizes: Any, height: int) -> None:
        message = "a '<<' merge key needs a mapping or a list of mappings"
        if isinstance(value, dict):
            sources = [(value, sizes)]
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            sources = list(zip(value, sizes or [None] * len(value), strict=True))
            height -= 1
        else:
            raise _Fail(message, top.key_at)
        top.merges, top.merge_at = sources, top.key_at
        top.inner = max(top.inner, height - 1)

    def merge(self, frame: _Open) -> dict[Any, Any]:
        """The mapping with its `<<` sources under its own keys; earlier sources win."""
        assert frame.merges is not None
        merged: dict[Any, Any] = {}
        sizes: dict[Any, int] = {}
        for source, source_sizes in reversed(frame.merges):
            merged.update(source)
            if source_sizes is not None:
                sizes.update(source_sizes)
        self.merged += len(merged)
        if self.merged > MAX_ALIAS_NODES:
            message = f"'<<' merges expand to more than {MAX_ALIAS_NODES:,} keys"
            raise _Fail(message, frame.mark)
        frame.size += min(sum(sizes.get(k, 2) for k in merged), _CAP)
        if frame.sizes is not None:
            frame.sizes = {**sizes, **frame.sizes}
        merged.update(frame.value)
        return merged

    def resolve(self, value: str) -> str:
        """The tag of a plain scalar (cached: configs repeat their keys and small values)."""
        tag = _STR
        for candidate, match in _IMPLICIT.get(value[:1], ()):
            if match(value):
                tag = candidate
                break
        if len(value) <= 32 and len(self.resolved) < 4096:
            self.resolved[value] = tag
        return tag

    def construct(self, tag: str, value: str, event: Any) -> Any:
        if tag == _NULL:
            return None
        if tag == _INT and _DECIMAL.match(value):
            try:
                return int(value)
            except ValueError:  # more digits than int() converts
                limit = sys.get_int_max_str_digits()
                message = f"an integer with more than {limit:,} digits"
                raise _Fail(message, event.start_mark) from None
        elif tag == _FLOAT and _DECIMAL_FLOAT.match(value):
            return float(value)
        elif tag == _BOOL and value in _BOOLS:
            return _BOOLS[value]
        node = ScalarNode(tag, value, start_mark=event.start_mark, end_mark=event.end_mark)
        return _Constructor.yaml_constructors[tag](self.ctor, node)


def _yaml_positions(text: str, path: str) -> dict[Loc, Position]:
    def compose(pure: bool) -> tuple[YAML, Any]:
        _yaml_depth_guard(text, pure)
        yaml = _new_yaml(pure)
        return yaml, yaml.compose(text)

    yaml, root = _yaml_run(text, path, compose)  # the parser parse() reads the text with
    if root is None:
        return {(): Position(1, 1, 1, 1)}
    keys = _Constructor(loader=yaml)
    line, col = root.start_mark.line + 1, root.start_mark.column + 1
    out: dict[Loc, Position] = {(): Position(line, col, line, col)}
    stack: list[tuple[Loc, Any]] = [((), root)]
    while stack and len(out) <= MAX_ALIAS_NODES:
        loc, node = stack.pop()
        if isinstance(node, MappingNode):
            for key, (key_node, value_node) in _effective_pairs(node, keys).items():
                child = (*loc, key)
                out[child] = _node_position(value_node, key_node)
                stack.append((child, value_node))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                child = (*loc, i)
                out[child] = _node_position(item, item)
                stack.append((child, item))
    return out


def _effective_pairs(node: Any, keys: _Constructor) -> dict[Any, tuple[Any, Any]]:
    """A mapping node's keys after ``<<`` merges (own keys win, earlier merge sources win),
    without changing the node."""
    pairs: dict[Any, tuple[Any, Any]] = {}
    own: list[tuple[Any, Any]] = []
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE:
            own.append((key_node, value_node))
            continue
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in reversed(sources):
            if isinstance(source, MappingNode):
                pairs.update(_effective_pairs(source, keys))
    for key_node, value_node in own:
        key = keys.construct_object(key_node, deep=True)
        if not isinstance(key, (list, dict)):
            pairs[key] = (key_node, value_node)
    return pairs


def _node_position(node: Node, key_node: Node) -> Position:
    key_line, key_col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
    if isinstance(node, ScalarNode) and node.tag == _NULL and node.value == "":
        # An empty value has no text of its own; the C and pure parsers disagree where it is.
        return Position(key_line, key_col, key_line, key_col)
    return Position(node.start_mark.line + 1, node.start_mark.column + 1, key_line, key_col)


# ------------------------------------------------------------------------- YAML: writing

# ruamel reads U+0085, U+2028 and U+2029 as line breaks (YAML 1.1), YAML 1.2 readers as text,
# and ruamel's writer leaves them bare in plain and single-quoted scalars: NEL loaded back as a
# space. Double-quoted, they are escapes (\N, \L, \P) that every reader takes alike.
_YAML_BREAKS = re.compile("[\x85\u2028\u2029]")


@functools.cache
def yaml_representer(base: type) -> type:
    """``base`` (a ruamel representer class: ``SafeRepresenter`` for ``dump``,
    ``RoundTripRepresenter`` for ``hp show --provenance``) with the one string rule of every
    YAML writer here: a string (a value or a key) holding U+0085, U+2028 or U+2029 is written
    double-quoted. A subclass, so ruamel's own tables stay untouched."""

    def represent_str(self: Any, data: str) -> Any:
        if _YAML_BREAKS.search(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return base.represent_str(self, data)  # type: ignore[attr-defined]

    representer = type(f"Escaping{base.__name__}", (base,), {"represent_str": represent_str})
    representer.yaml_representers = dict(base.yaml_representers)  # type: ignore[attr-defined]
    representer.add_representer(str, represent_str)  # type: ignore[attr-defined]
    return representer


# ----------------------------------------------------------------------------------- TOML


def _parse_toml(text: str, path: str) -> dict[str, Any]:
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
    value = tomli.loads(f"k = {raw}")["k"]  # the exact TOML escapes, from the parser itself
    assert isinstance(value, str)
    return value


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
