"""Typing tests that must fail: each `# E:` comment is an error mypy must report on its line.
tests/test_typing.py runs mypy on this file through mypy.api and compares."""

from __future__ import annotations

from _schema import Train

import hyperparameter as hp

cfg = hp.load("train.yaml", schema=Train)

with hp.param_scope(cfg) as ps:
    ps.model.lrr  # E: "Model" has no attribute "lrr"; maybe "lr"?
    ps.model.lr = "fast"  # E: Incompatible types in assignment (expression has type "str", variable has type "float")
    ps.epochs = 1.5  # E: Incompatible types in assignment (expression has type "float", variable has type "int")


@hp.auto_param("model")
def build(lr: float = 1e-3, layers: int = 4) -> tuple[float, int]:
    return lr, layers


build(layers="8")  # E: Argument "layers" to "build" has incompatible type "str"; expected "int"
build(0.1, 2, 3)  # E: Too many arguments for "build"


hp.propagate(build)(layers="8")  # E: Argument "layers" has incompatible type "str"; expected "int"
