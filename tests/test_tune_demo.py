"""examples/tune_demo.py (docs/tuning.md points to it): it runs, on a tiny budget, and leaves
the report and a best config that loads back as what it printed."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import hyperparameter as hp

DEMO = Path(__file__).parent.parent / "examples" / "tune_demo.py"

pytestmark = pytest.mark.timeout(300)


def test_the_tune_demo_writes_its_report_and_the_best_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    r = subprocess.run(
        [sys.executable, str(DEMO), str(out), "--trials", "6"],
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("6 trials: ")
    assert lines[1].startswith("best validation MSE ")
    assert lines[-1] == f"wrote {out / 'best.yaml'} and {out / 'report.html'}"

    spec = importlib.util.spec_from_file_location("tune_demo", DEMO)
    assert spec is not None
    assert spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "tune_demo", demo)  # dataclasses look their module up
    spec.loader.exec_module(demo)
    best = hp.load(out / "best.yaml", schema=demo.Train)
    assert isinstance(best, demo.Train)
    assert f"best config: {best!r}" in lines
    text = (out / "best.yaml").read_text()
    assert text.count("# tuned: trial ") == 5  # degree, lr, l2, batch size, steps
    page = (out / "report.html").read_text()
    assert "<h1>Study tune-demo</h1>" in page
    assert "<h2>Optimization history</h2>" in page
