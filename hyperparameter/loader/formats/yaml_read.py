"""The YAML parsers (ruamel's C parser, and its pure one where the C one misreads YAML 1.2),
narrowed to the core schema: scanner and constructor fixes, parser choice, errors, and the
bounds checked before composing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NoReturn

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import MappingNode, SequenceNode
from ruamel.yaml.parser import Parser as PureParser
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scanner import Scanner, ScannerError

from ...errors import ConfigFileError, Loc
from .common import _T, MAX_ALIAS_NODES, MAX_DEPTH, _duplicate_message, _key_error, _Lines, _short

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
