"""Hostile ``${…}`` interpolation through ``hp.loads`` / ``hp.load``: self references, long
cycles, very long chains, exponential expansion and environment variables. Each ends in a
``ConfigValidationError`` whose findings have type ``interpolation``, a ``loc`` and the file
position, or loads correctly; nothing recurses, and results are bounded
(``_interpolate.MAX_STRING`` characters, ``MAX_NODES`` copied values).
"""

from __future__ import annotations

import json
import sys
import tracemalloc
from typing import Any

import pytest

import hyperparameter as hp
from hyperparameter.loader import interpolate as _interpolate
from hyperparameter.loader.interpolate import MAX_NESTING, MAX_NODES, MAX_STRING

pytestmark = pytest.mark.timeout(60)


def findings(text: str, fmt: str = "yaml", **kw: Any) -> list[tuple[str, str, str]]:
    """``(dotted loc, source, message)`` of every finding of loading ``text``."""
    with pytest.raises(hp.ConfigValidationError) as info:
        hp.loads(text, fmt, source="f", **kw)  # type: ignore[call-overload]
    out = []
    for e in info.value.errors():
        assert e["type"] == "interpolation"
        out.append((".".join(map(str, e["loc"])), e["source"], e["msg"]))
    return out


# ------------------------------------------------------------------------------ cycles


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: ${a}\n", ("a", "f:1:4", "interpolation cycle: 'a' -> 'a'")),
        ("a: x-${a}\n", ("a", "f:1:4", "interpolation cycle: 'a' -> 'a'")),
        ("m:\n  a: ${.a}\n", ("m.a", "f:2:6", "interpolation cycle: 'm.a' -> 'm.a'")),
        ("m:\n  a: ${m}\n", ("m.a", "f:2:6", "interpolation cycle: 'm.a' -> 'm' -> 'm.a'")),
        ("m:\n  a: ${..m}\n", ("m.a", "f:2:6", "interpolation cycle: 'm.a' -> 'm' -> 'm.a'")),
        ("a: ${b}\nb: ${a}\n", ("b", "f:2:4", "interpolation cycle: 'a' (f:1:4) -> 'b' -> 'a'")),
        ("l: [1, '${l}']\n", ("l.1", "f:1:8", "interpolation cycle: 'l.1' -> 'l' -> 'l.1'")),
    ],
)
def test_self_references_are_cycles(text: str, expected: tuple[str, str, str]) -> None:
    assert findings(text) == [expected]


@pytest.mark.parametrize("n", [1000])
def test_a_long_cycle_is_one_finding_naming_the_whole_chain(n: int) -> None:
    text = "".join(f"c{i}: ${{c{(i + 1) % n}}}\n" for i in range(n))
    ((loc, source, message),) = findings(text)
    assert (loc, source) == (f"c{n - 1}", f"f:{n}:{len(f'c{n - 1}: ') + 1}")
    # every key of the cycle with its position; the last one's is the finding's own
    links = [f"'c{i}' (f:{i + 1}:{len(f'c{i}: ') + 1})" for i in range(n - 1)]
    chain = " -> ".join([*links, f"'c{n - 1}'", "'c0'"])
    assert message == f"interpolation cycle: {chain}"


def test_a_cycle_does_not_hide_the_other_errors() -> None:
    text = "a: ${b}\nb: ${a}\nc: ${nope}\nd: ${env:HP_ROBUST_UNSET}\ne: ok\n"
    assert [f[0] for f in findings(text)] == ["b", "c", "d"]


# ------------------------------------------------------------------------------ chains


@pytest.mark.parametrize("n", [10_000])
def test_a_long_chain_resolves_without_recursion(n: int) -> None:
    text = "".join(f"c{i}: ${{c{i + 1}}}\n" for i in range(n)) + f"c{n}: {{v: [1, 2]}}\n"
    cfg = hp.loads(text, "yaml")
    assert cfg["c0"] == cfg[f"c{n - 1}"] == {"v": [1, 2]}
    cfg["c0"]["v"].append(3)  # every reference is its own copy
    assert cfg["c1"]["v"] == [1, 2]


def test_a_long_chain_of_embedded_references_builds_its_text() -> None:
    n = 10_000
    text = "".join(f"c{i}: x${{c{i + 1}}}\n" for i in range(n)) + f"c{n}: end\n"
    cfg = hp.loads(text, "yaml")
    assert cfg["c0"] == "x" * n + "end"


def test_a_chain_through_relative_references_and_list_items() -> None:
    depth = 900  # JSON's parser reads ~990 levels
    tree: dict[str, Any] = {"v": "${..v}"}
    for _ in range(depth - 2):
        tree = {"v": "${..v}", "n": tree}
    cfg = hp.loads(json.dumps({"v": 7, "n": tree}), "json")
    node = cfg["n"]
    while "n" in node:
        assert node["v"] == 7
        node = node["n"]
    assert node == {"v": 7}
    cfg = hp.loads("l: [1, [2, [3, '${l.1.1.0}']]]\nx: ${l.1.1.1}\n", "yaml")
    assert cfg["x"] == 3


# -------------------------------------------------------------------------- expansion


def test_exponential_text_is_refused_in_bounded_memory() -> None:
    text = "".join(f"l{i}: ${{l{i + 1}}}${{l{i + 1}}}\n" for i in range(64)) + "l64: ab\n"
    tracemalloc.start()
    try:
        errors = findings(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(errors) == 1
    assert errors[0][2].startswith(f"the result is longer than {MAX_STRING:,} characters")
    assert peak < 60_000_000


def test_exponential_copies_are_refused() -> None:
    text = "".join(f"l{i}: ['${{l{i + 1}}}', '${{l{i + 1}}}']\n" for i in range(64)) + "l64: [1]\n"
    errors = findings(text)
    assert len(errors) == 1
    assert errors[0][2].startswith(f"references copy more than {MAX_NODES:,} values")


def test_exponential_mapping_copies_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_interpolate, "MAX_NODES", 50_000)  # the same rule, a smaller bound
    text = "".join(f"l{i}: {{a: '${{l{i + 1}}}', b: '${{l{i + 1}}}'}}\n" for i in range(64))
    errors = findings(text + "l64: {x: 1}\n")
    assert errors
    assert all("references copy more than 50,000 values" in e[2] for e in errors)


def test_expansion_through_yaml_aliases_and_references_together_is_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_interpolate, "MAX_NODES", 50_000)  # the same rule, a smaller bound
    lines = ["a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8]"]
    for i in range(1, 8):
        lines.append(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]")
    lines += [f"r{i}: ${{a7}}" for i in range(200)]
    errors = findings("\n".join(lines) + "\n")
    assert errors
    assert errors[0][2].startswith("references copy more than 50,000 values")


def test_many_references_in_one_string() -> None:
    text = "b: xy\na: '" + "${b}" * 50_000 + "'\n"
    assert hp.loads(text, "yaml")["a"] == "xy" * 50_000
    errors = findings("b: '" + "x" * 100 + "'\na: '" + "${b}" * 12_000 + "'\n")
    assert errors[0][2].startswith(f"the result is longer than {MAX_STRING:,} characters")


def test_many_references_to_distinct_containers_stay_linear() -> None:
    n = 5000
    text = "items:\n" + "".join(f"  - {{v: {i}, me: '${{items.{i}.v}}'}}\n" for i in range(n))
    text += "".join(f"r{i}: ${{items.{i}}}\n" for i in range(n))
    cfg = hp.loads(text, "yaml")
    assert cfg[f"r{n - 1}"] == {"v": n - 1, "me": n - 1}


# ------------------------------------------------------------------------- environment


def test_unset_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HP_ROBUST_UNSET", raising=False)
    monkeypatch.setenv("HP_ROBUST_SET", "here")
    assert findings("a: ${env:HP_ROBUST_UNSET}\n") == [
        (
            "a",
            "f:1:4",
            "environment variable 'HP_ROBUST_UNSET' is not set in ${env:HP_ROBUST_UNSET}",
        )
    ]
    cfg = hp.loads(
        "b: 3\n"
        "a: ${env:HP_ROBUST_UNSET,fallback}\n"
        "e: ${env:HP_ROBUST_UNSET,}\n"
        "n: ${env:HP_ROBUST_UNSET,null}\n"
        "r: ${env:HP_ROBUST_UNSET,${b}}\n"
        "o: ${oc.env:HP_ROBUST_UNSET,${env:HP_ROBUST_SET}}\n"
        "s: ${env:HP_ROBUST_SET,unused}\n"
        "t: pre-${env:HP_ROBUST_UNSET,mid}-post\n",
        "yaml",
    )
    assert cfg == {"b": 3, "a": "fallback", "e": "", "n": None, "r": 3, "o": "here",
                   "s": "here", "t": "pre-mid-post"}  # fmt: skip


def test_an_env_default_that_references_a_missing_key_names_the_key() -> None:
    ((loc, _, message),) = findings("a: ${env:HP_ROBUST_UNSET,${nope.x}}\n")
    assert loc == "a"
    assert "missing key 'nope.x'" in message


def test_nested_env_defaults_are_bounded_not_a_recursion_error() -> None:
    ok = "a: " + "${env:HP_ROBUST_UNSET," * MAX_NESTING + "x" + "}" * MAX_NESTING + "\n"
    assert hp.loads(ok, "yaml") == {"a": "x"}
    deep = "a: " + "${env:HP_ROBUST_UNSET," * 10_000 + "x" + "}" * 10_000 + "\n"
    ((loc, _, message),) = findings(deep)
    assert loc == "a"
    assert f"defaults nested more than {MAX_NESTING} levels" in message
    assert len(message) < 1000  # the 200,000-character text is not repeated whole


def test_environment_values_are_text_even_when_they_look_like_references(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HP_ROBUST_REF", "${a}")
    assert hp.loads("a: 1\nb: ${env:HP_ROBUST_REF}\n", "yaml")["b"] == "${a}"


# ------------------------------------------------------------------------ broken syntax


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("${a", "unterminated '${'"),
        ("${}", "empty reference"),
        ("${${a}}", "a reference inside a key path is not supported"),
        ("${a b}", "not a key path"),
        ("${now:%Y}", "unknown resolver 'now'"),
        ("${{ matrix.os }}", "not a key path"),
        ("${env:}", "no variable name"),
        ("${env:X,${a}", "unterminated '${'"),
    ],
)
def test_broken_references_are_findings(value: str, reason: str) -> None:
    ((loc, source, message),) = findings(f"a: 1\nb: '{value}'\n")
    assert (loc, source) == ("b", "f:2:4")
    assert reason in message


def test_references_with_huge_or_odd_indices() -> None:
    limit = sys.get_int_max_str_digits()
    text = f"l: [1, 2]\na: ${{l.{'9' * (limit + 5)}}}\nb: ${{l.01}}\nc: ${{l.-1}}\n"
    result = findings(text)
    assert [f[0] for f in result] == ["a", "c"]  # `01` is index 1
    assert all("missing key" in f[2] for f in result)


def test_a_reference_chain_in_overrides_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_B", "${c}")
    cfg = hp.load({"a": 1}, overrides=["c=${d}", "d=${a}"], env_prefix="APP")
    assert cfg == {"a": 1, "b": 1, "c": 1, "d": 1}
    with pytest.raises(hp.ConfigValidationError) as info:
        hp.load({"a": 1}, overrides=["c=${c}"])
    assert info.value.errors()[0]["source"] == "-D c=${c}"
