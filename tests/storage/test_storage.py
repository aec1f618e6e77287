"""Backend selection, the low-level TLSKVStorage API, and the one-store guarantee (§8, §9)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import hyperparameter as hp
from hyperparameter import storage
from hyperparameter.errors import InvalidKeyError, MissingParameterError, ScopeError

EXPECTED = os.environ.get("HYPERPARAMETER_BACKEND", "rust") or "rust"


def test_backend_is_the_requested_one() -> None:
    assert storage.backend() == EXPECTED
    assert storage.has_rust_backend is (EXPECTED == "rust")


def test_unknown_backend_name_is_refused() -> None:
    env = {**os.environ, "HYPERPARAMETER_BACKEND": "java"}
    r = subprocess.run(
        [sys.executable, "-c", "import hyperparameter"], env=env, capture_output=True, text=True
    )
    assert r.returncode != 0
    assert "HYPERPARAMETER_BACKEND='java': expected 'rust' or 'python'" in r.stderr


def test_tlskvstorage_low_level_api() -> None:
    s = storage.TLSKVStorage().enter()
    s.put("model.lr", 0.1)
    assert s.get("model.lr") == 0.1
    assert hp.param_scope.model.lr() == 0.1
    inner = storage.TLSKVStorage().enter()
    inner.put("model.lr", 0.2)
    assert s.get("model.lr") == 0.2
    assert inner.keys() == ["model.lr"]
    assert inner.storage() == {"model.lr": 0.2}
    inner.exit()
    assert s.get("model.lr") == 0.1
    s.exit()
    with pytest.raises(MissingParameterError):
        s.get("model.lr")
    with pytest.raises(ScopeError):
        s.exit()
    with pytest.raises(InvalidKeyError):
        s.get("bad key")


def test_tlskvstorage_frozen() -> None:
    s = storage.TLSKVStorage().enter()
    s.put("g.v", 1)
    storage.TLSKVStorage.frozen()
    s.exit()
    assert storage.TLSKVStorage().get("g.v") == 1


def test_a_snapshot_token_puts_the_snapshot_back() -> None:
    empty = storage.snapshot_token()
    with hp.param_scope(**{"db.timeout": 10}):
        storage.freeze()
    first = storage.snapshot_token()
    lr = hp.param_scope.db.timeout
    assert lr | 0 == 10  # read (and cached) under the first snapshot
    with hp.param_scope.empty(**{"db.host": "b"}):  # hides the first snapshot
        storage.freeze()
    assert (lr | 0, hp.param_scope.db.host | "") == (0, "b")
    version = storage.SNAPSHOT_VERSION[0]
    storage.restore_snapshot(first)
    assert storage.SNAPSHOT_VERSION[0] == version + 1  # read caches see the change
    assert (lr | 0, hp.param_scope.db.host | "") == (10, "")
    storage.restore_snapshot(empty)
    assert (lr | 0, storage.TLSKVStorage().keys()) == (0, [])


def test_rust_reads_what_python_set_and_python_reads_what_rust_set() -> None:
    if EXPECTED != "rust":  # the Python store has no Rust reader: a clear error, tested below
        with hp.param_scope(x=1), pytest.raises(RuntimeError):
            storage.rust_read("x")
        return
    obj = object()
    with hp.param_scope(**{"model.lr": 0.1, "model.obj": obj}):
        assert storage.rust_read("model.lr") == 0.1
        assert storage.rust_read("model.obj") is obj
        assert storage.rust_read("model.nope", "dflt") == "dflt"
        with hp.param_scope(**{"model.lr": 0.2}):
            assert storage.rust_read("model.lr") == 0.2
            storage.rust_write("model.act", "gelu")
            assert hp.param_scope.model.act() == "gelu"
        assert storage.rust_read("model.lr") == 0.1
        assert hp.param_scope.model.act | "relu" == "relu"  # rolled back with its frame
        with pytest.raises(InvalidKeyError):
            storage.rust_read("a..b")


def test_rust_api_on_the_python_backend_is_a_clear_error() -> None:
    if EXPECTED == "rust":
        assert storage.rust_read("x.y", 5) == 5
        return
    with pytest.raises(RuntimeError, match="needs the Rust backend"):
        storage.rust_read("x.y")
    with pytest.raises(RuntimeError, match="needs the Rust backend"):
        storage.rust_write("x.y", 1)


def test_a_rust_panic_is_a_python_exception() -> None:
    from hyperparameter import _core  # built in every supported install, whichever backend runs

    with pytest.raises(BaseException, match="boom"):
        _core._debug_panic("boom")
    assert hp.param_scope.still.alive | 1 == 1


def test_effective_dict_is_the_dict_of_effective() -> None:
    def same() -> None:
        assert storage.effective_dict() == dict(storage.effective())

    same()
    with hp.param_scope(**{"a": 1, "b": 2}):
        hp.param_scope.frozen()
    same()
    with hp.param_scope(**{"a": 3, "c": [1, 2]}):
        same()
        with hp.param_scope(**{"c": 4}) as ps:
            ps.d = 5
            same()
            with hp.param_scope.empty(**{"e": 6}):
                same()
                assert storage.effective_dict() == {"e": 6}
    assert storage.effective_dict() == {"a": 1, "b": 2}
