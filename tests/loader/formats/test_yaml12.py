"""YAML 1.2 as the loader reads it: a table of documents with the result YAML 1.2 gives.

Ids are those of the YAML test suite (github.com/yaml/yaml-test-suite) where a case is one of
its documents, adapted to a top-level mapping where the suite's is a scalar or a list; other
cases are named by what they check. The C parser (libyaml) refuses or misreads many of them:
the loader reads those with ruamel's pure parser (see ``_yaml_read._libyaml_misreads``). The gaps
that remain are pinned at the end and listed in docs/loading.md.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

import hyperparameter as hp
from hyperparameter.errors import ConfigFileError, Loc
from hyperparameter.loader import formats as _formats
from hyperparameter.loader.formats import yaml_read as _yaml_read

# (id, text, the mapping it loads as)
VALID: list[tuple[str, str, dict[Any, Any]]] = [
    # anchor and alias names may hold ':' (libyaml ends them there, or refuses the text)
    ("Y2GN", "---\nkey: &an:chor value\n", {"key": "value"}),
    ("2SXE", "&a: key: &a value\nfoo:\n  *a:\n", {"key": "value", "foo": "key"}),
    ("W5VH", 'a: &:@*!$"<foo>: scalar a\nb: *:@*!$"<foo>:\n', {"a": "scalar a", "b": "scalar a"}),
    ("8XYN", "k:\n- &\U0001f600 unicode anchor\n", {"k": ["unicode anchor"]}),
    # an anchor may be defined again: an alias refers to the definition written last
    ("anchor redefined", "a: &x 1\nb: &x 2\nc: *x\n", {"a": 1, "b": 2, "c": 2}),
    (
        "alias before a redefinition",
        "a: &x 1\nb: *x\nc: &x 2\nd: *x\n",
        {"a": 1, "b": 1, "c": 2, "d": 2},
    ),
    ("anchor redefined inside its node", "a: &x [&x 1, *x]\nb: *x\n", {"a": [1, 1], "b": 1}),
    (
        "redefined anchor merged",
        "base: &b {x: 1}\nother: &b {x: 2}\nc:\n  <<: *b\n",
        {"base": {"x": 1}, "other": {"x": 2}, "c": {"x": 2}},
    ),
    # directives: unknown ones are ignored; a %YAML 1.1 document is read as YAML 1.2
    ("MUS6-02", "%YAML  1.1\n---\na: 1\n", {"a": 1}),
    ("MUS6-03", "%YAML \t 1.1\n---\na: 1\n", {"a": 1}),
    ("MUS6-04", "%YAML 1.1  # comment\n---\na: 1\n", {"a": 1}),
    ("MUS6-05", "%YAM 1.1\n---\na: 1\n", {"a": 1}),
    ("MUS6-06", "%YAMLL 1.1\n---\na: 1\n", {"a": 1}),
    (
        "6LVF",
        "%FOO  bar baz # Should be ignored\n# with a warning.\n--- \nfoo: bar\n",
        {"foo": "bar"},
    ),
    (
        "%YAML 1.1, core schema",
        "%YAML 1.1\n---\na: yes\nb: 0o17\nc: 017\n",
        {"a": "yes", "b": 15, "c": 17},
    ),
    # ':' in flow collections
    (
        "5T43",
        'k:\n- { "key":value }\n- { "key"::value }\n',
        {"k": [{"key": "value"}, {"key": ":value"}]},
    ),
    ("58MP", "{x: :x}\n", {"x": ":x"}),
    ("HM87", "k: [:x]\n", {"k": [":x"]}),
    (
        "DBG4",
        'k: [ ::vector, ": - ()", "Up, up and away!", -123, http://example.com/foo#bar ]\n',
        {"k": ["::vector", ": - ()", "Up, up and away!", -123, "http://example.com/foo#bar"]},
    ),
    ("UDM2", "k:\n- { url: http://example.org }\n", {"k": [{"url": "http://example.org"}]}),
    (
        "JR7V",
        "k: [a?string]\nl: [another ? string]\nm: {key: value? }\nn: {key?: value }\n",
        {
            "k": ["a?string"],
            "l": ["another ? string"],
            "m": {"key": "value?"},
            "n": {"key?": "value"},
        },
    ),
    # empty keys and values
    ("6M2F", "? &a a\n: &b b\n: *a\n", {"a": "b", None: "a"}),
    (
        "S3PD",
        'plain key: in-line value\n: # Both empty\n"quoted key":\n- entry\n',
        {"plain key": "in-line value", None: None, "quoted key": ["entry"]},
    ),
    ("UKK6", "k:\n- :\n", {"k": [{None: None}]}),
    ("NHX8", ":\n\n\n", {None: None}),
    ("DFF7", "{\n?\n}\n", {None: None}),
    ("ZWK4", "---\na: 1\n? b\n&anchor c: 3\n", {"a": 1, "b": None, "c": 3}),
    ("6KGN", "---\na: &anchor\nb: *anchor\n", {"a": None, "b": None}),
    # read right by the C parser already: kept so that the fallback never changes them
    ("E76Z", "&a a: &b b\n*b : *a\n", {"a": "b", "b": "a"}),
    ("K858", "strip: >-\n\nclip: >\n\nkeep: |+\n\n", {"strip": "", "clip": "", "keep": "\n"}),
    ("36F6", "---\nplain: a\n b\n\n c\n", {"plain": "a b\nc"}),
    ("DC7X", "a: b\t\nseq:\t\n - a\t\nc: d\t#X\n", {"a": "b", "seq": ["a"], "c": "d"}),
    (
        "J3BT",
        'quoted: "Quoted \t"\nblock:\t|\n  void main() {\n  \tprintf("Hello, world!\\n");\n  }\n',
        {"quoted": "Quoted \t", "block": 'void main() {\n\tprintf("Hello, world!\\n");\n}\n'},
    ),
    ("3MYT", "k: k:#foo\n &a !t s\n", {"k": "k:#foo &a !t s"}),
    (
        "'#' inside scalars",
        'a: \'#fff\'\nb: ["#000", \'#111\']\nc: {d: "#x"}\nd: a#b\ne: "x" # c\nf: b,#c\n',
        {"a": "#fff", "b": ["#000", "#111"], "c": {"d": "#x"}, "d": "a#b", "e": "x", "f": "b,#c"},
    ),
    ("a BOM in a quoted scalar", 'a: "x\ufeffy"\n', {"a": "x\ufeffy"}),
]

# (id, text, "line:col: message")
INVALID: list[tuple[str, str, str]] = [
    # a comment needs white space before '#' (libyaml takes all of these as comments)
    ("SU5Z", 'key: "value"# invalid comment\n', "1:13: a comment needs white space before '#'"),
    (
        "SU5Z, single quotes",
        "key: 'value'# invalid comment\n",
        "1:13: a comment needs white space before '#'",
    ),
    (
        "X4QW",
        "block: ># comment\n  scalar\n",
        "1:9: expected chomping or indentation indicators, but found '#'"
        " (while scanning a block scalar at 1:8)",
    ),
    (
        "X4QW, literal",
        "block: |-# comment\n  scalar\n",
        "1:10: expected chomping or indentation indicators, but found '#'"
        " (while scanning a block scalar at 1:8)",
    ),
    ("9JBA", "---\n[ a, b, c, ]#invalid\n", "2:13: a comment needs white space before '#'"),
    ("9JBA, mapping", "k: { a: b }#invalid\n", "1:12: a comment needs white space before '#'"),
    ("CVW2", "---\n[ a, b, c,#invalid\n]\n", "2:11: a comment needs white space before '#'"),
    (
        "MUS6-00",
        "%YAML 1.1#...\n---\n",
        "1:10: expected a digit or '.', but found '#' (while scanning a directive at 1:1)",
    ),
    (
        "glued comment after a colon anchor",
        'a: &x:y 1 # c\nb: "v"#c\n',
        "2:7: a comment needs white space before '#'",
    ),
    # directives
    ("9MMA", "%YAML 1.2\n", "2:1: did not find expected <document start>"),
    ("SF5V", "%YAML 1.2\n%YAML 1.2\n---\n", "2:1: found duplicate %YAML directive"),
    (
        "H7TQ",
        "%YAML 1.2 foo\n---\n",
        "1:11: did not find expected comment or line break (while scanning a directive at 1:1)",
    ),
    ("%YAML 2.0", "%YAML 2.0\n---\na: 1\n", "1:1: found incompatible YAML document"),
    # both parsers refuse: the error found further into the text is reported
    (
        "unknown directive, then a broken flow",
        "%YAM 1.1\n---\na: [\n",
        "4:1: expected the node content, but found '<stream end>'"
        " (while parsing a flow node at 4:1)",
    ),
    # structure
    ("CXX2", "--- &anchor a: b\n", "1:14: mapping values are not allowed in this context"),
    ("ZCZ6", "a: b: c: d\n", "1:5: mapping values are not allowed in this context"),
    ("5U3A", "key: - a\n     - b\n", "1:6: block sequence entries are not allowed in this context"),
    (
        "SY6V",
        "&anchor - sequence entry\n",
        "1:9: block sequence entries are not allowed in this context",
    ),
    (
        "4JVG",
        "top1: &node1\n  &k1 key1: val1\ntop2: &node2\n  &v2 val2\n",
        "4:3: did not find expected key (while parsing a block mapping at 1:1)",
    ),
    (
        "GDY7",
        "key: value\nthis is #not a: key\n",
        "3:1: could not find expected ':' (while scanning a simple key at 2:1)",
    ),
    (
        "8XDJ",
        "key: word1\n#  xxx\n  word2\n",
        "3:3: did not find expected key (while parsing a block mapping at 1:1)",
    ),
    (
        "5TRB",
        '---\n"\n---\n"\n',
        "3:1: found unexpected document indicator (while scanning a quoted scalar at 2:1)",
    ),
    ("3HFZ", "---\nkey: value\n... invalid\n", "3:5: did not find expected <document start>"),
    (
        "55WF",
        '---\n"\\."\n',
        "2:3: found unknown escape character '.' (while scanning a double-quoted scalar at 2:1)",
    ),
    (
        "HRE5",
        '---\ndouble: "quoted \\\' scalar"\n',
        '2:18: found unknown escape character "\'" (while scanning a double-quoted scalar at 2:9)',
    ),
    (
        "CTN5",
        "---\n[ a, b, c, , ]\n",
        "2:12: did not find expected node content (while parsing a flow node at 2:12)",
    ),
    (
        "9MAG",
        "---\n[ , a, b, c ]\n",
        "2:3: did not find expected node content (while parsing a flow node at 2:3)",
    ),
    ("4H7K", "---\n[ a, b, c ] ]\n", "2:13: did not find expected <document start>"),
    (
        "DK4H",
        "---\n[ key\n  : value ]\n",
        "3:3: did not find expected ',' or ']' (while parsing a flow sequence at 2:1)",
    ),
    (
        "62EZ",
        "---\nx: { y: z }in: valid\n",
        "2:12: did not find expected key (while parsing a block mapping at 2:1)",
    ),
    (
        "SR86",
        "key1: &a value\nkey2: &b *a\n",
        "2:10: did not find expected key (while parsing a block mapping at 1:1)",
    ),
    (
        "SU74",
        "key1: &alias value1\n&b *alias : value2\n",
        "2:4: did not find expected key (while parsing a block mapping at 1:1)",
    ),
    (
        "2G84",
        "--- |0\n",
        "1:6: found an indentation indicator equal to 0 (while scanning a block scalar at 1:5)",
    ),
    (
        "S4GJ",
        "---\nfolded: > first line\n  second line\n",
        "2:11: did not find expected comment or line break (while scanning a block scalar at 2:9)",
    ),
    (
        "DMG6",
        "key:\n  ok: 1\n wrong: 2\n",
        "3:2: did not find expected key (while parsing a block mapping at 1:1)",
    ),
    (
        "7LBH",
        '"a\\nb": 1\n"c\n d": 1\n',
        "3:4: could not find expected ':' (while scanning a simple key at 2:1)",
    ),
    (
        "LHL4",
        "---\n!invalid{}tag scalar\n",
        "2:9: did not find expected whitespace or line break (while scanning a tag at 2:1)",
    ),
    (
        "4EJS",
        "---\na:\n\tb:\n\t\tc: value\n",
        "3:1: found character that cannot start any token"
        " (while scanning for the next token at 3:1)",
    ),
    (
        "a BOM inside the text",
        "a: 1\n\ufeffb: 2\n",
        "2:2: did not find expected key (while parsing a block mapping at 1:1)",
    ),
]

# Not YAML 1.2, and taken: (id, text, what it loads as)
ACCEPTED_GAPS: list[tuple[str, str, dict[str, Any]]] = [
    ("QB6E", '---\nquoted: "a\nb\nc"\n', {"quoted": "a b c"}),  # lines less indented than the key
    ("9C9N", "---\nflow: [a,\nb,\nc]\n", {"flow": ["a", "b", "c"]}),  # the same in a flow
    ("DK95-01", 'foo: "bar\n\tbaz"\n', {"foo": "bar baz"}),  # a tab as indentation
    ("S98Z", "empty block scalar: >\n \n  \n   \n # comment\n", {"empty block scalar": ""}),
    ("G5U8", "k: [-, -]\n", {"k": ["-", "-"]}),  # a plain '-' in a flow
]
# YAML 1.2, and refused: (id, text)
REFUSED_GAPS: list[tuple[str, str]] = [
    ("4MUZ", '{"foo"\n: "bar"}\n'),  # a flow mapping's ':' on the line after its key
    ("5MUD", '---\n{ "foo"\n  :bar }\n'),
    ("NJ66", "k:\n- { multi\n  line: value}\n"),  # a plain flow key over two lines
    ("4ABK", '{\nunquoted : "separate",\nurl: http://foo.com,\nomitted value:,\n}\n'),
    ("FRK4", "{\n  ? foo :,\n  : bar,\n}\n"),  # ':' right before ',' in a flow
    ("A2M4", "? a\n: -\tb\n"),  # a tab after a block sequence's '-'
    ("nested {x: :x}", "k: {x: :x}\n"),
    ("%YAML 1.3", "%YAML 1.3\n---\na: 1\n"),  # YAML 1.2 says: read it, with a warning
]


def file_error(text: str, **kwargs: Any) -> str:
    with pytest.raises(ConfigFileError) as info:
        hp.loads(text, "yaml", source="f", **kwargs)
    return str(info.value).removeprefix("f:")


def leaves(value: Any, loc: Loc = ()) -> list[Loc]:
    out: list[Loc] = [loc]
    if isinstance(value, dict):
        for k, v in value.items():
            out += leaves(v, (*loc, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += leaves(v, (*loc, i))
    return out


def shifted(message: str, lines: int) -> str:
    """``message`` with every ``line:col`` in it moved down by ``lines``."""
    return re.sub(r"\b(\d+):(\d+)\b", lambda m: f"{int(m[1]) + lines}:{m[2]}", message)


@pytest.mark.parametrize(("case", "text", "expected"), VALID, ids=[c[0] for c in VALID])
def test_valid_yaml_12_loads_as_yaml_12_says(
    case: str, text: str, expected: dict[Any, Any]
) -> None:
    assert hp.loads(text, "yaml") == expected


@pytest.mark.parametrize(("case", "text", "expected"), VALID, ids=[c[0] for c in VALID])
def test_positions_are_read_by_the_same_parser(case: str, text: str, expected: Any) -> None:
    table = _formats.positions(text, "yaml", "f")
    assert set(leaves(expected)) <= set(table)


@pytest.mark.parametrize(("case", "text", "expected"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_yaml_12_is_a_located_error(case: str, text: str, expected: str) -> None:
    assert file_error(text) == expected


# Errors in what follows a document's end: a chosen document is read up to its end only.
AFTER_THE_END = {"3HFZ", "4H7K"}
ALONE = [c for c in VALID + INVALID if c[0] not in AFTER_THE_END]


@pytest.mark.parametrize(("case", "text", "expected"), ALONE, ids=[c[0] for c in ALONE])
def test_a_chosen_document_reads_as_it_does_alone(case: str, text: str, expected: Any) -> None:
    # The same parser finds the document and reads it: chosen from a stream, a document loads
    # (or fails, at the same place) exactly as it does alone.
    if text.startswith("%"):  # a directive needs the document before it ended by `...`
        before = "first: 1\n...\n"
    else:
        before = "first: 1\n" + ("" if text.startswith("---") else "---\n")
    stream = before + text
    if isinstance(expected, dict):
        assert hp.loads(stream, "yaml", document=1) == expected
        assert hp.loads(stream, "yaml", document=0) == {"first": 1}
    else:
        assert file_error(stream, document=1) == shifted(expected, before.count("\n"))


def test_a_document_before_a_broken_one_loads() -> None:
    text = "a: 1\n---\nblock: >#c\n  scalar\n"
    assert hp.loads(text, "yaml", document=0) == {"a": 1}
    message = "expected chomping or indentation indicators, but found '#'"
    assert file_error(text, document=1) == f"3:9: {message} (while scanning a block scalar at 3:8)"
    assert (
        file_error("block: >#c\n  scalar\n")
        == f"1:9: {message} (while scanning a block scalar at 1:8)"
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("---\nscalar1 # comment\n%YAML 1.2\n---\nb: 2\n", 3),  # EB22
        ("---\nkey: value\n%YAML 1.2\n---\nb: 2\n", 3),  # RHX7
        ("%YAML 1.2\n---\n%YAML 1.2\n---\nb: 2\n", 3),  # MUS6-01
        ("a: 1\n%FOO bar\n---\nb: 2\n", 2),
    ],
)
def test_a_directive_needs_a_document_end_before_it(text: str, line: int) -> None:
    # Both parsers take these; the directive would belong to the document before it.
    expected = f"{line}:1: a directive after a document needs '...' before it"
    assert file_error(text, document=1) == expected
    lines = text.splitlines(keepends=True)
    ended = "".join([*lines[: line - 1], "...\n", *lines[line - 1 :]])
    assert hp.loads(ended, "yaml", document=1) == {"b": 2}


@pytest.mark.parametrize(
    ("case", "text", "loaded"), ACCEPTED_GAPS, ids=[c[0] for c in ACCEPTED_GAPS]
)
def test_known_gaps_invalid_but_accepted(case: str, text: str, loaded: dict[str, Any]) -> None:
    assert hp.loads(text, "yaml") == loaded  # listed in docs/loading.md


@pytest.mark.parametrize(("case", "text"), REFUSED_GAPS, ids=[c[0] for c in REFUSED_GAPS])
def test_known_gaps_valid_but_refused(case: str, text: str) -> None:
    with pytest.raises(ConfigFileError):  # listed in docs/loading.md
        hp.loads(text, "yaml")


def test_the_c_parser_stays_the_fast_path() -> None:
    plain = "a: 1\nb: [x, y]  # comment\nc: '#fff'\nd: &base {e: 1}\nf: *base\n"
    assert not _yaml_read._libyaml_misreads(plain)
    for text in ("k: &a:b 1\n", 'k: "v"#c\n', "k: >#c\n x\n", "%YAML 1.2#c\n---\n", "k: [a],#c\n"):
        assert _yaml_read._libyaml_misreads(text), text
