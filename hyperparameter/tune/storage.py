"""Where a study lives: Optuna storages from what ``tune.run`` takes, the study made or
resumed, and Optuna's logging kept quiet while trials run."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any, Literal

import optuna
from optuna.trial import TrialState

from ..errors import HyperparameterError, first_line, masked_url

__all__ = ["FINISHED", "StorageError", "create", "quiet_optuna", "storage_for"]


class StorageError(HyperparameterError, OSError):
    """A study storage that cannot be opened (the URL's password masked)."""


Direction = Literal["minimize", "maximize"]
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def storage_for(storage: Any) -> Any:
    """An Optuna storage from what ``run`` takes: ``None`` (in memory), a URL (``sqlite:///``
    and any RDB URL: a SQLite file waits up to 60 s for another writer's lock), a journal file
    (``journal:///path``), or an Optuna storage object."""
    if storage is None or not isinstance(storage, str):
        return storage
    if storage.startswith("journal://"):
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        return JournalStorage(JournalFileBackend(storage.removeprefix("journal://")))
    kwargs: dict[str, Any] = {}
    if storage.startswith("sqlite:"):
        kwargs = {"connect_args": {"timeout": 60}}
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return _rdb(storage, kwargs)
    except (SQLAlchemyError, ImportError, ValueError) as e:
        # a database that cannot be reached or opened, a bad URL, a missing driver: one line
        raise StorageError(f"cannot open storage {masked_url(storage)}: {first_line(e)}") from e


def _rdb(url: str, kwargs: dict[str, Any]) -> Any:
    """Optuna's RDB storage of ``url``. Processes that open a new database at the same time
    race to create Optuna's tables (PostgreSQL: a duplicate type or relation): the loser
    waits a moment and opens the tables the winner made."""
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    for attempt in range(6):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
        except (IntegrityError, ProgrammingError):
            if attempt == 5:
                raise
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def create(
    storage: Any,
    study_name: str | None,
    directions: list[Direction],
    sampler: Any,
    pruner: Any,
) -> optuna.Study:
    """The study: made, or loaded when ``study_name`` names one in ``storage`` (resuming)."""
    return optuna.create_study(
        storage=storage_for(storage),
        study_name=study_name,
        directions=directions,
        sampler=sampler,
        pruner=pruner,
        load_if_exists=study_name is not None,
    )


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """Optuna's per-trial INFO lines off (the progress bar and the result say it); its
    warnings stay."""
    logger = logging.getLogger("optuna")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)
