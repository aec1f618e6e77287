"""The exception tree of hyperparameter.

::

    HyperparameterError(Exception)
    ├── ConfigFileError(ValueError)          .path .lineno .colno     unreadable or unparsable file
    ├── InterpolationError(ValueError)       .loc .chain .source      missing or cyclic ${…}
    ├── ConfigValidationError(ValueError)    .errors() -> [{loc, msg, type, input, source}]
    ├── ConversionError(ValueError)          .key .value .target .source
    ├── MissingParameterError(KeyError)      .key
    ├── InvalidKeyError(ValueError)          .key
    ├── SchemaError(TypeError)               the schema class itself is wrong
    └── ScopeError(RuntimeError)             unbalanced enter/exit, hash collision

Every class also derives from the stdlib category in parentheses, so ``except ValueError``
keeps working for callers that do not know this package.
"""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from typing import Any, TypedDict

__all__ = [
    "ConfigFileError",
    "ConfigValidationError",
    "ConversionError",
    "ErrorDetails",
    "HyperparameterError",
    "InterpolationError",
    "InvalidKeyError",
    "MissingParameterError",
    "SchemaError",
    "ScopeError",
]

Loc = tuple[str | int, ...]


def _make_repr() -> reprlib.Repr:
    r = reprlib.Repr()  # keyword arguments need Python 3.12
    r.maxlevel = 3
    r.maxstring = r.maxother = r.maxlong = 80
    r.maxlist = r.maxtuple = r.maxset = r.maxfrozenset = r.maxdeque = r.maxarray = 8
    r.maxdict = 6
    return r


_REPR = _make_repr()


def shown(value: object) -> str:
    """``repr(value)`` for a message, bounded: three levels, a few items, 80-character leaves.

    Iterative in effect (nothing deeper than ``maxlevel`` is visited), so any input prints; a
    ``repr`` that raises prints as ``<T instance at …>``. The exception keeps the value whole.
    """
    return _REPR.repr(value)


class HyperparameterError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigFileError(HyperparameterError, ValueError):
    """A configuration file that cannot be read or parsed."""

    #: The dotted key the problem is at (a duplicate key: ``"spec.selector"``), when it has one.
    key: str | None = None

    def __init__(
        self,
        message: str,
        path: str | None = None,
        lineno: int | None = None,
        colno: int | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.lineno = lineno
        self.colno = colno
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.path or "<string>"
        if self.lineno is not None:
            where += f":{self.lineno}"
            if self.colno is not None:
                where += f":{self.colno}"
        return f"{where}: {self.message}"


class InterpolationError(HyperparameterError, ValueError):
    """A ``${…}`` reference that is missing or part of a cycle."""

    def __init__(
        self,
        message: str,
        loc: Loc = (),
        chain: Sequence[str] = (),
        source: str | None = None,
    ) -> None:
        self.message = message
        self.loc = loc
        self.chain = tuple(chain)
        self.source = source
        prefix = f"{source}: " if source else ""
        key = ".".join(str(p) for p in loc)
        super().__init__(f"{prefix}{key}: {message}" if key else f"{prefix}{message}")


class ErrorDetails(TypedDict):
    """One finding of a :class:`ConfigValidationError`."""

    loc: Loc
    msg: str
    type: str
    input: Any
    source: str | None


# Findings whose input says nothing the message does not.
_NO_INPUT = frozenset({"extra_forbidden", "missing", "interpolation"})


class ConfigValidationError(HyperparameterError, ValueError):
    """Every validation, coercion and interpolation error of one load, collected."""

    def __init__(self, title: str, errors: Sequence[ErrorDetails]) -> None:
        self.title = title
        self._errors = list(errors)
        super().__init__(self._format())

    def errors(self) -> list[ErrorDetails]:
        """The findings as a list of dicts: ``loc``, ``msg``, ``type``, ``input``, ``source``."""
        return [dict(e) for e in self._errors]  # type: ignore[misc]

    def _format(self) -> str:
        n = len(self._errors)
        head = f"{n} error{'s' if n != 1 else ''} {self.title}".rstrip()
        lines = [head]
        for e in self._errors:
            key = ".".join(str(p) for p in e["loc"]) or "<root>"
            where = f"{e['source']}: " if e.get("source") else ""
            given = "" if e["type"] in _NO_INPUT else f" [input={shown(e.get('input'))}]"
            lines.append(f"  {where}{key}: {e['msg']}{given}")
        return "\n".join(lines)


class ConversionError(HyperparameterError, ValueError):
    """A value that cannot be converted to the type its reader asked for."""

    def __init__(
        self,
        key: str | None,
        value: Any,
        target: Any,
        reason: str = "",
        source: str | None = None,
    ) -> None:
        self.key = key
        self.value = value
        self.target = target
        self.reason = reason
        self.source = source
        name = target.__name__ if isinstance(target, type) else repr(target).replace("typing.", "")
        msg = f"cannot convert {shown(value)} to {name}"
        if reason:
            msg += f": {reason}"
        if key:
            msg = f"{key}: {msg}"
        if source:
            msg = f"{source}: {msg}"
        super().__init__(msg)


class MissingParameterError(HyperparameterError, KeyError):
    """A required parameter that no scope sets."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)

    def __str__(self) -> str:
        return f"missing parameter {self.key!r}: no scope sets it and no default was given"


class InvalidKeyError(HyperparameterError, ValueError):
    """A key outside the grammar: dotted segments of identifiers, integers or ``a-b`` names."""

    def __init__(self, key: object, reason: str = "") -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"invalid key {key!r}" + (f": {reason}" if reason else ""))


class SchemaError(HyperparameterError, TypeError):
    """The schema class itself is wrong: not a dataclass or model, or an unsupported type."""


class ScopeError(HyperparameterError, RuntimeError):
    """Scopes used out of order, or two keys sharing one hash."""
