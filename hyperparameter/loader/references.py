"""``${…}`` templates: parsing a value's text into literal parts and references (``${a.b}``,
``${.x}``, ``${env:VAR,default}``), escaping (``\\${``), and where a relative reference
starts (DESIGN §2, step 3)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import Loc

__all__ = [
    "LITERAL_HINT",
    "MAX_NESTING",
    "Env",
    "Part",
    "Ref",
    "TemplateSyntax",
    "env_only",
    "escape",
    "list_index",
    "parse",
    "ref_base",
]

#: How deeply ``${env:A,${env:B,…}}`` defaults may nest.
MAX_NESTING = 100


_RESOLVER = re.compile(r"\s*([A-Za-z_][\w.]*)\s*:")
_SEGMENT = re.compile(r"[^\s.${}\[\]:,\\]+\Z")


@dataclass(frozen=True, slots=True)
class Ref:
    """``${a.b}``, ``${.b}``, ``${..b}``: a reference to another key."""

    text: str  # as written, for messages
    dots: int  # 0: absolute; 1: the holder's container; 2: its parent; …
    path: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Env:
    """``${env:VAR}`` / ``${env:VAR,default}``: an environment variable."""

    text: str
    name: str
    default: tuple[str | Ref | Env, ...] | None


Part = str | Ref | Env


class TemplateSyntax(Exception):
    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason


def parse(s: str) -> list[Part]:
    parts, _ = _parse_parts(s, 0, nested=0)
    return parts


_ESCAPABLE = re.compile(r"(\\*)\$\{")


def escape(text: str) -> str:
    """``text`` written so that interpolation reads it back as exactly ``text``: every ``${``
    escaped, and the backslashes before it doubled."""
    if "${" not in text:
        return text
    return _ESCAPABLE.sub(lambda m: m.group(1) * 2 + "\\${", text)


def _parse_parts(s: str, i: int, nested: int) -> tuple[list[Part], int]:
    """Literal text and interpolations from ``s[i:]``; ``nested`` (the depth of env defaults
    this text is in) stops before the ``}`` that closes it."""
    parts: list[Part] = []
    text: list[str] = []
    n = len(s)
    while i < n:
        if s[i] == "\\":
            j = i + 1
            while j < n and s[j] == "\\":
                j += 1
            if s.startswith("${", j):  # 2k backslashes: k of them; an odd one escapes the `${`
                text.append("\\" * ((j - i) // 2))
                if (j - i) % 2:
                    text.append("${")
                    j += 2
            else:
                text.append(s[i:j])
            i = j
        elif s.startswith("${", i):
            if text:
                parts.append("".join(text))
                text = []
            part, i = _parse_interpolation(s, i, nested)
            parts.append(part)
        elif nested and s[i] == "}":
            break
        else:
            j = i + 1
            while j < n and s[j] not in "\\$}":
                j += 1
            text.append(s[i:j])
            i = j
    if text:
        parts.append("".join(text))
    return parts, i


def _parse_interpolation(s: str, start: int, nested: int) -> tuple[Part, int]:
    i = start + 2
    m = _RESOLVER.match(s, i)
    if m is not None and m.group(1) in ("env", "oc.env"):
        i = m.end()
        j = i
        while j < len(s) and s[j] not in ",}":
            j += 1
        name = s[i:j].strip()
        default: tuple[Part, ...] | None = None
        if j < len(s) and s[j] == ",":
            if nested >= MAX_NESTING:
                raise TemplateSyntax(s[start:], f"defaults nested more than {MAX_NESTING} levels")
            parts, j = _parse_parts(s, j + 1, nested + 1)
            if parts and isinstance(parts[0], str):
                parts[0] = parts[0].lstrip()
            if parts and isinstance(parts[-1], str):
                parts[-1] = parts[-1].rstrip()
            default = tuple(p for p in parts if p != "")
        if j >= len(s):
            raise TemplateSyntax(s[start:], "unterminated '${'")
        text = s[start : j + 1]
        if not name:
            raise TemplateSyntax(text, "no variable name")
        return Env(text, name, default), j + 1
    end = s.find("}", i)
    if end < 0:
        raise TemplateSyntax(s[start:], "unterminated '${'")
    text = s[start : end + 1]
    if m is not None:
        whole = s[start : _closing(s, i, end) + 1]  # `${foo:{k: [v]}}`: named whole
        reason = f"unknown resolver {m.group(1)!r} (supported: env, oc.env; {LITERAL_HINT})"
        raise TemplateSyntax(whole, reason)
    body = s[i:end].strip()
    if "${" in body:
        raise TemplateSyntax(text, "a reference inside a key path is not supported")
    dots = len(body) - len(body.lstrip("."))
    rest = body[dots:]
    path = tuple(rest.split(".")) if rest else ()
    if not body or any(not _SEGMENT.match(p) for p in path):
        reason = "empty reference" if not body else "not a key path"
        # `${{ matrix.os }}` (GitHub Actions, Jinja) and other braces inside: named whole
        raise TemplateSyntax(s[start : _closing(s, i, end) + 1], f"{reason} ({LITERAL_HINT})")
    return Ref(text, dots, path), end + 1


LITERAL_HINT = r"write \${ for a literal '${'"


def _closing(s: str, i: int, end: int) -> int:
    """The ``}`` that closes the ``${`` before ``s[i]`` when braces nest inside (``end``, the
    first ``}``, when they do not, or never balance); only for naming a bad reference whole."""
    depth = 1
    for j in range(i, len(s)):
        if s[j] == "{":
            depth += 1
        elif s[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return end


def env_only(parts: list[Part] | tuple[Part, ...]) -> bool:
    """Whether ``parts`` reference nothing but environment variables (defaults included): a
    text that reads back the same value wherever it is written."""
    return all(
        isinstance(p, str) or (isinstance(p, Env) and (p.default is None or env_only(p.default)))
        for p in parts
    )


def ref_base(holder: Loc, ref: Ref) -> Loc | None:
    """Where the path of ``ref``, written in the value at ``holder``, starts: ``()`` for an
    absolute reference, the holding container for ``${.x}``, one level up per further dot;
    ``None`` above the top level."""
    if ref.dots == 0:
        return ()
    container = holder[:-1]
    up = ref.dots - 1
    if up > len(container):
        return None
    return container[: len(container) - up]


def list_index(segment: str) -> int | None:
    """``segment`` as an index, or None (not digits, or more digits than ``int()`` takes)."""
    if not segment.isdigit():
        return None
    try:
        return int(segment)
    except ValueError:
        return None
