"""Import paths and import cost (DESIGN §1): every public module path and every name in every
``__all__`` resolves; ``import hyperparameter`` and the scope API pull in neither the loader nor
pydantic, ruamel.yaml, tomli or optuna (checked in a fresh interpreter per backend), and the
names imported on first use stay visible to ``dir()``. The graph checks complement the
import-linter contracts of pyproject.toml (``make lint``). ``test_public_api.py`` covers the
root's ``__all__`` (sorted, complete, documented) and the exception tree.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import grimp
import pytest

import hyperparameter as hp

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(hp.__file__).resolve().parent

# The module paths users of 0.6 know, and the names each must keep offering.
PUBLIC_PATHS = {
    "hyperparameter.api": ["ParamScope", "TypedScope", "auto_param", "param_scope"],
    "hyperparameter.storage": ["TLSKVStorage", "backend", "xxh64", "rust_read", "has_rust_backend"],
    "hyperparameter.loader": ["Document", "dump", "load", "loads"],
    "hyperparameter.cli": ["launch", "main", "run_cli"],
    "hyperparameter.schema": ["SchemaAdapter", "adapter_for", "is_schema", "to_tree", "snapshot"],
    "hyperparameter.errors": ["ConfigValidationError", "HyperparameterError", "ScopeError"],
}

# What a program that only uses scopes and @auto_param must never import.
HEAVY = (
    "pydantic", "pydantic_core", "ruamel", "tomli", "tomli_w", "yaml", "optuna", "ray",
    "cloudpickle",
)  # fmt: skip
# The parts of ours it may import: the scope API and what lies below it.
LIGHT_PARTS = ("api", "coerce", "errors", "storage", "_core", "_version")


def _modules() -> list[ModuleType]:
    """Every module of the package (``__main__`` too: it runs nothing when imported). A module
    behind a pip extra (``contrib/``, DESIGN §14) imports here only with its extra installed:
    ``[dev]`` must then bring the extra along."""
    names = [
        info.name
        for info in pkgutil.walk_packages(hp.__path__, prefix="hyperparameter.")
        # The native module is only there when it is built; importing it is the storage's job.
        if info.name != "hyperparameter._core"
    ]
    assert len(names) > 40, names  # the walk really descended into the subpackages
    return [hp, *(importlib.import_module(n) for n in sorted(names))]


# ----------------------------------------------------------------------- (a) import paths


@pytest.mark.parametrize("path", sorted(PUBLIC_PATHS))
def test_public_module_paths(path: str) -> None:
    module = importlib.import_module(path)
    for name in PUBLIC_PATHS[path]:
        assert getattr(module, name) is not None, f"{path}.{name}"
    exec(f"from {path} import {', '.join(PUBLIC_PATHS[path])}", {})


def test_every_all_resolves() -> None:
    """Each module that declares ``__all__``: a list of distinct strings, each an attribute
    of the module (lazy ones included: ``getattr`` runs the module's ``__getattr__``)."""
    declaring = 0
    for module in _modules():
        names = vars(module).get("__all__")
        if names is None:
            continue
        declaring += 1
        assert isinstance(names, list | tuple), module.__name__
        assert all(isinstance(n, str) for n in names), module.__name__
        assert len(set(names)) == len(names), f"{module.__name__}.__all__ repeats a name"
        missing = [n for n in names if not hasattr(module, n)]
        assert not missing, f"{module.__name__}.__all__ names missing attributes: {missing}"
    assert declaring >= 10


def test_star_import_of_every_module() -> None:
    for module in _modules():
        ns: dict[str, Any] = {}
        exec(f"from {module.__name__} import *", ns)
        expected = vars(module).get("__all__")
        if expected is not None:
            assert set(expected) <= set(ns), module.__name__


def test_lazy_names_are_the_modules_objects() -> None:
    from hyperparameter import cli, loader
    from hyperparameter.schema import views

    assert hp.load is loader.load
    assert hp.config is loader.load
    assert hp.loads is loader.loads
    assert hp.dump is loader.dump
    assert hp.Document is loader.Document
    assert hp.launch is cli.launch
    assert hp.run_cli is cli.run_cli
    assert hp.snapshot is views.snapshot
    assert set(hp._LAZY) <= set(hp.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        hp.nope  # noqa: B018


# ------------------------------------------------------------- (b), (c) a fresh interpreter


def _fresh(script: str, tmp_path: Path) -> dict[str, Any]:
    """Runs ``script`` in a new interpreter on this checkout and the test's backend; the
    script's last line of output is JSON."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # HYPERPARAMETER_BACKEND passes through
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


_PROBE = textwrap.dedent(
    """
    import json, sys

    def loaded():
        return sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r} or
                      m.startswith("hyperparameter"))

    stages = {{}}
    import hyperparameter as hp
    assert hp.__file__.startswith({package!r}), hp.__file__
    stages["import"] = loaded()
    lazy = sorted(hp._LAZY)
    listed = dir(hp)
    resolved_early = sorted(n for n in lazy if n in vars(hp))

    with hp.param_scope(**{{"a": 1}}) as ps:
        assert ps.a() == 1
        ps.b = 2
        hp.param_scope.c = 3

    @hp.auto_param
    def f(a=0, b=0):
        return a, b

    with hp.param_scope("f.a=5"):
        assert f() == (5, 0), f()
    assert f(b=1) == (0, 1)
    stages["scopes"] = loaded()

    cfg = hp.load("config.yaml")
    assert cfg == {{"model": {{"lr": 0.5, "layers": [1, 2]}}}}, cfg
    stages["load"] = loaded()
    print(json.dumps({{
        "stages": stages, "lazy": lazy, "dir": listed, "resolved_early": resolved_early,
        "resolved_late": sorted(n for n in lazy if n in vars(hp)),
        "backend": hp.storage.backend(),
    }}))
    """
)


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("fresh")
    (tmp / "config.yaml").write_text("model:\n  lr: 0.5\n  layers: [1, 2]\n")
    return _fresh(_PROBE.format(heavy=HEAVY, package=str(PACKAGE)), tmp)


def _light(modules: list[str]) -> None:
    heavy = [m for m in modules if m.split(".")[0] in HEAVY]
    assert not heavy, f"imported before any config was loaded: {heavy}"
    ours = [m for m in modules if m != "hyperparameter"]
    upper = [m for m in ours if m.split(".")[1] not in LIGHT_PARTS]
    assert not upper, f"imported before any config was loaded: {upper}"


def test_fresh_import_is_light(probe: dict[str, Any], backend: str) -> None:
    assert probe["backend"] == backend  # the child ran on this test run's backend
    _light(probe["stages"]["import"])
    assert "hyperparameter.api" in probe["stages"]["import"]


def test_scopes_and_auto_param_stay_light(probe: dict[str, Any]) -> None:
    _light(probe["stages"]["scopes"])


def test_first_load_imports_the_loader(probe: dict[str, Any]) -> None:
    after = probe["stages"]["load"]
    for needed in ("hyperparameter.loader", "hyperparameter.loader.formats.yaml", "ruamel.yaml"):
        assert needed in after
    assert "hyperparameter.cli" not in after  # loading a file needs no command line
    assert "optuna" not in after


def test_lazy_names_listed_before_first_use(probe: dict[str, Any]) -> None:
    lazy = ["Document", "Snapshot", "capture", "config", "dump", "launch", "load", "loads"]
    lazy += ["propagate", "run_cli", "snapshot"]
    assert probe["lazy"] == sorted(lazy)
    assert probe["resolved_early"] == []  # dir() lists them through __dir__, not globals
    assert set(probe["lazy"]) <= set(probe["dir"])
    assert "TYPE_CHECKING" not in probe["dir"]
    assert "load" in probe["resolved_late"]  # cached in the module after the first use


def test_the_hp_tool_imports_optuna_only_to_tune(tmp_path: Path) -> None:
    """``hp --help``, ``hp tune show --help`` and the config commands run without Optuna
    (the tune subcommand imports it when it runs); ``hp tune show`` imports it."""
    (tmp_path / "c.yaml").write_text("a: 1\n")
    script = textwrap.dedent(
        """
        import contextlib, io, json, sys
        from hyperparameter import cli

        seen = {}
        for argv in (["--help"], ["tune", "--help"], ["tune", "show", "--help"],
                     ["show", "c.yaml"], ["explain", "a", "c.yaml"]):
            with contextlib.redirect_stdout(io.StringIO()):
                code = cli.main(argv)
            seen[" ".join(argv)] = [code, "optuna" in sys.modules]
        with contextlib.redirect_stderr(io.StringIO()):
            code = cli.main(["tune", "show", "--storage", "sqlite:///c.yaml"])
        seen["tune show"] = [code, "optuna" in sys.modules]
        print(json.dumps(seen))
        """
    )
    assert _fresh(script, tmp_path) == {
        "--help": [0, False],
        "tune --help": [0, False],
        "tune show --help": [0, False],
        "show c.yaml": [0, False],
        "explain a c.yaml": [0, False],
        "tune show": [2, True],
    }


def test_schema_validation_on_first_use(tmp_path: Path) -> None:
    """A load with a dataclass schema in a fresh interpreter: the schema layer (and pydantic)
    are imported then, and the result is the schema's instance."""
    (tmp_path / "train.yaml").write_text("lr: 0.25\nepochs: '3'\n")
    script = textwrap.dedent(
        """
        import dataclasses, json, sys
        import hyperparameter as hp

        @dataclasses.dataclass
        class Train:
            lr: float = 0.1
            epochs: int = 1

        before = "pydantic" in sys.modules or "hyperparameter.schema" in sys.modules
        cfg = hp.load("train.yaml", schema=Train)
        assert cfg == Train(lr=0.25, epochs=3), cfg
        with hp.param_scope(cfg) as ps:
            assert ps.epochs == 3
        print(json.dumps({"before": before, "after": "hyperparameter.schema.validate"
                          in sys.modules}))
        """
    )
    assert _fresh(script, tmp_path) == {"before": False, "after": True}


# ----------------------------------------------------------- the graph behind the contracts


def _graph(**kw: Any) -> Any:
    return grimp.build_graph("hyperparameter", cache_dir=None, **kw)


def test_only_storage_imports_the_native_module() -> None:
    """DESIGN §1: the storage package is the only importer of ``_core``. grimp cannot see a
    compiled module, so this reads every file's imports itself."""
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or "", *(f"{node.module or ''}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n.split(".")[-1] == "_core" or "._core" in n for n in names):
                importers.add(path.relative_to(PACKAGE).as_posix())
    assert importers == {"storage/__init__.py"}


def test_storage_imports_the_root_only_for_core() -> None:
    """The contracts ignore ``hyperparameter.storage -> hyperparameter``: grimp resolves
    ``from .. import _core`` to the package root. Nothing else may hide behind that."""
    details = _graph().get_import_details(
        importer="hyperparameter.storage", imported="hyperparameter"
    )
    assert details, "the contracts' ignored import is gone: drop it from pyproject.toml"
    assert {d["line_contents"] for d in details} == {"from .. import _core"}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycles_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_modules() -> None:
    """No cycle in the module graph, imports in functions and under TYPE_CHECKING included.
    Beyond the acyclic_siblings contract (siblings of one folder), this also sees a module
    that imports its own package's ``__init__`` while that imports the module. Two edges
    are not the code's: the root's TYPE_CHECKING imports (the facade names the lazy parts
    for type checkers only) and storage's ``from .. import _core`` (see above)."""
    graph = _graph()
    runtime = _graph(exclude_type_checking_imports=True)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    edges["hyperparameter"] = set(runtime.find_modules_directly_imported_by("hyperparameter"))
    edges["hyperparameter.storage"].discard("hyperparameter")
    assert len(edges) > 40
    assert _cycles(edges) == []
