"""``${…}`` interpolation over a merged tree (DESIGN §2, step 3).

- ``${a.b}`` absolute; ``${.b}`` a sibling in the mapping (or list) that holds the value,
  ``${..b}`` one level further up (OmegaConf semantics); ``${a.items.0}`` a list index.
- ``${env:VAR}`` / ``${env:VAR,default}``, also spelled ``oc.env``; a default of ``null`` is
  None, and may itself hold references.
- ``\\${`` is a literal ``${``; ``\\\\${…}`` a backslash followed by an interpolation: before
  ``${``, each pair of backslashes is one backslash and an odd one left over escapes it
  (OmegaConf's rule); backslashes anywhere else are plain text. :func:`escape` inverts this.

A value that is exactly one reference keeps the referenced value's type (a mapping or list is
copied, with its own references resolved where they are written); references embedded in text
become ``str()`` of the value. Override strings (:class:`~hyperparameter._coerce.Raw`) resolve
like any other text and stay raw when embedded. Resolution is iterative: chains of any length
are fine, cycles are reported, and results are bounded (:data:`MAX_STRING`, :data:`MAX_NODES`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..coerce import Raw
from ..errors import InterpolationError, Loc
from .merge import source_of
from .references import (
    MAX_NESTING,
    Env,
    Part,
    Ref,
    TemplateSyntax,
    env_only,
    escape,
    list_index,
    parse,
    ref_base,
)
from .secrets import Found, Log

__all__ = ["MAX_NESTING", "MAX_NODES", "MAX_STRING", "escape", "interpolate", "ref_base"]

#: The longest text an interpolation may produce, in characters.
MAX_STRING = 1_000_000
#: How many values one :func:`interpolate` call may copy for references to mappings and lists.
MAX_NODES = 1_000_000

# Types that are never containers nor raw text: checked by identity before any isinstance.
_LEAVES = frozenset({str, int, float, bool, type(None)})


def interpolate(
    tree: Mapping[str, Any],
    environ: Mapping[str, str],
    *,
    provenance: Mapping[Loc, str] | None = None,
    locate: Callable[[Loc], str | None] | None = None,
    secrets: Log | None = None,
) -> tuple[dict[str, Any], list[InterpolationError]]:
    """Resolves every ``${…}`` in ``tree``; returns the new tree and every error found.

    One :class:`InterpolationError` per root cause — a missing key, an unset variable, a
    syntax error, a cycle, a result over the limits — with ``loc`` the key whose value holds
    the failing reference, ``chain`` the references followed from the first value (``a.x``,
    ``b.y``, ``a.x``) and ``source`` where that value was written. Values that fail, or that
    depend on one that fails, keep their text. ``locate(loc)`` says where a value is written
    (``"train.yaml:3:5"``); without it the ``provenance`` layer name is used. ``tree`` is not
    changed. ``secrets`` receives the values of the result filled from the environment and
    the variables read (:class:`~hyperparameter._secrets.Log`).
    """

    def describe(loc: Loc) -> str | None:
        if locate is not None:
            return locate(loc)
        return source_of(provenance, loc) if provenance is not None else None

    resolver = _Resolver(tree, environ, describe)
    order = {loc: i for i, loc in enumerate(resolver.templates)}
    for loc in order:
        if loc not in resolver.done and loc not in resolver.failed:
            resolver.resolve(loc)
    errors = sorted(resolver.errors, key=lambda e: order[e.loc])
    if secrets is not None:
        secrets.at.update(resolver.secret)
        secrets.read.update(resolver.read)
    return resolver.output(), errors


# ---------------------------------------------------------------------------- resolution


class _Need(Exception):
    """The current value needs ``dep`` resolved first; ``labels`` extend the chain."""

    def __init__(self, dep: Loc, labels: list[str]) -> None:
        self.dep = dep
        self.labels = labels


class _Dead(Exception):
    """The current value depends on one that failed (already reported)."""


class _Error(Exception):
    def __init__(self, message: str, labels: list[str], keys: bool = True) -> None:
        self.message = message
        self.labels = labels
        self.keys = keys  # whether the labels are keys (else `env:NAME`)


def _dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc) if loc else "<root>"


def _embed(value: Any) -> str:
    return value.text if isinstance(value, Raw) else str(value)


class _Resolver:
    def __init__(
        self,
        tree: Mapping[str, Any],
        environ: Mapping[str, str],
        describe: Callable[[Loc], str | None],
    ) -> None:
        self.tree = tree
        self.environ = environ
        self.describe = describe
        self.templates: dict[Loc, tuple[Any, list[Part]]] = {}  # in document order
        self.done: dict[Loc, Any] = {}
        self.failed: set[Loc] = set()
        self.errors: list[InterpolationError] = []
        self.budget = MAX_NODES
        self._order: list[Loc] = []  # the templates, in document order
        self._ranges: dict[Loc, tuple[int, int]] = {}  # container -> its run in `_order`
        self._cursor: dict[Loc, int] = {}  # container -> how many of those are resolved
        # Secrets: the values filled from the environment (leaves of the output, by loc), the
        # prefixes of their locs, the variables read; and, for the value being evaluated, the
        # variables it read and the locs its references landed on.
        self.secret: dict[Loc, Found] = {}
        self._secret_prefixes: set[Loc] = set()
        self.read: dict[str, str] = {}
        self._names: list[str] = []
        self._hits: list[Loc] = []
        self._collect()

    def _collect(self) -> None:
        # Depth first with one iterator per open container, so that scalars cost no `loc`
        # tuple and the stack stays as deep as the tree (a list of millions of numbers is
        # walked in place). Templates come out in document order, so the templates inside
        # one container are a contiguous run: `_ranges` keeps it for each container that has
        # any.
        order: list[Loc] = []
        stack: list[tuple[Loc, Any, int]] = [((), _items(self.tree), 0)]
        while stack:
            loc, items, start = stack[-1]
            for k, v in items:
                kind = type(v)
                if kind in _LEAVES:
                    if kind is not str or "${" not in v:
                        continue
                elif isinstance(v, (Mapping, list)):
                    stack.append(((*loc, k), _items(v), len(order)))
                    break
                text = v.text if kind is Raw else v
                if isinstance(text, str) and "${" in text:
                    at = (*loc, k)
                    order.append(at)
                    try:
                        self.templates[at] = (v, parse(text))
                    except TemplateSyntax as e:
                        self.templates[at] = (v, [])
                        self.failed.add(at)
                        message = f"invalid interpolation {_short(e.text)!r}: {e.reason}"
                        self._report(at, message, [[_dotted(at)]], [at])
            else:
                stack.pop()
                if len(order) > start:
                    self._ranges[loc] = (start, len(order))
        self._order = order

    def resolve(self, start: Loc) -> None:
        """Resolves ``start`` and whatever it depends on, depth first, with an explicit
        stack (no recursion, so chains of any length work)."""
        stack = [start]
        labels = [[_dotted(start)]]
        on_stack = {start: 0}
        while stack:
            current = stack[-1]
            try:
                value = self._evaluate(current)
            except _Need as need:
                if need.dep in self.failed:
                    self._drop(stack, labels, on_stack)
                elif need.dep in on_stack:
                    self._report(
                        current, "interpolation cycle", labels, stack, need.labels, cycle=True
                    )
                    self._drop(stack, labels, on_stack)
                else:
                    on_stack[need.dep] = len(stack)
                    stack.append(need.dep)
                    labels.append(need.labels)
            except _Dead:
                self._drop(stack, labels, on_stack)
            except _Error as error:
                self._report(current, error.message, labels, stack, error.labels, error.keys)
                self._drop(stack, labels, on_stack)
            else:
                self.done[current] = value
                del on_stack[stack.pop()]
                labels.pop()

    def _drop(self, stack: list[Loc], labels: list[list[str]], on_stack: dict[Loc, int]) -> None:
        # The frames below re-evaluate, find this one failed, and fail without a report.
        self.failed.add(stack[-1])
        del on_stack[stack.pop()]
        labels.pop()

    def _report(
        self,
        loc: Loc,
        message: str,
        frames: list[list[str]],
        holders: list[Loc],
        tail: list[str] | None = None,
        keys: bool = True,
        cycle: bool = False,
    ) -> None:
        """Files the error of ``loc``. ``frames[i]`` are the chain labels that led to
        ``holders[i]`` (its key last); ``tail`` the labels past the last holder (keys unless
        ``keys`` is false: ``env:NAME``). The message shows the chain when it passes through
        other values, or is a cycle: each key quoted, each holder but ``loc`` itself (whose
        position prefixes the message) with its position."""
        tail = tail or []
        chain = [label for frame in frames for label in frame] + tail
        text = message
        if len(frames) > 1 or cycle:
            parts: list[str] = []
            for frame, holder in zip(frames, holders, strict=True):
                parts += [repr(label) for label in frame]
                place = self.describe(holder) if holder != loc else None
                if place is not None:
                    parts[-1] += f" ({place})"
            parts += [repr(label) if keys else label for label in tail]
            text += ": " + " -> ".join(parts)
        self.errors.append(InterpolationError(text, loc, chain, self.describe(loc)))

    def _evaluate(self, loc: Loc) -> Any:
        original, parts = self.templates[loc]
        self._names = []
        self._hits = []
        value = self._join(loc, parts)
        if self._names or (self._hits and self.secret):
            self._mark(loc, original, parts, value)
        whole = len(parts) == 1 and not isinstance(parts[0], str)
        if isinstance(original, Raw) and not whole:
            return Raw(value, original.source)  # still an untyped override string
        return value

    def _mark(self, loc: Loc, original: Any, parts: list[Part], value: Any) -> None:
        """Files ``value`` (just evaluated at ``loc``) as secret when it read a variable or
        a secret value: a mapping or list copied by one reference has the secrets of the
        original at the same places; any other value is secret as a whole."""
        if isinstance(value, (Mapping, list)):  # only a whole reference gives a container
            for hit in self._hits:
                n = len(hit)
                if hit in self._secret_prefixes:
                    for at, found in list(self.secret.items()):
                        if len(at) > n and at[:n] == hit:
                            self._file((*loc, *at[n:]), found)
            return
        names = list(self._names)
        for hit in self._hits:
            entry = self.secret.get(hit)
            if entry is not None:
                names += entry.names
            elif hit in self._secret_prefixes:  # a container embedded in text
                n = len(hit)
                names += [x for at, f in self.secret.items() if at[:n] == hit for x in f.names]
        if not names:
            return
        unique = tuple(dict.fromkeys(names))
        text = original.text if isinstance(original, Raw) else original
        if env_only(parts):
            reference: str | None = text
        elif len(unique) == 1 and self.read.get(unique[0]) == _embed(value):
            reference = f"${{env:{unique[0]}}}"
        else:
            reference = None
        self._file(loc, Found(unique, reference))

    def _file(self, loc: Loc, found: Found) -> None:
        self.secret[loc] = found
        self._secret_prefixes.update(loc[:i] for i in range(len(loc)))

    def _join(self, loc: Loc, parts: list[Part] | tuple[Part, ...]) -> Any:
        if len(parts) == 1 and not isinstance(parts[0], str):
            return self._value(loc, parts[0])
        pieces: list[str] = []
        size = 0
        for part in parts:
            piece = part if isinstance(part, str) else _embed(self._value(loc, part))
            size += len(piece)
            if size > MAX_STRING:
                raise _Error(f"the result is longer than {MAX_STRING:,} characters", [])
            pieces.append(piece)
        return "".join(pieces)

    def _value(self, loc: Loc, part: Ref | Env) -> Any:
        if isinstance(part, Env):
            found = self.environ.get(part.name)
            if found is not None:
                self._names.append(part.name)
                self.read[part.name] = found
                return found
            if part.default is None:
                message = f"environment variable {part.name!r} is not set in {part.text}"
                raise _Error(message, [f"env:{part.name}"], keys=False)
            if part.default == ("null",):
                return None
            return self._join(loc, part.default)
        base = ref_base(loc, part)
        if base is None:
            raise _Error(f"{part.text} goes above the top level", [])
        return self._lookup(base, part)

    def _lookup(self, base: Loc, ref: Ref) -> Any:
        node: Any = self.tree
        for step in base:
            node = node[step]
        concrete = base
        target = _dotted((*base, *ref.path))
        settled = False  # inside a value that is already resolved (a reference's result)
        for segment in ref.path:
            if not settled and concrete in self.templates:
                node = self._settled(concrete, [target, _dotted(concrete)])
                settled = True
            key: str | int | None = segment
            index = list_index(segment)
            if isinstance(node, Mapping):
                if segment not in node and index is not None and index in node:
                    key = index
            elif isinstance(node, list) and index is not None and index < len(node):
                key = index
            else:
                key = None
            if key is None or (isinstance(node, Mapping) and key not in node):
                raise _Error(f"missing key {target!r} in {ref.text}", [target])
            node = node[key]
            concrete = (*concrete, key)
        if not settled and concrete in self.templates:
            labels = [target] if _dotted(concrete) == target else [target, _dotted(concrete)]
            node = self._settled(concrete, labels)
            settled = True
        self._hits.append(concrete)
        if not settled and isinstance(node, (Mapping, list)):
            # Every reference inside the copied subtree resolves where it is written first.
            inner = self._templates_under(concrete)
            done = self._cursor.get(concrete, 0)
            while done < len(inner) and inner[done] in self.done:
                done += 1
            self._cursor[concrete] = done
            for pending in inner[done:]:
                self._settled(pending, [target, _dotted(pending)])
            return self._copy(node, concrete)
        return self._copy(node, None) if isinstance(node, (Mapping, list)) else node

    def _settled(self, loc: Loc, labels: list[str]) -> Any:
        if loc in self.done:
            return self.done[loc]
        if loc in self.failed:
            raise _Dead
        raise _Need(loc, labels)

    def _templates_under(self, prefix: Loc) -> list[Loc]:
        start, end = self._ranges.get(prefix, (0, 0))
        return self._order[start:end]

    def _copy(self, node: Any, loc: Loc | None, counted: bool = True) -> Any:
        """A copy of the container ``node``; with ``loc``, its templates replaced by their
        resolved values (failed ones kept as written). ``counted`` copies use the budget."""
        out = self._clone(node, counted)
        if loc is not None:
            n = len(loc)
            for at in self._templates_under(loc):
                if at in self.done:
                    _place(out, at[n:], self._clone(self.done[at], counted))
        return out

    def _clone(self, node: Any, counted: bool) -> Any:
        """``node`` with every mapping and list copied (iteratively: any depth)."""
        if not isinstance(node, (Mapping, list)):
            return node
        holder: list[Any] = [None]
        stack: list[tuple[Any, Any, Any]] = [(node, holder, 0)]
        while stack:
            value, parent, key = stack.pop()
            if isinstance(value, Mapping):
                out: Any = dict.fromkeys(value)
                items: Any = value.items()
            elif isinstance(value, list):
                out = [None] * len(value)
                items = enumerate(value)
            else:
                parent[key] = value
                continue
            parent[key] = out
            if counted:
                self.budget -= len(out) + 1
                if self.budget < 0:
                    raise _Error(f"references copy more than {MAX_NODES:,} values", [])
            for k, v in items:
                if type(v) not in _LEAVES and isinstance(v, (Mapping, list)):
                    stack.append((v, out, k))
                else:
                    out[k] = v
        return holder[0]

    def output(self) -> dict[str, Any]:
        """The tree with every resolved template replaced."""
        result = self._clone(self.tree, counted=False)
        for at, value in self.done.items():
            _place(result, at, value)  # resolved values are fresh copies, owned by nobody else
        assert isinstance(result, dict)
        return result


def _short(text: str, limit: int = 200) -> str:
    """``text``, cut to ``limit`` characters for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _items(node: Any) -> Iterator[tuple[Any, Any]]:
    return iter(node.items()) if isinstance(node, Mapping) else enumerate(node)


def _place(tree: Any, loc: Loc, value: Any) -> None:
    """Sets ``loc`` (non-empty, every step but the last existing) in ``tree`` to ``value``."""
    node = tree
    for step in loc[:-1]:
        node = node[step]
    node[loc[-1]] = value
