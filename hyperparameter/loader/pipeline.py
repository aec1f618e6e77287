"""``load`` / ``loads``: the pipeline of DESIGN §2, owning no format or schema logic of its own.

parse (``formats``) → merge with provenance (``merge``, ``env``: defaults < files < env <
overrides) → interpolate (``interpolate``) → validate and coerce (``schema``) → a real schema
instance. Source positions are computed only when an error needs them (``formats.positions``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, overload

from ..api import provenance as _provenance
from ..coerce import Raw, untyped
from ..errors import (
    ConfigFileError,
    ConfigInterpolationError,
    ConfigValidationError,
    ErrorDetails,
    InterpolationError,
)
from ..schema import adapter_for, to_tree
from . import env as _env
from . import formats as _formats
from . import interpolate as _interpolate
from . import merge as _merge
from . import secrets as _secrets

__all__ = ["Document", "load", "loads"]

T = TypeVar("T")
Format = Literal["yaml", "toml", "json"]
Loc = tuple[str | int, ...]
_KIND_ORDER = {"default": 0, "mapping": 1, "file": 1, "env": 2, "override": 3}


@dataclass
class _Layer:
    """One merge layer and how to say where its values came from."""

    name: str
    kind: Literal["default", "mapping", "file", "env", "override"]
    tree: dict[str, Any] | _merge.Assignment
    data: bytes | str | None = None
    fmt: Format | None = None
    order: int = 0
    _positions: dict[Loc, _formats.Position] | None = field(default=None, repr=False)

    def positions(self) -> dict[Loc, _formats.Position]:
        if self._positions is None:
            assert self.data is not None
            assert self.fmt is not None
            try:
                self._positions = _formats.positions(self.data, self.fmt, self.name)
            except ConfigFileError:
                self._positions = {}
        return self._positions

    def where(self, loc: Loc, *, key: bool = False) -> tuple[str, int, int]:
        """``(source, line, col)``: ``path:line:col`` for files (the key's position when
        ``key``), else the layer name."""
        if self.kind != "file":
            return self.name, 0, 0
        table = self.positions()
        for end in range(len(loc), -1, -1):
            pos = table.get(loc[:end])
            if pos is not None:
                if key and end == len(loc):
                    return f"{self.name}:{pos.key_line}:{pos.key_col}", pos.key_line, pos.key_col
                return f"{self.name}:{pos.line}:{pos.col}", pos.line, pos.col
        return self.name, 0, 0


class Document(os.PathLike[str]):
    """One document of a multi-document YAML file, as a source of :func:`load`::

        cfg = hp.load("base.yaml", hp.Document("sweep.yaml", 2), schema=Train)

    ``index`` counts from 0 (negative from the end). Messages name the file with the lines
    and columns of the whole file. A TOML or JSON file is one document: 0 (or -1)."""

    __slots__ = ("index", "path")

    def __init__(self, path: str | os.PathLike[str], index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"Document index must be an int, not {type(index).__name__}")
        self.path = os.fspath(path)
        self.index = index

    def __fspath__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return f"Document({self.path!r}, {self.index})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Document) and (other.path, other.index) == (self.path, self.index)

    def __hash__(self) -> int:
        return hash((Document, self.path, self.index))


def _one_document(data: bytes | str, fmt: Format, index: int | None, name: str) -> bytes | str:
    """``data`` reduced to its ``index``-th document (``None``: the whole text)."""
    if index is None:
        return data
    if fmt == "yaml":
        return _formats.select_document(data, index, name)
    if index not in (0, -1):
        raise ConfigFileError(
            f"a {fmt.upper()} file is one document: there is no document {index}", name
        )
    return data


def _file_layer(source: str | os.PathLike[str], fmt: Format | None, order: int) -> _Layer:
    name = os.fspath(source)
    kind = _formats.format_for(name, fmt)
    data: bytes | str = _formats.read_bytes(name)
    if isinstance(source, Document):
        data = _one_document(data, kind, source.index, name)
    return _Layer(name, "file", _formats.parse(data, kind, name), data, kind, order)


class _Known:
    """The locs a schema has fields for (``loc in known``), for environment variables."""

    def __init__(self, schema: type) -> None:
        self.adapter = adapter_for(schema)

    def __contains__(self, loc: object) -> bool:
        return isinstance(loc, tuple) and self.adapter.annotation_at(loc)[0]


def _assignment_layers(
    entries: list[_merge.Entry], kind: Literal["env", "override"], prefix: str = ""
) -> list[_Layer]:
    return [
        _Layer(name, kind, assignment) for name, assignment in _merge.assignments(entries, prefix)
    ]


def _title(schema: type | None, layers: list[_Layer]) -> str:
    names = [layer.name for layer in layers if layer.kind in ("file", "mapping")]
    if any(layer.kind == "env" for layer in layers):
        names.append("env")
    if any(layer.kind == "override" for layer in layers):
        names.append("overrides")
    what = schema.__name__ if schema is not None else "config"
    return f"loading {what} ({' <- '.join(names)})" if names else f"loading {what}"


def _plain(tree: dict[str, Any]) -> dict[str, Any]:
    """Parses the raw override strings left in a schema-less result as YAML scalars, in place
    (the tree is the pipeline's own copy) and iteratively (it may nest 1,000 levels)."""
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for k, v in items:
            if type(v) is Raw:
                node[k] = untyped(v)
            elif isinstance(v, (dict, list)):
                stack.append(v)
    return tree


def _run(
    layers: list[_Layer],
    schema: type | None,
    overrides: Sequence[str],
    env_prefix: str | None,
    interpolate: bool,
) -> Any:
    adapter = adapter_for(schema) if schema is not None else None
    if adapter is not None:
        layers.insert(0, _Layer("default", "default", adapter.defaults()))
    if env_prefix:
        known = _Known(schema) if schema is not None else None
        layers.extend(
            _assignment_layers(_env.env_layer(env_prefix, os.environ, known), "env", "env:")
        )
    layers.extend(_assignment_layers(_merge.override_layer(overrides), "override"))
    by_name = {layer.name: layer for layer in layers}
    tree, provenance = _merge.merge([(layer.name, layer.tree) for layer in layers])

    problems: list[tuple[ErrorDetails, Literal["value", "key", "parent"]]] = []
    ierrors: list[InterpolationError] = []
    log = _secrets.Log()
    if interpolate:
        tree, ierrors = _interpolate.interpolate(
            tree,
            os.environ,
            provenance=provenance,
            locate=lambda loc: _where(loc, by_name, provenance),
            secrets=log,
        )
        for ie in ierrors:
            problems.append((_interpolation_details(ie), "value"))
    result: Any = tree
    if adapter is not None:
        failed = {tuple(e["loc"]) for e, _ in problems}
        result, verrors = adapter.validate(tree)
        for e in verrors:
            if tuple(e["loc"]) in failed:
                continue  # the unresolved reference is the error, not its text's type
            anchor: Literal["value", "key", "parent"] = "value"
            if e["type"] == "extra_forbidden":
                anchor = "key"
            elif e["type"] == "missing":
                anchor = "parent"
            problems.append((e, anchor))
    elif adapter is None:
        result = _plain(tree)
    if problems:
        secrets = _secrets.Secrets(log, schema, tree)
        located = _locate(problems, layers, by_name, provenance, secrets)
        raise _failure(_title(schema, layers), located, ierrors)
    if log.at:
        _secrets.remember(log, to_tree(result))
    if adapter is not None:
        _provenance.attach(result, _namer(tree, by_name, provenance))
    return result


def _namer(
    tree: dict[str, Any], by_name: dict[str, _Layer], provenance: Mapping[Loc, str]
) -> Callable[[list[str]], dict[str, str]]:
    """What names the source of each flat key of a loaded config (as ``hp explain`` does):
    kept with the instance, run on its first capture (``api.provenance``)."""

    def name(keys: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for key in keys:
            loc = _loc_in(tree, key)
            layer = _owner(loc, by_name, provenance)
            out[key] = "default" if layer is None else layer.where(loc)[0]
        return out

    return name


def _loc_in(tree: Any, key: str) -> Loc:
    """The location of the flat ``key`` in ``tree`` (list indexes as ``int``)."""
    loc: list[str | int] = []
    node = tree
    for part in key.split("."):
        seg: str | int = part
        if isinstance(node, list) and part.isdigit():
            seg = int(part)
            node = node[seg] if seg < len(node) else None
        else:
            node = node.get(part) if isinstance(node, Mapping) else None
        loc.append(seg)
    return tuple(loc)


def _failure(
    title: str, errors: list[ErrorDetails], interpolation: Sequence[InterpolationError]
) -> ConfigValidationError:
    """The error of a load that found ``errors`` (located and sorted): when one of them is an
    ``interpolation`` finding, a :class:`ConfigInterpolationError` with the fields of the
    first (its chain from ``interpolation``), else a :class:`ConfigValidationError`."""
    first = next((e for e in errors if e["type"] == "interpolation"), None)
    if first is None:
        return ConfigValidationError(title, errors)
    loc = tuple(first["loc"])
    found = next((e for e in interpolation if tuple(e.loc) == loc), None)
    if found is None:
        found = InterpolationError(first["msg"], loc, (), first["source"])
    return ConfigInterpolationError(title, errors, found)


def _where(loc: Loc, by_name: dict[str, _Layer], provenance: Mapping[Loc, str]) -> str | None:
    layer = _owner(loc, by_name, provenance)
    return None if layer is None else layer.where(loc)[0]


def _interpolation_details(e: InterpolationError) -> ErrorDetails:
    return {
        "loc": tuple(e.loc),
        "msg": e.message,
        "type": "interpolation",
        "input": None,
        "source": None,
    }


def _owner(loc: Loc, by_name: dict[str, _Layer], provenance: Mapping[Loc, str]) -> _Layer | None:
    name = _merge.source_of(provenance, loc)
    return None if name is None else by_name.get(name)


def _holder(loc: Loc, layers: list[_Layer]) -> _Layer | None:
    """The last file layer whose tree has the mapping at ``loc``."""
    for layer in reversed(layers):
        if layer.kind != "file":
            continue
        node: Any = layer.tree
        for part in loc:
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping):
            return layer
    return next((layer for layer in layers if layer.kind == "file"), None)


def _locate(
    problems: list[tuple[ErrorDetails, Literal["value", "key", "parent"]]],
    layers: list[_Layer],
    by_name: dict[str, _Layer],
    provenance: Mapping[Loc, str],
    secrets: _secrets.Secrets | None = None,
) -> list[ErrorDetails]:
    """``problems`` with their sources, sorted by layer and position; secrets in inputs and
    messages redacted (``secrets``)."""
    order = {id(layer): (_KIND_ORDER[layer.kind], i) for i, layer in enumerate(layers)}
    located: list[tuple[tuple[int, int, int, int], ErrorDetails]] = []
    for e, anchor in problems:
        loc = tuple(e["loc"])
        layer = _holder(loc[:-1], layers) if anchor == "parent" else None
        if layer is None:
            layer = _owner(loc, by_name, provenance)
        if layer is None:
            source, line, col, rank = None, 0, 0, (9, 0)
        elif anchor == "parent":
            source, line, col = layer.where(loc[:-1])
            rank = order[id(layer)]
        else:
            source, line, col = layer.where(loc, key=anchor == "key")
            rank = order[id(layer)]
        inp = e.get("input")
        if type(inp) is Raw:
            inp = inp.text
        found: ErrorDetails = {**e, "input": inp, "source": source}
        if secrets:
            found = secrets.finding(found)
        located.append(((*rank, line, col), found))
    located.sort(key=lambda t: t[0])
    return [e for _, e in located]


@overload
def load(
    *sources: str | os.PathLike[str] | Mapping[str, Any],
    schema: type[T],
    overrides: Sequence[str] = (),
    env_prefix: str | None = None,
    format: Format | None = None,
    interpolate: bool = True,
) -> T: ...
@overload
def load(
    *sources: str | os.PathLike[str] | Mapping[str, Any],
    schema: None = None,
    overrides: Sequence[str] = (),
    env_prefix: str | None = None,
    format: Format | None = None,
    interpolate: bool = True,
) -> dict[str, Any]: ...
def load(
    *sources: str | os.PathLike[str] | Mapping[str, Any],
    schema: type[Any] | None = None,
    overrides: Sequence[str] = (),
    env_prefix: str | None = None,
    format: Format | None = None,
    interpolate: bool = True,
) -> Any:
    """Loads, merges and validates configuration sources.

    ``sources`` are files (``.yaml``/``.yml``, ``.toml``, ``.json``, or any name with
    ``format=``) and mappings, merged left to right over the schema's defaults; then the
    environment (``env_prefix="APP"``: ``APP_MODEL__LR`` sets ``model.lr``) and ``overrides``
    (``"model.lr=3e-4"``). ``${…}`` references are resolved unless ``interpolate=False``.
    With ``schema`` (a dataclass or pydantic model class) the result is an instance of it;
    without, a plain dict. Every problem is reported at once in a
    :class:`~hyperparameter.ConfigValidationError` that names file, line and column.
    """
    layers = []
    for i, src in enumerate(sources):
        if isinstance(src, Mapping):
            layers.append(_Layer(f"<mapping {i + 1}>", "mapping", dict(to_tree(src))))
        else:
            layers.append(_file_layer(src, format, i))
    return _run(layers, schema, overrides, env_prefix, interpolate)


@overload
def loads(
    text: str,
    format: Format,
    *,
    schema: type[T],
    overrides: Sequence[str] = (),
    source: str = "<string>",
    interpolate: bool = True,
    document: int | None = None,
) -> T: ...
@overload
def loads(
    text: str,
    format: Format,
    *,
    schema: None = None,
    overrides: Sequence[str] = (),
    source: str = "<string>",
    interpolate: bool = True,
    document: int | None = None,
) -> dict[str, Any]: ...
def loads(
    text: str,
    format: Format,
    *,
    schema: type[Any] | None = None,
    overrides: Sequence[str] = (),
    source: str = "<string>",
    interpolate: bool = True,
    document: int | None = None,
) -> Any:
    """Like :func:`load` for one document given as text; ``source`` names it in messages.
    ``document`` chooses one document of a multi-document YAML text (0-based)."""
    fmt = _formats.format_for(source, format)
    text = _one_document(text, fmt, document, source)  # type: ignore[assignment]
    layer = _Layer(source, "file", _formats.parse(text, fmt, source), text, fmt)
    return _run([layer], schema, overrides, None, interpolate)
