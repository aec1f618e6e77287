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
import multiprocessing.connection
import os
import shutil
import signal
import socket
import tempfile
import time
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
    slots: Any = None,
) -> int:
    """One worker: Optuna's loop on the shared study; the number of trials it ran. With
    ``slots`` (a shared counter of the trials left to start: local processes) it takes one
    trial at a time while any is left, so a worker that starts late or runs slow trials takes
    fewer; else (Ray tasks) its share of ``n_trials``."""
    if slots is not None:
        # Ctrl-C reaches every process of the terminal's group: the parent stops the workers
        # and marks their trials, without a traceback from each
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sampler is not None:
        sampler.reseed_rng()
    study = optuna.load_study(
        study_name=study_name, storage=storage_for(spec), sampler=sampler, pruner=pruner
    )
    with quiet_optuna():
        if slots is None:
            study.optimize(fn, n_trials=n_trials, timeout=timeout, catch=(Exception,))
            return n_trials
        deadline = None if timeout is None else time.monotonic() + timeout
        ran = 0
        while (deadline is None or time.monotonic() < deadline) and _claim(slots):
            study.optimize(fn, n_trials=1, catch=(Exception,))
            ran += 1
    return ran


def _claim(slots: Any) -> bool:
    """Takes one of the trials left to start; ``False`` when none is left."""
    with slots.get_lock():
        if slots.value <= 0:
            return False
        slots.value -= 1
        return True


def _shares(n_trials: int, workers: int) -> list[int]:
    base, extra = divmod(n_trials, workers)
    return [base + (i < extra) for i in range(workers) if base + (i < extra)]


def _sampler_for(sampler: Any, seed: int | None, index: int) -> Any:
    """Worker ``index``'s sampler: a copy of the study's (reseeded where it starts), or for
    ``seed`` with the default TPE sampler, TPE seeded ``seed + index``."""
    if seed is not None and isinstance(sampler, optuna.samplers.TPESampler):
        return optuna.samplers.TPESampler(seed=seed + index)
    return copy.deepcopy(sampler)


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
            shared,
            spec,
            fn,
            n_trials,
            timeout,
            show,
            workers,
            launcher,
            seed,
            study.sampler,
            study.pruner,
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
    sampler: Any,
    pruner: Any,
) -> tuple[bool, set[int]]:
    start = len(study.get_trials(deepcopy=False, states=FINISHED))
    fn = copy.copy(fn)
    fn.run = run = os.urandom(6).hex()
    work = propagate(_worker)
    name = study.study_name
    args: list[tuple[Any, ...]]
    try:
        if launcher == "ray":
            args = [
                (spec, name, fn, n, timeout, _sampler_for(sampler, seed, i), pruner)
                for i, n in enumerate(_shares(n_trials, workers))
            ]
            with Bar(study, n_trials, show) as bar:
                _on_ray(study, work, args, bar, start)
        else:
            ctx = _context()
            slots = ctx.Value("i", n_trials)
            args = [
                (spec, name, fn, n_trials, timeout, _sampler_for(sampler, seed, i), pruner, slots)
                for i in range(min(workers, n_trials))
            ]
            _local(study, ctx, work, args, n_trials, show, start)
    except KeyboardInterrupt:
        _mark_dead(study, None, "interrupted (KeyboardInterrupt)")
        return True, _ran(study, run)
    return False, _ran(study, run)


def _context() -> Any:
    """How worker processes start: multiprocessing's default (``set_start_method`` sets it;
    ``fork`` on Linux before Python 3.14: a worker starts in milliseconds with what this
    process has imported), but ``spawn`` when other threads run here, which a forked child
    could find holding a lock it then waits on forever."""
    import threading

    method = multiprocessing.get_start_method()
    if method == "fork" and threading.active_count() > 1:
        method = "spawn"
    return multiprocessing.get_context(method)


def _ran(study: optuna.Study, run: str) -> set[int]:
    """The numbers of the trials that the workers of ``run`` ran."""
    end = f":{run}"
    return {
        t.number
        for t in study.get_trials(deepcopy=False)
        if str(t.user_attrs.get("hp_worker", "")).endswith(end)
    }


def _progress(study: optuna.Study, bar: Bar, start: int) -> None:
    if bar.bar is None:
        return  # no bar: no query of the study
    bar.update_to(len(study.get_trials(deepcopy=False, states=FINISHED)) - start)


#: Seconds between the parent's looks at the study for the progress bar (each is a query of
#: every trial on an RDB storage: only made when a bar is shown).
POLL_S = 0.25


def _local(
    study: optuna.Study,
    ctx: Any,
    work: Callable[..., Any],
    args: list[tuple[Any, ...]],
    n_trials: int,
    show: bool,
    start: int,
) -> None:
    # the processes start before the bar: its monitor thread must not be forked
    procs = [ctx.Process(target=work, args=a, daemon=True) for a in args]
    for p in procs:
        p.start()
    try:
        with Bar(study, n_trials, show) as bar:
            alive = list(procs)
            polled = time.monotonic()
            while alive:
                multiprocessing.connection.wait([p.sentinel for p in alive], timeout=POLL_S)
                for p in list(alive):
                    if p.exitcode is None:
                        continue
                    alive.remove(p)
                    if p.exitcode != 0:
                        why = f"worker process {p.pid} died (exit code {p.exitcode})"
                        _mark_dead(study, p.pid, why)
                if bar.bar is not None and time.monotonic() - polled >= POLL_S:
                    _progress(study, bar, start)
                    polled = time.monotonic()
            _progress(study, bar, start)
    except KeyboardInterrupt:
        for p in procs:
            _stop(study, p, f"interrupted (KeyboardInterrupt); worker process {p.pid} stopped")
        raise
    finally:
        for p in procs:
            _stop(study, p, f"worker process {p.pid} stopped")


def _stop(study: optuna.Study, p: Any, why: str) -> None:
    """Ends worker ``p`` if it still runs; its running trial gets ``why``."""
    if p.is_alive():
        p.terminate()
        p.join(5)
        _mark_dead(study, p.pid, why)


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
