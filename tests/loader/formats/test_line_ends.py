"""Line ends: every position the loader reports — parse errors and validation findings — is
the same whether a file's lines end with ``\\n``, ``\\r\\n`` or a lone ``\\r`` (old Mac), in
all three formats. TOML has no lone CR (the spec allows LF and CRLF only): such a file is
refused at its first CR.

A table: each case is one document written line by line, and the positions it must give.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import hyperparameter as hp

ENDS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}
BIG = "1" * 5000

# (format, case, lines, (line, column), a word of the message)
PARSE_ERRORS = [
    ("yaml", "syntax", ["a: 1", "b: 2", "c: [1, 2", "d: 4"], (4, 2), "expected ','"),
    ("yaml", "duplicate", ["a: 1", "b: 2", "  ", "a: 3"], (4, 1), "duplicate key"),
    ("yaml", "integer", ["a: 1", "b: 2", f"c: {BIG}"], (3, 4), "4,300 digits"),
    ("yaml", "encoding", ["a: 1", "b: 2", "c: 'x\udcff'"], (3, 6), "invalid UTF-8"),
    ("toml", "syntax", ["a = 1", "b = 2", "c = [1, 2", "d = 4"], (4, 1), "Unclosed array"),
    ("toml", "duplicate", ["a = 1", "b = 2", "", "a = 3"], (4, 1), "duplicate key"),
    ("toml", "integer", ["a = 1", "b = 2", f"c = {BIG}"], (3, 5), "4,300 digits"),
    ("toml", "encoding", ["a = 1", "b = 2", "c = 'x\udcff'"], (3, 7), "invalid UTF-8"),
    ("json", "syntax", ['{"a": 1,', '"b": 2,', '"c": [1, 2', "}"], (4, 1), "delimiter"),
    ("json", "duplicate", ['{"a": 1,', '"b": 2,', "", '"a": 3}'], (4, 1), "duplicate key"),
    ("json", "integer", ['{"a": 1,', '"b": 2,', f'"c": {BIG}}}'], (3, 6), "4,300 digits"),
    ("json", "encoding", ['{"a": 1,', '"b": 2,', '"c": "x\udcff"}'], (3, 8), "invalid UTF-8"),
]


@dataclasses.dataclass
class Model:
    lr: float = 0.1
    layers: int = 1


@dataclasses.dataclass
class Train:
    model: Model = dataclasses.field(default_factory=Model)
    name: str = "run"


# (format, lines, {key: (line, column)} of every finding)
FINDINGS = [
    (
        "yaml",
        ["# a comment", "model:", "  lr: fast", "  layers: 2", "name: ${nope}", "extra: 1"],
        {"model.lr": (3, 7), "name": (5, 7), "extra": (6, 1)},
    ),
    (
        "toml",
        [
            "# a comment",
            'name = "${nope}"',
            "extra = 1",
            "",
            "[model]",
            'lr = "fast"',
            "layers = 2",
        ],
        {"model.lr": (6, 6), "name": (2, 8), "extra": (3, 1)},
    ),
    (
        "json",
        [
            "{",
            '  "model": {',
            '    "lr": "fast",',
            '    "layers": 2',
            "  },",
            '  "name": "${nope}",',
            '  "extra": 1',
            "}",
        ],
        {"model.lr": (3, 11), "name": (6, 11), "extra": (7, 3)},
    ),
]


def _write(tmp_path: Path, fmt: str, lines: list[str], end: str) -> Path:
    path = tmp_path / f"config.{fmt}"
    # \udcff stands for the byte 0xff (invalid UTF-8), as os.fsencode writes it
    path.write_bytes((end.join(lines) + end).encode("utf-8", "surrogateescape"))
    return path


@pytest.mark.parametrize("end", ENDS)
@pytest.mark.parametrize(
    ("fmt", "lines", "where", "word"),
    [pytest.param(f, lines, w, word, id=f"{f}-{case}") for f, case, lines, w, word in PARSE_ERRORS],
)
def test_parse_error_positions(
    tmp_path: Path, end: str, fmt: str, lines: list[str], where: tuple[int, int], word: str
) -> None:
    path = _write(tmp_path, fmt, lines, ENDS[end])
    with pytest.raises(hp.ConfigFileError) as info:
        hp.load(path)
    e = info.value
    if fmt == "toml" and end == "cr" and word != "invalid UTF-8":  # decoding comes first
        # not TOML: refused at the first line end
        assert (e.lineno, e.colno) == (1, len(lines[0]) + 1), str(e)
        return
    assert (e.lineno, e.colno) == where, str(e)
    assert word in e.message
    assert str(e).startswith(f"{path}:{where[0]}:{where[1]}: ")


@pytest.mark.parametrize("end", ENDS)
@pytest.mark.parametrize(("fmt", "lines", "where"), FINDINGS, ids=[f for f, _, _ in FINDINGS])
def test_validation_finding_positions(
    tmp_path: Path, end: str, fmt: str, lines: list[str], where: dict[str, tuple[int, int]]
) -> None:
    path = _write(tmp_path, fmt, lines, ENDS[end])
    if fmt == "toml" and end == "cr":
        with pytest.raises(hp.ConfigFileError) as refused:
            hp.load(path, schema=Train)
        assert (refused.value.lineno, refused.value.colno) == (1, len(lines[0]) + 1)
        return
    with pytest.raises(hp.ConfigValidationError) as info:
        hp.load(path, schema=Train)
    found = {".".join(map(str, e["loc"])): e["source"] for e in info.value.errors() if e["loc"]}
    assert found == {key: f"{path}:{line}:{col}" for key, (line, col) in where.items()}


@pytest.mark.parametrize("end", ENDS)
def test_loads_counts_lines_the_same(end: str) -> None:
    text = ENDS[end].join(['{"a": 1,', '"b": 2,', '"c": [1, 2', "}"])
    with pytest.raises(hp.ConfigFileError) as info:
        hp.loads(text, "json", source="f.json")
    assert (info.value.lineno, info.value.colno) == (4, 1)  # before: 1:27 with lone CRs
