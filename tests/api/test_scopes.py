"""Frames: nesting, rollback, writes, values, snapshot, empty/clear (DESIGN §4)."""

from __future__ import annotations

import pytest

import hyperparameter as hp
from hyperparameter import storage
from hyperparameter.api import param_scope
from hyperparameter.errors import MissingParameterError, ScopeError


def test_nested_scopes_override_and_roll_back() -> None:
    with param_scope(**{"a.b": 1, "c": 2}):
        assert param_scope.a.b() == 1
        with param_scope(**{"a.b": 10}):
            assert param_scope.a.b() == 10
            assert param_scope.c() == 2
        assert param_scope.a.b() == 1
    assert param_scope.a.b | None is None


def test_rollback_on_exception() -> None:
    with param_scope(x=1):
        with pytest.raises(ZeroDivisionError), param_scope(x=2):
            param_scope.y = 5
            _ = 1 / 0
        assert param_scope.x() == 1
        assert not param_scope.y


def test_write_goes_to_innermost_frame() -> None:
    with param_scope(x=1) as outer:
        with param_scope() as ps:
            ps.x = 2
            ps.model.lr = 0.5
            param_scope.model.act = "gelu"
            assert param_scope.x() == 2
            assert param_scope.model.lr() == 0.5
        assert outer.x() == 1
        assert outer.model.lr | 0.0 == 0.0
        assert not outer.model.act


def test_write_outside_any_scope_lands_in_the_root_frame() -> None:
    param_scope.root.value = 3
    assert param_scope.root.value() == 3
    with param_scope(**{"root.value": 4}):
        assert param_scope.root.value() == 4
    assert param_scope.root.value() == 3
    assert storage.depth() == 1


def test_enter_builds_a_frame_of_the_keys_it_sets() -> None:
    big = {f"k{i}": i for i in range(10_000)}
    with param_scope(**big), param_scope(**{"model.layers.size": 3}):
        frame = storage.CURRENT_FRAME.get()
        assert len(frame) == 1  # O(keys set), nothing copied from the outer frame
        assert frame.depth == 2
        assert param_scope.k9999() == 9999


def test_write_copies_only_the_innermost_frame() -> None:
    with param_scope(**{f"k{i}": i for i in range(100)}), param_scope(a=1):
        param_scope.b = 2
        assert len(storage.CURRENT_FRAME.get()) == 2


def test_values_keep_identity_none_and_big_ints() -> None:
    obj = object()
    lst = [1, 2]
    big = 2**200
    with param_scope(obj=obj, lst=lst, none=None, big=big, neg=-(2**100)):
        assert param_scope.obj() is obj
        assert param_scope.lst() is lst
        assert param_scope.none() is None
        assert param_scope.none | 5 is None
        assert param_scope.none(5) is None
        assert param_scope.big() == big
        assert param_scope.big | 0 == big
        assert param_scope.neg() == -(2**100)


def test_nested_dicts_flatten_and_lists_are_stored_whole_and_by_index() -> None:
    with param_scope(model={"layers": {"size": 3}, "acts": ["relu", {"name": "gelu"}]}) as ps:
        assert ps.model.layers.size() == 3
        assert ps.model.acts() == ["relu", {"name": "gelu"}]
        assert ps.model.acts[0]() == "relu"
        assert ps["model.acts.1.name"]() == "gelu"
        assert ps.keys() == [
            "model.acts",
            "model.acts.0",
            "model.acts.1",
            "model.acts.1.name",
            "model.layers.size",
        ]


def test_assignment_strings_are_raw() -> None:
    with param_scope("a.lr=0.2", "a.name=123", "a.flag=true", "a.tags=[1, 2]") as ps:
        assert ps.a.lr() == 0.2
        assert ps.a.name | "x" == "123"
        assert ps.a.name | 0 == 123
        assert ps.a.flag() is True
        assert ps.a.tags() == [1, 2]
        assert ps.to_dict() == {"a.flag": True, "a.lr": 0.2, "a.name": 123, "a.tags": [1, 2]}


def test_assignment_without_equals_is_an_override_error() -> None:
    with pytest.raises(hp.OverrideError) as e:
        param_scope("model.lr")
    assert isinstance(e.value, ValueError)
    assert str(e.value) == "param_scope('model.lr'): expected 'key=value', got 'model.lr'"


def test_positional_must_be_assignment_or_group() -> None:
    with pytest.raises(TypeError, match="not int"):
        param_scope(3)


def test_mapping_positional() -> None:
    with param_scope({"model": {"lr": 0.1}}) as ps:
        assert ps.model.lr() == 0.1


def test_keys_to_dict_clear() -> None:
    with param_scope(a=1, b={"c": 2}) as ps:
        assert ps.keys() == ["a", "b.c"]
        assert ps.to_dict() == {"a": 1, "b.c": 2}
        with param_scope(d=4) as inner:
            inner.clear()
            assert inner.keys() == []
            assert not param_scope.a
            param_scope.e = 5
            assert inner.to_dict() == {"e": 5}
        assert ps.to_dict() == {"a": 1, "b.c": 2}


def test_empty_hides_inherited_keys_and_the_snapshot() -> None:
    with param_scope(a=1):
        param_scope.frozen()
        with param_scope(b=2):
            with param_scope.empty(c=3) as ps:
                assert ps.keys() == ["c"]
                assert param_scope.a | 0 == 0
                assert param_scope.b | 0 == 0
            assert param_scope.b() == 2
    assert param_scope.a() == 1  # from the snapshot
    with param_scope.empty("x=1") as ps:
        assert ps.keys() == ["x"]


def test_frozen_snapshot_is_the_last_resort() -> None:
    with param_scope(a=1, b=1):
        param_scope.frozen()
    with param_scope(b=2):
        assert param_scope.a() == 1
        assert param_scope.b() == 2
        param_scope.frozen()
    assert param_scope.b() == 2
    assert param_scope.a() == 1


def test_unbalanced_exit_is_a_scope_error() -> None:
    outer = param_scope(a=1)
    inner = param_scope(a=2)
    outer.__enter__()
    inner.__enter__()
    with pytest.raises(ScopeError, match="unbalanced scope exit"):
        outer.__exit__(None, None, None)
    inner.__exit__(None, None, None)
    outer.__exit__(None, None, None)
    with pytest.raises(ScopeError, match="without being entered"):
        outer.__exit__(None, None, None)


def test_a_scope_object_can_be_reentered() -> None:
    ps = param_scope(a=1)
    with ps:
        with ps:
            assert storage.depth() == 2
        assert param_scope.a() == 1
    assert storage.depth() == 0


def test_missing_parameter_error_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        param_scope.nope()
    with pytest.raises(MissingParameterError) as e:
        param_scope.model.nope()
    assert e.value.key == "model.nope"
    assert "missing parameter 'model.nope'" in str(e.value)


def test_generator_limit_is_real() -> None:
    """Documented limit: a generator suspended inside a `with` keeps its scope active."""

    def gen() -> object:
        with param_scope(g=1):
            yield

    it = gen()
    next(it)  # type: ignore[call-overload]
    assert param_scope.g | 0 == 1  # the generator's scope leaks to the caller while suspended
    with pytest.raises(StopIteration):
        next(it)  # type: ignore[call-overload]
    assert param_scope.g | 0 == 0


def test_aliases() -> None:
    assert hp.scope is hp.param_scope
    assert hp.param is hp.auto_param
