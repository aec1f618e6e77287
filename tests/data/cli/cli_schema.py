"""Schemas of the CLI test configs (imported by `--schema cli_schema:Train`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

import pydantic


@dataclass
class Model:
    """The network.

    Attributes:
        layers: number of layers
    """

    lr: float = 1e-3
    """learning rate"""
    layers: int = 4
    act: Literal["relu", "gelu"] = "relu"
    dropout: Optional[float] = None


@dataclass
class Train:
    """A training run."""

    model: Model = field(default_factory=Model)
    epochs: int = field(default=10, metadata={"description": "passes over the data"})
    tags: list[str] = field(default_factory=list)
    run_name: str = "${model.act}-${model.layers}"


class Eval(pydantic.BaseModel):
    """An evaluation run."""

    checkpoint: str = pydantic.Field(description="path of the weights")
    batch_size: int = 64
    metrics: list[str] = ["accuracy"]
