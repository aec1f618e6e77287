"""@auto_param (DESIGN §4)."""

from __future__ import annotations

import asyncio
import functools
import inspect
from typing import Any

import pytest

import hyperparameter as hp
from hyperparameter import auto_param, param_scope
from hyperparameter.errors import ConversionError


@auto_param("model")
def build(lr: float = 1e-3, layers: int = 4, act: str = "relu") -> tuple[float, int, str]:
    """Builds a model."""
    return lr, layers, act


def test_issue_example() -> None:
    assert build() == (0.001, 4, "relu")
    with param_scope(**{"model.lr": 0.1}, model={"layers": "8"}) as ps:
        assert build() == (0.1, 8, "relu")
        assert build(0.5) == (0.5, 8, "relu")
        assert ps.model.lr | 0.0 == 0.1
        assert hp.param_scope.model.dropout | 0.3 == 0.3
        with param_scope("model.lr=0.2"):
            assert build() == (0.2, 8, "relu")
        assert build() == (0.1, 8, "relu")


def test_explicit_arguments_win() -> None:
    with param_scope(**{"model.lr": 0.1, "model.layers": 2, "model.act": "gelu"}):
        assert build(0.5, 3) == (0.5, 3, "gelu")
        assert build(act="tanh") == (0.1, 2, "tanh")
        assert build(0.5, layers=7) == (0.5, 7, "gelu")


def test_bare_decorator_uses_the_function_name() -> None:
    @auto_param
    def train(epochs: int = 1, *, amp: bool = False) -> tuple[int, bool]:
        return epochs, amp

    assert train() == (1, False)
    with param_scope("train.epochs=3", "train.amp=on"):
        assert train() == (3, True)
        assert train(amp=False) == (3, False)
    assert auto_param()(train) is not train


def test_keyword_only_and_positional_only() -> None:
    @auto_param("f")
    def f(a: int, b: int = 1, /, c: int = 2, *, d: int = 3) -> tuple[int, ...]:
        return a, b, c, d

    with param_scope(**{"f.b": 10, "f.c": 20, "f.d": 30}):
        assert f(0) == (0, 10, 20, 30)
        assert f(0, 1) == (0, 1, 20, 30)
        assert f(0, 1, 2, d=3) == (0, 1, 2, 3)


def test_annotation_driven_coercion_and_errors() -> None:
    @auto_param("c")
    def g(n: int = 0, ratio: float = 0.5, tags: list[int] | None = None, x=1.0) -> Any:  # type: ignore[no-untyped-def]
        return n, ratio, tags, x

    with param_scope("c.n=1e3", "c.ratio=1", "c.tags=[1, 2]", "c.x=2"):
        assert g() == (1000, 1.0, [1, 2], 2.0)
    with param_scope(**{"c.n": "abc"}), pytest.raises(ConversionError) as e:
        g()
    assert e.value.key == "c.n"
    assert str(e.value) == "c.n: cannot convert 'abc' to int: not a number"


def test_untyped_parameter_with_none_default() -> None:
    @auto_param("u")
    def u(v=None):  # type: ignore[no-untyped-def]
        return v

    with param_scope("u.v=0.5"):
        assert u() == 0.5
    obj = object()
    with param_scope(**{"u.v": obj}):
        assert u() is obj
    with param_scope(**{"u.v": None}):
        assert u() is None


def test_parameters_without_defaults_are_not_injected() -> None:
    @auto_param("r")
    def r(a: int, b: int = 1) -> tuple[int, int]:
        return a, b

    with param_scope(**{"r.a": 5, "r.b": 6}):
        assert r(0) == (0, 6)
        with pytest.raises(TypeError):
            r()  # type: ignore[call-arg]


def test_metadata_and_signature_preserved() -> None:
    assert build.__name__ == "build"
    assert build.__doc__ == "Builds a model."
    assert inspect.signature(build) == inspect.signature(build.__wrapped__)  # type: ignore[attr-defined]
    assert build._auto_param_namespace == "model"  # type: ignore[attr-defined]


def test_decorated_class_stays_a_class() -> None:
    @auto_param("net")
    class Net:
        def __init__(self, width: int = 8, depth: int = 2) -> None:
            self.width = width
            self.depth = depth

        @classmethod
        def make(cls) -> Net:
            return cls()

    class Deeper(Net):
        pass

    assert isinstance(Net, type)
    with param_scope(**{"net.width": "16"}):
        n = Net()
        assert isinstance(n, Net)
        assert (n.width, n.depth) == (16, 2)
        assert Net.make().width == 16
        assert Deeper(depth=5).width == 16
        assert Net(4).width == 4
    assert Net().width == 8


def test_coroutine_function_stays_a_coroutine_function() -> None:
    @auto_param("aio")
    async def fetch(n: int = 1) -> int:
        await asyncio.sleep(0)
        return n

    assert inspect.iscoroutinefunction(fetch)

    async def main() -> tuple[int, int]:
        with param_scope(**{"aio.n": 5}):
            inside = await fetch()
        return inside, await fetch()

    assert asyncio.run(main()) == (5, 1)


def test_wrapping_a_partial_and_a_method() -> None:
    class K:
        @auto_param("k")
        def m(self, v: int = 1) -> int:
            return v

    with param_scope(**{"k.v": 3}):
        assert K().m() == 3
        assert K().m(4) == 4
    p = auto_param("p")(functools.partial(lambda a, b=1: (a, b), 0))
    with param_scope(**{"p.b": 2}):
        assert p() == (0, 2)


def test_invalid_namespace() -> None:
    with pytest.raises(TypeError):
        auto_param(3)  # type: ignore[call-overload]


def test_var_args_and_var_kwargs_pass_through() -> None:
    @auto_param("v")
    def v(a: int, b: int = 1, *rest: int, c: int = 2, **extra: int) -> tuple[Any, ...]:
        return a, b, rest, c, extra

    with param_scope(**{"v.b": 10, "v.c": 20}):
        assert v(0) == (0, 10, (), 20, {})
        assert v(0, 1, 2, 3, x=4) == (0, 1, (2, 3), 20, {"x": 4})
        assert v(0, c=5) == (0, 10, (), 5, {})


def test_parameter_names_that_look_internal() -> None:
    @auto_param("w")
    def w(fn: int = 1, cache: int = 2, current: int = 3, _hp: int = 4) -> tuple[int, ...]:
        return fn, cache, current, _hp

    with param_scope(**{"w.cache": 20}):
        assert w() == (1, 20, 3, 4)


def test_a_bad_value_only_fails_when_it_is_injected() -> None:
    @auto_param("e")
    def e(n: int = 0) -> int:
        return n

    with param_scope(**{"e.n": "abc"}):
        assert e(5) == 5
        assert e(n=6) == 6
        with pytest.raises(ConversionError):
            e()


def test_next_call_sees_a_nested_override_and_a_write() -> None:
    calls = []
    with param_scope(**{"model.lr": 0.1}):
        calls.append(build()[0])
        with param_scope(**{"model.lr": 0.2}):
            calls.append(build()[0])
            param_scope.model.lr = 0.3
            calls.append(build()[0])
        calls.append(build()[0])
        param_scope.frozen()
    calls.append(build()[0])
    assert calls == [0.1, 0.2, 0.3, 0.1, 0.1]
