"""Merging layers with provenance; environment variables and overrides as layers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from hyperparameter.coerce import Raw
from hyperparameter.errors import InvalidKeyError, Loc, OverrideError
from hyperparameter.loader.env import env_layer
from hyperparameter.loader.merge import (
    Assignment,
    assignments,
    merge,
    override_layer,
    source_of,
)

Layers = list[tuple[str, Mapping[str, Any] | Assignment]]

MERGES: list[tuple[str, Layers, dict[str, Any], dict[Loc, str]]] = [
    (
        "mappings merge deeply",
        [("a", {"m": {"x": 1, "y": 2}}), ("b", {"m": {"y": 3, "z": 4}})],
        {"m": {"x": 1, "y": 3, "z": 4}},
        {(): "b", ("m",): "b", ("m", "x"): "a", ("m", "y"): "b", ("m", "z"): "b"},
    ),
    (
        "lists replace",
        [("a", {"l": [1, 2, 3]}), ("b", {"l": [9]})],
        {"l": [9]},
        {(): "b", ("l",): "b"},
    ),
    (
        "a scalar replaces a mapping, and its keys lose their provenance",
        [("a", {"m": {"x": 1}}), ("b", {"m": 5})],
        {"m": 5},
        {(): "b", ("m",): "b"},
    ),
    (
        "a mapping replaces a scalar",
        [("a", {"m": 5}), ("b", {"m": {"x": 1}})],
        {"m": {"x": 1}},
        {(): "b", ("m",): "b", ("m", "x"): "b"},
    ),
    (
        "an explicit None sets None",
        [("a", {"m": {"x": 1}, "n": 2}), ("b", {"m": None, "n": None})],
        {"m": None, "n": None},
        {(): "b", ("m",): "b", ("n",): "b"},
    ),
    (
        "an empty mapping merges nothing",
        [("a", {"m": {"x": 1}}), ("b", {"m": {}})],
        {"m": {"x": 1}},
        {(): "b", ("m",): "b", ("m", "x"): "a"},
    ),
    (
        "a mapping inside a list is part of the list",
        [("a", {"l": [{"x": 1}]}), ("b", {"k": 1})],
        {"l": [{"x": 1}], "k": 1},
        {(): "b", ("l",): "a", ("k",): "b"},
    ),
    (
        "raw override strings are values like any other",
        [("a", {"lr": 0.1}), ("-D lr=3e-4", {"lr": Raw("3e-4")})],
        {"lr": Raw("3e-4")},
        {(): "-D lr=3e-4", ("lr",): "-D lr=3e-4"},
    ),
    ("no layers", [], {}, {}),
]


@pytest.mark.parametrize(
    ("layers", "tree", "provenance"), [m[1:] for m in MERGES], ids=[m[0] for m in MERGES]
)
def test_merge(layers: Layers, tree: dict[str, Any], provenance: dict[Loc, str]) -> None:
    assert merge(layers) == (tree, provenance)


# One test per adjacent pair of DESIGN §2's layers: defaults < files < env < overrides.
PRECEDENCE = [
    ("default", {"m": {"lr": 0.1, "keep": 1}}),
    ("base.yaml", {"m": {"lr": 0.2}}),
    ("exp.toml", {"m": {"lr": 0.3}}),
    *assignments([(("m", "lr"), "0.4", "APP_M__LR")], "env:"),
    *assignments(override_layer(["m.lr=0.5"])),
]


@pytest.mark.parametrize("upto", range(1, len(PRECEDENCE) + 1))
def test_each_layer_beats_the_one_before(upto: int) -> None:
    tree, provenance = merge(PRECEDENCE[:upto])
    name, layer = PRECEDENCE[upto - 1]
    expected = layer.value if isinstance(layer, Assignment) else layer["m"]["lr"]
    assert tree["m"]["lr"] == expected
    assert tree["m"]["keep"] == 1
    assert provenance[("m", "lr")] == name
    assert provenance[("m", "keep")] == "default"


def test_merge_never_shares_or_changes_a_layer() -> None:
    shared = [1, {"x": [2]}]
    layer = {"a": shared, "b": shared, "m": {"k": {"deep": [3]}}}
    before = repr(layer)
    tree, _ = merge([("a", layer), ("b", {"m": {"j": 1}})])
    assert repr(layer) == before
    tree["a"][1]["x"].append(9)
    tree["m"]["k"]["deep"].append(9)
    assert repr(layer) == before
    assert tree["b"] == [1, {"x": [2]}]  # YAML aliases come apart: each place its own copy


def test_merge_handles_any_depth() -> None:
    def chain(depth: int, leaf: Any) -> dict[str, Any]:
        tree: dict[str, Any] = {"leaf": leaf}
        for _ in range(depth):
            tree = {"n": tree}
        return tree

    tree, provenance = merge([("a", chain(5000, 1)), ("b", chain(5000, 2))])
    loc: Loc = ("n",) * 5000 + ("leaf",)
    assert provenance[loc] == "b"
    node: Any = tree
    for key in loc:
        node = node[key]
    assert node == 2


ASSIGNS: list[tuple[str, dict[str, Any], Loc, dict[str, Any], dict[Loc, str]]] = [
    (
        "creates mappings on the way",
        {"a": 1},
        ("m", "x"),
        {"a": 1, "m": {"x": Raw("v")}},
        {("m",): "-D", ("m", "x"): "-D"},
    ),
    (
        "replaces a scalar on the way",
        {"m": 5},
        ("m", "x"),
        {"m": {"x": Raw("v")}},
        {("m",): "-D", ("m", "x"): "-D"},
    ),
    (
        "indexes into a list",
        {"l": [1, {"u": 2}, 3]},
        ("l", 1, "u"),
        {"l": [1, {"u": Raw("v")}, 3]},
        {("l",): "-D", ("l", 1): "-D", ("l", 1, "u"): "-D"},
    ),
    (
        "sets a list item",
        {"l": [1, 2]},
        ("l", 0),
        {"l": [Raw("v"), 2]},
        {("l",): "-D", ("l", 0): "-D"},
    ),
    (
        "an index finds a string key",
        {"id2label": {"0": "a", "1": "b"}},
        ("id2label", 1),
        {"id2label": {"0": "a", "1": Raw("v")}},
        {("id2label",): "-D", ("id2label", "0"): "f", ("id2label", "1"): "-D"},
    ),
    (
        "an index finds an int key",
        {"m": {0: "a"}},
        ("m", 0),
        {"m": {0: Raw("v")}},
        {("m",): "-D", ("m", 0): "-D"},
    ),
    (
        "a new key from an index is a string",
        {"m": {}},
        ("m", 7),
        {"m": {"7": Raw("v")}},
        {("m",): "-D", ("m", "7"): "-D"},
    ),
    (
        "a new key from an index is an int in a table keyed by int",
        {"m": {"a": 1, 0: "x"}},
        ("m", 7),
        {"m": {"a": 1, 0: "x", 7: Raw("v")}},
        {("m",): "-D", ("m", "a"): "f", ("m", 0): "f", ("m", 7): "-D"},
    ),
    (
        "a new key from an index is a string beside string digits",
        {"m": {"0": "x"}},
        ("m", 7),
        {"m": {"0": "x", "7": Raw("v")}},
        {("m",): "-D", ("m", "0"): "f", ("m", "7"): "-D"},
    ),
    (
        "a key written as digits is an index too",
        {"m": {0: "x"}},
        ("m", "0"),
        {"m": {0: Raw("v")}},
        {("m",): "-D", ("m", 0): "-D"},
    ),
]


@pytest.mark.parametrize(
    ("base", "loc", "tree", "provenance"), [a[1:] for a in ASSIGNS], ids=[a[0] for a in ASSIGNS]
)
def test_assignment(
    base: dict[str, Any], loc: Loc, tree: dict[str, Any], provenance: dict[Loc, str]
) -> None:
    got, got_provenance = merge([("f", base), ("-D", Assignment(loc, Raw("v")))])
    assert got == tree
    assert {k: got_provenance[k] for k in [(), *provenance]} == {(): "f", **provenance}
    assert {k for k, v in got_provenance.items() if v == "-D"} <= set(provenance)


@pytest.mark.parametrize(
    ("loc", "message"),
    [
        (("l", 5), "invalid key 'l.5': index 5 is past the end of a list of 2 items"),
        (("l", "x"), "invalid key 'l.x': 'x' is not an index into a list of 2 items"),
        ((), "invalid key '': empty key"),
    ],
)
def test_bad_assignments(loc: Loc, message: str) -> None:
    with pytest.raises(InvalidKeyError) as info:
        merge([("f", {"l": [1, 2]}), ("-D", Assignment(loc, 1))])
    assert str(info.value) == message


def test_an_index_into_a_mapping_with_both_spellings_is_an_error() -> None:
    with pytest.raises(InvalidKeyError) as info:
        merge([("f", {"m": {0: "a", "0": "b"}}), ("-D", Assignment(("m", 0), 1))])
    assert str(info.value) == "invalid key 'm.0': the mapping has both the keys 0 and '0'"


def test_overrides_on_a_table_keyed_by_number_keep_it_keyed_by_number() -> None:
    # Before: "0=x" replaced the key 0 but "1=y" added the string key "1" beside it.
    tree, _ = merge([("f", {0: "a"}), *assignments(override_layer(["0=x", "1=y"]))])
    assert tree == {0: Raw("x"), 1: Raw("y")}


def test_source_of_looks_up_the_nearest_enclosing_value() -> None:
    _, provenance = merge([("base.yaml", {"l": [{"x": 1}], "m": {"k": 1}})])
    assert source_of(provenance, ("l", 0, "x")) == "base.yaml"
    assert source_of(provenance, ("m", "k")) == "base.yaml"
    assert source_of(provenance, ("nope",)) == "base.yaml"  # the top level
    assert source_of({}, ("nope",)) is None


ENVIRON = {
    "APP_MODEL__LR": "3e-4",
    "APP_MODEL__BATCH_SIZE": "64",
    "app_debug": "1",
    "APP_MODEL": "{lr: 1}",
    "APP_LAYERS__0": "5",
    "APP_BAD__": "x",
    "APP_1X": "x",
    "APP_A.B": "x",
    "APPLE": "x",
    "OTHER_MODEL__LR": "x",
}


def test_env_layer() -> None:
    assert env_layer("APP", ENVIRON) == [
        (("model",), "{lr: 1}", "APP_MODEL"),
        (("debug",), "1", "app_debug"),
        (("layers", 0), "5", "APP_LAYERS__0"),
        (("model", "batch_size"), "64", "APP_MODEL__BATCH_SIZE"),
        (("model", "lr"), "3e-4", "APP_MODEL__LR"),
    ]
    assert env_layer("APP_", ENVIRON) == env_layer("app", ENVIRON)


def test_env_layer_keeps_only_known_fields() -> None:
    known = {("model",), ("model", "lr"), ("model", "batch_size"), ("debug",)}
    assert [e[2] for e in env_layer("APP", ENVIRON, known)] == [
        "APP_MODEL",
        "app_debug",
        "APP_MODEL__BATCH_SIZE",
        "APP_MODEL__LR",
    ]
    assert env_layer("APP", ENVIRON, set()) == []


def test_env_layer_needs_a_prefix() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        env_layer("_", ENVIRON)


def test_env_variables_merge_as_raw_strings_named_by_variable() -> None:
    layers = assignments(env_layer("APP", {"APP_MODEL__LR": "3e-4"}), "env:")
    tree, provenance = merge([("base.yaml", {"model": {"lr": 0.1, "n": 1}}), *layers])
    assert tree == {"model": {"lr": Raw("3e-4"), "n": 1}}
    assert tree["model"]["lr"].source == "env:APP_MODEL__LR"
    assert provenance[("model", "lr")] == "env:APP_MODEL__LR"
    assert provenance[("model", "n")] == "base.yaml"


def test_override_layer() -> None:
    assert override_layer(["model.lr=3e-4", " name = run 1 ", "cmd=a=b", "x.0.y=", "t=[1, 2]"]) == [
        (("model", "lr"), "3e-4", "-D model.lr=3e-4"),
        (("name",), "run 1", "-D name = run 1"),
        (("cmd",), "a=b", "-D cmd=a=b"),
        (("x", 0, "y"), "", "-D x.0.y="),
        (("t",), "[1, 2]", "-D t=[1, 2]"),
    ]


def test_override_without_equals_is_an_override_error() -> None:
    with pytest.raises(OverrideError) as e:
        override_layer([" model.lr "])
    assert isinstance(e.value, ValueError)
    assert str(e.value) == "-D model.lr: expected 'key=value', got ' model.lr '"
    assert (e.value.text, e.value.source) == (" model.lr ", "-D model.lr")


@pytest.mark.parametrize("text", ["a..b=1", "=1", "a b=1", "1a=1", "a.-b=1"])
def test_override_keys_follow_the_grammar(text: str) -> None:
    with pytest.raises(InvalidKeyError):
        override_layer([text])


def test_overrides_stay_raw_and_name_their_source() -> None:
    layers = assignments(override_layer(["model.lr=3e-4", "run=${model.act}"]))
    tree, provenance = merge([("base.yaml", {"model": {"lr": 0.1}}), *layers])
    lr = tree["model"]["lr"]
    assert type(lr) is Raw
    assert (lr.text, lr.source) == ("3e-4", "-D model.lr=3e-4")
    assert tree["run"] == Raw("${model.act}")
    assert provenance == {
        (): "base.yaml",
        ("model",): "-D model.lr=3e-4",
        ("model", "lr"): "-D model.lr=3e-4",
        ("run",): "-D run=${model.act}",
    }
