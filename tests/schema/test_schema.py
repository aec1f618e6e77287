"""Schema adapters: dataclasses and pydantic models as equals."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Optional, Union

import pydantic
import pytest

from hyperparameter.coerce import Raw
from hyperparameter.errors import SchemaError
from hyperparameter.schema import adapter_for, to_tree


class Act(Enum):
    RELU = "relu"
    GELU = "gelu"


@dataclass
class DModel:
    lr: float = 1e-3
    layers: int = 4
    act: Literal["relu", "gelu"] = "relu"
    counter: ClassVar[int] = 0

    def __post_init__(self) -> None:
        if self.lr < 0:
            raise ValueError("lr must be >= 0")


@dataclass(frozen=True)
class DOpt:
    name: str = "adam"
    betas: tuple[float, float] = (0.9, 0.999)


@dataclass
class DTrain:
    model: DModel = field(default_factory=DModel)
    opt: DOpt = field(default_factory=DOpt)
    epochs: int = 10
    out: Path = Path("runs")
    when: Optional[dt.datetime] = None
    tags: list[str] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)
    ids: set[int] = field(default_factory=set)
    kind: Act = Act.RELU
    seed: Union[int, str] = 0
    width: Annotated[int, "doc"] = 8
    run_name: str = "${model.act}-${model.layers}"


class PModel(pydantic.BaseModel):
    lr: float = 1e-3
    layers: int = 4
    act: Literal["relu", "gelu"] = "relu"

    @pydantic.field_validator("lr")
    @classmethod
    def _positive(cls, v: float) -> float:
        if v < 0:
            raise ValueError("lr must be >= 0")
        return v


class POpt(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True)
    name: str = "adam"
    betas: tuple[float, float] = (0.9, 0.999)


class PTrain(pydantic.BaseModel):
    model: PModel = pydantic.Field(default_factory=PModel)
    opt: POpt = pydantic.Field(default_factory=POpt)
    epochs: int = 10
    out: Path = Path("runs")
    when: Optional[dt.datetime] = None
    tags: list[str] = pydantic.Field(default_factory=list)
    weights: dict[str, float] = pydantic.Field(default_factory=dict)
    ids: set[int] = pydantic.Field(default_factory=set)
    kind: Act = Act.RELU
    seed: Union[int, str] = 0
    width: Annotated[int, "doc"] = 8
    run_name: str = "${model.act}-${model.layers}"


class Weird:
    """Not a type pydantic can validate."""


@dataclass
class Unsupported:
    w: Weird = dataclasses.field(default_factory=Weird)


BOTH = pytest.mark.parametrize("schema", [DTrain, PTrain], ids=["dataclass", "pydantic"])

GOOD: dict[str, Any] = {
    "model": {"lr": 0.1, "layers": 2, "act": "gelu"},
    "opt": {"name": "sgd", "betas": [0.8, 0.9]},
    "epochs": 3,
    "out": "runs/x",
    "when": dt.datetime(2024, 5, 20, 21, 33, tzinfo=dt.UTC),
    "tags": ["a", "b"],
    "weights": {"a": 1},
    "ids": [1, 2, 2],
    "kind": "gelu",
    "seed": "abc",
    "width": 16,
}


@BOTH
def test_valid_tree_builds_a_real_instance(schema: type) -> None:
    cfg, errors = adapter_for(schema).validate(GOOD)
    assert errors == []
    assert isinstance(cfg, schema)
    assert cfg.model.lr == 0.1
    assert cfg.model.act == "gelu"
    assert cfg.opt.betas == (0.8, 0.9)
    assert cfg.out == Path("runs/x")
    assert cfg.ids == {1, 2}
    assert cfg.kind is Act.GELU
    assert cfg.seed == "abc"
    assert cfg.when.year == 2024


@BOTH
def test_defaults_tree(schema: type) -> None:
    d = adapter_for(schema).defaults()
    assert d["model"] == {"lr": 1e-3, "layers": 4, "act": "relu"}
    assert d["opt"] == {"name": "adam", "betas": [0.9, 0.999]}
    assert d["run_name"] == "${model.act}-${model.layers}"
    assert "counter" not in d["model"]


@BOTH
def test_all_errors_at_once_with_loc_and_type(schema: type) -> None:
    tree = {
        "model": {"lr": "fast", "layers": "eight", "actt": "relu"},
        "epochs": [1],
        "kind": "tanh",
    }
    cfg, errors = adapter_for(schema).validate(tree)
    assert cfg is None
    got = {(e["loc"], e["type"]) for e in errors}
    assert got == {
        (("model", "actt"), "extra_forbidden"),
        (("model", "lr"), "float_parsing"),
        (("model", "layers"), "int_parsing"),
        (("epochs",), "int_type"),
        (("kind",), "enum"),
    }
    by_loc = {e["loc"]: e for e in errors}
    assert by_loc[("model", "actt")]["msg"] == "unknown key 'actt'; did you mean 'act'?"
    assert by_loc[("model", "layers")]["msg"] == (
        "Input should be a valid integer, unable to parse string as an integer"
    )
    assert by_loc[("model", "layers")]["input"] == "eight"


@BOTH
def test_raw_override_strings_are_typed_by_the_table(schema: type) -> None:
    tree = {"model": {"lr": Raw("3e-4"), "layers": Raw("1e3")}, "tags": Raw("[x, y]")}
    cfg, errors = adapter_for(schema).validate(tree)
    assert errors == []
    assert (cfg.model.lr, cfg.model.layers, cfg.tags) == (3e-4, 1000, ["x", "y"])
    cfg, errors = adapter_for(schema).validate({"run_name": Raw("123")})
    assert cfg.run_name == "123"


def test_dataclass_values_follow_the_table() -> None:
    cfg, errors = adapter_for(DTrain).validate({"epochs": "1e3", "model": {"layers": 8.0}})
    assert errors == []
    assert (cfg.epochs, cfg.model.layers) == (1000, 8)
    _, errors = adapter_for(DTrain).validate({"epochs": True})
    assert [(e["loc"], e["type"]) for e in errors] == [(("epochs",), "int_type")]


@BOTH
def test_validator_and_post_init_errors(schema: type) -> None:
    _, errors = adapter_for(schema).validate({"model": {"lr": -1}})
    assert len(errors) == 1
    assert errors[0]["type"] == "value_error"
    assert "lr must be >= 0" in errors[0]["msg"]
    assert errors[0]["loc"][:1] == ("model",)


def test_post_init_raising_anything_is_an_error_not_a_crash() -> None:
    @dataclass
    class Bad:
        x: int = 0

        def __post_init__(self) -> None:
            raise KeyError("boom")

    _, errors = adapter_for(Bad).validate({"x": 1})
    assert errors[0]["type"] == "value_error"
    assert "boom" in errors[0]["msg"]


def test_pydantic_extra_allow_and_ignore_are_respected() -> None:
    class Allow(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="allow")
        a: int = 0

    class Forbid(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="forbid")
        a: int = 0

    assert adapter_for(Allow).validate({"a": 1, "b": 2})[1] == []
    _, errors = adapter_for(Forbid).validate({"a": 1, "aa": 2})
    assert [(e["loc"], e["msg"]) for e in errors] == [
        (("aa",), "unknown key 'aa'; did you mean 'a'?")
    ]


def test_missing_required_field() -> None:
    @dataclass
    class Req:
        name: str

    _, errors = adapter_for(Req).validate({})
    assert [(e["loc"], e["type"], e["msg"]) for e in errors] == [
        (("name",), "missing", "Field required")
    ]


def test_annotation_at() -> None:
    a = adapter_for(DTrain)
    assert a.annotation_at(("model", "lr")) == (True, float)
    assert a.annotation_at(("model", "nope")) == (False, Any)
    assert a.annotation_at(("weights", "anything")) == (True, float)
    assert a.annotation_at(("tags", 0)) == (True, str)


def test_broken_schemas() -> None:
    class NotASchema:
        x: int = 0

    with pytest.raises(SchemaError, match="is not a dataclass or a pydantic model class"):
        adapter_for(NotASchema)

    with pytest.raises(SchemaError, match="unsupported schema"):
        adapter_for(Unsupported)

    @dataclass
    class Unresolvable:
        x: NoSuchType  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(SchemaError, match="cannot resolve annotations: name 'NoSuchType'"):
        adapter_for(Unresolvable)


def test_to_tree() -> None:
    assert to_tree(DModel()) == {"lr": 1e-3, "layers": 4, "act": "relu"}
    assert to_tree(PModel(lr=0.5)) == {"lr": 0.5, "layers": 4, "act": "relu"}
