"""Data-driven loader cases: tests/data/valid/<case>/ and tests/data/invalid/<case>/.

Each case directory holds ``case.toml`` (``files``, ``schema`` — ``dataclass``, ``pydantic``,
``both``, ``none`` or a name in ``schemas.SCHEMAS`` —, ``overrides``, ``env``, ``env_prefix``)
and the files to load. A valid case's result, dumped as JSON, equals ``expected.json``; an
invalid case's error message equals ``expected.txt`` (``{schema}`` is the schema's name), or
``expected-<schema>.txt`` where pydantic words a dataclass and a model differently.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tomli
from schemas import SCHEMAS

import hyperparameter as hp

DATA = Path(__file__).parents[1] / "data"


def cases(kind: str) -> list[Any]:
    out = []
    for case_dir in sorted((DATA / kind).iterdir()):
        spec = tomli.loads((case_dir / "case.toml").read_text("utf-8"))
        names = ["dataclass", "pydantic"] if spec["schema"] == "both" else [spec["schema"]]
        for name in names:
            out.append(pytest.param(case_dir, spec, name, id=f"{case_dir.name}-{name}"))
    return out


def run(case_dir: Path, spec: dict[str, Any], schema_name: str, monkeypatch: Any) -> Any:
    monkeypatch.chdir(case_dir)
    for var, value in spec.get("env", {}).items():
        monkeypatch.setenv(var, value)
    schema = SCHEMAS[schema_name]
    return hp.load(
        *spec["files"],
        schema=None if schema is type(None) else schema,
        overrides=spec.get("overrides", ()),
        env_prefix=spec.get("env_prefix"),
    )


@pytest.mark.parametrize(("case_dir", "spec", "schema_name"), cases("valid"))
def test_valid(case_dir: Path, spec: dict[str, Any], schema_name: str, monkeypatch: Any) -> None:
    cfg = run(case_dir, spec, schema_name, monkeypatch)
    if schema_name != "none":
        assert isinstance(cfg, SCHEMAS[schema_name])
    expected = json.loads((case_dir / "expected.json").read_text("utf-8"))
    text = hp.dump(cfg, format="json", keep_references=True, reveal_secrets=True)  # as is
    assert json.loads(text) == expected


@pytest.mark.parametrize(("case_dir", "spec", "schema_name"), cases("invalid"))
def test_invalid(case_dir: Path, spec: dict[str, Any], schema_name: str, monkeypatch: Any) -> None:
    with pytest.raises(hp.HyperparameterError) as e:
        run(case_dir, spec, schema_name, monkeypatch)
    schema = SCHEMAS[schema_name]
    own = case_dir / f"expected-{schema_name}.txt"
    expected_file = own if own.exists() else case_dir / "expected.txt"
    expected = expected_file.read_text("utf-8").rstrip("\n")
    assert str(e.value) == expected.replace("{schema}", schema.__name__)
