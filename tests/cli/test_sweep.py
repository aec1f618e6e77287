"""``-m/--multirun`` and ``--sweep FILE`` on a launched function (DESIGN §12): the grid for
choices and ranges, Optuna for intervals or ``--n-trials``; errors before the first trial,
each with its source; the summary, ``--dump-best``, a named study on SQLite, workers."""

from __future__ import annotations

from pathlib import Path

import pytest
import tune_work as work
from optuna.trial import TrialState

import hyperparameter as hp

pytestmark = pytest.mark.timeout(300)


def test_choices_and_ranges_run_the_grid(capsys: pytest.CaptureFixture[str]) -> None:
    result = hp.launch(
        work.train, argv=["-m", "train.layers=1,2,4", "-m", "train.act=choice(relu, gelu)",
                          "--lr", "0.05"],
    )  # fmt: skip
    assert len(result.trials) == 6
    assert [t.params for t in result.trials][:2] == [
        {"train.layers": 1, "train.act": "relu"},
        {"train.layers": 1, "train.act": "gelu"},
    ]
    assert result.best_params == {"train.layers": 1, "train.act": "relu"}
    assert result.best_value == pytest.approx((0.05 - 0.03) ** 2 + 0.01)  # --lr was kept
    text = capsys.readouterr().out
    assert "6 trials, 6 complete; best value" in text
    lines = text.splitlines()
    assert lines[1].split() == ["trial", "state", "value", "train.layers", "train.act"]
    assert lines[3].split()[:3] == ["0", "complete", f"{result.best_value:.6g}"]


def test_an_interval_samples_with_optuna_and_dump_best_marks_the_tuned_keys(
    tmp_path: Path,
) -> None:
    best = tmp_path / "best.yaml"
    result = hp.launch(
        work.train,
        argv=["-m", "train.lr=tag(log, interval(1e-3, 1))", "-m", "train.layers=range(1,3)",
              "--n-trials", "12", "--dump-best", str(best)],
    )  # fmt: skip
    assert len(result.trials) == 12
    assert {t.params["train.layers"] for t in result.trials} <= {1, 2}
    assert all(1e-3 <= t.params["train.lr"] <= 1 for t in result.trials)
    text = best.read_text()
    mark = f"# tuned: trial {result.best_trial.number} of study"
    assert sum(mark in line for line in text.splitlines()) == 2
    loaded = hp.load(best)
    assert loaded["train"]["lr"] == result.best_params["train.lr"]
    assert loaded["train"]["act"] == "relu"


@pytest.mark.parametrize("expr", ["interval(0.0, 0.1)", "tag(int, interval(1, 4))"])
def test_an_interval_without_a_budget_asks_for_one(
    expr: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        hp.launch(work.train, argv=["-m", f"train.lr={expr}", "-m", "train.layers=1,2"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "train.lr: an interval samples with Optuna: give --n-trials N" in err
    assert "Traceback" not in err


def test_an_int_interval_samples_where_the_same_range_runs_the_grid() -> None:
    sampled = hp.launch(
        work.train, argv=["-m", "train.layers=tag(int, interval(1, 8))", "--n-trials", "3"]
    )
    assert len(sampled.trials) == 3  # three samples of 1..8, not the 8 points
    assert not any(t.user_attrs.get("hp_grid_point") for t in sampled.trials)
    grid = hp.launch(work.train, argv=["-m", "train.layers=range(1, 9)"])
    assert [t.params["train.layers"] for t in grid.trials] == list(range(1, 9))
    assert all(t.user_attrs["hp_grid_point"] for t in grid.trials)


def test_every_bad_sweep_is_reported_before_the_first_trial(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        hp.launch(
            work.train,
            argv=["-m", "train.lrr=1,2", "-m", "train.layers=a,b", "-m", "train.lr=interval(1)",
                  "--n-trials", "3"],
        )  # fmt: skip
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "-m train.lr=interval(1): interval() takes 2 bounds, got 1" in err
    with pytest.raises(SystemExit):
        hp.launch(work.train, argv=["-m", "train.lrr=1,2", "-m", "train.layers=a,b"])
    err = capsys.readouterr().err
    assert "-m train.lrr=1,2: train.lrr: unknown key" in err
    assert "did you mean 'train.lr'?" in err
    assert "-m train.layers=a,b: train.layers: choice 'a': not a number" in err
    assert "choice 'b'" in err


def test_a_sweep_file_with_a_schema_and_a_named_study_that_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "t.db"
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        "study: {name: lr-search, direction: minimize, n_trials: 4, storage: "
        f'"sqlite:///{db}", seed: 0}}\n'
        "params:\n"
        "  model.lr: tag(log, interval(1e-4, 1e-1))\n"
        "  model.layers: choice(1, 2, 32)\n"
    )
    argv = ["--schema", "tune_work:PTrain", "--sweep", str(sweep), "abc"]
    with pytest.raises(SystemExit):  # 32 breaks PModel.layers (le=16): found before a trial
        hp.launch(work.fit, argv=argv)
    err = capsys.readouterr().err
    assert f"{sweep}:4:17: model.layers: choice 32: Input should be less than or equal to 16" in err
    assert (
        not db.exists()
        or db.stat().st_size == 0
        or "lr-search" not in db.read_bytes().decode("latin-1")
    )
    sweep.write_text(sweep.read_text().replace("32", "4"))
    first = hp.launch(work.fit, argv=argv)
    again = hp.launch(work.fit, argv=[*argv, "--n-trials", "3"])
    assert len(first.trials) == 4
    assert len(again.trials) == 3
    assert [t.number for t in again.study.trials] == list(range(7))
    assert all(t.state == TrialState.COMPLETE for t in again.study.trials)
    assert again.best_value == pytest.approx(3 + 0.5 + again.best_params["model.lr"])


def test_workers_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "met").mkdir()
    monkeypatch.setenv(work.RENDEZVOUS, str(tmp_path / "met"))  # each worker runs a trial
    result = hp.launch(
        work.train,
        argv=["-m", "train.lr=interval(0.0, 0.1)", "--n-trials", "6", "--workers", "2",
              "--storage", f"sqlite:///{tmp_path / 'w.db'}", "--study-name", "w"],
    )  # fmt: skip
    assert sorted(t.number for t in result.trials) == list(range(6))
    assert len({t.user_attrs["hp_worker"] for t in result.trials}) == 2


def test_the_summary_on_a_terminal_is_a_rich_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hyperparameter.cli.sweep.terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "120")
    result = hp.launch(work.train, argv=["-m", "train.layers=1,2,4", "--lr", "0.05"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        f"study {result.study.study_name}: 3 trials, 3 complete; best value "
        f"{result.best_value:.6g} (trial 0)"
    )
    rows = [[c.strip() for c in line.strip("│").split("│")] for line in lines if "│" in line]
    assert [r[0] for r in rows] == ["0", "1", "2"]  # best first: fewer layers cost less
    assert rows[0][1:] == ["complete", f"{result.best_value:.6g}", "1"]
