"""The README's first command runs examples/demo.py: it must keep working."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).parent.parent / "examples" / "demo.py"


def test_demo_runs() -> None:
    r = subprocess.run(
        [sys.executable, str(DEMO)], capture_output=True, text=True, env=os.environ, timeout=60
    )
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert f"store backend: {os.environ.get('HYPERPARAMETER_BACKEND') or 'rust'}" in out
    assert "in a scope:             (0.1, 8, 'relu')" in out
    assert "nested override:        (0.2, 8, 'relu')" in out
    assert "asyncio task:           (0.1, 8, 'gelu')" in out
    assert "after the task:         (0.1, 8, 'relu')" in out
    assert "bad value:              model.layers: cannot convert 'eight' to int" in out
    assert "epochs=90, run_name='gelu-8')" in out
    assert "3 errors loading Train (base.yaml <- broken.toml)" in out
    assert "  broken.toml:3:1: model.actt: unknown key 'actt'; did you mean 'act'?" in out
    assert "from the loaded config: (0.0003, 8, 'gelu') gelu-8" in out
