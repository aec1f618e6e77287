"""What a tuning run leaves: the best config written with its tuned keys marked, the HTML
report, the progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tune_work as work

import hyperparameter as hp
from hyperparameter import tune

pytestmark = pytest.mark.timeout(300)

SPACE = {"model.lr": tune.loguniform(1e-4, 1.0), "model.layers": tune.choice([1, 2, 4])}


@pytest.fixture(scope="module")
def result() -> tune.Result:
    return tune.run(work.quadratic, SPACE, config=work.Train(), n_trials=20, seed=0,
                    study_name="marks")  # fmt: skip


@pytest.mark.parametrize("suffix", [".yaml", ".toml", ".json"])
def test_dump_best_loads_back_as_the_best_config(
    result: tune.Result, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"best{suffix}"
    text = result.dump_best(path)
    assert path.read_text() == text
    assert hp.load(path, schema=work.Train) == result.best_config
    mark = f"# tuned: trial {result.best_trial.number} of study 'marks'"
    marked = [line for line in text.splitlines() if mark in line]
    if suffix == ".json":
        assert marked == []  # JSON has no comments
    else:
        assert len(marked) == 2
        assert any("lr" in line for line in marked)
        assert any("layers" in line for line in marked)
        assert not any("epochs" in line and mark in line for line in text.splitlines())


def test_plot_writes_a_self_contained_report(result: tune.Result, tmp_path: Path) -> None:
    path = result.plot(tmp_path / "report.html")
    page = Path(path).read_text()
    for title in ("Optimization history", "Parameter importances", "Parallel coordinates",
                  "Slices"):  # fmt: skip
        assert f"<h2>{title}</h2>" in page
    assert "Plotly.newPlot" in page
    assert "<script src=" not in page.split("Plotly.newPlot")[0][-200:]
    assert f"Best value <b>{result.best_value:.6g}</b>" in page
    best, every = page.split("<h2>Best trials</h2>")[1].split("<details>")
    assert best.count("<tr") == 11  # the header and the best 10, best first
    first = best.split("<tr")[2]
    assert first.startswith(f" class=best><td class=num>{result.best_trial.number}</td>")
    assert "<summary>All 20 trials, by number</summary>" in every
    assert every.count("<tr") == 21  # the header and the 20 trials
    assert tune.report.__module__ == "hyperparameter.tune.trial"  # no submodule shadows it


def test_the_report_ranks_pruned_and_failed_trials_after_the_complete_ones(
    tmp_path: Path,
) -> None:
    def objective(cfg: Any) -> float:
        trial = tune.current_trial()
        assert trial is not None
        if trial.number == 1:
            raise RuntimeError("diverged <badly>")
        for step in range(3):
            tune.report(10.0 - trial.number if trial.number == 2 else 0.0, step)
            if trial.number == 2:
                raise tune.TrialPruned()
        return float(trial.number)

    result = tune.run(objective, SPACE, config=work.Train(), n_trials=4, seed=0)
    page = Path(result.plot(tmp_path / "report.html")).read_text()
    assert "<h2>Trials</h2>" in page  # few trials: one table
    assert "<details>" not in page
    table = page.split("<h2>Trials</h2>")[1].split("</table>")[0]
    rows = table.split("<tr")[2:]
    assert [r.split("<td class=num>")[1].split("<")[0] for r in rows] == ["0", "3", "2", "1"]
    assert "<td class=pruned>pruned</td><td class=num>8<span class=note>at step 0</span>" in rows[2]
    assert "<td class=fail>fail</td>" in rows[3]
    assert "RuntimeError: diverged &lt;badly&gt;</td>" in rows[3]


def test_the_report_of_a_grid_and_of_several_directions(tmp_path: Path) -> None:
    grid = tune.run(work.quadratic, {"model.layers": [1, 2, 4]}, config=work.Train())
    page = Path(grid.plot(tmp_path / "grid.html")).read_text()
    assert "<h2>Optimization history</h2>" in page
    pareto = tune.run(
        lambda cfg: (cfg.model.lr, cfg.model.layers),
        SPACE,
        config=work.Train(),
        n_trials=6,
        seed=0,
        direction=["minimize", "maximize"],
    )
    page = Path(pareto.plot(tmp_path / "pareto.html")).read_text()
    assert "<h2>Pareto front</h2>" in page
    assert "Best value" not in page


def test_the_progress_bar_shows_trials_and_the_best_value(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tune.run(work.quadratic, SPACE, config=work.Train(), n_trials=5, progress="always",
             study_name="bar")  # fmt: skip
    err = capsys.readouterr().err
    assert "study bar" in err
    assert "5/5" in err
    assert "best=" in err
    tune.run(work.quadratic, SPACE, config=work.Train(), n_trials=3)  # not a terminal: no bar
    assert "study" not in capsys.readouterr().err
