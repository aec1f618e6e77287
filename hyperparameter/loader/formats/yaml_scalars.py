"""What a YAML scalar means in the core schema: the tags, the implicit resolution of plain
scalars (ruamel's YAML 1.2 table), and the construction of a scalar's value."""

from __future__ import annotations

import re
import sys
from typing import Any

from ruamel.yaml.nodes import ScalarNode

from .yaml_read import _CORE, _NULL, _Constructor, _Fail

__all__ = ["construct_scalar", "resolve_tag"]

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


def resolve_tag(value: str) -> str:
    """The tag of a plain (untagged, unquoted) scalar."""
    for candidate, match in _IMPLICIT.get(value[:1], ()):
        if match(value):
            return candidate
    return _STR


def construct_scalar(ctor: _Constructor, tag: str, value: str, event: Any) -> Any:
    """The value of a scalar with its resolved ``tag`` (``event`` gives the marks for errors)."""
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
    return _Constructor.yaml_constructors[tag](ctor, node)
