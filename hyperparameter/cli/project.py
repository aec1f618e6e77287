"""The project's own settings: ``[tool.hyperparameter.lint]`` in the nearest ``pyproject.toml``
(files, schemas and interpolation by glob), the globs expanded safely (each folder once, symlink
loops never followed twice), and the files, overrides and schema a command works on."""

from __future__ import annotations

import argparse
import glob
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, TypeVar

import tomli

from .common import OVERRIDE, CliError
from .resolve import import_schema

__all__ = [
    "SUFFIXES",
    "LintConfig",
    "find_config",
    "interpolate_for",
    "layered",
    "schema_for",
    "shared_schema",
    "targets",
]

T = TypeVar("T")
SUFFIXES = (".yaml", ".yml", ".toml", ".json")


@dataclass(frozen=True)
class LintConfig:
    """``[tool.hyperparameter.lint]`` of one pyproject.toml; globs relative to ``root``.
    ``interpolate`` maps globs to whether their files' ``${…}`` are resolved (``interpolate =
    false`` alone is ``(("**", False),)``)."""

    root: Path
    files: tuple[str, ...]
    schema: str | None
    schemas: tuple[tuple[str, str], ...]
    interpolate: tuple[tuple[str, bool], ...] = ()


def find_config(start: str | os.PathLike[str] | None = None) -> LintConfig | None:
    """The lint table of the nearest pyproject.toml above ``start`` (the working directory)
    that has one."""
    folder = Path(start or os.getcwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if not path.is_file():
            continue
        try:
            data = tomli.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError) as e:
            raise CliError(f"{path}: cannot read [tool.hyperparameter.lint]: {e}") from e
        table = data.get("tool", {}).get("hyperparameter", {}).get("lint")
        if table is None:
            continue
        return _config(path, table)
    return None


def _config(path: Path, table: Any) -> LintConfig:
    def strings(value: Any, what: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CliError(f"{path}: [tool.hyperparameter.lint] {what} must be a list of strings")
        return tuple(value)

    if not isinstance(table, dict):
        raise CliError(f"{path}: [tool.hyperparameter.lint] must be a table")
    unknown = sorted(set(table) - {"files", "schema", "schemas", "interpolate"})
    if unknown:
        raise CliError(f"{path}: [tool.hyperparameter.lint] has unknown keys: {unknown}")
    schema = table.get("schema")
    if schema is not None and not isinstance(schema, str):
        raise CliError(f"{path}: [tool.hyperparameter.lint] schema must be a string")
    schemas = table.get("schemas", {})
    if not isinstance(schemas, dict) or not all(isinstance(v, str) for v in schemas.values()):
        raise CliError(f"{path}: [tool.hyperparameter.lint.schemas] must map globs to strings")
    interpolate = table.get("interpolate", {})
    if isinstance(interpolate, bool):
        interpolate = {"**": interpolate}
    if not isinstance(interpolate, dict) or not all(
        isinstance(v, bool) for v in interpolate.values()
    ):
        raise CliError(
            f"{path}: [tool.hyperparameter.lint] interpolate must be true, false, or a table "
            "mapping globs to true or false"
        )
    return LintConfig(
        path.parent,
        strings(table.get("files", []), "files"),
        schema,
        tuple(schemas.items()),
        tuple(interpolate.items()),
    )


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as a regex over ``/``-separated relative paths; ``**`` spans folders."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _specificity(pattern: str) -> tuple[int, int]:
    """(length of the text before the first wildcard, number of literal characters)."""
    prefix = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
    return len(prefix), len(re.sub(r"\*\*|[*?]|\[[^\]]*\]", "", pattern))


def schema_for(path: str, config: LintConfig | None) -> str | None:
    """The schema a pyproject assigns to ``path``: the most specific matching glob of
    ``schemas`` (the longest text before its first wildcard, then the most literal
    characters; the first on a tie), else ``schema``."""
    if config is None:
        return None
    return _most_specific(path, config, config.schemas, config.schema)


def interpolate_for(path: str, config: LintConfig | None) -> bool:
    """Whether ``${…}`` in ``path`` is resolved: the most specific matching glob of the
    pyproject's ``interpolate`` (as in :func:`schema_for`), else true."""
    if config is None:
        return True
    return _most_specific(path, config, config.interpolate, True)


def _most_specific(path: str, config: LintConfig, table: Sequence[tuple[str, T]], default: T) -> T:
    rel = PurePath(os.path.relpath(os.path.abspath(path), config.root)).as_posix()
    matches = [(g, v) for g, v in table if _glob_regex(g.removeprefix("./")).match(rel)]
    if matches:
        return max(matches, key=lambda m: _specificity(m[0]))[1]
    return default


def _display(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _expand(paths: Sequence[str]) -> list[str]:
    out: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            found = [
                os.path.join(folder, name)
                for folder, _, names in os.walk(path)
                for name in names
                if name.lower().endswith(SUFFIXES)
            ]
            out += sorted(found)
        elif os.path.exists(path):
            out.append(path)
        else:
            raise CliError(f"no such file or directory: {path}")
    return out


def _glob(root: str, pattern: str) -> list[str]:
    """The paths (relative to ``root``, sorted) of what is not a folder and matches
    ``pattern``, as ``glob.glob(pattern, root_dir=root, recursive=True)`` finds them (names
    starting with ``.`` only for a segment that starts with ``.``), except that ``**`` enters
    each folder once: a symlink back up the tree (``sub/up -> ..``) or a second link to a
    folder already seen is not followed, so loops cannot multiply the work. FIFOs, devices
    and broken links are kept: reading refuses them as ``unreadable`` findings."""
    parts = [p for p in pattern.removeprefix("./").split("/") if p not in ("", ".")]
    level = [""]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        found: list[str] = []
        if part == "**":
            folders = _folders(root, level)
            found = folders
            if last:  # a trailing ** matches every entry below, as in glob
                found = [os.path.join(d, n) for d in folders for n in _names(root, d, False)]
        elif not glob.has_magic(part):
            found = [
                os.path.join(d, part) for d in level if os.path.lexists(os.path.join(root, d, part))
            ]
        else:
            match = _glob_regex(part).match
            hidden = part.startswith(".")
            found = [os.path.join(d, n) for d in level for n in _names(root, d, hidden) if match(n)]
        level = found if last else [d for d in found if os.path.isdir(os.path.join(root, d))]
    return sorted({p for p in level if p and not os.path.isdir(os.path.join(root, p))})


def _names(root: str, folder: str, hidden: bool) -> list[str]:
    try:
        names = os.listdir(os.path.join(root, folder))
    except OSError:
        return []
    return sorted(n for n in names if hidden or not n.startswith("."))


def _folders(root: str, starts: list[str]) -> list[str]:
    """``starts`` and every folder below them (not hidden ones), each real folder once: a
    folder is identified by ``(st_dev, st_ino)``, so no symlink is followed into a folder
    already entered. Symlinked folders are entered after every real one, so a file is named
    by its real path when it has one under ``starts``."""
    seen: set[tuple[int, int]] = set()
    out: list[str] = []
    stack = list(reversed(starts))
    links: list[str] = []
    while stack or links:
        folder = stack.pop() if stack else links.pop(0)
        try:
            info = os.stat(os.path.join(root, folder))
        except OSError:
            continue
        if (info.st_dev, info.st_ino) in seen:
            continue
        seen.add((info.st_dev, info.st_ino))
        out.append(folder)
        subs = [os.path.join(folder, n) for n in _names(root, folder, False)]
        subs = [d for d in subs if os.path.isdir(os.path.join(root, d))]
        links += [d for d in subs if os.path.islink(os.path.join(root, d))]
        stack += reversed([d for d in subs if not os.path.islink(os.path.join(root, d))])
    return out


def targets(paths: Sequence[str], config: LintConfig | None) -> list[str]:
    """The files to lint: ``paths`` (folders searched for config files), else the pyproject
    globs (``files`` and the keys of ``schemas``)."""
    if paths:
        return _expand(paths)
    if config is None or not (config.files or config.schemas):
        raise CliError(
            "no files given, and no pyproject.toml with [tool.hyperparameter.lint] files"
        )
    found: dict[str, None] = {}
    for pattern in (*config.files, *(g for g, _ in config.schemas)):
        for rel in _glob(str(config.root), pattern):
            found[_display(os.path.join(config.root, rel))] = None
    if not found:
        raise CliError(f"no files match the globs of [tool.hyperparameter.lint] in {config.root}")
    return list(found)


class _Schemas:
    """Schema names (``--schema``, else the pyproject's) imported once each."""

    def __init__(self, spec: str | None, config: LintConfig | None) -> None:
        self.spec = spec
        self.config = config
        self.folders = [str(config.root)] if config is not None else []
        self.imported: dict[str, type] = {}

    def name(self, path: str | None) -> str | None:
        if self.spec is not None:
            return self.spec
        if path is None:
            return self.config.schema if self.config is not None else None
        return schema_for(path, self.config)

    def load(self, name: str | None) -> type | None:
        if name is None:
            return None
        if name not in self.imported:
            self.imported[name] = import_schema(name, folders=self.folders)
        return self.imported[name]

    def shared(self, files: Sequence[str], what: str) -> type | None:
        """The one schema of a set of files layered into one config."""
        names = {self.name(f) for f in files} if files else {self.name(None)}
        if len(names) > 1:
            listed = ", ".join(sorted(str(n) for n in names))
            raise CliError(f"{what}: the files map to different schemas ({listed}); pass --schema")
        return self.load(names.pop())


def shared_schema(spec: str | None, files: Sequence[str]) -> type | None:
    """The schema for ``files`` merged into one config: ``spec``, else the one the pyproject
    assigns to all of them (None without either)."""
    return _Schemas(spec, find_config()).shared(files, "--schema")


def layered(ns: argparse.Namespace) -> tuple[list[str], list[str], type | None]:
    """Files, overrides (``-D``, then bare ``KEY=VALUE`` words) and schema of a command."""
    files: list[str] = []
    defines = list(ns.define)
    for word in ns.files:
        if OVERRIDE.match(word) and not os.path.exists(word):
            defines.append(word)
        else:
            files.append(word)
    schema = shared_schema(ns.schema, files)
    if not files and schema is None:
        raise CliError("no files given (and no schema whose defaults to show)")
    return files, defines, schema
