"""The import benchmark: what a fresh process pays for ``import hyperparameter``, and for its
first ``hp.load`` of the generated 1,000-leaf config, against ``import pydantic`` and against
an older checkout (``--before PATH``, e.g. the code before the package was split up).

Every sample is one new interpreter (``sys.executable -c CODE``) timed from the parent, wall
clock and the child's CPU time (``os.wait4``); a round runs every case once, interleaved (the
order reversed every other round), and each case's figure in a round is its time minus the
bare interpreter's (``-c pass``) in the same round. Reported: medians over the rounds.

The schemas of the load cases are the ones ``loader_cases.py`` builds, written out as Python
source (``schema_pydantic.py``, ``schema_dataclass.py`` next to ``config.yaml``), so a child
imports them like a program imports its config classes, and the generator itself (and what it
imports) is not timed. By hand::

    python benchmarks/import_cases.py importtime            # -X importtime of import hyperparameter
    python benchmarks/import_cases.py importtime --load     # ... and of its first hp.load
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import loader_cases
from cases import Target
from loader_cases import SEED, Null, Tree, config_tree, plain, to_yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class ImportCase:
    key: str
    label: str
    code: str  # run as `python -c CODE` in the fixture's folder
    checkout: str = "ours"  # "ours" or "before": whose hyperparameter is on PYTHONPATH


_LOAD = "import hyperparameter as hp, schema_{kind} as s; hp.load('config.yaml', schema=s.Config)"

IMPORT_CASES = [
    ImportCase("bare", "bare interpreter `-c pass`", "pass"),
    ImportCase("pydantic", "`import pydantic`", "import pydantic"),
    ImportCase("hp", "**ours** `import hyperparameter`", "import hyperparameter"),
    ImportCase("hp_before", "before: `import hyperparameter`", "import hyperparameter", "before"),
    ImportCase(
        "schema_pydantic",
        "the schema module alone (pydantic, 263 models)",
        "import schema_pydantic",
    ),
    ImportCase(
        "load_pydantic",
        "**ours** `import hyperparameter`; `hp.load(config, schema=Model)`",
        _LOAD.format(kind="pydantic"),
    ),
    ImportCase(
        "load_pydantic_before",
        "before: the same",
        _LOAD.format(kind="pydantic"),
        "before",
    ),
    ImportCase(
        "schema_dataclass", "the schema module alone (263 dataclasses)", "import schema_dataclass"
    ),
    ImportCase(
        "load_dataclass",
        "**ours** `import hyperparameter`; `hp.load(config, schema=Dataclass)`",
        _LOAD.format(kind="dataclass"),
    ),
    ImportCase(
        "load_dataclass_before", "before: the same", _LOAD.format(kind="dataclass"), "before"
    ),
]
IMPORT_ORDER = [c.key for c in IMPORT_CASES]

IMPORT_TARGETS = [
    Target("A. `import hyperparameter` / `import pydantic`", "hp", "pydantic", 1.0),
    Target("A. before / ours, `import hyperparameter` (speed-up)", "hp_before", "hp", 1, True),
    Target(
        "B. `import hyperparameter` + first `hp.load(schema=Model)`: ours / before",
        "load_pydantic",
        "load_pydantic_before",
        1.0,
    ),
    Target(
        "B. the same with `schema=Dataclass`: ours / before",
        "load_dataclass",
        "load_dataclass_before",
        1.0,
    ),
]


# ------------------------------------------------------------------ the schemas as source


def _annotation(v: Any) -> str:
    if isinstance(v, Null):
        return f"{v.type.__name__} | None"
    if isinstance(v, list):
        return f"list[{type(v[0]).__name__}]"
    return type(v).__name__


def schema_source(spec: Tree, kind: str) -> str:
    """The spec as a module of classes (``kind``: ``pydantic`` or ``dataclass``), one per group
    and the top one named ``Config``, every field defaulted to the value the file sets: the
    classes ``loader_cases.pydantic_schema`` / ``dataclass_schema`` build, as a person would
    write them."""
    classes: list[str] = []
    taken: set[str] = set()
    if kind == "pydantic":
        head = ["import pydantic as _pd"]
        base, factory = "(_pd.BaseModel)", "_pd.Field(default_factory={})"
    else:
        head = ["import dataclasses as _dc"]
        base, factory = "", "_dc.field(default_factory={})"

    def group(tree: Tree, path: tuple[str, ...]) -> str:
        body: list[str] = []
        for k, v in tree.items():
            if isinstance(v, dict):
                cls = group(v, (*path, k))
                body.append(f"    {k}: {cls} = {factory.format(cls)}")
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                cls = group(v[0], (*path, k, "item"))
                items = repr([plain(x) for x in v])
                make = f"lambda: [{cls}(**x) for x in {items}]"
                body.append(f"    {k}: list[{cls}] = {factory.format(make)}")
            elif isinstance(v, list):
                body.append(f"    {k}: {_annotation(v)} = {factory.format(f'lambda: {v!r}')}")
            else:
                body.append(f"    {k}: {_annotation(v)} = {plain(v)!r}")
        name = "".join(p.title().replace("_", "") for p in path) or "Config"
        while name in taken:
            name += "_"
        taken.add(name)
        deco = "" if kind == "pydantic" else "@_dc.dataclass\n"
        classes.append(f"{deco}class {name}{base}:\n" + "\n".join(body or ["    pass"]))
        return name

    group(spec, ())
    note = f"# Generated by benchmarks/import_cases.py (seed {SEED}); do not edit."
    return "\n\n\n".join([note + "\n" + "\n".join(head), *classes]) + "\n"


def fixture(directory: Path) -> Path:
    """Writes ``config.yaml``, ``schema_pydantic.py`` and ``schema_dataclass.py``."""
    spec = config_tree(SEED)
    (directory / "config.yaml").write_text(to_yaml(spec))
    for kind in ("pydantic", "dataclass"):
        (directory / f"schema_{kind}.py").write_text(schema_source(spec, kind))
    return directory


def check_fixture(directory: Path) -> None:
    """The written schemas load the config to exactly what ``loader_cases``' schemas give."""
    import dataclasses

    import hyperparameter as hp

    spec = config_tree(SEED)
    sys.path.insert(0, str(directory))
    try:
        import schema_dataclass
        import schema_pydantic
    finally:
        sys.path.remove(str(directory))
    path = directory / "config.yaml"
    ours: Any = hp.load(path, schema=schema_pydantic.Config)
    theirs: Any = hp.load(path, schema=loader_cases.pydantic_schema(spec))
    if ours.model_dump() != theirs.model_dump():
        raise AssertionError("schema_pydantic.py loads the config differently")
    ours = hp.load(path, schema=schema_dataclass.Config)
    theirs = hp.load(path, schema=loader_cases.dataclass_schema(spec))
    if dataclasses.asdict(ours) != dataclasses.asdict(theirs):
        raise AssertionError("schema_dataclass.py loads the config differently")


# --------------------------------------------------------------------------- the children


def _env(checkout: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    for name in loader_cases.ENV_VARS:
        env.pop(name, None)
    env["PYTHONPATH"] = str(checkout)
    return env


def _spawn(code: str, env: dict[str, str], cwd: Path) -> tuple[int, float]:
    """Wall ns and CPU seconds (user + sys) of one ``python -c code``."""
    t0 = time.perf_counter_ns()
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter_ns() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        err = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True
        ).stderr
        raise RuntimeError(f"`python -c {code!r}` failed ({child.returncode}):\n{err}")
    return wall, usage.ru_utime + usage.ru_stime


def describe(checkout: Path, cwd: Path) -> dict[str, str]:
    """Which hyperparameter a child imports from ``checkout``, its backend and commit."""
    code = (
        "import json, hyperparameter as hp, hyperparameter.storage as s;"
        "print(json.dumps({'file': hp.__file__, 'backend': s.backend()}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=_env(checkout), cwd=cwd, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"hyperparameter from {checkout} does not import:\n{done.stderr}")
    import json

    got: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    if not Path(got["file"]).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"{checkout}: the child imported {got['file']} instead")
    head = subprocess.run(
        ["git", "-C", str(checkout), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    got["commit"] = head or "?"
    return got


def time_imports(directory: Path, before: Path | None, rounds: int) -> dict[str, Any]:
    """Samples of every case (ms, one per round: wall and CPU, each minus the bare
    interpreter's in the same round), interleaved round-robin."""
    backend = os.environ.get("HYPERPARAMETER_BACKEND", "rust")
    checkouts = {"ours": ROOT} | ({} if before is None else {"before": before})
    info = {name: describe(path, directory) for name, path in checkouts.items()}
    for name, got in info.items():
        if got["backend"] != backend:
            raise SystemExit(
                f"{name} ({checkouts[name]}) runs the {got['backend']} backend, not {backend}: "
                "build its _core (see benchmarks/README.md)"
            )
    cases = [c for c in IMPORT_CASES if c.checkout in checkouts]
    envs = {name: _env(path) for name, path in checkouts.items()}
    for case in cases:  # warm-up: bytecode caches written, every case checked to run
        _spawn(case.code, envs[case.checkout], directory)
    raw: dict[str, list[tuple[int, float]]] = {c.key: [] for c in cases}
    for r in range(rounds):
        for case in cases if r % 2 == 0 else cases[::-1]:
            raw[case.key].append(_spawn(case.code, envs[case.checkout], directory))
    bare = raw["bare"]
    wall = {
        k: [(w - b[0]) / 1e6 for (w, _), b in zip(v, bare, strict=True)] for k, v in raw.items()
    }
    cpu = {k: [(c - b[1]) * 1e3 for (_, c), b in zip(v, bare, strict=True)] for k, v in raw.items()}
    return {
        "labels": {c.key: c.label for c in cases},
        "wall": wall,
        "cpu": cpu,
        "bare_wall": [w / 1e6 for w, _ in bare],
        "bare_cpu": [c * 1e3 for _, c in bare],
        "checkouts": info,
        "before": None if before is None else str(before),
    }


# ------------------------------------------------------------------------- -X importtime

_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def importtime(code: str, checkout: Path, cwd: Path, runs: int) -> dict[str, Any]:
    """``-X importtime`` of ``code``: per module the fastest of ``runs`` of its own and its
    cumulative time (µs), and which modules were imported at the top level (not by another
    import: the statement's own, and those a first use imports lazily)."""
    own: dict[str, int] = {}
    cumulative: dict[str, int] = {}
    top: set[str] = set()
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            env=_env(checkout),
            cwd=cwd,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        for m in _IMPORTTIME.finditer(done.stderr):
            self_us, cum_us, indent, name = int(m[1]), int(m[2]), len(m[3]), m[4]
            own[name] = min(own.get(name, self_us), self_us)
            cumulative[name] = min(cumulative.get(name, cum_us), cum_us)
            if indent == 1:
                top.add(name)
    return {"own": own, "cumulative": cumulative, "top": sorted(top), "runs": runs}


def offenders(code: str, checkout: Path, cwd: Path, runs: int, n: int = 12) -> dict[str, Any]:
    """The ``n`` modules of the most own time, and the top-level imports by cumulative time."""
    got = importtime(code, checkout, cwd, runs)
    startup = set(importtime("pass", checkout, cwd, 1)["own"])  # what every interpreter loads
    own = {m: t for m, t in got["own"].items() if m not in startup}
    cum = got["cumulative"]
    by_own = sorted(own, key=lambda m: -own[m])[:n]
    by_top = sorted((m for m in got["top"] if m in own), key=lambda m: -cum[m])[:n]
    return {
        "own": [(m, own[m], cum[m]) for m in by_own],
        "top": [(m, cum[m]) for m in by_top],
        "total_us": sum(own.values()),
        "runs": runs,
    }


# -------------------------------------------------------------------------------- report

X = "\u00d7"
# A load row's "hyperparameter's share": its time minus the schema module's alone.
_SCHEMA_OF = {
    "load_pydantic": "schema_pydantic",
    "load_pydantic_before": "schema_pydantic",
    "load_dataclass": "schema_dataclass",
    "load_dataclass_before": "schema_dataclass",
}


def _share(series: dict[str, list[float]], key: str) -> list[float]:
    base = _SCHEMA_OF.get(key)
    if base is None:
        return series[key]
    return [a - b for a, b in zip(series[key], series[base], strict=True)]


def measure(rounds: int, before: Path | None, quick: bool) -> dict[str, Any]:
    """The suite, in the runner's child process for one backend."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = fixture(Path(tmp))
        check_fixture(directory)
        res = time_imports(directory, before, rounds)
        runs = 1 if quick else 5
        res["importtime"] = {
            "import": offenders("import hyperparameter", ROOT, directory, runs),
            "load": offenders(_LOAD.format(kind="pydantic"), ROOT, directory, runs),
        }
        if before is not None:
            res["importtime"]["import_before"] = offenders(
                "import hyperparameter", before, directory, runs
            )
    res["rounds"] = rounds
    return res


def _ms(v: float) -> str:
    return f"{v:,.1f}"


def _cases_table(res: dict[str, Any]) -> list[str]:
    wall, cpu, labels = res["wall"], res["cpu"], res["labels"]
    out = [
        "| case | net wall ms, median | net wall ms, min | net CPU ms, median "
        "| hyperparameter's share, ms | ratio to `import pydantic` |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    base = median(wall["pydantic"])
    for key in IMPORT_ORDER:
        if key not in labels:
            before_label = labels.get(key.removesuffix("_before"), key)
            out.append(f"| {before_label.replace('**ours**', 'before:')} | n/a | n/a | n/a | | |")
            continue
        if key == "bare":
            out.append(
                f"| {labels[key]}: the subtrahend, raw | {_ms(median(res['bare_wall']))} "
                f"| {_ms(min(res['bare_wall']))} | {_ms(median(res['bare_cpu']))} | | |"
            )
            continue
        share = _ms(median(_share(wall, key))) if key.startswith(("hp", "load")) else ""
        ratio = f"{median(wall[key]) / base:.2f}{X}" if key in ("hp", "hp_before") else ""
        out.append(
            f"| {labels[key]} | {_ms(median(wall[key]))} | {_ms(min(wall[key]))} "
            f"| {_ms(median(cpu[key]))} | {share} | {ratio} |"
        )
    return out


def _targets_table(res: dict[str, Any]) -> list[str]:
    wall, cpu = res["wall"], res["cpu"]
    out = [
        "| target | net wall: ratio of the medians | net wall: median of per-round ratios "
        "| net CPU: ratio of the medians | hyperparameter's share: ratio | bound "
        "| result (by net wall) |",
        "|---|--:|--:|--:|--:|--:|---|",
    ]
    for t in IMPORT_TARGETS:
        bound = f"{'≥' if t.at_least else '≤'} {t.bound:g}{X}"
        if t.num not in wall or t.den not in wall:
            out.append(f"| {t.text} | n/a | n/a | n/a | n/a | {bound} | n/a (no `--before`) |")
            continue
        v = median(wall[t.num]) / median(wall[t.den])
        per_round = median([a / b for a, b in zip(wall[t.num], wall[t.den], strict=True)])
        by_cpu = median(cpu[t.num]) / median(cpu[t.den])
        share = ""
        if t.num in _SCHEMA_OF:
            share = f"{median(_share(wall, t.num)) / median(_share(wall, t.den)):.2f}{X}"
        ok = v >= t.bound if t.at_least else v <= t.bound
        ok_round = per_round >= t.bound if t.at_least else per_round <= t.bound
        verdict = ("pass" if ok else "**miss**") + ("" if ok == ok_round else " (unsteady)")
        out.append(
            f"| {t.text} | {v:.2f}{X} | {per_round:.2f}{X} | {by_cpu:.2f}{X} | {share} | {bound} "
            f"| {verdict} |"
        )
    return out


def _importtime_table(part: dict[str, Any], what: str) -> list[str]:
    out = [
        f"`-X importtime` of {what}, the modules of the most own time (µs, fastest of "
        f"{part['runs']}; the interpreter's own start-up modules left out):",
        "",
        "| module | own µs | cumulative µs |",
        "|---|--:|--:|",
    ]
    out += [f"| `{m}` | {own:,} | {cum:,} |" for m, own, cum in part["own"]]
    return out


def render(res: dict[str, Any], machine: str) -> str:
    meta, part = res["meta"], res["import"]
    ours = part["checkouts"]["ours"]
    before = part["checkouts"].get("before")
    before_note = (
        f"before: `{part['before']}` at commit `{before['commit']}`"
        if before
        else "before: not given (`--before PATH`)"
    )
    it = part["importtime"]
    top_load = ", ".join(f"`{m}` {c / 1000:,.1f} ms" for m, c in it["load"]["top"][:6])
    out = [
        f"### Backend `{meta['backend']}`: import time",
        "",
        f"Python {meta['python']}; {meta['peers']}; {part['rounds']} rounds, one fresh "
        f"interpreter per case and round; ours at commit `{ours['commit']}`; {before_note}; "
        f"{machine}.",
        "",
        *_cases_table(part),
        "",
        *_targets_table(part),
        "",
        *_importtime_table(it["import"], "`import hyperparameter`"),
        "",
        f"What the first load imports, by the cumulative time of each import made at the top "
        f"level (the statement's own and the lazy ones a first use makes): {top_load}.",
    ]
    if "import_before" in it:
        out += ["", *_importtime_table(it["import_before"], "`import hyperparameter`, before")]
    return "\n".join(out) + "\n"


def median(v: list[float]) -> float:
    return statistics.median(v)


def main(argv: list[str]) -> None:
    what, *rest = argv
    if what != "importtime":
        raise SystemExit(f"unknown command {what!r}")
    with tempfile.TemporaryDirectory() as tmp:
        directory = fixture(Path(tmp))
        load = "--load" in rest
        code = _LOAD.format(kind="pydantic") if load else "import hyperparameter"
        res = offenders(code, ROOT, directory, 5)
    print(f"-X importtime of `{code}` (fastest of {res['runs']} each, µs)")
    print("\nown time:")
    for m, o, c in res["own"]:
        print(f"  {o:>8,} own {c:>9,} cumulative  {m}")
    print("\nimported at the top level, by cumulative time:")
    for m, c in res["top"]:
        print(f"  {c:>9,}  {m}")


if __name__ == "__main__":
    main(sys.argv[1:])
