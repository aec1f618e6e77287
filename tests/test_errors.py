"""The exception classes: they pickle and copy whole, interpolation failures are
``InterpolationError``s, overrides without ``=`` are ``OverrideError``s, and any input shows."""

from __future__ import annotations

import copy
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from failures import FAILURES, Train, caught

import hyperparameter as hp
from hyperparameter import errors

# The structured fields of each class, besides what every exception has (``args``).
FIELDS: dict[type, tuple[str, ...]] = {
    errors.ConfigFileError: ("message", "path", "lineno", "colno"),
    errors.InterpolationError: ("message", "loc", "chain", "source"),
    errors.ConfigValidationError: ("title",),
    errors.ConfigInterpolationError: ("title", "message", "loc", "chain", "source"),
    errors.ConversionError: ("key", "value", "target", "reason", "source"),
    errors.MissingParameterError: ("key",),
    errors.InvalidKeyError: ("key", "reason"),
    errors.OverrideError: ("text", "source"),
    errors.SchemaError: (),
    errors.ScopeError: (),
    errors.HyperparameterError: (),
}

COPIES: dict[str, Callable[[Any], Any]] = {
    **{
        f"pickle protocol {p}": (lambda e, p=p: pickle.loads(pickle.dumps(e, protocol=p)))
        for p in range(pickle.HIGHEST_PROTOCOL + 1)
    },
    "copy.copy": copy.copy,
    "copy.deepcopy": copy.deepcopy,
}


def test_every_exception_class_has_a_real_failure() -> None:
    classes = {
        cls
        for name in errors.__all__
        if isinstance(cls := getattr(errors, name), type) and issubclass(cls, BaseException)
    }
    assert classes <= {cls for cls, _ in FAILURES.values()}
    assert classes <= set(FIELDS)


@pytest.mark.parametrize("how", list(COPIES))
@pytest.mark.parametrize("name", list(FAILURES))
def test_errors_survive_pickle_and_copy(name: str, how: str, tmp_path: Path) -> None:
    error = caught(name, str(tmp_path))
    if name == "huge input" and how in ("pickle protocol 0", "pickle protocol 1"):
        # these protocols write integers in decimal: Python cannot pickle the value itself
        with pytest.raises(ValueError, match="Exceeds the limit"):
            COPIES[how](BIG)
        return
    again = COPIES[how](error)
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert again.args == error.args
    assert vars(again) == vars(error)
    for cls, fields in FIELDS.items():
        if isinstance(error, cls):
            for field in fields:
                assert getattr(again, field) == getattr(error, field), field
    if isinstance(error, hp.ConfigValidationError):
        assert again.errors() == error.errors()
        assert again.errors()  # a real failure has findings
    if isinstance(error, KeyError):
        assert again.args == (error.key,)  # `except KeyError as e: e.args[0]` still the key


def test_structured_fields_come_back(tmp_path: Path) -> None:
    e = pickle.loads(pickle.dumps(caught("file", str(tmp_path))))
    assert (e.path, e.lineno, e.colno) == (str(tmp_path / "bad.yaml"), 4, 1)
    assert str(e).startswith(f"{tmp_path / 'bad.yaml'}:4:1: ")  # once, not "<string>: …"
    e = pickle.loads(pickle.dumps(caught("invalid key", str(tmp_path))))
    assert (e.key, e.reason, str(e)) == (
        "a..b",
        "empty segment",
        "invalid key 'a..b': empty segment",
    )
    e = pickle.loads(pickle.dumps(caught("conversion", str(tmp_path))))
    assert (e.key, e.value, e.target, e.reason, e.source) == (
        "model.lr",
        "fast",
        float,
        "not a number",
        None,
    )
    e = pickle.loads(pickle.dumps(caught("subclass", str(tmp_path))))
    assert (e.run, e.attempt, e.title) == ("r7", 2, "of run r7 (attempt 2)")


def test_notes_survive(tmp_path: Path) -> None:
    error = caught("validation", str(tmp_path))
    error.add_note("while loading the sweep")
    assert pickle.loads(pickle.dumps(error)).__notes__ == ["while loading the sweep"]
    assert copy.deepcopy(error).__notes__ == ["while loading the sweep"]


# ------------------------------------------------------------------------- interpolation


def _load(tmp_path: Path, *files: tuple[str, str], **kw: Any) -> Any:
    paths = []
    for name, text in files:
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / name))
    return hp.load(*paths, **kw)


@pytest.mark.parametrize(
    ("files", "loc", "chain", "message"),
    [
        (
            [("f.yaml", "a: 1\nb: ${nope}\n")],
            ("b",),
            ("b", "nope"),
            "{f.yaml}:2:4: b: missing key 'nope' in ${nope}",
        ),
        (
            [("f.yaml", "b: ${env:HP_TEST_ERRORS_UNSET}\n")],
            ("b",),
            ("b", "env:HP_TEST_ERRORS_UNSET"),
            "{f.yaml}:1:4: b: environment variable 'HP_TEST_ERRORS_UNSET' is not set in "
            "${env:HP_TEST_ERRORS_UNSET}",
        ),
        (
            [("f.yaml", "a: ${c}\nb: ${a}\nc: ${b}\n")],
            ("b",),
            ("a", "c", "b", "a"),
            "{f.yaml}:2:4: b: interpolation cycle: 'a' ({f.yaml}:1:4) -> 'c' ({f.yaml}:3:4) -> 'b'"
            " -> 'a'",
        ),
        (
            [("a.yaml", "x: ${y}\n"), ("b.yaml", "y:\n  z: ${x}\n")],
            ("y", "z"),
            ("x", "y", "y.z", "x"),
            "{b.yaml}:2:6: y.z: interpolation cycle: 'x' ({a.yaml}:1:4) -> 'y' -> 'y.z' -> 'x'",
        ),
    ],
    ids=["missing", "unset variable", "cycle in a file", "cycle across files"],
)
@pytest.mark.parametrize("schema", [None, "Train"])
def test_interpolation_failures_are_interpolation_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: list[tuple[str, str]],
    loc: tuple[str, ...],
    chain: tuple[str, ...],
    message: str,
    schema: str | None,
) -> None:
    monkeypatch.delenv("HP_TEST_ERRORS_UNSET", raising=False)
    for name, _ in files:
        message = message.replace(f"{{{name}}}", str(tmp_path / name))
    kw: dict[str, Any] = {"schema": Train} if schema else {}
    with pytest.raises(hp.InterpolationError) as caught_error:
        _load(tmp_path, *files, **kw)
    e = caught_error.value
    assert isinstance(e, hp.ConfigValidationError)  # existing `except` clauses keep working
    assert isinstance(e, ValueError)
    assert isinstance(e, hp.HyperparameterError)
    assert type(e) is hp.ConfigInterpolationError
    line = message.split(": ", 1)[0]
    assert (e.loc, e.chain, e.source) == (loc, chain, line)
    assert f"{e.source}: {errors.key_text(e.loc)}: {e.message}" == message
    interpolation = [d for d in e.errors() if d["type"] == "interpolation"]
    assert f"  {message}" in str(e).splitlines()
    assert interpolation[0]["loc"] == loc


def test_the_first_interpolation_failure_names_the_error(tmp_path: Path) -> None:
    with pytest.raises(hp.InterpolationError) as caught_error:
        _load(
            tmp_path,
            ("f.yaml", "model:\n  lr: fast\n  layers: ${nope}\nname: ${env:HP_X_UNSET}\n"),
            schema=Train,
        )
    e = caught_error.value
    assert [(d["loc"], d["type"]) for d in e.errors()] == [
        (("model", "lr"), "float_parsing"),
        (("model", "layers"), "interpolation"),
        (("name",), "interpolation"),
    ]
    assert (e.loc, e.source) == (("model", "layers"), f"{tmp_path / 'f.yaml'}:3:11")


def test_errors_without_interpolation_failures_are_plain_validation_errors(
    tmp_path: Path,
) -> None:
    with pytest.raises(hp.ConfigValidationError) as caught_error:
        _load(tmp_path, ("f.yaml", "model:\n  lr: fast\n"), schema=Train)
    assert type(caught_error.value) is hp.ConfigValidationError
    assert not isinstance(caught_error.value, hp.InterpolationError)
    assert _load(tmp_path, ("g.yaml", "a: ${nope}\n"), interpolate=False) == {"a": "${nope}"}


# ------------------------------------------------------------------------------ keys


@pytest.mark.parametrize(
    ("loc", "text"),
    [
        (("model", "lr"), "model.lr"),
        (("items", 0, "name"), "items.0.name"),
        (("id2label", "0"), "id2label.0"),
        (("a-b", "c_d", "λ"), "a-b.c_d.λ"),
        ((), "<root>"),
        (("ab ",), "'ab '"),
        (("model", "ab "), "'model.ab '"),
        (("",), "''"),
        (("a.b",), "'a.b'"),
        (("optional server_db",), "'optional server_db'"),
        (("a\tb",), "'a\\tb'"),
        (("x\x00",), "'x\\x00'"),
        (("\u200b",), "'\\u200b'"),
        (("-a",), "'-a'"),
        (("a", -1), "'a.-1'"),
        (("it's",), '"it\'s"'),
    ],
)
def test_key_prefixes_are_quoted_outside_the_grammar(loc: tuple[Any, ...], text: str) -> None:
    assert errors.key_text(loc) == text


def test_keys_are_quoted_in_messages() -> None:
    text = (
        '"ab ": 1\n"": 2\n"a.b": 3\n"a\\tb": 4\na-b: 5\n0: 6\n'
        'model: {layrs: 1, "x y": 2}\nname: ${nope}\n'
    )
    with pytest.raises(hp.ConfigValidationError) as e:
        hp.loads(text, "yaml", schema=Train)
    assert str(e.value).splitlines() == [
        "9 errors loading Train (<string>)",
        "  <string>:1:1: 'ab ': unknown key 'ab '",
        "  <string>:2:1: '': unknown key ''",
        "  <string>:3:1: 'a.b': unknown key 'a.b'",
        "  <string>:4:1: 'a\\tb': unknown key 'a\\tb'",
        "  <string>:5:1: a-b: unknown key 'a-b'",
        "  <string>:6:1: 0: unknown key 0",  # an integer key, as the file wrote it
        "  <string>:7:9: model.layrs: unknown key 'layrs'; did you mean 'layers'?",
        "  <string>:7:19: 'model.x y': unknown key 'x y'",
        "  <string>:8:7: name: missing key 'nope' in ${nope}",
    ]


# ------------------------------------------------------------------------------ overrides


def test_an_override_without_equals_is_an_override_error(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text("model:\n  lr: 0.1\n")
    calls: list[tuple[Callable[[], Any], str]] = [
        (lambda: hp.load(tmp_path / "f.yaml", overrides=["model.lr"]), "-D model.lr"),
        (lambda: hp.loads("a: 1\n", "yaml", overrides=["a=2", "model.lr"]), "-D model.lr"),
        (lambda: hp.param_scope("model.lr"), "param_scope('model.lr')"),
    ]
    for call, source in calls:
        with pytest.raises(hp.OverrideError) as caught_error:
            call()
        e = caught_error.value
        assert isinstance(e, ValueError)
        assert isinstance(e, hp.HyperparameterError)
        assert str(e) == f"{source}: expected 'key=value', got 'model.lr'"
        assert (e.text, e.source) == ("model.lr", source)


# ------------------------------------------------------------------------------ any input


def test_shown_prints_integers_beyond_the_conversion_limit() -> None:
    big = 10**5000 + 123
    assert errors.shown(big) == f"1{'0' * 37}...{'0' * 36}123 (5,001 digits)"
    assert errors.shown(-big) == f"-1{'0' * 37}...{'0' * 36}123 (5,001 digits)"
    assert errors.shown([1, big]).endswith(" (5,001 digits)]")
    assert errors.shown(10**4299) == repr(10**4299)[:38] + "..." + repr(10**4299)[-39:]
    for digits in (4301, 4302, 9999, 10000, 10001, 100_000):
        n = 10 ** (digits - 1)
        assert errors.shown(n).endswith(f"({digits:,} digits)")
        assert errors.shown(n * 10 - 1).endswith(f"({digits:,} digits)")


BIG = 10**5000
BIG_TEXT = errors.shown(BIG)


def test_errors_show_huge_integers(tmp_path: Path) -> None:
    with hp.param_scope(**{"a.b": BIG}):
        with pytest.raises(hp.ConversionError) as conversion:
            hp.param_scope.a.b | 0.0
        assert str(conversion.value) == (
            f"a.b: cannot convert {BIG_TEXT} to float: too large for a float"
        )
        assert conversion.value.value == BIG  # the exception keeps the value whole
        assert repr(hp.param_scope.a.b) == f"<param a.b={BIG_TEXT}>"

    @hp.auto_param("n")
    def f(x: str = "a") -> str:
        return x

    with hp.param_scope(**{"n.x": BIG}), pytest.raises(hp.ConversionError) as injected:
        f()
    assert str(injected.value) == f"n.x: cannot convert {BIG_TEXT} to str: int is not a string"

    with hp.param_scope(Train()) as view, pytest.raises(hp.ConfigValidationError) as typed:
        view.name = BIG  # type: ignore[assignment]
    assert str(typed.value) == (
        f"1 error validating Train\n  name: Input should be a valid string [input={BIG_TEXT}]"
    )

    with pytest.raises(hp.ConfigValidationError) as loaded:
        hp.load({"name": BIG, BIG: 1}, schema=Train)
    assert str(loaded.value).splitlines()[1:] == [
        f"  <mapping 1>: {BIG_TEXT}: unknown key {BIG_TEXT}",
        f"  <mapping 1>: name: Input should be a valid string [input={BIG_TEXT}]",
    ]
    with pytest.raises(TypeError, match=r"not 1000.* \(5,001 digits\)$"):
        hp.dump(BIG)  # type: ignore[arg-type]
    with pytest.raises(hp.SchemaError, match=r"^1000.* \(5,001 digits\) is not a dataclass"):
        hp.loads("a: 1\n", "yaml", schema=BIG)  # type: ignore[call-overload]


def test_huge_integer_keys_and_arguments_are_shown_bounded() -> None:
    limit = f"{sys.get_int_max_str_digits():,}"
    for make in (lambda: hp.param_scope({BIG: 1}), lambda: hp.param_scope(a={BIG: 1})):
        with pytest.raises(hp.InvalidKeyError) as key:
            make()
        assert str(key.value) == (
            f"invalid key {BIG_TEXT}: an integer key with more than {limit} digits"
        )
        assert key.value.key == BIG
    for fmt in ("yaml", "json", "toml"):
        with pytest.raises(hp.InvalidKeyError) as dumped_key:
            hp.dump({"a": {BIG: 1}}, format=fmt)  # type: ignore[arg-type]
        assert str(dumped_key.value) == (
            f"invalid key {BIG_TEXT}: an integer key with more than {limit} digits; cannot dump"
        )
        with pytest.raises(hp.ConversionError) as dumped:
            hp.dump({"a": [1, BIG]}, format=fmt)  # type: ignore[arg-type]
        assert str(dumped.value) == (
            f"a.1: cannot convert {BIG_TEXT} to str: "
            f"an integer with more than {limit} digits; cannot dump"
        )
        assert isinstance(dumped.value, ValueError)
        assert dumped.value.key == "a.1"
    big_enough = int("7" * sys.get_int_max_str_digits())  # within the limit: written whole
    assert hp.loads(hp.dump({"a": big_enough}, format="json"), "json") == {"a": big_enough}
    with pytest.raises(TypeError) as decorator:
        hp.auto_param(BIG)  # type: ignore[call-overload]
    assert str(decorator.value) == (
        f"auto_param() takes a namespace string or a callable, not {BIG_TEXT}"
    )
    with pytest.raises(TypeError) as launched:
        hp.launch(BIG, argv=[])  # type: ignore[arg-type]
    assert str(launched.value) == f"launch() takes functions or classes, not {BIG_TEXT}"
    with pytest.raises(TypeError) as long_text:
        hp.launch("x" * 10_000, argv=[])  # type: ignore[arg-type]
    assert len(str(long_text.value)) < 200
