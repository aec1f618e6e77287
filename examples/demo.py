"""A tour of hyperparameter on a bundled example: `python examples/demo.py`."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

import hyperparameter as hp

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from schema import Train  # noqa: E402  (the example's own schema module)


@hp.auto_param("model")
def build(lr: float = 1e-3, layers: int = 4, act: str = "relu") -> tuple[float, int, str]:
    """Builds a (pretend) model from `model.*` parameters."""
    return lr, layers, act


def load_configs() -> Train:
    configs = HERE / "configs"
    cfg = hp.load(
        configs / "base.yaml", configs / "exp.toml", schema=Train, overrides=["model.lr=3e-4"]
    )
    print("loaded:                ", cfg)
    try:
        hp.load(configs / "base.yaml", configs / "broken.toml", schema=Train)
    except hp.ConfigValidationError as e:
        print("a broken layer:        ", str(e).replace(str(configs) + "/", ""))
    return cfg


def main() -> None:
    print(f"store backend: {hp.storage.backend()}")
    cfg = load_configs()
    with hp.param_scope(cfg):
        print("from the loaded config:", build(), hp.param_scope.run_name())
    print("defaults:              ", build())
    with hp.param_scope(**{"model.lr": 0.1}, model={"layers": "8"}) as ps:
        print("in a scope:            ", build(), "(layers '8' coerced to int)")
        print("explicit argument wins:", build(0.5))
        print("dynamic read:          ", ps.model.lr | 0.0, hp.param_scope.model.dropout | 0.3)
        with hp.param_scope("model.lr=0.2"):
            print("nested override:       ", build())
        print("rolled back:           ", build())

        seen: list[object] = []
        t = threading.Thread(target=lambda: seen.append(build()))
        t.start()
        t.join()
        print("another thread:        ", seen[0], "(threads never see each other's scopes)")

        async def task() -> tuple[float, int, str]:
            hp.param_scope.model.act = "gelu"  # the task's own write
            return build()

        print("asyncio task:          ", asyncio.run(task()))
        print("after the task:        ", build())
    try:
        with hp.param_scope(**{"model.layers": "eight"}):
            build()
    except hp.ConversionError as e:
        print("bad value:             ", e)


if __name__ == "__main__":
    main()
