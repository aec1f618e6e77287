"""The ``hp`` command: lint, show, explain, schema (DESIGN §7, issue 5 §2).

A few runs go through a real subprocess (``python -m hyperparameter``, as CI and editors run
it); the rest call ``hyperparameter.cli.main(argv)`` in-process, which is the same code.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

import hyperparameter as hp
from hyperparameter import cli
from hyperparameter.cli.project import LintConfig, schema_for
from hyperparameter.schema.jsonschema import json_schema

DATA = Path(__file__).parents[1] / "data" / "cli"
ROOT = Path(__file__).parents[2]
SARIF_SCHEMA = json.loads((DATA / "sarif-2.1.0-subset.schema.json").read_text())


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of tests/data/cli as the working directory (no pyproject.toml above it)."""
    work = tmp_path / "work"
    shutil.copytree(DATA, work)
    monkeypatch.chdir(work)
    monkeypatch.setattr(sys, "path", list(sys.path))  # schema imports add the cwd
    for name in [m for m in sys.modules if m == "cli_schema" or m.startswith("proj")]:
        monkeypatch.delitem(sys.modules, name)
    return work


def hp_run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "hyperparameter", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def hp_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------------------------- lint


def test_lint_json_report(workdir: Path) -> None:
    r = hp_run(
        "lint",
        "configs/base.yaml",
        "configs/bad.yaml",
        "configs/syntax.yaml",
        "--schema",
        "cli_schema:Train",
        "--format",
        "json",
        cwd=workdir,
    )
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout) == {
        "files_checked": 3,
        "findings": [
            {
                "file": "configs/bad.yaml",
                "line": 2,
                "column": 7,
                "key": "model.lr",
                "message": "Input should be a valid number, unable to parse string as a number "
                "[input='fast']",
                "type": "float_parsing",
            },
            {
                "file": "configs/bad.yaml",
                "line": 3,
                "column": 3,
                "key": "model.layrs",
                "message": "unknown key 'layrs'; did you mean 'layers'?",
                "type": "extra_forbidden",
            },
            {
                "file": "configs/syntax.yaml",
                "line": 3,
                "column": 10,
                "key": None,
                "message": "mapping values are not allowed in this context",
                "type": "syntax",
            },
        ],
    }


def test_lint_sarif_report_is_valid_sarif(workdir: Path) -> None:
    r = hp_run(
        "lint",
        "configs",
        "--schema",
        "cli_schema:Train",
        "--format",
        "sarif",
        cwd=workdir,
    )
    assert r.returncode == 1, r.stderr
    sarif = json.loads(r.stdout)
    jsonschema.Draft202012Validator(
        SARIF_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(sarif)
    (run,) = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "hp lint"
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] == "error"
    located = {
        (
            loc["physicalLocation"]["artifactLocation"]["uri"],
            loc["physicalLocation"]["region"]["startLine"],
            loc["physicalLocation"]["region"]["startColumn"],
            result["ruleId"],
        )
        for result in run["results"]
        for loc in result["locations"]
    }
    assert ("configs/bad.yaml", 2, 7, "float_parsing") in located
    assert ("configs/duplicate.json", 3, 3, "duplicate_key") in located
    assert ("configs/cycle.yaml", 2, 4, "interpolation") in located
    assert ("configs/eval/eval.yaml", 1, 1, "extra_forbidden") in located
    assert set(rules) >= {"float_parsing", "duplicate_key", "interpolation", "syntax"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == workdir.as_uri() + "/"


def test_lint_github_annotations(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = hp_main(
        capsys, "lint", "configs/bad.yaml", "--schema", "cli_schema:Train", "--format", "github"
    )
    assert code == 1
    assert out.splitlines() == [
        "::error file=configs/bad.yaml,line=2,col=7,title=hp lint (float_parsing)::model.lr: "
        "Input should be a valid number, unable to parse string as a number [input='fast']",
        "::error file=configs/bad.yaml,line=3,col=3,title=hp lint (extra_forbidden)::"
        "model.layrs: unknown key 'layrs'; did you mean 'layers'?",
    ]


def test_lint_text_and_exit_codes(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = hp_main(capsys, "lint", "configs/base.yaml", "configs/exp.toml")
    assert (code, out, err) == (0, "2 files checked, no findings\n", "")
    code, out, _ = hp_main(capsys, "lint", "configs/base.yaml", "--schema", "cli_schema:Train")
    assert (code, out) == (0, "1 file checked, no findings\n")
    code, out, _ = hp_main(capsys, "lint", "configs/cycle.yaml", "configs/duplicate.json")
    assert code == 1
    assert out.splitlines() == [
        "configs/cycle.yaml:2:4: b: interpolation cycle: 'a' (configs/cycle.yaml:1:4) -> 'b' "
        "-> 'a' (interpolation)",
        "configs/cycle.yaml:3:4: c: missing key 'missing.key' in ${missing.key} (interpolation)",
        "configs/duplicate.json:3:3: epochs: duplicate key 'epochs' (lines 2 and 3) "
        "(duplicate_key)",
        "3 findings in 2 of 2 files",
    ]


def test_lint_quotes_odd_keys_and_bounds_inputs(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "odd.yaml").write_text(f'"ab ": 1\nepochs: "{"x" * 300}"\n')
    args = ["lint", "odd.yaml", "--schema", "cli_schema:Train"]
    code, out, _ = hp_main(capsys, *args)
    shown = f"'{'x' * 37}...{'x' * 38}'"
    assert (code, out.splitlines()) == (
        1,
        [
            "odd.yaml:1:1: 'ab ': unknown key 'ab ' (extra_forbidden)",
            "odd.yaml:2:9: epochs: Input should be a valid integer, unable to parse string as an "
            f"integer [input={shown}] (int_parsing)",
            "2 findings in 1 of 1 file",
        ],
    )
    code, out, _ = hp_main(capsys, *args, "--format", "json")
    findings = json.loads(out)["findings"]
    assert [f["key"] for f in findings] == ["ab ", "epochs"]  # the key itself, unquoted


def test_lint_without_schema_checks_syntax_tags_and_interpolation(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "tags.yaml").write_text("a: !!python/name:os.system\nb: 1\n")
    (workdir / "dangling.toml").write_text('a = "${b.c}"\n')
    code, out, _ = hp_main(capsys, "lint", "tags.yaml", "dangling.toml", "--format", "json")
    assert code == 1
    findings = json.loads(out)["findings"]
    assert [(f["file"], f["line"], f["column"], f["key"], f["type"]) for f in findings] == [
        ("tags.yaml", 1, 4, None, "unsupported_tag"),
        ("dangling.toml", 1, 5, "a", "interpolation"),
    ]


def test_lint_names_the_full_key_of_a_duplicate(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "k8s.yaml").write_text("spec:\n  selector: a\n  selector: b\n")
    (workdir / "t.toml").write_text("[spec]\nselector = 1\nselector = 2\n")
    code, out, _ = hp_main(capsys, "lint", "k8s.yaml", "t.toml", "--format", "json")
    assert code == 1
    findings = json.loads(out)["findings"]
    message = "duplicate key 'selector' (lines 2 and 3)"
    assert [(f["file"], f["line"], f["key"], f["message"], f["type"]) for f in findings] == [
        ("k8s.yaml", 3, "spec.selector", message, "duplicate_key"),
        ("t.toml", 3, "spec.selector", message, "duplicate_key"),
    ]
    _, out, _ = hp_main(capsys, "lint", "k8s.yaml")
    assert out.splitlines()[0] == f"k8s.yaml:3:3: spec.selector: {message} (duplicate_key)"


def test_lint_merge(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "fix.yaml").write_text("model:\n  lr: 0.5\n  layers: 2\n")
    code, out, _ = hp_main(
        capsys, "lint", "--merge", "configs/bad.yaml", "fix.yaml", "--schema", "cli_schema:Train"
    )
    assert (code, out.splitlines()[-1]) == (1, "1 finding in 1 of 2 files")
    assert "model.layrs: unknown key" in out
    code, out, _ = hp_main(
        capsys,
        "lint",
        "--merge",
        "configs/base.yaml",
        "configs/exp.toml",
        "--schema",
        "cli_schema:Train",
        "--format",
        "json",
    )
    assert (code, json.loads(out)) == (0, {"files_checked": 2, "findings": []})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "no files given, and no pyproject.toml with [tool.hyperparameter.lint] files"),
        (["nope.yaml"], "no such file or directory: nope.yaml"),
        (
            ["configs/base.yaml", "--schema", "nope:X"],
            "cannot import schema 'nope:X': ModuleNotFoundError: No module named 'nope'",
        ),
        (
            ["configs/base.yaml", "--schema", "cli_schema:Model.x"],
            "cannot import schema 'cli_schema:Model.x': 'cli_schema' has no attribute 'x'",
        ),
        (
            ["configs/base.yaml", "--schema", "json:dumps"],
            "schema 'json:dumps' is not a dataclass or a pydantic model class",
        ),
        (
            ["configs/base.yaml", "--format", "xml"],
            "argument --format: invalid choice: 'xml' "
            "(choose from 'text', 'json', 'github', 'sarif')",
        ),
    ],
)
def test_lint_usage_errors(
    workdir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = hp_main(capsys, "lint", *args)
    assert (code, out, err) == (2, "", f"hp lint: error: {message}\n")


def test_lint_from_pyproject(workdir: Path) -> None:
    project = workdir / "project"
    r = hp_run("lint", "--format", "json", cwd=project / "configs")  # found walking up
    assert r.returncode == 1, r.stderr
    report = json.loads(r.stdout)
    assert report["files_checked"] == 4
    assert [(f["file"], f["key"], f["type"]) for f in report["findings"]] == [
        ("eval/broken.yaml", "batch_size", "int_parsing"),
        ("eval/broken.yaml", "lr", "extra_forbidden"),
    ]
    r = hp_run("lint", "configs/train.yaml", "--schema", "proj.config:Eval", cwd=project)
    assert r.returncode == 1  # --schema beats the pyproject
    assert "configs/train.yaml:1:1: checkpoint: Field required (missing)" in r.stdout


def test_pyproject_globs_pick_the_most_specific_schema(tmp_path: Path) -> None:
    config = LintConfig(
        tmp_path,
        ("configs/**/*.yaml",),
        "m:Default",
        (
            ("configs/**/*.yaml", "m:Any"),
            ("configs/eval/*.yaml", "m:Eval"),
            ("configs/eval/special.yaml", "m:Special"),
            ("configs/eval/**", "m:EvalTree"),
        ),
    )
    where = {
        "configs/a.yaml": "m:Any",
        "configs/x/y/b.yaml": "m:Any",
        "configs/eval/e.yaml": "m:Eval",
        "configs/eval/special.yaml": "m:Special",
        "configs/eval/sub/e.yaml": "m:EvalTree",
        "other/c.yaml": "m:Default",
    }
    for rel, expected in where.items():
        assert schema_for(str(tmp_path / rel), config) == expected, rel
    assert schema_for("x.yaml", None) is None


def test_bad_pyproject_table(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "pyproject.toml").write_text("[tool.hyperparameter.lint]\nfile = ['*.yaml']\n")
    code, _, err = hp_main(capsys, "lint")
    assert code == 2
    assert err.endswith("[tool.hyperparameter.lint] has unknown keys: ['file']\n")


# ----------------------------------------------------------------------------------- show


def test_show_provenance(workdir: Path) -> None:
    r = hp_run(
        "show",
        "configs/base.yaml",
        "configs/exp.toml",
        "model.lr=3e-4",
        "--schema",
        "cli_schema:Train",
        "--provenance",
        cwd=workdir,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "model:",
        "  lr: 0.0003 # -D model.lr=3e-4",
        "  layers: 8 # configs/exp.toml:5:10",
        "  act: gelu # configs/exp.toml:6:7",
        "  dropout: # default",
        "epochs: 20 # configs/exp.toml:2:10",
        "tags: [] # default",
        "run_name: base-8 # configs/base.yaml:7:11 (base-${model.layers})",
    ]


def test_show_keeps_and_annotates_integer_keys(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "index.yaml").write_text("0: a\n1:\n  2: b\n")
    code, out, _ = hp_main(capsys, "show", "index.yaml", "--provenance")
    assert (code, out) == (0, "0: a # index.yaml:1:4\n1:\n  2: b # index.yaml:3:6\n")
    assert hp.loads(out, "yaml") == {0: "a", 1: {2: "b"}}
    (workdir / "keys.yaml").write_text("true: a\nnull: b\n")
    code, out, _ = hp_main(capsys, "show", "keys.yaml", "--provenance", "--format", "toml")
    assert (code, out) == (0, 'true = "a"  # keys.yaml:1:7\nnull = "b"  # keys.yaml:2:7\n')
    code, out, _ = hp_main(capsys, "show", "keys.yaml", "--provenance", "--format", "json")
    assert json.loads(out)["True"] == {"value": "a", "source": "keys.yaml:1:7"}


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_show_formats_load_back(
    workdir: Path, capsys: pytest.CaptureFixture[str], fmt: Any
) -> None:
    args = ["configs/base.yaml", "configs/exp.toml", "-D", "model.lr=0.5", "--format", fmt]
    code, out, _ = hp_main(capsys, "show", *args)
    assert code == 0
    expected = {
        "model": {"lr": 0.5, "layers": 8, "act": "gelu"},
        "epochs": 20,
        "run_name": "base-8",
    }
    assert hp.loads(out, fmt) == expected
    code, out, _ = hp_main(capsys, "show", *args, "--provenance")
    if fmt == "json":
        assert json.loads(out)["model.layers"] == {"value": 8, "source": "configs/exp.toml:5:10"}
    else:
        assert hp.loads(out, fmt) == expected
        assert "# configs/exp.toml:5:10" in out


def test_show_errors(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = hp_main(capsys, "show", "configs/bad.yaml", "--schema", "cli_schema:Train")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "2 errors loading Train (configs/bad.yaml)",
        "  configs/bad.yaml:2:7: model.lr: Input should be a valid number, unable to parse "
        "string as a number [input='fast']",
        "  configs/bad.yaml:3:3: model.layrs: unknown key 'layrs'; did you mean 'layers'?",
    ]
    code, _, err = hp_main(capsys, "show")
    assert (code, err) == (
        2,
        "hp show: error: no files given (and no schema whose defaults to show)\n",
    )
    code, out, _ = hp_main(capsys, "show", "--schema", "cli_schema:Eval", "checkpoint=x")
    assert (code, out) == (0, "checkpoint: x\nbatch_size: 64\nmetrics:\n- accuracy\n")


# -------------------------------------------------------------------------------- explain


def test_explain(workdir: Path) -> None:
    r = hp_run(
        "explain",
        "run_name",
        "configs/base.yaml",
        "configs/exp.toml",
        "--schema",
        "cli_schema:Train",
        cwd=workdir,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        'run_name = "base-8"',
        "  type:    str",
        '  default: "${model.act}-${model.layers}"',
        "  source:  configs/base.yaml:7:11",
        "  set by (lowest precedence first):",
        '    default                 "${model.act}-${model.layers}"',
        '    configs/base.yaml:7:11  "base-${model.layers}"  <- final',
        "  interpolation:",
        "    ${model.layers} -> model.layers = 8  (configs/exp.toml:5:10)",
    ]


def test_explain_groups_errors_and_unknown_keys(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = hp_main(capsys, "explain", "model", "configs/base.yaml", "-D", "model.lr=1")
    assert code == 0
    assert [line for line in out.splitlines() if " = " in line and line[0] != " "] == [
        "model.lr = 1",
        "model.layers = 4",
        'model.act = "relu"',
    ]
    (workdir / "chain.yaml").write_text("a: ${b}\nb: ${.c}\nc: 3\n")
    code, out, _ = hp_main(capsys, "explain", "a", "chain.yaml")
    assert out.splitlines()[-3:] == [
        "  interpolation:",
        "    ${b} -> b = 3  (chain.yaml:2:4)",
        "      ${.c} -> c = 3  (chain.yaml:3:4)",
    ]
    code, out, err = hp_main(
        capsys, "explain", "model.lr", "configs/bad.yaml", "--schema", "cli_schema:Train"
    )
    assert code == 1
    assert "  error: configs/bad.yaml:2:7: model.lr: Input should be a valid number" in out
    assert "configs/bad.yaml:3:3: model.layrs: unknown key 'layrs'; did you mean 'layers'?" in err
    code, _, err = hp_main(capsys, "explain", "model.lrr", "configs/base.yaml")
    assert (code, err) == (
        2,
        "hp explain: error: model.lrr: no such key; did you mean 'model.lr'?\n",
    )


# --------------------------------------------------------------------------------- schema


def _plain(path: Path) -> Any:
    return hp.load(path, interpolate=False)


def test_schema_export_validates_the_example_configs(workdir: Path) -> None:
    r = hp_run("schema", "cli_schema:Train", "--output", "train.schema.json", cwd=workdir)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    schema = json.loads((workdir / "train.schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for name in ("base.yaml", "exp.toml", "interpolated.yaml"):
        assert list(validator.iter_errors(_plain(workdir / "configs" / name))) == [], name
    errors = sorted(validator.iter_errors(_plain(workdir / "configs" / "bad.yaml")), key=str)
    assert [list(e.absolute_path) for e in errors] == [["model"]]
    assert {e.message for e in errors} == {
        f"{_plain(workdir / 'configs' / 'bad.yaml')['model']!r} is not valid under any of the "
        "given schemas"
    }


def test_schema_documents_fields(workdir: Path) -> None:
    sys.path.insert(0, str(workdir))
    import cli_schema

    train = json_schema(cli_schema.Train)
    model = train["$defs"]["Model"]
    assert model["description"] == "The network."
    assert model["properties"]["lr"]["description"] == "learning rate"
    assert model["properties"]["layers"]["description"] == "number of layers"
    assert model["additionalProperties"] is False
    assert train["properties"]["epochs"]["description"] == "passes over the data"
    assert "required" not in train  # every group can be filled in from defaults
    assert train["properties"]["epochs"]["anyOf"] == [
        {"type": "integer"},
        {"type": "string", "pattern": r"\$\{.*\}"},
    ]
    assert train["properties"]["run_name"] == {
        "default": "${model.act}-${model.layers}",
        "title": "Run Name",
        "type": "string",
    }
    evaluate = json_schema(cli_schema.Eval)
    assert evaluate["required"] == ["checkpoint"]
    assert evaluate["properties"]["checkpoint"]["description"] == "path of the weights"
    validator = jsonschema.Draft202012Validator(evaluate)
    assert list(validator.iter_errors(_plain(workdir / "configs" / "eval" / "eval.yaml"))) == []
    assert not validator.is_valid(_plain(workdir / "configs" / "eval" / "bad-eval.yaml"))
    assert not validator.is_valid({"checkpoint": "x", "batch_size": "big"})
    assert validator.is_valid({"checkpoint": "x", "batch_size": "${base.bs}"})
    assert not validator.is_valid({"checkpoint": "x", "extra": 1})


def test_schema_usage_error(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = hp_main(capsys, "schema", "cli_schema")
    assert (code, out) == (2, "")
    assert err == "hp schema: error: invalid schema 'cli_schema': expected 'package.module:Class'\n"


# ---------------------------------------------------------------------------- the command


def test_errors_are_one_line_and_debug_shows_the_traceback(workdir: Path) -> None:
    r = hp_run("lint", "configs/base.yaml", "--schema", "nope:X", cwd=workdir)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == (
        "hp lint: error: cannot import schema 'nope:X': ModuleNotFoundError: No module named "
        "'nope'\n"
    )
    r = hp_run("--debug", "lint", "configs/base.yaml", "--schema", "nope:X", cwd=workdir)
    assert r.returncode == 1
    assert "Traceback (most recent call last)" in r.stderr
    r = hp_run("--help", cwd=workdir)
    assert r.returncode == 0
    assert re.search(r"lint\s+validate config files, for CI and pre-commit", r.stdout)
    r = hp_run("frobnicate", cwd=workdir)
    assert r.returncode == 2
    assert r.stderr.startswith("hp: error: argument COMMAND: invalid choice: 'frobnicate'")


def test_pre_commit_hooks_file() -> None:
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    by_id = {hook["id"]: hook for hook in hooks}
    assert by_id["hp-lint"]["entry"] == "hp lint"
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= hook.keys()
