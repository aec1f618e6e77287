"""Parameters across threads and processes (DESIGN §11): ``capture``, ``Snapshot`` (``with
snap``, ``param_scope(snap)``, ``install``) and ``propagate``, through every executor of the
stdlib, under each start method, on the active backend. Every wait is bounded: a lost task
must fail the test, never hang it."""

from __future__ import annotations

import asyncio
import copy
import functools
import inspect
import multiprocessing
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import cloudpickle
import procs_work as work
import pytest
from schemas import Model, Train

import hyperparameter as hp
from hyperparameter import storage

from .conftest import METHODS

WAIT = 60  # seconds for one result; a spawned worker imports the package well under that
KEYS = ["model.lr", "model.layers", "run.tag"]
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def executors() -> Iterator[dict[str, ProcessPoolExecutor]]:
    made = {
        m: ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context(m))
        for m in METHODS
    }
    try:
        yield made
    finally:
        for ex in made.values():
            ex.shutdown(wait=True, cancel_futures=True)


def _values() -> dict[str, Any]:
    return {"model.lr": 0.25, "model.layers": 8, "run.tag": "exp-1"}


# ------------------------------------------------------------------------------ Snapshot


def test_capture_takes_frames_and_the_frozen_snapshot() -> None:
    with hp.param_scope(**{"base.seed": 7}):
        hp.param_scope.frozen()
    with hp.param_scope(**{"model.lr": 0.1}), hp.param_scope(**{"model.layers": 3}):
        snap = hp.capture()
    assert snap.to_dict() == {"base.seed": 7, "model.layers": 3, "model.lr": 0.1}
    assert snap.keys() == ["base.seed", "model.layers", "model.lr"]
    assert "model.lr" in snap
    assert len(snap) == 3
    assert list(snap) == snap.keys()
    assert snap.schemas == ()


def test_snapshot_is_immutable_equal_to_its_copies_and_independent_of_later_writes() -> None:
    with hp.param_scope(**{"model.lr": 0.1, "a.list": [1, 2]}) as ps:
        snap = hp.capture()
        ps.model.lr = 0.5  # after the capture
        assert snap.to_dict()["model.lr"] == 0.1
    with pytest.raises(AttributeError):
        snap.x = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        hp.Snapshot()
    for copied in (pickle.loads(pickle.dumps(snap)), cloudpickle.loads(cloudpickle.dumps(snap))):
        assert copied == snap
        assert copied.to_dict() == snap.to_dict()
    assert copy.copy(snap) is snap
    assert copy.deepcopy(snap) is snap
    with hp.param_scope(**{"model.lr": 0.2}):
        assert hp.capture() != snap
    assert "4 keys" in repr(snap)  # a list is stored whole and by index


def test_capture_is_cached_while_nothing_changes() -> None:
    with hp.param_scope(**{"model.lr": 0.1}) as ps:
        first = hp.capture()
        assert hp.capture() is first
        ps.model.lr = 0.2
        assert hp.capture() is not first
        assert hp.capture().to_dict()["model.lr"] == 0.2
    hp.param_scope.frozen()
    assert hp.capture() is not first


def test_with_snapshot_pushes_one_frame_over_the_current_scope() -> None:
    with hp.param_scope(**{"model.lr": 0.1, "model.layers": 2}):
        snap = hp.capture()
    with hp.param_scope(**{"outer.only": 1, "model.lr": 9.0}):
        with snap as ps:
            assert ps.model.lr() == 0.1  # the snapshot's value wins
            assert ps.outer.only() == 1  # keys it lacks resolve outward
            ps.model.lr = 0.3
            assert hp.param_scope.model.lr() == 0.3
            with snap:  # re-entrant, nested
                assert hp.param_scope.model.lr() == 0.1
            assert hp.param_scope.model.lr() == 0.3
        assert hp.param_scope.model.lr() == 9.0  # the write ended with the frame
        with hp.param_scope(snap) as ps2:
            assert ps2.model.layers() == 2
    assert storage.depth() == 0


def test_snapshot_of_a_typed_scope_enters_to_a_typed_view() -> None:
    with hp.param_scope(Train(model=Model(lr=0.5))):
        snap = hp.capture()
    assert snap.schemas == (Train,)
    copied = pickle.loads(pickle.dumps(snap))
    for s in (snap, copied):
        with s as ps:
            assert type(ps).__name__ == "TrainView"
            assert ps.model.lr == 0.5
            with pytest.raises(hp.ConfigValidationError):
                ps.model.lr = "fast"
            with pytest.raises(hp.ConfigValidationError):
                hp.param_scope.model.layers = "many"
            ps.model.lr = "0.75"  # coerced as in the parent
            assert ps.model.lr == 0.75
            assert hp.snapshot(ps).model.lr == 0.75


def test_install_makes_the_snapshot_the_frozen_one() -> None:
    with hp.param_scope(**_values()):
        snap = hp.capture()
    with hp.param_scope(**{"other.key": 1}):
        hp.param_scope.frozen()
    snap.install(3)  # as worker_init_fn(worker_id) calls it
    assert hp.param_scope.model.lr() == 0.25
    assert hp.param_scope.other.key | None is None  # replaced, not merged
    assert work.in_a_thread("run.tag") == "exp-1"


def test_unpicklable_value_names_the_key_and_the_type(tmp_path: Path) -> None:
    with (
        open(tmp_path / "f.txt", "w") as f,
        hp.param_scope(**{"io.lock": threading.Lock(), "model.lr": 0.1}),
    ):
        snap = hp.capture()
        with hp.param_scope(**{"io.lock": 0, "io.file": f}):
            snap_file = hp.capture()
    for dumps in (pickle.dumps, cloudpickle.dumps):
        with pytest.raises(hp.HyperparameterError, match=r"'io\.lock'.*_thread\.lock"):
            dumps(snap)
        with pytest.raises(hp.HyperparameterError, match=r"'io\.file'.*TextIOWrapper"):
            dumps(snap_file)
    with snap:  # in-process use needs no pickling
        assert hp.param_scope.model.lr() == 0.1


def test_raw_overrides_keep_their_source_across_pickling() -> None:
    with hp.param_scope("model.lr=0.5", **{"model.layers": 2}):
        snap = pickle.loads(pickle.dumps(hp.capture()))
    assert snap.source("model.lr") == "param_scope('model.lr=0.5')"
    assert snap.source("model.layers") is None
    with snap:
        assert hp.param_scope.model.lr | 0.0 == 0.5
    with pytest.raises(KeyError):
        snap.source("nope")


# ----------------------------------------------------------------------------- propagate


def test_propagate_keeps_signature_name_and_coroutine_ness() -> None:
    async def fetch(x: int, *, scale: float = 1.0) -> float:
        """Docs."""
        return x * scale * (hp.param_scope.model.lr | 0.0)

    with hp.param_scope(**{"model.lr": 2.0}):
        p = hp.propagate(fetch)
        q = hp.propagate(work.add_lr)
    assert inspect.isfunction(p)
    assert inspect.isfunction(q)
    assert inspect.iscoroutinefunction(p)
    assert not inspect.iscoroutinefunction(q)
    assert inspect.signature(p) == inspect.signature(fetch)
    assert (p.__name__, p.__doc__) == ("fetch", "Docs.")
    assert asyncio.run(p(3, scale=0.5)) == 3.0
    assert q(1.0) == 3.0
    assert hp.param_scope.model.lr | None is None
    with pytest.raises(TypeError):
        hp.propagate(3)  # type: ignore[call-overload]


def test_propagated_function_pickles_and_runs_in_its_snapshot() -> None:
    with hp.param_scope(**_values()):
        p = hp.propagate(work.read_many)
        part = hp.propagate(functools.partial(work.read, "run.tag"))
    for copied in (pickle.loads(pickle.dumps(p)), cloudpickle.loads(cloudpickle.dumps(p))):
        assert copied(KEYS) == _values()
    assert pickle.loads(pickle.dumps(part))() == "exp-1"
    with hp.param_scope(**{"model.lr": 9.0}):
        assert p(["model.lr"]) == {"model.lr": 0.25}


def _fresh_interpreter(data: bytes) -> str:
    code = "import pickle, sys; print(repr(pickle.loads(sys.stdin.buffer.read())()))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}  # procs_work, the package
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=data,
        capture_output=True,
        timeout=WAIT,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode().strip()


def test_cloudpickle_lambdas_and_closures_in_a_fresh_interpreter() -> None:
    factor = 3

    def closure() -> Any:
        return factor * hp.param_scope.model.layers()

    with hp.param_scope(**_values()):
        lam = hp.propagate(lambda: hp.param_scope.run.tag())
        clo = hp.propagate(closure)
    assert _fresh_interpreter(cloudpickle.dumps(lam)) == "'exp-1'"
    assert _fresh_interpreter(cloudpickle.dumps(clo)) == "24"
    with hp.param_scope(**_values()):
        stdlib = pickle.dumps(hp.propagate(functools.partial(work.read, "model.lr")))
    assert _fresh_interpreter(stdlib) == "0.25"


def test_propagated_unpicklable_snapshot_fails_to_pickle_clearly() -> None:
    with hp.param_scope(**{"io.lock": threading.Lock()}):
        p = hp.propagate(work.read)
    assert p("io.lock") is not None  # threads and in-process calls need no pickling
    for dumps in (pickle.dumps, cloudpickle.dumps):
        with pytest.raises(hp.HyperparameterError, match=r"'io\.lock'.*_thread\.lock"):
            dumps(p)


# ------------------------------------------------------------------------------- threads


def test_threads_see_the_scope_only_when_propagated() -> None:
    out: dict[str, Any] = {}

    def job(name: str) -> None:
        out[name] = hp.param_scope.model.lr | None

    with hp.param_scope(**{"model.lr": 0.3, "io.lock": threading.Lock()}):
        plain = threading.Thread(target=job, args=("plain",))
        carried = threading.Thread(target=hp.propagate(job), args=("carried",))
        for t in (plain, carried):
            t.start()
            t.join(WAIT)
        with ThreadPoolExecutor(2) as ex:
            assert ex.submit(hp.propagate(work.read), "model.lr").result(WAIT) == 0.3
            assert list(ex.map(hp.propagate(work.read), ["model.lr"] * 3)) == [0.3] * 3
            assert ex.submit(work.read, "model.lr").result(WAIT) is None
    assert out == {"plain": None, "carried": 0.3}


# ---------------------------------------------------------------- multiprocessing.Pool


@pytest.mark.parametrize("method", METHODS)
def test_pool_map_apply_async_imap_unordered(pools: dict[str, Pool], method: str) -> None:
    pool = pools[method]
    with hp.param_scope(**_values()):
        p = hp.propagate(work.read)
        assert pool.map_async(p, KEYS).get(WAIT) == [0.25, 8, "exp-1"]
        assert pool.apply_async(p, ("run.tag",)).get(WAIT) == "exp-1"
        assert sorted(pool.imap_unordered(p, ["model.layers"] * 5)) == [8] * 5
        if method != "fork":
            # the trap: without propagate a spawn/forkserver worker sees nothing ...
            assert pool.apply_async(work.read, ("model.lr",)).get(WAIT) is None
    with hp.param_scope(**{"model.lr": 0.5}):
        # ... and a fork pool made before the scope sees the scope of its creation (none)
        assert pool.apply_async(work.read, ("model.lr",)).get(WAIT) is None
        # propagate: the values of submission time, not of the pool's creation
        assert pool.map_async(hp.propagate(work.read), ["model.lr"]).get(WAIT) == [0.5]


@pytest.mark.parametrize("method", METHODS)
def test_pool_child_writes_and_scopes_never_travel_back(
    pools: dict[str, Pool], method: str
) -> None:
    pool = pools[method]
    with hp.param_scope(**{"model.lr": 0.1}):
        p = hp.propagate(work.writes_stay_here)
        assert pool.map_async(p, [1.0, 2.0]).get(WAIT) == [(0.1, 1.0, 2.0), (0.1, 2.0, 4.0)]
        assert hp.param_scope.model.lr() == 0.1
        assert pool.apply_async(hp.propagate(work.read), ("model.lr",)).get(WAIT) == 0.1


@pytest.mark.parametrize("method", METHODS)
def test_pool_typed_snapshot_and_errors_cross(pools: dict[str, Pool], method: str) -> None:
    pool = pools[method]
    with hp.param_scope(Train(model=Model(lr=0.5))):
        snap = hp.capture()
        bad = hp.propagate(work.bad_write)
        gone = hp.propagate(work.missing)
    assert pool.apply_async(work.typed, (snap,)).get(WAIT) == (
        "TrainView",
        0.5,
        "ConfigValidationError",
    )
    with pytest.raises(hp.ConfigValidationError):  # the class of the child's error
        pool.apply_async(bad).get(WAIT)
    with pytest.raises(hp.MissingParameterError):
        pool.map_async(gone, [1]).get(WAIT)
    with hp.param_scope("model.lr=0.5"):
        raw = hp.capture()
    assert pool.apply_async(work.source_of, (raw, "model.lr")).get(WAIT) == (
        "param_scope('model.lr=0.5')"
    )


def test_pool_unpicklable_value_fails_in_the_parent_without_a_hang(
    pools: dict[str, Pool], tmp_path: Path
) -> None:
    pool = pools["spawn"]
    with (
        open(tmp_path / "f.txt", "w") as f,
        hp.param_scope(**{"io.lock": threading.Lock(), "io.file": f}),
    ):
        p = hp.propagate(work.read)
    with pytest.raises(hp.HyperparameterError, match=r"'io\.(lock|file)'"):
        pool.map(p, ["model.lr"])
    with pytest.raises(hp.HyperparameterError, match=r"'io\.(lock|file)'"):
        pool.apply_async(p, ("model.lr",)).get(WAIT)
    assert pool.apply_async(work.square, (3,)).get(WAIT) == 9  # the pool still works


@pytest.mark.parametrize("method", METHODS)
def test_a_received_propagated_function_runs_and_travels_on(
    pools: dict[str, Pool], method: str
) -> None:
    with hp.param_scope(**{"model.lr": 0.3}):
        p = hp.propagate(work.strict_read)
    got = pools[method].apply_async(work.received, (p, "model.lr")).get(WAIT)
    # on the Rust backend the receiving process runs it natively (a task costs a call and a
    # ContextVar set and reset in C); the Python twin keeps the Python wrapper
    assert got["type"] == ("Propagated" if storage.backend() == "rust" else "function")
    assert got["top"] == 0.3
    assert got["inside"] == (0.3, 1)
    assert got["error"] == "MissingParameterError"
    assert got["after"] == (None, 0.3)
    assert got["again_here"] == 0.3
    # pickled again in the child, it comes back here as the function it was made as
    assert pickle.loads(got["again"]) is p


@pytest.mark.parametrize("method", METHODS)
def test_pool_initializer_install_carries_frozen(method: str) -> None:
    with hp.param_scope(**{"model.lr": 0.7}):
        hp.param_scope.frozen()
    with hp.param_scope(**{"run.tag": "exp-2"}):
        snap = hp.capture()
    storage.reset_snapshot()  # the parent forgets; the workers get it by install
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(1, initializer=snap.install) as pool:
        assert pool.apply_async(work.read_many, (["model.lr", "run.tag"],)).get(WAIT) == {
            "model.lr": 0.7,
            "run.tag": "exp-2",
        }
        assert pool.apply_async(work.in_a_thread, ("run.tag",)).get(WAIT) == "exp-2"
        assert pool.apply_async(work.rust_read, ("model.lr",)).get(WAIT) == 0.7


@pytest.mark.parametrize("method", METHODS)
def test_rust_sees_the_snapshot_in_the_child(pools: dict[str, Pool], method: str) -> None:
    with hp.param_scope(**{"model.lr": 0.125, "model.name": "resnet"}):
        p = hp.propagate(work.rust_read)
        assert pools[method].map_async(p, ["model.lr", "model.name"]).get(WAIT) == [
            0.125,
            "resnet",
        ]


# -------------------------------------------------------------- Process(target=...)


@pytest.mark.parametrize("method", METHODS)
def test_process_target(method: str) -> None:
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    with hp.param_scope(**_values()):
        proc = ctx.Process(target=hp.propagate(work.into_queue), args=(queue, KEYS))
        proc.start()
    try:
        assert queue.get(timeout=WAIT) == _values()
    finally:
        proc.join(WAIT)
    assert proc.exitcode == 0


@pytest.mark.parametrize("method", METHODS)
def test_dataloader_worker_init_fn_shape(method: str) -> None:
    """``DataLoader(worker_init_fn=snap.install)``: each worker calls it with its id."""
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    with hp.param_scope(**_values()):
        snap = hp.capture()
    procs = [
        ctx.Process(target=work.init_worker, args=(i, snap.install, KEYS, queue)) for i in range(2)
    ]
    for proc in procs:
        proc.start()
    try:
        got = sorted(queue.get(timeout=WAIT) for _ in procs)
    finally:
        for proc in procs:
            proc.join(WAIT)
    assert got == [(i, _values(), 0.25) for i in range(2)]


# -------------------------------------------------------------- ProcessPoolExecutor


@pytest.mark.parametrize("method", METHODS)
def test_process_pool_executor(executors: dict[str, ProcessPoolExecutor], method: str) -> None:
    ex = executors[method]
    with hp.param_scope(**_values()):
        p = hp.propagate(work.read)
        assert ex.submit(p, "run.tag").result(WAIT) == "exp-1"
        assert list(ex.map(p, KEYS, timeout=WAIT)) == [0.25, 8, "exp-1"]
    with hp.param_scope(**{"model.lr": 1.5}):
        assert ex.submit(hp.propagate(work.add_lr), 1.0).result(WAIT) == 2.5
    with hp.param_scope(**{"io.lock": threading.Lock()}):
        unpicklable = hp.propagate(work.read)
    with pytest.raises(hp.HyperparameterError, match=r"'io\.lock'.*_thread\.lock"):
        ex.submit(unpicklable, "io.lock").result(WAIT)
    with hp.param_scope(Train()):
        bad = hp.propagate(work.bad_write)
    with pytest.raises(hp.ConfigValidationError):
        ex.submit(bad).result(WAIT)
    assert ex.submit(work.square, 4).result(WAIT) == 16  # not broken


def test_importing_and_propagating_pull_in_no_heavy_module() -> None:
    from subproc import run_python

    code = (
        "import pickle, sys\n"
        "import hyperparameter as hp\n"
        "assert 'hyperparameter.api.procs' not in sys.modules\n"
        "with hp.param_scope(**{'model.lr': 0.1}):\n"
        "    pickle.loads(pickle.dumps(hp.propagate(len)))\n"
        "    pickle.loads(pickle.dumps(hp.capture()))\n"
        "heavy = ('pydantic', 'ruamel', 'tomli', 'optuna', 'ray', 'cloudpickle')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_large_snapshot_travels_compressed_with_a_propagated_function(
    pools: dict[str, Pool],
) -> None:
    values = {f"big.k{i}": f"value-{i}" * 4 for i in range(2000)}
    with hp.param_scope(**values):
        p = hp.propagate(work.read_many)
        snap = hp.capture()
    _, packed = snap._hp_pickled_small()
    assert packed[:1] == b"\x78"  # zlib
    assert len(packed) < len(snap._hp_pickled()[1]) // 2
    keys = ["big.k0", "big.k1999"]
    want = {k: values[k] for k in keys}
    assert pools["spawn"].apply_async(p, (keys,)).get(WAIT) == want
    assert pools["forkserver"].map_async(p, [keys] * 3).get(WAIT) == [want] * 3
    assert cloudpickle.loads(cloudpickle.dumps(p))(keys) == want
    assert _fresh_interpreter(pickle.dumps(functools.partial(p, ["big.k5"]))) == repr(
        {"big.k5": values["big.k5"]}
    )
