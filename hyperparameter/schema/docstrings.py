"""Docstrings in Google, NumPy and reST (Sphinx) style: the summary, the description, and the
text given for each parameter or attribute — what ``launch`` shows in ``--help`` and the JSON
Schema export uses as field descriptions.

Only the pieces a command line needs are read; sections other than parameters and attributes
(``Returns``, ``Raises``, ``Examples``, …) end the description and are otherwise ignored.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

__all__ = ["Docstring", "parse"]

# Google section names whose items are parameters or attributes.
_PARAM_SECTIONS = frozenset(
    {
        "args",
        "arguments",
        "attributes",
        "keyword args",
        "keyword arguments",
        "kwargs",
        "other parameters",
        "parameters",
        "params",
    }
)
_GOOGLE_HEADER = re.compile(r"([A-Za-z][A-Za-z ]*):\s*\Z")
_GOOGLE_ITEM = re.compile(r"\**(\w+)\s*(?:\([^)]*\))?\s*:(.*)\Z")
_NUMPY_RULE = re.compile(r"\s*-{3,}\s*\Z")
_NUMPY_ITEM = re.compile(r"\**(\w+(?:\s*,\s*\**\w+)*)\s*(?::.*)?\Z")
_REST_FIELD = re.compile(
    r":(?:param|parameter|arg|argument|key|keyword|ivar|var|cvar)\s+(?:[^:]*\s)?\**(\w+)\s*:(.*)\Z"
)
_REST_ANY_FIELD = re.compile(r":\w+[^:]*:")


@dataclass(frozen=True)
class Docstring:
    """The parts of one docstring: ``summary`` is its first paragraph on one line,
    ``description`` the rest of the prose before the first section, and ``params`` maps each
    documented parameter or attribute name to its text (on one line)."""

    summary: str = ""
    description: str = ""
    params: dict[str, str] = field(default_factory=dict)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _join(parts: list[str]) -> str:
    return " ".join(" ".join(p.split()) for p in parts if p.strip())


def _is_numpy_header(lines: list[str], i: int) -> bool:
    return (
        i + 1 < len(lines)
        and bool(lines[i].strip())
        and _indent(lines[i]) == 0
        and bool(_NUMPY_RULE.match(lines[i + 1]))
    )


def _block(lines: list[str], start: int, numpy: bool) -> int:
    """The end of a section's block: the next line at indent 0 that starts another section
    (NumPy), or the first non-blank line at indent 0 (Google)."""
    j = start
    while j < len(lines):
        line = lines[j]
        if numpy:
            if _is_numpy_header(lines, j):
                return j
        elif line.strip() and _indent(line) == 0:
            return j
        j += 1
    return j


def _items(block: list[str], pattern: re.Pattern[str], params: dict[str, str]) -> None:
    """Items at the block's own indentation, continued by more-indented lines."""
    base = min((_indent(line) for line in block if line.strip()), default=0)
    names: list[str] = []
    text: list[str] = []

    def flush() -> None:
        for name in names:
            if name not in params:
                params[name] = _join(text)

    for line in block:
        if not line.strip():
            continue
        m = pattern.match(line[base:]) if _indent(line) == base else None
        if m is not None:
            flush()
            names = [n.strip().lstrip("*") for n in m.group(1).split(",")]
            rest = m.group(2) if pattern is _GOOGLE_ITEM else None
            text = [rest] if rest else []
        else:
            text.append(line)
    flush()


def parse(doc: str | None) -> Docstring:
    """Parses a docstring written in Google, NumPy or reST style (or a mix)."""
    if not doc or not doc.strip():
        return Docstring()
    lines = inspect.cleandoc(doc).splitlines()
    params: dict[str, str] = {}
    end = len(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if _is_numpy_header(lines, i):
            end = min(end, i)
            stop = _block(lines, i + 2, numpy=True)
            if stripped.lower() in _PARAM_SECTIONS:
                _items(lines[i + 2 : stop], _NUMPY_ITEM, params)
            i = stop
            continue
        header = _GOOGLE_HEADER.match(line) if _indent(line) == 0 else None
        if header is not None and i > 0:
            end = min(end, i)
            stop = _block(lines, i + 1, numpy=False)
            if header.group(1).strip().lower() in _PARAM_SECTIONS:
                _items(lines[i + 1 : stop], _GOOGLE_ITEM, params)
            i = stop
            continue
        if _REST_ANY_FIELD.match(stripped):
            end = min(end, i)
            stop = i + 1
            while stop < len(lines) and lines[stop].strip() and _indent(lines[stop]) > 0:
                stop += 1
            m = _REST_FIELD.match(" ".join([stripped, *(s.strip() for s in lines[i + 1 : stop])]))
            if m is not None and m.group(1) not in params:
                params[m.group(1)] = _join([m.group(2)])
            i = stop
            continue
        i += 1
    body = lines[:end]
    first = next((n for n, line in enumerate(body) if not line.strip()), len(body))
    summary = _join(body[:first])
    description = "\n".join(body[first:]).strip()
    return Docstring(summary, description, params)
