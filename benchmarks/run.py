"""Times hyperparameter against its peers and writes the tables into benchmarks/README.md.

    python benchmarks/run.py                   # both backends, one subprocess each; README
    python benchmarks/run.py --backend rust    # one backend (only its README section changes)
    python benchmarks/run.py --quick           # smoke run: 3 rounds, prints, README untouched
    python benchmarks/run.py --suite loader    # only the 1,000-leaf config (load, enter, memory)
    python benchmarks/run.py --suite procs     # capture + pickle, a spawn pool's map (§11)
    python benchmarks/run.py --suite tune      # tune.run against raw Optuna, workers (§12)
    python benchmarks/run.py --suite import --before ../old   # import time, against a checkout

Method: see README.md. Each backend runs in its own process (the backend is picked at import).
"""

from __future__ import annotations

import argparse
import contextvars
import gc
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import import_cases
import loader_cases
import procs_cases
import tune_cases
from cases import BASELINES, HP06_DIR, NO_CHECK, ORDER, TARGETS, Case, Target, build
from loader_cases import LOAD_BASELINES, LOAD_ORDER, LOAD_TARGETS, MEMORY_BOUND
from procs_cases import PROCS_BASELINES, PROCS_ORDER, PROCS_TARGETS
from tune_cases import SCALE_BOUND, STORAGE_LABELS, TUNE_BASELINES, TUNE_ORDER, TUNE_TARGETS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = HERE / "README.md"
BACKENDS = ("rust", "python")
SUITES = ("hot", "loader", "import", "procs", "tune")
X = "\u00d7"  # the multiplication sign of the ratios


@dataclass
class Bench:
    case: Case
    ctx: contextvars.Context
    loop: Callable[..., int]
    once: Callable[..., Any]
    args: tuple[Any, ...]
    n: int = 1

    def sample(self, n: int) -> int:
        """Nanoseconds for ``n`` loop iterations (``n * unroll`` ops) in the case's context."""
        return self.ctx.run(self.loop, n, time.perf_counter_ns, *self.args)


def _compile(case: Case) -> tuple[Callable[..., int], Callable[..., Any]]:
    params = ", ".join(case.env)
    body = textwrap.indent("\n".join([case.stmt] * case.unroll), " " * 8)
    once = textwrap.indent(case.stmt, " " * 4)
    result = "r" if case.stmt.startswith("r = ") else "None"
    src = (
        f"def _loop(_n, _clock, {params}):\n    _t0 = _clock()\n    for _ in range(_n):\n"
        f"{body}\n    return _clock() - _t0\n\n"
        f"def _once({params}):\n{once}\n    return {result}\n"
    )
    ns: dict[str, Any] = {}
    exec(compile(src, f"<bench {case.key}>", "exec"), ns)
    return ns["_loop"], ns["_once"]


def _prepare(case: Case) -> Bench:
    ctx = contextvars.copy_context()
    if case.setup is not None:
        ctx.run(case.setup)
    loop, once = _compile(case)
    bench = Bench(case, ctx, loop, once, tuple(case.env.values()))
    got = ctx.run(once, *bench.args)
    if case.expect is not NO_CHECK and got != case.expect:
        raise AssertionError(f"{case.key}: one op gave {got!r}, expected {case.expect!r}")
    return bench


def _calibrate(bench: Bench, target_ns: float) -> int:
    """Loop iterations so that one sample takes about ``target_ns``."""
    n = 1
    while (t := bench.sample(n)) < target_ns / 8:
        n *= 4
    return max(1, round(n * target_ns / t))


def _is_core(fn: Any) -> bool:
    """Whether a builtin ``fn`` is defined in ``hyperparameter._core`` (function or method)."""
    if getattr(fn, "__module__", None) == "hyperparameter._core":
        return True
    owner = type(getattr(fn, "__self__", None))
    return any(
        c.__module__ == "hyperparameter._core" and fn.__name__ in vars(c) for c in owner.__mro__
    )


def _count_calls(bench: Bench) -> tuple[int, int, int]:
    """Python-level calls, C calls, and calls into ``hyperparameter._core`` for one op."""
    counts = [0, 0, 0]

    def prof(_frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            counts[0] += 1
        elif event == "c_call":
            counts[1] += 1
            counts[2] += _is_core(arg)

    def one() -> None:
        bench.once(*bench.args)  # warm: counts are of the steady state, caches filled
        sys.setprofile(prof)
        try:
            bench.once(*bench.args)
        finally:
            sys.setprofile(None)

    bench.ctx.run(one)
    # Not the op's own: the call of `_once` and the C call of `sys.setprofile(None)`.
    return counts[0] - 1, counts[1] - 1, counts[2]


def _core_build() -> str:
    """Which workspace build the loaded ``_core`` is (release / debug / unknown)."""
    from hyperparameter import _core

    so = Path(str(_core.__file__)).read_bytes()
    for profile in ("release", "debug"):
        built = ROOT / "target" / profile / "lib_core.so"
        if built.exists() and built.read_bytes() == so:
            return profile
    return "unknown"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "missing"


def _time(
    cases: list[Case], order: list[str], rounds: int, sample_ms: float
) -> tuple[dict[str, list[float]], dict[str, tuple[int, int, int]], dict[str, int]]:
    """Samples (ns/op, one per round), calls/op and ops/sample of every case, interleaved."""
    benches = [_prepare(c) for c in cases]
    for b in benches:
        b.n = _calibrate(b, sample_ms * 1e6)
    calls = {b.case.key: _count_calls(b) for b in benches}
    samples: dict[str, list[float]] = {b.case.key: [] for b in benches}
    # Every round runs every case once, in table order (each baseline next to its cases, so
    # that their per-round ratio compares neighbours in time), reversed every other round.
    benches.sort(key=lambda b: order.index(b.case.key))
    for r in range(rounds):
        gc.collect()
        gc.disable()
        try:
            for b in benches if r % 2 == 0 else benches[::-1]:
                samples[b.case.key].append(b.sample(b.n) / (b.n * b.case.unroll))
        finally:
            gc.enable()
    return samples, calls, {b.case.key: b.n * b.case.unroll for b in benches}


def _hot(rounds: int, sample_ms: float) -> dict[str, Any]:
    cases, missing = build()
    samples, calls, n = _time(cases, ORDER, rounds, sample_ms)
    labels = {c.key: c.label for c in cases} | missing
    groups = {c.key: c.group for c in cases}
    return {"labels": labels, "groups": groups, "samples": samples, "calls": calls, "n": n}


def _loader(backend: str, rounds: int, sample_ms: float, quick: bool) -> dict[str, Any]:
    from hyperparameter.loader import formats as _formats

    if _formats.yaml_backend() != "c":
        print("WARNING: ruamel.yaml.clib is missing: YAML parses in pure Python", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        fx = loader_cases.fixture(Path(tmp))
        cases, missing = loader_cases.build(fx)
        samples, calls, n = _time(cases, LOAD_ORDER, rounds, sample_ms)
        stages = loader_cases.stages(fx, 3 if quick else 15)
        memory = loader_cases.memory(fx.path, backend, 1 if quick else 3)
        cold_runs = 1 if quick else 5
        cold = loader_cases.cold(fx.path, backend, cold_runs)
        stages["cold_runs"] = cold_runs
        stats = fx.stats()
    return {
        "labels": {c.key: c.label for c in cases} | missing,
        "groups": {c.key: c.group for c in cases},
        "samples": samples,
        "calls": calls,
        "n": n,
        "stats": stats,
        "yaml_backend": _formats.yaml_backend(),
        "stages": stages,
        "memory": memory,
        "cold": cold,
    }


def _procs(rounds: int, sample_ms: float) -> dict[str, Any]:
    import multiprocessing

    # Made before any scope, as a long-lived pool is; two workers, one per CPU here.
    pool = multiprocessing.get_context("spawn").Pool(2)
    try:
        pool.map(procs_cases.square, range(100))  # the workers are up and warm
        cases = procs_cases.build(pool)
        samples, calls, n = _time(cases, PROCS_ORDER, rounds, sample_ms)
    finally:
        pool.terminate()
        pool.join()
    return {
        "labels": {c.key: c.label for c in cases},
        "groups": {c.key: c.group for c in cases},
        "samples": samples,
        "calls": calls,
        "n": n,
        "keys": procs_cases.keys_of_config(),
    }


def _tune(rounds: int, sample_ms: float, scale_rounds: int) -> dict[str, Any]:
    import optuna

    cases = tune_cases.build()
    samples, calls, n = _time(cases, TUNE_ORDER, rounds, sample_ms)
    return {
        "labels": {c.key: c.label for c in cases},
        "groups": {c.key: c.group for c in cases},
        "samples": samples,
        "calls": calls,
        "n": n,
        "optuna": optuna.__version__,
        "scale_rounds": scale_rounds,
        "scaling": tune_cases.run_scaling(scale_rounds),
    }


def measure(
    backend: str,
    suites: list[str],
    rounds: int,
    sample_ms: float,
    quick: bool,
    out: Path,
    before: Path | None = None,
    scale_rounds: int = 2,
) -> None:
    """The child process: times every case of ``suites``, ``rounds`` rounds interleaved;
    writes JSON."""
    from hyperparameter import storage

    if storage.backend() != backend:
        raise SystemExit(f"asked for backend {backend!r}, got {storage.backend()!r}")
    build_kind = _core_build() if backend == "rust" else "-"
    if build_kind == "debug":
        print("WARNING: _core is a DEBUG build; these figures mean nothing", file=sys.stderr)
    result: dict[str, Any] = {}
    if "hot" in suites:
        result["hot"] = _hot(rounds, sample_ms)
    if "loader" in suites:
        result["loader"] = _loader(backend, rounds, sample_ms, quick)
    if "procs" in suites:
        result["procs"] = _procs(rounds, sample_ms)
    if "tune" in suites:
        result["tune"] = _tune(rounds, sample_ms, 1 if quick else scale_rounds)
    if "import" in suites:
        result["import"] = import_cases.measure(rounds, before, quick)
    hp06 = sys.modules.get("hp06.storage")
    peers = ("pydantic", "omegaconf", "gin-config", "ruamel.yaml", "ruamel.yaml.clib")
    result["meta"] = {
        "backend": backend,
        "python": platform.python_version(),
        "core_build": build_kind,
        "hp06_backend": "-" if hp06 is None else ("rust" if hp06.has_rust_backend else "python"),
        "rounds": rounds,
        "peers": ", ".join(f"{p} {_version(p)}" for p in peers[:3]),
        "yaml": ", ".join(f"{p} {_version(p)}" for p in peers[3:]),
    }
    out.write_text(json.dumps(result))


# --------------------------------------------------------------------------- report


def _machine() -> str:
    info = Path("/proc/cpuinfo")
    lines = info.read_text().splitlines() if info.exists() else []
    names = (ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name"))
    cpu = next(names, platform.machine())
    head = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    return f"{cpu}, {os.cpu_count()} CPUs; commit `{head or '?'}`; {time.strftime('%Y-%m-%d')}"


def _cases_table(
    part: dict[str, Any],
    order: list[str],
    baselines: dict[str, tuple[str, str]],
    ms: bool,
    unit: str | None = None,
) -> list[str]:
    """The case table: median and min per op (ns, or ms with ``ms``, or ``unit``: "µs"),
    min-ratio, calls/op."""
    samples = part["samples"]
    labels = {k: v.replace("|", "\\|") for k, v in part["labels"].items()}  # GFM cells
    scales = {"ns": (1.0, 1), "µs": (1e3, 1), "ms": (1e6, 2)}
    unit = unit or ("ms" if ms else "ns")
    scale, digits = scales[unit]
    med = {k: statistics.median(v) / scale for k, v in samples.items()}
    low = {k: min(v) / scale for k, v in samples.items()}
    out = [
        f"| case | median {unit}/op | min {unit}/op | min-ratio | baseline "
        "| calls/op: Py / C (`_core`) |",
        "|---|--:|--:|--:|---|--:|",
    ]
    for key in order:
        if key not in labels:
            continue
        if key not in low:
            out.append(f"| {labels[key]} | n/a | n/a | n/a | | |")
            continue
        base, short = baselines[part["groups"][key]]
        ratio = f"{low[key] / low[base]:.2f}{X}" if base in low else "n/a"
        py, c, core_calls = part["calls"][key]
        out.append(
            f"| {labels[key]} | {med[key]:,.{digits}f} | {low[key]:,.{digits}f} | {ratio} "
            f"| {short} | {py:,} / {c:,} ({core_calls:,}) |"
        )
    return out


def _targets_table(part: dict[str, Any], targets: list[Target]) -> list[str]:
    samples = part["samples"]
    low = {k: min(v) for k, v in samples.items()}
    out = [
        "| target | min-ratio | median of per-round ratios | bound | result (by min-ratio) |",
        "|---|--:|--:|--:|---|",
    ]
    for t in targets:
        text = t.text.replace("|", "\\|")
        bound = _bound(t.bound, t.at_least)
        if t.num not in low or t.den not in low:
            out.append(f"| {text} | n/a | n/a | {bound} | n/a |")
            continue
        v = _ratio(low[t.num] / low[t.den], t)
        per_round = [_ratio(a / b, t) for a, b in zip(samples[t.num], samples[t.den], strict=True)]
        m = statistics.median(per_round)
        ok, m_ok = (_meets(x, t) for x in (v, m))
        verdict = ("pass" if ok else "**miss**") + ("" if ok == m_ok else " (unsteady)")
        out.append(f"| {text} | {v:.2f}{X} | {m:.2f}{X} | {bound} | {verdict} |")
    return out


def _bound(value: float, at_least: bool) -> str:
    return f"{'≥' if at_least else '≤'} {value:g}{X}"


def _core_note(meta: dict[str, Any]) -> str:
    return f", `_core` build: {meta['core_build']}" if meta["backend"] == "rust" else ""


def render(res: dict[str, Any], machine: str) -> str:
    meta, hot = res["meta"], res["hot"]
    out = [
        f"### Backend `{meta['backend']}`",
        "",
        f"Python {meta['python']}{_core_note(meta)}; {meta['peers']}; hyperparameter 0.6.0 on "
        f"its {meta['hp06_backend']} backend; {meta['rounds']} rounds; {machine}.",
        "",
        *_cases_table(hot, ORDER, BASELINES, ms=False),
        "",
        *_targets_table(hot, TARGETS),
    ]
    return "\n".join(out) + "\n"


def render_loader(res: dict[str, Any], machine: str) -> str:
    meta, part = res["meta"], res["loader"]
    st = part["stats"]
    share = st["interpolations"] / st["leaves"]
    yaml_note = "C" if part["yaml_backend"] == "c" else "**pure Python** (install ruamel.yaml.clib)"
    out = [
        f"### Backend `{meta['backend']}`: the 1,000-leaf config",
        "",
        f"Python {meta['python']}{_core_note(meta)}; {meta['peers']}; {meta['yaml']}, parser: "
        f"{yaml_note} (`yaml_backend() == {part['yaml_backend']!r}`); {meta['rounds']} rounds; "
        f"{machine}.",
        "",
        f"Config: {st['leaves']:,} leaves in {st['groups']:,} groups, {st['lists']} of them "
        f"lists; {st['interpolations']} interpolations ({share:.1%}); {st['lines']:,} lines, "
        f"{st['bytes']:,} bytes of YAML; {st['keys']:,} flattened keys.",
        "",
        *_cases_table(part, LOAD_ORDER, LOAD_BASELINES, ms=True),
        "",
        *_targets_table(part, LOAD_TARGETS),
        "",
        *_stages_table(part),
        "",
        *_memory_table(part["memory"], meta["backend"], st["keys"]),
    ]
    return "\n".join(out) + "\n"


def render_procs(res: dict[str, Any], machine: str) -> str:
    meta, part = res["meta"], res["procs"]
    out = [
        f"### Backend `{meta['backend']}`: processes (§11)",
        "",
        f"Python {meta['python']}{_core_note(meta)}; the 1,000-leaf config of the loader suite "
        f"as a pydantic instance, entered with `param_scope(cfg)` ({part['keys']:,} flat keys); "
        f"a spawn `Pool(2)` made before the scope; {meta['rounds']} rounds; {machine}.",
        "",
        *_cases_table(part, PROCS_ORDER, PROCS_BASELINES, ms=False, unit="µs"),
        "",
        *_targets_table(part, PROCS_TARGETS),
    ]
    return "\n".join(out) + "\n"


def render_tune(res: dict[str, Any], machine: str) -> str:
    meta, part = res["meta"], res["tune"]
    sc = part["scaling"]
    pg = sc.get("postgres_version")
    pg_note = f"PostgreSQL {pg}" if pg else f"PostgreSQL: {sc['notes'].get('postgresql', 'n/a')}"
    out = [
        f"### Backend `{meta['backend']}`: tuning (§12)",
        "",
        f"Python {meta['python']}{_core_note(meta)}; optuna {part['optuna']}, "
        f"{meta['peers'].split(',')[0]}, SQLite {sqlite3.sqlite_version}, {pg_note}; "
        f"{meta['rounds']} rounds (scaling: {part['scale_rounds']}); {machine}.",
        "",
        *_cases_table(part, TUNE_ORDER, TUNE_BASELINES, ms=True),
        "",
        *_targets_table(part, TUNE_TARGETS),
        "",
        *_scaling_tables(sc, part["scale_rounds"]),
    ]
    return "\n".join(out) + "\n"


def _scaling_tables(sc: dict[str, Any], rounds: int) -> list[str]:
    n, sleep = tune_cases.SCALE_TRIALS, tune_cases.SLEEP_S
    out = [
        f"Scaling: {n} trials of an objective sleeping {sleep} s, `RandomSampler(seed=0)`, "
        f"`workers=1` and `workers=2` back to back on each storage, {rounds} rounds; a new "
        "study each run. Phases from the trials' own timestamps (medians): *start* until the "
        "first trial starts, *trials* from there to the end of the last one, *end* until "
        "`tune.run` returns. CPU: this process / the worker processes (medians).",
        "",
        "| storage | workers | best trials/s | median trials/s | start s | trials s | end s "
        "| CPU s: parent / workers |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    med = statistics.median
    for name, runs in sc["runs"].items():
        for w in (1, 2):
            rs = runs[f"w{w}"]
            rate = [n / r["wall"] for r in rs]
            out.append(
                f"| {STORAGE_LABELS[name]} | {w} | {max(rate):.2f} | {med(rate):.2f} "
                f"| {med(r['start'] for r in rs):.2f} | {med(r['trials'] for r in rs):.2f} "
                f"| {med(r['end'] for r in rs):.2f} | {med(r['cpu_parent'] for r in rs):.2f} / "
                f"{med(r['cpu_workers'] for r in rs):.2f} |"
            )
    for name, why in sc["notes"].items():
        out.append(f"| {STORAGE_LABELS[name]} | | n/a: {why} | | | | | |")
    out += [
        "",
        "| target | ratio of the best trials/s | median of per-round ratios | bound "
        "| result (by best) |",
        "|---|--:|--:|--:|---|",
    ]
    bound = _bound(SCALE_BOUND, True)
    for name, runs in sc["runs"].items():
        w1, w2 = runs["w1"], runs["w2"]
        best = min(r["wall"] for r in w1) / min(r["wall"] for r in w2)
        m = med(a["wall"] / b["wall"] for a, b in zip(w1, w2, strict=True))
        ok, m_ok = best >= SCALE_BOUND, m >= SCALE_BOUND
        verdict = ("pass" if ok else "**miss**") + ("" if ok == m_ok else " (unsteady)")
        out.append(
            f"| §12. `workers=2` / `workers=1`, trials/s, {STORAGE_LABELS[name]} | {best:.2f}{X} "
            f"| {m:.2f}{X} | {bound} | {verdict} |"
        )
        steady = med(a["trials"] / b["trials"] for a, b in zip(w1, w2, strict=True))
        out.append(
            f"| (context) the same, the *trials* phase alone | "
            f"{min(r['trials'] for r in w1) / min(r['trials'] for r in w2):.2f}{X} "
            f"| {steady:.2f}{X} | {bound} | {'pass' if steady >= SCALE_BOUND else 'miss'} |"
        )
    start = sc["startup"]
    if start:
        cells = ", ".join(
            f"{STORAGE_LABELS[k].split(' (')[0]} {v['storage']:.2f} s" for k, v in start.items()
        )
        imp = min(v["import"] for v in start.values())
        out += [
            "",
            f"A worker's start in a fresh interpreter (fastest of 3): `import optuna, "
            f"hyperparameter.tune.workers` {imp:.2f} s; then opening the storage and loading "
            f"the study: {cells} (in memory: the journal file the workers share).",
        ]
    return out


def _stages_table(part: dict[str, Any]) -> list[str]:
    stages, cold = part["stages"], part["cold"]
    ms = stages["ms"]
    kinds = ("pydantic", "dataclass", "floor")

    def cell(kind: str, label: str) -> str:
        v = ms[kind].get(label)
        return "" if v is None else f"{v:,.2f}"

    out = [
        f"Stages of one load, the fastest of {stages['repeats']} loads each (ms, collector off; "
        "the floor's parse is `YAML(typ='safe').load`, its validation `Model.model_validate`):",
        "",
        "| stage | function | `schema=Model` | `schema=Dataclass` | floor |",
        "|---|---|--:|--:|--:|",
    ]
    for label in [*stages["labels"], "other"]:
        if label in stages["missing"]:
            fn = f"`{stages['functions'][label]}` (not found: counted in other)"
        else:
            fn = f"`{stages['functions'][label]}`" if label != "other" else "the rest of `load`"
        out.append(f"| {label} | {fn} | " + " | ".join(cell(k, label) for k in kinds) + " |")
    out.append("| **total** | | " + " | ".join(f"**{cell(k, 'total')}**" for k in kinds) + " |")
    gc_on = stages["gc_on_ms"]
    out.append("| total, collector on | | " + " | ".join(f"{gc_on[k]:,.2f}" for k in kinds) + " |")
    first = [cold[f"load_{k}"] for k in kinds]
    out.append(
        f"| first load in a fresh process (fastest of {stages['cold_runs']}) | | "
        + " | ".join(f"{v:,.2f}" for v in first)
        + " |"
    )
    return out


def _memory_table(mem: dict[str, Any], backend: str, keys: int) -> list[str]:
    per = mem["per_config"]
    lo, hi = mem["copies"]
    base = per["dict"]
    out = [
        f"Memory: RSS per config, (delta at {hi} copies - delta at {lo}) / {hi - lo}, each the "
        f"median of {mem['runs']} child processes:",
        "",
        "| holder | KiB per config | bytes per flattened key | ratio | bound | result |",
        "|---|--:|--:|--:|--:|---|",
        f"| plain nested dict `{{'c<j>': cfg.model_dump()}}` | {base / 1024:,.1f} "
        f"| {base / keys:,.0f} | 1.00{X} | | |",
    ]
    store = per["store"]
    ratio = store / base if base > 0 else float("inf")
    verdict = "pass" if ratio <= MEMORY_BOUND else "**miss**"
    out.append(
        f"| 7. store (`{backend}`): `param_scope({{'c<j>': cfg}})` entered | {store / 1024:,.1f} "
        f"| {store / keys:,.0f} | {ratio:.2f}{X} | {_bound(MEMORY_BOUND, False)} | {verdict} |"
    )
    return out


def _ratio(v: float, t: Target) -> float:
    return max(v, 1 / v) if t.symmetric else v


def _meets(v: float, t: Target) -> bool:
    return v >= t.bound if t.at_least else v <= t.bound


def update_readme(sections: dict[str, str]) -> None:
    """Replaces each section between its markers (``rust``, ``python``, ``rust:load``, …)."""
    text = README.read_text()
    for name, body in sections.items():
        begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
        block = f"{begin}\n{body}{end}"
        if begin in text and end in text:
            text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
        else:
            text = text.rstrip("\n") + f"\n\n{block}\n"
    README.write_text(text)


def ensure_hp06() -> None:
    if (HP06_DIR / "hyperparameter" / "__init__.py").exists():
        return
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(HP06_DIR)]
    done = subprocess.run([*cmd, "hyperparameter==0.6.0"], check=False)
    if done.returncode != 0:
        print("hyperparameter 0.6.0 could not be installed: its rows will say n/a", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    p.add_argument(
        "--suite",
        choices=[*SUITES, "all"],
        default="all",
        help="hot paths, loader, import, procs, tune, or all",
    )
    p.add_argument("--quick", action="store_true", help="3 rounds; print only (no README)")
    p.add_argument("--rounds", type=int, help="rounds (default 21, or 3 with --quick)")
    p.add_argument(
        "--scale-rounds", type=int, default=2, help="rounds of the tune suite's scaling runs"
    )
    p.add_argument("--sample-ms", type=float, default=25.0, help="target time of one sample")
    p.add_argument("--no-write", action="store_true", help="print only; leave README alone")
    p.add_argument("--no-install", action="store_true", help="do not pip-install 0.6.0")
    p.add_argument(
        "--before",
        type=Path,
        help="an older checkout (its hyperparameter/ with a built _core) for the import suite",
    )
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 21)
    suites = list(SUITES) if args.suite == "all" else [args.suite]
    if args.child is not None:
        measure(
            args.backend,
            suites,
            rounds,
            args.sample_ms,
            args.quick,
            args.child,
            args.before,
            args.scale_rounds,
        )
        return
    if "hot" in suites and not args.no_install:
        ensure_hp06()
    machine = _machine()
    sections: dict[str, str] = {}
    for backend in BACKENDS if args.backend == "both" else (args.backend,):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "result.json"
            cmd = [sys.executable, __file__, "--backend", backend, "--child", str(out)]
            cmd += ["--rounds", str(rounds), "--sample-ms", str(args.sample_ms)]
            cmd += ["--suite", args.suite] + (["--quick"] if args.quick else [])
            cmd += ["--scale-rounds", str(args.scale_rounds)]
            cmd += [] if args.before is None else ["--before", str(args.before.resolve())]
            env = {**os.environ, "HYPERPARAMETER_BACKEND": backend}
            subprocess.run(cmd, env=env, check=True)
            res = json.loads(out.read_text())
        if "hot" in res:
            sections[backend] = render(res, machine)
            print(sections[backend], flush=True)
        if "loader" in res:
            sections[f"{backend}:load"] = render_loader(res, machine)
            print(sections[f"{backend}:load"], flush=True)
        if "procs" in res:
            sections[f"{backend}:procs"] = render_procs(res, machine)
            print(sections[f"{backend}:procs"], flush=True)
        if "tune" in res:
            sections[f"{backend}:tune"] = render_tune(res, machine)
            print(sections[f"{backend}:tune"], flush=True)
        if "import" in res:
            sections[f"{backend}:import"] = import_cases.render(res, machine)
            print(sections[f"{backend}:import"], flush=True)
    if not (args.quick or args.no_write):
        update_readme(sections)
        print(f"wrote {README.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
