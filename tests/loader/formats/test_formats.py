"""Formats: parse (fast path), positions (slow path), limits, the real-world corpus."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import math
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml.constructor import SafeConstructor

from hyperparameter.errors import ConfigFileError, Loc
from hyperparameter.loader import formats as _formats
from hyperparameter.loader.formats import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    Format,
    Position,
    format_for,
    parse,
    positions,
    read_bytes,
)
from hyperparameter.loader.formats import common as _common
from hyperparameter.loader.formats import yaml_read as _yaml_read

DATA = Path(__file__).parents[2] / "data" / "formats"
CORPUS = Path(os.environ.get("HP_CORPUS", Path(__file__).resolve().parents[4] / "shared/corpus"))
HAS_CLIB = importlib.util.find_spec("_ruamel_yaml") is not None
ONE_OF = " (choose one: hp.Document(path, n), or loads(..., document=n))"


@pytest.fixture(params=["c", "pure"])
def yaml_impl(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a YAML test with the C parser (when installed) and with the pure-Python one."""
    if request.param == "c" and not HAS_CLIB:
        pytest.fail("ruamel.yaml.clib is a dependency of the package but is not installed")
    monkeypatch.setattr(_formats, "_PURE", request.param == "pure")
    return str(request.param)


def error(data: bytes | str, fmt: Format, path: str = "f") -> str:
    with pytest.raises(ConfigFileError) as info:
        parse(data, fmt, path)
    return str(info.value)


def assert_same(got: Any, expected: Any) -> None:
    """Equal with equal types all the way down (1, 1.0 and True differ; nan equals nan)."""
    assert type(got) is type(expected), (got, expected)
    if isinstance(expected, dict):
        assert list(got) == list(expected)
        for key in expected:
            assert_same(got[key], expected[key])
    elif isinstance(expected, list):
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert_same(g, e)
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == expected


def locs(value: Any) -> set[Loc]:
    found: set[Loc] = {()}
    stack: list[tuple[Loc, Any]] = [((), value)]
    while stack:
        loc, v = stack.pop()
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        for k, x in items:
            found.add((*loc, k))
            stack.append(((*loc, k), x))
    return found


# ----------------------------------------------------------------------------- format_for


@pytest.mark.parametrize(
    ("path", "fmt", "expected"),
    [
        ("a.yaml", None, "yaml"),
        ("dir.v2/a.YML", None, "yaml"),
        ("a.toml", None, "toml"),
        ("a.json", None, "json"),
        ("CITATION.cff", "yaml", "yaml"),
        ("a.yaml", "json", "json"),  # an explicit format wins over the suffix
    ],
)
def test_format_for(path: str, fmt: str | None, expected: str) -> None:
    assert format_for(path, fmt) == expected
    assert format_for(Path(path), fmt) == expected


def test_format_for_unknown_suffix_is_a_config_file_error() -> None:
    with pytest.raises(ConfigFileError) as info:
        format_for("conf/app.ini")
    assert str(info.value) == (
        "conf/app.ini: unknown file suffix '.ini': expected .yaml, .yml, .toml or .json "
        "(or pass the format)"
    )
    assert info.value.path == "conf/app.ini"
    with pytest.raises(ConfigFileError, match=r"^Makefile: no file suffix: expected"):
        format_for("Makefile")


def test_format_for_unknown_format_is_a_value_error() -> None:
    with pytest.raises(
        ValueError, match=r"^unknown format 'yml': expected 'yaml', 'toml' or 'json'"
    ):
        format_for("a.yaml", "yml")


def test_read_bytes(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"a: 1\n")
    assert read_bytes(tmp_path / "a.yaml") == b"a: 1\n"
    missing = str(tmp_path / "missing.yaml")
    with pytest.raises(ConfigFileError) as info:
        read_bytes(missing)
    assert str(info.value) == f"{missing}: cannot read the file: No such file or directory"
    with pytest.raises(ConfigFileError, match="cannot read the file: Is a directory"):
        read_bytes(tmp_path)


# ------------------------------------------------------------------------ parse: values

UTC = dt.UTC

VALID: list[tuple[Format, str, dict[str, Any]]] = [
    # YAML 1.2 core schema: no yes/no/on/off booleans, no sexagesimals, no 0-octals.
    (
        "yaml",
        "on: yes\nlr: 4e-4\nn: 0o17\nz: 012\nt: 1:30\nb: True\n",
        {"on": "yes", "lr": 4e-4, "n": 15, "z": 12, "t": "1:30", "b": True},
    ),
    (
        "yaml",
        "big: 3000000000000\nneg: -2\nhex: 0x1F\nf: 1.0e-06\nnull_: ~\nempty:\n",
        {"big": 3000000000000, "neg": -2, "hex": 31, "f": 1e-06, "null_": None, "empty": None},
    ),
    (
        "yaml",
        "d: 2026-08-06\nts: 2024-05-20T21:33:25Z\n",
        {"d": dt.date(2026, 8, 6), "ts": dt.datetime(2024, 5, 20, 21, 33, 25, tzinfo=UTC)},
    ),
    (
        "yaml",
        "base: &b {x: 1, y: [1, 2]}\nuse:\n  <<: *b\n  y: 3\nref: *b\n",
        {"base": {"x": 1, "y": [1, 2]}, "use": {"x": 1, "y": 3}, "ref": {"x": 1, "y": [1, 2]}},
    ),
    (
        "yaml",
        "a: &a {k: 1, j: 1}\nb: &b {k: 2, m: 2}\nc: {<<: [*a, *b], m: 3}\n",
        {"a": {"k": 1, "j": 1}, "b": {"k": 2, "m": 2}, "c": {"k": 1, "m": 3, "j": 1}},
    ),
    (
        "yaml",
        "s: !!str 12\ni: !!int '12'\nkeys: {1: a, null: b}\n",
        {"s": "12", "i": 12, "keys": {1: "a", None: "b"}},
    ),
    ("yaml", "inf: .inf\nx: 'it''s'\n", {"inf": math.inf, "x": "it's"}),
    (
        "toml",
        "a.b = 1\n[t]\nx = 1979-05-27 07:32:00Z\ny = 07:32:00\nz = nan\n",
        {
            "a": {"b": 1},
            "t": {
                "x": dt.datetime(1979, 5, 27, 7, 32, tzinfo=UTC),
                "y": dt.time(7, 32),
                "z": math.nan,
            },
        },
    ),
    ("toml", "t = {\n  a = 1,\n  b = 2,\n}\n", {"t": {"a": 1, "b": 2}}),  # TOML 1.1
    (
        "json",
        '{"lr": 11e-3, "a": [1, {"b": null}], "s": "\\u00e9"}',
        {"lr": 0.011, "a": [1, {"b": None}], "s": "é"},
    ),
]


@pytest.mark.parametrize(("fmt", "text", "expected"), VALID)
def test_parse_values(fmt: Format, text: str, expected: dict[str, Any], yaml_impl: str) -> None:
    assert_same(parse(text.encode(), fmt, "f"), expected)


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        (fmt, data)
        for fmt in ("yaml", "toml", "json")
        for data in (b"", b"\n\n", b"\xef\xbb\xbf", b"  \r\n")
    ]
    + [("toml", b" \t\r\n"), ("json", b" \t\r\n")]  # a tab cannot indent YAML
    + [("yaml", b"# only a comment\n"), ("toml", b"# only a comment\n"), ("yaml", b"---\n")]
    + [("yaml", b"null\n"), ("yaml", b"~")],
)
def test_empty_files_are_empty_mappings(fmt: Format, data: bytes) -> None:
    assert parse(data, fmt, "f") == {}


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_bom_is_accepted_and_not_counted_in_columns(fmt: Format) -> None:
    text = {"yaml": "a: 1\n", "toml": "a = 1\n", "json": '{"a": 1}'}[fmt]
    assert parse(b"\xef\xbb\xbf" + text.encode(), fmt, "f") == {"a": 1}
    assert positions(b"\xef\xbb\xbf" + text.encode(), fmt, "f")[("a",)].key_col in (1, 2)


@pytest.mark.parametrize(
    ("fmt", "data", "expected"),
    [
        ("yaml", b"a: 1\nb: \xff\n", "f:2:4: invalid UTF-8: invalid start byte 0xff"),
        # the column counts characters: "é" is one
        (
            "yaml",
            "é: 'ü".encode() + b"\xe2\x82'\n",
            "f:1:6: invalid UTF-8: invalid continuation byte 0xe2",
        ),
        ("json", b'{"a":\n\n  "\xc3"}', "f:3:4: invalid UTF-8: invalid continuation byte 0xc3"),
        ("toml", b"a = 1\xc3", "f:1:6: invalid UTF-8: unexpected end of data 0xc3"),
        ("yaml", b"\xff\xfea\x00:\x00", "f:1:1: invalid UTF-8: invalid start byte 0xff"),  # UTF-16
    ],
)
def test_invalid_utf8_names_the_first_bad_byte(fmt: Format, data: bytes, expected: str) -> None:
    assert error(data, fmt) == expected


# ------------------------------------------------------------------------ parse: errors

INVALID = sorted(p.name for p in (DATA / "invalid").iterdir() if p.name != "expected.json")
EXPECTED = json.loads((DATA / "invalid" / "expected.json").read_text("utf-8"))


def test_every_invalid_file_has_an_expectation() -> None:
    assert sorted(EXPECTED) == INVALID


@pytest.mark.parametrize("name", INVALID)
def test_invalid_files(name: str, yaml_impl: str) -> None:
    path = DATA / "invalid" / name
    with pytest.raises(ConfigFileError) as info:
        parse(path.read_bytes(), format_for(name), name)
    assert str(info.value) == EXPECTED[name]
    e = info.value
    assert f"{e.path}:{e.lineno}:{e.colno}: {e.message}" == EXPECTED[name]


MESSAGES: list[tuple[Format, str, str]] = [
    ("yaml", "a: 1\nb: 2\na: 3\n", "f:3:1: a: duplicate key 'a' (lines 1 and 3)"),
    ("yaml", "{a: 1, a: 2}", "f:1:8: a: duplicate key 'a' (line 1, columns 2 and 8)"),
    (
        "yaml",
        "x: &x {a: 1}\ny:\n  <<: *x\n  <<: *x\n",
        "f:4:3: y.<<: duplicate key '<<' (lines 3 and 4)",
    ),
    ("yaml", "1: a\n1: b\n", "f:2:1: 1: duplicate key 1 (lines 1 and 2)"),
    ("yaml", "? [a, b]\n: 1\n", "f:1:3: a mapping key must be a scalar"),
    ("yaml", "42\n", "f:1:1: expected a mapping at the top level, got integer"),
    ("yaml", "'text'\n", "f:1:1: expected a mapping at the top level, got string"),
    (
        "yaml",
        "a: 1\n---\nb: 2\n",
        "f:2:1: 2 documents; a config file must be a single YAML document" + ONE_OF,
    ),
    (
        "yaml",
        "a: !ENV HOME\n",
        "f:1:4: unsupported tag '!ENV': only plain YAML data is loaded; "
        "application and Python tags are refused",
    ),
    (
        "yaml",
        "a: !!binary aGk=\n",
        "f:1:4: unsupported tag '!!binary': only plain YAML data is "
        "loaded; application and Python tags are refused",
    ),
    (
        "yaml",
        "a: !!set {x}\n",
        "f:1:4: unsupported tag '!!set': only plain YAML data is loaded; "
        "application and Python tags are refused",
    ),
    (
        "yaml",
        "a: !<tag:example.com,2000:x> 1\n",
        "f:1:4: unsupported tag '!<tag:example.com,2000:x>': "
        "only plain YAML data is loaded; application and Python tags are refused",
    ),
    (
        "yaml",
        "a: !!int abc\n",
        "f:1:4: invalid integer 'abc': invalid literal for int() with base 10: 'abc'",
    ),
    ("yaml", "a: !!bool maybe\n", "f:1:4: invalid boolean 'maybe'"),
    ("yaml", "a: &a [*a]\n", "f:1:4: recursive alias: the node contains itself"),
    (
        "yaml",
        'a: "x\x00"\n',
        "f:1:6: unacceptable character #x0000: control characters are not allowed",
    ),
    ("json", "null", "f:1:1: expected a mapping at the top level, got null"),
    (
        "json",
        '{"a": {"b": 1, "b": 2}}',
        "f:1:16: a.b: duplicate key 'b' (line 1, columns 8 and 16)",
    ),
    (
        "json",
        '{"a": -Infinity}',
        "f:1:7: -Infinity is not valid JSON (RFC 8259 has no NaN or Infinity)",
    ),
    ("json", '{"a": 1} x', "f:1:10: Extra data"),
    ("toml", "a = \n", "f:1:5: Invalid value"),
    ("toml", "[a]\nb = 1\n[a]\n", "f:3:2: a: duplicate key 'a' (lines 1 and 3)"),
]


@pytest.mark.parametrize(
    ("fmt", "text", "key", "expected"),
    [
        ("yaml", "spec:\n  selector: a\n  selector: b\n", "spec.selector",
         "f:3:3: spec.selector: duplicate key 'selector' (lines 2 and 3)"),
        ("yaml", "a:\n- {b: {1: x, 1: y}}\n", "a.0.b.1",
         "f:2:14: a.0.b.1: duplicate key 1 (line 2, columns 8 and 14)"),
        ("json", '{"spec": {"selector": 1,\n "selector": 2}}', "spec.selector",
         "f:2:2: spec.selector: duplicate key 'selector' (lines 1 and 2)"),
        ("json", '{"a": [0, {"b": 1, "b": 2}]}', "a.1.b",
         "f:1:20: a.1.b: duplicate key 'b' (line 1, columns 12 and 20)"),
        ("toml", "[spec]\nselector = 1\nselector = 2\n", "spec.selector",
         "f:3:1: spec.selector: duplicate key 'selector' (lines 2 and 3)"),
        ("toml", "[[jobs]]\nk = 1\n[[jobs]]\nk = 1\nk = 2\n", "jobs.1.k",
         "f:5:1: jobs.1.k: duplicate key 'k' (lines 4 and 5)"),
        ("toml", "x = {a = {b = 1, b = 2}}\n", "x.a.b",
         "f:1:18: x.a.b: duplicate key 'b' (line 1, columns 11 and 18)"),
        ("toml", "a.b = 1\n[a]\n", "a", "f:2:2: a: duplicate key 'a' (lines 1 and 2)"),
        ("toml", "a = [1]\n[[a]]\n", "a", "f:2:3: a: duplicate key 'a' (lines 1 and 2)"),
        ("toml", "a = {b = 1}\na.c = 2\n", "a.c",
         "f:2:3: a.c: Cannot mutate immutable namespace ('a',)"),
    ],
)  # fmt: skip
def test_key_errors_name_the_full_dotted_key(
    fmt: Format, text: str, key: str, expected: str
) -> None:
    with pytest.raises(ConfigFileError) as info:
        parse(text, fmt, "f")
    assert (str(info.value), info.value.key) == (expected, key)


@pytest.mark.parametrize(("fmt", "text", "expected"), MESSAGES)
def test_error_messages(fmt: Format, text: str, expected: str) -> None:
    # The pure reader words one message differently; every other message is ours.
    if "control characters" in expected and _yaml_read._PURE:
        expected = expected.replace("control", "special")
    assert error(text, fmt) == expected


def test_yaml_syntax_errors_carry_the_parser_position(yaml_impl: str) -> None:
    e = error("a: b\nc: [1, 2\n", "yaml")
    assert e.startswith("f:3:1: ")
    assert e.endswith(" (while parsing a flow sequence at 2:4)")
    assert error("a: 1\n b: 2\n", "yaml").startswith("f:2:3: mapping values are not allowed")
    # the C reader reports byte offsets: the column still counts characters
    assert error('é: 1\nb: "ü\x00"\n', "yaml").startswith("f:2:6: unacceptable character #x0000")


def test_all_refused_tags_are_listed_in_document_order(yaml_impl: str) -> None:
    text = "a:\n  b:\n    c: !Deep 1\nd: !!python/name:os.system\n"
    assert error(text, "yaml") == (
        "f:3:8: unsupported tag '!Deep': only plain YAML data is loaded; application and "
        "Python tags are refused (also refused: 4:4 '!!python/name:os.system')"
    )


def test_python_tags_never_execute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml_impl: str
) -> None:
    called: list[Any] = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a))
    target = tmp_path / "pwned"
    text = (
        f'a: !!python/object/apply:os.system ["touch {target}"]\n'
        f'b: !!python/object/new:os.system ["touch {target}"]\n'
        "c: !!python/name:builtins.exec\n"
        "d: !!python/module:os\n"
        f"e: !!python/object/apply:builtins.exec [\"open({str(target)!r}, 'w')\"]\n"
    )
    with pytest.raises(ConfigFileError, match=r"^f:1:4: unsupported tag '!!python/object/apply:os"):
        parse(text, "yaml", "f")
    assert called == []
    assert not target.exists()
    # positions() composes nodes only, and constructs nothing but keys
    assert set(positions(text, "yaml", "f")) == {
        (),
        ("a",),
        ("b",),
        ("c",),
        ("d",),
        ("e",),
        ("a", 0),
        ("b", 0),
        ("e", 0),
    }
    assert not target.exists()


def test_constructors_registered_on_ruamel_classes_do_not_leak_in(
    monkeypatch: pytest.MonkeyPatch, yaml_impl: str
) -> None:
    calls: list[Any] = []
    monkeypatch.setitem(SafeConstructor.yaml_constructors, "!ENV", lambda *a: calls.append(a))
    monkeypatch.setitem(SafeConstructor.yaml_multi_constructors, "!", lambda *a: calls.append(a))
    with pytest.raises(ConfigFileError, match="unsupported tag '!ENV'"):
        parse("a: !ENV HOME\n", "yaml", "f")
    assert calls == []
    allowed = {t for t in _yaml_read._Constructor.yaml_constructors if t is not None}
    assert allowed == {
        f"tag:yaml.org,2002:{t}"
        for t in ("null", "bool", "int", "float", "timestamp", "str", "seq", "map")
    }
    assert _yaml_read._Constructor.yaml_multi_constructors == {}


def test_c_loader_is_used_when_installed() -> None:
    assert _formats.yaml_backend() == ("c" if HAS_CLIB else "pure")


# ------------------------------------------------------------------------------- limits


def nested(fmt: Format, depth: int) -> str:
    """A document whose containers nest exactly ``depth`` levels (the top mapping is one)."""
    inner = depth - 1
    if fmt == "yaml":
        return "a: " + "[" * inner + "]" * inner + "\n"
    if fmt == "json":
        return '{"a": ' + "[" * inner + "]" * inner + "}"
    return "a = " + "[" * inner + "]" * inner + "\n"


def yaml_block(depth: int) -> str:
    return "".join("  " * i + f"k{i}:\n" for i in range(depth - 1)) + "  " * (depth - 1) + "x: 1\n"


def toml_header(depth: int) -> str:
    return "[" + ".".join(["t"] * (depth - 1)) + "]\nx = 1\n"


@pytest.mark.parametrize(
    ("fmt", "text"),
    [(f, nested(f, 100)) for f in ("yaml", "toml", "json")]
    + [("yaml", yaml_block(100)), ("toml", toml_header(100)), ("toml", "t." * 99 + "x = 1\n")],
)
def test_100_levels_always_load(fmt: Format, text: str, yaml_impl: str) -> None:
    assert _common._deeper_than(parse(text, fmt, "f"), 99)


@pytest.mark.parametrize("text", [nested("yaml", MAX_DEPTH), yaml_block(MAX_DEPTH)])
def test_1000_levels_load_with_the_c_loader(text: str) -> None:
    assert _common._deeper_than(parse(text, "yaml", "f"), MAX_DEPTH - 1)


@pytest.mark.parametrize(
    ("fmt", "text", "where"),
    [
        ("yaml", nested("yaml", 1001), "1:1003"),
        ("yaml", nested("yaml", 100_000), "1:1003"),
        ("yaml", yaml_block(1001), "1001:2001"),
        ("yaml", "a:\n" + "- " * 2000 + "1\n", "2:1999"),
        ("json", nested("json", 1001), "1:1006"),
        ("json", nested("json", 100_000), "1:1006"),
        ("toml", nested("toml", 100_000), "1:1004"),
        ("toml", toml_header(1001), "1:1"),
        ("toml", toml_header(100_000), "1:2000"),
        ("toml", "t." * 1000 + "x = 1\n", "1:1999"),
    ],
)
def test_deeper_than_1000_levels_is_an_error(
    fmt: Format, text: str, where: str, yaml_impl: str
) -> None:
    assert error(text, fmt) == f"f:{where}: nesting deeper than 1,000 levels"


def test_parsers_that_give_up_earlier_say_so() -> None:
    # tomli and json recurse; they stop below 1,000 levels with a located error.
    e = error(nested("toml", 990), "toml")
    assert e.startswith("f:1:")
    assert "nested too deeply for the TOML parser (" in e


def test_aliases_can_not_nest_deeper_than_1000_levels(yaml_impl: str) -> None:
    deep = "[" * 350 + "{}" + "]" * 350
    text = f"x: &x {deep}\ny: &y {deep.replace('{}', '*x')}\nz: {deep.replace('{}', '*y')}\n"
    assert error(text, "yaml") == "f:3:54: nesting deeper than 1,000 levels (through aliases)"


def test_billion_laughs_fails_fast_in_bounded_memory(yaml_impl: str) -> None:
    data = (DATA / "invalid" / "billion-laughs.yaml").read_bytes()
    tracemalloc.start()
    try:
        with pytest.raises(ConfigFileError, match="alias expansion exceeds 1,000,000 nodes"):
            parse(data, "yaml", "f")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


def test_alias_expansion_just_under_the_limit_loads() -> None:
    # Expanded: a is 10 nodes, b 1 + 100 * 10, c 1 + n * 1001; with the root mapping and its
    # three keys, 1016 + 1001 n: 998,013 for n = 997, 1,001,015 for n = 999.
    text = "a: &a [" + ", ".join(["0"] * 9) + "]\nb: &b [" + ", ".join(["*a"] * 100) + "]\n"
    text += "c: [" + ", ".join(["*b"] * 997) + "]\n"
    assert len(parse(text, "yaml", "f")["c"]) == 997
    text = text.replace("c: [", "c: [*b, *b, ")
    assert error(text, "yaml") == f"f:1:1: alias expansion exceeds {MAX_ALIAS_NODES:,} nodes"


def test_merges_do_not_double(yaml_impl: str) -> None:
    text = "m0: &m0 {k: 0}\n" + "".join(
        f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: {i}}}\n" for i in range(1, 60)
    )
    tree = parse(text, "yaml", "f")
    assert tree["m59"] == {"k": 0, **{f"k{i}": i for i in range(1, 60)}}


def test_merges_are_bounded() -> None:
    big = "big: &big {" + ", ".join(f"k{i}: {i}" for i in range(2000)) + "}\n"
    text = big + "".join(f"u{j}: {{<<: *big}}\n" for j in range(501))
    assert error(text, "yaml") == "f:502:7: '<<' merges expand to more than 1,000,000 keys"


# ------------------------------------------------------------------------------- corpus

# file -> None (parses), or the exact error. MANIFEST.md: the mkdocs tags at 113:15 (!ENV),
# 145, 146, 167 and 171; the PaddleDetection tags at 6:5; the k8s file's 9 documents.
CORPUS_EXPECTED: dict[str, str | None] = {
    "json/cli-spinners-unicode.json": None,
    "json/deepspeed-bing-bert-lamb.json": None,
    "json/hf-config-bert-large-uncased-wwm.json": None,
    "json/hf-config-clip-composite.json": None,
    "json/package-ruff-vscode.json": None,
    "json/tokenizer-config-t5.json": None,
    "json/vscode-settings-mkdocs-material.json": None,
    "toml/cargo-config-ruff-quoted-keys.toml": None,
    "toml/cargo-workspace-ruff.toml": None,
    "toml/nextest-uv-arrays-of-tables.toml": None,
    "toml/pylock-pydantic-people-datetimes.toml": None,
    "toml/pylock-pydantic-pyodide-nested-aot.toml": None,
    "toml/pyproject-pydantic.toml": None,
    "toml/ruff-uv-multiline-inline-table.toml": None,
    "toml/rust-toolchain-ruff.toml": None,
    "yaml/citation-cff-pydantic.yaml": None,
    "yaml/conda-environment-ldm.yaml": None,
    "yaml/detectron2-base-rcnn-fpn.yaml": None,
    "yaml/detectron2-mask-rcnn-r50-fpn-3x.yaml": None,
    "yaml/docker-compose-netbox-anchors-merge.yml": None,
    "yaml/github-actions-pydantic-ci.yml": None,
    "yaml/gitlab-ci-runner-rules-anchors.yml": None,
    "yaml/hydra-custom-help-block-scalars.yaml": None,
    "yaml/hydra-defaults-list-interpolation.yaml": None,
    "yaml/hydra-using-config-interpolation.yaml": None,
    "yaml/k8s-prometheus-adapter-multidoc.yaml": (
        "14:1: 9 documents; a config file must be a single YAML document" + ONE_OF
    ),
    "yaml/ldm-cin-ldm-vq-f8.yaml": None,
    "yaml/litgpt-lightningcli-pretrain-tinyllama.yaml": None,
    "yaml/mkdocs-material-python-tags.yml": (
        "113:15: unsupported tag '!ENV': only plain YAML data is loaded; application and "
        "Python tags are refused (also refused: "
        "145:24 '!!python/name:material.extensions.emoji.to_svg', "
        "146:20 '!!python/name:material.extensions.emoji.twemoji', "
        "167:19 '!!python/name:pymdownx.superfences.fence_code_format', "
        "171:16 '!!python/object/apply:pymdownx.slugs.slugify')"
    ),
    "yaml/openapi-redoc-demo.yaml": None,
    "yaml/paddledet-optimizer-custom-tags.yml": (
        "6:5: unsupported tag '!PiecewiseDecay': only plain YAML data is loaded; application "
        "and Python tags are refused (also refused: 11:5 '!LinearWarmup')"
    ),
    "yaml/paddledet-yolov3-darknet53-base-list.yml": None,
}

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")


@pytest.fixture(scope="module")
def corpus() -> dict[str, dict[str, Any]]:
    """Every parseable corpus file, parsed once."""
    return {
        name: parse((CORPUS / name).read_bytes(), format_for(name), name)
        for name, outcome in CORPUS_EXPECTED.items()
        if outcome is None
    }


@needs_corpus
def test_corpus_table_lists_every_file() -> None:
    files = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*"))
    assert files == sorted(CORPUS_EXPECTED)


@needs_corpus
@pytest.mark.parametrize(("name", "outcome"), sorted(CORPUS_EXPECTED.items()))
def test_corpus_parses_or_fails_as_the_manifest_says(
    name: str, outcome: str | None, yaml_impl: str
) -> None:
    data = (CORPUS / name).read_bytes()
    if outcome is None:
        tree = parse(data, format_for(name), name)
        assert isinstance(tree, dict)
        assert tree
        assert set(positions(data, format_for(name), name)) == locs(tree)
    else:
        assert error(data, format_for(name), name) == f"{name}:{outcome}"


@needs_corpus
@pytest.mark.parametrize(
    ("name", "loc", "expected"),
    [
        ("yaml/hydra-using-config-interpolation.yaml", ("node", "zippity"), "${node.loompa}"),
        ("yaml/hydra-using-config-interpolation.yaml", ("node", "waldo"), "???"),
        (
            "yaml/hydra-defaults-list-interpolation.yaml",
            ("defaults", 2, "optional server_db"),
            "${server}_${db}",
        ),
        ("yaml/detectron2-base-rcnn-fpn.yaml", ("DATASETS", "TRAIN"), '("coco_2017_train",)'),
        ("yaml/detectron2-mask-rcnn-r50-fpn-3x.yaml", ("MODEL", "MASK_ON"), True),
        ("yaml/ldm-cin-ldm-vq-f8.yaml", ("model", "base_learning_rate"), 1e-06),
        (
            "yaml/litgpt-lightningcli-pretrain-tinyllama.yaml",
            ("optimizer", "init_args", "lr"),
            4e-4,
        ),
        (
            "yaml/litgpt-lightningcli-pretrain-tinyllama.yaml",
            ("train", "max_tokens"),
            3000000000000,
        ),
        (
            "yaml/litgpt-lightningcli-pretrain-tinyllama.yaml",
            ("out_dir",),
            "out/pretrain/tiny-llama",
        ),
        (
            "yaml/paddledet-yolov3-darknet53-base-list.yml",
            ("_BASE_", 0),
            "../datasets/coco_detection.yml",
        ),
        ("yaml/github-actions-pydantic-ci.yml", ("on", "pull_request"), {}),
        ("yaml/github-actions-pydantic-ci.yml", ("env", "COLUMNS"), 150),
        ("yaml/citation-cff-pydantic.yaml", ("date-released",), dt.date(2026, 8, 6)),
        (
            "yaml/docker-compose-netbox-anchors-merge.yml",
            ("services", "netbox-worker", "depends_on"),
            {"netbox": {"condition": "service_healthy"}},
        ),
        (
            "yaml/docker-compose-netbox-anchors-merge.yml",
            ("services", "netbox-worker", "image"),
            "docker.io/netboxcommunity/netbox:${VERSION-v4.1-3.0.2}",
        ),
        (
            "toml/ruff-uv-multiline-inline-table.toml",
            ("per-file-target-version",),
            {"scripts/check_system_python.py": "py37", "scripts/create-python-mirror.py": "py38"},
        ),
        (
            "toml/cargo-workspace-ruff.toml",
            ("workspace", "lints", "clippy", "pedantic", "priority"),
            -2,
        ),
        (
            "toml/cargo-config-ruff-quoted-keys.toml",
            ("target", 'cfg(all(target_env="msvc", target_os = "windows"))', "rustflags", 1),
            "target-feature=+crt-static",
        ),
        (
            "toml/pylock-pydantic-people-datetimes.toml",
            ("packages", 0, "wheels", 0, "upload-time"),
            dt.datetime(2024, 5, 20, 21, 33, 24, tzinfo=UTC),
        ),
        ("json/deepspeed-bing-bert-lamb.json", ("optimizer", "params", "lr"), 11e-3),
        (
            "json/tokenizer-config-t5.json",
            ("added_tokens_decoder", "32000", "content"),
            "<extra_id_99>",
        ),
        ("json/vscode-settings-mkdocs-material.json", ("search.exclude", "**/node_modules"), True),
        ("json/cli-spinners-unicode.json", ("dots", "frames", 0), "\u280b"),
    ],
)
def test_corpus_values(
    corpus: dict[str, dict[str, Any]], name: str, loc: Loc, expected: Any
) -> None:
    value: Any = corpus[name]
    for key in loc:
        value = value[key]
    assert value == expected
    assert type(value) is type(expected)


# ---------------------------------------------------------------------------- positions

# Hand-checked against the files: (line, col) of the value, then of the key.
CORPUS_POSITIONS: list[tuple[str, Loc, tuple[int, int, int, int]]] = [
    ("yaml/ldm-cin-ldm-vq-f8.yaml", ("model", "base_learning_rate"), (2, 23, 2, 3)),
    (
        "yaml/ldm-cin-ldm-vq-f8.yaml",
        ("model", "params", "first_stage_config", "params", "ddconfig", "ch_mult"),
        (55, 11, 54, 11),
    ),
    (
        "yaml/ldm-cin-ldm-vq-f8.yaml",
        ("model", "params", "first_stage_config", "params", "ddconfig", "ch_mult", 2),
        (57, 13, 57, 13),
    ),
    ("yaml/github-actions-pydantic-ci.yml", ("on",), (4, 3, 3, 1)),
    ("yaml/github-actions-pydantic-ci.yml", ("env", "COLUMNS"), (12, 12, 12, 3)),
    (
        "yaml/github-actions-pydantic-ci.yml",
        ("jobs", "test", "strategy", "matrix", "python-version", 0),
        (672, 26, 672, 26),
    ),
    (
        "yaml/litgpt-lightningcli-pretrain-tinyllama.yaml",
        ("optimizer", "init_args", "lr"),
        (90, 9, 90, 5),
    ),
    # merged with `<<: *netbox` / reached through an anchor: where the text is written
    (
        "yaml/docker-compose-netbox-anchors-merge.yml",
        ("services", "netbox-worker", "image"),
        (3, 12, 3, 5),
    ),
    (
        "yaml/docker-compose-netbox-anchors-merge.yml",
        ("services", "netbox-worker", "command"),
        (26, 7, 25, 5),
    ),
    (
        "yaml/docker-compose-netbox-anchors-merge.yml",
        ("services", "redis", "healthcheck"),
        (67, 18, 67, 5),
    ),
    ("toml/pylock-pydantic-pyodide-nested-aot.toml", ("packages", 0, "name"), (5, 8, 5, 1)),
    ("toml/pylock-pydantic-pyodide-nested-aot.toml", ("packages", 1, "wheels", 0), (19, 1, 19, 12)),
    (
        "toml/pylock-pydantic-pyodide-nested-aot.toml",
        ("packages", 1, "wheels", 0, "hashes", "sha256"),
        (24, 10, 24, 1),
    ),
    (
        "toml/cargo-workspace-ruff.toml",
        ("workspace", "dependencies", "aho-corasick"),
        (65, 16, 65, 1),
    ),
    (
        "toml/cargo-workspace-ruff.toml",
        ("workspace", "lints", "clippy", "pedantic", "priority"),
        (239, 41, 239, 30),
    ),
    (
        "toml/cargo-workspace-ruff.toml",
        ("workspace", "lints", "rust", "unexpected_cfgs", "check-cfg", 0),
        (234, 5, 234, 5),
    ),
    (
        "toml/cargo-config-ruff-quoted-keys.toml",
        ("target", 'cfg(all(target_env="msvc", target_os = "windows"))', "rustflags"),
        (10, 13, 10, 1),
    ),
    (
        "toml/ruff-uv-multiline-inline-table.toml",
        ("per-file-target-version", "scripts/create-python-mirror.py"),
        (4, 39, 4, 3),
    ),
    ("toml/ruff-uv-multiline-inline-table.toml", ("lint", "per-file-ignores"), (17, 1, 17, 7)),
    (
        "toml/nextest-uv-arrays-of-tables.toml",
        ("profile", "ci-windows", "overrides", 0, "filter"),
        (42, 10, 42, 1),
    ),
    (
        "json/package-ruff-vscode.json",
        ("contributes", "configuration", "properties", "ruff.lint.args", "default"),
        (142, 22, 142, 11),
    ),
    ("json/hf-config-clip-composite.json", ("text_config", "id2label", "1"), (35, 12, 35, 7)),
    ("json/hf-config-clip-composite.json", ("vision_config", "hidden_size"), (117, 20, 117, 5)),
    ("json/cli-spinners-unicode.json", ("dots", "frames", 3), (8, 4, 8, 4)),  # after tabs
]


@needs_corpus
@pytest.mark.parametrize(("name", "loc", "expected"), CORPUS_POSITIONS)
def test_corpus_positions(name: str, loc: Loc, expected: tuple[int, int, int, int]) -> None:
    table = positions((CORPUS / name).read_bytes(), format_for(name), name)
    assert table[loc] == Position(*expected)


SYNTHETIC_POSITIONS: list[tuple[Format, str, dict[Loc, tuple[int, int, int, int]]]] = [
    (
        "yaml",
        "a:\nb: 1\nc:\n  - x\n  -\n  - {k: v}\n",
        {
            (): (1, 1, 1, 1),
            ("a",): (1, 1, 1, 1),
            ("b",): (2, 4, 2, 1),
            ("c",): (4, 3, 3, 1),
            ("c", 1): (5, 4, 5, 4),
            ("c", 2): (6, 5, 6, 5),
            ("c", 2, "k"): (6, 9, 6, 6),
        },
    ),
    (
        "yaml",
        "é: ü\nx: &x {a: 1}\ny:\n  <<: *x\n  b: 2\n",
        {("é",): (1, 4, 1, 1), ("y", "a"): (2, 11, 2, 8), ("y", "b"): (5, 6, 5, 3)},
    ),
    (
        "yaml",
        "a: &a {k: 1, j: 1}\nb: {<<: [*a, {k: 2}], j: 3}\n",
        {("b", "k"): (1, 11, 1, 8), ("b", "j"): (2, 26, 2, 23)},
    ),
    (
        "toml",
        "x.y = 1\n[t]\nin = { a.b = [1, {c = 2}] }\n[[aot]]\n[[aot]]\nk = 'v'\n",
        {
            ("x",): (1, 1, 1, 1),
            ("x", "y"): (1, 7, 1, 3),
            ("t",): (2, 1, 2, 2),
            ("t", "in", "a", "b"): (3, 14, 3, 10),
            ("t", "in", "a", "b", 1, "c"): (3, 23, 3, 19),
            ("aot",): (4, 1, 4, 3),
            ("aot", 1): (5, 1, 5, 3),
            ("aot", 1, "k"): (6, 5, 6, 1),
        },
    ),
    (
        "toml",
        's = """\nmulti "" line\n"""\n"q.k" = 1\n\'lit\\\' = 2\n"\\u00e9" = 3\n',
        {
            ("s",): (1, 5, 1, 1),
            ("q.k",): (4, 9, 4, 1),
            ("lit\\",): (5, 10, 5, 1),
            ("é",): (6, 12, 6, 1),
        },
    ),
    (
        "toml",
        "dt = 1979-05-27 07:32:00Z # c\nn = [ # c\n  1, # one\n  2,\n]\n",
        {("dt",): (1, 6, 1, 1), ("n", 1): (4, 3, 4, 3)},
    ),
    (
        "json",
        '{\n\t"a": [1, {"b": "\\"}"}],\n  "c": null\n}',
        {
            (): (1, 1, 1, 1),
            ("a",): (2, 7, 2, 2),
            ("a", 1, "b"): (2, 17, 2, 12),
            ("c",): (3, 8, 3, 3),
        },
    ),
]


@pytest.mark.parametrize(("fmt", "text", "expected"), SYNTHETIC_POSITIONS)
def test_positions(
    fmt: Format, text: str, expected: dict[Loc, tuple[int, int, int, int]], yaml_impl: str
) -> None:
    table = positions(text.encode(), fmt, "f")
    assert set(table) == locs(parse(text.encode(), fmt, "f"))
    assert {loc: table[loc] for loc in expected} == {k: Position(*v) for k, v in expected.items()}


def test_positions_of_an_empty_file() -> None:
    for fmt in ("yaml", "toml", "json"):
        assert positions(b"", fmt, "f") == {(): Position(1, 1, 1, 1)}


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("yaml", "a: [1,\n", "f:2:1: "),
        ("yaml", "a: 1\n---\nb: 2\n", "f:2:1: 2 documents"),
        ("toml", "a = [1,\n", "f:2:1: "),
        ("json", '{"a": [1,', "f:1:10: Expecting value"),
        ("json", nested("json", 2000), "f:1:1006: nesting deeper than 1,000 levels"),
        ("toml", toml_header(2000), "f:1:2000: nesting deeper than 1,000 levels"),
    ],
)
def test_positions_of_a_bad_file_raise_the_parse_error(
    fmt: Format, text: str, expected: str
) -> None:
    with pytest.raises(ConfigFileError) as info:
        positions(text, fmt, "f")
    assert str(info.value).startswith(expected)
