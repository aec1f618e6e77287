"""``ray.remote(hp.propagate(fn))`` tasks and actor methods on a real local Ray instance
(DESIGN §11). Ray is a dev dependency (the ``[ray]`` extra): a missing Ray fails these tests,
it never skips them."""

from __future__ import annotations

import threading
from typing import Any

import procs_work as work
import pytest
import ray
from schemas import Model, Train

import hyperparameter as hp

pytestmark = [
    pytest.mark.usefixtures("local_ray"),  # tests/conftest.py
    pytest.mark.timeout(600),
    # Ray's own modules warn about their dependencies; that is not ours to fail on.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]
WAIT = 120


def _values() -> dict[str, Any]:
    return {"model.lr": 0.25, "model.layers": 8, "run.tag": "exp-1"}


def test_remote_propagated_task_sees_the_scope_of_its_making() -> None:
    with hp.param_scope(**_values()):
        task = ray.remote(hp.propagate(work.read_many))
        plain = ray.remote(work.read)
        assert ray.get(plain.remote("model.lr"), timeout=WAIT) is None  # the trap
    with hp.param_scope(**{"model.lr": 9.0}):
        refs = [task.remote(["model.lr", "run.tag"]) for _ in range(4)]
    assert ray.get(refs, timeout=WAIT) == [{"model.lr": 0.25, "run.tag": "exp-1"}] * 4


def test_remote_lambda_closure_and_rust_reader() -> None:
    factor = 2

    def closure() -> Any:
        return factor * hp.param_scope.model.layers()

    with hp.param_scope(**_values()):
        lam = ray.remote(hp.propagate(lambda: hp.param_scope.run.tag()))
        clo = ray.remote(hp.propagate(closure))
        rust = ray.remote(hp.propagate(work.rust_read))
    assert ray.get(lam.remote(), timeout=WAIT) == "exp-1"
    assert ray.get(clo.remote(), timeout=WAIT) == 16
    assert ray.get(rust.remote("model.lr"), timeout=WAIT) == 0.25


def test_actor_methods() -> None:
    reader = ray.remote(work.Reader).remote()
    with hp.param_scope(**_values()):
        p = hp.propagate(work.read)
    assert ray.get(reader.call.remote(p, "run.tag"), timeout=WAIT) == "exp-1"
    assert ray.get(reader.read.remote("run.tag"), timeout=WAIT) is None  # nothing leaked
    with hp.param_scope(Train(model=Model(lr=0.5))):
        snap = hp.capture()
    assert ray.get(reader.typed.remote(snap), timeout=WAIT) == (
        "TrainView",
        0.5,
        "ConfigValidationError",
    )
    ray.kill(reader)


def test_errors_cross_and_unpicklable_values_fail_clearly() -> None:
    with hp.param_scope(Train()):
        bad = ray.remote(hp.propagate(work.bad_write))
    with pytest.raises(hp.ConfigValidationError):
        ray.get(bad.remote(), timeout=WAIT)
    with hp.param_scope(**{"io.lock": threading.Lock()}):
        p = hp.propagate(work.read)
    with pytest.raises(hp.HyperparameterError, match=r"'io\.lock'.*_thread\.lock"):
        ray.get(ray.remote(p).remote("io.lock"), timeout=WAIT)
