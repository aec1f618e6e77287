"""hp.load / loads / dump beyond the data-driven cases: precedence, round trips, scoping."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from pathlib import Path
from typing import Any

import pytest
from schemas import Model, PTrain, Train

import hyperparameter as hp
from hyperparameter import ConfigFileError, ConfigValidationError

BOTH = pytest.mark.parametrize("schema", [Train, PTrain], ids=["dataclass", "pydantic"])


def write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text, "utf-8")
    return str(tmp_path / name)


@BOTH
def test_issue_example(schema: type, tmp_path: Path) -> None:
    base = write(tmp_path, "base.yaml", "model:\n  layers: 8\n")
    exp = write(tmp_path, "exp.toml", '[model]\nact = "gelu"\n')
    cfg = hp.load(base, exp, schema=schema, overrides=["model.lr=3e-4"])
    assert isinstance(cfg, schema)
    assert (cfg.model.lr, cfg.model.layers, cfg.model.act) == (3e-4, 8, "gelu")
    assert cfg.run_name == "gelu-8"

    @hp.auto_param("model")
    def build(lr: float = 1e-3, layers: int = 4, act: str = "relu") -> tuple[float, int, str]:
        return lr, layers, act

    with hp.param_scope(cfg) as ps:
        assert build() == (3e-4, 8, "gelu")
        assert ps.data.splits == ["train", "val"]
        assert hp.param_scope.data.splits[1]() == "val"
        assert ps.run_name == "gelu-8"
    assert build() == (1e-3, 4, "relu")


@BOTH
def test_errors_are_dicts_with_sources(schema: type, tmp_path: Path) -> None:
    path = write(tmp_path, "t.yaml", "epochs: many\nmodel:\n  actt: relu\n")
    with pytest.raises(ConfigValidationError) as e:
        hp.load(path, schema=schema, overrides=["amp=perhaps"])
    errors = e.value.errors()
    assert [(err["loc"], err["type"], err["source"]) for err in errors] == [
        (("epochs",), "int_parsing", f"{path}:1:9"),
        (("model", "actt"), "extra_forbidden", f"{path}:3:3"),
        (("amp",), "bool_parsing", "-D amp=perhaps"),
    ]
    assert errors[0]["input"] == "many"
    assert errors[2]["input"] == "perhaps"
    assert isinstance(e.value, ValueError)


@BOTH
def test_every_adjacent_pair_of_layers(
    schema: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = write(tmp_path, "a.yaml", "epochs: 1\nmodel:\n  layers: 1\n  lr: 0.1\n")
    b = write(tmp_path, "b.json", '{"model": {"layers": 2}}')
    assert hp.load(schema=schema).epochs == 10  # defaults alone
    assert hp.load(a, schema=schema).epochs == 1  # default < file
    assert hp.load(a, b, schema=schema).model.layers == 2  # earlier file < later file
    assert hp.load(b, a, schema=schema).model.layers == 1
    monkeypatch.setenv("APP_MODEL__LAYERS", "3")
    assert hp.load(a, b, schema=schema, env_prefix="APP").model.layers == 3  # file < env
    cfg = hp.load(a, b, schema=schema, env_prefix="APP", overrides=["model.layers=4"])
    assert cfg.model.layers == 4  # env < override
    assert cfg.model.lr == 0.1  # untouched keys come from their own layer
    cfg = hp.load(schema=schema, overrides=["model.layers=4", "model.layers=5"])
    assert cfg.model.layers == 5  # earlier override < later override


def test_mapping_sources_and_schemaless(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "x: 1\ny: {z: 2}\n")
    assert hp.load(path, {"y": {"w": 3}}) == {"x": 1, "y": {"z": 2, "w": 3}}
    assert hp.config is hp.load


@BOTH
def test_interpolation_follows_overrides(schema: type, tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "data:\n  batch_size: ${model.layers}\n")
    cfg = hp.load(path, schema=schema, overrides=["model.layers=64", "model.act=gelu"])
    assert cfg.data.batch_size == 64
    assert cfg.run_name == "gelu-64"


def test_interpolate_false_keeps_text(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "a: ${b}\nb: ${{ matrix.x }}\n")
    assert hp.load(path, interpolate=False) == {"a": "${b}", "b": "${{ matrix.x }}"}


@BOTH
@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_dump_round_trip(schema: type, fmt: str, tmp_path: Path) -> None:
    cfg = hp.load(
        schema=schema,
        overrides=["model.dropout=0.25", "started=2024-05-20", "data.splits=[a, b]", "amp=on"],
    )
    if fmt == "toml":
        # TOML has no null; a config with None in it dumps to YAML or JSON only
        with pytest.raises(ValueError, match="TOML has no null"):
            hp.dump(hp.load(schema=schema), format="toml")
    path = tmp_path / f"out.{fmt}"
    text = hp.dump(cfg, path)
    assert path.read_text("utf-8") == text
    again = hp.load(path, schema=schema)
    assert again == cfg
    assert again.started == dt.date(2024, 5, 20)


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_dump_escapes_text_that_would_read_as_a_reference(fmt: str) -> None:
    texts = ["${a}", "cost: ${x} and $y", "\\${a}", "\\\\${a}", "C:\\dir\\", "${env:HOME}"]
    cfg = {"a": 1, "t": texts}
    text = hp.dump(cfg, format=fmt)  # type: ignore[arg-type]
    assert hp.loads(text, fmt) == cfg  # type: ignore[arg-type]
    refs = hp.loads(text, fmt, interpolate=False)  # type: ignore[arg-type]
    assert refs["t"][:2] == ["\\${a}", "cost: \\${x} and $y"]


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_dump_can_keep_references(fmt: str, tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "a: 1\nb: ${a}\nc: x${a}\nd: \\${a}\n")
    raw = hp.load(path, interpolate=False)
    assert raw == {"a": 1, "b": "${a}", "c": "x${a}", "d": "\\${a}"}
    text = hp.dump(raw, format=fmt, keep_references=True)  # type: ignore[arg-type]
    assert hp.loads(text, fmt) == {"a": 1, "b": 1, "c": "x1", "d": "${a}"}  # type: ignore[arg-type]
    assert hp.loads(text, fmt) == hp.load(path)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_dump_writes_long_strings_that_load_back(fmt: str) -> None:
    # ruamel folds a long double-quoted line inside a backslash run and loses a space
    texts = ["\\" * n + " " + "x" * 9 + " y\n" for n in range(40, 90)] + ["a " * 200]
    cfg = {"t": texts}
    assert hp.loads(hp.dump(cfg, format=fmt), fmt) == cfg  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_dump_writes_string_subclasses_as_strings(fmt: str) -> None:
    class Name(str):
        pass

    cfg = {"x": "X", "a": Name("cost: ${x}")}
    text = hp.dump(cfg, format=fmt)  # type: ignore[arg-type]
    assert hp.loads(text, fmt) == {"x": "X", "a": "cost: ${x}"}  # type: ignore[arg-type]


class Color(enum.Enum):
    RED = "red"


def test_dump_keeps_the_key_types_yaml_reads_back() -> None:
    table = {0: "a", 7: {2: "b"}, "0x": 1, 1.5: "f", True: "t", None: "n"}
    table[dt.date(2024, 1, 2)] = "d"
    text = hp.dump({"index": table})
    assert text == (
        "index:\n  0: a\n  7:\n    2: b\n  0x: 1\n  1.5: f\n  true: t\n  null: n\n  2024-01-02: d\n"
    )
    assert hp.loads(text, "yaml") == {"index": table}
    assert hp.dump(hp.loads("0: a\n'1': b\n", "yaml")) == "0: a\n'1': b\n"


@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_dump_writes_other_keys_as_text_where_keys_are_strings(fmt: str) -> None:
    cfg = {"index": {0: "a", 1.5: "f", True: "t", None: "n", dt.date(2024, 1, 2): "d"}}
    loaded = hp.loads(hp.dump(cfg, format=fmt), fmt)  # type: ignore[arg-type]
    assert loaded == {"index": {"0": "a", "1.5": "f", "true": "t", "null": "n", "2024-01-02": "d"}}


@pytest.mark.parametrize(
    ("cfg", "fmt", "message"),
    [
        ({0: "a", "0": "b"}, "json",
         "invalid key '0': keys 0 and '0' would both be written as the JSON key \"0\""),
        ({"m": {"x": {True: 1, "true": 2}}}, "toml",
         "invalid key 'm.x.true': keys True and 'true' would both be written as the TOML key "
         "\"true\""),
        ({"l": [{1.0: "a", "1.0": "b"}]}, "json",
         "invalid key 'l.0.1.0': keys 1.0 and '1.0' would both be written as the JSON key "
         "\"1.0\""),
        ({"c": {Color.RED: 1, "red": 2}}, "yaml",
         "invalid key 'c.red': keys <Color.RED: 'red'> and 'red' would both be written as the "
         "same YAML key"),
    ],
)  # fmt: skip
def test_dump_refuses_two_keys_written_as_one(cfg: Any, fmt: str, message: str) -> None:
    # Before: the second key silently replaced the first ({"0": "b"}).
    with pytest.raises(hp.InvalidKeyError) as info:
        hp.dump(cfg, format=fmt)  # type: ignore[arg-type]
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)
    assert hp.dump({0: "a", "0": "b"}, format="yaml") == "0: a\n'0': b\n"  # YAML can: two keys


def test_dump_refuses_a_key_it_cannot_write() -> None:
    with pytest.raises(TypeError, match=r"^a: cannot dump a key of type tuple$"):
        hp.dump({"a": {(1, 2): "x"}})


def test_dump_defaults_to_yaml_and_checks_its_input() -> None:
    assert hp.dump({"a": {"b": [1, 2]}}) == "a:\n  b:\n  - 1\n  - 2\n"
    assert json.loads(hp.dump({"p": Path("x")}, format="json")) == {"p": "x"}
    with pytest.raises(TypeError):
        hp.dump(3)


def test_loads() -> None:
    cfg = hp.loads("model:\n  layers: 3\n", "yaml", schema=Train, source="inline.yaml")
    assert cfg.model == Model(layers=3)
    with pytest.raises(ConfigValidationError) as e:
        hp.loads('[model]\nlayers = "x"\n', "toml", schema=Train, source="cfg.toml")
    assert "cfg.toml:2:10: model.layers:" in str(e.value)
    assert hp.loads('{"a": 1}', "json") == {"a": 1}


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match=r"unknown file suffix '\.ini'"):
        hp.load(write(tmp_path, "a.ini", "x=1"))
    assert hp.load(write(tmp_path, "a.conf", "x: 1\n"), format="yaml") == {"x": 1}
    with pytest.raises(ConfigFileError, match="cannot read the file") as e:
        hp.load(str(tmp_path / "missing.yaml"))
    assert e.value.path == str(tmp_path / "missing.yaml")
    with pytest.raises(ConfigFileError) as e2:
        hp.load(write(tmp_path, "list.yaml", "- a\n- b\n"))
    assert (e2.value.lineno, e2.value.colno) == (1, 1)


def test_env_without_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SVC_DB__PORT", "5432")
    monkeypatch.setenv("SVC_DEBUG", "true")
    assert hp.load({"db": {"host": "h"}}, env_prefix="SVC") == {
        "db": {"host": "h", "port": 5432},
        "debug": True,
    }


def test_env_vars_that_name_no_field_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_NOT_A_FIELD", "x")
    monkeypatch.setenv("APP_MODEL__NOPE", "x")
    monkeypatch.setenv("APP_EPOCHS", "7")
    assert hp.load(schema=Train, env_prefix="APP").epochs == 7


@BOTH
def test_param_scope_flattens_a_validated_config(schema: type) -> None:
    cfg = hp.load(schema=schema, overrides=["data.splits=[a, b]"])
    with hp.param_scope(cfg) as ps, hp.param_scope() as dyn:
        keys = dyn.keys()
        assert "model.lr" in keys
        assert "data.splits" in keys
        assert "data.splits.1" in keys
        assert dyn["data.splits.1"]() == "b"
        assert ps.data.path == Path("data")
        assert ps.model.dropout is None
        with hp.param_scope(**{"model.lr": 0.5}):
            assert ps.model.lr == 0.5
        assert ps.model.lr == 1e-3


def test_pushing_a_schemaless_mapping_with_dotted_keys_raises(tmp_path: Path) -> None:
    cfg: dict[str, Any] = hp.load(write(tmp_path, "s.json", '{"search.exclude": {"a": true}}'))
    assert cfg == {"search.exclude": {"a": True}}
    with pytest.raises(hp.InvalidKeyError):
        hp.param_scope(cfg)


# ------------------------------------------------------------------------ the real-world corpus

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

# Files using another tool's `${…}` (docker-compose, GitHub Actions, Hydra's runtime keys,
# coverage's environment syntax) load with interpolate=False; with interpolation on, they fail
# with an error at the first such value.
FOREIGN_SYNTAX = {
    "toml/pyproject-pydantic.toml": "pyproject-pydantic.toml:281:11: tool.coverage.run.context",
    "yaml/docker-compose-netbox-anchors-merge.yml": "netbox-anchors-merge.yml:3:12: services.",
    "yaml/github-actions-pydantic-ci.yml": "pydantic-ci.yml:22:11: jobs.lint.name: invalid",
    "yaml/hydra-custom-help-block-scalars.yaml": "help-block-scalars.yaml:5:9: header: missing",
    "yaml/hydra-defaults-list-interpolation.yaml": "list-interpolation.yaml:4:25: 'defaults.2.",
}
REFUSED = {
    "yaml/k8s-prometheus-adapter-multidoc.yaml": ":14:1: 9 documents",
    "yaml/mkdocs-material-python-tags.yml": ":113:15: unsupported tag '!ENV'",
    "yaml/paddledet-optimizer-custom-tags.yml": ":6:5: unsupported tag '!PiecewiseDecay'",
}
CORPUS_FILES = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*") if p.suffix != ".md")


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_file_loads_or_fails_clearly(name: str) -> None:
    path = CORPUS / name
    if name in REFUSED:
        for interpolate in (True, False):
            with pytest.raises(ConfigFileError) as e:
                hp.load(path, interpolate=interpolate)
            assert f"{path}{REFUSED[name]}" in str(e.value)
        return
    if name in FOREIGN_SYNTAX:
        with pytest.raises(ConfigValidationError) as err:
            hp.load(path)
        assert FOREIGN_SYNTAX[name] in str(err.value).splitlines()[1]
        cfg = hp.load(path, interpolate=False)
    else:
        cfg = hp.load(path)
    assert isinstance(cfg, dict)
    assert cfg


# ----------------------------------------------------------------------- multi-document YAML

SWEEP = """\
# a sweep: one run per document
model: {lr: 0.1}
run: base
---
model: {lr: 0.01}
run: [not, a, string]
...
%TAG !e! tag:example.com,2000:
# the third run
---
model: &m {lr: 0.001}
run: !e!custom third
"""


@dataclasses.dataclass
class _SweepModel:
    lr: float = 0.0


@dataclasses.dataclass
class _Sweep:
    model: _SweepModel = dataclasses.field(default_factory=_SweepModel)
    run: str = ""


def test_a_document_of_a_multi_document_file_is_chosen(tmp_path: Path) -> None:
    path = write(tmp_path, "sweep.yaml", SWEEP)
    with pytest.raises(hp.ConfigFileError, match=r"sweep.yaml:4:1: 3 documents; .*hp\.Document"):
        hp.load(path)
    assert hp.load(hp.Document(path, 0)) == {"model": {"lr": 0.1}, "run": "base"}
    assert hp.load(hp.Document(path, 0), schema=_Sweep) == _Sweep(_SweepModel(0.1), "base")
    assert hp.load(hp.Document(path, 1))["model"] == {"lr": 0.01}
    base = write(tmp_path, "base.yaml", "run: base\nextra: 1\n")
    cfg = hp.load(base, hp.Document(path, 1), overrides=["model.lr=0.5"])
    assert cfg == {"run": ["not", "a", "string"], "extra": 1, "model": {"lr": 0.5}}


def test_errors_in_a_chosen_document_name_the_lines_of_the_whole_file(tmp_path: Path) -> None:
    path = write(tmp_path, "sweep.yaml", SWEEP)
    with pytest.raises(hp.ConfigValidationError) as info:
        hp.load(hp.Document(path, 1), schema=_Sweep)
    assert f"{path}:6:6: run: Input should be a valid string" in str(info.value)
    # the third document's own %TAG directive comes with it; its tag is refused where it is
    for index in (2, -1):
        with pytest.raises(hp.ConfigFileError, match=r"sweep.yaml:12:6: unsupported tag"):
            hp.load(hp.Document(path, index))


def test_a_document_that_does_not_exist_is_a_file_error(tmp_path: Path) -> None:
    path = write(tmp_path, "sweep.yaml", SWEEP)
    for index in (3, -4):
        with pytest.raises(hp.ConfigFileError, match=f"3 documents: there is no document {index}"):
            hp.load(hp.Document(path, index))
    assert hp.load(hp.Document(write(tmp_path, "empty.yaml", ""), 0)) == {}
    toml = write(tmp_path, "a.toml", "a = 1\n")
    assert hp.load(hp.Document(toml, 0)) == {"a": 1}
    with pytest.raises(hp.ConfigFileError, match="a TOML file is one document"):
        hp.load(hp.Document(toml, 1))
    with pytest.raises(TypeError, match="must be an int"):
        hp.Document(path, "1")  # type: ignore[arg-type]


def test_anchors_never_cross_documents(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "a: &x 1\n---\nb: *x\n")
    with pytest.raises(hp.ConfigFileError, match=r"a.yaml:3:4: .*undefined alias 'x'"):
        hp.load(hp.Document(path, 1))


def test_loads_chooses_a_document_too() -> None:
    text = "a: 1\r\n---\r\na: 2\r\nb: [\r\n"
    assert hp.loads(text, "yaml", document=0) == {"a": 1}
    with pytest.raises(hp.ConfigFileError, match=r"<string>:5:1: "):
        hp.loads(text, "yaml", document=1)  # lines counted in the whole text, CRLF too
    assert hp.Document("x.yaml", 1) == hp.Document(Path("x.yaml"), 1)
    assert repr(hp.Document("x.yaml", 1)) == "Document('x.yaml', 1)"


@pytest.mark.parametrize(
    ("value", "fmt", "message"),
    [
        ({"a": {"b": None}}, "toml", "a.b: cannot convert None to a TOML value: TOML has no null"),
        ({"a": float("inf")}, "json", "a: cannot convert inf to a JSON value: JSON has no inf"),
    ],
)
def test_values_a_format_cannot_hold_are_conversion_errors(
    value: dict[str, object], fmt: str, message: str
) -> None:
    with pytest.raises(hp.ConversionError) as e:
        hp.dump(value, format=fmt)  # type: ignore[arg-type]
    assert str(e.value).startswith(message)
    assert isinstance(e.value, ValueError)
