"""``hp tune show`` (DESIGN §12): a stored study's trials as a table, best first, with the
failed trials' errors; ``--plot``; the storage's only study by default; one-line errors for a
missing study, several studies, a bad storage. And ``hp explain`` on a config written by
``Result.dump_best``: a tuned key names its study and trial."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path
from typing import Any

import optuna
import pytest
import tune_work as work
from optuna.trial import TrialState

from hyperparameter import cli, tune
from hyperparameter.cli.resolve import trailing_comment

pytestmark = pytest.mark.timeout(300)

SPACE = {"model.lr": tune.loguniform(1e-4, 1.0), "model.layers": tune.choice([1, 2, 4])}


def deep_fails(cfg: Any) -> float:
    """Fails for four layers, with a long message over two lines."""
    if cfg.model.layers == 4:
        raise RuntimeError("four layers are too deep for this model\n" + "and more " * 20)
    return work.quadratic(cfg)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[tune.Result, Path]:
    """A study of 12 trials on SQLite, some of them failed."""
    db = tmp_path_factory.mktemp("show") / "study.db"
    url = f"sqlite:///{db}"
    result = tune.run(deep_fails, SPACE, config=work.Train(), n_trials=12, seed=0, storage=url,
                      study_name="lr-search", progress=False)  # fmt: skip
    states = {t.state for t in result.trials}
    assert states == {TrialState.COMPLETE, TrialState.FAIL}, states  # the seed gives both
    return result, db


def hp_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _fmt(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def test_the_trials_best_first_with_values_params_and_errors(
    stored: tuple[tune.Result, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    result, db = stored
    url = f"sqlite:///{db}"
    code, out, err = hp_main(capsys, "tune", "show", "--storage", url, "--study-name", "lr-search")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    trials = result.study.trials
    done = sorted((t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: t.value)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    best = result.best_trial
    assert lines[0] == (
        f"study lr-search: 12 trials, {len(done)} complete, {len(failed)} failed; "
        f"best value {result.best_value:.6g} (trial {best.number})"
    )
    assert lines[1].split() == ["trial", "state", "value", "model.lr", "model.layers", "error"]
    assert set(lines[2]) == {"-", " "}
    rows = [line.split(None, 5) for line in lines[3:15]]
    assert [int(r[0]) for r in rows] == [t.number for t in [*done, *failed]]  # best first
    assert rows[0][:5] == [
        str(best.number), "complete", f"{best.value:.6g}",
        _fmt(best.params["model.lr"]), str(best.params["model.layers"]),
    ]  # fmt: skip
    for row, t in zip(rows, [*done, *failed], strict=True):
        assert row[2] == ("-" if t.value is None else f"{t.value:.6g}")
        assert row[3:5] == [_fmt(t.params["model.lr"]), str(t.params["model.layers"])]
    for row in rows[len(done) :]:
        assert row[1:3] == ["fail", "-"]
        assert row[4] == "4"
        # the objective's exception on one line, shortened
        assert row[5].startswith("RuntimeError: four layers are too deep for this model and")
        assert row[5].endswith("...")
        assert len(row[5]) == 60
    assert all(row[5] == "-" for row in rows[: len(done)])
    assert lines[15:] == [f"open the storage in optuna-dashboard: optuna-dashboard {url}"]


def test_the_storage_s_only_study_is_the_default_and_limit(
    stored: tuple[tune.Result, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, db = stored
    url = f"sqlite:///{db}"
    named = hp_main(capsys, "tune", "show", "--storage", url, "--study-name", "lr-search")
    assert hp_main(capsys, "tune", "show", "--storage", url) == named
    code, out, _ = hp_main(capsys, "tune", "show", "--storage", url, "--limit", "2")
    assert code == 0
    lines, every = out.splitlines(), named[1].splitlines()
    assert lines[0] == every[0]  # the counts are the study's
    assert lines[1].split() == ["trial", "state", "value", "model.lr", "model.layers"]
    assert [r.split() for r in lines[3:5]] == [r.split()[:5] for r in every[3:5]]
    assert lines[5:] == ["(10 more)", every[-1]]  # no failed trial shown: no error column
    code, out, _ = hp_main(capsys, "tune", "show", "--storage", url, "--limit", "0")
    assert (code, out) == (0, named[1])  # 0: every trial (12 < the default 20)
    code, _, err = hp_main(capsys, "tune", "show", "--storage", url, "--limit", "-1")
    assert (code, err) == (
        2,
        "hp tune show: error: argument --limit: expected 0 (every trial) or more, got -1\n",
    )


def test_plot_writes_the_html_report(
    stored: tuple[tune.Result, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result, db = stored
    report = tmp_path / "report.html"
    code, out, err = hp_main(
        capsys, "tune", "show", "--storage", f"sqlite:///{db}", "--plot", str(report)
    )
    assert (code, err) == (0, "")
    assert f"report written to {report}" in out.splitlines()
    page = report.read_text()
    assert "<title>Study lr-search</title>" in page
    for title in ("Optimization history", "Parallel coordinates", "Slices"):
        assert f"<h2>{title}</h2>" in page
    assert "Plotly.newPlot" in page  # plotly's figures, with plotly.js inlined
    assert f"Best value <b>{result.best_value:.6g}</b> at trial {result.best_trial.number}" in page
    # the best 10 (a header and 10 rows), then all 12 by number (a header and 12 rows)
    assert "The best 10 of 12 trials" in page
    assert page.count("<tr") == 11 + 13


def test_on_a_terminal_the_table_is_drawn_by_rich(
    stored: tuple[tune.Result, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result, db = stored
    monkeypatch.setattr("hyperparameter.cli.tune_show.terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "160")
    code, out, err = hp_main(capsys, "tune", "show", "--storage", f"sqlite:///{db}")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("study lr-search: 12 trials, ")
    assert any(line.startswith("┏") for line in lines)  # rich's box, not the dashed line
    head = next(line for line in lines if "trial" in line and "┃" in line)
    assert [c.strip() for c in head.strip("┃").split("┃")][:3] == ["trial", "state", "value"]
    best = result.best_trial
    rows = [[c.strip() for c in line.strip("│").split("│")] for line in lines if "│" in line]
    assert rows[0][:3] == [str(best.number), "complete", f"{best.value:.6g}"]
    failed = [r for r in rows if r[1] == "fail"]
    assert failed
    assert all(r[-1].startswith("RuntimeError") for r in failed)


def _error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = hp_main(capsys, "tune", "show", *args)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1, err  # one line, no traceback
    assert err.startswith("hp tune show: error: ")
    assert "Traceback" not in err
    return err.removeprefix("hp tune show: error: ").rstrip("\n")


def test_several_studies_are_listed_and_one_is_chosen_by_name(
    stored: tuple[tune.Result, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, db = stored
    copy = tmp_path / "two.db"
    shutil.copy(db, copy)
    url = f"sqlite:///{copy}"
    optuna.create_study(storage=url, study_name="another")
    assert _error(capsys, "--storage", url) == (
        f"storage {url} holds 2 studies ('another', 'lr-search'): choose one with --study-name"
    )
    code, out, _ = hp_main(capsys, "tune", "show", "--storage", url, "--study-name", "another")
    assert code == 0
    assert out.splitlines()[0] == "study another: 0 trials, 0 complete"
    # a journal file: the dashboard opens it by its path
    log = tmp_path / "j.log"
    journal = f"journal://{log}"
    tune.run(work.quadratic, SPACE, config=work.Train(), n_trials=3, seed=1, storage=journal,
             study_name="j", progress=False)  # fmt: skip
    code, out, _ = hp_main(capsys, "tune", "show", "--storage", journal)
    assert code == 0
    assert out.splitlines()[0].startswith("study j: 3 trials, 3 complete; best value ")
    assert out.splitlines()[-1] == (
        f"open the storage in optuna-dashboard: optuna-dashboard {shlex.quote(str(log))}"
    )


def test_a_missing_study_or_a_bad_storage_is_one_line(
    stored: tuple[tune.Result, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, db = stored
    url = f"sqlite:///{db}"
    assert _error(capsys, "--storage", url, "--study-name", "lr-serch") == (
        f"no study 'lr-serch' in storage {url}; did you mean 'lr-search'?"
    )
    assert _error(capsys, "--storage", url, "--study-name", "zzz") == (
        f"no study 'zzz' in storage {url}; its studies: 'lr-search'"
    )
    missing = tmp_path / "missing.db"
    assert _error(capsys, "--storage", f"sqlite:///{missing}") == (
        f"{missing}: no such file (storage sqlite:///{missing})"
    )
    assert not missing.exists()  # showing a study creates no storage
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    assert _error(capsys, "--storage", f"sqlite:///{text}") == (
        f"{text}: not a SQLite database (storage sqlite:///{text})"
    )
    assert "not a storage URL" in _error(capsys, "--storage", "nonsense")
    assert _error(capsys, "--storage", str(db)).endswith(f"; did you mean sqlite:///{db}?")
    assert _error(capsys, "--storage", f"journal://{tmp_path}/none.log") == (
        f"{tmp_path}/none.log: no such file (storage journal://{tmp_path}/none.log)"
    )
    # a server that is not there: the driver's reason, the password masked
    err = _error(capsys, "--storage", "postgresql://me:secret@127.0.0.1:1/db")
    assert err.startswith("cannot open storage postgresql://me:***@127.0.0.1:1/db: ")
    assert "secret" not in err
    assert _error(capsys, "--storage", "nope+x://host/db").startswith(
        "cannot open storage nope+x://host/db: "
    )
    code, _, err = hp_main(capsys, "tune", "show")
    assert code == 2
    assert err.endswith("error: the following arguments are required: --storage\n")
    code, _, err = hp_main(capsys, "tune")
    assert code == 2
    assert err.endswith("error: the following arguments are required: COMMAND\n")


# ----------------------------------------------------------------- explain on dump_best


@pytest.mark.parametrize(("suffix", "lr_at"), [(".yaml", "2:7"), (".toml", "4:6")])
def test_explain_names_the_study_and_trial_of_a_tuned_key(
    stored: tuple[tune.Result, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    suffix: str,
    lr_at: str,
) -> None:
    result, _ = stored
    best = tmp_path / f"best{suffix}"
    result.dump_best(best)
    n = result.best_trial.number
    note = f"(tuned: trial {n} of study 'lr-search')"
    code, out, err = hp_main(capsys, "explain", "model", str(best))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    i = lines.index(f"model.lr = {result.best_params['model.lr']!r}")
    assert lines[i + 3] == f"  source:  {best}:{lr_at} {note}"
    assert lines[i + 5] == (
        f"    {best}:{lr_at} {note}  {result.best_params['model.lr']!r}  <- final"
    )
    layers = lines.index(f"model.layers = {result.best_params['model.layers']}")
    assert lines[layers + 3].endswith(note)
    act = lines.index('model.act = "relu"')
    assert "tuned" not in lines[act + 3]  # an untuned key has no note
    # over the dumped file, a layer that sets the key again says where, with no note
    code, out, _ = hp_main(capsys, "explain", "model.lr", str(best), "-D", "model.lr=0.5")
    assert out.splitlines()[3:] == [
        "  source:  -D model.lr=0.5",
        "  set by (lowest precedence first):",
        f"    {best}:{lr_at} {note}  {result.best_params['model.lr']!r}",
        "    -D model.lr=0.5" + " " * (len(f"{best}:{lr_at} {note}") - 15) + "  0.5  <- final",
    ]


def test_any_tuned_comment_on_the_value_s_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "c.yaml").write_text(
        "a: 'x # tuned: no'  # tuned: by hand\n"
        'b: "# tuned: not this"\n'
        "c: 1  # a comment\n"
        "d: [1, 2]  # tuned: a list\n"
    )
    (tmp_path / "c.toml").write_text('a = "x # tuned: no" # tuned: by hand\nb = 1 # other\n')
    found = {}
    for name, key in [("c.yaml", k) for k in "abcd"] + [("c.toml", "a"), ("c.toml", "b")]:
        code, out, _ = hp_main(capsys, "explain", key, str(tmp_path / name))
        assert code == 0
        source = out.splitlines()[3]
        assert source.startswith(f"  source:  {tmp_path / name}:{'abcd'.index(key) + 1}:")
        found[name, key] = source.partition(" (")[2]
    assert found == {
        ("c.yaml", "a"): "tuned: by hand)",
        ("c.yaml", "b"): "",
        ("c.yaml", "c"): "",
        ("c.yaml", "d"): "tuned: a list)",
        ("c.toml", "a"): "tuned: by hand)",
        ("c.toml", "b"): "",
    }


@pytest.mark.parametrize(
    ("text", "fmt", "comment"),
    [
        ("0.1  # tuned: x", "yaml", "tuned: x"),
        ('"a # b"  # tuned: y', "yaml", "tuned: y"),
        ("'it''s # no'  # tuned: z", "yaml", "tuned: z"),
        ("it's # plain", "yaml", "plain"),  # a quote inside a plain scalar opens no string
        ("a#b", "yaml", None),  # no space before '#': text
        ('[1, "#"]  # tuned: q', "yaml", "tuned: q"),
        ("'open string", "yaml", None),
        ('"a\\" # b" # c', "toml", "c"),
        ("'a # b' #c", "toml", "c"),
        ('"""multi-line # still text', "toml", None),
        ("1#c", "toml", "c"),
        ("1", "toml", None),
    ],
)
def test_trailing_comment(text: str, fmt: str, comment: str | None) -> None:
    assert trailing_comment(text, fmt) == comment
