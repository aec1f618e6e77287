"""The tune suite (DESIGN §10 and §12): what ``hyperparameter.tune`` adds to Optuna.

- Per trial: ``tune.run`` of a trivial objective over a 2-key space, a pydantic config, 500
  trials in memory with ``RandomSampler(seed=0)``, against the same study driven by raw Optuna
  (``create_study(...).optimize(fn)``, ``fn`` calling ``trial.suggest_*``); both draw the same
  values and find the same best value. For context, raw Optuna whose objective enters the
  trial's typed scope by hand (what each trial of ``tune.run`` enters).
- A grid sweep of 100 points (``tune.run`` with only choices and no budget: the grid path)
  against a plain loop calling the same function under ``with param_scope(cfg),
  param_scope(**point):`` for the same points; for context, Optuna recording 100 finished
  trials (``create_trial`` + ``study.add_trials``), which the grid path does after its loop.
- Scaling (not interleaved with the above; see :func:`scaling`): an objective sleeping 0.2 s,
  40 trials, ``workers=2`` against ``workers=1``, in memory, on SQLite and on PostgreSQL (a
  throwaway server started by ``.ci/postgres.sh`` and stopped afterwards).

The config's schema (``Model``, ``Train``) and the objectives are module-level names, so that
worker processes find them by reference; the pydantic classes are built on first use (module
``__getattr__``), which keeps ``run.py``'s import light.

    python benchmarks/tune_cases.py profile [trial|grid]   # cProfile of tune.run
    python benchmarks/tune_cases.py parts                  # timing of one trial's parts
    python benchmarks/tune_cases.py polls                  # the parent's polls, workers=2
    python benchmarks/tune_cases.py instructions [CASE…]   # callgrind counts per op
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cases import Case, Target

HERE = Path(__file__).resolve().parent
POSTGRES_SH = HERE.parent / ".ci" / "postgres.sh"
N_TRIALS = 500
GRID_SIDE = 10  # 10 x 10 points
SLEEP_S = 0.2
SCALE_TRIALS = 40

TUNE_ORDER = [
    "raw_optuna", "tune_run", "raw_scoped", "grid_loop", "grid_run", "grid_record",
]  # fmt: skip
TUNE_BASELINES = {
    "trial": ("raw_optuna", "raw Optuna"),
    "grid": ("grid_loop", "plain loop"),
}
TUNE_TARGETS = [
    Target(
        f"§12. `tune.run`, {N_TRIALS} trials in memory, `RandomSampler(seed=0)` / raw Optuna, "
        "the same sampler",
        "tune_run",
        "raw_optuna",
        1.2,
    ),
    Target(
        f"§12. grid sweep of {GRID_SIDE * GRID_SIDE} points (`tune.run`, choices only) / a plain "
        "loop under `param_scope(cfg)`, `param_scope(**point)`",
        "grid_run",
        "grid_loop",
        1.2,
    ),
]
SCALE_BOUND = 1.7
STORAGES = ("memory", "sqlite", "postgresql")
STORAGE_LABELS = {
    "memory": "in memory (workers share a journal file)",
    "sqlite": "SQLite (`sqlite:///…/study.db`)",
    "postgresql": "PostgreSQL (`postgresql+psycopg://…`)",
}


@functools.cache
def _classes() -> dict[str, type]:
    """The pydantic schema of the tuned config, published in this module by name."""
    import pydantic

    class Model(pydantic.BaseModel):
        lr: float = 0.01
        layers: int = 2

    class Train(pydantic.BaseModel):
        model: Model = pydantic.Field(default_factory=Model)
        epochs: int = 3

    found: dict[str, type] = {"Model": Model, "Train": Train}
    for cls in found.values():
        cls.__module__ = __name__
        cls.__qualname__ = cls.__name__
    return found


def __getattr__(name: str) -> Any:
    # A worker unpickling the config builds the classes here on first use.
    cls = None if name.startswith("__") else _classes().get(name)
    if cls is None:
        raise AttributeError(name)
    return cls


def config() -> Any:
    return _classes()["Train"]()


def space() -> dict[str, Any]:
    """The sampled space: two keys of the config."""
    from hyperparameter import tune

    return {"model.lr": tune.loguniform(1e-4, 1.0), "model.layers": tune.intrange(1, 8)}


def grid_space() -> dict[str, Any]:
    """Choices only: the grid path of ``tune.run``, ``GRID_SIDE ** 2`` points."""
    from hyperparameter import tune

    lrs = [round(0.001 * (i + 1), 6) for i in range(GRID_SIDE)]
    return {"model.lr": tune.choice(lrs), "model.layers": tune.choice(range(1, GRID_SIDE + 1))}


def quadratic(cfg: Any) -> float:
    """The trivial objective: reads both tuned keys from the trial's config handle."""
    return (cfg.model.lr - 0.1) ** 2 + 0.01 * cfg.model.layers


def raw(trial: Any) -> float:
    """The same objective for raw Optuna: the same two suggestions."""
    lr = trial.suggest_float("model.lr", 1e-4, 1.0, log=True)
    layers = trial.suggest_int("model.layers", 1, 8)
    return (lr - 0.1) ** 2 + 0.01 * layers


def sleepy(cfg: Any) -> float:
    """The scaling objective: ``SLEEP_S`` of waiting, then the trivial value."""
    time.sleep(SLEEP_S)
    return quadratic(cfg)


def build() -> list[Case]:
    """The interleaved cases (per trial and grid); checked against each other first."""
    import optuna
    from optuna.distributions import CategoricalDistribution
    from optuna.samplers import RandomSampler
    from optuna.trial import TrialState, create_trial

    from hyperparameter import param_scope, tune

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # for both sides alike
    cfg = config()
    base = param_scope(cfg)  # one scope object, entered once per trial (as tune.run does)

    def scoped(trial: Any) -> float:
        values = {
            "model.lr": trial.suggest_float("model.lr", 1e-4, 1.0, log=True),
            "model.layers": trial.suggest_int("model.layers", 1, 8),
        }
        with base as ps, param_scope(**values):
            return quadratic(ps)

    study = optuna.create_study(sampler=RandomSampler(seed=0))
    study.optimize(raw, n_trials=N_TRIALS)
    best = study.best_value

    grid = grid_space()
    keys = list(grid)
    points = [
        dict(zip(keys, combo, strict=True))
        for combo in itertools.product(*(grid[k].choices for k in keys))
    ]
    values = []
    for p in points:
        with param_scope(cfg) as ps, param_scope(**p):
            values.append(quadratic(ps))
    dists = {k: CategoricalDistribution(list(grid[k].choices)) for k in keys}
    recorded = list(zip(points, values, strict=True))

    trial_env = {
        "run": tune.run, "quadratic": quadratic, "space": space(), "cfg": cfg,
        "RandomSampler": RandomSampler, "create_study": optuna.create_study, "raw": raw,
        "scoped": scoped, "N": N_TRIALS,
    }  # fmt: skip
    grid_env = {
        "run": tune.run, "quadratic": quadratic, "grid": grid, "cfg": cfg, "points": points,
        "param_scope": param_scope, "create_study": optuna.create_study,
        "create_trial": create_trial, "COMPLETE": TrialState.COMPLETE, "dists": dists,
        "recorded": recorded,
    }  # fmt: skip
    n_points = len(points)
    return [
        Case("raw_optuna",
             f"raw Optuna: `create_study(sampler=RandomSampler(seed=0)).optimize(fn, "
             f"n_trials={N_TRIALS})`, `fn` calling `trial.suggest_*`", "trial",
             "r = create_study(sampler=RandomSampler(seed=0))\n"
             "r.optimize(raw, n_trials=N)\nr = r.best_value", trial_env, expect=best, unroll=1),
        Case("tune_run",
             f"**ours** `tune.run(fn, space, config=cfg, n_trials={N_TRIALS}, "
             "sampler=RandomSampler(seed=0), progress=False)`", "trial",
             "r = run(quadratic, space, config=cfg, n_trials=N, sampler=RandomSampler(seed=0), "
             "progress=False).best_value", trial_env, expect=best, unroll=1),
        Case("raw_scoped",
             "(context) raw Optuna, `fn` entering the trial's typed scope by hand: `with "
             "param_scope(cfg) as ps, param_scope(**values): quadratic(ps)`", "trial",
             "r = create_study(sampler=RandomSampler(seed=0))\n"
             "r.optimize(scoped, n_trials=N)\nr = r.best_value", trial_env, expect=best,
             unroll=1),
        Case("grid_loop",
             f"plain loop over the {n_points} points: `with param_scope(cfg) as ps, "
             "param_scope(**point): fn(ps)`", "grid",
             "r = []\nfor p in points:\n    with param_scope(cfg) as ps, param_scope(**p):\n"
             "        r.append(quadratic(ps))", grid_env, expect=values, unroll=1),
        Case("grid_run",
             f"**ours** `tune.run(fn, grid, config=cfg, progress=False)`, {n_points} points "
             "(the grid path)", "grid",
             "r = run(quadratic, grid, config=cfg, progress=False).best_value", grid_env,
             expect=min(values), unroll=1),
        Case("grid_record",
             f"(context) Optuna recording {n_points} finished trials: `create_trial` each + "
             "`add_trials` into a new in-memory study", "grid",
             "r = create_study()\nr.add_trials([create_trial(state=COMPLETE, params=p, "
             "distributions=dists, values=[v], user_attrs={'hp_grid_point': True}) for p, v in "
             "recorded])\nr = r.best_value", grid_env, expect=min(values), unroll=1),
    ]  # fmt: skip


# ------------------------------------------------------------------------------- scaling


@contextlib.contextmanager
def postgres() -> Iterator[tuple[str | None, str]]:
    """A throwaway PostgreSQL server (``.ci/postgres.sh start``), stopped and removed at the
    end: ``(url, version)``, or ``(None, why)`` when it cannot be started."""
    folder = tempfile.mkdtemp(prefix="hp-bench-pg-")
    try:
        started = subprocess.run(
            ["bash", str(POSTGRES_SH), "start", folder],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if started.returncode != 0:
            tail = started.stderr.strip().splitlines()[-1:] or ["?"]
            yield None, f"`.ci/postgres.sh start` failed ({started.returncode}): {tail[0]}"
            return
        url = started.stdout.strip().splitlines()[-1]
        yield url, _server_version(url)
    finally:
        subprocess.run(
            ["bash", str(POSTGRES_SH), "stop", folder],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
            check=False,
        )


def _server_version(url: str) -> str:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.exec_driver_sql("SHOW server_version").scalar()).split()[0]
    finally:
        engine.dispose()


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its reaped children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _one(workers: int, spec: str | None) -> dict[str, float]:
    """One scaling run: wall time, and its phases from the trials' own timestamps."""
    import optuna
    from optuna.trial import TrialState

    from hyperparameter import tune

    name = None if spec is None else f"scale-{workers}-{uuid.uuid4().hex[:12]}"
    cpu0 = _cpu()
    t0, w0 = time.perf_counter(), time.time()
    result = tune.run(
        sleepy,
        space(),
        config=config(),
        n_trials=SCALE_TRIALS,
        workers=workers,
        storage=spec,
        study_name=name,
        sampler=optuna.samplers.RandomSampler(seed=0),
        progress=False,
    )
    wall, w1 = time.perf_counter() - t0, time.time()
    cpu1 = _cpu()
    trials = result.trials
    if len(trials) != SCALE_TRIALS or any(t.state != TrialState.COMPLETE for t in trials):
        raise AssertionError(f"workers={workers} on {spec!r}: not {SCALE_TRIALS} complete trials")
    if workers > 1 and len({t.user_attrs.get("hp_worker") for t in trials}) != workers:
        raise AssertionError(f"workers={workers} on {spec!r}: not every worker ran trials")
    first = min(t.datetime_start.timestamp() for t in trials if t.datetime_start)
    last = max(t.datetime_complete.timestamp() for t in trials if t.datetime_complete)
    return {
        "wall": wall,
        "start": first - w0,  # until the first trial starts: workers spawned and ready
        "trials": last - first,
        "end": w1 - last,  # after the last trial: workers gone, results gathered
        "cpu_parent": cpu1[0] - cpu0[0],
        "cpu_workers": cpu1[1] - cpu0[1],
    }


def _startup(spec: str) -> dict[str, float]:
    """A fresh interpreter, as a spawned worker starts: imports, then opening the storage and
    loading a study (fastest of 3)."""
    code = (
        "import json, sys, time\n"
        "t0 = time.perf_counter()\n"
        "import optuna, hyperparameter.tune.workers\n"
        "t1 = time.perf_counter()\n"
        "from hyperparameter.tune.storage import storage_for\n"
        "s = storage_for(sys.argv[1])\n"
        "optuna.load_study(study_name=sys.argv[2], storage=s)\n"
        "t2 = time.perf_counter()\n"
        "print(json.dumps({'import': t1 - t0, 'storage': t2 - t1}))\n"
    )
    import optuna

    from hyperparameter.tune.storage import storage_for

    name = f"startup-{uuid.uuid4().hex[:12]}"
    optuna.create_study(study_name=name, storage=storage_for(spec))
    runs = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code, spec, name], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout))
    return {k: min(r[k] for r in runs) for k in ("import", "storage")}


def scaling(rounds: int) -> dict[str, Any]:
    """``workers=1`` and ``workers=2`` on every storage, ``rounds`` rounds: in each, for each
    storage, the two runs back to back (the order flipped every other round). Each run is a new
    study (a new name in the storage's one database, whose tables are made before timing); the
    in-memory study is what ``tune.run`` makes for ``storage=None``."""
    import optuna

    from hyperparameter.tune.storage import storage_for

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out: dict[str, Any] = {"runs": {}, "startup": {}, "notes": {}}
    with tempfile.TemporaryDirectory() as tmp, postgres() as (pg_url, pg_version):
        specs: dict[str, str | None] = {"memory": None, "sqlite": f"sqlite:///{tmp}/study.db"}
        if pg_url is None:
            out["notes"]["postgresql"] = pg_version
        else:
            specs["postgresql"] = pg_url
            out["postgres_version"] = pg_version
        for name, spec in specs.items():
            if spec is not None:
                storage_for(spec)  # the tables, made once before timing
            _warm(spec)  # the parent's first run imports and connects: not timed
            out["runs"][name] = {"w1": [], "w2": []}
        for r in range(rounds):
            for name, spec in specs.items():
                for w in (1, 2) if r % 2 == 0 else (2, 1):
                    out["runs"][name][f"w{w}"].append(_one(w, spec))
        journal = f"journal://{tmp}/startup.log"
        for name, spec in {**specs, "memory": journal}.items():
            if spec is not None:
                out["startup"][name] = _startup(spec)
    return out


def _warm(spec: str | None) -> None:
    from hyperparameter import tune

    name = None if spec is None else f"warm-{uuid.uuid4().hex[:12]}"
    tune.run(quadratic, space(), config=config(), n_trials=2, storage=spec, study_name=name,
             progress=False)  # fmt: skip


def run_scaling(rounds: int) -> dict[str, Any]:
    """:func:`scaling` in a fresh interpreter started with ``-c``: the spawned workers then
    re-import no main script (only what unpickling their work needs)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "scaling.json"
        code = (
            f"import sys; sys.path.insert(0, {str(HERE)!r}); import tune_cases; "
            "tune_cases.main(sys.argv[1:])"
        )
        subprocess.run(
            [sys.executable, "-c", code, "scaling", str(rounds), str(out)],
            check=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        return dict(json.loads(out.read_text()))


# ------------------------------------------------------------------------------- evidence


def profile(what: str, top: int = 30) -> str:
    """cProfile of 4 ``tune.run`` of 500 trials (``"trial"``) or 50 grid sweeps (``"grid"``),
    the top functions by cumulative time, as text."""
    import cProfile
    import io
    import pstats

    import optuna

    from hyperparameter import tune

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cfg = config()

    def go() -> None:
        if what == "trial":
            for _ in range(4):
                tune.run(quadratic, space(), config=cfg, n_trials=N_TRIALS,
                         sampler=optuna.samplers.RandomSampler(seed=0), progress=False)  # fmt: skip
        else:
            for _ in range(50):
                tune.run(quadratic, grid_space(), config=cfg, progress=False)

    go()  # warm
    prof = cProfile.Profile()
    prof.runcall(go)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def parts() -> dict[str, float]:
    """µs per op (fastest of 7 timeit repeats) of what one trial of ``tune.run`` does around
    the objective, and of one raw Optuna trial."""
    import timeit

    import optuna

    from hyperparameter import param_scope
    from hyperparameter.schema import views
    from hyperparameter.tune.check import Target as Tuned
    from hyperparameter.tune.spaces import as_space
    from hyperparameter.tune.trial import Objective

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cfg = config()
    base = param_scope(cfg)
    dims = as_space(space())
    tuned = Tuned(cfg, quadratic)
    tuned.check(dims)
    objective = Objective(quadratic, dims, tuned)
    values = {"model.lr": 0.0123, "model.layers": 3}
    with base:
        bound = _bound_schemas()
    items = [(None, k, v) for k, v in values.items()]
    adapter = bound[0].adapter
    loc, _, annotation = views._plan(adapter, "model.lr")
    errors: list[Any] = []

    def raw_trials() -> None:
        optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).optimize(
            raw, n_trials=100
        )

    stmts = {
        "one raw Optuna trial (RandomSampler, in memory)": (raw_trials, 100),
        "`Objective.call(values)`: what `tune.run` does around the objective per trial": (
            lambda: objective.call(values),
            1,
        ),
        "`with param_scope(): pass` (an empty scope)": (lambda: _enter(param_scope()), 1),
        "`with param_scope(**values): pass`, no typed scope around": (
            lambda: _enter(param_scope(**values)),
            1,
        ),
        "`with param_scope(cfg): pass`, the scope object made once": (lambda: _enter(base), 1),
        "`with param_scope(cfg), param_scope(**values): pass` (the trial's scopes)": (
            lambda: _enter2(base, param_scope, values),
            1,
        ),
        "`views.validate_items`, the 2 values (what the typed scope checks)": (
            lambda: views.validate_items(bound, items),
            1,
        ),
        "`SchemaAdapter._value(0.0123, float, ...)` (one key's preparation)": (
            lambda: adapter._value(0.0123, annotation, loc, errors),
            1,
        ),
        "`TypeAdapter(float).validate_python(0.0123)` (one key's pydantic check)": (
            lambda: views._type_adapter(annotation).validate_python(0.0123),
            1,
        ),
    }
    out = {}
    for label, (fn, per) in stmts.items():
        n = 20 if per > 1 else 20000
        best = min(timeit.repeat(fn, number=n, repeat=7))
        out[label] = best / n / per * 1e6
    ctx = contextvars.copy_context()
    ps = ctx.run(base.__enter__)  # left entered in a context of its own
    best = min(ctx.run(timeit.repeat, lambda: quadratic(ps), number=20000, repeat=7))
    out["`quadratic(ps)`, the objective reading the typed handle"] = best / 20000 * 1e6
    return out


def polls(rounds: int = 2) -> list[str]:
    """``workers=2`` runs with the parent's progress poll (``tune.workers._progress``, called
    every ~0.1 s while the workers run, with or without a bar) wrapped by a timer: how often
    it runs and what it costs the parent, per storage."""
    import optuna

    from hyperparameter.tune import workers

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    spent: list[float] = []
    poll = workers._progress

    def timed(*args: Any) -> None:
        t0 = time.perf_counter()
        poll(*args)
        spent.append(time.perf_counter() - t0)

    lines = []
    workers._progress = timed  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as tmp, postgres() as (pg_url, _):
            specs = {"memory": None, "sqlite": f"sqlite:///{tmp}/study.db", "postgresql": pg_url}
            for name, spec in specs.items():
                if name == "postgresql" and spec is None:
                    continue
                _warm(spec)
                for _ in range(rounds):
                    spent.clear()
                    r = _one(2, spec)
                    lines.append(
                        f"{name}: wall {r['wall']:.2f} s, {len(spent)} polls, "
                        f"{sum(spent):.3f} s in them ({sum(spent) / len(spent) * 1e3:.1f} ms "
                        f"each), parent CPU {r['cpu_parent']:.2f} s"
                    )
    finally:
        workers._progress = poll  # type: ignore[assignment]
    return lines


def ops(key: str, k: int) -> None:
    """``k`` ops of the case ``key``, each checked, the collector off as in the runner's
    rounds (what ``instructions`` runs under callgrind)."""
    import gc
    import textwrap

    case = next(c for c in build() if c.key == key)
    src = f"def _op({', '.join(case.env)}):\n{textwrap.indent(case.stmt, '    ')}\n    return r\n"
    ns: dict[str, Any] = {}
    exec(compile(src, f"<op {key}>", "exec"), ns)
    gc.collect()
    gc.disable()
    for _ in range(k):
        if ns["_op"](**case.env) != case.expect:
            raise AssertionError(f"{key}: unexpected value")


def instructions(keys: list[str]) -> dict[str, float]:
    """Instructions of one op of each case (``valgrind --tool=callgrind``, ``PYTHONHASHSEED=0``):
    a run of 3 ops less a run of 1, halved, so start-up, imports, ``build`` and the first op's
    warm-up cancel out. Counts do not drift with the machine's load, as times do."""
    out = {}
    for key in keys:
        counts = []
        for k in (1, 3):
            with tempfile.TemporaryDirectory() as tmp:
                cmd = [
                    "valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out",
                    sys.executable, str(Path(__file__)), "ops", key, str(k),
                ]  # fmt: skip
                env = {**os.environ, "PYTHONHASHSEED": "0"}
                done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
                total = [ln for ln in done.stderr.splitlines() if "Collected :" in ln]
                counts.append(int(total[-1].split(":")[-1].strip().replace(",", "")))
        out[key] = (counts[1] - counts[0]) / 2
    return out


def _bound_schemas() -> Any:
    from hyperparameter import storage

    return storage.bound_schemas()


def _enter(scope: Any) -> None:
    with scope:
        pass


def _enter2(base: Any, param_scope: Any, values: dict[str, Any]) -> None:
    with base, param_scope(**values):
        pass


def main(argv: list[str]) -> None:
    what, *rest = argv
    if what == "scaling":
        rounds, path = rest
        Path(path).write_text(json.dumps(scaling(int(rounds))))
    elif what == "profile":
        print(profile(rest[0] if rest else "trial"))
    elif what == "polls":
        print("\n".join(polls()))
    elif what == "ops":
        ops(rest[0], int(rest[1]))
    elif what == "instructions":
        keys = rest or TUNE_ORDER
        counts = instructions(keys)
        base = {"trial": counts.get("raw_optuna"), "grid": counts.get("grid_loop")}
        for key, n in counts.items():
            b = base["grid" if key.startswith("grid") else "trial"]
            ratio = f"{n / b:.3f}x" if b else ""
            print(f"{n / 1e6:10.2f} M instructions per op  {ratio:>8}  {key}")
    elif what == "parts":
        for label, us in parts().items():
            print(f"{us:9.2f} µs  {label}")
    else:
        raise SystemExit(f"unknown command {what!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
