"""``tune.run(launcher="ray")``: trials as Ray tasks on a real local Ray instance (DESIGN §12),
scope propagated, pruning working. Ray is a dev dependency: these tests never skip."""

from __future__ import annotations

import os
from pathlib import Path

import optuna
import pytest
import tune_work as work
from optuna.trial import TrialState

import hyperparameter as hp
from hyperparameter import tune

pytestmark = [
    pytest.mark.usefixtures("local_ray"),  # tests/conftest.py
    pytest.mark.timeout(600),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def test_trials_run_as_ray_tasks_in_the_scope_of_the_caller(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ray.db'}"
    with hp.param_scope(**{"run.tag": "from-the-driver"}):
        result = tune.run(work.tagged, {"model.lr": tune.uniform(0.0, 1.0)},
                          config=work.Train(), n_trials=8, workers=2, launcher="ray",
                          storage=url, study_name="on-ray", seed=0)  # fmt: skip
    assert sorted(t.number for t in result.trials) == list(range(8))
    assert all(t.state == TrialState.COMPLETE for t in result.trials)
    assert {t.user_attrs["tag"] for t in result.trials} == {"from-the-driver"}
    pids = {t.user_attrs["hp_worker"] for t in result.trials}
    assert str(os.getpid()) not in {p.rpartition(":")[2] for p in pids}  # not in the driver
    for t in result.trials:
        assert t.value == pytest.approx((t.params["model.lr"] - 0.1) ** 2 + 0.02)


def test_pruning_works_in_ray_tasks() -> None:
    pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    result = tune.run(work.stepped, {"model.lr": tune.uniform(0.0, 1.0)}, config=work.Train(),
                      n_trials=16, workers=2, launcher="ray", pruner=pruner, seed=1)  # fmt: skip
    states = {t.state for t in result.trials}
    assert TrialState.PRUNED in states
    assert TrialState.COMPLETE in states
    assert len(result.trials) == 16
