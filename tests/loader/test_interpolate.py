"""``${…}`` interpolation: references, env, escapes, types, chains, cycles, limits."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest

from hyperparameter.coerce import Raw
from hyperparameter.errors import InterpolationError, Loc
from hyperparameter.loader.formats import parse
from hyperparameter.loader.interpolate import MAX_NODES, MAX_STRING, interpolate
from hyperparameter.loader.merge import assignments, merge, override_layer

CORPUS = Path(os.environ.get("HP_CORPUS", Path(__file__).resolve().parents[3] / "shared/corpus"))
ENV = {"HOME": "/home/me", "EMPTY": "", "PORT": "8080"}


def resolve(tree: dict[str, Any], **kw: Any) -> dict[str, Any]:
    out, errors = interpolate(tree, ENV, **kw)
    assert errors == []
    return out


def messages(tree: dict[str, Any], **kw: Any) -> list[str]:
    return [str(e) for e in interpolate(tree, ENV, **kw)[1]]


RESOLVED: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("absolute, type kept", {"a": {"b": 3}, "c": "${a.b}"}, {"a": {"b": 3}, "c": 3}),
    (
        "float, bool and None kept",
        {"x": [0.5, True, None], "f": "${x.0}", "t": "${x.1}", "n": "${x.2}"},
        {"x": [0.5, True, None], "f": 0.5, "t": True, "n": None},
    ),
    (
        "embedded becomes str()",
        {"n": 3, "f": 1e-4, "b": True, "z": None, "s": "${n}-${f}-${b}-${z}"},
        {"n": 3, "f": 1e-4, "b": True, "z": None, "s": "3-0.0001-True-None"},
    ),
    (
        "sibling and parent",
        {"m": {"x": 1, "y": "${.x}", "z": "${..top}"}, "top": "t"},
        {"m": {"x": 1, "y": 1, "z": "t"}, "top": "t"},
    ),
    (
        "relative inside a list",
        {"l": [10, "${.0}", {"k": "${..1}", "j": "${...n}"}], "n": 5},
        {"l": [10, 10, {"k": 10, "j": 5}], "n": 5},
    ),
    (
        "index",
        {"items": ["a", {"b": "c"}], "x": "${items.1.b}", "y": "${items.0}"},
        {"items": ["a", {"b": "c"}], "x": "c", "y": "a"},
    ),
    (
        "digit key in a mapping",
        {"id2label": {"0": "cat"}, "x": "${id2label.0}"},
        {"id2label": {"0": "cat"}, "x": "cat"},
    ),
    (
        "a mapping is copied with its references resolved where written",
        {"m": {"x": 1, "y": "${.x}"}, "n": "${m}", "o": "${n.y}"},
        {"m": {"x": 1, "y": 1}, "n": {"x": 1, "y": 1}, "o": 1},
    ),
    ("a chain", {"a": "${b}", "b": "${c}", "c": [1, 2]}, {"a": [1, 2], "b": [1, 2], "c": [1, 2]}),
    (
        "env",
        {"h": "${env:HOME}", "o": "${oc.env:HOME}/x", "e": "${env:EMPTY}"},
        {"h": "/home/me", "o": "/home/me/x", "e": ""},
    ),
    ("env stays a string", {"p": "${env:PORT}"}, {"p": "8080"}),
    (
        "env defaults",
        {
            "a": "${env:NOPE,fallback}",
            "b": "${env:NOPE, two words }",
            "c": "${oc.env:NOPE,null}",
            "d": "${env:NOPE,}",
            "e": "${env:NOPE,${n}}",
            "f": "${env:NOPE,x${n}y}",
            "n": 4,
        },
        {"a": "fallback", "b": "two words", "c": None, "d": "", "e": 4, "f": "x4y", "n": 4},
    ),
    (
        "escapes",
        {"a": "\\${a.b}", "b": "cost: \\${x} and ${n}", "c": "\\\\${n}", "n": 1},
        {"a": "${a.b}", "b": "cost: ${x} and 1", "c": "\\1", "n": 1},
    ),
    (
        "backslash runs before ${",
        {"a": "\\\\\\${n}", "b": "\\\\\\\\${n}", "c": "x\\y\\", "d": "\\\\${n}\\${n}", "n": 1},
        {"a": "\\${n}", "b": "\\\\1", "c": "x\\y\\", "d": "\\1${n}", "n": 1},
    ),
    (
        "not interpolations",
        {"a": "$HOME", "b": "$$x", "c": "{x}", "d": "a}b$"},
        {"a": "$HOME", "b": "$$x", "c": "{x}", "d": "a}b$"},
    ),
    ("keys are never interpolated", {"${x}": 1}, {"${x}": 1}),
]


@pytest.mark.parametrize(
    ("tree", "expected"), [r[1:] for r in RESOLVED], ids=[r[0] for r in RESOLVED]
)
def test_resolves(tree: dict[str, Any], expected: dict[str, Any]) -> None:
    before = copy.deepcopy(tree)
    out = resolve(tree)
    assert out == expected
    assert [type(v) for v in out.values()] == [type(v) for v in expected.values()]
    assert tree == before  # the input is never changed


def test_references_to_containers_are_independent_copies() -> None:
    out = resolve({"m": {"l": [1]}, "a": "${m}", "b": "${m.l}"})
    out["a"]["l"].append(2)
    out["b"].append(3)
    assert out["m"] == {"l": [1]}


ERRORS: list[tuple[str, dict[str, Any], list[tuple[Loc, tuple[str, ...], str]]]] = [
    (
        "missing",
        {"a": {"x": "${b.y}"}},
        [(("a", "x"), ("a.x", "b.y"), "a.x: missing key 'b.y' in ${b.y}")],
    ),
    (
        "missing at the end of a chain: one error, at the key holding the reference",
        {"a": {"x": "${b.y}"}, "b": {"y": "${c.z}"}, "c": {}},
        [
            (
                ("b", "y"),
                ("a.x", "b.y", "c.z"),
                "b.y: missing key 'c.z' in ${c.z}: 'a.x' -> 'b.y' -> 'c.z'",
            )
        ],
    ),
    (
        "cycle: one error",
        {"a": {"x": "${b.y}"}, "b": {"y": "${a.x}"}, "c": "${a.x}"},
        [(("b", "y"), ("a.x", "b.y", "a.x"), "b.y: interpolation cycle: 'a.x' -> 'b.y' -> 'a.x'")],
    ),
    (
        "self reference",
        {"a": "x${a}"},
        [(("a",), ("a", "a"), "a: interpolation cycle: 'a' -> 'a'")],
    ),
    (
        "a mapping that contains its own reference",
        {"m": {"self": "${m}"}},
        [
            (
                ("m", "self"),
                ("m.self", "m", "m.self"),
                "m.self: interpolation cycle: 'm.self' -> 'm' -> 'm.self'",
            )
        ],
    ),
    (
        "through a list index and a scalar",
        {"l": [1], "a": "${l.5}", "b": "${l.0.x}", "c": "${l.x}"},
        [
            (("a",), ("a", "l.5"), "a: missing key 'l.5' in ${l.5}"),
            (("b",), ("b", "l.0.x"), "b: missing key 'l.0.x' in ${l.0.x}"),
            (("c",), ("c", "l.x"), "c: missing key 'l.x' in ${l.x}"),
        ],
    ),
    (
        "relative above the top",
        {"a": "${..b}"},
        [(("a",), ("a",), "a: ${..b} goes above the top level")],
    ),
    (
        "unset variable",
        {"a": "${env:NOPE}"},
        [
            (
                ("a",),
                ("a", "env:NOPE"),
                "a: environment variable 'NOPE' is not set in ${env:NOPE}",
            )
        ],
    ),
    (
        "syntax",
        {
            "a": "${a",
            "b": "${}",
            "c": "${now:%H}",
            "d": "${{ matrix.os }}",
            "e": "${a b}",
            "f": "${x.${y}}",
            "g": "${env:}",
        },
        [
            (("a",), ("a",), "a: invalid interpolation '${a': unterminated '${'"),
            (
                ("b",),
                ("b",),
                "b: invalid interpolation '${}': empty reference (write \\${ for a literal '${')",
            ),
            (
                ("c",),
                ("c",),
                "c: invalid interpolation '${now:%H}': unknown resolver 'now' "
                "(supported: env, oc.env; write \\${ for a literal '${')",
            ),
            (
                ("d",),
                ("d",),
                "d: invalid interpolation '${{ matrix.os }}': not a key path "
                "(write \\${ for a literal '${')",
            ),
            (
                ("e",),
                ("e",),
                "e: invalid interpolation '${a b}': not a key path (write \\${ for a literal '${')",
            ),
            (
                ("f",),
                ("f",),
                "f: invalid interpolation '${x.${y}': a reference inside a key "
                "path is not supported",
            ),
            (("g",), ("g",), "g: invalid interpolation '${env:}': no variable name"),
        ],
    ),
]


@pytest.mark.parametrize(("tree", "expected"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors(tree: dict[str, Any], expected: list[tuple[Loc, tuple[str, ...], str]]) -> None:
    out, errors = interpolate(tree, ENV)
    assert [(e.loc, e.chain, str(e)) for e in errors] == expected
    assert all(isinstance(e, InterpolationError) and e.source is None for e in errors)
    assert out == tree  # failing values, and values that depend on them, keep their text


def test_errors_name_where_each_value_is_written() -> None:
    tree = {"a": {"x": "${b.y}"}, "b": {"y": "${a.x}"}, "c": {"z": "${nope}"}}
    where = {("a", "x"): "train.yaml:3:5", ("b", "y"): "base.yaml:7:3", ("c", "z"): "c.toml:2:1"}
    assert messages(tree, locate=where.get) == [
        "base.yaml:7:3: b.y: interpolation cycle: 'a.x' (train.yaml:3:5) -> 'b.y' -> 'a.x'",
        "c.toml:2:1: c.z: missing key 'nope' in ${nope}",
    ]
    provenance = {(): "base.yaml", ("a",): "train.yaml", ("a", "x"): "train.yaml"}
    assert messages(tree, provenance=provenance) == [
        "base.yaml: b.y: interpolation cycle: 'a.x' (train.yaml) -> 'b.y' -> 'a.x'",
        "base.yaml: c.z: missing key 'nope' in ${nope}",
    ]


def test_chains_give_every_other_value_its_position() -> None:
    # the value the error is about carries its position in the prefix, once
    tree = {
        "a": "${b}",
        "b": "${c.x}",
        "c": {"x": "${nope}"},
        "p": "${q}",
        "q": "${r}",
        "r": "${p}",
    }
    where = {("a",): "f:1:4", ("b",): "f:2:4", ("c", "x"): "g:2:6", ("p",): "f:5:4"}
    where |= {("q",): "f:6:4", ("r",): "f:7:4"}
    assert messages(tree, locate=where.get) == [
        "g:2:6: c.x: missing key 'nope' in ${nope}: 'a' (f:1:4) -> 'b' (f:2:4) -> 'c.x' -> 'nope'",
        "f:7:4: r: interpolation cycle: 'p' (f:5:4) -> 'q' (f:6:4) -> 'r' -> 'p'",
    ]
    for e in interpolate(tree, ENV, locate=where.get)[1]:
        assert f"({e.source})" not in e.message


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("${foo:{k: [v]}}/x", "'${foo:{k: [v]}}': unknown resolver 'foo'"),
        ("${foo:{a: {b: c}}}", "'${foo:{a: {b: c}}}': unknown resolver 'foo'"),
        ("${now:{a}", "'${now:{a}': unknown resolver 'now'"),  # never closed: to the first }
        ("x ${oc.select:a.b,{c: d}} y", "'${oc.select:a.b,{c: d}}': unknown resolver 'oc.select'"),
        ("${{ matrix.os }}-${{ x }}", "'${{ matrix.os }}': not a key path"),
        ("${a{b}}/c", "'${a{b}}': not a key path"),
    ],
)
def test_bad_references_are_named_whole_with_the_escape(text: str, shown: str) -> None:
    (message,) = messages({"k": text})
    assert message.startswith(f"k: invalid interpolation {shown} ")
    assert message.endswith(r"write \${ for a literal '${')")


def test_all_errors_are_collected_in_document_order() -> None:
    tree = {"z": "${env:NOPE}", "a": "${", "m": {"k": "${missing}"}, "ok": "${m}"}
    out, errors = interpolate(tree, ENV)
    assert [e.loc for e in errors] == [("z",), ("a",), ("m", "k")]
    assert out["ok"] == "${m}"  # depends on a failed value: keeps its text, no second report


# --------------------------------------------------------------------------- raw values


def test_raw_overrides_resolve_and_stay_raw_when_embedded() -> None:
    layers = assignments(
        override_layer(["run=${model.act}", "name=run_${model.n}", "n=${model.n}"])
    )
    tree, provenance = merge([("base.yaml", {"model": {"act": "relu", "n": 3}}), *layers])
    out, errors = interpolate(tree, ENV, provenance=provenance)
    assert errors == []
    assert out["run"] == "relu"  # exactly one reference: the referenced value, as it is
    assert out["n"] == 3
    assert type(out["name"]) is Raw
    assert (out["name"].text, out["name"].source) == ("run_3", "-D name=run_${model.n}")


def test_references_to_raw_values_keep_them_raw() -> None:
    out = resolve({"lr": Raw("3e-4", "-D lr=3e-4"), "a": "${lr}", "b": "x${lr}"})
    assert out["a"] is out["lr"]
    assert out["b"] == "x3e-4"


def test_raw_errors_point_at_the_override() -> None:
    layers = assignments(override_layer(["run=${model.nope}"]))
    tree, provenance = merge([("base.yaml", {"model": {}}), *layers])
    assert messages(tree, provenance=provenance) == [
        "-D run=${model.nope}: run: missing key 'model.nope' in ${model.nope}"
    ]


# ------------------------------------------------------------------------------- limits


def test_a_chain_of_10000_resolves_without_recursion() -> None:
    n = 10_000
    tree: dict[str, Any] = {f"a{i}": f"${{a{i + 1}}}" for i in range(n)}
    tree[f"a{n}"] = {"v": 42}
    out = resolve(tree)
    assert out["a0"] == {"v": 42}
    assert out[f"a{n - 1}"] == {"v": 42}


def test_a_cycle_of_10000_is_one_error() -> None:
    n = 10_000
    out, errors = interpolate({f"c{i}": f"${{c{(i + 1) % n}}}" for i in range(n)}, ENV)
    assert len(errors) == 1
    assert errors[0].loc == (f"c{n - 1}",)
    assert errors[0].chain == (*(f"c{i}" for i in range(n)), "c0")
    assert out["c5"] == "${c6}"


def test_exponential_text_is_bounded() -> None:
    tree: dict[str, Any] = {f"l{i}": f"${{l{i + 1}}}${{l{i + 1}}}" for i in range(40)}
    tree["l40"] = "ab"
    out, errors = interpolate(tree, ENV)
    assert len(errors) == 1
    (error,) = errors
    assert error.loc == ("l21",)  # 2 ** 20 characters
    assert error.message.startswith(
        f"the result is longer than {MAX_STRING:,} characters: 'l0' -> 'l1' -> "
    )
    assert out["l22"] == "ab" * 2**18
    assert out["l0"] == "${l1}${l1}"


def test_exponential_copies_are_bounded() -> None:
    tree: dict[str, Any] = {f"l{i}": [f"${{l{i + 1}}}", f"${{l{i + 1}}}"] for i in range(40)}
    tree["l40"] = [1]
    out, errors = interpolate(tree, ENV)
    assert len(errors) == 1
    assert errors[0].message.startswith(f"references copy more than {MAX_NODES:,} values: ")
    assert out["l0"] == ["${l1}", "${l1}"]


def test_deep_trees_resolve() -> None:
    tree: dict[str, Any] = {"leaf": "${top}", "v": "${.leaf}", "w": "${..up}"}
    for _ in range(3000):
        tree = {"n": tree, "up": 2}
    tree["top"] = 1
    node = resolve(tree)
    for _ in range(3000):
        node = node["n"]
    assert node == {"leaf": 1, "v": 1, "w": 2}


# ------------------------------------------------------------------------------- corpus


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
def test_hydra_interpolation_file() -> None:
    name = "yaml/hydra-using-config-interpolation.yaml"
    tree = parse((CORPUS / name).read_bytes(), "yaml", name)
    out = resolve(tree)
    assert out["node"] == {"loompa": 10, "zippity": 10, "do": "oompa 10", "waldo": "???"}


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
def test_hydra_defaults_list_names_the_missing_keys() -> None:
    name = "yaml/hydra-defaults-list-interpolation.yaml"
    tree = parse((CORPUS / name).read_bytes(), "yaml", name)
    assert messages(tree, provenance={(): name}) == [
        f"{name}: 'defaults.2.optional server_db': missing key 'server' in ${{server}}"
    ]
