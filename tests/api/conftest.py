"""Fixtures of the process tests (tests/api/test_procs*.py, test_provenance.py)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from multiprocessing.pool import Pool

import pytest

#: The start methods every process test runs under.
METHODS = ["fork", "spawn", "forkserver"]


@pytest.fixture(scope="module")
def pools() -> Iterator[dict[str, Pool]]:
    """One single-worker pool per start method, made outside every scope (a fork pool made
    before the scope it is used in: the staleness trap)."""
    made = {m: multiprocessing.get_context(m).Pool(1) for m in METHODS}
    try:
        yield made
    finally:
        for pool in made.values():
            pool.terminate()
            pool.join()
