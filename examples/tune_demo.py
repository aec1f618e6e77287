"""Tuning a small regression with hyperparameter.tune: `python examples/tune_demo.py [OUT]`.

A polynomial is fitted to noisy samples of sin(3x) by mini-batch gradient descent, in plain
Python. Its degree, learning rate, L2 penalty, batch size and number of steps are fields of the
`Train` schema below, each with its search space in `Annotated`; the training function reads
them with `@hp.auto_param`, so each trial's values reach it through the trial's scope. The
validation error is reported every 25 steps, and a median pruner stops the hopeless trials.
At the end: the best config, `OUT/best.yaml` (each tuned key marked with its trial) and
`OUT/report.html` (the trials, the optimization history, the parameters' importances…).
Needs the tune extra: `pip install 'hyperparameter[tune]'`.
"""

from __future__ import annotations

import argparse
import functools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import optuna

import hyperparameter as hp
from hyperparameter import tune

Samples = list[tuple[float, float]]


@dataclass
class Data:
    n: int = 240  # samples; a quarter of them for validation
    noise: float = 0.1
    seed: int = 0


@dataclass
class Model:
    degree: Annotated[int, tune.intrange(1, 9)] = 3


@dataclass
class Optim:
    lr: Annotated[float, tune.loguniform(1e-3, 1.0)] = 0.05
    l2: Annotated[float, tune.loguniform(1e-6, 1e-1)] = 1e-4
    batch_size: Annotated[int, tune.choice([4, 8, 16, 32])] = 16
    steps: Annotated[int, tune.intrange(100, 600, step=100)] = 300


@dataclass
class Train:
    data: Data = field(default_factory=Data)
    model: Model = field(default_factory=Model)
    optim: Optim = field(default_factory=Optim)


@functools.cache
def samples(n: int, noise: float, seed: int) -> tuple[Samples, Samples]:
    """Noisy samples of sin(3x) on [-1, 1]: the training and the validation split."""
    rng = random.Random(seed)
    points = []
    for _ in range(n):
        x = rng.uniform(-1.0, 1.0)
        points.append((x, math.sin(3 * x) + rng.gauss(0.0, noise)))
    cut = n * 3 // 4
    return points[:cut], points[cut:]


def features(x: float, degree: int) -> list[float]:
    return [x**k for k in range(degree + 1)]


def mse(w: Sequence[float], data: Samples) -> float:
    total = 0.0
    for x, y in data:
        e = sum(wk * fk for wk, fk in zip(w, features(x, len(w) - 1), strict=True)) - y
        total += e * e
    return total / len(data)


@hp.auto_param("optim")
def sgd(
    data: Samples,
    degree: int,
    lr: float = 0.05,
    l2: float = 1e-4,
    batch_size: int = 16,
    steps: int = 300,
) -> Iterator[tuple[int, list[float]]]:
    """Mini-batch gradient descent on the squared error plus ``l2 * |w|²``; yields the step
    and the weights every 25 steps. ``lr``, ``l2``, ``batch_size`` and ``steps`` come from
    the scope (``optim.*``) unless given."""
    rng = random.Random(0)
    rows = [(features(x, degree), y) for x, y in data]
    w = [0.0] * (degree + 1)
    for step in range(1, steps + 1):
        grad = [0.0] * len(w)
        for f, y in rng.sample(rows, batch_size):
            e = sum(wk * fk for wk, fk in zip(w, f, strict=True)) - y
            for k, fk in enumerate(f):
                grad[k] += e * fk
        w = [wk - lr * (2 * g / batch_size + 2 * l2 * wk) for wk, g in zip(w, grad, strict=True)]
        if not all(math.isfinite(wk) and abs(wk) < 1e6 for wk in w):
            raise FloatingPointError(f"diverged at step {step} (lr={lr:.3g})")
        if step % 25 == 0 or step == steps:
            yield step, w


def objective(cfg: Train) -> float:
    """The validation error of one trial's fit, reported as it trains (pruning)."""
    train, valid = samples(cfg.data.n, cfg.data.noise, cfg.data.seed)
    error = math.inf
    for step, w in sgd(train, cfg.model.degree):  # optim.* from the trial's scope
        error = mse(w, valid)
        tune.report(error, step)
    return error


def main(argv: Sequence[str] | None = None) -> tune.Result:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=".", help="where to write the report")
    parser.add_argument("--trials", type=int, default=60, help="how many trials (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="the sampler's seed")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    pruner = optuna.pruners.MedianPruner(n_startup_trials=8, n_warmup_steps=50)
    result = tune.run(
        objective,  # the space: the Annotated fields of Train
        config=Train(),
        n_trials=args.trials,
        pruner=pruner,
        seed=args.seed,
        study_name="tune-demo",
    )
    states = [t.state.name.lower() for t in result.trials]
    counts = ", ".join(f"{states.count(s)} {s}" for s in ("complete", "pruned", "fail"))
    print(f"{len(result.trials)} trials: {counts}")
    print(f"best validation MSE {result.best_value:.4g} (trial {result.best_trial.number})")
    for key, value in result.best_params.items():
        print(f"  {key} = {value:.4g}" if isinstance(value, float) else f"  {key} = {value}")
    print("best config:", result.best_config)
    result.dump_best(out / "best.yaml")
    result.plot(out / "report.html")
    print(f"wrote {out / 'best.yaml'} and {out / 'report.html'}")
    return result


if __name__ == "__main__":
    main()
