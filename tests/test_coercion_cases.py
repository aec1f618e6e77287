"""The coercion table's golden rows (``tests/data/coercion_cases.json``), which the Rust API's
``cargo test`` reads too (``rust_core/hyperparameter/tests/coercion.rs``): both languages
accept the same values, convert them to the same results and refuse the others for the same
reason (DESIGN §5, §13)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Optional

import pytest

from hyperparameter.coerce import Raw, coerce
from hyperparameter.errors import ConversionError

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "coercion_cases.json").read_text(encoding="utf-8")
)["cases"]

TARGETS: dict[str, Any] = {
    "bool": bool,
    "int": int,
    "float": float,
    "str": str,
    "list[int]": list[int],
    "list[float]": list[float],
    "list[str]": list[str],
    "list[bool]": list[bool],
    "optional[int]": Optional[int],
    "optional[str]": Optional[str],
}


def decode(v: Any) -> Any:
    """JSON has no inf/nan: the file writes them as {"float": "inf"}."""
    if isinstance(v, dict):
        return float(v["float"])
    return v


def same(got: Any, want: Any) -> bool:
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(same(g, w) for g, w in zip(got, want, strict=True))
        )
    return type(got) is type(want) and got == want


def test_the_file_covers_every_target_both_ways() -> None:
    assert len(CASES) >= 80
    for target in TARGETS:
        rows = [c for c in CASES if c["target"] == target]
        assert rows, target
    assert {c["target"] for c in CASES} == set(TARGETS)
    assert sum("error" in c for c in CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['value']!r}->{c['target']}")
def test_row(case: dict[str, Any]) -> None:
    value, target = decode(case["value"]), TARGETS[case["target"]]
    forms = [value, Raw(value)] if isinstance(value, str) else [value]
    for v in forms:  # a raw override string follows the same table
        if "expect" in case:
            got = coerce(v, target, "k")
            assert same(got, decode(case["expect"])), (v, got)
        else:
            with pytest.raises(ConversionError) as e:
                coerce(v, target, "k")
            assert case["error"] in str(e.value)
