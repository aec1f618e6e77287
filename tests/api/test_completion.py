"""Completion in editors: jedi (vim, pylsp, jedi-language-server) completes a typed handle's
schema fields statically, and never offers the package's internals; at run time, ``dir()`` of
a dynamic handle lists the next segments of the keys it can read, so ``jedi.Interpreter`` (and
IPython) complete them too.

jedi raises the interpreter's recursion limit when it is first imported; the other tests rely
on the default one, so jedi is imported inside the tests and the limit restored after them.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic
import pytest

import hyperparameter as hp

if TYPE_CHECKING:
    import jedi

ROOT = Path(hp.__file__).resolve().parent.parent

SCHEMA = """
from dataclasses import dataclass, field

import pydantic


@dataclass
class Optim:
    beta: float = 0.9
    eps: float = 1e-8


@dataclass
class ModelCfg:
    lr: float = 1e-3
    layers: int = 4
    optim: Optim = field(default_factory=Optim)


@dataclass
class TrainConfig:
    model: ModelCfg = field(default_factory=ModelCfg)
    epochs: int = 10


class POptim(pydantic.BaseModel):
    beta: float = 0.9
    eps: float = 1e-8


class PModel(pydantic.BaseModel):
    lr: float = 1e-3
    layers: int = 4
    optim: POptim = pydantic.Field(default_factory=POptim)


class PTrain(pydantic.BaseModel):
    model: PModel = pydantic.Field(default_factory=PModel)
    epochs: int = 10
"""

TOP = {"model", "epochs"}
MODEL = {"lr", "layers", "optim"}
OPTIM = {"beta", "eps"}
#: What the dynamic handle `ps` offers statically: its public methods, nothing else.
SCOPE_METHODS = {"clear", "keys", "storage", "to_dict"}


@pytest.fixture(scope="module", autouse=True)
def recursion_limit() -> Iterator[None]:
    """Set up before the module's other fixtures (autouse), so before jedi is imported."""
    limit = sys.getrecursionlimit()
    yield
    sys.setrecursionlimit(limit)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, jedi.Project]:
    import jedi

    folder = tmp_path_factory.mktemp("completion")
    (folder / "cfgmod.py").write_text(SCHEMA, encoding="utf-8")
    # The package under test and the schema module, found by jedi in this interpreter.
    return folder, jedi.Project(folder, added_sys_path=[str(folder), str(ROOT)])


def complete(project: tuple[Path, jedi.Project], source: str) -> set[str]:
    """The names jedi offers where ``source`` ends (dunders left out)."""
    import jedi

    folder, proj = project
    code = textwrap.dedent(source).strip("\n")
    lines = code.splitlines()
    script = jedi.Script(
        code,
        path=folder / "edited.py",
        project=proj,
        environment=jedi.InterpreterEnvironment(),
    )
    names = {c.name for c in script.complete(len(lines), len(lines[-1]))}
    return {n for n in names if not n.startswith("__")}


def infer(project: tuple[Path, jedi.Project], source: str) -> set[str]:
    """What jedi infers for the expression that ends ``source``."""
    import jedi

    folder, proj = project
    code = textwrap.dedent(source).strip("\n")
    lines = code.splitlines()
    script = jedi.Script(
        code,
        path=folder / "edited.py",
        project=proj,
        environment=jedi.InterpreterEnvironment(),
    )
    return {d.name for d in script.infer(len(lines), len(lines[-1]))}


def assert_no_internals(names: set[str]) -> None:
    assert not {n for n in names if n.startswith("_")}, names


#: What a pydantic schema's type brings along (a view is typed as the model class).
BASE_MODEL = set(dir(pydantic.BaseModel))


def assert_fields(names: set[str], fields: set[str], schema: str) -> None:
    """``names`` are the schema's ``fields``: exactly for a dataclass; for a pydantic model,
    also what the type ``BaseModel`` has, and nothing else."""
    if schema.startswith("P"):
        assert fields <= names
        assert names - fields <= BASE_MODEL, names - fields - BASE_MODEL
    else:
        assert names == fields


LOADED = """
import hyperparameter as hp
from cfgmod import {schema}

cfg = hp.load("train.yaml", schema={schema})
"""


# ------------------------------------------------------------------ static: typed handles


@pytest.mark.parametrize("schema", ["TrainConfig", "PTrain"])
@pytest.mark.parametrize(
    ("path", "fields"), [("", TOP), ("model.", MODEL), ("model.optim.", OPTIM)]
)
def test_static_typed_handle_completes_the_schema_fields(
    project: Any, schema: str, path: str, fields: set[str]
) -> None:
    names = complete(
        project,
        LOADED.format(schema=schema)
        + f"""
with hp.param_scope(cfg) as ps:
    ps.{path}""",
    )
    assert_fields(names, fields, schema)


@pytest.mark.parametrize(
    "entry",
    [
        # every typed entry point docs/typing.md shows, and the 0.6 names
        "with hp.param_scope(cfg) as ps:",
        'with hp.param_scope(cfg, "model.lr=0.1", epochs=2) as ps:',
        "with hp.scope(cfg) as ps:",
        "scope = hp.param_scope(cfg)\nwith scope as ps:",
        'with hp.param_scope(hp.config("train.yaml", schema=TrainConfig)) as ps:',
        'with hp.param_scope(hp.load(hp.Document("s.yaml", 1), schema=TrainConfig)) as ps:',
        "with hp.param_scope(TrainConfig()) as ps:",
    ],
)
def test_static_typed_entry_points(project: Any, entry: str) -> None:
    source = LOADED.format(schema="TrainConfig") + entry + "\n    ps.model."
    assert complete(project, source) == MODEL


def test_static_typed_handle_of_an_annotated_parameter(project: Any) -> None:
    source = """
    import hyperparameter as hp
    from cfgmod import PTrain

    def train(cfg: PTrain) -> None:
        with hp.param_scope(cfg) as ps:
            ps.model.optim."""
    assert_fields(complete(project, source), OPTIM, "PTrain")


def test_static_types_of_typed_reads(project: Any) -> None:
    head = LOADED.format(schema="TrainConfig") + "with hp.param_scope(cfg) as ps:\n"
    assert infer(project, head + "    ps") == {"TrainConfig"}
    assert infer(project, head + "    ps.model") == {"ModelCfg"}
    assert infer(project, head + "    ps.model.lr") == {"float"}
    assert infer(project, head + "    hp.snapshot(ps)") == {"TrainConfig"}
    assert complete(project, head + "    hp.snapshot(ps).model.") == MODEL


def test_static_typed_scope_not_entered_offers_no_internals(project: Any) -> None:
    source = LOADED.format(schema="TrainConfig") + "scope = hp.param_scope(cfg)\nscope."
    assert complete(project, source) == set()


# ---------------------------------------------------------------- static: dynamic handles


@pytest.mark.parametrize(
    "entry",
    [
        'hp.param_scope(**{"model.lr": 0.1})',
        "hp.param_scope(epochs=3)",
        "hp.param_scope()",
        'hp.param_scope("model.lr=0.1")',
        'hp.param_scope({"model": {"lr": 0.1}})',
        'hp.param_scope("model.lr=0.1", {"epochs": 3}, data=1)',
        "hp.param_scope.empty(epochs=3)",
        "hp.scope(epochs=3)",
    ],
)
def test_static_dynamic_handle_offers_its_methods_only(project: Any, entry: str) -> None:
    head = f"import hyperparameter as hp\nwith {entry} as ps:\n"
    assert complete(project, head + "    ps.") == SCOPE_METHODS
    assert infer(project, head + "    ps") == {"ParamScope"}
    # an accessor: a key namespace, nothing to complete and no internals
    assert complete(project, head + "    ps.model.") == set()
    assert complete(project, head + "    ps.model.lr.") == set()
    assert complete(project, head + '    ps["model"].') == set()


def test_static_param_scope_entry_offers_its_methods_only(project: Any) -> None:
    assert complete(project, "import hyperparameter as hp\nhp.param_scope.") == {
        "empty",
        "frozen",
    }
    assert complete(project, "import hyperparameter as hp\nhp.param_scope.model.") == set()
    source = "import hyperparameter as hp\nx = hp.param_scope.model.lr | 0.1\nx"
    assert infer(project, source) == {"float"}


# ------------------------------------------------------------------------- run time: dir()


def public(names: list[str] | set[str]) -> set[str]:
    return {n for n in names if not n.startswith("__")}


def interpreter(source: str, namespace: dict[str, Any]) -> set[str]:
    """What ``jedi.Interpreter`` (IPython's completer) offers for ``source``."""
    import jedi

    return public({c.name for c in jedi.Interpreter(source, [namespace]).complete()})


DYNAMIC = {"model.lr": 0.1, "model.layers": 4, "data.path": "x", "epochs": 3}


def test_dir_of_a_dynamic_handle_lists_the_first_segments_of_its_keys() -> None:
    ps = hp.param_scope(**DYNAMIC)
    # not entered: the keys it sets
    assert public(dir(ps)) == {"model", "data", "epochs"} | SCOPE_METHODS
    assert public(dir(ps.model)) == {"lr", "layers"}
    assert public(dir(ps["data"])) == {"path"}
    assert public(dir(ps.model.lr)) == set()
    with ps, hp.param_scope(**{"model.optim.beta": 0.9}) as inner:
        # entered: what the context reads, inner scopes included
        assert public(dir(ps)) == {"model", "data", "epochs"} | SCOPE_METHODS
        assert public(dir(inner.model)) == {"lr", "layers", "optim"}
        assert public(dir(inner.model.optim)) == {"beta"}
        inner.model.wd = 0.01  # a write shows at once
        assert "wd" in dir(ps.model)
    assert public(dir(ps.model)) == {"lr", "layers"}


def test_dir_of_the_entry_and_its_accessors_follows_the_context() -> None:
    assert public(dir(hp.param_scope)) == {"empty", "frozen"}
    assert public(dir(hp.param_scope.model)) == set()
    with hp.param_scope(**DYNAMIC):
        assert public(dir(hp.param_scope)) == {"model", "data", "epochs", "empty", "frozen"}
        assert public(dir(hp.param_scope.model)) == {"lr", "layers"}
        assert public(dir(hp.param_scope["data"])) == {"path"}
    # the accessors cached on the entry are not keys
    assert public(dir(hp.param_scope)) == {"empty", "frozen"}


def test_dir_lists_only_names_written_as_attributes() -> None:
    keys = {"tags": ["a", "b"], "batch-size": 8, "class.x": 1, "ok.y": 2, "_own.z": 3}
    with hp.param_scope(**keys) as ps:
        assert public(dir(ps)) == {"tags", "ok", "_own"} | SCOPE_METHODS
        assert public(dir(ps.tags)) == set()  # list items are `ps.tags[0]`
        assert {"tags", "tags.0", "batch-size", "class.x"} <= set(ps.to_dict())


@pytest.mark.parametrize(
    "handle",
    [
        lambda: hp.param_scope(**DYNAMIC),
        lambda: hp.param_scope(**DYNAMIC).model,
        lambda: hp.param_scope,
        lambda: hp.param_scope.model,
        lambda: hp.param_scope["model.lr"],
        lambda: hp.param_scope.empty(a=1),
    ],
)
def test_dir_never_lists_internals(handle: Any) -> None:
    with hp.param_scope(**DYNAMIC):
        obj = handle()
        obj_dir = dir(obj)
        assert obj_dir, obj
        assert not [n for n in obj_dir if n.startswith("_hp_")], obj_dir
        assert_no_internals(public(obj_dir))


def test_interpreter_completes_a_dynamic_handle() -> None:
    ps = hp.param_scope(**DYNAMIC)
    ns = {"ps": ps, "hp": hp}
    assert interpreter("ps.", ns) == {"model", "data", "epochs"} | SCOPE_METHODS
    assert interpreter("ps.model.", ns) == {"lr", "layers"}
    assert interpreter("hp.param_scope.", ns) == {"empty", "frozen"}
    with ps:
        assert interpreter("hp.param_scope.", ns) == {"model", "data", "epochs"} | {
            "empty",
            "frozen",
        }
        assert interpreter("hp.param_scope.model.", ns) == {"lr", "layers"}
        acc = hp.param_scope.data
        assert interpreter("acc.", {"acc": acc}) == {"path"}


# --------------------------------------------------------------------- run time: typed views


@dataclass
class Optim:
    beta: float = 0.9


@dataclass
class ModelCfg:
    lr: float = 1e-3
    layers: int = 4
    optim: Optim = field(default_factory=Optim)


@dataclass
class TrainConfig:
    model: ModelCfg = field(default_factory=ModelCfg)
    epochs: int = 10


class PModel(pydantic.BaseModel):
    lr: float = 1e-3
    layers: int = 4


class PTrain(pydantic.BaseModel):
    model: PModel = pydantic.Field(default_factory=PModel)
    epochs: int = 10


def test_dir_of_a_typed_view_is_its_fields() -> None:
    with hp.param_scope(TrainConfig()) as ps:
        assert public(dir(ps)) == {"model", "epochs"}
        assert public(dir(ps.model)) == {"lr", "layers", "optim"}
        assert public(dir(ps.model.optim)) == {"beta"}
        assert not [n for n in dir(ps.model) if n.startswith("_hp_")]
    with hp.param_scope(PTrain()) as pp:
        # a view is not the model: none of BaseModel's methods
        assert public(dir(pp)) == {"model", "epochs"}
        assert public(dir(pp.model)) == {"lr", "layers"}


def test_interpreter_completes_a_typed_view() -> None:
    with hp.param_scope(TrainConfig()) as ps, hp.param_scope(PTrain()) as pp:
        ns = {"ps": ps, "pp": pp}
        assert interpreter("ps.", ns) == {"model", "epochs"}
        assert interpreter("ps.model.", ns) == {"lr", "layers", "optim"}
        assert interpreter("ps.model.optim.", ns) == {"beta"}
        assert interpreter("pp.model.", ns) == {"lr", "layers"}
