"""Hostile override values: the raw text of ``param_scope("k=v")``, ``-D k=v`` and environment
variables, read with no declared type (parsed as a YAML flow node), through a schema field,
``@auto_param`` and the accessor. Text that is not a valid YAML node stays text; a typed read
that cannot convert is a ``ConversionError`` / ``ConfigValidationError``; nothing crashes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

import hyperparameter as hp
from hyperparameter.errors import ConversionError

pytestmark = pytest.mark.timeout(60)


def failure(fn: Any, *allowed: type[Exception]) -> Any:
    """The exception of one of the ``allowed`` types that ``fn()`` raises, or None."""
    try:
        fn()
    except allowed as e:
        return e
    return None


HOSTILE = [
    "[?[?]]",  # a mapping used as a key
    "{? {a: 1} : 2}",
    "[" * 3000,
    "[" * 1500 + "]" * 1500,
    "{a: " * 1500 + "1" + "}" * 1500,
    "[!!python/object/apply:os.system [echo PWNED]]",
    "[!!binary aGk=]",
    "{a: 1, a: 2}",
    "[&a [1, 2], *a, *b]",
    "[1]\nw: 2",
    "'unterminated",
    '"\\ud800"',
    "[1, 2",
    "{",
    "[" + "9" * 5000 + "]",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t)[:20])
def test_untyped_reads_parse_or_keep_the_text(text: str) -> None:
    with hp.param_scope(f"v.x={text}"):
        value = hp.param_scope.v.x()
    assert value == text.strip() or isinstance(value, (list, dict, str))
    if isinstance(value, str) and value != text.strip():
        assert value == "\ud800"  # a quoted escape is a (lone surrogate) string


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t)[:20])
@pytest.mark.parametrize("target", [list, dict, int, bool, list[int], dict[str, int]])
def test_typed_reads_convert_or_raise_conversion_errors(text: str, target: Any) -> None:
    default: Any = {list: [], dict: {}, int: 0, bool: False}.get(target)
    from hyperparameter.coerce import coerce

    with hp.param_scope(f"v.x={text}"):
        if default is not None:
            e = failure(lambda: hp.param_scope.v.x | default, ConversionError)
        else:
            e = failure(lambda: coerce(hp.param_scope["v.x"]._hp_value(), target, "v.x"),
                        ConversionError)  # fmt: skip
    assert e is None or e.key == "v.x"


@dataclass
class Cfg:
    tags: list[str] = field(default_factory=list)
    table: dict[str, int] = field(default_factory=dict)
    n: int = 0


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t)[:20])
def test_overrides_and_environment(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = hp.load({}, overrides=[f"x={text}"])
    assert set(cfg) == {"x"}
    for key in ("tags", "table", "n"):
        e = failure(lambda: hp.load({}, schema=Cfg, overrides=[f"{key}={text}"]),  # noqa: B023
                    hp.ConfigValidationError)  # fmt: skip
        assert e is None or [x["source"] for x in e.errors()] == [f"-D {key}={text}".strip()]
    monkeypatch.setenv("APP_TAGS", text)
    e = failure(lambda: hp.load({}, schema=Cfg, env_prefix="APP"), hp.ConfigValidationError)
    assert e is None or e.errors()[0]["source"] == "env:APP_TAGS"


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t)[:20])
def test_auto_param_injection(text: str) -> None:
    @hp.auto_param("inj")
    def f(tags: list[str] | None = None, n: int = 0, anything: Any = None) -> Any:
        return tags, n, anything

    for key in ("tags", "n", "anything"):
        with hp.param_scope(f"inj.{key}={text}"):
            e = failure(f, ConversionError)
        assert e is None or e.key == f"inj.{key}"
