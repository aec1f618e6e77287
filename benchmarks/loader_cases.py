"""The loader benchmark: a generated 1,000-leaf training config, its schemas, and the cases.

The config is a model / optimizer / data / trainer layout generated deterministically (the
same text on every run), written as YAML, with a matching pydantic v2 model and a matching
stdlib dataclass built from the same spec (``pydantic.create_model``,
``dataclasses.make_dataclass``; one class per group, every field defaulted to the value the
file sets). About 5% of the leaves are ``${…}`` interpolations, all in ``str`` fields
(absolute, relative, embedded, chained, ``${oc.env:VAR,default}``), so the floor that cannot
resolve them reads the very same file: pydantic takes the unresolved ``${…}`` text as a string.

Timed cases (run by ``run.py`` like the hot-path ones, one op per loop statement):

- ``hp.load(path, schema=...)`` with the pydantic model and with the dataclass;
- the floor: ruamel.yaml's C safe load of the same file + ``Model.model_validate``;
- OmegaConf: ``OmegaConf.load`` + ``structured(Dataclass)`` + ``merge`` + ``to_object``;
- ``with param_scope(cfg): pass`` entering the validated config (pydantic and dataclass);
- the floor: the simplest correct pure-Python flattener of the same config as a nested dict.

Besides: :func:`stages` times each step of ``hp.load`` by wrapping the pipeline's own
functions; :func:`memory` and :func:`cold` run child processes (this file is their entry
point) for the RSS comparison and for the first load in a fresh process. By hand::

    python benchmarks/loader_cases.py profile load pydantic     # cProfile, top functions
    python benchmarks/loader_cases.py profile enter dataclass
"""

from __future__ import annotations

import contextvars
import ctypes
import dataclasses
import gc
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from cases import Case, Target

HERE = Path(__file__).resolve().parent
SEED = 2026
# Variables the config reads through `${oc.env:NAME,default}`: removed from the environment of
# the benchmark, so every peer takes the default.
ENV_VARS = ("HP_BENCH_DATA", "HP_BENCH_OUTPUT")

Tree = dict[str, Any]

# Table and run order (each baseline next to the cases compared with it).
LOAD_ORDER = [
    "load_floor", "load_pydantic", "load_dataclass", "load_omegaconf",
    "flat_floor", "enter_pydantic", "enter_dataclass",
]  # fmt: skip
LOAD_BASELINES = {
    "load": ("load_floor", "ruamel + `model_validate`"),
    "enter": ("flat_floor", "plain flatten"),
}
LOAD_TARGETS = [
    Target(
        "5. `hp.load(path, schema=Model)` / ruamel C safe load + `Model.model_validate`",
        "load_pydantic",
        "load_floor",
        1.5,
    ),
    Target(
        "5. `hp.load(path, schema=Dataclass)` / the same floor", "load_dataclass", "load_floor", 1.5
    ),
    Target(
        "5. OmegaConf load+structured+merge+to_object / `hp.load(path, schema=Dataclass)` "
        "(speed-up)",
        "load_omegaconf",
        "load_dataclass",
        5,
        at_least=True,
    ),
    Target(
        "5. OmegaConf / `hp.load(path, schema=Model)` (speed-up)",
        "load_omegaconf",
        "load_pydantic",
        5,
        at_least=True,
    ),
    Target(
        "6. `with param_scope(cfg): pass`, pydantic `cfg` / plain flatten",
        "enter_pydantic",
        "flat_floor",
        2,
    ),
    Target("6. the same, dataclass `cfg` / plain flatten", "enter_dataclass", "flat_floor", 2),
]
#: 7. RSS of the store holding the config / RSS of a plain nested dict holding it.
MEMORY_BOUND = 2.0


# --------------------------------------------------------------------------- the config


@dataclasses.dataclass(frozen=True)
class Null:
    """A leaf whose value is ``null``: its field is ``Optional[type]``."""

    type: type


def _layer(rng: random.Random, i: int, hidden: int, cross: bool) -> Tree:
    heads = rng.choice((8, 12, 16))
    attn: Tree = {
        "num_heads": heads,
        "head_dim": hidden // heads,
        "dropout": rng.choice((0.0, 0.05, 0.1)),
        "bias": rng.random() < 0.3,
        "qk_norm": rng.random() < 0.5,
        "impl": "${model.attention_impl}" if i % 2 == 0 else "sdpa",
        "window": Null(int) if i % 3 else 4096,
        "rope": {"base": 10000.0, "scaling": {"kind": "linear", "factor": 1.0 + i % 4}},
    }
    layer: Tree = {
        "attention": attn,
        "mlp": {
            "hidden_dim": hidden * 4,
            "activation": "${model.activation}" if i % 4 == 1 else "swiglu",
            "dropout": rng.choice((0.0, 0.1)),
            "gated": True,
            "bias": False,
        },
        "norm": {"kind": "rmsnorm", "eps": 1e-06, "affine": True},
        "residual_dropout": round(rng.random() * 0.1, 3),
        "layer_scale": Null(float) if i % 4 else 0.1,
        "checkpointing": i % 2 == 0,
        "drop_path": round(0.1 * i / 16, 4),
    }
    if cross:
        layer["cross_attention"] = {
            "num_heads": heads,
            "dropout": 0.1,
            "kv_source": "encoder",
            "gate": rng.choice(("tanh", "sigmoid")),
        }
    return layer


def _split(rng: random.Random, name: str, batch: int) -> Tree:
    train = name == "train"
    return {
        "path": f"${{data.root}}/${{data.name}}/{name}.parquet",
        "cache": f"${{data.cache_dir}}/{name}",
        "batch_size": batch if train else batch * 2,
        "shuffle": train,
        "drop_last": train,
        "num_workers": rng.choice((4, 8, 16)),
        "prefetch_factor": 2,
        "pin_memory": True,
        "max_samples": Null(int),
        "transforms": {
            "resize": {"size": [224, 224], "interpolation": "bicubic", "antialias": True},
            "crop": {"size": 224, "kind": "random" if train else "center", "scale": [0.08, 1.0]},
            "normalize": {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
            "flip": {"p": 0.5 if train else 0.0, "vertical": False},
        },
    }


def config_tree(seed: int = 2026) -> Tree:
    """The benchmark config as a spec tree: dicts are groups, lists of dicts are lists of
    groups, :class:`Null` leaves are ``null`` in an ``Optional`` field; everything else is a
    leaf whose Python type is its field's type. Same seed, same tree."""
    rng = random.Random(seed)
    hidden = 768
    model: Tree = {
        "name": "vit-enc-dec",
        "arch": "encoder_decoder",
        "dtype": "bfloat16",
        "attention_impl": "flash",
        "activation": "gelu",
        "compile": False,
        "init": {"method": "trunc_normal", "std": 0.02, "gain": 1.0, "zero_init_residual": True},
        "embedding": {
            "vocab_size": 32000,
            "dim": hidden,
            "dropout": 0.1,
            "tie_weights": True,
            "padding_idx": Null(int),
            "max_positions": 4096,
            "patch": {"size": 16, "stride": 16, "channels": 3, "flatten": True},
        },
        "encoder": {
            "num_layers": 16,
            "hidden_size": hidden,
            "pre_norm": True,
            "final_norm": True,
            "layers": {f"layer_{i}": _layer(rng, i, hidden, False) for i in range(16)},
        },
        "decoder": {
            "num_layers": 12,
            "hidden_size": hidden,
            "pre_norm": True,
            "final_norm": True,
            "layers": {f"layer_{i}": _layer(rng, i, hidden, True) for i in range(12)},
        },
        "heads": {
            name: {
                "num_outputs": n,
                "hidden_dims": [hidden, hidden // 2],
                "dropout": 0.1,
                "pooling": rng.choice(("cls", "mean")),
                "loss": {"name": loss, "weight": w, "label_smoothing": 0.1},
            }
            for name, n, loss, w in (
                ("classification", 1000, "cross_entropy", 1.0),
                ("detection", 91, "focal", 0.5),
                ("segmentation", 150, "dice", 0.5),
                ("captioning", 32000, "cross_entropy", 0.25),
            )
        },
    }
    optimizer: Tree = {
        "name": "adamw",
        "lr": 0.0003,
        "weight_decay": 0.05,
        "betas": [0.9, 0.95],
        "eps": 1e-08,
        "fused": True,
        "grad_clip": {"max_norm": 1.0, "norm_type": 2.0, "enabled": True},
        "param_groups": [
            {
                "name": group,
                "lr_scale": scale,
                "weight_decay": wd,
                "patterns": [f"{group}.*", f"*.{group}.weight"],
                "frozen": scale == 0.0,
            }
            for group, scale, wd in (
                ("embedding", 0.1, 0.0),
                ("encoder", 0.5, 0.05),
                ("decoder", 1.0, 0.05),
                ("heads", 1.0, 0.0),
                ("norms", 1.0, 0.0),
                ("bias", 1.0, 0.0),
            )
        ],
        "scheduler": {
            "name": "cosine",
            "warmup_steps": 2000,
            "warmup_start_factor": 0.01,
            "min_lr_ratio": 0.1,
            "cycles": 1,
            "restart_decay": Null(float),
        },
        "ema": {"enabled": True, "decay": 0.9999, "update_every": 10, "warmup": True},
    }
    data: Tree = {
        "name": "imagenet-captions",
        "root": "${oc.env:HP_BENCH_DATA,/data}",
        "cache_dir": "${data.root}/.cache",
        "format": "parquet",
        "image_size": 224,
        "seq_len": 256,
        "tokenizer": {
            "name": "sentencepiece",
            "path": "${data.root}/tokenizer/spm.model",
            "vocab_size": 32000,
            "add_bos": True,
            "add_eos": True,
            "special_tokens": ["<pad>", "<bos>", "<eos>", "<unk>", "<mask>"],
        },
        "splits": {s: _split(rng, s, 256) for s in ("train", "val", "test", "holdout")},
        "augmentations": [
            {"name": aug, "p": p, "magnitude": m, "enabled": True}
            for aug, p, m in (
                ("color_jitter", 0.8, 0.4),
                ("grayscale", 0.2, 0.0),
                ("gaussian_blur", 0.5, 1.0),
                ("solarize", 0.1, 0.5),
                ("mixup", 0.5, 0.8),
                ("cutmix", 0.5, 1.0),
            )
        ],
        "sampler": {"kind": "distributed", "seed": "${seed}", "replacement": False},
    }
    # `data.sampler.seed` is text: interpolations only go into str fields (see module doc).
    data["sampler"]["seed"] = "seed-${seed}"
    trainer: Tree = {
        "max_epochs": 300,
        "max_steps": 500000,
        "precision": "bf16-mixed",
        "accelerator": "gpu",
        "devices": [0, 1, 2, 3, 4, 5, 6, 7],
        "num_nodes": 4,
        "strategy": {
            "name": "fsdp",
            "sharding": "full_shard",
            "cpu_offload": False,
            "activation_checkpointing": True,
            "limit_all_gathers": True,
            "bucket_cap_mb": 25,
        },
        "accumulate_grad_batches": 4,
        "gradient_clip_val": 1.0,
        "val_check_interval": 0.25,
        "log_every_n_steps": 50,
        "deterministic": False,
        "benchmark": True,
        "sync_batchnorm": False,
        "num_sanity_val_steps": 2,
        "reload_dataloaders_every_n_epochs": 0,
        "enable_progress_bar": True,
        "enable_model_summary": True,
        "detect_anomaly": False,
        "barebones": False,
        "use_distributed_sampler": True,
        "inference_mode": True,
        "limit_train_batches": 1.0,
        "limit_val_batches": 1.0,
        "overfit_batches": 0.0,
        "check_val_every_n_epoch": 1,
        "min_epochs": 1,
        "default_root_dir": "${output_dir}",
        "callbacks": {
            "checkpoint": {
                "dirpath": "${output_dir}/checkpoints",
                "filename": "{epoch:03d}-{val_loss:.4f}",
                "monitor": "${..early_stopping.monitor}",
                "mode": "min",
                "save_top_k": 3,
                "save_last": True,
                "every_n_epochs": 1,
            },
            "early_stopping": {
                "monitor": "val/loss",
                "mode": "min",
                "patience": 20,
                "min_delta": 0.0001,
                "strict": True,
            },
            "lr_monitor": {"logging_interval": "step", "log_momentum": True},
            "progress": {"refresh_rate": 10, "leave": False},
        },
        "logger": {
            "wandb": {
                "project": "${project}",
                "name": "${run_name}",
                "group": "${model.arch}",
                "save_dir": "${output_dir}/logs",
                "tags": ["vit", "enc-dec", "bf16", "fsdp"],
                "offline": False,
                "log_model": False,
                "notes": "lr ${optimizer.lr}, ${trainer.num_nodes} nodes",
            },
            "csv": {"save_dir": "${..wandb.save_dir}", "flush_logs_every_n_steps": 100},
        },
        "evaluation": {
            "every_n_epochs": 5,
            "benchmarks": {
                name: {
                    "dataset": f"${{data.root}}/eval/{name}",
                    "split": "validation",
                    "batch_size": 128,
                    "metrics": metrics,
                    "num_samples": Null(int),
                    "enabled": True,
                }
                for name, metrics in (
                    ("imagenet", ["top1", "top5"]),
                    ("imagenet_v2", ["top1", "top5"]),
                    ("coco_det", ["map", "map50"]),
                    ("coco_caption", ["cider", "bleu4", "spice"]),
                    ("ade20k", ["miou", "pixel_acc"]),
                    ("flickr30k", ["recall1", "recall5"]),
                    ("vqa_v2", ["accuracy"]),
                    ("nocaps", ["cider", "spice"]),
                )
            },
        },
        "profiler": {"enabled": False, "kind": "simple", "schedule": [1, 1, 3, 1]},
    }
    return {
        "project": "vision-language",
        "seed": 1234,
        "run_name": "${project}-${model.name}-s${seed}",
        "output_dir": "${oc.env:HP_BENCH_OUTPUT,/tmp/runs}/${run_name}",
        "debug": False,
        "model": model,
        "optimizer": optimizer,
        "data": data,
        "trainer": trainer,
    }


def _walk(tree: Tree) -> Iterator[Any]:
    """Every non-group value of the spec (list-of-group items walked into)."""
    for v in tree.values():
        if isinstance(v, dict):
            yield from _walk(v)
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                yield from _walk(item)
        else:
            yield v


def _groups(tree: Tree) -> int:
    n = 1
    for v in tree.values():
        if isinstance(v, dict):
            n += _groups(v)
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            n += sum(_groups(item) for item in v)
    return n


def plain(v: Any) -> Any:
    """The spec as plain data: :class:`Null` is None, interpolations stay as written."""
    if isinstance(v, Null):
        return None
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


# --------------------------------------------------------------------------------- YAML

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*\Z")
# Plain words YAML 1.1 (PyYAML, under OmegaConf) or 1.2 (ruamel) would not read as a string.
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"}


def _scalar(v: Any) -> str:
    if isinstance(v, Null) or v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        bare = _PLAIN.match(v) is not None and v.lower() not in _RESERVED
        return v if bare else json.dumps(v)
    raise TypeError(f"no YAML for {v!r}")


def _emit(tree: Tree, indent: int, out: list[str]) -> None:
    pad = " " * indent
    for k, v in tree.items():
        if isinstance(v, dict):
            out.append(f"{pad}{k}:")
            _emit(v, indent + 2, out)
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            out.append(f"{pad}{k}:")
            for item in v:
                start = len(out)
                _emit(item, indent + 4, out)
                out[start] = f"{pad}  - {out[start][indent + 4 :]}"
        elif isinstance(v, list):
            out.append(f"{pad}{k}: [{', '.join(map(_scalar, v))}]")
        else:
            out.append(f"{pad}{k}: {_scalar(v)}")


def to_yaml(tree: Tree) -> str:
    """Block-style YAML of the spec, flow-style lists of scalars, as a person writes it."""
    out = [f"# Generated by benchmarks/loader_cases.py (seed {SEED}); do not edit."]
    _emit(tree, 0, out)
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------ schemas

Field = tuple[str, Any, Callable[[], Any]]  # name, annotation, factory of its default


def _annotation(v: Any) -> Any:
    if isinstance(v, Null):
        return v.type | None
    if isinstance(v, list):
        return list[type(v[0])]  # type: ignore[misc]
    return type(v)


def _schema(tree: Tree, path: tuple[str, ...], build: Callable[[str, list[Field]], type]) -> type:
    """One class per group, built bottom-up by ``build(class name, fields)``."""
    fields: list[Field] = []
    for k, v in tree.items():
        if isinstance(v, dict):
            cls = _schema(v, (*path, k), build)
            fields.append((k, cls, cls))
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            cls = _schema(v[0], (*path, k, "item"), build)
            fields.append((k, list[cls], _items(cls, [plain(x) for x in v])))  # type: ignore[valid-type]
        else:
            fields.append((k, _annotation(v), _value(plain(v))))
    name = "".join(p.title().replace("_", "") for p in path) or "Config"
    return build(name, fields)


def _items(cls: type, items: list[Tree]) -> Callable[[], list[Any]]:
    return lambda: [cls(**x) for x in items]


def _value(value: Any) -> Callable[[], Any]:
    return lambda: list(value) if isinstance(value, list) else value


def pydantic_schema(tree: Tree) -> type:
    """The spec as pydantic v2 models, from ``pydantic.create_model``."""
    import pydantic

    def build(name: str, fields: list[Field]) -> type:
        spec: dict[str, Any] = {}
        for k, annotation, factory in fields:
            default = factory()
            if isinstance(default, (list, pydantic.BaseModel)):
                spec[k] = (annotation, pydantic.Field(default_factory=factory))
            else:
                spec[k] = (annotation, default)
        model: type = pydantic.create_model(name, **spec)
        return model

    return _schema(tree, (), build)


def dataclass_schema(tree: Tree) -> type:
    """The spec as stdlib dataclasses, from ``dataclasses.make_dataclass``."""

    def build(name: str, fields: list[Field]) -> type:
        spec: list[tuple[str, Any, Any]] = []
        for k, annotation, factory in fields:
            default = factory()
            if isinstance(default, list) or dataclasses.is_dataclass(default):
                spec.append((k, annotation, dataclasses.field(default_factory=factory)))
            else:
                spec.append((k, annotation, dataclasses.field(default=default)))
        return dataclasses.make_dataclass(name, spec)

    return _schema(tree, (), build)


# --------------------------------------------------------------------------- the floors


def flatten_plain(
    tree: Tree, prefix: str = "", out: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The simplest correct flattener: dicts by leaf, a list whole and by index (and a dict
    item also by its leaves), under dotted keys."""
    if out is None:
        out = {}
    for k, v in tree.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            flatten_plain(v, key, out)
            continue
        out[key] = v
        if isinstance(v, list):
            for i, item in enumerate(v):
                out[f"{key}.{i}"] = item
                if isinstance(item, dict):
                    flatten_plain(item, f"{key}.{i}", out)
    return out


# ------------------------------------------------------------------------------ fixture


@dataclasses.dataclass
class Fixture:
    """The generated config file and its two schemas."""

    path: Path
    spec: Tree
    model: type  # pydantic
    dataclass: type

    def stats(self) -> dict[str, Any]:
        leaves = list(_walk(self.spec))
        text = self.path.read_text()
        return {
            "leaves": len(leaves),
            "interpolations": sum(isinstance(v, str) and "${" in v for v in leaves),
            "groups": _groups(self.spec),
            "lists": sum(isinstance(v, list) for v in leaves)
            + sum(1 for v in _all_values(self.spec) if _is_group_list(v)),
            "keys": len(flatten_plain(plain(self.spec))),
            "lines": text.count("\n"),
            "bytes": len(text.encode()),
        }


def _all_values(tree: Tree) -> Iterator[Any]:
    for v in tree.values():
        yield v
        if isinstance(v, dict):
            yield from _all_values(v)


def _is_group_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and isinstance(v[0], dict)


def fixture(directory: Path) -> Fixture:
    """Writes ``config.yaml`` into ``directory`` and builds its schemas."""
    spec = config_tree(SEED)
    path = directory / "config.yaml"
    path.write_text(to_yaml(spec))
    return Fixture(path, spec, pydantic_schema(spec), dataclass_schema(spec))


def _unset_env() -> None:
    for name in ENV_VARS:
        os.environ.pop(name, None)


# -------------------------------------------------------------------------------- cases


def build(fx: Fixture) -> tuple[list[Case], dict[str, str]]:
    """The timed cases of the loader table, each checked once; ``{key: reason}`` for the
    peers that are not installed."""
    from ruamel.yaml import YAML

    import hyperparameter as hp
    from hyperparameter import param_scope, storage

    _unset_env()
    model, dc, path = fx.model, fx.dataclass, fx.path
    unresolved = model.model_validate(plain(fx.spec))  # type: ignore[attr-defined]
    cfg: Any = hp.load(path, schema=model)
    cfg_dc: Any = hp.load(path, schema=dc)
    tree = cfg.model_dump()
    missing: dict[str, str] = {}
    cases = [
        Case("load_floor", "ruamel.yaml C safe load + `Model.model_validate`", "load",
             "r = Model.model_validate(YAML(typ='safe').load(path))",
             {"Model": model, "YAML": YAML, "path": path}, expect=unresolved, unroll=1),
        Case("load_pydantic", "**ours** `hp.load(path, schema=Model)`", "load",
             "r = load(path, schema=Model)", {"load": hp.load, "Model": model, "path": path},
             unroll=1),
        Case("load_dataclass", "**ours** `hp.load(path, schema=Dataclass)`", "load",
             "r = load(path, schema=Dataclass)", {"load": hp.load, "Dataclass": dc, "path": path},
             unroll=1),
        Case("flat_floor", "plain flatten of `cfg.model_dump()` (pure Python)", "enter",
             "r = flatten(d)", {"flatten": flatten_plain, "d": tree}, unroll=1),
        Case("enter_pydantic", "**ours** `with param_scope(cfg): pass`, pydantic `cfg`", "enter",
             "with param_scope(cfg):\n    pass", {"param_scope": param_scope, "cfg": cfg},
             unroll=1),
        Case("enter_dataclass", "**ours** the same, dataclass `cfg`", "enter",
             "with param_scope(cfg):\n    pass", {"param_scope": param_scope, "cfg": cfg_dc},
             unroll=1),
    ]  # fmt: skip
    try:
        from omegaconf import OmegaConf

        expected: Any = OmegaConf.to_object(
            OmegaConf.merge(OmegaConf.structured(dc), OmegaConf.load(path))
        )
        # OmegaConf resolves the same references: ours must agree with it, for both schemas.
        by_omegaconf = model.model_validate(dataclasses.asdict(expected))  # type: ignore[attr-defined]
        if cfg != by_omegaconf or cfg_dc != expected:
            raise AssertionError("hp.load and OmegaConf resolve the config differently")
        cases[1].expect, cases[2].expect = by_omegaconf, expected
        cases.append(
            Case("load_omegaconf",
                 "OmegaConf `load` + `structured(Dataclass)` + `merge` + `to_object`", "load",
                 "r = oc.to_object(oc.merge(oc.structured(Dataclass), oc.load(path)))",
                 {"oc": OmegaConf, "Dataclass": dc, "path": path}, expect=expected, unroll=1)
        )  # fmt: skip
    except ImportError as e:
        missing["load_omegaconf"] = f"OmegaConf load+structured+merge+to_object ({e})"

    # The store must hold exactly what the floor's flattener produces.
    want = flatten_plain(tree)
    for c in (cfg, cfg_dc):

        def stored(c: Any = c) -> dict[str, Any]:
            with param_scope(c):
                return dict(storage.effective())

        got = contextvars.Context().run(stored)
        if got.keys() != want.keys():
            raise AssertionError(f"the store holds {len(got)} keys, the floor {len(want)}")
    return cases, missing


# ------------------------------------------------------------------------------- stages

STAGES = [
    # label, owner (module path, attribute path), what it is
    ("read", "hyperparameter.loader.formats", "read_bytes"),
    ("parse", "hyperparameter.loader.formats", "parse"),
    ("defaults", "hyperparameter.schema.validate", "SchemaAdapter.defaults"),
    ("merge", "hyperparameter.loader.merge", "merge"),
    ("interpolate", "hyperparameter.loader.interpolate", "interpolate"),
    ("validate: pre-walk", "hyperparameter.schema.validate", "SchemaAdapter._walk"),
    ("validate: pydantic", "pydantic", "TypeAdapter.validate_python"),
]


@contextmanager
def _timed(owner: Any, name: str, spent: dict[str, int], label: str) -> Iterator[None]:
    """Wraps ``owner.name`` so that its outermost calls add their time to ``spent[label]``."""
    original = owner.__dict__[name]
    depth = [0]

    def timed(*args: Any, **kwargs: Any) -> Any:
        if depth[0]:
            return original(*args, **kwargs)
        depth[0] += 1
        t0 = time.perf_counter_ns()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0) + time.perf_counter_ns() - t0
            depth[0] -= 1

    setattr(owner, name, timed)
    try:
        yield
    finally:
        setattr(owner, name, original)


def _resolve(module: str, attr: str) -> tuple[Any, str] | None:
    import importlib

    owner: Any = importlib.import_module(module)
    *parents, name = attr.split(".")
    for p in parents:
        owner = getattr(owner, p, None)
    if owner is None or name not in getattr(owner, "__dict__", {}):
        return None
    return owner, name


def stages(fx: Fixture, repeats: int) -> dict[str, Any]:
    """The fastest ms of each step of ``hp.load`` over ``repeats`` loads of each schema
    (collector off, as in the timed table), of the floor's two steps, and of the totals with
    the collector on: the least disturbed figure of each, like the min-ratios. A step whose
    function is not found (renamed) is left out and counted in "other"."""
    from ruamel.yaml import YAML

    import hyperparameter as hp

    _unset_env()
    runs: dict[str, dict[str, list[int]]] = {"pydantic": {}, "dataclass": {}, "floor": {}}
    gc_on: dict[str, list[int]] = {"pydantic": [], "dataclass": [], "floor": []}
    found = [(label, r) for label, mod, attr in STAGES if (r := _resolve(mod, attr))]
    schemas = {"pydantic": fx.model, "dataclass": fx.dataclass}

    def floor_parse() -> Any:
        return YAML(typ="safe").load(fx.path)

    def once(kind: str) -> dict[str, int]:
        spent: dict[str, int] = {}
        if kind == "floor":
            t0 = time.perf_counter_ns()
            data = floor_parse()
            t1 = time.perf_counter_ns()
            fx.model.model_validate(data)  # type: ignore[attr-defined]
            t2 = time.perf_counter_ns()
            return {"parse": t1 - t0, "validate: pydantic": t2 - t1, "total": t2 - t0}
        with ExitStack() as stack:
            for label, (owner, name) in found:
                stack.enter_context(_timed(owner, name, spent, label))
            t0 = time.perf_counter_ns()
            hp.load(fx.path, schema=schemas[kind])
            spent["total"] = time.perf_counter_ns() - t0
        spent["other"] = spent["total"] - sum(v for k, v in spent.items() if k != "total")
        return spent

    for kind in runs:
        once(kind)  # warm
    for _ in range(repeats):
        for kind in runs:
            gc.collect()
            gc.disable()
            try:
                for label, ns in once(kind).items():
                    runs[kind].setdefault(label, []).append(ns)
            finally:
                gc.enable()
            gc.collect()
            t0 = time.perf_counter_ns()
            if kind == "floor":
                fx.model.model_validate(floor_parse())  # type: ignore[attr-defined]
            else:
                hp.load(fx.path, schema=schemas[kind])
            gc_on[kind].append(time.perf_counter_ns() - t0)
    return {
        "labels": [label for label, *_ in STAGES],
        "functions": {label: f"{mod.split('.')[-1]}.{attr}" for label, mod, attr in STAGES},
        "missing": [label for label, *_ in STAGES if label not in dict(found)],
        "ms": {kind: {k: min(v) / 1e6 for k, v in per.items()} for kind, per in runs.items()},
        "gc_on_ms": {kind: min(v) / 1e6 for kind, v in gc_on.items()},
        "repeats": repeats,
    }


# ------------------------------------------------------------------ child processes


def _child(args: list[str], backend: str) -> dict[str, Any]:
    env = {**os.environ, "HYPERPARAMETER_BACKEND": backend}
    for name in ENV_VARS:
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {' '.join(args)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


MEMORY_COPIES = (4, 16)


def memory(path: Path, backend: str, runs: int) -> dict[str, Any]:
    """RSS per config of a plain nested dict and of the store, in child processes.

    Each child loads the config, takes up the memory that loading freed (see ``_ballast``),
    reads its RSS, builds ``k`` copies — nested dicts ``{"c<j>": cfg.model_dump()}``, or
    entered scopes ``param_scope({"c<j>": cfg})``, each copy under its own keys — and reads
    its RSS again. Per config = (delta at 16 copies - delta at 4) / 12: the difference cancels
    the one-off costs (the first page of each allocator size class, lazily built tables).
    Medians of ``runs`` children each.
    """
    deltas: dict[str, dict[int, float]] = {}
    for variant in ("dict", "store"):
        deltas[variant] = {}
        for k in MEMORY_COPIES:
            got = [_child(["memory", variant, str(k), str(path)], backend) for _ in range(runs)]
            deltas[variant][k] = statistics.median(g["delta"] for g in got)
    lo, hi = MEMORY_COPIES
    per = {v: (d[hi] - d[lo]) / (hi - lo) for v, d in deltas.items()}
    return {"per_config": per, "deltas": deltas, "runs": runs, "copies": list(MEMORY_COPIES)}


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _ballast() -> list[Any]:
    """Takes up the free memory the process holds, so that what is measured next lands on
    fresh pages: glibc's free pages go back to the system (``malloc_trim``), its small free
    chunks and every pymalloc size class (up to 512 bytes) are filled with live objects."""
    keep: list[Any] = []
    gc.collect()
    try:
        libc = ctypes.CDLL(None)
        libc.malloc_trim(0)
        libc.malloc.restype = ctypes.c_void_p
        libc.malloc.argtypes = [ctypes.c_size_t]
        keep.append([libc.malloc(size) for size in range(8, 1025, 8) for _ in range(256)])
    except (OSError, AttributeError):
        pass  # not glibc: pymalloc ballast only
    keep.append([object() for _ in range(1 << 16)])  # 16-byte class
    keep.append([float(i) for i in range(1 << 16)])  # 32-byte class
    for size in range(48, 513, 16):  # bytes objects of 33 + n bytes fill the other classes
        keep.append([bytes(size - 33) for _ in range((1 << 20) // size)])
    return keep


def _memory_child(variant: str, k: int, path: Path) -> dict[str, Any]:
    import hyperparameter as hp
    from hyperparameter import param_scope

    cfg: Any = hp.load(path, schema=pydantic_schema(config_tree(SEED)))
    keep: list[Any] = []
    ballast = _ballast()
    gc.collect()
    before = _rss()
    for j in range(k):
        if variant == "dict":
            keep.append({f"c{j}": cfg.model_dump()})
        else:
            scope = param_scope({f"c{j}": cfg})
            scope.__enter__()
            keep.append(scope)
    gc.collect()
    after = _rss()
    del ballast
    return {"delta": after - before}


COLD = ("load_floor", "load_pydantic", "load_dataclass")


def cold(path: Path, backend: str, runs: int) -> dict[str, float]:
    """The fastest of ``runs`` fresh processes' first call of each load case, in ms (after
    the imports and the schema classes, which a program pays at import): what a program that
    loads its config once pays."""
    return {
        case: min(_child(["cold", case, str(path)], backend)["ms"] for _ in range(runs))
        for case in COLD
    }


def _cold_child(case: str, path: Path) -> dict[str, Any]:
    from ruamel.yaml import YAML

    import hyperparameter as hp
    import hyperparameter.loader
    import hyperparameter.schema.validate

    spec = config_tree(SEED)
    model: Any = pydantic_schema(spec)
    dc = dataclass_schema(spec)
    t0 = time.perf_counter_ns()
    if case == "load_floor":
        model.model_validate(YAML(typ="safe").load(path))
    elif case == "load_pydantic":
        hp.load(path, schema=model)
    else:
        hp.load(path, schema=dc)
    return {"ms": (time.perf_counter_ns() - t0) / 1e6}


def profile(what: str, kind: str, top: int = 25) -> str:
    """cProfile of 10 loads (``what="load"``) or 200 scope entries (``"enter"``) of the
    config with the ``kind`` schema (``pydantic`` / ``dataclass``): the top functions by own
    time, as text."""
    import cProfile
    import io
    import pstats
    import tempfile

    import hyperparameter as hp
    from hyperparameter import param_scope

    _unset_env()
    with tempfile.TemporaryDirectory() as tmp:
        fx = fixture(Path(tmp))
        schema = fx.model if kind == "pydantic" else fx.dataclass
        cfg: Any = hp.load(fx.path, schema=schema)

        def run() -> None:
            if what == "load":
                for _ in range(10):
                    hp.load(fx.path, schema=schema)
            else:
                for _ in range(200):
                    with param_scope(cfg):
                        pass

        run()  # warm
        prof = cProfile.Profile()
        prof.runcall(run)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str]) -> None:
    what, *rest = argv
    if what == "profile":
        target = rest[0] if rest else "load"
        kind = rest[1] if len(rest) > 1 else "pydantic"
        print(profile(target, kind))
    elif what == "memory":
        variant, k, path = rest
        print(json.dumps(_memory_child(variant, int(k), Path(path))))
    elif what == "cold":
        case, path = rest
        print(json.dumps(_cold_child(case, Path(path))))
    else:
        raise SystemExit(f"unknown child {what!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
