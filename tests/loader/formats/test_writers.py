"""Every writer of config text — ``dump`` in three formats, ``hp show`` and ``hp show
--provenance`` in each — writes strings that load back equal, by one YAML string rule
(``_formats.yaml_representer``); and ``--provenance`` annotates every leaf, integer keys too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hyperparameter as hp
from hyperparameter import cli

# Text that YAML, TOML or JSON writers have got wrong, or could: line breaks YAML 1.1 readers
# see (NEL, LS, PS), C1 controls, spaces at the ends, comment and mapping indicators, quotes,
# scalars that would resolve to another type, escapes, a BOM.
STRINGS = [
    "\x85",
    "a\x85b",
    "\x85 ",
    " \x85",
    "x\n\x85",
    "\u2028",
    "a\u2028b",
    "\u2029 ",
    "\x80",
    "a\x9bb",
    "\x9f",
    "\x7f",
    "\x1b[0m",
    " lead",
    "trail ",
    " ",
    "#x",
    "a #b",
    "a: b",
    "a:b",
    "- x",
    "? x",
    "&a",
    "*a",
    "!tag",
    "%x",
    "@x",
    "`x",
    "{x}",
    "[x]",
    "a, b",
    "\t",
    "a\tb",
    "a\nb",
    "a\n",
    "\n",
    "a\r\nb",
    "a\rb",
    "a\n\n  b\n",
    "'",
    '"',
    "\\",
    "\\n",
    "null",
    "~",
    "true",
    "no",
    "1",
    "0x1F",
    "1e3",
    ".inf",
    "2024-01-01",
    "",
    "${x}",
    "\\${x}",
    "\u00a0",
    "\ufeff",
    "\ufffe",
    "\U0001f600",
    "caf\u00e9",
]


def _tree(text: str) -> dict[str, Any]:
    """``text`` as a value, a key (an empty key stands for itself only where a TOML key can be
    empty: a scope key cannot), a list item and a value nested under two groups."""
    return {"k": text, (text or "e"): 1, "l": [text, 1], "g": {"h": {"k": text}}}


CASES = [pytest.param(_tree(text), id=str(i)) for i, text in enumerate(STRINGS)]


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
@pytest.mark.parametrize("tree", CASES)
def test_dump_round_trips(tree: dict[str, Any], fmt: str) -> None:
    text = hp.dump(tree, format=fmt)  # type: ignore[arg-type]
    assert hp.loads(text, fmt) == tree, text  # type: ignore[arg-type]


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in tree.items():
        if isinstance(v, dict) and v:
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _show_args(tmp_path: Path, tree: dict[str, Any], fmt: str, provenance: bool) -> list[str]:
    """``hp show`` arguments for ``tree`` written to a JSON file (JSON holds any text) by
    ``dump``, which escapes ``${`` so that it reads back as text."""
    source = tmp_path / "in.json"
    hp.dump(tree, source)
    args = ["show", str(source), "--format", fmt] + (["--provenance"] if provenance else [])
    return args


@pytest.mark.parametrize("provenance", [False, True], ids=["show", "provenance"])
@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
@pytest.mark.parametrize("tree", CASES)
def test_hp_show_round_trips(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tree: dict[str, Any],
    fmt: str,
    provenance: bool,
) -> None:
    code = cli.main(_show_args(tmp_path, tree, fmt, provenance))
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    back = hp.loads(out, fmt)  # type: ignore[arg-type]
    if provenance and fmt == "json":
        assert {k: v["value"] for k, v in back.items()} == _flat(tree), out
    else:
        assert back == tree, out


def test_provenance_writes_nel_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(_show_args(tmp_path, {"k": "a\x85b", "\u2028": "c"}, "yaml", True))
    out, _ = capsys.readouterr()
    assert code == 0
    source = tmp_path / "in.json"
    assert out == f'k: "a\\Nb" # {source}:2:8\n? "\\L"\n: c # {source}:3:8\n'


# Any mix of the troublesome characters, through both YAML writers.
_ALPHABET = st.sampled_from([*"a #:-'\"\\\t\n\r ", "\x85", "\u2028", "\u2029", "\x9b", "\xa0"])


@settings(max_examples=150, deadline=None)
@given(st.text(_ALPHABET, max_size=12))
def test_both_yaml_writers_round_trip_any_text(text: str) -> None:
    from hyperparameter.cli.resolve import resolve
    from hyperparameter.cli.show import render_show

    tree = {"k": text, (text or "e"): [text]}
    assert hp.loads(hp.dump(tree), "yaml") == tree
    res = resolve([], defines=[])
    res.tree = tree  # the provenance writer on this tree: every note says "default"
    assert hp.loads(render_show(res, "yaml", True), "yaml") == tree


# --------------------------------------------------------------------- integer keys

INTEGER_KEYS = "0: a\n1:\n  2: b\n  name: c\nname: d\n"


def test_provenance_annotates_integer_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ints.yaml"
    path.write_text(INTEGER_KEYS)
    assert cli.main(["show", str(path), "--provenance"]) == 0
    out, _ = capsys.readouterr()
    # The key may be written 0 or '0' (dump's choice): either way it carries its note.
    patterns = [
        rf"'?0'?: a # {path}:1:4",
        r"'?1'?:",
        rf"  '?2'?: b # {path}:3:6",
        rf"  name: c # {path}:4:9",
        rf"name: d # {path}:5:7",
    ]
    lines = out.splitlines()
    assert len(lines) == len(patterns), out
    for line, pattern in zip(lines, patterns, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)

    assert cli.main(["show", str(path), "--provenance", "--format", "toml"]) == 0
    toml, _ = capsys.readouterr()
    assert f'0 = "a"  # {path}:1:4' in toml.splitlines()
    assert f'2 = "b"  # {path}:3:6' in toml.splitlines()
    assert cli.main(["show", str(path), "--provenance", "--format", "json"]) == 0
    flat = json.loads(capsys.readouterr()[0])
    assert flat["0"] == {"value": "a", "source": f"{path}:1:4"}
    assert flat["1.2"] == {"value": "b", "source": f"{path}:3:6"}
