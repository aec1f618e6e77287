"""Every test runs on the backend named by HYPERPARAMETER_BACKEND; `.ci/run` runs the whole
suite once per backend. A silent fallback to Python when Rust was asked for fails the run."""

from __future__ import annotations

import contextvars
import functools
import inspect
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Each test body runs in a copy of the context, so a scope it leaves entered (on purpose,
    or by failing half-way) cannot reach the next test. The store's own context variable is
    never set to anything but a frame: a test starts as a program does, outside every scope."""
    if not isinstance(item, pytest.Function) or inspect.iscoroutinefunction(item.obj):
        return (yield)
    original = item.obj
    item.obj = functools.partial(contextvars.copy_context().run, original)
    try:
        return (yield)
    finally:
        item.obj = original


@pytest.fixture(autouse=True)
def clean_store() -> Iterator[None]:
    """Each test starts outside every scope and without a frozen snapshot."""
    assert storage.CURRENT_FRAME.get(storage.TOP) is storage.TOP, "a scope leaked into a test"
    storage.reset_snapshot()
    yield
    storage.reset_snapshot()


@pytest.fixture
def backend() -> str:
    return storage.backend()


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A real local Ray instance for a module (``pytestmark = usefixtures("local_ray")``): two
    CPUs, no dashboard; its workers get this run's backend and sys.path (for the tests'
    helper modules). Ray is a dev dependency: a missing Ray fails, it never skips."""
    import sys

    import ray

    env = {
        "HYPERPARAMETER_BACKEND": storage.backend(),
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": env},
        object_store_memory=80 * 1024 * 1024,
    )
    try:
        yield
    finally:
        ray.shutdown()
