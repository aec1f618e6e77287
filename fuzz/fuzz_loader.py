"""Coverage-guided fuzzing of the loader (atheris): ``python fuzz/fuzz_loader.py CORPUS_DIR
-max_total_time=60`` (``fuzz/run.py`` does this for every target with a scratch corpus).

The first byte of an input picks the format and how it is given (bytes through ``parse`` and a
file, or text through ``loads``); the rest is the document. Oracles:

- ``parse`` / ``hp.loads`` / ``hp.load`` return a mapping or raise ``ConfigFileError`` (a
  broken ``${…}`` is a ``ConfigValidationError``); anything else — ``RecursionError``,
  ``ValueError``, ``UnicodeError``, ``KeyError`` — is a finding;
- a document that parses has positions for every value (``positions`` is the error path of a
  load with a schema, so it must not fail where ``parse`` succeeded);
- loading with a schema (which makes nearly every document an error that needs positions)
  raises only ``ConfigFileError`` / ``ConfigValidationError``;
- YAML: the event-driven parser (``_yaml_build._Builder``) and ruamel's node-based constructor
  it replaced agree on every document both accept;
- a config that loads dumps to each format and loads back equal (JSON and TOML keys as text),
  or ``dump`` says why it cannot (``ValueError``: TOML has no null, JSON no NaN, too deep to
  write, two keys written as one).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

import atheris

with atheris.instrument_imports(include=["hyperparameter"]):
    import hyperparameter as hp
    from hyperparameter.errors import ConfigFileError, ConfigValidationError
    from hyperparameter.loader import formats as _formats
    from hyperparameter.loader.dumper import dump_key
    from hyperparameter.loader.formats import yaml_read as _yaml_read

FORMATS = ("yaml", "json", "toml")
TMP = tempfile.mkdtemp(prefix="hp-fuzz-")


@dataclass
class Strict:
    """A schema nearly no fuzzed document satisfies: errors need positions."""

    a: int = 0
    b: str = "x"


def same(got: Any, expected: Any) -> bool:
    if type(got) is not type(expected):
        return False
    if isinstance(expected, dict):
        return list(got) == list(expected) and all(same(got[k], expected[k]) for k in expected)
    if isinstance(expected, list):
        return len(got) == len(expected) and all(map(same, got, expected))
    if isinstance(expected, float) and math.isnan(expected):
        return math.isnan(got)
    return bool(got == expected)


def nan_keys(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if any(isinstance(k, float) and math.isnan(k) for k in node):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def check_round_trip(cfg: dict[str, Any]) -> None:
    if nan_keys(cfg):
        return  # a NaN key equals no key, not even itself
    for fmt in FORMATS:
        try:
            text = hp.dump(cfg, format=fmt)  # type: ignore[arg-type]
        except ValueError:
            continue
        back = hp.loads(text, fmt)  # type: ignore[arg-type]
        expected = as_written(cfg, fmt)
        ordered = fmt != "toml"  # TOML writes a table's scalars before its sub-tables
        if not (same(back, expected) if ordered else same_unordered(back, expected)):
            raise AssertionError(f"{fmt} round trip differs:\n{text!r}\n{back!r}\n{cfg!r}")


def as_written(value: Any, fmt: str) -> Any:
    """``value`` as ``fmt`` can hold it: JSON writes dates and times as ISO 8601 text, YAML a
    time of day (documented; a schema field types them back); JSON and TOML keys are text."""
    if isinstance(value, dict):
        return {dump_key(k, fmt, ()): as_written(v, fmt) for k, v in value.items()}
    if isinstance(value, list):
        return [as_written(v, fmt) for v in value]
    if fmt == "json" and isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if fmt == "yaml" and isinstance(value, dt.time):
        return value.isoformat()
    return value


def same_unordered(got: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return (
            type(got) is dict
            and set(got) == set(expected)
            and all(same_unordered(got[k], expected[k]) for k in expected)
        )
    if isinstance(expected, list):
        return type(got) is list and len(got) == len(expected)
    return same(got, expected)


class NodeConstructor(_yaml_read._Constructor):
    """The YAML path that the event-driven builder replaced: ruamel composes the whole node
    graph, then this constructor builds it, collecting refused tags and counting the
    expanded graph afterwards. Kept here as the reference the builder must agree with."""

    def __init__(self, preserve_quotes: bool | None = None, loader: Any = None) -> None:
        super().__init__(preserve_quotes=preserve_quotes, loader=loader)
        self.refused: list[tuple[str, Any]] = []

    def construct_undefined(self, node: Any) -> None:
        self.refused.append((_yaml_read._tag_text(str(node.tag)), node.start_mark))

    def get_single_data(self) -> Any:
        node = self.composer.get_single_node()
        if node is None:
            return None
        data = self.construct_document(node)
        if self.refused:
            tag, mark = min(self.refused, key=lambda r: (r[1].line, r[1].column))
            raise _yaml_read._Fail(f"unsupported tag {tag!r}", mark)
        check_expansion(node)
        if data is not None and not isinstance(data, dict):
            raise _yaml_read._Fail("expected a mapping at the top level", node.start_mark)
        return data


NodeConstructor.yaml_constructors = {
    **_yaml_read._Constructor.yaml_constructors,
    None: NodeConstructor.construct_undefined,
}


def check_expansion(root: Any) -> None:
    """The old bound: nodes and height of the graph with every alias expanded (memoized)."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    def children(node: Any) -> list[Any]:
        if isinstance(node, MappingNode):
            return [n for pair in node.value for n in pair]
        return node.value if isinstance(node, SequenceNode) else []

    memo: dict[int, tuple[int, int]] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if not done:
            if id(node) in memo:
                continue
            if id(node) in on_path:
                raise _yaml_read._Fail("recursive alias", node.start_mark)
            on_path.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children(node) if not isinstance(c, ScalarNode))
            continue
        on_path.discard(id(node))
        size, height = 1, 0
        for c in children(node):
            if isinstance(c, ScalarNode):
                size += 1
            else:
                size += memo[id(c)][0]
                height = max(height, memo[id(c)][1])
        if height + 1 > _formats.MAX_DEPTH or size > _formats.MAX_ALIAS_NODES:
            raise _yaml_read._Fail("too deep or too large", node.start_mark)
        memo[id(node)] = (size, height + 1)


def node_based_yaml(text: str) -> Any:
    def load(pure: bool) -> Any:
        _yaml_read._yaml_depth_guard(text, pure)
        yaml = _yaml_read._new_yaml(pure)
        yaml.Constructor = NodeConstructor
        return yaml.load(text)

    data = _yaml_read._yaml_run(text, "f", load)  # the parser parse() reads the text with
    return {} if data is None else data


def check_yaml_agreement(text: str, new: Any) -> None:
    try:
        old = node_based_yaml(text)
    except ConfigFileError:
        return  # the old path refuses more (alias counting over the whole file) or words it
    except RecursionError:
        return  # the old path's known limit, fixed by the new one
    if new is not None and not same(new, old):
        raise AssertionError(f"YAML parsers disagree:\nnew {new!r}\nold {old!r}")


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    fmt = FORMATS[data[0] % 3]
    as_text = data[0] & 4
    body = data[1:]
    parsed: Any = None
    with contextlib.suppress(ConfigFileError):
        parsed = _formats.parse(body, fmt, "f")
    if parsed is not None:
        assert isinstance(parsed, dict)
        table = _formats.positions(body, fmt, "f")
        assert () in table
    if fmt == "yaml" and not data[0] & 8:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and not text.startswith("\ufeff"):
            check_yaml_agreement(text, parsed)
    try:
        if as_text:
            cfg = hp.loads(body.decode("utf-8", "replace"), fmt, source="f")  # type: ignore[arg-type]
        else:
            path = os.path.join(TMP, f"f.{fmt}")
            with open(path, "wb") as f:
                f.write(body)
            cfg = hp.load(path, schema=Strict if data[0] & 16 else None)
    except (ConfigFileError, ConfigValidationError):
        return
    if isinstance(cfg, dict):
        check_round_trip(cfg)


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
