"""Optuna's RDB storage on a real PostgreSQL server (the fixtures of ``conftest.py``): a study
outlives the process that ran it, and two processes optimizing one study at once share it
without losing or doubling a trial."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import optuna
import psycopg
import pytest
from optuna.samplers import RandomSampler
from optuna.trial import FrozenTrial, TrialState
from subproc import run_python

from .conftest import conninfo

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]

STUDY = "quadratic"


def quadratic(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


LOAD = """
import json, sys
import optuna
study = optuna.load_study(study_name=sys.argv[2], storage=sys.argv[1])
print(json.dumps([[t.number, t.state.name, t.value, t.params] for t in study.trials]))
"""

# argv: url, study, seed, ready file, go file. Ready once the study is loaded; then waits for
# the go file, so both workers optimize at the same time (each trial takes 50 ms at least).
WORKER = """
import os, sys, time
from pathlib import Path
import optuna
url, name, seed, ready, go = sys.argv[1:6]
sampler = optuna.samplers.RandomSampler(seed=int(seed))
study = optuna.load_study(study_name=name, storage=url, sampler=sampler)
Path(ready).touch()
deadline = time.monotonic() + 60
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit("no go signal in 60 s")
    time.sleep(0.01)

def objective(trial):
    trial.set_user_attr("pid", os.getpid())
    time.sleep(0.05)
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2

study.optimize(objective, n_trials=10)
"""


def test_each_test_has_a_database_of_its_own(pg_study_url: str, postgres_url: str) -> None:
    assert pg_study_url != postgres_url
    with psycopg.connect(conninfo(pg_study_url), connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT current_database(), count(*) FROM information_schema.tables"
            " WHERE table_schema = 'public'"
        ).fetchone()
    assert row is not None
    assert str(row[0]).startswith("hp_t_")
    assert row[1] == 0  # empty: Optuna has not made its tables here yet
    assert optuna.get_all_study_names(storage=pg_study_url) == []


def test_a_study_outlives_its_process(pg_study_url: str) -> None:
    study = optuna.create_study(
        storage=pg_study_url, study_name=STUDY, sampler=RandomSampler(seed=0)
    )
    study.optimize(quadratic, n_trials=5)
    here = [[t.number, t.state.name, t.value, t.params] for t in study.trials]

    done = run_python(LOAD, pg_study_url, STUDY, timeout=120)
    assert done.returncode == 0, done.stderr
    there = json.loads(done.stdout)
    assert [(number, state) for number, state, _, _ in there] == [(n, "COMPLETE") for n in range(5)]
    assert there == here
    # The storage changed nothing: the same seed in memory samples and scores the same.
    memory = optuna.create_study(sampler=RandomSampler(seed=0))
    memory.optimize(quadratic, n_trials=5)
    assert [[t.value, t.params] for t in memory.trials] == [[v, p] for _, _, v, p in there]


def test_two_processes_optimize_one_study_at_once(pg_study_url: str, tmp_path: Path) -> None:
    optuna.create_study(storage=pg_study_url, study_name=STUDY)
    go = tmp_path / "go"
    workers: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for seed in (1, 2):
            log = (tmp_path / f"worker{seed}.log").open("wb")
            logs.append(log)
            argv = [pg_study_url, STUDY, str(seed), str(tmp_path / f"ready{seed}"), str(go)]
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-c", WORKER, *argv],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"ready{seed}").exists() for seed in (1, 2)):
            dead = [w.args for w in workers if w.poll() is not None]
            assert not dead, f"a worker ended before it was ready: {_logs(tmp_path)}"
            assert time.monotonic() < deadline, "the workers were not ready in 120 s"
            time.sleep(0.01)
        go.touch()
        for worker in workers:
            assert worker.wait(timeout=120) == 0, _logs(tmp_path)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=30)
        for log in logs:
            log.close()

    trials = optuna.load_study(study_name=STUDY, storage=pg_study_url).trials
    assert len(trials) == 20
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert sorted(t.number for t in trials) == list(range(20))
    by_pid = Counter(t.user_attrs["pid"] for t in trials)
    assert by_pid == {worker.pid: 10 for worker in workers}
    # At once: each worker's first trial started before the other's last one ended.
    (a_first, a_last), (b_first, b_last) = (_span(trials, worker.pid) for worker in workers)
    assert a_first < b_last
    assert b_first < a_last


def _span(trials: list[FrozenTrial], pid: int) -> tuple[datetime, datetime]:
    """When the first trial of process ``pid`` started, and its last one ended."""
    starts = [t.datetime_start for t in trials if t.user_attrs["pid"] == pid]
    ends = [t.datetime_complete for t in trials if t.user_attrs["pid"] == pid]
    assert None not in starts
    assert None not in ends
    return min(filter(None, starts)), max(filter(None, ends))


def _logs(folder: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()}" for p in sorted(folder.glob("*.log")))
