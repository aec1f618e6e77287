"""Secrets in what is shown: which values are secret, and the one way every display hides them.

A value is secret when interpolation filled it from the environment (``${env:NAME}``,
``${oc.env:NAME}``, also embedded: ``"Bearer ${env:TOKEN}"`` is secret as a whole, and so is
whatever copies it by reference), or when its field is typed ``pydantic.SecretStr``,
``SecretBytes`` or ``Secret[…]``. Values set by ``env_prefix=`` variables are configuration,
not secrets (docs/decisions.md). The loaded config keeps the real values; error messages,
``.errors()``, lint reports, ``hp show``/``explain``, ``--list-params`` and ``dump`` show a
:class:`Redacted` stand-in instead.

Within one load the secrets are known by where they are (:class:`Secrets`, from the
interpolation :class:`Log` and the schema). Displays of a config after ``load`` returned it
(``dump``, a :class:`~hyperparameter.ConversionError` raised by a scope read) have no
provenance: for them each load remembers its secrets by key and object (:func:`remember`), and
a value is taken for secret when its key path ends like a remembered one and it is the very
object remembered there (:func:`known`) — copies of a config share its values, while an equal
value from elsewhere is another object.
"""

from __future__ import annotations

import collections
import functools
import re
import threading
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import errors
from ..errors import MARKER, Redacted, origin
from ..schema.secrets import is_secret_type, is_secret_value
from .references import LITERAL_HINT, TemplateSyntax, parse

__all__ = [
    "MARKER",
    "Found",
    "Log",
    "Redacted",
    "Secrets",
    "dumped",
    "is_secret_type",
    "is_secret_value",
    "known",
    "origin",
    "remember",
    "scrub",
]

Loc = tuple[Any, ...]

#: Shorter secret texts are not searched for inside message texts (a "1" would match every
#: number); a secret input is redacted whatever its length.
MIN_SCRUB = 4


@dataclass(frozen=True, slots=True)
class Found:
    """A secret value made by interpolation: the variables it was read from, and a text that
    reads back the same value in the same environment (the template when it references
    nothing but variables, ``${env:NAME}`` when the value is one variable's), else None."""

    names: tuple[str, ...]
    reference: str | None


@dataclass
class Log:
    """What one interpolation read from the environment: ``at`` the secret values of the
    result by loc (leaves only; a reference to a mapping copies its entries), ``read`` the
    variables found, with their values."""

    at: dict[Loc, Found] = field(default_factory=dict)
    read: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------------------- types


@functools.cache
def _typed_secrets(schema: type) -> bool:
    """Whether any field of ``schema``, at any depth, is typed as a secret."""
    from ..schema.fields import _fields, is_schema

    seen: set[int] = set()
    keep: list[Any] = []  # what `seen` holds the ids of stays alive
    stack: list[Any] = [schema]
    while stack:
        annotation = stack.pop()
        if id(annotation) in seen:
            continue
        seen.add(id(annotation))
        keep.append(annotation)
        if is_secret_type(annotation):
            return True
        if is_schema(annotation):
            stack.extend(f.annotation for f in _fields(annotation).values())
        else:
            stack.extend(typing.get_args(annotation))
    return False


# ----------------------------------------------------------------------------- one load


def _norm(loc: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(p) for p in loc)


def _walk(tree: Any, loc: Loc) -> Any:
    node = tree
    for part in loc:
        if isinstance(node, Mapping):
            node = node.get(part, node.get(str(part)))
        elif isinstance(node, (list, tuple)) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def _text(value: Any) -> Any:
    from ..coerce import Raw

    return value.text if type(value) is Raw else value


class Secrets:
    """The secrets of one load or resolution: by loc from the interpolation ``log``, by type
    from ``schema``; ``tree`` is the interpolated tree (before validation), whose secret
    texts are also looked for by value in error inputs."""

    def __init__(
        self, log: Log | None = None, schema: type | None = None, tree: Any = None
    ) -> None:
        from ..schema import adapter_for

        self.locs = list(log.at) if log else []
        self.at = {_norm(loc): found for loc, found in (log.at.items() if log else ())}
        self.read = dict(log.read) if log else {}
        self.adapter = (
            adapter_for(schema) if schema is not None and _typed_secrets(schema) else None
        )
        self.prefixes = {norm[:i] for norm in self.at for i in range(len(norm))}
        self.texts: dict[str, tuple[str, ...]] = {}
        for name, value in self.read.items():
            if len(value) >= MIN_SCRUB:
                self.texts[value] = (*self.texts.get(value, ()), name)
        for loc, found in log.at.items() if log else ():
            value = _text(_walk(tree, loc))
            if isinstance(value, str) and len(value) >= MIN_SCRUB:
                self.texts[value] = found.names

    def __bool__(self) -> bool:
        return bool(self.at or self.adapter is not None)

    def names_at(
        self, loc: Loc, annotation: Any = None, *, env: bool = True
    ) -> tuple[str, ...] | None:
        """The variables of the secret at ``loc`` (``()`` when secret by type), or None when
        the value there is no secret. ``annotation`` is its type when the caller knows it
        better than the schema (a launched function's parameter); ``env=False`` asks about
        the type only (a default is never from the environment)."""
        if env:
            found = self.at.get(_norm(loc))
            if found is not None:
                return found.names
        if annotation is not None:
            return () if is_secret_type(annotation) else None
        if self.adapter is not None and is_secret_type(self.adapter.annotation_at(loc)[1]):
            return ()
        return None

    def redact(
        self,
        value: Any,
        loc: Loc,
        annotation: Any = None,
        *,
        env: bool = True,
        by_value: bool = False,
        hits: list[tuple[str, tuple[str, ...]]] | None = None,
    ) -> Any:
        """``value`` (the value at ``loc``) for a display: each secret in it, at any depth,
        replaced by a :class:`Redacted`; containers are copied, ``value`` is not changed.
        ``by_value`` also replaces any text equal to a secret of this load (an error input
        whose loc is not quite where pydantic found it); ``hits`` collects the texts
        replaced, for :func:`scrub`."""
        holder: list[Any] = [None]
        stack: list[tuple[Any, Any, Any, Loc, Any]] = [(value, holder, 0, tuple(loc), annotation)]
        while stack:
            node, parent, key, at, hint = stack.pop()
            if node is None:
                parent[key] = None
                continue
            names = self.names_at(at, hint, env=env)
            text = _text(node)
            if names is None and is_secret_value(node):
                names = ()
            if names is None and by_value and isinstance(text, str):
                names = self.texts.get(text)
            if names is not None:
                parent[key] = Redacted(names)
                if hits is not None:
                    if isinstance(text, str):
                        hits.append((text, names))
                    hits.extend((self.read[n], names) for n in names if n in self.read)
                continue
            if isinstance(node, Mapping):
                out: Any = dict.fromkeys(node)
                stack.extend((v, out, k, (*at, k), None) for k, v in node.items())
            elif isinstance(node, (list, tuple)):
                out = [None] * len(node)
                stack.extend((v, out, i, (*at, i), None) for i, v in enumerate(node))
            else:
                out = node
            parent[key] = out
        return holder[0]

    def finding(self, e: Any) -> Any:
        """A validation finding (``ErrorDetails``) with its input redacted and its message
        cleared of every secret under its loc (a validator may print the value)."""
        loc = tuple(e["loc"])
        base = loc[:-1] if e["type"] == "missing" else loc
        hits: list[tuple[str, tuple[str, ...]]] = []
        inp = self.redact(e.get("input"), base, by_value=True, hits=hits)
        prefix = _norm(base)
        for norm, found in self.at.items():
            if norm[: len(prefix)] == prefix:
                hits.extend((self.read[n], found.names) for n in found.names if n in self.read)
        msg = scrub(e["msg"], hits)
        typed = self.names_at(loc, env=False) == ()
        if e["type"] == "interpolation" and typed and msg.startswith("invalid interpolation "):
            # the message quotes the text, and a secret's text is the secret
            msg = f"invalid interpolation in a secret value ({MARKER}); {LITERAL_HINT}"
        return {**e, "input": inp, "msg": msg}

    def template(self, raw: Any, loc: Loc, annotation: Any = None) -> Any:
        """What a display shows of the text a layer set at ``loc`` (``hp explain``'s
        setters, ``--provenance`` notes): the text itself, except at a secret-typed field,
        where only a text made of nothing but references is shown (``${env:DB_PW}``)."""
        if self.names_at(loc, annotation, env=False) is None:
            return raw
        text = _text(raw)
        if isinstance(text, str) and _only_references(text):
            return raw
        return None if raw is None else Redacted()

    def conversion(self, error: Any, loc: Loc, annotation: Any = None) -> Any:
        """A :class:`~hyperparameter.ConversionError` about the value at ``loc``, redacted."""
        from ..errors import ConversionError

        hits: list[tuple[str, tuple[str, ...]]] = []
        value = self.redact(error.value, loc, annotation, hits=hits)
        if value is error.value and not hits:
            return error
        return ConversionError(
            error.key, value, error.target, scrub(error.reason, hits), error.source
        )


def _only_references(text: str) -> bool:
    try:
        parts = parse(text)
    except TemplateSyntax:
        return False
    return bool(parts) and not any(isinstance(p, str) and p.strip() for p in parts)


def scrub(text: str, secrets: Iterable[tuple[str, tuple[str, ...]]]) -> str:
    """``text`` with each of ``secrets`` (``(secret text, its variables)``, those of
    :data:`MIN_SCRUB` characters or more) replaced where it stands as a word of its own."""
    for secret, names in sorted(set(secrets), key=lambda s: -len(s[0])):
        if len(secret) < MIN_SCRUB or secret not in text:
            continue
        head = r"(?<!\w)" if re.match(r"\w", secret) else ""
        tail = r"(?!\w)" if re.match(r".*\w\Z", secret, re.S) else ""
        marker = repr(Redacted(names)).replace("\\", "\\\\")
        text = re.sub(head + re.escape(secret) + tail, marker, text)
    return text


# ------------------------------------------------------------------ after load returned


@dataclass(frozen=True, slots=True)
class _Known:
    loc: tuple[str, ...]
    value: Any
    found: Found


#: Remembered secrets by the last segment of their key, at most _LIMIT of them (oldest go).
_KNOWN: dict[str, list[_Known]] = {}
_ORDER: collections.deque[_Known] = collections.deque()
_LIMIT = 10_000
_LOCK = threading.Lock()


def remember(log: Log, result: Any) -> None:
    """Files the secrets of a load (``log``) with their final values in ``result`` (the
    config as a tree of mappings and lists), for :func:`known`."""
    with _LOCK:
        for loc, found in log.at.items():
            if not loc:
                continue
            value = _text(_walk(result, loc))
            if value is None:
                continue
            entry = _Known(_norm(loc), value, found)
            same = _KNOWN.setdefault(entry.loc[-1], [])
            if any(k.loc == entry.loc and k.value is value for k in same):
                continue
            same.append(entry)
            _ORDER.append(entry)
            if len(_ORDER) > _LIMIT:
                old = _ORDER.popleft()
                _KNOWN[old.loc[-1]].remove(old)


def known(loc: Iterable[Any], value: Any) -> Found | None:
    """The remembered secret that ``value`` at ``loc`` is: one whose key path ends with
    ``loc`` (or ``loc`` with its) and whose value is ``value`` itself; else None."""
    if not _KNOWN:
        return None
    norm = _norm(loc)
    if not norm:
        return None
    value = _text(value)
    best: tuple[int, Found] | None = None
    for entry in reversed(_KNOWN.get(norm[-1], ())):  # the latest, of the longest shared key
        n = min(len(norm), len(entry.loc))
        longer = best is None or n > best[0]
        if longer and entry.value is value and norm[-n:] == entry.loc[-n:]:
            best = (n, entry.found)
    return None if best is None else best[1]


def dumped(loc: Loc, value: Any) -> tuple[str, bool] | None:
    """What ``dump`` writes for a secret: ``(text, whether it is a reference to keep
    unescaped)``; None for a value that is no secret."""
    found = known(loc, value)
    if found is not None:
        if found.reference is not None:
            return found.reference, True
        return MARKER, False
    if is_secret_value(value):
        return MARKER, False
    return None


def _names_of(loc: list[str], value: Any) -> tuple[str, ...] | None:
    found = known(loc, value)
    return None if found is None else found.names


# Errors raised after a load ask the loader what it remembers (errors imports nothing of ours).
errors.secret_names = _names_of
