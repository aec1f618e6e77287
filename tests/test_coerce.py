"""The coercion table (DESIGN §5), as data."""

from __future__ import annotations

import math
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Optional, Union

import pytest

from hyperparameter.coerce import Raw, coerce, parse_scalar, untyped
from hyperparameter.errors import ConversionError


class Color(Enum):
    RED = "red"
    BLUE = "blue"


ACCEPTED: list[tuple[Any, Any, Any]] = [
    (True, bool, True),
    (1, bool, True),
    (0, bool, False),
    *[(s, bool, True) for s in ["true", "TRUE", "yes", "On", "1", "t", "Y"]],
    *[(s, bool, False) for s in ["false", "No", "OFF", "0", "f", "n"]],
    (3, int, 3),
    (3.0, int, 3),
    ("42", int, 42),
    ("1_000", int, 1000),
    ("1e3", int, 1000),
    ("2.0", int, 2),
    ("-7", int, -7),
    (10**40, int, 10**40),
    (str(10**40), int, 10**40),
    (1, float, 1.0),
    (2.5, float, 2.5),
    ("3e-4", float, 3e-4),
    ("inf", float, math.inf),
    ("1_000.5", float, 1000.5),
    ("abc", str, "abc"),
    ([1, 2], list, [1, 2]),
    ((1, 2), list, [1, 2]),
    ("[1, 2]", list, [1, 2]),
    ([1, 2], tuple, (1, 2)),
    ([1, 1], set, {1}),
    ("[1, 2]", list[int], [1, 2]),
    (["1", "2"], list[int], [1, 2]),
    ({"a": "1"}, dict[str, int], {"a": 1}),
    ("{a: 1}", dict, {"a": 1}),
    ("3", Optional[int], 3),
    (None, Optional[int], None),
    (3, Union[int, str], 3),
    ("x", Union[int, str], "x"),
    ("gelu", Literal["relu", "gelu"], "gelu"),
    ("2", Literal[1, 2], 2),
    ("red", Color, Color.RED),
    ("BLUE", Color, Color.BLUE),
    ("runs/a", Path, Path("runs/a")),
    (5, Any, 5),
]

REJECTED: list[tuple[Any, Any, str]] = [
    (2, bool, "only the ints 0 and 1 are booleans"),
    ("maybe", bool, "expected one of true/false"),
    (1.0, bool, "float is not a boolean"),
    ("3.7", int, "not an integral number"),
    ("abc", int, "not a number"),
    (True, int, "a bool is not an int"),
    (3.5, int, "the float has a fractional part"),
    ("abc", float, "not a number"),
    (False, float, "a bool is not a float"),
    (1, str, "int is not a string"),
    (True, str, "bool is not a string"),
    ([1], str, "list is not a string"),
    (5, list, "int is not a sequence"),
    ("a, b", list, "a string is not a sequence"),
    ("relu6", Literal["relu", "gelu"], "expected one of 'relu', 'gelu'"),
    ("green", Color, "expected one of 'red', 'blue'"),
]


@pytest.mark.parametrize(("value", "target", "expected"), ACCEPTED)
def test_accepted(value: Any, target: Any, expected: Any) -> None:
    got = coerce(value, target, "k")
    assert got == expected
    assert type(got) is type(expected)
    if isinstance(value, str):  # raw override strings follow the same table
        assert coerce(Raw(value), target, "k") == expected


@pytest.mark.parametrize(("value", "target", "reason"), REJECTED)
def test_rejected(value: Any, target: Any, reason: str) -> None:
    with pytest.raises(ConversionError) as e:
        coerce(value, target, "model.k", source="base.yaml:3:5")
    err = e.value
    assert (err.key, err.value, err.target, err.source) == (
        "model.k",
        value,
        target,
        "base.yaml:3:5",
    )
    assert reason in str(err)
    assert str(err).startswith(f"base.yaml:3:5: model.k: cannot convert {value!r} to ")


def test_union_keeps_an_exact_type_and_types_raw_text_in_order() -> None:
    assert coerce("3", Union[int, str]) == "3"
    assert coerce(Raw("3"), Union[int, str]) == 3
    assert coerce(Raw("x"), Union[int, str]) == "x"
    assert coerce(Raw("null"), Optional[int]) is None


def test_nan_and_none() -> None:
    assert math.isnan(coerce("nan", float))
    assert coerce(None, int) is None


def test_raw_str_stays_as_written() -> None:
    assert coerce(Raw("123"), str) == "123"
    assert coerce(Raw("[a, b]"), list) == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.1", 0.1),
        ("1e3", 1000.0),
        ("true", True),
        ("False", False),
        ("42", 42),
        ("0x1f", 31),
        ("0o17", 15),
        ("abc", "abc"),
        ("null", None),
        ("~", None),
        ("", None),
        ("[1, 2]", [1, 2]),
        ("{a: 1}", {"a": 1}),
        ("'quoted'", "quoted"),
        ("yes", "yes"),  # YAML 1.2: not a bool
        (".inf", math.inf),
        ("[unclosed", "[unclosed"),
    ],
)
def test_parse_scalar_is_yaml_1_2(text: str, expected: Any) -> None:
    got = parse_scalar(text)
    assert got == expected
    assert type(got) is type(expected)


def test_untyped() -> None:
    assert untyped(Raw("0.5")) == 0.5
    obj = object()
    assert untyped(obj) is obj
