"""Provenance that travels (DESIGN §11): a snapshot of a scope entered with a loaded config
names, for each key, where its value was set — as ``hp explain`` names it — in this process
and in every process it is sent to; a value set in code since has no file source."""

from __future__ import annotations

import gc
import multiprocessing
import pickle
from dataclasses import dataclass
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import procs_work as work
import pytest
from schemas import PTrain, Train

import hyperparameter as hp
from hyperparameter.api import provenance
from hyperparameter.cli.resolve import resolve

from .conftest import METHODS

WAIT = 60
pytestmark = pytest.mark.timeout(300)

BASE = """\
model:
  lr: 0.5
  act: gelu
epochs: 3
"""
EXP = """\
[model]
layers = 12

[data]
batch_size = 64
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    base, exp = tmp_path / "base.yaml", tmp_path / "exp.toml"
    base.write_text(BASE)
    exp.write_text(EXP)
    return base, exp


def _load(files: tuple[Path, Path], schema: type, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("APP_DATA__PATH", "/data/set")
    return hp.load(*files, schema=schema, overrides=["model.dropout=0.25"], env_prefix="APP")


@pytest.mark.parametrize("schema", [Train, PTrain], ids=["dataclass", "pydantic"])
def test_a_captured_loaded_config_names_the_source_of_every_key(
    files: tuple[Path, Path], schema: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, exp = files
    cfg = _load(files, schema, monkeypatch)
    with hp.param_scope(cfg):
        snap = hp.capture()
    assert snap.source("model.lr") == f"{base}:2:7"
    assert snap.source("model.act") == f"{base}:3:8"
    assert snap.source("epochs") == f"{base}:4:9"
    assert snap.source("model.layers") == f"{exp}:2:10"
    assert snap.source("data.batch_size") == f"{exp}:5:14"
    assert snap.source("model.dropout") == "-D model.dropout=0.25"
    assert snap.source("data.path") == "env:APP_DATA__PATH"
    assert snap.source("amp") == "default"
    # ``${…}`` resolved: the place of the reference
    assert snap.source("run_name") == "default"
    # the same names as ``hp explain`` gives, for every key
    res = resolve([str(base), str(exp)], schema=schema, defines=["model.dropout=0.25"])
    for key, src in snap.sources().items():
        loc = tuple(int(p) if p.isdigit() else p for p in key.split("."))
        if src.startswith("env:"):
            continue  # explain is given no environment here
        assert res.source(loc) == src, key
    assert set(snap.sources()) == set(snap.keys())


def test_a_value_set_in_code_has_no_file_source(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _base, _ = files
    cfg = _load(files, Train, monkeypatch)
    with hp.param_scope(cfg) as ps:
        ps.model.lr = 0.75  # a write in the config's own frame
        with (
            hp.param_scope(**{"epochs": 9}, **{"model.act": "relu"}),
            hp.param_scope("data.batch_size=128"),
        ):
            snap = hp.capture()
    assert snap.source("model.lr") is None
    assert snap.source("epochs") is None
    assert snap.source("model.act") is None
    # under a typed scope an override text is coerced on entering: a value of its own, with
    # no source kept (outside one it keeps its text, test_procs)
    assert snap.source("data.batch_size") is None
    assert snap.source("model.layers") is not None  # untouched keys keep theirs
    assert snap.to_dict()["model.lr"] == 0.75


def test_sources_survive_pickling_and_nested_snapshots(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _load(files, Train, monkeypatch)
    with hp.param_scope(cfg):
        snap = hp.capture()
    copy = pickle.loads(pickle.dumps(snap))
    assert copy == snap
    assert copy.sources() == snap.sources()
    with copy, hp.param_scope(**{"run.extra": 1}):
        again = hp.capture()  # a snapshot taken inside a snapshot
    assert again.sources() == snap.sources()
    assert again.source("run.extra") is None


def test_frozen_values_keep_their_sources(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _load(files, Train, monkeypatch)
    with hp.param_scope(cfg):
        expected = hp.capture().sources()
        hp.param_scope.frozen()
    try:
        assert hp.capture().sources() == expected
        with hp.param_scope(**{"epochs": 1}):
            assert "epochs" not in hp.capture().sources()
    finally:
        with hp.param_scope.empty():
            hp.param_scope.frozen()
    assert hp.capture().sources() == {}


@pytest.mark.parametrize("method", METHODS)
def test_sources_cross_to_pool_workers(
    pools: dict[str, Pool], files: tuple[Path, Path], method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _load(files, PTrain, monkeypatch)
    with hp.param_scope(cfg):
        expected = hp.capture().sources()
        got = pools[method].apply_async(hp.propagate(work.sources_here)).get(WAIT)
    assert got == expected
    assert got["model.lr"].endswith("base.yaml:2:7")


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_an_installed_snapshot_keeps_its_sources(
    files: tuple[Path, Path], method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _load(files, Train, monkeypatch)
    with hp.param_scope(cfg):
        snap = hp.capture()
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(1, initializer=snap.install) as pool:
        got = pool.apply_async(work.sources_here).get(WAIT)
    assert got == snap.sources()


def test_the_record_of_a_load_lives_as_long_as_its_config(
    files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _load(files, PTrain, monkeypatch)
    ident = id(cfg)
    assert provenance.pairs(cfg) is not None
    del cfg
    gc.collect()
    assert ident not in provenance._BY_ID


@dataclass(slots=True)
class Slotted:
    lr: float = 0.1
    layers: int = 2


def test_a_config_without_weak_references_is_kept_among_the_last_few(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("lr: 0.3\n")
    cfg = hp.load(path, schema=Slotted)
    with hp.param_scope(cfg):
        assert hp.capture().source("lr") == f"{path}:1:5"
        assert hp.capture().source("layers") == "default"
    for _ in range(provenance._STRONG_LIMIT + 1):
        hp.load(path, schema=Slotted)
    assert provenance.pairs(cfg) is None  # dropped, oldest first; the config itself works
    with hp.param_scope(cfg):
        assert hp.capture().source("lr") is None
        assert hp.param_scope.lr() == 0.3


def test_a_plain_dict_or_an_unloaded_instance_has_no_file_sources(
    files: tuple[Path, Path],
) -> None:
    tree = hp.load(*files)
    with hp.param_scope(tree):
        assert hp.capture().sources() == {}
    with hp.param_scope(Train()):
        assert hp.capture().sources() == {}
