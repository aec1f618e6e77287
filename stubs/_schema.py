"""The schema the typing tests use."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Model:
    lr: float = 1e-3
    layers: int = 4


@dataclass
class Train:
    model: Model = field(default_factory=Model)
    epochs: int = 10
    tags: list[str] = field(default_factory=list)
