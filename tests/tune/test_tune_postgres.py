"""``tune.run(storage=URL)`` on a real PostgreSQL server (the fixtures of ``conftest.py``):
two separate OS processes, each ``tune.run(..., storage=URL, study_name=S, n_trials=k)`` at
the same time on one study (DESIGN §12, many machines)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

import hyperparameter as hp

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

K = 8
RUN = """
import json, sys, time
from pathlib import Path
import tune_work as work
from hyperparameter import tune
url, name, seed, ready, go = sys.argv[1:6]
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.01)
result = tune.run(work.quadratic, {"model.lr": tune.loguniform(1e-4, 1.0),
                  "model.layers": tune.choice([1, 2, 4])}, config=work.Train(),
                  n_trials=int(sys.argv[6]), storage=url, study_name=name, seed=int(seed))
print(json.dumps({"mine": min(t.value for t in result.trials), "n": len(result.trials)}))
"""


def test_two_processes_tune_one_study_on_postgresql(pg_study_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    env = {
        **os.environ,
        "HYPERPARAMETER_BACKEND": hp.storage.backend(),
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    procs = []
    for seed in (1, 2):
        argv = [pg_study_url, "shared", str(seed), str(tmp_path / f"ready{seed}"), str(go), str(K)]
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", RUN, *argv],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        )
    try:
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"ready{s}").exists() for s in (1, 2)):
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            assert time.monotonic() < deadline
            time.sleep(0.01)
        go.touch()
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=180)
            assert p.returncode == 0, err
            outs.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(30)
    assert [o["n"] for o in outs] == [K, K]
    study = optuna.load_study(study_name="shared", storage=pg_study_url)
    trials = study.trials
    assert len(trials) == 2 * K
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert sorted(t.number for t in trials) == list(range(2 * K))
    assert study.best_value <= min(o["mine"] for o in outs)
