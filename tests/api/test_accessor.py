"""The dynamic accessor (DESIGN §4 "Accessor")."""

from __future__ import annotations

from typing import Any

import pytest

from hyperparameter import param_scope
from hyperparameter.errors import ConversionError, MissingParameterError


def test_terminal_forms() -> None:
    with param_scope(**{"model.lr": 0.1}) as ps:
        assert ps.model.lr | 0.0 == 0.1
        assert ps.model.lr(0.0) == 0.1
        assert ps.model.lr() == 0.1
        assert ps.model.dropout | 0.3 == 0.3
        assert ps.model.dropout(0.3) == 0.3
        with pytest.raises(MissingParameterError):
            ps.model.dropout()
        assert param_scope.model.lr | 0.0 == 0.1


def test_item_access_is_the_same_accessor() -> None:
    with param_scope(**{"a.b": 1}) as ps:
        assert ps["a.b"] is ps.a.b
        assert param_scope["a.b"] is param_scope.a.b
        assert ps.a["b"] is ps.a.b
        assert ps["a.b"] | 0 == 1


def test_method_named_keys_are_readable_by_item_access() -> None:
    with param_scope(keys=1, get=2, update=3, clear=4, frozen=5, empty=6, to_dict=7) as ps:
        for i, name in enumerate(["keys", "get", "update", "clear", "frozen", "empty", "to_dict"]):
            assert ps[name]() == i + 1
            assert param_scope[name]() == i + 1
        assert callable(ps.keys)


def test_attribute_writes() -> None:
    with param_scope() as ps:
        ps.a.b = 1
        param_scope.a.c = 2
        ps["a.d"] = 3
        ps.a["e"] = 4
        param_scope.f = {"g": 5}
        assert ps.to_dict() == {"a.b": 1, "a.c": 2, "a.d": 3, "a.e": 4, "f.g": 5}


@pytest.mark.parametrize(
    ("stored", "default", "expected"),
    [
        ("1e3", 0, 1000),
        ("off", True, False),
        ("yes", False, True),
        (1, True, True),
        ("2.5", 0.0, 2.5),
        (3, 0.0, 3.0),
        ("x", "", "x"),
        ([1, 2], (), (1, 2)),
        ("[1, 2]", [], [1, 2]),
    ],
)
def test_default_types_the_value(stored: Any, default: Any, expected: Any) -> None:
    with param_scope(v=stored) as ps:
        got = ps.v | default
        assert got == expected
        assert type(got) is type(expected)
        assert ps.v(default) == expected


@pytest.mark.parametrize(
    ("stored", "default", "reason"),
    [
        ("abc", 0, "not a number"),
        ("3.7", 0, "not an integral number"),
        ("maybe", True, "expected one of true/false"),
        (True, 0, "a bool is not an int"),
        (5, "", "int is not a string"),
        ("abc", 0.0, "not a number"),
    ],
)
def test_values_that_cannot_convert_raise(stored: Any, default: Any, reason: str) -> None:
    with param_scope(**{"model.v": stored}) as ps:
        with pytest.raises(ConversionError) as e:
            ps.model.v | default
        assert e.value.key == "model.v"
        assert e.value.value == stored
        assert e.value.target is type(default)
        assert reason in str(e.value)
        assert str(e.value).startswith("model.v: cannot convert")


def test_raw_value_conversion_error_names_its_source() -> None:
    with param_scope("model.v=abc"):
        with pytest.raises(ConversionError) as e:
            param_scope.model.v | 0
        assert e.value.source == "param_scope('model.v=abc')"
        assert str(e.value) == (
            "param_scope('model.v=abc'): model.v: cannot convert 'abc' to int: not a number"
        )


def test_none_default_returns_the_value_as_stored() -> None:
    obj = object()
    with param_scope(o=obj) as ps:
        assert ps.o | None is obj
        assert ps.missing | None is None


def test_bool_of_accessor() -> None:
    with param_scope(t=1, f=0, e="", n=None, s="x") as ps:
        assert ps.t
        assert not ps.f
        assert not ps.e
        assert not ps.n
        assert ps.s
        assert not ps.missing


def test_repr() -> None:
    with param_scope(**{"a.b": 1}):
        assert repr(param_scope.a.b) == "<param a.b=1>"
        assert repr(param_scope.a.c) == "<param a.c=<missing>>"


def test_dunder_attributes_are_not_keys() -> None:
    with pytest.raises(AttributeError):
        param_scope.__wrapped__  # noqa: B018
    with pytest.raises(AttributeError):
        param_scope.a.__array_interface__  # noqa: B018


def test_accessor_reads_are_live() -> None:
    acc = param_scope.live.value
    assert acc | 0 == 0
    with param_scope(**{"live.value": 1}):
        assert acc | 0 == 1
        with param_scope(**{"live.value": 2}):
            assert acc | 0 == 2
    assert acc | 0 == 0
