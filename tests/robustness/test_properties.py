"""Property-based tests (hypothesis, bounded and derandomized so CI is reproducible):

- random nested configs round-trip through ``dump`` / ``load`` in YAML, TOML and JSON;
- random text and bytes given to ``loads`` either load or raise a located
  ``ConfigFileError`` (or a ``ConfigValidationError`` for a broken ``${…}``), nothing else;
- random keys are accepted or refused alike by every entry point;
- random scope programs (enter, write, read, exit, clear, across threads and tasks) give what
  the reference model in ``scope_programs.py`` says, on the active backend (the suite runs once
  per backend; ``test_cross_backend.py`` compares the two backends directly).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import random
from typing import Any

import pytest
import scope_programs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hyperparameter as hp
from hyperparameter import storage
from hyperparameter.errors import ConfigFileError, InvalidKeyError
from hyperparameter.storage import keys as _keys

pytestmark = pytest.mark.timeout(120)

BOUNDED = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ----------------------------------------------------------------------------- round trip

# Text with `${` and backslashes often: dump escapes them so that they load back as text.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20) | st.lists(
    st.sampled_from(["${", "${a}", "\\", "$", "{", "}", "x", "env:", " ", "\\" * 30, "\n"]),
    max_size=8,
).map("".join)
KEYS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
INT64 = st.integers(-(2**63), 2**63 - 1)
DATES = st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))
TIMES = st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))
DATETIMES = st.datetimes(
    dt.datetime(1, 1, 2), dt.datetime(9999, 12, 30), timezones=st.just(dt.UTC) | st.none()
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))


def scalars(fmt: str) -> st.SearchStrategy[Any]:
    common: list[st.SearchStrategy[Any]] = [st.booleans(), TEXT]
    if fmt == "json":
        return st.one_of(
            *common, st.none(), st.integers(), st.floats(allow_nan=False, allow_infinity=False)
        )
    if fmt == "toml":
        return st.one_of(*common, INT64, st.floats(), DATES, TIMES, DATETIMES)
    return st.one_of(*common, st.none(), st.integers(), st.floats(), DATES, DATETIMES)


def configs(fmt: str) -> st.SearchStrategy[dict[str, Any]]:
    tree = st.recursive(
        scalars(fmt),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
        max_leaves=25,
    )
    return st.dictionaries(KEYS, tree, max_size=6)


def same(got: Any, expected: Any, ordered: bool = True) -> bool:
    """Equal with equal types all the way down (1, 1.0 and True differ; nan equals nan);
    key order too when ``ordered`` (TOML writes tables after plain keys)."""
    if type(got) is not type(expected):
        return False
    if isinstance(expected, dict):
        if (list(got) if ordered else sorted(got)) != (
            list(expected) if ordered else sorted(expected)
        ):
            return False
        return all(same(got[k], expected[k], ordered) for k in expected)
    if isinstance(expected, list):
        return len(got) == len(expected) and all(
            same(g, e, ordered) for g, e in zip(got, expected, strict=True)
        )
    if isinstance(expected, float) and math.isnan(expected):
        return math.isnan(got)
    return bool(got == expected)


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_random_configs_round_trip(fmt: str) -> None:
    @settings(BOUNDED, max_examples=60)
    @given(configs(fmt))
    def check(cfg: dict[str, Any]) -> None:
        text = hp.dump(cfg, format=fmt)  # type: ignore[arg-type]
        back = hp.loads(text, fmt)  # type: ignore[arg-type]
        assert same(back, cfg, ordered=fmt != "toml"), text

    check()


# ------------------------------------------------------------------------ hostile text

ALLOWED = (ConfigFileError, hp.ConfigValidationError)
SNIPPETS = ["a", ":", " ", "\n", "-", "[", "]", "{", "}", ",", "&x", "*x", "!!", "!x", "<<",
            "'", '"', "#", "=", "${a}", "1", ".", "\t", "\r", "---", "...", "%", "|", ">",
            "\\", "?", "é", "\x00", "true", "1e9", "0x", "@", "`"]  # fmt: skip


@pytest.mark.parametrize("fmt", ["yaml", "toml", "json"])
def test_random_text_loads_or_fails_cleanly(fmt: str) -> None:
    @BOUNDED
    @given(st.lists(st.sampled_from(SNIPPETS), max_size=40).map("".join) | st.text(max_size=60))
    def check(text: str) -> None:
        failure: Exception | None = None
        try:
            cfg = hp.loads(text, fmt, source="f")  # type: ignore[arg-type]
        except ALLOWED as e:
            failure = e
        if failure is None:
            assert isinstance(cfg, dict)
        elif isinstance(failure, ConfigFileError):
            assert str(failure).startswith("f")
        else:
            assert isinstance(failure, hp.ConfigValidationError)
            assert all(x["type"] == "interpolation" for x in failure.errors())

    check()


def test_random_multi_document_text_loads_a_document_or_fails_cleanly() -> None:
    documents = st.lists(st.sampled_from([*SNIPPETS, "a: 1", "b: &x [1]", "c: *x"]), max_size=12)

    @BOUNDED
    @given(
        st.lists(documents.map("".join), min_size=1, max_size=4),
        st.sampled_from(["---\n", "...\n---\n", "\n---\n", "--- "]),
        st.integers(-5, 5),
    )
    def check(parts: list[str], separator: str, index: int) -> None:
        text = separator.join(parts)
        failure: Exception | None = None
        try:
            chosen = hp.loads(text, "yaml", source="f", document=index)
        except ALLOWED as e:
            failure = e
        if isinstance(failure, ConfigFileError):
            assert str(failure).startswith("f")
            return
        if failure is not None:
            assert isinstance(failure, hp.ConfigValidationError)
            assert all(x["type"] == "interpolation" for x in failure.errors())
            return
        assert isinstance(chosen, dict)
        if index == 0 and "---" not in text and "..." not in text:
            assert chosen == hp.loads(text, "yaml", source="f")  # one document: the same

    check()


@pytest.mark.parametrize("suffix", ["yaml", "toml", "json"])
def test_random_bytes_load_or_fail_cleanly(suffix: str, tmp_path: Any) -> None:
    path = tmp_path / f"f.{suffix}"

    @BOUNDED
    @given(st.binary(max_size=80))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        with contextlib.suppress(ALLOWED):
            assert isinstance(hp.load(path), dict)

    check()


# ---------------------------------------------------------------------------------- keys


@BOUNDED
@given(st.text(max_size=12) | st.lists(st.sampled_from(["a", "b1", "_", "-", ".", "0", "é"]),
                                         max_size=6).map("".join))  # fmt: skip
def test_every_entry_point_agrees_on_a_key(key: str) -> None:
    try:
        _keys.check_key(key)
        valid = True
    except InvalidKeyError:
        valid = False

    def accepts(fn: Any) -> bool:
        try:
            fn()
        except InvalidKeyError:
            return False
        return True

    assert accepts(lambda: hp.param_scope(**{key: 1})) is valid
    assert accepts(lambda: hp.param_scope[key] | 0) is valid
    assert accepts(lambda: hp.auto_param(key)(lambda x=1: x)) is valid
    if key == key.strip() and "=" not in key:
        assert accepts(lambda: hp.param_scope(f"{key}=1")) is valid
        assert accepts(lambda: hp.load({}, overrides=[f"{key}=1"])) is valid
    if storage.backend() == "rust" and key.isascii():
        assert accepts(lambda: storage.rust_read(key)) is valid
    if valid:
        with hp.param_scope(**{key: "v"}):
            assert hp.param_scope[key]() == "v"


# ------------------------------------------------------------------------ scope programs


@BOUNDED
@given(st.randoms(use_true_random=False), st.integers(0, 2))
def test_scope_programs_match_the_model(rnd: random.Random, n_prologue: int) -> None:
    keys = rnd.sample(scope_programs.KEYS, n_prologue)
    prologue = [[k, scope_programs._value(rnd, 0)] for k in keys]
    program = scope_programs.random_block(rnd)
    storage.reset_snapshot()
    try:
        got = scope_programs.run(program, prologue)
    finally:
        storage.reset_snapshot()
    expected = scope_programs.model(program, prologue)
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True), program


def test_the_model_agrees_on_a_hand_written_program() -> None:
    program = [
        ["write", "a", 1],  # the root frame of the main thread
        ["scope", "kwargs", [["a", 2], ["m.lr", [1, {"p": 3}]]], [
            ["read", "a"], ["read", "m.lr.1.p"],
            ["task", [["read", "a"], ["write", "a", 9], ["pause"], ["read", "a"]]],
            ["thread", [["read", "a"], ["read", "b"]]],
            ["write", "a", 5],
            ["scope", "empty", [["b", 1]], [["read", "a"], ["read", "b"]]],
            ["clear"], ["read", "a"],
        ]],
        ["read", "a"],
    ]  # fmt: skip
    storage.reset_snapshot()
    got = scope_programs.run(program, [["b", "snap"]])
    storage.reset_snapshot()
    assert (
        got
        == scope_programs.model(program, [["b", "snap"]])
        == {
            "m.1": [2, 3, scope_programs.MISSING],
            "m.1.2": [2, 9],
            "m.1.3": [scope_programs.MISSING, "snap"],
            "m.1.5": [scope_programs.MISSING, 1],
            "m": [1],
        }
    )
