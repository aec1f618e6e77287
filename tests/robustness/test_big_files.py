"""A 50 MB config loads with peak memory under 10x its size (``slow``).

The file is shaped like a large real config: a vocabulary (300,000 short strings), an
embedding table (40,000 rows of 16 floats), 15,000 small experiment groups, and long prompt
texts — about 4 / 6 / 2 / 38 MB of the 50, some 1.3 million YAML nodes. It is written by the
test, then loaded by ``hp.load`` in a fresh subprocess, which reports its resident set size
before the load and its high-water mark after.

Loading does not involve the store, so the two backend runs split the formats to stay fast:
the Rust run loads the 50 MB YAML file, the Python run the 50 MB JSON file and a 10 MB TOML
file (tomli is pure Python, ~5 MB/s). docs/reliability.md has the figures for other shapes:
a file made only of millions of tiny ``key: int`` lines is the worst case (~16-21x), because
each key costs a dict slot, a provenance entry and a location tuple however short it is.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from subproc import run_python

import hyperparameter as hp
from hyperparameter import storage

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

MB = 2**20
LIMIT = 10  # peak memory / file size
FORMATS = {"rust": [("yaml", 50)], "python": [("json", 50), ("toml", 10)]}[storage.backend()]


def big_config(target: int, seed: int = 1) -> dict[str, Any]:
    """A config whose YAML text is about ``target`` bytes."""
    rnd = random.Random(seed)
    scale = target / (50 * MB)
    cfg: dict[str, Any] = {
        "vocab": [f"tok{i:06d}" for i in range(int(300_000 * scale))],
        "embeddings": [
            [round(rnd.uniform(-1, 1), 6) for _ in range(16)] for _ in range(int(40_000 * scale))
        ],
        "experiments": {
            f"exp{g}": {
                "lr": round(rnd.random(), 6),
                "layers": rnd.randint(1, 48),
                "act": "gelu",
                "tags": ["a", "b", "c"],
                "data": {"path": f"/data/set{g}", "shuffle": True, "workers": 8},
            }
            for g in range(int(15_000 * scale))
        },
    }
    prompt = "lorem ipsum dolor sit amet " * 80
    cfg["prompts"] = [f"{prompt}{i}" for i in range(int(17_500 * scale))]
    return cfg


def to_yaml(cfg: dict[str, Any]) -> str:
    """Block-style YAML the way people write it (``hp.dump``'s pure-Python writer would take
    minutes for 50 MB): flow style only for the short rows."""
    out = ["# generated: vocabularies, tables, experiment groups, prompts\nvocab:\n"]
    out += [f"  - {t}\n" for t in cfg["vocab"]]
    out.append("embeddings:\n")
    out += [f"  - [{', '.join(map(repr, row))}]\n" for row in cfg["embeddings"]]
    out.append("experiments:\n")
    for name, e in cfg["experiments"].items():
        d = e["data"]
        out.append(
            f"  {name}:\n    lr: {e['lr']!r}\n    layers: {e['layers']}\n    act: {e['act']}\n"
            f"    tags: [a, b, c]\n    data: {{path: {d['path']}, shuffle: true, workers: 8}}\n"
        )
    out.append("prompts:\n")
    out += [f'  - "{p}"\n' for p in cfg["prompts"]]
    return "".join(out)


# VmHWM, not ru_maxrss: Linux carries the parent's high-water mark across fork and exec.
LOADER = """
import json, sys, time
import hyperparameter as hp

def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

before = status("VmRSS")
start = time.perf_counter()
cfg = hp.load(sys.argv[1])
seconds = time.perf_counter() - start
shape = [len(cfg["vocab"]), len(cfg["embeddings"]), len(cfg["experiments"]), len(cfg["prompts"])]
print(json.dumps({"before": before, "peak": status("VmHWM"), "seconds": seconds, "shape": shape}))
"""


@pytest.mark.parametrize(("fmt", "megabytes"), FORMATS)
def test_a_big_file_loads_with_memory_under_10x_its_size(
    tmp_path: Path, fmt: str, megabytes: int
) -> None:
    path = tmp_path / f"big.{fmt}"
    cfg = big_config(megabytes * MB)
    writers = {"yaml": to_yaml, "json": json.dumps, "toml": lambda c: hp.dump(c, format="toml")}
    path.write_text(writers[fmt](cfg))
    shape = [len(cfg[k]) for k in ("vocab", "embeddings", "experiments", "prompts")]
    del cfg
    size = path.stat().st_size
    assert size > 0.9 * megabytes * MB
    done = run_python(LOADER, str(path), timeout=170)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["shape"] == shape
    ratio = (result["peak"] - result["before"]) / size
    print(f"{fmt}: {size / MB:.0f} MB in {result['seconds']:.1f} s, peak {ratio:.1f}x its size")
    assert ratio < LIMIT
