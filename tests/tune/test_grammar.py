"""The sweep grammar (DESIGN §12): Hydra's sweeper expressions and the sweep file."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import hyperparameter as hp
from hyperparameter import (
    ConfigFileError,
    ConfigValidationError,
    InvalidKeyError,
    OverrideError,
)
from hyperparameter.tune import Choice, Dimension, IntRange, Uniform
from hyperparameter.tune.grammar import Sweep, SweepError, load_sweep, parse, parse_override


def typed(dim: Dimension) -> Any:
    """``dim`` with the types of its values (``1 == 1.0 == True`` would hide a wrong one)."""
    if isinstance(dim, Choice):
        return ("choice", [(type(c).__name__, c) for c in dim.choices])
    if isinstance(dim, IntRange):
        return ("int", dim.low, dim.high, dim.step, dim.log)
    assert isinstance(dim, Uniform)
    return ("float", type(dim.low), dim.low, type(dim.high), dim.high, dim.log, dim.step)


def choice(*values: Any) -> Any:
    return typed(Choice(values))


# ------------------------------------------------------------------------ expressions


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # comma lists and choice(): YAML 1.2 plain scalars
        ("2,4,8", choice(2, 4, 8)),
        ("choice(2,4,8)", choice(2, 4, 8)),
        ("choice(2, 4, 8)", choice(2, 4, 8)),
        ("  choice ( 2 ,4,  8 )  ", choice(2, 4, 8)),
        (" 2 , 4 ,8 ", choice(2, 4, 8)),
        ("1e-3,0.5,1E5,.5,-2.", choice(0.001, 0.5, 100000.0, 0.5, -2.0)),
        ("010,0x10,0o17,+3,-4,1_000", choice(10, 16, 15, 3, -4, 1000)),
        ("true,false,True,FALSE", choice(True, False, True, False)),
        ("null,~,Null", choice(None, None, None)),
        ("gelu,relu,silu", choice("gelu", "relu", "silu")),
        ("yes,no,on", choice("yes", "no", "on")),  # YAML 1.2: strings
        ("2020-01-01,1e3x", choice("2020-01-01", "1e3x")),
        ("'a,b',c", choice("a,b", "c")),
        ("\"a,b\", 'c'", choice("a,b", "c")),
        ("'1', \"true\", 'null'", choice("1", "true", "null")),
        (r"'it\'s', 'back\\slash', 'a\nb'", choice("it's", "back\\slash", "a\\nb")),
        ("hello world, x y", choice("hello world", "x y")),
        ("a/b.c:d-e,@x", choice("a/b.c:d-e", "@x")),
        ("${model.lr},${oc.env:X,1}", choice("${model.lr}", "${oc.env:X,1}")),
        ("[1, 2], [3]", choice([1, 2], [3])),
        ("choice([1, 'a'], [], x)", choice([1, "a"], [], "x")),
        ("choice( gelu )", choice("gelu")),
        # one plain value: a choice of one
        ("0.1", choice(0.1)),
        ("  8  ", choice(8)),
        ("gelu", choice("gelu")),
        ("null", choice(None)),
        ("true", choice(True)),
        ("'x'", choice("x")),
        ("[1, 2]", choice([1, 2])),
        (".inf", choice(float("inf"))),
        # range(): the stop excluded
        ("range(16,257,step=16)", ("int", 16, 256, 16, False)),
        ("range(16, 257, 16)", ("int", 16, 256, 16, False)),
        ("range(1, 5)", ("int", 1, 4, 1, False)),
        ("range(1,5,2)", ("int", 1, 3, 2, False)),
        ("range(0, 10, 3)", ("int", 0, 9, 3, False)),
        ("range(1, 2)", ("int", 1, 1, 1, False)),
        ("range(start=1, stop=5, step=2)", ("int", 1, 3, 2, False)),
        ("range(1, stop=5)", ("int", 1, 4, 1, False)),
        ("range(step = 4, stop = 9, start = 1)", ("int", 1, 5, 4, False)),
        ("range(10, 0, -3)", ("int", 1, 10, 3, False)),
        ("range(-3, 3)", ("int", -3, 2, 1, False)),
        ("range(0, 1, 0.25)", choice(0.0, 0.25, 0.5, 0.75)),
        ("range(0, 1, 0.1)", choice(0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)),
        ("range(0.5, 3)", choice(0.5, 1.5, 2.5)),
        ("range(1.0, 3)", choice(1.0, 2.0)),
        ("range(1, 0, -0.25)", choice(1.0, 0.75, 0.5, 0.25)),
        # interval() and tag()
        ("interval(0.0, 0.5)", ("float", float, 0.0, float, 0.5, False, None)),
        ("interval(0, 1)", ("float", float, 0.0, float, 1.0, False, None)),
        ("interval(start=-1, end=1e2)", ("float", float, -1.0, float, 100.0, False, None)),
        ("interval(2, 2)", ("float", float, 2.0, float, 2.0, False, None)),
        ("tag(log, interval(1e-5, 1e-1))", ("float", float, 1e-5, float, 0.1, True, None)),
        ("tag( log ,interval( 1e-5 ,1e-1 ) )", ("float", float, 1e-5, float, 0.1, True, None)),
        ("tag(interval(0, 1))", ("float", float, 0.0, float, 1.0, False, None)),
        ("tag(int, interval(1, 10))", ("int", 1, 10, 1, False)),
        ("tag(int, interval(1.0, 10.0))", ("int", 1, 10, 1, False)),
        ("tag(int, log, interval(1, 1024))", ("int", 1, 1024, 1, True)),
        ("tag(log, int, interval(1, 8))", ("int", 1, 8, 1, True)),
        ("tag('log', \"int\", interval(1, 8))", ("int", 1, 8, 1, True)),
        ("tag(log, log, interval(1, 8))", ("float", float, 1.0, float, 8.0, True, None)),
        ("tag(choice(1, 2))", choice(1, 2)),
        ("tag(range(1, 3))", ("int", 1, 2, 1, False)),
    ],
)
def test_parse(expr: str, expected: Any) -> None:
    dim = parse(expr, "-m model.x=" + expr.strip())
    assert typed(dim) == expected
    assert dim.source == "-m model.x=" + expr.strip()


@pytest.mark.parametrize(
    ("expr", "grid"),
    [
        ("range(16,257,step=16)", list(range(16, 257, 16))),
        ("range(10, 0, -3)", [1, 4, 7, 10]),
        ("tag(int, interval(1, 4))", None),  # an interval samples, even of ints
        ("2,4,8", [2, 4, 8]),
        ("interval(0, 1)", None),
    ],
)
def test_dimensions_behave(expr: str, grid: list[Any] | None) -> None:
    assert parse(expr, "here").grid() == grid


def test_source_is_given_as_is() -> None:
    assert parse("1,2", "sweep.yaml:4:12").source == "sweep.yaml:4:12"
    assert parse("interval(0, 1)", "somewhere").source == "somewhere"


# ------------------------------------------------------------------------- errors

FUNCTIONS = "expected choice(), range(), interval() or tag()"


@pytest.mark.parametrize(
    ("expr", "reason", "column"),
    [
        # arity and arguments
        ("interval(1)", "interval() takes 2 bounds, got 1", 1),
        ("interval()", "interval() takes 2 bounds, got 0", 1),
        ("interval(1, 2, 3)", "interval() takes 2 bounds, got 3", 1),
        ("choice()", "choice() needs at least one value", 1),
        ("choice( )", "choice() needs at least one value", 1),
        ("range(1)", "range() takes a start, a stop and a step (optional), got 1", 1),
        ("range(1,2,3,4)", "range() takes a start, a stop and a step (optional), got 4", 1),
        (
            "range(1, stop=3, 2)",
            "range() takes no positional argument after a keyword one at column 18",
            18,
        ),
        ("range(1, stop=3, stop=4)", "range() got 'stop' twice at column 23", 23),
        ("range(1, start=3)", "range() got 'start' twice at column 16", 16),
        (
            "interval(start=1, high=2)",
            "interval() takes no argument 'high': expected start, end at column 24",
            24,
        ),
        ("choice(a=1)", "choice() takes values, not a= at column 10", 10),
        # values of the wrong kind
        ("range(1,x)", "range() takes numbers, got 'x' at column 9", 9),
        ("range(1, '5')", "range() takes numbers, got \"'5'\" at column 10", 10),
        ("interval(true, 2)", "interval() takes numbers, got 'true' at column 10", 10),
        ("interval(null, 2)", "interval() takes numbers, got 'null' at column 10", 10),
        ("interval(0, [1])", "interval() takes numbers, got '[1]' at column 13", 13),
        ("interval(0, .inf)", "interval() takes finite numbers, got '.inf' at column 13", 13),
        ("range(0, .nan)", "range() takes finite numbers, got '.nan' at column 10", 10),
        (
            "interval(0, range(1, 2))",
            "interval() takes numbers, got 'range(1, 2)' at column 13",
            13,
        ),
        # values that make no dimension
        ("interval(5, 1)", "interval(): low (5.0) must not exceed high (1.0)", 1),
        ("tag(log, interval(0, 1))", "interval(): a log-uniform range needs low > 0, not 0.0", 10),
        (
            "tag(log, interval(-1, 1))",
            "interval(): a log-uniform range needs low > 0, not -1.0",
            10,
        ),
        ("tag(int, interval(0.5, 2))", "tag(int, interval()) takes whole bounds, got 0.5", 10),
        ("tag(int, interval(3, 2))", "interval(): low (3) must not exceed high (2)", 10),
        (
            "tag(int, log, interval(0, 8))",
            "interval(): a log int range needs low >= 1 and step 1",
            15,
        ),
        ("range(5, 1)", "range(5, 1) is empty: no value from 5 before 1", 1),
        ("range(1, 5, -1)", "range(1, 5, -1) is empty: no value from 1 before 5", 1),
        ("range(1.5, 1.5)", "range(1.5, 1.5) is empty: no value from 1.5 before 1.5", 1),
        ("range(1, 5, 0)", "range() step must not be 0 at column 13", 13),
        ("range(1, 5, step=0.0)", "range() step must not be 0 at column 18", 18),
        ("range(0, 1, 0.00001)", "range() has 100,000 values, more than 10,000", 1),
        # tags
        ("tag(lg, interval(0, 1))", "unknown tag 'lg': expected 'log' or 'int' at column 5", 5),
        (
            "tag(1, interval(0, 1))",
            "unknown tag '1': expected 'log' or 'int' at column 5",
            5,
        ),
        ("tag(x=log, interval(0, 1))", "tag() takes values, not x= at column 7", 7),
        ("tag(choice(1), interval(0, 1))", "tag() takes values, not choice() at column 5", 5),
        ("interval(0, 1e400)", "interval() takes finite numbers, got '1e400' at column 13", 13),
        (f"interval(0, {10**400})", "interval(): int too large to convert to float", 1),
        (f"range(0, {10**30}, 0.5)", f"range() has {2 * 10**30:,} values, more than 10,000", 1),
        ("tag(log)", "tag() takes tags and then a sweep: tag(log, interval(a, b))", 1),
        ("tag()", "tag() takes tags and then a sweep: tag(log, interval(a, b))", 1),
        (
            "tag(log, choice(1, 2))",
            "tag(log, …) applies to interval(), not choice() at column 10",
            10,
        ),
        (
            "tag(int, range(1, 9))",
            "tag(int, …) applies to interval(), not range() at column 10",
            10,
        ),
        (
            "tag(log, tag(int, interval(1, 2)))",
            "tag(log, …) applies to interval(), not tag() at column 10",
            10,
        ),
        # sweeps where values belong
        ("1,choice(2)", "a comma list takes values, not choice() at column 3", 3),
        ("interval(0, 1), 2", "a comma list takes values, not interval() at column 1", 1),
        ("choice(range(1,3))", "choice() takes values, not range() at column 8", 8),
        ("[1, interval(0, 1)]", "a list takes values, not interval() at column 5", 5),
        # syntax
        ("interval(1,2", "unclosed '(' at column 9", 9),
        ("choice(1, (2)", "expected a value, found '(' at column 11", 11),
        ("interval(1,2))", "unexpected ')' at column 14", 14),
        ("choice(1 2 3) x", "unexpected 'x' at column 15", 15),
        ("(1,2)", "expected a value, found '(' at column 1", 1),
        (")", "expected a value, found ')' at column 1", 1),
        ("[1,2", "unclosed '[' at column 1", 1),
        ("[1 (2)]", "unexpected '(' after '1' at column 4", 4),
        ("[1; 2)", "expected ',' or ']', found ')' at column 6", 6),
        ("1,,2", "expected a value, found ',' at column 3", 3),
        ("1,", "expected a value, found the end at column 3", 3),
        (",1", "expected a value, found ',' at column 1", 1),
        ("choice(1,)", "expected a value, found ')' at column 10", 10),
        ("x=1", "unexpected '=' at column 2", 2),
        ("{a: 1}", "expected a value, found '{' at column 1", 1),
        ("'abc", "unterminated string opened at column 1", 1),
        ('choice("a)', "unterminated string opened at column 8", 8),
        ("'a'b", "unexpected 'b' at column 4", 4),
        ("${a", "unexpected '{' at column 2", 2),
        ("foo(1)", f"unknown function 'foo': {FUNCTIONS} at column 1", 1),
        ("sort(1, 2)", f"unknown function 'sort': {FUNCTIONS} at column 1", 1),
        ("choice(1, glob(a*))", f"unknown function 'glob': {FUNCTIONS} at column 11", 11),
        ("1 (2)", "unexpected '(' after '1' at column 3", 3),
        ("", f"an empty sweep expression: {FUNCTIONS}, or values", 1),
    ],
)
def test_parse_errors(expr: str, reason: str, column: int) -> None:
    source = f"-m model.lr={expr}"
    with pytest.raises(SweepError) as info:
        parse(expr, source)
    e = info.value
    assert str(e) == f"{source}: {reason}"
    assert (e.text, e.source, e.reason, e.column) == (expr, source, reason, column)
    assert isinstance(e, OverrideError)
    assert isinstance(e, ValueError)


def test_errors_name_the_expression_when_the_source_does_not() -> None:
    with pytest.raises(SweepError) as info:
        parse("interval(1)", "sweep.yaml:4:12")
    assert str(info.value) == "sweep.yaml:4:12: 'interval(1)': interval() takes 2 bounds, got 1"
    with pytest.raises(SweepError) as info:
        parse("   ", "schema Train.model.lr")
    assert str(info.value) == (
        f"schema Train.model.lr: '   ': an empty sweep expression: {FUNCTIONS}, or values"
    )


@pytest.mark.parametrize("clone", [lambda e: pickle.loads(pickle.dumps(e)), copy.deepcopy])
def test_errors_survive_pickle_and_copy(clone: Any) -> None:
    with pytest.raises(SweepError) as info:
        parse("range(1,x)", "-m a=range(1,x)")
    e = clone(info.value)
    assert type(e) is SweepError
    assert str(e) == "-m a=range(1,x): range() takes numbers, got 'x' at column 9"
    assert (e.text, e.source, e.column) == ("range(1,x)", "-m a=range(1,x)", 9)


# ------------------------------------------------------------------------ overrides


@pytest.mark.parametrize(
    ("text", "key", "source", "expected"),
    [
        ("model.layers=2,4,8", "model.layers", "-m model.layers=2,4,8", choice(2, 4, 8)),
        (
            "  model.lr = tag(log, interval(1e-5, 1e-1))  ",
            "model.lr",
            "-m model.lr = tag(log, interval(1e-5, 1e-1))",
            ("float", float, 1e-5, float, 0.1, True, None),
        ),
        ("act=gelu", "act", "-m act=gelu", choice("gelu")),
        ("train.0.lr=0.1", "train.0.lr", "-m train.0.lr=0.1", choice(0.1)),
        ("a-b.c= 'x=y' ", "a-b.c", "-m a-b.c= 'x=y'", choice("x=y")),
    ],
)
def test_parse_override(text: str, key: str, source: str, expected: Any) -> None:
    got_key, dim = parse_override(text)
    assert got_key == key
    assert dim.source == source
    assert typed(dim) == expected


def test_override_errors() -> None:
    with pytest.raises(SweepError) as info:
        parse_override(" model.lr=interval(1) ")
    assert str(info.value) == "-m model.lr=interval(1): interval() takes 2 bounds, got 1"
    with pytest.raises(SweepError) as info:
        parse_override("model.lr = range(1, x)")
    assert (
        str(info.value) == "-m model.lr = range(1, x): range() takes numbers, got 'x' at column 10"
    )
    with pytest.raises(OverrideError) as over:
        parse_override(" model.lr ")
    assert type(over.value) is OverrideError
    assert str(over.value) == "-m model.lr: expected 'key=value', got ' model.lr '"
    with pytest.raises(InvalidKeyError, match=r"invalid key 'model\.\.lr': empty segment"):
        parse_override("model..lr=1,2")
    with pytest.raises(InvalidKeyError, match=r"invalid key '\+model\.lr'"):
        parse_override("+model.lr=1,2")


# ------------------------------------------------------------------------ sweep files


def write(tmp_path: Path, text: str, name: str = "sweep.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return str(path)


DESIGN_FILE = """\
study: {name: lr-search, direction: minimize, n_trials: 50, storage: "sqlite:///t.db", seed: 0}
params:
  model.lr: tag(log, interval(1e-5, 1e-1))
  model.layers: choice(2, 4, 8)
"""


def test_the_design_sweep_file(tmp_path: Path) -> None:
    path = write(tmp_path, DESIGN_FILE)
    sweep = load_sweep(path)
    assert isinstance(sweep, Sweep)
    assert sweep.study == {
        "name": "lr-search",
        "direction": "minimize",
        "n_trials": 50,
        "storage": "sqlite:///t.db",
        "seed": 0,
    }
    assert list(sweep.params) == ["model.lr", "model.layers"]
    assert sweep.params["model.lr"] == Uniform(1e-5, 1e-1, log=True)
    assert sweep.params["model.layers"] == Choice((2, 4, 8))
    assert sweep.params["model.lr"].source == f"{path}:3:13"
    assert sweep.params["model.layers"].source == f"{path}:4:17"
    with pytest.raises(dataclasses.FrozenInstanceError):
        sweep.study = {}  # type: ignore[misc]


def test_every_value_form_and_its_position(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
study:
  name: s
  directions: [minimize, maximize]
  timeout: 1.5
  workers: 4
  storage: null
  seed: null
params:
  a: 2,4,8
  b:    range(16, 257, step=16)
  c: [gelu, relu]
  d: 0.5
  e: 3
  f: true
  g:
  h: "'a,b'"
  i: 'tag(int, interval(1, 10))'
  j:
    - 1
    - x
  k: interval(0.0, 0.5)
  l: gelu
  m.n-o.0: 1
""",
    )
    sweep = load_sweep(path)
    assert sweep.study == {
        "name": "s",
        "directions": ["minimize", "maximize"],
        "timeout": 1.5,
        "workers": 4,
        "storage": None,
        "seed": None,
    }
    got = {k: (typed(d), d.source) for k, d in sweep.params.items()}
    assert got == {
        "a": (choice(2, 4, 8), f"{path}:9:6"),
        "b": (("int", 16, 256, 16, False), f"{path}:10:9"),
        "c": (choice("gelu", "relu"), f"{path}:11:6"),
        "d": (choice(0.5), f"{path}:12:6"),
        "e": (choice(3), f"{path}:13:6"),
        "f": (choice(True), f"{path}:14:6"),
        "g": (choice(None), f"{path}:15:3"),  # an empty value: where its key is
        "h": (choice("a,b"), f"{path}:16:6"),
        "i": (("int", 1, 10, 1, False), f"{path}:17:6"),
        "j": (choice(1, "x"), f"{path}:19:5"),
        "k": (("float", float, 0.0, float, 0.5, False, None), f"{path}:21:6"),
        "l": (choice("gelu"), f"{path}:22:6"),
        "m.n-o.0": (choice(1), f"{path}:23:12"),
    }


@pytest.mark.parametrize(
    ("text", "study", "params"),
    [
        ("", {}, {}),
        ("# nothing\n", {}, {}),
        ("study:\nparams:\n", {}, {}),
        ("study: {n_trials: 3}\n", {"n_trials": 3}, {}),
        ("study: {direction: [minimize, maximize]}\n", {"direction": ["minimize", "maximize"]}, {}),
        ("study: {timeout: 60}\nparams: {x: 1}\n", {"timeout": 60}, {"x": Choice((1,))}),
    ],
)
def test_small_files(tmp_path: Path, text: str, study: dict[str, Any], params: Any) -> None:
    assert load_sweep(write(tmp_path, text)) == Sweep(study, params)


def test_toml_and_json_sweep_files(tmp_path: Path) -> None:
    toml = write(
        tmp_path,
        '[study]\nname = "t"\n\n[params]\n"model.lr" = "interval(0, 1)"\nlayers = [2, 4]\n',
        "sweep.toml",
    )
    sweep = load_sweep(Path(toml))
    assert sweep.study == {"name": "t"}
    assert sweep.params == {"model.lr": Uniform(0.0, 1.0), "layers": Choice((2, 4))}
    assert sweep.params["model.lr"].source == f"{toml}:5:14"
    js = write(tmp_path, '{"params": {"a": "range(1, 4)"}}', "sweep.json")
    assert load_sweep(js).params["a"] == IntRange(1, 3)
    assert load_sweep(js).params["a"].source == f"{js}:1:18"


def test_three_bad_params_are_one_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
study: {name: s}
params:
  model.lr: interval(1)
  model.layers: choice(2, 4, 8)
  model.depth: range(1,x)
  model.act:   tag(lg, interval(0, 1))
""",
    )
    with pytest.raises(ConfigValidationError) as info:
        load_sweep(path)
    e = info.value
    assert [(x["source"], x["loc"], x["msg"], x["type"], x["input"]) for x in e.errors()] == [
        (
            f"{path}:3:13",
            ("params", "model.lr"),
            "interval() takes 2 bounds, got 1",
            "sweep_expression",
            "interval(1)",
        ),
        (
            f"{path}:5:16",
            ("params", "model.depth"),
            "range() takes numbers, got 'x' at column 9",
            "sweep_expression",
            "range(1,x)",
        ),
        (
            f"{path}:6:16",
            ("params", "model.act"),
            "unknown tag 'lg': expected 'log' or 'int' at column 5",
            "sweep_expression",
            "tag(lg, interval(0, 1))",
        ),
    ]
    assert str(e) == "\n".join(
        [
            f"3 errors reading sweep file {path}",
            f"  {path}:3:13: 'params.model.lr': interval() takes 2 bounds, got 1"
            " [input='interval(1)']",
            f"  {path}:5:16: 'params.model.depth': range() takes numbers, got 'x' at column 9"
            " [input='range(1,x)']",
            f"  {path}:6:16: 'params.model.act': unknown tag 'lg': expected 'log' or 'int' at"
            " column 5 [input='tag(lg, interval(0, 1))']",
        ]
    )


def test_positions_are_those_hp_load_reports(tmp_path: Path) -> None:
    @dataclasses.dataclass
    class File:
        study: dict[str, Any]
        params: dict[str, int]

    path = write(tmp_path, DESIGN_FILE)
    with pytest.raises(ConfigValidationError) as info:
        hp.load(path, schema=File)
    reported = {e["loc"][1]: e["source"] for e in info.value.errors()}
    assert reported == {k: d.source for k, d in load_sweep(path).params.items()}


def test_every_kind_of_bad_file_content_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
study:
  name: ""
  direction: sideways
  directions: [minimize]
  n_trials: 0
  sampler: tpe
  seed: 1.5
  timeout: -1
  workers: true
  storage: 5
params:
  ok: 1,2
  bad key: 1
  1: 2
  empty: []
  nested: {a: 1}
  blank: ""
extra: 1
""",
    )
    with pytest.raises(ConfigValidationError) as info:
        load_sweep(path)
    got = [(x["source"], x["loc"], x["type"], x["msg"]) for x in info.value.errors()]
    expected_kinds = "'minimize' or 'maximize' (or a list)"
    assert got == [
        (f"{path}:2:9", ("study", "name"), "study_setting", "expected a non-empty string"),
        (f"{path}:3:14", ("study", "direction"), "study_setting", f"expected {expected_kinds}"),
        (f"{path}:5:13", ("study", "n_trials"), "study_setting", "expected a positive integer"),
        (
            f"{path}:6:3",
            ("study", "sampler"),
            "extra_forbidden",
            "unknown study setting 'sampler': expected name, direction, directions, n_trials,"
            " storage, seed, timeout, workers",
        ),
        (f"{path}:7:9", ("study", "seed"), "study_setting", "expected an integer"),
        (
            f"{path}:8:12",
            ("study", "timeout"),
            "study_setting",
            "expected a positive number of seconds",
        ),
        (f"{path}:9:12", ("study", "workers"), "study_setting", "expected a positive integer"),
        (f"{path}:10:12", ("study", "storage"), "study_setting", "expected a storage URL"),
        (
            f"{path}:13:3",
            ("params", "bad key"),
            "invalid_key",
            "invalid key 'bad key': segment 'bad key' is not an identifier, an integer, or"
            " identifier-like with '-'",
        ),
        (f"{path}:14:3", ("params", 1), "invalid_key", "invalid key 1: a key must be a string"),
        (
            f"{path}:15:10",
            ("params", "empty"),
            "sweep_expression",
            "expected a sweep expression, a list or a value, not an empty list",
        ),
        (
            f"{path}:16:11",
            ("params", "nested"),
            "sweep_expression",
            "expected a sweep expression, a list or a value, not a mapping",
        ),
        (
            f"{path}:17:10",
            ("params", "blank"),
            "sweep_expression",
            f"an empty sweep expression: {FUNCTIONS}, or values",
        ),
        (
            f"{path}:18:1",
            ("extra",),
            "extra_forbidden",
            "unknown key 'extra': a sweep file has 'study' and 'params'",
        ),
    ]


@pytest.mark.parametrize(
    ("text", "source", "loc", "msg"),
    [
        ("study: [a]\n", "1:8", ("study",), "expected a mapping, not list"),
        ("params: 3\n", "1:9", ("params",), "expected a mapping, not int"),
        ("params: tag(log, interval(0, 1))\n", "1:9", ("params",), "expected a mapping, not str"),
        (
            "study: {direction: minimize, directions: [maximize]}\n",
            "1:1",
            ("study",),
            "give direction or directions, not both",
        ),
        ("study: {direction: []}\n", "1:20", ("study", "direction"), None),
        ("study: {directions: minimize}\n", "1:21", ("study", "directions"), None),
        ("study: {name: 3}\n", "1:15", ("study", "name"), "expected a non-empty string"),
        ("study: {timeout: .inf}\n", "1:18", ("study", "timeout"), None),
        ("study: {n_trials: 2.0}\n", "1:19", ("study", "n_trials"), None),
    ],
)
def test_one_bad_setting(tmp_path: Path, text: str, source: str, loc: Any, msg: Any) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigValidationError) as info:
        load_sweep(path)
    (error,) = info.value.errors()
    assert (error["source"], error["loc"]) == (f"{path}:{source}", loc)
    if msg is not None:
        assert error["msg"] == msg


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("params:\n  a: [1, 2\n", "did not find expected ',' or ']'", 3),
        ("params:\n  a: 1\n  a: 2\n", "params.a: duplicate key 'a'", 3),
        ("- 1\n- 2\n", "expected a mapping at the top level, got list", 1),
        ("params: !!python/object:os.system x\n", "unsupported tag", 1),
    ],
)
def test_unparsable_files(tmp_path: Path, text: str, message: str, line: int) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigFileError, match=message) as info:
        load_sweep(path)
    assert info.value.path == path
    assert info.value.lineno == line


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.yaml")
    with pytest.raises(ConfigFileError) as info:
        load_sweep(path)
    assert str(info.value) == f"{path}: cannot read the file: No such file or directory"
    with pytest.raises(ConfigFileError, match="Is a directory"):
        load_sweep(tmp_path)


def test_no_optuna_on_import() -> None:
    code = (
        "import sys, hyperparameter.tune.grammar as g; "
        "g.parse('tag(log, interval(1e-5, 1))', 'x'); "
        "assert 'optuna' not in sys.modules, 'optuna imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
