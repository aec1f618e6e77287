"""What both command-line faces share: importing a schema by name, resolving files and
overrides through the loader's own steps with every layer kept (so each value can say where it
came from), and explaining one key.

Resolution reuses the loader's pipeline rather than copying it: files are parsed by
``loader._file_layer``, ``-D`` strings become layers by ``_merge.override_layer``, validation
and every error message come from ``loader._run`` — the code path of :func:`hyperparameter.load`.
What the loader does not return (the merged tree before interpolation, the provenance map, the
layers) is rebuilt here from the same layers with ``_merge.merge`` and ``_interpolate``.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..coerce import Raw
from ..errors import ConfigValidationError, ErrorDetails, Loc
from ..loader import interpolate as _interpolate
from ..loader import merge as _merge
from ..loader import pipeline as loader
from ..loader import references as _refs
from ..loader import secrets as _secrets
from ..schema import adapter_for, is_schema, to_tree
from .common import MISSING, CliError, dotted, show

if TYPE_CHECKING:
    pass

__all__ = ["Resolution", "import_schema", "resolve", "trailing_comment", "walk"]


def _ensure_importable(folder: str) -> None:
    # Console scripts do not put the working directory on sys.path, `python -m` does.
    folder = os.path.abspath(folder)
    if folder not in (os.path.abspath(p or ".") for p in sys.path):
        sys.path.insert(0, folder)


def import_schema(spec: str, *, folders: Sequence[str] = ()) -> type:
    """The dataclass or pydantic model named ``package.module:Class`` (or
    ``package.module.Class``), imported with the working directory and ``folders`` on
    ``sys.path``. Raises :class:`CliError` when it cannot be imported or is not a schema."""
    module_name, sep, qualname = spec.partition(":")
    if not sep:
        module_name, _, qualname = spec.rpartition(".")
    if not module_name or not qualname:
        raise CliError(f"invalid schema {spec!r}: expected 'package.module:Class'")
    for folder in (*folders, os.getcwd()):
        _ensure_importable(folder)
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as e:
        raise CliError(f"cannot import schema {spec!r}: {type(e).__name__}: {e}") from e
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise CliError(
                f"cannot import schema {spec!r}: {module_name!r} has no attribute {part!r}"
            ) from None
    if not is_schema(obj):
        raise CliError(f"schema {spec!r} is not a dataclass or a pydantic model class")
    return obj  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- resolution


def walk(node: Any, loc: Loc) -> Any:
    """The value at ``loc`` in a tree of mappings and lists, or MISSING."""
    for part in loc:
        if isinstance(node, Mapping):
            if part in node:
                node = node[part]
            elif str(part) in node:
                node = node[str(part)]
            else:
                return MISSING
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return MISSING
    return node


def _value_in(layer: loader._Layer, loc: Loc) -> Any:
    """What ``layer`` sets at ``loc``, or MISSING."""
    tree = layer.tree
    if isinstance(tree, _merge.Assignment):
        n = len(tree.loc)
        if len(loc) < n or tuple(map(str, loc[:n])) != tuple(map(str, tree.loc)):
            return MISSING
        return walk(tree.value, loc[n:]) if len(loc) > n else tree.value
    return walk(tree, loc)


def _under(loc: Loc, prefixes: Iterable[Loc]) -> bool:
    return any(loc[: len(p)] == p for p in prefixes)


def _strip(layer: loader._Layer, owned: Sequence[Loc]) -> loader._Layer | None:
    """``layer`` without the subtrees of ``owned`` namespaces (None when nothing is left)."""
    tree = layer.tree
    if isinstance(tree, _merge.Assignment):
        return None if _under(tree.loc, owned) else layer
    for ns in owned:
        parent = walk(tree, ns[:-1])
        if isinstance(parent, Mapping) and ns[-1] in parent:
            tree = _without(tree, ns)
    return layer if tree is layer.tree else dataclasses.replace(layer, tree=tree)


def _without(tree: dict[str, Any], loc: Loc) -> dict[str, Any]:
    out = dict(tree)
    if len(loc) == 1:
        del out[str(loc[0])]
    else:
        out[str(loc[0])] = _without(tree[str(loc[0])], loc[1:])
    return out


def _put(tree: dict[Any, Any], loc: Loc, value: Any) -> None:
    for part in loc[:-1]:
        child = tree.get(part)
        if not isinstance(child, dict):
            child = tree[part] = {}
        tree = child
    tree[loc[-1]] = value


@dataclasses.dataclass
class Resolution:
    """Files, ``-D`` overrides and command-line assignments, merged and resolved.

    ``layers`` are in merge order (the schema's defaults first); ``merged`` is the tree before
    interpolation; ``tree`` is the final config as nested dicts (raw override strings kept
    where no schema typed them) and ``instance`` the schema instance. ``errors`` holds the
    validation findings when the resolution was tolerant. ``secrets`` says which values a
    display must redact.
    """

    schema: type | None
    layers: list[loader._Layer]
    merged: dict[str, Any]
    tree: dict[str, Any]
    instance: Any
    errors: list[ErrorDetails]
    secrets: _secrets.Secrets = dataclasses.field(default_factory=_secrets.Secrets)
    _lines: dict[int, list[str]] = dataclasses.field(default_factory=dict, repr=False)

    def where(self, layer: loader._Layer, loc: Loc) -> str:
        return layer.where(loc)[0] if layer.kind == "file" else layer.name

    def source(self, loc: Loc) -> str:
        """Where the final value at ``loc`` was set: ``path:line:col``, ``-D k=v``, an
        argument, or ``default`` (also for a key no layer sets)."""
        setters = self.setters(loc)
        return setters[-1][0] if setters else "default"

    def value(self, loc: Loc) -> Any:
        return walk(self.tree, loc)

    def subtree(self, locs: Iterable[Loc]) -> dict[str, Any]:
        """The final tree restricted to ``locs``."""
        out: dict[Any, Any] = {}
        for loc in locs:
            value = walk(self.tree, loc)
            if value is not MISSING:
                _put(out, loc, value)
        return out

    def default(self, loc: Loc) -> Any:
        layer = self.layers[0] if self.layers and self.layers[0].kind == "default" else None
        return MISSING if layer is None else _value_in(layer, loc)

    def annotation(self, loc: Loc) -> Any:
        """The schema's type for ``loc``, or None."""
        if self.schema is None:
            return None
        known, annotation = adapter_for(self.schema).annotation_at(loc)
        return annotation if known and annotation is not Any else None

    def setters(self, loc: Loc, *, notes: bool = False) -> list[tuple[str, Any]]:
        """``(where, value)`` of every layer that sets ``loc``, lowest precedence first; with
        ``notes``, a file's ``# tuned: …`` comment on the value's line follows its location:
        ``best.yaml:2:7 (tuned: trial 12 of study 'lr-search')`` (``tune``'s ``dump_best``
        writes them)."""
        found = []
        for layer in self.layers:
            v = _value_in(layer, loc)
            if v is not MISSING:
                where = self.where(layer, loc)
                note = self._note(layer, loc) if notes and layer.kind == "file" else None
                found.append((f"{where} ({note})" if note else where, v))
        return found

    def _note(self, layer: loader._Layer, loc: Loc) -> str | None:
        """The ``tuned: …`` comment at the end of the line of ``loc``'s value in a YAML or
        TOML file layer, or None."""
        if layer.fmt not in ("yaml", "toml") or layer.data is None:
            return None
        pos = layer.positions().get(loc)
        if pos is None:
            return None
        lines = self._lines.get(id(layer))
        if lines is None:
            data = layer.data
            text = (
                data.removeprefix("\ufeff")
                if isinstance(data, str)
                else data.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
            )
            lines = self._lines[id(layer)] = _LINE_BREAK.split(text)
        if not 0 < pos.line <= len(lines):
            return None
        comment = trailing_comment(lines[pos.line - 1][pos.col - 1 :], layer.fmt)
        return comment if comment is not None and comment.startswith("tuned:") else None

    def leaves(self) -> list[Loc]:
        """The loc of every leaf of the final tree (lists and empty mappings are leaves)."""
        out: list[Loc] = []
        stack: list[tuple[Loc, Any]] = [((), self.tree)]
        while stack:
            loc, node = stack.pop()
            if isinstance(node, Mapping) and (node or not loc):
                stack.extend(((*loc, k), v) for k, v in reversed(list(node.items())))
            else:
                out.append(loc)
        return out

    def chain(self, loc: Loc, depth: int = 0, seen: frozenset[Loc] = frozenset()) -> list[str]:
        """The interpolation steps that produced the value at ``loc``, one line each."""
        raw = walk(self.merged, loc)
        text = raw.text if isinstance(raw, Raw) else raw
        if not isinstance(text, str) or "${" not in text:
            return []
        try:
            parts = _refs.parse(text)
        except _refs.TemplateSyntax as e:
            if self.secrets.names_at(loc, env=False) is not None:
                return [f"{'  ' * depth}{_secrets.MARKER}: invalid interpolation"]
            return [f"{'  ' * depth}{e.text}: invalid interpolation: {e.reason}"]
        lines = []
        for part in parts:
            pad = "  " * depth
            if isinstance(part, _refs.Env):
                found = os.environ.get(part.name)
                shown = (
                    repr(_secrets.Redacted()) if found is not None else "unset, the default applies"
                )
                lines.append(f"{pad}{part.text}: env:{part.name} = {shown}")
                continue
            if not isinstance(part, _refs.Ref):
                continue
            target = _target(loc, part)
            if target is None or walk(self.merged, target) is MISSING:
                lines.append(f"{pad}{part.text}: missing")
                continue
            key = dotted(target)
            if target in seen or target == loc:
                lines.append(f"{pad}{part.text} -> {key}: cycle")
                continue
            value = self.secrets.redact(walk(self.tree, target), target)
            lines.append(f"{pad}{part.text} -> {key} = {show(value)}  ({self.source(target)})")
            lines += self.chain(target, depth + 1, seen | {loc})
        return lines


_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as YAML counts lines (and the positions)


def trailing_comment(text: str, fmt: str) -> str | None:
    """The comment ending ``text`` — a value and the rest of its line in a YAML or TOML file —
    without its ``#`` and spaces; None when there is none. Quoted strings are skipped (a ``#``
    in one is text); in YAML a ``#`` starts a comment only at a space, and a quote starts a
    string only where a scalar can start."""
    yaml = fmt == "yaml"
    i, n, prev = 0, len(text), ""
    while i < n:
        c = text[i]
        if c == "#" and (not yaml or i == 0 or text[i - 1] in " \t"):
            return text[i + 1 :].strip()
        if c in "\"'" and (not yaml or not prev or prev in "[{,:?-"):
            close = c * 3 if not yaml and text.startswith(c * 3, i) else c
            j = i + len(close)
            # an escape: a backslash in a double-quoted string, '' in YAML's single-quoted
            escape = "\\" if c == '"' else "''" if yaml else None
            while j < n:
                if escape is not None and text.startswith(escape, j):
                    j += 2
                elif text.startswith(close, j):
                    break
                else:
                    j += 1
            if j >= n:
                return None  # the string goes on past this line
            i, prev = j + len(close), c
            continue
        if c not in " \t":
            prev = c
        i += 1
    return None


def _target(holder: Loc, ref: Any) -> Loc | None:
    base = _refs.ref_base(holder, ref)
    if base is None:
        return None
    index = _refs.list_index
    return (*base, *(p if (i := index(p)) is None else i for p in ref.path))


def resolve(
    files: Sequence[str],
    *,
    schema: type | None = None,
    defines: Sequence[str] = (),
    assignments: Sequence[tuple[Loc, Any, str]] = (),
    owned: Sequence[Loc] = (),
    tolerant: bool = False,
) -> Resolution:
    """Merges ``files`` (in order), ``defines`` (``"k=v"``, in order) and ``assignments``
    (``(loc, value, source name)``, highest precedence) over the schema's defaults.

    With ``schema`` the result is validated by the loader (all errors at once); subtrees under
    ``owned`` namespaces are kept out of that validation — a launched function's signature
    types them. Raises :class:`~hyperparameter.ConfigFileError` for a file that cannot be
    parsed and :class:`~hyperparameter.ConfigValidationError` for every other problem, unless
    ``tolerant`` (then the findings are in ``errors`` and ``tree`` is the unvalidated one).
    """
    layers = [loader._file_layer(path, None, i) for i, path in enumerate(files)]
    layers += loader._assignment_layers(_merge.override_layer(defines), "override")
    layers += [
        loader._Layer(name, "override", _merge.Assignment(loc, value))
        for loc, value, name in assignments
    ]
    everything = list(layers)
    if schema is not None:
        everything.insert(0, loader._Layer("default", "default", adapter_for(schema).defaults()))
    by_name = {layer.name: layer for layer in everything}
    merged, provenance = _merge.merge([(layer.name, layer.tree) for layer in everything])
    log = _secrets.Log()
    tree, problems = _interpolate.interpolate(
        merged,
        os.environ,
        provenance=provenance,
        locate=lambda loc: loader._where(loc, by_name, provenance),
        secrets=log,
    )
    secrets = _secrets.Secrets(log, schema, tree)
    errors: list[ErrorDetails] = []
    instance = None
    if schema is None:
        if problems:
            details = [(loader._interpolation_details(e), "value") for e in problems]
            errors = loader._locate(details, everything, by_name, provenance, secrets)  # type: ignore[arg-type]
    else:
        checked = [s for s in (_strip(layer, owned) for layer in layers) if s is not None]
        try:
            instance = loader._run(checked, schema, (), None, True)
        except ConfigValidationError as e:
            errors = e.errors()
    if errors and not tolerant:
        raise loader._failure(loader._title(schema, everything), errors, problems)
    final = tree
    if instance is not None:
        final = to_tree(instance)
        for ns in owned:
            sub = walk(tree, ns)
            if sub is not MISSING:
                _put(final, ns, sub)
    if log.at:
        _secrets.remember(log, final)
    return Resolution(schema, everything, merged, final, instance, errors, secrets)


# ------------------------------------------------------------------------------- explain
