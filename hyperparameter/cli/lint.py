"""``hp lint``: check config files without running the application (DESIGN §7).

Each file is parsed, interpolated and — with a schema — validated by the loader, alone or with
``--merge`` as layers of one config; every problem becomes a :class:`Finding` with file, line,
column, key, message and rule (``type``), printed as text, JSON, GitHub workflow commands or
SARIF 2.1.0. Files and schemas may come from ``[tool.hyperparameter.lint]`` in the nearest
``pyproject.toml`` that has that table.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path, PurePath
from typing import Any, TypeVar
from urllib.parse import quote

from ..errors import (
    NO_INPUT,
    ConfigFileError,
    ConfigValidationError,
    ErrorDetails,
    key_text,
    shown,
)
from ..loader import pipeline as loader
from .common import CliError, dotted, json_text, out, printable
from .project import _Schemas, find_config, interpolate_for, targets

__all__ = ["Finding", "check", "lint", "main", "render", "run"]

T = TypeVar("T")
SUFFIXES = (".yaml", ".yml", ".toml", ".json")
_SOURCE = re.compile(r"(.*):(\d+):(\d+)\Z", re.S)
# ConfigFileError carries no rule of its own: named from its message, else "syntax".
_FILE_RULES = (
    ("duplicate key", "duplicate_key"),
    ("unsupported tag", "unsupported_tag"),
    ("cannot read", "unreadable"),
    ("file suffix", "unknown_format"),
    ("nesting deeper", "too_deep"),
    ("nested too deeply", "too_deep"),
    ("alias expansion", "too_deep"),
    ("invalid UTF-8", "encoding"),
)
_RULE_TEXT = {
    "syntax": "The file is not valid YAML, TOML or JSON.",
    "duplicate_key": "A mapping sets the same key twice.",
    "unsupported_tag": "A YAML tag outside the core schema; it is refused, never constructed.",
    "unreadable": "The file cannot be read.",
    "unknown_format": "The file suffix is not .yaml, .yml, .toml or .json.",
    "too_deep": "The file nests or expands beyond the loader's limits.",
    "encoding": "The file is not valid UTF-8.",
    "interpolation": "A ${...} reference that is missing, cyclic or malformed.",
    "extra_forbidden": "A key the schema does not define.",
    "missing": "A required field that no file sets.",
}


@dataclass(frozen=True)
class Finding:
    """One problem: ``line``/``column`` are 1-based (None when unknown), ``key`` is dotted
    (None for a problem of the whole file), ``type`` the rule."""

    file: str
    line: int | None
    column: int | None
    key: str | None
    message: str
    type: str


def _file_finding(e: ConfigFileError, fallback: str) -> Finding:
    rule = next((r for text, r in _FILE_RULES if text in e.message), "syntax")
    # a message about a key starts with it (`spec.selector: duplicate key …`): the finding's key
    message = e.message.removeprefix(f"{e.key}: ") if e.key else e.message
    return Finding(e.path or fallback, e.lineno, e.colno, e.key, message, rule)


def _finding(e: ErrorDetails, fallback: str) -> Finding:
    source = e.get("source") or ""
    m = _SOURCE.match(source)
    file, line, col = (m.group(1), int(m.group(2)), int(m.group(3))) if m else (fallback, 0, 0)
    message = e["msg"]
    if e["type"] not in NO_INPUT:
        message += f" [input={shown(e.get('input'))}]"
    key = dotted(tuple(e["loc"])) or None
    return Finding(file, line or None, col or None, key, message, e["type"])


def check(files: Sequence[str], schema: type | None, interpolate: bool = True) -> list[Finding]:
    """The findings of ``files`` loaded as layers of one config (one file: alone); without
    ``interpolate``, ``${…}`` is text (``hp.load(..., interpolate=False)``)."""
    layers = []
    findings = []
    for i, path in enumerate(files):
        try:
            layers.append(loader._file_layer(path, None, i))
        except ConfigFileError as e:
            findings.append(_file_finding(e, path))
    if findings:
        return findings
    try:
        loader._run(layers, schema, (), None, interpolate)
    except ConfigValidationError as e:
        findings = [_finding(d, files[-1]) for d in e.errors()]
    return findings


def lint(
    paths: Sequence[str], *, schema: str | None, merge: bool, interpolate: bool | None = None
) -> tuple[list[str], list[Finding]]:
    """The files checked and the findings; ``interpolate`` None means as the pyproject says
    (default: resolve ``${…}``). Raises :class:`CliError` for usage problems: no files, a
    schema that cannot be imported, a ``--merge`` set with different schemas or different
    interpolation settings."""
    config = find_config()
    files = targets(paths, config)
    schemas = _Schemas(schema, config)

    def resolves(path: str) -> bool:
        return interpolate if interpolate is not None else interpolate_for(path, config)

    if merge:
        flags = {resolves(f) for f in files}
        if len(flags) > 1:
            raise CliError(
                "--merge: the pyproject interpolates some of the files and not others; "
                "pass --interpolate or --no-interpolate"
            )
        return files, check(files, schemas.shared(files, "--merge"), flags.pop())
    findings = []
    for path in files:
        findings += check([path], schemas.load(schemas.name(path)), resolves(path))
    return files, findings


# ------------------------------------------------------------------------------- output


def render(files: Sequence[str], findings: Sequence[Finding], fmt: str) -> str:
    """The report in ``text``, ``json``, ``github`` or ``sarif`` format."""
    if fmt == "json":
        doc = {"files_checked": len(files), "findings": [asdict(f) for f in findings]}
        return json_text(doc)
    if fmt == "github":
        return printable("\n".join(_github(f) for f in findings))
    if fmt == "sarif":
        return json_text(_sarif(findings))
    lines = [printable(_text(f)) for f in findings]
    n, bad = len(files), len({f.file for f in findings})
    if findings:
        what = f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
        lines.append(f"{what} in {bad} of {n} file{'s' if n != 1 else ''}")
    else:
        lines.append(f"{n} file{'s' if n != 1 else ''} checked, no findings")
    return "\n".join(lines)


def _prefix(f: Finding) -> str:
    """The key before a finding's message, quoted when outside the grammar (``'ab ': ``)."""
    return f"{key_text(f.key.split('.'))}: " if f.key else ""


def _text(f: Finding) -> str:
    where = f.file
    if f.line is not None:
        where += f":{f.line}" + (f":{f.column}" if f.column is not None else "")
    key = _prefix(f)
    return f"{where}: {key}{f.message} ({f.type})"


def _escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _github(f: Finding) -> str:
    props = [f"file={_escape(f.file, True)}"]
    if f.line is not None:
        props.append(f"line={f.line}")
        if f.column is not None:
            props.append(f"col={f.column}")
    props.append(f"title={_escape(f'hp lint ({f.type})', True)}")
    key = _prefix(f)
    return f"::error {','.join(props)}::{_escape(key + f.message)}"


def _uri(path: str) -> dict[str, str]:
    # A URI holds bytes: a name that is not UTF-8 is percent-encoded byte by byte.
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(os.fsencode(PurePath(path).as_posix())), "uriBaseId": "%SRCROOT%"}


def _sarif(findings: Sequence[Finding]) -> dict[str, Any]:
    from .._version import __version__

    rules: dict[str, int] = {}
    for f in findings:
        rules.setdefault(f.type, len(rules))
    results = []
    for f in findings:
        physical: dict[str, Any] = {"artifactLocation": _uri(f.file)}
        if f.line is not None:
            physical["region"] = {"startLine": f.line, "startColumn": f.column or 1}
        key = _prefix(f)
        results.append(
            {
                "ruleId": f.type,
                "ruleIndex": rules[f.type],
                "level": "error",
                "message": {"text": key + f.message},
                "locations": [{"physicalLocation": physical}],
            }
        )
    descriptors = []
    for rule in rules:
        text = _RULE_TEXT.get(rule, f"The value fails the schema check {rule!r}.")
        descriptors.append(
            {
                "id": rule,
                "name": rule,
                "shortDescription": {"text": text},
                "fullDescription": {"text": text},
                "help": {"text": text},
                "defaultConfiguration": {"level": "error"},
            }
        )
    root = Path(os.getcwd()).as_uri().rstrip("/") + "/"
    run = {
        "tool": {
            "driver": {
                "name": "hp lint",
                "fullName": "hyperparameter config linter",
                "version": __version__,
                "rules": descriptors,
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }


def main(
    paths: Sequence[str],
    *,
    schema: str | None,
    merge: bool,
    fmt: str,
    interpolate: bool | None = None,
) -> int:
    """Runs ``hp lint``; returns 0 clean, 1 findings (raises CliError for usage errors)."""
    files, findings = lint(paths, schema=schema, merge=merge, interpolate=interpolate)
    text = render(files, findings, fmt)
    if text:
        out(text)
    return 1 if findings else 0


def run(ns: argparse.Namespace) -> int:
    return main(
        ns.files, schema=ns.schema, merge=ns.merge, fmt=ns.format, interpolate=ns.interpolate
    )
