"""Schemas shared by the loader tests: the same config as a dataclass and as pydantic models."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Optional

import pydantic


@dataclass
class Model:
    lr: float = 1e-3
    layers: int = 4
    act: Literal["relu", "gelu"] = "relu"
    dropout: Optional[float] = None


@dataclass
class Data:
    path: Path = Path("data")
    batch_size: int = 32
    splits: list[str] = field(default_factory=lambda: ["train", "val"])


@dataclass
class Train:
    model: Model = field(default_factory=Model)
    data: Data = field(default_factory=Data)
    epochs: int = 10
    amp: bool = False
    out: Path = Path("runs")
    started: Optional[dt.date] = None
    run_name: str = "${model.act}-${model.layers}"


class PModel(pydantic.BaseModel):
    lr: float = 1e-3
    layers: int = 4
    act: Literal["relu", "gelu"] = "relu"
    dropout: Optional[float] = None


class PData(pydantic.BaseModel):
    path: Path = Path("data")
    batch_size: int = 32
    splits: list[str] = pydantic.Field(default_factory=lambda: ["train", "val"])


class PTrain(pydantic.BaseModel):
    model: PModel = pydantic.Field(default_factory=PModel)
    data: PData = pydantic.Field(default_factory=PData)
    epochs: int = 10
    amp: bool = False
    out: Path = Path("runs")
    started: Optional[dt.date] = None
    run_name: str = "${model.act}-${model.layers}"


SCHEMAS: dict[str, type] = {"dataclass": Train, "pydantic": PTrain, "none": type(None)}


@dataclass
class JobSpec:
    name: str
    retries: int = 0


@dataclass
class Job:
    job: JobSpec


SCHEMAS["job"] = Job
