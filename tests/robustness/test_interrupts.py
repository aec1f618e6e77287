"""Interrupts inside ``with param_scope(...)``: whenever a signal handler raises, the scope is
left whole (no frame behind, no ``ScopeError``), on both backends.

Each run is a fresh interpreter (signals belong to the main thread of a process of its own):
thousands of ``with`` statements, each with a timer set to fire at a random moment of it, whose
handler raises ``KeyboardInterrupt``. After every one, the context must be back outside every
scope.
"""

from __future__ import annotations

import json

import pytest
from subproc import run_python

SCRIPT = r"""
import json, random, signal, sys
import pydantic
import hyperparameter as hp
from hyperparameter import storage

class M(pydantic.BaseModel):
    lr: float = 0.1
class Cfg(pydantic.BaseModel):
    model: M = M()

rng = random.Random(int(sys.argv[1]))
rounds = int(sys.argv[2])
shared = hp.param_scope(**{"model.lr": 0.5})
cfg = Cfg()

def handler(signum, frame):
    raise KeyboardInterrupt

def body(kind):
    if kind == 0:
        with hp.param_scope(**{"a.b": 1}):
            x = hp.param_scope.a.b | 0
    elif kind == 1:
        with shared:
            with hp.param_scope("c=2") as ps:
                ps.d = 3
                x = ps.c | 0
    elif kind == 2:
        with hp.param_scope(cfg) as ps:
            with shared:
                x = ps.model.lr
    else:
        with hp.param_scope(a=1), hp.param_scope(b=2), hp.param_scope.empty(c=3):
            x = hp.param_scope.c | 0

signal.signal(signal.SIGALRM, handler)
leaked = scope_errors = interrupted = 0
other = []
for i in range(rounds):
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, rng.random() * 40e-6)
            body(i % 4)
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except KeyboardInterrupt:
        interrupted += 1
    except hp.ScopeError:
        scope_errors += 1
    except Exception as e:
        other.append(f"{type(e).__name__}: {e}")
    if storage.CURRENT_FRAME.get(storage.TOP) is not storage.TOP:
        leaked += 1
        storage.CURRENT_FRAME.set(storage.TOP)  # start the next round clean
print(json.dumps({"leaked": leaked, "scope_errors": scope_errors,
                  "interrupted": interrupted, "other": other[:5]}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_interrupts_never_leave_a_frame_behind(seed: int) -> None:
    proc = run_python(SCRIPT, str(seed), "1500", timeout=240)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["other"] == []
    assert (result["leaked"], result["scope_errors"]) == (0, 0)
    # The timer really landed inside the statements, many times (not a vacuous pass).
    assert result["interrupted"] > 100
