"""The exception tree of hyperparameter.

::

    HyperparameterError(Exception)
    ├── ConfigFileError(ValueError)          .path .lineno .colno     unreadable or unparsable file
    ├── InterpolationError(ValueError)       .loc .chain .source      missing or cyclic ${…}
    ├── ConfigValidationError(ValueError)    .errors() -> [{loc, msg, type, input, source}]
    │   └── ConfigInterpolationError(InterpolationError)              a load whose ${…} failed
    ├── ConversionError(ValueError)          .key .value .target .source
    ├── OverrideError(ValueError)            .text .source            ``key=value`` without ``=``
    ├── MissingParameterError(KeyError)      .key
    ├── InvalidKeyError(ValueError)          .key
    ├── SchemaError(TypeError)               the schema class itself is wrong
    └── ScopeError(RuntimeError)             unbalanced enter/exit, hash collision

Every class also derives from the stdlib category in parentheses, so ``except ValueError``
keeps working for callers that do not know this package. Every class, and every subclass
defined later, survives ``pickle``, ``copy.copy`` and ``copy.deepcopy`` with its message and
fields (errors raised in a worker process reach the parent whole).

Keys in messages: the ``loc`` prefix is written as dotted segments (``model.lr``) when every
segment follows the key grammar (DESIGN §3), else the whole key is quoted with ``repr``
escapes (``'ab '``); a key named in the text of a message is always quoted.

Secrets — values read by ``${env:…}``, fields typed ``SecretStr`` — are never kept in an
error: messages, ``.errors()`` inputs and ``ConversionError.value`` hold a redacted stand-in,
``'**********' (from ${env:TOKEN})`` (:class:`Redacted`).
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypedDict

__all__ = [
    "ConfigFileError",
    "ConfigInterpolationError",
    "ConfigValidationError",
    "ConversionError",
    "ErrorDetails",
    "HyperparameterError",
    "InterpolationError",
    "InvalidKeyError",
    "MissingParameterError",
    "OverrideError",
    "SchemaError",
    "ScopeError",
]

Loc = tuple[str | int, ...]

#: What a secret is shown as.
MARKER = "**********"


def origin(names: Iterable[str]) -> str:
    """``${env:A}, ${env:B}``: how a message names the variables of a secret."""
    return ", ".join(f"${{env:{name}}}" for name in names)


class Redacted(str):
    """What a display shows instead of a secret: the text ``**********``, whose ``repr``
    names the variables it came from, ``'**********' (from ${env:TOKEN})``. ``names`` is
    empty for a value that is secret by its type."""

    names: tuple[str, ...]

    def __new__(cls, names: Iterable[str] = ()) -> Redacted:
        self = super().__new__(cls, MARKER)
        self.names = tuple(dict.fromkeys(names))
        return self

    def __repr__(self) -> str:
        return repr(MARKER) + (f" (from {origin(self.names)})" if self.names else "")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Redacted, (self.names,))


#: ``(key path, value) -> variable names`` of a secret the loader remembers, else None: set by
#: the loader (which knows what came from the environment), so that an error raised after a
#: load never shows a secret. None until something is loaded.
secret_names: Callable[[list[str], Any], tuple[str, ...] | None] | None = None


class _Repr(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:
        try:
            return super().repr_int(x, level)
        except ValueError:  # more digits than int -> str converts (sys.get_int_max_str_digits)
            return _long_int(x, self.maxlong)

    def repr_Redacted(self, x: Redacted, level: int) -> str:
        return repr(x)  # whole: the names of the variables are the point


def masked_url(url: str) -> str:
    """``url`` with its password (``postgresql://user:secret@host``) replaced by ``***``."""
    return re.sub(r"(://[^:/@\s]*:)[^@/\s]*@", r"\1***@", url)


def first_line(e: BaseException) -> str:
    """The first line of an error's message (SQLAlchemy adds a "Background on this error"
    line), or its class name when it has none."""
    lines = str(e).strip().splitlines()
    return lines[0].strip() if lines and lines[0].strip() else type(e).__name__


def _long_int(x: int, width: int) -> str:
    """An integer too long for ``repr``, as reprlib cuts long ones, with its digit count:
    ``1000...0000 (5,001 digits)``. Costs O(digits): no full conversion."""
    n = -x if x < 0 else x
    digits = max(1, int(n.bit_length() * 0.30102999566398120))  # log10(2): within one of it
    power = 10 ** (digits - 1)
    while power > n:
        digits -= 1
        power //= 10
    while power * 10 <= n:
        digits += 1
        power *= 10
    head_len = max(1, (width - 3) // 2)
    tail_len = max(1, width - 3 - head_len)
    head = str(n // 10 ** (digits - head_len))
    tail = str(n % 10**tail_len).zfill(tail_len)
    return f"{'-' if x < 0 else ''}{head}...{tail} ({digits:,} digits)"


def _make_repr() -> reprlib.Repr:
    r = _Repr()  # keyword arguments need Python 3.12
    r.maxlevel = 3
    r.maxstring = r.maxother = r.maxlong = 80
    r.maxlist = r.maxtuple = r.maxset = r.maxfrozenset = r.maxdeque = r.maxarray = 8
    r.maxdict = 6
    return r


_REPR = _make_repr()


def shown(value: object) -> str:
    """``repr(value)`` for a message, bounded: three levels, a few items, 80-character leaves.

    Iterative in effect (nothing deeper than ``maxlevel`` is visited), so any input prints; a
    ``repr`` that raises prints as ``<T instance at …>``, an integer beyond Python's conversion
    limit by its first and last digits and its length. The exception keeps the value whole.
    """
    return _REPR.repr(value)


_INT_SEGMENT = re.compile(r"[0-9]+\Z")


def _plain(segment: object) -> bool:
    """Whether ``segment`` follows the key grammar of ``_keys`` (DESIGN §3): an identifier,
    a non-negative integer, or identifier-like with ``-``."""
    if type(segment) is int:
        return segment >= 0
    if not isinstance(segment, str) or not segment:
        return False
    if _INT_SEGMENT.match(segment):
        return True
    return segment[0] != "-" and segment.replace("-", "_").isidentifier()


def _segment_text(segment: object) -> str:
    return shown(segment) if type(segment) is int else str(segment)


def key_text(loc: Sequence[object]) -> str:
    """``loc`` as the key prefix of a message: ``model.lr`` when every segment follows the
    key grammar, else the dotted key quoted with ``repr`` escapes (``'model.ab '``), so that
    spaces, empty segments, dots inside a segment and control characters show; ``<root>``
    for the empty ``loc``."""
    if not loc:
        return "<root>"
    text = ".".join(_segment_text(p) for p in loc)
    return text if all(_plain(p) for p in loc) else repr(text)


def quoted(key: object) -> str:
    """A key (or one segment) named in the text of a message: ``'act'``; a non-string key as
    its bounded ``repr`` (``0``)."""
    return repr(key) if isinstance(key, str) else shown(key)


def _rebuild(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    """The unpickling half of :meth:`HyperparameterError.__reduce__`: an instance of ``cls``
    made without calling ``__init__`` (its fields come back as the pickled state)."""
    error = cls.__new__(cls)
    error.args = args
    return error


class HyperparameterError(Exception):
    """Base class of every error this package raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # BaseException's own reduce calls ``cls(*self.args)``: the formatted message as the
        # first constructor argument, which fails (or garbles the text) for every class whose
        # constructor takes fields. Rebuilding from ``args`` and the instance's ``__dict__``
        # works for any constructor, including those of subclasses defined elsewhere.
        return (_rebuild, (type(self), self.args), dict(self.__dict__))


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
        key = f"{key_text(loc)}: " if loc else ""
        super().__init__(f"{prefix}{key}{message}")


class ErrorDetails(TypedDict):
    """One finding of a :class:`ConfigValidationError`."""

    loc: Loc
    msg: str
    type: str
    input: Any
    source: str | None


# Findings whose input says nothing the message does not.
NO_INPUT = frozenset({"extra_forbidden", "missing", "interpolation"})


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
            key = key_text(e["loc"])
            where = f"{e['source']}: " if e.get("source") else ""
            given = "" if e["type"] in NO_INPUT else f" [input={shown(e.get('input'))}]"
            lines.append(f"  {where}{key}: {e['msg']}{given}")
        return "\n".join(lines)


class ConfigInterpolationError(ConfigValidationError, InterpolationError):
    """A :class:`ConfigValidationError` with at least one interpolation failure among its
    findings, so that ``except InterpolationError`` catches it too. ``.loc``, ``.chain``,
    ``.source`` and ``.message`` are those of the first interpolation failure (``first``);
    ``.errors()`` and ``str()`` hold every finding of the load."""

    def __init__(
        self, title: str, errors: Sequence[ErrorDetails], first: InterpolationError
    ) -> None:
        self.title = title
        self._errors = list(errors)
        self.message = first.message
        self.loc = first.loc
        self.chain = first.chain
        self.source = first.source
        # Not the bases' constructors: each would format a message of its own.
        Exception.__init__(self, self._format())


class ConversionError(HyperparameterError, ValueError):
    """A value that cannot be converted to the type its reader asked for (``target``: a type,
    a typing form, or the name of what was asked for, e.g. ``"a TOML value"``)."""

    def __init__(
        self,
        key: str | None,
        value: Any,
        target: Any,
        reason: str = "",
        source: str | None = None,
    ) -> None:
        names = secret_names(key.split("."), value) if key and secret_names else None
        if names is not None:  # a value load filled from the environment: never kept here
            value = Redacted(names)
        self.key = key
        self.value = value
        self.target = target
        self.reason = reason
        self.source = source
        if isinstance(target, str):
            name = target
        elif isinstance(target, type):
            name = target.__name__
        else:
            name = repr(target).replace("typing.", "")
        msg = f"cannot convert {shown(value)} to {name}"
        if reason:
            msg += f": {reason}"
        if key:
            msg = f"{key_text(key.split('.'))}: {msg}"
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
        super().__init__(f"invalid key {quoted(key)}" + (f": {reason}" if reason else ""))


class OverrideError(HyperparameterError, ValueError):
    """An override (``-D``, ``overrides=[…]``, ``param_scope("…")``) that is not ``key=value``.
    ``.text`` is the override as given, ``.source`` where it was given (``-D model.lr``)."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        super().__init__(f"{source}: expected 'key=value', got {quoted(text)}")


class SchemaError(HyperparameterError, TypeError):
    """The schema class itself is wrong: not a dataclass or model, or an unsupported type."""


class ScopeError(HyperparameterError, RuntimeError):
    """Scopes used out of order, or two keys sharing one hash."""
