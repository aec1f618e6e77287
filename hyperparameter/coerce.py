"""The one coercion table (DESIGN §5), shared by the accessor, auto_param, the CLI, env and the
dataclass adapter.

- bool: bool; int 0 or 1; str true/false/yes/no/on/off/1/0/t/f/y/n (any case).
  Rejected: other ints and strings, floats.
- int: int; integral float; str of an int or integral float ("1_000", "1e3").
  Rejected: "3.7", "abc", bool.
- float: int, float; str of a number incl. inf/nan. Rejected: "abc", bool.
- str: str. Rejected: numbers, bools, containers.
- list/tuple/set: a sequence; a string in YAML flow form ("[1, 2]"). Rejected: scalars.

Override strings (``-D``, ``k=v``, env) arrive as :class:`Raw`: typed by whoever reads them,
and parsed as a YAML 1.2 flow scalar when the reader declares no type.
"""

from __future__ import annotations

import datetime as _dt
import enum
import math
import re
import types
import typing
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any, Literal, Union

from .errors import ConversionError

__all__ = ["Raw", "coerce", "parse_scalar", "untyped"]


class Raw:
    """An override string not yet typed: ``-D model.lr=0.1`` stores ``Raw("0.1")``."""

    __slots__ = ("source", "text")

    def __init__(self, text: str, source: str | None = None) -> None:
        self.text = text
        self.source = source

    def __repr__(self) -> str:
        return f"Raw({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Raw) and other.text == self.text

    def __hash__(self) -> int:
        return hash(("Raw", self.text))


class Suggested:
    """A value computed each time it is read (0.6's ``Suggester``): ``tune.suggest_from(fn)``
    and ``tune.lazy_dispatch(trial).suggest_float(...)`` store one, and every untyped or
    coerced read (``ps.x()``, ``ps.x | 0.0``, ``@auto_param``) calls ``fn()``."""

    __slots__ = ("fn",)

    def __init__(self, fn: Any) -> None:
        if not callable(fn):
            raise TypeError(f"suggest_from() takes a callable, not {type(fn).__name__}")
        self.fn = fn

    def __repr__(self) -> str:
        return f"Suggested({self.fn!r})"


TRUE_WORDS = frozenset({"true", "yes", "on", "1", "t", "y"})
FALSE_WORDS = frozenset({"false", "no", "off", "0", "f", "n"})

# YAML 1.2 core schema, plain scalars.
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")


#: Bounds of a flow value, as for a file (docs/reliability.md): nesting, and what aliases
#: stand for.
_FLOW_DEPTH = 1000
_FLOW_NODES = 1_000_000
_CORE_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)


def _flow_nodes(root: Any) -> bool:
    """Whether the composed node graph holds only core tags and stands for at most
    :data:`_FLOW_NODES` nodes with its aliases expanded (iterative: shared nodes count each
    time they are used)."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        count += 1
        if count > _FLOW_NODES or node.tag not in _CORE_TAGS:
            return False
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
    return True


def _parse_flow(text: str) -> Any:
    """A flow collection or quoted scalar, read as a value of a YAML 1.2 file is read: core
    tags only, duplicate keys refused, nesting and alias expansion bounded. Text that is not
    such a value stays text. (ruamel is imported on first use.)"""
    depth = deepest = 0
    for ch in text:  # quoted brackets count too: only ever refuses more
        depth += ch in "[{"
        depth -= ch in "]}"
        deepest = max(deepest, depth)
    if deepest > _FLOW_DEPTH:
        return text
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=True)
    try:
        node = yaml.compose(text)
        if node is None or not _flow_nodes(node):
            return text
        return yaml.constructor.construct_document(node)
    except (YAMLError, RecursionError, ValueError, TypeError):
        return text


def parse_scalar(text: str) -> Any:
    """Parses ``text`` as a YAML 1.2 flow node: ``0.1`` float, ``true`` bool, ``[1, 2]`` list,
    ``abc`` str, ``null`` None."""
    s = text.strip()
    if s in _NULL:
        return None
    if s in _BOOL:
        return _BOOL[s]
    if _INT.match(s):
        return int(s)
    if _OCT.match(s):
        return int(s[2:], 8)
    if _HEX.match(s):
        return int(s[2:], 16)
    if _FLOAT.match(s):
        return float(s)
    if _INF.match(s):
        return -math.inf if s[0] == "-" else math.inf
    if _NAN.match(s):
        return math.nan
    if s[0] in "[{\"'":
        return _parse_flow(s)
    return text


def untyped(value: Any) -> Any:
    """A value read with no declared type: raw strings are parsed, everything else is as is."""
    if type(value) is Raw:
        return parse_scalar(value.text)
    if type(value) is Suggested:
        return untyped(value.fn())
    return value


def _target_name(target: Any) -> str:
    if isinstance(target, type):
        return target.__name__
    return repr(target).replace("typing.", "")


class _Fail(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        if v in (0, 1):
            return bool(v)
        raise _Fail("only the ints 0 and 1 are booleans")
    if isinstance(v, str):
        s = v.strip().lower()
        if s in TRUE_WORDS:
            return True
        if s in FALSE_WORDS:
            return False
        raise _Fail("expected one of true/false, yes/no, on/off, 1/0, t/f, y/n")
    raise _Fail(f"{type(v).__name__} is not a boolean")


def _to_int(v: Any) -> int:
    if isinstance(v, bool):
        raise _Fail("a bool is not an int")
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if v.is_integer():
            return int(v)
        raise _Fail("the float has a fractional part")
    if isinstance(v, str):
        s = v.strip()
        try:
            return int(s)
        except ValueError:
            pass
        try:
            d = Decimal(s)
        except InvalidOperation:
            raise _Fail("not a number") from None
        if d.is_finite() and d == d.to_integral_value():
            return int(d)
        raise _Fail("not an integral number")
    raise _Fail(f"{type(v).__name__} is not an int")


def _to_float(v: Any) -> float:
    if isinstance(v, bool):
        raise _Fail("a bool is not a float")
    if isinstance(v, (int, float)):
        try:
            return float(v)
        except OverflowError:
            raise _Fail("too large for a float") from None
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            raise _Fail("not a number") from None
    raise _Fail(f"{type(v).__name__} is not a float")


def _to_str(v: Any) -> str:
    if isinstance(v, str):
        return v
    raise _Fail(f"{type(v).__name__} is not a string")


def _sequence(v: Any) -> Sequence[Any] | set[Any] | frozenset[Any]:
    if isinstance(v, str):
        s = v.strip()
        if s.startswith("["):
            parsed = _parse_flow(s)
            if isinstance(parsed, list):
                return parsed
        raise _Fail("a string is not a sequence (write it in flow form: [a, b])")
    if isinstance(v, (list, tuple, set, frozenset)):
        return v
    raise _Fail(f"{type(v).__name__} is not a sequence")


def _convert(v: Any, target: Any, raw: bool) -> Any:
    if target is Any or target is object:
        return parse_scalar(v) if raw else v
    origin = typing.get_origin(target)
    if origin is typing.Annotated:
        return _convert(v, typing.get_args(target)[0], raw)
    if origin is Union or origin is types.UnionType:
        return _convert_union(v, typing.get_args(target), raw)
    if origin is Literal:
        return _convert_literal(v, typing.get_args(target), raw)
    if origin is not None:
        return _convert_generic(v, origin, typing.get_args(target), raw)
    if target is type(None):
        if v is None or (raw and parse_scalar(v) is None):
            return None
        raise _Fail("expected null")
    if not isinstance(target, type):
        raise _Fail(f"unsupported target type {target!r}")
    if target is bool:
        return _to_bool(v)
    if target is int:
        return _to_int(v)
    if target is float:
        return _to_float(v)
    if target is str:
        return _to_str(v)
    if target in (list, tuple, set, frozenset):
        return target(_sequence(v))
    if target is dict:
        if isinstance(v, Mapping):
            return dict(v)
        if isinstance(v, str) and v.strip().startswith("{"):
            parsed = _parse_flow(v.strip())
            if isinstance(parsed, dict):
                return parsed
        raise _Fail(f"{type(v).__name__} is not a mapping")
    if isinstance(v, target):
        return v
    if issubclass(target, enum.Enum):
        return _convert_enum(v, target)
    if issubclass(target, PurePath) and isinstance(v, str):
        return target(v)
    if target in (_dt.datetime, _dt.date, _dt.time) and isinstance(v, str):
        try:
            return target.fromisoformat(v.strip())
        except ValueError:
            raise _Fail(f"not an ISO 8601 {target.__name__}") from None
    raise _Fail(f"{type(v).__name__} is not {target.__name__}")


def _convert_enum(v: Any, target: type[enum.Enum]) -> Any:
    for member in target:
        if member.value == v or (isinstance(v, str) and member.name == v):
            return member
    if isinstance(v, str):
        for member in target:
            if str(member.value) == v:
                return member
    names = ", ".join(repr(m.value) for m in target)
    raise _Fail(f"expected one of {names}")


def _convert_union(v: Any, args: tuple[Any, ...], raw: bool) -> Any:
    if v is None and type(None) in args:
        return None
    if raw and type(None) in args and parse_scalar(v) is None:
        return None
    if not raw:  # a value that already has one of the types keeps it; raw text goes in order
        for arg in args:
            if isinstance(arg, type) and type(v) is arg:
                return v
    reasons = []
    for arg in args:
        if arg is type(None):
            continue
        try:
            return _convert(v, arg, raw)
        except _Fail as e:
            reasons.append(f"{_target_name(arg)}: {e.reason}")
    raise _Fail("; ".join(reasons))


def _convert_literal(v: Any, choices: tuple[Any, ...], raw: bool) -> Any:
    for c in choices:
        if type(v) is type(c) and v == c:
            return c
    if isinstance(v, str):
        for c in choices:
            try:
                if _convert(v, type(c), raw) == c:
                    return c
            except _Fail:
                continue
    raise _Fail("expected one of " + ", ".join(repr(c) for c in choices))


def _convert_generic(v: Any, origin: Any, args: tuple[Any, ...], raw: bool) -> Any:
    if origin in (list, tuple, set, frozenset, Sequence):
        items = _sequence(v)
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            seq = list(items)
            if len(seq) != len(args):
                raise _Fail(f"expected {len(args)} items, got {len(seq)}")
            return tuple(_convert(x, a, raw) for x, a in zip(seq, args, strict=True))
        item_t = args[0] if args else Any
        converted = [_convert(x, item_t, raw) for x in items]
        return list(converted) if origin is Sequence else origin(converted)
    if origin in (dict, Mapping):
        m = _convert(v, dict, raw)
        kt, vt = args if len(args) == 2 else (Any, Any)
        return {_convert(k, kt, raw): _convert(x, vt, raw) for k, x in m.items()}
    if origin is type:
        if isinstance(v, type):
            return v
        raise _Fail("expected a class")
    if isinstance(origin, type) and isinstance(v, origin):
        return v
    raise _Fail(f"unsupported target type {target_repr(origin)}")


def target_repr(target: Any) -> str:
    """How a target type is named in messages."""
    return _target_name(target)


def coerce(value: Any, target: Any, key: str | None = None, source: str | None = None) -> Any:
    """Converts ``value`` to ``target`` by the table; ``None`` passes through untouched.

    Raises :class:`ConversionError` naming key, value, target and source on failure.
    """
    if type(value) is Suggested:
        value = value.fn()
    if value is None:
        return None
    raw = type(value) is Raw
    v = value.text if raw else value
    if raw and source is None:
        source = value.source
    try:
        return _convert(v, target, raw)
    except _Fail as e:
        raise ConversionError(key, v, target, e.reason, source) from None
    except RecursionError:
        raise ConversionError(key, v, target, "value nested too deeply", source) from None
