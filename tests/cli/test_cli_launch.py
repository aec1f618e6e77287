"""``launch`` / ``run_cli``: @auto_param functions as a command line (DESIGN §7, issue 5 §1).

The scripts in tests/data/cli run as subprocesses, the way users run them; the parsing rules
are driven in-process through ``launch(..., argv=[...])``, which is the same code path.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

import hyperparameter as hp
from hyperparameter import cli
from hyperparameter.cli.app import discover
from hyperparameter.schema.docstrings import parse as parse_doc

DATA = Path(__file__).parents[1] / "data" / "cli"
ROOT = Path(__file__).parents[2]


def run(*args: str, cwd: Path = DATA) -> subprocess.CompletedProcess[str]:
    """A Python subprocess that imports this checkout of hyperparameter."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(DATA)])}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


@hp.auto_param("train")
def train(
    data: str,
    lr: float = 1e-3,
    epochs: int = 10,
    amp: bool = False,
    name: str = "run",
    tags: list[int] = [],  # noqa: B006
    act: Literal["relu", "gelu"] = "relu",
) -> dict[str, Any]:
    """Train a model.

    Args:
        data: path to the dataset
        lr: learning rate
    """
    return {
        "data": data,
        "lr": lr,
        "epochs": epochs,
        "amp": amp,
        "name": name,
        "tags": tags,
        "act": act,
        "scope_lr": hp.param_scope.train.lr | 0.0,
    }


@hp.auto_param("eval")
def evaluate(checkpoint: str, batch_size: int = 32) -> tuple[str, int]:
    """Evaluate a checkpoint.

    More about evaluation.
    """
    return checkpoint, batch_size


def launch(*argv: str, funcs: tuple[Any, ...] = (train,), **kw: Any) -> Any:
    return cli.launch(*funcs, argv=list(argv), prog="app", **kw)


def fails(capsys: pytest.CaptureFixture[str], *argv: str, **kw: Any) -> str:
    """Runs ``launch`` expecting exit status 2; returns stderr (checked to be one line)."""
    with pytest.raises(SystemExit) as exc:
        launch(*argv, **kw)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("app: error: ")
    return err.strip()


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text("train:\n  lr: 0.01\n  epochs: 5\nother:\n  x: 1\n")
    (tmp_path / "exp.toml").write_text("[train]\nepochs = 7\namp = true\n")
    return tmp_path


# ------------------------------------------------------------------------ as users run it


def test_issue_example_script() -> None:
    r = run(
        "app.py",
        "data/",
        "--lr",
        "0.1",
        "-C",
        "configs/base.yaml",
        "-C",
        "configs/exp.toml",
        "-D",
        "train.epochs=3",
        "train.amp=true",
        "train.name=123",
        "--tags",
        "1",
        "2",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out == {
        "data": "data/",
        "lr": 0.1,
        "epochs": 3,
        "amp": True,
        "name": "123",
        "tags": [1, 2],
        "scope_epochs": 3,
        "thread_lr": 0.1,
        "model_layers": 8,
    }


def test_script_help() -> None:
    r = run("app.py", "--help")
    assert r.returncode == 0
    out = " ".join(r.stdout.split())
    assert out.startswith("usage: app.py [-h] [--lr FLOAT] [--epochs INT] [--amp | --no-amp]")
    assert "[-C FILE] [-D KEY=VALUE] [--schema MODULE:CLASS]" in out
    assert "data [KEY=VALUE ...]" in out
    assert "parameters: data path to the dataset (required)" in out
    assert "Train a model. Longer text about training." in out
    assert "--lr FLOAT learning rate (default: 0.001)" in out
    assert "--amp, --no-amp mixed precision (default: false)" in out
    assert "--tags INT [INT ...] (default: [])" in out


def test_script_list_params_with_other_arguments() -> None:
    r = run(
        "app.py",
        "data/",
        "--list-params",
        "-C",
        "configs/base.yaml",
        "-C",
        "configs/exp.toml",
        "-D",
        "train.epochs=3",
        "--lr",
        "0.2",
    )
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.splitlines()]
    assert rows[0] == ["KEY", "VALUE", "TYPE", "DEFAULT", "SOURCE"]
    table = {row[0]: row[1:] for row in rows[1:]}
    assert table["train.data"] == ['"data/"', "str", "required", "argument", "data=data/"]
    assert table["train.lr"] == ["0.2", "float", "0.001", "--lr", "0.2"]
    assert table["train.epochs"] == ["3", "int", "10", "-D", "train.epochs=3"]
    assert table["train.name"] == ['"run"', "str", '"run"', "default"]
    assert table["model.layers"] == ["8", "-", "-", "configs/exp.toml:5:10"]
    assert table["run_name"] == ['"base-8"', "-", "-", "configs/base.yaml:7:11"]


def test_script_explain_param() -> None:
    r = run(
        "app.py",
        "--explain-param",
        "train.epochs",
        "-C",
        "configs/exp.toml",
        "-D",
        "train.epochs=3",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "train.epochs = 3",
        "  type:    int",
        "  default: 10",
        "  source:  -D train.epochs=3",
        "  set by (lowest precedence first):",
        "    default            10",
        "    -D train.epochs=3  3  <- final",
    ]


def test_script_errors_are_one_line() -> None:
    r = run("app.py", "data/", "-D", "train.epochs")
    assert r.returncode == 2
    assert (
        r.stderr == "app.py: error: argument -D/--define: expected KEY=VALUE, got 'train.epochs'\n"
    )
    r = run("app.py", "data/", "--schema", "cli_schema:Train", "-C", "configs/bad.yaml")
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "app.py: error: configs/bad.yaml:2:7: model.lr: Input should be a valid number, "
        "unable to parse string as a number [input='fast']",
        "app.py: error: configs/bad.yaml:3:3: model.layrs: unknown key 'layrs'; "
        "did you mean 'layers'?",
    ]


def test_script_subcommands_found_by_launch() -> None:
    r = run("multi.py", "--help")
    assert r.returncode == 0
    assert "train               Train the model." in r.stdout
    assert "evaluate            Evaluate a checkpoint." in r.stdout
    assert "_helper" not in r.stdout
    r = run("multi.py", "-D", "train.lr=0.3", "train", "--steps", "3")
    assert (r.returncode, json.loads(r.stdout)) == (0, {"command": "train", "lr": 0.3, "steps": 3})
    r = run("multi.py", "evaluate", "ck.pt", "eval.batch_size=4")
    assert json.loads(r.stdout) == {"command": "evaluate", "checkpoint": "ck.pt", "bs": 4}
    r = run("multi.py", "evaluate", "--help")
    assert "checkpoint            the weights to load (required)" in r.stdout
    assert "--batch-size INT      examples per step (default: 32)" in r.stdout
    r = run("multi.py", "fit")
    assert r.returncode == 2
    assert "invalid choice: 'fit' (choose from 'train', 'evaluate')" in r.stderr


# ------------------------------------------------------------------------------ precedence


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], 10),  # the function's default
        (["-C", "base.yaml"], 5),  # a file beats the default
        (["-C", "base.yaml", "-C", "exp.toml"], 7),  # a later file beats an earlier one
        (["-C", "exp.toml", "-C", "base.yaml"], 5),
        (["-C", "exp.toml", "-D", "train.epochs=8"], 8),  # -D beats files
        (["-C", "exp.toml", "train.epochs=8"], 8),  # so does a bare key=value
        (["-D", "train.epochs=8", "train.epochs=9"], 9),  # the later override wins
        (["train.epochs=9", "-D", "train.epochs=8"], 8),
        (["-D", "train.epochs=8", "--epochs", "4"], 4),  # --arg beats -D
        (["--epochs", "4", "-C", "exp.toml", "train.epochs=8"], 4),
    ],
)
def test_precedence(configs: Path, argv: list[str], expected: int) -> None:
    argv = [str(configs / a) if a.endswith((".yaml", ".toml")) else a for a in argv]
    assert launch("data", *argv)["epochs"] == expected


def test_values_are_typed_by_the_signature(configs: Path) -> None:
    out = launch("d", "-D", "train.name=123", "train.lr=1e-2", "train.amp=yes", "--tags", "[3, 4]")
    assert (out["name"], out["lr"], out["amp"], out["tags"]) == ("123", 0.01, True, [3, 4])
    out = launch("d", "--amp", "--no-amp", "--tags", "5", "--act", "gelu", "--lr=2")
    assert (out["amp"], out["tags"], out["act"], out["lr"]) == (False, [5], "gelu", 2.0)
    assert launch("d", "--epochs", "1e3")["epochs"] == 1000


def test_values_are_visible_in_the_scope_and_in_threads(configs: Path) -> None:
    seen: dict[str, Any] = {}

    @hp.auto_param("job")
    def job(steps: int = 1) -> None:
        def worker() -> None:
            seen["thread"] = (hp.param_scope.job.steps | 0, hp.param_scope.other.x | 0)

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        seen["scope"] = hp.param_scope.job.steps | 0

    launch("--steps", "3", "-C", str(configs / "base.yaml"), funcs=(job,))
    assert seen == {"thread": (3, 1), "scope": 3}


def test_required_parameters_are_positional_or_from_a_config(
    configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert launch("--lr", "0.5", "data/")["data"] == "data/"  # after options
    (configs / "data.yaml").write_text("train:\n  data: from-file\n")
    assert launch("-C", str(configs / "data.yaml"))["data"] == "from-file"
    err = fails(capsys)
    assert err == "app: error: the following arguments are required: data (or set train.data)"


def test_option_spellings(capsys: pytest.CaptureFixture[str]) -> None:
    @hp.auto_param("job")
    def job(batch_size: int = 1) -> int:
        return batch_size

    assert launch("--batch-size", "2", funcs=(job,)) == 2
    assert launch("--batch_size", "3", funcs=(job,)) == 3
    assert launch("--batch_size=4", funcs=(job,)) == 4
    assert launch("-Djob.batch_size=5", funcs=(job,)) == 5
    assert launch("--define=job.batch_size=6", funcs=(job,)) == 6
    err = fails(capsys, "--batch", "2", funcs=(job,))  # no abbreviations
    assert err == "app: error: unrecognized arguments: --batch"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["d", "-D", "train.epochs"],
            "argument -D/--define: expected KEY=VALUE, got 'train.epochs'",
        ),
        (["d", "-D"], "argument -D/--define: expected KEY=VALUE"),
        (["d", "-D", "a..b=1"], "invalid key 'a..b': empty segment"),
        (
            ["d", "--epochs", "3.5"],
            "--epochs 3.5: train.epochs: cannot convert '3.5' to int: not an integral number",
        ),
        (
            ["d", "train.lr=fast"],
            "-D train.lr=fast: train.lr: cannot convert 'fast' to float: not a number",
        ),
        (
            ["d", "--act", "tanh"],
            "--act tanh: train.act: cannot convert 'tanh' to "
            "Literal['relu', 'gelu']: expected one of 'relu', 'gelu'",
        ),
        (
            ["d", "-D", "train.ecpochs=3"],
            "-D train.ecpochs=3: train.ecpochs: unknown key 'ecpochs'; did you mean 'epochs'?",
        ),
        (
            ["d", "-D", "train=1"],
            "-D train=1: train: unknown key 'train'; did you mean 'train.lr'?",
        ),
        (
            ["d", "-D", "train.ep-ochs=3"],
            "-D train.ep-ochs=3: train.ep-ochs: unknown key 'ep-ochs'; did you mean 'epochs'?",
        ),
        (["d", "extra"], "unrecognized arguments: extra"),
        (["d", "--lr"], "argument --lr: expected one argument"),
        (
            ["d", "-C", "missing.yaml"],
            "missing.yaml: cannot read the file: No such file or directory",
        ),
        (
            ["d", "--schema", "no_such_module:X"],
            "cannot import schema 'no_such_module:X': "
            "ModuleNotFoundError: No module named 'no_such_module'",
        ),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert fails(capsys, *argv) == f"app: error: {message}"


def test_config_errors(configs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (configs / "bad.yaml").write_text("train:\n  epochs: many\n  lr: ${nowhere}\n")
    with pytest.raises(SystemExit) as exc:
        launch("d", "-C", str(configs / "bad.yaml"))
    assert exc.value.code == 2
    err = capsys.readouterr().err.replace(str(configs) + os.sep, "")
    assert err.splitlines() == [
        "app: error: bad.yaml:3:7: train.lr: missing key 'nowhere' in ${nowhere}",
    ]
    (configs / "bad.yaml").write_text("train:\n  epochs: many\n")
    err = fails(capsys, "d", "-C", str(configs / "bad.yaml")).replace(str(configs) + os.sep, "")
    assert (
        err == "app: error: bad.yaml:2:11: train.epochs: cannot convert 'many' to int: not a number"
    )


def test_keys_outside_the_namespace_are_free(configs: Path) -> None:
    seen = []

    @hp.auto_param("job")
    def job() -> None:
        seen.append((hp.param_scope.other.x | 0, hp.param_scope.other.name | ""))

    launch("-C", str(configs / "base.yaml"), "other.name=123", funcs=(job,))
    assert seen == [(1, "123")]


def test_interpolation_in_overrides(configs: Path) -> None:
    out = launch("d", "-C", str(configs / "base.yaml"), "train.name=run-${train.epochs}")
    assert out["name"] == "run-5"


def test_list_params_never_crashes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        launch("--list-params")  # the required `data` is missing: still listed
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "train.data    <missing>  str" in out
    assert "train.act     \"relu\"     Literal['relu', 'gelu']  \"relu\"    default" in out
    with pytest.raises(SystemExit) as exc:
        launch("d", "--lr", "abc", "--list-params", "train.epoch=3")
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert 'train.lr      "abc" (invalid)' in captured.out
    assert captured.err.splitlines() == [
        "app: error: -D train.epoch=3: train.epoch: unknown key 'epoch'; did you mean 'epochs'?",
        "app: error: --lr abc: train.lr: cannot convert 'abc' to float: not a number",
    ]


def test_explain_param(configs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        launch("--explain-param", "other", "-C", str(configs / "base.yaml"))
    out = capsys.readouterr().out.replace(str(configs) + os.sep, "")
    assert out.splitlines()[0] == "other.x = 1"
    assert "    base.yaml:5:6  1  <- final" in out
    err = fails(capsys, "--explain-param", "train.lrr")
    assert err == "app: error: --explain-param train.lrr: no such key; did you mean 'train.lr'?"


# ----------------------------------------------------------------------------- with schema


@dataclass
class Model:
    layers: int = 4
    act: str = "relu"


@dataclass
class Config:
    model: Model = field(default_factory=Model)
    seed: int = 0


def test_schema_types_its_keys_and_the_function_its_namespace(
    configs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = []

    @hp.auto_param("job")
    def job(steps: int = 1) -> None:
        seen.append((steps, hp.param_scope.model.layers | 0, hp.param_scope.seed()))

    launch("model.layers=8", "--steps", "2", "seed=3", funcs=(job,), schema=Config)
    assert seen == [(2, 8, 3)]
    err = fails(capsys, "model.layrs=8", funcs=(job,), schema=Config)
    assert (
        err
        == "app: error: -D model.layrs=8: model.layrs: unknown key 'layrs'; did you mean 'layers'?"
    )
    err = fails(capsys, "seed=x", funcs=(job,), schema=Config)
    assert err.startswith("app: error: -D seed=x: seed: Input should be a valid integer")


def test_schema_that_owns_the_namespace(capsys: pytest.CaptureFixture[str]) -> None:
    @hp.auto_param("model")
    def build(layers: int = 1) -> int:
        return layers

    assert launch(funcs=(build,), schema=Config) == 4  # the schema's default wins
    assert launch("--layers", "6", funcs=(build,), schema=Config) == 6
    err = fails(capsys, "--layers", "x", funcs=(build,), schema=Config)
    assert err.startswith("app: error: --layers x: model.layers: Input should be a valid integer")


# ------------------------------------------------------------------------ shapes of launch


def test_subcommands(configs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    funcs = (train, evaluate)
    assert launch("evaluate", "ck", "--batch-size", "2", funcs=funcs) == ("ck", 2)
    (configs / "eval.yaml").write_text("eval:\n  batch_size: 16\n")
    assert launch("-C", str(configs / "eval.yaml"), "evaluate", "ck", funcs=funcs) == ("ck", 16)
    assert launch("evaluate", "-D", "eval.batch_size=3", "ck", funcs=funcs) == ("ck", 3)
    with pytest.raises(SystemExit):
        launch("evaluate", "--help", funcs=funcs)
    out = capsys.readouterr().out
    assert "Evaluate a checkpoint.\n\nMore about evaluation." in out
    err = fails(capsys, funcs=funcs)
    assert err == "app: error: the following arguments are required: COMMAND"


def test_discover_and_run_cli() -> None:
    assert cli.run_cli is cli.launch
    assert getattr(hp, "launch", cli.launch) is cli.launch
    found = discover({"__name__": __name__, "train": train, "evaluate": evaluate, "_x": train})
    assert found == [train, evaluate]
    with pytest.raises(TypeError, match="found no @auto_param functions"):
        discover({"__name__": "empty"})


def test_classes_coroutines_and_positional_only() -> None:
    @hp.auto_param("net")
    class Net:
        """A network.

        Args:
            width: channels
        """

        def __init__(self, width: int = 8) -> None:
            self.width = width

    assert launch("--width", "16", funcs=(Net,)).width == 16

    @hp.auto_param("job")
    async def job(steps: int = 1) -> int:
        await asyncio.sleep(0)
        return steps + (hp.param_scope.job.steps | 0)

    assert launch("--steps", "2", funcs=(job,)) == 4

    @hp.auto_param("pos")
    def pos(a: int, b: int = 2, /, c: int = 3) -> tuple[int, int, int]:
        return a, b, c

    assert launch("1", "--b", "5", funcs=(pos,)) == (1, 5, 3)


def test_bad_launch_targets() -> None:
    def schema(schema: int = 1) -> None:
        """A parameter named like a built-in option."""

    with pytest.raises(TypeError, match="clashes with the option --schema"):
        launch(funcs=(schema,))
    with pytest.raises(TypeError, match="two functions with the same name"):
        launch(funcs=(train, train))


# ------------------------------------------------------------------------------ docstrings


def test_docstrings_in_three_styles() -> None:
    google = parse_doc(
        """Summary line.

        More text.

        Args:
            a (int): the a,
                continued.
            *rest: more

        Returns:
            nothing
        """
    )
    assert (google.summary, google.description) == ("Summary line.", "More text.")
    assert google.params == {"a": "the a, continued.", "rest": "more"}
    numpy = parse_doc(
        """Summary.

        Parameters
        ----------
        a, b : int
            the values
        flag
        """
    )
    assert numpy.params == {"a": "the values", "b": "the values", "flag": ""}
    rest = parse_doc(":param int a: the a\n   continued\n:type a: int\n:returns: x")
    assert rest.params == {"a": "the a continued"}
    assert parse_doc(None).params == {}


def test_parameters_named_like_options(capsys: pytest.CaptureFixture[str]) -> None:
    @hp.auto_param("job")
    def job(config: str = "a", define: int = 0) -> tuple[str, int]:
        return config, define

    assert launch("--config", "b", "--define", "2", "-D", "job.define=1", funcs=(job,)) == ("b", 2)
    assert launch("-D", "job.config=c", funcs=(job,)) == ("c", 0)
    with pytest.raises(SystemExit):
        launch("--help", funcs=(job,))
    out = capsys.readouterr().out
    assert "  -C FILE  " in out
    assert "  --config STR " in out


# ----------------------------------------------------------- the 0.6 surface (issue 11)
# These mirror the 0.6 project's own tests/test_launch.py and tests/test_cli_config.py: the
# functions are defined in the test body and found by a bare launch().


def test_launch_finds_functions_defined_in_the_calling_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: dict[str, list[Any]] = {"foo": [], "bar": []}

    @hp.param("foo")
    def foo(a: Any = 1, b: Any = 2) -> tuple[Any, Any]:
        calls["foo"].append((a, b))
        return a, b

    @hp.param("bar")
    def bar(x: Any = 0) -> Any:
        calls["bar"].append(x)
        return x

    monkeypatch.setattr(sys, "argv", ["prog", "foo", "-D", "foo.b=7"])
    assert hp.launch() == (1, 7)  # 0.6 read sys.argv, so does a bare launch()
    assert calls == {"foo": [(1, 7)], "bar": []}
    assert hp.launch(argv=["bar", "--x", "3"]) == 3


def test_launch_positional_and_typed_options_as_in_06() -> None:
    @hp.auto_param("foo")
    def foo(a, b: int = 2, c: float = 0.5, flag: bool = True):  # type: ignore[no-untyped-def]
        return a, b, c, flag

    @hp.auto_param("bar")
    def bar(x=0):  # type: ignore[no-untyped-def]
        return x

    argv = ["foo", "3", "--b", "4", "--c", "1.5", "--flag", "False"]
    # An untyped parameter's own word is text, as argparse (and 0.6) have it.
    assert hp.run_cli(argv=argv) == ("3", 4, 1.5, False)
    assert hp.run_cli(argv=["foo", "-D", "foo.a=3"])[0] == 3  # -D parses, as every override


def test_launch_collects_locals_and_globals() -> None:
    def local_runner() -> Any:
        @hp.auto_param("local_func")
        def local_func(y: int = 2) -> tuple[str, int]:
            return "local", y

        return hp.launch(argv=["local_func", "--y", "5"])

    assert local_runner() == ("local", 5)
    # From the test body: the module's functions (this file's train and evaluate).
    assert hp.launch(argv=["evaluate", "ck", "--batch-size", "4"]) == ("ck", 4)


def test_discovered_commands(capsys: pytest.CaptureFixture[str]) -> None:
    @hp.auto_param("train")
    def train(steps: int = 1) -> str:  # shadows the module's train
        return f"local {steps}"

    @hp.auto_param("net")
    class Net:
        def __init__(self, width: int = 1) -> None:
            self.width = width

    class Sub(Net):  # inherits the marker, is not a command
        pass

    @hp.auto_param("_hidden")
    def _private() -> None: ...

    accessor = hp.param_scope.a.b  # answers every attribute: never a command
    assert callable(accessor)
    assert Sub.__init__ is Net.__init__
    assert _private.__name__ == "_private"
    assert hp.launch(argv=["train", "--steps", "2"]) == "local 2"
    assert hp.launch(argv=["Net", "--width", "3"]).width == 3
    with pytest.raises(SystemExit):
        hp.launch(argv=["--help"])
    out = capsys.readouterr().out.split("positional arguments:")[1].split("options:")[0]
    assert [line.split()[0] for line in out.strip().splitlines()[1:]] == [
        "train",
        "Net",
        "evaluate",
    ]


def test_one_discovered_function_answers_to_its_name() -> None:
    # 0.6: `prog global_func --x 9` ran the only function of the module.
    code = (
        "import hyperparameter as hp\n"
        "@hp.auto_param('global_func')\n"
        "def global_func(x=1):\n"
        "    return ('global', x)\n"
        "by_name = hp.launch(argv=['global_func', '--x', '9'])\n"
        "plain = hp.launch(argv=['--x', '8'])\n"
    )
    namespace: dict[str, Any] = {"__name__": "single_command"}
    exec(compile(code, "single_command.py", "exec"), namespace)  # a module of its own
    assert (namespace["by_name"], namespace["plain"]) == (("global", 9), ("global", 8))
    with pytest.raises(TypeError) as info:
        exec("import hyperparameter as hp\nhp.launch(argv=[])\n", {"__name__": "empty"})
    assert str(info.value) == (
        "launch() found no @auto_param functions in module 'empty'; "
        "pass them: launch(train, evaluate)"
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--flag"], True),
        (["--no-flag"], False),
        (["--flag", "False"], False),
        (["--flag", "no"], False),
        (["--flag", "0"], False),
        (["--flag=off"], False),
        (["--no-flag", "--flag", "yes"], True),
        (["--flag", "1", "--no-flag"], False),
        (["--flag", "TRUE"], True),
        (["--no-flag", "--flag"], True),
    ],
)
def test_bool_options_take_06_spellings(argv: list[str], expected: bool) -> None:
    @hp.auto_param("job")
    def job(data: str = "-", flag: bool = False) -> tuple[str, bool, bool]:
        return data, flag, hp.param_scope.job.flag | False

    assert launch(*argv, funcs=(job,)) == ("-", expected, expected)


def test_bool_option_words(capsys: pytest.CaptureFixture[str]) -> None:
    @hp.auto_param("job")
    def job(data: str, flag: bool = False) -> tuple[str, bool]:
        return data, flag

    # Only the coercion table's booleans are taken by the flag: other words are positional.
    assert launch("--flag", "data/", funcs=(job,)) == ("data/", True)
    assert launch("--flag", "yes", "data/", funcs=(job,)) == ("data/", True)
    assert launch("--flag", "--", "yes", funcs=(job,)) == ("yes", True)
    err = fails(capsys, "d", "--flag=maybe", funcs=(job,))
    assert err == (
        "app: error: --flag maybe: job.flag: cannot convert 'maybe' to bool: "
        "expected one of true/false, yes/no, on/off, 1/0, t/f, y/n"
    )
    err = fails(capsys, "d", "--no-flag", "true", funcs=(job,))
    assert err == "app: error: unrecognized arguments: true"
    with pytest.raises(SystemExit):
        launch("d", "--flag", "off", "--list-params", funcs=(job,))
    out = capsys.readouterr().out
    assert "job.flag  false  bool  false     --flag off" in out
    with pytest.raises(SystemExit):
        launch("--help", funcs=(job,))
    out = capsys.readouterr().out
    assert "[--flag | --no-flag]" in out
    assert "\0" not in out


def test_one_config_option_takes_several_files(configs: Path) -> None:
    # 0.6's tests/test_cli_config.py::test_cli_multi_config.
    (configs / "base.json").write_text('{"my_app": {"x": 1, "y": 1}}')
    (configs / "override.json").write_text('{"my_app": {"y": 2}}')

    @hp.param("my_app")
    def my_app(x: int = 1, y: int = 2) -> dict[str, int]:
        return {"x": x, "y": y}

    base, override = str(configs / "base.json"), str(configs / "override.json")
    assert launch("-C", base, override, funcs=(my_app,)) == {"x": 1, "y": 2}
    assert launch("-C", override, base, funcs=(my_app,)) == {"x": 1, "y": 1}  # in order
    assert launch("--config", base, "--define", "my_app.x=99", funcs=(my_app,))["x"] == 99


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-C", "base.yaml", "exp.toml"], ("d", 7, 0.01)),
        (["-C", "exp.toml", "base.yaml"], ("d", 5, 0.01)),
        (["-Cbase.yaml", "exp.toml"], ("d", 7, 0.01)),
        (["--config=base.yaml", "exp.toml"], ("d", 7, 0.01)),
        (["-C", "base.yaml", "-C", "exp.toml"], ("d", 7, 0.01)),
        (["-C", "base.yaml", "exp.toml", "train.epochs=2"], ("d", 2, 0.01)),
        (["-C", "base.yaml", "exp.toml", "data/"], ("data/", 7, 0.01)),
        (["-C", "base.yaml", "--lr", "1", "exp.toml"], ("exp.toml", 5, 1.0)),
        (["-C", "base.yaml", "--", "exp.toml"], ("exp.toml", 5, 0.01)),
    ],
)
def test_config_file_words(
    configs: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], expected: tuple[Any, ...]
) -> None:
    # After -C FILE, a word with a config suffix is one more file; anything else (an option,
    # key=value, a folder, a data path) ends the list.
    monkeypatch.chdir(configs)
    out = launch(*argv) if expected[0] != "d" else launch("d", *argv)
    assert (out["data"], out["epochs"], out["lr"]) == expected


def test_config_list_errors(configs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = fails(capsys, "d", "-C", str(configs / "base.yaml"), "nowhere.json")
    assert err == "app: error: nowhere.json: cannot read the file: No such file or directory"
    err = fails(capsys, "d", "-C")
    assert err == "app: error: argument -C/--config: expected one argument"


def test_repeated_launches_are_independent(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"db": {"timeout": 10, "host": "a"}}')
    (tmp_path / "b.json").write_text('{"db": {"host": "b"}}')
    seen = []

    @hp.auto_param("job")
    def job(steps: int = 1) -> tuple[Any, Any, int]:
        got: list[Any] = []
        t = threading.Thread(target=lambda: got.append(hp.param_scope.db.timeout | None))
        t.start()
        t.join()
        seen.append(got[0])  # a thread the function starts sees the frozen values
        return hp.param_scope.db.timeout | None, hp.param_scope.db.host | None, steps

    first = launch("-C", str(tmp_path / "a.json"), "--steps", "3", funcs=(job,))
    second = launch("-C", str(tmp_path / "b.json"), funcs=(job,))
    assert (first, second, seen) == ((10, "a", 3), (None, "b", 1), [10, None])
    assert hp.param_scope.db.timeout | None is None  # and nothing stays behind
    assert hp.param_scope.job.steps | 0 == 0


def test_launch_restores_the_snapshot_it_started_from(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"db": {"timeout": 10}}')

    @hp.auto_param("job")
    def job(fail: bool = False) -> tuple[Any, Any]:
        if fail:
            raise RuntimeError("boom")
        return hp.param_scope.db.timeout | None, hp.param_scope.app.name | None

    with hp.param_scope(**{"app.name": "outer"}):
        hp.param_scope.frozen()  # the program's own snapshot, before launch
    assert launch("-C", str(tmp_path / "a.json"), funcs=(job,)) == (10, "outer")
    assert (hp.param_scope.db.timeout | None, hp.param_scope.app.name | None) == (None, "outer")
    with pytest.raises(RuntimeError, match="boom"):
        launch("-C", str(tmp_path / "a.json"), "--fail", funcs=(job,))
    assert (hp.param_scope.db.timeout | None, hp.param_scope.app.name | None) == (None, "outer")

    @hp.auto_param("inner")
    def inner() -> Any:
        return hp.param_scope.db.timeout | None

    @hp.auto_param("outer")
    def outer() -> tuple[Any, Any]:
        nested = launch("-D", "db.timeout=3", funcs=(inner,))
        return nested, hp.param_scope.db.timeout | None

    assert launch("-D", "db.timeout=1", funcs=(outer,)) == (3, 1)
    assert hp.param_scope.db.timeout | None is None
