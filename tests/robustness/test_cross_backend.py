"""The Rust and Python stores give identical results: the same random scope programs
(``scope_programs.random_programs``: enter, write, read, exit, clear, empty scopes, threads
and asyncio tasks) run here on the active backend and in a subprocess on the other one, and
both agree with the reference model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import scope_programs
from subproc import run_python

from hyperparameter import storage

pytestmark = pytest.mark.timeout(180)

SEED, COUNT = 20_260_528, 600
HERE = Path(__file__).parent


def other_backend() -> str:
    return "python" if storage.backend() == "rust" else "rust"


def run_elsewhere(backend: str, seed: int, count: int) -> str:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import scope_programs;"
        "print(scope_programs.main(int(sys.argv[2]), int(sys.argv[3])))"
    )
    done = run_python(
        code,
        str(HERE),
        str(seed),
        str(count),
        backend=backend,
        warnings_are_errors=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_both_backends_and_the_model_agree_on_random_programs() -> None:
    here = scope_programs.main(SEED, COUNT)
    there = run_elsewhere(other_backend(), SEED, COUNT)
    programs = scope_programs.random_programs(SEED, COUNT)
    expected = json.dumps(
        [scope_programs.model(program, prologue) for prologue, program in programs],
        sort_keys=True,
    )
    mine, theirs, model = json.loads(here), json.loads(there), json.loads(expected)
    for i, (a, b, m) in enumerate(zip(mine, theirs, model, strict=True)):
        assert a == b == m, (i, programs[i])
    reads = sum(len(v) for trace in model for v in trace.values())
    assert reads > 10 * COUNT  # the programs really read


def test_the_subprocess_really_runs_the_other_backend() -> None:
    code = "import hyperparameter.storage as s; print(s.backend())"
    out = run_python(code, backend=other_backend())
    assert (out.returncode, out.stdout.strip()) == (0, other_backend()), out.stderr
