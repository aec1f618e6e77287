"""Griffe extension for the API reference: renders the package's reST-flavoured docstrings as
Markdown, so mkdocstrings shows them cleanly without rewriting them in the source.

- ``:func:`load```, ``:class:`~hyperparameter.ConfigValidationError``` and the other Sphinx roles
  become code spans, linked when they name a public object the reference documents;
- a run of ``>>>`` lines (a doctest) becomes a ``pycon`` code block (Markdown would read the
  ``>`` as block quotes);
- a paragraph ending in ``::`` (a reST literal block follows) ends in ``:``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

import hyperparameter
from hyperparameter import errors, schema, storage

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|mod|data|exc|obj):`(~?)\.?([^`]+)`")

#: Where the reference pages render each public object, by its short name: the package's
#: own names under ``hyperparameter``, the error classes under ``hyperparameter.errors``.
_RENDERED = {n: f"hyperparameter.{n}" for n in hyperparameter.__all__ if not n.startswith("_")}
_RENDERED.update({n: f"hyperparameter.errors.{n}" for n in errors.__all__})
_RENDERED.update({n: f"hyperparameter.storage.{n}" for n in storage.__all__})
_RENDERED.update({n: f"hyperparameter.schema.{n}" for n in schema.__all__})
_RENDERED.update({"main": "hyperparameter.cli.main", "TypedScope": "hyperparameter.api.TypedScope"})
for _name in ("errors", "storage", "schema", "cli", "api", "loader"):
    _RENDERED.pop(_name, None)
_PATHS = set(_RENDERED.values())


def _role(match: re.Match[str], module: str) -> str:
    tilde, target = match.groups()
    shown = target.rsplit(".", 1)[-1] if tilde else target
    for full in (target, f"{module}.{target}", f"hyperparameter.{target}"):
        if full in _PATHS:
            return f"[`{shown}`][{full}]"
    if "." not in target.removeprefix("hyperparameter.") and shown in _RENDERED:
        return f"[`{shown}`][{_RENDERED[shown]}]"
    return f"`{shown}`"


def _doctests(text: str) -> str:
    out: list[str] = []
    in_session = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">>>") and not in_session:
            if out and out[-1].strip():
                out.append("")
            out.append("```pycon")
            in_session = True
        elif in_session and not stripped:
            out.append("```")
            in_session = False
        out.append(line.strip() if in_session else line)
    if in_session:
        out.append("```")
    return "\n".join(out)


class RstDocstrings(griffe.Extension):
    """Rewrites each docstring once, when griffe loads its object."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is None:
            return
        module = obj.module.path if not obj.is_module else obj.path
        text = _ROLE.sub(lambda m: _role(m, module), obj.docstring.value)
        text = re.sub(r"(\S)::$", r"\1:", text, flags=re.MULTILINE)
        text = re.sub(r"^\s*::\n", "", text, flags=re.MULTILINE)
        obj.docstring.value = _doctests(text)
