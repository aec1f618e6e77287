"""Secrets never leak (issue 11): values filled from ``${env:…}`` and fields typed
``SecretStr``/``SecretBytes`` are redacted in every message, report and dump.

Each test sets a real secret in the environment, drives one output path — error messages,
``.errors()``, pickles, ``hp lint`` in its four formats, ``hp show``, ``hp explain``, a launched
app's ``--list-params``/``--explain-param``, ``dump`` — and checks that the secret's text is
nowhere in what came out, while the marker and the variable's name are where the value is.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pydantic
import pytest

import hyperparameter as hp
from hyperparameter import cli
from hyperparameter.loader.secrets import MARKER, Redacted

ROOT = Path(__file__).parents[2]
SECRET = "s3cr3t-XYZ-123"
VAR = "MY_SECRET_TOKEN"
SHOWN = "'**********' (from ${env:MY_SECRET_TOKEN})"

SCHEMA = """
import dataclasses
from typing import Annotated

import pydantic


@dataclasses.dataclass
class Db:
    host: str = "localhost"
    password: str = ""


@dataclasses.dataclass
class Train:
    port: int = 0
    auth: str = ""
    db: Db = dataclasses.field(default_factory=Db)
    a: str = ""
    b: str = ""
    c: str = ""


class Vault(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    key: pydantic.SecretStr
    long: Annotated[pydantic.SecretStr, pydantic.Field(min_length=30)] = pydantic.SecretStr(
        "x" * 30
    )
    blob: pydantic.SecretBytes = pydantic.SecretBytes(b"")
    tokens: list[pydantic.SecretStr] = []
"""

# A secret in an int field, embedded in text, through oc.env, as the value of an unknown key,
# and beside a cycle and a missing reference.
BAD = """\
port: ${env:MY_SECRET_TOKEN}
auth: "Bearer ${env:MY_SECRET_TOKEN}"
db:
  password: ${oc.env:MY_SECRET_TOKEN}
  hostt: ${env:MY_SECRET_TOKEN}
a: ${b}
b: ${a}
c: "${env:MY_SECRET_TOKEN}${missing.key}"
"""

GOOD = """\
port: 8080
auth: "Bearer ${env:MY_SECRET_TOKEN}"
db:
  password: ${env:MY_SECRET_TOKEN}
copy: ${db}
via: ${db.password}
items: [a, "${env:MY_SECRET_TOKEN}"]
"""

VAULT = """\
key: 12
long: ${env:MY_SECRET_TOKEN}
tokens: [hunter2-literal, 5]
"""


def hidden(*texts: str) -> None:
    """No part of the secret (nor of the literal secret of the SecretStr tests) is shown."""
    for text in texts:
        assert "s3cr3t" not in text, text
        assert "hunter2" not in text, text


@dataclasses.dataclass
class Db:
    host: str = "localhost"
    password: str = ""


@dataclasses.dataclass
class Train:
    port: int = 0
    auth: str = ""
    db: Db = dataclasses.field(default_factory=Db)
    a: str = ""
    b: str = ""
    c: str = ""


class Vault(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")
    key: pydantic.SecretStr
    blob: pydantic.SecretBytes = pydantic.SecretBytes(b"")


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, SECRET)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with the files above and an importable ``secret_schema``."""
    (tmp_path / "secret_schema.py").write_text(SCHEMA)
    (tmp_path / "bad.yaml").write_text(BAD)
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "vault.yaml").write_text(VAULT)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "secret_schema", raising=False)
    return tmp_path


def hp_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    hidden(out, err)
    return code, out, err


def everything_of(error: BaseException) -> list[str]:
    """What an exception can show: its text, repr, fields and pickle."""
    texts = [str(error), repr(error), repr(vars(error)), repr(error.args)]
    texts.append(pickle.dumps(error).decode("latin-1"))
    texts.append(str(copy.deepcopy(error)))
    return texts


# ----------------------------------------------------------------------- error messages

BAD_LINES = [
    "<string>:1:7: port: Input should be a valid integer, unable to parse string as an "
    f"integer [input={SHOWN}]",
    "<string>:5:3: db.hostt: unknown key 'hostt'; did you mean 'host'?",
    "<string>:7:4: b: interpolation cycle: 'a' (<string>:6:4) -> 'b' -> 'a'",
    "<string>:8:4: c: missing key 'missing.key' in ${missing.key}",
]


def test_load_errors_redact_secret_inputs() -> None:
    with pytest.raises(hp.ConfigValidationError) as exc:
        hp.loads(BAD, "yaml", schema=Train)
    error = exc.value
    assert isinstance(error, hp.InterpolationError)
    assert str(error).splitlines() == ["4 errors loading Train (<string>)"] + [
        f"  {line}" for line in BAD_LINES
    ]
    hidden(*everything_of(error))
    inputs = {e["loc"]: e["input"] for e in error.errors()}
    assert inputs[("port",)] == MARKER
    assert repr(inputs[("port",)]) == SHOWN
    assert inputs[("db", "hostt")] == MARKER  # the unknown key's value
    assert isinstance(inputs[("db", "hostt")], Redacted)
    assert inputs[("db", "hostt")].names == (VAR,)
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error)
    assert again.errors()[0]["input"].names == (VAR,)


def test_the_loaded_config_keeps_the_real_values() -> None:
    cfg = hp.loads(GOOD, "yaml")
    assert cfg["auth"] == f"Bearer {SECRET}"
    assert cfg["db"]["password"] == cfg["via"] == cfg["copy"]["password"] == SECRET
    assert cfg["items"] == ["a", SECRET]
    with hp.param_scope(**{"t.token": cfg["auth"]}) as ps:
        assert ps.t.token | "" == f"Bearer {SECRET}"


def test_secret_inside_a_mapping_input_and_copied_by_reference() -> None:
    @dataclasses.dataclass
    class Cfg:
        port: int = 0

    text = "db:\n  pw: ${env:MY_SECRET_TOKEN}\n  user: me\nport: ${db}\n"
    with pytest.raises(hp.ConfigValidationError) as exc:
        hp.loads(text, "yaml", schema=Cfg)
    hidden(*everything_of(exc.value))
    by_loc = {e["loc"]: e for e in exc.value.errors()}
    assert by_loc[("port",)]["input"] == {"pw": MARKER, "user": "me"}
    assert f"{{'pw': {SHOWN}, 'user': 'me'}}" in str(exc.value)


def test_validators_that_print_the_value_are_scrubbed() -> None:
    @dataclasses.dataclass
    class Checked:
        token: str

        def __post_init__(self) -> None:
            raise ValueError(f"bad token {self.token}!")

    class Model(pydantic.BaseModel):
        token: str

        @pydantic.field_validator("token")
        @classmethod
        def check(cls, v: str) -> str:
            raise ValueError(f"refused: {v.split()[1]}")

    text = 'token: "Bearer ${env:MY_SECRET_TOKEN}"\n'
    with pytest.raises(hp.ConfigValidationError) as exc:
        hp.loads(text, "yaml", schema=Checked)
    hidden(*everything_of(exc.value))
    assert exc.value.errors()[0]["msg"] == f"Value error, bad token {SHOWN}!"
    with pytest.raises(hp.ConfigValidationError) as exc:
        hp.loads(text, "yaml", schema=Model)
    hidden(*everything_of(exc.value))
    assert exc.value.errors()[0]["msg"] == f"Value error, refused: {SHOWN}"


def test_secret_typed_fields_redact_their_inputs() -> None:
    class Keys(pydantic.BaseModel):
        key: pydantic.SecretStr
        tokens: list[pydantic.SecretStr] = []
        pin: str = ""

    text = "key: 12\ntokens: [hunter2-literal, 5]\npin: ${env:MY_SECRET_TOKEN}\n"
    cfg = hp.loads("key: hunter2-literal\n", "yaml", schema=Keys)
    assert cfg.key.get_secret_value() == "hunter2-literal"
    with pytest.raises(hp.ConfigValidationError) as exc:
        hp.loads(text + "extra: 1\n", "yaml", schema=Keys)
    hidden(*everything_of(exc.value))
    assert str(exc.value).splitlines()[1:3] == [
        "  <string>:1:6: key: Input should be a valid string [input='**********']",
        "  <string>:2:27: tokens.1: Input should be a valid string [input='**********']",
    ]
    # a finding on the whole config (a missing field's input is its mapping) hides them too
    with pytest.raises(hp.ConfigValidationError) as exc:
        hp.loads("tokens: [hunter2-literal]\npin: ${env:MY_SECRET_TOKEN}\n", "yaml", schema=Keys)
    hidden(*everything_of(exc.value))
    assert exc.value.errors()[0]["input"] == {"tokens": [MARKER], "pin": MARKER}


def test_invalid_interpolation_in_a_secret_field_does_not_quote_it() -> None:
    with pytest.raises(hp.ConfigValidationError) as exc:
        hp.loads('key: "hunter2${oops"\n', "yaml", schema=Vault)
    hidden(*everything_of(exc.value))
    assert exc.value.errors()[0]["msg"] == (
        "invalid interpolation in a secret value (**********); write \\${ for a literal '${'"
    )


def test_typed_scope_writes_redact_secret_fields() -> None:
    cfg = hp.loads("key: ${env:MY_SECRET_TOKEN}\n", "yaml", schema=Vault)
    with hp.param_scope(cfg) as ps, pytest.raises(hp.ConfigValidationError) as exc:
        ps.key = ["hunter2-literal"]
    hidden(*everything_of(exc.value))
    assert "[input='**********']" in str(exc.value)


def test_conversion_errors_of_scope_reads_and_injection() -> None:
    cfg = hp.loads(GOOD, "yaml")

    @hp.auto_param("db")
    def connect(password: int = 0) -> int:
        return password

    with hp.param_scope(cfg):
        with pytest.raises(hp.ConversionError) as exc:
            _ = hp.param_scope.db.password | 0
        hidden(*everything_of(exc.value))
        assert str(exc.value) == f"db.password: cannot convert {SHOWN} to int: not a number"
        assert exc.value.value == MARKER
        with pytest.raises(hp.ConversionError) as exc:
            connect()
        hidden(*everything_of(exc.value))
        assert SHOWN in str(exc.value)
    # a value that only looks like one elsewhere is shown as it is
    assert "'other'" in str(hp.ConversionError("db.password", "other", int))


def test_env_prefix_values_are_configuration_not_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_PORT", "not-a-port")
    with pytest.raises(hp.ConfigValidationError) as exc:
        hp.load({}, schema=Train, env_prefix="APP")
    assert "[input='not-a-port']" in str(exc.value)


# --------------------------------------------------------------------------------- lint


def test_lint_text_and_github(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = hp_main(capsys, "lint", "bad.yaml", "--schema", "secret_schema:Train")
    assert code == 1
    rules = ["int_parsing", "extra_forbidden", "interpolation", "interpolation"]
    expected = [
        line.replace("<string>", "bad.yaml") + f" ({rule})"
        for line, rule in zip(BAD_LINES, rules, strict=True)
    ]
    assert out.splitlines() == [*expected, "4 findings in 1 of 1 file"]
    code, out, _ = hp_main(
        capsys, "lint", "bad.yaml", "--schema", "secret_schema:Train", "--format", "github"
    )
    assert code == 1
    assert out.splitlines()[0] == (
        "::error file=bad.yaml,line=1,col=7,title=hp lint (int_parsing)::port: Input should be "
        f"a valid integer, unable to parse string as an integer [input={SHOWN}]"
    )


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_lint_json_and_sarif(work: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = hp_main(
        capsys, "lint", "bad.yaml", "--schema", "secret_schema:Train", "--format", fmt
    )
    assert code == 1
    doc = json.loads(out)
    if fmt == "json":
        messages = [f["message"] for f in doc["findings"]]
    else:
        messages = [r["message"]["text"] for r in doc["runs"][0]["results"]]
    assert SHOWN in messages[0]


def test_lint_secret_typed_fields(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = hp_main(capsys, "lint", "vault.yaml", "--schema", "secret_schema:Vault")
    assert code == 1
    assert out.splitlines() == [
        "vault.yaml:1:6: key: Input should be a valid string [input='**********'] (string_type)",
        "vault.yaml:2:7: long: Value should have at least 30 items after validation, not 14 "
        f"[input={SHOWN}] (too_short)",
        "vault.yaml:3:27: tokens.1: Input should be a valid string [input='**********'] "
        "(string_type)",
        "3 findings in 1 of 1 file",
    ]


LINT_ARGS = ["bad.yaml", "vault.yaml", "--format", "github", "--schema", "secret_schema:Train"]


def test_lint_in_ci_as_a_subprocess(work: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-m", "hyperparameter", "lint", *LINT_ARGS],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1, r.stderr
    hidden(r.stdout, r.stderr)
    assert SHOWN in r.stdout


# --------------------------------------------------------------------------- show, explain


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_show(work: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = hp_main(capsys, "show", "good.yaml", "--format", fmt)
    assert code == 0
    if fmt == "yaml":
        assert out.splitlines() == [
            "port: 8080",
            "auth: '**********'  # from ${env:MY_SECRET_TOKEN}",
            "db:",
            "  password: '**********'  # from ${env:MY_SECRET_TOKEN}",
            "copy:",
            "  password: '**********'  # from ${env:MY_SECRET_TOKEN}",
            "via: '**********'  # from ${env:MY_SECRET_TOKEN}",
            "items:",
            "- a",
            "- '**********'  # from ${env:MY_SECRET_TOKEN}",
        ]
    elif fmt == "toml":
        assert 'auth = "**********"  # from ${env:MY_SECRET_TOKEN}' in out
        assert '    "**********",  # from ${env:MY_SECRET_TOKEN}' in out
    else:  # JSON has no comments: `--provenance` names the variables
        assert json.loads(out)["db"] == {"password": MARKER}


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_show_provenance(work: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = hp_main(capsys, "show", "good.yaml", "--format", fmt, "--provenance")
    assert code == 0
    if fmt == "json":
        doc = json.loads(out)
        assert doc["via"] == {
            "value": MARKER,
            "source": "good.yaml:6:6 (${db.password}) from ${env:MY_SECRET_TOKEN}",
        }
        assert doc["auth"]["source"] == "good.yaml:2:7 (Bearer ${env:MY_SECRET_TOKEN})"
    else:
        assert "(${db.password}) from ${env:MY_SECRET_TOKEN}" in out
        assert MARKER in out


def test_show_secret_typed_fields(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "keys.yaml").write_text("key: hunter2-literal\nblob: ${env:MY_SECRET_TOKEN}\n")
    for extra in ([], ["--provenance"], ["--format", "json"], ["--format", "toml"]):
        code, out, _ = hp_main(
            capsys, "show", "keys.yaml", "--schema", "secret_schema:Vault", *extra
        )
        assert code == 0
        assert MARKER in out
    code, out, _ = hp_main(capsys, "show", "keys.yaml", "--schema", "secret_schema:Vault")
    assert out.splitlines()[:3] == [
        "key: '**********'",
        "long: '**********'",
        "blob: '**********'  # from ${env:MY_SECRET_TOKEN}",
    ]


def test_show_errors(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = hp_main(capsys, "show", "bad.yaml", "--schema", "secret_schema:Train")
    assert code == 1
    assert SHOWN in err


def test_explain(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = hp_main(capsys, "explain", "via", "good.yaml")
    assert code == 0
    assert out.splitlines() == [
        f"via = {SHOWN}",
        "  type:    str",
        "  default: -",
        "  source:  good.yaml:6:6",
        "  set by (lowest precedence first):",
        '    good.yaml:6:6  "${db.password}"  <- final',
        "  interpolation:",
        f"    ${{db.password}} -> db.password = {SHOWN}  (good.yaml:4:13)",
        "      ${env:MY_SECRET_TOKEN}: env:MY_SECRET_TOKEN = '**********'",
    ]
    code, out, err = hp_main(
        capsys, "explain", "port", "bad.yaml", "--schema", "secret_schema:Train"
    )
    assert code == 1
    assert out.splitlines()[0] == f"port = {SHOWN}"
    assert SHOWN in err


def test_explain_secret_typed_fields(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "keys.yaml").write_text("key: hunter2-literal\n")
    (work / "more.yaml").write_text("key: ${env:MY_SECRET_TOKEN}\n")
    args = ["explain", "key", "keys.yaml", "more.yaml", "--schema", "secret_schema:Vault"]
    code, out, _ = hp_main(capsys, *args)
    assert code == 0
    assert out.splitlines() == [
        f"key = {SHOWN}",
        "  type:    SecretStr",
        "  default: -",
        "  source:  more.yaml:1:6",
        "  set by (lowest precedence first):",
        "    keys.yaml:1:6  '**********'",  # a literal secret: hidden; a reference: shown
        '    more.yaml:1:6  "${env:MY_SECRET_TOKEN}"  <- final',
        "  interpolation:",
        "    ${env:MY_SECRET_TOKEN}: env:MY_SECRET_TOKEN = '**********'",
    ]


# --------------------------------------------------------------------------- launched apps


@hp.auto_param("job")
def job(port: int = 1, token: str = "", extra: dict[str, Any] | None = None) -> str:
    return hp.param_scope.job.token | ""


APP = """\
job:
  port: ${env:MY_SECRET_TOKEN}
  token: "Bearer ${env:MY_SECRET_TOKEN}"
  extra: {t: "${env:MY_SECRET_TOKEN}"}
other: ${env:MY_SECRET_TOKEN}
"""


def launch_listing(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    """``--list-params`` or ``--explain-param``: stdout and stderr, both checked."""
    with pytest.raises(SystemExit):
        hp.launch(job, argv=list(argv), prog="app")
    out, err = capsys.readouterr()
    hidden(out, err)
    return out, err


def test_list_params(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(APP)
    out, err = launch_listing(capsys, "-C", str(path), "--list-params")
    assert [" ".join(line.split()) for line in out.splitlines()] == [
        "KEY VALUE TYPE DEFAULT SOURCE",
        f"job.port {SHOWN} (invalid) int 1 {path}:2:9",
        f'job.token {SHOWN} str "" {path}:3:10',
        f"job.extra {{'t': {SHOWN}}} dict[str, Any] | None null {path}:4:10",
        f"job.extra.t {SHOWN} - - {path}:4:14",
        f"other {SHOWN} - - {path}:5:8",
    ]
    assert err.splitlines() == [
        f"app: error: {path}:2:9: job.port: cannot convert {SHOWN} to int: not a number"
    ]


def test_explain_param(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    path = tmp_path / "app.yaml"
    out, _ = launch_listing(capsys, "-C", str(path), "--explain-param", "job.token")
    assert out.splitlines()[0] == f"job.token = {SHOWN}"
    assert "env:MY_SECRET_TOKEN = '**********'" in out


def test_a_launched_run_reads_the_real_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.yaml").write_text(APP.replace("port: ${env:MY_SECRET_TOKEN}", "port: 2"))
    assert hp.launch(job, argv=["-C", str(tmp_path / "app.yaml")]) == f"Bearer {SECRET}"


def test_list_params_of_a_script(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(
        "import hyperparameter as hp\n\n"
        "@hp.auto_param('job')\n"
        "def job(token: str = '') -> None:\n"
        "    print(hp.param_scope.job.token | 0)\n\n"
        "hp.launch(job)\n"
    )
    (tmp_path / "app.yaml").write_text("job:\n  token: ${env:MY_SECRET_TOKEN}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for extra in (["--list-params"], ["--explain-param", "job.token"], []):
        r = subprocess.run(
            [sys.executable, str(script), "-C", str(tmp_path / "app.yaml"), *extra],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        hidden(r.stdout, r.stderr)
        assert SHOWN in r.stdout + r.stderr  # the last: the ConversionError's traceback


# ------------------------------------------------------------------------------------- dump


def test_dump_writes_references_that_load_back(tmp_path: Path) -> None:
    cfg = hp.loads(GOOD, "yaml")
    path = tmp_path / "out.yaml"
    text = hp.dump(cfg, path)
    hidden(text, path.read_text())
    assert text.splitlines() == [
        "port: 8080",
        "auth: Bearer ${env:MY_SECRET_TOKEN}",
        "db:",
        "  password: ${env:MY_SECRET_TOKEN}",
        "copy:",
        "  password: ${env:MY_SECRET_TOKEN}",
        "via: ${env:MY_SECRET_TOKEN}",
        "items:",
        "- a",
        "- ${env:MY_SECRET_TOKEN}",
    ]
    assert hp.load(path) == cfg
    for fmt in ("json", "toml"):
        again = hp.dump(cfg, format=fmt)  # type: ignore[arg-type]
        hidden(again)
        assert hp.loads(again, fmt) == cfg  # type: ignore[arg-type]
    hidden(hp.dump(cfg["db"], format="json"))  # a part of the config is known too
    assert f"Bearer {SECRET}" in hp.dump(cfg, reveal_secrets=True)


def test_dump_leaves_equal_values_from_elsewhere_alone() -> None:
    cfg = hp.loads(GOOD, "yaml")
    mine = "".join(list(SECRET))  # equal to the secret, but the caller's own value
    assert mine is not cfg["db"]["password"]
    assert hp.dump({"db": {"password": mine}}) == f"db:\n  password: {SECRET}\n"
    assert hp.dump({"db": {"password": cfg["db"]["password"]}}) == (
        "db:\n  password: ${env:MY_SECRET_TOKEN}\n"
    )


def test_dump_typed_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "8080")
    text = "port: ${env:PORT}\ndb: {password: '${env:MY_SECRET_TOKEN}'}\n"
    cfg = hp.loads(text, "yaml", schema=Train)
    assert cfg.port == 8080
    dumped = hp.dump(dataclasses.replace(cfg, auth="x"))  # a copy is known too
    hidden(dumped)
    assert "port: ${env:PORT}" in dumped
    assert "password: ${env:MY_SECRET_TOKEN}" in dumped
    assert hp.loads(dumped, "yaml", schema=Train) == dataclasses.replace(cfg, auth="x")


def test_dump_marker_where_no_reference_reads_it_back() -> None:
    cfg = hp.loads("db: {pw: '${env:MY_SECRET_TOKEN}'}\nurl: 'x:${db.pw}@host'\n", "yaml")
    text = hp.dump(cfg)
    hidden(text)
    assert "url: '**********'" in text
    assert "pw: ${env:MY_SECRET_TOKEN}" in text


def test_dump_secret_typed_fields() -> None:
    cfg = hp.loads("key: hunter2-literal\nblob: ${env:MY_SECRET_TOKEN}\n", "yaml", schema=Vault)
    text = hp.dump(cfg)
    hidden(text)
    assert text.splitlines() == ["key: '**********'", "blob: ${env:MY_SECRET_TOKEN}"]
    revealed = hp.dump(cfg, reveal_secrets=True)
    assert revealed.splitlines() == ["key: hunter2-literal", f"blob: {SECRET}"]
    assert hp.loads(revealed, "yaml", schema=Vault) == cfg


def test_redacted_is_a_string_that_names_its_variables() -> None:
    r = Redacted(["A", "B", "A"])
    assert r == MARKER
    assert str(r) == MARKER
    assert repr(r) == "'**********' (from ${env:A}, ${env:B})"
    assert repr(Redacted()) == "'**********'"
    for again in (pickle.loads(pickle.dumps(r)), copy.copy(r), copy.deepcopy(r)):
        assert type(again) is Redacted
        assert again.names == ("A", "B")


def test_show_redacts_by_place_not_by_value(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODE", "train")
    (work / "same.yaml").write_text("mode: ${env:MODE}\nsplit: train\n")
    code, out, _ = hp_main(capsys, "show", "same.yaml")
    assert (code, out) == (0, "mode: '**********'  # from ${env:MODE}\nsplit: train\n")
