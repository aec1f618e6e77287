"""Typed views: `with param_scope(cfg) as ps` (issue: typed access)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from schemas import PTrain, Train

import hyperparameter as hp
from hyperparameter import ConfigValidationError, param_scope
from hyperparameter.schema import View

BOTH = pytest.mark.parametrize("schema", [Train, PTrain], ids=["dataclass", "pydantic"])


@BOTH
def test_view_reads_through_the_store(schema: type) -> None:
    cfg = hp.load(schema=schema, overrides=["model.layers=8"])
    with param_scope(cfg) as ps:
        assert isinstance(ps, View)
        assert ps.model.layers == 8
        assert ps.model.lr == 1e-3
        assert ps.data.splits == ["train", "val"]
        assert ps.model is ps.model  # nested views are cached
        with param_scope(**{"model.layers": 12}):
            assert ps.model.layers == 12  # the very next read sees the inner scope
        assert ps.model.layers == 8
        param_scope.model.layers = 16
        assert ps.model.layers == 16


@BOTH
def test_writes_are_validated_once(schema: type) -> None:
    with param_scope(hp.load(schema=schema)) as ps:
        ps.model.lr = 0.2
        assert ps.model.lr == 0.2
        ps.model.layers = "32"  # coerced at write time
        assert ps.model.layers == 32
        assert type(ps.model.layers) is int
        with pytest.raises(ConfigValidationError) as e:
            ps.model.lr = "fast"
        assert str(e.value) == (
            f"1 error validating {schema.__name__}\n"
            "  model.lr: Input should be a valid number, unable to parse string as a number "
            "[input='fast']"
        )
        with pytest.raises(ConfigValidationError, match="Input should be 'relu' or 'gelu'"):
            param_scope.model.act = "tanh"
        assert ps.model.lr == 0.2  # nothing was stored by the failed writes
        assert ps.model.act == "relu"


@BOTH
def test_inner_scopes_are_validated_on_enter(schema: type) -> None:
    with param_scope(hp.load(schema=schema)) as ps:
        with param_scope(**{"model.layers": "64"}):
            assert ps.model.layers == 64
        with pytest.raises(ConfigValidationError) as e, param_scope("model.layers=many"):
            pass
        assert "model.layers: Input should be a valid integer" in str(e.value)
        unknown = r"\n  model\.lrr: unknown key 'lrr'; did you mean 'lr'\?$"
        with pytest.raises(ConfigValidationError, match=unknown):
            param_scope(**{"model.lrr": 1}).__enter__()
        with param_scope(**{"elsewhere.x": "anything"}):  # keys outside the schema are free
            assert param_scope.elsewhere.x() == "anything"
        assert ps.model.layers == 4
    with param_scope(**{"model.layers": "not checked outside"}):
        assert param_scope.model.layers() == "not checked outside"


@BOTH
def test_assignments_beside_the_config_are_validated(schema: type) -> None:
    cfg = hp.load(schema=schema)
    with param_scope(cfg, "model.layers=6") as ps:
        assert ps.model.layers == 6
    with pytest.raises(ConfigValidationError):
        param_scope(cfg, **{"model.layers": "x"})


@BOTH
def test_unknown_attributes(schema: type) -> None:
    with param_scope(hp.load(schema=schema)) as ps:
        with pytest.raises(AttributeError) as e:
            ps.model.lrr  # noqa: B018
        assert (e.value.name, e.value.obj) == ("lrr", ps.model)
        with pytest.raises(AttributeError, match="has no field 'lrr'; did you mean 'lr'"):
            ps.model.lrr = 0.1


@BOTH
def test_snapshot_returns_a_real_instance(schema: type) -> None:
    cfg = hp.load(schema=schema)
    with param_scope(cfg) as ps:
        ps.model.lr = 0.5
        with param_scope(**{"data.batch_size": 7}):
            snap = hp.snapshot(ps)
        assert isinstance(snap, schema)
        assert snap.model.lr == 0.5
        assert snap.data.batch_size == 7
        assert snap.data.splits == ["train", "val"]
        assert hp.snapshot(ps.model).layers == 4
    with pytest.raises(TypeError):
        hp.snapshot(cfg)


@BOTH
def test_auto_param_and_threads_see_the_typed_scope(schema: type) -> None:
    @hp.auto_param("model")
    def build(lr: float = 0.0, layers: int = 0) -> tuple[float, int]:
        return lr, layers

    with param_scope(hp.load(schema=schema, overrides=["model.lr=0.3"])) as ps:
        assert build() == (0.3, 4)
        ps.model.layers = 5
        assert build() == (0.3, 5)
        seen: list[object] = []
        t = threading.Thread(target=lambda: seen.append(param_scope.model.layers | -1))
        t.start()
        t.join()
        assert seen == [-1]  # threads start without the scope (frozen() shares it)


def test_a_misspelt_read_shows_did_you_mean() -> None:
    """The view has no __getattr__ (it would cost every read); Python names the field."""
    script = textwrap.dedent(
        """
        import hyperparameter as hp
        from schemas import Train
        with hp.param_scope(hp.load(schema=Train)) as ps:
            ps.model.lrr
        """
    )
    r = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],  # tests/, where schemas.py is
        env=os.environ,
        timeout=60,
    )
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1] == (
        "AttributeError: 'ModelView' object has no attribute 'lrr'. Did you mean: 'lr'?"
    )
