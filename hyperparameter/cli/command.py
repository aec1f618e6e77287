"""A function as a command of ``launch``: its parameters, their types, defaults and help text
(from the signature, the annotations and the docstring).

A parameter with a default becomes an option (``--lr``), one without a positional; bools are
flags and sequences take several words (``nargs``); the help text is the docstring's line for
the parameter with its default.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import Loc
from ..errors import shown as shown_value
from ..schema import docstrings as _docstrings
from ..schema.fields import unwrap
from ..storage.keys import check_key
from .common import MISSING, dotted, show

__all__ = ["SEQUENCES", "Command", "Param", "command"]

_P = inspect.Parameter
SEQUENCES = (list, tuple, set, frozenset, Sequence)  # annotations that take several words
_RESERVED = {"help", "schema", "list_params", "explain_param"}


@dataclass
class Param:
    name: str
    loc: Loc
    kind: Any
    target: Any  # the annotation, else the default's type, else None (untyped)
    default: Any  # MISSING for a required parameter
    help: str
    option: str | None = None  # None: positional
    nargs: Literal["one", "flag", "many"] = "one"

    @property
    def key(self) -> str:
        return dotted(self.loc)


@dataclass
class Command:
    fn: Callable[..., Any]
    name: str
    namespace: Loc
    doc: _docstrings.Docstring
    params: list[Param] = field(default_factory=list)

    @property
    def taken(self) -> set[str]:
        """The option strings of the parameters."""
        return {p.option for p in self.params if p.option is not None}


def _hints(fn: Any) -> dict[str, Any]:
    target = vars(fn).get("__init__", fn) if isinstance(fn, type) else fn
    target = getattr(target, "_auto_param_wrapped", target)
    try:
        return typing.get_type_hints(target)
    except Exception:  # unresolvable string annotations: the defaults' types, as auto_param
        return {}


def command(fn: Callable[..., Any]) -> Command:
    name = getattr(fn, "__name__", None)
    if not callable(fn) or not isinstance(name, str):
        raise TypeError(f"launch() takes functions or classes, not {shown_value(fn)}")
    namespace = check_key(getattr(fn, "_auto_param_namespace", name))
    doc = _docstrings.parse(inspect.getdoc(fn))
    if isinstance(fn, type):
        init_doc = _docstrings.parse(inspect.getdoc(getattr(fn, "__init__", None)))
        doc.params.update({k: v for k, v in init_doc.params.items() if k not in doc.params})
    cmd = Command(fn, name, tuple(namespace.split(".")), doc)
    hints = _hints(fn)
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (_P.VAR_POSITIONAL, _P.VAR_KEYWORD):
            continue
        target = hints.get(p.name)
        if target is None and p.default is not _P.empty and p.default is not None:
            target = type(p.default)
        default = MISSING if p.default is _P.empty else p.default
        param = Param(p.name, (*cmd.namespace, p.name), p.kind, target, default, "")
        base = unwrap(target)
        if base is bool:
            param.nargs = "flag"
        elif base in SEQUENCES or typing.get_origin(base) in SEQUENCES:
            param.nargs = "many"
        if default is not MISSING:
            param.option = "--" + p.name.replace("_", "-")
            if p.name in _RESERVED:
                raise TypeError(
                    f"parameter {p.name!r} of {name}() clashes with the option {param.option} "
                    "of launch(); rename it"
                )
        param.help = _help(doc.params.get(p.name, ""), param)
        cmd.params.append(param)
    return cmd


def _help(text: str, p: Param) -> str:
    note = "required" if p.default is MISSING else f"default: {show(p.default)}"
    text = f"{text} ({note})" if text else f"({note})"
    return text.replace("%", "%%")  # argparse %-formats help strings
