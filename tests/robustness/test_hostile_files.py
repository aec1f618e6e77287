"""Hostile and broken config files through the public entry points (``hp.load`` on files,
``hp.loads`` on text): each one loads correctly or fails with a located ``ConfigFileError``,
in bounded time (the per-test timeout) and memory, and never executes anything.

``tests/loader/formats/test_formats.py`` pins the parser-level messages; these tests go through
the loader and add what it does not cover: whole files on disk, every Python tag, encodings, line
ends, truncation at every byte, huge numbers, dates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import sys
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pydantic
import pytest

import hyperparameter as hp
from hyperparameter.errors import ConfigFileError

pytestmark = pytest.mark.timeout(60)

DEPTH = 10_000


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


def file_error(path: Path, **kw: Any) -> ConfigFileError:
    """The ConfigFileError of loading ``path``; its message starts ``path:line:col:``."""
    with pytest.raises(ConfigFileError) as info:
        hp.load(path, **kw)
    e = info.value
    assert e.path == str(path)
    assert str(e).startswith(f"{path}:{e.lineno}:{e.colno}: "), str(e)
    return e


def text_error(text: str, fmt: str) -> str:
    """``"line:col: message"`` of ``hp.loads`` failing on ``text``."""
    with pytest.raises(ConfigFileError) as info:
        hp.loads(text, fmt, source="f")  # type: ignore[arg-type]
    e = info.value
    assert str(e).startswith(f"f:{e.lineno}:{e.colno}: "), str(e)
    return str(e).removeprefix("f:")


@contextmanager
def peak_memory(limit: int) -> Iterator[None]:
    """Fails unless Python allocates at most ``limit`` bytes at once inside the block."""
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < limit, f"peak {peak:,} bytes"


# --------------------------------------------------------------------------- alias bombs


def laughs(levels: int, fanout: int) -> str:
    lines = ['l0: &l0 "lol"']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fanout)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("levels", "fanout", "where"),
    [(10, 10, "7:5"), (30, 2, "20:6"), (4, 2000, "3:5"), (200, 2, "20:6")],
    ids=["billion-laughs", "doubling", "wide", "deep-doubling"],
)
def test_alias_bombs_are_refused_fast_in_bounded_memory(
    tmp_path: Path, levels: int, fanout: int, where: str
) -> None:
    path = write(tmp_path, "bomb.yaml", laughs(levels, fanout))
    with peak_memory(30_000_000):
        e = file_error(path)
    assert str(e) == f"{path}:{where}: alias expansion exceeds 1,000,000 nodes"


def test_a_merge_key_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["m0: &m0 {" + ", ".join(f"k{j}: {j}" for j in range(1000)) + "}"]
    lines += [f"u{i}: {{<<: *m0}}" for i in range(1001)]
    path = write(tmp_path, "merge.yaml", "\n".join(lines) + "\n")
    with peak_memory(100_000_000):
        e = file_error(path)
    assert e.message == "'<<' merges expand to more than 1,000,000 keys"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: *nope\n", "1:4: found undefined alias 'nope'"),
        ("a: &a [1, *a]\n", "1:4: recursive alias: the node contains itself"),
        ("a: &a {b: {c: *a}}\n", "1:4: recursive alias: the node contains itself"),
        ("? &k [1]\n: 1\nb: {*k : 2}\n", "1:3: a mapping key must be a scalar"),
    ],
)
def test_broken_anchors_and_aliases(text: str, expected: str) -> None:
    assert text_error(text, "yaml") == expected


def test_aliases_under_the_bound_load_and_are_independent_after_loading(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.yaml", "base: &b {lr: 0.1, layers: [1, 2]}\nx: *b\ny: *b\n")
    cfg = hp.load(path)
    assert cfg["x"] == cfg["y"] == {"lr": 0.1, "layers": [1, 2]}
    cfg["x"]["layers"].append(3)  # the merge step copies: aliases do not stay shared
    assert cfg["y"]["layers"] == [1, 2]


def test_the_bound_is_on_what_aliases_stand_for_not_on_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hyperparameter.loader.formats import yaml_build as _formats

    monkeypatch.setattr(_formats, "MAX_ALIAS_NODES", 1000)  # the same rule at a small scale
    monkeypatch.setattr(_formats, "_CAP", 1001)
    text = "a: [" + "0, " * 5000 + "0]\nb: &x [1, 2]\nc: [*x, *x]\n"
    cfg = hp.load(write(tmp_path, "big.yaml", text))
    assert len(cfg["a"]) == 5001
    assert cfg["c"] == [[1, 2], [1, 2]]
    bomb = "b: &x [" + "0, " * 99 + "0]\nc: [" + "*x, " * 10 + "*x]\n"
    e = file_error(write(tmp_path, "bomb.yaml", bomb))
    assert (e.lineno, e.colno, e.message) == (2, 4, "alias expansion exceeds 1,000 nodes")


# ------------------------------------------------------------------------------- depth


def deep_documents() -> list[tuple[str, str, str]]:
    n = DEPTH
    return [
        ("yaml", "flow-seq", "a: " + "[" * n + "]" * n + "\n"),
        ("yaml", "flow-map", "a: " + "{a: " * n + "1" + "}" * n + "\n"),
        ("yaml", "block-seq", "a:\n" + "- " * n + "1\n"),
        ("yaml", "unclosed", "a: " + "[" * n + "\n"),
        ("json", "array", '{"a": ' + "[" * n + "]" * n + "}"),
        ("json", "object", '{"a": ' + '{"a": ' * n + "1" + "}" * n + "}"),
        ("json", "unclosed", '{"a": ' + "[" * n),
        ("toml", "array", "a = " + "[" * n + "]" * n + "\n"),
        ("toml", "inline-table", "a = " + "{a = " * n + "1" + "}" * n + "\n"),
        ("toml", "header", "[" + ".".join(["t"] * n) + "]\nx = 1\n"),
        ("toml", "dotted-key", "t." * n + "x = 1\n"),
        ("toml", "unclosed", "a = " + "[" * n + "\n"),
    ]


@pytest.mark.parametrize(
    ("fmt", "text"),
    [(f, t) for f, _, t in deep_documents()],
    ids=[f"{f}-{k}" for f, k, _ in deep_documents()],
)
def test_10000_levels_are_a_config_file_error(tmp_path: Path, fmt: str, text: str) -> None:
    path = write(tmp_path, f"deep.{fmt}", text)
    e = file_error(path)
    assert e.message == "nesting deeper than 1,000 levels"
    assert e.lineno >= 1
    assert e.colno >= 1


def test_a_block_mapping_10000_levels_deep(tmp_path: Path) -> None:
    # 100 MB of indentation would be slow to write; 1,500 levels already pass the bound
    text = "".join("  " * i + f"k{i}:\n" for i in range(1500)) + "  " * 1500 + "x: 1\n"
    e = file_error(write(tmp_path, "deep.yaml", text))
    assert (e.lineno, e.message) == (1001, "nesting deeper than 1,000 levels")


@pytest.mark.parametrize(("fmt", "n"), [("yaml", 999), ("json", 900), ("toml", 300)])
def test_deep_documents_load_and_survive_every_later_step(fmt: str, n: int) -> None:
    # How deep each parser reads: YAML 1,000 levels (the bound); json and tomli recurse and
    # give up earlier (~990 and ~400 levels) with a located "nested too deeply" error.
    n -= 1  # the top-level mapping is one level
    text = {"yaml": "a: ", "json": '{"a": ', "toml": "a = "}[fmt] + "[" * n + "]" * n
    text += "}" if fmt == "json" else "\n"
    cfg = hp.loads(text, fmt)  # type: ignore[arg-type]
    depth, node = 1, cfg["a"]
    while node:
        depth, node = depth + 1, node[0]
    assert depth == n
    with hp.param_scope(cfg):
        assert hp.param_scope["a" + ".0" * (n - 1)]() == []


def test_deep_override_keys_are_not_a_recursion_error() -> None:
    key = ".".join(["x"] * 3000)
    cfg = hp.load({}, overrides=[f"{key}=1"])
    node: Any = cfg
    for _ in range(3000):
        node = node["x"]
    assert node == 1


def test_a_mapping_source_that_contains_itself_is_an_error_not_a_crash() -> None:
    cyclic: dict[str, Any] = {"a": {"b": []}}
    cyclic["a"]["b"].append(cyclic)
    with pytest.raises(ValueError, match=r"^a\.b\.0: the value contains itself"):
        hp.load(cyclic)
    with pytest.raises(ValueError, match="contains itself"):
        hp.dump(cyclic)


@dataclasses.dataclass
class _Node:
    x: int = 1
    child: Any = None


def _cycles() -> list[tuple[Any, str]]:
    loop: dict[str, Any] = {}
    loop["a"] = loop
    deep: dict[str, Any] = {"a": {"b": [{"c": None}]}}
    deep["a"]["b"][0]["c"] = deep["a"]
    itself = _Node()
    itself.child = itself
    through = _Node(child={"l": []})
    through.child["l"].append(through.child)
    return [(loop, "a"), (deep, "a.b.0.c"), (itself, "child"), (through, "child.l.0")]


@pytest.mark.timeout(10, method="signal")
@pytest.mark.parametrize("index", range(4))
def test_a_scope_of_a_value_that_contains_itself_is_an_error_not_a_hang(index: int) -> None:
    value, where = _cycles()[index]
    with pytest.raises(ValueError, match=rf"^{re.escape(where)}: the value contains itself"):
        hp.param_scope(value)
    with pytest.raises(ValueError, match="contains itself"):
        hp.param_scope(k=value)


def test_a_value_shared_by_several_keys_is_not_a_cycle() -> None:
    shared = {"v": 1}
    node = _Node(child=[shared, shared, {"a": shared}])
    with hp.param_scope(node):
        assert hp.param_scope["child.1.v"] | 0 == 1
        assert hp.param_scope["child.2.a.v"] | 0 == 1
    with hp.param_scope({"a": shared, "b": [shared, shared]}):
        assert hp.param_scope["b.1.v"] | 0 == 1


@pytest.mark.parametrize("schema_kind", ["dataclass", "pydantic"])
def test_a_deep_value_of_the_wrong_type_is_a_validation_error(schema_kind: str) -> None:
    schema = DeepInt if schema_kind == "dataclass" else DeepIntModel
    text = "x: " + "[" * 997 + "]" * 997 + "\n"
    with pytest.raises(hp.ConfigValidationError) as info:
        hp.loads(text, "yaml", schema=schema)
    assert len(str(info.value)) < 1000
    assert "<string>:1:4: x: " in str(info.value)
    assert "[input=[[[[...]]]]]" in str(info.value)


def test_a_huge_value_of_the_wrong_type_gives_a_short_message() -> None:
    with pytest.raises(hp.ConfigValidationError) as info:
        hp.load({"x": list(range(200_000))}, schema=DeepInt)
    assert len(str(info.value)) < 1000
    assert "[input=[0, 1, 2, 3, 4, 5, 6, 7, ...]]" in str(info.value)
    assert info.value.errors()[0]["input"] == list(range(200_000))  # nothing lost


@pytest.mark.parametrize("fmt", ["yaml", "json", "toml"])
def test_dumping_a_config_too_deep_for_the_writer_is_a_value_error(fmt: str) -> None:
    deep: Any = 1
    for _ in range(999):
        deep = {"a": deep}
    with pytest.raises(ValueError, match=f"nests too deeply to write as {fmt.upper()}"):
        hp.dump({"a": deep}, format=fmt)  # type: ignore[arg-type]


@dataclasses.dataclass
class DeepInt:
    x: int = 0


class DeepIntModel(pydantic.BaseModel):
    x: int = 0


# --------------------------------------------------------------------------- YAML tags

PYTHON_TAGS = [
    "!!python/object/apply:{mod}.run ['{marker}']",
    "!!python/object/new:{mod}.run ['{marker}']",
    "!!python/object:{mod}.Thing {{x: 1}}",
    "!!python/name:{mod}.run",
    "!!python/module:{mod}",
    "!!python/tuple [1, 2]",
    "!!python/str x",
    "!!python/unicode x",
    "!!python/bytes eA==",
    "!!python/int 1",
    "!!python/long 1",
    "!!python/float 1.0",
    "!!python/complex 1+2j",
    "!!python/list [1]",
    "!!python/dict {{a: 1}}",
    "!!python/bool true",
    "!!python/none ''",
    "!<tag:yaml.org,2002:python/object/apply:{mod}.run> ['{marker}']",
    "!!binary aGk=",
    "!!set {{a}}",
    "!!omap [{{a: 1}}]",
    "!!pairs [{{a: 1}}]",
    "!ENV ${{HOME}}",
    "!include other.yaml",
]

PROBE = """\
from pathlib import Path
Path({marker!r}).with_suffix(".imported").touch()

def run(path):
    Path(path).touch()

class Thing:
    def __setstate__(self, state):
        Path({marker!r}).touch()
"""


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """An importable module that leaves files behind when imported or called."""
    marker = tmp_path / "executed"
    (tmp_path / "hp_probe_mod.py").write_text(PROBE.format(marker=str(marker)))
    monkeypatch.syspath_prepend(str(tmp_path))
    return "hp_probe_mod", marker


@pytest.mark.parametrize("tag", PYTHON_TAGS)
@pytest.mark.parametrize("where", ["value", "key", "top", "nested", "tag-directive"])
def test_python_and_application_tags_are_refused_and_never_run(
    tmp_path: Path, probe: tuple[str, Path], tag: str, where: str
) -> None:
    mod, marker = probe
    node = tag.format(mod=mod, marker=marker)
    text = {
        "value": f"ok: 1\nbad: {node}\n",
        "key": f"ok: 1\n? {node}\n: 1\n",
        "top": f"{node}\n" if "{" not in node and "[" not in node else f"--- {node}\n",
        "nested": f"ok: 1\nbad:\n  - deep:\n      - {node}\n",
        "tag-directive": "%TAG !py! tag:yaml.org,2002:python/\n---\n"
        + f"ok: 1\nbad: {node.replace('!!python/', '!py!')}\n",
    }[where]
    e = file_error(write(tmp_path, "tags.yaml", text))
    assert "tag" in e.message, e.message
    assert "refused" in e.message, e.message
    assert not marker.exists()
    assert not marker.with_suffix(".imported").exists()
    assert mod not in sys.modules


def test_every_refused_tag_of_a_file_is_listed(tmp_path: Path) -> None:
    text = "a: !!python/name:os.system\nb: [!Foo 1, !!binary aGk=]\nc: !ENV X\n"
    e = file_error(write(tmp_path, "t.yaml", text))
    assert e.message == (
        "unsupported tag '!!python/name:os.system': only plain YAML data is loaded; "
        "application and Python tags are refused (also refused: 2:5 '!Foo', "
        "2:13 '!!binary', 3:4 '!ENV')"
    )


def test_a_refused_tag_fails_before_any_validation_runs(tmp_path: Path) -> None:
    from dataclasses import dataclass

    calls: list[int] = []

    @dataclass
    class Cfg:
        a: int = 0

        def __post_init__(self) -> None:
            calls.append(self.a)

    e = file_error(write(tmp_path, "t.yaml", "a: !!python/int 1\n"), schema=Cfg)
    assert e.lineno == 1
    assert calls == []


# ----------------------------------------------------------------------- duplicate keys


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("d.yaml", "a: 1\nb: 2\na: 3\n", "3:1: a: duplicate key 'a' (lines 1 and 3)"),
        ("d.yaml", "m:\n  x: 1\n  y: 2\n  x: 3\n", "4:3: m.x: duplicate key 'x' (lines 2 and 4)"),
        ("d.yaml", "m: {x: 1, y: 2, x: 3}\n",
         "1:17: m.x: duplicate key 'x' (line 1, columns 5 and 17)"),
        ("d.yaml", "l:\n  - {k: 1}\n  - {k: 1, k: 2}\n",
         "3:12: l.1.k: duplicate key 'k' (line 3, columns 6 and 12)"),
        ("d.yaml", "1: a\n0x1: b\n", "2:1: 1: duplicate key 1 (lines 1 and 2)"),
        ("d.json", '{"a": 1,\n "a": 2}', "2:2: a: duplicate key 'a' (lines 1 and 2)"),
        ("d.json", '{"m": {"x": 1,\n\n "x": 2}}', "3:2: m.x: duplicate key 'x' (lines 1 and 3)"),
        ("d.toml", "a = 1\nb = 2\na = 3\n", "3:1: a: duplicate key 'a' (lines 1 and 3)"),
    ],
)  # fmt: skip
def test_duplicate_keys_name_both_lines(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = write(tmp_path, name, text)
    assert str(file_error(path)) == f"{path}:{expected}"


def test_a_duplicate_after_a_merge_is_an_override_not_a_duplicate(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", "base: &b {x: 1, y: 2}\nuse: {<<: *b, x: 9}\n")
    assert hp.load(path)["use"] == {"x": 9, "y": 2}


# ----------------------------------------------------------- whitespace, BOM, encodings


def test_tabs(tmp_path: Path) -> None:
    assert hp.load(write(tmp_path, "t.yaml", "a:\t1\nb: [1,\t2]\n")) == {"a": 1, "b": [1, 2]}
    assert hp.load(write(tmp_path, "t.toml", "a\t=\t1\n")) == {"a": 1}
    assert hp.load(write(tmp_path, "t.json", '{\t"a":\t1}')) == {"a": 1}
    e = file_error(write(tmp_path, "i.yaml", "a:\n\tb: 1\n"))  # YAML forbids tab indentation
    assert (e.lineno, e.colno) == (2, 1)


@pytest.mark.parametrize(
    ("suffix", "text"),
    [("yaml", "a: 1\nb:\n  c: [2, 3]\n"), ("toml", "a = 1\n[b]\nc = [2, 3]\n"),
     ("json", '{"a": 1,\n "b": {"c": [2, 3]}}\n')],
)  # fmt: skip
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_line_ends_and_bom(
    tmp_path: Path, suffix: str, text: str, newline: str, bom: bytes
) -> None:
    data = bom + text.replace("\n", newline).encode()
    path = write(tmp_path, f"f.{suffix}", data)
    if newline == "\r" and suffix == "toml":
        assert file_error(path).lineno == 1  # TOML has no lone-CR line end
        return
    assert hp.load(path) == {"a": 1, "b": {"c": [2, 3]}}


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize(
    ("suffix", "text", "line"),
    [("yaml", "a: 1\nb: 2\nc: [\n", 4), ("json", '{"a": 1,\n"b": 2,\n"c": }', 3),
     ("toml", "a = 1\nb = 2\nc = \n", 3)],
)  # fmt: skip
def test_errors_in_crlf_files_name_the_right_line(
    tmp_path: Path, suffix: str, text: str, line: int, newline: str
) -> None:
    path = write(tmp_path, f"f.{suffix}", text.replace("\n", newline))
    assert file_error(path).lineno == line


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ("a: 1\nb: 'caf\u00e9'\n".encode("latin-1"), (2, 8)),  # Latin-1 é in a UTF-8 file
        ("a: 'é'\nb: 'é'\n".encode() + "c: 'é'\n".encode("cp1252"), (3, 5)),  # mixed
        ("a: 1\n".encode("utf-16"), (1, 1)),  # UTF-16 with its BOM
        ("a: 1\n".encode("utf-32"), (1, 1)),
        (b"a: 1\nb: \xc3\n", (2, 4)),  # truncated multi-byte sequence
        (b"a: \xed\xa0\x80\n", (1, 4)),  # an encoded surrogate
        (b"a: \xf4\x90\x80\x80\n", (1, 4)),  # past U+10FFFF
        (b"a: \xc0\xaf\n", (1, 4)),  # overlong
    ],
    ids=["latin1", "mixed", "utf16", "utf32", "truncated", "surrogate", "too-high", "overlong"],
)
@pytest.mark.parametrize("suffix", ["yaml", "toml", "json"])
def test_invalid_utf8_names_the_first_bad_byte(
    tmp_path: Path, data: bytes, where: tuple[int, int], suffix: str
) -> None:
    e = file_error(write(tmp_path, f"f.{suffix}", data))
    assert e.message.startswith("invalid UTF-8: ")
    assert (e.lineno, e.colno) == where


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_lone_surrogates_in_text_are_refused_like_invalid_utf8(fmt: str) -> None:
    text = {"yaml": "a: 1\nb: 'x\ud800'\n", "toml": 'a = 1\nb = "x\ud800"\n',
            "json": '{"a": 1,\n "b": "x\ud800"}'}[fmt]  # fmt: skip
    assert text_error(text, fmt).endswith("invalid character U+D800: a lone surrogate is not text")
    assert text_error(text, fmt).startswith("2:")


@pytest.mark.parametrize(
    ("text", "where"),
    [('{"a": 1,\n "b": "x\\ud800"}', "2:7"), ('{"\\udc00y": 1}', "1:2"),
     ('{"a": ["\\ud83d\\ude80", "\\ude80\\ud83d"]}', "1:24")],
    ids=["high", "low-key", "reversed-pair"],
)  # fmt: skip
def test_json_escapes_of_lone_surrogates_are_refused(text: str, where: str) -> None:
    message = text_error(text, "json")
    assert message == (
        f"{where}: a lone surrogate escape (\\ud800-\\udfff not in a pair) is not a character"
    )


def test_json_escapes_of_surrogate_pairs_and_escaped_backslashes_load() -> None:
    cfg = hp.loads('{"a": "\\ud83d\\ude80", "b": "\\\\ud800"}', "json")
    assert cfg == {"a": "\U0001f680", "b": "\\ud800"}


def test_dumping_a_lone_surrogate_is_a_value_error() -> None:
    with pytest.raises(
        ValueError, match=r"^a\.1: cannot convert 'x\\ud800' to str: a lone"
    ) as info:
        hp.dump({"a": ["ok", "x\ud800"]})
    assert isinstance(info.value, hp.ConversionError)


def test_a_bom_inside_the_text_is_not_a_bom() -> None:
    assert text_error("a: 1\n\ufeffb: 2\n", "yaml").startswith("2:")


# ---------------------------------------------------------------------- multi-document

SINGLE = (
    "documents; a config file must be a single YAML document (choose one: "
    "hp.Document(path, n), or loads(..., document=n))"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\n---\nb: 2\n", f"2:1: 2 {SINGLE}"),
        ("---\na: 1\n...\n---\nb: 2\n---\nc: 3\n", f"4:1: 3 {SINGLE}"),
        ("a: 1\n---\nb: [\n", f"2:1: at least 2 {SINGLE}"),
        ("a: 1\n...\nb: 2\n", f"3:1: 2 {SINGLE}"),  # a bare document after ... (YAML 1.2)
    ],
)  # fmt: skip
def test_several_documents_are_one_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "docs.yaml", text)
    assert str(file_error(path)) == f"{path}:{expected}"


@pytest.mark.parametrize("text", ["---\na: 1\n", "---\na: 1\n...\n", "%YAML 1.2\n---\na: 1\n"])
def test_one_marked_document_loads(tmp_path: Path, text: str) -> None:
    assert hp.load(write(tmp_path, "one.yaml", text)) == {"a": 1}


# -------------------------------------------------------------------------- long lines


@pytest.mark.parametrize(
    ("suffix", "template"),
    [("yaml", "a: {}\nb: 1\n"), ("json", '{{"a": "{}", "b": 1}}'), ("toml", 'a = "{}"\nb = 1\n')],
)
def test_a_10_mb_line_loads(tmp_path: Path, suffix: str, template: str) -> None:
    value = "x" * 10_000_000
    cfg = hp.load(write(tmp_path, f"long.{suffix}", template.format(value)))
    assert cfg["a"] == value
    assert cfg["b"] == 1


@pytest.mark.parametrize(
    ("suffix", "template", "col"),
    [("yaml", 'a: "{}" ]', 10_000_007), ("json", '{{"a": "{}" ]', 10_000_010),
     ("toml", 'a = "{}" ]', 10_000_008)],
)  # fmt: skip
def test_an_error_after_a_10_mb_value_has_the_right_column(
    tmp_path: Path, suffix: str, template: str, col: int
) -> None:
    e = file_error(write(tmp_path, f"long.{suffix}", template.format("x" * 10_000_000)))
    assert (e.lineno, e.colno) == (1, col)


def test_yaml_keys_longer_than_1024_characters_are_a_located_error() -> None:
    # YAML limits implicit keys to 1024 characters; an explicit `? key` has no limit
    assert text_error("k" * 2000 + ": 1\n", "yaml").startswith("1:")
    assert hp.loads("? " + "k" * 2000 + "\n: 1\n", "yaml") == {"k" * 2000: 1}


# ----------------------------------------------------------------- truncated and broken

VALID = {
    "yaml": 'a: 1\nb: [1, 2.5, "x"]\nc:\n  d: {e: true}\n  f: 2024-01-02\ng: "\\u00e9"\n',
    "json": '{"a": 1, "b": [1, 2.5, "x"], "c": {"d": {"e": true}}, "g": "\\u00e9"}',
    "toml": 'a = 1\nb = [1, 2.5, "x"]\ng = "\\u00e9"\n[c]\nd = {e = true}\nf = 2024-01-02\n',
}


@pytest.mark.parametrize("fmt", sorted(VALID))
def test_every_truncation_loads_or_is_a_config_file_error(fmt: str) -> None:
    data = VALID[fmt].encode()
    outcomes = {"loaded": 0, "error": 0}
    for end in range(len(data) + 1):
        failure: ConfigFileError | None = None
        try:
            cfg = hp.loads(data[:end].decode("utf-8", "ignore"), fmt)  # type: ignore[arg-type]
        except ConfigFileError as e:
            failure = e
        if failure is None:
            assert isinstance(cfg, dict)
            outcomes["loaded"] += 1
        else:
            assert failure.lineno is None or failure.lineno >= 1
            outcomes["error"] += 1
    assert outcomes["error"] > 0
    assert outcomes["loaded"] > 0


@pytest.mark.parametrize("fmt", sorted(VALID))
def test_truncated_files_on_disk_name_the_end(tmp_path: Path, fmt: str) -> None:
    text = VALID[fmt]
    cut = text.index("2.5") + 2  # inside the list
    e = file_error(write(tmp_path, f"cut.{fmt}", text[:cut]))
    assert e.lineno is not None
    assert e.lineno <= text[:cut].count("\n") + 2


def test_a_multibyte_character_cut_in_half_at_the_end_of_a_file(tmp_path: Path) -> None:
    e = file_error(write(tmp_path, "cut.json", '{"a": "é"}'.encode()[:8]))
    assert e.message.startswith("invalid UTF-8")


# ------------------------------------------------------------------------- JSON numbers


@pytest.mark.parametrize(
    ("text", "where", "name"),
    [('{"a": NaN}', "1:7", "NaN"), ('{"a": [1, Infinity]}', "1:11", "Infinity"),
     ('{\n"a": -Infinity}', "2:6", "-Infinity")],
)  # fmt: skip
def test_json_nan_and_infinity_are_refused(text: str, where: str, name: str) -> None:
    assert text_error(text, "json") == (
        f"{where}: {name} is not valid JSON (RFC 8259 has no NaN or Infinity)"
    )


def test_nan_and_inf_are_floats_where_the_format_has_them() -> None:
    cfg = hp.loads("a: .nan\nb: -.inf\n", "yaml")
    assert math.isnan(cfg["a"])
    assert cfg["b"] == -math.inf
    cfg = hp.loads("a = nan\nb = -inf\n", "toml")
    assert math.isnan(cfg["a"])
    assert cfg["b"] == -math.inf


@pytest.mark.parametrize(
    ("fmt", "template", "where"),
    [("yaml", "a: 1\nb: {}\n", "2:4"), ("json", '{{"a": 1,\n "b": {}}}', "2:7"),
     ("toml", "a = 1\nb = {}\n", "2:5"), ("yaml", "a: [1, -{}]\n", "1:8"),
     ("json", '{{"s": "{}", "b": {}}}', None)],
)  # fmt: skip
def test_integers_longer_than_python_converts_are_located_errors(
    fmt: str, template: str, where: str | None
) -> None:
    limit = sys.get_int_max_str_digits()
    message = text_error(template.format("9" * (limit + 1), "9" * (limit + 1)), fmt)
    assert message.endswith(f": an integer with more than {limit:,} digits")
    if where is not None:
        assert message.startswith(where + ":")


@pytest.mark.parametrize("fmt", ["yaml", "json", "toml"])
def test_big_integers_within_the_limit_load_exactly(fmt: str) -> None:
    big = int("7" * sys.get_int_max_str_digits())
    for value in (2**63 - 1, -(2**63), 2**64, -(2**100), big):
        text = {"yaml": f"a: {value}\n", "json": f'{{"a": {value}}}',
                "toml": f"a = {value}\n"}[fmt]  # fmt: skip
        assert hp.loads(text, fmt) == {"a": value}  # type: ignore[arg-type]


def test_floats_out_of_range_become_infinite_as_the_parsers_read_them() -> None:
    for fmt, text in [("yaml", "a: 1e999"), ("json", '{"a": 1e999}'), ("toml", "a = 1e999")]:
        assert hp.loads(text, fmt) == {"a": math.inf}  # type: ignore[arg-type]


# --------------------------------------------------------------------------------- dates


def test_dates_and_times() -> None:
    toml = hp.loads(
        "d = 2024-02-29\nt = 07:32:00\nl = 1979-05-27T07:32:00\n"
        "o = 1979-05-27T00:32:00.999-07:00\n",
        "toml",
    )
    assert toml["d"] == dt.date(2024, 2, 29)
    assert toml["t"] == dt.time(7, 32)
    assert toml["l"] == dt.datetime(1979, 5, 27, 7, 32)
    assert toml["o"].utcoffset() == dt.timedelta(hours=-7)
    yaml = hp.loads("d: 2024-02-29\nts: 2001-12-14t21:59:43.10-05:00\ns: '2024-02-29'\n", "yaml")
    assert yaml["d"] == dt.date(2024, 2, 29)
    assert yaml["ts"].utcoffset() == dt.timedelta(hours=-5)
    assert yaml["s"] == "2024-02-29"
    assert hp.loads('{"d": "2024-02-29"}', "json") == {"d": "2024-02-29"}  # JSON has none


@pytest.mark.parametrize(
    ("fmt", "text", "start"),
    [("yaml", "a: 1\nd: 2023-02-29\n", "2:4: invalid timestamp '2023-02-29'"),
     ("yaml", "d: !!timestamp yesterday\n", "1:4: failed to construct timestamp"),
     ("toml", "a = 1\nd = 2023-02-29\n", "2:"), ("toml", "d = 2024-13-01\n", "1:")],
)  # fmt: skip
def test_impossible_dates_are_located_errors(fmt: str, text: str, start: str) -> None:
    assert text_error(text, fmt).startswith(start)


def test_dates_coerce_into_schema_fields(tmp_path: Path) -> None:
    from dataclasses import dataclass

    @dataclass
    class Run:
        day: dt.date = dt.date(2000, 1, 1)
        at: dt.datetime | None = None

    cfg = hp.load(write(tmp_path, "r.toml", "day = 2024-02-29\nat = 2024-02-29T10:00:00Z\n"),
                  schema=Run)  # fmt: skip
    assert cfg.day == dt.date(2024, 2, 29)
    assert cfg.at is not None
    assert cfg.at.tzinfo is not None
    cfg = hp.load({}, schema=Run, overrides=["day=2024-03-01"])
    assert cfg.day == dt.date(2024, 3, 1)
    with pytest.raises(hp.ConfigValidationError, match=r"-D day=2024-02-30: day:"):
        hp.load({}, schema=Run, overrides=["day=2024-02-30"])
