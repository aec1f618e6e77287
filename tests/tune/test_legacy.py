"""0.6's define-by-run names: ``tune.suggest_from`` and ``tune.lazy_dispatch``, values
computed each time a parameter is read (accessor reads and ``@auto_param`` alike)."""

from __future__ import annotations

import itertools

import optuna

import hyperparameter as hp
from hyperparameter import tune


def test_suggest_from_is_called_at_every_read() -> None:
    counter = itertools.count(1)
    with hp.param_scope(**{"model.layers": tune.suggest_from(lambda: next(counter))}) as ps:
        assert ps.model.layers() == 1
        assert ps.model.layers | 0 == 2
        assert ps.model.layers | 0.5 == 3.0  # coerced like any value

        @hp.auto_param("model")
        def build(layers: int = 0) -> int:
            return layers

        assert [build(), build()] == [4, 5]
    assert hp.param_scope.model.layers | None is None


def test_lazy_dispatch_asks_the_trial_when_read() -> None:
    @hp.auto_param("model")
    def train(lr: float = 1.0, layers: int = 1) -> float:
        return (lr - 0.1) ** 2 + 0.01 * layers

    def objective(trial: optuna.Trial) -> float:
        lazy = tune.lazy_dispatch(trial)
        with hp.param_scope(**{"model.lr": lazy.suggest_float("lr", 1e-3, 1.0, log=True),
                               "model.layers": lazy.suggest_int("layers", 1, 4)}):  # fmt: skip
            return train()

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(objective, n_trials=10)
    for t in study.trials:
        assert set(t.params) == {"lr", "layers"}
        assert t.value == (t.params["lr"] - 0.1) ** 2 + 0.01 * t.params["layers"]


def test_lazy_dispatch_follows_attributes_and_indexes() -> None:
    class Box:
        items = (lambda: "first", lambda: "second")

    value = tune.lazy_dispatch(Box()).items[1]()
    with hp.param_scope(**{"x": value}):
        assert hp.param_scope.x() == "second"
    assert "lazy_dispatch(" in repr(tune.lazy_dispatch(Box()).items)
