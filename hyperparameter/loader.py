"""``load`` / ``loads`` / ``dump``: runs the pipeline of DESIGN §2 and owns no format or schema
logic of its own.

parse (``_formats``) → merge with provenance (``_merge``: defaults < files < env < overrides)
→ interpolate (``_interpolate``) → validate and coerce (``schema``) → a real schema instance.
Source positions are computed only when an error needs them (``_formats.positions``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import enum
import io
import json
import math
import os
import secrets
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal, TypeVar, overload

from . import _formats, _interpolate, _merge, _secrets
from .coerce import Raw, untyped
from .errors import (
    ConfigFileError,
    ConfigInterpolationError,
    ConfigValidationError,
    ConversionError,
    ErrorDetails,
    InterpolationError,
    InvalidKeyError,
    shown,
)
from .schema import adapter_for, is_schema, to_tree

__all__ = ["Document", "dump", "load", "loads"]

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
            _assignment_layers(_merge.env_layer(env_prefix, os.environ, known), "env", "env:")
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
    return result


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


# -------------------------------------------------------------------------------- dump


def _dumpable(
    value: Any,
    fmt: Format,
    loc: Loc,
    keep_references: bool = False,
    secrets: Literal["hide", "reveal"] | None = None,
) -> Any:
    """``value`` as what the ``fmt`` writer takes: plain dicts (keys by :func:`_dump_key`),
    lists, scalars; ``${`` in strings escaped unless ``keep_references``. ``secrets="hide"``
    writes each secret as :func:`_secrets.dumped` says (a reference that reads it back, else
    the marker), ``"reveal"`` the real values of ``SecretStr``/``SecretBytes``.

    Iterative (a config may nest 1,000 levels); ``loc`` names where ``value`` is, for errors.
    """
    holder: list[Any] = [None]
    stack: list[tuple[Any, Any, str | int, Loc]] = [(value, holder, 0, loc)]
    pending: list[tuple[Any, Any, str | int, Loc]]
    while stack:
        node, parent, key, at = stack.pop()
        if type(key) is str and _formats.has_surrogate(key):  # no file can hold it
            reason = "a lone surrogate is not text; cannot dump"
            raise InvalidKeyError(".".join(map(str, at)), reason)
        if isinstance(node, enum.Enum):
            node = node.value
        if isinstance(node, Mapping):
            out: Any = {}
            written: dict[Any, Any] = {}  # key as written -> the key it came from
            pending = []
            for k, v in node.items():
                name = _dump_key(k, fmt, at)
                if name in written:
                    raise _key_collision(written[name], k, name, fmt, at)
                written[name] = k
                pending.append((v, out, name, (*at, name)))
        elif isinstance(node, (list, tuple, set, frozenset)):
            items = sorted(node, key=repr) if isinstance(node, (set, frozenset)) else node
            out = [None] * len(items)
            pending = [(v, out, i, (*at, i)) for i, v in enumerate(items)]
        else:
            secret = _secrets.dumped(at, node) if secrets == "hide" else None
            if secret is not None:
                parent[key] = secret[0] if secret[1] else _interpolate.escape(secret[0])
                continue
            if secrets == "reveal" and _secrets.is_secret_value(node):
                node = node.get_secret_value()
                if isinstance(node, bytes):
                    node = node.decode("utf-8")
            leaf = _dumpable_leaf(node, fmt, at)
            if type(leaf) is str and not keep_references:
                leaf = _interpolate.escape(leaf)
            parent[key] = leaf
            continue
        parent[key] = out
        stack.extend(reversed(pending))
    return holder[0]


def _writable_int(n: int) -> bool:
    """Whether a writer can turn ``n`` into text: Python refuses ints of more digits than
    ``sys.get_int_max_str_digits()`` (its guard against quadratic conversion)."""
    limit = sys.get_int_max_str_digits()
    if not limit or n.bit_length() < 3 * limit:  # 3 bits per digit: below the limit
        return True
    try:
        str(n)
    except ValueError:
        return False
    return True


def _too_long(what: str) -> str:
    return f"{what} with more than {sys.get_int_max_str_digits():,} digits; cannot dump"


def _dump_key(key: Any, fmt: Format, loc: Loc) -> Any:
    """``key`` as the writer of ``fmt`` takes it. YAML keeps the key types it reads back
    (``str``, ``int``, ``float``, ``bool``, ``None``, dates); JSON and TOML keys are strings, so
    there a key of another of those types is written as text (``0``, ``1.5``, ``true``,
    ``null``, ``2024-01-02``, as JSON writes them) and loads back as that string. An enum key is
    its value, a path and a time of day their text; any other key is a ``TypeError``."""
    if isinstance(key, enum.Enum):
        key = key.value
    if isinstance(key, str):
        return str.__str__(key)  # a subclass (numpy.str_) as a plain str
    if isinstance(key, PurePath):
        return str(key)
    if isinstance(key, _dt.time):
        return key.isoformat()  # YAML has dates, but no time of day
    if isinstance(key, bool) or key is None:
        return key if fmt == "yaml" else json.dumps(key)
    if isinstance(key, (int, float)):
        number = int(key) if isinstance(key, int) else float(key)  # subclasses (numpy) as plain
        if type(number) is int and not _writable_int(number):
            raise InvalidKeyError(number, _too_long("an integer key"))
        return number if fmt == "yaml" else str(number)
    if isinstance(key, _dt.date):
        return key if fmt == "yaml" else key.isoformat()
    where = ".".join(map(str, loc))
    prefix = f"{where}: " if where else ""
    raise TypeError(f"{prefix}cannot dump a key of type {type(key).__name__}")


def _key_collision(first: Any, again: Any, key: Any, fmt: Format, loc: Loc) -> InvalidKeyError:
    """The error for two keys of one mapping that ``fmt`` would write as the same key."""
    if fmt == "yaml":
        how = "the same YAML key"
    else:
        how = f"the {fmt.upper()} key {json.dumps(key, ensure_ascii=False)}"
    path = ".".join(map(str, (*loc, key)))
    return InvalidKeyError(path, f"keys {first!r} and {again!r} would both be written as {how}")


def _dumpable_leaf(value: Any, fmt: Format, loc: Loc) -> Any:
    if type(value) is Raw:
        return untyped(value)
    if isinstance(value, str) and type(value) is not str:  # a subclass: numpy.str_, a user type
        value = str.__str__(value)
    if isinstance(value, PurePath):
        return str(value)
    if value is None and fmt == "toml":
        reason = "TOML has no null; dump as YAML or JSON"
        raise ConversionError(".".join(map(str, loc)), value, "a TOML value", reason)
    if isinstance(value, float) and not math.isfinite(value) and fmt == "json":
        reason = f"JSON has no {value}; dump as YAML or TOML"
        raise ConversionError(".".join(map(str, loc)), value, "a JSON value", reason)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)) and fmt == "json":
        return value.isoformat()
    if isinstance(value, _dt.time) and fmt == "yaml":  # YAML has dates, but no time of day
        return value.isoformat()
    if isinstance(value, str) and _formats.has_surrogate(value):
        reason = "a lone surrogate is not text; cannot dump"
        raise ConversionError(".".join(map(str, loc)), value, str, reason)
    if type(value) is int and not _writable_int(value):
        raise ConversionError(".".join(map(str, loc)), value, str, _too_long("an integer"))
    if value is None or isinstance(value, (bool, int, float, str, _dt.date, _dt.time)):
        return value
    raise TypeError(f"{'.'.join(map(str, loc))}: cannot dump a {type(value).__name__}")


def dump(
    obj: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    format: Format | None = None,
    keep_references: bool = False,
    reveal_secrets: bool = False,
) -> str:
    """Writes a config (schema instance or mapping) as YAML, TOML or JSON text that loads
    back to an equal config; returns the text and writes ``path`` if given. The format comes
    from ``format``, else the path's suffix, else YAML.

    A ``${`` in a string is written escaped (``\\${``), so that ``load`` reads back the same
    text; ``keep_references=True`` writes strings as they are, for a config loaded with
    ``interpolate=False`` whose references should stay references. ``path`` is written
    atomically: a dump that fails leaves an existing file as it was.

    Secrets are not written: a value that ``load`` filled from the environment is written as
    the reference it came from (``${env:TOKEN}``, so the file loads back the same value where
    the variable is set) when that reference names nothing but variables, else as
    ``**********``, as is a ``SecretStr``/``SecretBytes`` value; ``reveal_secrets=True``
    writes the real values."""
    if format is not None:
        fmt: Format = _formats.format_for("", format)
    elif path is not None:
        fmt = _formats.format_for(path)
    else:
        fmt = "yaml"
    if not (isinstance(obj, Mapping) or is_schema(type(obj))):
        raise TypeError(
            f"dump() takes a dataclass / pydantic instance or a mapping, not {shown(obj)}"
        )
    tree = _dumpable(to_tree(obj), fmt, (), keep_references, "reveal" if reveal_secrets else "hide")
    try:
        text = _write(tree, fmt)
    except RecursionError:  # the writers recurse; a config this deep loads but cannot be written
        reason = f"the config nests too deeply to write as {fmt.upper()}"
        raise ConversionError(None, obj, f"{fmt.upper()} text", reason) from None
    if path is not None:
        _write_file(os.fspath(path), text.encode("utf-8"))
    return text


def _write_file(path: str, data: bytes) -> None:
    """Writes ``data`` to ``path`` atomically: into a new file in the same folder, flushed to
    disk, then renamed over ``path`` (through a symlink, onto its target), so a failure at any
    point leaves the old file whole and no temporary file behind. The new file keeps the mode
    of the one it replaces; a new one gets the usual ``0o666`` minus the umask."""
    target = os.path.realpath(path)
    folder, name = os.path.split(target)
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(temp, flags, 0o666)  # the kernel applies the umask, as open() does
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 collisions of 32 random bits
        raise FileExistsError(f"cannot create a temporary file next to {path}")
    try:
        try:
            if mode is not None:
                os.chmod(temp, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    """Flushes the rename to disk (POSIX; elsewhere and where a folder cannot be opened, the
    rename is still atomic, only not yet durable)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write(tree: Any, fmt: Format) -> str:
    if fmt == "json":
        text = json.dumps(tree, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    elif fmt == "toml":
        import tomli_w

        text = tomli_w.dumps(tree)
    else:
        from ruamel.yaml import YAML
        from ruamel.yaml.representer import SafeRepresenter

        yaml = YAML(typ="safe", pure=True)
        yaml.Representer = _formats.yaml_representer(SafeRepresenter)
        yaml.default_flow_style = False
        yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
        # No line folding: ruamel's writer can fold a double-quoted string inside a run of
        # escaped backslashes so that a space is lost on reading (found by fuzz_loader.py).
        yaml.width = 1 << 30
        buf = io.StringIO()
        yaml.dump(tree, buf)
        text = buf.getvalue()
    return text
