"""``tune.run`` on Optuna (DESIGN §12): trials in typed scopes, the pre-flight check, failures,
interrupts, pruning, several objectives, persistent studies that resume, worker processes."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

import optuna
import pytest
import tune_work as work
from optuna.trial import TrialState

import hyperparameter as hp
from hyperparameter import tune

pytestmark = pytest.mark.timeout(300)

SPACE = {"model.lr": tune.loguniform(1e-4, 1.0), "model.layers": tune.choice([1, 2, 4])}


@pytest.mark.parametrize("schema", [work.Train, work.PTrain], ids=["dataclass", "pydantic"])
def test_the_best_trial_gives_values_and_a_validated_config(schema: type) -> None:
    result = tune.run(work.quadratic, SPACE, config=schema(), n_trials=25, seed=0)
    assert len(result.trials) == 25
    assert all(t.state == TrialState.COMPLETE for t in result.trials)
    best = result.best_params
    assert set(best) == {"model.lr", "model.layers"}
    assert result.best_value == pytest.approx(
        (best["model.lr"] - 0.1) ** 2 + 0.01 * best["model.layers"]
    )
    assert result.best_value == min(t.value for t in result.trials)
    cfg = result.best_config
    assert isinstance(cfg, schema)
    assert cfg.model.lr == best["model.lr"]
    assert cfg.model.layers == best["model.layers"]
    assert cfg.epochs == 3  # untouched keys keep the config's values
    assert isinstance(result.study, optuna.Study)


def test_each_trial_runs_in_a_typed_scope_of_its_values() -> None:
    seen: list[tuple[str, float, float]] = []

    def objective(cfg: Any) -> float:
        seen.append((type(cfg).__name__, cfg.model.lr, hp.param_scope.model.lr()))
        with pytest.raises(hp.ConfigValidationError):
            cfg.model.layers = "many"  # writes are validated, as in any typed scope
        return cfg.model.lr

    result = tune.run(
        objective, {"model.lr": tune.uniform(0.1, 0.2)}, config=work.Train(), n_trials=4
    )
    assert [s[0] for s in seen] == ["TrainView"] * 4
    assert (
        [s[1] for s in seen]
        == [s[2] for s in seen]
        == [t.params["model.lr"] for t in result.trials]
    )
    assert hp.param_scope.model.lr | None is None  # nothing left behind


def test_an_auto_param_objective_and_its_own_keys() -> None:
    @hp.auto_param("opt")
    def objective(lr: float = 1.0, momentum: float = 0.0) -> float:
        return (lr - 0.3) ** 2 + momentum + hp.param_scope.model.layers()

    space = {"opt.lr": tune.uniform(0.0, 1.0), "opt.momentum": [0.0, 0.5], "model.layers": [1, 2]}
    result = tune.run(objective, space, config=work.Train(), n_trials=12, seed=1)
    assert result.best_params["opt.momentum"] == 0.0
    assert result.best_params["model.layers"] == 1
    assert result.best_value == pytest.approx((result.best_params["opt.lr"] - 0.3) ** 2 + 1)


def test_threads_started_with_propagate_see_the_trial_values() -> None:
    result = tune.run(
        work.in_a_thread, {"model.lr": tune.uniform(0.0, 1.0)}, config=work.Train(), n_trials=5
    )
    for t in result.trials:
        assert t.value == pytest.approx((t.params["model.lr"] - 0.1) ** 2)


def test_a_mapping_config_and_a_plain_objective() -> None:
    result = tune.run(
        lambda cfg: (cfg.x() - 2) ** 2,  # a mapping gives the dynamic handle
        {"x": tune.intrange(0, 5)},
        config={"x": 0, "y": "kept"},
        n_trials=20,
        seed=0,
    )
    assert result.best_params == {"x": 2}
    assert result.best_config == {"x": 2, "y": "kept"}


# ------------------------------------------------------------------ checked before the first trial


def test_every_bad_key_is_reported_at_once_and_no_trial_runs(tmp_path: Path) -> None:
    calls: list[int] = []
    db = tmp_path / "s.db"
    space = {
        "model.lr": tune.uniform(0.0, 1.0),  # 0.0 breaks Field(gt=0)
        "model.lrr": tune.choice([1]),  # no such key
        "model.layers": tune.intrange(0, 32),  # both bounds break ge=1, le=16
        "model.act": tune.choice(["relu", "tanh"]),  # not in the Literal
        "epochs": tune.uniform(0.5, 2.0),  # a float range on an int field
    }
    with pytest.raises(hp.ConfigValidationError) as info:
        tune.run(
            lambda cfg: calls.append(1) or 0.0,
            space,
            config=work.PTrain(),
            n_trials=5,
            storage=f"sqlite:///{db}",
            study_name="never",
        )
    errors = info.value.errors()
    by_key = {}
    for e in errors:
        by_key.setdefault(".".join(map(str, e["loc"])), []).append(e)
    assert set(by_key) == {"model.lr", "model.lrr", "model.layers", "model.act", "epochs"}
    assert len(by_key["model.layers"]) == 2
    assert all(e["source"] == f"space[{k!r}]" for k, es in by_key.items() for e in es)
    text = str(info.value)
    assert "did you mean 'model.lr'?" in text
    assert "bound 0.0 of uniform(0.0, 1.0)" in text
    assert "greater than 0" in text
    assert "choice 'tanh'" in text
    assert calls == []
    assert not db.exists() or sqlite3.connect(db).execute(
        "select count(*) from trials"
    ).fetchone() == (0,)


def test_a_space_declared_in_the_schema_names_its_field_as_source() -> None:
    space = tune.space(work.Train)
    assert set(space) == {"model.lr", "model.layers"}
    assert space["model.lr"].source == "schema Train.model.lr"
    result = tune.run(work.quadratic, config=work.Train(), n_trials=8, seed=0)
    assert set(result.best_params) == {"model.lr", "model.layers"}

    # the same declarations against a schema whose constraints they break
    bad = {k: d for k, d in tune.space(work.Train).items()} | {
        "model.layers": tune.choice([0, 2]).at("schema Train.model.layers")
    }
    with pytest.raises(
        hp.ConfigValidationError, match=r"schema Train\.model\.layers: model\.layers: choice 0"
    ):
        tune.run(work.quadratic, bad, config=work.PTrain(), n_trials=1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: tune.uniform(1.0, 0.0), "must not exceed"),
        (lambda: tune.loguniform(0.0, 1.0), "low > 0"),
        (lambda: tune.intrange(1, 5, step=0), "step must be >= 1"),
        (lambda: tune.intrange(1.5, 5), "must be an int"),  # type: ignore[arg-type]
        (lambda: tune.choice([]), "at least one"),
        (lambda: tune.choice("abc"), "a list of values"),
    ],
)
def test_a_malformed_dimension_is_refused_where_it_is_made(make: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        make()


# ----------------------------------------------------------------- failures, interrupts, pruning


def test_failed_trials_are_recorded_and_the_study_goes_on() -> None:
    def objective(cfg: Any) -> float:
        if cfg.model.layers == 4:
            raise RuntimeError("diverged")
        return float(cfg.model.layers)

    result = tune.run(
        objective, {"model.layers": [1, 2, 4]}, config=work.Train(), n_trials=15, seed=3
    )
    failed = [t for t in result.trials if t.state == TrialState.FAIL]
    assert failed
    assert all(t.params["model.layers"] == 4 for t in failed)
    assert all(t.user_attrs["error"] == "RuntimeError: diverged" for t in failed)
    assert "diverged" in failed[0].user_attrs["traceback"]
    assert result.best_params == {"model.layers": 1}


def test_when_every_trial_fails_the_error_says_so() -> None:
    def objective(cfg: Any) -> float:
        raise ValueError(f"bad lr {cfg.model.lr}")

    with pytest.raises(
        hp.HyperparameterError,
        match=r"every trial .* failed \(3 of 3\); trial 0: ValueError: bad lr",
    ):
        tune.run(objective, SPACE, config=work.Train(), n_trials=3)


def test_keyboard_interrupt_stops_the_study_and_keeps_finished_trials() -> None:
    def objective(cfg: Any) -> float:
        trial = tune.current_trial()
        assert trial is not None
        if trial.number == 3:
            raise KeyboardInterrupt
        return cfg.model.lr

    result = tune.run(objective, SPACE, config=work.Train(), n_trials=50)
    assert result.interrupted
    states = [t.state for t in result.trials]
    assert states[:3] == [TrialState.COMPLETE] * 3
    assert len(states) == 4
    assert states[3] == TrialState.FAIL
    assert not math.isnan(result.best_value)


def test_report_prunes_with_the_studys_pruner() -> None:
    pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)
    result = tune.run(
        work.stepped,
        {"model.lr": tune.uniform(0.0, 1.0)},
        config=work.Train(),
        n_trials=30,
        pruner=pruner,
        seed=0,
    )
    pruned = [t for t in result.trials if t.state == TrialState.PRUNED]
    assert pruned
    assert all(len(t.intermediate_values) < 10 for t in pruned)
    with pytest.raises(RuntimeError, match="outside a trial"):
        tune.report(1.0, 0)


def test_several_directions_give_a_pareto_front() -> None:
    result = tune.run(
        lambda cfg: (cfg.model.lr, 1 / cfg.model.lr),
        {"model.lr": tune.uniform(0.1, 1.0)},
        config=work.Train(),
        n_trials=10,
        direction=["minimize", "minimize"],
    )
    assert len(result.study.directions) == 2
    assert result.best_trials
    with pytest.raises(hp.HyperparameterError, match="Pareto"):
        _ = result.best_value


def test_the_objective_must_return_numbers() -> None:
    with pytest.raises(hp.HyperparameterError, match="must return a number"):
        tune.run(lambda cfg: "low", SPACE, config=work.Train(), n_trials=2)


# --------------------------------------------------------------------------- storage and scale


def test_a_named_study_on_sqlite_resumes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    first = tune.run(
        work.quadratic, SPACE, config=work.Train(), n_trials=5, storage=url, study_name="s", seed=0
    )
    again = tune.run(
        work.quadratic, SPACE, config=work.Train(), n_trials=4, storage=url, study_name="s", seed=1
    )
    assert len(first.trials) == 5
    assert len(again.trials) == 4
    assert [t.number for t in again.study.trials] == list(range(9))
    assert again.best_value <= first.best_value
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 9


CTRL_C = """
import sys
sys.path.insert(0, {tests!r})
import tune_work as work
from hyperparameter import tune

if __name__ == "__main__":
    space = {{"model.lr": tune.loguniform(1e-4, 1.0)}}
    result = tune.run(work.slow, space, config=work.Train(), n_trials=200, workers=2,
                      storage={url!r}, study_name="ctrl-c", progress=False)
    print("interrupted", result.interrupted, len(result.trials), flush=True)
"""


def test_ctrl_c_stops_every_worker_and_keeps_the_finished_trials(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    url = f"sqlite:///{tmp_path / 'c.db'}"
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C.format(tests=str(Path(work.__file__).parent), url=url))
    started = tmp_path / "started"
    started.mkdir()
    env = {**os.environ, "HP_TEST_STARTED": str(started)}
    # its own process group, as a terminal's foreground job: Ctrl-C reaches every process
    proc = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while len(os.listdir(started)) < 6 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, err
    words = out.split()
    assert words[:2] == ["interrupted", "True"], out
    study = optuna.load_study(study_name="ctrl-c", storage=url)
    states = [t.state for t in study.trials]
    assert int(words[2]) == len(states) < 200
    assert states.count(TrialState.COMPLETE) >= 2  # kept
    assert TrialState.RUNNING not in states  # each trial cut short is marked
    cut = [t for t in study.trials if t.state == TrialState.FAIL]
    assert cut
    assert all(t.user_attrs["error"].startswith("interrupted (KeyboardInterrupt)") for t in cut)
    assert "Traceback" not in err  # the workers stop quietly
    with pytest.raises(ProcessLookupError):  # no worker left behind
        os.killpg(proc.pid, 0)


def test_a_resumed_study_refuses_a_space_optuna_cannot_continue_before_any_trial(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    tune.run(work.quadratic, SPACE, config=work.Train(), n_trials=3, storage=url, study_name="s")
    wider = {"model.lr": tune.loguniform(1e-5, 1.0), "model.layers": tune.choice([1, 2, 4])}
    again = tune.run(  # wider bounds: Optuna continues the study with them
        work.quadratic, wider, config=work.Train(), n_trials=2, storage=url, study_name="s"
    )
    assert len(again.trials) == 2
    ran: list[float] = []

    def objective(cfg: Any) -> float:
        ran.append(cfg.model.lr)
        return 0.0

    changed = {"model.lr": tune.choice([0.1, 0.2]), "model.layers": tune.choice([1, 2, 8])}
    with pytest.raises(hp.HyperparameterError) as info:
        tune.run(objective, changed, config=work.Train(), n_trials=2, storage=url, study_name="s")
    lines = str(info.value).splitlines()
    assert lines[0].startswith("study 's' cannot go on with this space")
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "model.lr (space['model.lr'])",
        "model.layers (space['model.layers'])",
    ]
    assert "different distribution kind" in lines[1]
    assert "choices=(1, 2, 4)" in lines[2]
    assert "dynamic value space" in lines[2]
    assert ran == []
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 5


def test_workers_share_one_study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(work.RENDEZVOUS, str(tmp_path))  # each worker runs a trial
    result = tune.run(work.quadratic, SPACE, config=work.PTrain(), n_trials=12, workers=2, seed=0)
    numbers = [t.number for t in result.trials]
    assert sorted(numbers) == list(range(12))
    assert all(t.state == TrialState.COMPLETE for t in result.trials)
    workers = {t.user_attrs["hp_worker"] for t in result.trials}
    assert len(workers) == 2  # two processes ran them
    assert isinstance(result.best_config, work.PTrain)


def test_a_worker_that_dies_fails_its_trial_and_the_others_finish(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    result = tune.run(
        work.dies_on_third,
        SPACE,
        config=work.Train(),
        n_trials=10,
        workers=2,
        storage=url,
        study_name="dies",
    )
    by_number = {t.number: t for t in result.trials}
    assert by_number[2].state == TrialState.FAIL
    assert "died (exit code 7)" in by_number[2].user_attrs["error"]
    done = [t for t in result.trials if t.state == TrialState.COMPLETE]
    assert len(result.trials) == 10  # the survivor ran the rest of the count
    assert len(done) == 9
    assert not [t for t in result.trials if t.state == TrialState.RUNNING]


@pytest.mark.parametrize(("workers", "n_trials"), [(3, 7), (4, 2)])
def test_workers_run_exactly_n_trials_between_them(workers: int, n_trials: int) -> None:
    result = tune.run(
        work.quadratic, SPACE, config=work.PTrain(), n_trials=n_trials, workers=workers, seed=1
    )
    assert sorted(t.number for t in result.trials) == list(range(n_trials))
    assert all(t.state == TrialState.COMPLETE for t in result.trials)
    assert len({t.user_attrs["hp_worker"] for t in result.trials}) <= min(workers, n_trials)


# ------------------------------------------------------------------------------- grid sweeps


def test_without_a_budget_choices_and_ranges_run_as_the_full_grid() -> None:
    seen: list[tuple[int, str]] = []

    def objective(cfg: Any) -> float:
        seen.append((cfg.model.layers, cfg.model.act))
        tune.report(1.0, 0)  # nothing to prune in a grid
        if cfg.model.layers == 8:
            raise RuntimeError("too deep")
        return cfg.model.layers + (0.5 if cfg.model.act == "gelu" else 0.0)

    space = {"model.layers": tune.intrange(2, 8, step=2), "model.act": ["relu", "gelu"]}
    result = tune.run(objective, space, config=work.PTrain())
    assert seen == [(n, a) for n in (2, 4, 6, 8) for a in ("relu", "gelu")]
    assert [t.number for t in result.trials] == list(range(8))
    assert [t.params for t in result.trials] == [
        {"model.layers": n, "model.act": a} for n, a in seen
    ]
    failed = [t for t in result.trials if t.state == TrialState.FAIL]
    assert [t.params["model.layers"] for t in failed] == [8, 8]
    assert failed[0].user_attrs["error"] == "RuntimeError: too deep"
    assert result.best_params == {"model.layers": 2, "model.act": "relu"}
    assert result.best_config.model.layers == 2
    with pytest.raises(ValueError, match="grid sweep runs in this process"):
        tune.run(objective, space, config=work.PTrain(), workers=2)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_a_grid_in_memory_gives_its_best_from_the_points_as_the_study_would(
    direction: str,
) -> None:
    def objective(cfg: Any) -> float:
        if cfg.model.act == "gelu":
            raise RuntimeError("no gelu")
        return float(cfg.model.layers % 3)  # ties: 1 and 4 give 1.0, 2 and 5 give 2.0

    space = {"model.layers": tune.intrange(1, 5), "model.act": ["relu", "gelu"]}
    result = tune.run(objective, space, config=work.PTrain(), direction=direction)  # type: ignore[arg-type]
    assert result._study is None  # nothing written yet: the best comes from the points
    early = (result.best_value, result.best_params, result.best_config.model.layers)
    best = (
        (2.0, {"model.layers": 2, "model.act": "relu"})
        if direction == "maximize"
        else (
            0.0,
            {"model.layers": 3, "model.act": "relu"},
        )
    )
    assert early[:2] == best
    study = result.study  # written now, once; the same answer from Optuna's own best trial
    assert result.study is study
    assert (study.best_value, result.params_of(study.best_trial)) == best
    assert (result.best_value, result.best_params, result.best_config.model.layers) == early
    assert [t.state for t in result.trials].count(TrialState.FAIL) == 5


def test_a_grid_with_a_storage_is_in_it_when_run_returns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    space = {"model.layers": tune.intrange(1, 3)}
    result = tune.run(work.quadratic, space, config=work.PTrain(), storage=url, study_name="g")
    assert result._study is not None
    stored = optuna.load_study(study_name="g", storage=url)
    assert [t.params for t in stored.trials] == [{"model.layers": n} for n in (1, 2, 3)]
    assert stored.best_value == result.best_value


def test_a_grid_whose_every_point_fails_says_so_without_a_storage() -> None:
    def objective(cfg: Any) -> float:
        raise RuntimeError(f"broken at {cfg.model.layers}")

    with pytest.raises(
        hp.HyperparameterError, match=r"every trial .* failed \(2 of 2\).*broken at 1"
    ):
        tune.run(objective, {"model.layers": [1, 2]}, config=work.PTrain())


def test_a_bad_storage_fails_before_a_grid_runs(tmp_path: Path) -> None:
    ran: list[int] = []

    def objective(cfg: Any) -> float:
        ran.append(cfg.model.layers)
        return 0.0

    with pytest.raises(
        tune.StorageError,
        match=r"cannot open storage sqlite:///.*/missing/dir/grid.db: .*unable to open database",
    ):
        tune.run(
            objective,
            {"model.layers": [1, 2]},
            config=work.PTrain(),
            storage=f"sqlite:///{tmp_path}/missing/dir/grid.db",
        )
    assert ran == []
