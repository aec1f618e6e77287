"""Hydra's sweeper grammar (DESIGN §12): the expressions of ``-m key=expr`` and of a sweep
file's ``params``, read into search-space dimensions::

    2,4,8   choice(2, 4, 8)           Choice       a comma list; one plain value is a choice of one
    range(16, 257, step=16)           IntRange     the stop excluded, as Hydra and Python
    range(0.0, 1.0, 0.25)             Choice       a float range is its values
    interval(0.0, 0.5)                Uniform
    tag(log, interval(1e-5, 1e-1))    Uniform      log-uniform; tags: log, int
    tag(int, interval(1, 10))         IntRange     the end included; sampled (not a grid)

Values read as YAML 1.2 plain scalars (``1e-3``, ``true``, ``null``, ``gelu``); a quoted
string keeps its text (``'a,b'``); ``[1, 2]`` is a list. Pure parsing: no Optuna here.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, NamedTuple, NoReturn

from ..errors import ConfigValidationError, ErrorDetails, InvalidKeyError, OverrideError, quoted
from ..errors import shown as _shown
from ..loader import formats as _formats
from ..loader.formats.yaml_scalars import resolve_tag
from ..storage.keys import check_key, parse_assignment
from .spaces import Choice, Dimension, IntRange, Uniform

__all__ = ["Sweep", "SweepError", "load_sweep", "parse", "parse_override"]

#: A float ``range()`` with more values than this is an error (it would be a huge choice).
MAX_RANGE_VALUES = 10_000
_DELIMITERS = frozenset(",()[]{}='\"")
_KEYWORD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=")
_FUNCTIONS = "expected choice(), range(), interval() or tag()"
_TAGS = ("log", "int")
_INTERPOLATION = re.compile(r"\$\{[^{}]*\}")
# A quoted string: a backslash before a quote or a backslash escapes it, else stays.
_QUOTED = {q: re.compile(rf"{q}((?:\\.|[^{q}\\])*){q}", re.S) for q in "'\""}
_UNESCAPE = re.compile(r"\\([\\'\"])")


class SweepError(OverrideError):
    """A sweep expression that does not parse, or whose values make no dimension. ``.text``
    is the expression, ``.source`` where it was given (``-m model.lr=…``, ``sweep.yaml:4:12``),
    ``.reason`` what is wrong and ``.column`` (1-based, in ``.text``) where, when known."""

    def __init__(self, text: str, source: str, reason: str, column: int | None = None) -> None:
        self.text, self.source, self.reason, self.column = text, source, reason, column
        named = "" if source.endswith(text) else f"{quoted(text)}: "
        ValueError.__init__(self, f"{source}: {named}{reason}")


@dataclasses.dataclass(frozen=True)
class _Arg:
    """``text[at:end]``: a value, or what the function ``call`` made (``name=`` when given)."""

    value: Any
    at: int
    end: int
    call: str | None = None
    name: str | None = None


class _Interval(NamedTuple):
    """``interval(a, b)``, until a ``tag()`` (or the end of the expression) says of what."""

    low: int | float
    high: int | float


class _Parser:
    """A recursive descent over one expression; ``i`` is the index of the next character."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.source, self.i = text, source, 0

    def fail(self, reason: str, at: int, *, say: bool = True) -> NoReturn:
        """Raises a :class:`SweepError` at index ``at``, saying the column when ``say``."""
        text = f"{reason} at column {at + 1}" if say else reason
        raise SweepError(self.text, self.source, text, at + 1)

    def peek(self) -> str:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1
        return self.text[self.i : self.i + 1]

    def found(self) -> str:
        return repr(self.peek()) if self.peek() else "the end"

    def sweep(self) -> Dimension:
        if not self.peek():
            self.fail(f"an empty sweep expression: {_FUNCTIONS}, or values", 0, say=False)
        items = [self.element()]
        while self.peek() == ",":
            self.i += 1
            items.append(self.element())
        if self.peek():
            self.fail(f"unexpected {self.found()}", self.i)
        if len(items) == 1 and items[0].call is not None:
            value = items[0].value
            return self.bounded(value, items[0].at) if isinstance(value, _Interval) else value
        return Choice(tuple(self.plain(a, "a comma list") for a in items))

    def plain(self, a: _Arg, where: str) -> Any:
        if a.call is not None or a.name is not None:
            given = f"{a.call}()" if a.call else f"{a.name}="
            self.fail(f"{where} takes values, not {given}", a.at)
        return a.value

    def element(self) -> _Arg:
        c, at = self.peek(), self.i
        if c in ("'", '"'):
            return _Arg(self.quoted(), at, self.i)
        if c == "[":
            return _Arg(self.sequence(), at, self.i)
        if not c or c in _DELIMITERS:
            self.fail(f"expected a value, found {self.found()}", at)
        while self.i < len(self.text) and self.text[self.i] not in _DELIMITERS:
            m = _INTERPOLATION.match(self.text, self.i)  # ${a.b}, ${oc.env:X,1}: one word
            self.i = self.i + 1 if m is None else m.end()
        word = self.text[at : self.i].rstrip()
        if self.peek() != "(":
            return _Arg(_scalar(word), at, at + len(word))
        if not word.isidentifier():
            self.fail(f"unexpected '(' after {word!r}", self.i)
        if word not in ("choice", "range", "interval", "tag"):
            self.fail(f"unknown function {word!r}: {_FUNCTIONS}", at)
        value = getattr(self, f"_{word}")(self.arguments(), at)
        return _Arg(value, at, self.i, word)

    def quoted(self) -> str:
        m = _QUOTED[self.text[self.i]].match(self.text, self.i)
        if m is None:
            self.fail("unterminated string opened", self.i)
        self.i = m.end()
        return _UNESCAPE.sub(r"\1", m.group(1))

    def items(self, close: str, item: Callable[[], _Arg]) -> list[_Arg]:
        """The comma-separated items up to ``close`` (the opening bracket is at ``i``)."""
        opened, out = self.i, list[_Arg]()
        self.i += 1
        if self.peek() == close:
            self.i += 1
            return out
        while True:
            out.append(item())
            c = self.peek()
            if c == close:
                self.i += 1
                return out
            if not c:
                self.fail(f"unclosed {self.text[opened]!r}", opened)
            if c != ",":
                self.fail(f"expected ',' or {close!r}, found {self.found()}", self.i)
            self.i += 1

    def sequence(self) -> list[Any]:
        return [self.plain(a, "a list") for a in self.items("]", self.element)]

    def arguments(self) -> list[_Arg]:
        def argument() -> _Arg:
            self.peek()
            m = _KEYWORD.match(self.text, self.i)
            if m is None:
                return self.element()
            self.i = m.end()
            return dataclasses.replace(self.element(), name=m.group(1))

        return self.items(")", argument)

    def bind(self, fn: str, args: list[_Arg], names: tuple[str, ...]) -> dict[str, _Arg]:
        bound: dict[str, _Arg] = {}
        for k, a in enumerate(args):
            if a.name is None and any(b.name is not None for b in args[:k]):
                self.fail(f"{fn}() takes no positional argument after a keyword one", a.at)
            name = names[k] if a.name is None else a.name
            if name not in names:
                self.fail(f"{fn}() takes no argument {name!r}: expected {', '.join(names)}", a.at)
            if name in bound:
                self.fail(f"{fn}() got {name!r} twice", a.at)
            bound[name] = a
        return bound

    def number(self, fn: str, a: _Arg) -> int | float:
        v, given = a.value, self.text[a.at : a.end]
        if a.call is not None or isinstance(v, bool) or not isinstance(v, int | float):
            self.fail(f"{fn}() takes numbers, got {given!r}", a.at)
        if isinstance(v, float) and not math.isfinite(v):
            self.fail(f"{fn}() takes finite numbers, got {given!r}", a.at)
        return v

    def _choice(self, args: list[_Arg], at: int) -> Choice:
        if not args:
            self.fail("choice() needs at least one value", at, say=False)
        return Choice(tuple(self.plain(a, "choice()") for a in args))

    def _range(self, args: list[_Arg], at: int) -> Dimension:
        if not 2 <= len(args) <= 3:
            got = f"a start, a stop and a step (optional), got {len(args)}"
            self.fail(f"range() takes {got}", at, say=False)
        b = self.bind("range", args, ("start", "stop", "step"))
        start, stop = self.number("range", b["start"]), self.number("range", b["stop"])
        step = self.number("range", b["step"]) if "step" in b else 1
        if step == 0:
            self.fail("range() step must not be 0", b["step"].at)
        empty = f"{self.text[at : self.i]} is empty: no value from {start!r} before {stop!r}"
        if type(start) is int and type(stop) is int and type(step) is int:
            r = range(start, stop, step)
            if not r:
                self.fail(empty, at, say=False)
            return IntRange(min(r[0], r[-1]), max(r[0], r[-1]), abs(step))
        first, by = _decimal(start), _decimal(step)  # exact: 0.1 steps stay 0.1
        n = math.ceil((_decimal(stop) - first) / by)
        if n <= 0:
            self.fail(empty, at, say=False)
        if n > MAX_RANGE_VALUES:
            self.fail(f"range() has {n:,} values, more than {MAX_RANGE_VALUES:,}", at, say=False)
        return Choice(tuple(float(first + i * by) for i in range(n)))

    def _interval(self, args: list[_Arg], at: int) -> _Interval:
        if len(args) != 2:
            self.fail(f"interval() takes 2 bounds, got {len(args)}", at, say=False)
        b = self.bind("interval", args, ("start", "end"))
        return _Interval(self.number("interval", b["start"]), self.number("interval", b["end"]))

    def _tag(self, args: list[_Arg], at: int) -> Dimension:
        if not args or args[-1].call is None:
            self.fail("tag() takes tags and then a sweep: tag(log, interval(a, b))", at, say=False)
        *tags, inner = args
        for a in tags:
            if self.plain(a, "tag()") not in _TAGS:
                given = self.text[a.at : a.end]
                self.fail(f"unknown tag {given!r}: expected 'log' or 'int'", a.at)
        names = {a.value for a in tags}
        if isinstance(inner.value, _Interval):
            return self.bounded(inner.value, inner.at, log="log" in names, whole="int" in names)
        if names:
            given = ", ".join(sorted(names))
            self.fail(f"tag({given}, …) applies to interval(), not {inner.call}()", inner.at)
        return inner.value  # type: ignore[no-any-return]

    def bounded(self, b: _Interval, at: int, log: bool = False, whole: bool = False) -> Dimension:
        """The dimension of ``interval()`` at ``at``, tagged ``log`` and or ``int`` (``whole``)."""
        for v in (b.low, b.high) if whole else ():
            if isinstance(v, float) and not v.is_integer():
                self.fail(f"tag(int, interval()) takes whole bounds, got {v!r}", at, say=False)
        try:
            if whole:
                return IntRange(int(b.low), int(b.high), log=log, sampled=True)
            return Uniform(float(b.low), float(b.high), log=log)
        except (ValueError, OverflowError) as e:
            self.fail(f"interval(): {e}", at, say=False)


def _decimal(v: int | float) -> Decimal:
    return Decimal(v if isinstance(v, int) else repr(v))


def _scalar(word: str) -> Any:
    """A bare word as YAML 1.2 reads a plain scalar (its ints, floats, bools and null); other
    words (timestamps too) stay text."""
    tag = resolve_tag(word).rpartition(":")[2]
    try:
        if tag == "int":  # 010 is ten in YAML 1.2, and 0x10 sixteen
            return int(word) if word.lstrip("+-").isdigit() else int(word, 0)
        if tag == "float":  # .inf, -.inf, .nan
            return float(word.replace(".", "") if word[-1].isalpha() else word)
    except ValueError:  # an integer longer than int() converts: left as it is written
        return word
    return {"null": None, "bool": word.lower() == "true"}.get(tag, word)


def parse(expr: str, source: str) -> Dimension:
    """The dimension of one sweep expression (``2,4,8``, ``choice(…)``, ``range(…)``,
    ``interval(…)``, ``tag(…)``, or one value), declared at ``source``. An expression that
    does not parse, or whose values make no dimension, raises :class:`SweepError`."""
    return _Parser(expr, source).sweep().at(source)


def parse_override(text: str) -> tuple[str, Dimension]:
    """``key=expr`` (a ``-m`` argument) as its checked key and its dimension, declared at
    ``-m key=expr``. No ``=`` is an :class:`OverrideError`, a bad key an ``InvalidKeyError``."""
    source = f"-m {text.strip()}"
    key, raw = parse_assignment(text, source)
    return key, parse(raw, source)


@dataclasses.dataclass(frozen=True)
class Sweep:
    """A sweep file: the ``study`` settings it gives (``name``, ``direction`` or
    ``directions``, ``n_trials``, ``storage``, ``seed``, ``timeout``, ``workers``) and its
    ``params``: flat keys to dimensions, each declared at ``path:line:col`` of its value."""

    study: dict[str, Any]
    params: dict[str, Dimension]


def _directions(v: Any) -> bool:
    return isinstance(v, list) and v != [] and all(d in ("minimize", "maximize") for d in v)


def _count(v: Any) -> bool:
    return type(v) is int and v >= 1


def _seconds(v: Any) -> bool:
    return type(v) in (int, float) and 0 < v < math.inf


# Each study setting: whether a value is good for it, and what it should be.
_MINMAX = "'minimize' or 'maximize'"
_STUDY: dict[str, tuple[Callable[[Any], bool], str]] = {
    "name": (lambda v: isinstance(v, str) and v != "", "a non-empty string"),
    "direction": (lambda v: _directions([v]) or _directions(v), f"{_MINMAX} (or a list)"),
    "directions": (_directions, f"a list of {_MINMAX}"),
    "n_trials": (_count, "a positive integer"),
    "storage": (lambda v: v is None or (isinstance(v, str) and v != ""), "a storage URL"),
    "seed": (lambda v: v is None or type(v) is int, "an integer"),
    "timeout": (lambda v: v is None or _seconds(v), "a positive number of seconds"),
    "workers": (_count, "a positive integer"),
}


def load_sweep(path: str | os.PathLike[str]) -> Sweep:
    """Reads a sweep file (YAML; ``.toml`` and ``.json`` by their suffix): ``study`` and
    ``params``. Every bad setting and param is collected into one
    :class:`~hyperparameter.ConfigValidationError`, each with its ``path:line:col``; a file
    that cannot be read or parsed is a :class:`~hyperparameter.ConfigFileError`."""
    name = os.fspath(path)
    suffix = os.path.splitext(name)[1].lower()
    fmt: _formats.Format = "toml" if suffix == ".toml" else "json" if suffix == ".json" else "yaml"
    data = _formats.read_bytes(name)
    tree = _formats.parse(data, fmt, name)
    table = _formats.positions(data, fmt, name)
    errors: list[ErrorDetails] = []

    def where(at: tuple[Any, ...], key: bool = False) -> str:
        """``path:line:col`` of the value at ``at`` (of its key, with ``key``)."""
        pos = table.get(at) or table.get(at[:1])
        if pos is None:
            return name
        line, col = (pos.key_line, pos.key_col) if key else (pos.line, pos.col)
        return f"{name}:{line}:{col}"

    def bad(at: tuple[Any, ...], msg: str, kind: str, given: Any, key: bool = False) -> None:
        source = where(at, key)  # at: the loc of hp.load, ("params", "model.lr")
        errors.append({"loc": at, "msg": msg, "type": kind, "input": given, "source": source})

    study: dict[str, Any] = {}
    params: dict[str, Dimension] = {}
    for top, section in tree.items():
        if top not in ("study", "params"):
            msg = f"unknown key {quoted(top)}: a sweep file has 'study' and 'params'"
            bad((top,), msg, "extra_forbidden", section, key=True)
            continue
        if section is not None and not isinstance(section, Mapping):
            msg = f"expected a mapping, not {type(section).__name__}"
            bad((top,), msg, "mapping_type", section)
            continue
        for k, v in (section or {}).items():
            if top == "params":
                try:
                    key = check_key(k)
                    params[key] = _dimension(v, where((top, k)))
                except InvalidKeyError as e:
                    bad((top, k), str(e), "invalid_key", k, key=True)
                except SweepError as e:
                    bad((top, k), e.reason, "sweep_expression", v)
                continue
            good, want = _STUDY.get(k, (None, ""))
            if good is None:
                msg = f"unknown study setting {quoted(k)}: expected {', '.join(_STUDY)}"
                bad((top, k), msg, "extra_forbidden", v, key=True)
            elif good(v):
                study[k] = v
            else:
                bad((top, k), f"expected {want}", "study_setting", v)
    if "direction" in study and "directions" in study:
        bad(("study",), "give direction or directions, not both", "study_setting", None, True)
    if errors:
        raise ConfigValidationError(f"reading sweep file {name}", errors)
    return Sweep(study, params)


def _dimension(value: Any, source: str) -> Dimension:
    """A param's value: an expression, a list (a choice) or one value (a choice of one)."""
    if isinstance(value, str):
        return parse(value, source)
    if isinstance(value, Mapping) or value == []:
        what = "a mapping" if value else "an empty list"
        reason = f"expected a sweep expression, a list or a value, not {what}"
        raise SweepError(_shown(value), source, reason)
    return Choice(tuple(value) if isinstance(value, list) else (value,)).at(source)
