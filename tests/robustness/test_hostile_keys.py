"""Every invalid key form of DESIGN §3 through every entry point: ``param_scope`` (keywords,
``"k=v"``, mappings, nested groups, item access and assignment, ``empty``), ``auto_param``,
``TLSKVStorage``, ``-D`` overrides (``load`` and the CLI), environment variables, files, and
the Rust API. Each refuses with ``InvalidKeyError`` naming the key (the CLI: exit status 2 and
a one-line message), or — environment variables — ignores the name, as documented.
``tests/storage/test_keys.py`` holds the grammar's own table; this is the entry-point matrix.
"""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any

import pytest

import hyperparameter as hp
from hyperparameter import storage
from hyperparameter.errors import InvalidKeyError
from hyperparameter.storage import keys as _keys

pytestmark = pytest.mark.timeout(60)

# Whole keys that break the grammar: empty, empty segments, spaces and control characters,
# a leading digit or '-', punctuation, non-identifier characters, lone surrogates.
INVALID = [
    "",
    ".",
    "..",
    "a.",
    ".a",
    "a..b",
    "a b",
    " a",
    "a ",
    "a\tb",
    "a\nb",
    "a\x00b",
    "1a",
    "-a",
    "a.-b",
    "a/b",
    "a.$",
    "a:b",
    "a[0]",
    "a.b c",
    "🚀",
    "a.🚀",
    "a\u200bb",  # zero-width space
    "é.1x",
    "a\ud800",
    "x" * 10_000 + " ",
]
# Segments that are fine on their own but not as one mapping key (a dot is a path there).
DOTTED = ["a.b", "0.1", "x.y.z"]


def ids(key: str) -> str:
    return repr(key)[:24]


def stays_invalid(key: str) -> bool:
    """Whether ``key`` is still invalid once a ``"key=value"`` text is stripped (overrides
    and ``param_scope("k=v")`` strip surrounding whitespace, as documented)."""
    try:
        _keys.check_key(key.strip())
    except InvalidKeyError:
        return True
    return False


def assert_names(info: pytest.ExceptionInfo[InvalidKeyError], key: str) -> None:
    assert info.value.key == key or (isinstance(info.value.key, str) and key in info.value.key)
    assert "invalid key" in str(info.value)


@pytest.mark.parametrize("key", INVALID, ids=ids)
def test_param_scope_entry_points(key: str) -> None:
    with pytest.raises(InvalidKeyError) as info:
        hp.param_scope(**{key: 1})
    assert_names(info, key)
    with pytest.raises(InvalidKeyError):
        hp.param_scope.empty(**{key: 1})
    with pytest.raises(InvalidKeyError):
        hp.param_scope(model={key: 1})
    if "." not in key:
        with pytest.raises(InvalidKeyError):
            hp.param_scope({key: 1})
    if "=" not in key and stays_invalid(key):
        with pytest.raises(InvalidKeyError):
            hp.param_scope(f"{key}=1")
    with pytest.raises(InvalidKeyError):
        hp.param_scope[key] | 0
    with pytest.raises(InvalidKeyError):
        hp.param_scope[key] = 1
    with hp.param_scope(ok=1) as ps:
        with pytest.raises(InvalidKeyError):
            ps[key]()
        with pytest.raises(InvalidKeyError):
            ps[key] = 1
        if key:
            with pytest.raises(InvalidKeyError):
                getattr(ps.ok, key)()
        assert ps.keys() == ["ok"]  # nothing was written by the failed calls


@pytest.mark.parametrize("key", INVALID, ids=ids)
def test_low_level_and_decorator_entry_points(key: str) -> None:
    s = storage.TLSKVStorage().enter()
    try:
        with pytest.raises(InvalidKeyError):
            s.put(key, 1)
        with pytest.raises(InvalidKeyError):
            s.get(key)
    finally:
        s.exit()
    with pytest.raises(InvalidKeyError):
        hp.auto_param(key)(lambda x=1: x)
    if not key.isascii():
        return  # the Rust grammar accepts any non-ASCII byte (docs/decisions.md)
    if storage.backend() == "rust":
        with pytest.raises(InvalidKeyError):
            storage.rust_read(key)
        with pytest.raises(InvalidKeyError):
            storage.rust_write(key, 1)


@pytest.mark.parametrize("key", [k for k in INVALID if stays_invalid(k)], ids=ids)
def test_overrides_refuse_the_key(key: str) -> None:
    with pytest.raises(InvalidKeyError) as info:
        hp.load({}, overrides=[f"{key}=1"])
    assert_names(info, key.strip())


def _launch(argv: list[str]) -> tuple[int | str | None, str]:
    @hp.auto_param("train")
    def train(lr: float = 0.1) -> float:
        return lr

    err = io.StringIO()
    with redirect_stderr(err):
        try:
            hp.launch(train, argv=argv)
        except SystemExit as e:
            return e.code, err.getvalue()
    return None, err.getvalue()


@pytest.mark.parametrize(
    "key", [k for k in INVALID if k.isprintable() and stays_invalid(k)], ids=ids
)
def test_the_cli_refuses_the_key_with_one_line(key: str) -> None:
    for argv in (["-D", f"{key}=1"], [f"--define={key}=1"]):
        code, err = _launch(argv)
        assert code == 2, (argv, err)
        assert err.count("\n") == 1
        assert "error:" in err
        assert "Traceback" not in err


def test_the_cli_still_runs_with_good_keys() -> None:
    assert _launch(["-D", "train.lr=0.5"]) == (None, "")


def test_environment_variable_names_outside_the_grammar_are_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = ["APP_A__B C", "APP_1A", "APP___X", "APP_A____B", "APP_A.B", "APP_-X", "APP_É:"]
    for name in bad:
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("APP_OK__FINE", "2")
    assert hp.load({}, env_prefix="APP") == {"ok": {"fine": 2}}


def test_env_prefix_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        hp.load({}, env_prefix="_")


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("'a b': 1\n", "a b"),
        ("ok: {'x.y': 1}\n", "x.y"),
        ("ok: {'': 1}\n", ""),
        ("'1a': 1\n", "1a"),
        ("-1: x\n", "-1"),
        ("~: x\n", "None"),
        ("true: x\n", "True"),
        ("1.5: x\n", "1.5"),
        ("2024-01-01: x\n", "2024-01-01"),
        ("'🚀': 1\n", "🚀"),
    ],
)
def test_file_keys_load_as_written_and_only_a_scope_refuses_them(
    tmp_path: Path, text: str, bad: str
) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(text, encoding="utf-8")
    cfg = hp.load(path)
    assert len(cfg) == 1  # as written, no grammar applied
    with pytest.raises(InvalidKeyError) as info:
        hp.param_scope(cfg)
    assert bad in str(info.value) or str(info.value.key) == bad


def test_integer_mapping_keys_are_segments(tmp_path: Path) -> None:
    path = tmp_path / "ints.yaml"
    path.write_text("layers:\n  0: {units: 8}\n  1: {units: 4}\n")
    with hp.param_scope(hp.load(path)):
        assert hp.param_scope["layers.1.units"]() == 4


def test_a_schema_reports_bad_keys_as_unknown(tmp_path: Path) -> None:
    from dataclasses import dataclass

    @dataclass
    class Cfg:
        lr: float = 0.1

    path = tmp_path / "c.yaml"
    path.write_text("lr: 0.2\n'l r': 1\n")
    with pytest.raises(hp.ConfigValidationError) as info:
        hp.load(path, schema=Cfg)
    ((e,),) = [info.value.errors()]
    assert (e["loc"], e["type"], e["source"]) == (("l r",), "extra_forbidden", f"{path}:2:1")


@pytest.mark.parametrize("key", DOTTED)
def test_a_dotted_mapping_key_is_one_bad_segment(key: str) -> None:
    with pytest.raises(InvalidKeyError, match=r"may not contain '\.'"):
        hp.param_scope({key: 1})
    with pytest.raises(InvalidKeyError, match=r"may not contain '\.'"):
        hp.param_scope(group={key: 1})


@pytest.mark.parametrize("key", [None, 1.5, -1, True, b"a", ("a",), object()], ids=repr)
def test_non_string_keys(key: Any) -> None:
    with pytest.raises(InvalidKeyError):
        hp.param_scope({key: 1})
    with pytest.raises(InvalidKeyError):
        _keys.check_key(key)
    with pytest.raises((InvalidKeyError, TypeError)):
        hp.auto_param(key)(lambda x=1: x)


def test_valid_unusual_keys_round_trip_through_every_entry_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in ["a", "A_b", "_", "x.0", "learning-rate.v2", "模型.学习率", "a.007", "k" * 5000]:
        with hp.param_scope(**{key: 1}):
            assert hp.param_scope[key]() == 1
        with hp.param_scope(f"{key}=2"):
            assert hp.param_scope[key]() == 2
        assert hp.load({}, overrides=[f"{key}=3"]) is not None
        s = storage.TLSKVStorage().enter()
        s.put(key, 4)
        assert s.get(key) == 4
        s.exit()
    monkeypatch.setenv("APP_X__LEARNING-RATE", "5")
    assert hp.load({}, env_prefix="APP") == {"x": {"learning-rate": 5}}
    assert os.environ["APP_X__LEARNING-RATE"] == "5"
