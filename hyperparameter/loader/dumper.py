"""``dump``: a config (schema instance or mapping) as YAML, TOML or JSON text, written atomically;
secrets hidden, ``${`` escaped, keys written as each format can hold them."""

from __future__ import annotations

import contextlib
import datetime as _dt
import enum
import io
import json
import math
import os
import stat
import sys
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, Literal

from ..coerce import Raw, untyped
from ..errors import (
    ConversionError,
    InvalidKeyError,
    shown,
)
from ..schema import is_schema, to_tree
from . import formats as _formats
from . import interpolate as _interpolate
from . import secrets as _secrets

__all__ = ["dump"]

Format = Literal["yaml", "toml", "json"]
Loc = tuple[str | int, ...]


def dumpable(
    value: Any,
    fmt: Format,
    loc: Loc,
    keep_references: bool = False,
    secrets: Literal["hide", "reveal"] | None = None,
) -> Any:
    """``value`` as what the ``fmt`` writer takes: plain dicts (keys by :func:`dump_key`),
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
                name = dump_key(k, fmt, at)
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


def dump_key(key: Any, fmt: Format, loc: Loc) -> Any:
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
    tree = dumpable(to_tree(obj), fmt, (), keep_references, "reveal" if reveal_secrets else "hide")
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
        temp = os.path.join(folder, f".{name}.{os.urandom(4).hex()}.tmp")
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
