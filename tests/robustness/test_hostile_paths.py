"""Hostile paths and outputs (issue 11): what a config reader finds on disk besides config
files (FIFOs, devices, huge files, symlink loops, names that are not UTF-8), what ``dump``
leaves behind when it fails, and a stdout that is closed or whose reader went away.

Anything that could hang runs in a subprocess with a timeout, so a regression fails the test
instead of blocking the suite.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from subproc import run_python

import hyperparameter as hp
from hyperparameter.cli.project import _glob
from hyperparameter.errors import ConfigFileError, InvalidKeyError

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).parent.parent.parent
SARIF_SCHEMA = json.loads(
    (ROOT / "tests" / "data" / "cli" / "sarif-2.1.0-subset.schema.json").read_text()
)


def hp_run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, **kw: Any
) -> subprocess.CompletedProcess[bytes]:
    """``python -m hyperparameter args…`` with this checkout first on the path; output bytes."""
    return subprocess.run(
        [sys.executable, "-m", "hyperparameter", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        timeout=60,
        check=False,
        **kw,
    )


# ----------------------------------------------------------------- non-regular files


def _special(tmp_path: Path, kind: str) -> Path:
    """A path in ``tmp_path`` that is not a regular file: a FIFO, a symlink to a device, a
    folder named like a config."""
    if kind == "fifo":
        path = tmp_path / "fifo.yaml"
        os.mkfifo(path)
    elif kind == "dir":
        path = tmp_path / "dir.yaml"
        path.mkdir()
    else:
        path = tmp_path / f"{kind}.json"
        path.symlink_to(f"/dev/{kind}")
    return path


LOAD = """
import sys, hyperparameter as hp
try:
    hp.load(sys.argv[1], format=sys.argv[2] or None)
except hp.ConfigFileError as e:
    print(e)
"""


@pytest.mark.parametrize(
    ("target", "fmt", "reason"),
    [
        ("/dev/zero", "yaml", "not a regular file (a character device)"),
        ("/dev/urandom", "json", "not a regular file (a character device)"),
        ("/dev/null", "toml", "not a regular file (a character device)"),
        ("fifo", "", "not a regular file (a FIFO)"),
        ("zero", "", "not a regular file (a character device)"),
        ("urandom", "", "not a regular file (a character device)"),
        ("dir", "", "Is a directory"),
    ],
)
def test_load_refuses_what_is_not_a_regular_file_before_reading(
    tmp_path: Path, target: str, fmt: str, reason: str
) -> None:
    path = target if target.startswith("/") else str(_special(tmp_path, target))
    r = run_python(LOAD, path, fmt, timeout=30)  # a regression hangs or runs out of memory
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{path}: cannot read the file: {reason}\n"


def test_files_over_the_size_limit_are_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert hp.load.__module__ == "hyperparameter.loader"
    from hyperparameter.loader.formats import MAX_FILE_BYTES, max_file_bytes, read_bytes

    assert MAX_FILE_BYTES == max_file_bytes() == 256 * 1024 * 1024
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as f:  # sparse: 1 GiB of size, no data on disk
        f.truncate(1 << 30)
    tracemalloc.start()
    try:
        with pytest.raises(ConfigFileError) as info:
            hp.load(huge)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(info.value) == (
        f"{huge}: cannot read the file: larger than 268,435,456 bytes "
        "(the limit; HYPERPARAMETER_MAX_FILE_BYTES raises it)"
    )
    assert peak < 1 << 20, peak

    exact = tmp_path / "exact.json"
    exact.write_bytes(b'{"a": "' + b"x" * 91 + b'"}')  # 100 bytes
    monkeypatch.setenv("HYPERPARAMETER_MAX_FILE_BYTES", "100")
    assert read_bytes(exact) == exact.read_bytes()
    monkeypatch.setenv("HYPERPARAMETER_MAX_FILE_BYTES", "99")
    with pytest.raises(ConfigFileError, match=r"larger than 99 bytes \(the limit;"):
        hp.load(exact)
    for bad in ("0", "-5", "big", "1.5"):
        monkeypatch.setenv("HYPERPARAMETER_MAX_FILE_BYTES", bad)
        message = f"HYPERPARAMETER_MAX_FILE_BYTES must be a positive number of bytes, not {bad!r}"
        with pytest.raises(ValueError, match=re.escape(message) + r"\Z"):
            read_bytes(exact)


def test_lint_reports_unreadable_files_and_checks_the_others(tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "good.yaml").write_text("a: 1\n")
    (configs / "bad.yaml").write_text("a: [\n")
    os.mkfifo(configs / "fifo.yaml")
    (configs / "zero.yaml").symlink_to("/dev/zero")
    (configs / "random.json").symlink_to("/dev/urandom")
    for args in (["configs"], []):  # a folder argument, and the pyproject's globs
        (tmp_path / "pyproject.toml").write_text(
            '[tool.hyperparameter.lint]\nfiles = ["configs/**/*.yaml", "configs/*.json"]\n'
        )
        r = hp_run("lint", *args, "--format", "json", cwd=tmp_path)
        assert r.returncode == 1, r.stderr
        report = json.loads(r.stdout)
        assert report["files_checked"] == 5
        found = {(f["file"], f["type"], f["message"]) for f in report["findings"]}
        assert found == {
            (
                "configs/bad.yaml",
                "syntax",
                "did not find expected node content (while parsing a flow node at 2:1)",
            ),
            (
                "configs/fifo.yaml",
                "unreadable",
                "cannot read the file: not a regular file (a FIFO)",
            ),
            (
                "configs/zero.yaml",
                "unreadable",
                "cannot read the file: not a regular file (a character device)",
            ),
            (
                "configs/random.json",
                "unreadable",
                "cannot read the file: not a regular file (a character device)",
            ),
        }


def _loops(root: Path) -> None:
    """configs/ with two symlink loops and a second link to a folder already seen."""
    (root / "configs" / "sub" / "deep").mkdir(parents=True)
    (root / "configs" / "a.yaml").write_text("a: 1\n")
    (root / "configs" / "sub" / "b.yaml").write_text("b: [\n")
    (root / "configs" / "sub" / "deep" / "c.yaml").write_text("c: 3\n")
    (root / "configs" / "sub" / "up").symlink_to("..")
    (root / "configs" / "sub" / "deep" / "top").symlink_to("../..")
    (root / "configs" / "alias").symlink_to("sub")
    (root / "configs" / ".hidden").mkdir()
    (root / "configs" / ".hidden" / "h.yaml").write_text("h: 1\n")


def test_glob_enters_each_folder_once(tmp_path: Path) -> None:
    _loops(tmp_path)
    root = str(tmp_path)
    assert _glob(root, "configs/**/*.yaml") == [
        "configs/a.yaml",
        "configs/sub/b.yaml",
        "configs/sub/deep/c.yaml",
    ]
    assert _glob(root, "**/*.yaml") == _glob(root, "configs/**/*.yaml")
    assert _glob(root, "configs/**/.hidden/*.yaml") == ["configs/.hidden/h.yaml"]
    assert _glob(root, "./configs/*.yaml") == ["configs/a.yaml"]
    assert _glob(root, "configs/alias/b.yaml") == ["configs/alias/b.yaml"]  # a literal path
    assert _glob(root, "configs/**") == [
        "configs/a.yaml",
        "configs/sub/b.yaml",
        "configs/sub/deep/c.yaml",
    ]


def test_lint_globs_do_not_multiply_through_symlink_loops(tmp_path: Path) -> None:
    _loops(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hyperparameter.lint]\nfiles = ["configs/**/*.yaml"]\n'
    )
    r = hp_run("lint", "--format", "json", cwd=tmp_path)  # before: still running after 60 s
    assert r.returncode == 1, r.stderr
    report = json.loads(r.stdout)
    assert report["files_checked"] == 3
    assert [f["file"] for f in report["findings"]] == ["configs/sub/b.yaml"]


# ------------------------------------------------------------------------------ dump


def _temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("suffix", [".json", ".toml", ".yaml"])
@pytest.mark.parametrize(
    ("config", "error", "message"),
    [
        (
            {"\ud800": 1},
            InvalidKeyError,
            "invalid key '\\ud800': a lone surrogate is not text; cannot dump",
        ),
        (
            {"a": {"b\udcff": [1]}},
            InvalidKeyError,
            "invalid key 'a.b\\udcff': a lone surrogate is not text; cannot dump",
        ),
        (
            {"a": ["ok", "x\ud800"]},
            hp.ConversionError,
            "a.1: cannot convert 'x\\ud800' to str: a lone surrogate is not text; cannot dump",
        ),
        ({"a": object()}, TypeError, "a: cannot dump a object"),
    ],
)
def test_a_failed_dump_leaves_the_file_whole(
    tmp_path: Path, suffix: str, config: dict[str, Any], error: type, message: str
) -> None:
    target = tmp_path / f"keep{suffix}"
    target.write_text("old: 1\n" if suffix != ".json" else '{"old": 1}\n')
    before = target.read_bytes()
    with pytest.raises(error) as info:
        hp.dump(config, target)
    assert str(info.value) == message
    assert target.read_bytes() == before
    assert _temp_files(tmp_path) == []


def test_a_lone_surrogate_in_a_value_is_a_conversion_error() -> None:
    with pytest.raises(hp.ConversionError) as info:
        hp.dump({"group": {"k": ["ok", "x\udc80"]}}, format="yaml")
    assert isinstance(info.value, hp.HyperparameterError)
    assert isinstance(info.value, ValueError)
    assert (info.value.key, info.value.value) == ("group.k.1", "x\udc80")


def test_a_lone_surrogate_in_a_key_is_an_invalid_key_error() -> None:
    with pytest.raises(InvalidKeyError) as info:
        hp.dump({"group": {"k\udc80": 1}}, format="json")
    assert isinstance(info.value, hp.HyperparameterError)
    assert isinstance(info.value, ValueError)
    assert info.value.key == "group.k\udc80"


@pytest.mark.parametrize("step", ["write", "fsync", "replace"])
def test_a_dump_interrupted_at_any_step_leaves_the_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    target = tmp_path / "keep.json"
    target.write_text('{"old": 1}\n')

    def fail(*args: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, step, fail)  # what the dump calls
    with pytest.raises(OSError, match="No space left on device"):
        hp.dump({"new": 2}, target)
    monkeypatch.undo()
    assert target.read_text() == '{"old": 1}\n'
    assert _temp_files(tmp_path) == []
    hp.dump({"new": 2}, target)
    assert hp.load(target) == {"new": 2}


def test_dump_keeps_the_mode_and_writes_through_symlinks(tmp_path: Path) -> None:
    target = tmp_path / "keep.yaml"
    target.write_text("old: 1\n")
    target.chmod(0o640)
    hp.dump({"a": 1}, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text() == "a: 1\n"

    link = tmp_path / "link.yaml"
    link.symlink_to("keep.yaml")
    hp.dump({"b": 2}, link)
    assert link.is_symlink()
    assert target.read_text() == "b: 2\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640

    old = os.umask(0o027)
    try:
        hp.dump({"c": 3}, tmp_path / "new.toml")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.toml").stat().st_mode) == 0o640
    assert _temp_files(tmp_path) == []

    with pytest.raises(IsADirectoryError):
        hp.dump({"c": 3}, tmp_path, format="json")
    assert _temp_files(tmp_path) == []


# ------------------------------------------------------------------ non-UTF-8 names


@pytest.fixture
def latin1_name(tmp_path: Path) -> tuple[Path, str]:
    """A config file whose name is the Latin-1 bytes ``café.yaml`` (not UTF-8): the work
    folder and the name as ``os.fsdecode`` gives it (``caf\\udce9.yaml``)."""
    name = os.fsdecode(b"caf\xe9.yaml")
    with open(os.fsencode(tmp_path) + b"/caf\xe9.yaml", "wb") as f:
        f.write(b"a: 1\nb: [\n")
    (tmp_path / "ok.yaml").write_text("a: 1\n")
    return tmp_path, name


# Strict: the encoding Python uses for stdout in a UTF-8 locale, where writing a surrogate
# raises; surrogateescape: the C/POSIX locale, where it writes the raw, invalid byte.
ENCODINGS = ["utf-8:strict", "utf-8:surrogateescape"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_lint_text_and_github_show_a_non_utf8_name_escaped(
    latin1_name: tuple[Path, str], encoding: str
) -> None:
    work, _ = latin1_name
    env = {"PYTHONIOENCODING": encoding}
    r = hp_run("lint", ".", cwd=work, env=env)
    assert r.returncode == 1, r.stderr
    assert r.stdout.decode("utf-8") == (
        "./caf\\xe9.yaml:3:1: did not find expected node content "
        "(while parsing a flow node at 3:1) (syntax)\n"
        "1 finding in 1 of 2 files\n"
    )
    r = hp_run("lint", ".", "--format", "github", cwd=work, env=env)
    assert r.returncode == 1, r.stderr
    assert r.stdout.decode("utf-8").startswith(
        "::error file=./caf\\xe9.yaml,line=3,col=1,title=hp lint (syntax)::"
    )


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_lint_json_escapes_a_non_utf8_name(latin1_name: tuple[Path, str], encoding: str) -> None:
    work, name = latin1_name
    r = hp_run("lint", ".", "--format", "json", cwd=work, env={"PYTHONIOENCODING": encoding})
    assert r.returncode == 1, r.stderr
    text = r.stdout.decode("utf-8")  # valid UTF-8
    assert '"file": "./caf\\udce9.yaml"' in text
    (finding,) = json.loads(text)["findings"]
    assert finding["file"] == f"./{name}"
    assert os.fsencode(finding["file"]) == b"./caf\xe9.yaml"  # the name's own bytes


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_lint_sarif_percent_encodes_a_non_utf8_name(
    latin1_name: tuple[Path, str], encoding: str
) -> None:
    work, _ = latin1_name
    env = {"PYTHONIOENCODING": encoding}
    for arg, uri in ((".", "caf%E9.yaml"), (str(work), (work / "caf").as_uri() + "%E9.yaml")):
        r = hp_run("lint", arg, "--format", "sarif", cwd=work, env=env)
        assert r.returncode == 1, r.stderr  # before: exit 2, UnicodeEncodeError
        sarif = json.loads(r.stdout.decode("utf-8"))
        jsonschema.Draft202012Validator(
            SARIF_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        ).validate(sarif)
        (result,) = sarif["runs"][0]["results"]
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uri"] == uri


def test_show_and_explain_name_a_non_utf8_file_escaped(latin1_name: tuple[Path, str]) -> None:
    work, _ = latin1_name
    with open(os.fsencode(work) + b"/caf\xe9.yaml", "wb") as f:
        f.write(b"a: 1\n")
    env = {"PYTHONIOENCODING": "utf-8:strict"}
    r = hp_run("show", os.fsdecode(b"caf\xe9.yaml"), "--provenance", cwd=work, env=env)
    assert (r.returncode, r.stderr) == (0, b"")
    assert r.stdout.decode("utf-8") == "a: 1 # caf\\xe9.yaml:1:4\n"
    r = hp_run("explain", "a", os.fsdecode(b"caf\xe9.yaml"), cwd=work, env=env)
    assert (r.returncode, r.stderr) == (0, b"")
    assert "  source:  caf\\xe9.yaml:1:4\n" in r.stdout.decode("utf-8")


# --------------------------------------------------------------- closed or broken stdout

APP = textwrap.dedent(
    """\
    import hyperparameter as hp


    @hp.param("train")
    def train(lr: float = 0.1, epochs: int = 3) -> None:
        print("training", lr, epochs)


    if __name__ == "__main__":
        hp.launch(train)
    """
)

COMMANDS = [
    ["-m", "hyperparameter", "show", "big.json"],
    ["-m", "hyperparameter", "lint", "bad.yaml"],
    ["-m", "hyperparameter", "explain", "k0", "big.json"],
    ["-m", "hyperparameter", "schema", "schema_mod:S"],
    ["-m", "hyperparameter", "--help"],
    ["-m", "hyperparameter", "show", "--help"],
    ["-m", "hyperparameter", "--version"],
    ["app.py", "--list-params", "-C", "big.json"],
    ["app.py", "--explain-param", "train.lr"],
    ["app.py", "--help"],
]


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    """A folder with an app, a schema module, a config big enough to fill a pipe, and a bad
    file for lint."""
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "schema_mod.py").write_text(
        "import dataclasses\n\n@dataclasses.dataclass\nclass S:\n    a: int = 1\n"
    )
    (tmp_path / "big.json").write_text(json.dumps({f"k{i}": "v" * 40 for i in range(2000)}))
    (tmp_path / "bad.yaml").write_text("a: ${b}\n")
    return tmp_path


def _env(unbuffered: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    return {**env, "PYTHONPATH": str(ROOT)}


# Buffered, a failed write shows when stdout is flushed; unbuffered (PYTHONUNBUFFERED), in the
# write itself, which argparse's --help swallows unless the parser reports it.
BROKEN = [
    *[pytest.param(args, False, id=" ".join(args)) for args in COMMANDS],
    *[
        pytest.param(COMMANDS[i], True, id=" ".join(COMMANDS[i]) + " (unbuffered)")
        for i in (0, 4, 7, 9)
    ],
]


@pytest.mark.parametrize(("args", "unbuffered"), BROKEN)
def test_a_reader_that_went_away_is_a_quiet_exit_141(
    outputs: Path, args: list[str], unbuffered: bool
) -> None:
    read, write = os.pipe()
    os.close(read)  # every write to the pipe fails with EPIPE, as after `| head` exited
    try:
        r = subprocess.run(
            [sys.executable, *args],
            cwd=outputs,
            env=_env(unbuffered),
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert (r.returncode, r.stderr.decode()) == (141, "")


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_closed_stdout_is_one_line_and_exit_2(outputs: Path, args: list[str]) -> None:
    r = subprocess.run(
        ["sh", "-c", '"$@" >&-', "sh", sys.executable, *args],  # `>&-`: fd 1 is closed
        cwd=outputs,
        env=_env(True),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=60,
        check=False,
    )
    prog = "app.py" if args[0] == "app.py" else "hp"
    assert r.stderr.decode() == f"{prog}: error: cannot write the output: stdout is closed\n"
    assert r.returncode == 2


@pytest.mark.parametrize(
    "command",
    [
        "python -m hyperparameter show big.json | head -1",
        "python app.py --list-params -C big.json | head -2",
    ],
)
def test_piping_into_head_prints_no_traceback(outputs: Path, command: str) -> None:
    command = command.replace("python", f'"{sys.executable}"', 1)
    r = subprocess.run(
        ["sh", "-c", command],
        cwd=outputs,
        env=_env(False),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert r.stderr.decode() == ""
    assert r.returncode == 0  # head's status
    assert r.stdout.decode().count("\n") == int(command[-1])


def test_the_functions_own_output_is_left_alone(outputs: Path) -> None:
    r = subprocess.run(
        [sys.executable, "app.py", "--lr", "0.5"],
        cwd=outputs,
        env=_env(False),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert (r.returncode, r.stdout.decode(), r.stderr.decode()) == (0, "training 0.5 3\n", "")
