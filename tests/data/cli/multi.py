"""Two commands found by launch() (the CLI tests run it)."""

from __future__ import annotations

import json

import hyperparameter as hp
from hyperparameter.cli import launch


@hp.auto_param
def train(lr: float = 0.1, steps: int = 100) -> None:
    """Train the model.

    Parameters
    ----------
    lr : float
        learning rate
    """
    print(json.dumps({"command": "train", "lr": lr, "steps": steps}))


@hp.auto_param("eval")
def evaluate(checkpoint: str, batch_size: int = 32) -> None:
    """Evaluate a checkpoint.

    :param checkpoint: the weights to load
    :param batch_size: examples per step
    """
    print(json.dumps({"command": "evaluate", "checkpoint": checkpoint, "bs": batch_size}))


def _helper() -> None:
    """Not a command."""


if __name__ == "__main__":
    launch()
