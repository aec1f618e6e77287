"""Runs a Python snippet in a fresh interpreter on a chosen store backend (default: the one
this test run uses), for what only a process of its own can show: exit status, RSS, a hang."""

from __future__ import annotations

import os
import subprocess
import sys

from hyperparameter import storage


def run_python(
    code: str,
    *args: str,
    backend: str | None = None,
    warnings_are_errors: bool = False,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``python -c code args…`` with ``HYPERPARAMETER_BACKEND`` set; output captured as text.
    A timeout raises ``subprocess.TimeoutExpired``."""
    env = {**os.environ, "HYPERPARAMETER_BACKEND": backend or storage.backend()}
    flags = ["-W", "error"] if warnings_are_errors else []
    return subprocess.run(
        [sys.executable, *flags, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
