"""Handles: scope objects not entered (0.6 reads), ``ps.storage()``, and the rule that live
handles are not copied or pickled (docs/decisions.md, "Handles")."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

import hyperparameter as hp
from hyperparameter import param_scope, storage


@dataclass
class Inner:
    lr: float = 0.1


@dataclass
class Cfg:
    model: Inner = field(default_factory=Inner)


def test_a_scope_object_not_entered_reads_its_own_values() -> None:
    ps = hp.scope(a=1, b=2)
    assert (ps.a | 0, ps.b | 0, ps["a"] | 0) == (1, 2, 1)
    assert hp.scope("a.b.c=1").a.b.c | 0 == 1
    assert hp.scope(**{"a": {"b": {"c": 1}}}).a.b.c | 0 == 1
    assert hp.scope(**{"a": {"b": {"c": 1}}})["a.b.c"]() == 1
    assert storage.depth() == 0  # reading entered nothing


def test_own_values_come_over_the_context_and_the_rest_falls_through() -> None:
    ps = hp.scope(a=1)
    with param_scope(a=5, z=9):
        assert (ps.a | 0, ps.z | 0, ps.missing | -1) == (1, 9, -1)
        assert ps.to_dict() == {"a": 1, "z": 9}
        assert ps.keys() == ["a", "z"]
        assert param_scope.a | 0 == 5  # the global accessor reads the context


def test_once_entered_a_handle_reads_the_context_writes_included() -> None:
    ps = hp.scope(a=1)
    acc = ps.a  # taken before entering
    with ps:
        ps.a = 2
        assert (ps.a | 0, acc | 0, ps["a"] | 0) == (2, 2, 2)
    assert acc | 0 == 1  # left again: its own value


def test_storage_gives_the_flat_effective_values() -> None:
    ps = hp.scope(a=1, **{"b.c": 2})
    assert ps.storage().storage() == {"a": 1, "b.c": 2}
    assert ps.storage().get("b.c") == 2
    with pytest.raises(hp.MissingParameterError):
        ps.storage().get("nope")
    with ps:
        ps.d = 4
        assert ps.storage().storage() == {"a": 1, "b.c": 2, "d": 4}
        assert ps.storage().keys() == ["a", "b.c", "d"]


HANDLES: dict[str, Callable[[], Any]] = {
    "scope object": lambda: param_scope(a=1),
    "param_scope": lambda: param_scope,
    "accessor": lambda: param_scope.a.b,
    "handle accessor": lambda: param_scope(a=1).a,
}
OPS: dict[str, Callable[[Any], Any]] = {
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "pickle": pickle.dumps,
}


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("handle", HANDLES)
def test_live_handles_refuse_copy_and_pickle(handle: str, op: str) -> None:
    obj = HANDLES[handle]()
    before = storage.CURRENT_FRAME.get(storage.TOP)
    with pytest.raises(TypeError, match=rf"cannot {op} .*: it is a live view .*to_dict\(\)"):
        OPS[op](obj)
    # Nothing was written into the store on the way (the Python twin once stored internals).
    assert storage.CURRENT_FRAME.get(storage.TOP) is before
    assert param_scope(a=1).keys() == ["a"]


@pytest.mark.parametrize("op", OPS)
def test_typed_views_refuse_copy_and_pickle_and_name_the_snapshot(op: str) -> None:
    with param_scope(Cfg()) as ps:
        for obj in (ps, ps.model):
            with pytest.raises(TypeError, match=r"typed view of .*hp\.snapshot\(view\)"):
                OPS[op](obj)
        assert hp.snapshot(ps) == Cfg()  # what to use instead works
