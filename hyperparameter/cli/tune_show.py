"""``hp tune show --storage URL [--study-name NAME] [--plot FILE] [--limit N]``: a stored
study's trials as a table, best first (the sweep's summary), the HTML report with ``--plot``,
and the command that opens the storage in optuna-dashboard.

Optuna is imported when the command runs, not when ``hp`` starts. The storage is only read:
a SQLite file or journal that does not exist is an error here, not a new empty study.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sqlite3
from typing import TYPE_CHECKING, Any

from ..errors import first_line as _reason
from ..errors import masked_url as _masked
from .common import CliError, did_you_mean, flush_stdout, out, printable, terminal

if TYPE_CHECKING:
    import optuna
    from optuna.trial import FrozenTrial

__all__ = ["StoredStudy", "dashboard_command", "open_study", "run"]


class StoredStudy:
    """A study read back from its storage, with what the summary and the report read of a
    ``tune.Result``: every trial, the tuned keys (every parameter any trial has, in the order
    they first appear), each trial's values as Optuna stored them, the best trial."""

    def __init__(self, study: optuna.Study) -> None:
        self.study = study
        self.trials: list[FrozenTrial] = study.get_trials(deepcopy=False)
        space: dict[str, Any] = {}
        for t in self.trials:
            for key, distribution in t.distributions.items():
                space.setdefault(key, distribution)
        self.space = space

    def params_of(self, trial: FrozenTrial) -> dict[str, Any]:
        return {key: trial.params[key] for key in self.space if key in trial.params}

    @property
    def best_trial(self) -> FrozenTrial:
        return self.study.best_trial

    @property
    def best_value(self) -> float:
        return self.study.best_value


_SQLITE_HEADER = b"SQLite format 3\x00"


def _sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///FILE`` URL (None for an in-memory database)."""
    path, _, query = url.removeprefix("sqlite:").removeprefix("//").partition("?")
    path = path.removeprefix("/")
    if not path or path == ":memory:" or "uri=true" in query:
        return None
    return path


def _check_sqlite(url: str, path: str) -> None:
    """A SQLite file that exists and has Optuna's tables (opening any other would make them)."""
    if not os.path.isfile(path):
        raise CliError(f"{path}: no such file (storage {url})")
    try:
        with open(path, "rb") as f:
            header = f.read(len(_SQLITE_HEADER))
        if header and header != _SQLITE_HEADER:
            raise CliError(f"{path}: not a SQLite database (storage {url})")
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'studies'"
            ).fetchone()
        finally:
            db.close()
    except (OSError, sqlite3.Error) as e:
        raise CliError(f"{path}: cannot read it: {_reason(e)} (storage {url})") from e
    if found is None:
        raise CliError(f"{path}: not an Optuna storage, it has no studies (storage {url})")


def open_storage(url: str) -> Any:
    """The Optuna storage of ``url`` (what ``tune.run(storage=…)`` takes), or
    :class:`CliError` when it does not exist or cannot be opened."""
    from ..tune.storage import storage_for

    shown = _masked(url)
    if "://" not in url and not url.startswith("sqlite:"):
        hint = ""
        if os.path.isfile(url):
            with open(url, "rb") as f:
                is_sqlite = f.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER
            journal = f"journal://{os.path.abspath(url)}"
            hint = f"; did you mean {'sqlite:///' + url if is_sqlite else journal}?"
        raise CliError(
            f"{shown}: not a storage URL (sqlite:///FILE, an RDB URL such as "
            f"postgresql://HOST/DB, or journal:///FILE){hint}"
        )
    if url.startswith("sqlite:"):
        path = _sqlite_path(url)
        if path is not None:
            _check_sqlite(shown, path)
    elif url.startswith("journal://"):
        path = url.removeprefix("journal://")
        if not os.path.isfile(path):
            raise CliError(f"{path}: no such file (storage {shown})")
    try:
        return storage_for(url)
    except Exception as e:
        raise CliError(f"cannot open storage {shown}: {_reason(e)}") from e


def open_study(url: str, name: str | None) -> optuna.Study:
    """The study ``name`` of the storage at ``url``; without a name, its only study.
    :class:`CliError` for a storage that cannot be opened, a study it does not hold, or
    (without a name) a storage with no study or several."""
    import optuna

    from ..tune.storage import quiet_optuna

    shown = _masked(url)
    with quiet_optuna():
        storage = open_storage(url)
        try:
            names = sorted(optuna.get_all_study_names(storage))
        except Exception as e:
            raise CliError(f"cannot read storage {shown}: {_reason(e)}") from e
        listed = ", ".join(repr(n) for n in names)
        if name is None:
            if not names:
                raise CliError(f"storage {shown} holds no study")
            if len(names) > 1:
                raise CliError(
                    f"storage {shown} holds {len(names)} studies ({listed}): choose one with "
                    "--study-name"
                )
            name = names[0]
        elif name not in names:
            held = f"; its studies: {listed}" if names else "; it holds no study"
            raise CliError(
                f"no study {name!r} in storage {shown}{did_you_mean(name, names) or held}"
            )
        try:
            return optuna.load_study(study_name=name, storage=storage)
        except Exception as e:
            raise CliError(f"cannot load study {name!r} from {shown}: {_reason(e)}") from e


def dashboard_command(url: str) -> str:
    """The shell command that opens the storage at ``url`` in optuna-dashboard (which takes
    a journal file by its path)."""
    target = url.removeprefix("journal://") if url.startswith("journal://") else url
    return f"optuna-dashboard {shlex.quote(target)}"


def limit(text: str) -> int:
    """``--limit``: a count of rows, 0 for every trial."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of trials, got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected 0 (every trial) or more, got {n}")
    return n


def run(ns: argparse.Namespace) -> int:
    from ..tune.summary import print_rich, summary

    study = open_study(ns.storage, ns.study_name)
    stored = StoredStudy(study)
    if terminal():
        flush_stdout()
        print_rich(stored, ns.limit or None)  # rich strips control characters as printable
    else:
        out(printable(summary(stored, ns.limit or None)))
    if ns.plot:
        from ..tune.plots import write_report

        write_report(stored, ns.plot)
        out(printable(f"report written to {ns.plot}"))
    out(printable(f"open the storage in optuna-dashboard: {dashboard_command(ns.storage)}"))
    return 0
