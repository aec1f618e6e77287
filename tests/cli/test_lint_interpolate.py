"""``hp lint --no-interpolate`` and ``interpolate`` in ``[tool.hyperparameter.lint]``: files
whose ``${…}`` belongs to another tool (GitHub Actions' ``${{ github.ref }}``) are checked as
``hp.load(..., interpolate=False)`` reads them — globally, or per glob, the most specific glob
winning as in the ``schemas`` table."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import hyperparameter as hp
from hyperparameter import cli
from hyperparameter.cli.project import LintConfig, interpolate_for

WORKFLOW = """\
name: ci
on: [push]
jobs:
  test:
    runs-on: ${{ matrix.os }}
    steps:
      - run: echo "${{ github.ref }}"
"""

# Findings as their location and key (the message texts belong to the interpolation module).
FINDINGS = (
    ".github/workflows/ci.yml:5:14: jobs.test.runs-on: ",
    ".github/workflows/ci.yml:7:14: jobs.test.steps.0.run: ",
)
CONFIG_FINDING = "configs/train.yaml:1:7: name: "


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "train.yaml").write_text("name: ${nope}\nother: ${name}-x\n")
    (tmp_path / "schema_mod.py").write_text(
        "import dataclasses\n\n@dataclasses.dataclass\nclass Workflow:\n"
        "    name: str\n    on: list[str]\n    jobs: dict[str, dict[str, object]]\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "schema_mod", raising=False)
    return tmp_path


def pyproject(root: Path, body: str) -> None:
    files = '[tool.hyperparameter.lint]\nfiles = [".github/workflows/*.yml", "configs/*.yaml"]\n'
    (root / "pyproject.toml").write_text(files + body)


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = cli.main(["lint", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_load_reads_the_workflow_without_interpolation(project: Path) -> None:
    cfg = hp.load(".github/workflows/ci.yml", interpolate=False)
    assert cfg["jobs"]["test"]["runs-on"] == "${{ matrix.os }}"


def test_no_interpolate_flag(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = lint(capsys, ".github/workflows/ci.yml")
    assert code == 1
    assert [line[: len(f)] for line, f in zip(lines, FINDINGS, strict=False)] == list(FINDINGS)
    assert all(line.endswith("(interpolation)") for line in lines[:2])
    assert lint(capsys, ".github/workflows/ci.yml", "--no-interpolate") == (
        0,
        ["1 file checked, no findings"],
        "",
    )
    code, lines, _ = lint(capsys, "--no-interpolate", "--schema", "schema_mod:Workflow", ".github")
    assert (code, lines) == (0, ["1 file checked, no findings"])


def test_pyproject_turns_interpolation_off(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject(project, "interpolate = false\n")
    assert lint(capsys) == (0, ["2 files checked, no findings"], "")
    code, lines, _ = lint(capsys, "--interpolate")  # the flag wins over the pyproject
    assert code == 1
    assert len(lines) == 4
    assert lines[2].startswith(CONFIG_FINDING)


def test_pyproject_interpolate_per_glob(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject(project, '[tool.hyperparameter.lint.interpolate]\n".github/**" = false\n')
    code, lines, _ = lint(capsys)
    assert code == 1
    assert len(lines) == 2
    assert lines[0].startswith(CONFIG_FINDING)
    assert lines[1] == "1 finding in 1 of 2 files"
    assert lint(capsys, "--no-interpolate")[:2] == (0, ["2 files checked, no findings"])

    # the most specific glob wins: "configs/**" over "**"
    pyproject(
        project, '[tool.hyperparameter.lint.interpolate]\n"**" = false\n"configs/**" = true\n'
    )
    code, lines, _ = lint(capsys)
    assert (code, len(lines)) == (1, 2)
    assert lines[0].startswith(CONFIG_FINDING)


def test_merge_needs_one_interpolation_setting(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject(project, '[tool.hyperparameter.lint.interpolate]\n".github/**" = false\n')
    code, _, err = lint(capsys, "--merge", ".github/workflows/ci.yml", "configs/train.yaml")
    assert code == 2
    assert err == (
        "hp lint: error: --merge: the pyproject interpolates some of the files and not "
        "others; pass --interpolate or --no-interpolate\n"
    )
    code, lines, _ = lint(
        capsys, "--merge", "--no-interpolate", ".github/workflows/ci.yml", "configs/train.yaml"
    )
    assert (code, lines) == (0, ["2 files checked, no findings"])


@pytest.mark.parametrize("value", ["1", '"no"', '["**"]', '{ "**" = "false" }'])
def test_bad_interpolate_setting(
    project: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    pyproject(project, f"interpolate = {value}\n")
    code, _, err = lint(capsys)
    assert code == 2
    assert err == (
        f"hp lint: error: {project / 'pyproject.toml'}: [tool.hyperparameter.lint] "
        "interpolate must be true, false, or a table mapping globs to true or false\n"
    )


def test_interpolate_for(tmp_path: Path) -> None:
    config = LintConfig(
        tmp_path, (), None, (), (("**", False), ("configs/**", True), ("configs/ci/*", False))
    )
    where = {
        "a.yaml": False,
        "configs/a.yaml": True,
        "configs/x/y.yaml": True,
        "configs/ci/b.yaml": False,
    }
    for rel, expected in where.items():
        assert interpolate_for(str(tmp_path / rel), config) is expected, rel
    assert interpolate_for("x.yaml", None) is True
    assert interpolate_for("x.yaml", LintConfig(tmp_path, (), None, ())) is True
