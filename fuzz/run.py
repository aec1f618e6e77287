"""Runs every fuzz target for a bounded time and prints what it found.

    python fuzz/run.py --seconds 60                  # the atheris targets, then cargo fuzz
    python fuzz/run.py --seconds 60 --only loader

Each atheris target starts from a scratch copy of ``fuzz/corpus/<target>`` (the committed seed
corpus is never modified; pass ``--keep DIR`` to keep the grown corpora), and a crashing
input is written to ``--artifacts`` (a temporary directory by default). The Rust target
(``rust_core/store/fuzz``) needs ``cargo fuzz`` and a nightly toolchain; without them it is
reported as not run, and ``cargo test -p hp-store --test model`` is the stable-Rust stand-in.
Exit status: 0 when no target crashed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGETS = {"loader": HERE / "fuzz_loader.py", "keys": HERE / "fuzz_keys.py"}
STAT = re.compile(r"^stat::(\w+):\s*(\d+)", re.M)
DONE = re.compile(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/")


def run_atheris(name: str, seconds: int, artifacts: Path, keep: Path | None) -> dict[str, object]:
    corpus = Path(tempfile.mkdtemp(prefix=f"hp-fuzz-{name}-"))
    for seed in (HERE / "corpus" / name).iterdir():
        shutil.copy(seed, corpus / seed.name)
    seeds = len(list(corpus.iterdir()))
    out = artifacts / name
    out.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        str(TARGETS[name]),
        str(corpus),
        f"-max_total_time={seconds}",
        "-print_final_stats=1",
        "-timeout=20",
        "-rss_limit_mb=3072",
        "-max_len=4096",
        f"-artifact_prefix={out}/",
    ]
    start = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    log = done.stdout + done.stderr
    (out / "log.txt").write_text(log)
    stats = {k: int(v) for k, v in STAT.findall(log)}
    final = DONE.findall(log)
    found = ("crash-", "timeout-", "oom-")
    crashes = sorted(p.name for p in out.iterdir() if p.name.startswith(found))
    result: dict[str, object] = {
        "target": name,
        "seconds": round(time.monotonic() - start),
        "executions": stats.get("number_of_executed_units", int(final[-1][0]) if final else 0),
        "coverage": int(final[-1][1]) if final else None,
        "features": int(final[-1][2]) if final else None,
        "seeds": seeds,
        "corpus": len(list(corpus.iterdir())),
        "peak_rss_mb": stats.get("peak_rss_mb"),
        "crashes": crashes,
        "exit": done.returncode,
        "log": str(out / "log.txt"),
    }
    if keep is not None:
        shutil.copytree(corpus, keep / name, dirs_exist_ok=True)
    shutil.rmtree(corpus, ignore_errors=True)
    return result


def run_cargo_fuzz(seconds: int) -> dict[str, object]:
    crate = ROOT / "rust_core" / "store"
    probe = subprocess.run(
        ["cargo", "+nightly", "fuzz", "--version"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return {"target": "store_api (cargo fuzz)", "skipped": probe.stderr.strip()[:200]}
    corpus = Path(tempfile.mkdtemp(prefix="hp-fuzz-store-"))
    for seed in (crate / "fuzz" / "corpus" / "store_api").iterdir():
        shutil.copy(seed, corpus / seed.name)
    seeds = len(list(corpus.iterdir()))
    start = time.monotonic()
    args = ["run", "store_api", str(corpus), "--", f"-max_total_time={seconds}"]
    done = subprocess.run(
        ["cargo", "+nightly", "fuzz", *args, "-print_final_stats=1"],
        capture_output=True,
        text=True,
        check=False,
        cwd=crate,
    )
    log = done.stdout + done.stderr
    stats = {k: int(v) for k, v in STAT.findall(log)}
    final = DONE.findall(log)
    grown = len(list(corpus.iterdir()))
    shutil.rmtree(corpus, ignore_errors=True)
    return {
        "target": "store_api (cargo fuzz)",
        "seconds": round(time.monotonic() - start),
        "executions": stats.get("number_of_executed_units"),
        "coverage": int(final[-1][1]) if final else None,
        "seeds": seeds,
        "corpus": grown,
        "peak_rss_mb": stats.get("peak_rss_mb"),
        "crashes": ["see log"] if done.returncode else [],
        "exit": done.returncode,
        "tail": log[-600:] if done.returncode else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="per target (default 60)")
    parser.add_argument("--only", choices=[*TARGETS, "rust"], action="append")
    parser.add_argument("--artifacts", type=Path, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="keep the grown corpora here")
    args = parser.parse_args()
    artifacts = args.artifacts or Path(tempfile.mkdtemp(prefix="hp-fuzz-artifacts-"))
    chosen = args.only or [*TARGETS, "rust"]
    results = []
    for name in chosen:
        result = (
            run_cargo_fuzz(args.seconds)
            if name == "rust"
            else run_atheris(name, args.seconds, artifacts, args.keep)
        )
        results.append(result)
        print(" ".join(f"{k}={v}" for k, v in result.items()), flush=True)
    return 1 if any(r.get("crashes") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
