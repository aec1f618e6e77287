"""A training script driven by hyperparameter's launch (the CLI tests run it)."""

from __future__ import annotations

import json
import threading

import hyperparameter as hp
from hyperparameter.cli import launch


@hp.auto_param("train")
def train(
    data: str,
    lr: float = 1e-3,
    epochs: int = 10,
    amp: bool = False,
    name: str = "run",
    tags: list[int] = [],  # noqa: B006  (a default is never mutated)
) -> None:
    """Train a model.

    Longer text about training.

    Args:
        data: path to the dataset
        lr: learning rate
        epochs: passes over the data
        amp: mixed precision
    """
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(hp.param_scope.train.lr | 0.0))
    worker.start()
    worker.join()
    print(
        json.dumps(
            {
                "data": data,
                "lr": lr,
                "epochs": epochs,
                "amp": amp,
                "name": name,
                "tags": tags,
                "scope_epochs": hp.param_scope.train.epochs | 0,
                "thread_lr": seen[0],
                "model_layers": hp.param_scope.model.layers | 0,
            }
        )
    )


if __name__ == "__main__":
    launch(train)
