"""Trials in several processes on one study: local worker processes (``workers=N``) or Ray
tasks (``launcher="ray"``), each running Optuna's own loop against a shared storage.

The storage is the user's (any RDB URL: SQLite file, PostgreSQL, …; a journal file) or, for an
in-memory study, a journal file in a temporary folder (Optuna's ``JournalFileBackend``: safe
for several processes on one machine through its file lock, where SQLite would make them wait
on its one writer lock), copied back into memory at the end. Each worker loads the study with
its own sampler seed. A worker that dies leaves its trial RUNNING; the parent marks it FAIL
(with the exit code) and the others finish their shares.
"""

from __future__ import annotations

import copy
import multiprocessing
import os
import shutil
import socket
import tempfile
from collections.abc import Callable
from typing import Any

import optuna
from optuna.trial import TrialState

from ..api.procs import propagate
from .progress import Bar
from .storage import FINISHED, quiet_optuna, storage_for
from .trial import Objective

__all__ = ["run_parallel"]


def _spec_of(storage: Any) -> str | None:
    """A storage that worker processes can open themselves: its URL."""
    if storage is None or isinstance(storage, str):
        return storage
    url = getattr(storage, "url", None)
    if isinstance(url, str):
        return url
    raise TypeError(
        "workers > 1 and launcher='ray' need a storage the workers can open: a URL "
        "(sqlite:///…, postgresql+psycopg://…, journal:///path), not "
        f"{type(storage).__name__}"
    )


def _worker(
    spec: str,
    study_name: str,
    fn: Objective,
    n_trials: int,
    timeout: float | None,
    sampler: Any,
    pruner: Any,
) -> int:
    """One worker: Optuna's loop on the shared study; the number of trials it ran."""
    if sampler is not None:
        sampler.reseed_rng()
    study = optuna.load_study(
        study_name=study_name, storage=storage_for(spec), sampler=sampler, pruner=pruner
    )
    with quiet_optuna():
        study.optimize(fn, n_trials=n_trials, timeout=timeout, catch=(Exception,))
    return n_trials


def _shares(n_trials: int, workers: int) -> list[int]:
    base, extra = divmod(n_trials, workers)
    return [base + (i < extra) for i in range(workers) if base + (i < extra)]


def _sampler_for(study: optuna.Study, seed: int | None, index: int) -> Any:
    if seed is not None and isinstance(study.sampler, optuna.samplers.TPESampler):
        return optuna.samplers.TPESampler(seed=seed + index)
    return copy.deepcopy(study.sampler)


def _mark_dead(study: optuna.Study, pid: int | None, why: str) -> None:
    """The RUNNING trials of the worker ``pid`` (every RUNNING one when ``None``): FAIL."""
    storage = study._storage
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if pid is None or _worker_of(t) == (socket.gethostname(), pid):
            storage.set_trial_user_attr(t._trial_id, "error", why)
            storage.set_trial_state_values(t._trial_id, TrialState.FAIL)


def _worker_of(trial: Any) -> tuple[str, int] | None:
    """``(host, pid)`` of the process that runs ``trial`` (its ``hp_worker`` attribute,
    ``host:pid:run``)."""
    text = trial.user_attrs.get("hp_worker")
    parts = text.rsplit(":", 2) if isinstance(text, str) else []
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


def _mark_gone(study: optuna.Study, why: str) -> None:
    """The RUNNING trials of worker processes of this machine that no longer exist: FAIL
    (a worker on another machine is not seen from here; Optuna's heartbeat covers that)."""
    host = socket.gethostname()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        where = _worker_of(t)
        if where is None or where[0] != host:
            continue
        pid = where[1]
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            _mark_dead(study, pid, f"{why} (process {pid})")
        except PermissionError:  # pragma: no cover - alive, another user's
            pass


def run_parallel(
    study: optuna.Study,
    storage: Any,
    fn: Objective,
    n_trials: int | None,
    timeout: float | None,
    show: bool,
    workers: int,
    launcher: str,
    seed: int | None,
) -> tuple[optuna.Study, bool, set[int]]:
    """Runs ``n_trials`` trials of ``study`` in ``workers`` processes (or Ray tasks): the
    study as the parent sees it at the end, whether the run was interrupted, and the numbers
    of the trials it ran."""
    if n_trials is None:
        raise ValueError("workers > 1 and launcher='ray' need n_trials")
    spec = _spec_of(storage)
    folder = None
    shared = study
    if spec is None:  # in memory: a journal file the workers share, copied back at the end
        folder = tempfile.mkdtemp(prefix="hp-tune-")
        spec = f"journal://{os.path.join(folder, 'study.log')}"
        optuna.copy_study(
            from_study_name=study.study_name,
            from_storage=study._storage,
            to_storage=storage_for(spec),
        )
        shared = optuna.load_study(study_name=study.study_name, storage=storage_for(spec))
    try:
        interrupted, ran = _drive(
            shared, spec, fn, n_trials, timeout, show, workers, launcher, seed
        )
        if folder is not None:
            memory = optuna.storages.InMemoryStorage()
            optuna.copy_study(
                from_study_name=study.study_name, from_storage=shared._storage, to_storage=memory
            )
            shared = optuna.load_study(
                study_name=study.study_name, storage=memory, sampler=study.sampler
            )
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    return shared, interrupted, ran


def _drive(
    study: optuna.Study,
    spec: str,
    fn: Objective,
    n_trials: int,
    timeout: float | None,
    show: bool,
    workers: int,
    launcher: str,
    seed: int | None,
) -> tuple[bool, set[int]]:
    start = len(study.get_trials(deepcopy=False, states=FINISHED))
    fn = copy.copy(fn)
    fn.run = run = os.urandom(6).hex()
    shares = _shares(n_trials, workers)
    work = propagate(_worker)
    args = [
        (spec, study.study_name, fn, n, timeout, _sampler_for(study, seed, i), study.pruner)
        for i, n in enumerate(shares)
    ]
    with Bar(study, n_trials, show) as bar:
        try:
            if launcher == "ray":
                _on_ray(study, work, args, bar, start)
            else:
                _local(study, work, args, bar, start)
        except KeyboardInterrupt:
            _mark_dead(study, None, "interrupted (KeyboardInterrupt)")
            return True, _ran(study, run)
    return False, _ran(study, run)


def _ran(study: optuna.Study, run: str) -> set[int]:
    """The numbers of the trials that the workers of ``run`` ran."""
    end = f":{run}"
    return {
        t.number
        for t in study.get_trials(deepcopy=False)
        if str(t.user_attrs.get("hp_worker", "")).endswith(end)
    }


def _progress(study: optuna.Study, bar: Bar, start: int) -> None:
    bar.update_to(len(study.get_trials(deepcopy=False, states=FINISHED)) - start)


def _local(
    study: optuna.Study, work: Callable[..., Any], args: list[tuple[Any, ...]], bar: Bar, start: int
) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=work, args=a, daemon=True) for a in args]
    for p in procs:
        p.start()
    try:
        alive = list(procs)
        while alive:
            for p in list(alive):
                p.join(timeout=0.05)
                if p.exitcode is None:
                    continue
                alive.remove(p)
                if p.exitcode != 0:
                    _mark_dead(
                        study, p.pid, f"worker process {p.pid} died (exit code {p.exitcode})"
                    )
            _progress(study, bar, start)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join(5)
                _mark_dead(study, p.pid, f"worker process {p.pid} stopped")


def _on_ray(
    study: optuna.Study, work: Callable[..., Any], args: list[tuple[Any, ...]], bar: Bar, start: int
) -> None:
    import ray

    if not ray.is_initialized():
        ray.init(include_dashboard=False)
    remote = ray.remote(max_retries=0)(work)
    refs = [remote.remote(*a) for a in args]
    pending = list(refs)
    try:
        while pending:
            done, pending = ray.wait(pending, timeout=0.1)
            for ref in done:
                try:
                    ray.get(ref)
                except Exception as e:  # the task's process died
                    _mark_gone(study, f"Ray worker died: {type(e).__name__}")
            _progress(study, bar, start)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
