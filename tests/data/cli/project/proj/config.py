"""The schemas of the example project (found through its pyproject.toml)."""

from __future__ import annotations

from dataclasses import dataclass

import pydantic


@dataclass
class Train:
    lr: float = 0.1
    epochs: int = 10


class Eval(pydantic.BaseModel):
    checkpoint: str
    batch_size: int = 32
