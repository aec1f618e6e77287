"""Every test runs on the backend named by HYPERPARAMETER_BACKEND; `.ci/run` runs the whole
suite once per backend. A silent fallback to Python when Rust was asked for fails the run."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from hyperparameter import storage

EXPECTED = os.environ.get("HYPERPARAMETER_BACKEND", "rust").strip().lower() or "rust"


def pytest_report_header(config: pytest.Config) -> str:
    return f"hyperparameter store backend: {storage.backend()}"


def pytest_sessionstart(session: pytest.Session) -> None:
    if storage.backend() != EXPECTED:
        raise pytest.UsageError(
            f"HYPERPARAMETER_BACKEND={EXPECTED} but the active backend is {storage.backend()}"
        )


@pytest.fixture(autouse=True)
def clean_store() -> Iterator[None]:
    """Each test starts outside every scope and without a frozen snapshot."""
    token = storage.CURRENT_FRAME.set(None)
    storage.reset_snapshot()
    yield
    storage.CURRENT_FRAME.reset(token)
    storage.reset_snapshot()


@pytest.fixture
def backend() -> str:
    return storage.backend()
