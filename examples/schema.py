"""The schema of the bundled example configs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass
class Model:
    lr: float = 1e-3
    layers: int = 4
    act: Literal["relu", "gelu"] = "relu"


@dataclass
class Data:
    path: str = "data"
    batch_size: int = 32


@dataclass
class Train:
    model: Model = field(default_factory=Model)
    data: Data = field(default_factory=Data)
    epochs: int = 10
    run_name: str = "${model.act}-${model.layers}"
