"""Objectives and schemas that tests/tune/ runs in worker processes and Ray tasks: importable
by name there (tests/ is on the children's sys.path)."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import pydantic

import hyperparameter as hp
from hyperparameter import tune


@dataclass
class Model:
    lr: Annotated[float, tune.loguniform(1e-4, 1.0)] = 0.01
    layers: Annotated[int, tune.choice([1, 2, 4, 8])] = 2
    act: Literal["relu", "gelu"] = "relu"


@dataclass
class Train:
    model: Model = field(default_factory=Model)
    epochs: int = 3


class PModel(pydantic.BaseModel):
    lr: Annotated[float, pydantic.Field(gt=0)] = 0.01
    layers: Annotated[int, pydantic.Field(ge=1, le=16)] = 2
    act: Literal["relu", "gelu"] = "relu"


class PTrain(pydantic.BaseModel):
    model: PModel = pydantic.Field(default_factory=PModel)
    epochs: int = 3


#: A folder: see :func:`rendezvous`.
RENDEZVOUS = "HP_TEST_RENDEZVOUS"
_met: list[bool] = []


def rendezvous(n: int = 2, timeout: float = 60.0) -> None:
    """With ``$HP_TEST_RENDEZVOUS`` set to a folder: the first trial of each process waits
    there until ``n`` processes have reached it. Workers take trials from a shared count, so
    one that starts early may run them all; a test that proves several processes ran trials
    makes each of them run one this way, whatever the machine's load."""
    folder = os.environ.get(RENDEZVOUS)
    if not folder or _met:
        return
    open(os.path.join(folder, str(os.getpid())), "w").close()
    deadline = time.monotonic() + timeout
    while len(os.listdir(folder)) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(os.listdir(folder))} of {n} processes met in {timeout} s")
        time.sleep(0.01)
    _met.append(True)


def quadratic(cfg: Any) -> float:
    """Smallest at lr = 0.1 with one layer; reads the handle and the scope alike."""
    rendezvous()
    assert hp.param_scope.model.lr() == cfg.model.lr
    return float((cfg.model.lr - 0.1) ** 2 + 0.01 * cfg.model.layers)


def slow(cfg: Any) -> float:
    """A trial of 0.2 s that leaves a file in ``$HP_TEST_STARTED`` when it starts (a test
    waits for a few before pressing Ctrl-C)."""
    folder = os.environ.get("HP_TEST_STARTED")
    if folder:
        open(os.path.join(folder, f"{os.getpid()}-{time.monotonic_ns()}"), "w").close()
    time.sleep(0.2)
    return quadratic(cfg)


def dies_on_third(cfg: Any) -> float:
    """The worker process running trial 2 (zero-based) dies in the middle of it."""
    trial = tune.current_trial()
    assert trial is not None
    if trial.number == 2:
        os._exit(7)
    return quadratic(cfg)


def in_a_thread(cfg: Any) -> float:
    """The trial's values, read in a thread started with propagate."""
    out: list[float] = []
    t = threading.Thread(target=hp.propagate(lambda: out.append(hp.param_scope.model.lr())))
    t.start()
    t.join()
    return (out[0] - 0.1) ** 2


def stepped(cfg: Any) -> float:
    """Ten intermediate reports; bad learning rates are pruned early by a median pruner."""
    value = 0.0
    for step in range(10):
        value = (cfg.model.lr - 0.1) ** 2 * (10 - step)
        tune.report(value, step)
    return value


def tagged(cfg: Any) -> float:
    """Records the driver's ``run.tag`` (propagated to the worker) on the trial."""
    trial = tune.current_trial()
    assert trial is not None
    trial.set_user_attr("tag", hp.param_scope.run.tag | "missing")
    return quadratic(cfg)


@hp.auto_param("train")
def train(lr: float = 0.1, layers: int = 2, act: str = "relu") -> float:
    """A launched function whose return value is the objective.

    Args:
        lr: the learning rate
        layers: how deep
        act: the activation
    """
    rendezvous()
    return (lr - 0.03) ** 2 + layers * 0.01 + (0.1 if act == "gelu" else 0.0)


@hp.auto_param("fit")
def fit(data: str, epochs: int = 1) -> float:
    """A required argument (not tuned) and a tuned one; reads the schema's model.lr."""
    return float(len(data)) + epochs * 0.5 + hp.param_scope.model.lr()
