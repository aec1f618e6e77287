"""Schemas whose validation raises arbitrary exceptions (``__post_init__``, pydantic field
and model validators): ``hp.load`` reports a ``ConfigValidationError`` finding of type
``value_error`` at the innermost group whose validation raised — with its file position —
never a crash. ``KeyboardInterrupt`` and ``SystemExit`` are not errors of the config and
propagate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import pytest

import hyperparameter as hp

pytestmark = pytest.mark.timeout(60)


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("str() of this exception raises too")


ERRORS: dict[str, BaseException] = {
    "runtime": RuntimeError("exploded"),
    "type": TypeError("wrong type"),
    "key": KeyError("missing"),
    "zero": ZeroDivisionError("division by zero"),
    "recursion": RecursionError("too deep"),
    "custom": type("CustomError", (Exception,), {})("custom"),
    "unprintable": Unprintable(),
}
MESSAGES = {
    "runtime": "RuntimeError: exploded",
    "type": "TypeError: wrong type",
    "key": "KeyError: 'missing'",
    "zero": "ZeroDivisionError: division by zero",
    "recursion": "RecursionError: too deep",
    "custom": "CustomError: custom",
    "unprintable": "Unprintable: <Unprintable whose str() raised>",
}


def raise_for(x: int) -> None:
    if x < 0:
        raise list(ERRORS.values())[-x - 1]


@dataclass
class DInner:
    x: int = 0

    def __post_init__(self) -> None:
        raise_for(self.x)


@dataclass
class DOuter:
    inner: DInner = field(default_factory=DInner)
    items: list[DInner] = field(default_factory=list)
    by_name: dict[str, DInner] = field(default_factory=dict)
    top: int = 0

    def __post_init__(self) -> None:
        raise_for(self.top)


class PInner(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    x: int = 0

    @pydantic.field_validator("x")
    @classmethod
    def check(cls, v: int) -> int:
        raise_for(v)
        return v


class POuter(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    inner: PInner = PInner()
    items: list[PInner] = []
    by_name: dict[str, PInner] = {}
    top: int = 0

    @pydantic.model_validator(mode="after")
    def whole(self) -> POuter:
        raise_for(self.top)
        return self


SCHEMAS = [DOuter, POuter]
CODES = {name: -(i + 1) for i, name in enumerate(ERRORS)}


def only_finding(path: Path, schema: type) -> dict[str, Any]:
    with pytest.raises(hp.ConfigValidationError) as info:
        hp.load(path, schema=schema)
    (finding,) = info.value.errors()
    assert finding["type"] == "value_error"
    assert str(info.value).count("\n") == 1  # one compiler-style line under the title
    return finding


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.__name__)
@pytest.mark.parametrize("error", list(ERRORS))
@pytest.mark.parametrize(
    ("text", "loc", "where"),
    [
        ("top: 1\ninner:\n  x: {code}\n", ("inner",), "3:3"),
        ("items:\n  - x: 1\n  - x: {code}\n", ("items", 1), "3:5"),
        ("by_name:\n  a: {{x: 1}}\n  b: {{x: {code}}}\n", ("by_name", "b"), "3:6"),
        ("inner: {{x: 1}}\ntop: {code}\n", (), "1:1"),
    ],
    ids=["group", "list-item", "dict-value", "root"],
)
def test_a_raising_validator_is_a_located_finding(
    tmp_path: Path, schema: type, error: str, text: str, loc: tuple[Any, ...], where: str
) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text(text.format(code=CODES[error]))
    finding = only_finding(path, schema)
    assert finding["loc"] == loc
    assert finding["source"] == f"{path}:{where}"
    assert finding["msg"] == MESSAGES[error]


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.__name__)
def test_value_and_assertion_errors_keep_pydantics_own_findings(
    tmp_path: Path, schema: type
) -> None:
    @dataclass
    class Checked:
        x: int = 0

        def __post_init__(self) -> None:
            assert self.x >= 0, "x must be >= 0"
            if self.x > 10:
                raise ValueError("x must be <= 10")

    path = tmp_path / "c.yaml"
    for value, kind in ((-1, "assertion_error"), (11, "value_error")):
        path.write_text(f"x: {value}\n")
        with pytest.raises(hp.ConfigValidationError) as info:
            hp.load(path, schema=Checked)
        (finding,) = info.value.errors()
        assert finding["type"] == kind
        assert finding["loc"] == ()


@pytest.mark.parametrize("stop", [KeyboardInterrupt, SystemExit])
def test_interrupts_are_not_config_errors(stop: type[BaseException]) -> None:
    @dataclass
    class Stops:
        x: int = 0

        def __post_init__(self) -> None:
            if self.x:
                raise stop()

    with pytest.raises(stop):
        hp.load({"x": 1}, schema=Stops)


FLAKY_SEEN: list[int] = []


@dataclass
class Flaky:
    x: int = 0

    def __post_init__(self) -> None:
        FLAKY_SEEN.append(self.x)
        if self.x == 2 and FLAKY_SEEN.count(2) == 1:  # raises the first time only
            raise RuntimeError("flaky")


@dataclass
class FlakyHolder:
    items: list[Flaky] = field(default_factory=list)


def test_a_validator_that_raises_only_sometimes_is_reported_at_the_root(tmp_path: Path) -> None:
    FLAKY_SEEN.clear()
    path = tmp_path / "f.yaml"
    path.write_text("items:\n  - x: 1\n  - x: 2\n")
    finding = only_finding(path, FlakyHolder)
    # The second look (to find where it raised) does not raise: the root is reported.
    assert finding["loc"] == ()
    assert finding["msg"] == "RuntimeError: flaky"


def test_other_findings_are_still_collected_when_nothing_crashes(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("inner: {x: oops}\nitems: [{x: 1}, {y: 2}]\ntop: 0\n")
    with pytest.raises(hp.ConfigValidationError) as info:
        hp.load(path, schema=DOuter)
    assert [(e["loc"], e["type"]) for e in info.value.errors()] == [
        (("inner", "x"), "int_parsing"),
        (("items", 1, "y"), "extra_forbidden"),
    ]
