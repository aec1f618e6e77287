"""Typing tests that must pass: mypy checks this file, nothing runs it."""

from __future__ import annotations

from typing import Any, assert_type

from _schema import Model, Train

import hyperparameter as hp
from hyperparameter.api import TypedScope

cfg = hp.load("train.yaml", schema=Train)
assert_type(cfg, Train)
assert_type(hp.load("train.yaml"), dict[str, Any])
assert_type(hp.loads("a: 1", "yaml", schema=Model), Model)
assert_type(hp.load(hp.Document("sweep.yaml", 2), schema=Train), Train)
assert_type(hp.loads("a: 1\n---\na: 2", "yaml", document=1), dict[str, Any])

with hp.param_scope(cfg) as ps:
    assert_type(ps, Train)
    assert_type(ps.model.lr, float)
    assert_type(ps.model, Model)
    assert_type(ps.tags, list[str])
    ps.model.lr = 0.2
    assert_type(hp.snapshot(ps), Train)

assert_type(hp.param_scope(cfg), TypedScope[Train])
assert_type(hp.param_scope(cfg, "model.layers=6", epochs=2), TypedScope[Train])
assert_type(hp.param_scope(), hp.ParamScope)
assert_type(hp.param_scope(epochs=3), hp.ParamScope)
assert_type(hp.param_scope({"model": {"lr": 0.1}}), hp.ParamScope)
assert_type(hp.param_scope("model.lr=0.1", {"epochs": 3}), hp.ParamScope)
assert_type(hp.param_scope(*["model.lr=0.1"]), hp.ParamScope)
assert_type(hp.param_scope.empty(epochs=3), hp.ParamScope)
assert_type(hp.ParamScope("model.lr=0.1"), hp.ParamScope)

with hp.param_scope("model.lr=0.1", epochs=3) as dyn:
    assert_type(dyn, hp.ParamScope)
    assert_type(dyn.model.lr | 0.1, float)
    assert_type(dyn.model.layers(4), int)
    assert_type(hp.param_scope.model.act | "relu", str)
    assert_type(dyn.keys(), list[str])


@hp.auto_param("model")
def build(lr: float = 1e-3, layers: int = 4) -> tuple[float, int]:
    return lr, layers


assert_type(build(0.1, layers=2), tuple[float, int])


@hp.auto_param
def train(epochs: int = 1) -> int:
    return epochs


assert_type(train(), int)


@hp.auto_param("net")
class Net:
    def __init__(self, width: int = 8) -> None:
        self.width = width


assert_type(Net(width=3), Net)
assert_type(Net, type[Net])


# DESIGN §11: capture / propagate / Snapshot
snap = hp.capture()
assert_type(snap, hp.Snapshot)
assert_type(snap.keys(), list[str])
assert_type(snap.schemas, tuple[type, ...])
snap.install()
snap.install(3)
with snap as snap_ps:
    pass
with hp.param_scope(snap) as snap_any:  # typed as the schema bound at capture, known at run time
    snap_lr: float = snap_any.model.lr
work = hp.propagate(build)
assert_type(work(0.1, layers=2), tuple[float, int])
