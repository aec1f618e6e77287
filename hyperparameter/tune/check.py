"""The pre-flight check of a search space (DESIGN §12), and the config of one trial.

Before the first trial, every key of the space must be a field of the config's schema (or a
key of the config mapping, or a parameter of an ``@auto_param`` objective), and every
candidate of every dimension (each choice, both bounds) must coerce to the field's type and
pass its constraints. The findings come at once, in one ``ConfigValidationError``, each with
the dimension's source (``sweep.yaml:4:12``, ``-m model.lr=…``, ``schema Train.model.lr``).
"""

from __future__ import annotations

import copy
import difflib
import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ConfigValidationError, ConversionError, ErrorDetails, key_text, shown
from ..schema import adapter_for, is_schema, to_tree
from ..storage.keys import flatten
from .spaces import Choice, Dimension, IntRange, Space, Uniform

__all__ = ["Target", "objective_keys"]

Loc = tuple[str | int, ...]


def objective_keys(objective: Callable[..., Any]) -> dict[str, Any]:
    """The keys an ``@auto_param`` objective reads (``ns.param``), with their annotations
    (or ``None``)."""
    ns = getattr(objective, "_auto_param_namespace", None)
    if not isinstance(ns, str):
        return {}
    try:
        params = inspect.signature(objective).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - a builtin
        return {}
    try:
        hints = typing.get_type_hints(getattr(objective, "_auto_param_wrapped", objective))
    except Exception:  # unresolvable string annotations: unchecked
        hints = {}
    return {
        f"{ns}.{p.name}": hints.get(p.name)
        for p in params
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


def _loc(key: str) -> Loc:
    return tuple(int(p) if p.isdigit() else p for p in key.split("."))


def _set(tree: Any, loc: Loc, value: Any) -> None:
    node = tree
    for part in loc[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    node[loc[-1]] = value


class Target:
    """What a study tunes: the config (a schema instance, a mapping, or nothing) and the
    objective's own keys; makes each trial's config from its values."""

    def __init__(self, config: Any, objective: Callable[..., Any]) -> None:
        self.config = config
        self.schema: type | None = type(config) if is_schema(type(config)) else None
        if config is not None and self.schema is None and not isinstance(config, Mapping):
            raise TypeError(
                "tune.run(config=...) takes a dataclass / pydantic instance or a mapping, not "
                f"{type(config).__name__}"
            )
        self.tree: dict[str, Any] = (
            to_tree(config) if self.schema is not None else dict(config or {})
        )
        flat: dict[str, Any] = {}
        if config is not None and (self.schema is not None or config):
            flatten("", config if self.schema is not None else dict(config), flat)
        self.flat = flat
        self.own = objective_keys(objective)

    def _title(self) -> str:
        what = self.schema.__qualname__ if self.schema is not None else "the config"
        return f"in the search space (checked against {what} before the first trial)"

    def check(self, space: Space) -> None:
        """Raises one :class:`ConfigValidationError` listing every bad key of ``space``."""
        errors: list[ErrorDetails] = []
        adapter = adapter_for(self.schema) if self.schema is not None else None
        known = sorted(set(self.flat) | set(self.own))
        for key, dim in space.items():
            loc = _loc(key)
            in_config = adapter.annotation_at(loc)[0] if adapter is not None else key in self.flat
            if not in_config and key not in self.own:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                what = "the schema" if adapter is not None else "the config"
                errors.append(_error(loc, f"unknown key: not in {what}{hint}", key, dim))
                continue
            if key in self.own:  # the objective's parameter: its annotation types it
                errors += _own_errors(loc, dim, self.own[key])
            if adapter is None or not in_config:
                continue
            for value in dim.candidates():
                tree = copy.deepcopy(self.tree)
                _set(tree, loc, value)
                _, found = adapter.validate(tree)
                for e in found:
                    if tuple(e["loc"])[: len(loc)] == loc:
                        msg = f"{_what(dim, value)}: {e['msg']}"
                        errors.append(_error(loc, msg, value, dim, e["type"]))
        if errors:
            raise ConfigValidationError(self._title(), errors)

    def trial_config(self, values: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """The config of a trial (a validated instance, or the flat mapping with the values)
        and the values of the objective's own keys that are not in the config."""
        extra = {k: v for k, v in values.items() if k in self.own and k not in self.flat}
        inside = {k: v for k, v in values.items() if k not in extra}
        if self.schema is None:
            tree = copy.deepcopy(self.tree)
            for key, value in values.items():  # the objective's own keys too
                _set(tree, _loc(key), value)
            return tree, extra
        tree = copy.deepcopy(self.tree)
        for key, value in inside.items():
            _set(tree, _loc(key), value)
        instance, errors = adapter_for(self.schema).validate(tree)
        if errors:
            raise ConfigValidationError(
                f"for the trial's values {shown(dict(values))}",
                [{**e, "source": e.get("source") or "tune"} for e in errors],
            )
        return instance, extra


def _own_errors(loc: Loc, dim: Dimension, annotation: Any) -> list[ErrorDetails]:
    """The candidates of an objective's own parameter that do not coerce to its annotation."""
    if annotation is None:
        return []
    from ..coerce import coerce

    errors: list[ErrorDetails] = []
    for value in dim.candidates():
        try:
            coerce(value, annotation, key_text(loc), dim.source)
        except ConversionError as e:
            errors.append(_error(loc, f"{_what(dim, value)}: {e.reason}", value, dim, "type"))
    return errors


def _what(dim: Dimension, value: Any) -> str:
    if isinstance(dim, Choice):
        return f"choice {shown(value)}"
    if isinstance(dim, Uniform):
        name = "loguniform" if dim.log else "uniform"
        return f"bound {shown(value)} of {name}({dim.low!r}, {dim.high!r})"
    if isinstance(dim, IntRange):
        return f"bound {shown(value)} of intrange({dim.low!r}, {dim.high!r})"
    return f"value {shown(value)}"  # pragma: no cover - the three kinds above


def _error(loc: Loc, msg: str, value: Any, dim: Dimension, kind: str = "tune") -> ErrorDetails:
    return {
        "loc": loc,
        "msg": msg,
        "type": kind,
        "input": value if kind != "tune" else key_text(loc),
        "source": dim.source,
    }
