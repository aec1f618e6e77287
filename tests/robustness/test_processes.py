"""Errors raised in worker processes reach the parent whole: a spawn-context
``multiprocessing.Pool`` and a ``ProcessPoolExecutor`` re-raise each error class of
``hyperparameter.errors`` with its own class, message and fields. Before errors pickled, a
``Pool.map`` whose job raised a ``ConfigValidationError`` hung forever and the executor
reported ``BrokenProcessPool``: every wait here is bounded."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from failures import FAILURES, caught, fail

NAMES = list(FAILURES)
WAIT = 60  # seconds for one job; a spawned worker imports the package in well under that


def _same(remote: BaseException, name: str, folder: str) -> None:
    local = caught(name, folder)
    assert type(remote) is type(local)
    assert str(remote) == str(local)
    assert vars(remote) == vars(local)


@pytest.mark.timeout(300)
def test_pool_map_reraises_the_error_of_each_class(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        for name in NAMES:
            result = pool.map_async(fail, [(name, str(tmp_path))])
            with pytest.raises(FAILURES[name][0]) as remote:  # not multiprocessing.TimeoutError
                result.get(timeout=WAIT)
            _same(remote.value, name, str(tmp_path))
        assert pool.map(len, ["ok"]) == [2]  # the pool still works


@pytest.mark.timeout(300)
def test_process_pool_executor_reraises_the_error_of_each_class(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as executor:
        for name in NAMES:
            future = executor.submit(fail, (name, str(tmp_path)))
            with pytest.raises(FAILURES[name][0]) as remote:  # not BrokenProcessPool
                future.result(timeout=WAIT)
            _same(remote.value, name, str(tmp_path))
        assert executor.submit(len, "ok").result(timeout=WAIT) == 2  # not broken
